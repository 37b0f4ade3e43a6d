/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for sip/prack: RFC 3262 UAS and UAC rules. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sip/prack.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_decide(void **state)
{
	static const struct {
		enum sip_prack_mode mode;
		bool sup, req;
		enum sip_prack_use use;
	} testv[] = {
		{ SIP_PRACK_OFF, false, false, SIP_PRACK_USE_UNRELIABLE },
		{ SIP_PRACK_OFF, true, false, SIP_PRACK_USE_UNRELIABLE },
		{ SIP_PRACK_OFF, false, true, SIP_PRACK_REJECT_420 },
		{ SIP_PRACK_OFF, true, true, SIP_PRACK_REJECT_420 },
		{ SIP_PRACK_SUPPORTED, false, false, SIP_PRACK_USE_UNRELIABLE },
		{ SIP_PRACK_SUPPORTED, true, false, SIP_PRACK_USE_RELIABLE },
		{ SIP_PRACK_SUPPORTED, false, true, SIP_PRACK_USE_RELIABLE },
		{ SIP_PRACK_REQUIRED, false, false, SIP_PRACK_REJECT_421 },
		{ SIP_PRACK_REQUIRED, true, false, SIP_PRACK_USE_RELIABLE },
		{ SIP_PRACK_REQUIRED, false, true, SIP_PRACK_USE_RELIABLE },
	};
	(void)state;
	for (size_t i = 0; i < N(testv); i++)
		assert_int_equal(sip_prack_uas_decide(testv[i].mode, testv[i].sup, testv[i].req),
				 testv[i].use);
}

static void test_rseq_init(void **state)
{
	static const struct {
		uint32_t in, first;
	} testv[] = {
		{ 0, 1 },
		{ 1, 2 },
		{ 2147483646u, 2147483647u },
		{ 2147483647u, 1 },
		{ 4294967295u, 2 },
	};
	(void)state;
	for (size_t i = 0; i < N(testv); i++) {
		struct sip_prack_uas u;
		uint32_t rseq = 0, retx = 0;

		sip_prack_uas_init(&u, 10, testv[i].in, 500);
		assert_int_equal(sip_prack_uas_send(&u, false, &rseq, &retx), 0);
		assert_int_equal(rseq, testv[i].first);
		assert_int_equal(retx, 500);
		assert_true(rseq >= 1 && rseq <= SIP_PRACK_RSEQ_MAX);
	}
}

/* Retransmission schedule: T1 doubling, no T2 cap, total 64*T1 (§3). */
static void test_retx_schedule(void **state)
{
	static const struct {
		uint32_t t1;
		uint32_t iv[10]; /* intervals returned by successive timer calls */
		unsigned n;      /* then ETIMEDOUT */
	} testv[] = {
		{ 500, { 1000, 2000, 4000, 8000, 16000, 500 }, 6 },
		{ 100, { 200, 400, 800, 1600, 3200, 100 }, 6 },
		{ 0 /* default 500 */, { 1000, 2000, 4000, 8000, 16000, 500 }, 6 },
	};
	(void)state;
	for (size_t i = 0; i < N(testv); i++) {
		struct sip_prack_uas u;
		uint32_t rseq, retx, t1 = testv[i].t1 ? testv[i].t1 : 500;
		uint64_t total;

		sip_prack_uas_init(&u, 1, 99, testv[i].t1);
		assert_int_equal(sip_prack_uas_timer(&u, &retx), ENOENT);
		assert_int_equal(sip_prack_uas_send(&u, true, &rseq, &retx), 0);
		total = retx;
		for (unsigned k = 0; k < testv[i].n; k++) {
			assert_int_equal(sip_prack_uas_timer(&u, &retx), 0);
			assert_int_equal(retx, testv[i].iv[k]);
			total += retx;
		}
		assert_int_equal(total, 64ull * t1);
		assert_int_equal(sip_prack_uas_timer(&u, &retx), ETIMEDOUT);
		/* gave up: nothing pending, 2xx allowed, a new one may go */
		assert_int_equal(sip_prack_uas_timer(&u, &retx), ENOENT);
		assert_true(sip_prack_uas_final_allowed(&u, true));
		assert_int_equal(sip_prack_uas_send(&u, false, &rseq, &retx), 0);
		assert_int_equal(rseq, 101);
	}
}

static void test_prack_match(void **state)
{
	static const struct {
		uint32_t rseq, cseq;
		const char *method;
		int err;
	} testv[] = {
		{ 42, 7, "INVITE", ENOENT }, /* wrong RSeq */
		{ 43, 8, "INVITE", ENOENT }, /* wrong CSeq */
		{ 43, 7, "BYE", ENOENT },    /* wrong method */
		{ 43, 7, "invite", ENOENT }, /* methods are case-sensitive */
		{ 43, 7, "INVITE", 0 },
		{ 43, 7, "INVITE", ENOENT }, /* already acknowledged */
	};
	struct sip_prack_uas u;
	uint32_t rseq, retx;
	(void)state;

	sip_prack_uas_init(&u, 7, 42, 500);
	assert_int_equal(sip_prack_uas_send(&u, true, &rseq, &retx), 0);
	assert_int_equal(rseq, 43);
	/* one outstanding at a time */
	assert_int_equal(sip_prack_uas_send(&u, false, &rseq, &retx), EBUSY);
	assert_false(sip_prack_uas_final_allowed(&u, true));
	assert_true(sip_prack_uas_final_allowed(&u, false));
	for (size_t i = 0; i < N(testv); i++) {
		struct sip_rack r = { .rseq = testv[i].rseq, .cseq = testv[i].cseq };

		r.method = pl_from_str(testv[i].method);
		assert_int_equal(sip_prack_uas_prack(&u, &r), testv[i].err);
	}
	assert_true(sip_prack_uas_final_allowed(&u, true));
	assert_int_equal(sip_prack_uas_timer(&u, &retx), ENOENT);
	/* the next reliable 1xx gets the next RSeq */
	assert_int_equal(sip_prack_uas_send(&u, false, &rseq, &retx), 0);
	assert_int_equal(rseq, 44);
	/* without SDP it does not hold back the 2xx */
	assert_true(sip_prack_uas_final_allowed(&u, true));
}

static void test_uac_rx(void **state)
{
	static const struct {
		bool reliable, has_rseq;
		uint32_t rseq;
		int err;
		enum sip_prack_rx rx;
	} testv[] = {
		{ false, false, 0, 0, SIP_PRACK_RX_UNRELIABLE },
		{ true, false, 0, EPROTO, 0 },
		{ true, true, 0, EPROTO, 0 },
		{ true, true, 4294967294u, 0, SIP_PRACK_RX_NEW },
		{ true, true, 4294967294u, 0, SIP_PRACK_RX_RETRANS },
		{ true, true, 1, 0, SIP_PRACK_RX_OUT_OF_ORDER }, /* gap across the wrap */
		{ true, true, 4294967295u, 0, SIP_PRACK_RX_NEW },
		{ true, true, 4294967293u, 0, SIP_PRACK_RX_RETRANS },
		{ false, true, 9, 0, SIP_PRACK_RX_UNRELIABLE },
		{ true, true, 2, 0, SIP_PRACK_RX_OUT_OF_ORDER },
		{ true, true, 4294967295u, 0, SIP_PRACK_RX_RETRANS },
	};
	struct sip_prack_uac c = { 0 };
	(void)state;

	for (size_t i = 0; i < N(testv); i++) {
		enum sip_prack_rx rx = 99;
		int err = sip_prack_uac_rx(&c, testv[i].reliable, testv[i].has_rseq, testv[i].rseq,
					   &rx);

		assert_int_equal(err, testv[i].err);
		if (!err)
			assert_int_equal(rx, testv[i].rx);
	}
}

static void test_print_rack(void **state)
{
	char buf[32], small[8];
	(void)state;
	assert_int_equal(sip_prack_print_rack(776656, 1, "INVITE", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "776656 1 INVITE");
	assert_int_equal(sip_prack_print_rack(776656, 1, "INVITE", small, sizeof(small)), ENOSPC);
	assert_string_equal(small, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_rseq_init),
		cmocka_unit_test(test_retx_schedule),
		cmocka_unit_test(test_prack_match),
		cmocka_unit_test(test_uac_rx),
		cmocka_unit_test(test_print_rack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
