/*
 * paddock-profiled: the profiler.  Reads the events stream in the consumer
 * group "profiled", folds each event into its workload's evidence in
 * memory (fold.c), flushes what changed to Redis once a tick (store.c's
 * apply script), and, for workloads whose evidence or active time moved,
 * derives the generalised view, its readiness and risk, stores it (commit
 * script) and publishes a profile revision to the profiles stream for
 * policyd.
 *
 * Flow per stream entry (one event, or a batch of one workload's events
 * from collectd): decode and check every record -> discover -> observe ->
 * fold into the workload's table; the entry is held, not acknowledged
 * (RS_DEFER).  Per tick, per workload: one apply (the chunk of deltas, the
 * held ids, the meta) -> on its reply, XACK of those ids; then, when dirty,
 * read -> gen_view -> ready_eval, risk_score -> commit -> XADD profiles
 * when rev moved.  A workload's chunks are read before its first flush
 * (novelty is relative to them) and again only when another instance
 * wrote.  Entries read back from the pending list are checked against
 * P prof:{W}:seen first.  Several instances share the group: their chunks
 * merge commutatively.  Counters go to the hash
 * <prefix>stats:profiled:<host>/<instance>.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "daemon.h"
#include "log.h"
#include "profiled.h"

#define SEEN_MAX	100000	/* stream ids remembered per workload */
#define ADDED_MAX	4096	/* entries listed in one profile record */
#define STATS_MS	5000
#define FLUSH_HELD	256	/* held with novelty: flush at once */
#define HELD_MAX	4096	/* held at all: flush at once */
#define QUIET_FLUSH_MS	2000	/* counts and times only: this often */
#define COMPACT_CHUNKS	64	/* chunks in P prof:{W}:raw that compact */
#define COMPACT_BYTES	65536	/* ... or this much beyond twice the snapshot */

/* Meta a flush carries besides its chunk. */
struct wmeta {
	struct obs	 o;		/* flags, times, active, losses */
	uint64_t	 frozen_n;	/* novelty frozen dimensions refused */
	int		 overflow;
};

struct wl {
	char		 name[WIRE_NAME_MAX];
	uint8_t		 wkind;
	struct profiler	*p;
	/* The evidence (fold.c): what Redis holds, as of rawver (0: not
	 * known; the next read loads it all), and the deltas since. */
	struct ftab	 tab;
	uint64_t	 rawver;
	int		 loaded;	/* tab was read from Redis once */
	size_t		 nchunks;	/* in P prof:{W}:raw, as far as known */
	size_t		 chunk_bytes;	/* their size, bar the snapshot's */
	size_t		 snap_bytes;	/* the snapshot this instance wrote */
	uint32_t	 frozen_dims;	/* 1 << dim: alert or enforce */
	/* Folded, not sent: meta, hosts and the entries' ids. */
	struct wmeta	 pm;
	struct store_host *pm_hosts;
	size_t		 npm_hosts;
	char		**held;
	size_t		 nheld, hcap;
	/* Sent, the reply due (or to send again). */
	struct wmeta	 fm;
	struct store_host *fm_hosts;
	size_t		 nfm_hosts;
	char		**fids;
	size_t		 nfids;
	int		 fchunk;	/* the flight has a chunk */
	size_t		 fchunk_len;
	int		 urgent;	/* held: novelty or a loss */
	int		 f_urgent;	/* the same, of the flight */
	uint32_t	 flags_sent;	/* OF_* bits flushed once */
	uint64_t	 last_flush;	/* uv_now() */
	int		 flushing, compacting;
	int		 dirty, busy;
	int		 listed, listing;	/* in P workloads */
	unsigned	 pending;	/* replies due that refer to w */
	char		**dets;		/* detections already stored */
	size_t		 ndets;
	/* Carried from read to commit. */
	struct wire_profile prof;
	struct pentry	**added;
	size_t		 nadded;
	struct pset	 view;
};

struct profiler {
	struct daemon	*d;
	struct rstream_reader *rd;
	struct catalog	 cat;
	struct store_conf sc;
	struct gen_conf	 gc;
	struct ready_conf rc;
	char		 events_key[160], profiles_key[160];
	char		 workloads_key[160], stats_key[256];
	struct wl	**wls;
	size_t		 nwl, cap;
	uint64_t	 last_stats;
	int		 stopping;
	uint64_t	 inflight;	/* commands whose replies are due */
	/* The idle-expiry sweep over P workloads (SSCAN, a batch a tick). */
	char		 cursor[32];
	int		 sweeping;
	uint64_t	 next_sweep;
	daemon_done_fn	*done;
	uint64_t	 quiet_flush_ms;	/* well below claim_idle */
	struct {
		uint64_t batches;
		uint64_t events, applied, duplicates, apply_errors, skipped;
		uint64_t commits, revisions, published, read_errors;
		uint64_t detections, expired;
	} st;
};

static void maybe_stopped(struct profiler *p);
static void refresh(struct profiler *p, struct wl *w);
static void hosts_free(struct store_host *h, size_t n);
static void ids_free(char **v, size_t n);
static void flush(struct profiler *p, struct wl *w);

static struct wl *
wl_get(struct profiler *p, const char *name, int create)
{
	struct wl *w, **nv;
	size_t i;

	for (i = 0; i < p->nwl; i++)
		if (strcmp(p->wls[i]->name, name) == 0)
			return p->wls[i];
	if (!create)
		return NULL;
	if (p->nwl == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;

		if ((nv = realloc(p->wls, cap * sizeof(*nv))) == NULL)
			return NULL;
		p->wls = nv;
		p->cap = cap;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->p = p;
	snprintf(w->name, sizeof(w->name), "%s", name);
	p->wls[p->nwl++] = w;
	return w;
}

static void
on_listed(void *arg, redisReply *r)
{
	struct wl *w = arg;

	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		w->listed = 1;
	w->listing = 0;
	w->p->inflight--;
	maybe_stopped(w->p);
}

/*
 * Add w to P workloads until Redis confirmed it once (SADD is idempotent
 * across instances).  Not part of the apply script: that key lives in
 * another Cluster slot.
 */
static void
wl_list(struct profiler *p, struct wl *w)
{
	const char *argv[3] = { "SADD", p->workloads_key, w->name };
	size_t lens[3] = { 4, strlen(p->workloads_key), strlen(w->name) };

	if (w->listed || w->listing)
		return;
	if (rstream_command(p->d->rs, on_listed, w, 3, argv, lens) == 0) {
		w->listing = 1;
		p->inflight++;
	}
}

static void
wl_clear_commit(struct wl *w)
{
	free(w->added);
	w->added = NULL;
	w->nadded = 0;
	pset_free(&w->view);
	wire_free(WK_PROFILE, &w->prof);
}

static void
wl_free(struct wl *w)
{
	size_t i;

	wl_clear_commit(w);
	ftab_free(&w->tab);
	ids_free(w->held, w->nheld);
	ids_free(w->fids, w->nfids);
	hosts_free(w->pm_hosts, w->npm_hosts);
	hosts_free(w->fm_hosts, w->nfm_hosts);
	for (i = 0; i < w->ndets; i++)
		free(w->dets[i]);
	free(w->dets);
	free(w);
}

/* Has this instance stored detection id for w?  Remember it if not. */
static int
det_seen(struct wl *w, const char *id)
{
	char **nv;
	size_t i;

	for (i = 0; i < w->ndets; i++)
		if (strcmp(w->dets[i], id) == 0)
			return 1;
	if ((nv = realloc(w->dets, (w->ndets + 1) * sizeof(*nv))) == NULL)
		return 1;	/* try again with the next event */
	w->dets = nv;
	if ((w->dets[w->ndets] = strdup(id)) == NULL)
		return 1;
	w->ndets++;
	return 0;
}

/*
 * AI discovery for one event: each new detection is confirmed from the
 * file system (once) and stored in P ai:{W}; an AI one marks the
 * workload's meta.  HSET is idempotent, so instances may race here.
 */
static void
discover(struct profiler *p, struct wl *w, const struct wire_event *ev)
{
	struct detection dv[8];
	char key[WIRE_NAME_MAX + 80], meta[WIRE_NAME_MAX + 80], id[700];
	size_t n, i, j;

	n = discover_event(&p->cat, ev, dv, sizeof(dv) / sizeof(dv[0]));
	for (i = 0; i < n; i++) {
		struct detection *d = &dv[i];
		const char *argv[4];
		size_t lens[4];
		char *js;

		/* An MCP server by what it loads: named by its process
		 * (alive on this host), once per name. */
		if (d->sig->kind == SK_MCP && d->sig->ecosystem[0] == '\0' &&
		    strcmp(d->behaviour, "open") == 0 &&
		    (strcmp(ev->host, p->d->host) != 0 ||
		    discover_name_process(d, "/proc") < 0))
			continue;
		snprintf(id, sizeof(id), "%s\t%s", d->sig->id, d->key);
		if (det_seen(w, id))
			continue;
		/* Files are read where this daemon runs: its own host. */
		if (strcmp(ev->host, p->d->host) == 0)
			discover_confirm(d, "");
		if (d->refuted) {	/* named like it, and not it */
			log_debug("%s: %s is no %s (by what is in it or next "
			    "to it)", w->name, d->detail, d->sig->name);
			continue;
		}
		if ((js = discover_json(d)) == NULL)
			continue;
		snprintf(key, sizeof(key), "%sai:{%s}", p->sc.prefix, w->name);
		argv[0] = "HSET";
		argv[1] = key;
		argv[2] = id;
		argv[3] = js;
		for (j = 0; j < 4; j++)
			lens[j] = strlen(argv[j]);
		rstream_command(p->d->rs, NULL, NULL, 4, argv, lens);
		free(js);
		p->st.detections++;
		log_info("%s: %s %s %s (%s)", w->name,
		    sig_kind_names[d->sig->kind], d->name, d->version,
		    d->confidence == DET_CONFIRMED ? "confirmed" : "inferred");
		if (discover_is_ai(d)) {
			store_key(p->sc.prefix, w->name, "meta", meta,
			    sizeof(meta));
			argv[0] = "HSET";
			argv[1] = meta;
			argv[2] = "ai";
			argv[3] = "1";
			for (j = 0; j < 4; j++)
				lens[j] = strlen(argv[j]);
			rstream_command(p->d->rs, NULL, NULL, 4, argv, lens);
			w->dirty = 1;	/* the profile now says ai */
		}
	}
}

/* ---------------------------------------------------------------- fold */

/* Remember host's latest time in w's pending meta. */
static int
host_seen(struct wl *w, const char *host, uint64_t ms)
{
	struct store_host *nv;
	size_t i;

	for (i = 0; i < w->npm_hosts; i++)
		if (strcmp(w->pm_hosts[i].name, host) == 0) {
			if (ms > w->pm_hosts[i].last_ms)
				w->pm_hosts[i].last_ms = ms;
			return 0;
		}
	if ((nv = realloc(w->pm_hosts, (w->npm_hosts + 1) *
	    sizeof(*nv))) == NULL)
		return -ENOMEM;
	w->pm_hosts = nv;
	if ((nv[w->npm_hosts].name = strdup(host)) == NULL)
		return -ENOMEM;
	nv[w->npm_hosts++].last_ms = ms;
	return 0;
}

static void
hosts_free(struct store_host *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free((char *)h[i].name);
	free(h);
}

static void
ids_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Is entry id folded here already, waiting for its flush? */
static int
held(const struct wl *w, const char *id)
{
	size_t i;

	for (i = 0; i < w->nheld; i++)
		if (strcmp(w->held[i], id) == 0)
			return 1;
	for (i = 0; i < w->nfids; i++)
		if (strcmp(w->fids[i], id) == 0)
			return 1;
	return 0;
}

static int
hold(struct wl *w, const char *id)
{
	char **nv;

	if (w->nheld == w->hcap) {
		size_t cap = w->hcap ? w->hcap * 2 : 64;

		if ((nv = realloc(w->held, cap * sizeof(*nv))) == NULL)
			return -ENOMEM;
		w->held = nv;
		w->hcap = cap;
	}
	if ((w->held[w->nheld] = strdup(id)) == NULL)
		return -ENOMEM;
	w->nheld++;
	return 0;
}

/* One observed entry into w's table (observe_to's sink). */
static int
fold_sink(void *arg, const struct pentry *e)
{
	struct wl *w = arg;
	int rc;

	rc = ftab_observe(&w->tab, e, w->frozen_dims, w->p->sc.max_entries,
	    &w->pm.frozen_n, &w->pm.overflow);
	if (rc == 2)
		w->urgent = 1;
	return rc < 0 ? rc : 0;
}

/* One decoded record: discovered, observed, and folded into w. */
static int
fold_event(struct profiler *p, struct wl *w, const struct wire_event *ev)
{
	struct obs o;
	int rc;

	w->wkind = ev->wkind;
	p->st.events++;
	discover(p, w, ev);
	rc = observe_to(ev, &o, fold_sink, w);
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		p->st.skipped++;	/* e.g. a relative path: no entry */
		return 0;
	}
	rc = host_seen(w, ev->host, o.last_ms > o.ts_ms ? o.last_ms : o.ts_ms);
	if (rc < 0) {
		obs_free(&o);
		return rc;
	}
	if (o.lost || o.gaps || o.loss_from_ms || o.active_ms ||
	    (o.flags & ~w->flags_sent))
		w->urgent = 1;		/* the profile's status may change */
	return obs_merge(&w->pm.o, &o);
}

static void
events_free(struct wire_event *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		wire_free(WK_EVENT, &v[i]);
	free(v);
}

/*
 * The records of one entry, folded into w; the entry is held for w's next
 * flush, which acknowledges it.  Every record is decoded and checked
 * before any is folded: one bad record dead-letters the entry, nothing of
 * it learnt.
 */
static int
fold_entry(struct profiler *p, struct wl *w, const char *id,
    const void *body, size_t len, int check_only, char *err, size_t errlen)
{
	struct wire_batch_it it;
	struct wire_event *evs = NULL, *nv;
	const void *rec;
	size_t rlen, n = 0, cap = 0, i;
	int rc = 0, batch = wire_is_batch(body, len);

	if (batch && (rc = wire_batch_begin(&it, body, len, err, errlen)) < 0)
		return rc;
	for (;;) {
		if (batch) {
			if ((rc = wire_batch_next(&it, &rec, &rlen, err,
			    errlen)) <= 0)
				break;
		} else if (n == 1)
			break;
		else {
			rec = body;
			rlen = len;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(evs, cap * sizeof(*nv))) == NULL) {
				events_free(evs, n);
				return -EAGAIN;
			}
			evs = nv;
		}
		if ((rc = wire_decode(WK_EVENT, rec, rlen, &evs[n], err,
		    errlen)) < 0)
			break;
		n++;
		if (strcmp(evs[n - 1].workload, w->name) != 0) {
			snprintf(err, errlen, "an entry of %s holds an event "
			    "of %s", w->name, evs[n - 1].workload);
			rc = -EPROTO;
			break;
		}
	}
	/* Held before folded: an entry folded is always acknowledged by
	 * the flush that carries its id. */
	if (rc >= 0 && !check_only && hold(w, id) < 0)
		rc = -ENOMEM;
	if (rc < 0 || check_only) {
		events_free(evs, n);
		return rc == -ENOMEM ? -EAGAIN : rc;
	}
	if (batch)
		p->st.batches++;
	for (i = 0; i < n && rc >= 0; i++)
		rc = fold_event(p, w, &evs[i]);
	events_free(evs, n);
	if (rc < 0)
		log_warnx("%s: out of memory folding %s: part of it is lost",
		    w->name, id);
	wl_list(p, w);
	if (!w->loaded && !w->busy && rstream_is_up(p->d->rs))
		refresh(p, w);		/* load what Redis holds first */
	else if ((w->urgent && w->nheld >= FLUSH_HELD) || w->nheld >= HELD_MAX)
		flush(p, w);
	return 0;
}

/* A redelivered entry: folded unless its flush reached Redis before. */
struct recheck {
	struct wl	*w;
	char		*id;
	void		*body;
	size_t		 len;
};

static void
on_rechecked(void *arg, redisReply *r)
{
	struct recheck *c = arg;
	struct wl *w = c->w;
	struct profiler *p = w->p;
	char err[256] = "";
	const char *ids[1] = { c->id };

	p->inflight--;
	w->pending--;
	if (r == NULL || r->type == REDIS_REPLY_ERROR || p->stopping) {
		/* Left pending: it comes back with the next claim. */
	} else if (r->type != REDIS_REPLY_NIL) {
		p->st.duplicates++;
		rstream_ack(p->rd, ids, 1);
	} else if (!held(w, c->id) && fold_entry(p, w, c->id, c->body,
	    c->len, 0, err, sizeof(err)) < 0)
		log_warnx("%s: redelivered %s: %s (pending: it comes back)",
		    w->name, c->id, err);
	free(c->id);
	free(c->body);
	free(c);
	maybe_stopped(p);
}

/*
 * One stream entry: an "event" (one record) or an "events" batch (one
 * workload's records, docs/wire-format.md), folded in memory and held
 * until its workload's next flush (RS_DEFER).  An entry read back from
 * the pending list may have been flushed before this instance (or another)
 * died: its id in P prof:{W}:seen says so, and it is acknowledged unread.
 */
static int
on_event(void *arg, const struct rs_msg *m, char *err, size_t errlen)
{
	struct profiler *p = arg;
	struct recheck *c;
	struct sargv av = { 0 };
	const char *wname;
	char name[WIRE_NAME_MAX], key[WIRE_NAME_MAX + 80];
	size_t wl_len;
	struct wl *w;
	int rc;

	if (p->stopping)
		return -EAGAIN;	/* left pending for whoever runs next */
	if ((wname = rs_msg_field(m, "workload", &wl_len)) == NULL ||
	    wl_len == 0 || wl_len >= WIRE_NAME_MAX ||
	    memchr(wname, '\0', wl_len) != NULL) {
		snprintf(err, errlen, "an entry without its workload");
		return -EPROTO;
	}
	snprintf(name, sizeof(name), "%.*s", (int)wl_len, wname);
	if ((w = wl_get(p, name, 1)) == NULL)
		return -EAGAIN;
	if (!m->redelivered) {
		rc = fold_entry(p, w, m->id, m->body, m->len, 0, err, errlen);
		return rc < 0 ? rc : RS_DEFER;
	}
	if (held(w, m->id))
		return RS_DEFER;	/* folded here; its flush acks it */
	/* Poison is dead-lettered now, not after the seen check: an entry
	 * left pending would hold the stream's trimming back for good. */
	if ((rc = fold_entry(p, w, m->id, m->body, m->len, 1, err,
	    errlen)) < 0)
		return rc;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->id = strdup(m->id)) == NULL ||
	    (c->body = malloc(m->len ? m->len : 1)) == NULL ||
	    store_key(p->sc.prefix, name, "seen", key, sizeof(key)) < 0 ||
	    sargv_add(&av, "ZSCORE", 6) < 0 || sargv_add(&av, key,
	    strlen(key)) < 0 || sargv_add(&av, m->id, strlen(m->id)) < 0) {
		if (c != NULL) {
			free(c->id);
			free(c->body);
		}
		free(c);
		sargv_free(&av);
		return -EAGAIN;
	}
	memcpy(c->body, m->body, m->len);
	c->len = m->len;
	c->w = w;
	rc = rstream_command(p->d->rs, on_rechecked, c, av.n,
	    (const char **)av.v, av.len);
	sargv_free(&av);
	if (rc < 0) {
		free(c->id);
		free(c->body);
		free(c);
		return -EAGAIN;
	}
	p->inflight++;
	w->pending++;
	return RS_DEFER;
}

/* ---------------------------------------------------------------- flush */

static void
flight_clear(struct wl *w)
{
	ids_free(w->fids, w->nfids);
	w->fids = NULL;
	w->nfids = 0;
	hosts_free(w->fm_hosts, w->nfm_hosts);
	w->fm_hosts = NULL;
	w->nfm_hosts = 0;
	memset(&w->fm, 0, sizeof(w->fm));
}

/*
 * Forget what w holds that Redis may or may not have: the pending and
 * in-flight deltas, their meta and entry ids.  The entries stay pending
 * in the group; they come back (the reader's reconnect, or the claim of
 * idle entries) and are checked against seen.  What Redis holds is read
 * again before the next flush.
 */
static void
wl_discard(struct wl *w)
{
	ftab_discard(&w->tab);
	flight_clear(w);
	ids_free(w->held, w->nheld);
	w->held = NULL;
	w->nheld = w->hcap = 0;
	hosts_free(w->pm_hosts, w->npm_hosts);
	w->pm_hosts = NULL;
	w->npm_hosts = 0;
	memset(&w->pm, 0, sizeof(w->pm));
	w->urgent = 0;
	w->loaded = 0;
	w->rawver = 0;
}

static void
on_flushed(void *arg, redisReply *r)
{
	struct wl *w = arg;
	struct profiler *p = w->p;
	int64_t code, rawver;

	p->inflight--;
	w->pending--;
	w->flushing = 0;
	if (r == NULL) {
		/* Connection gone: unknown whether it applied.  Its entries
		 * are still pending: redelivered, checked against seen. */
		wl_discard(w);
		maybe_stopped(p);
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[1]->type != REDIS_REPLY_INTEGER ||
	    r->element[2]->type != REDIS_REPLY_INTEGER) {
		p->st.apply_errors++;
		log_warnx("%s: flush failed, kept to send again: %s", w->name,
		    r->type == REDIS_REPLY_ERROR ? r->str : "reply");
		maybe_stopped(p);
		return;
	}
	code = r->element[0]->integer;
	rawver = r->element[1]->integer;
	w->frozen_dims = (uint32_t)r->element[2]->integer;
	if (code == -2) {
		/* Some of it was applied before (a reply lost, or another
		 * instance claimed entries this one held): what is held here
		 * cannot be told apart; redelivery rebuilds it. */
		p->st.duplicates++;
		log_info("%s: entries held here were applied elsewhere; "
		    "rebuilt from redelivery", w->name);
		wl_discard(w);
		maybe_stopped(p);
		return;
	}
	if (code < 0) {
		/* A dimension froze since: what is new there is not learnt. */
		w->fm.frozen_n += ftab_drop_novelty(&w->tab, w->frozen_dims);
		flush(p, w);
		maybe_stopped(p);
		return;
	}
	p->st.applied += w->nfids;
	if (w->fchunk) {
		w->rawver = w->rawver != 0 &&
		    (uint64_t)rawver == w->rawver + 1 ? (uint64_t)rawver : 0;
		w->nchunks++;
		w->chunk_bytes += w->fchunk_len;
	}
	if (ftab_commit(&w->tab) < 0)
		w->rawver = 0;
	rstream_ack(p->rd, (const char *const *)w->fids, w->nfids);
	w->flags_sent |= w->fm.o.flags;
	flight_clear(w);
	/* Counts and times alone change neither the view's digest nor the
	 * readiness: the view is derived again for novelty, active time or
	 * a loss (its counts catch up then), or to learn rawver again. */
	if (w->f_urgent || w->rawver == 0)
		w->dirty = 1;
	if (((w->urgent && w->nheld >= FLUSH_HELD) || w->nheld >= HELD_MAX) &&
	    !p->stopping)
		flush(p, w);
	maybe_stopped(p);
}

/*
 * Send w's changes: the pending deltas as one chunk with the ids of the
 * entries they came from and the meta they add, or the flight again when
 * its last attempt got no answer.  One flush per workload at a time, and
 * only once what Redis holds was loaded (novelty is relative to it).
 */
static void
flush(struct profiler *p, struct wl *w)
{
	struct store_flush f;
	struct sargv av;
	char *chunk = NULL;
	size_t chunk_len = 0, n;
	uint32_t newdims;
	int rc;

	if (!w->loaded || w->flushing || !rstream_is_up(p->d->rs))
		return;
	if (w->nfids == 0) {
		if (w->nheld == 0)
			return;
		w->fids = w->held;
		w->nfids = w->nheld;
		w->held = NULL;
		w->nheld = w->hcap = 0;
		w->fm = w->pm;
		memset(&w->pm, 0, sizeof(w->pm));
		w->fm_hosts = w->pm_hosts;
		w->nfm_hosts = w->npm_hosts;
		w->pm_hosts = NULL;
		w->npm_hosts = 0;
		w->f_urgent = w->urgent;
		w->urgent = 0;
		w->last_flush = uv_now(p->d->loop);
		n = ftab_take(&w->tab, SIZE_MAX, &newdims);
	} else
		n = ftab_inflight(&w->tab, &newdims);
	w->fchunk = n > 0;
	if (n > 0 && ftab_chunk(&w->tab, &chunk, &chunk_len) < 0)
		return;
	w->fchunk_len = chunk_len;
	memset(&f, 0, sizeof(f));
	f.cid = w->fids[0];
	f.ids = (const char *const *)w->fids;
	f.nids = w->nfids;
	f.chunk = chunk;
	f.chunk_len = chunk_len;
	f.newdims = newdims;
	f.wkind = w->wkind;
	f.flags = w->fm.o.flags;
	f.first_ms = w->fm.o.ts_ms;
	f.last_ms = w->fm.o.last_ms > w->fm.o.ts_ms ? w->fm.o.last_ms :
	    w->fm.o.ts_ms;
	f.active_ms = w->fm.o.active_ms;
	f.lost = w->fm.o.lost;
	f.gaps = w->fm.o.gaps;
	f.loss_from_ms = w->fm.o.loss_from_ms;
	f.frozen = w->fm.frozen_n;
	f.overflow = w->fm.overflow;
	f.hosts = w->fm_hosts;
	f.nhosts = w->nfm_hosts;
	rc = store_apply_argv(&p->sc, w->name, &f, &av);
	free(chunk);
	if (rc < 0)
		return;		/* tried again next tick */
	if (rstream_command(p->d->rs, on_flushed, w, av.n,
	    (const char **)av.v, av.len) == 0) {
		p->inflight++;
		w->pending++;
		w->flushing = 1;
	}
	sargv_free(&av);
}

static void
on_compacted(void *arg, redisReply *r)
{
	struct wl *w = arg;
	struct profiler *p = w->p;

	p->inflight--;
	w->pending--;
	w->compacting = 0;
	if (r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == 1) {
		w->nchunks = 1;
		w->chunk_bytes = 0;
	}
	else if (r != NULL && r->type == REDIS_REPLY_ERROR)
		log_warnx("%s: compaction failed: %s", w->name, r->str);
	maybe_stopped(p);
}

/* Many chunks: write what they hold as one (unless another came in). */
static void
compact(struct profiler *p, struct wl *w)
{
	struct sargv av;
	char *snap;
	size_t len;
	int rc;

	/* Redis holds at most about twice the evidence, and few chunks. */
	if ((w->nchunks <= COMPACT_CHUNKS &&
	    w->chunk_bytes <= 2 * w->snap_bytes + COMPACT_BYTES) ||
	    w->nchunks < 2 || w->compacting || w->flushing || !w->loaded ||
	    w->rawver == 0 || w->busy ||
	    ftab_snapshot(&w->tab, &snap, &len) < 0)
		return;
	w->snap_bytes = len;
	rc = store_compact_argv(&p->sc, w->name, w->rawver, snap, len, &av);
	free(snap);
	if (rc < 0)
		return;
	if (rstream_command(p->d->rs, on_compacted, w, av.n,
	    (const char **)av.v, av.len) == 0) {
		p->inflight++;
		w->pending++;
		w->compacting = 1;
	}
	sargv_free(&av);
}

/*
 * A new revision for policyd.  The name is listed in P workloads again
 * with it (SADD is idempotent): another instance may have forgotten the
 * workload (idle expiry) while this one still had it listed.
 */
static void
publish(struct profiler *p, struct wl *w)
{
	const char *argv[3] = { "SADD", p->workloads_key, w->name };
	size_t lens[3] = { 4, strlen(p->workloads_key), strlen(w->name) };

	if (stream_publish(p->d->rs, p->profiles_key, p->d->conf.redis.maxlen,
	    WK_PROFILE, &w->prof, w->name, p->d->host, w->prof.ts, 0) == 0)
		p->st.published++;
	rstream_command(p->d->rs, NULL, NULL, 3, argv, lens);
}

static int
build_profile(struct profiler *p, struct wl *w, const struct store_meta *m,
    const struct ready *rd, const struct risk *rk, size_t counts[WD__MAX])
{
	struct wire_profile *pr = &w->prof;
	uint32_t i;

	memset(pr, 0, sizeof(*pr));
	snprintf(pr->workload, sizeof(pr->workload), "%s", w->name);
	pr->wkind = m->wkind;
	pr->ai = (uint8_t)m->ai;
	pr->ts = daemon_now_ns();
	pr->status = rd->status;
	pr->complete = rd->complete;
	pr->novelty = rd->novelty;
	pr->trend = rd->trend;
	pr->risk = rk->score;
	for (i = 0; i < WD__MAX; i++)
		pr->counts[i] = (uint32_t)counts[i];
	if (rk->n > 0) {
		if ((pr->reasons.v = calloc(rk->n, sizeof(char *))) == NULL)
			return -ENOMEM;
		for (i = 0; i < rk->n; i++) {
			if ((pr->reasons.v[i] = strdup(rk->reasons[i])) == NULL)
				return -ENOMEM;
			pr->reasons.n++;
		}
	}
	if (w->nadded > 0) {
		size_t n = w->nadded < ADDED_MAX ? w->nadded : ADDED_MAX;

		if ((pr->added.v = calloc(n, sizeof(*pr->added.v))) == NULL)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			const struct pentry *e = w->added[i];
			struct wire_entry *we = &pr->added.v[i];

			we->dim = e->dim;
			we->mode = e->mode;
			we->port = e->port;
			we->proto = e->proto;
			we->first = e->first * 1000000ull;
			we->last = e->last * 1000000ull;
			we->count = e->count;
			if ((we->key = strdup(e->key)) == NULL ||
			    (e->parent != NULL &&
			    (we->parent = strdup(e->parent)) == NULL))
				return -ENOMEM;
			pr->added.n++;
		}
	}
	return 0;
}

static void
on_commit(void *arg, redisReply *r)
{
	struct wl *w = arg;
	struct profiler *p = w->p;

	p->inflight--;
	w->busy = 0;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[1]->type != REDIS_REPLY_INTEGER) {
		if (r != NULL)
			log_warnx("%s: commit failed: %s", w->name,
			    r->type == REDIS_REPLY_ERROR ? r->str : "reply");
		w->dirty = 1;	/* again next tick */
	} else if (r->element[1]->integer == 1) {
		w->prof.rev = (uint64_t)r->element[0]->integer;
		p->st.revisions++;
		if (!p->stopping)
			publish(p, w);
	}
	wl_clear_commit(w);
	maybe_stopped(p);
}

static void
refresh_done(struct store_meta *m, struct pset *acc, struct pset *prev,
    char *chg, char *vj, struct sargv *av)
{
	store_meta_free(m);
	pset_free(acc);
	pset_free(prev);
	free(chg);
	free(vj);
	sargv_free(av);
}

static void
on_read(void *arg, redisReply *r)
{
	struct wl *w = arg;
	struct profiler *p = w->p;
	struct store_meta m;
	struct pset acc = { 0 }, prev = { 0 };
	struct ready rd;
	struct risk rk;
	struct sargv av = { 0 };
	char err[256] = "", digest[WIRE_HASH_MAX];
	char *chg = NULL, *vj = NULL;
	size_t counts[WD__MAX] = { 0 }, i, nchunks, nbytes;
	int fresh, rc;

	p->inflight--;
	w->pending--;
	memset(&m, 0, sizeof(m));
	if (r == NULL || p->stopping ||
	    (rc = store_read_parse(r, &m, &w->tab, &nchunks, &nbytes, &acc,
	    &fresh, err, sizeof(err))) < 0) {
		if (r != NULL && !p->stopping) {
			p->st.read_errors++;
			log_warnx("%s: %s", w->name, err);
		}
		/* The table may be half loaded: load it whole first. */
		w->rawver = 0;
		w->loaded = 0;
		w->busy = 0;
		w->dirty = 1;
		refresh_done(&m, &acc, &prev, chg, vj, &av);
		maybe_stopped(p);
		return;
	}
	if (err[0])
		log_warnx("%s: %s", w->name, err);
	if (fresh) {
		w->rawver = m.rawver;
		w->nchunks = nchunks;
		w->chunk_bytes = nbytes;
		w->snap_bytes = 0;
		w->loaded = 1;
		if (w->urgent)
			flush(p, w);	/* what was held while loading */
	} else if (m.rawver != w->rawver) {
		/* Another instance wrote since: load it all next tick. */
		w->rawver = 0;
		w->busy = 0;
		w->dirty = 1;
		refresh_done(&m, &acc, &prev, chg, vj, &av);
		maybe_stopped(p);
		return;
	}
	wl_clear_commit(w);
	/* The evidence plus what operators accepted, generalised alike. */
	rc = ftab_pset(&w->tab, &acc);
	if (rc < 0 || (rc = gen_view(&acc, &p->gc, &w->view)) < 0 ||
	    (rc = pset_digest(&w->view, digest)) < 0)
		goto fail;
	if (m.view != NULL && store_view_parse(m.view, &prev) < 0)
		memset(&prev, 0, sizeof(prev));
	w->nadded = pset_added(&prev, &w->view, NULL, 0);
	if (w->nadded > 0) {
		if ((w->added = calloc(w->nadded, sizeof(*w->added))) == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		pset_added(&prev, &w->view, w->added, w->nadded);
	}
	if (strcmp(digest, m.digest) != 0) {
		/* The baseline changed now: the quiet period restarts. */
		if ((chg = ready_chg_append(m.chg, m.active_ms,
		    w->nadded)) == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		m.changed_active_ms = m.active_ms;
	} else if ((chg = strdup(m.chg ? m.chg : "[]")) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = ready_eval(&p->rc, &m, chg, &rd)) < 0)
		goto fail;
	if (w->view.n > p->rc.max_entries)
		rd.status = WS_TOO_LARGE;
	risk_score(&w->view, m.flags, &rk);
	for (i = 0; i < w->view.n; i++)
		if (w->view.v[i].dim < WD__MAX)
			counts[w->view.v[i].dim]++;
	if ((vj = store_view_json(&w->view, &rd, &rk, &m)) == NULL ||
	    (rc = build_profile(p, w, &m, &rd, &rk, counts)) < 0 ||
	    (rc = store_commit_argv(&p->sc, w->name, m.rawver, digest, &rd,
	    &rk, chg, vj, counts, &av)) < 0) {
		rc = rc < 0 ? rc : -ENOMEM;
		goto fail;
	}
	if ((rc = rstream_command(p->d->rs, on_commit, w, av.n,
	    (const char **)av.v, av.len)) < 0)
		goto fail;
	p->inflight++;
	p->st.commits++;
	refresh_done(&m, &acc, &prev, chg, vj, &av);
	return;
fail:
	log_warnx("%s: cannot derive the profile: %s", w->name, strerror(-rc));
	wl_clear_commit(w);
	w->busy = 0;
	w->dirty = 1;
	refresh_done(&m, &acc, &prev, chg, vj, &av);
	maybe_stopped(p);
}

/*
 * Read w's meta, view and accepted entries, and its chunks unless what
 * this instance holds is current: rawver as it will be once the flush in
 * flight (sent before this read) is applied.
 */
static void
refresh(struct profiler *p, struct wl *w)
{
	struct sargv av;
	uint64_t expect = w->rawver;

	if (!w->loaded || expect == 0)
		expect = UINT64_MAX;	/* never current: send them all */
	else if (w->flushing && w->fchunk)
		expect++;
	if (store_read_argv(&p->sc, w->name, expect, &av) < 0)
		return;
	if (rstream_command(p->d->rs, on_read, w, av.n,
	    (const char **)av.v, av.len) == 0) {
		p->inflight++;
		w->pending++;
		w->dirty = 0;
		w->busy = 1;
	}
	sargv_free(&av);
}

static void
stats_publish(struct profiler *p)
{
	char vals[16][24];
	const char *argv[2 + 2 * 16];
	size_t lens[2 + 2 * 16];
	int a = 0, nv = 0, i;

	argv[a++] = "HSET";
	argv[a++] = p->stats_key;
#define PUT(name, v) do { snprintf(vals[nv], sizeof(vals[nv]), "%llu", \
	(unsigned long long)(v)); argv[a++] = (name); argv[a++] = vals[nv++]; \
	} while (0)
	PUT("events", p->st.events);
	PUT("batches", p->st.batches);
	PUT("applied", p->st.applied);
	PUT("duplicates", p->st.duplicates);
	PUT("skipped", p->st.skipped);
	PUT("apply_errors", p->st.apply_errors);
	PUT("read_errors", p->st.read_errors);
	PUT("commits", p->st.commits);
	PUT("revisions", p->st.revisions);
	PUT("published", p->st.published);
	PUT("workloads", p->nwl);
	PUT("detections", p->st.detections);
	PUT("expired", p->st.expired);
	PUT("updated", (uint64_t)time(NULL));
#undef PUT
	for (i = 0; i < a; i++)
		lens[i] = strlen(argv[i]);
	rstream_command(p->d->rs, NULL, NULL, a, argv, lens);
}

/* ---------------------------------------------------------------- expiry */

/*
 * Idle expiry (profiled.idle_expiry): a sweep walks P workloads with SSCAN,
 * one batch per tick, and runs the expire script (store.c) for each name
 * this instance is not busy with.  A forgotten workload leaves P
 * workloads, is dropped from memory and is announced on the profiles
 * stream as status "expired", so that policyd deletes its stages and
 * audits it.  A full pass starts every tenth of idle_expiry (at least a
 * second apart, at most an hour: one EVAL per workload per pass).
 */
#define SWEEP_BATCH	200

struct gone {
	struct profiler	*p;
	char		 name[WIRE_NAME_MAX];
};

/* Forget w here (no reply in flight may refer to it: the caller checks). */
static void
wl_drop(struct profiler *p, struct wl *w)
{
	size_t i;

	for (i = 0; i < p->nwl; i++)
		if (p->wls[i] == w) {
			p->wls[i] = p->wls[--p->nwl];
			wl_free(w);
			return;
		}
}

/*
 * The expire script's answer for one name: 1, it was forgotten in Redis.
 * Then: the "expired" record for policyd first, and the name out of P
 * workloads only once that record is queued (else the next sweep finds
 * the keys gone and tries again); here, the cached state goes, or, if the
 * workload ran again meanwhile, is reset and listed again (SADD after the
 * SREM, in order on the one connection).
 */
static void
on_expired(void *arg, redisReply *r)
{
	struct gone *g = arg;
	struct profiler *p = g->p;
	struct wire_profile pr;
	struct wl *w;
	const char *argv[3] = { "SREM", p->workloads_key, g->name };
	size_t lens[3] = { 4, strlen(p->workloads_key), strlen(g->name) };
	size_t i;

	p->inflight--;
	if (r != NULL && r->type == REDIS_REPLY_ERROR)
		log_warnx("%s: idle expiry failed: %s", g->name, r->str);
	if (r == NULL || r->type != REDIS_REPLY_INTEGER || r->integer != 1 ||
	    p->stopping) {
		free(g);
		maybe_stopped(p);
		return;
	}
	memset(&pr, 0, sizeof(pr));
	snprintf(pr.workload, sizeof(pr.workload), "%s", g->name);
	pr.status = WS_EXPIRED;
	pr.ts = daemon_now_ns();
	if (stream_publish(p->d->rs, p->profiles_key, p->d->conf.redis.maxlen,
	    WK_PROFILE, &pr, g->name, p->d->host, pr.ts, 0) < 0) {
		log_warnx("%s: forgotten, but policyd could not be told yet; "
		    "the next sweep tries again", g->name);
		free(g);
		maybe_stopped(p);
		return;
	}
	p->st.published++;
	rstream_command(p->d->rs, NULL, NULL, 3, argv, lens);
	p->st.expired++;
	log_info("%s: idle for %llu s and never promoted: forgotten",
	    g->name, (unsigned long long)
	    (p->d->conf.profiled.idle_expiry_ms / 1000));
	if ((w = wl_get(p, g->name, 0)) != NULL) {
		if (w->busy || w->pending || w->listing || w->nheld ||
		    w->nfids) {
			/* It ran again meanwhile: a new profile, listed
			 * again after the SREM above. */
			ftab_reset(&w->tab);
			w->rawver = 0;
			w->nchunks = 0;
			for (i = 0; i < w->ndets; i++)
				free(w->dets[i]);
			w->ndets = 0;
			argv[0] = "SADD";
			if (rstream_command(p->d->rs, NULL, NULL, 3, argv,
			    lens) < 0)
				w->listed = 0;
		} else
			wl_drop(p, w);
	}
	free(g);
	maybe_stopped(p);
}

/* One SSCAN batch of P workloads: the expire script for each name. */
static void
on_swept(void *arg, redisReply *r)
{
	struct profiler *p = arg;
	uint64_t idle = p->d->conf.profiled.idle_expiry_ms, every;
	uint64_t now_ms = daemon_now_ns() / 1000000ull;
	struct sargv av;
	struct gone *g;
	struct wl *w;
	size_t i;

	p->inflight--;
	p->sweeping = 0;
	every = idle / 10 < 1000 ? 1000 : idle / 10 > 3600000 ? 3600000 :
	    idle / 10;
	if (r != NULL && r->type == REDIS_REPLY_ERROR)
		log_warnx("idle expiry: SSCAN %s failed: %s", p->workloads_key,
		    r->str);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_ARRAY) {
		p->next_sweep = uv_now(p->d->loop) + every;
		maybe_stopped(p);
		return;
	}
	snprintf(p->cursor, sizeof(p->cursor), "%s", r->element[0]->str);
	p->next_sweep = strcmp(p->cursor, "0") == 0 ?
	    uv_now(p->d->loop) + every : 0;
	for (i = 0; i < r->element[1]->elements && !p->stopping; i++) {
		const redisReply *n = r->element[1]->element[i];

		if (n->type != REDIS_REPLY_STRING || n->len >= WIRE_NAME_MAX)
			continue;
		if ((w = wl_get(p, n->str, 0)) != NULL &&
		    (w->busy || w->dirty || w->pending || w->nheld ||
		    w->nfids))
			continue;	/* active here: not idle */
		if ((g = calloc(1, sizeof(*g))) == NULL)
			break;
		g->p = p;
		snprintf(g->name, sizeof(g->name), "%s", n->str);
		if (store_expire_argv(&p->sc, g->name, now_ms, idle, &av) < 0) {
			free(g);
			break;
		}
		if (rstream_command(p->d->rs, on_expired, g, av.n,
		    (const char **)av.v, av.len) == 0)
			p->inflight++;
		else
			free(g);
		sargv_free(&av);
	}
	maybe_stopped(p);
}

/* The next SSCAN batch of the sweep, from where the last one stopped. */
static void
sweep(struct profiler *p)
{
	char batch[16];
	const char *argv[5] = { "SSCAN", p->workloads_key, p->cursor, "COUNT",
	    batch };
	size_t lens[5], i;

	snprintf(batch, sizeof(batch), "%d", SWEEP_BATCH);

	if (p->cursor[0] == '\0')
		snprintf(p->cursor, sizeof(p->cursor), "0");
	for (i = 0; i < 5; i++)
		lens[i] = strlen(argv[i]);
	if (rstream_command(p->d->rs, on_swept, p, 5, argv, lens) == 0) {
		p->sweeping = 1;
		p->inflight++;
	}
}

/*
 * After each read: novelty, a loss or active time goes out at once, so
 * that a profile never says stable while what would change that waits
 * here; counts and times wait for the tick.
 */
static void
on_read_done(void *arg)
{
	struct profiler *p = arg;
	size_t i;

	for (i = 0; i < p->nwl && !p->stopping; i++)
		if (p->wls[i]->urgent)
			flush(p, p->wls[i]);
}

static void
profiled_tick(struct daemon *d)
{
	struct profiler *p = d->priv;
	uint64_t now = uv_now(d->loop);
	size_t i;

	for (i = 0; i < p->nwl && !p->stopping && rstream_is_up(d->rs); i++) {
		struct wl *w = p->wls[i];

		/* Novelty once a tick, counts and times every few; a read
		 * after them sees them. */
		if (w->urgent || w->nfids > 0 ||
		    now - w->last_flush >= p->quiet_flush_ms)
			flush(p, w);
		compact(p, w);
		if ((w->dirty || !w->loaded) && w->busy == 0)
			refresh(p, w);
	}
	if (now - p->last_stats >= STATS_MS) {
		p->last_stats = now;
		stats_publish(p);
	}
	if (d->conf.profiled.idle_expiry_ms > 0 && !p->sweeping &&
	    !p->stopping && now >= p->next_sweep && rstream_is_up(d->rs))
		sweep(p);
}

static void
report(void *arg, const char *msg)
{
	log_warnx("signatures: %s", msg);
}

/*
 * The catalog: profiled.signatures (falling back, when that file does not
 * exist, to profiled/signatures.yaml next to a binary run from the source
 * tree), then profiled.signatures_dir.  Bad entries are logged and
 * skipped.
 */
static void
catalog_load(struct profiler *p)
{
	const struct conf_profiled *c = &p->d->conf.profiled;
	char self[512], alt[600];
	const char *path = c->signatures;
	ssize_t n;
	int bad;

	catalog_free(&p->cat);
	if (access(path, R_OK) != 0 &&
	    (n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		*strrchr(self, '/') = '\0';
		snprintf(alt, sizeof(alt), "%s/../profiled/signatures.yaml", self);
		if (access(alt, R_OK) == 0)
			path = alt;
	}
	bad = catalog_load_file(&p->cat, path, report, p);
	bad += catalog_load_dir(&p->cat, c->signatures_dir, report, p);
	if (catalog_index(&p->cat) < 0)
		log_warnx("signatures: no memory for the index; matching "
		    "every signature against every open");
	log_info("%zu AI signatures from %s and %s%s", p->cat.n, path,
	    c->signatures_dir, bad ? " (some skipped, see above)" : "");
}

static void
profiled_reload(struct daemon *d)
{
	catalog_load(d->priv);
}

static int
profiled_start(struct daemon *d)
{
	struct profiler *p = d->priv;
	const struct conf_profiled *c = &d->conf.profiled;

	p->d = d;
	daemon_key(d, "events", p->events_key, sizeof(p->events_key));
	daemon_key(d, "profiles", p->profiles_key, sizeof(p->profiles_key));
	daemon_key(d, "workloads", p->workloads_key, sizeof(p->workloads_key));
	snprintf(p->stats_key, sizeof(p->stats_key), "%sstats:profiled:%s",
	    d->conf.redis.prefix, d->consumer);
	/* Entries are held at most this long without novelty: a third of
	 * the claim time, so that no other instance claims them first. */
	p->quiet_flush_ms = d->conf.redis.claim_idle_ms / 3 < QUIET_FLUSH_MS ?
	    d->conf.redis.claim_idle_ms / 3 : QUIET_FLUSH_MS;
	p->sc.prefix = d->conf.redis.prefix;
	p->sc.max_entries = c->max_entries;
	p->sc.seen_max = SEEN_MAX;
	p->gc.fanout = (uint32_t)c->fanout;
	p->gc.shape_min = 3;
	p->gc.cidr_siblings = (uint32_t)c->cidr_siblings;
	p->rc.quiet_ms = c->quiet_ms;
	p->rc.max_entries = c->max_entries;
	p->rc.clean_ms = c->clean_ms ? c->clean_ms : c->quiet_ms;
	catalog_load(p);
	p->rd = rstream_reader_new(d->rs, p->events_key, "profiled",
	    d->consumer, "0", on_event, p);
	if (p->rd == NULL)
		return -ENOMEM;
	rstream_reader_on_batch(p->rd, on_read_done, p);
	log_info("profiling %s as %s (quiet period %llu ms, fan-out %llu)",
	    p->events_key, d->consumer, (unsigned long long)c->quiet_ms,
	    (unsigned long long)c->fanout);
	return 0;
}

/* Free the caches once no reply can refer to them any more. */
static void
maybe_stopped(struct profiler *p)
{
	size_t i;

	if (!p->stopping || p->inflight > 0 || p->done == NULL)
		return;
	for (i = 0; i < p->nwl; i++)
		wl_free(p->wls[i]);
	free(p->wls);
	p->wls = NULL;
	p->nwl = 0;
	catalog_free(&p->cat);
	p->done(p->d);
	p->done = NULL;
}

static void
profiled_stop(struct daemon *d, daemon_done_fn *done)
{
	struct profiler *p = d->priv;

	size_t i;

	stats_publish(p);
	/* What was folded goes out now; what cannot is redelivered. */
	for (i = 0; i < p->nwl; i++)
		flush(p, p->wls[i]);
	p->stopping = 1;
	p->done = done;
	maybe_stopped(p);
}

static const struct daemon_ops profiled_ops = {
	.name = "paddock-profiled",
	.summary = "The Paddock profiler: turns behaviour into per-workload baselines.",
	.start = profiled_start,
	.tick = profiled_tick,
	.reload = profiled_reload,
	.stop = profiled_stop,
};

int
main(int argc, char **argv)
{
	static struct profiler p;

	return daemon_main(argc, argv, &profiled_ops, &p);
}
