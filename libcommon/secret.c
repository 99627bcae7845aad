/*
 * secret: see secret.h.  The ACL file holds each password's SHA-256, never
 * the password.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "secret.h"
#include "sha.h"

/* The users of Paddock's Redis, besides "default". */
static const char *const users[] = { "paddock-collectd", "paddock-profiled",
	"paddock-policyd", "paddock-enforced", "operator", NULL };

const char *
secret_dir(const char *state_dir, char *buf, size_t len)
{
	snprintf(buf, len, "%s/secrets", state_dir);
	return buf;
}

int
secret_read(const char *state_dir, const char *user, char out[SECRET_HEX])
{
	char path[600];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/secrets/%s", state_dir, user);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = read(fd, out, SECRET_HEX - 1);
	close(fd);
	if (n < SECRET_HEX - 1)
		return -EINVAL;
	out[SECRET_HEX - 1] = '\0';
	return 0;
}

/* A new secret at path unless there is one. */
static int
make_one(const char *path)
{
	unsigned char rnd[32];
	char hex[SECRET_HEX + 1];
	int fd, i, rc = 0;

	if (access(path, F_OK) == 0)
		return 0;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -EIO;
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	hex[64] = '\n';
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0)
		return errno == EEXIST ? 0 : -errno;
	if (write(fd, hex, 65) != 65)
		rc = -EIO;
	close(fd);
	if (rc < 0)
		unlink(path);
	return rc;
}

int
secret_make_acl(const char *state_dir, const char *prefix, const char *acl,
    char *err, size_t errlen)
{
	char dir[600], path[700], pw[SECRET_HEX], digest[SHA_HEX_LEN], tmp[700];
	FILE *f;
	int i, rc;

	secret_dir(state_dir, dir, sizeof(dir));
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", acl);
	if ((f = fopen(tmp, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -errno;
	}
	fchmod(fileno(f), 0600);
	/* redis-cli reads as it always did; it writes nothing. */
	fprintf(f, "user default on nopass ~* &* -@all +@read +@connection "
	    "-@dangerous +info +select\n");
	for (i = 0; users[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, users[i]);
		if ((rc = make_one(path)) < 0 ||
		    (rc = secret_read(state_dir, users[i], pw)) < 0 ||
		    (rc = sha256_hex(pw, digest)) < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
			fclose(f);
			unlink(tmp);
			return rc;
		}
		fprintf(f, "user %s on #%s ~%s* &* +@all -@dangerous%s\n",
		    users[i], digest, prefix, strcmp(users[i], "operator") == 0 ?
		    " +info +keys" : "");
	}
	if (fclose(f) != 0 || rename(tmp, acl) < 0) {
		snprintf(err, errlen, "%s: %s", acl, strerror(errno));
		unlink(tmp);
		return -errno;
	}
	return 0;
}
