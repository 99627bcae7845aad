/*
 * rules: what a policy means to the kernel (pure, no I/O but the resolver
 * callback).
 *
 * Net rules become keys of the LPM allow list: (workload id, port or 0 for
 * any, protocol, address) with the rule's prefix length, IPv4 as
 * v4-mapped IPv6 so one trie serves both.  A rule with no protocol gives a
 * key for TCP and one for UDP.  Listener rules are keys of the same trie
 * with EPROTO_LISTEN in the protocol, checked at bind().  DNS names are resolved by the caller's
 * function (the daemon uses the system resolver at apply time and again
 * periodically: not race-free, see docs/architecture.md).
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "enforced.h"

/* FNV-1a 64 of n bytes of s from basis h0 (lower-cased when asked). */
static uint64_t
fnv_from(uint64_t h0, const char *s, size_t n, int lower)
{
	uint64_t h = h0;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= lower ? (unsigned char)tolower((unsigned char)s[i]) :
		    (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* FNV-1a 64 of n bytes of s (lower-cased when asked): the kernel's hash. */
static uint64_t
fnv(const char *s, size_t n, int lower)
{
	return fnv_from(0xcbf29ce484222325ULL, s, n, lower);
}

uint64_t
rules_name_hash(const char *s)
{
	return fnv(s, strnlen(s, ENAME_MAX), 0);
}

uint32_t
rules_wid(const char *workload)
{
	uint64_t h = rules_name_hash(workload);
	uint32_t w = (uint32_t)(h ^ (h >> 32));

	return w ? w : 1;
}

int
rules_names(const char *workload, uint8_t wkind, char out[][160], int max)
{
	char esc[160];
	size_t n = strlen(workload);
	int k = 0;

	if (max < 1)
		return 0;
	if (wkind == WL_PADDOCK &&
	    cgroup_escape(workload, esc, sizeof(esc)) == 0) {
		snprintf(out[k++], 160, "paddock-%.140s.slice", esc);
	} else if (wkind == WL_SYSTEMD && n > 8 &&
	    (strcmp(workload + n - 8, ".service") == 0 ||
	    strcmp(workload + n - 6, ".scope") == 0) &&
	    strchr(workload, '/') == NULL) {
		snprintf(out[k++], 160, "%s", workload);
	}
	return k;
}

int
rules_name_keys(const char *workload, uint8_t wkind, uint64_t *out, int max)
{
	static const struct { const char *rt, *pfx; } scopes[] = {
		{ "docker", "docker-" }, { "containerd", "cri-containerd-" },
		{ "containerd", "containerd-" }, { "containerd", "nerdctl-" },
		{ "crio", "crio-" }, { "podman", "libpod-" },
		{ "container", "" },	/* cgroupfs drivers: the bare id */
	};
	char names[2][160], pre[64];
	const char *colon, *hex;
	size_t i, rl;
	int k = 0, n;

	n = rules_names(workload, wkind, names, 2);
	for (i = 0; i < (size_t)n && k < max; i++)
		out[k++] = rules_name_hash(names[i]);
	if (wkind != WL_CONTAINER || (colon = strchr(workload, ':')) == NULL)
		return k;
	hex = colon + 1;
	rl = (size_t)(colon - workload);
	if (strlen(hex) != 12 || strspn(hex, "0123456789abcdef") != 12)
		return k;
	for (i = 0; i < sizeof(scopes) / sizeof(scopes[0]) && k < max; i++) {
		if (strlen(scopes[i].rt) != rl ||
		    strncmp(scopes[i].rt, workload, rl) != 0)
			continue;
		snprintf(pre, sizeof(pre), "%s%s", scopes[i].pfx, hex);
		out[k++] = fnv_from(ENAME_PRE_BASIS, pre, strlen(pre), 0);
	}
	return k;
}

void
keyset_free(struct keyset *k)
{
	free(k->v);
	memset(k, 0, sizeof(*k));
}

static int
grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *nv;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 32;
	if ((nv = realloc(*v, c * size)) == NULL)
		return -ENOMEM;
	*v = nv;
	*cap = c;
	return 0;
}

static int
key_add(struct keyset *ks, uint32_t wid, uint16_t port, uint16_t proto,
    const uint8_t addr[16], int bits)
{
	struct eallow_key *k;
	int rc;

	if ((rc = grow((void **)&ks->v, &ks->cap, ks->n, sizeof(*ks->v))) < 0)
		return rc;
	k = &ks->v[ks->n++];
	memset(k, 0, sizeof(*k));
	k->prefixlen = 64 + (uint32_t)bits;
	k->wid = wid;
	k->port = port;
	k->proto = proto;
	memcpy(k->addr, addr, 16);
	return 0;
}

/* "10.0.0.0/8", "::1", "192.0.2.7" -> v6 address and prefix bits; -1 if a name. */
static int
parse_net(const char *s, uint8_t addr[16], int *bits)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	long len = -1;
	uint8_t v4[4];

	snprintf(buf, sizeof(buf), "%.*s", slash ? (int)(slash - s) :
	    (int)strlen(s), s);
	if (slash != NULL) {
		char *end;

		len = strtol(slash + 1, &end, 10);
		if (*end != '\0' || len < 0)
			return -1;
	}
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, v4) == 1) {
		if (len > 32)
			return -1;
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12, v4, 4);
		*bits = 96 + (len < 0 ? 32 : (int)len);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, addr) == 1) {
		if (len > 128)
			return -1;
		*bits = len < 0 ? 128 : (int)len;
		return 0;
	}
	return -1;
}

static int
add_both(struct keyset *ks, uint32_t wid, const struct wire_rule *r,
    const uint8_t addr[16], int bits)
{
	uint16_t listen = r->dim == WD_LISTEN ? EPROTO_LISTEN : 0;
	int rc = 0;

	if (r->proto == 0 || r->proto == WP_TCP)
		rc = key_add(ks, wid, r->port, WP_TCP | listen, addr, bits);
	if (rc == 0 && (r->proto == 0 || r->proto == WP_UDP))
		rc = key_add(ks, wid, r->port, WP_UDP | listen, addr, bits);
	return rc;
}

int
rules_keys(const struct wire_policy *p, uint32_t wid,
    int (*resolve)(const char *name, char addrs[][48], int max),
    struct keyset *out)
{
	char addrs[32][48];
	uint8_t a[16];
	uint32_t i;
	int bits, unresolved = 0, n, j, rc;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < p->rules.n; i++) {
		const struct wire_rule *r = &p->rules.v[i];

		if ((r->dim != WD_NET && r->dim != WD_LISTEN) ||
		    r->pattern == NULL)
			continue;
		if (parse_net(r->pattern, a, &bits) == 0) {
			if ((rc = add_both(out, wid, r, a, bits)) < 0)
				return rc;
			continue;
		}
		n = resolve != NULL ? resolve(r->pattern, addrs, 32) : 0;
		if (n <= 0)
			unresolved++;
		for (j = 0; j < n; j++)
			if (parse_net(addrs[j], a, &bits) == 0 &&
			    (rc = add_both(out, wid, r, a, bits)) < 0)
				return rc;
	}
	return unresolved;
}

/* ---------------------------------------------------------------- paths */

uint64_t
rules_path_hash(const char *path)
{
	return fnv(path, strlen(path), 0);
}

/*
 * The reference for glob_step() in bpf/enforce_core.h, step for step: "*"
 * matches within one component, a final "/" "**" one or more components.
 */
int
rules_glob(const char *q, const char *p)
{
	int m = (int)strlen(q), n = (int)strlen(p);
	int i = 0, j = 0, si = -1, sj = -1;

	for (;;) {
		char pc = i < n ? p[i] : 0, qc = j < m ? q[j] : 0;

		if (qc == '*' && j + 2 == m && j > 0 && q[j + 1] == '*' &&
		    q[j - 1] == '/') {
			if (i < n)
				return 1;
			goto mismatch;
		}
		if (i >= n) {
			if (j >= m)
				return 1;
			if (qc == '*') {
				j++;
				continue;
			}
			goto mismatch;
		}
		if (qc == '*') {
			si = i;
			sj = j;
			j++;
			continue;
		}
		if (j < m && qc == pc) {
			i++;
			j++;
			continue;
		}
mismatch:
		if (sj >= 0 && si < n && p[si] != '/') {
			si++;
			i = si;
			j = sj + 1;
			continue;
		}
		return 0;
	}
}

void
pathset_free(struct pathset *ps)
{
	free(ps->exact);
	free(ps->pat);
	memset(ps, 0, sizeof(*ps));
}

int
rules_paths(const struct wire_policy *p, uint32_t wid, struct pathset *out)
{
	uint32_t i;
	size_t k;
	int rc;

	memset(out, 0, sizeof(*out));
	out->wid = wid;
	for (i = 0; i < p->rules.n; i++) {
		const struct wire_rule *r = &p->rules.v[i];
		uint32_t dim = r->dim == WD_EXEC ? EDIM_EXEC : EDIM_FILE;
		uint8_t modes = r->dim == WD_EXEC ? EM_EXEC :
		    (uint8_t)(r->mode & (EM_READ | EM_WRITE | EM_EXEC));
		char pat[WIRE_PATH_MAX];
		size_t len;

		if ((r->dim != WD_EXEC && r->dim != WD_FILE) ||
		    r->pattern == NULL ||
		    (r->pattern[0] != '/' && r->pattern[0] != '@'))
			continue;
		/* Wire text to the bytes the kernel sees ("\xff" is 0xff). */
		if (wire_unescape(r->pattern, pat, sizeof(pat)) < 0) {
			out->skipped++;	/* never matches: denies, logged */
			continue;
		}
		len = strlen(pat);
		if (strchr(pat, '*') == NULL) {
			struct eexact_key key = { .wid = wid, .dim = dim,
			    .hash = rules_path_hash(pat) };

			/* One path, several rules: their modes together. */
			for (k = 0; k < out->nexact; k++)
				if (memcmp(&out->exact[k].key, &key,
				    sizeof(key)) == 0)
					break;
			if (k < out->nexact) {
				out->exact[k].modes |= modes;
				continue;
			}
			if ((rc = grow((void **)&out->exact, &out->cexact,
			    out->nexact, sizeof(*out->exact))) < 0)
				return rc;
			out->exact[out->nexact].key = key;
			out->exact[out->nexact++].modes = modes;
			continue;
		}
		if (len >= EPAT_MAX) {
			out->skipped++;	/* never matches: denies, logged */
			continue;
		}
		if ((rc = grow((void **)&out->pat, &out->cpat, out->npat,
		    sizeof(*out->pat))) < 0)
			return rc;
		memset(&out->pat[out->npat], 0, sizeof(out->pat[0]));
		out->pat[out->npat].key.wid = wid;
		out->pat[out->npat].key.dim = (uint16_t)dim;
		out->pat[out->npat].key.idx = (uint16_t)out->npat_dim[dim];
		out->pat[out->npat].v.len = (uint16_t)len;
		out->pat[out->npat].v.modes = modes;
		memcpy(out->pat[out->npat].v.s, pat, len);
		out->npat_dim[dim]++;
		out->npat++;
	}
	return 0;
}

/* ---------------------------------------------------------------- names */

uint64_t
rules_dns_hash(const char *name)
{
	size_t n = strlen(name);

	return fnv(name, n > 0 && name[n - 1] == '.' ? n - 1 : n, 1);
}

void
dnsset_free(struct dnsset *ds)
{
	free(ds->v);
	memset(ds, 0, sizeof(*ds));
}

static int
dns_port(struct edns_rule *r, uint16_t port, uint8_t proto)
{
	uint32_t i;

	for (i = 0; i < r->n; i++)
		if (r->port[i] == port && r->proto[i] == proto)
			return 0;
	if (r->n >= EDNS_PORTS)
		return -ENOSPC;
	r->port[r->n] = port;
	r->proto[r->n++] = proto;
	return 0;
}

int
rules_dns(const struct wire_policy *p, uint32_t wid, uint32_t grace_s,
    struct dnsset *out)
{
	uint8_t a[16];
	uint32_t i;
	size_t k;
	int bits, rc, over = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < p->rules.n; i++) {
		const struct wire_rule *r = &p->rules.v[i];
		struct edns_key key = { .wid = wid };

		if (r->dim != WD_NET || r->pattern == NULL ||
		    parse_net(r->pattern, a, &bits) == 0)
			continue;	/* addresses are keys already */
		key.hash = rules_dns_hash(r->pattern);
		for (k = 0; k < out->n; k++)
			if (out->v[k].key.hash == key.hash)
				break;
		if (k == out->n) {
			if ((rc = grow((void **)&out->v, &out->cap, out->n,
			    sizeof(*out->v))) < 0)
				return rc;
			memset(&out->v[k], 0, sizeof(out->v[k]));
			out->v[k].key = key;
			out->v[k].rule.grace_s = grace_s;
			out->n++;
		}
		if ((r->proto == 0 || r->proto == WP_TCP) &&
		    dns_port(&out->v[k].rule, r->port, WP_TCP) < 0)
			over++;
		if ((r->proto == 0 || r->proto == WP_UDP) &&
		    dns_port(&out->v[k].rule, r->port, WP_UDP) < 0)
			over++;
	}
	return over;	/* port/protocol pairs beyond EDNS_PORTS per name */
}
