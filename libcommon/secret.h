/*
 * secret: Paddock's own Redis users, one per daemon and one for the
 * operator, each with a password in <state_dir>/secrets/<user> (32 random
 * bytes as hex, mode 0600, root's).  `paddockctl up` makes them and the
 * ACL file of the Redis it starts: the default user may only read (what
 * redis-cli users do), each Paddock user may run every command but the
 * dangerous ones on Paddock's keys alone.  A daemon whose configuration
 * names no Redis user logs in as paddock-<daemon> when its secret is
 * there; paddockctl as "operator".  enforced keeps the files out of every
 * guarded workload's reach (self-protection, by inode).
 */
#ifndef PADDOCK_SECRET_H
#define PADDOCK_SECRET_H

#include <stddef.h>

#define SECRET_HEX	65	/* 64 hex digits + NUL */

/* <state_dir>/secrets into buf. */
const char	*secret_dir(const char *state_dir, char *buf, size_t len);
/* user's password from <state_dir>/secrets/<user>: 0, or -errno. */
int		 secret_read(const char *state_dir, const char *user,
		    char out[SECRET_HEX]);
/*
 * Make the secrets of every Paddock user that has none and write the ACL
 * file at acl (keys under prefix); 0, or -errno with err filled.
 */
int		 secret_make_acl(const char *state_dir, const char *prefix,
		    const char *acl, char *err, size_t errlen);

#endif
