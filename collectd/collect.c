/*
 * collect: from ring buffer records to wire events.
 *
 * The kernel already dropped repeats; what arrives is process lifecycle
 * (kept in the process table for lineage) and novel behaviour (turned into
 * events).  This file adds what the kernel cannot cheaply know:
 *
 *   - the workload of a cgroup id: from the path the kernel reported when
 *     the cgroup was made, or looked up by file handle, then
 *     cgroup_identity().  A restarted unit gets a new cgroup and id but the
 *     same name, so its baseline carries over;
 *   - the lineage of a process, from the process table, up to the first
 *     process of its workload;
 *   - names for addresses, from DNS answers the workload itself received,
 *     kept for the answer's TTL plus a grace period;
 *   - absolute paths for failed opens given relative paths (best effort,
 *     from /proc, and marked as not resolved by the kernel).
 *
 * Nothing here talks to Redis: events go to an emit callback, so the
 * translation is tested with synthetic records and no kernel.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "collectd.h"

#define KEEP_DEAD_NS	(30ull * 1000000000ull)
#define SET_MAX		200000	/* user-side dedup sets are cleared beyond */

struct wl {
	struct cgroup_ident id;
};

struct name {
	char		 qname[DNS_NAME_MAX];
	uint64_t	 expires;	/* monotonic ns */
};

struct sysset {
	uint64_t	 w[CSYS_WORDS];
};

struct collect {
	struct collect_conf	 cf;
	char			 host[WIRE_HOST_MAX];
	char			 mnt[256];
	char			 procfs[64];
	uint32_t		 quiet[CQUIET_MAX];	/* Paddock's own */
	int			 nquiet;
	collect_emit_fn		*emit;
	void			*arg;
	struct ptable		 pt;
	struct tab		 wl;		/* cgid -> struct wl */
	struct tab		 names;		/* (workload, addr) -> name */
	struct tab		 once;		/* user-side dedup keys */
	struct tab		 sys;		/* workload -> published syscalls */
	struct tab		 touched;	/* cgids with records since the
						   last collect_active() */
	struct collect_stats	 st;
	uint64_t		 mono_now;
};

struct collect *
collect_new(const struct collect_conf *cf, collect_emit_fn *fn, void *arg)
{
	struct collect *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->cf = *cf;
	snprintf(c->host, sizeof(c->host), "%s", cf->host);
	snprintf(c->mnt, sizeof(c->mnt), "%s", cf->cgroup_mnt ?
	    cf->cgroup_mnt : "");
	snprintf(c->procfs, sizeof(c->procfs), "%s", cf->procfs ?
	    cf->procfs : "/proc");
	c->cf.host = c->host;
	c->cf.cgroup_mnt = c->mnt;
	c->cf.procfs = c->procfs;
	c->emit = fn;
	c->arg = arg;
	if (ptable_init(&c->pt) < 0 || tab_init(&c->wl, 256) < 0 ||
	    tab_init(&c->names, 256) < 0 || tab_init(&c->once, 1024) < 0 ||
	    tab_init(&c->sys, 256) < 0 || tab_init(&c->touched, 256) < 0) {
		collect_free(c);
		return NULL;
	}
	return c;
}

void
collect_free(struct collect *c)
{
	if (c == NULL)
		return;
	ptable_free(&c->pt);
	tab_free(&c->wl, free);
	tab_free(&c->names, free);
	tab_free(&c->once, NULL);
	tab_free(&c->sys, free);
	tab_free(&c->touched, NULL);
	free(c);
}

void
collect_stats(const struct collect *c, struct collect_stats *st)
{
	*st = c->st;
}

/* 1 the first time key is seen, 0 after. */
static int
once(struct collect *c, uint64_t key)
{
	int err = 0;

	if (tab_get(&c->once, key) != NULL) {
		c->st.user_dedup++;
		return 0;
	}
	if (c->once.n > SET_MAX) {
		tab_free(&c->once, NULL);
		if (tab_init(&c->once, 1024) < 0)
			return 1;
	}
	tab_put(&c->once, key, (void *)1, &err);
	return 1;
}

static struct wl *
wl_set(struct collect *c, uint64_t cgid, const char *path)
{
	struct wl *w = calloc(1, sizeof(*w)), *old;
	int err = 0;

	if (w == NULL)
		return NULL;
	cgroup_identity(path, &w->id);
	old = tab_put(&c->wl, cgid, w, &err);
	free(old);
	if (err < 0) {
		free(w);
		return NULL;
	}
	return w;
}

const struct cgroup_ident *
collect_workload(struct collect *c, uint64_t cgid)
{
	static struct cgroup_ident unknown;
	char path[WIRE_PATH_MAX];
	struct wl *w;
	int err = 0;

	if ((w = tab_get(&c->wl, cgid)) != NULL)
		return &w->id;
	if (c->mnt[0] != '\0' &&
	    cgroup_path_of(c->mnt, cgid, path, sizeof(path)) == 0 &&
	    (w = wl_set(c, cgid, path)) != NULL)
		return &w->id;
	/* Gone, but the kernel kept its name (made while we were down). */
	if (c->cf.cgname != NULL &&
	    c->cf.cgname(c->cf.cgname_arg, cgid, path, sizeof(path)) == 0 &&
	    (w = wl_set(c, cgid, path)) != NULL)
		return &w->id;
	/*
	 * Gone before we could ask, and made before we started.  Remembered,
	 * so that later records of this id cost no more lookups.
	 */
	if ((w = calloc(1, sizeof(*w))) != NULL) {
		snprintf(w->id.name, sizeof(w->id.name), "cgroup-%llu",
		    (unsigned long long)cgid);
		w->id.kind = WL_HOST;
		tab_put(&c->wl, cgid, w, &err);
		if (err == 0)
			return &w->id;
		free(w);
	}
	memset(&unknown, 0, sizeof(unknown));
	snprintf(unknown.name, sizeof(unknown.name), "cgroup-%llu",
	    (unsigned long long)cgid);
	unknown.kind = WL_HOST;
	return &unknown;
}

static void
ev_init(struct collect *c, struct wire_event *ev, unsigned type,
    const struct crec_hdr *h)
{
	const struct cgroup_ident *id = collect_workload(c, h->cgid);

	memset(ev, 0, sizeof(*ev));
	ev->type = (uint8_t)type;
	ev->ts = h->ts + c->cf.boot_offset_ns;
	snprintf(ev->host, sizeof(ev->host), "%s", c->host);
	snprintf(ev->workload, sizeof(ev->workload), "%s", id->name);
	ev->wkind = id->kind;
	ev->cgid = h->cgid;
	ev->pid = h->pid;
}

/* "leaf\0parent\0...\0" -> "/.../parent/leaf". */
static void
path_rebuild(const char *comp, uint32_t len, uint16_t flags, char *out,
    size_t outlen)
{
	size_t ends[CPATH_DEPTH + 1], n = 0, o = 0, i;
	size_t p = 0;

	if (len > CPATH_MAX)
		len = CPATH_MAX;
	while (p < len && n < CPATH_DEPTH + 1) {
		size_t l = strnlen(comp + p, len - p);

		ends[n++] = p;
		p += l + 1;
	}
	if (flags & CP_TRUNC)
		o += (size_t)snprintf(out, outlen, "...");
	for (i = n; i-- > 0 && o < outlen;) {
		const char *s = comp + ends[i];
		size_t l = strnlen(s, len - ends[i]);

		if (l == 1 && s[0] == '/')
			continue;	/* a root's own name */
		o += (size_t)snprintf(out + o, outlen - o, "/%.*s", (int)l, s);
	}
	if (o == 0)
		snprintf(out, outlen, "/");
	else if ((flags & CP_DELETED) && o < outlen)
		snprintf(out + o, outlen - o, " (deleted)");
}

static void
lineage_build(struct collect *c, uint32_t pid, const char *workload,
    struct wire_proc *v, uint32_t *n)
{
	struct wire_proc tmp[WIRE_LINEAGE_MAX];
	uint32_t k = 0, i;
	struct proc *p = ptable_get(&c->pt, pid);

	while (p != NULL && k < WIRE_LINEAGE_MAX) {
		struct proc *pp;

		tmp[k].pid = p->pid;
		tmp[k].exe = p->exe ? p->exe : (char *)"?";
		tmp[k].args = p->args;
		k++;
		if (p->ppid == 0 || p->ppid == p->pid ||
		    (pp = ptable_get(&c->pt, p->ppid)) == NULL)
			break;
		if (strcmp(collect_workload(c, pp->cgid)->name, workload) != 0)
			break;	/* the workload's first process reached */
		p = pp;
	}
	for (i = 0; i < k; i++)
		v[i] = tmp[k - 1 - i];
	*n = k;
}

static void
fill_proc(struct collect *c, struct wire_event *ev)
{
	struct proc *p = ptable_get(&c->pt, ev->pid);

	if (p != NULL) {
		ev->ppid = p->ppid;
		ev->exe = p->exe;
	}
}

static void
emit(struct collect *c, const struct wire_event *ev)
{
	c->st.events++;
	c->emit(c->arg, ev);
}

static int
on_exec(struct collect *c, const void *data)
{
	const struct crec_exec *r = data;
	struct wire_proc lin[WIRE_LINEAGE_MAX];
	char path[WIRE_PATH_MAX], args[WIRE_ARGV_MAX];
	struct wire_event ev;
	struct proc *p;
	uint32_t alen = r->argv_len;

	if (alen > CARGV_MAX)
		return -EINVAL;
	path_rebuild(r->path, r->path_len, r->path_flags, path, sizeof(path));
	if ((p = ptable_get(&c->pt, r->h.pid)) == NULL ||
	    p->dead_ns != 0)
		p = ptable_new(&c->pt, r->h.pid, r->ppid, r->h.cgid);
	if (p == NULL)
		return -ENOMEM;
	p->ppid = r->ppid;
	p->cgid = r->h.cgid;
	ptable_exe_remember(&c->pt, r->dev, r->ino, path);

	ev_init(c, &ev, EV_EXEC, &r->h);
	/* Keep whole strings; a cut one is dropped and flagged. */
	while (alen > 0 && r->argv[alen - 1] != '\0')
		alen--;
	if (alen > 0 && wire_argv_set(&ev.argv, r->argv, alen) < 0)
		alen = 0;
	ev.argv_trunc = r->argv_trunc || alen != r->argv_len;
	wire_argv_join(&ev.argv, args, sizeof(args));
	ptable_set_exe(p, path, args);
	ev.ppid = r->ppid;
	ev.uid = r->uid;
	ev.euid = r->euid;
	ev.exe = p->exe;
	lineage_build(c, r->h.pid, ev.workload, lin, &ev.lineage.n);
	ev.lineage.v = lin;
	emit(c, &ev);
	free(ev.argv.buf);
	return 0;
}

static int
on_exec_seen(struct collect *c, const void *data)
{
	const struct crec_exec_seen *r = data;
	const char *exe = ptable_exe_path(&c->pt, r->dev, r->ino);
	char buf[WIRE_PATH_MAX], link[128];
	struct proc *p;
	ssize_t n;

	if ((p = ptable_get(&c->pt, r->h.pid)) == NULL || p->dead_ns != 0)
		p = ptable_new(&c->pt, r->h.pid, r->ppid, r->h.cgid);
	if (p == NULL)
		return -ENOMEM;
	p->ppid = r->ppid;
	p->cgid = r->h.cgid;
	if (exe == NULL) {
		snprintf(link, sizeof(link), "%s/%u/exe", c->procfs, r->h.pid);
		if ((n = readlink(link, buf, sizeof(buf) - 1)) > 0) {
			buf[n] = '\0';
			exe = buf;
			ptable_exe_remember(&c->pt, r->dev, r->ino, buf);
		}
	}
	if (exe != NULL)
		ptable_set_exe(p, exe, NULL);
	return 0;
}

static void
copy_str(char *out, size_t outlen, const char *s)
{
	size_t l = strnlen(s, outlen - 1);

	memcpy(out, s, l);
	out[l] = '\0';
}

/* Make a caller's relative path absolute from /proc (best effort). */
static void
absolutise(struct collect *c, uint32_t pid, int32_t dirfd, const char *rel,
    char *out, size_t outlen)
{
	char link[128], base[WIRE_PATH_MAX];
	ssize_t n;

	copy_str(out, outlen, rel);
	if (rel[0] == '/')
		return;
	if (dirfd == -100)
		snprintf(link, sizeof(link), "%s/%u/cwd", c->procfs, pid);
	else
		snprintf(link, sizeof(link), "%s/%u/fd/%d", c->procfs, pid,
		    dirfd);
	if ((n = readlink(link, base, sizeof(base) - 1)) <= 0)
		return;
	base[n] = '\0';
	if ((size_t)snprintf(out, outlen, "%s/%s", strcmp(base, "/") ? base :
	    "", rel) >= outlen)
		copy_str(out, outlen, rel);
}

static int
on_open(struct collect *c, const void *data)
{
	const struct crec_open *r = data;
	char path[WIRE_PATH_MAX];
	struct wire_event ev;

	if (r->path_len > CPATH_MAX)
		return -EINVAL;
	ev_init(c, &ev, EV_OPEN, &r->h);
	fill_proc(c, &ev);
	if (r->kind == CO_UNIX) {
		/* A unix address, as given: "@name" (abstract), or a name,
		 * relative to the working directory when not absolute. */
		char rel[CPATH_MAX + 1];

		memcpy(rel, r->path, r->path_len);
		rel[r->path_len < CPATH_MAX ? r->path_len : CPATH_MAX] = '\0';
		if (rel[0] == '@')
			copy_str(path, sizeof(path), rel);
		else
			absolutise(c, r->h.pid, -100, rel, path, sizeof(path));
		ev.resolved = 0;
	} else if (r->kind == CO_FAILED) {
		char rel[CPATH_MAX + 1];

		memcpy(rel, r->path, r->path_len);
		rel[r->path_len < CPATH_MAX ? r->path_len : CPATH_MAX] = '\0';
		absolutise(c, r->h.pid, r->dirfd, rel, path, sizeof(path));
		ev.resolved = 0;
		ev.result = r->result;
	} else {
		path_rebuild(r->path, r->path_len, r->path_flags, path,
		    sizeof(path));
		ev.resolved = 1;
	}
	ev.path = path;
	ev.mode = r->mode;
	ev.flags = r->flags;
	emit(c, &ev);
	return 0;
}

static uint64_t
name_key(const char *workload, uint8_t fam, const uint8_t *addr)
{
	uint64_t h = tab_hash(workload, strlen(workload), 0);

	h = tab_hash(&fam, 1, h);
	return tab_hash(addr, fam == 4 ? 4 : 16, h);
}

static const char *
name_of(struct collect *c, const char *workload, uint8_t fam,
    const uint8_t *addr)
{
	struct name *n = tab_get(&c->names, name_key(workload, fam, addr));

	if (n == NULL || (c->mono_now && n->expires < c->mono_now))
		return NULL;
	return n->qname;
}

static int
on_net(struct collect *c, const void *data)
{
	const struct crec_net *r = data;
	static const uint8_t types[] = {
		[CN_CONNECT] = EV_CONNECT, [CN_SENDTO] = EV_SENDTO,
		[CN_BIND] = EV_BIND, [CN_LISTEN] = EV_LISTEN,
		[CN_ACCEPT] = EV_ACCEPT,
	};
	struct wire_event ev;

	if (r->kind > CN_ACCEPT || (r->family != 4 && r->family != 6))
		return -EINVAL;
	ev_init(c, &ev, types[r->kind], &r->h);
	fill_proc(c, &ev);
	ev.family = r->family;
	ev.proto = r->proto;
	ev.port = r->port;
	inet_ntop(r->family == 4 ? AF_INET : AF_INET6, r->addr, ev.addr,
	    sizeof(ev.addr));
	if (r->kind == CN_CONNECT || r->kind == CN_SENDTO)
		ev.name = (char *)name_of(c, ev.workload, r->family, r->addr);
	emit(c, &ev);
	return 0;
}

static int
on_dns(struct collect *c, const void *data)
{
	const struct crec_dns *r = data;
	char addrs[WIRE_DNS_ADDRS_MAX][WIRE_ADDR_MAX];
	char *list[WIRE_DNS_ADDRS_MAX];
	struct dns_answer a;
	struct wire_event ev;
	uint64_t key;
	int i, rc;

	if (r->len > CDNS_MAX)
		return -EINVAL;
	if ((rc = dns_parse(r->data, r->len, &a)) < 0) {
		if (rc == -EINVAL)
			c->st.dns_bad++;
		return 0;	/* a bad packet is not a bad record */
	}
	ev_init(c, &ev, EV_DNS, &r->h);
	ev.pid = 0;
	key = tab_hash(ev.workload, strlen(ev.workload), 0);
	key = tab_hash(a.qname, strlen(a.qname), key);
	for (i = 0; i < a.naddr; i++) {
		uint64_t nk = name_key(ev.workload, a.addr[i].family,
		    a.addr[i].addr);
		struct name *n = tab_get(&c->names, nk);
		int err = 0;

		if (n == NULL && (n = calloc(1, sizeof(*n))) != NULL &&
		    (tab_put(&c->names, nk, n, &err), err < 0)) {
			free(n);
			n = NULL;
		}
		if (n != NULL) {
			snprintf(n->qname, sizeof(n->qname), "%s", a.qname);
			n->expires = r->h.ts + (uint64_t)a.ttl * 1000000000ull +
			    c->cf.dns_grace_ns;
		}
		inet_ntop(a.addr[i].family == 4 ? AF_INET : AF_INET6,
		    a.addr[i].addr, addrs[i], sizeof(addrs[i]));
		list[i] = addrs[i];
		key = tab_hash(a.addr[i].addr, 16, key);
	}
	if (!once(c, key))
		return 0;
	ev.qname = a.qname;
	ev.answers.v = list;
	ev.answers.n = (uint32_t)a.naddr;
	ev.ttl = a.ttl;
	emit(c, &ev);
	return 0;
}

static int
on_fork(struct collect *c, const void *data)
{
	const struct crec_fork *r = data;

	return ptable_new(&c->pt, r->h.pid, r->ppid, r->h.cgid) == NULL ?
	    -ENOMEM : 0;
}

static int
on_exit_(struct collect *c, const void *data)
{
	const struct crec_hdr *h = data;

	ptable_exit(&c->pt, h->pid, h->ts);
	return 0;
}

static int
on_cgroup(struct collect *c, const void *data)
{
	const struct crec_cgroup *r = data;
	char path[CPATH_MAX];

	memcpy(path, r->path, sizeof(path));
	path[sizeof(path) - 1] = '\0';
	return wl_set(c, r->h.cgid, path) == NULL ? -ENOMEM : 0;
}

/* Each record type: its size and handler. */
static const struct {
	size_t	 size;
	int	(*fn)(struct collect *c, const void *data);
} handlers[] = {
	[CR_FORK] = { sizeof(struct crec_fork), on_fork },
	[CR_EXEC] = { sizeof(struct crec_exec), on_exec },
	[CR_EXEC_SEEN] = { sizeof(struct crec_exec_seen), on_exec_seen },
	[CR_EXIT] = { sizeof(struct crec_hdr), on_exit_ },
	[CR_OPEN] = { sizeof(struct crec_open), on_open },
	[CR_NET] = { sizeof(struct crec_net), on_net },
	[CR_DNS] = { sizeof(struct crec_dns), on_dns },
	[CR_CGROUP] = { sizeof(struct crec_cgroup), on_cgroup },
};

int
collect_record(struct collect *c, const void *data, size_t len)
{
	const struct crec_hdr *h = data;
	int rc, err = 0;

	c->st.records++;
	if (len < sizeof(*h) ||
	    h->type >= sizeof(handlers) / sizeof(handlers[0]) ||
	    handlers[h->type].fn == NULL || len < handlers[h->type].size) {
		c->st.bad++;
		return -EINVAL;
	}
	if (h->ts > c->mono_now)
		c->mono_now = h->ts;
	if (h->cgid != 0 && tab_get(&c->touched, h->cgid) == NULL)
		tab_put(&c->touched, h->cgid, (void *)1, &err);
	if ((rc = handlers[h->type].fn(c, data)) == -EINVAL)
		c->st.bad++;
	return rc;
}

void
collect_syscalls(struct collect *c, uint64_t cgid,
    const uint64_t bits[CSYS_WORDS], uint64_t now_ns)
{
	const struct cgroup_ident *id = collect_workload(c, cgid);
	uint64_t key = tab_hash(id->name, strlen(id->name), 0);
	struct sysset *s = tab_get(&c->sys, key);
	struct wire_event ev;
	struct crec_hdr h = { .cgid = cgid, .ts = now_ns };
	int i, news = 0, err = 0;

	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return;
		tab_put(&c->sys, key, s, &err);
		if (err < 0) {
			free(s);
			return;
		}
	}
	for (i = 0; i < CSYS_WORDS; i++) {
		if (bits[i] & ~s->w[i])
			news = 1;
		s->w[i] |= bits[i];
	}
	if (!news)
		return;
	ev_init(c, &ev, EV_SYSCALLS, &h);
	ev.pid = 0;
	memcpy(ev.syscalls, s->w, sizeof(ev.syscalls));
	emit(c, &ev);
}

void
collect_lost(struct collect *c, uint64_t cgid, uint64_t lost,
    uint64_t now_ns)
{
	struct crec_hdr h = { .cgid = cgid, .ts = now_ns };
	struct wire_event ev;

	if (lost == 0)
		return;
	ev_init(c, &ev, EV_LOSS, &h);
	ev.pid = 0;
	ev.lost = lost;
	emit(c, &ev);
}

struct active_wl {
	uint64_t	 cgid;		/* one cgroup of the workload */
	uint32_t	 procs;
};

struct active_ctx {
	struct collect	*c;
	struct tab	 seen;		/* workload name hash -> active_wl */
	int		 err;
};

static void
active_add(struct active_ctx *a, uint64_t cgid, uint32_t procs)
{
	const struct cgroup_ident *id;
	struct active_wl *w;
	uint64_t key;

	id = collect_workload(a->c, cgid);
	key = tab_hash(id->name, strlen(id->name), 0);
	if ((w = tab_get(&a->seen, key)) == NULL) {
		if ((w = calloc(1, sizeof(*w))) == NULL) {
			a->err = -ENOMEM;
			return;
		}
		w->cgid = cgid;
		tab_put(&a->seen, key, w, &a->err);
		if (a->err < 0) {
			free(w);
			return;
		}
	}
	w->procs += procs;
}

static int
active_count(void *v, void *arg)
{
	struct proc *p = v;
	struct active_ctx *a = arg;

	if (p->dead_ns == 0 && a->err == 0)
		active_add(a, p->cgid, 1);
	return 0;
}

static int
active_forget(void *v, void *arg)
{
	return 1;
}

/*
 * The profiler's clock of "active time": one EV_ACTIVE per workload that
 * has live processes or had records since the last call (short-lived jobs
 * count), standing for span_ns of activity.  Called every
 * collectd.active_interval; a workload with nothing running sends nothing,
 * so a stopped service does not look "quiet" while it does nothing.
 */
void
collect_active(struct collect *c, uint64_t now_ns, uint64_t span_ns)
{
	struct active_ctx a = { .c = c };
	struct wire_event ev;
	size_t i;

	if (tab_init(&a.seen, 64) < 0)
		return;
	tab_sweep(&c->pt.procs, active_count, &a);
	for (i = 0; i < c->touched.nb; i++) {
		struct tab_ent *e, *next;

		for (e = c->touched.b[i]; e != NULL; e = next) {
			next = e->next;
			if (a.err == 0)
				active_add(&a, e->key, 0);
		}
	}
	tab_sweep(&c->touched, active_forget, NULL);
	for (i = 0; i < a.seen.nb; i++) {
		struct tab_ent *e;

		for (e = a.seen.b[i]; e != NULL; e = e->next) {
			struct active_wl *w = e->val;
			struct crec_hdr h = { .cgid = w->cgid, .ts = now_ns };

			ev_init(c, &ev, EV_ACTIVE, &h);
			ev.pid = 0;
			ev.span = span_ns;
			ev.procs = w->procs;
			emit(c, &ev);
		}
	}
	tab_free(&a.seen, free);
}

static int
name_expired(void *v, void *arg)
{
	struct name *n = v;
	uint64_t now = *(uint64_t *)arg;

	if (n->expires >= now)
		return 0;
	free(n);
	return 1;
}

void
collect_tick(struct collect *c, uint64_t mono_ns)
{
	c->mono_now = mono_ns;
	ptable_reap(&c->pt, mono_ns, KEEP_DEAD_NS);
	tab_sweep(&c->names, name_expired, &mono_ns);
}

static int
is_quiet(const struct collect *c, uint32_t pid)
{
	int i;

	for (i = 0; i < c->nquiet; i++)
		if (c->quiet[i] == pid)
			return 1;
	return 0;
}

void
collect_quiet(struct collect *c, const uint32_t *pids, int n)
{
	c->nquiet = n < CQUIET_MAX ? n : CQUIET_MAX;
	memcpy(c->quiet, pids, (size_t)c->nquiet * sizeof(*pids));
}

int
collect_seed(struct collect *c, int resumed)
{
	struct proc_seed *s;
	struct dirent *de;
	DIR *dir;
	uint32_t *pids = NULL;
	size_t n = 0, cap = 0, i;
	uint64_t now = c->mono_now;

	if ((dir = opendir(c->procfs)) == NULL)
		return -errno;
	if ((s = malloc(sizeof(*s))) == NULL) {
		closedir(dir);
		return -ENOMEM;
	}
	/* Pass 1: the table, so that lineages are whole in pass 2. */
	while ((de = readdir(dir)) != NULL) {
		char path[WIRE_PATH_MAX + 300], args[WIRE_ARGV_MAX];
		struct wire_argv av = { 0 };
		unsigned long pid;
		uint64_t cgid;
		struct proc *p;
		char *end;

		pid = strtoul(de->d_name, &end, 10);
		if (*end != '\0' || pid == 0 || pid == (unsigned long)getpid() ||
		    is_quiet(c, (uint32_t)pid))
			continue;
		if (proc_read(c->procfs, (uint32_t)pid, c->cf.argv_max, s) < 0)
			continue;
		snprintf(path, sizeof(path), "%s%s", c->mnt, s->cgroup);
		if (cgroup_id_of(path, &cgid) < 0)
			continue;
		if (tab_get(&c->wl, cgid) == NULL)
			wl_set(c, cgid, s->cgroup);
		if ((p = ptable_new(&c->pt, s->pid, s->ppid, cgid)) == NULL)
			continue;
		if (s->argv_len > 0 &&
		    wire_argv_set(&av, s->argv, s->argv_len) == 0) {
			wire_argv_join(&av, args, sizeof(args));
			free(av.buf);
		} else {
			args[0] = '\0';
		}
		ptable_set_exe(p, s->exe, args);
		p->seeded = 1;
		if (n == cap) {
			uint32_t *np = realloc(pids, (cap = cap ? cap * 2 : 256) *
			    sizeof(*pids));

			if (np == NULL)
				break;
			pids = np;
		}
		pids[n++] = s->pid;
	}
	closedir(dir);
	free(s);

	/* Pass 2: one seeded exec per (workload, parent exe, exe). */
	for (i = 0; i < n; i++) {
		struct wire_proc lin[WIRE_LINEAGE_MAX];
		struct proc *p = ptable_get(&c->pt, pids[i]), *pp;
		struct crec_hdr h;
		struct wire_event ev;
		uint64_t key;

		if (p == NULL || p->exe == NULL)
			continue;
		h.type = CR_EXEC;
		h.pid = p->pid;
		h.ts = now;
		h.cgid = p->cgid;
		ev_init(c, &ev, EV_EXEC, &h);
		pp = ptable_get(&c->pt, p->ppid);
		key = tab_hash(ev.workload, strlen(ev.workload), 0);
		key = tab_hash(p->exe, strlen(p->exe), key);
		if (pp != NULL && pp->exe != NULL)
			key = tab_hash(pp->exe, strlen(pp->exe), key);
		if (!once(c, key))
			continue;
		ev.ppid = p->ppid;
		ev.exe = p->exe;
		ev.seeded = resumed ? 0 : 1;
		lineage_build(c, p->pid, ev.workload, lin, &ev.lineage.n);
		ev.lineage.v = lin;
		emit(c, &ev);
	}
	free(pids);
	return 0;
}
