/*
 * kern: bpf/collect.bpf.c in and out of the kernel.
 *
 * Start-up probes what this kernel accepts before loading anything: each
 * program type the collector uses (tracing for tp_btf, raw tracepoints,
 * cgroup sock_addr/sock/skb) is probed with libbpf_probe_bpf_prog_type(),
 * and programs of a refused type are not loaded, so the collector runs with
 * what there is and says what it lacks (a kernel without BTF loses process
 * lifecycle; one without cgroup programs loses network and DNS).  Kprobe,
 * fentry and LSM support is probed and logged too, for the operator: the
 * collector needs none of them.
 *
 * cgroup programs attach to the root of the cgroup2 mount with bpf_link
 * (multi-attach), so they see every workload and never displace anyone
 * else's programs.
 *
 * The maps (the ring, dedup, syscall sets, losses) and every link are
 * pinned in the stack's collector pin directory (kern_conf.pindir): when
 * the collector dies or restarts, the programs go on recording into the
 * ring, and the next collector adopts the links (its own programs in
 * them, bpfpin_adopt) and reads on from where the last one's confirmed
 * records end (ring.c).  What did not fit meanwhile is counted per
 * workload in `lost`.  A ring of another record layout (CREC_VERSION and
 * the record sizes, in the map `layout`) or of another size is not read:
 * its pins are cleared and the start is fresh, which kern_resumed() tells
 * the caller (a gap it must report).  `paddockctl down` removes the pins;
 * without a pin directory nothing is pinned and the programs go with the
 * collector.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfpin.h"
#include "kfeat.h"
#include "log.h"
#include "collectd.h"
#include "collect.skel.h"

struct kern {
	struct collect_bpf	*skel;
	struct ring		*ring;
	int			 cgfd;
	struct bpf_link		*links[24];
	int			 nlinks;
	int			 ncpus;
	int			 resumed;	/* an earlier run's ring */
	char			 pindir[256];	/* "": nothing pinned */
	char			 fresh_why[160];
	char			 features[256];
};

/* What the records of this build look like, for the pinned `layout`. */
static uint64_t
layout_of(void)
{
	static const size_t sz[] = {
		sizeof(struct crec_hdr), sizeof(struct crec_fork),
		sizeof(struct crec_exec), sizeof(struct crec_exec_seen),
		sizeof(struct crec_open), sizeof(struct crec_net),
		sizeof(struct crec_dns), sizeof(struct crec_cgroup),
	};
	uint64_t v = (uint64_t)CREC_VERSION << 48;
	size_t i;

	for (i = 0; i < sizeof(sz) / sizeof(sz[0]); i++)
		v = v * 1000003u ^ sz[i];
	return v;
}

/*
 * The pins of an earlier run, when their ring can be read by this build:
 * 1.  0 when there are none; their pins removed (why in k->fresh_why)
 * when they cannot be read, and 0.
 */
static int
pins_usable(struct kern *k)
{
	char path[320];
	uint64_t v = 0;
	uint32_t zero = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/events", k->pindir);
	if (access(path, F_OK) != 0) {
		snprintf(k->fresh_why, sizeof(k->fresh_why), "no ring pinned "
		    "by an earlier collector");
		bpfpin_clear(k->pindir);	/* links without a ring */
		return 0;
	}
	snprintf(path, sizeof(path), "%s/layout", k->pindir);
	if ((fd = bpf_obj_get(path)) < 0 ||
	    bpf_map_lookup_elem(fd, &zero, &v) < 0 || v != layout_of())
		snprintf(k->fresh_why, sizeof(k->fresh_why), "the pinned ring "
		    "holds records of another layout");
	if (fd >= 0)
		close(fd);
	if (k->fresh_why[0] == '\0')
		return 1;
	bpfpin_clear(k->pindir);
	return 0;
}

static int
probe(enum bpf_prog_type t)
{
	return libbpf_probe_bpf_prog_type(t, NULL) == 1;
}

/*
 * tp_btf needs the kernel's BTF and BPF_TRACE_RAW_TP tracing programs.
 * libbpf's own probe of the tracing type tries fentry, which some kernels
 * refuse while accepting tp_btf (this VM is one), so load the smallest
 * tp_btf program instead: "r0 = 0; exit" on sched_process_exec.
 */
static int
probe_tp_btf(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o,
	    .expected_attach_type = BPF_TRACE_RAW_TP);
	int id, fd;

	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
		return 0;
	id = libbpf_find_vmlinux_btf_id("sched_process_exec",
	    BPF_TRACE_RAW_TP);
	if (id <= 0)
		return 0;
	o.attach_btf_id = (uint32_t)id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns, 2, &o);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static void
feature(struct kern *k, const char *name, int ok)
{
	size_t n = strlen(k->features);

	snprintf(k->features + n, sizeof(k->features) - n, "%s%s=%s",
	    n ? " " : "", name, ok ? "yes" : "no");
}

static int
attach(struct kern *k, struct bpf_program *p, int cgroup)
{
	struct bpf_link *l;
	char path[320];

	if (!bpf_program__autoload(p))
		return 0;
	snprintf(path, sizeof(path), "%s/link-%s", k->pindir,
	    bpf_program__name(p));
	if (k->pindir[0] != '\0')
		l = bpfpin_link(p, cgroup ? k->cgfd : -1, path, NULL);
	else
		l = cgroup ? bpf_program__attach_cgroup(p, k->cgfd) :
		    bpf_program__attach(p);
	if (l == NULL) {
		int err = -errno;

		log_warnx("cannot attach %s: %s", bpf_program__name(p),
		    strerror(-err));
		return err;
	}
	k->links[k->nlinks++] = l;
	return 0;
}

/*
 * An earlier run's link of a program this run does not load (a hook the
 * configuration turned off): unpinned, so its old program detaches.
 */
static void
unpin_strays(struct kern *k)
{
	char path[600];
	struct bpf_program *p;
	struct dirent *e;
	DIR *d;
	int ours;

	if (k->pindir[0] == '\0' || (d = opendir(k->pindir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "link-", 5) != 0)
			continue;
		ours = 0;
		bpf_object__for_each_program(p, k->skel->obj)
			if (bpf_program__autoload(p) &&
			    strcmp(bpf_program__name(p), e->d_name + 5) == 0)
				ours = 1;
		if (!ours) {
			snprintf(path, sizeof(path), "%s/%s", k->pindir,
			    e->d_name);
			unlink(path);
		}
	}
	closedir(d);
}

/*
 * Open, configure and load the object, with its maps pinned under
 * k->pindir when there is one (reused when an earlier run's are there).
 */
static int
load(struct kern *k, const struct kern_conf *kc, const int on[6],
    char *err, size_t errlen)
{
	struct collect_bpf *s;
	uint32_t rb_bytes;
	int rc;

	if ((s = k->skel = collect_bpf__open()) == NULL) {
		rc = -errno;
		snprintf(err, errlen, "cannot open the BPF object: %s",
		    strerror(-rc));
		return rc;
	}
	s->rodata->self_tgid = (uint32_t)getpid();
	s->rodata->argv_max = kc->argv_max;
	s->rodata->do_syscalls = kc->syscalls ? 1 : 0;
	s->rodata->do_dns = kc->dns ? 1 : 0;
	/* A power of two of at least a page, as the kernel requires. */
	rb_bytes = 4096;
	while (rb_bytes < kc->ringbuf_kb * 1024u && rb_bytes < (1u << 30))
		rb_bytes <<= 1;
	bpf_map__set_max_entries(s->maps.events, rb_bytes);
	/* Records wake the collector only past a quarter of the ring; it
	 * drains on a timer otherwise (main.c). */
	s->rodata->wake_bytes = rb_bytes / 4;
	if (kc->dedup_entries)
		bpf_map__set_max_entries(s->maps.seen, kc->dedup_entries);
	if (k->pindir[0] != '\0')
		bpfpin_maps(s->obj, k->pindir);

	bpf_program__set_autoload(s->progs.on_fork, on[0]);
	bpf_program__set_autoload(s->progs.on_exec, on[0]);
	bpf_program__set_autoload(s->progs.on_exit, on[0]);
	bpf_program__set_autoload(s->progs.on_cgroup_mkdir, on[0]);
	bpf_program__set_autoload(s->progs.on_sys_enter, on[1] &&
	    kc->syscalls);
	bpf_program__set_autoload(s->progs.on_sys_exit, on[1]);
	bpf_program__set_autoload(s->progs.obs_connect4, on[2]);
	bpf_program__set_autoload(s->progs.obs_connect6, on[2]);
	bpf_program__set_autoload(s->progs.obs_sendmsg4, on[2]);
	bpf_program__set_autoload(s->progs.obs_sendmsg6, on[2]);
	/* Unix addresses (Linux 6.7): typed here; libbpf 1.1 lacks them. */
	bpf_program__set_autoload(s->progs.obs_connect_unix, on[5]);
	bpf_program__set_autoload(s->progs.obs_sendmsg_unix, on[5]);
	if (on[5]) {
		bpf_program__set_expected_attach_type(
		    s->progs.obs_connect_unix, KFEAT_CGROUP_UNIX_CONNECT);
		bpf_program__set_expected_attach_type(
		    s->progs.obs_sendmsg_unix, KFEAT_CGROUP_UNIX_SENDMSG);
	}
	bpf_program__set_autoload(s->progs.obs_bind4, on[3]);
	bpf_program__set_autoload(s->progs.obs_bind6, on[3]);
	bpf_program__set_autoload(s->progs.obs_dns, on[4] && kc->dns);

	if ((rc = collect_bpf__load(s)) < 0) {
		snprintf(err, errlen, "cannot load the BPF programs: %s "
		    "(run with -v for the verifier's log)", strerror(-rc));
		return rc;
	}
	return 0;
}

struct kern *
kern_open(const struct kern_conf *kc, char *err, size_t errlen)
{
	struct kern *k = calloc(1, sizeof(*k));
	struct collect_bpf *s;
	int on[6], rc;	/* tp_btf, raw_tp, sock_addr, sock, skb, unix */

	if (k == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	k->cgfd = -1;
	on[0] = probe_tp_btf();
	on[1] = probe(BPF_PROG_TYPE_RAW_TRACEPOINT);
	on[2] = probe(BPF_PROG_TYPE_CGROUP_SOCK_ADDR);
	on[3] = probe(BPF_PROG_TYPE_CGROUP_SOCK);
	on[4] = probe(BPF_PROG_TYPE_CGROUP_SKB);
	on[5] = on[2] && kfeat_attach_type("BPF_CGROUP_UNIX_SENDMSG");
	feature(k, "tp_btf", on[0]);
	feature(k, "raw_tp", on[1]);
	feature(k, "cgroup_sock_addr", on[2]);
	feature(k, "cgroup_sock", on[3]);
	feature(k, "cgroup_skb", on[4]);
	feature(k, "cgroup_unix", on[5]);
	/* For the operator; the collector needs neither. */
	feature(k, "fentry", probe(BPF_PROG_TYPE_TRACING));
	feature(k, "lsm", probe(BPF_PROG_TYPE_LSM));

	if (kc->pindir != NULL && kc->pindir[0] != '\0') {
		snprintf(k->pindir, sizeof(k->pindir), "%s", kc->pindir);
		if ((rc = bpfpin_ready(k->pindir, err, errlen)) < 0)
			goto fail;
		k->resumed = pins_usable(k);
		if ((rc = bpfpin_mkdirs(k->pindir)) < 0) {
			snprintf(err, errlen, "%s: %s", k->pindir,
			    strerror(-rc));
			goto fail;
		}
	}
	if ((rc = load(k, kc, on, err, errlen)) < 0 && k->resumed) {
		/* Pinned maps this configuration cannot reuse (another
		 * ringbuf_kb or dedup_entries): start afresh. */
		log_warnx("%s; the pinned ring is not read", err);
		snprintf(k->fresh_why, sizeof(k->fresh_why), "the pinned maps "
		    "do not fit this configuration");
		collect_bpf__destroy(k->skel);
		k->skel = NULL;
		k->resumed = 0;
		bpfpin_clear(k->pindir);
		if ((rc = bpfpin_ready(k->pindir, err, errlen)) == 0)
			rc = load(k, kc, on, err, errlen);
	}
	if (rc < 0)
		goto fail;
	s = k->skel;
	if (!k->resumed) {
		uint64_t v = layout_of();
		uint32_t zero = 0;

		bpf_map_update_elem(bpf_map__fd(s->maps.layout), &zero, &v, 0);
	}
	if ((k->cgfd = open(kc->cgroup_mnt, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", kc->cgroup_mnt,
		    strerror(errno));
		goto fail;
	}
	if (attach(k, s->progs.on_fork, 0) < 0 ||
	    attach(k, s->progs.on_exec, 0) < 0 ||
	    attach(k, s->progs.on_exit, 0) < 0 ||
	    attach(k, s->progs.on_cgroup_mkdir, 0) < 0 ||
	    attach(k, s->progs.on_sys_enter, 0) < 0 ||
	    attach(k, s->progs.on_sys_exit, 0) < 0 ||
	    attach(k, s->progs.obs_connect4, 1) < 0 ||
	    attach(k, s->progs.obs_connect6, 1) < 0 ||
	    attach(k, s->progs.obs_sendmsg4, 1) < 0 ||
	    attach(k, s->progs.obs_sendmsg6, 1) < 0 ||
	    attach(k, s->progs.obs_connect_unix, 1) < 0 ||
	    attach(k, s->progs.obs_sendmsg_unix, 1) < 0 ||
	    attach(k, s->progs.obs_bind4, 1) < 0 ||
	    attach(k, s->progs.obs_bind6, 1) < 0 ||
	    attach(k, s->progs.obs_dns, 1) < 0) {
		snprintf(err, errlen, "cannot attach the BPF programs");
		goto fail;
	}
	unpin_strays(k);
	k->ring = ring_open(bpf_map__fd(s->maps.events),
	    bpf_map__max_entries(s->maps.events));
	if (k->ring == NULL) {
		snprintf(err, errlen, "ring buffer: %s", strerror(errno));
		goto fail;
	}
	k->ncpus = libbpf_num_possible_cpus();
	if (k->ncpus <= 0)
		k->ncpus = 1;
	log_info("kernel features: %s", k->features);
	if (!on[0])
		log_warnx("no BTF tracing programs: process lifecycle, execs "
		    "and cgroup names are not observed");
	if (!on[1])
		log_warnx("no raw tracepoints: files and syscalls are not "
		    "observed");
	if (!on[2] || !on[3] || !on[4])
		log_warnx("cgroup programs missing: network or DNS partly "
		    "unobserved");
	return k;
fail:
	kern_close(k);
	return NULL;
}

void
kern_close(struct kern *k)
{
	int i;

	if (k == NULL)
		return;
	ring_close(k->ring);
	for (i = 0; i < k->nlinks; i++)
		bpf_link__destroy(k->links[i]);
	if (k->cgfd >= 0)
		close(k->cgfd);
	collect_bpf__destroy(k->skel);
	free(k);
}

int
kern_ring_fd(struct kern *k)
{
	return bpf_map__fd(k->skel->maps.events);
}

struct ring *
kern_ring(struct kern *k)
{
	return k->ring;
}

int
kern_resumed(struct kern *k, const char **why)
{
	if (why != NULL)
		*why = k->fresh_why;
	return k->resumed;
}

int
kern_counters(struct kern *k, struct kern_counters *out)
{
	uint64_t *vals = calloc((size_t)k->ncpus, sizeof(*vals));
	uint32_t i;
	int fd = bpf_map__fd(k->skel->maps.counters), c;

	if (vals == NULL)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < CC__MAX; i++) {
		if (bpf_map_lookup_elem(fd, &i, vals) < 0)
			continue;
		for (c = 0; c < k->ncpus; c++)
			out->v[i] += vals[c];
	}
	free(vals);
	return 0;
}

int
kern_syscalls(struct kern *k, void (*fn)(void *, uint64_t,
    const uint64_t[CSYS_WORDS]), void *arg)
{
	int fd = bpf_map__fd(k->skel->maps.sysbits);
	uint64_t key, next, *prev = NULL;
	struct csys_bits v;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v) == 0)
			fn(arg, key, (const uint64_t *)v.w);
	}
	return 0;
}

int
kern_losses(struct kern *k, void (*fn)(void *, uint64_t, uint64_t),
    void *arg)
{
	int fd = bpf_map__fd(k->skel->maps.lost);
	uint64_t keys[256], key, *prev = NULL, v;
	int n = 0, i;

	while (n < 256 && bpf_map_get_next_key(fd, prev, &keys[n]) == 0) {
		key = keys[n++];
		prev = &key;
	}
	for (i = 0; i < n; i++) {
		/* Atomic where the kernel can (5.14+): no loss goes uncounted. */
		if (bpf_map_lookup_and_delete_elem(fd, &keys[i], &v) < 0) {
			if (bpf_map_lookup_elem(fd, &keys[i], &v) < 0)
				continue;
			bpf_map_delete_elem(fd, &keys[i]);
		}
		fn(arg, keys[i], v);
	}
	return 0;
}

int
kern_cgname(void *arg, uint64_t cgid, char *path, size_t n)
{
	struct kern *k = arg;
	char v[CCGNAME_MAX];

	if (bpf_map_lookup_elem(bpf_map__fd(k->skel->maps.cgnames), &cgid,
	    v) < 0)
		return -ENOENT;
	if (strnlen(v, sizeof(v)) >= sizeof(v) - 1)
		return -ENAMETOOLONG;
	snprintf(path, n, "%s", v);
	return 0;
}

const char *
kern_features(struct kern *k)
{
	return k->features;
}

void
kern_set_quiet(struct kern *k, const uint32_t *pids, int n)
{
	int i;

	for (i = 0; i < CQUIET_MAX; i++)
		k->skel->bss->quiet_tgid[i] = i < n ? pids[i] : 0;
}
