/*
 * gen: generalisation, the step that decides whether a baseline is useful.
 *
 * Two kinds of evidence make a detail volatile, and they are combined:
 *
 *   1. Its characters.  A path component holding a uuid, a long hex id, a
 *      long number, a date, a temp-file name (Python's tmpXXXXXXXX,
 *      mktemp's tmp.XXXXXXXXXX) or a token that reads as random (many short
 *      runs of digits, lower and upper case, as mkstemp's suffixes do) has
 *      that part replaced by "*" at once, on the first sighting
 *      (gen_component).  Words, versions (python3.11, libssl.so.3, v1beta1),
 *      CamelCase names (libQt5Core) and short numbers stay exact.
 *   2. Its siblings (gen_view, files only).  Children of one directory
 *      that differ only in their digits (session-1, session-2, ...), or
 *      only in one run of 6+ characters of which one looks generated
 *      (agent-k2J8sL, agent-kitten, agent-* from rule 1), merge into one
 *      shape (session-*, agent-*) once shape_min of them are seen.  A
 *      directory with fanout distinct children collapses into one pattern
 *      ending in the component "*" (or "**" when the evidence goes deeper);
 *      children that already look volatile count twice toward that
 *      threshold.
 *
 * Guards against over-generalisation: fan-out never collapses "/", a top-
 * level directory, a home directory (/home/<u>, /root) or a process
 * directory (/proc/<pid>, where environ lives); a collapse keeps the
 * access modes apart, so one written file among forty read ones does not
 * make the whole directory writable; executables and exec edges never fan
 * out (an allow list of every binary in /usr/bin would allow everything).
 * Addresses stay exact until cidr_siblings addresses of one /24 (IPv6:
 * /64) share a port, and a DNS name, when known, is the key instead of the
 * address.
 *
 * Patterns: "*" matches within one component, a final "**" component
 * matches one or more components below.  gen_match() is the reference.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiled.h"

/* ---------------------------------------------------------------- tokens */

static int
is_alnum(int c)
{
	return isascii(c) && isalnum(c);
}

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return n > 0;
}

/* v2, 3rc1, v1beta1, 2a, 10post3: versions, not ids. */
static int
version_like(const char *t, size_t n)
{
	static const char *const tags[] = { "alpha", "beta", "rc", "dev",
	    "post", "pre", "a", "b", NULL };
	size_t i = 0, k;

	if (i < n && (t[i] == 'v' || t[i] == 'V'))
		i++;
	if (i >= n || !isdigit((unsigned char)t[i]))
		return 0;
	while (i < n && isdigit((unsigned char)t[i]))
		i++;
	if (i == n)
		return 1;
	for (k = 0; tags[k] != NULL; k++) {
		size_t l = strlen(tags[k]);

		if (n - i >= l && strncmp(t + i, tags[k], l) == 0 &&
		    all_digits(t + i + l, n - i - l) + (i + l == n) > 0)
			return 1;
	}
	return 0;
}

static int
vowel(int c)
{
	return strchr("aeiouyAEIOUY", c) != NULL;
}

/*
 * Does a token (a run of [A-Za-z0-9]) read as random?  Tokens are cut
 * into segments (digit runs, lower-case words, Capitalised words, UPPER
 * runs) and scored: many segments for the length, one-letter segments,
 * vowel-less segments, several digit runs, long consonant runs and few
 * vowels each add to the score.  Words, abbreviations and identifiers
 * (sha256sum, libQt5Core, python311) score low; mkstemp-style tokens
 * (aZ3kPq) score high.  Only tokens with a digit or with mixed case can
 * qualify, so plain words and abbreviations never collapse; hex ids with
 * a digit always do.  The threshold was set on 33,000 real path tokens of
 * a Debian host (2% false positives, mostly tokens like "int64x2") against
 * random tokens (70% caught at 6 characters, 87% at 10); what it misses,
 * sibling shapes catch (gen_view).
 */
/* Character classes of a token; 0, or -1 when it is not alphanumeric. */
struct tclass {
	size_t	digits, lower, upper, hex, vowels, maxcons;
};

static int
classify(const char *t, size_t n, struct tclass *k)
{
	size_t i, cons = 0;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < n; i++) {
		int c = (unsigned char)t[i];

		if (!is_alnum(c))
			return -1;
		k->digits += isdigit(c) != 0;
		k->lower += islower(c) != 0;
		k->upper += isupper(c) != 0;
		k->hex += isxdigit(c) != 0;
		if (!isalpha(c))
			cons = 0;
		else if (vowel(c)) {
			k->vowels++;
			cons = 0;
		} else if (++cons > k->maxcons)
			k->maxcons = cons;
	}
	return 0;
}

int
gen_id_token(const char *t, size_t n)
{
	struct tclass k;

	if (all_digits(t, n))
		return n >= 5;
	if (n < 8 || classify(t, n, &k) < 0)
		return 0;
	return k.hex == n && k.digits > 0 && k.digits < n &&
	    (k.lower == 0 || k.upper == 0);
}

int
gen_random_token(const char *t, size_t n)
{
	struct tclass k;
	size_t i, j, letters, nseg = 0, druns = 0;
	double score = 0;

	if (all_digits(t, n))
		return n >= 5;	/* pids, timestamps; not 3.11 or 2026 */
	if (n < 6 || version_like(t, n) || classify(t, n, &k) < 0)
		return 0;
	letters = k.lower + k.upper;
	if (gen_id_token(t, n))
		return 1;
	if (k.digits == 0 && (k.lower == 0 || k.upper == 0))
		return 0;
	for (i = 0; i < n; i = j) {
		size_t v = 0, len;

		if (isdigit((unsigned char)t[i])) {
			for (j = i; j < n && isdigit((unsigned char)t[j]); j++)
				;
			druns++;
			nseg++;
			continue;
		}
		j = i;
		if (isupper((unsigned char)t[j])) {
			while (j < n && isupper((unsigned char)t[j]))
				j++;
			/* "HTTPServer": HTTP, then Server */
			if (j < n && islower((unsigned char)t[j]) && j - i > 1)
				j--;
			else if (!(j < n && islower((unsigned char)t[j])))
				goto seg;
		}
		while (j < n && islower((unsigned char)t[j]))
			j++;
seg:
		len = j - i;
		for (v = 0; i < j; i++)
			v += vowel((unsigned char)t[i]);
		nseg++;
		if (len == 1)
			score += 0.7;
		else if (v == 0)
			score += 0.8;
	}
	score += 4.0 * (double)nseg / (double)n;
	if (druns > 1)
		score += 0.7 * (double)(druns - 1);
	if (k.maxcons >= 5)
		score += 1.0;
	else if (k.maxcons == 4)
		score += 0.5;
	if (letters >= 5 && (double)k.vowels / (double)letters < 0.15)
		score += 1.0;
	return score >= 3.5;
}

static int
hexrun(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Length of a uuid at s (8-4-4-4-12 hex), or 0. */
static size_t
uuid_at(const char *s, size_t n)
{
	static const size_t part[] = { 8, 4, 4, 4, 12 };
	size_t i, o = 0;

	for (i = 0; i < 5; i++) {
		if (o + part[i] > n || !hexrun(s + o, part[i]))
			return 0;
		o += part[i];
		if (i < 4) {
			if (o >= n || s[o] != '-')
				return 0;
			o++;
		}
	}
	if (o < n && is_alnum(s[o]))
		return 0;
	return o;
}

static int
dig2(const char *s, size_t n, size_t o, int lo, int hi)
{
	int v;

	if (o + 2 > n || !isdigit((unsigned char)s[o]) ||
	    !isdigit((unsigned char)s[o + 1]))
		return -1;
	v = (s[o] - '0') * 10 + (s[o + 1] - '0');
	return v >= lo && v <= hi ? v : -1;
}

static int
is_sep(int c)
{
	return c == '-' || c == '_' || c == '.' || c == ':';
}

/*
 * Length of a date (and optional time) at s: YYYY[-_.]MM[-_.]DD, then
 * optionally [T_-]hh[-:.]mm[[-:.]ss][.frac][Z].  0 when none.
 */
static size_t
date_at(const char *s, size_t n)
{
	size_t o = 0, save;
	int sep;

	if (n < 8 || !(strncmp(s, "19", 2) == 0 || strncmp(s, "20", 2) == 0) ||
	    dig2(s, n, 2, 0, 99) < 0)
		return 0;
	o = 4;
	sep = o < n && is_sep(s[o]) ? s[o] : 0;
	o += sep != 0;
	if (dig2(s, n, o, 1, 12) < 0)
		return 0;
	o += 2;
	if (sep != 0) {
		if (o >= n || s[o] != sep)
			return 0;
		o++;
	}
	if (dig2(s, n, o, 1, 31) < 0)
		return 0;
	o += 2;
	/* Time of day, when present. */
	save = o;
	if (o < n && (s[o] == 'T' || s[o] == '_' || s[o] == '-'))
		o++;
	if (dig2(s, n, o, 0, 23) >= 0) {
		o += 2;
		if (o < n && is_sep(s[o]))
			o++;
		if (dig2(s, n, o, 0, 59) >= 0) {
			o += 2;
			save = o;
			if (o < n && is_sep(s[o]))
				o++;
			if (dig2(s, n, o, 0, 60) >= 0) {
				o += 2;
				save = o;
				if (o + 1 < n && (s[o] == '.' || s[o] == ',') &&
				    isdigit((unsigned char)s[o + 1])) {
					o++;
					while (o < n && isdigit((unsigned char)s[o]))
						o++;
					save = o;
				}
			}
		}
	}
	o = save;
	if (o < n && s[o] == 'Z')
		o++;
	if (o < n && isdigit((unsigned char)s[o]))
		return 0;
	return o;
}

/* Append to out, keeping one "*" for runs of them. */
static int
put(char *out, size_t outlen, size_t *o, const char *s, size_t n)
{
	if (n == 1 && s[0] == '*' && *o > 0 && out[*o - 1] == '*')
		return 0;
	if (*o + n >= outlen)
		return -ENAMETOOLONG;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return 0;
}

static int
tmpname(const char *c, size_t len, size_t *skip)
{
	size_t i;

	/* mktemp(1): tmp.XXXXXXXXXX */
	if (len >= 14 && strncmp(c, "tmp.", 4) == 0) {
		for (i = 4; i < 14 && is_alnum(c[i]); i++)
			;
		if (i == 14 && (len == 14 || !is_alnum(c[14]))) {
			*skip = 14;
			return 4;	/* keep "tmp." */
		}
	}
	/* Python tempfile: tmp + 8 of [a-z0-9_] */
	if (len >= 11 && strncmp(c, "tmp", 3) == 0) {
		for (i = 3; i < 11 && (islower((unsigned char)c[i]) ||
		    isdigit((unsigned char)c[i]) || c[i] == '_'); i++)
			;
		if (i == 11 && (len == 11 || c[11] == '.')) {
			*skip = 11;
			return 3;	/* keep "tmp" */
		}
	}
	return 0;
}

int
gen_component(const char *c, size_t len, unsigned flags, char *out,
    size_t outlen)
{
	int in_proc = (flags & GEN_PROC) != 0;
	size_t i = 0, o = 0, k, skip;
	int changed = 0, keep;

	if (outlen == 0)
		return -EINVAL;
	out[0] = '\0';
	if ((in_proc && all_digits(c, len)) || (all_digits(c, len) && len >= 4))
		return put(out, outlen, &o, "*", 1) < 0 ? -ENAMETOOLONG : 1;
	if ((keep = tmpname(c, len, &skip)) > 0) {
		if (put(out, outlen, &o, c, (size_t)keep) < 0 ||
		    put(out, outlen, &o, "*", 1) < 0)
			return -ENAMETOOLONG;
		i = skip;
		changed = 1;
	}
	while (i < len) {
		if ((k = uuid_at(c + i, len - i)) > 0 ||
		    (k = date_at(c + i, len - i)) > 0) {
			if (put(out, outlen, &o, "*", 1) < 0)
				return -ENAMETOOLONG;
			i += k;
			changed = 1;
			continue;
		}
		if (!is_alnum(c[i])) {
			if (put(out, outlen, &o, c + i, 1) < 0)
				return -ENAMETOOLONG;
			i++;
			continue;
		}
		for (k = i; k < len && is_alnum(c[k]); k++)
			;
		if ((flags & GEN_STRICT) ? gen_id_token(c + i, k - i) :
		    gen_random_token(c + i, k - i)) {
			if (put(out, outlen, &o, "*", 1) < 0)
				return -ENAMETOOLONG;
			changed = 1;
		} else if (put(out, outlen, &o, c + i, k - i) < 0)
			return -ENAMETOOLONG;
		i = k;
	}
	return changed;
}

int
gen_path(const char *path, char *out, size_t outlen)
{
	return gen_path_ex(path, 0, out, outlen);
}

int
gen_path_ex(const char *path, unsigned flags, char *out, size_t outlen)
{
	char comp[WIRE_PATH_MAX];
	size_t o = 0, i = 0, n = strlen(path);
	int changed = 0, rc, in_proc;

	if (n == 0 || path[0] != '/')
		return -EINVAL;
	if (n >= outlen || n >= WIRE_PATH_MAX)
		return -ENAMETOOLONG;
	in_proc = strncmp(path, "/proc/", 6) == 0;
	out[0] = '\0';
	while (i < n) {
		size_t j;

		/* i is at a '/' */
		for (j = i + 1; j < n && path[j] != '/'; j++)
			;
		if (put(out, outlen, &o, "/", 1) < 0)
			return -ENAMETOOLONG;
		if (j > i + 1) {
			unsigned cf = in_proc ? GEN_PROC : 0;

			if (j == n && (flags & GEN_STRICT_LAST))
				cf |= GEN_STRICT;
			if ((rc = gen_component(path + i + 1, j - i - 1,
			    cf, comp, sizeof(comp))) < 0)
				return rc;
			changed |= rc;
			if (o + strlen(comp) >= outlen)
				return -ENAMETOOLONG;
			memcpy(out + o, comp, strlen(comp) + 1);
			o += strlen(comp);
		}
		i = j;
	}
	return changed;
}

int
gen_name(const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name), i = 0, o = 0, labels = 0, l;
	int changed = 0;

	if (n >= outlen)
		return -ENAMETOOLONG;
	for (i = 0; i < n; i++)
		labels += name[i] == '.';
	labels++;
	i = 0;
	out[0] = '\0';
	for (l = 0; l < labels; l++) {
		size_t j;

		for (j = i; j < n && name[j] != '.'; j++)
			;
		/* The registrable part (last two labels) stays as it is. */
		if (l + 2 < labels && (gen_random_token(name + i, j - i) ||
		    uuid_at(name + i, j - i) == j - i)) {
			if (put(out, outlen, &o, "*", 1) < 0)
				return -ENAMETOOLONG;
			changed = 1;
		} else if (put(out, outlen, &o, name + i, j - i) < 0)
			return -ENAMETOOLONG;
		if (j < n && put(out, outlen, &o, ".", 1) < 0)
			return -ENAMETOOLONG;
		i = j + 1;
	}
	return changed;
}

/* ---------------------------------------------------------------- match */

static int
match_comp(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t i;

	if (pn == 0)
		return sn == 0;
	if (p[0] == '*') {
		for (i = 0; i <= sn; i++)
			if (match_comp(p + 1, pn - 1, s + i, sn - i))
				return 1;
		return 0;
	}
	return sn > 0 && p[0] == s[0] && match_comp(p + 1, pn - 1, s + 1, sn - 1);
}

int
gen_match(const char *p, const char *s)
{
	for (;;) {
		const char *pe, *se;

		if (*p == '\0' || *s == '\0')
			return *p == '\0' && *s == '\0';
		if (*p != '/' || *s != '/')
			return 0;
		p++;
		s++;
		if (strcmp(p, "**") == 0)
			return *s != '\0';
		pe = strchrnul(p, '/');
		se = strchrnul(s, '/');
		if (!match_comp(p, (size_t)(pe - p), s, (size_t)(se - s)))
			return 0;
		p = pe;
		s = se;
	}
}

/* ---------------------------------------------------------------- guards */

int
gen_dir_collapsible(const char *dir)
{
	size_t depth = 0;
	const char *s;
	char first[64];

	for (s = dir; *s; s++)
		depth += *s == '/' && s[1] != '\0';
	if (depth < 2)
		return 0;	/* "/", "/etc", "/tmp", "/root" ... */
	s = strchr(dir + 1, '/');
	snprintf(first, sizeof(first), "%.*s", (int)(s - dir - 1), dir + 1);
	if (depth == 2 && (strcmp(first, "home") == 0 ||
	    strcmp(first, "proc") == 0 || strcmp(first, "Users") == 0))
		return 0;	/* a home, or one process's directory */
	if (depth == 3 && strcmp(first, "var") == 0 &&
	    strncmp(dir, "/var/home/", 10) == 0)
		return 0;
	return 1;
}

/* ---------------------------------------------------------------- trie */

struct node {
	char		*name;
	struct node	**kids;
	size_t		 nkids, cap;
	size_t		*leaves;	/* indices into the file entry array */
	size_t		 nleaves, lcap;
};

static void
node_free(struct node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->leaves);
	free(n->name);
	free(n);
}

static struct node *
node_new(const char *name, size_t len)
{
	struct node *n = calloc(1, sizeof(*n));

	if (n == NULL || (n->name = strndup(name, len)) == NULL) {
		free(n);
		return NULL;
	}
	return n;
}

static int
kid_push(struct node *p, struct node *k)
{
	if (p->nkids == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4;
		struct node **nv = realloc(p->kids, cap * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		p->kids = nv;
		p->cap = cap;
	}
	p->kids[p->nkids++] = k;
	return 0;
}

static int
leaf_push(struct node *n, size_t idx)
{
	if (n->nleaves == n->lcap) {
		size_t cap = n->lcap ? n->lcap * 2 : 2;
		size_t *nv = realloc(n->leaves, cap * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		n->leaves = nv;
		n->lcap = cap;
	}
	n->leaves[n->nleaves++] = idx;
	return 0;
}

static struct node *
kid_get(struct node *p, const char *name, size_t len, int create)
{
	struct node *k;
	size_t i;

	for (i = 0; i < p->nkids; i++)
		if (strncmp(p->kids[i]->name, name, len) == 0 &&
		    p->kids[i]->name[len] == '\0')
			return p->kids[i];
	if (!create || (k = node_new(name, len)) == NULL)
		return NULL;
	if (kid_push(p, k) < 0) {
		node_free(k);
		return NULL;
	}
	return k;
}

/*
 * Insert one path of a run sorted by path_cmp.  There, the paths under a
 * directory are contiguous ("/x/app", "/x/app/y", then "/x/app.log": '/'
 * sorts before any other byte), so a component is either the last kid
 * made under its parent or a new one: no search, whatever the fan-out.
 */
static int
path_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned x = *a == '/' ? 1 : (unsigned char)*a + 1u;
		unsigned y = *b == '/' ? 1 : (unsigned char)*b + 1u;

		if (*a == '\0' || *b == '\0' || x != y)
			return *a == '\0' || *b == '\0' ?
			    (*a != '\0') - (*b != '\0') : (int)x - (int)y;
	}
}

static int
ord_cmp(const void *a, const void *b, void *files)
{
	const struct pentry *f = files;

	return path_cmp(f[*(const size_t *)a].key, f[*(const size_t *)b].key);
}

static int
trie_insert(struct node *root, const char *path, size_t idx)
{
	const char *s = path;
	struct node *n = root, *k;

	while (*s == '/') {
		const char *e;
		size_t len;

		s++;
		if (*s == '\0')
			break;
		e = strchrnul(s, '/');
		len = (size_t)(e - s);
		k = n->nkids > 0 ? n->kids[n->nkids - 1] : NULL;
		if (k == NULL || strncmp(k->name, s, len) != 0 ||
		    k->name[len] != '\0') {
			if ((k = node_new(s, len)) == NULL)
				return -ENOMEM;
			if (kid_push(n, k) < 0) {
				node_free(k);
				return -ENOMEM;
			}
		}
		n = k;
		s = e;
	}
	return leaf_push(n, idx);
}

/* Move everything of src into dst (same position in the tree). */
static int
node_absorb(struct node *dst, struct node *src)
{
	size_t i;

	for (i = 0; i < src->nleaves; i++)
		if (leaf_push(dst, src->leaves[i]) < 0)
			return -ENOMEM;
	for (i = 0; i < src->nkids; i++) {
		struct node *k = src->kids[i], *d;

		d = kid_get(dst, k->name, strlen(k->name), 0);
		if (d == NULL) {
			if (kid_push(dst, k) < 0)
				return -ENOMEM;
		} else {
			if (node_absorb(d, k) < 0)
				return -ENOMEM;
			node_free(k);
		}
		src->kids[i] = NULL;
	}
	src->nkids = 0;
	return 0;
}

/*
 * Sibling shapes.  A shape function maps a name to a pattern plus a
 * grouping key (the pattern, and whatever else must match); children with
 * one key merge into one child named by the pattern once shape_min of them
 * exist.
 */
typedef int shape_fn(const char *name, int arg, char *key, size_t keylen,
    size_t *patlen);

/* "session-12.log" -> "session-*.log"; 0 when there are no digits. */
/* Digits vary: always a strong signal (2). */
static int
shape_digits(const char *name, int arg, char *out, size_t outlen,
    size_t *patlen)
{
	size_t i, o = 0;
	int digits = 0;

	out[0] = '\0';
	for (i = 0; name[i] != '\0'; i++) {
		if (isdigit((unsigned char)name[i])) {
			digits = 1;
			while (isdigit((unsigned char)name[i + 1]))
				i++;
			if (put(out, outlen, &o, "*", 1) < 0)
				return -ENAMETOOLONG;
		} else if (put(out, outlen, &o, name + i, 1) < 0)
			return -ENAMETOOLONG;
	}
	*patlen = o;
	return digits ? 2 : 0;
}

/*
 * "agent-k2J8sL" -> "agent-*": names that differ only in the arg-th
 * alphanumeric run, 6 or more characters long (mkstemp's XXXXXX, fixed or
 * variable-width ids).  A run that already collapsed ("agent-*") takes
 * part, so what the character rules caught and what they missed meet.
 */
static int
mixed_run(const char *t, size_t n)
{
	size_t i, d = 0, l = 0, u = 0;

	for (i = 0; i < n; i++) {
		d += isdigit((unsigned char)t[i]) != 0;
		l += islower((unsigned char)t[i]) != 0;
		u += isupper((unsigned char)t[i]) != 0;
	}
	return (d > 0 && d < n) || (l > 0 && u > 0);
}

/*
 * Returns 2 when the varying run itself looks generated (a digit, mixed
 * case, or an earlier collapse), 1 when it is a plain word: a group merges
 * only if one of its members returned 2, so LC_MESSAGES and LC_ADDRESS stay
 * apart while agent-k2J8sL, agent-kitten and agent-Qwerty do not.
 */
static int
shape_token(const char *name, int arg, char *out, size_t outlen,
    size_t *patlen)
{
	size_t i = 0, o = 0, k, run = 0;
	int found = 0;

	out[0] = '\0';
	while (name[i] != '\0') {
		if (!is_alnum(name[i]) && name[i] != '*') {
			if (put(out, outlen, &o, name + i, 1) < 0)
				return -ENAMETOOLONG;
			i++;
			continue;
		}
		for (k = i; is_alnum(name[k]) || name[k] == '*'; k++)
			;
		if ((int)run++ == arg && (k - i >= 6 ||
		    (k - i == 1 && name[i] == '*'))) {
			if (k - i == 1)
				found = 2;
			else if (memchr(name + i, '*', k - i) == NULL)
				found = mixed_run(name + i, k - i) ? 2 : 1;
			if (put(out, outlen, &o, "*", 1) < 0)
				return -ENAMETOOLONG;
		} else if (put(out, outlen, &o, name + i, k - i) < 0)
			return -ENAMETOOLONG;
		i = k;
	}
	*patlen = o;
	return found;
}

struct skey {
	char		 key[256];
	size_t		 patlen;
	size_t		 idx;
	int		 strong;	/* the shape function said 2 */
};

static int
skey_cmp(const void *a, const void *b)
{
	const struct skey *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->idx < y->idx ? -1 : x->idx > y->idx);
}

/* Fold children with equal names (after renames) into one. */
static int
fold_equal(struct node *n)
{
	size_t i, j;
	int rc;

	for (i = 0; i < n->nkids; i++)
		for (j = i + 1; j < n->nkids; j++)
			if (strcmp(n->kids[i]->name, n->kids[j]->name) == 0) {
				if ((rc = node_absorb(n->kids[i], n->kids[j])) < 0)
					return rc;
				node_free(n->kids[j]);
				memmove(&n->kids[j], &n->kids[j + 1],
				    (n->nkids - j - 1) * sizeof(*n->kids));
				n->nkids--;
				j--;
			}
	return 0;
}

static int
shape_merge_by(struct node *n, uint32_t shape_min, shape_fn *fn, int arg)
{
	struct skey *k;
	size_t i, j, m = 0, g;
	int rc = 0, merged = 0;

	if (n->nkids < shape_min || shape_min < 2)
		return 0;
	if ((k = calloc(n->nkids, sizeof(*k))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n->nkids; i++) {
		int r = fn(n->kids[i]->name, arg, k[m].key, sizeof(k[m].key),
		    &k[m].patlen);

		if (r > 0) {
			k[m].idx = i;
			k[m].strong = r == 2;
			m++;
		}
	}
	qsort(k, m, sizeof(*k), skey_cmp);
	for (i = 0; i < m; i = g) {
		struct node *into;

		int strong = k[i].strong;

		for (g = i + 1; g < m && strcmp(k[g].key, k[i].key) == 0; g++)
			strong |= k[g].strong;
		if (g - i < shape_min || !strong)
			continue;
		/* Rename the first to the pattern, fold the others into it. */
		into = n->kids[k[i].idx];
		free(into->name);
		if ((into->name = strndup(k[i].key, k[i].patlen)) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		for (j = i + 1; j < g; j++) {
			if ((rc = node_absorb(into, n->kids[k[j].idx])) < 0)
				goto out;
			node_free(n->kids[k[j].idx]);
			n->kids[k[j].idx] = NULL;
		}
		merged = 1;
	}
out:
	/* Drop the holes; a pattern may now equal an existing name. */
	for (i = j = 0; i < n->nkids; i++)
		if (n->kids[i] != NULL)
			n->kids[j++] = n->kids[i];
	n->nkids = j;
	free(k);
	if (rc == 0 && merged)
		rc = fold_equal(n);
	return rc;
}

static int
shape_merge(struct node *n, uint32_t shape_min)
{
	int rc, run;

	if ((rc = shape_merge_by(n, shape_min, shape_digits, 0)) < 0)
		return rc;
	for (run = 0; run < 4 && rc == 0; run++)
		rc = shape_merge_by(n, shape_min, shape_token, run);
	return rc;
}

struct gleaf {
	size_t		 idx;
	size_t		 depth;		/* below the collapsing directory */
};

static int
gather(const struct node *n, size_t depth, struct gleaf **v, size_t *nv,
    size_t *cap)
{
	size_t i;

	for (i = 0; i < n->nleaves; i++) {
		if (*nv == *cap) {
			size_t c = *cap ? *cap * 2 : 32;
			struct gleaf *x = realloc(*v, c * sizeof(*x));

			if (x == NULL)
				return -ENOMEM;
			*v = x;
			*cap = c;
		}
		(*v)[(*nv)++] = (struct gleaf){ n->leaves[i], depth };
	}
	for (i = 0; i < n->nkids; i++)
		if (gather(n->kids[i], depth + 1, v, nv, cap) < 0)
			return -ENOMEM;
	return 0;
}

struct walk {
	const struct gen_conf	*gc;
	const struct pentry	*files;	/* the file entries */
	struct pset		*out;
};

static int
emit_as(struct walk *w, size_t idx, const char *key)
{
	struct pentry e = w->files[idx];

	e.key = (char *)key;
	return pset_add(w->out, &e);
}

/* Collapse dir: one entry per access mode held by enough leaves. */
static int
collapse(struct walk *w, const struct node *n, const char *dir)
{
	struct gleaf *v = NULL;
	size_t nv = 0, cap = 0, i, j;
	uint32_t min = w->gc->fanout / 2 < 2 ? 2 : w->gc->fanout / 2;
	char pat[WIRE_PATH_MAX];
	int rc;

	if ((rc = gather(n, 0, &v, &nv, &cap)) < 0)
		goto out;
	for (i = 0; i < nv; i++) {
		uint32_t mode;
		size_t same = 0, deep = 0;

		if (v[i].idx == (size_t)-1)
			continue;
		mode = w->files[v[i].idx].mode;
		for (j = i; j < nv; j++)
			if (v[j].idx != (size_t)-1 &&
			    w->files[v[j].idx].mode == mode) {
				same++;
				deep |= v[j].depth > 1;
			}
		if (same < min) {
			/* Too few of this mode: keep them exact. */
			for (j = i; j < nv; j++)
				if (v[j].idx != (size_t)-1 &&
				    w->files[v[j].idx].mode == mode) {
					if ((rc = emit_as(w, v[j].idx,
					    w->files[v[j].idx].key)) < 0)
						goto out;
					v[j].idx = (size_t)-1;
				}
			continue;
		}
		snprintf(pat, sizeof(pat), "%s/%s", strcmp(dir, "/") ? dir : "",
		    deep ? "**" : "*");
		for (j = i; j < nv; j++)
			if (v[j].idx != (size_t)-1 &&
			    w->files[v[j].idx].mode == mode) {
				if ((rc = emit_as(w, v[j].idx, pat)) < 0)
					goto out;
				v[j].idx = (size_t)-1;
			}
	}
	rc = 0;
out:
	free(v);
	return rc;
}

static int
walk(struct walk *w, struct node *n, const char *dir)
{
	char sub[WIRE_PATH_MAX];
	size_t i, weight = 0;
	int rc;

	if ((rc = shape_merge(n, w->gc->shape_min)) < 0)
		return rc;
	for (i = 0; i < n->nkids; i++)
		weight += strpbrk(n->kids[i]->name, "*0123456789") ? 2 : 1;
	if (weight >= w->gc->fanout && gen_dir_collapsible(dir)) {
		/* The directory's own entries (opened as such) stay exact. */
		for (i = 0; i < n->nleaves; i++)
			if ((rc = emit_as(w, n->leaves[i], dir)) < 0)
				return rc;
		n->nleaves = 0;
		return collapse(w, n, dir);
	}
	for (i = 0; i < n->nleaves; i++)
		if ((rc = emit_as(w, n->leaves[i], dir)) < 0)
			return rc;
	for (i = 0; i < n->nkids; i++) {
		int len = snprintf(sub, sizeof(sub), "%s/%s",
		    strcmp(dir, "/") ? dir : "", n->kids[i]->name);

		if (len < 0 || (size_t)len >= sizeof(sub))
			return -ENAMETOOLONG;
		if ((rc = walk(w, n->kids[i], sub)) < 0)
			return rc;
	}
	return 0;
}

/* ---------------------------------------------------------------- cidr */

/* "a.b.c.0/24" or "x:x:x:x::/64" for addr; 0, or -1 if not an address. */
static int
prefix_of(const char *addr, char *out, size_t outlen)
{
	unsigned char b[16];

	if (inet_pton(AF_INET, addr, b) == 1) {
		snprintf(out, outlen, "%u.%u.%u.0/24", b[0], b[1], b[2]);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, b) == 1) {
		char s[INET6_ADDRSTRLEN];

		memset(b + 8, 0, 8);
		inet_ntop(AF_INET6, b, s, sizeof(s));
		snprintf(out, outlen, "%s/64", s);
		return 0;
	}
	return -1;
}

static int
cidr(const struct pset *net, uint32_t siblings, struct pset *out)
{
	char (*pre)[WIRE_ADDR_MAX + 8];
	size_t i, j;
	int rc = 0;

	if ((pre = calloc(net->n + 1, sizeof(*pre))) == NULL)
		return -ENOMEM;
	for (i = 0; i < net->n; i++)
		if (prefix_of(net->v[i].key, pre[i], sizeof(pre[i])) < 0)
			pre[i][0] = '\0';	/* a name */
	for (i = 0; i < net->n && rc == 0; i++) {
		size_t same = 0;
		struct pentry e = net->v[i];

		if (pre[i][0] != '\0')
			for (j = 0; j < net->n; j++)
				same += strcmp(pre[i], pre[j]) == 0 &&
				    net->v[j].port == e.port &&
				    net->v[j].proto == e.proto;
		if (same >= siblings)
			e.key = pre[i];
		rc = pset_add(out, &e);
	}
	free(pre);
	return rc;
}

/* ---------------------------------------------------------------- view */

int
gen_view(const struct pset *raw, const struct gen_conf *gc, struct pset *view)
{
	struct pset files = { 0 }, net = { 0 };
	struct node *root = NULL;
	struct walk w;
	size_t i, *ord = NULL;
	int rc = -ENOMEM;

	memset(view, 0, sizeof(*view));
	for (i = 0; i < raw->n; i++) {
		const struct pentry *e = &raw->v[i];

		if (e->dim == WD_FILE && e->key != NULL && e->key[0] == '/')
			rc = pset_add(&files, e);
		else if (e->dim == WD_NET)
			rc = pset_add(&net, e);
		else
			rc = pset_add(view, e);
		if (rc < 0)
			goto out;
	}
	if ((rc = cidr(&net, gc->cidr_siblings, view)) < 0)
		goto out;
	if ((root = node_new("", 0)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (files.n > 0 && (ord = calloc(files.n, sizeof(*ord))) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < files.n; i++)
		ord[i] = i;
	qsort_r(ord, files.n, sizeof(*ord), ord_cmp, files.v);
	for (i = 0; i < files.n; i++)
		if ((rc = trie_insert(root, files.v[ord[i]].key, ord[i])) < 0)
			goto out;
	w.gc = gc;
	w.files = files.v;
	w.out = view;
	if ((rc = walk(&w, root, "/")) < 0)
		goto out;
	rc = pset_normalize(view);
out:
	free(ord);
	node_free(root);
	pset_free(&files);
	pset_free(&net);
	if (rc < 0)
		pset_free(view);
	return rc;
}
