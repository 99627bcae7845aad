/*
 * pipe: the pipeline benchmark's driver.  Publishes N synthetic file-open
 * events, spread over W workloads, through collectd's own publishing path
 * (evbatch: one batch per workload, rstream's bounded queue and pipelined
 * XADDs) to the events stream, as fast as the queue takes them, and
 * prints "published N in T s, overflow O" (O: turns it waited for room).  bench/run.sh then times how long the
 * profiler takes to consume them all (its consumer group reaching the
 * stream's last id): that, not this, is the pipeline's sustained rate.
 *
 * Each workload opens 2,000 distinct files over and over: after the first
 * round every event repeats a known entry, which is what a profiler sees
 * most of the time (the collector deduplicates in the kernel per cgroup,
 * but every new process and every restarted collector sends again).
 *
 *   pipe URL STREAM N W
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "daemon.h"
#include "evbatch.h"
#include "rstream.h"
#include "wire.h"

struct pipe {
	struct rstream	*rs;
	struct evbatch	*eb;
	uv_idle_t	 idle;
	const char	*stream;
	uint64_t	 n, w, sent, written, overflow;
	int		 filling;
	double		 t0, t1;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void	on_idle(uv_idle_t *h);

static void
done(void *arg)
{
	uv_stop(arg);
}

static void
on_lost(void *arg, const char *workload, uint8_t wkind, const char *host,
    uint64_t n)
{
	fprintf(stderr, "pipe: %llu events of %s refused by the queue\n",
	    (unsigned long long)n, workload);
	exit(1);
}

static void
on_written(void *arg, uint64_t cookie, const char *id)
{
	struct pipe *p = arg;
	struct rstream_stats st;

	rstream_stats(p->rs, &st);
	if (p->sent == p->n && st.queued <= 1) {
		p->written = p->n;
		p->t1 = now();
		uv_idle_stop(&p->idle);
		rstream_stop(p->rs, 1000, done, p->idle.loop);
	} else if (!p->filling && p->sent < p->n && st.queued < 1024) {
		p->filling = 1;		/* room again: fill on the next turn */
		uv_idle_start(&p->idle, on_idle);
	}
}

/* Fill the queue until it is full; the loop comes back when it drained. */
static void
on_idle(uv_idle_t *h)
{
	struct pipe *p = h->data;
	struct wire_event ev;
	char path[128], wl[64];

	struct rstream_stats st;
	uint64_t turn = 0;

	rstream_stats(p->rs, &st);
	while (p->sent < p->n) {
		uint64_t i = p->sent;
		int rc;

		/* Room for every batch this turn may close, and the rest. */
		if (turn++ == WIRE_BATCH_MAX * p->w) {
			if (st.queued + 2 * p->w >= 65536 - 2 * p->w) {
				p->overflow++;	/* on_written starts us again */
				break;
			}
			evbatch_flush(p->eb);
			rstream_stats(p->rs, &st);
			turn = 0;
		}

		memset(&ev, 0, sizeof(ev));
		ev.type = EV_OPEN;
		ev.wkind = WL_PADDOCK;
		ev.ts = (uint64_t)(now() * 1e9);
		snprintf(ev.host, sizeof(ev.host), "bench");
		snprintf(wl, sizeof(wl), "bench-pipe-%llu",
		    (unsigned long long)(i % p->w));
		snprintf(ev.workload, sizeof(ev.workload), "%s", wl);
		ev.cgid = 1000 + i % p->w;
		ev.pid = 4242;
		ev.exe = "/usr/bin/python3";
		snprintf(path, sizeof(path), "/srv/data/set-%llu/file-%llu.txt",
		    (unsigned long long)(i % p->w),
		    (unsigned long long)(i / p->w % 2000));
		ev.path = path;
		ev.mode = WM_READ;
		ev.resolved = 1;
		if ((rc = evbatch_add(p->eb, &ev)) < 0) {
			fprintf(stderr, "pipe: publish: %s\n", strerror(-rc));
			exit(1);
		}
		p->sent++;
	}
	evbatch_flush(p->eb);
	p->filling = 0;
	uv_idle_stop(h);
}

static void
on_ready(void *arg, int up)
{
	struct pipe *p = arg;

	if (up && p->t0 == 0) {
		p->t0 = now();
		p->filling = 1;
		uv_idle_start(&p->idle, on_idle);
	}
}

int
main(int argc, char **argv)
{
	struct rstream_config cf = { .name = "bench-pipe", .queue_max = 65536,
	    .batch = 512, .block_ms = 1000 };
	static struct pipe p;
	uv_loop_t *loop = uv_default_loop();
	char err[256];

	if (argc != 5) {
		fprintf(stderr, "usage: pipe URL STREAM N WORKLOADS\n");
		return 2;
	}
	cf.url = argv[1];
	/* Paddock's own Redis: as a Paddock user (secret.h), from the env. */
	cf.user = getenv("PADDOCK_REDIS_USER");
	cf.password = getenv("PADDOCK_REDIS_PASSWORD");
	p.stream = argv[2];
	p.n = strtoull(argv[3], NULL, 10);
	p.w = strtoull(argv[4], NULL, 10);
	if (p.n == 0 || p.w == 0 ||
	    (p.rs = rstream_new(loop, &cf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "pipe: %s\n", p.n && p.w ? err : "N, W > 0");
		return 1;
	}
	if ((p.eb = evbatch_new(p.rs, p.stream, 0, on_lost, &p)) == NULL) {
		fprintf(stderr, "pipe: out of memory\n");
		return 1;
	}
	uv_idle_init(loop, &p.idle);
	p.idle.data = &p;
	rstream_on_written(p.rs, on_written, &p);
	rstream_on_ready(p.rs, on_ready, &p);
	uv_run(loop, UV_RUN_DEFAULT);
	printf("published %llu in %.3f s, overflow %llu\n",
	    (unsigned long long)p.written, p.t1 - p.t0,
	    (unsigned long long)p.overflow);
	evbatch_free(p.eb);
	return p.written == p.n ? 0 : 1;
}
