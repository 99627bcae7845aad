/*
 * tab: a chained hash table keyed by u64, for the collector's process
 * table, executable cache, workload cache and DNS names.  The bucket count
 * doubles when the load passes 1, so lookups stay O(1) however many
 * processes a host runs.
 */
#include <errno.h>
#include <stdlib.h>

#include "collectd.h"

uint64_t
tab_hash(const void *p, size_t n, uint64_t h)
{
	const unsigned char *s = p;
	size_t i;

	if (h == 0)
		h = 14695981039346656037ull;
	for (i = 0; i < n; i++)
		h = (h ^ s[i]) * 1099511628211ull;
	return h;
}

static size_t
slot(const struct tab *t, uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	return (size_t)(key & (t->nb - 1));
}

int
tab_init(struct tab *t, size_t nb)
{
	size_t n = 16;

	while (n < nb)
		n <<= 1;
	t->n = 0;
	t->nb = n;
	t->b = calloc(n, sizeof(*t->b));
	return t->b == NULL ? -ENOMEM : 0;
}

void *
tab_get(const struct tab *t, uint64_t key)
{
	struct tab_ent *e;

	for (e = t->b[slot(t, key)]; e != NULL; e = e->next)
		if (e->key == key)
			return e->val;
	return NULL;
}

static void
grow(struct tab *t)
{
	struct tab old = *t;
	size_t i;

	if ((t->b = calloc(old.nb * 2, sizeof(*t->b))) == NULL) {
		*t = old;	/* keep going, just slower */
		return;
	}
	t->nb = old.nb * 2;
	for (i = 0; i < old.nb; i++) {
		struct tab_ent *e, *next;

		for (e = old.b[i]; e != NULL; e = next) {
			size_t s = slot(t, e->key);

			next = e->next;
			e->next = t->b[s];
			t->b[s] = e;
		}
	}
	free(old.b);
}

void *
tab_put(struct tab *t, uint64_t key, void *val, int *err)
{
	struct tab_ent *e;
	size_t s = slot(t, key);

	for (e = t->b[s]; e != NULL; e = e->next)
		if (e->key == key) {
			void *old = e->val;

			e->val = val;
			return old;
		}
	if ((e = malloc(sizeof(*e))) == NULL) {
		if (err != NULL)
			*err = -ENOMEM;
		return NULL;
	}
	e->key = key;
	e->val = val;
	e->next = t->b[s];
	t->b[s] = e;
	if (++t->n > t->nb)
		grow(t);
	return NULL;
}

void *
tab_del(struct tab *t, uint64_t key)
{
	struct tab_ent **pe, *e;

	for (pe = &t->b[slot(t, key)]; (e = *pe) != NULL; pe = &e->next)
		if (e->key == key) {
			void *v = e->val;

			*pe = e->next;
			free(e);
			t->n--;
			return v;
		}
	return NULL;
}

void
tab_sweep(struct tab *t, int (*fn)(void *val, void *arg), void *arg)
{
	size_t i;

	for (i = 0; i < t->nb; i++) {
		struct tab_ent **pe = &t->b[i], *e;

		while ((e = *pe) != NULL) {
			if (fn(e->val, arg)) {
				*pe = e->next;
				free(e);
				t->n--;
			} else {
				pe = &e->next;
			}
		}
	}
}

void
tab_free(struct tab *t, void (*fn)(void *val))
{
	size_t i;

	if (t->b == NULL)
		return;
	for (i = 0; i < t->nb; i++) {
		struct tab_ent *e, *next;

		for (e = t->b[i]; e != NULL; e = next) {
			next = e->next;
			if (fn != NULL)
				fn(e->val);
			free(e);
		}
	}
	free(t->b);
	t->b = NULL;
	t->n = t->nb = 0;
}
