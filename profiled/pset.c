/*
 * pset: a small set of profile entries.
 *
 * Profiles are reviewed by people, so they stay small (hundreds of
 * entries, max_entries at worst); a sorted array with linear merging is
 * plenty and keeps the canonical order (dimension, key, parent, port,
 * proto) that the digest and every printout rely on.  Merging two entries
 * of one identity ORs the modes, keeps the earliest first and latest last
 * seen, adds the counts and unites the hosts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha.h"
#include "profiled.h"

void
pentry_free(struct pentry *e)
{
	uint32_t i;

	free(e->key);
	free(e->parent);
	free(e->sample);
	for (i = 0; i < e->nhosts; i++)
		free(e->hosts[i]);
	free(e->hosts);
	memset(e, 0, sizeof(*e));
}

void
pset_free(struct pset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		pentry_free(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int
sdup(char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return 0;
	return (*dst = strdup(src)) == NULL ? -ENOMEM : 0;
}

static int
host_add(struct pentry *e, const char *h)
{
	char **nv;
	uint32_t i;

	for (i = 0; i < e->nhosts; i++)
		if (strcmp(e->hosts[i], h) == 0)
			return 0;
	if ((nv = realloc(e->hosts, (e->nhosts + 1) * sizeof(*nv))) == NULL)
		return -ENOMEM;
	e->hosts = nv;
	if ((e->hosts[e->nhosts] = strdup(h)) == NULL)
		return -ENOMEM;
	e->nhosts++;
	return 0;
}

int
pentry_copy(struct pentry *dst, const struct pentry *src)
{
	uint32_t i;

	memset(dst, 0, sizeof(*dst));
	dst->dim = src->dim;
	dst->mode = src->mode;
	dst->port = src->port;
	dst->proto = src->proto;
	dst->first = src->first;
	dst->last = src->last;
	dst->count = src->count;
	if (sdup(&dst->key, src->key) < 0 || sdup(&dst->parent, src->parent) < 0 ||
	    sdup(&dst->sample, src->sample) < 0)
		goto fail;
	for (i = 0; i < src->nhosts; i++)
		if (host_add(dst, src->hosts[i]) < 0)
			goto fail;
	return 0;
fail:
	pentry_free(dst);
	return -ENOMEM;
}

static int
strcmp0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int
ident_cmp(const struct pentry *a, const struct pentry *b)
{
	int c;

	if (a->dim != b->dim)
		return a->dim < b->dim ? -1 : 1;
	if ((c = strcmp0(a->key, b->key)) != 0)
		return c;
	if ((c = strcmp0(a->parent, b->parent)) != 0)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	return 0;
}

static int
qcmp(const void *a, const void *b)
{
	return ident_cmp(a, b);
}

void
pset_sort(struct pset *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), qcmp);
}

int
pentry_id(const struct pentry *e, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%u\t%s\t%s\t%u\t%u", e->dim,
	    e->key ? e->key : "", e->parent ? e->parent : "", e->port,
	    e->proto);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int
pset_add(struct pset *s, const struct pentry *e)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct pentry *nv = realloc(s->v, cap * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	if (pentry_copy(&s->v[s->n], e) < 0)
		return -ENOMEM;
	s->n++;
	return 0;
}

/* Fold e into d (same identity). */
int
pentry_absorb(struct pentry *d, const struct pentry *e)
{
	uint32_t h;

	d->mode |= e->mode;
	if (e->first != 0 && (d->first == 0 || e->first < d->first)) {
		d->first = e->first;
		if (e->sample != NULL) {	/* the oldest example wins */
			free(d->sample);
			if (sdup(&d->sample, e->sample) < 0)
				return -ENOMEM;
		}
	}
	if (e->last > d->last)
		d->last = e->last;
	d->count += e->count;
	if (d->sample == NULL && sdup(&d->sample, e->sample) < 0)
		return -ENOMEM;
	for (h = 0; h < e->nhosts; h++)
		if (host_add(d, e->hosts[h]) < 0)
			return -ENOMEM;
	return 0;
}

int
pset_normalize(struct pset *s)
{
	size_t i, o = 0;

	pset_sort(s);
	for (i = 0; i < s->n; i++) {
		if (o > 0 && ident_cmp(&s->v[o - 1], &s->v[i]) == 0) {
			if (pentry_absorb(&s->v[o - 1], &s->v[i]) < 0)
				return -ENOMEM;
			pentry_free(&s->v[i]);
			continue;
		}
		if (o != i)
			s->v[o] = s->v[i];
		o++;
	}
	s->n = o;
	return 0;
}

int
pset_digest(const struct pset *s, char out[WIRE_HASH_MAX])
{
	char line[WIRE_PATH_MAX * 2 + 64];
	struct sha256 h;
	size_t k;
	int rc;

	if ((rc = sha256_begin(&h)) < 0)
		return rc;
	for (k = 0; k < s->n; k++) {
		int n = snprintf(line, sizeof(line), "%u\t%s\t%s\t%u\t%u\t%u\n",
		    s->v[k].dim, s->v[k].key ? s->v[k].key : "",
		    s->v[k].parent ? s->v[k].parent : "", s->v[k].mode,
		    s->v[k].port, s->v[k].proto);

		if (n < 0 || (size_t)n >= sizeof(line)) {
			sha256_end(&h, out);
			return -ENAMETOOLONG;
		}
		sha256_add(&h, line, (size_t)n);
	}
	return sha256_end(&h, out);
}

size_t
pset_added(const struct pset *a, const struct pset *b, struct pentry **out,
    size_t max)
{
	size_t j, n = 0;

	for (j = 0; j < b->n; j++) {
		const struct pentry *f = bsearch(&b->v[j], a->v, a->n,
		    sizeof(*a->v), qcmp);

		if (f == NULL || (b->v[j].mode & ~f->mode) != 0) {
			if (out != NULL && n < max)
				out[n] = &b->v[j];
			n++;
		}
	}
	return n;
}
