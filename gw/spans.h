/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gateway's TDM side as configured: [span N] sections (a span, its
 * backend and its signalling) and [group NAME] sections (channel groups
 * for routing, with their hunting). For PRI spans it runs gw/pri over the
 * span's D-channel: frames both ways, line alarms to layer 1 state, and
 * every PRI event logged; the link comes up, goes down with the line and
 * recovers by itself.
 *
 *   [span 1]
 *   type        = e1                  ; or t1
 *   backend     = virtual             ; or dahdi (span N of system.conf)
 *   socket      = run/span1.sock      ; virtual: the far end's socket
 *   bchan       = 1-15,17-31          ; default: every timeslot but D
 *   dchan       = 16                  ; default: 16 (E1), 24 (T1)
 *   law         = alaw                ; default: alaw (E1), ulaw (T1)
 *   signalling  = pri_cpe             ; pri_cpe, pri_net or none
 *   switchtype  = euroisdn            ; national ni1 dms100 4ess 5ess euroisdn qsig
 *   dialplan    = unknown             ; TON for called numbers
 *   localdialplan = unknown           ; TON for calling numbers
 *   overlapdial = no
 *   service     = no                  ; SERVICE messages (national, 4ess, 5ess)
 *   trace       = none                ; q931, q921, raw (comma list)
 *
 *   [group e1-all]
 *   members     = span:1, span:2:1-10 ; whole spans or timeslot lists
 *   hunt        = ascending           ; descending, roundrobin, lru
 *
 * Calls (the TDM leg of gw/call): gw_spans_call_setup() hunts a channel
 * in a group, reserves it and sends SETUP on it; the call's PRI events
 * come back through the handler as gw/call events. The span channel
 * states (gw/span) follow the call: reserved, in use, idle again on
 * release. Incoming calls go to the new-call handler; without one they
 * are refused with cause 63 (service or option not available).
 */
#ifndef GW_SPANS_H
#define GW_SPANS_H

#include <stddef.h>
#include <uv.h>

#include "gw/call.h"
#include "gw/pri.h"

struct gw_conf;
struct gw_conf_err;
struct gw_ctl_reply;
struct gw_spans;
struct gw_span;
struct gw_span_group;
struct gw_pri;

/*
 * Read [span N] and [group NAME]; nothing is opened. dahdi_conf is the
 * system.conf path used by dahdi spans. 0, EINVAL (err names
 * file:line:key), ENOMEM.
 */
int gw_spans_conf(struct gw_spans **sp, struct gw_conf *conf,
		  const char *dahdi_conf, struct gw_conf_err *err);
/* Open every span's backend and start signalling on loop. 0 or errno. */
int gw_spans_start(struct gw_spans *s, uv_loop_t *loop);
/* Stop signalling (calls released), close backends, free. Run the loop
 * once afterwards for the handles to close. */
void gw_spans_free(struct gw_spans *s);

size_t gw_spans_count(const struct gw_spans *s);
struct gw_span *gw_spans_span(const struct gw_spans *s, size_t idx);
struct gw_pri *gw_spans_pri(const struct gw_spans *s, size_t idx);
struct gw_span_group *gw_spans_group(const struct gw_spans *s,
				     const char *name);

/* ---- calls ---- */

struct gw_tdm_call;

/* A TDM call's event, as a gw/call event (TDM_*). */
typedef void (gw_tdm_call_ev_h)(struct gw_tdm_call *tc, enum gw_call_ev ev,
				const struct gw_call_evd *d, void *owner);
/*
 * An incoming call (a SETUP). Return 0 to take it (owner is set with
 * gw_tdm_call_set_owner() and events follow), or a Q.850 cause to refuse.
 */
typedef int (gw_tdm_call_new_h)(struct gw_tdm_call *tc, unsigned span,
				const struct gw_pri_setup *setup, void *arg);

void gw_spans_set_call_handlers(struct gw_spans *s, gw_tdm_call_ev_h *evh,
				gw_tdm_call_new_h *newh, void *arg);

/*
 * Overlap receiving (Q.931 §5.2.4): an incoming call whose SETUP was not
 * complete (setup->complete false; the SETUP was answered with SETUP
 * ACKNOWLEDGE) gets its further called-number digits here, INFORMATION by
 * INFORMATION. Once the owner has the whole number it goes on with
 * gw_tdm_call_proceeding() (or clears the call).
 */
typedef void (gw_tdm_call_digits_h)(struct gw_tdm_call *tc, const char *digits,
				    void *owner);
void gw_spans_set_digits_handler(struct gw_spans *s, gw_tdm_call_digits_h *h);

/*
 * Outgoing call on a channel hunted in group (setup->channel is filled
 * in). Returns 0 with *tcp, or a Q.850 cause: 3 (no such group), 34 (no
 * channel free), 38 (D-channel down), 41 (signalling refused), 47 (no
 * memory). owner is passed to the event handler.
 */
int gw_spans_call_setup(struct gw_spans *s, const char *group,
			struct gw_pri_setup *setup, void *owner,
			struct gw_tdm_call **tcp);
void gw_tdm_call_set_owner(struct gw_tdm_call *tc, void *owner);
void gw_tdm_call_proceeding(struct gw_tdm_call *tc);
void gw_tdm_call_alerting(struct gw_tdm_call *tc, bool inband);
void gw_tdm_call_progress(struct gw_tdm_call *tc);
void gw_tdm_call_answer(struct gw_tdm_call *tc);
/* COLP: the connected number of the far end's CONNECT (NULL if none), and
 * ours for the CONNECT we send (call before gw_tdm_call_answer). */
const struct gw_pri_number *gw_tdm_call_connected(const struct gw_tdm_call *tc);
void gw_tdm_call_set_connected(struct gw_tdm_call *tc, const struct gw_pri_number *num);
/*
 * Clear with a cause. TDM_RELEASE follows unless detach is set, in which
 * case the owner hears nothing more of this call (failover) and the
 * clearing finishes on its own.
 */
void gw_tdm_call_hangup(struct gw_tdm_call *tc, int cause, bool detach);
unsigned gw_tdm_call_span(const struct gw_tdm_call *tc);
unsigned gw_tdm_call_ts(const struct gw_tdm_call *tc);

/* The "spans" control command: one line per span and group. */
int gw_spans_ctl(struct gw_ctl_reply *r, int argc, char **argv, void *arg);

#endif
