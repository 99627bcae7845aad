/*
 * test_cgroup: workload identity from real-world cgroup paths, the escape
 * rules of `paddockctl run` names, and (as root) id <-> path on this host's
 * cgroup v2 mount.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup.h"
#include "testutil.h"

#define CID "4f1c9a8e2b7d6c5a3e9f0b1d2c3a4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d"
#define UID_ "0b2c8f0e-1234-4bcd-9a4e-56789abcdef0"
#define UID_U "0b2c8f0e_1234_4bcd_9a4e_56789abcdef0"

static const struct {
	const char	*path;
	const char	*name;
	int		 kind;
} cases[] = {
	/* systemd units, under any slice */
	{ "/system.slice/demo-agent.service", "demo-agent.service", WL_SYSTEMD },
	{ "/system.slice/demo-agent.service/worker", "demo-agent.service", WL_SYSTEMD },
	{ "/system.slice/getty@tty1.service", "getty@tty1.service", WL_SYSTEMD },
	{ "/app.slice/app-llm.slice/inference.service", "inference.service", WL_SYSTEMD },
	{ "/init.scope", "init.scope", WL_SYSTEMD },
	/* systemd-run names its transients run-uN: each is its own unit */
	{ "/system.slice/run-u123.scope", "run-u123.scope", WL_SYSTEMD },
	/* nested scopes: the innermost unit */
	{ "/user.slice/user-1000.slice/user@1000.service/app.slice/"
	  "app-gnome-firefox-4242.scope", "app-gnome-firefox.scope", WL_SYSTEMD },
	{ "/user.slice/user-1000.slice/user@1000.service/init.scope",
	  "init.scope", WL_SYSTEMD },
	{ "/system.slice/sshd.service/session.scope/x", "session.scope", WL_SYSTEMD },
	/* logins and plain host processes fall under their slice */
	{ "/user.slice/user-1000.slice/session-3.scope", "user-1000.slice", WL_HOST },
	{ "/system.slice", "system.slice", WL_HOST },
	{ "/", "-.slice", WL_HOST },
	{ "", "-.slice", WL_HOST },
	/* docker: systemd and cgroupfs drivers */
	{ "/system.slice/docker-" CID ".scope", "docker:4f1c9a8e2b7d", WL_CONTAINER },
	{ "/docker/" CID, "container:4f1c9a8e2b7d", WL_CONTAINER },
	/* podman, rootful and rootless, with the split container cgroup */
	{ "/machine.slice/libpod-" CID ".scope", "podman:4f1c9a8e2b7d", WL_CONTAINER },
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" CID
	  ".scope/container", "podman:4f1c9a8e2b7d", WL_CONTAINER },
	/* conmon monitors are runtime plumbing: one unit for all of them */
	{ "/machine.slice/libpod-conmon-" CID ".scope", "libpod-conmon.scope",
	  WL_SYSTEMD },
	/* containerd without Kubernetes */
	{ "/system.slice/containerd-" CID ".scope", "containerd:4f1c9a8e2b7d",
	  WL_CONTAINER },
	/* Kubernetes, systemd cgroup driver, containerd and cri-o */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_U
	  ".slice/cri-containerd-" CID ".scope", "k8s:" UID_ "/4f1c9a8e2b7d", WL_POD },
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_U
	  ".slice/crio-" CID ".scope", "k8s:" UID_ "/4f1c9a8e2b7d", WL_POD },
	{ "/kubepods.slice/kubepods-pod" UID_U ".slice/cri-containerd-" CID
	  ".scope", "k8s:" UID_ "/4f1c9a8e2b7d", WL_POD },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_U
	  ".slice/crio-conmon-" CID ".scope", "k8s:" UID_, WL_POD },
	/* Kubernetes, cgroupfs driver */
	{ "/kubepods/burstable/pod" UID_ "/" CID, "k8s:" UID_ "/4f1c9a8e2b7d", WL_POD },
	{ "/kubepods/pod" UID_ "/" CID, "k8s:" UID_ "/4f1c9a8e2b7d", WL_POD },
	{ "/kubepods/burstable/pod" UID_, "k8s:" UID_, WL_POD },
	{ "/kubepods.slice/kubepods-burstable.slice", "kubepods-burstable.slice",
	  WL_HOST },
	/* paddockctl run, with and without systemd */
	{ "/paddock.slice/paddock-demo\\x2dagent.slice/run-1a2b3c.scope",
	  "demo-agent", WL_PADDOCK },
	{ "/paddock.slice/paddock-demo\\x2dagent.slice/run-1a2b3c.scope/child",
	  "demo-agent", WL_PADDOCK },
	{ "/paddock.slice/paddock-rag_bot.slice", "rag_bot", WL_PADDOCK },
	/* systemd's unescaping gives bytes; the name stays wire text */
	{ "/paddock.slice/paddock-r\\xff\\xfeg.slice", "r\\xff\\xfeg",
	  WL_PADDOCK },
	{ "/system.slice/caf\xc3\xa9\\xff.service", "caf\xc3\xa9\\xff.service",
	  WL_SYSTEMD },
	{ "/paddock.slice", "paddock.slice", WL_HOST },
	/* something that merely looks like one is not */
	{ "/system.slice/paddock-x.slice", "paddock-x.slice", WL_HOST },
	{ "/system.slice/docker-notanid.scope", "docker-notanid.scope", WL_SYSTEMD },
};

static void
test_cgroup_identity_table(void **state)
{
	struct cgroup_ident id;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cgroup_identity(cases[i].path, &id);
		if (strcmp(id.name, cases[i].name) != 0 ||
		    id.kind != cases[i].kind)
			fail_msg("%s: got %s (%s), want %s (%s)", cases[i].path,
			    id.name, wire_wkind_name(id.kind), cases[i].name,
			    wire_wkind_name((unsigned)cases[i].kind));
	}
}

static void
test_cgroup_identity_details(void **state)
{
	struct cgroup_ident id;

	cgroup_identity("/kubepods.slice/kubepods-burstable.slice/"
	    "kubepods-burstable-pod" UID_U ".slice/cri-containerd-" CID ".scope",
	    &id);
	assert_string_equal(id.pod, UID_);
	assert_string_equal(id.container, CID);
	assert_string_equal(id.runtime, "containerd");
}

static void
test_cgroup_escape_roundtrip(void **state)
{
	char esc[128], back[128];

	assert_int_equal(cgroup_escape("demo-agent.v2", esc, sizeof(esc)), 0);
	assert_string_equal(esc, "demo\\x2dagent.v2");
	assert_int_equal(cgroup_unescape(esc, strlen(esc), back, sizeof(back)),
	    0);
	assert_string_equal(back, "demo-agent.v2");
	assert_int_equal(cgroup_escape("x", esc, 2), 0);
	assert_int_equal(cgroup_escape("xy", esc, 2), -ENAMETOOLONG);
	assert_true(cgroup_valid_name("demo-agent"));
	assert_false(cgroup_valid_name("../etc"));
	assert_false(cgroup_valid_name(""));
	assert_false(cgroup_valid_name("a b"));
}

static void
test_cgroup_live_mount(void **state)
{
	char mnt[256], dir[512], back[512], self[512];
	uint64_t id;

	if (cgroup_find_mount(mnt, sizeof(mnt)) < 0 || !tu_is_root()) {
		skip();
		return;
	}
	/* The mount is read from /proc/mounts, and it really is cgroup2. */
	snprintf(dir, sizeof(dir), "%s/cgroup.controllers", mnt);
	assert_int_equal(access(dir, F_OK), 0);
	snprintf(dir, sizeof(dir), "%s/paddock-test-cg.%d", mnt, (int)getpid());
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(cgroup_id_of(dir, &id), 0);
	assert_int_equal(cgroup_path_of(mnt, id, back, sizeof(back)), 0);
	snprintf(self, sizeof(self), "/paddock-test-cg.%d", (int)getpid());
	assert_string_equal(back, self);
	assert_int_equal(rmdir(dir), 0);
	assert_int_not_equal(cgroup_path_of(mnt, id, back, sizeof(back)), 0);
	assert_int_equal(cgroup_path_of_pid(getpid(), back, sizeof(back)), 0);
	assert_true(back[0] == '/');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cgroup_identity_table),
		cmocka_unit_test(test_cgroup_identity_details),
		cmocka_unit_test(test_cgroup_escape_roundtrip),
		cmocka_unit_test(test_cgroup_live_mount),
	};

	return cmocka_run_group_tests_name("cgroup", tests, NULL, NULL);
}
