/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * echo_report: run the dsp/echo canceller over the full G.168 grid (Annex
 * D models D.2-D.9, ERL 6/12/20 dB, bulk delays 0/20/60/100 ms, 1024-tap
 * tail, A-law line) and print one row per case: time to 20 and 30 dB
 * ERLE, ERLE from 1 s to the end, best 100 ms ERLE, and the rx/out power
 * ratio from 1 s (which includes the line's A-law noise).
 *
 * usage: echo_report [-s hoth|css] [-l dBm0] [-t seconds] [-v simd]
 *                    [-m model-index] [-q]
 * Exit status 1 if any case has steady-state ERLE < 30 dB.
 */
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

	while ((opt = getopt(argc, argv, "s:l:t:v:m:q")) != -1) {
		switch (opt) {
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
				"[-t s] [-v simd] [-m model] [-q]\n", argv[0]);
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
