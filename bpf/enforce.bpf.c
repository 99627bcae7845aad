// SPDX-License-Identifier: GPL-2.0
/*
 * enforce.bpf.c: the network dimension of paddock-enforced.
 *
 *   cgroup/connect4|6, sendmsg4|6   every TCP connect and UDP send of a
 *                                   process below the cgroups they are
 *                                   attached to (enforced attaches them to
 *                                   each workload's parent cgroup only)
 *   tp_btf/cgroup_mkdir             a new cgroup whose name belongs to a
 *                                   workload with a policy joins it at once
 *
 * Which workload: the deepest ancestor of the current cgroup found in
 * `wl_cg`.  A cgroup made after the policy (the next `paddockctl run`, a
 * restarted service) is added to `wl_cg` by the mkdir hook, in the kernel,
 * before any process can join it: its directory name is hashed (FNV-1a)
 * and looked up in `wl_names`, which enforced fills with the names that
 * identify each workload (paddock-<name>.slice, <name>.service).  No
 * window in which a new cgroup runs unenforced.
 *
 * Decision: off -> allow; else the destination (address, port, protocol)
 * is looked up in the LPM trie `allow` for the workload, first with the
 * port, then with port 0 (any).  Outside the policy: a record on `viol`,
 * and in block mode the connect/send fails with EPERM (return 0) before
 * any packet leaves.  Workloads without a policy cost the ancestor walk.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "enforce.h"

char LICENSE[] SEC("license") = "GPL";

#define MAX_LEVELS	12

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
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct eallow_key);
	__type(value, __u8);
} allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} viol SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[ENAME_MAX]);
} namebuf SEC(".maps");

static __always_inline struct ewl *
current_wl(__u64 *cgid)
{
	struct ewl *w = NULL, *x;
	int lvl;

	for (lvl = 1; lvl <= MAX_LEVELS; lvl++) {
		__u64 id = bpf_get_current_ancestor_cgroup_id(lvl);

		if (id == 0)
			break;
		if ((x = bpf_map_lookup_elem(&wl_cg, &id)) != NULL) {
			w = x;
			*cgid = id;
		}
	}
	return w;
}

static __always_inline int
decide(struct ewl *w, __u64 cgid, __u8 family, __u8 proto, __u16 port,
    const __u8 addr[16])
{
	struct eallow_key k = {};
	struct eviol *v;
	__u8 mode = w->mode[EDIM_NET];

	if (mode == EMODE_OFF)
		return 1;
	k.prefixlen = 64 + 128;
	k.wid = w->wid;
	k.port = port;
	k.proto = proto;
	__builtin_memcpy(k.addr, addr, 16);
	if (bpf_map_lookup_elem(&allow, &k) != NULL)
		return 1;
	k.port = 0;
	if (bpf_map_lookup_elem(&allow, &k) != NULL)
		return 1;
	if ((v = bpf_ringbuf_reserve(&viol, sizeof(*v), 0)) != NULL) {
		v->ts = bpf_ktime_get_ns();
		v->cgid = cgid;
		v->wid = w->wid;
		v->pid = bpf_get_current_pid_tgid() >> 32;
		v->dim = EDIM_NET;
		v->action = mode == EMODE_BLOCK;
		v->family = family;
		v->proto = proto;
		v->port = port;
		__builtin_memcpy(v->addr, addr, 16);
		bpf_get_current_comm(v->comm, sizeof(v->comm));
		bpf_ringbuf_submit(v, 0);
	}
	return mode == EMODE_BLOCK ? 0 : 1;
}

static __always_inline int
check4(struct bpf_sock_addr *ctx, __u8 proto)
{
	__u8 addr[16] = { [10] = 0xff, [11] = 0xff };
	__u64 cgid = 0;
	struct ewl *w = current_wl(&cgid);
	__u32 ip;

	if (w == NULL)
		return 1;
	ip = ctx->user_ip4;
	__builtin_memcpy(&addr[12], &ip, 4);
	return decide(w, cgid, 4, proto, bpf_ntohs((__u16)ctx->user_port),
	    addr);
}

static __always_inline int
check6(struct bpf_sock_addr *ctx, __u8 proto)
{
	__u8 addr[16];
	__u64 cgid = 0;
	struct ewl *w = current_wl(&cgid);
	__u32 a;

	if (w == NULL)
		return 1;
	a = ctx->user_ip6[0]; __builtin_memcpy(&addr[0], &a, 4);
	a = ctx->user_ip6[1]; __builtin_memcpy(&addr[4], &a, 4);
	a = ctx->user_ip6[2]; __builtin_memcpy(&addr[8], &a, 4);
	a = ctx->user_ip6[3]; __builtin_memcpy(&addr[12], &a, 4);
	return decide(w, cgid, 6, proto, bpf_ntohs((__u16)ctx->user_port),
	    addr);
}

SEC("cgroup/connect4")
int enf_connect4(struct bpf_sock_addr *ctx)
{
	return check4(ctx, ctx->type == 2 /* SOCK_DGRAM */ ? 17 : 6);
}

SEC("cgroup/connect6")
int enf_connect6(struct bpf_sock_addr *ctx)
{
	return check6(ctx, ctx->type == 2 ? 17 : 6);
}

SEC("cgroup/sendmsg4")
int enf_sendmsg4(struct bpf_sock_addr *ctx)
{
	return check4(ctx, 17);
}

SEC("cgroup/sendmsg6")
int enf_sendmsg6(struct bpf_sock_addr *ctx)
{
	return check6(ctx, 17);
}

struct fnv_ctx {
	const char	*s;
	__u64		 h;
	int		 done;
};

static long
fnv_step(__u32 i, void *arg)
{
	struct fnv_ctx *c = arg;
	char ch;

	if (i >= ENAME_MAX)
		return 1;
	ch = c->s[i & (ENAME_MAX - 1)];
	if (ch == '\0')
		return 1;
	c->h ^= (__u8)ch;
	c->h *= 0x100000001b3ULL;
	return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(enf_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	struct fnv_ctx c = { .h = 0xcbf29ce484222325ULL };
	__u32 zero = 0;
	char *buf;
	struct ewl *w;
	__u64 id;

	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return 0;	/* a v1 hierarchy */
	if ((buf = bpf_map_lookup_elem(&namebuf, &zero)) == NULL)
		return 0;
	if (bpf_probe_read_kernel_str(buf, ENAME_MAX,
	    BPF_CORE_READ(cgrp, kn, name)) < 0)
		return 0;
	c.s = buf;
	bpf_loop(ENAME_MAX, fnv_step, &c, 0);
	if ((w = bpf_map_lookup_elem(&wl_names, &c.h)) == NULL)
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	bpf_map_update_elem(&wl_cg, &id, w, BPF_ANY);
	return 0;
}
