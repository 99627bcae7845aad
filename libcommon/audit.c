/*
 * audit: the tamper-evident trail.  Every entry carries a sequence number
 * and the hash of the entry before it; its own hash covers all its fields
 * and that previous hash:
 *
 *   hash = SHA-256(seq \n ts \n actor \n workload \n action \n before \n
 *                  after \n reason \n prev)
 *
 * so editing an entry changes its hash (and breaks the next entry's
 * prev), removing one leaves a gap in seq and a prev that points nowhere,
 * and reordering breaks both.  policyd is the only writer; it resumes the
 * chain from the last entry on start-up.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "sha.h"

int
audit_hash(const struct wire_audit *a, char out[WIRE_HASH_MAX])
{
	const char *parts[8];
	struct sha256 h;
	char head[64];
	int k, rc;

	parts[0] = a->actor ? a->actor : "";
	parts[1] = a->workload;
	parts[2] = a->action ? a->action : "";
	parts[3] = a->before ? a->before : "";
	parts[4] = a->after ? a->after : "";
	parts[5] = a->reason ? a->reason : "";
	parts[6] = a->prev;
	parts[7] = NULL;
	if ((rc = sha256_begin(&h)) < 0)
		return rc;
	snprintf(head, sizeof(head), "%llu\n%llu\n", (unsigned long long)a->seq,
	    (unsigned long long)a->ts);
	sha256_adds(&h, head);
	for (k = 0; parts[k] != NULL; k++) {
		sha256_adds(&h, parts[k]);
		sha256_add(&h, "\n", 1);
	}
	return sha256_end(&h, out);
}

int
audit_chain(struct wire_audit *a, const struct wire_audit *prev)
{
	a->seq = prev ? prev->seq + 1 : 1;
	snprintf(a->prev, sizeof(a->prev), "%s", prev ? prev->hash :
	    AUDIT_GENESIS);
	return audit_hash(a, a->hash);
}

size_t
audit_verify(const struct wire_audit *v, size_t n, char *err, size_t errlen)
{
	char h[WIRE_HASH_MAX];
	size_t i;

	for (i = 0; i < n; i++) {
		const char *want = i ? v[i - 1].hash : AUDIT_GENESIS;

		if (audit_hash(&v[i], h) < 0) {
			snprintf(err, errlen, "entry %zu: cannot hash", i + 1);
			return i + 1;
		}
		if (strcmp(h, v[i].hash) != 0) {
			snprintf(err, errlen, "entry %zu (seq %llu, %s %s): its "
			    "content was changed (hash mismatch)", i + 1,
			    (unsigned long long)v[i].seq, v[i].action ?
			    v[i].action : "?", v[i].workload);
			return i + 1;
		}
		if (v[i].seq != (i ? v[i - 1].seq + 1 : 1) ||
		    strcmp(v[i].prev, want) != 0) {
			snprintf(err, errlen, "entry %zu (seq %llu): does not "
			    "follow entry %zu (seq %llu): an entry was removed "
			    "or the order changed", i + 1,
			    (unsigned long long)v[i].seq, i,
			    (unsigned long long)(i ? v[i - 1].seq : 0));
			return i + 1;
		}
	}
	return 0;
}
