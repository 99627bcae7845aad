/*
 * daemon: see daemon.h.
 */
#include <sys/signalfd.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "daemon.h"
#include "log.h"
#include "sd.h"
#include "secret.h"
#include "self.h"
#include "sigguard.h"

#define DEFAULT_TICK_MS	1000

static void	self_register(struct daemon *, int);
#define DRAIN_MS	2000

static void
usage(const struct daemon_ops *ops, FILE *f)
{
	fprintf(f,
	    "usage: %s [-dnv] [-c file] [-i instance] [--redis URL]\n"
	    "%s\n\n"
	    "  -c file       configuration file (default %s)\n"
	    "  -d            stay in the foreground, log to stderr\n"
	    "  -n            check the configuration and exit\n"
	    "  -v            more verbose (repeat for more)\n"
	    "  -i instance   instance name within this host (default 0)\n"
	    "  --redis URL   redis://host:port or unix:///path (overrides the\n"
	    "                configuration and $PADDOCK_REDIS)\n"
	    "  -h, --help    this help\n",
	    ops->name, ops->summary, CONF_DEFAULT_PATH);
	if (ops->usage != NULL)
		fprintf(f, "%s", ops->usage);
}

uint64_t
daemon_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *
daemon_key(const struct daemon *d, const char *suffix, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", d->conf.redis.prefix, suffix);
	return buf;
}

/* The fields of an entry (docs/wire-format.md); b owns the body. */
static int
entry_fields(const char *key, enum wire_kind kind, const void *rec,
    const char *workload, const char *host, uint64_t ts_ns,
    struct rs_field f[6], struct wire_buf *b, char *what, size_t whatlen,
    char *when, size_t whenlen)
{
	char err[WIRE_ERRLEN];
	const char *kname = wire_kind_name(kind);
	int rc;

	if ((rc = wire_encode(kind, rec, b, err, sizeof(err))) < 0) {
		log_warnx("%s: not publishing a bad %s record: %s", key, kname,
		    err);
		return rc;
	}
	wire_summary(kind, rec, what, whatlen);
	wire_time_iso(ts_ns, when, whenlen);
	f[0] = (struct rs_field){ "kind", kname, strlen(kname) };
	f[1] = (struct rs_field){ "workload", workload, strlen(workload) };
	f[2] = (struct rs_field){ "host", host, strlen(host) };
	f[3] = (struct rs_field){ "time", when, strlen(when) };
	f[4] = (struct rs_field){ "what", what, strlen(what) };
	f[5] = (struct rs_field){ "msgpack", b->data, b->len };
	return 0;
}

int
stream_publish(struct rstream *rs, const char *key, uint64_t maxlen,
    enum wire_kind kind, const void *rec, const char *workload,
    const char *host, uint64_t ts_ns, uint64_t cookie)
{
	char what[512], when[64];
	struct wire_buf b = { 0 };
	struct rs_field f[6];
	int rc;

	if ((rc = entry_fields(key, kind, rec, workload, host, ts_ns, f, &b,
	    what, sizeof(what), when, sizeof(when))) < 0)
		return rc;
	rc = rstream_add(rs, key, maxlen, f, 6, cookie);
	wire_buf_free(&b);
	return rc;
}

int
stream_publish_sync(struct redisContext *c, const char *key, uint64_t maxlen,
    enum wire_kind kind, const void *rec, const char *workload,
    const char *host, uint64_t ts_ns, char *id, size_t idlen)
{
	char what[512], when[64], ml[24];
	struct wire_buf b = { 0 };
	struct rs_field f[6];
	const char *argv[18];
	size_t lens[18];
	redisReply *r;
	int a = 0, i, rc;

	if ((rc = entry_fields(key, kind, rec, workload, host, ts_ns, f, &b,
	    what, sizeof(what), when, sizeof(when))) < 0)
		return rc;
	argv[a++] = "XADD";
	argv[a++] = key;
	if (maxlen > 0) {
		snprintf(ml, sizeof(ml), "%llu", (unsigned long long)maxlen);
		argv[a++] = "MAXLEN";
		argv[a++] = "~";
		argv[a++] = ml;
	}
	argv[a++] = "*";
	for (i = 0; i < a; i++)
		lens[i] = strlen(argv[i]);
	for (i = 0; i < 6; i++) {
		argv[a] = f[i].name;
		lens[a++] = strlen(f[i].name);
		argv[a] = f[i].val;
		lens[a++] = f[i].len;
	}
	r = redisCommandArgv(c, a, argv, lens);
	wire_buf_free(&b);
	if (r == NULL || r->type != REDIS_REPLY_STRING) {
		rc = r == NULL ? -EIO : -EPROTO;
		freeReplyObject(r);
		return rc;
	}
	if (id != NULL)
		snprintf(id, idlen, "%s", r->str);
	freeReplyObject(r);
	return 0;
}

static void
handle_closed(uv_handle_t *h)
{
	struct daemon *d = h->data;

	d->handles--;
}

static void
rs_stopped(void *arg)
{
	struct daemon *d = arg;

	d->rs = NULL;
	uv_close((uv_handle_t *)&d->sigpoll, handle_closed);
	uv_close((uv_handle_t *)&d->housekeeping, handle_closed);
}

static void
daemon_stopped(struct daemon *d)
{
	if (d->rs != NULL)
		rstream_stop(d->rs, DRAIN_MS, rs_stopped, d);
	else
		rs_stopped(d);
}

void
daemon_shutdown(struct daemon *d, int code)
{
	if (d->stopping)
		return;
	d->stopping = 1;
	d->exit_code = code;
	sd_notify_msg("STOPPING=1");
	log_info("stopping");
	uv_timer_stop(&d->housekeeping);
	self_register(d, 0);
	if (d->ops->stop != NULL)
		d->ops->stop(d, daemon_stopped);
	else
		daemon_stopped(d);
}

static void
reload(struct daemon *d)
{
	struct paddock_conf c;
	char err[CONF_ERRLEN];
	int rc;

	conf_defaults(&c);
	rc = conf_load(d->conf_path, &c, err, sizeof(err));
	if (rc < 0 && rc != -ENOENT) {
		log_warnx("reload refused, keeping the running configuration: "
		    "%s", err);
		return;
	}
	/* Redis and identity settings need a restart to change. */
	c.redis = d->conf.redis;
	memcpy(c.host, d->conf.host, sizeof(c.host));
	d->conf = c;
	log_info("configuration reloaded");
	if (d->ops->reload != NULL)
		d->ops->reload(d);
}

/* One signal, from whom sigguard says may send it. */
static void
on_one_signal(struct daemon *d, const struct signalfd_siginfo *si)
{
	struct timespec now;
	enum sg_verdict v;
	uint64_t mark = 0;
	sigset_t one;
	int marked;

	clock_gettime(CLOCK_MONOTONIC, &now);
	marked = sigguard_marked(d->conf.enforced.bpffs, &d->markfd,
	    si->ssi_pid, &mark);
	v = sigguard_judge((int)si->ssi_signo, si->ssi_code, marked, mark,
	    (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec);
	if (v != SG_HONOUR) {
		log_warnx("SIG%s from pid %u refused: %s",
		    sigabbrev_np((int)si->ssi_signo) ?
		    sigabbrev_np((int)si->ssi_signo) : "?", si->ssi_pid,
		    sigguard_why(v));
		return;
	}
	switch (si->ssi_signo) {
	case SIGHUP:
		reload(d);
		return;
	case SIGTERM:
	case SIGINT:
		daemon_shutdown(d, 0);
		return;
	}
	/* Any other: its default action, as if we had never taken it. */
	log_warnx("SIG%s from pid %u: default action",
	    sigabbrev_np((int)si->ssi_signo) ?
	    sigabbrev_np((int)si->ssi_signo) : "?", si->ssi_pid);
	signal((int)si->ssi_signo, SIG_DFL);
	sigemptyset(&one);
	sigaddset(&one, (int)si->ssi_signo);
	raise((int)si->ssi_signo);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
}

static void
on_signals(uv_poll_t *h, int status, int events)
{
	struct daemon *d = h->data;
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		on_one_signal(d, &si);
}

static void
on_tick(uv_timer_t *t)
{
	struct daemon *d = t->data;
	uint64_t now = uv_now(d->loop), mark;

	if (d->markfd < 0)	/* the enforcer's `sigmark`, once it is there */
		sigguard_marked(d->conf.enforced.bpffs, &d->markfd, 0, &mark);
	if (d->rs != NULL)
		rstream_tick(d->rs);
	if (!d->self_ok || ++d->ticks % 10 == 0)
		self_register(d, 1);
	if (d->ops->tick != NULL)
		d->ops->tick(d);
	if (d->watchdog_ms && now - d->last_watchdog >= d->watchdog_ms / 2) {
		sd_notify_msg("WATCHDOG=1");
		d->last_watchdog = now;
	}
}

/*
 * This process in `P daemons:<host>` (self.h), so that no collector
 * observes it: at start, again every 10 ticks (Redis may have lost it),
 * and out again at a clean stop.  Queued while Redis is away.
 */
static void
self_registered(void *arg, redisReply *r)
{
	struct daemon *d = arg;

	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		d->self_ok = 1;
}

static void
self_register(struct daemon *d, int on)
{
	const char *argv[4];
	char key[WIRE_HOST_MAX + 80], field[64], val[64];
	const char *name = d->ops->name;

	if (d->rs == NULL || (on && self_entry(val, sizeof(val)) < 0))
		return;
	if (strncmp(name, "paddock-", 8) == 0)
		name += 8;
	snprintf(field, sizeof(field), "%s/%s", name, d->instance);
	snprintf(key, sizeof(key), "%sdaemons:%s", d->conf.redis.prefix,
	    d->host);
	argv[0] = on ? "HSET" : "HDEL";
	argv[1] = key;
	argv[2] = field;
	argv[3] = val;
	rstream_command(d->rs, on ? self_registered : NULL, d, on ? 4 : 3,
	    argv, NULL);
}

/* Is pid in a `quiet` list ("1 2 3")? */
static int
in_list(const char *list, size_t len, pid_t pid)
{
	char buf[256], *t, *save = NULL;

	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, list, len);
	buf[len] = '\0';
	for (t = strtok_r(buf, " ", &save); t != NULL;
	    t = strtok_r(NULL, " ", &save))
		if (strtol(t, NULL, 10) == (long)pid)
			return 1;
	return 0;
}

/*
 * Before the daemon's start hook, on a blocking connection (the loop does
 * not run yet): registered in `P daemons:<host>`, and, when a collector
 * of this host is alive there, until it lists this pid in `quiet` (2 s at
 * most; it looks every 250 ms), so that nothing the daemon does from its
 * start on is observed.  Without Redis the loop's ticks register it.
 */
static void
self_register_sync(struct daemon *d)
{
	char key[WIRE_HOST_MAX + 80], field[64], val[64], err[256];
	const char *name = d->ops->name + (strncmp(d->ops->name, "paddock-",
	    8) == 0 ? 8 : 0);
	int collector = 0, i;
	redisContext *c;
	redisReply *r;
	uint32_t pid;
	size_t j;

	if (self_entry(val, sizeof(val)) < 0 || (c = rstream_connect_sync(
	    d->conf.redis.url, d->conf.redis.user, d->conf.redis.password,
	    1000, err, sizeof(err))) == NULL)
		return;
	snprintf(field, sizeof(field), "%s/%s", name, d->instance);
	snprintf(key, sizeof(key), "%sdaemons:%s", d->conf.redis.prefix,
	    d->host);
	r = redisCommand(c, "HSET %s %s %s", key, field, val);
	d->self_ok = r != NULL && r->type == REDIS_REPLY_INTEGER;
	freeReplyObject(r);
	if (!d->self_ok || strcmp(name, "collectd") == 0)
		goto done;
	for (i = 0; i < 40; i++) {
		if ((r = redisCommand(c, "HGETALL %s", key)) == NULL ||
		    r->type != REDIS_REPLY_ARRAY)
			break;
		for (j = 0; i == 0 && j + 1 < r->elements; j += 2)
			if (strncmp(r->element[j]->str, "collectd/", 9) == 0 &&
			    self_check("/proc", r->element[j + 1]->str,
			    r->element[j + 1]->len, &pid) == 0)
				collector = 1;
		for (j = 0; collector && j + 1 < r->elements; j += 2)
			if (strcmp(r->element[j]->str, "quiet") == 0 &&
			    in_list(r->element[j + 1]->str,
			    r->element[j + 1]->len, getpid()))
				break;
		if (!collector || j + 1 < r->elements)
			break;	/* no collector here, or it leaves us out */
		freeReplyObject(r);
		r = NULL;
		usleep(50000);
	}
	if (i == 40)
		log_warnx("the collector did not list this daemon as Paddock's "
		    "own within 2 s: what it does until then may be observed");
	freeReplyObject(r);
done:
	redisFree(c);
}

static int
load_conf(struct daemon *d, int explicit_conf)
{
	char err[CONF_ERRLEN];
	int rc;

	conf_defaults(&d->conf);
	rc = conf_load(d->conf_path, &d->conf, err, sizeof(err));
	if (rc == -ENOENT && !explicit_conf)
		return 0;	/* no file: defaults */
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", d->ops->name, err);
		return rc;
	}
	if (d->ops->check != NULL &&
	    (rc = d->ops->check(&d->conf, err, sizeof(err))) < 0) {
		fprintf(stderr, "%s: %s: %s\n", d->ops->name, d->conf_path, err);
		return rc;
	}
	return 0;
}

int
daemon_main(int argc, char **argv, const struct daemon_ops *ops, void *priv)
{
	static const struct option longopts[] = {
		{ "redis", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d;
	struct rstream_config rc_cfg;
	char optstr[64], err[CONF_ERRLEN], dlq[160];
	uint64_t mark;
	const char *redis = getenv("PADDOCK_REDIS");
	int ch, check_only = 0, verbose = 0, explicit_conf = 0, rc;

	memset(&d, 0, sizeof(d));
	d.ops = ops;
	d.priv = priv;
	snprintf(d.conf_path, sizeof(d.conf_path), "%s", CONF_DEFAULT_PATH);
	snprintf(d.instance, sizeof(d.instance), "0");
	snprintf(optstr, sizeof(optstr), "c:dhi:nv%s",
	    ops->extra_opts ? ops->extra_opts : "");
	while ((ch = getopt_long(argc, argv, optstr, longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			snprintf(d.conf_path, sizeof(d.conf_path), "%s", optarg);
			explicit_conf = 1;
			break;
		case 'd':
			d.foreground = 1;
			break;
		case 'h':
			usage(ops, stdout);
			return 0;
		case 'i':
			snprintf(d.instance, sizeof(d.instance), "%s", optarg);
			break;
		case 'n':
			check_only = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'R':
			redis = optarg;
			break;
		default:
			if (ops->opt != NULL && strchr(ops->extra_opts ?
			    ops->extra_opts : "", ch) != NULL &&
			    ops->opt(&d, ch, optarg) == 0)
				break;
			usage(ops, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(ops, stderr);
		return 2;
	}
	if (load_conf(&d, explicit_conf) < 0)
		return 1;
	if (redis != NULL && redis[0] != '\0') {
		struct rstream_url u;

		if (rstream_parse_url(redis, &u, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: %s\n", ops->name, err);
			return 1;
		}
		snprintf(d.conf.redis.url, sizeof(d.conf.redis.url), "%s", redis);
	}
	if (check_only) {
		printf("%s: configuration OK (%s)\n", ops->name,
		    d.conf.path[0] ? d.conf.path : "built-in defaults");
		return 0;
	}

	log_init(ops->name, d.foreground, verbose);
	log_libbpf_install();
	if (!d.foreground && daemon(0, 0) < 0)
		fatal("daemon");
	if (d.conf.host[0] != '\0')
		snprintf(d.host, sizeof(d.host), "%s", d.conf.host);
	else if (gethostname(d.host, sizeof(d.host)) < 0)
		snprintf(d.host, sizeof(d.host), "localhost");
	d.host[sizeof(d.host) - 1] = '\0';
	snprintf(d.consumer, sizeof(d.consumer), "%s/%s", d.host, d.instance);
	signal(SIGPIPE, SIG_IGN);
	/* Before any thread: every one inherits the mask. */
	if ((d.sigfd = sigguard_open()) < 0)
		fatalx("signalfd: %s", strerror(-d.sigfd));
	d.markfd = -1;	/* `sigmark`, held from the first time it is there */
	sigguard_marked(d.conf.enforced.bpffs, &d.markfd, 0, &mark);

	/* Paddock's own Redis user for this daemon, when the configuration
	 * names none and its secret is there (secret.h). */
	if (d.conf.redis.user[0] == '\0') {
		char pw[SECRET_HEX];

		if (secret_read(d.conf.state_dir, ops->name, pw) == 0) {
			snprintf(d.conf.redis.user, sizeof(d.conf.redis.user),
			    "%s", ops->name);
			snprintf(d.conf.redis.password,
			    sizeof(d.conf.redis.password), "%s", pw);
		}
	}
	d.loop = uv_default_loop();
	memset(&rc_cfg, 0, sizeof(rc_cfg));
	rc_cfg.url = d.conf.redis.url;
	rc_cfg.user = d.conf.redis.user;
	rc_cfg.password = d.conf.redis.password;
	rc_cfg.name = ops->name;
	rc_cfg.queue_max = d.conf.redis.queue_max;
	rc_cfg.batch = d.conf.redis.batch;
	rc_cfg.block_ms = d.conf.redis.block_ms;
	rc_cfg.claim_idle_ms = d.conf.redis.claim_idle_ms;
	rc_cfg.dead_letter = daemon_key(&d, "dead-letter", dlq, sizeof(dlq));
	if ((d.rs = rstream_new(d.loop, &rc_cfg, err, sizeof(err))) == NULL)
		fatalx("%s", err);

	uv_poll_init(d.loop, &d.sigpoll, d.sigfd);
	uv_timer_init(d.loop, &d.housekeeping);
	d.sigpoll.data = d.housekeeping.data = &d;
	d.handles = 2;
	uv_poll_start(&d.sigpoll, UV_READABLE, on_signals);
	d.tick_ms = d.tick_ms ? d.tick_ms : DEFAULT_TICK_MS;
	d.watchdog_ms = sd_watchdog_ms();
	uv_timer_start(&d.housekeeping, on_tick, d.tick_ms, d.tick_ms);
	self_register_sync(&d);		/* before anything it does is seen */

	if (ops->start != NULL && (rc = ops->start(&d)) < 0) {
		log_warnx("start-up failed: %s", strerror(-rc));
		daemon_shutdown(&d, 1);
	} else {
		log_info("started (redis %s, prefix %s, consumer %s)",
		    d.conf.redis.url, d.conf.redis.prefix, d.consumer);
		sd_notify_msg("READY=1");
	}
	uv_run(d.loop, UV_RUN_DEFAULT);
	if (uv_loop_close(d.loop) != 0)
		log_warnx("event loop closed with handles still open");
	close(d.sigfd);
	if (d.markfd >= 0)
		close(d.markfd);
	log_info("stopped");
	return d.exit_code;
}
