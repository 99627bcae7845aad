/*
 * test_rstream: libcommon/rstream against a real redis-server, with the
 * producer and consumers as real processes (tests/helpers/rs_tool):
 *
 *   - 100,000 entries move through a consumer group, none lost, none twice;
 *   - a consumer killed mid-stream: a new one recovers its pending entries;
 *   - a handler that defers its acknowledgements (RS_DEFER, rstream_ack):
 *     what it held when killed comes back to it, marked redelivered;
 *   - redis-server restarted while the writer runs: nothing the writer
 *     reported as written is lost;
 *   - poison entries reach the dead-letter stream and processing goes on.
 *
 * Plus the pure URL parser.
 */
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "rstream.h"
#include "testutil.h"

struct seen {
	unsigned char	*count;		/* times each sequence number was seen */
	size_t		 n;
	char		 stats[512];
};

static void
seen_read(const char *file, char tag, struct seen *s, size_t n)
{
	char line[512];
	FILE *f;

	s->count = calloc(n, 1);
	s->n = n;
	s->stats[0] = '\0';
	assert_non_null(f = fopen(file, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long long v;

		if (line[0] == tag && sscanf(line + 2, "%llu", &v) == 1) {
			assert_true(v < n);
			if (s->count[v] < 255)
				s->count[v]++;
		} else if (strncmp(line, "STATS", 5) == 0) {
			snprintf(s->stats, sizeof(s->stats), "%s", line);
		}
	}
	fclose(f);
}

/* Every entry of stream was acknowledged in group g. */
static void
assert_none_pending(redisContext *rc, const char *stream)
{
	redisReply *rep = redisCommand(rc, "XPENDING %s g", stream);

	assert_non_null(rep);
	assert_int_equal(rep->element[0]->integer, 0);
	freeReplyObject(rep);
}

static char *
tool(char *buf, size_t len)
{
	return (char *)tu_path("build/tests/helpers/rs_tool", buf, len);
}

static void
outfile(struct tu_redis *r, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", r->dir, name);
}

static void
test_rstream_100k_none_lost_none_twice(void **state)
{
	struct tu_redis *r = *state;
	char t[512], pout[400], cout[400];
	struct seen w, c;
	redisContext *rc;
	pid_t p, q;
	size_t i;

	outfile(r, "p100k", pout, sizeof(pout));
	outfile(r, "c100k", cout, sizeof(cout));
	{
		char *cargv[] = { tool(t, sizeof(t)), "consume", r->url, "t:big",
		    "g", "c1", "3000", NULL };
		q = tu_spawn(cargv, cout);
	}
	{
		char *pargv[] = { t, "produce", r->url, "t:big", "100000", NULL };
		p = tu_spawn(pargv, pout);
	}
	assert_int_equal(tu_wait(p, 120000), 0);
	assert_int_equal(tu_wait(q, 120000), 0);
	seen_read(pout, 'W', &w, 100000);
	seen_read(cout, 'R', &c, 100000);
	for (i = 0; i < 100000; i++) {
		if (w.count[i] != 1)
			fail_msg("entry %zu written %d times", i, w.count[i]);
		if (c.count[i] != 1)
			fail_msg("entry %zu consumed %d times", i, c.count[i]);
	}
	assert_non_null(strstr(c.stats, "acked=100000"));
	assert_non_null(rc = tu_redis_connect(r));
	assert_int_equal(tu_redis_int(rc, "XLEN t:big"), 100000);
	assert_none_pending(rc, "t:big");
	redisFree(rc);
	free(w.count);
	free(c.count);
}

static size_t
lines_in(const char *file)
{
	char line[256];
	size_t n = 0;
	FILE *f = fopen(file, "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += line[0] == 'R';
	fclose(f);
	return n;
}

static void
test_rstream_killed_consumer_recovered(void **state)
{
	struct tu_redis *r = *state;
	char t[512], pout[400], aout[400], bout[400];
	struct seen a, b;
	redisContext *rc;
	size_t i, dup = 0;
	pid_t p, qa, qb;
	int waited = 0;

	outfile(r, "pkill", pout, sizeof(pout));
	outfile(r, "ckill-a", aout, sizeof(aout));
	outfile(r, "ckill-b", bout, sizeof(bout));
	{
		char *pargv[] = { tool(t, sizeof(t)), "produce", r->url, "t:kill",
		    "5000", NULL };
		p = tu_spawn(pargv, pout);
		assert_int_equal(tu_wait(p, 60000), 0);
	}
	{
		/* A slow consumer: 1 ms per entry. */
		char *aargv[] = { t, "consume", r->url, "t:kill", "g", "a",
		    "10000", "1000", NULL };
		qa = tu_spawn(aargv, aout);
	}
	while (lines_in(aout) < 600 && waited < 30000) {
		tu_sleep_ms(20);
		waited += 20;
	}
	assert_true(lines_in(aout) >= 600);
	kill(qa, SIGKILL);
	tu_wait(qa, 5000);
	{
		/* B claims entries idle for 300 ms and stops after 2.5 s idle. */
		char *bargv[] = { t, "consume", r->url, "t:kill", "g", "b",
		    "2500", "0", "300", NULL };
		qb = tu_spawn(bargv, bout);
	}
	assert_int_equal(tu_wait(qb, 60000), 0);
	seen_read(aout, 'R', &a, 5000);
	seen_read(bout, 'R', &b, 5000);
	for (i = 0; i < 5000; i++) {
		if (a.count[i] + b.count[i] == 0)
			fail_msg("entry %zu never processed", i);
		if (a.count[i] && b.count[i])
			dup++;
	}
	/* Only what A processed but had not acknowledged runs twice. */
	assert_true(dup <= 256);
	assert_true(strstr(b.stats, "claimed=0") == NULL);
	assert_non_null(rc = tu_redis_connect(r));
	assert_none_pending(rc, "t:kill");
	redisFree(rc);
	free(a.count);
	free(b.count);
}

/*
 * Deferred acknowledgements: a consumer that acknowledges the first 300
 * entries it handles and holds the rest is killed; run again under its
 * name, it reads back what it held (and what it had read but not yet
 * handled), each marked redelivered, never what it acknowledged, and in
 * the end nothing is pending.
 */
static void
test_rstream_deferred_acks_come_back_marked(void **state)
{
	struct tu_redis *r = *state;
	char t[512], pout[400], aout[400], bout[400], line[256];
	struct seen a, b;
	redisContext *rc;
	size_t i, twice = 0, marked = 0, twice_marked = 0;
	unsigned char *flag;
	pid_t p, q;
	int waited = 0;
	FILE *f;

	outfile(r, "pdefer", pout, sizeof(pout));
	outfile(r, "cdefer-a", aout, sizeof(aout));
	outfile(r, "cdefer-b", bout, sizeof(bout));
	{
		char *pargv[] = { tool(t, sizeof(t)), "produce", r->url,
		    "t:defer", "3000", NULL };
		p = tu_spawn(pargv, pout);
		assert_int_equal(tu_wait(p, 60000), 0);
	}
	setenv("RS_TOOL_DEFER", "300", 1);
	{
		/* 1 ms per entry: some are always held, not acknowledged. */
		char *aargv[] = { t, "consume", r->url, "t:defer", "g", "a",
		    "10000", "1000", NULL };
		q = tu_spawn(aargv, aout);
	}
	while (lines_in(aout) < 500 && waited < 30000) {
		tu_sleep_ms(20);
		waited += 20;
	}
	assert_true(lines_in(aout) >= 500);
	kill(q, SIGKILL);
	tu_wait(q, 5000);
	setenv("RS_TOOL_DEFER", "1000000", 1);	/* B acknowledges all */
	{
		char *bargv[] = { t, "consume", r->url, "t:defer", "g", "a",
		    "1500", NULL };
		q = tu_spawn(bargv, bout);
	}
	assert_int_equal(tu_wait(q, 60000), 0);
	unsetenv("RS_TOOL_DEFER");
	seen_read(aout, 'R', &a, 3000);
	seen_read(bout, 'R', &b, 3000);
	for (i = 0; i < 3000; i++) {
		if (a.count[i] + b.count[i] == 0)
			fail_msg("entry %zu never processed", i);
		twice += a.count[i] && b.count[i];
	}
	assert_non_null(flag = calloc(3000, 1));
	assert_non_null(f = fopen(bout, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long long v;

		if (line[0] == 'R' && strstr(line, "redelivered") != NULL &&
		    sscanf(line + 2, "%llu", &v) == 1 && v < 3000) {
			flag[v] = 1;
			marked++;
		}
	}
	fclose(f);
	for (i = 0; i < 3000; i++)
		twice_marked += a.count[i] && b.count[i] && flag[i];
	/*
	 * What A held came back, marked (with what it had read but not yet
	 * handled: a read delivers up to 256); what it acknowledged did not.
	 */
	assert_true(twice >= 500 - 300);
	assert_int_equal(twice_marked, twice);
	assert_true(marked >= twice && marked <= twice + 256);
	for (i = 0; i < 3000; i++)
		if (a.count[i] && b.count[i] && !flag[i])
			fail_msg("entry %zu came back unmarked", i);
	free(flag);
	assert_non_null(rc = tu_redis_connect(r));
	assert_none_pending(rc, "t:defer");
	redisFree(rc);
	free(a.count);
	free(b.count);
}

static void
test_rstream_redis_restart_loses_nothing_written(void **state)
{
	struct tu_redis *r = *state;
	char t[512], pout[400];
	struct seen w;
	redisContext *rc;
	redisReply *rep;
	unsigned char *in;
	size_t i, found = 0;
	pid_t p;
	char last[64] = "-";

	outfile(r, "prestart", pout, sizeof(pout));
	{
		/* 20,000 entries at 10 per ms: about two seconds of writing. */
		char *pargv[] = { tool(t, sizeof(t)), "produce", r->url,
		    "t:restart", "20000", "10", NULL };
		p = tu_spawn(pargv, pout);
	}
	tu_sleep_ms(500);
	assert_int_equal(tu_redis_stop(r), 0);
	tu_sleep_ms(1000);
	assert_int_equal(tu_redis_restart(r), 0);
	assert_int_equal(tu_wait(p, 60000), 0);
	seen_read(pout, 'W', &w, 20000);
	assert_non_null(strstr(w.stats, "overflow=0"));
	assert_non_null(strstr(w.stats, "rejected=0"));
	assert_true(strstr(w.stats, "reconnects=0") == NULL);

	/* Every entry the writer reported as written is in the stream. */
	in = calloc(20000, 1);
	assert_non_null(rc = tu_redis_connect(r));
	for (;;) {
		char start[80];

		snprintf(start, sizeof(start), "%s%s", last[0] == '-' ? "" : "(",
		    last);
		rep = redisCommand(rc, "XRANGE t:restart %s + COUNT 1000", start);
		assert_non_null(rep);
		if (rep->elements == 0) {
			freeReplyObject(rep);
			break;
		}
		for (i = 0; i < rep->elements; i++) {
			redisReply *ent = rep->element[i], *f = ent->element[1];
			size_t k;

			for (k = 0; k + 1 < f->elements; k += 2) {
				if (strcmp(f->element[k]->str, "what") == 0) {
					unsigned long long v;

					assert_int_equal(sscanf(f->element[k + 1]->str,
					    "loss %llu", &v), 1);
					assert_true(v < 20000);
					in[v] = 1;
				}
			}
			snprintf(last, sizeof(last), "%s", ent->element[0]->str);
		}
		freeReplyObject(rep);
	}
	redisFree(rc);
	for (i = 0; i < 20000; i++) {
		if (w.count[i] && !in[i])
			fail_msg("entry %zu reported written but not in Redis", i);
		found += in[i];
	}
	/* The queue had room throughout, so everything got there. */
	assert_int_equal(found, 20000);
	free(in);
	free(w.count);
}

/*
 * A Redis at maxmemory (noeviction) refuses writes with OOM.  That is "not
 * now": the writer waits, nothing is dropped, and once there is room every
 * entry gets there.
 */
static void
test_rstream_full_redis_waits(void **state)
{
	struct tu_redis *r = *state;
	char t[512], pout[400];
	struct seen w;
	redisContext *rc;
	redisReply *rep;
	pid_t p;

	outfile(r, "pfull", pout, sizeof(pout));
	assert_non_null(rc = tu_redis_connect(r));
	freeReplyObject(redisCommand(rc, "CONFIG SET maxmemory-policy "
	    "noeviction"));
	freeReplyObject(redisCommand(rc, "CONFIG SET maxmemory 1"));
	rep = redisCommand(rc, "SET t:probe x");
	assert_non_null(rep);
	assert_int_equal(rep->type, REDIS_REPLY_ERROR);	/* OOM: full */
	freeReplyObject(rep);
	{
		char *pargv[] = { tool(t, sizeof(t)), "produce", r->url,
		    "t:full", "2000", "10", NULL };
		p = tu_spawn(pargv, pout);
	}
	tu_sleep_ms(1500);
	rep = redisCommand(rc, "XLEN t:full");
	assert_non_null(rep);
	assert_int_equal(rep->integer, 0);	/* nothing got in, yet */
	freeReplyObject(rep);
	freeReplyObject(redisCommand(rc, "CONFIG SET maxmemory 0"));
	assert_int_equal(tu_wait(p, 60000), 0);
	seen_read(pout, 'W', &w, 2000);
	assert_non_null(strstr(w.stats, "rejected=0"));
	rep = redisCommand(rc, "XLEN t:full");
	assert_non_null(rep);
	assert_int_equal(rep->integer, 2000);
	freeReplyObject(rep);
	redisFree(rc);
	free(w.count);
}

static void
test_rstream_poison_dead_lettered(void **state)
{
	struct tu_redis *r = *state;
	char t[512], pout[400], cout[400];
	struct seen c;
	redisContext *rc;
	redisReply *rep;
	pid_t p, q;
	size_t i;

	outfile(r, "ppoison", pout, sizeof(pout));
	outfile(r, "cpoison", cout, sizeof(cout));
	assert_non_null(rc = tu_redis_connect(r));
	{
		char *pargv[] = { tool(t, sizeof(t)), "produce", r->url,
		    "t:poison", "5", NULL };
		p = tu_spawn(pargv, pout);
		assert_int_equal(tu_wait(p, 30000), 0);
	}
	/* Garbage msgpack, a missing body, then more good entries. */
	freeReplyObject(redisCommand(rc, "XADD t:poison * kind event msgpack %b",
	    "\x93\x01\x01\xdf\xff\xff", (size_t)6));
	freeReplyObject(redisCommand(rc, "XADD t:poison * kind event note nobody"));
	{
		char *pargv[] = { t, "produce", r->url, "t:poison", "5", NULL };
		p = tu_spawn(pargv, pout);
		assert_int_equal(tu_wait(p, 30000), 0);
	}
	{
		char *cargv[] = { t, "consume", r->url, "t:poison", "g", "c",
		    "1500", NULL };
		q = tu_spawn(cargv, cout);
		assert_int_equal(tu_wait(q, 30000), 0);
	}
	seen_read(cout, 'R', &c, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(c.count[i], 2);	/* two runs of 0..4 */
	assert_non_null(strstr(c.stats, "poison=2"));
	assert_non_null(strstr(c.stats, "acked=12"));
	rep = redisCommand(rc, "XRANGE test:dead-letter - +");
	assert_non_null(rep);
	assert_int_equal(rep->elements, 2);
	for (i = 0; i < 2; i++) {
		redisReply *f = rep->element[i]->element[1];
		size_t k;
		int has_error = 0, has_stream = 0;

		for (k = 0; k + 1 < f->elements; k += 2) {
			if (strcmp(f->element[k]->str, "error") == 0 &&
			    strlen(f->element[k + 1]->str) > 0)
				has_error = 1;
			if (strcmp(f->element[k]->str, "stream") == 0 &&
			    strcmp(f->element[k + 1]->str, "t:poison") == 0)
				has_stream = 1;
		}
		assert_true(has_error && has_stream);
	}
	freeReplyObject(rep);
	redisFree(rc);
	free(c.count);
}

static void
test_rstream_url_parse(void **state)
{
	struct rstream_url u;
	char err[256];

	assert_int_equal(rstream_parse_url("redis://10.1.2.3:6380/2", &u, err,
	    sizeof(err)), 0);
	assert_string_equal(u.host, "10.1.2.3");
	assert_int_equal(u.port, 6380);
	assert_int_equal(u.db, 2);
	assert_int_equal(rstream_parse_url("redis://alice:s3cret@h", &u, err,
	    sizeof(err)), 0);
	assert_string_equal(u.user, "alice");
	assert_string_equal(u.password, "s3cret");
	assert_int_equal(u.port, 6379);
	assert_int_equal(rstream_parse_url("redis://:pw@[::1]:7000", &u, err,
	    sizeof(err)), 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 7000);
	assert_string_equal(u.password, "pw");
	assert_int_equal(rstream_parse_url("unix:///run/paddock/redis.sock",
	    &u, err, sizeof(err)), 0);
	assert_true(u.is_unix);
	assert_string_equal(u.path, "/run/paddock/redis.sock");
	assert_int_equal(rstream_parse_url("unix://pw@/tmp/r.sock", &u, err,
	    sizeof(err)), 0);
	assert_string_equal(u.password, "pw");
	assert_string_equal(u.path, "/tmp/r.sock");
	assert_int_equal(rstream_parse_url("http://x", &u, err, sizeof(err)),
	    -EINVAL);
	assert_int_equal(rstream_parse_url("redis://h:99999", &u, err,
	    sizeof(err)), -EINVAL);
	assert_int_equal(rstream_parse_url("unix://relative.sock", &u, err,
	    sizeof(err)), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rstream_url_parse),
		cmocka_unit_test(test_rstream_100k_none_lost_none_twice),
		cmocka_unit_test(test_rstream_killed_consumer_recovered),
		cmocka_unit_test(test_rstream_deferred_acks_come_back_marked),
		cmocka_unit_test(test_rstream_redis_restart_loses_nothing_written),
		cmocka_unit_test(test_rstream_poison_dead_lettered),
		cmocka_unit_test(test_rstream_full_redis_waits),
	};

	return cmocka_run_group_tests_name("rstream", tests, tu_redis_setup,
	    tu_redis_teardown);
}
