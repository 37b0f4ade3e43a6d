/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for dsp/rtp: RFC 3550 header codec, sender state, receiver
 * validation (A.1), jitter (A.8), latching, timeout, UDP helper. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "dsp/dtmf.h"
#include "dsp/rtcp.h"
#include "dsp/rtp.h"

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

static void test_decode_vectors(void **state)
{
	static const struct {
		const char *hex;
		int err;
		int marker, pt, cc, ext, pad;
		uint16_t seq;
		uint32_t ts, ssrc;
		size_t plen;
		size_t ext_len;
	} testv[] = {
		/* plain PCMA, marker, 4 payload octets */
		{ "80 88 1234 00000100 deadbeef d5d5d5d5", 0, 1, 8, 0, 0, 0,
		  0x1234, 0x100, 0xdeadbeef, 4, 0 },
		/* PCMU, no payload */
		{ "80 00 0001 00000000 00000001", 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0 },
		/* 2 CSRCs */
		{ "82 08 0002 00000010 00000002 11111111 22222222 aabb", 0, 0, 8,
		  2, 0, 0, 2, 0x10, 2, 2, 0 },
		/* header extension, 1 word, skipped */
		{ "90 08 0003 00000020 00000003 bede 0001 01020304 ff", 0, 0, 8, 0,
		  1, 0, 3, 0x20, 3, 1, 4 },
		/* padding 3 octets (count includes itself) */
		{ "a0 08 0004 00000030 00000004 aa bb 00 00 03", 0, 0, 8, 0, 0, 3,
		  4, 0x30, 4, 2, 0 },
		/* padding only, empty payload */
		{ "a0 08 0004 00000030 00000004 00 00 00 04", 0, 0, 8, 0, 0, 4, 4,
		  0x30, 4, 0, 0 },
		/* ext + CSRC + padding */
		{ "b1 08 0005 00000040 00000005 99999999 1000 0000 77 02", 0, 0, 8,
		  1, 1, 2, 5, 0x40, 5, 0, 0 },
		/* version 1 */
		{ .hex = "40 08 0001 00000000 00000001", .err = EBADMSG },
		/* version 3 */
		{ .hex = "c0 08 0001 00000000 00000001", .err = EBADMSG },
		/* 11 octets */
		{ .hex = "80 08 0001 00000000 000000", .err = EBADMSG },
		/* CSRC count beyond the packet */
		{ .hex = "83 08 0001 00000000 00000001 11111111 22222222", .err = EBADMSG },
		/* extension header truncated */
		{ .hex = "90 08 0001 00000000 00000001 bede", .err = EBADMSG },
		/* extension length beyond the packet */
		{ .hex = "90 08 0001 00000000 00000001 bede 0002 01020304", .err = EBADMSG },
		/* padding count 0 */
		{ .hex = "a0 08 0001 00000000 00000001 aa 00", .err = EBADMSG },
		/* padding larger than the payload */
		{ .hex = "a0 08 0001 00000000 00000001 aa 03", .err = EBADMSG },
		/* padding eating the CSRC list */
		{ .hex = "a1 08 0001 00000000 00000001 11111111 05", .err = EBADMSG },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(testv); i++) {
		uint8_t buf[256];
		size_t n = unhex(testv[i].hex, buf, sizeof(buf));
		struct dsp_rtp_hdr h;
		const uint8_t *pl = NULL;
		size_t plen = 999;
		int err = dsp_rtp_decode(buf, n, &h, &pl, &plen);
		assert_int_equal(err, testv[i].err);
		if (err) {
			assert_null(pl);
			assert_int_equal(plen, 999);
			continue;
		}
		assert_int_equal(h.marker, testv[i].marker);
		assert_int_equal(h.pt, testv[i].pt);
		assert_int_equal(h.cc, testv[i].cc);
		assert_int_equal(h.ext, testv[i].ext);
		assert_int_equal(h.pad_len, testv[i].pad);
		assert_int_equal(h.seq, testv[i].seq);
		assert_int_equal(h.ts, testv[i].ts);
		assert_int_equal(h.ssrc, testv[i].ssrc);
		assert_int_equal(plen, testv[i].plen);
		assert_int_equal(h.ext_len, testv[i].ext_len);
		assert_ptr_equal(pl, buf + n - h.pad_len - plen);
	}
}

static void test_rtcp_demux(void **state)
{
	static const struct {
		const char *hex;
		bool rtcp;
	} testv[] = {
		{ "80c8", true },  { "81c9", true },  { "81ca", true },
		{ "81cb", true },  { "80cc", true },  { "80cd", true },
		{ "80ce", true },  { "80cf", true },  { "80df", true },
		{ "80c0", true },  /* 192, the start of the reserved range */
		{ "8008", false }, { "8088", false }, { "8065", false },
		{ "80e5", false }, /* PT 101 with marker */
		{ "80bf", false }, /* PT 63 with marker */
		{ "40c8", false }, /* version 1 */
		{ "80", false },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(testv); i++) {
		uint8_t b[4];
		size_t n = unhex(testv[i].hex, b, sizeof(b));
		assert_int_equal(dsp_rtp_is_rtcp(b, n), testv[i].rtcp);
	}
}

static void test_oversized(void **state)
{
	uint8_t buf[DSP_RTP_MAX_PACKET + 1] = { 0x80, 8 };
	struct dsp_rtp_hdr h;
	const uint8_t *pl;
	size_t plen;
	(void)state;
	assert_int_equal(dsp_rtp_decode(buf, sizeof(buf), &h, &pl, &plen), EMSGSIZE);
	assert_int_equal(dsp_rtp_decode(buf, sizeof(buf) - 1, &h, &pl, &plen), 0);
}

static void test_encode_roundtrip(void **state)
{
	static const uint8_t ext[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t payload[5] = { 0xd5, 0x55, 0x2a, 0x00, 0xff };
	static const struct {
		uint8_t cc, pad;
		bool ext, marker;
	} testv[] = {
		{ 0, 0, false, false }, { 1, 0, false, true }, { 15, 0, true, false },
		{ 0, 1, false, false }, { 3, 7, true, true }, { 0, 255, false, false },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(testv); i++) {
		struct dsp_rtp_hdr h = { 0 }, d;
		uint8_t buf[600];
		const uint8_t *pl;
		size_t len, plen;
		h.marker = testv[i].marker;
		h.pt = 101;
		h.cc = testv[i].cc;
		for (unsigned c = 0; c < h.cc; c++)
			h.csrc[c] = 0x1000 + c;
		h.seq = 0xfffe;
		h.ts = 0xfffffff0;
		h.ssrc = 0x01020304;
		h.ext = testv[i].ext;
		h.ext_profile = 0xbede;
		h.ext_data = ext;
		h.ext_len = testv[i].ext ? sizeof(ext) : 0;
		h.pad_len = testv[i].pad;
		assert_int_equal(dsp_rtp_encode(buf, sizeof(buf), &h, payload,
						sizeof(payload), &len), 0);
		assert_int_equal(len, 12 + 4 * h.cc + (h.ext ? 12 : 0) + 5 + h.pad_len);
		assert_int_equal(dsp_rtp_encode(buf, len - 1, &h, payload,
						sizeof(payload), &len), ENOSPC);
		assert_int_equal(dsp_rtp_decode(buf, len, &d, &pl, &plen), 0);
		assert_int_equal(d.marker, h.marker);
		assert_int_equal(d.pt, 101);
		assert_int_equal(d.cc, h.cc);
		for (unsigned c = 0; c < h.cc; c++)
			assert_int_equal(d.csrc[c], 0x1000 + c);
		assert_int_equal(d.seq, 0xfffe);
		assert_int_equal(d.ts, 0xfffffff0);
		assert_int_equal(d.ssrc, 0x01020304);
		assert_int_equal(d.ext, h.ext);
		if (h.ext)
			assert_memory_equal(d.ext_data, ext, sizeof(ext));
		assert_int_equal(d.pad_len, h.pad_len);
		assert_int_equal(plen, sizeof(payload));
		assert_memory_equal(pl, payload, sizeof(payload));
	}
	/* invalid headers */
	struct dsp_rtp_hdr bad = { .pt = 128 };
	uint8_t buf[64];
	size_t len;
	assert_int_equal(dsp_rtp_encode(buf, sizeof(buf), &bad, NULL, 0, &len), EINVAL);
	bad.pt = 0;
	bad.ext = true;
	bad.ext_len = 3;
	bad.ext_data = ext;
	assert_int_equal(dsp_rtp_encode(buf, sizeof(buf), &bad, NULL, 0, &len), EINVAL);
}

static void test_tx(void **state)
{
	struct dsp_rtp_tx a, b;
	uint8_t buf[200], pl[160] = { 0 };
	struct dsp_rtp_hdr h;
	const uint8_t *p;
	size_t len, plen;
	uint32_t ts0;
	uint16_t seq0;
	(void)state;

	assert_int_equal(dsp_rtp_tx_init(&a), 0);
	assert_int_equal(dsp_rtp_tx_init(&b), 0);
	/* random SSRC/seq/ts: two senders agreeing on all three is 2^-80 */
	assert_false(a.ssrc == b.ssrc && a.seq == b.seq && a.ts == b.ts);

	/* force a wrap to check it */
	a.seq = 0xffff;
	a.ts = 0xffffff00;
	seq0 = a.seq;
	ts0 = a.ts;
	static const struct {
		int action;	/* 0 audio, 1 skip, 2 event */
		int marker;
		uint32_t ts_off;
		uint16_t seq_off;
	} steps[] = {
		{ 0, 1, 0, 0 },     { 0, 0, 160, 1 },   { 0, 0, 320, 2 },
		{ 1, -1, 0, 0 },    { 1, -1, 0, 0 },    { 0, 1, 800, 3 },
		{ 2, 1, 1120, 4 },  { 2, 0, 1120, 5 },  { 1, -1, 0, 0 },
		{ 0, 1, 1120, 6 },  { 0, 0, 1280, 7 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		if (steps[i].action == 1) {
			dsp_rtp_tx_skip(&a, 160);
			continue;
		}
		if (steps[i].action == 0)
			assert_int_equal(dsp_rtp_tx_audio(&a, buf, sizeof(buf), 8, 160,
							  pl, 160, &len), 0);
		else
			assert_int_equal(dsp_rtp_tx_raw(&a, buf, sizeof(buf), 101,
							ts0 + 1120, steps[i].marker,
							pl, 4, &len), 0);
		assert_int_equal(dsp_rtp_decode(buf, len, &h, &p, &plen), 0);
		assert_int_equal(h.marker, steps[i].marker);
		assert_int_equal(h.ts, (uint32_t)(ts0 + steps[i].ts_off));
		assert_int_equal(h.seq, (uint16_t)(seq0 + steps[i].seq_off));
		assert_int_equal(h.ssrc, a.ssrc);
	}
	assert_int_equal(a.packets, 8);
	assert_int_equal(a.octets, 6 * 160 + 2 * 4);
}

/* Receiver harness: build a packet and feed it. */
struct rxp {
	uint32_t ssrc;
	uint16_t seq;
	uint32_t ts;
	uint8_t pt;
	uint64_t at_us;
	int err;
	bool marker;
};

static int feed(struct dsp_rtp_rx *rx, const struct rxp *p,
		const struct sockaddr *src, socklen_t srclen)
{
	struct dsp_rtp_hdr h = { .pt = p->pt, .seq = p->seq, .ts = p->ts,
				 .ssrc = p->ssrc, .marker = p->marker };
	uint8_t buf[200], pl[160] = { 0 };
	const uint8_t *op;
	size_t len, oplen;
	struct dsp_rtp_hdr oh;
	assert_int_equal(dsp_rtp_encode(buf, sizeof(buf), &h, pl, 160, &len), 0);
	return dsp_rtp_rx_input(rx, buf, len, p->at_us, src, srclen, &oh, &op,
				&oplen);
}

static void rx_setup(struct dsp_rtp_rx *rx)
{
	struct dsp_rtp_rx_cfg cfg;
	dsp_rtp_rx_cfg_default(&cfg);
	dsp_rtp_rx_cfg_allow_pt(&cfg, 8);
	dsp_rtp_rx_cfg_allow_pt(&cfg, 101);
	cfg.event_pt = 101;
	cfg.timeout_ms = 2000;
	dsp_rtp_rx_init(rx, &cfg);
}

static void test_rx_sequence(void **state)
{
	/* seq validation per A.1: probation, wrap, loss, reorder, dup,
	 * big jump + restart, SSRC change, timestamp jump */
	static const struct rxp steps[] = {
		{ 1, 65533, 0, 8, 0, EAGAIN, false },       /* probation 1 */
		{ 1, 65534, 160, 8, 20000, 0, false },      /* valid: base */
		{ 1, 65535, 320, 8, 40000, 0, false },
		{ 1, 0, 480, 8, 60000, 0, false },          /* wrap */
		{ 1, 2, 800, 8, 100000, 0, false },         /* seq 1 lost */
		{ 1, 1, 640, 8, 101000, 0, false },         /* late: still valid */
		{ 1, 2, 800, 8, 102000, 0, false },         /* duplicate: valid (A.1) */
		{ 1, 3, 960, 8, 120000, 0, false },
		{ 1, 9, 1920, 8, 240000, 0, false },        /* 5 lost */
		{ 1, 9000, 2080, 8, 260000, EALREADY, false }, /* wild jump */
		{ 1, 10, 2080, 8, 260000, 0, false },
		{ 1, 20000, 2240, 8, 280000, EALREADY, false }, /* restart ... */
		{ 1, 20001, 2400, 8, 300000, 0, false },    /* ... confirmed */
		{ 2, 500, 0, 8, 320000, EAGAIN, false },    /* stray SSRC */
		{ 1, 20002, 2560, 8, 320000, 0, false },
		{ 2, 600, 0, 8, 340000, EAGAIN, false },    /* new SSRC ... */
		{ 2, 601, 160, 8, 360000, 0, false },       /* ... confirmed */
		{ 2, 602, 900000, 8, 380000, EAGAIN, false }, /* ts jump */
		{ 2, 603, 900160, 8, 400000, 0, false },    /* confirmed */
		{ 2, 604, 900320, 9, 420000, ENOTSUP, false }, /* unknown PT */
		{ 2, 604, 900320, 101, 420000, 0, false },  /* event */
		{ 2, 605, 900320, 101, 440000, 0, false },
		/* 60 s of silence, then a talkspurt: marked, so accepted */
		{ 2, 606, 900320 + 480000, 8, 60440000, 0, true },
		{ 2, 607, 900480 + 480000, 8, 60460000, 0, false },
		/* the same jump backwards is an error even when marked */
		{ 2, 608, 100, 8, 60480000, EAGAIN, true },
	};
	struct dsp_rtp_rx rx;
	(void)state;
	rx_setup(&rx);
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		int err = feed(&rx, &steps[i], NULL, 0);
		if (err != steps[i].err)
			fail_msg("step %zu: got %d want %d", i, err, steps[i].err);
		if (i == 8) {
			/* base 65534, ext max 65536+9 -> 12 expected, 9 received
			 * (incl. one duplicate) -> 3 lost */
			assert_int_equal(dsp_rtp_rx_ext_max(&rx), 65536 + 9);
			assert_int_equal(dsp_rtp_rx_expected(&rx), 12);
			assert_int_equal(dsp_rtp_rx_lost(&rx), 12 - 8);
		}
	}
	assert_int_equal(rx.ssrc, 2);
	assert_int_equal(rx.cnt.ssrc_change, 1);
	assert_int_equal(rx.cnt.ts_jump, 2);
	assert_int_equal(rx.cnt.unknown_pt, 1);
	assert_int_equal(rx.cnt.bad_seq, 5);
	assert_int_equal(rx.cnt.packets, 17);
	/* after the change: 601..607 expected, 602 (the unconfirmed
	 * timestamp jump) dropped and so lost */
	assert_int_equal(dsp_rtp_rx_expected(&rx), 7);
	assert_int_equal(dsp_rtp_rx_lost(&rx), 1);
}

static void test_rx_malformed(void **state)
{
	struct dsp_rtp_rx rx;
	uint8_t big[DSP_RTP_MAX_PACKET + 10] = { 0x80, 8 };
	uint8_t bad[12] = { 0x40, 8 };
	struct dsp_rtp_hdr h;
	const uint8_t *p;
	size_t n;
	(void)state;
	rx_setup(&rx);
	assert_int_equal(dsp_rtp_rx_input(&rx, big, sizeof(big), 0, NULL, 0, &h, &p, &n), EMSGSIZE);
	assert_int_equal(dsp_rtp_rx_input(&rx, bad, sizeof(bad), 0, NULL, 0, &h, &p, &n), EBADMSG);
	assert_int_equal(dsp_rtp_rx_input(&rx, bad, 3, 0, NULL, 0, &h, &p, &n), EBADMSG);
	assert_int_equal(rx.cnt.oversized, 1);
	assert_int_equal(rx.cnt.malformed, 2);
	assert_int_equal(rx.cnt.packets, 0);
}

static void test_rx_jitter(void **state)
{
	static const struct {
		uint32_t delay_a_us, delay_b_us; /* alternating network delay */
		uint32_t lo, hi;		  /* expected J range, ts units */
	} testv[] = {
		{ 5000, 5000, 0, 0 },        /* constant delay: no jitter */
		{ 0, 10000, 75, 80 },        /* |D| = 80 units every packet */
		{ 0, 2500, 18, 20 },         /* |D| = 20 */
	};
	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(testv); t++) {
		struct dsp_rtp_rx rx;
		rx_setup(&rx);
		for (unsigned i = 0; i < 500; i++) {
			struct rxp p = { 7, (uint16_t)i, 1000 + i * 160u, 8,
					 (uint64_t)i * 20000 +
						 (i & 1 ? testv[t].delay_b_us
							: testv[t].delay_a_us),
					 0, false };
			feed(&rx, &p, NULL, 0);
		}
		uint32_t j = dsp_rtp_rx_jitter(&rx);
		if (j < testv[t].lo || j > testv[t].hi)
			fail_msg("case %zu: jitter %u not in [%u,%u]", t, j,
				 testv[t].lo, testv[t].hi);
		assert_true(dsp_rtp_rx_jitter_ms(&rx) <= testv[t].hi / 8.0 + 0.01);
	}
}

static void test_rx_latch_timeout(void **state)
{
	struct sockaddr_in sdp = { .sin_family = AF_INET, .sin_port = htons(20100) };
	struct sockaddr_in real = { .sin_family = AF_INET, .sin_port = htons(20102) };
	struct sockaddr_in other = { .sin_family = AF_INET, .sin_port = htons(20104) };
	struct dsp_rtp_rx rx;
	struct dsp_rtp_rx_cfg cfg;
	(void)state;
	inet_pton(AF_INET, "127.0.0.1", &sdp.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &real.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &other.sin_addr);

	/* latching on: the source of the first valid packets wins */
	rx_setup(&rx);
	rx.cfg.latch = true;
	dsp_rtp_rx_set_peer(&rx, (struct sockaddr *)&sdp, sizeof(sdp));
	struct rxp p = { 5, 100, 0, 8, 1000, 0, false };
	assert_int_equal(feed(&rx, &p, (struct sockaddr *)&real, sizeof(real)), EAGAIN);
	p.seq++;
	assert_int_equal(feed(&rx, &p, (struct sockaddr *)&real, sizeof(real)), 0);
	assert_true(rx.latched);
	assert_int_equal(((struct sockaddr_in *)&rx.peer)->sin_port, htons(20102));
	/* we now send to where the peer really is */
	struct sockaddr_storage to;
	socklen_t tolen;
	assert_int_equal(dsp_rtp_rx_peer(&rx, &to, &tolen), 0);
	assert_int_equal(tolen, sizeof(struct sockaddr_in));
	assert_int_equal(((struct sockaddr_in *)&to)->sin_port, htons(20102));
	p.seq++;
	assert_int_equal(feed(&rx, &p, (struct sockaddr *)&other, sizeof(other)), EPERM);
	assert_int_equal(rx.cnt.wrong_src, 1);
	p.seq++;
	p.at_us = 500000;
	assert_int_equal(feed(&rx, &p, (struct sockaddr *)&real, sizeof(real)), 0);

	/* media timeout: exactly once, re-armed by a packet */
	assert_false(dsp_rtp_rx_timeout(&rx, 2400000));
	assert_true(dsp_rtp_rx_timeout(&rx, 2500000));
	assert_false(dsp_rtp_rx_timeout(&rx, 2600000));
	p.seq++;
	p.at_us = 3000000;
	assert_int_equal(feed(&rx, &p, (struct sockaddr *)&real, sizeof(real)), 0);
	assert_false(dsp_rtp_rx_timeout(&rx, 4000000));
	assert_true(dsp_rtp_rx_timeout(&rx, 5000001));

	/* nothing ever received: timeout counted from the first check */
	rx_setup(&rx);
	assert_int_equal(dsp_rtp_rx_peer(&rx, &to, &tolen), ENOENT);
	assert_false(dsp_rtp_rx_timeout(&rx, 10000000));
	assert_false(dsp_rtp_rx_timeout(&rx, 11000000));
	assert_true(dsp_rtp_rx_timeout(&rx, 12000000));

	/* latching off: only the SDP address is accepted */
	dsp_rtp_rx_cfg_default(&cfg);
	dsp_rtp_rx_cfg_allow_pt(&cfg, 8);
	cfg.probation = 0;
	dsp_rtp_rx_init(&rx, &cfg);
	dsp_rtp_rx_set_peer(&rx, (struct sockaddr *)&sdp, sizeof(sdp));
	struct rxp q = { 5, 0, 0, 8, 1000, 0, false };
	assert_int_equal(feed(&rx, &q, (struct sockaddr *)&real, sizeof(real)), EPERM);
	assert_int_equal(feed(&rx, &q, (struct sockaddr *)&sdp, sizeof(sdp)), 0);
	assert_int_equal(dsp_rtp_rx_expected(&rx), 1);
	assert_int_equal(dsp_rtp_rx_ext_max(&rx), 0);
}

static void test_socket(void **state)
{
	static const struct {
		int family;
		const char *addr;
	} testv[] = { { AF_INET, "127.0.0.1" }, { AF_INET6, "::1" } };
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(testv); i++) {
		struct sockaddr_storage ss = { 0 }, peer, src;
		socklen_t sl, srclen;
		int a_rtp, a_rtcp, b_rtp, b_rtcp, err;
		uint16_t pa, pb;
		if (testv[i].family == AF_INET) {
			struct sockaddr_in *s4 = (void *)&ss;
			s4->sin_family = AF_INET;
			inet_pton(AF_INET, testv[i].addr, &s4->sin_addr);
			sl = sizeof(*s4);
		} else {
			struct sockaddr_in6 *s6 = (void *)&ss;
			s6->sin6_family = AF_INET6;
			inet_pton(AF_INET6, testv[i].addr, &s6->sin6_addr);
			sl = sizeof(*s6);
		}
		err = dsp_rtp_sock_open_pair((struct sockaddr *)&ss, sl, 20000,
					     20999, &a_rtp, &a_rtcp, &pa);
		if (err == EADDRNOTAVAIL || err == EAFNOSUPPORT)
			continue; /* no IPv6 on this host */
		assert_int_equal(err, 0);
		assert_int_equal(pa % 2, 0);
		assert_true(pa >= 20000 && pa <= 20998);
		assert_int_equal(dsp_rtp_sock_open_pair((struct sockaddr *)&ss, sl,
							20000, 20999, &b_rtp,
							&b_rtcp, &pb), 0);
		assert_int_not_equal(pa, pb);

		uint8_t buf[64], out[64];
		size_t len;
		memcpy(&peer, &ss, sizeof(ss));
		if (testv[i].family == AF_INET)
			((struct sockaddr_in *)&peer)->sin_port = htons(pb);
		else
			((struct sockaddr_in6 *)&peer)->sin6_port = htons(pb);
		assert_int_equal(dsp_rtp_sock_recv(b_rtp, out, sizeof(out), &len,
						   &src, &srclen), EAGAIN);
		memset(buf, 0x5a, sizeof(buf));
		assert_int_equal(dsp_rtp_sock_send(a_rtp, buf, 40,
						   (struct sockaddr *)&peer, sl), 0);
		/* loopback delivery is immediate but allow a few tries */
		for (int t = 0; t < 100; t++) {
			err = dsp_rtp_sock_recv(b_rtp, out, sizeof(out), &len, &src,
						&srclen);
			if (err != EAGAIN)
				break;
			usleep(1000);
		}
		assert_int_equal(err, 0);
		assert_int_equal(len, 40);
		assert_memory_equal(out, buf, 40);
		assert_int_equal(src.ss_family, testv[i].family);
		uint16_t sp = testv[i].family == AF_INET
				      ? ntohs(((struct sockaddr_in *)&src)->sin_port)
				      : ntohs(((struct sockaddr_in6 *)&src)->sin6_port);
		assert_int_equal(sp, pa);
		/* a datagram larger than the buffer is reported, not cut */
		assert_int_equal(dsp_rtp_sock_send(a_rtp, buf, 64,
						   (struct sockaddr *)&peer, sl), 0);
		for (int t = 0; t < 100; t++) {
			err = dsp_rtp_sock_recv(b_rtp, out, 16, &len, &src, &srclen);
			if (err != EAGAIN)
				break;
			usleep(1000);
		}
		assert_int_equal(err, EMSGSIZE);
		close(a_rtp);
		close(a_rtcp);
		close(b_rtp);
		close(b_rtcp);
	}
}

/* ---- interop: tshark's RTP / RTP-event / RTCP dissectors ------------- */

struct pcap {
	FILE *f;
	unsigned n;
};

static void pcap_put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f); /* host order; the magic tells the reader */
}

static void pcap_packet(struct pcap *pc, uint16_t sport, uint16_t dport,
			const uint8_t *data, size_t len)
{
	uint8_t ip[28];
	uint16_t tot = (uint16_t)(28 + len);
	memset(ip, 0, sizeof(ip));
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = 64;
	ip[9] = 17;
	ip[12] = 127, ip[15] = 1;
	ip[16] = 127, ip[19] = 1;
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (uint8_t)(~sum >> 8);
	ip[11] = (uint8_t)~sum;
	ip[20] = (uint8_t)(sport >> 8), ip[21] = (uint8_t)sport;
	ip[22] = (uint8_t)(dport >> 8), ip[23] = (uint8_t)dport;
	ip[24] = (uint8_t)((8 + len) >> 8), ip[25] = (uint8_t)(8 + len);
	pcap_put32(pc->f, 1700000000u + pc->n / 50);
	pcap_put32(pc->f, (pc->n % 50) * 20000u);
	pcap_put32(pc->f, tot);
	pcap_put32(pc->f, tot);
	fwrite(ip, 1, sizeof(ip), pc->f);
	fwrite(data, 1, len, pc->f);
	pc->n++;
}

static void test_tshark_interop(void **state)
{
	char path[] = "/tmp/pstngw-rtp-XXXXXX";
	struct dsp_rtp_tx tx;
	struct dsp_rtp_rx_cfg cfg;
	struct dsp_rtp_rx rx;
	struct dsp_rtcp rtcp;
	struct pcap pc;
	uint8_t pkt[400], pl[160];
	size_t len;
	int fd;
	(void)state;

	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		skip();
		return;
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	pc.f = fdopen(fd, "wb");
	assert_non_null(pc.f);
	pc.n = 0;
	pcap_put32(pc.f, 0xa1b2c3d4);
	uint16_t ver[2] = { 2, 4 };
	fwrite(ver, 2, 2, pc.f);
	pcap_put32(pc.f, 0);
	pcap_put32(pc.f, 0);
	pcap_put32(pc.f, 65535);
	pcap_put32(pc.f, 101); /* LINKTYPE_RAW: IPv4 */

	assert_int_equal(dsp_rtp_tx_init(&tx), 0);
	tx.seq = 0xfffe; /* wrap inside the capture */
	dsp_rtp_rx_cfg_default(&cfg);
	dsp_rtp_rx_cfg_allow_pt(&cfg, 8);
	cfg.probation = 0;
	dsp_rtp_rx_init(&rx, &cfg);
	dsp_rtcp_init(&rtcp, "pstngw@127.0.0.1");
	memset(pl, 0xd5, sizeof(pl));

	/* 4 audio packets (the first marked), then a '7' telephone-event:
	 * start, update, 3 x end; then audio again after the event */
	for (int i = 0; i < 4; i++) {
		assert_int_equal(dsp_rtp_tx_audio(&tx, pkt, sizeof(pkt), 8, 160, pl,
						  160, &len), 0);
		pcap_packet(&pc, 20000, 20002, pkt, len);
		/* the peer's packets, for the report block */
		struct dsp_rtp_hdr h = { .pt = 8, .seq = (uint16_t)(100 + i),
					 .ts = 5000u + 160u * i, .ssrc = 0x12345678 };
		uint8_t ppkt[200];
		size_t plen2;
		const uint8_t *pp;
		struct dsp_rtp_hdr oh;
		assert_int_equal(dsp_rtp_encode(ppkt, sizeof(ppkt), &h, pl, 160, &plen2), 0);
		if (i != 2) /* one lost */
			dsp_rtp_rx_input(&rx, ppkt, plen2, (uint64_t)i * 20000, NULL, 0,
					 &oh, &pp, &len);
	}
	uint32_t ev_ts = tx.ts;
	static const struct {
		bool marker, end;
		uint16_t dur;
	} evs[] = { { 1, 0, 160 }, { 0, 0, 480 }, { 0, 1, 800 }, { 0, 1, 800 }, { 0, 1, 800 } };
	for (size_t i = 0; i < ARRAY_SIZE(evs); i++) {
		struct dsp_dtmf_event ev = { 7, evs[i].end, 10, evs[i].dur };
		uint8_t p4[4];
		dsp_dtmf_event_encode(&ev, p4);
		assert_int_equal(dsp_rtp_tx_raw(&tx, pkt, sizeof(pkt), 101, ev_ts,
						evs[i].marker, p4, 4, &len), 0);
		pcap_packet(&pc, 20000, 20002, pkt, len);
	}
	dsp_rtp_tx_skip(&tx, 800);
	assert_int_equal(dsp_rtp_tx_audio(&tx, pkt, sizeof(pkt), 8, 160, pl, 160, &len), 0);
	pcap_packet(&pc, 20000, 20002, pkt, len);
	/* RTCP: SR + RR block + SDES + BYE */
	assert_int_equal(dsp_rtcp_build(&rtcp, &tx, &rx, 0xe5000000ull << 32, true,
					"hangup", pkt, sizeof(pkt), &len), 0);
	pcap_packet(&pc, 20001, 20003, pkt, len);
	fclose(pc.f);

	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "timeout 120 tshark -n -r %s -d udp.port==20002,rtp -d udp.port==20003,rtcp "
		 "-T fields -E separator=, -E occurrence=f "
		 "-e rtp.version -e rtp.marker -e rtp.p_type -e rtp.seq -e rtp.timestamp "
		 "-e rtp.ssrc -e rtpevent.event_id -e rtpevent.end_of_event "
		 "-e rtpevent.volume -e rtpevent.duration -e rtcp.pt -e rtcp.senderssrc "
		 "-e rtcp.sender.packetcount -e rtcp.ssrc.cum_nr -e rtcp.ssrc.high_seq "
		 "-e rtcp.sdes.text -e rtcp.length_check -e _ws.malformed 2>/dev/null",
		 path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char line[512];
	unsigned n = 0;
	char want[512];
	while (fgets(line, sizeof(line), p) && n < 20) {
		line[strcspn(line, "\n")] = 0;
		if (n < 4 || n == 9) {
			unsigned k = n < 4 ? n : 9;
			snprintf(want, sizeof(want), "2,%d,8,%u,%u,0x%08x,,,,,,,,,,,,",
				 n == 0 || n == 9, (unsigned)(uint16_t)(0xfffe + k),
				 n < 4 ? (unsigned)(ev_ts - 640 + 160 * n) : ev_ts + 800,
				 tx.ssrc);
		} else if (n < 9) {
			unsigned k = n - 4;
			snprintf(want, sizeof(want), "2,%d,101,%u,%u,0x%08x,7,%d,10,%u,,,,,,,,",
				 k == 0, (unsigned)(uint16_t)(0xfffe + n), ev_ts, tx.ssrc,
				 evs[k].end, evs[k].dur);
		} else {
			/* SR with 10 packets sent, 1 of 4 peer packets lost */
			snprintf(want, sizeof(want),
				 ",,,,,,,,,,200,0x%08x,10,1,103,pstngw@127.0.0.1,1,", tx.ssrc);
		}
		if (strcmp(line, want))
			fail_msg("frame %u:\n got  %s\n want %s", n + 1, line, want);
		n++;
	}
	int rc = pclose(p);
	unlink(path);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_vectors),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_rtcp_demux),
		cmocka_unit_test(test_encode_roundtrip),
		cmocka_unit_test(test_tx),
		cmocka_unit_test(test_rx_sequence),
		cmocka_unit_test(test_rx_malformed),
		cmocka_unit_test(test_rx_jitter),
		cmocka_unit_test(test_rx_latch_timeout),
		cmocka_unit_test(test_socket),
		cmocka_unit_test(test_tshark_interop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
