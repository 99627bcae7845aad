/*
 * paddock-enforced: the enforcer: applies each workload's policy in the kernel.
 *
 * For now only the shared lifecycle (libcommon/daemon): options, config,
 * Redis connection, signals, housekeeping and clean shutdown.
 */
#include "daemon.h"

static const struct daemon_ops enforced_ops = {
	.name = "paddock-enforced",
	.summary = "The Paddock enforcer: applies each workload's policy in the kernel.",
};

int
main(int argc, char **argv)
{
	return daemon_main(argc, argv, &enforced_ops, NULL);
}
