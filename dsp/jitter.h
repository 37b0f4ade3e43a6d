/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Playout (jitter) buffer for one 8 kHz audio stream: packets of 10, 20 or
 * 30 ms (or any length) are stored by RTP timestamp and decoded at playout
 * time into fixed output ticks (normally 20 ms = 160 samples, the span
 * clock). Reordering, duplicate and late drop, packet loss concealment
 * by the codec when it has its own (G.729 frame erasure), else with
 * spandsp's PLC (ITU-T G.711 Appendix I style), adaptive playout
 * delay driven by the measured arrival slack between configured bounds,
 * clock drift compensation (drop or insert in silence; short crossfade
 * drop or PLC insert when there is no silence), timestamp jump resync, and
 * a fixed mode for fax/modem pass-through (constant delay, no PLC, whole
 * frame corrections only when drift forces them).
 *
 * Audio only: RFC 4733 telephone-events are routed by payload type to
 * dsp/dtmf by the caller and never enter this buffer. No I/O, no locks.
 */
#ifndef DSP_JITTER_H
#define DSP_JITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dsp_jb_mode {
	DSP_JB_ADAPTIVE = 0,
	DSP_JB_FIXED,
};

#define DSP_JB_SLOTS       32
#define DSP_JB_MAX_PAYLOAD 480	/* 60 ms of G.711/G.722 */
#define DSP_JB_MAX_TICK    480	/* output samples per get */

struct dsp_jb_cfg {
	enum dsp_jb_mode mode;
	unsigned min_ms;	/* adaptive: lowest playout delay */
	unsigned max_ms;	/* adaptive: highest playout delay */
	unsigned fixed_ms;	/* fixed mode delay */
	unsigned tick;		/* output samples per dsp_jb_get (<= MAX_TICK) */
};

/*
 * Decoder called at playout: payload -> 8 kHz samples (at most max).
 * Called with payload NULL and plen 0 to conceal a loss of max samples: a
 * decoder with its own concealment (G.729 frame erasure) writes them and
 * returns 0 with *n = max; any other result (G.711, G.722: ENOTSUP) and
 * the buffer conceals with its generic PLC.
 */
typedef int(dsp_jb_decode_h)(void *arg, const uint8_t *payload, size_t plen,
			     int16_t *pcm, size_t max, size_t *n);

struct dsp_jb_stats {
	uint64_t put;		/* packets accepted */
	uint64_t dup;		/* duplicates dropped */
	uint64_t late;		/* arrived after their playout time */
	uint64_t overflow;	/* dropped: buffer full or too far ahead */
	uint64_t resync;	/* timestamp jumps followed */
	uint64_t decode_err;
	uint64_t played;	/* samples decoded from packets */
	uint64_t concealed;	/* samples made by PLC (or silence) for loss */
	uint64_t dropped;	/* samples removed to shorten the delay */
	uint64_t inserted;	/* samples added to lengthen the delay */
	unsigned delay_ms;	/* current mean playout delay */
	unsigned slack_ms;	/* smallest arrival slack in the window */
};

/* Kind of the block returned by dsp_jb_get. */
enum dsp_jb_frame {
	DSP_JB_AUDIO = 0,	/* all samples decoded from packets */
	DSP_JB_CONCEALED,	/* some samples concealed or inserted */
	DSP_JB_IDLE,		/* playout not started: silence */
};

struct dsp_jb;

/* Defaults: adaptive, 20..200 ms, fixed 60 ms, tick 160. */
void dsp_jb_cfg_default(struct dsp_jb_cfg *cfg);

/*
 * Allocate a buffer. dech decodes payloads (with arg). Returns 0, EINVAL
 * (bad bounds or tick), ENOMEM. Free with dsp_jb_free().
 */
int dsp_jb_alloc(struct dsp_jb **jbp, const struct dsp_jb_cfg *cfg,
		 dsp_jb_decode_h *dech, void *arg);
void dsp_jb_free(struct dsp_jb *jb);

/* Switch mode (e.g. to fixed when a fax tone is detected); keeps audio. */
void dsp_jb_set_mode(struct dsp_jb *jb, enum dsp_jb_mode mode);

/*
 * Store one audio packet (timestamp ts, payload copied). Returns 0, or
 * (packet dropped and counted) EALREADY duplicate, ETIME late, ENOSPC
 * buffer full, EMSGSIZE payload too large, EINVAL empty payload.
 */
int dsp_jb_put(struct dsp_jb *jb, uint16_t seq, uint32_t ts,
	       const uint8_t *payload, size_t plen);

/*
 * Produce the next cfg.tick samples for the TDM side (call once per span
 * tick). Returns the kind of block; never fails.
 */
enum dsp_jb_frame dsp_jb_get(struct dsp_jb *jb, int16_t *pcm);

/* Forget everything (e.g. new remote stream); playout restarts with the
 * next packet. Counters are kept. */
void dsp_jb_reset(struct dsp_jb *jb);

void dsp_jb_stats(const struct dsp_jb *jb, struct dsp_jb_stats *st);

#endif
