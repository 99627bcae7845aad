/*
 * rstream: see rstream.h for the model.
 *
 * Lifetimes.  hiredis owns each redisAsyncContext and frees it after its
 * disconnect (or failed connect) callback; we only drop our pointer there.
 * Reply pointers never outlive their callback.  Our own uv handles are
 * embedded in their structs, and a struct is freed only after the close
 * callbacks of all its handles have run (rs->handles counts them).
 *
 * The write queue is one TAILQ.  Entries before `w_next` are in flight on the
 * command connection, in order; the rest wait.  Redis replies in order, so a
 * reply always belongs to the head.  When the connection drops, hiredis calls
 * every pending callback with a NULL reply and we rewind w_next to the head:
 * everything unconfirmed is sent again after the reconnect.  A busy
 * answer (LOADING, BUSY, TRYAGAIN, ...) is not a rejection: the entry stays
 * queued, the writer pauses, waits for the replies still owed, and then
 * resends everything unconfirmed from the head.  Confirmed entries leave the
 * queue wherever they are, so after such a pause the queue may have gaps
 * before w_next; they are all sent again, in order.
 *
 * Event loop glue.  hiredis 0.14's own libuv adapter returns early when
 * uv_poll reports an error (EPOLLERR, e.g. the server closed a socket we
 * still had bytes queued for); libuv has already stopped the poll handle by
 * then, so hiredis never learns the connection is dead and the writer waits
 * forever.  Newer hiredis fixed this by handing the error to hiredis as a
 * read/write event.  We carry that small adapter here (rs_uv_*), so the fix
 * does not depend on the Debian version.
 */
#include <sys/queue.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <uv.h>

#include "log.h"
#include "rstream.h"
#include "sd.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000
#define READ_COUNT	256

struct rconn;
typedef void rconn_fn(struct rconn *c);

struct rconn {
	struct rstream		*rs;
	redisAsyncContext	*ac;
	int			 ready;		/* connected, authenticated */
	int			 was_up;	/* for log-once on outages */
	int			 warned;	/* said "unreachable" */
	uint64_t		 fails;		/* tries since it last worked */
	int			 auth_pending;	/* AUTH/SELECT replies owed */
	int			 closing;	/* graceful disconnect under way */
	uint64_t		 backoff_ms;
	uv_timer_t		 retry;
	const char		*what;		/* for logs */
	rconn_fn		*on_up;
	rconn_fn		*on_down;
	void			*owner;
};

struct wentry {
	TAILQ_ENTRY(wentry)	 link;
	uint64_t		 cookie;
	int			 argc;
	const char		**argv;
	size_t			*argvlen;
};
TAILQ_HEAD(wqueue, wentry);

enum rd_phase {
	RD_DOWN,
	RD_GROUP,	/* XGROUP CREATE in flight */
	RD_PENDING,	/* re-reading our own pending entries */
	RD_CLAIM,	/* XAUTOCLAIM pass */
	RD_LIVE,	/* XREADGROUP BLOCK > */
};

struct rstream_reader {
	LIST_ENTRY(rstream_reader) link;
	struct rstream		*rs;
	struct rconn		 conn;
	char			*stream, *group, *consumer, *start_id;
	rs_handler_fn		*fn;
	void			*arg;
	rs_batch_fn		*batch_fn;
	void			*batch_arg;
	enum rd_phase		 phase;
	int			 claim_due;
	char			 cursor[64];
};

struct rstream {
	uv_loop_t		*loop;
	struct rstream_url	 url;
	char			*name;
	char			*dead_letter;
	uint64_t		 queue_max, batch, block_ms, claim_idle_ms;
	struct rconn		 cmd;
	struct wqueue		 q;
	struct wentry		*w_next;	/* first entry not yet sent */
	uint64_t		 inflight;
	struct rstream_stats	 st;
	rs_written_fn		*written_fn;
	void			*written_arg;
	rs_refused_fn		*refused_fn;
	void			*refused_arg;
	rs_ready_fn		*ready_fn;
	void			*ready_arg;
	LIST_HEAD(, rstream_reader) readers;
	uint64_t		 last_claim;
	/* shutdown */
	int			 stopping;
	int			 drained;	/* drain_done has run */
	int			 handles;	/* open uv handles we own */
	uv_timer_t		 drain;
	uv_timer_t		 w_retry;	/* pause after a busy answer */
	int			 w_paused;
	rs_done_fn		*done_fn;
	void			*done_arg;
};

static void	rconn_connect(struct rconn *c);
static void	writer_flush(struct rstream *rs);
static void	reader_next(struct rstream_reader *rd);
static void	rstream_finish(struct rstream *rs);
static void	drain_done(uv_timer_t *t);

/* ------------------------------------------------------------------- URLs */

int
rstream_parse_url(const char *url, struct rstream_url *u, char *err,
    size_t errlen)
{
	const char *p, *at, *slash;
	char auth[384];
	size_t n;

	memset(u, 0, sizeof(*u));
	u->port = 6379;
	if (strncmp(url, "unix://", 7) == 0) {
		u->is_unix = 1;
		p = url + 7;
	} else if (strncmp(url, "redis://", 8) == 0) {
		p = url + 8;
	} else {
		snprintf(err, errlen, "%s: expected redis://host:port or "
		    "unix:///path", url);
		return -EINVAL;
	}
	/* Optional user:password@ (the '@' must come before any '/' path). */
	at = strchr(p, '@');
	slash = strchr(p, '/');
	if (at != NULL && (slash == NULL || at < slash || u->is_unix)) {
		const char *colon;

		n = (size_t)(at - p);
		if (n >= sizeof(auth))
			goto toolong;
		memcpy(auth, p, n);
		auth[n] = '\0';
		if ((colon = strchr(auth, ':')) != NULL) {
			size_t ul = (size_t)(colon - auth);

			if (ul >= sizeof(u->user) ||
			    strlen(colon + 1) >= sizeof(u->password))
				goto toolong;
			memcpy(u->user, auth, ul);
			u->user[ul] = '\0';
			memcpy(u->password, colon + 1, strlen(colon + 1) + 1);
		} else {
			if (n >= sizeof(u->password))
				goto toolong;
			memcpy(u->password, auth, n + 1);
		}
		p = at + 1;
	}
	if (u->is_unix) {
		if (p[0] != '/') {
			snprintf(err, errlen, "%s: a unix socket path must be "
			    "absolute", url);
			return -EINVAL;
		}
		if (strlen(p) >= sizeof(u->path) || strlen(p) >= 108)
			goto toolong;
		snprintf(u->path, sizeof(u->path), "%s", p);
		return 0;
	}
	slash = strchr(p, '/');
	n = slash ? (size_t)(slash - p) : strlen(p);
	if (n == 0) {
		snprintf(err, errlen, "%s: missing host", url);
		return -EINVAL;
	}
	if (n >= sizeof(u->host))
		goto toolong;
	memcpy(u->host, p, n);
	u->host[n] = '\0';
	if (u->host[0] == '[') {
		char *close = strchr(u->host, ']');

		if (close == NULL)
			goto bad;
		if (close[1] == ':') {
			char *end;
			long port = strtol(close + 2, &end, 10);

			if (*end != '\0' || port <= 0 || port > 65535)
				goto bad;
			u->port = (int)port;
		} else if (close[1] != '\0') {
			goto bad;
		}
		*close = '\0';
		memmove(u->host, u->host + 1, strlen(u->host + 1) + 1);
	} else {
		char *colon = strrchr(u->host, ':');

		if (colon != NULL) {
			char *end;
			long port = strtol(colon + 1, &end, 10);

			if (*end != '\0' || port <= 0 || port > 65535)
				goto bad;
			u->port = (int)port;
			*colon = '\0';
		}
	}
	if (slash != NULL && slash[1] != '\0') {
		char *end;
		long db = strtol(slash + 1, &end, 10);

		if (*end != '\0' || db < 0 || db > 1024)
			goto bad;
		u->db = (int)db;
	}
	return 0;
bad:
	snprintf(err, errlen, "%s: malformed Redis URL", url);
	return -EINVAL;
toolong:
	snprintf(err, errlen, "%s: a part of the Redis URL is too long", url);
	return -EINVAL;
}

static void
url_where(const struct rstream_url *u, char *buf, size_t n)
{
	if (u->is_unix)
		snprintf(buf, n, "unix:%s", u->path);
	else
		snprintf(buf, n, "%s:%d", u->host, u->port);
}

/* ------------------------------------------------------ libuv adapter */

struct rs_uv {
	redisAsyncContext	*ac;
	uv_poll_t		 poll;
	int			 events;
};

static void
rs_uv_poll(uv_poll_t *h, int status, int events)
{
	struct rs_uv *p = h->data;

	/*
	 * On error libuv has stopped the handle: let hiredis try to read and
	 * write so it sees the error and runs its disconnect path.
	 */
	if (status < 0)
		events = p->events | UV_READABLE;
	if (p->ac != NULL && (events & UV_READABLE))
		redisAsyncHandleRead(p->ac);
	if (p->ac != NULL && (events & UV_WRITABLE))
		redisAsyncHandleWrite(p->ac);
	if (status < 0 && p->ac != NULL && p->events)
		uv_poll_start(&p->poll, p->events, rs_uv_poll);
}

static void
rs_uv_update(struct rs_uv *p, int add, int flag)
{
	if (add)
		p->events |= flag;
	else
		p->events &= ~flag;
	if (p->events)
		uv_poll_start(&p->poll, p->events, rs_uv_poll);
	else
		uv_poll_stop(&p->poll);
}

static void rs_uv_add_read(void *d) { rs_uv_update(d, 1, UV_READABLE); }
static void rs_uv_del_read(void *d) { rs_uv_update(d, 0, UV_READABLE); }
static void rs_uv_add_write(void *d) { rs_uv_update(d, 1, UV_WRITABLE); }
static void rs_uv_del_write(void *d) { rs_uv_update(d, 0, UV_WRITABLE); }

static void
rs_uv_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
rs_uv_cleanup(void *d)
{
	struct rs_uv *p = d;

	p->ac = NULL;
	uv_close((uv_handle_t *)&p->poll, rs_uv_closed);
}

static int
rs_uv_attach(redisAsyncContext *ac, uv_loop_t *loop)
{
	struct rs_uv *p;

	if (ac->ev.data != NULL || (p = calloc(1, sizeof(*p))) == NULL)
		return REDIS_ERR;
	if (uv_poll_init(loop, &p->poll, ac->c.fd) != 0) {
		free(p);
		return REDIS_ERR;
	}
	p->ac = ac;
	p->poll.data = p;
	ac->ev.data = p;
	ac->ev.addRead = rs_uv_add_read;
	ac->ev.delRead = rs_uv_del_read;
	ac->ev.addWrite = rs_uv_add_write;
	ac->ev.delWrite = rs_uv_del_write;
	ac->ev.cleanup = rs_uv_cleanup;
	return REDIS_OK;
}

/* ------------------------------------------------------------ connections */

static void
handle_closed(uv_handle_t *h)
{
	struct rstream *rs = h->data;

	if (--rs->handles == 0 && rs->stopping)
		rstream_finish(rs);
}

static void
rconn_retry_cb(uv_timer_t *t)
{
	rconn_connect(t->data);
}

static void
rconn_schedule(struct rconn *c)
{
	if (c->rs->stopping)
		return;
	c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (c->backoff_ms > BACKOFF_MAX_MS)
		c->backoff_ms = BACKOFF_MAX_MS;
	uv_timer_start(&c->retry, rconn_retry_cb, c->backoff_ms, 0);
}

/*
 * A try that did not get through: said at warning level, and to systemd
 * as STATUS=, the first time and then every 60 tries (5 minutes at the
 * longest backoff), so that a daemon that never reached Redis is as loud
 * as one that lost it.
 */
static void
rconn_failed(struct rconn *c, const char *why)
{
	char where[300], st[600];

	if (c->rs->stopping)
		return;
	if (c->warned && ++c->fails % 60 != 0)
		return;
	url_where(&c->rs->url, where, sizeof(where));
	log_warnx("redis %s (%s): unreachable: %s; retrying every %u s at "
	    "most (%llu tries so far)", where, c->what, why,
	    BACKOFF_MAX_MS / 1000, (unsigned long long)c->fails + 1);
	snprintf(st, sizeof(st), "STATUS=redis %s unreachable (%s): %s; "
	    "retrying", where, c->what, why);
	sd_notify_msg(st);
	c->warned = 1;
}

static void
rconn_down(struct rconn *c, const char *why)
{
	int was_ready = c->ready;

	c->ac = NULL;
	c->ready = 0;
	if (c->was_up && !c->rs->stopping) {
		char where[300], st[600];

		url_where(&c->rs->url, where, sizeof(where));
		log_warnx("redis %s (%s): connection lost: %s; retrying",
		    where, c->what, why);
		snprintf(st, sizeof(st), "STATUS=redis %s lost (%s): %s; "
		    "retrying", where, c->what, why);
		sd_notify_msg(st);
		c->was_up = 0;
		c->warned = 1;
	} else
		rconn_failed(c, why);
	if (was_ready && c->on_down != NULL)
		c->on_down(c);
	rconn_schedule(c);
}

static void
rconn_set_ready(struct rconn *c)
{
	c->ready = 1;
	c->backoff_ms = 0;
	if (!c->was_up) {
		char where[300], st[600];

		url_where(&c->rs->url, where, sizeof(where));
		if (c->warned)
			log_warnx("redis %s (%s): connected again after %llu "
			    "tries", where, c->what,
			    (unsigned long long)c->fails + 1);
		else
			log_info("redis %s (%s): connected", where, c->what);
		if (c->warned) {
			snprintf(st, sizeof(st), "STATUS=redis %s connected "
			    "(%s)", where, c->what);
			sd_notify_msg(st);
		}
	}
	c->was_up = 1;
	c->warned = 0;
	c->fails = 0;
	if (c->on_up != NULL)
		c->on_up(c);
}

static void
rconn_authed(redisAsyncContext *ac, void *reply, void *priv)
{
	struct rconn *c = priv;
	redisReply *r = reply;

	if (r == NULL || c->rs->stopping)
		return;
	if (r->type == REDIS_REPLY_ERROR) {
		log_warnx("redis (%s): AUTH/SELECT refused: %s", c->what, r->str);
		rconn_failed(c, r->str);
		redisAsyncDisconnect(ac);
		return;
	}
	if (--c->auth_pending == 0)
		rconn_set_ready(c);
}

static void
rconn_connected(const redisAsyncContext *ac, int status)
{
	struct rconn *c = ac->data;
	struct rstream_url *u = &c->rs->url;
	redisAsyncContext *a = (redisAsyncContext *)(uintptr_t)ac;

	if (status != REDIS_OK) {
		/* hiredis frees ac after this returns. */
		if (c->ac == ac)
			rconn_down(c, ac->errstr[0] ? ac->errstr : "connect failed");
		return;
	}
	if (c->rs->stopping) {
		redisAsyncDisconnect(a);
		return;
	}
	c->auth_pending = (u->password[0] != '\0') + (u->db != 0);
	if (c->auth_pending == 0) {
		rconn_set_ready(c);
		return;
	}
	if (u->password[0] != '\0') {
		if (u->user[0] != '\0')
			redisAsyncCommand(a, rconn_authed, c, "AUTH %s %s",
			    u->user, u->password);
		else
			redisAsyncCommand(a, rconn_authed, c, "AUTH %s",
			    u->password);
	}
	if (u->db != 0)
		redisAsyncCommand(a, rconn_authed, c, "SELECT %d", u->db);
}

static void
rconn_disconnected(const redisAsyncContext *ac, int status)
{
	struct rconn *c = ac->data;

	if (c->closing) {
		/* The graceful close in rconn_close() has finished. */
		c->closing = 0;
		c->ac = NULL;
		handle_closed((uv_handle_t *)&c->retry);
		return;
	}
	if (c->ac != ac)
		return;
	rconn_down(c, status == REDIS_OK ? "closed" :
	    (ac->errstr[0] ? ac->errstr : "error"));
}

static void
rconn_connect(struct rconn *c)
{
	struct rstream_url *u = &c->rs->url;
	redisAsyncContext *ac;

	if (c->rs->stopping || c->ac != NULL)
		return;
	ac = u->is_unix ? redisAsyncConnectUnix(u->path) :
	    redisAsyncConnect(u->host, u->port);
	if (ac == NULL) {
		rconn_schedule(c);
		return;
	}
	if (ac->err) {
		rconn_failed(c, ac->errstr);
		redisAsyncFree(ac);
		rconn_schedule(c);
		return;
	}
	ac->data = c;
	if (rs_uv_attach(ac, c->rs->loop) != REDIS_OK) {
		redisAsyncFree(ac);
		rconn_schedule(c);
		return;
	}
	redisAsyncSetConnectCallback(ac, rconn_connected);
	redisAsyncSetDisconnectCallback(ac, rconn_disconnected);
	c->ac = ac;
}

static void
rconn_init(struct rstream *rs, struct rconn *c, const char *what,
    rconn_fn *up, rconn_fn *down, void *owner)
{
	memset(c, 0, sizeof(*c));
	c->rs = rs;
	c->what = what;
	c->on_up = up;
	c->on_down = down;
	c->owner = owner;
	uv_timer_init(rs->loop, &c->retry);
	c->retry.data = c;
	rs->handles++;
}

/*
 * Close our timer and the connection.  A ready connection is closed
 * gracefully (replies still owed arrive first) and counts as an open handle
 * until its disconnect callback; anything else is freed at once, its pending
 * callbacks running with NULL replies.
 */
static void
rconn_close(struct rconn *c)
{
	redisAsyncContext *ac = c->ac;
	int graceful = c->ready;

	c->ready = 0;
	uv_timer_stop(&c->retry);
	c->retry.data = c->rs;
	uv_close((uv_handle_t *)&c->retry, handle_closed);
	if (ac == NULL)
		return;
	if (graceful) {
		c->closing = 1;
		c->rs->handles++;
		redisAsyncDisconnect(ac);
	} else {
		c->ac = NULL;
		redisAsyncFree(ac);
	}
}

/* ----------------------------------------------------------------- writer */

static void
wentry_free(struct wentry *e)
{
	free(e);
}

static void
writer_up(struct rconn *c)
{
	struct rstream *rs = c->rs;

	if (rs->ready_fn != NULL)
		rs->ready_fn(rs->ready_arg, 1);
	writer_flush(rs);
	/* Readers may have acks to send now; they resend on their own. */
}

static void
writer_down(struct rconn *c)
{
	struct rstream *rs = c->rs;

	/* Everything unconfirmed goes out again after the reconnect. */
	rs->w_next = TAILQ_FIRST(&rs->q);
	rs->inflight = 0;
	rs->w_paused = 0;
	uv_timer_stop(&rs->w_retry);
	rs->st.reconnects++;
	if (rs->ready_fn != NULL)
		rs->ready_fn(rs->ready_arg, 0);
}

/*
 * Answers that mean "not now" rather than "never".  OOM is one: a Redis at
 * maxmemory (noeviction) refuses writes until room is made, and an entry
 * dropped then would be a loss nobody counts on its workload; held, it
 * keeps the collector's ring from being given back, where the kernel
 * counts per workload what does not fit.
 */
static int
reply_transient(const char *msg)
{
	static const char *const busy[] = { "LOADING", "BUSY", "TRYAGAIN",
	    "MASTERDOWN", "CLUSTERDOWN", "NOREPLICAS", "READONLY", "OOM" };
	size_t i;

	for (i = 0; i < sizeof(busy) / sizeof(busy[0]); i++)
		if (strncmp(msg, busy[i], strlen(busy[i])) == 0)
			return 1;
	return 0;
}

/* The fields of a queued XADD (after its "*"); how many (at most max). */
static size_t
wentry_fields(const struct wentry *e, struct rs_field *f, size_t max)
{
	size_t n = 0;
	int i;

	for (i = 2; i < e->argc && strcmp(e->argv[i], "*") != 0; i++)
		;
	for (i++; i + 1 < e->argc && n < max; i += 2)
		f[n++] = (struct rs_field){ e->argv[i], e->argv[i + 1],
		    e->argvlen[i + 1] };
	return n;
}

/* A refused XADD's fields to the refused callback. */
static void
refused(struct rstream *rs, const struct wentry *e, const char *why)
{
	struct rs_field f[16];
	size_t n = wentry_fields(e, f, sizeof(f) / sizeof(f[0]));

	rs->refused_fn(rs->refused_arg, f, n, why);
}

int
rstream_take_queue(struct rstream *rs, rs_take_fn *fn, void *arg)
{
	struct rs_field f[16];
	struct wentry *e;
	int taken = 0;

	if (rs->cmd.ready || rs->inflight > 0)
		return -EBUSY;
	while ((e = TAILQ_FIRST(&rs->q)) != NULL) {
		size_t n = wentry_fields(e, f, sizeof(f) / sizeof(f[0]));

		if (fn(arg, e->argv[1], f, n, e->cookie) < 0)
			break;
		if (rs->w_next == e)
			rs->w_next = TAILQ_NEXT(e, link);
		TAILQ_REMOVE(&rs->q, e, link);
		rs->st.queued--;
		wentry_free(e);
		taken++;
	}
	return taken;
}

static void
writer_resume(uv_timer_t *t)
{
	struct rstream *rs = t->data;

	if (rs->inflight > 0) {
		/* Replies still owed: resending now would duplicate. */
		uv_timer_start(&rs->w_retry, writer_resume, 50, 0);
		return;
	}
	rs->w_paused = 0;
	rs->w_next = TAILQ_FIRST(&rs->q);
	writer_flush(rs);
}

static void
writer_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct rstream *rs = ((struct rconn *)ac->data)->rs;
	struct wentry *e = priv;
	redisReply *r = reply;

	if (r == NULL)
		return;		/* connection gone; writer_down rewinds */
	rs->inflight--;
	if (r->type == REDIS_REPLY_ERROR && reply_transient(r->str)) {
		rs->st.busy++;
		if (!rs->w_paused) {
			if (strncmp(r->str, "OOM", 3) == 0)
				log_warnx("redis is full (%s); writes wait for "
				    "room (raise redis.maxmemory_mb)", r->str);
			else
				log_info("redis busy (%s); pausing writes",
				    r->str);
			rs->w_paused = 1;
			uv_timer_start(&rs->w_retry, writer_resume, 200, 0);
		}
		return;
	}
	TAILQ_REMOVE(&rs->q, e, link);
	rs->st.queued--;
	if (r->type == REDIS_REPLY_ERROR) {
		rs->st.rejected++;
		if (rs->st.rejected < 10 || rs->st.rejected % 1000 == 0)
			log_warnx("redis refused XADD to %s (%llu so far): %s",
			    e->argv[1], (unsigned long long)rs->st.rejected,
			    r->str);
		if (rs->refused_fn != NULL)
			refused(rs, e, r->str);
		if (rs->written_fn != NULL)
			rs->written_fn(rs->written_arg, e->cookie, NULL);
	} else {
		rs->st.written++;
		if (rs->written_fn != NULL)
			rs->written_fn(rs->written_arg, e->cookie,
			    r->type == REDIS_REPLY_STRING ? r->str : "");
	}
	wentry_free(e);
	if (rs->stopping && TAILQ_EMPTY(&rs->q) && !rs->drained)
		uv_timer_start(&rs->drain, drain_done, 0, 0);
	writer_flush(rs);
}

static void
writer_flush(struct rstream *rs)
{
	uint64_t window = rs->batch * 4;
	uint64_t sent = 0;

	while (rs->cmd.ready && !rs->w_paused && rs->w_next != NULL && rs->inflight < window &&
	    sent < rs->batch) {
		struct wentry *e = rs->w_next;

		if (redisAsyncCommandArgv(rs->cmd.ac, writer_reply, e, e->argc,
		    e->argv, e->argvlen) != REDIS_OK)
			break;
		rs->inflight++;
		sent++;
		rs->w_next = TAILQ_NEXT(e, link);
	}
}

int
rstream_add(struct rstream *rs, const char *stream, uint64_t maxlen,
    const struct rs_field *fields, size_t n, uint64_t cookie)
{
	char maxbuf[24];
	struct wentry *e;
	size_t bytes, i;
	int argc, a = 0;
	char *p;

	if (rs->stopping)
		return -ESHUTDOWN;
	if (rs->st.queued >= rs->queue_max) {
		rs->st.overflow++;
		return -ENOBUFS;
	}
	argc = 2 + (maxlen ? 3 : 0) + 1 + 2 * (int)n;
	snprintf(maxbuf, sizeof(maxbuf), "%llu", (unsigned long long)maxlen);
	/* One allocation: header, argv, argvlen, then the bytes. */
	bytes = sizeof(*e) + (size_t)argc * (sizeof(char *) + sizeof(size_t));
	bytes += sizeof("XADD") + sizeof("MAXLEN") + sizeof("~") + sizeof("*");
	bytes += strlen(stream) + 1 + strlen(maxbuf) + 1;
	for (i = 0; i < n; i++)
		bytes += strlen(fields[i].name) + 1 + fields[i].len + 1;
	if ((e = malloc(bytes)) == NULL)
		return -ENOMEM;
	e->cookie = cookie;
	e->argc = argc;
	e->argv = (const char **)(e + 1);
	e->argvlen = (size_t *)(e->argv + argc);
	p = (char *)(e->argvlen + argc);
#define PUT(s, l) do { memcpy(p, s, l); p[l] = '\0'; e->argv[a] = p; \
	e->argvlen[a++] = l; p += (l) + 1; } while (0)
	PUT("XADD", 4);
	PUT(stream, strlen(stream));
	if (maxlen) {
		PUT("MAXLEN", 6);
		PUT("~", 1);
		PUT(maxbuf, strlen(maxbuf));
	}
	PUT("*", 1);
	for (i = 0; i < n; i++) {
		PUT(fields[i].name, strlen(fields[i].name));
		PUT(fields[i].val, fields[i].len);
	}
#undef PUT
	TAILQ_INSERT_TAIL(&rs->q, e, link);
	rs->st.queued++;
	if (rs->w_next == NULL)
		rs->w_next = e;
	writer_flush(rs);
	return 0;
}

struct cmd_ctx {
	rs_reply_fn	*fn;
	void		*arg;
};

static void
command_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct cmd_ctx *cc = priv;

	if (cc->fn != NULL)
		cc->fn(cc->arg, reply);
	free(cc);
}

int
rstream_command(struct rstream *rs, rs_reply_fn *fn, void *arg, int argc,
    const char **argv, const size_t *argvlen)
{
	struct cmd_ctx *cc;

	if (!rs->cmd.ready || rs->stopping)
		return -ENOTCONN;
	if ((cc = malloc(sizeof(*cc))) == NULL)
		return -ENOMEM;
	cc->fn = fn;
	cc->arg = arg;
	if (redisAsyncCommandArgv(rs->cmd.ac, command_reply, cc, argc, argv,
	    argvlen) != REDIS_OK) {
		free(cc);
		return -EIO;
	}
	return 0;
}

/* ----------------------------------------------------------------- reader */

const char *
rs_msg_field(const struct rs_msg *m, const char *name, size_t *len)
{
	const redisReply *f = m->fields;
	size_t i;

	if (f == NULL || f->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (i = 0; i + 1 < f->elements; i += 2) {
		const redisReply *k = f->element[i], *v = f->element[i + 1];

		if (k->type == REDIS_REPLY_STRING && strcmp(k->str, name) == 0 &&
		    v->type == REDIS_REPLY_STRING) {
			if (len != NULL)
				*len = v->len;
			return v->str;
		}
	}
	return NULL;
}

static void
reader_dead_letter(struct rstream_reader *rd, const redisReply *id,
    const redisReply *fields, const char *why)
{
	struct rstream *rs = rd->rs;
	struct rs_field f[32];
	size_t n = 0, i;

	f[n++] = (struct rs_field){ "stream", rd->stream, strlen(rd->stream) };
	f[n++] = (struct rs_field){ "id", id->str, id->len };
	f[n++] = (struct rs_field){ "group", rd->group, strlen(rd->group) };
	f[n++] = (struct rs_field){ "error", why, strlen(why) };
	/* Keep the original fields so nothing is lost. */
	if (fields != NULL && fields->type == REDIS_REPLY_ARRAY)
		for (i = 0; i + 1 < fields->elements && n + 2 <= 32; i += 2) {
			const redisReply *k = fields->element[i];
			const redisReply *v = fields->element[i + 1];

			if (k->type != REDIS_REPLY_STRING ||
			    v->type != REDIS_REPLY_STRING)
				continue;
			if (strcmp(k->str, "stream") == 0 ||
			    strcmp(k->str, "id") == 0 ||
			    strcmp(k->str, "group") == 0 ||
			    strcmp(k->str, "error") == 0)
				continue;
			f[n++] = (struct rs_field){ k->str, v->str, v->len };
		}
	if (rstream_add(rs, rs->dead_letter, 0, f, n, 0) < 0)
		log_warnx("rstream: dead-letter queue full; poison entry %s of "
		    "%s dropped after counting", id->str, rd->stream);
}

/* Handle the entries of one reply; returns how many there were. */
static size_t
reader_entries(struct rstream_reader *rd, const redisReply *list)
{
	struct rstream *rs = rd->rs;
	const char **argv = NULL;
	size_t *argvlen = NULL;
	size_t i, nack = 0;

	if (list == NULL || list->type != REDIS_REPLY_ARRAY ||
	    list->elements == 0)
		return 0;
	argv = calloc(list->elements + 3, sizeof(*argv));
	argvlen = calloc(list->elements + 3, sizeof(*argvlen));
	if (argv == NULL || argvlen == NULL) {
		free(argv);
		free(argvlen);
		return list->elements;	/* unacked: redelivered later */
	}
	argv[0] = "XACK";
	argv[1] = rd->stream;
	argv[2] = rd->group;
	for (i = 0; i < 3; i++)
		argvlen[i] = strlen(argv[i]);
	nack = 3;
	for (i = 0; i < list->elements; i++) {
		const redisReply *ent = list->element[i], *id, *fields;
		struct rs_msg m;
		char err[256] = "";
		int rc;

		if (ent->type != REDIS_REPLY_ARRAY || ent->elements != 2 ||
		    ent->element[0]->type != REDIS_REPLY_STRING)
			continue;
		id = ent->element[0];
		fields = ent->element[1];
		if (fields->type != REDIS_REPLY_ARRAY) {
			/* A pending entry that trimming already removed. */
			rs->st.trimmed++;
			argv[nack] = id->str;
			argvlen[nack++] = id->len;
			continue;
		}
		memset(&m, 0, sizeof(m));
		m.stream = rd->stream;
		m.id = id->str;
		m.redelivered = rd->phase != RD_LIVE;
		m.fields = fields;
		m.body = rs_msg_field(&m, "msgpack", &m.len);
		rs->st.delivered++;
		if (m.body == NULL) {
			snprintf(err, sizeof(err), "no msgpack field");
			rc = -EPROTO;
		} else {
			rc = rd->fn(rd->arg, &m, err, sizeof(err));
		}
		if (rc == -EAGAIN) {
			rs->st.retried++;
			continue;
		}
		if (rc == RS_DEFER)
			continue;	/* the handler acknowledges it */
		if (rc < 0) {
			rs->st.poison++;
			if (rs->st.poison < 10 || rs->st.poison % 1000 == 0)
				log_warnx("%s %s: poison entry (%llu so far): %s",
				    rd->stream, id->str,
				    (unsigned long long)rs->st.poison, err);
			reader_dead_letter(rd, id, fields,
			    err[0] ? err : "handler error");
		}
		argv[nack] = id->str;
		argvlen[nack++] = id->len;
	}
	if (nack > 3 && rstream_command(rs, NULL, NULL, (int)nack, argv,
	    argvlen) == 0)
		rs->st.acked += nack - 3;
	free(argv);
	free(argvlen);
	if (rd->batch_fn != NULL)
		rd->batch_fn(rd->batch_arg);
	return list->elements;
}

void
rstream_reader_on_batch(struct rstream_reader *rd, rs_batch_fn *fn,
    void *arg)
{
	rd->batch_fn = fn;
	rd->batch_arg = arg;
}

int
rstream_ack(struct rstream_reader *rd, const char *const *ids, size_t n)
{
	const char **argv;
	size_t *lens, i;
	int rc;

	if (n == 0)
		return 0;
	argv = calloc(n + 3, sizeof(*argv));
	lens = calloc(n + 3, sizeof(*lens));
	if (argv == NULL || lens == NULL) {
		free(argv);
		free(lens);
		return -ENOMEM;
	}
	argv[0] = "XACK";
	argv[1] = rd->stream;
	argv[2] = rd->group;
	for (i = 0; i < n; i++)
		argv[3 + i] = ids[i];
	for (i = 0; i < n + 3; i++)
		lens[i] = strlen(argv[i]);
	rc = rstream_command(rd->rs, NULL, NULL, (int)(n + 3), argv, lens);
	if (rc == 0)
		rd->rs->st.acked += n;
	free(argv);
	free(lens);
	return rc;
}

static void
reader_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct rstream_reader *rd = priv;
	redisReply *r = reply;
	size_t got = 0;

	if (r == NULL || rd->rs->stopping)
		return;
	if (r->type == REDIS_REPLY_ERROR) {
		if (rd->phase == RD_GROUP && strncmp(r->str, "BUSYGROUP", 9) == 0) {
			/* The group exists: fine. */
		} else if (strncmp(r->str, "NOGROUP", 7) == 0) {
			/* Someone deleted the stream or group: recreate. */
			log_warnx("%s: %s; recreating the group", rd->stream,
			    r->str);
			rd->phase = RD_DOWN;
		} else {
			log_warnx("%s: redis error: %s", rd->stream, r->str);
			redisAsyncDisconnect(ac);
			return;
		}
	}
	switch (rd->phase) {
	case RD_DOWN:
		break;
	case RD_GROUP:
		rd->phase = RD_PENDING;
		snprintf(rd->cursor, sizeof(rd->cursor), "0");
		break;
	case RD_PENDING:
		/* [[stream, [entries]]]; continue after the last id seen */
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
		    r->element[0]->type == REDIS_REPLY_ARRAY &&
		    r->element[0]->elements == 2) {
			const redisReply *l = r->element[0]->element[1];

			got = reader_entries(rd, l);
			if (got > 0 && l->element[got - 1]->type ==
			    REDIS_REPLY_ARRAY && l->element[got - 1]->elements > 0 &&
			    l->element[got - 1]->element[0]->type ==
			    REDIS_REPLY_STRING)
				snprintf(rd->cursor, sizeof(rd->cursor), "%s",
				    l->element[got - 1]->element[0]->str);
		}
		if (got == 0) {
			rd->phase = RD_CLAIM;
			snprintf(rd->cursor, sizeof(rd->cursor), "0-0");
		}
		break;
	case RD_CLAIM:
		/* [next-cursor, [entries], [deleted ids]] */
		if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
		    r->element[0]->type == REDIS_REPLY_STRING) {
			size_t before = rd->rs->st.delivered;

			reader_entries(rd, r->element[1]);
			rd->rs->st.claimed += rd->rs->st.delivered - before;
			snprintf(rd->cursor, sizeof(rd->cursor), "%s",
			    r->element[0]->str);
		} else {
			snprintf(rd->cursor, sizeof(rd->cursor), "0-0");
		}
		if (strcmp(rd->cursor, "0-0") == 0) {
			rd->phase = RD_LIVE;
			rd->claim_due = 0;
		}
		break;
	case RD_LIVE:
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
		    r->element[0]->type == REDIS_REPLY_ARRAY &&
		    r->element[0]->elements == 2)
			reader_entries(rd, r->element[0]->element[1]);
		if (rd->claim_due) {
			rd->phase = RD_CLAIM;
			snprintf(rd->cursor, sizeof(rd->cursor), "0-0");
		}
		break;
	}
	reader_next(rd);
}

static void
reader_next(struct rstream_reader *rd)
{
	struct rstream *rs = rd->rs;
	redisAsyncContext *ac = rd->conn.ac;
	char count[16], block[24], idle[24];
	int rc = REDIS_OK;

	if (ac == NULL || !rd->conn.ready || rs->stopping)
		return;
	snprintf(count, sizeof(count), "%d", READ_COUNT);
	snprintf(block, sizeof(block), "%llu", (unsigned long long)rs->block_ms);
	snprintf(idle, sizeof(idle), "%llu",
	    (unsigned long long)rs->claim_idle_ms);
	switch (rd->phase) {
	case RD_DOWN:
		rd->phase = RD_GROUP;
		rc = redisAsyncCommand(ac, reader_reply, rd,
		    "XGROUP CREATE %s %s %s MKSTREAM", rd->stream, rd->group,
		    rd->start_id);
		break;
	case RD_GROUP:
		break;
	case RD_PENDING:
		rc = redisAsyncCommand(ac, reader_reply, rd,
		    "XREADGROUP GROUP %s %s COUNT %s STREAMS %s %s", rd->group,
		    rd->consumer, count, rd->stream, rd->cursor);
		break;
	case RD_CLAIM:
		rc = redisAsyncCommand(ac, reader_reply, rd,
		    "XAUTOCLAIM %s %s %s %s %s COUNT %s", rd->stream, rd->group,
		    rd->consumer, idle, rd->cursor, count);
		break;
	case RD_LIVE:
		rc = redisAsyncCommand(ac, reader_reply, rd,
		    "XREADGROUP GROUP %s %s COUNT %s BLOCK %s STREAMS %s >",
		    rd->group, rd->consumer, count, block, rd->stream);
		break;
	}
	if (rc != REDIS_OK)
		log_warnx("%s: cannot send to redis", rd->stream);
}

static void
reader_up(struct rconn *c)
{
	struct rstream_reader *rd = c->owner;

	rd->phase = RD_DOWN;
	reader_next(rd);
}

static void
reader_down(struct rconn *c)
{
	struct rstream_reader *rd = c->owner;

	rd->phase = RD_DOWN;
}

struct rstream_reader *
rstream_reader_new(struct rstream *rs, const char *stream, const char *group,
    const char *consumer, const char *start_id, rs_handler_fn *fn, void *arg)
{
	struct rstream_reader *rd;

	if ((rd = calloc(1, sizeof(*rd))) == NULL)
		return NULL;
	rd->rs = rs;
	rd->fn = fn;
	rd->arg = arg;
	rd->stream = strdup(stream);
	rd->group = strdup(group);
	rd->consumer = strdup(consumer);
	rd->start_id = strdup(start_id ? start_id : "0");
	if (!rd->stream || !rd->group || !rd->consumer || !rd->start_id) {
		free(rd->stream);
		free(rd->group);
		free(rd->consumer);
		free(rd->start_id);
		free(rd);
		return NULL;
	}
	rconn_init(rs, &rd->conn, rd->stream, reader_up, reader_down, rd);
	LIST_INSERT_HEAD(&rs->readers, rd, link);
	rconn_connect(&rd->conn);
	return rd;
}

/* -------------------------------------------------------------- lifecycle */

struct rstream *
rstream_new(uv_loop_t *loop, const struct rstream_config *cfg, char *err,
    size_t errlen)
{
	struct rstream *rs;

	if ((rs = calloc(1, sizeof(*rs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (rstream_parse_url(cfg->url, &rs->url, err, errlen) < 0) {
		free(rs);
		return NULL;
	}
	if (cfg->user != NULL && cfg->user[0] != '\0')
		snprintf(rs->url.user, sizeof(rs->url.user), "%s", cfg->user);
	if (cfg->password != NULL && cfg->password[0] != '\0')
		snprintf(rs->url.password, sizeof(rs->url.password), "%s",
		    cfg->password);
	rs->loop = loop;
	rs->name = strdup(cfg->name ? cfg->name : "paddock");
	rs->dead_letter = strdup(cfg->dead_letter ? cfg->dead_letter :
	    "paddock:dead-letter");
	if (rs->name == NULL || rs->dead_letter == NULL) {
		free(rs->name);
		free(rs->dead_letter);
		free(rs);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rs->queue_max = cfg->queue_max ? cfg->queue_max : 100000;
	rs->batch = cfg->batch ? cfg->batch : 256;
	rs->block_ms = cfg->block_ms ? cfg->block_ms : 1000;
	rs->claim_idle_ms = cfg->claim_idle_ms ? cfg->claim_idle_ms : 30000;
	TAILQ_INIT(&rs->q);
	LIST_INIT(&rs->readers);
	uv_timer_init(loop, &rs->drain);
	rs->drain.data = rs;
	uv_timer_init(loop, &rs->w_retry);
	rs->w_retry.data = rs;
	rs->handles += 2;
	rconn_init(rs, &rs->cmd, "commands", writer_up, writer_down, rs);
	rconn_connect(&rs->cmd);
	return rs;
}

void
rstream_on_refused(struct rstream *rs, rs_refused_fn *fn, void *arg)
{
	rs->refused_fn = fn;
	rs->refused_arg = arg;
}

void
rstream_on_written(struct rstream *rs, rs_written_fn *fn, void *arg)
{
	rs->written_fn = fn;
	rs->written_arg = arg;
}

void
rstream_on_ready(struct rstream *rs, rs_ready_fn *fn, void *arg)
{
	rs->ready_fn = fn;
	rs->ready_arg = arg;
}

int
rstream_is_up(const struct rstream *rs)
{
	return rs->cmd.ready;
}

void
rstream_tick(struct rstream *rs)
{
	struct rstream_reader *rd;
	uint64_t now = uv_now(rs->loop);

	if (now - rs->last_claim < rs->claim_idle_ms / 2)
		return;
	rs->last_claim = now;
	LIST_FOREACH(rd, &rs->readers, link)
		rd->claim_due = 1;
}

void
rstream_stats(const struct rstream *rs, struct rstream_stats *st)
{
	*st = rs->st;
}

static void
rstream_finish(struct rstream *rs)
{
	struct rstream_reader *rd;
	struct wentry *e;
	rs_done_fn *done = rs->done_fn;
	void *arg = rs->done_arg;

	while ((rd = LIST_FIRST(&rs->readers)) != NULL) {
		LIST_REMOVE(rd, link);
		free(rd->stream);
		free(rd->group);
		free(rd->consumer);
		free(rd->start_id);
		free(rd);
	}
	while ((e = TAILQ_FIRST(&rs->q)) != NULL) {
		TAILQ_REMOVE(&rs->q, e, link);
		wentry_free(e);
	}
	free(rs->name);
	free(rs->dead_letter);
	free(rs);
	if (done != NULL)
		done(arg);
}

static void
drain_done(uv_timer_t *t)
{
	struct rstream *rs = t->data;
	struct rstream_reader *rd;

	if (rs->drained)
		return;
	rs->drained = 1;
	if (rs->st.queued > 0)
		log_warnx("%s: stopping with %llu entries not confirmed by "
		    "redis", rs->name, (unsigned long long)rs->st.queued);
	LIST_FOREACH(rd, &rs->readers, link) {
		rd->conn.ready = 0;	/* a blocked read owes nothing useful */
		rconn_close(&rd->conn);
	}
	rconn_close(&rs->cmd);
	uv_close((uv_handle_t *)&rs->w_retry, handle_closed);
	uv_close((uv_handle_t *)&rs->drain, handle_closed);
}

void
rstream_stop(struct rstream *rs, uint64_t drain_ms, rs_done_fn *done,
    void *arg)
{
	if (rs->stopping)
		return;
	rs->done_fn = done;
	rs->done_arg = arg;
	/* Readers stop first so that no new work arrives. */
	rs->stopping = 1;
	if (TAILQ_EMPTY(&rs->q) || !rs->cmd.ready)
		drain_ms = 0;
	uv_timer_start(&rs->drain, drain_done, drain_ms, 0);
}

/* ------------------------------------------------------------ sync helper */

redisContext *
rstream_connect_sync(const char *url, const char *user, const char *password,
    int timeout_ms, char *err, size_t errlen)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	struct rstream_url u;
	redisContext *c;
	redisReply *r;
	char where[300];

	if (rstream_parse_url(url, &u, err, errlen) < 0)
		return NULL;
	if (user != NULL && user[0] != '\0')
		snprintf(u.user, sizeof(u.user), "%s", user);
	if (password != NULL && password[0] != '\0')
		snprintf(u.password, sizeof(u.password), "%s", password);
	url_where(&u, where, sizeof(where));
	c = u.is_unix ? redisConnectUnixWithTimeout(u.path, tv) :
	    redisConnectWithTimeout(u.host, u.port, tv);
	if (c == NULL || c->err) {
		snprintf(err, errlen, "cannot reach Redis at %s: %s", where,
		    c ? c->errstr : "out of memory");
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	if (u.password[0] != '\0') {
		r = u.user[0] ? redisCommand(c, "AUTH %s %s", u.user, u.password) :
		    redisCommand(c, "AUTH %s", u.password);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			snprintf(err, errlen, "Redis at %s refused AUTH: %s",
			    where, r ? r->str : c->errstr);
			if (r != NULL)
				freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	if (u.db != 0) {
		r = redisCommand(c, "SELECT %d", u.db);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			snprintf(err, errlen, "Redis at %s refused SELECT %d",
			    where, u.db);
			if (r != NULL)
				freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	return c;
}
