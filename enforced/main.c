/*
 * paddock-enforced: the enforcer.  Applies each workload's policy in the
 * kernel and reports what falls outside it.
 *
 * Reads the policies stream in the consumer group enforced:<host> (one
 * group per host: every host applies every policy).  For each revision:
 * the workload's identifying cgroup names and its current top cgroups go
 * into the kernel's maps, the network programs are attached to their
 * parent cgroups (once; links pinned), the net rules become allow-list
 * keys (addresses and CIDRs exact; DNS names resolved here at apply time),
 * the per-dimension modes are set, and an acknowledgement goes to
 * policy-acks with the backend of each dimension.  Violations come from
 * the kernel's ring buffer and go to the violations stream with the
 * process lineage, rate-limited per workload (enforced.rate_per_sec; the
 * rest are counted as suppressed in the next record).
 *
 * This version enforces the network dimension (cgroup connect/sendmsg
 * programs: EPERM before any packet leaves in block mode).  Exec, file and
 * syscall enforcement are not implemented yet: their backends are reported
 * as "none" in every acknowledgement, so `paddockctl status` never claims
 * more than the kernel does.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "cgroup.h"
#include "daemon.h"
#include "log.h"
#include "enforced.h"

#define RATE_SLOTS	256

struct rate {
	uint32_t	 wid;
	uint64_t	 sec;
	uint32_t	 sent;
	uint64_t	 suppressed;
};

struct enforcer {
	struct daemon	*d;
	struct ekern	*k;
	uv_poll_t	 poll;
	int		 polling;
	char		 mnt[256];
	char		 k_pol[160], k_ack[160], k_viol[160];
	struct rate	 rate[RATE_SLOTS];
	uint64_t	 boot_offset_ns;
	uint64_t	 applied, violations, suppressed;
	daemon_done_fn	*done;
};

/* ---------------------------------------------------------------- cgroups */

struct scan {
	const char	*workload;
	char		 top[16][512];	/* topmost cgroups of the workload */
	int		 n;
};

static void
scan_dir(struct enforcer *e, struct scan *s, const char *rel, int depth,
    int parent_match)
{
	char path[1024], sub[1024];
	struct cgroup_ident id;
	struct dirent *ent;
	DIR *d;
	int match;

	cgroup_identity(rel, &id);
	match = rel[0] != '\0' && strcmp(id.name, s->workload) == 0;
	if (match && !parent_match && s->n < 16)
		snprintf(s->top[s->n++], sizeof(s->top[0]), "%s", rel);
	if (depth >= 6)
		return;
	snprintf(path, sizeof(path), "%s/%s", e->mnt, rel);
	if ((d = opendir(path)) == NULL)
		return;
	while ((ent = readdir(d)) != NULL) {
		if (ent->d_type != DT_DIR || ent->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "",
		    ent->d_name);
		scan_dir(e, s, sub, depth + 1, match);
	}
	closedir(d);
}

/* Register w's cgroups and attach below their parents. */
static int
place(struct enforcer *e, const char *workload, uint8_t wkind,
    const struct ewl *w, char *err, size_t errlen)
{
	struct scan s = { .workload = workload };
	char names[2][160], path[1100], parent[1100], *slash;
	uint64_t id;
	int i, n, rc = 0;

	n = rules_names(workload, wkind, names, 2);
	for (i = 0; i < n; i++)
		ekern_set_name(e->k, names[i], w);
	/* paddockctl run's workloads live below paddock.slice: attach there
	 * even before the first run, so the first run is enforced too. */
	if (wkind == WL_PADDOCK) {
		snprintf(path, sizeof(path), "%s/%s", e->mnt,
		    CGROUP_PADDOCK_SLICE);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		if ((rc = ekern_attach(e->k, path, err, errlen)) < 0)
			return rc;
	}
	scan_dir(e, &s, "", 0, 0);
	for (i = 0; i < s.n; i++) {
		snprintf(path, sizeof(path), "%s/%s", e->mnt, s.top[i]);
		if (cgroup_id_of(path, &id) == 0)
			ekern_set_cgroup(e->k, id, w);
		snprintf(parent, sizeof(parent), "%s", path);
		if ((slash = strrchr(parent, '/')) != NULL)
			*slash = '\0';
		if (strlen(parent) <= strlen(e->mnt)) {
			/* A workload at the root's first level: its own dir. */
			snprintf(parent, sizeof(parent), "%s", path);
		}
		if ((rc = ekern_attach(e->k, parent, err, errlen)) < 0)
			return rc;
	}
	return 0;
}

/* ---------------------------------------------------------------- policies */

static int
resolve(const char *name, char addrs[][48], int max)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *a;
	int n = 0;

	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return 0;
	for (a = res; a != NULL && n < max; a = a->ai_next) {
		const void *src = a->ai_family == AF_INET ?
		    (const void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr :
		    (const void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;

		if (inet_ntop(a->ai_family, src, addrs[n], 48) != NULL)
			n++;
	}
	freeaddrinfo(res);
	return n;
}

static uint8_t
wkind_of(struct enforcer *e, const char *w)
{
	char k[WIRE_NAME_MAX + 80], err[256];
	redisContext *c;
	redisReply *r;
	uint8_t kind = WL_HOST;

	if ((c = rstream_connect_sync(e->d->conf.redis.url,
	    e->d->conf.redis.user, e->d->conf.redis.password, 2000, err,
	    sizeof(err))) == NULL)
		return kind;
	snprintf(k, sizeof(k), "%sprof:{%s}:meta", e->d->conf.redis.prefix, w);
	if ((r = redisCommand(c, "HGET %s wkind", k)) != NULL &&
	    r->type == REDIS_REPLY_STRING && atoi(r->str) < WL__MAX)
		kind = (uint8_t)atoi(r->str);
	freeReplyObject(r);
	redisFree(c);
	return kind;
}

static void
ack(struct enforcer *e, const struct wire_policy *p, int ok, const char *msg)
{
	struct wire_policy_ack a;

	memset(&a, 0, sizeof(a));
	snprintf(a.workload, sizeof(a.workload), "%s", p->workload);
	snprintf(a.host, sizeof(a.host), "%s", e->d->host);
	a.rev = p->rev;
	a.ts = daemon_now_ns();
	a.ok = (uint8_t)ok;
	a.message = (char *)msg;
	a.backends = "exec=none file=none net=cgroup syscall=none";
	stream_publish(e->d->rs, e->k_ack, e->d->conf.redis.maxlen,
	    WK_POLICY_ACK, &a, a.workload, a.host, a.ts, 0);
}

static int
on_policy(void *arg, const struct rs_msg *m, char *err, size_t errlen)
{
	struct enforcer *e = arg;
	struct wire_policy p;
	struct ewl w = { 0 };
	struct ewl_info info;
	struct keyset ks;
	char msg[512], perr[512] = "";
	int rc, unresolved, d;

	if ((rc = wire_decode(WK_POLICY, m->body, m->len, &p, err,
	    errlen)) < 0)
		return rc == -ENOMEM ? -EAGAIN : rc;
	w.wid = rules_wid(p.workload);
	for (d = 0; d < WD_NDIMS; d++)
		w.mode[d] = p.modes[d];
	memset(&info, 0, sizeof(info));
	snprintf(info.name, sizeof(info.name), "%s", p.workload);
	info.rev = p.rev;
	ekern_set_info(e->k, w.wid, &info);
	if ((unresolved = rules_keys(&p, w.wid, resolve, &ks)) < 0 ||
	    ekern_set_allow(e->k, w.wid, &ks) < 0 ||
	    place(e, p.workload, wkind_of(e, p.workload), &w, perr,
	    sizeof(perr)) < 0) {
		snprintf(msg, sizeof(msg), "rev %llu not applied: %s",
		    (unsigned long long)p.rev, perr[0] ? perr :
		    "kernel maps refused the update");
		log_warnx("%s: %s", p.workload, msg);
		ack(e, &p, 0, msg);
		keyset_free(&ks);
		wire_free(WK_POLICY, &p);
		return 0;
	}
	ekern_set_modes(e->k, &w);
	snprintf(msg, sizeof(msg), "rev %llu: net=%s with %zu allow-list "
	    "entries%s%s", (unsigned long long)p.rev,
	    wire_mode_name(p.modes[WD_NET]), ks.n, unresolved > 0 ?
	    ", names not resolved: " : "", unresolved > 0 ? "some" : "");
	log_info("%s: %s", p.workload, msg);
	ack(e, &p, 1, msg);
	e->applied++;
	keyset_free(&ks);
	wire_free(WK_POLICY, &p);
	return 0;
}

/* ---------------------------------------------------------------- violations */

/* The process's ancestors, oldest first, from /proc (best effort). */
static void
lineage(uint32_t pid, struct wire_lineage *l, struct wire_proc *v, int max,
    char bufs[][2][512])
{
	uint32_t chain[16];
	int n = 0, i;

	while (pid > 1 && n < max && n < 16) {
		char path[64], stat[512], *p;
		FILE *f;
		unsigned long ppid = 0;

		chain[n++] = pid;
		snprintf(path, sizeof(path), "/proc/%u/stat", pid);
		if ((f = fopen(path, "r")) == NULL)
			break;
		p = fgets(stat, sizeof(stat), f);
		fclose(f);
		if (p == NULL || (p = strrchr(stat, ')')) == NULL ||
		    sscanf(p + 2, "%*c %lu", &ppid) != 1)
			break;
		pid = (uint32_t)ppid;
	}
	l->v = v;
	l->n = 0;
	for (i = n - 1; i >= 0; i--) {
		char path[64];
		ssize_t r;
		FILE *f;
		size_t k, got;

		snprintf(path, sizeof(path), "/proc/%u/exe", chain[i]);
		if ((r = readlink(path, bufs[l->n][0], 511)) <= 0)
			continue;
		bufs[l->n][0][r] = '\0';
		snprintf(path, sizeof(path), "/proc/%u/cmdline", chain[i]);
		bufs[l->n][1][0] = '\0';
		if ((f = fopen(path, "r")) != NULL) {
			got = fread(bufs[l->n][1], 1, 511, f);
			fclose(f);
			for (k = 0; k + 1 < got; k++)
				if (bufs[l->n][1][k] == '\0')
					bufs[l->n][1][k] = ' ';
			bufs[l->n][1][got] = '\0';
		}
		v[l->n].pid = chain[i];
		v[l->n].exe = bufs[l->n][0];
		v[l->n].args = bufs[l->n][1];
		l->n++;
	}
}

static int
on_violation(void *arg, void *data, size_t len)
{
	struct enforcer *e = arg;
	const struct eviol *r = data;
	struct wire_violation v;
	struct ewl_info info;
	struct wire_proc lin[8];
	char bufs[8][2][512];
	struct rate *rt;
	uint64_t now;

	if (len < sizeof(*r))
		return 0;
	e->violations++;
	rt = &e->rate[r->wid % RATE_SLOTS];
	now = (r->ts + e->boot_offset_ns) / 1000000000ull;
	if (rt->wid != r->wid || rt->sec != now) {
		rt->wid = r->wid;
		rt->sec = now;
		rt->sent = 0;
	}
	if (rt->sent >= e->d->conf.enforced.rate_per_sec) {
		rt->suppressed++;
		e->suppressed++;
		return 0;
	}
	rt->sent++;
	memset(&v, 0, sizeof(v));
	if (ekern_info(e->k, r->wid, &info) < 0)
		snprintf(info.name, sizeof(info.name), "wid-%u", r->wid);
	snprintf(v.workload, sizeof(v.workload), "%s", info.name);
	snprintf(v.host, sizeof(v.host), "%s", e->d->host);
	v.ts = r->ts + e->boot_offset_ns;
	v.cgid = r->cgid;
	v.dim = r->dim;
	v.action = r->action ? WA_DENIED : WA_ALERTED;
	v.rev = info.rev;
	v.pid = r->pid;
	v.family = r->family;
	v.proto = r->proto;
	v.port = r->port;
	v.syscall = -1;
	v.suppressed = rt->suppressed;
	rt->suppressed = 0;
	if (r->family == 4)
		inet_ntop(AF_INET, r->addr + 12, v.addr, sizeof(v.addr));
	else
		inet_ntop(AF_INET6, r->addr, v.addr, sizeof(v.addr));
	lineage(r->pid, &v.lineage, lin, 8, bufs);
	v.exe = v.lineage.n ? v.lineage.v[v.lineage.n - 1].exe : NULL;
	stream_publish(e->d->rs, e->k_viol, e->d->conf.redis.maxlen,
	    WK_VIOLATION, &v, v.workload, v.host, v.ts, 0);
	return 0;
}

static void
on_ring(uv_poll_t *h, int status, int events)
{
	struct enforcer *e = h->data;

	ekern_consume(e->k, on_violation, e);
}

/* ---------------------------------------------------------------- lifecycle */

static int
enforced_start(struct daemon *d)
{
	struct enforcer *e = d->priv;
	struct timespec rt, mt;
	char err[512] = "", group[WIRE_HOST_MAX + 16];
	int rc;

	e->d = d;
	daemon_key(d, "policies", e->k_pol, sizeof(e->k_pol));
	daemon_key(d, "policy-acks", e->k_ack, sizeof(e->k_ack));
	daemon_key(d, "violations", e->k_viol, sizeof(e->k_viol));
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	e->boot_offset_ns = ((uint64_t)rt.tv_sec - (uint64_t)mt.tv_sec) *
	    1000000000ull + (uint64_t)rt.tv_nsec - (uint64_t)mt.tv_nsec;
	if ((rc = cgroup_find_mount(e->mnt, sizeof(e->mnt))) < 0) {
		log_warnx("no cgroup v2 mount in /proc/mounts");
		return rc;
	}
	if ((e->k = ekern_open(d->conf.enforced.bpffs, err,
	    sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return -EPERM;
	}
	uv_poll_init(d->loop, &e->poll, ekern_ringbuf_fd(e->k));
	e->poll.data = e;
	uv_poll_start(&e->poll, UV_READABLE, on_ring);
	e->polling = 1;
	/* One group per host: every host applies every policy. */
	snprintf(group, sizeof(group), "enforced:%s", d->host);
	if (rstream_reader_new(d->rs, e->k_pol, group, d->consumer, "0",
	    on_policy, e) == NULL)
		return -ENOMEM;
	log_info("enforcing below cgroup2 at %s; pins in %s (network: cgroup "
	    "programs; exec, file, syscall: not yet)", e->mnt,
	    d->conf.enforced.bpffs);
	return 0;
}

static void
closed(uv_handle_t *h)
{
	struct enforcer *e = h->data;

	ekern_close(e->k);	/* pins stay: enforcement goes on */
	e->k = NULL;
	e->done(e->d);
}

static void
enforced_stop(struct daemon *d, daemon_done_fn *done)
{
	struct enforcer *e = d->priv;

	e->done = done;
	if (!e->polling) {
		ekern_close(e->k);
		e->k = NULL;
		done(d);
		return;
	}
	ekern_consume(e->k, on_violation, e);
	uv_close((uv_handle_t *)&e->poll, closed);
}

static const struct daemon_ops enforced_ops = {
	.name = "paddock-enforced",
	.summary = "The Paddock enforcer: applies each workload's policy in the kernel.",
	.start = enforced_start,
	.stop = enforced_stop,
};

int
main(int argc, char **argv)
{
	static struct enforcer e;

	return daemon_main(argc, argv, &enforced_ops, &e);
}
