/*
 * ctl: state and helpers shared by paddockctl's subcommands.
 */
#include <errno.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "jyaml.h"
#include "opauth.h"
#include "secret.h"
#include "rstream.h"
#include "wire.h"
#include "ctl.h"

int
ctl_set_output(struct ctl *ctl, const char *fmt)
{
	static const char *const names[] = {
		"table", "json", "yaml", "cyclonedx", NULL,
	};
	int i;

	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(fmt, names[i]) == 0) {
			ctl->output = (enum ctl_output)i;
			ctl->output_set = 1;
			return 0;
		}
	}
	fprintf(stderr, "paddockctl: unknown output format \"%s\" (table, "
	    "json, yaml, cyclonedx)\n", fmt);
	return -EINVAL;
}

int
ctl_load_conf(struct ctl *ctl)
{
	char err[CONF_ERRLEN];
	int rc;

	conf_defaults(&ctl->conf);
	rc = conf_load(ctl->conf_path, &ctl->conf, err, sizeof(err));
	if (rc == -ENOENT && !ctl->explicit_conf)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "paddockctl: %s\n", err);
		return rc;
	}
	return 0;
}

const char *
ctl_state_dir(const struct ctl *ctl, char *buf, size_t len)
{
	const char *env = getenv("PADDOCK_STATE_DIR");

	if (ctl->state_dir_opt != NULL)
		snprintf(buf, len, "%s", ctl->state_dir_opt);
	else if (env != NULL && env[0] != '\0')
		snprintf(buf, len, "%s", env);
	else
		snprintf(buf, len, "%s", ctl->conf.state_dir);
	return buf;
}

const char *
ctl_redis_url(const struct ctl *ctl, char *buf, size_t len)
{
	const char *env = getenv("PADDOCK_REDIS");
	const char *senv = getenv("PADDOCK_STATE_DIR");

	if (ctl->redis_opt != NULL)
		snprintf(buf, len, "%s", ctl->redis_opt);
	else if (env != NULL && env[0] != '\0')
		snprintf(buf, len, "%s", env);
	else if (ctl->state_dir_opt != NULL)
		snprintf(buf, len, "unix://%s/redis.sock", ctl->state_dir_opt);
	else if (senv != NULL && senv[0] != '\0')
		snprintf(buf, len, "unix://%s/redis.sock", senv);
	else if (ctl->conf.path[0] != '\0')
		snprintf(buf, len, "%s", ctl->conf.redis.url);
	else
		snprintf(buf, len, "unix://%s/redis.sock", ctl->conf.state_dir);
	return buf;
}

struct redisContext *
ctl_connect(const struct ctl *ctl)
{
	char url[512], err[512];
	redisContext *c;

	char sdir[512], pw[SECRET_HEX];
	const char *user = ctl->conf.redis.user, *pass = ctl->conf.redis.password;

	/* Paddock's own Redis: as its operator user (secret.h), whose secret
	 * root can read; else as the configuration says (or the default user,
	 * which reads). */
	if (user[0] == '\0' && secret_read(ctl_state_dir(ctl, sdir,
	    sizeof(sdir)), "operator", pw) == 0) {
		user = "operator";
		pass = pw;
	}
	ctl_redis_url(ctl, url, sizeof(url));
	c = rstream_connect_sync(url, user, pass, 5000, err, sizeof(err));
	if (c == NULL)
		fprintf(stderr, "paddockctl: %s (is the stack up? try "
		    "`paddockctl up`, or give --redis or --state-dir)\n", err);
	return c;
}

const char *
ctl_key(const struct ctl *ctl, const char *suffix, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", ctl->conf.redis.prefix, suffix);
	return buf;
}

const char *
ctl_bindir(char *buf, size_t len)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0) {
		snprintf(buf, len, ".");
		return buf;
	}
	self[n] = '\0';
	snprintf(buf, len, "%s", dirname(self));
	return buf;
}

int
ctl_print_yaml(FILE *f, json_t *doc)
{
	return jyaml_dump(f, doc);
}

int
ctl_print_json(FILE *f, json_t *doc)
{
	if (json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
		return -EIO;
	fputc('\n', f);
	return 0;
}

json_t *
ctl_loss_window(long long from_ms, long long to_ms)
{
	char a[40], b[40];

	if (from_ms <= 0)
		return json_null();
	wire_time_iso((uint64_t)from_ms * 1000000ull, a, sizeof(a));
	wire_time_iso((uint64_t)(to_ms > from_ms ? to_ms : from_ms) *
	    1000000ull, b, sizeof(b));
	return json_pack("[ss]", a, b);
}

const char *
ctl_stage(struct ctl *ctl, redisContext *c, const char *w)
{
	static char buf[32];
	char key[WIRE_NAME_MAX + 80];
	redisReply *r;

	snprintf(key, sizeof(key), "%sstate:{%s}", ctl->conf.redis.prefix, w);
	r = redisCommand(c, "HGET %s stage", key);
	if (r != NULL && r->type == REDIS_REPLY_STRING)
		snprintf(buf, sizeof(buf), "%s", r->str);
	else
		snprintf(buf, sizeof(buf), "%s",
		    conf_stage_names[ctl->conf.policyd.initial_stage]);
	freeReplyObject(r);
	return buf;
}

char *
ctl_read_file(const char *path, size_t max)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "paddockctl: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(max + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, max, f);
	if (!feof(f)) {
		fprintf(stderr, "paddockctl: %s: larger than %zu bytes\n", path,
		    max);
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	return buf;
}

const char *
ctl_fit(const char *s, size_t width, char *out, size_t len)
{
	size_t n = strlen(s), head;

	if (n <= width || width < 8 || len <= width)
		return s;
	head = (width - 3) / 3;
	snprintf(out, len, "%.*s...%s", (int)head, s,
	    s + n - (width - 3 - head));
	return out;
}

const char *
ctl_operator(const struct ctl *ctl)
{
	const char *u = getenv("PADDOCK_OPERATOR");
	struct passwd *pw;

	if (u != NULL && *u)
		return u;
	if ((u = getenv("SUDO_USER")) != NULL && *u)
		return u;
	if ((pw = getpwuid(getuid())) != NULL)
		return pw->pw_name;
	return "unknown";
}

int
ctl_operator_key(const struct ctl *ctl, int verbose)
{
	char sdir[512], dir[600], err[768];
	const char *me = ctl_operator(ctl);
	int rc;

	opauth_dir(ctl_state_dir(ctl, sdir, sizeof(sdir)), dir, sizeof(dir));
	if (!opauth_valid_name(me)) {
		fprintf(stderr, "paddockctl: \"%s\" cannot name an operator "
		    "(letters, digits, '.', '_', '-'; set PADDOCK_OPERATOR)\n",
		    me);
		return CTL_EXIT_FAIL;
	}
	snprintf(err, sizeof(err), "%s/%s.key", dir, me);
	if (access(err, R_OK) == 0)
		return 0;
	if (geteuid() != 0) {
		fprintf(stderr, "paddockctl: no operator key for \"%s\" that we "
		    "can read (%s): commands are signed with it; run as root, or "
		    "ask an administrator\n", me, err);
		return CTL_EXIT_FAIL;
	}
	if ((rc = opauth_keygen(dir, me, err, sizeof(err))) < 0) {
		fprintf(stderr, "paddockctl: operator key for \"%s\": %s\n",
		    me, err);
		return CTL_EXIT_FAIL;
	}
	if (rc > 0 || verbose)
		printf("operator: %s, key %s/%s.key\n", me, dir, me);
	return 0;
}
