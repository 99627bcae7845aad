/*
 * ctl: state and helpers shared by paddockctl's subcommands.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "rstream.h"
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

	ctl_redis_url(ctl, url, sizeof(url));
	c = rstream_connect_sync(url, ctl->conf.redis.user,
	    ctl->conf.redis.password, 5000, err, sizeof(err));
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
