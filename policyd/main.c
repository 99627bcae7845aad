/*
 * paddock-policyd: the policy engine.  Evidence becomes enforcement here.
 *
 * Reads, in the consumer group "policyd":
 *   commands     promote, demote, apply, accept from paddockctl; each gets
 *                one reply on P reply:<id>
 *   profiles     new workloads (they start in policyd.initial_stage) and
 *                profile readiness, for the automatic rules
 *   violations   kept per workload until accepted
 *   policy-acks  which revision each host's enforcer runs
 * Writes: P state:{W} (stages), P policy:{W} (revisions as YAML), the
 * policies stream (the record enforced loads), and the audit trail.
 *
 * State changes are rare (people and slow rules), so they run on a
 * blocking connection, one at a time, in the order they arrive; each is
 * appended to the audit trail, a hash chain that this daemon alone writes
 * (run one policyd per Redis) and resumes from its last entry on start.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "daemon.h"
#include "jyaml.h"
#include "log.h"
#include "opauth.h"
#include "rstream.h"
#include "sysnames.h"
#include "policyd.h"

struct engine {
	struct daemon	*d;
	redisContext	*c;		/* blocking, for state changes */
	char		 k_cmd[160], k_prof[160], k_viol[160], k_ack[160];
	char		 k_pol[160], k_audit[160], k_wl[160], k_vidx[160];
	struct wire_audit last;		/* head of the chain */
	int		 have_last;
	uint64_t	 last_rules;
	uint64_t	 changes, rejected, violations;
};

static uint64_t
now_ms(void)
{
	return daemon_now_ns() / 1000000ull;
}

static void
key_of(struct engine *e, const char *what, const char *w, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s%s:{%s}", e->d->conf.redis.prefix, what, w);
}

/* The blocking connection, (re)made on demand; NULL while Redis is away. */
static redisContext *
conn(struct engine *e)
{
	char err[256];

	if (e->c != NULL && e->c->err == 0)
		return e->c;
	if (e->c != NULL)
		redisFree(e->c);
	e->c = rstream_connect_sync(e->d->conf.redis.url, e->d->conf.redis.user,
	    e->d->conf.redis.password, 2000, err, sizeof(err));
	if (e->c == NULL)
		log_warnx("redis (state): %s", err);
	return e->c;
}

static redisReply *
cmd(struct engine *e, const char *fmt, ...)
{
	redisContext *c = conn(e);
	redisReply *r;
	va_list ap;

	if (c == NULL)
		return NULL;
	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	if (r == NULL)
		log_warnx("redis (state): %s", c->errstr);
	return r;
}

/* ---------------------------------------------------------------- state */

static int
state_get(struct engine *e, const char *w, struct wstate *ws, uint64_t *rev,
    int *exists)
{
	char k[WIRE_NAME_MAX + 80];
	redisReply *r;
	size_t i;
	int d, s;

	wstate_init(ws, e->d->conf.policyd.initial_stage);
	*rev = 0;
	*exists = 0;
	key_of(e, "state", w, k, sizeof(k));
	if ((r = cmd(e, "HGETALL %s", k)) == NULL)
		return -EIO;
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements;
	    i += 2) {
		const char *f = r->element[i]->str, *v = r->element[i + 1]->str;

		*exists = 1;
		if (strcmp(f, "rev") == 0)
			*rev = strtoull(v, NULL, 10);
		for (d = 0; d < WD_NDIMS; d++)
			if (strncmp(f, "stage:", 6) == 0 &&
			    strcmp(f + 6, wire_dim_name((unsigned)d)) == 0)
				for (s = 0; conf_stage_names[s] != NULL; s++)
					if (strcmp(v, conf_stage_names[s]) == 0)
						ws->dim[d] = s;
	}
	freeReplyObject(r);
	return 0;
}

static int
state_put(struct engine *e, const char *w, const struct wstate *ws,
    uint64_t rev)
{
	char k[WIRE_NAME_MAX + 80], t[24], rv[24];
	redisReply *r;

	key_of(e, "state", w, k, sizeof(k));
	snprintf(t, sizeof(t), "%llu", (unsigned long long)now_ms());
	snprintf(rv, sizeof(rv), "%llu", (unsigned long long)rev);
	r = cmd(e, "HSET %s stage %s stage:exec %s stage:file %s stage:net %s "
	    "stage:syscall %s since_ms %s rev %s", k,
	    conf_stage_names[wstate_stage(ws)], conf_stage_names[ws->dim[0]],
	    conf_stage_names[ws->dim[1]], conf_stage_names[ws->dim[2]],
	    conf_stage_names[ws->dim[3]], t, rv);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		freeReplyObject(r);
		return -EIO;
	}
	freeReplyObject(r);
	return 0;
}

/* ---------------------------------------------------------------- audit */

static int
audit(struct engine *e, const char *actor, const char *w, const char *action,
    const char *before, const char *after, const char *reason)
{
	struct wire_audit a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.ts = daemon_now_ns();
	a.actor = (char *)actor;
	snprintf(a.workload, sizeof(a.workload), "%s", w);
	a.action = (char *)action;
	a.before = (char *)(before ? before : "");
	a.after = (char *)(after ? after : "");
	a.reason = (char *)(reason ? reason : "");
	if ((rc = audit_chain(&a, e->have_last ? &e->last : NULL)) < 0)
		return rc;
	if (conn(e) == NULL)
		return -EIO;
	if ((rc = stream_publish_sync(e->c, e->k_audit, 0, WK_AUDIT, &a, w,
	    e->d->host, a.ts, NULL, 0)) < 0) {
		log_warnx("audit append failed for %s %s", action, w);
		return rc;
	}
	e->last.seq = a.seq;
	snprintf(e->last.hash, sizeof(e->last.hash), "%s", a.hash);
	e->have_last = 1;
	return 0;
}

/* Resume the chain from the trail's last entry. */
static int
audit_resume(struct engine *e)
{
	redisReply *r;
	struct wire_audit a;
	char err[256];
	size_t i;
	int rc = 0;

	if ((r = cmd(e, "XREVRANGE %s + - COUNT 1", e->k_audit)) == NULL)
		return -EIO;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
		redisReply *f = r->element[0]->element[1];

		for (i = 0; i + 1 < f->elements; i += 2) {
			if (strcmp(f->element[i]->str, "msgpack") != 0)
				continue;
			if (wire_decode(WK_AUDIT, f->element[i + 1]->str,
			    f->element[i + 1]->len, &a, err, sizeof(err)) < 0) {
				log_warnx("audit: last entry unreadable: %s", err);
				rc = -EPROTO;
				break;
			}
			e->last.seq = a.seq;
			snprintf(e->last.hash, sizeof(e->last.hash), "%s", a.hash);
			e->have_last = 1;
			wire_free(WK_AUDIT, &a);
		}
	}
	freeReplyObject(r);
	if (e->have_last)
		log_info("audit trail resumes after seq %llu",
		    (unsigned long long)e->last.seq);
	return rc;
}

/* ---------------------------------------------------------------- policy */

/* Accepted behaviour, shaped like a view (see policy_compile). */
static json_t *
accepted_view(struct engine *e, const char *w)
{
	char k[WIRE_NAME_MAX + 80];
	const char **vals;
	redisReply *r;
	json_t *v;
	size_t i, n = 0;

	snprintf(k, sizeof(k), "%sprof:{%s}:accepted", e->d->conf.redis.prefix,
	    w);
	if ((r = cmd(e, "HVALS %s", k)) == NULL)
		return policy_accepted_view(NULL, 0);
	vals = calloc(r->elements + 1, sizeof(*vals));
	for (i = 0; vals != NULL && r->type == REDIS_REPLY_ARRAY &&
	    i < r->elements; i++)
		vals[n++] = r->element[i]->str;
	v = policy_accepted_view(vals, n);
	free(vals);
	freeReplyObject(r);
	return v;
}

/*
 * Store doc as revision rev of w (YAML in P policy:{W}) and publish the
 * record enforced loads.
 */
static int
policy_store(struct engine *e, const char *w, json_t *doc, uint64_t rev,
    char *err, size_t errlen)
{
	char k[WIRE_NAME_MAX + 80], rv[24];
	struct wire_policy p;
	redisReply *r;
	char *yaml;
	int rc;

	json_object_set_new(doc, "revision", json_integer((json_int_t)rev));
	if ((yaml = jyaml_text(doc)) == NULL) {
		snprintf(err, errlen, "cannot print the policy");
		return -ENOMEM;
	}
	if ((rc = policy_wire(doc, yaml, &p, err, errlen)) < 0) {
		free(yaml);
		return rc;
	}
	p.ts = daemon_now_ns();
	key_of(e, "policy", w, k, sizeof(k));
	snprintf(rv, sizeof(rv), "%llu", (unsigned long long)rev);
	r = cmd(e, "HSET %s %s %s current %s", k, rv, yaml, rv);
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		rc = -EIO;
	freeReplyObject(r);
	if (rc == 0 && (rc = stream_publish_sync(e->c, e->k_pol,
	    e->d->conf.redis.maxlen, WK_POLICY, &p, w, e->d->host, p.ts, NULL,
	    0)) < 0)
		snprintf(err, errlen, "cannot publish the policy");
	wire_free(WK_POLICY, &p);
	free(yaml);
	return rc;
}

static int
profile_status(struct engine *e, const char *w, uint64_t *risk,
    int *complete)
{
	char k[WIRE_NAME_MAX + 80];
	redisReply *r;
	int st = -1, i;

	*risk = 0;
	*complete = 0;
	snprintf(k, sizeof(k), "%sprof:{%s}:meta", e->d->conf.redis.prefix, w);
	if ((r = cmd(e, "HMGET %s status risk complete", k)) == NULL)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 3) {
		*complete = r->element[2]->str != NULL &&
		    strcmp(r->element[2]->str, "1") == 0;
		for (i = 0; r->element[0]->str != NULL && i < WS__MAX; i++)
			if (strcmp(r->element[0]->str, wire_status_name(
			    (unsigned)i)) == 0)
				st = i;
		if (r->element[1]->str != NULL)
			*risk = strtoull(r->element[1]->str, NULL, 10);
	}
	freeReplyObject(r);
	return st;
}

static json_t *
profile_view(struct engine *e, const char *w)
{
	char k[WIRE_NAME_MAX + 80];
	json_error_t jerr;
	redisReply *r;
	json_t *v = NULL;

	snprintf(k, sizeof(k), "%sprof:{%s}:view", e->d->conf.redis.prefix, w);
	if ((r = cmd(e, "GET %s", k)) != NULL && r->type == REDIS_REPLY_STRING)
		v = json_loads(r->str, 0, &jerr);
	freeReplyObject(r);
	return v ? v : json_object();
}

static int
known(struct engine *e, const char *w)
{
	redisReply *r = cmd(e, "SISMEMBER %s %s", e->k_wl, w);
	int k = r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == 1;

	freeReplyObject(r);
	return k;
}

/*
 * An operator looked at w: `paddockctl review`, or a promotion or demotion
 * a person asked for.  Shadow AI is AI no operator has reviewed
 * (`paddockctl workloads --shadow`); a rule's automatic move is no review.
 */
static void
mark_reviewed(struct engine *e, const char *w, const char *user)
{
	char k[WIRE_NAME_MAX + 80], ms[24];

	key_of(e, "state", w, k, sizeof(k));
	snprintf(ms, sizeof(ms), "%llu", (unsigned long long)now_ms());
	freeReplyObject(cmd(e, "HSET %s reviewed_ms %s reviewed_by %s", k, ms,
	    user));
}

/*
 * Move w through t and compile a new policy revision from its profile and
 * accepted behaviour.  The message says what happened or why not.
 */
static int
transition(struct engine *e, const char *w, struct transition *t,
    const char *actor, const char *reason, char *msg, size_t msglen)
{
	struct wstate cur, next;
	uint64_t rev, risk;
	json_t *view, *acc, *doc;
	char before[128], after[160], err[512];
	int exists, rc;

	if ((rc = state_get(e, w, &cur, &rev, &exists)) < 0) {
		snprintf(msg, msglen, "Redis is not answering");
		return rc;
	}
	t->profile_status = profile_status(e, w, &risk, &t->profile_complete);
	if ((rc = stage_apply(&cur, t, &next, err, sizeof(err))) < 0) {
		snprintf(msg, msglen, "%s: %s", w, err);
		return rc;
	}
	view = profile_view(e, w);
	acc = accepted_view(e, w);
	doc = policy_compile(w, rev + 1, view, acc, &next);
	{
		int empty[WD_NDIMS] = {
			[WD_EXEC] = json_array_size(json_object_get(doc,
			    "exec")) == 0,
			[WD_FILE] = json_array_size(json_object_get(doc,
			    "files")) == 0,
			[WD_SYSCALL] = json_array_size(json_object_get(doc,
			    "syscalls")) == 0,
		};

		if ((rc = stage_nodata(&cur, &next, empty, err,
		    sizeof(err))) < 0) {
			/* A person is told, and the trail says so; a rule
			 * simply waits for the data (it retries each
			 * second: no trail entry, no warning each time). */
			snprintf(msg, msglen, "%s: %s", w, err);
			if (!t->automatic) {
				audit(e, actor, w, "refused", t->promote ?
				    "promote" : "demote", msg, reason);
				log_warnx("%s by %s refused: %s", t->promote ?
				    "promote" : "demote", actor, msg);
			}
			json_decref(view);
			json_decref(acc);
			json_decref(doc);
			return rc;
		}
	}
	rc = policy_store(e, w, doc, rev + 1, err, sizeof(err));
	json_decref(view);
	json_decref(acc);
	json_decref(doc);
	if (rc < 0 || (rc = state_put(e, w, &next, rev + 1)) < 0) {
		snprintf(msg, msglen, "%s: %s", w, rc == -EIO ? "Redis is not "
		    "answering" : err);
		return rc;
	}
	wstate_text(&cur, before, sizeof(before));
	wstate_text(&next, after, sizeof(after));
	snprintf(after + strlen(after), sizeof(after) - strlen(after),
	    " rev %llu", (unsigned long long)(rev + 1));
	audit(e, actor, w, t->promote ? "promote" : "demote", before, after,
	    reason);
	if (!t->automatic)
		mark_reviewed(e, w, actor);
	e->changes++;
	{
		char b[300], a[300];

		snprintf(msg, msglen, "%s: %s -> %s", w,
		    policy_stages_compact(before, b, sizeof(b)),
		    policy_stages_compact(after, a, sizeof(a)));
	}
	log_info("%s by %s: %s", t->promote ? "promote" : "demote", actor, msg);
	return 0;
}

/* ---------------------------------------------------------------- commands */

static int
op_stage(struct engine *e, const struct wire_command *c, int promote,
    char *msg, size_t msglen)
{
	struct transition t = { .promote = promote, .dim = -1,
	    .force = c->force };
	char actor[128];
	int k;

	t.to = -1;
	for (k = 0; c->arg && conf_stage_names[k] != NULL; k++)
		if (strcmp(c->arg, conf_stage_names[k]) == 0)
			t.to = k;
	if (t.to < 0) {
		snprintf(msg, msglen, "unknown stage \"%s\" (discovered, "
		    "learning, alert, enforce)", c->arg ? c->arg : "");
		return -EINVAL;
	}
	if (c->dim != NULL && c->dim[0] != '\0') {
		t.dim = wire_name_lookup(wire_dim_names, c->dim);
		if (t.dim < 0 || t.dim >= WD_NDIMS) {
			snprintf(msg, msglen, "unknown dimension \"%s\" (exec, "
			    "file, net, syscall)", c->dim);
			return -EINVAL;
		}
	}
	snprintf(actor, sizeof(actor), "operator:%s", c->user ? c->user : "?");
	return transition(e, c->workload, &t, actor, c->reason, msg, msglen);
}

static int
op_apply(struct engine *e, const struct wire_command *c, char *msg,
    size_t msglen)
{
	struct wstate cur, next;
	char err[2048], actor[128], before[160], after[160], forced[2400] = "";
	uint64_t rev;
	json_t *doc, *frev;
	int exists, rc;

	if ((rc = policy_parse(c->arg && c->arg[0] ? c->arg : "policy",
	    c->text ? c->text : "", &doc, err, sizeof(err))) < 0) {
		snprintf(msg, msglen, "%s\nnothing changed", err);
		return rc;
	}
	if (strcmp(json_string_value(json_object_get(doc, "workload")),
	    c->workload) != 0) {
		snprintf(msg, msglen, "%s: the file is the policy of \"%s\", "
		    "not of \"%s\"; nothing changed", c->arg ? c->arg : "policy",
		    json_string_value(json_object_get(doc, "workload")),
		    c->workload);
		json_decref(doc);
		return -EINVAL;
	}
	if ((rc = state_get(e, c->workload, &cur, &rev, &exists)) < 0) {
		snprintf(msg, msglen, "%s: not applied (Redis is not "
		    "answering)", c->workload);
		json_decref(doc);
		return rc;
	}
	/* Asked twice: a file edited from an older revision (someone else's
	 * change since would be undone), and a policy that allows
	 * everything in a dimension.  --force overrules both, said why. */
	frev = json_object_get(doc, "revision");
	if (!c->force && frev != NULL &&
	    (uint64_t)json_integer_value(frev) != rev) {
		snprintf(msg, msglen, "%s: the file was edited from revision "
		    "%lld but revision %llu is live; applying it would undo "
		    "what changed since (see paddockctl policy diff %s %lld "
		    "%llu); edit the live one (paddockctl policy show) or "
		    "apply with --force; nothing changed", c->arg ? c->arg :
		    "policy", (long long)json_integer_value(frev),
		    (unsigned long long)rev, c->workload,
		    (long long)json_integer_value(frev),
		    (unsigned long long)rev);
		json_decref(doc);
		return -ESTALE;
	}
	if (policy_broad(doc, err, sizeof(err))) {
		if (!c->force) {
			snprintf(msg, msglen, "%s: allows everything in a "
			    "dimension: %s; apply with --force if that is "
			    "meant; nothing changed", c->arg ? c->arg :
			    "policy", err);
			json_decref(doc);
			return -EPERM;
		}
		snprintf(forced, sizeof(forced), "%s%sforced: %s", c->reason ?
		    c->reason : "", c->reason ? "; " : "", err);
	}
	if (c->force && frev != NULL &&
	    (uint64_t)json_integer_value(frev) != rev) {
		if (forced[0] == '\0' && c->reason != NULL)
			snprintf(forced, sizeof(forced), "%s", c->reason);
		snprintf(forced + strlen(forced), sizeof(forced) -
		    strlen(forced), "%sforced over revision %llu (the file "
		    "was edited from %lld)", forced[0] ? "; " : "",
		    (unsigned long long)rev,
		    (long long)json_integer_value(frev));
	}
	if ((policy_stages(doc, &next), 0) ||
	    (rc = policy_store(e, c->workload, doc, rev + 1, err,
	    sizeof(err))) < 0 ||
	    (rc = state_put(e, c->workload, &next, rev + 1)) < 0) {
		snprintf(msg, msglen, "%s: not applied (%s)", c->workload,
		    rc == -EIO ? "Redis is not answering" : err);
		json_decref(doc);
		return rc;
	}
	json_decref(doc);
	snprintf(actor, sizeof(actor), "operator:%s", c->user ? c->user : "?");
	snprintf(before, sizeof(before), "rev %llu", (unsigned long long)rev);
	wstate_text(&next, after, sizeof(after));
	snprintf(after + strlen(after), sizeof(after) - strlen(after),
	    " rev %llu", (unsigned long long)(rev + 1));
	audit(e, actor, c->workload, "policy-apply", before, after,
	    forced[0] ? forced : c->reason);
	e->changes++;
	snprintf(msg, msglen, "%s: applied as revision %llu", c->workload,
	    (unsigned long long)(rev + 1));
	return 0;
}

/* A violation becomes an accepted entry (the raw-entry JSON of profiled). */
static int
op_accept(struct engine *e, const struct wire_command *c, char *msg,
    size_t msglen)
{
	char k[WIRE_NAME_MAX + 80], w[WIRE_NAME_MAX], actor[128], what[600];
	redisReply *r;
	json_t *v, *ent;
	json_error_t jerr;
	struct wstate cur;
	uint64_t rev;
	const char *dim, *key;
	char *js;
	int exists, d;

	if ((r = cmd(e, "HGET %s %s", e->k_vidx, c->arg ? c->arg : "")) ==
	    NULL)
		return -EIO;
	if (r->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		snprintf(msg, msglen, "unknown violation \"%s\" (see paddockctl "
		    "violations)", c->arg ? c->arg : "");
		return -ENOENT;
	}
	snprintf(w, sizeof(w), "%s", r->str);
	freeReplyObject(r);
	key_of(e, "viol", w, k, sizeof(k));
	if ((r = cmd(e, "HGET %s %s", k, c->arg)) == NULL)
		return -EIO;
	v = r->type == REDIS_REPLY_STRING ? json_loads(r->str, 0, &jerr) : NULL;
	freeReplyObject(r);
	if (v == NULL) {
		snprintf(msg, msglen, "violation %s of %s is gone", c->arg, w);
		return -ENOENT;
	}
	if (json_is_true(json_object_get(v, "accepted"))) {
		snprintf(msg, msglen, "violation %s was already accepted", c->arg);
		json_decref(v);
		return 0;
	}
	if (json_integer_value(json_object_get(v, "mode")) & WM_PROTECT) {
		snprintf(msg, msglen, "violation %s is a workload reaching for "
		    "Paddock itself; it cannot be accepted", c->arg);
		json_decref(v);
		return -EPERM;
	}
	dim = json_string_value(json_object_get(v, "dimension"));
	d = wire_name_lookup(wire_dim_names, dim ? dim : "");
	key = d == WD_EXEC || d == WD_FILE ? json_string_value(json_object_get(v,
	    "path")) : d == WD_SYSCALL ? json_string_value(json_object_get(v,
	    "syscall_name")) : json_string_value(json_object_get(v, "name")) ?
	    json_string_value(json_object_get(v, "name")) : json_string_value(
	    json_object_get(v, "addr"));
	if (key == NULL || d < 0) {
		snprintf(msg, msglen, "violation %s has nothing to accept", c->arg);
		json_decref(v);
		return -EINVAL;
	}
	ent = json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:i, s:[s]}",
	    "d", (json_int_t)d, "k", key, "m", json_integer_value(
	    json_object_get(v, "mode")), "o", json_integer_value(json_object_get(v,
	    "port")), "t", json_integer_value(json_object_get(v, "proto")), "f",
	    (json_int_t)now_ms(), "l", (json_int_t)now_ms(), "c", 1, "h",
	    e->d->host);
	js = json_dumps(ent, JSON_COMPACT);
	json_decref(ent);
	snprintf(k, sizeof(k), "%sprof:{%s}:accepted", e->d->conf.redis.prefix,
	    w);
	r = cmd(e, "HSET %s %s %s", k, c->arg, js);
	freeReplyObject(r);
	free(js);
	json_object_set_new(v, "accepted", json_true());
	json_object_set_new(v, "accepted_by", json_string(c->user ? c->user :
	    "?"));
	js = json_dumps(v, JSON_COMPACT);
	key_of(e, "viol", w, k, sizeof(k));
	freeReplyObject(cmd(e, "HSET %s %s %s", k, c->arg, js));
	free(js);
	key_of(e, "state", w, k, sizeof(k));
	freeReplyObject(cmd(e, "HINCRBY %s unaccepted -1", k));
	snprintf(what, sizeof(what), "%s %s", dim, key);
	json_decref(v);
	/* A new revision with the behaviour allowed, same stages. */
	if (state_get(e, w, &cur, &rev, &exists) == 0) {
		json_t *view = profile_view(e, w), *acc = accepted_view(e, w);
		json_t *doc = policy_compile(w, rev + 1, view, acc, &cur);
		char err[256];

		if (policy_store(e, w, doc, rev + 1, err, sizeof(err)) == 0)
			state_put(e, w, &cur, rev + 1);
		json_decref(view);
		json_decref(acc);
		json_decref(doc);
	}
	snprintf(actor, sizeof(actor), "operator:%s", c->user ? c->user : "?");
	audit(e, actor, w, "accept", c->arg, what, c->reason);
	e->changes++;
	snprintf(msg, msglen, "%s: accepted %s (%s); policy revision %llu", w,
	    c->arg, what, (unsigned long long)(rev + 1));
	return 0;
}

/* review: an operator has looked at the workload (no stage changes). */
static int
op_review(struct engine *e, const struct wire_command *c, char *msg,
    size_t msglen)
{
	char actor[300];

	snprintf(actor, sizeof(actor), "operator:%s", c->user ? c->user : "?");
	mark_reviewed(e, c->workload, actor);
	audit(e, actor, c->workload, "review", "", "reviewed", c->reason);
	e->changes++;
	snprintf(msg, msglen, "%s: reviewed by %s", c->workload, actor);
	return 0;
}

static void
reply(struct engine *e, const struct wire_command *c, int rc,
    const char *msg)
{
	char k[200];
	struct wire_reply r;
	redisReply *x;

	memset(&r, 0, sizeof(r));
	snprintf(r.id, sizeof(r.id), "%s", c->id);
	r.ok = rc == 0;
	r.code = rc;
	r.message = (char *)msg;
	snprintf(k, sizeof(k), "%sreply:%s", e->d->conf.redis.prefix, c->id);
	if (conn(e) == NULL || stream_publish_sync(e->c, k, 0, WK_REPLY, &r,
	    c->workload, e->d->host, daemon_now_ns(), NULL, 0) < 0)
		return;
	x = cmd(e, "EXPIRE %s 300", k);
	freeReplyObject(x);
}

/*
 * A command is carried out only when an operator signed it with its key
 * (opauth.h: the identity the audit trail then records is vouched for,
 * never merely written by the sender), before its deadline (a command
 * its sender stopped waiting for is never applied later), and once (its
 * id, remembered until its deadline).  Anything else is refused, said to
 * the sender and written to the audit trail with the name it claimed.
 */
static int
refused(struct engine *e, const struct wire_command *c, char *msg,
    size_t msglen)
{
	char dir[600], why[768], k[200], actor[300], when[40];
	uint64_t now = daemon_now_ns();
	redisReply *r;
	int rc = 0;

	opauth_dir(e->d->conf.state_dir, dir, sizeof(dir));
	if (opauth_verify(c, dir, why, sizeof(why)) < 0) {
		snprintf(msg, msglen, "refused: %s; nothing changed", why);
		rc = -EACCES;
	} else if (c->deadline == 0 || now > c->deadline) {
		wire_time_iso(c->deadline, when, sizeof(when));
		snprintf(msg, msglen, "refused: it expired at %s, before it "
		    "could be carried out; nothing changed", when);
		rc = -ETIMEDOUT;
	} else {
		snprintf(k, sizeof(k), "%scmd-seen:%s", e->d->conf.redis.prefix,
		    c->id);
		r = cmd(e, "SET %s 1 NX PX %llu", k, (unsigned long long)
		    ((c->deadline - now) / 1000000ull + 1000));
		if (r == NULL)
			return -EIO;
		if (r->type == REDIS_REPLY_NIL) {
			snprintf(msg, msglen, "refused: command %s was carried "
			    "out already (a replay); nothing changed", c->id);
			rc = -EALREADY;
		}
		freeReplyObject(r);
	}
	if (rc < 0) {
		snprintf(actor, sizeof(actor), "%s:%s", rc == -EACCES ?
		    "unauthenticated" : "operator", c->user ? c->user : "?");
		audit(e, actor, c->workload[0] ? c->workload : "-", "refused",
		    c->op, msg, c->reason);
		log_warnx("%s %s from %s: %s", c->op, c->workload, actor, msg);
	}
	return rc;
}

static int
on_command(void *arg, const struct rs_msg *m, char *err, size_t errlen)
{
	struct engine *e = arg;
	struct wire_command c;
	char msg[4096] = "";
	int rc;

	if ((rc = wire_decode(WK_COMMAND, m->body, m->len, &c, err,
	    errlen)) < 0)
		return rc == -ENOMEM ? -EAGAIN : rc;
	if (conn(e) == NULL) {
		wire_free(WK_COMMAND, &c);
		return -EAGAIN;
	}
	if ((rc = refused(e, &c, msg, sizeof(msg))) < 0) {
		e->rejected++;
		reply(e, &c, rc, msg);
		wire_free(WK_COMMAND, &c);
		return 0;
	}
	if (strcmp(c.op, "accept") != 0 && !known(e, c.workload)) {
		snprintf(msg, sizeof(msg), "unknown workload \"%s\" (see "
		    "paddockctl workloads)", c.workload);
		rc = -ENOENT;
	} else if (strcmp(c.op, "promote") == 0)
		rc = op_stage(e, &c, 1, msg, sizeof(msg));
	else if (strcmp(c.op, "demote") == 0)
		rc = op_stage(e, &c, 0, msg, sizeof(msg));
	else if (strcmp(c.op, "apply") == 0)
		rc = op_apply(e, &c, msg, sizeof(msg));
	else if (strcmp(c.op, "accept") == 0)
		rc = op_accept(e, &c, msg, sizeof(msg));
	else if (strcmp(c.op, "review") == 0)
		rc = op_review(e, &c, msg, sizeof(msg));
	else {
		snprintf(msg, sizeof(msg), "unknown operation \"%s\"", c.op);
		rc = -EOPNOTSUPP;
	}
	if (rc == -EIO) {
		wire_free(WK_COMMAND, &c);
		return -EAGAIN;	/* Redis went away mid-way: retry */
	}
	if (rc < 0)
		e->rejected++;
	reply(e, &c, rc, msg);
	wire_free(WK_COMMAND, &c);
	return 0;
}

/* ---------------------------------------------------------------- profiles */

/*
 * profiled forgot an idle workload that was never promoted: its stages go
 * too, unless a policy was compiled for it since (then it stays, and so
 * does everything profiled still has).  The audit entry is the last of the
 * workload's; the earlier ones stay and verify.
 */
static int
forget(struct engine *e, const char *w, const char *k)
{
	struct wstate cur;
	uint64_t rev;
	char st[160], why[160];
	redisReply *r;
	int exists, rc;

	if ((rc = state_get(e, w, &cur, &rev, &exists)) < 0)
		return -EAGAIN;
	if (!exists || rev > 0)
		return 0;
	wstate_text(&cur, st, sizeof(st));
	if ((r = cmd(e, "DEL %s", k)) == NULL || r->type == REDIS_REPLY_ERROR) {
		freeReplyObject(r);
		return -EAGAIN;		/* stays pending: tried again */
	}
	freeReplyObject(r);
	snprintf(why, sizeof(why), "no event for %llu s and never promoted "
	    "(profiled.idle_expiry)", (unsigned long long)
	    (e->d->conf.profiled.idle_expiry_ms / 1000));
	audit(e, "rule:idle-expiry", w, "expire", st, "", why);
	return 0;
}

static int
on_profile(void *arg, const struct rs_msg *m, char *err, size_t errlen)
{
	struct engine *e = arg;
	struct wire_profile p;
	char k[WIRE_NAME_MAX + 80], t[24];
	const char *init = conf_stage_names[e->d->conf.policyd.initial_stage];
	redisReply *r;
	int rc, created = 0;

	if ((rc = wire_decode(WK_PROFILE, m->body, m->len, &p, err,
	    errlen)) < 0)
		return rc == -ENOMEM ? -EAGAIN : rc;
	if (conn(e) == NULL) {
		wire_free(WK_PROFILE, &p);
		return -EAGAIN;
	}
	key_of(e, "state", p.workload, k, sizeof(k));
	snprintf(t, sizeof(t), "%llu", (unsigned long long)now_ms());
	if (p.status == WS_EXPIRED) {
		rc = forget(e, p.workload, k);
		wire_free(WK_PROFILE, &p);
		return rc;
	}
	/* A new workload starts in the configured stage. */
	if ((r = cmd(e, "HSETNX %s stage %s", k, init)) == NULL) {
		wire_free(WK_PROFILE, &p);
		return -EAGAIN;
	}
	created = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	if (created) {
		freeReplyObject(cmd(e, "HSET %s stage:exec %s stage:file %s "
		    "stage:net %s stage:syscall %s since_ms %s rev 0", k, init,
		    init, init, init, t));
		audit(e, "rule:initial-stage", p.workload, "register", "",
		    init, "first profile of a new workload");
	}
	/* When it became stable (and complete), for the learning -> alert
	 * rule: a partial profile is not promoted by a rule. */
	if (p.status == WS_STABLE && p.complete)
		freeReplyObject(cmd(e, "HSETNX %s stable_since_ms %s", k, t));
	else
		freeReplyObject(cmd(e, "HDEL %s stable_since_ms", k));
	wire_free(WK_PROFILE, &p);
	return 0;
}

/* ---------------------------------------------------------------- violations */

static int
on_violation(void *arg, const struct rs_msg *m, char *err, size_t errlen)
{
	struct engine *e = arg;
	struct wire_violation v;
	char k[WIRE_NAME_MAX + 80], *js;
	json_t *o;
	int rc;

	if ((rc = wire_decode(WK_VIOLATION, m->body, m->len, &v, err,
	    errlen)) < 0)
		return rc == -ENOMEM ? -EAGAIN : rc;
	if (conn(e) == NULL) {
		wire_free(WK_VIOLATION, &v);
		return -EAGAIN;
	}
	o = policy_violation_json(&v, m->id);
	js = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	key_of(e, "viol", v.workload, k, sizeof(k));
	/* HSETNX: a redelivered violation is stored and counted once. */
	{
		redisReply *r = cmd(e, "HSETNX %s %s %s", k, m->id, js);
		int fresh = r != NULL && r->type == REDIS_REPLY_INTEGER &&
		    r->integer == 1;

		freeReplyObject(r);
		free(js);
		if (r == NULL) {
			wire_free(WK_VIOLATION, &v);
			return -EAGAIN;
		}
		if (fresh) {
			freeReplyObject(cmd(e, "HSET %s %s %s", e->k_vidx, m->id,
			    v.workload));
			key_of(e, "state", v.workload, k, sizeof(k));
			freeReplyObject(cmd(e, "HINCRBY %s unaccepted 1", k));
			freeReplyObject(cmd(e, "HSET %s last_violation_ms %llu",
			    k, (unsigned long long)now_ms()));
			e->violations++;
		}
	}
	wire_free(WK_VIOLATION, &v);
	return 0;
}

static int
on_ack(void *arg, const struct rs_msg *m, char *err, size_t errlen)
{
	struct engine *e = arg;
	struct wire_policy_ack a;
	char k[WIRE_NAME_MAX + 80], when[40], *js;
	json_t *o;
	int rc;

	if ((rc = wire_decode(WK_POLICY_ACK, m->body, m->len, &a, err,
	    errlen)) < 0)
		return rc == -ENOMEM ? -EAGAIN : rc;
	if (conn(e) == NULL) {
		wire_free(WK_POLICY_ACK, &a);
		return -EAGAIN;
	}
	wire_time_iso(a.ts, when, sizeof(when));
	o = json_pack("{s:I, s:b, s:s?, s:s?, s:s}", "rev", (json_int_t)a.rev,
	    "ok", a.ok, "message", a.message, "backends", a.backends, "time",
	    when);
	js = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	key_of(e, "acks", a.workload, k, sizeof(k));
	freeReplyObject(cmd(e, "HSET %s %s %s", k, a.host, js));
	free(js);
	wire_free(WK_POLICY_ACK, &a);
	return 0;
}

/* ---------------------------------------------------------------- rules */

static uint64_t
hnum(redisReply *r, const char *f)
{
	size_t i;

	for (i = 0; r && r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements;
	    i += 2)
		if (strcmp(r->element[i]->str, f) == 0)
			return strtoull(r->element[i + 1]->str, NULL, 10);
	return 0;
}

/*
 * Automatic promotion (policyd.auto_promote): learning -> alert once the
 * profile has been stable for learn_stable and its risk is at least
 * min_risk; alert -> enforce after alert_quiet with no unaccepted
 * violation.  One step per rule, explained in the audit trail.
 */
static void
rules(struct engine *e)
{
	const struct conf_policyd *pc = &e->d->conf.policyd;
	redisReply *names;
	size_t i;
	uint64_t now = now_ms();

	if (!pc->auto_promote || (names = cmd(e, "SMEMBERS %s", e->k_wl)) ==
	    NULL)
		return;
	for (i = 0; names->type == REDIS_REPLY_ARRAY && i < names->elements;
	    i++) {
		const char *w = names->element[i]->str;
		char k[WIRE_NAME_MAX + 80], why[256], msg[512];
		struct transition t = { .promote = 1, .dim = -1,
		    .automatic = 1 };
		struct wstate cur;
		uint64_t rev, risk, stable, since;
		redisReply *s;
		int exists, stage, complete;

		if (state_get(e, w, &cur, &rev, &exists) < 0 || !exists)
			continue;
		key_of(e, "state", w, k, sizeof(k));
		s = cmd(e, "HGETALL %s", k);
		stable = hnum(s, "stable_since_ms");
		since = hnum(s, "since_ms");
		stage = wstate_stage(&cur);
		if (stage == CONF_STAGE_LEARNING && stable > 0 &&
		    now - stable >= pc->learn_stable_ms &&
		    (profile_status(e, w, &risk, &complete),
		    risk >= pc->min_risk)) {
			t.to = CONF_STAGE_ALERT;
			snprintf(why, sizeof(why), "profile stable for %llu s "
			    "(rule: %llu s), risk %llu >= %llu",
			    (unsigned long long)(now - stable) / 1000,
			    (unsigned long long)pc->learn_stable_ms / 1000,
			    (unsigned long long)risk,
			    (unsigned long long)pc->min_risk);
			transition(e, w, &t, "rule:auto-promote", why, msg,
			    sizeof(msg));
		} else if (stage == CONF_STAGE_ALERT &&
		    now - since >= pc->alert_quiet_ms &&
		    (int64_t)hnum(s, "unaccepted") <= 0 &&
		    hnum(s, "last_violation_ms") < since) {
			t.to = CONF_STAGE_ENFORCE;
			snprintf(why, sizeof(why), "in alert for %llu s (rule: "
			    "%llu s) with no unaccepted violation",
			    (unsigned long long)(now - since) / 1000,
			    (unsigned long long)pc->alert_quiet_ms / 1000);
			transition(e, w, &t, "rule:auto-promote", why, msg,
			    sizeof(msg));
		}
		freeReplyObject(s);
	}
	freeReplyObject(names);
}

/* ---------------------------------------------------------------- lifecycle */

static void
policyd_tick(struct daemon *d)
{
	struct engine *e = d->priv;
	uint64_t now = uv_now(d->loop);

	if (now - e->last_rules >= 1000) {
		e->last_rules = now;
		rules(e);
	}
}

static int
policyd_start(struct daemon *d)
{
	struct engine *e = d->priv;
	const char *g = "policyd";

	e->d = d;
	daemon_key(d, "commands", e->k_cmd, sizeof(e->k_cmd));
	daemon_key(d, "profiles", e->k_prof, sizeof(e->k_prof));
	daemon_key(d, "violations", e->k_viol, sizeof(e->k_viol));
	daemon_key(d, "policy-acks", e->k_ack, sizeof(e->k_ack));
	daemon_key(d, "policies", e->k_pol, sizeof(e->k_pol));
	daemon_key(d, "audit", e->k_audit, sizeof(e->k_audit));
	daemon_key(d, "workloads", e->k_wl, sizeof(e->k_wl));
	daemon_key(d, "violation-index", e->k_vidx, sizeof(e->k_vidx));
	if (conn(e) != NULL)
		audit_resume(e);
	if (rstream_reader_new(d->rs, e->k_cmd, g, d->consumer, "0",
	    on_command, e) == NULL ||
	    rstream_reader_new(d->rs, e->k_prof, g, d->consumer, "0",
	    on_profile, e) == NULL ||
	    rstream_reader_new(d->rs, e->k_viol, g, d->consumer, "0",
	    on_violation, e) == NULL ||
	    rstream_reader_new(d->rs, e->k_ack, g, d->consumer, "0",
	    on_ack, e) == NULL)
		return -ENOMEM;
	log_info("policy engine up (new workloads start in %s; automatic "
	    "promotion %s)", conf_stage_names[d->conf.policyd.initial_stage],
	    d->conf.policyd.auto_promote ? "on" : "off");
	return 0;
}

static void
policyd_stop(struct daemon *d, daemon_done_fn *done)
{
	struct engine *e = d->priv;

	if (e->c != NULL)
		redisFree(e->c);
	e->c = NULL;
	done(d);
}

static const struct daemon_ops policyd_ops = {
	.name = "paddock-policyd",
	.summary = "The Paddock policy engine: stages, policies, violations and the audit trail.",
	.start = policyd_start,
	.tick = policyd_tick,
	.stop = policyd_stop,
};

int
main(int argc, char **argv)
{
	static struct engine e;

	return daemon_main(argc, argv, &policyd_ops, &e);
}
