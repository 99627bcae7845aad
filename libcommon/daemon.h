/*
 * daemon: the lifecycle every Paddock daemon shares.
 *
 *   paddock-X [-dnv] [-c file] [-i instance] [--redis URL]
 *
 * daemon_main() parses the options, loads the configuration (-n checks it
 * and exits), detaches unless -d, opens the Redis streams, takes its
 * signals by signalfd, from whom sigguard.h says may send them (TERM/INT
 * stop cleanly, HUP reloads, the rest keep their default action), sets
 * the one housekeeping timer, calls the daemon's start hook, tells systemd READY=1
 * and runs the loop.  The stop path closes every handle, so a daemon exits
 * with nothing left for valgrind to report.
 */
#ifndef PADDOCK_DAEMON_H
#define PADDOCK_DAEMON_H

#include <stdint.h>

#include <uv.h>

#include "conf.h"
#include "rstream.h"
#include "wire.h"

struct daemon;

typedef void daemon_done_fn(struct daemon *d);

struct daemon_ops {
	const char	*name;		/* "paddock-collectd" */
	const char	*summary;	/* one line for --help */
	const char	*usage;		/* extra option lines, or NULL */
	/* Extra options: getopt string and handler (NULL when none). */
	const char	*extra_opts;
	int		(*opt)(struct daemon *d, int ch, const char *arg);
	/* Semantic checks beyond the schema, for -n and start-up. */
	int		(*check)(const struct paddock_conf *c, char *err,
			    size_t errlen);
	/* Set up; return 0 or -errno (the daemon then exits 1). */
	int		(*start)(struct daemon *d);
	void		(*tick)(struct daemon *d);
	void		(*reload)(struct daemon *d);
	/* Close what start opened, then call done(d). */
	void		(*stop)(struct daemon *d, daemon_done_fn *done);
};

struct daemon {
	uv_loop_t		*loop;
	const struct daemon_ops	*ops;
	struct paddock_conf	 conf;
	struct rstream		*rs;
	void			*priv;
	char			 host[WIRE_HOST_MAX];
	char			 instance[32];
	char			 consumer[WIRE_HOST_MAX + 40];
	char			 conf_path[256];
	int			 foreground;
	int			 stopping;
	int			 exit_code;
	uint64_t		 tick_ms;
	uint64_t		 watchdog_ms;
	uint64_t		 last_watchdog;
	int			 sigfd;		/* sigguard_open() */
	int			 markfd;	/* sigguard_marked()'s held map */
	uv_poll_t		 sigpoll;
	uv_timer_t		 housekeeping;
	unsigned		 ticks;
	int			 self_ok;	/* in `P daemons:<host>` */
	int			 handles;
};

int	daemon_main(int argc, char **argv, const struct daemon_ops *ops,
	    void *priv);
/* The full key of a stream or hash: prefix + suffix. */
const char *daemon_key(const struct daemon *d, const char *suffix, char *buf,
	    size_t len);
/*
 * Publish one record to a stream with the readable fields every entry
 * carries (docs/wire-format.md): kind, workload, host, time (ISO 8601 UTC),
 * what (one line for humans) and msgpack (the body).  0 or -errno from
 * wire_encode or rstream_add.
 */
int	stream_publish(struct rstream *rs, const char *key, uint64_t maxlen,
	    enum wire_kind kind, const void *rec, const char *workload,
	    const char *host, uint64_t ts_ns, uint64_t cookie);
/*
 * The same on a blocking connection (policyd's state changes, paddockctl's
 * commands): XADD now; the entry id in id.  0, -EIO (connection) or
 * -EPROTO (Redis refused it).
 */
struct redisContext;
int	stream_publish_sync(struct redisContext *c, const char *key,
	    uint64_t maxlen, enum wire_kind kind, const void *rec,
	    const char *workload, const char *host, uint64_t ts_ns, char *id,
	    size_t idlen);
/* Begin a clean stop with the given exit code (from anywhere). */
void	daemon_shutdown(struct daemon *d, int code);
/* Nanoseconds since the epoch. */
uint64_t daemon_now_ns(void);

#endif
