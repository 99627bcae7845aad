/*
 * paddockctl workloads            every workload profiled, riskiest first
 * paddockctl profile NAME         one workload's whole baseline
 *
 * Both read what paddock-profiled stores (docs/wire-format.md, "Profiles"):
 * the set P workloads, each workload's hash P prof:{W}:meta and its view
 * P prof:{W}:view (JSON).  The stage column comes from policyd's state
 * hash P state:{W} (field stage); until policyd has written one, it is the
 * configured initial stage.  -o json prints what the table shows, with
 * every field; the profile also prints as YAML.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "wire.h"
#include "ctl.h"

struct wrow {
	char		 name[WIRE_NAME_MAX];
	json_t		*o;
	long long	 risk;
};

static const char *
hget(const redisReply *h, const char *k)
{
	size_t i;

	for (i = 0; h != NULL && h->type == REDIS_REPLY_ARRAY &&
	    i + 1 < h->elements; i += 2)
		if (h->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(h->element[i]->str, k) == 0 &&
		    h->element[i + 1]->type == REDIS_REPLY_STRING)
			return h->element[i + 1]->str;
	return NULL;
}

static long long
hnum(const redisReply *h, const char *k)
{
	const char *v = hget(h, k);

	return v ? strtoll(v, NULL, 10) : 0;
}

/* The row of one workload, as JSON; NULL when it has no profile yet. */
static json_t *
workload_json(struct ctl *ctl, redisContext *c, const char *w)
{
	char key[WIRE_NAME_MAX + 80];
	redisReply *m;
	json_t *o, *reasons, *hosts, *counts;
	json_error_t jerr;
	const char *s;
	size_t i;
	unsigned d;

	snprintf(key, sizeof(key), "%sprof:{%s}:meta", ctl->conf.redis.prefix, w);
	if ((m = redisCommand(c, "HGETALL %s", key)) == NULL)
		return NULL;
	if (m->type != REDIS_REPLY_ARRAY || m->elements == 0) {
		freeReplyObject(m);
		return NULL;
	}
	o = json_object();
	json_object_set_new(o, "workload", json_string(w));
	s = hget(m, "wkind");
	json_object_set_new(o, "kind", json_string(wire_wkind_name(s ?
	    (unsigned)atoi(s) : 0)));
	json_object_set_new(o, "ai", json_boolean(hnum(m, "ai") != 0));
	json_object_set_new(o, "stage", json_string(ctl_stage(ctl, c, w)));
	/* Reviewed: by `paddockctl review`, or a promotion or demotion an
	 * operator asked for (policyd); null while nobody has. */
	{
		redisReply *st;
		char k[WIRE_NAME_MAX + 80], t[40];

		snprintf(k, sizeof(k), "%sstate:{%s}", ctl->conf.redis.prefix,
		    w);
		st = redisCommand(c, "HMGET %s reviewed_ms reviewed_by", k);
		if (st != NULL && st->type == REDIS_REPLY_ARRAY &&
		    st->elements == 2 && st->element[0]->str != NULL) {
			wire_time_iso(strtoull(st->element[0]->str, NULL, 10) *
			    1000000ull, t, sizeof(t));
			json_object_set_new(o, "reviewed", json_string(t));
			json_object_set_new(o, "reviewed_by", json_string(
			    st->element[1]->str ? st->element[1]->str : ""));
		} else {
			json_object_set_new(o, "reviewed", json_null());
			json_object_set_new(o, "reviewed_by", json_null());
		}
		freeReplyObject(st);
	}
	s = hget(m, "status");
	json_object_set_new(o, "status", json_string(s ? s : "learning"));
	json_object_set_new(o, "complete", json_boolean(hnum(m, "complete")));
	/* Why partial, and until when: what the loss was, over which time. */
	json_object_set_new(o, "lost_events", json_integer(hnum(m, "lost")));
	json_object_set_new(o, "loss_gaps", json_integer(hnum(m, "gaps")));
	json_object_set_new(o, "loss_window", ctl_loss_window(
	    hnum(m, "loss_from_ms"), hnum(m, "loss_to_ms")));
	json_object_set_new(o, "complete_in_seconds", hget(m, "complete_in") &&
	    hnum(m, "complete_in") >= 0 ? json_integer(hnum(m, "complete_in")) :
	    hnum(m, "complete") ? json_integer(0) : json_null());
	s = hget(m, "novelty");
	json_object_set_new(o, "novelty_per_hour", json_real(s ? atof(s) : 0));
	s = hget(m, "trend");
	json_object_set_new(o, "trend", json_real(s ? atof(s) : 0));
	json_object_set_new(o, "risk", json_integer(hnum(m, "risk")));
	/*
	 * What to promote next: a ready (stable) profile one stage up, up to
	 * enforce.  The list is sorted riskiest first, so the first
	 * suggestion is the one to review first.
	 */
	{
		const char *st = json_string_value(json_object_get(o, "stage"));
		const char *status = hget(m, "status");
		const char *next = NULL;

		if (status != NULL && strcmp(status, "stable") == 0 &&
		    hnum(m, "complete"))
			next = strcmp(st, "discovered") == 0 ? "learning" :
			    strcmp(st, "learning") == 0 ? "alert" :
			    strcmp(st, "alert") == 0 ? "enforce" : NULL;
		json_object_set_new(o, "suggest", next ? json_string(next) :
		    json_null());
	}
	s = hget(m, "reasons");
	reasons = s ? json_loads(s, 0, &jerr) : NULL;
	json_object_set_new(o, "reasons", reasons && json_is_array(reasons) ?
	    reasons : json_array());
	if (reasons && !json_is_array(reasons))
		json_decref(reasons);
	json_object_set_new(o, "rev", json_integer(hnum(m, "rev")));
	json_object_set_new(o, "active_seconds",
	    json_integer(hnum(m, "active_ms") / 1000));
	{
		char t[40];
		long long first = hnum(m, "first_ms");

		wire_time_iso((uint64_t)first * 1000000ull, t, sizeof(t));
		json_object_set_new(o, "first_seen", json_string(t));
		json_object_set_new(o, "running_seconds", json_integer(first ?
		    (long long)time(NULL) - first / 1000 : 0));
	}
	json_object_set_new(o, "lost_events", json_integer(hnum(m, "lost")));
	counts = json_object();
	s = hget(m, "counts");
	for (d = 0; d < WD__MAX; d++) {
		long long n = 0;

		if (s != NULL) {
			n = strtoll(s, (char **)&s, 10);
		}
		json_object_set_new(counts, wire_dim_name(d), json_integer(n));
	}
	json_object_set_new(o, "counts", counts);
	hosts = json_array();
	for (i = 0; i + 1 < m->elements; i += 2)
		if (strncmp(m->element[i]->str, "host:", 5) == 0)
			json_array_append_new(hosts,
			    json_string(m->element[i]->str + 5));
	json_object_set_new(o, "hosts", hosts);
	freeReplyObject(m);
	return o;
}

static int
row_cmp(const void *a, const void *b)
{
	const struct wrow *x = a, *y = b;

	if (x->risk != y->risk)
		return x->risk > y->risk ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Names of every profiled workload; a reply the caller frees. */
static redisReply *
workload_names(struct ctl *ctl, redisContext *c)
{
	char key[128];
	redisReply *r;

	ctl_key(ctl, "workloads", key, sizeof(key));
	r = redisCommand(c, "SMEMBERS %s", key);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		fprintf(stderr, "paddockctl: Redis: %s\n", r && r->type ==
		    REDIS_REPLY_ERROR ? r->str : c->errstr);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

static void
print_table(struct wrow *rows, size_t n)
{
	size_t i, k;

	/* 100 columns: reasons are cut (all of them are in -o json). */
	printf("%-24s %-8s %-3s %-8s %-9s %-8s %8s %4s  %s\n", "WORKLOAD",
	    "KIND", "AI", "STAGE", "STATUS", "COMPLETE", "NOVELTY", "RISK",
	    "REASONS");
	for (i = 0; i < n; i++) {
		json_t *o = rows[i].o, *rs = json_object_get(o, "reasons");
		char reasons[256] = "";
		size_t off = 0;

		for (k = 0; k < json_array_size(rs) && off < sizeof(reasons); k++) {
			const char *r = json_string_value(json_array_get(rs, k));
			/* The label before ':' is enough in a table. */
			int l = (int)strcspn(r, ":");

			off += (size_t)snprintf(reasons + off, sizeof(reasons) - off,
			    "%s%.*s", k ? ", " : "", l, r);
		}
		printf("%-24.24s %-8.8s %-3s %-8s %-9s %-8s %8.1f %4lld  %.19s\n",
		    rows[i].name,
		    json_string_value(json_object_get(o, "kind")),
		    json_is_true(json_object_get(o, "ai")) ? "yes" : "-",
		    json_string_value(json_object_get(o, "stage")),
		    json_string_value(json_object_get(o, "status")),
		    json_is_true(json_object_get(o, "complete")) ? "complete" :
		    "partial",
		    json_real_value(json_object_get(o, "novelty_per_hour")),
		    rows[i].risk, reasons[0] ? reasons : "-");
	}
	/* Partial ones: what was not seen, when, and until when. */
	for (i = 0; i < n; i++) {
		json_t *o = rows[i].o, *win = json_object_get(o, "loss_window");
		json_t *in = json_object_get(o, "complete_in_seconds");
		long long lost = (long long)json_integer_value(
		    json_object_get(o, "lost_events"));
		long long gaps = (long long)json_integer_value(
		    json_object_get(o, "loss_gaps"));

		if (json_is_true(json_object_get(o, "complete")))
			continue;
		printf("partial %s: ", rows[i].name);
		if (lost > 0 || gaps > 0)
			printf("%lld events lost, %lld gap%s of unknown size, "
			    "%s .. %s", lost, gaps, gaps == 1 ? "" : "s",
			    json_is_array(win) ? json_string_value(
			    json_array_get(win, 0)) : "?",
			    json_is_array(win) ? json_string_value(
			    json_array_get(win, 1)) : "?");
		else
			printf("processes started before the collector");
		if (json_is_integer(in))
			printf("; complete after %llds more activity\n",
			    (long long)json_integer_value(in));
		else
			printf("\n");
	}
}

static int
cmd_workloads(struct ctl *ctl, int argc, char **argv)
{
	redisContext *c;
	redisReply *names;
	struct wrow *rows = NULL;
	json_t *arr;
	size_t i, n = 0;
	int rc = CTL_EXIT_OK, only_ai = 0, shadow = 0;

	for (i = 1; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--ai") == 0)
			only_ai = 1;
		else if (strcmp(argv[i], "--shadow") == 0)
			shadow = only_ai = 1;
		else {
			fprintf(stderr, "usage: paddockctl [-o table|json|yaml] "
			    "workloads [--ai | --shadow]\n");
			return CTL_EXIT_USAGE;
		}
	}
	if ((c = ctl_connect(ctl)) == NULL)
		return CTL_EXIT_REDIS;
	if ((names = workload_names(ctl, c)) == NULL) {
		redisFree(c);
		return CTL_EXIT_REDIS;
	}
	if ((rows = calloc(names->elements + 1, sizeof(*rows))) == NULL) {
		rc = CTL_EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < names->elements; i++) {
		json_t *o = workload_json(ctl, c, names->element[i]->str);

		if (o == NULL)
			continue;
		/*
		 * Shadow AI: AI workloads no operator has reviewed (every
		 * workload starts in learning: the stage says nothing).
		 */
		if ((only_ai && !json_is_true(json_object_get(o, "ai"))) ||
		    (shadow && !json_is_null(json_object_get(o,
		    "reviewed")))) {
			json_decref(o);
			continue;
		}
		snprintf(rows[n].name, sizeof(rows[n].name), "%s",
		    names->element[i]->str);
		rows[n].o = o;
		rows[n].risk = json_integer_value(json_object_get(o, "risk"));
		n++;
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	if (ctl->output == CTL_OUT_TABLE && shadow) {
		printf("%-32s %-9s %-9s %-14s %4s  %s\n", "SHADOW AI WORKLOAD",
		    "KIND", "STAGE", "RUNNING FOR", "RISK", "FIRST SEEN");
		for (i = 0; i < n; i++) {
			json_t *o = rows[i].o;
			long long s = json_integer_value(json_object_get(o,
			    "running_seconds"));
			char dur[32];

			if (s >= 86400)
				snprintf(dur, sizeof(dur), "%lldd %lldh",
				    s / 86400, s % 86400 / 3600);
			else if (s >= 3600)
				snprintf(dur, sizeof(dur), "%lldh %lldm",
				    s / 3600, s % 3600 / 60);
			else
				snprintf(dur, sizeof(dur), "%lldm %llds", s / 60,
				    s % 60);
			printf("%-32.32s %-9s %-9s %-14s %4lld  %s\n",
			    rows[i].name,
			    json_string_value(json_object_get(o, "kind")),
			    json_string_value(json_object_get(o, "stage")), dur,
			    rows[i].risk,
			    json_string_value(json_object_get(o, "first_seen")));
		}
	} else if (ctl->output == CTL_OUT_TABLE) {
		int shown = 0, more = 0;

		print_table(rows, n);
		for (i = 0; i < n; i++) {
			const char *next = json_string_value(json_object_get(
			    rows[i].o, "suggest"));

			if (next == NULL)
				continue;
			if (shown == 5) {
				more++;
				continue;
			}
			printf("%s %s -> %s (risk %lld)", shown == 0 ?
			    "\nready to promote, riskiest first:" : ",",
			    rows[i].name, next, rows[i].risk);
			shown++;
		}
		if (more)
			printf(" (and %d more)", more);
		if (shown)
			printf("\n");
	} else {
		arr = json_array();
		for (i = 0; i < n; i++)
			json_array_append(arr, rows[i].o);
		if (ctl->output == CTL_OUT_YAML)
			ctl_print_yaml(stdout, arr);
		else
			ctl_print_json(stdout, arr);
		json_decref(arr);
	}
out:
	for (i = 0; i < n; i++)
		json_decref(rows[i].o);
	free(rows);
	freeReplyObject(names);
	redisFree(c);
	return rc;
}

/* ---------------------------------------------------------------- profile */

static void
print_entries(json_t *view, const char *sec, const char *title)
{
	json_t *a = json_object_get(view, sec), *e;
	size_t i;

	printf("%s (%zu)\n", title, json_array_size(a));
	json_array_foreach(a, i, e) {
		long long cnt = json_integer_value(json_object_get(e, "count"));
		const char *sample = json_string_value(json_object_get(e, "sample"));
		char what[512];

		if (strcmp(sec, "files") == 0)
			snprintf(what, sizeof(what), "%-3s %s",
			    json_string_value(json_object_get(e, "mode")),
			    json_string_value(json_object_get(e, "pattern")));
		else if (strcmp(sec, "edges") == 0)
			snprintf(what, sizeof(what), "%s -> %s",
			    json_string_value(json_object_get(e, "parent")),
			    json_string_value(json_object_get(e, "child")));
		else if (strcmp(sec, "exec") == 0)
			snprintf(what, sizeof(what), "%s",
			    json_string_value(json_object_get(e, "path")));
		else
			snprintf(what, sizeof(what), "%s %s:%lld",
			    json_string_value(json_object_get(e, "proto")),
			    json_string_value(json_object_get(e,
			    strcmp(sec, "egress") == 0 ? "dest" : "addr")),
			    (long long)json_integer_value(json_object_get(e,
			    "port")));
		/* 100 columns: a long entry or an example gets its own line. */
		if (strlen(what) > 64)
			printf("  %s\n  %64s x%lld\n", what, "", cnt);
		else
			printf("  %-64s x%lld\n", what, cnt);
		if (sample != NULL && strcmp(sec, "files") == 0)
			printf("      e.g. %.88s\n", sample);
	}
}

static void
print_profile(json_t *v)
{
	json_t *rs = json_object_get(v, "reasons"), *sc, *x;
	size_t i, col;

	printf("workload %s (%s)  rev %lld  %s, %s  risk %lld\n",
	    json_string_value(json_object_get(v, "workload")),
	    json_string_value(json_object_get(v, "kind")),
	    (long long)json_integer_value(json_object_get(v, "rev")),
	    json_string_value(json_object_get(v, "status")),
	    json_is_true(json_object_get(v, "complete")) ? "complete" :
	    "partial", (long long)json_integer_value(json_object_get(v, "risk")));
	printf("active %llds, quiet for %llds, novelty %.1f/h (trend %+.1f)\n",
	    (long long)json_integer_value(json_object_get(v, "active_seconds")),
	    (long long)json_integer_value(json_object_get(v, "quiet_seconds")),
	    json_real_value(json_object_get(v, "novelty_per_hour")),
	    json_real_value(json_object_get(v, "trend")));
	json_array_foreach(rs, i, x)
		printf("risk: %s\n", json_string_value(x));
	print_entries(v, "exec", "exec");
	print_entries(v, "edges", "exec edges");
	print_entries(v, "files", "files");
	print_entries(v, "egress", "egress");
	print_entries(v, "listeners", "listeners");
	sc = json_object_get(v, "syscalls");
	printf("syscalls (%zu)\n ", json_array_size(sc));
	col = 1;
	json_array_foreach(sc, i, x) {
		const char *s = json_string_value(x);

		if (col + strlen(s) + 1 > 98) {
			printf("\n ");
			col = 1;
		}
		col += (size_t)printf(" %s", s);
	}
	printf("\n");
}

static int
cmd_profile(struct ctl *ctl, int argc, char **argv)
{
	char key[WIRE_NAME_MAX + 80];
	redisContext *c;
	redisReply *r = NULL, *names = NULL;
	json_t *v = NULL;
	json_error_t jerr;
	const char *w;
	size_t i;
	int rc = CTL_EXIT_OK, known = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: paddockctl [-o table|json|yaml] "
		    "profile NAME\n");
		return CTL_EXIT_USAGE;
	}
	w = argv[1];
	if ((c = ctl_connect(ctl)) == NULL)
		return CTL_EXIT_REDIS;
	if ((names = workload_names(ctl, c)) == NULL) {
		rc = CTL_EXIT_REDIS;
		goto out;
	}
	for (i = 0; i < names->elements; i++)
		known |= strcmp(names->element[i]->str, w) == 0;
	if (!known) {
		fprintf(stderr, "paddockctl: unknown workload \"%s\" (%zu "
		    "known; see paddockctl workloads)\n", w, names->elements);
		rc = CTL_EXIT_UNKNOWN;
		goto out;
	}
	snprintf(key, sizeof(key), "%sprof:{%s}:view", ctl->conf.redis.prefix, w);
	r = redisCommand(c, "GET %s", key);
	if (r == NULL || r->type != REDIS_REPLY_STRING) {
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "paddockctl: Redis: %s\n", r ? r->str :
			    c->errstr);
			rc = CTL_EXIT_REDIS;
		} else {
			fprintf(stderr, "paddockctl: %s has no profile yet "
			    "(is paddock-profiled running?)\n", w);
			rc = CTL_EXIT_DAEMON;
		}
		goto out;
	}
	if ((v = json_loads(r->str, 0, &jerr)) == NULL || !json_is_object(v)) {
		fprintf(stderr, "paddockctl: the stored profile of %s is not "
		    "valid JSON: %s\n", w, jerr.text);
		rc = CTL_EXIT_FAIL;
		goto out;
	}
	{
		/* Name and revision first, as a reader expects them. */
		json_t *o = json_object(), *m = workload_json(ctl, c, w);
		const char *k;
		json_t *x;

		json_object_set_new(o, "workload", json_string(w));
		json_object_set(o, "rev", m ? json_object_get(m, "rev") :
		    json_integer(0));
		json_object_set(o, "stage", m ? json_object_get(m, "stage") :
		    json_string("learning"));
		json_object_foreach(v, k, x)
			json_object_set(o, k, x);
		json_decref(m);
		json_decref(v);
		v = o;
	}
	if (ctl->output == CTL_OUT_JSON)
		ctl_print_json(stdout, v);
	else if (ctl->output == CTL_OUT_YAML)
		ctl_print_yaml(stdout, v);
	else
		print_profile(v);
out:
	json_decref(v);
	freeReplyObject(r);
	freeReplyObject(names);
	redisFree(c);
	return rc;
}

const struct ctl_cmd ctl_cmd_workloads = {
	"workloads", "list workloads, riskiest first", cmd_workloads,
};

const struct ctl_cmd ctl_cmd_profile = {
	"profile", "show a workload's baseline", cmd_profile,
};
