/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for dsp/dtmf: Q.24 acceptance/rejection through A-law with
 * spandsp's generator as the PSTN, talk-off on 60 s of speech-like noise,
 * RFC 4733 packet sequences field by field, event playout checked with
 * spandsp's detector, SIP INFO bodies. */
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
#include "dsp/dtmf.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define TICK 160

struct digits {
	char got[64];
	unsigned n;
	unsigned dur_ms[64];
	unsigned starts;
};

static void digit_h(void *arg, char digit, bool start, unsigned duration_ms,
		    int level)
{
	struct digits *d = arg;
	(void)level;
	if (start) {
		d->starts++;
		return;
	}
	if (d->n < sizeof(d->got) - 1) {
		d->dur_ms[d->n] = duration_ms;
		d->got[d->n++] = digit;
		d->got[d->n] = 0;
	}
}

/* Make `ms` of one DTMF digit (low tone at level, high at level+twist),
 * preceded and followed by silence, A-law encoded and decoded. */
static size_t make_digit(int16_t *out, size_t max, char digit, int level,
			 int twist, unsigned ms)
{
	dtmf_tx_state_t *tx = dtmf_tx_init(NULL);
	char s[2] = { digit, 0 };
	size_t n = 0;
	memset(out, 0, max * sizeof(*out));
	n += 400; /* 50 ms silence first */
	dtmf_tx_set_level(tx, level, twist);
	dtmf_tx_set_timing(tx, (int)ms, 0);
	dtmf_tx_put(tx, s, 1);
	n += (size_t)dtmf_tx(tx, out + n, (int)(max - n - 800));
	n += 800; /* 100 ms silence after */
	dtmf_tx_free(tx);
	for (size_t i = 0; i < n; i++)
		out[i] = dsp_law_decode1(DSP_LAW_ALAW, dsp_law_encode1(DSP_LAW_ALAW, out[i]));
	return (n + TICK - 1) / TICK * TICK;
}

static void run_det(struct dsp_dtmf_det *d, int16_t *pcm, size_t n,
		    uint32_t ts0, struct dsp_dtmf_out *outs, size_t *nouts)
{
	for (size_t i = 0; i + TICK <= n; i += TICK) {
		struct dsp_dtmf_out o;
		dsp_dtmf_det_process(d, pcm + i, TICK, ts0 + (uint32_t)i, &o);
		if (outs && o.npkt)
			outs[(*nouts)++] = o;
	}
}

static void test_q24_limits(void **state)
{
	static const struct {
		int level;	/* low group, dBm0 */
		int twist;	/* high minus low, dB */
		unsigned ms;
		unsigned min_ok; /* digits of 16 that must be detected */
	} testv[] = {
		{ -3, 0, 40, 16 },    { -10, 0, 40, 16 },   { -20, 0, 40, 16 },
		{ -26, 0, 40, 16 },   { -22, 4, 40, 16 },   { -7, 4, 40, 16 },
		{ -10, 0, 100, 16 },  { -14, -7, 40, 16 },
		/* -8 dB: spandsp misses '0' (941+1336 Hz) at some phase
		 * alignments: the loud 941 Hz leaks into the 1209 Hz bin and
		 * fails its relative-peak test. The other 15 must pass. */
		{ -3, -8, 40, 15 },   { -18, -8, 40, 15 },
		{ -10, 0, 20, 0 },    { -10, 0, 15, 0 },   /* too short */
		{ -45, 0, 100, 0 },                         /* too weak */
		{ -10, 6, 100, 0 },   { -6, -12, 100, 0 },  /* twist */
	};
	static int16_t buf[8000 * 2];
	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(testv); t++) {
		unsigned ok = 0;
		for (unsigned e = 0; e < 16; e++) {
			char digit = (char)dsp_dtmf_event_to_char(e);
			struct dsp_dtmf_det_cfg cfg;
			struct dsp_dtmf_det *d;
			struct digits got = { { 0 }, 0, { 0 }, 0 };
			size_t n = make_digit(buf, ARRAY_SIZE(buf), digit, testv[t].level,
					      testv[t].twist, testv[t].ms);
			dsp_dtmf_det_cfg_default(&cfg);
			assert_int_equal(dsp_dtmf_det_alloc(&d, &cfg, digit_h, &got), 0);
			run_det(d, buf, n, 0, NULL, NULL);
			/* never a wrong digit, never more than one */
			if (got.n > 1 || (got.n == 1 && got.got[0] != digit))
				fail_msg("case %zu digit %c: got \"%s\"", t, digit, got.got);
			if (!testv[t].min_ok && got.n)
				fail_msg("case %zu digit %c: false accept", t, digit);
			ok += got.n;
			dsp_dtmf_det_free(d);
		}
		if (ok < testv[t].min_ok)
			fail_msg("case %zu: %u of 16 detected", t, ok);
	}
}

/*
 * Digits after long quiet stretches (the detector is skipped on blocks
 * far under its threshold once it has seen a few): each digit is
 * detected once, in order, with its duration, at the weakest accepted
 * level and the shortest accepted tone and pause, over digital silence
 * and over a quiet (-55 dBm0) or a louder (-40 dBm0, never gated)
 * background.
 */
static void test_quiet_gate(void **state)
{
	static const struct {
		char digit;
		int level;
		unsigned pause_ms, tone_ms;
	} seq[] = {
		{ '5', -26, 400, 40 }, { '5', -26, 300, 40 }, { '#', -10, 40, 60 },
		{ 'D', -10, 1000, 100 }, { '1', -26, 40, 40 }, { '0', -3, 220, 45 },
	};
	static const float bg_dbm0[] = { 0, -55, -40 };
	static int16_t buf[8000 * 4];
	(void)state;

	for (size_t b = 0; b < ARRAY_SIZE(bg_dbm0); b++) {
		noise_state_t *ns = bg_dbm0[b] != 0 ?
			noise_init_dbm0(NULL, 77, bg_dbm0[b], NOISE_CLASS_AWGN, 5) :
			NULL;
		size_t n = 0;
		char want[16] = { 0 };

		memset(buf, 0, sizeof(buf));
		for (size_t k = 0; k < ARRAY_SIZE(seq); k++) {
			dtmf_tx_state_t *tx = dtmf_tx_init(NULL);
			char s[2] = { seq[k].digit, 0 };

			n += seq[k].pause_ms * 8;
			dtmf_tx_set_level(tx, seq[k].level, 0);
			dtmf_tx_set_timing(tx, (int)seq[k].tone_ms, 0);
			dtmf_tx_put(tx, s, 1);
			n += (size_t)dtmf_tx(tx, buf + n, (int)(seq[k].tone_ms * 8));
			dtmf_tx_free(tx);
			want[k] = seq[k].digit;
		}
		n += 300 * 8;
		n = (n + TICK - 1) / TICK * TICK;
		assert_true(n <= ARRAY_SIZE(buf));
		for (size_t i = 0; i < n; i++) {
			int v = buf[i] + (ns ? noise(ns) : 0);

			v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
			buf[i] = dsp_law_decode1(DSP_LAW_ALAW,
						 dsp_law_encode1(DSP_LAW_ALAW, (int16_t)v));
		}
		if (ns)
			noise_free(ns);

		struct dsp_dtmf_det_cfg cfg;
		struct dsp_dtmf_det *d;
		struct digits got = { { 0 }, 0, { 0 }, 0 };

		dsp_dtmf_det_cfg_default(&cfg);
		assert_int_equal(dsp_dtmf_det_alloc(&d, &cfg, digit_h, &got), 0);
		run_det(d, buf, n, 0, NULL, NULL);
		dsp_dtmf_det_free(d);
		if (strcmp(got.got, want))
			fail_msg("background %.0f dBm0: got \"%s\", want \"%s\"",
				 bg_dbm0[b], got.got, want);
		for (size_t k = 0; k < ARRAY_SIZE(seq); k++) {
			/* reported in blocks of 20 ms, the tone's own ramps */
			if (got.dur_ms[k] + 25 < seq[k].tone_ms ||
			    got.dur_ms[k] > seq[k].tone_ms + 45)
				fail_msg("background %.0f dBm0: digit %zu '%c' "
					 "lasted %u ms, sent %u", bg_dbm0[b], k,
					 seq[k].digit, got.dur_ms[k],
					 seq[k].tone_ms);
		}
	}
}

static void test_talk_off(void **state)
{
	/* 60 s of speech-shaped (Hoth) noise with a syllabic envelope and
	 * level changes, through A-law: not one digit */
	noise_state_t *ns = noise_init_dbm0(NULL, 1234, -15.0f, NOISE_CLASS_HOTH, 5);
	struct dsp_dtmf_det_cfg cfg;
	struct dsp_dtmf_det *d;
	struct digits got = { { 0 }, 0, { 0 }, 0 };
	int16_t blk[TICK];
	unsigned muted = 0;
	(void)state;
	dsp_dtmf_det_cfg_default(&cfg);
	assert_int_equal(dsp_dtmf_det_alloc(&d, &cfg, digit_h, &got), 0);
	for (uint32_t i = 0; i < 60 * 8000; i += TICK) {
		struct dsp_dtmf_out o;
		/* 4 Hz syllables, slow 0..-20 dB level wander */
		for (unsigned k = 0; k < TICK; k++) {
			double t = (i + k) / 8000.0;
			double env = (0.55 + 0.45 * sin(2 * M_PI * 4 * t)) *
				     pow(10, -10 * (1 + sin(2 * M_PI * 0.05 * t)) / 20);
			blk[k] = dsp_law_decode1(DSP_LAW_ALAW,
						 dsp_law_encode1(DSP_LAW_ALAW,
								 (int16_t)(noise(ns) * env * 2)));
		}
		dsp_dtmf_det_process(d, blk, TICK, i, &o);
		assert_int_equal(o.npkt, 0);
		muted += o.muted;
	}
	assert_int_equal(got.starts, 0);
	assert_int_equal(got.n, 0);
	assert_int_equal(muted, 0);
	dsp_dtmf_det_free(d);
	noise_free(ns);
}

static void test_event_packets(void **state)
{
	static const struct {
		char digit;
		unsigned ms;
		int level;
		unsigned min_updates;
	} testv[] = {
		{ '5', 100, -10, 1 }, { '#', 300, -6, 5 }, { 'D', 45, -20, 0 },
		{ '0', 9000, -10, 170 }, /* longer than 65535 units: segments */
	};
	static int16_t buf[8000 * 12];
	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(testv); t++) {
		struct dsp_dtmf_det_cfg cfg;
		struct dsp_dtmf_det *d;
		struct digits got = { { 0 }, 0, { 0 }, 0 };
		static struct dsp_dtmf_out outs[2000];
		size_t no = 0, n;
		const uint32_t ts0 = 0xffffff00u; /* timestamps wrap */
		n = make_digit(buf, ARRAY_SIZE(buf), testv[t].digit, testv[t].level, 0,
			       testv[t].ms);
		dsp_dtmf_det_cfg_default(&cfg);
		assert_int_equal(dsp_dtmf_det_alloc(&d, &cfg, digit_h, &got), 0);
		run_det(d, buf, n, ts0, outs, &no);
		assert_int_equal(got.n, 1);

		/* flatten */
		struct dsp_dtmf_pkt pk[4000];
		size_t np = 0;
		for (size_t i = 0; i < no; i++)
			for (unsigned k = 0; k < outs[i].npkt; k++)
				pk[np++] = outs[i].pkt[k];
		assert_true(np >= 4);
		struct dsp_dtmf_event ev;
		unsigned updates = 0, ends = 0;
		uint32_t seg_ts = pk[0].ts, base = 0, last_dur = 0, final = 0;
		/* start: marker, not end, right event and volume */
		assert_true(pk[0].marker);
		assert_int_equal(dsp_dtmf_event_decode(pk[0].payload, 4, &ev), 0);
		assert_int_equal(ev.event, dsp_dtmf_char_to_event(testv[t].digit));
		assert_false(ev.end);
		/* two equal tones: total power is 3 dB above each */
		assert_true(abs((int)ev.volume - (-testv[t].level - 3)) <= 2);
		assert_int_equal(ev.duration, TICK);
		/* the start lies within the tone (+ detection delay) */
		assert_true((uint32_t)(pk[0].ts - ts0) >= 400 &&
			    (uint32_t)(pk[0].ts - ts0) <= 400 + 400);
		for (size_t i = 1; i < np; i++) {
			assert_int_equal(dsp_dtmf_event_decode(pk[i].payload, 4, &ev), 0);
			assert_false(pk[i].marker);
			assert_int_equal(ev.event, dsp_dtmf_char_to_event(testv[t].digit));
			if (pk[i].ts != seg_ts) {
				/* new segment starts where the last one ended */
				assert_int_equal(last_dur, 0xffff);
				assert_int_equal(pk[i].ts, seg_ts + 0xffff);
				base += 0xffff;
				seg_ts = pk[i].ts;
			}
			if (ev.end) {
				if (ends++)
					assert_int_equal(ev.duration, final);
				final = ev.duration;
			} else {
				assert_int_equal(ends, 0);
				assert_true(ev.duration > last_dur || pk[i].ts != pk[i - 1].ts);
				updates++;
			}
			last_dur = ev.duration;
		}
		assert_int_equal(ends, 3);
		assert_true(updates >= testv[t].min_updates);
		/* total duration within two detector blocks + a tick of the tone */
		double total = base + final;
		if (fabs(total - testv[t].ms * 8.0) > 2 * 102 + TICK)
			fail_msg("case %zu: duration %.0f for %u ms", t, total, testv[t].ms);
		assert_true(abs((int)got.dur_ms[0] - (int)testv[t].ms) <= 45);
		dsp_dtmf_det_free(d);
	}

	/* update cadence: every 50 ms = 400 units on 20 ms ticks */
	{
		struct dsp_dtmf_det_cfg cfg;
		struct dsp_dtmf_det *d;
		static struct dsp_dtmf_out outs[200];
		size_t no = 0, n = make_digit(buf, ARRAY_SIZE(buf), '1', -10, 0, 500);
		dsp_dtmf_det_cfg_default(&cfg);
		assert_int_equal(dsp_dtmf_det_alloc(&d, &cfg, NULL, NULL), 0);
		run_det(d, buf, n, 1000, outs, &no);
		uint16_t prev = 0;
		unsigned checked = 0;
		for (size_t i = 0; i < no; i++) {
			struct dsp_dtmf_event ev;
			dsp_dtmf_event_decode(outs[i].pkt[0].payload, 4, &ev);
			if (ev.end)
				break;
			if (prev) {
				/* consecutive updates 40 or 60 ms apart, 50 on average */
				assert_true(ev.duration - prev == 320 || ev.duration - prev == 480 ||
					    ev.duration - prev == 400);
				checked++;
			}
			prev = ev.duration;
		}
		assert_true(checked >= 8);
		dsp_dtmf_det_free(d);
	}
}

static void test_muting(void **state)
{
	static const struct {
		bool lookahead;
		double max_leak;	/* of the digit's energy */
	} testv[] = { { false, 0.25 }, { true, 0.01 } };
	static int16_t buf[8000 * 2], orig[8000 * 2];
	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(testv); t++) {
		struct dsp_dtmf_det_cfg cfg;
		struct dsp_dtmf_det *d;
		size_t n = make_digit(orig, ARRAY_SIZE(orig), '9', -8, 0, 200);
		double leak = 0, tone = 0;
		memcpy(buf, orig, sizeof(buf));
		for (size_t i = 400; i < 400 + 1600; i++)
			tone += (double)buf[i] * buf[i];
		dsp_dtmf_det_cfg_default(&cfg);
		cfg.lookahead = testv[t].lookahead;
		assert_int_equal(dsp_dtmf_det_alloc(&d, &cfg, NULL, NULL), 0);
		for (size_t i = 0; i + TICK <= n; i += TICK) {
			struct dsp_dtmf_out o;
			dsp_dtmf_det_process(d, buf + i, TICK, (uint32_t)i, &o);
			for (size_t k = 0; k < TICK; k++)
				leak += (double)buf[i + k] * buf[i + k];
		}
		if (getenv("DTMF_DEBUG"))
			print_message("lookahead %d: in-band leak %.1f %% of the digit\n",
				      testv[t].lookahead, 100 * leak / tone);
		if (leak > testv[t].max_leak * tone)
			fail_msg("lookahead %d: leak %.1f %%", testv[t].lookahead,
				 100 * leak / tone);
		/* a second detector on the muted audio hears nothing */
		struct digits got = { { 0 }, 0, { 0 }, 0 };
		struct dsp_dtmf_det *d2;
		cfg.lookahead = false;
		assert_int_equal(dsp_dtmf_det_alloc(&d2, &cfg, digit_h, &got), 0);
		run_det(d2, buf, n, 0, NULL, NULL);
		assert_int_equal(got.n, 0);
		dsp_dtmf_det_free(d);
		dsp_dtmf_det_free(d2);

		/* without a digit the audio passes unchanged (one block late
		 * with lookahead) */
		cfg.lookahead = testv[t].lookahead;
		assert_int_equal(dsp_dtmf_det_alloc(&d, &cfg, NULL, NULL), 0);
		for (size_t i = 0; i < 8000; i++)
			orig[i] = (int16_t)(3000 * sin(2 * M_PI * 500 * i / 8000.0));
		memcpy(buf, orig, 8000 * sizeof(int16_t));
		for (size_t i = 0; i + TICK <= 8000; i += TICK) {
			struct dsp_dtmf_out o;
			dsp_dtmf_det_process(d, buf + i, TICK, (uint32_t)i, &o);
			assert_false(o.muted);
		}
		size_t lag = testv[t].lookahead ? TICK : 0;
		for (size_t i = lag; i < 8000; i++)
			assert_int_equal(buf[i], orig[i - lag]);
		dsp_dtmf_det_free(d);
	}
}

/* Feed packets to a generator while playing ticks; detect with spandsp. */
struct rxpkt {
	unsigned at_tick;
	uint32_t ts;
	bool marker;
	uint8_t event;
	bool end;
	uint16_t dur;
};

static void play(const struct rxpkt *p, size_t np, unsigned ticks, char *digits,
		 size_t dmax, unsigned *tone_samples, struct dsp_dtmf_gen **gout)
{
	struct dsp_dtmf_gen_cfg cfg;
	struct dsp_dtmf_gen *g;
	dtmf_rx_state_t *rx = dtmf_rx_init(NULL, NULL, NULL);
	int16_t blk[TICK];
	size_t k = 0;
	unsigned nz = 0;
	dsp_dtmf_gen_cfg_default(&cfg);
	assert_int_equal(dsp_dtmf_gen_alloc(&g, &cfg), 0);
	for (unsigned t = 0; t < ticks; t++) {
		for (; k < np && p[k].at_tick == t; k++) {
			struct dsp_dtmf_event ev = { p[k].event, p[k].end, 10, p[k].dur };
			uint8_t pl[4];
			dsp_dtmf_event_encode(&ev, pl);
			dsp_dtmf_gen_event(g, p[k].ts, p[k].marker, pl, 4);
		}
		for (unsigned i = 0; i < TICK; i++)
			blk[i] = 77; /* the decoded RTP audio, to be replaced */
		if (dsp_dtmf_gen_process(g, blk, TICK)) {
			for (unsigned i = 0; i < TICK; i++)
				nz += blk[i] != 0 && blk[i] != 77;
		} else {
			for (unsigned i = 0; i < TICK; i++)
				assert_int_equal(blk[i], 77);
			memset(blk, 0, sizeof(blk));
		}
		for (unsigned i = 0; i < TICK; i++)
			blk[i] = dsp_law_decode1(DSP_LAW_ULAW, dsp_law_encode1(DSP_LAW_ULAW, blk[i]));
		dtmf_rx(rx, blk, TICK);
	}
	size_t got = dtmf_rx_get(rx, digits, (int)dmax - 1);
	digits[got] = 0;
	*tone_samples = nz;
	dtmf_rx_free(rx);
	*gout = g;
}

static void test_generator(void **state)
{
	/* '7' for 800 units: start, updates, 3 ends; plus the same with
	 * every packet duplicated, with the ends lost, with the start lost */
	static const struct rxpkt normal[] = {
		{ 1, 1000, 1, 7, 0, 160 }, { 3, 1000, 0, 7, 0, 480 },
		{ 5, 1000, 0, 7, 0, 800 }, { 5, 1000, 0, 7, 1, 800 },
		{ 6, 1000, 0, 7, 1, 800 }, { 7, 1000, 0, 7, 1, 800 },
		/* then '#' 400 units, then a late packet of the old event */
		{ 20, 5000, 1, 11, 0, 160 }, { 22, 5000, 0, 11, 1, 400 },
		{ 22, 1000, 0, 7, 1, 800 },  { 23, 5000, 0, 11, 1, 400 },
		{ 24, 5000, 0, 11, 1, 400 },
	};
	static const struct rxpkt lost_end[] = {
		{ 1, 1000, 1, 3, 0, 160 }, { 3, 1000, 0, 3, 0, 480 },
	};
	static const struct rxpkt lost_start[] = {
		{ 4, 1000, 0, 4, 1, 640 }, { 5, 1000, 0, 4, 1, 640 },
	};
	static const struct rxpkt other[] = {
		{ 1, 1000, 1, 16, 0, 160 }, /* flash: not DTMF */
	};
	char digits[16];
	unsigned nz;
	struct dsp_dtmf_gen *g;
	(void)state;

	play(normal, ARRAY_SIZE(normal), 60, digits, sizeof(digits), &nz, &g);
	assert_string_equal(digits, "7#");
	/* exactly the reported durations (800 + 400) of non-zero tone,
	 * allowing for a few zero crossings landing on 0 */
	assert_true(nz <= 1200 && nz >= 1180);
	assert_int_equal(dsp_dtmf_gen_counters(g)->events, 2);
	assert_int_equal(dsp_dtmf_gen_counters(g)->duplicates, 5);
	dsp_dtmf_gen_free(g);

	/* duplicated packets change nothing */
	struct rxpkt dup[2 * ARRAY_SIZE(normal)];
	for (size_t i = 0; i < ARRAY_SIZE(normal); i++)
		dup[2 * i] = dup[2 * i + 1] = normal[i];
	play(dup, ARRAY_SIZE(dup), 60, digits, sizeof(digits), &nz, &g);
	assert_string_equal(digits, "7#");
	assert_true(nz <= 1200 && nz >= 1180);
	dsp_dtmf_gen_free(g);

	/* end packets lost: stops 200 ms after the last reported duration */
	play(lost_end, ARRAY_SIZE(lost_end), 60, digits, sizeof(digits), &nz, &g);
	assert_string_equal(digits, "3");
	assert_true(nz >= 480 + 1600 - 20 && nz <= 480 + 1600 + TICK);
	assert_int_equal(dsp_dtmf_gen_counters(g)->timeouts, 1);
	dsp_dtmf_gen_free(g);

	/* only end packets arrive: still played, for the reported time */
	play(lost_start, ARRAY_SIZE(lost_start), 30, digits, sizeof(digits), &nz, &g);
	assert_string_equal(digits, "4");
	assert_true(nz >= 620 && nz <= 640);
	dsp_dtmf_gen_free(g);

	play(other, ARRAY_SIZE(other), 10, digits, sizeof(digits), &nz, &g);
	assert_string_equal(digits, "");
	assert_int_equal(dsp_dtmf_gen_counters(g)->unsupported, 1);
	uint8_t shortpl[3] = { 1, 2, 3 };
	assert_int_equal(dsp_dtmf_gen_event(g, 1, 1, shortpl, 3), EBADMSG);

	/* a digit from SIP INFO */
	assert_int_equal(dsp_dtmf_gen_digit(g, 'B', 100, -10), 0);
	assert_int_equal(dsp_dtmf_gen_digit(g, 'x', 100, -10), EINVAL);
	int16_t blk[TICK];
	unsigned on = 0;
	for (int t = 0; t < 20; t++) {
		memset(blk, 0, sizeof(blk));
		dsp_dtmf_gen_process(g, blk, TICK);
		for (int i = 0; i < TICK; i++)
			on += blk[i] != 0;
	}
	assert_true(on >= 780 && on <= 800);
	dsp_dtmf_gen_free(g);
}

static void test_info(void **state)
{
	static const struct {
		const char *body;
		int err;
		char digit;
		unsigned dur;
	} testv[] = {
		{ "Signal=5\r\nDuration=160\r\n", 0, '5', 160 },
		{ "signal= *\nduration = 100\n", 0, '*', 100 },
		{ "Signal=11\r\nDuration=250", 0, '#', 250 },
		{ "Signal=10", 0, '*', 250 },
		{ "Duration=100\r\nSignal=D\r\n", 0, 'D', 100 },
		{ "Signal=d", 0, 'D', 250 },
		{ "Signal=16\r\n", EINVAL, 0, 0 },
		{ "Signal=X\r\n", EINVAL, 0, 0 },
		{ "Duration=100\r\n", EINVAL, 0, 0 },
		{ "Signal=1\r\nDuration=0\r\n", EINVAL, 0, 0 },
		{ "Signal=1\r\nDuration=abc\r\n", EINVAL, 0, 0 },
		{ "", EINVAL, 0, 0 },
		{ "garbage without equals", EINVAL, 0, 0 },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(testv); i++) {
		struct pl b = pl_from_str(testv[i].body);
		char d = 0;
		unsigned dur = 0;
		assert_int_equal(dsp_dtmf_info_parse(&b, &d, &dur), testv[i].err);
		if (!testv[i].err) {
			assert_int_equal(d, testv[i].digit);
			assert_int_equal(dur, testv[i].dur);
		}
	}
	char buf[64];
	size_t len;
	assert_int_equal(dsp_dtmf_info_print(buf, sizeof(buf), '#', 160, &len), 0);
	assert_string_equal(buf, "Signal=#\r\nDuration=160\r\n");
	assert_int_equal(len, strlen(buf));
	assert_int_equal(dsp_dtmf_info_print(buf, 10, '#', 160, &len), ENOSPC);
	assert_int_equal(dsp_dtmf_info_print(buf, sizeof(buf), 'z', 160, &len), EINVAL);
	/* every digit round-trips */
	for (unsigned e = 0; e < 16; e++) {
		char c = (char)dsp_dtmf_event_to_char(e), d;
		unsigned dur;
		assert_int_equal(dsp_dtmf_info_print(buf, sizeof(buf), c, 90, &len), 0);
		struct pl b = { buf, len };
		assert_int_equal(dsp_dtmf_info_parse(&b, &d, &dur), 0);
		assert_int_equal(d, c);
		assert_int_equal(dur, 90);
	}
	/* event payload codec */
	struct dsp_dtmf_event ev = { 11, true, 63, 0xabcd }, back;
	uint8_t p[4];
	dsp_dtmf_event_encode(&ev, p);
	assert_int_equal(p[0], 11);
	assert_int_equal(p[1], 0xbf);
	assert_int_equal(p[2], 0xab);
	assert_int_equal(p[3], 0xcd);
	assert_int_equal(dsp_dtmf_event_decode(p, 4, &back), 0);
	assert_int_equal(back.event, 11);
	assert_true(back.end);
	assert_int_equal(back.volume, 63);
	assert_int_equal(back.duration, 0xabcd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_q24_limits),
		cmocka_unit_test(test_talk_off),
		cmocka_unit_test(test_quiet_gate),
		cmocka_unit_test(test_event_packets),
		cmocka_unit_test(test_muting),
		cmocka_unit_test(test_generator),
		cmocka_unit_test(test_info),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
