/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFC 3263 §4 SIP server location: turn the host, port and transport of a
 * SIP or SIPS URI into an ordered list of (transport, address, port)
 * targets for failover. Numeric hosts need no lookup; a host with a port
 * is looked up with A/AAAA; otherwise NAPTR (SIP+D2U, SIP+D2T, SIPS+D2T by
 * order and preference), then SRV (priority and RFC 2782 weighted
 * selection), then A/AAAA. Asynchronous on a libuv loop through c-ares.
 */
#ifndef SIP_DNS_H
#define SIP_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "base/pl.h"

enum sip_dns_tp {
	SIP_DNS_TP_UDP = 0,
	SIP_DNS_TP_TCP,
	SIP_DNS_TP_TLS,
	SIP_DNS_TP_ANY,         /* no transport parameter in the URI */
};

#define SIP_DNS_NAME_MAX 256
#define SIP_DNS_MAX_TARGETS 32

struct sip_dns_target {
	enum sip_dns_tp tp;
	struct sockaddr_storage addr;     /* AF_INET or AF_INET6, port set */
	char name[SIP_DNS_NAME_MAX];      /* host the address belongs to
					   * (for TLS server name checks) */
};

struct sip_dns_conf {
	/* "ip[:port],..." for ares_set_servers_ports_csv, or NULL for the
	 * system resolver configuration */
	const char *servers;
	unsigned timeout_ms;    /* whole resolution; 0 = 5000 */
	unsigned tp_mask;       /* (1u << SIP_DNS_TP_*) we can use; 0 = all */
	int family;             /* AF_UNSPEC (both), AF_INET or AF_INET6 */
	bool use_hosts;         /* also consult /etc/hosts for A/AAAA */
	uint64_t seed;          /* SRV weight selection; 0 = random */
};

struct sip_dns;
struct sip_dns_query;

/*
 * Result handler, called once per query from the loop (never from inside
 * sip_dns_resolve). err is 0 with n >= 1 targets, ENOENT when the name
 * has no usable records, ETIMEDOUT when the time ran out (tv may then
 * hold the targets found so far), or another errno. tv is valid only
 * during the call. The query is gone when the handler returns.
 */
typedef void(sip_dns_h)(int err, const struct sip_dns_target *tv, size_t n,
			void *arg);

/*
 * Create a resolver on loop. The configuration is copied. Returns 0,
 * EINVAL (bad server list), ENOMEM or EIO (c-ares failed).
 */
int sip_dns_alloc(struct sip_dns **dnsp, uv_loop_t *loop,
		  const struct sip_dns_conf *conf);

/*
 * Cancel every query (no handler is called) and release the resolver;
 * the memory is returned once the loop has run its close callbacks.
 */
void sip_dns_free(struct sip_dns *dns);

/*
 * Start resolving host (a name or a numeric IPv4/IPv6 address, with or
 * without brackets), with port (0 = none given) and transport (from the
 * URI's transport parameter, or SIP_DNS_TP_ANY). sips restricts the
 * result to TLS. On success *qp (optional) can be given to
 * sip_dns_cancel() until the handler has run. Returns 0, EINVAL or
 * ENOMEM (then h is never called).
 */
int sip_dns_resolve(struct sip_dns *dns, struct sip_dns_query **qp,
		    const struct pl *host, uint16_t port, enum sip_dns_tp tp,
		    bool sips, sip_dns_h *h, void *arg);

/* Stop a query; its handler will not be called. */
void sip_dns_cancel(struct sip_dns_query *q);

const char *sip_dns_tp_name(enum sip_dns_tp tp);

#endif
