/*
 * kfeat.c: kernel features by BTF.
 *
 * The kernel's vmlinux BTF is the one list of attach types it accepts;
 * asking it costs one parse at start-up and loads nothing, where a probe
 * program would need a cgroup to attach to.
 */
#include <string.h>

#include <bpf/btf.h>

#include "kfeat.h"

int
kfeat_attach_type(const char *name)
{
	const struct btf_type *t;
	const struct btf_enum *e;
	struct btf *btf;
	int id, i, found = 0;

	if ((btf = btf__load_vmlinux_btf()) == NULL)
		return 0;
	if ((id = btf__find_by_name_kind(btf, "bpf_attach_type",
	    BTF_KIND_ENUM)) > 0 && (t = btf__type_by_id(btf, id)) != NULL) {
		e = btf_enum(t);
		for (i = 0; i < btf_vlen(t) && !found; i++)
			found = strcmp(btf__name_by_offset(btf, e[i].name_off),
			    name) == 0;
	}
	btf__free(btf);
	return found;
}
