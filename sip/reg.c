/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Outbound registration client (RFC 3261 §10.2, §10.3 step 7 for 423,
 * digest RFC 2617 / RFC 7616 through sip/auth). One REGISTER transaction
 * in flight per binding; one libuv timer per binding drives refreshes and
 * retries. See sip/reg.h for the behaviour.
 */
#include "sip/reg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/pl.h"
#include "sip/auth.h"
#include "sip/hdr.h"
#include "sip/msg.h"
#include "sip/tsx.h"
#include "sip/ua.h"
#include "sip/uri.h"

#define REG_STR_MAX 256
#define REG_EXPIRES_MAX 0x7fffffffu

struct sip_reg {
	struct sip_ua *ua;
	uv_timer_t timer;
	struct sip_tp_addr dst;
	char aor[REG_STR_MAX];
	char ruri[REG_STR_MAX];
	char contact[REG_STR_MAX];
	char aor_user[REG_STR_MAX];
	struct sip_uri contact_uri;  /* decoded from contact[] */
	bool contact_fixed;          /* given in the configuration */
	char call_id[48];
	char from_tag[24];
	uint32_t cseq;
	uint32_t expires;            /* wanted (raised by 423) */
	uint32_t granted;
	uint32_t retry_s, retry_max_s;
	unsigned failures;           /* consecutive, for the backoff */
	bool has_cred;
	struct sip_auth_client auth;
	bool auth_used;              /* a challenge was answered in this binding */
	bool auth_proxy;             /* ... and it was a 407 */
	struct sip_tsx *tsx;         /* in flight, or NULL */
	bool tsx_unreg;              /* the request in flight is the unregister */
	bool started;
	bool bound;                  /* a binding may exist at the registrar */
	enum sip_reg_state state;
	uint16_t last_status;
	sip_reg_state_h *h;
	void *arg;
	struct sip_reg_stats st;
};

static const char *const state_names[] = {
	[SIP_REG_IDLE] = "idle",
	[SIP_REG_REGISTERING] = "registering",
	[SIP_REG_REGISTERED] = "registered",
	[SIP_REG_FAILED] = "failed",
};

const char *sip_reg_state_name(enum sip_reg_state st)
{
	if ((unsigned)st >= sizeof(state_names) / sizeof(state_names[0]))
		return "?";
	return state_names[st];
}

uint64_t sip_reg_refresh_ms(uint32_t granted_s)
{
	if (granted_s >= 120)
		return (uint64_t)granted_s * 500;
	if (granted_s > 20)
		return (uint64_t)(granted_s - 10) * 1000;
	if (granted_s < 2)
		return 1000;
	return (uint64_t)granted_s * 500;
}

uint32_t sip_reg_backoff_s(uint32_t base_s, uint32_t max_s, unsigned n)
{
	uint64_t v = base_s ? base_s : 1;

	for (unsigned i = 1; i < n && v < max_s; i++)
		v *= 2;
	if (v > max_s)
		v = max_s;
	return (uint32_t)v;
}

/*
 * Legal transitions. Everything may go to IDLE (stop) and FAILED (any
 * attempt may fail); REGISTERED is reached from REGISTERING or itself
 * (refresh); REGISTERING from IDLE or FAILED.
 */
static bool transition_ok(enum sip_reg_state from, enum sip_reg_state to)
{
	switch (to) {
	case SIP_REG_IDLE:
	case SIP_REG_FAILED:
		return true;
	case SIP_REG_REGISTERED:
		return from == SIP_REG_REGISTERING || from == SIP_REG_REGISTERED ||
		       from == SIP_REG_FAILED;
	case SIP_REG_REGISTERING:
		return from == SIP_REG_IDLE || from == SIP_REG_FAILED;
	}
	return false;
}

static void set_state(struct sip_reg *reg, enum sip_reg_state st, uint16_t scode)
{
	if (reg->state == st)
		return;
	if (!transition_ok(reg->state, st)) {
		LOGW("sip_reg", "%s: unexpected transition %s -> %s", reg->aor,
		     sip_reg_state_name(reg->state), sip_reg_state_name(st));
		return;
	}
	LOGI("sip_reg", "%s: %s -> %s (%u)", reg->aor, sip_reg_state_name(reg->state),
	     sip_reg_state_name(st), scode);
	reg->state = st;
	if (reg->h)
		reg->h(reg, st, scode, reg->arg);
}

static void timer_cb(uv_timer_t *t);

static void arm(struct sip_reg *reg, uint64_t ms)
{
	uv_timer_stop(&reg->timer);
	uv_timer_start(&reg->timer, timer_cb, ms, 0);
}

static void fail(struct sip_reg *reg, uint16_t scode)
{
	uint32_t s;

	reg->st.fail++;
	reg->failures++;
	reg->granted = 0;
	s = sip_reg_backoff_s(reg->retry_s, reg->retry_max_s, reg->failures);
	LOGN("sip_reg", "%s: registration failed (%u), retry in %u s", reg->aor, scode, s);
	set_state(reg, SIP_REG_FAILED, scode);
	if (reg->started)
		arm(reg, (uint64_t)s * 1000);
}

/* Our Contact: derived from the Via sent-by unless configured. */
static int ensure_contact(struct sip_reg *reg)
{
	char sb[128];
	struct sip_uri u;
	struct pl pl;
	int n, err;

	if (reg->contact_fixed)
		return 0;
	err = sip_ua_sentby(reg->ua, &reg->dst, sb, sizeof(sb));
	if (err)
		return err;
	n = snprintf(reg->contact, sizeof(reg->contact), "sip:%s%s%s%s", reg->aor_user,
		     reg->aor_user[0] ? "@" : "", sb,
		     reg->dst.tp == SIP_TP_UDP ? "" :
		     reg->dst.tp == SIP_TP_TCP ? ";transport=tcp" : ";transport=tls");
	if (n < 0 || (size_t)n >= sizeof(reg->contact))
		return ENOSPC;
	pl = pl_from_str(reg->contact);
	if (sip_uri_decode(&u, &pl))
		return EINVAL;
	reg->contact_uri = u;
	return 0;
}

static void resp_h(struct sip_tsx *tsx, const struct sip_msg *resp, int err, void *arg);
static void attempt(struct sip_reg *reg);

/* Send a REGISTER for expires seconds; auth_hdr is a full header line or NULL. */
static int send_register(struct sip_reg *reg, uint32_t expires, const char *auth_hdr,
			 bool unreg)
{
	struct sip_buf hb;
	char pre[1100];
	int err;

	if (reg->tsx)
		return EBUSY;
	err = ensure_contact(reg);
	if (err)
		return err;
	/* Preemptive credentials for an unregister: a challenge to it may
	 * never be answered when the owner frees the binding right away. */
	if (!auth_hdr && unreg && reg->auth_used) {
		struct pl m = PL("REGISTER"), u = pl_from_str(reg->ruri), b = PL("");
		char out[1024];
		if (!sip_auth_client_reuse(&reg->auth, &m, &u, &b, out, sizeof(out))) {
			snprintf(pre, sizeof(pre), "%s: %s\r\n",
				 reg->auth_proxy ? "Proxy-Authorization" : "Authorization",
				 out);
			auth_hdr = pre;
		}
	}
	sip_buf_init(&hb, 4096);
	reg->cseq++;
	sip_buf_printf(&hb,
		       "From: <%s>;tag=%s\r\n"
		       "To: <%s>\r\n"
		       "Call-ID: %s\r\n"
		       "CSeq: %u REGISTER\r\n"
		       "Contact: <%s>\r\n"
		       "Expires: %u\r\n",
		       reg->aor, reg->from_tag, reg->aor, reg->call_id, reg->cseq,
		       reg->contact, expires);
	if (auth_hdr)
		sip_buf_str(&hb, auth_hdr);
	err = sip_buf_err(&hb);
	if (!err)
		err = sip_ua_request(reg->ua, &reg->tsx, &reg->dst, "REGISTER", reg->ruri,
				     hb.p, NULL, NULL, 0, resp_h, reg);
	sip_buf_free(&hb);
	if (err) {
		reg->tsx = NULL;
		LOGW("sip_reg", "%s: REGISTER not sent: %s", reg->aor, strerror(err));
		return err;
	}
	reg->tsx_unreg = unreg;
	reg->st.tx_register++;
	return 0;
}

/* Expiry granted by a 2xx (§10.2.4). */
static uint32_t granted_expiry(const struct sip_reg *reg, const struct sip_msg *resp)
{
	struct sip_msg_iter it;
	struct pl v;

	sip_msg_iter_init(&it, resp, SIP_HDR_CONTACT);
	while (sip_msg_iter_next(&it, &v)) {
		struct sip_contact c;

		if (sip_contact_decode(&c, &v) || c.star)
			continue;
		if (!sip_uri_equal(&c.addr.uri, &reg->contact_uri))
			continue;
		if (c.expires >= 0)
			return c.expires > REG_EXPIRES_MAX ? REG_EXPIRES_MAX : (uint32_t)c.expires;
		break;
	}
	if (resp->expires >= 0)
		return resp->expires > REG_EXPIRES_MAX ? REG_EXPIRES_MAX : (uint32_t)resp->expires;
	return reg->expires;
}

static void unreg_done(struct sip_reg *reg, uint16_t scode)
{
	reg->bound = false;
	reg->granted = 0;
	set_state(reg, SIP_REG_IDLE, scode);
}

static bool answer_challenge(struct sip_reg *reg, const struct sip_msg *resp)
{
	enum sip_hdr_id id = resp->scode == 401 ? SIP_HDR_WWW_AUTHENTICATE :
						  SIP_HDR_PROXY_AUTHENTICATE;
	struct pl hv[8], m = PL("REGISTER"), u = pl_from_str(reg->ruri), b = PL("");
	const struct sip_hdr *h;
	char out[1024], hdr[1100];
	size_t n = 0;
	int err;

	if (!reg->has_cred)
		return false;
	for (h = sip_msg_hdr(resp, id); h && n < 8; h = sip_msg_hdr_next(resp, h))
		hv[n++] = h->val;
	if (!n)
		return false;
	err = sip_auth_client_respond(&reg->auth, hv, n, &m, &u, &b, out, sizeof(out));
	if (err) {
		LOGN("sip_reg", "%s: challenge not answered: %s", reg->aor, strerror(err));
		return false;
	}
	snprintf(hdr, sizeof(hdr), "%s: %s\r\n",
		 resp->scode == 401 ? "Authorization" : "Proxy-Authorization", out);
	reg->auth_used = true;
	reg->auth_proxy = resp->scode == 407;
	reg->st.auth_answered++;
	return !send_register(reg, reg->tsx_unreg ? 0 : reg->expires, hdr, reg->tsx_unreg);
}

static void resp_h(struct sip_tsx *tsx, const struct sip_msg *resp, int err, void *arg)
{
	struct sip_reg *reg = arg;
	bool unreg = reg->tsx_unreg;
	uint16_t scode;

	(void)tsx;
	if (resp && resp->scode < 200)
		return;
	reg->tsx = NULL;
	scode = resp ? resp->scode : 408;
	reg->last_status = scode;
	if (!resp)
		LOGN("sip_reg", "%s: REGISTER: no response (%s)", reg->aor,
		     err ? strerror(err) : "timeout");

	if (resp && (scode == 401 || scode == 407)) {
		if (answer_challenge(reg, resp))
			return;
	} else if (resp && scode == 423 && !unreg) {
		const struct sip_hdr *h = sip_msg_hdr(resp, SIP_HDR_MIN_EXPIRES);
		uint32_t min;

		/* Only upwards: a registrar repeating the same Min-Expires
		 * cannot keep us looping. */
		if (h && !sip_uint_decode(&min, &h->val) && min > reg->expires &&
		    min <= REG_EXPIRES_MAX) {
			reg->st.interval_423++;
			reg->expires = min;
			if (!send_register(reg, reg->expires, NULL, false))
				return;
		}
	} else if (resp && scode >= 200 && scode < 300) {
		if (reg->has_cred)
			sip_auth_client_accepted(&reg->auth);
	}

	if (unreg) {
		unreg_done(reg, scode);
		if (reg->started) /* started again while the unregister ran */
			attempt(reg);
		return;
	}
	if (scode >= 200 && scode < 300) {
		uint32_t g = granted_expiry(reg, resp);

		if (!g) {
			fail(reg, scode);
			return;
		}
		reg->st.ok++;
		reg->failures = 0;
		reg->granted = g;
		reg->bound = true;
		set_state(reg, SIP_REG_REGISTERED, scode);
		arm(reg, sip_reg_refresh_ms(g));
		return;
	}
	/* a refused REGISTER leaves no binding; after a timeout one may exist */
	if (resp)
		reg->bound = false;
	fail(reg, scode);
}

static void attempt(struct sip_reg *reg)
{
	int err;

	if (reg->state != SIP_REG_REGISTERED)
		set_state(reg, SIP_REG_REGISTERING, 0);
	if (reg->has_cred)
		sip_auth_client_accepted(&reg->auth); /* a fresh request sequence */
	err = send_register(reg, reg->expires, NULL, false);
	if (err && err != EBUSY)
		fail(reg, 0);
}

static void timer_cb(uv_timer_t *t)
{
	struct sip_reg *reg = t->data;

	if (reg->started)
		attempt(reg);
}

int sip_reg_alloc(struct sip_reg **regp, struct sip_ua *ua, uv_loop_t *loop,
		  const struct sip_reg_cfg *cfg, sip_reg_state_h *h, void *arg)
{
	struct sip_reg *reg;
	struct sip_uri aor;
	struct pl pl;
	int err = 0, n;

	if (!regp || !ua || !loop || !cfg || !cfg->aor)
		return EINVAL;
	reg = calloc(1, sizeof(*reg));
	if (!reg)
		return ENOMEM;
	reg->ua = ua;
	reg->dst = cfg->registrar;
	reg->h = h;
	reg->arg = arg;
	reg->expires = cfg->expires ? cfg->expires : 3600;
	if (reg->expires > REG_EXPIRES_MAX)
		reg->expires = REG_EXPIRES_MAX;
	reg->retry_s = cfg->retry_s ? cfg->retry_s : 30;
	reg->retry_max_s = cfg->retry_max_s ? cfg->retry_max_s : 600;
	if (reg->retry_max_s < reg->retry_s)
		reg->retry_max_s = reg->retry_s;

	if (strlen(cfg->aor) >= sizeof(reg->aor)) {
		err = EINVAL;
		goto out;
	}
	strcpy(reg->aor, cfg->aor);
	pl = pl_from_str(reg->aor);
	if (sip_uri_decode(&aor, &pl) ||
	    (aor.scheme != SIP_URI_SIP && aor.scheme != SIP_URI_SIPS) || !pl_isset(&aor.host)) {
		err = EINVAL;
		goto out;
	}
	if (aor.has_user && pl_strcpy(&aor.user, reg->aor_user, sizeof(reg->aor_user))) {
		err = EINVAL;
		goto out;
	}
	if (cfg->ruri)
		n = snprintf(reg->ruri, sizeof(reg->ruri), "%s", cfg->ruri);
	else
		n = snprintf(reg->ruri, sizeof(reg->ruri), "%.*s:%.*s",
			     (int)aor.scheme_pl.l, aor.scheme_pl.p, (int)aor.hostport.l,
			     aor.hostport.p);
	if (n < 0 || (size_t)n >= sizeof(reg->ruri)) {
		err = EINVAL;
		goto out;
	}
	if (cfg->contact) {
		if (strlen(cfg->contact) >= sizeof(reg->contact)) {
			err = EINVAL;
			goto out;
		}
		strcpy(reg->contact, cfg->contact);
		pl = pl_from_str(reg->contact);
		if (sip_uri_decode(&reg->contact_uri, &pl)) {
			err = EINVAL;
			goto out;
		}
		reg->contact_fixed = true;
	}
	if (cfg->auth_user && *cfg->auth_user) {
		if (sip_auth_client_init(&reg->auth, cfg->auth_user,
					 cfg->password ? cfg->password : "", NULL)) {
			err = EINVAL;
			goto out;
		}
		reg->has_cred = true;
	}
	sip_tsx_token(reg->call_id, sizeof(reg->call_id));
	sip_tsx_token(reg->from_tag, sizeof(reg->from_tag));
	reg->cseq = 0;
	uv_timer_init(loop, &reg->timer);
	reg->timer.data = reg;
out:
	if (err) {
		free(reg);
		return err;
	}
	*regp = reg;
	return 0;
}

int sip_reg_start(struct sip_reg *reg)
{
	if (!reg)
		return EINVAL;
	if (reg->started)
		return 0;
	reg->started = true;
	reg->failures = 0;
	if (reg->tsx)   /* an unregister still running: register after it */
		return 0;
	attempt(reg);
	return 0;
}

void sip_reg_stop(struct sip_reg *reg)
{
	bool need;

	if (!reg || !reg->started)
		return;
	reg->started = false;
	uv_timer_stop(&reg->timer);
	need = reg->bound || (reg->tsx && !reg->tsx_unreg);
	if (reg->tsx) {
		/* Leave the old transaction to finish on its own; the
		 * unregister replaces it (one request of ours in flight). */
		sip_tsx_detach(reg->tsx);
		reg->tsx = NULL;
	}
	if (!need || send_register(reg, 0, NULL, true)) {
		unreg_done(reg, 0);
		return;
	}
}

static void close_cb(uv_handle_t *hd)
{
	free(hd->data);
}

void sip_reg_free(struct sip_reg *reg)
{
	if (!reg)
		return;
	if (reg->tsx)
		sip_tsx_detach(reg->tsx);
	reg->tsx = NULL;
	reg->h = NULL;
	uv_timer_stop(&reg->timer);
	uv_close((uv_handle_t *)&reg->timer, close_cb);
}

enum sip_reg_state sip_reg_state(const struct sip_reg *reg)
{
	return reg->state;
}

uint32_t sip_reg_granted(const struct sip_reg *reg)
{
	return reg->granted;
}

uint16_t sip_reg_last_status(const struct sip_reg *reg)
{
	return reg->last_status;
}

const char *sip_reg_contact(const struct sip_reg *reg)
{
	return reg->contact;
}

void sip_reg_stats(const struct sip_reg *reg, struct sip_reg_stats *st)
{
	*st = reg->st;
}
