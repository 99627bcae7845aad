/*
 * wire_tool: what integration tests need that no daemon does on purpose.
 * It logs in to Redis as $PADDOCK_REDIS_USER with $PADDOCK_REDIS_PASSWORD
 * (Paddock's own Redis lets no one else write).
 *
 *   wire_tool violation URL STREAM WORKLOAD DIM WHAT
 *       XADD a violation record (as enforced would) of WORKLOAD in
 *       dimension DIM (exec, file, net) about WHAT (a path, or an address
 *       for net), with a two-step lineage.  Prints the entry id.
 *   wire_tool ack URL STREAM WORKLOAD HOST REV
 *       XADD a policy acknowledgement as HOST's enforcer would.
 *   wire_tool command URL STREAM USER OP WORKLOAD ARG SIG
 *       XADD a command as USER would send it (op promote or demote, ARG
 *       the stage), due in 15 s, signed with SIG (64 hex digits, or
 *       "none"): a forged command, as a process that reaches Redis but
 *       holds no operator's key would send it.  Prints its id.
 *   wire_tool tamper-audit URL STREAM N
 *       Rewrite the audit stream with entry N's "after" changed and
 *       everything else, ids included, as it was: what someone editing
 *       Redis by hand would do.  audit --verify must notice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "daemon.h"
#include "rstream.h"
#include "wire.h"

static int
violation(redisContext *c, char **argv)
{
	struct wire_violation v;
	struct wire_proc lin[2] = { { 100, "/usr/bin/node", "node agent.js" },
	    { 101, "/usr/bin/cat", "cat /etc/shadow" } };
	char id[64];
	struct timespec ts;

	memset(&v, 0, sizeof(v));
	clock_gettime(CLOCK_REALTIME, &ts);
	v.ts = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	snprintf(v.host, sizeof(v.host), "testhost");
	snprintf(v.workload, sizeof(v.workload), "%s", argv[4]);
	v.dim = (uint8_t)wire_name_lookup(wire_dim_names, argv[5]);
	v.action = WA_ALERTED;
	v.pid = 101;
	v.exe = "/usr/bin/cat";
	v.syscall = -1;
	if (v.dim == WD_NET) {
		snprintf(v.addr, sizeof(v.addr), "%s", argv[6]);
		v.family = 4;
		v.proto = WP_TCP;
		v.port = 443;
	} else {
		v.path = argv[6];
		v.mode = WM_READ;
	}
	v.lineage.v = lin;
	v.lineage.n = 2;
	if (stream_publish_sync(c, argv[3], 0, WK_VIOLATION, &v, v.workload,
	    v.host, v.ts, id, sizeof(id)) < 0) {
		fprintf(stderr, "wire_tool: XADD failed\n");
		return 1;
	}
	printf("%s\n", id);
	return 0;
}

static int
ack(redisContext *c, char **argv)
{
	struct wire_policy_ack a;
	struct timespec ts;

	memset(&a, 0, sizeof(a));
	clock_gettime(CLOCK_REALTIME, &ts);
	a.ts = (uint64_t)ts.tv_sec * 1000000000ull;
	snprintf(a.workload, sizeof(a.workload), "%s", argv[4]);
	snprintf(a.host, sizeof(a.host), "%s", argv[5]);
	a.rev = strtoull(argv[6], NULL, 10);
	a.ok = 1;
	a.backends = "net=cgroup";
	if (stream_publish_sync(c, argv[3], 0, WK_POLICY_ACK, &a, a.workload,
	    a.host, a.ts, NULL, 0) < 0) {
		fprintf(stderr, "wire_tool: XADD failed\n");
		return 1;
	}
	return 0;
}

static int
tamper(redisContext *c, char **argv)
{
	long n = strtol(argv[4], NULL, 10);
	redisReply *r, *x;
	size_t i, j;
	int done = 0;

	r = redisCommand(c, "XRANGE %s - +", argv[3]);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || (size_t)n > r->elements
	    || n < 1) {
		fprintf(stderr, "wire_tool: no entry %ld\n", n);
		return 1;
	}
	freeReplyObject(redisCommand(c, "DEL %s", argv[3]));
	for (i = 0; i < r->elements; i++) {
		redisReply *f = r->element[i]->element[1];
		const char *av[32];
		size_t al[32];
		struct wire_audit a;
		struct wire_buf b = { 0 };
		char err[256];
		int k = 0;

		av[k] = "XADD"; al[k] = 4; k++;
		av[k] = argv[3]; al[k] = strlen(argv[3]); k++;
		av[k] = r->element[i]->element[0]->str;
		al[k] = r->element[i]->element[0]->len; k++;
		for (j = 0; j + 1 < f->elements && k < 30; j += 2) {
			av[k] = f->element[j]->str;
			al[k++] = f->element[j]->len;
			av[k] = f->element[j + 1]->str;
			al[k++] = f->element[j + 1]->len;
			if ((long)i + 1 == n &&
			    strcmp(f->element[j]->str, "msgpack") == 0 &&
			    wire_decode(WK_AUDIT, f->element[j + 1]->str,
			    f->element[j + 1]->len, &a, err, sizeof(err)) == 0) {
				free(a.after);
				a.after = strdup("exec=learning (edited by hand)");
				wire_encode(WK_AUDIT, &a, &b, err, sizeof(err));
				av[k - 1] = b.data;
				al[k - 1] = b.len;
				done = 1;
				wire_free(WK_AUDIT, &a);
			}
		}
		x = redisCommandArgv(c, k, av, al);
		freeReplyObject(x);
		wire_buf_free(&b);
	}
	freeReplyObject(r);
	printf("%s entry %ld\n", done ? "tampered" : "could not tamper", n);
	return done ? 0 : 1;
}

static int
command(redisContext *c, char **argv)
{
	struct wire_command m;
	char id[64];

	memset(&m, 0, sizeof(m));
	snprintf(m.id, sizeof(m.id), "f0f0%08lx", (unsigned long)time(NULL));
	m.ts = daemon_now_ns();
	m.deadline = m.ts + 15000000000ull;
	m.user = argv[4];
	m.op = argv[5];
	snprintf(m.workload, sizeof(m.workload), "%s", argv[6]);
	m.arg = argv[7];
	m.reason = "forged";
	if (strcmp(argv[8], "none") != 0)
		snprintf(m.sig, sizeof(m.sig), "%s", argv[8]);
	if (stream_publish_sync(c, argv[3], 0, WK_COMMAND, &m, m.workload,
	    "forger", m.ts, id, sizeof(id)) < 0) {
		fprintf(stderr, "wire_tool: XADD failed\n");
		return 1;
	}
	printf("%s\n", m.id);
	return 0;
}

int
main(int argc, char **argv)
{
	char err[256];
	redisContext *c;
	int rc;

	if (argc < 3 || (strcmp(argv[1], "violation") == 0 && argc != 7) ||
	    (strcmp(argv[1], "ack") == 0 && argc != 7) ||
	    (strcmp(argv[1], "command") == 0 && argc != 9) ||
	    (strcmp(argv[1], "tamper-audit") == 0 && argc != 5)) {
		fprintf(stderr, "usage: wire_tool violation URL STREAM WORKLOAD "
		    "DIM WHAT\n       wire_tool ack URL STREAM WORKLOAD HOST REV\n"
		    "       wire_tool command URL STREAM USER OP WORKLOAD ARG SIG\n"
		    "       wire_tool tamper-audit URL STREAM N\n");
		return 2;
	}
	/* As the Redis user the environment names (Paddock's own Redis lets
	 * the default user read only): PADDOCK_REDIS_USER, _PASSWORD. */
	if ((c = rstream_connect_sync(argv[2], getenv("PADDOCK_REDIS_USER"),
	    getenv("PADDOCK_REDIS_PASSWORD"), 2000, err, sizeof(err))) == NULL) {
		fprintf(stderr, "wire_tool: %s\n", err);
		return 1;
	}
	rc = strcmp(argv[1], "violation") == 0 ? violation(c, argv) :
	    strcmp(argv[1], "ack") == 0 ? ack(c, argv) :
	    strcmp(argv[1], "command") == 0 ? command(c, argv) :
	    tamper(c, argv);
	redisFree(c);
	return rc;
}
