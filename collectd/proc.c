/*
 * proc: the collector's process table, and reading /proc for the seed.
 *
 * The table is fed by the kernel's fork/exec/exit records, so it knows
 * every process, however short-lived, with its parent and executable.  An
 * exited process stays for a while (keep_ns) because events about it, and
 * lineages through it, may still be in flight.  Executable paths are cached
 * by (device, inode), since the kernel sends a path only the first time a
 * workload runs a binary under a given parent.
 *
 * proc_read() is the only I/O here: it reads /proc/PID/{stat,exe,cmdline,
 * status,cgroup} for processes that were running before the collector.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectd.h"

static void
proc_free(void *v)
{
	struct proc *p = v;

	free(p->exe);
	free(p->args);
	free(p);
}

int
ptable_init(struct ptable *pt)
{
	if (tab_init(&pt->procs, 4096) < 0)
		return -ENOMEM;
	if (tab_init(&pt->exes, 1024) < 0) {
		tab_free(&pt->procs, NULL);
		return -ENOMEM;
	}
	return 0;
}

void
ptable_free(struct ptable *pt)
{
	tab_free(&pt->procs, proc_free);
	tab_free(&pt->exes, free);
}

struct proc *
ptable_get(struct ptable *pt, uint32_t pid)
{
	return tab_get(&pt->procs, pid);
}

struct proc *
ptable_new(struct ptable *pt, uint32_t pid, uint32_t ppid, uint64_t cgid)
{
	struct proc *p, *old;
	int err = 0;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->pid = pid;
	p->ppid = ppid;
	p->cgid = cgid;
	/* A fork inherits the parent's image until it execs. */
	if ((old = tab_get(&pt->procs, ppid)) != NULL && old->exe != NULL) {
		p->exe = strdup(old->exe);
		p->args = old->args ? strdup(old->args) : NULL;
	}
	old = tab_put(&pt->procs, pid, p, &err);
	if (err < 0) {
		proc_free(p);
		return NULL;
	}
	if (old != NULL)
		proc_free(old);		/* pid reused */
	return p;
}

int
ptable_set_exe(struct proc *p, const char *exe, const char *args)
{
	char *e = strdup(exe), *a = args ? strdup(args) : NULL;

	if (e == NULL || (args != NULL && a == NULL)) {
		free(e);
		free(a);
		return -ENOMEM;
	}
	free(p->exe);
	free(p->args);
	p->exe = e;
	p->args = a;
	return 0;
}

void
ptable_exit(struct ptable *pt, uint32_t pid, uint64_t now_ns)
{
	struct proc *p = tab_get(&pt->procs, pid);

	if (p != NULL)
		p->dead_ns = now_ns ? now_ns : 1;
}

struct reap {
	uint64_t now, keep;
};

static int
reap_one(void *v, void *arg)
{
	struct proc *p = v;
	struct reap *r = arg;

	if (p->dead_ns == 0 || r->now - p->dead_ns < r->keep)
		return 0;
	proc_free(p);
	return 1;
}

void
ptable_reap(struct ptable *pt, uint64_t now_ns, uint64_t keep_ns)
{
	struct reap r = { now_ns, keep_ns };

	tab_sweep(&pt->procs, reap_one, &r);
}

static uint64_t
exe_key(uint64_t dev, uint64_t ino)
{
	return tab_hash(&ino, sizeof(ino), tab_hash(&dev, sizeof(dev), 0));
}

const char *
ptable_exe_path(struct ptable *pt, uint64_t dev, uint64_t ino)
{
	return tab_get(&pt->exes, exe_key(dev, ino));
}

int
ptable_exe_remember(struct ptable *pt, uint64_t dev, uint64_t ino,
    const char *path)
{
	char *s = strdup(path), *old;
	int err = 0;

	if (s == NULL)
		return -ENOMEM;
	/* Bounded: a host runs a few thousand distinct binaries at most. */
	if (pt->exes.n > 65536) {
		tab_free(&pt->exes, free);
		if (tab_init(&pt->exes, 1024) < 0) {
			free(s);
			return -ENOMEM;
		}
	}
	old = tab_put(&pt->exes, exe_key(dev, ino), s, &err);
	free(old);
	if (err < 0) {
		free(s);
		return err;
	}
	return 0;
}

/* ------------------------------------------------------------- /proc */

static ssize_t
slurp(const char *path, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)got < len - 1 &&
	    (n = read(fd, buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got;
}

int
proc_read(const char *procfs, uint32_t pid, size_t argv_max,
    struct proc_seed *s)
{
	char path[128], buf[4096], *p;
	ssize_t n;

	memset(s, 0, sizeof(*s));
	s->pid = pid;
	snprintf(path, sizeof(path), "%s/%u/stat", procfs, pid);
	if ((n = slurp(path, buf, sizeof(buf))) <= 0)
		return -ENOENT;
	/* "pid (comm) S ppid ..." where comm may hold spaces and parens. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %u", &s->ppid) != 1)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/%u/exe", procfs, pid);
	if ((n = readlink(path, s->exe, sizeof(s->exe) - 1)) <= 0)
		return -ENOENT;		/* kernel thread, or gone */
	s->exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/%u/cmdline", procfs, pid);
	if (argv_max > sizeof(s->argv))
		argv_max = sizeof(s->argv);
	if ((n = slurp(path, s->argv, argv_max + 1)) > 0) {
		s->argv_len = (uint32_t)n;
		if ((size_t)n >= argv_max) {
			s->argv_trunc = 1;
			s->argv_len = (uint32_t)argv_max;
		}
		/* Keep whole strings only. */
		while (s->argv_len > 0 && s->argv[s->argv_len - 1] != '\0')
			s->argv_len--;
	}
	snprintf(path, sizeof(path), "%s/%u/status", procfs, pid);
	if (slurp(path, buf, sizeof(buf)) > 0 &&
	    (p = strstr(buf, "\nUid:")) != NULL)
		sscanf(p + 5, "%u %u", &s->uid, &s->euid);
	if (cgroup_path_of_pid((pid_t)pid, s->cgroup, sizeof(s->cgroup)) < 0)
		return -ENOENT;
	return 0;
}
