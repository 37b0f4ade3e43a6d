/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for dsp/srtp: known-answer vectors (tests/data/rtp/srtp_kat.txt:
 * RFC 3711 B.3 master key and salt with libsrtp's reference packets;
 * AEAD_AES_128_GCM reference packet), round trips between two contexts,
 * auth failure and replay. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dsp/rtp.h"
#include "dsp/srtp.h"

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

#define RTCP_PT "81c8000b cafebabe abababababababababababababababab"

/* Vectors live in tests/data/rtp/srtp_kat.txt (see its header). */
static void test_known_answers(void **state)
{
	FILE *f = fopen("tests/data/rtp/srtp_kat.txt", "r");
	char line[1024];
	unsigned n = 0;
	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char suite_s[64], kind[8], key_h[128], plain_h[256], prot_h[256];
		uint8_t key[DSP_SRTP_MAX_KEY], buf[512], want[256], plain[256];
		enum dsp_srtp_suite suite;
		struct dsp_srtp *s;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_int_equal(sscanf(line, "%63s %7s %127s %255s %255s", suite_s, kind,
					key_h, plain_h, prot_h), 5);
		struct pl sp = pl_from_str(suite_s);
		assert_int_equal(dsp_srtp_suite_parse(&sp, &suite), 0);
		size_t kl = unhex(key_h, key, sizeof(key));
		size_t pl = unhex(plain_h, plain, sizeof(plain));
		size_t wl = unhex(prot_h, want, sizeof(want));
		size_t len = pl;
		bool rtcp = !strcmp(kind, "rtcp");

		assert_int_equal(kl, dsp_srtp_key_len(suite));
		assert_int_equal(dsp_srtp_alloc(&s, suite, key, kl, key, kl), 0);
		memcpy(buf, plain, pl);
		if (rtcp)
			assert_int_equal(dsp_srtp_protect_rtcp(s, buf, &len, sizeof(buf)), 0);
		else
			assert_int_equal(dsp_srtp_protect_rtp(s, buf, &len, sizeof(buf)), 0);
		assert_int_equal(len, wl);
		assert_memory_equal(buf, want, wl);

		/* and back, with a context keyed the same way */
		if (rtcp)
			assert_int_equal(dsp_srtp_unprotect_rtcp(s, buf, &len), 0);
		else
			assert_int_equal(dsp_srtp_unprotect_rtp(s, buf, &len), 0);
		assert_int_equal(len, pl);
		assert_memory_equal(buf, plain, pl);
		assert_int_equal(dsp_srtp_counters(s)->protected, 1);
		assert_int_equal(dsp_srtp_counters(s)->unprotected, 1);
		dsp_srtp_free(s);
		n++;
	}
	fclose(f);
	assert_int_equal(n, 4);
}

static void test_roundtrip(void **state)
{
	static const enum dsp_srtp_suite sv[] = {
		DSP_SRTP_AES_CM_128_HMAC_SHA1_80,
		DSP_SRTP_AES_CM_128_HMAC_SHA1_32,
		DSP_SRTP_AEAD_AES_128_GCM,
	};
	static const size_t overhead[] = { 10, 4, 16 };
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(sv); i++) {
		uint8_t ka[DSP_SRTP_MAX_KEY], kb[DSP_SRTP_MAX_KEY];
		size_t la, lb;
		struct dsp_srtp *a, *b, *wrong;
		struct dsp_rtp_tx tx;
		uint8_t keep[400];
		size_t keep_len = 0;

		assert_int_equal(dsp_srtp_keygen(sv[i], ka, sizeof(ka), &la), 0);
		assert_int_equal(dsp_srtp_keygen(sv[i], kb, sizeof(kb), &lb), 0);
		assert_int_equal(la, dsp_srtp_key_len(sv[i]));
		assert_memory_not_equal(ka, kb, la);
		assert_int_equal(dsp_srtp_alloc(&a, sv[i], ka, la, kb, lb), 0);
		assert_int_equal(dsp_srtp_alloc(&b, sv[i], kb, lb, ka, la), 0);
		assert_int_equal(dsp_srtp_alloc(&wrong, sv[i], kb, lb, kb, lb), 0);
		assert_int_equal(dsp_rtp_tx_init(&tx), 0);
		tx.seq = 0xffc0; /* cross a rollover-counter increment */

		for (unsigned n = 0; n < 200; n++) {
			uint8_t pl[160], buf[400], copy[400];
			size_t len, plen0;
			for (unsigned k = 0; k < sizeof(pl); k++)
				pl[k] = (uint8_t)(n + k);
			assert_int_equal(dsp_rtp_tx_audio(&tx, buf, sizeof(buf), 8, 160,
							  pl, sizeof(pl), &len), 0);
			plen0 = len;
			assert_int_equal(dsp_srtp_protect_rtp(a, buf, &len, sizeof(buf)), 0);
			assert_int_equal(len, plen0 + overhead[i]);
			assert_memory_not_equal(buf + 12, pl, 16);
			memcpy(copy, buf, len);
			if (n == 10) {
				memcpy(keep, buf, len);
				keep_len = len;
			}
			if (n % 50 == 7) {
				/* one flipped bit anywhere fails authentication */
				size_t l2 = len;
				copy[n % len] ^= 0x10;
				assert_int_equal(dsp_srtp_unprotect_rtp(b, copy, &l2), EBADMSG);
				memcpy(copy, buf, len);
				l2 = len;
				assert_int_equal(dsp_srtp_unprotect_rtp(wrong, copy, &l2), EBADMSG);
				memcpy(copy, buf, len);
			}
			assert_int_equal(dsp_srtp_unprotect_rtp(b, buf, &len), 0);
			assert_int_equal(len, plen0);
			assert_memory_equal(buf + 12, pl, sizeof(pl));
			if (n % 60 == 3) {
				/* the same packet again is a replay */
				size_t l2 = plen0 + overhead[i];
				assert_int_equal(dsp_srtp_unprotect_rtp(b, copy, &l2), EALREADY);
			}
		}
		/* a packet far older than the replay window */
		assert_int_equal(dsp_srtp_unprotect_rtp(b, keep, &keep_len), EALREADY);

		/* RTCP both ways */
		for (unsigned n = 0; n < 5; n++) {
			uint8_t buf[400];
			size_t len = unhex(RTCP_PT, buf, sizeof(buf)), l0 = len;
			assert_int_equal(dsp_srtp_protect_rtcp(b, buf, &len, sizeof(buf)), 0);
			assert_true(len > l0 + 4);
			assert_int_equal(dsp_srtp_unprotect_rtcp(a, buf, &len), 0);
			assert_int_equal(len, l0);
		}
		const struct dsp_srtp_counters *cb = dsp_srtp_counters(b);
		assert_int_equal(cb->unprotected, 200);
		assert_int_equal(cb->auth_fail, 4);
		assert_int_equal(cb->replay, 5); /* 4 repeats + 1 too old */
		assert_int_equal(dsp_srtp_counters(wrong)->auth_fail, 4);
		assert_int_equal(dsp_srtp_counters(a)->unprotected, 5);

		/* too little room, too short */
		uint8_t small[40] = { 0x80 };
		size_t sl = 30;
		assert_int_equal(dsp_srtp_protect_rtp(a, small, &sl, sizeof(small)), ENOSPC);
		sl = 5;
		assert_int_equal(dsp_srtp_unprotect_rtp(a, small, &sl), EBADMSG);
		dsp_srtp_free(a);
		dsp_srtp_free(b);
		dsp_srtp_free(wrong);
	}
}

static void test_suites(void **state)
{
	static const struct {
		const char *name;
		int err;
		enum dsp_srtp_suite suite;
		size_t key_len;
	} testv[] = {
		{ "AES_CM_128_HMAC_SHA1_80", 0, DSP_SRTP_AES_CM_128_HMAC_SHA1_80, 30 },
		{ "AES_CM_128_HMAC_SHA1_32", 0, DSP_SRTP_AES_CM_128_HMAC_SHA1_32, 30 },
		{ "AEAD_AES_128_GCM", 0, DSP_SRTP_AEAD_AES_128_GCM, 28 },
		{ "AES_CM_128_HMAC_SHA1_8", EINVAL, 0, 0 },
		{ "aes_cm_128_hmac_sha1_80", EINVAL, 0, 0 },
		{ "", EINVAL, 0, 0 },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(testv); i++) {
		struct pl pl = pl_from_str(testv[i].name);
		enum dsp_srtp_suite s = (enum dsp_srtp_suite)99;
		assert_int_equal(dsp_srtp_suite_parse(&pl, &s), testv[i].err);
		if (testv[i].err)
			continue;
		assert_int_equal(s, testv[i].suite);
		assert_string_equal(dsp_srtp_suite_name(s), testv[i].name);
		assert_int_equal(dsp_srtp_key_len(s), testv[i].key_len);
	}
	uint8_t key[30] = { 0 };
	struct dsp_srtp *s = NULL;
	assert_int_equal(dsp_srtp_alloc(&s, DSP_SRTP_AEAD_AES_128_GCM, key, 30, key, 30),
			 EINVAL);
	assert_null(s);
	size_t len;
	assert_int_equal(dsp_srtp_keygen(DSP_SRTP_AES_CM_128_HMAC_SHA1_80, key, 29, &len),
			 ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_suites),
	};
	if (dsp_srtp_global_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
