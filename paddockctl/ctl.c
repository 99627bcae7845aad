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
#include <jansson.h>
#include <yaml.h>

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

/* ---------------------------------------------------------------- yaml */

static int
yaml_write(void *data, unsigned char *buf, size_t size)
{
	return fwrite(buf, 1, size, data) == size;
}

static int
yaml_scalar(yaml_emitter_t *em, const char *s, int plain_ok)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
	    (int)strlen(s), plain_ok, !plain_ok, plain_ok ? YAML_ANY_SCALAR_STYLE :
	    YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	return yaml_emitter_emit(em, &ev);
}

static int
yaml_node(yaml_emitter_t *em, json_t *j)
{
	yaml_event_t ev;
	char buf[64];
	const char *k;
	json_t *v;
	size_t i;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_MAPPING_STYLE);
		if (!yaml_emitter_emit(em, &ev))
			return -EIO;
		json_object_foreach(j, k, v) {
			if (!yaml_scalar(em, k, 1) || yaml_node(em, v) < 0)
				return -EIO;
		}
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(em, &ev) ? 0 : -EIO;
	case JSON_ARRAY:
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(em, &ev))
			return -EIO;
		json_array_foreach(j, i, v)
			if (yaml_node(em, v) < 0)
				return -EIO;
		yaml_sequence_end_event_initialize(&ev);
		return yaml_emitter_emit(em, &ev) ? 0 : -EIO;
	case JSON_STRING:
		/* Quoted, so "*" or "yes" stay strings when read back. */
		return yaml_scalar(em, json_string_value(j), 0) ? 0 : -EIO;
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(j));
		return yaml_scalar(em, buf, 1) ? 0 : -EIO;
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%.3f", json_real_value(j));
		return yaml_scalar(em, buf, 1) ? 0 : -EIO;
	case JSON_TRUE:
		return yaml_scalar(em, "true", 1) ? 0 : -EIO;
	case JSON_FALSE:
		return yaml_scalar(em, "false", 1) ? 0 : -EIO;
	default:
		return yaml_scalar(em, "null", 1) ? 0 : -EIO;
	}
}

int
ctl_print_yaml(FILE *f, json_t *doc)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	int rc = -EIO;

	if (!yaml_emitter_initialize(&em))
		return -ENOMEM;
	yaml_emitter_set_output(&em, yaml_write, f);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, 100);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (!yaml_emitter_emit(&em, &ev))
		goto out;
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	if (!yaml_emitter_emit(&em, &ev) || yaml_node(&em, doc) < 0)
		goto out;
	yaml_document_end_event_initialize(&ev, 1);
	if (!yaml_emitter_emit(&em, &ev))
		goto out;
	yaml_stream_end_event_initialize(&ev);
	if (!yaml_emitter_emit(&em, &ev))
		goto out;
	rc = 0;
out:
	yaml_emitter_delete(&em);
	return rc;
}

int
ctl_print_json(FILE *f, json_t *doc)
{
	if (json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
		return -EIO;
	fputc('\n', f);
	return 0;
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
