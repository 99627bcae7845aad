// SPDX-License-Identifier: GPL-2.0
/*
 * enforce.bpf.c: paddock-enforced's programs, for every host.
 *
 *   cgroup/connect4|6, sendmsg4|6   every TCP connect and UDP send below
 *                                   the cgroups they are attached to
 *                                   (each workload's parent cgroup):
 *                                   EPERM in block mode, before any packet
 *   cgroup/bind4|6                  local binds against the listeners
 *   tp_btf/cgroup_mkdir             a new cgroup whose name belongs to a
 *                                   workload joins it at once
 *   tp_btf/sched_process_exec       exec fallback: the new image's file
 *                                   against the exec rules; SIGKILL before
 *                                   it runs any instruction of its own
 *   raw_tp/sys_exit (open*, creat)  file fallback: the file the new fd
 *                                   refers to, against the file rules;
 *                                   SIGKILL before the caller sees the fd
 *   raw_tp/sys_exit (connect)       a unix connect's peer: Paddock's
 *                                   Redis socket (self-protection), else
 *                                   a write of its path (file rules)
 *   cgroup/connect_unix,            a unix address before the kernel
 *   cgroup/sendmsg_unix             looks it up: Redis's name, abstract
 *                                   names, datagram destinations (6.7+)
 *   raw_tp/sys_enter (kill family)  self-protection: a signal to one of
 *                                   Paddock's daemons (also F_SETOWN), a
 *                                   ptrace or the like of one; an
 *                                   unlink or rename in bpffs; any 32-bit
 *                                   syscall (enf_sys_guard)
 *   raw_tp/sys_enter                syscalls: the workload's bitmap
 *
 * Where the host has BPF LSM, enforce_lsm.bpf.c takes over exec and files
 * (EPERM before the operation) and signals to the daemons; the fallback
 * programs here (sys_exit, sys_guard) are then never attached.  enforced
 * decides by a probe at start-up.
 *
 * Which workload, and every decision: enforce_core.h.  A new cgroup (the
 * next `paddockctl run`, a restarted service or container) is added to
 * `wl_cg` by the mkdir hook, in the kernel, before any process can join
 * it: its directory name (and, for containers, its prefixes of the scope
 * lengths: ENAME_PRE_LEN) is hashed (FNV-1a) and looked up in `wl_names`,
 * which enforced fills with the names that identify each workload.  No
 * window in which a new cgroup runs unenforced.
 *
 * The global hooks are attached only once some policy needs them (exec,
 * and without LSM sys_exit and sys_guard, with the first policy; sys_enter
 * with the first syscall dimension in alert or enforce; the DNS pair,
 * cgroup_skb egress and ingress, with the first destination allowed by
 * name); until then a host pays nothing for them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "enforce_core.h"

char LICENSE[] SEC("license") = "GPL";

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;
extern int bpf_send_signal_task(struct task_struct *task, int sig,
    enum pid_type type, __u64 value) __ksym;

#define SIGKILL_	9
#define SIGIO_		29
#define FMODE_READ_	0x1
#define FMODE_WRITE_	0x2
#define FMODE_EXEC_	0x20
#define NR_OPEN		2
#define NR_CONNECT	42
#define NR_CREAT	85
#define NR_OPENAT	257
#define NR_OPENAT2	437
#define NR_KILL		62
#define NR_RT_SIGQUEUEINFO 129
#define NR_TKILL	200
#define NR_TGKILL	234
#define NR_RT_TGSIGQUEUEINFO 297
#define NR_PIDFD_SEND_SIGNAL 424
#define PIDFD_SIGNAL_PROCESS_GROUP_ (1U << 2)
#define NR_IOCTL	16
#define NR_PTRACE	101
#define NR_PRLIMIT64	302
#define NR_PROCESS_VM_READV 310
#define NR_PROCESS_VM_WRITEV 311
#define NR_PIDFD_GETFD	438
#define NR_FCNTL	72
#define FIOSETOWN_	0x8901
#define SIOCSPGRP_	0x8902
#define F_SETOWN_	8
#define F_SETOWN_EX_	15
#define NR_RENAME	82
#define NR_RMDIR	84
#define NR_UNLINK	87
#define NR_UNLINKAT	263
#define NR_RENAMEAT	264
#define NR_RENAMEAT2	316
#define NR_SOCKET	41
#define NR_LINK		86
#define NR_SYMLINK	88
#define NR_LINKAT	265
#define NR_SYMLINKAT	266
#define NR_BPF		321
#define NR_PERF_EVENT_OPEN 298
#define NR_OPEN_BY_HANDLE_AT 304
#define NR_IO_URING_SETUP 425
#define NR_IO_URING_ENTER 426
#define NR_IO_URING_REGISTER 427
#define NR_MOUNT	165
#define NR_UMOUNT2	166
#define NR_PIVOT_ROOT	155
#define NR_CHROOT	161
#define NR_OPEN_TREE	428
#define NR_MOVE_MOUNT	429
#define NR_FSOPEN	430
#define NR_FSPICK	433
#define NR_MOUNT_SETATTR 442
#define NR_OPEN_TREE_ATTR 467
#define CGROUP2_SUPER_MAGIC_	0x63677270
#define AT_FDCWD_	-100
#define BPF_FS_MAGIC_	0xcafe4a11
#define TS_COMPAT_	0x0002
#define PROC_SUPER_MAGIC_	0x9fa0
#define PID_FS_MAGIC_		0x50494446
#define ANON_INODE_FS_MAGIC_	0x09041934

/* ------------------------------------------------------------ network */

/*
 * Self-protection: Paddock's Redis over TCP.  Refused to every workload in
 * alert or enforce, whatever its policy says; never merely alerted.
 */
static __always_inline int
protected_net(const struct ecache *wh, __u8 family, __u16 proto, __u16 port,
    const __u8 addr[16])
{
	struct eprot_net pk = { .port = port };
	struct eviol *v;

	if (!guarded(wh))
		return 0;
	__builtin_memcpy(pk.addr, addr, 16);
	if (bpf_map_lookup_elem(&prot_net, &pk) == NULL)
		return 0;
	if ((v = viol_protect(wh, EDIM_NET, port ^ EM_PROTECT, EACT_DENIED)) !=
	    NULL) {
		v->family = family;
		v->proto = (__u8)proto;
		v->port = port;
		v->mode = EM_PROTECT;
		__builtin_memcpy(v->addr, addr, 16);
		bpf_ringbuf_submit(v, 0);
	}
	return 1;
}

static __always_inline int
decide(const struct ecache *wh, __u8 family, __u16 proto, __u16 port,
    const __u8 addr[16])
{
	struct eallow_key k = {};
	struct eviol *v;
	__u8 mode = wh->w.mode[EDIM_NET];
	__u64 what, *exp, now = 0;

	if (!(proto & EPROTO_LISTEN) && protected_net(wh, family, proto, port,
	    addr))
		return 0;
	if (mode == EMODE_OFF)
		return 1;
	k.prefixlen = 64 + 128;
	k.wid = wh->w.wid;
	k.port = port;
	k.proto = proto;
	__builtin_memcpy(k.addr, addr, 16);
	if ((exp = bpf_map_lookup_elem(&allow, &k)) != NULL &&
	    (*exp == 0 || *exp > (now = bpf_ktime_get_ns())))
		return 1;
	k.port = 0;
	if ((exp = bpf_map_lookup_elem(&allow, &k)) != NULL &&
	    (*exp == 0 || *exp > (now ? now : bpf_ktime_get_ns())))
		return 1;
	__builtin_memcpy(&what, addr + 8, 8);
	what ^= ((__u64)port << 32) ^ proto;
	if ((v = viol_begin(wh, EDIM_NET, what, mode == EMODE_BLOCK ?
	    EACT_DENIED : EACT_ALERTED)) != NULL) {
		struct ednsname *nm;
		long n;

		v->family = family;
		v->proto = (__u8)proto;
		if (proto & EPROTO_LISTEN)
			v->dim = EDIM_LISTEN;
		v->port = port;
		__builtin_memcpy(v->addr, addr, 16);
		/* The name the workload's DNS answer gave it, in path. */
		if (!(proto & EPROTO_LISTEN) &&
		    (nm = bpf_map_lookup_elem(&dns_names, addr)) != NULL &&
		    (n = bpf_probe_read_kernel_str(v->path, EDNS_NAME_MAX,
		    nm->name)) > 1)
			v->path_len = (__u16)(n - 1);
		bpf_ringbuf_submit(v, 0);
	}
	return mode == EMODE_BLOCK ? 0 : 1;
}

static __always_inline int
check4(struct bpf_sock_addr *ctx, __u16 proto)
{
	__u8 addr[16] = { [10] = 0xff, [11] = 0xff };
	struct ecache wh;
	__u32 ip;

	if (!resolve_wl(&wh))
		return 1;
	ip = ctx->user_ip4;
	__builtin_memcpy(&addr[12], &ip, 4);
	return decide(&wh, 4, proto, bpf_ntohs((__u16)ctx->user_port), addr);
}

static __always_inline int
check6(struct bpf_sock_addr *ctx, __u16 proto)
{
	__u8 addr[16];
	struct ecache wh;
	__u32 a;

	if (!resolve_wl(&wh))
		return 1;
	a = ctx->user_ip6[0]; __builtin_memcpy(&addr[0], &a, 4);
	a = ctx->user_ip6[1]; __builtin_memcpy(&addr[4], &a, 4);
	a = ctx->user_ip6[2]; __builtin_memcpy(&addr[8], &a, 4);
	a = ctx->user_ip6[3]; __builtin_memcpy(&addr[12], &a, 4);
	return decide(&wh, 6, proto, bpf_ntohs((__u16)ctx->user_port), addr);
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

/* A bind to port 0 (an ephemeral port for a client) is always allowed. */
SEC("cgroup/bind4")
int enf_bind4(struct bpf_sock_addr *ctx)
{
	if (ctx->user_port == 0)
		return 1;
	return check4(ctx, EPROTO_LISTEN | (ctx->type == 2 ? 17 : 6));
}

SEC("cgroup/bind6")
int enf_bind6(struct bpf_sock_addr *ctx)
{
	if (ctx->user_port == 0)
		return 1;
	return check6(ctx, EPROTO_LISTEN | (ctx->type == 2 ? 17 : 6));
}

/*
 * Raw sockets (a hand-built packet passes no connect or sendmsg hook):
 * for a workload with its network in alert or enforce whose baseline has
 * none (the pseudo-syscall socket_raw), reported, and refused (EPERM) in
 * enforce.  This hook runs for inet sockets only:
 * AF_PACKET is caught at socket()'s entry (on_socket_enter).
 */
SEC("cgroup/sock_create")
int enf_sock_create(struct bpf_sock *sk)
{
	struct ecache wh;
	struct eviol *v;
	__u8 mode;

	if (sk->type != 3 /* SOCK_RAW */ && sk->family != 17 /* AF_PACKET */)
		return 1;
	if (!resolve_wl(&wh) || (mode = wh.w.mode[EDIM_NET]) == EMODE_OFF ||
	    sys_learnt(wh.w.wid, ESYS_RAW_SOCKET))
		return 1;	/* outside policy, or in its baseline */
	if ((v = viol_begin(&wh, EDIM_NET, ((__u64)sk->family << 40 |
	    (__u64)sk->type << 32 | sk->protocol) ^ 0x7261770000000000ULL,
	    mode == EMODE_BLOCK ? EACT_DENIED : EACT_ALERTED)) != NULL) {
		v->target = sk->family << 16 | sk->type;
		v->sig = (__s32)sk->protocol;
		v->mode = EM_RAW;
		bpf_ringbuf_submit(v, 0);
	}
	return mode == EMODE_BLOCK ? 0 : 1;
}

/* ------------------------------------------------------------ DNS */

/*
 * DNS-aware egress without a race.  A policy may allow a name
 * (api.openai.com:443).  This program sees every packet a process of an
 * enforced workload receives, before the process can read it; for a DNS
 * answer (UDP from port 53, IPv4 or IPv6) to a question whose name the
 * workload may reach, it adds each A and AAAA record to the workload's
 * allow list, for the record's TTL plus enforced.dns_grace, with the ports
 * of the rule.  So the address is allowed before recvmsg() returns, and
 * therefore before any connect() can use it.  Everything else passes
 * untouched (the program never drops: return 1).  Every A and AAAA
 * answer an enforced workload gets also records address -> name in
 * `dns_names`, so that a violation can say which name the address was
 * reached by.  Answers over TCP or DoH
 * are not parsed: such names are allowed only as resolved at apply time.
 */
#define DNS_MAX_ANS	16

struct dnsp {
	struct __sk_buff *skb;
	__u64	h;		/* FNV-1a of the lower-case question name */
	__u32	off;		/* offset in the packet */
	__u32	len;		/* name bytes hashed */
	__u32	lab;		/* bytes left in the current label */
	__u32	labn;		/* the current label's length */
	__u32	done;
	__u32	bad;
};

static long
qname_step(__u32 i, void *arg)
{
	struct dnsp *p = arg;
	struct escratch *s;
	__u32 zero = 0;
	__u8 c;

	if (bpf_skb_load_bytes(p->skb, p->off, &c, 1) < 0) {
		p->bad = 1;
		return 1;
	}
	p->off++;
	if (p->lab == 0) {		/* a length byte */
		if (c == 0) {
			p->done = 1;
			return 1;
		}
		if (c > 63) {		/* no compression in a question */
			p->bad = 1;
			return 1;
		}
		if (p->len > 0)
			p->h = fnv1a(p->h, '.');
		p->lab = p->labn = c;
		return 0;
	}
	if (c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	p->h = fnv1a(p->h, c);
	if ((s = bpf_map_lookup_elem(&escratch, &zero)) != NULL) {
		if (p->len > 0 && p->lab == p->labn)	/* a label starts */
			s->qname[s->qpos++ & (EDNS_NAME_MAX - 1)] = '.';
		s->qname[s->qpos++ & (EDNS_NAME_MAX - 1)] = (char)c;
		s->qname[s->qpos & (EDNS_NAME_MAX - 1)] = '\0';
	}
	p->len++;
	p->lab--;
	return p->len > 253;
}

/* Skip one name in a resource record (labels or a pointer). */
static long
skip_step(__u32 i, void *arg)
{
	struct dnsp *p = arg;
	__u8 c;

	if (bpf_skb_load_bytes(p->skb, p->off, &c, 1) < 0) {
		p->bad = 1;
		return 1;
	}
	if (c == 0) {
		p->off++;
		return 1;
	}
	if ((c & 0xc0) == 0xc0) {
		p->off += 2;
		return 1;
	}
	p->off += 1 + c;
	return 0;
}

static __always_inline void
dns_learn(__u32 wid, const struct edns_rule *r, const __u8 addr[16],
    __u64 exp)
{
	struct eallow_key k = { .prefixlen = 64 + 128, .wid = wid };
	int i;

	__builtin_memcpy(k.addr, addr, 16);
	for (i = 0; i < EDNS_PORTS; i++) {
		if ((__u32)i >= r->n)
			break;
		k.port = r->port[i];
		k.proto = r->proto[i];
		bpf_map_update_elem(&allow, &k, &exp, BPF_ANY);
	}
}

/*
 * A UDP packet: *off is where its UDP header starts, and addr the
 * packet's source (dst 0) or destination (dst 1), IPv6 or v4-mapped.
 */
static __always_inline int
dns_udp(struct __sk_buff *skb, int dst, __u32 *off, __u8 addr[16])
{
	__u8 b[10];

	__builtin_memset(addr, 0, 16);
	if (skb->protocol == bpf_htons(0x0800)) {
		if (bpf_skb_load_bytes(skb, 0, b, 10) < 0 || b[9] != 17)
			return 0;
		*off = (b[0] & 0xf) * 4;
		addr[10] = addr[11] = 0xff;
		return bpf_skb_load_bytes(skb, dst ? 16 : 12, addr + 12, 4) == 0;
	}
	if (skb->protocol == bpf_htons(0x86DD)) {
		if (bpf_skb_load_bytes(skb, 6, b, 1) < 0 || b[0] != 17)
			return 0;
		*off = 40;
		return bpf_skb_load_bytes(skb, dst ? 24 : 8, addr, 16) == 0;
	}
	return 0;
}

/*
 * The other half: every DNS question a workload with its network in alert
 * or enforce sends over UDP (to port 53, one question), remembered in
 * `dnsq` by server, local port, id and name, for enf_dns to match.
 */
SEC("cgroup_skb/egress")
int enf_dns_q(struct __sk_buff *skb)
{
	struct dnsp p = { .h = FNV1A_INIT };
	struct ednsq_key qk = {};
	struct bpf_sock *sk;
	struct escratch *s;
	struct ecache wh;
	__u32 off, zero = 0;
	__u16 sport, dport;
	__u8 b[12];

	if ((sk = skb->sk) == NULL || (sk = bpf_sk_fullsock(sk)) == NULL ||
	    sk->protocol != 17)
		return 1;	/* not UDP: every TCP packet stops here */
	if (!dns_udp(skb, 1, &off, qk.addr) ||
	    bpf_skb_load_bytes(skb, off + 2, &dport, 2) < 0 ||
	    dport != bpf_htons(53) ||
	    bpf_skb_load_bytes(skb, off, &sport, 2) < 0)
		return 1;
	if (!resolve_wl_skb(skb, &wh) || wh.w.mode[EDIM_NET] == EMODE_OFF)
		return 1;
	off += 8;
	if (bpf_skb_load_bytes(skb, off, b, 12) < 0 || (b[2] & 0x80) != 0 ||
	    b[4] != 0 || b[5] != 1)
		return 1;	/* not a question, or not one */
	if ((s = bpf_map_lookup_elem(&escratch, &zero)) == NULL)
		return 1;
	s->qpos = 0;
	p.skb = skb;
	p.off = off + 12;
	bpf_loop(260, qname_step, &p, 0);
	if (!p.done || p.bad)
		return 1;
	qk.wid = wh.w.wid;
	__builtin_memcpy(&qk.id, b, 2);
	qk.port = bpf_ntohs(sport);
	bpf_map_update_elem(&dnsq, &qk, &p.h, BPF_ANY);
	return 1;
}

SEC("cgroup_skb/ingress")
int enf_dns(struct __sk_buff *skb)
{
	struct edns_key dk = {};
	struct ednsq_key qk = {};
	struct edns_rule *r;
	struct dnsp p = { .h = FNV1A_INIT };
	struct escratch *s;
	struct ecache wh;
	__u32 off, i, zero = 0;
	__u16 sport, dport, an, type, rdlen;
	__u8 b[12], addr[16], src[16];
	__u64 now, ttl, *qh;
	struct bpf_sock *sk;

	if ((sk = skb->sk) == NULL || (sk = bpf_sk_fullsock(sk)) == NULL ||
	    sk->protocol != 17)
		return 1;	/* not UDP: every TCP packet stops here */
	if (!dns_udp(skb, 0, &off, src))
		return 1;
	if (bpf_skb_load_bytes(skb, off, &sport, 2) < 0 ||
	    sport != bpf_htons(53) ||
	    bpf_skb_load_bytes(skb, off + 2, &dport, 2) < 0)
		return 1;
	/* A workload of ours?  Its sockets' cgroup decides. */
	if (!resolve_wl_skb(skb, &wh) || wh.w.mode[EDIM_NET] == EMODE_OFF)
		return 1;
	off += 8;
	if (bpf_skb_load_bytes(skb, off, b, 12) < 0 ||
	    (b[2] & 0x80) == 0 || (b[3] & 0xf) != 0 || b[4] != 0 || b[5] != 1)
		return 1;	/* not a good answer to one question */
	an = ((__u16)b[6] << 8) | b[7];
	if ((s = bpf_map_lookup_elem(&escratch, &zero)) == NULL)
		return 1;
	s->qpos = 0;
	s->qname[0] = '\0';
	p.skb = skb;
	p.off = off + 12;
	bpf_loop(260, qname_step, &p, 0);
	if (!p.done || p.bad)
		return 1;
	/* Only an answer to a question this workload sent to this server
	 * from this port, with this id and name: a forged one opens nothing. */
	qk.wid = wh.w.wid;
	__builtin_memcpy(&qk.id, b, 2);
	qk.port = bpf_ntohs(dport);
	__builtin_memcpy(qk.addr, src, 16);
	if ((qh = bpf_map_lookup_elem(&dnsq, &qk)) == NULL || *qh != p.h)
		return 1;
	bpf_map_delete_elem(&dnsq, &qk);
	dk.wid = wh.w.wid;
	dk.hash = p.h;
	r = bpf_map_lookup_elem(&dns_allow, &dk);	/* NULL: names only */
	p.off += 4;		/* qtype, qclass */
	now = bpf_ktime_get_ns();
	for (i = 0; i < DNS_MAX_ANS && i < an; i++) {
		bpf_loop(128, skip_step, &p, 0);
		if (p.bad || bpf_skb_load_bytes(skb, p.off, b, 10) < 0)
			break;
		type = ((__u16)b[0] << 8) | b[1];
		ttl = ((__u32)b[4] << 24) | ((__u32)b[5] << 16) |
		    ((__u32)b[6] << 8) | b[7];
		rdlen = ((__u16)b[8] << 8) | b[9];
		p.off += 10;
		__builtin_memset(addr, 0, 16);
		if (type == 1 && rdlen == 4) {
			addr[10] = addr[11] = 0xff;
			if (bpf_skb_load_bytes(skb, p.off, addr + 12, 4) < 0)
				break;
		} else if (type == 28 && rdlen == 16) {
			if (bpf_skb_load_bytes(skb, p.off, addr, 16) < 0)
				break;
		} else {
			p.off += rdlen;
			continue;
		}
		/* The name, for the violations that reach this address. */
		bpf_map_update_elem(&dns_names, addr, s->qname, BPF_ANY);
		if (r != NULL)
			dns_learn(wh.w.wid, r, addr, now + (ttl + r->grace_s) *
			    1000000000ULL);
		p.off += rdlen;
	}
	return 1;
}

/* ------------------------------------------------------------ cgroups */

struct fnv_ctx {
	const char	*s;
	__u64		 h;
	__u64		 hp;			/* from ENAME_PRE_BASIS */
	__u64		 pre[8];	/* hp at the ENAME_PRE_LEN lengths */
	__u32		 npre;
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
	c->h = fnv1a(c->h, (__u8)ch);
	c->hp = fnv1a(c->hp, (__u8)ch);
	if (ENAME_PRE_LEN(i + 1) && c->npre < ENAME_PRE_N)
		c->pre[c->npre++ & 7] = c->hp;
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[ENAME_MAX]);
} namebuf SEC(".maps");

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(enf_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	struct fnv_ctx c = { .h = FNV1A_INIT, .hp = ENAME_PRE_BASIS };
	__u32 zero = 0, i;
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
	w = bpf_map_lookup_elem(&wl_names, &c.h);
	for (i = 0; w == NULL && i < ENAME_PRE_N; i++)	/* a container */
		if (i < c.npre)
			w = bpf_map_lookup_elem(&wl_names, &c.pre[i & 7]);
	if (w == NULL)
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	bpf_map_update_elem(&wl_cg, &id, w, BPF_ANY);
	return 0;
}

/*
 * Leaving the workload's cgroup.  A workload process in alert or enforce
 * that opens a cgroup file for writing is killed (on_open_exit) and
 * marked in `cgwriter` with its workload; a move it still makes through
 * that fd (a second thread, before the kill lands) kills the process
 * moved, here, in the write, before it can run outside.  io_uring, which
 * could write without an open we see, is refused (enf_sys_guard).
 */
SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(enf_cgroup_attach, struct cgroup *dst, const char *path,
    struct task_struct *task, bool threadgroup)
{
	__u32 me = bpf_get_current_pid_tgid() >> 32;
	struct ecache *wh;
	struct eviol *v;
	long n;

	if ((wh = bpf_map_lookup_elem(&cgwriter, &me)) == NULL)
		return 0;
	bpf_send_signal_task(task, SIGKILL_, PIDTYPE_TGID, 0);
	bpf_send_signal(SIGKILL_);
	if ((v = viol_protect(wh, EDIM_SYSCALL, ((__u64)BPF_CORE_READ(task,
	    tgid) << 8) ^ EM_PROTECT ^ 0x6367000000000000ULL,
	    EACT_KILLED)) != NULL) {
		v->mode = EM_PROTECT | EM_CGROUP;
		v->target = BPF_CORE_READ(task, tgid);
		n = bpf_probe_read_kernel_str(v->path, EPAT_MAX, path);
		v->path_len = n > 1 ? (__u16)(n - 1) : 0;
		bpf_ringbuf_submit(v, 0);
	}
	return 0;
}

/*
 * The other way out: clone3(CLONE_INTO_CGROUP) starts a child straight in
 * another cgroup.  A child of a workload in alert or enforce whose cgroup
 * is not inside the workload's is killed with its parent before either
 * returns.  (A fork into the parent's own cgroup, nearly every fork,
 * costs two reads and a compare.)
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(enf_fork, struct task_struct *parent, struct task_struct *child)
{
	struct cgroup *cc = BPF_CORE_READ(child, cgroups, dfl_cgrp), *anc = NULL;
	struct ecache wh;
	struct eviol *v;
	int lvl;

	if (BPF_CORE_READ(parent, cgroups, dfl_cgrp) == cc)
		return 0;
	if (!resolve_wl(&wh) || !guarded(&wh))
		return 0;
	lvl = BPF_CORE_READ(cc, level);
	if (lvl >= (int)wh.level && wh.level < 64) {
		bpf_probe_read_kernel(&anc, sizeof(anc),
		    &cc->ancestors[wh.level & 63]);
		if (anc != NULL && BPF_CORE_READ(anc, kn, id) == wh.wcgid)
			return 0;	/* still inside */
	}
	bpf_send_signal_task(child, SIGKILL_, PIDTYPE_TGID, 0);
	bpf_send_signal(SIGKILL_);
	if ((v = viol_protect(&wh, EDIM_SYSCALL, ((__u64)435 << 40) ^
	    EM_PROTECT, EACT_KILLED)) != NULL) {
		v->mode = EM_PROTECT | EM_CGROUP;
		v->syscall = 435;	/* clone3 */
		v->target = BPF_CORE_READ(child, tgid);
		bpf_ringbuf_submit(v, 0);
	}
	return 0;
}

/* ------------------------------------------------------------ exec */

/* What the lineage of later violations needs: this exec's path and argv. */
static __always_inline void
emit_exec(struct task_struct *p, __u32 n)
{
	struct eexec *r;
	unsigned long as, ae;
	__u32 len;

	if ((r = bpf_ringbuf_reserve(&viol, sizeof(*r), 0)) == NULL)
		return;
	r->type = EREC_EXEC;
	r->pid = BPF_CORE_READ(p, tgid);
	r->ppid = BPF_CORE_READ(p, real_parent, tgid);
	r->start = BPF_CORE_READ(p, start_boottime);
	r->path_len = copy_path(r->path, n);
	as = BPF_CORE_READ(p, mm, arg_start);
	ae = BPF_CORE_READ(p, mm, arg_end);
	len = ae > as ? (__u32)(ae - as) : 0;
	if (len > EARGS_MAX)
		len = EARGS_MAX;
	r->args_len = 0;
	if (len > 0 && bpf_probe_read_user(r->args, len & (EARGS_MAX - 1) ?
	    len & (EARGS_MAX - 1) : EARGS_MAX, (void *)as) == 0)
		r->args_len = (__u16)len;
	bpf_ringbuf_submit(r, 0);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(enf_exec, struct task_struct *p, pid_t old_pid,
    struct linux_binprm *bprm)
{
	struct file *f = BPF_CORE_READ(bprm, file);
	struct efile_key fk;
	struct ecache wh;
	struct epath path;
	__u64 gen;
	__u8 mode;

	if (!resolve_wl(&wh))
		return 0;
	/* The path for the lineage cache, whatever the exec mode. */
	path_of(f, &path);
	emit_exec(p, path.n);
	mode = wh.w.mode[EDIM_EXEC];
	if (mode == EMODE_OFF || (cur_flags() & EF_LSM) ||
	    file_cached(&wh, f, EDIM_EXEC, EM_EXEC, &fk, &gen) ||
	    check_path(&wh, &fk, gen, EDIM_EXEC, EM_EXEC, mode == EMODE_BLOCK ?
	    EACT_KILLED : EACT_ALERTED, &path))
		return 0;
	if (mode == EMODE_BLOCK)
		bpf_send_signal(SIGKILL_);
	return 0;
}

/* ------------------------------------------------------------ files */

/* The file behind the current task's fd, or NULL. */
static __always_inline struct file *
fd_file(long fd)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct file **fds, *f = NULL;

	if (fd < 0 || fd >= BPF_CORE_READ(t, files, fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(t, files, fdt, fd);
	if (fds == NULL || bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) < 0)
		return NULL;
	return f;
}

/*
 * Self-protection: a cgroup file opened for writing (cgroup.procs and
 * cgroup.threads move processes out of the workload; the rest change its
 * limits or freeze and kill it).  Killed before the caller sees the fd,
 * and marked so that a move a second thread still makes is undone
 * (enf_cgroup_attach).
 */
/*
 * The name in escratch.pat taken as the kernel starts its lookup: as it
 * is when absolute, else after the path of directory fd dfd (AT_FDCWD:
 * the working directory; an empty name: that directory itself), laid
 * out in escratch.path.  Returns its length; *h its FNV-1a 64, *flags
 * EP_TRUNC when it could not be laid out whole.  No symlink is followed
 * and no "." or ".." folded: such a name matches no rule.
 */
static __always_inline __u32
pat_at(long dfd, __u64 *h, __u16 *flags)
{
	struct task_struct *t;
	struct escratch *s;
	struct dentry *dd;
	struct vfsmount *dm;
	struct file *f;
	__u32 zero = 0, off = 0;
	int dummy = 0;
	long m;

	*h = 0;
	if ((s = bpf_map_lookup_elem(&escratch, &zero)) == NULL) {
		*flags |= EP_TRUNC;
		return 0;
	}
	if (s->pat[0] != '/') {
		if (dfd == AT_FDCWD_) {
			t = (void *)bpf_get_current_task();
			dd = BPF_CORE_READ(t, fs, pwd.dentry);
			dm = BPF_CORE_READ(t, fs, pwd.mnt);
		} else if ((f = fd_file(dfd)) != NULL) {
			dd = BPF_CORE_READ(f, f_path.dentry);
			dm = BPF_CORE_READ(f, f_path.mnt);
		} else {
			*flags |= EP_TRUNC;	/* a bad fd: the call fails */
			return 0;
		}
		off = file_path(dm, dd, h, flags);
		if (s->pat[0] == '\0')
			return off;	/* AT_EMPTY_PATH: the fd's own file */
		if (off > EPATH_MAX / 2 - 2) {
			*flags |= EP_TRUNC;
			return off;
		}
		barrier_var(off);
		off &= EPATH_MAX / 2 - 1;
		if (off > 1)
			s->path[off++ & (EPATH_MAX - 1)] = '/';
		else
			off = 1;	/* the root: "/" is there already */
	}
	barrier_var(off);
	off &= EPATH_MAX / 2 - 1;
	if ((m = bpf_probe_read_kernel_str(s->path + off, EPAT_MAX,
	    s->pat)) <= 1) {
		*flags |= EP_TRUNC;
		return off;
	}
	if (m >= EPAT_MAX)
		*flags |= EP_TRUNC;
	s->lay.pos = off + (__u32)m - 1;
	s->lay.h = FNV1A_INIT;
	bpf_loop(EPATH_MAX, hash_step, &dummy, 0);
	*h = s->lay.h;
	return s->lay.pos;
}

static __always_inline int
cgroup_write(const struct ecache *wh, struct file *f)
{
	__u32 me = bpf_get_current_pid_tgid() >> 32;
	struct epath p;
	struct eviol *v;

	bpf_map_update_elem(&cgwriter, &me, wh, BPF_ANY);
	bpf_send_signal(SIGKILL_);
	path_of(f, &p);
	if ((v = viol_protect(wh, EDIM_FILE, p.h ^ EM_PROTECT,
	    EACT_KILLED)) != NULL) {
		v->mode = EM_PROTECT | EM_CGROUP | EM_WRITE;
		v->path_len = copy_path(v->path, p.n);
		v->path_flags |= p.flags;
		bpf_ringbuf_submit(v, 0);
	}
	return 0;
}

/* Self-protection: one of Paddock's secrets opened, in any way. */
static __always_inline int
secret_open(const struct ecache *wh, struct file *f)
{
	struct epath p;
	struct eviol *v;

	bpf_send_signal(SIGKILL_);
	path_of(f, &p);
	if ((v = viol_protect(wh, EDIM_FILE, p.h ^ EM_PROTECT,
	    EACT_KILLED)) != NULL) {
		v->mode = EM_PROTECT | EM_READ;
		v->path_len = copy_path(v->path, p.n);
		v->path_flags |= p.flags;
		bpf_ringbuf_submit(v, 0);
	}
	return 0;
}

static __always_inline int
on_open_exit(long ret)
{
	struct ecache wh;
	struct file *f;
	unsigned int fmode;
	__u8 mode, want = 0;

	if (ret < 0 || !resolve_wl(&wh) || !guarded(&wh))
		return 0;
	/* The file the new fd refers to, not the string the caller passed. */
	if ((f = fd_file(ret)) == NULL)
		return 0;
	fmode = BPF_CORE_READ(f, f_mode);
	if (protected_file(f))
		return secret_open(&wh, f);
	if ((fmode & FMODE_WRITE_) && BPF_CORE_READ(f, f_inode, i_sb,
	    s_magic) == CGROUP2_SUPER_MAGIC_)
		return cgroup_write(&wh, f);
	if ((mode = wh.w.mode[EDIM_FILE]) == EMODE_OFF)
		return 0;
	if (fmode & FMODE_READ_)
		want |= EM_READ;
	if (fmode & FMODE_WRITE_)
		want |= EM_WRITE;
	if (want == 0)
		return 0;	/* O_PATH: no access; a reopen is an open */
	if (check_file(&wh, f, EDIM_FILE, want, mode == EMODE_BLOCK ?
	    EACT_KILLED : EACT_ALERTED))
		return 0;
	if (mode == EMODE_BLOCK)
		bpf_send_signal(SIGKILL_);
	return 0;
}

/*
 * Unix sockets, after a successful connect(), by the peer the kernel chose
 * (a symlink, a relative path or a hard link changes nothing).  Paddock's
 * Redis, compared by inode: killed before the caller can send a byte
 * (self-protection).  Any other named socket: a write of its path under
 * the file rules (what the collector learnt): outside them, reported, and
 * in enforce killed the same way.
 */
static __always_inline int
on_connect_exit(long fd)
{
	struct unix_sock *u, *peer;
	struct eprot_inode key;
	struct ecache wh;
	struct dentry *d;
	struct socket *sock;
	struct epath p;
	struct eviol *v;
	struct file *f;

	if (!resolve_wl(&wh) || !guarded(&wh) || (f = fd_file(fd)) == NULL ||
	    (BPF_CORE_READ(f, f_inode, i_mode) & 0170000) != 0140000)
		return 0;	/* not a socket */
	sock = BPF_CORE_READ(f, private_data);
	u = (struct unix_sock *)BPF_CORE_READ(sock, sk);
	if (u == NULL || BPF_CORE_READ(&u->sk, __sk_common.skc_family) != 1)
		return 0;	/* not AF_UNIX */
	peer = (struct unix_sock *)BPF_CORE_READ(u, peer);
	if (peer == NULL || (d = BPF_CORE_READ(peer, path.dentry)) == NULL)
		return 0;	/* unnamed or abstract */
	key.dev = BPF_CORE_READ(d, d_inode, i_sb, s_dev);
	key.ino = BPF_CORE_READ(d, d_inode, i_ino);
	p.flags = 0;
	if (bpf_map_lookup_elem(&prot_sock, &key) == NULL) {
		/* Another socket: a destination of the file rules. */
		if (wh.w.mode[EDIM_FILE] == EMODE_OFF)
			return 0;
		p.n = file_path(BPF_CORE_READ(peer, path.mnt), d, &p.h,
		    &p.flags);
		if (!unix_dest_ok(&wh, p.h, p.n, p.flags,
		    wh.w.mode[EDIM_FILE] == EMODE_BLOCK ? EACT_KILLED :
		    EACT_ALERTED, 42) && wh.w.mode[EDIM_FILE] == EMODE_BLOCK)
			bpf_send_signal(SIGKILL_);
		return 0;
	}
	bpf_send_signal(SIGKILL_);
	p.n = file_path(BPF_CORE_READ(peer, path.mnt), d, &p.h, &p.flags);
	if ((v = viol_protect(&wh, EDIM_NET, key.ino ^ EM_PROTECT,
	    EACT_KILLED)) != NULL) {
		v->mode = EM_PROTECT;
		v->path_len = copy_path(v->path, p.n);
		v->path_flags |= p.flags;
		bpf_ringbuf_submit(v, 0);
	}
	return 0;
}

/*
 * One raw tracepoint for all syscall exits, filtered on the number first:
 * it needs no tracefs (the per-syscall tracepoints do), and once any
 * syscall hook is on every task takes the traced path anyway.  x86_64
 * numbers.
 */
/* A link, rename or symlink killed at its entry (linkpend) returns: tell
 * enforced, which quarantines the name it made once it is there. */
static __always_inline int
on_link_exit(long ret)
{
	__u32 me = bpf_get_current_pid_tgid() >> 32;
	struct elinked *r;

	if (bpf_map_lookup_elem(&linkpend, &me) == NULL)
		return 0;
	bpf_map_delete_elem(&linkpend, &me);
	if ((r = bpf_ringbuf_reserve(&viol, sizeof(*r), 0)) == NULL)
		return 0;
	r->type = EREC_LINKED;
	r->pid = me;
	r->ret = ret;
	bpf_ringbuf_submit(r, 0);
	return 0;
}

SEC("raw_tp/sys_exit")
int enf_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long nr = BPF_CORE_READ(regs, orig_ax);

	long ret = (long)ctx->args[1];

	if (nr == NR_LINK || nr == NR_LINKAT || nr == NR_SYMLINK ||
	    nr == NR_SYMLINKAT || nr == NR_RENAME || nr == NR_RENAMEAT ||
	    nr == NR_RENAMEAT2)
		return on_link_exit(ret);
	if (cur_flags() & EF_LSM)
		return 0;	/* LSM decides opens and unix connects */
	if (nr == NR_CONNECT)
		return ret == 0 ? on_connect_exit(BPF_CORE_READ(regs, di)) : 0;
	if (nr != NR_OPEN && nr != NR_OPENAT && nr != NR_OPENAT2 &&
	    nr != NR_CREAT)
		return 0;
	return on_open_exit(ret);
}

/*
 * An abstract unix name (the address in escratch.pat, n bytes, the first
 * one NUL) laid out in escratch.path as "@name", the way ss(8) and systemd
 * write it, and hashed.  Returns its length; *flags EP_TRUNC when the name
 * has a NUL inside (no rule names such a socket: denied, never confused
 * with the name before the NUL).
 */
static __always_inline __u32
abstract_at(__u32 n, __u64 *h, __u16 *flags)
{
	struct escratch *s;
	__u32 zero = 0;
	int dummy = 0;
	long m;

	if ((s = bpf_map_lookup_elem(&escratch, &zero)) == NULL) {
		*flags |= EP_TRUNC;
		return 0;
	}
	s->path[0] = '@';
	/* n - 1 bytes of name and a NUL; fewer: a NUL inside. */
	if ((m = bpf_probe_read_kernel_str(s->path + 1, n & 127,
	    s->pat + 1)) < 0) {
		*flags |= EP_TRUNC;
		return 0;
	}
	if ((__u32)m < n)
		*flags |= EP_TRUNC;
	s->lay.pos = (__u32)m;		/* "@" and the name */
	s->lay.h = FNV1A_INIT;
	bpf_loop(EPATH_MAX, hash_step, &dummy, 0);
	*h = s->lay.h;
	return (__u32)m;
}

/*
 * A unix address given to connect (cgroup/connect_unix) or to a datagram
 * send (cgroup/sendmsg_unix), as the kernel has it before it looks the
 * name up: connect(2), sendto(2), sendmsg(2) and io_uring's connect and
 * sendmsg alike.  1 lets it go on; 0 is EPERM before any byte moves.
 *
 *  - Paddock's Redis socket, by its name: refused, always (self-
 *    protection).  A name through a symlink, a hard link, a bind mount or
 *    with "." or ".." in it is not this name: the exit of connect(2)
 *    catches those by the peer's inode and kills the caller
 *    (on_connect_exit); a datagram cannot reach Redis's stream socket.
 *  - An abstract name: a write of "@name" under the file rules, decided
 *    here, before the connection (no other hook sees it).
 *  - A named socket given to a datagram send: a write of that name (made
 *    absolute from the working directory, no symlink followed) under the
 *    file rules.  A named connect is decided at its exit, by the peer the
 *    kernel found (on_connect_exit), or by the LSM.
 */
static __always_inline int
unix_addr(struct bpf_sock_addr *ctx, int send)
{
	struct bpf_sock_addr_kern *sa;
	struct eprot_upath key;
	struct escratch *s;
	struct ecache wh;
	struct eviol *v;
	__u32 zero = 0, n;
	__u16 flags = 0;
	__u8 fm;

	if (!resolve_wl(&wh) || !guarded(&wh) ||
	    (s = bpf_map_lookup_elem(&escratch, &zero)) == NULL)
		return 1;
	sa = bpf_cast_to_kern_ctx(ctx);
	n = sa->uaddrlen;
	if (n <= 2)
		return 1;	/* autobind: no name */
	n -= 2;			/* sun_family */
	if (n > 108)
		n = 108;
	if (bpf_probe_read_kernel(s->pat, 108, (char *)sa->uaddr + 2) < 0)
		return 1;
	barrier_var(n);		/* keep the mask for the verifier */
	s->pat[n & (EPAT_MAX - 1)] = '\0';
	fm = wh.w.mode[EDIM_FILE];
	if (s->pat[0] == '\0') {
		if (fm == EMODE_OFF)
			return 1;
		n = abstract_at(n, &key.hash, &flags);
	} else {
		n = pat_at(AT_FDCWD_, &key.hash, &flags);
		if (bpf_map_lookup_elem(&prot_upath, &key) != NULL) {
			if ((v = viol_protect(&wh, EDIM_NET,
			    key.hash ^ EM_PROTECT, EACT_DENIED)) != NULL) {
				v->mode = EM_PROTECT;
				v->path_len = copy_path(v->path, n);
				bpf_ringbuf_submit(v, 0);
			}
			return 0;
		}
		if (!send || fm == EMODE_OFF)
			return 1;
	}
	return unix_dest_ok(&wh, key.hash, n, flags, fm == EMODE_BLOCK ?
	    EACT_DENIED : EACT_ALERTED, send ? 44 : 42) || fm != EMODE_BLOCK;
}

/* kern.c loads these as connect_unix and sendmsg_unix where the kernel
 * has those hooks (6.7 and later); the section names are placeholders
 * that libbpf 1.1 knows. */
SEC("cgroup/connect4")
int enf_connect_unix(struct bpf_sock_addr *ctx)
{
	return unix_addr(ctx, 0);
}

SEC("cgroup/sendmsg4")
int enf_sendmsg_unix(struct bpf_sock_addr *ctx)
{
	return unix_addr(ctx, 1);
}

/* ------------------------------------------------------------ signals */

/* The process a pidfd (pidfs, an older anon-inode pidfd, or a /proc/PID
 * directory) refers to, by its pid in the initial namespace; 0 if none. */
static __always_inline __u32
pidfd_target(long fd)
{
	struct file *f = fd_file(fd);
	struct inode *ino;
	struct pid *p;
	unsigned long magic;

	if (f == NULL)
		return 0;
	ino = BPF_CORE_READ(f, f_inode);
	magic = BPF_CORE_READ(ino, i_sb, s_magic);
	if (magic == PID_FS_MAGIC_)
		p = BPF_CORE_READ(ino, i_private);
	else if (magic == ANON_INODE_FS_MAGIC_) {
		char name[8] = {};	/* every anon inode file: is it "[pidfd]"? */

		bpf_probe_read_kernel_str(name, sizeof(name),
		    BPF_CORE_READ(f, f_path.dentry, d_name.name));
		if (__builtin_memcmp(name, "[pidfd]", 8) != 0)
			return 0;
		p = BPF_CORE_READ(f, private_data);
	}
	else if (magic == PROC_SUPER_MAGIC_)
		p = BPF_CORE_READ(container_of(ino, struct proc_inode,
		    vfs_inode), pid);
	else
		return 0;
	return p != NULL ? BPF_CORE_READ(p, numbers[0].nr) : 0;
}

/* A task in a pid namespace below enforced's (EF_PIDNS_LEVEL): it names
 * pids there, where no daemon is visible. */
static __always_inline int
inner_pidns(struct task_struct *t)
{
	return BPF_CORE_READ(t, thread_pid, level) >
	    ((cur_flags() >> EF_PIDNS_SHIFT) & 0xff);
}

/* Mark the current process in `sigmark`: daemons refuse its signals. */
static __always_inline void
mark_me(void)
{
	__u32 me = bpf_get_current_pid_tgid() >> 32;
	__u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&sigmark, &me, &now, BPF_ANY);
}

/* A workload caught reaching for a daemon (a signal sig, or 0: into its
 * process) through syscall nr: marked before the call goes on, killed,
 * recorded. */
static __always_inline void
caught_signalling(const struct ecache *wh, long nr, long sig, __u32 target)
{
	struct eviol *v;

	mark_me();
	bpf_send_signal(SIGKILL_);
	if ((v = viol_protect(wh, EDIM_SYSCALL, ((__u64)nr << 40 |
	    (__u64)(sig & 0xff) << 32 | target) ^ EM_PROTECT,
	    EACT_KILLED)) != NULL) {
		v->mode = EM_PROTECT;
		v->syscall = (__s32)nr;
		v->target = target;
		v->sig = (__s32)sig;
		bpf_ringbuf_submit(v, 0);
	}
}

/*
 * Self-protection: signals to Paddock's daemons, without BPF LSM.  At the
 * entry of kill, tkill, tgkill, rt_(tg)sigqueueinfo and pidfd_send_signal
 * the target (a tgid or tid, a process group, or everyone) is looked up
 * in `prot_pid`.  A hit from a workload in alert or enforce is killed, and
 * marked in `sigmark` before the signal goes: the call itself still runs
 * (a tracepoint cannot skip it), so the daemon receives the signal, finds
 * the sender marked and refuses it (libcommon/sigguard.h).  SIGKILL and
 * SIGSTOP cannot be refused that way; see docs/enforcement.md.
 */
static __always_inline int
on_signal_enter(struct pt_regs *regs, long nr)
{
	__s32 a0 = (__s32)BPF_CORE_READ(regs, di);
	__u32 key, target;
	__u8 need = EPROT_PROC;
	struct task_struct *t;
	struct ecache wh;
	long sig;

	sig = nr == NR_TGKILL || nr == NR_RT_TGSIGQUEUEINFO ?
	    (long)BPF_CORE_READ(regs, dx) : (long)BPF_CORE_READ(regs, si);
	if (sig == 0)
		return 0;	/* a probe: "are you there?" */
	/* A caller in a pid namespace of its own names pids there, where no
	 * daemon of the host is visible: only a pidfd can reach one. */
	t = (void *)bpf_get_current_task();
	if (nr != NR_PIDFD_SEND_SIGNAL && inner_pidns(t))
		return 0;
	key = (__u32)a0;
	if (nr == NR_PIDFD_SEND_SIGNAL) {
		if ((key = pidfd_target(a0)) == 0)
			return 0;
		if (BPF_CORE_READ(regs, r10) & PIDFD_SIGNAL_PROCESS_GROUP_)
			need = EPROT_GROUP;
	} else if (nr == NR_KILL && a0 <= 0) {
		need = EPROT_GROUP;
		if (a0 == 0) {		/* the caller's own process group */
			key = BPF_CORE_READ(t, signal, pids[PIDTYPE_PGID],
			    numbers[0].nr);
		} else if (a0 != -1)
			key = (__u32)-a0;
	}
	target = need == EPROT_GROUP ? (__u32)-(__s32)key : key;
	if (nr == NR_KILL && a0 == -1)
		target = EPROT_ALL;	/* every process it may signal */
	else if (!protected_id(key, need))
		return 0;
	if (resolve_wl(&wh) && guarded(&wh))
		caught_signalling(&wh, nr, sig, target);
	return 0;
}

/*
 * fcntl(fd, F_SETOWN or F_SETOWN_EX, daemon), or ioctl FIOSETOWN or
 * SIOCSPGRP: the kernel would signal the daemon itself when the fd is
 * ready, with no kill syscall to catch.  (The owner is read from the
 * caller's memory at entry, for F_SETOWN_EX and the ioctls: a second
 * thread may change it after; the daemon's own refusal still holds.)  The
 * daemon refuses such a signal anyway (its origin names no process); the
 * attempt is killed and recorded here like a kill.
 */
static __always_inline int
on_setown_enter(struct pt_regs *regs, long nr)
{
	__u32 cmd = (__u32)BPF_CORE_READ(regs, si);	/* as the kernel reads it */
	struct { int type; int pid; } ex;
	struct task_struct *t;
	struct ecache wh;
	__u8 need = EPROT_PROC;
	__u32 key;
	__s32 who;

	if (nr == NR_IOCTL) {	/* FIOSETOWN, SIOCSPGRP: an int in memory */
		if ((cmd != FIOSETOWN_ && cmd != SIOCSPGRP_) ||
		    bpf_probe_read_user(&who, sizeof(who),
		    (void *)BPF_CORE_READ(regs, dx)) < 0)
			return 0;
	} else if (cmd == F_SETOWN_)
		who = (__s32)BPF_CORE_READ(regs, dx);
	else if (cmd == F_SETOWN_EX_) {
		if (bpf_probe_read_user(&ex, sizeof(ex),
		    (void *)BPF_CORE_READ(regs, dx)) < 0)
			return 0;
		who = ex.type == 2 ? -ex.pid : ex.pid;	/* F_OWNER_PGRP */
	} else
		return 0;
	t = (void *)bpf_get_current_task();
	if (who == 0 || inner_pidns(t))
		return 0;
	if (who < 0)
		need = EPROT_GROUP;
	key = who < 0 ? (__u32)-who : (__u32)who;
	if (!protected_id(key, need) || !resolve_wl(&wh) || !guarded(&wh))
		return 0;
	caught_signalling(&wh, nr, SIGIO_, (__u32)who);
	return 0;
}

/*
 * Reaching into a daemon's process: ptrace, process_vm_readv/writev,
 * pidfd_getfd (its fds: its Redis connection), prlimit64 with a new
 * limit.  Killed, marked and recorded like a signal (target the pid, no
 * signal).  The call itself still runs: a ptrace attach ends with its
 * tracer's death, but a process_vm_writev has written and a prlimit has
 * set the limit (docs/enforcement.md); BPF LSM refuses them instead.
 */
static __always_inline int
on_reach_enter(struct pt_regs *regs, long nr)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct ecache wh;
	__u32 key;

	if (nr == NR_PTRACE)
		key = (__u32)BPF_CORE_READ(regs, si);
	else if (nr == NR_PIDFD_GETFD)
		key = pidfd_target((long)(int)BPF_CORE_READ(regs, di));
	else if (nr == NR_PRLIMIT64 && BPF_CORE_READ(regs, dx) == 0)
		return 0;	/* only reading the limit */
	else
		key = (__u32)BPF_CORE_READ(regs, di);
	if (key == 0 || (nr != NR_PIDFD_GETFD && inner_pidns(t)) ||
	    !protected_id(key, EPROT_PROC) || !resolve_wl(&wh) || !guarded(&wh))
		return 0;
	caught_signalling(&wh, nr, 0, key);
	return 0;
}

/* 1 when the absolute path s starts with a bpffs mount point. */
static __always_inline int
under_bpffs(const char *s)
{
	struct ebpffs *m;
	__u32 i, j;

	for (i = 0; i < EBPFFS_N; i++) {
		__u32 k = i;

		if ((m = bpf_map_lookup_elem(&bpffs_at, &k)) == NULL ||
		    m->len == 0 || m->len >= EBPFFS_LEN)
			continue;
		for (j = 0; j < EBPFFS_LEN; j++)
			if (j >= m->len || s[j] != m->p[j])
				break;
		if (j == m->len && j < EBPFFS_LEN &&
		    (s[j] == '/' || s[j] == '\0'))
			return 1;
	}
	return 0;
}

/*
 * Self-protection: the pins, without BPF LSM.  At the entry of unlink,
 * unlinkat, rmdir and the renames, from a workload in alert or enforce,
 * the name is taken as bpffs's if it is relative to a directory on bpffs
 * (the dirfd's, or the working directory: exact, from the kernel's own
 * objects), or absolute and under a bpffs mount point (a string: a
 * symlink or a `..` on the way escapes it).  The sender is killed; the
 * call still runs, and enforced, holding every link and watching the
 * directory, pins again at once.  The record names the pin.
 */
static __always_inline int
on_unlink_enter(struct pt_regs *regs, long nr)
{
	int at = nr == NR_UNLINKAT || nr == NR_RENAMEAT || nr == NR_RENAMEAT2;
	const char *name = (const char *)(at ? BPF_CORE_READ(regs, si) :
	    BPF_CORE_READ(regs, di));
	long dfd = at ? (long)(int)BPF_CORE_READ(regs, di) : AT_FDCWD_;
	struct task_struct *t;
	struct escratch *s;
	struct ecache wh;
	struct dentry *dd;
	struct vfsmount *dm;
	struct file *f;
	struct eviol *v;
	struct epath p;
	__u32 zero = 0, off;
	long n;

	if (!resolve_wl(&wh) || !guarded(&wh) ||
	    (s = bpf_map_lookup_elem(&escratch, &zero)) == NULL)
		return 0;
	if ((n = bpf_probe_read_user_str(s->pat, EPAT_MAX, name)) <= 1)
		return 0;
	if (s->pat[0] == '/') {
		if (!under_bpffs(s->pat))
			return 0;
		dd = NULL;
		dm = NULL;
	} else {
		if (dfd == AT_FDCWD_) {
			t = (void *)bpf_get_current_task();
			dd = BPF_CORE_READ(t, fs, pwd.dentry);
			dm = BPF_CORE_READ(t, fs, pwd.mnt);
		} else if ((f = fd_file(dfd)) != NULL) {
			dd = BPF_CORE_READ(f, f_path.dentry);
			dm = BPF_CORE_READ(f, f_path.mnt);
		} else
			return 0;
		if (dd == NULL ||
		    BPF_CORE_READ(dd, d_sb, s_magic) != BPF_FS_MAGIC_)
			return 0;
	}
	bpf_send_signal(SIGKILL_);
	p.flags = 0;
	p.n = dd != NULL ? file_path(dm, dd, &p.h, &p.flags) : 0;
	if ((v = viol_protect(&wh, EDIM_FILE, ((__u64)nr << 40) ^ EM_PROTECT ^
	    (__u64)n, EACT_KILLED)) == NULL)
		return 0;
	v->mode = EM_PROTECT | EM_WRITE;
	v->syscall = (__s32)nr;
	v->path_flags |= p.flags;
	if (dd == NULL) {		/* the absolute name, as given */
		v->path_len = (__u16)(n - 1);
		bpf_probe_read_kernel_str(v->path, EPAT_MAX, s->pat);
	} else {			/* the directory, then the name */
		off = copy_path(v->path, p.n);
		if (off < EPATH_MAX / 2 - 1) {
			barrier_var(off);	/* keep the mask for the verifier */
			off &= EPATH_MAX / 2 - 1;
			v->path[off] = '/';
			n = bpf_probe_read_kernel_str(v->path + off + 1,
			    EPAT_MAX, s->pat);
			off += n > 0 ? n : 1;
		}
		v->path_len = (__u16)off;
	}
	bpf_ringbuf_submit(v, 0);
	return 0;
}

/* A 32-bit syscall (a 32-bit binary, or int 0x80 from a 64-bit one). */
static __always_inline int
compat_call(void)
{
	struct task_struct *t = (void *)bpf_get_current_task();

	return (BPF_CORE_READ(t, thread_info.status) & TS_COMPAT_) != 0;
}

/*
 * Every hook here reads x86_64 syscall numbers and registers; a 32-bit
 * syscall has others (kill is 37, its arguments in bx, cx), and could
 * reach Paddock (kill, connect, unlink) unseen.  So from a workload in
 * alert or enforce each is killed, like self-protection, and recorded
 * with EM_COMPAT and the i386 number; a process that tried one of the
 * signal calls is also marked in `sigmark`, so the signal it may have
 * sent is refused.
 */
static __always_inline int
on_compat(long id)
{
	struct ecache wh;
	struct eviol *v;

	if (!resolve_wl(&wh) || !guarded(&wh))
		return 0;
	/* i386 kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo,
	 * pidfd_send_signal, fcntl, fcntl64, ioctl */
	if (id == 37 || id == 238 || id == 270 || id == 178 || id == 335 ||
	    id == 424 || id == 55 || id == 221 || id == 54)
		mark_me();
	bpf_send_signal(SIGKILL_);
	if ((v = viol_protect(&wh, EDIM_SYSCALL, (__u64)id ^ EM_COMPAT << 24,
	    EACT_KILLED)) != NULL) {
		v->mode = EM_COMPAT;
		v->syscall = (__s32)id;
		bpf_ringbuf_submit(v, 0);
	}
	return 0;
}

/*
 * Packet sockets: cgroup/sock_create runs only for inet sockets, so an
 * AF_PACKET socket is caught at socket()'s entry (its family is a
 * register: nothing to race), for a workload with its network in alert
 * or enforce: reported, and killed in enforce (the socket is made, but
 * the process never returns to use it).
 */
static __always_inline int
on_socket_enter(struct pt_regs *regs)
{
	long family = (long)(int)BPF_CORE_READ(regs, di);
	long type = (long)(int)BPF_CORE_READ(regs, si) & 0xf;
	struct ecache wh;
	struct eviol *v;
	__u8 mode;

	if (family != 17 /* AF_PACKET */ || !resolve_wl(&wh) ||
	    (mode = wh.w.mode[EDIM_NET]) == EMODE_OFF ||
	    sys_learnt(wh.w.wid, ESYS_PACKET_SOCKET))
		return 0;
	if (mode == EMODE_BLOCK)
		bpf_send_signal(SIGKILL_);
	if ((v = viol_begin(&wh, EDIM_NET, ((__u64)family << 40 |
	    (__u64)type << 32) ^ 0x7261770000000000ULL, mode == EMODE_BLOCK ?
	    EACT_KILLED : EACT_ALERTED)) != NULL) {
		v->target = (__u32)(family << 16 | type);
		v->sig = (__s32)BPF_CORE_READ(regs, dx);
		v->mode = EM_RAW;
		v->syscall = NR_SOCKET;
		bpf_ringbuf_submit(v, 0);
	}
	return 0;
}

/* Which ESYSG_* class syscall id is in, or 0. */
static __always_inline int
forbidden_class(long id)
{
	if (id == NR_BPF || id == NR_PERF_EVENT_OPEN ||
	    id == NR_OPEN_BY_HANDLE_AT)
		return ESYSG_ALWAYS;
	if (id == NR_IO_URING_SETUP || id == NR_IO_URING_ENTER ||
	    id == NR_IO_URING_REGISTER || id == NR_MOUNT || id == NR_UMOUNT2 ||
	    id == NR_PIVOT_ROOT || id == NR_CHROOT ||
	    (id >= NR_OPEN_TREE && id <= NR_FSPICK) ||
	    id == NR_MOUNT_SETATTR || id == NR_OPEN_TREE_ATTR)
		return ESYSG_UNLESS_LEARNT;
	return 0;
}

/*
 * Self-protection: calls no workload in alert or enforce may make
 * (forbidden_class): bpf() (Paddock's maps and links), perf_event_open
 * of a tracepoint or a dynamic PMU (kprobes, uprobes: what carries BPF),
 * open_by_handle_at (a file by no path), and, unless the workload's learnt
 * syscall set has them, io_uring (operations no syscall hook sees) and
 * the mount family and chroot (a file under another name).  Killed at
 * the call's entry, in alert as in enforce; the call still runs (the
 * process never returns from it; a second thread may, for a moment:
 * docs/enforcement.md), so the attempt is also what the tamper check of
 * enforced looks for.
 */
static __always_inline int
on_forbidden(struct pt_regs *regs, long id, int cls)
{
	struct ecache wh;
	struct epol *pl;
	struct eviol *v;
	__u32 type = ~0u;

	if (!resolve_wl(&wh) || !guarded(&wh))
		return 0;
	if (id == NR_PERF_EVENT_OPEN &&
	    bpf_probe_read_user(&type, sizeof(type),
	    (void *)BPF_CORE_READ(regs, di)) == 0 &&
	    (type <= 1 || type == 3 || type == 4 || type == 5))
		return 0;	/* hardware, software, cache, raw, breakpoint */
	if (cls == ESYSG_UNLESS_LEARNT &&
	    (pl = bpf_map_lookup_elem(&pol, &wh.w.wid)) != NULL &&
	    (pl->sys[(id >> 3) & (ESYS_BYTES - 1)] & (1 << (id & 7))))
		return 0;
	bpf_send_signal(SIGKILL_);
	if ((v = viol_protect(&wh, EDIM_SYSCALL, ((__u64)id << 40) ^ EM_PROTECT,
	    EACT_KILLED)) != NULL) {
		v->mode = EM_PROTECT;
		v->syscall = (__s32)id;
		bpf_ringbuf_submit(v, 0);
	}
	return 0;
}

/*
 * One name that link, rename or symlink is about to make or move (uname,
 * relative to dfd), checked as a want of that path under the file rules;
 * 1 when allowed.  Else reported, and in enforce the caller is killed: the
 * call still runs (a tracepoint cannot skip it), so enforced, reading the
 * record, quarantines the inode now at that name (a hard link or rename
 * over an allowed name must not run or be read through it).
 */
static __always_inline int
name_ok(const struct ecache *wh, long dfd, const char *uname, __u8 want,
    long nr)
{
	__u8 mode = wh->w.mode[EDIM_FILE];
	struct escratch *s;
	struct eviol *v;
	__u32 zero = 0, n;
	__u16 flags = 0;
	__u64 h;

	if ((s = bpf_map_lookup_elem(&escratch, &zero)) == NULL ||
	    bpf_probe_read_user_str(s->pat, EPAT_MAX, uname) < 1)
		return 1;	/* unreadable: the kernel fails it (EFAULT) */
	n = pat_at(dfd, &h, &flags);
	if (granted(wh->w.wid, EDIM_FILE, h, n, flags, want) == want)
		return 1;
	if (mode == EMODE_BLOCK) {
		__u32 me = bpf_get_current_pid_tgid() >> 32;
		__u8 one = 1;

		bpf_send_signal(SIGKILL_);
		bpf_map_update_elem(&linkpend, &me, &one, BPF_ANY);
	}
	if ((v = viol_begin(wh, EDIM_FILE, h ^ want ^ ((__u64)nr << 40),
	    mode == EMODE_BLOCK ? EACT_KILLED : EACT_ALERTED)) != NULL) {
		v->mode = want | EM_LINK;
		v->syscall = (__s32)nr;
		v->path_len = copy_path(v->path, n);
		v->path_flags |= flags;
		bpf_ringbuf_submit(v, 0);
	}
	return 0;
}

/*
 * link, linkat, rename*, symlink* from a workload with its files in alert
 * or enforce: the new name is a write of its path; the old name of a link
 * a read (a new name for a file must not reach content the old one could
 * not), of a rename a write (it goes).  A symlink only makes a name: what
 * it leads to is checked when opened, by the real path.
 */
static __always_inline int
on_link_enter(struct pt_regs *regs, long nr)
{
	long sdfd = AT_FDCWD_, dfd = AT_FDCWD_;
	const char *src = NULL, *dst;
	struct ecache wh;
	__u8 swant = EM_READ;

	if (!resolve_wl(&wh) || wh.w.mode[EDIM_FILE] == EMODE_OFF)
		return 0;
	if (nr == NR_LINK || nr == NR_RENAME) {
		src = (const char *)BPF_CORE_READ(regs, di);
		dst = (const char *)BPF_CORE_READ(regs, si);
	} else if (nr == NR_SYMLINK) {
		dst = (const char *)BPF_CORE_READ(regs, si);
	} else if (nr == NR_SYMLINKAT) {
		dfd = (long)(int)BPF_CORE_READ(regs, si);
		dst = (const char *)BPF_CORE_READ(regs, dx);
	} else {		/* linkat, renameat, renameat2 */
		sdfd = (long)(int)BPF_CORE_READ(regs, di);
		src = (const char *)BPF_CORE_READ(regs, si);
		dfd = (long)(int)BPF_CORE_READ(regs, dx);
		dst = (const char *)BPF_CORE_READ(regs, r10);
	}
	if (nr == NR_RENAME || nr == NR_RENAMEAT || nr == NR_RENAMEAT2)
		swant = EM_WRITE;
	if (name_ok(&wh, dfd, dst, EM_WRITE, nr) && src != NULL)
		name_ok(&wh, sdfd, src, swant, nr);
	return 0;
}

/* The signal and unlink families (without LSM), filtered on the number. */
static __always_inline int
guarded_family(long id)
{
	return id == NR_KILL || id == NR_TKILL || id == NR_TGKILL ||
	    id == NR_RT_SIGQUEUEINFO || id == NR_RT_TGSIGQUEUEINFO ||
	    id == NR_PIDFD_SEND_SIGNAL || id == NR_FCNTL || id == NR_IOCTL ||
	    id == NR_PTRACE || id == NR_PROCESS_VM_READV ||
	    id == NR_PROCESS_VM_WRITEV || id == NR_PIDFD_GETFD ||
	    id == NR_PRLIMIT64 || id == NR_UNLINK || id == NR_UNLINKAT ||
	    id == NR_RMDIR;
}

/*
 * Every syscall of the host passes here, so the common case is one direct
 * load (the task's compat bit, through BTF: tp_btf) and a few compares of
 * the number; maps are looked up only for the families below.  With BPF
 * LSM, which refuses signals, ptrace and pin removal before their effect,
 * only the forbidden calls, sockets and the link checks are decided here.
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(enf_sys_guard, struct pt_regs *regs, long id)
{
	struct task_struct *t = bpf_get_current_task_btf();
	int cls;

	if (t->thread_info.status & TS_COMPAT_)
		return cur_flags() & EF_LSM ? 0 : on_compat(id);
	if ((cls = forbidden_class(id)) != 0)
		return on_forbidden(regs, id, cls);
	if (id == NR_SOCKET)
		return on_socket_enter(regs);
	if (id == NR_LINK || id == NR_LINKAT || id == NR_SYMLINK ||
	    id == NR_SYMLINKAT || id == NR_RENAME || id == NR_RENAMEAT ||
	    id == NR_RENAMEAT2) {
		if (cur_flags() & EF_LSM)
			return 0;	/* path_link, path_rename, path_symlink */
		if (id != NR_LINK && id != NR_LINKAT && id != NR_SYMLINK &&
		    id != NR_SYMLINKAT)
			on_unlink_enter(regs, id);	/* the pins */
		return on_link_enter(regs, id);
	}
	if (!guarded_family(id) || (cur_flags() & EF_LSM))
		return 0;
	if (id == NR_KILL || id == NR_TKILL || id == NR_TGKILL ||
	    id == NR_RT_SIGQUEUEINFO || id == NR_RT_TGSIGQUEUEINFO ||
	    id == NR_PIDFD_SEND_SIGNAL)
		return on_signal_enter(regs, id);
	if (id == NR_FCNTL || id == NR_IOCTL)
		return on_setown_enter(regs, id);
	if (id == NR_UNLINK || id == NR_UNLINKAT || id == NR_RMDIR)
		return on_unlink_enter(regs, id);
	return on_reach_enter(regs, id);
}

/* ------------------------------------------------------------ syscalls */

SEC("raw_tp/sys_enter")
int BPF_PROG(enf_sys_enter, struct pt_regs *regs, long id)
{
	struct ecache wh;
	struct epol *pl;
	struct eviol *v;
	__u8 mode;

	if (!resolve_wl(&wh) ||
	    (mode = wh.w.mode[EDIM_SYSCALL]) == EMODE_OFF)
		return 0;
	if (compat_call())	/* i386 numbers: sys_guard's, or with LSM ours */
		return cur_flags() & EF_LSM ? on_compat(id) : 0;
	if (id < 0 || id >= ESYS_BYTES * 8)
		return 0;
	if ((pl = bpf_map_lookup_elem(&pol, &wh.w.wid)) != NULL &&
	    (pl->sys[(id >> 3) & (ESYS_BYTES - 1)] & (1 << (id & 7))))
		return 0;
	if (mode == EMODE_BLOCK)
		bpf_send_signal(SIGKILL_);
	if ((v = viol_begin(&wh, EDIM_SYSCALL, (__u64)id, mode == EMODE_BLOCK ?
	    EACT_KILLED : EACT_ALERTED)) != NULL) {
		v->syscall = (__s32)id;
		bpf_ringbuf_submit(v, 0);
	}
	return 0;
}
