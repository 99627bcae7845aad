/*
 * sysnames: x86_64 syscall numbers <-> names, for profiles and policies.
 *
 * The table (sysnames.c) is generated from the kernel's uapi header by
 * `make sysnames`; the collector's bitmaps use the same numbers, so a name
 * here is exactly what the kernel reported.  Numbers without a name print
 * as "sys_<n>" and parse back.
 */
#ifndef PADDOCK_SYSNAMES_H
#define PADDOCK_SYSNAMES_H

#define SYSNAMES_MAX	512	/* as many as the bitmaps hold */

/*
 * Pseudo-syscalls, beyond every real x86_64 number: the collector sets
 * them in a workload's syscall set when it makes a raw socket (SOCK_RAW of
 * any inet family) or a packet socket (AF_PACKET), so that a baseline
 * says whether the workload uses them; the enforcer refuses them to a
 * workload whose baseline does not (docs/enforcement.md).
 */
#define SYS_RAW_SOCKET		500
#define SYS_PACKET_SOCKET	501

/* The name of nr, or NULL when the table has none. */
const char	*sysname(int nr);
/* The number of a name (or "sys_<n>"), or -1. */
int		 sysnum(const char *name);

#endif
