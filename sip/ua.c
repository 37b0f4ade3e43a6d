/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP user agent core: transport -> parse -> transaction -> request
 * handlers. Stateless rejections for unparseable requests (RFC 3261 §8.2,
 * §18.3: 400/505/416/513 when a response can be formed), Max-Forwards 0
 * (483, §8.2.2 / §16.3), unknown Require option tags (420, §8.2.2.3),
 * unsupported INVITE bodies (415, §8.2.3); 100 Trying for INVITE
 * (§8.2.6.1); 481 for in-dialog requests nobody claims (§12.2.2); OPTIONS
 * answered by the core (§11.2); other unclaimed requests 405 or 501
 * (§8.2.1). Requests sent by the TU get our Via with
 * a fresh branch and rport (RFC 3581), over TCP instead of UDP when
 * larger than 1300 bytes (§18.1.1); responses whose top Via is not ours
 * are dropped (§18.1.2).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "sip/msg.h"
#include "sip/ua.h"

#define MOD "ua"
#define MAX_HANDLERS 8

struct handler {
	int prio;
	sip_ua_req_h *h;
	void *arg;
};

struct sip_ua {
	uv_loop_t *loop;
	struct sip_ua_cfg cfg;
	struct sip_transp *tp;
	struct sip_tsxl *tl;
	struct handler hv[MAX_HANDLERS];
	unsigned hc;
	struct sip_ua_stats st;
	char allow[256];
	char accept[256];
	char supported[256];
};

static const char *const default_accept[] = { "application/sdp",
					      "multipart/mixed", NULL };
static const char *const no_tags[] = { NULL };

static int ua_send(const struct sip_tp_addr *dst, const char *buf, size_t len,
		   uint64_t *conn, void *arg)
{
	struct sip_ua *ua = arg;
	return sip_transp_send(ua->tp, dst, buf, len, conn);
}

static void ua_recv(struct sip_transp *tp, const struct sip_tp_addr *src,
		    char *buf, size_t len, bool oversize, void *arg)
{
	(void)tp;
	sip_ua_input(arg, src, buf, len, oversize);
}

static void ua_conn(struct sip_transp *tp, uint64_t conn, int err, void *arg)
{
	struct sip_ua *ua = arg;
	(void)tp;
	sip_tsxl_conn_failed(ua->tl, conn, err);
}

static void join(char *dst, size_t sz, const char *const *v)
{
	size_t n = 0;
	dst[0] = '\0';
	for (unsigned i = 0; v && v[i]; i++) {
		int r = snprintf(dst + n, sz - n, "%s%s", i ? ", " : "", v[i]);
		if (r < 0 || (size_t)r >= sz - n)
			break;
		n += (size_t)r;
	}
}

int sip_ua_alloc(struct sip_ua **uap, uv_loop_t *loop,
		 const struct sip_ua_cfg *cfg)
{
	struct sip_ua *ua;
	int err;

	if (!uap || !loop)
		return EINVAL;
	ua = calloc(1, sizeof(*ua));
	if (!ua)
		return ENOMEM;
	if (cfg)
		ua->cfg = *cfg;
	if (!ua->cfg.accept)
		ua->cfg.accept = default_accept;
	if (!ua->cfg.supported)
		ua->cfg.supported = no_tags;
	if (!ua->cfg.allow)
		ua->cfg.allow = "INVITE, ACK, CANCEL, BYE, OPTIONS";
	snprintf(ua->allow, sizeof(ua->allow), "%s", ua->cfg.allow);
	join(ua->accept, sizeof(ua->accept), ua->cfg.accept);
	join(ua->supported, sizeof(ua->supported), ua->cfg.supported);
	ua->loop = loop;
	err = sip_transp_alloc(&ua->tp, loop, &ua->cfg.tp, ua_recv, ua_conn, ua);
	if (err)
		goto out;
	err = sip_tsxl_alloc(&ua->tl, loop, &ua->cfg.tsx, ua_send, ua);
	if (err)
		goto out;
	*uap = ua;
out:
	if (err) {
		sip_transp_free(ua->tp);
		free(ua);
	}
	return err;
}

void sip_ua_free(struct sip_ua *ua)
{
	if (!ua)
		return;
	sip_tsxl_free(ua->tl);
	sip_transp_free(ua->tp);
	free(ua);
}

int sip_ua_listen(struct sip_ua *ua, enum sip_tp tp, const char *addr,
		  uint16_t port)
{
	return sip_transp_listen(ua->tp, tp, addr, port);
}

int sip_ua_add_handler(struct sip_ua *ua, int prio, sip_ua_req_h *h, void *arg)
{
	if (!h)
		return EINVAL;
	if (ua->hc >= MAX_HANDLERS)
		return ENOSPC;
	unsigned i = ua->hc;
	while (i > 0 && ua->hv[i - 1].prio > prio) {
		ua->hv[i] = ua->hv[i - 1];
		i--;
	}
	ua->hv[i] = (struct handler){ prio, h, arg };
	ua->hc++;
	return 0;
}

struct sip_transp *sip_ua_transp(struct sip_ua *ua)
{
	return ua->tp;
}

struct sip_tsxl *sip_ua_tsxl(struct sip_ua *ua)
{
	return ua->tl;
}

void sip_ua_stats(const struct sip_ua *ua, struct sip_ua_stats *st)
{
	*st = ua->st;
}

/* Server header + the caller's extra header lines. */
static const char *merge_hdrs(struct sip_ua *ua, struct sip_buf *hb,
			      const struct sip_reply_opt *opt)
{
	if (ua->cfg.user_agent) {
		sip_buf_str(hb, "Server: ");
		sip_buf_str(hb, ua->cfg.user_agent);
		sip_buf_str(hb, "\r\n");
	}
	if (opt && opt->hdrs)
		sip_buf_str(hb, opt->hdrs);
	return hb->len ? hb->p : NULL;
}

static int build(struct sip_ua *ua, struct sip_buf *b, const struct sip_msg *req,
		 const struct sip_tp_addr *src, uint16_t scode,
		 const char *reason, const struct sip_reply_opt *opt)
{
	struct sip_reply_opt o = { .to_tag = NULL };
	struct sip_buf hb;
	char tag[24];
	int err;

	if (opt)
		o = *opt;
	/* a final non-100 response needs a To tag (§8.2.6.2) */
	if (!o.to_tag && scode > 100 && !req->to.tag.p) {
		sip_tsx_token(tag, sizeof(tag));
		o.to_tag = tag;
	}
	sip_buf_init(&hb, 8192);
	o.hdrs = merge_hdrs(ua, &hb, opt);
	err = sip_buf_err(&hb);
	if (!err)
		err = sip_tsx_build_reply(b, req, src, scode, reason, &o);
	sip_buf_free(&hb);
	return err;
}

int sip_ua_reply_stateless(struct sip_ua *ua, const struct sip_msg *req,
			   const struct sip_tp_addr *src, uint16_t scode,
			   const char *reason, const struct sip_reply_opt *opt)
{
	struct sip_buf b;
	struct sip_tp_addr dst;
	int err;

	if (!req || !req->req || req->meth == SIP_METHOD_ACK)
		return EINVAL;
	sip_buf_init(&b, 0);
	err = build(ua, &b, req, src, scode, reason, opt);
	if (err)
		goto out;
	if (sip_transp_resp_dst(req, src, &dst))
		dst = *src;
	err = sip_transp_send(ua->tp, &dst, b.p, b.len, NULL);
out:
	sip_buf_free(&b);
	return err;
}

int sip_ua_reply(struct sip_ua *ua, struct sip_tsx *tsx,
		 const struct sip_msg *req, uint16_t scode, const char *reason,
		 const struct sip_reply_opt *opt)
{
	struct sip_msg *own = NULL;
	struct sip_buf b;
	int err;

	if (!tsx)
		return EINVAL;
	if (!req) {
		size_t len;
		const char *txt = sip_tsx_request_text(tsx, &len);
		if (!txt)
			return EINVAL;
		own = malloc(sizeof(*own));
		if (!own)
			return ENOMEM;
		if (sip_msg_decode(own, txt, len)) {
			free(own);
			return EINVAL;
		}
		req = own;
	}
	sip_buf_init(&b, 0);
	err = build(ua, &b, req, sip_tsx_src(tsx), scode, reason, opt);
	if (!err)
		err = sip_tsx_reply(tsx, b.p, b.len);
	sip_buf_free(&b);
	free(own);
	return err;
}

static void reject(struct sip_ua *ua, const struct sip_msg *req,
		   const struct sip_tp_addr *src, uint16_t scode,
		   const char *reason, const char *hdrs)
{
	struct sip_reply_opt o = { .hdrs = hdrs };
	int err = sip_ua_reply_stateless(ua, req, src, scode, reason, &o);
	if (err)
		LOGD(MOD, "rejection %u not sent: %s", scode, strerror(err));
}

static bool ctype_accepted(const struct sip_ua *ua, const struct sip_msg *m)
{
	for (unsigned i = 0; ua->cfg.accept[i]; i++) {
		const char *a = ua->cfg.accept[i];
		const char *sl = strchr(a, '/');
		if (!sl)
			continue;
		if (m->ctype.type.l == (size_t)(sl - a) &&
		    !strncasecmp(m->ctype.type.p, a, m->ctype.type.l) &&
		    !pl_strcasecmp(&m->ctype.subtype, sl + 1))
			return true;
	}
	return false;
}

/*
 * Option tags of Require (§8.2.2.3; Proxy-Require is for proxies, a UAS
 * ignores it) that we do not support, ", "-joined into out.
 */
static unsigned unsupported_tags(const struct sip_ua *ua,
				 const struct sip_msg *m, struct sip_buf *out)
{
	struct sip_msg_iter it;
	struct pl v;
	unsigned n = 0;

	sip_msg_iter_init(&it, m, SIP_HDR_REQUIRE);
	for (unsigned guard = 0; guard < 256 && sip_msg_iter_next(&it, &v);
	     guard++) {
		bool ok = false;
		for (unsigned i = 0; ua->cfg.supported[i] && !ok; i++)
			ok = !pl_strcasecmp(&v, ua->cfg.supported[i]);
		if (ok || !v.l)
			continue;
		if (n)
			sip_buf_str(out, ", ");
		sip_buf_pl(out, &v);
		n++;
	}
	return n;
}

/* §8.2.2 / §8.2.3 checks; true if the request was rejected. */
static bool check_request(struct sip_ua *ua, const struct sip_msg *m,
			  const struct sip_tp_addr *src)
{
	if (m->max_forwards == 0 && m->meth != SIP_METHOD_ACK) {
		ua->st.rej_483++;
		reject(ua, m, src, 483, NULL, NULL);
		return true;
	}
	if (m->meth != SIP_METHOD_ACK && m->meth != SIP_METHOD_CANCEL) {
		struct sip_buf u;
		char mem[512];
		sip_buf_init_fixed(&u, mem, sizeof(mem));
		sip_buf_str(&u, "Unsupported: ");
		size_t pre = u.len;
		if (unsupported_tags(ua, m, &u) > 0 && u.len > pre) {
			sip_buf_str(&u, "\r\n");
			ua->st.rej_420++;
			reject(ua, m, src, 420, NULL,
			       sip_buf_err(&u) ? NULL : u.p);
			return true;
		}
	}
	if (m->meth == SIP_METHOD_INVITE && (m->body.l || m->ctype.type.p) &&
	    !ctype_accepted(ua, m)) {
		char h[300];
		snprintf(h, sizeof(h), "Accept: %s\r\n", ua->accept);
		ua->st.rej_415++;
		reject(ua, m, src, 415, NULL, h);
		return true;
	}
	return false;
}

static bool run_handlers(struct sip_ua *ua, struct sip_tsx *tsx,
			 const struct sip_msg *m, const struct sip_tp_addr *src)
{
	for (unsigned i = 0; i < ua->hc; i++) {
		if (ua->hv[i].h(ua, tsx, m, src, ua->hv[i].arg))
			return true;
	}
	return false;
}

static bool tsx_open(const struct sip_tsx *tsx)
{
	enum sip_tsx_state s = sip_tsx_state(tsx);
	return s == SIP_TSX_TRYING || s == SIP_TSX_PROCEEDING;
}

static void handle_request(struct sip_ua *ua, const struct sip_msg *m,
			   const struct sip_tp_addr *src)
{
	enum sip_tsx_rx rx = sip_tsxl_recv(ua->tl, m, src);
	struct sip_tsx *tsx = NULL;
	int err;

	if (m->meth == SIP_METHOD_ACK) {
		/* 2xx ACKs (matched or not) go to the dialog layer / TU */
		if (rx == SIP_TSX_RX_NEW || rx == SIP_TSX_RX_ACK_2XX)
			run_handlers(ua, NULL, m, src);
		return;
	}
	if (rx != SIP_TSX_RX_NEW)
		return;
	if (check_request(ua, m, src))
		return;
	err = sip_tsx_server(&tsx, ua->tl, m, src);
	if (err) {
		if (err == ENOSPC) {
			ua->st.rej_503++;
			reject(ua, m, src, 503, "Overloaded",
			       "Retry-After: 5\r\n");
		}
		return;
	}
	if (m->meth == SIP_METHOD_INVITE)
		sip_ua_reply(ua, tsx, m, 100, NULL, NULL);
	if (run_handlers(ua, tsx, m, src)) {
		if (tsx_open(tsx) &&
		    sip_tsx_save_request(tsx, m->buf, m->len)) {
			/* cannot keep it: the TU cannot answer later */
			sip_ua_reply(ua, tsx, m, 500, "Server Internal Error",
				     NULL);
		}
		return;
	}
	if (m->to.tag.p) {
		ua->st.rej_481++;
		sip_ua_reply(ua, tsx, m, 481, NULL, NULL);
		return;
	}
	if (m->meth == SIP_METHOD_OPTIONS) {
		char h[800];
		snprintf(h, sizeof(h), "Allow: %s\r\nAccept: %s\r\n%s%s%s",
			 ua->allow, ua->accept,
			 ua->supported[0] ? "Supported: " : "", ua->supported,
			 ua->supported[0] ? "\r\n" : "");
		struct sip_reply_opt o = { .hdrs = h };
		ua->st.opt_200++;
		sip_ua_reply(ua, tsx, m, 200, NULL, &o);
		return;
	}
	char h[300];
	snprintf(h, sizeof(h), "Allow: %s\r\n", ua->allow);
	struct sip_reply_opt o = { .hdrs = h };
	/* §8.2.1: a method we do not know is 501; a known one nobody here
	   handles is 405, both with Allow */
	if (m->meth == SIP_METHOD_OTHER) {
		ua->st.rej_501++;
		sip_ua_reply(ua, tsx, m, 501, NULL, &o);
	} else {
		ua->st.rej_405++;
		sip_ua_reply(ua, tsx, m, 405, NULL, &o);
	}
}

void sip_ua_input(struct sip_ua *ua, const struct sip_tp_addr *src, char *buf,
		  size_t len, bool oversize)
{
	struct sip_msg *m = malloc(sizeof(*m));
	int err;

	if (!m)
		return;
	err = sip_msg_decode(m, buf, len);
	if (oversize && !err) {
		err = EMSGSIZE;
		m->err.status = 513;
		m->err.can_respond = m->req;
		m->err.reason = "Message Too Large";
	}
	if (err) {
		if (m->req && m->err.can_respond && m->err.status &&
		    m->meth != SIP_METHOD_ACK) {
			ua->st.parse_reject++;
			reject(ua, m, src, m->err.status, m->err.reason, NULL);
		} else {
			ua->st.parse_drop++;
			LOGD(MOD, "unparseable message dropped (%s)",
			     m->err.reason ? m->err.reason : "?");
		}
		goto out;
	}
	if (m->req) {
		ua->st.rx_req++;
		handle_request(ua, m, src);
	} else {
		enum sip_tp vt;
		ua->st.rx_resp++;
		if (sip_tp_parse(&m->via.transport, &vt) ||
		    !sip_transp_is_local(ua->tp, vt, &m->via.host,
					 m->via.port)) {
			ua->st.resp_foreign++;
			LOGD(MOD, "response with a foreign Via dropped");
			goto out;
		}
		sip_tsxl_recv(ua->tl, m, src);
	}
out:
	free(m);
}

/* ---- client side ---- */

int sip_ua_sentby(struct sip_ua *ua, const struct sip_tp_addr *dst, char *buf,
		  size_t sz)
{
	struct sockaddr_storage sa;
	int af = dst->peer.ss_family ? dst->peer.ss_family : AF_UNSPEC;
	if (sip_transp_laddr(ua->tp, dst->tp, af, &sa))
		return EAFNOSUPPORT;
	return sip_sa_print(&sa, buf, sz);
}

static int build_request(struct sip_ua *ua, struct sip_buf *b,
			 const struct sip_tp_addr *dst, const char *method,
			 const char *ruri, const char *hdrs, const char *ctype,
			 const void *body, size_t body_len)
{
	char sentby[80], branch[48];
	int err = sip_ua_sentby(ua, dst, sentby, sizeof(sentby));
	if (err)
		return err;
	sip_tsx_branch(branch, sizeof(branch));
	sip_buf_printf(b, "%s %s SIP/2.0\r\n", method, ruri);
	sip_buf_printf(b, "Via: SIP/2.0/%s %s;branch=%s;rport\r\n",
		       sip_tp_name(dst->tp), sentby, branch);
	if (!hdrs || (!strstr(hdrs, "Max-Forwards:") &&
		      !strstr(hdrs, "max-forwards:")))
		sip_buf_str(b, "Max-Forwards: 70\r\n");
	if (ua->cfg.user_agent)
		sip_buf_printf(b, "User-Agent: %s\r\n", ua->cfg.user_agent);
	if (hdrs)
		sip_buf_str(b, hdrs);
	if (ctype && body_len)
		sip_buf_printf(b, "Content-Type: %s\r\n", ctype);
	sip_buf_printf(b, "Content-Length: %zu\r\n\r\n", body_len);
	if (body_len)
		sip_buf_append(b, body, body_len);
	return sip_buf_err(b);
}

int sip_ua_request(struct sip_ua *ua, struct sip_tsx **tsxp,
		   const struct sip_tp_addr *dst, const char *method,
		   const char *ruri, const char *hdrs, const char *ctype,
		   const void *body, size_t body_len, sip_tsx_resp_h *resph,
		   void *arg)
{
	struct sip_buf b;
	int err;

	if (!ua || !dst || !method || !ruri || !strcmp(method, "ACK"))
		return EINVAL;
	sip_buf_init(&b, 0);
	err = build_request(ua, &b, dst, method, ruri, hdrs, ctype, body,
			    body_len);
	/* §18.1.1: a request within 200 bytes of the path MTU (1500 assumed)
	   goes over TCP when we can (big SIP-I multipart INVITEs) */
	struct sip_tp_addr tcp;
	struct sockaddr_storage la;
	if (!err && dst->tp == SIP_TP_UDP && b.len > 1300 &&
	    !sip_transp_laddr(ua->tp, SIP_TP_TCP, dst->peer.ss_family, &la)) {
		tcp = *dst;
		tcp.tp = SIP_TP_TCP;
		tcp.conn = 0;
		sip_buf_reset(&b);
		err = build_request(ua, &b, &tcp, method, ruri, hdrs, ctype, body,
				    body_len);
		dst = &tcp;
	}
	if (!err)
		err = sip_tsx_request(tsxp, ua->tl, dst, b.p, b.len, resph, arg);
	sip_buf_free(&b);
	return err;
}

int sip_ua_send_ack(struct sip_ua *ua, const struct sip_tp_addr *dst,
		    const char *ruri, const char *hdrs, const char *ctype,
		    const void *body, size_t body_len)
{
	struct sip_buf b;
	int err;

	sip_buf_init(&b, 0);
	err = build_request(ua, &b, dst, "ACK", ruri, hdrs, ctype, body,
			    body_len);
	if (!err)
		err = sip_transp_send(ua->tp, dst, b.p, b.len, NULL);
	sip_buf_free(&b);
	return err;
}
