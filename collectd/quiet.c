/*
 * quiet: Paddock's own daemons, left out of what the collector observes.
 *
 * profiled reads other workloads' files to confirm what it discovers
 * (package metadata, model headers), enforced reads /proc, policyd and
 * the daemons talk to Redis: none of it is a workload's behaviour, and
 * counted into the cgroup the daemons run in (the host's root slice under
 * `paddockctl up`), it made that cgroup an "AI workload".  The daemons
 * register in `P daemons:<host>` (libcommon/self.h); quiet_parse() keeps
 * the entries that name a live process with the start time it registered,
 * and main.c hands their pids to the kernel programs (kern_set_quiet) and
 * to the /proc seeding (collect_quiet), then writes the pids it leaves out
 * in the hash's field `quiet` (quiet_list): a daemon starting waits (a
 * little) for its pid there before it does anything a collector would
 * see.  Pure but for the /proc reads.
 *
 * What is trusted, and why: only Paddock's daemons write that hash (its
 * Redis users; a guarded workload cannot reach Redis at all), and the
 * start time pins an entry to the process that wrote it.  A workload
 * that runs a daemon's binary itself is observed like any process.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "collectd.h"
#include "self.h"

int
quiet_parse(const redisReply *r, const char *procfs, uint32_t self,
    uint32_t *pids, int max, char *names, size_t len)
{
	size_t i, used = 0;
	uint32_t pid;
	int n = 0, w;

	if (len > 0)
		names[0] = '\0';
	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return -EPROTO;
	for (i = 0; i + 1 < r->elements && n < max; i += 2) {
		const redisReply *f = r->element[i], *v = r->element[i + 1];

		if (f->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING ||
		    strcmp(f->str, "quiet") == 0 ||
		    self_check(procfs, v->str, v->len, &pid) < 0 || pid == self)
			continue;
		pids[n++] = pid;
		w = snprintf(names + used, len - used, "%s%.*s %u",
		    used ? ", " : "", (int)f->len, f->str, pid);
		if (w > 0 && used + (size_t)w < len)
			used += (size_t)w;
	}
	return n;
}

int
quiet_list(uint32_t self, const uint32_t *pids, int n, char *buf, size_t len)
{
	size_t used;
	int i, w;

	if ((w = snprintf(buf, len, "%u", self)) < 0 || (size_t)w >= len)
		return -ENOSPC;
	used = (size_t)w;
	for (i = 0; i < n; i++) {
		if ((w = snprintf(buf + used, len - used, " %u", pids[i])) < 0 ||
		    (size_t)w >= len - used)
			return -ENOSPC;
		used += (size_t)w;
	}
	return 0;
}

const char *
quiet_field(const redisReply *r, size_t *len)
{
	size_t i;

	for (i = 0; r != NULL && r->type == REDIS_REPLY_ARRAY &&
	    i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(r->element[i]->str, "quiet") == 0 &&
		    r->element[i + 1]->type == REDIS_REPLY_STRING) {
			*len = r->element[i + 1]->len;
			return r->element[i + 1]->str;
		}
	return NULL;
}
