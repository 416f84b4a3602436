/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: the sd_notify datagram protocol, spoken without libsystemd. */
#ifndef TI_NOTIFY_H
#define TI_NOTIFY_H

/**
 * Send state (e.g. "READY=1\nSTATUS=serving") to $NOTIFY_SOCKET.
 * @return 1 if sent, 0 when NOTIFY_SOCKET is unset, -errno on failure.
 */
int ti_notify(const char *state);

/** Send "RELOADING=1" with MONOTONIC_USEC, as Type=notify-reload expects. */
int ti_notify_reloading(void);

#endif /* TI_NOTIFY_H */
