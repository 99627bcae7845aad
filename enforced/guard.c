/*
 * guard: what self-protection protects, found in /proc.
 *
 *   - Paddock's daemons: every process running one of the four daemons'
 *     binaries from enforced's own directory (a workload cannot shelter
 *     under a name of its choosing), by its
 *     tgid, each of its threads (tkill and tgkill name a thread) and its
 *     process group (kill(-pgid) reaches it; the daemons run in a session
 *     of their own under systemd and `paddockctl up`);
 *   - the Redis server the daemons use, when it runs on this host: the
 *     process holding the socket that listens at enforced's own Redis URL
 *     (a unix socket by path; TCP by port, for a loopback host);
 *   - where bpffs is mounted, for the unlink guard;
 *   - Paddock's secrets: the files in <state_dir>/operators (the keys that
 *     sign commands) and <state_dir>/secrets (its Redis users' passwords),
 *     by inode.
 *
 * The parsing of one line of /proc/net/unix, /proc/net/tcp{,6} and
 * /proc/PID/stat is pure (unit-tested); the rest reads /proc, whose root
 * is a parameter so the tests can point it elsewhere.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enforced.h"

/* Add id with flags, merging with an entry already there. */
static void
add(struct eprot_id *ids, size_t *n, size_t max, uint32_t id, uint8_t flags)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (ids[i].id == id) {
			ids[i].flags |= flags;
			return;
		}
	if (*n < max)
		ids[(*n)++] = (struct eprot_id){ id, flags };
}

uint32_t
guard_stat_pgid(const char *line)
{
	const char *p = strrchr(line, ')');
	unsigned long pg = 0;

	if (p == NULL || sscanf(p + 1, " %*c %*d %lu", &pg) != 1)
		return 0;
	return (uint32_t)pg;
}

unsigned long
guard_unix_listener(const char *line, const char *path)
{
	unsigned long ino, flags;
	unsigned st;
	int off = 0;

	/* Num RefCount Protocol Flags Type St Inode Path */
	if (sscanf(line, "%*s %*s %*s %lx %*s %x %lu %n", &flags, &st, &ino,
	    &off) != 3 || off == 0)
		return 0;
	if (!(flags & 0x10000) || strcspn(line + off, "\n") != strlen(path) ||
	    strncmp(line + off, path, strlen(path)) != 0)
		return 0;	/* not listening (__SO_ACCEPTCON), or another */
	return ino;
}

unsigned long
guard_tcp_listener(const char *line, int port)
{
	unsigned long ino;
	unsigned lport, st;

	/* sl local_address rem_address st tx_queue:rx_queue tr:tm->when
	 * retrnsmt uid timeout inode */
	if (sscanf(line, " %*s %*[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*s %*s %lu",
	    &lport, &st, &ino) != 3)
		return 0;
	return st == 0x0a && (int)lport == port ? ino : 0;
}

/* The first non-zero fn(line, ...) of a /proc file, for a unix path or a
 * TCP port (one of path and port is used). */
static unsigned long
scan_net(const char *file, const char *path, int port)
{
	char line[1024];
	unsigned long ino = 0;
	FILE *f;

	if ((f = fopen(file, "r")) == NULL)
		return 0;
	while (ino == 0 && fgets(line, sizeof(line), f) != NULL)
		ino = path != NULL ? guard_unix_listener(line, path) :
		    guard_tcp_listener(line, port);
	fclose(f);
	return ino;
}

/* A loopback host: the Redis there is this host's. */
static int
loopback(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (strcmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 &&
	    IN6_IS_ADDR_LOOPBACK(&a6);
}

unsigned long
guard_redis_inode(const char *proc, const struct rstream_url *u)
{
	char file[300];
	unsigned long ino;

	if (u->is_unix) {
		snprintf(file, sizeof(file), "%s/net/unix", proc);
		return scan_net(file, u->path, 0);
	}
	if (!loopback(u->host))
		return 0;
	snprintf(file, sizeof(file), "%s/net/tcp", proc);
	if ((ino = scan_net(file, NULL, u->port)) != 0)
		return ino;
	snprintf(file, sizeof(file), "%s/net/tcp6", proc);
	return scan_net(file, NULL, u->port);
}

/* Does process pid (a /proc entry) hold socket inode ino? */
static int
holds(const char *proc, const char *pid, unsigned long ino)
{
	char dir[300], path[600], link[64], want[40];
	struct dirent *ent;
	int found = 0;
	ssize_t r;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%.20s/fd", proc, pid);
	snprintf(want, sizeof(want), "socket:[%lu]", ino);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while (!found && (ent = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
		if ((r = readlink(path, link, sizeof(link) - 1)) <= 0)
			continue;
		link[r] = '\0';
		found = strcmp(link, want) == 0;
	}
	closedir(d);
	return found;
}

pid_t
guard_socket_owner(const char *proc, unsigned long ino, pid_t hint)
{
	struct dirent *ent;
	char pid[24];
	pid_t found = 0;
	DIR *d;

	if (ino == 0)
		return 0;
	snprintf(pid, sizeof(pid), "%d", (int)hint);
	if (hint > 0 && holds(proc, pid, ino))
		return hint;	/* the usual case: one directory read */
	if ((d = opendir(proc)) == NULL)
		return 0;
	while (found == 0 && (ent = readdir(d)) != NULL)
		if (ent->d_name[0] >= '1' && ent->d_name[0] <= '9' &&
		    holds(proc, ent->d_name, ino))
			found = (pid_t)strtol(ent->d_name, NULL, 10);
	closedir(d);
	return found;
}

/* Add a process: its tgid, its threads, its process group. */
static void
add_process(const char *proc, const char *pid, struct eprot_id *ids,
    size_t *n, size_t max)
{
	char path[300], line[512];
	struct dirent *t;
	uint32_t pg;
	FILE *f;
	DIR *td;

	add(ids, n, max, (uint32_t)strtoul(pid, NULL, 10), EPROT_PROC);
	snprintf(path, sizeof(path), "%s/%.20s/stat", proc, pid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(line, sizeof(line), f) != NULL &&
		    (pg = guard_stat_pgid(line)) != 0)
			add(ids, n, max, pg, EPROT_GROUP);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/%.20s/task", proc, pid);
	if ((td = opendir(path)) == NULL)
		return;
	while ((t = readdir(td)) != NULL)
		if (t->d_name[0] >= '1' && t->d_name[0] <= '9')
			add(ids, n, max, (uint32_t)strtoul(t->d_name, NULL, 10),
			    EPROT_PROC);
	closedir(td);
}

int
guard_daemon_exe(const char *exe, const char *bindir)
{
	static const char *const names[] = { "paddock-collectd",
	    "paddock-profiled", "paddock-policyd", "paddock-enforced" };
	static const char deleted[] = " (deleted)";	/* replaced on disk */
	size_t i, n = strlen(bindir), len;

	if (strncmp(exe, bindir, n) != 0 || exe[n] != '/')
		return 0;
	exe += n + 1;
	len = strlen(exe);
	if (len > sizeof(deleted) - 1 &&
	    strcmp(exe + len - (sizeof(deleted) - 1), deleted) == 0)
		len -= sizeof(deleted) - 1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && strncmp(exe, names[i], len) == 0)
			return 1;
	return 0;
}

int
guard_ids(const char *proc, const char *bindir, pid_t also,
    struct eprot_id *ids, size_t max)
{
	char path[300], exe[512], pid[24];
	struct dirent *ent;
	size_t n = 0;
	ssize_t r;
	DIR *d;

	if ((d = opendir(proc)) == NULL)
		return -errno;
	while ((ent = readdir(d)) != NULL) {
		if (ent->d_name[0] < '1' || ent->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/%.20s/exe", proc, ent->d_name);
		if ((r = readlink(path, exe, sizeof(exe) - 1)) <= 0)
			continue;
		exe[r] = '\0';
		if (guard_daemon_exe(exe, bindir))
			add_process(proc, ent->d_name, ids, &n, max);
	}
	closedir(d);
	if (also > 0) {
		snprintf(pid, sizeof(pid), "%d", (int)also);
		add_process(proc, pid, ids, &n, max);
	}
	return (int)n;
}

int
guard_bpffs_mounts(FILE *mounts, char mnts[][EBPFFS_LEN], size_t max)
{
	char line[1024], dev[256], at[512], type[64];
	size_t n = 0;

	while (n < max && fgets(line, sizeof(line), mounts) != NULL) {
		if (sscanf(line, "%255s %511s %63s", dev, at, type) != 3 ||
		    strcmp(type, "bpf") != 0 || strlen(at) >= EBPFFS_LEN)
			continue;
		snprintf(mnts[n++], EBPFFS_LEN, "%s", at);
	}
	return (int)n;
}

int
guard_secrets(const char *dir, struct eprot_inode *out, size_t max)
{
	char path[1024];
	struct dirent *e;
	struct stat st;
	size_t n = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d)) != NULL && n < max) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		out[n].dev = ((uint64_t)major(st.st_dev) << 20) |
		    minor(st.st_dev);
		out[n++].ino = st.st_ino;
	}
	closedir(d);
	return (int)n;
}
