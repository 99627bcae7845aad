/*
 * bpfpin: pinned maps and links, reused and adopted across restarts.
 *
 * Maps: bpfpin_maps() sets a pin path on each map before the object is
 * loaded; libbpf then reuses a compatible pinned map (its contents stay)
 * or creates and pins a new one.  Links: a link pinned by an earlier run
 * still runs that run's program, so bpfpin_adopt() puts this load's
 * program in it.  A cgroup link swaps its program in place
 * (BPF_LINK_UPDATE); a tracing link cannot, so the new program gets a link
 * of its own first, which takes the pin, and only then is the old one let
 * go: at no moment does neither run.  See enforced/kern.c and
 * collectd/kern.c for what each daemon keeps.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "bpfpin.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC	0xcafe4a11
#endif

int
bpfpin_mkdirs(const char *path)
{
	char buf[256], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0700) < 0 && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	return mkdir(buf, 0700) < 0 && errno != EEXIST ? -errno : 0;
}

int
bpfpin_ready(const char *pindir, char *err, size_t errlen)
{
	struct statfs st;
	int rc;

	if (statfs("/sys/fs/bpf", &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return bpfpin_mkdirs(pindir);
	if (bpfpin_mkdirs("/sys/fs/bpf") < 0 ||
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") < 0) {
		rc = -errno;
		snprintf(err, errlen, "bpffs is not mounted at /sys/fs/bpf and "
		    "mounting it failed: %s", strerror(-rc));
		return rc;
	}
	return bpfpin_mkdirs(pindir);
}

void
bpfpin_maps(struct bpf_object *obj, const char *pindir)
{
	struct bpf_map *m;
	char path[512];

	bpf_object__for_each_map(m, obj) {
		if (bpf_map__type(m) == BPF_MAP_TYPE_PERCPU_ARRAY ||
		    bpf_map__is_internal(m))
			continue;	/* scratch and constants: this load's */
		snprintf(path, sizeof(path), "%s/%s", pindir, bpf_map__name(m));
		bpf_map__set_pin_path(m, path);
	}
}

uint32_t
bpfpin_link_prog(struct bpf_link *l)
{
	struct bpf_link_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(bpf_link__fd(l), &info, &len) == 0 ?
	    info.prog_id : 0;
}

struct bpf_link *
bpfpin_adopt(struct bpf_link *l, struct bpf_program *p, int cgfd,
    const char *path)
{
	struct bpf_prog_info pi;
	struct bpf_link *nl;
	uint32_t len = sizeof(pi);

	memset(&pi, 0, sizeof(pi));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &pi, &len) < 0 ||
	    bpfpin_link_prog(l) == pi.id)
		return l;
	if (cgfd >= 0) {
		if (bpf_link__update_program(l, p) < 0)
			log_warnx("%s: the earlier program stays: %s", path,
			    strerror(errno));
		return l;
	}
	if ((nl = bpf_program__attach(p)) == NULL) {
		log_warnx("%s: the earlier program stays: %s", path,
		    strerror(errno));
		return l;
	}
	unlink(path);
	if (bpf_link__pin(nl, path) < 0) {
		log_warnx("%s: the earlier program stays: %s", path,
		    strerror(errno));
		bpf_link__destroy(nl);
		bpf_obj_pin(bpf_link__fd(l), path);
		return l;
	}
	bpf_link__destroy(l);	/* unpinned: the old program detaches */
	return nl;
}

struct bpf_link *
bpfpin_link(struct bpf_program *p, int cgfd, const char *path, int *adopted)
{
	struct bpf_link *l;
	int err;

	if (adopted != NULL)
		*adopted = 0;
	if (access(path, F_OK) == 0) {
		if ((l = bpf_link__open(path)) == NULL)
			return NULL;
		if (adopted != NULL)
			*adopted = 1;
		return bpfpin_adopt(l, p, cgfd, path);
	}
	l = cgfd < 0 ? bpf_program__attach(p) :
	    bpf_program__attach_cgroup(p, cgfd);
	if (l == NULL)
		return NULL;
	if (bpf_link__pin(l, path) < 0) {
		err = errno;
		bpf_link__destroy(l);	/* not pinned: detached */
		errno = err;
		return NULL;
	}
	return l;
}

int
bpfpin_clear(const char *pindir)
{
	char path[600];
	struct dirent *e;
	DIR *d;
	int n = 0;

	if ((d = opendir(pindir)) == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", pindir, e->d_name);
		if (unlink(path) == 0)
			n++;
	}
	closedir(d);
	rmdir(pindir);
	return n;
}
