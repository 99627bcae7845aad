/*
 * test_opauth: a command signed with an operator's key verifies after it
 * has crossed the wire (encode, decode), and nothing else does: another
 * field, another operator's name or key, no signature, a name that would
 * leave the operators directory.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "opauth.h"
#include "wire.h"

static char dir[] = "/tmp/test-opauth.XXXXXX";
static char err[768];

static void
command(struct wire_command *c, const char *user)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "0123456789abcdef");
	c->ts = 1000;
	c->deadline = 2000;
	c->user = (char *)user;
	c->op = "promote";
	snprintf(c->workload, sizeof(c->workload), "agent");
	c->arg = "enforce";
	c->reason = "ready";
}

/* c after the wire: encoded and decoded again (caller frees). */
static void
crossed(const struct wire_command *c, struct wire_command *out)
{
	struct wire_buf b = { 0 };

	assert_int_equal(wire_encode(WK_COMMAND, c, &b, err, sizeof(err)), 0);
	assert_int_equal(wire_decode(WK_COMMAND, b.data, b.len, out, err,
	    sizeof(err)), 0);
	wire_buf_free(&b);
}

static void
test_signed_verifies(void **state)
{
	struct wire_command c, d;

	assert_int_equal(opauth_keygen(dir, "alice", err, sizeof(err)), 1);
	assert_int_equal(opauth_keygen(dir, "alice", err, sizeof(err)), 0);
	command(&c, "alice");
	assert_int_equal(opauth_sign(&c, dir, err, sizeof(err)), 0);
	assert_int_equal(strlen(c.sig), 64);
	crossed(&c, &d);
	assert_int_equal(opauth_verify(&d, dir, err, sizeof(err)), 0);
	wire_free(WK_COMMAND, &d);
}

static void
test_changed_refused(void **state)
{
	struct wire_command c, d;

	opauth_keygen(dir, "alice", err, sizeof(err));
	opauth_keygen(dir, "bob", err, sizeof(err));
	command(&c, "alice");
	assert_int_equal(opauth_sign(&c, dir, err, sizeof(err)), 0);
	c.arg = "learning";			/* another stage */
	assert_int_equal(opauth_verify(&c, dir, err, sizeof(err)), -EACCES);
	command(&c, "alice");
	opauth_sign(&c, dir, err, sizeof(err));
	c.deadline = 99999;			/* a later deadline */
	assert_int_equal(opauth_verify(&c, dir, err, sizeof(err)), -EACCES);
	command(&c, "alice");
	opauth_sign(&c, dir, err, sizeof(err));
	c.user = "bob";				/* another name */
	assert_int_equal(opauth_verify(&c, dir, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "bob"));
	command(&c, "alice");			/* not signed at all */
	crossed(&c, &d);
	assert_int_equal(opauth_verify(&d, dir, err, sizeof(err)), -EACCES);
	assert_string_equal(err, "not signed");
	wire_free(WK_COMMAND, &d);
	command(&c, "mallory");			/* no key */
	assert_int_equal(opauth_sign(&c, dir, err, sizeof(err)), -ENOENT);
	snprintf(c.sig, sizeof(c.sig), "%064d", 0);
	assert_int_equal(opauth_verify(&c, dir, err, sizeof(err)), -EACCES);
}

static void
test_names(void **state)
{
	struct wire_command c;
	struct stat st;
	char path[600];

	assert_true(opauth_valid_name("alice.b_c-1"));
	assert_false(opauth_valid_name(""));
	assert_false(opauth_valid_name(".."));
	assert_false(opauth_valid_name("../etc/passwd"));
	assert_false(opauth_valid_name("a/b"));
	assert_int_equal(opauth_keygen(dir, "../x", err, sizeof(err)), -EINVAL);
	command(&c, "../alice");
	snprintf(c.sig, sizeof(c.sig), "%064d", 0);
	assert_int_equal(opauth_verify(&c, dir, err, sizeof(err)), -EACCES);
	/* Keys are for their owner alone (or group paddock). */
	snprintf(path, sizeof(path), "%s/alice.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0007, 0);
}

static int
setup(void **state)
{
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed_verifies),
		cmocka_unit_test(test_changed_refused),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
