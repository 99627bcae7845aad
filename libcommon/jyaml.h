/*
 * jyaml: JSON documents written as YAML (see jyaml.c).
 */
#ifndef PADDOCK_JYAML_H
#define PADDOCK_JYAML_H

#include <stdio.h>

#include <jansson.h>

/* Write doc to f as one YAML document; 0 or -EIO/-ENOMEM. */
int	jyaml_dump(FILE *f, json_t *doc);
/* The same as a malloc'd string, or NULL. */
char	*jyaml_text(json_t *doc);

#endif
