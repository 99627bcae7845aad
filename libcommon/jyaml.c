/*
 * jyaml: JSON documents (jansson) written as YAML, for people.
 *
 * Used for everything Paddock prints or stores as YAML (profiles,
 * policies): libyaml's emitter does the quoting, so a path like "*" or a
 * name like "yes" survives a round trip as a string.  Strings are always
 * double-quoted; numbers and booleans are plain; key order is kept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "jyaml.h"


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
jyaml_dump(FILE *f, json_t *doc)
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

char *
jyaml_text(json_t *doc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	if (jyaml_dump(f, doc) < 0) {
		fclose(f);
		free(buf);
		return NULL;
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
