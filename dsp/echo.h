/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * G.168 line (network) echo canceller for the TDM side of the gateway:
 * 8 kHz linear 16-bit samples, tail up to 128 ms (1024 taps). A
 * proportionate (IPNLMS) adaptive FIR with a robust (clipped-error) step,
 * Geigel plus energy double-talk detection, echo path change detection,
 * and a non-linear processor with comfort noise matched to the near-end
 * background (ITU-T G.168 §3, §6.4, §7; tone disabling hook per
 * §6.4.2.10 / G.164 §5). See dsp/echo.c for the design choices.
 *
 * The state is per instance, embeddable in a channel, no I/O, no globals:
 * any number of channels may run on one thread. An instance must not be
 * used from two threads at once.
 */
#ifndef DSP_ECHO_H
#define DSP_ECHO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest tail supported: 128 ms at 8 kHz. */
#define DSP_ECHO_MAX_TAPS 1024
#define DSP_ECHO_DEFAULT_TAPS 1024

/* Kernel variant for the filter and the coefficient update. */
enum dsp_echo_simd {
	DSP_ECHO_SIMD_AUTO = 0, /* AVX2, else AVX-512, else SSE2, else C */
	DSP_ECHO_SIMD_C,        /* portable C */
	DSP_ECHO_SIMD_SSE2,
	DSP_ECHO_SIMD_AVX2,     /* AVX2 + FMA */
	DSP_ECHO_SIMD_AVX512,   /* AVX-512F */
	DSP_ECHO_SIMD_COUNT,
};

/* Feature flags (dsp_echo_cfg.flags, dsp_echo_set_flags()). */
enum {
	DSP_ECHO_F_ADAPT = 0x01, /* adapt the filter (off: frozen filter) */
	DSP_ECHO_F_NLP   = 0x02, /* non-linear processor */
	DSP_ECHO_F_CNG   = 0x04, /* comfort noise while the NLP suppresses */
	/* proportionate (IPNLMS) update on every sample even once settled
	 * (default: NLMS tracking on every other sample once the ERLE has
	 * stopped improving; IPNLMS on every sample while converging or
	 * after a path change). Costs about twice as much when settled. */
	DSP_ECHO_F_FULL_RATE = 0x08,
	/* once settled, keep filtering and tracking over the whole tail
	 * (default: only over the span of the echo response, found when
	 * the filter settles; the taps outside it are zeroed; the whole
	 * tail again as soon as it leaves the settled state) */
	DSP_ECHO_F_FULL_TAIL = 0x10,
};
#define DSP_ECHO_F_DEFAULT (DSP_ECHO_F_ADAPT | DSP_ECHO_F_NLP | DSP_ECHO_F_CNG)

struct dsp_echo_cfg {
	unsigned taps;          /* filter length, 8..1024; 0 = default;
				 * rounded up to a multiple of 64 */
	unsigned flags;         /* DSP_ECHO_F_*; used as given (0 = all off) */
	enum dsp_echo_simd simd;/* kernel choice (all give the same output
				 * within float rounding) */
	uint32_t seed;          /* comfort noise generator seed */
};

/* Fill cfg with the defaults: 1024 taps, adaptation+NLP+CNG, AUTO. */
void dsp_echo_cfg_default(struct dsp_echo_cfg *cfg);

struct dsp_echo_stats {
	float erle_db;          /* ERLE estimate of the linear filter, dB */
	float erl_db;           /* echo return loss estimate, dB */
	bool converged;         /* the filter models the echo path */
	bool settled;           /* converged and stable: tracking mode */
	bool dt_active;         /* double talk currently declared */
	bool nlp_active;        /* the NLP is currently suppressing */
	uint32_t dt_count;      /* double-talk onsets seen */
	uint32_t path_changes;  /* echo path changes detected */
	uint64_t samples;       /* samples processed */
	uint64_t held_blocks;   /* process calls with adaptation held */
	enum dsp_echo_simd simd;/* kernel variant in use */
};

/*
 * Allocate and initialise a canceller. cfg NULL = defaults. Returns NULL
 * on ENOMEM, on an out-of-range tap count, or when the requested SIMD
 * variant is not supported by this CPU (see dsp_echo_simd_supported()).
 * The caller owns the result and frees it with dsp_echo_free().
 */
struct dsp_echo *dsp_echo_alloc(const struct dsp_echo_cfg *cfg);

/* Free a canceller (NULL is fine). */
void dsp_echo_free(struct dsp_echo *ec);

/* Forget the echo path and all history; keep configuration and flags. */
void dsp_echo_reset(struct dsp_echo *ec);

/*
 * Cancel echo from n samples. rx: near-end signal from the line (echo
 * plus near-end speech); tx_ref: far-end signal as sent to the line, time
 * aligned with rx as sent (no bulk delay removed: the tail covers it);
 * out: echo-cancelled rx. out may alias rx. Any n is accepted; 20 ms
 * (160 samples) blocks are the usual size.
 */
void dsp_echo_process(struct dsp_echo *ec, const int16_t *rx,
		      const int16_t *tx_ref, int16_t *out, size_t n);

/* Change DSP_ECHO_F_* at run time (e.g. NLP off for modem pass-through). */
void dsp_echo_set_flags(struct dsp_echo *ec, unsigned flags);
unsigned dsp_echo_flags(const struct dsp_echo *ec);

/*
 * Tone disabler hook (G.164/G.165 2100 Hz with or without phase
 * reversals): disabled = true makes the canceller transparent (out = rx,
 * no adaptation, filter kept); false re-enables it. Detection of the tone
 * is the caller's job.
 */
void dsp_echo_set_disabled(struct dsp_echo *ec, bool disabled);
bool dsp_echo_disabled(const struct dsp_echo *ec);

/*
 * Overload control: hold = true suspends adaptation (the filter, the
 * detectors and the NLP go on with the echo path as estimated so far)
 * until cleared; a media thread short of time for a tick holds it for
 * one block (dsp_chan_tick_opt()). Adaptation is the part of the work
 * that can wait: converging costs about three times as much as
 * filtering. Counted in dsp_echo_stats.held_blocks.
 */
void dsp_echo_set_hold(struct dsp_echo *ec, bool hold);

void dsp_echo_get_stats(const struct dsp_echo *ec, struct dsp_echo_stats *st);

/* True if this CPU can run the variant (C and AUTO always can). */
bool dsp_echo_simd_supported(enum dsp_echo_simd simd);
const char *dsp_echo_simd_name(enum dsp_echo_simd simd);

/*
 * Copy the current filter taps (impulse response estimate, tap 0 =
 * no delay) into h[0..n). Returns the number copied. For tests/tools.
 */
size_t dsp_echo_get_taps(const struct dsp_echo *ec, float *h, size_t n);

#endif
