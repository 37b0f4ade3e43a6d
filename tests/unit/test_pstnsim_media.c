/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for pstnsim's media engines (tests/pstnsim/media.c), engines
 * wired to each other block by block in memory: pattern through loopback
 * is sample-exact, tone levels, DTMF sender to recorder, the G.168 echo
 * models give the asked ERL, a T.30 fax between two spandsp terminals, WAV
 * playback, and bad arguments refused.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

/* The engines are part of the pstnsim program, not of a layer library */
#include "tests/pstnsim/media.c"

/* Run a and b against each other for n blocks (a's tx is b's rx). */
static void run(struct sim_media *a, struct sim_media *b, unsigned n)
{
	uint8_t ab[SIM_BLOCK], ba[SIM_BLOCK];

	for (unsigned i = 0; i < n; i++) {
		sim_media_tx(a, ab, SIM_BLOCK);
		sim_media_tx(b, ba, SIM_BLOCK);
		sim_media_rx(b, ab, SIM_BLOCK);
		sim_media_rx(a, ba, SIM_BLOCK);
	}
}

static void pair(struct sim_media **a, struct sim_media **b, bool alaw)
{
	assert_int_equal(sim_media_alloc(a, alaw), 0);
	assert_int_equal(sim_media_alloc(b, alaw), 0);
}

static void test_loop_pattern(void **state)
{
	static const bool laws[] = { true, false };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct sim_media *a = NULL, *b = NULL;
		struct sim_media_stats st;

		pair(&a, &b, laws[i]);
		assert_int_equal(sim_media_set_mode(a, SIM_M_PATTERN), 0);
		assert_int_equal(sim_media_set_mode(b, SIM_M_LOOP), 0);
		run(a, b, 50);
		sim_media_stats(a, &st);
		assert_true(st.pattern_locked);
		/* run(): b sends back the block it got one round before */
		assert_int_equal(st.pattern_delay, 2 * SIM_BLOCK);
		assert_int_equal(st.pattern_bad, 0);
		assert_true(st.pattern_ok >= 48 * SIM_BLOCK);
		/* A changed sample is seen */
		b->last_rx[7] ^= 0x55;
		{
			uint8_t out[SIM_BLOCK];

			sim_media_tx(b, out, SIM_BLOCK);
			sim_media_rx(a, out, SIM_BLOCK);
		}
		sim_media_stats(a, &st);
		assert_true(st.pattern_bad >= 1);
		sim_media_free(a);
		sim_media_free(b);
	}
}

static void test_tone_level(void **state)
{
	static const struct {
		int freq, level;
		bool alaw;
	} testv[] = {
		{ 1000, -10, true }, { 1000, -20, false }, { 425, -3, true },
		{ 3000, -30, true },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		struct sim_media *a = NULL, *b = NULL;
		struct sim_media_stats st;

		pair(&a, &b, testv[i].alaw);
		assert_int_equal(sim_media_set_tone(a, testv[i].freq,
						    testv[i].level), 0);
		run(a, b, 60);
		sim_media_stats(b, &st);
		assert_true(fabs(st.rx_dbm0 - testv[i].level) < 0.6);
		sim_media_stats(a, &st);
		assert_true(fabs(st.tx_dbm0 - testv[i].level) < 0.6);
		sim_media_free(a);
		sim_media_free(b);
	}
}

static void test_dtmf(void **state)
{
	static const char *const testv[] = { "0123456789", "*#ABCD", "5" };

	(void)state;
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		struct sim_media *a = NULL, *b = NULL;
		struct sim_media_stats st;

		pair(&a, &b, i != 1);
		assert_int_equal(sim_media_set_dtmf_tx(a, testv[i]), 0);
		assert_int_equal(sim_media_set_mode(b, SIM_M_DTMF_RX), 0);
		run(a, b, 150);
		sim_media_stats(b, &st);
		assert_string_equal(st.digits, testv[i]);
		sim_media_free(a);
		sim_media_free(b);
	}
}

/* White noise through every G.168 model comes back about ERL dB down. */
static void test_echo_erl(void **state)
{
	(void)state;
	for (int model = 2; model <= 9; model++) {
		static const double erls[] = { 12.0, 6.0, 20.0 };

		for (size_t k = 0; k < 3; k++) {
			struct sim_media *a = NULL, *b = NULL;
			struct sim_media_stats sa;
			double erl;

			pair(&a, &b, true);
			assert_int_equal(sim_media_set_noise(a, -10), 0);
			assert_int_equal(sim_media_set_echo(b, model, erls[k],
							    4), 0);
			run(a, b, 100);
			sim_media_stats(a, &sa);
			erl = sa.tx_dbm0 - sa.rx_dbm0;
			if (fabs(erl - erls[k]) > 1.5)
				fail_msg("model D.%d: ERL %.2f, wanted %.1f",
					 model, erl, erls[k]);
			sim_media_free(a);
			sim_media_free(b);
		}
	}
}

/* The echo path's bulk delay shows: an impulse returns after it. */
static void test_echo_delay(void **state)
{
	struct sim_media *b = NULL;
	uint8_t in[SIM_BLOCK], out[SIM_BLOCK];
	int first = -1;

	(void)state;
	assert_int_equal(sim_media_alloc(&b, true), 0);
	assert_int_equal(sim_media_set_echo(b, 2, 6.0, 10), 0);
	memset(in, 0xd5, sizeof(in));
	in[0] = linear_to_alaw(16000);
	sim_media_rx(b, in, SIM_BLOCK);
	sim_media_tx(b, out, SIM_BLOCK);
	for (int i = 0; i < SIM_BLOCK && first < 0; i++)
		if (abs(alaw_to_linear(out[i])) > 64)
			first = i;
	assert_true(first >= 80);
	sim_media_free(b);
}

static void test_fax(void **state)
{
	char tif[] = "/tmp/pstnsim-fax-XXXXXX";
	char rx[64];
	struct sim_media *a = NULL, *b = NULL;
	struct sim_media_stats sa, sb;
	int fd = mkstemp(tif);
	unsigned n = 0;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(rx, sizeof(rx), "%s.rx", tif);
	assert_int_equal(sim_fax_make_tiff(tif, 2), 0);
	pair(&a, &b, true);
	assert_int_equal(sim_media_set_fax(a, true, tif), 0);
	assert_int_equal(sim_media_set_fax(b, false, rx), 0);
	/* 90 s of line time at most (runs much faster than real time) */
	do {
		run(a, b, 50);
		sim_media_stats(a, &sa);
		sim_media_stats(b, &sb);
	} while ((sa.fax_result < 0 || sb.fax_result < 0) && ++n < 90);
	assert_int_equal(sa.fax_result, T30_ERR_OK);
	assert_int_equal(sb.fax_result, T30_ERR_OK);
	assert_int_equal(sa.fax_pages, 2);
	assert_int_equal(sb.fax_pages, 2);
	sim_media_free(a);
	sim_media_free(b);
	unlink(tif);
	unlink(rx);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, unsigned v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

static void test_wav(void **state)
{
	char path[] = "/tmp/pstnsim-wav-XXXXXX";
	uint8_t hdr[44] = { 0 };
	struct sim_media *a = NULL, *b = NULL;
	struct sim_media_stats st;
	FILE *f;
	int fd = mkstemp(path);
	const unsigned n = 8000;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	memcpy(hdr, "RIFF", 4);
	put32(hdr + 4, 36 + n * 2);
	memcpy(hdr + 8, "WAVEfmt ", 8);
	put32(hdr + 16, 16);
	put16(hdr + 20, 1);
	put16(hdr + 22, 1);
	put32(hdr + 24, 8000);
	put32(hdr + 28, 16000);
	put16(hdr + 32, 2);
	put16(hdr + 34, 16);
	memcpy(hdr + 36, "data", 4);
	put32(hdr + 40, n * 2);
	fwrite(hdr, 1, sizeof(hdr), f);
	for (unsigned i = 0; i < n; i++) {
		/* 1 kHz at -10 dBm0 */
		int16_t s = (int16_t)lrint(22832.0 * pow(10, -0.5) *
					   sin(2 * M_PI * 1000 * i / 8000.0));
		uint8_t b2[2];

		put16(b2, (uint16_t)s);
		fwrite(b2, 1, 2, f);
	}
	fclose(f);
	pair(&a, &b, true);
	assert_int_equal(sim_media_set_wav(a, path), 0);
	run(a, b, 50);
	sim_media_stats(b, &st);
	assert_true(fabs(st.rx_dbm0 + 10) < 0.6);
	assert_int_equal(sim_media_mode(a), SIM_M_WAV);
	run(a, b, 5);
	assert_int_equal(sim_media_mode(a), SIM_M_IDLE);
	/* Not a WAV file */
	assert_int_equal(sim_media_set_wav(a, "/dev/null"), EINVAL);
	assert_int_not_equal(sim_media_set_wav(a, "/nonexistent/x.wav"), 0);
	sim_media_free(a);
	sim_media_free(b);
	unlink(path);
}

static void test_bad_args(void **state)
{
	struct sim_media *m = NULL;

	(void)state;
	assert_int_equal(sim_media_alloc(&m, true), 0);
	assert_int_equal(sim_media_set_tone(m, 0, -10), EINVAL);
	assert_int_equal(sim_media_set_tone(m, 4000, -10), EINVAL);
	assert_int_equal(sim_media_set_tone(m, 1000, 10), EINVAL);
	assert_int_equal(sim_media_set_dtmf_tx(m, "12x"), EINVAL);
	assert_int_equal(sim_media_set_dtmf_tx(m, ""), EINVAL);
	assert_int_equal(sim_media_set_echo(m, 1, 12, 4), EINVAL);
	assert_int_equal(sim_media_set_echo(m, 10, 12, 4), EINVAL);
	assert_int_equal(sim_media_set_echo(m, 2, 12, 100), EINVAL);
	assert_int_equal(sim_media_set_noise(m, 3), EINVAL);
	assert_int_equal(sim_media_set_mode(m, SIM_M_TONE), EINVAL);
	assert_int_not_equal(sim_media_set_fax(m, true, "/nonexistent.tif"),
			     0);
	assert_int_equal(sim_fax_make_tiff("/tmp/x.tif", 0), EINVAL);
	assert_int_equal(sim_media_mode(m), SIM_M_IDLE);
	sim_media_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loop_pattern),
		cmocka_unit_test(test_tone_level),
		cmocka_unit_test(test_dtmf),
		cmocka_unit_test(test_echo_erl),
		cmocka_unit_test(test_echo_delay),
		cmocka_unit_test(test_fax),
		cmocka_unit_test(test_wav),
		cmocka_unit_test(test_bad_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
