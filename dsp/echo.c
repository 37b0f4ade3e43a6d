/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * G.168 line echo canceller: 8 kHz linear samples, tail up to 1024 taps.
 * Implements the canceller structure of ITU-T G.168 §3 (linear adaptive
 * filter, double-talk detection, NLP with comfort noise) tested against
 * the §6.4 requirements with the Annex D hybrid models, and the tone
 * disabler hook of §6.4.2.10.
 *
 * Why this filter: a network echo path is sparse (a 4-16 ms hybrid
 * response somewhere in a 128 ms window behind a bulk delay), and far-end
 * speech is strongly coloured. Plain NLMS is slow on both counts. We use
 *  - IPNLMS (Benesty & Gay 2002) while converging: each tap's step is
 *    proportional to a mix of a uniform term and its own magnitude, so
 *    the few active taps converge several times faster while inactive
 *    taps stay near zero. The step is normalised by the exact x'Gx (see
 *    the kernels), which keeps it stable on speech onsets;
 *  - once settled (ERLE no longer improving), plain NLMS with a smaller
 *    step on every other sample: tracking needs neither speed nor the
 *    proportionate gain, and this halves the steady-state cost and
 *    lowers the misadjustment. The filter and the tracking then cover
 *    only the span of the echo response (the taps outside it, adaptation
 *    noise, are zeroed; window_set()), typically 2-5 blocks of 64 taps;
 *  - a robust step: the adaptation error is clipped at a multiple of its
 *    own running scale, which bounds the damage of the few samples of
 *    double talk before a detector fires;
 *  - time-domain processing, one fused pass per sample (update of w for
 *    sample n and filter output for sample n+1 share the loads): no
 *    block delay, and 1024 taps cost about 4-5 us per channel per 20 ms
 *    frame in the steady state with AVX2 (tests/bench/bench_echo.sh).
 * A partitioned-block frequency-domain filter would be cheaper per tap
 * and would whiten the input per bin, but adds a block of delay or needs
 * a mixed-radix FFT at 160 samples; on the sparse G.168 paths IPNLMS
 * already reaches 30 dB ERLE in under 1 s (see tests/tools/echo_report).
 * A time-domain LPC pre-whitened update and a block-proportionate gain
 * were tried and dropped (no faster on speech; slower convergence).
 *
 * Double talk: Geigel (|rx| > 0.5 max|tx| over the tail, G.168's 6 dB ERL
 * assumption) with 15 ms hangover, plus an energy detector once converged
 * (the residual rises well above what the filter predicts from its own
 * output), with a 1 ms fast path that freezes adaptation within a few
 * samples of near-end speech onset. When the energy detector fires for
 * 100 ms it is either double talk or an echo path change: a shadow copy
 * of the filter adapts while the main one stays frozen, and replaces it
 * only if it cancels 6 dB better for 20 ms (a path change); near-end
 * speech cannot be cancelled, so double talk never commits it.
 *
 * NLP: suppress only when the output power is explained by the estimated
 * residual echo; any output clearly above it (near-end speech, however
 * quiet) passes. Suppressed output is replaced by comfort noise at the
 * tracked near-end background level and spectral tilt (first-order AR),
 * with 5 ms power-complementary cross-fades.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ECHO_X86 1
#endif

#include "dsp/echo.h"

#define TAP_ALIGN 64            /* taps rounded up for the vector kernels */
#define HIST_EXTRA 512          /* history slack between memmoves */
#define CHUNK 40                /* 5 ms decision sub-block */
#define GMAX_BLK 16             /* Geigel block maximum length */

#define GEIGEL_THRESH 0.5f      /* 6 dB ERL assumption (G.168) */
#define GEIGEL_HANG 120         /* 15 ms */
#define EDT_HANG 8              /* chunks: 40 ms */
#define FAST_K 16.0f            /* fast detector: 12 dB over the residual */
#define NLP_HANG 4              /* chunks: 20 ms */
#define PC_CHUNKS 20            /* chunks: 100 ms before the shadow runs */
#define SH_GOOD 4               /* chunks of shadow 6 dB better: commit */
#define SH_MAX_CHUNKS 200       /* 1 s without that: it was double talk */
#define MU 0.6f                 /* IPNLMS step while converging */
#define MU_TRACK 0.3f           /* NLMS step once settled: less misadjustment */
#define IPNLMS_ALPHA 0.5f
#define CLIP_K 2.5f             /* robust clip, multiples of error scale */
#define SCALE_BETA (1.0f / 256) /* error scale tracking */
#define FAR_FLOOR 900.0f        /* far-end active: RMS > 30 (~-57 dBm0) */
#define NLP_K 4.0f              /* near end passes at 6 dB over residual */
#define R_FLOOR 50.0f           /* residual below ~-70 dBm0: nothing to do */
#define LT_BETA 0.05f           /* long-term trackers, per chunk */
#define CONV_ON_DB 16.0f
#define CONV_OFF_DB 6.0f
#define SETTLE_CHUNKS 100       /* 0.5 s */
#define SETTLE_DB 20.0f
#define SETTLE_FAST_DB 30.0f    /* settled at once from there */
#define WIN_BLK 64              /* active window granularity, taps */
#define WIN_FLOOR 3.16e-5f      /* block energy -45 dB under the peak block */
#define WIN_NOISE_K 16.0f       /* and 12 dB over the lower-quartile block */
#define WIN_NOISE_MIN_BLK 8     /* floor estimated from 8 blocks or more */
#define QUIET_PEAK 16.0f        /* filter output bound ~-60 dBm0 (peak) */
#define QUIET_POW 256.0f        /* or echo power bound under ~-60 dBm0 */
#define QUIET_MARGIN 1000.0f    /* and 30 dB under the near-end power */

/*
 * Kernels. The IPNLMS step is normalised by x'Gx = A*|x|^2 + B*q with
 * q = sum |w[k]| x[k]^2: with speech (onsets after pauses) the energy of
 * the window is not spread evenly over the taps, and the usual shortcut
 * x'Gx ~ |x|^2 overshoots by the ratio of the energy at the active taps
 * to the average, which diverges. So every pass that produces a filter
 * output y = w.x also produces q for the same window.
 *
 * dot: y (and q) for the current w. upd: coefficient update only,
 * returns sum |w|. upd_dot: update for sample n fused with y for sample
 * n+1, and on request q for n+1 (only when n+1 will adapt) and sum |w|
 * (every update while converging, every 4th after). nlms_dot: plain NLMS
 * update (w += c z) fused with y, for tracking once settled.
 *
 * The vector variants keep four independent accumulators per sum: one
 * chain would be bound by the FMA latency. n is a multiple of 64.
 */
typedef float (*dot_fn)(const float *w, const float *x, size_t n, float *q);
typedef float (*upd_fn)(float *w, const float *z, size_t n, float ca,
			float cb);
typedef float (*upd_dot_fn)(float *w, const float *z, const float *xn,
			    size_t n, float ca, float cb, float *l1,
			    float *q);

typedef float (*nlms_dot_fn)(float *w, const float *z, const float *xn,
			     size_t n, float c);
/* nlms_dot, and also *y2 = dot(w, xn + 1) of the updated w, bit-exact */
typedef float (*nlms_dot2_fn)(float *w, const float *z, const float *xn,
			      size_t n, float c, float *y2);

/* out[r] = dot(w, x + r) for r < cnt, each bit-exact with dot(.., NULL) */
typedef void (*dotm_fn)(const float *w, const float *x, size_t n, size_t cnt,
			float *out);

struct kernels {
	dot_fn dot;             /* q may be NULL */
	upd_fn upd;
	upd_dot_fn upd_dot;     /* l1 and q may be NULL */
	nlms_dot_fn nlms_dot;   /* plain NLMS update fused with y */
	nlms_dot2_fn nlms_dot2; /* the same, with y of the sample after */
	dotm_fn dotm;           /* several outputs of a frozen filter, or NULL */
};

struct dsp_echo {
	/* configuration */
	size_t taps;            /* rounded to TAP_ALIGN */
	size_t hist;            /* history buffer length */
	unsigned flags;
	bool disabled;
	bool hold;              /* adaptation suspended (overload) */
	bool hist_stale;
	enum dsp_echo_simd simd;
	struct kernels k;
	uint32_t seed;

	/* filter: w[j] multiplies hx[p - taps + 1 + j] (time reversed) */
	float *w;
	float *hx;              /* far-end history */
	size_t p;               /* index of newest sample */
	double ex;              /* window energy of hx */
	float l1;               /* sum |w| */
	float l1x;              /* exact sum |w| over the window, if l1x_ok */
	bool l1x_ok;            /* l1x matches w (cleared by any update) */
	bool w_zero;            /* w all zero (never adapted since reset) */
	bool win_on;            /* settled: only w[win_lo..+win_len) nonzero */
	size_t win_lo, win_len;
	uint32_t adapt_n;
	uint32_t tick;           /* half-rate adaptation phase */
	bool settled;
	float erle_ck;
	unsigned ck_cnt;
	float y;                /* precomputed output for the next sample */
	float q;                /* sum |w| x^2 over the same window */
	bool q_ok;              /* q was computed for this window */
	bool have_y;

	/* robust step */
	float s2;
	bool s2_set;
	float ef, yf;           /* 1 ms error and echo-estimate envelopes */
	float inv_erle;         /* 1 / long-term ERLE (linear) */

	/* Geigel */
	float *gblk;            /* block maxima ring */
	size_t gnblk, gidx;
	float gcur, gtail;
	unsigned gcnt;
	unsigned ghang;
	bool g_fired;           /* fired in this chunk */

	/* chunk accumulators (mean powers) */
	unsigned acc_n;
	double acc_d, acc_e, acc_y, acc_x;
	float *pxring;          /* chunk far-end powers over the tail */
	size_t pxn, pxidx;

	/* long-term trackers */
	float pd_lt, pe_lt, px_lt, py_lt;
	bool lt_set;
	bool converged;
	unsigned edt_hang;
	unsigned pc_cnt;

	/*
	 * Shadow filter, run only while the energy detector alone says the
	 * residual rose (quiet double talk or an echo path change): the
	 * main filter stays frozen, a copy adapts, and replaces it only if
	 * it cancels clearly better. Near-end speech cannot be cancelled,
	 * so double talk never commits it.
	 */
	struct {
		float *w;
		float y, q, l1, s2;
		bool on, q_ok, s2_set;
		unsigned chunks, good;
		double acc_e;
	} sh;
	bool dt_prev;

	/* NLP / CNG */
	float nlp_g;
	unsigned nlp_hang;
	bool nlp_active;
	float noise;            /* background power estimate */
	bool noise_set;
	float cng_rho;          /* background lag-1 correlation */
	float cng_v;            /* comfort noise filter state */
	double acc_r0, acc_r1;  /* output autocorrelation, this chunk */
	float e_prev;
	uint32_t rng;

	/* stats */
	uint32_t dt_count;
	uint32_t path_changes;
	uint64_t samples;
	uint64_t held_blocks;
};

/* ---- kernels ---------------------------------------------------------- */

/*
 * Portable C: eight independent partial sums per reduction (the compiler
 * can map them onto whatever vector unit it has), one loop per option so
 * no work is done for a NULL output.
 */
#define CL 8

static float sum8(const float *a)
{
	return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

static float dot_c(const float *restrict w, const float *restrict x,
		   size_t n, float *q)
{
	float s[CL] = { 0 }, t[CL] = { 0 };

	if (q) {
		for (size_t i = 0; i < n; i += CL) {
			for (int j = 0; j < CL; j++) {
				float xv = x[i + j];

				s[j] += w[i + j] * xv;
				t[j] += fabsf(w[i + j]) * xv * xv;
			}
		}
		*q = sum8(t);
	} else {
		for (size_t i = 0; i < n; i += CL) {
			for (int j = 0; j < CL; j++)
				s[j] += w[i + j] * x[i + j];
		}
	}
	return sum8(s);
}

static float upd_c(float *restrict w, const float *restrict z, size_t n,
		   float ca, float cb)
{
	float l[CL] = { 0 };

	for (size_t i = 0; i < n; i += CL) {
		for (int j = 0; j < CL; j++) {
			float v = w[i + j] +
				  (ca + cb * fabsf(w[i + j])) * z[i + j];

			w[i + j] = v;
			l[j] += fabsf(v);
		}
	}
	return sum8(l);
}

static float nlms_dot_c(float *restrict w, const float *restrict z,
			const float *restrict xn, size_t n, float c)
{
	float s[CL] = { 0 };

	for (size_t i = 0; i < n; i += CL) {
		for (int j = 0; j < CL; j++) {
			float v = w[i + j] + c * z[i + j];

			w[i + j] = v;
			s[j] += v * xn[i + j];
		}
	}
	return sum8(s);
}

static float nlms_dot2_c(float *restrict w, const float *restrict z,
			 const float *restrict xn, size_t n, float c,
			 float *y2)
{
	float s[CL] = { 0 }, t[CL] = { 0 };

	for (size_t i = 0; i < n; i += CL) {
		for (int j = 0; j < CL; j++) {
			float v = w[i + j] + c * z[i + j];

			w[i + j] = v;
			s[j] += v * xn[i + j];
			t[j] += v * xn[i + j + 1];
		}
	}
	*y2 = sum8(t);
	return sum8(s);
}

static float upd_dot_c(float *restrict w, const float *restrict z,
		       const float *restrict xn, size_t n, float ca, float cb,
		       float *l1, float *q)
{
	float s[CL] = { 0 }, t[CL] = { 0 }, l[CL] = { 0 };

	for (size_t i = 0; i < n; i += CL) {
		for (int j = 0; j < CL; j++) {
			float v = w[i + j] +
				  (ca + cb * fabsf(w[i + j])) * z[i + j];
			float a = fabsf(v), xv = xn[i + j];

			w[i + j] = v;
			s[j] += v * xv;
			t[j] += a * xv * xv;
			l[j] += a;
		}
	}
	if (l1)
		*l1 = sum8(l);
	if (q)
		*q = sum8(t);
	return sum8(s);
}

#ifdef ECHO_X86
/*
 * One macro body per instruction set, instantiated for the vector type:
 * V vector, LD aligned load, LU unaligned load, ST store, AB abs, FM fma
 * (a*b+c), MU mul, AD add.
 */
#define KERN_BODIES(SFX, ATTR, V, W, LD, LU, ST, AB, FM, MU, AD, SET1,  \
		    ZERO, HSUM)                                          \
ATTR static inline __attribute__((always_inline)) float                 \
dot_body_##SFX(const float *restrict w, const float *restrict x,        \
	       size_t n, float *q)                                       \
{                                                                        \
	V s0 = ZERO(), s1 = ZERO(), s2 = ZERO(), s3 = ZERO();            \
	V t0 = ZERO(), t1 = ZERO(), t2 = ZERO(), t3 = ZERO();            \
	for (size_t i = 0; i < n; i += 4 * W) {                          \
		V x0 = LU(x + i), x1 = LU(x + i + W);                    \
		V x2 = LU(x + i + 2 * W), x3 = LU(x + i + 3 * W);        \
		V w0 = LD(w + i), w1 = LD(w + i + W);                    \
		V w2 = LD(w + i + 2 * W), w3 = LD(w + i + 3 * W);        \
		s0 = FM(w0, x0, s0);                                     \
		s1 = FM(w1, x1, s1);                                     \
		s2 = FM(w2, x2, s2);                                     \
		s3 = FM(w3, x3, s3);                                     \
		if (q) {                                                 \
			t0 = FM(MU(AB(w0), x0), x0, t0);                 \
			t1 = FM(MU(AB(w1), x1), x1, t1);                 \
			t2 = FM(MU(AB(w2), x2), x2, t2);                 \
			t3 = FM(MU(AB(w3), x3), x3, t3);                 \
		}                                                        \
	}                                                                \
	if (q)                                                           \
		*q = HSUM(AD(AD(t0, t1), AD(t2, t3)));                   \
	return HSUM(AD(AD(s0, s1), AD(s2, s3)));                         \
}                                                                        \
ATTR static float dot_##SFX(const float *restrict w,                    \
			    const float *restrict x, size_t n, float *q) \
{                                                                        \
	return q ? dot_body_##SFX(w, x, n, q)                            \
		 : dot_body_##SFX(w, x, n, NULL);                        \
}                                                                        \
ATTR static float upd_##SFX(float *restrict w, const float *restrict z, \
			    size_t n, float ca, float cb)                \
{                                                                        \
	V va = SET1(ca), vb = SET1(cb);                                  \
	V l0 = ZERO(), l1 = ZERO(), l2 = ZERO(), l3 = ZERO();            \
	for (size_t i = 0; i < n; i += 4 * W) {                          \
		V w0 = LD(w + i), w1 = LD(w + i + W);                    \
		V w2 = LD(w + i + 2 * W), w3 = LD(w + i + 3 * W);        \
		w0 = FM(FM(vb, AB(w0), va), LU(z + i), w0);              \
		w1 = FM(FM(vb, AB(w1), va), LU(z + i + W), w1);          \
		w2 = FM(FM(vb, AB(w2), va), LU(z + i + 2 * W), w2);      \
		w3 = FM(FM(vb, AB(w3), va), LU(z + i + 3 * W), w3);      \
		ST(w + i, w0);                                           \
		ST(w + i + W, w1);                                       \
		ST(w + i + 2 * W, w2);                                   \
		ST(w + i + 3 * W, w3);                                   \
		l0 = AD(l0, AB(w0));                                     \
		l1 = AD(l1, AB(w1));                                     \
		l2 = AD(l2, AB(w2));                                     \
		l3 = AD(l3, AB(w3));                                     \
	}                                                                \
	return HSUM(AD(AD(l0, l1), AD(l2, l3)));                         \
}                                                                        \
ATTR static inline __attribute__((always_inline)) float                 \
upd_dot_body_##SFX(float *restrict w, const float *restrict z,          \
		   const float *restrict xn, size_t n, float ca,         \
		   float cb, float *l1, float *q)                        \
{                                                                        \
	V va = SET1(ca), vb = SET1(cb);                                  \
	V s0 = ZERO(), s1 = ZERO(), s2 = ZERO(), s3 = ZERO();            \
	V t0 = ZERO(), t1 = ZERO(), t2 = ZERO(), t3 = ZERO();            \
	V a0 = ZERO(), a1 = ZERO(), a2 = ZERO(), a3 = ZERO();            \
	for (size_t i = 0; i < n; i += 4 * W) {                          \
		V w0 = LD(w + i), w1 = LD(w + i + W);                    \
		V w2 = LD(w + i + 2 * W), w3 = LD(w + i + 3 * W);        \
		V x0 = LU(xn + i), x1 = LU(xn + i + W);                  \
		V x2 = LU(xn + i + 2 * W), x3 = LU(xn + i + 3 * W);      \
		w0 = FM(FM(vb, AB(w0), va), LU(z + i), w0);              \
		w1 = FM(FM(vb, AB(w1), va), LU(z + i + W), w1);          \
		w2 = FM(FM(vb, AB(w2), va), LU(z + i + 2 * W), w2);      \
		w3 = FM(FM(vb, AB(w3), va), LU(z + i + 3 * W), w3);      \
		ST(w + i, w0);                                           \
		ST(w + i + W, w1);                                       \
		ST(w + i + 2 * W, w2);                                   \
		ST(w + i + 3 * W, w3);                                   \
		s0 = FM(w0, x0, s0);                                     \
		s1 = FM(w1, x1, s1);                                     \
		s2 = FM(w2, x2, s2);                                     \
		s3 = FM(w3, x3, s3);                                     \
		if (q || l1) {                                           \
			V b0 = AB(w0), b1 = AB(w1);                      \
			V b2 = AB(w2), b3 = AB(w3);                      \
			if (q) {                                         \
				t0 = FM(MU(b0, x0), x0, t0);             \
				t1 = FM(MU(b1, x1), x1, t1);             \
				t2 = FM(MU(b2, x2), x2, t2);             \
				t3 = FM(MU(b3, x3), x3, t3);             \
			}                                                \
			if (l1) {                                        \
				a0 = AD(a0, b0);                         \
				a1 = AD(a1, b1);                         \
				a2 = AD(a2, b2);                         \
				a3 = AD(a3, b3);                         \
			}                                                \
		}                                                        \
	}                                                                \
	if (l1)                                                          \
		*l1 = HSUM(AD(AD(a0, a1), AD(a2, a3)));                  \
	if (q)                                                           \
		*q = HSUM(AD(AD(t0, t1), AD(t2, t3)));                   \
	return HSUM(AD(AD(s0, s1), AD(s2, s3)));                         \
}                                                                        \
ATTR static float nlms_dot_##SFX(float *restrict w,                     \
				 const float *restrict z,                \
				 const float *restrict xn, size_t n,     \
				 float c)                                \
{                                                                        \
	V vc = SET1(c);                                                  \
	V s0 = ZERO(), s1 = ZERO(), s2 = ZERO(), s3 = ZERO();            \
	for (size_t i = 0; i < n; i += 4 * W) {                          \
		V w0 = FM(vc, LU(z + i), LD(w + i));                     \
		V w1 = FM(vc, LU(z + i + W), LD(w + i + W));             \
		V w2 = FM(vc, LU(z + i + 2 * W), LD(w + i + 2 * W));     \
		V w3 = FM(vc, LU(z + i + 3 * W), LD(w + i + 3 * W));     \
		ST(w + i, w0);                                           \
		ST(w + i + W, w1);                                       \
		ST(w + i + 2 * W, w2);                                   \
		ST(w + i + 3 * W, w3);                                   \
		s0 = FM(w0, LU(xn + i), s0);                             \
		s1 = FM(w1, LU(xn + i + W), s1);                         \
		s2 = FM(w2, LU(xn + i + 2 * W), s2);                     \
		s3 = FM(w3, LU(xn + i + 3 * W), s3);                     \
	}                                                                \
	return HSUM(AD(AD(s0, s1), AD(s2, s3)));                         \
}                                                                        \
ATTR static float nlms_dot2_##SFX(float *restrict w,                    \
				  const float *restrict z,               \
				  const float *restrict xn, size_t n,    \
				  float c, float *y2)                    \
{                                                                        \
	const float *xb = xn + 1;                                        \
	V vc = SET1(c);                                                  \
	V s0 = ZERO(), s1 = ZERO(), s2 = ZERO(), s3 = ZERO();            \
	V t0 = ZERO(), t1 = ZERO(), t2 = ZERO(), t3 = ZERO();            \
	for (size_t i = 0; i < n; i += 4 * W) {                          \
		V w0 = FM(vc, LU(z + i), LD(w + i));                     \
		V w1 = FM(vc, LU(z + i + W), LD(w + i + W));             \
		V w2 = FM(vc, LU(z + i + 2 * W), LD(w + i + 2 * W));     \
		V w3 = FM(vc, LU(z + i + 3 * W), LD(w + i + 3 * W));     \
		ST(w + i, w0);                                           \
		ST(w + i + W, w1);                                       \
		ST(w + i + 2 * W, w2);                                   \
		ST(w + i + 3 * W, w3);                                   \
		s0 = FM(w0, LU(xn + i), s0);                             \
		s1 = FM(w1, LU(xn + i + W), s1);                         \
		s2 = FM(w2, LU(xn + i + 2 * W), s2);                     \
		s3 = FM(w3, LU(xn + i + 3 * W), s3);                     \
		t0 = FM(w0, LU(xb + i), t0);                             \
		t1 = FM(w1, LU(xb + i + W), t1);                         \
		t2 = FM(w2, LU(xb + i + 2 * W), t2);                     \
		t3 = FM(w3, LU(xb + i + 3 * W), t3);                     \
	}                                                                \
	*y2 = HSUM(AD(AD(t0, t1), AD(t2, t3)));                          \
	return HSUM(AD(AD(s0, s1), AD(s2, s3)));                         \
}                                                                        \
ATTR static float upd_dot_##SFX(float *restrict w,                      \
				const float *restrict z,                 \
				const float *restrict xn, size_t n,      \
				float ca, float cb, float *l1, float *q) \
{                                                                        \
	if (l1 && q)                                                     \
		return upd_dot_body_##SFX(w, z, xn, n, ca, cb, l1, q);   \
	if (q)                                                           \
		return upd_dot_body_##SFX(w, z, xn, n, ca, cb, NULL, q); \
	if (l1)                                                          \
		return upd_dot_body_##SFX(w, z, xn, n, ca, cb, l1, NULL); \
	return upd_dot_body_##SFX(w, z, xn, n, ca, cb, NULL, NULL);      \
}

static inline __m128 abs_sse(__m128 v)
{
	return _mm_and_ps(v, _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff)));
}

static inline float hsum_sse(__m128 v)
{
	__m128 t = _mm_add_ps(v, _mm_movehl_ps(v, v));

	t = _mm_add_ss(t, _mm_shuffle_ps(t, t, 1));
	return _mm_cvtss_f32(t);
}

static inline __m128 fma_sse(__m128 a, __m128 b, __m128 c)
{
	return _mm_add_ps(_mm_mul_ps(a, b), c);
}

__attribute__((target("avx2,fma")))
static inline float hsum_avx(__m256 v)
{
	__m128 t = _mm_add_ps(_mm256_castps256_ps128(v),
			      _mm256_extractf128_ps(v, 1));

	t = _mm_add_ps(t, _mm_movehl_ps(t, t));
	t = _mm_add_ss(t, _mm_shuffle_ps(t, t, 1));
	return _mm_cvtss_f32(t);
}

__attribute__((target("avx2,fma")))
static inline __m256 abs_avx(__m256 v)
{
	return _mm256_and_ps(v, _mm256_castsi256_ps(
					_mm256_set1_epi32(0x7fffffff)));
}

__attribute__((target("avx512f")))
static inline __m512 abs_avx512(__m512 v)
{
	return _mm512_castsi512_ps(_mm512_and_epi32(
		_mm512_castps_si512(v), _mm512_set1_epi32(0x7fffffff)));
}

__attribute__((target("avx512f")))
static inline float hsum_avx512(__m512 v)
{
	return _mm512_reduce_add_ps(v);
}

KERN_BODIES(sse2, __attribute__((target("sse2"))), __m128, 4,
	    _mm_load_ps, _mm_loadu_ps, _mm_store_ps, abs_sse, fma_sse,
	    _mm_mul_ps, _mm_add_ps, _mm_set1_ps, _mm_setzero_ps, hsum_sse)
KERN_BODIES(avx2, __attribute__((target("avx2,fma"))), __m256, 8,
	    _mm256_load_ps, _mm256_loadu_ps, _mm256_store_ps, abs_avx,
	    _mm256_fmadd_ps, _mm256_mul_ps, _mm256_add_ps, _mm256_set1_ps,
	    _mm256_setzero_ps, hsum_avx)
/*
 * Outputs of a frozen filter for consecutive samples, three at a time:
 * each w vector is loaded once for three outputs, which cuts the loads
 * (the bound of this loop) by a third. Each output keeps dot_avx2's four
 * accumulators, FMA order and final sum, so it is bit-identical to it.
 */
__attribute__((target("avx2,fma")))
static void dotm_avx2(const float *restrict w, const float *restrict x,
		      size_t n, size_t cnt, float *out)
{
	size_t r = 0;

	for (; r + 3 <= cnt; r += 3) {
		const float *xa = x + r, *xb = x + r + 1, *xc = x + r + 2;
		__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
		__m256 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
		__m256 c0 = a0, c1 = a0, c2 = a0, c3 = a0;

		for (size_t i = 0; i < n; i += 32) {
			__m256 wv = _mm256_load_ps(w + i);
			a0 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xa + i), a0);
			b0 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xb + i), b0);
			c0 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xc + i), c0);
			wv = _mm256_load_ps(w + i + 8);
			a1 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xa + i + 8), a1);
			b1 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xb + i + 8), b1);
			c1 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xc + i + 8), c1);
			wv = _mm256_load_ps(w + i + 16);
			a2 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xa + i + 16), a2);
			b2 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xb + i + 16), b2);
			c2 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xc + i + 16), c2);
			wv = _mm256_load_ps(w + i + 24);
			a3 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xa + i + 24), a3);
			b3 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xb + i + 24), b3);
			c3 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xc + i + 24), c3);
		}
		out[r] = hsum_avx(_mm256_add_ps(_mm256_add_ps(a0, a1),
						_mm256_add_ps(a2, a3)));
		out[r + 1] = hsum_avx(_mm256_add_ps(_mm256_add_ps(b0, b1),
						    _mm256_add_ps(b2, b3)));
		out[r + 2] = hsum_avx(_mm256_add_ps(_mm256_add_ps(c0, c1),
						    _mm256_add_ps(c2, c3)));
	}
	for (; r < cnt; r++)
		out[r] = dot_body_avx2(w, x + r, n, NULL);
}

KERN_BODIES(avx512, __attribute__((target("avx512f"))), __m512, 16,
	    _mm512_load_ps, _mm512_loadu_ps, _mm512_store_ps, abs_avx512,
	    _mm512_fmadd_ps, _mm512_mul_ps, _mm512_add_ps, _mm512_set1_ps,
	    _mm512_setzero_ps, hsum_avx512)
#endif /* ECHO_X86 */

static const struct kernels kernel_tab[DSP_ECHO_SIMD_COUNT] = {
	[DSP_ECHO_SIMD_C] = { dot_c, upd_c, upd_dot_c, nlms_dot_c,
			      nlms_dot2_c, NULL },
#ifdef ECHO_X86
	[DSP_ECHO_SIMD_SSE2] = { dot_sse2, upd_sse2, upd_dot_sse2,
				 nlms_dot_sse2, nlms_dot2_sse2, NULL },
	[DSP_ECHO_SIMD_AVX2] = { dot_avx2, upd_avx2, upd_dot_avx2,
				 nlms_dot_avx2, nlms_dot2_avx2, dotm_avx2 },
	[DSP_ECHO_SIMD_AVX512] = { dot_avx512, upd_avx512, upd_dot_avx512,
				   nlms_dot_avx512, nlms_dot2_avx512, NULL },
#endif
};

bool dsp_echo_simd_supported(enum dsp_echo_simd simd)
{
	switch (simd) {
	case DSP_ECHO_SIMD_AUTO:
	case DSP_ECHO_SIMD_C:
		return true;
#ifdef ECHO_X86
	case DSP_ECHO_SIMD_SSE2:
		return __builtin_cpu_supports("sse2");
	case DSP_ECHO_SIMD_AVX2:
		return __builtin_cpu_supports("avx2") &&
		       __builtin_cpu_supports("fma");
	case DSP_ECHO_SIMD_AVX512:
		return __builtin_cpu_supports("avx512f");
#endif
	default:
		return false;
	}
}

const char *dsp_echo_simd_name(enum dsp_echo_simd simd)
{
	static const char *const names[DSP_ECHO_SIMD_COUNT] = {
		[DSP_ECHO_SIMD_AUTO] = "auto",
		[DSP_ECHO_SIMD_C] = "c",
		[DSP_ECHO_SIMD_SSE2] = "sse2",
		[DSP_ECHO_SIMD_AVX2] = "avx2",
		[DSP_ECHO_SIMD_AVX512] = "avx512",
	};

	if ((unsigned)simd >= DSP_ECHO_SIMD_COUNT)
		return "?";
	return names[simd];
}

/*
 * AUTO prefers AVX2: the loops are bound by loads and stores, and AVX-512
 * measured no faster (Zen 4 splits 512-bit operations in two; some Intel
 * parts lower the clock). AVX-512 stays available on request.
 */
static enum dsp_echo_simd simd_best(void)
{
	static const enum dsp_echo_simd order[] = {
		DSP_ECHO_SIMD_AVX2, DSP_ECHO_SIMD_AVX512, DSP_ECHO_SIMD_SSE2,
	};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (dsp_echo_simd_supported(order[i]))
			return order[i];
	}
	return DSP_ECHO_SIMD_C;
}

/* ---- helpers ---------------------------------------------------------- */

/* min/max that compile to one instruction (fminf/fmaxf may be calls). */
static inline float minf(float a, float b)
{
	return a < b ? a : b;
}

static inline float maxf(float a, float b)
{
	return a > b ? a : b;
}

/* Round to nearest and saturate, without data-dependent branches. */
static inline int16_t sat16(float v)
{
	v = minf(maxf(v, -32768.0f), 32767.0f);
#ifdef ECHO_X86
	return (int16_t)_mm_cvtss_si32(_mm_set_ss(v));
#else
	return (int16_t)lrintf(v);
#endif
}

static inline float db10(double v)
{
	return (float)(10.0 * log10(v > 1e-30 ? v : 1e-30));
}

/* xorshift32 uniform in [-1, 1) */
static inline float rng_uni(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return (float)(int32_t)x * (1.0f / 2147483648.0f);
}

static void *alloc_floats(size_t n)
{
	size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
	void *p = aligned_alloc(64, bytes);

	if (p)
		memset(p, 0, bytes);
	return p;
}

static void hist_clear(struct dsp_echo *ec)
{
	memset(ec->hx, 0, ec->hist * sizeof(float));
	ec->p = ec->taps;
	ec->ex = 0;
	ec->have_y = false;
	memset(ec->gblk, 0, ec->gnblk * sizeof(float));
	ec->gidx = 0;
	ec->gcur = ec->gtail = 0;
	ec->gcnt = 0;
	memset(ec->pxring, 0, ec->pxn * sizeof(float));
	ec->pxidx = 0;
	ec->hist_stale = false;
	ec->sh.on = false;
}

static void trackers_reset(struct dsp_echo *ec)
{
	ec->pd_lt = ec->pe_lt = ec->px_lt = ec->py_lt = 0;
	ec->lt_set = false;
	ec->converged = false;
	ec->inv_erle = 1.0f;
	ec->ef = ec->yf = 0;
	ec->edt_hang = 0;
	ec->pc_cnt = 0;
	ec->sh.on = false;
	ec->settled = false;
	ec->win_on = false;
	ec->erle_ck = 0;
	ec->ck_cnt = 0;
	ec->s2_set = false;
}

/* ---- public API ------------------------------------------------------- */

void dsp_echo_cfg_default(struct dsp_echo_cfg *cfg)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->taps = DSP_ECHO_DEFAULT_TAPS;
	cfg->flags = DSP_ECHO_F_DEFAULT;
	cfg->simd = DSP_ECHO_SIMD_AUTO;
	cfg->seed = 0x2545f491u;
}

struct dsp_echo *dsp_echo_alloc(const struct dsp_echo_cfg *cfg)
{
	struct dsp_echo_cfg def;
	struct dsp_echo *ec;

	if (!cfg) {
		dsp_echo_cfg_default(&def);
		cfg = &def;
	}
	unsigned taps = cfg->taps ? cfg->taps : DSP_ECHO_DEFAULT_TAPS;

	if (taps < 8 || taps > DSP_ECHO_MAX_TAPS)
		return NULL;
	if ((unsigned)cfg->simd >= DSP_ECHO_SIMD_COUNT ||
	    !dsp_echo_simd_supported(cfg->simd))
		return NULL;

	ec = calloc(1, sizeof(*ec));
	if (!ec)
		return NULL;
	ec->taps = (taps + TAP_ALIGN - 1) & ~(size_t)(TAP_ALIGN - 1);
	ec->hist = ec->taps + HIST_EXTRA;
	ec->flags = cfg->flags;
	ec->simd = cfg->simd == DSP_ECHO_SIMD_AUTO ? simd_best() : cfg->simd;
	ec->k = kernel_tab[ec->simd];
	ec->seed = cfg->seed ? cfg->seed : 0x2545f491u;
	ec->gnblk = ec->taps / GMAX_BLK;
	ec->pxn = (ec->taps + CHUNK - 1) / CHUNK + 1;

	ec->w = alloc_floats(ec->taps);
	ec->sh.w = alloc_floats(ec->taps);
	ec->hx = alloc_floats(ec->hist);
	ec->gblk = calloc(ec->gnblk, sizeof(float));
	ec->pxring = calloc(ec->pxn, sizeof(float));
	if (!ec->w || !ec->sh.w || !ec->hx || !ec->gblk || !ec->pxring) {
		dsp_echo_free(ec);
		return NULL;
	}
	dsp_echo_reset(ec);
	return ec;
}

void dsp_echo_free(struct dsp_echo *ec)
{
	if (!ec)
		return;
	free(ec->w);
	free(ec->sh.w);
	free(ec->hx);
	free(ec->gblk);
	free(ec->pxring);
	free(ec);
}

void dsp_echo_reset(struct dsp_echo *ec)
{
	if (!ec)
		return;
	memset(ec->w, 0, ec->taps * sizeof(float));
	ec->w_zero = true;
	ec->l1 = 0;
	ec->l1x_ok = false;
	ec->adapt_n = 0;
	ec->tick = 0;
	hist_clear(ec);
	ec->ghang = 0;
	ec->g_fired = false;
	ec->acc_n = 0;
	ec->acc_d = ec->acc_e = ec->acc_y = ec->acc_x = 0;
	trackers_reset(ec);
	ec->dt_prev = false;
	ec->nlp_g = 1.0f;
	ec->nlp_hang = 0;
	ec->nlp_active = false;
	ec->noise = 0;
	ec->noise_set = false;
	ec->cng_rho = 0;
	ec->cng_v = 0;
	ec->acc_r0 = ec->acc_r1 = 0;
	ec->e_prev = 0;
	ec->rng = ec->seed;
	ec->dt_count = 0;
	ec->path_changes = 0;
	ec->samples = 0;
	ec->held_blocks = 0;
}

void dsp_echo_set_flags(struct dsp_echo *ec, unsigned flags)
{
	if (ec)
		ec->flags = flags;
}

unsigned dsp_echo_flags(const struct dsp_echo *ec)
{
	return ec ? ec->flags : 0;
}

void dsp_echo_set_disabled(struct dsp_echo *ec, bool disabled)
{
	if (!ec)
		return;
	if (disabled && !ec->disabled)
		ec->hist_stale = true;
	ec->disabled = disabled;
}

void dsp_echo_set_hold(struct dsp_echo *ec, bool hold)
{
	if (ec)
		ec->hold = hold;
}

bool dsp_echo_disabled(const struct dsp_echo *ec)
{
	return ec ? ec->disabled : false;
}

void dsp_echo_get_stats(const struct dsp_echo *ec, struct dsp_echo_stats *st)
{
	if (!ec || !st)
		return;
	memset(st, 0, sizeof(*st));
	st->erle_db = ec->lt_set ? db10(ec->pd_lt / (ec->pe_lt + 1e-3f)) : 0;
	st->erl_db = ec->lt_set ? db10(ec->px_lt / (ec->pd_lt + 1e-3f)) : 0;
	st->converged = ec->converged;
	st->settled = ec->settled;
	st->dt_active = ec->ghang > 0 || ec->edt_hang > 0;
	st->nlp_active = ec->nlp_active;
	st->dt_count = ec->dt_count;
	st->path_changes = ec->path_changes;
	st->samples = ec->samples;
	st->held_blocks = ec->held_blocks;
	st->simd = ec->simd;
}

size_t dsp_echo_get_taps(const struct dsp_echo *ec, float *h, size_t n)
{
	if (!ec || !h)
		return 0;
	if (n > ec->taps)
		n = ec->taps;
	for (size_t i = 0; i < n; i++)
		h[i] = ec->w[ec->taps - 1 - i];
	return n;
}

/* ---- processing ------------------------------------------------------- */

/* Residual echo power the output may carry with no near-end signal. */
static float residual_est(const struct dsp_echo *ec, float py, float pxmax)
{
	float erle = 1.0f, r = py;

	if (ec->lt_set && ec->pe_lt > 0)
		erle = ec->pd_lt / ec->pe_lt;
	if (erle < 1.0f)
		erle = 1.0f;
	if (!ec->converged) {
		/* filter not trusted yet: assume the G.168 worst case ERL */
		float g = 0.25f * pxmax;

		if (g > r)
			r = g;
	}
	return r / erle;
}

static float pxmax_tail(const struct dsp_echo *ec, float cur)
{
	float m = cur;

	for (size_t i = 0; i < ec->pxn; i++) {
		if (ec->pxring[i] > m)
			m = ec->pxring[i];
	}
	return m;
}

/* Start the shadow filter from the current one (at a chunk boundary). */
static void shadow_start(struct dsp_echo *ec)
{
	memcpy(ec->sh.w, ec->w, ec->taps * sizeof(float));
	ec->sh.y = ec->y;
	ec->sh.q = ec->q;
	ec->sh.q_ok = ec->have_y && ec->q_ok;
	ec->sh.l1 = ec->l1;
	ec->sh.s2_set = false;
	ec->sh.chunks = 0;
	ec->sh.good = 0;
	ec->sh.acc_e = 0;
	ec->sh.on = true;
}

/* The shadow cancels clearly better: the echo path changed. */
static void shadow_commit(struct dsp_echo *ec)
{
	memcpy(ec->w, ec->sh.w, ec->taps * sizeof(float));
	ec->w_zero = false;
	ec->l1x_ok = false;
	ec->y = ec->sh.y;
	ec->q = ec->sh.q;
	ec->q_ok = ec->sh.q_ok;
	ec->l1 = ec->sh.l1;
	ec->s2 = ec->sh.s2;
	ec->s2_set = ec->sh.s2_set;
	ec->path_changes++;
	trackers_reset(ec);
}

/*
 * Entering the settled state: the echo response occupies a small part of
 * the tail (a hybrid's few ms behind the bulk delay), the other taps hold
 * only adaptation noise. Keep the span of 64-tap blocks from the first to
 * the last whose energy is within WIN_FLOOR of the strongest block, plus
 * a guard block each side, and zero the rest: the output then needs only
 * that span (its taps are the only nonzero ones) and the NLMS tracking
 * updates only it, still normalised by the energy of the whole tail, so
 * the per-tap step, and the tracking speed, are what they were. A second
 * echo with a gap stays inside the span. Leaving the settled state (ERLE
 * drop, path change, shadow filter) goes back to the whole tail with
 * those taps at zero.
 */
static void window_set(struct dsp_echo *ec)
{
	const size_t nb = ec->taps / WIN_BLK;
	float eb[DSP_ECHO_MAX_TAPS / WIN_BLK];
	float emax = 0;

	for (size_t b = 0; b < nb; b++) {
		float s = 0;

		for (size_t k = b * WIN_BLK; k < (b + 1) * WIN_BLK; k++)
			s += ec->w[k] * ec->w[k];
		eb[b] = s;
		emax = maxf(emax, s);
	}
	ec->l1x_ok = false;
	ec->win_on = true;
	ec->win_lo = 0;
	ec->win_len = ec->taps;
	if (emax <= 0)
		return;
	float thr = WIN_FLOOR * emax;

	/*
	 * Blocks at the adaptation noise floor hold no echo the filter has
	 * resolved: their taps are misadjustment noise (at 30-40 dB ERLE
	 * about as strong as the -45 dB bound above), and keeping them
	 * costs work and cancellation. On a long tail most blocks are
	 * such noise (the echo response spans a few ms of it), so a low
	 * quantile of the block energies is the floor; blocks under
	 * WIN_NOISE_K times it are left out.
	 */
	if (nb >= WIN_NOISE_MIN_BLK) {
		float srt[DSP_ECHO_MAX_TAPS / WIN_BLK];

		memcpy(srt, eb, nb * sizeof(float));
		for (size_t i = 1; i < nb; i++) {
			float v = srt[i];
			size_t j = i;

			for (; j > 0 && srt[j - 1] > v; j--)
				srt[j] = srt[j - 1];
			srt[j] = v;
		}
		thr = maxf(thr, WIN_NOISE_K * srt[nb / 4]);
	}
	size_t lo = nb, hi = 0;

	for (size_t b = 0; b < nb; b++) {
		if (eb[b] >= thr) {
			if (lo == nb)
				lo = b;
			hi = b + 1;
		}
	}
	lo = lo > 0 ? lo - 1 : 0;
	hi = hi < nb ? hi + 1 : nb;
	ec->win_lo = lo * WIN_BLK;
	ec->win_len = (hi - lo) * WIN_BLK;
	memset(ec->w, 0, ec->win_lo * sizeof(float));
	memset(ec->w + ec->win_lo + ec->win_len, 0,
	       (ec->taps - ec->win_lo - ec->win_len) * sizeof(float));
	float l1 = 0;

	for (size_t k = ec->win_lo; k < ec->win_lo + ec->win_len; k++)
		l1 += fabsf(ec->w[k]);
	ec->l1 = l1;
}

/* End of a 5 ms chunk: long-term trackers, energy DTD, path change. */
static void chunk_done(struct dsp_echo *ec)
{
	float n = (float)ec->acc_n;
	float pd = (float)ec->acc_d / n, pe = (float)ec->acc_e / n;
	float py = (float)ec->acc_y / n, px = (float)ec->acc_x / n;
	bool far = ec->ex > (double)FAR_FLOOR * ec->taps;
	bool geigel = ec->g_fired || ec->ghang > 0;

	ec->pxring[ec->pxidx] = px;
	ec->pxidx = (ec->pxidx + 1) % ec->pxn;

	/*
	 * Near-end background for comfort noise: follows dips quickly and
	 * rises slowly (~2 dB/s), and only at 0.2 dB/s while the far end
	 * talks, so residual echo does not creep into the estimate.
	 */
	if (!ec->noise_set) {
		ec->noise = pe;
		ec->noise_set = true;
	} else if (pe < ec->noise) {
		ec->noise += 0.3f * (pe - ec->noise);
	} else {
		ec->noise *= far ? 1.00023f : 1.0023f;
		if (ec->noise < 1.0f)
			ec->noise = 1.0f;
	}
	/* spectral tilt of the background: chunks near its level, no echo */
	if (!far && pe <= 2.0f * ec->noise && ec->acc_r0 > 0) {
		float rho = (float)(ec->acc_r1 / ec->acc_r0);

		rho = minf(maxf(rho, -0.9f), 0.95f);
		ec->cng_rho += 0.05f * (rho - ec->cng_rho);
	}
	ec->acc_r0 = ec->acc_r1 = 0;

	/* energy double-talk detector, trusted only once converged */
	bool edt_raw = false;

	if (ec->converged && far) {
		float r = residual_est(ec, py, 0);

		edt_raw = pe > NLP_K * (r + ec->noise) && pe > R_FLOOR;
	}
	/*
	 * The residual has stayed high for 100 ms: near-end speech, or the
	 * echo path changed. The shadow filter tells them apart; it is safe
	 * to start on any suspicion, Geigel or not (at 6 dB ERL Geigel also
	 * fires on the echo itself).
	 */
	/*
	 * An echo path with G.168's 6 dB ERL returns at most a quarter of
	 * the strongest far end over the tail, and a filter modelling the
	 * old path adds at most its own output: the residual of a changed
	 * path stays under 2 (pxmax / 4 + py). A chunk over that bound is
	 * near-end speech, whatever the path; typically a turn of the
	 * conversation, the other side's last words still in the tail.
	 */
	bool echo_bound = edt_raw &&
			  pe <= 2.0f * (0.25f * pxmax_tail(ec, px) + py);

	/*
	 * Chunks in the hangover of the detector keep the count: a residual
	 * hovering about the threshold after a path change the trackers
	 * did not see (their ERLE frozen by the detector) fires it every
	 * few chunks, holds adaptation for good, and must still lead to
	 * the shadow.
	 */
	if (echo_bound) {
		if (++ec->pc_cnt >= PC_CHUNKS && !ec->sh.on)
			shadow_start(ec);
	} else if (edt_raw || ec->edt_hang == 0) {
		ec->pc_cnt = 0;
	}
	if (edt_raw)
		ec->edt_hang = EDT_HANG;
	else if (ec->edt_hang > 0)
		ec->edt_hang--;
	if (ec->sh.on) {
		float pes = (float)ec->sh.acc_e / n;

		/*
		 * Better than the main filter by 6 dB and 9 dB under the
		 * input, 4 chunks running: with near-end speech in the
		 * input neither can happen (a filter adapting on it only
		 * shaves a dB or two off it), after a path change the
		 * shadow gets there in a few tens of ms. The first chunk
		 * may hold no shadow samples at all.
		 */
		bool better = pes < 0.25f * pe && pes < 0.125f * pd;

		if (ec->sh.chunks++ == 0)
			better = false;
		ec->sh.good = better ? ec->sh.good + 1 : 0;
		if (ec->sh.good >= SH_GOOD)
			shadow_commit(ec);
		else if (ec->sh.chunks > SH_MAX_CHUNKS ||
			 (!edt_raw && ec->edt_hang == 0) ||
			 (edt_raw && !echo_bound))
			ec->sh.on = false;
	}
	ec->sh.acc_e = 0;

	/* long-term trackers: far end active, no double talk */
	if (far && !geigel && !edt_raw && ec->edt_hang == 0 && px > 0) {
		if (!ec->lt_set) {
			ec->pd_lt = pd;
			ec->pe_lt = pe;
			ec->px_lt = px;
			ec->py_lt = py;
			ec->lt_set = true;
		} else {
			ec->pd_lt += LT_BETA * (pd - ec->pd_lt);
			ec->pe_lt += LT_BETA * (pe - ec->pe_lt);
			ec->px_lt += LT_BETA * (px - ec->px_lt);
			ec->py_lt += LT_BETA * (py - ec->py_lt);
		}
		float erle = db10(ec->pd_lt / (ec->pe_lt + 1e-3f));

		ec->inv_erle = ec->pe_lt / (ec->pd_lt + 1e-3f);

		if (!ec->converged && erle >= CONV_ON_DB)
			ec->converged = true;
		else if (ec->converged && erle < CONV_OFF_DB)
			ec->converged = false;

		/*
		 * Settled: converged and the ERLE no longer improving (by
		 * 1 dB per 0.5 s). Left when the ERLE falls clearly (6 dB
		 * per 0.5 s, or under SETTLE_DB - 3), on a path change or
		 * when convergence is lost.
		 */
		if (++ec->ck_cnt >= SETTLE_CHUNKS) {
			if (!ec->settled)
				ec->settled = ec->converged &&
					      ((erle >= SETTLE_DB &&
						erle < ec->erle_ck + 1.0f) ||
					       erle >= SETTLE_FAST_DB);
			else if (erle < SETTLE_DB - 3.0f ||
				 erle < ec->erle_ck - 6.0f)
				ec->settled = false;
			ec->erle_ck = erle;
			ec->ck_cnt = 0;
		}
	}
	/*
	 * A shadow run leaves the main filter frozen: the settled state
	 * (and its window) stays unless the shadow commits, which resets
	 * the trackers. Double talk long enough to start the shadow is
	 * common (every turn of a conversation where the far end's words
	 * are still in the tail), and settling again takes a second.
	 */
	if (!ec->converged)
		ec->settled = false;
	if (!ec->settled)
		ec->win_on = false;
	else if (!ec->win_on &&
		 !(ec->flags & (DSP_ECHO_F_FULL_TAIL | DSP_ECHO_F_FULL_RATE)))
		window_set(ec);

	bool dt = geigel || ec->edt_hang > 0;

	if (dt && !ec->dt_prev)
		ec->dt_count++;
	ec->dt_prev = dt;
	ec->g_fired = false;
	ec->acc_n = 0;
	ec->acc_d = ec->acc_e = ec->acc_y = ec->acc_x = 0;
}

/*
 * One comfort noise sample: first-order autoregressive noise with the
 * background's power and lag-1 correlation (its spectral tilt).
 */
static inline float cng_next(struct dsp_echo *ec, float cn)
{
	float rho = ec->cng_rho;

	ec->cng_v = rho * ec->cng_v + sqrtf(1.0f - rho * rho) * cn *
		    rng_uni(&ec->rng);
	return ec->cng_v;
}

/* NLP and comfort noise over out[0..n) of the current chunk. */
static void nlp_apply(struct dsp_echo *ec, const float *e, int16_t *out,
		      size_t n)
{
	float an = (float)ec->acc_n;
	float pe = (float)ec->acc_e / an, py = (float)ec->acc_y / an;
	float px = (float)ec->acc_x / an;
	float target = 1.0f;

	if (ec->flags & DSP_ECHO_F_NLP) {
		float r = residual_est(ec, py, pxmax_tail(ec, px));

		if (r > R_FLOOR && pe <= NLP_K * r && ec->nlp_hang == 0)
			target = 0.0f;
		if (r <= R_FLOOR || pe > NLP_K * r)
			ec->nlp_hang = NLP_HANG;
		else if (ec->acc_n == CHUNK && ec->nlp_hang > 0)
			ec->nlp_hang--;
	}
	ec->nlp_active = target < 0.5f;

	float cn = (ec->flags & DSP_ECHO_F_CNG) ? sqrtf(ec->noise * 3.0f) : 0;
	float g = ec->nlp_g;

	if (g == target && g == 1.0f) {
		for (size_t i = 0; i < n; i++)
			out[i] = sat16(e[i]);
		return;
	}
	if (g == target && g == 0.0f) {
		/* cng_next() with its state in registers */
		float rho = ec->cng_rho, v = ec->cng_v;
		float k = sqrtf(1.0f - rho * rho) * cn;
		uint32_t rng = ec->rng;

		for (size_t i = 0; i < n; i++) {
			v = rho * v + k * rng_uni(&rng);
			out[i] = sat16(v);
		}
		ec->cng_v = v;
		ec->rng = rng;
		return;
	}
	/* 5 ms power-complementary cross-fade between signal and noise */
	for (size_t i = 0; i < n; i++) {
		if (g < target)
			g = minf(target, g + 1.0f / CHUNK);
		else if (g > target)
			g = maxf(target, g - 1.0f / CHUNK);
		float v = e[i];

		if (g < 1.0f) {
			float c = cng_next(ec, cn);

			v = g * v + sqrtf(1.0f - g * g) * c;
		}
		out[i] = sat16(v);
	}
	ec->nlp_g = g;
}

/*
 * Robust adaptation error: clipped at CLIP_K times its own running scale,
 * so a few samples of undetected double talk move the filter little.
 */
static inline float clip_err(float *s2, bool *s2_set, float e)
{
	if (!*s2_set) {
		*s2 = e * e + 1.0f;
		*s2_set = true;
	}
	float lim = CLIP_K * sqrtf(*s2);

	e = minf(maxf(e, -lim), lim);
	*s2 += SCALE_BETA * (e * e - *s2);
	if (*s2 < 1.0f)
		*s2 = 1.0f;
	return e;
}

/*
 * IPNLMS step for error e: g[k] = A + B |w[k]| (A, B from alpha and the
 * norm l1), normalised by the exact x'Gx = A |x|^2 + B q. Gives the
 * kernel constants ca = c A, cb = c B.
 */
static inline void ipnlms_coef(float *s2, bool *s2_set, float e, float l1,
			       float q, double ex, size_t L, float *ca,
			       float *cb)
{
	float ew = clip_err(s2, s2_set, e);
	float ga = (1.0f - IPNLMS_ALPHA) * 0.5f;
	float gb = (1.0f + IPNLMS_ALPHA) * (float)L / (2.0f * l1 + 1e-3f);
	float xgx = ga * (float)ex + gb * q + (float)L * 100.0f;
	float c = MU * ew / xgx;

	*ca = c * ga;
	*cb = c * gb;
}

/*
 * Far-end history for one piece, ahead of its per-sample loop: every
 * sample the loop would push (sample 0 unless the previous piece pushed
 * it, through sample n when more follows) goes into hx at once, with the
 * window energy exs[i] and the Geigel tail maximum gms[i] that sample i
 * sees, the same values as pushing them one by one; the loop then
 * reads two small arrays and keeps its own state in registers instead of
 * chaining every sample through the state in memory. Returns the index
 * of sample 0 in hx.
 */
static size_t hist_piece(struct dsp_echo *ec, const int16_t *tx, size_t n,
			 bool more, double *exs, float *gms)
{
	const size_t L = ec->taps;
	const size_t first = ec->have_y ? 1 : 0;
	const size_t last = more ? n : n - 1;
	float *hx = ec->hx;
	double ex = ec->ex;
	float gcur = ec->gcur, gtail = ec->gtail;
	unsigned gcnt = ec->gcnt;

	/* keep the window of the newest sample and the one before it */
	if (ec->p + (last + 1 - first) >= ec->hist) {
		memmove(hx, hx + ec->p - L, (L + 1) * sizeof(float));
		ec->p = L;
	}
	const size_t pos0 = ec->p + 1 - first;

	if (first) {
		exs[0] = ex;
		gms[0] = maxf(gtail, gcur);
	}
	for (size_t i = first; i <= last; i++) {
		size_t p = pos0 + i;
		float x = tx[i], old = hx[p - L];

		hx[p] = x;
		/* samples are integers: these double sums are exact */
		ex += (double)x * x - (double)old * old;
		float ax = fabsf(x);

		if (ax > gcur)
			gcur = ax;
		if (++gcnt == GMAX_BLK) {
			float gone = ec->gblk[ec->gidx];

			ec->gblk[ec->gidx] = gcur;
			ec->gidx = ec->gidx + 1 == ec->gnblk ? 0 : ec->gidx + 1;
			if (gcur >= gtail) {
				gtail = gcur;
			} else if (gone >= gtail) {
				float m = 0;

				for (size_t k = 0; k < ec->gnblk; k++)
					m = maxf(m, ec->gblk[k]);
				gtail = m;
			}
			gcur = 0;
			gcnt = 0;
		}
		exs[i] = ex;
		gms[i] = maxf(gtail, gcur);
	}
	ec->p = pos0 + last;
	ec->ex = ex;
	ec->gcur = gcur;
	ec->gtail = gtail;
	ec->gcnt = gcnt;
	return pos0;
}

/*
 * May the piece skip the filter? When the far end is at background level
 * (typically the other side's comfort noise while this side talks), the
 * Geigel detector holds adaptation off and the filter only cancels the
 * echo of that background. The filter output of any sample is bounded by
 * sum|w| * max|x| over its window (gms[] is at least that maximum), a
 * bound that assumes nothing about the echo path; its power, by the
 * far-end power with the G.168 6 dB ERL. When either bound stays under
 * about -60 dBm0 and 30 dB under the near-end power of the piece, the
 * output is the input (the omitted subtraction is within
 * the quantisation of the near-end signal at that level). Only where no
 * sample of the piece can adapt (far end under the activity floor, or
 * adaptation off): w is not touched, so the
 * first piece with the far end back is filtered with the history as it
 * is. sum|w| is computed exactly here, once per unchanged filter. A
 * shadow filter running then (near-end speech holding the energy
 * detector) cannot adapt either and is skipped too: with no echo to
 * cancel it cannot do better than the main filter, so it is not
 * committed.
 */
static bool quiet_piece(struct dsp_echo *ec, const int16_t *rx,
			const int16_t *tx, size_t n,
			const double *exs, const float *gms, double far_thr,
			size_t wo, size_t wl)
{
	float gmax = 0;
	int64_t id = 0;

	if (ec->w_zero || n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if ((ec->flags & DSP_ECHO_F_ADAPT) && !ec->hold &&
		    exs[i] > far_thr)
			return false;
		gmax = maxf(gmax, gms[i]);
		id += (int32_t)rx[i] * rx[i];
	}
	if (!ec->l1x_ok) {
		float l1 = 0;

		for (size_t k = wo; k < wo + wl; k++)
			l1 += fabsf(ec->w[k]);
		ec->l1x = l1;
		ec->l1x_ok = true;
	}
	float yb = ec->l1x * gmax;

	if (yb <= QUIET_PEAK &&
	    (double)yb * yb * QUIET_MARGIN * (double)n <= (double)id)
		return true;
	/*
	 * Otherwise by power, with G.168's echo path assumption (ERL at
	 * least 6 dB, as the Geigel detector and the NLP assume): the echo,
	 * and so the output of a filter modelling it, is at least 6 dB
	 * under the strongest 5 ms of far end over the tail.
	 */
	int64_t ix = 0;

	for (size_t i = 0; i < n; i++)
		ix += (int32_t)tx[i] * tx[i];
	float cur = (float)ix / (float)n;

	if (ec->acc_n > 0)
		cur = maxf(cur, (float)(ec->acc_x / ec->acc_n));
	double pe = 0.25 * (double)pxmax_tail(ec, cur);

	return pe <= QUIET_POW && pe * QUIET_MARGIN * (double)n <= (double)id;
}

/* Linear stage over one piece of a chunk; returns errors in e[]. */
static void linear_piece(struct dsp_echo *ec, const int16_t *rx,
			 const int16_t *tx, size_t n, bool more, float *e)
{
	const size_t L = ec->taps;
	const bool adapt_on = (ec->flags & DSP_ECHO_F_ADAPT) && !ec->hold;
	const bool half_rate = !(ec->flags & DSP_ECHO_F_FULL_RATE);
	const bool sh_on = ec->sh.on;
	/*
	 * Once settled (converged, ERLE no longer improving, not
	 * re-converging after a path change) the filter only has to track
	 * slow drift: plain NLMS on every other sample, which needs neither
	 * the proportionate gain nor x'Gx and halves the work.
	 * DSP_ECHO_F_FULL_RATE keeps IPNLMS on every sample. settled, the
	 * shadow and the trackers only change between chunks.
	 */
	const bool track = half_rate && ec->settled;
	/* the main filter's active window while tracking (window_set) */
	const bool win = track && ec->win_on &&
			 !(ec->flags & DSP_ECHO_F_FULL_TAIL);
	const size_t wo = win ? ec->win_lo : 0, wl = win ? ec->win_len : L;
	const bool converged = ec->converged;
	const float inv_erle = ec->inv_erle, noise = ec->noise;
	const double far_thr = (double)FAR_FLOOR * L;
	/* per-sample state in locals: stores through the float pointers of
	 * the kernels would otherwise force it back to memory every sample */
	unsigned ghang = ec->ghang, edt_hang = ec->edt_hang;
	uint32_t tick = ec->tick, adapt_n = ec->adapt_n;
	float ef = ec->ef, yf = ec->yf;
	bool g_fired = ec->g_fired;
	double exs[CHUNK + 1];
	float ys[CHUNK];
	float gms[CHUNK + 1];
	/* outputs of the frozen filter computed ahead: pre[k] is y of
	 * sample k of this piece for pre_lo <= k < pre_hi; any update of w
	 * empties it */
	float pre[CHUNK + 1];
	size_t pre_lo = 0, pre_hi = 0;
	const size_t pos0 = hist_piece(ec, tx, n, more, exs, gms);
	const float *const hx = ec->hx;
	/*
	 * Far end at background level (e.g. the other side's comfort noise
	 * while this side talks): the filter output, bounded by
	 * sum|w| * max|x| over the window, would be negligible, so the
	 * piece runs without it (quiet_piece()). Only for a piece where no
	 * sample can adapt: w stays as it is.
	 */
	const bool quiet = quiet_piece(ec, rx, tx, n, exs, gms, far_thr,
				       wo, wl);

	if (!ec->have_y) {
		const float *x0 = hx + pos0 - L + 1;

		if (ec->w_zero || quiet)
			ec->y = ec->q = 0;
		else
			ec->y = ec->k.dot(ec->w + wo, x0 + wo, wl, &ec->q);
		ec->q_ok = true;
		if (sh_on && quiet) {
			ec->sh.y = ec->sh.q = 0;
			ec->sh.q_ok = true;
		} else if (sh_on) {
			ec->sh.y = ec->k.dot(ec->sh.w, x0, L, &ec->sh.q);
			ec->sh.q_ok = true;
		}
	}
	size_t i0 = 0;

	if (quiet && n > 1) {
		/*
		 * Quiet piece: y = 0 and no adaptation, so only the detectors
		 * run, as in the loop below; its last sample goes through
		 * that loop, which filters the first sample of the next
		 * piece (the far end may be back there).
		 */
		for (size_t i = 0; i + 1 < n; i++) {
			float d = rx[i];
			unsigned fire = (unsigned)(fabsf(d) > GEIGEL_THRESH *
						   gms[i]) &
					(unsigned)(fabsf(d) > 64.0f);
			unsigned dec = ghang - (ghang > 0);

			e[i] = d;
			ys[i] = 0;
			ghang = dec + fire * (GEIGEL_HANG - dec);
			g_fired |= fire;
			ef += (d * d - ef) * (1.0f / 8);
			yf -= yf * (1.0f / 8);
			if (converged && ef > FAST_K * (yf * inv_erle + noise) &&
			    ef > R_FLOOR)
				edt_hang = EDT_HANG;
			if (sh_on)
				ec->sh.acc_e += (double)d * d;
		}
		i0 = n - 1;
		ec->y = 0;
		ec->sh.y = 0;
		ec->have_y = true;
		ec->sh.q_ok = true;
	}
	for (size_t i = i0; i < n; i++) {
		float d = rx[i];
		/* in a quiet piece even y of sample 0, computed ahead */
		float y = quiet ? 0 : ec->y, err = d - y;
		const double ex = exs[i];

		e[i] = err;
		ys[i] = y;

		/* Geigel double-talk detector; without branches, as on
		 * noise-like signals it fires at random */
		unsigned fire = (unsigned)(fabsf(d) > GEIGEL_THRESH * gms[i]) &
				(unsigned)(fabsf(d) > 64.0f);
		unsigned dec = ghang - (ghang > 0);

		ghang = dec + fire * (GEIGEL_HANG - dec);
		g_fired |= fire;

		/*
		 * Fast energy detector (converged only): a 1 ms envelope of
		 * the error against the residual the filter predicts from
		 * its own output. Near-end speech, even quiet, stands tens
		 * of dB over a converged residual and is caught within a
		 * few samples, before the per-chunk detector could.
		 */
		ef += (err * err - ef) * (1.0f / 8);
		yf += (y * y - yf) * (1.0f / 8);
		if (converged && ef > FAST_K * (yf * inv_erle + noise) &&
		    ef > R_FLOOR)
			edt_hang = EDT_HANG;

		bool far = ex > far_thr;
		bool adapt = adapt_on && far && ghang == 0 && edt_hang == 0 &&
			     !sh_on;
		float sca = 0, scb = 0;
		bool sh_adapt = false;

		if (sh_on) {
			float es = d - ec->sh.y;

			ec->sh.acc_e += (double)es * es;
			/* disposable: adapts through double talk too */
			sh_adapt = adapt_on && far && ec->sh.q_ok;
			if (sh_adapt)
				ipnlms_coef(&ec->sh.s2, &ec->sh.s2_set, es,
					    ec->sh.l1, ec->sh.q, ex, L,
					    &sca, &scb);
		}

		if (adapt && track && (tick++ & 1))
			adapt = false;
		/* q was skipped for a sample predicted not to adapt */
		if (adapt && !track && !ec->q_ok)
			adapt = false;
		float ca = 0, cb = 0;

		if (adapt && track) {
			/* plain NLMS: g = 1, x'Gx = |x|^2 */
			float ew = clip_err(&ec->s2, &ec->s2_set, err);

			ca = MU_TRACK * ew / (float)(ex + (double)L * 100.0);
		} else if (adapt) {
			ipnlms_coef(&ec->s2, &ec->s2_set, err, ec->l1, ec->q,
				    ex, L, &ca, &cb);
		}
		if (adapt) {
			ec->w_zero = false;
			ec->l1x_ok = false;
		}

		if (i + 1 < n || more) {
			/* x[n+1] is in the history: one pass updates w for
			 * this sample and filters the next one */
			const float *zw = hx + pos0 + i + 1 - L;
			const float *xn = zw + 1;

			/*
			 * q costs a third of the pass: compute it only if the
			 * next sample may adapt (not in a Geigel or energy
			 * hangover, not the skipped half of half-rate, and
			 * the far end active with x[n+1]).
			 */
			bool next = adapt_on && !track && ghang <= 1 &&
				    edt_hang == 0 && exs[i + 1] > far_thr;
			float *qp = next ? &ec->q : NULL;
			/*
			 * Any positive gain is stable under the exact x'Gx,
			 * so once converged the gain's norm can be a few
			 * updates old. Not before: while |w| grows fast a
			 * stale norm over-weights the first taps found
			 * (PNLMS start-up stall).
			 */
			bool l1 = !converged || (adapt_n & 3) == 0;

			if (adapt && track && i + 2 < n) {
				/*
				 * Sample i+1 is the skipped half (tick) and
				 * the shadow is off while settled: w stays as
				 * updated here for y of sample i+2 too, which
				 * the same pass gives with one more load and
				 * FMA per vector instead of a pass of its own.
				 */
				ec->y = ec->k.nlms_dot2(ec->w + wo, zw + wo,
							xn + wo, wl, ca,
							pre + i + 2);
				pre_lo = i + 2;
				pre_hi = i + 3;
			} else if (adapt && track) {
				ec->y = ec->k.nlms_dot(ec->w + wo, zw + wo,
						       xn + wo, wl, ca);
				pre_hi = 0;
			} else if (adapt) {
				adapt_n++;
				ec->y = ec->k.upd_dot(ec->w + wo, zw + wo,
						      xn + wo, wl, ca, cb,
						      l1 ? &ec->l1 : NULL, qp);
				pre_hi = 0;
			} else if (ec->w_zero || (quiet && i + 1 < n)) {
				/*
				 * Never adapted (far end silent so far, or
				 * double talk since the start): the filter
				 * predicts no echo, exactly what the pass
				 * over zero taps would give.
				 */
				ec->y = 0;
				if (qp)
					ec->q = 0;
			} else if (!qp && i + 1 >= pre_lo && i + 1 < pre_hi) {
				ec->y = pre[i + 1];
			} else if (!qp && ec->k.dotm &&
				   (ghang >= 3 || !adapt_on) && i + 1 < n) {
				/*
				 * Geigel hangover: no sample before i + ghang
				 * can adapt, so w stays as it is for the next
				 * outputs of this piece (and if it did change,
				 * pre is emptied): filter them together. With
				 * adaptation off (or held) that is the whole
				 * piece.
				 */
				size_t lastk = adapt_on ? i + ghang - 1 : n - 1;

				if (lastk > n - 1)
					lastk = n - 1;
				size_t cnt = lastk - i; /* samples i+1..lastk */

				ec->k.dotm(ec->w + wo, xn + wo, wl, cnt,
					   pre + i + 1);
				pre_lo = i + 1;
				pre_hi = i + 1 + cnt;
				ec->y = pre[i + 1];
			} else {
				ec->y = ec->k.dot(ec->w + wo, xn + wo, wl, qp);
			}
			ec->q_ok = next;
			ec->have_y = true;
			if (sh_on && sh_adapt)
				ec->sh.y = ec->k.upd_dot(ec->sh.w, zw, xn, L,
							 sca, scb, &ec->sh.l1,
							 &ec->sh.q);
			else if (sh_on && quiet && i + 1 < n)
				ec->sh.y = 0; /* as negligible, cannot adapt */
			else if (sh_on)
				ec->sh.y = ec->k.dot(ec->sh.w, xn, L,
						     &ec->sh.q);
			ec->sh.q_ok = true;
		} else {
			/* last sample of the call: x[n+1] not known yet */
			const float *zw = hx + pos0 + i - L + 1;

			if (adapt && track) {
				ec->k.upd(ec->w + wo, zw + wo, wl, ca, 0);
				pre_hi = 0;
			} else if (adapt) {
				pre_hi = 0;
				/* same refresh cadence as the fused path, so
				 * the result does not depend on block size */
				float l1 = ec->k.upd(ec->w + wo, zw + wo, wl, ca,
						     cb);

				if (!converged || (adapt_n & 3) == 0)
					ec->l1 = l1;
				adapt_n++;
			}
			if (sh_on && sh_adapt)
				ec->sh.l1 = ec->k.upd(ec->sh.w, zw, L, sca, scb);
			ec->have_y = false;
		}
	}
	ec->ghang = ghang;
	ec->edt_hang = edt_hang;
	ec->tick = tick;
	ec->adapt_n = adapt_n;
	ec->ef = ef;
	ec->yf = yf;
	ec->g_fired = g_fired;

	/*
	 * Chunk sums, outside the loop above: the input powers are sums of
	 * integers (exact in any order, so in int64); the output ones keep
	 * the order of the samples.
	 */
	int64_t id = 0, ix = 0;

	for (size_t i = 0; i < n; i++) {
		id += (int32_t)rx[i] * rx[i];
		ix += (int32_t)tx[i] * tx[i];
	}
	double sd = (double)id, sx = (double)ix, se = 0, sy = 0, r1 = 0;
	float ep = ec->e_prev;

	for (size_t i = 0; i < n; i++) {
		se += (double)e[i] * e[i];
		sy += (double)ys[i] * ys[i];
		r1 += (double)e[i] * ep;
		ep = e[i];
	}
	double r0 = se;

	ec->acc_d += sd;
	ec->acc_e += se;
	ec->acc_y += sy;
	ec->acc_x += sx;
	ec->acc_r0 += r0;
	ec->acc_r1 += r1;
	ec->e_prev = ep;
}

void dsp_echo_process(struct dsp_echo *ec, const int16_t *rx,
		      const int16_t *tx_ref, int16_t *out, size_t n)
{
	float e[CHUNK];

	if (!ec || !rx || !tx_ref || !out)
		return;
	ec->samples += n;
	if (ec->disabled) {
		if (out != rx)
			memmove(out, rx, n * sizeof(int16_t));
		return;
	}
	if (ec->hist_stale)
		hist_clear(ec);
	if (ec->hold)
		ec->held_blocks++;

	size_t done = 0;

	while (done < n) {
		size_t piece = CHUNK - ec->acc_n;

		if (piece > n - done)
			piece = n - done;
		bool more = done + piece < n;

		linear_piece(ec, rx + done, tx_ref + done, piece, more, e);
		ec->acc_n += (unsigned)piece;
		nlp_apply(ec, e, out + done, piece);
		if (ec->acc_n == CHUNK)
			chunk_done(ec);
		done += piece;
	}
}
