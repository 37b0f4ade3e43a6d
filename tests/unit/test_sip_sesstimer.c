/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for sip/sesstimer: RFC 4028 negotiation and deadlines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sip/msg.h"
#include "sip/sesstimer.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct sip_sesstimer_cfg cfg_default = {
	.enabled = true, .interval = 1800, .min_se = 90, .prefer = SIP_REFRESHER_UAS,
};

static void test_init(void **state)
{
	struct sip_sesstimer st;
	struct sip_sesstimer_cfg c = cfg_default;
	(void)state;
	assert_int_equal(sip_sesstimer_init(&st, &c), 0);
	assert_int_equal(st.interval, 0);
	assert_int_equal(st.min_se, 90);
	c.interval = 60;
	assert_int_equal(sip_sesstimer_init(&st, &c), EINVAL);
	c.interval = 100;
	c.min_se = 0;
	assert_int_equal(sip_sesstimer_init(&st, &c), EINVAL);
	c.enabled = false; /* a disabled policy is not checked */
	assert_int_equal(sip_sesstimer_init(&st, &c), 0);
}

/* UAS decisions (§9), table driven. */
static void test_uas_decide(void **state)
{
	static const struct {
		const char *name;
		struct sip_sesstimer_cfg cfg;
		bool has_se;
		uint32_t se;
		enum sip_refresher r;
		bool has_minse;
		uint32_t minse;
		bool peer_timer;
		/* expected */
		uint16_t scode;
		uint32_t out_minse, interval;
		enum sip_refresher out_r;
		bool require;
		const char *hdrs;
	} testv[] = {
		{ "too small -> 422", { true, 1800, 90, SIP_REFRESHER_UAS }, true, 60,
		  SIP_REFRESHER_NONE, false, 0, true, 422, 90, 0, 0, false, "Min-SE: 90\r\n" },
		{ "422 carries the larger Min-SE", { true, 1800, 120, SIP_REFRESHER_UAS }, true, 100,
		  SIP_REFRESHER_NONE, true, 150, true, 422, 150, 0, 0, false, "Min-SE: 150\r\n" },
		{ "as asked, refresher uac", { true, 1800, 90, SIP_REFRESHER_UAS }, true, 600,
		  SIP_REFRESHER_UAC, true, 90, true, 0, 0, 600, SIP_REFRESHER_UAC, true,
		  "Session-Expires: 600;refresher=uac\r\nRequire: timer\r\n" },
		{ "UAS picks uas", { true, 1800, 90, SIP_REFRESHER_UAS }, true, 600,
		  SIP_REFRESHER_NONE, false, 0, true, 0, 0, 600, SIP_REFRESHER_UAS, true,
		  "Session-Expires: 600;refresher=uas\r\nRequire: timer\r\n" },
		{ "UAS picks uac", { true, 1800, 90, SIP_REFRESHER_UAC }, true, 600,
		  SIP_REFRESHER_NONE, false, 0, true, 0, 0, 600, SIP_REFRESHER_UAC, true,
		  "Session-Expires: 600;refresher=uac\r\nRequire: timer\r\n" },
		{ "reduced to ours", { true, 300, 90, SIP_REFRESHER_UAS }, true, 3600,
		  SIP_REFRESHER_UAC, false, 0, true, 0, 0, 300, SIP_REFRESHER_UAC, true,
		  "Session-Expires: 300;refresher=uac\r\nRequire: timer\r\n" },
		{ "reduction stops at request Min-SE", { true, 300, 90, SIP_REFRESHER_UAS }, true,
		  3600, SIP_REFRESHER_NONE, true, 1000, true, 0, 0, 1000, SIP_REFRESHER_UAS, true,
		  "Session-Expires: 1000;refresher=uas\r\nRequire: timer\r\n" },
		{ "UAC without timer: uas refreshes, no Require",
		  { true, 1800, 90, SIP_REFRESHER_UAC }, true, 900, SIP_REFRESHER_UAC, false, 0,
		  false, 0, 0, 900, SIP_REFRESHER_UAS, false,
		  "Session-Expires: 900;refresher=uas\r\n" },
		{ "no SE in request, we want timers", { true, 1800, 90, SIP_REFRESHER_UAC }, false,
		  0, SIP_REFRESHER_NONE, false, 0, false, 0, 0, 1800, SIP_REFRESHER_UAS, false,
		  "Session-Expires: 1800;refresher=uas\r\n" },
		{ "no SE, peer supports, prefers uac", { true, 1800, 90, SIP_REFRESHER_UAC }, false,
		  0, SIP_REFRESHER_NONE, true, 200, true, 0, 0, 1800, SIP_REFRESHER_UAC, true,
		  "Session-Expires: 1800;refresher=uac\r\nRequire: timer\r\n" },
		{ "disabled: nothing", { false, 0, 0, SIP_REFRESHER_UAS }, true, 60,
		  SIP_REFRESHER_UAC, true, 60, true, 0, 0, 0, 0, false, "" },
		{ "test policy below 90", { true, 20, 10, SIP_REFRESHER_UAS }, true, 20,
		  SIP_REFRESHER_NONE, true, 10, true, 0, 0, 20, SIP_REFRESHER_UAS, true,
		  "Session-Expires: 20;refresher=uas\r\nRequire: timer\r\n" },
	};
	(void)state;
	for (size_t i = 0; i < N(testv); i++) {
		struct sip_sesstimer st;
		struct sip_sesstimer_uas d;
		struct sip_sess_expires se = { testv[i].se, testv[i].r };
		char buf[128];

		print_message("%s\n", testv[i].name);
		assert_int_equal(sip_sesstimer_init(&st, &testv[i].cfg), 0);
		assert_int_equal(sip_sesstimer_uas_decide(&st, testv[i].has_se, &se,
							  testv[i].has_minse, testv[i].minse,
							  testv[i].peer_timer, &d),
				 0);
		assert_int_equal(d.scode, testv[i].scode);
		if (d.scode == 422)
			assert_int_equal(d.min_se, testv[i].out_minse);
		assert_int_equal(d.interval, testv[i].interval);
		if (d.interval)
			assert_int_equal(d.refresher, testv[i].out_r);
		assert_int_equal(d.require, testv[i].require);
		assert_int_equal(sip_sesstimer_uas_hdrs(&d, buf, sizeof(buf)), 0);
		assert_string_equal(buf, testv[i].hdrs);
		/* deciding does not change state; committing applies a 2xx */
		assert_int_equal(st.interval, 0);
		sip_sesstimer_uas_commit(&st, &d);
		assert_int_equal(st.interval, d.scode ? 0 : d.interval);
		assert_int_equal(st.we_refresh,
				 !d.scode && d.interval && d.refresher == SIP_REFRESHER_UAS);
	}
}

/* UAC: request headers, 422 retry, 2xx, refresh request (§7). */
static void test_uac_flow(void **state)
{
	struct sip_sesstimer st;
	struct sip_sess_expires se;
	struct sip_sesstimer_cfg c = cfg_default;
	char buf[128];
	uint64_t ms = 0;
	(void)state;

	c.interval = 120;
	assert_int_equal(sip_sesstimer_init(&st, &c), 0);
	assert_int_equal(sip_sesstimer_uac_hdrs(&st, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Session-Expires: 120\r\nMin-SE: 90\r\n");
	/* 422 without Min-SE, or not larger than what we sent: give up */
	assert_int_equal(sip_sesstimer_uac_422(&st, false, 0), EPROTO);
	assert_int_equal(sip_sesstimer_uac_422(&st, true, 120), EPROTO);
	assert_int_equal(sip_sesstimer_uac_422(&st, true, 300), 0);
	assert_int_equal(sip_sesstimer_uac_hdrs(&st, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Session-Expires: 300\r\nMin-SE: 300\r\n");
	/* the same 422 again cannot loop */
	assert_int_equal(sip_sesstimer_uac_422(&st, true, 300), EPROTO);

	se.delta = 300;
	se.refresher = SIP_REFRESHER_UAC;
	assert_int_equal(sip_sesstimer_uac_2xx(&st, true, &se), 0);
	assert_int_equal(st.interval, 300);
	assert_true(st.we_refresh);
	assert_int_equal(sip_sesstimer_next(&st, &ms), SIP_SESSTIMER_REFRESH);
	assert_int_equal(ms, 150000);
	/* the refresh keeps interval and role */
	assert_int_equal(sip_sesstimer_uac_hdrs(&st, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Session-Expires: 300;refresher=uac\r\nMin-SE: 300\r\n");

	/* UAS takes over refreshing */
	se.refresher = SIP_REFRESHER_UAS;
	assert_int_equal(sip_sesstimer_uac_2xx(&st, true, &se), 0);
	assert_false(st.we_refresh);
	assert_int_equal(sip_sesstimer_next(&st, &ms), SIP_SESSTIMER_BYE);
	assert_int_equal(ms, 300000 - 32000);

	/* a refresher-less 2xx: we refresh; below our Min-SE: EPROTO, clamped */
	se.delta = 200;
	se.refresher = SIP_REFRESHER_NONE;
	assert_int_equal(sip_sesstimer_uac_2xx(&st, true, &se), EPROTO);
	assert_int_equal(st.interval, 300);
	assert_true(st.we_refresh);

	/* no Session-Expires in the 2xx: timer off (§7.2) */
	assert_int_equal(sip_sesstimer_uac_2xx(&st, false, NULL), 0);
	assert_int_equal(st.interval, 0);
	ms = 7;
	assert_int_equal(sip_sesstimer_next(&st, &ms), SIP_SESSTIMER_NONE);
	assert_int_equal(ms, 7);

	/* too small a buffer */
	assert_int_equal(sip_sesstimer_uac_hdrs(&st, buf, 10), ENOSPC);
	assert_string_equal(buf, "");
	c.enabled = false;
	assert_int_equal(sip_sesstimer_init(&st, &c), 0);
	assert_int_equal(sip_sesstimer_uac_hdrs(&st, buf, sizeof(buf)), ENOTSUP);
}

/* Deadlines (§10): refresh at SE/2, BYE at SE - min(32, SE/3). */
static void test_next(void **state)
{
	static const struct {
		uint32_t interval;
		bool refresh;
		enum sip_sesstimer_action act;
		uint64_t ms;
	} testv[] = {
		{ 90, true, SIP_SESSTIMER_REFRESH, 45000 },
		{ 90, false, SIP_SESSTIMER_BYE, 60000 },
		{ 100, false, SIP_SESSTIMER_BYE, 68000 },
		{ 94, false, SIP_SESSTIMER_BYE, 62667 },
		{ 96, false, SIP_SESSTIMER_BYE, 64000 },
		{ 97, false, SIP_SESSTIMER_BYE, 65000 },
		{ 1800, true, SIP_SESSTIMER_REFRESH, 900000 },
		{ 1800, false, SIP_SESSTIMER_BYE, 1768000 },
		{ 4294967295u, false, SIP_SESSTIMER_BYE, 4294967263000ull },
		{ 0, true, SIP_SESSTIMER_NONE, 0 },
	};
	(void)state;
	for (size_t i = 0; i < N(testv); i++) {
		struct sip_sesstimer st = { .interval = testv[i].interval,
					    .we_refresh = testv[i].refresh };
		uint64_t ms = 0;

		assert_int_equal(sip_sesstimer_next(&st, &ms), testv[i].act);
		assert_int_equal(ms, testv[i].ms);
	}
}

/* After a failed refresh at SE/2, BYE falls on the original deadline. */
static void test_after_failed_refresh(void **state)
{
	static const struct {
		uint32_t interval;
		enum sip_sesstimer_action act;
		uint64_t ms;
	} testv[] = {
		{ 90, SIP_SESSTIMER_BYE, 15000 },    /* 45 s - 30 s */
		{ 1800, SIP_SESSTIMER_BYE, 868000 }, /* 900 s - 32 s */
		{ 4, SIP_SESSTIMER_BYE, 667 },       /* 2 s - 1.333 s */
		{ 1, SIP_SESSTIMER_BYE, 167 },
		{ 0, SIP_SESSTIMER_NONE, 0 },
	};
	(void)state;
	for (size_t i = 0; i < N(testv); i++) {
		struct sip_sesstimer st = { .interval = testv[i].interval, .we_refresh = true };
		uint64_t ms = 0, at;

		assert_int_equal(sip_sesstimer_after_failed_refresh(&st, &ms), testv[i].act);
		assert_int_equal(ms, testv[i].ms);
		if (testv[i].act == SIP_SESSTIMER_NONE)
			continue;
		/* refresh time + this = the non-refresher's BYE deadline */
		st.we_refresh = false;
		assert_int_equal(sip_sesstimer_next(&st, &at), SIP_SESSTIMER_BYE);
		assert_int_equal((uint64_t)testv[i].interval * 1000 / 2 + ms, at);
	}
}

/* Session-Expires from parsed messages (long and compact forms). */
static void test_msg_se(void **state)
{
	static const struct {
		const char *hdr;
		int err;
		uint32_t delta;
		enum sip_refresher r;
	} testv[] = {
		{ "Session-Expires: 1800\r\n", 0, 1800, SIP_REFRESHER_NONE },
		{ "Session-Expires: 90;refresher=uac\r\n", 0, 90, SIP_REFRESHER_UAC },
		{ "x: 4000 ; refresher = UAS\r\n", 0, 4000, SIP_REFRESHER_UAS },
		{ "Session-Expires: 600;foo=bar;refresher=uas\r\n", 0, 600, SIP_REFRESHER_UAS },
		{ "Session-Expires: 600;refresher=both\r\n", EINVAL, 0, 0 },
		{ "Session-Expires: 0\r\n", EINVAL, 0, 0 },
		{ "Session-Expires: abc\r\n", EINVAL, 0, 0 },
		{ "Session-Expires: 99999999999\r\n", EINVAL, 0, 0 },
		{ "Min-SE: 90\r\n", ENOENT, 0, 0 },
	};
	(void)state;
	for (size_t i = 0; i < N(testv); i++) {
		char buf[512];
		struct sip_msg *msg = test_malloc(sizeof(*msg));
		struct sip_sess_expires se = { 77, SIP_REFRESHER_NONE };
		int n;

		n = snprintf(buf, sizeof(buf),
			     "INVITE sip:b@127.0.0.1 SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
			     "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\n"
			     "Call-ID: c1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
			     "%sContent-Length: 0\r\n\r\n",
			     testv[i].hdr);
		assert_true(n > 0 && (size_t)n < sizeof(buf));
		assert_int_equal(sip_msg_decode(msg, buf, (size_t)n), 0);
		assert_int_equal(sip_sesstimer_msg_se(msg, &se), testv[i].err);
		if (!testv[i].err) {
			assert_int_equal(se.delta, testv[i].delta);
			assert_int_equal(se.refresher, testv[i].r);
		} else {
			assert_int_equal(se.delta, 77);
		}
		test_free(msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_uas_decide),
		cmocka_unit_test(test_uac_flow),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_after_failed_refresh),
		cmocka_unit_test(test_msg_se),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
