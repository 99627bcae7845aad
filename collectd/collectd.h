/*
 * collectd.h: paddock-collectd's private interfaces.
 *
 *   kern.c     load, probe, attach and pin bpf/collect.bpf.c; counters,
 *              per-workload syscall sets and losses
 *   ring.c     read the ring buffer; give its space back once confirmed
 *   collect.c  turn ring buffer records into wire events: the process table
 *              (lineage), workload identity per cgroup, DNS names; pure but
 *              for /proc reads on the seeding path
 *   proc.c     the process table and the /proc seed
 *   dns.c      a strict DNS response parser (pure)
 *   tab.c      a small u64-keyed hash table
 *   backlog.c  trim the events stream by its readers' progress
 *   spill.c    batches on disk while Redis is away
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
	/* The path of a cgroup that is gone, as the kernel kept it (kern.c's
	 * kern_cgname); NULL: none.  0, or -errno when not known. */
	int		(*cgname)(void *arg, uint64_t cgid, char *path,
			    size_t n);
	void		*cgname_arg;
};

struct collect *collect_new(const struct collect_conf *cf,
	    collect_emit_fn *fn, void *arg);
void	collect_free(struct collect *c);
/* Handle one ring buffer record; -EINVAL when it is malformed. */
int	collect_record(struct collect *c, const void *data, size_t len);
/*
 * Seed the process table from /proc; publishes the execs found.  They are
 * marked seeded (the process predates the collector: its earlier
 * behaviour was not seen) unless resumed says an earlier collector's ring
 * is read on, which saw them.
 */
int	collect_seed(struct collect *c, int resumed);
/* Paddock's own processes (quiet.c): never seeded, never attributed. */
void	collect_quiet(struct collect *c, const uint32_t *pids, int n);
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
	const char	*pindir;	/* NULL: nothing pinned */
};

struct kern_counters {
	uint64_t	v[CC__MAX];
};

/* Load and attach; logs what loaded.  NULL with err set on failure. */
struct kern *kern_open(const struct kern_conf *kc, char *err, size_t errlen);
void	kern_close(struct kern *k);
/* The ring buffer's map fd, to poll (readable while records are unread
 * or held), and the ring itself, to read with ring.c. */
int	kern_ring_fd(struct kern *k);
struct ring *kern_ring(struct kern *k);
/* 1 when the ring and links are an earlier collector's, read on; else 0
 * and *why (if not NULL) says why the start is fresh. */
int	kern_resumed(struct kern *k, const char **why);
int	kern_counters(struct kern *k, struct kern_counters *out);
/* Walk the syscall bitmaps and loss counters (losses are reset). */
int	kern_syscalls(struct kern *k, void (*fn)(void *arg, uint64_t cgid,
	    const uint64_t bits[CSYS_WORDS]), void *arg);
int	kern_losses(struct kern *k, void (*fn)(void *arg, uint64_t cgid,
	    uint64_t lost), void *arg);
/* The path of cgroup cgid as the mkdir hook kept it (for one that is
 * gone): 0, -ENOENT, or -ENAMETOOLONG when it was cut. */
int	kern_cgname(void *k, uint64_t cgid, char *path, size_t n);
/* "tp_btf=yes cgroup=yes ..." for logs and stats. */
const char *kern_features(struct kern *k);
/* The pids the programs leave unobserved, besides this process (at most
 * CQUIET_MAX; the rest of the slots emptied). */
void	kern_set_quiet(struct kern *k, const uint32_t *pids, int n);

/* -------------------------------------------------------------- quiet.c */

struct redisReply;
/*
 * The pids of an HGETALL reply of `P daemons:<host>` whose entries name a
 * live process with its registered start time (libcommon/self.h), but
 * self; "profiled/0 1234, ..." in names.  The count, or -EPROTO.
 */
int	quiet_parse(const struct redisReply *r, const char *procfs,
	    uint32_t self, uint32_t *pids, int max, char *names, size_t len);
/* "self pid pid ...", the hash's field `quiet`: 0 or -ENOSPC. */
int	quiet_list(uint32_t self, const uint32_t *pids, int n, char *buf,
	    size_t len);
/* That field in an HGETALL reply, or NULL. */
const char *quiet_field(const struct redisReply *r, size_t *len);

/* --------------------------------------------------------------- ring.c */

struct ring;

/* Map the ring buffer map fd of size data bytes; reading starts at the
 * kernel's consumer position.  NULL with errno set. */
struct ring *ring_open(int fd, size_t size);
void	ring_close(struct ring *r);
/* Read up to max committed records from the read position, calling fn
 * on each; the number read.  Space is not given back. */
int	ring_read(struct ring *r, int (*fn)(void *arg, void *data,
	    size_t len), void *arg, size_t max);
/* The read position, to release up to later. */
uint64_t ring_pos(const struct ring *r);
/* Give the kernel back the space of every record before pos. */
void	ring_release(struct ring *r, uint64_t pos);
/* 1 while records read are not released yet. */
int	ring_held(const struct ring *r);
/* Bytes committed or reserved after the read position. */
uint64_t ring_unread(const struct ring *r);
/* Bytes the kernel cannot write to: read but not released, and unread;
 * and the ring's size. */
uint64_t ring_used(const struct ring *r);
size_t	ring_size(const struct ring *r);

/* ------------------------------------------------------------ backlog.c */

struct redisReply;

struct backlog {
	uint64_t	behind;	/* entries the slowest group still needs */
	uint64_t	length;	/* entries in the stream */
	uint64_t	groups;
};

/* The script's command for stream key (6 arguments into argv and lens;
 * buf holds maxlen's text). */
int	backlog_argv(const char *key, uint64_t maxlen, int holding, char *buf,
	    size_t buflen, const char **argv, size_t *lens);
int	backlog_parse(const struct redisReply *r, struct backlog *b,
	    char *err, size_t errlen);
/* Hold back (read no more of the ring) at this backlog? */
int	backlog_hold(const struct backlog *b, uint64_t maxlen);

/* -------------------------------------------------------------- spill.c */

struct spill;
struct rs_field;

/* <dir>/collectd.spill, at most max_bytes; what an earlier collector
 * left there is replayed.  NULL with err. */
struct spill *spill_open(const char *dir, uint64_t max_bytes, char *err,
	    size_t errlen);
void	spill_close(struct spill *s);
/* Bytes not yet confirmed in Redis; room for more? */
uint64_t spill_waiting(const struct spill *s);
int	spill_room(const struct spill *s);
/* Append one XADD (not yet durable): 0, -EIO, -ENOMEM. */
int	spill_append(struct spill *s, const char *stream,
	    const struct rs_field *f, size_t n);
/* Make what was appended durable. */
int	spill_sync(struct spill *s);
/* Send up to max entries not yet sent, each with its offset (fn < 0: no
 * room, stop): how many were sent, or -errno when none was (-EPROTO: a
 * torn tail, cut off). */
typedef int spill_send_fn(void *arg, const char *stream,
	    const struct rs_field *f, size_t n, uint64_t off);
int	spill_replay(struct spill *s, spill_send_fn *fn, void *arg,
	    size_t max);
/* Redis confirmed the entry sent from off. */
int	spill_confirm(struct spill *s, uint64_t off);
/* The entries sent from off on were taken back from the queue: send them
 * again. */
void	spill_unsend(struct spill *s, uint64_t off);

#endif
