/*
 * log: see log.h.  Single-threaded by design (every daemon runs one libuv
 * loop), so there is no locking.  Verbosity 0 logs info and above, 1 adds
 * debug, 2 adds libbpf's debug chatter.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "log.h"

static const char *log_name = "paddock";
static int	log_fg = 1;
static int	log_verbose;
static int	log_journal;

void
log_init(const char *progname, int foreground, int verbose)
{
	log_name = progname;
	log_fg = foreground;
	log_verbose = verbose;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
	if (!log_fg)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return log_verbose;
}

void
log_vlog(int pri, const char *fmt, va_list ap)
{
	int saved = errno;

	if (pri == LOG_DEBUG && log_verbose < 1)
		return;
	if (!log_fg) {
		vsyslog(pri, fmt, ap);
	} else {
		if (log_journal)
			fprintf(stderr, "<%d>", pri);
		else
			fprintf(stderr, "%s: %s", log_name, pri <= LOG_ERR ?
			    "error: " : pri == LOG_WARNING ? "warning: " : "");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		fflush(stderr);
	}
	errno = saved;
}

static void
log_errno(int pri, int err, const char *fmt, va_list ap)
{
	char buf[1024];

	if (fmt == NULL) {
		snprintf(buf, sizeof(buf), "%s", strerror(err));
	} else {
		vsnprintf(buf, sizeof(buf), fmt, ap);
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(err));
	}
	if (!log_fg) {
		syslog(pri, "%s", buf);
	} else {
		if (log_journal)
			fprintf(stderr, "<%d>%s\n", pri, buf);
		else
			fprintf(stderr, "%s: %s\n", log_name, buf);
		fflush(stderr);
	}
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_errno(LOG_WARNING, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	log_vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_errno(LOG_CRIT, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

int
log_libbpf(int level, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t n;
	int pri;

	switch (level) {
	case LIBBPF_WARN:
		pri = LOG_WARNING;
		break;
	case LIBBPF_INFO:
		pri = LOG_DEBUG;
		break;
	default:
		if (log_verbose < 2)
			return 0;
		pri = LOG_DEBUG;
		break;
	}
	if (pri == LOG_DEBUG && log_verbose < 1)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (pri == LOG_WARNING)
		log_warnx("libbpf: %s", buf);
	else
		log_debug("libbpf: %s", buf);
	return 0;
}

static int
log_libbpf_cb(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return log_libbpf((int)level, fmt, ap);
}

void
log_libbpf_install(void)
{
	libbpf_set_print(log_libbpf_cb);
}
