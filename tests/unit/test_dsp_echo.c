/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for dsp/echo, the G.168 line echo canceller, on simulated
 * lines: the G.168 Annex D hybrid models D.2-D.9 (spandsp's g168models.h)
 * behind a bulk delay, ERL 6/12/20 dB, A-law both ways, Hoth-spectrum
 * far-end speech (spandsp's noise generator). Checks convergence and
 * steady-state ERLE on the full model x ERL x delay grid, double talk at
 * equal level, echo path change, the clean tail after the far end stops
 * with comfort noise at the background level, quiet near-end speech
 * passing the NLP, the NLP switched off for modems, G.168 test 6 style
 * narrow-band signals, a whole conversation with NLP and comfort noise,
 * SIMD variants against the C kernel, any block size, and the API.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dsp/echo.h"
#include "tests/unit/dsp_echo_sim.h"

static void ec_fn(void *ctx, const int16_t *rx, const int16_t *tx,
		  int16_t *out, size_t n)
{
	dsp_echo_process(ctx, rx, tx, out, n);
}

static struct dsp_echo *ec_new(unsigned flags, enum dsp_echo_simd simd)
{
	struct dsp_echo_cfg cfg;

	dsp_echo_cfg_default(&cfg);
	cfg.flags = flags;
	cfg.simd = simd;
	return dsp_echo_alloc(&cfg);
}

/* ---- a line with near-end signals ------------------------------------ */

struct line_cfg {
	size_t model;
	size_t delay;
	double erl;
	double far_start;       /* s; far end silent before */
	double far_stop;        /* s; far end silent from then (0 = never) */
	float near_dbm0;        /* near-end talker level */
	double near_on, near_off;
	float bg_dbm0;          /* near-end background; 0 = none */
	bool bg_hoth;           /* background Hoth-shaped, else AWGN */
	size_t model2;          /* path change to model2/delay2 at t_change */
	size_t delay2;
	double t_change;        /* 0 = no change */
	double seconds;
};

/* Per 10 ms frame powers (mean square). */
struct line_trace {
	size_t nfr;
	double *echo;           /* echo at the hybrid output */
	double *res;            /* echo - (rx - out): residual echo */
	double *out;
	double *nearp;          /* near-end talker + background */
	double *out_r1;         /* lag-1 products of out, for the tilt */
	double *near_r1;        /* lag-1 products of the near end */
};

#define TFR 80

static void line_run(struct dsp_echo *ec, const struct line_cfg *lc,
		     struct line_trace *tr)
{
	struct sim_path *path = malloc(sizeof(*path));
	struct sim_talker far, nt;
	noise_state_t *bg = NULL;
	size_t nfr = (size_t)(lc->seconds * SIM_RATE / TFR);

	assert_non_null(path);
	assert_int_equal(sim_path_init(path, &sim_models[lc->model], lc->delay,
				       lc->erl, SIM_SRC_HOTH, -10, 11), 0);
	assert_int_equal(sim_talker_init(&far, SIM_SRC_HOTH, -10, 11), 0);
	assert_int_equal(sim_talker_init(&nt, SIM_SRC_HOTH,
					 lc->near_dbm0 ? lc->near_dbm0 : -10,
					 977), 0);
	if (lc->bg_dbm0 != 0) {
		bg = noise_init_dbm0(NULL, 4242, lc->bg_dbm0,
				     lc->bg_hoth ? NOISE_CLASS_HOTH
						 : NOISE_CLASS_AWGN, 7);
		assert_non_null(bg);
	}
	tr->nfr = nfr;
	tr->echo = calloc(nfr, sizeof(double));
	tr->res = calloc(nfr, sizeof(double));
	tr->out = calloc(nfr, sizeof(double));
	tr->nearp = calloc(nfr, sizeof(double));
	assert_non_null(tr->echo);
	assert_non_null(tr->res);
	assert_non_null(tr->out);
	assert_non_null(tr->nearp);
	tr->out_r1 = calloc(nfr, sizeof(double));
	tr->near_r1 = calloc(nfr, sizeof(double));
	assert_non_null(tr->out_r1);
	assert_non_null(tr->near_r1);
	double oprev = 0, nprev = 0;

	bool changed = false;

	for (size_t f = 0; f < nfr; f++) {
		int16_t tx[TFR], rx[TFR], out[TFR];
		double nv[TFR], ev[TFR];
		double t = (double)f * TFR / SIM_RATE;

		if (lc->t_change > 0 && !changed && t >= lc->t_change) {
			assert_int_equal(sim_path_init(path,
				&sim_models[lc->model2], lc->delay2, lc->erl,
				SIM_SRC_HOTH, -10, 13), 0);
			changed = true;
		}
		for (int i = 0; i < TFR; i++) {
			double ts = t + (double)i / SIM_RATE, v = 0;
			int16_t fv = sim_talker_next(&far);

			if ((lc->far_stop > 0 && ts >= lc->far_stop) ||
			    ts < lc->far_start)
				fv = 0;
			tx[i] = sim_alaw(fv);
			ev[i] = sim_path_echo(path, tx[i]);
			if (lc->near_dbm0 != 0 && ts >= lc->near_on &&
			    ts < lc->near_off)
				v += sim_talker_next(&nt);
			if (bg)
				v += noise(bg);
			nv[i] = v;
			rx[i] = sim_alaw(ev[i] + v);
		}
		dsp_echo_process(ec, rx, tx, out, TFR);
		for (int i = 0; i < TFR; i++) {
			/* echo - estimate, the estimate being rx - out */
			double r = ev[i] - (double)(rx[i] - out[i]);

			tr->echo[f] += ev[i] * ev[i] / TFR;
			tr->res[f] += r * r / TFR;
			tr->out[f] += (double)out[i] * out[i] / TFR;
			tr->nearp[f] += nv[i] * nv[i] / TFR;
			tr->out_r1[f] += out[i] * oprev / TFR;
			tr->near_r1[f] += nv[i] * nprev / TFR;
			oprev = out[i];
			nprev = nv[i];
		}
	}
	if (bg)
		noise_free(bg);
	sim_talker_free(&nt);
	sim_talker_free(&far);
	free(path);
}

static void trace_free(struct line_trace *tr)
{
	free(tr->echo);
	free(tr->res);
	free(tr->out);
	free(tr->nearp);
	free(tr->out_r1);
	free(tr->near_r1);
}

/* Sum of a trace over [t0, t1) s. */
static double tsum(const struct line_trace *tr, const double *v, double t0,
		   double t1)
{
	double s = 0;

	for (size_t f = (size_t)(t0 * SIM_RATE / TFR);
	     f < tr->nfr && f < (size_t)(t1 * SIM_RATE / TFR); f++)
		s += v[f];
	return s;
}

static double erle_between(const struct line_trace *tr, double t0, double t1)
{
	return sim_db(tsum(tr, tr->echo, t0, t1), tsum(tr, tr->res, t0, t1));
}

/* ---- the G.168 grid ---------------------------------------------------- */

static void test_g168_grid(void **state)
{
	static const double erls[] = { 6, 12, 20 };
	static const unsigned delays_ms[] = { 0, 20, 60, 100 };
	double worst20 = 0, worst30 = 0, min_ss = 1e9;
	int n = 0;

	(void)state;
	printf("# G.168 grid: Hoth far end -10 dBm0, 1024 taps, A-law, NLP off,"
	       " simd=%s\n", dsp_echo_simd_name(DSP_ECHO_SIMD_AUTO));
	printf("# model ERL delay  t20[s] t30[s] ERLE(1-2s) rx/out(1-2s)\n");
	for (size_t m = 0; m < SIM_NMODELS; m++) {
		for (size_t e = 0; e < 3; e++) {
			for (size_t d = 0; d < 4; d++) {
				struct dsp_echo *ec = ec_new(DSP_ECHO_F_ADAPT,
							     DSP_ECHO_SIMD_AUTO);
				size_t delay = delays_ms[d] * 8;
				struct sim_result r;

				if (delay + sim_models[m].len > 1024)
					delay = 1024 - sim_models[m].len;
				struct sim_scenario sc = {
					.model = &sim_models[m], .delay = delay,
					.erl_db = erls[e], .src = SIM_SRC_HOTH,
					.dbm0 = -10, .seconds = 2.0,
					.seed = 1234 + (int)(m * 100 + e * 10 + d),
				};

				assert_non_null(ec);
				assert_int_equal(sim_run_conv(ec_fn, ec, &sc, &r),
						 0);
				dsp_echo_free(ec);
				printf("  %-4s %4.0f %4zums %6.2f %6.2f %6.1f "
				       "%6.1f\n", sim_models[m].name, erls[e],
				       delay / 8, r.t20, r.t30, r.erle_ss,
				       r.line_ss);
				/* 30 dB ERLE from 1 s on (1-2 s), 20 dB within 1 s */
				assert_true(r.erle_ss >= 30.0);
				assert_true(r.t20 >= 0 && r.t20 <= 1.0);
				if (r.t20 > worst20)
					worst20 = r.t20;
				if (r.t30 < 0 || r.t30 > worst30)
					worst30 = r.t30 < 0 ? 99 : r.t30;
				if (r.erle_ss < min_ss)
					min_ss = r.erle_ss;
				n++;
			}
		}
	}
	printf("# %d cases: worst t20 %.2f s, worst t30 %.2f s, "
	       "min ERLE(1-2s) %.1f dB\n", n, worst20, worst30, min_ss);
}

/* ---- SIMD variants ----------------------------------------------------- */

static void test_simd_variants(void **state)
{
	struct sim_path *path = malloc(sizeof(*path));
	const size_t ns = 8000 * 4;
	int16_t *tx = malloc(ns * sizeof(int16_t));
	int16_t *rx = malloc(ns * sizeof(int16_t));
	int16_t *ref = malloc(ns * sizeof(int16_t));
	int16_t *out = malloc(ns * sizeof(int16_t));
	float href[DSP_ECHO_MAX_TAPS], h[DSP_ECHO_MAX_TAPS];
	struct sim_talker far;
	struct dsp_echo_stats st0;

	(void)state;
	assert_non_null(path);
	assert_non_null(tx);
	assert_non_null(rx);
	assert_non_null(ref);
	assert_non_null(out);
	assert_int_equal(sim_path_init(path, &sim_models[3], 400, 6,
				       SIM_SRC_HOTH, -10, 5), 0);
	assert_int_equal(sim_talker_init(&far, SIM_SRC_HOTH, -10, 5), 0);
	for (size_t i = 0; i < ns; i++) {
		tx[i] = sim_alaw(sim_talker_next(&far));
		rx[i] = sim_alaw(sim_path_echo(path, tx[i]));
	}
	sim_talker_free(&far);

	struct dsp_echo *ec0 = ec_new(DSP_ECHO_F_ADAPT, DSP_ECHO_SIMD_C);
	struct dsp_echo *ec;

	assert_non_null(ec0);
	for (size_t i = 0; i < ns; i += 160)
		dsp_echo_process(ec0, rx + i, tx + i, ref + i, 160);
	assert_int_equal(dsp_echo_get_taps(ec0, href, DSP_ECHO_MAX_TAPS),
			 1024);

	/* 4 s: convergence (IPNLMS kernels), then tracking (NLMS kernel) */
	dsp_echo_get_stats(ec0, &st0);
	assert_true(st0.settled);
	for (int v = DSP_ECHO_SIMD_SSE2; v < DSP_ECHO_SIMD_COUNT; v++) {
		struct dsp_echo_stats st;
		double dn = 0, hn = 0, od = 0, on = 0;

		if (!dsp_echo_simd_supported(v)) {
			printf("# simd %s: not supported here, skipped\n",
			       dsp_echo_simd_name(v));
			assert_null(ec_new(DSP_ECHO_F_ADAPT, v));
			continue;
		}
		ec = ec_new(DSP_ECHO_F_ADAPT, v);
		assert_non_null(ec);
		dsp_echo_get_stats(ec, &st);
		assert_int_equal(st.simd, v);
		for (size_t i = 0; i < ns; i += 160)
			dsp_echo_process(ec, rx + i, tx + i, out + i, 160);
		dsp_echo_get_taps(ec, h, DSP_ECHO_MAX_TAPS);
		for (size_t i = 0; i < ns; i++) {
			od += (double)(out[i] - ref[i]) * (out[i] - ref[i]);
			on += (double)ref[i] * ref[i];
		}
		for (size_t i = 0; i < 1024; i++) {
			dn += (double)(h[i] - href[i]) * (h[i] - href[i]);
			hn += (double)href[i] * href[i];
		}
		printf("# simd %s vs c: output difference %.1f dB under the "
		       "output, tap misfit %.2g\n", dsp_echo_simd_name(v),
		       sim_db(on, od), sqrt(dn / hn));
		/* float summation order differs; the filters must agree */
		assert_true(sim_db(on, od) >= 40);
		assert_true(sqrt(dn / hn) < 1e-3);
		dsp_echo_get_stats(ec, &st);
		assert_true(st.settled);
		dsp_echo_free(ec);
	}
	dsp_echo_free(ec0);
	free(path);
	free(tx);
	free(rx);
	free(ref);
	free(out);
}

/* ---- double talk, path change ---------------------------------------- */

static void test_double_talk(void **state)
{
	static const struct {
		size_t model, delay;
		double erl;
		float near;     /* far end is at -10 dBm0 */
	} testv[] = {
		{ 0, 160, 6, -10 }, { 3, 480, 12, -10 }, { 7, 800, 20, -10 },
		{ 5, 0, 6, -10 }, { 2, 240, 12, -16 }, { 4, 400, 20, -20 },
		{ 6, 640, 20, -26 }, { 1, 560, 12, -30 }, { 3, 320, 6, -30 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		struct dsp_echo *ec = ec_new(DSP_ECHO_F_ADAPT,
					     DSP_ECHO_SIMD_AUTO);
		struct line_cfg lc = {
			.model = testv[i].model, .delay = testv[i].delay,
			.erl = testv[i].erl, .near_dbm0 = testv[i].near,
			.near_on = 1.5, .near_off = 3.5, .seconds = 4.5,
		};
		struct line_trace tr;
		struct dsp_echo_stats st;

		assert_non_null(ec);
		line_run(ec, &lc, &tr);
		dsp_echo_get_stats(ec, &st);
		double before = erle_between(&tr, 1.0, 1.5);
		double during = erle_between(&tr, 1.5, 3.5);
		double worst = 1e9;

		for (double t = 1.5; t < 3.5; t += 0.1) {
			double e = erle_between(&tr, t, t + 0.1);

			if (e < worst)
				worst = e;
		}
		double after = erle_between(&tr, 4.0, 4.5);
		double onr = sim_db(tsum(&tr, tr.out, 1.6, 3.5),
				    tsum(&tr, tr.nearp, 1.6, 3.5));

		printf("# DT %s ERL %.0f delay %zums near %.0f dBm0: ERLE "
		       "before %.1f, during %.1f (worst 100 ms %.1f), 0.5-1 s "
		       "after %.1f dB, out/near %+.2f dB, dt onsets %u, path "
		       "changes %u\n", sim_models[testv[i].model].name,
		       testv[i].erl, testv[i].delay / 8, testv[i].near,
		       before, during, worst, after, onr, st.dt_count,
		       st.path_changes);
		/* double talk: no divergence, and recovery */
		assert_true(before >= 30);
		assert_true(worst >= 20);
		assert_true(after >= 30);
		assert_true(st.dt_count >= 1);
		assert_true(st.converged);
		assert_true(st.erle_db >= 20);
		printf("# stats: ERL estimate %.1f dB (line %.0f dB), ERLE "
		       "estimate %.1f dB\n", st.erl_db, testv[i].erl,
		       st.erle_db);
		assert_true(fabs(st.erl_db - testv[i].erl) <= 3.0);
		/* the near end comes through whole; no false path change */
		assert_true(onr >= -0.5 && onr <= 0.5);
		assert_int_equal(st.path_changes, 0);
		trace_free(&tr);
		dsp_echo_free(ec);
	}
}

static void test_path_change(void **state)
{
	struct dsp_echo *ec = ec_new(DSP_ECHO_F_ADAPT, DSP_ECHO_SIMD_AUTO);
	struct line_cfg lc = {
		.model = 0, .delay = 160, .erl = 6,
		.model2 = 6, .delay2 = 560, .t_change = 2.0, .seconds = 4.0,
	};
	struct line_trace tr;
	struct dsp_echo_stats st;

	(void)state;
	assert_non_null(ec);
	line_run(ec, &lc, &tr);
	dsp_echo_get_stats(ec, &st);
	double before = erle_between(&tr, 1.5, 2.0);
	double tconv = -1;

	for (double t = 2.0; t < 4.0; t += 0.05) {
		if (erle_between(&tr, t, t + 0.1) >= 20) {
			tconv = t + 0.1 - 2.0;
			break;
		}
	}
	double after = erle_between(&tr, 3.5, 4.0);

	printf("# path change D.2/20ms -> D.8/70ms at 2 s: ERLE before %.1f, "
	       "20 dB again after %.2f s, %.1f dB at 1.5-2 s after, "
	       "changes seen %u\n", before, tconv, after, st.path_changes);
	assert_true(before >= 30);
	assert_true(tconv > 0 && tconv <= 1.0);
	assert_true(after >= 25);
	assert_true(st.path_changes >= 1);
	assert_true(st.converged);
	trace_free(&tr);
	dsp_echo_free(ec);
}

/* ---- NLP and comfort noise -------------------------------------------- */

static void test_nlp_tail_cng(void **state)
{
	static const struct {
		size_t model, delay;
		double erl;
		float bg;
	} testv[] = {
		{ 0, 160, 6, -45 }, { 7, 800, 12, -55 }, { 4, 480, 20, -60 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		struct dsp_echo *ec = ec_new(DSP_ECHO_F_DEFAULT,
					     DSP_ECHO_SIMD_AUTO);
		struct line_cfg lc = {
			.model = testv[i].model, .delay = testv[i].delay,
			.erl = testv[i].erl, .far_stop = 2.0,
			.bg_dbm0 = testv[i].bg, .seconds = 3.0,
		};
		struct line_trace tr;
		double bgp = 0, worst = -1e9, act;

		assert_non_null(ec);
		line_run(ec, &lc, &tr);
		bgp = tsum(&tr, tr.nearp, 1.0, 3.0) / (2.0 * SIM_RATE / TFR);
		/* every 10 ms frame from 1 s (converged) to 1 s after stop */
		for (size_t f = SIM_RATE / TFR; f < tr.nfr; f++) {
			double d = sim_db(tr.out[f], bgp);

			if (d > worst)
				worst = d;
		}
		act = sim_db(tsum(&tr, tr.out, 1.0, 2.0) / 100.0, bgp);
		double tail = sim_db(tsum(&tr, tr.out, 2.0, 2.2) / 20.0, bgp);
		double echo = sim_db(tsum(&tr, tr.echo, 1.0, 2.0) / 100.0, bgp);

		printf("# NLP %s ERL %.0f bg %.0f dBm0: echo %+.1f dB over bg; "
		       "output vs bg: far active %+.1f dB, first 200 ms of tail "
		       "%+.1f dB, loudest 10 ms frame %+.1f dB\n",
		       sim_models[testv[i].model].name, testv[i].erl,
		       testv[i].bg, echo, act, tail, worst);
		/* no echo, no bursts: no 10 ms frame 8 dB over background */
		assert_true(worst <= 8.0);
		/* comfort noise matches the background (not silence) */
		assert_true(act >= -3.0 && act <= 3.0);
		assert_true(tail >= -3.0 && tail <= 3.0);
		trace_free(&tr);
		dsp_echo_free(ec);
	}
}

static void test_quiet_near_end_passes(void **state)
{
	static const struct {
		size_t model, delay;
		double erl;
		float near;
	} testv[] = {
		{ 0, 160, 6, -30 }, { 2, 480, 6, -35 }, { 7, 800, 12, -40 },
		{ 5, 0, 20, -40 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		struct dsp_echo *ec = ec_new(DSP_ECHO_F_DEFAULT,
					     DSP_ECHO_SIMD_AUTO);
		struct line_cfg lc = {
			.model = testv[i].model, .delay = testv[i].delay,
			.erl = testv[i].erl, .near_dbm0 = testv[i].near,
			.near_on = 2.0, .near_off = 3.5, .seconds = 3.5,
		};
		struct line_trace tr;

		assert_non_null(ec);
		line_run(ec, &lc, &tr);
		double ratio = sim_db(tsum(&tr, tr.out, 2.05, 3.5),
				      tsum(&tr, tr.nearp, 2.05, 3.5));
		double echo = sim_db(tsum(&tr, tr.echo, 2.05, 3.5),
				     tsum(&tr, tr.nearp, 2.05, 3.5));
		double worst = 1e9;

		for (double t = 2.05; t < 3.45; t += 0.1) {
			double r = sim_db(tsum(&tr, tr.out, t, t + 0.1),
					  tsum(&tr, tr.nearp, t, t + 0.1));

			if (r < worst)
				worst = r;
		}
		printf("# quiet near end %s ERL %.0f: near %.0f dBm0 (echo "
		       "%+.1f dB over it): output/near %+.1f dB, worst 100 ms "
		       "%+.1f dB\n", sim_models[testv[i].model].name,
		       testv[i].erl, testv[i].near, echo, ratio, worst);
		/* while the far end talks, quiet near-end speech is not muted */
		assert_true(ratio >= -2.0 && ratio <= 2.0);
		assert_true(worst >= -6.0);
		trace_free(&tr);
		dsp_echo_free(ec);
	}
}

/*
 * Comfort noise follows the background's level and spectral tilt (learnt
 * while the far end is silent): a Hoth-shaped (low-pass) background is
 * replaced by low-pass noise, not by a white hiss.
 */
static void test_cng_tilt(void **state)
{
	struct dsp_echo *ec = ec_new(DSP_ECHO_F_DEFAULT, DSP_ECHO_SIMD_AUTO);
	struct line_cfg lc = {
		.model = 0, .delay = 160, .erl = 6, .bg_dbm0 = -45,
		.bg_hoth = true, .far_start = 1.5, .seconds = 4.0,
	};
	struct line_trace tr;
	struct dsp_echo_stats st;

	(void)state;
	assert_non_null(ec);
	line_run(ec, &lc, &tr);
	dsp_echo_get_stats(ec, &st);
	/* far end talks from 1.5 s; the NLP has settled by 2.5 s */
	double rho_bg = tsum(&tr, tr.near_r1, 2.5, 4.0) /
			tsum(&tr, tr.nearp, 2.5, 4.0);
	double rho_out = tsum(&tr, tr.out_r1, 2.5, 4.0) /
			 tsum(&tr, tr.out, 2.5, 4.0);
	double lvl = sim_db(tsum(&tr, tr.out, 2.5, 4.0),
			    tsum(&tr, tr.nearp, 2.5, 4.0));

	printf("# CNG on a Hoth background -45 dBm0 under -16 dBm0 echo: "
	       "lag-1 correlation background %.2f, output %.2f; level "
	       "%+.1f dB; NLP active %d\n", rho_bg, rho_out, lvl,
	       st.nlp_active);
	assert_true(st.nlp_active);
	assert_true(fabs(rho_out - rho_bg) <= 0.15);
	assert_true(lvl >= -3.0 && lvl <= 3.0);
	trace_free(&tr);
	dsp_echo_free(ec);
}

/*
 * Fax/modem pass-through: with the NLP switched off at run time the near
 * end comes through untouched even far below the residual-echo threshold
 * the NLP would use, and no comfort noise is inserted.
 */
static void test_nlp_off_passthrough(void **state)
{
	struct dsp_echo *ec = ec_new(DSP_ECHO_F_DEFAULT, DSP_ECHO_SIMD_AUTO);
	struct line_cfg lc = {
		.model = 2, .delay = 320, .erl = 6, .near_dbm0 = -40,
		.near_on = 0, .near_off = 4.0, .seconds = 4.0,
	};
	struct line_trace tr;
	struct dsp_echo_stats st;

	(void)state;
	assert_non_null(ec);
	dsp_echo_set_flags(ec, DSP_ECHO_F_ADAPT);
	line_run(ec, &lc, &tr);
	dsp_echo_get_stats(ec, &st);
	double ratio = sim_db(tsum(&tr, tr.out, 2.0, 4.0),
			      tsum(&tr, tr.nearp, 2.0, 4.0));
	double erle = erle_between(&tr, 2.0, 4.0);

	printf("# NLP off, near end -40 dBm0 under -16 dBm0 echo: output/near "
	       "%+.2f dB, ERLE %.1f dB, NLP active %d\n", ratio, erle,
	       st.nlp_active);
	assert_false(st.nlp_active);
	assert_true(ratio >= -1.0 && ratio <= 1.0);
	assert_true(erle >= 25);
	trace_free(&tr);
	dsp_echo_free(ec);
}

/*
 * G.168 §6.4.2.7 (test 6) style: after convergence, the tones and tone
 * pairs of the test (5 s each) must not make the filter diverge; speech
 * afterwards is still cancelled.
 */
static void test_narrowband_no_divergence(void **state)
{
	struct sim_path *path = malloc(sizeof(*path));
	struct dsp_echo *ec = ec_new(DSP_ECHO_F_ADAPT, DSP_ECHO_SIMD_AUTO);
	struct sim_talker far;
	size_t ntones = 0;
	double worst_tone = 1e9;

	(void)state;
	assert_non_null(path);
	assert_non_null(ec);
	while (tones_6_4_2_7[ntones][0] != 0)
		ntones++;
	assert_int_equal(sim_path_init(path, &sim_models[4], 240, 6,
				       SIM_SRC_HOTH, -10, 21), 0);
	assert_int_equal(sim_talker_init(&far, SIM_SRC_HOTH, -10, 21), 0);

	/* phases: 2 s speech, 5 s per tone, 1 s speech */
	size_t total = (size_t)SIM_RATE * (2 + 5 * ntones + 1);
	double pe = 0, pr = 0, after_e = 0, after_r = 0;
	uint64_t n = 0;

	while (n < total) {
		int16_t tx[160], rx[160], out[160];
		double ev[160];

		for (int i = 0; i < 160; i++, n++) {
			double t = (double)n / SIM_RATE, v;
			size_t k = (size_t)((t - 2.0) / 5.0);

			if (t >= 2.0 && k < ntones) {
				v = 0;
				for (int j = 0; j < 2; j++) {
					int f = tones_6_4_2_7[k][j];

					if (f)
						v += 4000.0 *
						     sin(2 * M_PI * f * t);
				}
			} else {
				v = sim_talker_next(&far);
			}
			tx[i] = sim_alaw(v);
			ev[i] = sim_path_echo(path, tx[i]);
			rx[i] = sim_alaw(ev[i]);
		}
		dsp_echo_process(ec, rx, tx, out, 160);
		double t = (double)n / SIM_RATE;
		double se = 0, sr = 0;

		for (int i = 0; i < 160; i++) {
			double r = ev[i] - (double)(rx[i] - out[i]);

			se += ev[i] * ev[i];
			sr += r * r;
		}
		if (t > 2.5 && t <= 2.0 + 5.0 * ntones) {
			pe += se;
			pr += sr;
			/* each 1 s block of tone */
			if (n % SIM_RATE == 0) {
				double e = sim_db(pe, pr);

				if (e < worst_tone)
					worst_tone = e;
				pe = pr = 0;
			}
		} else if (t > 2.0 + 5.0 * ntones + 0.1 &&
			   t <= 2.0 + 5.0 * ntones + 0.6) {
			after_e += se;
			after_r += sr;
		}
	}
	double after = sim_db(after_e, after_r);

	printf("# narrowband (%zu tones/pairs x 5 s): worst 1 s ERLE on tones "
	       "%.1f dB, speech 0.1-0.6 s after %.1f dB\n", ntones,
	       worst_tone, after);
	assert_true(worst_tone >= 20);
	assert_true(after >= 25);
	sim_talker_free(&far);
	dsp_echo_free(ec);
	free(path);
}

/*
 * A conversation on one line with the full canceller (NLP and CNG on),
 * background noise at -60 dBm0 throughout:
 *   0-3 s far end, 3-5 s double talk, 5-7 s near end, 7-9 s silence,
 *   9-12 s far end, 12-13 s double talk, 13-16 s far end.
 * Far-end segments: nothing above the background but comfort noise;
 * near-end and double-talk segments: the near end passes at its level.
 */
static void test_conversation(void **state)
{
	static const struct {
		double t0, t1;
		bool far, near;
	} seg[] = {
		{ 0, 3, true, false }, { 3, 5, true, true },
		{ 5, 7, false, true }, { 7, 9, false, false },
		{ 9, 12, true, false }, { 12, 13, true, true },
		{ 13, 16, true, false },
	};
	const size_t nseg = sizeof(seg) / sizeof(seg[0]);
	struct sim_path *path = malloc(sizeof(*path));
	struct dsp_echo *ec = ec_new(DSP_ECHO_F_DEFAULT, DSP_ECHO_SIMD_AUTO);
	struct sim_talker far, nt;
	noise_state_t *bg = noise_init_dbm0(NULL, 99, -60, NOISE_CLASS_AWGN,
					     7);
	double out_p[8] = { 0 }, near_p[8] = { 0 }, bg_p[8] = { 0 };
	uint64_t n = 0, total = (uint64_t)SIM_RATE * 16;

	(void)state;
	assert_non_null(path);
	assert_non_null(ec);
	assert_non_null(bg);
	assert_int_equal(sim_path_init(path, &sim_models[6], 400, 12,
				       SIM_SRC_HOTH, -10, 31), 0);
	assert_int_equal(sim_talker_init(&far, SIM_SRC_HOTH, -10, 31), 0);
	assert_int_equal(sim_talker_init(&nt, SIM_SRC_HOTH, -12, 32), 0);
	while (n < total) {
		int16_t tx[160], rx[160], out[160];
		double nv[160], bv[160], ev[160];
		size_t k = 0;

		while (k + 1 < nseg && (double)n / SIM_RATE >= seg[k].t1)
			k++;
		for (int i = 0; i < 160; i++) {
			bv[i] = noise(bg);
			nv[i] = seg[k].near ? sim_talker_next(&nt) : 0;
			tx[i] = sim_alaw(seg[k].far ? sim_talker_next(&far)
						    : 0);
			ev[i] = sim_path_echo(path, tx[i]);
			rx[i] = sim_alaw(ev[i] + nv[i] + bv[i]);
		}
		dsp_echo_process(ec, rx, tx, out, 160);
		double t = (double)n / SIM_RATE;

		n += 160;
		/* skip the first 200 ms of each segment (transitions) */
		if (t < seg[k].t0 + 0.2)
			continue;
		for (int i = 0; i < 160; i++) {
			out_p[k] += (double)out[i] * out[i];
			near_p[k] += nv[i] * nv[i];
			bg_p[k] += bv[i] * bv[i];
		}
	}
	for (size_t k = 0; k < nseg; k++) {
		double o = sim_db(out_p[k], bg_p[k]);
		double nr = sim_db(out_p[k], near_p[k] + bg_p[k]);

		printf("# conversation %4.1f-%4.1f s far %d near %d: output "
		       "%+.1f dB re background, %+.1f dB re near+background\n",
		       seg[k].t0, seg[k].t1, seg[k].far, seg[k].near, o, nr);
		if (seg[k].near) {
			/* near end passes, double talk or not */
			assert_true(nr >= -1.5 && nr <= 1.5);
		} else if (seg[k].far && seg[k].t0 > 0) {
			/* echo gone, comfort noise at the background */
			assert_true(o >= -3.0 && o <= 3.0);
		} else if (!seg[k].far) {
			assert_true(o >= -3.0 && o <= 3.0);
		}
	}
	sim_talker_free(&far);
	sim_talker_free(&nt);
	noise_free(bg);
	dsp_echo_free(ec);
	free(path);
}

/* ---- API ------------------------------------------------------------------ */

static void test_api(void **state)
{
	static const struct {
		unsigned taps;
		bool ok;
	} testv[] = {
		{ 0, true }, { 8, true }, { 7, false }, { 100, true },
		{ 1024, true }, { 1025, false }, { 4096, false },
	};
	struct dsp_echo_cfg cfg;
	struct dsp_echo_stats st;
	int16_t rx[160], tx[160], out[160];

	(void)state;
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		dsp_echo_cfg_default(&cfg);
		cfg.taps = testv[i].taps;
		struct dsp_echo *ec = dsp_echo_alloc(&cfg);

		assert_int_equal(ec != NULL, testv[i].ok);
		dsp_echo_free(ec);
	}
	dsp_echo_cfg_default(&cfg);
	cfg.simd = DSP_ECHO_SIMD_COUNT;
	assert_null(dsp_echo_alloc(&cfg));
	dsp_echo_free(NULL);

	struct dsp_echo *ec = dsp_echo_alloc(NULL);

	assert_non_null(ec);
	assert_int_equal(dsp_echo_flags(ec), DSP_ECHO_F_DEFAULT);
	dsp_echo_set_flags(ec, DSP_ECHO_F_ADAPT);
	assert_int_equal(dsp_echo_flags(ec), DSP_ECHO_F_ADAPT);

	/* tone disabler: transparent, bit exact */
	for (int i = 0; i < 160; i++) {
		rx[i] = (int16_t)(i * 97 - 7000);
		tx[i] = (int16_t)(3000 - i * 31);
	}
	dsp_echo_set_disabled(ec, true);
	assert_true(dsp_echo_disabled(ec));
	dsp_echo_process(ec, rx, tx, out, 160);
	assert_memory_equal(out, rx, sizeof(rx));
	dsp_echo_set_disabled(ec, false);
	assert_false(dsp_echo_disabled(ec));
	dsp_echo_process(ec, rx, tx, out, 160);
	dsp_echo_get_stats(ec, &st);
	assert_int_equal(st.samples, 320);
	dsp_echo_reset(ec);
	dsp_echo_get_stats(ec, &st);
	assert_int_equal(st.samples, 0);
	assert_false(st.converged);

	/* extreme input never produces anything out of range or NaN-driven */
	for (int k = 0; k < 200; k++) {
		for (int i = 0; i < 160; i++) {
			rx[i] = (i + k) & 1 ? 32767 : -32768;
			tx[i] = (i * 7 + k) & 2 ? 32767 : -32768;
		}
		dsp_echo_process(ec, rx, tx, rx, 160);
	}
	dsp_echo_get_stats(ec, &st);
	assert_false(isnan(st.erle_db));

	/*
	 * Garbage: 20 s of random samples, random block sizes and flag
	 * changes, tone-disable toggles. The filter must stay finite.
	 */
	uint32_t r = 12345;
	int16_t big_rx[500], big_tx[500], big_out[500];
	float h[DSP_ECHO_MAX_TAPS];

	for (size_t done = 0; done < 160000;) {
		size_t n;

		r = r * 1664525u + 1013904223u;
		n = 1 + (r >> 8) % 500;
		for (size_t i = 0; i < n; i++) {
			r = r * 1664525u + 1013904223u;
			big_rx[i] = (int16_t)(r >> 16);
			r = r * 1664525u + 1013904223u;
			big_tx[i] = (r & 0x100) ? (int16_t)(r >> 16) : 0;
		}
		if ((r >> 4) % 97 == 0)
			dsp_echo_set_flags(ec, (r >> 12) & 0x0f);
		if ((r >> 4) % 89 == 0)
			dsp_echo_set_disabled(ec, (r >> 13) & 1);
		dsp_echo_process(ec, big_rx, big_tx, big_out, n);
		done += n;
	}
	assert_int_equal(dsp_echo_get_taps(ec, h, DSP_ECHO_MAX_TAPS), 1024);
	for (size_t i = 0; i < 1024; i++)
		assert_true(isfinite(h[i]));
	dsp_echo_get_stats(ec, &st);
	assert_true(isfinite(st.erle_db));
	assert_true(isfinite(st.erl_db));
	dsp_echo_free(ec);
}

/* DSP_ECHO_F_FULL_RATE (IPNLMS on every sample, never tracking mode). */
static void test_full_rate(void **state)
{
	static const size_t models[] = { 0, 3, 7 };

	(void)state;
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		struct dsp_echo *ec = ec_new(DSP_ECHO_F_ADAPT |
					     DSP_ECHO_F_FULL_RATE,
					     DSP_ECHO_SIMD_AUTO);
		struct sim_scenario sc = {
			.model = &sim_models[models[i]], .delay = 400,
			.erl_db = 12, .src = SIM_SRC_HOTH, .dbm0 = -10,
			.seconds = 4.0, .seed = 77 + (int)i,
		};
		struct sim_result r;
		struct dsp_echo_stats st;

		assert_non_null(ec);
		assert_int_equal(sim_run_conv(ec_fn, ec, &sc, &r), 0);
		dsp_echo_get_stats(ec, &st);
		printf("# full rate %s: t20 %.2f s, t30 %.2f s, ERLE(1-4s) "
		       "%.1f dB\n", sim_models[models[i]].name, r.t20, r.t30,
		       r.erle_ss);
		assert_true(r.erle_ss >= 30);
		assert_true(st.converged);
		dsp_echo_free(ec);
	}
}

/*
 * Double talk from the start (near-end talker as loud as the far end and
 * talking first, no echo): Geigel holds, the filter never adapts and stays
 * exactly zero (the canceller skips its pass then). When the near end
 * stops and echo appears, it must converge as from a reset: 20 dB within
 * 1 s, 30 dB ERLE from 1 s on, on every SIMD variant.
 */
static void test_first_adapt_after_double_talk(void **state)
{
	const size_t dt_len = 12000, echo_len = 16000, frozen_len = 4000;
	const size_t ns = dt_len + echo_len + frozen_len;
	int16_t *tx = malloc(ns * 2), *rx = malloc(ns * 2);
	int16_t *out = malloc(ns * 2);
	float *h = malloc(DSP_ECHO_MAX_TAPS * sizeof(float));
	struct sim_path *path = malloc(sizeof(*path));
	struct sim_talker far, nt;

	(void)state;
	assert_non_null(tx);
	assert_non_null(rx);
	assert_non_null(out);
	assert_non_null(h);
	assert_non_null(path);
	assert_int_equal(sim_path_init(path, &sim_models[1], 160, 6,
				       SIM_SRC_HOTH, -10, 21), 0);
	assert_int_equal(sim_talker_init(&far, SIM_SRC_HOTH, -10, 21), 0);
	assert_int_equal(sim_talker_init(&nt, SIM_SRC_HOTH, -10, 515), 0);
	/* the near end talks first, the far end joins after 100 ms */
	for (size_t i = 0; i < ns; i++) {
		tx[i] = i < 800 ? 0 : sim_alaw(sim_talker_next(&far));
		double v = sim_path_echo(path, tx[i]);

		rx[i] = i < dt_len ? sim_alaw(sim_talker_next(&nt))
				   : sim_alaw(v);
	}
	sim_talker_free(&far);
	sim_talker_free(&nt);
	for (int v = DSP_ECHO_SIMD_C; v < DSP_ECHO_SIMD_COUNT; v++) {
		if (!dsp_echo_simd_supported(v))
			continue;
		struct dsp_echo *ec = ec_new(DSP_ECHO_F_ADAPT, v);
		double t20 = -1, pr = 0, po = 0, fr = 0, fo = 0;

		assert_non_null(ec);
		for (size_t i = 0; i < dt_len; i += 160)
			dsp_echo_process(ec, rx + i, tx + i, out + i, 160);
		size_t nt_ = dsp_echo_get_taps(ec, h, DSP_ECHO_MAX_TAPS);
		size_t nz = 0;

		for (size_t k = 0; k < nt_; k++)
			nz += h[k] != 0.0f;
		assert_int_equal(nz, 0);
		/* the filter stayed out of the way: out is the near end */
		assert_memory_equal(out, rx, dt_len * 2);
		for (size_t i = dt_len; i < dt_len + echo_len; i += 160) {
			dsp_echo_process(ec, rx + i, tx + i, out + i, 160);
			double a = 0, b = 0;

			for (size_t k = i; k < i + 160; k++) {
				a += (double)rx[k] * rx[k];
				b += (double)out[k] * out[k];
			}
			double t = (double)(i + 160 - dt_len) / SIM_RATE;

			if (t20 < 0 && sim_db(a, b) >= 20)
				t20 = t;
			if (t > 1.0) {
				pr += a;
				po += b;
			}
		}
		/* then frozen: the filter found keeps cancelling */
		dsp_echo_set_flags(ec, 0);
		for (size_t i = dt_len + echo_len; i < ns; i += 160) {
			dsp_echo_process(ec, rx + i, tx + i, out + i, 160);
			for (size_t k = i; k < i + 160; k++) {
				fr += (double)rx[k] * rx[k];
				fo += (double)out[k] * out[k];
			}
		}
		printf("# first adaptation after 1.5 s of double talk, %s: "
		       "t20 %.2f s, ERLE(1-2s) %.1f dB, then frozen %.1f dB\n",
		       dsp_echo_simd_name(v), t20, sim_db(pr, po),
		       sim_db(fr, fo));
		assert_true(t20 > 0 && t20 <= 1.0);
		assert_true(sim_db(pr, po) >= 30);
		assert_true(sim_db(fr, fo) >= 30);
		dsp_echo_free(ec);
	}
	free(path);
	free(tx);
	free(rx);
	free(out);
	free(h);
}

/*
 * Two reflections 80 ms apart (a near hybrid at ERL 6 dB and a far one at
 * ERL 20 dB): once settled the canceller filters only the span of the
 * echo response; that span must hold both, so the steady-state ERLE stays
 * >= 30 dB and within 1 dB of filtering the whole tail
 * (DSP_ECHO_F_FULL_TAIL), on every SIMD variant.
 */
static void test_two_echoes_window(void **state)
{
	const size_t ns = 8000 * 5, ss = 8000 * 3;
	int16_t *tx = malloc(ns * 2), *rx = malloc(ns * 2);
	int16_t *out = malloc(ns * 2);
	struct sim_path *p1 = malloc(sizeof(*p1)), *p2 = malloc(sizeof(*p2));
	struct sim_talker far;

	(void)state;
	assert_non_null(tx);
	assert_non_null(rx);
	assert_non_null(out);
	assert_non_null(p1);
	assert_non_null(p2);
	assert_int_equal(sim_path_init(p1, &sim_models[0], 80, 6,
				       SIM_SRC_HOTH, -10, 31), 0);
	assert_int_equal(sim_path_init(p2, &sim_models[4], 720, 20,
				       SIM_SRC_HOTH, -10, 31), 0);
	assert_int_equal(sim_talker_init(&far, SIM_SRC_HOTH, -10, 31), 0);
	for (size_t i = 0; i < ns; i++) {
		tx[i] = sim_alaw(sim_talker_next(&far));
		rx[i] = sim_alaw(sim_path_echo(p1, tx[i]) +
				 sim_path_echo(p2, tx[i]));
	}
	sim_talker_free(&far);
	for (int v = DSP_ECHO_SIMD_C; v < DSP_ECHO_SIMD_COUNT; v++) {
		double erle[2];

		if (!dsp_echo_simd_supported(v))
			continue;
		for (int full = 0; full < 2; full++) {
			struct dsp_echo *ec = ec_new(DSP_ECHO_F_ADAPT |
				(full ? DSP_ECHO_F_FULL_TAIL : 0), v);
			struct dsp_echo_stats st;
			double a = 0, b = 0;

			assert_non_null(ec);
			for (size_t i = 0; i < ns; i += 160)
				dsp_echo_process(ec, rx + i, tx + i, out + i,
						 160);
			for (size_t i = ss; i < ns; i++) {
				a += (double)rx[i] * rx[i];
				b += (double)out[i] * out[i];
			}
			erle[full] = sim_db(a, b);
			dsp_echo_get_stats(ec, &st);
			assert_true(st.settled);
			dsp_echo_free(ec);
		}
		printf("# two echoes 80 ms apart, %s: ERLE(3-5s) %.1f dB "
		       "(whole tail %.1f dB)\n", dsp_echo_simd_name(v),
		       erle[0], erle[1]);
		assert_true(erle[0] >= 30);
		assert_true(erle[0] >= erle[1] - 1.0);
	}
	free(p1);
	free(p2);
	free(tx);
	free(rx);
	free(out);
}

/* Any block size gives (nearly) the same linear output as 160. */
/*
 * Overload hold (dsp_echo_set_hold): while held the taps do not move but
 * the filter keeps cancelling with them; a fresh canceller held never
 * adapts; released, adaptation resumes. Held blocks are counted.
 */
static void test_hold(void **state)
{
	const struct line_cfg lc = {
		.model = 0, .delay = 100, .erl = 12, .seconds = 2,
	};
	const size_t nt = 1024;
	float *h0 = malloc(nt * sizeof(float)), *h1 = malloc(nt * sizeof(float));
	struct line_trace tr;
	struct dsp_echo_stats st;
	(void)state;

	assert_non_null(h0);
	assert_non_null(h1);
	struct dsp_echo *ec = ec_new(DSP_ECHO_F_DEFAULT & ~DSP_ECHO_F_NLP,
				     DSP_ECHO_SIMD_AUTO);

	assert_non_null(ec);
	line_run(ec, &lc, &tr);
	trace_free(&tr);
	assert_int_equal(dsp_echo_get_taps(ec, h0, nt), nt);

	dsp_echo_set_hold(ec, true);
	line_run(ec, &lc, &tr);
	assert_int_equal(dsp_echo_get_taps(ec, h1, nt), nt);
	assert_memory_equal(h0, h1, nt * sizeof(float));
	double erle = erle_between(&tr, 0.2, 2.0);

	trace_free(&tr);
	if (erle < 25.0)
		fail_msg("held filter cancels only %.1f dB", erle);
	dsp_echo_get_stats(ec, &st);
	assert_int_equal(st.held_blocks, 2 * SIM_RATE / TFR);

	dsp_echo_set_hold(ec, false);
	line_run(ec, &lc, &tr);
	trace_free(&tr);
	assert_int_equal(dsp_echo_get_taps(ec, h1, nt), nt);
	assert_memory_not_equal(h0, h1, nt * sizeof(float));
	dsp_echo_get_stats(ec, &st);
	assert_int_equal(st.held_blocks, 2 * SIM_RATE / TFR);
	dsp_echo_free(ec);

	/* held from the start: nothing learnt, the echo goes through */
	ec = ec_new(DSP_ECHO_F_DEFAULT & ~DSP_ECHO_F_NLP, DSP_ECHO_SIMD_AUTO);
	assert_non_null(ec);
	dsp_echo_set_hold(ec, true);
	line_run(ec, &lc, &tr);
	erle = erle_between(&tr, 0.5, 2.0);
	trace_free(&tr);
	if (erle > 1.0)
		fail_msg("held fresh canceller cancels %.1f dB", erle);
	assert_int_equal(dsp_echo_get_taps(ec, h1, nt), nt);
	for (size_t k = 0; k < nt; k++)
		assert_true(h1[k] == 0.0f);
	dsp_echo_free(ec);
	free(h0);
	free(h1);
}

static void test_block_sizes(void **state)
{
	static const size_t sizes[] = { 1, 7, 40, 80, 161, 333 };
	struct sim_path *path = malloc(sizeof(*path));
	const size_t ns = 12000;
	int16_t *tx = malloc(ns * 2), *rx = malloc(ns * 2);
	int16_t *ref = malloc(ns * 2), *out = malloc(ns * 2);
	struct sim_talker far;

	(void)state;
	assert_non_null(path);
	assert_non_null(tx);
	assert_non_null(rx);
	assert_non_null(ref);
	assert_non_null(out);
	assert_int_equal(sim_path_init(path, &sim_models[1], 200, 12,
				       SIM_SRC_HOTH, -10, 3), 0);
	assert_int_equal(sim_talker_init(&far, SIM_SRC_HOTH, -10, 3), 0);
	for (size_t i = 0; i < ns; i++) {
		tx[i] = sim_alaw(sim_talker_next(&far));
		rx[i] = sim_alaw(sim_path_echo(path, tx[i]));
	}
	sim_talker_free(&far);

	struct dsp_echo *ec = ec_new(DSP_ECHO_F_ADAPT, DSP_ECHO_SIMD_AUTO);

	assert_non_null(ec);
	for (size_t i = 0; i < ns; i += 160)
		dsp_echo_process(ec, rx + i, tx + i, ref + i,
				 ns - i < 160 ? ns - i : 160);
	dsp_echo_free(ec);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		double od = 0, on = 0;

		ec = ec_new(DSP_ECHO_F_ADAPT, DSP_ECHO_SIMD_AUTO);
		assert_non_null(ec);
		for (size_t i = 0; i < ns; i += sizes[s])
			dsp_echo_process(ec, rx + i, tx + i, out + i,
					 ns - i < sizes[s] ? ns - i : sizes[s]);
		for (size_t i = 0; i < ns; i++) {
			od += (double)(out[i] - ref[i]) * (out[i] - ref[i]);
			on += (double)ref[i] * ref[i];
		}
		printf("# block size %zu vs 160: output difference %.1f dB "
		       "under the output\n", sizes[s], sim_db(on, od));
		assert_true(sim_db(on, od) >= 40);
		dsp_echo_free(ec);
	}
	free(path);
	free(tx);
	free(rx);
	free(ref);
	free(out);
}

/*
 * Far end at background level (-65 dBm0, e.g. the other side's comfort
 * noise) while the near end talks loud: the echo of that background is
 * some 70 dB down, so the canceller leaves the near end untouched, out ==
 * rx sample for sample (it would otherwise subtract a few LSB of filter
 * output). When the far end comes back loud, its echo is cancelled from
 * the first 20 ms on, with the filter found before. ERL 6 dB (the
 * loudest echo G.168 allows), linear stage only, every SIMD variant.
 */
static void test_far_background(void **state)
{
	const size_t conv_len = 24000, quiet_len = 16000, back_len = 4000;
	const size_t ns = conv_len + quiet_len + back_len;
	const size_t skip = 1600; /* the loud far end leaves the tail */
	int16_t *tx = malloc(ns * 2), *rx = malloc(ns * 2);
	int16_t *out = malloc(ns * 2);
	struct sim_path *path = malloc(sizeof(*path));
	struct sim_talker far, bg, nt;

	(void)state;
	assert_non_null(tx);
	assert_non_null(rx);
	assert_non_null(out);
	assert_non_null(path);
	assert_int_equal(sim_path_init(path, &sim_models[1], 160, 6,
				       SIM_SRC_HOTH, -10, 21), 0);
	assert_int_equal(sim_talker_init(&far, SIM_SRC_HOTH, -10, 21), 0);
	assert_int_equal(sim_talker_init(&bg, SIM_SRC_HOTH, -65, 77), 0);
	assert_int_equal(sim_talker_init(&nt, SIM_SRC_HOTH, -10, 515), 0);
	for (size_t i = 0; i < ns; i++) {
		bool q = i >= conv_len && i < conv_len + quiet_len;

		tx[i] = sim_alaw(q ? sim_talker_next(&bg)
				   : sim_talker_next(&far));
		double v = sim_path_echo(path, tx[i]);

		if (q)
			v += sim_talker_next(&nt);
		rx[i] = sim_alaw(v);
	}
	sim_talker_free(&far);
	sim_talker_free(&bg);
	sim_talker_free(&nt);
	for (int v = DSP_ECHO_SIMD_C; v < DSP_ECHO_SIMD_COUNT; v++) {
		if (!dsp_echo_simd_supported(v))
			continue;
		struct dsp_echo *ec = ec_new(DSP_ECHO_F_ADAPT, v);
		size_t diff = 0;
		double pr = 0, po = 0;
		struct dsp_echo_stats st;

		assert_non_null(ec);
		for (size_t i = 0; i < conv_len; i += 160)
			dsp_echo_process(ec, rx + i, tx + i, out + i, 160);
		dsp_echo_get_stats(ec, &st);
		assert_true(st.converged);
		for (size_t i = conv_len; i < ns; i += 160)
			dsp_echo_process(ec, rx + i, tx + i, out + i, 160);
		for (size_t i = conv_len + skip; i < conv_len + quiet_len; i++)
			diff += out[i] != rx[i];
		/* the first 20 ms of its echo after the far end is back */
		for (size_t i = conv_len + quiet_len + 160;
		     i < conv_len + quiet_len + 320; i++) {
			pr += (double)rx[i] * rx[i];
			po += (double)out[i] * out[i];
		}
		printf("# far end at -65 dBm0 under loud near end, %s: "
		       "%zu of %zu samples changed; far end back: ERLE "
		       "(first 20 ms) %.1f dB\n", dsp_echo_simd_name(v), diff,
		       quiet_len - skip, sim_db(pr, po));
		assert_int_equal(diff, 0);
		assert_true(sim_db(pr, po) >= 30);
		dsp_echo_free(ec);
	}
	free(path);
	free(tx);
	free(rx);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api),
		cmocka_unit_test(test_block_sizes),
		cmocka_unit_test(test_hold),
		cmocka_unit_test(test_full_rate),
		cmocka_unit_test(test_simd_variants),
		cmocka_unit_test(test_g168_grid),
		cmocka_unit_test(test_double_talk),
		cmocka_unit_test(test_path_change),
		cmocka_unit_test(test_nlp_tail_cng),
		cmocka_unit_test(test_quiet_near_end_passes),
		cmocka_unit_test(test_nlp_off_passthrough),
		cmocka_unit_test(test_narrowband_no_divergence),
		cmocka_unit_test(test_conversation),
		cmocka_unit_test(test_cng_tilt),
		cmocka_unit_test(test_first_adapt_after_double_talk),
		cmocka_unit_test(test_two_echoes_window),
		cmocka_unit_test(test_far_background),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
