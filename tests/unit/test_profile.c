/*
 * test_profile: the profiler.
 *
 *   pure    generalisation of components, paths and names (a large table
 *           of real-world paths, tricky ones included), fan-out, shapes and
 *           CIDR over whole sets, the guards against over-generalising,
 *           pattern matching, observations from events, risk scoring and
 *           readiness;
 *   redis   the Lua scripts against a real redis-server: idempotency,
 *           mode merging, hosts, the max_entries cap, stale commits;
 *   live    (root, in test_profile_live.c's group below) the whole
 *           pipeline collectd -> Redis -> profiled.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include <jansson.h>

#include "profiled.h"
#include "testutil.h"

/* ---------------------------------------------------------------- paths */

struct gcase {
	const char	*in;
	const char	*out;
};

static const struct gcase path_cases[] = {
	/* Temp names collapse at once. */
	{ "/tmp/tmpab12cd34/out.txt", "/tmp/tmp*/out.txt" },
	{ "/tmp/tmpk3j_9x2a/data.json", "/tmp/tmp*/data.json" },
	{ "/tmp/tmp.k2J8sLq0aA/run.sh", "/tmp/tmp.*/run.sh" },
	{ "/tmp/agent-Xy7Qz2/log", "/tmp/agent-*/log" },
	{ "/tmp/tmpabcdefgh", "/tmp/tmp*" },
	{ "/var/tmp/foo.Ab3dE9", "/var/tmp/foo.*" },
	/* pids, under /proc and as names. */
	{ "/proc/1/status", "/proc/*/status" },
	{ "/proc/12345/task/12346/stat", "/proc/*/task/*/stat" },
	{ "/proc/self/fd", "/proc/self/fd" },
	{ "/proc/sys/kernel/pid_max", "/proc/sys/kernel/pid_max" },
	{ "/run/user/1000/bus", "/run/user/*/bus" },
	{ "/var/run/app/worker.48213.pid", "/var/run/app/worker.*.pid" },
	/* Hex ids, hashes and uuids. */
	{ "/home/u/.cache/3f2a9b1c7d4e/model.bin", "/home/u/.cache/*/model.bin" },
	{ "/home/u/.cache/huggingface/hub/models--gpt2/snapshots/"
	  "e7da7f221d5bf496a48136c0cd264e630fe9fcc8/config.json",
	  "/home/u/.cache/huggingface/hub/models--gpt2/snapshots/*/config.json" },
	{ "/var/lib/app/sessions/0b9c3c52-8f1e-4a4e-9d7c-2f1d5b8e6a10.json",
	  "/var/lib/app/sessions/*.json" },
	{ "/var/lib/app/session-0b9c3c52-8f1e-4a4e-9d7c-2f1d5b8e6a10/state",
	  "/var/lib/app/session-*/state" },
	{ "/sys/fs/cgroup/unified/paddock.slice/run-48213.scope/cgroup.procs",
	  "/sys/fs/cgroup/unified/paddock.slice/run-*.scope/cgroup.procs" },
	/* Four digits could be a year or a version: siblings decide. */
	{ "/srv/run-4242.scope/x", "/srv/run-4242.scope/x" },
	/* Dated names. */
	{ "/var/log/agent/agent-2026-11-28.log", "/var/log/agent/agent-*.log" },
	{ "/var/log/agent/run_20261128T101500Z.json", "/var/log/agent/run_*.json" },
	{ "/srv/out/2026-11-28T10-30-00.csv", "/srv/out/*.csv" },
	{ "/var/log/app/1732800000.log", "/var/log/app/*.log" },
	/* Stable things stay exact. */
	{ "/usr/lib/x86_64-linux-gnu/libssl.so.3",
	  "/usr/lib/x86_64-linux-gnu/libssl.so.3" },
	{ "/usr/lib/x86_64-linux-gnu/libQt5Core.so.5",
	  "/usr/lib/x86_64-linux-gnu/libQt5Core.so.5" },
	{ "/usr/lib/python3.11/json/__init__.py",
	  "/usr/lib/python3.11/json/__init__.py" },
	{ "/usr/lib/python3/dist-packages/__pycache__/six.cpython-311.pyc",
	  "/usr/lib/python3/dist-packages/__pycache__/six.cpython-311.pyc" },
	{ "/app/node_modules/@langchain/core/dist/runnables/base.cjs",
	  "/app/node_modules/@langchain/core/dist/runnables/base.cjs" },
	{ "/app/node_modules/zod/v3/index.js", "/app/node_modules/zod/v3/index.js" },
	{ "/usr/share/zoneinfo/Europe/Berlin", "/usr/share/zoneinfo/Europe/Berlin" },
	{ "/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ca-certificates.crt" },
	{ "/opt/k8s/apis/v1beta1/types.json", "/opt/k8s/apis/v1beta1/types.json" },
	{ "/usr/bin/sha256sum", "/usr/bin/sha256sum" },
	{ "/dev/pts/0", "/dev/pts/0" },
	{ "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
	  "/usr/lib/jvm/java-17-openjdk-amd64/bin/java" },
	{ "/", "/" },
};

static void
test_gen_path_table(void **state)
{
	char out[WIRE_PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		int rc = gen_path(path_cases[i].in, out, sizeof(out));

		if (rc < 0 || strcmp(out, path_cases[i].out) != 0)
			fail_msg("gen_path(%s) = %s (rc %d), want %s",
			    path_cases[i].in, out, rc, path_cases[i].out);
		/* What it generalised still matches what it came from. */
		if (!gen_match(out, path_cases[i].in))
			fail_msg("%s does not match its source %s", out,
			    path_cases[i].in);
	}
}

static void
test_gen_path_bad_input(void **state)
{
	char out[64], big[WIRE_PATH_MAX + 10];

	assert_int_equal(gen_path("relative/x", out, sizeof(out)), -EINVAL);
	assert_int_equal(gen_path("", out, sizeof(out)), -EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(gen_path(big, out, sizeof(out)), -ENAMETOOLONG);
}

static void
test_gen_random_tokens(void **state)
{
	static const char *const rnd[] = { "aB3xQ9", "k3j9x2ab", "Xy7Qz2",
	    "a1b2c3d4e5", "3f2a9b1c", "1732800000", "0123456789abcdef0123",
	    "ZmFrZXRva2VuMTIz", NULL };
	static const char *const word[] = { "python311", "sha256sum",
	    "libQt5Core", "v1beta1", "v2alpha3", "ubuntu", "x86", "amd64",
	    "deadbeef", "README", "CamelCase", "index", "cpython", "utf8",
	    "win32k", "gpt4o", "llama3", "ES2015", NULL };
	size_t i;

	for (i = 0; rnd[i] != NULL; i++)
		if (!gen_random_token(rnd[i], strlen(rnd[i])))
			fail_msg("%s should look random", rnd[i]);
	for (i = 0; word[i] != NULL; i++)
		if (gen_random_token(word[i], strlen(word[i])))
			fail_msg("%s should not look random", word[i]);
}

static void
test_gen_names(void **state)
{
	char out[256];

	assert_int_equal(gen_name("api.openai.com", out, sizeof(out)), 0);
	assert_string_equal(out, "api.openai.com");
	assert_int_equal(gen_name("k3j9x2ab.s3.amazonaws.com", out,
	    sizeof(out)), 1);
	assert_string_equal(out, "*.s3.amazonaws.com");
	/* The registrable part never collapses. */
	assert_int_equal(gen_name("a1b2c3d4e5.com", out, sizeof(out)), 0);
	assert_string_equal(out, "a1b2c3d4e5.com");
}

static void
test_gen_match(void **state)
{
	assert_true(gen_match("/tmp/tmp*/out.txt", "/tmp/tmpab12/out.txt"));
	assert_false(gen_match("/tmp/tmp*/out.txt", "/tmp/x/out.txt"));
	assert_false(gen_match("/tmp/*", "/tmp/a/b"));
	assert_true(gen_match("/app/node_modules/**", "/app/node_modules/a/b/c"));
	assert_true(gen_match("/app/node_modules/**", "/app/node_modules/a"));
	assert_false(gen_match("/app/node_modules/**", "/app/node_modules"));
	assert_false(gen_match("/app/node_modules/**", "/app/other/a"));
	assert_true(gen_match("/etc/passwd", "/etc/passwd"));
	assert_false(gen_match("/etc/passw", "/etc/passwd"));
	assert_true(gen_match("/proc/*/status", "/proc/1/status"));
}

static void
test_gen_collapsible_guards(void **state)
{
	assert_false(gen_dir_collapsible("/"));
	assert_false(gen_dir_collapsible("/etc"));
	assert_false(gen_dir_collapsible("/tmp"));
	assert_false(gen_dir_collapsible("/root"));
	assert_false(gen_dir_collapsible("/home/alice"));
	assert_false(gen_dir_collapsible("/proc/*"));
	assert_false(gen_dir_collapsible("/var/home/alice"));
	assert_true(gen_dir_collapsible("/home/alice/.cache"));
	assert_true(gen_dir_collapsible("/usr/lib"));
	assert_true(gen_dir_collapsible("/app/node_modules"));
}

/* ---------------------------------------------------------------- views */

static void
fadd(struct pset *s, uint8_t dim, const char *key, uint32_t mode)
{
	struct pentry e;
	char *hosts[1] = { "h1" };

	memset(&e, 0, sizeof(e));
	e.dim = dim;
	e.key = (char *)key;
	e.mode = mode;
	e.first = e.last = 1000;
	e.count = 1;
	e.hosts = hosts;
	e.nhosts = 1;
	assert_int_equal(pset_add(s, &e), 0);
}

static const struct pentry *
vfind(const struct pset *v, uint8_t dim, const char *key)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (v->v[i].dim == dim && strcmp(v->v[i].key, key) == 0)
			return &v->v[i];
	return NULL;
}

static size_t
vcount(const struct pset *v, uint8_t dim)
{
	size_t i, n = 0;

	for (i = 0; i < v->n; i++)
		n += v->v[i].dim == dim;
	return n;
}

static const struct gen_conf GC = { .fanout = 8, .shape_min = 3,
	.cidr_siblings = 4 };

static void
test_view_fanout_collapses_deep_trees(void **state)
{
	struct pset raw = { 0 }, v;
	char p[256];
	int i, j;

	/* 12 packages, 3 files each, all read: one recursive read rule. */
	for (i = 0; i < 12; i++)
		for (j = 0; j < 3; j++) {
			snprintf(p, sizeof(p), "/app/node_modules/pkg%c/lib/f%d.js",
			    'a' + i, j);
			fadd(&raw, WD_FILE, p, WM_READ);
		}
	fadd(&raw, WD_FILE, "/app/main.js", WM_READ);
	assert_int_equal(gen_view(&raw, &GC, &v), 0);
	assert_non_null(vfind(&v, WD_FILE, "/app/node_modules/**"));
	assert_int_equal(vfind(&v, WD_FILE, "/app/node_modules/**")->count, 36);
	assert_non_null(vfind(&v, WD_FILE, "/app/main.js"));
	assert_int_equal(vcount(&v, WD_FILE), 2);
	pset_free(&v);
	pset_free(&raw);
}

/*
 * A file and a directory of one name among siblings that sort between
 * them ("app", "app.log", "app/"): one child each, not two "app" that
 * would count twice towards the fan-out and collapse the directory early.
 */
static void
test_view_file_and_dir_of_one_name(void **state)
{
	struct pset raw = { 0 }, v;
	char p[256];
	int i;

	for (i = 0; i < (int)GC.fanout - 3; i++) {	/* 7 children */
		snprintf(p, sizeof(p), "/srv/x/app%c.log", 'a' + i);
		fadd(&raw, WD_FILE, p, WM_READ);
	}
	fadd(&raw, WD_FILE, "/srv/x/app", WM_READ);
	fadd(&raw, WD_FILE, "/srv/x/app/y", WM_READ);
	fadd(&raw, WD_FILE, "/srv/x/app.log", WM_READ);
	assert_int_equal(gen_view(&raw, &GC, &v), 0);
	assert_null(vfind(&v, WD_FILE, "/srv/x/*"));
	assert_null(vfind(&v, WD_FILE, "/srv/x/**"));
	assert_non_null(vfind(&v, WD_FILE, "/srv/x/app"));
	assert_non_null(vfind(&v, WD_FILE, "/srv/x/app/y"));
	pset_free(&v);
	pset_free(&raw);
}

static void
test_view_fanout_keeps_modes_apart(void **state)
{
	struct pset raw = { 0 }, v;
	const struct pentry *e;
	char p[256];
	int i;

	for (i = 0; i < 10; i++) {
		snprintf(p, sizeof(p), "/srv/data/item%c.json", 'a' + i);
		fadd(&raw, WD_FILE, p, WM_READ);
	}
	fadd(&raw, WD_FILE, "/srv/data/out.log", WM_WRITE);
	assert_int_equal(gen_view(&raw, &GC, &v), 0);
	assert_non_null(e = vfind(&v, WD_FILE, "/srv/data/*"));
	assert_int_equal(e->mode, WM_READ);
	/* The one written file stays exact; nothing else is writable. */
	assert_non_null(e = vfind(&v, WD_FILE, "/srv/data/out.log"));
	assert_int_equal(e->mode, WM_WRITE);
	assert_int_equal(vcount(&v, WD_FILE), 2);
	pset_free(&v);
	pset_free(&raw);
}

static void
test_view_never_overgeneralises(void **state)
{
	struct pset raw = { 0 }, v;
	char p[256];
	size_t i;
	int k;

	/* Many children of /, /etc, /tmp and a home: all stay exact. */
	for (k = 0; k < 20; k++) {
		snprintf(p, sizeof(p), "/top%c", 'a' + k);
		fadd(&raw, WD_FILE, p, WM_READ);
		snprintf(p, sizeof(p), "/etc/conf%c", 'a' + k);
		fadd(&raw, WD_FILE, p, WM_READ);
		snprintf(p, sizeof(p), "/tmp/file%c", 'a' + k);
		fadd(&raw, WD_FILE, p, WM_READ | WM_WRITE);
		snprintf(p, sizeof(p), "/home/alice/doc%c", 'a' + k);
		fadd(&raw, WD_FILE, p, WM_READ);
		snprintf(p, sizeof(p), "/proc/*/f%c", 'a' + k);
		fadd(&raw, WD_FILE, p, WM_READ);
	}
	assert_int_equal(gen_view(&raw, &GC, &v), 0);
	assert_int_equal(vcount(&v, WD_FILE), 100);
	for (i = 0; i < v.n; i++) {
		const char *key = v.v[i].key;

		assert_null(strstr(key, "**"));
		assert_string_not_equal(key, "/*");
		assert_string_not_equal(key, "/etc/*");
		assert_string_not_equal(key, "/tmp/*");
		assert_string_not_equal(key, "/home/alice/*");
	}
	pset_free(&v);
	pset_free(&raw);
}

static void
test_view_shapes_merge_digit_siblings(void **state)
{
	struct pset raw = { 0 }, v;
	char p[256];
	int i;

	/* Three runs of a numbered session: one shape, not three entries. */
	for (i = 1; i <= 3; i++) {
		snprintf(p, sizeof(p), "/var/lib/agent/session-%d/state.db", i);
		fadd(&raw, WD_FILE, p, WM_READ | WM_WRITE);
	}
	/* Two are not yet a pattern. */
	fadd(&raw, WD_FILE, "/var/lib/agent/cfg1.yaml", WM_READ);
	fadd(&raw, WD_FILE, "/var/lib/agent/cfg2.yaml", WM_READ);
	assert_int_equal(gen_view(&raw, &GC, &v), 0);
	assert_non_null(vfind(&v, WD_FILE, "/var/lib/agent/session-*/state.db"));
	assert_non_null(vfind(&v, WD_FILE, "/var/lib/agent/cfg1.yaml"));
	assert_non_null(vfind(&v, WD_FILE, "/var/lib/agent/cfg2.yaml"));
	assert_int_equal(vcount(&v, WD_FILE), 3);
	pset_free(&v);
	pset_free(&raw);
}

static void
test_view_shapes_catch_what_characters_miss(void **state)
{
	struct pset raw = { 0 }, v;
	const struct pentry *e;

	/*
	 * mkstemp suffixes that happen to read as words stay exact alone;
	 * three siblings of one fixed-width shape merge, even under /tmp
	 * (the pattern is not the directory).
	 */
	fadd(&raw, WD_FILE, "/tmp/agent-abcdef/out", WM_WRITE);
	fadd(&raw, WD_FILE, "/tmp/agent-Qwerty/out", WM_WRITE);
	fadd(&raw, WD_FILE, "/tmp/agent-kitten/out", WM_WRITE);
	/* Words that vary are not a generated name: they stay apart. */
	fadd(&raw, WD_FILE, "/usr/lib/locale/LC_MESSAGES", WM_READ);
	fadd(&raw, WD_FILE, "/usr/lib/locale/LC_ADDRESS", WM_READ);
	fadd(&raw, WD_FILE, "/usr/lib/locale/LC_NUMERIC", WM_READ);
	fadd(&raw, WD_FILE, "/tmp/agent-config.json", WM_READ);
	fadd(&raw, WD_FILE, "/tmp/other-abcdef", WM_READ);
	fadd(&raw, WD_FILE, "/tmp/other-ghijkl", WM_READ);
	/* One the character rules caught meets two they missed. */
	fadd(&raw, WD_FILE, "/var/tmp/run-*", WM_READ);
	fadd(&raw, WD_FILE, "/var/tmp/run-python", WM_READ);
	fadd(&raw, WD_FILE, "/var/tmp/run-kernel", WM_READ);
	assert_int_equal(gen_view(&raw, &GC, &v), 0);
	assert_non_null(e = vfind(&v, WD_FILE, "/var/tmp/run-*"));
	assert_int_equal(e->count, 3);
	assert_non_null(e = vfind(&v, WD_FILE, "/tmp/agent-*/out"));
	assert_int_equal(e->count, 3);
	/* A different shape (and length) is not folded in. */
	assert_non_null(vfind(&v, WD_FILE, "/tmp/agent-config.json"));
	/* Two are not yet a pattern. */
	assert_non_null(vfind(&v, WD_FILE, "/tmp/other-abcdef"));
	assert_non_null(vfind(&v, WD_FILE, "/tmp/other-ghijkl"));
	assert_non_null(vfind(&v, WD_FILE, "/usr/lib/locale/LC_MESSAGES"));
	assert_int_equal(vcount(&v, WD_FILE), 8);
	pset_free(&v);
	pset_free(&raw);
}

static void
test_exec_names_never_collapse_on_looks(void **state)
{
	char out[256];

	/* A binary whose name looks random stays exact; its directory may not. */
	assert_int_equal(gen_path_ex("/tmp/aZ3kPq/aZ3kPq", GEN_STRICT_LAST, out,
	    sizeof(out)), 1);
	assert_string_equal(out, "/tmp/*/aZ3kPq");
	assert_int_equal(gen_path_ex("/usr/bin/x86_64-linux-gnu-gcc-12",
	    GEN_STRICT_LAST, out, sizeof(out)), 0);
	/* Certain evidence still counts: a build id, a pid. */
	assert_int_equal(gen_path_ex("/opt/app/run-0b9c3c52-8f1e-4a4e-9d7c-"
	    "2f1d5b8e6a10", GEN_STRICT_LAST, out, sizeof(out)), 1);
	assert_string_equal(out, "/opt/app/run-*");
}

static void
test_view_volatile_children_count_double(void **state)
{
	struct pset raw = { 0 }, v;
	char p[256];
	int i;

	/* Four children whose names carry digits weigh as eight. */
	static const char *const ver[] = { "py311", "node20", "go122", "rb32" };
	for (i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "/opt/rt/%s/bin", ver[i]);
		fadd(&raw, WD_FILE, p, WM_READ | WM_EXEC);
	}
	assert_int_equal(gen_view(&raw, &GC, &v), 0);
	assert_non_null(vfind(&v, WD_FILE, "/opt/rt/**"));
	pset_free(&v);
	pset_free(&raw);
}

static void
test_view_cidr_only_with_many_siblings(void **state)
{
	struct pset raw = { 0 }, v;
	char a[64];
	int i;

	for (i = 1; i <= 5; i++) {
		snprintf(a, sizeof(a), "10.1.2.%d", i);
		fadd(&raw, WD_NET, a, 0);
	}
	raw.v[0].port = 0;	/* all port 0 tcp: one group */
	fadd(&raw, WD_NET, "192.0.2.7", 0);
	fadd(&raw, WD_NET, "192.0.2.8", 0);
	fadd(&raw, WD_NET, "api.openai.com", 0);
	assert_int_equal(gen_view(&raw, &GC, &v), 0);
	assert_non_null(vfind(&v, WD_NET, "10.1.2.0/24"));
	assert_non_null(vfind(&v, WD_NET, "192.0.2.7"));
	assert_non_null(vfind(&v, WD_NET, "192.0.2.8"));
	assert_non_null(vfind(&v, WD_NET, "api.openai.com"));
	assert_int_equal(vcount(&v, WD_NET), 4);
	pset_free(&v);
	pset_free(&raw);
}

static void
test_view_execs_never_fan_out(void **state)
{
	struct pset raw = { 0 }, v;
	char p[64];
	int i;

	for (i = 0; i < 20; i++) {
		snprintf(p, sizeof(p), "/usr/bin/tool%c", 'a' + i);
		fadd(&raw, WD_EXEC, p, 0);
	}
	assert_int_equal(gen_view(&raw, &GC, &v), 0);
	assert_int_equal(vcount(&v, WD_EXEC), 20);
	pset_free(&v);
	pset_free(&raw);
}

static void
test_view_is_order_independent(void **state)
{
	struct pset a = { 0 }, b = { 0 }, va, vb;
	char da[WIRE_HASH_MAX], db[WIRE_HASH_MAX], p[128];
	int i;

	for (i = 0; i < 30; i++) {
		snprintf(p, sizeof(p), "/srv/x/d%d/f%c", i % 4, 'a' + i % 9);
		fadd(&a, WD_FILE, p, i % 3 ? WM_READ : WM_WRITE);
	}
	for (i = 29; i >= 0; i--) {
		snprintf(p, sizeof(p), "/srv/x/d%d/f%c", i % 4, 'a' + i % 9);
		fadd(&b, WD_FILE, p, i % 3 ? WM_READ : WM_WRITE);
	}
	assert_int_equal(gen_view(&a, &GC, &va), 0);
	assert_int_equal(gen_view(&b, &GC, &vb), 0);
	assert_int_equal(pset_digest(&va, da), 0);
	assert_int_equal(pset_digest(&vb, db), 0);
	assert_string_equal(da, db);
	pset_free(&va);
	pset_free(&vb);
	pset_free(&a);
	pset_free(&b);
}

/* ---------------------------------------------------------------- observe */

static struct pentry
fentry(const char *key, uint32_t mode, uint64_t ms, const char *host)
{
	static char *hosts[1];
	struct pentry e;

	memset(&e, 0, sizeof(e));
	hosts[0] = (char *)host;
	e.dim = WD_FILE;
	e.key = (char *)key;
	e.mode = mode;
	e.first = e.last = ms;
	e.count = 1;
	e.hosts = hosts;
	e.nhosts = 1;
	e.sample = (char *)key;
	return e;
}

/*
 * The fold table: deltas go out as a chunk and come back the same from it;
 * refused novelty (frozen, or past max_entries) takes no memory; a chunk
 * that is not one is refused, not half read.
 */
static void
test_fold_table(void **state)
{
	struct ftab t, u;
	struct pentry e;
	struct pset a = { 0 }, b = { 0 };
	uint64_t frozen = 0;
	uint32_t nd;
	char *chunk, name[64];
	size_t len, i;
	int overflow = 0;

	(void)state;
	memset(&t, 0, sizeof(t));
	memset(&u, 0, sizeof(u));
	e = fentry("/etc/hosts", WM_READ, 1000, "h1");
	assert_int_equal(ftab_observe(&t, &e, 0, 3, &frozen, &overflow), 2);
	e = fentry("/etc/hosts", WM_READ, 2000, "h1");
	assert_int_equal(ftab_observe(&t, &e, 0, 3, &frozen, &overflow), 2);
	e = fentry("/etc/passwd", WM_READ, 1500, "h1");
	assert_int_equal(ftab_observe(&t, &e, 0, 3, &frozen, &overflow), 2);
	assert_int_equal(ftab_take(&t, SIZE_MAX, &nd), 2);
	assert_int_equal(nd, 1u << WD_FILE);
	assert_int_equal(ftab_chunk(&t, &chunk, &len), 0);
	assert_int_equal(ftab_commit(&t), 0);
	/* Known now: a repeat is counts and times only, not novelty. */
	e = fentry("/etc/hosts", WM_READ, 3000, "h1");
	assert_int_equal(ftab_observe(&t, &e, 0, 3, &frozen, &overflow), 1);
	e = fentry("/etc/hosts", WM_WRITE, 3000, "h1");
	assert_int_equal(ftab_observe(&t, &e, 0, 3, &frozen, &overflow), 2);
	/* A fresh instance reading the chunk holds what was sent. */
	assert_int_equal(ftab_load_chunk(&u, chunk, len), 0);
	free(chunk);
	assert_int_equal(ftab_pset(&t, &a), 0);
	assert_int_equal(ftab_pset(&u, &b), 0);
	pset_sort(&a);
	pset_sort(&b);
	assert_int_equal(a.n, 2);
	assert_int_equal(b.n, 2);
	for (i = 0; i < 2; i++) {
		assert_string_equal(a.v[i].key, b.v[i].key);
		assert_int_equal(a.v[i].count, b.v[i].count);
		assert_int_equal(a.v[i].first, b.v[i].first);
		assert_int_equal(a.v[i].last, b.v[i].last);
		assert_int_equal(a.v[i].nhosts, 1);
	}
	assert_string_equal(a.v[0].key, "/etc/hosts");
	assert_int_equal(a.v[0].count, 2);
	assert_int_equal(a.v[0].first, 1000);
	assert_int_equal(a.v[0].last, 2000);
	pset_free(&a);
	pset_free(&b);
	/* Frozen: 1,000 random names are counted, and none is kept. */
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "/tmp/x%zu", i);
		e = fentry(name, WM_READ, 4000, "h1");
		assert_int_equal(ftab_observe(&t, &e, 1u << WD_FILE, 3,
		    &frozen, &overflow), 0);
	}
	assert_int_equal(frozen, 1000);
	assert_int_equal(t.n, 2);
	/* max_entries (3 here): the third is kept, then overflow. */
	e = fentry("/etc/group", WM_READ, 5000, "h1");
	assert_int_equal(ftab_observe(&t, &e, 0, 3, &frozen, &overflow), 2);
	assert_false(overflow);
	e = fentry("/etc/shadow", WM_READ, 5000, "h1");
	assert_int_equal(ftab_observe(&t, &e, 0, 3, &frozen, &overflow), 0);
	assert_true(overflow);
	assert_int_equal(t.n, 3);
	/* Not a chunk: refused whole. */
	assert_int_equal(ftab_load_chunk(&u, "\x91\x93\x01\x02\x03", 5), -EPROTO);
	/* A good item, then a bad one: nothing of it is taken. */
	e = fentry("/etc/new", WM_READ, 6000, "h1");
	assert_int_equal(ftab_observe(&u, &e, 0, 0, &frozen, &overflow), 2);
	assert_int_equal(ftab_take(&u, SIZE_MAX, &nd), 1);
	assert_int_equal(ftab_chunk(&u, &chunk, &len), 0);
	{
		char bad[512];

		assert_true(len + 4 < sizeof(bad));
		bad[0] = (char)0x92;		/* an array of two: the item, */
		memcpy(bad + 1, chunk + 1, len - 1);
		memcpy(bad + len, "\x93\x01\x02\x03", 4);	/* and junk */
		ftab_commit(&u);
		i = u.n;
		assert_int_equal(ftab_load_chunk(&t, bad, len + 4), -EPROTO);
		assert_int_equal(t.n, 3);
		(void)i;
	}
	free(chunk);
	assert_int_equal(ftab_load_chunk(&u, "\xc1", 1), -EPROTO);
	ftab_free(&t);
	ftab_free(&u);
}

static void
test_observe_events(void **state)
{
	struct wire_event ev;
	struct wire_proc lin[2] = { { 1, "/usr/bin/node", NULL },
	    { 2, "/bin/sh", NULL } };
	struct obs o;

	memset(&ev, 0, sizeof(ev));
	ev.type = EV_EXEC;
	ev.ts = 5000000000ull;
	snprintf(ev.host, sizeof(ev.host), "h");
	ev.exe = "/bin/sh";
	ev.uid = 1000;
	ev.euid = 0;
	ev.lineage.v = lin;
	ev.lineage.n = 2;
	wire_argv_set(&ev.argv, "sh\0-c\0id\0", 9);
	assert_int_equal(observe(&ev, &o), 0);
	assert_int_equal(o.entries.n, 2);
	assert_int_equal(o.entries.v[0].dim, WD_EXEC);
	assert_string_equal(o.entries.v[0].key, "/bin/sh");
	assert_string_equal(o.entries.v[0].sample, "sh -c id");
	assert_int_equal(o.entries.v[1].dim, WD_EDGE);
	assert_string_equal(o.entries.v[1].parent, "/usr/bin/node");
	assert_true(o.flags & OF_ROOT);
	assert_true(o.flags & OF_SETUID);
	assert_int_equal(o.ts_ms, 5000);
	obs_free(&o);
	free(ev.argv.buf);

	/* A refused open is not behaviour to allow. */
	memset(&ev, 0, sizeof(ev));
	ev.type = EV_OPEN;
	ev.path = "/etc/shadow";
	ev.mode = WM_READ;
	ev.result = -13;
	assert_int_equal(observe(&ev, &o), 0);
	assert_int_equal(o.entries.n, 0);
	ev.result = 0;
	ev.path = "/tmp/tmpab12cd34/x";
	assert_int_equal(observe(&ev, &o), 0);
	assert_string_equal(o.entries.v[0].key, "/tmp/tmp*/x");
	assert_string_equal(o.entries.v[0].sample, "/tmp/tmpab12cd34/x");
	obs_free(&o);
	ev.path = "relative";
	assert_int_equal(observe(&ev, &o), -EINVAL);
	/* An abstract unix socket: "@name", generalised as a path when it
	 * looks like one, as one component otherwise. */
	ev.path = "@/tmp/.X11-unix/X0";
	ev.mode = WM_WRITE;
	assert_int_equal(observe(&ev, &o), 0);
	assert_string_equal(o.entries.v[0].key, "@/tmp/.X11-unix/X0");
	obs_free(&o);
	ev.path = "@agent-bus-550e8400-e29b-41d4-a716-446655440000";
	assert_int_equal(observe(&ev, &o), 0);
	assert_string_equal(o.entries.v[0].key, "@agent-bus-*");
	assert_int_equal(o.entries.v[0].mode, WM_WRITE);
	obs_free(&o);

	/* A name beats the address. */
	memset(&ev, 0, sizeof(ev));
	ev.type = EV_CONNECT;
	snprintf(ev.addr, sizeof(ev.addr), "104.18.7.192");
	ev.port = 443;
	ev.proto = WP_TCP;
	ev.name = "api.openai.com";
	assert_int_equal(observe(&ev, &o), 0);
	assert_string_equal(o.entries.v[0].key, "api.openai.com");
	assert_int_equal(o.entries.v[0].port, 443);
	obs_free(&o);

	/* Syscalls by name; activity and loss as facts. */
	memset(&ev, 0, sizeof(ev));
	ev.type = EV_SYSCALLS;
	ev.syscalls[0] = 0x3;	/* read, write */
	ev.syscalls[63] = 0x80;	/* 511: no name */
	assert_int_equal(observe(&ev, &o), 0);
	assert_int_equal(o.entries.n, 3);
	assert_string_equal(o.entries.v[0].key, "read");
	assert_string_equal(o.entries.v[1].key, "write");
	assert_string_equal(o.entries.v[2].key, "sys_511");
	obs_free(&o);
	ev.type = EV_ACTIVE;
	ev.span = 60000000000ull;
	assert_int_equal(observe(&ev, &o), 0);
	assert_int_equal(o.active_ms, 60000);
	obs_free(&o);
}

/* ---------------------------------------------------------------- risk */

static void
test_risk_scores_and_reasons(void **state)
{
	struct pset quiet = { 0 }, loud = { 0 };
	struct risk r;
	struct pentry e;
	char *hosts[1] = { "h" };

	fadd(&quiet, WD_FILE, "/etc/hosts", WM_READ);
	fadd(&quiet, WD_LISTEN, "127.0.0.1", 0);
	fadd(&quiet, WD_NET, "10.0.0.5", 0);
	risk_score(&quiet, 0, &r);
	assert_int_equal(r.score, 0);
	assert_int_equal(r.n, 0);

	fadd(&loud, WD_LISTEN, "0.0.0.0", 0);
	fadd(&loud, WD_FILE, "/home/u/.aws/credentials", WM_READ);
	fadd(&loud, WD_NET, "api.openai.com", 0);
	memset(&e, 0, sizeof(e));
	e.dim = WD_EDGE;
	e.key = "/usr/bin/bash";
	e.parent = "/usr/bin/python3.11";
	e.hosts = hosts;
	e.nhosts = 1;
	pset_add(&loud, &e);
	risk_score(&loud, OF_ROOT, &r);
	assert_int_equal(r.score, 100);	/* 30+25+20+20+15, capped */
	assert_int_equal(r.n, 5);
	assert_string_equal(r.reasons[0], "external-facing: listens on: 0.0.0.0");
	assert_string_equal(r.reasons[1],
	    "sensitive data: /home/u/.aws/credentials");
	assert_string_equal(r.reasons[3], "code execution: python3.11 -> bash");
	pset_free(&quiet);
	pset_free(&loud);

	/* Write then exec. */
	memset(&quiet, 0, sizeof(quiet));
	fadd(&quiet, WD_FILE, "/tmp/tmp*/payload", WM_WRITE);
	fadd(&quiet, WD_EXEC, "/tmp/tmp*/payload", 0);
	risk_score(&quiet, 0, &r);
	assert_int_equal(r.score, 20);
	assert_non_null(strstr(r.reasons[0], "writes then runs"));
	pset_free(&quiet);

	assert_int_equal(risk_addr_public("8.8.8.8"), 1);
	assert_int_equal(risk_addr_public("192.168.1.1"), 0);
	assert_int_equal(risk_addr_public("fd00::1"), 0);
	assert_int_equal(risk_addr_public("2001:4860::8888"), 1);
	assert_int_equal(risk_addr_public("::ffff:10.0.0.1"), 0);
	assert_int_equal(risk_addr_public("api.openai.com"), -1);
}

/* ---------------------------------------------------------------- ready */

static void
test_readiness(void **state)
{
	struct ready_conf rc = { .quiet_ms = 60000, .max_entries = 100 };
	struct store_meta m;
	struct ready r;
	char *chg, *c2;

	memset(&m, 0, sizeof(m));
	/* 10 new entries at active 0, 5 at 70 s, 1 at 130 s; now 150 s. */
	chg = ready_chg_append(NULL, 0, 10);
	c2 = ready_chg_append(chg, 70000, 5);
	free(chg);
	chg = ready_chg_append(c2, 130000, 1);
	free(c2);
	m.active_ms = 150000;
	m.changed_active_ms = 130000;
	assert_int_equal(ready_eval(&rc, &m, chg, &r), 0);
	assert_int_equal(r.status, WS_LEARNING);
	assert_int_equal(r.quiet_for_ms, 20000);
	/* 1 in the last minute = 60/h; 5 the minute before: converging. */
	assert_true(r.novelty > 59.9 && r.novelty < 60.1);
	assert_true(r.trend < -239.0 && r.trend > -241.0);
	assert_true(r.complete);
	m.active_ms = 190000;
	assert_int_equal(ready_eval(&rc, &m, chg, &r), 0);
	assert_int_equal(r.status, WS_STABLE);
	m.flags = OF_SEEDED;
	assert_int_equal(ready_eval(&rc, &m, chg, &r), 0);
	assert_false(r.complete);
	m.flags = 0;
	m.lost = 3;
	assert_int_equal(ready_eval(&rc, &m, chg, &r), 0);
	assert_false(r.complete);
	/* Complete again after clean_ms of activity since the last loss. */
	rc.clean_ms = 60000;
	m.loss_active_ms = 150000;
	assert_int_equal(ready_eval(&rc, &m, chg, &r), 0);
	assert_false(r.complete);
	assert_int_equal(r.clean_left_ms, 20000);
	m.active_ms = 210000;
	assert_int_equal(ready_eval(&rc, &m, chg, &r), 0);
	assert_true(r.complete);
	/* A gap of unknown size counts the same; so does a seeded start,
	 * from the workload's first activity. */
	m.lost = 0;
	m.gaps = 1;
	m.loss_active_ms = 200000;
	assert_int_equal(ready_eval(&rc, &m, chg, &r), 0);
	assert_false(r.complete);
	m.gaps = 0;
	m.flags = OF_SEEDED;
	assert_int_equal(ready_eval(&rc, &m, chg, &r), 0);
	assert_true(r.complete);
	m.active_ms = 30000;
	assert_int_equal(ready_eval(&rc, &m, chg, &r), 0);
	assert_false(r.complete);
	m.active_ms = 210000;
	m.flags = 0;
	m.overflow = 1;
	assert_int_equal(ready_eval(&rc, &m, chg, &r), 0);
	assert_int_equal(r.status, WS_TOO_LARGE);
	free(chg);
}


/* ---------------------------------------------------------------- discovery */

struct reports {
	char	msg[16][600];
	int	n;
};

static void
collect_report(void *arg, const char *msg)
{
	struct reports *r = arg;

	if (r->n < 16)
		snprintf(r->msg[r->n++], sizeof(r->msg[0]), "%s", msg);
}

static void
load_repo_catalog(struct catalog *c)
{
	char path[512];
	struct reports r = { .n = 0 };

	memset(c, 0, sizeof(*c));
	assert_int_equal(catalog_load_file(c, tu_path("profiled/signatures.yaml",
	    path, sizeof(path)), collect_report, &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(catalog_index(c), 0);
}

static void
test_catalog_repo_file_loads(void **state)
{
	struct catalog c;

	load_repo_catalog(&c);
	assert_true(c.n >= 80);
	catalog_free(&c);
}

static void
test_catalog_bad_entries_named_rest_loads(void **state)
{
	char dir[] = "/tmp/paddock-test-catalog.XXXXXX", path[128];
	struct catalog c = { 0 };
	struct reports r = { .n = 0 };
	FILE *f;
	int i;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/10-local.yaml", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("signatures:\n"
	    "  - id: good\n"			/* line 2 */
	    "    kind: llm-api\n"
	    "    name: Internal LLM\n"
	    "    hosts: [\"llm.internal.example\"]\n"
	    "  - id: typo\n"			/* line 6 */
	    "    kind: llm-api\n"
	    "    name: x\n"
	    "    hostz: [a]\n"			/* line 9: unknown key */
	    "  - id: badkind\n"
	    "    kind: robot\n"			/* line 11 */
	    "    name: x\n"
	    "    hosts: [a]\n"
	    "  - id: badport\n"
	    "    kind: llm-api\n"
	    "    name: x\n"
	    "    ports: [70000]\n"		/* line 17 */
	    "  - id: nomatch\n"			/* line 18 */
	    "    kind: model\n"
	    "    name: x\n"
	    "  - id: good\n"			/* line 21: duplicate */
	    "    kind: model\n"
	    "    name: y\n"
	    "    files: [\"*.y\"]\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/20-broken.yaml", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("signatures:\n  - id: [unclosed\n", f);
	fclose(f);
	/* Runtimes and movers only, added to what came before; an unknown
	 * ecosystem is named where it is. */
	snprintf(path, sizeof(path), "%s/30-movers.yaml", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("movers: [\"*/mybackup\"]\n"
	    "runtimes:\n"
	    "  pypi: [\"*/myembedded-python\"]\n"
	    "  cargo: [\"*/x\"]\n", f);		/* line 4 */
	fclose(f);
	assert_int_equal(catalog_load_dir(&c, dir, collect_report, &r), 7);
	assert_int_equal(c.movers.n, 1);
	assert_string_equal(c.movers.v[0], "*/mybackup");
	assert_int_equal(c.runtimes[ECO_PYPI].n, 1);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0].id, "good");
	for (i = 0; i < r.n; i++)
		print_message("%s\n", r.msg[i]);
	assert_int_equal(r.n, 7);
	assert_non_null(strstr(r.msg[0], "10-local.yaml:9:5: unknown key \"hostz\""));
	assert_non_null(strstr(r.msg[1], "10-local.yaml:11:11"));
	assert_non_null(strstr(r.msg[2], "10-local.yaml:17:"));
	assert_non_null(strstr(r.msg[3], "10-local.yaml:18:"));
	assert_non_null(strstr(r.msg[3], "no matcher"));
	assert_non_null(strstr(r.msg[4], "10-local.yaml:21:"));
	assert_non_null(strstr(r.msg[4], "duplicate id"));
	assert_non_null(strstr(r.msg[5], "20-broken.yaml:"));
	assert_non_null(strstr(r.msg[6], "30-movers.yaml:4:3"));
	/* A missing directory is no error. */
	assert_int_equal(catalog_load_dir(&c, "/nonexistent/signatures.d",
	    collect_report, &r), 0);
	catalog_free(&c);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

static size_t
detect(const struct catalog *c, struct wire_event *ev, struct detection *d)
{
	snprintf(ev->host, sizeof(ev->host), "h");
	ev->ts = 1000000000ull;
	ev->pid = 42;
	struct catalog plain = *c;
	struct detection d2[8];
	size_t n, n2, i;

	if (ev->exe == NULL)
		ev->exe = "/usr/bin/node";
	/* The literal index only skips what fnmatch would refuse: the same
	 * detections with it as by trying every signature. */
	plain.idx = NULL;
	n = discover_event(c, ev, d, 8);
	n2 = discover_event(&plain, ev, d2, 8);
	assert_int_equal(n, n2);
	for (i = 0; i < n; i++) {
		assert_ptr_equal(d[i].sig, d2[i].sig);
		assert_string_equal(d[i].key, d2[i].key);
	}
	return n;
}

static void
test_discover_detectors(void **state)
{
	struct catalog c;
	struct detection d[8];
	struct wire_event ev;
	struct wire_proc lin[2] = { { 10, "/usr/bin/node", "node agent.js" },
	    { 11, "/usr/bin/node", NULL } };

	load_repo_catalog(&c);
	/* A framework, by the files the process reads. */
	memset(&ev, 0, sizeof(ev));
	ev.type = EV_OPEN;
	ev.mode = WM_READ;
	ev.path = "/srv/app/node_modules/@langchain/core/dist/runnables/base.cjs";
	assert_int_equal(detect(&c, &ev, d), 1);
	assert_string_equal(d[0].sig->id, "npm-langchain-core");
	assert_string_equal(d[0].name, "@langchain/core");
	assert_string_equal(d[0].key, "/srv/app/node_modules/@langchain/core");
	assert_string_equal(d[0].behaviour, "open");
	/* Writing it is installing it. */
	ev.mode = WM_WRITE;
	assert_int_equal(detect(&c, &ev, d), 0);
	/* Python's .pth files are not models. */
	ev.mode = WM_READ;
	ev.path = "/usr/lib/python3/dist-packages/distutils-precedence.pth";
	assert_int_equal(detect(&c, &ev, d), 0);
	ev.path = "/srv/models/llama-3-8b.Q4_K_M.gguf";
	assert_int_equal(detect(&c, &ev, d), 1);
	assert_int_equal(d[0].sig->kind, SK_MODEL);
	assert_string_equal(d[0].name, "llama-3-8b.Q4_K_M.gguf");
	ev.path = "/dev/nvidia0";
	assert_int_equal(detect(&c, &ev, d), 1);
	assert_int_equal(d[0].sig->kind, SK_ACCEL);
	assert_false(d[0].sig->ai);	/* a GPU alone is not AI */
	ev.path = "/var/lib/rag/chroma.sqlite3";
	assert_int_equal(detect(&c, &ev, d), 1);
	assert_int_equal(d[0].sig->kind, SK_RAG);

	/* An MCP server, by how it was launched, and who launched it. */
	memset(&ev, 0, sizeof(ev));
	ev.type = EV_EXEC;
	ev.exe = "/usr/bin/node";
	wire_argv_set(&ev.argv, "npx\0-y\0@modelcontextprotocol/server-filesystem"
	    "@2025.1.0\0/srv\0", 54);
	ev.lineage.v = lin;
	ev.lineage.n = 2;
	assert_int_equal(detect(&c, &ev, d), 1);
	assert_int_equal(d[0].sig->kind, SK_MCP);
	assert_string_equal(d[0].name, "@modelcontextprotocol/server-filesystem");
	assert_string_equal(d[0].launched_by, "node agent.js");
	wire_argv_set(&ev.argv, "python3\0-m\0mcp_server_git\0", 26);
	assert_int_equal(detect(&c, &ev, d), 1);
	assert_string_equal(d[0].name, "mcp_server_git");
	free(ev.argv.buf);

	/* LLM APIs by name, local inference by port. */
	memset(&ev, 0, sizeof(ev));
	ev.type = EV_CONNECT;
	ev.proto = WP_TCP;
	snprintf(ev.addr, sizeof(ev.addr), "104.18.7.192");
	ev.port = 443;
	ev.name = "api.openai.com";
	assert_int_equal(detect(&c, &ev, d), 1);
	assert_string_equal(d[0].sig->id, "api-openai");
	assert_true(discover_is_ai(&d[0]));
	/* A port is not evidence: kept as weight, AI by itself never. */
	ev.name = NULL;
	snprintf(ev.addr, sizeof(ev.addr), "127.0.0.1");
	ev.port = 11434;
	assert_int_equal(detect(&c, &ev, d), 1);
	assert_string_equal(d[0].sig->id, "local-ollama");
	assert_true(d[0].port_only);
	assert_false(discover_is_ai(&d[0]));
	ev.port = 1234;
	assert_int_equal(detect(&c, &ev, d), 1);
	assert_false(discover_is_ai(&d[0]));
	ev.port = 11434;
	ev.type = EV_LISTEN;
	assert_int_equal(detect(&c, &ev, d), 1);
	assert_int_equal(d[0].sig->kind, SK_INFERENCE);
	assert_false(discover_is_ai(&d[0]));

	/* Control: a shell, redis-server and its port are not AI. */
	ev.type = EV_CONNECT;
	ev.port = 6379;
	assert_int_equal(detect(&c, &ev, d), 0);
	ev.type = EV_LISTEN;
	assert_int_equal(detect(&c, &ev, d), 0);
	memset(&ev, 0, sizeof(ev));
	ev.type = EV_EXEC;
	ev.exe = "/usr/bin/redis-server";
	wire_argv_set(&ev.argv, "redis-server\0*:6379\0", 20);
	assert_int_equal(detect(&c, &ev, d), 0);
	ev.exe = "/usr/bin/dash";
	wire_argv_set(&ev.argv, "sh\0-c\0while true; do date; done\0", 33);
	assert_int_equal(detect(&c, &ev, d), 0);
	free(ev.argv.buf);
	catalog_free(&c);
}

/* A GGUF v3 file with general.architecture and general.name. */
static void
write_gguf(const char *path, const char *name)
{
	FILE *f = fopen(path, "w");
	uint32_t u32;
	uint64_t u64;

	assert_non_null(f);
	fwrite("GGUF", 1, 4, f);
	u32 = 3; fwrite(&u32, 4, 1, f);
	u64 = 0; fwrite(&u64, 8, 1, f);		/* tensors */
	u64 = 4; fwrite(&u64, 8, 1, f);		/* metadata pairs */
	u64 = 20; fwrite(&u64, 8, 1, f);
	fwrite("general.architecture", 1, 20, f);
	u32 = 8; fwrite(&u32, 4, 1, f);
	u64 = 5; fwrite(&u64, 8, 1, f);
	fwrite("llama", 1, 5, f);
	u64 = 12; fwrite(&u64, 8, 1, f);
	fwrite("general.name", 1, 12, f);
	u32 = 8; fwrite(&u32, 4, 1, f);
	u64 = strlen(name); fwrite(&u64, 8, 1, f);
	fwrite(name, 1, strlen(name), f);
	u64 = 17; fwrite(&u64, 8, 1, f);
	fwrite("general.file_type", 1, 17, f);
	u32 = 4; fwrite(&u32, 4, 1, f);		/* uint32 */
	u32 = 15; fwrite(&u32, 4, 1, f);	/* Q4_K_M */
	u64 = 18; fwrite(&u64, 8, 1, f);
	fwrite("general.size_label", 1, 18, f);
	u32 = 8; fwrite(&u32, 4, 1, f);
	u64 = 4; fwrite(&u64, 8, 1, f);
	fwrite("1.1B", 1, 4, f);
	fclose(f);
}

/* Write n bytes to dir/name. */
static void
put_file(const char *dir, const char *name, const void *b, size_t n)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_non_null(f = fopen(p, "w"));
	assert_int_equal(fwrite(b, 1, n, f), n);
	fclose(f);
}

/* model_format() on fd of dir/name; "" for none. */
static const char *
format_of(const char *dir, const char *name)
{
	struct model_facts mf;
	char p[512];
	const char *f;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_true((fd = open(p, O_RDONLY)) >= 0);
	f = model_format(fd, &mf);
	close(fd);
	return f ? f : "";
}

/*
 * Models by content (profiled/model.c): each format by the bytes its
 * writers put first, and the look-alikes that are not models: plain HDF5
 * data, another zip, text, a JSON file, an empty file.
 */
static void
test_model_formats(void **state)
{
	char dir[] = "/tmp/paddock-test-models.XXXXXX", p[512], cmd[600];
	static const unsigned char onnx[] = { 0x08, 0x07, 0x12, 0x07, 'p',
	    'y', 't', 'o', 'r', 'c', 'h', 0x1a, 0x03, '2', '.', '1', 0x3a,
	    0x00 };
	static const unsigned char pickle[] = { 0x80, 0x02, 0x8a, 0x0a, 0x6c,
	    0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, '.' };
	static const unsigned char zip_pt[] = "PK\x03\x04\x14\0\0\0\0\0\0\0"
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x10\0\0\0archive/data.pkl\x80\x02}q";
	static const unsigned char zip_keras[] = "PK\x03\x04 metadata.json "
	    "PK\x03\x04 config.json PK\x03\x04 model.weights.h5";
	static const unsigned char zip_other[] = "PK\x03\x04 readme.txt "
	    "PK\x03\x04 photo.jpg";
	static const unsigned char h5_keras[] = "\x89HDF\r\n\x1a\n\0\0\0\0"
	    "......keras_version...2.15.0...model_config...{\"class_name\"";
	static const unsigned char h5_data[] = "\x89HDF\r\n\x1a\n\0\0\0\0"
	    "......temperature...pressure...";
	static const unsigned char tflite[] = "\x1c\0\0\0TFL3\0\0\0\0";
	static const unsigned char savedmodel[] = { 0x08, 0x01, 0x12, 0x20,
	    'x', 't', 'e', 'n', 's', 'o', 'r', 'f', 'l', 'o', 'w', 0x00 };

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/m.gguf", dir);
	write_gguf(p, "Tiny");
	assert_string_equal(format_of(dir, "m.gguf"), "gguf");
	{
		struct model_facts mf;
		int fd = open(p, O_RDONLY);

		assert_int_equal(gguf_read(fd, &mf), 0);
		close(fd);
		assert_string_equal(mf.name, "Tiny");
		assert_string_equal(mf.arch, "llama");
		assert_string_equal(mf.quant, "Q4_K_M");
		assert_string_equal(mf.size, "1.1B");
	}
	put_file(dir, "m.safetensors", "\x0f\0\0\0\0\0\0\0{\"__metadata__\":{}}",
	    26);
	assert_string_equal(format_of(dir, "m.safetensors"), "safetensors");
	put_file(dir, "m.onnx", onnx, sizeof(onnx));
	assert_string_equal(format_of(dir, "m.onnx"), "onnx");
	put_file(dir, "legacy.pt", pickle, sizeof(pickle));
	assert_string_equal(format_of(dir, "legacy.pt"), "pytorch");
	put_file(dir, "m.pt", zip_pt, sizeof(zip_pt));
	assert_string_equal(format_of(dir, "m.pt"), "pytorch");
	put_file(dir, "m.keras", zip_keras, sizeof(zip_keras));
	assert_string_equal(format_of(dir, "m.keras"), "keras");
	put_file(dir, "m.h5", h5_keras, sizeof(h5_keras));
	assert_string_equal(format_of(dir, "m.h5"), "keras");
	put_file(dir, "m.tflite", tflite, sizeof(tflite));
	assert_string_equal(format_of(dir, "m.tflite"), "tflite");
	put_file(dir, "saved_model.pb", savedmodel, sizeof(savedmodel));
	assert_string_equal(format_of(dir, "saved_model.pb"), "savedmodel");
	/* Named like models, and not. */
	put_file(dir, "data.h5", h5_data, sizeof(h5_data));
	assert_string_equal(format_of(dir, "data.h5"), "");
	put_file(dir, "backup.pt", zip_other, sizeof(zip_other));
	assert_string_equal(format_of(dir, "backup.pt"), "");
	put_file(dir, "notes.gguf", "not a model at all", 18);
	assert_string_equal(format_of(dir, "notes.gguf"), "");
	put_file(dir, "params.json", "{\"stop\": [\"</s>\"]}", 18);
	assert_string_equal(format_of(dir, "params.json"), "");
	put_file(dir, "empty.onnx", "", 0);
	assert_string_equal(format_of(dir, "empty.onnx"), "");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Write a fake <dir>/<pid>/{cmdline,stat}: argv of n bytes, parent ppid. */
static void
fake_proc(const char *dir, unsigned pid, const char *argv, size_t n,
    unsigned ppid)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "mkdir -p %s/%u", dir, pid);
	assert_int_equal(system(p), 0);
	snprintf(p, sizeof(p), "%s/%u/cmdline", dir, pid);
	assert_non_null(f = fopen(p, "w"));
	fwrite(argv, 1, n, f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/%u/stat", dir, pid);
	assert_non_null(f = fopen(p, "w"));
	fprintf(f, "%u (a (b) c) S %u 1 1 0 -1\n", pid, ppid);
	fclose(f);
}

/*
 * An MCP server found by what it loads (the SDK's stdio transport),
 * named by its process: its script, the npm package the script is in, or
 * the module of "python -m"; linked to the process that launched it.
 */
static void
test_discover_mcp_by_process(void **state)
{
	char dir[] = "/tmp/paddock-test-mcpproc.XXXXXX", cmd[600];
	struct catalog c;
	struct detection d[8];
	struct wire_event ev;

	(void)state;
	load_repo_catalog(&c);
	assert_non_null(mkdtemp(dir));
	fake_proc(dir, 4000, "node\0/srv/agent.mjs\0--fast\0", 26, 1);
	fake_proc(dir, 4242, "/usr/bin/node\0--no-warnings\0"
	    "/srv/tools/weather-server.mjs\0", 58, 4000);
	fake_proc(dir, 4243, "python3\0-m\0billing_tools.server\0", 33, 4000);
	fake_proc(dir, 4244, "node\0/app/node_modules/@acme/mcp-crm/dist/"
	    "index.js\0", 50, 4000);
	fake_proc(dir, 4245, "/usr/bin/python3\0-c\0import a/b\0", 30, 4000);
	memset(&ev, 0, sizeof(ev));
	ev.type = EV_OPEN;
	ev.mode = WM_READ;
	ev.path = "/srv/node_modules/@modelcontextprotocol/sdk/dist/esm/server/"
	    "stdio.js";
	ev.pid = 4242;
	assert_int_equal(detect(&c, &ev, d), 2);	/* the SDK, and a server */
	if (d[0].sig->kind != SK_MCP)
		d[0] = d[1];
	assert_int_equal(d[0].sig->kind, SK_MCP);
	d[0].pid = 4242;
	assert_int_equal(discover_name_process(&d[0], dir), 0);
	assert_string_equal(d[0].name, "weather-server.mjs");
	assert_string_equal(d[0].key, "weather-server.mjs");
	assert_string_equal(d[0].launched_by, "node /srv/agent.mjs --fast");
	d[0].pid = 4243;
	assert_int_equal(discover_name_process(&d[0], dir), 0);
	assert_string_equal(d[0].name, "billing_tools.server");
	d[0].pid = 4244;
	assert_int_equal(discover_name_process(&d[0], dir), 0);
	assert_string_equal(d[0].name, "@acme/mcp-crm");
	d[0].pid = 4245;	/* code on the command line: the interpreter */
	assert_int_equal(discover_name_process(&d[0], dir), 0);
	assert_string_equal(d[0].name, "python3");
	d[0].pid = 9999;			/* gone */
	assert_int_equal(discover_name_process(&d[0], dir), -ESRCH);
	/* Python's SDK too; and tar reading it is no server. */
	ev.path = "/opt/app/.venv/lib/python3.12/site-packages/mcp/server/"
	    "stdio.py";
	ev.exe = "/usr/bin/python3.12";
	assert_true(detect(&c, &ev, d) >= 1);
	ev.exe = "/usr/bin/tar";
	assert_int_equal(detect(&c, &ev, d), 0);
	catalog_free(&c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
test_discover_confirm_from_files(void **state)
{
	char dir[] = "/tmp/paddock-test-confirm.XXXXXX", p[512], cmd[600];
	struct catalog c;
	struct detection d[8];
	struct wire_event ev;
	FILE *f;

	load_repo_catalog(&c);
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/app/node_modules/@langchain/core/"
	    "dist %s/sp/site-packages/langchain_core "
	    "%s/sp/site-packages/langchain_core-0.3.9.dist-info "
	    "%s/hf/models--TinyLlama--TinyLlama-1.1B/snapshots/abc123", dir, dir,
	    dir, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(p, sizeof(p), "%s/app/node_modules/@langchain/core/package.json",
	    dir);
	assert_non_null(f = fopen(p, "w"));
	fputs("{\"name\": \"@langchain/core\", \"version\": \"0.3.40\"}", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/sp/site-packages/langchain_core-0.3.9.dist-info"
	    "/METADATA", dir);
	assert_non_null(f = fopen(p, "w"));
	fputs("Metadata-Version: 2.1\nName: langchain-core\nVersion: 0.3.9\n", f);
	fclose(f);

	memset(&ev, 0, sizeof(ev));
	ev.type = EV_OPEN;
	ev.mode = WM_READ;
	snprintf(p, sizeof(p), "%s/app/node_modules/@langchain/core/dist/x.js",
	    dir);
	ev.path = p;
	assert_int_equal(detect(&c, &ev, d), 1);
	discover_confirm(&d[0], "");
	assert_int_equal(d[0].confidence, DET_CONFIRMED);
	assert_string_equal(d[0].version, "0.3.40");
	assert_string_equal(d[0].technique, "manifest-analysis");

	snprintf(p, sizeof(p), "%s/sp/site-packages/langchain_core/__init__.py",
	    dir);
	/* Whoever touches a file does not get its signal: a PyPI package
	 * is used when Python loads it, not when node, tar or grep reads
	 * it (the catalog's runtimes and movers). */
	assert_int_equal(detect(&c, &ev, d), 0);	/* by node */
	ev.exe = "/usr/bin/tar";
	assert_int_equal(detect(&c, &ev, d), 0);
	ev.exe = "/opt/venv/bin/python3.12";
	assert_int_equal(detect(&c, &ev, d), 1);
	discover_confirm(&d[0], "");
	assert_int_equal(d[0].confidence, DET_CONFIRMED);
	assert_string_equal(d[0].name, "langchain-core");
	assert_string_equal(d[0].version, "0.3.9");

	/* Loaded from outside site-packages (a vendor directory on
	 * PYTHONPATH): its metadata next to it makes it the package; a
	 * directory of that name without it is none. */
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/app/vendor/langchain_core "
	    "%s/app/vendor/langchain_core-0.3.9.dist-info %s/src/langchain_core",
	    dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(p, sizeof(p), "%s/app/vendor/langchain_core-0.3.9.dist-info/"
	    "METADATA", dir);
	assert_non_null(f = fopen(p, "w"));
	fputs("Metadata-Version: 2.1\nName: langchain-core\nVersion: 0.3.9\n", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/app/vendor/langchain_core/__init__.py", dir);
	assert_int_equal(detect(&c, &ev, d), 1);
	assert_true(d[0].needs_meta);
	assert_false(discover_is_ai(&d[0]));	/* until its metadata is read */
	discover_confirm(&d[0], "");
	assert_int_equal(d[0].confidence, DET_CONFIRMED);
	assert_string_equal(d[0].version, "0.3.9");
	assert_true(discover_is_ai(&d[0]));
	snprintf(p, sizeof(p), "%s/src/langchain_core/notes.py", dir);
	assert_int_equal(detect(&c, &ev, d), 1);
	discover_confirm(&d[0], "");
	assert_true(d[0].refuted);
	assert_false(discover_is_ai(&d[0]));

	/* A GGUF header names the model; a ".gguf" that is no GGUF is no
	 * model at all (refuted: never stored, never AI). */
	snprintf(p, sizeof(p), "%s/tiny.gguf", dir);
	write_gguf(p, "TinyLlama Chat");
	ev.exe = "/usr/bin/sha256sum";		/* a checksum: no load */
	assert_int_equal(detect(&c, &ev, d), 0);
	ev.exe = "/usr/local/bin/llama-server";
	assert_int_equal(detect(&c, &ev, d), 1);
	discover_confirm(&d[0], "");
	assert_int_equal(d[0].confidence, DET_CONFIRMED);
	assert_string_equal(d[0].name, "TinyLlama Chat");
	assert_string_equal(d[0].technique, "binary-analysis");
	snprintf(p, sizeof(p), "%s/fake.gguf", dir);
	assert_non_null(f = fopen(p, "w"));
	fputs("not a model at all", f);
	fclose(f);
	assert_int_equal(detect(&c, &ev, d), 1);
	assert_false(discover_is_ai(&d[0]));	/* not read yet: inferred */
	discover_confirm(&d[0], "");
	assert_int_equal(d[0].confidence, DET_INFERRED);
	assert_true(d[0].refuted);
	assert_false(discover_is_ai(&d[0]));

	/* safetensors in the Hugging Face cache: repository and revision. */
	snprintf(p, sizeof(p), "%s/hf/models--TinyLlama--TinyLlama-1.1B/"
	    "snapshots/abc123/model.safetensors", dir);
	assert_non_null(f = fopen(p, "w"));
	fwrite("\x0f\0\0\0\0\0\0\0{\"__metadata__\":{}}", 1, 26, f);
	fclose(f);
	assert_int_equal(detect(&c, &ev, d), 1);
	discover_confirm(&d[0], "");
	assert_int_equal(d[0].confidence, DET_CONFIRMED);
	assert_string_equal(d[0].name, "TinyLlama/TinyLlama-1.1B");
	assert_string_equal(d[0].version, "abc123");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	catalog_free(&c);
}

/* ---------------------------------------------------------------- redis */

static redisReply *
run(redisContext *c, struct sargv *a)
{
	redisReply *r = redisCommandArgv(c, a->n, (const char **)a->v, a->len);

	sargv_free(a);
	assert_non_null(r);
	if (r->type == REDIS_REPLY_ERROR)
		fail_msg("redis: %s", r->str);
	return r;
}

static const struct store_conf SC = { .prefix = "t:", .max_entries = 5,
	.seen_max = 1000 };

/* One open observed into t, as profiled's fold does. */
static void
fold_file(struct ftab *t, const char *path, uint32_t mode, uint64_t ts_ms,
    const char *host, uint32_t frozen_dims, uint64_t *frozen, int *overflow)
{
	struct wire_event ev;
	struct obs o;
	size_t i;

	memset(&ev, 0, sizeof(ev));
	ev.type = EV_OPEN;
	ev.ts = ts_ms * 1000000ull;
	snprintf(ev.host, sizeof(ev.host), "%s", host);
	ev.path = (char *)path;
	ev.mode = mode;
	assert_int_equal(observe(&ev, &o), 0);
	for (i = 0; i < o.entries.n; i++)
		assert_true(ftab_observe(t, &o.entries.v[i], frozen_dims,
		    SC.max_entries, frozen, overflow) >= 0);
	obs_free(&o);
}

/* A flush's EVAL, built as profiled builds it (the flight, or the
 * pending deltas taken into flight). */
static void
flush_argv(struct ftab *t, const char *const *ids, size_t nids,
    uint64_t frozen, int overflow, uint64_t first, uint64_t last,
    struct sargv *a)
{
	struct store_host h = { "h1", last };
	struct store_flush f;
	char *chunk = NULL;
	size_t len = 0, n;
	uint32_t nd;

	n = t->nflight ? ftab_inflight(t, &nd) : ftab_take(t, SIZE_MAX, &nd);
	if (n > 0)
		assert_int_equal(ftab_chunk(t, &chunk, &len), 0);
	memset(&f, 0, sizeof(f));
	f.cid = ids[0];
	f.ids = ids;
	f.nids = nids;
	f.chunk = chunk;
	f.chunk_len = len;
	f.newdims = nd;
	f.wkind = WL_PADDOCK;
	f.first_ms = first;
	f.last_ms = last;
	f.frozen = frozen;
	f.overflow = overflow;
	f.hosts = &h;
	f.nhosts = 1;
	assert_int_equal(store_apply_argv(&SC, "w1", &f, a), 0);
	free(chunk);
}

/* Run a flush and handle its reply as profiled does: the reply's code. */
static long long
flush_run(redisContext *c, struct ftab *t, struct sargv *a, uint64_t *frozen,
    uint32_t *fz)
{
	redisReply *r = run(c, a);
	long long code;

	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_int_equal(r->elements, 3);
	code = r->element[0]->integer;
	*fz = (uint32_t)r->element[2]->integer;
	freeReplyObject(r);
	if (code == -2)
		ftab_discard(t);	/* applied before: redelivery tells */
	else if (code < 0)
		*frozen += ftab_drop_novelty(t, *fz);
	else
		assert_int_equal(ftab_commit(t), 0);
	return code;
}

static long long
flush1(redisContext *c, struct ftab *t, const char *id, uint64_t first,
    uint64_t last)
{
	const char *ids[1] = { id };
	struct sargv a;
	uint64_t frozen = 0;
	uint32_t fz;

	flush_argv(t, ids, 1, 0, 0, first, last, &a);
	return flush_run(c, t, &a, &frozen, &fz);
}

/* What Redis holds for w1, loaded as a fresh instance would. */
static void
read_state(redisContext *c, struct store_meta *m, struct pset *raw,
    size_t *nchunks)
{
	struct sargv a;
	struct pset acc;
	struct ftab t;
	redisReply *r;
	char err[256] = "";
	size_t nbytes;
	int fresh;

	memset(&t, 0, sizeof(t));
	memset(raw, 0, sizeof(*raw));
	assert_int_equal(store_read_argv(&SC, "w1", UINT64_MAX, &a), 0);
	r = run(c, &a);
	assert_int_equal(store_read_parse(r, m, &t, nchunks, &nbytes, &acc,
	    &fresh, err, sizeof(err)), 0);
	assert_true(*nchunks == 0 || nbytes > 0);
	assert_string_equal(err, "");
	assert_true(fresh);
	assert_int_equal(ftab_pset(&t, raw), 0);
	pset_sort(raw);
	pset_free(&acc);
	ftab_free(&t);
	freeReplyObject(r);
}

static void
test_store_apply_is_idempotent(void **state)
{
	struct tu_redis *rd = *state;
	redisContext *c = tu_redis_connect(rd);
	const char *ids[2] = { "4-0", "5-0" };
	struct store_meta m;
	struct pset raw;
	struct ftab t;
	struct sargv a;
	uint64_t frozen = 0;
	uint32_t fz;
	size_t nchunks, i;
	int overflow = 0;
	char p[64];

	assert_non_null(c);
	memset(&t, 0, sizeof(t));
	fold_file(&t, "/etc/hosts", WM_READ, 1000, "h1", 0, &frozen, &overflow);
	assert_int_equal(flush1(c, &t, "1-0", 1000, 1000), 1);
	/* The same file written, from a second host: the mode and the hosts
	 * grow, counts add up, the first and last times hold. */
	fold_file(&t, "/etc/hosts", WM_WRITE, 2000, "h1", 0, &frozen,
	    &overflow);
	fold_file(&t, "/etc/hosts", WM_WRITE, 1500, "h2", 0, &frozen,
	    &overflow);
	assert_int_equal(flush1(c, &t, "2-0", 1500, 2000), 1);
	read_state(c, &m, &raw, &nchunks);
	assert_int_equal(nchunks, 2);
	assert_int_equal(raw.n, 1);
	assert_string_equal(raw.v[0].key, "/etc/hosts");
	assert_int_equal(raw.v[0].mode, WM_READ | WM_WRITE);
	assert_int_equal(raw.v[0].count, 3);
	assert_int_equal(raw.v[0].first, 1000);
	assert_int_equal(raw.v[0].last, 2000);
	assert_int_equal(raw.v[0].nhosts, 2);
	/* From the first event's time in µs (a forgotten workload seen again
	 * never repeats a cached rawver), one more per chunk. */
	assert_int_equal(m.rawver, 1000 * 1000 + 2);
	assert_int_equal(m.wkind, WL_PADDOCK);
	store_meta_free(&m);
	pset_free(&raw);

	/*
	 * A flush of two stream entries whose reply was lost is sent again:
	 * its ids say it was applied (-2), nothing is counted twice, and
	 * what was held is dropped (redelivery, checked against seen, tells
	 * what is new).  So is a flush of which one entry was applied
	 * elsewhere.
	 */
	for (i = 0; i < 4; i++)
		fold_file(&t, i % 2 ? "/etc/hosts" : "/etc/passwd", WM_READ,
		    500 + 1000 * (uint64_t)i, "h1", 0, &frozen, &overflow);
	flush_argv(&t, ids, 2, 0, 0, 500, 3500, &a);
	assert_int_equal(flush_run(c, &t, &a, &frozen, &fz), 1);
	flush_argv(&t, ids, 2, 0, 0, 500, 3500, &a);	/* nothing in flight */
	assert_int_equal(flush_run(c, &t, &a, &frozen, &fz), -2);
	{
		const char *mixed[2] = { "9-0", "5-0" };

		fold_file(&t, "/etc/hosts", WM_READ, 3600, "h1", 0, &frozen,
		    &overflow);
		flush_argv(&t, mixed, 2, 0, 0, 3600, 3600, &a);
		assert_int_equal(flush_run(c, &t, &a, &frozen, &fz), -2);
		assert_int_equal(t.nflight, 0);
		/* Nothing of it was applied: 9-0 is not in seen. */
		assert_int_equal(tu_redis_int(c, "ZCARD t:prof:{w1}:seen"), 4);
	}
	assert_int_equal(tu_redis_int(c, "ZCARD t:prof:{w1}:seen"), 4);
	read_state(c, &m, &raw, &nchunks);
	assert_int_equal(raw.n, 2);
	for (i = 0; i < 2; i++) {
		const struct pentry *e = &raw.v[i];

		if (strcmp(e->key, "/etc/hosts") == 0) {
			assert_int_equal(e->count, 3 + 2);
			assert_int_equal(e->first, 1000);
			assert_int_equal(e->last, 3500);
		} else {
			assert_string_equal(e->key, "/etc/passwd");
			assert_int_equal(e->count, 2);
			assert_int_equal(e->first, 500);
			assert_int_equal(e->last, 2500);
		}
	}
	assert_int_equal(m.rawver, 1000 * 1000 + 3);
	assert_int_equal(m.first_ms, 500);
	assert_int_equal(m.last_ms, 3500);
	store_meta_free(&m);
	pset_free(&raw);

	/* Compaction: the chunks become one snapshot holding the same;
	 * refused once another chunk came in after the rawver it read. */
	{
		struct sargv ca;
		redisReply *r;
		char *snap;
		size_t slen;

		assert_int_equal(ftab_snapshot(&t, &snap, &slen), 0);
		assert_int_equal(store_compact_argv(&SC, "w1", 1000 * 1000 + 2,
		    snap, slen, &ca), 0);
		r = run(c, &ca);
		assert_int_equal(r->integer, 0);	/* stale rawver */
		freeReplyObject(r);
		assert_int_equal(store_compact_argv(&SC, "w1", 1000 * 1000 + 3,
		    snap, slen, &ca), 0);
		r = run(c, &ca);
		assert_int_equal(r->integer, 1);
		freeReplyObject(r);
		free(snap);
	}
	read_state(c, &m, &raw, &nchunks);
	assert_int_equal(nchunks, 1);
	assert_int_equal(raw.n, 2);
	assert_int_equal(raw.v[0].count + raw.v[1].count, 7);
	assert_int_equal(m.rawver, 1000 * 1000 + 3);
	store_meta_free(&m);
	pset_free(&raw);

	/* max_entries (5) caps the evidence and marks the overflow. */
	for (i = 0; i < 8; i++) {
		snprintf(p, sizeof(p), "/srv/f%zu", i);
		fold_file(&t, p, WM_READ, 3000, "h1", 0, &frozen, &overflow);
	}
	assert_true(overflow);
	ids[1] = "6-0";
	flush_argv(&t, &ids[1], 1, 0, overflow, 3000, 3000, &a);
	assert_int_equal(flush_run(c, &t, &a, &frozen, &fz), 1);
	read_state(c, &m, &raw, &nchunks);
	assert_int_equal(raw.n, 5);
	assert_true(m.overflow);
	store_meta_free(&m);
	pset_free(&raw);
	ftab_free(&t);
	redisFree(c);
}

/*
 * In alert or enforce, a dimension stops absorbing new behaviour: it is a
 * violation until accepted.  Known behaviour still counts.  A flush built
 * before the dimension froze is refused whole, its novelty taken out, and
 * sent again.
 */
static void
test_store_frozen_dimensions(void **state)
{
	struct tu_redis *rd = *state;
	redisContext *c = tu_redis_connect(rd);
	const char *ids[1] = { "51-0" };
	struct store_meta m;
	struct pset raw;
	struct ftab t;
	struct sargv a;
	uint64_t frozen = 0;
	uint32_t fz = 0;
	size_t nchunks;
	int overflow = 0;

	assert_non_null(c);
	memset(&t, 0, sizeof(t));
	assert_int_equal(tu_redis_int(c, "DEL t:prof:{w1}:raw t:prof:{w1}:seen "
	    "t:prof:{w1}:meta"), 3);
	fold_file(&t, "/etc/known", WM_READ, 1000, "h1", 0, &frozen, &overflow);
	assert_int_equal(flush1(c, &t, "50-0", 1000, 1000), 1);
	assert_int_equal(tu_redis_int(c, "HSET t:state:{w1} stage:file alert"),
	    1);
	/* Folded before profiled knew: a new file and a new mode. */
	fold_file(&t, "/etc/new", WM_READ, 2000, "h1", 0, &frozen, &overflow);
	fold_file(&t, "/etc/known", WM_WRITE, 3000, "h1", 0, &frozen,
	    &overflow);
	flush_argv(&t, ids, 1, frozen, 0, 2000, 3000, &a);
	assert_int_equal(flush_run(c, &t, &a, &frozen, &fz), -1);
	assert_int_equal(fz, 1u << WD_FILE);
	assert_int_equal(frozen, 2);
	flush_argv(&t, ids, 1, frozen, 0, 2000, 3000, &a);
	assert_int_equal(flush_run(c, &t, &a, &frozen, &fz), 1);
	/* Known now: frozen from the start, the chunk never carries it. */
	fold_file(&t, "/etc/other", WM_READ, 4000, "h1", fz, &frozen,
	    &overflow);
	assert_int_equal(frozen, 3);
	read_state(c, &m, &raw, &nchunks);
	assert_int_equal(raw.n, 1);
	assert_string_equal(raw.v[0].key, "/etc/known");
	assert_int_equal(raw.v[0].mode, WM_READ);
	assert_int_equal(raw.v[0].count, 2);
	store_meta_free(&m);
	pset_free(&raw);
	assert_int_equal(tu_redis_int(c, "HINCRBY t:prof:{w1}:meta frozen 0"), 2);
	assert_int_equal(tu_redis_int(c, "DEL t:state:{w1}"), 1);
	ftab_free(&t);
	redisFree(c);
}

static void
test_store_commit_never_goes_back(void **state)
{
	struct tu_redis *rd = *state;
	redisContext *c = tu_redis_connect(rd);
	struct ready r = { .status = WS_LEARNING };
	struct risk rk = { .score = 0 };
	size_t counts[WD__MAX] = { 0 };
	struct sargv a;
	redisReply *rep;

	assert_non_null(c);
	/* A view from rawver 5, then a late one from rawver 3. */
	assert_int_equal(store_commit_argv(&SC, "w2", 5, "d5", &r, &rk, "[]",
	    "{}", counts, &a), 0);
	rep = run(c, &a);
	assert_int_equal(rep->element[0]->integer, 1);	/* rev 1 */
	assert_int_equal(rep->element[1]->integer, 1);
	freeReplyObject(rep);
	assert_int_equal(store_commit_argv(&SC, "w2", 3, "d3", &r, &rk, "[]",
	    "{}", counts, &a), 0);
	rep = run(c, &a);
	assert_int_equal(rep->element[1]->integer, 0);	/* refused */
	freeReplyObject(rep);
	/* The same view again: no new revision. */
	assert_int_equal(store_commit_argv(&SC, "w2", 5, "d5", &r, &rk, "[]",
	    "{}", counts, &a), 0);
	rep = run(c, &a);
	assert_int_equal(rep->element[0]->integer, 1);
	assert_int_equal(rep->element[1]->integer, 0);
	freeReplyObject(rep);
	/* A status change is a revision. */
	r.status = WS_STABLE;
	assert_int_equal(store_commit_argv(&SC, "w2", 5, "d5", &r, &rk, "[]",
	    "{}", counts, &a), 0);
	rep = run(c, &a);
	assert_int_equal(rep->element[0]->integer, 2);
	freeReplyObject(rep);
	redisFree(c);
}


/* ---------------------------------------------------------------- live */

static struct tu_stack S;
static pid_t second;	/* a second profiled instance */

/* The pattern a path under the test's directory generalises to. */
static const char *
wpat(const char *rel, char *buf, size_t len)
{
	char path[600];

	snprintf(path, sizeof(path), "%s%s", S.work, rel);
	assert_true(gen_path(path, buf, len) >= 0);
	return buf;
}

static json_t *
profile(const char *w)
{
	return tu_ctl_json(&S, "profile", w, NULL);
}

/* The files entry of a profile with this pattern, or NULL. */
static json_t *
pfile(json_t *p, const char *pattern)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(p, "files"), i, e)
		if (strcmp(json_string_value(json_object_get(e, "pattern")),
		    pattern) == 0)
			return e;
	return NULL;
}

static long long
pfile_count(json_t *p, const char *pattern)
{
	json_t *e = pfile(p, pattern);

	return e ? json_integer_value(json_object_get(e, "count")) : -1;
}

/* Poll the profile of w until the file pattern has count >= want. */
static json_t *
wait_file(const char *w, const char *pattern, long long want)
{
	json_t *p = NULL;
	int i;

	for (i = 0; i < 300; i++) {
		json_decref(p);
		if ((p = profile(w)) != NULL && pfile_count(p, pattern) >= want)
			return p;
		tu_sleep_ms(100);
	}
	fail_msg("%s never showed %s with count %lld (last: %lld)", w, pattern,
	    want, p ? pfile_count(p, pattern) : -2);
	return NULL;
}

static const char *
status_of(const char *w)
{
	static char st[32];
	json_t *a = tu_ctl_json(&S, "workloads", NULL), *e;
	size_t i;

	st[0] = '\0';
	json_array_foreach(a, i, e)
		if (strcmp(json_string_value(json_object_get(e, "workload")),
		    w) == 0)
			snprintf(st, sizeof(st), "%s", json_string_value(
			    json_object_get(e, "status")));
	json_decref(a);
	return st;
}

/*
 * Did a profile revision of w on the profiles stream (what policyd reads)
 * list pattern among its added entries?
 */
static int
published_pattern(const char *w, const char *pattern)
{
	char sock[400];
	struct timeval tv = { 2, 0 };
	redisContext *c;
	redisReply *r;
	size_t i, j, k;
	int found = 0;

	snprintf(sock, sizeof(sock), "%s/redis.sock", S.dir);
	c = redisConnectUnixWithTimeout(sock, tv);
	assert_true(c != NULL && !c->err);
	r = redisCommand(c, "XRANGE paddock:profiles - +");
	assert_true(r != NULL && r->type == REDIS_REPLY_ARRAY);
	for (i = 0; i < r->elements && !found; i++) {
		redisReply *f = r->element[i]->element[1];
		struct wire_profile pr;
		char err[256];

		for (j = 0; j + 1 < f->elements; j += 2) {
			if (strcmp(f->element[j]->str, "msgpack") != 0)
				continue;
			assert_int_equal(wire_decode(WK_PROFILE,
			    f->element[j + 1]->str, f->element[j + 1]->len, &pr,
			    err, sizeof(err)), 0);
			for (k = 0; k < pr.added.n; k++)
				found |= strcmp(pr.workload, w) == 0 &&
				    pr.added.v[k].dim == WD_FILE &&
				    strcmp(pr.added.v[k].key, pattern) == 0;
			wire_free(WK_PROFILE, &pr);
		}
	}
	freeReplyObject(r);
	redisFree(c);
	return found;
}

/*
 * A workload run 20 times, each run in a fresh random temp directory,
 * yields one pattern, not 20 entries.
 */
static void
test_live_tempdirs_one_pattern(void **state)
{
	char *cmd[] = { "sh", "-c", "d=$(mktemp -d); echo x > \"$d/result.txt\"; "
	    "cat \"$d/result.txt\" >/dev/null; rm -r \"$d\"", NULL };
	json_t *p, *e;
	size_t i, tmp = 0;
	int run;

	TU_NEED_ROOT();
	for (run = 0; run < 20; run++)
		assert_int_equal(tu_ctl_run(&S, "p-tmp", cmd, NULL), 0);
	p = wait_file("p-tmp", "/tmp/tmp.*/result.txt", 40);
	assert_string_equal(json_string_value(json_object_get(pfile(p,
	    "/tmp/tmp.*/result.txt"), "mode")), "rw");
	json_array_foreach(json_object_get(p, "files"), i, e) {
		const char *pat = json_string_value(json_object_get(e, "pattern"));

		if (strncmp(pat, "/tmp/", 5) == 0) {
			print_message("%s %s\n", json_string_value(
			    json_object_get(e, "mode")), pat);
			tmp++;
		}
	}
	/* The directory itself (rm reads it) and the file: nothing else. */
	assert_true(tmp <= 2);
	json_decref(p);
	assert_true(published_pattern("p-tmp", "/tmp/tmp.*/result.txt"));
}

/*
 * A steady workload reaches "stable" after the quiet period (3 s of
 * active time here); one that keeps doing new things does not.
 */
static void
test_live_stable_after_quiet_period(void **state)
{
	char *steady[] = { "sh", "-c", "i=0; while [ $i -lt 60 ]; do "
	    "cat /etc/hostname >/dev/null; sleep 0.25; i=$((i+1)); done", NULL };
	char *erratic[] = { "sh", "-c", "for a in a b c d e f g h i j; do "
	    "for b in a b c d e f; do : > /tmp/paddock-test-erratic-$a$b; "
	    "sleep 0.25; done; done", NULL };
	char b[512], sd[300];
	char *argv[] = { tu_bin("paddockctl", b, sizeof(b)), sd, "run",
	    NULL, "--", "sh", "-c", NULL, NULL };
	pid_t p1, p2;
	const char *st = "";
	int i;

	TU_NEED_ROOT();
	snprintf(sd, sizeof(sd), "--state-dir=%s", S.dir);
	argv[3] = "--workload=p-steady";
	argv[7] = steady[2];
	assert_true((p1 = tu_spawn(argv, "/dev/null")) > 0);
	argv[3] = "--workload=p-erratic";
	argv[7] = erratic[2];
	assert_true((p2 = tu_spawn(argv, "/dev/null")) > 0);
	for (i = 0; i < 120; i++) {
		st = status_of("p-steady");
		if (strcmp(st, "stable") == 0)
			break;
		tu_sleep_ms(100);
	}
	assert_string_equal(st, "stable");
	/* Meanwhile the erratic one is still learning. */
	assert_string_equal(status_of("p-erratic"), "learning");
	assert_int_equal(tu_wait(p1, 30000), 0);
	assert_int_equal(tu_wait(p2, 30000), 0);
	if (system("rm -f /tmp/paddock-test-erratic-*") != 0)
		print_message("cannot remove /tmp/paddock-test-erratic-*\n");
}

static pid_t
pid_file(const char *name)
{
	char path[400], *s;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s.pid", S.dir, name);
	if ((s = tu_slurp(path)) == NULL)
		return 0;
	pid = (pid_t)atoi(s);
	free(s);
	return pid;
}

/* Every (pattern, mode, count) of files and (path, count) of exec. */
static char *
shape(json_t *p)
{
	json_t *o = json_array(), *e;
	const char *secs[] = { "files", "exec", "edges" };
	size_t i, k;
	char *s;

	for (k = 0; k < 3; k++)
		json_array_foreach(json_object_get(p, secs[k]), i, e) {
			json_t *c = json_deep_copy(e);

			json_object_del(c, "first");
			json_object_del(c, "last");
			json_object_del(c, "sample");
			json_array_append_new(o, c);
		}
	s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	return s;
}

/*
 * Two profiled instances share the group; one is killed mid-stream and
 * restarted.  The profile is the one an uninterrupted run gives, and
 * every count is exact (nothing double counted, nothing lost).
 */
static void
test_live_restart_same_profile(void **state)
{
	char fix[400], cmd1[600], sock[400], url[420], b[512], logf[400];
	char *cmd[] = { "sh", "-c", cmd1, NULL };
	char *argv2[] = { tu_bin("paddock-profiled", b, sizeof(b)), "-d", "-c",
	    S.conf, "--redis", url, "-i", "2", NULL };
	char pat[600], *s1, *s2;
	json_t *p1, *p2;
	pid_t prof;
	int d, f;

	TU_NEED_ROOT();
	snprintf(fix, sizeof(fix), "%s/fix", S.work);
	mkdir(fix, 0755);
	for (d = 0; d < 10; d++) {
		char dir[500], file[520];
		FILE *fp;

		snprintf(dir, sizeof(dir), "%s/d%c", fix, 'a' + d);
		mkdir(dir, 0755);
		for (f = 0; f < 30; f++) {
			snprintf(file, sizeof(file), "%s/f%c%c", dir, 'a' + f / 10,
			    'a' + f % 10);
			assert_non_null(fp = fopen(file, "w"));
			fclose(fp);
		}
	}
	snprintf(cmd1, sizeof(cmd1), "cat %s/d*/f* > /dev/null", fix);
	wpat("/fix", pat, sizeof(pat) - 3);
	strcat(pat, "/**");
	snprintf(sock, sizeof(sock), "%s/redis.sock", S.dir);
	snprintf(url, sizeof(url), "unix://%s", sock);
	snprintf(logf, sizeof(logf), "%s/profiled-2.log", S.dir);
	assert_true((second = tu_spawn2(argv2, logf, logf)) > 0);
	tu_sleep_ms(500);

	/* Uninterrupted. */
	assert_int_equal(tu_ctl_run(&S, "p-ref", cmd, NULL), 0);
	/* 300 files, and the 10 directories the shell's glob read. */
	p1 = wait_file("p-ref", pat, 310);

	/* Interrupted: instance 1 stops with entries in hand, then dies. */
	assert_true((prof = pid_file("profiled")) > 0);
	assert_int_equal(kill(prof, SIGSTOP), 0);
	assert_int_equal(tu_ctl_run(&S, "p-kill", cmd, NULL), 0);
	tu_sleep_ms(300);
	assert_int_equal(kill(prof, SIGKILL), 0);
	tu_wait(prof, 5000);	/* not our child: returns at once */
	tu_sleep_ms(300);
	assert_int_equal(tu_ctl(&S, NULL, "up", NULL), 0);	/* restarts it */
	p2 = wait_file("p-kill", pat, 310);
	tu_sleep_ms(1500);	/* anything late would show now */
	json_decref(p2);
	p2 = profile("p-kill");
	assert_int_equal(pfile_count(p1, pat), 310);
	assert_int_equal(pfile_count(p2, pat), 310);
	s1 = shape(p1);
	s2 = shape(p2);
	if (strcmp(s1, s2) != 0)
		fail_msg("profiles differ:\n%s\n%s", s1, s2);
	free(s1);
	free(s2);
	json_decref(p1);
	json_decref(p2);
}

/*
 * A real Node program, run three times, gives a profile a person can
 * review in a minute, with no rule broader than its evidence.
 */
static void
test_live_node_agent_reviewable(void **state)
{
	char node[PATH_MAX], js[400], cfg[400], pat[600];
	char *cmd[] = { node, js, NULL };
	json_t *p, *e;
	const char *secs[] = { "exec", "edges", "files", "egress", "listeners" };
	size_t i, k, n = 0;
	FILE *f;
	int run;

	TU_NEED_ROOT();
	if (realpath("/usr/bin/node", node) == NULL) {
		print_message("node is not installed: skipped\n");
		skip();
	}
	snprintf(js, sizeof(js), "%s/agent.js", S.work);
	snprintf(cfg, sizeof(cfg), "%s/agent.json", S.work);
	assert_non_null(f = fopen(cfg, "w"));
	fputs("{\"model\": \"local\"}\n", f);
	fclose(f);
	assert_non_null(f = fopen(js, "w"));
	fprintf(f,
	    "const fs = require('fs'), os = require('os'), path = require('path');\n"
	    "const cp = require('child_process'), crypto = require('crypto');\n"
	    "const cfg = JSON.parse(fs.readFileSync('%s'));\n"
	    "const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-'));\n"
	    "fs.writeFileSync(path.join(dir, 'scratch.txt'), crypto.randomUUID());\n"
	    "fs.readFileSync(path.join(dir, 'scratch.txt'));\n"
	    "cp.execSync('ls ' + dir + ' > /dev/null');\n"
	    "fs.rmSync(dir, { recursive: true });\n", cfg);
	fclose(f);
	for (run = 0; run < 3; run++)
		assert_int_equal(tu_ctl_run(&S, "p-node", cmd, NULL), 0);
	p = wait_file("p-node", wpat("/agent.json", pat, sizeof(pat)), 3);
	tu_sleep_ms(1500);
	json_decref(p);
	assert_non_null(p = profile("p-node"));
	for (k = 0; k < 5; k++)
		n += json_array_size(json_object_get(p, secs[k]));
	{
		char *d = json_dumps(json_object_get(p, "files"), JSON_INDENT(1));

		print_message("p-node: %zu entries besides syscalls; files:\n%s\n",
		    n, d);
		free(d);
	}
	assert_true(n <= 40);
	json_array_foreach(json_object_get(p, "files"), i, e) {
		const char *pt = json_string_value(json_object_get(e, "pattern"));
		const char *smp = json_string_value(json_object_get(e, "sample"));
		const char *s2 = strchr(pt + 1, '/');

		/* Each rule covers the evidence it came from ... */
		if (smp != NULL && !gen_match(pt, smp))
			fail_msg("%s does not cover its own sample %s", pt, smp);
		/* ... and never /, a top-level directory or a home. */
		assert_string_not_equal(pt, "/*");
		assert_string_not_equal(pt, "/**");
		/* A pid directory collapsed by rule is not fan-out. */
		if (s2 != NULL && (strcmp(s2, "/**") == 0 || (strcmp(s2,
		    "/*") == 0 && strcmp(pt, "/proc/*") != 0)))
			fail_msg("%s covers a top-level directory", pt);
		assert_true(strncmp(pt, "/root/*", 7) != 0);
	}
	/* The three temp dirs are one pattern. */
	assert_true(pfile_count(p, "/tmp/agent-*/scratch.txt") >= 3);
	json_decref(p);
}

static int
live_setup(void **state)
{
	if (!tu_is_root())
		return 0;
	return tu_stack_up(&S, "profile", "collectd:\n  stats_interval: 1s\n"
	    "  active_interval: 1s\n  syscall_interval: 1s\n"
	    "profiled:\n  quiet_period: 3s\n") < 0 ? -1 : 0;
}

static int
live_teardown(void **state)
{
	if (second > 0) {
		kill(second, SIGTERM);
		tu_wait(second, 5000);
		second = 0;
	}
	tu_stack_down(&S);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_gen_path_table),
		cmocka_unit_test(test_gen_path_bad_input),
		cmocka_unit_test(test_gen_random_tokens),
		cmocka_unit_test(test_gen_names),
		cmocka_unit_test(test_gen_match),
		cmocka_unit_test(test_gen_collapsible_guards),
		cmocka_unit_test(test_view_fanout_collapses_deep_trees),
		cmocka_unit_test(test_view_fanout_keeps_modes_apart),
		cmocka_unit_test(test_view_file_and_dir_of_one_name),
		cmocka_unit_test(test_view_never_overgeneralises),
		cmocka_unit_test(test_view_shapes_merge_digit_siblings),
		cmocka_unit_test(test_view_shapes_catch_what_characters_miss),
		cmocka_unit_test(test_exec_names_never_collapse_on_looks),
		cmocka_unit_test(test_view_volatile_children_count_double),
		cmocka_unit_test(test_view_cidr_only_with_many_siblings),
		cmocka_unit_test(test_view_execs_never_fan_out),
		cmocka_unit_test(test_view_is_order_independent),
		cmocka_unit_test(test_observe_events),
		cmocka_unit_test(test_fold_table),
		cmocka_unit_test(test_risk_scores_and_reasons),
		cmocka_unit_test(test_readiness),
		cmocka_unit_test(test_catalog_repo_file_loads),
		cmocka_unit_test(test_catalog_bad_entries_named_rest_loads),
		cmocka_unit_test(test_discover_detectors),
		cmocka_unit_test(test_discover_confirm_from_files),
		cmocka_unit_test(test_model_formats),
		cmocka_unit_test(test_discover_mcp_by_process),
	};
	const struct CMUnitTest redis[] = {
		cmocka_unit_test(test_store_apply_is_idempotent),
		cmocka_unit_test(test_store_frozen_dimensions),
		cmocka_unit_test(test_store_commit_never_goes_back),
	};
	const struct CMUnitTest live[] = {
		cmocka_unit_test(test_live_tempdirs_one_pattern),
		cmocka_unit_test(test_live_stable_after_quiet_period),
		cmocka_unit_test(test_live_restart_same_profile),
		cmocka_unit_test(test_live_node_agent_reviewable),
	};
	int rc;

	rc = cmocka_run_group_tests_name("profile (pure)", pure, NULL, NULL);
	rc += cmocka_run_group_tests_name("profile (redis)", redis,
	    tu_redis_setup, tu_redis_teardown);
	rc += cmocka_run_group_tests_name("profile (live, root)", live,
	    live_setup, live_teardown);
	return rc;
}
