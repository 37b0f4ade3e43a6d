/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for gw/cause: every Q.850 cause 1..127 to SIP and every SIP
 * failure status 400..699 to Q.850 under both profiles, against vectors
 * written out from RFC 3398 §7.2.4.1 / §8.2.6.1 and Q.1912.5; overrides
 * from config; Reason header print/parse (RFC 3326, RFC 8606 location).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "gw/cause.h"
#include "gw/conf.h"

/* RFC 3398 §7.2.4.1 as printed in the RFC (16: our 480 before answer) */
static const struct { uint8_t cause; uint16_t status; } rfc_q2s[] = {
	{ 1, 404 }, { 2, 404 }, { 3, 404 }, { 16, 480 }, { 17, 486 },
	{ 18, 408 }, { 19, 480 }, { 20, 480 }, { 21, 403 }, { 22, 410 },
	{ 23, 410 }, { 26, 404 }, { 27, 502 }, { 28, 484 }, { 29, 501 },
	{ 31, 480 }, { 34, 503 }, { 38, 503 }, { 41, 503 }, { 42, 503 },
	{ 47, 503 }, { 55, 403 }, { 57, 403 }, { 58, 503 }, { 65, 488 },
	{ 70, 488 }, { 79, 501 }, { 87, 403 }, { 88, 503 }, { 102, 504 },
	{ 111, 500 }, { 127, 500 },
};

/* RFC 3398 §8.2.6.1 (488/606 "by Warning": 88) */
static const struct { uint16_t status; uint8_t cause; } rfc_s2q[] = {
	{ 400, 41 }, { 401, 21 }, { 402, 21 }, { 403, 21 }, { 404, 1 },
	{ 405, 63 }, { 406, 79 }, { 407, 21 }, { 408, 102 }, { 410, 22 },
	{ 413, 127 }, { 414, 127 }, { 415, 79 }, { 416, 127 }, { 420, 127 },
	{ 421, 127 }, { 423, 127 }, { 480, 18 }, { 481, 41 }, { 482, 25 },
	{ 483, 25 }, { 484, 28 }, { 485, 1 }, { 486, 17 }, { 488, 88 },
	{ 500, 41 }, { 501, 79 }, { 502, 38 }, { 503, 41 }, { 504, 102 },
	{ 505, 127 }, { 513, 127 }, { 600, 17 }, { 603, 21 }, { 604, 1 },
	{ 606, 88 },
};

static const struct { uint16_t status; uint8_t cause; } q1912_s2q[] = {
	{ 404, 1 }, { 410, 22 }, { 480, 20 }, { 483, 25 }, { 484, 28 },
	{ 485, 1 }, { 486, 17 }, { 600, 17 }, { 603, 21 }, { 604, 1 },
};

static uint16_t expect_rfc_q2s(uint8_t c)
{
	static const uint8_t cls[] = { 31, 31, 47, 63, 79, 95, 111, 127 };
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < sizeof(rfc_q2s) / sizeof(rfc_q2s[0]); i++)
			if (rfc_q2s[i].cause == c)
				return rfc_q2s[i].status;
		c = cls[c >> 4];
	}
	return 500;
}

static void test_q850_to_sip_all(void **state)
{
	struct gw_cause_map rfc, q;
	(void)state;
	gw_cause_map_init(&rfc, GW_CAUSE_RFC3398);
	gw_cause_map_init(&q, GW_CAUSE_Q1912_5);
	for (unsigned c = 1; c <= 127; c++) {
		struct gw_cause cz = { (uint8_t)c, GW_LOC_LN };
		uint16_t want = expect_rfc_q2s((uint8_t)c);
		uint16_t got = gw_cause_to_sip(&rfc, &cz);
		if (got != want)
			fail_msg("rfc3398 cause %u: got %u want %u", c, got, want);
		/* Q.1912.5: same listed rows, 21 by location, else 500 */
		uint16_t wq = 500;
		for (size_t i = 0; i < sizeof(rfc_q2s) / sizeof(rfc_q2s[0]); i++)
			if (rfc_q2s[i].cause == c)
				wq = rfc_q2s[i].status;
		if (c == 21)
			wq = 403;
		got = gw_cause_to_sip(&q, &cz);
		if (got != wq)
			fail_msg("q1912.5 cause %u: got %u want %u", c, got, wq);
		/* every cause maps to a failure status, and that status maps back
		 * to a valid cause */
		assert_true(got >= 400 && got <= 699);
		struct gw_cause back = gw_cause_from_sip(&q, got);
		assert_true(back.cause >= 1 && back.cause <= 127);
	}
	struct gw_cause user21 = { 21, GW_LOC_U };
	assert_int_equal(gw_cause_to_sip(&q, &user21), 603);
	assert_int_equal(gw_cause_to_sip(&rfc, &user21), 403);
	struct gw_cause bad = { 0, 0 };
	assert_int_equal(gw_cause_to_sip(&rfc, &bad), 500);
}

static void test_sip_to_q850_all(void **state)
{
	struct gw_cause_map rfc, q;
	(void)state;
	gw_cause_map_init(&rfc, GW_CAUSE_RFC3398);
	gw_cause_map_init(&q, GW_CAUSE_Q1912_5);
	for (unsigned s = 400; s <= 699; s++) {
		uint8_t wr = 127, wq = 127;
		for (size_t i = 0; i < sizeof(rfc_s2q) / sizeof(rfc_s2q[0]); i++)
			if (rfc_s2q[i].status == s)
				wr = rfc_s2q[i].cause;
		for (size_t i = 0; i < sizeof(q1912_s2q) / sizeof(q1912_s2q[0]); i++)
			if (q1912_s2q[i].status == s)
				wq = q1912_s2q[i].cause;
		struct gw_cause c = gw_cause_from_sip(&rfc, (uint16_t)s);
		if (c.cause != wr)
			fail_msg("rfc3398 status %u: got %u want %u", s, c.cause, wr);
		assert_int_equal(c.location, GW_LOC_BI);
		c = gw_cause_from_sip(&q, (uint16_t)s);
		if (c.cause != wq)
			fail_msg("q1912.5 status %u: got %u want %u", s, c.cause, wq);
	}
	/* the common cases round-trip */
	static const uint8_t rt[] = { 1, 17, 21, 22, 28 };
	for (size_t i = 0; i < sizeof(rt); i++) {
		struct gw_cause c = { rt[i], GW_LOC_LN };
		uint16_t s = gw_cause_to_sip(&rfc, &c);
		assert_int_equal(gw_cause_from_sip(&rfc, s).cause, rt[i]);
	}
}

static void test_conf_overrides(void **state)
{
	const char *text =
		"[causes]\nprofile = q1912.5\nlocation = LN\nq850.34 = 480\nsip.503 = 34\n"
		"[causes bad1]\nq850.200 = 480\n"
		"[causes bad2]\nsip.503 = 300\n"
		"[causes bad3]\nlocation = XX\n"
		"[causes bad4]\nfoo = 1\n";
	struct gw_conf *conf;
	struct gw_conf_err err;
	struct gw_cause_map m;
	struct gw_cause c34 = { 34, GW_LOC_LN };
	(void)state;

	assert_int_equal(gw_conf_load_str(&conf, "c.conf", text, &err), 0);
	assert_int_equal(gw_cause_map_conf(&m, conf, "causes", &err), 0);
	assert_int_equal(m.profile, GW_CAUSE_Q1912_5);
	assert_int_equal(gw_cause_to_sip(&m, &c34), 480);
	assert_int_equal(gw_cause_from_sip(&m, 503).cause, 34);
	assert_int_equal(gw_cause_from_sip(&m, 503).location, GW_LOC_LN);
	assert_int_equal(gw_cause_from_sip(&m, 502).cause, 127);

	assert_int_equal(gw_cause_map_conf(&m, conf, "causes bad1", &err), EINVAL);
	assert_non_null(strstr(err.msg, "c.conf:7: [causes bad1] q850.200: cause must be 1..127"));
	assert_int_equal(gw_cause_map_conf(&m, conf, "causes bad2", &err), EINVAL);
	assert_non_null(strstr(err.msg, "c.conf:9:"));
	assert_int_equal(gw_cause_map_conf(&m, conf, "causes bad3", &err), EINVAL);
	assert_non_null(strstr(err.msg, "c.conf:11:"));
	assert_int_equal(gw_cause_map_conf(&m, conf, "causes bad4", &err), EINVAL);
	assert_non_null(strstr(err.msg, "c.conf:13: [causes bad4] foo"));
	/* absent section: RFC 3398 defaults */
	assert_int_equal(gw_cause_map_conf(&m, conf, "causes none", &err), 0);
	assert_int_equal(m.profile, GW_CAUSE_RFC3398);
	gw_conf_free(conf);
}

static void test_reason(void **state)
{
	static const struct {
		const char *in;
		int err;
		uint8_t cause, loc;
	} testv[] = {
		{ "Q.850;cause=17;text=\"User busy\"", 0, 17, GW_LOC_BI },
		{ "Q.850 ; cause = 17 ; text=\"User, busy\";location=LN", 0, 17, GW_LOC_LN },
		{ "SIP;cause=200;text=\"Call completed elsewhere\", Q.850;cause=16", 0, 16, GW_LOC_BI },
		{ "q.850;CAUSE=34;location=rpn", 0, 34, GW_LOC_RPN },
		{ "Q.850;cause=41;location=ZZ", 0, 41, GW_LOC_BI },
		{ "SIP;cause=487", ENOENT, 0, 0 },
		{ "", ENOENT, 0, 0 },
		{ "Q.850;text=\"no cause\"", EINVAL, 0, 0 },
		{ "Q.850;cause=128", EINVAL, 0, 0 },
		{ "Q.850;cause=0", EINVAL, 0, 0 },
		{ "Q.850;cause=1x", EINVAL, 0, 0 },
		{ "Q.850;cause=16;text=\"unterminated", EINVAL, 0, 0 },
		{ "SIP;text=\"a,b\",Q.850;cause=3", 0, 3, GW_LOC_BI },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		struct pl v = pl_from_str(testv[i].in);
		struct gw_cause c = { 99, 99 };
		int r = gw_cause_reason_parse(&v, &c);
		if (r != testv[i].err)
			fail_msg("'%s': ret %d want %d", testv[i].in, r, testv[i].err);
		if (!r) {
			assert_int_equal(c.cause, testv[i].cause);
			assert_int_equal(c.location, testv[i].loc);
		}
	}

	char buf[128];
	struct gw_cause c = { 17, GW_LOC_LN };
	assert_int_equal(gw_cause_reason_print(buf, sizeof(buf), &c, true), 0);
	assert_string_equal(buf, "Q.850;cause=17;text=\"User busy\";location=LN");
	assert_int_equal(gw_cause_reason_print(buf, sizeof(buf), &c, false), 0);
	assert_string_equal(buf, "Q.850;cause=17;text=\"User busy\"");
	assert_int_equal(gw_cause_reason_print(buf, 10, &c, false), ENOSPC);
	/* what we print, we parse back with the same cause and location */
	for (unsigned k = 1; k <= 127; k++) {
		struct gw_cause a = { (uint8_t)k, GW_LOC_TN }, b;
		assert_int_equal(gw_cause_reason_print(buf, sizeof(buf), &a, true), 0);
		struct pl v = pl_from_str(buf);
		assert_int_equal(gw_cause_reason_parse(&v, &b), 0);
		assert_int_equal(b.cause, k);
		assert_int_equal(b.location, GW_LOC_TN);
	}
	assert_string_equal(gw_cause_text(17), "User busy");
	assert_string_equal(gw_cause_text(126), "Unknown cause");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_q850_to_sip_all),
		cmocka_unit_test(test_sip_to_q850_all),
		cmocka_unit_test(test_conf_overrides),
		cmocka_unit_test(test_reason),
	};
	return cmocka_run_group_tests_name("gw_cause", tests, NULL, NULL);
}
