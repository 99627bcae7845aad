/*
 * paddockctl: the operator's one tool.
 *
 * A table of subcommands; each gets the global options already parsed.
 * Exit codes (documented in README.md): 0 success, 1 failure of the
 * operation, 2 usage error, 3 Redis unreachable, 4 unknown workload, 5 a
 * daemon did not answer.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "ctl.h"

static const struct ctl_cmd *const commands[] = {
	&ctl_cmd_status,
	&ctl_cmd_up,
	&ctl_cmd_down,
	&ctl_cmd_disable,
	&ctl_cmd_run,
	&ctl_cmd_events,
	&ctl_cmd_workloads,
	&ctl_cmd_profile,
	&ctl_cmd_bom,
	&ctl_cmd_promote,
	&ctl_cmd_demote,
	&ctl_cmd_policy,
	&ctl_cmd_violations,
	&ctl_cmd_accept,
	&ctl_cmd_review,
	&ctl_cmd_audit,
	&ctl_cmd_doctor,
	NULL,
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    "usage: paddockctl [-n] [-c file] [--redis URL] [--state-dir DIR] "
	    "[-o table|json|yaml|cyclonedx]\n"
	    "                  [--wait SECONDS] command [args]\n\n"
	    "  -c file          configuration file (default %s)\n"
	    "  -n               check the configuration and exit\n"
	    "  --redis URL      the stack's Redis (else $PADDOCK_REDIS, the\n"
	    "                   state directory, the configuration)\n"
	    "  --state-dir DIR  state directory of `paddockctl up` (else\n"
	    "                   $PADDOCK_STATE_DIR, then /var/lib/paddock)\n"
	    "  -o FORMAT        output format where it makes sense\n"
	    "  --wait SECONDS   how long a change waits for paddock-policyd\n"
	    "                   (default %d); never carried out after that\n\n"
	    "commands:\n", CONF_DEFAULT_PATH, CTL_WAIT_DEFAULT);
	for (i = 0; commands[i] != NULL; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "redis", required_argument, NULL, 'R' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "wait", required_argument, NULL, 'W' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl ctl;
	char *end;
	int ch, check_only = 0;
	size_t i;

	memset(&ctl, 0, sizeof(ctl));
	ctl.wait_s = CTL_WAIT_DEFAULT;
	snprintf(ctl.conf_path, sizeof(ctl.conf_path), "%s", CONF_DEFAULT_PATH);
	log_init("paddockctl", 1, 0);
	/* "+": stop at the command so its own options stay its own. */
	while ((ch = getopt_long(argc, argv, "+c:hno:v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			snprintf(ctl.conf_path, sizeof(ctl.conf_path), "%s", optarg);
			ctl.explicit_conf = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'n':
			check_only = 1;
			break;
		case 'o':
			if (ctl_set_output(&ctl, optarg) < 0)
				return CTL_EXIT_USAGE;
			break;
		case 'v':
			ctl.verbose++;
			log_setverbose(ctl.verbose);
			break;
		case 'R':
			ctl.redis_opt = optarg;
			break;
		case 'W':
			ctl.wait_s = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || ctl.wait_s < 2 ||
			    ctl.wait_s > 3600) {
				fprintf(stderr, "paddockctl: --wait: \"%s\" is "
				    "not 2..3600 seconds\n", optarg);
				return CTL_EXIT_USAGE;
			}
			break;
		case 'S':
			ctl.state_dir_opt = optarg;
			/* Its defaults (the pin directory) are the stack's. */
			setenv("PADDOCK_STATE_DIR", optarg, 1);
			break;
		default:
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (ctl_load_conf(&ctl) < 0)
		return CTL_EXIT_FAIL;
	if (check_only) {
		printf("paddockctl: configuration OK (%s)\n",
		    ctl.conf.path[0] ? ctl.conf.path : "built-in defaults");
		return 0;
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	for (i = 0; commands[i] != NULL; i++)
		if (strcmp(commands[i]->name, argv[optind]) == 0)
			break;
	if (commands[i] == NULL) {
		fprintf(stderr, "paddockctl: unknown command \"%s\"; see "
		    "paddockctl --help\n", argv[optind]);
		return CTL_EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	optind = 0;	/* glibc: a full reset, so options may follow operands */
	/*
	 * "-o FORMAT" may follow the command too (paddockctl workloads -o
	 * json): take it out before the command parses its own options.
	 * Nothing after "--" is touched, and nothing of run's (its command
	 * may have a -o of its own).
	 */
	if (commands[i] != &ctl_cmd_run) {
		int in, out = 1;

		for (in = 1; in < argc; in++) {
			if (strcmp(argv[in], "--") == 0) {
				while (in < argc)
					argv[out++] = argv[in++];
				break;
			}
			if (strcmp(argv[in], "-o") == 0 && in + 1 < argc) {
				if (ctl_set_output(&ctl, argv[++in]) < 0)
					return CTL_EXIT_USAGE;
				continue;
			}
			if (strncmp(argv[in], "-o", 2) == 0 && argv[in][2] != '\0') {
				if (ctl_set_output(&ctl, argv[in] + 2) < 0)
					return CTL_EXIT_USAGE;
				continue;
			}
			argv[out++] = argv[in];
		}
		argc = out;
		argv[argc] = NULL;
	}
	return commands[i]->run(&ctl, argc, argv);
}
