/*
 * audit: the hash chain of the audit trail (see audit.c), shared by
 * policyd (the one writer) and paddockctl (audit --verify).
 */
#ifndef PADDOCK_AUDIT_H
#define PADDOCK_AUDIT_H

#include <stddef.h>

#include "wire.h"

/* The hash of an entry: SHA-256 over its fields and the previous hash. */
int	audit_hash(const struct wire_audit *a, char out[WIRE_HASH_MAX]);
/* Chain a new entry after prev (NULL for the first); fills seq, prev, hash. */
int	audit_chain(struct wire_audit *a, const struct wire_audit *prev);
/*
 * Check a trail in stream order.  0 when whole; else the index of the
 * first bad entry plus one, with the reason in err.
 */
size_t	audit_verify(const struct wire_audit *v, size_t n, char *err,
	    size_t errlen);

#define AUDIT_GENESIS	"0000000000000000000000000000000000000000000000000000000000000000"

#endif
