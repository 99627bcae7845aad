/*
 * conf: the one configuration file, /etc/paddock/paddock.yaml.
 *
 * One section per daemon plus the shared "redis" section.  The loader is
 * table-driven: each section is a table of keys (name, type, offset, range),
 * so adding a setting is one struct field and one table row.  Unknown keys,
 * wrong types and out-of-range values are errors that name file:line:col.
 * Defaults live in conf_defaults(); etc/paddock.yaml documents every key.
 */
#ifndef PADDOCK_CONF_H
#define PADDOCK_CONF_H

#include <stddef.h>
#include <stdint.h>

#define CONF_DEFAULT_PATH	"/etc/paddock/paddock.yaml"
#define CONF_ERRLEN		512

struct conf_redis {
	char		url[256];	/* redis://host:port or unix:///path */
	char		user[64];
	char		password[256];
	char		prefix[64];	/* stream and key prefix */
	uint64_t	queue_max;	/* entries held while Redis is away */
	uint64_t	batch;		/* XADDs per pipelined batch */
	uint64_t	maxlen_events;	/* MAXLEN ~ for the events stream */
	uint64_t	maxlen;		/* MAXLEN ~ for the other streams */
	uint64_t	maxmemory_mb;	/* paddockctl up's Redis; doctor checks */
	uint64_t	block_ms;	/* XREADGROUP BLOCK */
	uint64_t	claim_idle_ms;	/* XAUTOCLAIM min-idle-time */
};

struct conf_collectd {
	uint64_t	ringbuf_kb;
	uint64_t	dedup_entries;	/* in-kernel LRU of seen behaviour */
	uint64_t	syscall_interval_ms;
	uint64_t	stats_interval_ms;
	uint64_t	active_interval_ms;	/* EV_ACTIVE per live workload */
	uint64_t	argv_max;	/* bytes of argv kept per exec */
	uint64_t	spill_mb;	/* batches on disk while Redis is away */
	int		dns;		/* parse DNS answers */
};

struct conf_profiled {
	uint64_t	quiet_ms;	/* active time without novelty -> stable */
	uint64_t	fanout;		/* distinct children before collapse */
	uint64_t	max_entries;	/* beyond this the profile is too-large */
	uint64_t	cidr_siblings;	/* addresses sharing a /24 before CIDR */
	uint64_t	idle_expiry_ms;	/* never promoted, idle: forgotten; 0 never */
	uint64_t	clean_ms;	/* after a loss, partial this long; 0 quiet */
	char		signatures[256];
	char		signatures_dir[256];
};

enum conf_stage {
	CONF_STAGE_DISCOVERED,
	CONF_STAGE_LEARNING,
	CONF_STAGE_ALERT,
	CONF_STAGE_ENFORCE,
};

struct conf_policyd {
	int		initial_stage;	/* enum conf_stage */
	int		auto_promote;
	uint64_t	learn_stable_ms;	/* stable this long -> alert */
	uint64_t	min_risk;		/* ... and risk at least this */
	uint64_t	alert_quiet_ms;		/* no violations -> enforce */
	uint64_t	storm_violations;	/* per minute -> demote (0: off) */
};

struct conf_enforced {
	char		bpffs[256];	/* pin directory */
	uint64_t	dns_grace_ms;
	uint64_t	rate_per_sec;	/* violations per workload per second */
};

struct paddock_conf {
	char			 path[256];	/* file it came from, or "" */
	char			 host[64];
	char			 state_dir[256];
	char			 run_dir[256];
	struct conf_redis	 redis;
	struct conf_collectd	 collectd;
	struct conf_profiled	 profiled;
	struct conf_policyd	 policyd;
	struct conf_enforced	 enforced;
};

extern const char *const conf_stage_names[];

void	conf_defaults(struct paddock_conf *c);
/* The collector's pin directory: enforced.bpffs with "-collect". */
void	conf_collect_pins(const struct paddock_conf *c, char *dst, size_t n);
/*
 * Load path over the defaults.  Returns 0, -ENOENT when the file does not
 * exist, or -EINVAL with "file:line:col: problem" in err.
 */
int	conf_load(const char *path, struct paddock_conf *c, char *err,
	    size_t errlen);

#endif
