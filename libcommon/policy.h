/*
 * policy: least-privilege policy documents, shared by policyd (which
 * compiles and stores them), paddockctl (which checks an edited file before
 * sending it) and enforced (which loads the wire record).  See policy.c.
 */
#ifndef PADDOCK_POLICY_H
#define PADDOCK_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "conf.h"
#include "wire.h"

/* Stages are enum conf_stage: discovered < learning < alert < enforce. */
struct wstate {
	int		 dim[WD_NDIMS];	/* stage per exec, file, net, syscall */
};

/* The workload's stage: the lowest of its dimensions. */
int	wstate_stage(const struct wstate *s);
void	wstate_init(struct wstate *s, int stage);
/* The enforcement mode of a stage: off, alert or block. */
int	stage_mode(int stage);
/* "exec=alert file=alert net=enforce syscall=learning" */
void	wstate_text(const struct wstate *s, char *buf, size_t len);

/*
 * A policy document (JSON, printed as YAML):
 *   workload, revision, stages {exec file net syscall},
 *   exec [path], files [{path, mode}], egress [{dest, port, proto}],
 *   listeners [{addr, port, proto}], syscalls [name]
 * compiled from a profile view (the JSON of P prof:{W}:view) plus the
 * accepted entries (same shapes), in a stable order.
 */
json_t	*policy_compile(const char *workload, uint64_t rev, json_t *view,
	    json_t *accepted, const struct wstate *st);
/*
 * Accepted behaviour (the raw-entry JSON values of P prof:{W}:accepted)
 * shaped like a view, for policy_compile().
 */
/*
 * For people: wstate_text()'s "exec=alert file=alert net=alert syscall=alert
 * rev 3" as "alert rev 3", or "enforce (syscall=alert) rev 3" when they
 * differ; anything else as it is.  Returns out, or in itself.
 */
const char *policy_stages_compact(const char *in, char *out, size_t len);
json_t	*policy_accepted_view(const char *const *vals, size_t n);
/*
 * A violation as JSON, the shape stored in viol:{W} and printed by
 * `paddockctl violations -o json` (docs/wire-format.md).
 */
json_t	*policy_violation_json(const struct wire_violation *v, const char *id);
/*
 * Parse and validate a policy YAML text completely.  On success *out is
 * the document and 0 is returned; else -EINVAL with every problem found
 * (up to 10) as "name:line:col: problem" lines in err.
 */
int	policy_parse(const char *name, const char *text, json_t **out,
	    char *err, size_t errlen);
/*
 * Does the parsed policy doc allow everything in some dimension (exec or
 * files of every path, egress or listeners on every address and port,
 * every syscall)?  1 with the reasons in why, else 0.  Such a policy is applied
 * only with --force.
 */
int	policy_broad(json_t *doc, char *why, size_t len);
/* The wire record for enforced (modes from the stages; digest of yaml). */
int	policy_wire(json_t *doc, const char *yaml, struct wire_policy *p,
	    char *err, size_t errlen);
/* Stages out of a document (validated). */
void	policy_stages(json_t *doc, struct wstate *st);

#endif
