/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for dsp/faxdet: CNG, CED, ANS/PR, ANSam, ANSam/PR made by
 * spandsp's modem_connect_tones_tx and a V.21 flag preamble made by its
 * FSK modem, all through A-law; our own CNG cadence, CED, ANSam/PR and
 * V.21 vectors from -43 to -6 dBm0 and at the frequency tolerances, each
 * run with the gate and without it (every sample through spandsp) and
 * required to give the same events within one block; no false detection
 * on 60 s of speech-like noise or on all 16 DTMF digits, gated or not. */
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

static void no_false_detect(bool gate)
{
	struct dsp_faxdet_cfg cfg;
	struct dsp_faxdet *d;
	struct evlog log = { .n = 0 };
	noise_state_t *ns = noise_init_dbm0(NULL, 4321, -15.0f, NOISE_CLASS_HOTH, 5);
	int16_t blk[TICK];
	dsp_faxdet_cfg_default(&cfg);
	cfg.gate = gate;
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

	struct dsp_faxdet_cfg none = { false, false, false, true };
	assert_int_equal(dsp_faxdet_alloc(&d, &none, h, &log), EINVAL);
}

static void test_no_false_detect(void **state)
{
	(void)state;
	no_false_detect(true);
	no_false_detect(false);
}

/* ---- own vectors, gated against ungated --------------------------------- */

enum sig { SIG_TONE, SIG_ANSAM_PR, SIG_V21 };

struct gen {
	enum sig kind;
	double hz, amp, phase;
	unsigned on_ms, off_ms, cycles; /* cadence; off 0 = one burst */
	uint32_t n;                     /* samples generated */
	fsk_tx_state_t *fsk;
	unsigned bitpos;
};

/* sine amplitude of a level in dBm0 (spandsp's scale: a full-scale sine
 * is +3.14 dBm0) */
static double dbm0_amp(double dbm0)
{
	return 32767.0 * pow(10.0, (dbm0 - 3.14) / 20.0);
}

static void gen_block(struct gen *g, int16_t *blk)
{
	unsigned period = (g->on_ms + g->off_ms) * 8;
	for (unsigned k = 0; k < TICK; k++, g->n++) {
		/* the signal starts mid-block: a gate must not lose the onset */
		uint32_t t = g->n - 77;
		bool on = g->n >= 77 && t < g->cycles * period &&
			  t % period < g->on_ms * 8;
		double v = 0;
		if (g->kind == SIG_V21) {
			int16_t one;
			if (on)
				fsk_tx(g->fsk, &one, 1);
			blk[k] = on ? one : 0;
			continue;
		}
		g->phase += 2 * M_PI * g->hz / 8000.0;
		if (on) {
			double a = g->amp, ph = g->phase;
			if (g->kind == SIG_ANSAM_PR) {
				uint32_t ton = t % period;
				/* V.8 §7.1: 15 Hz AM, 0.8..1.2 of the mean;
				 * V.25: reversal every 450 ms */
				a *= 1.0 + 0.2 * sin(2 * M_PI * 15.0 * ton / 8000.0);
				if ((ton / 3600) & 1)
					ph += M_PI;
			}
			v = a * sin(ph);
		}
		blk[k] = (int16_t)lrint(v);
	}
}

struct run_result {
	enum dsp_faxdet_tone ev[32];
	unsigned at[32];
	unsigned n, ends;
	unsigned tick;
	uint64_t fed, skipped;
};

static void rh(void *arg, enum dsp_faxdet_tone tone, enum dsp_faxdet_tone ended)
{
	struct run_result *r = arg;
	(void)ended;
	if (tone == DSP_FAXDET_NONE) {
		r->ends++;
		return;
	}
	if (r->n < ARRAY_SIZE(r->ev)) {
		r->at[r->n] = r->tick;
		r->ev[r->n++] = tone;
	}
}

static void run_vec(const struct gen *proto, unsigned ticks, bool gate,
		    struct run_result *r)
{
	struct dsp_faxdet_cfg cfg;
	struct dsp_faxdet *d;
	struct gen g = *proto;
	int16_t blk[TICK];

	memset(r, 0, sizeof(*r));
	dsp_faxdet_cfg_default(&cfg);
	cfg.gate = gate;
	assert_int_equal(dsp_faxdet_alloc(&d, &cfg, rh, r), 0);
	if (g.kind == SIG_V21) {
		g.bitpos = 0;
		g.fsk = fsk_tx_init(NULL, &preset_fsk_specs[FSK_V21CH2], flag_bits,
				    &g.bitpos);
		fsk_tx_power(g.fsk, (float)proto->amp);
	}
	/* 300 ms of silence first, like a line before the tone */
	for (r->tick = 0; r->tick < ticks; r->tick++) {
		if (r->tick < 15)
			memset(blk, 0, sizeof(blk));
		else
			gen_block(&g, blk);
		alaw(blk, TICK);
		dsp_faxdet_process(d, blk, TICK);
	}
	dsp_faxdet_gate_stats(d, &r->fed, &r->skipped);
	if (g.fsk)
		fsk_tx_free(g.fsk);
	dsp_faxdet_free(d);
}

static void test_gate_vectors(void **state)
{
	static const double levels[] = { -6, -12, -20, -30, -38, -43 };
	static const struct {
		const char *name;
		enum sig kind;
		double hz;
		unsigned on_ms, off_ms, cycles;
		enum dsp_faxdet_tone want;  /* at every level above -43 */
		unsigned count;             /* starts expected */
	} testv[] = {
		/* T.30 §5.2: CNG 0.5 s on, 3 s off, 1100 +- 38 Hz */
		{ "CNG", SIG_TONE, 1100, 500, 3000, 2, DSP_FAXDET_CNG, 2 },
		{ "CNG+38", SIG_TONE, 1138, 500, 3000, 2, DSP_FAXDET_CNG, 2 },
		{ "CNG-38", SIG_TONE, 1062, 500, 3000, 2, DSP_FAXDET_CNG, 2 },
		/* CED 2100 +- 15 Hz, 2.6 .. 4 s */
		{ "CED 2.6s", SIG_TONE, 2100, 2600, 0, 1, DSP_FAXDET_CED, 1 },
		{ "CED 4s", SIG_TONE, 2100, 4000, 0, 1, DSP_FAXDET_CED, 1 },
		{ "CED+15", SIG_TONE, 2115, 3300, 0, 1, DSP_FAXDET_CED, 1 },
		{ "CED-15", SIG_TONE, 2085, 3300, 0, 1, DSP_FAXDET_CED, 1 },
		/* V.8 ANSam with V.25 phase reversals */
		{ "ANSam/PR", SIG_ANSAM_PR, 2100, 4000, 0, 1, DSP_FAXDET_NONE, 0 },
		/* V.21 channel 2 HDLC flags, 1 s */
		{ "V.21 flags", SIG_V21, 0, 1000, 0, 1, DSP_FAXDET_V21_PREAMBLE, 1 },
	};
	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(testv); t++) {
		for (size_t l = 0; l < ARRAY_SIZE(levels); l++) {
			struct gen g = {
				.kind = testv[t].kind, .hz = testv[t].hz,
				.amp = testv[t].kind == SIG_V21 ? levels[l]
								: dbm0_amp(levels[l]),
				.on_ms = testv[t].on_ms, .off_ms = testv[t].off_ms,
				.cycles = testv[t].cycles,
			};
			unsigned ticks = 15 + (testv[t].cycles *
					       (testv[t].on_ms + testv[t].off_ms)) / 20 + 50;
			struct run_result a, b;

			run_vec(&g, ticks, true, &a);
			run_vec(&g, ticks, false, &b);
			if (getenv("FD_DEBUG")) {
				print_message("%-10s %4.0f dBm0: gated %u ev (%s @%u) ungated %u ev (%s @%u), fed %llu/%llu\n",
					      testv[t].name, levels[l], a.n,
					      a.n ? dsp_faxdet_name(a.ev[a.n - 1]) : "-",
					      a.n ? a.at[0] : 0, b.n,
					      b.n ? dsp_faxdet_name(b.ev[b.n - 1]) : "-",
					      b.n ? b.at[0] : 0,
					      (unsigned long long)a.fed,
					      (unsigned long long)(a.fed + a.skipped));
			}
			/* the gate changes nothing the detectors report */
			if (a.n != b.n || a.ends != b.ends)
				fail_msg("%s at %.0f dBm0: gated %u starts %u ends, ungated %u %u",
					 testv[t].name, levels[l], a.n, a.ends, b.n, b.ends);
			for (unsigned i = 0; i < a.n; i++) {
				assert_int_equal(a.ev[i], b.ev[i]);
				if (a.at[i] > b.at[i] + 1 || b.at[i] > a.at[i] + 1)
					fail_msg("%s at %.0f dBm0: event %u at tick %u gated, %u ungated",
						 testv[t].name, levels[l], i, a.at[i], b.at[i]);
			}
			if (levels[l] <= -43)
				continue; /* at the detectors' edge: same result is all */
			/* and the detections are the right ones */
			if (testv[t].kind == SIG_ANSAM_PR) {
				if (!a.n || a.ev[a.n - 1] != DSP_FAXDET_ANSAM_PR)
					fail_msg("%s at %.0f dBm0: got %s", testv[t].name,
						 levels[l], a.n ? dsp_faxdet_name(a.ev[a.n - 1]) : "nothing");
				continue;
			}
			unsigned starts = 0;
			for (unsigned i = 0; i < a.n; i++)
				starts += a.ev[i] == testv[t].want;
			if (starts != testv[t].count || a.n != testv[t].count)
				fail_msg("%s at %.0f dBm0: %u events, %u of %s, want %u",
					 testv[t].name, levels[l], a.n, starts,
					 dsp_faxdet_name(testv[t].want), testv[t].count);
			assert_true(a.ends >= testv[t].count);
		}
	}
}

/* The gate's point: plain speech-band noise does not wake the detectors. */
static void test_gate_skips_noise(void **state)
{
	struct run_result r;
	struct dsp_faxdet_cfg cfg;
	struct dsp_faxdet *d;
	int16_t blk[TICK];
	uint32_t seed = 7;
	(void)state;
	memset(&r, 0, sizeof(r));
	dsp_faxdet_cfg_default(&cfg);
	assert_int_equal(dsp_faxdet_alloc(&d, &cfg, rh, &r), 0);
	for (unsigned t = 0; t < 500; t++) {
		for (unsigned k = 0; k < TICK; k++) {
			seed = seed * 1664525u + 1013904223u;
			blk[k] = (int16_t)((int32_t)(seed >> 16) % 4000 - 2000);
		}
		alaw(blk, TICK);
		dsp_faxdet_process(d, blk, TICK);
	}
	dsp_faxdet_gate_stats(d, &r.fed, &r.skipped);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.fed + r.skipped, 500 * TICK);
	assert_true(r.skipped >= 490 * TICK);
	/* odd block sizes: everything is still accounted for */
	for (unsigned t = 0; t < 100; t++) {
		memset(blk, 0, sizeof(blk));
		dsp_faxdet_process(d, blk, 1 + t % 37);
	}
	dsp_faxdet_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tones),
		cmocka_unit_test(test_no_false_detect),
		cmocka_unit_test(test_gate_vectors),
		cmocka_unit_test(test_gate_skips_noise),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
