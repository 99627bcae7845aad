/*
 * paddockctl promote|demote NAME --to STAGE [--dimension D] [--reason T]
 *            [--force]
 * paddockctl accept VIOLATION_ID [--reason T]
 * paddockctl policy show NAME [--rev N] | diff NAME REV_A REV_B |
 *            apply FILE [--reason T] [--force]
 * paddockctl violations [--workload NAME]
 * paddockctl audit [--verify] [--export]
 *
 * Changes go to paddock-policyd as commands (P commands) and wait for its
 * reply on P reply:<id> (docs/wire-format.md); paddockctl never writes
 * state itself, so every change is checked once and audited once.  Reads
 * (policy show, violations, audit) come straight from Redis.  audit
 * --verify recomputes the hash chain and names the first entry that was
 * edited, removed or moved.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "daemon.h"
#include "jyaml.h"
#include "ytree.h"
#include "wire.h"
#include "ctl.h"
#include "audit.h"
#include "opauth.h"
#include "policy.h"

/* Send one command and wait for policyd's reply; an exit code. */
static int
send_command(struct ctl *ctl, struct wire_command *c)
{
	char key[128], rkey[200], err[768], sdir[512], odir[600], when[40];
	unsigned char rnd[8] = { 0 };
	redisContext *rc;
	redisReply *r;
	struct wire_reply rep;
	struct timeval tv;
	size_t i;
	int fd, code, grace_ms;

	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) >= 0) {
		if (read(fd, rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd))
			memset(rnd, 0, sizeof(rnd));
		close(fd);
	}
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(c->id + 2 * i, 3, "%02x", rnd[i]);
	c->ts = daemon_now_ns();
	/*
	 * Carried out by policyd only until its deadline, which falls a
	 * grace before this wait ends: a command policyd took up in time has
	 * its reply back here before we stop waiting, so "did not answer"
	 * always means "never carried out" (policyd refuses it later and
	 * audits the refusal).  Clocks of the two hosts are assumed in sync.
	 */
	grace_ms = ctl->wait_s * 1000 / 5;
	grace_ms = grace_ms < 1000 ? 1000 : grace_ms > 3000 ? 3000 : grace_ms;
	c->deadline = c->ts + (uint64_t)(ctl->wait_s * 1000 - grace_ms) *
	    1000000ull;
	c->user = (char *)ctl_operator(ctl);
	if ((code = ctl_operator_key(ctl, 0)) != 0)
		return code;
	if (opauth_sign(c, opauth_dir(ctl_state_dir(ctl, sdir, sizeof(sdir)),
	    odir, sizeof(odir)), err, sizeof(err)) < 0) {
		fprintf(stderr, "paddockctl: cannot sign the command as "
		    "operator \"%s\": %s\n", c->user, err);
		return CTL_EXIT_FAIL;
	}
	if ((rc = ctl_connect(ctl)) == NULL)
		return CTL_EXIT_REDIS;
	ctl_key(ctl, "commands", key, sizeof(key));
	if (stream_publish_sync(rc, key, 10000, WK_COMMAND, c, c->workload,
	    "paddockctl", c->ts, NULL, 0) < 0) {
		fprintf(stderr, "paddockctl: cannot send the command: %s\n",
		    rc->err ? rc->errstr : "refused");
		redisFree(rc);
		return CTL_EXIT_REDIS;
	}
	snprintf(rkey, sizeof(rkey), "%sreply:%s", ctl->conf.redis.prefix, c->id);
	/* The connection's own timeout (5 s) must not end the wait early. */
	tv.tv_sec = ctl->wait_s + 2;
	tv.tv_usec = 0;
	redisSetTimeout(rc, tv);
	r = redisCommand(rc, "XREAD COUNT 1 BLOCK %d STREAMS %s 0",
	    ctl->wait_s * 1000, rkey);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
		wire_time_iso(c->deadline, when, sizeof(when));
		fprintf(stderr, "paddockctl: paddock-policyd did not answer "
		    "within %d s (is it running? paddockctl up starts it); "
		    "nothing changed: the command expired at %s and is never "
		    "carried out after that (policyd refuses it and writes "
		    "the refusal to the audit trail)\n", ctl->wait_s, when);
		freeReplyObject(r);
		redisFree(rc);
		return CTL_EXIT_DAEMON;
	}
	{
		redisReply *f = r->element[0]->element[1]->element[0]->element[1];
		const char *body = NULL;
		size_t len = 0;

		for (i = 0; i + 1 < f->elements; i += 2)
			if (strcmp(f->element[i]->str, "msgpack") == 0) {
				body = f->element[i + 1]->str;
				len = f->element[i + 1]->len;
			}
		if (body == NULL || wire_decode(WK_REPLY, body, len, &rep, err,
		    sizeof(err)) < 0) {
			fprintf(stderr, "paddockctl: unreadable reply: %s\n", err);
			freeReplyObject(r);
			redisFree(rc);
			return CTL_EXIT_FAIL;
		}
	}
	freeReplyObject(r);
	redisFree(rc);
	printf("%s\n", rep.message ? rep.message : (rep.ok ? "ok" : "failed"));
	code = rep.ok ? CTL_EXIT_OK : rep.code == -ENOENT ? CTL_EXIT_UNKNOWN :
	    CTL_EXIT_FAIL;
	wire_free(WK_REPLY, &rep);
	return code;
}

static int
cmd_stage(struct ctl *ctl, int argc, char **argv, const char *op)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "dimension", required_argument, NULL, 'D' },
		{ "reason", required_argument, NULL, 'r' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct wire_command c;
	int ch;

	memset(&c, 0, sizeof(c));
	c.op = (char *)op;
	while ((ch = getopt_long(argc, argv, "t:D:r:f", opts, NULL)) != -1) {
		switch (ch) {
		case 't': c.arg = optarg; break;
		case 'D': c.dim = optarg; break;
		case 'r': c.reason = optarg; break;
		case 'f': c.force = 1; break;
		default: goto usage;
		}
	}
	if (optind + 1 != argc || c.arg == NULL)
		goto usage;
	snprintf(c.workload, sizeof(c.workload), "%s", argv[optind]);
	return send_command(ctl, &c);
usage:
	fprintf(stderr, "usage: paddockctl %s NAME --to STAGE [--dimension "
	    "exec|file|net|syscall] [--reason TEXT] [--force]\n", op);
	return CTL_EXIT_USAGE;
}

static int
cmd_promote(struct ctl *ctl, int argc, char **argv)
{
	return cmd_stage(ctl, argc, argv, "promote");
}

static int
cmd_demote(struct ctl *ctl, int argc, char **argv)
{
	return cmd_stage(ctl, argc, argv, "demote");
}

static int
cmd_accept(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct wire_command c;
	int ch;

	memset(&c, 0, sizeof(c));
	c.op = "accept";
	while ((ch = getopt_long(argc, argv, "r:", opts, NULL)) != -1) {
		if (ch != 'r')
			goto usage;
		c.reason = optarg;
	}
	if (optind + 1 != argc)
		goto usage;
	c.arg = argv[optind];
	return send_command(ctl, &c);
usage:
	fprintf(stderr, "usage: paddockctl accept VIOLATION_ID [--reason TEXT]\n");
	return CTL_EXIT_USAGE;
}

static int
cmd_review(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct wire_command c;
	int ch;

	memset(&c, 0, sizeof(c));
	c.op = "review";
	while ((ch = getopt_long(argc, argv, "r:", opts, NULL)) != -1) {
		if (ch != 'r')
			goto usage;
		c.reason = optarg;
	}
	if (optind + 1 != argc)
		goto usage;
	snprintf(c.workload, sizeof(c.workload), "%s", argv[optind]);
	return send_command(ctl, &c);
usage:
	fprintf(stderr, "usage: paddockctl review NAME [--reason TEXT]\n");
	return CTL_EXIT_USAGE;
}

/* ---------------------------------------------------------------- policy */

/* Revision rev ("current" when 0) of w's policy as YAML; NULL if none. */
static char *
policy_text(struct ctl *ctl, redisContext *c, const char *w, uint64_t rev)
{
	char key[WIRE_NAME_MAX + 80], f[24], *s = NULL;
	redisReply *r;

	snprintf(key, sizeof(key), "%spolicy:{%s}", ctl->conf.redis.prefix, w);
	if (rev == 0) {
		r = redisCommand(c, "HGET %s current", key);
		if (r != NULL && r->type == REDIS_REPLY_STRING)
			rev = strtoull(r->str, NULL, 10);
		freeReplyObject(r);
	}
	snprintf(f, sizeof(f), "%llu", (unsigned long long)rev);
	r = redisCommand(c, "HGET %s %s", key, f);
	if (r != NULL && r->type == REDIS_REPLY_STRING)
		s = strdup(r->str);
	freeReplyObject(r);
	return s;
}

static int
policy_show(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rev", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t rev = 0;
	redisContext *c;
	char *text;
	int ch;

	while ((ch = getopt_long(argc, argv, "R:", opts, NULL)) != -1) {
		if (ch != 'R') {
			fprintf(stderr, "usage: paddockctl policy show NAME "
			    "[--rev N]\n");
			return CTL_EXIT_USAGE;
		}
		rev = strtoull(optarg, NULL, 10);
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: paddockctl policy show NAME [--rev N]\n");
		return CTL_EXIT_USAGE;
	}
	if ((c = ctl_connect(ctl)) == NULL)
		return CTL_EXIT_REDIS;
	text = policy_text(ctl, c, argv[optind], rev);
	redisFree(c);
	if (text == NULL) {
		fprintf(stderr, "paddockctl: %s has no policy%s%s (policies "
		    "come with promotion to alert or enforce)\n", argv[optind],
		    rev ? " revision " : "", rev ? "asked for" : "");
		return CTL_EXIT_UNKNOWN;
	}
	fputs(text, stdout);
	free(text);
	return CTL_EXIT_OK;
}

/* Write a and b to temporary files and run diff -u on them. */
static int
diff_texts(const char *ta, const char *la, const char *tb, const char *lb)
{
	char fa[] = "/tmp/paddock-policy-a.XXXXXX";
	char fb[] = "/tmp/paddock-policy-b.XXXXXX";
	int a, b, rc = CTL_EXIT_FAIL, st;
	pid_t pid;

	a = mkstemp(fa);
	b = mkstemp(fb);
	if (a < 0 || b < 0 || write(a, ta, strlen(ta)) < 0 ||
	    write(b, tb, strlen(tb)) < 0) {
		fprintf(stderr, "paddockctl: cannot write temporary files\n");
		goto out;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		execlp("diff", "diff", "-u", "--label", la, "--label", lb, fa, fb,
		    (char *)NULL);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) <= 1)
		rc = CTL_EXIT_OK;
out:
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	unlink(fa);
	unlink(fb);
	return rc;
}

/*
 * What the policy would be if compiled from the profile now (same
 * revision number and stages, so only the behaviour differs).
 */
static char *
policy_from_profile(struct ctl *ctl, redisContext *c, const char *w,
    const char *current)
{
	char key[WIRE_NAME_MAX + 80], *s = NULL;
	const char **vals = NULL;
	redisReply *rv = NULL, *ra = NULL;
	json_t *cur = NULL, *view = NULL, *acc = NULL, *doc = NULL;
	json_error_t jerr;
	struct wstate st;
	char err[1024];
	size_t i, n = 0;

	if (policy_parse("current", current, &cur, err, sizeof(err)) < 0)
		return NULL;
	policy_stages(cur, &st);
	snprintf(key, sizeof(key), "%sprof:{%s}:view", ctl->conf.redis.prefix, w);
	rv = redisCommand(c, "GET %s", key);
	snprintf(key, sizeof(key), "%sprof:{%s}:accepted",
	    ctl->conf.redis.prefix, w);
	ra = redisCommand(c, "HVALS %s", key);
	if (rv == NULL || rv->type != REDIS_REPLY_STRING ||
	    (view = json_loads(rv->str, 0, &jerr)) == NULL)
		goto out;
	if (ra != NULL && ra->type == REDIS_REPLY_ARRAY &&
	    (vals = calloc(ra->elements + 1, sizeof(*vals))) != NULL)
		for (i = 0; i < ra->elements; i++)
			vals[n++] = ra->element[i]->str;
	acc = policy_accepted_view(vals, n);
	doc = policy_compile(w, (uint64_t)json_integer_value(json_object_get(cur,
	    "revision")), view, acc, &st);
	s = jyaml_text(doc);
out:
	free(vals);
	json_decref(cur);
	json_decref(view);
	json_decref(acc);
	json_decref(doc);
	freeReplyObject(rv);
	freeReplyObject(ra);
	return s;
}

static int
policy_diff(struct ctl *ctl, int argc, char **argv)
{
	redisContext *c;
	char *ta = NULL, *tb = NULL, la[64], lb[64];
	int rc;

	if (argc != 2 && argc != 4) {
		fprintf(stderr, "usage: paddockctl policy diff NAME [REV_A REV_B]\n");
		return CTL_EXIT_USAGE;
	}
	if ((c = ctl_connect(ctl)) == NULL)
		return CTL_EXIT_REDIS;
	if (argc == 4) {
		ta = policy_text(ctl, c, argv[1], strtoull(argv[2], NULL, 10));
		tb = policy_text(ctl, c, argv[1], strtoull(argv[3], NULL, 10));
		snprintf(la, sizeof(la), "revision %s", argv[2]);
		snprintf(lb, sizeof(lb), "revision %s", argv[3]);
	} else if ((ta = policy_text(ctl, c, argv[1], 0)) != NULL) {
		tb = policy_from_profile(ctl, c, argv[1], ta);
		snprintf(la, sizeof(la), "policy (current revision)");
		snprintf(lb, sizeof(lb), "compiled from the current profile");
	}
	redisFree(c);
	if (ta == NULL || tb == NULL) {
		fprintf(stderr, "paddockctl: %s: %s\n", argv[1], argc == 4 ?
		    "no such revision" : ta == NULL ? "no policy yet" :
		    "no profile to compare with");
		rc = CTL_EXIT_UNKNOWN;
	} else
		rc = diff_texts(ta, la, tb, lb);
	free(ta);
	free(tb);
	return rc;
}

static int
policy_apply(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct wire_command c;
	char err[4096];
	json_t *doc;
	char *text;
	int ch, rc;

	memset(&c, 0, sizeof(c));
	while ((ch = getopt_long(argc, argv, "r:f", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': c.reason = optarg; break;
		case 'f': c.force = 1; break;
		default: goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	if ((text = ctl_read_file(argv[optind], 1 << 20)) == NULL)
		return CTL_EXIT_FAIL;
	/* Checked here first (the same code policyd runs) for fast errors. */
	if (policy_parse(argv[optind], text, &doc, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\npaddockctl: %s rejected; nothing changed\n",
		    err, argv[optind]);
		free(text);
		return CTL_EXIT_FAIL;
	}
	if (!c.force && policy_broad(doc, err, sizeof(err))) {
		fprintf(stderr, "paddockctl: %s allows everything in a "
		    "dimension: %s; apply with --force if that is meant; "
		    "nothing changed\n", argv[optind], err);
		json_decref(doc);
		free(text);
		return CTL_EXIT_FAIL;
	}
	snprintf(c.workload, sizeof(c.workload), "%s",
	    json_string_value(json_object_get(doc, "workload")));
	json_decref(doc);
	c.op = "apply";
	c.arg = argv[optind];
	c.text = text;
	rc = send_command(ctl, &c);
	free(text);
	return rc;
usage:
	fprintf(stderr, "usage: paddockctl policy apply FILE [--reason TEXT] "
	    "[--force]\n");
	return CTL_EXIT_USAGE;
}

static int
cmd_policy(struct ctl *ctl, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return policy_show(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "diff") == 0)
		return policy_diff(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "apply") == 0)
		return policy_apply(ctl, argc - 1, argv + 1);
	fprintf(stderr, "usage: paddockctl policy show NAME [--rev N]\n"
	    "       paddockctl policy diff NAME [REV_A REV_B]\n"
	    "       paddockctl policy apply FILE [--reason TEXT] [--force]\n");
	return CTL_EXIT_USAGE;
}

/* ---------------------------------------------------------------- audit */

static int
cmd_audit(struct ctl *ctl, int argc, char **argv)
{
	char key[128], err[512], when[40];
	struct wire_audit *v = NULL;
	redisContext *c;
	redisReply *r;
	json_t *arr = json_array();
	size_t i, j, n = 0, bad;
	int verify = 0, export = 0, rc = CTL_EXIT_OK;

	for (i = 1; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--verify") == 0)
			verify = 1;
		else if (strcmp(argv[i], "--export") == 0)
			export = 1;
		else {
			fprintf(stderr, "usage: paddockctl audit [--verify] "
			    "[--export] [-o json]\n");
			json_decref(arr);
			return CTL_EXIT_USAGE;
		}
	}
	if ((c = ctl_connect(ctl)) == NULL) {
		json_decref(arr);
		return CTL_EXIT_REDIS;
	}
	ctl_key(ctl, "audit", key, sizeof(key));
	r = redisCommand(c, "XRANGE %s - +", key);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		fprintf(stderr, "paddockctl: Redis: %s\n", r ? r->str : c->errstr);
		rc = CTL_EXIT_REDIS;
		goto out;
	}
	v = calloc(r->elements + 1, sizeof(*v));
	for (i = 0; v != NULL && i < r->elements; i++) {
		redisReply *f = r->element[i]->element[1];

		for (j = 0; j + 1 < f->elements; j += 2)
			if (strcmp(f->element[j]->str, "msgpack") == 0 &&
			    wire_decode(WK_AUDIT, f->element[j + 1]->str,
			    f->element[j + 1]->len, &v[n], err, sizeof(err)) == 0)
				n++;
			else if (strcmp(f->element[j]->str, "msgpack") == 0) {
				printf("entry %zu (%s) is unreadable: %s\n", i + 1,
				    r->element[i]->element[0]->str, err);
				rc = CTL_EXIT_FAIL;
			}
	}
	for (i = 0; i < n; i++) {
		json_t *o;

		wire_time_iso(v[i].ts, when, sizeof(when));
		o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		    "seq", (json_int_t)v[i].seq, "time", when, "actor",
		    v[i].actor, "workload", v[i].workload, "action", v[i].action,
		    "before", v[i].before ? v[i].before : "", "after",
		    v[i].after ? v[i].after : "", "reason", v[i].reason ?
		    v[i].reason : "", "prev", v[i].prev, "hash", v[i].hash);
		if (export) {
			char *line = json_dumps(o, JSON_COMPACT |
			    JSON_PRESERVE_ORDER);

			printf("%s\n", line);
			free(line);
		} else if (!verify && ctl->output == CTL_OUT_TABLE) {
			char b[300], a[300], line[700];

			/* Two lines of at most 100 columns per entry. */
			snprintf(line, sizeof(line), "%s -> %s%s%s%s",
			    policy_stages_compact(v[i].before, b, sizeof(b)),
			    policy_stages_compact(v[i].after, a, sizeof(a)),
			    v[i].reason && *v[i].reason ? " (" : "",
			    v[i].reason && *v[i].reason ? v[i].reason : "",
			    v[i].reason && *v[i].reason ? ")" : "");
			printf("%4llu %.19s %-22.22s %-13s %.30s\n     %.94s\n",
			    (unsigned long long)v[i].seq, when, v[i].actor,
			    v[i].action, v[i].workload, line);
		}
		json_array_append_new(arr, o);
	}
	if (!verify && !export && ctl->output != CTL_OUT_TABLE)
		ctl->output == CTL_OUT_YAML ? ctl_print_yaml(stdout, arr) :
		    ctl_print_json(stdout, arr);
	if (verify) {
		if ((bad = audit_verify(v, n, err, sizeof(err))) != 0) {
			printf("audit trail BROKEN at %s\n", err);
			rc = CTL_EXIT_FAIL;
		} else if (rc == CTL_EXIT_OK)
			printf("audit trail intact: %zu entries, chain verified "
			    "from the first to seq %llu\n", n, n ?
			    (unsigned long long)v[n - 1].seq : 0ull);
	}
out:
	for (i = 0; i < n; i++)
		wire_free(WK_AUDIT, &v[i]);
	free(v);
	json_decref(arr);
	freeReplyObject(r);
	redisFree(c);
	return rc;
}

/* ---------------------------------------------------------------- violations */

/* One violation, one line of at most 100 columns. */
static void
viol_line(json_t *o)
{
	const char *dim = json_string_value(json_object_get(o, "dimension"));
	const char *what = json_string_value(json_object_get(o, "path"));
	json_t *lin = json_object_get(o, "lineage");
	const char *exe = json_string_value(json_object_get(json_array_get(lin,
	    json_array_size(lin) - 1), "exe"));
	char buf[300], fit[100], fit2[48];

	if (dim != NULL && strcmp(dim, "syscall") == 0) {
		/* A signal to a daemon: "kill: SIGTERM to pid 4242". */
		what = json_string_value(json_object_get(o, "syscall_name"));
		if (what == NULL)	/* an i386 syscall: its name says it */
			what = json_string_value(json_object_get(o, "name"));
		else if (json_string_value(json_object_get(o, "name")) != NULL) {
			snprintf(buf, sizeof(buf), "%s: %s", what ? what : "?",
			    json_string_value(json_object_get(o, "name")));
			what = buf;
		}
	} else if (what == NULL) {
		snprintf(buf, sizeof(buf), "%s:%lld",
		    json_string_value(json_object_get(o, "name")) ?
		    json_string_value(json_object_get(o, "name")) :
		    json_string_value(json_object_get(o, "addr")),
		    (long long)json_integer_value(json_object_get(o, "port")));
		what = buf;
	}
	/* 100 columns: what and by whom on a line of their own. */
	printf("%-15s %.19s %-12.12s %-7s %-7s%s\n        %s%s%s\n",
	    json_string_value(json_object_get(o, "id")),
	    json_string_value(json_object_get(o, "time")),
	    json_string_value(json_object_get(o, "workload")), dim,
	    json_string_value(json_object_get(o, "action")),
	    json_is_true(json_object_get(o, "accepted")) ? " [accepted]" :
	    json_integer_value(json_object_get(o, "mode")) & WM_PROTECT ?
	    " [self-protection]" : "",
	    ctl_fit(what ? what : "?", exe ? 50 : 90, fit, sizeof(fit)),
	    exe ? " by " : "", exe ? ctl_fit(exe, 36, fit2, sizeof(fit2)) : "");
}

/*
 * --follow: the violations stream as it grows (XREAD BLOCK from now on),
 * one line or, with -o json, one JSON object per line.
 */
static int
follow(struct ctl *ctl, redisContext *c, const char *only)
{
	char key[160], last[64] = "$", err[256];
	redisReply *r;
	size_t i;

	ctl_key(ctl, "violations", key, sizeof(key));
	for (;;) {
		r = redisCommand(c, "XREAD BLOCK 0 STREAMS %s %s", key, last);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
			fprintf(stderr, "paddockctl: redis: %s\n", r == NULL ?
			    c->errstr : r->type == REDIS_REPLY_ERROR ? r->str :
			    "unexpected reply");
			freeReplyObject(r);
			return CTL_EXIT_REDIS;
		}
		for (i = 0; i < r->element[0]->element[1]->elements; i++) {
			redisReply *e = r->element[0]->element[1]->element[i];
			struct wire_violation v;
			json_t *o;
			size_t k;

			snprintf(last, sizeof(last), "%s", e->element[0]->str);
			for (k = 0; k + 1 < e->element[1]->elements; k += 2)
				if (strcmp(e->element[1]->element[k]->str,
				    "msgpack") == 0)
					break;
			if (k + 1 >= e->element[1]->elements ||
			    wire_decode(WK_VIOLATION,
			    e->element[1]->element[k + 1]->str,
			    e->element[1]->element[k + 1]->len, &v, err,
			    sizeof(err)) < 0)
				continue;	/* not ours to judge: skip */
			if ((only == NULL || strcmp(only, v.workload) == 0) &&
			    (o = policy_violation_json(&v, last)) != NULL) {
				if (ctl->output == CTL_OUT_JSON) {
					json_dumpf(o, stdout, JSON_COMPACT |
					    JSON_PRESERVE_ORDER);
					putchar('\n');
				} else
					viol_line(o);
				fflush(stdout);
				json_decref(o);
			}
			wire_free(WK_VIOLATION, &v);
		}
		freeReplyObject(r);
	}
}

static int
cmd_violations(struct ctl *ctl, int argc, char **argv)
{
	char key[WIRE_NAME_MAX + 80];
	redisContext *c;
	redisReply *names = NULL, *r;
	json_t *arr = json_array(), *o;
	json_error_t jerr;
	const char *only = NULL;
	int follow_on = 0, i, rc;
	size_t j, k;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--workload") == 0 && i + 1 < argc)
			only = argv[++i];
		else if (strcmp(argv[i], "--follow") == 0 ||
		    strcmp(argv[i], "-f") == 0)
			follow_on = 1;
		else {
			fprintf(stderr, "usage: paddockctl violations "
			    "[--workload NAME] [--follow] [-o json]\n");
			json_decref(arr);
			return CTL_EXIT_USAGE;
		}
	}
	if ((c = ctl_connect(ctl)) == NULL) {
		json_decref(arr);
		return CTL_EXIT_REDIS;
	}
	if (follow_on) {
		json_decref(arr);
		rc = follow(ctl, c, only);
		redisFree(c);
		return rc;
	}
	ctl_key(ctl, "workloads", key, sizeof(key));
	names = redisCommand(c, "SMEMBERS %s", key);
	/* Every workload's, then Paddock's own: what enforced found tampered
	 * with (workload "paddock-enforced", never a workload of the host). */
	for (j = 0; names && names->type == REDIS_REPLY_ARRAY &&
	    j <= names->elements; j++) {
		const char *w = j < names->elements ? names->element[j]->str :
		    "paddock-enforced";

		if (only && strcmp(only, w) != 0)
			continue;
		snprintf(key, sizeof(key), "%sviol:{%s}", ctl->conf.redis.prefix,
		    w);
		r = redisCommand(c, "HVALS %s", key);
		for (k = 0; r && r->type == REDIS_REPLY_ARRAY && k < r->elements;
		    k++)
			if ((o = json_loads(r->element[k]->str, 0, &jerr)) != NULL)
				json_array_append_new(arr, o);
		freeReplyObject(r);
	}
	if (ctl->output == CTL_OUT_JSON)
		ctl_print_json(stdout, arr);
	else if (ctl->output == CTL_OUT_YAML)
		ctl_print_yaml(stdout, arr);
	else
		json_array_foreach(arr, j, o)
			viol_line(o);
	json_decref(arr);
	freeReplyObject(names);
	redisFree(c);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_promote = {
	"promote", "move a workload (or one dimension) to a later stage",
	cmd_promote,
};
const struct ctl_cmd ctl_cmd_demote = {
	"demote", "move a workload (or one dimension) to an earlier stage",
	cmd_demote,
};
const struct ctl_cmd ctl_cmd_accept = {
	"accept", "fold a violation into the baseline and the policy",
	cmd_accept,
};
const struct ctl_cmd ctl_cmd_review = {
	"review", "record that an operator has reviewed a workload (it leaves "
	"the shadow-AI view)", cmd_review,
};
const struct ctl_cmd ctl_cmd_policy = {
	"policy", "show, diff or apply a workload's policy", cmd_policy,
};
const struct ctl_cmd ctl_cmd_audit = {
	"audit", "the audit trail (--verify checks the hash chain)", cmd_audit,
};
const struct ctl_cmd ctl_cmd_violations = {
	"violations", "violations per workload", cmd_violations,
};

/* ---------------------------------------------------------------- status */

/*
 * The backlog of each consumer group, counted: entries after the group's
 * last-delivered id (read page by page, at most BACKLOG_CAP: beyond that
 * status says "at least") plus those delivered and not acknowledged (its
 * PEL).  Redis
 * keeps a "lag" too, but it is a counter that goes stale (after a restart
 * from the AOF, a trim or a deleted entry it is nil or wrong), and an
 * operator on call needs the number that is true.
 */
#define BACKLOG_CAP	100000
#define BACKLOG_PAGE	5000

/* Entries of key after id last, counted (at most BACKLOG_CAP, *more then
 * set); -EIO when Redis does not answer as it should. */
static json_int_t
unread_after(redisContext *c, const char *key, const char *last, int *more)
{
	char from[64];
	json_int_t n = 0;
	redisReply *r;
	size_t k;

	*more = 0;
	snprintf(from, sizeof(from), "(%s", last);
	for (;;) {
		r = redisCommand(c, "XRANGE %s %s + COUNT %d", key, from,
		    BACKLOG_PAGE);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY || (r->elements >
		    0 && (r->element[r->elements - 1]->type !=
		    REDIS_REPLY_ARRAY || r->element[r->elements - 1]->elements <
		    1 || r->element[r->elements - 1]->element[0]->type !=
		    REDIS_REPLY_STRING))) {
			freeReplyObject(r);
			return -EIO;
		}
		n += (json_int_t)r->elements;
		k = r->elements;
		if (k > 0)
			snprintf(from, sizeof(from), "(%s",
			    r->element[k - 1]->element[0]->str);
		freeReplyObject(r);
		if (k < BACKLOG_PAGE)
			return n;
		if (n >= BACKLOG_CAP) {
			*more = 1;
			return n;
		}
	}
}

static json_t *
backlogs(struct ctl *ctl, redisContext *c)
{
	static const char *const streams[] = { "events", "profiles",
	    "policies", "policy-acks", "violations", "commands", NULL };
	json_t *out = json_array();
	char key[160];
	size_t i, g, f;

	for (i = 0; streams[i] != NULL; i++) {
		redisReply *r, *len;
		json_t *groups = json_array();

		ctl_key(ctl, streams[i], key, sizeof(key));
		len = redisCommand(c, "XLEN %s", key);
		r = redisCommand(c, "XINFO GROUPS %s", key);
		for (g = 0; r && r->type == REDIS_REPLY_ARRAY &&
		    g < r->elements; g++) {
			const redisReply *e = r->element[g];
			const char *name = NULL, *last = "0-0";
			json_int_t pending = 0, lag = -1, unread;
			int more;

			for (f = 0; e->type == REDIS_REPLY_ARRAY &&
			    f + 1 < e->elements; f += 2) {
				const char *k = e->element[f]->str;
				const redisReply *v = e->element[f + 1];

				if (strcmp(k, "name") == 0)
					name = v->str;
				else if (strcmp(k, "pending") == 0)
					pending = v->integer;
				else if (strcmp(k, "last-delivered-id") == 0)
					last = v->str;
				else if (strcmp(k, "lag") == 0 &&
				    v->type == REDIS_REPLY_INTEGER)
					lag = v->integer;
			}
			if (name == NULL ||
			    (unread = unread_after(c, key, last, &more)) < 0)
				continue;
			json_array_append_new(groups, json_pack("{s:s, s:I, "
			    "s:I, s:I, s:b, s:o}", "group", name, "backlog",
			    unread + pending, "unread", unread, "pending",
			    pending, "at_least", more, "redis_lag", lag < 0 ?
			    json_null() : json_integer(lag)));
		}
		freeReplyObject(r);
		json_array_append_new(out, json_pack("{s:s, s:I, s:o}", "stream",
		    streams[i], "length", len && len->type ==
		    REDIS_REPLY_INTEGER ? (json_int_t)len->integer : 0,
		    "groups", groups));
		freeReplyObject(len);
	}
	return out;
}

/*
 * paddockctl status: the stack at a glance: Redis, each daemon's last
 * report, each stream's length and each consumer group's true backlog,
 * and for each workload with a policy, its stage, its current revision
 * and which revision each host's enforcer acknowledged.
 */
static int
cmd_status(struct ctl *ctl, int argc, char **argv)
{
	char key[WIRE_NAME_MAX + 80], pat[128], url[512];
	redisContext *c;
	redisReply *r, *names;
	json_t *o = json_object(), *daemons = json_array(), *pols = json_array();
	json_t *partial = json_array();
	json_t *d, *p, *backends;
	const char *key2;
	json_error_t jerr;
	size_t i, k;
	long long now = (long long)time(NULL);

	if (argc != 1) {
		fprintf(stderr, "usage: paddockctl status [-o json]\n");
		json_decref(o);
		return CTL_EXIT_USAGE;
	}
	if ((c = ctl_connect(ctl)) == NULL) {
		json_decref(o);
		return CTL_EXIT_REDIS;
	}
	json_object_set_new(o, "redis", json_string(ctl_redis_url(ctl, url,
	    sizeof(url))));
	r = redisCommand(c, "INFO server");
	if (r != NULL && r->type == REDIS_REPLY_STRING) {
		char *v = strstr(r->str, "redis_version:");

		if (v != NULL)
			json_object_set_new(o, "redis_version", json_stringn(v + 14,
			    strcspn(v + 14, "\r\n")));
	}
	freeReplyObject(r);
	snprintf(pat, sizeof(pat), "%sstats:*", ctl->conf.redis.prefix);
	r = redisCommand(c, "KEYS %s", pat);
	for (i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		redisReply *u = redisCommand(c, "HGET %s updated",
		    r->element[i]->str);
		long long at = u && u->type == REDIS_REPLY_STRING ?
		    atoll(u->str) : 0;

		json_t *dm = json_pack("{s:s, s:I}", "stats",
		    r->element[i]->str + strlen(ctl->conf.redis.prefix) + 6,
		    "seconds_ago", (json_int_t)(at ? now - at : -1));

		freeReplyObject(u);
		u = NULL;
		if (strncmp(r->element[i]->str + strlen(ctl->conf.redis.prefix) +
		    6, "enforced:", 9) == 0 && (u = redisCommand(c, "HMGET %s "
		    "links_held links_attached tamper tamper_last backends",
		    r->element[i]->str)) != NULL && u->type ==
		    REDIS_REPLY_ARRAY && u->elements == 5 &&
		    u->element[0]->type == REDIS_REPLY_STRING) {
			json_object_set_new(dm, "enforcer", json_pack(
			    "{s:I, s:I, s:I, s:s, s:s}",
			    "links_held", (json_int_t)atoll(u->element[0]->str),
			    "links_attached", (json_int_t)atoll(
			    u->element[1]->str ? u->element[1]->str : "0"),
			    "tamper", (json_int_t)atoll(u->element[2]->str ?
			    u->element[2]->str : "0"),
			    "tamper_last", u->element[3]->str ?
			    u->element[3]->str : "",
			    "backends", u->element[4]->str ?
			    u->element[4]->str : ""));
			freeReplyObject(u);
		} else if (u != NULL)
			freeReplyObject(u);
		json_array_append_new(daemons, dm);
	}
	freeReplyObject(r);
	json_object_set_new(o, "daemons", daemons);
	ctl_key(ctl, "workloads", key, sizeof(key));
	names = redisCommand(c, "SMEMBERS %s", key);
	for (i = 0; names && names->type == REDIS_REPLY_ARRAY &&
	    i < names->elements; i++) {
		const char *w = names->element[i]->str;
		json_t *acks = json_object();
		redisReply *rev, *pm;

		/* A partial profile: what was not seen, and when. */
		snprintf(key, sizeof(key), "%sprof:{%s}:meta",
		    ctl->conf.redis.prefix, w);
		pm = redisCommand(c, "HMGET %s complete lost gaps loss_from_ms "
		    "loss_to_ms", key);
		if (pm != NULL && pm->type == REDIS_REPLY_ARRAY &&
		    pm->elements == 5 && pm->element[0]->str != NULL &&
		    strcmp(pm->element[0]->str, "0") == 0) {
			long long f = pm->element[3]->str ?
			    atoll(pm->element[3]->str) : 0;
			long long t = pm->element[4]->str ?
			    atoll(pm->element[4]->str) : 0;

			json_array_append_new(partial, json_pack(
			    "{s:s, s:I, s:I, s:o}", "workload", w, "lost_events",
			    (json_int_t)(pm->element[1]->str ?
			    atoll(pm->element[1]->str) : 0), "loss_gaps",
			    (json_int_t)(pm->element[2]->str ?
			    atoll(pm->element[2]->str) : 0), "loss_window",
			    ctl_loss_window(f, t)));
		}
		freeReplyObject(pm);
		snprintf(key, sizeof(key), "%sstate:{%s}", ctl->conf.redis.prefix,
		    w);
		rev = redisCommand(c, "HGET %s rev", key);
		if (rev == NULL || rev->type != REDIS_REPLY_STRING ||
		    atoll(rev->str) == 0) {
			freeReplyObject(rev);
			json_decref(acks);
			continue;
		}
		snprintf(key, sizeof(key), "%sacks:{%s}", ctl->conf.redis.prefix,
		    w);
		r = redisCommand(c, "HGETALL %s", key);
		for (k = 0; r && r->type == REDIS_REPLY_ARRAY &&
		    k + 1 < r->elements; k += 2) {
			json_t *a = json_loads(r->element[k + 1]->str, 0, &jerr);

			if (a != NULL)
				json_object_set_new(acks, r->element[k]->str, a);
		}
		freeReplyObject(r);
		json_array_append_new(pols, json_pack("{s:s, s:s, s:I, s:o}",
		    "workload", w, "stage", ctl_stage(ctl, c, w), "revision",
		    (json_int_t)atoll(rev->str), "enforcers", acks));
		freeReplyObject(rev);
	}
	freeReplyObject(names);
	json_object_set_new(o, "policies", pols);
	json_object_set_new(o, "partial", partial);
	json_object_set_new(o, "streams", backlogs(ctl, c));
	redisFree(c);
	if (ctl->output != CTL_OUT_TABLE) {
		ctl->output == CTL_OUT_YAML ? ctl_print_yaml(stdout, o) :
		    ctl_print_json(stdout, o);
		json_decref(o);
		return CTL_EXIT_OK;
	}
	printf("redis     %s (version %s)\n", url, json_string_value(
	    json_object_get(o, "redis_version")) ? json_string_value(
	    json_object_get(o, "redis_version")) : "?");
	json_array_foreach(daemons, i, d) {
		printf("daemon    %-40s last report %llds ago\n",
		    json_string_value(json_object_get(d, "stats")),
		    (long long)json_integer_value(json_object_get(d,
		    "seconds_ago")));
	}
	json_array_foreach(json_object_get(o, "streams"), i, p) {
		json_t *g;

		json_array_foreach(json_object_get(p, "groups"), k, g)
			printf("stream    %-12s %-20s backlog %s%lld (unread "
			    "%lld, pending %lld) of %lld\n",
			    json_string_value(json_object_get(p, "stream")),
			    json_string_value(json_object_get(g, "group")),
			    json_is_true(json_object_get(g, "at_least")) ?
			    "at least " : "", (long long)json_integer_value(
			    json_object_get(g, "backlog")), (long long)
			    json_integer_value(json_object_get(g, "unread")),
			    (long long)json_integer_value(json_object_get(g,
			    "pending")), (long long)json_integer_value(
			    json_object_get(p, "length")));
	}
	json_array_foreach(partial, i, p) {
		json_t *win = json_object_get(p, "loss_window");

		printf("partial   %-28s %lld events lost, %lld gaps",
		    json_string_value(json_object_get(p, "workload")),
		    (long long)json_integer_value(json_object_get(p,
		    "lost_events")), (long long)json_integer_value(
		    json_object_get(p, "loss_gaps")));
		if (json_is_array(win))
			printf(", %s .. %s", json_string_value(
			    json_array_get(win, 0)), json_string_value(
			    json_array_get(win, 1)));
		else
			printf(" (started before the collector)");
		printf("\n");
	}
	if (json_array_size(pols) == 0)
		printf("policies  none yet (paddockctl promote NAME --to alert)\n");
	backends = json_object();
	json_array_foreach(pols, i, p) {
		json_t *acks = json_object_get(p, "enforcers"), *a;
		const char *host;

		printf("policy    %-28s %-8s rev %-4lld", json_string_value(
		    json_object_get(p, "workload")), json_string_value(
		    json_object_get(p, "stage")), (long long)json_integer_value(
		    json_object_get(p, "revision")));
		if (json_object_size(acks) == 0)
			printf(" live nowhere yet (no enforcer acknowledged it)");
		json_object_foreach(acks, host, a)
			printf(" %s: rev %lld%s", host,
			    (long long)json_integer_value(json_object_get(a,
			    "rev")), json_is_true(json_object_get(a, "ok")) ?
			    "" : " (failed)");
		json_object_foreach(acks, host, a)
			if (json_is_string(json_object_get(a, "backends")))
				json_object_set(backends, host,
				    json_object_get(a, "backends"));
		printf("\n");
	}
	/* What the kernel really does, per dimension, on each host; and from
	 * each enforcer's own report: its links attached now, and what it
	 * found tampered with and put back. */
	json_array_foreach(daemons, i, d) {
		const char *st = json_string_value(json_object_get(d, "stats"));
		json_t *e = json_object_get(d, "enforcer");

		if (e == NULL || strncmp(st, "enforced:", 9) != 0)
			continue;
		if (!json_object_get(backends, st + 9))
			json_object_set(backends, st + 9, json_object_get(e,
			    "backends"));
	}
	json_object_foreach(backends, key2, d) {
		json_t *e = NULL;

		json_array_foreach(daemons, i, p)
			if (strcmp(json_string_value(json_object_get(p, "stats")) +
			    9, key2) == 0 && (e = json_object_get(p, "enforcer")))
				break;
		printf("enforcer  %-28s %s", key2, json_string_value(d) ?
		    json_string_value(d) : "");
		if (e != NULL) {
			long long held = json_integer_value(json_object_get(e,
			    "links_held")), att = json_integer_value(
			    json_object_get(e, "links_attached"));

			printf("; links %lld/%lld attached%s, tamper %lld",
			    att, held, att < held ? " (NOT ATTACHED: some)" : "",
			    (long long)json_integer_value(json_object_get(e,
			    "tamper")));
			if (json_integer_value(json_object_get(e, "tamper")) > 0)
				printf(" (last: %s)", json_string_value(
				    json_object_get(e, "tamper_last")));
		}
		printf("\n");
	}
	json_decref(backends);
	json_decref(o);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_status = {
	"status", "the stack, its daemons and where each policy is live",
	cmd_status,
};
