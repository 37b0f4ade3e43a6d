/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sipua: a small SIP user agent on the pstngw stack, for tests with real
 * peers (sipp) and for benchmarks.
 *
 * UAS (always, on -l ADDR:PORT): INVITE answered by Request-URI user:
 * "486..." -> 486, "503..." -> 503, "ring..." -> 180 then 200 after -R ms,
 * anything else -> 200 with an SDP answer (RFC 3264 via sip/sdp: PCMA,
 * PCMU, telephone-event; 488 when nothing in the offer is usable; an
 * offer of our own when the INVITE had none); ACK and BYE for known calls;
 * a 2xx never ACKed is followed by a BYE (RFC 3261 §13.3.1.4);
 * BYE for unknown dialogs gets 481 from the UA core; OPTIONS is answered
 * by the UA core (200 with Allow/Accept/Supported); MESSAGE, INFO,
 * NOTIFY -> 200. CANCEL is handled by the transaction layer (200 +
 * 487, RFC 3261 §9.2); the call is forgotten here.
 * UAC (-c URI -n COUNT -r RATE): COUNT INVITE calls (ACK, hold -d ms,
 * BYE) or, with -M METHOD, COUNT non-INVITE requests, at RATE per second;
 * exits 0 when all succeeded; -b N adds an N-byte text body to
 * non-INVITE requests.
 * Transports: -t udp (default), tcp, or both (UDP and TCP on one port; UDP
 * requests over 1300 bytes then go over TCP). -L PCT drops PCT % of the
 * datagrams sent and received (fault injection for loss tests).
 * SIGTERM/SIGINT: stop, print counters (STATS lines), exit 0.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <uv.h>

#include "base/log.h"
#include "sip/msg.h"
#include "sip/sdp.h"
#include "sip/ua.h"

#define MOD "sipua"
#define CALL_BUCKETS 4096

struct call {
	struct call *next;
	struct app *app;
	char *call_id;
	char tag[24];        /* our tag */
	struct sip_tsx *tsx; /* UAS: INVITE awaiting 200 (ring) */
	uv_timer_t tmr;      /* UAS ring / UAC hold */
	bool tmr_on;
	bool uac;
	bool confirmed;
	char *sdp;           /* UAS: our answer (or offer) */
	size_t sdp_len;
	/* in-dialog requests (UAC: after the 2xx; UAS: from the INVITE) */
	char *ruri;          /* remote target */
	char *hdrs_dlg;      /* From/To(with tags)/Call-ID for in-dialog */
	uint32_t cseq;
	struct sip_tp_addr dst;
};

struct app {
	uv_loop_t *loop;
	struct sip_ua *ua;
	enum sip_tp tp;
	char laddr[64];
	uint16_t lport;
	uint32_t ring_ms;
	bool verbose;
	struct call *calls[CALL_BUCKETS];
	unsigned ncalls;
	/* UAC */
	const char *target;
	struct sip_tp_addr dst;
	char dst_host[64];
	const char *method;   /* NULL = INVITE calls */
	uint32_t count, rate, hold_ms;
	uint32_t body_len;    /* -b: text body of non-INVITE requests */
	bool both;            /* -t both: UDP and TCP on the same port */
	uint32_t started, done, ok, failed;
	uv_timer_t pace;
	uint64_t t0;
	uv_signal_t sigterm, sigint;
	int exit_code;
	bool stopping;
	/* counters */
	uint64_t uas_invite, uas_ok, uas_bye, uas_other, uas_cancel;
};

/* ---- call table ---- */

static uint32_t hstr(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static struct call *call_find(struct app *app, const struct pl *cid)
{
	uint32_t h = hstr(cid->p, cid->l) % CALL_BUCKETS;
	for (struct call *c = app->calls[h]; c; c = c->next) {
		if (!pl_strcmp(cid, c->call_id))
			return c;
	}
	return NULL;
}

static struct call *call_new(struct app *app, const char *cid, size_t n)
{
	struct call *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->call_id = strndup(cid, n);
	if (!c->call_id) {
		free(c);
		return NULL;
	}
	c->app = app;
	sip_tsx_token(c->tag, sizeof(c->tag));
	uint32_t h = hstr(cid, n) % CALL_BUCKETS;
	c->next = app->calls[h];
	app->calls[h] = c;
	app->ncalls++;
	uv_timer_init(app->loop, &c->tmr);
	c->tmr.data = c;
	return c;
}

static void call_free_cb(uv_handle_t *h)
{
	struct call *c = h->data;
	free(c->call_id);
	free(c->sdp);
	free(c->ruri);
	free(c->hdrs_dlg);
	free(c);
}

static void call_del(struct call *c)
{
	struct app *app = c->app;
	uint32_t h = hstr(c->call_id, strlen(c->call_id)) % CALL_BUCKETS;
	for (struct call **pp = &app->calls[h]; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	app->ncalls--;
	uv_timer_stop(&c->tmr);
	uv_close((uv_handle_t *)&c->tmr, call_free_cb);
}

/* ---- SDP ---- */

/* A valid SDP answer: PCMA/PCMU + telephone-event on our address. */
static size_t make_sdp(struct app *app, char *buf, size_t sz)
{
	bool v6 = strchr(app->laddr, ':') != NULL;
	int n = snprintf(buf, sz,
			 "v=0\r\n"
			 "o=sipua %lu 1 IN %s %s\r\n"
			 "s=sipua\r\n"
			 "c=IN %s %s\r\n"
			 "t=0 0\r\n"
			 "m=audio 40000 RTP/AVP 8 0 101\r\n"
			 "a=rtpmap:8 PCMA/8000\r\n"
			 "a=rtpmap:0 PCMU/8000\r\n"
			 "a=rtpmap:101 telephone-event/8000\r\n"
			 "a=fmtp:101 0-16\r\n"
			 "a=ptime:20\r\n"
			 "a=sendrecv\r\n",
			 (unsigned long)time(NULL), v6 ? "IP6" : "IP4", app->laddr,
			 v6 ? "IP6" : "IP4", app->laddr);
	return n < 0 ? 0 : (size_t)n;
}

static void contact_hdr(struct app *app, char *buf, size_t sz)
{
	bool v6 = strchr(app->laddr, ':') != NULL;
	snprintf(buf, sz, "Contact: <sip:sipua@%s%s%s:%u%s>\r\n", v6 ? "[" : "",
		 app->laddr, v6 ? "]" : "", app->lport,
		 app->tp == SIP_TP_TCP ? ";transport=tcp" : "");
}

/* ---- UAS ---- */

static int answer_200(struct app *app, struct call *c, const struct sip_msg *req)
{
	char sdp[512], hdrs[200];
	const char *body = c->sdp;
	size_t n = c->sdp_len;
	if (!body) {
		n = make_sdp(app, sdp, sizeof(sdp));
		body = sdp;
	}
	contact_hdr(app, hdrs, sizeof(hdrs));
	struct sip_reply_opt o = { .to_tag = c->tag, .record_route = true,
				   .hdrs = hdrs, .ctype = "application/sdp",
				   .body = body, .body_len = n };
	int err = sip_ua_reply(app->ua, c->tsx, req, 200, NULL, &o);
	c->tsx = NULL;
	if (!err)
		app->uas_ok++;
	return err;
}

/*
 * RFC 3264 answer to the INVITE's offer into c->sdp. Returns 0, or the
 * status to reject with (488 not acceptable, 400 unparseable offer).
 */
static int sdp_answer_for(struct app *app, struct call *c,
			  const struct sip_msg *req)
{
	static const struct sdp_codec codecs[] = {
		{ .name = "PCMA", .clock = 8000, .pt = 8 },
		{ .name = "PCMU", .clock = 8000, .pt = 0 },
	};
	static const struct sdp_caps caps = {
		.codecv = codecs, .ncodec = 2, .dtmf = true, .dtmf_pt = 101,
		.ptime = 20, .srtp = SDP_SRTP_OFF,
	};
	struct sdp_session *offer = NULL, *ans = NULL;
	struct sdp_neg *neg = NULL;
	struct sdp_local loc = { .caps = &caps, .audio_port = 40000,
				 .dir = SDP_DIR_SENDRECV };
	struct sdp_origin org;
	char *buf = NULL;
	size_t len = 0;
	int status = 0;

	if (!req->body.l)
		return 0; /* late offer: ours goes in the 200 */
	offer = malloc(sizeof(*offer));
	ans = malloc(sizeof(*ans));
	neg = malloc(sizeof(*neg));
	buf = malloc(8192);
	if (!offer || !ans || !neg || !buf || sdp_conn_set(&loc.addr, app->laddr) ||
	    sdp_origin_init(&org, "sipua", &loc.addr)) {
		status = 500;
		goto out;
	}
	if (sdp_decode(offer, &req->body)) {
		/* be liberal with what peers send: answer with the fixed
		   description rather than fail the call */
		LOGW(MOD, "call %s: offer not parsed by sip/sdp, fixed answer",
		     c->call_id);
		goto out;
	}
	if (sdp_answer(ans, neg, &loc, offer)) {
		status = 488;
		goto out;
	}
	if (sdp_origin_stamp(&org, ans) || sdp_encode(ans, buf, 8192, &len)) {
		status = 500;
		goto out;
	}
	c->sdp = buf;
	c->sdp_len = len;
	buf = NULL;
out:
	free(offer);
	free(ans);
	free(neg);
	free(buf);
	return status;
}

/*
 * Remember what a BYE from our side needs (§12.1.1): remote target from
 * the Contact, From/To swapped, where the INVITE came from.
 */
static void uas_dialog(struct call *c, const struct sip_msg *req,
		       const struct sip_tp_addr *src)
{
	struct sip_contact ct;
	char h[1024];
	const struct sip_hdr *from = sip_msg_hdr(req, SIP_HDR_FROM);
	const struct sip_hdr *to = sip_msg_hdr(req, SIP_HDR_TO);
	if (!sip_msg_contact(req, &ct) && ct.addr.auri.p)
		c->ruri = pl_strdup(&ct.addr.auri);
	snprintf(h, sizeof(h), "From: %.*s;tag=%s\r\nTo: %.*s\r\nCall-ID: %s\r\n",
		 to ? (int)to->val.l : 0, to ? to->val.p : "", c->tag,
		 from ? (int)from->val.l : 0, from ? from->val.p : "",
		 c->call_id);
	c->hdrs_dlg = strdup(h);
	c->cseq = 1;
	c->dst = *src;
}

static void ring_cb(uv_timer_t *t)
{
	struct call *c = t->data;
	c->tmr_on = false;
	if (!c->tsx)
		return;
	if (sip_tsx_state(c->tsx) != SIP_TSX_PROCEEDING) {
		c->tsx = NULL;
		return;
	}
	LOGI(MOD, "call %s: answering after ring", c->call_id);
	answer_200(c->app, c, NULL);
}

static void uas_cancel(struct sip_tsx *tsx, const struct sip_msg *cancel,
		       void *arg)
{
	struct call *c = arg;
	(void)tsx;
	(void)cancel;
	c->app->uas_cancel++;
	LOGI(MOD, "call %s: CANCEL received", c->call_id);
	c->tsx = NULL;
	call_del(c); /* the transaction layer answers 487 */
}

static void uas_term(struct sip_tsx *tsx, int err, void *arg)
{
	struct call *c = arg;
	(void)tsx;
	LOGN(MOD, "call %s: transaction ended: %s", c->call_id, strerror(err));
	c->tsx = NULL;
	call_del(c);
}

static bool uas_invite(struct app *app, struct sip_tsx *tsx,
		       const struct sip_msg *req, const struct sip_tp_addr *src)
{
	const struct pl *user = &req->ruri.user;
	app->uas_invite++;
	if (req->to.tag.p) {
		/* re-INVITE: for a known call, answer with the same SDP */
		struct call *c = call_find(app, &req->call_id);
		if (!c)
			return false; /* core answers 481 */
		c->tsx = tsx;
		answer_200(app, c, req);
		return true;
	}
	if (user->l >= 3 && !memcmp(user->p, "486", 3)) {
		sip_ua_reply(app->ua, tsx, req, 486, NULL, NULL);
		LOGI(MOD, "INVITE %.*s -> 486", (int)user->l, user->p);
		return true;
	}
	if (user->l >= 3 && !memcmp(user->p, "503", 3)) {
		sip_ua_reply(app->ua, tsx, req, 503, NULL, NULL);
		LOGI(MOD, "INVITE %.*s -> 503", (int)user->l, user->p);
		return true;
	}
	struct call *c = call_new(app, req->call_id.p, req->call_id.l);
	if (!c) {
		sip_ua_reply(app->ua, tsx, req, 500, NULL, NULL);
		return true;
	}
	c->tsx = tsx;
	sip_tsx_set_handlers(tsx, uas_cancel, uas_term, c);
	int st = sdp_answer_for(app, c, req);
	if (st) {
		LOGI(MOD, "call %s: offer not acceptable -> %d", c->call_id, st);
		sip_ua_reply(app->ua, tsx, req, (uint16_t)st, NULL, NULL);
		c->tsx = NULL;
		call_del(c);
		return true;
	}
	uas_dialog(c, req, src);
	if (user->l >= 4 && !memcmp(user->p, "ring", 4)) {
		struct sip_reply_opt o = { .to_tag = c->tag };
		char hdrs[200];
		contact_hdr(app, hdrs, sizeof(hdrs));
		o.hdrs = hdrs;
		o.record_route = true;
		sip_ua_reply(app->ua, tsx, req, 180, NULL, &o);
		uv_timer_start(&c->tmr, ring_cb, app->ring_ms, 0);
		c->tmr_on = true;
		LOGI(MOD, "call %s: ringing %u ms", c->call_id, app->ring_ms);
		return true;
	}
	LOGI(MOD, "call %s: INVITE %.*s -> 200", c->call_id, (int)user->l,
	     user->p);
	answer_200(app, c, req);
	return true;
}

static bool uas_request(struct sip_ua *ua, struct sip_tsx *tsx,
			const struct sip_msg *req, const struct sip_tp_addr *src,
			void *arg)
{
	struct app *app = arg;
	switch (req->meth) {
	case SIP_METHOD_INVITE:
		return uas_invite(app, tsx, req, src);
	case SIP_METHOD_ACK: {
		struct call *c = call_find(app, &req->call_id);
		if (c && !c->uac) {
			c->confirmed = true;
			if (app->verbose)
				LOGI(MOD, "call %s: ACK", c->call_id);
		}
		return c != NULL;
	}
	case SIP_METHOD_BYE: {
		struct call *c = call_find(app, &req->call_id);
		if (!c)
			return false; /* core answers 481 */
		app->uas_bye++;
		LOGI(MOD, "call %s: BYE -> 200", c->call_id);
		sip_ua_reply(ua, tsx, req, 200, NULL, NULL);
		if (c->tsx) {
			/* BYE before answer: the INVITE gets 487 (§15.1.2) */
			sip_ua_reply(ua, c->tsx, NULL, 487, NULL, NULL);
			c->tsx = NULL;
		}
		call_del(c);
		return true;
	}
	case SIP_METHOD_MESSAGE:
	case SIP_METHOD_INFO:
	case SIP_METHOD_NOTIFY:
		app->uas_other++;
		if (app->verbose)
			LOGI(MOD, "%.*s -> 200", (int)req->method.l,
			     req->method.p);
		sip_ua_reply(ua, tsx, req, 200, NULL, NULL);
		return true;
	default:
		return false;
	}
}

static void uas_bye_resp(struct sip_tsx *tsx, const struct sip_msg *resp,
			 int err, void *arg)
{
	struct call *c = arg;
	(void)tsx;
	if (resp && resp->scode < 200)
		return;
	LOGI(MOD, "call %s: our BYE -> %u %s", c->call_id,
	     resp ? resp->scode : 0, resp ? "" : strerror(err));
	call_del(c);
}

/* No ACK for our 2xx within 64*T1: end the call with BYE (§13.3.1.4). */
static void uas_ack_timeout(const struct sip_msg *resp, void *arg)
{
	struct app *app = arg;
	struct call *c = call_find(app, &resp->call_id);
	char hdrs[1200];
	if (!c || c->uac || c->confirmed || !c->hdrs_dlg || !c->ruri)
		return;
	LOGN(MOD, "call %s: no ACK for 200, sending BYE", c->call_id);
	snprintf(hdrs, sizeof(hdrs), "%sCSeq: %u BYE\r\n", c->hdrs_dlg,
		 ++c->cseq);
	if (sip_ua_request(app->ua, NULL, &c->dst, "BYE", c->ruri, hdrs, NULL,
			   NULL, 0, uas_bye_resp, c))
		call_del(c);
}

/* ---- UAC ---- */

static void uac_done(struct app *app, bool ok)
{
	app->done++;
	if (ok)
		app->ok++;
	else
		app->failed++;
	if (app->done >= app->count && app->count) {
		LOGN(MOD, "UAC finished: %u ok, %u failed", app->ok,
		     app->failed);
		app->exit_code = app->failed ? 1 : 0;
		uv_stop(app->loop);
	}
}

static void uac_bye_resp(struct sip_tsx *tsx, const struct sip_msg *resp,
			 int err, void *arg)
{
	struct call *c = arg;
	struct app *app = c->app;
	(void)tsx;
	if (resp && resp->scode < 200)
		return;
	bool ok = resp && resp->scode < 300;
	LOGI(MOD, "call %s: BYE -> %u%s", c->call_id, resp ? resp->scode : 0,
	     resp ? "" : strerror(err));
	call_del(c);
	uac_done(app, ok);
}

static void hold_cb(uv_timer_t *t)
{
	struct call *c = t->data;
	struct app *app = c->app;
	char hdrs[1024];
	c->tmr_on = false;
	snprintf(hdrs, sizeof(hdrs), "%sCSeq: %u BYE\r\n", c->hdrs_dlg,
		 ++c->cseq);
	int err = sip_ua_request(app->ua, NULL, &c->dst, "BYE", c->ruri, hdrs,
				 NULL, NULL, 0, uac_bye_resp, c);
	if (err) {
		LOGW(MOD, "call %s: BYE not sent: %s", c->call_id,
		     strerror(err));
		call_del(c);
		uac_done(app, false);
	}
}

static void uac_invite_resp(struct sip_tsx *tsx, const struct sip_msg *resp,
			    int err, void *arg)
{
	struct call *c = arg;
	struct app *app = c->app;

	if (!resp) {
		if (!c->confirmed) {
			LOGW(MOD, "call %s: INVITE failed: %s", c->call_id,
			     strerror(err));
			call_del(c);
			uac_done(app, false);
		}
		return;
	}
	if (resp->scode < 200)
		return;
	if (resp->scode >= 300) {
		LOGI(MOD, "call %s: INVITE -> %u", c->call_id, resp->scode);
		call_del(c);
		uac_done(app, false);
		return;
	}
	/* 2xx (maybe a retransmission): ACK it (§13.2.2.4) */
	char hdrs[1024];
	const struct sip_hdr *to = sip_msg_hdr(resp, SIP_HDR_TO);
	const struct sip_hdr *from = sip_msg_hdr(resp, SIP_HDR_FROM);
	struct sip_contact ct;
	if (!c->confirmed) {
		c->confirmed = true;
		if (!sip_msg_contact(resp, &ct) && ct.addr.auri.p) {
			free(c->ruri);
			c->ruri = pl_strdup(&ct.addr.auri);
		}
		snprintf(hdrs, sizeof(hdrs), "From: %.*s\r\nTo: %.*s\r\nCall-ID: %s\r\n",
			 from ? (int)from->val.l : 0, from ? from->val.p : "",
			 to ? (int)to->val.l : 0, to ? to->val.p : "",
			 c->call_id);
		free(c->hdrs_dlg);
		c->hdrs_dlg = strdup(hdrs);
		LOGI(MOD, "call %s: INVITE -> %u, ACK", c->call_id, resp->scode);
		sip_tsx_detach(tsx);
		uv_timer_start(&c->tmr, hold_cb, app->hold_ms, 0);
		c->tmr_on = true;
	}
	if (!c->hdrs_dlg || !c->ruri)
		return;
	snprintf(hdrs, sizeof(hdrs), "%sCSeq: %u ACK\r\n", c->hdrs_dlg,
		 resp->cseq.num);
	sip_ua_send_ack(app->ua, &c->dst, c->ruri, hdrs, NULL, NULL, 0);
}

static void uac_nict_resp(struct sip_tsx *tsx, const struct sip_msg *resp,
			  int err, void *arg)
{
	struct app *app = arg;
	(void)tsx;
	if (resp && resp->scode < 200)
		return;
	if (!resp && app->verbose)
		LOGW(MOD, "%s failed: %s", app->method, strerror(err));
	uac_done(app, resp && resp->scode < 300);
}

static void uac_start_one(struct app *app)
{
	char cid[64], tag[24], hdrs[1024], contact[200], sdp[512];
	char laddr[80];
	uint32_t n = ++app->started;
	int err;

	sip_tsx_token(cid, sizeof(cid));
	size_t cl = strlen(cid);
	snprintf(cid + cl, sizeof(cid) - cl, "-%u@sipua", n);
	sip_tsx_token(tag, sizeof(tag));
	sip_ua_sentby(app->ua, &app->dst, laddr, sizeof(laddr));
	contact_hdr(app, contact, sizeof(contact));
	if (app->method) {
		snprintf(hdrs, sizeof(hdrs),
			 "From: <sip:sipua@%s>;tag=%s\r\nTo: <%s>\r\n"
			 "Call-ID: %s\r\nCSeq: 1 %s\r\n",
			 laddr, tag, app->target, cid, app->method);
		char *body = NULL;
		if (app->body_len) {
			body = malloc(app->body_len);
			if (body) {
				for (uint32_t i = 0; i < app->body_len; i++)
					body[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
			}
		}
		err = sip_ua_request(app->ua, NULL, &app->dst, app->method,
				     app->target, hdrs, body ? "text/plain" : NULL,
				     body, body ? app->body_len : 0,
				     uac_nict_resp, app);
		free(body);
		if (err) {
			LOGW(MOD, "%s not sent: %s", app->method, strerror(err));
			uac_done(app, false);
		}
		return;
	}
	struct call *c = call_new(app, cid, strlen(cid));
	if (!c) {
		uac_done(app, false);
		return;
	}
	c->uac = true;
	c->cseq = 1;
	c->dst = app->dst;
	c->ruri = strdup(app->target);
	memcpy(c->tag, tag, sizeof(c->tag));
	snprintf(hdrs, sizeof(hdrs),
		 "From: <sip:sipua@%s>;tag=%s\r\nTo: <%s>\r\nCall-ID: %s\r\n"
		 "CSeq: 1 INVITE\r\n%s",
		 laddr, tag, app->target, cid, contact);
	size_t sl = make_sdp(app, sdp, sizeof(sdp));
	LOGI(MOD, "call %s: INVITE %s", cid, app->target);
	err = sip_ua_request(app->ua, NULL, &app->dst, "INVITE", app->target,
			     hdrs, "application/sdp", sdp, sl, uac_invite_resp,
			     c);
	if (err) {
		LOGW(MOD, "call %s: INVITE not sent: %s", cid, strerror(err));
		call_del(c);
		uac_done(app, false);
	}
}

/* Start calls so that started ~= rate * elapsed. */
static void pace_cb(uv_timer_t *t)
{
	struct app *app = t->data;
	uint64_t el = uv_now(app->loop) - app->t0;
	uint64_t want = (el * app->rate) / 1000 + 1;
	/* bounded per tick */
	for (unsigned i = 0; i < 1000 && app->started < app->count &&
			     app->started < want; i++)
		uac_start_one(app);
	if (app->started >= app->count)
		uv_timer_stop(t);
}

/* ---- dialog-layer hooks: features added by the dialog module go here ---- */

/* ---- main ---- */

static void print_stats(struct app *app)
{
	struct sip_transp_stats ts;
	struct sip_tsxl_stats xs;
	struct sip_ua_stats us;
	struct rusage ru;
	sip_transp_stats(sip_ua_transp(app->ua), &ts);
	sip_tsxl_stats(sip_ua_tsxl(app->ua), &xs);
	sip_ua_stats(app->ua, &us);
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr,
		"STATS rx_msgs=%llu tx_msgs=%llu rx_flood_drop=%llu "
		"rx_oversize=%llu tx_err=%llu conn_accepted=%llu "
		"test_lost=%llu\n"
		"STATS tsx_created=%llu tsx_live=%u retrans_tx=%llu "
		"retrans_rx=%llu timeouts=%llu overflow=%llu\n"
		"STATS rx_req=%llu rx_resp=%llu parse_drop=%llu "
		"parse_reject=%llu rej_481=%llu rej_483=%llu rej_420=%llu "
		"rej_415=%llu rej_503=%llu\n"
		"STATS uas_invite=%llu uas_ok=%llu uas_bye=%llu uas_cancel=%llu "
		"uas_other=%llu uac_ok=%u uac_failed=%u\n"
		"STATS cpu_user_us=%lld cpu_sys_us=%lld maxrss_kb=%ld\n",
		(unsigned long long)ts.rx_msgs, (unsigned long long)ts.tx_msgs,
		(unsigned long long)ts.rx_flood_drop,
		(unsigned long long)ts.rx_oversize,
		(unsigned long long)ts.tx_err,
		(unsigned long long)ts.conn_accepted,
		(unsigned long long)ts.test_lost,
		(unsigned long long)xs.created, xs.live,
		(unsigned long long)xs.retrans_tx,
		(unsigned long long)xs.retrans_rx,
		(unsigned long long)xs.timeouts,
		(unsigned long long)xs.overflow,
		(unsigned long long)us.rx_req, (unsigned long long)us.rx_resp,
		(unsigned long long)us.parse_drop,
		(unsigned long long)us.parse_reject,
		(unsigned long long)us.rej_481, (unsigned long long)us.rej_483,
		(unsigned long long)us.rej_420, (unsigned long long)us.rej_415,
		(unsigned long long)us.rej_503,
		(unsigned long long)app->uas_invite,
		(unsigned long long)app->uas_ok,
		(unsigned long long)app->uas_bye,
		(unsigned long long)app->uas_cancel,
		(unsigned long long)app->uas_other, app->ok, app->failed,
		(long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
		(long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec,
		ru.ru_maxrss);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct app *app = s->data;
	LOGN(MOD, "signal %d: stopping", signum);
	app->stopping = true;
	uv_stop(app->loop);
}

static void close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static int parse_hostport(const char *s, char *host, size_t hsz,
			  uint16_t *port)
{
	const char *c;
	if (s[0] == '[') {
		c = strchr(s, ']');
		if (!c || c[1] != ':')
			return EINVAL;
		snprintf(host, hsz, "%.*s", (int)(c - s - 1), s + 1);
		c++;
	} else {
		c = strrchr(s, ':');
		if (!c)
			return EINVAL;
		snprintf(host, hsz, "%.*s", (int)(c - s), s);
	}
	long p = strtol(c + 1, NULL, 10);
	if (p <= 0 || p > 65535)
		return EINVAL;
	*port = (uint16_t)p;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: sipua -l ADDR:PORT [-t udp|tcp|both] [-v] [-R ring_ms]\n"
		"             [-T t1_ms] [-m max_tsx] [-F flood_rate]\n"
		"             [-L loss_pct (drop datagrams, for tests)]\n"
		"             [-c URI -n COUNT -r RATE [-d hold_ms] [-M METHOD]\n"
		"              [-b BODY_BYTES (non-INVITE text body)]\n"
		"              [-p HOST:PORT (next hop; default from URI)]]\n");
}

int main(int argc, char **argv)
{
	struct app app;
	struct sip_ua_cfg cfg;
	const char *listen = NULL, *nexthop = NULL;
	static const char *const supported[] = { "100rel", "timer", "replaces",
						 NULL };
	int opt, err;

	memset(&app, 0, sizeof(app));
	memset(&cfg, 0, sizeof(cfg));
	app.tp = SIP_TP_UDP;
	app.ring_ms = 1000;
	app.rate = 10;
	app.hold_ms = 100;
	cfg.user_agent = "pstngw-sipua";
	cfg.supported = supported;
	cfg.allow = "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, INFO, NOTIFY";

	while ((opt = getopt(argc, argv, "l:t:vR:T:m:F:L:c:n:r:d:M:b:p:h")) != -1) {
		switch (opt) {
		case 'l': listen = optarg; break;
		case 't':
			if (!strcmp(optarg, "tcp"))
				app.tp = SIP_TP_TCP;
			else if (!strcmp(optarg, "both"))
				app.both = true;
			else if (strcmp(optarg, "udp")) {
				usage();
				return 2;
			}
			break;
		case 'v': app.verbose = true; break;
		case 'R': app.ring_ms = (uint32_t)atoi(optarg); break;
		case 'T': cfg.tsx.t1 = (uint32_t)atoi(optarg); break;
		case 'm': cfg.tsx.max_tsx = (uint32_t)atoi(optarg); break;
		case 'F': cfg.tp.flood_rate = (uint32_t)atoi(optarg); break;
		case 'L': cfg.tp.test_loss_pct = (uint32_t)atoi(optarg); break;
		case 'c': app.target = optarg; break;
		case 'n': app.count = (uint32_t)atoi(optarg); break;
		case 'r': app.rate = (uint32_t)atoi(optarg); break;
		case 'd': app.hold_ms = (uint32_t)atoi(optarg); break;
		case 'M': app.method = optarg; break;
		case 'b': app.body_len = (uint32_t)atoi(optarg); break;
		case 'p': nexthop = optarg; break;
		default: usage(); return 2;
		}
	}
	if (!listen || parse_hostport(listen, app.laddr, sizeof(app.laddr),
				      &app.lport)) {
		usage();
		return 2;
	}
	log_set_level(app.verbose ? LOGL_DEBUG : LOGL_INFO);
	if (app.target && !app.method && app.rate > 2000)
		log_set_level(LOGL_NOTICE);

	app.loop = uv_default_loop();
	err = sip_ua_alloc(&app.ua, app.loop, &cfg);
	if (err) {
		LOGE(MOD, "UA: %s", strerror(err));
		return 1;
	}
	err = sip_ua_listen(app.ua, app.tp, app.laddr, app.lport);
	if (!err && app.both)
		err = sip_ua_listen(app.ua, SIP_TP_TCP, app.laddr, app.lport);
	if (err) {
		LOGE(MOD, "listen %s: %s", listen, strerror(err));
		return 1;
	}
	sip_ua_add_handler(app.ua, 100, uas_request, &app);
	sip_tsxl_set_ack_timeout_h(sip_ua_tsxl(app.ua), uas_ack_timeout, &app);

	uv_signal_init(app.loop, &app.sigterm);
	uv_signal_init(app.loop, &app.sigint);
	app.sigterm.data = app.sigint.data = &app;
	uv_signal_start(&app.sigterm, on_signal, SIGTERM);
	uv_signal_start(&app.sigint, on_signal, SIGINT);

	if (app.target) {
		char host[64];
		uint16_t port = 5060;
		struct sip_uri u;
		struct pl t = pl_from_str(app.target);
		if (nexthop) {
			if (parse_hostport(nexthop, host, sizeof(host), &port)) {
				usage();
				return 2;
			}
		} else if (!sip_uri_decode(&u, &t) && u.host.l < sizeof(host)) {
			pl_strcpy(&u.host, host, sizeof(host));
			if (u.port)
				port = u.port;
		} else {
			LOGE(MOD, "bad URI %s", app.target);
			return 2;
		}
		app.dst.tp = app.tp;
		if (sip_sa_set(&app.dst.peer, host, port)) {
			LOGE(MOD, "next hop must be a numeric address: %s", host);
			return 2;
		}
		if (!app.count)
			app.count = 1;
		if (!app.rate)
			app.rate = 1;
		uv_timer_init(app.loop, &app.pace);
		app.pace.data = &app;
		app.t0 = uv_now(app.loop);
		uv_timer_start(&app.pace, pace_cb, 0, 1);
		LOGN(MOD, "UAC: %u %s to %s at %u/s", app.count,
		     app.method ? app.method : "calls", app.target, app.rate);
	}
	LOGN(MOD, "listening on %s/%s%s", listen, sip_tp_name(app.tp),
	     app.both ? "+TCP" : "");
	uv_run(app.loop, UV_RUN_DEFAULT);

	print_stats(&app);
	if (app.target && !app.stopping && app.done < app.count)
		app.exit_code = 1;
	sip_ua_free(app.ua);
	for (unsigned i = 0; i < CALL_BUCKETS; i++) {
		while (app.calls[i]) {
			struct call *c = app.calls[i];
			app.calls[i] = c->next;
			uv_close((uv_handle_t *)&c->tmr, call_free_cb);
		}
	}
	uv_walk(app.loop, close_walk, NULL);
	uv_run(app.loop, UV_RUN_DEFAULT);
	uv_loop_close(app.loop);
	return app.exit_code;
}
