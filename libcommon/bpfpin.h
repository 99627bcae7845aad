/*
 * bpfpin: BPF programs that outlive the daemon that loaded them.
 *
 * A daemon whose kernel side must keep working while it restarts (the
 * enforcer keeps enforcing, the collector keeps collecting into its ring)
 * pins its maps and links in a bpffs directory of its stack.  The next run
 * reuses the pinned maps (their contents stay) and adopts each pinned link
 * with its own program in it, so an upgrade takes effect with no moment
 * where neither program runs.  Shared by enforced and collectd.
 */
#ifndef PADDOCK_BPFPIN_H
#define PADDOCK_BPFPIN_H

#include <stddef.h>
#include <stdint.h>

struct bpf_object;
struct bpf_program;
struct bpf_link;

/* mkdir -p with mode 0700.  0 or -errno. */
int	bpfpin_mkdirs(const char *path);

/* Make pindir, mounting bpffs at /sys/fs/bpf if it is not.  0 or -errno
 * with the reason in err. */
int	bpfpin_ready(const char *pindir, char *err, size_t errlen);

/* Before load: reuse (or create and pin) every map of obj under pindir,
 * but per-CPU arrays and internal maps (scratch and constants). */
void	bpfpin_maps(struct bpf_object *obj, const char *pindir);

/* The id of the program link l runs, or 0. */
uint32_t bpfpin_link_prog(struct bpf_link *l);

/*
 * An earlier run's link l, pinned at path: put this load's program p in
 * it (cgroup links, cgfd >= 0, in place; others by a new link that takes
 * the pin before the old one goes).  Returns the link to hold: on failure
 * the old one, still running its program (logged).
 */
struct bpf_link *bpfpin_adopt(struct bpf_link *l, struct bpf_program *p,
	    int cgfd, const char *path);

/*
 * Attach p (to cgroup cgfd, or to its own hook when cgfd < 0) and pin the
 * link at path; or, when path is pinned already, adopt that link.  *adopted
 * (if not NULL) says which.  The link, or NULL with errno set.
 */
struct bpf_link *bpfpin_link(struct bpf_program *p, int cgfd,
	    const char *path, int *adopted);

/* Unlink every pin in pindir and the directory itself; the number
 * removed, or -errno when pindir cannot be read (0 when it is absent). */
int	bpfpin_clear(const char *pindir);

#endif
