/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gateway's calls: the glue that turns a SIP INVITE (sip/dialog layer)
 * into a PSTN call on a span (gw/spans + gw/pri) and a PSTN SETUP into an
 * INVITE towards a SIP trunk, each joined by one gw/call object, with
 * routing (gw/route), cause mapping (gw/cause, RFC 3398 / Q.1912.5 and
 * RFC 3326 Reason), identity (gw/ident: From / P-Asserted-Identity /
 * Privacy / Diversion <-> calling and redirecting numbers), media (gw/media:
 * SDP offer/answer, the B-channel joined to an RTP channel) and one CDR
 * row per call attempt (gw/cdr).
 *
 *   [calls]
 *   accept           = trunks     ; trunks: INVITEs only from a [trunk]
 *                                 ; ACL (else 403); any: from anywhere
 *   max_calls        = 2000       ; more get 503 + Reason cause 42
 *   noanswer_timeout = 180s       ; ring time before cause 19 (0 = none)
 *   early_media      = yes        ; PSTN in-band progress -> 183 with SDP
 *   local_ringback   = no         ; PSTN ALERTING without in-band tones:
 *                                 ; 183 with SDP and our ringback ([media]
 *                                 ; tones) instead of a bare 180
 *   prack            = supported  ; off, supported, required (RFC 3262)
 *   session_expires  = 1800       ; RFC 4028 interval, 0 = no timer
 *   min_se           = 90
 *   domain           = pstngw.invalid ; host part of the URIs we make
 *   send_pai         = yes        ; P-Asserted-Identity (+ Privacy) to trunks
 *   send_rpid        = no         ; Remote-Party-ID too
 *   redirect_header  = diversion  ; or history-info
 *   overlap_timeout  = 5s         ; PSTN overlap receiving: inter-digit timer
 *   overlap_min_digits = 1        ; fewer when it expires: cause 28
 *   overlap_max_digits = 0        ; complete at this length (0: timer or '#')
 *
 *   [cdr]
 *   path = run/cdr.sqlite         ; empty: no CDRs
 *
 * Control thread only.
 */
#ifndef GW_GATEWAY_H
#define GW_GATEWAY_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct gw_conf;
struct gw_conf_err;
struct gw_ctl_reply;
struct gw_spans;
struct gw_media;
struct gw_trunks;
struct gw_route_table;
struct gw_cause_map;
struct sip_ua;
struct gw_gateway;

struct gw_gateway_cfg {
	bool accept_any;
	unsigned max_calls;
	uint32_t noanswer_ms;
	bool early_media;
	bool local_ringback;
	int prack;                /* enum sip_prack_mode */
	uint32_t session_expires, min_se;
	char domain[64];
	bool send_pai, send_rpid, send_diversion;
	uint32_t overlap_ms;      /* PSTN overlap: inter-digit timer */
	unsigned overlap_min;     /* ... fewer digits: cleared, cause 28 */
	unsigned overlap_max;     /* ... complete at this length (0: timer / '#') */
	char cdr_path[256];
};

/* [calls] and [cdr] (defaults when absent). 0 or EINVAL with err. */
int gw_gateway_conf(struct gw_gateway_cfg *cfg, struct gw_conf *conf,
		    struct gw_conf_err *err);

/*
 * Start taking calls: a dialog layer on ua for SIP, the span call
 * handlers for the PSTN, media through m (NULL: calls without media, for
 * tests of signalling only), the CDR store if cfg names one. Policy
 * (routes, trunks, causes) must be given with gw_gateway_policy() before
 * calls arrive. 0 or errno (the CDR store's open error, ENOMEM).
 */
int gw_gateway_alloc(struct gw_gateway **gp, uv_loop_t *loop, struct sip_ua *ua,
		     struct gw_spans *spans, struct gw_media *m,
		     const struct gw_gateway_cfg *cfg);
/*
 * (Re)load the policy. The gateway takes ownership of routes: the
 * previous table is freed once no call refers to it any more. trunks and
 * causes are borrowed and must stay valid until the next call of this
 * function or gw_gateway_free(). cfg: CDR path and dialog policy changes
 * take effect on restart; the rest at once for new calls.
 */
void gw_gateway_policy(struct gw_gateway *g, const struct gw_gateway_cfg *cfg,
		       struct gw_route_table *routes, const struct gw_trunks *trunks,
		       const struct gw_cause_map *causes);
/* The current route table (for the "route" command). */
const struct gw_route_table *gw_gateway_routes(const struct gw_gateway *g);
/*
 * Clear every call (BYE / CANCEL / 503 on SIP, DISCONNECT on the PSTN,
 * cause 41 unless given), write their CDRs, close the store and free.
 * Run the loop once afterwards for the handles to close.
 */
void gw_gateway_free(struct gw_gateway *g);

struct gw_gateway_stats {
	uint64_t sip_in, pstn_in;            /* call attempts per direction */
	uint64_t answered, failed;
	uint64_t rejected_acl, rejected_limit, rejected_media;
	uint64_t cdr_written;
	unsigned active;
};
void gw_gateway_stats(const struct gw_gateway *g, struct gw_gateway_stats *st);

/* "calls" control command: counters and one line per call. */
int gw_gateway_ctl(struct gw_ctl_reply *r, int argc, char **argv, void *arg);

#endif
