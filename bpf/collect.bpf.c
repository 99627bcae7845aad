// SPDX-License-Identifier: GPL-2.0
/*
 * collect.bpf.c: what paddock-collectd sees of the host.
 *
 * Hooks (all observe; none denies or changes anything):
 *   tp_btf/sched_process_fork|exec|exit   process lifecycle and execs
 *   raw_tp/sys_exit                       open/openat/openat2/creat, mmap
 *                                         with PROT_EXEC, listen, accept
 *   raw_tp/sys_enter                      per-workload syscall bitmap
 *   cgroup/connect4|6, sendmsg4|6,        destinations and local binds, at
 *   post_bind4|6                          the cgroup2 root (multi-attach)
 *   cgroup_skb/ingress                    DNS answers (UDP source port 53)
 *   tp_btf/cgroup_mkdir                   cgroup id -> path
 *
 * raw_tp is the cheapest way to see syscalls (one program for all of them,
 * filtered on the number first); once any syscall hook is on, every task
 * takes the traced syscall path anyway, so per-syscall tracepoints would add
 * cost, not remove it.
 *
 * Cost control: behaviour is keyed (workload cgroup, what, how) and looked
 * up in the LRU map `seen` before anything else; a repeat costs one lookup
 * and a counter.  Path walks, argv copies and ring buffer records happen
 * only for novel keys.  If the ring buffer is full the key is forgotten
 * again (so the behaviour is reported next time) and the loss is counted per
 * workload in `lost`.
 *
 * Paths come from the kernel's struct file (d_path-style walk up to the
 * task's root), never from the string the caller passed, except for failed
 * opens, where there is no file and the string is all there is.
 *
 * x86_64 only for now: syscall numbers and pt_regs argument registers.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "collect.h"

char LICENSE[] SEC("license") = "GPL";

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

#define WM_READ		0x1
#define WM_WRITE	0x2
#define WM_EXEC		0x4

#define NR_OPEN		2
/* Pseudo-syscalls (libcommon/sysnames.h): beyond every real number. */
#define CSYS_RAW_SOCKET		500
#define CSYS_PACKET_SOCKET	501
#define NR_MMAP		9
#define NR_SOCKET	41
#define NR_CONNECT	42
#define NR_ACCEPT	43
#define NR_LISTEN	50
#define NR_CREAT	85
#define NR_OPENAT	257
#define NR_ACCEPT4	288
#define NR_OPENAT2	437

#define O_ACCMODE_	3
#define O_WRONLY_	1
#define O_RDWR_		2
#define O_CREAT_	0100
#define O_TRUNC_	01000
#define O_PATH_		010000000
#define PROT_EXEC_	4
#define AF_INET_	2
#define AF_INET6_	10
#define ETH_P_IP_	0x0800
#define ETH_P_IPV6_	0x86DD
#define EPERM_		1
#define EACCES_		13

const volatile __u32 self_tgid = 0;
/*
 * Paddock's other daemons, as collectd found them registered and alive
 * (libcommon/self.h); written by collectd at any time, 0 in a free slot.
 * Never observed, never counted into a workload.
 */
__u32 quiet_tgid[CQUIET_MAX];
const volatile __u32 argv_max = 512;
const volatile __u8 do_syscalls = 1;
const volatile __u8 do_dns = 1;
/* Wake the collector only when the ring holds this much (0: always). */
const volatile __u32 wake_bytes = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, struct cseen_key);
	__type(value, __u64);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CC__MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct csys_bits);
} sysbits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} lost SEC(".maps");

/* cgroup id -> path (as in CR_CGROUP, cut at CCGNAME_MAX), from the mkdir
 * hook: names a gone cgroup's records for a collector that started late. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, char[CCGNAME_MAX]);
} cgnames SEC(".maps");

/* CREC_VERSION and sizes, written by user space; read only by the next
 * collector, to know whether this ring's records are its kind. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} layout SEC(".maps");

/* Is pid this collector or another of Paddock's daemons? */
static __always_inline int
paddock_self(__u32 pid)
{
	int i;

	if (pid == self_tgid)
		return 1;
	if (pid == 0)
		return 0;
#pragma unroll
	for (i = 0; i < CQUIET_MAX; i++)
		if (quiet_tgid[i] == pid)
			return 1;
	return 0;
}

static __always_inline void
count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v != NULL)
		*v += 1;
}

/* 1 when k is new (and now remembered), 0 for a repeat. */
static __always_inline int
novel(struct cseen_key *k)
{
	__u64 one = 1, *n;

	count(CC_SEEN);
	n = bpf_map_lookup_elem(&seen, k);
	if (n != NULL) {
		__sync_fetch_and_add(n, 1);
		count(CC_DEDUP);
		return 0;
	}
	bpf_map_update_elem(&seen, k, &one, BPF_ANY);
	return 1;
}

static __always_inline void
count_lost(__u64 cgid, int event)
{
	__u64 one = 1, *n;

	count(CC_RB_FAIL);
	if (!event)
		return;		/* lifecycle: lineage, not an event */
	n = bpf_map_lookup_elem(&lost, &cgid);
	if (n != NULL)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&lost, &cgid, &one, BPF_NOEXIST);
}

/*
 * Commit a record.  A wakeup costs the producer microseconds (an irq_work
 * and the collector's own syscalls, more events), so records are queued
 * quietly and the collector drains the ring on a short timer; only a ring
 * filling up (wake_bytes) wakes it at once.
 */
static __always_inline void
submit(void *r)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (wake_bytes == 0 ||
	    bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wake_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(r, flags);
}

/*
 * Reserve; on failure count the loss and forget k (if any) so it recurs.
 * A record that would have become an event (event != 0) is counted on its
 * workload; a lifecycle record (fork, exit, a repeated exec, a cgroup
 * name) only host-wide.
 */
static __always_inline void *
reserve(__u64 size, __u64 cgid, struct cseen_key *k, int event)
{
	void *r = bpf_ringbuf_reserve(&events, size, 0);

	if (r == NULL) {
		count_lost(cgid, event);
		if (k != NULL)
			bpf_map_delete_elem(&seen, k);
	}
	return r;
}

static __always_inline __u64
task_cgid(struct task_struct *t)
{
	return BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
}

static __always_inline void
hdr(struct crec_hdr *h, __u32 type, __u32 pid, __u64 cgid)
{
	h->type = type;
	h->pid = pid;
	h->ts = bpf_ktime_get_ns();
	h->cgid = cgid;
}

/*
 * Paths: bpf/walk.h, into a per-CPU scratch buffer (sized so any offset
 * plus a name fits), copied into the record at the end.
 */
struct scratch {
	char	buf[CPATH_MAX + CNAME_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

#define WALK_DEPTH	CPATH_DEPTH
#include "walk.h"
#define WALK_SCRATCH	scratch_map
#define WALK_BUF(s)	((s)->buf)
#define WALK_MAX	CPATH_MAX
#define WALK_NAME	CNAME_MAX
#define WALK_TRUNC	CP_TRUNC
#include "walk.h"

/*
 * Write the path of (mnt, dentry) leaf first into buf (CPATH_MAX bytes), as
 * NUL-terminated components, stopping at the task's root.  Returns the
 * bytes used.
 */
static __always_inline __u32
walk_path(char *buf, struct vfsmount *vm, struct dentry *d, __u16 *flags)
{
	struct walk w = {};
	struct scratch *s;
	__u32 zero = 0, len;

	walk_run(&w, vm, d);
	*flags |= w.flags;
	len = w.off;
	if (len == 0 || (s = bpf_map_lookup_elem(&scratch_map, &zero)) == NULL)
		return 0;
	if (len > CPATH_MAX)
		len = CPATH_MAX;
	if (bpf_probe_read_kernel(buf, len, s->buf) < 0)
		return 0;
	return len;
}

/* ------------------------------------------------------------ processes */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	struct crec_fork *r;
	__u32 pid = BPF_CORE_READ(child, tgid);
	__u64 cgid;

	if (BPF_CORE_READ(child, pid) != pid || paddock_self(pid))
		return 0;		/* a thread, or us */
	cgid = task_cgid(child);
	if ((r = reserve(sizeof(*r), cgid, NULL, 0)) == NULL)
		return 0;
	hdr(&r->h, CR_FORK, pid, cgid);
	r->ppid = BPF_CORE_READ(parent, tgid);
	r->pad = 0;
	count(CC_LIFECYCLE);
	submit(r);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	struct crec_hdr *r;
	__u32 pid = BPF_CORE_READ(p, tgid);
	__u64 cgid;

	if (BPF_CORE_READ(p, pid) != pid || paddock_self(pid))
		return 0;		/* only the group leader's exit */
	cgid = task_cgid(p);
	if ((r = reserve(sizeof(*r), cgid, NULL, 0)) == NULL)
		return 0;
	hdr(r, CR_EXIT, pid, cgid);
	count(CC_LIFECYCLE);
	submit(r);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid,
    struct linux_binprm *bprm)
{
	struct cseen_key k = {};
	struct crec_exec *r;
	struct file *f = BPF_CORE_READ(bprm, file);
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	__u32 pid = BPF_CORE_READ(p, tgid);
	__u64 cgid = task_cgid(p), dev, i;
	struct task_struct *parent = BPF_CORE_READ(p, real_parent);
	__u32 ppid = BPF_CORE_READ(parent, tgid);
	unsigned long as, ae;
	__u32 len;

	if (paddock_self(pid))
		return 0;
	dev = BPF_CORE_READ(ino, i_sb, s_dev);
	i = BPF_CORE_READ(ino, i_ino);
	k.cgid = cgid;
	k.type = CR_EXEC;
	k.a = dev;
	k.b = i;
	/* The parent's executable: an exec edge is new behaviour too. */
	k.c = BPF_CORE_READ(parent, mm, exe_file, f_inode, i_ino);
	if (!novel(&k)) {
		struct crec_exec_seen *s = reserve(sizeof(*s), cgid, NULL, 0);

		if (s == NULL)
			return 0;
		hdr(&s->h, CR_EXEC_SEEN, pid, cgid);
		s->ppid = ppid;
		s->pad = 0;
		s->dev = dev;
		s->ino = i;
		count(CC_LIFECYCLE);
		submit(s);
		return 0;
	}
	if ((r = reserve(sizeof(*r), cgid, &k, 1)) == NULL)
		return 0;
	hdr(&r->h, CR_EXEC, pid, cgid);
	r->ppid = ppid;
	r->uid = BPF_CORE_READ(p, cred, uid.val);
	r->euid = BPF_CORE_READ(p, cred, euid.val);
	r->dev = dev;
	r->ino = i;
	r->path_flags = 0;
	r->pad = 0;
	r->path_len = walk_path(r->path, BPF_CORE_READ(f, f_path.mnt),
	    BPF_CORE_READ(f, f_path.dentry), &r->path_flags);
	as = BPF_CORE_READ(p, mm, arg_start);
	ae = BPF_CORE_READ(p, mm, arg_end);
	len = ae > as ? (__u32)(ae - as) : 0;
	r->argv_trunc = 0;
	if (len > argv_max) {
		len = argv_max;
		r->argv_trunc = 1;
	}
	if (len > CARGV_MAX) {
		len = CARGV_MAX;
		r->argv_trunc = 1;
	}
	r->argv_len = 0;
	if (len > 0 && bpf_probe_read_user(r->argv, len & (CARGV_MAX - 1) ?
	    len & (CARGV_MAX - 1) : CARGV_MAX, (void *)as) == 0)
		r->argv_len = len;
	count(CC_EMIT);
	count(CC_LIFECYCLE);
	submit(r);
	return 0;
}

/* ------------------------------------------------------------- syscalls */

SEC("raw_tp/sys_enter")
int on_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	long id = (long)ctx->args[1];
	struct csys_bits *v, zero = {};
	__u64 cgid, bit;
	__u32 w;

	if (!do_syscalls || id < 0 || id >= CSYS_WORDS * 64)
		return 0;
	cgid = bpf_get_current_cgroup_id();
	v = bpf_map_lookup_elem(&sysbits, &cgid);
	if (v == NULL) {
		bpf_map_update_elem(&sysbits, &cgid, &zero, BPF_NOEXIST);
		if ((v = bpf_map_lookup_elem(&sysbits, &cgid)) == NULL)
			return 0;
	}
	w = (__u32)(id >> 6) & (CSYS_WORDS - 1);
	bit = 1ull << (id & 63);
	/* Who made the call matters only for a bit not set yet. */
	if (!(v->w[w] & bit)) {
		if (paddock_self(bpf_get_current_pid_tgid() >> 32))
			return 0;
		__sync_fetch_and_or(&v->w[w], bit);
	}
	/* A raw or packet socket is learnt as a pseudo-syscall of its own
	 * (CSYS_RAW_SOCKET, CSYS_PACKET_SOCKET): the enforcer refuses them
	 * to a workload whose baseline does not have them. */
	if (id == NR_SOCKET) {
		struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
		long fam = (long)(int)BPF_CORE_READ(regs, di);
		long type = (long)BPF_CORE_READ(regs, si) & 0xf;

		if (type == 3 /* SOCK_RAW */ && fam != 17)
			__sync_fetch_and_or(&v->w[CSYS_RAW_SOCKET >> 6],
			    1ull << (CSYS_RAW_SOCKET & 63));
		if (fam == 17 /* AF_PACKET */)
			__sync_fetch_and_or(&v->w[CSYS_PACKET_SOCKET >> 6],
			    1ull << (CSYS_PACKET_SOCKET & 63));
	}
	return 0;
}

static __always_inline struct file *
fd_file(struct task_struct *t, long fd)
{
	struct file **fds = BPF_CORE_READ(t, files, fdt, fd);
	unsigned int max = BPF_CORE_READ(t, files, fdt, max_fds);
	struct file *f = NULL;

	if (fd < 0 || fd >= max)
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline __u32
acc_mode(__u64 flags)
{
	switch (flags & O_ACCMODE_) {
	case O_WRONLY_:
		return WM_WRITE;
	case O_RDWR_:
		return WM_READ | WM_WRITE;
	default:
		return WM_READ;
	}
}

static __always_inline int
emit_file(__u32 pid, __u64 cgid, struct file *f, __u32 kind, __u32 mode,
    __u32 flags)
{
	struct cseen_key k = {};
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	struct crec_open *r;

	k.cgid = cgid;
	k.type = CR_OPEN;
	k.aux = mode;
	k.a = BPF_CORE_READ(ino, i_sb, s_dev);
	k.b = BPF_CORE_READ(ino, i_ino);
	if (!novel(&k))
		return 0;
	if ((r = reserve(sizeof(*r), cgid, &k, 1)) == NULL)
		return 0;
	hdr(&r->h, CR_OPEN, pid, cgid);
	r->kind = kind;
	r->mode = mode;
	r->flags = flags;
	r->result = 0;
	r->dirfd = 0;
	r->dev = k.a;
	r->ino = k.b;
	r->path_flags = 0;
	r->pad = 0;
	r->pad2 = 0;
	if (BPF_CORE_READ(ino, __i_nlink) == 0)
		r->path_flags |= CP_DELETED;
	r->path_len = walk_path(r->path, BPF_CORE_READ(f, f_path.mnt),
	    BPF_CORE_READ(f, f_path.dentry), &r->path_flags);
	count(CC_EMIT);
	submit(r);
	return 0;
}

/*
 * A connect(2) to a unix socket that has a name: the socket is a file, and
 * reaching it is learnt as a write of its path (what the kernel asks of a
 * connecting process too), from the peer the kernel chose: a symlink or a
 * relative name leads to the socket's own path.  Abstract names are no
 * file and are not recorded.
 */
static __always_inline int
emit_unix_peer(__u32 pid, __u64 cgid, struct file *f)
{
	struct unix_sock *u, *peer;
	struct cseen_key k = {};
	struct crec_open *r;
	struct dentry *d;
	struct socket *sock;

	if ((BPF_CORE_READ(f, f_inode, i_mode) & 0170000) != 0140000)
		return 0;	/* not a socket */
	sock = BPF_CORE_READ(f, private_data);
	u = (struct unix_sock *)BPF_CORE_READ(sock, sk);
	if (u == NULL || BPF_CORE_READ(&u->sk, __sk_common.skc_family) != 1)
		return 0;	/* not AF_UNIX */
	peer = (struct unix_sock *)BPF_CORE_READ(u, peer);
	if (peer == NULL || (d = BPF_CORE_READ(peer, path.dentry)) == NULL)
		return 0;	/* unnamed or abstract */
	k.cgid = cgid;
	k.type = CR_OPEN;
	k.aux = WM_WRITE;
	k.a = BPF_CORE_READ(d, d_inode, i_sb, s_dev);
	k.b = BPF_CORE_READ(d, d_inode, i_ino);
	if (!novel(&k))
		return 0;
	if ((r = reserve(sizeof(*r), cgid, &k, 1)) == NULL)
		return 0;
	hdr(&r->h, CR_OPEN, pid, cgid);
	r->kind = CO_OPEN;
	r->mode = WM_WRITE;
	r->flags = 0;
	r->result = 0;
	r->dirfd = 0;
	r->dev = k.a;
	r->ino = k.b;
	r->path_flags = 0;
	r->pad = 0;
	r->pad2 = 0;
	r->path_len = walk_path(r->path, BPF_CORE_READ(peer, path.mnt), d,
	    &r->path_flags);
	count(CC_EMIT);
	submit(r);
	return 0;
}

/* An open that failed with EACCES/EPERM: the file exists; probing is news. */
static __always_inline int
emit_failed(__u32 pid, __u64 cgid, const char *upath, long dirfd,
    __u32 mode, __u32 flags, long ret)
{
	struct cseen_key k = {};
	struct crec_open *r;
	__u64 h = 14695981039346656037ull;
	long n;
	int i;

	if ((r = reserve(sizeof(*r), cgid, NULL, 1)) == NULL)
		return 0;
	n = bpf_probe_read_user_str(r->path, CPATH_MAX, upath);
	if (n <= 0) {
		bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
		return 0;
	}
	for (i = 0; i < 256 && i < n; i++)
		h = (h ^ (__u8)r->path[i & (CPATH_MAX - 1)]) * 1099511628211ull;
	k.cgid = cgid;
	k.type = CR_OPEN + 100;
	k.aux = mode;
	k.a = h;
	k.b = (__u64)n;
	k.c = (__u64)dirfd;
	if (!novel(&k)) {
		bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
		return 0;
	}
	hdr(&r->h, CR_OPEN, pid, cgid);
	r->kind = CO_FAILED;
	r->mode = mode;
	r->flags = flags;
	r->result = (__s32)ret;
	r->dirfd = (__s32)dirfd;
	r->dev = 0;
	r->ino = 0;
	r->path_len = (__u32)n;
	r->path_flags = n >= CPATH_MAX ? CP_TRUNC : 0;
	r->pad = 0;
	r->pad2 = 0;
	count(CC_EMIT);
	submit(r);
	return 0;
}

static __always_inline int
emit_sock(__u32 pid, __u64 cgid, struct file *f, __u8 kind)
{
	struct socket *sock = BPF_CORE_READ(f, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	struct cseen_key k = {};
	struct crec_net *r;
	__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u8 proto = (__u8)BPF_CORE_READ(sk, sk_protocol);
	__u8 addr[16] = {};
	__u16 port;

	if (fam != AF_INET_ && fam != AF_INET6_)
		return 0;
	/* listen: our address; accept: the peer's, with our (listening) port */
	port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (fam == AF_INET_ && kind == CN_LISTEN)
		bpf_core_read(addr, 4, &sk->__sk_common.skc_rcv_saddr);
	else if (fam == AF_INET_)
		bpf_core_read(addr, 4, &sk->__sk_common.skc_daddr);
	else if (kind == CN_LISTEN)
		bpf_core_read(addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
	else
		bpf_core_read(addr, 16, &sk->__sk_common.skc_v6_daddr);
	k.cgid = cgid;
	k.type = 16 + kind;
	k.aux = (__u32)port | (__u32)proto << 16 | (__u32)fam << 24;
	__builtin_memcpy(&k.a, addr, 8);
	__builtin_memcpy(&k.b, addr + 8, 8);
	if (!novel(&k))
		return 0;
	if ((r = reserve(sizeof(*r), cgid, &k, 1)) == NULL)
		return 0;
	hdr(&r->h, CR_NET, pid, cgid);
	r->kind = kind;
	r->family = fam == AF_INET_ ? 4 : 6;
	r->proto = proto;
	r->pad = 0;
	r->port = port;
	r->pad2 = 0;
	__builtin_memcpy(r->addr, addr, 16);
	count(CC_EMIT);
	submit(r);
	return 0;
}

SEC("raw_tp/sys_exit")
int on_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long ret = (long)ctx->args[1];
	long nr = BPF_CORE_READ(regs, orig_ax);
	struct task_struct *t;
	const char *upath;
	__u64 flags = 0, cgid;
	long dirfd = -100;
	__u32 pid;
	struct file *f;

	switch (nr) {
	case NR_OPEN:
		upath = (const char *)BPF_CORE_READ(regs, di);
		flags = BPF_CORE_READ(regs, si);
		break;
	case NR_CREAT:
		upath = (const char *)BPF_CORE_READ(regs, di);
		flags = O_CREAT_ | O_WRONLY_ | O_TRUNC_;
		break;
	case NR_OPENAT:
		dirfd = (int)BPF_CORE_READ(regs, di);
		upath = (const char *)BPF_CORE_READ(regs, si);
		flags = BPF_CORE_READ(regs, dx);
		break;
	case NR_OPENAT2: {
		struct open_how *how = (struct open_how *)BPF_CORE_READ(regs, dx);

		dirfd = (int)BPF_CORE_READ(regs, di);
		upath = (const char *)BPF_CORE_READ(regs, si);
		bpf_probe_read_user(&flags, sizeof(flags), &how->flags);
		break;
	}
	case NR_MMAP:
		if (ret < 0 && ret > -4096)
			return 0;
		if (!(BPF_CORE_READ(regs, dx) & PROT_EXEC_))
			return 0;
		ret = (int)BPF_CORE_READ(regs, r8);	/* the fd */
		if (ret < 0)
			return 0;
		upath = NULL;
		break;
	case NR_LISTEN:
	case NR_CONNECT:
		if (ret != 0)
			return 0;
		ret = (int)BPF_CORE_READ(regs, di);
		upath = NULL;
		break;
	case NR_ACCEPT:
	case NR_ACCEPT4:
		if (ret < 0)
			return 0;
		upath = NULL;
		break;
	default:
		return 0;
	}
	pid = bpf_get_current_pid_tgid() >> 32;
	if (paddock_self(pid))
		return 0;
	cgid = bpf_get_current_cgroup_id();
	if (nr != NR_MMAP && nr != NR_LISTEN && nr != NR_ACCEPT &&
	    nr != NR_ACCEPT4 && nr != NR_CONNECT && (flags & O_PATH_))
		return 0;	/* O_PATH: no access to the content */
	if (ret < 0) {
		if (ret == -EACCES_ || ret == -EPERM_)
			return emit_failed(pid, cgid, upath, dirfd,
			    acc_mode(flags), (__u32)flags, ret);
		return 0;
	}
	t = (struct task_struct *)bpf_get_current_task();
	if ((f = fd_file(t, ret)) == NULL)
		return 0;
	switch (nr) {
	case NR_MMAP:
		return emit_file(pid, cgid, f, CO_MMAP_EXEC, WM_EXEC, 0);
	case NR_LISTEN:
		return emit_sock(pid, cgid, f, CN_LISTEN);
	case NR_CONNECT:
		return emit_unix_peer(pid, cgid, f);
	case NR_ACCEPT:
	case NR_ACCEPT4:
		return emit_sock(pid, cgid, f, CN_ACCEPT);
	default:
		return emit_file(pid, cgid, f, CO_OPEN, acc_mode(flags),
		    (__u32)flags);
	}
}

/* -------------------------------------------------------------- network */

static __always_inline void
emit_addr(__u8 kind, __u8 fam, __u8 proto, __u16 port, const __u8 *addr)
{
	struct cseen_key k = {};
	struct crec_net *r;
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 cgid;

	if (paddock_self(pid))
		return;
	cgid = bpf_get_current_cgroup_id();
	k.cgid = cgid;
	k.type = 16 + kind;
	k.aux = (__u32)port | (__u32)proto << 16 | (__u32)fam << 24;
	__builtin_memcpy(&k.a, addr, 8);
	__builtin_memcpy(&k.b, addr + 8, 8);
	if (!novel(&k))
		return;
	if ((r = reserve(sizeof(*r), cgid, &k, 1)) == NULL)
		return;
	hdr(&r->h, CR_NET, pid, cgid);
	r->kind = kind;
	r->family = fam;
	r->proto = proto;
	r->pad = 0;
	r->port = port;
	r->pad2 = 0;
	__builtin_memcpy(r->addr, addr, 16);
	count(CC_EMIT);
	submit(r);
}

static __always_inline void
sa4(struct bpf_sock_addr *ctx, __u8 kind)
{
	__u8 addr[16] = {};
	__u32 ip = ctx->user_ip4;

	__builtin_memcpy(addr, &ip, 4);
	emit_addr(kind, 4, (__u8)ctx->protocol,
	    bpf_ntohs((__u16)ctx->user_port), addr);
}

static __always_inline void
sa6(struct bpf_sock_addr *ctx, __u8 kind)
{
	__u32 ip[4];

	ip[0] = ctx->user_ip6[0];
	ip[1] = ctx->user_ip6[1];
	ip[2] = ctx->user_ip6[2];
	ip[3] = ctx->user_ip6[3];
	emit_addr(kind, 6, (__u8)ctx->protocol,
	    bpf_ntohs((__u16)ctx->user_port), (__u8 *)ip);
}

SEC("cgroup/connect4")
int obs_connect4(struct bpf_sock_addr *ctx)
{
	sa4(ctx, CN_CONNECT);
	return 1;
}

SEC("cgroup/connect6")
int obs_connect6(struct bpf_sock_addr *ctx)
{
	sa6(ctx, CN_CONNECT);
	return 1;
}

SEC("cgroup/sendmsg4")
int obs_sendmsg4(struct bpf_sock_addr *ctx)
{
	sa4(ctx, CN_SENDTO);
	return 1;
}

SEC("cgroup/sendmsg6")
int obs_sendmsg6(struct bpf_sock_addr *ctx)
{
	sa6(ctx, CN_SENDTO);
	return 1;
}

/*
 * A unix address before the kernel looks it up (cgroup/connect_unix and
 * sendmsg_unix, Linux 6.7; kern.c types these programs, or leaves them
 * out): an abstract name, which is no file and which no exit sees, and
 * the name a datagram send gives, which sets no peer.  Each is learnt as
 * a write of its name, "@name" for an abstract one; a relative name is
 * made absolute in user space, from the working directory (CO_UNIX,
 * dirfd -100).  A named connect is learnt at its exit (emit_unix_peer).
 */
static __always_inline void
emit_unix_addr(struct bpf_sock_addr *ctx, int send)
{
	struct bpf_sock_addr_kern *sa = bpf_cast_to_kern_ctx(ctx);
	struct cseen_key k = {};
	struct crec_open *r;
	struct scratch *s;
	__u32 pid = bpf_get_current_pid_tgid() >> 32, zero = 0, n, i;
	__u64 cgid, h = 14695981039346656037ull;
	__u16 pf = 0;
	long m = 0;

	if (paddock_self(pid) ||
	    (s = bpf_map_lookup_elem(&scratch_map, &zero)) == NULL)
		return;
	n = sa->uaddrlen;
	if (n <= 2)
		return;		/* autobind: no name */
	n -= 2;
	if (n > 108)
		n = 108;
	if (bpf_probe_read_kernel(s->buf, 1, (char *)sa->uaddr + 2) < 0)
		return;
	barrier_var(n);		/* keep the masks for the verifier */
	if (s->buf[0] == '\0') {
		/* "@", n - 1 bytes of name and a NUL; fewer: a NUL inside. */
		s->buf[0] = '@';
		m = bpf_probe_read_kernel_str(s->buf + 1, n & 127,
		    (char *)sa->uaddr + 3);
		if (m >= 0 && (__u32)m < n)
			pf |= CP_TRUNC;
	} else if (send)
		m = bpf_probe_read_kernel_str(s->buf, (n + 1) & 127,
		    (char *)sa->uaddr + 2);
	else
		return;		/* a named connect: at its exit */
	if (m <= 0)
		return;
	for (i = 0; i < 108 && s->buf[i]; i++)
		h = (h ^ (__u8)s->buf[i]) * 1099511628211ull;
	cgid = bpf_get_current_cgroup_id();
	k.cgid = cgid;
	k.type = CR_OPEN + 200;
	k.aux = WM_WRITE;
	k.a = h;
	if (s->buf[0] != '/' && s->buf[0] != '@')	/* relative: per cwd */
		k.b = (__u64)BPF_CORE_READ((struct task_struct *)
		    bpf_get_current_task(), fs, pwd.dentry);
	if (!novel(&k) || (r = reserve(sizeof(*r), cgid, &k, 1)) == NULL)
		return;
	hdr(&r->h, CR_OPEN, pid, cgid);
	r->kind = CO_UNIX;
	r->mode = WM_WRITE;
	r->flags = 0;
	r->result = 0;
	r->dirfd = -100;
	r->dev = 0;
	r->ino = 0;
	r->path_flags = pf;
	r->pad = 0;
	r->pad2 = 0;
	r->path_len = i;
	if (bpf_probe_read_kernel(r->path, 109, s->buf) < 0)
		r->path[0] = '\0';
	count(CC_EMIT);
	submit(r);
}

SEC("cgroup/connect4")
int obs_connect_unix(struct bpf_sock_addr *ctx)
{
	emit_unix_addr(ctx, 0);
	return 1;
}

SEC("cgroup/sendmsg4")
int obs_sendmsg_unix(struct bpf_sock_addr *ctx)
{
	emit_unix_addr(ctx, 1);
	return 1;
}

SEC("cgroup/post_bind4")
int obs_bind4(struct bpf_sock *sk)
{
	__u8 addr[16] = {};
	__u32 ip = sk->src_ip4;

	__builtin_memcpy(addr, &ip, 4);
	emit_addr(CN_BIND, 4, (__u8)sk->protocol, (__u16)sk->src_port, addr);
	return 1;
}

SEC("cgroup/post_bind6")
int obs_bind6(struct bpf_sock *sk)
{
	__u32 ip[4];

	ip[0] = sk->src_ip6[0];
	ip[1] = sk->src_ip6[1];
	ip[2] = sk->src_ip6[2];
	ip[3] = sk->src_ip6[3];
	emit_addr(CN_BIND, 6, (__u8)sk->protocol, (__u16)sk->src_port,
	    (__u8 *)ip);
	return 1;
}

/* DNS answers: UDP from port 53, the payload copied for user space. */
SEC("cgroup_skb/ingress")
int obs_dns(struct __sk_buff *skb)
{
	struct crec_dns *r;
	__u32 off, len;
	__u16 sport;
	__u64 cgid;

	if (!do_dns)
		return 1;
	if (skb->protocol == bpf_htons(ETH_P_IP_)) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) < 0 ||
		    ip.protocol != 17 || (ip.frag_off & bpf_htons(0x3fff)))
			return 1;
		off = (__u32)ip.ihl * 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6_)) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)) < 0 ||
		    ip6.nexthdr != 17)
			return 1;
		off = sizeof(ip6);
	} else {
		return 1;
	}
	if (off > 60 || bpf_skb_load_bytes(skb, off, &sport, 2) < 0 ||
	    sport != bpf_htons(53))
		return 1;
	off += 8;
	if (skb->len <= off + 12)
		return 1;
	len = skb->len - off;
	if (len > CDNS_MAX)
		len = CDNS_MAX;
	cgid = bpf_skb_cgroup_id(skb);
	if ((r = reserve(sizeof(*r), cgid, NULL, 1)) == NULL)
		return 1;
	hdr(&r->h, CR_DNS, 0, cgid);
	r->pad = 0;
	r->len = 0;
	/* len is 13..CDNS_MAX; spelled so the verifier sees the bound. */
	len = ((len - 1) & (CDNS_MAX - 1)) + 1;
	if (bpf_skb_load_bytes(skb, off, r->data, len) == 0)
		r->len = len;
	count(CC_DNS);
	submit(r);
	return 1;
}

/* ------------------------------------------------------------- cgroups */

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(on_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	struct crec_cgroup *r;
	struct scratch *s;
	__u32 zero = 0;
	__u64 id;

	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return 0;	/* a v1 hierarchy */
	id = BPF_CORE_READ(cgrp, kn, id);
	/* Kept apart from the ring too, for a collector that starts after
	 * the record was read (or lost) and the cgroup is gone. */
	if ((s = bpf_map_lookup_elem(&scratch_map, &zero)) != NULL &&
	    bpf_probe_read_kernel_str(s->buf, CCGNAME_MAX, path) > 0)
		bpf_map_update_elem(&cgnames, &id, s->buf, BPF_ANY);
	if ((r = reserve(sizeof(*r), id, NULL, 0)) == NULL)
		return 0;
	hdr(&r->h, CR_CGROUP, 0, id);
	if (bpf_probe_read_kernel_str(r->path, CPATH_MAX, path) < 0)
		r->path[0] = '\0';
	submit(r);
	return 0;
}
