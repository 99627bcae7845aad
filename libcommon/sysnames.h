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

/* The name of nr, or NULL when the table has none. */
const char	*sysname(int nr);
/* The number of a name (or "sys_<n>"), or -1. */
int		 sysnum(const char *name);

#endif
