/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gateway's [sip] section: listening sockets, transaction timers and
 * transport limits, read into a plain settings struct that the daemon
 * turns into a sip_ua (sip/ua.h). Reading never touches the running
 * stack, so a failed reload changes nothing.
 *
 *   [sip]
 *   listen          = udp:127.0.0.1:5060, tcp:127.0.0.1:5060, udp:[::1]:5060
 *   user_agent      = pstngw
 *   t1 = 500ms, t2 = 4s, t4 = 5s
 *   max_connections = 1024
 *   max_message_size = 65535
 *   idle_timeout    = 300s
 *   flood_rate      = 0          ; messages/s per source address, 0 = off
 *   flood_burst     = 0          ; default 2 x flood_rate
 *   max_transactions = 65536
 */
#ifndef GW_SIPCONF_H
#define GW_SIPCONF_H

#include <stdbool.h>
#include <stdint.h>

#include "sip/ua.h"

struct gw_conf;
struct gw_conf_err;

#define GW_SIP_MAX_LISTEN 8

struct gw_sip_listen {
	enum sip_tp tp;
	char addr[64];   /* numeric IPv4 or IPv6 (no brackets) */
	uint16_t port;
};

struct gw_sipconf {
	size_t nlisten;
	struct gw_sip_listen listen[GW_SIP_MAX_LISTEN];
	char user_agent[64];
	struct sip_ua_cfg ua;  /* user_agent left NULL: point it at
				  user_agent[] where the struct lives */
};

/*
 * Read [sip]. A missing section gives the defaults (UDP and TCP on
 * 127.0.0.1:5060). 0 or EINVAL with err naming file:line:key.
 */
int gw_sipconf_read(struct gw_sipconf *sc, struct gw_conf *conf,
		    struct gw_conf_err *err);

/* Parse one listen item "udp:HOST:PORT" / "tcp:[V6]:PORT". 0 or EINVAL. */
int gw_sipconf_parse_listen(const char *s, struct gw_sip_listen *l);

/* True if the two need different sockets (a restart, not a reload). */
bool gw_sipconf_listen_changed(const struct gw_sipconf *a,
			       const struct gw_sipconf *b);

#endif
