/*
 * sigguard: which signals a Paddock daemon honours, and from whom.
 *
 * A workload turned hostile may try to stop Paddock by signalling its
 * daemons.  With BPF LSM the kernel refuses the signal (task_kill).
 * Without it the kernel cannot: at the entry of the kill, it kills the
 * sender and marks it, by tgid, in the pinned map `sigmark`, but the
 * signal is still delivered.  So daemons take their signals through a
 * signalfd (sigguard_open) and honour one only when
 *   - its origin was filled in by the kernel: kill(2), tgkill(2),
 *     pidfd_send_signal(2) (SI_USER, SI_TKILL) or the kernel itself
 *     (si_code > 0, SI_KERNEL).  A sigqueue(3) sender writes its own
 *     si_pid and could name anyone: refused (no Paddock tool sends one);
 *   - and the sender is not marked in `sigmark` within SIGGUARD_WINDOW_NS.
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
	SG_FORGED,	/* an origin the sender chose (sigqueue): unknown */
};

/* code: si_code; marked: the sender is in `sigmark` at mark_ns (CLOCK_MONOTONIC). */
enum sg_verdict	sigguard_judge(int code, int marked, uint64_t mark_ns,
		    uint64_t now_ns);
const char	*sigguard_why(enum sg_verdict v);

/* The signals a daemon takes by signalfd: every one whose default action
 * ends the process and that a handler can take. */
void		sigguard_set(sigset_t *set);
/* Block them (before any thread starts) and return a non-blocking
 * signalfd for them, or -errno. */
int		sigguard_open(void);
/* Whether pid is marked in pindir's `sigmark`: 1 (and *mark_ns), 0, or
 * -errno when the map cannot be read (no enforcer ran on this host). */
int		sigguard_marked(const char *pindir, uint32_t pid,
		    uint64_t *mark_ns);

#endif
