/*
 * policy: least-privilege policies, as documents people read and edit.
 *
 * policy_compile() turns a profile view (what profiled learnt) plus the
 * behaviour operators accepted into a document in a fixed order; jyaml
 * prints it.  policy_parse() is the way back: an edited YAML file is
 * checked completely (every key known, every path absolute, every mode a
 * subset of "rwx", ports in range, protocols tcp or udp, syscalls known by
 * name, stages valid) and every problem is reported with file:line:col
 * before anything changes.  policy_wire() makes the record enforced loads.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha.h"
#include "sysnames.h"
#include "ytree.h"
#include "policy.h"

/* Dimension names in policies, NULL-terminated for keys_only(). */
static const char *const dim_keys[WD_NDIMS + 1] = { "exec", "file", "net",
	"syscall", NULL };

void
wstate_init(struct wstate *s, int stage)
{
	int d;

	for (d = 0; d < WD_NDIMS; d++)
		s->dim[d] = stage;
}

int
wstate_stage(const struct wstate *s)
{
	int d, m = s->dim[0];

	for (d = 1; d < WD_NDIMS; d++)
		if (s->dim[d] < m)
			m = s->dim[d];
	return m;
}

int
stage_mode(int stage)
{
	return stage == CONF_STAGE_ENFORCE ? WMODE_BLOCK :
	    stage == CONF_STAGE_ALERT ? WMODE_ALERT : WMODE_OFF;
}

void
wstate_text(const struct wstate *s, char *buf, size_t len)
{
	snprintf(buf, len, "exec=%s file=%s net=%s syscall=%s",
	    conf_stage_names[s->dim[WD_EXEC]], conf_stage_names[s->dim[WD_FILE]],
	    conf_stage_names[s->dim[WD_NET]],
	    conf_stage_names[s->dim[WD_SYSCALL]]);
}

/*
 * "exec=alert file=alert net=alert syscall=alert rev 3" -> "alert rev 3",
 * and "exec=enforce file=enforce net=enforce syscall=alert" -> "enforce
 * (syscall=alert)": the stage most dimensions share, then the others.
 * Anything else is left as it is.
 */
const char *
policy_stages_compact(const char *in, char *out, size_t len)
{
	static const char *const dims[] = { "exec", "file", "net", "syscall" };
	char st[4][32], rest[128] = "";
	int n, i, j, best = 0, most = 0, off;

	if (in == NULL)
		return "";
	n = sscanf(in, "exec=%31s file=%31s net=%31s syscall=%31s%127[^\n]",
	    st[0], st[1], st[2], st[3], rest);
	if (n < 4)
		return in;
	for (i = 0; i < 4; i++) {
		for (n = 0, j = 0; j < 4; j++)
			n += strcmp(st[i], st[j]) == 0;
		if (n > most) {
			most = n;
			best = i;
		}
	}
	off = snprintf(out, len, "%s", st[best]);
	for (i = 0, j = 0; i < 4 && off > 0 && (size_t)off < len; i++)
		if (strcmp(st[i], st[best]) != 0)
			off += snprintf(out + off, len - (size_t)off, "%s%s=%s",
			    j++ ? " " : " (", dims[i], st[i]);
	if (j > 0 && off > 0 && (size_t)off < len)
		off += snprintf(out + off, len - (size_t)off, ")");
	if (off > 0 && (size_t)off < len)
		snprintf(out + off, len - (size_t)off, "%s", rest);
	return out;
}

/* Append the items of section sec of src (a view) to out, reshaped. */
static void
take(json_t *out, json_t *src, const char *sec)
{
	json_t *a = json_object_get(src, sec), *e;
	size_t i;

	json_array_foreach(a, i, e) {
		json_t *x = NULL;

		if (strcmp(sec, "exec") == 0)
			x = json_string(json_string_value(json_object_get(e,
			    "path")));
		else if (strcmp(sec, "files") == 0)
			x = json_pack("{s:s?, s:s?}", "path", json_string_value(
			    json_object_get(e, "pattern")), "mode",
			    json_string_value(json_object_get(e, "mode")));
		else if (strcmp(sec, "egress") == 0)
			x = json_pack("{s:s?, s:O?, s:s?}", "dest",
			    json_string_value(json_object_get(e, "dest")), "port",
			    json_object_get(e, "port"), "proto", json_string_value(
			    json_object_get(e, "proto")));
		else if (strcmp(sec, "listeners") == 0)
			x = json_pack("{s:s?, s:O?, s:s?}", "addr",
			    json_string_value(json_object_get(e, "addr")), "port",
			    json_object_get(e, "port"), "proto", json_string_value(
			    json_object_get(e, "proto")));
		else if (strcmp(sec, "syscalls") == 0)
			x = json_incref(e);
		if (x == NULL)
			continue;
		/* No duplicates: accepted behaviour may already be learnt. */
		{
			json_t *y;
			size_t k;
			int dup = 0;

			json_array_foreach(out, k, y)
				dup |= json_equal(x, y);
			if (dup) {
				json_decref(x);
				continue;
			}
		}
		json_array_append_new(out, x);
	}
}

json_t *
policy_compile(const char *workload, uint64_t rev, json_t *view,
    json_t *accepted, const struct wstate *st)
{
	static const char *const secs[] = { "exec", "files", "egress",
	    "listeners", "syscalls" };
	json_t *doc, *stages = json_object();
	size_t k;
	int d;

	for (d = 0; d < WD_NDIMS; d++)
		json_object_set_new(stages, dim_keys[d],
		    json_string(conf_stage_names[st->dim[d]]));
	doc = json_pack("{s:s, s:I, s:o}", "workload", workload, "revision",
	    (json_int_t)rev, "stages", stages);
	for (k = 0; k < sizeof(secs) / sizeof(secs[0]); k++) {
		json_t *a = json_array();

		take(a, view, secs[k]);
		if (accepted != NULL)
			take(a, accepted, secs[k]);
		json_object_set_new(doc, secs[k], a);
	}
	return doc;
}

json_t *
policy_accepted_view(const char *const *vals, size_t n)
{
	json_t *v = json_pack("{s:[], s:[], s:[], s:[], s:[]}", "exec",
	    "files", "egress", "listeners", "syscalls");
	json_error_t jerr;
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *x = json_loads(vals[i], 0, &jerr);
		const char *key = json_string_value(json_object_get(x, "k"));
		json_int_t d = json_integer_value(json_object_get(x, "d"));
		json_int_t m = json_integer_value(json_object_get(x, "m"));
		json_int_t port = json_integer_value(json_object_get(x, "o"));
		json_int_t proto = json_integer_value(json_object_get(x, "t"));
		char mb[4];

		if (key == NULL) {
			json_decref(x);
			continue;
		}
		if (d == WD_EXEC)
			json_array_append_new(json_object_get(v, "exec"),
			    json_pack("{s:s}", "path", key));
		else if (d == WD_FILE)
			json_array_append_new(json_object_get(v, "files"),
			    json_pack("{s:s, s:s}", "pattern", key, "mode",
			    wire_mode_bits((uint32_t)m, mb)));
		else if (d == WD_NET || d == WD_LISTEN)
			json_array_append_new(json_object_get(v, d == WD_NET ?
			    "egress" : "listeners"), json_pack("{s:s, s:I, s:s}",
			    d == WD_NET ? "dest" : "addr", key, "port", port,
			    "proto", proto == WP_UDP ? "udp" : "tcp"));
		else if (d == WD_SYSCALL)
			json_array_append_new(json_object_get(v, "syscalls"),
			    json_string(key));
		json_decref(x);
	}
	return v;
}

void
policy_stages(json_t *doc, struct wstate *st)
{
	json_t *s = json_object_get(doc, "stages");
	int d, k;

	for (d = 0; d < WD_NDIMS; d++) {
		const char *v = json_string_value(json_object_get(s, dim_keys[d]));

		st->dim[d] = CONF_STAGE_LEARNING;
		for (k = 0; v != NULL && conf_stage_names[k] != NULL; k++)
			if (strcmp(conf_stage_names[k], v) == 0)
				st->dim[d] = k;
	}
}

/* ---------------------------------------------------------------- parse */

struct errs {
	char	*buf;
	size_t	 len, off;
	int	 n;
};

static void
bad(struct errs *e, const struct ynode *n, const char *fmt, ...)
{
	char msg[400], line[512];
	va_list ap;

	if (e->n++ >= 10)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	yerr(line, sizeof(line), n, "%s", msg);
	if (e->off < e->len)
		e->off += (size_t)snprintf(e->buf + e->off, e->len - e->off,
		    "%s%s", e->off ? "\n" : "", line);
}

static const char *
scalar(struct errs *e, const struct ynode *n, const char *what)
{
	if (n == NULL || n->type != YN_SCALAR || n->len == 0) {
		if (n != NULL)
			bad(e, n, "%s: expected a non-empty string", what);
		return NULL;
	}
	return n->str;
}

static int
port_of(struct errs *e, const struct ynode *n, json_int_t *out)
{
	char *end;
	long v;

	if (n == NULL || n->type != YN_SCALAR) {
		if (n != NULL)
			bad(e, n, "port: expected a number");
		return -1;
	}
	v = strtol(n->str, &end, 10);
	if (*end != '\0' || v < 0 || v > 65535 || n->len == 0) {
		bad(e, n, "port: \"%s\" is not 0..65535", n->str);
		return -1;
	}
	*out = v;
	return 0;
}

/* Check that map m has only keys from allowed. */
static void
keys_only(struct errs *e, const struct ynode *m, const char *const *allowed,
    const char *what)
{
	size_t i, k;

	for (i = 0; i < m->n; i++) {
		int ok = 0;

		for (k = 0; allowed[k] != NULL; k++)
			ok |= strcmp(YMAP_KEY(m, i)->str, allowed[k]) == 0;
		if (!ok)
			bad(e, YMAP_KEY(m, i), "unknown key \"%s\" in %s",
			    YMAP_KEY(m, i)->str, what);
	}
}

static const struct ynode *
seq(struct errs *e, const struct ynode *root, const char *key)
{
	const struct ynode *s = ymap_get(root, key);

	if (s == NULL)
		return NULL;
	if (s->type == YN_SCALAR && s->len == 0)
		return NULL;	/* "exec:" with nothing: empty */
	if (s->type != YN_SEQ) {
		bad(e, s, "%s: expected a list", key);
		return NULL;
	}
	return s;
}

static json_t *
parse_addrlist(struct errs *e, const struct ynode *root, const char *key,
    const char *name_key)
{
	static const char *const allowed_egress[] = { "dest", "port", "proto",
	    NULL };
	static const char *const allowed_listen[] = { "addr", "port", "proto",
	    NULL };
	const struct ynode *s = seq(e, root, key);
	json_t *a = json_array();
	size_t i;

	for (i = 0; s != NULL && i < s->n; i++) {
		const struct ynode *m = s->kids[i];
		const char *dest, *proto = "tcp";
		json_int_t port = 0;

		if (m->type != YN_MAP) {
			bad(e, m, "%s: each item is a map (%s, port, proto)",
			    key, name_key);
			continue;
		}
		keys_only(e, m, strcmp(key, "egress") == 0 ? allowed_egress :
		    allowed_listen, key);
		dest = scalar(e, ymap_get(m, name_key), name_key);
		if (dest == NULL && ymap_get(m, name_key) == NULL)
			bad(e, m, "%s: missing \"%s\"", key, name_key);
		if (ymap_get(m, "port") != NULL &&
		    port_of(e, ymap_get(m, "port"), &port) < 0)
			continue;
		if (ymap_get(m, "proto") != NULL) {
			proto = scalar(e, ymap_get(m, "proto"), "proto");
			if (proto != NULL && strcmp(proto, "tcp") != 0 &&
			    strcmp(proto, "udp") != 0) {
				bad(e, ymap_get(m, "proto"), "proto: \"%s\" is "
				    "not tcp or udp", proto);
				continue;
			}
		}
		if (dest != NULL && proto != NULL)
			json_array_append_new(a, json_pack("{s:s, s:I, s:s}",
			    name_key, dest, "port", port, "proto", proto));
	}
	return a;
}

int
policy_parse(const char *name, const char *text, json_t **out, char *err,
    size_t errlen)
{
	static const char *const top[] = { "workload", "revision", "stages",
	    "exec", "files", "egress", "listeners", "syscalls", NULL };
	static const char *const fkeys[] = { "path", "mode", NULL };
	struct errs e = { err, errlen, 0, 0 };
	struct ynode *root;
	const struct ynode *n, *s;
	json_t *doc, *a;
	const char *w;
	size_t i;
	int d, k;

	*out = NULL;
	err[0] = '\0';
	if ((root = ytree_parse_buf(name, text, strlen(text), err,
	    errlen)) == NULL)
		return -EINVAL;
	if (root->type != YN_MAP) {
		bad(&e, root, "a policy is a map (workload, stages, exec, "
		    "files, egress, listeners, syscalls)");
		ytree_free(root);
		return -EINVAL;
	}
	keys_only(&e, root, top, "the policy");
	doc = json_object();
	if ((w = scalar(&e, ymap_get(root, "workload"), "workload")) == NULL &&
	    ymap_get(root, "workload") == NULL)
		bad(&e, root, "missing \"workload\"");
	json_object_set_new(doc, "workload", json_string(w ? w : ""));
	if ((n = ymap_get(root, "revision")) != NULL) {
		char *end = NULL;
		long long v = n->type == YN_SCALAR && n->plain && n->len > 0 ?
		    strtoll(n->str, &end, 10) : -1;

		if (end == NULL || *end != '\0' || v < 0)
			bad(&e, n, "revision: expected the whole number of the "
			    "revision this file was edited from, not %s%s%s",
			    n->type == YN_SCALAR ? "\"" : "a ",
			    n->type == YN_SCALAR ? n->str : n->type == YN_MAP ?
			    "map" : "list", n->type == YN_SCALAR ? "\"" : "");
		else
			json_object_set_new(doc, "revision", json_integer(v));
	}
	/* Stages: all four, valid names. */
	a = json_object();
	n = ymap_get(root, "stages");
	if (n == NULL || n->type != YN_MAP)
		bad(&e, n ? n : root, "stages: expected a map of exec, file, "
		    "net and syscall to a stage");
	else {
		keys_only(&e, n, dim_keys, "stages");
		for (d = 0; d < WD_NDIMS; d++) {
			const struct ynode *v = ymap_get(n, dim_keys[d]);
			int found = -1;

			if (v == NULL) {
				bad(&e, n, "stages: missing \"%s\"", dim_keys[d]);
				continue;
			}
			for (k = 0; v->str && conf_stage_names[k] != NULL; k++)
				if (strcmp(v->str, conf_stage_names[k]) == 0)
					found = k;
			if (found < 0)
				bad(&e, v, "stages: \"%s\" is not one of "
				    "discovered, learning, alert, enforce",
				    v->str ? v->str : "?");
			else
				json_object_set_new(a, dim_keys[d],
				    json_string(conf_stage_names[found]));
		}
	}
	json_object_set_new(doc, "stages", a);
	/* exec: absolute paths or patterns */
	a = json_array();
	for (i = 0, s = seq(&e, root, "exec"); s != NULL && i < s->n; i++) {
		const char *p = scalar(&e, s->kids[i], "exec");

		if (p != NULL && p[0] != '/')
			bad(&e, s->kids[i], "exec: \"%s\" is not an absolute "
			    "path", p);
		else if (p != NULL)
			json_array_append_new(a, json_string(p));
	}
	json_object_set_new(doc, "exec", a);
	/* files: {path, mode} */
	a = json_array();
	for (i = 0, s = seq(&e, root, "files"); s != NULL && i < s->n; i++) {
		const struct ynode *m = s->kids[i];
		const char *p, *mode;

		if (m->type != YN_MAP) {
			bad(&e, m, "files: each item is a map (path, mode)");
			continue;
		}
		keys_only(&e, m, fkeys, "files");
		p = scalar(&e, ymap_get(m, "path"), "path");
		mode = scalar(&e, ymap_get(m, "mode"), "mode");
		if (ymap_get(m, "path") == NULL || ymap_get(m, "mode") == NULL) {
			bad(&e, m, "files: each item needs path and mode");
			continue;
		}
		/* "@name": an abstract unix socket (reached as a write). */
		if (p != NULL && p[0] != '/' && (p[0] != '@' || p[1] == '\0')) {
			bad(&e, ymap_get(m, "path"), "path: \"%s\" is neither "
			    "absolute nor an abstract socket's @name", p);
			continue;
		}
		if (mode != NULL && strspn(mode, "rwx") != strlen(mode)) {
			bad(&e, ymap_get(m, "mode"), "mode: \"%s\" is not made "
			    "of r, w and x", mode);
			continue;
		}
		if (p != NULL && mode != NULL)
			json_array_append_new(a, json_pack("{s:s, s:s}", "path",
			    p, "mode", mode));
	}
	json_object_set_new(doc, "files", a);
	json_object_set_new(doc, "egress", parse_addrlist(&e, root, "egress",
	    "dest"));
	json_object_set_new(doc, "listeners", parse_addrlist(&e, root,
	    "listeners", "addr"));
	a = json_array();
	for (i = 0, s = seq(&e, root, "syscalls"); s != NULL && i < s->n;
	    i++) {
		const char *sc = scalar(&e, s->kids[i], "syscalls");

		if (sc != NULL && sysnum(sc) < 0)
			bad(&e, s->kids[i], "syscalls: \"%s\" is not a syscall "
			    "of this architecture", sc);
		else if (sc != NULL)
			json_array_append_new(a, json_string(sc));
	}
	json_object_set_new(doc, "syscalls", a);
	ytree_free(root);
	if (e.n > 0) {
		if (e.n > 10 && e.off < e.len)
			snprintf(e.buf + e.off, e.len - e.off, "\n(%d more)",
			    e.n - 10);
		json_decref(doc);
		return -EINVAL;
	}
	*out = doc;
	return 0;
}

/* ---------------------------------------------------------------- broad */

/* Append one reason to why (len bytes, *off used), "; " between them. */
static void
broad_add(char *why, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;

	if (*off >= len)
		return;
	if (*off > 0)
		*off += (size_t)snprintf(why + *off, len - *off, "; ");
	if (*off >= len)
		return;
	va_start(ap, fmt);
	*off += (size_t)vsnprintf(why + *off, len - *off, fmt, ap);
	va_end(ap);
}

/* Does the address or CIDR text cover every address of its family? */
static int
every_addr(const char *a)
{
	const char *sl = strchr(a, '/');

	if (sl != NULL)
		return strcmp(sl, "/0") == 0;
	return strcmp(a, "0.0.0.0") == 0 || strcmp(a, "::") == 0 ||
	    strcmp(a, "*") == 0;
}

int
policy_broad(json_t *doc, char *why, size_t len)
{
	static const char *const anything[] = { "/**", "/*/**", "/**/*",
	    NULL };
	static const struct { const char *sec, *key, *does; } net[2] = {
		{ "egress", "dest", "reaches every address on every port" },
		{ "listeners", "addr", "listens on every port" },
	};
	unsigned char seen[SYSNAMES_MAX] = { 0 };
	size_t i, off = 0;
	json_t *x;
	int k, nr, nseen = 0, nall = 0;

	why[0] = '\0';
	json_array_foreach(json_object_get(doc, "exec"), i, x)
		for (k = 0; anything[k] != NULL; k++)
			if (json_is_string(x) &&
			    strcmp(json_string_value(x), anything[k]) == 0)
				broad_add(why, len, &off, "exec \"%s\" runs "
				    "every program", anything[k]);
	json_array_foreach(json_object_get(doc, "files"), i, x) {
		const char *p = json_string_value(json_object_get(x, "path"));

		for (k = 0; p != NULL && anything[k] != NULL; k++)
			if (strcmp(p, anything[k]) == 0)
				broad_add(why, len, &off, "files \"%s\" (%s) "
				    "opens every file", p, json_string_value(
				    json_object_get(x, "mode")));
	}
	for (k = 0; k < 2; k++)
		json_array_foreach(json_object_get(doc, net[k].sec), i, x) {
			const char *a = json_string_value(json_object_get(x,
			    net[k].key));

			if (a != NULL && every_addr(a) && json_integer_value(
			    json_object_get(x, "port")) == 0)
				broad_add(why, len, &off, "%s \"%s\" port 0 %s",
				    net[k].sec, a, net[k].does);
		}
	json_array_foreach(json_object_get(doc, "syscalls"), i, x)
		if ((nr = sysnum(json_string_value(x))) >= 0 &&
		    nr < SYSNAMES_MAX && !seen[nr]) {
			seen[nr] = 1;
			nseen++;
		}
	for (nr = 0; nr < SYSNAMES_MAX; nr++)
		nall += sysname(nr) != NULL;
	if (nseen > 0 && nseen >= nall)
		broad_add(why, len, &off, "syscalls lists every one of this "
		    "architecture's %d", nall);
	return off > 0;
}

/* ---------------------------------------------------------------- wire */

static int
rule_add(struct wire_policy *p, uint8_t dim, const char *pat, uint32_t mode,
    json_int_t port, const char *proto)
{
	struct wire_rule *nv = realloc(p->rules.v, (p->rules.n + 1) *
	    sizeof(*nv)), *r;

	if (nv == NULL)
		return -ENOMEM;
	p->rules.v = nv;
	r = &nv[p->rules.n];
	memset(r, 0, sizeof(*r));
	r->dim = dim;
	r->mode = mode;
	r->port = (uint16_t)port;
	r->proto = proto == NULL ? 0 : strcmp(proto, "udp") == 0 ? WP_UDP :
	    WP_TCP;
	if ((r->pattern = strdup(pat)) == NULL)
		return -ENOMEM;
	p->rules.n++;
	return 0;
}

int
policy_wire(json_t *doc, const char *yaml, struct wire_policy *p, char *err,
    size_t errlen)
{
	struct wstate st;
	json_t *e;
	size_t i;
	int d, rc = 0;

	memset(p, 0, sizeof(*p));
	snprintf(p->workload, sizeof(p->workload), "%s",
	    json_string_value(json_object_get(doc, "workload")));
	p->rev = (uint64_t)json_integer_value(json_object_get(doc, "revision"));
	policy_stages(doc, &st);
	for (d = 0; d < WD_NDIMS; d++)
		p->modes[d] = (uint8_t)stage_mode(st.dim[d]);
	json_array_foreach(json_object_get(doc, "exec"), i, e)
		rc = rc ? rc : rule_add(p, WD_EXEC, json_string_value(e), 0, 0,
		    NULL);
	json_array_foreach(json_object_get(doc, "files"), i, e) {
		const char *m = json_string_value(json_object_get(e, "mode"));
		uint32_t mode = (strchr(m, 'r') ? WM_READ : 0) |
		    (strchr(m, 'w') ? WM_WRITE : 0) | (strchr(m, 'x') ? WM_EXEC : 0);

		rc = rc ? rc : rule_add(p, WD_FILE, json_string_value(
		    json_object_get(e, "path")), mode, 0, NULL);
	}
	json_array_foreach(json_object_get(doc, "egress"), i, e)
		rc = rc ? rc : rule_add(p, WD_NET, json_string_value(
		    json_object_get(e, "dest")), 0, json_integer_value(
		    json_object_get(e, "port")), json_string_value(
		    json_object_get(e, "proto")));
	json_array_foreach(json_object_get(doc, "listeners"), i, e)
		rc = rc ? rc : rule_add(p, WD_LISTEN, json_string_value(
		    json_object_get(e, "addr")), 0, json_integer_value(
		    json_object_get(e, "port")), json_string_value(
		    json_object_get(e, "proto")));
	json_array_foreach(json_object_get(doc, "syscalls"), i, e) {
		int nr = sysnum(json_string_value(e));

		if (nr >= 0 && nr < WIRE_SYSCALL_BYTES * 8)
			p->syscalls[nr / 8] |= (uint8_t)(1u << (nr % 8));
	}
	if (rc == 0)
		rc = sha256_hex(yaml, p->digest);
	if (rc < 0) {
		snprintf(err, errlen, "cannot build the policy record: %s",
		    strerror(-rc));
		wire_free(WK_POLICY, p);
	}
	return rc;
}

/* ---------------------------------------------------------------- violations */

json_t *
policy_violation_json(const struct wire_violation *v, const char *id)
{
	char when[40];
	json_t *o, *lin = json_array();
	uint32_t i;

	wire_time_iso(v->ts, when, sizeof(when));
	for (i = 0; i < v->lineage.n; i++)
		json_array_append_new(lin, json_pack("{s:i, s:s?, s:s?}", "pid",
		    (int)v->lineage.v[i].pid, "exe", v->lineage.v[i].exe, "args",
		    v->lineage.v[i].args));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:s?, s:s?, "
	    "s:I, s:s, s:i, s:i, s:s?, s:I, s:I, s:o, s:b}", "id", id, "time",
	    when,
	    "host", v->host, "workload", v->workload, "dimension",
	    wire_dim_name(v->dim), "action", wire_action_name(v->action), "rev",
	    (json_int_t)v->rev, "pid", (int)v->pid, "exe", v->exe, "path",
	    v->path, "mode", (json_int_t)v->mode, "addr", v->addr, "port",
	    (int)v->port, "proto", (int)v->proto, "name", v->name, "suppressed",
	    (json_int_t)v->suppressed, "dropped", (json_int_t)v->dropped,
	    "lineage", lin, "accepted", 0);
	if (o != NULL && v->syscall >= 0) {
		json_object_set_new(o, "syscall", json_integer(v->syscall));
		json_object_set_new(o, "syscall_name", json_string(
		    sysname(v->syscall) ? sysname(v->syscall) : "?"));
	}
	return o;
}
