/*
 * self: Paddock's own processes, which no collector may observe as (or
 * count into) a workload.
 *
 * Each daemon registers itself in Redis (daemon.c): in the hash
 * `P daemons:<host>`, field `<daemon>/<instance>` (`profiled/0`), value
 * `<pid> <start>`, where start is the process's start time in clock ticks
 * since boot (/proc/<pid>/stat, field 22).  Only Paddock's daemons can
 * write there (Redis users), and the start time pins the entry to that
 * very process: a pid used again by anyone else does not match.  collectd
 * reads the hash and leaves the processes that match out (collectd/quiet.c
 * and bpf/collect.bpf.c).
 */
#ifndef PADDOCK_SELF_H
#define PADDOCK_SELF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Start time of pid in clock ticks since boot, from <procfs>/<pid>/stat. */
int	self_start(const char *procfs, pid_t pid, uint64_t *start);
/* "<pid> <start>" of this process, for `P daemons:<host>`. */
int	self_entry(char *buf, size_t len);
/*
 * The pid of an entry when it names a live process with the start time it
 * was registered with: 0, -EINVAL (not an entry) or -ESRCH (gone, or the
 * pid is another process's now).
 */
int	self_check(const char *procfs, const char *val, size_t len,
	    uint32_t *pid);

#endif
