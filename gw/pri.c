/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ISDN PRI span signalling over libpri: Q.921 data link and Q.931 call
 * control (ITU-T Q.931 §5 basic call, §5.1.3 overlap sending, §5.5 RESTART,
 * ANSI T1.607 SERVICE) through pri_new_cb() frame callbacks, libpri timers
 * driven by a libuv timer, B-channel bookkeeping and the mapping of every
 * libpri event to a struct gw_pri_event. See gw/pri.h for the contract.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <uv.h>
#include <libpri.h>

#include "base/log.h"
#include "gw/pri.h"

#define MOD "pri"

/* A RESTART not acknowledged within this is sent again, then given up. */
#define RESTART_TIMEOUT_MS 5000
#define RESTART_TRIES 2
#define HOUSE_MS 250
#define SCHED_BURST 256

struct gw_pri_call {
	struct gw_pri *pri;
	q931_call *qc;
	unsigned ch;
	bool outgoing;
	bool hungup;      /* pri_hangup() already called */
	bool orphan;      /* upper layer already got RELEASE; libpri not done */
	bool responded;   /* incoming: we answered the SETUP somehow */
	bool proc_sent;   /* CALL PROCEEDING sent */
	bool sack_sent;   /* SETUP ACKNOWLEDGE sent */
	void *arg;
	struct gw_pri_call *next;
};

struct chan {
	enum gw_pri_chan_state st;
	struct gw_pri_call *call;
	uint64_t since;       /* ms, loop time of the last state change */
	bool releasing;       /* hangup sent, waiting for the peer */
	bool restart_pending; /* queued for RESTART */
	unsigned restart_tries;
};

struct gw_pri {
	struct gw_pri_conf conf;
	struct pri *ctrl;
	/* the connected number of the ANSWER being reported (on_call_ev) */
	const struct gw_pri_number *ev_connected;
	uv_loop_t *loop;
	uv_timer_t *sched;
	uv_timer_t *house;
	gw_pri_frame_h *frameh;
	gw_pri_event_h *eh;
	void *arg;
	const uint8_t *rx;
	size_t rxlen;
	bool started;
	bool up;
	bool l1_down;
	unsigned restarting;  /* timeslot of the RESTART in flight, 0 none */
	uint64_t restart_sent;
	struct chan ch[GW_PRI_MAX_TS + 1];
	struct gw_pri_call *calls;   /* every call object, incl. orphans */
	char id[16];
	FILE *cap;            /* pcap capture of D-channel frames */
	char msg[512];
	size_t msglen;
	struct gw_pri_stats stats;
};

static const char *const ev_names[GW_PRI_EV_COUNT] = {
	[GW_PRI_EV_LINK_UP] = "link-up",
	[GW_PRI_EV_LINK_DOWN] = "link-down",
	[GW_PRI_EV_SETUP] = "setup",
	[GW_PRI_EV_INFO] = "info",
	[GW_PRI_EV_KEYPAD] = "keypad",
	[GW_PRI_EV_SETUP_ACK] = "setup-ack",
	[GW_PRI_EV_PROCEEDING] = "proceeding",
	[GW_PRI_EV_ALERTING] = "alerting",
	[GW_PRI_EV_PROGRESS] = "progress",
	[GW_PRI_EV_CONNECT] = "connect",
	[GW_PRI_EV_CONNECT_ACK] = "connect-ack",
	[GW_PRI_EV_DISCONNECT] = "disconnect",
	[GW_PRI_EV_RELEASE] = "release",
	[GW_PRI_EV_NOTIFY] = "notify",
	[GW_PRI_EV_FACILITY] = "facility",
	[GW_PRI_EV_CHAN_RESTART] = "chan-restart",
	[GW_PRI_EV_RESTART_ACK] = "restart-ack",
	[GW_PRI_EV_SERVICE] = "service",
	[GW_PRI_EV_SERVICE_ACK] = "service-ack",
	[GW_PRI_EV_HOLD] = "hold",
	[GW_PRI_EV_CONFIG_ERR] = "config-error",
};

const char *gw_pri_ev_name(enum gw_pri_ev_type t)
{
	if ((unsigned)t >= GW_PRI_EV_COUNT)
		return "?";
	return ev_names[t];
}

static const struct {
	const char *name;
	enum gw_pri_switch sw;
} switches[] = {
	{ "national", GW_PRI_SW_NATIONAL },
	{ "ni2", GW_PRI_SW_NATIONAL },
	{ "ni1", GW_PRI_SW_NI1 },
	{ "dms100", GW_PRI_SW_DMS100 },
	{ "4ess", GW_PRI_SW_4ESS },
	{ "5ess", GW_PRI_SW_5ESS },
	{ "euroisdn", GW_PRI_SW_EUROISDN },
	{ "qsig", GW_PRI_SW_QSIG },
};

int gw_pri_switch_parse(const char *s, enum gw_pri_switch *sw)
{
	if (!s || !sw)
		return EINVAL;
	for (size_t i = 0; i < sizeof(switches) / sizeof(switches[0]); i++) {
		if (!strcasecmp(s, switches[i].name)) {
			*sw = switches[i].sw;
			return 0;
		}
	}
	return EINVAL;
}

const char *gw_pri_switch_name(enum gw_pri_switch sw)
{
	for (size_t i = 0; i < sizeof(switches) / sizeof(switches[0]); i++) {
		if (switches[i].sw == sw)
			return switches[i].name;
	}
	return "?";
}

bool gw_pri_switch_has_service(enum gw_pri_switch sw)
{
	/* libpri sends and answers SERVICE only for these AT&T/Lucent/NI2 */
	return sw == GW_PRI_SW_NATIONAL || sw == GW_PRI_SW_4ESS ||
	       sw == GW_PRI_SW_5ESS;
}

int gw_pri_node_parse(const char *s, enum gw_pri_node *node)
{
	if (!s || !node)
		return EINVAL;
	if (!strcasecmp(s, "net") || !strcasecmp(s, "network")) {
		*node = GW_PRI_NET;
		return 0;
	}
	if (!strcasecmp(s, "cpe") || !strcasecmp(s, "user")) {
		*node = GW_PRI_CPE;
		return 0;
	}
	return EINVAL;
}

static const struct {
	const char *name;
	int v;
} tons[] = {
	{ "unknown", GW_PRI_TON_UNKNOWN },
	{ "international", GW_PRI_TON_INTERNATIONAL },
	{ "national", GW_PRI_TON_NATIONAL },
	{ "network", GW_PRI_TON_NETWORK },
	{ "subscriber", GW_PRI_TON_SUBSCRIBER },
	{ "local", GW_PRI_TON_SUBSCRIBER },
	{ "abbreviated", GW_PRI_TON_ABBREVIATED },
}, npis[] = {
	{ "unknown", GW_PRI_NPI_UNKNOWN },
	{ "e164", GW_PRI_NPI_E164 },
	{ "isdn", GW_PRI_NPI_E164 },
	{ "x121", GW_PRI_NPI_X121 },
	{ "f69", GW_PRI_NPI_F69 },
	{ "national", GW_PRI_NPI_NATIONAL },
	{ "private", GW_PRI_NPI_PRIVATE },
};

int gw_pri_ton_parse(const char *s, enum gw_pri_ton *ton)
{
	if (!s || !ton)
		return EINVAL;
	for (size_t i = 0; i < sizeof(tons) / sizeof(tons[0]); i++) {
		if (!strcasecmp(s, tons[i].name)) {
			*ton = (enum gw_pri_ton)tons[i].v;
			return 0;
		}
	}
	return EINVAL;
}

int gw_pri_npi_parse(const char *s, enum gw_pri_npi *npi)
{
	if (!s || !npi)
		return EINVAL;
	for (size_t i = 0; i < sizeof(npis) / sizeof(npis[0]); i++) {
		if (!strcasecmp(s, npis[i].name)) {
			*npi = (enum gw_pri_npi)npis[i].v;
			return 0;
		}
	}
	return EINVAL;
}

const char *gw_pri_chan_state_name(enum gw_pri_chan_state st)
{
	switch (st) {
	case GW_PRI_CH_NONE: return "none";
	case GW_PRI_CH_DOWN: return "down";
	case GW_PRI_CH_RESTARTING: return "restarting";
	case GW_PRI_CH_IDLE: return "idle";
	case GW_PRI_CH_BUSY: return "busy";
	case GW_PRI_CH_OOS_LOCAL: return "oos-local";
	case GW_PRI_CH_OOS_REMOTE: return "oos-remote";
	}
	return "?";
}

void gw_pri_conf_init(struct gw_pri_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->node = GW_PRI_CPE;
	conf->sw = GW_PRI_SW_EUROISDN;
	conf->e1 = true;
	conf->dialplan_ton = GW_PRI_TON_UNKNOWN;
	conf->dialplan_npi = GW_PRI_NPI_E164;
	conf->localdialplan_ton = GW_PRI_TON_UNKNOWN;
	conf->localdialplan_npi = GW_PRI_NPI_E164;
	conf->restart_on_up = true;
	conf->alaw = true;
}

void gw_pri_setup_init(struct gw_pri_setup *setup)
{
	memset(setup, 0, sizeof(*setup));
	setup->called.ton = setup->called.npi = -1;
	setup->calling.ton = setup->calling.npi = -1;
	setup->redirecting.ton = setup->redirecting.npi = -1;
	setup->bearer = GW_PRI_BEARER_SPEECH;
	setup->complete = true;
}

static int libpri_switch(const struct gw_pri_conf *c)
{
	switch (c->sw) {
	case GW_PRI_SW_NATIONAL: return PRI_SWITCH_NI2;
	case GW_PRI_SW_NI1: return PRI_SWITCH_NI1;
	case GW_PRI_SW_DMS100: return PRI_SWITCH_DMS100;
	case GW_PRI_SW_4ESS: return PRI_SWITCH_ATT4ESS;
	case GW_PRI_SW_5ESS: return PRI_SWITCH_LUCENT5E;
	case GW_PRI_SW_EUROISDN:
		return c->e1 ? PRI_SWITCH_EUROISDN_E1 : PRI_SWITCH_EUROISDN_T1;
	case GW_PRI_SW_QSIG: return PRI_SWITCH_QSIG;
	}
	return -1;
}

static unsigned libpri_trace(unsigned trace)
{
	unsigned d = 0;

	if (trace & GW_PRI_TRACE_Q931)
		d |= PRI_DEBUG_Q931_DUMP | PRI_DEBUG_Q931_STATE |
		     PRI_DEBUG_Q931_ANOMALY;
	if (trace & GW_PRI_TRACE_Q921)
		d |= PRI_DEBUG_Q921_DUMP | PRI_DEBUG_Q921_STATE;
	if (trace & GW_PRI_TRACE_RAW)
		d |= PRI_DEBUG_Q921_RAW;
	return d;
}

static uint32_t default_bchans(bool e1)
{
	uint32_t m = 0;

	if (e1) {
		for (unsigned ts = 1; ts <= 31; ts++)
			if (ts != 16)
				m |= 1u << ts;
	} else {
		for (unsigned ts = 1; ts <= 23; ts++)
			m |= 1u << ts;
	}
	return m;
}

static bool is_bchan(const struct gw_pri *p, unsigned ts)
{
	return ts >= 1 && ts <= GW_PRI_MAX_TS && (p->conf.bchans & (1u << ts));
}

/* Copy a string, truncating to the destination (always terminated). */
static void strcopy(char *dst, size_t sz, const char *src)
{
	size_t n = 0;

	while (n + 1 < sz && src[n])
		n++;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- logging from libpri (process-wide hooks, per-instance buffers) --- */

static void libpri_text(struct pri *ctrl, char *s, enum log_level lvl)
{
	struct gw_pri *p = ctrl ? pri_get_userdata(ctrl) : NULL;

	if (!p) {
		/* libpri calls this without a span for some global errors */
		log_msg(lvl, MOD, NULL, "%s", s);
		return;
	}
	/* libpri emits trace lines in pieces: assemble up to each newline */
	for (; *s; s++) {
		if (*s == '\n' || p->msglen >= sizeof(p->msg) - 1) {
			p->msg[p->msglen] = '\0';
			if (p->msglen)
				log_msg(lvl, MOD, p->id, "%s", p->msg);
			p->msglen = 0;
			if (*s == '\n')
				continue;
		}
		p->msg[p->msglen++] = *s;
	}
}

static void libpri_message(struct pri *ctrl, char *s)
{
	libpri_text(ctrl, s, LOGL_INFO);
}

static void libpri_error(struct pri *ctrl, char *s)
{
	libpri_text(ctrl, s, LOGL_WARN);
}

/* ---- frame I/O ---- */

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* One pcap record: timestamp, lengths, the frame as on the wire. */
static void capture(struct gw_pri *p, const uint8_t *frame, size_t len)
{
	uint8_t rec[16];
	struct timeval tv;

	if (!p->cap)
		return;
	gettimeofday(&tv, NULL);
	put_le32(rec, (uint32_t)tv.tv_sec);
	put_le32(rec + 4, (uint32_t)tv.tv_usec);
	put_le32(rec + 8, (uint32_t)len);
	put_le32(rec + 12, (uint32_t)len);
	if (fwrite(rec, 1, sizeof(rec), p->cap) != sizeof(rec) ||
	    fwrite(frame, 1, len, p->cap) != len) {
		LOGW(MOD, "span %u: capture write failed; capture stopped",
		     p->conf.span);
		fclose(p->cap);
		p->cap = NULL;
		return;
	}
	fflush(p->cap);
}

int gw_pri_set_capture(struct gw_pri *pri, const char *path)
{
	/* pcap file header: magic, 2.4, GMT offset, accuracy, snaplen,
	 * link type 147 (USER0) */
	uint8_t hdr[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };
	FILE *f;

	if (!pri)
		return EINVAL;
	if (pri->cap) {
		fclose(pri->cap);
		pri->cap = NULL;
	}
	if (!path)
		return 0;
	f = fopen(path, "wb");
	if (!f)
		return errno;
	put_le32(hdr + 16, 65535);
	put_le32(hdr + 20, 147);
	if (fwrite(hdr, 1, sizeof(hdr), f) != sizeof(hdr)) {
		fclose(f);
		return EIO;
	}
	fflush(f);
	pri->cap = f;
	return 0;
}

static int io_read(struct pri *ctrl, void *buf, int buflen)
{
	struct gw_pri *p = pri_get_userdata(ctrl);
	size_t n;

	if (!p || !p->rx)
		return 0;
	n = p->rxlen;
	/* libpri expects the two FCS octets a HDLC driver leaves in place */
	if (n + 2 > (size_t)buflen)
		n = (size_t)buflen - 2;
	memcpy(buf, p->rx, n);
	memset((uint8_t *)buf + n, 0, 2);
	p->rx = NULL;
	p->rxlen = 0;
	return (int)n + 2;
}

static int io_write(struct pri *ctrl, void *buf, int buflen)
{
	struct gw_pri *p = pri_get_userdata(ctrl);
	int err;

	if (!p || buflen < 2)
		return -1;
	if (p->l1_down)
		return buflen;   /* dropped; LAPD will retransmit */
	/* libpri leaves room for an FCS the hardware would compute */
	capture(p, buf, (size_t)buflen - 2);
	err = p->frameh((const uint8_t *)buf, (size_t)buflen - 2, p->arg);
	if (err) {
		LOGD(MOD, "span %u: frame write: %s", p->conf.span,
		     strerror(err));
		return buflen;
	}
	p->stats.frames_tx++;
	return buflen;
}

/* ---- timers ---- */

static void handle_event(struct gw_pri *p, pri_event *e);
static void sched_arm(struct gw_pri *p);

static void sched_run(struct gw_pri *p)
{
	pri_event *e;

	for (unsigned i = 0; i < SCHED_BURST && p->ctrl; i++) {
		e = pri_schedule_run(p->ctrl);
		if (!e)
			break;
		handle_event(p, e);
	}
	sched_arm(p);
}

static void sched_cb(uv_timer_t *t)
{
	sched_run(t->data);
}

static void sched_arm(struct gw_pri *p)
{
	struct timeval *tv, now;
	int64_t ms;

	if (!p->ctrl || !p->started)
		return;
	tv = pri_schedule_next(p->ctrl);
	if (!tv) {
		uv_timer_stop(p->sched);
		return;
	}
	gettimeofday(&now, NULL);
	ms = (int64_t)(tv->tv_sec - now.tv_sec) * 1000 +
	     (tv->tv_usec - now.tv_usec) / 1000;
	if (ms < 0)
		ms = 0;
	uv_timer_start(p->sched, sched_cb, (uint64_t)ms, 0);
}

/* ---- channels and calls ---- */

#define CS(x) (1u << GW_PRI_CH_##x)
/*
 * Legal B-channel state transitions: chan_next[from] is the set of states
 * a channel may move to. A channel taken out of service locally only
 * comes back through SERVICE (in service); a busy channel is freed by its
 * call's release, a RESTART or the loss of the link.
 */
static const unsigned chan_next[] = {
	[GW_PRI_CH_NONE] = 0,
	[GW_PRI_CH_DOWN] = CS(DOWN) | CS(RESTARTING) | CS(IDLE),
	[GW_PRI_CH_RESTARTING] = CS(RESTARTING) | CS(IDLE) | CS(BUSY) |
				 CS(DOWN) | CS(OOS_LOCAL) | CS(OOS_REMOTE),
	[GW_PRI_CH_IDLE] = CS(IDLE) | CS(BUSY) | CS(RESTARTING) | CS(DOWN) |
			   CS(OOS_LOCAL) | CS(OOS_REMOTE),
	[GW_PRI_CH_BUSY] = CS(BUSY) | CS(IDLE) | CS(RESTARTING) | CS(DOWN),
	[GW_PRI_CH_OOS_LOCAL] = CS(OOS_LOCAL) | CS(IDLE),
	[GW_PRI_CH_OOS_REMOTE] = CS(OOS_REMOTE) | CS(IDLE) | CS(RESTARTING) |
				 CS(DOWN) | CS(OOS_LOCAL),
};
#undef CS

/* Move a channel through the table; an illegal move is logged, counted
 * and refused. */
static bool chan_set(struct gw_pri *p, unsigned ts,
		     enum gw_pri_chan_state st)
{
	enum gw_pri_chan_state from;

	if (!is_bchan(p, ts))
		return false;
	from = p->ch[ts].st;
	if (!(chan_next[from] & (1u << st))) {
		LOGW(MOD, "span %u ts %u: illegal channel transition %s -> %s "
		     "refused", p->conf.span, ts, gw_pri_chan_state_name(from),
		     gw_pri_chan_state_name(st));
		p->stats.illegal_transitions++;
		return false;
	}
	if (from != st)
		LOGD(MOD, "span %u ts %u: %s -> %s", p->conf.span, ts,
		     gw_pri_chan_state_name(from),
		     gw_pri_chan_state_name(st));
	p->ch[ts].st = st;
	p->ch[ts].since = uv_now(p->loop);
	return true;
}

static void emit(struct gw_pri *p, struct gw_pri_event *ev)
{
	LOGD(MOD, "span %u: event %s ch %u cause %d", p->conf.span,
	     gw_pri_ev_name(ev->type), ev->channel, ev->cause);
	if (p->eh)
		p->eh(ev, p->arg);
}

static struct gw_pri_call *call_new(struct gw_pri *p, q931_call *qc,
				    unsigned ts, bool outgoing)
{
	struct gw_pri_call *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->pri = p;
	c->qc = qc;
	c->ch = ts;
	c->outgoing = outgoing;
	c->next = p->calls;
	p->calls = c;
	p->ch[ts].call = c;
	p->ch[ts].releasing = false;
	chan_set(p, ts, GW_PRI_CH_BUSY);
	return c;
}

static struct gw_pri_call *call_find(struct gw_pri *p, q931_call *qc)
{
	for (struct gw_pri_call *c = p->calls; c; c = c->next)
		if (qc && c->qc == qc)
			return c;
	return NULL;
}

static void call_unlink(struct gw_pri *p, struct gw_pri_call *c)
{
	for (struct gw_pri_call **pp = &p->calls; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
}

/* Detach a call from its channel; the channel becomes idle (or stays in
 * whatever non-busy state the span is in). */
static void call_free_channel(struct gw_pri *p, struct gw_pri_call *c)
{
	unsigned ts = c->ch;

	if (is_bchan(p, ts) && p->ch[ts].call == c) {
		p->ch[ts].call = NULL;
		p->ch[ts].releasing = false;
		if (p->ch[ts].st == GW_PRI_CH_BUSY)
			chan_set(p, ts, p->up ? GW_PRI_CH_IDLE : GW_PRI_CH_DOWN);
	}
}

/* Tell the upper layer the call is over, free its channel. If libpri still
 * holds the call, keep the object as an orphan until libpri lets go. */
static void call_release(struct gw_pri *p, struct gw_pri_call *c, int cause,
			 bool libpri_done)
{
	struct gw_pri_event ev = { .type = GW_PRI_EV_RELEASE, .call = c,
				   .channel = c->ch, .cause = cause };

	call_free_channel(p, c);
	if (!c->orphan) {
		c->orphan = true;
		emit(p, &ev);
	}
	if (libpri_done) {
		call_unlink(p, c);
		free(c);
	}
}

static unsigned pick_channel(struct gw_pri *p)
{
	if (p->conf.node == GW_PRI_NET) {
		for (unsigned ts = GW_PRI_MAX_TS; ts >= 1; ts--)
			if (is_bchan(p, ts) && p->ch[ts].st == GW_PRI_CH_IDLE)
				return ts;
	} else {
		for (unsigned ts = 1; ts <= GW_PRI_MAX_TS; ts++)
			if (is_bchan(p, ts) && p->ch[ts].st == GW_PRI_CH_IDLE)
				return ts;
	}
	return 0;
}

/* ---- RESTART queue: one RESTART in flight at a time ---- */

static void restart_next(struct gw_pri *p)
{
	if (!p->up || p->restarting)
		return;
	for (unsigned ts = 1; ts <= GW_PRI_MAX_TS; ts++) {
		if (!is_bchan(p, ts) || !p->ch[ts].restart_pending)
			continue;
		p->ch[ts].restart_pending = false;
		if (pri_reset(p->ctrl, (int)ts)) {
			LOGW(MOD, "span %u ts %u: RESTART not sent",
			     p->conf.span, ts);
			chan_set(p, ts, GW_PRI_CH_IDLE);
			continue;
		}
		p->stats.restarts_tx++;
		p->restarting = ts;
		p->restart_sent = uv_now(p->loop);
		return;
	}
}

static void restart_queue(struct gw_pri *p, unsigned ts)
{
	p->ch[ts].restart_pending = true;
	p->ch[ts].restart_tries = 0;
	chan_set(p, ts, GW_PRI_CH_RESTARTING);
}

static void restart_done(struct gw_pri *p, unsigned ts)
{
	if (is_bchan(p, ts) && p->ch[ts].st == GW_PRI_CH_RESTARTING &&
	    !p->ch[ts].call)
		chan_set(p, ts, GW_PRI_CH_IDLE);
	if (p->restarting == ts)
		p->restarting = 0;
	restart_next(p);
}

/* ---- link state ---- */

static void link_down(struct gw_pri *p, int cause)
{
	struct gw_pri_event ev = { .type = GW_PRI_EV_LINK_DOWN,
				   .cause = cause };
	bool was_up = p->up;
	struct gw_pri_call *c, *next;

	p->up = false;
	p->restarting = 0;
	/*
	 * With T309 off, libpri itself cancels its calls after a data link
	 * release; the upper layer hears about each call now, and our objects
	 * wait as orphans for libpri's own HANGUP so no pointer dangles.
	 */
	for (c = p->calls; c; c = next) {
		next = c->next;
		if (!c->orphan)
			call_release(p, c, cause, false);
	}
	for (unsigned ts = 1; ts <= GW_PRI_MAX_TS; ts++) {
		if (!is_bchan(p, ts))
			continue;
		p->ch[ts].restart_pending = false;
		if (p->ch[ts].st != GW_PRI_CH_OOS_LOCAL)
			chan_set(p, ts, GW_PRI_CH_DOWN);
	}
	if (was_up) {
		p->stats.link_downs++;
		LOGW(MOD, "span %u: D-channel down", p->conf.span);
		emit(p, &ev);
	}
}

/* Drop orphans libpri never released (the link went down under them). */
static void orphans_reap(struct gw_pri *p)
{
	struct gw_pri_call *c, *next;

	for (c = p->calls; c; c = next) {
		next = c->next;
		if (!c->orphan)
			continue;
		if (c->qc && p->ctrl)
			pri_destroycall(p->ctrl, c->qc);
		call_unlink(p, c);
		free(c);
	}
}

static void link_up(struct gw_pri *p)
{
	struct gw_pri_event ev = { .type = GW_PRI_EV_LINK_UP };

	if (p->up)
		return;
	p->up = true;
	p->stats.link_ups++;
	orphans_reap(p);
	LOGN(MOD, "span %u: D-channel up (%s, %s)", p->conf.span,
	     gw_pri_switch_name(p->conf.sw),
	     p->conf.node == GW_PRI_NET ? "net" : "cpe");
	for (unsigned ts = 1; ts <= GW_PRI_MAX_TS; ts++) {
		if (!is_bchan(p, ts) || p->ch[ts].st == GW_PRI_CH_OOS_LOCAL)
			continue;
		if (p->ch[ts].call)
			continue;
		if (p->conf.restart_on_up)
			restart_queue(p, ts);
		else
			chan_set(p, ts, GW_PRI_CH_IDLE);
	}
	emit(p, &ev);
	restart_next(p);
}

/* ---- libpri events ---- */

/* libpri's progress mask as Q.931 progress description bits */
static unsigned pi_bits(int mask)
{
	static const struct {
		int lp;
		unsigned pi;
	} map[] = {
		{ PRI_PROG_CALL_NOT_E2E_ISDN, GW_PRI_PI_NOT_E2E_ISDN },
		{ PRI_PROG_CALLED_NOT_ISDN, GW_PRI_PI_DEST_NOT_ISDN },
		{ PRI_PROG_CALLER_NOT_ISDN, GW_PRI_PI_ORIG_NOT_ISDN },
		{ PRI_PROG_CALLER_RETURNED_TO_ISDN, GW_PRI_PI_RETURNED_ISDN },
		{ PRI_PROG_INTERWORKING_WITH_PUBLIC, GW_PRI_PI_INTERWORKING },
		{ PRI_PROG_INBAND_AVAILABLE, GW_PRI_PI_INBAND },
	};
	unsigned pi = 0;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (mask & map[i].lp)
			pi |= map[i].pi;
	return pi;
}

static unsigned ev_chan(int channel)
{
	if (channel < 0)
		return 0;
	channel &= 0xff;
	return channel == 0xff ? 0 : (unsigned)channel;
}

static void fill_number(struct gw_pri_number *n, const char *num, int plan,
			int pres)
{
	strcopy(n->num, sizeof(n->num), num);
	n->ton = (plan >> 4) & 0x7;
	n->npi = plan & 0xf;
	switch (pres & PRI_PRES_RESTRICTION) {
	case PRI_PRES_RESTRICTED: n->pres = GW_PRI_PRES_RESTRICTED; break;
	case PRI_PRES_UNAVAILABLE: n->pres = GW_PRI_PRES_UNAVAILABLE; break;
	default: n->pres = GW_PRI_PRES_ALLOWED; break;
	}
	n->screen = (enum gw_pri_screen)(pres & PRI_PRES_NUMBER_TYPE);
}

static enum gw_pri_bearer bearer_from(int ctype)
{
	switch (ctype) {
	case PRI_TRANS_CAP_DIGITAL:
	case PRI_TRANS_CAP_RESTRICTED_DIGITAL:
		return GW_PRI_BEARER_UDI;
	case PRI_TRANS_CAP_3_1K_AUDIO:
		return GW_PRI_BEARER_AUDIO_3K1;
	default:
		return GW_PRI_BEARER_SPEECH;
	}
}

/*
 * Refuse an incoming SETUP with a cause. libpri sends nothing for a
 * hangup in the Call Present state, so the call is first acknowledged
 * with CALL PROCEEDING and then cleared with DISCONNECT (Q.931 §5.3.2).
 */
static void reject(struct gw_pri *p, q931_call *qc, int channel, int cause)
{
	pri_proceeding(p->ctrl, qc, channel > 0 ? channel : 0, 0);
	pri_hangup(p->ctrl, qc, cause);
}

static void on_ring(struct gw_pri *p, const pri_event_ring *r)
{
	struct gw_pri_setup s;
	struct gw_pri_event ev = { .type = GW_PRI_EV_SETUP };
	unsigned ts = ev_chan(r->channel);
	struct gw_pri_call *c;

	if (!p->up) {
		reject(p, r->call, r->channel, PRI_CAUSE_NETWORK_OUT_OF_ORDER);
		return;
	}
	if (ts && !is_bchan(p, ts)) {
		LOGW(MOD, "span %u: SETUP for ts %u which is no B-channel",
		     p->conf.span, ts);
		reject(p, r->call, r->channel, PRI_CAUSE_CHANNEL_UNACCEPTABLE);
		return;
	}
	/* A RESTARTING channel is free on the far side once it sends us a
	 * SETUP on it; anything else busy is glare or a stuck channel. */
	if (ts && p->ch[ts].st != GW_PRI_CH_IDLE &&
	    !(p->ch[ts].st == GW_PRI_CH_RESTARTING && !p->ch[ts].call)) {
		if (!r->flexible) {
			LOGN(MOD, "span %u: SETUP on busy ts %u (%s): cause 44",
			     p->conf.span, ts,
			     gw_pri_chan_state_name(p->ch[ts].st));
			reject(p, r->call, r->channel, PRI_CAUSE_REQUESTED_CHAN_UNAVAIL);
			return;
		}
		ts = 0;
	}
	if (!ts) {
		ts = pick_channel(p);
		if (!ts) {
			reject(p, r->call, r->channel, PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION);
			return;
		}
	}
	if (p->ch[ts].restart_pending)
		p->ch[ts].restart_pending = false;
	c = call_new(p, r->call, ts, false);
	if (!c) {
		reject(p, r->call, r->channel, PRI_CAUSE_RESOURCE_UNAVAIL_UNSPECIFIED);
		return;
	}
	p->stats.calls_in++;
	gw_pri_setup_init(&s);
	s.channel = ts;
	s.exclusive = !r->flexible;
	fill_number(&s.called, r->callednum, r->calledplan, 0);
	fill_number(&s.calling, r->callingnum, r->callingplan, r->callingpres);
	strcopy(s.calling_name, sizeof(s.calling_name),
		r->calling.name.valid ? r->calling.name.str : r->callingname);
	if (r->redirectingnum[0]) {
		fill_number(&s.redirecting, r->redirectingnum,
			    r->callingplanrdnis, 0);
		s.redirect_reason =
			(enum gw_pri_redir_reason)r->redirectingreason;
	}
	s.bearer = bearer_from(r->ctype);
	/* Without overlap receiving the number in SETUP is all there is */
	s.complete = r->complete != 0 || !p->conf.overlapdial;
	/*
	 * Answer the SETUP at once (Q.931 §5.2.5): SETUP ACK when more digits
	 * may follow, else CALL PROCEEDING. libpri keeps a call it has not
	 * answered out of its event flow (a DISCONNECT from the caller would
	 * be handled silently), so a call must be acknowledged before the
	 * upper layer gets it.
	 */
	c->responded = true;
	if (!s.complete) {
		c->sack_sent = true;
		pri_setup_ack(p->ctrl, r->call, (int)ts,
			      p->conf.interworking, 0);
	} else {
		c->proc_sent = true;
		pri_proceeding(p->ctrl, r->call, (int)ts, 0);
	}
	ev.call = c;
	ev.channel = ts;
	ev.setup = &s;
	ev.inband = (r->progressmask & PRI_PROG_INBAND_AVAILABLE) != 0;
	ev.pi = pi_bits(r->progressmask);
	emit(p, &ev);
}

/* Call events shared by several libpri event types. */
static void on_call_ev(struct gw_pri *p, enum gw_pri_ev_type t, q931_call *qc,
		       int channel, int cause, int progressmask,
		       const char *digits, int info)
{
	struct gw_pri_call *c = call_find(p, qc);
	struct gw_pri_event ev = { .type = t, .call = c, .cause = cause,
				   .digits = digits, .info = info };

	if (!c || c->orphan) {
		LOGD(MOD, "span %u: %s for a call we do not know",
		     p->conf.span, gw_pri_ev_name(t));
		return;
	}
	/* The network may move an outgoing call to another channel */
	if (ev_chan(channel) && ev_chan(channel) != c->ch &&
	    is_bchan(p, ev_chan(channel)) && c->outgoing &&
	    p->ch[ev_chan(channel)].st == GW_PRI_CH_IDLE) {
		unsigned nts = ev_chan(channel);

		call_free_channel(p, c);
		c->ch = nts;
		p->ch[nts].call = c;
		chan_set(p, nts, GW_PRI_CH_BUSY);
	}
	ev.channel = c->ch;
	ev.inband = (progressmask & PRI_PROG_INBAND_AVAILABLE) != 0;
	ev.pi = pi_bits(progressmask);
	ev.connected = p->ev_connected;
	emit(p, &ev);
}

static void on_hangup(struct gw_pri *p, q931_call *qc, int cause, bool ack)
{
	struct gw_pri_call *c = call_find(p, qc);

	if (!c) {
		/* libpri's own call (e.g. refused SETUP): let it go */
		if (!ack && qc)
			pri_hangup(p->ctrl, qc, cause);
		return;
	}
	if (!ack) {
		/*
		 * Q.931 §5.3.3/5.3.4: the peer sent RELEASE (or RELEASE
		 * COMPLETE). libpri answers RELEASE and frees its record only
		 * when told to hang up now, even if we sent DISCONNECT before.
		 */
		c->hungup = true;
		pri_hangup(p->ctrl, qc, cause);
	}
	call_release(p, c, cause, true);
}

static void on_restart(struct gw_pri *p, int channel)
{
	struct gw_pri_event ev = { .type = GW_PRI_EV_CHAN_RESTART };
	unsigned ts = ev_chan(channel);
	unsigned lo = ts ? ts : 1, hi = ts ? ts : GW_PRI_MAX_TS;

	p->stats.restarts_rx++;
	/* Q.931 §5.5.3: the channel returns to idle; calls on it are gone */
	for (unsigned i = lo; i <= hi; i++) {
		struct gw_pri_call *c;

		if (!is_bchan(p, i))
			continue;
		c = p->ch[i].call;
		if (c) {
			if (c->qc)
				pri_destroycall(p->ctrl, c->qc);
			c->qc = NULL;
			call_release(p, c,
				     PRI_CAUSE_NORMAL_TEMPORARY_FAILURE, true);
		}
		/*
		 * The peer restarted it: it is idle at both ends now, which
		 * is what our own RESTART of it (if any, possibly crossing
		 * this one on the link) was for.
		 */
		p->ch[i].restart_pending = false;
		if (p->ch[i].st == GW_PRI_CH_BUSY ||
		    p->ch[i].st == GW_PRI_CH_DOWN ||
		    p->ch[i].st == GW_PRI_CH_RESTARTING)
			chan_set(p, i, GW_PRI_CH_IDLE);
		if (p->restarting == i)
			p->restarting = 0;
	}
	ev.channel = ts;
	emit(p, &ev);
	restart_next(p);
}

static void on_service(struct gw_pri *p, int channel, int status, bool ack)
{
	struct gw_pri_event ev = { .type = ack ? GW_PRI_EV_SERVICE_ACK :
						 GW_PRI_EV_SERVICE,
				   .info = status };
	unsigned ts = ev_chan(channel);

	ev.channel = ts;
	if (!ack && is_bchan(p, ts)) {
		/* changestatus 0 = in service, 1 = maintenance, 2 = out */
		if (status == 0 && p->ch[ts].st == GW_PRI_CH_OOS_REMOTE)
			chan_set(p, ts, GW_PRI_CH_IDLE);
		else if (status != 0 && !p->ch[ts].call &&
			 p->ch[ts].st != GW_PRI_CH_OOS_LOCAL)
			chan_set(p, ts, GW_PRI_CH_OOS_REMOTE);
	}
	emit(p, &ev);
}

static void handle_event(struct gw_pri *p, pri_event *e)
{
	switch (e->e) {
	case PRI_EVENT_DCHAN_UP:
		link_up(p);
		break;
	case PRI_EVENT_DCHAN_DOWN:
		link_down(p, PRI_CAUSE_NETWORK_OUT_OF_ORDER);
		break;
	case PRI_EVENT_RESTART:
		on_restart(p, e->restart.channel);
		break;
	case PRI_EVENT_RESTART_ACK: {
		struct gw_pri_event ev = { .type = GW_PRI_EV_RESTART_ACK,
			.channel = ev_chan(e->restartack.channel) };
		unsigned ts = ev.channel ? ev.channel : p->restarting;

		emit(p, &ev);
		restart_done(p, ts);
		break;
	}
	case PRI_EVENT_CONFIG_ERR: {
		struct gw_pri_event ev = { .type = GW_PRI_EV_CONFIG_ERR };

		LOGW(MOD, "span %u: libpri: %s", p->conf.span, e->err.err);
		emit(p, &ev);
		break;
	}
	case PRI_EVENT_RING:
		on_ring(p, &e->ring);
		break;
	case PRI_EVENT_INFO_RECEIVED:
		on_call_ev(p, GW_PRI_EV_INFO, e->ring.call, e->ring.channel,
			   0, 0, e->ring.callednum, 0);
		break;
	case PRI_EVENT_KEYPAD_DIGIT:
		on_call_ev(p, GW_PRI_EV_KEYPAD, e->digit.call, e->digit.channel,
			   0, 0, e->digit.digits, 0);
		break;
	case PRI_EVENT_SETUP_ACK:
		on_call_ev(p, GW_PRI_EV_SETUP_ACK, e->setup_ack.call,
			   e->setup_ack.channel, 0, e->setup_ack.progressmask,
			   NULL, 0);
		break;
	case PRI_EVENT_PROCEEDING:
		on_call_ev(p, GW_PRI_EV_PROCEEDING, e->proceeding.call,
			   e->proceeding.channel, 0,
			   e->proceeding.progressmask, NULL, 0);
		break;
	case PRI_EVENT_PROGRESS:
		on_call_ev(p, GW_PRI_EV_PROGRESS, e->proceeding.call,
			   e->proceeding.channel,
			   e->proceeding.cause > 0 ? e->proceeding.cause : 0,
			   e->proceeding.progressmask, NULL, 0);
		break;
	case PRI_EVENT_RINGING:
		on_call_ev(p, GW_PRI_EV_ALERTING, e->ringing.call,
			   e->ringing.channel, 0, e->ringing.progressmask,
			   NULL, 0);
		break;
	case PRI_EVENT_ANSWER: {
		/* COLP: the connected number of the CONNECT (Q.951.5) */
		struct gw_pri_number cn;
		const struct pri_subcommands *sc = e->answer.subcmds;
		memset(&cn, 0, sizeof(cn));
		for (int i = 0; sc && i < sc->counter_subcmd && i < PRI_MAX_SUBCOMMANDS; i++) {
			const struct pri_party_number *pn =
				&sc->subcmd[i].u.connected_line.id.number;
			if (sc->subcmd[i].cmd != PRI_SUBCMD_CONNECTED_LINE ||
			    !pn->valid || !pn->str[0])
				continue;
			fill_number(&cn, pn->str, pn->plan, pn->presentation);
			p->ev_connected = &cn;
		}
		on_call_ev(p, GW_PRI_EV_CONNECT, e->answer.call,
			   e->answer.channel, 0, e->answer.progressmask,
			   NULL, 0);
		p->ev_connected = NULL;
		break;
	}
	case PRI_EVENT_CONNECT_ACK:
		on_call_ev(p, GW_PRI_EV_CONNECT_ACK, e->connect_ack.call,
			   e->connect_ack.channel, 0, 0, NULL, 0);
		break;
	case PRI_EVENT_HANGUP_REQ:
		on_call_ev(p, GW_PRI_EV_DISCONNECT, e->hangup.call,
			   e->hangup.channel, e->hangup.cause,
			   0, NULL, 0);
		break;
	case PRI_EVENT_HANGUP:
		on_hangup(p, e->hangup.call, e->hangup.cause, false);
		break;
	case PRI_EVENT_HANGUP_ACK:
		on_hangup(p, e->hangup.call, e->hangup.cause, true);
		break;
	case PRI_EVENT_NOTIFY:
		on_call_ev(p, GW_PRI_EV_NOTIFY, e->notify.call,
			   e->notify.channel, 0, 0, NULL, e->notify.info);
		break;
	case PRI_EVENT_FACILITY:
		on_call_ev(p, GW_PRI_EV_FACILITY, e->facility.call,
			   e->facility.channel, 0, 0, NULL, 0);
		break;
	case PRI_EVENT_SERVICE:
		on_service(p, e->service.channel, e->service.changestatus,
			   false);
		break;
	case PRI_EVENT_SERVICE_ACK:
		on_service(p, e->service_ack.channel,
			   e->service_ack.changestatus, true);
		break;
	case PRI_EVENT_HOLD:
		/* Hold is not offered (pri_hold_enable is off); refuse */
		pri_hold_rej(p->ctrl, e->hold.call,
			     PRI_CAUSE_FACILITY_NOT_IMPLEMENTED);
		on_call_ev(p, GW_PRI_EV_HOLD, e->hold.call, e->hold.channel,
			   PRI_CAUSE_FACILITY_NOT_IMPLEMENTED, 0, NULL, 0);
		break;
	case PRI_EVENT_RETRIEVE:
		pri_retrieve_rej(p->ctrl, e->retrieve.call,
				 PRI_CAUSE_FACILITY_NOT_IMPLEMENTED);
		on_call_ev(p, GW_PRI_EV_HOLD, e->retrieve.call,
			   e->retrieve.channel,
			   PRI_CAUSE_FACILITY_NOT_IMPLEMENTED, 0, NULL, 1);
		break;
	case PRI_EVENT_HOLD_ACK:
	case PRI_EVENT_HOLD_REJ:
	case PRI_EVENT_RETRIEVE_ACK:
	case PRI_EVENT_RETRIEVE_REJ:
		/* We never send HOLD/RETRIEVE: a reply is a peer anomaly */
		p->stats.unknown_events++;
		LOGW(MOD, "span %u: unexpected %s", p->conf.span,
		     pri_event2str(e->e));
		break;
	default:
		p->stats.unknown_events++;
		LOGW(MOD, "span %u: unknown libpri event %d (%s)",
		     p->conf.span, e->e, pri_event2str(e->e));
		break;
	}
}

/* ---- housekeeping: RESTART timeouts, stuck channels ---- */

static void house_cb(uv_timer_t *t)
{
	struct gw_pri *p = t->data;
	uint64_t now = uv_now(p->loop);
	unsigned stuck = p->conf.stuck_ms ? p->conf.stuck_ms : 30000;

	if (!p->up)
		return;
	if (p->restarting &&
	    now - p->restart_sent >= RESTART_TIMEOUT_MS) {
		unsigned ts = p->restarting;

		p->restarting = 0;
		if (++p->ch[ts].restart_tries < RESTART_TRIES) {
			LOGN(MOD, "span %u ts %u: no RESTART ACK, again",
			     p->conf.span, ts);
			p->ch[ts].restart_pending = true;
		} else {
			LOGW(MOD, "span %u ts %u: no RESTART ACK; channel "
			     "assumed idle", p->conf.span, ts);
			if (p->ch[ts].st == GW_PRI_CH_RESTARTING)
				chan_set(p, ts, GW_PRI_CH_IDLE);
		}
		restart_next(p);
	}
	for (unsigned ts = 1; ts <= GW_PRI_MAX_TS; ts++) {
		struct gw_pri_call *c = p->ch[ts].call;

		if (!is_bchan(p, ts) || !c || !p->ch[ts].releasing)
			continue;
		if (now - p->ch[ts].since < stuck)
			continue;
		/* Q.931 §5.5.1: a channel that never came back is RESTARTed */
		LOGW(MOD, "span %u ts %u: release stuck; RESTART",
		     p->conf.span, ts);
		if (c->qc)
			pri_destroycall(p->ctrl, c->qc);
		c->qc = NULL;
		call_release(p, c, PRI_CAUSE_NORMAL_TEMPORARY_FAILURE, true);
		restart_queue(p, ts);
	}
	restart_next(p);
	sched_arm(p);
}

/* ---- public ---- */

int gw_pri_alloc(struct gw_pri **prip, struct uv_loop_s *loop,
		 const struct gw_pri_conf *conf, gw_pri_frame_h *frameh,
		 gw_pri_event_h *eh, void *arg)
{
	struct gw_pri *p;
	int sw, err = 0;

	if (!prip || !loop || !conf || !frameh)
		return EINVAL;
	sw = libpri_switch(conf);
	if (sw < 0 || (conf->node != GW_PRI_NET && conf->node != GW_PRI_CPE))
		return EINVAL;
	if (conf->bchans & ~((conf->e1 ? 0xfffffffeu : 0x01fffffeu)))
		return EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return ENOMEM;
	p->conf = *conf;
	if (!p->conf.bchans)
		p->conf.bchans = default_bchans(conf->e1);
	p->loop = loop;
	p->frameh = frameh;
	p->eh = eh;
	p->arg = arg;
	snprintf(p->id, sizeof(p->id), "span%u", conf->span);
	p->sched = calloc(1, sizeof(*p->sched));
	p->house = calloc(1, sizeof(*p->house));
	if (!p->sched || !p->house) {
		err = ENOMEM;
		goto out;
	}
	uv_timer_init(loop, p->sched);
	uv_timer_init(loop, p->house);
	p->sched->data = p;
	p->house->data = p;
	for (unsigned ts = 1; ts <= GW_PRI_MAX_TS; ts++)
		p->ch[ts].st = is_bchan(p, ts) ? GW_PRI_CH_DOWN :
						 GW_PRI_CH_NONE;
	/* libpri's hooks are process-wide; each line finds its span back
	 * through the pri's userdata. */
	pri_set_message(libpri_message);
	pri_set_error(libpri_error);
 out:
	if (err) {
		if (p->sched && p->sched->data)
			uv_close((uv_handle_t *)p->sched, (uv_close_cb)free);
		else
			free(p->sched);
		if (p->house && p->house->data)
			uv_close((uv_handle_t *)p->house, (uv_close_cb)free);
		else
			free(p->house);
		free(p);
		return err;
	}
	*prip = p;
	return 0;
}

static int ctrl_create(struct gw_pri *p)
{
	struct pri *ctrl;

	ctrl = pri_new_cb(-1, p->conf.node == GW_PRI_NET ? PRI_NETWORK :
			  PRI_CPE, libpri_switch(&p->conf), io_read, io_write,
			  p);
	if (!ctrl)
		return ENOMEM;
	pri_set_debug(ctrl, (int)libpri_trace(p->conf.trace));
	pri_set_overlapdial(ctrl, p->conf.overlapdial);
	pri_hangup_fix_enable(ctrl, 1);
	pri_set_chan_mapping_logical(ctrl, 0);
	pri_persistent_layer2_option(ctrl, PRI_L2_PERSISTENCE_KEEP_UP);
	pri_set_inbanddisconnect(ctrl, 0);
	/* Calling name travels in FACILITY (ETSI/QSIG ROSE) or DISPLAY */
	pri_facility_enable(ctrl);
	pri_display_options_send(ctrl, PRI_DISPLAY_OPTION_NAME_INITIAL);
	pri_display_options_receive(ctrl, PRI_DISPLAY_OPTION_NAME_INITIAL);
	if (p->conf.service_msgs && gw_pri_switch_has_service(p->conf.sw))
		pri_set_service_message_support(ctrl, 1);
	/* We clear calls ourselves on a link failure (see link_down) */
	pri_set_timer(ctrl, PRI_TIMER_T309, -1);
	p->ctrl = ctrl;
	return 0;
}

int gw_pri_start(struct gw_pri *pri)
{
	int err;

	if (!pri)
		return EINVAL;
	if (pri->started)
		return 0;
	if (!pri->ctrl) {
		err = ctrl_create(pri);
		if (err)
			return err;
	}
	pri->started = true;
	uv_timer_start(pri->house, house_cb, HOUSE_MS, HOUSE_MS);
	sched_arm(pri);
	LOGI(MOD, "span %u: started (%s %s %s)", pri->conf.span,
	     gw_pri_switch_name(pri->conf.sw), pri->conf.e1 ? "E1" : "T1",
	     pri->conf.node == GW_PRI_NET ? "net" : "cpe");
	return 0;
}

static void drop_ctrl(struct gw_pri *p)
{
	struct gw_pri_call *c, *next;

	for (c = p->calls; c; c = next) {
		next = c->next;
		if (c->qc && p->ctrl)
			pri_destroycall(p->ctrl, c->qc);
		free(c);
	}
	p->calls = NULL;
	for (unsigned ts = 1; ts <= GW_PRI_MAX_TS; ts++)
		p->ch[ts].call = NULL;
	if (p->ctrl) {
		/*
		 * libpri has no destructor: the controller block is the one
		 * pri_new_cb() allocated, its few internal buffers (timer
		 * table, Q.921 link) stay allocated. Detach it first so no
		 * callback can reach us.
		 */
		pri_set_userdata(p->ctrl, NULL);
		free(p->ctrl);
		p->ctrl = NULL;
	}
}

void gw_pri_stop(struct gw_pri *pri)
{
	if (!pri || !pri->started)
		return;
	/* Every call is released to the upper layer (cause 38) first */
	link_down(pri, PRI_CAUSE_NETWORK_OUT_OF_ORDER);
	uv_timer_stop(pri->sched);
	uv_timer_stop(pri->house);
	pri->started = false;
	drop_ctrl(pri);
}

void gw_pri_free(struct gw_pri *pri)
{
	if (!pri)
		return;
	pri->eh = NULL;
	if (pri->started) {
		uv_timer_stop(pri->sched);
		uv_timer_stop(pri->house);
	}
	drop_ctrl(pri);
	if (pri->cap)
		fclose(pri->cap);
	uv_close((uv_handle_t *)pri->sched, (uv_close_cb)free);
	uv_close((uv_handle_t *)pri->house, (uv_close_cb)free);
	free(pri);
}

void gw_pri_recv(struct gw_pri *pri, const uint8_t *frame, size_t len)
{
	pri_event *e;

	if (!pri || !pri->started || !pri->ctrl || !frame)
		return;
	/* LAPD frames are at least address + control; libpri reads 1 KiB */
	if (len < 3 || len > 1000)
		return;
	pri->stats.frames_rx++;
	capture(pri, frame, len);
	pri->rx = frame;
	pri->rxlen = len;
	e = pri_check_event(pri->ctrl);
	pri->rx = NULL;
	if (e)
		handle_event(pri, e);
	sched_arm(pri);
}

void gw_pri_l1_state(struct gw_pri *pri, bool up)
{
	if (!pri)
		return;
	pri->l1_down = !up;
	if (!up) {
		link_down(pri, PRI_CAUSE_NETWORK_OUT_OF_ORDER);
		/*
		 * libpri cannot be told that layer 1 went away: its Q.921
		 * would still be "established" when the line returns and a
		 * peer that restarted would get no DL-ESTABLISH from it.
		 * Start the data link afresh instead (Q.921 §5.5 from TEI
		 * assigned), once the line is back.
		 */
		if (pri->started && pri->ctrl) {
			drop_ctrl(pri);
			uv_timer_stop(pri->sched);
		}
		return;
	}
	if (pri->started && !pri->ctrl) {
		if (ctrl_create(pri)) {
			LOGE(MOD, "span %u: cannot restart the data link",
			     pri->conf.span);
			return;
		}
		sched_arm(pri);
	}
}

bool gw_pri_link_up(const struct gw_pri *pri)
{
	return pri && pri->up;
}

enum gw_pri_chan_state gw_pri_chan_state(const struct gw_pri *pri,
					 unsigned ts)
{
	if (!pri || ts > GW_PRI_MAX_TS)
		return GW_PRI_CH_NONE;
	return pri->ch[ts].st;
}

unsigned gw_pri_chan_count(const struct gw_pri *pri,
			   enum gw_pri_chan_state st)
{
	unsigned n = 0;

	if (!pri)
		return 0;
	for (unsigned ts = 1; ts <= GW_PRI_MAX_TS; ts++)
		if (is_bchan(pri, ts) && pri->ch[ts].st == st)
			n++;
	return n;
}

const struct gw_pri_conf *gw_pri_get_conf(const struct gw_pri *pri)
{
	return pri ? &pri->conf : NULL;
}

void gw_pri_set_trace(struct gw_pri *pri, unsigned trace)
{
	if (!pri)
		return;
	pri->conf.trace = trace;
	if (pri->ctrl)
		pri_set_debug(pri->ctrl, (int)libpri_trace(trace));
}

void gw_pri_get_stats(const struct gw_pri *pri, struct gw_pri_stats *st)
{
	if (pri && st)
		*st = pri->stats;
}

int gw_pri_restart(struct gw_pri *pri, unsigned ts, bool force)
{
	unsigned lo = ts ? ts : 1, hi = ts ? ts : GW_PRI_MAX_TS;

	if (!pri || (ts && !is_bchan(pri, ts)))
		return EINVAL;
	if (!pri->up)
		return ENOTCONN;
	if (ts && pri->ch[ts].call && !force)
		return EBUSY;
	for (unsigned i = lo; i <= hi; i++) {
		struct gw_pri_call *c;

		if (!is_bchan(pri, i) || pri->ch[i].st == GW_PRI_CH_OOS_LOCAL)
			continue;
		c = pri->ch[i].call;
		if (c && !force)
			continue;
		if (c) {
			if (c->qc)
				pri_destroycall(pri->ctrl, c->qc);
			c->qc = NULL;
			call_release(pri, c,
				     PRI_CAUSE_NORMAL_TEMPORARY_FAILURE, true);
		}
		restart_queue(pri, i);
	}
	restart_next(pri);
	sched_arm(pri);
	return 0;
}

int gw_pri_service(struct gw_pri *pri, unsigned ts, bool in_service)
{
	if (!pri || !is_bchan(pri, ts))
		return EINVAL;
	if (!pri->conf.service_msgs || !gw_pri_switch_has_service(pri->conf.sw))
		return ENOTSUP;
	if (!pri->up)
		return ENOTCONN;
	if (!in_service && pri->ch[ts].call)
		return EBUSY;
	if (pri_maintenance_service(pri->ctrl, 0, (int)ts,
				    in_service ? 0 : 2))
		return EPROTO;
	if (in_service) {
		if (pri->ch[ts].st == GW_PRI_CH_OOS_LOCAL)
			chan_set(pri, ts, GW_PRI_CH_IDLE);
	} else {
		chan_set(pri, ts, GW_PRI_CH_OOS_LOCAL);
	}
	sched_arm(pri);
	return 0;
}

static int plan_of(int ton, int npi, enum gw_pri_ton dton,
		   enum gw_pri_npi dnpi)
{
	if (ton < 0)
		ton = (int)dton;
	if (npi < 0)
		npi = (int)dnpi;
	return ((ton & 0x7) << 4) | (npi & 0xf);
}

static int pres_of(const struct gw_pri_number *n)
{
	int p;

	switch (n->pres) {
	case GW_PRI_PRES_RESTRICTED: p = PRI_PRES_RESTRICTED; break;
	case GW_PRI_PRES_UNAVAILABLE: p = PRI_PRES_UNAVAILABLE; break;
	default: p = PRI_PRES_ALLOWED; break;
	}
	return p | ((int)n->screen & PRI_PRES_NUMBER_TYPE);
}

static bool digits_ok(const char *s, bool empty_ok)
{
	if (!s[0])
		return empty_ok;
	for (; *s; s++)
		if (!strchr("0123456789*#ABCDabcd", *s))
			return false;
	return true;
}

int gw_pri_call_setup(struct gw_pri *pri, const struct gw_pri_setup *setup,
		      void *carg, struct gw_pri_call **callp)
{
	struct pri_sr *sr = NULL;
	q931_call *qc;
	struct gw_pri_call *c;
	unsigned ts;
	int tc, err = 0;
	char called[sizeof(setup->called.num)];
	char calling[sizeof(setup->calling.num)];
	char name[sizeof(setup->calling_name)];
	char redir[sizeof(setup->redirecting.num)];

	if (!pri || !setup || !callp)
		return EINVAL;
	if (!digits_ok(setup->called.num, !setup->complete) ||
	    !digits_ok(setup->calling.num, true) ||
	    !digits_ok(setup->redirecting.num, true))
		return EINVAL;
	if (!pri->up)
		return ENOTCONN;
	ts = setup->channel;
	if (ts) {
		if (!is_bchan(pri, ts))
			return EINVAL;
		if (pri->ch[ts].st != GW_PRI_CH_IDLE)
			return EBUSY;
	} else {
		ts = pick_channel(pri);
		if (!ts)
			return EBUSY;
	}
	switch (setup->bearer) {
	case GW_PRI_BEARER_UDI: tc = PRI_TRANS_CAP_DIGITAL; break;
	case GW_PRI_BEARER_AUDIO_3K1: tc = PRI_TRANS_CAP_3_1K_AUDIO; break;
	default: tc = PRI_TRANS_CAP_SPEECH; break;
	}
	qc = pri_new_call(pri->ctrl);
	sr = pri_sr_new();
	if (!qc || !sr) {
		err = ENOMEM;
		goto out;
	}
	/* libpri takes non-const strings; give it copies */
	strcopy(called, sizeof(called), setup->called.num);
	strcopy(calling, sizeof(calling), setup->calling.num);
	strcopy(name, sizeof(name), setup->calling_name);
	strcopy(redir, sizeof(redir), setup->redirecting.num);
	pri_sr_set_channel(sr, (int)ts, pri->conf.node == GW_PRI_NET ? 1 :
			   setup->exclusive, pri->conf.interworking);
	pri_sr_set_bearer(sr, tc, pri->conf.alaw ? PRI_LAYER_1_ALAW :
			  PRI_LAYER_1_ULAW);
	pri_sr_set_called(sr, called,
			  plan_of(setup->called.ton, setup->called.npi,
				  pri->conf.dialplan_ton,
				  pri->conf.dialplan_npi),
			  setup->complete || !pri->conf.overlapdial);
	pri_sr_set_caller(sr, calling[0] ? calling : NULL,
			  name[0] ? name : NULL,
			  plan_of(setup->calling.ton, setup->calling.npi,
				  pri->conf.localdialplan_ton,
				  pri->conf.localdialplan_npi),
			  calling[0] ? pres_of(&setup->calling) :
				       PRES_NUMBER_NOT_AVAILABLE);
	if (redir[0])
		pri_sr_set_redirecting(sr, redir,
				       plan_of(setup->redirecting.ton,
					       setup->redirecting.npi,
					       pri->conf.localdialplan_ton,
					       pri->conf.localdialplan_npi),
				       pres_of(&setup->redirecting),
				       (int)setup->redirect_reason);
	c = call_new(pri, qc, ts, true);
	if (!c) {
		err = ENOMEM;
		goto out;
	}
	c->arg = carg;
	if (pri_setup(pri->ctrl, qc, sr)) {
		call_free_channel(pri, c);
		call_unlink(pri, c);
		free(c);
		err = EPROTO;
		goto out;
	}
	qc = NULL;
	pri->stats.calls_out++;
	*callp = c;
 out:
	if (sr)
		pri_sr_free(sr);
	if (qc)
		pri_destroycall(pri->ctrl, qc);
	sched_arm(pri);
	return err;
}

static bool call_usable(const struct gw_pri_call *c)
{
	return c && !c->orphan && c->qc && c->pri->ctrl && !c->hungup;
}

#define CALL_OP(expr)                         \
	do {                                  \
		int r_;                       \
		if (!call_usable(call))       \
			return EINVAL;        \
		r_ = (expr);                  \
		sched_arm(call->pri);         \
		return r_ ? EPROTO : 0;       \
	} while (0)

int gw_pri_call_setup_ack(struct gw_pri_call *call)
{
	if (call && (call->sack_sent || call->proc_sent))
		return call_usable(call) ? 0 : EINVAL;
	if (call) {
		call->responded = true;
		call->sack_sent = true;
	}
	CALL_OP(pri_setup_ack(call->pri->ctrl, call->qc, (int)call->ch,
			      call->pri->conf.interworking, 0));
}

int gw_pri_call_proceeding(struct gw_pri_call *call, bool inband)
{
	if (call && call->proc_sent) {
		/* Already sent on arrival: carry in-band news in PROGRESS */
		if (!inband)
			return call_usable(call) ? 0 : EINVAL;
		return gw_pri_call_progress(call, true);
	}
	if (call) {
		call->responded = true;
		call->proc_sent = true;
	}
	CALL_OP(pri_proceeding(call->pri->ctrl, call->qc, (int)call->ch,
			       inband));
}

int gw_pri_call_alerting(struct gw_pri_call *call, bool inband)
{
	if (call)
		call->responded = true;
	CALL_OP(pri_acknowledge(call->pri->ctrl, call->qc, (int)call->ch,
				inband));
}

int gw_pri_call_progress(struct gw_pri_call *call, bool inband)
{
	if (call)
		call->responded = true;
	CALL_OP(pri_progress(call->pri->ctrl, call->qc, (int)call->ch,
			     inband));
}

int gw_pri_call_connected(struct gw_pri_call *call, const struct gw_pri_number *num)
{
	struct pri_party_connected_line cl;
	int ton, npi;

	if (!num || !num->num[0] || !digits_ok(num->num, false))
		return EINVAL;
	memset(&cl, 0, sizeof(cl));
	cl.id.number.valid = 1;
	strcopy(cl.id.number.str, sizeof(cl.id.number.str), num->num);
	ton = num->ton >= 0 ? num->ton : 0;
	npi = num->npi >= 0 ? num->npi : 1;
	cl.id.number.plan = ((ton & 0x7) << 4) | (npi & 0xf);
	cl.id.number.presentation =
		(num->pres == GW_PRI_PRES_RESTRICTED ? PRI_PRES_RESTRICTED
		 : num->pres == GW_PRI_PRES_UNAVAILABLE ? PRI_PRES_UNAVAILABLE
							: PRI_PRES_ALLOWED) |
		((int)num->screen & PRI_PRES_NUMBER_TYPE);
	CALL_OP(pri_connected_line_update(call->pri->ctrl, call->qc, &cl));
}

int gw_pri_call_answer(struct gw_pri_call *call)
{
	if (call)
		call->responded = true;
	CALL_OP(pri_answer(call->pri->ctrl, call->qc, (int)call->ch,
			   call->pri->conf.interworking));
}

int gw_pri_call_info(struct gw_pri_call *call, const char *digits)
{
	if (!call_usable(call) || !digits || !digits_ok(digits, false))
		return EINVAL;
	for (const char *d = digits; *d; d++) {
		if (pri_information(call->pri->ctrl, call->qc, *d)) {
			sched_arm(call->pri);
			return EPROTO;
		}
	}
	sched_arm(call->pri);
	return 0;
}

int gw_pri_call_hangup(struct gw_pri_call *call, int cause)
{
	struct gw_pri *p;

	if (!call || call->orphan)
		return call ? 0 : EINVAL;
	if (call->hungup)
		return 0;
	p = call->pri;
	if (cause <= 0 || cause > 127)
		cause = PRI_CAUSE_NORMAL_CLEARING;
	call->hungup = true;
	if (is_bchan(p, call->ch) && p->ch[call->ch].call == call) {
		p->ch[call->ch].releasing = true;
		p->ch[call->ch].since = uv_now(p->loop);
	}
	if (call->qc && p->ctrl) {
		if (!call->outgoing && !call->responded) {
			call->responded = true;
			reject(p, call->qc, (int)call->ch, cause);
		} else {
			pri_hangup(p->ctrl, call->qc, cause);
		}
	}
	sched_arm(p);
	return 0;
}

unsigned gw_pri_call_channel(const struct gw_pri_call *call)
{
	return call ? call->ch : 0;
}

void *gw_pri_call_arg(const struct gw_pri_call *call)
{
	return call ? call->arg : NULL;
}

void gw_pri_call_set_arg(struct gw_pri_call *call, void *carg)
{
	if (call)
		call->arg = carg;
}

bool gw_pri_call_outgoing(const struct gw_pri_call *call)
{
	return call && call->outgoing;
}
