/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for dsp/faxdet: CNG, CED, ANS/PR, ANSam, ANSam/PR made by
 * spandsp's modem_connect_tones_tx and a V.21 flag preamble made by its
 * FSK modem, all through A-law; no false detection on 60 s of speech-like
 * noise or on all 16 DTMF digits. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <spandsp.h>

#include "dsp/codec.h"
#include "dsp/faxdet.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define TICK 160

struct evlog {
	enum dsp_faxdet_tone ev[32];
	unsigned n;
	unsigned ends;
	unsigned first_at;	/* tick of the first start */
	unsigned tick;
};

static void h(void *arg, enum dsp_faxdet_tone tone, enum dsp_faxdet_tone ended)
{
	struct evlog *l = arg;
	if (tone == DSP_FAXDET_NONE) {
		assert_int_not_equal(ended, DSP_FAXDET_NONE);
		l->ends++;
		return;
	}
	if (!l->n)
		l->first_at = l->tick;
	if (l->n < ARRAY_SIZE(l->ev))
		l->ev[l->n++] = tone;
}

static void alaw(int16_t *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = dsp_law_decode1(DSP_LAW_ALAW, dsp_law_encode1(DSP_LAW_ALAW, x[i]));
}

static int flag_bits(void *user)
{
	unsigned *pos = user;
	static const int flag[8] = { 0, 1, 1, 1, 1, 1, 1, 0 };
	return flag[(*pos)++ % 8];
}

static void test_tones(void **state)
{
	static const struct {
		int tx_type;	/* modem_connect_tones_tx type, -1 = V.21 flags */
		enum dsp_faxdet_tone want;
		unsigned seconds;
		unsigned max_ticks; /* detection within */
	} testv[] = {
		{ MODEM_CONNECT_TONES_FAX_CNG, DSP_FAXDET_CNG, 4, 50 },
		{ MODEM_CONNECT_TONES_ANS, DSP_FAXDET_CED, 4, 50 },
		/* classification needs the 450 ms reversals / 15 Hz AM */
		{ MODEM_CONNECT_TONES_ANS_PR, DSP_FAXDET_ANS_PR, 4, 100 },
		{ MODEM_CONNECT_TONES_ANSAM, DSP_FAXDET_ANSAM, 4, 100 },
		{ MODEM_CONNECT_TONES_ANSAM_PR, DSP_FAXDET_ANSAM_PR, 4, 100 },
		{ -1, DSP_FAXDET_V21_PREAMBLE, 2, 50 },
	};
	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(testv); t++) {
		struct dsp_faxdet_cfg cfg;
		struct dsp_faxdet *d;
		struct evlog log = { .n = 0 };
		modem_connect_tones_tx_state_t *tx = NULL;
		fsk_tx_state_t *fsk = NULL;
		unsigned pos = 0;
		int16_t blk[TICK];

		dsp_faxdet_cfg_default(&cfg);
		assert_int_equal(dsp_faxdet_alloc(&d, &cfg, h, &log), 0);
		if (testv[t].tx_type >= 0)
			tx = modem_connect_tones_tx_init(NULL, testv[t].tx_type);
		else
			fsk = fsk_tx_init(NULL, &preset_fsk_specs[FSK_V21CH2], flag_bits, &pos);
		/* 200 ms of silence, the signal, 1 s of silence */
		unsigned total = (testv[t].seconds + 2) * 50;
		for (log.tick = 0; log.tick < total; log.tick++) {
			memset(blk, 0, sizeof(blk));
			if (log.tick >= 10 && log.tick < 10 + testv[t].seconds * 50) {
				if (tx)
					modem_connect_tones_tx(tx, blk, TICK);
				else
					fsk_tx(fsk, blk, TICK);
			}
			alaw(blk, TICK);
			dsp_faxdet_process(d, blk, TICK);
		}
		if (!log.n)
			fail_msg("case %zu: nothing detected", t);
		/* the final classification is the right one, and every event
		 * on the way is of the same family */
		if (log.ev[log.n - 1] != testv[t].want)
			fail_msg("case %zu: got %s want %s", t,
				 dsp_faxdet_name(log.ev[log.n - 1]),
				 dsp_faxdet_name(testv[t].want));
		for (unsigned i = 0; i < log.n; i++) {
			bool fam2100 = log.ev[i] >= DSP_FAXDET_CED &&
				       log.ev[i] <= DSP_FAXDET_ANSAM_PR;
			bool want2100 = testv[t].want >= DSP_FAXDET_CED &&
					testv[t].want <= DSP_FAXDET_ANSAM_PR;
			if (log.ev[i] != testv[t].want && !(fam2100 && want2100))
				fail_msg("case %zu: stray %s", t, dsp_faxdet_name(log.ev[i]));
		}
		if (getenv("FD_DEBUG")) print_message("case %zu: first at tick %u, %u events, last %s\n", t, log.first_at, log.n, dsp_faxdet_name(log.ev[log.n - 1]));
		assert_true(log.first_at >= 10 && log.first_at <= 10 + testv[t].max_ticks);
		/* and it ended once the signal stopped */
		assert_int_equal(dsp_faxdet_current(d), DSP_FAXDET_NONE);
		assert_true(log.ends >= 1);
		if (tx)
			modem_connect_tones_tx_free(tx);
		if (fsk)
			fsk_tx_free(fsk);
		dsp_faxdet_free(d);
	}
}

static void test_no_false_detect(void **state)
{
	struct dsp_faxdet_cfg cfg;
	struct dsp_faxdet *d;
	struct evlog log = { .n = 0 };
	noise_state_t *ns = noise_init_dbm0(NULL, 4321, -15.0f, NOISE_CLASS_HOTH, 5);
	int16_t blk[TICK];
	(void)state;
	dsp_faxdet_cfg_default(&cfg);
	assert_int_equal(dsp_faxdet_alloc(&d, &cfg, h, &log), 0);
	/* 60 s of speech-shaped noise with a syllabic envelope */
	for (uint32_t i = 0; i < 60 * 8000; i += TICK) {
		for (unsigned k = 0; k < TICK; k++) {
			double tt = (i + k) / 8000.0;
			double env = (0.55 + 0.45 * sin(2 * M_PI * 3.7 * tt)) *
				     pow(10, -10 * (1 + sin(2 * M_PI * 0.07 * tt)) / 20);
			blk[k] = (int16_t)(noise(ns) * env * 2);
		}
		alaw(blk, TICK);
		dsp_faxdet_process(d, blk, TICK);
	}
	assert_int_equal(log.n, 0);
	/* all 16 DTMF digits, 100 ms each with 100 ms gaps, three rounds at
	 * different levels */
	dtmf_tx_state_t *dt = dtmf_tx_init(NULL);
	static const int levels[] = { -6, -15, -25 };
	for (size_t l = 0; l < ARRAY_SIZE(levels); l++) {
		dtmf_tx_set_level(dt, levels[l], 0);
		dtmf_tx_set_timing(dt, 100, 100);
		dtmf_tx_put(dt, "0123456789*#ABCD", -1);
		for (int round = 0; round < 200; round++) {
			int got = dtmf_tx(dt, blk, TICK);
			if (got < TICK)
				memset(blk + got, 0, (TICK - (size_t)got) * sizeof(int16_t));
			alaw(blk, TICK);
			dsp_faxdet_process(d, blk, TICK);
		}
	}
	assert_int_equal(log.n, 0);
	dtmf_tx_free(dt);
	noise_free(ns);
	dsp_faxdet_free(d);

	struct dsp_faxdet_cfg none = { false, false, false };
	assert_int_equal(dsp_faxdet_alloc(&d, &none, h, &log), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tones),
		cmocka_unit_test(test_no_false_detect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
