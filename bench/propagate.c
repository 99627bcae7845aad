/*
 * propagate: policy propagation latency.  N times, alternately promotes a
 * workload to enforce and demotes it to alert with paddockctl (as an
 * operator would), and measures from the command's start until this
 * host's enforcer has acknowledged the new revision.  enforced
 * acknowledges after the kernel's maps hold the revision, so the figure
 * is an upper bound of "command to live in the kernel" (by one Redis
 * hop).  Prints min, p50, p99 and max in ms.
 *
 *   propagate URL PREFIX HOST WORKLOAD N PADDOCKCTL [PADDOCKCTL ARGS...]
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "rstream.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The revision this host's enforcer last acknowledged, or -1. */
static long
acked(redisContext *c, const char *prefix, const char *w, const char *host)
{
	redisReply *r = redisCommand(c, "HGET %sacks:{%s} %s", prefix, w, host);
	const char *p;
	long rev = -1;

	if (r != NULL && r->type == REDIS_REPLY_STRING &&
	    (p = strstr(r->str, "\"rev\":")) != NULL)
		rev = strtol(p + 6, NULL, 10);
	freeReplyObject(r);
	return rev;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	char err[256], **av;
	const char *prefix, *host, *w;
	redisContext *c;
	double *ms;
	long before;
	int n, i, k, base;

	if (argc < 7) {
		fprintf(stderr, "usage: propagate URL PREFIX HOST WORKLOAD N "
		    "PADDOCKCTL [ARGS...]\n");
		return 2;
	}
	prefix = argv[2];
	host = argv[3];
	w = argv[4];
	n = atoi(argv[5]);
	base = argc - 6;
	if (n <= 0 || (ms = calloc((size_t)n, sizeof(*ms))) == NULL ||
	    (av = calloc((size_t)base + 8, sizeof(*av))) == NULL)
		return 2;
	if ((c = rstream_connect_sync(argv[1], NULL, NULL, 2000, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "propagate: %s\n", err);
		return 1;
	}
	for (k = 0; k < base; k++)
		av[k] = argv[6 + k];
	for (i = 0; i < n; i++) {
		double t0;
		pid_t pid;
		int st;

		av[base] = i % 2 ? "demote" : "promote";
		av[base + 1] = (char *)w;
		av[base + 2] = "--to";
		av[base + 3] = i % 2 ? "alert" : "enforce";
		av[base + 4] = "--force";
		av[base + 5] = NULL;
		if (i % 2)
			av[base + 4] = NULL;
		before = acked(c, prefix, w, host);
		t0 = now_ms();
		if ((pid = fork()) == 0) {
			int devnull = open("/dev/null", O_WRONLY);

			dup2(devnull, 1);
			execv(av[0], av);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0) {
			fprintf(stderr, "propagate: %s %s failed\n", av[base], w);
			return 1;
		}
		while (acked(c, prefix, w, host) <= before) {
			if (now_ms() - t0 > 10000) {
				fprintf(stderr, "propagate: no ack in 10 s\n");
				return 1;
			}
			usleep(200);
		}
		ms[i] = now_ms() - t0;
	}
	qsort(ms, (size_t)n, sizeof(*ms), cmp);
	/* Nearest rank: p99 of 100 samples is the 99th, not the largest. */
	printf("%d changes: min %.1f ms, p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
	    n, ms[0], ms[(n + 1) / 2 - 1], ms[(99 * n + 99) / 100 - 1],
	    ms[n - 1]);
	redisFree(c);
	return 0;
}
