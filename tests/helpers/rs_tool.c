/*
 * rs_tool: a producer and a consumer on libcommon/rstream, as real processes
 * that tests can run side by side, kill and restart.
 *
 *   rs_tool produce URL STREAM COUNT [PER_MS]
 *       XADD COUNT events (loss events whose "lost" field is the sequence
 *       number), PER_MS per millisecond (0: as fast as the queue takes
 *       them).  Prints "W <seq>" for each one Redis confirmed, then
 *       "STATS written=N overflow=N".
 *   rs_tool consume URL STREAM GROUP CONSUMER IDLE_MS [SLOW_US] [CLAIM_MS]
 *       Consume in GROUP as CONSUMER, printing "R <seq>" for each event it
 *       processed; exits after IDLE_MS without a new entry.  SLOW_US delays
 *       each entry; CLAIM_MS is the XAUTOCLAIM min-idle time.  With
 *       RS_TOOL_DEFER=N set, the handler defers each entry (RS_DEFER) and
 *       acknowledges the first N it handled every 100 ms (rstream_ack),
 *       the others never; an entry read back from the pending list prints
 *       as "R <seq> redelivered".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "daemon.h"
#include "log.h"
#include "rstream.h"
#include "wire.h"

struct tool {
	uv_loop_t		*loop;
	struct rstream		*rs;
	uv_timer_t		 timer;
	const char		*stream;
	uint64_t		 count, next, per_ms;
	uint64_t		 idle_ms, last_seen, slow_us;
	int			 done, defer;
	uint64_t		 defer_max, handled;
	struct rstream_reader	*rd;
	char			**held;
	size_t			 nheld;
};

static void
ack_held(struct tool *t)
{
	size_t i;

	if (t->nheld > 0 && rstream_ack(t->rd, (const char *const *)t->held,
	    t->nheld) < 0)
		return;		/* left pending: redelivered */
	for (i = 0; i < t->nheld; i++)
		free(t->held[i]);
	t->nheld = 0;
}

static void
written(void *arg, uint64_t cookie, const char *id)
{
	printf("W %llu %s\n", (unsigned long long)cookie, id);
}

static void
stopped(void *arg)
{
	struct tool *t = arg;

	t->rs = NULL;
}

static void
finish(struct tool *t)
{
	struct rstream_stats st;

	if (t->done)
		return;
	t->done = 1;
	rstream_stats(t->rs, &st);
	printf("STATS written=%llu overflow=%llu delivered=%llu acked=%llu "
	    "poison=%llu claimed=%llu reconnects=%llu rejected=%llu busy=%llu\n",
	    (unsigned long long)st.written, (unsigned long long)st.overflow,
	    (unsigned long long)st.delivered, (unsigned long long)st.acked,
	    (unsigned long long)st.poison, (unsigned long long)st.claimed,
	    (unsigned long long)st.reconnects,
	    (unsigned long long)st.rejected, (unsigned long long)st.busy);
	fflush(stdout);
	if (t->defer)
		ack_held(t);
	free(t->held);
	uv_timer_stop(&t->timer);
	uv_close((uv_handle_t *)&t->timer, NULL);
	rstream_stop(t->rs, 5000, stopped, t);
}

static void
produce_tick(uv_timer_t *h)
{
	struct tool *t = h->data;
	struct rstream_stats st;
	uint64_t n = t->per_ms ? t->per_ms : 1000;

	while (n-- > 0 && t->next < t->count) {
		struct wire_event e;

		memset(&e, 0, sizeof(e));
		e.type = EV_LOSS;
		e.ts = t->next;
		snprintf(e.host, sizeof(e.host), "test");
		snprintf(e.workload, sizeof(e.workload), "rs_tool");
		e.lost = t->next;
		if (stream_publish(t->rs, t->stream, 0, WK_EVENT, &e,
		    e.workload, e.host, daemon_now_ns(), t->next) < 0)
			break;		/* queue full: try again next tick */
		t->next++;
	}
	rstream_stats(t->rs, &st);
	if (t->next >= t->count && st.queued == 0)
		finish(t);
}

static int
consume_one(void *arg, const struct rs_msg *m, char *err, size_t errlen)
{
	struct tool *t = arg;
	struct wire_event e;
	int rc;

	if ((rc = wire_decode(WK_EVENT, m->body, m->len, &e, err, errlen)) < 0)
		return rc;
	if (t->slow_us)
		usleep((useconds_t)t->slow_us);
	printf("R %llu%s\n", (unsigned long long)e.lost,
	    m->redelivered ? " redelivered" : "");
	fflush(stdout);
	t->last_seen = uv_now(t->loop);
	wire_free(WK_EVENT, &e);
	if (!t->defer)
		return 0;
	if (++t->handled > t->defer_max)
		return RS_DEFER;	/* never acknowledged */
	t->held = realloc(t->held, (t->nheld + 1) * sizeof(*t->held));
	if (t->held == NULL || (t->held[t->nheld] = strdup(m->id)) == NULL)
		fatalx("out of memory");
	t->nheld++;
	return RS_DEFER;
}

static void
consume_tick(uv_timer_t *h)
{
	struct tool *t = h->data;

	rstream_tick(t->rs);
	if (t->defer)
		ack_held(t);
	if (uv_now(t->loop) - t->last_seen >= t->idle_ms)
		finish(t);
}

int
main(int argc, char **argv)
{
	struct rstream_config cfg;
	struct tool t;
	char err[256];

	memset(&t, 0, sizeof(t));
	memset(&cfg, 0, sizeof(cfg));
	log_init("rs_tool", 1, getenv("RS_TOOL_VERBOSE") ? 1 : 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 5)
		goto usage;
	t.loop = uv_default_loop();
	cfg.url = argv[2];
	cfg.name = "rs_tool";
	cfg.dead_letter = "test:dead-letter";
	cfg.block_ms = 200;
	t.stream = argv[3];
	if (strcmp(argv[1], "produce") == 0) {
		t.count = strtoull(argv[4], NULL, 10);
		t.per_ms = argc > 5 ? strtoull(argv[5], NULL, 10) : 0;
	} else if (strcmp(argv[1], "consume") == 0 && argc >= 7) {
		t.idle_ms = strtoull(argv[6], NULL, 10);
		t.slow_us = argc > 7 ? strtoull(argv[7], NULL, 10) : 0;
		cfg.claim_idle_ms = argc > 8 ? strtoull(argv[8], NULL, 10) : 30000;
	} else {
		goto usage;
	}
	if ((t.rs = rstream_new(t.loop, &cfg, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	uv_timer_init(t.loop, &t.timer);
	t.timer.data = &t;
	if (t.count > 0 || strcmp(argv[1], "produce") == 0) {
		rstream_on_written(t.rs, written, &t);
		uv_timer_start(&t.timer, produce_tick, 1, 1);
	} else {
		t.defer = getenv("RS_TOOL_DEFER") != NULL;
		t.defer_max = t.defer ? strtoull(getenv("RS_TOOL_DEFER"), NULL,
		    10) : 0;
		if ((t.rd = rstream_reader_new(t.rs, t.stream, argv[4], argv[5],
		    "0", consume_one, &t)) == NULL)
			fatalx("reader");
		t.last_seen = uv_now(t.loop);
		uv_timer_start(&t.timer, consume_tick, 100, 100);
	}
	uv_run(t.loop, UV_RUN_DEFAULT);
	if (uv_loop_close(t.loop) != 0)
		fatalx("handles left open");
	return 0;
usage:
	fprintf(stderr, "usage: rs_tool produce URL STREAM COUNT [PER_MS]\n"
	    "       rs_tool consume URL STREAM GROUP CONSUMER IDLE_MS "
	    "[SLOW_US] [CLAIM_MS]\n");
	return 2;
}
