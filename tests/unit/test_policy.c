/*
 * test_policy: the policy engine's pure parts.  The stage machine (every
 * legal and illegal transition, per dimension, manual and automatic),
 * policy compilation from a profile view, the YAML round trip, validation
 * errors with file:line:col, and the audit hash chain (an edited, a
 * removed and a moved entry are each caught).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "jyaml.h"
#include "policyd.h"

enum { D = CONF_STAGE_DISCOVERED, L = CONF_STAGE_LEARNING,
	A = CONF_STAGE_ALERT, E = CONF_STAGE_ENFORCE };

struct tcase {
	int	from;		/* every dimension */
	int	to, dim, promote, force, automatic, status;
	int	ok;
	int	partial;	/* the profile missed events */
};

static void
test_stage_machine(void **state)
{
	static const struct tcase cases[] = {
		/* promote: up only; alert/enforce need a stable profile */
		{ D, L, -1, 1, 0, 0, WS_LEARNING, 1, 0 },
		{ L, A, -1, 1, 0, 0, WS_STABLE, 1, 0 },
		{ L, A, -1, 1, 0, 0, WS_LEARNING, 0, 0 },
		{ L, A, -1, 1, 1, 0, WS_LEARNING, 1, 0 },	/* --force */
		{ L, A, -1, 1, 0, 0, WS_TOO_LARGE, 0, 0 },
		{ L, A, -1, 1, 0, 0, -1, 0, 0 },		/* no profile */
		{ A, E, -1, 1, 0, 0, WS_STABLE, 1, 0 },
		{ L, E, -1, 1, 0, 0, WS_STABLE, 1, 0 },	/* people may skip */
		{ A, A, -1, 1, 0, 0, WS_STABLE, 0, 0 },	/* not a promotion */
		{ E, A, -1, 1, 0, 0, WS_STABLE, 0, 0 },
		/* demote: down only, no profile needed */
		{ E, A, -1, 0, 0, 0, WS_LEARNING, 1, 0 },
		{ E, L, -1, 0, 0, 0, -1, 1, 0 },
		{ A, A, -1, 0, 0, 0, -1, 0, 0 },
		{ L, A, -1, 0, 0, 0, -1, 0, 0 },
		/* automation never skips a stage */
		{ L, A, -1, 1, 0, 1, WS_STABLE, 1, 0 },
		{ L, E, -1, 1, 0, 1, WS_STABLE, 0, 0 },
		{ D, A, -1, 1, 0, 1, WS_STABLE, 0, 0 },
		{ E, L, -1, 0, 0, 1, -1, 0, 0 },
		/* one dimension */
		{ A, E, WD_NET, 1, 0, 0, WS_STABLE, 1, 0 },
		{ L, A, WD_SYSCALL, 1, 0, 0, WS_LEARNING, 0, 0 },
		{ E, A, WD_FILE, 0, 0, 0, -1, 1, 0 },
		/* a partial profile: out of learning only by --force */
		{ L, A, -1, 1, 0, 0, WS_STABLE, 0, 1 },
		{ L, A, -1, 1, 0, 1, WS_STABLE, 0, 1 },	/* nor by a rule */
		{ A, E, WD_NET, 1, 0, 0, WS_STABLE, 0, 1 },
		{ L, A, -1, 1, 1, 0, WS_STABLE, 1, 1 },	/* --force */
		{ D, L, -1, 1, 0, 0, WS_LEARNING, 1, 1 },	/* learning */
		{ E, L, -1, 0, 0, 0, WS_STABLE, 1, 1 },	/* demote */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];
		struct transition t = { c->to, c->dim, c->promote, c->force,
		    c->automatic, c->status, !c->partial };
		struct wstate cur, next;
		char err[512] = "";
		int rc, d;

		wstate_init(&cur, c->from);
		rc = stage_apply(&cur, &t, &next, err, sizeof(err));
		if ((rc == 0) != c->ok)
			fail_msg("case %zu: %s -> %s: rc %d (%s)", i,
			    conf_stage_names[c->from], conf_stage_names[c->to],
			    rc, err);
		if (rc < 0) {
			assert_true(err[0] != '\0');
			assert_memory_equal(&cur, &next, sizeof(cur));
			continue;
		}
		for (d = 0; d < WD_NDIMS; d++)
			assert_int_equal(next.dim[d], c->dim < 0 || c->dim == d ?
			    c->to : c->from);
	}
}

static void
test_stage_per_dimension(void **state)
{
	struct wstate s, n;
	struct transition t = { .to = E, .dim = WD_NET, .promote = 1,
	    .profile_status = WS_STABLE, .profile_complete = 1 };
	char err[256], txt[128];

	wstate_init(&s, A);
	assert_int_equal(stage_apply(&s, &t, &n, err, sizeof(err)), 0);
	/* The workload is as far as its least advanced dimension. */
	assert_int_equal(wstate_stage(&n), A);
	assert_int_equal(stage_mode(n.dim[WD_NET]), WMODE_BLOCK);
	assert_int_equal(stage_mode(n.dim[WD_FILE]), WMODE_ALERT);
	assert_int_equal(stage_mode(L), WMODE_OFF);
	wstate_text(&n, txt, sizeof(txt));
	assert_string_equal(txt, "exec=alert file=alert net=enforce "
	    "syscall=alert");
}

/* --force overrules stability, never missing data. */
static void
test_stage_nodata(void **state)
{
	struct wstate s, n;
	struct transition t = { .to = E, .dim = -1, .promote = 1, .force = 1,
	    .profile_status = WS_LEARNING };
	int none[WD_NDIMS] = { 0 }, nosys[WD_NDIMS] = { [WD_SYSCALL] = 1 };
	char err[512];

	wstate_init(&s, L);
	assert_int_equal(stage_apply(&s, &t, &n, err, sizeof(err)), 0);
	assert_int_equal(stage_nodata(&s, &n, none, err, sizeof(err)), 0);
	assert_int_equal(stage_nodata(&s, &n, nosys, err, sizeof(err)),
	    -EAGAIN);
	assert_non_null(strstr(err, "syscall: no syscall set"));
	assert_non_null(strstr(err, "nothing changed"));
	/* Alert allows all and reports: no data is no danger there. */
	t.to = A;
	assert_int_equal(stage_apply(&s, &t, &n, err, sizeof(err)), 0);
	assert_int_equal(stage_nodata(&s, &n, nosys, err, sizeof(err)), 0);
	/* The other dimensions alone may go to enforce. */
	t.to = E;
	t.dim = WD_NET;
	assert_int_equal(stage_apply(&s, &t, &n, err, sizeof(err)), 0);
	assert_int_equal(stage_nodata(&s, &n, nosys, err, sizeof(err)), 0);
	/* Empty egress is a baseline (a workload with no network). */
	nosys[WD_NET] = 1;
	assert_int_equal(stage_nodata(&s, &n, nosys, err, sizeof(err)), 0);
	(void)state;
}

static const char *view_json =
"{\"exec\": [{\"path\": \"/usr/bin/node\"}, {\"path\": \"/usr/bin/ls\"}],"
" \"edges\": [{\"parent\": \"/usr/bin/node\", \"child\": \"/usr/bin/ls\"}],"
" \"files\": [{\"pattern\": \"/app/node_modules/**\", \"mode\": \"r\"},"
"             {\"pattern\": \"/tmp/tmp*/out.txt\", \"mode\": \"rw\"}],"
" \"egress\": [{\"dest\": \"api.openai.com\", \"port\": 443, \"proto\": \"tcp\"}],"
" \"listeners\": [{\"addr\": \"127.0.0.1\", \"port\": 8080, \"proto\": \"tcp\"}],"
" \"syscalls\": [\"read\", \"write\", \"openat\"]}";

static void
test_compile_and_roundtrip(void **state)
{
	json_error_t jerr;
	json_t *view = json_loads(view_json, 0, &jerr), *acc, *doc, *back;
	struct wire_policy wp;
	struct wstate st;
	char err[1024], *yaml;
	uint32_t i;
	int files = 0;

	assert_non_null(view);
	acc = json_pack("{s:[{s:s, s:s}]}", "files", "pattern", "/etc/hosts",
	    "mode", "r");
	wstate_init(&st, A);
	st.dim[WD_NET] = E;
	doc = policy_compile("agent", 3, view, acc, &st);
	yaml = jyaml_text(doc);
	assert_non_null(yaml);
	/* What a person reads: names, patterns and modes, nothing encoded. */
	assert_non_null(strstr(yaml, "workload: \"agent\""));
	assert_non_null(strstr(yaml, "- path: \"/app/node_modules/**\"\n  mode: \"r\""));
	assert_non_null(strstr(yaml, "dest: \"api.openai.com\""));
	assert_non_null(strstr(yaml, "net: \"enforce\""));
	/* And back: the same document. */
	assert_int_equal(policy_parse("agent.yaml", yaml, &back, err,
	    sizeof(err)), 0);
	if (!json_equal(doc, back))
		fail_msg("round trip differs:\n%s", yaml);
	/* The wire record enforced loads. */
	assert_int_equal(policy_wire(back, yaml, &wp, err, sizeof(err)), 0);
	assert_string_equal(wp.workload, "agent");
	assert_int_equal(wp.rev, 3);
	assert_int_equal(wp.modes[WD_EXEC], WMODE_ALERT);
	assert_int_equal(wp.modes[WD_NET], WMODE_BLOCK);
	for (i = 0; i < wp.rules.n; i++)
		if (wp.rules.v[i].dim == WD_FILE) {
			files++;
			if (strcmp(wp.rules.v[i].pattern, "/tmp/tmp*/out.txt") == 0)
				assert_int_equal(wp.rules.v[i].mode,
				    WM_READ | WM_WRITE);
		}
	assert_int_equal(files, 3);	/* two learnt, one accepted */
	assert_true(wp.syscalls[0] & 0x3);	/* read, write */
	assert_int_equal(strlen(wp.digest), 64);
	wire_free(WK_POLICY, &wp);
	free(yaml);
	json_decref(back);
	json_decref(doc);
	json_decref(acc);
	json_decref(view);
}

static void
test_policy_errors_name_line_and_column(void **state)
{
	static const char *bad =
	    "workload: agent\n"
	    "stages:\n"
	    "  exec: alert\n"
	    "  file: alrt\n"			/* 4:9 */
	    "  net: alert\n"
	    "  syscall: alert\n"
	    "exec:\n"
	    "  - usr/bin/node\n"		/* 8:5 */
	    "files:\n"
	    "  - path: /etc/hosts\n"
	    "    mode: rwz\n"			/* 11:11 */
	    "egress:\n"
	    "  - dest: api.openai.com\n"
	    "    port: 70000\n"			/* 14:11 */
	    "    proto: tcp\n"
	    "syscalls: [read, frobnicate]\n"	/* 16:18 */
	    "colour: blue\n";			/* 17:1 */
	char err[2048];
	json_t *doc;

	assert_int_equal(policy_parse("p.yaml", bad, &doc, err, sizeof(err)),
	    -EINVAL);
	assert_null(doc);
	print_message("%s\n", err);
	assert_non_null(strstr(err, "p.yaml:4:9: stages: \"alrt\""));
	assert_non_null(strstr(err, "p.yaml:8:5: exec: \"usr/bin/node\" is not "
	    "an absolute path"));
	assert_non_null(strstr(err, "p.yaml:11:11: mode: \"rwz\""));
	assert_non_null(strstr(err, "p.yaml:14:11: port: \"70000\""));
	assert_non_null(strstr(err, "p.yaml:16:18: syscalls: \"frobnicate\""));
	assert_non_null(strstr(err, "p.yaml:17:1: unknown key \"colour\""));
	/* A file item is a path or an abstract socket's @name. */
	assert_int_equal(policy_parse("s.yaml", "workload: a\nstages:\n  exec: "
	    "alert\n  file: alert\n  net: alert\n  syscall: alert\nfiles:\n"
	    "  - path: tmp/x\n    mode: w\n", &doc, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "s.yaml:8:11: path: \"tmp/x\" is neither "
	    "absolute nor"));
	assert_int_equal(policy_parse("s.yaml", "workload: a\nstages:\n  exec: "
	    "alert\n  file: alert\n  net: alert\n  syscall: alert\nfiles:\n"
	    "  - path: \"@agent-bus\"\n    mode: w\n", &doc, err, sizeof(err)),
	    0);
	json_decref(doc);
	/* Broken YAML is named too. */
	assert_int_equal(policy_parse("q.yaml", "workload: [x\n", &doc, err,
	    sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "q.yaml:"));
	/* A missing stage is an error, not a silent default. */
	assert_int_equal(policy_parse("r.yaml", "workload: a\nstages:\n  exec: "
	    "alert\n", &doc, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "missing \"file\""));
	/* A revision is a whole number, never a word read as 0. */
	assert_int_equal(policy_parse("v.yaml", "workload: a\nrevision: \"two\""
	    "\nstages:\n  exec: alert\n  file: alert\n  net: alert\n  "
	    "syscall: alert\n", &doc, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "v.yaml:2:11: revision: expected the whole "
	    "number"));
	assert_int_equal(policy_parse("v.yaml", "workload: a\nrevision: [2]\n"
	    "stages:\n  exec: alert\n  file: alert\n  net: alert\n  "
	    "syscall: alert\n", &doc, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "v.yaml:2:11: revision:"));
}

/* What allows everything in a dimension is named; what does not, is not. */
static void
test_policy_broad(void **state)
{
	static const char *head = "workload: a\nrevision: 3\nstages:\n  exec: "
	    "enforce\n  file: enforce\n  net: enforce\n  syscall: alert\n";
	static const struct { const char *body; const char *why; } c[] = {
		{ "files:\n  - path: /**\n    mode: rwx\n",
		    "files \"/**\" (rwx) opens every file" },
		{ "exec:\n  - /**\n", "exec \"/**\" runs every program" },
		{ "egress:\n  - dest: 0.0.0.0/0\n    port: 0\n",
		    "egress \"0.0.0.0/0\" port 0 reaches every address" },
		{ "egress:\n  - dest: ::/0\n", "egress \"::/0\" port 0" },
		{ "listeners:\n  - addr: 0.0.0.0\n    port: 0\n",
		    "listeners \"0.0.0.0\" port 0 listens on every port" },
		{ "files:\n  - path: /home/**\n    mode: rw\n", NULL },
		{ "egress:\n  - dest: 0.0.0.0/0\n    port: 443\n", NULL },
		{ "egress:\n  - dest: 10.0.0.0/8\n", NULL },
		{ "exec:\n  - /usr/bin/*\n", NULL },
	};
	char text[512], why[512];
	json_t *doc;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", head, c[i].body);
		assert_int_equal(policy_parse("b.yaml", text, &doc, why,
		    sizeof(why)), 0);
		assert_int_equal(json_integer_value(json_object_get(doc,
		    "revision")), 3);
		if (c[i].why == NULL)
			assert_int_equal(policy_broad(doc, why, sizeof(why)), 0);
		else {
			assert_int_equal(policy_broad(doc, why, sizeof(why)), 1);
			if (strstr(why, c[i].why) == NULL)
				fail_msg("case %zu: \"%s\" lacks \"%s\"", i, why,
				    c[i].why);
		}
		json_decref(doc);
	}
}

static void
make_trail(struct wire_audit *v, size_t n)
{
	static const char *const acts[] = { "register", "promote", "accept",
	    "demote", "policy-apply" };
	size_t i;

	memset(v, 0, n * sizeof(*v));
	for (i = 0; i < n; i++) {
		v[i].ts = 1000 + i;
		v[i].actor = "user:alice";
		snprintf(v[i].workload, sizeof(v[i].workload), "agent");
		v[i].action = (char *)acts[i % 5];
		v[i].before = "exec=learning";
		v[i].after = "exec=alert";
		v[i].reason = "";
		assert_int_equal(audit_chain(&v[i], i ? &v[i - 1] : NULL), 0);
	}
}

static void
test_audit_chain_catches_tampering(void **state)
{
	struct wire_audit v[5], w[5];
	char err[256];

	make_trail(v, 5);
	assert_int_equal(audit_verify(v, 5, err, sizeof(err)), 0);
	assert_int_equal(v[0].seq, 1);
	assert_string_equal(v[0].prev, AUDIT_GENESIS);
	assert_string_equal(v[1].prev, v[0].hash);

	/* Edited: entry 3 now says something else. */
	memcpy(w, v, sizeof(v));
	w[2].after = "exec=enforce";
	assert_int_equal(audit_verify(w, 5, err, sizeof(err)), 3);
	assert_non_null(strstr(err, "changed"));
	/* Edited and re-hashed by someone without the chain: entry 4 breaks. */
	assert_int_equal(audit_hash(&w[2], w[2].hash), 0);
	assert_int_equal(audit_verify(w, 5, err, sizeof(err)), 4);
	/* Removed: entry 2 gone. */
	memcpy(w, v, sizeof(v));
	memmove(&w[1], &w[2], 3 * sizeof(w[0]));
	assert_int_equal(audit_verify(w, 4, err, sizeof(err)), 2);
	assert_non_null(strstr(err, "removed"));
	/* Reordered: entries 2 and 3 swapped. */
	memcpy(w, v, sizeof(v));
	w[1] = v[2];
	w[2] = v[1];
	assert_int_equal(audit_verify(w, 5, err, sizeof(err)), 2);
	/* The last one removed is only visible from outside (seq count). */
	assert_int_equal(audit_verify(v, 4, err, sizeof(err)), 0);
}

/* How stages read in paddockctl's audit table and promote replies. */
static void
test_stages_compact(void **state)
{
	static const struct { const char *in, *out; } c[] = {
		{ "exec=alert file=alert net=alert syscall=alert rev 3",
		    "alert rev 3" },
		{ "exec=enforce file=enforce net=enforce syscall=alert rev 4",
		    "enforce (syscall=alert) rev 4" },
		{ "exec=alert file=enforce net=enforce syscall=alert",
		    "alert (file=enforce net=enforce)" },
		{ "exec=learning file=learning net=learning syscall=learning",
		    "learning" },
		{ "learning", "learning" },		/* not a stage list */
		{ "", "" },
	};
	char buf[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		assert_string_equal(policy_stages_compact(c[i].in, buf,
		    sizeof(buf)), c[i].out);
	assert_string_equal(policy_stages_compact(NULL, buf, sizeof(buf)), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stage_machine),
		cmocka_unit_test(test_stage_per_dimension),
		cmocka_unit_test(test_stage_nodata),
		cmocka_unit_test(test_compile_and_roundtrip),
		cmocka_unit_test(test_policy_errors_name_line_and_column),
		cmocka_unit_test(test_policy_broad),
		cmocka_unit_test(test_audit_chain_catches_tampering),
		cmocka_unit_test(test_stages_compact),
	};

	return cmocka_run_group_tests_name("policy (pure)", tests, NULL, NULL);
}
