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
sigguard_judge(int code, int marked, uint64_t mark_ns, uint64_t now_ns)
{
	/* The kernel refuses si_code >= 0 and SI_TKILL from another process's
	 * sigqueue: only these carry an origin the sender did not choose. */
	if (code < 0 && code != SI_TKILL)
		return SG_FORGED;
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
	case SG_FORGED:
		return "its origin was chosen by the sender (sigqueue)";
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

int
sigguard_marked(const char *pindir, uint32_t pid, uint64_t *mark_ns)
{
	char path[512];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", pindir, SIGGUARD_MAP);
	if ((fd = bpf_obj_get(path)) < 0)
		return -errno;
	rc = bpf_map_lookup_elem(fd, &pid, mark_ns) == 0 ? 1 :
	    errno == ENOENT ? 0 : -errno;
	close(fd);
	return rc;
}
