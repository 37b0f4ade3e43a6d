/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * echo_report: run the dsp/echo canceller over the full G.168 grid (Annex
 * D models D.2-D.9, ERL 6/12/20 dB, bulk delays 0/20/60/100 ms, 1024-tap
 * tail, A-law line) and print one row per case: time to 20 and 30 dB
 * ERLE, ERLE from 1 s to the end, best 100 ms ERLE, and the rx/out power
 * ratio from 1 s (which includes the line's A-law noise).
 *
 * usage: echo_report [-s hoth|css] [-l dBm0] [-t seconds] [-v simd]
 *                    [-m model-index] [-q] | -S cases
 * -S runs random conversations instead (see stress()).
 * Exit status 1 if any case has steady-state ERLE < 30 dB.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsp/echo.h"
#include "tests/unit/dsp_echo_sim.h"

static void ec_fn(void *ctx, const int16_t *rx, const int16_t *tx,
		  int16_t *out, size_t n)
{
	dsp_echo_process(ctx, rx, tx, out, n);
}

/*
 * Stress: random conversations. Each case: random model, ERL 6-20 dB,
 * bulk delay 0-110 ms, 12 s of Hoth far end with one near-end burst
 * (-10..-35 dBm0, 0.2-1.5 s, so in double talk) and one echo path change
 * at a random time. Checked: ERLE of the linear filter over the last
 * 1.5 s (far end alone) >= 25 dB, and no 100 ms window where the output
 * is more than 1 dB louder than the input (no divergence), except in the
 * second after the path change (or after the double talk that hid it).
 */
static uint32_t rnd_state;

static double rnd(void)
{
	rnd_state = rnd_state * 1664525u + 1013904223u;
	return (double)(rnd_state >> 8) / 16777216.0;
}

/* cases 0..cases-1, or only case `trace` (>= 0) with the canceller's
 * state every 0.25 s */
static int stress(int cases, unsigned seed, int trace)
{
	int bad = 0;
	double min_end = 1e9;

	printf("# stress: %d random conversations of 12 s (1024 taps, A-law, "
	       "NLP off)\n", cases);
	for (int c = trace >= 0 ? trace : 0; c < cases; c++) {
		struct sim_path *path = malloc(sizeof(*path));
		struct sim_talker far, nt;
		struct dsp_echo_cfg cfg;

		rnd_state = seed + (unsigned)c * 7919u;
		size_t m = (size_t)(rnd() * SIM_NMODELS);
		size_t m2 = (size_t)(rnd() * SIM_NMODELS);
		double erl = 6 + rnd() * 14;
		size_t delay = (size_t)(rnd() * (1024 - 130));
		size_t delay2 = (size_t)(rnd() * (1024 - 130));
		double t_change = 4 + rnd() * 4;
		double n_on = 1.5 + rnd() * 7, n_len = 0.2 + rnd() * 1.3;
		float n_lvl = (float)(-10 - rnd() * 25);
		double worst = 100, e_end = 0, r_end = 0;
		/* a change under double talk can only be seen after it */
		double trans_end = t_change + 1.0;

		if (n_on <= trans_end && n_on + n_len >= t_change)
			trans_end = fmax(trans_end, n_on + n_len + 1.0);
		double wi = 0, wo = 0;

		if (!path || sim_path_init(path, &sim_models[m], delay, erl,
					   SIM_SRC_HOTH, -10, c) ||
		    sim_talker_init(&far, SIM_SRC_HOTH, -10, c) ||
		    sim_talker_init(&nt, SIM_SRC_HOTH, n_lvl, c + 5000))
			return 2;
		dsp_echo_cfg_default(&cfg);
		cfg.flags = DSP_ECHO_F_ADAPT;
		struct dsp_echo *ec = dsp_echo_alloc(&cfg);
		bool changed = false;

		if (!ec)
			return 2;
		for (int f = 0; f < 12 * 50; f++) {
			int16_t tx[160], rx[160], out[160];
			double ev[160], t = f * 0.02;

			if (!changed && t >= t_change) {
				if (sim_path_init(path, &sim_models[m2], delay2,
						  erl, SIM_SRC_HOTH, -10, c))
					return 2;
				changed = true;
			}
			for (int i = 0; i < 160; i++) {
				double ts = t + i / 8000.0, v = 0;

				tx[i] = sim_alaw(sim_talker_next(&far));
				ev[i] = sim_path_echo(path, tx[i]);
				if (ts >= n_on && ts < n_on + n_len)
					v = sim_talker_next(&nt);
				rx[i] = sim_alaw(ev[i] + v);
			}
			dsp_echo_process(ec, rx, tx, out, 160);
			double fe = 0, fr = 0;

			for (int i = 0; i < 160; i++) {
				double re = ev[i] - (double)(rx[i] - out[i]);

				fe += ev[i] * ev[i];
				fr += re * re;
				wi += (double)rx[i] * rx[i];
				wo += (double)out[i] * out[i];
				if (t >= 10.5) {
					e_end += ev[i] * ev[i];
					r_end += re * re;
				}
			}
			if (trace >= 0 && f % 12 == 0) {
				struct dsp_echo_stats st;

				dsp_echo_get_stats(ec, &st);
				printf("  t %5.2f ERLE %5.1f (est %5.1f) conv %d "
				       "settled %d dt %d dt_count %u changes %u\n",
				       t, sim_db(fe, fr), st.erle_db,
				       st.converged, st.settled, st.dt_active,
				       st.dt_count, st.path_changes);
			}
			/* not judged: the 1 s after the path change, where the
			 * old estimate is still subtracted from the new echo */
			if (f % 5 == 4) {
				double g = sim_db(wo, wi);
				bool trans = t + 0.02 > t_change &&
					     t < trans_end;

				if (!trans && -g < worst)
					worst = -g;

				wi = wo = 0;
			}
		}
		double end = sim_db(e_end, r_end);
		bool fail = end < 25 || worst < -1.0;

		if (end < min_end)
			min_end = end;
		if (fail) {
			bad++;
			printf("  FAIL case %d: %s->%s ERL %.1f delay %zu->%zu "
			       "change %.1f s, near %.0f dBm0 at %.1f s for "
			       "%.1f s: end ERLE %.1f dB, worst out-in %.1f dB\n",
			       c, sim_models[m].name, sim_models[m2].name, erl,
			       delay, delay2, t_change, n_lvl, n_on, n_len, end,
			       -worst);
		}
		dsp_echo_free(ec);
		sim_talker_free(&far);
		sim_talker_free(&nt);
		free(path);
		if (trace >= 0)
			break;
	}
	printf("# stress: %d cases, %d failed, min end ERLE %.1f dB\n", cases,
	       bad, min_end);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const double erls[] = { 6, 12, 20 };
	static const unsigned delays_ms[] = { 0, 20, 60, 100 };
	enum sim_source src = SIM_SRC_HOTH;
	enum dsp_echo_simd simd = DSP_ECHO_SIMD_AUTO;
	float level = -10.0f;
	double secs = 3.0;
	int only = -1, opt, bad = 0, n = 0;
	bool quiet = false;
	double sum20 = 0, sum30 = 0, worst30 = 0, min_ss = 1e9;

	while ((opt = getopt(argc, argv, "s:l:t:v:m:qS:T:")) != -1) {
		switch (opt) {
		case 'S':
			return stress(atoi(optarg), 4242, -1);
		case 'T':
			return stress(atoi(optarg) + 1, 4242, atoi(optarg));
		case 's':
			src = strcmp(optarg, "css") == 0 ? SIM_SRC_CSS
							 : SIM_SRC_HOTH;
			break;
		case 'l':
			level = strtof(optarg, NULL);
			break;
		case 't':
			secs = strtod(optarg, NULL);
			break;
		case 'v':
			for (int i = 0; i < DSP_ECHO_SIMD_COUNT; i++) {
				if (!strcmp(optarg, dsp_echo_simd_name(i)))
					simd = i;
			}
			break;
		case 'm':
			only = atoi(optarg);
			break;
		case 'q':
			quiet = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-s hoth|css] [-l dBm0] "
				"[-t s] [-v simd] [-m model] [-q] | -S cases | "
				"-T case\n", argv[0]);
			return 2;
		}
	}
	printf("# dsp_echo G.168 grid: source=%s level=%.1f dBm0 run=%.1f s "
	       "taps=1024 simd=%s, A-law both ways, NLP off\n",
	       src == SIM_SRC_CSS ? "css" : "hoth", level, secs,
	       dsp_echo_simd_name(simd));
	printf("# ERLE = echo / (echo - estimate); rx/out includes the A-law "
	       "noise of the line\n");
	printf("# %-4s %4s %6s %7s %7s %8s %8s %8s\n", "mod", "ERL", "delay",
	       "t20[s]", "t30[s]", "ERLE_1s+", "ERLE_max", "rx/out");
	for (size_t m = 0; m < SIM_NMODELS; m++) {
		if (only >= 0 && (size_t)only != m)
			continue;
		for (size_t e = 0; e < 3; e++) {
			for (size_t d = 0; d < 4; d++) {
				struct dsp_echo_cfg cfg;
				struct sim_result r;
				size_t delay = delays_ms[d] * 8;

				if (delay + sim_models[m].len > 1024)
					delay = 1024 - sim_models[m].len;
				dsp_echo_cfg_default(&cfg);
				cfg.flags = DSP_ECHO_F_ADAPT;
				cfg.simd = simd;
				struct dsp_echo *ec = dsp_echo_alloc(&cfg);
				struct sim_scenario sc = {
					.model = &sim_models[m], .delay = delay,
					.erl_db = erls[e], .src = src,
					.dbm0 = level, .seconds = secs,
					.seed = 1234 + (int)(m * 100 + e * 10 + d),
				};

				if (!ec || sim_run_conv(ec_fn, ec, &sc, &r)) {
					fprintf(stderr, "setup failed\n");
					return 2;
				}
				dsp_echo_free(ec);
				n++;
				sum20 += r.t20 < 0 ? secs : r.t20;
				sum30 += r.t30 < 0 ? secs : r.t30;
				if ((r.t30 < 0 ? secs : r.t30) > worst30)
					worst30 = r.t30 < 0 ? secs : r.t30;
				if (r.erle_ss < min_ss)
					min_ss = r.erle_ss;
				if (r.erle_ss < 30)
					bad++;
				if (!quiet || r.erle_ss < 30)
					printf("  %-4s %4.0f %4zums %7.2f %7.2f "
					       "%8.1f %8.1f %8.1f\n",
					       sim_models[m].name, erls[e],
					       delay / 8, r.t20, r.t30,
					       r.erle_ss, r.erle_max,
					       r.line_ss);
			}
		}
	}
	printf("# %d cases: mean t20 %.2f s, mean t30 %.2f s, worst t30 "
	       "%.2f s, min steady ERLE %.1f dB, %d below 30 dB\n",
	       n, sum20 / n, sum30 / n, worst30, min_ss, bad);
	return bad ? 1 : 0;
}
