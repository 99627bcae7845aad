/*
 * storm: the micro-workloads of `make bench`, each timing itself.
 *
 *   storm open N FILE_DIR   N open+close pairs: half on one file, half on
 *                           N/2 different files (made first, not timed)
 *   storm exec N            N fork+exec of /bin/true, waited for
 *   storm connect N PORT    N TCP connect+close to 127.0.0.1:PORT (a
 *                           listener this program runs in a thread)
 *   storm cmd N CMD [ARG..] N runs of CMD, waited for (the agent-like
 *                           mix and the build: their whole process tree's
 *                           CPU counts, as its parents reap it)
 *
 * Prints one line: "<wall seconds> <cpu seconds> <operations>", CPU being
 * user+system of this process and its children.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu(void)
{
	struct rusage s, c;

	getrusage(RUSAGE_SELF, &s);
	getrusage(RUSAGE_CHILDREN, &c);
	return (double)(s.ru_utime.tv_sec + s.ru_stime.tv_sec +
	    c.ru_utime.tv_sec + c.ru_stime.tv_sec) +
	    (double)(s.ru_utime.tv_usec + s.ru_stime.tv_usec +
	    c.ru_utime.tv_usec + c.ru_stime.tv_usec) / 1e6;
}

static void *
acceptor(void *arg)
{
	int l = *(int *)arg, c;

	while ((c = accept(l, NULL, NULL)) >= 0)
		close(c);
	return NULL;
}

int
main(int argc, char **argv)
{
	long n, i;
	double t0, c0;
	char path[512];

	if (argc < 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: storm open|exec|connect|cmd N [ARG]\n");
		return 2;
	}
	if (strcmp(argv[1], "open") == 0 && argc == 4) {
		for (i = 0; i < n / 2; i++) {
			int fd;

			snprintf(path, sizeof(path), "%s/f%ld", argv[3], i);
			if ((fd = open(path, O_CREAT | O_WRONLY, 0644)) >= 0)
				close(fd);
		}
		t0 = now();
		c0 = cpu();
		for (i = 0; i < n; i++) {
			int fd;

			if (i % 2)
				snprintf(path, sizeof(path), "%s/f%ld", argv[3],
				    i / 2);
			else
				snprintf(path, sizeof(path), "%s/f0", argv[3]);
			if ((fd = open(path, O_RDONLY)) >= 0)
				close(fd);
		}
	} else if (strcmp(argv[1], "exec") == 0) {
		t0 = now();
		c0 = cpu();
		for (i = 0; i < n; i++) {
			pid_t p = fork();

			if (p == 0) {
				execl("/bin/true", "true", (char *)NULL);
				_exit(127);
			}
			if (p > 0)
				waitpid(p, NULL, 0);
		}
	} else if (strcmp(argv[1], "connect") == 0 && argc == 4) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		pthread_t th;
		int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;

		sa.sin_port = htons((uint16_t)atoi(argv[3]));
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    listen(l, 1024) < 0) {
			perror("listen");
			return 1;
		}
		pthread_create(&th, NULL, acceptor, &l);
		t0 = now();
		c0 = cpu();
		for (i = 0; i < n; i++) {
			int s = socket(AF_INET, SOCK_STREAM, 0);

			if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
				perror("connect");
				return 1;
			}
			close(s);
		}
	} else if (strcmp(argv[1], "cmd") == 0 && argc >= 4) {
		t0 = now();
		c0 = cpu();
		for (i = 0; i < n; i++) {
			pid_t p = fork();
			int st;

			if (p == 0) {
				execvp(argv[3], argv + 3);
				_exit(127);
			}
			if (p < 0 || waitpid(p, &st, 0) < 0 || !WIFEXITED(st) ||
			    WEXITSTATUS(st) != 0) {
				fprintf(stderr, "storm: %s failed\n", argv[3]);
				return 1;
			}
		}
	} else {
		fprintf(stderr, "usage: storm open|exec|connect|cmd N [ARG]\n");
		return 2;
	}
	printf("%.6f %.6f %ld\n", now() - t0, cpu() - c0, n);
	return 0;
}
