/*
 * opauth: see opauth.h.  The key is read per command (a key removed or
 * replaced takes effect at once, and nothing secret stays in memory).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "opauth.h"

const char *
opauth_dir(const char *state_dir, char *buf, size_t len)
{
	snprintf(buf, len, "%s/operators", state_dir);
	return buf;
}

int
opauth_valid_name(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > 64 || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '.' ||
		    name[i] == '_' || name[i] == '-'))
			return 0;
	return 1;
}

static int
key_path(const char *dir, const char *name, char *buf, size_t len,
    char *err, size_t errlen)
{
	if (name == NULL || !opauth_valid_name(name)) {
		snprintf(err, errlen, "\"%s\" is not an operator name",
		    name ? name : "");
		return -EINVAL;
	}
	snprintf(buf, len, "%s/%s.key", dir, name);
	return 0;
}

/* The key in path, decoded from hex. */
static int
key_read(const char *path, unsigned char key[OPAUTH_KEY_BYTES], char *err,
    size_t errlen)
{
	char hex[2 * OPAUTH_KEY_BYTES + 2];
	ssize_t n;
	int fd, i;
	unsigned v;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	n = read(fd, hex, sizeof(hex) - 1);
	close(fd);
	if (n < 2 * OPAUTH_KEY_BYTES) {
		snprintf(err, errlen, "%s: not a key", path);
		return -EINVAL;
	}
	for (i = 0; i < OPAUTH_KEY_BYTES; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			snprintf(err, errlen, "%s: not a key", path);
			return -EINVAL;
		}
		key[i] = (unsigned char)v;
	}
	return 0;
}

int
opauth_keygen(const char *dir, const char *name, char *err, size_t errlen)
{
	unsigned char key[OPAUTH_KEY_BYTES];
	char path[600], hex[2 * OPAUTH_KEY_BYTES + 2];
	struct group *g = getgrnam("paddock");
	int fd, i, rc;

	if ((rc = key_path(dir, name, path, sizeof(path), err, errlen)) < 0)
		return rc;
	if (access(path, F_OK) == 0)
		return 0;
	if (mkdir(dir, g ? 0750 : 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	if (g != NULL && chown(dir, 0, g->gr_gid) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	if (RAND_bytes(key, sizeof(key)) != 1) {
		snprintf(err, errlen, "no random bytes for a key");
		return -EIO;
	}
	for (i = 0; i < OPAUTH_KEY_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	hex[2 * OPAUTH_KEY_BYTES] = '\n';
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    g ? 0640 : 0600)) < 0) {
		if (errno == EEXIST)
			return 0;	/* made by another, meanwhile */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	rc = write(fd, hex, 2 * OPAUTH_KEY_BYTES + 1) ==
	    2 * OPAUTH_KEY_BYTES + 1 ? 1 : -EIO;
	if (rc > 0 && g != NULL && fchown(fd, 0, g->gr_gid) < 0)
		rc = -errno;
	close(fd);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		unlink(path);
	}
	return rc;
}

/* HMAC-SHA256 of c (sig taken as empty) under key, as hex into out. */
static int
mac(const struct wire_command *c, const unsigned char *key,
    char out[WIRE_HASH_MAX], char *err, size_t errlen)
{
	struct wire_command u = *c;
	struct wire_buf b = { 0 };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	int rc;

	u.sig[0] = '\0';
	if ((rc = wire_encode(WK_COMMAND, &u, &b, err, errlen)) < 0)
		return rc;
	if (HMAC(EVP_sha256(), key, OPAUTH_KEY_BYTES, (unsigned char *)b.data,
	    b.len, md, &mdlen) == NULL || mdlen != 32) {
		wire_buf_free(&b);
		snprintf(err, errlen, "HMAC-SHA256 failed");
		return -EIO;
	}
	wire_buf_free(&b);
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int
opauth_sign(struct wire_command *c, const char *dir, char *err,
    size_t errlen)
{
	unsigned char key[OPAUTH_KEY_BYTES];
	char path[600];
	int rc;

	if ((rc = key_path(dir, c->user, path, sizeof(path), err,
	    errlen)) < 0 || (rc = key_read(path, key, err, errlen)) < 0)
		return rc;
	rc = mac(c, key, c->sig, err, errlen);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

int
opauth_verify(const struct wire_command *c, const char *dir, char *err,
    size_t errlen)
{
	unsigned char key[OPAUTH_KEY_BYTES];
	char path[600], want[WIRE_HASH_MAX], why[512];
	int rc;

	if (c->sig[0] == '\0') {
		snprintf(err, errlen, "not signed");
		return -EACCES;
	}
	if (key_path(dir, c->user, path, sizeof(path), why, sizeof(why)) < 0 ||
	    key_read(path, key, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "no key for operator \"%s\" (%s)",
		    c->user ? c->user : "", why);
		return -EACCES;
	}
	rc = mac(c, key, want, why, sizeof(why));
	OPENSSL_cleanse(key, sizeof(key));
	if (rc < 0) {
		snprintf(err, errlen, "%s", why);
		return -EACCES;
	}
	if (strlen(c->sig) != 64 || CRYPTO_memcmp(want, c->sig, 64) != 0) {
		snprintf(err, errlen, "the signature is not operator \"%s\"'s",
		    c->user);
		return -EACCES;
	}
	return 0;
}
