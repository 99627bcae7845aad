/*
 * paddock-profiled: private header.
 *
 * The profiler keeps, per workload, the evidence (raw entries, already
 * freed of per-component volatility) in Redis, and derives from it a view:
 * the generalised baseline a person reviews and policyd compiles.
 *
 *     event --observe.c--> observations --store.c (Lua, atomic)--> raw
 *     raw --gen.c (fan-out, shapes, CIDR)--> view --risk.c--> score
 *
 * observe.c, gen.c, pset.c and risk.c are pure; store.c builds commands
 * and parses replies but sends nothing; main.c does the I/O.  Because the
 * view is a function of the raw set alone, every profiled instance, and a
 * restarted one, derives the same view from the same evidence.
 */
#ifndef PADDOCK_PROFILED_H
#define PADDOCK_PROFILED_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* ---------------------------------------------------------------- pset */

/* One entry of a profile, raw or generalised. */
struct pentry {
	uint8_t		 dim;		/* enum wire_dim */
	char		*key;		/* pattern, exe, name, address, syscall */
	char		*parent;	/* WD_EDGE: parent exe; else NULL */
	uint32_t	 mode;		/* WM_* (files) */
	uint16_t	 port;
	uint8_t		 proto;
	uint64_t	 first, last;	/* ms since the epoch */
	uint64_t	 count;
	char		**hosts;
	uint32_t	 nhosts;
	char		*sample;	/* evidence: a concrete path, exec args */
};

struct pset {
	struct pentry	*v;
	size_t		 n, cap;
};

void	pset_free(struct pset *s);
/* Append a copy of e (pset_normalize merges duplicates later). */
int	pset_add(struct pset *s, const struct pentry *e);
/* Sort by dimension, key, parent, port, proto: the canonical order. */
void	pset_sort(struct pset *s);
/* Sort, then merge entries of one identity (modes, times, counts, hosts). */
int	pset_normalize(struct pset *s);
/* Identity without mode: "dim\tkey\tparent\tport\tproto". */
int	pentry_id(const struct pentry *e, char *buf, size_t len);
int	pentry_copy(struct pentry *dst, const struct pentry *src);
/* Fold e into d: modes ORed, earliest first (and its sample), latest
 * last, counts added, hosts united.  The identity is not compared. */
int	pentry_absorb(struct pentry *d, const struct pentry *e);
void	pentry_free(struct pentry *e);
/* SHA-256 (hex) of the canonical text of a sorted set, no times/counts. */
int	pset_digest(const struct pset *s, char out[WIRE_HASH_MAX]);
/* Entries of b whose identity or mode is not in a (a sorted). */
size_t	pset_added(const struct pset *a, const struct pset *b,
	    struct pentry **out, size_t max);

/* ---------------------------------------------------------------- fold */

/* One identity of a workload's evidence: see fold.c. */
struct fent {
	struct pentry	 e;	/* identity; when in_raw, what Redis holds */
	struct pentry	 pd;	/* observed, not sent yet (no identity) */
	struct pentry	 inf;	/* sent, the reply due (no identity) */
	uint64_t	 hash;
	uint8_t		 in_raw, pd_set, inf_set;
};

struct ftab {
	struct fent	**v;
	size_t		  n, cap;
	uint32_t	 *slot;		/* open addressing: index + 1, 0 free */
	size_t		  nslot;
	size_t		  live;		/* in Redis, or new and on the way */
	struct fent	**dirty;	/* pd_set */
	size_t		  ndirty, dcap;
	struct fent	**flight;	/* inf_set */
	size_t		  nflight, fcap;
};

void	ftab_free(struct ftab *t);
/*
 * Fold one observed entry into the pending delta.  New behaviour in a
 * dimension of frozen_dims (bit 1 << dim) is added to *frozen instead; a
 * new identity beyond max_live (0: no bound) sets *overflow.  2 folded
 * and new to Redis (identity, mode or host), 1 folded (counts and times
 * only), 0 not, -ENOMEM.
 */
int	ftab_observe(struct ftab *t, const struct pentry *o,
	    uint32_t frozen_dims, uint64_t max_live, uint64_t *frozen,
	    int *overflow);
/* Move up to max pending deltas in flight (none while a flush is due);
 * how many are in flight, and the dims of the novel ones. */
size_t	ftab_take(struct ftab *t, size_t max, uint32_t *newdims);
/* The same for what is in flight already (a flush sent again). */
size_t	ftab_inflight(const struct ftab *t, uint32_t *newdims);
/* Take novelty in frozen_dims out of the flight; returns the count to
 * add to the frozen counter. */
uint64_t ftab_drop_novelty(struct ftab *t, uint32_t frozen_dims);
/* Redis applied the flight: fold it into what Redis holds. */
int	ftab_commit(struct ftab *t);
/* Forget the pending and in-flight deltas. */
void	ftab_discard(struct ftab *t);
/* Forget what Redis holds (before loading its chunks again). */
void	ftab_reset(struct ftab *t);
/* The flight as one chunk, or everything Redis holds as one (malloc'd). */
int	ftab_chunk(const struct ftab *t, char **buf, size_t *len);
int	ftab_snapshot(const struct ftab *t, char **buf, size_t *len);
/* Fold one stored chunk into what Redis holds; -EPROTO when malformed. */
int	ftab_load_chunk(struct ftab *t, const char *buf, size_t len);
/* Append (copies of) what Redis holds to out. */
int	ftab_pset(const struct ftab *t, struct pset *out);

/* ---------------------------------------------------------------- gen */

struct gen_conf {
	uint32_t	fanout;		/* distinct children before collapse */
	uint32_t	shape_min;	/* siblings of one shape before merging */
	uint32_t	cidr_siblings;	/* addresses of one /24 (/64) */
};

/*
 * Collapse the volatile parts of each component of an absolute path:
 * uuids, hex ids, long numbers, dates, temp-file names and random tokens
 * become "*".  out gets the pattern (or the path unchanged).  Returns 1
 * when something collapsed, 0 when not, -ENAMETOOLONG or -EINVAL.
 */
int	gen_path(const char *path, char *out, size_t outlen);
/*
 * The same with flags: GEN_STRICT_LAST collapses the last component only
 * on certain evidence (uuid, hex id, long number, date, temp-file scheme),
 * never on looks alone; for executables, whose names are the allow list.
 */
#define GEN_STRICT_LAST	0x1
int	gen_path_ex(const char *path, unsigned flags, char *out, size_t outlen);
/* One component (no '/'); GEN_PROC: below /proc, GEN_STRICT: see above. */
#define GEN_PROC	0x1
#define GEN_STRICT	0x2
int	gen_component(const char *c, size_t len, unsigned flags, char *out,
	    size_t outlen);
/* A hex id (8+, with digits, one case) or a long number (5+ digits). */
int	gen_id_token(const char *t, size_t len);
/* DNS names: a random-looking leftmost label becomes "*". */
int	gen_name(const char *name, char *out, size_t outlen);
/* Does a token look random (by characters and length)? */
int	gen_random_token(const char *t, size_t len);
/* May fan-out alone ever collapse this directory? (not /, /x, homes) */
int	gen_dir_collapsible(const char *dir);
/*
 * The view: raw entries generalised across entries (sibling shapes,
 * fan-out for files, CIDR for addresses) and merged.  view is sorted.
 */
int	gen_view(const struct pset *raw, const struct gen_conf *gc,
	    struct pset *view);
/* Does pattern p (with "*" and a final "**") match path? */
int	gen_match(const char *p, const char *path);

/* ---------------------------------------------------------------- observe */

/* Workload-level facts an event can carry besides entries. */
#define OF_SEEDED	0x01	/* started before the collector */
#define OF_ROOT		0x02	/* ran as uid or euid 0 */
#define OF_SETUID	0x04	/* uid != euid at exec */

struct obs {
	struct pset	 entries;
	/* When set, entries go to sink (borrowed, valid during the call)
	 * instead of being copied into entries. */
	int		(*sink)(void *arg, const struct pentry *e);
	void		*sink_arg;
	uint32_t	 flags;		/* OF_* */
	uint64_t	 active_ms;	/* EV_ACTIVE span */
	uint64_t	 lost;		/* EV_LOSS: events counted */
	uint64_t	 gaps;		/* EV_LOSS of unknown size */
	uint64_t	 loss_from_ms;	/* the earliest loss began; 0 none */
	uint64_t	 ts_ms;		/* the (first) event's time */
	uint64_t	 last_ms;	/* the last event's, when merged */
};

/* Turn one event into observations; 0, -ENOMEM or -EINVAL. */
int	observe(const struct wire_event *ev, struct obs *o);
/* The same, its entries given to sink instead of copied into o. */
int	observe_to(const struct wire_event *ev, struct obs *o,
	    int (*sink)(void *arg, const struct pentry *e), void *arg);
void	obs_free(struct obs *o);
/*
 * Move o's observations into into (the events of one batch: one apply),
 * and free o.  The caller normalises into->entries once at the end
 * (pset_normalize: one entry per identity, counts added, first and last
 * kept).  0 or -ENOMEM (o then freed, into unchanged in its entries).
 */
int	obs_merge(struct obs *into, struct obs *o);

/* ---------------------------------------------------------------- risk */

#define RISK_REASONS_MAX	8

struct risk {
	uint32_t	 score;		/* 0..100 */
	char		 reasons[RISK_REASONS_MAX][256];
	uint32_t	 n;
};

void	risk_score(const struct pset *view, uint32_t flags, struct risk *r);
/* Is this textual address public (not loopback, private, link-local)? */
int	risk_addr_public(const char *addr);

/* ---------------------------------------------------------------- store */

/*
 * Keys of one workload: "<prefix>prof:{<workload>}:raw|seen|meta|view".
 * The braces are a Redis Cluster hash tag: one workload, one slot, so the
 * scripts below may touch all four keys at once.
 */
int	store_key(const char *prefix, const char *workload, const char *what,
	    char *buf, size_t len);

extern const char store_apply_lua[];
extern const char store_read_lua[];
extern const char store_commit_lua[];
extern const char store_compact_lua[];

/* An argument vector that owns its strings. */
struct sargv {
	char		**v;
	size_t		 *len;
	int		  n, cap;
};

void	sargv_free(struct sargv *a);
int	sargv_add(struct sargv *a, const char *s, size_t len);
int	sargv_addf(struct sargv *a, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

struct store_conf {
	const char	*prefix;
	uint64_t	 max_entries;
	uint64_t	 seen_max;	/* stream ids remembered for dedup */
};

/* One flush of a workload: what changed since the last one. */
struct store_host {
	const char	*name;
	uint64_t	 last_ms;
};

struct store_flush {
	const char	*cid;		/* chunk id: the first entry's id */
	const char *const *ids;		/* every stream entry it folds */
	size_t		 nids;
	const char	*chunk;		/* ftab_chunk(), or NULL: nothing */
	size_t		 chunk_len;
	uint32_t	 newdims;	/* dims with novelty in the chunk */
	uint8_t		 wkind;
	uint32_t	 flags;
	uint64_t	 first_ms, last_ms;
	uint64_t	 active_ms, lost, gaps, loss_from_ms;
	uint64_t	 frozen;	/* novelty a frozen dimension refused */
	int		 overflow;	/* max_entries reached */
	const struct store_host *hosts;
	size_t		 nhosts;
};

/*
 * EVAL of the apply script.  Its reply: {1, rawver, frozen dims} applied;
 * {-2, rawver, frozen dims} nothing done: an entry id is in seen (applied
 * before); {-1, rawver, frozen dims} nothing done: a dimension of newdims
 * is frozen now.
 */
int	store_apply_argv(const struct store_conf *sc, const char *workload,
	    const struct store_flush *f, struct sargv *a);
/* EVAL of the compact script (1: replaced by the snapshot, 0: raced). */
int	store_compact_argv(const struct store_conf *sc, const char *workload,
	    uint64_t rawver, const char *snap, size_t len, struct sargv *a);

/* EVAL of the expire script (store.c): 1 when it forgot the workload. */
int	store_expire_argv(const struct store_conf *sc, const char *workload,
	    uint64_t now_ms, uint64_t idle_ms, struct sargv *a);

/* What the read script returns, parsed. */
struct store_meta {
	uint64_t	 rev;
	uint64_t	 rawver, committed_rawver;
	uint8_t		 wkind;
	uint32_t	 flags;
	uint64_t	 active_ms;	/* summed over hosts */
	uint64_t	 changed_active_ms; /* active time at the last change */
	uint64_t	 lost;
	uint64_t	 gaps;		/* losses of unknown size */
	uint64_t	 loss_from_ms, loss_to_ms;	/* the losses' window */
	uint64_t	 loss_active_ms;	/* active time at the last loss */
	int		 overflow;
	int		 ai;		/* discovery found AI evidence */
	uint64_t	 first_ms, last_ms;
	char		 digest[WIRE_HASH_MAX];
	char		 status[16];
	char		*chg;		/* JSON [[active_ms, added], ...] */
	char		*view;		/* JSON, as committed */
};

void	store_meta_free(struct store_meta *m);
int	store_read_argv(const struct store_conf *sc, const char *workload,
	    uint64_t known_rawver, struct sargv *a);
/*
 * Parse the read script's reply: the meta hash, the chunks of raw folded
 * into t after ftab_reset (unless known_rawver was current: raw_fresh 0;
 * *nchunks their number, *nbytes their size), the view, and the entries policyd stored as
 * accepted (P prof:{W}:accepted, raw-entry JSON).  A malformed chunk is
 * reported in err and skipped.
 */
struct redisReply;
int	store_read_parse(const struct redisReply *r, struct store_meta *m,
	    struct ftab *t, size_t *nchunks, size_t *nbytes,
	    struct pset *accepted, int *raw_fresh, char *err, size_t errlen);
/* One raw entry's JSON (as the apply script stores it) into e. */
int	store_entry_parse(const char *json, size_t len, struct pentry *e);

/* ---------------------------------------------------------------- readiness */

struct ready_conf {
	uint64_t	 quiet_ms;
	uint64_t	 max_entries;
	uint64_t	 clean_ms;	/* active time after a loss: complete */
};

struct ready {
	uint8_t		 status;	/* enum wire_status */
	uint8_t		 complete;
	double		 novelty;	/* view entries added per active hour */
	double		 trend;		/* this window minus the one before */
	uint64_t	 quiet_for_ms;	/* active time since the last change */
	uint64_t	 clean_left_ms;	/* active time until complete; 0 is */
};

/*
 * Readiness from the change history chg (JSON array of [active_ms, added],
 * oldest first), the workload's total active time and flags.
 */
int	ready_eval(const struct ready_conf *rc, const struct store_meta *m,
	    const char *chg, struct ready *out);
/* Append [active_ms, added] to chg (keeping the last 256); malloc'd. */
char	*ready_chg_append(const char *chg, uint64_t active_ms, size_t added);

/* The view as stored and shown: JSON text (malloc'd). */
char	*store_view_json(const struct pset *view, const struct ready *rd,
	    const struct risk *rk, const struct store_meta *m);
/* Entries back from the view JSON (identity, mode, count; no times). */
int	store_view_parse(const char *json, struct pset *view);
int	store_commit_argv(const struct store_conf *sc, const char *workload,
	    uint64_t rawver, const char *digest, const struct ready *rd,
	    const struct risk *rk, const char *chg, const char *view_json,
	    size_t counts[WD__MAX], struct sargv *a);

/* ---------------------------------------------------------------- catalog */

enum sig_kind {
	SK_FRAMEWORK, SK_SDK, SK_MODEL, SK_LLM_API, SK_INFERENCE, SK_MCP,
	SK_VECTOR, SK_RAG, SK_ACCEL, SK__MAX,
};
extern const char *const sig_kind_names[];

struct strv {
	char		**v;
	size_t		  n;
};

struct sig {
	char		 id[64];
	uint8_t		 kind;		/* enum sig_kind */
	char		 name[128];
	char		 ecosystem[16];	/* npm, pypi, huggingface or "" */
	int		 ai;		/* makes a workload AI on its own */
	struct strv	 files, hosts, exe, argv;
	struct strv	 exclude;	/* paths that never match */
	uint16_t	*ports, *listen;
	size_t		 nports, nlisten;
	char		 where[300];	/* file:line of the entry */
};

struct cindex;

/* Ecosystems a package signature may name (`ecosystem:`). */
enum { ECO_NPM, ECO_PYPI, ECO_HF, ECO__MAX };
extern const char *const eco_names[];	/* by ECO_*, NULL-terminated */

struct catalog {
	struct sig	*v;
	size_t		 n;
	struct cindex	*idx;	/* catalog_index(): file globs by literal */
	/*
	 * Who loads a file, and who only moves it.  A package's file counts
	 * when a runtime of its ecosystem opens it (`runtimes:`, by
	 * executable; none listed: anyone); no file counts when a process
	 * that copies, archives, checksums, searches or backs files up opens
	 * it (`movers:`).  A process whose executable is not known counts.
	 */
	struct strv	 runtimes[ECO__MAX];
	struct strv	 movers;
};

/*
 * Append the entries of one YAML file.  Each bad entry is reported through
 * report() as "file:line:col: problem" and skipped; the others load.
 * Returns the number of bad entries, or -errno when the file cannot be
 * read or is not YAML at all (also reported).
 */
typedef void catalog_report_fn(void *arg, const char *msg);
int	catalog_load_file(struct catalog *c, const char *path,
	    catalog_report_fn *report, void *arg);
/* Every *.yaml of dir, in name order; a missing dir is not an error. */
int	catalog_load_dir(struct catalog *c, const char *dir,
	    catalog_report_fn *report, void *arg);
void	catalog_free(struct catalog *c);
/*
 * Index the file globs by the literal text each one needs, so that an
 * open is matched only against the signatures whose literal it contains
 * (discover.c).  Optional: discover_event tries every signature without.
 * 0 or -ENOMEM.
 */
int	catalog_index(struct catalog *c);
void	cindex_free(struct cindex *x);

/* ---------------------------------------------------------------- discover */

#define DET_CONFIRMED	1
#define DET_INFERRED	0

/* What a model's header says ("" where it says nothing). */
struct model_facts {
	char	 name[256];
	char	 arch[64];	/* llama, qwen2, ... */
	char	 size[32];	/* "7B", "1.1B" */
	char	 quant[16];	/* Q4_K_M, F16, ... */
};

struct detection {
	const struct sig *sig;
	char		 key[512];	/* identity within the signature */
	char		 name[256];	/* component name */
	char		 version[128];
	int		 confidence;	/* DET_* */
	char		 technique[32];	/* CycloneDX evidence technique */
	/* Evidence: which behaviour, when, in which process. */
	char		 behaviour[16];	/* open, exec, connect, listen */
	uint64_t	 ts;
	uint32_t	 pid;
	char		 exe[512];
	char		 detail[1024];	/* path, host:port or command line */
	char		 source[1600];	/* file that proved it, if any */
	char		 launched_by[1024]; /* MCP: the parent's command line */
	/* Found by a port alone: evidence that adds weight to another
	 * signal, never one that makes a workload AI by itself. */
	int		 port_only;
	/* A model file: the format its bytes say (model.c), or refuted:
	 * read, and no model at all (never stored, never counted). */
	char		 format[16];
	struct model_facts facts;
	int		 refuted;
	/* A PyPI package's file loaded from outside site-packages: it is
	 * that package only if its metadata is next to it. */
	int		 needs_meta;
};

/*
 * The detections one event is evidence for (pure: no I/O).  Returns how
 * many were written to out (at most max).
 */
size_t	discover_event(const struct catalog *c, const struct wire_event *ev,
	    struct detection *out, size_t max);
/* Does d alone make its workload AI?  Its signature's `ai`, unless it was
 * found by a port alone. */
int	discover_is_ai(const struct detection *d);
/*
 * Confirm a detection from the file system where it can be (root: "" for
 * the host's own view): package metadata for a version, a model header for
 * the format and name.  Upgrades confidence, fills version and source.
 */
void	discover_confirm(struct detection *d, const char *root);
/* An MCP server found by the SDK it loads: named by its command line in
 * <procfs>/<pid>, linked to its launcher; 0 or -ESRCH. */
int	discover_name_process(struct detection *d, const char *procfs);
/* ----------------------------------------------------------- model.c */

#define MODEL_SNIFF	(1u << 20)	/* bytes read to find a format */

/* A GGUF file's header facts; -1 when fd is no GGUF. */
int	gguf_read(int fd, struct model_facts *mf);
/* Is fd a safetensors file (u64 length + JSON header)? */
int	safetensors_read(int fd);
/* The model format fd's bytes are ("gguf", "onnx", ...; model.c), with
 * what its header says in mf; NULL when it is no model file. */
const char *model_format(int fd, struct model_facts *mf);
/* The JSON stored for a detection in P ai:{W}. */
char	*discover_json(const struct detection *d);

#endif
