/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fax/modem tone detection with spandsp modem_connect_tones_rx (ITU-T
 * T.30 §5.2, V.25, V.8 §7.1). See faxdet.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#include "dsp/faxdet.h"

enum { DET_CNG, DET_ANS, DET_PRE, DET_COUNT };

struct dsp_faxdet {
	modem_connect_tones_rx_state_t *cng;
	modem_connect_tones_rx_state_t *ans;
	modem_connect_tones_rx_state_t *pre;
	dsp_faxdet_h *h;
	void *arg;
	enum dsp_faxdet_tone st[DET_COUNT];
	enum dsp_faxdet_tone cur;
};

void dsp_faxdet_cfg_default(struct dsp_faxdet_cfg *cfg)
{
	cfg->cng = true;
	cfg->ans = true;
	cfg->preamble = true;
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

void dsp_faxdet_process(struct dsp_faxdet *d, const int16_t *pcm, size_t n)
{
	if (d->cng)
		modem_connect_tones_rx(d->cng, pcm, (int)n);
	if (d->ans)
		modem_connect_tones_rx(d->ans, pcm, (int)n);
	if (d->pre)
		modem_connect_tones_rx(d->pre, pcm, (int)n);
}

enum dsp_faxdet_tone dsp_faxdet_current(const struct dsp_faxdet *d)
{
	return d->cur;
}
