/*
 * ytree: a YAML document as a small tree with source positions.
 *
 * libyaml's event parser feeds a tree of maps, sequences and scalars; every
 * node remembers its file, line and column (1-based) so that whoever
 * interprets the tree (conf, policies, the signature catalog) can report
 * "file:line:col: what was expected".  Anchors and aliases are refused (they
 * buy nothing in a config file and invite billion-laughs expansion), as are
 * duplicate keys and nesting deeper than YTREE_MAX_DEPTH.
 */
#ifndef PADDOCK_YTREE_H
#define PADDOCK_YTREE_H

#include <stddef.h>
#include <stdint.h>

#define YTREE_MAX_DEPTH	32

enum ynode_type {
	YN_SCALAR = 1,
	YN_MAP,
	YN_SEQ,
};

struct ynode {
	enum ynode_type	 type;
	int		 line, col;	/* 1-based */
	const char	*file;		/* owned by the root */
	char		*str;		/* scalar text, NUL-terminated */
	size_t		 len;
	int		 plain;		/* unquoted scalar */
	struct ynode	**kids;		/* seq: items; map: key, value, ... */
	size_t		 n;		/* seq: items; map: pairs */
};

/*
 * Parse a file or a buffer holding one YAML document.  An empty document is
 * an empty map.  On error returns NULL and writes "file:line:col: problem" to
 * err.
 */
struct ynode	*ytree_parse_file(const char *path, char *err, size_t errlen);
struct ynode	*ytree_parse_buf(const char *name, const char *buf, size_t len,
		    char *err, size_t errlen);
void		 ytree_free(struct ynode *root);

/* Map access: NULL when absent.  Keys are compared as scalars. */
struct ynode	*ymap_get(const struct ynode *map, const char *key);
#define YMAP_KEY(m, i)	((m)->kids[2 * (i)])
#define YMAP_VAL(m, i)	((m)->kids[2 * (i) + 1])

/* Write "file:line:col: msg" for node n into err; returns -EINVAL. */
int	yerr(char *err, size_t errlen, const struct ynode *n, const char *fmt,
	    ...) __attribute__((format(printf, 4, 5)));

/* Typed scalar readers; each returns 0 or -EINVAL with err filled in. */
int	yget_str(const struct ynode *n, char *dst, size_t dstlen, char *err,
	    size_t errlen);
int	yget_u64(const struct ynode *n, uint64_t min, uint64_t max,
	    uint64_t *out, char *err, size_t errlen);
int	yget_bool(const struct ynode *n, int *out, char *err, size_t errlen);
/* "250ms", "30s", "5m", "2h", "1d" or a bare number of seconds -> ms. */
int	yget_duration_ms(const struct ynode *n, uint64_t *out, char *err,
	    size_t errlen);
int	yget_enum(const struct ynode *n, const char *const *names, int *out,
	    char *err, size_t errlen);

#endif
