/*
 * opauth: who sent a command to policyd, vouched for by a key.
 *
 * An operator is a name and a key: 32 random bytes, as hex, in
 * <state_dir>/operators/<name>.key, readable by root (and group paddock,
 * where that group exists, for policyd under systemd).  paddockctl signs
 * every command it sends: sig = HMAC-SHA256(key, the command's msgpack
 * with sig empty).  policyd recomputes it with the key of the name the
 * command gives, and carries the command out only when they agree; the
 * audit trail records that name.  A process that can write to Redis but
 * cannot read the key (a workload: the key files are self-protected by
 * enforced) cannot make policyd do anything.
 */
#ifndef PADDOCK_OPAUTH_H
#define PADDOCK_OPAUTH_H

#include <stddef.h>

#include "wire.h"

#define OPAUTH_KEY_BYTES	32

/* <state_dir>/operators into buf. */
const char	*opauth_dir(const char *state_dir, char *buf, size_t len);
/* 1 when name can name a key file: [A-Za-z0-9._-], 1..64, not "." or "..". */
int		 opauth_valid_name(const char *name);
/* Make name's key in dir unless there is one: 1 made, 0 there, -errno. */
int		 opauth_keygen(const char *dir, const char *name, char *err,
		    size_t errlen);
/* Sign c (c->user names the key in dir): fills c->sig.  0 or -errno. */
int		 opauth_sign(struct wire_command *c, const char *dir, char *err,
		    size_t errlen);
/* 0 when c->sig is right for c->user's key in dir; -EACCES (a wrong or
 * missing signature, or no such operator) with the reason in err. */
int		 opauth_verify(const struct wire_command *c, const char *dir,
		    char *err, size_t errlen);

#endif
