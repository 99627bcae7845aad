/*
 * collect.h: the records that bpf/collect.bpf.c puts on its ring buffer,
 * shared by the BPF program and paddock-collectd.
 *
 * Every record starts with struct crec_hdr.  Records about behaviour
 * (exec, open, net) are emitted only when their key is new to the in-kernel
 * LRU `seen`; process lifecycle records (fork, exec_seen, exit) are always
 * emitted, small, so that user space keeps a complete process table and
 * lineage even for processes that live under a millisecond.
 *
 * A path is written leaf first: "name\0parent\0...\0" with path_len bytes in
 * all; user space reverses it.  The walk follows d_parent and crosses mounts
 * with struct mount, as d_path() does, so it shows the file the kernel
 * opened whatever string the caller passed (symlinks, "..", dirfd-relative,
 * /proc/self/fd/N).
 */
#ifndef PADDOCK_COLLECT_H
#define PADDOCK_COLLECT_H

#define CPATH_MAX	4096	/* path buffer, a power of two */
#define CNAME_MAX	256	/* one path component, NUL included */
#define CPATH_DEPTH	64	/* components walked; deeper is truncated */
#define CARGV_MAX	1024	/* argv buffer, a power of two */
#define CDNS_MAX	512	/* DNS payload bytes copied */
#define CSYS_WORDS	8	/* 512 syscall bits */
#define CQUIET_MAX	8	/* Paddock's own processes left unobserved */
/*
 * The record layout's version, kept in the pinned map `layout`: a
 * collector finds the ring of an earlier run only when its records read
 * the same.  Bump it with any change to the records below (user space
 * also mixes in their sizes, for a change that forgot to).
 */
#define CREC_VERSION	1
#define CCGNAME_MAX	512	/* a cgroup path kept in `cgnames` */

enum crec_type {
	CR_FORK = 1,
	CR_EXEC = 2,		/* novel (workload, parent exe, exe) */
	CR_EXEC_SEEN = 3,	/* a repeat: lifecycle only */
	CR_EXIT = 4,
	CR_OPEN = 5,
	CR_NET = 6,
	CR_DNS = 7,
	CR_CGROUP = 8,		/* a cgroup was created: id -> path */
};

enum copen_kind {
	CO_OPEN = 0,
	CO_MMAP_EXEC = 1,
	CO_FAILED = 2,		/* open failed; path is the caller's string */
	CO_UNIX = 3,		/* a unix address: "@name", or the name given
				 * (dirfd -100: relative to the cwd) */
};

enum cnet_kind {
	CN_CONNECT = 0,
	CN_SENDTO = 1,
	CN_BIND = 2,
	CN_LISTEN = 3,
	CN_ACCEPT = 4,
};

/* Path flags. */
#define CP_TRUNC	0x1	/* deeper than CPATH_DEPTH or longer than CPATH_MAX */
#define CP_DELETED	0x2	/* unlinked */

/* Counters, a per-CPU array indexed by these. */
enum ccounter {
	CC_SEEN = 0,		/* behaviour observed */
	CC_DEDUP,		/* ... of which repeats, only counted */
	CC_EMIT,		/* novel behaviour records sent */
	CC_LIFECYCLE,		/* fork/exec/exit records sent */
	CC_RB_FAIL,		/* ring buffer full: record lost */
	CC_DNS,			/* DNS payloads sent */
	CC__MAX,
};

struct crec_hdr {
	__u32	type;		/* enum crec_type */
	__u32	pid;		/* tgid */
	__u64	ts;		/* CLOCK_MONOTONIC ns (bpf_ktime_get_ns) */
	__u64	cgid;
};

struct crec_fork {
	struct crec_hdr h;
	__u32	ppid;
	__u32	pad;
};

struct crec_exec {
	struct crec_hdr h;
	__u32	ppid, uid, euid;
	__u32	path_len;
	__u32	argv_len;
	__u16	path_flags;
	__u8	argv_trunc;
	__u8	pad;
	__u64	dev, ino;
	char	path[CPATH_MAX];
	char	argv[CARGV_MAX];
};

struct crec_exec_seen {
	struct crec_hdr h;
	__u32	ppid;
	__u32	pad;
	__u64	dev, ino;
};

struct crec_open {
	struct crec_hdr h;
	__u32	kind;		/* enum copen_kind */
	__u32	mode;		/* WM_* bits */
	__u32	flags;
	__s32	result;
	__s32	dirfd;		/* CO_FAILED: openat's dirfd (-100 cwd) */
	__u32	path_len;
	__u16	path_flags;
	__u16	pad;
	__u32	pad2;
	__u64	dev, ino;
	char	path[CPATH_MAX];
};

struct crec_net {
	struct crec_hdr h;
	__u8	kind;		/* enum cnet_kind */
	__u8	family;		/* 4 or 6 */
	__u8	proto;		/* IPPROTO_TCP, IPPROTO_UDP */
	__u8	pad;
	__u16	port;		/* host order */
	__u16	pad2;
	__u8	addr[16];	/* network order; IPv4 in the first 4 */
};

struct crec_dns {
	struct crec_hdr h;
	__u32	len;		/* bytes in data */
	__u32	pad;
	__u8	data[CDNS_MAX];	/* the DNS message (UDP payload) */
};

struct crec_cgroup {
	struct crec_hdr h;
	char	path[CPATH_MAX];	/* relative to the cgroup2 root */
};

/* The key of the dedup LRU. */
struct cseen_key {
	__u64	cgid;
	__u32	type;		/* enum crec_type, or 16 + enum cnet_kind */
	__u32	aux;		/* mode, port|proto ... */
	__u64	a, b, c;	/* dev/ino/parent exe, address ... */
};

struct csys_bits {
	__u64	w[CSYS_WORDS];
};

#endif
