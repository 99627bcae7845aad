/*
 * testutil: see testutil.h.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "testutil.h"

void
tu_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int
tu_is_root(void)
{
	return geteuid() == 0;
}

const char *
tu_path(const char *rel, char *buf, size_t len)
{
	const char *top = getenv("PADDOCK_TOP");

	snprintf(buf, len, "%s/%s", top ? top : ".", rel);
	return buf;
}

static int
redirect(const char *file, int to)
{
	int fd;

	if (file == NULL)
		return 0;
	if ((fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0 ||
	    dup2(fd, to) < 0)
		return -1;
	close(fd);
	return 0;
}

pid_t
tu_spawn2(char *const argv[], const char *outfile, const char *errfile)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (redirect(outfile, 1) < 0 || redirect(errfile, 2) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

pid_t
tu_spawn(char *const argv[], const char *outfile)
{
	return tu_spawn2(argv, outfile, NULL);
}

int
tu_run(char *const argv[], const char *outfile, const char *errfile,
    int timeout_ms)
{
	pid_t pid = tu_spawn2(argv, outfile, errfile);
	int rc;

	if (pid < 0)
		return (int)pid;
	if ((rc = tu_wait(pid, timeout_ms)) == -ETIMEDOUT) {
		kill(pid, SIGKILL);
		tu_wait(pid, 5000);
	}
	return rc;
}

char *
tu_slurp(const char *file)
{
	FILE *f = fopen(file, "r");
	char *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = calloc(1, 1 << 20);
	if (buf != NULL) {
		n = fread(buf, 1, (1 << 20) - 1, f);
		buf[n] = '\0';
	}
	fclose(f);
	return buf;
}

int
tu_wait(pid_t pid, int timeout_ms)
{
	int status, waited = 0;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) :
			    128 + WTERMSIG(status);
		if (r < 0)
			return -errno;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		tu_sleep_ms(10);
		waited += 10;
	}
}

static int
redis_spawn(struct tu_redis *r)
{
	char *argv[] = {
		"redis-server", "--port", "0", "--unixsocket", r->sock,
		"--unixsocketperm", "700", "--dir", r->dir, "--appendonly", "yes",
		"--appendfsync", "everysec", "--save", "", "--daemonize", "no",
		"--loglevel", "warning", "--logfile", "redis.log", NULL,
	};
	int i;

	r->pid = tu_spawn(argv, "/dev/null");
	if (r->pid < 0)
		return (int)r->pid;
	for (i = 0; i < 500; i++) {
		redisContext *c = tu_redis_connect(r);

		if (c != NULL) {
			redisReply *rep = redisCommand(c, "PING");
			int ok = rep != NULL && rep->type == REDIS_REPLY_STATUS;

			if (rep != NULL)
				freeReplyObject(rep);
			redisFree(c);
			if (ok)
				return 0;
		}
		if (tu_wait(r->pid, 0) != -ETIMEDOUT)
			return -ECHILD;
		tu_sleep_ms(10);
	}
	return -ETIMEDOUT;
}

int
tu_redis_start(struct tu_redis *r)
{
	char tmpl[] = "/tmp/paddock-test-redis.XXXXXX";

	memset(r, 0, sizeof(*r));
	if (mkdtemp(tmpl) == NULL)
		return -errno;
	snprintf(r->dir, sizeof(r->dir), "%s", tmpl);
	snprintf(r->sock, sizeof(r->sock), "%s/redis.sock", r->dir);
	snprintf(r->url, sizeof(r->url), "unix://%s", r->sock);
	return redis_spawn(r);
}

int
tu_redis_stop(struct tu_redis *r)
{
	redisContext *c;
	int rc;

	if (r->pid <= 0)
		return 0;
	if ((c = tu_redis_connect(r)) != NULL) {
		redisReply *rep = redisCommand(c, "SHUTDOWN");

		if (rep != NULL)
			freeReplyObject(rep);
		redisFree(c);
	} else {
		kill(r->pid, SIGTERM);
	}
	rc = tu_wait(r->pid, 10000);
	if (rc == -ETIMEDOUT) {
		kill(r->pid, SIGKILL);
		tu_wait(r->pid, 5000);
	}
	r->pid = 0;
	return rc < 0 ? rc : 0;
}

int
tu_redis_restart(struct tu_redis *r)
{
	return redis_spawn(r);
}

void
tu_redis_destroy(struct tu_redis *r)
{
	char cmd[400];

	tu_redis_stop(r);
	if (r->dir[0] != '\0' && strncmp(r->dir, "/tmp/paddock-test-", 18) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "testutil: cannot remove %s\n", r->dir);
	}
	r->dir[0] = '\0';
}

int
tu_redis_setup(void **state)
{
	static struct tu_redis r;

	if (tu_redis_start(&r) < 0) {
		fprintf(stderr, "cannot start redis-server\n");
		return -1;
	}
	*state = &r;
	return 0;
}

int
tu_redis_teardown(void **state)
{
	tu_redis_destroy(*state);
	return 0;
}

redisContext *
tu_redis_connect(const struct tu_redis *r)
{
	struct timeval tv = { 5, 0 };
	redisContext *c = redisConnectUnixWithTimeout(r->sock, tv);

	if (c == NULL || c->err) {
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	return c;
}

long long
tu_redis_int(redisContext *c, const char *fmt, ...)
{
	redisReply *rep;
	long long v = -1;
	va_list ap;

	va_start(ap, fmt);
	rep = redisvCommand(c, fmt, ap);
	va_end(ap);
	if (rep == NULL)
		return -1;
	if (rep->type == REDIS_REPLY_INTEGER)
		v = rep->integer;
	freeReplyObject(rep);
	return v;
}

/* ---------------------------------------------------------------- stack */

char *
tu_bin(const char *name, char *buf, size_t len)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "bin/%s", name);
	return (char *)tu_path(rel, buf, len);
}

/* paddockctl -c CONF --state-dir DIR, then the args from ap. */
static int
ctl_va(const struct tu_stack *s, const char *out, const char *pre1,
    const char *pre2, va_list ap)
{
	char b[512], sd[300];
	char *argv[32];
	int n = 0;

	argv[n++] = tu_bin("paddockctl", b, sizeof(b));
	argv[n++] = "-c";
	argv[n++] = (char *)s->conf;
	snprintf(sd, sizeof(sd), "--state-dir=%s", s->dir);
	argv[n++] = sd;
	if (pre1 != NULL)
		argv[n++] = (char *)pre1;
	if (pre2 != NULL)
		argv[n++] = (char *)pre2;
	while (n < 31 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	argv[n] = NULL;
	return tu_run(argv, out, NULL, 120000);
}

int
tu_ctl(const struct tu_stack *s, const char *out, ...)
{
	va_list ap;
	int rc;

	va_start(ap, out);
	rc = ctl_va(s, out, NULL, NULL, ap);
	va_end(ap);
	return rc;
}

int
tu_ctl_run(const struct tu_stack *s, const char *workload, char *const cmd[],
    const char *out)
{
	char b[512], sd[300], w[200];
	char *argv[40];
	int n = 0, i;

	argv[n++] = tu_bin("paddockctl", b, sizeof(b));
	snprintf(sd, sizeof(sd), "--state-dir=%s", s->dir);
	argv[n++] = sd;
	argv[n++] = "run";
	snprintf(w, sizeof(w), "--workload=%s", workload);
	argv[n++] = w;
	argv[n++] = "--";
	for (i = 0; cmd[i] != NULL && n < 39; i++)
		argv[n++] = cmd[i];
	argv[n] = NULL;
	return tu_run(argv, out, NULL, 120000);
}

json_t *
tu_ctl_json(const struct tu_stack *s, ...)
{
	char out[400];
	json_error_t je;
	va_list ap;
	int rc;

	snprintf(out, sizeof(out), "%s/ctl-out.json", s->dir);
	va_start(ap, s);
	rc = ctl_va(s, out, "-o", "json", ap);
	va_end(ap);
	return rc == 0 ? json_load_file(out, 0, &je) : NULL;
}

int
tu_stack_up(struct tu_stack *s, const char *tag, const char *conf)
{
	FILE *f;

	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/paddock-test-%s.XXXXXX", tag);
	if (mkdtemp(s->dir) == NULL)
		return -errno;
	snprintf(s->work, sizeof(s->work), "%s/work", s->dir);
	mkdir(s->work, 0755);
	snprintf(s->conf, sizeof(s->conf), "%s/paddock.yaml", s->dir);
	if ((f = fopen(s->conf, "w")) == NULL)
		return -errno;
	fputs(conf, f);
	/* The enforcer's pins: this test's own, removed by tu_stack_down. */
	snprintf(s->pins, sizeof(s->pins), "/sys/fs/bpf/paddock-test-%s-%ld",
	    tag, (long)getpid());
	if (strstr(conf, "enforced:") == NULL)
		fprintf(f, "enforced:\n  bpffs: %s\n", s->pins);
	fclose(f);
	if (tu_ctl(s, NULL, "up", NULL) != 0) {
		fprintf(stderr, "paddockctl up failed; logs in %s\n", s->dir);
		tu_ctl(s, NULL, "down", "--disable", NULL);
		return -EIO;
	}
	s->up = 1;
	return 0;
}

void
tu_stack_down(struct tu_stack *s)
{
	char cmd[400];

	if (!s->up)
		return;
	tu_ctl(s, NULL, "down", "--disable", NULL);
	s->up = 0;
	if (getenv("PADDOCK_TEST_KEEP") != NULL) {
		fprintf(stderr, "kept %s\n", s->dir);
		return;
	}
	if (strncmp(s->dir, "/tmp/paddock-test-", 18) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", s->dir);
	}
}
