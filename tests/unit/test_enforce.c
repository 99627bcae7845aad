/*
 * test_enforce: the enforcer's pure parts, which the kernel mirrors.
 * rules_glob() is the specification of glob_step() in
 * bpf/enforce_core.h (the integration test enforce_proc.sh runs the same
 * kinds of paths through the kernel); rules_path_hash() must be the
 * kernel's FNV-1a; rules_paths() splits a policy into exact keys (modes
 * merged) and ordered patterns; rules_keys() gives listeners their own
 * keys; guard.c's parsers of /proc, on real lines.
 */
#include <sys/socket.h>
#include <sys/un.h>

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

#include "enforced.h"

static void
test_glob(void **state)
{
	static const struct { const char *pat, *path; int ok; } c[] = {
		{ "/etc/hosts", "/etc/hosts", 1 },
		{ "/etc/hosts", "/etc/hostsx", 0 },
		{ "/etc/hosts", "/etc/host", 0 },
		{ "/tmp/*", "/tmp/abc", 1 },
		{ "/tmp/*", "/tmp/a/b", 0 },		/* "*" stays in its component */
		{ "/tmp/*", "/tmp", 0 },
		{ "/tmp/tmp*", "/tmp/tmpx1y2", 1 },
		{ "/tmp/tmp*", "/tmp/tmp", 1 },		/* "*" may be empty */
		{ "/tmp/tmp*", "/tmp/xtmp", 0 },
		{ "/proc/*/status", "/proc/1234/status", 1 },
		{ "/proc/*/status", "/proc/1234/task/5/status", 0 },
		{ "/run/session-*/out.log", "/run/session-7/out.log", 1 },
		{ "/var/log/*.log", "/var/log/app-2026-11-29.log", 1 },
		{ "/var/log/*.log", "/var/log/app.log.1", 0 },
		{ "/a*/b", "/ax/c/ax/b", 0 },		/* no backtracking across "/" */
		{ "/a*b*c", "/aXbYbZc", 1 },
		{ "/data/**", "/data/x", 1 },
		{ "/data/**", "/data/x/y/z", 1 },
		{ "/data/**", "/data", 0 },		/* one or more below */
		{ "/data/**", "/database/x", 0 },
		{ "/home/u/.cache/*/**", "/home/u/.cache/pip/x/y", 1 },
		{ "/home/u/.cache/*/**", "/home/u/.cache/pip", 0 },
		{ "/x/**/y", "/x/a/y", 1 },		/* "**" not final: two "*" */
		{ "/x/**/y", "/x/a/b/y", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (rules_glob(c[i].pat, c[i].path) != c[i].ok)
			fail_msg("%s vs %s: want %d", c[i].pat, c[i].path,
			    c[i].ok);
	}
}

static void
test_path_hash(void **state)
{
	(void)state;
	/* FNV-1a 64 reference values. */
	assert_true(rules_path_hash("") == 0xcbf29ce484222325ULL);
	assert_true(rules_path_hash("a") == 0xaf63dc4c8601ec8cULL);
	assert_true(rules_path_hash("/usr/bin/id") !=
	    rules_path_hash("/usr/bin/ie"));
	/* DNS names: case and a final dot do not matter. */
	assert_true(rules_dns_hash("API.Paddock.test.") ==
	    rules_path_hash("api.paddock.test"));
	/* The cgroup name hash is the same function. */
	assert_true(rules_path_hash("paddock-x.slice") ==
	    rules_name_hash("paddock-x.slice"));
}

/* FNV-1a 64 from ENAME_PRE_BASIS: what the mkdir hook computes. */
static uint64_t
pre_hash(const char *s)
{
	uint64_t h = ENAME_PRE_BASIS;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* Which directory names bring a workload's new cgroup in, in the kernel. */
static void
test_name_keys(void **state)
{
	uint64_t k[8];

	(void)state;
	assert_int_equal(rules_name_keys("x", WL_PADDOCK, k, 8), 1);
	assert_true(k[0] == rules_name_hash("paddock-x.slice"));
	assert_int_equal(rules_name_keys("nginx.service", WL_SYSTEMD, k, 8), 1);
	assert_true(k[0] == rules_name_hash("nginx.service"));
	/* A container, by its scope's prefix for the runtime that made it:
	 * each a length the hook looks at, none a full name's hash. */
	assert_int_equal(rules_name_keys("docker:0123456789ab", WL_CONTAINER,
	    k, 8), 1);
	assert_true(k[0] == pre_hash("docker-0123456789ab"));
	assert_true(ENAME_PRE_LEN(strlen("docker-0123456789ab")));
	assert_true(k[0] != rules_name_hash("docker-0123456789ab"));
	assert_int_equal(rules_name_keys("containerd:0123456789ab",
	    WL_CONTAINER, k, 8), 3);
	assert_true(k[0] == pre_hash("cri-containerd-0123456789ab"));
	assert_true(ENAME_PRE_LEN(strlen("cri-containerd-0123456789ab")));
	assert_true(ENAME_PRE_LEN(strlen("containerd-0123456789ab")));
	assert_true(ENAME_PRE_LEN(strlen("nerdctl-0123456789ab")));
	assert_int_equal(rules_name_keys("crio:0123456789ab", WL_CONTAINER,
	    k, 8), 1);
	assert_true(ENAME_PRE_LEN(strlen("crio-0123456789ab")));
	assert_int_equal(rules_name_keys("podman:0123456789ab", WL_CONTAINER,
	    k, 8), 1);
	assert_true(k[0] == pre_hash("libpod-0123456789ab"));
	assert_int_equal(rules_name_keys("container:0123456789ab",
	    WL_CONTAINER, k, 8), 1);
	assert_true(k[0] == pre_hash("0123456789ab"));
	/* Not a container name: nothing by prefix. */
	assert_int_equal(rules_name_keys("docker:xyz", WL_CONTAINER, k, 8), 0);
	assert_int_equal(rules_name_keys("k8s:pod/0123456789ab", WL_POD, k,
	    8), 0);
}

static struct wire_rule *
rule(struct wire_rule *r, uint8_t dim, const char *pat, uint32_t mode)
{
	memset(r, 0, sizeof(*r));
	r->dim = dim;
	r->pattern = (char *)pat;
	r->mode = mode;
	return r;
}

static void
test_paths(void **state)
{
	struct wire_rule v[8];
	struct wire_policy p;
	struct pathset ps;
	char long_pat[300];

	(void)state;
	memset(&p, 0, sizeof(p));
	memset(long_pat, 'a', sizeof(long_pat));
	long_pat[0] = '/';
	long_pat[1] = '*';
	long_pat[sizeof(long_pat) - 1] = '\0';
	rule(&v[0], WD_EXEC, "/usr/bin/id", 0);
	rule(&v[1], WD_FILE, "/etc/hosts", WM_READ);
	rule(&v[2], WD_FILE, "/etc/hosts", WM_WRITE);	/* merged */
	rule(&v[3], WD_FILE, "/tmp/tmp*", WM_READ | WM_WRITE);
	rule(&v[4], WD_EXEC, "/opt/venv-*/bin/python3", 0);
	rule(&v[5], WD_FILE, "/data/**", WM_READ);
	rule(&v[6], WD_NET, "10.0.0.0/8", 0);		/* not a path */
	rule(&v[7], WD_FILE, long_pat, WM_READ);	/* too long */
	p.rules.v = v;
	p.rules.n = 8;
	assert_int_equal(rules_paths(&p, 7, &ps), 0);
	assert_int_equal(ps.nexact, 2);
	assert_int_equal(ps.exact[0].key.dim, EDIM_EXEC);
	assert_true(ps.exact[0].key.hash == rules_path_hash("/usr/bin/id"));
	assert_int_equal(ps.exact[0].modes, EM_EXEC);
	assert_int_equal(ps.exact[1].modes, EM_READ | EM_WRITE);
	assert_int_equal(ps.npat, 3);
	assert_int_equal(ps.npat_dim[EDIM_EXEC], 1);
	assert_int_equal(ps.npat_dim[EDIM_FILE], 2);
	/* Indexes count per dimension, in policy order. */
	assert_int_equal(ps.pat[0].key.dim, EDIM_FILE);
	assert_int_equal(ps.pat[0].key.idx, 0);
	assert_string_equal(ps.pat[0].v.s, "/tmp/tmp*");
	assert_int_equal(ps.pat[1].key.dim, EDIM_EXEC);
	assert_int_equal(ps.pat[1].key.idx, 0);
	assert_int_equal(ps.pat[1].v.modes, EM_EXEC);
	assert_int_equal(ps.pat[2].key.idx, 1);
	assert_int_equal(ps.pat[2].v.len, strlen("/data/**"));
	assert_int_equal(ps.skipped, 1);
	pathset_free(&ps);
}

static void
test_listener_keys(void **state)
{
	struct wire_rule v[2];
	struct wire_policy p;
	struct keyset ks;

	(void)state;
	memset(&p, 0, sizeof(p));
	rule(&v[0], WD_NET, "127.0.0.1", 0);
	v[0].port = 443;
	v[0].proto = WP_TCP;
	rule(&v[1], WD_LISTEN, "0.0.0.0", 0);
	v[1].port = 8080;
	v[1].proto = WP_TCP;
	p.rules.v = v;
	p.rules.n = 2;
	assert_int_equal(rules_keys(&p, 9, NULL, &ks), 0);
	assert_int_equal(ks.n, 2);
	assert_int_equal(ks.v[0].proto, WP_TCP);
	assert_int_equal(ks.v[0].port, 443);
	assert_int_equal(ks.v[1].proto, WP_TCP | EPROTO_LISTEN);
	assert_int_equal(ks.v[1].port, 8080);
	assert_int_equal(ks.v[1].prefixlen, 64 + 128);
	keyset_free(&ks);
}

/* What self-protection finds in /proc: its parsers, on real lines. */
static void
test_guard_parsers(void **state)
{
	static const char mounts[] = "sysfs /sys sysfs rw 0 0\n"
	    "bpf /sys/fs/bpf bpf rw,mode=700 0 0\n"
	    "none /run/other bpf rw 0 0\n";
	char mnts[EBPFFS_N][EBPFFS_LEN];
	FILE *f;

	(void)state;
	/* /proc/PID/stat: the pgid is the 5th field, after a comm that may
	 * hold spaces and parentheses. */
	assert_int_equal(guard_stat_pgid("4242 (paddock-enforce) S 1 4242 "
	    "4242 0 -1 4194560"), 4242);
	assert_int_equal(guard_stat_pgid("77 (a) b (c)) R 5 9 9 0"), 9);
	assert_int_equal(guard_stat_pgid("garbage"), 0);
	/* /proc/net/unix: listening (flags 00010000) at exactly that path. */
	assert_int_equal(guard_unix_listener("0000000000000000: 00000002 "
	    "00000000 00010000 0001 01 81234 /tmp/x/redis.sock\n",
	    "/tmp/x/redis.sock"), 81234);
	assert_int_equal(guard_unix_listener("0000000000000000: 00000002 "
	    "00000000 00010000 0001 01 81234 /tmp/x/redis.sock.old\n",
	    "/tmp/x/redis.sock"), 0);
	assert_int_equal(guard_unix_listener("0000000000000000: 00000003 "
	    "00000000 00000000 0001 03 81235 /tmp/x/redis.sock\n",
	    "/tmp/x/redis.sock"), 0);	/* a connected one */
	assert_int_equal(guard_unix_listener("Num       RefCount Protocol "
	    "Flags    Type St Inode Path\n", "/tmp/x/redis.sock"), 0);
	/* /proc/net/tcp and tcp6: LISTEN (0A) on the port (hex). */
	assert_int_equal(guard_tcp_listener("   0: 0100007F:18EB 00000000:0000 "
	    "0A 00000000:00000000 00:00000000 00000000     0        0 5150 1 "
	    "0000000000000000 100 0 0 10 0\n", 6379), 5150);
	assert_int_equal(guard_tcp_listener("   1: 0100007F:18EB 0100007F:9C40 "
	    "01 00000000:00000000 00:00000000 00000000     0        0 5151 1 "
	    "0000000000000000 20 4 30 10 -1\n", 6379), 0);	/* established */
	assert_int_equal(guard_tcp_listener("   0: 00000000000000000000000001"
	    "000000:18EB 00000000000000000000000000000000:0000 0A 00000000:"
	    "00000000 00:00000000 00000000     0        0 5152 1 "
	    "0000000000000000 100 0 0 10 0\n", 6379), 5152);
	assert_int_equal(guard_tcp_listener("  sl  local_address rem_address   "
	    "st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n",
	    6379), 0);
	/* The daemons' binaries, from enforced's directory only; one
	 * replaced on disk (an upgrade) still counts. */
	assert_true(guard_daemon_exe("/usr/sbin/paddock-policyd", "/usr/sbin"));
	assert_true(guard_daemon_exe("/usr/sbin/paddock-enforced (deleted)",
	    "/usr/sbin"));
	assert_false(guard_daemon_exe("/tmp/paddock-policyd", "/usr/sbin"));
	assert_false(guard_daemon_exe("/usr/sbin/paddock-evil", "/usr/sbin"));
	assert_false(guard_daemon_exe("/usr/sbin/paddock-policydx",
	    "/usr/sbin"));
	assert_false(guard_daemon_exe("/usr/sbinx/paddock-policyd",
	    "/usr/sbin"));
	/* /proc/mounts: every bpf mount, nothing else. */
	assert_non_null(f = fmemopen((char *)mounts, strlen(mounts), "r"));
	assert_int_equal(guard_bpffs_mounts(f, mnts, EBPFFS_N), 2);
	fclose(f);
	assert_string_equal(mnts[0], "/sys/fs/bpf");
	assert_string_equal(mnts[1], "/run/other");
}

/* Against this very process: its ids, and a socket it holds. */
static void
test_guard_proc(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct eprot_id ids[64];
	struct rstream_url u;
	unsigned long ino;
	int n, i, fd, self = 0, group = 0;

	(void)state;
	n = guard_ids("/proc", "/nonexistent", getpid(), ids, 64);
	assert_true(n >= 2);
	for (i = 0; i < n; i++) {
		if (ids[i].id == (uint32_t)getpid() &&
		    (ids[i].flags & EPROT_PROC))
			self = 1;
		if (ids[i].id == (uint32_t)getpgrp() &&
		    (ids[i].flags & EPROT_GROUP))
			group = 1;
	}
	assert_true(self && group);
	assert_int_equal(guard_socket_owner("/proc", 0, getpid()), 0);

	/* A unix socket listening like Redis's: found, and its holder. */
	memset(&u, 0, sizeof(u));
	u.is_unix = 1;
	snprintf(u.path, sizeof(u.path), "/tmp/paddock-test-guard-%d.sock",
	    (int)getpid());
	memcpy(sa.sun_path, u.path, strlen(u.path) + 1);
	unlink(u.path);
	assert_true((fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(guard_redis_inode("/proc", &u), 0);	/* not yet */
	assert_int_equal(listen(fd, 1), 0);
	ino = guard_redis_inode("/proc", &u);
	assert_true(ino != 0);
	assert_int_equal(guard_socket_owner("/proc", ino, 0), getpid());
	assert_int_equal(guard_socket_owner("/proc", ino, 1), getpid());
	close(fd);
	unlink(u.path);
	/* A remote Redis is not this host's. */
	u.is_unix = 0;
	snprintf(u.host, sizeof(u.host), "redis.example.net");
	u.port = 6379;
	assert_int_equal(guard_redis_inode("/proc", &u), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_path_hash),
		cmocka_unit_test(test_name_keys),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_listener_keys),
		cmocka_unit_test(test_guard_parsers),
		cmocka_unit_test(test_guard_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
