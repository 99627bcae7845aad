/*
 * stage: where each workload stands, per dimension.
 *
 *   discovered -> learning -> alert -> enforce
 *
 * A workload's four dimensions (exec, file, net, syscall) each have a
 * stage; the workload's own stage is the lowest of them, so "enforce" means
 * every dimension blocks.  People may move a stage by any distance, up
 * (promote) or down (demote); promoting into alert or enforce compiles the
 * profile into a policy, so it needs a stable and complete profile (none
 * of its events lost lately) unless forced.  Rules
 * move one step at a time and never skip a stage.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policyd.h"

int
stage_apply(const struct wstate *cur, const struct transition *t,
    struct wstate *next, char *err, size_t errlen)
{
	int d, lo = t->dim < 0 ? 0 : t->dim, hi = t->dim < 0 ? WD_NDIMS - 1 :
	    t->dim;

	*next = *cur;
	if (t->to < CONF_STAGE_DISCOVERED || t->to > CONF_STAGE_ENFORCE ||
	    t->dim >= WD_NDIMS) {
		snprintf(err, errlen, "no such stage or dimension");
		return -EINVAL;
	}
	for (d = lo; d <= hi; d++) {
		int from = cur->dim[d];

		if (t->promote && t->to <= from) {
			snprintf(err, errlen, "%s is already %s (promote moves "
			    "up; use demote to go to %s)", wire_dim_name(d),
			    conf_stage_names[from], conf_stage_names[t->to]);
			return -EINVAL;
		}
		if (!t->promote && t->to >= from) {
			snprintf(err, errlen, "%s is %s (demote moves down; use "
			    "promote to go to %s)", wire_dim_name(d),
			    conf_stage_names[from], conf_stage_names[t->to]);
			return -EINVAL;
		}
		if (t->automatic && (t->to - from > 1 || from - t->to > 1)) {
			snprintf(err, errlen, "automation never skips a stage "
			    "(%s is %s, not next to %s)", wire_dim_name(d),
			    conf_stage_names[from], conf_stage_names[t->to]);
			return -EINVAL;
		}
		next->dim[d] = t->to;
	}
	if (t->promote && t->to >= CONF_STAGE_ALERT && !t->force &&
	    t->profile_status >= 0 && !t->profile_complete) {
		snprintf(err, errlen, "the profile is partial: events of this "
		    "workload were not seen (lost, or no collector ran, or it "
		    "started before the collector), and a policy from it could "
		    "block what they were; paddockctl workloads says what and "
		    "when, and until when; or use --force");
		*next = *cur;
		return -EINVAL;
	}
	if (t->promote && t->to >= CONF_STAGE_ALERT && !t->force &&
	    t->profile_status != WS_STABLE) {
		snprintf(err, errlen, "the profile is %s, not stable: a policy "
		    "from it would alert on (or block) behaviour not learnt yet; "
		    "wait until paddockctl workloads says stable, or use "
		    "--force", t->profile_status < 0 ? "not derived yet" :
		    wire_status_name((unsigned)t->profile_status));
		*next = *cur;
		return -EINVAL;
	}
	return 0;
}

int
stage_nodata(const struct wstate *cur, const struct wstate *next,
    const int empty[WD_NDIMS], char *err, size_t errlen)
{
	static const char *const what[WD_NDIMS] = {
		[WD_EXEC] = "no exec", [WD_FILE] = "no file",
		[WD_SYSCALL] = "no syscall set (the collector reads them "
		    "every collectd.syscall_interval)",
	};
	int d;

	for (d = 0; d < WD_NDIMS; d++)
		if (what[d] != NULL && empty[d] &&
		    next->dim[d] == CONF_STAGE_ENFORCE &&
		    cur->dim[d] != CONF_STAGE_ENFORCE) {
			snprintf(err, errlen, "%s: %s observed yet; a policy "
			    "allowing nothing would kill the workload's first "
			    "%s. --force overrules stability, never missing "
			    "data: let it run until the profile has %s, or "
			    "promote the other dimensions with --dim; nothing "
			    "changed", wire_dim_name(d), what[d],
			    d == WD_SYSCALL ? "syscall" : d == WD_EXEC ?
			    "exec" : "open", d == WD_SYSCALL ? "syscalls" :
			    d == WD_EXEC ? "execs" : "files");
			return -EAGAIN;
		}
	return 0;
}
