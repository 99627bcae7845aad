/*
 * The lifecycle every daemon shares, checked on the real binaries:
 *
 *   - --help answers and exits 0; -n checks the sample config and exits 0;
 *   - a bad config fails -n with file:line:col on stderr;
 *   - started in the foreground with a fake $NOTIFY_SOCKET, each daemon
 *     says READY=1 once it runs, STOPPING=1 on SIGTERM, and exits 0;
 *   - a stop signal whose origin the sender chose (sigqueue) is refused,
 *     and so (as root) is one from a sender the enforcer's kernel side
 *     marked in `sigmark` (a real pinned map, ours): the daemon runs on;
 *   - under valgrind (when installed) that whole run leaks nothing.
 *
 * The "systemd" here is a unix datagram socket the test binds, which is
 * all sd_notify(3) talks to.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>

#include "sigguard.h"
#include "testutil.h"

static const char *const daemons[] = {
	"paddock-collectd", "paddock-profiled", "paddock-policyd",
	"paddock-enforced",
};

static char *
bin(const char *name, char *buf, size_t len)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "bin/%s", name);
	return (char *)tu_path(rel, buf, len);
}

static int
have_valgrind(void)
{
	return system("command -v valgrind >/dev/null 2>&1") == 0;
}

static void
test_daemon_help_and_check(void **state)
{
	char b[512], c[512], *out;
	size_t i;

	tu_path("etc/paddock.yaml", c, sizeof(c));
	for (i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++) {
		char *help[] = { bin(daemons[i], b, sizeof(b)), "--help", NULL };
		char *check[] = { b, "-n", "-c", c, NULL };

		assert_int_equal(tu_run(help, "/tmp/paddock-test-help", NULL,
		    10000), 0);
		out = tu_slurp("/tmp/paddock-test-help");
		assert_non_null(out);
		assert_non_null(strstr(out, "-c file"));
		assert_non_null(strstr(out, "--redis"));
		free(out);
		assert_int_equal(tu_run(check, "/tmp/paddock-test-help",
		    "/tmp/paddock-test-help.err", 10000), 0);
		out = tu_slurp("/tmp/paddock-test-help");
		assert_non_null(out);
		assert_non_null(strstr(out, "configuration OK"));
		free(out);
	}
	unlink("/tmp/paddock-test-help");
	unlink("/tmp/paddock-test-help.err");
}

static void
test_daemon_bad_config_names_position(void **state)
{
	char b[512], c[512], *out;
	char *check[] = { bin("paddock-profiled", b, sizeof(b)), "-n", "-c",
	    (char *)tu_path("tests/data/conf/bad-enum.yaml", c, sizeof(c)),
	    NULL };

	assert_int_equal(tu_run(check, NULL, "/tmp/paddock-test-bad.err",
	    10000), 1);
	out = tu_slurp("/tmp/paddock-test-bad.err");
	assert_non_null(out);
	/* "…/bad-enum.yaml:LINE:COL: …" */
	assert_non_null(strstr(out, "bad-enum.yaml:"));
	assert_non_null(strstr(out, "expected"));
	free(out);
	unlink("/tmp/paddock-test-bad.err");
}

/* Wait up to ms for a datagram containing want; 0 or -ETIMEDOUT. */
static int
notify_wait(int fd, const char *want, int ms)
{
	char buf[512];

	while (ms > 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) == 1) {
			n = recv(fd, buf, sizeof(buf) - 1, 0);
			if (n > 0) {
				buf[n] = '\0';
				if (strstr(buf, want) != NULL)
					return 0;
			}
		}
		ms -= 100;
	}
	return -ETIMEDOUT;
}

/*
 * The sample configuration, but with the enforcer's pins in a directory
 * of this test's own (removed afterwards): tests never touch the host's.
 */
static const char *
lifecycle_conf(char *buf, size_t len)
{
	char sample[512], *text;
	FILE *f;

	snprintf(buf, len, "/tmp/paddock-test-daemon-%ld.yaml", (long)getpid());
	text = tu_slurp(tu_path("etc/paddock.yaml", sample, sizeof(sample)));
	if ((f = fopen(buf, "w")) == NULL || text == NULL) {
		free(text);
		if (f)
			fclose(f);
		return tu_path("etc/paddock.yaml", buf, len);
	}
	/* Replace the enforced section (the file's last) with our own. */
	*strstr(text, "\nenforced:") = '\0';
	fprintf(f, "%s\nenforced:\n  bpffs: /sys/fs/bpf/paddock-test-daemon-%ld\n",
	    text, (long)getpid());
	fclose(f);
	free(text);
	return buf;
}

static void
unpin_lifecycle(void)
{
	char cmd[256];

	/* The enforcer's pins, and the collector's (which outlive it). */
	snprintf(cmd, sizeof(cmd), "rm -rf /sys/fs/bpf/paddock-test-daemon-%ld "
	    "/sys/fs/bpf/paddock-test-daemon-%ld-collect "
	    "/tmp/paddock-test-daemon-%ld.yaml", (long)getpid(),
	    (long)getpid(), (long)getpid());
	if (system(cmd) != 0)
		print_message("cannot remove the test's pins\n");
}

/* Who may stop a daemon: sigguard's decision. */
static void
test_sigguard_judge(void **state)
{
	const uint64_t s = 1000000000ull, now = 500 * s;
	static const struct {
		int		 signo, code, marked;
		uint64_t	 ago;	/* the mark's age, ns */
		enum sg_verdict	 want;
		const char	*what;
	} c[] = {
		{ SIGTERM, SI_USER, 0, 0, SG_HONOUR, "kill(2)" },
		{ SIGTERM, SI_TKILL, 0, 0, SG_HONOUR, "tgkill(2)" },
		{ SIGTERM, SI_USER, 1, 1000000000ull, SG_MARKED, "marked" },
		{ SIGHUP, SI_TKILL, 1, 0, SG_MARKED, "marked, tgkill" },
		{ SIGTERM, SI_USER, 1, 2 * SIGGUARD_WINDOW_NS, SG_HONOUR,
		    "a mark older than the window: a pid reused" },
		{ SIGINT, SI_KERNEL, 0, 0, SG_HONOUR, "the terminal's ^C" },
		{ SIGHUP, SI_KERNEL, 0, 0, SG_HONOUR, "a hangup" },
		{ SIGTERM, SI_QUEUE, 0, 0, SG_ORIGIN, "sigqueue(3)" },
		{ SIGTERM, SI_MESGQ, 0, 0, SG_ORIGIN, "a forged code" },
		{ SIGIO, SI_KERNEL, 0, 0, SG_ORIGIN, "F_SETOWN's SIGIO" },
		{ SIGTERM, POLL_IN, 0, 0, SG_ORIGIN, "F_SETSIG's signal" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (sigguard_judge(c[i].signo, c[i].code, c[i].marked,
		    now - c[i].ago, now) != c[i].want)
			fail_msg("%s: want verdict %d", c[i].what, c[i].want);
}

/* Pin dir's `sigmark` (the enforcer's, or one we make): mark or clear us. */
static int
mark_self(const char *pindir, int on)
{
	char path[512];
	uint32_t me = (uint32_t)getpid();
	struct timespec ts;
	uint64_t now;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", pindir, SIGGUARD_MAP);
	if ((fd = bpf_obj_get(path)) < 0) {
		mkdir(pindir, 0700);
		if ((fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, SIGGUARD_MAP,
		    sizeof(uint32_t), sizeof(uint64_t), 64, NULL)) < 0)
			return fd;
		if ((rc = bpf_obj_pin(fd, path)) < 0) {
			close(fd);
			return rc;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	rc = on ? bpf_map_update_elem(fd, &me, &now, BPF_ANY) :
	    bpf_map_delete_elem(fd, &me);
	close(fd);
	return rc;
}

/* A SIGTERM that must be refused: the daemon logs why (elog holds its
 * stderr), sends no STOPPING=1 and runs on. */
static void
refused(int fd, pid_t pid, const char *name, const char *how,
    const char *elog, const char *why)
{
	char want[128], *log = NULL;
	int i;

	snprintf(want, sizeof(want), "SIGTERM from pid %d refused: %s",
	    (int)getpid(), why);
	for (i = 0; i < 30; i++) {
		free(log);
		if ((log = tu_slurp(elog)) != NULL && strstr(log, want) != NULL)
			break;
		usleep(50000);
	}
	if (log == NULL || strstr(log, want) == NULL) {
		print_message("%s\n", log ? log : "(no log)");
		free(log);
		fail_msg("%s did not log \"%s\" for a SIGTERM that %s", name,
		    want, how);
	}
	free(log);
	if (notify_wait(fd, "STOPPING=1", 500) == 0)
		fail_msg("%s stopped on a SIGTERM that %s", name, how);
	assert_int_equal(kill(pid, 0), 0);
}

static void
run_one(struct tu_redis *r, const char *name, int vg)
{
	char b[512], c[512], sockpath[300], vlog[300], elog[300];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *argv[16];
	int fd, a = 0, rc;
	pid_t pid;

	snprintf(sockpath, sizeof(sockpath), "%s/notify", r->dir);
	snprintf(vlog, sizeof(vlog), "%s/%s.valgrind", r->dir, name);
	snprintf(elog, sizeof(elog), "%s/%s.stderr", r->dir, name);
	unlink(sockpath);
	assert_true((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) >= 0);
	assert_true(strlen(sockpath) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, sockpath, strlen(sockpath) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setenv("NOTIFY_SOCKET", sockpath, 1);

	if (vg) {
		static char logopt[340], supp[600];
		char sp[512];

		snprintf(logopt, sizeof(logopt), "--log-file=%s", vlog);
		snprintf(supp, sizeof(supp), "--suppressions=%s",
		    tu_path("tests/valgrind.supp", sp, sizeof(sp)));
		argv[a++] = "valgrind";
		argv[a++] = supp;
		argv[a++] = "--leak-check=full";
		argv[a++] = "--errors-for-leak-kinds=definite,indirect";
		argv[a++] = "--error-exitcode=99";
		argv[a++] = logopt;
	}
	argv[a++] = bin(name, b, sizeof(b));
	argv[a++] = "-d";
	argv[a++] = "-c";
	argv[a++] = (char *)lifecycle_conf(c, sizeof(c));
	argv[a++] = "--redis";
	argv[a++] = r->url;
	argv[a] = NULL;
	pid = tu_spawn2(argv, NULL, elog);
	unsetenv("NOTIFY_SOCKET");
	assert_true(pid > 0);

	rc = notify_wait(fd, "READY=1", vg ? 60000 : 15000);
	if (rc != 0) {
		kill(pid, SIGKILL);
		tu_wait(pid, 5000);
		fail_msg("%s never said READY=1 (see %s)", name, elog);
	}
	assert_int_equal(sigqueue(pid, SIGTERM, (union sigval){ 0 }), 0);
	refused(fd, pid, name, "sigqueue(3) sent", elog,
	    "its origin is not one");
	if (tu_is_root()) {
		char pins[128];

		snprintf(pins, sizeof(pins), "/sys/fs/bpf/paddock-test-daemon-%ld",
		    (long)getpid());
		assert_int_equal(mark_self(pins, 1), 0);
		kill(pid, SIGTERM);
		refused(fd, pid, name, "a marked sender sent", elog,
		    "its sender is a workload");
		assert_int_equal(mark_self(pins, 0), 0);
	}
	kill(pid, SIGTERM);
	assert_int_equal(notify_wait(fd, "STOPPING=1", 30000), 0);
	rc = tu_wait(pid, 60000);
	if (rc == 99) {
		char *log = tu_slurp(vlog);

		print_message("%s\n", log ? log : "(no valgrind log)");
		free(log);
		fail_msg("%s: valgrind found errors or leaks", name);
	}
	assert_int_equal(rc, 0);
	close(fd);
	unlink(sockpath);
}

static void
test_daemon_ready_stop_clean(void **state)
{
	struct tu_redis *r = *state;
	int vg = have_valgrind();
	size_t i;

	if (!vg)
		print_message("valgrind not installed: checking lifecycle "
		    "without the leak check\n");
	for (i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++) {
		/* The collector and the enforcer load BPF programs: root. */
		if (!tu_is_root() && (strcmp(daemons[i], "paddock-collectd") == 0 ||
		    strcmp(daemons[i], "paddock-enforced") == 0)) {
			print_message("%s needs root: its lifecycle check is "
			    "skipped\n", daemons[i]);
			continue;
		}
		run_one(r, daemons[i], vg);
		unpin_lifecycle();
	}
}

/*
 * A daemon whose Redis is not there says so: at warning level in its log
 * and to systemd as STATUS=, not only "started".  (The two daemons that
 * need no root; the connection code is the same for all four.)
 */
static void
test_daemon_redis_unreachable_is_loud(void **state)
{
	static const char *const names[] = { "paddock-profiled",
	    "paddock-policyd" };
	char b[512], c[512], dir[] = "/tmp/paddock-test-unreach.XXXXXX";
	char sockpath[300], elog[300], url[400], *argv[8], *log = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t i;
	int fd, k;
	pid_t pid;

	assert_non_null(mkdtemp(dir));
	snprintf(sockpath, sizeof(sockpath), "%s/notify", dir);
	snprintf(url, sizeof(url), "unix://%s/no-redis.sock", dir);
	assert_true((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) >= 0);
	memcpy(sa.sun_path, sockpath, strlen(sockpath) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(elog, sizeof(elog), "%s/%s.stderr", dir, names[i]);
		argv[0] = bin(names[i], b, sizeof(b));
		argv[1] = "-d";
		argv[2] = "-c";
		argv[3] = (char *)lifecycle_conf(c, sizeof(c));
		argv[4] = "--redis";
		argv[5] = url;
		argv[6] = NULL;
		setenv("NOTIFY_SOCKET", sockpath, 1);
		pid = tu_spawn2(argv, NULL, elog);
		unsetenv("NOTIFY_SOCKET");
		assert_true(pid > 0);
		k = notify_wait(fd, "STATUS=redis unix:", 10000);
		for (int t = 0; t < 30; t++) {
			free(log);
			if ((log = tu_slurp(elog)) != NULL &&
			    strstr(log, "warning: redis") != NULL)
				break;
			usleep(100000);
		}
		kill(pid, SIGTERM);
		tu_wait(pid, 30000);
		if (k != 0)
			fail_msg("%s: no STATUS= about its Redis", names[i]);
		if (log == NULL || strstr(log, "warning: redis unix:") ==
		    NULL || strstr(log, "unreachable") == NULL) {
			print_message("%s\n", log ? log : "(no log)");
			fail_msg("%s did not warn that Redis is unreachable",
			    names[i]);
		}
		free(log);
		log = NULL;
		unlink(elog);
	}
	close(fd);
	unlink(sockpath);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigguard_judge),
		cmocka_unit_test(test_daemon_help_and_check),
		cmocka_unit_test(test_daemon_bad_config_names_position),
		cmocka_unit_test(test_daemon_redis_unreachable_is_loud),
		cmocka_unit_test_setup_teardown(test_daemon_ready_stop_clean,
		    tu_redis_setup, tu_redis_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
