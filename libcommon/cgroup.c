/*
 * cgroup: see cgroup.h.  Identity rules, innermost component first:
 *
 *   1. a container id (docker-, cri-containerd-, crio-, libpod- scopes, or a
 *      bare 64-hex directory) names a container; with a Kubernetes pod
 *      component above it, a pod ("k8s:<pod-uid>/<container-12>");
 *   2. paddock.slice/paddock-<escaped name>.slice names a `paddockctl run`
 *      workload, whatever lies below it;
 *   3. the innermost *.service or *.scope names a systemd unit, except
 *      session-N.scope (an interactive login: plain host processes); numeric
 *      instance suffixes of scopes are dropped so that restarts keep a name;
 *   4. otherwise the innermost *.slice ("-.slice" for the root).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"

#ifndef FILEID_KERNFS
#define FILEID_KERNFS	0xfe
#endif

int
cgroup_find_mount(char *out, size_t len)
{
	struct mntent *m;
	FILE *f;
	int rc = -ENOENT;

	if ((f = setmntent("/proc/mounts", "r")) == NULL)
		return -errno;
	while ((m = getmntent(f)) != NULL) {
		if (strcmp(m->mnt_type, "cgroup2") != 0)
			continue;
		if (strlen(m->mnt_dir) >= len) {
			rc = -ENAMETOOLONG;
			break;
		}
		snprintf(out, len, "%s", m->mnt_dir);
		rc = 0;
		break;
	}
	endmntent(f);
	return rc;
}

int
cgroup_id_of(const char *abspath, uint64_t *id)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[64];
	} h;
	struct stat st;
	int mount_id;

	h.fh.handle_bytes = sizeof(h.bytes);
	if (name_to_handle_at(AT_FDCWD, abspath, &h.fh, &mount_id, 0) == 0 &&
	    h.fh.handle_bytes == sizeof(uint64_t)) {
		memcpy(id, h.fh.f_handle, sizeof(*id));
		return 0;
	}
	/* Kernels without kernfs handles: the inode number is the id. */
	if (stat(abspath, &st) < 0)
		return -errno;
	*id = (uint64_t)st.st_ino;
	return 0;
}

int
cgroup_path_of(const char *mnt, uint64_t id, char *out, size_t len)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	char link[64], buf[PATH_MAX];
	size_t ml = strlen(mnt);
	ssize_t n;
	int mfd, fd, rc = 0;

	if ((mfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	h.fh.handle_bytes = sizeof(uint64_t);
	h.fh.handle_type = FILEID_KERNFS;
	h.id = id;
	fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		close(mfd);
		return rc;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0)
		rc = -errno;
	close(fd);
	close(mfd);
	if (rc < 0)
		return rc;
	buf[n] = '\0';
	if (strncmp(buf, mnt, ml) != 0)
		return -EXDEV;
	if (buf[ml] == '\0')
		snprintf(buf, sizeof(buf), "/");
	else
		memmove(buf, buf + ml, strlen(buf + ml) + 1);
	if (strlen(buf) >= len)
		return -ENAMETOOLONG;
	snprintf(out, len, "%s", buf);
	return 0;
}

int
cgroup_path_of_pid(pid_t pid, char *out, size_t len)
{
	char file[64], line[PATH_MAX + 32];
	FILE *f;
	int rc = -ENOENT;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	if ((f = fopen(file, "re")) == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n;

		if (strncmp(line, "0::", 3) != 0)
			continue;
		n = strcspn(line + 3, "\n");
		line[3 + n] = '\0';
		if (n >= len) {
			rc = -ENAMETOOLONG;
			break;
		}
		snprintf(out, len, "%s", line + 3);
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

/* ---------------------------------------------------------------- naming */

static int
is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return n > 0;
}

static int
has_suffix(const char *s, size_t n, const char *sfx)
{
	size_t l = strlen(sfx);

	return n >= l && memcmp(s + n - l, sfx, l) == 0;
}

static int
has_prefix(const char *s, size_t n, const char *pfx)
{
	size_t l = strlen(pfx);

	return n >= l && memcmp(s, pfx, l) == 0;
}

/*
 * If component c (length n) holds a container id, copy it to id and the
 * runtime to rt.  "-conmon-" scopes are runtime helpers, not containers.
 */
static int
component_container(const char *c, size_t n, char *id, size_t idlen,
    char *rt, size_t rtlen)
{
	static const struct { const char *pfx, *rt; } scopes[] = {
		{ "docker-", "docker" },
		{ "cri-containerd-", "containerd" },
		{ "crio-", "crio" },
		{ "libpod-", "podman" },
		{ "containerd-", "containerd" },
		{ "nerdctl-", "containerd" },
	};
	size_t i;

	for (i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		size_t pl = strlen(scopes[i].pfx);

		if (!has_prefix(c, n, scopes[i].pfx) || !has_suffix(c, n, ".scope"))
			continue;
		if (has_prefix(c + pl, n - pl, "conmon-"))
			return 0;
		if (n - pl - 6 < 12 || n - pl - 6 >= idlen ||
		    !is_hex(c + pl, n - pl - 6))
			return 0;
		memcpy(id, c + pl, n - pl - 6);
		id[n - pl - 6] = '\0';
		snprintf(rt, rtlen, "%s", scopes[i].rt);
		return 1;
	}
	/* cgroupfs drivers: a bare 64-hex directory. */
	if (n == 64 && is_hex(c, n)) {
		memcpy(id, c, n);
		id[n] = '\0';
		snprintf(rt, rtlen, "container");
		return 1;
	}
	return 0;
}

/* A Kubernetes pod component: kubepods-...-pod<uid>.slice or pod<uid>. */
static int
component_pod(const char *c, size_t n, char *uid, size_t uidlen)
{
	const char *p;
	size_t l, i;

	if (has_prefix(c, n, "kubepods") && has_suffix(c, n, ".slice")) {
		const char *end = c + n - 6;

		for (p = end; p > c && p[-1] != '-'; p--)
			;
		if (end - p < 4 || memcmp(p, "pod", 3) != 0)
			return 0;
		p += 3;
		l = (size_t)(end - p);
	} else if (has_prefix(c, n, "pod") && n > 3 + 30) {
		p = c + 3;
		l = n - 3;
	} else {
		return 0;
	}
	if (l >= uidlen || l < 32)
		return 0;
	for (i = 0; i < l; i++) {
		char ch = p[i] == '_' ? '-' : p[i];

		if (!isxdigit((unsigned char)ch) && ch != '-')
			return 0;
		uid[i] = ch;
	}
	uid[l] = '\0';
	return 1;
}

int
cgroup_valid_name(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > 100)
		return 0;
	if (name[0] == '.' || name[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!isalnum(c) && c != '-' && c != '_' && c != '.' && c != '@')
			return 0;
	}
	return 1;
}

int
cgroup_escape(const char *name, char *out, size_t len)
{
	size_t o = 0;

	for (; *name != '\0'; name++) {
		unsigned char c = (unsigned char)*name;
		int w;

		if (isalnum(c) || c == '_' || c == '.' || c == '@' || c == ':')
			w = snprintf(out + o, len - o, "%c", c);
		else
			w = snprintf(out + o, len - o, "\\x%02x", c);
		if (w < 0 || (size_t)w >= len - o)
			return -ENAMETOOLONG;
		o += (size_t)w;
	}
	if (o >= len)
		return -ENAMETOOLONG;
	out[o] = '\0';
	return 0;
}

int
cgroup_unescape(const char *esc, size_t n, char *out, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char c = esc[i];

		if (c == '\\' && i + 3 < n && esc[i + 1] == 'x' &&
		    isxdigit((unsigned char)esc[i + 2]) &&
		    isxdigit((unsigned char)esc[i + 3])) {
			char hex[3] = { esc[i + 2], esc[i + 3], 0 };

			c = (char)strtol(hex, NULL, 16);
			i += 3;
		}
		if (o + 1 >= len)
			return -ENAMETOOLONG;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* Drop "-<digits>" or "-<hex of 8+>" from a scope's stem: restarts differ there. */
static size_t
scope_stem(const char *c, size_t n)
{
	size_t stem = n - 6, i = stem;

	while (i > 0 && isxdigit((unsigned char)c[i - 1]))
		i--;
	if (i > 1 && i < stem && c[i - 1] == '-') {
		int digits = 1;
		size_t k;

		for (k = i; k < stem; k++)
			if (!isdigit((unsigned char)c[k]))
				digits = 0;
		if (digits || stem - i >= 8)
			return i - 1;
	}
	return stem;
}

/* The workload a cgroup path belongs to, its name as the path gives it. */
static void
identity_raw(const char *path, struct cgroup_ident *id)
{
	const char *comp[64];
	size_t clen[64], nc = 0, i;
	const char *p = path;
	char pod[40] = "";

	memset(id, 0, sizeof(*id));
	while (*p != '\0' && nc < 64) {
		size_t n;

		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, "/");
		comp[nc] = p;
		clen[nc++] = n;
		p += n;
	}

	/* 1. Containers, and pods around them. */
	for (i = nc; i-- > 0;) {
		size_t j;

		if (!component_container(comp[i], clen[i], id->container,
		    sizeof(id->container), id->runtime, sizeof(id->runtime)))
			continue;
		for (j = i; j-- > 0;)
			if (component_pod(comp[j], clen[j], pod, sizeof(pod)))
				break;
		if (pod[0] != '\0') {
			id->kind = WL_POD;
			snprintf(id->pod, sizeof(id->pod), "%s", pod);
			snprintf(id->name, sizeof(id->name), "k8s:%s/%.12s", pod,
			    id->container);
		} else {
			id->kind = WL_CONTAINER;
			snprintf(id->name, sizeof(id->name), "%s:%.12s",
			    id->runtime, id->container);
		}
		return;
	}
	/* A pod-level cgroup with no container below (sandbox, conmon). */
	for (i = nc; i-- > 0;) {
		if (component_pod(comp[i], clen[i], pod, sizeof(pod))) {
			id->kind = WL_POD;
			snprintf(id->pod, sizeof(id->pod), "%s", pod);
			snprintf(id->name, sizeof(id->name), "k8s:%s", pod);
			return;
		}
	}

	/* 2. paddockctl run: paddock.slice/paddock-<name>.slice/... */
	for (i = 0; i + 1 < nc; i++) {
		const char *c = comp[i + 1];
		size_t n = clen[i + 1];

		if (clen[i] != strlen(CGROUP_PADDOCK_SLICE) ||
		    memcmp(comp[i], CGROUP_PADDOCK_SLICE, clen[i]) != 0)
			continue;
		if (!has_prefix(c, n, "paddock-") || !has_suffix(c, n, ".slice") ||
		    n <= 8 + 6)
			continue;
		if (cgroup_unescape(c + 8, n - 8 - 6, id->name,
		    sizeof(id->name)) == 0 && id->name[0] != '\0') {
			id->kind = WL_PADDOCK;
			return;
		}
	}

	/* 3. The innermost systemd unit. */
	for (i = nc; i-- > 0;) {
		const char *c = comp[i];
		size_t n = clen[i], stem;

		if (has_suffix(c, n, ".service") && n > 8) {
			id->kind = WL_SYSTEMD;
			snprintf(id->name, sizeof(id->name), "%.*s", (int)n, c);
			return;
		}
		if (!has_suffix(c, n, ".scope") || n <= 6)
			continue;
		if (has_prefix(c, n, "session-"))
			break;	/* a login session: host processes */
		stem = scope_stem(c, n);
		id->kind = WL_SYSTEMD;
		snprintf(id->name, sizeof(id->name), "%.*s.scope", (int)stem, c);
		return;
	}

	/* 4. The innermost slice, or the root. */
	id->kind = WL_HOST;
	for (i = nc; i-- > 0;) {
		if (has_suffix(comp[i], clen[i], ".slice")) {
			snprintf(id->name, sizeof(id->name), "%.*s",
			    (int)clen[i], comp[i]);
			return;
		}
	}
	snprintf(id->name, sizeof(id->name), "-.slice");
}

/*
 * A unit's name is systemd's unescaping of its cgroup, so any bytes: the
 * name is kept as wire text (wire.h), the same in every daemon, so that
 * the name a policy carries is the name enforced derives here.
 */
void
cgroup_identity(const char *path, struct cgroup_ident *id)
{
	char raw[sizeof(id->name)];
	int cut;

	identity_raw(path, id);
	if (wire_text_ok(id->name, strlen(id->name)))
		return;
	memcpy(raw, id->name, sizeof(raw));
	wire_escape(id->name, sizeof(id->name), raw, strlen(raw), 0, &cut);
}
