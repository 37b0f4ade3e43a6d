/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP trunks: the SIP peers the gateway talks to (carrier trunks, PBXs),
 * one per [trunk NAME] section. A trunk has an address, a transport, an
 * inbound access list (which source addresses count as this trunk), an
 * OPTIONS keepalive (RFC 3261 §11) that marks it up or down, and the name
 * of its cause map ([causes NAME], see gw/cause.h).
 *
 *   [trunk carrier]
 *   address     = 192.0.2.10:5060     ; numeric IPv4 or [IPv6]; port default 5060
 *   transport   = udp                 ; or tcp
 *   acl         = 192.0.2.0/24, 2001:db8::/32   ; default: the address only
 *   keepalive   = 30s                 ; OPTIONS interval; 0 = off (always up)
 *   keepalive_failures = 3            ; consecutive failures before "down"
 *   causes      = carrier             ; [causes carrier]; default [causes]
 *   trust_pai   = yes                 ; take P-Asserted-Identity from it (RFC 3325)
 *   send_pai    = default             ; yes/no; default: [calls] send_pai
 *   send_rpid   = default             ; yes/no; default: [calls] send_rpid
 *   redirect_header = default         ; diversion / history-info; default: [calls]
 *   inbound_user = pbx1               ; its INVITEs must authenticate (digest,
 *   inbound_password = secret         ; 401, realm = [calls] domain); default off
 *   register    = yes                 ; register with it (RFC 3261 §10, sip/reg); default no
 *   username    = 4930123             ; AOR user: sip:username@domain
 *   password    = secret              ; digest password for 401/407
 *   auth_user   = 4930123             ; digest user; default: username
 *   domain      = carrier.example     ; AOR domain; default: the address host
 *   expires     = 3600                ; binding lifetime asked for, seconds
 *   register_retry = 30s              ; first retry after a failure (doubles, max 600s)
 *
 * A keepalive succeeds on any final response except 503 (the peer says
 * it cannot take calls) and fails on 503, a timeout (Timer F) or a
 * transport error. A down trunk is probed at the same interval and comes
 * back up on the first success. Everything runs on the control loop.
 */
#ifndef GW_TRUNK_H
#define GW_TRUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "gw/cause.h"
#include "sip/transport.h"

struct gw_conf;
struct gw_conf_err;
struct sip_ua;
struct gw_trunks;

#define GW_TRUNK_NAME 48
#define GW_TRUNK_MAX_ACL 16

enum gw_trunk_state {
	GW_TRUNK_UNKNOWN = 0, /* not probed yet (calls allowed) */
	GW_TRUNK_UP,
	GW_TRUNK_DOWN,
};

struct gw_acl_entry {
	int af;                /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned bits;
};

struct gw_trunk_cfg {
	char name[GW_TRUNK_NAME];
	enum sip_tp tp;
	char host[64];          /* numeric address, no brackets */
	uint16_t port;
	struct sockaddr_storage sa;
	size_t nacl;
	struct gw_acl_entry acl[GW_TRUNK_MAX_ACL];
	uint32_t keepalive_ms;
	uint32_t keepalive_failures;
	char causes[GW_TRUNK_NAME]; /* cause map section name, "" = [causes] */
	bool has_cause_map;         /* causes named a section: ... */
	struct gw_cause_map cause_map; /* ... read from it */
	/* identity policy (RFC 3325 trust domain); -1 = the [calls] setting */
	int trust_pai;              /* take P-Asserted-Identity/RPID from it (default yes) */
	int send_pai;               /* send P-Asserted-Identity + Privacy to it */
	int send_rpid;              /* send Remote-Party-ID to it */
	int send_diversion;         /* 1 Diversion, 0 History-Info */
	char inbound_user[64];      /* its INVITEs are challenged (digest) ... */
	char inbound_password[64];  /* ... for these credentials; "" = no */
	/* outbound registration (sip/reg) */
	bool reg;                   /* register = yes */
	char reg_user[64];          /* username: AOR user part */
	char reg_password[64];
	char reg_auth_user[64];     /* default username */
	char reg_domain[128];       /* default the host ([v6]) */
	uint32_t reg_expires;       /* seconds */
	uint32_t reg_retry_ms;
};

/*
 * Read every [trunk NAME] section. 0, EINVAL (err names file:line:key),
 * ENOMEM. *setp owns the configurations; start them with
 * gw_trunks_start().
 */
int gw_trunks_conf(struct gw_trunks **setp, struct gw_conf *conf,
		   struct gw_conf_err *err);

/*
 * Start keepalives on loop through ua. When old is given (a reload),
 * trunks whose name and address are unchanged keep their state and
 * counters; old is freed. Returns 0 or ENOMEM.
 */
int gw_trunks_start(struct gw_trunks *set, uv_loop_t *loop, struct sip_ua *ua,
		    struct gw_trunks *old);
/* Stop timers, detach pending probes, free. */
void gw_trunks_free(struct gw_trunks *set);

size_t gw_trunks_count(const struct gw_trunks *set);
const struct gw_trunk_cfg *gw_trunks_cfg(const struct gw_trunks *set,
					 size_t idx);
/* Index of the trunk called name, or -1. */
int gw_trunks_find(const struct gw_trunks *set, const char *name);
/* First trunk (file order) whose ACL admits sa, or -1. */
int gw_trunks_match_source(const struct gw_trunks *set,
			   const struct sockaddr_storage *sa);

enum gw_trunk_state gw_trunks_state(const struct gw_trunks *set, size_t idx);
/*
 * Registration state of trunk idx: "off" (register = no) or a
 * sip_reg_state_name ("idle", "registering", "registered", "failed");
 * *granted (may be NULL) gets the granted expiry in seconds (0 = none).
 */
const char *gw_trunks_reg_state(const struct gw_trunks *set, size_t idx,
				uint32_t *granted);
const char *gw_trunk_state_name(enum gw_trunk_state st);

struct gw_trunk_stats {
	uint64_t probes, successes, failures;
	uint64_t transitions;      /* up <-> down changes */
	uint16_t last_status;      /* last final status, 0 = none */
	int last_err;              /* last transport error / ETIMEDOUT */
};
void gw_trunks_stats(const struct gw_trunks *set, size_t idx,
		     struct gw_trunk_stats *st);

/* ACL helpers (also used by tests): parse "addr[/bits]"; 0 or EINVAL. */
int gw_acl_parse(const char *s, struct gw_acl_entry *e);
bool gw_acl_match(const struct gw_acl_entry *e,
		  const struct sockaddr_storage *sa);

#endif
