/*
 * paddockctl events [--workload NAME] [--type TYPE] [--follow] [--count N]
 *
 * Decodes the events stream for people (-o table, the default: one line
 * per event) and for scripts (-o json: a JSON array; with --follow, one
 * JSON object per line).  Every field of the record is in the JSON, with
 * enumerations as names, file modes as "rw"-style strings and the stream
 * entry id as "id".  Entries that do not decode are reported on stderr and
 * skipped.  Asking for a workload that has no events is an error (exit 4)
 * that lists the workloads there are.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "wire.h"
#include "ctl.h"

#define PAGE	1000

struct evq {
	struct ctl	*ctl;
	const char	*workload;
	int		 type;		/* -1: any */
	int		 follow;
	uint64_t	 count, shown;
	json_t		*array;		/* -o json without --follow */
	json_t		*seen;		/* workload names, for the error */
};

static json_t *
event_json(const struct wire_event *e, const char *id)
{
	json_t *o = json_object();
	char when[64], mb[4];
	uint32_t i;

	wire_time_iso(e->ts, when, sizeof(when));
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "type", json_string(wire_ev_name(e->type)));
	json_object_set_new(o, "time", json_string(when));
	json_object_set_new(o, "ts", json_integer((json_int_t)e->ts));
	json_object_set_new(o, "host", json_string(e->host));
	json_object_set_new(o, "workload", json_string(e->workload));
	json_object_set_new(o, "workload_kind",
	    json_string(wire_wkind_name(e->wkind)));
	json_object_set_new(o, "cgroup_id", json_integer((json_int_t)e->cgid));
	if (e->pid)
		json_object_set_new(o, "pid", json_integer(e->pid));
	if (e->ppid)
		json_object_set_new(o, "ppid", json_integer(e->ppid));
	if (e->type == EV_EXEC) {
		json_t *a = json_array(), *l = json_array();
		uint32_t off = 0;

		json_object_set_new(o, "uid", json_integer(e->uid));
		json_object_set_new(o, "euid", json_integer(e->euid));
		while (off < e->argv.len) {
			const char *s = e->argv.buf + off;

			json_array_append_new(a, json_string(s));
			off += (uint32_t)strlen(s) + 1;
		}
		json_object_set_new(o, "argv", a);
		json_object_set_new(o, "argv_truncated",
		    json_boolean(e->argv_trunc));
		json_object_set_new(o, "seeded", json_boolean(e->seeded));
		for (i = 0; i < e->lineage.n; i++) {
			json_t *p = json_object();

			json_object_set_new(p, "pid",
			    json_integer(e->lineage.v[i].pid));
			json_object_set_new(p, "exe",
			    json_string(e->lineage.v[i].exe));
			if (e->lineage.v[i].args != NULL)
				json_object_set_new(p, "args",
				    json_string(e->lineage.v[i].args));
			json_array_append_new(l, p);
		}
		json_object_set_new(o, "lineage", l);
	}
	if (e->exe != NULL)
		json_object_set_new(o, "exe", json_string(e->exe));
	if (e->type == EV_OPEN) {
		json_object_set_new(o, "path", json_string(e->path));
		json_object_set_new(o, "mode",
		    json_string(wire_mode_bits(e->mode, mb)));
		json_object_set_new(o, "flags", json_integer(e->flags));
		json_object_set_new(o, "result", json_integer(e->result));
		json_object_set_new(o, "resolved", json_boolean(e->resolved));
	}
	if (e->type >= EV_CONNECT && e->type <= EV_ACCEPT) {
		json_object_set_new(o, "family", json_integer(e->family));
		json_object_set_new(o, "proto", json_string(e->proto == WP_UDP ?
		    "udp" : e->proto == WP_TCP ? "tcp" : "other"));
		json_object_set_new(o, "addr", json_string(e->addr));
		json_object_set_new(o, "port", json_integer(e->port));
		if (e->name != NULL)
			json_object_set_new(o, "name", json_string(e->name));
	}
	if (e->type == EV_DNS) {
		json_t *a = json_array();

		json_object_set_new(o, "qname", json_string(e->qname));
		for (i = 0; i < e->answers.n; i++)
			json_array_append_new(a, json_string(e->answers.v[i]));
		json_object_set_new(o, "answers", a);
		json_object_set_new(o, "ttl", json_integer(e->ttl));
	}
	if (e->type == EV_SYSCALLS) {
		json_t *a = json_array();

		for (i = 0; i < WIRE_SYSCALL_BYTES * 8; i++)
			if (e->syscalls[i / 8] & (1u << (i % 8)))
				json_array_append_new(a, json_integer(i));
		json_object_set_new(o, "syscalls", a);
	}
	if (e->type == EV_LOSS) {
		char t[40];

		/* 0 lost: a gap of unknown size, from since to time. */
		json_object_set_new(o, "lost", json_integer((json_int_t)e->lost));
		json_object_set_new(o, "cause",
		    json_string(wire_loss_name(e->cause)));
		if (e->since != 0) {
			wire_time_iso(e->since, t, sizeof(t));
			json_object_set_new(o, "since", json_string(t));
		}
	}
	return o;
}

static void
show(struct evq *q, const struct wire_event *e, const char *id)
{
	if (q->ctl->output == CTL_OUT_JSON || q->ctl->output == CTL_OUT_YAML) {
		json_t *o = event_json(e, id);

		if (q->array != NULL) {
			json_array_append_new(q->array, o);
		} else if (q->ctl->output == CTL_OUT_YAML) {
			printf("---\n");	/* one document each */
			ctl_print_yaml(stdout, o);
			json_decref(o);
			fflush(stdout);
		} else {
			char *s = json_dumps(o, JSON_COMPACT);

			printf("%s\n", s);
			free(s);
			json_decref(o);
			fflush(stdout);
		}
	} else {
		char when[64], what[600], fit[64];

		wire_time_iso(e->ts, when, sizeof(when));
		wire_summary(WK_EVENT, e, what, sizeof(what));
		/* 100 columns: the middle of a long summary goes. */
		printf("%.12s  %-24.24s %7u  %s\n", when + 11, e->workload,
		    e->pid, ctl_fit(what, 52, fit, sizeof(fit)));
		if (q->follow)
			fflush(stdout);
	}
}

/* One event record of an entry (entry id: the batch's, for its records). */
static void
record(struct evq *q, const char *id, const void *body, size_t blen)
{
	struct wire_event e;
	char err[WIRE_ERRLEN];

	if (wire_decode(WK_EVENT, body, blen, &e, err, sizeof(err)) < 0) {
		fprintf(stderr, "paddockctl: an event of entry %s skipped: "
		    "%s\n", id, err);
		return;
	}
	json_object_set_new(q->seen, e.workload, json_true());
	if ((q->workload == NULL || strcmp(e.workload, q->workload) == 0) &&
	    (q->type < 0 || e.type == q->type) &&
	    (q->count == 0 || q->shown < q->count)) {
		show(q, &e, id);
		q->shown++;
	}
	wire_free(WK_EVENT, &e);
}

/* Handle one XRANGE/XREAD entry: one event, or a batch of them. */
static void
entry(struct evq *q, const redisReply *ent)
{
	const redisReply *id, *f;
	const char *body = NULL;
	const void *rec;
	size_t blen = 0, rlen, i;
	struct wire_batch_it it;
	char err[WIRE_ERRLEN];
	int rc;

	if (ent->type != REDIS_REPLY_ARRAY || ent->elements != 2)
		return;
	id = ent->element[0];
	f = ent->element[1];
	for (i = 0; f->type == REDIS_REPLY_ARRAY && i + 1 < f->elements;
	    i += 2)
		if (f->element[i]->type == REDIS_REPLY_STRING &&
		    f->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(f->element[i]->str, "msgpack") == 0) {
			body = f->element[i + 1]->str;
			blen = f->element[i + 1]->len;
		}
	if (body == NULL) {
		fprintf(stderr, "paddockctl: entry %s skipped: no msgpack "
		    "field\n", id->str);
		return;
	}
	if (!wire_is_batch(body, blen)) {
		record(q, id->str, body, blen);
		return;
	}
	/* A batch (docs/wire-format.md): each record in turn. */
	if (wire_batch_begin(&it, body, blen, err, sizeof(err)) < 0) {
		fprintf(stderr, "paddockctl: entry %s skipped: %s\n", id->str,
		    err);
		return;
	}
	while ((rc = wire_batch_next(&it, &rec, &rlen, err, sizeof(err))) == 1)
		record(q, id->str, rec, rlen);
	if (rc < 0)
		fprintf(stderr, "paddockctl: entry %s: the rest skipped: %s\n",
		    id->str, err);
}

static int
cmd_events(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "workload", required_argument, NULL, 'w' },
		{ "type", required_argument, NULL, 't' },
		{ "follow", no_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct evq q = { .ctl = ctl, .type = -1 };
	char key[160], last[64] = "-";
	redisContext *c;
	redisReply *r;
	int ch, rc = 0;
	size_t i;

	while ((ch = getopt_long(argc, argv, "w:t:fn:", opts, NULL)) != -1) {
		switch (ch) {
		case 'w':
			q.workload = optarg;
			break;
		case 't':
			if ((q.type = wire_name_lookup(wire_ev_names,
			    optarg)) < 0) {
				fprintf(stderr, "paddockctl: unknown event type "
				    "\"%s\"\n", optarg);
				return CTL_EXIT_USAGE;
			}
			break;
		case 'f':
			q.follow = 1;
			break;
		case 'n':
			q.count = strtoull(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: paddockctl events [--workload "
			    "NAME] [--type TYPE] [--follow] [--count N]\n");
			return CTL_EXIT_USAGE;
		}
	}
	if ((c = ctl_connect(ctl)) == NULL)
		return CTL_EXIT_REDIS;
	ctl_key(ctl, "events", key, sizeof(key));
	q.seen = json_object();
	if ((ctl->output == CTL_OUT_JSON || ctl->output == CTL_OUT_YAML) &&
	    !q.follow)
		q.array = json_array();
	for (;;) {
		char start[80];

		snprintf(start, sizeof(start), "%s%s",
		    strcmp(last, "-") ? "(" : "", last);
		r = redisCommand(c, "XRANGE %s %s + COUNT %d", key, start, PAGE);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
			fprintf(stderr, "paddockctl: XRANGE %s: %s\n", key,
			    r ? r->str : c->errstr);
			rc = CTL_EXIT_REDIS;
			goto out;
		}
		for (i = 0; i < r->elements; i++)
			entry(&q, r->element[i]);
		if (r->elements > 0)
			snprintf(last, sizeof(last), "%s",
			    r->element[r->elements - 1]->element[0]->str);
		i = r->elements;
		freeReplyObject(r);
		if (i < PAGE)
			break;
	}
	if (q.array != NULL && ctl->output == CTL_OUT_YAML)
		ctl_print_yaml(stdout, q.array);
	else if (q.array != NULL) {
		char *s = json_dumps(q.array, JSON_INDENT(2));

		printf("%s\n", s);
		free(s);
	}
	if (q.workload != NULL && !q.follow &&
	    json_object_get(q.seen, q.workload) == NULL) {
		const char *k;
		json_t *v;

		fprintf(stderr, "paddockctl: no events for workload \"%s\"; "
		    "workloads with events:", q.workload);
		json_object_foreach(q.seen, k, v)
			fprintf(stderr, " %s", k);
		fprintf(stderr, "\n");
		rc = CTL_EXIT_UNKNOWN;
		goto out;
	}
	if (q.follow) {
		struct timeval forever = { 0, 0 };

		redisSetTimeout(c, forever);
	}
	while (q.follow) {
		r = redisCommand(c, "XREAD BLOCK 0 STREAMS %s %s", key,
		    strcmp(last, "-") ? last : "$");
		if (r == NULL) {
			fprintf(stderr, "paddockctl: lost Redis: %s\n",
			    c->errstr);
			rc = CTL_EXIT_REDIS;
			goto out;
		}
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
			const redisReply *ents = r->element[0]->element[1];

			for (i = 0; i < ents->elements; i++)
				entry(&q, ents->element[i]);
			if (ents->elements > 0)
				snprintf(last, sizeof(last), "%s",
				    ents->element[ents->elements - 1]->
				    element[0]->str);
		}
		freeReplyObject(r);
	}
out:
	json_decref(q.array);
	json_decref(q.seen);
	redisFree(c);
	return rc;
}

const struct ctl_cmd ctl_cmd_events = {
	"events", "show what workloads did (the events stream)", cmd_events,
};
