/*
 * backlog: the events stream trimmed by its readers' progress, so that
 * no entry is ever trimmed before the profiler has read it.
 *
 * collectd adds events with MAXLEN ~ four times maxlen_events only as a
 * net (for a Redis that refuses this script); once a second it runs the
 * script below (atomic).  While the stream holds at most redis.maxlen_events
 * entries it is left alone: history for `paddockctl events` and
 * redis-cli readers.  Past that, or while the collector is holding back,
 * it is trimmed to what its slowest consumer group still needs -- the
 * oldest of the group's pending entries and its last delivered one
 * (XTRIM MINID) -- and what remains is the backlog: entries delivered but
 * not acknowledged, or not delivered yet.  While the backlog is above half
 * of maxlen_events the collector reads no more of its ring: records wait
 * in the pinned ring, and what does not fit there the kernel counts on its
 * workload.  A stream no group reads is trimmed to maxlen_events (MAXLEN
 * ~): nobody to wait for.
 *
 * (Redis 7.0's "lag" of XINFO GROUPS is not used: after trimming it can
 * stay wrong, and a collector trusting it held back for good.)
 *
 * Reply: {backlog, length, groups}.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "collectd.h"

static const char backlog_lua[] =
"local key, cap, holding = KEYS[1], tonumber(ARGV[1]), ARGV[2] == '1'\n"
"if redis.call('EXISTS', key) == 0 then return {0, 0, 0} end\n"
"local len = redis.call('XLEN', key)\n"
"local gs = redis.call('XINFO', 'GROUPS', key)\n"
"if len <= cap and not holding then return {0, len, #gs} end\n"
"if #gs == 0 then\n"
"  redis.call('XTRIM', key, 'MAXLEN', '~', cap)\n"
"  return {0, redis.call('XLEN', key), 0}\n"
"end\n"
"local function older(a, b)\n"
"  local a1, a2 = string.match(a, '^(%d+)-(%d+)$')\n"
"  local b1, b2 = string.match(b, '^(%d+)-(%d+)$')\n"
"  a1, a2, b1, b2 = tonumber(a1), tonumber(a2), tonumber(b1), tonumber(b2)\n"
"  return a1 < b1 or (a1 == b1 and a2 < b2)\n"
"end\n"
"local floor = nil\n"
"for _, g in ipairs(gs) do\n"
"  local f = {}\n"
"  for i = 1, #g, 2 do f[g[i]] = g[i + 1] end\n"
"  local keep = f['last-delivered-id']\n"
"  if tonumber(f['pending']) > 0 then\n"
"    local p = redis.call('XPENDING', key, f['name'])\n"
"    if p[2] and older(p[2], keep) then keep = p[2] end\n"
"  end\n"
"  if floor == nil or older(keep, floor) then floor = keep end\n"
"end\n"
"redis.call('XTRIM', key, 'MINID', floor)\n"
"local left = redis.call('XLEN', key)\n"
"return {left, left, #gs}\n";

int
backlog_argv(const char *key, uint64_t maxlen, int holding, char *buf,
    size_t buflen, const char **argv, size_t *lens)
{
	snprintf(buf, buflen, "%llu", (unsigned long long)maxlen);
	argv[0] = "EVAL";
	argv[1] = backlog_lua;
	argv[2] = "1";
	argv[3] = key;
	argv[4] = buf;
	argv[5] = holding ? "1" : "0";
	for (int i = 0; i < 6; i++)
		lens[i] = strlen(argv[i]);
	return 6;
}

int
backlog_parse(const redisReply *r, struct backlog *b, char *err,
    size_t errlen)
{
	size_t i;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 3) {
		snprintf(err, errlen, "backlog: unexpected reply (%s)",
		    r && r->type == REDIS_REPLY_ERROR ? r->str : "shape");
		return -EPROTO;
	}
	for (i = 0; i < 3; i++)
		if (r->element[i]->type != REDIS_REPLY_INTEGER ||
		    r->element[i]->integer < 0) {
			snprintf(err, errlen, "backlog: unexpected reply");
			return -EPROTO;
		}
	b->behind = (uint64_t)r->element[0]->integer;
	b->length = (uint64_t)r->element[1]->integer;
	b->groups = (uint64_t)r->element[2]->integer;
	return 0;
}

int
backlog_hold(const struct backlog *b, uint64_t maxlen)
{
	return b->groups > 0 && maxlen > 0 && b->behind > maxlen / 2;
}
