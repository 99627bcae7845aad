/*
 * ytree: see ytree.h.  The builder is a recursive descent over libyaml
 * events; recursion depth is bounded by YTREE_MAX_DEPTH, so hostile input
 * cannot exhaust the stack.  All errors carry the mark of the event that
 * caused them.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "ytree.h"

struct ybuild {
	yaml_parser_t	 p;
	const char	*file;
	char		*err;
	size_t		 errlen;
};

static int
ybuild_fail(struct ybuild *b, const yaml_mark_t *m, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(b->err, b->errlen, "%s:%zu:%zu: %s", b->file, m->line + 1,
	    m->column + 1, msg);
	return -EINVAL;
}

static int
ybuild_fail_node(struct ybuild *b, const struct ynode *n, const char *what,
    const char *key)
{
	snprintf(b->err, b->errlen, "%s:%d:%d: %s%s%s%s", b->file, n->line,
	    n->col, what, key ? " \"" : "", key ? key : "", key ? "\"" : "");
	return -EINVAL;
}

static int
ybuild_next(struct ybuild *b, yaml_event_t *ev)
{
	if (yaml_parser_parse(&b->p, ev))
		return 0;
	if (b->p.context != NULL)
		return ybuild_fail(b, &b->p.problem_mark, "%s %s",
		    b->p.problem ? b->p.problem : "syntax error",
		    b->p.context);
	return ybuild_fail(b, &b->p.problem_mark, "%s",
	    b->p.problem ? b->p.problem : "syntax error");
}

static struct ynode *
ynode_new(struct ybuild *b, enum ynode_type t, const yaml_mark_t *m)
{
	struct ynode *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->type = t;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	n->file = b->file;
	return n;
}

/* Make room for `need` kid pointers. */
static int
ynode_reserve(struct ynode *parent, size_t need, size_t *cap)
{
	struct ynode **k;
	size_t ncap;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	if ((k = realloc(parent->kids, ncap * sizeof(*k))) == NULL)
		return -ENOMEM;
	parent->kids = k;
	*cap = ncap;
	return 0;
}

static void
ytree_free_node(struct ynode *n)
{
	size_t i, cnt;

	if (n == NULL)
		return;
	cnt = n->type == YN_MAP ? 2 * n->n : n->n;
	for (i = 0; i < cnt; i++)
		ytree_free_node(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

static int ybuild_node(struct ybuild *, yaml_event_t *, int, struct ynode **);

static int
ybuild_map(struct ybuild *b, struct ynode *map, int depth)
{
	yaml_event_t ev;
	size_t cap = 0;
	int rc;

	for (;;) {
		struct ynode *key = NULL, *val = NULL;

		if ((rc = ybuild_next(b, &ev)) < 0)
			return rc;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		rc = ybuild_node(b, &ev, depth + 1, &key);
		if (rc < 0)
			return rc;
		if (key->type != YN_SCALAR) {
			rc = ybuild_fail_node(b, key, "expected a scalar key",
			    NULL);
			ytree_free_node(key);
			return rc;
		}
		if (ymap_get(map, key->str) != NULL) {
			rc = ybuild_fail_node(b, key, "duplicate key", key->str);
			ytree_free_node(key);
			return rc;
		}
		if ((rc = ybuild_next(b, &ev)) < 0) {
			ytree_free_node(key);
			return rc;
		}
		if ((rc = ybuild_node(b, &ev, depth + 1, &val)) < 0) {
			ytree_free_node(key);
			return rc;
		}
		if ((rc = ynode_reserve(map, 2 * map->n + 2, &cap)) < 0) {
			ytree_free_node(key);
			ytree_free_node(val);
			return rc;
		}
		map->kids[2 * map->n] = key;
		map->kids[2 * map->n + 1] = val;
		map->n++;
	}
}

static int
ybuild_seq(struct ybuild *b, struct ynode *seq, int depth)
{
	yaml_event_t ev;
	size_t cap = 0;
	int rc;

	for (;;) {
		struct ynode *item = NULL;

		if ((rc = ybuild_next(b, &ev)) < 0)
			return rc;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if ((rc = ybuild_node(b, &ev, depth + 1, &item)) < 0)
			return rc;
		if ((rc = ynode_reserve(seq, seq->n + 1, &cap)) < 0) {
			ytree_free_node(item);
			return rc;
		}
		seq->kids[seq->n++] = item;
	}
}

/* Consumes ev (already parsed) and whatever belongs to it. */
static int
ybuild_node(struct ybuild *b, yaml_event_t *ev, int depth, struct ynode **out)
{
	struct ynode *n = NULL;
	int rc = 0;

	if (depth > YTREE_MAX_DEPTH) {
		rc = ybuild_fail(b, &ev->start_mark, "nesting deeper than %d",
		    YTREE_MAX_DEPTH);
		goto out;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor != NULL) {
			rc = ybuild_fail(b, &ev->start_mark,
			    "anchors are not supported");
			goto out;
		}
		if ((n = ynode_new(b, YN_SCALAR, &ev->start_mark)) == NULL)
			goto nomem;
		n->len = ev->data.scalar.length;
		if ((n->str = malloc(n->len + 1)) == NULL)
			goto nomem;
		memcpy(n->str, ev->data.scalar.value, n->len);
		n->str[n->len] = '\0';
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		break;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT: {
		int ismap = ev->type == YAML_MAPPING_START_EVENT;
		yaml_char_t *anchor = ismap ? ev->data.mapping_start.anchor :
		    ev->data.sequence_start.anchor;

		if (anchor != NULL) {
			rc = ybuild_fail(b, &ev->start_mark,
			    "anchors are not supported");
			goto out;
		}
		n = ynode_new(b, ismap ? YN_MAP : YN_SEQ, &ev->start_mark);
		if (n == NULL)
			goto nomem;
		yaml_event_delete(ev);
		rc = ismap ? ybuild_map(b, n, depth) : ybuild_seq(b, n, depth);
		if (rc < 0) {
			ytree_free_node(n);
			return rc;
		}
		*out = n;
		return 0;
	}
	case YAML_ALIAS_EVENT:
		rc = ybuild_fail(b, &ev->start_mark, "aliases are not supported");
		goto out;
	default:
		rc = ybuild_fail(b, &ev->start_mark, "unexpected YAML event");
		goto out;
	}
	*out = n;
	n = NULL;
out:
	yaml_event_delete(ev);
	ytree_free_node(n);
	return rc;
nomem:
	rc = -ENOMEM;
	snprintf(b->err, b->errlen, "%s: out of memory", b->file);
	goto out;
}

struct ynode *
ytree_parse_buf(const char *name, const char *buf, size_t len, char *err,
    size_t errlen)
{
	struct ybuild b = { .file = NULL, .err = err, .errlen = errlen };
	struct ynode *root = NULL;
	yaml_event_t ev;
	char *file;
	int rc, docs = 0;

	if ((file = strdup(name)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	b.file = file;
	if (!yaml_parser_initialize(&b.p)) {
		snprintf(err, errlen, "%s: cannot initialise YAML parser", name);
		free(file);
		return NULL;
	}
	yaml_parser_set_input_string(&b.p, (const unsigned char *)buf, len);
	for (;;) {
		if ((rc = ybuild_next(&b, &ev)) < 0)
			goto fail;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_STREAM_START_EVENT ||
		    ev.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			if (++docs > 1) {
				ybuild_fail(&b, &ev.start_mark,
				    "only one YAML document is allowed");
				yaml_event_delete(&ev);
				goto fail;
			}
			yaml_event_delete(&ev);
			continue;
		}
		if (root != NULL) {
			ybuild_fail(&b, &ev.start_mark, "unexpected content");
			yaml_event_delete(&ev);
			goto fail;
		}
		if ((rc = ybuild_node(&b, &ev, 0, &root)) < 0)
			goto fail;
	}
	yaml_parser_delete(&b.p);
	if (root == NULL) {
		yaml_mark_t m = { 0 };

		if ((root = ynode_new(&b, YN_MAP, &m)) == NULL) {
			snprintf(err, errlen, "%s: out of memory", name);
			free(file);
			return NULL;
		}
	}
	return root;
fail:
	yaml_parser_delete(&b.p);
	ytree_free_node(root);
	free(file);
	return NULL;
}

struct ynode *
ytree_parse_file(const char *path, char *err, size_t errlen)
{
	struct ynode *root;
	FILE *f;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (len + 4096 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			if (cap > 16u << 20) {
				snprintf(err, errlen, "%s: larger than 16 MiB",
				    path);
				goto fail;
			}
			if ((nb = realloc(buf, cap)) == NULL) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto fail;
	}
	fclose(f);
	root = ytree_parse_buf(path, buf ? buf : "", len, err, errlen);
	free(buf);
	return root;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

void
ytree_free(struct ynode *root)
{
	const char *file;

	if (root == NULL)
		return;
	file = root->file;
	ytree_free_node(root);
	/* The root owns the file name shared by every node. */
	free((char *)(uintptr_t)file);
}

struct ynode *
ymap_get(const struct ynode *map, const char *key)
{
	size_t i;

	if (map == NULL || map->type != YN_MAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (strcmp(YMAP_KEY(map, i)->str, key) == 0)
			return YMAP_VAL(map, i);
	return NULL;
}

int
yerr(char *err, size_t errlen, const struct ynode *n, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%d:%d: %s", n->file, n->line, n->col, msg);
	return -EINVAL;
}

static int
yscalar(const struct ynode *n, const char *what, char *err, size_t errlen)
{
	if (n->type != YN_SCALAR)
		return yerr(err, errlen, n, "expected %s, found a %s", what,
		    n->type == YN_MAP ? "mapping" : "sequence");
	return 0;
}

int
yget_str(const struct ynode *n, char *dst, size_t dstlen, char *err,
    size_t errlen)
{
	int rc;

	if ((rc = yscalar(n, "a string", err, errlen)) < 0)
		return rc;
	if (n->len >= dstlen)
		return yerr(err, errlen, n, "string longer than %zu bytes",
		    dstlen - 1);
	if (memchr(n->str, '\0', n->len) != NULL)
		return yerr(err, errlen, n, "string contains a NUL byte");
	memcpy(dst, n->str, n->len + 1);
	return 0;
}

int
yget_u64(const struct ynode *n, uint64_t min, uint64_t max, uint64_t *out,
    char *err, size_t errlen)
{
	unsigned long long v;
	char *end;
	int rc;

	if ((rc = yscalar(n, "a number", err, errlen)) < 0)
		return rc;
	if (n->len == 0 || n->str[0] < '0' || n->str[0] > '9')
		return yerr(err, errlen, n, "expected a number, found \"%s\"",
		    n->str);
	errno = 0;
	v = strtoull(n->str, &end, 10);
	if (*end != '\0' || errno != 0)
		return yerr(err, errlen, n, "expected a number, found \"%s\"",
		    n->str);
	if (v < min || v > max)
		return yerr(err, errlen, n,
		    "%llu is out of range (%llu to %llu)", v,
		    (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

int
yget_bool(const struct ynode *n, int *out, char *err, size_t errlen)
{
	static const char *const t[] = { "true", "yes", "on", NULL };
	static const char *const f[] = { "false", "no", "off", NULL };
	int rc, i;

	if ((rc = yscalar(n, "true or false", err, errlen)) < 0)
		return rc;
	for (i = 0; t[i] != NULL; i++) {
		if (strcasecmp(n->str, t[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(n->str, f[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return yerr(err, errlen, n, "expected true or false, found \"%s\"",
	    n->str);
}

int
yget_duration_ms(const struct ynode *n, uint64_t *out, char *err,
    size_t errlen)
{
	static const struct { const char *sfx; uint64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 }, { "", 1000 },
	};
	unsigned long long v;
	char *end;
	size_t i;
	int rc;

	if ((rc = yscalar(n, "a duration", err, errlen)) < 0)
		return rc;
	if (n->len == 0 || n->str[0] < '0' || n->str[0] > '9')
		goto bad;
	errno = 0;
	v = strtoull(n->str, &end, 10);
	if (errno != 0)
		goto bad;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].sfx) != 0)
			continue;
		if (v > UINT64_MAX / units[i].ms)
			goto bad;
		*out = v * units[i].ms;
		return 0;
	}
bad:
	return yerr(err, errlen, n,
	    "expected a duration such as 500ms, 30s, 5m, 2h or 7d, found \"%s\"",
	    n->str);
}

int
yget_enum(const struct ynode *n, const char *const *names, int *out,
    char *err, size_t errlen)
{
	char list[256] = "";
	size_t off = 0;
	int rc, i;

	if ((rc = yscalar(n, "a keyword", err, errlen)) < 0)
		return rc;
	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(n->str, names[i]) == 0) {
			*out = i;
			return 0;
		}
		if (off < sizeof(list))
			off += (size_t)snprintf(list + off, sizeof(list) - off,
			    "%s%s", i ? ", " : "", names[i]);
	}
	return yerr(err, errlen, n, "expected one of %s, found \"%s\"", list,
	    n->str);
}
