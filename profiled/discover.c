/*
 * discover: AI workloads from kernel evidence alone, no labels.
 *
 * discover_event() (pure) matches one event against the catalog: opened
 * files (package trees, model files, indexes, GPU devices), executions
 * (inference servers; MCP servers by their command line, attributed to the
 * process that launched them), connections (LLM API names, local inference
 * and vector-store ports) and listeners.  A port is not evidence of AI on
 * its own (any JSON API may listen on 1234): a detection by port alone is
 * kept, as weight for the others, but makes no workload AI
 * (discover_is_ai).  Each detection carries its
 * evidence: the behaviour, when, which process, what exactly.
 *
 * discover_confirm() then looks at the file system, cheaply and once per
 * detection: package.json or a dist-info METADATA next to the opened files
 * gives a package's name and version; a GGUF or safetensors header proves
 * a model file (and GGUF names it); the Hugging Face cache layout gives a
 * model's repository and revision.  What a file proves is "confirmed";
 * what only a name, port or path suggests stays "inferred".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "profiled.h"

static int
any_match(const struct strv *globs, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < globs->n; i++)
		if (fnmatch(globs->v[i], s, 0) == 0)
			return 1;
	return 0;
}

/*
 * The file-glob index.  Most globs need a literal run of text ("*" +
 * "/node_modules/@langchain/core/" + "*"): a path without it cannot
 * match, whatever fnmatch would say.  Each glob's longest literal is
 * filed under a hash of its first two bytes; one pass over a path's byte
 * pairs finds the literals it contains, and only their signatures (and
 * those with a glob that has no usable literal) go on to fnmatch.
 */
#define CX_BUCKETS	4096
#define CX_MINLIT	3

struct cx_item {
	uint32_t	 next;		/* index + 1 in the bucket's chain */
	uint32_t	 sig;
	const char	*lit;
	size_t		 len;
};

struct cindex {
	uint32_t	 head[CX_BUCKETS];
	struct cx_item	*v;
	size_t		 n;
	uint8_t		*always;	/* per signature */
};

static unsigned
cx_bucket(unsigned char a, unsigned char b)
{
	return ((unsigned)a * 31u + b) & (CX_BUCKETS - 1);
}

void
cindex_free(struct cindex *x)
{
	if (x == NULL)
		return;
	free(x->v);
	free(x->always);
	free(x);
}

/* The longest run of glob text that matches only itself. */
static void
longest_literal(const char *g, const char **lit, size_t *len)
{
	const char *run = g;

	*lit = g;
	*len = 0;
	for (;; g++) {
		if (*g == '\0' || strchr("*?[\\", *g) != NULL) {
			if ((size_t)(g - run) > *len) {
				*lit = run;
				*len = (size_t)(g - run);
			}
			if (*g == '\0')
				return;
			run = g + 1;
		}
	}
}

int
catalog_index(struct catalog *c)
{
	struct cindex *x;
	size_t i, j, cap = 0;

	cindex_free(c->idx);
	c->idx = NULL;
	for (i = 0; i < c->n; i++)
		cap += c->v[i].files.n;
	if ((x = calloc(1, sizeof(*x))) == NULL ||
	    (x->always = calloc(c->n ? c->n : 1, 1)) == NULL ||
	    (x->v = calloc(cap ? cap : 1, sizeof(*x->v))) == NULL) {
		cindex_free(x);
		return -ENOMEM;
	}
	for (i = 0; i < c->n; i++)
		for (j = 0; j < c->v[i].files.n; j++) {
			struct cx_item *it = &x->v[x->n];
			unsigned b;

			longest_literal(c->v[i].files.v[j], &it->lit, &it->len);
			if (it->len < CX_MINLIT) {
				x->always[i] = 1;
				continue;
			}
			b = cx_bucket((unsigned char)it->lit[0],
			    (unsigned char)it->lit[1]);
			it->sig = (uint32_t)i;
			it->next = x->head[b];
			x->head[b] = (uint32_t)++x->n;
		}
	c->idx = x;
	return 0;
}

/* Mark in cand the signatures whose file globs path may match. */
static void
cx_candidates(const struct cindex *x, size_t nsig, const char *path,
    uint8_t *cand)
{
	size_t len = strlen(path), i;
	uint32_t k;

	memcpy(cand, x->always, nsig);
	for (i = 0; i + 1 < len; i++)
		for (k = x->head[cx_bucket((unsigned char)path[i],
		    (unsigned char)path[i + 1])]; k != 0; k = x->v[k - 1].next) {
			const struct cx_item *it = &x->v[k - 1];

			if (!cand[it->sig] && it->len <= len - i &&
			    memcmp(path + i, it->lit, it->len) == 0)
				cand[it->sig] = 1;
		}
}

/*
 * The directory a package was loaded from: path up to the last "/NAME/",
 * NAME the directory of one of s's file globs ("*\/NAME/\*").  "" when
 * none is in path.
 */
static void
pkg_parent(const struct sig *s, const char *path, char *out, size_t len)
{
	const char *g, *slash, *hit, *at;
	char lit[300];
	size_t i, n;

	out[0] = '\0';
	for (i = 0; i < s->files.n; i++) {
		g = s->files.v[i];
		n = strlen(g);
		if (n < 4 || strcmp(g + n - 2, "/*") != 0)
			continue;
		for (slash = g + n - 3; slash > g && *slash != '/'; slash--)
			;
		if (*slash != '/' || (size_t)(g + n - 1 - slash) >= sizeof(lit))
			continue;
		snprintf(lit, sizeof(lit), "%.*s", (int)(g + n - 1 - slash),
		    slash);			/* "/NAME/" */
		for (hit = NULL, at = path; (at = strstr(at, lit)) != NULL;
		    at++)
			hit = at;
		if (hit != NULL) {
			snprintf(out, len, "%.*s", (int)(hit - path), path);
			return;
		}
	}
}

/*
 * Is ev's open a load of s's package: by a runtime of its ecosystem (the
 * catalog's `runtimes:`), or by a process not known, or for a signature
 * of no such ecosystem?
 */
static int
loaded_by_runtime(const struct catalog *c, const struct sig *s,
    const struct wire_event *ev)
{
	int e;

	if (ev->exe == NULL || ev->exe[0] == '\0' || s->ecosystem[0] == '\0')
		return 1;
	for (e = 0; e < ECO__MAX; e++)
		if (strcmp(s->ecosystem, eco_names[e]) == 0)
			return c->runtimes[e].n == 0 ||
			    any_match(&c->runtimes[e], ev->exe);
	return 1;
}

static int
has_port(const uint16_t *v, size_t n, uint16_t port)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == port)
			return 1;
	return 0;
}

static struct detection *
det_new(const struct sig *s, const struct wire_event *ev, const char *how,
    struct detection *out, size_t *n, size_t max)
{
	struct detection *d;

	if (*n >= max)
		return NULL;
	d = &out[(*n)++];
	memset(d, 0, sizeof(*d));
	d->sig = s;
	snprintf(d->name, sizeof(d->name), "%s", s->name);
	snprintf(d->behaviour, sizeof(d->behaviour), "%s", how);
	snprintf(d->technique, sizeof(d->technique), "instrumentation");
	d->ts = ev->ts;
	d->pid = ev->pid;
	snprintf(d->exe, sizeof(d->exe), "%s", ev->exe ? ev->exe : "");
	return d;
}

/* "/a/node_modules/@s/n/lib/x.js" -> "/a/node_modules/@s/n"; 0 or -1. */
static int
npm_pkgdir(const char *path, char *dir, size_t len, char *name,
    size_t namelen)
{
	const char *nm = NULL, *p = path, *e;

	while ((p = strstr(p, "/node_modules/")) != NULL)
		nm = p++;
	if (nm == NULL)
		return -1;
	p = nm + strlen("/node_modules/");
	if ((e = strchr(p, '/')) == NULL)
		return -1;
	if (*p == '@' && (e = strchr(e + 1, '/')) == NULL)
		return -1;
	snprintf(dir, len, "%.*s", (int)(e - path), path);
	snprintf(name, namelen, "%.*s", (int)(e - p), p);
	return 0;
}

/*
 * The name of an MCP server from a command line: the package or module
 * named by the matched mark, without a path before it, a file path after
 * a scoped package (".../@s/n/dist/index.js") or a version ("@s/n@1.2").
 */
static void
mcp_name(const char *argv, char *out, size_t len)
{
	static const char *const marks[] = { "@modelcontextprotocol/server-",
	    "@playwright/mcp", "@upstash/context7-mcp", "mcp-server-",
	    "mcp_server_", "duckduckgo-mcp-server", NULL };
	const char *p, *e;
	size_t i;

	for (i = 0; marks[i] != NULL; i++) {
		if ((p = strstr(argv, marks[i])) == NULL)
			continue;
		if (marks[i][0] != '@')	/* "uvx mcp-server-git": whole word */
			while (p > argv && p[-1] != ' ' && p[-1] != '/')
				p--;
		e = p + (marks[i][0] == '@' ? strchr(marks[i], '/') - marks[i] + 1 :
		    0);
		while (*e != '\0' && *e != ' ' && *e != '/' && *e != '@')
			e++;
		snprintf(out, len, "%.*s", (int)(e - p), p);
		return;
	}
	snprintf(out, len, "%s", "MCP server");
}

size_t
discover_event(const struct catalog *c, const struct wire_event *ev,
    struct detection *out, size_t max)
{
	char argv[2048] = "", pkg[256];
	uint8_t cbuf[512], *cand = NULL;
	size_t i, n = 0;
	struct detection *d;

	if (ev->type == EV_EXEC)
		wire_argv_join(&ev->argv, argv, sizeof(argv));
	if (ev->type == EV_OPEN && (ev->result != 0 || ev->path == NULL))
		return 0;
	/* Copied, archived, checksummed, searched: read, not loaded. */
	if (ev->type == EV_OPEN && ev->exe != NULL &&
	    any_match(&c->movers, ev->exe))
		return 0;
	if (ev->type == EV_OPEN && c->idx != NULL) {
		cand = c->n <= sizeof(cbuf) ? cbuf : malloc(c->n);
		if (cand != NULL)
			cx_candidates(c->idx, c->n, ev->path, cand);
	}
	for (i = 0; i < c->n; i++) {
		const struct sig *s = &c->v[i];

		switch (ev->type) {
		case EV_OPEN:
			if (cand != NULL && !cand[i])
				break;
			/* Writing a package's files is installing it, not using
			 * it (npm, pip, tar); a model written is downloaded. */
			if (ev->result != 0 || !any_match(&s->files, ev->path) ||
			    any_match(&s->exclude, ev->path) ||
			    ((ev->mode & WM_WRITE) && s->ecosystem[0] != '\0' &&
			    s->kind != SK_MODEL) ||
			    !loaded_by_runtime(c, s, ev) ||
			    (d = det_new(s, ev, "open", out, &n, max)) == NULL)
				break;
			snprintf(d->detail, sizeof(d->detail), "%s", ev->path);
			snprintf(d->technique, sizeof(d->technique), "filename");
			if (strcmp(s->ecosystem, "npm") == 0 &&
			    npm_pkgdir(ev->path, d->key, sizeof(d->key), pkg,
			    sizeof(pkg)) == 0) {
				snprintf(d->name, sizeof(d->name), "%s", pkg);
			} else if (strcmp(s->ecosystem, "pypi") == 0) {
				const char *sp = strstr(ev->path, "-packages/");

				/* Installed (site- or dist-packages), or loaded
				 * from anywhere else (a vendor directory on
				 * PYTHONPATH): then only its metadata next to
				 * it makes it that package. */
				if (sp != NULL)
					snprintf(d->key, sizeof(d->key), "%.*s",
					    (int)(sp - ev->path + 9), ev->path);
				else {
					pkg_parent(s, ev->path, d->key,
					    sizeof(d->key));
					d->needs_meta = 1;
				}
			} else if (s->kind == SK_ACCEL)
				snprintf(d->key, sizeof(d->key), "%s", s->id);
			else {
				const char *b = strrchr(ev->path, '/');

				snprintf(d->key, sizeof(d->key), "%s", ev->path);
				if (s->kind == SK_MODEL || s->kind == SK_RAG)
					snprintf(d->name, sizeof(d->name), "%s",
					    b ? b + 1 : ev->path);
			}
			break;
		case EV_EXEC:
			if (!any_match(&s->exe, ev->exe) &&
			    !any_match(&s->argv, argv))
				break;
			if ((d = det_new(s, ev, "exec", out, &n, max)) == NULL)
				break;
			snprintf(d->detail, sizeof(d->detail), "%s", argv);
			if (s->kind == SK_MCP) {
				mcp_name(argv, d->name, sizeof(d->name));
				snprintf(d->key, sizeof(d->key), "%s", d->name);
			} else
				snprintf(d->key, sizeof(d->key), "%s", ev->exe);
			if (ev->lineage.n >= 2) {
				const struct wire_proc *pp =
				    &ev->lineage.v[ev->lineage.n - 2];

				snprintf(d->launched_by, sizeof(d->launched_by),
				    "%s", pp->args && pp->args[0] ? pp->args :
				    pp->exe);
			}
			break;
		case EV_CONNECT:
		case EV_SENDTO:
			if (any_match(&s->hosts, ev->name)) {
				if ((d = det_new(s, ev, "connect", out, &n,
				    max)) == NULL)
					break;
				snprintf(d->key, sizeof(d->key), "%s", ev->name);
				if (s->kind == SK_LLM_API && s->hosts.n > 1 &&
				    strcmp(s->id, "api-others") == 0)
					snprintf(d->name, sizeof(d->name), "%s",
					    ev->name);
			} else if (ev->proto == WP_TCP &&
			    has_port(s->ports, s->nports, ev->port)) {
				if ((d = det_new(s, ev, "connect", out, &n,
				    max)) == NULL)
					break;
				snprintf(d->key, sizeof(d->key), "%s:%u", ev->addr,
				    ev->port);
				d->port_only = 1;
			} else
				break;
			snprintf(d->detail, sizeof(d->detail), "%s%s%s:%u",
			    ev->name ? ev->name : "", ev->name ? " " : "",
			    ev->addr, ev->port);
			break;
		case EV_LISTEN:
			if (!has_port(s->listen, s->nlisten, ev->port) ||
			    (d = det_new(s, ev, "listen", out, &n, max)) == NULL)
				break;
			snprintf(d->key, sizeof(d->key), "%u", ev->port);
			snprintf(d->detail, sizeof(d->detail), "%s:%u", ev->addr,
			    ev->port);
			d->port_only = 1;
			break;
		default:
			break;
		}
	}
	if (cand != cbuf)
		free(cand);
	return n;
}

/* ---------------------------------------------------------------- confirm */

static char *
slurp(const char *path, size_t max)
{
	char *buf;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return NULL;
	if ((buf = malloc(max + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	r = read(fd, buf, max);
	close(fd);
	if (r < 0) {
		free(buf);
		return NULL;
	}
	buf[r] = '\0';
	return buf;
}

static void
confirm_npm(struct detection *d, const char *root)
{
	char pj[1200], pkg[512];
	json_t *o;
	json_error_t jerr;
	char *txt;
	const char *ver, *name;

	if (d->key[0] == '\0' &&
	    npm_pkgdir(d->detail, d->key, sizeof(d->key), pkg, sizeof(pkg)) < 0)
		return;
	snprintf(pj, sizeof(pj), "%s%s/package.json", root, d->key);
	if ((txt = slurp(pj, 1 << 20)) == NULL)
		return;
	if ((o = json_loads(txt, 0, &jerr)) != NULL &&
	    (ver = json_string_value(json_object_get(o, "version"))) != NULL &&
	    (name = json_string_value(json_object_get(o, "name"))) != NULL) {
		snprintf(d->version, sizeof(d->version), "%s", ver);
		snprintf(d->name, sizeof(d->name), "%s", name);
		snprintf(d->source, sizeof(d->source), "%s%s/package.json",
		    root, d->key);
		snprintf(d->technique, sizeof(d->technique), "manifest-analysis");
		d->confidence = DET_CONFIRMED;
	}
	json_decref(o);
	free(txt);
}

/* PEP 503: lower case, runs of -_. as one "_" (the dist-info form). */
static void
dist_norm(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 1 < len; in++) {
		if (*in == '-' || *in == '_' || *in == '.') {
			if (o == 0 || out[o - 1] != '_')
				out[o++] = '_';
		} else
			out[o++] = (char)(*in >= 'A' && *in <= 'Z' ? *in + 32 : *in);
	}
	out[o] = '\0';
}

static void
confirm_pypi(struct detection *d, const char *root)
{
	char sp[1100], want[160], got[300], meta[1500];
	struct dirent *e;
	DIR *dir;

	snprintf(sp, sizeof(sp), "%s%s", root, d->key);
	dist_norm(d->sig->name, want, sizeof(want));
	if (d->key[0] == '\0' || (dir = opendir(sp)) == NULL)
		return;
	while ((e = readdir(dir)) != NULL) {
		const char *dash, *end;
		char *txt, *v, *nm;

		end = strstr(e->d_name, ".dist-info");
		if (end == NULL || end[10] != '\0' ||
		    (dash = strchr(e->d_name, '-')) == NULL || dash > end)
			continue;
		snprintf(got, sizeof(got), "%.*s", (int)(dash - e->d_name),
		    e->d_name);
		dist_norm(got, got, sizeof(got));
		if (strcmp(got, want) != 0)
			continue;
		snprintf(meta, sizeof(meta), "%s/%s/METADATA", sp, e->d_name);
		if ((txt = slurp(meta, 65536)) == NULL)
			continue;
		if ((v = strstr(txt, "\nVersion: ")) != NULL) {
			v += 10;
			snprintf(d->version, sizeof(d->version), "%.*s",
			    (int)strcspn(v, "\r\n"), v);
			if ((nm = strstr(txt, "Name: ")) != NULL) {
				nm += 6;
				snprintf(d->name, sizeof(d->name), "%.*s",
				    (int)strcspn(nm, "\r\n"), nm);
			}
			snprintf(d->source, sizeof(d->source), "%s", meta);
			snprintf(d->technique, sizeof(d->technique),
			    "manifest-analysis");
			d->confidence = DET_CONFIRMED;
		}
		free(txt);
		break;
	}
	closedir(dir);
}

static void
confirm_model(struct detection *d, const char *root)
{
	char path[1200];
	const char *hf, *snap, *fmt;
	int fd;

	/* .../models--org--name/snapshots/<rev>/file: repository identity */
	if ((hf = strstr(d->detail, "/models--")) != NULL &&
	    (snap = strstr(hf, "/snapshots/")) != NULL) {
		char repo[256];
		const char *rev = snap + 11;
		char *dd;

		snprintf(repo, sizeof(repo), "%.*s", (int)(snap - hf - 9),
		    hf + 9);
		if ((dd = strstr(repo, "--")) != NULL) {
			*dd = '/';
			memmove(dd + 1, dd + 2, strlen(dd + 2) + 1);
		}
		snprintf(d->name, sizeof(d->name), "%s", repo);
		snprintf(d->version, sizeof(d->version), "%.*s",
		    (int)strcspn(rev, "/"), rev);
	}
	/* By content (model.c): a file that is not a model is no model,
	 * whatever its name says; one that cannot be read stays inferred. */
	snprintf(path, sizeof(path), "%s%s", root, d->detail);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return;
	fmt = model_format(fd, &d->facts);
	close(fd);
	if (fmt == NULL) {
		d->refuted = 1;
		return;
	}
	snprintf(d->format, sizeof(d->format), "%s", fmt);
	if (d->facts.name[0] != '\0' && hf == NULL)
		snprintf(d->name, sizeof(d->name), "%s", d->facts.name);
	d->confidence = DET_CONFIRMED;
	snprintf(d->technique, sizeof(d->technique), "binary-analysis");
	snprintf(d->source, sizeof(d->source), "%s", path);
}

int
discover_is_ai(const struct detection *d)
{
	/* A model makes AI once its bytes say so (discover_confirm). */
	return d->sig->ai && !d->port_only && !d->refuted &&
	    ((d->sig->kind != SK_MODEL && !d->needs_meta) ||
	    d->confidence == DET_CONFIRMED);
}

/*
 * An MCP server found by what it loads (the SDK's stdio server transport:
 * a process serving MCP on its piped stdio), named by its script as
 * <procfs>/<pid>/cmdline has it -- the npm package the script is in, the
 * module of "python -m", or the script's file name -- and linked to the
 * process that launched it.  Its key is that name: one component per
 * server, however often it starts.  -ESRCH when the process is gone.
 */
int
discover_name_process(struct detection *d, const char *procfs)
{
	char path[300], args[2048], pargs[1024], pkg[256], dir[1024], *p;
	const char *script = NULL, *mod = NULL;
	unsigned ppid = 0;
	size_t i, n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u/cmdline", procfs, d->pid);
	if ((f = fopen(path, "r")) == NULL)
		return -ESRCH;
	n = fread(args, 1, sizeof(args) - 1, f);
	fclose(f);
	if (n == 0)
		return -ESRCH;
	args[n] = '\0';
	/* argv[1..]: the first that is not an option; after -m, a module. */
	for (i = strlen(args) + 1; i < n; i += strlen(args + i) + 1) {
		if (strcmp(args + i, "-m") == 0 && i + 3 < n) {
			mod = args + i + 3;
			break;
		}
		if (strcmp(args + i, "-c") == 0 || strcmp(args + i, "-e") == 0)
			break;		/* code on the command line: no script */
		if (args[i] != '-') {
			script = args + i;
			break;
		}
	}
	if (mod != NULL)
		snprintf(d->name, sizeof(d->name), "%s", mod);
	else if (script != NULL && npm_pkgdir(script, dir, sizeof(dir), pkg,
	    sizeof(pkg)) == 0)
		snprintf(d->name, sizeof(d->name), "%s", pkg);
	else {
		script = script != NULL ? script : args;
		snprintf(d->name, sizeof(d->name), "%s", strrchr(script, '/') ?
		    strrchr(script, '/') + 1 : script);
	}
	snprintf(d->key, sizeof(d->key), "%s", d->name);
	for (i = 0; i + 1 < n; i++)	/* the command line, for evidence */
		if (args[i] == '\0')
			args[i] = ' ';
	snprintf(d->detail, sizeof(d->detail), "%s", args);
	snprintf(path, sizeof(path), "%s/%u/stat", procfs, d->pid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(pargs, sizeof(pargs), f) != NULL &&
		    (p = strrchr(pargs, ')')) != NULL)
			sscanf(p + 1, " %*c %u", &ppid);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/%u/cmdline", procfs, ppid);
	if (ppid != 0 && (f = fopen(path, "r")) != NULL) {
		n = fread(pargs, 1, sizeof(pargs) - 1, f);
		fclose(f);
		pargs[n] = '\0';
		for (i = 0; i + 1 < n; i++)
			if (pargs[i] == '\0')
				pargs[i] = ' ';
		snprintf(d->launched_by, sizeof(d->launched_by), "%s", pargs);
	}
	return 0;
}

void
discover_confirm(struct detection *d, const char *root)
{
	if (root == NULL)
		root = "";
	if (strcmp(d->sig->ecosystem, "npm") == 0 &&
	    strcmp(d->behaviour, "open") == 0)
		confirm_npm(d, root);
	else if (strcmp(d->sig->ecosystem, "pypi") == 0) {
		confirm_pypi(d, root);
		if (d->needs_meta && d->confidence != DET_CONFIRMED)
			d->refuted = 1;	/* a directory of that name, no more */
	}
	else if (d->sig->kind == SK_MODEL)
		confirm_model(d, root);
}

char *
discover_json(const struct detection *d)
{
	json_t *o = json_object(), *ev = json_object();
	char when[40], *s;

	if (o == NULL || ev == NULL) {
		json_decref(o);
		json_decref(ev);
		return NULL;
	}
	wire_time_iso(d->ts, when, sizeof(when));
	json_object_set_new(o, "signature", json_string(d->sig->id));
	json_object_set_new(o, "kind", json_string(sig_kind_names[d->sig->kind]));
	json_object_set_new(o, "name", json_string(d->name));
	if (d->version[0])
		json_object_set_new(o, "version", json_string(d->version));
	if (d->sig->ecosystem[0])
		json_object_set_new(o, "ecosystem",
		    json_string(d->sig->ecosystem));
	json_object_set_new(o, "ai", json_boolean(discover_is_ai(d)));
	if (d->port_only)	/* says why "ai" is false for an AI kind */
		json_object_set_new(o, "port_only", json_true());
	if (d->format[0])
		json_object_set_new(o, "format", json_string(d->format));
	if (d->facts.arch[0])
		json_object_set_new(o, "architecture",
		    json_string(d->facts.arch));
	if (d->facts.size[0])
		json_object_set_new(o, "size_label", json_string(d->facts.size));
	if (d->facts.quant[0])
		json_object_set_new(o, "quantization",
		    json_string(d->facts.quant));
	json_object_set_new(o, "confidence", json_string(d->confidence ==
	    DET_CONFIRMED ? "confirmed" : "inferred"));
	json_object_set_new(o, "technique", json_string(d->technique));
	json_object_set_new(ev, "behaviour", json_string(d->behaviour));
	json_object_set_new(ev, "time", json_string(when));
	if (d->pid)
		json_object_set_new(ev, "pid", json_integer(d->pid));
	if (d->exe[0])
		json_object_set_new(ev, "exe", json_string(d->exe));
	json_object_set_new(ev, "detail", json_string(d->detail));
	if (d->source[0])
		json_object_set_new(ev, "source", json_string(d->source));
	if (d->launched_by[0])
		json_object_set_new(ev, "launched_by",
		    json_string(d->launched_by));
	json_object_set_new(o, "evidence", ev);
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}
