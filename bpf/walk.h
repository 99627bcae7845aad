/*
 * walk.h: the path of a (vfsmount, dentry) pair, walked in the kernel.
 *
 * Shared by collect.bpf.c and enforce.bpf.c; bpf_d_path() is refused in
 * tracepoints, so both build paths themselves.  The walk runs under
 * bpf_loop(): the callback is verified once, where an unrolled walk with
 * a mount-crossing branch per step would make the verifier explore 2^depth
 * paths.  It goes leaf first, crosses mount points through struct mount,
 * and stops at the task's root (so a chrooted or containerised process
 * sees the paths it would see).  Components go NUL-terminated into the
 * includer's per-CPU scratch buffer; their offsets are recorded so a
 * caller can lay them out root first.
 *
 * The includer defines WALK_DEPTH (components walked, a power of two)
 * and includes this file once for struct walk; then defines the rest and
 * includes it again for the functions:
 *   WALK_SCRATCH   a per-CPU array map whose value has the components
 *   WALK_BUF(s)    the component buffer in a value s of WALK_SCRATCH
 *   WALK_MAX       bytes of it used for components (a power of two)
 *   WALK_NAME      longest component with its NUL (<= 256)
 *   WALK_TRUNC     the flag set in walk.flags when the walk was cut short
 *   WALK_STATE(s)  optional: the struct walk inside a value s of
 *                  WALK_SCRATCH.  Kept there, the walk's counters are
 *                  invisible to the verifier, which then checks the step
 *                  once instead of once per value of the counters (a must
 *                  where the caller has other loops); without it the
 *                  state is on the caller's stack.
 */
#ifndef PADDOCK_WALK_TYPES
#define PADDOCK_WALK_TYPES

struct walk {
	__u64	d, vm, m, root_d, root_m;
	__u32	off;		/* bytes of scratch used */
	__u16	flags;
	__u16	done;
	__u16	n;		/* components recorded */
	__u16	offs[WALK_DEPTH];
};

#elif defined(WALK_SCRATCH) && !defined(PADDOCK_WALK_FUNCS)
#define PADDOCK_WALK_FUNCS

static long
walk_step(__u32 i, void *arg)
{
	struct dentry *d, *parent, *mroot;
	struct vfsmount *vm;
	struct mount *m;
	const unsigned char *name;
	struct walk *w = arg;
	__u32 zero = 0;
	int last = 0;
	long n;
	typeof(WALK_SCRATCH.value) s;

	if ((s = bpf_map_lookup_elem(&WALK_SCRATCH, &zero)) == NULL)
		return 1;
#ifdef WALK_STATE
	w = WALK_STATE(s);
#endif
	d = (struct dentry *)w->d;
	vm = (struct vfsmount *)w->vm;
	m = (struct mount *)w->m;
	if (w->d == w->root_d && w->vm == w->root_m)
		goto done;
	parent = BPF_CORE_READ(d, d_parent);
	mroot = BPF_CORE_READ(vm, mnt_root);
	if (d == mroot || d == parent) {
		struct mount *mp = BPF_CORE_READ(m, mnt_parent);

		if (d == mroot && m == mp)
			goto done;	/* the global root (or detached) */
		if (d == mroot) {
			w->d = (__u64)BPF_CORE_READ(m, mnt_mountpoint);
			w->m = (__u64)mp;
			w->vm = (__u64)mp + bpf_core_field_offset(struct mount, mnt);
			return 0;
		}
		/*
		 * Its own parent but not its mount's root: a pseudo file in
		 * no tree (memfd:NAME, anon inodes).  Its name is all it has;
		 * the path is "/" and that name, as d_path() shows it.
		 */
		last = 1;
	}
	if (w->off > WALK_MAX - WALK_NAME || w->n >= WALK_DEPTH) {
		w->flags |= WALK_TRUNC;
		goto done;
	}
	name = BPF_CORE_READ(d, d_name.name);
	n = bpf_probe_read_kernel_str(WALK_BUF(s) + (w->off & (WALK_MAX - 1)),
	    WALK_NAME, name);
	if (n <= 0 || (last && n == 1))
		goto done;	/* unreadable, or a pseudo file's empty name */
	w->offs[w->n & (WALK_DEPTH - 1)] = (__u16)w->off;
	w->n++;
	w->off += (__u32)n;
	w->d = (__u64)parent;
	if (!last)
		return 0;
done:
	w->done = 1;
	return 1;
}

/*
 * Walk (vm, d) into the scratch buffer; w->off bytes, w->n components.
 * With WALK_STATE, w is that state (in the map), zeroed by the caller.
 */
static __always_inline void
walk_run(struct walk *w, struct vfsmount *vm, struct dentry *d)
{
	struct task_struct *task = (void *)bpf_get_current_task();
#ifdef WALK_STATE
	int dummy = 0;
#endif

	w->d = (__u64)d;
	w->vm = (__u64)vm;
	w->m = (__u64)container_of(vm, struct mount, mnt);
	w->root_d = (__u64)BPF_CORE_READ(task, fs, root.dentry);
	w->root_m = (__u64)BPF_CORE_READ(task, fs, root.mnt);
#ifdef WALK_STATE
	bpf_loop(WALK_DEPTH, walk_step, &dummy, 0);
#else
	bpf_loop(WALK_DEPTH, walk_step, w, 0);
#endif
	if (!w->done)
		w->flags |= WALK_TRUNC;
}

#endif
