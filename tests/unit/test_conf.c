/*
 * test_conf: the configuration loader takes good files over the defaults and
 * refuses bad ones with file:line:col and what was expected.  The example
 * configuration shipped in etc/ must load.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "testutil.h"
#include "ytree.h"

static char err[CONF_ERRLEN];

static int
load(const char *name, struct paddock_conf *c)
{
	char rel[128], path[512];

	snprintf(rel, sizeof(rel), "tests/data/conf/%s", name);
	conf_defaults(c);
	return conf_load(tu_path(rel, path, sizeof(path)), c, err, sizeof(err));
}

static void
test_conf_good_overrides_defaults(void **state)
{
	struct paddock_conf c;

	assert_int_equal(load("good.yaml", &c), 0);
	assert_string_equal(c.host, "test-host");
	assert_string_equal(c.redis.url, "redis://127.0.0.1:6390/2");
	assert_string_equal(c.redis.prefix, "t1:");
	assert_int_equal(c.redis.block_ms, 250);
	assert_int_equal(c.collectd.dns, 0);
	assert_int_equal(c.collectd.argv_max, 128);
	assert_int_equal(c.policyd.initial_stage, CONF_STAGE_ALERT);
	assert_int_equal(c.policyd.alert_quiet_ms, 2 * 3600 * 1000);
	/* untouched keys keep their defaults */
	assert_int_equal(c.redis.queue_max, 100000);
	assert_int_equal(c.profiled.fanout, 8);
}

static void
test_conf_example_loads(void **state)
{
	struct paddock_conf c, d;
	char path[512];

	conf_defaults(&c);
	assert_int_equal(conf_load(tu_path("etc/paddock.yaml", path,
	    sizeof(path)), &c, err, sizeof(err)), 0);
	/* The example documents the defaults: it changes nothing. */
	conf_defaults(&d);
	memcpy(d.path, c.path, sizeof(d.path));
	assert_memory_equal(&c, &d, sizeof(c));
}

static void
expect_error(const char *file, const char *where, const char *what)
{
	struct paddock_conf c;

	assert_int_equal(load(file, &c), -EINVAL);
	if (strstr(err, where) == NULL || strstr(err, what) == NULL)
		fail_msg("%s: got \"%s\", want \"%s\" and \"%s\"", file, err,
		    where, what);
}

static void
test_conf_errors_name_line_and_column(void **state)
{
	expect_error("unknown-key.yaml", "unknown-key.yaml:3:3:",
	    "unknown key \"colour\" in redis");
	expect_error("out-of-range.yaml", "out-of-range.yaml:2:13:",
	    "out of range");
	expect_error("bad-duration.yaml", "bad-duration.yaml:2:10:",
	    "expected a duration");
	expect_error("syntax.yaml", "syntax.yaml:", "quoted scalar");
	expect_error("duplicate.yaml", "duplicate.yaml:3:3:", "duplicate key");
	expect_error("bad-enum.yaml", "bad-enum.yaml:2:18:",
	    "expected one of discovered, learning, alert, enforce");
	expect_error("wrong-shape.yaml", "wrong-shape.yaml:1:11:",
	    "expected a mapping for collectd");
	expect_error("alias.yaml", "alias.yaml:1:4:", "anchors are not supported");
}

static void
test_conf_missing_file(void **state)
{
	struct paddock_conf c;

	conf_defaults(&c);
	assert_int_equal(conf_load("/nonexistent/paddock.yaml", &c, err,
	    sizeof(err)), -ENOENT);
}

static void
test_conf_empty_file_is_defaults(void **state)
{
	struct paddock_conf c;

	assert_int_equal(load("empty.yaml", &c), 0);
	assert_string_equal(c.redis.prefix, "paddock:");
}

static void
test_ytree_scalars(void **state)
{
	const char doc[] = "a: 30s\nb: yes\nc: \"7\"\nd: [x, y]\n";
	struct ynode *t = ytree_parse_buf("doc", doc, sizeof(doc) - 1, err,
	    sizeof(err));
	uint64_t ms, u;
	int b;

	assert_non_null(t);
	assert_int_equal(yget_duration_ms(ymap_get(t, "a"), &ms, err,
	    sizeof(err)), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(yget_bool(ymap_get(t, "b"), &b, err, sizeof(err)), 0);
	assert_int_equal(b, 1);
	assert_int_equal(yget_u64(ymap_get(t, "c"), 0, 10, &u, err,
	    sizeof(err)), 0);
	assert_int_equal(ymap_get(t, "c")->plain, 0);
	assert_int_equal(ymap_get(t, "d")->type, YN_SEQ);
	assert_int_equal(ymap_get(t, "d")->n, 2);
	assert_int_equal(yget_u64(ymap_get(t, "d"), 0, 10, &u, err,
	    sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "doc:4:4: expected a number, found a "
	    "sequence"));
	ytree_free(t);
}

static void
test_ytree_depth_limited(void **state)
{
	char doc[400];
	size_t i;

	for (i = 0; i < sizeof(doc) - 1; i++)
		doc[i] = '[';
	doc[sizeof(doc) - 1] = '\0';
	assert_null(ytree_parse_buf("deep", doc, strlen(doc), err,
	    sizeof(err)));
	assert_non_null(strstr(err, "deep:1:"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_good_overrides_defaults),
		cmocka_unit_test(test_conf_example_loads),
		cmocka_unit_test(test_conf_errors_name_line_and_column),
		cmocka_unit_test(test_conf_missing_file),
		cmocka_unit_test(test_conf_empty_file_is_defaults),
		cmocka_unit_test(test_ytree_scalars),
		cmocka_unit_test(test_ytree_depth_limited),
	};

	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
