/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * echo_bench: cost and convergence of the dsp/echo G.168 canceller
 * against spandsp 0.0.6's echo_can at the same 1024-tap tail.
 *
 * Cost: microseconds of thread CPU time per channel per 20 ms frame (160
 * samples) in the steady state (after 3 s of convergence, untimed), with
 * far-end speech and no double talk so the filter adapts all the time,
 * for each SIMD variant this CPU runs: with the default (half-rate NLMS
 * tracking once settled) and with DSP_ECHO_F_FULL_RATE (IPNLMS on every
 * sample: what converging costs) and DSP_ECHO_F_FULL_TAIL (tracking over
 * the whole tail instead of the echo response's span), and for spandsp's
 * echo_can_update() called per sample. Channels per core = 20 ms / cost.
 * Many channels (-n N): N settled cancellers (AUTO) processed in turn
 * frame by frame as on a media thread, so their state comes from the
 * caches in use rather than L1: cost per channel per frame.
 * Convergence: time to 20 and 30 dB ERLE (and ERLE from 1 s on) on the
 * G.168 Annex D models, A-law line, Hoth far end at -20 and -10 dBm0,
 * for both cancellers on the same signals (tests/unit/dsp_echo_sim.h).
 * spandsp's fixed-point 1024-tap filter overflows at -10 dBm0 (its output
 * is then louder than the echo); -20 dBm0 is the fair comparison.
 *
 * spandsp's canceller prints debug text on stdout; stdout is pointed at
 * /dev/null around every call into it, here only.
 *
 * usage: echo_bench [-f frames] [-c conv-seconds] [-C spandsp-seconds]
 *                   [-n channels]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dsp/echo.h"
#include "tests/unit/dsp_echo_sim.h"

#define FRAME 160
#define WARM 150                /* 3 s untimed: measure the steady state */

static double now_us(void)
{
	struct timespec ts;

	/* thread CPU time: the machine is shared, wall time is not ours */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* stdout to /dev/null and back, around spandsp's echo canceller */
static int quiet_fd = -1;

static void stdout_quiet(void)
{
	int nul = open("/dev/null", O_WRONLY);

	fflush(stdout);
	quiet_fd = dup(STDOUT_FILENO);
	if (nul >= 0) {
		dup2(nul, STDOUT_FILENO);
		close(nul);
	}
}

static void stdout_restore(void)
{
	fflush(stdout);
	if (quiet_fd >= 0) {
		dup2(quiet_fd, STDOUT_FILENO);
		close(quiet_fd);
		quiet_fd = -1;
	}
}

static void ours_fn(void *ctx, const int16_t *rx, const int16_t *tx,
		    int16_t *out, size_t n)
{
	dsp_echo_process(ctx, rx, tx, out, n);
}

static void spandsp_fn(void *ctx, const int16_t *rx, const int16_t *tx,
		       int16_t *out, size_t n)
{
	stdout_quiet();
	for (size_t i = 0; i < n; i++)
		out[i] = echo_can_update(ctx, tx[i], rx[i]);
	stdout_restore();
}

/* Far-end and line signals for the cost runs (20 s, D.5, ERL 6, 60 ms). */
static int make_line(int16_t *tx, int16_t *rx, size_t n)
{
	struct sim_path *path = malloc(sizeof(*path));
	struct sim_talker far;

	if (!path || sim_path_init(path, &sim_models[3], 480, 6, SIM_SRC_HOTH,
				   -10, 77) ||
	    sim_talker_init(&far, SIM_SRC_HOTH, -10, 77)) {
		free(path);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		tx[i] = sim_alaw(sim_talker_next(&far));
		rx[i] = sim_alaw(sim_path_echo(path, tx[i]));
	}
	sim_talker_free(&far);
	free(path);
	return 0;
}

static double cost_ours(enum dsp_echo_simd v, unsigned flags,
			const int16_t *tx, const int16_t *rx, int16_t *out,
			size_t frames)
{
	struct dsp_echo_cfg cfg;
	double best = 1e30;

	dsp_echo_cfg_default(&cfg);
	cfg.simd = v;
	cfg.flags = flags;
	/* three passes, best one: the machine is shared */
	for (int pass = 0; pass < 3; pass++) {
		struct dsp_echo *ec = dsp_echo_alloc(&cfg);

		if (!ec)
			return -1;
		for (size_t f = 0; f < WARM; f++)
			dsp_echo_process(ec, rx + f * FRAME, tx + f * FRAME,
					 out + f * FRAME, FRAME);
		double t0 = now_us();

		for (size_t f = WARM; f < frames; f++)
			dsp_echo_process(ec, rx + f * FRAME, tx + f * FRAME,
					 out + f * FRAME, FRAME);
		double t = (now_us() - t0) / (double)(frames - WARM);

		dsp_echo_free(ec);
		if (t < best)
			best = t;
	}
	return best;
}

/* N cancellers in turn, each frame: per channel per frame, or -1 */
static double cost_many(size_t nch, const int16_t *tx, const int16_t *rx,
			int16_t *out, size_t frames)
{
	struct dsp_echo **ec = calloc(nch, sizeof(*ec));
	double t = -1;

	if (!ec)
		return -1;
	for (size_t c = 0; c < nch; c++) {
		ec[c] = dsp_echo_alloc(NULL);
		if (!ec[c])
			goto out;
	}
	for (size_t f = 0; f < WARM; f++)
		for (size_t c = 0; c < nch; c++)
			dsp_echo_process(ec[c], rx + f * FRAME,
					 tx + f * FRAME, out + f * FRAME,
					 FRAME);
	double t0 = now_us();

	for (size_t f = WARM; f < frames; f++)
		for (size_t c = 0; c < nch; c++)
			dsp_echo_process(ec[c], rx + f * FRAME,
					 tx + f * FRAME, out + f * FRAME,
					 FRAME);
	t = (now_us() - t0) / (double)(frames - WARM) / (double)nch;
out:
	for (size_t c = 0; c < nch; c++)
		dsp_echo_free(ec[c]);
	free(ec);
	return t;
}

static double cost_spandsp(const int16_t *tx, const int16_t *rx,
			   int16_t *out, size_t frames)
{
	double best = 1e30;

	for (int pass = 0; pass < 3; pass++) {
		stdout_quiet();
		echo_can_state_t *ec = echo_can_init(1024,
						     ECHO_CAN_USE_ADAPTION);
		stdout_restore();
		if (!ec)
			return -1;
		for (size_t f = 0; f < WARM; f++)
			spandsp_fn(ec, rx + f * FRAME, tx + f * FRAME,
				   out + f * FRAME, FRAME);
		double t0 = now_us();

		for (size_t f = WARM; f < frames; f++)
			spandsp_fn(ec, rx + f * FRAME, tx + f * FRAME,
				   out + f * FRAME, FRAME);
		double t = (now_us() - t0) / (double)(frames - WARM);

		stdout_quiet();
		echo_can_free(ec);
		stdout_restore();
		if (t < best)
			best = t;
	}
	return best;
}

struct conv_sum {
	int n, n20, n30, n_ss30;
	double sum20, sum30, worst30, min_ss;
};

static void conv_add(struct conv_sum *s, const struct sim_result *r,
		     double secs)
{
	double t20 = r->t20 < 0 ? secs : r->t20;
	double t30 = r->t30 < 0 ? secs : r->t30;

	s->n++;
	s->n20 += r->t20 >= 0;
	s->n30 += r->t30 >= 0;
	s->n_ss30 += r->erle_ss >= 30;
	s->sum20 += t20;
	s->sum30 += t30;
	if (t30 > s->worst30)
		s->worst30 = t30;
	if (s->n == 1 || r->erle_ss < s->min_ss)
		s->min_ss = r->erle_ss;
}

static void conv_print(const char *who, const struct conv_sum *s,
		       double secs)
{
	printf("conv %-8s cases=%d reached20=%d reached30=%d "
	       "mean_t20=%.2fs mean_t30=%.2fs worst_t30=%.2fs "
	       "erle_from_1s>=30dB:%d/%d min_erle_from_1s=%.1fdB "
	       "(run %.0f s; a case never reaching X counts as %.0f s)\n",
	       who, s->n, s->n20, s->n30, s->sum20 / s->n, s->sum30 / s->n,
	       s->worst30, s->n_ss30, s->n, s->min_ss, secs, secs);
}

/*
 * Both cancellers on the same 24 lines (D.2-D.9 x ERL 6/12/20, 20 ms bulk
 * delay) at one far-end level; per-case lines when verbose.
 */
static int compare(float dbm0, double csecs, double ssecs, bool verbose)
{
	static const double erls[] = { 6, 12, 20 };
	struct conv_sum ours = { 0 }, spd = { 0 };

	printf("# convergence: G.168 D.2-D.9, ERL 6/12/20 dB, 20 ms bulk "
	       "delay, 1024 taps, Hoth far end %.0f dBm0, A-law, NLP off; "
	       "ERLE = echo / (echo - estimate), 100 ms windows\n", dbm0);
	for (size_t m = 0; m < SIM_NMODELS; m++) {
		for (size_t e = 0; e < 3; e++) {
			struct sim_scenario sc = {
				.model = &sim_models[m], .delay = 160,
				.erl_db = erls[e], .src = SIM_SRC_HOTH,
				.dbm0 = dbm0, .seconds = csecs,
				.seed = 500 + (int)(m * 10 + e),
			};
			struct dsp_echo_cfg cfg;
			struct sim_result r, rs;

			dsp_echo_cfg_default(&cfg);
			cfg.flags = DSP_ECHO_F_ADAPT;
			struct dsp_echo *ec = dsp_echo_alloc(&cfg);

			if (!ec || sim_run_conv(ours_fn, ec, &sc, &r)) {
				dsp_echo_free(ec);
				return -1;
			}
			dsp_echo_free(ec);
			conv_add(&ours, &r, csecs);

			sc.seconds = ssecs;
			stdout_quiet();
			echo_can_state_t *sec = echo_can_init(
				1024, ECHO_CAN_USE_ADAPTION);
			stdout_restore();
			if (!sec)
				return -1;
			int rc = sim_run_conv(spandsp_fn, sec, &sc, &rs);

			stdout_quiet();
			echo_can_free(sec);
			stdout_restore();
			if (rc)
				return -1;
			conv_add(&spd, &rs, ssecs);
			if (verbose)
				printf("conv %.0fdBm0 %s ERL %2.0f: dsp_echo "
				       "t20=%5.2fs t30=%5.2fs erle_from_1s="
				       "%5.1fdB | spandsp t20=%5.2fs t30=%5.2fs "
				       "erle_from_1s=%5.1fdB\n", dbm0,
				       sim_models[m].name, erls[e], r.t20, r.t30,
				       r.erle_ss, rs.t20, rs.t30, rs.erle_ss);
		}
	}
	conv_print("dsp_echo", &ours, csecs);
	conv_print("spandsp", &spd, ssecs);
	return 0;
}

int main(int argc, char **argv)
{
	static const double erls[] = { 6, 12, 20 };
	size_t frames = 1000, nch = 0;
	double csecs = 3.0, ssecs = 20.0;
	int opt;

	while ((opt = getopt(argc, argv, "f:c:C:n:")) != -1) {
		switch (opt) {
		case 'f':
			frames = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			csecs = strtod(optarg, NULL);
			break;
		case 'C':
			ssecs = strtod(optarg, NULL);
			break;
		case 'n':
			nch = strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: %s [-f frames] [-c s] [-C s] "
				"[-n channels]\n",
				argv[0]);
			return 2;
		}
	}
	if (frames < WARM + 50)
		frames = WARM + 50;

	size_t ns = frames * FRAME;
	int16_t *tx = malloc(ns * sizeof(int16_t));
	int16_t *rx = malloc(ns * sizeof(int16_t));
	int16_t *out = malloc(ns * sizeof(int16_t));

	if (!tx || !rx || !out || make_line(tx, rx, ns)) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}

	printf("# cost: 1024 taps, 160-sample frames, Hoth far end at -10 dBm0 "
	       "over G.168 D.5 + 60 ms, ERL 6 dB, A-law, NLP+CNG on; first "
	       "%d frames (3 s, convergence) untimed, then %zu frames timed; "
	       "best of 3 runs, thread CPU time, one thread\n", WARM,
	       frames - WARM);
	double sp = cost_spandsp(tx, rx, out, frames);
	double best = 1e30, best_full = 1e30;

	printf("cost spandsp-0.0.6 echo_can_update(ADAPTION) "
	       "us_per_frame=%.2f channels_per_core=%.0f\n", sp, 20000.0 / sp);
	for (int v = DSP_ECHO_SIMD_C; v < DSP_ECHO_SIMD_COUNT; v++) {
		if (!dsp_echo_simd_supported(v)) {
			printf("cost dsp_echo %-6s not supported on this CPU\n",
			       dsp_echo_simd_name(v));
			continue;
		}
		double c = cost_ours(v, DSP_ECHO_F_DEFAULT, tx, rx, out,
				     frames);
		double cf = cost_ours(v, DSP_ECHO_F_DEFAULT |
				      DSP_ECHO_F_FULL_RATE, tx, rx, out,
				      frames);
		double ct = cost_ours(v, DSP_ECHO_F_DEFAULT |
				      DSP_ECHO_F_FULL_TAIL, tx, rx, out,
				      frames);

		if (c < best)
			best = c;
		if (cf < best_full)
			best_full = cf;
		printf("cost dsp_echo %-6s us_per_frame=%.2f "
		       "channels_per_core=%.0f speedup_vs_spandsp=%.1fx | "
		       "full-rate adaptation: us_per_frame=%.2f "
		       "channels_per_core=%.0f speedup=%.1fx | whole-tail "
		       "tracking: us_per_frame=%.2f\n",
		       dsp_echo_simd_name(v), c, 20000.0 / c, sp / c, cf,
		       20000.0 / cf, sp / cf, ct);
	}
	printf("cost summary: best dsp_echo %.2f us/frame (default: "
	       "half-rate tracking once settled) vs spandsp %.2f us/frame:"
	       " %.1fx faster (target >= 10x), %.0f channels per core; "
	       "adapting on every sample %.2f us/frame, %.1fx\n", best, sp,
	       sp / best, 20000.0 / best, best_full, sp / best_full);
	if (nch > 0) {
		double cm = cost_many(nch, tx, rx, out, frames);

		printf("cost many: %zu settled cancellers (default config) "
		       "in turn, frame by frame: us_per_channel_frame=%.2f "
		       "channels_per_core=%.0f (one channel alone, best "
		       "variant: %.2f)\n", nch, cm, 20000.0 / cm, best);
	}

	/* convergence on the same signals, both cancellers */
	static const float levels[] = { -20, -10 };
	struct conv_sum ours_all = { 0 };

	for (size_t l = 0; l < 2; l++) {
		if (compare(levels[l], csecs, ssecs, l == 0))
			return 1;
	}

	/* ours over the whole delay grid */
	static const unsigned delays_ms[] = { 0, 20, 60, 100 };

	for (size_t m = 0; m < SIM_NMODELS; m++) {
		for (size_t e = 0; e < 3; e++) {
			for (size_t d = 0; d < 4; d++) {
				size_t delay = delays_ms[d] * 8;

				if (delay + sim_models[m].len > 1024)
					delay = 1024 - sim_models[m].len;
				struct sim_scenario sc = {
					.model = &sim_models[m], .delay = delay,
					.erl_db = erls[e], .src = SIM_SRC_HOTH,
					.dbm0 = -10, .seconds = csecs,
					.seed = 900 + (int)(m * 100 + e * 10 + d),
				};
				struct dsp_echo_cfg cfg;
				struct sim_result r;

				dsp_echo_cfg_default(&cfg);
				cfg.flags = DSP_ECHO_F_ADAPT;
				struct dsp_echo *ec = dsp_echo_alloc(&cfg);

				if (!ec || sim_run_conv(ours_fn, ec, &sc, &r))
					return 1;
				dsp_echo_free(ec);
				conv_add(&ours_all, &r, csecs);
			}
		}
	}
	printf("# full grid (delays 0/20/60/100 ms):\n");
	conv_print("dsp_echo", &ours_all, csecs);
	free(tx);
	free(rx);
	free(out);
	return 0;
}
