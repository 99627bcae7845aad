/*
 * paddockctl's private header: the global state every subcommand gets and
 * the helpers they share (finding the stack, output formats).
 */
#ifndef PADDOCKCTL_CTL_H
#define PADDOCKCTL_CTL_H

#include "conf.h"

#define CTL_EXIT_OK		0
#define CTL_EXIT_FAIL		1
#define CTL_EXIT_USAGE		2
#define CTL_EXIT_REDIS		3
#define CTL_EXIT_UNKNOWN	4
#define CTL_EXIT_DAEMON		5

/* Seconds a change waits for policyd's reply (--wait). */
#define CTL_WAIT_DEFAULT	15

enum ctl_output {
	CTL_OUT_TABLE,
	CTL_OUT_JSON,
	CTL_OUT_YAML,
	CTL_OUT_CYCLONEDX,
};

struct ctl {
	char			 conf_path[256];
	int			 explicit_conf;
	struct paddock_conf	 conf;
	const char		*redis_opt;
	const char		*state_dir_opt;
	enum ctl_output		 output;
	int			 output_set;
	int			 verbose;
	int			 disable;	/* down --disable */
	int			 wait_s;	/* --wait: for policyd's reply */
};

struct ctl_cmd {
	const char	*name;
	const char	*summary;
	int		(*run)(struct ctl *ctl, int argc, char **argv);
};

struct redisContext;

/* ctl.c */
int	ctl_set_output(struct ctl *ctl, const char *fmt);
int	ctl_load_conf(struct ctl *ctl);
/* The state directory: --state-dir, $PADDOCK_STATE_DIR, the config. */
const char *ctl_state_dir(const struct ctl *ctl, char *buf, size_t len);
/*
 * The stack's Redis, found in this order: --redis, $PADDOCK_REDIS, the
 * socket in --state-dir or $PADDOCK_STATE_DIR, the config file's
 * redis.url, the socket in the default state directory.
 */
const char *ctl_redis_url(const struct ctl *ctl, char *buf, size_t len);
/* Who this operator is: $PADDOCK_OPERATOR, $SUDO_USER, the login name. */
const char *ctl_operator(const struct ctl *ctl);
/*
 * Make sure the operator has a key in the stack's operators directory
 * (opauth.h): made here when missing and we are root (said when verbose
 * or made); 0, or an exit code after saying why not.
 */
int	ctl_operator_key(const struct ctl *ctl, int verbose);
/* Connect (blocking, 5 s timeout); NULL after printing why. */
struct redisContext *ctl_connect(const struct ctl *ctl);
/* prefix + suffix */
const char *ctl_key(const struct ctl *ctl, const char *suffix, char *buf,
	    size_t len);
/* The directory paddockctl itself lives in (daemons are found there). */
const char *ctl_bindir(char *buf, size_t len);

/* Documents: JSON (indented, key order kept) or YAML (strings quoted). */
#include <stdio.h>
#include <jansson.h>
int	ctl_print_json(FILE *f, json_t *doc);
/*
 * s cut to width columns for a table, keeping its start and its end (a
 * path's file name) around "...": out, or s itself when it fits.
 */
const char *ctl_fit(const char *s, size_t width, char *out, size_t len);
int	ctl_print_yaml(FILE *f, json_t *doc);

/*
 * A workload's stage: policyd's P state:{W} field stage, else the
 * configured initial stage.  Static buffer.
 */
const char *ctl_stage(struct ctl *ctl, struct redisContext *c, const char *w);

/* A profile's loss window ([first, last] as ISO 8601) from its meta's
 * loss_from_ms and loss_to_ms; JSON null when nothing was lost. */
json_t	*ctl_loss_window(long long from_ms, long long to_ms);

/* A whole file (at most max bytes), NUL-terminated; NULL after saying why. */
char	*ctl_read_file(const char *path, size_t max);

/* bom.c: CycloneDX 1.6 from workloads with their detections (pure). */
json_t	*bom_cyclonedx(json_t *workloads, const char *host, int single,
	    const char *serial, const char *timestamp);

/* The subcommands. */
extern const struct ctl_cmd ctl_cmd_up, ctl_cmd_down, ctl_cmd_disable, ctl_cmd_run,
	    ctl_cmd_events, ctl_cmd_workloads, ctl_cmd_profile, ctl_cmd_bom,
	    ctl_cmd_promote, ctl_cmd_demote, ctl_cmd_accept, ctl_cmd_review,
	    ctl_cmd_policy,
	    ctl_cmd_audit, ctl_cmd_violations, ctl_cmd_status, ctl_cmd_doctor;

#endif
