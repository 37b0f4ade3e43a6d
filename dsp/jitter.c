/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Adaptive/fixed playout buffer with PLC and drift handling. See jitter.h.
 *
 * Time model: next_ts is the RTP timestamp of the first sample not yet
 * decoded into the fifo, so the next sample played is play_pos = next_ts -
 * fifo_len. A packet's "lead" at arrival is ts - play_pos: how long before
 * it is needed it arrived (negative: late). The controller watches the
 * smallest and mean lead over the last WIN packets: it lengthens the
 * delay at once when packets come (nearly) late, and shortens it slowly,
 * in silence when possible. Dropping k samples moves play_pos forward by
 * k, inserting moves it back: both shift every lead in the window by k.
 * Clock drift shows up as a slowly moving lead and is handled the same way.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#include "dsp/jitter.h"

#define WIN        64			/* packets in the lead window */
#define FIFO_MAX   (DSP_JB_MAX_PAYLOAD + 3 * DSP_JB_MAX_TICK)
#define MARGIN     40			/* samples of slack we keep (5 ms) */
#define SILENCE_E  (150 * 150)		/* mean square below: silence */
#define FORCE_TICKS 100			/* 2 s without silence: force */
#define XFADE_MAX  40			/* forced drop per tick (5 ms) */

struct slot {
	bool used;
	uint16_t seq;
	uint32_t ts;
	uint16_t len;
	uint8_t data[DSP_JB_MAX_PAYLOAD];
};

struct dsp_jb {
	struct dsp_jb_cfg cfg;
	dsp_jb_decode_h *dech;
	void *arg;
	struct slot slot[DSP_JB_SLOTS];
	bool started;
	bool have_audio;	/* something decoded since (re)start */
	uint32_t next_ts;
	int16_t fifo[FIFO_MAX];
	size_t fifo_len;
	plc_state_t plc;
	int32_t win[WIN];
	unsigned win_n, win_pos;
	unsigned loud_ticks;	/* consecutive ticks without silence */
	struct dsp_jb_stats st;
};

void dsp_jb_cfg_default(struct dsp_jb_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = DSP_JB_ADAPTIVE;
	cfg->min_ms = 20;
	cfg->max_ms = 200;
	cfg->fixed_ms = 60;
	cfg->tick = 160;
}

int dsp_jb_alloc(struct dsp_jb **jbp, const struct dsp_jb_cfg *cfg,
		 dsp_jb_decode_h *dech, void *arg)
{
	struct dsp_jb *jb;

	if (!jbp || !cfg || !dech || !cfg->tick || cfg->tick > DSP_JB_MAX_TICK ||
	    cfg->min_ms > cfg->max_ms || cfg->max_ms > 2000 ||
	    cfg->fixed_ms > 2000)
		return EINVAL;
	jb = calloc(1, sizeof(*jb));
	if (!jb)
		return ENOMEM;
	jb->cfg = *cfg;
	jb->dech = dech;
	jb->arg = arg;
	plc_init(&jb->plc);
	*jbp = jb;
	return 0;
}

void dsp_jb_free(struct dsp_jb *jb)
{
	free(jb);
}

void dsp_jb_set_mode(struct dsp_jb *jb, enum dsp_jb_mode mode)
{
	jb->cfg.mode = mode;
}

void dsp_jb_reset(struct dsp_jb *jb)
{
	for (unsigned i = 0; i < DSP_JB_SLOTS; i++)
		jb->slot[i].used = false;
	jb->started = false;
	jb->have_audio = false;
	jb->fifo_len = 0;
	jb->win_n = 0;
	jb->win_pos = 0;
	jb->loud_ticks = 0;
	plc_init(&jb->plc);
}

static int32_t initial_lead(const struct dsp_jb *jb)
{
	unsigned ms;

	if (jb->cfg.mode == DSP_JB_FIXED)
		ms = jb->cfg.fixed_ms;
	else {
		ms = jb->cfg.min_ms < 40 ? 40 : jb->cfg.min_ms;
		if (ms > jb->cfg.max_ms)
			ms = jb->cfg.max_ms;
	}
	return (int32_t)ms * 8;
}

static void win_add(struct dsp_jb *jb, int32_t lead)
{
	jb->win[jb->win_pos] = lead;
	jb->win_pos = (jb->win_pos + 1) % WIN;
	if (jb->win_n < WIN)
		jb->win_n++;
}

static void win_shift(struct dsp_jb *jb, int32_t by)
{
	for (unsigned i = 0; i < jb->win_n; i++)
		jb->win[i] += by;
}

static void win_stats(const struct dsp_jb *jb, int32_t *min, int32_t *mean)
{
	int64_t sum = 0;
	int32_t m = INT32_MAX;

	for (unsigned i = 0; i < jb->win_n; i++) {
		sum += jb->win[i];
		if (jb->win[i] < m)
			m = jb->win[i];
	}
	*min = jb->win_n ? m : 0;
	*mean = jb->win_n ? (int32_t)(sum / jb->win_n) : 0;
}

static void restart_at(struct dsp_jb *jb, uint32_t ts, int32_t lead)
{
	for (unsigned i = 0; i < DSP_JB_SLOTS; i++)
		jb->slot[i].used = false;
	jb->started = true;
	jb->fifo_len = 0;
	jb->next_ts = ts - (uint32_t)lead;
	jb->win_n = 0;
	jb->win_pos = 0;
}

int dsp_jb_put(struct dsp_jb *jb, uint16_t seq, uint32_t ts,
	       const uint8_t *payload, size_t plen)
{
	struct slot *free_slot = NULL;
	int32_t lead, jump;

	if (!jb || !payload || !plen)
		return EINVAL;
	if (plen > DSP_JB_MAX_PAYLOAD) {
		jb->st.overflow++;
		return EMSGSIZE;
	}
	if (!jb->started)
		restart_at(jb, ts, initial_lead(jb));

	lead = (int32_t)(ts - (jb->next_ts - (uint32_t)jb->fifo_len));
	/* far outside any sane delay: the sender's timeline jumped (the RTP
	 * receiver has already confirmed it with a second packet) */
	jump = (int32_t)(2 * jb->cfg.max_ms * 8 + 4000);
	if (jb->cfg.mode == DSP_JB_FIXED && (int32_t)(jb->cfg.fixed_ms * 16 + 4000) > jump)
		jump = (int32_t)(jb->cfg.fixed_ms * 16 + 4000);
	if (lead > jump || lead < -jump) {
		int32_t l0 = initial_lead(jb);
		restart_at(jb, ts, l0);
		lead = l0;
		jb->st.resync++;
	}

	if ((int32_t)(ts - jb->next_ts) < 0) {
		/* already played (or concealed) past it */
		win_add(jb, lead);
		jb->st.late++;
		return ETIME;
	}
	for (unsigned i = 0; i < DSP_JB_SLOTS; i++) {
		struct slot *s = &jb->slot[i];
		if (!s->used) {
			if (!free_slot)
				free_slot = s;
			continue;
		}
		if (s->ts == ts) {
			jb->st.dup++;
			return EALREADY;
		}
	}
	if (!free_slot) {
		jb->st.overflow++;
		return ENOSPC;
	}
	free_slot->used = true;
	free_slot->seq = seq;
	free_slot->ts = ts;
	free_slot->len = (uint16_t)plen;
	memcpy(free_slot->data, payload, plen);
	win_add(jb, lead);
	jb->st.put++;
	return 0;
}

/*
 * spandsp 0.0.6's plc_fillin first rotates its history ring with an
 * overlapping memcpy (undefined behaviour, flagged by ASan) unless the
 * ring is already in order. Put it in order here with memmove; the PLC
 * then sees exactly the same history.
 */
static void plc_normalise(plc_state_t *plc)
{
	int16_t tmp[PLC_HISTORY_LEN];
	size_t k = (size_t)plc->buf_ptr;

	if (k == 0 || k >= PLC_HISTORY_LEN)
		return;
	memcpy(tmp, plc->history, k * sizeof(int16_t));
	memmove(plc->history, plc->history + k,
		(PLC_HISTORY_LEN - k) * sizeof(int16_t));
	memcpy(plc->history + PLC_HISTORY_LEN - k, tmp, k * sizeof(int16_t));
	plc->buf_ptr = 0;
}

/* Append `n` samples of concealment (the codec's own or PLC when there is
 * history and the mode allows it, else silence). */
static void conceal(struct dsp_jb *jb, size_t n)
{
	int16_t *p = jb->fifo + jb->fifo_len;

	if (jb->cfg.mode == DSP_JB_ADAPTIVE && jb->have_audio) {
		size_t got = 0;
		/* a codec that models the speech (G.729) extrapolates from
		 * its own state far better than a waveform PLC can */
		if (jb->dech(jb->arg, NULL, 0, p, n, &got) || got != n) {
			plc_normalise(&jb->plc);
			plc_fillin(&jb->plc, p, (int)n);
		}
	}
	else
		memset(p, 0, n * sizeof(*p));
	jb->fifo_len += n;
}

/* Decode or conceal until the fifo holds `need` samples. Returns true if
 * anything had to be concealed. */
static bool fill(struct dsp_jb *jb, size_t need)
{
	bool concealed = false;

	/* bounded: each pass adds at least one sample or frees a slot */
	for (unsigned guard = 0; jb->fifo_len < need && guard < 4 * DSP_JB_SLOTS + need;
	     guard++) {
		struct slot *hit = NULL;
		uint32_t gap = (uint32_t)(need - jb->fifo_len);

		for (unsigned i = 0; i < DSP_JB_SLOTS; i++) {
			struct slot *s = &jb->slot[i];
			int32_t d;
			if (!s->used)
				continue;
			d = (int32_t)(s->ts - jb->next_ts);
			if (d == 0) {
				hit = s;
				break;
			}
			if (d < 0) {
				/* overlaps what was already played */
				s->used = false;
				jb->st.late++;
			} else if ((uint32_t)d < gap) {
				gap = (uint32_t)d;
			}
		}
		if (hit) {
			size_t room = FIFO_MAX - jb->fifo_len, n = 0;
			int err = jb->dech(jb->arg, hit->data, hit->len,
					   jb->fifo + jb->fifo_len, room, &n);
			hit->used = false;
			if (err || n == 0 || n > room) {
				/* undecodable: conceal its probable length */
				jb->st.decode_err++;
				n = hit->len < room ? hit->len : room;
				conceal(jb, n);
				jb->st.concealed += n;
				concealed = true;
			} else {
				if (jb->cfg.mode == DSP_JB_ADAPTIVE)
					plc_rx(&jb->plc, jb->fifo + jb->fifo_len, (int)n);
				jb->fifo_len += n;
				jb->st.played += n;
				jb->have_audio = true;
			}
			jb->next_ts += (uint32_t)n;
			continue;
		}
		conceal(jb, gap);
		if (jb->have_audio) {
			jb->st.concealed += gap;
			concealed = true;
		}
		jb->next_ts += gap;
	}
	return concealed;
}

static bool is_silent(const int16_t *p, size_t n)
{
	int64_t e = 0;

	for (size_t i = 0; i < n; i++)
		e += (int32_t)p[i] * p[i];
	return e <= (int64_t)SILENCE_E * (int64_t)n;
}

static void drop_front(struct dsp_jb *jb, size_t k, bool crossfade)
{
	if (crossfade) {
		/* fade the k samples being dropped into the k after them */
		for (size_t i = 0; i < k; i++) {
			float w = (float)(i + 1) / (float)(k + 1);
			jb->fifo[k + i] = (int16_t)((1.0f - w) * jb->fifo[i] +
						    w * jb->fifo[k + i]);
		}
	}
	memmove(jb->fifo, jb->fifo + k, (jb->fifo_len - k) * sizeof(int16_t));
	jb->fifo_len -= k;
	jb->st.dropped += k;
	win_shift(jb, -(int32_t)k);
}

/* How many samples to insert (> 0) or drop (< 0) now. */
static int32_t control(const struct dsp_jb *jb, bool *urgent)
{
	const int32_t tick = (int32_t)jb->cfg.tick;
	int32_t lmin, lmean, want = 0;

	*urgent = false;
	if (jb->win_n < 4)
		return 0;
	win_stats(jb, &lmin, &lmean);
	if (jb->cfg.mode == DSP_JB_FIXED) {
		int32_t tgt = (int32_t)jb->cfg.fixed_ms * 8;
		int32_t band = tgt / 2 > tick ? tgt / 2 : tick;
		/* whole ticks only, and only when drift has really moved us */
		if (lmean > tgt + band)
			want = -tick;
		else if (lmean < tgt - band || lmin < 0)
			want = tick;
		*urgent = true;
		return want;
	}

	int32_t lo = (int32_t)jb->cfg.min_ms * 8, hi = (int32_t)jb->cfg.max_ms * 8;
	if ((lmin < MARGIN || lmean < lo) && lmean < hi) {
		int32_t a = MARGIN - lmin, b = lo - lmean;
		want = a > b ? a : b;
		if (want > hi - lmean)
			want = hi - lmean;
		if (want > tick)
			want = tick;
		*urgent = lmin < 0;
	} else if (lmean > hi) {
		want = -(lmean - hi < tick ? lmean - hi : tick);
		*urgent = true;
	} else if (lmin > MARGIN + tick && lmean > lo + tick / 2) {
		/* more slack than needed: give some back, not below min. The
		 * dead band (a whole tick over the margin) keeps one slightly
		 * late packet leaving the window from starting a give-back /
		 * grow-again hunt that slips samples in live audio. */
		int32_t k = lmin - MARGIN - tick / 4;
		if (k > lmean - lo)
			k = lmean - lo;
		if (k > tick)
			k = tick;
		want = -k;
	}
	return want;
}

enum dsp_jb_frame dsp_jb_get(struct dsp_jb *jb, int16_t *pcm)
{
	const size_t n = jb->cfg.tick;
	bool concealed = false, urgent;
	int32_t want;

	if (!jb->started) {
		memset(pcm, 0, n * sizeof(*pcm));
		return DSP_JB_IDLE;
	}

	want = control(jb, &urgent);
	if (want > 0) {
		/* lengthen by appending concealment after what is decoded
		 * (so PLC stays in time order) without consuming timestamps */
		bool silent_now = jb->loud_ticks == 0;
		if (urgent || silent_now || jb->loud_ticks > FORCE_TICKS ||
		    jb->cfg.mode == DSP_JB_FIXED) {
			fill(jb, jb->fifo_len);
			conceal(jb, (size_t)want);
			jb->st.inserted += (uint64_t)want;
			win_shift(jb, want);
			concealed = true;
		}
	}

	if (fill(jb, n))
		concealed = true;

	if (want < 0) {
		size_t k = (size_t)-want;
		bool fixed = jb->cfg.mode == DSP_JB_FIXED;
		if (fill(jb, n + k))
			concealed = true;
		if (fixed || is_silent(jb->fifo, n + k))
			drop_front(jb, k, false);
		else if (urgent || jb->loud_ticks > FORCE_TICKS)
			drop_front(jb, k > XFADE_MAX ? XFADE_MAX : k, true);
	}

	if (is_silent(jb->fifo, n))
		jb->loud_ticks = 0;
	else
		jb->loud_ticks++;

	memcpy(pcm, jb->fifo, n * sizeof(*pcm));
	memmove(jb->fifo, jb->fifo + n, (jb->fifo_len - n) * sizeof(int16_t));
	jb->fifo_len -= n;
	if (!jb->have_audio)
		return DSP_JB_IDLE;
	return concealed ? DSP_JB_CONCEALED : DSP_JB_AUDIO;
}

void dsp_jb_stats(const struct dsp_jb *jb, struct dsp_jb_stats *st)
{
	int32_t lmin, lmean;

	*st = jb->st;
	win_stats(jb, &lmin, &lmean);
	st->delay_ms = lmean > 0 ? (unsigned)lmean / 8 : 0;
	st->slack_ms = lmin > 0 ? (unsigned)lmin / 8 : 0;
}
