/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Calls of the test programs over gw/pri (see calls.h): call records,
 * the default subscribers of the PSTN simulator (tests/pstnsim/README.md),
 * per-call media on the span's audio ticks and the call commands of the
 * control socket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "tests/pstnsim/calls.h"

#define MOD "sim"

struct sim_call {
	unsigned id;
	struct sim_line *line;
	struct gw_pri_call *pc;
	unsigned ts;
	bool outgoing;            /* placed by this program */
	enum sim_call_state st;
	int cause;
	bool inband;              /* PI 8 seen on ALERTING/PROGRESS */
	char called[40];
	char calling[32];
	char redir[32];           /* redirecting number, "" = none */
	char name[64];            /* calling name (display), "" = none */
	char connected[32];       /* connected number of the CONNECT (COLP) */
	int redir_reason;         /* Q.931 redirecting reason */
	char sub[12];             /* subscriber behaviour */
	const char *pres;         /* calling number presentation */
	const char *bearer;
	struct sim_media *media;
	struct sim_media_stats final;
	uv_timer_t *timer;
	char fax[256];
};

static const char *const st_names[] = {
	"setup", "overlap", "proceeding", "alerting", "active",
	"disconnecting", "released",
};

const char *sim_call_state_name(enum sim_call_state st)
{
	if ((unsigned)st >= sizeof(st_names) / sizeof(st_names[0]))
		return "?";
	return st_names[st];
}

void sim_calls_init(struct sim_calls *cs, uv_loop_t *loop,
		    enum sim_policy policy)
{
	memset(cs, 0, sizeof(*cs));
	cs->loop = loop;
	cs->policy = policy;
	snprintf(cs->fax_dir, sizeof(cs->fax_dir), ".");
	cs->echo_erl = 12.0;
	cs->echo_delay_ms = 4;
	cs->ringback_ms = 2000;
	cs->next_id = 1;
}

static void timer_closed(uv_handle_t *h)
{
	free(h);
}

static void call_stop_timer(struct sim_call *c)
{
	if (c->timer) {
		uv_close((uv_handle_t *)c->timer, timer_closed);
		c->timer = NULL;
	}
}

static void call_free(struct sim_call *c)
{
	call_stop_timer(c);
	sim_media_free(c->media);
	free(c);
}

void sim_calls_close(struct sim_calls *cs)
{
	for (unsigned i = 0; i < cs->nrec; i++)
		call_free(cs->rec[i]);
	cs->nrec = 0;
}

void sim_line_init(struct sim_line *l, struct sim_calls *cs, unsigned id,
		   bool t1, bool alaw, uint32_t bmask)
{
	memset(l, 0, sizeof(*l));
	l->id = id;
	l->t1 = t1;
	l->alaw = alaw;
	l->calls = cs;
	for (unsigned ts = 1; ts <= GW_PRI_MAX_TS; ts++)
		if (bmask & (1u << ts))
			l->bts[l->nb++] = ts;
	if (cs->nlines < sizeof(cs->lines) / sizeof(cs->lines[0]))
		cs->lines[cs->nlines++] = l;
}

static struct sim_call *call_new(struct sim_line *l, unsigned ts,
				 bool outgoing)
{
	struct sim_calls *cs = l->calls;
	struct sim_call *c;

	if (cs->nrec == SIM_MAX_CALLS) {
		/* Forget the oldest released record */
		unsigned i;

		for (i = 0; i < cs->nrec; i++)
			if (cs->rec[i]->st == SIM_CS_RELEASED)
				break;
		if (i == cs->nrec)
			return NULL;
		call_free(cs->rec[i]);
		memmove(&cs->rec[i], &cs->rec[i + 1],
			(cs->nrec - i - 1) * sizeof(cs->rec[0]));
		cs->nrec--;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (sim_media_alloc(&c->media, l->alaw)) {
		free(c);
		return NULL;
	}
	c->id = cs->next_id++;
	c->line = l;
	c->ts = ts;
	c->outgoing = outgoing;
	snprintf(c->sub, sizeof(c->sub), "-");
	c->pres = "allowed";
	c->bearer = "speech";
	cs->rec[cs->nrec++] = c;
	if (ts >= 1 && ts <= GW_PRI_MAX_TS)
		l->chan[ts] = c;
	return c;
}

static struct sim_call *call_find(struct sim_calls *cs, unsigned id)
{
	for (unsigned i = 0; i < cs->nrec; i++)
		if (cs->rec[i]->id == id)
			return cs->rec[i];
	return NULL;
}

static struct sim_call *call_by_pc(struct sim_line *l, struct gw_pri_call *pc)
{
	struct sim_call *c = gw_pri_call_arg(pc);

	return c && c->pc == pc ? c : NULL;
}

/* ---- default subscribers ---- */

/* CONNECT with the subscriber's number as connected number (COLP). */
static int sim_answer(struct sim_call *c)
{
	struct gw_pri_number n;

	memset(&n, 0, sizeof(n));
	snprintf(n.num, sizeof(n.num), "%.31s", c->called);
	n.ton = 0;
	n.npi = 1;
	n.pres = GW_PRI_PRES_ALLOWED;
	n.screen = GW_PRI_SCREEN_NETWORK;
	if (n.num[0] && gw_pri_call_connected(c->pc, &n) == 0)
		snprintf(c->connected, sizeof(c->connected), "%s", n.num);
	return gw_pri_call_answer(c->pc);
}

static void ringback_done(uv_timer_t *t)
{
	struct sim_call *c = t->data;

	call_stop_timer(c);
	if (!c->pc || c->st != SIM_CS_ALERTING)
		return;
	if (sim_answer(c) == 0) {
		c->st = SIM_CS_ACTIVE;
		sim_media_set_tone(c->media, 1000, -10);
	}
}

static void answer_with(struct sim_call *c)
{
	if (sim_answer(c) == 0)
		c->st = SIM_CS_ACTIVE;
}

static void decide(struct sim_call *c)
{
	struct sim_calls *cs = c->line->calls;
	size_t len = strlen(c->called);
	const char *n = len >= 4 ? c->called + len - 4 : "";
	int err = 0;

	/* The last four digits pick the subscriber (README.md) */
	if (!strncmp(n, "100", 3)) {
		snprintf(c->sub, sizeof(c->sub), "loop");
		sim_media_set_mode(c->media, SIM_M_LOOP);
		answer_with(c);
	} else if (!strncmp(n, "200", 3)) {
		snprintf(c->sub, sizeof(c->sub), "busy");
		gw_pri_call_hangup(c->pc, 17);
		c->st = SIM_CS_DISCONNECTING;
	} else if (!strncmp(n, "300", 3)) {
		snprintf(c->sub, sizeof(c->sub), "noanswer");
		if (gw_pri_call_alerting(c->pc, false) == 0)
			c->st = SIM_CS_ALERTING;
	} else if (!strncmp(n, "500", 3)) {
		snprintf(c->sub, sizeof(c->sub), "fax");
		snprintf(c->fax, sizeof(c->fax), "%s/rx-%u.tif", cs->fax_dir,
			 c->id);
		err = sim_media_set_fax(c->media, false, c->fax);
		answer_with(c);
	} else if (!strncmp(n, "600", 3)) {
		snprintf(c->sub, sizeof(c->sub), "ringback");
		sim_media_set_ringback(c->media, c->line->t1);
		if (gw_pri_call_alerting(c->pc, true) == 0)
			c->st = SIM_CS_ALERTING;
		c->timer = calloc(1, sizeof(*c->timer));
		if (c->timer) {
			uv_timer_init(cs->loop, c->timer);
			c->timer->data = c;
			uv_timer_start(c->timer, ringback_done, cs->ringback_ms,
				       0);
		}
	} else if (!strncmp(n, "700", 3)) {
		snprintf(c->sub, sizeof(c->sub), "dtmf");
		err = sim_media_set_mode(c->media, SIM_M_DTMF_RX);
		answer_with(c);
	} else if (!strncmp(n, "800", 3)) {
		int model = n[3] - '0';

		snprintf(c->sub, sizeof(c->sub), "echo");
		if (model < 2 || model > 9)
			model = 2;
		err = sim_media_set_echo(c->media, model, cs->echo_erl,
					 cs->echo_delay_ms);
		answer_with(c);
	} else {
		/* 4xxx and every number not listed: unallocated (cause 1) */
		snprintf(c->sub, sizeof(c->sub), "unallocated");
		gw_pri_call_hangup(c->pc, 1);
		c->st = SIM_CS_DISCONNECTING;
	}
	if (err)
		LOGW(MOD, "call %u: media for %s: %s", c->id, c->sub,
		     strerror(err));
}

static void incoming(struct sim_line *l, const struct gw_pri_event *ev)
{
	struct sim_calls *cs = l->calls;
	struct sim_call *c = call_new(l, ev->channel, false);

	if (!c) {
		gw_pri_call_hangup(ev->call, 47);
		return;
	}
	c->pc = ev->call;
	gw_pri_call_set_arg(ev->call, c);
	snprintf(c->called, sizeof(c->called), "%s", ev->setup->called.num);
	snprintf(c->calling, sizeof(c->calling), "%s",
		 ev->setup->calling.num);
	snprintf(c->redir, sizeof(c->redir), "%s", ev->setup->redirecting.num);
	c->redir_reason = (int)ev->setup->redirect_reason;
	snprintf(c->name, sizeof(c->name), "%s", ev->setup->calling_name);
	c->pres = ev->setup->calling.pres == GW_PRI_PRES_RESTRICTED ?
		  "restricted" : ev->setup->calling.pres ==
		  GW_PRI_PRES_UNAVAILABLE ? "unavailable" : "allowed";
	c->bearer = ev->setup->bearer == GW_PRI_BEARER_UDI ? "udi" :
		    ev->setup->bearer == GW_PRI_BEARER_AUDIO_3K1 ? "3k1" :
		    "speech";
	c->st = SIM_CS_PROCEEDING;
	LOGI(MOD, "call %u: in on span %u ts %u from '%s' to '%s'", c->id,
	     l->id, c->ts, c->calling, c->called);
	/* Overlap receiving: subscribers decide at four digits, the driver
	 * waits for an "alert" or "answer" command */
	if (!ev->setup->complete &&
	    (cs->policy != SIM_POLICY_SUBSCRIBERS || strlen(c->called) < 4)) {
		c->st = SIM_CS_OVERLAP;
		return;
	}
	switch (cs->policy) {
	case SIM_POLICY_SUBSCRIBERS:
		decide(c);
		break;
	case SIM_POLICY_ANSWER:
		snprintf(c->sub, sizeof(c->sub), "answer");
		sim_media_set_mode(c->media, SIM_M_LOOP);
		answer_with(c);
		break;
	case SIM_POLICY_RING:
		snprintf(c->sub, sizeof(c->sub), "ring");
		if (gw_pri_call_alerting(c->pc, false) == 0)
			c->st = SIM_CS_ALERTING;
		break;
	}
}

static void released(struct sim_call *c, int cause)
{
	struct sim_line *l = c->line;

	if (!c->cause)
		c->cause = cause;
	sim_media_stats(c->media, &c->final);
	call_stop_timer(c);
	sim_media_set_mode(c->media, SIM_M_IDLE);
	if (c->ts >= 1 && c->ts <= GW_PRI_MAX_TS && l->chan[c->ts] == c)
		l->chan[c->ts] = NULL;
	c->pc = NULL;
	c->st = SIM_CS_RELEASED;
	LOGI(MOD, "call %u: released, cause %d", c->id, c->cause);
}

void sim_line_pri_event(const struct gw_pri_event *ev, void *arg)
{
	struct sim_line *l = arg;
	struct sim_call *c = ev->call ? call_by_pc(l, ev->call) : NULL;

	switch (ev->type) {
	case GW_PRI_EV_SETUP:
		incoming(l, ev);
		return;
	case GW_PRI_EV_LINK_UP:
	case GW_PRI_EV_LINK_DOWN:
		LOGN(MOD, "span %u: link %s", l->id,
		     ev->type == GW_PRI_EV_LINK_UP ? "up" : "down");
		return;
	default:
		break;
	}
	if (!c) {
		if (ev->call || ev->type == GW_PRI_EV_CONFIG_ERR)
			LOGD(MOD, "span %u: %s ch %u", l->id,
			     gw_pri_ev_name(ev->type), ev->channel);
		return;
	}
	if (ev->channel && ev->channel != c->ts) {
		if (l->chan[c->ts] == c)
			l->chan[c->ts] = NULL;
		c->ts = ev->channel;
		l->chan[c->ts] = c;
	}
	switch (ev->type) {
	case GW_PRI_EV_INFO:
		if (ev->digits)
			strncat(c->called, ev->digits,
				sizeof(c->called) - strlen(c->called) - 1);
		if (c->st == SIM_CS_OVERLAP && !c->outgoing &&
		    l->calls->policy == SIM_POLICY_SUBSCRIBERS &&
		    strlen(c->called) >= 4) {
			gw_pri_call_proceeding(c->pc, false);
			c->st = SIM_CS_PROCEEDING;
			decide(c);
		}
		break;
	case GW_PRI_EV_SETUP_ACK:
		c->st = SIM_CS_OVERLAP;
		break;
	case GW_PRI_EV_PROCEEDING:
		if (c->st < SIM_CS_PROCEEDING)
			c->st = SIM_CS_PROCEEDING;
		c->inband |= ev->inband;
		break;
	case GW_PRI_EV_ALERTING:
		if (c->st < SIM_CS_ALERTING)
			c->st = SIM_CS_ALERTING;
		c->inband |= ev->inband;
		break;
	case GW_PRI_EV_PROGRESS:
		c->inband |= ev->inband;
		break;
	case GW_PRI_EV_CONNECT:
	case GW_PRI_EV_CONNECT_ACK:
		c->st = SIM_CS_ACTIVE;
		if (ev->connected)
			snprintf(c->connected, sizeof(c->connected), "%s", ev->connected->num);
		break;
	case GW_PRI_EV_DISCONNECT:
		c->cause = ev->cause;
		c->st = SIM_CS_DISCONNECTING;
		c->inband |= ev->inband;
		gw_pri_call_hangup(c->pc, ev->cause);
		break;
	case GW_PRI_EV_RELEASE:
		released(c, ev->cause);
		break;
	default:
		LOGD(MOD, "call %u: %s", c->id, gw_pri_ev_name(ev->type));
		break;
	}
}

void sim_line_tx(struct sim_line *l, uint8_t *tx, unsigned nchan)
{
	for (unsigned i = 0; i < nchan && i < l->nb; i++) {
		struct sim_call *c = l->chan[l->bts[i]];

		if (c && c->media)
			sim_media_tx(c->media, tx + (size_t)i * SIM_BLOCK,
				     SIM_BLOCK);
	}
}

void sim_line_rx(struct sim_line *l, const uint8_t *rx, unsigned nchan)
{
	for (unsigned i = 0; i < nchan && i < l->nb; i++) {
		struct sim_call *c = l->chan[l->bts[i]];

		if (c && c->media)
			sim_media_rx(c->media, rx + (size_t)i * SIM_BLOCK,
				     SIM_BLOCK);
	}
}

/* ---- commands ---- */

static struct sim_line *line_find(struct sim_calls *cs, unsigned id)
{
	for (unsigned i = 0; i < cs->nlines; i++)
		if (cs->lines[i]->id == id)
			return cs->lines[i];
	return NULL;
}

static bool parse_uint(const char *s, unsigned *v)
{
	char *end;
	unsigned long x;

	if (!s || !*s)
		return false;
	errno = 0;
	x = strtoul(s, &end, 10);
	if (errno || *end || x > 1000000)
		return false;
	*v = (unsigned)x;
	return true;
}

static bool parse_int(const char *s, int *v)
{
	char *end;
	long x;

	if (!s || !*s)
		return false;
	errno = 0;
	x = strtol(s, &end, 10);
	if (errno || *end || x < -1000000 || x > 1000000)
		return false;
	*v = (int)x;
	return true;
}

static void cmd_call(struct sim_calls *cs, int argc, char **argv,
		     struct ctl_reply *r)
{
	struct gw_pri_setup s;
	struct sim_line *l;
	struct sim_call *c;
	unsigned span;
	int err;

	if (argc < 4 || !parse_uint(argv[1], &span)) {
		ctl_printf(r, "ERR usage: call <span> <called> <calling> "
			   "[allowed|restricted|unavailable] "
			   "[speech|3k1|udi] [overlap] [redir=NUMBER[:REASON]] [name=NAME]\n");
		return;
	}
	l = line_find(cs, span);
	if (!l || !l->pri) {
		ctl_printf(r, "ERR no span %u\n", span);
		return;
	}
	gw_pri_setup_init(&s);
	snprintf(s.called.num, sizeof(s.called.num), "%s", argv[2]);
	if (strcmp(argv[3], "-"))
		snprintf(s.calling.num, sizeof(s.calling.num), "%s", argv[3]);
	for (int i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "allowed"))
			s.calling.pres = GW_PRI_PRES_ALLOWED;
		else if (!strcmp(argv[i], "restricted"))
			s.calling.pres = GW_PRI_PRES_RESTRICTED;
		else if (!strcmp(argv[i], "unavailable"))
			s.calling.pres = GW_PRI_PRES_UNAVAILABLE;
		else if (!strcmp(argv[i], "speech"))
			s.bearer = GW_PRI_BEARER_SPEECH;
		else if (!strcmp(argv[i], "3k1"))
			s.bearer = GW_PRI_BEARER_AUDIO_3K1;
		else if (!strcmp(argv[i], "udi"))
			s.bearer = GW_PRI_BEARER_UDI;
		else if (!strcmp(argv[i], "overlap"))
			s.complete = false;
		else if (!strncmp(argv[i], "name=", 5))
			snprintf(s.calling_name, sizeof(s.calling_name), "%s", argv[i] + 5);
		else if (!strncmp(argv[i], "redir=", 6)) {
			/* redir=NUMBER[:REASON] (Q.931 reason code) */
			char *colon = strchr(argv[i] + 6, ':');
			if (colon) {
				*colon = '\0';
				s.redirect_reason = (enum gw_pri_redir_reason)atoi(colon + 1);
			}
			snprintf(s.redirecting.num, sizeof(s.redirecting.num), "%s",
				 argv[i] + 6);
		} else {
			ctl_printf(r, "ERR unknown option %s\n", argv[i]);
			return;
		}
	}
	c = call_new(l, 0, true);
	if (!c) {
		ctl_printf(r, "ERR no memory for calls\n");
		return;
	}
	c->pres = s.calling.pres == GW_PRI_PRES_RESTRICTED ? "restricted" :
		  s.calling.pres == GW_PRI_PRES_UNAVAILABLE ? "unavailable" :
		  "allowed";
	c->bearer = s.bearer == GW_PRI_BEARER_UDI ? "udi" :
		    s.bearer == GW_PRI_BEARER_AUDIO_3K1 ? "3k1" : "speech";
	snprintf(c->called, sizeof(c->called), "%s", s.called.num);
	snprintf(c->calling, sizeof(c->calling), "%s", s.calling.num);
	snprintf(c->redir, sizeof(c->redir), "%s", s.redirecting.num);
	c->redir_reason = (int)s.redirect_reason;
	snprintf(c->name, sizeof(c->name), "%s", s.calling_name);
	err = gw_pri_call_setup(l->pri, &s, c, &c->pc);
	if (err) {
		c->pc = NULL;
		c->st = SIM_CS_RELEASED;
		c->cause = err == EBUSY ? 34 : 38;
		ctl_printf(r, "ERR call %u: %s\n", c->id, strerror(err));
		return;
	}
	c->ts = gw_pri_call_channel(c->pc);
	l->chan[c->ts] = c;
	c->st = SIM_CS_SETUP;
	ctl_printf(r, "OK %u ts %u\n", c->id, c->ts);
}

static void cmd_play(struct sim_call *c, int argc, char **argv,
		     struct ctl_reply *r)
{
	const char *what = argc > 2 ? argv[2] : "";
	int err = EINVAL, a = 0, b = -10, d = 4;

	if (!strcmp(what, "tone") && argc >= 4 && parse_int(argv[3], &a) &&
	    (argc < 5 || parse_int(argv[4], &b)))
		err = sim_media_set_tone(c->media, a, b);
	else if (!strcmp(what, "dtmf") && argc == 4)
		err = sim_media_set_dtmf_tx(c->media, argv[3]);
	else if (!strcmp(what, "wav") && argc == 4)
		err = sim_media_set_wav(c->media, argv[3]);
	else if (!strcmp(what, "fax") && argc == 4)
		err = sim_media_set_fax(c->media, true, argv[3]);
	else if (!strcmp(what, "faxrx") && argc == 4)
		err = sim_media_set_fax(c->media, false, argv[3]);
	else if (!strcmp(what, "noise") && argc == 4 && parse_int(argv[3], &b))
		err = sim_media_set_noise(c->media, b);
	else if (!strcmp(what, "echo") && argc == 6 &&
		 parse_int(argv[3], &a) && parse_int(argv[4], &b) &&
		 parse_int(argv[5], &d) && d >= 0)
		err = sim_media_set_echo(c->media, a, b, (unsigned)d);
	else if (!strcmp(what, "near") && argc == 5 && parse_int(argv[3], &a) &&
		 parse_int(argv[4], &b))
		err = sim_media_set_echo_near(c->media, a, b);
	else if (!strcmp(what, "pattern"))
		err = sim_media_set_mode(c->media, SIM_M_PATTERN);
	else if (!strcmp(what, "loop"))
		err = sim_media_set_mode(c->media, SIM_M_LOOP);
	else if (!strcmp(what, "dtmfrx"))
		err = sim_media_set_mode(c->media, SIM_M_DTMF_RX);
	else if (!strcmp(what, "idle"))
		err = sim_media_set_mode(c->media, SIM_M_IDLE);
	if (err)
		ctl_printf(r, "ERR play %s: %s\n", what, strerror(err));
	else
		ctl_printf(r, "OK\n");
}

static void print_call(const struct sim_call *c, struct ctl_reply *r,
		       const char *prefix)
{
	ctl_printf(r, "%s%u span %u ts %u dir %s state %s cause %d called %s "
		   "calling %s pres %s bearer %s sub %s mode %s inband %d "
		   "redir %s redir_reason %d name %s connected %s\n",
		   prefix, c->id, c->line->id, c->ts,
		   c->outgoing ? "out" : "in", sim_call_state_name(c->st),
		   c->cause, c->called[0] ? c->called : "-",
		   c->calling[0] ? c->calling : "-", c->pres, c->bearer,
		   c->sub, sim_media_mode_name(sim_media_mode(c->media)),
		   c->inband, c->redir[0] ? c->redir : "-", c->redir_reason,
		   c->name[0] ? c->name : "-", c->connected[0] ? c->connected : "-");
}

static void cmd_stats(struct sim_call *c, struct ctl_reply *r)
{
	struct sim_media_stats st;

	if (c->st == SIM_CS_RELEASED)
		st = c->final;
	else
		sim_media_stats(c->media, &st);
	ctl_printf(r, "OK id %u state %s cause %d ts %u rx_dbm0 %.1f "
		   "tx_dbm0 %.1f rx_blocks %llu locked %d delay %u ok %llu "
		   "bad %llu fax_pages %d fax_result %d digits %s inband %d\n",
		   c->id, sim_call_state_name(c->st), c->cause, c->ts,
		   st.rx_dbm0, st.tx_dbm0, (unsigned long long)st.rx_blocks,
		   st.pattern_locked, st.pattern_delay,
		   (unsigned long long)st.pattern_ok,
		   (unsigned long long)st.pattern_bad, st.fax_pages,
		   st.fax_result, st.digits[0] ? st.digits : "-", c->inband);
}

bool sim_calls_command(struct sim_calls *cs, int argc, char **argv,
		       struct ctl_reply *r)
{
	const char *cmd = argv[0];
	struct sim_call *c = NULL;
	unsigned id = 0;

	if (!strcmp(cmd, "call")) {
		cmd_call(cs, argc, argv, r);
		return true;
	}
	if (!strcmp(cmd, "calls")) {
		unsigned from = cs->nrec > 64 ? cs->nrec - 64 : 0;

		for (unsigned i = from; i < cs->nrec; i++)
			print_call(cs->rec[i], r, "call ");
		ctl_printf(r, "OK %u\n", cs->nrec);
		return true;
	}
	if (!strcmp(cmd, "last")) {
		bool want_in = argc > 1 && !strcmp(argv[1], "in");
		bool want_out = argc > 1 && !strcmp(argv[1], "out");

		for (unsigned i = cs->nrec; i-- > 0;) {
			const struct sim_call *k = cs->rec[i];

			if ((want_in && k->outgoing) || (want_out && !k->outgoing))
				continue;
			print_call(k, r, "OK ");
			return true;
		}
		ctl_printf(r, "ERR no call\n");
		return true;
	}
	if (strcmp(cmd, "hangup") && strcmp(cmd, "answer") &&
	    strcmp(cmd, "alert") && strcmp(cmd, "play") &&
	    strcmp(cmd, "info") && strcmp(cmd, "digits") &&
	    strcmp(cmd, "stats"))
		return false;
	if (argc < 2 || !parse_uint(argv[1], &id) ||
	    !(c = call_find(cs, id))) {
		ctl_printf(r, "ERR no call %s\n", argc > 1 ? argv[1] : "");
		return true;
	}
	if (!strcmp(cmd, "digits")) {
		struct sim_media_stats st;

		if (c->st == SIM_CS_RELEASED)
			st = c->final;
		else
			sim_media_stats(c->media, &st);
		ctl_printf(r, "OK %s\n", st.digits);
	} else if (!strcmp(cmd, "stats")) {
		cmd_stats(c, r);
	} else if (!c->pc) {
		ctl_printf(r, "ERR call %u is released\n", c->id);
	} else if (!strcmp(cmd, "hangup")) {
		int cause = 16;

		if (argc > 2 && !parse_int(argv[2], &cause)) {
			ctl_printf(r, "ERR bad cause\n");
			return true;
		}
		if (!c->cause)
			c->cause = cause;
		c->st = SIM_CS_DISCONNECTING;
		gw_pri_call_hangup(c->pc, cause);
		ctl_printf(r, "OK\n");
	} else if ((!strcmp(cmd, "answer") || !strcmp(cmd, "alert")) &&
		   c->st == SIM_CS_OVERLAP && !c->outgoing &&
		   gw_pri_call_proceeding(c->pc, false)) {
		ctl_printf(r, "ERR proceeding refused\n");
	} else if (!strcmp(cmd, "answer")) {
		if (sim_answer(c)) {
			ctl_printf(r, "ERR answer refused\n");
		} else {
			c->st = SIM_CS_ACTIVE;
			ctl_printf(r, "OK\n");
		}
	} else if (!strcmp(cmd, "alert")) {
		if (gw_pri_call_alerting(c->pc, false)) {
			ctl_printf(r, "ERR alert refused\n");
		} else {
			c->st = SIM_CS_ALERTING;
			ctl_printf(r, "OK\n");
		}
	} else if (!strcmp(cmd, "info")) {
		if (argc != 3 || gw_pri_call_info(c->pc, argv[2]))
			ctl_printf(r, "ERR info refused\n");
		else
			ctl_printf(r, "OK\n");
	} else {
		cmd_play(c, argc, argv, r);
	}
	return true;
}

/*
 * libpri has no destructor for its controller (gw/pri.c): its internal
 * tables stay allocated when a span stops. Keep LeakSanitizer quiet about
 * them in the programs built from this file.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libpri.so\n";
}
