/*
 * sigguard: which signals a Paddock daemon honours, and from whom.
 *
 * A workload turned hostile may try to stop Paddock by signalling its
 * daemons.  With BPF LSM the kernel refuses the signal (task_kill).
 * Without it the kernel cannot: at the entry of the kill, it kills the
 * sender and marks it, by tgid, in the pinned map `sigmark`, but the
 * signal is still delivered.  So daemons take their signals through a
 * signalfd (sigguard_open) and honour one only when
 *   - its origin is one the kernel vouches for: kill(2), tgkill(2),
 *     pidfd_send_signal(2) (SI_USER, SI_TKILL), or the kernel itself
 *     (SI_KERNEL: the terminal's ^C, a hangup) but for SIGIO.  Refused:
 *     sigqueue(3), whose sender writes the pid it claims, and a signal
 *     the kernel sends for an fd someone pointed at us (F_SETOWN: SIGIO,
 *     or F_SETSIG's signal with si_code POLL_*);
 *   - and the sender is not marked in `sigmark` within SIGGUARD_WINDOW_NS.
 *     The map is read through the descriptor the daemon opened first and
 *     through its pin as it is now, so removing or replacing the pin
 *     hides no mark.
 * SIGKILL and SIGSTOP never reach a process's handler: what bounds them
 * is the sender's own death and the pins (docs/enforcement.md).
 *
 * sigguard_judge() is the decision, pure; the rest is its I/O.
 */
#ifndef PADDOCK_SIGGUARD_H
#define PADDOCK_SIGGUARD_H

#include <signal.h>
#include <stdint.h>

#define SIGGUARD_MAP		"sigmark"	/* its pin in enforced.bpffs */
#define SIGGUARD_WINDOW_NS	(60ull * 1000000000ull)

enum sg_verdict {
	SG_HONOUR,	/* act on it */
	SG_MARKED,	/* the kernel caught its sender reaching for Paddock */
	SG_ORIGIN,	/* its origin is not a process the kernel named */
};

/* signo, code: si_signo, si_code; marked: the sender is in `sigmark` at
 * mark_ns (CLOCK_MONOTONIC). */
enum sg_verdict	sigguard_judge(int signo, int code, int marked,
		    uint64_t mark_ns, uint64_t now_ns);
const char	*sigguard_why(enum sg_verdict v);

/* The signals a daemon takes by signalfd: every one whose default action
 * ends the process and that a handler can take. */
void		sigguard_set(sigset_t *set);
/* Block them (before any thread starts) and return a non-blocking
 * signalfd for them, or -errno. */
int		sigguard_open(void);
/* Whether pid is marked in pindir's `sigmark`: 1 (and *mark_ns), or 0.
 * *held is the map as first opened (-1 until then; the caller closes it):
 * looked up too, so a pin removed or replaced hides nothing. */
int		sigguard_marked(const char *pindir, int *held, uint32_t pid,
		    uint64_t *mark_ns);

#endif
