/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gateway's [sip] section (see sipconf.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gw/conf.h"
#include "gw/sipconf.h"

int gw_sipconf_parse_listen(const char *s, struct gw_sip_listen *l)
{
	const char *host, *colon;
	char *end;
	size_t hl;
	long port;
	struct in6_addr a6;
	struct in_addr a4;

	memset(l, 0, sizeof(*l));
	if (!strncasecmp(s, "udp:", 4))
		l->tp = SIP_TP_UDP;
	else if (!strncasecmp(s, "tcp:", 4))
		l->tp = SIP_TP_TCP;
	else
		return EINVAL;
	host = s + 4;
	if (*host == '[') {
		const char *rb = strchr(host, ']');
		if (!rb || rb[1] != ':')
			return EINVAL;
		hl = (size_t)(rb - host - 1);
		host++;
		colon = rb + 1;
	} else {
		colon = strrchr(host, ':');
		if (!colon)
			return EINVAL;
		hl = (size_t)(colon - host);
	}
	if (hl == 0 || hl >= sizeof(l->addr))
		return EINVAL;
	memcpy(l->addr, host, hl);
	l->addr[hl] = '\0';
	/* IPv6 only in brackets: "udp:::1:5060" is ambiguous */
	if (host[-1] != '[' && strchr(l->addr, ':'))
		return EINVAL;
	if (inet_pton(AF_INET, l->addr, &a4) != 1 &&
	    inet_pton(AF_INET6, l->addr, &a6) != 1)
		return EINVAL;
	port = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || port < 0 || port > 65535)
		return EINVAL;
	l->port = (uint16_t)port;
	return 0;
}

int gw_sipconf_read(struct gw_sipconf *sc, struct gw_conf *conf,
		    struct gw_conf_err *err)
{
	const char *v;
	char buf[512], *save = NULL, *tok;
	long t1, t2, t4, n;
	int ret;

	memset(sc, 0, sizeof(*sc));
	gw_conf_str(conf, "sip", "listen", "udp:127.0.0.1:5060, tcp:127.0.0.1:5060",
		    &v, err);
	if (strlen(v) >= sizeof(buf))
		return gw_conf_fail(conf, "sip", "listen", err, "too long");
	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		if (sc->nlisten == GW_SIP_MAX_LISTEN)
			return gw_conf_fail(conf, "sip", "listen", err,
					    "at most %d sockets", GW_SIP_MAX_LISTEN);
		if (gw_sipconf_parse_listen(tok, &sc->listen[sc->nlisten]))
			return gw_conf_fail(conf, "sip", "listen", err,
					    "'%s' is not udp:ADDRESS:PORT or "
					    "tcp:ADDRESS:PORT (IPv6 in [brackets])",
					    tok);
		for (size_t i = 0; i < sc->nlisten; i++) {
			const struct gw_sip_listen *a = &sc->listen[i];
			const struct gw_sip_listen *b = &sc->listen[sc->nlisten];
			if (a->tp == b->tp && a->port == b->port &&
			    !strcmp(a->addr, b->addr))
				return gw_conf_fail(conf, "sip", "listen", err,
						    "'%s' listed twice", tok);
		}
		sc->nlisten++;
	}
	if (!sc->nlisten)
		return gw_conf_fail(conf, "sip", "listen", err,
				    "no socket to listen on");

	gw_conf_str(conf, "sip", "user_agent", "pstngw", &v, err);
	if (strlen(v) >= sizeof(sc->user_agent))
		return gw_conf_fail(conf, "sip", "user_agent", err, "too long");
	snprintf(sc->user_agent, sizeof(sc->user_agent), "%s", v);

	if ((ret = gw_conf_msec(conf, "sip", "t1", 50, 10000, 500, &t1, err)) ||
	    (ret = gw_conf_msec(conf, "sip", "t2", 100, 60000, 4000, &t2, err)) ||
	    (ret = gw_conf_msec(conf, "sip", "t4", 100, 60000, 5000, &t4, err)))
		return ret;
	if (t2 < t1)
		return gw_conf_fail(conf, "sip", "t2", err,
				    "must not be below t1 (%ldms)", t1);
	sc->ua.tsx.t1 = (uint32_t)t1;
	sc->ua.tsx.t2 = (uint32_t)t2;
	sc->ua.tsx.t4 = (uint32_t)t4;
	if ((ret = gw_conf_int(conf, "sip", "max_transactions", 16, 1000000,
			       65536, &n, err)))
		return ret;
	sc->ua.tsx.max_tsx = (uint32_t)n;
	if ((ret = gw_conf_int(conf, "sip", "max_connections", 1, 100000, 1024,
			       &n, err)))
		return ret;
	sc->ua.tp.max_conns = (uint32_t)n;
	if ((ret = gw_conf_int(conf, "sip", "max_message_size", 1500, 1048576,
			       65535, &n, err)))
		return ret;
	sc->ua.tp.max_msg_size = (uint32_t)n;
	if ((ret = gw_conf_msec(conf, "sip", "idle_timeout", 1000, 86400000,
				300000, &n, err)))
		return ret;
	sc->ua.tp.idle_timeout_ms = (uint32_t)n;
	if ((ret = gw_conf_int(conf, "sip", "flood_rate", 0, 1000000, 0, &n,
			       err)))
		return ret;
	sc->ua.tp.flood_rate = (uint32_t)n;
	if ((ret = gw_conf_int(conf, "sip", "flood_burst", 0, 10000000, 0, &n,
			       err)))
		return ret;
	sc->ua.tp.flood_burst = (uint32_t)n;
	return 0;
}

bool gw_sipconf_listen_changed(const struct gw_sipconf *a,
			       const struct gw_sipconf *b)
{
	if (a->nlisten != b->nlisten)
		return true;
	for (size_t i = 0; i < a->nlisten; i++) {
		if (a->listen[i].tp != b->listen[i].tp ||
		    a->listen[i].port != b->listen[i].port ||
		    strcmp(a->listen[i].addr, b->listen[i].addr))
			return true;
	}
	return false;
}
