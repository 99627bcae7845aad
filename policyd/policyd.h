/*
 * paddock-policyd: private header.  Policy documents (libcommon/policy.c)
 * and the audit chain (libcommon/audit.c) are shared with paddockctl.
 *
 *   stage.c   the stage machine per workload and dimension (pure)
 *   main.c    commands, profiles and violations from Redis; state, policy
 *             revisions and audit entries to Redis (I/O)
 */
#ifndef PADDOCK_POLICYD_H
#define PADDOCK_POLICYD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "audit.h"
#include "conf.h"
#include "policy.h"
#include "wire.h"

/* ---------------------------------------------------------------- stage */

struct transition {
	int		 to;		/* target stage */
	int		 dim;		/* WD_*, or -1: every dimension */
	int		 promote;	/* 1 promote, 0 demote */
	int		 force;		/* accept a profile that is not stable */
	int		 automatic;	/* a rule, not a person: one step only */
	int		 profile_status; /* enum wire_status, or -1: no profile */
	int		 profile_complete; /* 0: partial (events not seen) */
};

/*
 * Apply t to cur into next, or explain in err why not (-EINVAL): a
 * promotion must raise and a demotion lower every dimension it touches;
 * promoting to alert or enforce needs a stable and complete profile
 * unless forced;
 * automation never skips a stage.
 */
int	stage_apply(const struct wstate *cur, const struct transition *t,
	    struct wstate *next, char *err, size_t errlen);

/*
 * A dimension moved into enforce by cur -> next whose policy would allow
 * nothing where "nothing" can only mean "not observed yet" (empty[d]: no
 * exec, no file or no syscall; every process execs, maps its libraries
 * and makes syscalls, while an empty egress list is a real baseline):
 * -EAGAIN and why in err, whatever --force says.  0 otherwise.
 */
int	stage_nodata(const struct wstate *cur, const struct wstate *next,
	    const int empty[WD_NDIMS], char *err, size_t errlen);

#endif
