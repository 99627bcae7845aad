/*
 * wire: see wire.h.
 *
 * Each record kind is described by a table of struct wire_field.  A field
 * names its msgpack key, its C type and offset, its bound, and two bitmasks
 * over the record's variants: `need` (the key must be present) and `allow`
 * (the key may be present).  Only events have variants (their `type`); every
 * other kind has the single variant 0.  One encoder and one decoder walk the
 * tables, so a sender can never write what a receiver would reject.
 *
 * Decoding first runs wire_prescan() over the raw bytes: it proves that every
 * declared container and string fits in the input before msgpack-c allocates
 * anything, so a five-byte body cannot ask for gigabytes.  Then msgpack-c
 * builds an object tree (its own depth limit is 32), and the table walk
 * checks every type and bound while copying into the record.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>

#include "wire.h"

enum wf_type {
	WF_U8, WF_U16, WF_U32, WF_U64, WF_I32, WF_F64, WF_BOOL,
	WF_ENUM,	/* uint8_t, string on the wire */
	WF_STR,		/* inline char[size] */
	WF_PSTR,	/* char *, at most max bytes */
	WF_BIN,		/* inline uint8_t[size], exact length */
	WF_ARGV,	/* struct wire_argv, array of strings */
	WF_STRLIST,	/* struct wire_strlist, max items of size bytes */
	WF_ARRAY,	/* struct wire_vec of sub records */
	WF_U32ARR,	/* uint32_t[size] */
	WF_ENUMARR,	/* uint8_t[size], strings on the wire */
	WF_I32N,	/* int32_t where -1 is "none" (0 is a value) */
};

struct wire_table;

struct wire_field {
	const char		*key;
	size_t			 klen;	/* strlen(key) */
	enum wf_type		 type;
	size_t			 off;
	uint32_t		 size;	/* STR, BIN, arrays: elements; ARRAY: elem size */
	uint32_t		 max;	/* PSTR bytes; STRLIST/ARRAY count */
	uint32_t		 need;
	uint32_t		 allow;
	const char *const	*names;
	const struct wire_table	*sub;
};

struct wire_table {
	const char		*name;
	const struct wire_field	*f;
	size_t			 nf;
	int			 variant;	/* index of the variant field, or -1 */
	size_t			 size;
};

/* Every vector type in wire.h has this layout. */
struct wire_vec {
	void		*v;
	uint32_t	 n;
};
_Static_assert(offsetof(struct wire_lineage, n) == offsetof(struct wire_vec, n), "vec");
_Static_assert(offsetof(struct wire_entries, n) == offsetof(struct wire_vec, n), "vec");
_Static_assert(offsetof(struct wire_rules, n) == offsetof(struct wire_vec, n), "vec");
_Static_assert(offsetof(struct wire_strlist, n) == offsetof(struct wire_vec, n), "vec");

const char *const wire_ev_names[] = {
	"exec", "open", "connect", "sendto", "bind", "listen", "accept", "dns",
	"syscalls", "loss", "active", NULL,
};
const char *const wire_wkind_names[] = {
	"host", "systemd", "container", "pod", "paddock", NULL,
};
const char *const wire_dim_names[] = {
	"exec", "file", "net", "syscall", "listen", "edge", NULL,
};
const char *const wire_mode_names[] = { "off", "alert", "block", NULL };
const char *const wire_action_names[] = { "alerted", "denied", "killed", NULL };
const char *const wire_loss_names[] = { "kernel", "queue", "down", NULL };
const char *const wire_status_names[] = {
	"learning", "stable", "too-large", "expired", NULL,
};
static const char *const wire_kind_names[] = {
	"?", "event", "profile", "policy", "policy-ack", "violation", "audit",
	"command", "reply", NULL,
};

#define ALL		0xffffffffu
#define REQ		ALL, ALL	/* required everywhere */
#define OPT		0, ALL		/* optional everywhere */
#define EVB(t)		(1u << (t))
/* F(struct, key, member, type, size, max, need, allow, names, sub) */
#define F(s, k, m, t, sz, mx, ...) \
	{ k, sizeof(k) - 1, t, offsetof(s, m), sz, mx, __VA_ARGS__ }

/* ----------------------------------------------------------------- tables */

#define P struct wire_proc
static const struct wire_field proc_fields[] = {
	F(P, "pid", pid, WF_U32, 0, 0, REQ, NULL, NULL),
	F(P, "exe", exe, WF_PSTR, 0, WIRE_PATH_MAX, REQ, NULL, NULL),
	F(P, "args", args, WF_PSTR, 0, WIRE_ARGV_MAX, OPT, NULL, NULL),
};
#undef P
static const struct wire_table proc_table = {
	"lineage step", proc_fields, sizeof(proc_fields) / sizeof(proc_fields[0]),
	-1, sizeof(struct wire_proc),
};

#define NETB	(EVB(EV_CONNECT) | EVB(EV_SENDTO) | EVB(EV_BIND) | \
		 EVB(EV_LISTEN) | EVB(EV_ACCEPT))
#define PROCB	(ALL & ~EVB(EV_SYSCALLS) & ~EVB(EV_LOSS) & ~EVB(EV_ACTIVE))
#define E struct wire_event
static const struct wire_field event_fields[] = {
	F(E, "type", type, WF_ENUM, 0, 0, REQ, wire_ev_names, NULL),
	F(E, "ts", ts, WF_U64, 0, 0, REQ, NULL, NULL),
	F(E, "host", host, WF_STR, WIRE_HOST_MAX, 0, REQ, NULL, NULL),
	F(E, "workload", workload, WF_STR, WIRE_NAME_MAX, 0, REQ, NULL, NULL),
	F(E, "wkind", wkind, WF_ENUM, 0, 0, REQ, wire_wkind_names, NULL),
	F(E, "cgid", cgid, WF_U64, 0, 0, REQ, NULL, NULL),
	F(E, "pid", pid, WF_U32, 0, 0, PROCB, PROCB, NULL, NULL),
	F(E, "ppid", ppid, WF_U32, 0, 0, 0, PROCB, NULL, NULL),
	F(E, "uid", uid, WF_U32, 0, 0, 0, PROCB, NULL, NULL),
	F(E, "euid", euid, WF_U32, 0, 0, 0, PROCB, NULL, NULL),
	F(E, "exe", exe, WF_PSTR, 0, WIRE_PATH_MAX, EVB(EV_EXEC), PROCB, NULL, NULL),
	F(E, "argv", argv, WF_ARGV, 0, 0, 0, EVB(EV_EXEC), NULL, NULL),
	F(E, "argv_trunc", argv_trunc, WF_BOOL, 0, 0, 0, EVB(EV_EXEC), NULL, NULL),
	F(E, "seeded", seeded, WF_BOOL, 0, 0, 0, EVB(EV_EXEC), NULL, NULL),
	F(E, "lineage", lineage, WF_ARRAY, sizeof(struct wire_proc),
	    WIRE_LINEAGE_MAX, 0, EVB(EV_EXEC), NULL, &proc_table),
	F(E, "path", path, WF_PSTR, 0, WIRE_PATH_MAX, EVB(EV_OPEN), EVB(EV_OPEN), NULL, NULL),
	F(E, "mode", mode, WF_U32, 0, 0, EVB(EV_OPEN), EVB(EV_OPEN), NULL, NULL),
	F(E, "flags", flags, WF_U32, 0, 0, 0, EVB(EV_OPEN), NULL, NULL),
	F(E, "result", result, WF_I32, 0, 0, 0, EVB(EV_OPEN) | NETB, NULL, NULL),
	F(E, "resolved", resolved, WF_BOOL, 0, 0, 0, EVB(EV_OPEN), NULL, NULL),
	F(E, "family", family, WF_U8, 0, 0, NETB, NETB, NULL, NULL),
	F(E, "proto", proto, WF_U8, 0, 0, NETB, NETB, NULL, NULL),
	F(E, "addr", addr, WF_STR, WIRE_ADDR_MAX, 0, NETB, NETB, NULL, NULL),
	F(E, "port", port, WF_U16, 0, 0, 0, NETB, NULL, NULL),
	F(E, "name", name, WF_PSTR, 0, 255, 0, NETB, NULL, NULL),
	F(E, "qname", qname, WF_PSTR, 0, 255, EVB(EV_DNS), EVB(EV_DNS), NULL, NULL),
	F(E, "answers", answers, WF_STRLIST, WIRE_ADDR_MAX, WIRE_DNS_ADDRS_MAX,
	    EVB(EV_DNS), EVB(EV_DNS), NULL, NULL),
	F(E, "ttl", ttl, WF_U32, 0, 0, 0, EVB(EV_DNS), NULL, NULL),
	F(E, "syscalls", syscalls, WF_BIN, WIRE_SYSCALL_BYTES, 0,
	    EVB(EV_SYSCALLS), EVB(EV_SYSCALLS), NULL, NULL),
	F(E, "lost", lost, WF_U64, 0, 0, EVB(EV_LOSS), EVB(EV_LOSS), NULL, NULL),
	F(E, "cause", cause, WF_ENUM, 0, 0, 0, EVB(EV_LOSS), wire_loss_names, NULL),
	F(E, "since", since, WF_U64, 0, 0, 0, EVB(EV_LOSS), NULL, NULL),
	F(E, "span", span, WF_U64, 0, 0, EVB(EV_ACTIVE), EVB(EV_ACTIVE), NULL, NULL),
	F(E, "procs", procs, WF_U32, 0, 0, 0, EVB(EV_ACTIVE), NULL, NULL),
};
#undef E

#define N struct wire_entry
static const struct wire_field entry_fields[] = {
	F(N, "dim", dim, WF_ENUM, 0, 0, REQ, wire_dim_names, NULL),
	F(N, "key", key, WF_PSTR, 0, WIRE_PATH_MAX, REQ, NULL, NULL),
	F(N, "parent", parent, WF_PSTR, 0, WIRE_PATH_MAX, OPT, NULL, NULL),
	F(N, "mode", mode, WF_U32, 0, 0, OPT, NULL, NULL),
	F(N, "port", port, WF_U16, 0, 0, OPT, NULL, NULL),
	F(N, "proto", proto, WF_U8, 0, 0, OPT, NULL, NULL),
	F(N, "first", first, WF_U64, 0, 0, REQ, NULL, NULL),
	F(N, "last", last, WF_U64, 0, 0, REQ, NULL, NULL),
	F(N, "count", count, WF_U64, 0, 0, REQ, NULL, NULL),
	F(N, "hosts", hosts, WF_STRLIST, WIRE_HOST_MAX, 1024, OPT, NULL, NULL),
};
#undef N
static const struct wire_table entry_table = {
	"profile entry", entry_fields,
	sizeof(entry_fields) / sizeof(entry_fields[0]), -1,
	sizeof(struct wire_entry),
};

#define R struct wire_profile
static const struct wire_field profile_fields[] = {
	F(R, "workload", workload, WF_STR, WIRE_NAME_MAX, 0, REQ, NULL, NULL),
	F(R, "wkind", wkind, WF_ENUM, 0, 0, REQ, wire_wkind_names, NULL),
	F(R, "rev", rev, WF_U64, 0, 0, REQ, NULL, NULL),
	F(R, "ts", ts, WF_U64, 0, 0, REQ, NULL, NULL),
	F(R, "status", status, WF_ENUM, 0, 0, REQ, wire_status_names, NULL),
	F(R, "complete", complete, WF_BOOL, 0, 0, REQ, NULL, NULL),
	F(R, "ai", ai, WF_BOOL, 0, 0, OPT, NULL, NULL),
	F(R, "novelty", novelty, WF_F64, 0, 0, OPT, NULL, NULL),
	F(R, "trend", trend, WF_F64, 0, 0, OPT, NULL, NULL),
	F(R, "risk", risk, WF_U32, 0, 0, OPT, NULL, NULL),
	F(R, "reasons", reasons, WF_STRLIST, 256, 64, OPT, NULL, NULL),
	F(R, "counts", counts, WF_U32ARR, WD__MAX, 0, REQ, NULL, NULL),
	F(R, "added", added, WF_ARRAY, sizeof(struct wire_entry), WIRE_LIST_MAX,
	    OPT, NULL, &entry_table),
};
#undef R

#define U struct wire_rule
static const struct wire_field rule_fields[] = {
	F(U, "dim", dim, WF_ENUM, 0, 0, REQ, wire_dim_names, NULL),
	F(U, "pattern", pattern, WF_PSTR, 0, WIRE_PATH_MAX, REQ, NULL, NULL),
	F(U, "mode", mode, WF_U32, 0, 0, OPT, NULL, NULL),
	F(U, "port", port, WF_U16, 0, 0, OPT, NULL, NULL),
	F(U, "proto", proto, WF_U8, 0, 0, OPT, NULL, NULL),
};
#undef U
static const struct wire_table rule_table = {
	"policy rule", rule_fields, sizeof(rule_fields) / sizeof(rule_fields[0]),
	-1, sizeof(struct wire_rule),
};

#define Y struct wire_policy
static const struct wire_field policy_fields[] = {
	F(Y, "workload", workload, WF_STR, WIRE_NAME_MAX, 0, REQ, NULL, NULL),
	F(Y, "rev", rev, WF_U64, 0, 0, REQ, NULL, NULL),
	F(Y, "ts", ts, WF_U64, 0, 0, REQ, NULL, NULL),
	F(Y, "modes", modes, WF_ENUMARR, WD_NDIMS, 0, REQ, wire_mode_names, NULL),
	F(Y, "rules", rules, WF_ARRAY, sizeof(struct wire_rule), WIRE_LIST_MAX,
	    OPT, NULL, &rule_table),
	F(Y, "syscalls", syscalls, WF_BIN, WIRE_SYSCALL_BYTES, 0, REQ, NULL, NULL),
	F(Y, "digest", digest, WF_STR, WIRE_HASH_MAX, 0, OPT, NULL, NULL),
};
#undef Y

#define A struct wire_policy_ack
static const struct wire_field ack_fields[] = {
	F(A, "workload", workload, WF_STR, WIRE_NAME_MAX, 0, REQ, NULL, NULL),
	F(A, "host", host, WF_STR, WIRE_HOST_MAX, 0, REQ, NULL, NULL),
	F(A, "rev", rev, WF_U64, 0, 0, REQ, NULL, NULL),
	F(A, "ts", ts, WF_U64, 0, 0, REQ, NULL, NULL),
	F(A, "ok", ok, WF_BOOL, 0, 0, REQ, NULL, NULL),
	F(A, "message", message, WF_PSTR, 0, 1024, OPT, NULL, NULL),
	F(A, "backends", backends, WF_PSTR, 0, 256, OPT, NULL, NULL),
};
#undef A

#define V struct wire_violation
static const struct wire_field violation_fields[] = {
	F(V, "ts", ts, WF_U64, 0, 0, REQ, NULL, NULL),
	F(V, "host", host, WF_STR, WIRE_HOST_MAX, 0, REQ, NULL, NULL),
	F(V, "workload", workload, WF_STR, WIRE_NAME_MAX, 0, REQ, NULL, NULL),
	F(V, "cgid", cgid, WF_U64, 0, 0, OPT, NULL, NULL),
	F(V, "dim", dim, WF_ENUM, 0, 0, REQ, wire_dim_names, NULL),
	F(V, "action", action, WF_ENUM, 0, 0, REQ, wire_action_names, NULL),
	F(V, "rev", rev, WF_U64, 0, 0, REQ, NULL, NULL),
	F(V, "pid", pid, WF_U32, 0, 0, REQ, NULL, NULL),
	F(V, "exe", exe, WF_PSTR, 0, WIRE_PATH_MAX, OPT, NULL, NULL),
	F(V, "path", path, WF_PSTR, 0, WIRE_PATH_MAX, OPT, NULL, NULL),
	F(V, "mode", mode, WF_U32, 0, 0, OPT, NULL, NULL),
	F(V, "family", family, WF_U8, 0, 0, OPT, NULL, NULL),
	F(V, "proto", proto, WF_U8, 0, 0, OPT, NULL, NULL),
	F(V, "addr", addr, WF_STR, WIRE_ADDR_MAX, 0, OPT, NULL, NULL),
	F(V, "port", port, WF_U16, 0, 0, OPT, NULL, NULL),
	F(V, "name", name, WF_PSTR, 0, 255, OPT, NULL, NULL),
	F(V, "syscall", syscall, WF_I32N, 0, 0, OPT, NULL, NULL),
	F(V, "suppressed", suppressed, WF_U64, 0, 0, OPT, NULL, NULL),
	F(V, "dropped", dropped, WF_U64, 0, 0, OPT, NULL, NULL),
	F(V, "lineage", lineage, WF_ARRAY, sizeof(struct wire_proc),
	    WIRE_LINEAGE_MAX, OPT, NULL, &proc_table),
};
#undef V

#define D struct wire_audit
static const struct wire_field audit_fields[] = {
	F(D, "seq", seq, WF_U64, 0, 0, REQ, NULL, NULL),
	F(D, "ts", ts, WF_U64, 0, 0, REQ, NULL, NULL),
	F(D, "actor", actor, WF_PSTR, 0, 256, REQ, NULL, NULL),
	F(D, "workload", workload, WF_STR, WIRE_NAME_MAX, 0, REQ, NULL, NULL),
	F(D, "action", action, WF_PSTR, 0, 64, REQ, NULL, NULL),
	F(D, "before", before, WF_PSTR, 0, 4096, OPT, NULL, NULL),
	F(D, "after", after, WF_PSTR, 0, 4096, OPT, NULL, NULL),
	F(D, "reason", reason, WF_PSTR, 0, 1024, OPT, NULL, NULL),
	F(D, "prev", prev, WF_STR, WIRE_HASH_MAX, 0, REQ, NULL, NULL),
	F(D, "hash", hash, WF_STR, WIRE_HASH_MAX, 0, REQ, NULL, NULL),
};
#undef D

#define C struct wire_command
static const struct wire_field command_fields[] = {
	F(C, "id", id, WF_STR, WIRE_ID_MAX, 0, REQ, NULL, NULL),
	F(C, "ts", ts, WF_U64, 0, 0, REQ, NULL, NULL),
	F(C, "user", user, WF_PSTR, 0, 256, REQ, NULL, NULL),
	F(C, "op", op, WF_PSTR, 0, 32, REQ, NULL, NULL),
	F(C, "workload", workload, WF_STR, WIRE_NAME_MAX, 0, OPT, NULL, NULL),
	F(C, "arg", arg, WF_PSTR, 0, 256, OPT, NULL, NULL),
	F(C, "dim", dim, WF_PSTR, 0, 32, OPT, NULL, NULL),
	F(C, "reason", reason, WF_PSTR, 0, 1024, OPT, NULL, NULL),
	F(C, "force", force, WF_BOOL, 0, 0, OPT, NULL, NULL),
	F(C, "text", text, WF_PSTR, 0, WIRE_TEXT_MAX, OPT, NULL, NULL),
	F(C, "deadline", deadline, WF_U64, 0, 0, OPT, NULL, NULL),
	F(C, "sig", sig, WF_STR, WIRE_HASH_MAX, 0, OPT, NULL, NULL),
};
#undef C

#define Q struct wire_reply
static const struct wire_field reply_fields[] = {
	F(Q, "id", id, WF_STR, WIRE_ID_MAX, 0, REQ, NULL, NULL),
	F(Q, "ok", ok, WF_BOOL, 0, 0, REQ, NULL, NULL),
	F(Q, "code", code, WF_I32, 0, 0, OPT, NULL, NULL),
	F(Q, "message", message, WF_PSTR, 0, 4096, OPT, NULL, NULL),
	F(Q, "text", text, WF_PSTR, 0, WIRE_TEXT_MAX, OPT, NULL, NULL),
};
#undef Q

#define T(name, fl, var, st) \
	{ name, fl, sizeof(fl) / sizeof(fl[0]), var, sizeof(st) }
static const struct wire_table kind_tables[WK__MAX] = {
	[WK_EVENT] = T("event", event_fields, 0, struct wire_event),
	[WK_PROFILE] = T("profile", profile_fields, -1, struct wire_profile),
	[WK_POLICY] = T("policy", policy_fields, -1, struct wire_policy),
	[WK_POLICY_ACK] = T("policy-ack", ack_fields, -1, struct wire_policy_ack),
	[WK_VIOLATION] = T("violation", violation_fields, -1, struct wire_violation),
	[WK_AUDIT] = T("audit", audit_fields, -1, struct wire_audit),
	[WK_COMMAND] = T("command", command_fields, -1, struct wire_command),
	[WK_REPLY] = T("reply", reply_fields, -1, struct wire_reply),
};
#undef T

/* ------------------------------------------------------------------ names */

static const char *
name_of(const char *const *names, unsigned v)
{
	unsigned i;

	for (i = 0; names[i] != NULL; i++)
		if (i == v)
			return names[i];
	return "?";
}

const char *wire_kind_name(enum wire_kind k) { return name_of(wire_kind_names, k); }
const char *wire_ev_name(unsigned t) { return name_of(wire_ev_names, t); }
const char *wire_wkind_name(unsigned k) { return name_of(wire_wkind_names, k); }
const char *wire_dim_name(unsigned d) { return name_of(wire_dim_names, d); }
const char *wire_mode_name(unsigned m) { return name_of(wire_mode_names, m); }
const char *wire_action_name(unsigned a) { return name_of(wire_action_names, a); }
const char *wire_status_name(unsigned s) { return name_of(wire_status_names, s); }
const char *wire_loss_name(unsigned c) { return name_of(wire_loss_names, c); }

int
wire_name_lookup(const char *const *names, const char *s)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

const char *
wire_mode_bits(uint32_t mode, char buf[4])
{
	int n = 0;

	if (mode & WM_READ)
		buf[n++] = 'r';
	if (mode & WM_WRITE)
		buf[n++] = 'w';
	if (mode & WM_EXEC)
		buf[n++] = 'x';
	if (n == 0)
		buf[n++] = '-';
	buf[n] = '\0';
	return buf;
}

/* ------------------------------------------------------------------- argv */

int
wire_argv_set(struct wire_argv *a, const char *buf, size_t len)
{
	size_t i;
	uint32_t argc = 0;

	free(a->buf);
	memset(a, 0, sizeof(*a));
	if (len == 0)
		return 0;
	if (len > WIRE_ARGV_MAX)
		return -EINVAL;
	if ((a->buf = malloc(len + 1)) == NULL)
		return -ENOMEM;
	memcpy(a->buf, buf, len);
	/* Every argument ends in NUL, including the last. */
	if (a->buf[len - 1] != '\0')
		a->buf[len++] = '\0';
	for (i = 0; i < len; i++)
		if (a->buf[i] == '\0')
			argc++;
	a->len = (uint32_t)len;
	a->argc = argc;
	return 0;
}

void
wire_argv_join(const struct wire_argv *a, char *dst, size_t dstlen)
{
	size_t i, o = 0;

	if (dstlen == 0)
		return;
	for (i = 0; i < a->len && o + 1 < dstlen; i++) {
		char c = a->buf[i];

		if (c == '\0') {
			if (i + 1 == a->len)
				break;
			c = ' ';
		} else if ((unsigned char)c < 0x20) {
			c = '?';
		}
		dst[o++] = c;
	}
	dst[o] = '\0';
	if (i < a->len && i + 1 != a->len && dstlen > 4)
		memcpy(dst + dstlen - 4, "...", 4);
}

/* ---------------------------------------------------------------- UTF-8 */

/* Length of the well-formed UTF-8 sequence at s (n bytes), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;	/* overlong, beyond Unicode, a surrogate */
	return len;
}

/* Is c a hex digit (either case)? */
static int
is_hexc(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* Does s[i] start "\xHH", which on the wire always means byte HH? */
static int
at_escape(const char *s, size_t n, size_t i)
{
	return s[i] == '\\' && i + 3 < n &&
	    s[i + 1] == 'x' && is_hexc((unsigned char)s[i + 2]) &&
	    is_hexc((unsigned char)s[i + 3]);
}

int
wire_text_ok(const char *s, size_t n)
{
	size_t i, l;

	for (i = 0; i < n; i += l)
		if ((l = utf8_seq((const unsigned char *)s + i, n - i)) == 0)
			return 0;
	return 1;
}

int
wire_text_plain(const char *s, size_t n)
{
	size_t i = 0, l;

	/* One pass: it runs on every string the collector publishes. */
	while (i < n) {
		if ((unsigned char)s[i] < 0x80) {
			if (s[i] == '\\' && at_escape(s, n, i))
				return 0;
			i++;
		} else if ((l = utf8_seq((const unsigned char *)s + i,
		    n - i)) == 0)
			return 0;
		else
			i += l;
	}
	return 1;
}

size_t
wire_escape(char *dst, size_t dstlen, const char *src, size_t n, int exact,
    int *cut)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, o = 0, l;

	*cut = n > 0;
	if (dstlen == 0)
		return 0;
	while (i < n) {
		l = utf8_seq((const unsigned char *)src + i, n - i);
		if (l == 0 || (exact && at_escape(src, n, i))) {
			unsigned char b = (unsigned char)src[i];

			if (o + 4 >= dstlen)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[b >> 4];
			dst[o++] = hex[b & 15];
			i++;
			continue;
		}
		if (o + l >= dstlen)
			break;
		memcpy(dst + o, src + i, l);
		o += l;
		i += l;
	}
	*cut = i < n;
	dst[o] = '\0';
	return o;
}

long
wire_unescape(const char *src, char *dst, size_t dstlen)
{
	size_t i, o = 0, n = strlen(src);

	for (i = 0; i < n; i++) {
		char c = src[i];

		if (at_escape(src, n, i)) {
			char h[3] = { src[i + 2], src[i + 3], 0 };

			c = (char)strtol(h, NULL, 16);
			i += 3;
		}
		if (c == '\0' || o + 1 >= dstlen)
			return c == '\0' ? -EINVAL : -ENAMETOOLONG;
		dst[o++] = c;
	}
	if (dstlen == 0)
		return -ENAMETOOLONG;
	dst[o] = '\0';
	return (long)o;
}

/* --------------------------------------------------------------- encoding */

void
wire_buf_free(struct wire_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static int
wire_buf_write(void *data, const char *buf, size_t len)
{
	struct wire_buf *b = data;

	if (b->len + len > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		char *nd;

		while (ncap < b->len + len)
			ncap *= 2;
		if ((nd = realloc(b->data, ncap)) == NULL)
			return -1;
		b->data = nd;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, buf, len);
	b->len += len;
	return 0;
}

struct wenc {
	msgpack_packer	 pk;
	char		*err;
	size_t		 errlen;
	int		 rc;
	int		 exact;		/* a record of the kernel's bytes */
};

static int
enc_fail(struct wenc *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->err, e->errlen, fmt, ap);
	va_end(ap);
	e->rc = -EINVAL;
	return -EINVAL;
}

/*
 * A string as wire text: bytes that are not UTF-8 become "\xHH", and when
 * exact (the paths, argv and names of an event or a violation: the
 * kernel's bytes, which enforced may need back) so does a backslash that
 * would read as an escape.  Inline names (workload, host, ids) are
 * identities, never unescaped, so "dev-disk-by\x2duuid" stays as systemd
 * wrote it; and text that came off the wire (a profile's patterns, a
 * policy) is never escaped twice.  When escaping makes the kernel's bytes
 * longer than the field's bound max, they are cut at a whole character and
 * end in "...", as collectd marks a cut path (cut_ok: names of such a
 * record too); other text that would not fit is an error (-EMSGSIZE),
 * never cut.  Plain text costs one scan.
 */
static size_t
enc_str(struct wenc *e, const char *s, size_t len, size_t max, int exact,
    int cut_ok)
{
	char *t;
	size_t n;
	int cut;

	if (exact ? wire_text_plain(s, len) : wire_text_ok(s, len)) {
		msgpack_pack_str(&e->pk, len);
		msgpack_pack_str_body(&e->pk, s, len);
		return len;
	}
	if ((t = malloc(max + 1)) == NULL) {
		enc_fail(e, "no memory to escape a string");
		e->rc = -ENOMEM;
		return 0;
	}
	n = wire_escape(t, max + 1, s, len, exact, &cut);
	if (cut && !cut_ok) {
		/* A policy, a command's text, an audit entry: never cut. */
		free(t);
		enc_fail(e, "a string of %zu bytes is longer than %zu once "
		    "its bytes that are not UTF-8 are escaped", len, max);
		e->rc = -EMSGSIZE;
		return 0;
	}
	if (cut) {
		/* The kernel's bytes: kept up to the bound, the cut marked
		 * ("..." where there is room for it, else nothing at all). */
		n = max >= 3 ? wire_escape(t, max - 2, s, len, exact, &cut) : 0;
		memcpy(t + n, "...", max >= 3 ? 4 : 1);
		n += max >= 3 ? 3 : 0;
	}
	msgpack_pack_str(&e->pk, n);
	msgpack_pack_str_body(&e->pk, t, n);
	free(t);
	return n;
}

/* Should this field be written for this variant? */
static int
field_present(const struct wire_field *f, const void *rec, unsigned var)
{
	const char *p = (const char *)rec + f->off;

	if (!(f->allow & (1u << var)))
		return 0;
	if (f->need & (1u << var))
		return 1;
	switch (f->type) {
	case WF_U8: case WF_BOOL: case WF_ENUM:
		return *(const uint8_t *)p != 0;
	case WF_U16:
		return *(const uint16_t *)p != 0;
	case WF_U32:
		return *(const uint32_t *)p != 0;
	case WF_I32:
		return *(const int32_t *)p != 0;
	case WF_I32N:
		return *(const int32_t *)p != -1;
	case WF_U64:
		return *(const uint64_t *)p != 0;
	case WF_F64:
		return *(const double *)p != 0.0;
	case WF_STR:
		return p[0] != '\0';
	case WF_PSTR:
		return *(char *const *)p != NULL;
	case WF_ARGV:
		return ((const struct wire_argv *)p)->argc > 0;
	case WF_STRLIST: case WF_ARRAY:
		return ((const struct wire_vec *)p)->n > 0;
	default:
		return 1;
	}
}

static int enc_record(struct wenc *, const struct wire_table *, const void *);

static int
enc_field(struct wenc *e, const struct wire_field *f, const void *rec)
{
	const char *p = (const char *)rec + f->off;
	uint32_t i;
	size_t n;

	switch (f->type) {
	case WF_U8: case WF_BOOL:
		if (f->type == WF_BOOL)
			return *(const uint8_t *)p ? msgpack_pack_true(&e->pk) :
			    msgpack_pack_false(&e->pk);
		return msgpack_pack_uint8(&e->pk, *(const uint8_t *)p);
	case WF_U16:
		return msgpack_pack_uint16(&e->pk, *(const uint16_t *)p);
	case WF_U32:
		return msgpack_pack_uint32(&e->pk, *(const uint32_t *)p);
	case WF_U64:
		return msgpack_pack_uint64(&e->pk, *(const uint64_t *)p);
	case WF_I32: case WF_I32N:
		return msgpack_pack_int32(&e->pk, *(const int32_t *)p);
	case WF_F64:
		return msgpack_pack_double(&e->pk, *(const double *)p);
	case WF_ENUM: {
		uint8_t v = *(const uint8_t *)p;
		const char *nm = name_of(f->names, v);

		if (strcmp(nm, "?") == 0)
			return enc_fail(e, "%s: value %u out of range", f->key, v);
		enc_str(e, nm, strlen(nm), 64, 0, 0);
		return 0;
	}
	case WF_ENUMARR:
		msgpack_pack_array(&e->pk, f->size);
		for (i = 0; i < f->size; i++) {
			const char *nm = name_of(f->names, ((const uint8_t *)p)[i]);

			if (strcmp(nm, "?") == 0)
				return enc_fail(e, "%s[%u]: out of range", f->key, i);
			enc_str(e, nm, strlen(nm), 64, 0, 0);
		}
		return 0;
	case WF_STR:
		n = strnlen(p, f->size);
		if (n >= f->size)
			return enc_fail(e, "%s: not terminated", f->key);
		enc_str(e, p, n, f->size - 1, 0, e->exact);
		return 0;
	case WF_PSTR: {
		const char *s = *(char *const *)p;

		if (s == NULL)
			return enc_fail(e, "%s: required but missing", f->key);
		n = strlen(s);
		if (n > f->max)
			return enc_fail(e, "%s: %zu bytes, more than %u", f->key,
			    n, f->max);
		enc_str(e, s, n, f->max, e->exact, e->exact);
		return 0;
	}
	case WF_BIN:
		msgpack_pack_bin(&e->pk, f->size);
		msgpack_pack_bin_body(&e->pk, p, f->size);
		return 0;
	case WF_U32ARR:
		msgpack_pack_array(&e->pk, f->size);
		for (i = 0; i < f->size; i++)
			msgpack_pack_uint32(&e->pk, ((const uint32_t *)p)[i]);
		return 0;
	case WF_ARGV: {
		const struct wire_argv *a = (const void *)p;
		size_t off = 0, slack, w;

		if (a->argc > WIRE_ARGC_MAX || a->len > WIRE_ARGV_MAX)
			return enc_fail(e, "%s: too long", f->key);
		/* The bound is on the whole: escapes spend what is left. */
		slack = WIRE_ARGV_MAX - a->len;
		msgpack_pack_array(&e->pk, a->argc);
		for (i = 0; i < a->argc; i++) {
			n = strnlen(a->buf + off, a->len - off);
			w = enc_str(e, a->buf + off, n, n + slack, e->exact,
			    e->exact);
			slack -= w > n ? w - n : 0;
			off += n + 1;
		}
		return 0;
	}
	case WF_STRLIST: {
		const struct wire_strlist *l = (const void *)p;

		if (l->n > f->max)
			return enc_fail(e, "%s: %u items, more than %u", f->key,
			    l->n, f->max);
		msgpack_pack_array(&e->pk, l->n);
		for (i = 0; i < l->n; i++) {
			n = strlen(l->v[i]);
			if (n >= f->size)
				return enc_fail(e, "%s[%u]: too long", f->key, i);
			enc_str(e, l->v[i], n, f->size - 1, e->exact, e->exact);
		}
		return 0;
	}
	case WF_ARRAY: {
		const struct wire_vec *v = (const void *)p;

		if (v->n > f->max)
			return enc_fail(e, "%s: %u items, more than %u", f->key,
			    v->n, f->max);
		msgpack_pack_array(&e->pk, v->n);
		for (i = 0; i < v->n; i++)
			if (enc_record(e, f->sub,
			    (const char *)v->v + (size_t)i * f->size) < 0)
				return -EINVAL;
		return 0;
	}
	}
	return enc_fail(e, "%s: unknown field type", f->key);
}

static int
enc_record(struct wenc *e, const struct wire_table *t, const void *rec)
{
	unsigned var = 0;
	size_t i, n = 0;

	if (t->variant >= 0)
		var = *((const uint8_t *)rec + t->f[t->variant].off);
	for (i = 0; i < t->nf; i++)
		n += field_present(&t->f[i], rec, var);
	msgpack_pack_map(&e->pk, n);
	for (i = 0; i < t->nf; i++) {
		if (!field_present(&t->f[i], rec, var))
			continue;
		enc_str(e, t->f[i].key, t->f[i].klen, 64, 0, 0);
		if (enc_field(e, &t->f[i], rec) < 0 || e->rc < 0)
			return e->rc < 0 ? e->rc : -ENOMEM;
	}
	return 0;
}

int
wire_encode(enum wire_kind kind, const void *rec, struct wire_buf *b,
    char *err, size_t errlen)
{
	struct wenc e = { .err = err, .errlen = errlen, .rc = 0 };
	int rc;

	if (kind <= 0 || kind >= WK__MAX) {
		snprintf(err, errlen, "unknown record kind %d", kind);
		return -EINVAL;
	}
	/* Events and violations hold what the kernel saw, byte for byte:
	 * escaped exactly here, their one way onto the wire.  Every other
	 * record carries text that came off the wire already. */
	e.exact = kind == WK_EVENT || kind == WK_VIOLATION;
	b->len = 0;
	msgpack_packer_init(&e.pk, b, wire_buf_write);
	if (msgpack_pack_array(&e.pk, 3) < 0 ||
	    msgpack_pack_uint8(&e.pk, WIRE_VERSION) < 0 ||
	    msgpack_pack_uint8(&e.pk, (uint8_t)kind) < 0)
		return -ENOMEM;
	rc = enc_record(&e, &kind_tables[kind], rec);
	if (rc == 0 && b->len > WIRE_BODY_MAX) {
		snprintf(err, errlen, "%s record of %zu bytes exceeds %u",
		    wire_kind_name(kind), b->len, WIRE_BODY_MAX);
		rc = -EINVAL;
	}
	return rc;
}

/* --------------------------------------------------------------- decoding */

/*
 * Prove that the body is one well-formed msgpack object whose every declared
 * length fits in the input.  `need` counts the objects still owed; since each
 * takes at least one byte, need > remaining bytes is already a lie.
 */
/* Read an n-byte big-endian length at p[*i]; -1 when it does not fit. */
static int
be_len(const uint8_t *p, size_t len, size_t *i, unsigned n, uint64_t *v)
{
	unsigned k;

	if (n > len - *i)
		return -1;
	*v = 0;
	for (k = 0; k < n; k++)
		*v = (*v << 8) | p[*i + k];
	*i += n;
	return 0;
}

/*
 * Prove that the body is one well-formed msgpack object whose every declared
 * length fits in the input.  `need` counts the objects still owed; since each
 * takes at least one byte, need > remaining bytes is already a lie.
 */
static int
prescan_one(const uint8_t *p, size_t len, size_t *at, char *err,
    size_t errlen)
{
	size_t i = *at;
	uint64_t need = 1;

	while (need > 0) {
		uint64_t skip = 0, kids = 0, v = 0;
		unsigned lenbytes = 0, extra = 0, pairs = 0, counts = 0;
		uint8_t b;

		if (need > len - i)
			goto trunc;
		need--;
		b = p[i++];
		if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
			continue;
		if (b >= 0x80 && b <= 0x8f)
			kids = 2u * (b & 0x0f);
		else if (b >= 0x90 && b <= 0x9f)
			kids = b & 0x0f;
		else if (b >= 0xa0 && b <= 0xbf)
			skip = b & 0x1f;
		else switch (b) {
		case 0xc4: case 0xd9: lenbytes = 1; break;
		case 0xc5: case 0xda: lenbytes = 2; break;
		case 0xc6: case 0xdb: lenbytes = 4; break;
		case 0xc7: lenbytes = 1; extra = 1; break;
		case 0xc8: lenbytes = 2; extra = 1; break;
		case 0xc9: lenbytes = 4; extra = 1; break;
		case 0xca: skip = 4; break;
		case 0xcb: skip = 8; break;
		case 0xcc: case 0xd0: skip = 1; break;
		case 0xcd: case 0xd1: skip = 2; break;
		case 0xce: case 0xd2: skip = 4; break;
		case 0xcf: case 0xd3: skip = 8; break;
		case 0xd4: skip = 2; break;
		case 0xd5: skip = 3; break;
		case 0xd6: skip = 5; break;
		case 0xd7: skip = 9; break;
		case 0xd8: skip = 17; break;
		case 0xdc: counts = 2; break;
		case 0xdd: counts = 4; break;
		case 0xde: counts = 2; pairs = 1; break;
		case 0xdf: counts = 4; pairs = 1; break;
		default:
			snprintf(err, errlen, "invalid msgpack byte 0x%02x at %zu",
			    b, i - 1);
			return -EPROTO;
		}
		if (lenbytes) {
			if (be_len(p, len, &i, lenbytes, &v) < 0)
				goto trunc;
			skip = v + extra;
		}
		if (counts) {
			if (be_len(p, len, &i, counts, &v) < 0)
				goto trunc;
			kids = pairs ? 2 * v : v;
		}
		if (skip > len - i)
			goto trunc;
		i += skip;
		need += kids;
	}
	*at = i;
	return 0;
trunc:
	snprintf(err, errlen, "truncated record (%zu bytes)", len);
	return -EPROTO;
}

static int
wire_prescan(const uint8_t *p, size_t len, char *err, size_t errlen)
{
	size_t i = 0;
	int rc;

	if ((rc = prescan_one(p, len, &i, err, errlen)) < 0)
		return rc;
	if (i != len) {
		snprintf(err, errlen, "%zu trailing bytes after the record",
		    len - i);
		return -EPROTO;
	}
	return 0;
}

/* ---------------------------------------------------------------- batches */

int
wire_batch_init(struct wire_buf *b)
{
	static const char hdr[5] = { (char)0xdd, 0, 0, 0, 0 };

	b->len = 0;
	return wire_buf_write(b, hdr, sizeof(hdr)) < 0 ? -ENOMEM : 0;
}

int
wire_batch_add(struct wire_buf *b, const struct wire_buf *ev)
{
	uint32_t n;

	if (b->len < 5 && wire_batch_init(b) < 0)
		return -ENOMEM;
	if (b->len + ev->len > WIRE_BODY_MAX)
		return -E2BIG;
	if (wire_buf_write(b, ev->data, ev->len) < 0)
		return -ENOMEM;
	n = wire_batch_count(b) + 1;
	b->data[1] = (char)(n >> 24);
	b->data[2] = (char)(n >> 16);
	b->data[3] = (char)(n >> 8);
	b->data[4] = (char)n;
	return 0;
}

uint32_t
wire_batch_count(const struct wire_buf *b)
{
	const uint8_t *p = (const uint8_t *)b->data;

	if (b->len < 5)
		return 0;
	return (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 8 | p[4];
}

int
wire_batch_begin(struct wire_batch_it *it, const void *data, size_t len,
    char *err, size_t errlen)
{
	const uint8_t *p = data;
	size_t i = 1;
	uint64_t n = 0;

	memset(it, 0, sizeof(*it));
	if (len > WIRE_BODY_MAX) {
		snprintf(err, errlen, "batch of %zu bytes exceeds %u", len,
		    WIRE_BODY_MAX);
		return -EPROTO;
	}
	if (len >= 1 && p[0] == 0xdd) {
		if (be_len(p, len, &i, 4, &n) < 0) {
			snprintf(err, errlen, "truncated batch (%zu bytes)",
			    len);
			return -EPROTO;
		}
	} else {
		snprintf(err, errlen, "a batch is a msgpack array32 of records "
		    "(byte 0x%02x)", len ? p[0] : 0);
		return -EPROTO;
	}
	if (n > len - i) {	/* a record takes a byte at least */
		snprintf(err, errlen, "batch claims %llu records in %zu bytes",
		    (unsigned long long)n, len);
		return -EPROTO;
	}
	it->p = p;
	it->len = len;
	it->off = i;
	it->left = (uint32_t)n;
	it->count = (uint32_t)n;
	return 0;
}

int
wire_batch_next(struct wire_batch_it *it, const void **body, size_t *blen,
    char *err, size_t errlen)
{
	size_t start = it->off;
	int rc;

	if (it->left == 0) {
		if (it->off != it->len) {
			snprintf(err, errlen, "%zu trailing bytes after the "
			    "batch", it->len - it->off);
			return -EPROTO;
		}
		return 0;
	}
	if ((rc = prescan_one(it->p, it->len, &it->off, err, errlen)) < 0)
		return rc;
	it->left--;
	*body = it->p + start;
	*blen = it->off - start;
	return 1;
}

struct wdec {
	char		*err;
	size_t		 errlen;
	const char	*where;		/* record name for messages */
};

static int
dec_fail(struct wdec *d, const char *key, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(d->err, d->errlen, "%s: field \"%s\": %s", d->where, key, msg);
	return -EPROTO;
}

/* o must be an array of at most max items. */
static int
dec_array(struct wdec *d, const char *key, const msgpack_object *o,
    uint32_t max)
{
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return dec_fail(d, key, "expected an array");
	if (o->via.array.size > max)
		return dec_fail(d, key, "%u items exceed %u",
		    o->via.array.size, max);
	return 0;
}

static const char *
obj_type_name(const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL: return "nil";
	case MSGPACK_OBJECT_BOOLEAN: return "boolean";
	case MSGPACK_OBJECT_POSITIVE_INTEGER: return "integer";
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "negative integer";
	case MSGPACK_OBJECT_FLOAT32: case MSGPACK_OBJECT_FLOAT64: return "float";
	case MSGPACK_OBJECT_STR: return "string";
	case MSGPACK_OBJECT_ARRAY: return "array";
	case MSGPACK_OBJECT_MAP: return "map";
	case MSGPACK_OBJECT_BIN: return "binary";
	default: return "extension";
	}
}

static int
dec_uint(struct wdec *d, const char *key, const msgpack_object *o, uint64_t max,
    uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return dec_fail(d, key, "expected an unsigned integer, got %s",
		    obj_type_name(o));
	if (o->via.u64 > max)
		return dec_fail(d, key, "%llu out of range",
		    (unsigned long long)o->via.u64);
	*v = o->via.u64;
	return 0;
}

/* A string without NUL bytes, at most max bytes. */
static int
dec_strobj(struct wdec *d, const char *key, const msgpack_object *o, size_t max)
{
	if (o->type != MSGPACK_OBJECT_STR)
		return dec_fail(d, key, "expected a string, got %s",
		    obj_type_name(o));
	if (o->via.str.size > max)
		return dec_fail(d, key, "string of %u bytes exceeds %zu",
		    o->via.str.size, max);
	if (memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL)
		return dec_fail(d, key, "string contains a NUL byte");
	if (!wire_text_ok(o->via.str.ptr, o->via.str.size))
		return dec_fail(d, key, "string is not UTF-8 (a sender writes "
		    "other bytes as \\xHH)");
	return 0;
}

static char *
dup_strobj(const msgpack_object *o)
{
	char *s = malloc(o->via.str.size + 1);

	if (s != NULL) {
		memcpy(s, o->via.str.ptr, o->via.str.size);
		s[o->via.str.size] = '\0';
	}
	return s;
}

static int
dec_enumobj(struct wdec *d, const char *key, const msgpack_object *o,
    const char *const *names, uint8_t *out)
{
	int i, rc;

	if ((rc = dec_strobj(d, key, o, 64)) < 0)
		return rc;
	for (i = 0; names[i] != NULL; i++) {
		if (strlen(names[i]) == o->via.str.size &&
		    memcmp(names[i], o->via.str.ptr, o->via.str.size) == 0) {
			*out = (uint8_t)i;
			return 0;
		}
	}
	return dec_fail(d, key, "unknown value \"%.*s\"", (int)o->via.str.size,
	    o->via.str.ptr);
}

static void free_record(const struct wire_table *, void *);
static int dec_record(struct wdec *, const struct wire_table *,
    const msgpack_object *, void *);

static int
dec_field(struct wdec *d, const struct wire_field *f, const msgpack_object *o,
    void *rec)
{
	char *p = (char *)rec + f->off;
	uint64_t u = 0;
	uint32_t i;
	int rc;

	switch (f->type) {
	case WF_U8:
		if ((rc = dec_uint(d, f->key, o, UINT8_MAX, &u)) < 0)
			return rc;
		*(uint8_t *)p = (uint8_t)u;
		return 0;
	case WF_U16:
		if ((rc = dec_uint(d, f->key, o, UINT16_MAX, &u)) < 0)
			return rc;
		*(uint16_t *)p = (uint16_t)u;
		return 0;
	case WF_U32:
		if ((rc = dec_uint(d, f->key, o, UINT32_MAX, &u)) < 0)
			return rc;
		*(uint32_t *)p = (uint32_t)u;
		return 0;
	case WF_U64:
		return dec_uint(d, f->key, o, UINT64_MAX, (uint64_t *)(void *)p);
	case WF_I32: case WF_I32N:
		if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    o->via.u64 <= INT32_MAX)
			*(int32_t *)p = (int32_t)o->via.u64;
		else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER &&
		    o->via.i64 >= INT32_MIN)
			*(int32_t *)p = (int32_t)o->via.i64;
		else
			return dec_fail(d, f->key, "expected a 32-bit integer");
		return 0;
	case WF_F64:
		if (o->type == MSGPACK_OBJECT_FLOAT64 ||
		    o->type == MSGPACK_OBJECT_FLOAT32)
			*(double *)p = o->via.f64;
		else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			*(double *)p = (double)o->via.u64;
		else
			return dec_fail(d, f->key, "expected a number, got %s",
			    obj_type_name(o));
		return 0;
	case WF_BOOL:
		if (o->type != MSGPACK_OBJECT_BOOLEAN)
			return dec_fail(d, f->key, "expected a boolean, got %s",
			    obj_type_name(o));
		*(uint8_t *)p = o->via.boolean ? 1 : 0;
		return 0;
	case WF_ENUM:
		return dec_enumobj(d, f->key, o, f->names, (uint8_t *)p);
	case WF_ENUMARR:
		if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != f->size)
			return dec_fail(d, f->key, "expected an array of %u",
			    f->size);
		for (i = 0; i < f->size; i++)
			if ((rc = dec_enumobj(d, f->key, &o->via.array.ptr[i],
			    f->names, (uint8_t *)p + i)) < 0)
				return rc;
		return 0;
	case WF_STR:
		if ((rc = dec_strobj(d, f->key, o, f->size - 1)) < 0)
			return rc;
		memcpy(p, o->via.str.ptr, o->via.str.size);
		p[o->via.str.size] = '\0';
		return 0;
	case WF_PSTR:
		if ((rc = dec_strobj(d, f->key, o, f->max)) < 0)
			return rc;
		if ((*(char **)p = dup_strobj(o)) == NULL)
			return -ENOMEM;
		return 0;
	case WF_BIN:
		if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != f->size)
			return dec_fail(d, f->key, "expected %u bytes of binary",
			    f->size);
		memcpy(p, o->via.bin.ptr, f->size);
		return 0;
	case WF_U32ARR:
		if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != f->size)
			return dec_fail(d, f->key, "expected an array of %u",
			    f->size);
		for (i = 0; i < f->size; i++) {
			if ((rc = dec_uint(d, f->key, &o->via.array.ptr[i],
			    UINT32_MAX, &u)) < 0)
				return rc;
			((uint32_t *)(void *)p)[i] = (uint32_t)u;
		}
		return 0;
	case WF_ARGV: {
		struct wire_argv *a = (void *)p;
		size_t total = 0, off = 0;

		if (o->type != MSGPACK_OBJECT_ARRAY)
			return dec_fail(d, f->key, "expected an array");
		if (o->via.array.size > WIRE_ARGC_MAX)
			return dec_fail(d, f->key, "more than %d arguments",
			    WIRE_ARGC_MAX);
		for (i = 0; i < o->via.array.size; i++) {
			if ((rc = dec_strobj(d, f->key, &o->via.array.ptr[i],
			    WIRE_ARGV_MAX)) < 0)
				return rc;
			total += o->via.array.ptr[i].via.str.size + 1;
		}
		if (total > WIRE_ARGV_MAX)
			return dec_fail(d, f->key, "%zu bytes exceeds %d", total,
			    WIRE_ARGV_MAX);
		if (total == 0)
			return 0;
		if ((a->buf = malloc(total)) == NULL)
			return -ENOMEM;
		for (i = 0; i < o->via.array.size; i++) {
			const msgpack_object *s = &o->via.array.ptr[i];

			memcpy(a->buf + off, s->via.str.ptr, s->via.str.size);
			off += s->via.str.size;
			a->buf[off++] = '\0';
		}
		a->len = (uint32_t)total;
		a->argc = o->via.array.size;
		return 0;
	}
	case WF_STRLIST: {
		struct wire_strlist *l = (void *)p;

		if ((rc = dec_array(d, f->key, o, f->max)) < 0)
			return rc;
		for (i = 0; i < o->via.array.size; i++)
			if ((rc = dec_strobj(d, f->key, &o->via.array.ptr[i],
			    f->size - 1)) < 0)
				return rc;
		if (o->via.array.size == 0)
			return 0;
		if ((l->v = calloc(o->via.array.size, sizeof(char *))) == NULL)
			return -ENOMEM;
		for (i = 0; i < o->via.array.size; i++) {
			if ((l->v[i] = dup_strobj(&o->via.array.ptr[i])) == NULL)
				return -ENOMEM;
			l->n = i + 1;
		}
		return 0;
	}
	case WF_ARRAY: {
		struct wire_vec *v = (void *)p;

		if ((rc = dec_array(d, f->key, o, f->max)) < 0)
			return rc;
		if (o->via.array.size == 0)
			return 0;
		if ((v->v = calloc(o->via.array.size, f->size)) == NULL)
			return -ENOMEM;
		for (i = 0; i < o->via.array.size; i++) {
			rc = dec_record(d, f->sub, &o->via.array.ptr[i],
			    (char *)v->v + (size_t)i * f->size);
			v->n = i + 1;	/* so that free_record sees it */
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	}
	return dec_fail(d, f->key, "unknown field type");
}

static int
key_is(const msgpack_object *k, const struct wire_field *f)
{
	return k->type == MSGPACK_OBJECT_STR && k->via.str.size == f->klen &&
	    memcmp(k->via.str.ptr, f->key, f->klen) == 0;
}

static int
dec_record(struct wdec *d, const struct wire_table *t, const msgpack_object *o,
    void *rec)
{
	uint64_t seen = 0;	/* tables have fewer than 64 fields */
	unsigned var = 0;
	size_t i, j, k, next = 0;
	int rc;

	if (o->type != MSGPACK_OBJECT_MAP) {
		snprintf(d->err, d->errlen, "%s: expected a map, got %s", t->name,
		    obj_type_name(o));
		return -EPROTO;
	}
	/* A value that may be 0 is -1 when absent (the syscall read is 0). */
	for (i = 0; i < t->nf; i++)
		if (t->f[i].type == WF_I32N)
			*(int32_t *)(void *)((char *)rec + t->f[i].off) = -1;
	/* The variant decides what else is allowed, so read it first. */
	if (t->variant >= 0) {
		const struct wire_field *vf = &t->f[t->variant];

		for (i = 0; i < o->via.map.size; i++)
			if (key_is(&o->via.map.ptr[i].key, vf))
				break;
		if (i == o->via.map.size)
			return dec_fail(d, vf->key, "missing");
		if ((rc = dec_field(d, vf, &o->via.map.ptr[i].val, rec)) < 0)
			return rc;
		var = *((uint8_t *)rec + vf->off);
	}
	for (i = 0; i < o->via.map.size; i++) {
		const msgpack_object_kv *kv = &o->via.map.ptr[i];

		if (kv->key.type != MSGPACK_OBJECT_STR) {
			snprintf(d->err, d->errlen, "%s: key is a %s, not a string",
			    t->name, obj_type_name(&kv->key));
			return -EPROTO;
		}
		/* Writers put fields in table order: look after the last
		 * match first. */
		for (k = 0, j = next; k < t->nf; k++, j = j + 1 == t->nf ? 0 :
		    j + 1)
			if (key_is(&kv->key, &t->f[j]))
				break;
		if (k == t->nf) {
			snprintf(d->err, d->errlen, "%s: unknown field \"%.*s\"",
			    t->name, (int)(kv->key.via.str.size > 64 ? 64 :
			    kv->key.via.str.size), kv->key.via.str.ptr);
			return -EPROTO;
		}
		if (seen & (1ull << j))
			return dec_fail(d, t->f[j].key, "appears twice");
		seen |= 1ull << j;
		next = j + 1 == t->nf ? 0 : j + 1;
		if (!(t->f[j].allow & (1u << var)))
			return dec_fail(d, t->f[j].key, "not allowed here");
		if ((int)j == t->variant)
			continue;
		if ((rc = dec_field(d, &t->f[j], &kv->val, rec)) < 0)
			return rc;
	}
	for (j = 0; j < t->nf; j++)
		if ((t->f[j].need & (1u << var)) && !(seen & (1ull << j)))
			return dec_fail(d, t->f[j].key, "missing");
	return 0;
}

int
wire_peek_kind(const void *data, size_t len, enum wire_kind *kind, char *err,
    size_t errlen)
{
	const uint8_t *p = data;

	/* [version, kind, ...]: fixarray of 3, two positive fixints. */
	if (len < 3) {
		snprintf(err, errlen, "truncated record (%zu bytes)", len);
		return -EPROTO;
	}
	if (p[0] != 0x93) {
		snprintf(err, errlen, "not a Paddock record (byte 0x%02x)", p[0]);
		return -EPROTO;
	}
	if (p[1] != WIRE_VERSION) {
		snprintf(err, errlen, "unsupported schema version %u (this "
		    "build reads version %d)", p[1], WIRE_VERSION);
		return -EPROTO;
	}
	if (p[2] == 0 || p[2] >= WK__MAX) {
		snprintf(err, errlen, "unknown record kind %u", p[2]);
		return -EPROTO;
	}
	*kind = p[2];
	return 0;
}

int
wire_decode(enum wire_kind kind, const void *data, size_t len, void *rec,
    char *err, size_t errlen)
{
	struct wdec d = { .err = err, .errlen = errlen };
	msgpack_unpacked up;
	enum wire_kind got;
	size_t off = 0;
	int rc;

	if (kind <= 0 || kind >= WK__MAX) {
		snprintf(err, errlen, "unknown record kind %d", kind);
		return -EPROTO;
	}
	memset(rec, 0, kind_tables[kind].size);
	if (len > WIRE_BODY_MAX) {
		snprintf(err, errlen, "record of %zu bytes exceeds %u", len,
		    WIRE_BODY_MAX);
		return -EPROTO;
	}
	if ((rc = wire_peek_kind(data, len, &got, err, errlen)) < 0)
		return rc;
	if (got != kind) {
		snprintf(err, errlen, "expected a %s record, got %s",
		    wire_kind_name(kind), wire_kind_name(got));
		return -EPROTO;
	}
	if ((rc = wire_prescan(data, len, err, errlen)) < 0)
		return rc;
	msgpack_unpacked_init(&up);
	switch (msgpack_unpack_next(&up, data, len, &off)) {
	case MSGPACK_UNPACK_SUCCESS:
		break;
	case MSGPACK_UNPACK_NOMEM_ERROR:
		snprintf(err, errlen, "record nests too deeply");
		rc = -EPROTO;
		goto out;
	default:
		snprintf(err, errlen, "malformed msgpack");
		rc = -EPROTO;
		goto out;
	}
	d.where = kind_tables[kind].name;
	/* prescan proved the shape: a 3-array whose first two are fixints. */
	rc = dec_record(&d, &kind_tables[kind], &up.data.via.array.ptr[2], rec);
out:
	msgpack_unpacked_destroy(&up);
	if (rc < 0)
		free_record(&kind_tables[kind], rec);
	return rc;
}

/* ---------------------------------------------------------------- freeing */

static void
free_record(const struct wire_table *t, void *rec)
{
	size_t i;
	uint32_t j;

	for (i = 0; i < t->nf; i++) {
		const struct wire_field *f = &t->f[i];
		char *p = (char *)rec + f->off;

		switch (f->type) {
		case WF_PSTR:
			free(*(char **)p);
			break;
		case WF_ARGV:
			free(((struct wire_argv *)(void *)p)->buf);
			break;
		case WF_STRLIST: {
			struct wire_strlist *l = (void *)p;

			for (j = 0; j < l->n; j++)
				free(l->v[j]);
			free(l->v);
			break;
		}
		case WF_ARRAY: {
			struct wire_vec *v = (void *)p;

			for (j = 0; j < v->n; j++)
				free_record(f->sub,
				    (char *)v->v + (size_t)j * f->size);
			free(v->v);
			break;
		}
		default:
			break;
		}
	}
	memset(rec, 0, t->size);
}

void
wire_free(enum wire_kind kind, void *rec)
{
	if (kind > 0 && kind < WK__MAX && rec != NULL)
		free_record(&kind_tables[kind], rec);
}

/* ---------------------------------------------------------------- summary */

static void
summary_event(const struct wire_event *e, char *dst, size_t n)
{
	char m[4];

	switch (e->type) {
	case EV_EXEC:
		snprintf(dst, n, "exec %s", e->exe ? e->exe : "?");
		break;
	case EV_OPEN:
		snprintf(dst, n, "open %s %s%s", wire_mode_bits(e->mode, m),
		    e->path ? e->path : "?", e->result < 0 ? " (failed)" : "");
		break;
	case EV_CONNECT: case EV_SENDTO: case EV_BIND: case EV_LISTEN:
	case EV_ACCEPT:
		snprintf(dst, n, "%s %s %s%s%s:%u%s%s%s", wire_ev_name(e->type),
		    e->proto == WP_UDP ? "udp" : "tcp",
		    e->family == 6 ? "[" : "", e->addr,
		    e->family == 6 ? "]" : "", e->port,
		    e->name ? " (" : "", e->name ? e->name : "",
		    e->name ? ")" : "");
		break;
	case EV_DNS:
		snprintf(dst, n, "dns %s -> %u address%s",
		    e->qname ? e->qname : "?", e->answers.n,
		    e->answers.n == 1 ? "" : "es");
		break;
	case EV_SYSCALLS: {
		unsigned i, c = 0;

		for (i = 0; i < WIRE_SYSCALL_BYTES * 8; i++)
			c += (e->syscalls[i / 8] >> (i % 8)) & 1;
		snprintf(dst, n, "syscalls %u distinct", c);
		break;
	}
	case EV_LOSS:
		if (e->lost == 0 && e->cause == WL_DOWN)
			snprintf(dst, n, "loss 0 events (down: a gap of unknown "
			    "size, %llu s)", (unsigned long long)(e->since > 0 &&
			    e->ts > e->since ? (e->ts - e->since) /
			    1000000000ull : 0));
		else
			snprintf(dst, n, "loss %llu events (%s)",
			    (unsigned long long)e->lost,
			    wire_loss_name(e->cause));
		break;
	case EV_ACTIVE:
		snprintf(dst, n, "active %u process%s for %llu ms", e->procs,
		    e->procs == 1 ? "" : "es",
		    (unsigned long long)(e->span / 1000000));
		break;
	default:
		snprintf(dst, n, "event");
		break;
	}
}

void
wire_summary(enum wire_kind kind, const void *rec, char *dst, size_t n)
{
	switch (kind) {
	case WK_EVENT:
		summary_event(rec, dst, n);
		break;
	case WK_PROFILE: {
		const struct wire_profile *p = rec;

		snprintf(dst, n, "profile rev %llu %s risk %u, %u new",
		    (unsigned long long)p->rev, wire_status_name(p->status),
		    p->risk, p->added.n);
		break;
	}
	case WK_POLICY: {
		const struct wire_policy *p = rec;

		snprintf(dst, n, "policy rev %llu exec=%s file=%s net=%s syscall=%s",
		    (unsigned long long)p->rev, wire_mode_name(p->modes[WD_EXEC]),
		    wire_mode_name(p->modes[WD_FILE]),
		    wire_mode_name(p->modes[WD_NET]),
		    wire_mode_name(p->modes[WD_SYSCALL]));
		break;
	}
	case WK_POLICY_ACK: {
		const struct wire_policy_ack *a = rec;

		snprintf(dst, n, "applied rev %llu on %s: %s",
		    (unsigned long long)a->rev, a->host, a->ok ? "ok" :
		    (a->message ? a->message : "failed"));
		break;
	}
	case WK_VIOLATION: {
		const struct wire_violation *v = rec;
		char what[256];

		if (v->dim == WD_NET)
			snprintf(what, sizeof(what), "%s:%u", v->name ? v->name :
			    v->addr, v->port);
		else if (v->dim == WD_SYSCALL && v->syscall < 0)
			snprintf(what, sizeof(what), "%s", v->name ? v->name :
			    "?");
		else if (v->dim == WD_SYSCALL)
			snprintf(what, sizeof(what), "syscall %d%s%s%s",
			    v->syscall, v->name ? " (" : "",
			    v->name ? v->name : "", v->name ? ")" : "");
		else
			snprintf(what, sizeof(what), "%s", v->path ? v->path : "?");
		snprintf(dst, n, "%s %s %s", wire_action_name(v->action),
		    wire_dim_name(v->dim), what);
		break;
	}
	case WK_AUDIT: {
		const struct wire_audit *a = rec;

		snprintf(dst, n, "%s by %s", a->action ? a->action : "?",
		    a->actor ? a->actor : "?");
		break;
	}
	case WK_COMMAND: {
		const struct wire_command *c = rec;

		snprintf(dst, n, "%s %s", c->op ? c->op : "?", c->workload);
		break;
	}
	case WK_REPLY: {
		const struct wire_reply *r = rec;

		snprintf(dst, n, "%s", r->ok ? "ok" : "error");
		break;
	}
	default:
		snprintf(dst, n, "?");
		break;
	}
	/* Wire text too: it is read with redis-cli, next to the body. */
	if (n > 0 && !wire_text_ok(dst, strlen(dst))) {
		char *raw = strdup(dst);
		int cut;

		if (raw != NULL)
			wire_escape(dst, n, raw, strlen(raw), 0, &cut);
		else
			snprintf(dst, n, "?");
		free(raw);
	}
}

void
wire_time_iso(uint64_t ns, char *dst, size_t dstlen)
{
	time_t secs = (time_t)(ns / 1000000000ull);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(dst, dstlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (unsigned)(ns % 1000000000ull / 1000000ull));
}
