/*
 * ctl: state and helpers shared by paddockctl's subcommands.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

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
