/*
 * enforce.h: what bpf/enforce*.bpf.c and paddock-enforced share.
 */
#ifndef PADDOCK_ENFORCE_H
#define PADDOCK_ENFORCE_H

#define EMODE_OFF	0
#define EMODE_ALERT	1
#define EMODE_BLOCK	2

#define EDIM_EXEC	0
#define EDIM_FILE	1
#define EDIM_NET	2
#define EDIM_SYSCALL	3
#define EDIM_LISTEN	4	/* reported only: binds, under EDIM_NET's mode */

#define EACT_ALERTED	0
#define EACT_DENIED	1	/* the operation failed with EPERM */
#define EACT_KILLED	2	/* the process got SIGKILL from the kernel */

#define ENAME_MAX	128	/* cgroup directory names hashed in the kernel */

/*
 * A container's scope is made again under the same name when it restarts,
 * but Paddock names the workload by 12 hex digits of its id
 * ("docker:0123456789ab").  So `wl_names` also holds, for a container
 * workload, the FNV-1a (from this other basis, so it never meets a full
 * name's hash) of each "<scope prefix><12 hex>" its runtime may use, and
 * the mkdir hook looks up the prefixes of a new directory's name of the
 * lengths below: bare id 12, "crio-" 17, "docker-"/"libpod-" 19,
 * "nerdctl-" 20, "containerd-" 23, "cri-containerd-" 27.
 */
#define ENAME_PRE_BASIS	0x84222325cbf29ce4ULL
#define ENAME_PRE_N	6
#define ENAME_PRE_LEN(n) ((n) == 12 || (n) == 17 || (n) == 19 || \
			  (n) == 20 || (n) == 23 || (n) == 27)
#define EPATH_MAX	1024	/* paths matched and reported (a power of two) */
#define EPAT_MAX	256	/* one exec or file pattern (a power of two) */
#define EARGS_MAX	512	/* argv reported per exec */
#define ELIN_MAX	16	/* ancestors carried by a violation */
#define ESYS_BYTES	64	/* syscall bitmap: numbers 0..511 */
#define ESYS_RAW_SOCKET	500	/* pseudo-syscalls: libcommon/sysnames.h */
#define ESYS_PACKET_SOCKET 501

#define EM_READ		0x1	/* the WM_* bits of wire.h */
#define EM_WRITE	0x2
#define EM_EXEC		0x4

#define EPROTO_LISTEN	0x100	/* eallow_key.proto flag: a listener */

#define EF_LSM		0x1	/* ectl.flags: enforce_lsm decides exec, files */
#define EF_PIDNS_SHIFT	8	/* ectl.flags >> 8 & 0xff: enforced's pid ns level */

#define EM_PROTECT	0x80	/* eviol.mode: self-protection, never accepted */
#define EM_COMPAT	0x40	/* eviol.mode: a 32-bit (i386) syscall */
#define EM_LINK		0x08	/* eviol.mode: a name link, rename or symlink
				 * was making (with EM_READ or EM_WRITE) */
#define EM_CGROUP	0x10	/* eviol.mode: leaving the workload's cgroup
				 * (a cgroup file written, a move, a clone
				 * into another cgroup) */
#define EM_RAW		0x20	/* eviol.mode: a raw or packet socket (target:
				 * family << 16 | type; sig: protocol) */

#define EP_TRUNC	0x1	/* path longer than EPATH_MAX or too deep */
#define EP_NEW		0x2	/* the first record of this behaviour: never
				 * dropped by a rate limit, only counted when
				 * the ring buffer itself is full */

/* A workload as the kernel knows it. */
struct ewl {
	__u32	wid;		/* FNV-1a of the workload name, folded */
	__u8	mode[4];	/* EMODE_* per EDIM_* */
};

/* Global control, one entry: the generation of every cached decision. */
struct ectl {
	__u64	gen;
	__u64	flags;		/* EF_* */
};

/*
 * Calls no workload in alert or enforce may make, whatever its policy
 * (ESYSG_ALWAYS: the kernel's own tools against Paddock, bpf() and
 * perf_event_open of a kind that carries BPF, and open_by_handle_at,
 * which opens a file by no path) or unless its learnt syscall set has
 * them (ESYSG_UNLESS_LEARNT: io_uring, whose operations pass no syscall
 * hook; mount, chroot and the like, which give a file another name).
 */
#define ESYSG_ALWAYS		1
#define ESYSG_UNLESS_LEARNT	2

/* Current cgroup -> its workload, valid while gen is current. */
struct ecache {
	__u64	gen;
	__u64	wcgid;		/* the workload's registered cgroup */
	__u32	level;		/* its level in the hierarchy */
	__u32	found;
	struct ewl w;
};

/* What userspace needs to name a workload after a restart (pinned). */
struct ewl_info {
	char	name[160];
	__u64	rev;
};

/* Per workload: pattern counts and the syscall allow bitmap. */
struct epol {
	__u16	npat[2];	/* EDIM_EXEC, EDIM_FILE */
	__u32	pad;
	__u8	sys[ESYS_BYTES];
};

/* An exact exec or file rule: FNV-1a 64 of the absolute path. */
struct eexact_key {
	__u32	wid;
	__u32	dim;
	__u64	hash;
};

/* A rule with wildcards; idx counts from 0 to epol.npat[dim] - 1. */
struct epat_key {
	__u32	wid;
	__u16	dim;
	__u16	idx;
};

struct epat {
	__u16	len;
	__u8	modes;		/* EM_* allowed (exec: EM_EXEC) */
	__u8	pad;
	char	s[EPAT_MAX];
};

/* A decision already taken: this file, opened this way, is allowed. */
struct efile_key {
	__u32	wid;
	__u32	want;		/* EM_* asked for */
	__u64	dev;
	__u64	ino;
};

/*
 * Allowed destinations: LPM on (wid, port, IPv6 or v4-mapped address).
 * The value is the expiry (CLOCK_MONOTONIC ns) of an address learnt from a
 * DNS answer, 0 for a policy entry.
 */
struct eallow_key {
	__u32	prefixlen;	/* 64 + address bits */
	__u32	wid;
	__u16	port;		/* host order; 0: any port (second lookup) */
	__u16	proto;		/* 6 or 17 */
	__u8	addr[16];
};

/* A DNS name a workload may reach, and on which ports. */
struct edns_key {
	__u32	wid;
	__u32	pad;
	__u64	hash;		/* FNV-1a 64 of the lower-case name, no final dot */
};

/*
 * A DNS question a workload sent (cgroup_skb/egress): an answer opens
 * allow entries only when it matches one, by the workload, the server it
 * comes from, the local port it goes to and its id; and only for the
 * name asked (value: its FNV-1a 64).  One answer per question.
 */
struct ednsq_key {
	__u32	wid;
	__u16	id;		/* network order, as on the wire */
	__u16	port;		/* the workload's local UDP port, host order */
	__u8	addr[16];	/* the server, IPv6 or v4-mapped */
};

#define EDNS_PORTS	4
#define EDNS_NAME_MAX	256	/* a power of two */

/* The names violations report: what a workload's DNS answers said. */
struct ednsaddr {
	__u8	addr[16];
};

struct ednsname {
	char	name[EDNS_NAME_MAX];
};

struct edns_rule {
	__u16	port[EDNS_PORTS];	/* 0: any */
	__u8	proto[EDNS_PORTS];	/* 6 or 17 */
	__u32	n;
	__u32	grace_s;		/* added to each record's TTL */
};

/*
 * What no workload in alert or enforce may reach: Paddock's Redis (its
 * unix socket by inode, its TCP endpoints by address and port), Paddock's
 * daemons (signals: `prot_pid`, keyed by tgid, tid or process group) and
 * pins (unlink, rmdir, rename in bpffs).
 */
#define EPROT_PROC	0x1	/* prot_pid value: a daemon's tgid or a tid */
#define EPROT_GROUP	0x2	/* prot_pid value: a daemon's process group */
#define EPROT_ALL	0xffffffffu	/* eviol.target: kill(-1), everyone */

/* Where bpffs is mounted (`bpffs_at`, up to EBPFFS_N): an absolute path
 * under one of these, removed by a workload, is reaching for the pins. */
#define EBPFFS_N	4
#define EBPFFS_LEN	60

struct ebpffs {
	__u32	len;		/* 0: unused */
	char	p[EBPFFS_LEN];	/* "/sys/fs/bpf", no trailing '/' */
};

/*
 * The map `sigmark` (enforce_core.h): tgid of a workload process that
 * sent a signal to a daemon -> bpf_ktime_get_ns() of the attempt.  Written
 * at the syscall's entry, before the signal is delivered (the signal
 * backends cannot stop it), so that the daemon receiving it can tell and
 * refuse it (libcommon/sigguard.h reads it by its pin, SIGGUARD_MAP).
 */

struct eprot_inode {
	__u64	dev;		/* the kernel's s_dev */
	__u64	ino;
};

/* Paddock's Redis socket by name, for cgroup/connect_unix: FNV-1a 64 of
 * the absolute path a connect names (before the kernel resolves it). */
struct eprot_upath {
	__u64	hash;
};

struct eprot_net {
	__u8	addr[16];	/* IPv6 or v4-mapped */
	__u16	port;
	__u16	pad[3];
};

/* Reporting dedup: one record per behaviour per second, the rest counted. */
struct evseen_key {
	__u32	wid;
	__u32	dim;
	__u64	what;
};

struct evseen {
	__u64	ts;
	__u64	suppressed;
};

/* Per workload: records sent this second, and those not sent since. */
#define EVIOL_RATE	200	/* records per second per workload, at most */

struct evrate {
	__u64	sec;
	__u64	sent;
	__u64	dropped;	/* over the rate, or the ring buffer was full */
};

#define EREC_VIOL	1
#define EREC_EXEC	2
#define EREC_LINKED	3

/* A link, rename or symlink that name_ok() killed has returned: the name
 * it made (if ret is 0) can be quarantined now. */
struct elinked {
	__u32	type;		/* EREC_LINKED */
	__u32	pid;		/* tgid */
	__s64	ret;
};

/* One ancestor of an offending process, parent first. */
struct eanc {
	__u32	pid;
	__u8	inside;		/* in the workload's cgroup subtree */
	__u8	pad[3];
	__u64	start;		/* start_boottime, ns */
	char	comm[16];
};

struct eviol {
	__u32	type;		/* EREC_VIOL */
	__u32	pid;
	__u64	ts;		/* monotonic ns */
	__u64	cgid;
	__u64	start;		/* the offender's start_boottime */
	__u64	suppressed;	/* same behaviour, not reported, since */
	__u64	dropped;	/* other behaviours of the workload, not
				 * reported (rate, full ring buffer), since */
	__u32	wid;
	__u8	dim;
	__u8	action;		/* EACT_* */
	__u8	family;		/* 4 or 6 */
	__u8	proto;
	__u16	port;
	__u16	nlin;
	__s32	syscall;
	__u32	mode;		/* EM_* asked for (file, exec) */
	__u32	target;		/* a signal's target: pid, group (-pgid), EPROT_ALL */
	__s32	sig;		/* the signal sent */
	__u16	path_len;
	__u16	path_flags;
	__u8	addr[16];
	char	comm[16];
	struct eanc lin[ELIN_MAX];
	char	path[EPATH_MAX];
};

/* An exec inside an enforced workload: the lineage cache's input. */
struct eexec {
	__u32	type;		/* EREC_EXEC */
	__u32	pid;
	__u32	ppid;
	__u16	path_len;
	__u16	args_len;
	__u64	start;
	char	path[EPATH_MAX];
	char	args[EARGS_MAX];
};

#endif
