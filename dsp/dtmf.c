/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DTMF detection to RFC 4733 events, RFC 4733 events to DTMF tones, SIP
 * INFO dtmf-relay bodies (RFC 4733 §2.5, §3.2; ITU-T Q.24). See dtmf.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <spandsp.h>

#include "dsp/dtmf.h"

#define DTMF_CHARS "0123456789*#ABCD"

int dsp_dtmf_event_to_char(unsigned event)
{
	return event < 16 ? DTMF_CHARS[event] : -1;
}

int dsp_dtmf_char_to_event(char c)
{
	const char *p;

	if (c >= 'a' && c <= 'd')
		c = (char)(c - 'a' + 'A');
	if (!c)
		return -1;
	p = strchr(DTMF_CHARS, c);
	return p ? (int)(p - DTMF_CHARS) : -1;
}

int dsp_dtmf_event_decode(const uint8_t *p, size_t len, struct dsp_dtmf_event *ev)
{
	if (!p || len < 4)
		return EBADMSG;
	ev->event = p[0];
	ev->end = p[1] >> 7;
	ev->volume = p[1] & 0x3f;
	ev->duration = (uint16_t)(p[2] << 8 | p[3]);
	return 0;
}

void dsp_dtmf_event_encode(const struct dsp_dtmf_event *ev, uint8_t p[4])
{
	p[0] = ev->event;
	p[1] = (uint8_t)((ev->end ? 0x80 : 0) | (ev->volume & 0x3f));
	p[2] = (uint8_t)(ev->duration >> 8);
	p[3] = (uint8_t)ev->duration;
}

/* ---- detector ----------------------------------------------------------- */

struct dsp_dtmf_det {
	struct dsp_dtmf_det_cfg cfg;
	dtmf_rx_state_t *rx;
	dsp_dtmf_digit_h *digith;
	void *arg;
	/* set by the spandsp callback during one dsp_dtmf_det_process */
	int cb_hit;		/* digit started (char) */
	bool cb_end;
	int cb_level;
	/* current event */
	bool active;
	uint8_t event;
	uint8_t volume;
	uint32_t ev_ts;		/* timestamp of the current segment */
	uint32_t dur;		/* samples since ev_ts */
	uint32_t total;		/* samples since the event started */
	uint32_t next_update;	/* duration at which the next update goes */
	/* redundant end packets still to send */
	unsigned end_left;
	struct dsp_dtmf_pkt end_pkt;
	uint32_t mute_left;	/* hangover samples */
	int16_t hold[DSP_DTMF_MAX_BLOCK];	/* lookahead: previous block */
	size_t hold_n;
	/* quiet gate: blocks far under the threshold need no detector */
	double gate_pow;	/* mean power under which a block is quiet */
	unsigned quiet_run;	/* quiet blocks in a row fed to dtmf_rx */
};

/*
 * Mean power of 0 dBm0 on the linear scale (a full-scale sine is +3.14
 * dBm0 in G.711 A-law, G.711 Table 5): 32767^2 / 2 / 10^0.314.
 */
#define DBM0_POW 2.6237e8
/* the gate sits this far under the detection threshold */
#define GATE_MARGIN_DB 15.0
/*
 * Quiet blocks fed before the gate closes: the detector needs to see
 * silence to end a digit and clear a single unconfirmed hit, and its
 * 102-sample analysis blocks straddle ours.
 */
#define GATE_FEED 3

void dsp_dtmf_det_cfg_default(struct dsp_dtmf_det_cfg *cfg)
{
	/* Q.24 asks for +4/-8 dB; the detector's Goertzel bins need 1-2 dB
	 * of margin to accept those edges at every phase alignment */
	cfg->threshold_dbm0 = -30;
	cfg->twist_normal_db = 10;
	cfg->twist_reverse_db = 5;
	cfg->update_ms = 50;
	cfg->hangover_ms = 20;
	cfg->lookahead = true;
}

static void det_cb(void *arg, int code, int level, int delay)
{
	struct dsp_dtmf_det *d = arg;

	(void)delay;
	if (code) {
		d->cb_hit = code;
		d->cb_level = level;
	} else {
		d->cb_end = true;
	}
}

int dsp_dtmf_det_alloc(struct dsp_dtmf_det **dp,
		       const struct dsp_dtmf_det_cfg *cfg,
		       dsp_dtmf_digit_h *digith, void *arg)
{
	struct dsp_dtmf_det *d;

	if (!dp || !cfg || !cfg->update_ms || cfg->twist_normal_db < 0 ||
	    cfg->twist_reverse_db < 0)
		return EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return ENOMEM;
	d->cfg = *cfg;
	d->digith = digith;
	d->arg = arg;
	d->rx = dtmf_rx_init(NULL, NULL, NULL);
	if (!d->rx) {
		free(d);
		return ENOMEM;
	}
	dtmf_rx_set_realtime_callback(d->rx, det_cb, d);
	dtmf_rx_parms(d->rx, 0, cfg->twist_normal_db, cfg->twist_reverse_db,
		      cfg->threshold_dbm0);
	d->gate_pow = DBM0_POW *
		      pow(10.0, (cfg->threshold_dbm0 - GATE_MARGIN_DB) / 10.0);
	*dp = d;
	return 0;
}

void dsp_dtmf_det_free(struct dsp_dtmf_det *d)
{
	if (!d)
		return;
	dtmf_rx_free(d->rx);
	free(d);
}

static void add_pkt(struct dsp_dtmf_out *out, uint32_t ts, bool marker,
		    uint8_t event, bool end, uint8_t volume, uint32_t dur)
{
	struct dsp_dtmf_event ev = {
		.event = event, .end = end, .volume = volume,
		.duration = (uint16_t)(dur > 0xffff ? 0xffff : dur),
	};
	struct dsp_dtmf_pkt *p;

	if (out->npkt >= DSP_DTMF_MAX_PKTS)
		return;
	p = &out->pkt[out->npkt++];
	p->ts = ts;
	p->marker = marker;
	dsp_dtmf_event_encode(&ev, p->payload);
}

static void flush_end(struct dsp_dtmf_det *d, struct dsp_dtmf_out *out,
		      bool all)
{
	while (d->end_left && out->npkt < DSP_DTMF_MAX_PKTS) {
		out->pkt[out->npkt++] = d->end_pkt;
		d->end_left--;
		if (!all)
			break;
	}
}

static void end_event(struct dsp_dtmf_det *d, struct dsp_dtmf_out *out)
{
	add_pkt(out, d->ev_ts, false, d->event, true, d->volume, d->dur);
	d->end_pkt = out->pkt[out->npkt - 1];
	d->end_left = 2; /* two more copies on the next blocks (§2.5.1.4) */
	d->active = false;
	d->mute_left = d->cfg.hangover_ms * 8;
	if (d->digith)
		d->digith(d->arg, (char)dsp_dtmf_event_to_char(d->event), false,
			  d->total / 8, -(int)d->volume);
}

void dsp_dtmf_det_process(struct dsp_dtmf_det *d, int16_t *pcm, size_t n,
			  uint32_t ts, struct dsp_dtmf_out *out)
{
	bool was_active = d->active;
	/* a block too large to hold back is passed straight through */
	bool la = d->cfg.lookahead && n <= DSP_DTMF_MAX_BLOCK;

	out->npkt = 0;
	out->muted = false;
	d->cb_hit = 0;
	d->cb_end = false;
	/*
	 * A block whose power is far under the detection threshold cannot
	 * hold a digit (each tone is weaker than the whole): once the
	 * detector has seen a few of them with no digit on, the rest of
	 * the quiet run skips it (a silent party, the other side's turn).
	 * The first loud block feeds it again, after quiet as it expects.
	 */
	int64_t e = 0;

	for (size_t i = 0; i < n; i++)
		e += (int32_t)pcm[i] * pcm[i];
	if (n == 0 || (double)e >= d->gate_pow * (double)n || d->active) {
		d->quiet_run = 0;
		dtmf_rx(d->rx, pcm, (int)n);
	} else if (d->quiet_run < GATE_FEED) {
		d->quiet_run++;
		dtmf_rx(d->rx, pcm, (int)n);
	}
	if (!la) {
		d->hold_n = 0;
	} else {
		/* send the previous block now, keep this one for next time */
		int16_t tmp[DSP_DTMF_MAX_BLOCK];
		memcpy(tmp, pcm, n * sizeof(*pcm));
		if (d->hold_n == n)
			memcpy(pcm, d->hold, n * sizeof(*pcm));
		else
			memset(pcm, 0, n * sizeof(*pcm));
		memcpy(d->hold, tmp, n * sizeof(*pcm));
		d->hold_n = n;
	}

	/* redundant end packets of the previous digit go first */
	flush_end(d, out, d->cb_hit != 0);

	if (d->active) {
		d->dur += (uint32_t)n;
		d->total += (uint32_t)n;
		if (d->dur > 0xffff) {
			/* long event: close this segment at the maximum
			 * duration and continue in a new one (§2.5.1.3) */
			add_pkt(out, d->ev_ts, false, d->event, false, d->volume,
				0xffff);
			d->ev_ts += 0xffff;
			d->dur -= 0xffff;
			d->next_update = d->dur;
		}
		if (d->cb_end || (d->cb_hit && d->cb_hit != DTMF_CHARS[d->event])) {
			end_event(d, out);
		} else if (d->dur >= d->next_update) {
			add_pkt(out, d->ev_ts, false, d->event, false, d->volume,
				d->dur);
			d->next_update += d->cfg.update_ms * 8;
		}
	}

	if (d->cb_hit && !d->active) {
		int ev = dsp_dtmf_char_to_event((char)d->cb_hit);
		if (ev >= 0) {
			flush_end(d, out, true);
			d->active = true;
			d->event = (uint8_t)ev;
			d->volume = (uint8_t)(d->cb_level >= 0 ? 0 :
					      d->cb_level < -63 ? 63 : -d->cb_level);
			/* the event starts with this block: its duration
			 * runs to the end of the block */
			d->ev_ts = ts;
			d->dur = (uint32_t)n;
			d->total = (uint32_t)n;
			d->next_update = d->cfg.update_ms * 8;
			add_pkt(out, d->ev_ts, true, d->event, false, d->volume,
				d->dur);
			if (d->digith)
				d->digith(d->arg, (char)d->cb_hit, true, 0,
					  d->cb_level);
		}
	}

	if (d->active || was_active || d->mute_left) {
		memset(pcm, 0, n * sizeof(*pcm));
		out->muted = true;
		if (!d->active && !was_active)
			d->mute_left = d->mute_left > n ? d->mute_left - (uint32_t)n : 0;
	}
}

/* ---- generator ---------------------------------------------------------- */

enum gen_state {
	GEN_IDLE = 0,
	GEN_PLAY,
	GEN_GAP,
};

struct dsp_dtmf_gen {
	struct dsp_dtmf_gen_cfg cfg;
	dtmf_tx_state_t *tx;
	enum gen_state state;
	struct dsp_dtmf_gen_counters cnt;
	bool have_ev;
	uint32_t cur_ts;
	uint8_t cur_event;
	bool cur_ended;		/* end seen (or forced) for cur_ts */
	uint32_t seg_base;	/* duration before the current segment */
	uint32_t last_dur;	/* highest reported duration, samples */
	uint32_t target;	/* samples to play, 0 = until end/timeout */
	uint32_t played;
	uint32_t gap_left;
	/* an event that arrived during the gap */
	bool pending;
	uint8_t pend_event;
	int pend_level;
	uint32_t pend_target;
};

void dsp_dtmf_gen_cfg_default(struct dsp_dtmf_gen_cfg *cfg)
{
	cfg->timeout_ms = 200;
	cfg->min_on_ms = 40;
	cfg->gap_ms = 40;
}

int dsp_dtmf_gen_alloc(struct dsp_dtmf_gen **gp,
		       const struct dsp_dtmf_gen_cfg *cfg)
{
	struct dsp_dtmf_gen *g;

	if (!gp || !cfg)
		return EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return ENOMEM;
	g->cfg = *cfg;
	g->tx = dtmf_tx_init(NULL);
	if (!g->tx) {
		free(g);
		return ENOMEM;
	}
	*gp = g;
	return 0;
}

void dsp_dtmf_gen_free(struct dsp_dtmf_gen *g)
{
	if (!g)
		return;
	dtmf_tx_free(g->tx);
	free(g);
}

static int vol_to_level(unsigned volume)
{
	/* volume is the total power; two equal tones are 3 dB below it */
	int level = -(int)volume - 3;

	if (level > -4)
		level = -4;
	if (level < -30)
		level = -30;
	return level;
}

static void gen_start(struct dsp_dtmf_gen *g, uint8_t event, int level,
		      uint32_t target)
{
	char digit[2] = { (char)dsp_dtmf_event_to_char(event), 0 };

	/* re-initialise in place: a fresh tone, on long enough for any
	 * event (it is cut when the event ends) */
	dtmf_tx_init(g->tx);
	dtmf_tx_set_level(g->tx, level, 0);
	dtmf_tx_set_timing(g->tx, 30000, 0);
	dtmf_tx_put(g->tx, digit, 1);
	g->state = GEN_PLAY;
	g->played = 0;
	g->target = target;
	g->cnt.events++;
}

static uint32_t min_on(const struct dsp_dtmf_gen *g, uint32_t dur)
{
	uint32_t m = g->cfg.min_on_ms * 8;
	return dur < m ? m : dur;
}

static void begin(struct dsp_dtmf_gen *g, uint8_t event, int level,
		  uint32_t target)
{
	if (g->state == GEN_GAP) {
		g->pending = true;
		g->pend_event = event;
		g->pend_level = level;
		g->pend_target = target;
		return;
	}
	gen_start(g, event, level, target);
}

int dsp_dtmf_gen_event(struct dsp_dtmf_gen *g, uint32_t ts, bool marker,
		       const uint8_t *payload, size_t plen)
{
	struct dsp_dtmf_event ev;

	if (dsp_dtmf_event_decode(payload, plen, &ev)) {
		g->cnt.malformed++;
		return EBADMSG;
	}
	if (ev.event > 15) {
		g->cnt.unsupported++;
		return ENOTSUP;
	}

	if (g->have_ev && ts == g->cur_ts) {
		uint32_t dur = g->seg_base + ev.duration;
		if (g->cur_ended || dur < g->last_dur ||
		    (dur == g->last_dur && !ev.end)) {
			g->cnt.duplicates++;
			return EALREADY;
		}
		g->last_dur = dur;
		g->cnt.updates++;
		if (ev.end) {
			g->cur_ended = true;
			if (g->state == GEN_PLAY && g->target == 0)
				g->target = min_on(g, dur);
			else if (g->pending && g->pend_target == 0)
				g->pend_target = min_on(g, dur);
		}
		return 0;
	}

	if (g->have_ev && (int32_t)(ts - g->cur_ts) < 0) {
		/* a packet of an older event */
		g->cnt.duplicates++;
		return EALREADY;
	}

	if (g->have_ev && !marker && !g->cur_ended && ev.event == g->cur_event &&
	    g->state == GEN_PLAY && g->target == 0) {
		/* next segment of a long event (§2.5.1.3) */
		g->seg_base += ts - g->cur_ts;
		g->cur_ts = ts;
		g->last_dur = g->seg_base + ev.duration;
		g->cnt.updates++;
		if (ev.end) {
			g->cur_ended = true;
			g->target = min_on(g, g->last_dur);
		}
		return 0;
	}

	/* a new event */
	g->have_ev = true;
	g->cur_ts = ts;
	g->cur_event = ev.event;
	g->cur_ended = ev.end;
	g->seg_base = 0;
	g->last_dur = ev.duration;
	if (g->state == GEN_PLAY) {
		/* the previous one never ended cleanly */
		g->state = GEN_GAP;
		g->gap_left = g->cfg.gap_ms * 8;
	}
	begin(g, ev.event, vol_to_level(ev.volume),
	      ev.end ? min_on(g, ev.duration) : 0);
	return 0;
}

int dsp_dtmf_gen_digit(struct dsp_dtmf_gen *g, char digit,
		       unsigned duration_ms, int level_dbm0)
{
	int ev = dsp_dtmf_char_to_event(digit);

	if (ev < 0 || !duration_ms || duration_ms > 10000)
		return EINVAL;
	if (level_dbm0 > -4)
		level_dbm0 = -4;
	if (level_dbm0 < -30)
		level_dbm0 = -30;
	if (g->state == GEN_PLAY) {
		g->state = GEN_GAP;
		g->gap_left = g->cfg.gap_ms * 8;
	}
	/* not tied to any RTP event: later packets start afresh */
	g->have_ev = false;
	begin(g, (uint8_t)ev, level_dbm0, min_on(g, duration_ms * 8));
	return 0;
}

bool dsp_dtmf_gen_process(struct dsp_dtmf_gen *g, int16_t *pcm, size_t n)
{
	size_t off = 0;
	bool touched = false;

	/* bounded: every pass consumes samples or changes state forward */
	for (int pass = 0; off < n && pass < 8; pass++) {
		size_t k = n - off;

		if (g->state == GEN_IDLE) {
			break;
		} else if (g->state == GEN_PLAY) {
			if (g->target && g->target - g->played < k)
				k = g->target - g->played;
			if (!g->target && g->played >= g->last_dur +
							   g->cfg.timeout_ms * 8) {
				/* end packets lost: give up on this event */
				g->cnt.timeouts++;
				g->cur_ended = true;
				k = 0;
			}
			if (k) {
				int got = dtmf_tx(g->tx, pcm + off, (int)k);
				if (got < (int)k)
					memset(pcm + off + got, 0,
					       (k - (size_t)got) * sizeof(int16_t));
				g->played += (uint32_t)k;
				off += k;
				touched = true;
			}
			if (!k || (g->target && g->played >= g->target)) {
				g->state = GEN_GAP;
				g->gap_left = g->cfg.gap_ms * 8;
			}
		} else {
			if (g->gap_left < k)
				k = g->gap_left;
			memset(pcm + off, 0, k * sizeof(int16_t));
			off += k;
			g->gap_left -= (uint32_t)k;
			touched = true;
			if (!g->gap_left) {
				g->state = GEN_IDLE;
				if (g->pending) {
					g->pending = false;
					gen_start(g, g->pend_event, g->pend_level,
						  g->pend_target);
				}
			}
		}
	}
	return touched;
}

const struct dsp_dtmf_gen_counters *dsp_dtmf_gen_counters(const struct dsp_dtmf_gen *g)
{
	return &g->cnt;
}

/* ---- SIP INFO ------------------------------------------------------------ */

int dsp_dtmf_info_parse(const struct pl *body, char *digit,
			unsigned *duration_ms)
{
	const char *p, *end;
	int sig = -1;
	uint32_t dur = 250;

	if (!body || !pl_isset(body) || !digit || !duration_ms)
		return EINVAL;
	p = body->p;
	end = body->p + body->l;
	while (p < end) {
		struct pl line, key, val;
		const char *eq, *nl = memchr(p, '\n', (size_t)(end - p));
		line.p = p;
		line.l = (size_t)((nl ? nl : end) - p);
		p = nl ? nl + 1 : end;
		if (line.l && line.p[line.l - 1] == '\r')
			line.l--;
		eq = pl_chr(&line, '=');
		if (!eq)
			continue;
		key.p = line.p;
		key.l = (size_t)(eq - line.p);
		val.p = eq + 1;
		val.l = line.l - key.l - 1;
		pl_trim(&key);
		pl_trim(&val);
		if (!pl_strcasecmp(&key, "Signal")) {
			uint32_t v;
			if (val.l == 1 && dsp_dtmf_char_to_event(val.p[0]) >= 0)
				sig = dsp_dtmf_event_to_char(
					(unsigned)dsp_dtmf_char_to_event(val.p[0]));
			else if (!pl_u32(&val, &v) && v < 16)
				sig = dsp_dtmf_event_to_char(v);
			else
				return EINVAL;
		} else if (!pl_strcasecmp(&key, "Duration")) {
			if (pl_u32(&val, &dur) || dur == 0 || dur > 10000)
				return EINVAL;
		}
	}
	if (sig < 0)
		return EINVAL;
	*digit = (char)sig;
	*duration_ms = dur;
	return 0;
}

int dsp_dtmf_info_print(char *buf, size_t size, char digit,
			unsigned duration_ms, size_t *len)
{
	int ev = dsp_dtmf_char_to_event(digit), n;

	if (!buf || !len || ev < 0 || !duration_ms)
		return EINVAL;
	n = snprintf(buf, size, "Signal=%c\r\nDuration=%u\r\n",
		     dsp_dtmf_event_to_char((unsigned)ev), duration_ms);
	if (n < 0 || (size_t)n >= size)
		return ENOSPC;
	*len = (size_t)n;
	return 0;
}
