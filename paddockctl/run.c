/*
 * paddockctl run --workload NAME -- CMD [ARGS...]
 *
 * Runs CMD as workload NAME and passes its exit status through (128+N when
 * it dies of signal N).  Identity comes from the cgroup, so the command
 * needs no label:
 *
 *   <cgroup2>/paddock.slice/paddock-<NAME escaped>.slice/run-<pid>.scope
 *
 * With systemd as PID 1 this is a transient scope (systemd-run --scope),
 * so systemd stays the owner of the tree.  Otherwise paddockctl makes the
 * cgroup itself, puts the child in it before exec (so nothing the command
 * does escapes it), forwards SIGINT/SIGTERM/SIGHUP, and when the command
 * ends kills what it left behind (cgroup.kill) and removes the cgroup: the
 * workload ends with its command, as a systemd scope would.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "ctl.h"

static volatile sig_atomic_t child_pid;

static void
forward(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

static int
write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int
have_systemd(void)
{
	struct stat st;

	return lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

static int
run_systemd(const char *esc, char **cmd)
{
	char slice[450], unit[64];
	char **argv;
	int n = 0, i;

	for (i = 0; cmd[i] != NULL; i++)
		;
	if ((argv = calloc((size_t)i + 8, sizeof(*argv))) == NULL)
		return CTL_EXIT_FAIL;
	snprintf(slice, sizeof(slice), "--slice=paddock-%s.slice", esc);
	snprintf(unit, sizeof(unit), "--unit=run-%ld", (long)getpid());
	argv[n++] = "systemd-run";
	argv[n++] = "--scope";
	argv[n++] = "--quiet";
	argv[n++] = "--collect";
	argv[n++] = slice;
	argv[n++] = unit;
	argv[n++] = "--";
	for (i = 0; cmd[i] != NULL; i++)
		argv[n++] = cmd[i];
	argv[n] = NULL;
	execvp(argv[0], argv);
	fprintf(stderr, "paddockctl: systemd-run: %s\n", strerror(errno));
	free(argv);
	return CTL_EXIT_FAIL;
}

static int
run_cgroup(const char *esc, char **cmd)
{
	char mnt[256], slice[720], dir[800], procs[860], kill_path[860];
	struct sigaction sa;
	int status, rc, i;
	pid_t pid;

	if ((rc = cgroup_find_mount(mnt, sizeof(mnt))) < 0) {
		fprintf(stderr, "paddockctl: no cgroup v2 mount in /proc/mounts\n");
		return CTL_EXIT_FAIL;
	}
	snprintf(slice, sizeof(slice), "%s/%s", mnt, CGROUP_PADDOCK_SLICE);
	if (mkdir(slice, 0755) < 0 && errno != EEXIST)
		goto mkfail;
	snprintf(slice, sizeof(slice), "%s/%s/paddock-%s.slice", mnt,
	    CGROUP_PADDOCK_SLICE, esc);
	if (mkdir(slice, 0755) < 0 && errno != EEXIST)
		goto mkfail;
	snprintf(dir, sizeof(dir), "%s/run-%ld.scope", slice, (long)getpid());
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		goto mkfail;
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);

	if ((pid = fork()) < 0) {
		fprintf(stderr, "paddockctl: fork: %s\n", strerror(errno));
		rmdir(dir);
		return CTL_EXIT_FAIL;
	}
	if (pid == 0) {
		if ((rc = write_file(procs, "0")) < 0) {
			fprintf(stderr, "paddockctl: %s: %s\n", procs,
			    strerror(-rc));
			_exit(126);
		}
		execvp(cmd[0], cmd);
		fprintf(stderr, "paddockctl: %s: %s\n", cmd[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	child_pid = pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = 1 << 8;
			break;
		}
	}
	/* The workload ends with its command: no strays outlive it. */
	snprintf(kill_path, sizeof(kill_path), "%s/cgroup.kill", dir);
	for (i = 0; i < 100 && rmdir(dir) < 0 && errno == EBUSY; i++) {
		if (i == 0 && write_file(kill_path, "1") < 0)
			break;		/* no cgroup.kill: leave it */
		usleep(10000);
	}
	rmdir(slice);		/* fails, rightly, while other runs use it */
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
mkfail:
	fprintf(stderr, "paddockctl: cannot create the workload's cgroup "
	    "under %s: %s%s\n", mnt, strerror(errno),
	    errno == EACCES || errno == EPERM ? " (run as root)" : "");
	return CTL_EXIT_FAIL;
}

static int
cmd_run(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "workload", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL;
	char esc[420];
	int ch;

	while ((ch = getopt_long(argc, argv, "+w:", opts, NULL)) != -1) {
		switch (ch) {
		case 'w':
			name = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (name == NULL || optind >= argc)
		goto usage;
	if (!cgroup_valid_name(name)) {
		fprintf(stderr, "paddockctl: \"%s\" is not a usable workload "
		    "name (1-100 characters: letters, digits, '.', '_', '-', "
		    "'@'; not starting with '.' or '-')\n", name);
		return CTL_EXIT_USAGE;
	}
	if (cgroup_escape(name, esc, sizeof(esc)) < 0) {
		fprintf(stderr, "paddockctl: workload name too long\n");
		return CTL_EXIT_USAGE;
	}
	if (have_systemd())
		return run_systemd(esc, argv + optind);
	return run_cgroup(esc, argv + optind);
usage:
	fprintf(stderr, "usage: paddockctl run --workload NAME -- CMD "
	    "[ARGS...]\n");
	return CTL_EXIT_USAGE;
}

const struct ctl_cmd ctl_cmd_run = {
	"run", "run a command as a named workload", cmd_run,
};
