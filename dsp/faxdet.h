/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fax and modem tone detection on a channel's PSTN audio, so the gateway
 * can switch the call to T.38 or to G.711 pass-through (EC/NLP off, fixed
 * jitter buffer): CNG 1100 Hz (ITU-T T.30 §5.2), CED / ANS 2100 Hz
 * (T.30, V.25), ANS with phase reversals (V.25 echo canceller disable),
 * ANSam with and without phase reversals (V.8 §7.1), and the V.21 HDLC
 * flag preamble of a fax answering without CED. Built on spandsp's
 * modem_connect_tones_rx; raises an event per tone start and end.
 * No I/O, no locks; one detector set per channel.
 */
#ifndef DSP_FAXDET_H
#define DSP_FAXDET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dsp_faxdet_tone {
	DSP_FAXDET_NONE = 0,	/* the previous tone stopped */
	DSP_FAXDET_CNG,
	DSP_FAXDET_CED,		/* plain 2100 Hz (fax CED / V.25 ANS) */
	DSP_FAXDET_ANS_PR,	/* 2100 Hz with phase reversals */
	DSP_FAXDET_ANSAM,
	DSP_FAXDET_ANSAM_PR,
	DSP_FAXDET_V21_PREAMBLE,
};

struct dsp_faxdet_cfg {
	bool cng;		/* calling fax tone */
	bool ans;		/* 2100 Hz family, classified */
	bool preamble;		/* V.21 flags (fax answerer without CED) */
	/* Run the detectors only on audio that may hold one of their tones
	 * (default on): a per-block prefilter of our own (Goertzel energy at
	 * 1050-1150 Hz, 2100 Hz and across the V.21 channel 2 band against
	 * the block energy) wakes them, with the block before; they stay on
	 * while any tone is reported and for 500 ms after the last hint.
	 * Off: every sample goes through every detector. */
	bool gate;
};

/* tone == DSP_FAXDET_NONE reports the end of `ended`. */
typedef void(dsp_faxdet_h)(void *arg, enum dsp_faxdet_tone tone,
			   enum dsp_faxdet_tone ended);

struct dsp_faxdet;

/* All three detectors on, gate on. */
void dsp_faxdet_cfg_default(struct dsp_faxdet_cfg *cfg);
const char *dsp_faxdet_name(enum dsp_faxdet_tone tone);

/* Returns 0, EINVAL (nothing enabled or no handler), ENOMEM. */
int dsp_faxdet_alloc(struct dsp_faxdet **dp, const struct dsp_faxdet_cfg *cfg,
		     dsp_faxdet_h *h, void *arg);
void dsp_faxdet_free(struct dsp_faxdet *d);

/* Run the detectors on n linear samples; events are raised from here. */
void dsp_faxdet_process(struct dsp_faxdet *d, const int16_t *pcm, size_t n);

/* Samples the detectors ran on and samples the gate let them skip. */
void dsp_faxdet_gate_stats(const struct dsp_faxdet *d, uint64_t *fed,
			   uint64_t *skipped);

/* The tone currently present (NONE if none). */
enum dsp_faxdet_tone dsp_faxdet_current(const struct dsp_faxdet *d);

#endif
