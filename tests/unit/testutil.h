/*
 * testutil: what several test binaries need: a private redis-server on a
 * unix socket in a temporary directory, child processes by pid, and paths
 * inside the source tree.
 */
#ifndef PADDOCK_TESTUTIL_H
#define PADDOCK_TESTUTIL_H

#include <sys/types.h>

struct redisContext;

struct tu_redis {
	char	dir[256];
	char	sock[300];
	char	url[320];
	pid_t	pid;
};

/* Start redis-server (AOF on) in a fresh temp dir; 0 or -errno. */
int	tu_redis_start(struct tu_redis *r);
/* SHUTDOWN gracefully (data saved), wait for exit. */
int	tu_redis_stop(struct tu_redis *r);
/* Start again on the same directory and socket. */
int	tu_redis_restart(struct tu_redis *r);
/* Stop and remove the directory. */
void	tu_redis_destroy(struct tu_redis *r);
/* cmocka group fixtures: a private redis-server in *state, then gone. */
int	tu_redis_setup(void **state);
int	tu_redis_teardown(void **state);
struct redisContext *tu_redis_connect(const struct tu_redis *r);
/* Run a Redis command and return its integer reply (or -1). */
long long tu_redis_int(struct redisContext *c, const char *fmt, ...);

/* The top of the source tree ($PADDOCK_TOP or "."), and paths below it. */
const char *tu_path(const char *rel, char *buf, size_t len);
/* Spawn argv with stdout to outfile (or inherited if NULL); the pid. */
pid_t	tu_spawn(char *const argv[], const char *outfile);
/* The same, with stderr to errfile too (NULL: inherited). */
pid_t	tu_spawn2(char *const argv[], const char *outfile, const char *errfile);
/* Spawn and wait; the exit status, 128+signal, or -ETIMEDOUT. */
int	tu_run(char *const argv[], const char *outfile, const char *errfile,
	    int timeout_ms);
/* A file's contents (up to 1 MiB), NUL-terminated; free() it.  NULL if none. */
char	*tu_slurp(const char *file);
/* Wait for a pid with a timeout in ms; exit status or -ETIMEDOUT. */
int	tu_wait(pid_t pid, int timeout_ms);
void	tu_sleep_ms(int ms);
int	tu_is_root(void);
/* In a cmocka test: skip, saying why, unless root. */
#define TU_NEED_ROOT() do {						\
	if (!tu_is_root()) {						\
		print_message("needs root (BPF, cgroups): skipped\n");	\
		skip();							\
	}								\
} while (0)

/*
 * A whole Paddock stack for live tests: `paddockctl up` in a fresh state
 * directory /tmp/paddock-test-<tag>.XXXXXX with conf as its configuration
 * (plus the enforcer's own pin directory), and `down --disable` (pins
 * removed) plus removal at the end (kept with PADDOCK_TEST_KEEP=1).
 */
struct tu_stack {
	char	dir[256];		/* state directory */
	char	work[300];		/* scratch files for the test */
	char	conf[320];
	char	pins[128];		/* the enforcer's bpffs directory */
	int	up;
};

#include <jansson.h>

int	tu_stack_up(struct tu_stack *s, const char *tag, const char *conf);
void	tu_stack_down(struct tu_stack *s);
/* bin/NAME in the source tree. */
char	*tu_bin(const char *name, char *buf, size_t len);
/* paddockctl -c CONF --state-dir DIR ARGS... (NULL-terminated). */
int	tu_ctl(const struct tu_stack *s, const char *out, ...);
/* paddockctl run --workload W -- CMD... */
int	tu_ctl_run(const struct tu_stack *s, const char *workload,
	    char *const cmd[], const char *out);
/* paddockctl -o json ARGS... parsed; NULL when it failed. */
json_t	*tu_ctl_json(const struct tu_stack *s, ...);

#endif
