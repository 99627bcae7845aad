/*
 * sigguard: see sigguard.h.
 */
#include <sys/signalfd.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "sigguard.h"

enum sg_verdict
sigguard_judge(int signo, int code, int marked, uint64_t mark_ns,
    uint64_t now_ns)
{
	/* kill(2)-like calls carry an origin the kernel filled in (it
	 * refuses SI_USER and SI_TKILL to another process's sigqueue; pid 0
	 * is a sender outside our pid namespace, as `docker stop`).
	 * SI_KERNEL: the terminal's ^C, a hangup, a limit; but not SIGIO,
	 * which an fd's F_SETOWN makes the kernel send.  Refused: sigqueue
	 * and its kin (si_code < 0), and F_SETSIG's (si_code POLL_*). */
	if (code != SI_USER && code != SI_TKILL &&
	    !(code == SI_KERNEL && signo != SIGIO))
		return SG_ORIGIN;
	if (marked && now_ns >= mark_ns && now_ns - mark_ns < SIGGUARD_WINDOW_NS)
		return SG_MARKED;
	return SG_HONOUR;
}

const char *
sigguard_why(enum sg_verdict v)
{
	switch (v) {
	case SG_HONOUR:
		return "honoured";
	case SG_MARKED:
		return "its sender is a workload the kernel caught signalling "
		    "Paddock";
	case SG_ORIGIN:
		return "its origin is not one the kernel vouches for "
		    "(sigqueue, or an fd's F_SETOWN)";
	}
	return "?";
}

void
sigguard_set(sigset_t *set)
{
	static const int sigs[] = {
		SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS,
		SIGFPE, SIGUSR1, SIGSEGV, SIGUSR2, SIGALRM, SIGTERM, SIGSTKFLT,
		SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSYS,
	};
	size_t i;
	int s;

	sigemptyset(set);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(set, sigs[i]);
	for (s = SIGRTMIN; s <= SIGRTMAX; s++)
		sigaddset(set, s);
}

int
sigguard_open(void)
{
	sigset_t set;
	int fd;

	sigguard_set(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	if ((fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		return -errno;
	return fd;
}

/* 1 and *ns when fd's map holds pid. */
static int
lookup(int fd, uint32_t pid, uint64_t *ns)
{
	return fd >= 0 && bpf_map_lookup_elem(fd, &pid, ns) == 0;
}

int
sigguard_marked(const char *pindir, int *held, uint32_t pid,
    uint64_t *mark_ns)
{
	LIBBPF_OPTS(bpf_obj_get_opts, ro, .file_flags = BPF_F_RDONLY);
	char path[512];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", pindir, SIGGUARD_MAP);
	fd = bpf_obj_get_opts(path, &ro);	/* read-only: CAP_BPF and read
						 * access to the pin suffice */
	if (*held < 0 && fd >= 0) {
		*held = fd;
		fd = -1;
	}
	rc = lookup(*held, pid, mark_ns) || lookup(fd, pid, mark_ns);
	if (fd >= 0)
		close(fd);
	return rc;
}
