/*
 * sha: SHA-256 as lowercase hex, fed in pieces (OpenSSL's EVP underneath).
 * One place for the digests of profiles, policies and the audit chain.
 */
#ifndef PADDOCK_SHA_H
#define PADDOCK_SHA_H

#include <stddef.h>

#define SHA_HEX_LEN	65	/* 64 hex digits + NUL */

struct sha256 {
	void	*ctx;
	int	 err;
};

int	sha256_begin(struct sha256 *s);
/* Errors are remembered and reported by sha256_end(). */
void	sha256_add(struct sha256 *s, const void *p, size_t n);
void	sha256_adds(struct sha256 *s, const char *str);
/* Finish (always frees); 0 with out filled, or -ENOMEM/-EIO. */
int	sha256_end(struct sha256 *s, char out[SHA_HEX_LEN]);
/* The digest of one string. */
int	sha256_hex(const char *str, char out[SHA_HEX_LEN]);

#endif
