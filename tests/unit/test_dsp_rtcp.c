/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for dsp/rtcp: compound build/parse, A.2 validation, A.3
 * fraction lost, LSR/DLSR and round-trip time, statistics. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dsp/rtcp.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	while (s[0] && s[1] && n < max) {
		if (s[0] == ' ') {
			s++;
			continue;
		}
		char b[3] = { s[0], s[1], 0 };
		out[n++] = (uint8_t)strtoul(b, NULL, 16);
		s += 2;
	}
	return n;
}

/* NTP timestamp of t seconds (fractional) after an arbitrary epoch. */
static uint64_t ntp_at(double t)
{
	return (uint64_t)((3900000000.0 + t) * 4294967296.0);
}

static void test_decode_vectors(void **state)
{
	static const struct {
		const char *hex;
		int err;
		uint32_t ssrc;
		int has_sr, has_rb, n_rb, bye;
		const char *cname;
	} testv[] = {
		/* RR, one block about 0x11223344, SDES CNAME "ab" */
		{ "81c90007 0000abcd"
		  " 11223344 19000010 00010203 00000020 a1a2a3a4 00008000"
		  " 81ca0003 0000abcd 01026162 00000000",
		  0, 0xabcd, 0, 1, 1, 0, "ab" },
		/* SR without blocks, SDES, BYE with reason "x" */
		{ "80c80006 00000001 e8000000 80000000 00001000 00000005 000001e0"
		  " 81ca0003 00000001 01047465 73740000"
		  " 81cb0002 00000001 01780000",
		  0, 1, 1, 0, 0, 1, "test" },
		/* RR about another SSRC + APP (skipped) */
		{ "81c90007 00000009"
		  " 99999999 00000000 00000000 00000000 00000000 00000000"
		  " 80cc0002 00000009 6e616d65",
		  0, 9, 0, 0, 1, 0, NULL },
		/* first packet not SR/RR */
		{ .hex = "81ca0003 0000abcd 01026162 00000000", .err = EBADMSG },
		/* version 1 */
		{ .hex = "41c90001 0000abcd", .err = EBADMSG },
		/* length word beyond the datagram */
		{ .hex = "80c90005 0000abcd", .err = EBADMSG },
		/* RC says 1 block, none there */
		{ .hex = "81c90001 0000abcd", .err = EBADMSG },
		/* padding on the first of two packets */
		{ .hex = "a0c90001 0000abcd 81ca0003 0000abcd 01026162 00000000",
		  .err = EBADMSG },
		/* second packet version 0 */
		{ .hex = "80c90001 0000abcd 01ca0002 0000abcd 01026162 00000000",
		  .err = EBADMSG },
		/* SDES item longer than the packet */
		{ .hex = "80c90001 0000abcd 81ca0003 0000abcd 01096162 00000000",
		  .err = EBADMSG },
		/* not a multiple of 4 */
		{ .hex = "80c90001 0000abcd 00", .err = EBADMSG },
		/* BYE reason longer than the packet */
		{ .hex = "80c90001 0000abcd 81cb0002 0000abcd 09780000",
		  .err = EBADMSG },
		/* padding on the last packet is fine */
		{ "80c90001 0000abcd a1ca0004 0000abcd 01026162 00000000 00000004",
		  0, 0xabcd, 0, 0, 0, 0, "ab" },
		/* padding count larger than the packet */
		{ .hex = "a0c90001 0000abcd 0000000c", .err = EBADMSG },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(testv); i++) {
		uint8_t buf[256];
		size_t n = unhex(testv[i].hex, buf, sizeof(buf));
		struct dsp_rtcp_info in;
		memset(&in, 0x77, sizeof(in));
		int err = dsp_rtcp_decode(buf, n, 0x11223344, &in);
		if (err != testv[i].err)
			fail_msg("vector %zu: got %d want %d", i, err, testv[i].err);
		if (err)
			continue;
		assert_int_equal(in.ssrc, testv[i].ssrc);
		assert_int_equal(in.has_sr, testv[i].has_sr);
		assert_int_equal(in.has_rb, testv[i].has_rb);
		assert_int_equal(in.n_rb, testv[i].n_rb);
		assert_int_equal(in.bye, testv[i].bye);
		if (testv[i].cname)
			assert_int_equal(pl_strcmp(&in.cname, testv[i].cname), 0);
		else
			assert_false(pl_isset(&in.cname));
	}

	/* field by field for the first vector */
	uint8_t buf[256];
	size_t n = unhex(testv[0].hex, buf, sizeof(buf));
	struct dsp_rtcp_info in;
	assert_int_equal(dsp_rtcp_decode(buf, n, 0x11223344, &in), 0);
	assert_int_equal(in.rb.fraction, 0x19);
	assert_int_equal(in.rb.lost, 16);
	assert_int_equal(in.rb.ext_max, 0x00010203);
	assert_int_equal(in.rb.jitter, 32);
	assert_int_equal(in.rb.lsr, 0xa1a2a3a4);
	assert_int_equal(in.rb.dlsr, 0x8000);
	/* negative cumulative loss is sign-extended from 24 bits */
	buf[13] = 0xff;
	buf[14] = 0xff;
	buf[15] = 0xfe;
	assert_int_equal(dsp_rtcp_decode(buf, n, 0x11223344, &in), 0);
	assert_int_equal(in.rb.lost, -2);

	n = unhex(testv[1].hex, buf, sizeof(buf));
	assert_int_equal(dsp_rtcp_decode(buf, n, 0x11223344, &in), 0);
	assert_int_equal(in.sr.ntp, 0xe800000080000000ull);
	assert_int_equal(in.sr.rtp_ts, 0x1000);
	assert_int_equal(in.sr.packets, 5);
	assert_int_equal(in.sr.octets, 480);
	assert_int_equal(pl_strcmp(&in.bye_reason, "x"), 0);
}

/* Feed rx with packets seq first..last except those in `lost`. */
static void feed_range(struct dsp_rtp_rx *rx, uint32_t ssrc, uint16_t first,
		       unsigned count, unsigned lose_every)
{
	for (unsigned i = 0; i < count; i++) {
		uint16_t seq = (uint16_t)(first + i);
		if (lose_every && i % lose_every == lose_every / 2)
			continue;
		struct dsp_rtp_hdr h = { .pt = 8, .seq = seq, .ts = seq * 160u,
					 .ssrc = ssrc };
		uint8_t buf[200], pl[160] = { 0 };
		size_t len;
		const uint8_t *p;
		size_t plen;
		struct dsp_rtp_hdr oh;
		assert_int_equal(dsp_rtp_encode(buf, sizeof(buf), &h, pl, 160, &len), 0);
		dsp_rtp_rx_input(rx, buf, len, (uint64_t)seq * 20000, NULL, 0, &oh,
				 &p, &plen);
	}
}

static void test_report_fraction(void **state)
{
	static const struct {
		unsigned count, lose_every;
		uint8_t fraction;	/* of this interval */
		int32_t cum_lost;	/* after this interval */
	} steps[] = {
		{ 100, 0, 0, 0 },
		{ 100, 10, 25, 10 },	/* 10 of 100: 10*256/100 = 25 */
		{ 100, 4, 64, 35 },	/* 25 of 100 */
		{ 100, 0, 0, 35 },
		{ 0, 0, 0, 35 },	/* nothing new */
	};
	struct dsp_rtp_rx_cfg cfg;
	struct dsp_rtp_rx rx;
	struct dsp_rtp_tx tx;
	struct dsp_rtcp r;
	uint16_t seq = 1000;
	(void)state;

	dsp_rtp_rx_cfg_default(&cfg);
	dsp_rtp_rx_cfg_allow_pt(&cfg, 8);
	cfg.probation = 0;
	dsp_rtp_rx_init(&rx, &cfg);
	assert_int_equal(dsp_rtp_tx_init(&tx), 0);
	dsp_rtcp_init(&r, "gw@127.0.0.1");
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		uint8_t buf[256];
		size_t len;
		struct dsp_rtcp_info in;
		feed_range(&rx, 42, seq, steps[i].count, steps[i].lose_every);
		seq = (uint16_t)(seq + steps[i].count);
		assert_int_equal(dsp_rtcp_build(&r, &tx, &rx, ntp_at(i), false,
						NULL, buf, sizeof(buf), &len), 0);
		assert_int_equal(dsp_rtcp_decode(buf, len, 42, &in), 0);
		assert_false(in.has_sr); /* tx sent nothing: RR */
		assert_true(in.has_rb);
		assert_int_equal(in.ssrc, tx.ssrc);
		assert_int_equal(in.rb.fraction, steps[i].fraction);
		assert_int_equal(in.rb.lost, steps[i].cum_lost);
		assert_int_equal(in.rb.ext_max, (uint32_t)(seq - 1));
		assert_int_equal(pl_strcmp(&in.cname, "gw@127.0.0.1"), 0);
	}
	/* too small a buffer: ENOSPC, no state change */
	uint8_t small[40];
	size_t len;
	assert_int_equal(dsp_rtcp_build(&r, &tx, &rx, ntp_at(9), true, "bye",
					small, sizeof(small), &len), ENOSPC);
}

static void test_rtt(void **state)
{
	/* A sends SR at t0; B receives after d, waits h and sends RR; A
	 * receives after d: RTT = 2d whatever h is. */
	static const struct {
		double d, hold;
	} testv[] = { { 0.010, 0.5 }, { 0.075, 4.9 }, { 0.0005, 0.02 }, { 0.3, 1 } };
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(testv); i++) {
		struct dsp_rtp_tx atx, btx;
		struct dsp_rtp_rx arx, brx;
		struct dsp_rtp_rx_cfg cfg;
		struct dsp_rtcp a, b;
		uint8_t buf[256], pkt[200], pl[160] = { 0 };
		size_t len, plen;
		double t0 = 100.0;
		struct dsp_rtcp_info in;
		const uint8_t *p;
		struct dsp_rtp_hdr h;

		dsp_rtp_rx_cfg_default(&cfg);
		dsp_rtp_rx_cfg_allow_pt(&cfg, 8);
		dsp_rtp_rx_init(&arx, &cfg);
		dsp_rtp_rx_init(&brx, &cfg);
		assert_int_equal(dsp_rtp_tx_init(&atx), 0);
		assert_int_equal(dsp_rtp_tx_init(&btx), 0);
		dsp_rtcp_init(&a, "a");
		dsp_rtcp_init(&b, "b");
		/* A sends 3 RTP packets to B */
		for (int k = 0; k < 3; k++) {
			assert_int_equal(dsp_rtp_tx_audio(&atx, pkt, sizeof(pkt), 8, 160,
							  pl, 160, &len), 0);
			dsp_rtp_rx_input(&brx, pkt, len, (uint64_t)k * 20000, NULL, 0,
					 &h, &p, &plen);
		}
		assert_int_equal(dsp_rtcp_build(&a, &atx, &arx, ntp_at(t0), false,
						NULL, buf, sizeof(buf), &len), 0);
		assert_int_equal(dsp_rtcp_input(&b, buf, len, btx.ssrc,
						ntp_at(t0 + testv[i].d), &in), 0);
		assert_true(in.has_sr);
		assert_int_equal(in.sr.packets, 3);
		assert_int_equal(in.sr.octets, 480);
		assert_int_equal(in.sr.rtp_ts, atx.ts);
		assert_int_equal(dsp_rtcp_build(&b, &btx, &brx,
						ntp_at(t0 + testv[i].d + testv[i].hold),
						false, NULL, buf, sizeof(buf), &len), 0);
		assert_int_equal(dsp_rtcp_input(&a, buf, len, atx.ssrc,
						ntp_at(t0 + 2 * testv[i].d + testv[i].hold),
						&in), 0);
		assert_true(in.has_rb);
		assert_int_equal(in.rb.ext_max, (uint32_t)(atx.seq - 1) & 0xffff);
		assert_true(a.have_rtt);
		double want = 2000.0 * testv[i].d;
		if (a.rtt_ms < want - 0.05 || a.rtt_ms > want + 0.05)
			fail_msg("case %zu: rtt %.3f ms want %.3f", i, a.rtt_ms, want);

		struct dsp_rtp_stats st;
		dsp_rtp_stats_get(&a, &atx, &arx, &st);
		assert_int_equal(st.tx_packets, 3);
		assert_int_equal(st.tx_octets, 480);
		assert_true(st.have_rtt);
		assert_int_equal(st.remote_lost, 0);
		assert_int_equal(st.rtcp_rx, 1);
	}
}

static void test_bye_roundtrip(void **state)
{
	static const char *const reasons[] = { NULL, "", "x", "call ended",
					       "abcdefghijklmnopqrstuvwxyz" };
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(reasons); i++) {
		struct dsp_rtcp r;
		struct dsp_rtcp_info in;
		uint8_t buf[512];
		size_t len;
		dsp_rtcp_init(&r, "someone@example");
		assert_int_equal(dsp_rtcp_build(&r, NULL, NULL, ntp_at(1), true,
						reasons[i], buf, sizeof(buf), &len), 0);
		assert_int_equal(len % 4, 0);
		assert_int_equal(dsp_rtcp_input(&r, buf, len, 0, ntp_at(2), &in), 0);
		assert_true(in.bye);
		assert_true(r.bye_rx);
		if (reasons[i] && reasons[i][0])
			assert_int_equal(pl_strcmp(&in.bye_reason, reasons[i]), 0);
		else
			assert_false(pl_isset(&in.bye_reason));
		/* truncating the compound is rejected unless the cut falls on
		 * a packet boundary (then the BYE is gone); never crashes */
		for (size_t cut = 0; cut < len; cut++) {
			int err = dsp_rtcp_decode(buf, cut, 0, &in);
			if (err == 0)
				assert_false(in.bye);
			else
				assert_int_equal(err, EBADMSG);
		}
	}
	struct dsp_rtcp r;
	uint8_t junk[8] = { 0x80, 0xc9, 0, 9 };
	dsp_rtcp_init(&r, "x");
	assert_int_equal(dsp_rtcp_input(&r, junk, sizeof(junk), 0, ntp_at(1), NULL),
			 EBADMSG);
	assert_int_equal(r.malformed, 1);
}

static void test_interval(void **state)
{
	static const struct {
		unsigned members, senders;
		bool we_sent, initial;
		uint32_t bps;
		double avg;
		uint32_t rnd;
		uint32_t lo, hi; /* ms */
	} testv[] = {
		/* a gateway leg: the 5 s minimum dominates, randomised
		 * [0.5, 1.5] and divided by e - 3/2 */
		{ 2, 2, true, false, 87200, 120, 0, 2050, 2055 },
		{ 2, 2, true, false, 87200, 120, 0x80000000u, 4100, 4106 },
		{ 2, 2, true, false, 87200, 120, 0xffffffffu, 6150, 6158 },
		{ 2, 1, false, true, 87200, 120, 0x80000000u, 2050, 2053 },
		/* a big conference: 120 * 999 / (545 * 0.75) = 293 s, / 1.218 */
		{ 1000, 1, false, false, 87200, 120, 0x80000000u, 240000, 241500 },
		{ 1000, 1, true, false, 87200, 120, 0x80000000u, 4100, 4106 },
		/* nonsense inputs stay finite */
		{ 0, 5, true, false, 0, 0, 0, 1, 1000000 },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(testv); i++) {
		uint32_t ms = dsp_rtcp_interval_ms(testv[i].members, testv[i].senders,
						   testv[i].we_sent, testv[i].bps,
						   testv[i].avg, testv[i].initial,
						   testv[i].rnd);
		if (ms < testv[i].lo || ms > testv[i].hi)
			fail_msg("case %zu: %u ms not in [%u, %u]", i, ms, testv[i].lo,
				 testv[i].hi);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_vectors),
		cmocka_unit_test(test_report_fraction),
		cmocka_unit_test(test_rtt),
		cmocka_unit_test(test_bye_roundtrip),
		cmocka_unit_test(test_interval),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
