/*
 * sd: the systemd notification protocol without libsystemd.
 *
 * One datagram per message to $NOTIFY_SOCKET (a path, or an abstract socket
 * when it starts with '@').  Without $NOTIFY_SOCKET every call is a no-op
 * that returns 0, so daemons call these unconditionally.
 */
#ifndef PADDOCK_SD_H
#define PADDOCK_SD_H

#include <stdint.h>

/* Send one message such as "READY=1"; 0 or -errno. */
int		sd_notify_msg(const char *msg);
/* The watchdog interval systemd asked for, in ms; 0 when none. */
uint64_t	sd_watchdog_ms(void);

#endif
