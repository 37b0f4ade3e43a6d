/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gateway's media side (see media.h): [media] configuration, the
 * RTP port pool, SDP offer/answer (RFC 3264, SDES RFC 4568) over
 * sip/sdp, and the media-thread half of every call's media channel
 * (dsp/chan) ticked by its span's clock.
 *
 * Two objects per call. struct gw_media_chan belongs to the control
 * thread: negotiation state, port, the B-channel it is joined to, the
 * latest stats snapshot. struct mchan belongs to one media thread (the
 * thread of the span it is joined to): the dsp_chan, the local ringback
 * tone, the span slot. They talk only by messages: struct mmsg towards
 * the media thread (dsp_engine_post), struct cmsg back (a dsp_mq on the
 * control loop). An mchan is created at the first join; moving to a span
 * on another media thread creates a successor mchan there, which binds
 * the (same) RTP port only once its predecessor has closed the sockets.
 * The last mchan of a closed channel returns the port to the pool; the
 * control object lives until then so messages in flight never point at
 * freed memory, and events for a closed channel are dropped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/log.h"
#include "dsp/dtmf.h"
#include "dsp/engine.h"
#include "dsp/mq.h"
#include "dsp/tone.h"
#include "gw/conf.h"
#include "gw/ctl.h"
#include "gw/media.h"
#include "gw/span.h"
#include "gw/spans.h"
#include "sip/sdp.h"

#define MOD "media"
#define STATS_MS 1000
/* Bounded waits of gw_media_free for the media threads. */
#define FREE_WAIT_STEPS 5000
#define FREE_WAIT_US 1000

struct mchan;

/* One span's audio. ctl_joined is the control thread's view (EBUSY
 * checks), joined the media thread's (what the tick runs). */
struct mspan {
	struct gw_media *m;
	struct gw_span *span;
	unsigned number;
	unsigned thread;
	unsigned nchan;
	enum dsp_law law;
	uint32_t ecmask;
	int attach_err;
	bool attached;
	struct gw_media_chan **ctl_joined;
	struct mchan **joined;
	struct dsp_msg msg;
	/* media thread: the thread's tick budget, this span's mark in it,
	 * the slot ticked first (rotates to the first lean one) */
	struct dsp_budget *bud;
	uint64_t bud_src;
	unsigned first;
};

/* Counters carried over when a dsp_chan is replaced or moves. */
struct totals {
	uint64_t rtp_tx, rtp_rx, rx_dropped, digits_rx, digits_tx, lean;
	uint64_t rtcp_tx, rtcp_rx;
	int64_t lost;
};

struct gw_media {
	struct gw_media_cfg cfg;
	struct dsp_engine *e;
	uv_loop_t *ctl;
	struct dsp_mq *mq;
	uv_sem_t sem;
	bool sem_ok;

	struct sdp_codec codecv[4];
	enum sdp_srtp_suite suitev[3];
	struct sdp_caps caps;
	struct sdp_conn addr;
	struct sockaddr_storage local;
	const struct dsp_tone_country *tones;
	char cname[64];

	struct mspan *spv;
	size_t nspan;

	/* port pool: pair i is RTP port pair_base + 2 i */
	uint8_t *used;
	unsigned npairs, nused, cursor;
	uint16_t pair_base;

	struct gw_media_chan *chans;   /* every control object, closed too */
	unsigned nlive;                /* not closed */
	unsigned nmchan;               /* media objects not yet gone */
	unsigned *thread_chans;        /* mchans per thread */
	struct dsp_budget *budv;       /* per thread, used on that thread */
	uint32_t next_id;
};

struct gw_media_chan {
	struct gw_media *m;
	struct gw_media_chan *next, *prev;
	uint32_t id;
	gw_media_ev_h *h;
	void *arg;
	bool closed;
	uint16_t port;

	struct sdp_local loc;
	struct sdp_origin origin;
	struct sdp_session *local;      /* our last offer or answer */
	bool local_is_offer;
	bool negotiated;
	struct sdp_neg_stream neg;
	struct dsp_chan_cfg cfg;

	struct mchan *mc;               /* current media object */
	unsigned thread;
	struct mspan *sp;
	unsigned idx;
	bool ringback;
	struct gw_media_stats st;
};

/* ---- messages ---- */

enum mmsg_type {
	MM_INIT = 0,    /* start an mchan on its thread */
	MM_CFG,         /* new negotiated configuration */
	MM_JOIN,        /* (re)join a slot of a span on this thread */
	MM_RINGBACK,
	MM_DIGIT,
	MM_CLOSE,
	MM_MOVE,        /* close and hand over to a successor */
	MM_BIND,        /* from the predecessor: the port is free */
};

struct mmsg {
	struct dsp_msg msg;
	enum mmsg_type type;
	struct mchan *mc;
	struct dsp_chan_cfg cfg;
	bool negotiated;
	struct mspan *sp;
	unsigned idx;
	bool on;
	char digit;
	unsigned ms;
	struct mchan *succ;
	struct totals base;
};

enum cmsg_type {
	CM_EVENT = 0,
	CM_STATS,
	CM_GONE,
};

struct cmsg {
	struct dsp_msg msg;
	enum cmsg_type type;
	struct gw_media *m;
	struct gw_media_chan *c;
	enum gw_media_ev ev;
	struct gw_media_evd d;
	struct gw_media_stats st;
	unsigned thread;
	bool release;
	uint16_t port;
};

/* The media-thread object. Everything below is touched only on thread. */
struct mchan {
	struct gw_media *m;
	struct gw_media_chan *owner;    /* passed back in messages only */
	uint32_t id;                    /* the owner's, for logs */
	unsigned thread;
	uv_loop_t *loop;
	uint16_t port;
	struct dsp_chan_cfg cfg;
	bool negotiated;
	struct mspan *sp;
	unsigned idx;
	struct dsp_chan *ch;
	bool waiting;                   /* predecessor still holds the port */
	bool cycling;                   /* sockets closing, timer pending */
	bool closing;
	bool finished;
	bool error_sent;
	struct mchan *succ;
	bool ringback;
	struct dsp_tone *tone;
	struct dsp_dtmf_gen *gen;       /* digits when ch has no generator */
	bool gen_on;
	unsigned nopen;
	uv_timer_t stats_t, cycle_t;
	struct totals base;
};

static void ctl_post(struct gw_media *m, struct cmsg *cm);
static void ctl_msg_h(struct dsp_msg *msg, void *arg);
static void mchan_msg_h(struct dsp_msg *msg, void *arg);

static enum dsp_law span_law(const struct gw_span *span)
{
	return gw_span_cfg(span)->law == GW_LAW_ULAW ? DSP_LAW_ULAW
						     : DSP_LAW_ALAW;
}

/* ---- configuration ---- */

static const char *const codec_names[] = { "pcma", "pcmu", "g722", "g729", NULL };
static const enum dsp_codec_id codec_ids[] = { DSP_CODEC_PCMA, DSP_CODEC_PCMU,
					       DSP_CODEC_G722, DSP_CODEC_G729 };

void gw_media_cfg_default(struct gw_media_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->threads = 0;
	snprintf(cfg->rtp_address, sizeof(cfg->rtp_address), "127.0.0.1");
	cfg->port_min = 20000;
	cfg->port_max = 29999;
	cfg->codecs[0] = DSP_CODEC_PCMA;
	cfg->codecs[1] = DSP_CODEC_PCMU;
	cfg->ncodecs = 2;
	cfg->ptime = 20;
	cfg->dtmf = GW_MEDIA_DTMF_RFC4733;
	cfg->dtmf_pt = 101;
	cfg->ec = true;
	cfg->ec_tail_ms = 128;
	cfg->faxdet = true;
	cfg->media_timeout_ms = 30000;
	cfg->srtp = GW_MEDIA_SRTP_OFF;
	snprintf(cfg->tones, sizeof(cfg->tones), "de");
	cfg->tick_budget = 80;
	cfg->rtcp_mux = true;
	cfg->jitter_min_ms = 20;
	cfg->jitter_max_ms = 200;
	cfg->jitter_fixed_ms = 60;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
	}
	return true;
}

static int conf_codecs(struct gw_media_cfg *cfg, struct gw_conf *conf,
		       struct gw_conf_err *err)
{
	const char *v;
	char buf[128], *save = NULL, *tok;
	unsigned n = 0;

	gw_conf_str(conf, "media", "codecs", "pcma, pcmu", &v, err);
	if (strlen(v) >= sizeof(buf))
		return gw_conf_fail(conf, "media", "codecs", err, "too long");
	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		size_t k;
		for (k = 0; codec_names[k]; k++) {
			if (!strcasecmp(tok, codec_names[k]))
				break;
		}
		if (!codec_names[k])
			return gw_conf_fail(conf, "media", "codecs", err,
					    "unknown codec '%s' (known: pcma, pcmu, g722, g729)",
					    tok);
		for (unsigned i = 0; i < n; i++) {
			if (cfg->codecs[i] == codec_ids[k])
				return gw_conf_fail(conf, "media", "codecs", err,
						    "'%s' listed twice", tok);
		}
		if (n == sizeof(cfg->codecs) / sizeof(cfg->codecs[0]))
			return gw_conf_fail(conf, "media", "codecs", err,
					    "too many codecs");
		cfg->codecs[n++] = codec_ids[k];
	}
	if (!n)
		return gw_conf_fail(conf, "media", "codecs", err,
				    "no codec (e.g. codecs = pcma, pcmu)");
	cfg->ncodecs = n;
	return 0;
}

int gw_media_conf(struct gw_media_cfg *cfg, struct gw_conf *conf,
		  struct gw_conf_err *err)
{
	static const char *const dtmfs[] = { "rfc4733", "inband", "off", NULL };
	static const char *const srtps[] = { "off", "optional", "mandatory", NULL };
	static const char *const jbmodes[] = { "adaptive", "fixed", NULL };
	unsigned char abuf[sizeof(struct in6_addr)];
	const char *v;
	long n, pmin, pmax;
	int e, ret;

	gw_media_cfg_default(cfg);
	if (!conf || !gw_conf_has_section(conf, "media"))
		return 0;
	gw_conf_section_seen(conf, "media");

	if ((ret = gw_conf_int(conf, "media", "threads", 0, 256, 0, &n, err)))
		return ret;
	cfg->threads = (unsigned)n;

	gw_conf_str(conf, "media", "rtp_address", "127.0.0.1", &v, err);
	if (strlen(v) >= sizeof(cfg->rtp_address) ||
	    (inet_pton(AF_INET, v, abuf) != 1 && inet_pton(AF_INET6, v, abuf) != 1))
		return gw_conf_fail(conf, "media", "rtp_address", err,
				    "'%s' is not a numeric IPv4 or IPv6 address", v);
	snprintf(cfg->rtp_address, sizeof(cfg->rtp_address), "%s", v);

	if ((ret = gw_conf_int(conf, "media", "rtp_port_min", 1024, 65534, 20000,
			       &pmin, err)) ||
	    (ret = gw_conf_int(conf, "media", "rtp_port_max", 1025, 65535, 29999,
			       &pmax, err)))
		return ret;
	if (((pmin + 1) & ~1L) + 1 > pmax)
		return gw_conf_fail(conf, "media", "rtp_port_max", err,
				    "range %ld-%ld holds no even/odd port pair",
				    pmin, pmax);
	cfg->port_min = (uint16_t)pmin;
	cfg->port_max = (uint16_t)pmax;

	if ((ret = conf_codecs(cfg, conf, err)))
		return ret;

	if ((ret = gw_conf_int(conf, "media", "ptime", 10, 30, 20, &n, err)))
		return ret;
	if (n != 10 && n != 20 && n != 30)
		return gw_conf_fail(conf, "media", "ptime", err,
				    "%ld: use 10, 20 or 30", n);
	cfg->ptime = (unsigned)n;

	if ((ret = gw_conf_enum(conf, "media", "dtmf", dtmfs, 0, &e, err)))
		return ret;
	cfg->dtmf = (enum gw_media_dtmf)e;
	if ((ret = gw_conf_int(conf, "media", "dtmf_pt", 96, 127, 101, &n, err)))
		return ret;
	cfg->dtmf_pt = (uint8_t)n;

	if ((ret = gw_conf_bool(conf, "media", "echo_cancel", true, &cfg->ec, err)))
		return ret;
	if ((ret = gw_conf_int(conf, "media", "ec_tail_ms", 1, 128, 128, &n, err)))
		return ret;
	cfg->ec_tail_ms = (unsigned)n;
	if ((ret = gw_conf_bool(conf, "media", "faxdet", true, &cfg->faxdet, err)))
		return ret;
	if ((ret = gw_conf_int(conf, "media", "tick_budget", 0, 100, 80, &n, err)))
		return ret;
	cfg->tick_budget = (unsigned)n;
	if ((ret = gw_conf_bool(conf, "media", "rtcp_mux", true, &cfg->rtcp_mux,
				err)))
		return ret;
	if ((ret = gw_conf_enum(conf, "media", "jitter", jbmodes, 0, &e, err)))
		return ret;
	cfg->jitter_fixed = e == 1;
	if ((ret = gw_conf_int(conf, "media", "jitter_min_ms", 0, 1000, 20, &n,
			       err)))
		return ret;
	cfg->jitter_min_ms = (unsigned)n;
	if ((ret = gw_conf_int(conf, "media", "jitter_max_ms", 20, 2000, 200, &n,
			       err)))
		return ret;
	if ((unsigned)n < cfg->jitter_min_ms)
		return gw_conf_fail(conf, "media", "jitter_max_ms", err,
				    "%ld is under jitter_min_ms %u", n,
				    cfg->jitter_min_ms);
	cfg->jitter_max_ms = (unsigned)n;
	if ((ret = gw_conf_int(conf, "media", "jitter_fixed_ms", 20, 2000, 60,
			       &n, err)))
		return ret;
	cfg->jitter_fixed_ms = (unsigned)n;

	/* seconds as documented; "500ms" / "2m" style also accepted */
	gw_conf_str(conf, "media", "media_timeout", "30", &v, err);
	if (all_digits(v)) {
		if ((ret = gw_conf_int(conf, "media", "media_timeout", 0, 3600, 30,
				       &n, err)))
			return ret;
		n *= 1000;
	} else if ((ret = gw_conf_msec(conf, "media", "media_timeout", 0,
				       3600000, 30000, &n, err))) {
		return ret;
	}
	cfg->media_timeout_ms = (uint32_t)n;

	if ((ret = gw_conf_enum(conf, "media", "srtp", srtps, 0, &e, err)))
		return ret;
	cfg->srtp = (enum gw_media_srtp)e;

	gw_conf_str(conf, "media", "tones", "de", &v, err);
	if (strlen(v) >= sizeof(cfg->tones) || !dsp_tone_country(v)) {
		char list[256];
		size_t l = 0;
		const struct dsp_tone_country *c = dsp_tone_countries();
		list[0] = '\0';
		for (; c && c->code && l < sizeof(list); c++) {
			int r = snprintf(list + l, sizeof(list) - l, "%s%s",
					 l ? ", " : "", c->code);
			if (r > 0)
				l += (size_t)r;
		}
		return gw_conf_fail(conf, "media", "tones", err,
				    "unknown country '%s' (known: %s)", v, list);
	}
	snprintf(cfg->tones, sizeof(cfg->tones), "%s", v);
	return 0;
}

/* ---- port pool (control thread) ---- */

static int pool_init(struct gw_media *m)
{
	unsigned base = ((unsigned)m->cfg.port_min + 1u) & ~1u;

	if (base + 1 > m->cfg.port_max)
		return EINVAL;
	m->pair_base = (uint16_t)base;
	m->npairs = ((unsigned)m->cfg.port_max - base + 1u) / 2;
	m->used = calloc(m->npairs, 1);
	return m->used ? 0 : ENOMEM;
}

/* Next free pair after the last one taken, so a port just returned is
 * reused as late as possible (stray packets of the old call). */
static int pool_get(struct gw_media *m, uint16_t *port)
{
	for (unsigned k = 0; k < m->npairs; k++) {
		unsigned i = (m->cursor + k) % m->npairs;
		if (!m->used[i]) {
			m->used[i] = 1;
			m->nused++;
			m->cursor = (i + 1) % m->npairs;
			*port = (uint16_t)(m->pair_base + 2 * i);
			return 0;
		}
	}
	return EADDRINUSE;
}

static void pool_put(struct gw_media *m, uint16_t port)
{
	unsigned i;

	if (port < m->pair_base)
		return;
	i = (unsigned)(port - m->pair_base) / 2;
	if (i < m->npairs && m->used[i]) {
		m->used[i] = 0;
		m->nused--;
	}
}

/* ---- media thread: the channel ---- */

static void mchan_ev_h(struct dsp_chan *ch, enum dsp_chan_ev ev,
		       const struct dsp_chan_evd *d, void *arg)
{
	struct mchan *mc = arg;
	struct cmsg *cm;
	enum gw_media_ev gev;
	(void)ch;

	switch (ev) {
	case DSP_CHAN_EV_DIGIT_END:
		gev = GW_MEDIA_EV_DIGIT;
		break;
	case DSP_CHAN_EV_FAX_TONE:
		gev = GW_MEDIA_EV_FAX_TONE;
		break;
	case DSP_CHAN_EV_MEDIA_TIMEOUT:
		gev = GW_MEDIA_EV_TIMEOUT;
		break;
	default:
		return; /* digit start: the end carries the duration */
	}
	cm = calloc(1, sizeof(*cm));
	if (!cm)
		return;
	cm->type = CM_EVENT;
	cm->c = mc->owner;
	cm->ev = gev;
	if (d) {
		cm->d.digit = d->digit;
		cm->d.duration_ms = d->duration_ms;
		cm->d.tone = d->tone;
	}
	ctl_post(mc->m, cm);
}

static void mchan_error(struct mchan *mc, int err)
{
	struct cmsg *cm;

	if (mc->error_sent)
		return;
	mc->error_sent = true;
	cm = calloc(1, sizeof(*cm));
	if (!cm)
		return;
	cm->type = CM_EVENT;
	cm->c = mc->owner;
	cm->ev = GW_MEDIA_EV_ERROR;
	cm->d.err = err;
	ctl_post(mc->m, cm);
}

static void totals_add(struct totals *t, const struct dsp_chan *ch)
{
	struct dsp_chan_stats st;

	dsp_chan_stats(ch, &st);
	t->rtp_tx += st.rtp_tx;
	t->rtp_rx += st.rtp_rx;
	t->rx_dropped += st.rx_dropped;
	t->digits_rx += st.digits_rx;
	t->digits_tx += st.digits_tx;
	t->lean += st.lean_ticks;
	t->rtcp_tx += st.rtcp_tx;
	t->rtcp_rx += st.rtcp_rx;
	t->lost += st.rtp.rx_lost;
}

static void mchan_snapshot(const struct mchan *mc, struct gw_media_stats *s)
{
	struct totals t = mc->base;

	memset(s, 0, sizeof(*s));
	if (mc->ch) {
		struct dsp_chan_stats st;
		totals_add(&t, mc->ch);
		dsp_chan_stats(mc->ch, &st);
		s->jitter_ms = st.rtp.rx_jitter_ms;
		s->rtt_ms = st.rtp.have_rtt ? st.rtp.rtt_ms : 0;
		s->erle_db = st.erle_db;
	}
	s->rtp_tx = t.rtp_tx;
	s->rtp_rx = t.rtp_rx;
	s->rx_dropped = t.rx_dropped;
	s->lost = t.lost > 0 ? (uint32_t)t.lost : 0;
	s->digits_rx = t.digits_rx;
	s->digits_tx = t.digits_tx;
	s->lean_ticks = t.lean;
	s->rtcp_tx = t.rtcp_tx;
	s->rtcp_rx = t.rtcp_rx;
	s->rtcp_mux = mc->cfg.rtcp_mux;
	s->local_port = mc->port;
}

static void post_stats(struct mchan *mc)
{
	struct cmsg *cm = calloc(1, sizeof(*cm));

	if (!cm)
		return;
	cm->type = CM_STATS;
	cm->c = mc->owner;
	mchan_snapshot(mc, &cm->st);
	ctl_post(mc->m, cm);
}

static void stats_cb(uv_timer_t *t)
{
	post_stats(t->data);
}

/* Bind and start the dsp_chan when everything it needs is there. */
static void mchan_start(struct mchan *mc)
{
	int err;

	if (mc->ch || mc->cycling || mc->waiting || mc->closing ||
	    !mc->negotiated || !mc->sp)
		return;
	err = dsp_chan_alloc(&mc->ch, mc->loop, &mc->cfg, mchan_ev_h, mc);
	if (err) {
		mc->ch = NULL;
		LOGW(MOD, "chan %u: port %u: cannot start: %s", mc->id,
		     mc->port, strerror(err));
		mchan_error(mc, err);
		return;
	}
	mc->error_sent = false;
}

static void mchan_closed_cb(uv_handle_t *h)
{
	struct mchan *mc = h->data;
	struct cmsg *cm;

	if (--mc->nopen)
		return;
	cm = calloc(1, sizeof(*cm));
	if (cm) {
		cm->type = CM_GONE;
		cm->c = mc->owner;
		cm->thread = mc->thread;
		cm->release = !mc->succ;
		cm->port = mc->port;
		mchan_snapshot(mc, &cm->st);
		ctl_post(mc->m, cm);
	} else {
		LOGE(MOD, "out of memory: port %u not returned", mc->port);
	}
	dsp_tone_free(mc->tone);
	dsp_dtmf_gen_free(mc->gen);
	free(mc);
}

/* The sockets are closed: hand the port over, report and free. */
static void mchan_finish(struct mchan *mc)
{
	if (mc->finished)
		return;
	mc->finished = true;
	if (mc->succ) {
		struct mmsg *mm = calloc(1, sizeof(*mm));
		/* without memory the successor would wait for ever: it is
		 * told by the control thread's close in the end */
		if (mm) {
			mm->type = MM_BIND;
			mm->mc = mc->succ;
			mm->base = mc->base;
			mm->msg.h = mchan_msg_h;
			mm->msg.arg = mm;
			dsp_engine_post(mc->m->e, mc->succ->thread, &mm->msg);
		} else {
			LOGE(MOD, "out of memory: channel on port %u lost", mc->port);
		}
	}
	uv_timer_stop(&mc->stats_t);
	uv_timer_stop(&mc->cycle_t);
	mc->nopen = 2;
	uv_close((uv_handle_t *)&mc->stats_t, mchan_closed_cb);
	uv_close((uv_handle_t *)&mc->cycle_t, mchan_closed_cb);
}

/*
 * dsp_chan_free closes its sockets in this loop iteration's close phase;
 * a zero timer runs in the next iteration, after that phase, so the port
 * is really free when cycle_cb runs.
 */
static void cycle_cb(uv_timer_t *t)
{
	struct mchan *mc = t->data;

	mc->cycling = false;
	if (mc->closing || mc->succ)
		mchan_finish(mc);
	else
		mchan_start(mc);
}

static void mchan_stop(struct mchan *mc)
{
	if (mc->ch) {
		totals_add(&mc->base, mc->ch);
		dsp_chan_free(mc->ch);
		mc->ch = NULL;
		mc->cycling = true;
		uv_timer_start(&mc->cycle_t, cycle_cb, 0, 0);
	}
}

static void mchan_unslot(struct mchan *mc)
{
	if (mc->sp && mc->sp->joined[mc->idx] == mc)
		mc->sp->joined[mc->idx] = NULL;
	mc->sp = NULL;
}

static void mchan_slot(struct mchan *mc, struct mspan *sp, unsigned idx)
{
	if (mc->sp == sp && mc->idx == idx)
		return;
	mchan_unslot(mc);
	if (!sp)
		return;
	/* the control thread checked the slot is ours; a channel closed
	 * just before (its close queued ahead of us) has left it */
	sp->joined[idx] = mc;
	mc->sp = sp;
	mc->idx = idx;
}

/* Everything but the remote address needs a new dsp_chan. */
/* What dsp_chan_set_media() changes in a running channel. */
static bool cfg_payload(const struct dsp_chan_cfg *a, const struct dsp_chan_cfg *b)
{
	return a->codec != b->codec || a->pt != b->pt ||
	       a->dtmf_pt != b->dtmf_pt || a->ptime != b->ptime;
}

/* What needs a new channel (sockets, keys, canceller). */
static bool cfg_rebuild(const struct dsp_chan_cfg *a, const struct dsp_chan_cfg *b)
{
	return a->tdm_law != b->tdm_law || a->ec != b->ec ||
	       a->ec_taps != b->ec_taps || a->faxdet != b->faxdet ||
	       a->srtp != b->srtp || a->suite != b->suite ||
	       a->tx_key_len != b->tx_key_len || a->rx_key_len != b->rx_key_len ||
	       memcmp(a->tx_key, b->tx_key, a->tx_key_len) ||
	       memcmp(a->rx_key, b->rx_key, a->rx_key_len) ||
	       memcmp(&a->local, &b->local, sizeof(a->local)) ||
	       a->port_min != b->port_min || a->port_max != b->port_max ||
	       a->latch != b->latch || a->media_timeout_ms != b->media_timeout_ms ||
	       a->jb_fixed != b->jb_fixed || a->jb_min_ms != b->jb_min_ms ||
	       a->jb_max_ms != b->jb_max_ms || a->jb_fixed_ms != b->jb_fixed_ms;
}

static socklen_t ss_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in);
}

static void mchan_set_cfg(struct mchan *mc, const struct dsp_chan_cfg *cfg,
			  bool negotiated)
{
	bool rebuild = cfg_rebuild(&mc->cfg, cfg) || negotiated != mc->negotiated;
	bool payload = cfg_payload(&mc->cfg, cfg);
	bool remote = memcmp(&mc->cfg.remote, &cfg->remote, sizeof(cfg->remote));
	bool rtcp = mc->cfg.rtcp_mux != cfg->rtcp_mux ||
		    mc->cfg.rtcp_port != cfg->rtcp_port;

	mc->cfg = *cfg;
	mc->cfg.cname = mc->m->cname;
	mc->negotiated = negotiated;
	/* another codec (re-INVITE): the call keeps its sockets and its
	 * converged canceller; only if that fails is it rebuilt */
	if (mc->ch && !rebuild && payload && dsp_chan_set_media(mc->ch, cfg)) {
		LOGW(MOD, "chan %u: cannot change the payload in place: rebuilt",
		     mc->id);
		rebuild = true;
	}
	if (mc->ch && rebuild)
		mchan_stop(mc);
	else if (mc->ch && remote && cfg->remote.ss_family)
		dsp_chan_set_remote(mc->ch, (const struct sockaddr *)&cfg->remote,
				    ss_len(&cfg->remote));
	if (mc->ch && !rebuild && rtcp)
		dsp_chan_set_rtcp(mc->ch, cfg->rtcp_mux, cfg->rtcp_port);
	mchan_start(mc);
}

static void mchan_tick(struct mchan *mc, const uint8_t *rx, uint8_t *tx,
		       unsigned opt)
{
	uint8_t rb[GW_SPAN_BLOCK];
	int16_t pcm[GW_SPAN_BLOCK];

	if (!mc->ch)
		return;
	if (mc->ringback) {
		/* the caller hears our ringback, not the line */
		dsp_tone_process(mc->tone, pcm, GW_SPAN_BLOCK);
		dsp_law_encode(mc->cfg.tdm_law, pcm, rb, GW_SPAN_BLOCK);
		rx = rb;
	}
	dsp_chan_tick_opt(mc->ch, rx, tx, opt);
	if (mc->gen_on) {
		dsp_law_decode(mc->cfg.tdm_law, tx, pcm, GW_SPAN_BLOCK);
		if (dsp_dtmf_gen_process(mc->gen, pcm, GW_SPAN_BLOCK))
			dsp_law_encode(mc->cfg.tdm_law, pcm, tx, GW_SPAN_BLOCK);
		else
			mc->gen_on = false;
	}
}

static void span_tick_h(struct gw_span *span, const struct gw_span_tick *t,
			void *arg)
{
	struct mspan *sp = arg;
	unsigned n = t->nchan < sp->nchan ? t->nchan : sp->nchan;
	unsigned first = sp->first < n ? sp->first : 0, busy = 0;
	bool lean_seen = false;
	(void)span;

	if (sp->bud) {
		for (unsigned i = 0; i < n; i++)
			busy += sp->joined[i] && sp->joined[i]->ch;
		dsp_budget_tick(sp->bud, &sp->bud_src, busy);
	}
	/*
	 * Past the thread's tick budget the remaining channels of the
	 * period run lean; the first of them is ticked first next time, so
	 * the same channels do not always wait.
	 */
	for (unsigned j = 0; j < n; j++) {
		unsigned i = first + j < n ? first + j : first + j - n;
		struct mchan *mc = sp->joined[i];
		unsigned opt = 0;

		if (!mc)
			continue;
		if (mc->ch && sp->bud && dsp_budget_lean(sp->bud)) {
			opt = DSP_CHAN_TICK_LEAN;
			if (!lean_seen)
				sp->first = i;
			lean_seen = true;
		}
		mchan_tick(mc, t->rx + (size_t)i * GW_SPAN_BLOCK,
			   t->tx + (size_t)i * GW_SPAN_BLOCK, opt);
	}
}

static void mchan_ringback(struct mchan *mc, bool on)
{
	if (on == mc->ringback)
		return;
	mc->ringback = on;
	if (on)
		dsp_tone_start_country(mc->tone, mc->m->tones, DSP_TONE_RINGBACK);
	else
		dsp_tone_stop(mc->tone);
}

static void mchan_digit(struct mchan *mc, char digit, unsigned ms)
{
	if (mc->ch && mc->cfg.dtmf_pt >= 0) {
		dsp_chan_play_digit(mc->ch, digit, ms);
		return;
	}
	/* no RFC 4733 on this call: our own generator on the TDM side */
	if (!dsp_dtmf_gen_digit(mc->gen, digit, ms, -10))
		mc->gen_on = true;
}

static void mchan_msg_h(struct dsp_msg *msg, void *arg)
{
	struct mmsg *mm = arg;
	struct mchan *mc = mm->mc;
	(void)msg;

	switch (mm->type) {
	case MM_INIT:
		mc->loop = dsp_engine_loop(mc->m->e, mc->thread);
		uv_timer_init(mc->loop, &mc->stats_t);
		uv_timer_init(mc->loop, &mc->cycle_t);
		mc->stats_t.data = mc->cycle_t.data = mc;
		uv_timer_start(&mc->stats_t, stats_cb, STATS_MS, STATS_MS);
		mc->cfg = mm->cfg;
		mc->cfg.cname = mc->m->cname;
		mc->negotiated = mm->negotiated;
		mc->base = mm->base;
		if (mm->on)
			mchan_ringback(mc, true);
		mchan_slot(mc, mm->sp, mm->idx);
		mchan_start(mc);
		break;
	case MM_CFG:
		mchan_set_cfg(mc, &mm->cfg, mm->negotiated);
		break;
	case MM_JOIN:
		mchan_slot(mc, mm->sp, mm->idx);
		mchan_set_cfg(mc, &mm->cfg, mm->negotiated);
		break;
	case MM_RINGBACK:
		mchan_ringback(mc, mm->on);
		break;
	case MM_DIGIT:
		mchan_digit(mc, mm->digit, mm->ms);
		break;
	case MM_CLOSE:
	case MM_MOVE:
		if (mm->type == MM_MOVE)
			mc->succ = mm->succ;
		else
			mc->closing = true;
		mchan_unslot(mc);
		mchan_stop(mc);
		/* waiting: the predecessor's BIND finishes us */
		if (!mc->cycling && !mc->waiting)
			mchan_finish(mc);
		break;
	case MM_BIND:
		mc->waiting = false;
		mc->base.rtp_tx += mm->base.rtp_tx;
		mc->base.rtp_rx += mm->base.rtp_rx;
		mc->base.rx_dropped += mm->base.rx_dropped;
		mc->base.digits_rx += mm->base.digits_rx;
		mc->base.digits_tx += mm->base.digits_tx;
		mc->base.lean += mm->base.lean;
		mc->base.rtcp_tx += mm->base.rtcp_tx;
		mc->base.rtcp_rx += mm->base.rtcp_rx;
		mc->base.lost += mm->base.lost;
		if (mc->closing || mc->succ)
			mchan_finish(mc);
		else
			mchan_start(mc);
		break;
	}
	free(mm);
}

/* ---- control thread: messages ---- */

static void ctl_post(struct gw_media *m, struct cmsg *cm)
{
	cm->m = m;
	cm->msg.arg = cm;
	cm->msg.h = ctl_msg_h;
	dsp_mq_post(m->mq, &cm->msg);
}

static void chan_unlink_free(struct gw_media_chan *c)
{
	struct gw_media *m = c->m;

	if (c->prev)
		c->prev->next = c->next;
	else
		m->chans = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->local);
	free(c);
}

static void stats_fill(const struct gw_media_chan *c, struct gw_media_stats *st)
{
	snprintf(st->codec, sizeof(st->codec), "%.15s",
		 c->negotiated ? c->neg.codec : "");
	st->local_port = c->port;
}

static void ctl_msg_h(struct dsp_msg *msg, void *arg)
{
	struct cmsg *cm = arg;
	struct gw_media *m = cm->m;
	struct gw_media_chan *c = cm->c;
	(void)msg;

	switch (cm->type) {
	case CM_EVENT:
		if (!c->closed && c->h)
			c->h(c, cm->ev, &cm->d, c->arg);
		break;
	case CM_STATS:
		if (!c->closed) {
			c->st = cm->st;
			stats_fill(c, &c->st);
		}
		break;
	case CM_GONE:
		m->nmchan--;
		if (m->thread_chans[cm->thread])
			m->thread_chans[cm->thread]--;
		if (cm->release) {
			pool_put(m, cm->port);
			if (c->closed)
				chan_unlink_free(c);
		}
		break;
	}
	free(cm);
}

/*
 * A message for mc carrying c's current state (configuration, slot,
 * ringback). With out, it is returned for the caller to complete and
 * post; else it is posted to thread at once. 0 or ENOMEM.
 */
static int post_mm(struct gw_media_chan *c, struct mchan *mc, unsigned thread,
		   enum mmsg_type type, struct mmsg **out)
{
	struct mmsg *mm = calloc(1, sizeof(*mm));

	if (!mm)
		return ENOMEM;
	mm->type = type;
	mm->mc = mc;
	mm->cfg = c->cfg;
	mm->negotiated = c->negotiated;
	mm->sp = c->sp;
	mm->idx = c->idx;
	mm->on = c->ringback;
	mm->msg.h = mchan_msg_h;
	mm->msg.arg = mm;
	if (out) {
		*out = mm; /* caller completes and posts */
		return 0;
	}
	dsp_engine_post(c->m->e, thread, &mm->msg);
	return 0;
}

/* A new media object for c on thread (not posted yet). */
static struct mchan *mchan_new(struct gw_media_chan *c, unsigned thread)
{
	struct mchan *mc = calloc(1, sizeof(*mc));

	if (!mc)
		return NULL;
	mc->m = c->m;
	mc->owner = c;
	mc->id = c->id;
	mc->thread = thread;
	mc->port = c->port;
	if (dsp_tone_alloc(&mc->tone)) {
		free(mc);
		return NULL;
	}
	{
		struct dsp_dtmf_gen_cfg gc;
		dsp_dtmf_gen_cfg_default(&gc);
		if (dsp_dtmf_gen_alloc(&mc->gen, &gc)) {
			dsp_tone_free(mc->tone);
			free(mc);
			return NULL;
		}
	}
	return mc;
}

static void mchan_discard(struct mchan *mc)
{
	dsp_tone_free(mc->tone);
	dsp_dtmf_gen_free(mc->gen);
	free(mc);
}

/* ---- control thread: negotiation ---- */

static int sdp_to_dsp_suite(enum sdp_srtp_suite s, enum dsp_srtp_suite *d)
{
	switch (s) {
	case SDP_SRTP_AES_CM_128_HMAC_SHA1_80:
		*d = DSP_SRTP_AES_CM_128_HMAC_SHA1_80;
		return 0;
	case SDP_SRTP_AES_CM_128_HMAC_SHA1_32:
		*d = DSP_SRTP_AES_CM_128_HMAC_SHA1_32;
		return 0;
	case SDP_SRTP_AEAD_AES_128_GCM:
		*d = DSP_SRTP_AEAD_AES_128_GCM;
		return 0;
	default:
		return ENOTSUP;
	}
}

/* The accepted audio stream of a negotiation, or NULL. */
static const struct sdp_neg_stream *neg_audio(const struct sdp_neg *neg,
					      size_t *idx)
{
	for (size_t i = 0; i < neg->nstream; i++) {
		if (neg->streamv[i].type == SDP_MEDIA_AUDIO &&
		    neg->streamv[i].active) {
			if (idx)
				*idx = i;
			return &neg->streamv[i];
		}
	}
	return NULL;
}

/*
 * The dsp_chan configuration for a negotiated audio stream. 488 when the
 * stream asks for something the channel cannot do.
 */
static int cfg_from_neg(struct gw_media_chan *c, const struct sdp_neg_stream *ns,
			struct dsp_chan_cfg *cfg)
{
	struct gw_media *m = c->m;
	const struct gw_media_cfg *mcfg = &m->cfg;
	enum dsp_codec_id id;

	if (!strcasecmp(ns->codec, "PCMA"))
		id = DSP_CODEC_PCMA;
	else if (!strcasecmp(ns->codec, "PCMU"))
		id = DSP_CODEC_PCMU;
	else if (!strcasecmp(ns->codec, "G722"))
		id = DSP_CODEC_G722;
	else if (!strcasecmp(ns->codec, "G729"))
		id = DSP_CODEC_G729; /* Annex B SIDs from the peer are decoded */
	else
		return 488;

	dsp_chan_cfg_default(cfg);
	cfg->tdm_law = c->sp ? c->sp->law : DSP_LAW_ALAW;
	cfg->codec = id;
	cfg->pt = ns->pt;
	cfg->dtmf_pt = mcfg->dtmf == GW_MEDIA_DTMF_RFC4733 ? ns->dtmf_pt : -1;
	/* send what the peer asked to receive when we can, else ours */
	cfg->ptime = dsp_codec_ptime_valid(ns->ptime) ? ns->ptime : mcfg->ptime;
	cfg->ec = mcfg->ec;
	/* echo already cancelled below us (DAHDI echocanceller=) */
	if (c->sp && (c->sp->ecmask & (1u << gw_span_bchan_ts(c->sp->span, c->idx))))
		cfg->ec = false;
	cfg->ec_taps = mcfg->ec_tail_ms * 8;
	cfg->faxdet = mcfg->faxdet;
	cfg->srtp = ns->srtp;
	if (ns->srtp) {
		if (sdp_to_dsp_suite(ns->suite, &cfg->suite) ||
		    ns->key_len != dsp_srtp_key_len(cfg->suite) ||
		    ns->key_len > DSP_SRTP_MAX_KEY || ns->remote_mki_len)
			return 488;
		memcpy(cfg->tx_key, ns->local_key, ns->key_len);
		memcpy(cfg->rx_key, ns->remote_key, ns->key_len);
		cfg->tx_key_len = cfg->rx_key_len = ns->key_len;
	}
	/* our socket has one family: a peer of the other is unreachable */
	if (ns->raddr.af != AF_UNSPEC && ns->raddr.af != m->local.ss_family)
		return 488;
	if (ns->raddr.af == AF_UNSPEC)
		LOGI(MOD, "chan %u: c=%s is a name: RTP goes to the source of the "
		     "peer's packets", c->id, ns->raddr.addr);
	cfg->local = m->local;
	cfg->port_min = c->port;
	cfg->port_max = (uint16_t)(c->port + 1); /* exactly this pair */
	if (ns->rport && ns->raddr.af != AF_UNSPEC) {
		struct sockaddr_storage *ss = &cfg->remote;
		if (ns->raddr.af == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)ss;
			if (inet_pton(AF_INET, ns->raddr.addr, &sin->sin_addr) == 1) {
				sin->sin_family = AF_INET;
				sin->sin_port = htons(ns->rport);
			}
		} else {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
			if (inet_pton(AF_INET6, ns->raddr.addr, &s6->sin6_addr) == 1) {
				s6->sin6_family = AF_INET6;
				s6->sin6_port = htons(ns->rport);
			}
		}
		/* a held or unusable address: symmetric RTP finds the peer */
		if (ss->ss_family == AF_INET &&
		    ((struct sockaddr_in *)ss)->sin_addr.s_addr == 0)
			memset(ss, 0, sizeof(*ss));
	}
	/* RFC 5761 when both sides said a=rtcp-mux; else the peer's RTCP
	 * port from a=rtcp (RFC 3605), RTP + 1 without it */
	cfg->rtcp_mux = ns->rtcp_mux;
	cfg->rtcp_port = ns->rtcp_mux || ns->rtcp_port == ns->rport + 1 ?
			 0 : ns->rtcp_port;
	cfg->latch = true;
	if (!(ns->dir & SDP_DIR_SENDONLY)) {
		/* on hold (we answered recvonly or inactive): no address to
		 * send to and no latching, so nothing goes out; what comes
		 * in is still played */
		memset(&cfg->remote, 0, sizeof(cfg->remote));
		cfg->latch = false;
	}
	cfg->media_timeout_ms = mcfg->media_timeout_ms;
	cfg->jb_fixed = mcfg->jitter_fixed;
	cfg->jb_min_ms = mcfg->jitter_min_ms;
	cfg->jb_max_ms = mcfg->jitter_max_ms;
	cfg->jb_fixed_ms = mcfg->jitter_fixed_ms;
	cfg->cname = m->cname;
	return 0;
}

/* Tell the media side about a new configuration. */
static void chan_push_cfg(struct gw_media_chan *c)
{
	if (c->mc && post_mm(c, c->mc, c->thread, MM_CFG, NULL))
		LOGE(MOD, "chan %u: out of memory, configuration not applied",
		     c->id);
}

static int chan_apply(struct gw_media_chan *c, const struct sdp_neg *neg)
{
	const struct sdp_neg_stream *ns = neg_audio(neg, NULL);
	struct dsp_chan_cfg cfg;
	int err;

	if (!ns)
		return 488;
	c->neg = *ns;
	err = cfg_from_neg(c, ns, &cfg);
	if (err)
		return err;
	c->cfg = cfg;
	c->negotiated = true;
	chan_push_cfg(c);
	return 0;
}

static int chan_new(struct gw_media *m, gw_media_ev_h *h, void *arg,
		    struct gw_media_chan **cp)
{
	struct gw_media_chan *c;
	uint16_t port;
	int err;

	if (pool_get(m, &port))
		return 503;
	c = calloc(1, sizeof(*c));
	if (!c) {
		pool_put(m, port);
		return ENOMEM;
	}
	c->m = m;
	c->id = ++m->next_id;
	c->h = h;
	c->arg = arg;
	c->port = port;
	c->loc.caps = &m->caps;
	c->loc.addr = m->addr;
	c->loc.audio_port = port;
	c->loc.dir = SDP_DIR_SENDRECV;
	err = sdp_origin_init(&c->origin, "pstngw", &m->addr);
	if (err) {
		pool_put(m, port);
		free(c);
		return err;
	}
	c->next = m->chans;
	if (m->chans)
		m->chans->prev = c;
	m->chans = c;
	m->nlive++;
	c->st.local_port = port;
	*cp = c;
	return 0;
}

static int write_sdp(struct gw_media_chan *c, struct sdp_session *s, char *buf,
		     size_t sz)
{
	int err = sdp_origin_stamp(&c->origin, s);

	if (!err)
		err = sdp_encode(s, buf, sz, NULL);
	return err;
}

static int decode_sdp(const char *text, struct sdp_session **sp)
{
	struct sdp_session *s;
	struct pl pl = pl_from_str(text);

	if (!text || !*text)
		return 400;
	s = malloc(sizeof(*s));
	if (!s)
		return ENOMEM;
	if (sdp_decode(s, &pl)) {
		free(s);
		return 400;
	}
	*sp = s;
	return 0;
}

/* Answer off on c's port: *ansp and neg written; 0, 400, 488, ENOMEM, EIO. */
static int negotiate_answer(struct gw_media_chan *c, const struct sdp_session *off,
			    struct sdp_session **ansp, struct sdp_neg *neg)
{
	struct sdp_session *ans;
	int err;

	ans = malloc(sizeof(*ans));
	if (!ans)
		return ENOMEM;
	err = sdp_answer(ans, neg, &c->loc, off);
	if (err == ENOTSUP || (!err && !neg_audio(neg, NULL)))
		err = 488;
	else if (err == EINVAL)
		err = 400;
	if (err) {
		if (err == 488 && neg->warn)
			LOGI(MOD, "offer refused: %u %s", neg->warn,
			     sdp_warn_text(neg->warn));
		free(ans);
		return err;
	}
	*ansp = ans;
	return 0;
}

/* A channel that never left gw_media_answer/offer: undo chan_new. NULL is fine. */
static void chan_discard(struct gw_media *m, struct gw_media_chan *c)
{
	if (!c)
		return;
	c->closed = true;
	m->nlive--;
	pool_put(m, c->port);
	chan_unlink_free(c);
}

int gw_media_answer(struct gw_media *m, const char *offer, char *answer, size_t sz,
		    gw_media_ev_h *h, void *arg, struct gw_media_chan **cp)
{
	struct gw_media_chan *c = NULL;
	struct sdp_session *ans = NULL, *off = NULL;
	struct sdp_neg *neg = NULL;
	int err;

	if (!m || !offer || !answer || !sz || !cp)
		return EINVAL;
	/* a bad body is 400 even when no port is free */
	err = decode_sdp(offer, &off);
	if (err)
		return err;
	err = chan_new(m, h, arg, &c);
	if (err)
		goto out;
	neg = malloc(sizeof(*neg));
	if (!neg) {
		err = ENOMEM;
		goto out;
	}
	err = negotiate_answer(c, off, &ans, neg);
	if (err)
		goto out;
	err = chan_apply(c, neg);
	if (err)
		goto out;
	err = write_sdp(c, ans, answer, sz);
	if (err)
		goto out;
	c->local = ans;
	ans = NULL;
	c->local_is_offer = false;
	*cp = c;
	c = NULL;
out:
	free(off);
	free(neg);
	free(ans);
	chan_discard(m, c);
	return err;
}

int gw_media_offer(struct gw_media *m, char *offer, size_t sz,
		   gw_media_ev_h *h, void *arg, struct gw_media_chan **cp)
{
	struct gw_media_chan *c = NULL;
	struct sdp_session *s = NULL;
	int err;

	if (!m || !offer || !sz || !cp)
		return EINVAL;
	err = chan_new(m, h, arg, &c);
	if (err)
		return err;
	s = malloc(sizeof(*s));
	if (!s) {
		err = ENOMEM;
		goto out;
	}
	err = sdp_offer(s, &c->loc, SDP_OFFER_AUDIO, NULL);
	if (!err)
		err = write_sdp(c, s, offer, sz);
	if (err)
		goto out;
	c->local = s;
	s = NULL;
	c->local_is_offer = true;
	*cp = c;
	c = NULL;
out:
	free(s);
	chan_discard(m, c);
	return err;
}

int gw_media_set_answer(struct gw_media_chan *c, const char *answer)
{
	struct sdp_session *ans = NULL;
	struct sdp_neg *neg;
	int err;

	if (!c || c->closed || !c->local || !c->local_is_offer)
		return EINVAL;
	err = decode_sdp(answer, &ans);
	if (err)
		return err;
	neg = malloc(sizeof(*neg));
	if (!neg) {
		free(ans);
		return ENOMEM;
	}
	err = sdp_apply_answer(neg, &c->loc, c->local, ans);
	if (err == EPROTO || err == ENOTSUP) {
		LOGI(MOD, "chan %u: answer refused: %u %s", c->id, neg->warn,
		     sdp_warn_text(neg->warn));
		err = 488;
	} else if (err == EINVAL) {
		err = 400;
	}
	if (!err)
		err = chan_apply(c, neg);
	free(neg);
	free(ans);
	return err;
}

/*
 * A re-offer keeping the same SRTP crypto (a session refresh) keeps our
 * key too (RFC 4568 §7.1.4 allows either): the description is then
 * unchanged, the o= version stays and the channel is not rebuilt.
 */
static void keep_key(const struct gw_media_chan *c, struct sdp_session *ans,
		     struct sdp_neg *neg)
{
	size_t i;
	struct sdp_neg_stream *ns;
	struct sdp_media *am;

	if (!c->negotiated || !c->neg.srtp || !neg_audio(neg, &i))
		return;
	ns = &neg->streamv[i];
	am = &ans->mediav[i];
	if (!ns->srtp || ns->suite != c->neg.suite || ns->crypto_tag != c->neg.crypto_tag ||
	    ns->key_len != c->neg.key_len ||
	    memcmp(ns->remote_key, c->neg.remote_key, ns->key_len) ||
	    am->ncrypto != 1 || am->cryptov[0].key_len != ns->key_len)
		return;
	memcpy(ns->local_key, c->neg.local_key, ns->key_len);
	memcpy(am->cryptov[0].key, c->neg.local_key, ns->key_len);
}

int gw_media_reoffer(struct gw_media_chan *c, const char *offer, char *answer,
		     size_t sz)
{
	struct sdp_session *ans = NULL, *off = NULL;
	struct sdp_neg *neg;
	struct sdp_neg_stream old_neg;
	struct dsp_chan_cfg old_cfg;
	bool old_negotiated;
	int err;

	if (!c || c->closed || !answer || !sz)
		return EINVAL;
	err = decode_sdp(offer, &off);
	if (err)
		return err;
	neg = malloc(sizeof(*neg));
	if (!neg) {
		free(off);
		return ENOMEM;
	}
	err = negotiate_answer(c, off, &ans, neg);
	if (err)
		goto out;
	keep_key(c, ans, neg);
	old_neg = c->neg;
	old_cfg = c->cfg;
	old_negotiated = c->negotiated;
	err = chan_apply(c, neg);
	if (!err)
		err = write_sdp(c, ans, answer, sz);
	if (err) {
		/* the session goes on as it was */
		c->neg = old_neg;
		c->cfg = old_cfg;
		c->negotiated = old_negotiated;
		chan_push_cfg(c);
		goto out;
	}
	free(c->local);
	c->local = ans;
	ans = NULL;
	c->local_is_offer = false;
out:
	free(off);
	free(ans);
	free(neg);
	return err;
}

/* ---- control thread: joining ---- */

static struct mspan *mspan_find(struct gw_media *m, unsigned number)
{
	for (size_t i = 0; i < m->nspan; i++) {
		if (m->spv[i].number == number && m->spv[i].attached)
			return &m->spv[i];
	}
	return NULL;
}

int gw_media_join(struct gw_media_chan *c, unsigned span, unsigned ts)
{
	struct gw_media *m;
	struct mspan *sp, *old_sp;
	unsigned idx, old_idx;
	struct mchan *mc;
	struct mmsg *init = NULL, *move = NULL;

	if (!c || c->closed)
		return EINVAL;
	m = c->m;
	sp = mspan_find(m, span);
	if (!sp || gw_span_bchan_idx(sp->span, ts, &idx))
		return ENOENT;
	if (sp->ctl_joined[idx] == c)
		return 0;
	if (sp->ctl_joined[idx])
		return EBUSY;

	old_sp = c->sp;
	old_idx = c->idx;
	c->sp = sp;
	c->idx = idx;
	if (c->negotiated && c->neg.codec[0]) {
		/* the law and echo canceller follow the span */
		struct dsp_chan_cfg cfg;
		if (!cfg_from_neg(c, &c->neg, &cfg))
			c->cfg = cfg;
	} else {
		c->cfg.tdm_law = sp->law;
	}

	if (c->mc && c->thread == sp->thread) {
		if (post_mm(c, c->mc, c->thread, MM_JOIN, NULL))
			goto nomem;
	} else {
		mc = mchan_new(c, sp->thread);
		if (!mc || post_mm(c, mc, sp->thread, MM_INIT, &init))
			goto nomem_mc;
		if (c->mc) {
			if (post_mm(c, c->mc, c->thread, MM_MOVE, &move))
				goto nomem_mc;
			mc->waiting = true;
			move->succ = mc;
		}
		m->nmchan++;
		m->thread_chans[sp->thread]++;
		dsp_engine_post(m->e, sp->thread, &init->msg);
		if (move)
			dsp_engine_post(m->e, c->thread, &move->msg);
		c->mc = mc;
		c->thread = sp->thread;
	}
	if (old_sp)
		old_sp->ctl_joined[old_idx] = NULL;
	sp->ctl_joined[idx] = c;
	return 0;
nomem_mc:
	free(init);
	free(move);
	if (mc)
		mchan_discard(mc);
nomem:
	c->sp = old_sp;
	c->idx = old_idx;
	return ENOMEM;
}

void gw_media_ringback(struct gw_media_chan *c, bool on)
{
	if (!c || c->closed || c->ringback == on)
		return;
	c->ringback = on;
	if (c->mc) {
		struct mmsg *mm;
		if (!post_mm(c, c->mc, c->thread, MM_RINGBACK, &mm)) {
			mm->on = on;
			dsp_engine_post(c->m->e, c->thread, &mm->msg);
		}
	}
}

int gw_media_digit(struct gw_media_chan *c, char digit, unsigned ms)
{
	struct mmsg *mm;

	if (!c || c->closed || !c->mc || !strchr("0123456789*#ABCDabcd", digit) ||
	    !digit || ms < 40 || ms > 5000)
		return EINVAL;
	if (post_mm(c, c->mc, c->thread, MM_DIGIT, &mm))
		return ENOMEM;
	mm->digit = (digit >= 'a' && digit <= 'd') ? (char)(digit - 'a' + 'A') : digit;
	mm->ms = ms;
	dsp_engine_post(c->m->e, c->thread, &mm->msg);
	return 0;
}

void gw_media_stats(const struct gw_media_chan *c, struct gw_media_stats *st)
{
	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	if (!c)
		return;
	*st = c->st;
	stats_fill(c, st);
}

void gw_media_close(struct gw_media_chan *c)
{
	struct gw_media *m;

	if (!c || c->closed)
		return;
	m = c->m;
	c->closed = true;
	c->h = NULL;
	m->nlive--;
	if (c->sp && c->sp->ctl_joined[c->idx] == c)
		c->sp->ctl_joined[c->idx] = NULL;
	if (c->mc) {
		struct mmsg *mm = calloc(1, sizeof(*mm));
		if (mm) {
			mm->type = MM_CLOSE;
			mm->mc = c->mc;
			mm->msg.h = mchan_msg_h;
			mm->msg.arg = mm;
			dsp_engine_post(m->e, c->thread, &mm->msg);
			return; /* freed when the media side is gone */
		}
		/* cannot reach the media side: keep the port out of the
		 * pool rather than hand out a port that may be bound */
		LOGE(MOD, "chan %u: out of memory, port %u leaked", c->id, c->port);
		return;
	}
	pool_put(m, c->port);
	chan_unlink_free(c);
}

/* ---- set-up and tear-down ---- */

static void attach_h(struct dsp_msg *msg, void *arg)
{
	struct mspan *sp = arg;
	(void)msg;

	sp->attach_err = gw_span_audio_attach(sp->span,
					      dsp_engine_loop(sp->m->e, sp->thread),
					      span_tick_h, sp);
	sp->attached = !sp->attach_err;
	uv_sem_post(&sp->m->sem);
}

static void detach_h(struct dsp_msg *msg, void *arg)
{
	struct mspan *sp = arg;
	(void)msg;

	gw_span_audio_detach(sp->span);
	for (unsigned i = 0; i < sp->nchan; i++)
		sp->joined[i] = NULL;
	uv_sem_post(&sp->m->sem);
}

static int caps_init(struct gw_media *m)
{
	const struct gw_media_cfg *cfg = &m->cfg;
	size_t n = 0;

	for (unsigned i = 0; i < cfg->ncodecs && i < 4; i++) {
		struct sdp_codec *sc = &m->codecv[n];
		sc->name = dsp_codec_name(cfg->codecs[i]);
		if (!sc->name)
			return EINVAL;
		sc->clock = 8000; /* G.722 too (RFC 3551 §4.5.2) */
		sc->channels = 1;
		sc->pt = (uint8_t)cfg->codecs[i];
		/* G.729: we send no Annex B SID frames (the annexb parameter
		 * of the audio/G729 media type, RFC 4856); an offer with
		 * annexb=yes or without fmtp is still answered, annexb=no */
		sc->fmtp = cfg->codecs[i] == DSP_CODEC_G729 ? "annexb=no" : NULL;
		n++;
	}
	if (!n)
		return EINVAL;
	m->suitev[0] = SDP_SRTP_AES_CM_128_HMAC_SHA1_80;
	m->suitev[1] = SDP_SRTP_AES_CM_128_HMAC_SHA1_32;
	m->suitev[2] = SDP_SRTP_AEAD_AES_128_GCM;
	m->caps.codecv = m->codecv;
	m->caps.ncodec = n;
	m->caps.dtmf = cfg->dtmf == GW_MEDIA_DTMF_RFC4733;
	m->caps.dtmf_pt = cfg->dtmf_pt;
	m->caps.ptime = cfg->ptime;
	m->caps.srtp = cfg->srtp == GW_MEDIA_SRTP_MANDATORY ? SDP_SRTP_MANDATORY :
		       cfg->srtp == GW_MEDIA_SRTP_OPTIONAL ? SDP_SRTP_OPTIONAL :
							     SDP_SRTP_OFF;
	m->caps.suitev = m->suitev;
	m->caps.nsuite = 3;
	m->caps.rtcp_mux = cfg->rtcp_mux;
	return 0;
}

static int local_init(struct gw_media *m)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&m->local;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&m->local;

	memset(&m->local, 0, sizeof(m->local));
	if (inet_pton(AF_INET, m->cfg.rtp_address, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, m->cfg.rtp_address, &s6->sin6_addr) == 1)
		s6->sin6_family = AF_INET6;
	else
		return EINVAL;
	return sdp_conn_set(&m->addr, m->cfg.rtp_address);
}

/* Wait (bounded) until the media threads have finished with every
 * channel; their last messages are handled here. */
static void wait_mchans(struct gw_media *m)
{
	for (unsigned i = 0; i < FREE_WAIT_STEPS && m->nmchan; i++) {
		dsp_mq_drain(m->mq);
		if (m->nmchan)
			usleep(FREE_WAIT_US);
	}
	if (m->nmchan)
		LOGE(MOD, "%u media channels did not close", m->nmchan);
}

/*
 * Everything is closed and waited for here, on the control thread: the
 * channels (their last messages are handled before this returns), then
 * the spans' audio is detached on the media threads, so the caller may
 * free the spans right after (and must not before).
 */
void gw_media_free(struct gw_media *m)
{
	if (!m)
		return;
	for (struct gw_media_chan *c = m->chans, *next; c; c = next) {
		next = c->next; /* an unjoined channel is freed at once */
		gw_media_close(c);
	}
	if (m->mq)
		wait_mchans(m);
	if (m->e && m->sem_ok) {
		unsigned n = 0;
		for (size_t i = 0; i < m->nspan; i++) {
			struct mspan *sp = &m->spv[i];
			if (!sp->attached)
				continue;
			sp->msg.h = detach_h;
			sp->msg.arg = sp;
			dsp_engine_post(m->e, sp->thread, &sp->msg);
			n++;
		}
		while (n--)
			uv_sem_wait(&m->sem);
	}
	dsp_engine_free(m->e);
	if (m->mq) {
		dsp_mq_free(m->mq); /* runs what is still queued */
		m->mq = NULL;
	}
	while (m->chans)
		chan_unlink_free(m->chans);
	for (size_t i = 0; i < m->nspan; i++) {
		free(m->spv[i].ctl_joined);
		free(m->spv[i].joined);
	}
	free(m->spv);
	free(m->used);
	free(m->thread_chans);
	free(m->budv);
	if (m->sem_ok)
		uv_sem_destroy(&m->sem);
	free(m);
}

/*
 * The kernel hands out ports of net.ipv4.ip_local_port_range to every
 * socket that binds port 0 or connects: RTP ports inside it can be taken
 * by anyone at any time, and a call whose port is taken fails. Warn.
 */
static void warn_ephemeral_overlap(const struct gw_media_cfg *cfg)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	unsigned lo, hi;

	if (!f)
		return;
	if (fscanf(f, "%u %u", &lo, &hi) == 2 && cfg->port_min <= hi && cfg->port_max >= lo)
		LOGW(MOD, "[media] rtp ports %u-%u overlap the kernel's ephemeral "
		     "ports %u-%u (net.ipv4.ip_local_port_range): other sockets may take "
		     "them and calls on those ports fail; choose a range outside it",
		     cfg->port_min, cfg->port_max, lo, hi);
	fclose(f);
}

int gw_media_alloc(struct gw_media **mp, const struct gw_media_cfg *cfg,
		   struct gw_spans *spans, uv_loop_t *ctl)
{
	struct gw_media *m;
	size_t nspan = spans ? gw_spans_count(spans) : 0;
	unsigned nposted = 0;
	int err;

	if (!mp || !cfg || !ctl || !dsp_codec_ptime_valid(cfg->ptime) ||
	    !cfg->ncodecs || cfg->ncodecs > 4)
		return EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return ENOMEM;
	m->cfg = *cfg;
	m->ctl = ctl;
	warn_ephemeral_overlap(cfg);
	m->tones = dsp_tone_country(cfg->tones);
	if (!m->tones)
		m->tones = dsp_tone_country("itu");
	snprintf(m->cname, sizeof(m->cname), "pstngw@%.55s", cfg->rtp_address);
	err = caps_init(m);
	if (!err)
		err = local_init(m);
	if (!err)
		err = pool_init(m);
	if (err)
		goto fail;
	if (uv_sem_init(&m->sem, 0)) {
		err = ENOMEM;
		goto fail;
	}
	m->sem_ok = true;
	err = dsp_mq_alloc(&m->mq, ctl);
	if (err)
		goto fail;
	err = dsp_engine_alloc(&m->e, cfg->threads);
	if (err)
		goto fail;
	m->thread_chans = calloc(dsp_engine_nthreads(m->e), sizeof(unsigned));
	m->budv = calloc(dsp_engine_nthreads(m->e), sizeof(*m->budv));
	m->spv = nspan ? calloc(nspan, sizeof(*m->spv)) : NULL;
	if (!m->thread_chans || !m->budv || (nspan && !m->spv)) {
		err = ENOMEM;
		goto fail;
	}
	for (unsigned t = 0; t < dsp_engine_nthreads(m->e); t++)
		dsp_budget_init(&m->budv[t], 20, cfg->tick_budget);
	m->nspan = nspan;
	for (size_t i = 0; i < nspan; i++) {
		struct mspan *sp = &m->spv[i];
		struct gw_span *span = gw_spans_span(spans, i);
		if (!span)
			continue;
		sp->m = m;
		sp->span = span;
		sp->number = gw_span_id(span);
		sp->nchan = gw_span_bchan_count(span);
		sp->law = span_law(span);
		sp->ecmask = gw_span_cfg(span)->ecmask;
		sp->ctl_joined = calloc(sp->nchan ? sp->nchan : 1, sizeof(*sp->ctl_joined));
		sp->joined = calloc(sp->nchan ? sp->nchan : 1, sizeof(*sp->joined));
		if (!sp->ctl_joined || !sp->joined) {
			err = ENOMEM;
			goto fail_spans;
		}
	}
	for (size_t i = 0; i < m->nspan; i++) {
		struct mspan *sp = &m->spv[i];
		if (!sp->span)
			continue;
		sp->thread = dsp_engine_assign(m->e);
		if (cfg->tick_budget)
			sp->bud = &m->budv[sp->thread];
		sp->msg.h = attach_h;
		sp->msg.arg = sp;
		dsp_engine_post(m->e, sp->thread, &sp->msg);
		nposted++;
	}
fail_spans:
	while (nposted--)
		uv_sem_wait(&m->sem);
	if (err)
		goto fail;
	for (size_t i = 0; i < m->nspan; i++) {
		struct mspan *sp = &m->spv[i];
		if (sp->span && !sp->attached) {
			LOGE(MOD, "span %u: audio not attached: %s", sp->number,
			     strerror(sp->attach_err));
			err = sp->attach_err;
			goto fail;
		}
	}
	LOGI(MOD, "%u media threads, %zu spans, RTP %s ports %u-%u",
	     dsp_engine_nthreads(m->e), m->nspan, cfg->rtp_address,
	     m->pair_base, (unsigned)(m->pair_base + 2 * m->npairs - 1));
	*mp = m;
	return 0;
fail:
	gw_media_free(m);
	return err;
}

/* ---- control command ---- */

/* arg is the struct gw_media (NULL: not running). */
int gw_media_ctl(struct gw_ctl_reply *r, int argc, char **argv, void *arg)
{
	struct gw_media *m = arg;
	(void)argc;
	(void)argv;

	if (!m) {
		gw_ctl_error(r, "media not started");
		return EAGAIN;
	}
	for (unsigned t = 0; t < dsp_engine_nthreads(m->e); t++) {
		char spans[256];
		size_t l = 0;
		spans[0] = '\0';
		for (size_t i = 0; i < m->nspan && l < sizeof(spans); i++) {
			int n;
			if (!m->spv[i].attached || m->spv[i].thread != t)
				continue;
			n = snprintf(spans + l, sizeof(spans) - l, "%s%u",
				     l ? "," : "", m->spv[i].number);
			if (n > 0)
				l += (size_t)n;
		}
		gw_ctl_printf(r, "thread %u spans=%s channels=%u\n", t,
			      l ? spans : "-", m->thread_chans[t]);
	}
	gw_ctl_printf(r, "ports %u-%u in_use=%u free=%u channels=%u\n",
		      m->pair_base, (unsigned)(m->pair_base + 2 * m->npairs - 1),
		      m->nused, m->npairs - m->nused, m->nlive);
	for (struct gw_media_chan *c = m->chans; c; c = c->next) {
		if (c->closed)
			continue;
		struct gw_media_stats st;
		gw_media_stats(c, &st);
		if (c->sp)
			gw_ctl_printf(r, "chan %u port=%u span=%u ts=%u", c->id,
				      c->port, c->sp->number,
				      gw_span_bchan_ts(c->sp->span, c->idx));
		else
			gw_ctl_printf(r, "chan %u port=%u span=- ts=-", c->id,
				      c->port);
		gw_ctl_printf(r, " codec=%s srtp=%s rtp_tx=%llu rtp_rx=%llu lost=%u "
			      "jitter=%.1fms rtcp=%s rtcp_tx=%llu rtcp_rx=%llu "
			      "lean=%llu%s\n",
			      st.codec[0] ? st.codec : "-",
			      c->negotiated && c->neg.srtp ? "yes" : "no",
			      (unsigned long long)st.rtp_tx,
			      (unsigned long long)st.rtp_rx, st.lost, st.jitter_ms,
			      st.rtcp_mux ? "mux" : "port",
			      (unsigned long long)st.rtcp_tx,
			      (unsigned long long)st.rtcp_rx,
			      (unsigned long long)st.lean_ticks,
			      c->ringback ? " ringback" : "");
	}
	return 0;
}
