/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TDM spans (see span.h): E1/T1 timeslot layout (G.704 framing: E1 TS16,
 * T1 TS24 as the usual D-channel, ITU-T Q.921/Q.931 PRI and Q.703 MTP2
 * signalling channels), line alarms (G.775 red/yellow/blue), B-channel
 * state table (blocking as in Q.764 §2.8, restart as in Q.931 §5.5),
 * channel-group hunting and the dispatch between the upper layers and the
 * backend vtable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/log.h"
#include "base/pl.h"
#include "gw/span.h"
#include "gw/tdm_virt.h"
#ifdef HAVE_DAHDI
#include "gw/tdm_dahdi.h"
#endif

#define MOD "span"

struct gw_chan {
	enum gw_chan_state state;
	unsigned blocked;       /* enum gw_chan_block bits */
	uint64_t since;         /* realtime ms of last state change */
	uint64_t idle_ns;       /* CLOCK_MONOTONIC ns of last return to idle */
	void *priv;             /* owner's pointer, see gw_span_chan_priv() */
};

/* A group member; groups keep an array of these. */
struct gw_member {
	struct gw_span *span;
	unsigned ts;
};

struct gw_span_group {
	char name[32];
	enum gw_hunt hunt;
	struct gw_member *mv;
	unsigned n, cap;
	unsigned rr_next;       /* round robin: member index to try first */
};

/* Which groups reference a span (so freeing a span can unlink itself). */
struct gw_grp_ref {
	struct gw_span_group *grp;
	struct gw_grp_ref *next;
};

struct gw_span {
	struct gw_span_cfg cfg;
	unsigned nts;                    /* 31 or 24 */
	unsigned nb;                     /* B-channel count */
	uint8_t bts[GW_SPAN_MAX_TS];     /* B index -> timeslot */
	int8_t bidx[GW_SPAN_MAX_TS + 1]; /* timeslot -> B index or -1 */
	struct gw_chan ch[GW_SPAN_MAX_TS + 1]; /* by timeslot */

	bool up;
	unsigned alarms;
	uint64_t up_since, alarm_since;
	uint64_t last_idle_ns;

	struct gw_span_handlers h;
	void *harg;

	void *be;                       /* backend instance, control side */
	bool started;
	struct gw_span_stats st;
	struct gw_grp_ref *grps;

	/* Media-thread side: written only by the media thread. */
	struct {
		bool attached;
		gw_span_tick_h *h;
		void *arg;
		struct gw_span_audio_stats st;
	} audio;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * Order stamp for least-recently-used hunting. Monotonic time rather than
 * a counter so that channels of different spans compare without shared
 * state; strictly increasing within a span.
 */
static uint64_t idle_stamp(struct gw_span *span)
{
	struct timespec ts;
	uint64_t t;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (t <= span->last_idle_ns)
		t = span->last_idle_ns + 1;
	span->last_idle_ns = t;
	return t;
}

/* ---- configuration ---- */

unsigned gw_span_type_nts(enum gw_span_type type)
{
	switch (type) {
	case GW_SPAN_E1: return 31;
	case GW_SPAN_T1: return 24;
	}
	return 0;
}

const char *gw_span_type_name(enum gw_span_type type)
{
	switch (type) {
	case GW_SPAN_E1: return "E1";
	case GW_SPAN_T1: return "T1";
	}
	return "?";
}

const char *gw_span_law_name(enum gw_span_law law)
{
	switch (law) {
	case GW_LAW_ALAW: return "alaw";
	case GW_LAW_ULAW: return "ulaw";
	}
	return "?";
}

uint8_t gw_span_law_idle(enum gw_span_law law)
{
	return law == GW_LAW_ULAW ? 0xff : 0xd5;
}

void gw_span_cfg_default(struct gw_span_cfg *cfg, enum gw_span_type type,
			 unsigned id)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->id = id;
	cfg->type = type;
	if (type == GW_SPAN_T1) {
		cfg->law = GW_LAW_ULAW;
		cfg->bmask = 0x00fffffeu & ~(1u << 24);
		cfg->dchan = 24;
	} else {
		cfg->law = GW_LAW_ALAW;
		cfg->bmask = 0xfffffffeu & ~(1u << 16);
		cfg->dchan = 16;
	}
}

int gw_span_cfg_check(const struct gw_span_cfg *cfg)
{
	unsigned nts = gw_span_type_nts(cfg->type);
	uint32_t all;

	if (!nts) {
		LOGE(MOD, "span %u: unknown span type %d", cfg->id, cfg->type);
		return EINVAL;
	}
	all = (nts == 31) ? 0xfffffffeu : (((1u << (nts + 1)) - 1) & ~1u);
	if (cfg->id == 0) {
		LOGE(MOD, "span id 0: span numbers start at 1");
		return EINVAL;
	}
	if (cfg->law != GW_LAW_ALAW && cfg->law != GW_LAW_ULAW) {
		LOGE(MOD, "span %u: unknown law %d", cfg->id, cfg->law);
		return EINVAL;
	}
	if (!cfg->bmask || (cfg->bmask & ~all)) {
		LOGE(MOD, "span %u: B-channel mask 0x%08x outside timeslots "
		     "1-%u", cfg->id, cfg->bmask, nts);
		return EINVAL;
	}
	if (cfg->dchan > nts) {
		LOGE(MOD, "span %u: D-channel timeslot %u beyond %u",
		     cfg->id, cfg->dchan, nts);
		return EINVAL;
	}
	if (cfg->dchan && (cfg->bmask & (1u << cfg->dchan))) {
		LOGE(MOD, "span %u: timeslot %u is both B- and D-channel",
		     cfg->id, cfg->dchan);
		return EINVAL;
	}
	return 0;
}

int gw_span_ts_parse(const char *s, enum gw_span_type type, uint32_t *mask)
{
	unsigned nts = gw_span_type_nts(type);
	uint32_t m = 0;
	struct pl rest, item;

	if (!s || !mask || !nts)
		return EINVAL;
	rest = pl_from_str(s);
	for (;;) {
		const char *comma = pl_chr(&rest, ',');
		const char *dash;
		struct pl a, b;
		uint32_t lo, hi;

		item.p = rest.p;
		item.l = comma ? (size_t)(comma - rest.p) : rest.l;
		pl_trim(&item);
		dash = pl_chr(&item, '-');
		a = item;
		b = item;
		if (dash) {
			a.l = (size_t)(dash - item.p);
			b.p = dash + 1;
			b.l = item.l - a.l - 1;
			pl_trim(&a);
			pl_trim(&b);
		}
		if (pl_u32(&a, &lo) || pl_u32(&b, &hi) || lo < 1 || hi > nts ||
		    lo > hi)
			return EINVAL;
		for (uint32_t t = lo; t <= hi; t++)
			m |= 1u << t;
		if (!comma)
			break;
		rest.l -= (size_t)(comma - rest.p) + 1;
		rest.p = comma + 1;
	}
	*mask = m;
	return 0;
}

const char *gw_span_ts_str(uint32_t mask, char *buf, size_t sz)
{
	size_t off = 0;

	if (!sz)
		return buf;
	buf[0] = '\0';
	for (unsigned t = 1; t <= GW_SPAN_MAX_TS; t++) {
		unsigned e = t;
		int n;

		if (!(mask & (1u << t)))
			continue;
		while (e < GW_SPAN_MAX_TS && (mask & (1u << (e + 1))))
			e++;
		if (e > t)
			n = snprintf(buf + off, sz - off, "%s%u-%u",
				     off ? "," : "", t, e);
		else
			n = snprintf(buf + off, sz - off, "%s%u",
				     off ? "," : "", t);
		if (n < 0 || (size_t)n >= sz - off) {
			buf[off] = '\0';   /* whole items only */
			break;
		}
		off += (size_t)n;
		t = e;
	}
	return buf;
}

/* ---- B-channel state table ---- */

/*
 * Result of an event in a state. NEXT_IDLE_OR_BLOCKED resolves to BLOCKED
 * when any block bit is set after the event, else IDLE; SAME keeps the
 * state (the event only changes block bits).
 */
enum {
	T_ILLEGAL = 0,
	T_SAME,
	T_IDLE_OR_BLOCKED,
	T_RESERVED,
	T_INUSE,
	T_BLOCKED,
	T_RESTARTING,
};

static const uint8_t chan_table[GW_CHAN_STATE_COUNT][GW_CHEV_COUNT] = {
	[GW_CHAN_IDLE] = {
		[GW_CHEV_RESERVE] = T_RESERVED,
		[GW_CHEV_SEIZE] = T_INUSE,
		[GW_CHEV_BLOCK_LOCAL] = T_BLOCKED,
		[GW_CHEV_BLOCK_REMOTE] = T_BLOCKED,
		/* unblocking an unblocked channel is harmless (ISUP UBL on
		 * an idle circuit is answered with UBA) */
		[GW_CHEV_UNBLOCK_LOCAL] = T_SAME,
		[GW_CHEV_UNBLOCK_REMOTE] = T_SAME,
		[GW_CHEV_RESTART] = T_RESTARTING,
	},
	[GW_CHAN_RESERVED] = {
		[GW_CHEV_SEIZE] = T_INUSE,
		[GW_CHEV_RELEASE] = T_IDLE_OR_BLOCKED,
		[GW_CHEV_BLOCK_LOCAL] = T_SAME,
		[GW_CHEV_BLOCK_REMOTE] = T_SAME,
		[GW_CHEV_UNBLOCK_LOCAL] = T_SAME,
		[GW_CHEV_UNBLOCK_REMOTE] = T_SAME,
		[GW_CHEV_RESTART] = T_RESTARTING,
	},
	[GW_CHAN_INUSE] = {
		[GW_CHEV_RELEASE] = T_IDLE_OR_BLOCKED,
		[GW_CHEV_BLOCK_LOCAL] = T_SAME,
		[GW_CHEV_BLOCK_REMOTE] = T_SAME,
		[GW_CHEV_UNBLOCK_LOCAL] = T_SAME,
		[GW_CHEV_UNBLOCK_REMOTE] = T_SAME,
		[GW_CHEV_RESTART] = T_RESTARTING,
	},
	[GW_CHAN_BLOCKED] = {
		[GW_CHEV_BLOCK_LOCAL] = T_SAME,
		[GW_CHEV_BLOCK_REMOTE] = T_SAME,
		[GW_CHEV_UNBLOCK_LOCAL] = T_IDLE_OR_BLOCKED,
		[GW_CHEV_UNBLOCK_REMOTE] = T_IDLE_OR_BLOCKED,
		[GW_CHEV_RESTART] = T_RESTARTING,
	},
	[GW_CHAN_RESTARTING] = {
		[GW_CHEV_BLOCK_LOCAL] = T_SAME,
		[GW_CHEV_BLOCK_REMOTE] = T_SAME,
		[GW_CHEV_UNBLOCK_LOCAL] = T_SAME,
		[GW_CHEV_UNBLOCK_REMOTE] = T_SAME,
		[GW_CHEV_RESTART] = T_SAME,
		[GW_CHEV_RESTART_DONE] = T_IDLE_OR_BLOCKED,
	},
};

static unsigned block_bits_after(unsigned blocked, enum gw_chan_event ev)
{
	switch (ev) {
	case GW_CHEV_BLOCK_LOCAL: return blocked | GW_BLOCK_LOCAL;
	case GW_CHEV_UNBLOCK_LOCAL: return blocked & ~GW_BLOCK_LOCAL;
	case GW_CHEV_BLOCK_REMOTE: return blocked | GW_BLOCK_REMOTE;
	case GW_CHEV_UNBLOCK_REMOTE: return blocked & ~GW_BLOCK_REMOTE;
	default: return blocked;
	}
}

int gw_chan_next(enum gw_chan_state st, unsigned blocked,
		 enum gw_chan_event ev, enum gw_chan_state *next)
{
	unsigned nb;
	enum gw_chan_state to;

	if ((unsigned)st >= GW_CHAN_STATE_COUNT ||
	    (unsigned)ev >= GW_CHEV_COUNT)
		return EINVAL;
	nb = block_bits_after(blocked, ev);
	switch (chan_table[st][ev]) {
	case T_SAME: to = st; break;
	case T_IDLE_OR_BLOCKED:
		to = nb ? GW_CHAN_BLOCKED : GW_CHAN_IDLE;
		break;
	case T_RESERVED: to = GW_CHAN_RESERVED; break;
	case T_INUSE: to = GW_CHAN_INUSE; break;
	case T_BLOCKED: to = GW_CHAN_BLOCKED; break;
	case T_RESTARTING: to = GW_CHAN_RESTARTING; break;
	default: return EPERM;
	}
	*next = to;
	return 0;
}

const char *gw_chan_state_name(enum gw_chan_state st)
{
	static const char *const names[] = {
		[GW_CHAN_IDLE] = "idle",
		[GW_CHAN_RESERVED] = "reserved",
		[GW_CHAN_INUSE] = "inuse",
		[GW_CHAN_BLOCKED] = "blocked",
		[GW_CHAN_RESTARTING] = "restarting",
	};
	if ((unsigned)st >= GW_CHAN_STATE_COUNT)
		return "?";
	return names[st];
}

const char *gw_chan_event_name(enum gw_chan_event ev)
{
	static const char *const names[] = {
		[GW_CHEV_RESERVE] = "reserve",
		[GW_CHEV_SEIZE] = "seize",
		[GW_CHEV_RELEASE] = "release",
		[GW_CHEV_BLOCK_LOCAL] = "block-local",
		[GW_CHEV_UNBLOCK_LOCAL] = "unblock-local",
		[GW_CHEV_BLOCK_REMOTE] = "block-remote",
		[GW_CHEV_UNBLOCK_REMOTE] = "unblock-remote",
		[GW_CHEV_RESTART] = "restart",
		[GW_CHEV_RESTART_DONE] = "restart-done",
	};
	if ((unsigned)ev >= GW_CHEV_COUNT)
		return "?";
	return names[ev];
}

/* ---- span object ---- */

int gw_span_alloc(struct gw_span **spanp, const struct gw_span_cfg *cfg)
{
	struct gw_span *span;
	int err;

	if (!spanp || !cfg)
		return EINVAL;
	err = gw_span_cfg_check(cfg);
	if (err)
		return err;
	span = calloc(1, sizeof(*span));
	if (!span)
		return ENOMEM;
	span->cfg = *cfg;
	span->cfg.name[sizeof(span->cfg.name) - 1] = '\0';
	span->cfg.dev[sizeof(span->cfg.dev) - 1] = '\0';
	if (!span->cfg.name[0])
		snprintf(span->cfg.name, sizeof(span->cfg.name), "span%u",
			 cfg->id);
	span->nts = gw_span_type_nts(cfg->type);
	for (unsigned ts = 0; ts <= GW_SPAN_MAX_TS; ts++)
		span->bidx[ts] = -1;
	for (unsigned ts = 1; ts <= span->nts; ts++) {
		if (!(cfg->bmask & (1u << ts)))
			continue;
		span->bidx[ts] = (int8_t)span->nb;
		span->bts[span->nb++] = (uint8_t)ts;
	}
	span->up = false;
	span->alarms = GW_ALARM_RED;
	span->up_since = span->alarm_since = now_ms();
	for (unsigned ts = 0; ts <= GW_SPAN_MAX_TS; ts++)
		span->ch[ts].since = span->up_since;
	*spanp = span;
	return 0;
}

static void group_remove_span(struct gw_span_group *grp,
			      const struct gw_span *span);

void gw_span_free(struct gw_span *span)
{
	if (!span)
		return;
	gw_span_stop(span);
	while (span->grps) {
		struct gw_grp_ref *r = span->grps;
		span->grps = r->next;
		group_remove_span(r->grp, span);
		free(r);
	}
	free(span);
}

void gw_span_set_handlers(struct gw_span *span,
			  const struct gw_span_handlers *h, void *arg)
{
	if (h)
		span->h = *h;
	else
		memset(&span->h, 0, sizeof(span->h));
	span->harg = arg;
}

int gw_span_start(struct gw_span *span, uv_loop_t *ctl_loop)
{
	int err;

	if (!span || !ctl_loop || !span->cfg.ops || !span->cfg.ops->open)
		return EINVAL;
	if (span->started)
		return EALREADY;
	err = span->cfg.ops->open(span, ctl_loop, &span->be);
	if (err) {
		LOGE(MOD, "%s: %s backend failed to open: %s", span->cfg.name,
		     span->cfg.ops->name, strerror(err));
		return err;
	}
	span->started = true;
	LOGI(MOD, "%s: started (%s %s, %u B-channels, D=%u, backend %s)",
	     span->cfg.name, gw_span_type_name(span->cfg.type),
	     gw_span_law_name(span->cfg.law), span->nb, span->cfg.dchan,
	     span->cfg.ops->name);
	return 0;
}

void gw_span_stop(struct gw_span *span)
{
	if (!span || !span->started)
		return;
	if (span->audio.attached)
		LOGE(MOD, "%s: stopped with audio still attached: detach it on "
		     "its media thread first", span->cfg.name);
	if (span->cfg.ops->close)
		span->cfg.ops->close(span->be);
	span->be = NULL;
	span->started = false;
	/* no handler call: the owner stopped us on purpose */
	if (span->up || span->alarms != GW_ALARM_RED) {
		span->up = false;
		span->alarms = GW_ALARM_RED;
		span->up_since = span->alarm_since = now_ms();
	}
}

int gw_span_hdlc_send(struct gw_span *span, const uint8_t *frame,
		      size_t len)
{
	int err;

	if (!span || !frame || !len || len > GW_SPAN_HDLC_MAX ||
	    !span->cfg.dchan)
		return EINVAL;
	if (!span->started || !span->up)
		return ENOTCONN;
	err = span->cfg.ops->hdlc_send(span->be, frame, len);
	if (err)
		span->st.hdlc_tx_err++;
	else
		span->st.hdlc_tx++;
	return err;
}

const struct gw_span_cfg *gw_span_cfg(const struct gw_span *span)
{
	return &span->cfg;
}

unsigned gw_span_id(const struct gw_span *span)
{
	return span->cfg.id;
}

const char *gw_span_name(const struct gw_span *span)
{
	return span->cfg.name;
}

bool gw_span_is_up(const struct gw_span *span)
{
	return span->up;
}

unsigned gw_span_alarms(const struct gw_span *span)
{
	return span->alarms;
}

bool gw_span_usable(const struct gw_span *span)
{
	return span->up && !span->alarms;
}

uint64_t gw_span_up_since(const struct gw_span *span)
{
	return span->up_since;
}

uint64_t gw_span_alarm_since(const struct gw_span *span)
{
	return span->alarm_since;
}

const char *gw_span_alarm_str(unsigned alarms, char *buf, size_t sz)
{
	static const char *const names[] = { "RED", "YELLOW", "BLUE",
					     "LOOPBACK" };
	size_t off = 0;

	if (!sz)
		return buf;
	buf[0] = '\0';
	if (!(alarms & GW_ALARM_ALL)) {
		snprintf(buf, sz, "OK");
		return buf;
	}
	for (unsigned i = 0; i < 4; i++) {
		int n;
		if (!(alarms & (1u << i)))
			continue;
		n = snprintf(buf + off, sz - off, "%s%s", off ? "|" : "",
			     names[i]);
		if (n < 0 || (size_t)n >= sz - off) {
			buf[off] = '\0';   /* whole names only */
			break;
		}
		off += (size_t)n;
	}
	return buf;
}

void gw_span_stats(const struct gw_span *span, struct gw_span_stats *st)
{
	*st = span->st;
}

unsigned gw_span_bchan_count(const struct gw_span *span)
{
	return span->nb;
}

unsigned gw_span_bchan_ts(const struct gw_span *span, unsigned idx)
{
	return idx < span->nb ? span->bts[idx] : 0;
}

int gw_span_bchan_idx(const struct gw_span *span, unsigned ts,
		      unsigned *idx)
{
	if (ts > GW_SPAN_MAX_TS || span->bidx[ts] < 0)
		return ENOENT;
	*idx = (unsigned)span->bidx[ts];
	return 0;
}

static bool is_bchan(const struct gw_span *span, unsigned ts)
{
	return ts <= GW_SPAN_MAX_TS && span->bidx[ts] >= 0;
}

int gw_span_chan_event(struct gw_span *span, unsigned ts,
		       enum gw_chan_event ev)
{
	struct gw_chan *ch;
	enum gw_chan_state next;
	int err;

	if (!is_bchan(span, ts))
		return ENOENT;
	ch = &span->ch[ts];
	err = gw_chan_next(ch->state, ch->blocked, ev, &next);
	if (err) {
		span->st.illegal_transitions++;
		LOGW(MOD, "%s/%u: event %s refused in state %s",
		     span->cfg.name, ts, gw_chan_event_name(ev),
		     gw_chan_state_name(ch->state));
		return EPERM;
	}
	ch->blocked = block_bits_after(ch->blocked, ev);
	if (ev == GW_CHEV_RESTART_DONE && ch->blocked)
		LOGD(MOD, "%s/%u: restarted, still blocked", span->cfg.name,
		     ts);
	if (next != ch->state) {
		LOGD(MOD, "%s/%u: %s -> %s (%s)", span->cfg.name, ts,
		     gw_chan_state_name(ch->state), gw_chan_state_name(next),
		     gw_chan_event_name(ev));
		if (next == GW_CHAN_IDLE)
			ch->idle_ns = idle_stamp(span);
		ch->state = next;
		ch->since = now_ms();
	}
	return 0;
}

enum gw_chan_state gw_span_chan_state(const struct gw_span *span,
				      unsigned ts)
{
	if (!is_bchan(span, ts))
		return GW_CHAN_STATE_COUNT;
	return span->ch[ts].state;
}

unsigned gw_span_chan_blocked(const struct gw_span *span, unsigned ts)
{
	if (!is_bchan(span, ts))
		return 0;
	return span->ch[ts].blocked;
}

int gw_span_chan_set_priv(struct gw_span *span, unsigned ts, void *priv)
{
	if (!is_bchan(span, ts))
		return ENOENT;
	span->ch[ts].priv = priv;
	return 0;
}

void *gw_span_chan_priv(const struct gw_span *span, unsigned ts)
{
	return is_bchan(span, ts) ? span->ch[ts].priv : NULL;
}

uint64_t gw_span_chan_since(const struct gw_span *span, unsigned ts)
{
	if (!is_bchan(span, ts))
		return 0;
	return span->ch[ts].since;
}

/* ---- backend -> span ---- */

void gw_span_backend_hdlc_rx(struct gw_span *span, const uint8_t *frame,
			     size_t len)
{
	if (!len || len > GW_SPAN_HDLC_MAX) {
		gw_span_backend_hdlc_err(span, GW_HDLC_TOOLONG);
		return;
	}
	span->st.hdlc_rx++;
	if (span->h.hdlc_h)
		span->h.hdlc_h(span, frame, len, span->harg);
}

void gw_span_backend_hdlc_err(struct gw_span *span,
			      enum gw_span_hdlc_err err)
{
	span->st.hdlc_rx_err++;
	LOGD(MOD, "%s: HDLC receive error %d", span->cfg.name, err);
	if (span->h.hdlc_err_h)
		span->h.hdlc_err_h(span, err, span->harg);
}

void gw_span_backend_line(struct gw_span *span, bool up, unsigned alarms)
{
	char a[64], b[64];
	uint64_t t = now_ms();
	bool changed = false;

	alarms &= GW_ALARM_ALL;
	if (!up)
		alarms |= GW_ALARM_RED;
	if (up != span->up) {
		span->up = up;
		span->up_since = t;
		changed = true;
	}
	if (alarms != span->alarms) {
		LOGN(MOD, "%s: alarms %s -> %s", span->cfg.name,
		     gw_span_alarm_str(span->alarms, a, sizeof(a)),
		     gw_span_alarm_str(alarms, b, sizeof(b)));
		span->alarms = alarms;
		span->alarm_since = t;
		span->st.alarm_changes++;
		changed = true;
	}
	if (changed && span->h.alarm_h)
		span->h.alarm_h(span, span->alarms, span->up, span->harg);
}

/* ---- audio (media thread) ---- */

int gw_span_audio_attach(struct gw_span *span, uv_loop_t *media_loop,
			 gw_span_tick_h *tickh, void *arg)
{
	int err;

	if (!span || !media_loop || !tickh || !span->cfg.ops ||
	    !span->cfg.ops->audio_attach)
		return EINVAL;
	if (span->audio.attached)
		return EALREADY;
	/* The backend pointer is written by the control thread before the
	 * attach request is handed to us and not changed until detach. */
	if (!span->be)
		return ENOTCONN;
	span->audio.h = tickh;
	span->audio.arg = arg;
	err = span->cfg.ops->audio_attach(span->be, media_loop);
	if (err)
		return err;
	span->audio.attached = true;
	return 0;
}

void gw_span_audio_detach(struct gw_span *span)
{
	if (!span || !span->audio.attached)
		return;
	span->cfg.ops->audio_detach(span->be);
	span->audio.attached = false;
	span->audio.h = NULL;
}

void gw_span_audio_stats(const struct gw_span *span,
			 struct gw_span_audio_stats *st)
{
	*st = span->audio.st;
}

void *gw_span_backend(const struct gw_span *span)
{
	return span->be;
}

void gw_span_backend_tick(struct gw_span *span, const uint8_t *rx,
			  uint8_t *tx, uint32_t seq, uint32_t gap)
{
	struct gw_span_tick t = { rx, tx, span->nb, seq };

	memset(tx, gw_span_law_idle(span->cfg.law),
	       (size_t)span->nb * GW_SPAN_BLOCK);
	span->audio.st.gaps += gap;
	span->audio.st.ticks++;
	if (span->audio.h)
		span->audio.h(span, &t, span->audio.arg);
}

void gw_span_backend_audio_err(struct gw_span *span)
{
	span->audio.st.errors++;
}

/* ---- groups ---- */

int gw_hunt_parse(const char *s, enum gw_hunt *hunt)
{
	static const struct {
		const char *name;
		enum gw_hunt h;
	} tab[] = {
		{ "ascending", GW_HUNT_ASC }, { "asc", GW_HUNT_ASC },
		{ "descending", GW_HUNT_DESC }, { "desc", GW_HUNT_DESC },
		{ "roundrobin", GW_HUNT_RR }, { "round-robin", GW_HUNT_RR },
		{ "rr", GW_HUNT_RR },
		{ "lru", GW_HUNT_LRU }, { "least-recently-used", GW_HUNT_LRU },
	};
	if (!s)
		return EINVAL;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (!strcasecmp(s, tab[i].name)) {
			*hunt = tab[i].h;
			return 0;
		}
	}
	return EINVAL;
}

const char *gw_hunt_name(enum gw_hunt hunt)
{
	switch (hunt) {
	case GW_HUNT_ASC: return "ascending";
	case GW_HUNT_DESC: return "descending";
	case GW_HUNT_RR: return "roundrobin";
	case GW_HUNT_LRU: return "lru";
	}
	return "?";
}

int gw_span_group_alloc(struct gw_span_group **grpp, const char *name,
			enum gw_hunt hunt)
{
	struct gw_span_group *grp;

	if (!grpp || (unsigned)hunt > GW_HUNT_LRU)
		return EINVAL;
	grp = calloc(1, sizeof(*grp));
	if (!grp)
		return ENOMEM;
	snprintf(grp->name, sizeof(grp->name), "%s", name ? name : "");
	grp->hunt = hunt;
	*grpp = grp;
	return 0;
}

static void span_unref_group(struct gw_span *span,
			     const struct gw_span_group *grp)
{
	struct gw_grp_ref **pp = &span->grps;

	while (*pp) {
		if ((*pp)->grp == grp) {
			struct gw_grp_ref *r = *pp;
			*pp = r->next;
			free(r);
			return;
		}
		pp = &(*pp)->next;
	}
}

void gw_span_group_free(struct gw_span_group *grp)
{
	if (!grp)
		return;
	/* drop each distinct span's back reference once */
	for (unsigned i = 0; i < grp->n; i++) {
		struct gw_span *span = grp->mv[i].span;
		bool seen = false;
		for (unsigned j = 0; j < i && !seen; j++)
			seen = grp->mv[j].span == span;
		if (!seen)
			span_unref_group(span, grp);
	}
	free(grp->mv);
	free(grp);
}

static void group_remove_span(struct gw_span_group *grp,
			      const struct gw_span *span)
{
	unsigned w = 0;

	for (unsigned i = 0; i < grp->n; i++) {
		if (grp->mv[i].span == span) {
			if (i < grp->rr_next && grp->rr_next)
				grp->rr_next--;
			continue;
		}
		grp->mv[w++] = grp->mv[i];
	}
	grp->n = w;
	if (grp->rr_next >= grp->n)
		grp->rr_next = 0;
}

static int group_add_one(struct gw_span_group *grp, struct gw_span *span,
			 unsigned ts)
{
	bool span_known = false;

	for (unsigned i = 0; i < grp->n; i++) {
		if (grp->mv[i].span != span)
			continue;
		span_known = true;
		if (grp->mv[i].ts == ts)
			return EEXIST;
	}
	if (grp->n == grp->cap) {
		unsigned cap = grp->cap ? grp->cap * 2 : 32;
		struct gw_member *mv = realloc(grp->mv, cap * sizeof(*mv));
		if (!mv)
			return ENOMEM;
		grp->mv = mv;
		grp->cap = cap;
	}
	if (!span_known) {
		struct gw_grp_ref *r = calloc(1, sizeof(*r));
		if (!r)
			return ENOMEM;
		r->grp = grp;
		r->next = span->grps;
		span->grps = r;
	}
	grp->mv[grp->n].span = span;
	grp->mv[grp->n].ts = ts;
	grp->n++;
	return 0;
}

int gw_span_group_add(struct gw_span_group *grp, struct gw_span *span,
		      unsigned ts)
{
	int err = 0;

	if (!grp || !span)
		return EINVAL;
	if (ts) {
		if (!is_bchan(span, ts))
			return ENOENT;
		return group_add_one(grp, span, ts);
	}
	for (unsigned i = 0; i < span->nb; i++) {
		err = group_add_one(grp, span, span->bts[i]);
		if (err == EEXIST)
			err = 0;
		if (err)
			break;
	}
	return err;
}

static bool member_free(const struct gw_member *m)
{
	return gw_span_usable(m->span) &&
	       m->span->ch[m->ts].state == GW_CHAN_IDLE;
}

int gw_span_group_hunt(struct gw_span_group *grp, struct gw_span **spanp,
		       unsigned *tsp)
{
	unsigned pick = 0;
	bool found = false;

	if (!grp || !spanp || !tsp)
		return EINVAL;
	switch (grp->hunt) {
	case GW_HUNT_ASC:
		for (unsigned i = 0; i < grp->n && !found; i++) {
			if (member_free(&grp->mv[i])) {
				pick = i;
				found = true;
			}
		}
		break;
	case GW_HUNT_DESC:
		for (unsigned i = grp->n; i > 0 && !found; i--) {
			if (member_free(&grp->mv[i - 1])) {
				pick = i - 1;
				found = true;
			}
		}
		break;
	case GW_HUNT_RR:
		for (unsigned k = 0; k < grp->n && !found; k++) {
			unsigned i = (grp->rr_next + k) % grp->n;
			if (member_free(&grp->mv[i])) {
				pick = i;
				found = true;
			}
		}
		if (found)
			grp->rr_next = (pick + 1) % grp->n;
		break;
	case GW_HUNT_LRU: {
		uint64_t best = 0;
		for (unsigned i = 0; i < grp->n; i++) {
			const struct gw_member *m = &grp->mv[i];
			uint64_t seq;
			if (!member_free(m))
				continue;
			/* never-released channels (seq 0) count as oldest;
			 * ties keep the lowest member */
			seq = m->span->ch[m->ts].idle_ns;
			if (!found || seq < best) {
				best = seq;
				pick = i;
				found = true;
			}
		}
		break;
	}
	}
	if (!found)
		return EBUSY;
	if (gw_span_chan_event(grp->mv[pick].span, grp->mv[pick].ts,
			       GW_CHEV_RESERVE))
		return EBUSY;
	*spanp = grp->mv[pick].span;
	*tsp = grp->mv[pick].ts;
	return 0;
}

unsigned gw_span_group_size(const struct gw_span_group *grp)
{
	return grp->n;
}

unsigned gw_span_group_available(const struct gw_span_group *grp)
{
	unsigned n = 0;

	for (unsigned i = 0; i < grp->n; i++)
		n += member_free(&grp->mv[i]);
	return n;
}

const char *gw_span_group_name(const struct gw_span_group *grp)
{
	return grp->name;
}

/* ---- backend registry ---- */


const struct gw_tdm_ops *gw_tdm_ops_find(const char *name)
{
	if (!name)
		return NULL;
	if (!strcmp(name, "virt"))
		return &gw_tdm_virt_ops;
#ifdef GW_TDM_DAHDI_H
	if (!strcmp(name, "dahdi"))
		return &gw_tdm_dahdi_ops;
#endif
	return NULL;
}
