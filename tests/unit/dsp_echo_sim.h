/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test fixture for dsp/echo: a G.168 echo path simulator. The hybrid
 * responses are the ITU-T G.168 Annex D models D.2-D.9 (as shipped in
 * spandsp's <spandsp/g168models.h>), behind a bulk delay and scaled to a
 * requested echo return loss, with A-law companding of both directions as
 * on a real E1 line. Far-end sources: Hoth-spectrum noise (spandsp's noise
 * generator) or a composite source signal in the spirit of G.168 §6.4 /
 * Annex C (voiced burst, pseudo-noise burst, pause, alternating sign).
 *
 * Shared by tests/unit/test_dsp_echo.c, tests/tools/echo_report.c and
 * tests/bench/echo_bench.c; each includes it in exactly one file.
 */
#ifndef TESTS_DSP_ECHO_SIM_H
#define TESTS_DSP_ECHO_SIM_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>
#include <spandsp/g168models.h>

#define SIM_RATE 8000
#define SIM_MAXH 1200

struct sim_model {
	const char *name;
	const int32_t *coeffs;
	size_t len;
};

#define SIM_MODEL(n) { "D." #n, line_model_d##n##_coeffs, \
	sizeof(line_model_d##n##_coeffs) / sizeof(line_model_d##n##_coeffs[0]) }

static const struct sim_model sim_models[] = {
	SIM_MODEL(2), SIM_MODEL(3), SIM_MODEL(4), SIM_MODEL(5),
	SIM_MODEL(6), SIM_MODEL(7), SIM_MODEL(8), SIM_MODEL(9),
};
#define SIM_NMODELS (sizeof(sim_models) / sizeof(sim_models[0]))

enum sim_source {
	SIM_SRC_HOTH = 0,
	SIM_SRC_CSS,
	SIM_SRC_SILENCE,
};

/* One far-end (or near-end) talker. */
struct sim_talker {
	enum sim_source src;
	noise_state_t *noise;
	double gain;            /* CSS amplitude */
	uint32_t n;             /* samples produced */
	double ph;
};

/*
 * Composite-source-like signal, period 350 ms: 48 ms voiced (harmonics of
 * 140 Hz with a two-formant envelope), 200 ms pseudo-noise, 102 ms pause;
 * every other period inverted, as in G.168's CSS.
 */
static inline double sim_css_unit(struct sim_talker *t)
{
	const uint32_t per = 2800, voiced = 384, pn = 1600;
	uint32_t k = t->n % per;
	double sign = ((t->n / per) & 1) ? -1.0 : 1.0, v = 0;

	if (k < voiced) {
		static const double amp[] = { 0.6, 1.0, 0.9, 0.5, 0.35, 0.5,
					      0.45, 0.25, 0.15, 0.2, 0.15,
					      0.1, 0.08, 0.1, 0.06, 0.04 };
		double f0 = 140.0, tt = (double)k / SIM_RATE;

		for (size_t h = 0; h < sizeof(amp) / sizeof(amp[0]); h++)
			v += amp[h] * sin(2 * M_PI * f0 * (double)(h + 1) * tt +
					  0.7 * (double)h);
		v *= 0.45;
	} else if (k < voiced + pn) {
		v = noise(t->noise) / 8000.0;
	}
	return sign * v;
}

static inline int sim_talker_init(struct sim_talker *t, enum sim_source src,
				  float dbm0, int seed)
{
	memset(t, 0, sizeof(*t));
	t->src = src;
	if (src == SIM_SRC_SILENCE)
		return 0;
	/* CSS: the noise part at level, the voiced part close to it */
	t->noise = noise_init_dbm0(NULL, seed, dbm0, NOISE_CLASS_HOTH, 7);
	if (!t->noise)
		return -1;
	t->gain = 8000.0;
	return 0;
}

static inline void sim_talker_free(struct sim_talker *t)
{
	if (t->noise)
		noise_free(t->noise);
	t->noise = NULL;
}

static inline int16_t sim_talker_next(struct sim_talker *t)
{
	double v = 0;

	switch (t->src) {
	case SIM_SRC_HOTH:
		v = noise(t->noise);
		break;
	case SIM_SRC_CSS:
		v = t->gain * sim_css_unit(t);
		break;
	case SIM_SRC_SILENCE:
		break;
	}
	t->n++;
	if (v > 32767)
		v = 32767;
	if (v < -32768)
		v = -32768;
	return (int16_t)lrint(v);
}

/* Echo path: bulk delay + G.168 hybrid model + ERL, A-law both ways. */
struct sim_path {
	double h[SIM_MAXH];     /* model taps (no delay), scaled */
	size_t hlen;
	size_t delay;
	double x[2048];         /* far-end history ring (as on the line) */
	size_t xi;
};

static inline int16_t sim_alaw(double v)
{
	if (v > 32767)
		v = 32767;
	if (v < -32768)
		v = -32768;
	return alaw_to_linear(linear_to_alaw((int)lrint(v)));
}

static inline void sim_path_set(struct sim_path *p, const struct sim_model *m,
				size_t delay, double scale)
{
	memset(p, 0, sizeof(*p));
	p->hlen = m->len;
	p->delay = delay;
	for (size_t i = 0; i < m->len; i++)
		p->h[i] = (double)m->coeffs[i] / 32768.0 * scale;
}

/* Echo of the far-end sample x (linear, as sent on the line). */
static inline double sim_path_echo(struct sim_path *p, int16_t x)
{
	const size_t mask = 2047;
	double y = 0;

	p->x[p->xi & mask] = x;
	size_t base = p->xi - p->delay;

	for (size_t k = 0; k < p->hlen; k++)
		y += p->h[k] * p->x[(base - k) & mask];
	p->xi++;
	return y;
}

/*
 * Set up the path so that the far-end source (dbm0 level, src) sees the
 * requested ERL: calibrated on 1 s of the actual signal, not on white
 * noise, as G.168 measures ERL with the test signal.
 */
static inline int sim_path_init(struct sim_path *p, const struct sim_model *m,
				size_t delay, double erl_db,
				enum sim_source src, float dbm0, int seed)
{
	struct sim_talker t;
	double pin = 0, pout = 0;

	sim_path_set(p, m, 0, 1.0);
	if (sim_talker_init(&t, src == SIM_SRC_SILENCE ? SIM_SRC_HOTH : src,
			    dbm0, seed + 7919))
		return -1;
	for (int i = 0; i < SIM_RATE; i++) {
		int16_t x = sim_alaw(sim_talker_next(&t));
		double y = sim_path_echo(p, x);

		pin += (double)x * x;
		pout += y * y;
	}
	sim_talker_free(&t);
	double scale = sqrt(pin / pout * pow(10.0, -erl_db / 10.0));

	sim_path_set(p, m, delay, scale);
	return 0;
}

static inline double sim_db(double num, double den)
{
	if (den < 1e-9)
		den = 1e-9;
	if (num < 1e-9)
		num = 1e-9;
	return 10.0 * log10(num / den);
}

/* A canceller under test: process n samples (rx, tx as on the line). */
typedef void (*sim_ec_fn)(void *ctx, const int16_t *rx, const int16_t *tx,
			  int16_t *out, size_t n);

struct sim_scenario {
	const struct sim_model *model;
	size_t delay;           /* bulk delay, samples */
	double erl_db;
	enum sim_source src;
	float dbm0;             /* far-end level */
	double seconds;
	int seed;
};

struct sim_result {
	double t20, t30;        /* s to ERLE >= 20/30 dB for good, -1 never */
	double erle_ss;         /* ERLE from 1 s to the end, dB */
	double erle_max;        /* best 100 ms window, dB */
	double line_ss;         /* rx/out power ratio from 1 s, dB */
};

#define SIM_FRAME 160
#define SIM_WIN 5               /* frames per ERLE window (100 ms) */

/*
 * Run a canceller (NLP off, as G.168 measures convergence on the linear
 * part) on one scenario with no near-end signal. ERLE is the echo power
 * over the power of (echo - estimate), the estimate being rx - out: the
 * canceller's own performance, without the A-law quantisation noise of
 * the line that no canceller can remove (that ratio, rx over out, is
 * line_ss; it tops out near 33-36 dB at these levels). A time t_X is the end of
 * the last 100 ms window whose ERLE was below X: from then on it stayed at
 * or above X. Windows mostly in far-end pauses (far-end power 6 dB below
 * the loudest window) are skipped.
 */
static inline int sim_run_conv(sim_ec_fn fn, void *ctx,
			       const struct sim_scenario *sc,
			       struct sim_result *res)
{
	struct sim_path *path = malloc(sizeof(*path));
	struct sim_talker far;
	size_t frames = (size_t)(sc->seconds * SIM_RATE / SIM_FRAME);
	double wrx[SIM_WIN] = { 0 }, wout[SIM_WIN] = { 0 };
	double wtx[SIM_WIN] = { 0 }, txmax = 0;
	double ss_rx = 0, ss_out = 0, last20 = 0, last30 = 0;
	double ss_lrx = 0, ss_lout = 0;
	bool ok20 = false, ok30 = false;

	if (!path)
		return -1;
	if (sim_path_init(path, sc->model, sc->delay, sc->erl_db, sc->src,
			  sc->dbm0, sc->seed) ||
	    sim_talker_init(&far, sc->src, sc->dbm0, sc->seed)) {
		free(path);
		return -1;
	}
	memset(res, 0, sizeof(*res));
	res->erle_max = -100;
	for (size_t f = 0; f < frames; f++) {
		int16_t tx[SIM_FRAME], rx[SIM_FRAME], out[SIM_FRAME];
		double ech[SIM_FRAME];
		double prx = 0, pout = 0, ptx = 0, lrx = 0, lout = 0;

		for (int i = 0; i < SIM_FRAME; i++) {
			tx[i] = sim_alaw(sim_talker_next(&far));
			ech[i] = sim_path_echo(path, tx[i]);
			rx[i] = sim_alaw(ech[i]);
		}
		fn(ctx, rx, tx, out, SIM_FRAME);
		for (int i = 0; i < SIM_FRAME; i++) {
			double re = ech[i] - (double)(rx[i] - out[i]);

			prx += ech[i] * ech[i];
			pout += re * re;
			lrx += (double)rx[i] * rx[i];
			lout += (double)out[i] * out[i];
			ptx += (double)tx[i] * tx[i];
		}
		wtx[f % SIM_WIN] = ptx;
		wrx[f % SIM_WIN] = prx;
		wout[f % SIM_WIN] = pout;
		double t = (double)(f + 1) * SIM_FRAME / SIM_RATE;

		if (t > 1.0) {
			ss_rx += prx;
			ss_out += pout;
			ss_lrx += lrx;
			ss_lout += lout;
		}
		if (f + 1 < SIM_WIN)
			continue;
		double srx = 0, sout = 0, stx = 0;

		for (int k = 0; k < SIM_WIN; k++) {
			srx += wrx[k];
			sout += wout[k];
			stx += wtx[k];
		}
		/* skip windows mostly in far-end pauses (6 dB below peak) */
		if (stx > txmax)
			txmax = stx;
		if (stx < 0.25 * txmax)
			continue;
		double erle = sim_db(srx, sout);

		if (erle > res->erle_max)
			res->erle_max = erle;
		if (erle < 20) {
			last20 = t;
			ok20 = false;
		} else {
			ok20 = true;
		}
		if (erle < 30) {
			last30 = t;
			ok30 = false;
		} else {
			ok30 = true;
		}
	}
	res->t20 = ok20 ? last20 : -1;
	res->t30 = ok30 ? last30 : -1;
	res->erle_ss = sim_db(ss_rx, ss_out);
	res->line_ss = sim_db(ss_lrx, ss_lout);
	sim_talker_free(&far);
	free(path);
	return 0;
}

#endif
