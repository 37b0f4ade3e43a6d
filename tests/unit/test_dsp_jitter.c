/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for dsp/jitter: deterministic network simulations (reorder,
 * loss, bursts, duplicates, jitter adaptation, +/-0.5 % clock drift,
 * timestamp jumps, fixed mode, 10/20/30 ms packets). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dsp/jitter.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Payload = little-endian int16 samples; the test decoder undoes it. */
static int dec_h(void *arg, const uint8_t *p, size_t plen, int16_t *pcm,
		 size_t max, size_t *n)
{
	(void)arg;
	if (plen % 2 || plen / 2 > max)
		return EINVAL;
	for (size_t i = 0; i < plen / 2; i++)
		pcm[i] = (int16_t)(p[2 * i] | p[2 * i + 1] << 8);
	*n = plen / 2;
	return 0;
}

/* Source signal by sample index: a 440 Hz tone, optionally with talkspurts
 * (1 s on, 0.5 s off). Never exactly zero while talking, so output
 * positions can be recognised. */
static int16_t src(uint32_t i, bool spurts)
{
	if (spurts && (i % 12000) >= 8000)
		return 0;
	return (int16_t)(6000 * sin(2 * M_PI * 440 * i / 8000.0) + (i % 7) + 1);
}

struct pkt {
	uint64_t at_us;
	uint32_t idx;	/* first sample index */
	uint16_t seq;
	int dup;
};

static int cmp_pkt(const void *a, const void *b)
{
	const struct pkt *x = a, *y = b;
	if (x->at_us != y->at_us)
		return x->at_us < y->at_us ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct simcfg {
	struct dsp_jb_cfg jb;
	unsigned ptime;		/* ms */
	unsigned npkt;
	double period_us;	/* sender packet spacing (drift) */
	uint32_t (*delay_us)(unsigned k);
	bool (*lost)(unsigned k);
	bool dup;
	bool spurts;
	uint32_t jump_at;	/* packet index where ts jumps (0: never) */
	uint32_t jump_by;
};

struct simres {
	int16_t *out;
	size_t nout;
	size_t first_audio;	/* first output sample that is not idle */
	struct dsp_jb_stats st;
	unsigned late_tail;	/* late drops in the second half */
	unsigned max_delay_ms, min_delay_ms; /* over the second half */
};

static uint32_t lcg_state;
static uint32_t lcg(void)
{
	lcg_state = lcg_state * 1664525u + 1013904223u;
	return lcg_state >> 8;
}

static void simulate(const struct simcfg *c, struct simres *r)
{
	const unsigned spp = c->ptime * 8;
	struct pkt *pk = calloc(2 * c->npkt, sizeof(*pk));
	unsigned np = 0;
	struct dsp_jb *jb;
	uint32_t ts0 = 0xfffff000u; /* wraps during the run */

	assert_non_null(pk);
	for (unsigned k = 0; k < c->npkt; k++) {
		if (c->lost && c->lost(k))
			continue;
		pk[np].at_us = (uint64_t)(k * c->period_us) +
			       (c->delay_us ? c->delay_us(k) : 5000);
		pk[np].idx = k * spp;
		pk[np].seq = (uint16_t)k;
		np++;
		if (c->dup) {
			pk[np] = pk[np - 1];
			pk[np].at_us += 3000;
			pk[np].dup = 1;
			np++;
		}
	}
	qsort(pk, np, sizeof(*pk), cmp_pkt);
	assert_int_equal(dsp_jb_alloc(&jb, &c->jb, dec_h, NULL), 0);

	uint64_t end_us = (uint64_t)(c->npkt * c->period_us) + 400000;
	size_t nticks = end_us / 20000 + 1, tick = c->jb.tick;
	r->out = calloc(nticks * tick, sizeof(int16_t));
	assert_non_null(r->out);
	r->nout = 0;
	r->first_audio = SIZE_MAX;
	r->late_tail = 0;
	r->max_delay_ms = 0;
	r->min_delay_ms = UINT32_MAX;
	unsigned p = 0;
	uint64_t last_played = 0;
	for (size_t j = 0; j < nticks; j++) {
		uint64_t t = j * 20000 + 7000;
		for (; p < np && pk[p].at_us <= t; p++) {
			uint8_t buf[DSP_JB_MAX_PAYLOAD];
			uint32_t ts = ts0 + pk[p].idx;
			if (c->jump_at && pk[p].seq >= c->jump_at)
				ts += c->jump_by;
			for (unsigned i = 0; i < spp; i++) {
				int16_t v = src(pk[p].idx + i, c->spurts);
				buf[2 * i] = (uint8_t)v;
				buf[2 * i + 1] = (uint8_t)((uint16_t)v >> 8);
			}
			int err = dsp_jb_put(jb, pk[p].seq, ts, buf, 2 * spp);
			if (err == ETIME && pk[p].seq >= c->npkt / 2)
				r->late_tail++;
			if (pk[p].dup)
				assert_true(err == EALREADY || err == ETIME);
		}
		enum dsp_jb_frame f = dsp_jb_get(jb, r->out + r->nout);
		if (f != DSP_JB_IDLE && r->first_audio == SIZE_MAX)
			r->first_audio = r->nout;
		r->nout += tick;
		/* statistics as of the tick that played the last audio: what
		 * comes after the stream ended is not concealment */
		struct dsp_jb_stats now;
		dsp_jb_stats(jb, &now);
		if (now.played != last_played) {
			last_played = now.played;
			r->st = now;
		}
		if (t > end_us / 2 && t < (uint64_t)(c->npkt * c->period_us)) {
			struct dsp_jb_stats st;
			dsp_jb_stats(jb, &st);
			if (st.delay_ms > r->max_delay_ms)
				r->max_delay_ms = st.delay_ms;
			if (st.delay_ms < r->min_delay_ms)
				r->min_delay_ms = st.delay_ms;
		}
	}
	if (getenv("JB_DEBUG"))
		print_message("sim: put %llu dup %llu late %llu ovf %llu resync %llu "
			      "played %llu conc %llu drop %llu ins %llu delay %u "
			      "[%u..%u] late_tail %u\n",
			      (unsigned long long)r->st.put, (unsigned long long)r->st.dup,
			      (unsigned long long)r->st.late, (unsigned long long)r->st.overflow,
			      (unsigned long long)r->st.resync, (unsigned long long)r->st.played,
			      (unsigned long long)r->st.concealed, (unsigned long long)r->st.dropped,
			      (unsigned long long)r->st.inserted, r->st.delay_ms,
			      r->min_delay_ms, r->max_delay_ms, r->late_tail);
	dsp_jb_free(jb);
	free(pk);
}

/* Output must be the source, sample for sample, from first_audio on, for
 * `count` samples (skipping [skip_from, skip_to) source indexes). */
static void check_exact(const struct simres *r, size_t count, bool spurts)
{
	assert_true(r->first_audio != SIZE_MAX);
	/* the buffer started with silence: find where index 0 lands */
	size_t base = r->first_audio;
	while (base < r->nout && r->out[base] == 0)
		base++;
	assert_true(base + count <= r->nout);
	for (size_t i = 0; i < count; i++)
		if (r->out[base + i] != src((uint32_t)i, spurts))
			fail_msg("sample %zu: got %d want %d", i, r->out[base + i],
				 src((uint32_t)i, spurts));
}

static uint32_t d_reorder(unsigned k)
{
	/* even packets 25 ms, odd 2 ms: each odd one overtakes its pair */
	return k % 2 ? 2000 : 25000;
}

static uint32_t d_const(unsigned k)
{
	(void)k;
	return 5000;
}

static bool lose_some(unsigned k)
{
	return k == 20 || (k >= 40 && k < 45);
}

static void base_cfg(struct simcfg *c)
{
	memset(c, 0, sizeof(*c));
	dsp_jb_cfg_default(&c->jb);
	c->jb.min_ms = 20;
	c->ptime = 20;
	c->npkt = 70;	/* 1.4 s: shorter than the forced-correction hold-off */
	c->period_us = 20000;
	c->delay_us = d_const;
}

static void test_reorder_dup_ptime(void **state)
{
	static const struct {
		unsigned ptime;
		bool reorder, dup;
		enum dsp_jb_mode mode;
	} testv[] = {
		{ 20, true, false, DSP_JB_ADAPTIVE }, { 20, false, true, DSP_JB_ADAPTIVE },
		{ 10, true, true, DSP_JB_ADAPTIVE },  { 30, true, false, DSP_JB_ADAPTIVE },
		{ 20, true, true, DSP_JB_FIXED },     { 30, false, false, DSP_JB_FIXED },
	};
	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(testv); t++) {
		struct simcfg c;
		struct simres r;
		base_cfg(&c);
		c.ptime = testv[t].ptime;
		c.npkt = 1400 / testv[t].ptime;
		c.period_us = testv[t].ptime * 1000.0;
		c.delay_us = testv[t].reorder ? d_reorder : d_const;
		c.dup = testv[t].dup;
		c.jb.mode = testv[t].mode;
		simulate(&c, &r);
		/* a duplicate arriving after its original was played counts
		 * as late; nothing else may be late */
		assert_int_equal(r.st.late + r.st.dup, testv[t].dup ? c.npkt : 0);
		/* only the tail of the last tick, after the stream ended */
		assert_true(r.st.concealed < c.jb.tick);
		assert_int_equal(r.st.dropped, 0);
		assert_int_equal(r.st.put, c.npkt);
		check_exact(&r, c.npkt * c.ptime * 8, false);
		free(r.out);
	}
}

static void test_loss_plc(void **state)
{
	static const enum dsp_jb_mode modes[] = { DSP_JB_ADAPTIVE, DSP_JB_FIXED };
	(void)state;
	for (size_t m = 0; m < ARRAY_SIZE(modes); m++) {
		struct simcfg c;
		struct simres r;
		base_cfg(&c);
		c.jb.min_ms = 40; /* = the start delay: no shrinking */
		c.jb.mode = modes[m];
		c.lost = lose_some;
		simulate(&c, &r);
		assert_int_equal(r.st.concealed, 6 * 160);
		assert_int_equal(r.st.late, 0);
		size_t base = r.first_audio;
		while (r.out[base] == 0)
			base++;
		/* frames before the loss are exact */
		for (size_t i = 0; i < 20 * 160; i++)
			assert_int_equal(r.out[base + i], src((uint32_t)i, false));
		/* the lost frame: PLC continues the tone (adaptive) or is
		 * silence (fixed, for modems) */
		double e = 0, es = 0;
		for (size_t i = 20 * 160; i < 21 * 160; i++) {
			e += (double)r.out[base + i] * r.out[base + i];
			es += (double)src((uint32_t)i, false) * src((uint32_t)i, false);
		}
		if (modes[m] == DSP_JB_ADAPTIVE)
			assert_true(e > 0.3 * es);
		else
			assert_true(e == 0);
		/* after the burst the stream is exact again (one frame for the
		 * PLC's overlap-add) */
		for (size_t i = 46 * 160; i < 70 * 160; i++)
			assert_int_equal(r.out[base + i], src((uint32_t)i, false));
		free(r.out);
	}
}

static uint32_t d_jitter(unsigned k)
{
	/* 0..80 ms uniformly for the first 1000 packets, then steady */
	if (k < 10)
		return 1000; /* an optimistic start */
	if (k < 1000)
		return 1000 + lcg() % 80000;
	return 3000;
}

static void test_adaptive_jitter(void **state)
{
	struct simcfg c;
	struct simres r;
	(void)state;
	base_cfg(&c);
	c.jb.min_ms = 20;
	c.jb.max_ms = 300;
	c.npkt = 1000;
	lcg_state = 1;
	c.delay_us = d_jitter;
	c.spurts = true;
	simulate(&c, &r);
	/* it grows to cover 80 ms of jitter: after the first seconds hardly
	 * anything is late, and the delay stays inside the bounds */
	if (r.late_tail > 5)
		fail_msg("late in second half: %u", r.late_tail);
	assert_true(r.max_delay_ms <= 300);
	assert_true(r.min_delay_ms >= 20);
	assert_true(r.st.inserted > 0);
	free(r.out);

	/* then the jitter goes away: the delay comes back down (in silence) */
	c.npkt = 2000;
	lcg_state = 1;
	simulate(&c, &r);
	assert_true(r.st.dropped > 0);
	assert_true(r.st.delay_ms <= 60);
	free(r.out);
}

static void test_drift(void **state)
{
	static const struct {
		double period_us;
		bool spurts;
	} testv[] = {
		{ 19900, false }, { 20100, false },	/* +-0.5 %, no silence */
		{ 19900, true }, { 20100, true },	/* +-0.5 %, talkspurts */
	};
	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(testv); t++) {
		struct simcfg c;
		struct simres r;
		base_cfg(&c);
		c.jb.min_ms = 20;
		c.jb.max_ms = 120;
		c.npkt = 3000; /* 60 s */
		c.period_us = testv[t].period_us;
		c.spurts = testv[t].spurts;
		simulate(&c, &r);
		/* 0.5 % of 60 s = 300 ms = 2400 samples to absorb */
		double need = fabs(3000 * 160 * (1 - 20000 / testv[t].period_us));
		double did = testv[t].period_us < 20000 ? (double)r.st.dropped
							: (double)r.st.inserted;
		if (did < need * 0.7)
			fail_msg("case %zu: corrected %.0f of %.0f samples", t, did, need);
		assert_true(r.st.late <= 2);
		/* min_ms is restored at silence boundaries (or after 2 s of
		 * continuous speech); inside a 1 s talkspurt drift may take
		 * 0.5 % of it */
		assert_true(r.max_delay_ms <= 120);
		assert_true(r.min_delay_ms >= 5);
		/* concealment only for the start-up, never for real loss */
		assert_true(r.st.concealed <= 160);
		free(r.out);
	}
}

/* every 100th packet 2.5 ms later than the rest (just after its tick):
 * it leaves the 64-packet window before the next one comes */
static uint32_t d_rare_late(unsigned k)
{
	return k % 100 == 25 ? 7500 : 5000;
}

/*
 * No loss, no drift, continuous speech, one packet in 100 slightly late:
 * the buffer must settle once and then leave the audio alone. (It used to
 * give delay back whenever the late packet left its window and grow again
 * at the next one, slipping samples in live audio every second.)
 */
static void test_no_hunting(void **state)
{
	struct simcfg c;
	struct simres r;
	(void)state;
	base_cfg(&c);
	c.npkt = 1000; /* 20 s */
	c.delay_us = d_rare_late;
	simulate(&c, &r);
	if (r.st.dropped + r.st.inserted > 160)
		fail_msg("slipped: dropped %llu inserted %llu samples",
			 (unsigned long long)r.st.dropped, (unsigned long long)r.st.inserted);
	assert_true(r.st.concealed <= 160);
	free(r.out);
}

static void test_jump_and_fixed(void **state)
{
	struct simcfg c;
	struct simres r;
	(void)state;
	base_cfg(&c);
	c.npkt = 200;
	c.jump_at = 100;
	c.jump_by = 80000; /* 10 s ahead */
	simulate(&c, &r);
	assert_int_equal(r.st.resync, 1);
	assert_true(r.st.late <= 1);
	/* nearly everything still played */
	assert_true(r.st.played >= 195 * 160);
	free(r.out);

	c.jump_by = (uint32_t)-80000; /* 10 s back */
	simulate(&c, &r);
	free(r.out);
	assert_int_equal(r.st.resync, 1);
	assert_true(r.st.played >= 195 * 160);

	/* fixed mode: delay stays at the configured value, no adaptation to
	 * 0..30 ms jitter other than whole-frame drift corrections */
	base_cfg(&c);
	c.jb.mode = DSP_JB_FIXED;
	c.jb.fixed_ms = 80;
	c.npkt = 500;
	lcg_state = 7;
	c.delay_us = d_jitter;
	simulate(&c, &r);
	assert_true(r.min_delay_ms >= 40 && r.max_delay_ms <= 120);
	assert_int_equal(r.st.concealed, 0);
	free(r.out);
}

static void test_api(void **state)
{
	struct dsp_jb_cfg cfg;
	struct dsp_jb *jb;
	int16_t pcm[DSP_JB_MAX_TICK];
	uint8_t big[DSP_JB_MAX_PAYLOAD + 2] = { 0 };
	(void)state;
	dsp_jb_cfg_default(&cfg);
	cfg.tick = 0;
	assert_int_equal(dsp_jb_alloc(&jb, &cfg, dec_h, NULL), EINVAL);
	cfg.tick = 160;
	cfg.min_ms = 300;
	assert_int_equal(dsp_jb_alloc(&jb, &cfg, dec_h, NULL), EINVAL);
	dsp_jb_cfg_default(&cfg);
	assert_int_equal(dsp_jb_alloc(&jb, &cfg, dec_h, NULL), 0);
	assert_int_equal(dsp_jb_get(jb, pcm), DSP_JB_IDLE);
	assert_int_equal(dsp_jb_put(jb, 1, 100, big, sizeof(big)), EMSGSIZE);
	assert_int_equal(dsp_jb_put(jb, 1, 100, big, 0), EINVAL);
	/* odd length: the decoder refuses, the frame is concealed */
	assert_int_equal(dsp_jb_put(jb, 1, 100, big, 5), 0);
	assert_int_equal(dsp_jb_put(jb, 1, 100, big, 5), EALREADY);
	for (int i = 0; i < 5; i++)
		dsp_jb_get(jb, pcm);
	struct dsp_jb_stats st;
	dsp_jb_stats(jb, &st);
	assert_int_equal(st.decode_err, 1);
	/* full buffer */
	for (unsigned i = 0; i < DSP_JB_SLOTS; i++)
		assert_int_equal(dsp_jb_put(jb, (uint16_t)(2 + i),
					    2000 + 160 * (i + 1), big, 320), 0);
	assert_int_equal(dsp_jb_put(jb, 99, 2000 + 160 * 33, big, 320), ENOSPC);
	dsp_jb_reset(jb);
	assert_int_equal(dsp_jb_get(jb, pcm), DSP_JB_IDLE);
	dsp_jb_free(jb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reorder_dup_ptime),
		cmocka_unit_test(test_loss_plc),
		cmocka_unit_test(test_adaptive_jitter),
		cmocka_unit_test(test_drift),
		cmocka_unit_test(test_no_hunting),
		cmocka_unit_test(test_jump_and_fixed),
		cmocka_unit_test(test_api),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
