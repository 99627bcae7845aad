/*
 * paddock-collectd, in two parts.
 *
 * Pure (any user): the DNS parser against good, hostile and random
 * packets; ring-buffer records turned into events (paths rebuilt, lineage
 * from fork records, workload from the cgroup path).
 *
 * Live (root; skipped otherwise): `paddockctl up` on a private state
 * directory starts redis-server and the real daemons with the real BPF
 * programs; workloads started with `paddockctl run` do known things
 * (tests/helpers/actor.c) and `paddockctl -o json events` must show each of
 * them correctly: exec through a symlink and a relative path, opens by
 * openat(dirfd), /proc/self/fd and "..", TCP over IPv4 and IPv6, UDP,
 * listen, a DNS answer naming a later connect, a sub-millisecond process
 * with its lineage, a systemd-style unit cgroup, in-kernel dedup over
 * 10,000 repeats, and no loss across a Redis restart.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

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

#include "collectd.h"
#include "rstream.h"
#include "self.h"
#include "testutil.h"

/* ------------------------------------------------------------ DNS parser */

/* A response for name with one A record (addr) behind an optional CNAME. */
static size_t
dns_build(uint8_t *m, const char *name, int cname, const uint8_t addr[4])
{
	size_t n = 12, qoff = 12;
	const char *p = name;

	memset(m, 0, 512);
	m[2] = 0x81; m[3] = 0x80;		/* response, RD, RA, rcode 0 */
	m[5] = 1;				/* one question */
	m[7] = (uint8_t)(cname ? 2 : 1);	/* answers */
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		m[n++] = (uint8_t)l;
		memcpy(m + n, p, l);
		n += l;
		p += l + (dot != NULL);
	}
	m[n++] = 0;
	m[n++] = 0; m[n++] = 1; m[n++] = 0; m[n++] = 1;
	if (cname) {
		size_t rd;

		/* name CNAME x.<name>, then x.<name> A addr */
		m[n++] = 0xc0; m[n++] = (uint8_t)qoff;
		m[n++] = 0; m[n++] = 5; m[n++] = 0; m[n++] = 1;
		m[n++] = 0; m[n++] = 0; m[n++] = 0; m[n++] = 60;
		m[n++] = 0; m[n++] = 4;
		rd = n;
		m[n++] = 1; m[n++] = 'x';
		m[n++] = 0xc0; m[n++] = (uint8_t)qoff;
		m[n++] = 0xc0; m[n++] = (uint8_t)rd;
	} else {
		m[n++] = 0xc0; m[n++] = (uint8_t)qoff;
	}
	m[n++] = 0; m[n++] = 1; m[n++] = 0; m[n++] = 1;	/* A IN */
	m[n++] = 0; m[n++] = 0; m[n++] = 0x01; m[n++] = 0x2c;	/* 300 s */
	m[n++] = 0; m[n++] = 4;
	memcpy(m + n, addr, 4);
	return n + 4;
}

static void
test_dns_good(void **state)
{
	static const uint8_t a[4] = { 104, 18, 7, 192 };
	struct dns_answer ans;
	uint8_t m[512];
	size_t n;

	n = dns_build(m, "API.OpenAI.com", 0, a);
	assert_int_equal(dns_parse(m, n, &ans), 0);
	assert_string_equal(ans.qname, "api.openai.com");
	assert_int_equal(ans.naddr, 1);
	assert_int_equal(ans.addr[0].family, 4);
	assert_memory_equal(ans.addr[0].addr, a, 4);
	assert_int_equal(ans.ttl, 300);

	n = dns_build(m, "api.openai.com", 1, a);
	assert_int_equal(dns_parse(m, n, &ans), 0);
	assert_string_equal(ans.qname, "api.openai.com");
	assert_int_equal(ans.naddr, 1);
}

static void
test_dns_hostile(void **state)
{
	static const uint8_t a[4] = { 10, 0, 0, 1 };
	struct dns_answer ans;
	uint8_t m[512], bad[512];
	size_t n = dns_build(m, "example.com", 0, a), i;

	/* Every truncation is rejected, never read past. */
	for (i = 0; i < n; i++)
		assert_int_not_equal(dns_parse(m, i, &ans), 0);
	/* A query (QR=0) is not an answer. */
	memcpy(bad, m, n);
	bad[2] &= 0x7f;
	assert_int_equal(dns_parse(bad, n, &ans), -EINVAL);
	/* A compression pointer to itself (a loop). */
	memcpy(bad, m, n);
	bad[29] = 0xc0; bad[30] = 29;
	assert_int_equal(dns_parse(bad, n, &ans), -EINVAL);
	/* A forward pointer. */
	memcpy(bad, m, n);
	bad[29] = 0xc0; bad[30] = 0xff;
	assert_int_equal(dns_parse(bad, n, &ans), -EINVAL);
	/* A bad character in a label. */
	memcpy(bad, m, n);
	bad[13] = '/';
	assert_int_equal(dns_parse(bad, n, &ans), -EINVAL);
	/* An A record whose length is not 4. */
	memcpy(bad, m, n);
	bad[n - 5] = 5;
	assert_int_equal(dns_parse(bad, n, &ans), -EINVAL);
	/* NXDOMAIN: well formed, no address. */
	memcpy(bad, m, n);
	bad[3] = 0x83;
	assert_int_equal(dns_parse(bad, n, &ans), -ENOENT);
	/* Random garbage and random mutations never crash. */
	srandom(7);
	for (i = 0; i < 20000; i++) {
		size_t len = (size_t)random() % 512, k;

		memcpy(bad, m, n);
		for (k = 0; k < 1 + (size_t)random() % 8; k++)
			bad[(size_t)random() % n] = (uint8_t)random();
		(void)dns_parse(bad, i % 2 ? n : len, &ans);
	}
}

/* ------------------------------------------------- records -> events */

struct got {
	struct wire_event ev[16];
	char exe[16][256], path[16][256], lin[16][4][256];
	uint32_t linpid[16][4];
	int n;
};

static void
grab(void *arg, const struct wire_event *e)
{
	struct got *g = arg;
	uint32_t i;

	if (g->n >= 16)
		return;
	g->ev[g->n] = *e;
	snprintf(g->exe[g->n], 256, "%s", e->exe ? e->exe : "");
	snprintf(g->path[g->n], 256, "%s", e->path ? e->path : "");
	for (i = 0; i < e->lineage.n && i < 4; i++) {
		snprintf(g->lin[g->n][i], 256, "%s", e->lineage.v[i].exe);
		g->linpid[g->n][i] = e->lineage.v[i].pid;
	}
	g->n++;
}

static void
put_path(char *buf, uint32_t *len, const char *const *leaf_first)
{
	uint32_t o = 0;

	for (; *leaf_first != NULL; leaf_first++) {
		size_t l = strlen(*leaf_first) + 1;

		memcpy(buf + o, *leaf_first, l);
		o += (uint32_t)l;
	}
	*len = o;
}

static void
test_records_to_events(void **state)
{
	static const char *const sh[] = { "sh", "bin", "usr", NULL };
	static const char *const cat[] = { "cat", "bin", "usr", NULL };
	static const char *const file[] = { "secret", "etc", NULL };
	struct collect_conf cf = { .host = "h1", .procfs = "/nonexistent",
	    .argv_max = 512 };
	struct crec_cgroup *cg = calloc(1, sizeof(*cg));
	struct crec_exec *ex = calloc(1, sizeof(*ex));
	struct crec_fork fk = { .h = { CR_FORK, 101, 2, 7 }, .ppid = 100 };
	struct crec_open *op = calloc(1, sizeof(*op));
	struct got *g = calloc(1, sizeof(*g));
	struct collect *c = collect_new(&cf, grab, g);

	assert_non_null(c);
	/* The cgroup is named when made: a `paddockctl run` workload. */
	cg->h = (struct crec_hdr){ CR_CGROUP, 0, 1, 7 };
	snprintf(cg->path, sizeof(cg->path),
	    "/paddock.slice/paddock-agent.slice/run-9.scope");
	assert_int_equal(collect_record(c, cg, sizeof(*cg)), 0);

	/* pid 100 execs sh, forks 101, which execs cat (a short life). */
	ex->h = (struct crec_hdr){ CR_EXEC, 100, 1, 7 };
	ex->ppid = 1;
	put_path(ex->path, &ex->path_len, sh);
	memcpy(ex->argv, "sh\0-c\0cat /etc/secret\0", 22);
	ex->argv_len = 22;
	assert_int_equal(collect_record(c, ex, sizeof(*ex)), 0);
	assert_int_equal(collect_record(c, &fk, sizeof(fk)), 0);
	ex->h = (struct crec_hdr){ CR_EXEC, 101, 3, 7 };
	ex->ppid = 100;
	put_path(ex->path, &ex->path_len, cat);
	memcpy(ex->argv, "cat\0/etc/secret\0", 16);
	ex->argv_len = 16;
	assert_int_equal(collect_record(c, ex, sizeof(*ex)), 0);
	op->h = (struct crec_hdr){ CR_OPEN, 101, 4, 7 };
	op->kind = CO_OPEN;
	op->mode = WM_READ;
	put_path(op->path, &op->path_len, file);
	assert_int_equal(collect_record(c, op, sizeof(*op)), 0);

	assert_int_equal(g->n, 3);
	assert_int_equal(g->ev[0].type, EV_EXEC);
	assert_string_equal(g->ev[0].workload, "agent");
	assert_int_equal(g->ev[0].wkind, WL_PADDOCK);
	assert_string_equal(g->exe[0], "/usr/bin/sh");
	assert_string_equal(g->exe[1], "/usr/bin/cat");
	/* Lineage: the workload's first process, then the child. */
	assert_int_equal(g->ev[1].lineage.n, 2);
	assert_string_equal(g->lin[1][0], "/usr/bin/sh");
	assert_int_equal(g->linpid[1][0], 100);
	assert_string_equal(g->lin[1][1], "/usr/bin/cat");
	assert_int_equal(g->ev[2].type, EV_OPEN);
	assert_string_equal(g->path[2], "/etc/secret");
	assert_string_equal(g->exe[2], "/usr/bin/cat");
	assert_int_equal(g->ev[2].resolved, 1);

	/* Malformed records are refused and counted, never trusted. */
	assert_int_equal(collect_record(c, ex, 10), -EINVAL);
	ex->h.type = 99;
	assert_int_equal(collect_record(c, ex, sizeof(*ex)), -EINVAL);
	ex->h.type = CR_EXEC;
	ex->argv_len = 1u << 30;
	assert_int_equal(collect_record(c, ex, sizeof(*ex)), -EINVAL);
	{
		struct collect_stats st;

		collect_stats(c, &st);
		assert_int_equal(st.bad, 3);
	}
	collect_free(c);
	free(cg);
	free(ex);
	free(op);
	free(g);
}

/* ---------------------------------------------------------------- live */

static struct tu_stack L;

#define bin(name, buf, len)	tu_bin(name, buf, len)
#define ctl(out, ...)		tu_ctl(&L, out, __VA_ARGS__)

static char *
actor(char *buf, size_t len)
{
	return (char *)tu_path("build/tests/helpers/actor", buf, len);
}

/* paddockctl run --workload W -- actor ARGS... */
static int
run_actor(const char *workload, char *const args[], const char *out)
{
	char a[512];
	char *argv[24];
	int n = 0, i;

	argv[n++] = actor(a, sizeof(a));
	for (i = 0; args[i] != NULL && n < 23; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return tu_ctl_run(&L, workload, argv, out);
}

static json_t *
events(const char *workload)
{
	char w[200];

	snprintf(w, sizeof(w), "--workload=%s", workload);
	return tu_ctl_json(&L, "events", w, NULL);
}

/* The first event of workload matching all (key, value) string pairs. */
static json_t *
find(json_t *arr, const char *type, ...)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e) {
		const char *k, *v;
		va_list ap;
		int ok = strcmp(json_string_value(json_object_get(e, "type")),
		    type) == 0;

		va_start(ap, type);
		while (ok && (k = va_arg(ap, const char *)) != NULL) {
			json_t *f;

			v = va_arg(ap, const char *);
			f = json_object_get(e, k);
			if (f == NULL)
				ok = 0;
			else if (json_is_string(f))
				ok = strcmp(json_string_value(f), v) == 0;
			else if (json_is_integer(f))
				ok = json_integer_value(f) == atoll(v);
			else
				ok = 0;
		}
		va_end(ap);
		if (ok)
			return e;
	}
	return NULL;
}

/* Wait up to 15 s for an event; returns a new reference or fails. */
#define WAIT_EVENT(var, workload, type, ...) do {			\
	int _i;								\
	var = NULL;							\
	for (_i = 0; _i < 150 && var == NULL; _i++) {			\
		json_t *_a = events(workload);				\
		json_t *_e = _a ? find(_a, type, __VA_ARGS__, NULL) : NULL; \
		if (_e != NULL)						\
			var = json_incref(_e);				\
		json_decref(_a);					\
		if (var == NULL)					\
			tu_sleep_ms(100);				\
	}								\
	if (var == NULL)						\
		fail_msg("no %s event for %s with " #__VA_ARGS__, type,	\
		    workload);						\
} while (0)

static const char *live_conf =
    "collectd:\n  stats_interval: 1s\n  syscall_interval: 1s\n";

static int
live_setup(void **state)
{
	if (!tu_is_root())
		return 0;
	return tu_stack_up(&L, "collect", live_conf) < 0 ? -1 : 0;
}

static int
live_teardown(void **state)
{
	tu_stack_down(&L);
	return 0;
}

static void
test_live_exec_resolved(void **state)
{
	char cat[PATH_MAX], *a1[] = { "exec-symlink", L.work, NULL };
	char *a2[] = { "exec-relative", NULL };
	json_t *e;

	TU_NEED_ROOT();
	assert_non_null(realpath("/bin/cat", cat));
	assert_int_equal(run_actor("t-exec-link", a1, NULL), 0);
	assert_int_equal(run_actor("t-exec-rel", a2, NULL), 0);
	/* Through a symlink: the file the kernel ran, not the link. */
	WAIT_EVENT(e, "t-exec-link", "exec", "exe", cat);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(e, "argv"), 0)), "mycat");
	assert_string_equal(json_string_value(json_object_get(e,
	    "workload_kind")), "paddock");
	json_decref(e);
	/* Through a relative path. */
	WAIT_EVENT(e, "t-exec-rel", "exec", "exe", cat);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(e, "argv"), 0)), "./cat");
	json_decref(e);
}

static void
test_live_files_resolved(void **state)
{
	char *a[] = { "files", L.work, NULL }, p[400];
	json_t *e;

	TU_NEED_ROOT();
	assert_int_equal(run_actor("t-files", a, NULL), 0);
	snprintf(p, sizeof(p), "%s/read.txt", L.work);
	WAIT_EVENT(e, "t-files", "open", "path", p, "mode", "r");
	json_decref(e);
	snprintf(p, sizeof(p), "%s/write.txt", L.work);	/* openat(dirfd) */
	WAIT_EVENT(e, "t-files", "open", "path", p, "mode", "w");
	json_decref(e);
	snprintf(p, sizeof(p), "%s/fd.txt", L.work);	/* /proc/self/fd/N */
	WAIT_EVENT(e, "t-files", "open", "path", p, "mode", "w");
	json_decref(e);
	snprintf(p, sizeof(p), "%s/rel.txt", L.work);	/* relative */
	WAIT_EVENT(e, "t-files", "open", "path", p, "mode", "r");
	json_decref(e);
	snprintf(p, sizeof(p), "%s/dotdot.txt", L.work);	/* a/../ */
	WAIT_EVENT(e, "t-files", "open", "path", p, "mode", "r");
	assert_true(json_is_true(json_object_get(e, "resolved")));
	json_decref(e);
}

static int
listener(int fam, int type, int *port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int s = socket(fam, type, 0);

	memset(&ss, 0, sizeof(ss));
	if (fam == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		inet_pton(AF_INET, "127.0.0.1", &a->sin_addr);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		sl = sizeof(*a);
	}
	assert_int_equal(bind(s, (struct sockaddr *)&ss, sl), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(s, 16), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&ss, &sl), 0);
	*port = ntohs(fam == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	return s;
}

static void
test_live_network(void **state)
{
	char b4[8], b6[8], bu[8], out[400], line[64], port[8], *txt;
	char *a[] = { "net", b4, b6, bu, NULL };
	int p4, p6, pu, s4, s6, su;
	json_t *e;

	TU_NEED_ROOT();
	s4 = listener(AF_INET, SOCK_STREAM, &p4);
	s6 = listener(AF_INET6, SOCK_STREAM, &p6);
	su = listener(AF_INET, SOCK_DGRAM, &pu);
	snprintf(b4, sizeof(b4), "%d", p4);
	snprintf(b6, sizeof(b6), "%d", p6);
	snprintf(bu, sizeof(bu), "%d", pu);
	snprintf(out, sizeof(out), "%s/net.out", L.dir);
	assert_int_equal(run_actor("t-net", a, out), 0);
	assert_non_null(txt = tu_slurp(out));
	assert_int_equal(sscanf(txt, "listen %7s", port), 1);
	free(txt);
	WAIT_EVENT(e, "t-net", "connect", "addr", "127.0.0.1", "port", b4,
	    "proto", "tcp");
	json_decref(e);
	WAIT_EVENT(e, "t-net", "connect", "addr", "::1", "port", b6,
	    "proto", "tcp");
	assert_int_equal(json_integer_value(json_object_get(e, "family")), 6);
	json_decref(e);
	WAIT_EVENT(e, "t-net", "sendto", "addr", "127.0.0.1", "port", bu,
	    "proto", "udp");
	json_decref(e);
	snprintf(line, sizeof(line), "%s", port);
	WAIT_EVENT(e, "t-net", "listen", "addr", "127.0.0.1", "port", line);
	json_decref(e);
	close(s4);
	close(s6);
	close(su);
}

/* A DNS responder on 127.0.0.153:53 answering every A query with ip. */
static pid_t
dns_responder(const char *ip)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	pid_t pid;

	a.sin_port = htons(53);
	inet_pton(AF_INET, "127.0.0.153", &a.sin_addr);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(s);
		return -errno;
	}
	if ((pid = fork()) != 0) {
		close(s);
		return pid;
	}
	for (;;) {
		uint8_t m[512];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s, m, sizeof(m) - 16, 0,
		    (struct sockaddr *)&from, &fl);

		if (n < 17)
			continue;
		m[2] = 0x81; m[3] = 0x80;
		m[7] = 1;
		m[n++] = 0xc0; m[n++] = 12;
		m[n++] = 0; m[n++] = 1; m[n++] = 0; m[n++] = 1;
		m[n++] = 0; m[n++] = 0; m[n++] = 0; m[n++] = 60;
		m[n++] = 0; m[n++] = 4;
		inet_pton(AF_INET, ip, m + n);
		n += 4;
		sendto(s, m, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
}

static void
test_live_dns_names_destinations(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t sl = sizeof(a);
	char bp[8], *args[] = { "dns", "127.0.0.153", "api.paddock.test", bp,
	    NULL };
	int l = socket(AF_INET, SOCK_STREAM, 0);
	json_t *e;
	pid_t dns;

	TU_NEED_ROOT();
	inet_pton(AF_INET, "127.0.0.154", &a.sin_addr);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 4), 0);
	getsockname(l, (struct sockaddr *)&a, &sl);
	snprintf(bp, sizeof(bp), "%d", ntohs(a.sin_port));
	dns = dns_responder("127.0.0.154");
	if (dns < 0)
		fail_msg("cannot bind 127.0.0.153:53: %s", strerror((int)-dns));
	assert_int_equal(run_actor("t-dns", args, NULL), 0);
	kill(dns, SIGKILL);
	waitpid(dns, NULL, 0);
	close(l);
	WAIT_EVENT(e, "t-dns", "dns", "qname", "api.paddock.test");
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(e, "answers"), 0)), "127.0.0.154");
	json_decref(e);
	WAIT_EVENT(e, "t-dns", "connect", "addr", "127.0.0.154", "port", bp,
	    "name", "api.paddock.test");
	json_decref(e);
}

static void
test_live_short_lived_lineage(void **state)
{
	char tru[PATH_MAX], act[PATH_MAX], a[512], *args[] = { "quick", NULL };
	json_t *e, *lin;
	size_t n;

	TU_NEED_ROOT();
	assert_non_null(realpath("/bin/true", tru));
	assert_non_null(realpath(actor(a, sizeof(a)), act));
	assert_int_equal(run_actor("t-quick", args, NULL), 0);
	WAIT_EVENT(e, "t-quick", "exec", "exe", tru);
	lin = json_object_get(e, "lineage");
	n = json_array_size(lin);
	assert_int_equal(n, 2);
	/* The workload's first process (the actor), then /bin/true. */
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(lin, 0), "exe")), act);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(lin, 1), "exe")), tru);
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(lin, 1), "pid")),
	    json_integer_value(json_object_get(e, "pid")));
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(lin, 0), "pid")),
	    json_integer_value(json_object_get(e, "ppid")));
	json_decref(e);
}

static void
test_live_systemd_unit_layout(void **state)
{
	char mnt[256], slice[400], unit[500], procs[560], a[512], act[PATH_MAX];
	int made_slice = 0, st, fd;
	json_t *e;
	pid_t p;

	TU_NEED_ROOT();
	assert_int_equal(cgroup_find_mount(mnt, sizeof(mnt)), 0);
	snprintf(slice, sizeof(slice), "%s/system.slice", mnt);
	if (mkdir(slice, 0755) == 0)
		made_slice = 1;
	snprintf(unit, sizeof(unit), "%s/demo-agent.service", slice);
	assert_true(mkdir(unit, 0755) == 0 || errno == EEXIST);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", unit);
	assert_non_null(realpath(actor(a, sizeof(a)), act));
	if ((p = fork()) == 0) {
		char *argv[] = { act, "quick", NULL };

		fd = open(procs, O_WRONLY);
		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(126);
		close(fd);
		execv(act, argv);
		_exit(127);
	}
	assert_true(p > 0);
	assert_int_equal(waitpid(p, &st, 0), p);
	rmdir(unit);
	if (made_slice)
		rmdir(slice);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	WAIT_EVENT(e, "demo-agent.service", "exec", "exe", act);
	assert_string_equal(json_string_value(json_object_get(e,
	    "workload_kind")), "systemd");
	json_decref(e);
}

/*
 * A real Node program: what `paddockctl events` shows must be what it did
 * (node itself, the file it read, the file it wrote, the shell and ls it
 * spawned with their lineage back to node, the connection it made).
 */
static void
test_live_node_program(void **state)
{
	char node[PATH_MAX], ls[PATH_MAX], js[400], notes[400], b4[8];
	char b[512], sd[300];
	char *argv[] = { bin("paddockctl", b, sizeof(b)), sd, "run",
	    "--workload=t-node", "--", node, js, b4, NULL };
	json_t *e, *lin;
	FILE *f;
	int p4, s4;

	TU_NEED_ROOT();
	if (realpath("/usr/bin/node", node) == NULL) {
		print_message("node is not installed: skipped\n");
		skip();
	}
	assert_non_null(realpath("/bin/ls", ls));
	s4 = listener(AF_INET, SOCK_STREAM, &p4);
	snprintf(b4, sizeof(b4), "%d", p4);
	snprintf(js, sizeof(js), "%s/agent.js", L.work);
	snprintf(notes, sizeof(notes), "%s/notes.txt", L.work);
	assert_non_null(f = fopen(js, "w"));
	fprintf(f,
	    "const fs = require('fs'), net = require('net');\n"
	    "fs.readFileSync('/etc/hostname');\n"
	    "fs.writeFileSync('%s', 'seen');\n"
	    "require('child_process').execSync('ls %s > /dev/null');\n"
	    "const s = net.connect(+process.argv[2], '127.0.0.1', () => "
	    "s.destroy());\n", notes, L.work);
	fclose(f);
	snprintf(sd, sizeof(sd), "--state-dir=%s", L.dir);
	assert_int_equal(tu_run(argv, NULL, NULL, 120000), 0);
	close(s4);
	WAIT_EVENT(e, "t-node", "exec", "exe", node);
	json_decref(e);
	WAIT_EVENT(e, "t-node", "open", "path", "/etc/hostname", "mode", "r");
	assert_string_equal(json_string_value(json_object_get(e, "exe")), node);
	json_decref(e);
	WAIT_EVENT(e, "t-node", "open", "path", notes, "mode", "w");
	json_decref(e);
	WAIT_EVENT(e, "t-node", "exec", "exe", ls);
	lin = json_object_get(e, "lineage");
	assert_true(json_array_size(lin) >= 2);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(lin, 0), "exe")), node);
	json_decref(e);
	WAIT_EVENT(e, "t-node", "connect", "addr", "127.0.0.1", "port", b4);
	assert_string_equal(json_string_value(json_object_get(e, "exe")), node);
	json_decref(e);
}

static long long
stat_of(const char *field)
{
	char sock[300], key[200], host[128];
	redisContext *c;
	redisReply *r;
	long long v = -1;
	struct timeval tv = { 5, 0 };

	snprintf(sock, sizeof(sock), "%s/redis.sock", L.dir);
	gethostname(host, sizeof(host));
	snprintf(key, sizeof(key), "paddock:stats:collectd:%s", host);
	if ((c = redisConnectUnixWithTimeout(sock, tv)) == NULL || c->err) {
		print_message("stat_of: %s: %s\n", sock, c ? c->errstr : "?");
		if (c != NULL)
			redisFree(c);
		return -1;
	}
	if ((r = redisCommand(c, "HGET %s %s", key, field)) != NULL) {
		if (r->type == REDIS_REPLY_STRING)
			v = atoll(r->str);
		freeReplyObject(r);
	}
	redisFree(c);
	return v;
}

static size_t
count(json_t *arr, const char *type, const char *k, const char *v)
{
	size_t i, n = 0;
	json_t *e;

	json_array_foreach(arr, i, e) {
		json_t *f = json_object_get(e, k);

		if (strcmp(json_string_value(json_object_get(e, "type")),
		    type) == 0 && f != NULL && json_is_string(f) &&
		    strcmp(json_string_value(f), v) == 0)
			n++;
	}
	return n;
}

static void
test_live_dedup_10000(void **state)
{
	char tru[PATH_MAX], p[400], *args[] = { "loop", "10000", L.work, NULL };
	long long before, after;
	json_t *e, *all;
	int i;

	TU_NEED_ROOT();
	assert_non_null(realpath("/bin/true", tru));
	for (i = 0; i < 50 && (before = stat_of("kernel_deduplicated")) < 0;
	    i++)
		tu_sleep_ms(100);
	assert_true(before >= 0);
	assert_int_equal(run_actor("t-loop", args, NULL), 0);
	snprintf(p, sizeof(p), "%s/loop.txt", L.work);
	WAIT_EVENT(e, "t-loop", "sendto", "addr", "127.0.0.1", "port", "9");
	json_decref(e);
	tu_sleep_ms(1500);
	all = events("t-loop");
	assert_non_null(all);
	/* Each novel behaviour once. */
	assert_int_equal(count(all, "exec", "exe", tru), 1);
	/* loop.txt: created once (w), then read 10,000 times (r). */
	assert_int_equal(count(all, "open", "path", p), 2);
	assert_non_null(find(all, "open", "path", p, "mode", "r", NULL));
	assert_int_equal(count(all, "sendto", "addr", "127.0.0.1"), 1);
	json_decref(all);
	/* ... and the repeats counted (stats every second). */
	for (i = 0; i < 50; i++) {
		after = stat_of("kernel_deduplicated");
		if (after - before >= 3 * 9999)
			break;
		tu_sleep_ms(200);
	}
	print_message("kernel_deduplicated: %lld -> %lld\n", before, after);
	assert_true(after - before >= 3 * 9999);
}

static void
test_live_redis_restart_loses_nothing(void **state)
{
	char sock[300], p[500], *args[] = { "files", NULL, NULL }, work2[400];
	redisContext *c;
	struct timeval tv = { 2, 0 };
	json_t *e;

	TU_NEED_ROOT();
	snprintf(work2, sizeof(work2), "%s/outage", L.dir);
	mkdir(work2, 0755);
	args[1] = work2;
	snprintf(sock, sizeof(sock), "%s/redis.sock", L.dir);
	c = redisConnectUnixWithTimeout(sock, tv);
	assert_true(c != NULL && !c->err);
	freeReplyObject(redisCommand(c, "SHUTDOWN"));
	redisFree(c);
	tu_sleep_ms(500);
	/* Behaviour while Redis is away waits in the collector's queue. */
	assert_int_equal(run_actor("t-outage", args, NULL), 0);
	tu_sleep_ms(2000);
	/* `up` again restarts only what is not running: Redis. */
	assert_int_equal(ctl(NULL, "up", NULL, NULL, NULL, NULL), 0);
	snprintf(p, sizeof(p), "%s/read.txt", work2);
	WAIT_EVENT(e, "t-outage", "open", "path", p, "mode", "r");
	json_decref(e);
	snprintf(p, sizeof(p), "%s/write.txt", work2);
	WAIT_EVENT(e, "t-outage", "open", "path", p, "mode", "w");
	json_decref(e);
	snprintf(p, sizeof(p), "%s/dotdot.txt", work2);
	WAIT_EVENT(e, "t-outage", "open", "path", p, "mode", "r");
	json_decref(e);
	assert_int_equal(stat_of("queue_overflow"), 0);
}

/*
 * Flooding (bypass class "buffer exhaustion"): with the smallest ring
 * buffer, a burst of novel opens overflows it.  What is lost must show up
 * as a loss event of that workload and in the counters, never silently.
 */
static void
test_live_flood_loss_is_counted(void **state)
{
	char b[512], *argv[] = { bin("paddockctl", b, sizeof(b)), NULL, "run",
	    "--workload=t-flood", "--", "sh", "-c",
	    "find /usr/share /usr/lib -type f 2>/dev/null | head -30000 | "
	    "xargs cat >/dev/null 2>&1; true", NULL };
	char sd[300];
	json_t *e;
	int i;

	TU_NEED_ROOT();
	snprintf(sd, sizeof(sd), "--state-dir=%s", L.dir);
	argv[1] = sd;
	assert_int_equal(tu_run(argv, NULL, NULL, 120000), 0);
	/* Losses are read from the kernel every second. */
	for (i = 0; i < 50 && stat_of("ringbuf_full") <= 0; i++)
		tu_sleep_ms(100);
	assert_true(stat_of("ringbuf_full") > 0);
	WAIT_EVENT(e, "t-flood", "loss", "workload", "t-flood");
	assert_true(json_integer_value(json_object_get(e, "lost")) > 0);
	json_decref(e);
}

static int
flood_setup(void **state)
{
	live_conf = "collectd:\n  ringbuf_kb: 64\n  stats_interval: 1s\n"
	    "  syscall_interval: 1s\n";
	return live_setup(state);
}

/* ---------------------------------------------------------------- spill */

struct sent {
	char		 what[64][32];
	uint64_t	 off[64];
	size_t		 n, room;
};

static int
sent_one(void *arg, const char *stream, const struct rs_field *f, size_t n,
    uint64_t off)
{
	struct sent *s = arg;

	if (s->n == s->room)
		return -ENOBUFS;
	assert_string_equal(stream, "t:events");
	assert_int_equal(n, 2);
	assert_string_equal(f[0].name, "kind");
	assert_string_equal(f[1].name, "what");
	snprintf(s->what[s->n], sizeof(s->what[0]), "%.*s", (int)f[1].len,
	    (const char *)f[1].val);
	s->off[s->n++] = off;
	return 0;
}

static off_t
fsize(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void
append(struct spill *sp, const char *what)
{
	struct rs_field f[2];

	f[0] = (struct rs_field){ "kind", "events", 6 };
	f[1] = (struct rs_field){ "what", what, strlen(what) };
	assert_int_equal(spill_append(sp, "t:events", f, 2), 0);
}

/*
 * The spill file: entries come back in order, as the queue has room;
 * confirmations in any order advance what is done only over the
 * confirmed prefix; entries taken back from the queue are sent again; a
 * collector stopped mid-replay goes on from what was confirmed; a torn
 * tail is cut off; the file is emptied once all of it is in Redis; the
 * bound is checked before a pass.
 */
static void
test_spill_file(void **state)
{
	char dir[] = "/tmp/paddock-test-spill.XXXXXX", path[300], err[256];
	char what[32];
	struct spill *sp;
	struct sent s;
	uint64_t off[10];
	size_t i;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/collectd.spill", dir);
	assert_non_null(sp = spill_open(dir, 1 << 20, err, sizeof(err)));
	for (i = 0; i < 10; i++) {
		snprintf(what, sizeof(what), "batch %zu", i);
		append(sp, what);
	}
	assert_int_equal(spill_sync(sp), 0);
	assert_true(spill_waiting(sp) > 0);
	/* Room for 4, then 4 more: in order. */
	memset(&s, 0, sizeof(s));
	s.room = 4;
	assert_int_equal(spill_replay(sp, sent_one, &s, 100), 4);
	s.room = 8;
	assert_int_equal(spill_replay(sp, sent_one, &s, 100), 4);
	for (i = 0; i < 8; i++) {
		snprintf(what, sizeof(what), "batch %zu", i);
		assert_string_equal(s.what[i], what);
		off[i] = s.off[i];
	}
	/* Confirmed out of order: done moves over the confirmed prefix. */
	assert_int_equal(spill_confirm(sp, off[0]), 0);
	assert_int_equal(spill_confirm(sp, off[2]), 0);
	assert_int_equal(spill_waiting(sp), fsize(path) - off[1]);
	assert_int_equal(spill_confirm(sp, off[1]), 0);
	assert_int_equal(spill_waiting(sp), fsize(path) - off[3]);
	/* A new outage takes 5.. back from the queue: sent again. */
	spill_unsend(sp, off[5]);
	assert_int_equal(spill_confirm(sp, off[3]), 0);
	assert_int_equal(spill_confirm(sp, off[4]), 0);
	memset(&s, 0, sizeof(s));
	s.room = 64;
	assert_int_equal(spill_replay(sp, sent_one, &s, 100), 5);
	assert_string_equal(s.what[0], "batch 5");
	/* Stopped: the next collector goes on after batch 4. */
	spill_close(sp);
	assert_non_null(sp = spill_open(dir, 1 << 20, err, sizeof(err)));
	memset(&s, 0, sizeof(s));
	s.room = 64;
	assert_int_equal(spill_replay(sp, sent_one, &s, 100), 5);
	assert_string_equal(s.what[0], "batch 5");
	/* All confirmed: the file is emptied. */
	for (i = 0; i < 5; i++)
		assert_int_equal(spill_confirm(sp, s.off[i]), 0);
	assert_int_equal(spill_waiting(sp), 0);
	assert_int_equal(fsize(path), 0);
	/* A torn tail (a crash mid-append) is cut off, what precedes it
	 * still goes out. */
	append(sp, "whole");
	assert_int_equal(spill_sync(sp), 0);
	spill_close(sp);
	assert_true((fd = open(path, O_WRONLY | O_APPEND)) >= 0);
	assert_int_equal(write(fd, "\x40\x00\x00\x00\x93", 5), 5);
	close(fd);
	assert_non_null(sp = spill_open(dir, 1 << 20, err, sizeof(err)));
	memset(&s, 0, sizeof(s));
	s.room = 64;
	assert_int_equal(spill_replay(sp, sent_one, &s, 100), 1);
	assert_string_equal(s.what[0], "whole");
	assert_int_equal(spill_replay(sp, sent_one, &s, 100), 0);
	assert_int_equal(spill_confirm(sp, s.off[0]), 0);
	assert_int_equal(fsize(path), 0);
	spill_close(sp);
	/* The bound: no room once it is reached. */
	assert_non_null(sp = spill_open(dir, 100, err, sizeof(err)));
	assert_true(spill_room(sp));
	append(sp, "a long enough batch summary to pass one hundred bytes "
	    "with its fields and framing");
	assert_false(spill_room(sp));
	spill_close(sp);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}


/* A redisReply string element, as hiredis would make it. */
static redisReply *
rstr(const char *s)
{
	redisReply *r = calloc(1, sizeof(*r));

	r->type = REDIS_REPLY_STRING;
	r->str = strdup(s);
	r->len = strlen(s);
	return r;
}

/*
 * Paddock's own processes (quiet.c, libcommon/self.c): an entry counts
 * only when its pid runs with the start time it was registered with; this
 * collector is never listed twice; junk is ignored, not trusted.
 */
static void
test_quiet_entries(void **state)
{
	redisReply r = { .type = REDIS_REPLY_ARRAY }, *el[12];
	char me[64], parent[64], stale[64], names[256], list[64];
	uint32_t pids[CQUIET_MAX], pid;
	uint64_t start;
	size_t i;
	int n;

	(void)state;
	assert_int_equal(self_entry(me, sizeof(me)), 0);
	assert_int_equal(self_check("/proc", me, strlen(me), &pid), 0);
	assert_int_equal(pid, (uint32_t)getpid());
	assert_int_equal(self_start("/proc", getppid(), &start), 0);
	snprintf(parent, sizeof(parent), "%d %llu", (int)getppid(),
	    (unsigned long long)start);
	/* The parent's pid with another start time: a pid used again. */
	snprintf(stale, sizeof(stale), "%d %llu", (int)getppid(),
	    (unsigned long long)start + 1);
	assert_int_equal(self_check("/proc", stale, strlen(stale), &pid),
	    -ESRCH);
	assert_int_equal(self_check("/proc", "12 x", 4, &pid), -EINVAL);
	assert_int_equal(self_check("/proc", "0 5", 3, &pid), -EINVAL);
	assert_int_equal(self_check("/proc", "", 0, &pid), -EINVAL);

	el[0] = rstr("collectd/0");	el[1] = rstr(me);	/* self */
	el[2] = rstr("profiled/0");	el[3] = rstr(parent);
	el[4] = rstr("policyd/0");	el[5] = rstr(stale);
	el[6] = rstr("enforced/0");	el[7] = rstr("4194304 1 2");
	el[8] = rstr("quiet");		el[9] = rstr("1 2 3");
	el[10] = rstr("odd");		/* a field without a value */
	r.element = el;
	r.elements = 11;
	n = quiet_parse(&r, "/proc", (uint32_t)getpid(), pids, CQUIET_MAX,
	    names, sizeof(names));
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], (uint32_t)getppid());
	snprintf(list, sizeof(list), "profiled/0 %d", (int)getppid());
	assert_string_equal(names, list);
	assert_int_equal(quiet_list(7, pids, n, list, sizeof(list)), 0);
	snprintf(me, sizeof(me), "7 %d", (int)getppid());
	assert_string_equal(list, me);
	assert_int_equal(quiet_list(7, pids, n, list, 3), -ENOSPC);
	{
		size_t len;
		const char *q = quiet_field(&r, &len);

		assert_non_null(q);
		assert_int_equal(len, 5);
		assert_memory_equal(q, "1 2 3", 5);
	}
	r.type = REDIS_REPLY_NIL;
	assert_int_equal(quiet_parse(&r, "/proc", 1, pids, CQUIET_MAX, names,
	    sizeof(names)), -EPROTO);
	for (i = 0; i < 11; i++) {
		free(el[i]->str);
		free(el[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_dns_good),
		cmocka_unit_test(test_dns_hostile),
		cmocka_unit_test(test_records_to_events),
		cmocka_unit_test(test_spill_file),
		cmocka_unit_test(test_quiet_entries),
	};
	const struct CMUnitTest live[] = {
		cmocka_unit_test(test_live_exec_resolved),
		cmocka_unit_test(test_live_files_resolved),
		cmocka_unit_test(test_live_network),
		cmocka_unit_test(test_live_dns_names_destinations),
		cmocka_unit_test(test_live_short_lived_lineage),
		cmocka_unit_test(test_live_systemd_unit_layout),
		cmocka_unit_test(test_live_node_program),
		cmocka_unit_test(test_live_dedup_10000),
		cmocka_unit_test(test_live_redis_restart_loses_nothing),
	};
	const struct CMUnitTest flood[] = {
		cmocka_unit_test(test_live_flood_loss_is_counted),
	};
	int rc;

	rc = cmocka_run_group_tests_name("collect (pure)", pure, NULL, NULL);
	rc += cmocka_run_group_tests_name("collect (live, root)", live,
	    live_setup, live_teardown);
	rc += cmocka_run_group_tests_name("collect (live, tiny ring buffer)",
	    flood, flood_setup, live_teardown);
	return rc;
}
