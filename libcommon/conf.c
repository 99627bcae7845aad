/*
 * conf: see conf.h.  The tables below are the schema; conf_section() walks
 * a YAML mapping against one of them.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ytree.h"

const char *const conf_stage_names[] = {
	"discovered", "learning", "alert", "enforce", NULL,
};

enum conf_type {
	CT_STR,
	CT_U64,
	CT_BOOL,
	CT_DURATION,
	CT_ENUM,
	CT_SECTION,
};

struct conf_key {
	const char		*name;
	enum conf_type		 type;
	size_t			 off;
	size_t			 size;
	uint64_t		 min, max;
	const char *const	*names;
	const struct conf_key	*sub;
	/* Optional semantic check: NULL or what was expected. */
	const char		*(*check)(const char *value);
};

#define FIELD(s, f)	.off = offsetof(s, f), .size = sizeof(((s *)0)->f)
#define STR(s, f)	{ .name = #f, .type = CT_STR, FIELD(s, f) }
#define STRC(s, f, c)	{ .name = #f, .type = CT_STR, FIELD(s, f), .check = c }
#define U64(s, f, lo, hi) { .name = #f, .type = CT_U64, FIELD(s, f), \
			    .min = lo, .max = hi }
#define BOOL(s, f)	{ .name = #f, .type = CT_BOOL, FIELD(s, f) }
#define DUR(s, f, n)	{ .name = n, .type = CT_DURATION, FIELD(s, f) }
#define ENUM(s, f, nm)	{ .name = #f, .type = CT_ENUM, FIELD(s, f), .names = nm }
#define SECT(n, f, t)	{ .name = n, .type = CT_SECTION, \
			    FIELD(struct paddock_conf, f), .sub = t }
#define END		{ .name = NULL }

static const char *
conf_check_url(const char *v)
{
	if (strncmp(v, "redis://", 8) == 0 || strncmp(v, "unix://", 7) == 0)
		return NULL;
	return "a URL such as redis://127.0.0.1:6379 or unix:///path/redis.sock";
}

static const char *
conf_check_prefix(const char *v)
{
	return v[0] != '\0' ? NULL : "a non-empty key prefix such as \"paddock:\"";
}

static const struct conf_key redis_keys[] = {
	STRC(struct conf_redis, url, conf_check_url),
	STR(struct conf_redis, user),
	STR(struct conf_redis, password),
	STRC(struct conf_redis, prefix, conf_check_prefix),
	U64(struct conf_redis, queue_max, 16, 100000000),
	U64(struct conf_redis, batch, 1, 10000),
	U64(struct conf_redis, maxlen_events, 100, UINT32_MAX),
	U64(struct conf_redis, maxlen, 1000, UINT32_MAX),
	U64(struct conf_redis, maxmemory_mb, 64, 1048576),
	DUR(struct conf_redis, block_ms, "block"),
	DUR(struct conf_redis, claim_idle_ms, "claim_idle"),
	END,
};

static const struct conf_key collectd_keys[] = {
	U64(struct conf_collectd, ringbuf_kb, 64, 1048576),
	U64(struct conf_collectd, spill_mb, 0, 1048576),
	U64(struct conf_collectd, dedup_entries, 1024, 16777216),
	DUR(struct conf_collectd, syscall_interval_ms, "syscall_interval"),
	DUR(struct conf_collectd, stats_interval_ms, "stats_interval"),
	DUR(struct conf_collectd, active_interval_ms, "active_interval"),
	U64(struct conf_collectd, argv_max, 16, 4096),
	BOOL(struct conf_collectd, dns),
	END,
};

static const struct conf_key profiled_keys[] = {
	DUR(struct conf_profiled, quiet_ms, "quiet_period"),
	U64(struct conf_profiled, fanout, 2, 100000),
	U64(struct conf_profiled, max_entries, 16, 1000000),
	U64(struct conf_profiled, cidr_siblings, 2, 256),
	DUR(struct conf_profiled, idle_expiry_ms, "idle_expiry"),
	DUR(struct conf_profiled, clean_ms, "partial_clean"),
	STR(struct conf_profiled, signatures),
	STR(struct conf_profiled, signatures_dir),
	END,
};

static const struct conf_key policyd_keys[] = {
	ENUM(struct conf_policyd, initial_stage, conf_stage_names),
	BOOL(struct conf_policyd, auto_promote),
	DUR(struct conf_policyd, learn_stable_ms, "learn_stable"),
	U64(struct conf_policyd, min_risk, 0, 100),
	DUR(struct conf_policyd, alert_quiet_ms, "alert_quiet"),
	U64(struct conf_policyd, storm_violations, 0, 1000000),
	END,
};

static const struct conf_key enforced_keys[] = {
	STR(struct conf_enforced, bpffs),
	DUR(struct conf_enforced, dns_grace_ms, "dns_grace"),
	U64(struct conf_enforced, rate_per_sec, 1, 100000),
	END,
};

static const struct conf_key top_keys[] = {
	STR(struct paddock_conf, host),
	STR(struct paddock_conf, state_dir),
	STR(struct paddock_conf, run_dir),
	SECT("redis", redis, redis_keys),
	SECT("collectd", collectd, collectd_keys),
	SECT("profiled", profiled, profiled_keys),
	SECT("policyd", policyd, policyd_keys),
	SECT("enforced", enforced, enforced_keys),
	END,
};

void
conf_defaults(struct paddock_conf *c)
{
	const char *sd = getenv("PADDOCK_STATE_DIR");

	memset(c, 0, sizeof(*c));
	/* paddockctl up gives its daemons the stack's state directory (the
	 * operators' keys are there); a configuration file still decides. */
	snprintf(c->state_dir, sizeof(c->state_dir), "%s",
	    sd != NULL && sd[0] == '/' ? sd : "/var/lib/paddock");
	snprintf(c->run_dir, sizeof(c->run_dir), "/run/paddock");

	snprintf(c->redis.url, sizeof(c->redis.url),
	    "unix:///var/lib/paddock/redis.sock");
	snprintf(c->redis.prefix, sizeof(c->redis.prefix), "paddock:");
	c->redis.queue_max = 100000;
	c->redis.batch = 256;
	c->redis.maxlen_events = 50000;	/* entries: batches of events */
	c->redis.maxlen = 100000;
	c->redis.maxmemory_mb = 1024;
	c->redis.block_ms = 1000;
	c->redis.claim_idle_ms = 30000;

	c->collectd.ringbuf_kb = 32768;
	c->collectd.spill_mb = 1024;
	c->collectd.dedup_entries = 262144;
	c->collectd.syscall_interval_ms = 5000;
	c->collectd.stats_interval_ms = 10000;
	c->collectd.active_interval_ms = 60000;
	c->collectd.argv_max = 512;
	c->collectd.dns = 1;

	c->profiled.quiet_ms = 3600000;
	c->profiled.fanout = 8;
	c->profiled.max_entries = 20000;
	c->profiled.cidr_siblings = 8;
	c->profiled.idle_expiry_ms = 7 * 86400000ULL;
	snprintf(c->profiled.signatures, sizeof(c->profiled.signatures),
	    "/usr/local/share/paddock/signatures.yaml");
	snprintf(c->profiled.signatures_dir, sizeof(c->profiled.signatures_dir),
	    "/etc/paddock/signatures.d");

	c->policyd.initial_stage = CONF_STAGE_LEARNING;
	c->policyd.auto_promote = 0;
	c->policyd.learn_stable_ms = 86400000;
	c->policyd.min_risk = 0;
	c->policyd.alert_quiet_ms = 7 * 86400000ULL;
	c->policyd.storm_violations = 0;

	/* A stack of its own (a state directory other than the default)
	 * pins in a directory of its own: two stacks on one host never touch
	 * each other's programs and maps. */
	if (strcmp(c->state_dir, "/var/lib/paddock") != 0) {
		char *p;

		snprintf(c->enforced.bpffs, sizeof(c->enforced.bpffs),
		    "/sys/fs/bpf/paddock%.200s", c->state_dir);
		for (p = c->enforced.bpffs + 19; *p; p++)
			if (*p == '/' || *p == '.')
				*p = '-';	/* bpffs takes no dots */
	} else
		snprintf(c->enforced.bpffs, sizeof(c->enforced.bpffs),
		    "/sys/fs/bpf/paddock");
	c->enforced.dns_grace_ms = 30000;
	c->enforced.rate_per_sec = 20;
}

void
conf_collect_pins(const struct paddock_conf *c, char *dst, size_t n)
{
	snprintf(dst, n, "%s-collect", c->enforced.bpffs);
}

static int
conf_section(const struct ynode *map, const struct conf_key *keys, void *base,
    const char *where, char *err, size_t errlen)
{
	size_t i;
	int rc;

	if (map->type != YN_MAP)
		return yerr(err, errlen, map, "expected a mapping for %s",
		    where);
	for (i = 0; i < map->n; i++) {
		const struct ynode *k = YMAP_KEY(map, i);
		const struct ynode *v = YMAP_VAL(map, i);
		const struct conf_key *ck;
		char *field;
		uint64_t u;
		int b;

		for (ck = keys; ck->name != NULL; ck++)
			if (strcmp(ck->name, k->str) == 0)
				break;
		if (ck->name == NULL)
			return yerr(err, errlen, k, "unknown key \"%s\" in %s",
			    k->str, where);
		field = (char *)base + ck->off;
		switch (ck->type) {
		case CT_STR:
			rc = yget_str(v, field, ck->size, err, errlen);
			if (rc == 0 && ck->check != NULL && ck->check(field))
				rc = yerr(err, errlen, v, "expected %s, found \"%s\"",
				    ck->check(field), v->str);
			break;
		case CT_U64:
			rc = yget_u64(v, ck->min, ck->max, &u, err, errlen);
			if (rc == 0)
				memcpy(field, &u, sizeof(u));
			break;
		case CT_BOOL:
			rc = yget_bool(v, &b, err, errlen);
			if (rc == 0)
				memcpy(field, &b, sizeof(b));
			break;
		case CT_DURATION:
			rc = yget_duration_ms(v, &u, err, errlen);
			if (rc == 0)
				memcpy(field, &u, sizeof(u));
			break;
		case CT_ENUM:
			rc = yget_enum(v, ck->names, &b, err, errlen);
			if (rc == 0)
				memcpy(field, &b, sizeof(b));
			break;
		case CT_SECTION:
			rc = conf_section(v, ck->sub, (char *)base + ck->off,
			    ck->name, err, errlen);
			break;
		default:
			rc = yerr(err, errlen, k, "internal: bad key type");
			break;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
conf_load(const char *path, struct paddock_conf *c, char *err, size_t errlen)
{
	struct ynode *root;
	int rc;

	if (access(path, F_OK) != 0 && errno == ENOENT) {
		snprintf(err, errlen, "%s: no such file", path);
		return -ENOENT;
	}
	if ((root = ytree_parse_file(path, err, errlen)) == NULL)
		return -EINVAL;
	rc = conf_section(root, top_keys, c, "the top level", err, errlen);
	ytree_free(root);
	if (rc == 0)
		snprintf(c->path, sizeof(c->path), "%s", path);
	return rc;
}
