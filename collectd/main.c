/*
 * paddock-collectd: the collector: watches every workload from the kernel and publishes novel behaviour.
 *
 * For now only the shared lifecycle (libcommon/daemon): options, config,
 * Redis connection, signals, housekeeping and clean shutdown.
 */
#include "daemon.h"

static const struct daemon_ops collectd_ops = {
	.name = "paddock-collectd",
	.summary = "The Paddock collector: watches every workload from the kernel and publishes novel behaviour.",
};

int
main(int argc, char **argv)
{
	return daemon_main(argc, argv, &collectd_ops, NULL);
}
