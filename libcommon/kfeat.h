/*
 * kfeat: what the running kernel offers BPF, from its own BTF.
 *
 * libbpf (1.1 on Debian 12) names only the attach types it was built
 * with; newer ones (cgroup/connect_unix and sendmsg_unix, Linux 6.7) are
 * typed by their number, and only where the kernel's enum bpf_attach_type
 * has them.  Shared by collectd and enforced, which load such programs.
 */
#ifndef PADDOCK_KFEAT_H
#define PADDOCK_KFEAT_H

/* The numbers of enum bpf_attach_type for the hooks libbpf 1.1 lacks. */
#define KFEAT_CGROUP_UNIX_CONNECT	49
#define KFEAT_CGROUP_UNIX_SENDMSG	50

/* 1 when the kernel's BTF lists attach type name
 * ("BPF_CGROUP_UNIX_SENDMSG"), else 0 (also when it has no BTF). */
int	kfeat_attach_type(const char *name);

#endif
