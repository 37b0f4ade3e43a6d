/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fax/modem tone detection with spandsp modem_connect_tones_rx (ITU-T
 * T.30 §5.2, V.25, V.8 §7.1), behind a cheap per-block gate. See faxdet.h.
 *
 * Why a gate: the three spandsp detectors (two notch-filter tone
 * detectors and a V.21 FSK demodulator) cost several microseconds per
 * 20 ms block, on every channel, all call long, for tones that appear in
 * a few calls for a few seconds. All of them only fire on a signal that
 * is mostly one narrow band: spandsp's tone detectors want the notched
 * (off-tone) level below 1/6 of the channel level, and the V.21 flag
 * demodulator needs a clean channel 2 signal. So each block first goes
 * through eight Goertzel filters (1050/1100/1150 Hz for CNG's +-38 Hz,
 * 2100 Hz for the ANS family, 1650-1850 Hz for V.21 channel 2) whose
 * share of the block energy is compared with thresholds far below what
 * the detectors need. A hint wakes the detectors, freshly initialised,
 * and feeds them the previous block first so the tone's onset is not
 * lost; they keep running while any tone is reported and for 500 ms
 * after the last hint, so ends and re-classifications are seen exactly
 * as without the gate.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#include "dsp/faxdet.h"

enum { DET_CNG, DET_ANS, DET_PRE, DET_COUNT };

/* Gate: Goertzel lanes, what each group needs, how long it stays open. */
#define GATE_LANES 8
#define GATE_BLK 160            /* block kept for the onset (20 ms) */
#define GATE_MIN_N 80           /* shorter calls run ungated */
#define GATE_HANG 4000          /* samples (500 ms) after the last hint */
/* mean square below which nothing is detectable: about -55 dBm0, 9 dB
 * under spandsp's cut-offs (-43 dBm0 tones, -45.5 dBm0 V.21) */
#define GATE_FLOOR 800.0f
/* share of the block energy in a group that wakes the detectors; the
 * detectors themselves need well over 90 % in band */
#define GATE_SHARE_TONE 0.2f
#define GATE_SHARE_V21 0.2f

static const float gate_hz[GATE_LANES] = {
	1050, 1100, 1150,       /* CNG 1100 +- 38 Hz */
	2100,                   /* CED, ANS, ANSam (15 Hz AM sidebands) */
	1650, 1700, 1750, 1850, /* V.21 ch 2: mark 1650, space 1850 */
};

/* four lanes: one SSE register on x86-64, NEON on arm64, plain code
 * elsewhere; two of them cover the eight frequencies */
typedef float gate_vec __attribute__((vector_size(4 * sizeof(float))));

struct dsp_faxdet {
	modem_connect_tones_rx_state_t *cng;
	modem_connect_tones_rx_state_t *ans;
	modem_connect_tones_rx_state_t *pre;
	dsp_faxdet_h *h;
	void *arg;
	enum dsp_faxdet_tone st[DET_COUNT];
	enum dsp_faxdet_tone cur;

	bool gate;              /* gating configured */
	bool running;           /* detectors are being fed */
	uint32_t hang;          /* samples left before they may stop */
	gate_vec coef[2];       /* 2 cos(w) per lane */
	int16_t prev[GATE_BLK]; /* last block seen, for a wake-up */
	size_t prev_n;
	uint64_t fed, skipped;  /* samples, for stats and tests */
};

void dsp_faxdet_cfg_default(struct dsp_faxdet_cfg *cfg)
{
	cfg->cng = true;
	cfg->ans = true;
	cfg->preamble = true;
	cfg->gate = true;
}

const char *dsp_faxdet_name(enum dsp_faxdet_tone tone)
{
	switch (tone) {
	case DSP_FAXDET_NONE:
		return "none";
	case DSP_FAXDET_CNG:
		return "CNG";
	case DSP_FAXDET_CED:
		return "CED";
	case DSP_FAXDET_ANS_PR:
		return "ANS/PR";
	case DSP_FAXDET_ANSAM:
		return "ANSam";
	case DSP_FAXDET_ANSAM_PR:
		return "ANSam/PR";
	case DSP_FAXDET_V21_PREAMBLE:
		return "V.21 preamble";
	}
	return "?";
}

static enum dsp_faxdet_tone map(int code)
{
	switch (code) {
	case MODEM_CONNECT_TONES_FAX_CNG:
		return DSP_FAXDET_CNG;
	case MODEM_CONNECT_TONES_ANS:
		return DSP_FAXDET_CED;
	case MODEM_CONNECT_TONES_ANS_PR:
		return DSP_FAXDET_ANS_PR;
	case MODEM_CONNECT_TONES_ANSAM:
		return DSP_FAXDET_ANSAM;
	case MODEM_CONNECT_TONES_ANSAM_PR:
		return DSP_FAXDET_ANSAM_PR;
	case MODEM_CONNECT_TONES_FAX_PREAMBLE:
		return DSP_FAXDET_V21_PREAMBLE;
	default:
		return DSP_FAXDET_NONE;
	}
}

/* Each detector reports its own starts, reclassifications (ANS becomes
 * ANS/PR once reversals are seen) and ends; the channel sees one combined
 * state, the most specific tone any detector hears. */
static void update(struct dsp_faxdet *d)
{
	enum dsp_faxdet_tone t = DSP_FAXDET_NONE, old = d->cur;

	if (d->st[DET_ANS] != DSP_FAXDET_NONE)
		t = d->st[DET_ANS];
	else if (d->st[DET_PRE] != DSP_FAXDET_NONE)
		t = d->st[DET_PRE];
	else
		t = d->st[DET_CNG];
	if (t == old)
		return;
	d->cur = t;
	if (old != DSP_FAXDET_NONE && t != DSP_FAXDET_NONE &&
	    !(old >= DSP_FAXDET_CED && old <= DSP_FAXDET_ANSAM_PR &&
	      t >= DSP_FAXDET_CED && t <= DSP_FAXDET_ANSAM_PR)) {
		/* a different kind of tone: end the old one first */
		d->h(d->arg, DSP_FAXDET_NONE, old);
	}
	if (t == DSP_FAXDET_NONE)
		d->h(d->arg, DSP_FAXDET_NONE, old);
	else
		d->h(d->arg, t, DSP_FAXDET_NONE);
}

static void cb_cng(void *arg, int code, int level, int delay)
{
	struct dsp_faxdet *d = arg;
	(void)level;
	(void)delay;
	d->st[DET_CNG] = map(code);
	update(d);
}

static void cb_ans(void *arg, int code, int level, int delay)
{
	struct dsp_faxdet *d = arg;
	(void)level;
	(void)delay;
	d->st[DET_ANS] = map(code);
	update(d);
}

static void cb_pre(void *arg, int code, int level, int delay)
{
	struct dsp_faxdet *d = arg;
	(void)level;
	(void)delay;
	d->st[DET_PRE] = map(code);
	update(d);
}

int dsp_faxdet_alloc(struct dsp_faxdet **dp, const struct dsp_faxdet_cfg *cfg,
		     dsp_faxdet_h *h, void *arg)
{
	struct dsp_faxdet *d;
	int err = 0;

	if (!dp || !cfg || !h || (!cfg->cng && !cfg->ans && !cfg->preamble))
		return EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return ENOMEM;
	d->h = h;
	d->arg = arg;
	d->gate = cfg->gate;
	d->running = !cfg->gate;
	for (unsigned i = 0; i < GATE_LANES; i++)
		d->coef[i / 4][i % 4] = (float)(2.0 * cos(2.0 * M_PI * gate_hz[i] /
					      8000.0));
	if (cfg->cng) {
		d->cng = modem_connect_tones_rx_init(NULL, MODEM_CONNECT_TONES_FAX_CNG,
						     cb_cng, d);
		if (!d->cng)
			err = ENOMEM;
	}
	if (!err && cfg->ans) {
		/* this type classifies the whole 2100 Hz family */
		d->ans = modem_connect_tones_rx_init(NULL, MODEM_CONNECT_TONES_ANSAM_PR,
						     cb_ans, d);
		if (!d->ans)
			err = ENOMEM;
	}
	if (!err && cfg->preamble) {
		d->pre = modem_connect_tones_rx_init(NULL,
						     MODEM_CONNECT_TONES_FAX_CED_OR_PREAMBLE,
						     cb_pre, d);
		if (!d->pre)
			err = ENOMEM;
	}
	if (err) {
		dsp_faxdet_free(d);
		return err;
	}
	*dp = d;
	return 0;
}

void dsp_faxdet_free(struct dsp_faxdet *d)
{
	if (!d)
		return;
	if (d->cng)
		modem_connect_tones_rx_free(d->cng);
	if (d->ans)
		modem_connect_tones_rx_free(d->ans);
	if (d->pre)
		modem_connect_tones_rx_free(d->pre);
	free(d);
}

static void run(struct dsp_faxdet *d, const int16_t *pcm, size_t n)
{
	if (!n)
		return;
	if (d->cng)
		modem_connect_tones_rx(d->cng, pcm, (int)n);
	if (d->ans)
		modem_connect_tones_rx(d->ans, pcm, (int)n);
	if (d->pre)
		modem_connect_tones_rx(d->pre, pcm, (int)n);
	d->fed += n;
}

/* Start the detectors from a clean state, as after a long silence. */
static void wake(struct dsp_faxdet *d)
{
	if (d->cng)
		modem_connect_tones_rx_init(d->cng, MODEM_CONNECT_TONES_FAX_CNG,
					    cb_cng, d);
	if (d->ans)
		modem_connect_tones_rx_init(d->ans, MODEM_CONNECT_TONES_ANSAM_PR,
					    cb_ans, d);
	if (d->pre)
		modem_connect_tones_rx_init(d->pre,
					    MODEM_CONNECT_TONES_FAX_CED_OR_PREAMBLE,
					    cb_pre, d);
	d->running = true;
}

/*
 * Could this block hold a tone a detector would report? Goertzel power
 * of each lane, as a share of the block energy (a pure tone on a lane's
 * frequency gives 1, white noise about 2/n).
 */
static bool hint(const struct dsp_faxdet *d, const int16_t *pcm, size_t n)
{
	const gate_vec ca = d->coef[0], cb = d->coef[1];
	const gate_vec ca2 = ca * ca - 1, cb2 = cb * cb - 1;
	gate_vec a1 = { 0 }, a2 = { 0 }, b1 = { 0 }, b2 = { 0 };
	float e = 0, p[GATE_LANES];
	size_t i = 0;
	int64_t ei = 0;

	/* a quiet block (a silent party) needs no filters: the energy
	 * first, in integers the compiler vectorises */
	for (size_t k = 0; k < n; k++)
		ei += (int32_t)pcm[k] * pcm[k];
	if ((float)ei < GATE_FLOOR * (float)n)
		return false;
	/* two samples per step from the same (s1, s2): the recursion
	 * s[n] = c s[n-1] - s[n-2] + x[n] unrolled once, so the latency
	 * chain is half as long */
	for (; i + 1 < n; i += 2) {
		float x0 = pcm[i], x1 = pcm[i + 1];
		gate_vec na = ca * a1 - a2 + x0;
		gate_vec nb = cb * b1 - b2 + x0;
		a1 = ca2 * a1 - ca * a2 + (ca * x0 + x1);
		b1 = cb2 * b1 - cb * b2 + (cb * x0 + x1);
		a2 = na;
		b2 = nb;
		e += x0 * x0 + x1 * x1;
	}
	for (; i < n; i++) {
		float x = pcm[i];
		gate_vec na = ca * a1 - a2 + x;
		gate_vec nb = cb * b1 - b2 + x;
		a2 = a1;
		a1 = na;
		b2 = b1;
		b1 = nb;
		e += x * x;
	}
	if (e < GATE_FLOOR * (float)n)
		return false;
	for (unsigned l = 0; l < 4; l++) {
		p[l] = a1[l] * a1[l] + a2[l] * a2[l] - ca[l] * a1[l] * a2[l];
		p[4 + l] = b1[l] * b1[l] + b2[l] * b2[l] - cb[l] * b1[l] * b2[l];
	}
	/* share = 2 P / (n E) */
	float k = 2.0f / ((float)n * e);
	float cng = (p[0] > p[1] ? (p[0] > p[2] ? p[0] : p[2])
				 : (p[1] > p[2] ? p[1] : p[2])) * k;
	float ans = p[3] * k;
	float v21 = (p[4] + p[5] + p[6] + p[7]) * k;
	return cng >= GATE_SHARE_TONE || ans >= GATE_SHARE_TONE ||
	       v21 >= GATE_SHARE_V21;
}

static bool any_tone(const struct dsp_faxdet *d)
{
	return d->cur != DSP_FAXDET_NONE || d->st[DET_CNG] != DSP_FAXDET_NONE ||
	       d->st[DET_ANS] != DSP_FAXDET_NONE ||
	       d->st[DET_PRE] != DSP_FAXDET_NONE;
}

void dsp_faxdet_process(struct dsp_faxdet *d, const int16_t *pcm, size_t n)
{
	if (!d->gate) {
		run(d, pcm, n);
		return;
	}
	if (n < GATE_MIN_N || hint(d, pcm, n)) {
		if (!d->running) {
			wake(d);
			run(d, d->prev, d->prev_n);
		}
		d->hang = GATE_HANG;
	}
	if (d->running) {
		run(d, pcm, n);
		d->hang = d->hang > n ? d->hang - (uint32_t)n : 0;
		if (!d->hang && !any_tone(d))
			d->running = false;
	} else {
		d->skipped += n;
	}
	/* keep the newest GATE_BLK samples for the next wake-up */
	if (n >= GATE_BLK) {
		memcpy(d->prev, pcm + n - GATE_BLK, sizeof(d->prev));
		d->prev_n = GATE_BLK;
	} else {
		size_t keep = d->prev_n + n > GATE_BLK ? GATE_BLK - n : d->prev_n;
		memmove(d->prev, d->prev + d->prev_n - keep, keep * sizeof(int16_t));
		memcpy(d->prev + keep, pcm, n * sizeof(int16_t));
		d->prev_n = keep + n;
	}
}

void dsp_faxdet_gate_stats(const struct dsp_faxdet *d, uint64_t *fed,
			   uint64_t *skipped)
{
	*fed = d->fed;
	*skipped = d->skipped;
}

enum dsp_faxdet_tone dsp_faxdet_current(const struct dsp_faxdet *d)
{
	return d->cur;
}
