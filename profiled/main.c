/*
 * paddock-profiled: the profiler: turns behaviour into per-workload baselines.
 *
 * For now only the shared lifecycle (libcommon/daemon): options, config,
 * Redis connection, signals, housekeeping and clean shutdown.
 */
#include "daemon.h"

static const struct daemon_ops profiled_ops = {
	.name = "paddock-profiled",
	.summary = "The Paddock profiler: turns behaviour into per-workload baselines.",
};

int
main(int argc, char **argv)
{
	return daemon_main(argc, argv, &profiled_ops, NULL);
}
