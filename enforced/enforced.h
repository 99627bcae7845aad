/*
 * paddock-enforced: private header.
 *
 *   rules.c  pure: a policy record -> the kernel's allow-list keys, the
 *            names that identify a workload's cgroups, workload ids
 *   kern.c   the BPF side: load (maps pinned in bpffs, reused across
 *            restarts), attach per workload parent cgroup (links pinned),
 *            map updates, the violation ring buffer
 *   main.c   policies in, violations and acknowledgements out
 */
#ifndef PADDOCK_ENFORCED_H
#define PADDOCK_ENFORCED_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/types.h>

#include "rstream.h"
#include "wire.h"
#include "enforce.h"

/* ---------------------------------------------------------------- rules */

/* The kernel's id of a workload: FNV-1a of its name, folded to 32 bits. */
uint32_t	rules_wid(const char *workload);
/* FNV-1a 64 of a cgroup directory name, as enforce.bpf.c computes it. */
uint64_t	rules_name_hash(const char *name);
/*
 * The cgroup directory names that identify a workload wherever it is
 * made again (paddock-<escaped>.slice for paddockctl run, the unit name
 * for systemd); 0..2 of them, written to out.
 */
int		rules_names(const char *workload, uint8_t wkind, char out[][160],
		    int max);
/*
 * Every `wl_names` key of a workload: the hashes of rules_names(), and for
 * a container ("docker:<12 hex>") the prefix hashes (ENAME_PRE_BASIS) of
 * "<scope prefix><12 hex>" for each prefix its runtime uses.
 */
int		rules_name_keys(const char *workload, uint8_t wkind,
		    uint64_t *out, int max);

struct keyset {
	struct eallow_key *v;
	size_t		   n, cap;
};

void	keyset_free(struct keyset *k);
/*
 * The allow-list keys of a policy's net rules.  Addresses and CIDRs are
 * exact; DNS names go through resolve() (NULL: names are skipped), which
 * appends the addresses they stand for.  Returns the number of rules that
 * could not be turned into keys (names that did not resolve), or -ENOMEM.
 */
int	rules_keys(const struct wire_policy *p, uint32_t wid,
	    int (*resolve)(const char *name, char addrs[][48], int max),
	    struct keyset *out);

/* FNV-1a 64 of an absolute path, as enforce_core.h computes it. */
uint64_t	rules_path_hash(const char *path);
/* 1 when path matches pattern ("*" in a component, final "**"). */
int		rules_glob(const char *pattern, const char *path);

/* The exec and file rules of a policy, as the kernel's maps hold them. */
struct pathset {
	struct {
		struct eexact_key key;
		uint8_t		  modes;
	}		*exact;
	size_t		 nexact, cexact;
	struct {
		struct epat_key	key;
		struct epat	v;
	}		*pat;
	size_t		 npat, cpat;
	uint16_t	 npat_dim[2];	/* per EDIM_EXEC, EDIM_FILE */
	uint32_t	 wid;
	size_t		 skipped;	/* patterns too long for the kernel */
};

void	pathset_free(struct pathset *ps);
int	rules_paths(const struct wire_policy *p, uint32_t wid,
	    struct pathset *out);

/* The DNS names a policy allows, as the kernel's DNS program looks them up. */
struct dnsset {
	struct {
		struct edns_key	 key;
		struct edns_rule rule;
	}		*v;
	size_t		 n, cap;
};

/* FNV-1a 64 of a name, lower case, without a final dot. */
uint64_t	rules_dns_hash(const char *name);
void	dnsset_free(struct dnsset *ds);
int	rules_dns(const struct wire_policy *p, uint32_t wid, uint32_t grace_s,
	    struct dnsset *out);

/* ---------------------------------------------------------------- kern */

struct ekern;

struct ekern *ekern_open(const char *pindir, char *err, size_t errlen);
void	ekern_close(struct ekern *k);
/* Attach the network programs below cgroup dir (once; links pinned). */
int	ekern_attach(struct ekern *k, const char *cgdir, char *err,
	    size_t errlen);
/* Workload w's cgroup (id) and identifying names, with modes. */
int	ekern_set_cgroup(struct ekern *k, uint64_t cgid, const struct ewl *w);
int	ekern_set_name(struct ekern *k, uint64_t key, const struct ewl *w);
/* Replace every allow-list key of wid with keys. */
int	ekern_set_allow(struct ekern *k, uint32_t wid, const struct keyset *ks);
/* Update the modes of every cgroup and name entry of wid. */
int	ekern_set_modes(struct ekern *k, const struct ewl *w);
/* wid -> name and revision, pinned so a restarted daemon can name them. */
int	ekern_set_info(struct ekern *k, uint32_t wid, const struct ewl_info *in);
int	ekern_info(struct ekern *k, uint32_t wid, struct ewl_info *out);
int	ekern_ringbuf_fd(struct ekern *k);
/*
 * Read at most max records (fn on each): the records read, or -EAGAIN
 * when max were read and more may wait (the ring's fd stays readable, so
 * the loop comes back after its timers: a flood of violations cannot
 * starve the guard).
 */
int	ekern_consume(struct ekern *k, int (*fn)(void *arg, void *data,
	    size_t len), void *arg, int max);
/* "exec=signal file=signal net=cgroup syscall=signal" or with lsm. */
const char *ekern_backends(struct ekern *k);
/* Why the LSM backend is not in use (NULL when it is). */
const char *ekern_why_not_lsm(struct ekern *k);
/* Attach the global hooks a policy needs, and the network programs on
 * the cgroup2 root cgroot (once; links pinned); the DNS pair only once
 * some policy (dns) allows a destination by name. */
int	ekern_hooks(struct ekern *k, const char *cgroot, int syscalls,
	    int dns, char *err, size_t errlen);
/* Pin again every held link and map whose pin was removed; how many. */
int	ekern_guard(struct ekern *k);
/* Self-protection: Paddock's Redis (socket inode, TCP endpoints), daemons. */
int	ekern_protect_sock(struct ekern *k, uint64_t dev, uint64_t ino);
int	ekern_protect_net(struct ekern *k, const uint8_t addr[16],
	    uint16_t port);
/* An inode no workload may open or run (a name a forbidden link or
 * rename made), by the kernel's s_dev and inode number. */
int	ekern_quarantine(struct ekern *k, uint64_t dev, uint64_t ino);
/* Replace Paddock's protected files (its secrets) with v[n]. */
int	ekern_protect_files(struct ekern *k, const struct eprot_inode *v,
	    size_t n);
/* Its unix socket by name (FNV-1a 64 of the absolute path), for
 * connect_unix. */
int	ekern_protect_upath(struct ekern *k, uint64_t hash);

/* What ekern_verify() found changed behind enforced's back, and put back
 * (maps: the caller writes every policy and protection again). */
struct ekern_tamper {
	int	links;		/* links found detached, attached again */
	int	failed;		/* of those, attached again in vain */
	int	maps;		/* maps whose contents differ from the seal */
	int	entries;	/* wl_cg entries with forged modes (the caller's) */
	char	what[256];	/* the first of them, in words */
};
/* Digest the maps enforced alone writes: what ekern_verify() expects. */
void	ekern_seal(struct ekern *k);
/* Check links and maps (see kern.c); the count of differences. */
int	ekern_verify(struct ekern *k, struct ekern_tamper *t);
/* wl_cg entries whose modes are not their workload's, put right (or
 * deleted when no workload has their id); how many, the first in what. */
int	ekern_fix_cgroups(struct ekern *k, char *what, size_t len);
/* Held links, and how many are attached now. */
void	ekern_links(struct ekern *k, int *held, int *attached);
/* A daemon's tgid, one of its threads, or its process group (EPROT_*). */
struct eprot_id {
	uint32_t	id;
	uint8_t		flags;
};
/* Where bpffs is mounted (at most EBPFFS_N, each shorter than
 * EBPFFS_LEN): absolute paths under them are the pins'. */
int	ekern_bpffs_at(struct ekern *k, char mnts[][EBPFFS_LEN], size_t n);
/* Replace the protected ids with ids[n] (each id once). */
int	ekern_protect_pids(struct ekern *k, const struct eprot_id *ids,
	    size_t n);
/* Replace wid's exec and file rules and its syscall bitmap. */
int	ekern_set_paths(struct ekern *k, uint32_t wid, const struct pathset *ps,
	    const uint8_t sys[ESYS_BYTES]);
/* Replace wid's DNS names. */
int	ekern_set_dns(struct ekern *k, uint32_t wid, const struct dnsset *ds);
/* Drop addresses learnt from DNS whose TTL and grace have passed. */
int	ekern_expire(struct ekern *k, uint64_t now_mono_ns);
/* Retire every cached decision: after any change of the maps. */
int	ekern_bump(struct ekern *k);

/* ---------------------------------------------------------------- guard */

/* The process group in a /proc/PID/stat line, or 0. */
uint32_t	guard_stat_pgid(const char *line);
/* The inode of a /proc/net/unix line's socket if it listens at path. */
unsigned long	guard_unix_listener(const char *line, const char *path);
/* The inode of a /proc/net/tcp{,6} line's socket if it listens on port. */
unsigned long	guard_tcp_listener(const char *line, int port);
/* The inode of the socket this host's Redis listens on for URL u (unix
 * path, or TCP port on a loopback host), or 0 when it is not here. */
unsigned long	guard_redis_inode(const char *proc, const struct rstream_url *u);
/* The process holding socket inode ino (hint first), or 0. */
pid_t		guard_socket_owner(const char *proc, unsigned long ino,
		    pid_t hint);
/* Is exe (a /proc/PID/exe link) a daemon's binary in bindir?  A binary
 * replaced on disk (an upgrade: " (deleted)") still is. */
int		guard_daemon_exe(const char *exe, const char *bindir);
/* The ids to protect: each process running a daemon's binary from bindir
 * and also (when > 0), by tgid, threads and process group; their count
 * (≤ max) or -errno. */
int		guard_ids(const char *proc, const char *bindir, pid_t also,
		    struct eprot_id *ids, size_t max);
/* The regular files in dir (its secrets: keys), as the kernel names
 * them (s_dev, inode); their count (≤ max) or -errno. */
int		guard_secrets(const char *dir, struct eprot_inode *out,
		    size_t max);
/* bpffs mount points in a /proc/mounts stream (each < EBPFFS_LEN). */
int		guard_bpffs_mounts(FILE *mounts, char mnts[][EBPFFS_LEN],
		    size_t max);

#endif
