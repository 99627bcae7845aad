// SPDX-License-Identifier: GPL-2.0
/*
 * enforce_lsm.bpf.c: exec and files where the host has BPF LSM
 * (lsm=bpf on the kernel command line, listed in
 * /sys/kernel/security/lsm).
 *
 *   lsm/bprm_check_security   the image about to be executed, against the
 *                             exec rules: execve() fails with EPERM and
 *                             the caller goes on running its old image
 *   lsm/file_open             every open, against the file rules: open()
 *                             fails with EPERM; nothing is created or
 *                             truncated by a denied open (see below)
 *
 *   lsm/unix_stream_connect,  self-protection: Paddock's Redis socket,
 *   lsm/task_kill,            signals to Paddock's daemons, ptrace and
 *   lsm/ptrace_access_check   the like of them, and unlinks,
 *   lsm/inode_unlink|rmdir|   rmdirs and renames in bpffs are refused to
 *   rename                    every workload in alert
 *                             or enforce (the fallback kills the sender
 *                             of a signal, which still arrives, and
 *                             cannot stop an unlink; docs/enforcement.md)
 *
 * The same decisions as the SIGKILL fallback in enforce.bpf.c, from the
 * same maps (enforce_core.h), on the same kind of path: the kernel's
 * struct file, walked.  Differences that matter:
 *   - bprm_check_security runs once per binary handler: for a script,
 *     first with the script, then with its interpreter.  A "#!" image is
 *     let through here because its interpreter is checked on the next
 *     round; the fallback only ever sees the interpreter (bprm->file at
 *     sched_process_exec), and profiles record the same.
 *   - file_open runs after the path lookup and, for O_CREAT, after the
 *     file was created (an empty file may remain); O_TRUNC truncates after
 *     the hook, so a denied open truncates nothing.
 * enforced loads this object only when its probe finds BPF LSM; this
 * kernel refuses it (EPERM at load), and the fallback is what runs here.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "enforce_core.h"

char LICENSE[] SEC("license") = "GPL";

#define EPERM_		1
#define FMODE_READ_	0x1
#define FMODE_WRITE_	0x2
#define FMODE_EXEC_	0x20
#define CGROUP2_SUPER_MAGIC_	0x63677270

SEC("lsm/bprm_check_security")
int BPF_PROG(enf_lsm_exec, struct linux_binprm *bprm, int ret)
{
	struct ecache wh;
	char magic[2];
	__u8 mode;

	if (ret != 0 || !resolve_wl(&wh) ||
	    (mode = wh.w.mode[EDIM_EXEC]) == EMODE_OFF)
		return ret;
	if (bpf_probe_read_kernel(magic, 2, bprm->buf) == 0 &&
	    magic[0] == '#' && magic[1] == '!')
		return 0;	/* a script: its interpreter is checked next */
	if (check_file(&wh, BPF_CORE_READ(bprm, file), EDIM_EXEC, EM_EXEC,
	    mode == EMODE_BLOCK ? EACT_DENIED : EACT_ALERTED))
		return 0;
	return mode == EMODE_BLOCK ? -EPERM_ : 0;
}

SEC("lsm/file_open")
int BPF_PROG(enf_lsm_open, struct file *file, int ret)
{
	unsigned int fmode = BPF_CORE_READ(file, f_mode);
	struct ecache wh;
	__u8 mode, want = 0;

	if (ret != 0 || (fmode & FMODE_EXEC_) || !resolve_wl(&wh))
		return ret;
	/* Self-protection: Paddock's secrets, and a cgroup file opened for
	 * writing (moving out of the workload's cgroup, its limits): refused
	 * to a guarded workload. */
	if (guarded(&wh) && (protected_file(file) || ((fmode & FMODE_WRITE_) &&
	    BPF_CORE_READ(file, f_inode, i_sb, s_magic) ==
	    CGROUP2_SUPER_MAGIC_))) {
		struct eviol *v;
		struct epath p;

		path_of(file, &p);
		if ((v = viol_protect(&wh, EDIM_FILE, p.h ^ EM_PROTECT,
		    EACT_DENIED)) != NULL) {
			v->mode = EM_PROTECT | EM_CGROUP | EM_WRITE;
			v->path_len = copy_path(v->path, p.n);
			v->path_flags |= p.flags;
			bpf_ringbuf_submit(v, 0);
		}
		return -EPERM_;
	}
	if ((mode = wh.w.mode[EDIM_FILE]) == EMODE_OFF)
		return ret;
	if (fmode & FMODE_READ_)
		want |= EM_READ;
	if (fmode & FMODE_WRITE_)
		want |= EM_WRITE;
	if (want == 0 || check_file(&wh, file, EDIM_FILE, want,
	    mode == EMODE_BLOCK ? EACT_DENIED : EACT_ALERTED))
		return 0;
	return mode == EMODE_BLOCK ? -EPERM_ : 0;
}

/* ------------------------------------------------------ self-protection */

#define BPF_FS_MAGIC_	0xcafe4a11

/* Paddock's Redis over its unix socket: refused before the connection. */
SEC("lsm/unix_stream_connect")
int BPF_PROG(enf_lsm_unix, struct socket *sock, struct sock *other,
    struct sock *newsk, int ret)
{
	struct unix_sock *u = (struct unix_sock *)other;
	struct eprot_inode key;
	struct ecache wh;
	struct dentry *d;
	struct eviol *v;

	if (ret != 0 || !resolve_wl(&wh) || !guarded(&wh) ||
	    (d = BPF_CORE_READ(u, path.dentry)) == NULL)
		return ret;
	key.dev = BPF_CORE_READ(d, d_inode, i_sb, s_dev);
	key.ino = BPF_CORE_READ(d, d_inode, i_ino);
	if (bpf_map_lookup_elem(&prot_sock, &key) == NULL) {
		/* Another socket: a destination of the file rules. */
		struct epath p = { .flags = 0 };
		__u8 fm = wh.w.mode[EDIM_FILE];

		if (fm == EMODE_OFF)
			return 0;
		p.n = file_path(BPF_CORE_READ(u, path.mnt), d, &p.h, &p.flags);
		if (unix_dest_ok(&wh, p.h, p.n, p.flags, fm == EMODE_BLOCK ?
		    EACT_DENIED : EACT_ALERTED, 42) || fm != EMODE_BLOCK)
			return 0;
		return -EPERM_;
	}
	if ((v = viol_protect(&wh, EDIM_NET, key.ino ^ EM_PROTECT,
	    EACT_DENIED)) != NULL) {
		v->mode = EM_PROTECT;
		bpf_ringbuf_submit(v, 0);
	}
	return -EPERM_;
}

/* Signals to Paddock's daemons: called once per target task, so a kill of
 * a process group or of everyone is refused for each daemon in it. */
SEC("lsm/task_kill")
int BPF_PROG(enf_lsm_kill, struct task_struct *p, struct kernel_siginfo *info,
    int sig, const struct cred *cred, int ret)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	struct ecache wh;
	struct eviol *v;

	if (ret != 0 || sig == 0 || !protected_id(tgid, EPROT_PROC) ||
	    !resolve_wl(&wh) || !guarded(&wh))
		return ret;
	if ((v = viol_protect(&wh, EDIM_SYSCALL, ((__u64)(sig & 0xff) << 32 |
	    tgid) ^ EM_PROTECT, EACT_DENIED)) != NULL) {
		v->mode = EM_PROTECT;
		v->syscall = 62;	/* kill; tgkill and the rest land here too */
		v->target = tgid;
		v->sig = sig;
		bpf_ringbuf_submit(v, 0);
	}
	return -EPERM_;
}

/* ptrace of a daemon, and what checks the same access: process_vm_*,
 * pidfd_getfd, /proc/PID/mem. */
SEC("lsm/ptrace_access_check")
int BPF_PROG(enf_lsm_ptrace, struct task_struct *child, unsigned int mode,
    int ret)
{
	__u32 tgid = BPF_CORE_READ(child, tgid);
	struct ecache wh;
	struct eviol *v;

	if (ret != 0 || !protected_id(tgid, EPROT_PROC) || !resolve_wl(&wh) ||
	    !guarded(&wh))
		return ret;
	if ((v = viol_protect(&wh, EDIM_SYSCALL, ((__u64)101 << 40 | tgid) ^
	    EM_PROTECT, EACT_DENIED)) != NULL) {
		v->mode = EM_PROTECT;
		v->syscall = 101;	/* ptrace, or a call that checks as it */
		v->target = tgid;
		bpf_ringbuf_submit(v, 0);
	}
	return -EPERM_;
}

/*
 * Removing or renaming anything in bpffs: Paddock's pins (and nobody
 * else's).  The record names the entry (an inode hook has no mount to
 * walk a full path from), like the fallback's, marked self-protection.
 */
static __always_inline int
pin_hook(struct inode *dir, struct dentry *d, __u32 nr, int ret)
{
	struct ecache wh;
	struct eviol *v;
	long n;

	if (ret != 0 || BPF_CORE_READ(dir, i_sb, s_magic) != BPF_FS_MAGIC_ ||
	    !resolve_wl(&wh) || !guarded(&wh))
		return ret;
	if ((v = viol_protect(&wh, EDIM_FILE, ((__u64)nr << 40) ^ EM_PROTECT,
	    EACT_DENIED)) != NULL) {
		v->mode = EM_PROTECT | EM_WRITE;
		v->syscall = (__s32)nr;
		n = bpf_probe_read_kernel_str(v->path, EPAT_MAX,
		    BPF_CORE_READ(d, d_name.name));
		v->path_len = n > 1 ? (__u16)(n - 1) : 0;
		bpf_ringbuf_submit(v, 0);
	}
	return -EPERM_;
}

SEC("lsm/inode_unlink")
int BPF_PROG(enf_lsm_unlink, struct inode *dir, struct dentry *dentry, int ret)
{
	return pin_hook(dir, dentry, 263, ret);		/* unlinkat */
}

SEC("lsm/inode_rmdir")
int BPF_PROG(enf_lsm_rmdir, struct inode *dir, struct dentry *dentry, int ret)
{
	return pin_hook(dir, dentry, 84, ret);		/* rmdir */
}

SEC("lsm/inode_rename")
int BPF_PROG(enf_lsm_rename, struct inode *old_dir, struct dentry *old_dentry,
    struct inode *new_dir, struct dentry *new_dentry, int ret)
{
	return pin_hook(old_dir, old_dentry, 316, ret);	/* renameat2 */
}

/* ------------------------------------------------------------ names */

/*
 * link, rename and symlink, before they take effect: the new name is a
 * write of its path under the file rules, the old name of a link a read
 * and of a rename a write (RENAME_EXCHANGE writes both names anyway).
 * Refused (EPERM) in enforce, reported in alert.  The fallback's entry
 * check (enf_sys_guard) stands aside where these decide.
 */

/* dentry d's name under directory dir, laid out in escratch.path. */
static __always_inline __u32
name_in(const struct path *dir, struct dentry *d, __u64 *h, __u16 *flags)
{
	struct escratch *s;
	__u32 zero = 0, off;
	int dummy = 0;
	long m;

	off = file_path(BPF_CORE_READ(dir, mnt), BPF_CORE_READ(dir, dentry), h,
	    flags);
	if ((s = bpf_map_lookup_elem(&escratch, &zero)) == NULL ||
	    off > EPATH_MAX / 2 - 2) {
		*flags |= EP_TRUNC;
		return off;
	}
	barrier_var(off);
	off &= EPATH_MAX / 2 - 1;
	if (off > 1)
		s->path[off++ & (EPATH_MAX - 1)] = '/';
	else
		off = 1;
	barrier_var(off);
	off &= EPATH_MAX / 2 - 1;
	if ((m = bpf_probe_read_kernel_str(s->path + off, EPAT_MAX,
	    BPF_CORE_READ(d, d_name.name))) <= 1) {
		*flags |= EP_TRUNC;
		return off;
	}
	s->lay.pos = off + (__u32)m - 1;
	s->lay.h = FNV1A_INIT;
	bpf_loop(EPATH_MAX, hash_step, &dummy, 0);
	*h = s->lay.h;
	return s->lay.pos;
}

/* The path in escratch.path (n, h), wanted as want by syscall nr. */
static __always_inline int
name_decide(const struct ecache *wh, __u64 h, __u32 n, __u16 flags,
    __u8 want, __u32 nr)
{
	__u8 mode = wh->w.mode[EDIM_FILE];
	struct eviol *v;

	if (granted(wh->w.wid, EDIM_FILE, h, n, flags, want) == want)
		return 0;
	if ((v = viol_begin(wh, EDIM_FILE, h ^ want ^ ((__u64)nr << 40),
	    mode == EMODE_BLOCK ? EACT_DENIED : EACT_ALERTED)) != NULL) {
		v->mode = want | EM_LINK;
		v->syscall = (__s32)nr;
		v->path_len = copy_path(v->path, n);
		v->path_flags |= flags;
		bpf_ringbuf_submit(v, 0);
	}
	return mode == EMODE_BLOCK ? -EPERM_ : 0;
}

SEC("lsm/path_link")
int BPF_PROG(enf_lsm_link, struct dentry *old_dentry,
    const struct path *new_dir, struct dentry *new_dentry, int ret)
{
	struct ecache wh;
	__u16 fl = 0;
	__u64 h;
	__u32 n;
	int rc;

	if (ret != 0 || !resolve_wl(&wh) || wh.w.mode[EDIM_FILE] == EMODE_OFF)
		return ret;
	n = name_in(new_dir, new_dentry, &h, &fl);
	if ((rc = name_decide(&wh, h, n, fl, EM_WRITE, 265)) != 0)
		return rc;
	fl = 0;
	n = file_path(BPF_CORE_READ(new_dir, mnt), old_dentry, &h, &fl);
	return name_decide(&wh, h, n, fl, EM_READ, 265);
}

SEC("lsm/path_rename")
int BPF_PROG(enf_lsm_prename, const struct path *old_dir,
    struct dentry *old_dentry, const struct path *new_dir,
    struct dentry *new_dentry, unsigned int flags, int ret)
{
	struct ecache wh;
	__u16 fl = 0;
	__u64 h;
	__u32 n;
	int rc;

	if (ret != 0 || !resolve_wl(&wh) || wh.w.mode[EDIM_FILE] == EMODE_OFF)
		return ret;
	n = name_in(new_dir, new_dentry, &h, &fl);
	if ((rc = name_decide(&wh, h, n, fl, EM_WRITE, 316)) != 0)
		return rc;
	fl = 0;
	n = name_in(old_dir, old_dentry, &h, &fl);
	return name_decide(&wh, h, n, fl, EM_WRITE, 316);
}

SEC("lsm/path_symlink")
int BPF_PROG(enf_lsm_symlink, const struct path *dir, struct dentry *dentry,
    const char *old_name, int ret)
{
	struct ecache wh;
	__u16 fl = 0;
	__u64 h;
	__u32 n;

	if (ret != 0 || !resolve_wl(&wh) || wh.w.mode[EDIM_FILE] == EMODE_OFF)
		return ret;
	n = name_in(dir, dentry, &h, &fl);
	return name_decide(&wh, h, n, fl, EM_WRITE, 266);
}
