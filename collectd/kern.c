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
 * else's programs.  Nothing is pinned: when the collector exits, its links
 * close and the kernel drops the programs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kfeat.h"
#include "log.h"
#include "collectd.h"
#include "collect.skel.h"

struct kern {
	struct collect_bpf	*skel;
	struct ring_buffer	*rb;
	int			 cgfd;
	struct bpf_link		*links[24];
	int			 nlinks;
	int			 ncpus;
	int			(*fn)(void *, void *, size_t);
	void			*arg;
	char			 features[256];
};

static int
rb_sample(void *ctx, void *data, size_t len)
{
	struct kern *k = ctx;

	return k->fn != NULL ? k->fn(k->arg, data, len) : 0;
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

	if (!bpf_program__autoload(p))
		return 0;
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

struct kern *
kern_open(const struct kern_conf *kc, char *err, size_t errlen)
{
	struct kern *k = calloc(1, sizeof(*k));
	struct collect_bpf *s;
	int tracing, rawtp, sockaddr, sock, skb, unixa, rc;
	uint32_t rb_bytes;

	if (k == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	k->cgfd = -1;
	tracing = probe_tp_btf();
	rawtp = probe(BPF_PROG_TYPE_RAW_TRACEPOINT);
	sockaddr = probe(BPF_PROG_TYPE_CGROUP_SOCK_ADDR);
	sock = probe(BPF_PROG_TYPE_CGROUP_SOCK);
	skb = probe(BPF_PROG_TYPE_CGROUP_SKB);
	unixa = sockaddr && kfeat_attach_type("BPF_CGROUP_UNIX_SENDMSG");
	feature(k, "tp_btf", tracing);
	feature(k, "raw_tp", rawtp);
	feature(k, "cgroup_sock_addr", sockaddr);
	feature(k, "cgroup_sock", sock);
	feature(k, "cgroup_skb", skb);
	feature(k, "cgroup_unix", unixa);
	/* For the operator; the collector needs neither. */
	feature(k, "fentry", probe(BPF_PROG_TYPE_TRACING));
	feature(k, "lsm", probe(BPF_PROG_TYPE_LSM));

	if ((s = k->skel = collect_bpf__open()) == NULL) {
		snprintf(err, errlen, "cannot open the BPF object: %s",
		    strerror(errno));
		goto fail;
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
	if (kc->dedup_entries)
		bpf_map__set_max_entries(s->maps.seen, kc->dedup_entries);

	bpf_program__set_autoload(s->progs.on_fork, tracing);
	bpf_program__set_autoload(s->progs.on_exec, tracing);
	bpf_program__set_autoload(s->progs.on_exit, tracing);
	bpf_program__set_autoload(s->progs.on_cgroup_mkdir, tracing);
	bpf_program__set_autoload(s->progs.on_sys_enter, rawtp &&
	    kc->syscalls);
	bpf_program__set_autoload(s->progs.on_sys_exit, rawtp);
	bpf_program__set_autoload(s->progs.obs_connect4, sockaddr);
	bpf_program__set_autoload(s->progs.obs_connect6, sockaddr);
	bpf_program__set_autoload(s->progs.obs_sendmsg4, sockaddr);
	bpf_program__set_autoload(s->progs.obs_sendmsg6, sockaddr);
	/* Unix addresses (Linux 6.7): typed here; libbpf 1.1 lacks them. */
	bpf_program__set_autoload(s->progs.obs_connect_unix, unixa);
	bpf_program__set_autoload(s->progs.obs_sendmsg_unix, unixa);
	if (unixa) {
		bpf_program__set_expected_attach_type(
		    s->progs.obs_connect_unix, KFEAT_CGROUP_UNIX_CONNECT);
		bpf_program__set_expected_attach_type(
		    s->progs.obs_sendmsg_unix, KFEAT_CGROUP_UNIX_SENDMSG);
	}
	bpf_program__set_autoload(s->progs.obs_bind4, sock);
	bpf_program__set_autoload(s->progs.obs_bind6, sock);
	bpf_program__set_autoload(s->progs.obs_dns, skb && kc->dns);

	if ((rc = collect_bpf__load(s)) < 0) {
		snprintf(err, errlen, "cannot load the BPF programs: %s "
		    "(run with -v for the verifier's log)", strerror(-rc));
		goto fail;
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
	k->rb = ring_buffer__new(bpf_map__fd(s->maps.events), rb_sample, k,
	    NULL);
	if (k->rb == NULL) {
		snprintf(err, errlen, "ring buffer: %s", strerror(errno));
		goto fail;
	}
	k->ncpus = libbpf_num_possible_cpus();
	if (k->ncpus <= 0)
		k->ncpus = 1;
	log_info("kernel features: %s", k->features);
	if (!tracing)
		log_warnx("no BTF tracing programs: process lifecycle, execs "
		    "and cgroup names are not observed");
	if (!rawtp)
		log_warnx("no raw tracepoints: files and syscalls are not "
		    "observed");
	if (!sockaddr || !sock || !skb)
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
	ring_buffer__free(k->rb);
	for (i = 0; i < k->nlinks; i++)
		bpf_link__destroy(k->links[i]);
	if (k->cgfd >= 0)
		close(k->cgfd);
	collect_bpf__destroy(k->skel);
	free(k);
}

int
kern_ringbuf_fd(struct kern *k)
{
	return ring_buffer__epoll_fd(k->rb);
}

int
kern_consume(struct kern *k, int (*fn)(void *, void *, size_t), void *arg)
{
	int rc;

	k->fn = fn;
	k->arg = arg;
	rc = ring_buffer__consume(k->rb);
	return rc < 0 ? rc : 0;
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

const char *
kern_features(struct kern *k)
{
	return k->features;
}
