/*
 * wire: every record that crosses a Redis stream, and its msgpack form.
 *
 * A stream entry's body is the msgpack array
 *
 *     [ version:uint, kind:uint, fields:map ]
 *
 * where fields is a map from short string keys to values.  Each record kind
 * has a table (wire.c) that names every key, its type, its bound and when it
 * is required; encoding and decoding both walk that table, so the schema is
 * written down once.  Decoding is strict: unknown versions, unknown kinds,
 * unknown or duplicate keys, wrong types, oversized strings or arrays,
 * missing required keys and trailing bytes are all errors, reported as text,
 * never as a crash.  docs/wire-format.md is the human copy of the tables.
 *
 * Kinds and enum values are append-only.  Strings are UTF-8 without NUL
 * bytes: the encoder writes any other byte as "\xHH" (and, in the paths,
 * argv and names of events and violations, which hold the kernel's bytes,
 * a backslash that would read as such an escape as "\x5c"); the decoder
 * refuses a string that is not UTF-8.  Times are nanoseconds
 * since the Unix epoch.
 */
#ifndef PADDOCK_WIRE_H
#define PADDOCK_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_VERSION		1

#define WIRE_HOST_MAX		64
#define WIRE_NAME_MAX		160	/* workload names */
#define WIRE_ADDR_MAX		48	/* textual IPv4/IPv6 address or CIDR */
#define WIRE_PATH_MAX		4096
#define WIRE_ARGV_MAX		4096	/* bytes of argv, NULs included */
#define WIRE_ARGC_MAX		256
#define WIRE_LINEAGE_MAX	32
#define WIRE_DNS_ADDRS_MAX	32
#define WIRE_TEXT_MAX		(1u << 20)
#define WIRE_LIST_MAX		65536
#define WIRE_BODY_MAX		(4u << 20)
#define WIRE_SYSCALL_BYTES	64	/* bitmap of syscall numbers 0..511 */
#define WIRE_ID_MAX		64
#define WIRE_HASH_MAX		65	/* hex SHA-256 + NUL */
#define WIRE_ERRLEN		256

enum wire_kind {
	WK_EVENT = 1,
	WK_PROFILE = 2,
	WK_POLICY = 3,
	WK_POLICY_ACK = 4,
	WK_VIOLATION = 5,
	WK_AUDIT = 6,
	WK_COMMAND = 7,
	WK_REPLY = 8,
	WK__MAX,
};

/* Workload kinds (libcommon/cgroup derives them from cgroup paths). */
enum wire_wkind {
	WL_HOST = 0,		/* a slice or the root: plain host processes */
	WL_SYSTEMD = 1,		/* a systemd service or scope */
	WL_CONTAINER = 2,	/* docker, containerd, cri-o, podman */
	WL_POD = 3,		/* Kubernetes pod + container */
	WL_PADDOCK = 4,		/* started by `paddockctl run` */
	WL__MAX,
};

enum ev_type {
	EV_EXEC = 0,
	EV_OPEN = 1,
	EV_CONNECT = 2,
	EV_SENDTO = 3,
	EV_BIND = 4,
	EV_LISTEN = 5,
	EV_ACCEPT = 6,
	EV_DNS = 7,
	EV_SYSCALLS = 8,
	EV_LOSS = 9,		/* events this workload lost (counts) */
	EV_ACTIVE = 10,		/* the workload had live processes */
	EV__MAX,
};

/* File access modes, as bits. */
#define WM_READ		0x1
#define WM_WRITE	0x2
#define WM_EXEC		0x4	/* mapped executable */
#define WM_PROTECT	0x80	/* violation: self-protection (never accepted) */
#define WM_COMPAT	0x40	/* violation: a 32-bit syscall (name says which) */

/*
 * Dimensions of behaviour.  The first WD_NDIMS are the enforcement
 * dimensions that carry a stage and a mode; listeners and exec edges are
 * profile sections (listeners are enforced under WD_NET).
 */
enum wire_dim {
	WD_EXEC = 0,
	WD_FILE = 1,
	WD_NET = 2,
	WD_SYSCALL = 3,
	WD_LISTEN = 4,
	WD_EDGE = 5,		/* parent exe -> child exe */
	WD__MAX,
};
#define WD_NDIMS	4

enum wire_proto {
	WP_TCP = 6,
	WP_UDP = 17,
};

/* Per-dimension enforcement mode, as compiled into a policy. */
enum wire_mode {
	WMODE_OFF = 0,
	WMODE_ALERT = 1,
	WMODE_BLOCK = 2,
	WMODE__MAX,
};

enum wire_action {
	WA_ALERTED = 0,
	WA_DENIED = 1,
	WA_KILLED = 2,
	WA__MAX,
};

enum wire_status {
	WS_LEARNING = 0,
	WS_STABLE = 1,
	WS_TOO_LARGE = 2,
	WS_EXPIRED = 3,		/* forgotten: idle, never promoted */
	WS__MAX,
};

/* Why events of a workload were not seen (EV_LOSS cause). */
enum wire_loss {
	WL_KERNEL = 0,		/* the ring buffer had no room */
	WL_QUEUE = 1,		/* the write queue refused the batch */
	WL_DOWN = 2,		/* no collector was running */
};

/* A NUL-separated argument vector. */
struct wire_argv {
	char		*buf;
	uint32_t	 len;		/* bytes, NULs included */
	uint32_t	 argc;
};

struct wire_strlist {
	char		**v;
	uint32_t	  n;
};

/* One step of a process lineage, root first. */
struct wire_proc {
	uint32_t	 pid;
	char		*exe;
	char		*args;		/* argv joined by spaces, bounded */
};

struct wire_lineage {
	struct wire_proc *v;
	uint32_t	  n;
};

struct wire_event {
	uint8_t		 type;		/* enum ev_type */
	uint8_t		 wkind;		/* enum wire_wkind */
	uint64_t	 ts;
	char		 host[WIRE_HOST_MAX];
	char		 workload[WIRE_NAME_MAX];
	uint64_t	 cgid;
	uint32_t	 pid, ppid, uid, euid;
	char		*exe;		/* resolved executable of pid */
	/* EV_EXEC */
	struct wire_argv argv;
	uint8_t		 argv_trunc;
	uint8_t		 seeded;	/* found in /proc at start-up */
	struct wire_lineage lineage;	/* workload root first, pid last */
	/* EV_OPEN */
	char		*path;
	uint32_t	 mode;		/* WM_* */
	uint32_t	 flags;		/* O_* as passed */
	int32_t		 result;	/* 0 or -errno */
	uint8_t		 resolved;	/* path from the kernel's file */
	/* EV_CONNECT, EV_SENDTO, EV_BIND, EV_LISTEN, EV_ACCEPT */
	uint8_t		 family;	/* 4 or 6 */
	uint8_t		 proto;		/* enum wire_proto */
	char		 addr[WIRE_ADDR_MAX];
	uint16_t	 port;
	char		*name;		/* DNS name of addr, when known */
	/* EV_DNS */
	char		*qname;
	struct wire_strlist answers;	/* addresses */
	uint32_t	 ttl;
	/* EV_SYSCALLS */
	uint8_t		 syscalls[WIRE_SYSCALL_BYTES];
	/* EV_LOSS */
	uint64_t	 lost;		/* events lost; 0: not known (a gap) */
	uint8_t		 cause;		/* enum wire_loss */
	uint64_t	 since;		/* ns: the loss began; 0 not known */
	/* EV_ACTIVE */
	uint64_t	 span;		/* ns of activity this event stands for */
	uint32_t	 procs;		/* live processes at the time */
};

/* One baseline entry: what, how, when first/last seen, how often. */
struct wire_entry {
	uint8_t		 dim;		/* enum wire_dim, WD_LISTEN, WD_EDGE */
	char		*key;		/* path pattern, exe, name, addr/CIDR */
	char		*parent;	/* WD_EDGE: parent exe */
	uint32_t	 mode;		/* WM_* for files */
	uint16_t	 port;
	uint8_t		 proto;
	uint64_t	 first, last, count;
	struct wire_strlist hosts;
};

struct wire_entries {
	struct wire_entry *v;
	uint32_t	   n;
};

struct wire_profile {
	char		 workload[WIRE_NAME_MAX];
	uint8_t		 wkind;
	uint64_t	 rev;
	uint64_t	 ts;
	uint8_t		 status;	/* enum wire_status */
	uint8_t		 complete;
	uint8_t		 ai;
	double		 novelty;	/* new entries per active hour */
	double		 trend;		/* novelty now minus novelty before */
	uint32_t	 risk;		/* 0..100 */
	struct wire_strlist reasons;
	uint32_t	 counts[WD__MAX];
	struct wire_entries added;	/* entries new in this revision */
};

/* One policy rule.  The dimension decides which fields matter. */
struct wire_rule {
	uint8_t		 dim;		/* WD_EXEC, WD_FILE, WD_NET, WD_LISTEN */
	char		*pattern;	/* path glob, exe, DNS name or CIDR */
	uint32_t	 mode;		/* WD_FILE: WM_* allowed */
	uint16_t	 port;		/* 0: any */
	uint8_t		 proto;		/* 0: any */
};

struct wire_rules {
	struct wire_rule *v;
	uint32_t	  n;
};

struct wire_policy {
	char		 workload[WIRE_NAME_MAX];
	uint64_t	 rev;
	uint64_t	 ts;
	uint8_t		 modes[WD_NDIMS];	/* enum wire_mode per dimension */
	struct wire_rules rules;
	uint8_t		 syscalls[WIRE_SYSCALL_BYTES];
	char		 digest[WIRE_HASH_MAX];	/* SHA-256 of the policy YAML */
};

struct wire_policy_ack {
	char		 workload[WIRE_NAME_MAX];
	char		 host[WIRE_HOST_MAX];
	uint64_t	 rev;
	uint64_t	 ts;
	uint8_t		 ok;
	char		*message;
	char		*backends;	/* "exec=signal file=signal net=cgroup" */
};

struct wire_violation {
	uint64_t	 ts;
	char		 host[WIRE_HOST_MAX];
	char		 workload[WIRE_NAME_MAX];
	uint64_t	 cgid;
	uint8_t		 dim;		/* enum wire_dim */
	uint8_t		 action;	/* enum wire_action */
	uint64_t	 rev;		/* policy revision in force */
	uint32_t	 pid;
	char		*exe;
	char		*path;		/* exec target or file */
	uint32_t	 mode;
	uint8_t		 family, proto;
	char		 addr[WIRE_ADDR_MAX];
	uint16_t	 port;
	char		*name;
	int32_t		 syscall;	/* -1 when not a syscall violation */
	uint64_t	 suppressed;	/* its repeats not recorded, since */
	uint64_t	 dropped;	/* the workload's other violations not
					 * recorded (rate, full buffer), since */
	struct wire_lineage lineage;
};

struct wire_audit {
	uint64_t	 seq;
	uint64_t	 ts;
	char		*actor;		/* "user:alice" or "rule:auto-promote" */
	char		 workload[WIRE_NAME_MAX];
	char		*action;
	char		*before;
	char		*after;
	char		*reason;
	char		 prev[WIRE_HASH_MAX];
	char		 hash[WIRE_HASH_MAX];
};

/* paddockctl -> policyd requests and their replies. */
struct wire_command {
	char		 id[WIRE_ID_MAX];
	uint64_t	 ts;
	char		*user;
	char		*op;
	char		 workload[WIRE_NAME_MAX];
	char		*arg;		/* stage, violation id, revision ... */
	char		*dim;
	char		*reason;
	uint8_t		 force;
	char		*text;		/* policy YAML for apply */
	uint64_t	 deadline;	/* ns: never carried out after it */
	char		 sig[WIRE_HASH_MAX];	/* HMAC-SHA256, hex (opauth.h) */
};

struct wire_reply {
	char		 id[WIRE_ID_MAX];
	uint8_t		 ok;
	int32_t		 code;		/* 0 or -errno */
	char		*message;
	char		*text;		/* payload: YAML or JSON */
};

/* The encoded body plus the kind, for rstream. */
struct wire_buf {
	char		*data;
	size_t		 len;
	size_t		 cap;
};

void	wire_buf_free(struct wire_buf *b);

/*
 * Encoders append one whole body to b (which they reset first).  They return
 * 0, -ENOMEM, or -EINVAL when the record breaks its own bounds (so that a
 * sender can never produce what a receiver must reject).
 */
int	wire_encode(enum wire_kind kind, const void *rec, struct wire_buf *b,
	    char *err, size_t errlen);

/*
 * Decode one body of the expected kind into rec (zeroed first).  Returns 0,
 * -EPROTO with a reason in err for every malformed input, or -ENOMEM.  On
 * error rec holds nothing that needs freeing.
 */
int	wire_decode(enum wire_kind kind, const void *data, size_t len,
	    void *rec, char *err, size_t errlen);

/*
 * Event batches: the body of an "events" entry (docs/wire-format.md) is
 * the msgpack array of up to WIRE_BATCH_MAX event bodies, each the very
 * body an "event" entry carries, always with an array32 header (0xdd), so
 * that its first byte tells it from a record (a fixarray, 0x93).  wire_batch_init starts one (an array32
 * header, its count kept by wire_batch_add, which appends one encoded
 * body: -E2BIG past WIRE_BODY_MAX).  wire_batch_begin checks the array
 * header; wire_batch_next yields each record's bytes in turn (1), then 0
 * at the end, or -EPROTO with err for a malformed batch; each record is
 * then decoded on its own with wire_decode, so one bad record is one
 * error, not a lost batch.
 */
#define WIRE_BATCH_MAX		256
#define WIRE_BATCH_BYTES	(256u << 10)	/* a batch closes past this */

struct wire_batch_it {
	const uint8_t	*p;
	size_t		 len, off;
	uint32_t	 left, count;
};

#define wire_is_batch(p, len)	((len) > 0 && *(const uint8_t *)(p) == 0xdd)

int		wire_batch_init(struct wire_buf *b);
int		wire_batch_add(struct wire_buf *b, const struct wire_buf *ev);
uint32_t	wire_batch_count(const struct wire_buf *b);
int		wire_batch_begin(struct wire_batch_it *it, const void *data,
		    size_t len, char *err, size_t errlen);
int		wire_batch_next(struct wire_batch_it *it, const void **body,
		    size_t *blen, char *err, size_t errlen);

/* Peek at a body's kind (and check its version) without decoding it. */
int	wire_peek_kind(const void *data, size_t len, enum wire_kind *kind,
	    char *err, size_t errlen);

/* Release what a decode (or a hand-built record) owns; rec stays zeroed. */
void	wire_free(enum wire_kind kind, void *rec);

/* Names, for the readable stream fields and for the CLI. */
const char	*wire_kind_name(enum wire_kind kind);
const char	*wire_ev_name(unsigned type);
const char	*wire_wkind_name(unsigned wkind);
const char	*wire_dim_name(unsigned dim);
const char	*wire_mode_name(unsigned mode);
const char	*wire_action_name(unsigned action);
const char	*wire_status_name(unsigned status);
const char	*wire_loss_name(unsigned cause);
int		 wire_name_lookup(const char *const *names, const char *s);
extern const char *const wire_ev_names[];
extern const char *const wire_wkind_names[];
extern const char *const wire_dim_names[];
extern const char *const wire_mode_names[];
extern const char *const wire_action_names[];
extern const char *const wire_status_names[];
extern const char *const wire_loss_names[];

/* "rw", "r", "x" ... for WM_* bits. */
const char	*wire_mode_bits(uint32_t mode, char buf[4]);

/* Argument vectors. */
int	wire_argv_set(struct wire_argv *a, const char *buf, size_t len);
/* Join with spaces into dst, truncating with "..." */
void	wire_argv_join(const struct wire_argv *a, char *dst, size_t dstlen);

/* "2026-11-28T15:20:01.123Z": the "time" field of a stream entry. */
void	wire_time_iso(uint64_t ns, char *dst, size_t dstlen);

/*
 * Wire text (see above).  wire_text_ok: is s (n bytes) UTF-8?
 * wire_text_plain: UTF-8 with no "\xHH" in it, so it stands for itself?
 * wire_escape: s as wire text in dst (NUL-terminated, cut at a whole
 * character when dst is short, *cut then set); exact: a backslash that
 * reads as an escape is escaped too (what wire_unescape reverses exactly);
 * else only bytes that are not UTF-8 (names).  The length written.
 * wire_unescape: the bytes wire text stands for (a NUL among them is
 * -EINVAL); the length, or -ENAMETOOLONG.
 */
int	wire_text_ok(const char *s, size_t n);
int	wire_text_plain(const char *s, size_t n);
size_t	wire_escape(char *dst, size_t dstlen, const char *s, size_t n,
	    int exact, int *cut);
long	wire_unescape(const char *s, char *dst, size_t dstlen);

/* One line for humans, used as the "what" field of a stream entry. */
void	wire_summary(enum wire_kind kind, const void *rec, char *dst,
	    size_t dstlen);

#endif
