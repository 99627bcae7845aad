/*
 * enforce_core.h: the maps and decisions both enforcement objects share.
 *
 * enforce.bpf.c (network, the SIGKILL fallback for exec and files,
 * syscalls) and enforce_lsm.bpf.c (exec and files where BPF LSM is on)
 * include this file.  Both objects use the same maps: paddock-enforced
 * pins them by name, and the second object loaded reuses the pins.  So a
 * decision is one function, whichever hook asks.
 *
 * Which workload: the current cgroup's entry in `cg_cache` when its
 * generation is current (one hash lookup: all that a process outside
 * every policy pays); else the deepest ancestor found in `wl_cg`,
 * remembered in the cache.  Userspace bumps `ctl.gen` after every change,
 * which retires every cached answer at once.
 *
 * Paths: the kernel's struct file, walked (walk.h) and laid out root
 * first in a per-CPU buffer, never the string the caller passed: a
 * symlink, a relative path, "..", or /proc/self/fd/N all name the file
 * they lead to.  Exact rules are one hash lookup (FNV-1a 64 of the path,
 * enforced computes the same); rules with wildcards are matched in order
 * by a step machine under bpf_loop ("*" within a component, a final "**"
 * for one or more components below; rules_glob() in enforced/rules.c is
 * the reference and its unit test the specification).  A path longer
 * than EPATH_MAX matches nothing: deny, never allow, by default.
 *
 * Allowed file opens are remembered per (workload, device, inode, modes)
 * in the LRU `fcache` with the generation: a repeat costs one lookup.
 */
#ifndef PADDOCK_ENFORCE_CORE_H
#define PADDOCK_ENFORCE_CORE_H

#include "enforce.h"

#define WALK_DEPTH	64
#include "walk.h"		/* struct walk */

#define MAX_LEVELS	12
#define EFK_QUAR	0x80	/* efile_key.want: a quarantined inode */
#define GLOB_STEPS	(1 << 16)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);		/* cgroup id */
	__type(value, struct ewl);
} wl_cg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);		/* FNV-1a of a cgroup directory name */
	__type(value, struct ewl);
} wl_names SEC(".maps");

/* Userspace only: workload id -> name and policy revision. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct ewl_info);
} wl_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ectl);
} ctl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);		/* current cgroup id */
	__type(value, struct ecache);
} cg_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);		/* wid */
	__type(value, struct epol);
} pol SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct eexact_key);
	__type(value, __u8);		/* EM_* */
} exact SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct epat_key);
	__type(value, struct epat);
} pats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct efile_key);
	__type(value, __u64);		/* generation */
} fcache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct eallow_key);
	__type(value, __u64);		/* expiry, 0: none */
} allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct edns_key);
	__type(value, struct edns_rule);
} dns_allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct eprot_inode);
	__type(value, __u8);
} prot_sock SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct eprot_net);
	__type(value, __u8);
} prot_net SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct eprot_upath);
	__type(value, __u8);
} prot_upath SEC(".maps");

/* Paddock's secrets (the operators' keys): no workload in alert or
 * enforce opens them, whatever its file rules say. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct eprot_inode);
	__type(value, __u8);
} prot_file SEC(".maps");

/* 1 when f is one of Paddock's secrets (prot_file). */
static __always_inline int
protected_file(struct file *f)
{
	struct eprot_inode k;

	k.dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	k.ino = BPF_CORE_READ(f, f_inode, i_ino);
	return bpf_map_lookup_elem(&prot_file, &k) != NULL;
}

/*
 * Inodes no workload in alert or enforce may open or run: what a link or
 * rename outside the policy left at a name (enforced adds them from the
 * violation, by the name's inode; the call itself ran, see name_ok()).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct eprot_inode);
	__type(value, __u8);
} quar SEC(".maps");

/* Processes killed in a link, rename or symlink whose return enforced
 * waits for (tgid -> 1): enf_sys_exit sends an EREC_LINKED record. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} linkpend SEC(".maps");

/*
 * A workload process that opened a cgroup file for writing (tgid -> its
 * workload):
 * killed at once, but a second thread may still write through the fd
 * before the kill lands; a cgroup move it makes is then undone by killing
 * the process moved (cgroup_attach_task).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct ecache);	/* its workload, as it was */
} cgwriter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);		/* tgid, tid or pgid of a Paddock daemon */
	__type(value, __u8);		/* EPROT_* */
} prot_pid SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);	/* an LRU: room, so no flood evicts */
	__type(key, __u32);		/* tgid of the sender */
	__type(value, __u64);		/* ktime of its attempt */
} sigmark SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EBPFFS_N);
	__type(key, __u32);
	__type(value, struct ebpffs);
} bpffs_at SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct evseen_key);
	__type(value, struct evseen);
} vseen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);		/* wid */
	__type(value, struct evrate);
} vrate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct ednsq_key);
	__type(value, __u64);		/* FNV-1a 64 of the name asked */
} dnsq SEC(".maps");

/* Address -> the DNS name an enforced workload last got it for. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct ednsaddr);
	__type(value, struct ednsname);
} dns_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} viol SEC(".maps");

/*
 * The state of a pattern match.  It lives in the per-CPU scratch map, not
 * on the stack: the verifier does not track map contents, so glob_step()
 * is verified once instead of once per value its counters take.
 */
struct glob {
	__u32	wid;
	__u16	dim;
	__u16	npat;
	__u16	pi;		/* pattern being matched */
	__u16	plen;
	__u16	loaded;
	__u8	want;
	__u8	got;		/* EM_* granted by the patterns matched */
	__u8	pmodes;		/* EM_* of the pattern being matched */
	__u8	pad[3];
	__s32	i, j, si, sj;
	__u32	n;		/* path length */
};

/* Laying a walk out root first, and hashing it. */
struct lay {
	__u32	pos;
	__u32	trunc;
	__u64	h;
};

/* Per-CPU work space: the walk, the path root first, one pattern. */
struct escratch {
	char	qname[EDNS_NAME_MAX];	/* a DNS question, as text */
	__u32	qpos;
	struct walk w;
	struct glob g;
	struct lay lay;
	char	walk[EPATH_MAX + 256];
	char	path[EPATH_MAX + 256];
	char	pat[EPAT_MAX];
	struct eanc lin[ELIN_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct escratch);
} escratch SEC(".maps");

#define WALK_SCRATCH	escratch
#define WALK_BUF(s)	((s)->walk)
#define WALK_STATE(s)	(&(s)->w)
#define WALK_MAX	EPATH_MAX
#define WALK_NAME	256
#define WALK_TRUNC	EP_TRUNC
#include "walk.h"

/* One byte into an FNV-1a 64 hash (enforced/rules.c computes the same). */
static __always_inline __u64
fnv1a(__u64 h, __u8 c)
{
	return (h ^ c) * 0x100000001b3ULL;
}

#define FNV1A_INIT	0xcbf29ce484222325ULL

/* ------------------------------------------------------------ workload */

static __always_inline __u64
cur_gen(void)
{
	__u32 zero = 0;
	struct ectl *g = bpf_map_lookup_elem(&ctl, &zero);

	return g ? g->gen : 0;
}

/*
 * 1 when cgroup cg's cached answer is of the current generation (then *c
 * is that answer); else 0 and *c is empty, of the current generation.
 */
static __always_inline int
cache_hit(__u64 cg, struct ecache *c)
{
	struct ecache *hit = bpf_map_lookup_elem(&cg_cache, &cg);
	__u64 gen = cur_gen();

	if (hit != NULL && hit->gen == gen) {
		*c = *hit;
		return 1;
	}
	__builtin_memset(c, 0, sizeof(*c));
	c->gen = gen;
	return 0;
}

/* Level i+1 of the current cgroup's ancestry; the deepest match wins. */
static long
level_step(__u32 i, void *arg)
{
	struct ecache *c = arg;
	__u64 id = bpf_get_current_ancestor_cgroup_id((int)i + 1);
	struct ewl *x;

	if (id == 0)
		return 1;
	if ((x = bpf_map_lookup_elem(&wl_cg, &id)) != NULL) {
		c->w = *x;
		c->wcgid = id;
		c->level = i + 1;
		c->found = 1;
	}
	return 0;
}

/* 1 when the current task belongs to a registered workload: *c says which. */
static __always_inline int
resolve_wl(struct ecache *c)
{
	__u64 cg = bpf_get_current_cgroup_id();

	if (!cache_hit(cg, c)) {
		bpf_loop(MAX_LEVELS, level_step, c, 0);
		bpf_map_update_elem(&cg_cache, &cg, c, BPF_ANY);
	}
	return c->found;
}

/* The same for a packet: its socket's cgroup, unrolled (no callbacks). */
static __always_inline int
resolve_wl_skb(struct __sk_buff *skb, struct ecache *c)
{
	__u64 cg = bpf_skb_cgroup_id(skb);
	int lvl;

	if (cache_hit(cg, c))
		return c->found;
	for (lvl = 1; lvl <= MAX_LEVELS; lvl++) {
		__u64 id = bpf_skb_ancestor_cgroup_id(skb, lvl);
		struct ewl *x;

		if (id == 0)
			break;
		if ((x = bpf_map_lookup_elem(&wl_cg, &id)) != NULL) {
			c->w = *x;
			c->wcgid = id;
			c->level = (__u32)lvl;
			c->found = 1;
		}
	}
	bpf_map_update_elem(&cg_cache, &cg, c, BPF_ANY);
	return c->found;
}

static __always_inline __u64
cur_flags(void)
{
	__u32 zero = 0;
	struct ectl *g = bpf_map_lookup_elem(&ctl, &zero);

	return g ? g->flags : 0;
}

/* Self-protection: a workload in alert or enforce on any dimension. */
static __always_inline int
guarded(const struct ecache *wh)
{
	return (wh->w.mode[0] | wh->w.mode[1] | wh->w.mode[2] |
	    wh->w.mode[3]) != EMODE_OFF;
}

/* 1 when syscall (or pseudo-syscall) nr is in wid's learnt set. */
static __always_inline int
sys_learnt(__u32 wid, long nr)
{
	struct epol *pl = bpf_map_lookup_elem(&pol, &wid);

	return pl != NULL && nr >= 0 && nr < ESYS_BYTES * 8 &&
	    (pl->sys[(nr >> 3) & (ESYS_BYTES - 1)] & (1 << (nr & 7)));
}

/* 1 when id is one of Paddock's protected ids (prot_pid) as need (EPROT_*). */
static __always_inline int
protected_id(__u32 id, __u8 need)
{
	__u8 *p = bpf_map_lookup_elem(&prot_pid, &id);

	return p != NULL && (*p & need);
}

/* ------------------------------------------------------------ paths */

/* Component n-1-i of the walk (root first) appended as "/name". */
static long
lay_step(__u32 i, void *arg)
{
	struct escratch *s;
	struct walk *w;
	struct lay *l;
	__u32 zero = 0, k, off, end, len;

	if ((s = bpf_map_lookup_elem(&escratch, &zero)) == NULL)
		return 1;
	w = &s->w;
	l = &s->lay;
	if (i >= w->n || i >= WALK_DEPTH)
		return 1;
	k = w->n - 1 - i;
	off = w->offs[k & (WALK_DEPTH - 1)];
	end = k + 1 < w->n ? w->offs[(k + 1) & (WALK_DEPTH - 1)] : w->off;
	len = end > off + 1 ? end - off - 1 : 0;	/* without the NUL */
	if (l->pos + 1 + len >= EPATH_MAX) {
		l->trunc = 1;
		return 1;
	}
	s->path[l->pos & (EPATH_MAX - 1)] = '/';
	l->pos++;
	if (len > 0 && bpf_probe_read_kernel(
	    s->path + (l->pos & (EPATH_MAX - 1)), len & 255,
	    s->walk + (off & (EPATH_MAX - 1))) < 0) {
		l->trunc = 1;
		return 1;
	}
	l->pos += len & 255;
	return 0;
}

static long
hash_step(__u32 i, void *arg)
{
	struct escratch *s;
	struct lay *hs;
	__u32 zero = 0;

	if ((s = bpf_map_lookup_elem(&escratch, &zero)) == NULL)
		return 1;
	hs = &s->lay;
	if (i >= hs->pos)
		return 1;
	hs->h = fnv1a(hs->h, (__u8)s->path[i & (EPATH_MAX - 1)]);
	return 0;
}

/*
 * The absolute path of (vm, d) into escratch.path, NUL-terminated.
 * Returns its length; *hash its FNV-1a 64; *flags EP_TRUNC when cut.
 */
static __always_inline __u32
file_path(struct vfsmount *vm, struct dentry *d, __u64 *hash, __u16 *flags)
{
	struct escratch *s;
	__u32 zero = 0;
	int dummy = 0;

	if ((s = bpf_map_lookup_elem(&escratch, &zero)) == NULL)
		return 0;
	__builtin_memset(&s->w, 0, sizeof(s->w));
	walk_run(&s->w, vm, d);
	s->lay.pos = 0;
	s->lay.trunc = 0;
	s->lay.h = FNV1A_INIT;
	if (s->w.n == 0) {
		s->path[0] = '/';
		s->lay.pos = 1;
	} else {
		bpf_loop(WALK_DEPTH, lay_step, &dummy, 0);
	}
	s->path[s->lay.pos & (EPATH_MAX - 1)] = '\0';
	*flags = s->w.flags | (s->lay.trunc ? EP_TRUNC : 0);
	bpf_loop(EPATH_MAX, hash_step, &dummy, 0);
	*hash = s->lay.h;
	return s->lay.pos;
}

/* ------------------------------------------------------------ patterns */


static long
glob_step(__u32 step, void *arg)
{
	struct escratch *s;
	struct epat_key k;
	struct epat *p;
	struct glob *g;
	__u32 zero = 0;
	char pc, qc;

	if ((s = bpf_map_lookup_elem(&escratch, &zero)) == NULL)
		return 1;
	g = &s->g;
	if (!g->loaded) {
		if (g->pi >= g->npat)
			return 1;
		k.wid = g->wid;
		k.dim = g->dim;
		k.idx = g->pi;
		p = bpf_map_lookup_elem(&pats, &k);
		if (p == NULL || (p->modes & g->want & ~g->got) == 0) {
			g->pi++;
			return 0;	/* nothing to gain from this one */
		}
		if (bpf_probe_read_kernel(s->pat, EPAT_MAX, p->s) < 0)
			return 1;
		g->plen = p->len < EPAT_MAX ? p->len : EPAT_MAX - 1;
		g->pmodes = p->modes;
		g->i = g->j = 0;
		g->si = g->sj = -1;
		g->loaded = 1;
		return 0;
	}
	pc = g->i < (__s32)g->n ? s->path[g->i & (EPATH_MAX - 1)] : 0;
	qc = g->j < g->plen ? s->pat[g->j & (EPAT_MAX - 1)] : 0;
	/* A final "/" "**": one or more components below. */
	if (qc == '*' && g->j + 2 == g->plen && g->j > 0 &&
	    s->pat[(g->j + 1) & (EPAT_MAX - 1)] == '*' &&
	    s->pat[(g->j - 1) & (EPAT_MAX - 1)] == '/') {
		if (g->i < (__s32)g->n)
			goto matched;
		goto mismatch;
	}
	if (g->i >= (__s32)g->n) {
		if (g->j >= g->plen)
			goto matched;
		if (qc == '*') {
			g->j++;
			return 0;
		}
		goto mismatch;
	}
	if (qc == '*') {
		g->si = g->i;
		g->sj = g->j;
		g->j++;
		return 0;
	}
	if (g->j < g->plen && qc == pc) {
		g->i++;
		g->j++;
		return 0;
	}
mismatch:
	if (g->sj >= 0 && g->si < (__s32)g->n &&
	    s->path[g->si & (EPATH_MAX - 1)] != '/') {
		g->si++;
		g->i = g->si;
		g->j = g->sj + 1;
		return 0;
	}
	g->pi++;
	g->loaded = 0;
	return 0;
matched:
	g->got |= g->pmodes;
	g->pi++;
	g->loaded = 0;
	return (g->got & g->want) == g->want;
}

/*
 * The EM_* bits of want that the workload's rules grant the path now in
 * escratch.path (length n, hash h) for dim (EDIM_EXEC or EDIM_FILE).
 */
static __always_inline __u8
granted(__u32 wid, __u32 dim, __u64 h, __u32 n, __u16 flags, __u8 want)
{
	struct eexact_key k = { .wid = wid, .dim = dim, .hash = h };
	struct escratch *s;
	struct epol *pl;
	__u32 zero = 0;
	__u8 got = 0, *m;
	int dummy = 0;

	if (flags & EP_TRUNC)
		return 0;	/* a path we could not see whole: deny */
	if ((m = bpf_map_lookup_elem(&exact, &k)) != NULL)
		got = *m & want;
	if ((got & want) == want)
		return got;
	if ((pl = bpf_map_lookup_elem(&pol, &wid)) == NULL ||
	    pl->npat[dim & 1] == 0 ||
	    (s = bpf_map_lookup_elem(&escratch, &zero)) == NULL)
		return got;
	__builtin_memset(&s->g, 0, sizeof(s->g));
	s->g.wid = wid;
	s->g.dim = (__u16)dim;
	s->g.npat = pl->npat[dim & 1];
	s->g.want = want;
	s->g.got = got;
	s->g.n = n;
	bpf_loop(GLOB_STEPS, glob_step, &dummy, 0);
	return s->g.got & want;
}

/* ------------------------------------------------------------ reports */

/*
 * 1 when this behaviour should be reported now, 2 when it is the first
 * time (then no rate limit may drop it); *supp: the skipped ones.
 */
static __always_inline int
report_due(__u32 wid, __u32 dim, __u64 what, __u64 now, __u64 *supp)
{
	struct evseen_key k = { .wid = wid, .dim = dim, .what = what };
	struct evseen v = { .ts = now }, *o;

	*supp = 0;
	if ((o = bpf_map_lookup_elem(&vseen, &k)) != NULL) {
		if (now - o->ts < 1000000000ULL) {
			__sync_fetch_and_add(&o->suppressed, 1);
			return 0;
		}
		*supp = o->suppressed;
		bpf_map_update_elem(&vseen, &k, &v, BPF_ANY);
		return 1;
	}
	bpf_map_update_elem(&vseen, &k, &v, BPF_ANY);
	return 2;
}

struct climb {
	__u64	t;		/* the task whose parent comes next */
	__u64	wcgid;
	__u32	level;
	__u32	n;
};

/* One ancestor into escratch.lin[i]. */
static long
climb_step(__u32 i, void *arg)
{
	struct climb *c = arg;
	struct task_struct *t = (void *)c->t;
	struct cgroup *cg, *anc = NULL;
	struct escratch *s;
	struct eanc *a;
	__u32 zero = 0, pid;

	/* bpf_loop() runs this ELIN_MAX times at most: the mask suffices. */
	if ((s = bpf_map_lookup_elem(&escratch, &zero)) == NULL)
		return 1;
	t = BPF_CORE_READ(t, real_parent);
	if (t == NULL || (pid = BPF_CORE_READ(t, tgid)) == 0)
		return 1;
	a = &s->lin[i & (ELIN_MAX - 1)];
	a->pid = pid;
	a->start = BPF_CORE_READ(t, start_boottime);
	bpf_probe_read_kernel_str(a->comm, 16, t->comm);
	a->inside = 0;
	cg = BPF_CORE_READ(t, cgroups, dfl_cgrp);
	if (cg != NULL && BPF_CORE_READ(cg, level) >= (int)c->level &&
	    c->level < 64) {
		bpf_probe_read_kernel(&anc, sizeof(anc),
		    &cg->ancestors[c->level & 63]);
		a->inside = anc != NULL && BPF_CORE_READ(anc, kn, id) == c->wcgid;
	}
	c->n = i + 1;
	c->t = (__u64)t;
	return pid == 1;
}

/* The offender's ancestors, parent first, each marked inside or not. */
static __always_inline void
fill_lineage(struct eviol *v, const struct ecache *wh)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct climb c = { .t = (__u64)t, .wcgid = wh->wcgid,
	    .level = wh->level };
	struct escratch *s;
	__u32 zero = 0;

	v->start = BPF_CORE_READ(t, start_boottime);
	bpf_loop(ELIN_MAX, climb_step, &c, 0);
	v->nlin = (__u16)c.n;
	if ((s = bpf_map_lookup_elem(&escratch, &zero)) != NULL)
		bpf_probe_read_kernel(v->lin, sizeof(v->lin), s->lin);
}

/*
 * A violation record, unless the same behaviour was reported less than a
 * second ago or the workload is over its rate.  Nothing is lost without a
 * trace: what is not sent is counted, in the next record of the same
 * behaviour (suppressed: its repeats) or, when the rate or a full ring
 * buffer held a record back, in the workload's next record (dropped:
 * other behaviours, with the repeats they carried).  The caller fills the behaviour and
 * submits it.  A workload reaching for Paddock (viol_protect) is never
 * held back by the rate: only the same attempt within a second is
 * counted instead of sent.
 */
static __always_inline struct eviol *
viol_begin_ex(const struct ecache *wh, __u32 dim, __u64 what, __u8 action,
    int protect)
{
	__u64 now = bpf_ktime_get_ns(), supp;
	struct eviol *v;

	struct evrate *rt, fresh = { .sec = now / 1000000000ULL };
	__u32 wid = wh->w.wid;
	int due;

	/* Keyed with the action: an alert after a denial is news. */
	if (!(due = report_due(wid, dim, what ^ ((__u64)action << 62), now,
	    &supp)))
		return NULL;
	/* A storm of repeats: at most EVIOL_RATE records a second per
	 * workload; the rest, and any the ring buffer refuses, counted.  The
	 * first record of a behaviour is never held back by the rate (a
	 * flood must not hide the one new object that matters). */
	if ((rt = bpf_map_lookup_elem(&vrate, &wid)) == NULL) {
		bpf_map_update_elem(&vrate, &wid, &fresh, BPF_NOEXIST);
		if ((rt = bpf_map_lookup_elem(&vrate, &wid)) == NULL)
			return NULL;
	}
	if (rt->sec != fresh.sec) {
		rt->sec = fresh.sec;
		rt->sent = 0;
	}
	if ((rt->sent >= EVIOL_RATE && due != 2 && !protect) ||
	    (v = bpf_ringbuf_reserve(&viol, sizeof(*v), 0)) == NULL) {
		/* This one and the repeats it would have carried.  A first
		 * one stays new: its next time is recorded in full. */
		__sync_fetch_and_add(&rt->dropped, 1 + supp);
		if (due == 2) {
			struct evseen_key k = { .wid = wid, .dim = dim,
			    .what = what ^ ((__u64)action << 62) };

			bpf_map_delete_elem(&vseen, &k);
		}
		return NULL;
	}
	rt->sent++;
	v->dropped = __sync_lock_test_and_set(&rt->dropped, 0);
	v->type = EREC_VIOL;
	v->pid = bpf_get_current_pid_tgid() >> 32;
	v->ts = now;
	v->cgid = bpf_get_current_cgroup_id();
	v->suppressed = supp;
	v->wid = wh->w.wid;
	v->dim = (__u8)dim;
	v->action = action;
	v->family = 0;
	v->proto = 0;
	v->port = 0;
	v->syscall = -1;
	v->mode = 0;
	v->target = 0;
	v->sig = 0;
	v->path_len = 0;
	v->path_flags = due == 2 ? EP_NEW : 0;
	__builtin_memset(v->addr, 0, sizeof(v->addr));
	bpf_get_current_comm(v->comm, sizeof(v->comm));
	fill_lineage(v, wh);
	return v;
}

#define viol_begin(wh, dim, what, action) \
	viol_begin_ex(wh, dim, what, action, 0)
#define viol_protect(wh, dim, what, action) \
	viol_begin_ex(wh, dim, what, action, 1)

/* Copy escratch.path (n bytes and its NUL) to dst; returns the bytes kept. */
static __always_inline __u16
copy_path(char dst[EPATH_MAX], __u32 n)
{
	struct escratch *s;
	__u32 zero = 0, len;

	if ((s = bpf_map_lookup_elem(&escratch, &zero)) == NULL)
		return 0;
	if (n > EPATH_MAX - 2)
		n = EPATH_MAX - 2;
	len = n + 1;
	barrier_var(len);	/* keep the mask: the verifier needs it */
	if (bpf_probe_read_kernel(dst, len & (EPATH_MAX - 1), s->path) < 0)
		return 0;
	return (__u16)n;
}

/* The path file_path() left in escratch.path: its length, hash, flags. */
struct epath {
	__u64	h;
	__u32	n;
	__u16	flags;
};

static __always_inline void
path_of(struct file *f, struct epath *p)
{
	p->flags = 0;
	p->n = file_path(BPF_CORE_READ(f, f_path.mnt),
	    BPF_CORE_READ(f, f_path.dentry), &p->h, &p->flags);
}

/*
 * 1 when file f, asked for want (EM_*) in dim, was allowed before in this
 * generation; *fk and *gen are what check_path() needs otherwise.
 */
static __always_inline int
file_cached(const struct ecache *wh, struct file *f, __u32 dim, __u8 want,
    struct efile_key *fk, __u64 *gen)
{
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	struct eprot_inode q;
	__u64 *g;

	fk->wid = wh->w.wid;
	fk->want = want | (dim << 4);
	fk->dev = BPF_CORE_READ(ino, i_sb, s_dev);
	fk->ino = BPF_CORE_READ(ino, i_ino);
	*gen = cur_gen();
	q.dev = fk->dev;
	q.ino = fk->ino;
	if (bpf_map_lookup_elem(&quar, &q) != NULL) {
		fk->want |= EFK_QUAR;	/* check_path() refuses it */
		fk->ino = 0;
		return 0;
	}
	/* A file with other names (hard links) is decided by the name it is
	 * reached by, every time: no cached answer lets a new name reach an
	 * inode that an allowed name reached before. */
	if ((BPF_CORE_READ(ino, i_mode) & 0170000) == 0100000 &&
	    BPF_CORE_READ(ino, __i_nlink) != 1) {
		fk->ino = 0;
		return 0;
	}
	return (g = bpf_map_lookup_elem(&fcache, fk)) != NULL && *g == *gen;
}

/*
 * Is the path p allowed for want?  1 yes (and remembered under fk), 0 no
 * (reported with action; the caller acts by mode).
 */
static __always_inline int
check_path(const struct ecache *wh, const struct efile_key *fk, __u64 gen,
    __u32 dim, __u8 want, __u8 action, const struct epath *p)
{
	struct eviol *v;

	if (!(fk->want & EFK_QUAR) &&
	    granted(wh->w.wid, dim, p->h, p->n, p->flags, want) == want) {
		if (fk->ino != 0)	/* 0: never cached (file_cached) */
			bpf_map_update_elem(&fcache, fk, &gen, BPF_ANY);
		return 1;
	}
	if ((v = viol_begin(wh, dim, p->h ^ want, action)) != NULL) {
		v->mode = want;
		v->path_len = copy_path(v->path, p->n);
		v->path_flags |= p->flags;
		bpf_ringbuf_submit(v, 0);
	}
	return 0;
}

/* Both steps, for a hook that needs the path only when it decides. */
static __always_inline int
check_file(const struct ecache *wh, struct file *f, __u32 dim, __u8 want,
    __u8 action)
{
	struct efile_key fk;
	struct epath p;
	__u64 gen;

	if (file_cached(wh, f, dim, want, &fk, &gen))
		return 1;
	path_of(f, &p);
	return check_path(wh, &fk, gen, dim, want, action, &p);
}

/*
 * A connect (nr 42) or datagram send (nr 44) to the unix socket named in
 * escratch.path (n bytes, hash h: the peer's own path as the kernel found
 * it, the name a send gave, or "@name" for an abstract socket): a write of
 * that name under the file rules.  1 allowed; else reported with action
 * and 0.
 */
static __always_inline int
unix_dest_ok(const struct ecache *wh, __u64 h, __u32 n, __u16 flags,
    __u8 action, int nr)
{
	struct eviol *v;

	if (wh->w.mode[EDIM_FILE] == EMODE_OFF ||
	    granted(wh->w.wid, EDIM_FILE, h, n, flags, EM_WRITE) == EM_WRITE)
		return 1;
	if ((v = viol_begin(wh, EDIM_FILE, h ^ EM_WRITE ^ 0x756e6978ULL,
	    action)) != NULL) {
		v->mode = EM_WRITE;
		v->syscall = nr;
		v->path_len = copy_path(v->path, n);
		v->path_flags |= flags;
		bpf_ringbuf_submit(v, 0);
	}
	return 0;
}

#endif
