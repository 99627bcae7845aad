/*
 * fold: one workload's evidence in memory, and the chunks it is stored as.
 *
 * profiled folds every observed entry into a table here instead of sending
 * it to Redis: one hash lookup per event, and Redis sees only what changed,
 * once per flush.  Each entry of the table (struct fent) has three parts:
 *
 *   e     the identity, and the state Redis holds (in_raw): modes, first
 *         and last seen, count, hosts, the sample
 *   pd    what was observed since and not sent yet (a delta)
 *   inf   the delta sent in the flush whose reply is due
 *
 * A flush takes the pending deltas (ftab_take), encodes them as one chunk
 * (ftab_chunk) that the apply script stores as one field of P prof:{W}:raw,
 * and folds them into e once Redis said it applied them (ftab_commit).
 * Merging is commutative (OR, min, max, sum, union), so P prof:{W}:raw is
 * the fold of its chunks in any order, whichever instance wrote them;
 * ftab_load_chunk rebuilds e from them, and ftab_snapshot writes e back as
 * one chunk when they are compacted.
 *
 * Novelty -- an identity not in Redis, or a mode it has not got -- is what
 * a frozen dimension (alert or enforce) must not learn: ftab_observe counts
 * it as frozen instead, and ftab_drop_novelty takes it back out of a flush
 * when Redis says a dimension froze after the flush was built.
 *
 * A chunk is a msgpack array of entries, each an array of eleven:
 * [dim, key, parent|nil, mode, port, proto, first_ms, last_ms, count,
 * [host, ...], sample|nil].  Pure logic: no I/O.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "profiled.h"

#define FOLD_ITEM_FIELDS	11

/* FNV-1a over the identity (dim, key, parent, port, proto). */
static uint64_t
ident_hash(const struct pentry *e)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const unsigned char *s;

#define MIX(c) do { h ^= (unsigned char)(c); h *= 0x100000001b3ull; } while (0)
	MIX(e->dim);
	for (s = (const unsigned char *)e->key; s && *s; s++)
		MIX(*s);
	MIX(0);
	for (s = (const unsigned char *)e->parent; s && *s; s++)
		MIX(*s);
	MIX(0);
	MIX(e->port & 0xff);
	MIX(e->port >> 8);
	MIX(e->proto);
#undef MIX
	return h;
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b || (a == NULL ? b[0] == '\0' : a[0] == '\0');
	return strcmp(a, b) == 0;
}

static int
ident_eq(const struct pentry *a, const struct pentry *b)
{
	return a->dim == b->dim && a->port == b->port &&
	    a->proto == b->proto && str_eq(a->key, b->key) &&
	    str_eq(a->parent, b->parent);
}

static void
fent_free(struct fent *f)
{
	pentry_free(&f->e);
	pentry_free(&f->pd);
	pentry_free(&f->inf);
	free(f);
}

void
ftab_free(struct ftab *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		fent_free(t->v[i]);
	free(t->v);
	free(t->slot);
	free(t->dirty);
	free(t->flight);
	memset(t, 0, sizeof(*t));
}

static int
grow_slots(struct ftab *t)
{
	size_t nslot = t->nslot ? t->nslot * 2 : 1024, i, j;
	uint32_t *ns;

	if ((ns = calloc(nslot, sizeof(*ns))) == NULL)
		return -ENOMEM;
	for (i = 0; i < t->n; i++) {
		j = t->v[i]->hash & (nslot - 1);
		while (ns[j] != 0)
			j = (j + 1) & (nslot - 1);
		ns[j] = (uint32_t)i + 1;
	}
	free(t->slot);
	t->slot = ns;
	t->nslot = nslot;
	return 0;
}

static struct fent *
lookup(const struct ftab *t, const struct pentry *id, uint64_t h)
{
	size_t j;

	if (t->nslot == 0)
		return NULL;
	for (j = h & (t->nslot - 1); t->slot[j] != 0;
	    j = (j + 1) & (t->nslot - 1)) {
		struct fent *f = t->v[t->slot[j] - 1];

		if (f->hash == h && ident_eq(&f->e, id))
			return f;
	}
	return NULL;
}

/* The entry of id's identity, made (empty, not in Redis) when missing. */
static struct fent *
get(struct ftab *t, const struct pentry *id)
{
	uint64_t h = ident_hash(id);
	struct fent *f, **nv;
	size_t j;

	if ((f = lookup(t, id, h)) != NULL)
		return f;
	if ((t->n + 1) * 2 > t->nslot && grow_slots(t) < 0)
		return NULL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;

		if ((nv = realloc(t->v, cap * sizeof(*nv))) == NULL)
			return NULL;
		t->v = nv;
		t->cap = cap;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->hash = h;
	f->e.dim = id->dim;
	f->e.port = id->port;
	f->e.proto = id->proto;
	if ((f->e.key = strdup(id->key ? id->key : "")) == NULL ||
	    (id->parent != NULL && id->parent[0] != '\0' &&
	    (f->e.parent = strdup(id->parent)) == NULL)) {
		fent_free(f);
		return NULL;
	}
	for (j = h & (t->nslot - 1); t->slot[j] != 0;
	    j = (j + 1) & (t->nslot - 1))
		;
	t->slot[j] = (uint32_t)t->n + 1;
	t->v[t->n++] = f;
	return f;
}

static int
push(struct fent ***v, size_t *n, size_t *cap, struct fent *f)
{
	struct fent **nv;

	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;

		if ((nv = realloc(*v, c * sizeof(*nv))) == NULL)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = f;
	return 0;
}

static int
has_host(const struct pentry *e, const char *h)
{
	uint32_t i;

	for (i = 0; i < e->nhosts; i++)
		if (strcmp(e->hosts[i], h) == 0)
			return 1;
	return 0;
}

/* Does delta d bring f something Redis has not got (identity or mode)? */
static int
novel(const struct fent *f, const struct pentry *d)
{
	return !f->in_raw || (d->mode & ~f->e.mode) != 0;
}

/* Would d make f a new identity (not in Redis, not pending, not sent)? */
static int
new_identity(const struct fent *f)
{
	return !f->in_raw && !f->pd_set && !f->inf_set;
}

int
ftab_observe(struct ftab *t, const struct pentry *o, uint32_t frozen_dims,
    uint64_t max_live, uint64_t *frozen, int *overflow)
{
	struct fent *f;
	struct pentry d;
	int nov;

	/* Refused novelty takes no memory: an attacker's random names in
	 * an enforced workload must not grow the table. */
	if ((f = lookup(t, o, ident_hash(o))) == NULL ||
	    (!f->in_raw && !f->pd_set && !f->inf_set)) {
		if (frozen_dims & (1u << o->dim)) {
			*frozen += o->count ? o->count : 1;
			return 0;
		}
		if (max_live > 0 && t->live >= max_live) {
			*overflow = 1;
			return 0;
		}
	}
	if (f == NULL && (f = get(t, o)) == NULL)
		return -ENOMEM;
	d = *o;
	d.key = d.parent = NULL;
	if (frozen_dims & (1u << o->dim)) {
		if (!f->in_raw) {
			*frozen += o->count ? o->count : 1;
			return 0;
		}
		if ((o->mode & ~f->e.mode & ~f->pd.mode & ~f->inf.mode) != 0)
			*frozen += 1;
		d.mode &= f->e.mode;	/* counts and times still count */
	}
	/* What Redis holds already need not travel again. */
	if (f->in_raw && d.sample != NULL && f->e.sample != NULL &&
	    f->e.first <= d.first)
		d.sample = NULL;
	if (f->in_raw && d.nhosts == 1 && has_host(&f->e, d.hosts[0]))
		d.nhosts = 0;
	if (new_identity(f))
		t->live++;
	if (d.count == 0)
		d.count = 1;
	if (!f->pd_set) {
		if (push(&t->dirty, &t->ndirty, &t->dcap, f) < 0)
			return -ENOMEM;
		f->pd_set = 1;
	}
	nov = novel(f, &d) || d.nhosts > 0;
	return pentry_absorb(&f->pd, &d) < 0 ? -ENOMEM : nov ? 2 : 1;
}

size_t
ftab_take(struct ftab *t, size_t max, uint32_t *newdims)
{
	size_t i, n = 0;

	*newdims = 0;
	if (t->nflight > 0)
		return 0;	/* one flush at a time */
	for (i = t->ndirty; i > 0 && n < max; i--, n++) {
		struct fent *f = t->dirty[i - 1];

		if (push(&t->flight, &t->nflight, &t->fcap, f) < 0)
			break;
		f->inf = f->pd;
		memset(&f->pd, 0, sizeof(f->pd));
		f->pd_set = 0;
		f->inf_set = 1;
		if (novel(f, &f->inf))
			*newdims |= 1u << f->e.dim;
		t->ndirty--;
	}
	return t->nflight;
}

size_t
ftab_inflight(const struct ftab *t, uint32_t *newdims)
{
	size_t i;

	*newdims = 0;
	for (i = 0; i < t->nflight; i++)
		if (novel(t->flight[i], &t->flight[i]->inf))
			*newdims |= 1u << t->flight[i]->e.dim;
	return t->nflight;
}

/* Give back an in-flight delta's novelty when its dimension froze. */
uint64_t
ftab_drop_novelty(struct ftab *t, uint32_t frozen_dims)
{
	uint64_t n = 0;
	size_t i, o = 0;

	for (i = 0; i < t->nflight; i++) {
		struct fent *f = t->flight[i];

		if ((frozen_dims & (1u << f->e.dim)) && novel(f, &f->inf)) {
			if (!f->in_raw) {
				n += f->inf.count;
				pentry_free(&f->inf);
				f->inf_set = 0;
				if (!f->pd_set && t->live > 0)
					t->live--;
				continue;
			}
			n++;
			f->inf.mode &= f->e.mode;
		}
		t->flight[o++] = f;
	}
	t->nflight = o;
	return n;
}

int
ftab_commit(struct ftab *t)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < t->nflight; i++) {
		struct fent *f = t->flight[i];

		if (rc == 0 && pentry_absorb(&f->e, &f->inf) < 0)
			rc = -ENOMEM;
		f->in_raw = 1;
		pentry_free(&f->inf);
		f->inf_set = 0;
	}
	t->nflight = 0;
	return rc;
}

void
ftab_discard(struct ftab *t)
{
	size_t i;

	t->live = 0;
	for (i = 0; i < t->n; i++) {
		struct fent *f = t->v[i];

		pentry_free(&f->pd);
		pentry_free(&f->inf);
		f->pd_set = f->inf_set = 0;
		t->live += f->in_raw;
	}
	t->ndirty = t->nflight = 0;
}

void
ftab_reset(struct ftab *t)
{
	size_t i;

	t->live = 0;
	for (i = 0; i < t->n; i++) {
		struct fent *f = t->v[i];
		struct pentry id = f->e;

		f->e.key = f->e.parent = NULL;
		pentry_free(&f->e);
		f->e.dim = id.dim;
		f->e.port = id.port;
		f->e.proto = id.proto;
		f->e.key = id.key;
		f->e.parent = id.parent;
		f->in_raw = 0;
		if (f->pd_set || f->inf_set)
			t->live++;
	}
}

/* ---------------------------------------------------------------- chunks */

static void
pack_str(msgpack_packer *pk, const char *s)
{
	size_t n;

	if (s == NULL) {
		msgpack_pack_nil(pk);
		return;
	}
	n = strlen(s);
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

static void
pack_entry(msgpack_packer *pk, const struct pentry *id, const struct pentry *d)
{
	uint32_t h;

	msgpack_pack_array(pk, FOLD_ITEM_FIELDS);
	msgpack_pack_uint8(pk, id->dim);
	pack_str(pk, id->key ? id->key : "");
	pack_str(pk, id->parent);
	msgpack_pack_uint32(pk, d->mode);
	msgpack_pack_uint16(pk, id->port);
	msgpack_pack_uint8(pk, id->proto);
	msgpack_pack_uint64(pk, d->first);
	msgpack_pack_uint64(pk, d->last);
	msgpack_pack_uint64(pk, d->count);
	msgpack_pack_array(pk, d->nhosts);
	for (h = 0; h < d->nhosts; h++)
		pack_str(pk, d->hosts[h]);
	pack_str(pk, d->sample);
}

static int
finish(msgpack_sbuffer *sb, char **buf, size_t *len)
{
	if (sb->data == NULL && sb->size == 0) {
		msgpack_sbuffer_destroy(sb);
		return -ENOMEM;
	}
	*buf = sb->data;
	*len = sb->size;
	return 0;
}

int
ftab_chunk(const struct ftab *t, char **buf, size_t *len)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t i;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, (uint32_t)t->nflight);
	for (i = 0; i < t->nflight; i++)
		pack_entry(&pk, &t->flight[i]->e, &t->flight[i]->inf);
	return finish(&sb, buf, len);
}

int
ftab_snapshot(const struct ftab *t, char **buf, size_t *len)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		n += t->v[i]->in_raw;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, (uint32_t)n);
	for (i = 0; i < t->n; i++)
		if (t->v[i]->in_raw)
			pack_entry(&pk, &t->v[i]->e, &t->v[i]->e);
	return finish(&sb, buf, len);
}

static int
obj_u64(const msgpack_object *o, uint64_t max, uint64_t *out)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
		return -EPROTO;
	*out = o->via.u64;
	return 0;
}

/* A string object as a NUL-terminated copy; nil as NULL. */
static int
obj_str(const msgpack_object *o, char **out)
{
	*out = NULL;
	if (o->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (o->type != MSGPACK_OBJECT_STR ||
	    o->via.str.size >= WIRE_PATH_MAX * 2 ||
	    memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL)
		return -EPROTO;
	if ((*out = strndup(o->via.str.ptr, o->via.str.size)) == NULL)
		return -ENOMEM;
	return 0;
}

/* One chunk item into e (owned strings). */
static int
item_parse(const msgpack_object *o, struct pentry *e)
{
	const msgpack_object *f;
	uint64_t v[6];
	uint32_t i;
	int rc = -EPROTO;

	memset(e, 0, sizeof(*e));
	if (o->type != MSGPACK_OBJECT_ARRAY ||
	    o->via.array.size != FOLD_ITEM_FIELDS)
		return -EPROTO;
	f = o->via.array.ptr;
	if (obj_u64(&f[0], WD__MAX - 1, &v[0]) < 0 ||
	    obj_u64(&f[3], UINT32_MAX, &v[1]) < 0 ||
	    obj_u64(&f[4], UINT16_MAX, &v[2]) < 0 ||
	    obj_u64(&f[5], UINT8_MAX, &v[3]) < 0 ||
	    obj_u64(&f[6], UINT64_MAX, &e->first) < 0 ||
	    obj_u64(&f[7], UINT64_MAX, &e->last) < 0 ||
	    obj_u64(&f[8], UINT64_MAX, &e->count) < 0 ||
	    f[9].type != MSGPACK_OBJECT_ARRAY)
		return -EPROTO;
	e->dim = (uint8_t)v[0];
	e->mode = (uint32_t)v[1];
	e->port = (uint16_t)v[2];
	e->proto = (uint8_t)v[3];
	if ((rc = obj_str(&f[1], &e->key)) < 0 || e->key == NULL ||
	    (rc = obj_str(&f[2], &e->parent)) < 0 ||
	    (rc = obj_str(&f[10], &e->sample)) < 0)
		goto fail;
	if (f[9].via.array.size > 0 &&
	    (e->hosts = calloc(f[9].via.array.size, sizeof(char *))) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < f[9].via.array.size; i++) {
		if ((rc = obj_str(&f[9].via.array.ptr[i],
		    &e->hosts[e->nhosts])) < 0 || e->hosts[e->nhosts] == NULL)
			goto fail;
		e->nhosts++;
	}
	return 0;
fail:
	pentry_free(e);
	return rc < 0 ? rc : -EPROTO;
}

int
ftab_load_chunk(struct ftab *t, const char *buf, size_t len)
{
	msgpack_unpacked u;
	struct pentry *v = NULL;
	size_t off = 0, i, n = 0;
	int rc = -EPROTO;

	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, buf, len, &off) != MSGPACK_UNPACK_SUCCESS ||
	    off != len || u.data.type != MSGPACK_OBJECT_ARRAY)
		goto out;
	/* Every item parsed before any is folded: a bad chunk is refused
	 * whole, never half applied. */
	if (u.data.via.array.size > 0 &&
	    (v = calloc(u.data.via.array.size, sizeof(*v))) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (n = 0; n < u.data.via.array.size; n++)
		if ((rc = item_parse(&u.data.via.array.ptr[n], &v[n])) < 0)
			goto out;
	for (i = 0; i < n; i++) {
		struct fent *f;

		if ((f = get(t, &v[i])) == NULL ||
		    pentry_absorb(&f->e, &v[i]) < 0) {
			rc = -ENOMEM;
			goto out;
		}
		if (!f->in_raw && !f->pd_set && !f->inf_set)
			t->live++;
		f->in_raw = 1;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		pentry_free(&v[i]);
	free(v);
	msgpack_unpacked_destroy(&u);
	return rc;
}

int
ftab_pset(const struct ftab *t, struct pset *out)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i]->in_raw && pset_add(out, &t->v[i]->e) < 0)
			return -ENOMEM;
	return 0;
}
