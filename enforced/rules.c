/*
 * rules: what a policy means to the kernel (pure, no I/O but the resolver
 * callback).
 *
 * Net rules become keys of the LPM allow list: (workload id, port or 0 for
 * any, protocol, address) with the rule's prefix length, IPv4 as
 * v4-mapped IPv6 so one trie serves both.  A rule with no protocol gives a
 * key for TCP and one for UDP.  DNS names are resolved by the caller's
 * function (the daemon uses the system resolver at apply time and again
 * periodically: not race-free, see docs/architecture.md).
 */
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "enforced.h"

uint64_t
rules_name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; s[i] != '\0' && i < ENAME_MAX; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
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

void
keyset_free(struct keyset *k)
{
	free(k->v);
	memset(k, 0, sizeof(*k));
}

static int
key_add(struct keyset *ks, uint32_t wid, uint16_t port, uint8_t proto,
    const uint8_t addr[16], int bits)
{
	struct eallow_key *k;

	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 32;
		struct eallow_key *nv = realloc(ks->v, cap * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		ks->v = nv;
		ks->cap = cap;
	}
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
	int rc = 0;

	if (r->proto == 0 || r->proto == WP_TCP)
		rc = key_add(ks, wid, r->port, WP_TCP, addr, bits);
	if (rc == 0 && (r->proto == 0 || r->proto == WP_UDP))
		rc = key_add(ks, wid, r->port, WP_UDP, addr, bits);
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

		if (r->dim != WD_NET || r->pattern == NULL)
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
