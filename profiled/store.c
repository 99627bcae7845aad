/*
 * store: how profiles live in Redis, as commands and parsers (no I/O).
 *
 * Per workload W (braces: one Redis Cluster slot per workload):
 *
 *   P prof:{W}:raw    hash   chunk id -> msgpack chunk (fold.c), "s": a
 *                            compacted snapshot
 *   P prof:{W}:seen   zset   stream ids folded into a chunk (exactly once)
 *   P prof:{W}:meta   hash   rev, rawver, status, digest, active_ms, ...
 *   P prof:{W}:view   string the generalised baseline, JSON
 *   P prof:{W}:accepted hash behaviour operators accepted (policyd writes)
 *   P state:{W}       hash   policyd's stages (read: frozen dimensions)
 *   P workloads       set    every workload name (not in W's slot)
 *
 * Four Lua scripts keep this consistent with any number of profiled
 * instances, lost replies and redelivery:
 *
 *   apply   one flush: refuse it ({-2}) if any of its entry ids is in
 *           seen already (applied before: a reply lost, or another
 *           instance that claimed the entries; the caller drops what it
 *           holds and lets redelivery, checked against seen, rebuild it);
 *           refuse it ({-1}) if it brings novelty to a dimension that is
 *           in alert or enforce now (the caller takes that out and sends
 *           it again: drift is a violation, not learning); else store the
 *           chunk, add active time, flags, losses and the frozen count to
 *           meta, bump rawver when it stored a chunk, and, last, add every
 *           entry id to seen.  The work is per flush, not per event:
 *           the chunk is one opaque value.  A new profile's rawver starts
 *           at its first event's time in µs (rawver_base): a workload
 *           forgotten and seen again never repeats a rawver an instance
 *           may still have cached, and commit refuses a view computed
 *           before the base.
 *   read    meta, raw (unless the caller's rawver is current), view and
 *           the accepted entries, in one consistent snapshot.
 *   commit  store a view computed from rawver R unless a view from a newer
 *           R was stored already; bump rev when the view's digest or the
 *           status changed.  rev therefore only moves forward, once per
 *           real change, whichever instance computes it.
 *   compact replace the chunks by one snapshot, unless rawver moved.
 *
 * Times inside Redis are milliseconds: Lua numbers are doubles, exact only
 * to 2^53, which nanoseconds since 1970 exceed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "profiled.h"

const char store_apply_lua[] =
"local raw, seen, meta = KEYS[1], KEYS[2], KEYS[3]\n"
"local cid, ts = ARGV[1], tonumber(ARGV[2])\n"
"local function rawver()\n"
"  return tonumber(redis.call('HGET', meta, 'rawver') or '0')\n"
"end\n"
"local st = {'stage:exec', 'stage:file', 'stage:net', 'stage:syscall'}\n"
"local bits = {33, 2, 20, 8}\n"
"local fz = 0\n"
"for i = 1, 4 do\n"
"  local s = redis.call('HGET', KEYS[4], st[i])\n"
"  if s == 'alert' or s == 'enforce' then fz = bit.bor(fz, bits[i]) end\n"
"end\n"
"local nh = tonumber(ARGV[15])\n"
"local first = 16 + 2 * nh\n"
"for i = first, #ARGV, 1000 do\n"
"  local ids = {}\n"
"  for j = i, math.min(i + 999, #ARGV) do ids[#ids + 1] = ARGV[j] end\n"
"  for _, v in ipairs(redis.call('ZMSCORE', seen, unpack(ids))) do\n"
"    if v then return {-2, rawver(), fz} end\n"
"  end\n"
"end\n"
"if bit.band(fz, tonumber(ARGV[13])) ~= 0 then return {-1, rawver(), fz} end\n"
"redis.call('HSETNX', meta, 'wkind', ARGV[3])\n"
"redis.call('HSETNX', meta, 'first_ms', ts)\n"
"local tl = tonumber(ARGV[8])\n"
"if tonumber(redis.call('HGET', meta, 'first_ms')) > ts then\n"
"  redis.call('HSET', meta, 'first_ms', ts)\n"
"end\n"
"if tl > tonumber(redis.call('HGET', meta, 'last_ms') or '0') then\n"
"  redis.call('HSET', meta, 'last_ms', tl)\n"
"end\n"
"for i = 16, 15 + 2 * nh, 2 do\n"
"  local hl = tonumber(ARGV[i + 1])\n"
"  if hl > tonumber(redis.call('HGET', meta, 'host:' .. ARGV[i]) or '0') then\n"
"    redis.call('HSET', meta, 'host:' .. ARGV[i], hl)\n"
"  end\n"
"end\n"
"local fl = tonumber(ARGV[4])\n"
"local old = tonumber(redis.call('HGET', meta, 'flags') or '0')\n"
"if bit.bor(old, fl) ~= old then\n"
"  redis.call('HSET', meta, 'flags', bit.bor(old, fl))\n"
"end\n"
"if tonumber(ARGV[5]) > 0 then\n"
"  redis.call('HINCRBY', meta, 'active_ms', ARGV[5])\n"
"end\n"
"if tonumber(ARGV[6]) > 0 then\n"
"  redis.call('HINCRBY', meta, 'lost', ARGV[6])\n"
"end\n"
"local lf = tonumber(ARGV[10])\n"
"if lf > 0 then\n"
"  if tonumber(ARGV[9]) > 0 then\n"
"    redis.call('HINCRBY', meta, 'gaps', ARGV[9])\n"
"  end\n"
"  local of = tonumber(redis.call('HGET', meta, 'loss_from_ms') or '0')\n"
"  if of == 0 or lf < of then\n"
"    redis.call('HSET', meta, 'loss_from_ms', lf)\n"
"  end\n"
"  if tl > tonumber(redis.call('HGET', meta, 'loss_to_ms') or '0') then\n"
"    redis.call('HSET', meta, 'loss_to_ms', tl)\n"
"  end\n"
"  redis.call('HSET', meta, 'loss_active_ms',\n"
"    redis.call('HGET', meta, 'active_ms') or '0')\n"
"end\n"
"if tonumber(ARGV[11]) > 0 then\n"
"  redis.call('HINCRBY', meta, 'frozen', ARGV[11])\n"
"end\n"
"if ARGV[12] == '1' then redis.call('HSET', meta, 'overflow', 1) end\n"
"if ARGV[14] ~= '' then\n"
"  redis.call('HSET', raw, cid, ARGV[14])\n"
"  if not redis.call('HGET', meta, 'rawver') then\n"
"    local base = string.format('%.0f', ts * 1000)\n"
"    redis.call('HSET', meta, 'rawver', base, 'rawver_base', base)\n"
"  end\n"
"  redis.call('HINCRBY', meta, 'rawver', 1)\n"
"end\n"
"-- Last: a script that failed before here is retried whole.\n"
"local z = {}\n"
"for i = first, #ARGV do\n"
"  z[#z + 1] = tonumber(string.match(ARGV[i], '^(%d+)')) or 0\n"
"  z[#z + 1] = ARGV[i]\n"
"  if #z >= 2000 then redis.call('ZADD', seen, unpack(z)); z = {} end\n"
"end\n"
"if #z > 0 then redis.call('ZADD', seen, unpack(z)) end\n"
"local smax = tonumber(ARGV[7])\n"
"if redis.call('ZCARD', seen) > smax then\n"
"  redis.call('ZREMRANGEBYRANK', seen, 0, -smax - 1)\n"
"end\n"
"return {1, rawver(), fz}\n";

/*
 * compact: replace the chunks of P prof:{W}:raw by one snapshot of what
 * they hold, unless a chunk came in since the caller read them (rawver
 * moved).  KEYS raw meta; ARGV rawver, snapshot.  rawver stays: the
 * evidence is the same.
 */
const char store_compact_lua[] =
"if (redis.call('HGET', KEYS[2], 'rawver') or '0') ~= ARGV[1] then\n"
"  return 0\n"
"end\n"
"redis.call('DEL', KEYS[1])\n"
"redis.call('HSET', KEYS[1], 's', ARGV[2])\n"
"return 1\n";

const char store_read_lua[] =
"local rv = redis.call('HGET', KEYS[2], 'rawver') or '0'\n"
"local raw = false\n"
"if rv ~= ARGV[1] then raw = redis.call('HGETALL', KEYS[1]) end\n"
"return {redis.call('HGETALL', KEYS[2]), raw,\n"
"  redis.call('GET', KEYS[3]), redis.call('HGETALL', KEYS[4])}\n";

const char store_commit_lua[] =
"local meta, view = KEYS[1], KEYS[2]\n"
"local rv = tonumber(ARGV[1])\n"
"if rv < tonumber(redis.call('HGET', meta, 'committed_rawver') or '-1') or\n"
"   rv < tonumber(redis.call('HGET', meta, 'rawver_base') or '0') then\n"
"  return {0, 0}\n"
"end\n"
"local odig = redis.call('HGET', meta, 'digest')\n"
"local ost = redis.call('HGET', meta, 'status')\n"
"local rev = tonumber(redis.call('HGET', meta, 'rev') or '0')\n"
"local bump = 0\n"
"local changed = odig ~= ARGV[2] or ost ~= ARGV[3]\n"
"for i = 6, #ARGV - 1, 2 do\n"
"  if ARGV[i] == 'complete' and\n"
"     ARGV[i + 1] ~= redis.call('HGET', meta, 'complete') then\n"
"    changed = true\n"
"  end\n"
"end\n"
"if changed then\n"
"  rev = redis.call('HINCRBY', meta, 'rev', 1)\n"
"  bump = 1\n"
"end\n"
"if odig ~= ARGV[2] then\n"
"  redis.call('HSET', meta, 'changed_active_ms',\n"
"    redis.call('HGET', meta, 'active_ms') or '0', 'chg', ARGV[5])\n"
"end\n"
"redis.call('HSET', meta, 'committed_rawver', rv, 'digest', ARGV[2],\n"
"  'status', ARGV[3])\n"
"for i = 6, #ARGV - 1, 2 do\n"
"  redis.call('HSET', meta, ARGV[i], ARGV[i + 1])\n"
"end\n"
"redis.call('SET', view, ARGV[4])\n"
"return {rev, bump}\n";

/* ---------------------------------------------------------------- argv */

void
sargv_free(struct sargv *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	free(a->len);
	memset(a, 0, sizeof(*a));
}

int
sargv_add(struct sargv *a, const char *s, size_t len)
{
	if (a->n == a->cap) {
		int cap = a->cap ? a->cap * 2 : 32;
		char **nv = realloc(a->v, (size_t)cap * sizeof(*nv));
		size_t *nl;

		if (nv == NULL)
			return -ENOMEM;
		a->v = nv;
		if ((nl = realloc(a->len, (size_t)cap * sizeof(*nl))) == NULL)
			return -ENOMEM;
		a->len = nl;
		a->cap = cap;
	}
	if ((a->v[a->n] = malloc(len + 1)) == NULL)
		return -ENOMEM;
	memcpy(a->v[a->n], s, len);
	a->v[a->n][len] = '\0';
	a->len[a->n++] = len;
	return 0;
}

int
sargv_addf(struct sargv *a, const char *fmt, ...)
{
	char *s;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	rc = sargv_add(a, s, (size_t)n);
	free(s);
	return rc;
}

static int
adds(struct sargv *a, const char *s)
{
	return sargv_add(a, s ? s : "", s ? strlen(s) : 0);
}

int
store_key(const char *prefix, const char *workload, const char *what,
    char *buf, size_t len)
{
	int n = snprintf(buf, len, "%sprof:{%s}:%s", prefix, workload, what);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int
add_key(struct sargv *a, const struct store_conf *sc, const char *w,
    const char *what)
{
	char k[WIRE_NAME_MAX + 128];
	int rc;

	if ((rc = store_key(sc->prefix, w, what, k, sizeof(k))) < 0)
		return rc;
	return adds(a, k);
}

/* EVAL <lua> <nkeys> <prefix>prof:{w}:<key>... */
static int
eval_start(struct sargv *a, const char *lua, const struct store_conf *sc,
    const char *w, const char *const *keys)
{
	int rc = 0, n;

	memset(a, 0, sizeof(*a));
	for (n = 0; keys[n] != NULL; n++)
		;
	rc |= adds(a, "EVAL");
	rc |= adds(a, lua);
	rc |= sargv_addf(a, "%d", n);
	for (n = 0; keys[n] != NULL; n++)
		rc |= add_key(a, sc, w, keys[n]);
	return rc;
}

int
store_apply_argv(const struct store_conf *sc, const char *workload,
    const struct store_flush *f, struct sargv *a)
{
	static const char *const keys[] = { "raw", "seen", "meta", NULL };
	char sk[WIRE_NAME_MAX + 80];
	size_t i;
	int rc;

	if ((rc = eval_start(a, store_apply_lua, sc, workload, keys)) != 0) {
		sargv_free(a);
		return rc < 0 ? rc : -ENOMEM;
	}
	/* The fourth key: policyd's stages, which freeze dimensions. */
	snprintf(sk, sizeof(sk), "%sstate:{%s}", sc->prefix, workload);
	rc |= adds(a, sk);
	free(a->v[2]);
	a->v[2] = strdup("4");
	a->len[2] = 1;
	rc |= a->v[2] == NULL ? -ENOMEM : 0;
	rc |= adds(a, f->cid);
	rc |= sargv_addf(a, "%llu", (unsigned long long)f->first_ms);
	rc |= sargv_addf(a, "%u", f->wkind);
	rc |= sargv_addf(a, "%u", f->flags);
	rc |= sargv_addf(a, "%llu", (unsigned long long)f->active_ms);
	rc |= sargv_addf(a, "%llu", (unsigned long long)f->lost);
	rc |= sargv_addf(a, "%llu", (unsigned long long)sc->seen_max);
	rc |= sargv_addf(a, "%llu", (unsigned long long)f->last_ms);
	rc |= sargv_addf(a, "%llu", (unsigned long long)f->gaps);
	rc |= sargv_addf(a, "%llu", (unsigned long long)f->loss_from_ms);
	rc |= sargv_addf(a, "%llu", (unsigned long long)f->frozen);
	rc |= sargv_addf(a, "%d", f->overflow ? 1 : 0);
	rc |= sargv_addf(a, "%u", f->newdims);
	rc |= sargv_add(a, f->chunk ? f->chunk : "", f->chunk ? f->chunk_len : 0);
	rc |= sargv_addf(a, "%zu", f->nhosts);
	for (i = 0; i < f->nhosts; i++) {
		rc |= adds(a, f->hosts[i].name);
		rc |= sargv_addf(a, "%llu", (unsigned long long)f->hosts[i].last_ms);
	}
	for (i = 0; i < f->nids; i++)
		rc |= adds(a, f->ids[i]);
	if (rc != 0) {
		sargv_free(a);
		return rc < 0 ? rc : -ENOMEM;
	}
	return 0;
}

int
store_compact_argv(const struct store_conf *sc, const char *workload,
    uint64_t rawver, const char *snap, size_t len, struct sargv *a)
{
	static const char *const keys[] = { "raw", "meta", NULL };
	int rc;

	rc = eval_start(a, store_compact_lua, sc, workload, keys);
	rc |= sargv_addf(a, "%llu", (unsigned long long)rawver);
	rc |= sargv_add(a, snap, len);
	if (rc != 0) {
		sargv_free(a);
		return rc < 0 ? rc : -ENOMEM;
	}
	return 0;
}

int
store_read_argv(const struct store_conf *sc, const char *workload,
    uint64_t known_rawver, struct sargv *a)
{
	static const char *const keys[] = { "raw", "meta", "view", "accepted",
	    NULL };
	int rc;

	rc = eval_start(a, store_read_lua, sc, workload, keys);
	rc |= sargv_addf(a, "%llu", (unsigned long long)known_rawver);
	if (rc != 0) {
		sargv_free(a);
		return rc < 0 ? rc : -ENOMEM;
	}
	return 0;
}

/*
 * expire: forget an idle workload that was never promoted.  KEYS meta raw
 * seen view accepted, state, ai; ARGV now_ms, idle_ms.  1 when it deleted
 * the workload's profile keys: its last event is idle_ms old (or it has no
 * meta at all: a name left in P workloads), policyd never compiled a
 * policy for it (state rev 0 or none) and nothing was accepted for it.
 * Atomic, so with several instances exactly one says 1, and an event
 * applied after it starts a new profile.  P state:{W} is policyd's to
 * delete (the profile record with status "expired" tells it).
 */
const char store_expire_lua[] =
"local now, idle = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
"if redis.call('EXISTS', KEYS[1]) == 1 then\n"
"  local last = tonumber(redis.call('HGET', KEYS[1], 'last_ms') or '0')\n"
"  if now - last < idle then return 0 end\n"
"end\n"
"if tonumber(redis.call('HGET', KEYS[6], 'rev') or '0') > 0 then return 0 end\n"
"if redis.call('HLEN', KEYS[5]) > 0 then return 0 end\n"
"redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[7])\n"
"return 1\n";

int
store_expire_argv(const struct store_conf *sc, const char *workload,
    uint64_t now_ms, uint64_t idle_ms, struct sargv *a)
{
	static const char *const keys[] = { "meta", "raw", "seen", "view",
	    "accepted", NULL };
	char k[WIRE_NAME_MAX + 80];
	int rc;

	if ((rc = eval_start(a, store_expire_lua, sc, workload, keys)) != 0) {
		sargv_free(a);
		return rc < 0 ? rc : -ENOMEM;
	}
	snprintf(k, sizeof(k), "%sstate:{%s}", sc->prefix, workload);
	rc |= adds(a, k);
	snprintf(k, sizeof(k), "%sai:{%s}", sc->prefix, workload);
	rc |= adds(a, k);
	free(a->v[2]);
	a->v[2] = strdup("7");
	a->len[2] = a->v[2] ? 1 : 0;
	rc |= a->v[2] == NULL ? -ENOMEM : 0;
	rc |= sargv_addf(a, "%llu", (unsigned long long)now_ms);
	rc |= sargv_addf(a, "%llu", (unsigned long long)idle_ms);
	if (rc != 0) {
		sargv_free(a);
		return rc < 0 ? rc : -ENOMEM;
	}
	return 0;
}

/* ---------------------------------------------------------------- parse */

void
store_meta_free(struct store_meta *m)
{
	free(m->chg);
	free(m->view);
	memset(m, 0, sizeof(*m));
}

static uint64_t
u64(const redisReply *v)
{
	return v->type == REDIS_REPLY_STRING ? strtoull(v->str, NULL, 10) :
	    v->type == REDIS_REPLY_INTEGER ? (uint64_t)v->integer : 0;
}

static int
json_u64(json_t *o, const char *k, uint64_t *out)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		*out = (uint64_t)json_integer_value(v);
	else if (json_is_real(v) && json_real_value(v) >= 0)
		*out = (uint64_t)json_real_value(v);
	else
		return -EINVAL;
	return 0;
}

static int
json_sdup(json_t *o, const char *k, char **out)
{
	json_t *v = json_object_get(o, k);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return -EINVAL;
	return (*out = strdup(json_string_value(v))) == NULL ? -ENOMEM : 0;
}

int
store_entry_parse(const char *txt, size_t len, struct pentry *e)
{
	json_t *o, *h;
	json_error_t jerr;
	uint64_t d = 0, m = 0, port = 0, proto = 0;
	size_t i;
	int rc = -EINVAL;

	memset(e, 0, sizeof(*e));
	if ((o = json_loadb(txt, len, 0, &jerr)) == NULL)
		return -EINVAL;
	if (!json_is_object(o) || json_u64(o, "d", &d) < 0 || d >= WD__MAX ||
	    json_u64(o, "m", &m) < 0 || json_u64(o, "o", &port) < 0 ||
	    port > 65535 || json_u64(o, "t", &proto) < 0 || proto > 255 ||
	    json_u64(o, "f", &e->first) < 0 || json_u64(o, "l", &e->last) < 0 ||
	    json_u64(o, "c", &e->count) < 0)
		goto out;
	e->dim = (uint8_t)d;
	e->mode = (uint32_t)m;
	e->port = (uint16_t)port;
	e->proto = (uint8_t)proto;
	if ((rc = json_sdup(o, "k", &e->key)) < 0 ||
	    (rc = json_sdup(o, "p", &e->parent)) < 0 ||
	    (rc = json_sdup(o, "s", &e->sample)) < 0)
		goto out;
	rc = -EINVAL;
	if (e->key == NULL)
		goto out;
	h = json_object_get(o, "h");
	if (h != NULL && json_is_array(h) && json_array_size(h) > 0) {
		if ((e->hosts = calloc(json_array_size(h),
		    sizeof(*e->hosts))) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		for (i = 0; i < json_array_size(h); i++) {
			json_t *s = json_array_get(h, i);

			if (!json_is_string(s))
				goto out;
			if ((e->hosts[e->nhosts] =
			    strdup(json_string_value(s))) == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			e->nhosts++;
		}
	}
	rc = 0;
out:
	json_decref(o);
	if (rc < 0)
		pentry_free(e);
	return rc;
}

static int
meta_field(struct store_meta *m, const char *k, const redisReply *v)
{
	if (strcmp(k, "rev") == 0)
		m->rev = u64(v);
	else if (strcmp(k, "rawver") == 0)
		m->rawver = u64(v);
	else if (strcmp(k, "committed_rawver") == 0)
		m->committed_rawver = u64(v);
	else if (strcmp(k, "wkind") == 0)
		m->wkind = (uint8_t)(u64(v) < WL__MAX ? u64(v) : 0);
	else if (strcmp(k, "flags") == 0)
		m->flags = (uint32_t)u64(v);
	else if (strcmp(k, "active_ms") == 0)
		m->active_ms = u64(v);
	else if (strcmp(k, "changed_active_ms") == 0)
		m->changed_active_ms = u64(v);
	else if (strcmp(k, "lost") == 0)
		m->lost = u64(v);
	else if (strcmp(k, "gaps") == 0)
		m->gaps = u64(v);
	else if (strcmp(k, "loss_from_ms") == 0)
		m->loss_from_ms = u64(v);
	else if (strcmp(k, "loss_to_ms") == 0)
		m->loss_to_ms = u64(v);
	else if (strcmp(k, "loss_active_ms") == 0)
		m->loss_active_ms = u64(v);
	else if (strcmp(k, "overflow") == 0)
		m->overflow = u64(v) != 0;
	else if (strcmp(k, "ai") == 0)
		m->ai = u64(v) != 0;
	else if (strcmp(k, "first_ms") == 0)
		m->first_ms = u64(v);
	else if (strcmp(k, "last_ms") == 0)
		m->last_ms = u64(v);
	else if (strcmp(k, "digest") == 0 && v->type == REDIS_REPLY_STRING)
		snprintf(m->digest, sizeof(m->digest), "%s", v->str);
	else if (strcmp(k, "status") == 0 && v->type == REDIS_REPLY_STRING)
		snprintf(m->status, sizeof(m->status), "%s", v->str);
	else if (strcmp(k, "chg") == 0 && v->type == REDIS_REPLY_STRING &&
	    (m->chg = strdup(v->str)) == NULL)
		return -ENOMEM;
	return 0;
}

/* Entries of a hash of raw-entry JSON values into s (bad ones skipped). */
static int
entries_parse(const redisReply *h, struct pset *s, char *err, size_t errlen)
{
	size_t i;
	int rc;

	for (i = 0; h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements;
	    i += 2) {
		struct pentry e;
		const redisReply *v = h->element[i + 1];

		if (v->type != REDIS_REPLY_STRING ||
		    store_entry_parse(v->str, v->len, &e) < 0) {
			/* Written only by our scripts; skip, never crash. */
			snprintf(err, errlen, "entry %s is malformed",
			    h->element[i]->type == REDIS_REPLY_STRING ?
			    h->element[i]->str : "?");
			continue;
		}
		rc = pset_add(s, &e);
		pentry_free(&e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
store_read_parse(const redisReply *r, struct store_meta *m, struct ftab *t,
    size_t *nchunks, size_t *nbytes, struct pset *accepted, int *raw_fresh,
    char *err, size_t errlen)
{
	const redisReply *h, *rw, *vw;
	size_t i;
	int rc;

	memset(m, 0, sizeof(*m));
	memset(accepted, 0, sizeof(*accepted));
	*raw_fresh = 0;
	*nchunks = *nbytes = 0;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 4 ||
	    r->element[0]->type != REDIS_REPLY_ARRAY) {
		snprintf(err, errlen, "read: unexpected reply (%s)",
		    r && r->type == REDIS_REPLY_ERROR ? r->str : "shape");
		return -EPROTO;
	}
	h = r->element[0];
	for (i = 0; i + 1 < h->elements; i += 2)
		if (h->element[i]->type == REDIS_REPLY_STRING &&
		    (rc = meta_field(m, h->element[i]->str,
		    h->element[i + 1])) < 0)
			goto fail;
	vw = r->element[2];
	if (vw->type == REDIS_REPLY_STRING &&
	    (m->view = strdup(vw->str)) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	/* Behaviour operators accepted (policyd): part of the baseline. */
	if ((rc = entries_parse(r->element[3], accepted, err, errlen)) < 0)
		goto fail;
	rw = r->element[1];
	if (rw->type != REDIS_REPLY_ARRAY)
		return 0;	/* nil: the caller's copy is current */
	*raw_fresh = 1;
	ftab_reset(t);
	for (i = 0; i + 1 < rw->elements; i += 2) {
		const redisReply *v = rw->element[i + 1];

		if (v->type != REDIS_REPLY_STRING ||
		    (rc = ftab_load_chunk(t, v->str, v->len)) == -EPROTO) {
			/* Written only by this daemon; skip, never crash. */
			snprintf(err, errlen, "chunk %s is malformed",
			    rw->element[i]->type == REDIS_REPLY_STRING ?
			    rw->element[i]->str : "?");
			continue;
		}
		if (rc < 0)
			goto fail;
		(*nchunks)++;
		*nbytes += v->len;
	}
	return 0;
fail:
	store_meta_free(m);
	pset_free(accepted);
	snprintf(err, errlen, "read: %s", strerror(-rc));
	return rc;
}

/* ---------------------------------------------------------------- ready */

#define CHG_KEEP	256

int
ready_eval(const struct ready_conf *rc, const struct store_meta *m,
    const char *chg, struct ready *out)
{
	uint64_t window = rc->quiet_ms ? rc->quiet_ms : 3600000;
	uint64_t now = m->active_ms, cur = 0, prev = 0;
	json_t *a = NULL;
	json_error_t jerr;
	size_t i;
	double hours;

	memset(out, 0, sizeof(*out));
	if (chg != NULL && chg[0] != '\0' &&
	    (a = json_loads(chg, 0, &jerr)) != NULL && json_is_array(a))
		for (i = 0; i < json_array_size(a); i++) {
			json_t *p = json_array_get(a, i);
			uint64_t at, n;

			if (!json_is_array(p) || json_array_size(p) != 2)
				continue;
			at = (uint64_t)json_integer_value(json_array_get(p, 0));
			n = (uint64_t)json_integer_value(json_array_get(p, 1));
			if (at + window > now)
				cur += n;
			else if (at + 2 * window > now)
				prev += n;
		}
	json_decref(a);
	/* Early on, rates are per the time seen, but never per less than a
	 * minute: one short job must not read as millions per hour. */
	hours = (double)(now < window ? (now > 60000 ? now : 60000) : window) /
	    3600000.0;
	out->novelty = (double)cur / hours;
	out->trend = out->novelty - (now >= 2 * window ? (double)prev /
	    ((double)window / 3600000.0) : 0.0);
	out->quiet_for_ms = now > m->changed_active_ms ?
	    now - m->changed_active_ms : 0;
	/*
	 * Partial: a process predates the collector, or events were lost.
	 * Complete again once the workload has been active for clean_ms
	 * since (the evidence has had the time a stable profile needs to
	 * show what the loss hid).
	 */
	out->clean_left_ms = 0;
	if ((m->flags & OF_SEEDED) || m->lost > 0 || m->gaps > 0) {
		uint64_t since = m->lost > 0 || m->gaps > 0 ?
		    m->loss_active_ms : 0;
		uint64_t clean = m->active_ms > since ? m->active_ms - since : 0;

		out->clean_left_ms = rc->clean_ms == 0 ? UINT64_MAX :
		    clean >= rc->clean_ms ? 0 : rc->clean_ms - clean;
	}
	out->complete = out->clean_left_ms == 0;
	if (m->overflow)
		out->status = WS_TOO_LARGE;
	else if (rc->quiet_ms > 0 && out->quiet_for_ms >= rc->quiet_ms)
		out->status = WS_STABLE;
	else
		out->status = WS_LEARNING;
	return 0;
}

char *
ready_chg_append(const char *chg, uint64_t active_ms, size_t added)
{
	json_t *a = NULL, *p;
	json_error_t jerr;
	char *s;

	if (chg != NULL && chg[0] != '\0')
		a = json_loads(chg, 0, &jerr);
	if (a == NULL || !json_is_array(a)) {
		json_decref(a);
		if ((a = json_array()) == NULL)
			return NULL;
	}
	p = json_pack("[II]", (json_int_t)active_ms, (json_int_t)added);
	if (p == NULL || json_array_append_new(a, p) < 0) {
		json_decref(a);
		return NULL;
	}
	while (json_array_size(a) > CHG_KEEP)
		json_array_remove(a, 0);
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

/* ---------------------------------------------------------------- view */

static json_t *
iso(uint64_t ms)
{
	char t[40];

	wire_time_iso(ms * 1000000ull, t, sizeof(t));
	return json_string(t);
}

static json_t *
entry_json(const struct pentry *e)
{
	json_t *o = json_object(), *h = json_array();
	char mb[4];
	uint32_t i;

	if (o == NULL || h == NULL) {
		json_decref(o);
		json_decref(h);
		return NULL;
	}
	switch (e->dim) {
	case WD_EXEC:
		json_object_set_new(o, "path", json_string(e->key));
		break;
	case WD_EDGE:
		json_object_set_new(o, "parent", json_string(e->parent ?
		    e->parent : ""));
		json_object_set_new(o, "child", json_string(e->key));
		break;
	case WD_FILE:
		json_object_set_new(o, "pattern", json_string(e->key));
		json_object_set_new(o, "mode",
		    json_string(wire_mode_bits(e->mode, mb)));
		break;
	case WD_NET:
	case WD_LISTEN:
		json_object_set_new(o, e->dim == WD_NET ? "dest" : "addr",
		    json_string(e->key));
		json_object_set_new(o, "port", json_integer(e->port));
		json_object_set_new(o, "proto", json_string(e->proto == WP_UDP ?
		    "udp" : "tcp"));
		break;
	default:
		json_object_set_new(o, "name", json_string(e->key));
		break;
	}
	json_object_set_new(o, "first", iso(e->first));
	json_object_set_new(o, "last", iso(e->last));
	json_object_set_new(o, "count", json_integer((json_int_t)e->count));
	for (i = 0; i < e->nhosts; i++)
		json_array_append_new(h, json_string(e->hosts[i]));
	json_object_set_new(o, "hosts", h);
	if (e->sample != NULL && strcmp(e->sample, e->key) != 0)
		json_object_set_new(o, "sample", json_string(e->sample));
	return o;
}

static const char *const section[WD__MAX] = {
	[WD_EXEC] = "exec", [WD_FILE] = "files", [WD_NET] = "egress",
	[WD_SYSCALL] = "syscalls", [WD_LISTEN] = "listeners",
	[WD_EDGE] = "edges",
};

char *
store_view_json(const struct pset *view, const struct ready *rd,
    const struct risk *rk, const struct store_meta *m)
{
	json_t *o = json_object(), *secs[WD__MAX], *rs, *fl, *cnt;
	char *s = NULL;
	size_t i;
	unsigned d;

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "kind", json_string(wire_wkind_name(m->wkind)));
	json_object_set_new(o, "ai", json_boolean(m->ai));
	json_object_set_new(o, "status", json_string(wire_status_name(rd->status)));
	json_object_set_new(o, "complete", json_boolean(rd->complete));
	json_object_set_new(o, "active_seconds",
	    json_integer((json_int_t)(m->active_ms / 1000)));
	json_object_set_new(o, "quiet_seconds",
	    json_integer((json_int_t)(rd->quiet_for_ms / 1000)));
	json_object_set_new(o, "novelty_per_hour", json_real(rd->novelty));
	json_object_set_new(o, "trend", json_real(rd->trend));
	json_object_set_new(o, "risk", json_integer(rk->score));
	rs = json_array();
	for (i = 0; i < rk->n; i++)
		json_array_append_new(rs, json_string(rk->reasons[i]));
	json_object_set_new(o, "reasons", rs);
	fl = json_array();
	if (m->flags & OF_ROOT)
		json_array_append_new(fl, json_string("root"));
	if (m->flags & OF_SETUID)
		json_array_append_new(fl, json_string("setuid"));
	if (m->flags & OF_SEEDED)
		json_array_append_new(fl, json_string("started-before-collector"));
	json_object_set_new(o, "flags", fl);
	json_object_set_new(o, "lost_events", json_integer((json_int_t)m->lost));
	json_object_set_new(o, "loss_gaps", json_integer((json_int_t)m->gaps));
	json_object_set_new(o, "loss_window", m->loss_from_ms == 0 ?
	    json_null() : json_pack("[oo]", iso(m->loss_from_ms),
	    iso(m->loss_to_ms > m->loss_from_ms ? m->loss_to_ms :
	    m->loss_from_ms)));
	json_object_set_new(o, "complete_in_seconds", rd->complete ?
	    json_integer(0) : rd->clean_left_ms == UINT64_MAX ? json_null() :
	    json_integer((json_int_t)((rd->clean_left_ms + 999) / 1000)));
	json_object_set_new(o, "first_seen", iso(m->first_ms));
	json_object_set_new(o, "last_seen", iso(m->last_ms));
	cnt = json_object();
	for (d = 0; d < WD__MAX; d++) {
		secs[d] = json_array();
		json_object_set_new(cnt, section[d], json_integer(0));
	}
	for (i = 0; i < view->n; i++) {
		const struct pentry *e = &view->v[i];

		if (e->dim >= WD__MAX)
			continue;
		if (e->dim == WD_SYSCALL)
			json_array_append_new(secs[e->dim], json_string(e->key));
		else
			json_array_append_new(secs[e->dim], entry_json(e));
	}
	for (d = 0; d < WD__MAX; d++) {
		json_object_set_new(cnt, section[d],
		    json_integer((json_int_t)json_array_size(secs[d])));
		json_object_set_new(o, section[d], secs[d]);
	}
	json_object_set_new(o, "counts", cnt);
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

int
store_commit_argv(const struct store_conf *sc, const char *workload,
    uint64_t rawver, const char *digest, const struct ready *rd,
    const struct risk *rk, const char *chg, const char *view_json,
    size_t counts[WD__MAX], struct sargv *a)
{
	static const char *const keys[] = { "meta", "view", NULL };
	json_t *rs = json_array();
	char *reasons = NULL, cbuf[128];
	size_t i;
	int rc = 0;

	memset(a, 0, sizeof(*a));
	for (i = 0; rs != NULL && i < rk->n; i++)
		json_array_append_new(rs, json_string(rk->reasons[i]));
	if (rs == NULL || (reasons = json_dumps(rs, JSON_COMPACT)) == NULL) {
		json_decref(rs);
		return -ENOMEM;
	}
	json_decref(rs);
	snprintf(cbuf, sizeof(cbuf), "%zu %zu %zu %zu %zu %zu", counts[0],
	    counts[1], counts[2], counts[3], counts[4], counts[5]);
	rc |= eval_start(a, store_commit_lua, sc, workload, keys);
	rc |= sargv_addf(a, "%llu", (unsigned long long)rawver);
	rc |= adds(a, digest);
	rc |= adds(a, wire_status_name(rd->status));
	rc |= adds(a, view_json);
	rc |= adds(a, chg ? chg : "[]");
	rc |= adds(a, "risk");
	rc |= sargv_addf(a, "%u", rk->score);
	rc |= adds(a, "reasons");
	rc |= adds(a, reasons);
	rc |= adds(a, "complete");
	rc |= sargv_addf(a, "%u", rd->complete);
	/* Active seconds until complete; -1: not while nothing is stable. */
	rc |= adds(a, "complete_in");
	rc |= sargv_addf(a, "%lld", rd->clean_left_ms == UINT64_MAX ? -1LL :
	    (long long)((rd->clean_left_ms + 999) / 1000));
	rc |= adds(a, "novelty");
	rc |= sargv_addf(a, "%.3f", rd->novelty);
	rc |= adds(a, "trend");
	rc |= sargv_addf(a, "%.3f", rd->trend);
	rc |= adds(a, "counts");
	rc |= adds(a, cbuf);
	free(reasons);
	if (rc != 0) {
		sargv_free(a);
		return rc < 0 ? rc : -ENOMEM;
	}
	return 0;
}

static int
view_add(struct pset *s, uint8_t dim, json_t *o)
{
	struct pentry e;
	const char *k = NULL, *mode = NULL, *proto = NULL;
	json_t *v;

	memset(&e, 0, sizeof(e));
	e.dim = dim;
	switch (dim) {
	case WD_SYSCALL:
		k = json_string_value(o);
		break;
	case WD_EXEC:
		k = json_string_value(json_object_get(o, "path"));
		break;
	case WD_EDGE:
		k = json_string_value(json_object_get(o, "child"));
		e.parent = (char *)json_string_value(json_object_get(o, "parent"));
		if (e.parent == NULL)
			return -EINVAL;
		break;
	case WD_FILE:
		k = json_string_value(json_object_get(o, "pattern"));
		mode = json_string_value(json_object_get(o, "mode"));
		if (mode == NULL)
			return -EINVAL;
		e.mode = (strchr(mode, 'r') ? WM_READ : 0) |
		    (strchr(mode, 'w') ? WM_WRITE : 0) |
		    (strchr(mode, 'x') ? WM_EXEC : 0);
		break;
	default:
		k = json_string_value(json_object_get(o,
		    dim == WD_NET ? "dest" : "addr"));
		v = json_object_get(o, "port");
		proto = json_string_value(json_object_get(o, "proto"));
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 65535 || proto == NULL)
			return -EINVAL;
		e.port = (uint16_t)json_integer_value(v);
		e.proto = strcmp(proto, "udp") == 0 ? WP_UDP : WP_TCP;
		break;
	}
	if (k == NULL)
		return -EINVAL;
	e.key = (char *)k;
	if (dim != WD_SYSCALL && json_is_integer(json_object_get(o, "count")))
		e.count = (uint64_t)json_integer_value(json_object_get(o,
		    "count"));
	return pset_add(s, &e);
}

int
store_view_parse(const char *txt, struct pset *view)
{
	json_t *o, *a;
	json_error_t jerr;
	unsigned d;
	size_t i;
	int rc = 0;

	memset(view, 0, sizeof(*view));
	if ((o = json_loads(txt, 0, &jerr)) == NULL || !json_is_object(o)) {
		json_decref(o);
		return -EINVAL;
	}
	for (d = 0; d < WD__MAX && rc == 0; d++) {
		if ((a = json_object_get(o, section[d])) == NULL)
			continue;
		if (!json_is_array(a)) {
			rc = -EINVAL;
			break;
		}
		for (i = 0; i < json_array_size(a) && rc == 0; i++)
			rc = view_add(view, (uint8_t)d, json_array_get(a, i));
	}
	json_decref(o);
	if (rc == 0)
		pset_sort(view);
	else
		pset_free(view);
	return rc;
}
