/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gateway's calls (see gateway.h): each call is a struct gcall holding
 * the gw/call state machine, the SIP leg (a dialog layer session), the TDM
 * leg (a gw/spans call), the media channel and the CDR being filled in.
 * This file only translates: dialog events, span events and media events
 * become gw/call events; gw/call's requests (struct gw_call_ops) become
 * dialog, span and media actions. Which request comes when is decided by
 * the call's state table alone.
 *
 * SIP -> PSTN: INVITE (RFC 3261 §13.3) -> source trunk by ACL -> called
 * number from the Request-URI, calling and redirecting party from
 * From/P-Asserted-Identity/Privacy/Diversion (RFC 3323, 3325, 5806) ->
 * route -> SDP answer (RFC 3264; 488 at once when no codec fits) -> SETUP
 * on a hunted B-channel -> 180/183/200 -> ACK. Failures answer with the
 * gw/cause status and a Reason header (RFC 3326).
 * PSTN -> SIP: SETUP -> route -> INVITE with our offer to the trunk, with
 * From/PAI/Privacy/Diversion from the calling and redirecting numbers ->
 * 1xx/2xx become ALERTING/PROGRESS/CONNECT; failures DISCONNECT with the
 * cause from the Reason header or the status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <arpa/inet.h>

#include "base/log.h"
#include "gw/call.h"
#include "gw/cause.h"
#include "gw/cdr.h"
#include "gw/conf.h"
#include "gw/ctl.h"
#include "gw/gateway.h"
#include "gw/ident.h"
#include "gw/media.h"
#include "gw/pri.h"
#include "gw/route.h"
#include "gw/spans.h"
#include "gw/trunk.h"
#include "sip/auth.h"
#include "sip/dialog.h"
#include "sip/msg.h"
#include "sip/ua.h"
#include "sip/uri.h"

#define SDP_MAX 2048

/* A route table and the number of calls still pointing into it. */
struct rtab {
	struct gw_route_table *t;
	unsigned refs;
	struct rtab *next;
};

struct gcall;

struct gw_gateway {
	uv_loop_t *loop;
	struct sip_ua *ua;
	struct gw_spans *spans;
	struct gw_media *media;
	struct gw_cdr *cdr;
	struct sip_dialog_layer *dl;
	struct gw_gateway_cfg cfg;
	struct gw_call_policy pol;
	struct gw_cause_map causes;
	const struct gw_trunks *trunks;
	struct rtab *rt;          /* current table first, retired ones after */
	struct gcall *calls;      /* every live call */
	unsigned ncalls;
	uint64_t seq;
	struct gw_gateway_stats st;
	uv_timer_t *t_flush;      /* writes queued CDRs every second */
	struct sip_auth_server *auths; /* per trunk index, for inbound_user */
	size_t nauths;
	bool closing;
};

struct gcall {
	struct gw_gateway *g;
	struct gw_call *call;
	struct sip_dialog_sess *sess;
	struct gw_tdm_call *tc;
	struct gw_media_chan *mc;
	struct rtab *rt;
	uv_timer_t t_noans;
	bool offer_in_invite;     /* SIP->PSTN: the INVITE carried an offer */
	bool ringback;            /* local ringback played to the SIP caller */
	bool collecting;          /* PSTN->SIP overlap: called number incomplete */
	char digits[GW_ROUTE_NUM];/* ... the digits so far */
	int called_ton;
	unsigned span;
	bool media_answered;      /* our offer got its answer */
	struct gw_call_policy pol;   /* the gateway's, with this call's map */
	struct gw_cause_map cmap;    /* the trunk's [causes NAME] or [causes] */
	struct gw_party calling;
	struct gw_redirect redir;
	struct gw_cdr_rec cdr;
	struct gcall *next, **pprev;
};

static int64_t now_us(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* Copy with truncation to sz - 1 bytes. */
static void copy_str(char *dst, size_t sz, const char *src)
{
	size_t n = 0;

	while (src && n + 1 < sz && src[n])
		n++;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static void copy_pl(char *dst, size_t sz, const struct pl *pl)
{
	size_t n = pl->l < sz - 1 ? pl->l : sz - 1;
	if (pl->p && n)
		memcpy(dst, pl->p, n);
	dst[n] = '\0';
}

/* ---- configuration ---- */

int gw_gateway_conf(struct gw_gateway_cfg *cfg, struct gw_conf *conf,
		    struct gw_conf_err *err)
{
	static const char *const accept[] = { "trunks", "any", NULL };
	static const char *const prack[] = { "off", "supported", "required", NULL };
	static const char *const redir[] = { "diversion", "history-info", NULL };
	const char *s;
	long v;
	int e, ret;

	memset(cfg, 0, sizeof(*cfg));
	gw_conf_section_seen(conf, "calls");
	gw_conf_section_seen(conf, "cdr");
	ret = gw_conf_enum(conf, "calls", "accept", accept, 0, &e, err);
	if (ret)
		return ret;
	cfg->accept_any = e == 1;
	ret = gw_conf_int(conf, "calls", "max_calls", 1, 100000, 2000, &v, err);
	if (ret)
		return ret;
	cfg->max_calls = (unsigned)v;
	ret = gw_conf_msec(conf, "calls", "noanswer_timeout", 0, 3600000, 180000,
			   &v, err);
	if (ret)
		return ret;
	cfg->noanswer_ms = (uint32_t)v;
	ret = gw_conf_bool(conf, "calls", "early_media", true, &cfg->early_media, err);
	if (ret)
		return ret;
	ret = gw_conf_bool(conf, "calls", "local_ringback", false, &cfg->local_ringback, err);
	if (ret)
		return ret;
	ret = gw_conf_enum(conf, "calls", "prack", prack, 1, &cfg->prack, err);
	if (ret)
		return ret;
	ret = gw_conf_int(conf, "calls", "session_expires", 0, 86400, 1800, &v, err);
	if (ret)
		return ret;
	cfg->session_expires = (uint32_t)v;
	ret = gw_conf_int(conf, "calls", "min_se", 90, 86400, 90, &v, err);
	if (ret)
		return ret;
	cfg->min_se = (uint32_t)v;
	if (cfg->session_expires && cfg->session_expires < cfg->min_se)
		return gw_conf_fail(conf, "calls", "session_expires", err,
				    "must be at least min_se (%u)", cfg->min_se);
	ret = gw_conf_str(conf, "calls", "domain", "pstngw.invalid", &s, err);
	if (ret)
		return ret;
	if (!*s || strlen(s) >= sizeof(cfg->domain) || strpbrk(s, " \t<>\"@;"))
		return gw_conf_fail(conf, "calls", "domain", err,
				    "not a host name: \"%s\"", s);
	copy_str(cfg->domain, sizeof(cfg->domain), s);
	ret = gw_conf_msec(conf, "calls", "overlap_timeout", 500, 60000, 5000, &v, err);
	if (ret)
		return ret;
	cfg->overlap_ms = (uint32_t)v;
	ret = gw_conf_int(conf, "calls", "overlap_min_digits", 1, GW_ROUTE_NUM - 1, 1, &v, err);
	if (ret)
		return ret;
	cfg->overlap_min = (unsigned)v;
	ret = gw_conf_int(conf, "calls", "overlap_max_digits", 0, GW_ROUTE_NUM - 1, 0, &v, err);
	if (ret)
		return ret;
	cfg->overlap_max = (unsigned)v;
	if (cfg->overlap_max && cfg->overlap_max < cfg->overlap_min)
		return gw_conf_fail(conf, "calls", "overlap_max_digits", err,
				    "below overlap_min_digits (%u)", cfg->overlap_min);
	ret = gw_conf_bool(conf, "calls", "send_pai", true, &cfg->send_pai, err);
	if (!ret)
		ret = gw_conf_bool(conf, "calls", "send_rpid", false, &cfg->send_rpid, err);
	if (ret)
		return ret;
	ret = gw_conf_enum(conf, "calls", "redirect_header", redir, 0, &e, err);
	if (ret)
		return ret;
	cfg->send_diversion = e == 0;
	ret = gw_conf_str(conf, "cdr", "path", "", &s, err);
	if (ret)
		return ret;
	if (strlen(s) >= sizeof(cfg->cdr_path))
		return gw_conf_fail(conf, "cdr", "path", err, "too long");
	copy_str(cfg->cdr_path, sizeof(cfg->cdr_path), s);
	return 0;
}

/* ---- call bookkeeping ---- */

static const struct gw_call_ops call_ops;

static void gcall_timer_closed(uv_handle_t *h)
{
	free(h->data);
}

static struct gcall *gcall_new(struct gw_gateway *g, enum gw_cdr_dir dir)
{
	struct gcall *gc = calloc(1, sizeof(*gc));

	if (!gc)
		return NULL;
	gc->g = g;
	uv_timer_init(g->loop, &gc->t_noans);
	gc->t_noans.data = gc;
	gw_cdr_rec_init(&gc->cdr);
	gc->cdr.dir = dir;
	gc->cdr.start_us = now_us();
	snprintf(gc->cdr.call_id, sizeof(gc->cdr.call_id), "gw-%llx-%llu",
		 (unsigned long long)(gc->cdr.start_us / 1000000),
		 (unsigned long long)++g->seq);
	gc->next = g->calls;
	if (g->calls)
		g->calls->pprev = &gc->next;
	gc->pprev = &g->calls;
	g->calls = gc;
	g->ncalls++;
	/* the call pins the current route table */
	gc->rt = g->rt;
	if (gc->rt)
		gc->rt->refs++;
	return gc;
}

static void rtab_release(struct gw_gateway *g, struct rtab *rt)
{
	struct rtab **pp;

	if (!rt || --rt->refs)
		return;
	for (pp = &g->rt; *pp; pp = &(*pp)->next) {
		if (*pp == rt) {
			*pp = rt->next;
			break;
		}
	}
	gw_route_table_free(rt->t);
	free(rt);
}

/* Write the CDR, let go of every leg, free. */
static void gcall_end(struct gcall *gc)
{
	struct gw_gateway *g = gc->g;

	gc->cdr.end_us = now_us();
	if (gc->mc) {
		struct gw_media_stats ms;
		gw_media_stats(gc->mc, &ms);
		copy_str(gc->cdr.codec, sizeof(gc->cdr.codec), ms.codec);
		gc->cdr.rtp_rx_pkts = (int64_t)ms.rtp_rx;
		gc->cdr.rtp_tx_pkts = (int64_t)ms.rtp_tx;
		gc->cdr.rtp_lost = ms.lost;
		gc->cdr.jitter_ms = ms.jitter_ms;
		gc->cdr.rtt_ms = ms.rtt_ms > 0 ? ms.rtt_ms : -1;
		gw_media_close(gc->mc);
		gc->mc = NULL;
	}
	if (g->cdr) {
		if (gw_cdr_add(g->cdr, &gc->cdr))
			LOGW("call", "%s: CDR not written yet (store error)",
			     gc->cdr.call_id);
	}
	if (gc->sess) {
		sip_dialog_sess_set_user(gc->sess, NULL);
		gc->sess = NULL;
	}
	if (gc->tc) {
		/* the call model has released it; only detach */
		gw_tdm_call_set_owner(gc->tc, NULL);
		gc->tc = NULL;
	}
	if (gc->call) {
		gw_call_free(gc->call);
		gc->call = NULL;
	}
	*gc->pprev = gc->next;
	if (gc->next)
		gc->next->pprev = gc->pprev;
	g->ncalls--;
	rtab_release(g, gc->rt);
	uv_timer_stop(&gc->t_noans);
	uv_close((uv_handle_t *)&gc->t_noans, gcall_timer_closed);
}

/* A call that never got a gw/call (refused before routing). */
static void gcall_refused(struct gcall *gc, int status, int cause)
{
	gc->cdr.sip_status = status;
	gc->cdr.q850_cause = cause ? cause : -1;
	gc->cdr.hangup_side = GW_CDR_SIDE_GATEWAY;
	gc->g->st.failed++;
	gcall_end(gc);
}

/* The call's policy: the gateway's, with the cause map of trunk idx (-1: [causes]). */
static void gcall_policy(struct gcall *gc, int tidx)
{
	struct gw_gateway *g = gc->g;
	const struct gw_trunk_cfg *tc = tidx >= 0 && g->trunks
						? gw_trunks_cfg(g->trunks, (size_t)tidx) : NULL;

	gc->pol = g->pol;
	gc->cmap = tc && tc->has_cause_map ? tc->cause_map : g->causes;
	gc->pol.causes = &gc->cmap;
}

static void fill_cdr_route(struct gcall *gc, const struct gw_route_result *r)
{
	copy_str(gc->cdr.route, sizeof(gc->cdr.route), r->route);
	copy_str(gc->cdr.called_out, sizeof(gc->cdr.called_out), r->called);
	copy_str(gc->cdr.calling_out, sizeof(gc->cdr.calling_out), r->calling);
}

static const char *pres_name(enum gw_pres p)
{
	return p == GW_PRES_ALLOWED ? "allowed"
	       : p == GW_PRES_RESTRICTED ? "restricted" : "unavailable";
}

/* Reason header (RFC 3326) for cz on the next message s sends; none without a cause. */
static void set_reason(struct sip_dialog_sess *s, const struct gw_cause *cz)
{
	char v[200], hdr[256];

	if (!cz || !cz->cause || gw_cause_reason_print(v, sizeof(v), cz, true))
		return;
	snprintf(hdr, sizeof(hdr), "Reason: %s\r\n", v);
	sip_dialog_sess_set_hdrs(s, hdr);
}

/* Q.850 cause of a Reason header in msg, if any. */
static bool msg_reason(const struct sip_msg *msg, struct gw_cause *cz)
{
	struct sip_msg_iter it;
	struct pl v;

	if (!msg)
		return false;
	sip_msg_iter_init(&it, msg, SIP_HDR_REASON);
	while (sip_msg_iter_next(&it, &v)) {
		if (!gw_cause_reason_parse(&v, cz))
			return true;
	}
	return false;
}

/* ---- the SIP leg: call ops ---- */

static void overlap_done(struct gcall *gc);

static void noans_cb(uv_timer_t *t)
{
	struct gcall *gc = t->data;
	if (gc->collecting)
		overlap_done(gc); /* inter-digit timer */
	else if (gc->call)
		gw_call_event(gc->call, GW_EV_NOANSWER, NULL);
}

static void op_timer(struct gw_call *c, uint32_t ms, void *arg)
{
	struct gcall *gc = arg;
	(void)c;
	uv_timer_stop(&gc->t_noans);
	if (ms)
		uv_timer_start(&gc->t_noans, noans_cb, ms, 0);
}

static void op_sip_progress(struct gw_call *c, uint16_t status, bool sdp, void *arg)
{
	struct gcall *gc = arg;
	int err;
	(void)c;

	if (!gc->sess)
		return;
	/* early SDP only answers an offer of the INVITE (an offer in a 1xx
	 * would need it to be reliable) */
	if (!gc->offer_in_invite)
		sdp = false;
	else if (status == 180 && !sdp && gc->g->cfg.local_ringback && gc->mc) {
		/* the PSTN alerts without in-band tones: ring the caller
		 * ourselves, as early media */
		gw_media_ringback(gc->mc, true);
		gc->ringback = true;
		status = 183;
		sdp = true;
	} else if (sdp && gc->mc && gc->ringback) {
		/* in-band information from the PSTN now: let it through */
		gw_media_ringback(gc->mc, false);
		gc->ringback = false;
	}
	err = sip_dialog_sess_progress(gc->sess, status, sdp);
	if (err && err != EBUSY)
		LOGW("call", "%s: %u not sent: %s", gc->cdr.call_id, status, strerror(err));
}

static void pstn_number(struct gw_pri_number *n, const char *num, enum gw_ton ton,
			enum gw_npi npi);

/* The trunk a call is with (source or current target), or NULL. */
static const struct gw_trunk_cfg *gcall_trunk(const struct gcall *gc)
{
	int idx = gc->g->trunks && gc->cdr.trunk[0] ? gw_trunks_find(gc->g->trunks, gc->cdr.trunk) : -1;
	return idx >= 0 ? gw_trunks_cfg(gc->g->trunks, (size_t)idx) : NULL;
}

/*
 * COLP -> RFC 3325: the connected number of the PSTN's CONNECT as
 * P-Asserted-Identity (+ Privacy: id when restricted) in our 200.
 */
static void connected_pai(struct gcall *gc)
{
	const struct gw_pri_number *cn = gc->tc ? gw_tdm_call_connected(gc->tc) : NULL;
	const struct gw_trunk_cfg *tc = gcall_trunk(gc);
	bool send = tc && tc->send_pai >= 0 ? tc->send_pai : gc->g->cfg.send_pai;
	char hdr[256];

	if (!cn || !send || cn->pres == GW_PRI_PRES_UNAVAILABLE)
		return;
	snprintf(hdr, sizeof(hdr), "P-Asserted-Identity: <sip:%s%s@%s;user=phone>\r\n%s",
		 cn->ton == GW_TON_INTERNATIONAL ? "+" : "", cn->num, gc->g->cfg.domain,
		 cn->pres == GW_PRI_PRES_RESTRICTED ? "Privacy: id\r\n" : "");
	sip_dialog_sess_set_hdrs(gc->sess, hdr);
}

/* RFC 3325 -> COLP: a trusted 2xx's P-Asserted-Identity for our CONNECT. */
static void pai_connected(struct gcall *gc, const struct sip_msg *rsp)
{
	const struct gw_trunk_cfg *tc = gcall_trunk(gc);
	struct gw_ident_policy ip;
	struct gw_party party;
	struct gw_pri_number n;

	if (!gc->tc || !rsp)
		return;
	memset(&ip, 0, sizeof(ip));
	ip.trust_pai = tc && tc->trust_pai != 0;
	ip.domain = gc->g->cfg.domain;
	if (gw_ident_connected_from_sip(rsp, &ip, &party) || !party.num[0])
		return;
	memset(&n, 0, sizeof(n));
	pstn_number(&n, party.num, GW_TON_KEEP, GW_NPI_KEEP);
	if (n.ton < 0)
		n.ton = GW_TON_UNKNOWN;
	if (n.npi < 0)
		n.npi = GW_NPI_ISDN;
	n.pres = (enum gw_pri_pres)party.pres;
	n.screen = GW_PRI_SCREEN_NETWORK;
	gw_tdm_call_set_connected(gc->tc, &n);
}

static void op_sip_answer(struct gw_call *c, void *arg)
{
	struct gcall *gc = arg;
	int err;
	(void)c;

	gc->cdr.answer_us = now_us();
	gc->cdr.sip_status = 200;
	gc->g->st.answered++;
	if (gc->ringback) {
		gw_media_ringback(gc->mc, false);
		gc->ringback = false;
	}
	if (!gc->sess)
		return;
	connected_pai(gc);
	err = sip_dialog_sess_answer(gc->sess, 200);
	if (err)
		LOGW("call", "%s: 200 not sent: %s", gc->cdr.call_id, strerror(err));
}

static void op_sip_reject(struct gw_call *c, uint16_t status, const struct gw_cause *cz,
			  void *arg)
{
	struct gcall *gc = arg;
	struct sip_dialog_sess *s = gc->sess;
	(void)c;

	gc->cdr.sip_status = status;
	if (!s)
		return;
	/* the answer ends the SIP leg: nothing more to hear from it */
	gc->sess = NULL;
	sip_dialog_sess_set_user(s, NULL);
	set_reason(s, cz);
	sip_dialog_sess_answer(s, status);
}

static void op_sip_bye(struct gw_call *c, const struct gw_cause *cz, void *arg)
{
	struct gcall *gc = arg;
	(void)c;

	if (!gc->sess) {
		gw_call_event(gc->call, GW_EV_SIP_ENDED, NULL);
		return;
	}
	set_reason(gc->sess, cz);
	if (sip_dialog_sess_bye(gc->sess)) {
		/* nothing could be sent: the leg is gone as far as we care */
		sip_dialog_sess_set_user(gc->sess, NULL);
		gc->sess = NULL;
		gw_call_event(gc->call, GW_EV_SIP_ENDED, NULL);
	}
}

static void op_sip_cancel(struct gw_call *c, const struct gw_cause *cz, void *arg)
{
	/* sip_dialog_sess_bye() CANCELs a pending INVITE */
	op_sip_bye(c, cz, arg);
}

static void op_sip_refresh(struct gw_call *c, uint16_t status, void *arg)
{
	(void)c;
	(void)status;
	(void)arg;
	/* the dialog layer answers re-INVITEs itself (EV_OFFER) */
}

/* Media events (control thread). */
static void media_ev_h(struct gw_media_chan *mc, enum gw_media_ev ev,
		       const struct gw_media_evd *d, void *arg)
{
	struct gcall *gc = arg;
	struct gw_cause cz;

	if (!gc || gc->mc != mc || !gc->call)
		return;
	switch (ev) {
	case GW_MEDIA_EV_DIGIT:
		LOGI("call", "%s: PSTN digit %c (%u ms)", gc->cdr.call_id, d->digit,
		     d->duration_ms);
		break;
	case GW_MEDIA_EV_FAX_TONE:
		LOGN("call", "%s: fax tone %d detected", gc->cdr.call_id, d->tone);
		break;
	case GW_MEDIA_EV_TIMEOUT:
	case GW_MEDIA_EV_ERROR:
		/* a dead media path: end the call from the SIP side; its
		 * end (SIP_ENDED) clears the PSTN side with cause 41 */
		LOGN("call", "%s: %s: hanging up", gc->cdr.call_id,
		     ev == GW_MEDIA_EV_TIMEOUT ? "no RTP (media timeout)"
					       : "media channel failed");
		if (!gc->sess)
			break;
		cz = (struct gw_cause){ 41, gc->g->causes.default_location };
		op_sip_bye(gc->call, &cz, gc);
		break;
	}
}

/* PSTN -> SIP: INVITE to a trunk. */
static int op_sip_invite(struct gw_call *c, const struct gw_route_target *t, void *arg)
{
	struct gcall *gc = arg;
	struct gw_gateway *g = gc->g;
	const struct gw_route_result *r = gw_call_route(c);
	const struct gw_trunk_cfg *tc;
	struct sip_dialog_connect_opt o;
	struct sip_tp_addr dst;
	struct gw_ident_policy ip;
	struct gw_party calling = gc->calling;
	struct sip_buf hb;
	char ruri[256], from_uri[160], host[80], offer[SDP_MAX];
	const char *rest;
	int idx, err;

	if (t->kind != GW_TARGET_TRUNK)
		return 502;
	idx = gw_trunks_find(g->trunks, t->name);
	if (idx < 0) {
		LOGW("call", "%s: route %s names unknown trunk %s", gc->cdr.call_id,
		     r->route, t->name);
		return 404;
	}
	if (gw_trunks_state(g->trunks, (size_t)idx) == GW_TRUNK_DOWN)
		return 503;
	tc = gw_trunks_cfg(g->trunks, (size_t)idx);
	copy_str(gc->cdr.trunk, sizeof(gc->cdr.trunk), tc->name);
	/* this attempt's statuses and causes map by the trunk's own table */
	gc->cmap = tc->has_cause_map ? tc->cause_map : g->causes;
	if (gc->sess) { /* failover from an earlier trunk */
		sip_dialog_sess_set_user(gc->sess, NULL);
		gc->sess = NULL;
	}
	if (strchr(tc->host, ':'))
		snprintf(host, sizeof(host), "[%s]:%u", tc->host, tc->port);
	else
		snprintf(host, sizeof(host), "%s:%u", tc->host, tc->port);
	snprintf(ruri, sizeof(ruri), "sip:%s@%s;user=phone%s", r->called, host,
		 tc->tp == SIP_TP_TCP ? ";transport=tcp" : "");
	/* identity: the rewritten calling number, PSTN presentation */
	copy_str(calling.num, sizeof(calling.num), r->calling);
	memset(&ip, 0, sizeof(ip));
	ip.send_pai = tc->send_pai >= 0 ? tc->send_pai : g->cfg.send_pai;
	ip.send_rpid = tc->send_rpid >= 0 ? tc->send_rpid : g->cfg.send_rpid;
	ip.send_diversion = tc->send_diversion >= 0 ? tc->send_diversion : g->cfg.send_diversion;
	ip.domain = g->cfg.domain;
	sip_buf_init(&hb, 4096);
	gw_ident_to_sip(&hb, &calling, &gc->redir, r->called, "x", &ip);
	if (sip_buf_err(&hb)) {
		sip_buf_free(&hb);
		return 500;
	}
	/* the first line is From: the layer writes its own with its tag */
	rest = strstr(hb.p, "\r\n");
	rest = rest ? rest + 2 : "";
	memset(&o, 0, sizeof(o));
	if (calling.pres != GW_PRES_ALLOWED || !calling.num[0]) {
		o.from_uri = "sip:anonymous@anonymous.invalid";
		o.from_display = "Anonymous";
	} else {
		snprintf(from_uri, sizeof(from_uri), "sip:%s@%s;user=phone", calling.num,
			 g->cfg.domain);
		o.from_uri = from_uri;
		if (calling.name[0] && !calling.name_restricted)
			o.from_display = calling.name;
	}
	o.hdrs = rest;
	o.user = gc;
	offer[0] = '\0';
	if (g->media) {
		/* a fresh channel (and port) per attempt: failover too */
		gw_media_close(gc->mc);
		gc->mc = NULL;
		gc->media_answered = false;
		err = gw_media_offer(g->media, offer, sizeof(offer), media_ev_h, gc, &gc->mc);
		if (err) {
			sip_buf_free(&hb);
			gc->mc = NULL;
			return 503;
		}
		if (gc->tc)
			gw_media_join(gc->mc, gw_tdm_call_span(gc->tc), gw_tdm_call_ts(gc->tc));
	}
	o.sdp = offer[0] ? offer : NULL;
	memset(&dst, 0, sizeof(dst));
	dst.tp = tc->tp;
	dst.peer = tc->sa;
	err = sip_dialog_connect_opt(g->dl, &gc->sess, ruri, &dst, &o);
	sip_buf_free(&hb);
	if (err) {
		gc->sess = NULL;
		LOGW("call", "%s: INVITE to trunk %s failed: %s", gc->cdr.call_id,
		     tc->name, strerror(err));
		return 503;
	}
	LOGI("call", "%s: PSTN->SIP %s -> %s via trunk %s", gc->cdr.call_id,
	     r->calling, r->called, tc->name);
	return 0;
}

/* ---- the TDM leg: call ops ---- */

/*
 * A number for Q.931: digits only. A leading '+' (E.164 from SIP) becomes
 * type of number international, ISDN plan, unless the route set them.
 */
static void pstn_number(struct gw_pri_number *n, const char *num, enum gw_ton ton,
			enum gw_npi npi)
{
	bool plus = num[0] == '+';

	copy_str(n->num, sizeof(n->num), plus ? num + 1 : num);
	if (ton != GW_TON_KEEP && (ton != GW_TON_UNKNOWN || !plus))
		n->ton = ton;
	else if (plus)
		n->ton = GW_TON_INTERNATIONAL;
	if (npi != GW_NPI_KEEP && (npi != GW_NPI_UNKNOWN || !plus))
		n->npi = npi;
	else if (plus)
		n->npi = GW_NPI_ISDN;
}

static int op_tdm_setup(struct gw_call *c, const struct gw_route_target *t, void *arg)
{
	struct gcall *gc = arg;
	struct gw_gateway *g = gc->g;
	const struct gw_route_result *r = gw_call_route(c);
	struct gw_pri_setup setup;
	int cause;

	if (t->kind != GW_TARGET_GROUP)
		return 3;
	if (gc->tc) { /* failover: the previous attempt clears by itself */
		gw_tdm_call_set_owner(gc->tc, NULL);
		gc->tc = NULL;
	}
	gw_pri_setup_init(&setup);
	if (strlen(r->called) >= sizeof(setup.called.num))
		return 28; /* invalid number format */
	pstn_number(&setup.called, r->called, r->called_ton, r->called_npi);
	pstn_number(&setup.calling, r->calling,
		    r->calling_ton != GW_TON_KEEP ? r->calling_ton : gc->calling.ton,
		    r->calling_npi);
	setup.calling.pres = (enum gw_pri_pres)gc->calling.pres;
	setup.calling.screen = (enum gw_pri_screen)gc->calling.screen;
	if (!gc->calling.name_restricted)
		copy_str(setup.calling_name, sizeof(setup.calling_name), gc->calling.name);
	if (gc->redir.num[0]) {
		copy_str(setup.redirecting.num, sizeof(setup.redirecting.num), gc->redir.num);
		setup.redirect_reason = (enum gw_pri_redir_reason)gc->redir.reason;
	}
	cause = gw_spans_call_setup(g->spans, t->name, &setup, gc, &gc->tc);
	if (cause) {
		gc->tc = NULL;
		LOGI("call", "%s: no call on group %s: cause %d", gc->cdr.call_id,
		     t->name, cause);
		return cause;
	}
	gc->cdr.span = (int)gw_tdm_call_span(gc->tc);
	gc->cdr.channel = (int)gw_tdm_call_ts(gc->tc);
	if (gc->mc) {
		int err = gw_media_join(gc->mc, gw_tdm_call_span(gc->tc),
					gw_tdm_call_ts(gc->tc));
		if (err)
			LOGW("call", "%s: media not joined to span %u B%u: %s",
			     gc->cdr.call_id, gw_tdm_call_span(gc->tc),
			     gw_tdm_call_ts(gc->tc), strerror(err));
	}
	LOGI("call", "%s: SIP->PSTN %s -> %s on span %u B%u", gc->cdr.call_id,
	     r->calling, r->called, gw_tdm_call_span(gc->tc), gw_tdm_call_ts(gc->tc));
	return 0;
}

static void op_tdm_proceeding(struct gw_call *c, void *arg)
{
	struct gcall *gc = arg;
	(void)c;
	if (gc->tc)
		gw_tdm_call_proceeding(gc->tc);
}

static void op_tdm_alerting(struct gw_call *c, bool inband, void *arg)
{
	struct gcall *gc = arg;
	(void)c;
	if (gc->tc)
		gw_tdm_call_alerting(gc->tc, inband);
}

static void op_tdm_progress(struct gw_call *c, void *arg)
{
	struct gcall *gc = arg;
	(void)c;
	if (gc->tc)
		gw_tdm_call_progress(gc->tc);
}

static void op_tdm_connect(struct gw_call *c, void *arg)
{
	struct gcall *gc = arg;
	(void)c;
	gc->cdr.answer_us = now_us();
	gc->g->st.answered++;
	if (gc->tc)
		gw_tdm_call_answer(gc->tc);
}

static void op_tdm_disconnect(struct gw_call *c, const struct gw_cause *cz, void *arg)
{
	struct gcall *gc = arg;
	(void)c;
	if (gc->tc)
		gw_tdm_call_hangup(gc->tc, cz && cz->cause ? cz->cause : 16, false);
	else
		/* no TDM call (never set up, or already released) */
		gw_call_event(gc->call, GW_EV_TDM_RELEASE, &(struct gw_call_evd){
				      .cause = cz ? *cz : (struct gw_cause){ 16, 0 } });
}

static void op_done(struct gw_call *c, void *arg)
{
	struct gcall *gc = arg;
	struct gw_call_result res;

	gw_call_result(c, &res);
	if (res.sip_status)
		gc->cdr.sip_status = res.sip_status;
	if (res.cause.cause) {
		gc->cdr.q850_cause = res.cause.cause;
		gc->cdr.cause_location = res.cause.location;
	}
	gc->cdr.hangup_side = res.hangup == GW_HANGUP_SIP ? GW_CDR_SIDE_SIP
			      : res.hangup == GW_HANGUP_PSTN ? GW_CDR_SIDE_PSTN
			      : res.hangup == GW_HANGUP_GATEWAY ? GW_CDR_SIDE_GATEWAY
							       : GW_CDR_SIDE_NONE;
	if (!res.answered)
		gc->g->st.failed++;
	LOGI("call", "%s: done, %s status %u cause %u", gc->cdr.call_id,
	     res.answered ? "answered" : "not answered", res.sip_status,
	     res.cause.cause);
	gcall_end(gc);
}

static const struct gw_call_ops call_ops = {
	.tdm_setup = op_tdm_setup,
	.tdm_proceeding = op_tdm_proceeding,
	.tdm_alerting = op_tdm_alerting,
	.tdm_progress = op_tdm_progress,
	.tdm_connect = op_tdm_connect,
	.tdm_disconnect = op_tdm_disconnect,
	.sip_invite = op_sip_invite,
	.sip_progress = op_sip_progress,
	.sip_answer = op_sip_answer,
	.sip_reject = op_sip_reject,
	.sip_bye = op_sip_bye,
	.sip_cancel = op_sip_cancel,
	.sip_refresh_answer = op_sip_refresh,
	.timer = op_timer,
	.done = op_done,
};

/* ---- events from the legs ---- */

static void tdm_ev_h(struct gw_tdm_call *tc, enum gw_call_ev ev,
		     const struct gw_call_evd *d, void *owner)
{
	struct gcall *gc = owner;

	if (gc && gc->collecting && tc == gc->tc) {
		/* the caller gave up while we collected digits */
		if (ev == GW_EV_TDM_DISCONNECT) {
			gw_tdm_call_hangup(tc, d && d->cause.cause ? d->cause.cause : 16, false);
		} else if (ev == GW_EV_TDM_RELEASE) {
			gc->tc = NULL;
			gc->collecting = false;
			gc->cdr.hangup_side = GW_CDR_SIDE_PSTN;
			gc->cdr.q850_cause = d && d->cause.cause ? d->cause.cause : 16;
			gc->g->st.failed++;
			gcall_end(gc);
		}
		return;
	}
	if (!gc || tc != gc->tc || !gc->call)
		return; /* an earlier attempt, or a call already gone */
	if (ev == GW_EV_TDM_RELEASE)
		gc->tc = NULL;
	gw_call_event(gc->call, ev, d);
}

/* Refuse an INVITE before any call exists, with a CDR. */
static void sip_refuse(struct gcall *gc, struct sip_dialog_sess *s, uint16_t status,
		       int cause)
{
	struct gw_cause cz = { (uint8_t)cause,
			       gc ? gc->g->causes.default_location : GW_LOC_BI };

	set_reason(s, &cz);
	sip_dialog_sess_set_user(s, NULL);
	sip_dialog_sess_answer(s, status);
	if (gc)
		gcall_refused(gc, status, cause);
}

/* Called number of a Request-URI: user part (sip) or number (tel). */
static int ruri_number(const struct sip_msg *req, char *buf, size_t sz)
{
	const struct sip_uri *u = &req->ruri;
	const struct pl *num;

	if (u->scheme == SIP_URI_TEL)
		num = u->user.l ? &u->user : &u->opaque;
	else if (u->has_user)
		num = &u->user;
	else
		return EINVAL;
	if (!num->l)
		return EINVAL;
	return sip_uri_tel_digits(num, buf, sz);
}

static void sip_incoming(struct gw_gateway *g, struct sip_dialog_sess *s)
{
	const struct sip_msg *req = sip_dialog_sess_msg(s);
	const struct sip_tp_addr *peer = sip_dialog_sess_peer(s);
	struct gw_route_req rq;
	struct gw_route_result route;
	struct gw_ident_policy ip;
	struct gcall *gc;
	char called[GW_ROUTE_NUM];
	int tidx = -1, err;

	if (!req || !peer) {
		sip_refuse(NULL, s, 500, 0);
		return;
	}
	g->st.sip_in++;
	gc = gcall_new(g, GW_CDR_SIP_TO_PSTN);
	if (!gc) {
		sip_refuse(NULL, s, 500, 47);
		return;
	}
	copy_pl(gc->cdr.sip_call_id, sizeof(gc->cdr.sip_call_id), &req->call_id);
	if (g->trunks)
		tidx = gw_trunks_match_source(g->trunks, &peer->peer);
	if (tidx >= 0)
		copy_str(gc->cdr.trunk, sizeof(gc->cdr.trunk),
			 gw_trunks_cfg(g->trunks, (size_t)tidx)->name);
	if (tidx < 0 && !g->cfg.accept_any) {
		char a[INET6_ADDRSTRLEN] = "?";
		const struct sockaddr_storage *sa = &peer->peer;
		if (sa->ss_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, a, sizeof(a));
		else if (sa->ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, a, sizeof(a));
		LOGN("call", "%s: INVITE from %s: no trunk admits it (403)", gc->cdr.call_id, a);
		g->st.rejected_acl++;
		sip_refuse(gc, s, 403, 0);
		return;
	}
	if (tidx >= 0 && gw_trunks_cfg(g->trunks, (size_t)tidx)->inbound_user[0] &&
	    (size_t)tidx >= g->nauths) {
		/* credentials required but not checkable (no memory): refuse */
		sip_refuse(gc, s, 503, 47);
		return;
	}
	if (g->ncalls > g->cfg.max_calls) {
		g->st.rejected_limit++;
		sip_refuse(gc, s, 503, 42); /* switching equipment congestion */
		return;
	}
	if (ruri_number(req, called, sizeof(called))) {
		copy_pl(gc->cdr.called_in, sizeof(gc->cdr.called_in), &req->ruri.user);
		sip_refuse(gc, s, 404, 1); /* unallocated (unassigned) number */
		return;
	}
	copy_str(gc->cdr.called_in, sizeof(gc->cdr.called_in), called);
	memset(&ip, 0, sizeof(ip));
	/* RFC 3325: only a trunk inside the trust domain asserts identities */
	ip.trust_pai = tidx >= 0 && gw_trunks_cfg(g->trunks, (size_t)tidx)->trust_pai != 0;
	ip.domain = g->cfg.domain;
	if (gw_ident_from_sip(req, &ip, &gc->calling, &gc->redir)) {
		sip_refuse(gc, s, 400, 0);
		return;
	}
	copy_str(gc->cdr.calling_in, sizeof(gc->cdr.calling_in), gc->calling.num);
	copy_str(gc->cdr.presentation, sizeof(gc->cdr.presentation),
		 pres_name(gc->calling.pres));
	copy_str(gc->cdr.redirecting, sizeof(gc->cdr.redirecting), gc->redir.num);

	memset(&rq, 0, sizeof(rq));
	rq.dir = GW_ROUTE_SIP2PSTN;
	rq.called = called;
	rq.calling = gc->calling.num;
	rq.called_ton = called[0] == '+' ? GW_TON_INTERNATIONAL : GW_TON_UNKNOWN;
	rq.calling_ton = gc->calling.ton;
	rq.src_trunk = tidx >= 0 ? gw_trunks_cfg(g->trunks, (size_t)tidx)->name : NULL;
	rq.src_span = -1;
	memset(&route, 0, sizeof(route));
	err = gc->rt ? gw_route_lookup(gc->rt->t, &rq, &route) : ENOENT;
	if (err) {
		/* no rule: the call model answers cause 3 (no route) */
		memset(&route, 0, sizeof(route));
		route.route = "";
		copy_str(route.called, sizeof(route.called), called);
		copy_str(route.calling, sizeof(route.calling), gc->calling.num);
	}
	fill_cdr_route(gc, &route);

	/* media first: an offer we cannot take is 488 before any SETUP */
	gc->offer_in_invite = sip_dialog_msg_has_sdp(req);
	if (g->media) {
		char sdp[SDP_MAX];
		if (gc->offer_in_invite) {
			const char *offer = sip_dialog_sess_remote_sdp(s);
			err = gw_media_answer(g->media, offer ? offer : "", sdp, sizeof(sdp),
					      media_ev_h, gc, &gc->mc);
		} else {
			err = gw_media_offer(g->media, sdp, sizeof(sdp), media_ev_h, gc, &gc->mc);
		}
		if (err) {
			uint16_t st = err == 488 || err == 400 || err == 503 ? (uint16_t)err : 500;
			LOGN("call", "%s: SDP refused: %u", gc->cdr.call_id, st);
			g->st.rejected_media++;
			gc->mc = NULL;
			sip_refuse(gc, s, st, st == 488 ? 65 : st == 503 ? 47 : 0);
			return;
		}
		sip_dialog_sess_set_sdp(s, sdp);
	}

	gcall_policy(gc, tidx);
	gc->call = gw_call_alloc(GW_CALL_SIP2PSTN, &route, &call_ops, gc, &gc->pol);
	if (!gc->call) {
		sip_refuse(gc, s, 500, 47);
		return;
	}
	gc->sess = s;
	sip_dialog_sess_set_user(s, gc);
	gw_call_event(gc->call, GW_EV_SIP_INVITE, NULL);
}

static void dialog_ev_h(struct sip_dialog_sess *s, enum sip_dialog_ev ev, uint16_t scode,
			void *arg)
{
	struct gw_gateway *g = arg;
	struct gcall *gc = sip_dialog_sess_user(s);
	const struct sip_msg *msg = sip_dialog_sess_msg(s);
	struct gw_call_evd d;

	if (ev == SIP_DIALOG_EV_INCOMING) {
		if (g->closing) {
			sip_dialog_sess_answer(s, 503);
			return;
		}
		sip_incoming(g, s);
		return;
	}
	if (!gc || gc->sess != s || !gc->call)
		return;
	memset(&d, 0, sizeof(d));
	d.status = scode;
	d.has_cause = msg_reason(msg, &d.cause);
	switch (ev) {
	case SIP_DIALOG_EV_PROGRESS:
		d.sdp = msg && sip_dialog_msg_has_sdp(msg);
		d.inband = d.sdp;
		if (d.sdp && gc->mc && !gc->media_answered) {
			const char *ans = sip_dialog_sess_remote_sdp(s);
			if (ans && !gw_media_set_answer(gc->mc, ans))
				gc->media_answered = true;
		}
		gw_call_event(gc->call, GW_EV_SIP_1XX, &d);
		break;
	case SIP_DIALOG_EV_ESTABLISHED:
		if (sip_dialog_sess_is_uac(s)) {
			const char *ans = sip_dialog_sess_remote_sdp(s);
			if (gc->mc && ans && gw_media_set_answer(gc->mc, ans))
				LOGW("call", "%s: the answer SDP is unusable", gc->cdr.call_id);
			d.sdp = msg && sip_dialog_msg_has_sdp(msg);
			gc->cdr.sip_status = scode;
			pai_connected(gc, msg);
			gw_call_event(gc->call, GW_EV_SIP_2XX, &d);
		} else {
			/* ACK: the answer to an offer we made in the 2xx */
			if (!gc->offer_in_invite && gc->mc) {
				const char *ans = sip_dialog_sess_remote_sdp(s);
				if (ans)
					gw_media_set_answer(gc->mc, ans);
			}
			gw_call_event(gc->call, GW_EV_SIP_ACK, &d);
		}
		break;
	case SIP_DIALOG_EV_OFFER: {
		char sdp[SDP_MAX];
		const char *offer = sip_dialog_sess_remote_sdp(s);
		int err = gc->mc && offer ? gw_media_reoffer(gc->mc, offer, sdp, sizeof(sdp))
					  : 488;
		if (err)
			sip_dialog_sess_reject_offer(s, err == 400 ? 400 : 488);
		else
			sip_dialog_sess_set_sdp(s, sdp);
		break;
	}
	case SIP_DIALOG_EV_TERMINATED:
		gc->sess = NULL; /* freed after this handler */
		if (msg && msg->req && msg->meth == SIP_METHOD_BYE) {
			gw_call_event(gc->call, GW_EV_SIP_BYE, &d);
		} else if ((msg && msg->req && msg->meth == SIP_METHOD_CANCEL) ||
			   (!sip_dialog_sess_is_uac(s) && scode == 487)) {
			gw_call_event(gc->call, GW_EV_SIP_CANCEL, &d);
		} else if (msg && !msg->req && msg->scode >= 300) {
			d.status = msg->scode;
			gc->cdr.sip_status = msg->scode;
			gw_call_event(gc->call, GW_EV_SIP_FAIL, &d);
		} else if (sip_dialog_sess_is_uac(s) && scode >= 300) {
			/* no response at all (timeout, transport): 408-like */
			gw_call_event(gc->call, GW_EV_SIP_FAIL, &d);
		} else {
			gw_call_event(gc->call, GW_EV_SIP_ENDED, &d);
		}
		break;
	default:
		break;
	}
}

static int pstn_start(struct gcall *gc, struct gw_tdm_call *tc);
static bool number_complete(const struct gw_gateway *g, const char *num);

/* PSTN -> SIP: a SETUP. */
static int tdm_new_h(struct gw_tdm_call *tc, unsigned span, const struct gw_pri_setup *setup,
		     void *arg)
{
	struct gw_gateway *g = arg;
	struct gcall *gc;

	if (g->closing)
		return 41;
	g->st.pstn_in++;
	gc = gcall_new(g, GW_CDR_PSTN_TO_SIP);
	if (!gc)
		return 47;
	gc->cdr.span = (int)span;
	gc->cdr.channel = (int)gw_tdm_call_ts(tc);
	copy_str(gc->cdr.called_in, sizeof(gc->cdr.called_in), setup->called.num);
	copy_str(gc->cdr.calling_in, sizeof(gc->cdr.calling_in), setup->calling.num);
	copy_str(gc->calling.num, sizeof(gc->calling.num), setup->calling.num);
	gc->calling.ton = (enum gw_ton)setup->calling.ton;
	gc->calling.pres = setup->calling.num[0] ? (enum gw_pres)setup->calling.pres
						 : GW_PRES_UNAVAILABLE;
	gc->calling.screen = (enum gw_screen)setup->calling.screen;
	copy_str(gc->calling.name, sizeof(gc->calling.name), setup->calling_name);
	gc->calling.name_restricted = gc->calling.pres != GW_PRES_ALLOWED;
	if (setup->redirecting.num[0]) {
		copy_str(gc->redir.num, sizeof(gc->redir.num), setup->redirecting.num);
		gc->redir.reason = (enum gw_redir_reason)setup->redirect_reason;
		gc->redir.count = 1;
	}
	copy_str(gc->cdr.presentation, sizeof(gc->cdr.presentation),
		 pres_name(gc->calling.pres));
	copy_str(gc->cdr.redirecting, sizeof(gc->cdr.redirecting), gc->redir.num);
	if (g->ncalls > g->cfg.max_calls) {
		g->st.rejected_limit++;
		gcall_refused(gc, 0, 42);
		return 42;
	}
	gc->span = span;
	gc->called_ton = setup->called.ton;
	copy_str(gc->digits, sizeof(gc->digits), setup->called.num);
	if (!setup->complete) {
		/* overlap receiving: collect INFORMATION digits first */
		gc->collecting = true;
		gc->tc = tc;
		gw_tdm_call_set_owner(tc, gc);
		uv_timer_start(&gc->t_noans, noans_cb, g->cfg.overlap_ms, 0);
		LOGI("call", "%s: PSTN call on span %u B%u: collecting digits (%s so far)",
		     gc->cdr.call_id, span, gw_tdm_call_ts(tc), gc->digits);
		if (number_complete(g, gc->digits))
			overlap_done(gc);
		return 0;
	}
	return pstn_start(gc, tc);
}

/* The called number is whole: '#' at the end, or overlap_max_digits. */
static bool number_complete(const struct gw_gateway *g, const char *num)
{
	size_t n = strlen(num);
	return (n && num[n - 1] == '#') || (g->cfg.overlap_max && n >= g->cfg.overlap_max);
}

/* Overlap: INFORMATION digits of a call we collect for. */
static void tdm_digits_h(struct gw_tdm_call *tc, const char *digits, void *owner)
{
	struct gcall *gc = owner;
	size_t n;

	if (!gc || !gc->collecting || gc->tc != tc)
		return;
	n = strlen(gc->digits);
	copy_str(gc->digits + n, sizeof(gc->digits) - n, digits);
	copy_str(gc->cdr.called_in, sizeof(gc->cdr.called_in), gc->digits);
	LOGD("call", "%s: overlap digits %s (now %s)", gc->cdr.call_id, digits, gc->digits);
	if (number_complete(gc->g, gc->digits) || n + strlen(digits) >= sizeof(gc->digits) - 1) {
		overlap_done(gc);
		return;
	}
	uv_timer_start(&gc->t_noans, noans_cb, gc->g->cfg.overlap_ms, 0);
}

/* Collection is over (timer, '#' or the maximum): route the call or clear it. */
static void overlap_done(struct gcall *gc)
{
	struct gw_tdm_call *tc = gc->tc;
	size_t n;
	int cause;

	uv_timer_stop(&gc->t_noans);
	gc->collecting = false;
	n = strlen(gc->digits);
	if (n && gc->digits[n - 1] == '#')
		gc->digits[--n] = '\0';
	if (n < gc->g->cfg.overlap_min) {
		LOGN("call", "%s: number %s incomplete after the inter-digit timer",
		     gc->cdr.call_id, gc->digits);
		gc->tc = NULL;
		gw_tdm_call_set_owner(tc, NULL);
		gw_tdm_call_hangup(tc, 28, true); /* invalid number format (incomplete) */
		gcall_refused(gc, 0, 28);
		return;
	}
	gw_tdm_call_set_owner(tc, NULL);
	gc->tc = NULL;
	cause = pstn_start(gc, tc);
	if (cause)
		gw_tdm_call_hangup(tc, cause, true);
}

/*
 * Route a PSTN call whose called number is whole and start the call
 * model on it. 0, or a cause to clear the SETUP with (gc is then gone).
 */
static int pstn_start(struct gcall *gc, struct gw_tdm_call *tc)
{
	struct gw_route_req rq;
	struct gw_route_result route;
	int err;

	copy_str(gc->cdr.called_in, sizeof(gc->cdr.called_in), gc->digits);
	memset(&rq, 0, sizeof(rq));
	rq.dir = GW_ROUTE_PSTN2SIP;
	rq.called = gc->digits;
	rq.calling = gc->calling.num;
	rq.called_ton = (enum gw_ton)gc->called_ton;
	rq.calling_ton = gc->calling.ton;
	rq.src_span = (int)gc->span;
	err = gc->rt ? gw_route_lookup(gc->rt->t, &rq, &route) : ENOENT;
	if (err || route.ntargets == 0) {
		int cause = err == ENAMETOOLONG ? 28 : 3;
		LOGN("call", "%s: PSTN call to %s on span %u: no route", gc->cdr.call_id,
		     gc->digits, gc->span);
		gcall_refused(gc, 0, cause);
		return cause;
	}
	fill_cdr_route(gc, &route);
	gc->tc = tc;
	gw_tdm_call_set_owner(tc, gc);
	gcall_policy(gc, -1);
	gc->call = gw_call_alloc(GW_CALL_PSTN2SIP, &route, &call_ops, gc, &gc->pol);
	if (!gc->call) {
		gw_tdm_call_set_owner(tc, NULL);
		gc->tc = NULL;
		gcall_refused(gc, 0, 47);
		return 47;
	}
	gw_call_event(gc->call, GW_EV_TDM_SETUP, NULL);
	return 0;
}

/* ---- inbound digest per trunk ---- */

/* Dialog layer hook: INVITEs from a trunk with inbound credentials are challenged. */
static bool auth_h(const struct sip_msg *req, const struct sip_tp_addr *src,
		   struct sip_dialog_uas_auth *a, void *arg)
{
	struct gw_gateway *g = arg;
	const struct gw_trunk_cfg *tc;
	int idx;
	(void)req;

	if (!g->trunks || !src)
		return false;
	idx = gw_trunks_match_source(g->trunks, &src->peer);
	if (idx < 0 || (size_t)idx >= g->nauths)
		return false;
	tc = gw_trunks_cfg(g->trunks, (size_t)idx);
	if (!tc->inbound_user[0])
		return false;
	a->server = &g->auths[idx];
	a->user = tc->inbound_user;
	a->password = tc->inbound_password;
	return true;
}

/* One digest server (realm = [calls] domain, own nonces) per trunk. */
static void auths_build(struct gw_gateway *g)
{
	size_t n = g->trunks ? gw_trunks_count(g->trunks) : 0;

	free(g->auths);
	g->auths = NULL;
	g->nauths = 0;
	if (!n)
		return;
	g->auths = calloc(n, sizeof(*g->auths));
	if (!g->auths) {
		LOGE("call", "out of memory: trunk credentials not checked (INVITEs refused)");
		return;
	}
	g->nauths = n;
	for (size_t i = 0; i < n; i++) {
		const struct gw_trunk_cfg *tc = gw_trunks_cfg(g->trunks, i);
		if (tc->inbound_user[0] &&
		    sip_auth_server_init(&g->auths[i], g->cfg.domain, 300,
					 (1u << SIP_AUTH_MD5) | (1u << SIP_AUTH_SHA256),
					 SIP_AUTH_QOP_AUTH, NULL))
			LOGE("call", "trunk %s: cannot set up digest authentication", tc->name);
	}
}

/* ---- life cycle ---- */

static void flush_cb(uv_timer_t *t)
{
	struct gw_gateway *g = t->data;

	if (g->cdr && gw_cdr_pending(g->cdr) && gw_cdr_flush(g->cdr))
		LOGW("cdr", "%zu records not written yet; retrying",
		     gw_cdr_pending(g->cdr));
}

static void handle_free_cb(uv_handle_t *h)
{
	free(h);
}

static void apply_dialog_policy(const struct gw_gateway_cfg *cfg, struct sip_dialog_layer_cfg *dc)
{
	memset(dc, 0, sizeof(*dc));
	dc->user = "pstngw";
	dc->prack = (enum sip_prack_mode)cfg->prack;
	dc->timer.enabled = cfg->session_expires != 0;
	dc->timer.interval = cfg->session_expires ? cfg->session_expires : 1800;
	dc->timer.min_se = cfg->min_se;
	dc->timer.prefer = SIP_REFRESHER_UAC;
}

int gw_gateway_alloc(struct gw_gateway **gp, uv_loop_t *loop, struct sip_ua *ua,
		     struct gw_spans *spans, struct gw_media *m,
		     const struct gw_gateway_cfg *cfg)
{
	struct gw_gateway *g;
	struct sip_dialog_layer_cfg dc;
	int err;

	g = calloc(1, sizeof(*g));
	if (!g)
		return ENOMEM;
	g->loop = loop;
	g->ua = ua;
	g->spans = spans;
	g->media = m;
	g->cfg = *cfg;
	gw_cause_map_init(&g->causes, GW_CAUSE_RFC3398);
	g->pol.causes = &g->causes;
	g->pol.noanswer_ms = cfg->noanswer_ms;
	g->pol.early_media_183 = cfg->early_media;
	if (cfg->cdr_path[0]) {
		err = gw_cdr_open(&g->cdr, cfg->cdr_path);
		if (err) {
			LOGE("cdr", "cannot open %s: %s", cfg->cdr_path, strerror(err));
			free(g);
			return err;
		}
	}
	apply_dialog_policy(cfg, &dc);
	err = sip_dialog_layer_alloc(&g->dl, ua, loop, &dc, dialog_ev_h, g);
	if (err) {
		LOGE("call", "cannot start the dialog layer: %s", strerror(err));
		gw_cdr_close(g->cdr);
		free(g);
		return err;
	}
	if (g->cdr) {
		g->t_flush = malloc(sizeof(*g->t_flush));
		if (!g->t_flush) {
			sip_dialog_layer_free(g->dl);
			gw_cdr_close(g->cdr);
			free(g);
			return ENOMEM;
		}
		uv_timer_init(loop, g->t_flush);
		g->t_flush->data = g;
		uv_timer_start(g->t_flush, flush_cb, 1000, 1000);
	}
	sip_dialog_layer_set_auth_h(g->dl, auth_h, g);
	if (spans) {
		gw_spans_set_call_handlers(spans, tdm_ev_h, tdm_new_h, g);
		gw_spans_set_digits_handler(spans, tdm_digits_h);
	}
	*gp = g;
	return 0;
}

void gw_gateway_policy(struct gw_gateway *g, const struct gw_gateway_cfg *cfg,
		       struct gw_route_table *routes, const struct gw_trunks *trunks,
		       const struct gw_cause_map *causes)
{
	struct rtab *rt = calloc(1, sizeof(*rt));
	struct rtab *old = g->rt;

	if (!rt) {
		/* keep the old table; the new one cannot be tracked */
		LOGE("call", "out of memory: route table not replaced");
		gw_route_table_free(routes);
	} else {
		rt->t = routes;
		rt->refs = 1; /* the gateway's own reference */
		rt->next = g->rt;
		g->rt = rt;
		if (old)
			rtab_release(g, old);
	}
	g->trunks = trunks;
	if (causes)
		g->causes = *causes;
	if (cfg) {
		/* CDR path and dialog policy stay until restart */
		struct gw_gateway_cfg keep = g->cfg;
		g->cfg = *cfg;
		memcpy(g->cfg.cdr_path, keep.cdr_path, sizeof(keep.cdr_path));
		g->cfg.prack = keep.prack;
		g->cfg.session_expires = keep.session_expires;
		g->cfg.min_se = keep.min_se;
		g->pol.noanswer_ms = cfg->noanswer_ms;
		g->pol.early_media_183 = cfg->early_media;
	}
	auths_build(g); /* realm = domain, trunks as now */
}

const struct gw_route_table *gw_gateway_routes(const struct gw_gateway *g)
{
	return g && g->rt ? g->rt->t : NULL;
}

void gw_gateway_free(struct gw_gateway *g)
{
	if (!g)
		return;
	g->closing = true;
	/* clear every call: the table sends BYE/CANCEL/DISCONNECT; what
	 * cannot finish now (answers still due) is cut short below */
	while (g->calls) {
		struct gcall *gc = g->calls;
		struct gw_call_result res;
		struct gw_cause cz = { 41, g->causes.default_location };

		if (gc->sess) {
			set_reason(gc->sess, &cz);
			sip_dialog_sess_set_user(gc->sess, NULL);
			sip_dialog_sess_bye(gc->sess);
			gc->sess = NULL;
		}
		if (gc->tc) {
			gw_tdm_call_set_owner(gc->tc, NULL);
			gw_tdm_call_hangup(gc->tc, 41, true);
			gc->tc = NULL;
		}
		if (gc->call) {
			gw_call_result(gc->call, &res);
			gc->cdr.sip_status = res.sip_status ? res.sip_status : gc->cdr.sip_status;
			gc->cdr.q850_cause = res.cause.cause ? res.cause.cause : 41;
		}
		gc->cdr.hangup_side = GW_CDR_SIDE_GATEWAY;
		gcall_end(gc);
	}
	if (g->spans)
		gw_spans_set_call_handlers(g->spans, NULL, NULL, NULL);
	sip_dialog_layer_free(g->dl);
	while (g->rt) {
		struct rtab *rt = g->rt;
		g->rt = rt->next;
		gw_route_table_free(rt->t);
		free(rt);
	}
	if (g->t_flush) {
		uv_timer_stop(g->t_flush);
		uv_close((uv_handle_t *)g->t_flush, handle_free_cb);
	}
	gw_cdr_close(g->cdr);
	free(g->auths);
	free(g);
}

void gw_gateway_stats(const struct gw_gateway *g, struct gw_gateway_stats *st)
{
	*st = g->st;
	st->active = g->ncalls;
	st->cdr_written = g->cdr ? gw_cdr_written(g->cdr) : 0;
}

int gw_gateway_ctl(struct gw_ctl_reply *r, int argc, char **argv, void *arg)
{
	struct gw_gateway *g = *(struct gw_gateway **)arg;
	struct gw_gateway_stats st;
	int64_t now = now_us();
	(void)argc;
	(void)argv;

	if (!g) {
		gw_ctl_error(r, "calls are not running");
		return -1;
	}
	gw_gateway_stats(g, &st);
	gw_ctl_printf(r, "calls active %u sip_in %llu pstn_in %llu answered %llu failed %llu "
		      "rejected_acl %llu rejected_limit %llu rejected_media %llu cdr %llu\n",
		      st.active, (unsigned long long)st.sip_in, (unsigned long long)st.pstn_in,
		      (unsigned long long)st.answered, (unsigned long long)st.failed,
		      (unsigned long long)st.rejected_acl, (unsigned long long)st.rejected_limit,
		      (unsigned long long)st.rejected_media, (unsigned long long)st.cdr_written);
	for (struct gcall *gc = g->calls; gc; gc = gc->next) {
		gw_ctl_printf(r, "call %s %s %s -> %s state %s span %d ts %d age %llds\n",
			      gc->cdr.call_id,
			      gc->cdr.dir == GW_CDR_SIP_TO_PSTN ? "sip2pstn" : "pstn2sip",
			      gc->cdr.calling_out[0] ? gc->cdr.calling_out : "-",
			      gc->cdr.called_out[0] ? gc->cdr.called_out : "-",
			      gc->call ? gw_call_state_name(gw_call_state(gc->call)) : "-",
			      gc->cdr.span, gc->cdr.channel,
			      (long long)((now - gc->cdr.start_us) / 1000000));
	}
	return 0;
}
