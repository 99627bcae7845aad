/*
 * catalog: the AI signature catalog, a YAML data file (profiled/
 * signatures.yaml, installed as profiled.signatures) plus operator
 * additions in profiled.signatures_dir.
 *
 * The loader checks every entry completely before it keeps it: known keys
 * only, a known kind, at least one matcher, ports in range, ids unique
 * across all files.  A bad entry is reported with file:line:col and
 * skipped, so one typo in an operator's file never disables discovery.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ytree.h"
#include "profiled.h"

const char *const sig_kind_names[] = {
	"framework", "sdk", "model", "llm-api", "inference-server",
	"mcp-server", "vector-store", "rag-source", "accelerator", NULL,
};

static void
strv_free(struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static void
sig_free(struct sig *s)
{
	strv_free(&s->files);
	strv_free(&s->hosts);
	strv_free(&s->exe);
	strv_free(&s->argv);
	strv_free(&s->exclude);
	free(s->ports);
	free(s->listen);
	memset(s, 0, sizeof(*s));
}

void
catalog_free(struct catalog *c)
{
	size_t i;

	for (i = 0; i < ECO__MAX; i++)
		strv_free(&c->runtimes[i]);
	strv_free(&c->movers);
	for (i = 0; i < c->n; i++)
		sig_free(&c->v[i]);
	free(c->v);
	cindex_free(c->idx);
	memset(c, 0, sizeof(*c));
}

/* A sequence of strings (or one string). */
static int
get_strv(const struct ynode *n, struct strv *out, char *err, size_t errlen)
{
	size_t i, cnt = n->type == YN_SEQ ? n->n : 1;

	if (n->type == YN_MAP)
		return yerr(err, errlen, n, "expected a list of strings");
	if ((out->v = calloc(cnt, sizeof(char *))) == NULL)
		return -ENOMEM;
	for (i = 0; i < cnt; i++) {
		const struct ynode *k = n->type == YN_SEQ ? n->kids[i] : n;

		if (k->type != YN_SCALAR || k->len == 0 || k->len > 255)
			return yerr(err, errlen, k, "expected a string of 1 to "
			    "255 characters");
		if ((out->v[i] = strdup(k->str)) == NULL)
			return -ENOMEM;
		out->n++;
	}
	return 0;
}

static int
get_ports(const struct ynode *n, uint16_t **out, size_t *nout, char *err,
    size_t errlen)
{
	size_t i, cnt = n->type == YN_SEQ ? n->n : 1;
	uint64_t v;
	int rc;

	if (n->type == YN_MAP)
		return yerr(err, errlen, n, "expected a list of ports");
	if ((*out = calloc(cnt, sizeof(**out))) == NULL)
		return -ENOMEM;
	for (i = 0; i < cnt; i++) {
		const struct ynode *k = n->type == YN_SEQ ? n->kids[i] : n;

		if ((rc = yget_u64(k, 1, 65535, &v, err, errlen)) < 0)
			return rc;
		(*out)[(*nout)++] = (uint16_t)v;
	}
	return 0;
}

const char *const eco_names[] = { "npm", "pypi", "huggingface", NULL };

/* The strings of n appended to out (a later file adds to an earlier). */
static int
add_strv(const struct ynode *n, struct strv *out, char *err, size_t errlen)
{
	struct strv more = { 0 };
	char **nv;
	int rc;

	if ((rc = get_strv(n, &more, err, errlen)) < 0) {
		strv_free(&more);
		return rc;
	}
	if ((nv = realloc(out->v, (out->n + more.n) * sizeof(*nv))) == NULL) {
		strv_free(&more);
		return -ENOMEM;
	}
	out->v = nv;
	memcpy(out->v + out->n, more.v, more.n * sizeof(*nv));
	out->n += more.n;
	free(more.v);
	return 0;
}

/* runtimes: { npm: [globs], pypi: [globs] } */
static int
parse_runtimes(const struct ynode *m, struct catalog *c, char *err,
    size_t errlen)
{
	size_t i;
	int rc, e;

	if (m->type != YN_MAP)
		return yerr(err, errlen, m, "runtimes: expected a map of "
		    "ecosystem to executables");
	for (i = 0; i < m->n; i++) {
		if ((rc = yget_enum(YMAP_KEY(m, i), eco_names, &e, err,
		    errlen)) < 0 ||
		    (rc = add_strv(YMAP_VAL(m, i), &c->runtimes[e], err,
		    errlen)) < 0)
			return rc;
	}
	return 0;
}

static int
parse_sig(const struct ynode *m, struct sig *s, const struct catalog *c,
    char *err, size_t errlen)
{
	static const char *const hdr[] = { "gguf", "safetensors", NULL };
	size_t i;
	int rc, kind = -1, e;

	memset(s, 0, sizeof(*s));
	s->ai = -1;
	if (m->type != YN_MAP)
		return yerr(err, errlen, m, "a signature is a map (id, kind, "
		    "name, matchers)");
	snprintf(s->where, sizeof(s->where), "%s:%d", m->file, m->line);
	for (i = 0; i < m->n; i++) {
		const struct ynode *k = YMAP_KEY(m, i), *v = YMAP_VAL(m, i);
		const char *key = k->str;

		if (strcmp(key, "id") == 0)
			rc = yget_str(v, s->id, sizeof(s->id), err, errlen);
		else if (strcmp(key, "kind") == 0)
			rc = yget_enum(v, sig_kind_names, &kind, err, errlen);
		else if (strcmp(key, "name") == 0)
			rc = yget_str(v, s->name, sizeof(s->name), err, errlen);
		else if (strcmp(key, "ecosystem") == 0) {
			if ((rc = yget_enum(v, eco_names, &e, err, errlen)) == 0)
				snprintf(s->ecosystem, sizeof(s->ecosystem), "%s",
				    eco_names[e]);
		} else if (strcmp(key, "header") == 0)	/* older catalogs: */
			rc = yget_enum(v, hdr, &e, err, errlen); /* ignored */ else if (strcmp(key, "ai") == 0)
			rc = yget_bool(v, &s->ai, err, errlen);
		else if (strcmp(key, "files") == 0)
			rc = get_strv(v, &s->files, err, errlen);
		else if (strcmp(key, "exclude") == 0)
			rc = get_strv(v, &s->exclude, err, errlen);
		else if (strcmp(key, "hosts") == 0)
			rc = get_strv(v, &s->hosts, err, errlen);
		else if (strcmp(key, "exe") == 0)
			rc = get_strv(v, &s->exe, err, errlen);
		else if (strcmp(key, "argv") == 0)
			rc = get_strv(v, &s->argv, err, errlen);
		else if (strcmp(key, "ports") == 0)
			rc = get_ports(v, &s->ports, &s->nports, err, errlen);
		else if (strcmp(key, "listen") == 0)
			rc = get_ports(v, &s->listen, &s->nlisten, err, errlen);
		else if (strcmp(key, "description") == 0)
			rc = 0;
		else
			rc = yerr(err, errlen, k, "unknown key \"%s\"", key);
		if (rc < 0)
			return rc;
	}
	if (s->id[0] == '\0')
		return yerr(err, errlen, m, "missing \"id\"");
	if (kind < 0)
		return yerr(err, errlen, m, "%s: missing \"kind\"", s->id);
	if (s->name[0] == '\0')
		return yerr(err, errlen, m, "%s: missing \"name\"", s->id);
	if (s->files.n + s->hosts.n + s->exe.n + s->argv.n + s->nports +
	    s->nlisten == 0)
		return yerr(err, errlen, m, "%s: no matcher (files, hosts, "
		    "ports, listen, exe or argv)", s->id);
	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].id, s->id) == 0)
			return yerr(err, errlen, m, "duplicate id \"%s\" (first "
			    "at %s)", s->id, c->v[i].where);
	s->kind = (uint8_t)kind;
	if (s->ai < 0)
		s->ai = kind != SK_VECTOR && kind != SK_RAG && kind != SK_ACCEL;
	return 0;
}

int
catalog_load_file(struct catalog *c, const char *path,
    catalog_report_fn *report, void *arg)
{
	struct ynode *root, *list;
	char err[512];
	size_t i;
	int bad = 0, rc;

	if ((root = ytree_parse_file(path, err, sizeof(err))) == NULL) {
		report(arg, err);
		return -EINVAL;
	}
	if (root->type != YN_MAP || ((list = ymap_get(root, "signatures")) ==
	    NULL && ymap_get(root, "movers") == NULL &&
	    ymap_get(root, "runtimes") == NULL) ||
	    (list != NULL && list->type != YN_SEQ)) {
		yerr(err, sizeof(err), root, "expected a map with a "
		    "\"signatures\" list (or \"movers\", \"runtimes\")");
		report(arg, err);
		ytree_free(root);
		return -EINVAL;
	}
	for (i = 0; i < root->n; i++) {
		const char *key = YMAP_KEY(root, i)->str;

		err[0] = '\0';
		if (strcmp(key, "signatures") == 0)
			continue;
		if (strcmp(key, "movers") == 0)
			rc = add_strv(YMAP_VAL(root, i), &c->movers, err,
			    sizeof(err));
		else if (strcmp(key, "runtimes") == 0)
			rc = parse_runtimes(YMAP_VAL(root, i), c, err,
			    sizeof(err));
		else
			rc = yerr(err, sizeof(err), YMAP_KEY(root, i),
			    "unknown key \"%s\"", key);
		if (rc == -ENOMEM) {
			ytree_free(root);
			return rc;
		}
		if (rc < 0) {
			report(arg, err);
			bad++;
		}
	}
	for (i = 0; list != NULL && i < list->n; i++) {
		struct sig s, *nv;

		err[0] = '\0';
		if ((rc = parse_sig(list->kids[i], &s, c, err,
		    sizeof(err))) < 0) {
			if (rc == -ENOMEM)
				snprintf(err, sizeof(err), "%s: out of memory",
				    path);
			report(arg, err);
			sig_free(&s);
			bad++;
			continue;
		}
		if ((nv = realloc(c->v, (c->n + 1) * sizeof(*nv))) == NULL) {
			sig_free(&s);
			ytree_free(root);
			return -ENOMEM;
		}
		c->v = nv;
		c->v[c->n++] = s;
	}
	ytree_free(root);
	return bad;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
catalog_load_dir(struct catalog *c, const char *dir,
    catalog_report_fn *report, void *arg)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL, path[1024];
	size_t n = 0, i;
	int bad = 0, rc;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		char **nv;

		if (l < 6 || strcmp(e->d_name + l - 5, ".yaml") != 0 ||
		    e->d_name[0] == '.')
			continue;
		if ((nv = realloc(names, (n + 1) * sizeof(*nv))) == NULL)
			break;
		names = nv;
		if ((names[n] = strdup(e->d_name)) == NULL)
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		rc = catalog_load_file(c, path, report, arg);
		bad += rc < 0 ? 1 : rc;
		free(names[i]);
	}
	free(names);
	return bad;
}
