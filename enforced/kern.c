/*
 * kern: bpf/enforce.bpf.c (and, where the probe finds BPF LSM,
 * bpf/enforce_lsm.bpf.c) in the kernel, and kept there.
 *
 * Maps are pinned in the configured bpffs directory (enforced.bpffs) and
 * reused when enforced starts again, by both objects; each attachment's
 * link is pinned there too, so enforcement outlives the daemon: a crash or
 * a restart leaves the kernel enforcing the last policy it was given.  A
 * new enforced adopts each pinned link and puts its own program in it
 * (bpfpin_adopt()), so an upgrade takes effect in the kernel without a moment
 * unenforced.
 * While it runs, enforced also holds every link open and pins again what
 * disappears (ekern_guard).  The cgroup programs are attached to the
 * parent cgroup of each workload (paddock.slice for `paddockctl run`, the
 * unit's slice for systemd), never to the root: they run only for
 * processes below those cgroups.  The global hooks (exec, sys_exit,
 * sys_enter, the mkdir hook) run for every task but decide only for the
 * workloads registered in the maps.  Removing every pin (paddockctl
 * disable, down --disable) with enforced stopped detaches everything.
 */
#include <sys/stat.h>

#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpfpin.h"
#include "cgroup.h"
#include "kfeat.h"
#include "log.h"
#include "enforced.h"
#include "enforce.skel.h"
#include "enforce_lsm.skel.h"

#define HELD_MAX	256
#define DIGEST_N	14	/* the maps only enforced writes (digested) */

struct ekern {
	struct enforce_bpf	*skel;
	struct enforce_lsm_bpf	*lsm;		/* NULL: the fallback decides */
	char			 why[256];	/* why not LSM */
	struct {				/* every link, kept open */
		struct bpf_link	   *l;
		struct bpf_program *p;
		char		    path[300];
		char		    cgdir[256];	/* "": not a cgroup link */
	}			 held[HELD_MAX];
	int			 has_unix;	/* cgroup/{connect,sendmsg}_unix */
	int			 dns_on;	/* the DNS hooks are wanted */
	uint64_t		 sealed[DIGEST_N];	/* map digests, as set */
	int			 is_sealed;	/* ekern_seal() ran once */
	int			 nheld;
	struct ring_buffer	*rb;
	char			 pindir[256];
	int			 (*fn)(void *, void *, size_t);
	void			*arg;
	int			 left;		/* of ekern_consume()'s max */
};

/*
 * Attach p (to cgroup cgfd, or to its own hook when cgfd < 0) and pin its
 * link at path; or, when path is pinned by an earlier run, adopt that
 * link, with this load's program in it.  Either way the link is held open
 * until ekern_close(): removing its pin then detaches nothing, and
 * ekern_guard() pins it again.
 */
static int
link_pinned(struct ekern *k, struct bpf_program *p, int cgfd,
    const char *cgdir, const char *path)
{
	struct bpf_link *l;
	int i;

	for (i = 0; i < k->nheld; i++)
		if (strcmp(k->held[i].path, path) == 0)
			return 0;
	if (k->nheld == HELD_MAX)
		return -ENOSPC;
	if ((l = bpfpin_link(p, cgfd, path, NULL)) == NULL)
		return -errno;
	k->held[k->nheld].l = l;
	k->held[k->nheld].p = p;
	snprintf(k->held[k->nheld].cgdir, sizeof(k->held[0].cgdir), "%s",
	    cgfd >= 0 ? cgdir : "");
	snprintf(k->held[k->nheld++].path, sizeof(k->held[0].path), "%s",
	    path);
	return 0;
}

/* Unpin and detach the held links whose pin name starts with prefix. */
static void
drop_held(struct ekern *k, const char *prefix)
{
	int i, j = 0;

	for (i = 0; i < k->nheld; i++) {
		const char *base = strrchr(k->held[i].path, '/');

		if (base != NULL && strncmp(base + 1, prefix,
		    strlen(prefix)) == 0) {
			unlink(k->held[i].path);
			bpf_link__destroy(k->held[i].l);
		} else
			k->held[j++] = k->held[i];
	}
	k->nheld = j;
}

/* A program that needs no target, its link pinned as link-<name>. */
static int
attach_pinned(struct ekern *k, struct bpf_program *p, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/link-%s", k->pindir, name);
	return link_pinned(k, p, -1, NULL, path);
}

/*
 * Delete every key of map fd that stale() says is stale.  The keys are
 * gathered in one pass and deleted after it: a delete during the walk
 * would make the kernel restart the iteration.  Returns how many went, or
 * -errno.
 */
static int
prune(int fd, size_t ksize, int (*stale)(int fd, const void *key, void *arg),
    void *arg)
{
	unsigned char key[64], next[64], *dead = NULL, *nd;
	size_t n = 0, cap = 0, i;
	int first = 1, rc = 0;

	if (ksize > sizeof(key))
		return -EINVAL;
	while (bpf_map_get_next_key(fd, first ? NULL : key, next) == 0) {
		first = 0;
		memcpy(key, next, ksize);
		if (!stale(fd, key, arg))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nd = realloc(dead, cap * ksize)) == NULL) {
				free(dead);
				return -ENOMEM;
			}
			dead = nd;
		}
		memcpy(dead + n++ * ksize, key, ksize);
	}
	for (i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, dead + i * ksize) == 0)
			rc++;
	free(dead);
	return rc;
}

/* A key of workload wid (at offset woff) that is not one of keep[n]. */
struct unkept {
	uint32_t	 wid;
	size_t		 woff, ksize, stride, n;
	const void	*keep;
	int		 (*also)(int fd, const void *key);	/* or NULL */
};

static int
unkept(int fd, const void *key, void *arg)
{
	const struct unkept *u = arg;
	uint32_t wid;
	size_t i;

	memcpy(&wid, (const char *)key + u->woff, sizeof(wid));
	if (wid != u->wid || (u->also != NULL && !u->also(fd, key)))
		return 0;
	for (i = 0; i < u->n; i++)
		if (memcmp((const char *)u->keep + i * u->stride, key,
		    u->ksize) == 0)
			return 0;
	return 1;
}

/* This process's pid namespace level: the ids in NSpid, less one. */
static unsigned
pidns_level(void)
{
	char line[256];
	unsigned n = 0;
	FILE *f;
	char *p;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "NSpid:", 6) == 0)
			for (p = strtok(line + 6, " \t\n"); p != NULL;
			    p = strtok(NULL, " \t\n"))
				n++;
	fclose(f);
	return n > 0 ? (n - 1) & 0xff : 0;
}

/*
 * The feature probe: BPF LSM when the kernel lists it and really loads
 * and attaches our LSM programs; else the SIGKILL fallback.  The choice
 * goes to ctl.flags, which the fallback's exec hook reads.
 */
static void
probe_lsm(struct ekern *k)
{
	char buf[512] = "";
	struct ectl c = { 0 };
	uint32_t zero = 0;
	FILE *f;
	int rc;

	if ((f = fopen("/sys/kernel/security/lsm", "r")) != NULL) {
		if (fgets(buf, sizeof(buf), f) == NULL)
			buf[0] = '\0';
		fclose(f);
		if (strstr(buf, "bpf") == NULL) {
			snprintf(k->why, sizeof(k->why), "BPF LSM is not "
			    "enabled (lsm=%.*s)", (int)strcspn(buf, "\n"), buf);
			goto fallback;
		}
	}
	if ((k->lsm = enforce_lsm_bpf__open()) == NULL) {
		snprintf(k->why, sizeof(k->why), "the LSM programs do not open");
		goto fallback;
	}
	bpfpin_maps(k->lsm->obj, k->pindir);
	if ((rc = enforce_lsm_bpf__load(k->lsm)) < 0 ||
	    (rc = attach_pinned(k, k->lsm->progs.enf_lsm_exec, "lsm-exec")) < 0 ||
	    (rc = attach_pinned(k, k->lsm->progs.enf_lsm_open, "lsm-open")) < 0 ||
	    (rc = attach_pinned(k, k->lsm->progs.enf_lsm_unix, "lsm-unix")) < 0 ||
	    (rc = attach_pinned(k, k->lsm->progs.enf_lsm_kill, "lsm-kill")) < 0 ||
	    (rc = attach_pinned(k, k->lsm->progs.enf_lsm_ptrace,
	    "lsm-ptrace")) < 0 ||
	    (rc = attach_pinned(k, k->lsm->progs.enf_lsm_unlink,
	    "lsm-unlink")) < 0 ||
	    (rc = attach_pinned(k, k->lsm->progs.enf_lsm_rmdir,
	    "lsm-rmdir")) < 0 ||
	    (rc = attach_pinned(k, k->lsm->progs.enf_lsm_rename,
	    "lsm-rename")) < 0 ||
	    (rc = attach_pinned(k, k->lsm->progs.enf_lsm_link,
	    "lsm-link")) < 0 ||
	    (rc = attach_pinned(k, k->lsm->progs.enf_lsm_prename,
	    "lsm-prename")) < 0 ||
	    (rc = attach_pinned(k, k->lsm->progs.enf_lsm_symlink,
	    "lsm-symlink")) < 0) {
		snprintf(k->why, sizeof(k->why), "the kernel refused the BPF "
		    "LSM programs: %s", strerror(-rc));
		drop_held(k, "link-lsm-");	/* none half attached */
		enforce_lsm_bpf__destroy(k->lsm);
		k->lsm = NULL;
		goto fallback;
	}
fallback:
	bpf_map__lookup_elem(k->skel->maps.ctl, &zero, sizeof(zero), &c,
	    sizeof(c), 0);
	c.flags = (k->lsm != NULL ? EF_LSM : 0) |
	    (uint64_t)pidns_level() << EF_PIDNS_SHIFT;
	bpf_map__update_elem(k->skel->maps.ctl, &zero, sizeof(zero), &c,
	    sizeof(c), BPF_ANY);
}

const char *
ekern_backends(struct ekern *k)
{
	return k->lsm != NULL ? "exec=lsm file=lsm net=cgroup syscall=signal" :
	    "exec=signal file=signal net=cgroup syscall=signal";
}

const char *
ekern_why_not_lsm(struct ekern *k)
{
	return k->lsm != NULL ? NULL : k->why;
}

int
ekern_hooks(struct ekern *k, const char *cgroot, int syscalls, int dns,
    char *err, size_t errlen)
{
	struct enforce_bpf *s = k->skel;
	int rc;

	if (dns)
		k->dns_on = 1;	/* from then on, like the syscall hook */
	/* The network programs on the cgroup2 root: a workload's cgroup, or
	 * its parent, made again (a slice removed and recreated, a container
	 * first started after its policy) is covered all the same. */
	if ((rc = ekern_attach(k, cgroot, err, errlen)) < 0)
		return rc;
	if ((rc = attach_pinned(k, s->progs.enf_exec, "exec")) < 0 ||
	    (rc = attach_pinned(k, s->progs.enf_sys_guard, "sys-guard")) < 0 ||
	    (rc = attach_pinned(k, s->progs.enf_cgroup_attach,
	    "cgroup-attach")) < 0 ||
	    (rc = attach_pinned(k, s->progs.enf_fork, "fork")) < 0)
		goto fail;
	/* Files and the Redis socket's protection without LSM; the return of
	 * a killed link or rename on every host. */
	if ((rc = attach_pinned(k, s->progs.enf_sys_exit, "sys-exit")) < 0)
		goto fail;
	if (syscalls &&
	    (rc = attach_pinned(k, s->progs.enf_sys_enter, "sys-enter")) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "attaching the exec, file, guard or syscall "
	    "hooks: %s", strerror(-rc));
	return rc;
}

int
ekern_guard(struct ekern *k)
{
	struct bpf_map *m;
	char path[512];
	int i, n = 0;

	bpfpin_mkdirs(k->pindir);	/* the directory itself renamed or removed */
	for (i = 0; i < k->nheld; i++)
		if (access(k->held[i].path, F_OK) != 0 &&
		    bpf_obj_pin(bpf_link__fd(k->held[i].l),
		    k->held[i].path) == 0)
			n++;
	bpf_object__for_each_map(m, k->skel->obj) {
		if (bpf_map__type(m) == BPF_MAP_TYPE_PERCPU_ARRAY ||
		    bpf_map__is_internal(m))
			continue;
		snprintf(path, sizeof(path), "%s/%s", k->pindir,
		    bpf_map__name(m));
		if (access(path, F_OK) != 0 &&
		    bpf_obj_pin(bpf_map__fd(m), path) == 0)
			n++;
	}
	return n;
}

int
ekern_protect_sock(struct ekern *k, uint64_t dev, uint64_t ino)
{
	struct eprot_inode key = { .dev = dev, .ino = ino };
	uint8_t one = 1;

	return bpf_map__update_elem(k->skel->maps.prot_sock, &key, sizeof(key),
	    &one, sizeof(one), BPF_ANY);
}

int
ekern_protect_upath(struct ekern *k, uint64_t hash)
{
	struct eprot_upath key = { .hash = hash };
	uint8_t one = 1;

	return bpf_map__update_elem(k->skel->maps.prot_upath, &key,
	    sizeof(key), &one, sizeof(one), BPF_ANY);
}

/* A protected file no longer in the set (set[0].ino is the count). */
static int
file_gone(int fd, const void *key, void *arg)
{
	const struct eprot_inode *set = arg, *k = key;
	uint64_t i;

	for (i = 0; i < set[0].ino; i++)
		if (set[i + 1].dev == k->dev && set[i + 1].ino == k->ino)
			return 0;
	return 1;
}

int
ekern_protect_files(struct ekern *k, const struct eprot_inode *v, size_t n)
{
	int fd = bpf_map__fd(k->skel->maps.prot_file), rc = 0, gone;
	struct eprot_inode *set;
	uint8_t one = 1;
	size_t i;

	if ((set = calloc(n + 1, sizeof(*set))) == NULL)
		return -ENOMEM;
	set[0].ino = n;
	for (i = 0; i < n; i++) {
		set[i + 1] = v[i];
		if (bpf_map_update_elem(fd, &v[i], &one, BPF_ANY) < 0)
			rc = -errno;
	}
	if ((gone = prune(fd, sizeof(struct eprot_inode), file_gone, set)) < 0)
		rc = gone;
	free(set);
	return rc;
}

int
ekern_quarantine(struct ekern *k, uint64_t dev, uint64_t ino)
{
	struct eprot_inode key = { .dev = dev, .ino = ino };
	uint8_t one = 1;

	return bpf_map__update_elem(k->skel->maps.quar, &key, sizeof(key),
	    &one, sizeof(one), BPF_ANY);
}

int
ekern_protect_net(struct ekern *k, const uint8_t addr[16], uint16_t port)
{
	struct eprot_net key = { .port = port };
	uint8_t one = 1;

	memcpy(key.addr, addr, 16);
	return bpf_map__update_elem(k->skel->maps.prot_net, &key, sizeof(key),
	    &one, sizeof(one), BPF_ANY);
}

/* A protected id no longer in the set (set[0] is the count). */
static int
pid_gone(int fd, const void *key, void *arg)
{
	const struct eprot_id *set = arg;
	uint32_t id;
	size_t i;

	memcpy(&id, key, sizeof(id));
	for (i = 0; i < set[0].id; i++)
		if (set[i + 1].id == id)
			return 0;
	return 1;
}

int
ekern_protect_pids(struct ekern *k, const struct eprot_id *ids, size_t n)
{
	int fd = bpf_map__fd(k->skel->maps.prot_pid), rc = 0, gone;
	struct eprot_id *set;
	size_t i;

	if ((set = calloc(n + 1, sizeof(*set))) == NULL)
		return -ENOMEM;
	set[0].id = (uint32_t)n;
	for (i = 0; i < n; i++) {
		set[i + 1] = ids[i];
		if (bpf_map_update_elem(fd, &ids[i].id, &ids[i].flags,
		    BPF_ANY) < 0)
			rc = -errno;
	}
	if ((gone = prune(fd, sizeof(uint32_t), pid_gone, set)) < 0)
		rc = gone;
	free(set);
	return rc;
}

int
ekern_bpffs_at(struct ekern *k, char mnts[][EBPFFS_LEN], size_t n)
{
	int fd = bpf_map__fd(k->skel->maps.bpffs_at), rc = 0;
	struct ebpffs m;
	uint32_t i;

	for (i = 0; i < EBPFFS_N; i++) {
		memset(&m, 0, sizeof(m));
		if (i < n) {
			m.len = (uint32_t)strnlen(mnts[i], EBPFFS_LEN - 1);
			memcpy(m.p, mnts[i], m.len);
		}
		if (bpf_map_update_elem(fd, &i, &m, BPF_ANY) < 0)
			rc = -errno;
	}
	return rc;
}

int
ekern_bump(struct ekern *k)
{
	struct ectl c = { 0 };
	uint32_t zero = 0;

	bpf_map__lookup_elem(k->skel->maps.ctl, &zero, sizeof(zero), &c,
	    sizeof(c), 0);
	c.gen++;
	return bpf_map__update_elem(k->skel->maps.ctl, &zero, sizeof(zero), &c,
	    sizeof(c), BPF_ANY);
}

/* A pattern of the workload beyond the new count of its dimension. */
static int
stale_pat(int fd, const void *key, void *arg)
{
	const struct pathset *ps = arg;
	struct epat_key k;

	memcpy(&k, key, sizeof(k));
	return k.wid == ps->wid && k.dim < 2 && k.idx >= ps->npat_dim[k.dim];
}

int
ekern_set_paths(struct ekern *k, uint32_t wid, const struct pathset *ps,
    const uint8_t sys[ESYS_BYTES])
{
	int fx = bpf_map__fd(k->skel->maps.exact);
	int fp = bpf_map__fd(k->skel->maps.pats);
	struct unkept u = { 0 };
	struct epol pl;
	size_t i;
	int n, rc = 0;

	/* New entries first, then the counts, then what is stale: no gap. */
	for (i = 0; i < ps->nexact; i++)
		if (bpf_map_update_elem(fx, &ps->exact[i].key,
		    &ps->exact[i].modes, BPF_ANY) < 0)
			rc = -errno;
	for (i = 0; i < ps->npat; i++)
		if (bpf_map_update_elem(fp, &ps->pat[i].key, &ps->pat[i].v,
		    BPF_ANY) < 0)
			rc = -errno;
	memset(&pl, 0, sizeof(pl));
	pl.npat[EDIM_EXEC] = ps->npat_dim[EDIM_EXEC];
	pl.npat[EDIM_FILE] = ps->npat_dim[EDIM_FILE];
	memcpy(pl.sys, sys, ESYS_BYTES);
	if (bpf_map__update_elem(k->skel->maps.pol, &wid, sizeof(wid), &pl,
	    sizeof(pl), BPF_ANY) < 0)
		rc = -errno;
	u.wid = wid;
	u.woff = offsetof(struct eexact_key, wid);
	u.ksize = sizeof(struct eexact_key);
	u.stride = sizeof(ps->exact[0]);
	u.n = ps->nexact;
	u.keep = ps->exact;
	if ((n = prune(fx, sizeof(struct eexact_key), unkept, &u)) < 0)
		rc = n;
	if ((n = prune(fp, sizeof(struct epat_key), stale_pat,
	    (void *)ps)) < 0)
		rc = n;
	return rc;
}

static int
on_rb(void *ctx, void *data, size_t len)
{
	struct ekern *k = ctx;

	if (k->fn != NULL)
		k->fn(k->arg, data, len);
	/* libbpf has moved past this record already: < 0 stops after it. */
	return --k->left > 0 ? 0 : -EAGAIN;
}

struct ekern *
ekern_open(const char *pindir, char *err, size_t errlen)
{
	struct ekern *k = calloc(1, sizeof(*k));
	int rc;

	if (k == NULL)
		return NULL;
	snprintf(k->pindir, sizeof(k->pindir), "%s", pindir);
	if ((rc = bpfpin_ready(pindir, err, errlen)) < 0) {
		if (!err[0])
			snprintf(err, errlen, "%s: %s", pindir, strerror(-rc));
		goto fail;
	}
	if ((k->skel = enforce_bpf__open()) == NULL) {
		snprintf(err, errlen, "cannot open the enforce programs");
		goto fail;
	}
	/* cgroup/connect_unix and sendmsg_unix (Linux 6.7): libbpf may not
	 * know their section names, so the programs are typed here, or left
	 * out. */
	if ((k->has_unix = kfeat_attach_type("BPF_CGROUP_UNIX_SENDMSG"))) {
		bpf_program__set_expected_attach_type(
		    k->skel->progs.enf_connect_unix, KFEAT_CGROUP_UNIX_CONNECT);
		bpf_program__set_expected_attach_type(
		    k->skel->progs.enf_sendmsg_unix, KFEAT_CGROUP_UNIX_SENDMSG);
	} else {
		bpf_program__set_autoload(k->skel->progs.enf_connect_unix,
		    false);
		bpf_program__set_autoload(k->skel->progs.enf_sendmsg_unix,
		    false);
	}
	bpfpin_maps(k->skel->obj, pindir);
	if ((rc = enforce_bpf__load(k->skel)) < 0) {
		snprintf(err, errlen, "loading the enforce programs failed: %s",
		    strerror(-rc));
		goto fail;
	}
	/* The mkdir hook, once for all workloads. */
	if ((rc = attach_pinned(k, k->skel->progs.enf_cgroup_mkdir,
	    "cgroup-mkdir")) < 0) {
		snprintf(err, errlen, "attaching the cgroup mkdir hook failed: "
		    "%s", strerror(-rc));
		goto fail;
	}
	probe_lsm(k);
	if ((k->rb = ring_buffer__new(bpf_map__fd(k->skel->maps.viol), on_rb,
	    k, NULL)) == NULL) {
		snprintf(err, errlen, "violation ring buffer: %s",
		    strerror(errno));
		goto fail;
	}
	return k;
fail:
	ekern_close(k);
	return NULL;
}

void
ekern_close(struct ekern *k)
{
	int i;

	if (k == NULL)
		return;
	ring_buffer__free(k->rb);
	for (i = 0; i < k->nheld; i++)
		bpf_link__destroy(k->held[i].l);	/* closes; pins stay */
	enforce_lsm_bpf__destroy(k->lsm);
	enforce_bpf__destroy(k->skel);	/* pinned links and maps stay */
	free(k);
}

int
ekern_attach(struct ekern *k, const char *cgdir, char *err, size_t errlen)
{
	struct bpf_program *progs[] = { k->skel->progs.enf_connect4,
	    k->skel->progs.enf_connect6, k->skel->progs.enf_sendmsg4,
	    k->skel->progs.enf_sendmsg6, k->skel->progs.enf_bind4,
	    k->skel->progs.enf_bind6, k->skel->progs.enf_dns,
	    k->skel->progs.enf_dns_q, k->skel->progs.enf_connect_unix,
	    k->skel->progs.enf_sendmsg_unix, k->skel->progs.enf_sock_create };
	char path[512];
	uint64_t id;
	size_t i;
	int fd, rc = 0;

	if ((rc = cgroup_id_of(cgdir, &id)) < 0) {
		snprintf(err, errlen, "%s: %s", cgdir, strerror(-rc));
		return rc;
	}
	if ((fd = open(cgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", cgdir, strerror(errno));
		return -errno;
	}
	for (i = 0; i < sizeof(progs) / sizeof(progs[0]) && rc == 0; i++) {
		snprintf(path, sizeof(path), "%s/link-%llu-%s", k->pindir,
		    (unsigned long long)id, bpf_program__name(progs[i]));
		if ((progs[i] == k->skel->progs.enf_connect_unix ||
		    progs[i] == k->skel->progs.enf_sendmsg_unix) &&
		    !k->has_unix)
			continue;
		/* Every UDP packet of the host passes the DNS pair: only
		 * once some policy allows a destination by name. */
		if ((progs[i] == k->skel->progs.enf_dns ||
		    progs[i] == k->skel->progs.enf_dns_q) && !k->dns_on)
			continue;
		if ((rc = link_pinned(k, progs[i], fd, cgdir, path)) < 0)
			snprintf(err, errlen, "attaching %s to %s: %s",
			    bpf_program__name(progs[i]), cgdir, strerror(-rc));
	}
	close(fd);
	return rc;
}

int
ekern_set_cgroup(struct ekern *k, uint64_t cgid, const struct ewl *w)
{
	return bpf_map__update_elem(k->skel->maps.wl_cg, &cgid, sizeof(cgid),
	    w, sizeof(*w), BPF_ANY);
}

int
ekern_set_name(struct ekern *k, uint64_t key, const struct ewl *w)
{
	return bpf_map__update_elem(k->skel->maps.wl_names, &key, sizeof(key),
	    w, sizeof(*w), BPF_ANY);
}

/* Rewrite the modes of every entry of w->wid in a hash map. */
static int
modes_in(struct bpf_map *m, const struct ewl *w)
{
	uint64_t key, next;
	struct ewl v;
	int first = 1, fd = bpf_map__fd(m);

	while (bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		first = 0;
		key = next;
		if (bpf_map_lookup_elem(fd, &key, &v) == 0 && v.wid == w->wid)
			bpf_map_update_elem(fd, &key, w, BPF_EXIST);
	}
	return 0;
}

int
ekern_set_modes(struct ekern *k, const struct ewl *w)
{
	modes_in(k->skel->maps.wl_cg, w);
	return modes_in(k->skel->maps.wl_names, w);
}

/* A policy entry (no expiry): addresses learnt from DNS stay until due. */
static int
no_expiry(int fd, const void *key)
{
	uint64_t exp;

	return bpf_map_lookup_elem(fd, key, &exp) == 0 && exp == 0;
}

int
ekern_set_allow(struct ekern *k, uint32_t wid, const struct keyset *ks)
{
	int fd = bpf_map__fd(k->skel->maps.allow), rc = 0, n;
	struct unkept u = { .wid = wid, .woff = offsetof(struct eallow_key,
	    wid), .ksize = sizeof(struct eallow_key), .stride =
	    sizeof(struct eallow_key), .n = ks->n, .keep = ks->v,
	    .also = no_expiry };
	uint64_t never = 0;
	size_t i;

	/* Add the new keys first, then drop the old ones: no gap. */
	for (i = 0; i < ks->n; i++)
		if (bpf_map_update_elem(fd, &ks->v[i], &never, BPF_ANY) < 0)
			rc = -errno;
	if ((n = prune(fd, sizeof(struct eallow_key), unkept, &u)) < 0)
		rc = n;
	return rc;
}

static int
expired(int fd, const void *key, void *arg)
{
	uint64_t exp;

	return bpf_map_lookup_elem(fd, key, &exp) == 0 && exp != 0 &&
	    exp <= *(const uint64_t *)arg;
}

int
ekern_expire(struct ekern *k, uint64_t now_mono_ns)
{
	return prune(bpf_map__fd(k->skel->maps.allow),
	    sizeof(struct eallow_key), expired, &now_mono_ns);
}

int
ekern_set_dns(struct ekern *k, uint32_t wid, const struct dnsset *ds)
{
	int fd = bpf_map__fd(k->skel->maps.dns_allow), rc = 0, n;
	struct unkept u = { .wid = wid, .woff = offsetof(struct edns_key,
	    wid), .ksize = sizeof(struct edns_key), .stride = sizeof(ds->v[0]),
	    .n = ds->n, .keep = ds->v };
	size_t i;

	for (i = 0; i < ds->n; i++)
		if (bpf_map_update_elem(fd, &ds->v[i].key, &ds->v[i].rule,
		    BPF_ANY) < 0)
			rc = -errno;
	if ((n = prune(fd, sizeof(struct edns_key), unkept, &u)) < 0)
		rc = n;
	return rc;
}

int
ekern_set_info(struct ekern *k, uint32_t wid, const struct ewl_info *in)
{
	return bpf_map__update_elem(k->skel->maps.wl_info, &wid, sizeof(wid),
	    in, sizeof(*in), BPF_ANY);
}

int
ekern_info(struct ekern *k, uint32_t wid, struct ewl_info *out)
{
	return bpf_map__lookup_elem(k->skel->maps.wl_info, &wid, sizeof(wid),
	    out, sizeof(*out), 0);
}

int
ekern_ringbuf_fd(struct ekern *k)
{
	return ring_buffer__epoll_fd(k->rb);
}

int
ekern_consume(struct ekern *k, int (*fn)(void *arg, void *data, size_t len),
    void *arg, int max)
{
	int n;

	k->fn = fn;
	k->arg = arg;
	k->left = max;
	n = ring_buffer__consume(k->rb);
	return n == -EAGAIN && k->left <= 0 ? -EAGAIN : n < 0 ? n : max -
	    k->left;
}

/* ---------------------------------------------------------------- tamper */

/*
 * What a workload that got past the guards could have changed (a second
 * thread whose bpf() call ran while the kill of the first was on its way:
 * docs/enforcement.md), checked by ekern_verify() on enforced's guard
 * timer and after every revision:
 *
 *  - every held cgroup link is still attached (BPF_LINK_DETACH leaves a
 *    link pinned and held, but empty): attached again, its pin replaced;
 *  - the maps that only enforced writes, each as an order-free digest of
 *    its entries (allow: the policy's entries, not those DNS answers add;
 *    ctl: its flags, not the generation), against the digests taken by
 *    ekern_seal() after enforced's own last write: a difference is
 *    reported, and the caller writes everything again;
 *  - wl_cg, which the mkdir hook writes too (ekern_fix_cgroups(), once
 *    the maps above are whole again): each entry carries the modes its
 *    workload has in wl_names, or goes (the caller then registers each
 *    workload's cgroups again).
 * Every repair retires the cached decisions (ekern_bump).
 */
static uint64_t
fnv64(const void *p, size_t n, uint64_t h)
{
	const unsigned char *c = p;

	while (n-- > 0)
		h = (h ^ *c++) * 0x100000001b3ULL;
	return h;
}

static uint64_t
map_digest(struct bpf_map *m)
{
	unsigned char key[64], next[64], val[512];
	size_t ks = bpf_map__key_size(m), vs = bpf_map__value_size(m);
	int fd = bpf_map__fd(m), first = 1, is_allow, is_ctl;
	uint64_t sum = 0, exp;

	if (ks > sizeof(key) || vs > sizeof(val))
		return 0;
	is_allow = bpf_map__type(m) == BPF_MAP_TYPE_LPM_TRIE;
	is_ctl = strcmp(bpf_map__name(m), "ctl") == 0;
	while (bpf_map_get_next_key(fd, first ? NULL : key, next) == 0) {
		first = 0;
		memcpy(key, next, ks);
		if (bpf_map_lookup_elem(fd, key, val) < 0)
			continue;
		if (is_allow && (memcpy(&exp, val, sizeof(exp)), exp != 0))
			continue;	/* learnt from a DNS answer */
		if (is_ctl)		/* flags, not the generation */
			sum += fnv64(val + offsetof(struct ectl, flags),
			    sizeof(uint64_t), 0xcbf29ce484222325ULL);
		else
			sum += fnv64(val, vs, fnv64(key, ks,
			    0xcbf29ce484222325ULL));
	}
	return sum;
}

/* The maps ekern_seal() and ekern_verify() digest, DIGEST_N of them. */
static int
digested(struct ekern *k, struct bpf_map **out)
{
	struct enforce_bpf *s = k->skel;
	struct bpf_map *m[DIGEST_N] = { s->maps.wl_names, s->maps.pol,
	    s->maps.exact, s->maps.pats, s->maps.dns_allow, s->maps.prot_sock,
	    s->maps.prot_net, s->maps.prot_upath, s->maps.prot_pid,
	    s->maps.wl_info, s->maps.allow, s->maps.ctl, s->maps.quar,
	    s->maps.prot_file };

	memcpy(out, m, sizeof(m));
	return DIGEST_N;
}

void
ekern_seal(struct ekern *k)
{
	struct bpf_map *m[DIGEST_N];
	int i, n = digested(k, m);

	for (i = 0; i < n; i++)
		k->sealed[i] = map_digest(m[i]);
	k->is_sealed = 1;
}

int
ekern_fix_cgroups(struct ekern *k, char *what, size_t len)
{
	int fn = bpf_map__fd(k->skel->maps.wl_names);
	int fc = bpf_map__fd(k->skel->maps.wl_cg);
	uint64_t key, next, dead[64];
	struct ewl v, w, known[256];
	int first = 1, nk = 0, i, fixed = 0, nd = 0;

	while (bpf_map_get_next_key(fn, first ? NULL : &key, &next) == 0) {
		first = 0;
		key = next;
		if (bpf_map_lookup_elem(fn, &key, &w) == 0 && nk < 256)
			known[nk++] = w;
	}
	first = 1;
	while (bpf_map_get_next_key(fc, first ? NULL : &key, &next) == 0) {
		first = 0;
		key = next;
		if (bpf_map_lookup_elem(fc, &key, &v) < 0)
			continue;
		for (i = 0; i < nk && known[i].wid != v.wid; i++)
			;
		if (i < nk && memcmp(&known[i], &v, sizeof(v)) == 0)
			continue;
		if (fixed++ == 0)
			snprintf(what, len, "wl_cg: cgroup %llu %s",
			    (unsigned long long)key, i < nk ?
			    "had other modes" : "named no workload");
		if (i < nk)
			bpf_map_update_elem(fc, &key, &known[i], BPF_EXIST);
		else if (nd < 64)
			dead[nd++] = key;
	}
	for (i = 0; i < nd; i++)
		bpf_map_delete_elem(fc, &dead[i]);
	return fixed;
}

int
ekern_verify(struct ekern *k, struct ekern_tamper *t)
{
	struct bpf_map *m[DIGEST_N];
	struct bpf_link_info info;
	struct bpf_link *nl;
	uint32_t len;
	int i, n, fd;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < k->nheld; i++) {
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(bpf_link__fd(k->held[i].l), &info,
		    &len) == 0 && info.prog_id != 0 &&
		    (k->held[i].cgdir[0] == '\0' || info.cgroup.cgroup_id != 0))
			continue;
		/* Detached: attach this load's program again. */
		nl = NULL;
		if (k->held[i].cgdir[0] == '\0')
			nl = bpf_program__attach(k->held[i].p);
		else if ((fd = open(k->held[i].cgdir, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) >= 0) {
			nl = bpf_program__attach_cgroup(k->held[i].p, fd);
			close(fd);
		}
		t->links++;
		snprintf(t->what, sizeof(t->what), "%s was detached",
		    strrchr(k->held[i].path, '/') + 1);
		if (nl == NULL) {
			t->failed++;
			log_warnx("%s was detached and cannot be attached again: "
			    "%s", k->held[i].path, strerror(errno));
			continue;
		}
		unlink(k->held[i].path);
		bpf_link__pin(nl, k->held[i].path);
		bpf_link__destroy(k->held[i].l);
		k->held[i].l = nl;
	}
	n = k->is_sealed ? digested(k, m) : 0;	/* nothing to hold to yet */
	for (i = 0; i < n; i++)
		if (map_digest(m[i]) != k->sealed[i]) {
			if (t->maps++ == 0 && t->links == 0)
				snprintf(t->what, sizeof(t->what), "map %s was "
				    "changed", bpf_map__name(m[i]));
		}
	if (t->links || t->maps)
		ekern_bump(k);
	return t->links + t->maps;
}

/* How many held links there are, and how many are attached now. */
void
ekern_links(struct ekern *k, int *held, int *attached)
{
	struct bpf_link_info info;
	uint32_t len;
	int i;

	*held = k->nheld;
	*attached = 0;
	for (i = 0; i < k->nheld; i++) {
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(bpf_link__fd(k->held[i].l), &info,
		    &len) == 0 && info.prog_id != 0 &&
		    (k->held[i].cgdir[0] == '\0' || info.cgroup.cgroup_id != 0))
			(*attached)++;
	}
}
