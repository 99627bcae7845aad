/*
 * self: Paddock's own processes (self.h).
 *
 * Pure parsing around two reads of /proc: a process's start time, which
 * with its pid names it for good (a pid can be used again, the pair
 * cannot within one boot).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "self.h"

int
self_start(const char *procfs, pid_t pid, uint64_t *start)
{
	char path[128], buf[1024], *p;
	unsigned long long v;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%d/stat", procfs, (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* "pid (comm) S ppid ...": comm may hold spaces and parentheses;
	 * after it, start time is the 20th field. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u "
	    "%*u %*d %*d %*d %*d %*d %*d %llu", &v) != 1)
		return -EINVAL;
	*start = v;
	return 0;
}

int
self_entry(char *buf, size_t len)
{
	uint64_t start;
	int rc;

	if ((rc = self_start("/proc", getpid(), &start)) < 0)
		return rc;
	if ((size_t)snprintf(buf, len, "%d %" PRIu64, (int)getpid(), start) >=
	    len)
		return -ENOSPC;
	return 0;
}

int
self_check(const char *procfs, const char *val, size_t len, uint32_t *pid)
{
	char s[64], *end;
	unsigned long p;
	unsigned long long start;
	uint64_t now;
	int rc;

	if (len == 0 || len >= sizeof(s))
		return -EINVAL;
	memcpy(s, val, len);
	s[len] = '\0';
	errno = 0;
	p = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != ' ' || p == 0 || p > 4194304)
		return -EINVAL;
	start = strtoull(end + 1, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	if ((rc = self_start(procfs, (pid_t)p, &now)) < 0)
		return rc == -EINVAL ? -EINVAL : -ESRCH;
	if (now != start)
		return -ESRCH;
	*pid = (uint32_t)p;
	return 0;
}
