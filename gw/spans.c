/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configured TDM side: spans, backends, PRI signalling and channel
 * groups (see spans.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "gw/conf.h"
#include "gw/ctl.h"
#include "gw/dahdi_conf.h"
#include "gw/pri.h"
#include "gw/span.h"
#include "gw/spans.h"
#include "gw/tdm_virt.h"

enum sig_kind { SIG_NONE = 0, SIG_PRI_CPE, SIG_PRI_NET };

struct span_ent {
	struct gw_spans *owner;
	struct gw_span_cfg cfg;
	enum sig_kind sig;
	struct gw_pri_conf pri_conf;
	struct gw_span *span;
	struct gw_pri *pri;
	unsigned refused;      /* incoming calls refused (no call model yet) */
};

#define GROUP_MAX_SPANS 64

struct group_ent {
	char name[48];
	char members[512];
	struct gw_span_group *grp;
	struct span_ent *spans[GROUP_MAX_SPANS]; /* spans with members */
	unsigned nspans;
};

struct gw_spans {
	struct span_ent *sp;
	size_t n;
	struct group_ent *gr;
	size_t ng;
	uv_loop_t *loop;
	gw_tdm_call_ev_h *evh;
	gw_tdm_call_digits_h *digh;
	gw_tdm_call_new_h *newh;
	void *harg;
	unsigned live_calls;
};

struct gw_tdm_call {
	struct gw_spans *s;
	struct span_ent *e;
	struct gw_pri_call *pc;
	unsigned ts;
	void *owner;
	bool detached;   /* the owner wants no more events */
	bool released;
	bool has_connected;
	struct gw_pri_number connected; /* from the far end's CONNECT */
};

static const char *const span_keys[] = {
	"type", "backend", "socket", "bchan", "dchan", "law", "signalling",
	"switchtype", "dialplan", "localdialplan", "overlapdial", "service",
	"trace", NULL,
};

static int check_keys(struct gw_conf *conf, const char *sec,
		      const char *const *known, struct gw_conf_err *err)
{
	const char *key;

	for (size_t i = 0; gw_conf_entry(conf, sec, i, &key, NULL, NULL); i++) {
		bool ok = false;
		for (size_t k = 0; known[k]; k++)
			ok |= !strcasecmp(key, known[k]);
		if (!ok) {
			char list[256];
			size_t n = 0;
			list[0] = '\0';
			for (size_t k = 0; known[k] && n < sizeof(list); k++) {
				int r = snprintf(list + n, sizeof(list) - n, "%s%s",
						 k ? ", " : "", known[k]);
				if (r > 0)
					n += (size_t)r;
			}
			return gw_conf_fail(conf, sec, key, err,
					    "unknown key (known: %s)", list);
		}
	}
	return 0;
}

static int span_conf(struct gw_conf *conf, const char *sec, unsigned id,
		     const char *dahdi_path, struct span_ent *e,
		     struct gw_conf_err *err)
{
	static const char *const types[] = { "e1", "t1", NULL };
	static const char *const backends[] = { "virtual", "dahdi", NULL };
	static const char *const laws[] = { "alaw", "ulaw", NULL };
	static const char *const sigs[] = { "none", "pri_cpe", "pri_net", NULL };
	const char *v;
	int type, backend, law, sig, ret;
	long n;
	bool b;

	if ((ret = check_keys(conf, sec, span_keys, err)))
		return ret;
	if ((ret = gw_conf_enum(conf, sec, "type", types, 0, &type, err)) ||
	    (ret = gw_conf_enum(conf, sec, "backend", backends, 0, &backend, err)))
		return ret;
	gw_span_cfg_default(&e->cfg, type ? GW_SPAN_T1 : GW_SPAN_E1, id);
	snprintf(e->cfg.name, sizeof(e->cfg.name), "span%u", id);

	if (backend == 1) {
#ifdef HAVE_DAHDI
		struct gw_dahdi_conf *dc = NULL;
		char msg[256];
		if (gw_dahdi_conf_load(dahdi_path, &dc, msg, sizeof(msg)))
			return gw_conf_fail(conf, sec, "backend", err,
					    "dahdi: %s", msg);
		ret = gw_dahdi_conf_span_cfg(dc, id, &e->cfg, msg, sizeof(msg));
		gw_dahdi_conf_free(dc);
		if (ret)
			return gw_conf_fail(conf, sec, "backend", err,
					    "dahdi span %u in %s: %s", id,
					    dahdi_path, msg);
		snprintf(e->cfg.name, sizeof(e->cfg.name), "span%u", id);
#else
		(void)dahdi_path;
		return gw_conf_fail(conf, sec, "backend", err,
				    "this pstngw was built without DAHDI "
				    "(install dahdi-source and rebuild)");
#endif
	} else {
		gw_conf_str(conf, sec, "socket", NULL, &v, err);
		if (!v || !*v)
			return gw_conf_fail(conf, sec, NULL, err,
					    "missing key 'socket' (the virtual "
					    "span's far end, e.g. run/span%u.sock)",
					    id);
		if (strlen(v) >= sizeof(e->cfg.dev))
			return gw_conf_fail(conf, sec, "socket", err,
					    "path too long");
		snprintf(e->cfg.dev, sizeof(e->cfg.dev), "%s", v);
		e->cfg.ops = &gw_tdm_virt_ops;
	}

	gw_conf_str(conf, sec, "bchan", NULL, &v, err);
	if (v && gw_span_ts_parse(v, e->cfg.type, &e->cfg.bmask))
		return gw_conf_fail(conf, sec, "bchan", err,
				    "'%s' is not a timeslot list for %s "
				    "(e.g. 1-15,17-31)", v,
				    gw_span_type_name(e->cfg.type));
	ret = gw_conf_int(conf, sec, "dchan", 0, gw_span_type_nts(e->cfg.type),
			  e->cfg.dchan, &n, err);
	if (ret)
		return ret;
	e->cfg.dchan = (unsigned)n;
	if (e->cfg.dchan && (e->cfg.bmask & (1u << e->cfg.dchan))) {
		if (v)
			return gw_conf_fail(conf, sec, "bchan", err,
					    "includes the D-channel timeslot %u",
					    e->cfg.dchan);
		e->cfg.bmask &= ~(1u << e->cfg.dchan);
	}
	ret = gw_conf_enum(conf, sec, "law", laws,
			   e->cfg.law == GW_LAW_ULAW ? 1 : 0, &law, err);
	if (ret)
		return ret;
	e->cfg.law = law ? GW_LAW_ULAW : GW_LAW_ALAW;
	if (gw_span_cfg_check(&e->cfg))
		return gw_conf_fail(conf, sec, NULL, err,
				    "inconsistent span (see the log)");

	ret = gw_conf_enum(conf, sec, "signalling", sigs, 1, &sig, err);
	if (ret)
		return ret;
	e->sig = (enum sig_kind)sig;
	gw_pri_conf_init(&e->pri_conf);
	e->pri_conf.span = id;
	e->pri_conf.e1 = e->cfg.type == GW_SPAN_E1;
	e->pri_conf.bchans = e->cfg.bmask;
	e->pri_conf.alaw = e->cfg.law == GW_LAW_ALAW;
	e->pri_conf.node = e->sig == SIG_PRI_NET ? GW_PRI_NET : GW_PRI_CPE;
	e->pri_conf.sw = e->pri_conf.e1 ? GW_PRI_SW_EUROISDN : GW_PRI_SW_NATIONAL;
	if (e->sig != SIG_NONE && !e->cfg.dchan)
		return gw_conf_fail(conf, sec, "dchan", err,
				    "PRI signalling needs a D-channel");
	gw_conf_str(conf, sec, "switchtype", NULL, &v, err);
	if (v && gw_pri_switch_parse(v, &e->pri_conf.sw))
		return gw_conf_fail(conf, sec, "switchtype", err,
				    "'%s' is not one of national, ni1, dms100, "
				    "4ess, 5ess, euroisdn, qsig", v);
	gw_conf_str(conf, sec, "dialplan", NULL, &v, err);
	if (v && gw_pri_ton_parse(v, &e->pri_conf.dialplan_ton))
		return gw_conf_fail(conf, sec, "dialplan", err,
				    "'%s' is not a type of number", v);
	gw_conf_str(conf, sec, "localdialplan", NULL, &v, err);
	if (v && gw_pri_ton_parse(v, &e->pri_conf.localdialplan_ton))
		return gw_conf_fail(conf, sec, "localdialplan", err,
				    "'%s' is not a type of number", v);
	ret = gw_conf_bool(conf, sec, "overlapdial", false, &b, err);
	if (ret)
		return ret;
	e->pri_conf.overlapdial = b;
	ret = gw_conf_bool(conf, sec, "service", false, &b, err);
	if (ret)
		return ret;
	if (b && !gw_pri_switch_has_service(e->pri_conf.sw))
		return gw_conf_fail(conf, sec, "service", err,
				    "switch type %s has no SERVICE messages "
				    "(national, 4ess and 5ess have them)",
				    gw_pri_switch_name(e->pri_conf.sw));
	e->pri_conf.service_msgs = b;
	gw_conf_str(conf, sec, "trace", "none", &v, err);
	{
		char buf[64], *save = NULL, *tok;
		snprintf(buf, sizeof(buf), "%s", v);
		for (tok = strtok_r(buf, ", ", &save); tok;
		     tok = strtok_r(NULL, ", ", &save)) {
			if (!strcasecmp(tok, "q931"))
				e->pri_conf.trace |= GW_PRI_TRACE_Q931;
			else if (!strcasecmp(tok, "q921"))
				e->pri_conf.trace |= GW_PRI_TRACE_Q921;
			else if (!strcasecmp(tok, "raw"))
				e->pri_conf.trace |= GW_PRI_TRACE_RAW;
			else if (strcasecmp(tok, "none"))
				return gw_conf_fail(conf, sec, "trace", err,
						    "'%s' is not none, q931, "
						    "q921 or raw", tok);
		}
	}
	return 0;
}

static int group_conf(struct gw_spans *s, struct gw_conf *conf,
		      const char *sec, const char *name, struct group_ent *g,
		      struct gw_conf_err *err)
{
	static const char *const known[] = { "members", "hunt", NULL };
	static const char *const hunts[] = { "ascending", "descending",
					     "roundrobin", "lru", NULL };
	static const enum gw_hunt hunt_vals[] = { GW_HUNT_ASC, GW_HUNT_DESC,
						  GW_HUNT_RR, GW_HUNT_LRU };
	const char *v;
	char buf[512], *save = NULL, *tok;
	int hunt, ret;

	if ((ret = check_keys(conf, sec, known, err)))
		return ret;
	if (!*name || strlen(name) >= sizeof(g->name))
		return gw_conf_fail(conf, sec, NULL, err,
				    "a group needs a name ([group NAME])");
	snprintf(g->name, sizeof(g->name), "%s", name);
	if ((ret = gw_conf_enum(conf, sec, "hunt", hunts, 0, &hunt, err)))
		return ret;
	gw_conf_str(conf, sec, "members", NULL, &v, err);
	if (!v || !*v)
		return gw_conf_fail(conf, sec, NULL, err,
				    "missing key 'members' (e.g. members = "
				    "span:1, span:2:1-10)");
	/* members are added at start, when the spans exist; check them now */
	if (strlen(v) >= sizeof(g->members))
		return gw_conf_fail(conf, sec, "members", err, "too long");
	snprintf(g->members, sizeof(g->members), "%s", v);
	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		char *end, *ts;
		unsigned long id;
		bool found = false;
		if (strncmp(tok, "span:", 5))
			goto bad;
		id = strtoul(tok + 5, &end, 10);
		if (end == tok + 5 || (*end && *end != ':'))
			goto bad;
		ts = *end == ':' ? end + 1 : NULL;
		for (size_t i = 0; i < s->n; i++) {
			if (s->sp[i].cfg.id == id) {
				uint32_t m;
				found = true;
				if (ts && gw_span_ts_parse(ts, s->sp[i].cfg.type, &m))
					goto bad;
				if (ts && (m & ~s->sp[i].cfg.bmask))
					return gw_conf_fail(conf, sec, "members",
							    err, "'%s': not all "
							    "B-channels of span %lu",
							    tok, id);
			}
		}
		if (!found)
			return gw_conf_fail(conf, sec, "members", err,
					    "'%s': no [span %lu]", tok, id);
		continue;
bad:
		return gw_conf_fail(conf, sec, "members", err,
				    "'%s' is not span:N or span:N:TIMESLOTS", tok);
	}
	if (gw_span_group_alloc(&g->grp, g->name, hunt_vals[hunt]))
		return ENOMEM;
	return 0;
}

int gw_spans_conf(struct gw_spans **sp, struct gw_conf *conf,
		  const char *dahdi_conf, struct gw_conf_err *err)
{
	struct gw_spans *s;
	const char *sec, *name;
	int ret = 0;

	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	for (size_t i = 0; (sec = gw_conf_section(conf, i)); i++) {
		char *end;
		unsigned long id;
		if (!gw_conf_section_kind(sec, "span", &name))
			continue;
		gw_conf_section_seen(conf, sec);
		id = strtoul(name, &end, 10);
		if (!*name || *end || id < 1 || id > 4096) {
			ret = gw_conf_fail(conf, sec, NULL, err,
					   "spans are numbered: [span 1] .. [span 4096]");
			goto out;
		}
		if (gw_conf_section_headers(conf, sec) > 1) {
			ret = gw_conf_fail(conf, sec, NULL, err,
					   "span %lu defined twice", id);
			goto out;
		}
		struct span_ent *ne = realloc(s->sp, (s->n + 1) * sizeof(*ne));
		if (!ne) {
			ret = ENOMEM;
			goto out;
		}
		s->sp = ne;
		memset(&s->sp[s->n], 0, sizeof(s->sp[0]));
		s->sp[s->n].owner = s;
		ret = span_conf(conf, sec, (unsigned)id, dahdi_conf, &s->sp[s->n],
				err);
		if (ret)
			goto out;
		s->n++;
	}
	for (size_t i = 0; (sec = gw_conf_section(conf, i)); i++) {
		if (!gw_conf_section_kind(sec, "group", &name))
			continue;
		gw_conf_section_seen(conf, sec);
		struct group_ent *ng = realloc(s->gr, (s->ng + 1) * sizeof(*ng));
		if (!ng) {
			ret = ENOMEM;
			goto out;
		}
		s->gr = ng;
		memset(&s->gr[s->ng], 0, sizeof(s->gr[0]));
		ret = group_conf(s, conf, sec, name, &s->gr[s->ng], err);
		if (ret)
			goto out;
		s->ng++;
	}
out:
	if (ret) {
		gw_spans_free(s);
		return ret;
	}
	*sp = s;
	(void)conf;
	return 0;
}

/* ---- glue: span <-> pri ---- */

static int pri_frame_h(const uint8_t *frame, size_t len, void *arg)
{
	struct span_ent *e = arg;
	return gw_span_hdlc_send(e->span, frame, len);
}

static void span_hdlc_h(struct gw_span *span, const uint8_t *frame,
			size_t len, void *arg)
{
	struct span_ent *e = arg;
	(void)span;
	if (e->pri)
		gw_pri_recv(e->pri, frame, len);
}

static void span_alarm_h(struct gw_span *span, unsigned alarms, bool up,
			 void *arg)
{
	struct span_ent *e = arg;
	char buf[64];

	LOGN("span", "%s is %s, alarms %s", gw_span_name(span),
	     up ? "up" : "down", gw_span_alarm_str(alarms, buf, sizeof(buf)));
	if (e->pri)
		gw_pri_l1_state(e->pri, up && !(alarms & GW_ALARM_RED));
}

static void span_hdlc_err_h(struct gw_span *span, enum gw_span_hdlc_err err,
			    void *arg)
{
	(void)arg;
	LOGD("span", "%s: HDLC receive error %d", gw_span_name(span), err);
}

static void tc_free(struct gw_tdm_call *tc)
{
	tc->s->live_calls--;
	free(tc);
}

/* A PRI call event: to the owner as a gw/call event. */
static void call_event(struct span_ent *e, const struct gw_pri_event *ev)
{
	struct gw_tdm_call *tc = gw_pri_call_arg(ev->call);
	struct gw_spans *s = e->owner;
	struct gw_call_evd d;
	enum gw_call_ev cev;

	if (!tc)
		return;
	memset(&d, 0, sizeof(d));
	d.inband = ev->inband;
	if (ev->cause > 0 && ev->cause < 128) {
		d.cause.cause = (uint8_t)ev->cause;
		d.cause.location = GW_LOC_LN;
		d.has_cause = true;
	}
	switch (ev->type) {
	case GW_PRI_EV_PROCEEDING:
	case GW_PRI_EV_SETUP_ACK:
		cev = GW_EV_TDM_PROCEEDING;
		break;
	case GW_PRI_EV_ALERTING:
		cev = GW_EV_TDM_ALERTING;
		break;
	case GW_PRI_EV_PROGRESS:
		cev = GW_EV_TDM_PROGRESS;
		break;
	case GW_PRI_EV_CONNECT:
		cev = GW_EV_TDM_CONNECT;
		if (ev->connected) {
			tc->connected = *ev->connected;
			tc->has_connected = true;
		}
		break;
	case GW_PRI_EV_DISCONNECT:
		cev = GW_EV_TDM_DISCONNECT;
		break;
	case GW_PRI_EV_RELEASE:
		cev = GW_EV_TDM_RELEASE;
		tc->released = true;
		gw_span_chan_event(e->span, tc->ts, GW_CHEV_RELEASE);
		gw_pri_call_set_arg(ev->call, NULL);
		break;
	case GW_PRI_EV_INFO:
		/* overlap receiving: the called number's next digits */
		if (!tc->detached && s->digh && ev->digits)
			s->digh(tc, ev->digits, tc->owner);
		return;
	default:
		LOGD("pri", "span %u B%u: %s", e->cfg.id, tc->ts,
		     gw_pri_ev_name(ev->type));
		return;
	}
	if (!tc->detached && s->evh)
		s->evh(tc, cev, &d, tc->owner);
	if (cev == GW_EV_TDM_RELEASE)
		tc_free(tc);
}

static void pri_event_h(const struct gw_pri_event *ev, void *arg)
{
	struct span_ent *e = arg;
	struct gw_spans *s = e->owner;

	switch (ev->type) {
	case GW_PRI_EV_LINK_UP:
	case GW_PRI_EV_LINK_DOWN:
		break; /* gw/pri logs these itself */
	case GW_PRI_EV_SETUP: {
		struct gw_tdm_call *tc;
		int cause = 63;
		tc = calloc(1, sizeof(*tc));
		if (!tc) {
			gw_pri_call_hangup(ev->call, 47);
			break;
		}
		tc->s = s;
		tc->e = e;
		tc->pc = ev->call;
		tc->ts = ev->channel;
		s->live_calls++;
		gw_pri_call_set_arg(ev->call, tc);
		gw_span_chan_event(e->span, tc->ts, GW_CHEV_SEIZE);
		if (s->newh)
			cause = s->newh(tc, e->cfg.id, ev->setup, s->harg);
		if (cause) {
			e->refused++;
			tc->detached = true;
			LOGN("pri", "span %u: incoming call to %s on B%u refused "
			     "(cause %d)", e->cfg.id,
			     ev->setup ? ev->setup->called.num : "?", ev->channel,
			     cause);
			gw_pri_call_hangup(ev->call, cause);
		}
		break;
	}
	case GW_PRI_EV_CONFIG_ERR:
		LOGE("pri", "span %u: libpri reports a configuration error",
		     e->cfg.id);
		break;
	default:
		if (ev->call) {
			call_event(e, ev);
			break;
		}
		LOGD("pri", "span %u: %s channel %u cause %d", e->cfg.id,
		     gw_pri_ev_name(ev->type), ev->channel, ev->cause);
		break;
	}
}

void gw_spans_set_call_handlers(struct gw_spans *s, gw_tdm_call_ev_h *evh,
				gw_tdm_call_new_h *newh, void *arg)
{
	s->evh = evh;
	s->newh = newh;
	s->harg = arg;
}

void gw_spans_set_digits_handler(struct gw_spans *s, gw_tdm_call_digits_h *h)
{
	s->digh = h;
}

static struct span_ent *span_of(struct gw_spans *s, struct gw_span *span)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->sp[i].span == span)
			return &s->sp[i];
	}
	return NULL;
}

/* A group none of whose spans can carry a call: 38, else 34. */
static int group_busy_cause(const struct group_ent *g)
{
	for (unsigned k = 0; k < g->nspans; k++) {
		const struct span_ent *e = g->spans[k];
		if (e->span && gw_span_usable(e->span) &&
		    (!e->pri || gw_pri_link_up(e->pri)))
			return 34; /* no circuit/channel available */
	}
	return 38; /* network out of order */
}

/*
 * Channels a hunt found but could not use stay reserved until the hunt
 * ends, so the group's strategy moves on to another channel (ascending
 * hunting would otherwise pick the same lowest one every time) and are
 * released together at the end.
 */
struct hunt_skips {
	struct gw_span **span;
	unsigned *ts;
	unsigned n, max;
};

static void hunt_skip(struct hunt_skips *sk, struct gw_span *span, unsigned ts)
{
	if (!sk->span && sk->max) {
		sk->span = calloc(sk->max, sizeof(*sk->span));
		sk->ts = calloc(sk->max, sizeof(*sk->ts));
	}
	if (!sk->span || !sk->ts || sk->n >= sk->max) {
		/* no memory: give it back now; the hunt stays bounded */
		gw_span_chan_event(span, ts, GW_CHEV_RELEASE);
		return;
	}
	sk->span[sk->n] = span;
	sk->ts[sk->n++] = ts;
}

static void hunt_skips_release(struct hunt_skips *sk)
{
	for (unsigned i = 0; i < sk->n; i++)
		gw_span_chan_event(sk->span[i], sk->ts[i], GW_CHEV_RELEASE);
	free(sk->span);
	free(sk->ts);
}

int gw_spans_call_setup(struct gw_spans *s, const char *group,
			struct gw_pri_setup *setup, void *owner,
			struct gw_tdm_call **tcp)
{
	struct gw_span_group *grp = NULL;
	struct group_ent *g = NULL;
	struct hunt_skips sk = { NULL, NULL, 0, 0 };
	unsigned tries;
	int cause;

	for (size_t i = 0; i < s->ng; i++) {
		if (!strcmp(s->gr[i].name, group)) {
			g = &s->gr[i];
			grp = g->grp;
		}
	}
	if (!grp)
		return 3; /* no route to destination: the route names no group */
	cause = group_busy_cause(g);
	if (cause == 38)
		return cause;
	tries = gw_span_group_size(grp);
	sk.max = tries;
	while (tries--) {
		struct gw_span *span;
		struct span_ent *e;
		struct gw_tdm_call *tc;
		unsigned ts;
		int r;

		if (gw_span_group_hunt(grp, &span, &ts)) {
			cause = group_busy_cause(g); /* nothing (more) free */
			goto out;
		}
		e = span_of(s, span);
		if (!e || !e->pri || !gw_pri_link_up(e->pri)) {
			/* line up but D-channel down: its channels look idle to
			 * the group; skip them */
			hunt_skip(&sk, span, ts);
			cause = 38;
			continue;
		}
		tc = calloc(1, sizeof(*tc));
		if (!tc) {
			gw_span_chan_event(span, ts, GW_CHEV_RELEASE);
			cause = 47;
			goto out;
		}
		tc->s = s;
		tc->e = e;
		tc->ts = ts;
		tc->owner = owner;
		setup->channel = ts;
		setup->exclusive = true;
		r = gw_pri_call_setup(e->pri, setup, tc, &tc->pc);
		if (!r) {
			s->live_calls++;
			gw_span_chan_event(span, ts, GW_CHEV_SEIZE);
			*tcp = tc;
			cause = 0;
			goto out;
		}
		free(tc);
		if (r == ENOTCONN) {
			hunt_skip(&sk, span, ts);
			cause = 38;
		} else if (r == EBUSY) {
			/* libpri holds it (restarting, out of service, glare) */
			hunt_skip(&sk, span, ts);
			cause = 34;
		} else {
			gw_span_chan_event(span, ts, GW_CHEV_RELEASE);
			LOGW("pri", "span %u B%u: SETUP refused: %s", e->cfg.id, ts,
			     strerror(r));
			cause = 41;
			goto out;
		}
	}
out:
	hunt_skips_release(&sk);
	return cause;
}

void gw_tdm_call_set_owner(struct gw_tdm_call *tc, void *owner)
{
	tc->owner = owner;
	tc->detached = false;
}

void gw_tdm_call_proceeding(struct gw_tdm_call *tc)
{
	if (!tc->released)
		gw_pri_call_proceeding(tc->pc, false);
}

void gw_tdm_call_alerting(struct gw_tdm_call *tc, bool inband)
{
	if (!tc->released)
		gw_pri_call_alerting(tc->pc, inband);
}

void gw_tdm_call_progress(struct gw_tdm_call *tc)
{
	if (!tc->released)
		gw_pri_call_progress(tc->pc, true);
}

const struct gw_pri_number *gw_tdm_call_connected(const struct gw_tdm_call *tc)
{
	return tc->has_connected ? &tc->connected : NULL;
}

void gw_tdm_call_set_connected(struct gw_tdm_call *tc, const struct gw_pri_number *num)
{
	if (!tc->released && num)
		gw_pri_call_connected(tc->pc, num);
}

void gw_tdm_call_answer(struct gw_tdm_call *tc)
{
	if (!tc->released)
		gw_pri_call_answer(tc->pc);
}

void gw_tdm_call_hangup(struct gw_tdm_call *tc, int cause, bool detach)
{
	if (detach)
		tc->detached = true;
	if (!tc->released)
		gw_pri_call_hangup(tc->pc, cause);
}

unsigned gw_tdm_call_span(const struct gw_tdm_call *tc)
{
	return tc->e->cfg.id;
}

unsigned gw_tdm_call_ts(const struct gw_tdm_call *tc)
{
	return tc->ts;
}

static int group_members(struct gw_spans *s, struct group_ent *g,
			 const char *members)
{
	char buf[512], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", members);
	for (tok = strtok_r(buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		char *end;
		unsigned long id = strtoul(tok + 5, &end, 10);
		for (size_t i = 0; i < s->n; i++) {
			struct span_ent *e = &s->sp[i];
			uint32_t m = e->cfg.bmask;
			if (e->cfg.id != id || !e->span)
				continue;
			if (*end == ':' && gw_span_ts_parse(end + 1, e->cfg.type, &m))
				return EINVAL;
			bool listed = false;
			for (unsigned k = 0; k < g->nspans; k++)
				listed |= g->spans[k] == e;
			if (!listed && g->nspans < GROUP_MAX_SPANS)
				g->spans[g->nspans++] = e;
			for (unsigned ts = 1; ts <= GW_SPAN_MAX_TS; ts++) {
				if (m & (1u << ts)) {
					int r = gw_span_group_add(g->grp, e->span, ts);
					if (r && r != EEXIST)
						return r;
				}
			}
		}
	}
	return 0;
}

int gw_spans_start(struct gw_spans *s, uv_loop_t *loop)
{
	static const struct gw_span_handlers h = {
		.hdlc_h = span_hdlc_h,
		.alarm_h = span_alarm_h,
		.hdlc_err_h = span_hdlc_err_h,
	};
	int ret;

	s->loop = loop;
	for (size_t i = 0; i < s->n; i++) {
		struct span_ent *e = &s->sp[i];
		ret = gw_span_alloc(&e->span, &e->cfg);
		if (ret)
			return ret;
		gw_span_set_handlers(e->span, &h, e);
		if (e->sig != SIG_NONE) {
			ret = gw_pri_alloc(&e->pri, loop, &e->pri_conf,
					   pri_frame_h, pri_event_h, e);
			if (ret)
				return ret;
		}
		ret = gw_span_start(e->span, loop);
		if (ret) {
			LOGE("span", "span %u: cannot open the %s backend: %s",
			     e->cfg.id, e->cfg.ops ? e->cfg.ops->name : "?",
			     strerror(ret));
			return ret;
		}
		if (e->pri && (ret = gw_pri_start(e->pri)))
			return ret;
		LOGN("span", "span %u (%s, %s) started on %s", e->cfg.id,
		     gw_span_type_name(e->cfg.type),
		     e->sig == SIG_NONE ? "no signalling"
					: gw_pri_switch_name(e->pri_conf.sw),
		     e->cfg.dev[0] ? e->cfg.dev : "dahdi");
	}
	for (size_t i = 0; i < s->ng; i++) {
		ret = group_members(s, &s->gr[i], s->gr[i].members);
		if (ret)
			return ret;
	}
	return 0;
}

void gw_spans_free(struct gw_spans *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ng; i++)
		gw_span_group_free(s->gr[i].grp);
	for (size_t i = 0; i < s->n; i++) {
		struct span_ent *e = &s->sp[i];
		if (e->pri) {
			gw_pri_stop(e->pri);
			gw_pri_free(e->pri);
		}
		if (e->span) {
			gw_span_stop(e->span);
			gw_span_free(e->span);
		}
	}
	free(s->gr);
	free(s->sp);
	free(s);
}

size_t gw_spans_count(const struct gw_spans *s)
{
	return s ? s->n : 0;
}

struct gw_span *gw_spans_span(const struct gw_spans *s, size_t idx)
{
	return idx < s->n ? s->sp[idx].span : NULL;
}

struct gw_pri *gw_spans_pri(const struct gw_spans *s, size_t idx)
{
	return idx < s->n ? s->sp[idx].pri : NULL;
}

struct gw_span_group *gw_spans_group(const struct gw_spans *s,
				     const char *name)
{
	for (size_t i = 0; s && i < s->ng; i++) {
		if (!strcmp(s->gr[i].name, name))
			return s->gr[i].grp;
	}
	return NULL;
}

int gw_spans_ctl(struct gw_ctl_reply *r, int argc, char **argv, void *arg)
{
	struct gw_spans *s = *(struct gw_spans **)arg;
	(void)argc;
	(void)argv;

	for (size_t i = 0; s && i < s->n; i++) {
		struct span_ent *e = &s->sp[i];
		char al[64];
		unsigned idle = 0, busy = 0, other = 0;
		if (!e->span)
			continue;
		for (unsigned ts = 1; ts <= GW_SPAN_MAX_TS; ts++) {
			if (!(e->cfg.bmask & (1u << ts)))
				continue;
			enum gw_pri_chan_state st = e->pri ? gw_pri_chan_state(e->pri, ts)
							   : GW_PRI_CH_IDLE;
			if (st == GW_PRI_CH_IDLE)
				idle++;
			else if (st == GW_PRI_CH_BUSY)
				busy++;
			else
				other++;
		}
		gw_ctl_printf(r, "span %u %s %s alarms=%s dchan=%s idle=%u busy=%u "
			      "unavailable=%u refused=%u\n", e->cfg.id,
			      gw_span_type_name(e->cfg.type),
			      gw_span_is_up(e->span) ? "up" : "down",
			      gw_span_alarm_str(gw_span_alarms(e->span), al, sizeof(al)),
			      !e->pri ? "none" : gw_pri_link_up(e->pri) ? "up" : "down",
			      idle, busy, other, e->refused);
	}
	for (size_t i = 0; s && i < s->ng; i++)
		gw_ctl_printf(r, "group %s members=%u available=%u\n", s->gr[i].name,
			      gw_span_group_size(s->gr[i].grp),
			      gw_span_group_available(s->gr[i].grp));
	return 0;
}
