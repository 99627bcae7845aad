/*
 * evbatch: events published in batches, one per workload (evbatch.h).
 *
 * One slot per workload and host seen since the last flush, found by an
 * open-addressing index on the name (FNV-1a); a flush queues every slot's
 * batch and empties the index, keeping the slots' buffers for reuse, so a
 * busy collector allocates nothing per event once warm.  A slot's batch
 * is also queued as soon as it is full, and stays in the index.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evbatch.h"
#include "log.h"
#include "rstream.h"

struct slot {
	char		 workload[WIRE_NAME_MAX];
	char		 host[WIRE_HOST_MAX];
	uint8_t		 wkind;
	uint64_t	 ts;		/* the first event's */
	uint32_t	 by_type[EV__MAX];
	char		 first[400];	/* the first event's summary */
	struct wire_buf	 body;
};

struct evbatch {
	struct rstream	*rs;
	char		*key;
	uint64_t	 maxlen;
	evbatch_lost_fn	*lost;
	void		*arg;
	evbatch_sink_fn	*sink;
	void		*sink_arg;
	struct slot	*slots;
	size_t		 n, cap;	/* slots in use, allocated */
	int32_t		*index;		/* slot + 1, or 0 */
	size_t		 isize;		/* a power of two, > 2 * cap */
	struct wire_buf	 enc;		/* one event, encoded */
	uint64_t	 cookie;	/* for rstream_add */
	struct evbatch_stats st;
};

static uint64_t
fnv(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

void
evbatch_sink(struct evbatch *eb, evbatch_sink_fn *fn, void *arg)
{
	eb->sink = fn;
	eb->sink_arg = arg;
}

struct evbatch *
evbatch_new(struct rstream *rs, const char *key, uint64_t maxlen,
    evbatch_lost_fn *lost, void *arg)
{
	struct evbatch *eb;

	if ((eb = calloc(1, sizeof(*eb))) == NULL ||
	    (eb->key = strdup(key)) == NULL) {
		free(eb);
		return NULL;
	}
	eb->rs = rs;
	eb->maxlen = maxlen;
	eb->lost = lost;
	eb->arg = arg;
	return eb;
}

void
evbatch_what(uint32_t n, const uint32_t by_type[EV__MAX], const char *first,
    char *dst, size_t dstlen)
{
	size_t o;
	int i, sep = 0;

	if (n == 1) {
		snprintf(dst, dstlen, "%s", first);
		return;
	}
	o = (size_t)snprintf(dst, dstlen, "%u events:", n);
	for (i = 0; i < EV__MAX && o < dstlen; i++)
		if (by_type[i] > 0) {
			o += (size_t)snprintf(dst + o, dstlen - o, "%s %s %u",
			    sep++ ? "," : "", wire_ev_name((unsigned)i),
			    by_type[i]);
		}
	if (o < dstlen)
		snprintf(dst + o, dstlen - o, "; first: %s", first);
}

/* Queue one slot's batch and empty it. */
static void
publish(struct evbatch *eb, struct slot *s)
{
	char what[512], when[64], count[16];
	struct rs_field f[7];
	uint32_t n = wire_batch_count(&s->body);
	int rc;

	if (n == 0)
		return;
	evbatch_what(n, s->by_type, s->first, what, sizeof(what));
	wire_time_iso(s->ts, when, sizeof(when));
	snprintf(count, sizeof(count), "%u", n);
	f[0] = (struct rs_field){ "kind", "events", 6 };
	f[1] = (struct rs_field){ "workload", s->workload,
	    strlen(s->workload) };
	f[2] = (struct rs_field){ "host", s->host, strlen(s->host) };
	f[3] = (struct rs_field){ "time", when, strlen(when) };
	f[4] = (struct rs_field){ "what", what, strlen(what) };
	f[5] = (struct rs_field){ "count", count, strlen(count) };
	f[6] = (struct rs_field){ "msgpack", s->body.data, s->body.len };
	if ((rc = eb->sink != NULL ? eb->sink(eb->sink_arg, eb->key, f, 7,
	    eb->cookie) : rstream_add(eb->rs, eb->key, eb->maxlen, f, 7,
	    eb->cookie)) == 0) {
		eb->st.batches++;
		eb->st.events += n;
	} else {
		eb->st.lost += n;
		if (eb->lost != NULL)
			eb->lost(eb->arg, s->workload, s->wkind, s->host, n);
	}
	s->body.len = 0;
	memset(s->by_type, 0, sizeof(s->by_type));
}

/* Index every slot in use again, in a table for cap slots. */
static int
reindex(struct evbatch *eb)
{
	size_t size = 64, i, j;
	int32_t *ix;

	while (size < 2 * eb->cap)
		size *= 2;
	if ((ix = calloc(size, sizeof(*ix))) == NULL)
		return -ENOMEM;
	for (i = 0; i < eb->n; i++) {
		j = fnv(eb->slots[i].workload) & (size - 1);
		while (ix[j] != 0)
			j = (j + 1) & (size - 1);
		ix[j] = (int32_t)i + 1;
	}
	free(eb->index);
	eb->index = ix;
	eb->isize = size;
	return 0;
}

/* The slot of ev's workload and host, made if new; NULL without memory. */
static struct slot *
slot_get(struct evbatch *eb, const struct wire_event *ev)
{
	struct slot *s, *ns;
	size_t j;

	if (eb->index != NULL) {
		j = fnv(ev->workload) & (eb->isize - 1);
		for (; eb->index[j] != 0; j = (j + 1) & (eb->isize - 1)) {
			s = &eb->slots[eb->index[j] - 1];
			if (strcmp(s->workload, ev->workload) == 0 &&
			    strcmp(s->host, ev->host) == 0)
				return s;
		}
	}
	if (eb->n == eb->cap) {
		size_t cap = eb->cap ? eb->cap * 2 : 32;

		if ((ns = realloc(eb->slots, cap * sizeof(*ns))) == NULL)
			return NULL;
		memset(ns + eb->cap, 0, (cap - eb->cap) * sizeof(*ns));
		eb->slots = ns;
		eb->cap = cap;
	}
	s = &eb->slots[eb->n++];
	snprintf(s->workload, sizeof(s->workload), "%s", ev->workload);
	snprintf(s->host, sizeof(s->host), "%s", ev->host);
	s->wkind = ev->wkind;
	s->body.len = 0;
	memset(s->by_type, 0, sizeof(s->by_type));
	if (eb->isize < 2 * eb->cap || eb->index == NULL) {
		if (reindex(eb) < 0) {
			eb->n--;
			return NULL;
		}
	} else {
		j = fnv(s->workload) & (eb->isize - 1);
		while (eb->index[j] != 0)
			j = (j + 1) & (eb->isize - 1);
		eb->index[j] = (int32_t)eb->n;
	}
	return s;
}

int
evbatch_add(struct evbatch *eb, const struct wire_event *ev)
{
	char err[WIRE_ERRLEN];
	struct slot *s;
	int rc;

	if ((rc = wire_encode(WK_EVENT, ev, &eb->enc, err, sizeof(err))) < 0) {
		if (rc == -EINVAL) {
			eb->st.bad++;
			log_warnx("%s: not publishing a bad event of %s: %s",
			    eb->key, ev->workload, err);
		}
		return rc;
	}
	if ((s = slot_get(eb, ev)) == NULL)
		return -ENOMEM;
	if (s->body.len > 0 && s->body.len + eb->enc.len > WIRE_BATCH_BYTES)
		publish(eb, s);
	if (s->body.len == 0) {
		s->ts = ev->ts;
		wire_summary(WK_EVENT, ev, s->first, sizeof(s->first));
		if ((rc = wire_batch_init(&s->body)) < 0)
			return rc;
	}
	if ((rc = wire_batch_add(&s->body, &eb->enc)) < 0)
		return rc;
	if (ev->type < EV__MAX)
		s->by_type[ev->type]++;
	if (wire_batch_count(&s->body) >= WIRE_BATCH_MAX)
		publish(eb, s);
	return 0;
}

void
evbatch_cookie(struct evbatch *eb, uint64_t cookie)
{
	eb->cookie = cookie;
}

void
evbatch_flush(struct evbatch *eb)
{
	size_t i;

	for (i = 0; i < eb->n; i++)
		publish(eb, &eb->slots[i]);
	eb->n = 0;
	if (eb->index != NULL)
		memset(eb->index, 0, eb->isize * sizeof(*eb->index));
}

void
evbatch_stats(const struct evbatch *eb, struct evbatch_stats *st)
{
	*st = eb->st;
}

void
evbatch_free(struct evbatch *eb)
{
	size_t i;

	if (eb == NULL)
		return;
	for (i = 0; i < eb->cap; i++)
		wire_buf_free(&eb->slots[i].body);
	free(eb->slots);
	free(eb->index);
	wire_buf_free(&eb->enc);
	free(eb->key);
	free(eb);
}
