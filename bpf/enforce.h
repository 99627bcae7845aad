/*
 * enforce.h: what bpf/enforce.bpf.c and paddock-enforced share.
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

#define ENAME_MAX	128	/* cgroup directory names hashed in the kernel */

/* A workload as the kernel knows it. */
struct ewl {
	__u32	wid;		/* FNV-1a of the workload name, folded */
	__u8	mode[4];	/* EMODE_* per EDIM_* */
};

/* What userspace needs to name a workload after a restart (pinned). */
struct ewl_info {
	char	name[160];
	__u64	rev;
};

/* Allowed destinations: LPM on (wid, port, IPv6 or v4-mapped address). */
struct eallow_key {
	__u32	prefixlen;	/* 64 + address bits */
	__u32	wid;
	__u16	port;		/* host order; 0: any port (second lookup) */
	__u16	proto;		/* 6 or 17 */
	__u8	addr[16];
};

struct eviol {
	__u64	ts;		/* monotonic ns */
	__u64	cgid;
	__u32	wid;
	__u32	pid;
	__u8	dim;
	__u8	action;		/* 0 alerted, 1 denied */
	__u8	family;		/* 4 or 6 */
	__u8	proto;
	__u16	port;
	__u8	addr[16];
	char	comm[16];
};

#endif
