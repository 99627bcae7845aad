/*
 * rstream: Redis streams for the daemons, on hiredis's async API and libuv.
 *
 * One struct rstream per daemon owns a command connection and a bounded
 * write queue.  rstream_add() queues an XADD (with MAXLEN ~ trimming) and
 * returns at once; entries are pipelined to Redis and leave the queue only
 * when Redis has replied with their id, so a connection that dies mid-batch
 * costs a resend, never a loss.  While Redis is away the queue holds up to
 * queue_max entries; beyond that rstream_add() fails with -ENOBUFS and the
 * overflow counter says so.
 *
 * Each reader (rstream_reader_new) consumes one stream in one consumer group
 * on a connection of its own, because XREADGROUP BLOCK occupies it.  Its
 * phases after every (re)connect:
 *
 *     XGROUP CREATE ... MKSTREAM     (BUSYGROUP is fine)
 *     XREADGROUP ... 0               our own pending entries, first
 *     XAUTOCLAIM ... min-idle        stale entries of dead consumers
 *     XREADGROUP ... BLOCK ... >     new entries, until the next claim
 *
 * The handler runs once per entry; 0 acknowledges it (XACK, batched, on the
 * command connection), -EAGAIN leaves it pending for a later retry,
 * RS_DEFER says the handler took it and will acknowledge it itself
 * (rstream_ack) once what it made of it is durable, and any other error
 * makes it poison: copied to the dead-letter stream with the reason,
 * acknowledged and counted.  Delivery is at-least-once, so handlers must
 * be idempotent; rs_msg.redelivered marks an entry read back from the
 * pending list (this consumer's after a reconnect, or claimed from
 * another), which may have been handled before.  Connections reconnect
 * with capped exponential backoff.
 */
#ifndef PADDOCK_RSTREAM_H
#define PADDOCK_RSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct rstream;
struct rstream_reader;
struct redisContext;
struct redisReply;

struct rstream_url {
	int		is_unix;
	char		host[256];
	int		port;
	char		path[256];
	char		user[64];
	char		password[256];
	int		db;
};

/* redis://[[user]:password@]host[:port][/db] or unix://[[user]:password@]/path */
int	rstream_parse_url(const char *url, struct rstream_url *u, char *err,
	    size_t errlen);

struct rstream_config {
	const char	*url;
	const char	*user;		/* override the URL's, when set */
	const char	*password;
	const char	*name;		/* daemon name, for logs */
	uint64_t	 queue_max;
	uint64_t	 batch;
	uint64_t	 block_ms;
	uint64_t	 claim_idle_ms;
	const char	*dead_letter;	/* full stream key */
};

struct rstream_stats {
	uint64_t	queued;		/* entries waiting or in flight now */
	uint64_t	written;	/* XADDs Redis confirmed */
	uint64_t	overflow;	/* entries refused: queue full */
	uint64_t	rejected;	/* XADDs Redis answered with an error */
	uint64_t	busy;		/* busy answers (LOADING...), resent */
	uint64_t	reconnects;
	uint64_t	delivered;	/* entries handed to readers' handlers */
	uint64_t	acked;
	uint64_t	retried;	/* handler said -EAGAIN */
	uint64_t	poison;		/* dead-lettered */
	uint64_t	claimed;	/* taken over from other consumers */
	uint64_t	trimmed;	/* pending entries already trimmed away */
};

/* A field of an entry: name and value (binary-safe). */
struct rs_field {
	const char	*name;
	const void	*val;
	size_t		 len;
};

/* What a handler sees; valid only during the call. */
struct rs_msg {
	const char		*stream;
	const char		*id;
	int			 redelivered;	/* read from the pending list */
	const void		*body;	/* the "msgpack" field, or NULL */
	size_t			 len;
	const struct redisReply	*fields; /* flat name/value array */
};

#define RS_DEFER	1	/* handler: taken; rstream_ack() follows */
typedef int	rs_handler_fn(void *arg, const struct rs_msg *m, char *err,
		    size_t errlen);
typedef void	rs_batch_fn(void *arg);
/* Called once per XADD that left the queue, with the cookie given to
 * rstream_add: id is the entry's id, or NULL when Redis refused it. */
typedef void	rs_written_fn(void *arg, uint64_t cookie, const char *id);
/* Called when Redis refused an XADD for good (not a transient "busy" or
 * "full"): the entry's fields, so that the writer can count what it
 * held; before written_fn's call with id NULL. */
typedef void	rs_refused_fn(void *arg, const struct rs_field *f, size_t n,
		    const char *why);
typedef void	rs_ready_fn(void *arg, int up);
typedef void	rs_reply_fn(void *arg, struct redisReply *r);
typedef void	rs_done_fn(void *arg);

struct rstream	*rstream_new(uv_loop_t *loop, const struct rstream_config *cfg,
		    char *err, size_t errlen);
void		 rstream_on_written(struct rstream *rs, rs_written_fn *fn,
		    void *arg);
void		 rstream_on_refused(struct rstream *rs, rs_refused_fn *fn,
		    void *arg);
/* Told when the command connection comes up (1) or goes down (0). */
void		 rstream_on_ready(struct rstream *rs, rs_ready_fn *fn, void *arg);
int		 rstream_is_up(const struct rstream *rs);

/*
 * Queue one XADD of fields to stream, trimmed to about maxlen entries (0: no
 * trimming).  Returns 0, -ENOBUFS when the queue is full, -ENOMEM, or
 * -ESHUTDOWN while stopping.
 */
int		 rstream_add(struct rstream *rs, const char *stream,
		    uint64_t maxlen, const struct rs_field *fields, size_t n,
		    uint64_t cookie);

/*
 * While the command connection is down, hand each queued XADD, oldest
 * first, to fn (its stream, fields and cookie) and drop it from the queue;
 * fn returning < 0 stops there (that one and the rest stay).  The number
 * taken, or -EBUSY while connected (entries may be in flight).  For a
 * writer that makes them durable elsewhere (collectd's spill file).
 */
typedef int	rs_take_fn(void *arg, const char *stream,
		    const struct rs_field *f, size_t n, uint64_t cookie);
int		 rstream_take_queue(struct rstream *rs, rs_take_fn *fn,
		    void *arg);

/*
 * Send one command on the command connection; fn gets the reply (NULL when
 * the connection went away).  Returns -ENOTCONN while Redis is down.
 */
int		 rstream_command(struct rstream *rs, rs_reply_fn *fn, void *arg,
		    int argc, const char **argv, const size_t *argvlen);

struct rstream_reader *rstream_reader_new(struct rstream *rs,
		    const char *stream, const char *group, const char *consumer,
		    const char *start_id, rs_handler_fn *fn, void *arg);

/* Called after the entries of each read were handled. */
void		 rstream_reader_on_batch(struct rstream_reader *rd,
		    rs_batch_fn *fn, void *arg);
/*
 * Acknowledge n entries a handler deferred: one XACK on the command
 * connection, after whatever was sent there before.  0 or -ENOTCONN
 * (they stay pending and come back as redelivered).
 */
int		 rstream_ack(struct rstream_reader *rd, const char *const *ids,
		    size_t n);

/* Housekeeping: schedules periodic XAUTOCLAIM. */
void		 rstream_tick(struct rstream *rs);
void		 rstream_stats(const struct rstream *rs, struct rstream_stats *st);

/*
 * Stop reading, give the write queue up to drain_ms to empty, close every
 * connection and handle, free rs, then call done.  Entries still queued
 * after drain_ms are counted in the log as lost.
 */
void		 rstream_stop(struct rstream *rs, uint64_t drain_ms,
		    rs_done_fn *done, void *arg);

/* Look a field up in a message; NULL when absent. */
const char	*rs_msg_field(const struct rs_msg *m, const char *name,
		    size_t *len);

/*
 * A blocking connection for the CLI and tests: connects (with a timeout),
 * authenticates and selects the database.  NULL with err filled on failure.
 */
struct redisContext *rstream_connect_sync(const char *url, const char *user,
		    const char *password, int timeout_ms, char *err,
		    size_t errlen);

#endif
