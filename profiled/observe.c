/*
 * observe: one collector event -> the baseline entries it is evidence for.
 *
 *   exec      the executable (exec), and the edge parent exe -> exe (edge)
 *             when the lineage names a parent; args are kept as the
 *             entry's sample (evidence), never as part of its identity
 *   open      the file with its mode, when the open succeeded (a refused
 *             open is not behaviour to allow)
 *   connect   egress (net): the DNS name when the collector knew it, else
 *   sendto    the address; with port and protocol
 *   listen    a listener (listen); a UDP bind to a fixed port counts too
 *   syscalls  one entry per syscall in the set
 *   active    no entry: active time for readiness
 *   loss      no entry: the profile becomes partial
 *   dns, accept, bind of TCP or port 0: no entry
 *
 * Paths and names pass through gen_path()/gen_name() here, so volatile
 * components never reach storage.  Workload-level facts (root, setuid,
 * started before the collector) go to obs.flags.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiled.h"
#include "sysnames.h"

void
obs_free(struct obs *o)
{
	pset_free(&o->entries);
	memset(o, 0, sizeof(*o));
}

static int
add(struct obs *o, uint8_t dim, const char *key, const char *parent,
    uint32_t mode, uint16_t port, uint8_t proto, const char *sample,
    const char *host)
{
	struct pentry e;
	char *hosts[1] = { (char *)host };

	memset(&e, 0, sizeof(e));
	e.dim = dim;
	e.key = (char *)key;
	e.parent = (char *)parent;
	e.mode = mode;
	e.port = port;
	e.proto = proto;
	e.first = e.last = o->ts_ms;
	e.count = 1;
	e.sample = (char *)sample;
	e.hosts = hosts;
	e.nhosts = 1;
	if (o->sink != NULL)
		return o->sink(o->sink_arg, &e);
	return pset_add(&o->entries, &e);
}

/* A path pattern for p, or -EINVAL for what is not an absolute path. */
static int
pattern(const char *p, unsigned flags, char *out, size_t len)
{
	int rc;

	if (p == NULL || p[0] != '/')
		return -EINVAL;
	rc = gen_path_ex(p, flags, out, len);
	return rc < 0 ? rc : 0;
}

/*
 * The same for a file item, which may also be an abstract unix socket,
 * "@name": a name that looks like a path is generalised as one ("@/tmp/
 * .X11-unix/X0"), any other as one component.
 */
static int
file_pattern(const char *p, char *out, size_t len)
{
	int rc;

	if (p == NULL || p[0] != '@')
		return pattern(p, 0, out, len);
	if (len < 2)
		return -ENAMETOOLONG;
	out[0] = '@';
	rc = p[1] == '/' ? gen_path_ex(p + 1, 0, out + 1, len - 1) :
	    gen_component(p + 1, strlen(p + 1), 0, out + 1, len - 1);
	return rc < 0 ? rc : 0;
}

static int
observe_exec(const struct wire_event *ev, struct obs *o)
{
	char exe[WIRE_PATH_MAX], parent[WIRE_PATH_MAX], args[512];
	int rc;

	if ((rc = pattern(ev->exe, GEN_STRICT_LAST, exe, sizeof(exe))) < 0)
		return rc;
	wire_argv_join(&ev->argv, args, sizeof(args));
	if ((rc = add(o, WD_EXEC, exe, NULL, 0, 0, 0,
	    args[0] ? args : ev->exe, ev->host)) < 0)
		return rc;
	if (ev->lineage.n >= 2 &&
	    pattern(ev->lineage.v[ev->lineage.n - 2].exe, GEN_STRICT_LAST,
	    parent, sizeof(parent)) == 0 &&
	    (rc = add(o, WD_EDGE, exe, parent, 0, 0, 0,
	    args[0] ? args : ev->exe, ev->host)) < 0)
		return rc;
	if (ev->seeded)
		o->flags |= OF_SEEDED;
	if (ev->uid == 0 || ev->euid == 0)
		o->flags |= OF_ROOT;
	if (ev->uid != ev->euid)
		o->flags |= OF_SETUID;
	return 0;
}

static int
observe_net(const struct wire_event *ev, struct obs *o, uint8_t dim)
{
	char name[256];
	const char *key = ev->addr;

	if (dim == WD_NET && ev->name != NULL && ev->name[0] != '\0') {
		if (gen_name(ev->name, name, sizeof(name)) < 0)
			return -EINVAL;
		key = name;
	}
	if (key[0] == '\0')
		return -EINVAL;
	return add(o, dim, key, NULL, 0, ev->port, ev->proto, ev->addr,
	    ev->host);
}

static int
observe_syscalls(const struct wire_event *ev, struct obs *o)
{
	char num[16];
	const char *name;
	int i, rc;

	for (i = 0; i < WIRE_SYSCALL_BYTES * 8; i++) {
		if (!(ev->syscalls[i / 8] & (1u << (i % 8))))
			continue;
		if ((name = sysname(i)) == NULL) {
			snprintf(num, sizeof(num), "sys_%d", i);
			name = num;
		}
		if ((rc = add(o, WD_SYSCALL, name, NULL, 0, 0, 0, NULL,
		    ev->host)) < 0)
			return rc;
	}
	return 0;
}

int
observe(const struct wire_event *ev, struct obs *o)
{
	return observe_to(ev, o, NULL, NULL);
}

int
observe_to(const struct wire_event *ev, struct obs *o,
    int (*sink)(void *arg, const struct pentry *e), void *sink_arg)
{
	char path[WIRE_PATH_MAX];
	int rc = 0;

	memset(o, 0, sizeof(*o));
	o->sink = sink;
	o->sink_arg = sink_arg;
	o->ts_ms = o->last_ms = ev->ts / 1000000;
	switch (ev->type) {
	case EV_EXEC:
		rc = observe_exec(ev, o);
		break;
	case EV_OPEN:
		if (ev->result != 0)
			break;
		if ((rc = file_pattern(ev->path, path, sizeof(path))) < 0)
			break;
		rc = add(o, WD_FILE, path, NULL, ev->mode & (WM_READ |
		    WM_WRITE | WM_EXEC), 0, 0, ev->path, ev->host);
		break;
	case EV_CONNECT:
	case EV_SENDTO:
		rc = observe_net(ev, o, WD_NET);
		break;
	case EV_LISTEN:
		rc = observe_net(ev, o, WD_LISTEN);
		break;
	case EV_BIND:
		if (ev->proto == WP_UDP && ev->port != 0)
			rc = observe_net(ev, o, WD_LISTEN);
		break;
	case EV_SYSCALLS:
		rc = observe_syscalls(ev, o);
		break;
	case EV_ACTIVE:
		o->active_ms = ev->span / 1000000;
		break;
	case EV_LOSS:
		o->lost = ev->lost;
		o->gaps = ev->lost == 0;
		o->loss_from_ms = (ev->since != 0 && ev->since < ev->ts ?
		    ev->since : ev->ts) / 1000000;
		if (o->loss_from_ms == 0)
			o->loss_from_ms = 1;
		break;
	default:
		break;
	}
	if (rc < 0)
		obs_free(o);
	return rc;
}

int
obs_merge(struct obs *into, struct obs *o)
{
	struct pset *d = &into->entries;
	size_t i;

	if (d->n + o->entries.n > d->cap) {
		size_t cap = d->cap ? d->cap : 16;
		struct pentry *nv;

		while (cap < d->n + o->entries.n)
			cap *= 2;
		if ((nv = realloc(d->v, cap * sizeof(*nv))) == NULL) {
			obs_free(o);
			return -ENOMEM;
		}
		d->v = nv;
		d->cap = cap;
	}
	for (i = 0; i < o->entries.n; i++)	/* moved, not copied */
		d->v[d->n++] = o->entries.v[i];
	o->entries.n = 0;
	if (into->ts_ms == 0 || (o->ts_ms != 0 && o->ts_ms < into->ts_ms))
		into->ts_ms = o->ts_ms;
	if (o->last_ms > into->last_ms)
		into->last_ms = o->last_ms;
	into->flags |= o->flags;
	into->active_ms += o->active_ms;
	into->lost += o->lost;
	into->gaps += o->gaps;
	if (o->loss_from_ms != 0 && (into->loss_from_ms == 0 ||
	    o->loss_from_ms < into->loss_from_ms))
		into->loss_from_ms = o->loss_from_ms;
	obs_free(o);
	return 0;
}
