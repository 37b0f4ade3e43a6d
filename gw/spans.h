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
 *   trace       = none                ; q931, q921, raw (comma list)
 *
 *   [group e1-all]
 *   members     = span:1, span:2:1-10 ; whole spans or timeslot lists
 *   hunt        = ascending           ; descending, roundrobin, lru
 *
 * Incoming PRI calls are refused (cause 47, resource unavailable) until
 * the call model is wired to the spans.
 */
#ifndef GW_SPANS_H
#define GW_SPANS_H

#include <stddef.h>
#include <uv.h>

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

/* The "spans" control command: one line per span and group. */
int gw_spans_ctl(struct gw_ctl_reply *r, int argc, char **argv, void *arg);

#endif
