/*
 * evbatch: events published in batches, one per workload.
 *
 * A stream entry per event costs Redis an XADD, the profiler an
 * XREADGROUP slot and an XACK, and both the fields' bytes, per event.
 * evbatch gathers each workload's events into one "events" entry
 * (docs/wire-format.md): up to WIRE_BATCH_MAX events or WIRE_BATCH_BYTES,
 * whichever comes first, and whatever is gathered when the caller flushes
 * (collectd: after each pass over the ring buffer, so a batch never waits
 * for more events).  The readable fields summarise the batch: kind
 * "events", the workload, host, the first event's time, "what" (the
 * counts by type and the first event) and "count".
 *
 * A batch the write queue refuses (Redis away for long: -ENOBUFS) is
 * reported to the caller's lost() with its workload and the number of
 * events in it, so that the loss is counted on that workload.  Each batch
 * is queued with the cookie last set (evbatch_cookie), which rstream's
 * written callback gives back once Redis has it.
 */
#ifndef PADDOCK_EVBATCH_H
#define PADDOCK_EVBATCH_H

#include <stdint.h>

#include "wire.h"

struct rstream;
struct evbatch;
struct rs_field;

typedef void	evbatch_lost_fn(void *arg, const char *workload, uint8_t wkind,
		    const char *host, uint64_t n);

struct evbatch_stats {
	uint64_t	events;		/* events queued in batches */
	uint64_t	batches;	/* entries queued */
	uint64_t	lost;		/* events of batches the queue refused */
	uint64_t	bad;		/* events that would not encode */
};

struct evbatch	*evbatch_new(struct rstream *rs, const char *key,
		    uint64_t maxlen, evbatch_lost_fn *lost, void *arg);
/* Add one event to its workload's batch: 0, -EINVAL (logged), -ENOMEM. */
int		 evbatch_add(struct evbatch *eb, const struct wire_event *ev);
/*
 * Where batches go from now on: fn (its stream, fields and cookie; 0 or
 * -errno, a failure counted lost like a full queue's), or, with fn NULL,
 * rstream's write queue.
 */
typedef int	evbatch_sink_fn(void *arg, const char *stream,
		    const struct rs_field *f, size_t n, uint64_t cookie);
void		 evbatch_sink(struct evbatch *eb, evbatch_sink_fn *fn, void *arg);
/* The cookie of the batches queued from now on. */
void		 evbatch_cookie(struct evbatch *eb, uint64_t cookie);
/* Queue every open batch. */
void		 evbatch_flush(struct evbatch *eb);
void		 evbatch_stats(const struct evbatch *eb, struct evbatch_stats *st);
void		 evbatch_free(struct evbatch *eb);

/*
 * The readable summary of a batch: "<n> events: open 240, exec 3; first:
 * <the first event's summary>" (or the one event's summary when n is 1).
 */
void		 evbatch_what(uint32_t n, const uint32_t by_type[EV__MAX],
		    const char *first, char *dst, size_t dstlen);

#endif
