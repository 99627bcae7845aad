/*
 * actor: a workload with known behaviour, for the collector's tests.
 *
 *   actor exec-symlink DIR        exec /bin/cat through DIR/mycat -> /bin/cat
 *   actor exec-relative           exec ./cat from /bin
 *   actor files DIR               read DIR/read.txt; write DIR/write.txt via
 *                                 openat(dirfd); write DIR/fd.txt through
 *                                 /proc/self/fd/N; read DIR/rel.txt by a
 *                                 relative path; read DIR/a/../dotdot.txt
 *   actor net P4 P6 PU            TCP connect 127.0.0.1:P4 and [::1]:P6,
 *                                 UDP sendto 127.0.0.1:PU, then listen on
 *                                 127.0.0.1:0 and print "listen PORT"
 *   actor dns SERVER NAME PORT    ask SERVER:53 (UDP) for NAME's A record,
 *                                 then TCP connect to the answer on PORT
 *   actor dns-forged IP PORT      wait on an ephemeral UDP port (printed as
 *                                 "listening N") for one datagram, then TCP
 *                                 connect to IP:PORT
 *   actor unix PATH               connect to the unix stream socket PATH, send
 *                                 "PING\r\n" and print the reply's first line
 *   actor quick                   fork; the child execs /bin/true (it lives
 *                                 well under a millisecond)
 *   actor loop N DIR              N times: fork+exec /bin/true, open
 *                                 DIR/loop.txt, UDP sendto 127.0.0.1:9
 *   actor signal HOW PID SIG      send signal SIG to PID by HOW: kill,
 *                                 group (kill(-PID)), tgkill, tkill, queue
 *                                 (rt_sigqueueinfo), int80 (the i386 kill
 *                                 through int 0x80), setown (a pipe's
 *                                 F_SETOWN/F_SETSIG: the kernel sends it)
 *                                 or pidfd
 *                                 (pidfd_send_signal); print "sent"
 *   actor reach HOW PID           reach into process PID by HOW: ptrace
 *                                 (PTRACE_SEIZE, which does not stop it),
 *                                 vmread (process_vm_readv of 1 byte) or
 *                                 getfd
 *                                 (pidfd_getfd of its fd 0); print "done"
 *   actor create DIR N US         create DIR/f0 .. DIR/f<N-1>, one every US
 *                                 microseconds, with nothing else in
 *                                 between (one open record each); print
 *                                 "created N"
 *   actor unlinkat DIR NAME       unlinkat(fd, NAME) with fd an O_PATH
 *                                 descriptor of DIR (not an open the file
 *                                 dimension sees); print "removed"
 *
 * Exits 0 when every step worked, 1 (with a message) otherwise.
 */
#include <sys/socket.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void
run(const char *path, char *const argv[])
{
	int st;
	pid_t p = fork();

	if (p < 0)
		err(1, "fork");
	if (p == 0) {
		execv(path, argv);
		_exit(127);
	}
	if (waitpid(p, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		errx(1, "%s failed", path);
}

static void
put(const char *dir, const char *name)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		err(1, "%s", p);
	close(fd);
}

static void
tcp(int fam, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int s;

	memset(&ss, 0, sizeof(ss));
	if (fam == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, addr, &a->sin_addr);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, addr, &a->sin6_addr);
		sl = sizeof(*a);
	}
	if ((s = socket(fam, SOCK_STREAM, 0)) < 0)
		err(1, "socket");
	if (connect(s, (struct sockaddr *)&ss, sl) < 0)
		err(1, "connect %s:%d", addr, port);
	close(s);
}

static void
udp(const char *addr, int port, const void *buf, size_t len, int s)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, addr, &a.sin_addr);
	if (sendto(s, buf, len, 0, (struct sockaddr *)&a, sizeof(a)) < 0)
		err(1, "sendto %s:%d", addr, port);
}

static int
do_files(const char *dir)
{
	char p[512], q[600], buf[16];
	int fd, dfd, fd2;

	put(dir, "read.txt");
	put(dir, "fd.txt");
	put(dir, "rel.txt");
	put(dir, "dotdot.txt");
	snprintf(p, sizeof(p), "%s/a", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/read.txt", dir);
	if ((fd = open(p, O_RDONLY)) < 0 || read(fd, buf, 1) < 0)
		err(1, "%s", p);
	close(fd);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY)) < 0)
		err(1, "%s", dir);
	if ((fd = openat(dfd, "write.txt", O_WRONLY | O_CREAT | O_TRUNC,
	    0644)) < 0)
		err(1, "openat write.txt");
	close(fd);
	close(dfd);
	snprintf(p, sizeof(p), "%s/fd.txt", dir);
	if ((fd = open(p, O_RDONLY)) < 0)
		err(1, "%s", p);
	snprintf(q, sizeof(q), "/proc/self/fd/%d", fd);
	if ((fd2 = open(q, O_WRONLY)) < 0)
		err(1, "%s", q);
	close(fd2);
	close(fd);
	if (chdir(dir) < 0)
		err(1, "chdir");
	if ((fd = open("rel.txt", O_RDONLY)) < 0)
		err(1, "rel.txt");
	close(fd);
	if ((fd = open("a/../dotdot.txt", O_RDONLY)) < 0)
		err(1, "dotdot.txt");
	close(fd);
	return 0;
}

static int
do_net(int p4, int p6, int pu)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t sl = sizeof(a);
	int s, l;

	tcp(AF_INET, "127.0.0.1", p4);
	tcp(AF_INET6, "::1", p6);
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		err(1, "socket");
	udp("127.0.0.1", pu, "hello", 5, s);
	close(s);
	if ((l = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		err(1, "socket");
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &sl) < 0)
		err(1, "listen");
	printf("listen %d\n", ntohs(a.sin_port));
	close(l);
	return 0;
}

static int
do_dns(const char *server, const char *name, int port)
{
	unsigned char q[512], r[512];
	size_t n = 12;
	const char *p = name;
	struct timeval tv = { 5, 0 };
	char ip[INET_ADDRSTRLEN];
	ssize_t got;
	int s;

	memset(q, 0, sizeof(q));
	q[0] = 0x12; q[1] = 0x34;	/* id */
	q[2] = 0x01;			/* RD */
	q[5] = 1;			/* one question */
	while (*p != '\0') {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		q[n++] = (unsigned char)l;
		memcpy(q + n, p, l);
		n += l;
		p += l + (dot != NULL);
	}
	q[n++] = 0;
	q[n++] = 0; q[n++] = 1;		/* A */
	q[n++] = 0; q[n++] = 1;		/* IN */
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		err(1, "socket");
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	udp(server, 53, q, n, s);
	if ((got = recv(s, r, sizeof(r), 0)) < (ssize_t)(n + 16))
		errx(1, "no DNS answer");
	close(s);
	/* The answer's RDATA is the last 4 bytes of our responder's reply. */
	inet_ntop(AF_INET, r + got - 4, ip, sizeof(ip));
	tcp(AF_INET, ip, port);
	printf("resolved %s %s\n", name, ip);
	return 0;
}

/*
 * An answer nobody asked for: wait on an ephemeral UDP port (printed) for
 * one datagram, a DNS answer sent by someone else, then connect to the
 * address it would have allowed.
 */
static int
do_dns_forged(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct timeval tv = { 10, 0 };
	socklen_t sl = sizeof(a);
	unsigned char r[512];
	int s;

	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		err(1, "socket");
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &sl) < 0)
		err(1, "bind");
	printf("listening %d\n", ntohs(a.sin_port));
	fflush(stdout);
	if (recv(s, r, sizeof(r), 0) < 12)
		errx(1, "no datagram");
	printf("got an answer\n");
	tcp(AF_INET, ip, port);
	printf("connected %s\n", ip);
	return 0;
}

static int
do_unix(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char buf[256];
	ssize_t n;
	int s;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		err(1, "socket");
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		err(1, "connect %s", path);
	if (write(s, "PING\r\n", 6) != 6)
		err(1, "write");
	if ((n = read(s, buf, sizeof(buf) - 1)) <= 0)
		errx(1, "no reply");
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	printf("reply %s\n", buf);
	close(s);
	return 0;
}

static int
do_signal(const char *how, pid_t pid, int sig)
{
	siginfo_t si;
	long rc;
	int fd;

	memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	if (strcmp(how, "kill") == 0)
		rc = kill(pid, sig);
	else if (strcmp(how, "group") == 0)
		rc = kill(-pid, sig);
	else if (strcmp(how, "tgkill") == 0)
		rc = syscall(SYS_tgkill, pid, pid, sig);
	else if (strcmp(how, "tkill") == 0)
		rc = syscall(SYS_tkill, pid, sig);
	else if (strcmp(how, "queue") == 0)
		rc = syscall(SYS_rt_sigqueueinfo, pid, sig, &si);
	else if (strcmp(how, "int80") == 0)	/* i386 kill (37): bx, cx */
		__asm__ volatile("int $0x80" : "=a"(rc) : "a"(37L),
		    "b"((long)pid), "c"((long)sig) : "memory");
	else if (strcmp(how, "setown") == 0) {	/* the kernel sends it */
		int p[2];

		if (pipe(p) < 0 || fcntl(p[0], F_SETOWN, pid) < 0 ||
		    fcntl(p[0], F_SETSIG, sig) < 0 ||
		    fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK) < 0)
			err(1, "setown");
		rc = write(p[1], "x", 1) == 1 ? 0 : -1;
	} else if (strcmp(how, "pidfd") == 0) {
		if ((fd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0)
			err(1, "pidfd_open");
		rc = syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
	} else
		errx(2, "signal: no such way: %s", how);
	if (rc < 0 && strcmp(how, "int80") == 0)
		errno = (int)-rc;	/* the raw call's -errno */
	if (rc < 0)
		err(1, "signal %s", how);
	printf("sent\n");
	return 0;
}

static int
do_reach(const char *how, pid_t pid)
{
	struct iovec l, r;
	char c;
	long rc;
	int fd;

	l = (struct iovec){ &c, 1 };
	if (strcmp(how, "ptrace") == 0)
		rc = ptrace(PTRACE_SEIZE, pid, NULL, NULL);
	else if (strcmp(how, "vmread") == 0) {
		/* Any address: the call is what is checked, not the read. */
		r = (struct iovec){ (void *)0x400000, 1 };
		rc = process_vm_readv(pid, &l, 1, &r, 1, 0);
	} else if (strcmp(how, "getfd") == 0) {
		if ((fd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0)
			err(1, "pidfd_open");
		rc = syscall(SYS_pidfd_getfd, fd, 0, 0);
	} else
		errx(2, "reach: no such way: %s", how);
	if (rc < 0)
		err(1, "reach %s", how);
	printf("done\n");
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "exec-symlink") == 0) {
		char link[512];
		char *av[] = { "mycat", "/dev/null", NULL };

		snprintf(link, sizeof(link), "%s/mycat", argv[2]);
		unlink(link);
		if (symlink("/bin/cat", link) < 0)
			err(1, "symlink");
		run(link, av);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "exec-relative") == 0) {
		char *av[] = { "./cat", "/dev/null", NULL };

		if (chdir("/bin") < 0)
			err(1, "chdir");
		run("./cat", av);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "files") == 0)
		return do_files(argv[2]);
	if (argc >= 5 && strcmp(argv[1], "net") == 0)
		return do_net(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	if (argc >= 5 && strcmp(argv[1], "dns") == 0)
		return do_dns(argv[2], argv[3], atoi(argv[4]));
	if (argc >= 4 && strcmp(argv[1], "dns-forged") == 0)
		return do_dns_forged(argv[2], atoi(argv[3]));
	if (argc >= 3 && strcmp(argv[1], "unix") == 0)
		return do_unix(argv[2]);
	if (argc >= 2 && strcmp(argv[1], "quick") == 0) {
		char *av[] = { "true", NULL };

		run("/bin/true", av);
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "loop") == 0) {
		char *av[] = { "true", NULL }, p[512];
		int i, n = atoi(argv[2]), s, fd;

		snprintf(p, sizeof(p), "%s/loop.txt", argv[3]);
		put(argv[3], "loop.txt");
		if ((s = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
			err(1, "socket");
		for (i = 0; i < n; i++) {
			run("/bin/true", av);
			if ((fd = open(p, O_RDONLY)) < 0)
				err(1, "%s", p);
			close(fd);
			udp("127.0.0.1", 9, "x", 1, s);
		}
		close(s);
		return 0;
	}
	if (argc >= 5 && strcmp(argv[1], "create") == 0) {
		int i, n = atoi(argv[3]), fd;
		long us = atol(argv[4]);
		struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
		char p[512];

		for (i = 0; i < n; i++) {
			snprintf(p, sizeof(p), "%s/f%d", argv[2], i);
			if ((fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC,
			    0600)) < 0)
				err(1, "%s", p);
			close(fd);
			if (us > 0)
				nanosleep(&ts, NULL);
		}
		printf("created %d\n", n);
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "unlinkat") == 0) {
		int dfd = open(argv[2], O_PATH | O_DIRECTORY);

		if (dfd < 0)
			err(1, "%s", argv[2]);
		if (unlinkat(dfd, argv[3], 0) < 0)
			err(1, "unlinkat %s", argv[3]);
		printf("removed\n");
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "reach") == 0)
		return do_reach(argv[2], (pid_t)atoi(argv[3]));
	if (argc >= 5 && strcmp(argv[1], "signal") == 0)
		return do_signal(argv[2], (pid_t)atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: see tests/helpers/actor.c\n");
	return 2;
}
