/*
 * paddock-collectd: the collector.  Watches every workload on the host from
 * the kernel (bpf/collect.bpf.c), attributes behaviour to workloads and
 * process lineages (collect.c), and publishes novel behaviour to the events
 * stream.
 *
 * Flow: ring buffer -> uv_poll on its epoll fd -> collect_record() ->
 * evbatch_add() (one batch per workload) -> after each pass over the ring,
 * evbatch_flush() (one pipelined XADD per batch from rstream's bounded
 * queue).  A batch the queue refuses is counted on its workload and
 * published as an EV_LOSS event of that workload once there is room.  Every
 * syscall_interval the per-workload syscall bitmaps and loss counters are
 * read from the kernel; every stats_interval the counters are logged and
 * written to the hash <prefix>stats:collectd:<host>, where `redis-cli
 * HGETALL` or `paddockctl status` shows them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "evbatch.h"
#include "log.h"
#include "collectd.h"

/* Events of a workload that the write queue refused, not yet reported. */
struct qloss {
	char		 workload[WIRE_NAME_MAX];
	char		 host[WIRE_HOST_MAX];
	uint8_t		 wkind;
	uint64_t	 n;
};
#define QLOSS_MAX	1024

struct collector {
	struct daemon	*d;
	struct kern	*k;
	struct collect	*c;
	uv_poll_t	 poll;
	uv_timer_t	 sys_timer;
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
	if (co->nqloss == 0 || rs.queued > co->d->conf.redis.queue_max / 2)
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
		if (stream_publish(co->d->rs, co->events_key,
		    co->d->conf.redis.maxlen_events, WK_EVENT, &ev,
		    ev.workload, ev.host, ev.ts, 0) < 0)
			return;
		log_warnx("%s: %llu events lost while the write queue was "
		    "full: reported on the workload", q->workload,
		    (unsigned long long)q->n);
		co->qloss[i] = co->qloss[--co->nqloss];
	}
}

static int
on_record(void *arg, void *data, size_t len)
{
	struct collector *co = arg;

	collect_record(co->c, data, len);
	return 0;
}

static void
on_ring(uv_poll_t *h, int status, int events)
{
	struct collector *co = h->data;

	kern_consume(co->k, on_record, co);
	evbatch_flush(co->eb);
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

	kern_consume(co->k, on_record, co);	/* cgroup names first */
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
	char vals[24][24];
	const char *argv[2 + 2 * 24];
	size_t lens[2 + 2 * 24];
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
	PUT("queued", rs.queued);
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
	}
	evbatch_flush(co->eb);
	if (d->conf.collectd.syscall_interval_ms == 0)
		report_qloss(co);
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
	char mnt[256], err[512];
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
	if ((co->k = kern_open(&kc, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return -EPERM;
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
	if ((co->eb = evbatch_new(d->rs, co->events_key,
	    d->conf.redis.maxlen_events, on_batch_lost, co)) == NULL ||
	    (co->c = collect_new(&cc, emit, co)) == NULL)
		return -ENOMEM;
	co->last_active = uv_now(d->loop);
	/* Attached first, then the seed: nothing falls between. */
	collect_tick(co->c, mono_ns());
	collect_seed(co->c);
	evbatch_flush(co->eb);
	uv_poll_init(d->loop, &co->poll, kern_ringbuf_fd(co->k));
	co->poll.data = co;
	uv_poll_start(&co->poll, UV_READABLE, on_ring);
	uv_timer_init(d->loop, &co->sys_timer);
	co->sys_timer.data = co;
	co->handles = 2;
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
	/* Last word: what was lost in flight is counted, not silent. */
	kern_close(co->k);
	co->k = NULL;
	collect_free(co->c);
	co->c = NULL;
	evbatch_free(co->eb);
	co->eb = NULL;
	free(co->qloss);
	co->qloss = NULL;
	co->done(co->d);
}

static void
collectd_stop(struct daemon *d, daemon_done_fn *done)
{
	struct collector *co = d->priv;

	co->done = done;
	if (co->handles == 0) {
		kern_close(co->k);
		co->k = NULL;
		collect_free(co->c);
		co->c = NULL;
		evbatch_free(co->eb);
		co->eb = NULL;
		done(d);
		return;
	}
	kern_consume(co->k, on_record, co);
	sys_tick(&co->sys_timer);	/* flushes the batches */
	stats_publish(co);
	uv_poll_stop(&co->poll);
	uv_timer_stop(&co->sys_timer);
	uv_close((uv_handle_t *)&co->poll, closed);
	uv_close((uv_handle_t *)&co->sys_timer, closed);
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
