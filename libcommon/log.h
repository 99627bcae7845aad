/*
 * log: OpenBSD-style logging for every Paddock binary.
 *
 * In the foreground (-d) messages go to stderr; otherwise to syslog.  When
 * stderr is connected to the journal (systemd sets $JOURNAL_STREAM), every
 * line starts with a "<N>" syslog priority so journald keeps the severity.
 * log_warn() appends strerror(errno).  fatal()/fatalx() are for start-up and
 * broken invariants only, never for data that came from a peer.
 */
#ifndef PADDOCK_LOG_H
#define PADDOCK_LOG_H

#include <stdarg.h>

#define LOG_FMT(a, b) __attribute__((format(printf, a, b)))

void	log_init(const char *progname, int foreground, int verbose);
void	log_setverbose(int verbose);
int	log_getverbose(void);

void	log_warn(const char *fmt, ...) LOG_FMT(1, 2);
void	log_warnx(const char *fmt, ...) LOG_FMT(1, 2);
void	log_info(const char *fmt, ...) LOG_FMT(1, 2);
void	log_debug(const char *fmt, ...) LOG_FMT(1, 2);
void	log_vlog(int pri, const char *fmt, va_list ap) LOG_FMT(2, 0);
__attribute__((noreturn)) void fatal(const char *fmt, ...) LOG_FMT(1, 2);
__attribute__((noreturn)) void fatalx(const char *fmt, ...) LOG_FMT(1, 2);

/* Callback for libbpf_set_print(): libbpf's levels mapped onto ours. */
int	log_libbpf(int level, const char *fmt, va_list ap);
void	log_libbpf_install(void);

#endif
