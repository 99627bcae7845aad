/*
 * paddock-policyd: the policy engine: stages, policies, violations and the audit trail.
 *
 * For now only the shared lifecycle (libcommon/daemon): options, config,
 * Redis connection, signals, housekeeping and clean shutdown.
 */
#include "daemon.h"

static const struct daemon_ops policyd_ops = {
	.name = "paddock-policyd",
	.summary = "The Paddock policy engine: stages, policies, violations and the audit trail.",
};

int
main(int argc, char **argv)
{
	return daemon_main(argc, argv, &policyd_ops, NULL);
}
