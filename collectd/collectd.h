/*
 * collectd.h: paddock-collectd's private interfaces.
 *
 *   kern.c     load, probe and attach bpf/collect.bpf.c; the ring buffer on
 *              uv_poll; counters, per-workload syscall sets and losses
 *   collect.c  turn ring buffer records into wire events: the process table
 *              (lineage), workload identity per cgroup, DNS names; pure but
 *              for /proc reads on the seeding path
 *   proc.c     the process table and the /proc seed
 *   dns.c      a strict DNS response parser (pure)
 *   tab.c      a small u64-keyed hash table
 *   main.c     the daemon
 */
#ifndef PADDOCK_COLLECTD_H
#define PADDOCK_COLLECTD_H

#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "cgroup.h"
#include "wire.h"
#include "collect.h"

/* ---------------------------------------------------------------- tab.c */

struct tab_ent {
	uint64_t	 key;
	void		*val;
	struct tab_ent	*next;
};

struct tab {
	struct tab_ent	**b;
	size_t		  nb, n;
};

int	 tab_init(struct tab *t, size_t nb);
void	*tab_get(const struct tab *t, uint64_t key);
/* Insert or replace; returns the old value (or NULL); -ENOMEM -> *err. */
void	*tab_put(struct tab *t, uint64_t key, void *val, int *err);
void	*tab_del(struct tab *t, uint64_t key);
/* Call fn on every value; if it returns nonzero the entry is removed. */
void	 tab_sweep(struct tab *t, int (*fn)(void *val, void *arg), void *arg);
void	 tab_free(struct tab *t, void (*fn)(void *val));
uint64_t tab_hash(const void *p, size_t n, uint64_t h);

/* ---------------------------------------------------------------- dns.c */

#define DNS_NAME_MAX	254

struct dns_answer {
	char		qname[DNS_NAME_MAX];
	int		naddr;
	struct {
		uint8_t	family;		/* 4 or 6 */
		uint8_t	addr[16];
	}		addr[WIRE_DNS_ADDRS_MAX];
	uint32_t	ttl;		/* smallest of the address records */
};

/*
 * Parse one DNS response message.  0 with the question's name and the
 * A/AAAA addresses found (CNAME chains followed implicitly: every address in
 * the answer section belongs to the question), -ENOENT for a well-formed
 * response with no address (NXDOMAIN, CNAME only), -EINVAL for anything
 * malformed or hostile (out of bounds, pointer loops, bad names).
 */
int	dns_parse(const uint8_t *msg, size_t len, struct dns_answer *out);

/* --------------------------------------------------------------- proc.c */

struct proc {
	uint32_t	 pid, ppid;
	uint64_t	 cgid;
	char		*exe;
	char		*args;		/* argv joined by spaces, bounded */
	uint64_t	 dead_ns;	/* monotonic time of exit, 0 if alive */
	uint8_t		 seeded;
};

struct ptable {
	struct tab	 procs;		/* pid -> struct proc */
	struct tab	 exes;		/* dev^ino -> path (char *) */
};

int	 ptable_init(struct ptable *pt);
void	 ptable_free(struct ptable *pt);
struct proc *ptable_get(struct ptable *pt, uint32_t pid);
/* Create or reset the entry of pid (a fork or a seed). */
struct proc *ptable_new(struct ptable *pt, uint32_t pid, uint32_t ppid,
	    uint64_t cgid);
int	 ptable_set_exe(struct proc *p, const char *exe, const char *args);
void	 ptable_exit(struct ptable *pt, uint32_t pid, uint64_t now_ns);
/* Forget processes dead for longer than keep_ns. */
void	 ptable_reap(struct ptable *pt, uint64_t now_ns, uint64_t keep_ns);
const char *ptable_exe_path(struct ptable *pt, uint64_t dev, uint64_t ino);
int	 ptable_exe_remember(struct ptable *pt, uint64_t dev, uint64_t ino,
	    const char *path);

/* One process read from /proc, for the seed. */
struct proc_seed {
	uint32_t	pid, ppid, uid, euid;
	char		exe[WIRE_PATH_MAX];
	char		argv[WIRE_ARGV_MAX];
	uint32_t	argv_len;
	uint8_t		argv_trunc;
	char		cgroup[WIRE_PATH_MAX];	/* v2 path */
};

/* Read one /proc/PID; -ENOENT when it is gone or a kernel thread. */
int	 proc_read(const char *procfs, uint32_t pid, size_t argv_max,
	    struct proc_seed *s);

/* ------------------------------------------------------------ collect.c */

struct collect;

/* Where collect.c sends events; main.c publishes them. */
typedef void collect_emit_fn(void *arg, const struct wire_event *ev);

struct collect_stats {
	uint64_t	records;	/* ring buffer records handled */
	uint64_t	bad;		/* malformed records (never expected) */
	uint64_t	events;		/* events produced */
	uint64_t	user_dedup;	/* repeats only user space could see */
	uint64_t	dns_bad;	/* DNS payloads that failed to parse */
};

struct collect_conf {
	const char	*host;
	const char	*cgroup_mnt;	/* for id -> path lookups */
	const char	*procfs;	/* "/proc" */
	uint64_t	 boot_offset_ns; /* realtime - monotonic */
	uint64_t	 dns_grace_ns;
	size_t		 argv_max;
};

struct collect *collect_new(const struct collect_conf *cf,
	    collect_emit_fn *fn, void *arg);
void	collect_free(struct collect *c);
/* Handle one ring buffer record; -EINVAL when it is malformed. */
int	collect_record(struct collect *c, const void *data, size_t len);
/* Seed the process table from /proc; publishes seeded execs. */
int	collect_seed(struct collect *c);
/* Syscall bitmap of a cgroup, as read from the kernel. */
void	collect_syscalls(struct collect *c, uint64_t cgid,
	    const uint64_t bits[CSYS_WORDS], uint64_t now_ns);
/* Events lost for a cgroup since the last call. */
void	collect_lost(struct collect *c, uint64_t cgid, uint64_t lost,
	    uint64_t now_ns);
/* Housekeeping: reap dead processes, expire names. */
void	collect_active(struct collect *c, uint64_t now_ns, uint64_t span_ns);
void	collect_tick(struct collect *c, uint64_t mono_ns);
void	collect_stats(const struct collect *c, struct collect_stats *st);
/* The workload of a cgroup id (looked up and cached). */
const struct cgroup_ident *collect_workload(struct collect *c, uint64_t cgid);

/* --------------------------------------------------------------- kern.c */

struct kern;

struct kern_conf {
	uint32_t	ringbuf_kb;
	uint32_t	dedup_entries;
	uint32_t	argv_max;
	int		syscalls;
	int		dns;
	const char	*cgroup_mnt;
};

struct kern_counters {
	uint64_t	v[CC__MAX];
};

/* Load and attach; logs what loaded.  NULL with err set on failure. */
struct kern *kern_open(const struct kern_conf *kc, char *err, size_t errlen);
void	kern_close(struct kern *k);
int	kern_ringbuf_fd(struct kern *k);
/* Consume what is in the ring buffer, calling fn per record. */
int	kern_consume(struct kern *k, int (*fn)(void *arg, void *data,
	    size_t len), void *arg);
int	kern_counters(struct kern *k, struct kern_counters *out);
/* Walk the syscall bitmaps and loss counters (losses are reset). */
int	kern_syscalls(struct kern *k, void (*fn)(void *arg, uint64_t cgid,
	    const uint64_t bits[CSYS_WORDS]), void *arg);
int	kern_losses(struct kern *k, void (*fn)(void *arg, uint64_t cgid,
	    uint64_t lost), void *arg);
/* "tp_btf=yes cgroup=yes ..." for logs and stats. */
const char *kern_features(struct kern *k);

#endif
