/*
 * sha: see sha.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "sha.h"

int
sha256_begin(struct sha256 *s)
{
	s->err = 0;
	if ((s->ctx = EVP_MD_CTX_new()) == NULL)
		return -ENOMEM;
	if (EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(s->ctx);
		s->ctx = NULL;
		return -EIO;
	}
	return 0;
}

void
sha256_add(struct sha256 *s, const void *p, size_t n)
{
	if (s->ctx == NULL || s->err)
		return;
	if (EVP_DigestUpdate(s->ctx, p, n) != 1)
		s->err = -EIO;
}

void
sha256_adds(struct sha256 *s, const char *str)
{
	sha256_add(s, str, strlen(str));
}

int
sha256_end(struct sha256 *s, char out[SHA_HEX_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	int rc = s->ctx == NULL ? -ENOMEM : s->err;

	if (rc == 0 && EVP_DigestFinal_ex(s->ctx, md, &n) != 1)
		rc = -EIO;
	for (i = 0; rc == 0 && i < n && 2 * i + 2 < SHA_HEX_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	EVP_MD_CTX_free(s->ctx);
	s->ctx = NULL;
	return rc;
}

int
sha256_hex(const char *str, char out[SHA_HEX_LEN])
{
	struct sha256 s;
	int rc;

	if ((rc = sha256_begin(&s)) < 0)
		return rc;
	sha256_adds(&s, str);
	return sha256_end(&s, out);
}
