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
 * rest are counted as dropped in the workload's next record).
 *
 * Backends, chosen by a probe at start-up and reported per dimension in
 * every acknowledgement (so `paddockctl status` says what the kernel
 * really does): net by cgroup programs (EPERM before any packet leaves);
 * exec and files by BPF LSM (EPERM before the operation) where the kernel
 * has it, else by SIGKILL from tracepoints (the process dies before it
 * runs the new image or sees the new fd); syscalls by SIGKILL from
 * raw_tp/sys_enter.  docs/architecture.md says what each guarantees.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <dirent.h>
#include <limits.h>
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
#include "opauth.h"
#include "secret.h"
#include "log.h"
#include "enforced.h"

#define RATE_SLOTS	256

struct rate {
	uint32_t	 wid;
	uint64_t	 sec;
	uint32_t	 sent;
	uint64_t	 dropped;	/* held back: counted into the next */
};

#define XCACHE_SLOTS	4096

/* An exec seen in an enforced workload: the lineage's names. */
struct xcache {
	uint32_t	 pid;
	uint64_t	 start;
	char		 exe[256];
	char		 args[256];
};

#define QUAR_PENDING	16
/* Ring records read per pass of the loop (ekern_consume). */
#define RING_PASS	512

/* A name to quarantine once the call that made it has returned. */
struct quar {
	char		 path[EPATH_MAX + 1];
	uint32_t	 pid;
	int		 tries;
	int		 done;		/* its EREC_LINKED came */
};

/* A policy as applied: kept to write it again after tampering. */
struct applied {
	char		 workload[WIRE_NAME_MAX];
	void		*body;
	size_t		 len;
	uint8_t		 wkind;		/* as read from Redis when applied */
};

struct enforcer {
	struct daemon	*d;
	struct ekern	*k;
	uv_poll_t	 poll;
	uv_timer_t	 expiry;	/* addresses learnt from DNS answers */
	int		 polling;
	char		 mnt[256];
	char		 k_pol[160], k_ack[160], k_viol[160];
	struct rate	 rate[RATE_SLOTS];
	uint64_t	 boot_offset_ns;
	uint64_t	 applied, violations, suppressed, unreadable;
	int		 syscalls_on;
	uv_timer_t	 guard;		/* pins and protected pids */
	unsigned	 guard_ticks;
	uv_fs_event_t	 pinwatch;	/* the pin directory, by inotify */
	struct rstream_url redis;	/* enforced's own Redis URL, parsed */
	int		 redis_ok;
	pid_t		 redis_pid;	/* Redis, when it runs here */
	int		 rewatch;	/* pins came back: watch the directory anew */
	char		 bindir[256];	/* where the daemons' binaries are */
	struct xcache	 xc[XCACHE_SLOTS];
	struct applied	*pols;		/* the last revision of each workload */
	size_t		 npols, cpols;
	struct quar	 quar[QUAR_PENDING];
	size_t		 nquar;
	uv_timer_t	 quartimer;
	uint64_t	 tamper;	/* differences ekern_verify() put back */
	char		 tamper_last[300];
	char		 k_stats[256];
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

/*
 * Register w's names and its cgroups as they are now.  The network
 * programs sit on the cgroup2 root (hooks()), so nothing is attached per
 * workload: a cgroup made again later is found by the mkdir hook.
 */
static int
place(struct enforcer *e, const char *workload, uint8_t wkind,
    const struct ewl *w, char *err, size_t errlen)
{
	struct scan s = { .workload = workload };
	char path[1100];
	uint64_t id, keys[8];
	int i, n;

	n = rules_name_keys(workload, wkind, keys, 8);
	for (i = 0; i < n; i++)
		ekern_set_name(e->k, keys[i], w);
	scan_dir(e, &s, "", 0, 0);
	for (i = 0; i < s.n; i++) {
		snprintf(path, sizeof(path), "%s/%s", e->mnt, s.top[i]);
		if (cgroup_id_of(path, &id) == 0)
			ekern_set_cgroup(e->k, id, w);
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
	a.backends = (char *)ekern_backends(e->k);
	stream_publish(e->d->rs, e->k_ack, e->d->conf.redis.maxlen,
	    WK_POLICY_ACK, &a, a.workload, a.host, a.ts, 0);
}

/* The global hooks this policy needs, attached once for all. */
static int
hooks(struct enforcer *e, const struct wire_policy *p, int names, char *err,
    size_t errlen)
{
	int sys = e->syscalls_on || p->modes[WD_SYSCALL] != WMODE_OFF;
	int rc;

	/* names: the policy allows some destination by its DNS name, so the
	 * questions and answers of the host must be read (enf_dns_q,
	 * enf_dns); until one does, UDP packets pay nothing for them. */
	if ((rc = ekern_hooks(e->k, e->mnt, sys, names, err, errlen)) < 0)
		return rc;
	e->syscalls_on = sys;
	return 0;
}

/* Keep body as wl's last applied revision (for tamper repair). */
static void
keep_applied(struct enforcer *e, const char *wl, const void *body,
    size_t len, uint8_t wkind)
{
	struct applied *a = NULL, *n;
	void *copy;
	size_t i;

	for (i = 0; i < e->npols && a == NULL; i++)
		if (strcmp(e->pols[i].workload, wl) == 0)
			a = &e->pols[i];
	if ((copy = malloc(len)) == NULL)
		return;
	memcpy(copy, body, len);
	if (a == NULL) {
		if (e->npols == e->cpols) {
			if ((n = reallocarray(e->pols, e->cpols ? e->cpols * 2 :
			    16, sizeof(*n))) == NULL) {
				free(copy);
				return;
			}
			e->pols = n;
			e->cpols = e->cpols ? e->cpols * 2 : 16;
		}
		a = &e->pols[e->npols++];
		snprintf(a->workload, sizeof(a->workload), "%s", wl);
	} else
		free(a->body);
	a->body = copy;
	a->len = len;
	a->wkind = wkind;
}

/* The workload's kind as last applied, or from Redis (a blocking call,
 * bounded by its 2 s timeouts: only for a fresh revision, never on a
 * repair, which must not wait on Redis). */
static uint8_t
kind_for(struct enforcer *e, const char *wl, int fresh)
{
	size_t i;

	for (i = 0; !fresh && i < e->npols; i++)
		if (strcmp(e->pols[i].workload, wl) == 0)
			return e->pols[i].wkind;
	return wkind_of(e, wl);
}

static int	apply(struct enforcer *, const void *, size_t, int, char *,
		    size_t);
static void	check_tamper(struct enforcer *);
static void	protect_redis(struct enforcer *);
static void	protect_pids(struct enforcer *);

static int
on_policy(void *arg, const struct rs_msg *m, char *err, size_t errlen)
{
	struct enforcer *e = arg;

	return apply(e, m->body, m->len, 1, err, errlen);
}

/*
 * Apply one policy record: its maps, hooks and names, then the modes, and
 * seal the maps (ekern_seal).  fresh: a record from the stream, kept and
 * acknowledged; else a repair after tampering, which says nothing new.
 */
static int
apply(struct enforcer *e, const void *body, size_t blen, int fresh,
    char *err, size_t errlen)
{
	struct wire_policy p;
	struct ewl w = { 0 };
	struct ewl_info info;
	struct keyset ks = { 0 };
	struct pathset ps = { 0 };
	struct dnsset ds = { 0 };
	char msg[512], perr[512] = "";
	int rc, unresolved, d;
	uint8_t wkind;

	if ((rc = wire_decode(WK_POLICY, body, blen, &p, err, errlen)) < 0)
		return rc == -ENOMEM ? -EAGAIN : rc;
	if (fresh)
		check_tamper(e);	/* before this revision's seal */
	wkind = kind_for(e, p.workload, fresh);
	w.wid = rules_wid(p.workload);
	for (d = 0; d < WD_NDIMS; d++)
		w.mode[d] = p.modes[d];
	memset(&info, 0, sizeof(info));
	snprintf(info.name, sizeof(info.name), "%s", p.workload);
	info.rev = p.rev;
	ekern_set_info(e->k, w.wid, &info);
	if ((unresolved = rules_keys(&p, w.wid, resolve, &ks)) < 0 ||
	    ekern_set_allow(e->k, w.wid, &ks) < 0 ||
	    (rc = rules_paths(&p, w.wid, &ps)) < 0 ||
	    (rc = rules_dns(&p, w.wid, (uint32_t)(e->d->conf.enforced.dns_grace_ms /
	    1000), &ds)) < 0 ||
	    (rc = ekern_set_dns(e->k, w.wid, &ds)) < 0 ||
	    (rc = ekern_set_paths(e->k, w.wid, &ps, p.syscalls)) < 0 ||
	    (rc = hooks(e, &p, ds.n > 0, perr, sizeof(perr))) < 0 ||
	    place(e, p.workload, wkind, &w, perr,
	    sizeof(perr)) < 0) {
		snprintf(msg, sizeof(msg), "rev %llu not applied: %s",
		    (unsigned long long)p.rev, perr[0] ? perr :
		    "kernel maps refused the update");
		log_warnx("%s: %s", p.workload, msg);
		if (fresh)
			ack(e, &p, 0, msg);
		keyset_free(&ks);
		pathset_free(&ps);
		dnsset_free(&ds);
		wire_free(WK_POLICY, &p);
		return 0;
	}
	ekern_set_modes(e->k, &w);
	ekern_bump(e->k);
	ekern_seal(e->k);
	if (!fresh) {
		keyset_free(&ks);
		pathset_free(&ps);
		dnsset_free(&ds);
		wire_free(WK_POLICY, &p);
		return 0;
	}
	keep_applied(e, p.workload, body, blen, wkind);
	snprintf(msg, sizeof(msg), "rev %llu: exec=%s file=%s net=%s "
	    "syscall=%s; %zu exact paths, %zu patterns, %zu addresses, %zu "
	    "names (%d resolved only from DNS answers)",
	    (unsigned long long)p.rev, wire_mode_name(p.modes[WD_EXEC]),
	    wire_mode_name(p.modes[WD_FILE]), wire_mode_name(p.modes[WD_NET]),
	    wire_mode_name(p.modes[WD_SYSCALL]), ps.nexact, ps.npat, ks.n,
	    ds.n, unresolved);
	if (ps.skipped > 0)
		log_warnx("%s: %zu patterns match nothing (longer than %d "
		    "bytes, or \\x00 in them)", p.workload, ps.skipped,
		    EPAT_MAX - 1);
	log_info("%s: %s", p.workload, msg);
	ack(e, &p, 1, msg);
	e->applied++;
	keyset_free(&ks);
	pathset_free(&ps);
	dnsset_free(&ds);
	wire_free(WK_POLICY, &p);
	return 0;
}

/* ---------------------------------------------------------------- violations */

/*
 * Lineage.  The kernel puts the offender's ancestors (pid, start time,
 * comm, inside the workload or not) into the violation itself, so the
 * chain is right even when every process in it has exited by the time we
 * read the record.  Executables and arguments come from the exec records
 * the kernel sends for every exec inside an enforced workload (the same
 * ring, so they arrive before any violation of that process), then from
 * /proc when the process is still there and is the same one (start
 * time), else the command name is all there is: "[comm]".
 */
static struct xcache *
xc_find(struct enforcer *e, uint32_t pid, uint64_t start)
{
	struct xcache *x = &e->xc[pid % XCACHE_SLOTS];

	return x->pid == pid && x->start == start ? x : NULL;
}

static void
xc_put(struct enforcer *e, const struct eexec *r)
{
	struct xcache *x = &e->xc[r->pid % XCACHE_SLOTS];
	size_t n = r->args_len < sizeof(x->args) ? r->args_len :
	    sizeof(x->args) - 1, i;

	x->pid = r->pid;
	x->start = r->start;
	snprintf(x->exe, sizeof(x->exe), "%.*s", (int)r->path_len, r->path);
	memcpy(x->args, r->args, n);
	for (i = 0; i + 1 < n; i++)
		if (x->args[i] == '\0')
			x->args[i] = ' ';
	x->args[n] = '\0';
	if (n > 0 && x->args[n - 1] == ' ')
		x->args[n - 1] = '\0';
}

/* exe and args of (pid, start) from /proc, if it is still that process. */
static int
from_proc(uint32_t pid, uint64_t start, char *exe, char *args, size_t len)
{
	char path[64], stat[1024], *p;
	unsigned long long ticks = 0;
	long hz = sysconf(_SC_CLK_TCK);
	size_t got, k;
	ssize_t r;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -ENOENT;
	p = fgets(stat, sizeof(stat), f);
	fclose(f);
	if (p == NULL || (p = strrchr(stat, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u "
	    "%*d %*d %*d %*d %*d %*d %llu", &ticks) != 1)
		return -ENOENT;
	if (hz > 0 && ticks != start / (1000000000ull / (unsigned long)hz))
		return -ESRCH;	/* another process with that pid */
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	if ((r = readlink(path, exe, len - 1)) <= 0)
		return -ENOENT;
	exe[r] = '\0';
	args[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	if ((f = fopen(path, "r")) != NULL) {
		got = fread(args, 1, len - 1, f);
		fclose(f);
		for (k = 0; k + 1 < got; k++)
			if (args[k] == '\0')
				args[k] = ' ';
		args[got] = '\0';
	}
	return 0;
}

static void
name_proc(struct enforcer *e, uint32_t pid, uint64_t start, const char *comm,
    struct wire_proc *out, char buf[2][512])
{
	struct xcache *x = xc_find(e, pid, start);

	out->pid = pid;
	if (x != NULL) {
		snprintf(buf[0], 512, "%s", x->exe);
		snprintf(buf[1], 512, "%s", x->args);
	} else if (from_proc(pid, start, buf[0], buf[1], 512) < 0) {
		snprintf(buf[0], 512, "[%.16s]", comm);
		buf[1][0] = '\0';
	}
	out->exe = buf[0];
	out->args = buf[1][0] ? buf[1] : NULL;
}

/*
 * The workload's part of the chain, oldest first, and the process that
 * launched it (the first ancestor outside), ending with the offender.
 */
static void
lineage(struct enforcer *e, const struct eviol *r, struct wire_lineage *l,
    struct wire_proc *v, char bufs[][2][512])
{
	int top = 0, i;

	while (top < r->nlin && top < ELIN_MAX && r->lin[top].inside)
		top++;
	if (top < r->nlin && top < ELIN_MAX)
		top++;		/* the launcher */
	l->v = v;
	l->n = 0;
	for (i = top - 1; i >= 0; i--, l->n++)
		name_proc(e, r->lin[i].pid, r->lin[i].start, r->lin[i].comm,
		    &v[l->n], bufs[l->n]);
	name_proc(e, r->pid, r->start, r->comm, &v[l->n], bufs[l->n]);
	l->n++;
}

/*
 * What a self-protection signal record names: the daemon's executable
 * (as /proc has it now) in path, and "SIGTERM to pid 4242" (or "to
 * process group N", "to every process") in sig.
 */
static void
signal_target(const struct eviol *r, char *path, size_t pathlen, char *sig,
    size_t siglen)
{
	const char *name = sigabbrev_np(r->sig);
	char proc[64], num[16];
	ssize_t n;

	path[0] = '\0';
	if (r->sig == 0)	/* ptrace and the like: "into pid 4242" */
		num[0] = '\0';
	else if (name != NULL)
		snprintf(num, sizeof(num), "SIG%s to", name);
	else
		snprintf(num, sizeof(num), "signal %d to", r->sig);
	if (r->target == EPROT_ALL) {
		snprintf(sig, siglen, "%s every process", num);
		return;
	}
	if ((int32_t)r->target < 0) {
		snprintf(sig, siglen, "%s process group %d", num,
		    -(int32_t)r->target);
		snprintf(proc, sizeof(proc), "/proc/%d/exe", -(int32_t)r->target);
	} else {
		snprintf(sig, siglen, "%s pid %u", r->sig ? num : "into",
		    r->target);
		snprintf(proc, sizeof(proc), "/proc/%u/exe", r->target);
	}
	if ((n = readlink(proc, path, pathlen - 1)) > 0)
		path[n] = '\0';
	else
		path[0] = '\0';
}

/*
 * A link, rename or symlink outside the policy was killed at its entry,
 * but the call ran: the inode now at that name may be a binary or a
 * secret under an allowed name.  It is quarantined: no workload in alert
 * or enforce opens or runs it (the kernel checks `quar` before any rule).
 * The record comes from the call's entry; the name is looked up once the
 * call has returned (EREC_LINKED, from its exit), on a 1 ms timer.
 */
static void
on_quarantine(uv_timer_t *t)
{
	struct enforcer *e = t->data;
	struct stat st;
	size_t i, j = 0;

	for (i = 0; i < e->nquar; i++) {
		struct quar *q = &e->quar[i];

		if (!q->done) {
			if (++q->tries < 1000)
				e->quar[j++] = *q;	/* not returned yet */
			else
				log_warnx("%s: not quarantined: its call never "
				    "returned", q->path);
		} else if (lstat(q->path, &st) == 0 && ekern_quarantine(e->k,
		    ((uint64_t)major(st.st_dev) << 20) | minor(st.st_dev),
		    st.st_ino) == 0) {
			ekern_seal(e->k);
			log_warnx("%s: quarantined (inode %llu): made by a link "
			    "or rename outside the policy", q->path,
			    (unsigned long long)st.st_ino);
		} else
			log_warnx("%s: not quarantined: %s", q->path,
			    strerror(errno));
	}
	if ((e->nquar = j) == 0)
		uv_timer_stop(t);
}

static void
quarantine(struct enforcer *e, uint32_t pid, const char *path)
{
	struct quar *q;

	if (e->nquar == QUAR_PENDING) {
		log_warnx("%s: not quarantined: %d names pending already", path,
		    QUAR_PENDING);
		return;
	}
	q = &e->quar[e->nquar++];
	snprintf(q->path, sizeof(q->path), "%s", path);
	q->pid = pid;
	q->tries = q->done = 0;
	uv_timer_start(&e->quartimer, on_quarantine, 1, 1);
}

/* The call of pid returned ret: its name, if made, can be looked up. */
static void
linked(struct enforcer *e, const struct elinked *r)
{
	size_t i;

	for (i = 0; i < e->nquar; i++)
		if (e->quar[i].pid == r->pid && !e->quar[i].done) {
			e->quar[i].done = 1;
			if (r->ret != 0)	/* nothing made: nothing to do */
				e->quar[i].tries = 1000;
		}
}

static int
on_record(void *arg, void *data, size_t len)
{
	struct enforcer *e = arg;
	const struct eviol *r = data;
	struct wire_violation v;
	struct ewl_info info;
	struct wire_proc lin[ELIN_MAX + 1];
	char bufs[ELIN_MAX + 1][2][512], path[EPATH_MAX + 1], sig[96];
	struct rate *rt;
	uint64_t now;

	if (len >= sizeof(struct eexec) && r->type == EREC_EXEC) {
		xc_put(e, data);
		return 0;
	}
	if (len >= sizeof(struct elinked) && r->type == EREC_LINKED) {
		linked(e, data);
		return 0;
	}
	if (len >= sizeof(r->type) && r->type == EREC_VIOL &&
	    len < sizeof(*r)) {
		/* Written by an older enforcer's programs (a record layout
		 * from before an upgrade): counted, never read wrong. */
		if (e->unreadable++ == 0)
			log_warnx("violation records of an older layout (%zu "
			    "bytes): counted as suppressed, not read", len);
		e->suppressed++;
		return 0;
	}
	if (len < sizeof(*r) || r->type != EREC_VIOL)
		return 0;
	e->violations++;
	rt = &e->rate[r->wid % RATE_SLOTS];
	now = (r->ts + e->boot_offset_ns) / 1000000000ull;
	if (rt->wid != r->wid || rt->sec != now) {
		rt->wid = r->wid;
		rt->sec = now;
		rt->sent = 0;
	}
	/* A workload reaching for Paddock is never rate-limited here (the
	 * kernel's EVIOL_RATE still bounds it, and each attempt kills its
	 * process): a flood of ordinary violations must not hide one. */
	/* Nor is the first record of a behaviour (EP_NEW): only repeats are
	 * counted away. */
	if (rt->sent >= e->d->conf.enforced.rate_per_sec &&
	    !(r->mode & (EM_PROTECT | EM_COMPAT)) &&
	    !(r->path_flags & EP_NEW)) {
		rt->dropped += 1 + r->suppressed + r->dropped;
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
	v.dim = r->dim;		/* EDIM_* are the WD_* numbers */
	v.action = r->action == EACT_KILLED ? WA_KILLED :
	    r->action == EACT_DENIED ? WA_DENIED : WA_ALERTED;
	v.rev = info.rev;
	v.pid = r->pid;
	v.mode = r->mode & (EM_READ | EM_WRITE | EM_EXEC | EM_PROTECT |
	    EM_COMPAT);
	v.syscall = r->syscall;
	v.suppressed = r->suppressed;
	v.dropped = rt->dropped + r->dropped;
	rt->dropped = 0;
	if (r->mode & EM_RAW) {
		snprintf(sig, sizeof(sig), "raw socket (family %u, type %u, "
		    "protocol %d)", r->target >> 16, r->target & 0xffff,
		    r->sig);
		v.name = sig;
	} else if ((r->mode & EM_CGROUP) && r->path_len == 0) {
		snprintf(sig, sizeof(sig), "leaving the workload's cgroup: "
		    "child %u started in another", r->target);
		v.name = sig;
	} else if (r->mode & EM_COMPAT) {	/* an i386 number: no x86_64 name */
		snprintf(sig, sizeof(sig), "i386 syscall %d", r->syscall);
		v.name = sig;
		v.syscall = -1;
	} else if (r->dim == EDIM_SYSCALL && (r->mode & EM_PROTECT) &&
	    r->target != 0) {
		signal_target(r, path, sizeof(path), sig, sizeof(sig));
		v.path = path[0] ? path : NULL;	/* the daemon's executable */
		v.name = sig;			/* "SIGTERM to pid 4242" */
	} else if (r->path_len > 0) {
		snprintf(path, sizeof(path), "%.*s", (int)r->path_len, r->path);
		if (r->dim == EDIM_NET && r->family != 0)
			v.name = path;	/* the DNS name of the address */
		else
			v.path = path;	/* exec, file, a protected socket */
		if (r->mode & EM_CGROUP)
			v.name = r->target != 0 ? "leaving the workload's "
			    "cgroup: a process moved" : "leaving the "
			    "workload's cgroup: a cgroup file written";
		if ((r->mode & EM_LINK) && r->action == EACT_KILLED)
			quarantine(e, r->pid, path);
	}
	if (r->dim == EDIM_NET || r->dim == EDIM_LISTEN) {
		v.family = r->family;
		v.proto = r->proto;
		v.port = r->port;
		if (r->family == 4)
			inet_ntop(AF_INET, r->addr + 12, v.addr, sizeof(v.addr));
		else
			inet_ntop(AF_INET6, r->addr, v.addr, sizeof(v.addr));
	}
	lineage(e, r, &v.lineage, lin, bufs);
	v.exe = lin[v.lineage.n - 1].exe;
	stream_publish(e->d->rs, e->k_viol, e->d->conf.redis.maxlen,
	    WK_VIOLATION, &v, v.workload, v.host, v.ts, 0);
	return 0;
}

static void
on_expiry(uv_timer_t *t)
{
	struct enforcer *e = t->data;
	struct timespec mt;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &mt);
	if ((n = ekern_expire(e->k, (uint64_t)mt.tv_sec * 1000000000ull +
	    (uint64_t)mt.tv_nsec)) > 0)
		log_debug("%d addresses learnt from DNS expired", n);
}

#define PROT_MAX	256	/* prot_pid's size */
#define PROT_FILES	256	/* prot_file's size */

/*
 * What signals may not reach (guard.c): Paddock's daemons and, when it
 * runs here, their Redis (found again only when it changed); where bpffs
 * is mounted, for the unlink guard; and Paddock's secrets (the operators'
 * keys, the Redis users' passwords), which no guarded workload may open.
 */
static void
protect_pids(struct enforcer *e)
{
	struct eprot_id ids[PROT_MAX];
	struct eprot_inode secrets[PROT_FILES];
	char mnts[EBPFFS_N][EBPFFS_LEN], dir[600];
	unsigned long ino = 0;
	FILE *f;
	int n, m;

	if (e->redis_ok)
		ino = guard_redis_inode("/proc", &e->redis);
	e->redis_pid = guard_socket_owner("/proc", ino, e->redis_pid);
	if ((n = guard_ids("/proc", e->bindir, e->redis_pid, ids,
	    PROT_MAX)) < 0)
		return;
	if (n == PROT_MAX)
		log_warnx("more than %d ids to protect: some are not", PROT_MAX);
	ekern_protect_pids(e->k, ids, (size_t)n);
	if ((f = fopen("/proc/mounts", "r")) != NULL) {
		n = guard_bpffs_mounts(f, mnts, EBPFFS_N);
		fclose(f);
		ekern_bpffs_at(e->k, mnts, (size_t)n);
	}
	opauth_dir(e->d->conf.state_dir, dir, sizeof(dir));
	if ((n = guard_secrets(dir, secrets, PROT_FILES)) < 0)
		n = 0;
	secret_dir(e->d->conf.state_dir, dir, sizeof(dir));
	if ((m = guard_secrets(dir, secrets + n, PROT_FILES - (size_t)n)) > 0)
		n += m;
	ekern_protect_files(e->k, secrets, (size_t)n);
}

static void	publish_stats(struct enforcer *);

static void
repin(struct enforcer *e)
{
	int n;

	if ((n = ekern_guard(e->k)) <= 0)
		return;
	log_warnx("%d pins in %s were removed: pinned again", n,
	    e->d->conf.enforced.bpffs);
	e->rewatch = 1;	/* the directory may have gone, and its watch */
}

/* A change in the pin directory (inotify): pins removed come back now. */
static void
on_pins(uv_fs_event_t *h, const char *name, int events, int status)
{
	struct enforcer *e = h->data;

	if (status == 0 && e->k != NULL)
		repin(e);
}

/* Every 2 s (should inotify miss it): pins back; every 10 s: pids. */
static void
on_guard(uv_timer_t *t)
{
	struct enforcer *e = t->data;

	repin(e);
	if (e->rewatch) {	/* outside the watch's own callback */
		e->rewatch = 0;
		uv_fs_event_stop(&e->pinwatch);
		uv_fs_event_start(&e->pinwatch, on_pins,
		    e->d->conf.enforced.bpffs, 0);
	}
	check_tamper(e);
	if (e->guard_ticks++ % 5 == 0) {
		protect_pids(e);
		ekern_seal(e->k);
	}
	publish_stats(e);
}

/*
 * Tampering: what ekern_verify() found changed behind our back (links
 * detached, maps rewritten) is put back at once: links by kern.c, maps by
 * writing every policy and protection again.  It is logged, counted in
 * the stats that `paddockctl status` shows, and recorded as a violation
 * of Paddock's own (workload "paddock-enforced", self-protection): the
 * workload that did it was killed in its bpf() call and has a violation
 * of its own.
 */
static void
check_tamper(struct enforcer *e)
{
	struct ekern_tamper t;
	struct wire_violation v;
	struct wire_proc self;
	char err[256], name[400], exe[256] = "", what[256];
	size_t i;
	ssize_t n;

	if (e->k == NULL)
		return;
	ekern_verify(e->k, &t);
	if (t.maps > 0) {	/* every policy and protection, again */
		log_warnx("tampering: %s: writing %zu policies and the "
		    "protections again", t.what, e->npols);
		for (i = 0; i < e->npols; i++)
			apply(e, e->pols[i].body, e->pols[i].len, 0, err,
			    sizeof(err));
		protect_redis(e);
		protect_pids(e);
	}
	if ((t.entries = ekern_fix_cgroups(e->k, what, sizeof(what))) > 0) {
		if (t.links + t.maps == 0)
			snprintf(t.what, sizeof(t.what), "%s", what);
		for (i = 0; i < e->npols; i++)	/* their cgroups again */
			apply(e, e->pols[i].body, e->pols[i].len, 0, err,
			    sizeof(err));
	}
	if (t.links + t.maps + t.entries == 0)
		return;
	ekern_bump(e->k);
	ekern_seal(e->k);
	e->tamper += (uint64_t)(t.links + t.maps + t.entries);
	snprintf(e->tamper_last, sizeof(e->tamper_last), "%s", t.what);
	log_warnx("tampering: %s (%d links detached%s, %d maps changed, %d "
	    "cgroup entries forged): put back", t.what, t.links, t.failed ?
	    ", some could not be attached again" : "", t.maps, t.entries);
	memset(&v, 0, sizeof(v));
	snprintf(v.workload, sizeof(v.workload), "paddock-enforced");
	snprintf(v.host, sizeof(v.host), "%s", e->d->host);
	v.ts = daemon_now_ns();
	v.dim = WD_SYSCALL;
	v.action = t.failed ? WA_ALERTED : WA_DENIED;
	v.mode = EM_PROTECT;
	v.syscall = -1;
	snprintf(name, sizeof(name), "tampering: %s; put back%s", t.what,
	    t.failed ? " in part" : "");
	v.name = name;
	/* Who found it: the enforcer (the workload that did it was killed
	 * in its bpf() call, and has a violation of its own). */
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0)
		exe[n] = '\0';
	self.pid = (uint32_t)getpid();
	self.exe = exe;
	self.args = "paddock-enforced";
	v.pid = self.pid;
	v.exe = exe;
	v.lineage.v = &self;
	v.lineage.n = 1;
	stream_publish(e->d->rs, e->k_viol, e->d->conf.redis.maxlen,
	    WK_VIOLATION, &v, v.workload, v.host, v.ts, 0);
}

/* The enforcer's counters, for `paddockctl status` and redis-cli. */
static void
publish_stats(struct enforcer *e)
{
	char vals[8][32];
	const char *argv[24];
	int a = 0, held, attached;

	if (e->k == NULL || !rstream_is_up(e->d->rs))
		return;
	ekern_links(e->k, &held, &attached);
	argv[a++] = "HSET";
	argv[a++] = e->k_stats;
#define PUT(i, name, fmt, v) do { snprintf(vals[i], sizeof(vals[i]), fmt, \
	(v)); argv[a++] = (name); argv[a++] = vals[i]; } while (0)
	PUT(0, "updated", "%lld", (long long)time(NULL));
	PUT(1, "applied", "%llu", (unsigned long long)e->applied);
	PUT(2, "violations", "%llu", (unsigned long long)e->violations);
	PUT(3, "suppressed", "%llu", (unsigned long long)e->suppressed);
	PUT(4, "links_held", "%d", held);
	PUT(5, "links_attached", "%d", attached);
	PUT(6, "tamper", "%llu", (unsigned long long)e->tamper);
#undef PUT
	argv[a++] = "tamper_last";
	argv[a++] = e->tamper_last;
	argv[a++] = "backends";
	argv[a++] = ekern_backends(e->k);
	rstream_command(e->d->rs, NULL, NULL, a, argv, NULL);
}

/*
 * Paddock's Redis, as this daemon reaches it, is out of reach of every
 * workload in alert or enforce: its unix socket by inode, its TCP
 * endpoints by address and port.
 */
static void
protect_redis(struct enforcer *e)
{
	const struct rstream_url *u = &e->redis;
	struct stat st;
	char err[256], addrs[16][48], port[8], real[PATH_MAX];
	uint8_t a[16];
	int i, n;

	/* Parsed once, here: protect_pids() looks for its process too. */
	if (!(e->redis_ok = rstream_parse_url(e->d->conf.redis.url, &e->redis,
	    err, sizeof(err)) == 0))
		return;
	if (u->is_unix) {
		/* By name, refused at connect_unix: the path as configured
		 * and as it resolves. */
		ekern_protect_upath(e->k, rules_path_hash(u->path));
		if (realpath(u->path, real) != NULL)
			ekern_protect_upath(e->k, rules_path_hash(real));
		if (stat(u->path, &st) == 0)
			ekern_protect_sock(e->k, ((uint64_t)major(st.st_dev) <<
			    20) | minor(st.st_dev), st.st_ino);
		else
			log_warnx("%s: %s: Redis's socket is not protected",
			    u->path, strerror(errno));
		return;
	}
	snprintf(port, sizeof(port), "%d", u->port);
	n = resolve(u->host, addrs, 16);
	for (i = 0; i < n; i++) {
		memset(a, 0, sizeof(a));
		if (inet_pton(AF_INET, addrs[i], a + 12) == 1)
			a[10] = a[11] = 0xff;
		else if (inet_pton(AF_INET6, addrs[i], a) != 1)
			continue;
		ekern_protect_net(e->k, a, (uint16_t)u->port);
	}
}

static void
on_ring(uv_poll_t *h, int status, int events)
{
	struct enforcer *e = h->data;

	/* A bounded pass: the guard's timer runs between passes however
	 * fast a workload makes violations. */
	ekern_consume(e->k, on_record, e, RING_PASS);
}

/* ---------------------------------------------------------------- lifecycle */

static void
rewind_group(struct daemon *d, const char *stream, const char *group)
{
	char err[256];
	redisContext *c;
	redisReply *r;

	if ((c = rstream_connect_sync(d->conf.redis.url, d->conf.redis.user,
	    d->conf.redis.password, 2000, err, sizeof(err))) == NULL)
		return;		/* the reader creates the group from 0 anyway */
	if ((r = redisCommand(c, "XGROUP SETID %s %s 0", stream, group)) !=
	    NULL && r->type == REDIS_REPLY_STATUS)
		log_info("no pins: re-applying every policy from the start");
	freeReplyObject(r);
	redisFree(c);
}

static int
enforced_start(struct daemon *d)
{
	struct enforcer *e = d->priv;
	struct timespec rt, mt;
	char err[512] = "", group[WIRE_HOST_MAX + 16], ctlpin[512], *slash;
	ssize_t n;
	int rc, fresh;

	e->d = d;
	daemon_key(d, "policies", e->k_pol, sizeof(e->k_pol));
	daemon_key(d, "policy-acks", e->k_ack, sizeof(e->k_ack));
	daemon_key(d, "violations", e->k_viol, sizeof(e->k_viol));
	snprintf(e->k_stats, sizeof(e->k_stats), "%sstats:enforced:%s",
	    d->conf.redis.prefix, d->host);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	e->boot_offset_ns = ((uint64_t)rt.tv_sec - (uint64_t)mt.tv_sec) *
	    1000000000ull + (uint64_t)rt.tv_nsec - (uint64_t)mt.tv_nsec;
	if ((rc = cgroup_find_mount(e->mnt, sizeof(e->mnt))) < 0) {
		log_warnx("no cgroup v2 mount in /proc/mounts");
		return rc;
	}
	snprintf(ctlpin, sizeof(ctlpin), "%s/ctl", d->conf.enforced.bpffs);
	fresh = access(ctlpin, F_OK) != 0;
	if ((e->k = ekern_open(d->conf.enforced.bpffs, err,
	    sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return -EPERM;
	}
	uv_poll_init(d->loop, &e->poll, ekern_ringbuf_fd(e->k));
	e->poll.data = e;
	uv_poll_start(&e->poll, UV_READABLE, on_ring);
	e->polling = 1;
	uv_timer_init(d->loop, &e->expiry);
	e->expiry.data = e;
	uv_timer_start(&e->expiry, on_expiry, 30000, 30000);
	protect_redis(e);
	if ((n = readlink("/proc/self/exe", e->bindir,
	    sizeof(e->bindir) - 1)) > 0) {
		e->bindir[n] = '\0';
		if ((slash = strrchr(e->bindir, '/')) != NULL)
			*slash = '\0';
	}
	uv_timer_init(d->loop, &e->quartimer);
	e->quartimer.data = e;
	uv_timer_init(d->loop, &e->guard);
	e->guard.data = e;
	uv_timer_start(&e->guard, on_guard, 0, 2000);
	uv_fs_event_init(d->loop, &e->pinwatch);
	e->pinwatch.data = e;
	if ((rc = uv_fs_event_start(&e->pinwatch, on_pins,
	    d->conf.enforced.bpffs, 0)) < 0)
		log_warnx("%s: cannot watch (%s): pins removed come back within "
		    "2 s", d->conf.enforced.bpffs, uv_strerror(rc));
	/* One group per host: every host applies every policy.  With no pins
	 * (first start, or after `disable` or `down --disable`) the kernel
	 * holds nothing: read the policies from the start again, so the
	 * kernel ends with every workload's latest revision. */
	snprintf(group, sizeof(group), "enforced:%s", d->host);
	if (fresh)
		rewind_group(d, e->k_pol, group);
	if (rstream_reader_new(d->rs, e->k_pol, group, d->consumer, "0",
	    on_policy, e) == NULL)
		return -ENOMEM;
	log_info("enforcing below cgroup2 at %s; pins in %s; backends %s%s%s",
	    e->mnt, d->conf.enforced.bpffs, ekern_backends(e->k),
	    ekern_why_not_lsm(e->k) ? " because " : "",
	    ekern_why_not_lsm(e->k) ? ekern_why_not_lsm(e->k) : "");
	return 0;
}

static void
free_pols(struct enforcer *e)
{
	size_t i;

	for (i = 0; i < e->npols; i++)
		free(e->pols[i].body);
	free(e->pols);
	e->pols = NULL;
	e->npols = e->cpols = 0;
}

static void
closed(uv_handle_t *h)
{
	struct enforcer *e = h->data;

	free_pols(e);
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
		free_pols(e);
		ekern_close(e->k);
		e->k = NULL;
		done(d);
		return;
	}
	ekern_consume(e->k, on_record, e, RING_PASS * 64);	/* what is there */
	uv_close((uv_handle_t *)&e->expiry, NULL);
	uv_close((uv_handle_t *)&e->guard, NULL);
	uv_close((uv_handle_t *)&e->quartimer, NULL);
	uv_close((uv_handle_t *)&e->pinwatch, NULL);
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
