/*
 * paddock-collectd: the collector.  Watches every workload on the host from
 * the kernel (bpf/collect.bpf.c), attributes behaviour to workloads and
 * process lineages (collect.c), and publishes novel behaviour to the events
 * stream.
 *
 * Flow: ring buffer -> a drain timer (every DRAIN_MS while records come,
 * IDLE_MS when none did: the BPF programs do not wake the collector per
 * record, which cost each one microseconds) or, when the ring passes a
 * quarter full, uv_poll on its map fd -> a pass (ring_read() ->
 * collect_record() -> evbatch_add(), one batch per workload) ->
 * evbatch_flush() (one pipelined XADD per batch from rstream's bounded
 * queue).  A pass's batches carry its number as their cookie; when Redis
 * has confirmed every batch of a pass and of the passes before it, the
 * ring's space up to the pass's end is given back to the kernel
 * (ring_release).  So a collector that dies loses nothing it had read:
 * the ring and the programs are pinned (kern.c) and the next collector
 * reads on from the last confirmed record, and what the kernel could not
 * fit meanwhile it counts per workload.  While records are held the ring
 * is not polled (it would read as ready without end); the timer reads on.
 *
 * While Redis is away, batches go to a spill file on disk instead
 * (spill.c: synced before the ring's space is given back) and are sent
 * once Redis is back.  A batch the queue refuses, or Redis refuses for
 * good, is counted on its workload and published as an EV_LOSS event of
 * that workload once there is room.  A start that
 * cannot read on from an earlier ring (the first, after `paddockctl down`,
 * a reboot or an upgrade of the record layout) reports a gap: an EV_LOSS
 * of unknown size, cause "down", from the last time an earlier collector
 * was alive to now, for each workload that was active then (the file
 * <state_dir>/collectd.alive, rewritten at every active_interval).
 *
 * The events stream is trimmed by its readers' progress, once a second
 * (backlog.c), never at XADD: while its slowest consumer group still
 * needs more than half of redis.maxlen_events entries, the ring is not
 * read; the ring holds the records, and the kernel counts the rest.
 *
 * Every syscall_interval the per-workload syscall bitmaps and loss
 * counters are read from the kernel; every stats_interval the counters
 * are logged and written to the hash <prefix>stats:collectd:<host>, where
 * `redis-cli HGETALL` or `paddockctl status` shows them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "daemon.h"
#include "evbatch.h"
#include "log.h"
#include "collectd.h"

/* The cookie of a replayed spill entry: this bit, and its offset in the
 * file (pass numbers, the other cookies, stay far below it). */
#define SPILL_BIT	(1ull << 63)

/* Events of a workload that the write queue refused, not yet reported. */
struct qloss {
	char		 workload[WIRE_NAME_MAX];
	char		 host[WIRE_HOST_MAX];
	uint8_t		 wkind;
	uint64_t	 n;
};
#define QLOSS_MAX	1024

/* A pass over the ring: where it ended, how many batches await Redis. */
struct pass {
	uint64_t	 seq;
	uint64_t	 end;		/* ring position after its records */
	uint64_t	 left;		/* batches not yet confirmed */
};
#define PASS_MAX	4096	/* passes awaiting Redis; then reading waits */
#define PASS_RECORDS	65536	/* records read per pass at most */
#define DRAIN_MS	10	/* read again: records held, or arriving */
#define IDLE_MS		20	/* read again: nothing last time */

/* Workloads active in the current active_interval, for collectd.alive. */
struct alive {
	char		 workload[WIRE_NAME_MAX];
	char		 host[WIRE_HOST_MAX];
	uint8_t		 wkind;
};
#define ALIVE_MAX	4096

struct collector {
	struct daemon	*d;
	struct kern	*k;
	struct collect	*c;
	struct ring	*ring;
	uv_poll_t	 poll;
	int		 polling;
	uv_timer_t	 sys_timer;
	uv_timer_t	 drain;		/* reads while records are held */
	uv_timer_t	 stop_wait;	/* the last confirmations, at stop */
	uint64_t	 stop_until;
	int		 handles;
	daemon_done_fn	*done;
	char		 events_key[160];
	char		 stats_key[256];
	uint64_t	 last_stats, last_active;
	uint64_t	 published, publish_fail;
	struct kern_counters last;
	struct evbatch	*eb;
	struct qloss	*qloss;
	size_t		 nqloss;
	uint64_t	 qloss_unnamed;	/* past QLOSS_MAX workloads */
	uint64_t	 qloss_after;	/* uv_now: Redis refused; wait */
	struct backlog	 backlog;
	int		 holding, checking;	/* backlog: held back; asked */
	uint32_t	 quiet[CQUIET_MAX];	/* Paddock's other daemons */
	int		 nquiet, quieting;	/* ...; asked */
	uv_timer_t	 quiet_timer;
	char		 quiet_key[WIRE_HOST_MAX + 80];
	struct spill	*spill;		/* batches on disk while Redis is away */
	uint64_t	 spilled;	/* entries written to it */
	uint64_t	*taken;		/* cookies taken from the queue */
	size_t		 ntaken, ctaken;
	uint64_t	 unsend_from;	/* replays taken back: from here */
	uint64_t	 refused;	/* entries Redis refused for good */
	struct pass	 passes[PASS_MAX];	/* a FIFO */
	size_t		 phead, npass;
	uint64_t	 seq;
	struct alive	*alive;
	size_t		 nalive;
	char		 alive_path[300];
};

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
emit(void *arg, const struct wire_event *ev)
{
	struct collector *co = arg;

	if (ev->type == EV_ACTIVE && co->nalive < ALIVE_MAX &&
	    co->alive != NULL) {
		struct alive *a = &co->alive[co->nalive++];

		snprintf(a->workload, sizeof(a->workload), "%s", ev->workload);
		snprintf(a->host, sizeof(a->host), "%s", ev->host);
		a->wkind = ev->wkind;
	}
	if (evbatch_add(co->eb, ev) == 0)
		co->published++;
	else
		co->publish_fail++;
}

/* evbatch: a batch the queue refused; counted on its workload. */
static void
on_batch_lost(void *arg, const char *workload, uint8_t wkind,
    const char *host, uint64_t n)
{
	struct collector *co = arg;
	struct qloss *q;
	size_t i;

	for (i = 0; i < co->nqloss; i++)
		if (strcmp(co->qloss[i].workload, workload) == 0 &&
		    strcmp(co->qloss[i].host, host) == 0) {
			co->qloss[i].n += n;
			return;
		}
	if (co->nqloss == QLOSS_MAX || (co->qloss == NULL &&
	    (co->qloss = calloc(QLOSS_MAX, sizeof(*co->qloss))) == NULL)) {
		co->qloss_unnamed += n;
		return;
	}
	q = &co->qloss[co->nqloss++];
	snprintf(q->workload, sizeof(q->workload), "%s", workload);
	snprintf(q->host, sizeof(q->host), "%s", host);
	q->wkind = wkind;
	q->n = n;
}

/*
 * The losses of the queue, each as an EV_LOSS event of its workload, once
 * the queue has room again (sent alone, not batched: a refusal keeps the
 * count here rather than losing the report of a loss).
 */
static void
report_qloss(struct collector *co)
{
	struct rstream_stats rs;
	struct wire_event ev;
	size_t i = 0;

	rstream_stats(co->d->rs, &rs);
	if (co->nqloss == 0 || rs.queued > co->d->conf.redis.queue_max / 2 ||
	    uv_now(co->d->loop) < co->qloss_after)
		return;
	while (i < co->nqloss) {
		struct qloss *q = &co->qloss[i];

		memset(&ev, 0, sizeof(ev));
		ev.type = EV_LOSS;
		ev.ts = daemon_now_ns();
		ev.wkind = q->wkind;
		snprintf(ev.workload, sizeof(ev.workload), "%s", q->workload);
		snprintf(ev.host, sizeof(ev.host), "%s", q->host);
		ev.lost = q->n;
		ev.cause = WL_QUEUE;
		if (stream_publish(co->d->rs, co->events_key,
		    4 * co->d->conf.redis.maxlen_events, WK_EVENT, &ev,
		    ev.workload, ev.host, ev.ts, 0) < 0)
			return;
		log_warnx("%s: %llu events lost while the write queue was "
		    "full: reported on the workload", q->workload,
		    (unsigned long long)q->n);
		co->qloss[i] = co->qloss[--co->nqloss];
	}
}

static const struct rs_field *
field(const struct rs_field *f, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

/*
 * Redis refused an entry for good (a permission taken away, a key of
 * another type): what it held is lost, and counted on its workload like
 * a full queue's loss; its report waits a second before it is tried, so
 * that a Redis refusing everything is not asked again at once.  A loss
 * report refused in turn goes back to the count it came from.
 */
static void
on_refused(void *arg, const struct rs_field *f, size_t n, const char *why)
{
	struct collector *co = arg;
	const struct rs_field *kind, *wl, *host, *cnt, *body;
	struct wire_batch_it it;
	struct wire_event ev;
	const void *rec;
	size_t rlen;
	char name[WIRE_NAME_MAX], hname[WIRE_HOST_MAX], err[128];
	uint64_t lost = 1;
	uint8_t wkind = WL_HOST;	/* unless its record says */

	co->refused++;
	co->qloss_after = uv_now(co->d->loop) + 1000;
	kind = field(f, n, "kind");
	wl = field(f, n, "workload");
	host = field(f, n, "host");
	cnt = field(f, n, "count");
	body = field(f, n, "msgpack");
	if (kind == NULL || wl == NULL || host == NULL || body == NULL ||
	    wl->len >= sizeof(name) || host->len >= sizeof(hname))
		return;		/* not ours to count (e.g. a stats entry) */
	snprintf(name, sizeof(name), "%.*s", (int)wl->len,
	    (const char *)wl->val);
	snprintf(hname, sizeof(hname), "%.*s", (int)host->len,
	    (const char *)host->val);
	rec = body->val;
	rlen = body->len;
	if (wire_is_batch(body->val, body->len) &&
	    (wire_batch_begin(&it, body->val, body->len, err,
	    sizeof(err)) < 0 || wire_batch_next(&it, &rec, &rlen, err,
	    sizeof(err)) != 1))
		rec = NULL;
	if (rec != NULL && wire_decode(WK_EVENT, rec, rlen, &ev, err,
	    sizeof(err)) == 0) {
		wkind = ev.wkind;
		if (!wire_is_batch(body->val, body->len) &&
		    ev.type == EV_LOSS && ev.lost > 0)
			lost = ev.lost;
		wire_free(WK_EVENT, &ev);
	}
	if (cnt != NULL && wire_is_batch(body->val, body->len))
		lost = strtoull((const char *)cnt->val, NULL, 10);
	if (co->refused < 10 || co->refused % 1000 == 0)
		log_warnx("%s: Redis refused %llu events (%s; %llu entries so "
		    "far): counted lost on the workload", name,
		    (unsigned long long)lost, why,
		    (unsigned long long)co->refused);
	on_batch_lost(co, name, wkind, hname, lost);
}

static int
on_record(void *arg, void *data, size_t len)
{
	struct collector *co = arg;

	collect_record(co->c, data, len);
	return 0;
}

static void read_pass(struct collector *co);
static void on_ring(uv_poll_t *h, int status, int events);

static void
poll_set(struct collector *co, int on)
{
	if (on == co->polling || co->k == NULL)
		return;
	co->polling = on;
	if (on)
		uv_poll_start(&co->poll, UV_READABLE, on_ring);
	else
		uv_poll_stop(&co->poll);
}

/* Give back the ring's space of every leading pass Redis has. */
static void
release(struct collector *co)
{
	uint64_t end = 0;
	int any = 0;

	while (co->npass > 0 && co->passes[co->phead].left == 0) {
		end = co->passes[co->phead].end;
		any = 1;
		co->phead = (co->phead + 1) % PASS_MAX;
		co->npass--;
	}
	if (any && co->ring != NULL)
		ring_release(co->ring, end);
}

/* rstream: an XADD left the queue (written, or refused: counted there). */
static void
on_written(void *arg, uint64_t cookie, const char *id)
{
	struct collector *co = arg;
	struct pass *p;
	uint64_t first;

	(void)id;
	if (cookie & SPILL_BIT) {
		if (co->spill != NULL &&
		    spill_confirm(co->spill, cookie & ~SPILL_BIT) < 0)
			log_warnx("spill: cannot record the replay's progress");
		return;
	}
	if (cookie == 0 || co->npass == 0)
		return;
	first = co->passes[co->phead].seq;
	if (cookie < first || cookie - first >= co->npass)
		return;
	p = &co->passes[(co->phead + (cookie - first)) % PASS_MAX];
	if (p->left > 0)
		p->left--;
	release(co);
	if (co->ring != NULL && !ring_held(co->ring) && co->done == NULL)
		poll_set(co, 1);
}

static void
on_drain(uv_timer_t *t)
{
	read_pass(t->data);
}

/*
 * One pass: read what the ring holds, batch it, queue the batches under
 * the pass's cookie.  While read records await Redis, poll is off and the
 * drain timer reads on; with PASS_MAX passes waiting, reading waits too
 * and the kernel counts what it cannot fit.
 */
/* rstream_take_queue: each unconfirmed XADD onto the spill file. */
static int
take_one(void *arg, const char *stream, const struct rs_field *f, size_t n,
    uint64_t cookie)
{
	struct collector *co = arg;
	uint64_t *nv;

	if (cookie & SPILL_BIT) {
		/* Still in the file: sent again from the oldest taken. */
		if ((cookie & ~SPILL_BIT) < co->unsend_from)
			co->unsend_from = cookie & ~SPILL_BIT;
		return 0;
	}
	if (co->ntaken == co->ctaken) {
		size_t cap = co->ctaken ? co->ctaken * 2 : 64;

		if ((nv = realloc(co->taken, cap * sizeof(*nv))) == NULL)
			return -ENOMEM;
		co->taken = nv;
		co->ctaken = cap;
	}
	if (spill_append(co->spill, stream, f, n) < 0)
		return -ENOSPC;
	co->taken[co->ntaken++] = cookie;
	co->spilled++;
	return 0;
}

/* evbatch's sink while Redis is away. */
static int
spill_sink(void *arg, const char *stream, const struct rs_field *f, size_t n,
    uint64_t cookie)
{
	struct collector *co = arg;
	int rc;

	(void)cookie;
	if ((rc = spill_append(co->spill, stream, f, n)) == 0)
		co->spilled++;
	return rc;
}

static void on_written(void *arg, uint64_t cookie, const char *id);

/*
 * Redis is away: what the write queue holds, then this pass's batches, go
 * to the spill file, and once it is synced the ring's space is given
 * back.  0 when the pass was spilled, -errno when it could not be (the
 * ring holds).
 */
static int
spill_pass(struct collector *co)
{
	struct evbatch_stats a, b;
	struct pass *p;
	size_t i;
	int n, rc;

	if (co->npass == PASS_MAX)
		return -EBUSY;		/* no pass to record it in: the ring holds */
	co->ntaken = 0;
	co->unsend_from = UINT64_MAX;
	if (rstream_take_queue(co->d->rs, take_one, co) < 0)
		return -EBUSY;
	if (co->unsend_from != UINT64_MAX)
		spill_unsend(co->spill, co->unsend_from);
	evbatch_stats(co->eb, &a);
	evbatch_sink(co->eb, spill_sink, co);
	n = ring_read(co->ring, on_record, co, PASS_RECORDS);
	evbatch_flush(co->eb);
	evbatch_sink(co->eb, NULL, NULL);
	evbatch_stats(co->eb, &b);
	if ((rc = spill_sync(co->spill)) < 0)
		/* Written, not known durable: a crash of the host (not of
		 * the collector) could still lose it. */
		log_warnx("spill: sync failed: %s", strerror(-rc));
	for (i = 0; i < co->ntaken; i++)
		on_written(co, co->taken[i], "");
	if (n > 0 || b.batches != a.batches) {
		p = &co->passes[(co->phead + co->npass) % PASS_MAX];
		p->seq = ++co->seq;
		p->end = ring_pos(co->ring);
		p->left = 0;		/* on disk: as good as in Redis */
		co->npass++;
		release(co);
	}
	if (co->spilled > 0 && (co->spilled < 10 || co->spilled % 10000 == 0))
		log_warnx("redis away: %llu batches spilled to disk so far "
		    "(%llu bytes waiting)", (unsigned long long)co->spilled,
		    (unsigned long long)spill_waiting(co->spill));
	uv_timer_start(&co->drain, on_drain, n == PASS_RECORDS ? 0 : DRAIN_MS,
	    0);
	return 0;
}

/* spill_replay's sender: the write queue, while it has room. */
static int
replay_one(void *arg, const char *stream, const struct rs_field *f, size_t n,
    uint64_t off)
{
	struct collector *co = arg;

	return rstream_add(co->d->rs, stream, 0, f, n, SPILL_BIT | off);
}

/* Redis is back: send what the spill file holds, as the queue has room. */
static void
spill_drain(struct collector *co)
{
	struct rstream_stats rs;
	uint64_t half = co->d->conf.redis.queue_max / 2;
	int n;

	if (co->spill == NULL || spill_waiting(co->spill) == 0 ||
	    !rstream_is_up(co->d->rs) || co->holding)
		return;		/* (the stream's readers first catch up) */
	rstream_stats(co->d->rs, &rs);
	if (rs.queued >= half)
		return;
	if ((n = spill_replay(co->spill, replay_one, co, half - rs.queued)) < 0)
		log_warnx("spill: replay stopped: %s (a torn tail was cut off)",
		    strerror(-n));
	else if (n > 0)
		log_info("redis back: %d spilled batches sent again (%llu bytes "
		    "waiting)", n, (unsigned long long)
		    spill_waiting(co->spill));
}

static void
read_pass(struct collector *co)
{
	struct evbatch_stats a, b;
	struct rstream_stats rs;
	struct pass *p;
	int n;

	if (co->k == NULL)
		return;
	/* Redis away and the ring a quarter full: to disk (a short outage,
	 * or the first connection at start, stays in the ring). */
	if (co->spill != NULL && !rstream_is_up(co->d->rs) &&
	    co->done == NULL && spill_room(co->spill) &&
	    ring_used(co->ring) >= ring_size(co->ring) / 4 &&
	    spill_pass(co) == 0)
		return;
	spill_drain(co);
	rstream_stats(co->d->rs, &rs);
	if (co->npass == PASS_MAX || rs.queued > co->d->conf.redis.queue_max /
	    2 || co->holding) {
		/* Redis or its readers are behind: the ring holds what waits,
		 * and the kernel counts per workload what does not fit. */
		poll_set(co, 0);
		uv_timer_start(&co->drain, on_drain, DRAIN_MS, 0);
		return;
	}
	evbatch_stats(co->eb, &a);
	/* Pass numbers in the FIFO follow each other (on_written counts on
	 * it): one is taken only by a pass that read or queued something. */
	evbatch_cookie(co->eb, co->seq + 1);
	n = ring_read(co->ring, on_record, co, PASS_RECORDS);
	evbatch_flush(co->eb);
	evbatch_cookie(co->eb, 0);
	evbatch_stats(co->eb, &b);
	if (n > 0 || b.batches != a.batches) {
		p = &co->passes[(co->phead + co->npass) % PASS_MAX];
		p->seq = ++co->seq;
		p->end = ring_pos(co->ring);
		p->left = b.batches - a.batches;
		co->npass++;
		release(co);
	}
	if (n == PASS_RECORDS) {
		uv_timer_start(&co->drain, on_drain, 0, 0);
		return;
	}
	if (ring_held(co->ring))
		poll_set(co, 0);
	else if (co->done == NULL)
		poll_set(co, 1);
	/* Records do not wake us (bpf/collect.bpf.c's submit) until the ring
	 * fills: the timer is what reads them. */
	if (co->done == NULL && (n > 0 || ring_held(co->ring) ||
	    !uv_is_active((uv_handle_t *)&co->drain)))
		uv_timer_start(&co->drain, on_drain, n > 0 ||
		    ring_held(co->ring) ? DRAIN_MS : IDLE_MS, 0);
}

static void
on_ring(uv_poll_t *h, int status, int events)
{
	(void)status;
	(void)events;
	read_pass(h->data);
}

/*
 * collectd.alive: when a collector was last alive and which workloads
 * were active then, for the gap the next one reports when it cannot read
 * on from this one's ring.  Written whole, then renamed.
 */
static void
alive_write(struct collector *co)
{
	char tmp[320];
	size_t i;
	FILE *f;

	if (co->alive_path[0] == '\0')
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", co->alive_path);
	if ((f = fopen(tmp, "w")) == NULL)
		return;
	fprintf(f, "%" PRIu64 "\n", daemon_now_ns());
	for (i = 0; i < co->nalive; i++)
		fprintf(f, "%u\t%s\t%s\n", co->alive[i].wkind,
		    co->alive[i].host, co->alive[i].workload);
	if (fclose(f) != 0 || rename(tmp, co->alive_path) != 0)
		unlink(tmp);
	co->nalive = 0;
}

/* A fresh start after an earlier collector: one gap per workload it saw. */
static void
gap_report(struct collector *co, const char *why)
{
	char line[WIRE_NAME_MAX + WIRE_HOST_MAX + 16], *host, *wl, *nl;
	struct wire_event ev;
	uint64_t since;
	unsigned wkind;
	FILE *f;
	int n = 0;

	if (co->alive_path[0] == '\0' ||
	    (f = fopen(co->alive_path, "r")) == NULL)
		return;
	if (fgets(line, sizeof(line), f) == NULL ||
	    sscanf(line, "%" SCNu64, &since) != 1) {
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (sscanf(line, "%u", &wkind) != 1 ||
		    (host = strchr(line, '\t')) == NULL ||
		    (wl = strchr(host + 1, '\t')) == NULL)
			continue;
		*wl++ = '\0';
		host++;
		memset(&ev, 0, sizeof(ev));
		ev.type = EV_LOSS;
		ev.ts = daemon_now_ns();
		ev.wkind = (uint8_t)wkind;
		snprintf(ev.workload, sizeof(ev.workload), "%s", wl);
		snprintf(ev.host, sizeof(ev.host), "%s", host);
		ev.cause = WL_DOWN;
		ev.since = since;
		if (evbatch_add(co->eb, &ev) == 0)
			n++;
	}
	fclose(f);
	evbatch_flush(co->eb);
	if (n > 0)
		log_warnx("no collector ran for %llu s (%s): a gap reported on "
		    "%d workload%s active before", (unsigned long long)
		    ((daemon_now_ns() - since) / 1000000000ull), why, n,
		    n == 1 ? "" : "s");
}

static void
on_sys(void *arg, uint64_t cgid, const uint64_t bits[CSYS_WORDS])
{
	struct collector *co = arg;

	collect_syscalls(co->c, cgid, bits, mono_ns());
}

static void
on_lost(void *arg, uint64_t cgid, uint64_t lost)
{
	struct collector *co = arg;

	collect_lost(co->c, cgid, lost, mono_ns());
}

static void
sys_tick(uv_timer_t *t)
{
	struct collector *co = t->data;

	read_pass(co);			/* cgroup names first */
	kern_syscalls(co->k, on_sys, co);
	kern_losses(co->k, on_lost, co);
	evbatch_flush(co->eb);
	report_qloss(co);
}

static void
stats_publish(struct collector *co)
{
	static const char *const names[CC__MAX] = {
		"kernel_seen", "kernel_deduplicated", "kernel_emitted",
		"kernel_lifecycle", "ringbuf_full", "dns_packets",
	};
	struct kern_counters kc;
	struct collect_stats cs;
	struct rstream_stats rs;
	struct evbatch_stats es;
	char vals[32][24];
	const char *argv[2 + 2 * 32];
	size_t lens[2 + 2 * 32];
	int a = 0, i, nv = 0;

	kern_counters(co->k, &kc);
	collect_stats(co->c, &cs);
	rstream_stats(co->d->rs, &rs);
	evbatch_stats(co->eb, &es);
	argv[a++] = "HSET";
	argv[a++] = co->stats_key;
#define PUT(name, v) do { snprintf(vals[nv], sizeof(vals[nv]), "%llu", \
	(unsigned long long)(v)); argv[a++] = (name); argv[a++] = vals[nv++]; \
	} while (0)
	for (i = 0; i < CC__MAX; i++)
		PUT(names[i], kc.v[i]);
	PUT("records", cs.records);
	PUT("bad_records", cs.bad);
	PUT("user_deduplicated", cs.user_dedup);
	PUT("dns_malformed", cs.dns_bad);
	PUT("events_published", es.events);
	PUT("batches_published", rs.written);
	PUT("queue_overflow", rs.overflow);
	PUT("events_lost_queue", es.lost);
	PUT("events_lost_unnamed", co->qloss_unnamed);
	PUT("entries_refused", co->refused);
	PUT("queued", rs.queued);
	PUT("readers_behind", co->backlog.behind);
	PUT("spilled", co->spilled);
	PUT("spill_bytes", spill_waiting(co->spill));
	PUT("holding", co->holding);
	PUT("redis_reconnects", rs.reconnects);
	PUT("updated", (uint64_t)time(NULL));
#undef PUT
	for (i = 0; i < a; i++)
		lens[i] = strlen(argv[i]);
	rstream_command(co->d->rs, NULL, NULL, a, argv, lens);
	log_debug("seen %llu dedup %llu emitted %llu lifecycle %llu "
	    "ringbuf-full %llu published %llu overflow %llu",
	    (unsigned long long)kc.v[CC_SEEN],
	    (unsigned long long)kc.v[CC_DEDUP],
	    (unsigned long long)kc.v[CC_EMIT],
	    (unsigned long long)kc.v[CC_LIFECYCLE],
	    (unsigned long long)kc.v[CC_RB_FAIL],
	    (unsigned long long)rs.written, (unsigned long long)rs.overflow);
	if (kc.v[CC_RB_FAIL] > co->last.v[CC_RB_FAIL])
		log_warnx("ring buffer full: %llu records lost so far "
		    "(raise collectd.ringbuf_kb)",
		    (unsigned long long)kc.v[CC_RB_FAIL]);
	co->last = kc;
}

static void
on_backlog(void *arg, redisReply *r)
{
	struct collector *co = arg;
	char err[160];
	int hold;

	co->checking = 0;
	if (r == NULL || co->done != NULL)
		return;
	if (backlog_parse(r, &co->backlog, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		return;
	}
	hold = backlog_hold(&co->backlog, co->d->conf.redis.maxlen_events);
	if (hold && !co->holding)
		log_warnx("the events stream's readers are %llu entries behind "
		    "(redis.maxlen_events %llu): holding events in the ring "
		    "until they catch up; what does not fit is counted lost",
		    (unsigned long long)co->backlog.behind,
		    (unsigned long long)co->d->conf.redis.maxlen_events);
	else if (!hold && co->holding) {
		log_info("the events stream's readers caught up (%llu entries "
		    "behind): reading the ring again",
		    (unsigned long long)co->backlog.behind);
		uv_timer_start(&co->drain, on_drain, 0, 0);
	}
	co->holding = hold;
}

static void
backlog_check(struct collector *co)
{
	const char *argv[6];
	size_t lens[6];
	char buf[24];
	int n;

	if (co->checking || !rstream_is_up(co->d->rs))
		return;
	n = backlog_argv(co->events_key, co->d->conf.redis.maxlen_events,
	    co->holding, buf, sizeof(buf), argv, lens);
	if (rstream_command(co->d->rs, on_backlog, co, n, argv, lens) == 0)
		co->checking = 1;
}

/* ---------------------------------------------------------------- quiet */

/*
 * Paddock's other daemons as `P daemons:<host>` has them (quiet.c): left
 * out from now on.  1 when the hash's field `quiet` must say so (list).
 */
static int
quiet_apply(struct collector *co, const redisReply *r, char *list,
    size_t len)
{
	uint32_t pids[CQUIET_MAX];
	char names[512];
	const char *have;
	size_t hlen = 0;
	int n;

	if ((n = quiet_parse(r, "/proc", (uint32_t)getpid(), pids, CQUIET_MAX,
	    names, sizeof(names))) < 0)
		return 0;
	if (n != co->nquiet ||
	    memcmp(pids, co->quiet, (size_t)n * sizeof(*pids)) != 0) {
		memcpy(co->quiet, pids, (size_t)n * sizeof(*pids));
		co->nquiet = n;
		kern_set_quiet(co->k, pids, n);
		collect_quiet(co->c, pids, n);
		log_info("left unobserved as Paddock's own: this collector%s%s",
		    n ? ", " : "", names);
	}
	have = quiet_field(r, &hlen);
	return quiet_list((uint32_t)getpid(), pids, n, list, len) == 0 &&
	    (have == NULL || hlen != strlen(list) ||
	    memcmp(have, list, hlen) != 0);
}

static void
on_quiet(void *arg, redisReply *r)
{
	struct collector *co = arg;
	char list[CQUIET_MAX * 12 + 12];
	const char *argv[4] = { "HSET", co->quiet_key, "quiet", list };

	co->quieting = 0;
	if (r != NULL && co->done == NULL &&
	    quiet_apply(co, r, list, sizeof(list)))
		rstream_command(co->d->rs, NULL, NULL, 4, argv, NULL);
}

/* Every 250 ms: a daemon starting waits for its pid in `quiet`. */
static void
on_quiet_timer(uv_timer_t *t)
{
	struct collector *co = t->data;
	const char *argv[2] = { "HGETALL", co->quiet_key };

	if (co->quieting || !rstream_is_up(co->d->rs))
		return;
	if (rstream_command(co->d->rs, on_quiet, co, 2, argv, NULL) == 0)
		co->quieting = 1;
}

/* The same before the loop runs, so that seeding leaves them out too;
 * without Redis (yet), the timer's first answer does. */
static void
quiet_sync(struct collector *co)
{
	char err[256], list[CQUIET_MAX * 12 + 12];
	redisContext *c;
	redisReply *r;

	if ((c = rstream_connect_sync(co->d->conf.redis.url,
	    co->d->conf.redis.user, co->d->conf.redis.password, 1000, err,
	    sizeof(err))) == NULL)
		return;
	if ((r = redisCommand(c, "HGETALL %s", co->quiet_key)) != NULL &&
	    quiet_apply(co, r, list, sizeof(list))) {
		freeReplyObject(r);
		r = redisCommand(c, "HSET %s quiet %s", co->quiet_key, list);
	}
	freeReplyObject(r);
	redisFree(c);
}

static void
collectd_tick(struct daemon *d)
{
	struct collector *co = d->priv;
	uint64_t now = uv_now(d->loop);

	collect_tick(co->c, mono_ns());
	if (d->conf.collectd.active_interval_ms > 0 &&
	    now - co->last_active >= d->conf.collectd.active_interval_ms) {
		collect_active(co->c, mono_ns(),
		    (now - co->last_active) * 1000000ull);
		co->last_active = now;
		alive_write(co);
	}
	evbatch_flush(co->eb);
	if (d->conf.collectd.syscall_interval_ms == 0)
		report_qloss(co);
	backlog_check(co);
	if (now - co->last_stats >= d->conf.collectd.stats_interval_ms) {
		co->last_stats = now;
		stats_publish(co);
	}
}

static int
collectd_start(struct daemon *d)
{
	struct collector *co = d->priv;
	struct kern_conf kc;
	struct collect_conf cc;
	struct timespec rt, mt;
	char mnt[256], err[512], pindir[300];
	const char *why;
	int rc;

	co->d = d;
	daemon_key(d, "events", co->events_key, sizeof(co->events_key));
	snprintf(co->stats_key, sizeof(co->stats_key), "%sstats:collectd:%s",
	    d->conf.redis.prefix, d->host);
	if ((rc = cgroup_find_mount(mnt, sizeof(mnt))) < 0) {
		log_warnx("no cgroup v2 mount in /proc/mounts");
		return rc;
	}
	memset(&kc, 0, sizeof(kc));
	kc.ringbuf_kb = (uint32_t)d->conf.collectd.ringbuf_kb;
	kc.dedup_entries = (uint32_t)d->conf.collectd.dedup_entries;
	kc.argv_max = (uint32_t)d->conf.collectd.argv_max;
	kc.syscalls = d->conf.collectd.syscall_interval_ms > 0;
	kc.dns = d->conf.collectd.dns;
	kc.cgroup_mnt = mnt;
	conf_collect_pins(&d->conf, pindir, sizeof(pindir));
	kc.pindir = pindir;
	if ((co->k = kern_open(&kc, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return -EPERM;
	}
	co->ring = kern_ring(co->k);
	snprintf(co->alive_path, sizeof(co->alive_path), "%s/collectd.alive",
	    d->conf.state_dir);
	if (d->conf.collectd.spill_mb > 0 && d->conf.state_dir[0] != '\0') {
		char serr[400];

		if ((co->spill = spill_open(d->conf.state_dir,
		    d->conf.collectd.spill_mb << 20, serr, sizeof(serr))) ==
		    NULL)
			log_warnx("spill: %s: Redis outages are held in the "
			    "ring only", serr);
		else if (spill_waiting(co->spill) > 0)
			log_info("spill: %llu bytes left by the collector "
			    "before, sent once Redis answers",
			    (unsigned long long)spill_waiting(co->spill));
	}
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	memset(&cc, 0, sizeof(cc));
	cc.host = d->host;
	cc.cgroup_mnt = mnt;
	cc.procfs = "/proc";
	cc.boot_offset_ns = ((uint64_t)rt.tv_sec - (uint64_t)mt.tv_sec) *
	    1000000000ull + (uint64_t)rt.tv_nsec - (uint64_t)mt.tv_nsec;
	cc.dns_grace_ns = d->conf.enforced.dns_grace_ms * 1000000ull;
	cc.argv_max = d->conf.collectd.argv_max;
	cc.cgname = kern_cgname;
	cc.cgname_arg = co->k;
	/* backlog.c trims, never past what was read; MAXLEN at four times
	 * its bound is only a net for a Redis that refuses its script. */
	if ((co->eb = evbatch_new(d->rs, co->events_key,
	    4 * d->conf.redis.maxlen_events, on_batch_lost, co)) == NULL ||
	    (co->c = collect_new(&cc, emit, co)) == NULL ||
	    (co->alive = calloc(ALIVE_MAX, sizeof(*co->alive))) == NULL)
		return -ENOMEM;
	rstream_on_written(d->rs, on_written, co);
	rstream_on_refused(d->rs, on_refused, co);
	co->last_active = uv_now(d->loop);
	if (kern_resumed(co->k, &why))
		log_info("reading on from the ring of the collector before: "
		    "%llu bytes unread", (unsigned long long)
		    ring_unread(co->ring));
	else
		gap_report(co, why);
	/* Attached first, then the seed: nothing falls between. */
	collect_tick(co->c, mono_ns());
	snprintf(co->quiet_key, sizeof(co->quiet_key), "%sdaemons:%s",
	    d->conf.redis.prefix, d->host);
	quiet_sync(co);
	collect_seed(co->c, kern_resumed(co->k, NULL));
	evbatch_flush(co->eb);
	uv_poll_init(d->loop, &co->poll, kern_ring_fd(co->k));
	co->poll.data = co;
	uv_timer_init(d->loop, &co->sys_timer);
	co->sys_timer.data = co;
	uv_timer_init(d->loop, &co->drain);
	co->drain.data = co;
	uv_timer_init(d->loop, &co->stop_wait);
	co->stop_wait.data = co;
	uv_timer_init(d->loop, &co->quiet_timer);
	co->quiet_timer.data = co;
	co->handles = 5;
	uv_timer_start(&co->quiet_timer, on_quiet_timer, 0, 250);
	read_pass(co);		/* what an earlier run left, and polls */
	if (d->conf.collectd.syscall_interval_ms > 0)
		uv_timer_start(&co->sys_timer, sys_tick,
		    d->conf.collectd.syscall_interval_ms,
		    d->conf.collectd.syscall_interval_ms);
	stats_publish(co);	/* queued until Redis answers; again at 1 s */
	log_info("collecting on cgroup2 at %s", mnt);
	return 0;
}

static void
closed(uv_handle_t *h)
{
	struct collector *co = h->data;

	if (--co->handles > 0)
		return;
	/* Last word: what was lost in flight is counted, not silent.  What
	 * Redis confirms from now on is read again by the next collector. */
	co->ring = NULL;
	co->npass = 0;
	kern_close(co->k);
	co->k = NULL;
	collect_free(co->c);
	co->c = NULL;
	evbatch_free(co->eb);
	co->eb = NULL;
	free(co->qloss);
	co->qloss = NULL;
	free(co->alive);
	co->alive = NULL;
	spill_close(co->spill);
	co->spill = NULL;
	free(co->taken);
	co->taken = NULL;
	co->done(co->d);
}

static void
close_all(struct collector *co)
{
	if (co->npass > 0)
		log_warnx("stopping with %zu passes unconfirmed by Redis: the "
		    "next collector reads them again", co->npass);
	uv_timer_stop(&co->stop_wait);
	uv_close((uv_handle_t *)&co->poll, closed);
	uv_close((uv_handle_t *)&co->sys_timer, closed);
	uv_close((uv_handle_t *)&co->drain, closed);
	uv_close((uv_handle_t *)&co->stop_wait, closed);
	uv_close((uv_handle_t *)&co->quiet_timer, closed);
}

/* At stop: wait (2 s at most) for Redis to confirm what was read. */
static void
on_stop_wait(uv_timer_t *t)
{
	struct collector *co = t->data;

	if (co->npass == 0 || uv_now(t->loop) >= co->stop_until)
		close_all(co);
	else
		uv_timer_start(t, on_stop_wait, 10, 0);
}

static void
collectd_stop(struct daemon *d, daemon_done_fn *done)
{
	struct collector *co = d->priv;

	co->done = done;
	if (co->handles == 0) {
		free(co->alive);
		co->alive = NULL;
		co->ring = NULL;
		kern_close(co->k);
		co->k = NULL;
		collect_free(co->c);
		co->c = NULL;
		evbatch_free(co->eb);
		co->eb = NULL;
		done(d);
		return;
	}
	poll_set(co, 0);
	uv_timer_stop(&co->drain);
	uv_timer_stop(&co->sys_timer);
	uv_timer_stop(&co->quiet_timer);
	read_pass(co);
	sys_tick(&co->sys_timer);	/* flushes the batches */
	uv_timer_stop(&co->drain);
	collect_active(co->c, mono_ns(), (uv_now(d->loop) - co->last_active) *
	    1000000ull);
	evbatch_flush(co->eb);
	alive_write(co);
	stats_publish(co);
	co->stop_until = uv_now(d->loop) + 2000;
	on_stop_wait(&co->stop_wait);
}

static const struct daemon_ops collectd_ops = {
	.name = "paddock-collectd",
	.summary = "The Paddock collector: watches every workload from the "
	    "kernel and publishes novel behaviour.",
	.start = collectd_start,
	.tick = collectd_tick,
	.stop = collectd_stop,
};

int
main(int argc, char **argv)
{
	struct collector co;

	memset(&co, 0, sizeof(co));
	return daemon_main(argc, argv, &collectd_ops, &co);
}
