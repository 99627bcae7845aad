/*
 * cgroup: cgroup v2 plumbing and workload identity.
 *
 * The mount is found in /proc/mounts (on hybrid hosts it is not at
 * /sys/fs/cgroup).  Cgroup ids are the kernfs ids that BPF's
 * bpf_get_current_cgroup_id() returns; they map to paths through file
 * handles (name_to_handle_at / open_by_handle_at), which stays correct where
 * walking the tree would race.
 *
 * cgroup_identity() is pure: it turns a cgroup path into the workload it
 * belongs to, with no labels, by the conventions of systemd, container
 * runtimes, Kubernetes and `paddockctl run`.  A restarted unit gets a new
 * cgroup but the same path, so it keeps its name.
 */
#ifndef PADDOCK_CGROUP_H
#define PADDOCK_CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wire.h"

/* The slice `paddockctl run` puts its workloads in. */
#define CGROUP_PADDOCK_SLICE	"paddock.slice"

struct cgroup_ident {
	char		name[WIRE_NAME_MAX];
	uint8_t		kind;		/* enum wire_wkind */
	char		runtime[16];	/* docker, containerd, crio, podman */
	char		container[72];	/* full container id */
	char		pod[40];	/* Kubernetes pod uid */
};

/* Find the cgroup v2 mount point.  -ENOENT when there is none. */
int	cgroup_find_mount(char *out, size_t len);
/* The cgroup id of a cgroup directory. */
int	cgroup_id_of(const char *abspath, uint64_t *id);
/* The path (relative to mnt, starting with '/') of a live cgroup id. */
int	cgroup_path_of(const char *mnt, uint64_t id, char *out, size_t len);
/* The cgroup v2 path of a process, from /proc/PID/cgroup. */
int	cgroup_path_of_pid(pid_t pid, char *out, size_t len);

/* Derive the workload identity of a cgroup path ("/system.slice/x.service"). */
void	cgroup_identity(const char *path, struct cgroup_ident *id);

/* systemd-escape a workload name into a unit-name component, and back. */
int	cgroup_escape(const char *name, char *out, size_t len);
int	cgroup_unescape(const char *esc, size_t n, char *out, size_t len);

/* Is name a usable `paddockctl run` workload name? */
int	cgroup_valid_name(const char *name);

#endif
