/*
 * paddockctl up | down: the whole stack on one host, without systemd.
 *
 * up starts, in the state directory (0700):
 *   redis-server     unix socket redis.sock only (no TCP), AOF on, pid in
 *                    redis.pid, log in redis.log; skipped with --redis URL
 *   paddock-<each>   the daemons found next to paddockctl, in the
 *                    foreground (-d) under setsid, pid in <name>.pid, log
 *                    in <name>.log
 * and waits until each daemon says READY=1 on a private $NOTIFY_SOCKET,
 * the same protocol systemd uses.  A daemon that dies or stays silent for
 * 30 s fails `up` with the tail of its log.  Running it again is harmless:
 * whatever already runs (by its pid file) is left alone.
 *
 * down stops what up started, by recorded pid only, after checking that the
 * pid still runs the program it recorded: SIGTERM, then SIGKILL after 10 s.
 * Redis is asked to SHUTDOWN (saving) through its socket.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "bpfpin.h"
#include "cgroup.h"
#include "secret.h"
#include "ctl.h"

#define REDIS_SERVER	"/usr/bin/redis-server"

static const char *const daemons[] = {
	"collectd", "profiled", "policyd", "enforced", NULL,
};

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static pid_t
pid_read(const char *dir, const char *name)
{
	char path[600], buf[32];
	FILE *f;
	long v = 0;

	snprintf(path, sizeof(path), "%s/%s.pid", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) != NULL)
		v = strtol(buf, NULL, 10);
	fclose(f);
	return v > 0 ? (pid_t)v : 0;
}

static int
pid_write(const char *dir, const char *name, pid_t pid)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.pid", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return -errno;
	fprintf(f, "%ld\n", (long)pid);
	fclose(f);
	return 0;
}

/*
 * Does pid still run prog (a path)?  Compared by resolved path, since
 * Debian's redis-server is a link to redis-check-rdb, and a rebuilt binary
 * shows as "path (deleted)".
 */
static int
pid_runs(pid_t pid, const char *prog)
{
	char link[64], exe[4096], want[4096];
	ssize_t n;

	if (pid <= 0 || realpath(prog, want) == NULL)
		return 0;
	snprintf(link, sizeof(link), "/proc/%ld/exe", (long)pid);
	if ((n = readlink(link, exe, sizeof(exe) - 1)) <= 0)
		return 0;
	exe[n] = '\0';
	if (n > 10 && strcmp(exe + n - 10, " (deleted)") == 0)
		exe[n - 10] = '\0';
	return strcmp(exe, want) == 0;
}

/* Spawn argv detached, stdout/stderr to logfile, NOTIFY_SOCKET set. */
static pid_t
spawn(char *const argv[], const char *logfile, const char *notify)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	setsid();
	if (notify != NULL)
		setenv("NOTIFY_SOCKET", notify, 1);
	else
		unsetenv("NOTIFY_SOCKET");
	{
		int fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND |
		    O_CLOEXEC, 0600);
		int nul = open("/dev/null", O_RDONLY);

		if (fd < 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(fd, 1) < 0 ||
		    dup2(fd, 2) < 0)
			_exit(126);
	}
	execv(argv[0], argv);
	fprintf(stderr, "paddockctl: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void
log_tail(const char *logfile)
{
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "tail -n 15 '%s' >&2", logfile);
	if (system(cmd) != 0)
		fprintf(stderr, "(no log at %s)\n", logfile);
}

static int
redis_ping(const char *sock)
{
	struct timeval tv = { 1, 0 };
	redisContext *c = redisConnectUnixWithTimeout(sock, tv);
	redisReply *r;
	int ok = 0;

	if (c == NULL)
		return 0;
	if (!c->err && (r = redisCommand(c, "PING")) != NULL) {
		ok = r->type == REDIS_REPLY_STATUS;
		freeReplyObject(r);
	}
	redisFree(c);
	return ok;
}

/*
 * The arguments every Redis of ours starts with: the ACL file, the unix
 * socket only (no TCP, 0700), the state directory, AOF on and no RDB
 * snapshots.  The count; the caller adds its own and the NULL.
 */
static int
redis_argv(char **argv, char *acl, char *sock, const char *dir)
{
	int a = 0;

	argv[a++] = REDIS_SERVER;
	argv[a++] = "--aclfile";
	argv[a++] = acl;
	argv[a++] = "--port";
	argv[a++] = "0";
	argv[a++] = "--unixsocket";
	argv[a++] = sock;
	argv[a++] = "--unixsocketperm";
	argv[a++] = "700";
	argv[a++] = "--dir";
	argv[a++] = (char *)dir;
	argv[a++] = "--appendonly";
	argv[a++] = "yes";
	argv[a++] = "--save";
	argv[a++] = "";
	return a;
}

/* A reply to cmd on c, checked: 1 when it is a status or a string. */
static int
redis_ok(redisContext *c, const char *cmd)
{
	redisReply *r = redisCommand(c, cmd);
	int ok = r != NULL && (r->type == REDIS_REPLY_STATUS ||
	    r->type == REDIS_REPLY_STRING);

	freeReplyObject(r);
	return ok;
}

/*
 * Redis 7.0 (Debian 12's) replays a MULTI/EXEC of its AOF as the default
 * user and re-checks that user's permissions at EXEC (redis#14541, fixed
 * in later releases).  With Paddock's read-only default user every script
 * and transaction in the AOF (profiles, stages, policies) would be dropped
 * at each restart, with only a line in redis.log.  So an existing AOF is
 * first replayed by a Redis of its own whose default user may do anything
 * but has a random password (no one else can use it), on a socket of the
 * state directory, and rewritten: BGREWRITEAOF folds it into one RDB,
 * which loads with no ACL check.  Then the real Redis starts on that.
 */
static int
redis_replay_aof(const char *dir, const char *logf)
{
	char aof[600], acl[600], sock[600], pw[33], cmd[64], *argv[20];
	unsigned char rnd[16];
	struct timeval tv = { 1, 0 };
	redisContext *c = NULL;
	redisReply *r;
	struct stat st;
	int fd, i, a, done = 0;
	pid_t pid;
	FILE *f;

	snprintf(aof, sizeof(aof), "%s/appendonlydir", dir);
	if (stat(aof, &st) < 0)
		return 0;	/* a first start: nothing to replay */
	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) < 0 ||
	    read(fd, rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd)) {
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	close(fd);
	for (i = 0; i < 16; i++)
		snprintf(pw + 2 * i, 3, "%02x", rnd[i]);
	snprintf(acl, sizeof(acl), "%s/replay.acl", dir);
	snprintf(sock, sizeof(sock), "%s/replay.sock", dir);
	unlink(acl);
	if ((fd = open(acl, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) <
	    0 || (f = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	fprintf(f, "user default on >%s ~* &* +@all\n", pw);
	if (fclose(f) != 0) {
		unlink(acl);
		return -EIO;
	}
	a = redis_argv(argv, acl, sock, dir);
	argv[a] = NULL;
	if ((pid = spawn(argv, logf, NULL)) < 0) {
		unlink(acl);
		return -errno;
	}
	/* Loading may take a while: as long as it runs, up to 10 minutes. */
	for (i = 0; i < 12000 && !done; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			pid = -1;
			break;
		}
		if (c == NULL && (c = redisConnectUnixWithTimeout(sock, tv)) !=
		    NULL && c->err) {
			redisFree(c);
			c = NULL;
		}
		if (c != NULL)
			redisSetTimeout(c, tv);
		if (c != NULL && (r = redisCommand(c, "AUTH %s", pw)) != NULL) {
			freeReplyObject(r);
			done = redis_ok(c, "PING");
		} else if (c != NULL) {
			redisFree(c);
			c = NULL;
		}
		if (!done)
			sleep_ms(50);
	}
	/* One may be under way already (Redis's own, after the load). */
	if (done && (r = redisCommand(c, "BGREWRITEAOF")) != NULL) {
		done = r->type == REDIS_REPLY_STATUS ||
		    (r->type == REDIS_REPLY_ERROR &&
		    strstr(r->str, "already in progress") != NULL);
		freeReplyObject(r);
	} else
		done = 0;
	for (i = 0; done && i < 12000; i++) {
		r = redisCommand(c, "INFO persistence");
		if (r == NULL || r->type != REDIS_REPLY_STRING) {
			freeReplyObject(r);
			done = 0;
			break;
		}
		snprintf(cmd, sizeof(cmd), "%s", strstr(r->str,
		    "aof_rewrite_in_progress:0") && strstr(r->str,
		    "aof_rewrite_scheduled:0") ? (strstr(r->str,
		    "aof_last_bgrewrite_status:ok") ? "ok" : "failed") : "");
		freeReplyObject(r);
		if (cmd[0] != '\0') {
			done = strcmp(cmd, "ok") == 0;
			break;
		}
		sleep_ms(50);
	}
	if (c != NULL) {
		freeReplyObject(redisCommand(c, "SHUTDOWN"));
		redisFree(c);
	}
	for (i = 0; pid > 0 && i < 600; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			break;
		if (i == 599)
			kill(pid, SIGKILL), waitpid(pid, NULL, 0);
		sleep_ms(50);
	}
	unlink(acl);
	unlink(sock);
	return done ? 0 : -EIO;
}

static int
start_redis(const char *dir, const char *prefix, uint64_t maxmemory_mb,
    char *url, size_t urllen)
{
	char sock[600], logf[600], acl[600], err[768], maxmem[32], *argv[24];
	pid_t pid;
	int i, a;

	snprintf(sock, sizeof(sock), "%s/redis.sock", dir);
	snprintf(logf, sizeof(logf), "%s/redis.log", dir);
	snprintf(url, urllen, "unix://%s", sock);
	if (pid_runs(pid_read(dir, "redis"), REDIS_SERVER)) {
		/* Ours, maybe still loading: never a second one on its files. */
		for (i = 0; i < 600 && !redis_ping(sock); i++)
			sleep_ms(100);
		if (redis_ping(sock)) {
			printf("redis-server: already running (%s)\n", sock);
			return 0;
		}
		fprintf(stderr, "paddockctl: redis-server (pid %ld) runs in %s "
		    "but does not answer on %s\n", (long)pid_read(dir, "redis"),
		    dir, sock);
		return CTL_EXIT_FAIL;
	}
	/* Its users: the default one reads, Paddock's own write (secret.h). */
	snprintf(acl, sizeof(acl), "%s/users.acl", dir);
	if (secret_make_acl(dir, prefix, acl, err, sizeof(err)) < 0) {
		fprintf(stderr, "paddockctl: Redis users: %s\n", err);
		return CTL_EXIT_FAIL;
	}
	if (redis_replay_aof(dir, logf) < 0) {
		fprintf(stderr, "paddockctl: replaying Redis's append-only file "
		    "in %s failed; its log:\n", dir);
		log_tail(logf);
		return CTL_EXIT_FAIL;
	}
	a = redis_argv(argv, acl, sock, dir);
	/* A limit that never evicts: full means refused (and counted). */
	snprintf(maxmem, sizeof(maxmem), "%llumb",
	    (unsigned long long)maxmemory_mb);
	argv[a++] = "--maxmemory";
	argv[a++] = maxmem;
	argv[a++] = "--maxmemory-policy";
	argv[a++] = "noeviction";
	argv[a] = NULL;
	if ((pid = spawn(argv, logf, NULL)) < 0) {
		fprintf(stderr, "paddockctl: fork: %s\n", strerror(errno));
		return CTL_EXIT_FAIL;
	}
	pid_write(dir, "redis", pid);
	for (i = 0; i < 300; i++) {
		if (redis_ping(sock)) {
			printf("redis-server: ready (%s)\n", sock);
			return 0;
		}
		if (waitpid(pid, NULL, WNOHANG) == pid)
			break;
		sleep_ms(50);
	}
	fprintf(stderr, "paddockctl: redis-server did not start; its log:\n");
	log_tail(logf);
	return CTL_EXIT_FAIL;
}

/* Start one daemon and wait for READY=1; 0, or an exit code. */
static int
start_daemon(struct ctl *ctl, const char *dir, const char *bindir,
    const char *name, const char *url)
{
	char prog[300], logf[600], nsock[600], conf[300];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *argv[12];
	int fd, a = 0, waited;
	pid_t pid;

	snprintf(prog, sizeof(prog), "%s/paddock-%s", bindir, name);
	if (access(prog, X_OK) != 0)
		return 0;	/* not built: nothing to start */
	snprintf(logf, sizeof(logf), "%s/%s.log", dir, name);
	if (pid_runs(pid_read(dir, name), prog)) {
		printf("paddock-%s: already running\n", name);
		return 0;
	}
	snprintf(nsock, sizeof(nsock), "%s/notify-%s.sock", dir, name);
	if (strlen(nsock) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "paddockctl: state directory path too long\n");
		return CTL_EXIT_FAIL;
	}
	memcpy(sa.sun_path, nsock, strlen(nsock) + 1);
	unlink(nsock);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "paddockctl: %s: %s\n", nsock, strerror(errno));
		if (fd >= 0)
			close(fd);
		return CTL_EXIT_FAIL;
	}
	argv[a++] = prog;
	argv[a++] = "-d";
	if (ctl->conf.path[0] != '\0') {
		snprintf(conf, sizeof(conf), "%s", ctl->conf.path);
		argv[a++] = "-c";
		argv[a++] = conf;
	}
	argv[a++] = "--redis";
	argv[a++] = (char *)url;
	argv[a] = NULL;
	if ((pid = spawn(argv, logf, nsock)) < 0) {
		close(fd);
		return CTL_EXIT_FAIL;
	}
	pid_write(dir, name, pid);
	for (waited = 0; waited < 30000; waited += 100) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[256];
		ssize_t n;

		if (poll(&p, 1, 100) == 1 &&
		    (n = recv(fd, buf, sizeof(buf) - 1, 0)) > 0) {
			buf[n] = '\0';
			if (strstr(buf, "READY=1") != NULL) {
				printf("paddock-%s: ready (pid %ld)\n", name,
				    (long)pid);
				close(fd);
				unlink(nsock);
				return 0;
			}
		}
		if (waitpid(pid, NULL, WNOHANG) == pid)
			break;
	}
	close(fd);
	unlink(nsock);
	fprintf(stderr, "paddockctl: paddock-%s did not become ready; its "
	    "log (%s):\n", name, logf);
	log_tail(logf);
	return CTL_EXIT_DAEMON;
}

static int
parse_stack_opts(struct ctl *ctl, int argc, char **argv, const char *usage)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'S' },
		{ "redis", required_argument, NULL, 'R' },
		{ "disable", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'D':
			ctl->disable = 1;
			break;
		case 'S':
			ctl->state_dir_opt = optarg;
			break;
		case 'R':
			ctl->redis_opt = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s\n", usage);
			return -1;
		}
	}
	/* `up --state-dir DIR`: the configuration's defaults (the pin
	 * directory) are that stack's, as for `--state-dir DIR up`. */
	if (ctl->state_dir_opt != NULL &&
	    (setenv("PADDOCK_STATE_DIR", ctl->state_dir_opt, 1) < 0 ||
	    ctl_load_conf(ctl) < 0))
		return -1;
	if (optind != argc) {
		fprintf(stderr, "usage: %s\n", usage);
		return -1;
	}
	return 0;
}

static int
cmd_up(struct ctl *ctl, int argc, char **argv)
{
	char dir[512], url[700], bindir[256];
	int i, rc;

	if (parse_stack_opts(ctl, argc, argv,
	    "paddockctl up [--state-dir DIR] [--redis URL]") < 0)
		return CTL_EXIT_USAGE;
	ctl_state_dir(ctl, dir, sizeof(dir));
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "paddockctl: %s: %s\n", dir, strerror(errno));
		return CTL_EXIT_FAIL;
	}
	chmod(dir, 0700);
	if (ctl->redis_opt != NULL || getenv("PADDOCK_REDIS") != NULL) {
		ctl_redis_url(ctl, url, sizeof(url));
		printf("redis: using %s\n", url);
	} else if ((rc = start_redis(dir, ctl->conf.redis.prefix,
	    ctl->conf.redis.maxmemory_mb, url, sizeof(url))) != 0) {
		return rc;
	}
	ctl_bindir(bindir, sizeof(bindir));
	/* The daemons find the stack's state (policyd: the operators' keys)
	 * where this stack keeps it; and the caller is an operator of it. */
	setenv("PADDOCK_STATE_DIR", dir, 1);
	if ((rc = ctl_operator_key(ctl, 1)) != 0)
		return rc;
	for (i = 0; daemons[i] != NULL; i++)
		if ((rc = start_daemon(ctl, dir, bindir, daemons[i], url)) != 0)
			return rc;
	printf("up: state and logs in %s\n"
	    "    watch: paddockctl --state-dir %s events --follow\n"
	    "    stop:  paddockctl --state-dir %s down\n", dir, dir, dir);
	return 0;
}

static int
stop_pid(const char *dir, const char *name, const char *prog)
{
	char path[600];
	pid_t pid = pid_read(dir, name);
	int i;

	snprintf(path, sizeof(path), "%s/%s.pid", dir, name);
	if (!pid_runs(pid, prog)) {
		unlink(path);
		return 0;
	}
	kill(pid, SIGTERM);
	for (i = 0; i < 100 && pid_runs(pid, prog); i++) {
		waitpid(pid, NULL, WNOHANG);
		sleep_ms(100);
	}
	if (pid_runs(pid, prog)) {
		fprintf(stderr, "paddockctl: %s (pid %ld) ignored SIGTERM; "
		    "killing it\n", name, (long)pid);
		kill(pid, SIGKILL);
	}
	printf("%s: stopped (pid %ld)\n", name, (long)pid);
	unlink(path);
	return 0;
}

/*
 * --disable: remove the enforcer's pins (programs, links, maps).  The
 * kernel detaches each program when its last pin goes: enforcement stops.
 * Without it, `down` leaves enforcement running, by design.
 */
static int
disable_pins(const char *pindir)
{
	char path[600], mnt[256];
	int n, bad;

	if (access(pindir, F_OK) != 0 && errno == ENOENT)
		return 0;
	if ((n = bpfpin_clear(pindir)) < 0) {
		fprintf(stderr, "paddockctl: %s: %s\n", pindir, strerror(-n));
		return CTL_EXIT_FAIL;
	}
	bad = access(pindir, F_OK) == 0;	/* a pin would not go */
	/* paddockctl run's parent cgroup goes too, when no workload is in it
	 * (rmdir refuses a cgroup with children or processes). */
	if (cgroup_find_mount(mnt, sizeof(mnt)) == 0) {
		snprintf(path, sizeof(path), "%s/%s", mnt, CGROUP_PADDOCK_SLICE);
		rmdir(path);
	}
	printf("enforcement: disabled (%d pins removed from %s)\n", n, pindir);
	return bad ? CTL_EXIT_FAIL : 0;
}

static int
cmd_down(struct ctl *ctl, int argc, char **argv)
{
	char dir[512], prog[400], sock[600], bindir[256], pins[300];
	int i, n;

	if (parse_stack_opts(ctl, argc, argv,
	    "paddockctl down [--state-dir DIR] [--disable]") < 0)
		return CTL_EXIT_USAGE;
	ctl_state_dir(ctl, dir, sizeof(dir));
	ctl_bindir(bindir, sizeof(bindir));
	for (i = 3; i >= 0; i--) {
		snprintf(prog, sizeof(prog), "%s/paddock-%s", bindir,
		    daemons[i]);
		stop_pid(dir, daemons[i], prog);
	}
	snprintf(sock, sizeof(sock), "%s/redis.sock", dir);
	if (pid_runs(pid_read(dir, "redis"), REDIS_SERVER)) {
		struct timeval tv = { 2, 0 };
		pid_t rpid = pid_read(dir, "redis");
		redisContext *c = redisConnectUnixWithTimeout(sock, tv);

		int refused = 1;

		/* SHUTDOWN is Redis's admin's (its ACL: no Paddock user may);
		 * else SIGTERM, which saves and exits just the same. */
		if (c != NULL && !c->err) {
			redisReply *r = redisCommand(c, "SHUTDOWN");

			refused = r != NULL && r->type == REDIS_REPLY_ERROR;
			if (r != NULL)
				freeReplyObject(r);
		}
		if (c != NULL)
			redisFree(c);
		if (refused)
			kill(rpid, SIGTERM);
		for (i = 0; i < 50 && pid_runs(rpid, REDIS_SERVER); i++)
			sleep_ms(100);	/* SHUTDOWN saves first */
		if (!pid_runs(rpid, REDIS_SERVER))
			printf("redis-server: stopped (pid %ld)\n", (long)rpid);
		stop_pid(dir, "redis", REDIS_SERVER);
	}
	/* The collector's programs outlive it so that a restart loses
	 * nothing; down means stop observing, so they go too. */
	conf_collect_pins(&ctl->conf, pins, sizeof(pins));
	if ((n = bpfpin_clear(pins)) > 0)
		printf("collection: detached (%d pins removed from %s)\n", n,
		    pins);
	if (ctl->disable)
		return disable_pins(ctl->conf.enforced.bpffs);
	return 0;
}

/*
 * paddockctl disable: the break-glass switch.  Stops the enforcer that
 * `up` started and removes its pins: the kernel stops enforcing at once,
 * on this host, while observation and learning go on.  Policies and
 * stages stay as they are; `paddockctl up` starts the enforcer again,
 * which finds no pins and re-applies every policy.
 */
static int
cmd_disable(struct ctl *ctl, int argc, char **argv)
{
	char dir[512], prog[400], bindir[256];

	if (parse_stack_opts(ctl, argc, argv,
	    "paddockctl disable [--state-dir DIR]") < 0)
		return CTL_EXIT_USAGE;
	ctl_state_dir(ctl, dir, sizeof(dir));
	ctl_bindir(bindir, sizeof(bindir));
	snprintf(prog, sizeof(prog), "%s/paddock-enforced", bindir);
	stop_pid(dir, "enforced", prog);
	if (disable_pins(ctl->conf.enforced.bpffs) != 0)
		return CTL_EXIT_FAIL;
	printf("nothing is enforced on this host now; `paddockctl up` "
	    "re-enables every policy\n");
	return 0;
}

const struct ctl_cmd ctl_cmd_disable = {
	"disable", "stop enforcing on this host now (break glass)",
	cmd_disable,
};

const struct ctl_cmd ctl_cmd_up = {
	"up", "start redis-server and every daemon on this host", cmd_up,
};

const struct ctl_cmd ctl_cmd_down = {
	"down", "stop what `up` started", cmd_down,
};
