/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sip/reg tests: a binding registers with a scripted registrar (a second
 * UA on 127.0.0.1 with a real digest server) and the test checks what the
 * registrar received (Expires, credentials, CSeq, Call-ID, From tag) and
 * which states the binding went through. Table-driven: one row per
 * registrar script. Also the refresh and backoff arithmetic.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "sip/auth.h"
#include "sip/msg.h"
#include "sip/reg.h"
#include "sip/ua.h"

#define MAXV 8

struct step {
	uint16_t scode;      /* 0: do not answer */
	bool chall;          /* add a WWW-Authenticate (401) */
	bool stale;          /* ... with stale=true */
	bool proxy;          /* 407 / Proxy-Authenticate instead */
	int contact_exp;     /* >= 0: echo our Contact with this expires */
	const char *hdrs;    /* extra header lines */
};

struct registrar {
	struct sip_ua *ua;
	struct sip_auth_server auth;
	const struct step *steps;
	size_t nsteps;
	int rx;
	int64_t expires[MAXV];
	int auth_res[MAXV];  /* 0 none, 1 Authorization verified, 2 refused,
				3 Proxy-Authorization verified */
	uint32_t cseq[MAXV];
	char call_id[64], from_tag[64];
	bool same_dialog;    /* Call-ID and From tag never changed */
};

struct client {
	enum sip_reg_state seen[MAXV];
	int nseen;
};

static bool reg_h(struct sip_ua *ua, struct sip_tsx *tsx, const struct sip_msg *req,
		  const struct sip_tp_addr *src, void *arg)
{
	struct registrar *r = arg;
	const struct step *s;
	const struct sip_hdr *h;
	char hdrs[1024] = "", ch[512];
	size_t n = 0;
	int i = r->rx;

	(void)src;
	if (req->meth != SIP_METHOD_REGISTER || !tsx)
		return false;
	r->rx++;
	if (i < MAXV) {
		r->expires[i] = req->expires;
		r->cseq[i] = req->cseq.num;
		bool proxy = false;
		h = sip_msg_hdr(req, SIP_HDR_AUTHORIZATION);
		if (!h) {
			h = sip_msg_hdr(req, SIP_HDR_PROXY_AUTHORIZATION);
			proxy = true;
		}
		if (h) {
			struct sip_auth_cred c;
			struct pl m = PL("REGISTER");
			r->auth_res[i] = 2;
			if (!sip_auth_cred_parse(&h->val, &c) &&
			    !sip_auth_server_verify(&r->auth, &c, &m, NULL, &req->body, "secret",
						    NULL, 1))
				r->auth_res[i] = proxy ? 3 : 1;
		}
	}
	if (i == 0) {
		pl_strcpy(&req->call_id, r->call_id, sizeof(r->call_id));
		pl_strcpy(&req->from.tag, r->from_tag, sizeof(r->from_tag));
		r->same_dialog = true;
	} else if (pl_strcmp(&req->call_id, r->call_id) ||
		   pl_strcmp(&req->from.tag, r->from_tag)) {
		r->same_dialog = false;
	}
	/* Unregisters and requests past the script get a plain 200. */
	if ((size_t)i >= r->nsteps || req->expires == 0) {
		sip_ua_reply(ua, tsx, req, 200, "OK", NULL);
		return true;
	}
	s = &r->steps[i];
	if (!s->scode)
		return true; /* never answered: the client times out */
	if (s->chall) {
		n += (size_t)snprintf(hdrs + n, sizeof(hdrs) - n, "%s-Authenticate: ",
				      s->proxy ? "Proxy" : "WWW");
		assert_int_equal(sip_auth_server_challenge(&r->auth, 1, SIP_AUTH_MD5, s->stale,
							   ch, sizeof(ch)), 0);
		n += (size_t)snprintf(hdrs + n, sizeof(hdrs) - n, "%s\r\n", ch);
	}
	if (s->contact_exp >= 0) {
		struct sip_contact c;
		assert_int_equal(sip_msg_contact(req, &c), 0);
		n += (size_t)snprintf(hdrs + n, sizeof(hdrs) - n,
				      "Contact: <sip:other@192.0.2.1>;expires=999\r\n"
				      "Contact: <%.*s>;expires=%d\r\n",
				      (int)c.addr.auri.l, c.addr.auri.p, s->contact_exp);
	}
	if (s->hdrs)
		snprintf(hdrs + n, sizeof(hdrs) - n, "%s", s->hdrs);
	struct sip_reply_opt opt = { .to_tag = "srv1", .hdrs = hdrs };
	sip_ua_reply(ua, tsx, req, s->scode, NULL, &opt);
	return true;
}

static void state_h(struct sip_reg *reg, enum sip_reg_state st, uint16_t scode, void *arg)
{
	struct client *c = arg;

	(void)reg;
	(void)scode;
	if (c->nseen < MAXV)
		c->seen[c->nseen] = st;
	c->nseen++;
}

static void run_until(uv_loop_t *loop, bool (*done)(void *), void *arg, int ms)
{
	uint64_t end = uv_now(loop) + (uint64_t)ms;

	for (int i = 0; i < 200000 && !done(arg); i++) {
		uv_run(loop, UV_RUN_NOWAIT);
		uv_update_time(loop);
		if (uv_now(loop) >= end)
			break;
		uv_sleep(1);
	}
}

struct waiter {
	struct registrar *r;
	struct client *c;
	int want_rx, want_states;
	struct sip_reg *reg;
};

static bool w_done(void *arg)
{
	struct waiter *w = arg;
	return w->r->rx >= w->want_rx && w->c->nseen >= w->want_states;
}

static bool w_idle(void *arg)
{
	struct waiter *w = arg;
	return sip_reg_state(w->reg) == SIP_REG_IDLE;
}

#define R SIP_REG_REGISTERING
#define OK SIP_REG_REGISTERED
#define F SIP_REG_FAILED
#define I SIP_REG_IDLE

static void test_scripts(void **state)
{
	static const struct {
		const char *name;
		struct step steps[MAXV];
		size_t nsteps;
		uint32_t expires;      /* wanted */
		int nstates;
		enum sip_reg_state states[MAXV];
		int nreq;              /* REGISTERs before the check */
		int64_t req_exp[MAXV]; /* Expires per request (-2: do not check) */
		int req_auth[MAXV];
		uint32_t granted;      /* after the script */
		uint16_t last;
		bool stop;             /* stop at the end: unregister expected */
		int stop_auth;         /* credentials on the unregister */
	} testv[] = {
		{ "401 then 200 Contact expires", {
			  { 401, true, false, false, -1, NULL },
			  { 200, false, false, false, 60, "Expires: 3600\r\n" } }, 2,
		  3600, 2, { R, OK }, 2, { 3600, 3600 }, { 0, 1 }, 60, 200, true, 1 },
		{ "Expires header when our Contact has none", {
			  { 200, false, false, false, -1,
			    "Contact: <sip:other@192.0.2.1>;expires=5\r\nExpires: 90\r\n" } }, 1,
		  120, 2, { R, OK }, 1, { 120 }, { 0 }, 90, 200, true, 0 },
		{ "requested expiry when the 200 says nothing", {
			  { 200, false, false, false, -1, NULL } }, 1,
		  300, 2, { R, OK }, 1, { 300 }, { 0 }, 300, 200, false, 0 },
		{ "423 retried with Min-Expires", {
			  { 423, false, false, false, -1, "Min-Expires: 1800\r\n" },
			  { 200, false, false, false, -1, NULL } }, 2,
		  60, 2, { R, OK }, 2, { 60, 1800 }, { 0, 0 }, 1800, 200, false, 0 },
		{ "423 without a larger Min-Expires fails", {
			  { 423, false, false, false, -1, "Min-Expires: 30\r\n" } }, 1,
		  60, 2, { R, F }, 1, { 60 }, { 0 }, 0, 423, false, 0 },
		{ "credentials refused: second 401 not answered", {
			  { 401, true, false, false, -1, NULL },
			  { 401, true, false, false, -1, NULL } }, 2,
		  3600, 2, { R, F }, 2, { 3600, 3600 }, { 0, 1 }, 0, 401, false, 0 },
		{ "stale nonce answered again", {
			  { 401, true, false, false, -1, NULL },
			  { 401, true, true, false, -1, NULL },
			  { 200, false, false, false, 30, NULL } }, 3,
		  3600, 2, { R, OK }, 3, { 3600, 3600, 3600 }, { 0, 1, 1 }, 30, 200, false, 0 },
		{ "403 fails, retry after backoff registers", {
			  { 403, false, false, false, -1, NULL },
			  { 200, false, false, false, 50, NULL } }, 2,
		  3600, 4, { R, F, R, OK }, 2, { 3600, 3600 }, { 0, 0 }, 50, 200, false, 0 },
		{ "refresh keeps the binding registered", {
			  { 200, false, false, false, 2, NULL },
			  { 200, false, false, false, 2, NULL } }, 2,
		  2, 2, { R, OK }, 2, { 2, 2 }, { 0, 0 }, 2, 200, true, 0 },
		{ "407 answered with Proxy-Authorization, also on the unregister", {
			  { 407, true, false, true, -1, NULL },
			  { 200, false, false, false, 40, NULL } }, 2,
		  3600, 2, { R, OK }, 2, { 3600, 3600 }, { 0, 3 }, 40, 200, true, 3 },
		{ "refresh timeout fails; stop still unregisters", {
			  { 200, false, false, false, 2, NULL },
			  { 0, false, false, false, -1, NULL } }, 2,
		  2, 3, { R, OK, F }, 2, { 2, 2 }, { 0, 0 }, 0, 408, true, 0 },
		{ "no answer: timeout fails", {
			  { 0, false, false, false, -1, NULL } }, 1,
		  3600, 2, { R, F }, 1, { 3600 }, { 0 }, 0, 408, false, 0 },
		{ "granted 0 is a failure", {
			  { 200, false, false, false, 0, NULL } }, 1,
		  3600, 2, { R, F }, 1, { 3600 }, { 0 }, 0, 200, false, 0 },
	};
	(void)state;

	for (size_t t = 0; t < sizeof(testv) / sizeof(testv[0]); t++) {
		uv_loop_t loop;
		struct sip_ua_cfg ccfg = { .tsx = { .t1 = 10, .t2 = 40, .t4 = 50 } };
		struct sip_ua *ua;
		struct registrar r = { .steps = testv[t].steps, .nsteps = testv[t].nsteps };
		struct client c = { .nseen = 0 };
		struct sip_reg *reg;
		struct sip_reg_cfg cfg = {
			.aor = "sip:alice@example.net",
			.expires = testv[t].expires,
			.auth_user = "alice",
			.password = "secret",
			.retry_s = 1,
			.retry_max_s = 4,
		};
		struct waiter w = { &r, &c, testv[t].nreq, testv[t].nstates, NULL };

		print_message("case %zu: %s\n", t, testv[t].name);
		uv_loop_init(&loop);
		assert_int_equal(sip_ua_alloc(&ua, &loop, &ccfg), 0);
		assert_int_equal(sip_ua_listen(ua, SIP_TP_UDP, "127.0.0.1", 0), 0);
		assert_int_equal(sip_ua_alloc(&r.ua, &loop, NULL), 0);
		assert_int_equal(sip_ua_listen(r.ua, SIP_TP_UDP, "127.0.0.1", 0), 0);
		assert_int_equal(sip_ua_add_handler(r.ua, 100, reg_h, &r), 0);
		assert_int_equal(sip_auth_server_init(&r.auth, "example.net", 300,
						      1u << SIP_AUTH_MD5, SIP_AUTH_QOP_AUTH, NULL),
				 0);
		cfg.registrar.tp = SIP_TP_UDP;
		assert_int_equal(sip_transp_laddr(sip_ua_transp(r.ua), SIP_TP_UDP, AF_INET,
						  &cfg.registrar.peer),
				 0);
		assert_int_equal(sip_reg_alloc(&reg, ua, &loop, &cfg, state_h, &c), 0);
		w.reg = reg;
		assert_int_equal(sip_reg_state(reg), SIP_REG_IDLE);
		assert_int_equal(sip_reg_start(reg), 0);
		run_until(&loop, w_done, &w, 8000);

		if (c.nseen != testv[t].nstates || r.rx != testv[t].nreq) {
			print_error("states %d (want %d), requests %d (want %d)\n", c.nseen,
				    testv[t].nstates, r.rx, testv[t].nreq);
			fail();
		}
		for (int i = 0; i < testv[t].nstates; i++)
			assert_int_equal(c.seen[i], testv[t].states[i]);
		for (int i = 0; i < testv[t].nreq; i++) {
			if (testv[t].req_exp[i] != -2)
				assert_int_equal(r.expires[i], testv[t].req_exp[i]);
			assert_int_equal(r.auth_res[i], testv[t].req_auth[i]);
			if (i)
				assert_true(r.cseq[i] > r.cseq[i - 1]);
		}
		assert_true(r.same_dialog);
		assert_int_equal(sip_reg_granted(reg), testv[t].granted);
		assert_int_equal(sip_reg_last_status(reg), testv[t].last);
		assert_non_null(strstr(sip_reg_contact(reg), "sip:alice@127.0.0.1:"));

		if (testv[t].stop) {
			int before = r.rx;
			sip_reg_stop(reg);
			run_until(&loop, w_idle, &w, 3000);
			assert_int_equal(sip_reg_state(reg), SIP_REG_IDLE);
			assert_int_equal(r.rx, before + 1);
			assert_int_equal(r.expires[before], 0);
			assert_int_equal(r.auth_res[before], testv[t].stop_auth);
			assert_true(r.same_dialog);
		} else {
			/* a binding that never got one sends no unregister */
			if (sip_reg_state(reg) != SIP_REG_REGISTERED) {
				int before = r.rx;
				sip_reg_stop(reg);
				assert_int_equal(sip_reg_state(reg), SIP_REG_IDLE);
				assert_int_equal(r.rx, before);
			}
		}
		sip_reg_free(reg);
		sip_ua_free(ua);
		sip_ua_free(r.ua);
		for (int i = 0; i < 50; i++)
			uv_run(&loop, UV_RUN_NOWAIT);
		assert_int_equal(uv_loop_close(&loop), 0);
	}
}

static void test_arith(void **state)
{
	static const struct {
		uint32_t granted;
		uint64_t ms;
	} rv[] = {
		{ 3600, 1800000 }, { 120, 60000 }, { 119, 109000 }, { 60, 50000 },
		{ 21, 11000 }, { 20, 10000 }, { 4, 2000 }, { 2, 1000 }, { 1, 1000 }, { 0, 1000 },
	};
	static const struct {
		uint32_t base, max;
		unsigned n;
		uint32_t s;
	} bv[] = {
		{ 30, 600, 1, 30 }, { 30, 600, 2, 60 }, { 30, 600, 3, 120 }, { 30, 600, 5, 480 },
		{ 30, 600, 6, 600 }, { 30, 600, 100, 600 }, { 0, 10, 3, 4 }, { 45, 30, 1, 30 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rv) / sizeof(rv[0]); i++)
		assert_int_equal(sip_reg_refresh_ms(rv[i].granted), rv[i].ms);
	for (size_t i = 0; i < sizeof(bv) / sizeof(bv[0]); i++)
		assert_int_equal(sip_reg_backoff_s(bv[i].base, bv[i].max, bv[i].n), bv[i].s);
	assert_string_equal(sip_reg_state_name(SIP_REG_REGISTERED), "registered");
	assert_string_equal(sip_reg_state_name((enum sip_reg_state)42), "?");
}

static void test_alloc_invalid(void **state)
{
	static const char *const bad[] = { NULL, "", "alice@example.net", "tel:+4930123",
					   "sip:" };
	uv_loop_t loop;
	struct sip_ua *ua;
	struct sip_reg *reg;
	(void)state;

	uv_loop_init(&loop);
	assert_int_equal(sip_ua_alloc(&ua, &loop, NULL), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sip_reg_cfg cfg = { .aor = bad[i] };
		assert_int_equal(sip_reg_alloc(&reg, ua, &loop, &cfg, NULL, NULL), EINVAL);
	}
	struct sip_reg_cfg cfg = { .aor = "sip:a@b", .contact = "not a uri" };
	assert_int_equal(sip_reg_alloc(&reg, ua, &loop, &cfg, NULL, NULL), EINVAL);
	sip_ua_free(ua);
	for (int i = 0; i < 10; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arith),
		cmocka_unit_test(test_alloc_invalid),
		cmocka_unit_test(test_scripts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
