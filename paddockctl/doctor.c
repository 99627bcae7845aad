/*
 * paddockctl doctor: is this host ready for Paddock, and if not, what to
 * fix.  Checks what the daemons will need, each with a one-line verdict:
 * privileges, kernel BTF, the cgroup v2 mount, bpffs, the BPF program and
 * map types the collector and the enforcer use (libbpf's probes: they
 * load a tiny program of each type), whether BPF LSM is active (which
 * enforcement backend the enforcer can use), Redis and its version, and
 * whether the daemons are reporting.  Exit 0 when nothing failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <hiredis/hiredis.h>

#include "cgroup.h"
#include "ctl.h"

/* The sizing rule's figures (docs/architecture.md, "Limits and sizing"),
 * measured by make bench: Redis bytes per entry of the events stream, per
 * record of the other streams, per workload. */
#define SIZING_EVENT_BYTES	7518	/* an events entry: a batch */
#define SIZING_RECORD_BYTES	1073
#define SIZING_WORKLOAD_BYTES	17818

struct verdicts {
	int	fail, warn;
};

static void
say(struct verdicts *v, int level, const char *what, const char *detail,
    const char *fix)
{
	static const char *const tag[] = { "ok  ", "warn", "FAIL" };

	printf("%s  %-28s %s\n", tag[level], what, detail);
	if (level > 0 && fix != NULL)
		printf("      %-28s fix: %s\n", "", fix);
	v->fail += level == 2;
	v->warn += level == 1;
}

/* A number after "name:" in an INFO reply, or 0. */
static unsigned long long
info_u64(const char *info, const char *name)
{
	const char *p = strstr(info, name);

	return p != NULL ? strtoull(p + strlen(name), NULL, 10) : 0;
}

/*
 * Redis's memory: a limit, a policy that never evicts (any other may drop
 * Paddock's state: stages, policies, the audit trail), and room for full
 * streams by the sizing rule of docs/architecture.md ("Limits and
 * sizing"), whose per-entry figures are make bench's.
 */
static void
redis_memory(struct ctl *ctl, redisContext *c, struct verdicts *v)
{
	const struct conf_redis *rc = &ctl->conf.redis;
	unsigned long long max, used, need;
	char pol[32] = "", detail[200], fix[200];
	redisReply *r = redisCommand(c, "INFO memory");
	const char *p;

	if (r == NULL || r->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		say(v, 1, "redis memory", "INFO memory unreadable", NULL);
		return;
	}
	max = info_u64(r->str, "\nmaxmemory:");
	used = info_u64(r->str, "\nused_memory:");
	if ((p = strstr(r->str, "maxmemory_policy:")) != NULL)
		snprintf(pol, sizeof(pol), "%.*s", (int)strcspn(p + 17, "\r\n"),
		    p + 17);
	freeReplyObject(r);
	need = (unsigned long long)rc->maxlen_events * SIZING_EVENT_BYTES +
	    (unsigned long long)rc->maxlen * 5 * SIZING_RECORD_BYTES;
	snprintf(detail, sizeof(detail), "limit %llu MiB, %s, %llu MiB used; "
	    "full streams need about %llu MiB", max >> 20, pol[0] ? pol : "?",
	    used >> 20, need >> 20);
	if (strcmp(pol, "noeviction") != 0) {
		say(v, 2, "redis memory", detail, "maxmemory-policy noeviction:"
		    " any other policy may evict Paddock's state");
		return;
	}
	if (max == 0) {
		say(v, 1, "redis memory", detail, "set maxmemory (redis."
		    "maxmemory_mb; docs/architecture.md, Limits and sizing)");
		return;
	}
	snprintf(fix, sizeof(fix), "raise maxmemory to at least %llu MiB "
	    "plus %u KiB per workload, or lower redis.maxlen_events",
	    (need >> 20) + 64, SIZING_WORKLOAD_BYTES / 1024);
	say(v, max < need + (64ull << 20) ? 1 : 0, "redis memory", detail, fix);
}

static int
file_has(const char *path, const char *needle)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static int
prog_ok(enum bpf_prog_type t)
{
	return libbpf_probe_bpf_prog_type(t, NULL) == 1;
}

static int
cmd_doctor(struct ctl *ctl, int argc, char **argv)
{
	struct verdicts v = { 0, 0 };
	struct utsname u;
	char buf[1024], url[256];
	redisContext *c;
	redisReply *r;
	int lsm;

	(void)argc;
	(void)argv;
	uname(&u);
	say(&v, 0, "kernel", u.release, NULL);
	say(&v, geteuid() == 0 ? 0 : 2, "privileges", geteuid() == 0 ? "root" :
	    "not root", "run as root (or grant the capabilities in the "
	    "systemd units)");
	say(&v, access("/sys/kernel/btf/vmlinux", R_OK) == 0 ? 0 : 2,
	    "kernel BTF", access("/sys/kernel/btf/vmlinux", R_OK) == 0 ?
	    "/sys/kernel/btf/vmlinux" : "missing",
	    "a kernel built with CONFIG_DEBUG_INFO_BTF=y");
	if (cgroup_find_mount(buf, sizeof(buf)) == 0)
		say(&v, 0, "cgroup v2", buf, NULL);
	else
		say(&v, 2, "cgroup v2", "not mounted",
		    "mount -t cgroup2 none /sys/fs/cgroup (or boot with "
		    "systemd.unified_cgroup_hierarchy=1)");
	say(&v, file_has("/proc/mounts", " bpf ") == 1 ? 0 : 1, "bpffs",
	    file_has("/proc/mounts", " bpf ") == 1 ? "mounted" : "not mounted",
	    "mount -t bpf bpf /sys/fs/bpf (enforced mounts it if it may)");
	if (geteuid() == 0) {
		say(&v, prog_ok(BPF_PROG_TYPE_TRACEPOINT) &&
		    prog_ok(BPF_PROG_TYPE_RAW_TRACEPOINT) ? 0 : 2,
		    "tracepoints, raw_tp", "loadable", "a kernel with "
		    "CONFIG_BPF_EVENTS");
		say(&v, prog_ok(BPF_PROG_TYPE_CGROUP_SOCK_ADDR) &&
		    prog_ok(BPF_PROG_TYPE_CGROUP_SKB) ? 0 : 2,
		    "cgroup programs", "loadable (network observation and "
		    "enforcement)", "a kernel with CONFIG_CGROUP_BPF");
		say(&v, libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) ==
		    1 ? 0 : 2, "ring buffer maps", "available",
		    "Linux 5.8 or later");
		lsm = file_has("/sys/kernel/security/lsm", "bpf");
		say(&v, lsm == 1 ? 0 : 1, "BPF LSM", lsm == 1 ? "active: exec "
		    "and file enforcement deny before the operation" :
		    "not active: exec and file enforcement fall back to "
		    "SIGKILL from the kernel", "boot with lsm=...,bpf for "
		    "deny-before-effect enforcement");
	} else
		say(&v, 1, "BPF probes", "skipped (not root)", "run doctor "
		    "as root");
	ctl_redis_url(ctl, url, sizeof(url));
	if ((c = ctl_connect(ctl)) == NULL) {
		say(&v, 2, "redis", url, "paddockctl up (a private Redis), or "
		    "--redis URL / redis.url in the configuration");
	} else {
		r = redisCommand(c, "INFO server");
		buf[0] = '\0';
		if (r != NULL && r->type == REDIS_REPLY_STRING &&
		    strstr(r->str, "redis_version:") != NULL) {
			char *p = strstr(r->str, "redis_version:") + 14;

			snprintf(buf, sizeof(buf), "%.*s at %s",
			    (int)strcspn(p, "\r\n"), p, url);
		}
		say(&v, buf[0] && atoi(buf) >= 7 ? 0 : buf[0] && atoi(buf) == 6 ?
		    1 : 2, "redis", buf[0] ? buf : url, "Redis 7 (XAUTOCLAIM "
		    "with deleted-entry reporting; Debian 12 ships 7.0)");
		freeReplyObject(r);
		redis_memory(ctl, c, &v);
		ctl_key(ctl, "stats:collectd:*", buf, sizeof(buf));
		r = redisCommand(c, "KEYS %s", buf);
		say(&v, r && r->type == REDIS_REPLY_ARRAY && r->elements > 0 ? 0 :
		    1, "collector", r && r->type == REDIS_REPLY_ARRAY &&
		    r->elements > 0 ? "reporting" : "no report yet",
		    "start paddock-collectd (paddockctl up, or systemctl start "
		    "paddock.target)");
		freeReplyObject(r);
		redisFree(c);
	}
	printf("\n%s (%d failed, %d warnings)\n", v.fail ? "not ready" :
	    "ready", v.fail, v.warn);
	return v.fail ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_doctor = {
	"doctor", "check this host for what Paddock needs, and say what to fix",
	cmd_doctor,
};
