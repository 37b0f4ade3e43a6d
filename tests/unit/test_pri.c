/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for gw/pri: two instances (network and user side, both real
 * libpri) wired back to back through frame queues on one libuv loop. They
 * cover link establishment for every switch type, calls both ways with
 * numbers, presentation, bearer and cause, overlap dialling, RESTART,
 * SERVICE, D-channel loss and return, and garbage on the D-channel.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <cmocka.h>

#include "base/log.h"
#include "gw/pri.h"

#define QMAX 256
#define EVMAX 256

struct side;

struct frame {
	uint8_t b[512];
	size_t l;
};

struct side {
	const char *name;
	struct gw_pri *pri;
	struct side *peer;
	struct frame q[QMAX];   /* frames on their way to peer */
	unsigned qn;
	bool cut;               /* line cut: frames are lost */
	struct {
		enum gw_pri_ev_type type;
		unsigned channel;
		int cause;
		bool inband;
		unsigned pi;
		char digits[32];
		struct gw_pri_call *call;
	} ev[EVMAX];
	unsigned nev;
	struct gw_pri_setup setup;   /* last incoming SETUP */
	struct gw_pri_call *call;    /* current call */
	/* Automatic behaviour on events */
	int auto_hangup_on_disconnect;
	int reject_cause;            /* hang up at once on SETUP */
};

struct bench {
	uv_loop_t loop;
	uv_timer_t pump;
	struct side a, b;   /* a: network, b: user */
};

static int frame_h(const uint8_t *frame, size_t len, void *arg)
{
	struct side *s = arg;

	if (s->cut)
		return 0;
	if (s->qn >= QMAX || len > sizeof(s->q[0].b))
		return ENOBUFS;
	memcpy(s->q[s->qn].b, frame, len);
	s->q[s->qn].l = len;
	s->qn++;
	return 0;
}

static void event_h(const struct gw_pri_event *ev, void *arg)
{
	struct side *s = arg;

	if (getenv("PRI_TEST_TRACE"))
		fprintf(stderr, "%s: %s ch %u cause %d\n", s->name,
			gw_pri_ev_name(ev->type), ev->channel, ev->cause);
	if (s->nev < EVMAX) {
		s->ev[s->nev].type = ev->type;
		s->ev[s->nev].channel = ev->channel;
		s->ev[s->nev].cause = ev->cause;
		s->ev[s->nev].inband = ev->inband;
		s->ev[s->nev].pi = ev->pi;
		s->ev[s->nev].call = ev->call;
		if (ev->digits)
			snprintf(s->ev[s->nev].digits,
				 sizeof(s->ev[s->nev].digits), "%s",
				 ev->digits);
		s->nev++;
	}
	if (ev->type == GW_PRI_EV_SETUP) {
		s->setup = *ev->setup;
		s->call = ev->call;
		if (s->reject_cause)
			gw_pri_call_hangup(ev->call, s->reject_cause);
	}
	if (ev->type == GW_PRI_EV_DISCONNECT && s->auto_hangup_on_disconnect)
		gw_pri_call_hangup(ev->call, ev->cause);
	if (ev->type == GW_PRI_EV_RELEASE && s->call == ev->call)
		s->call = NULL;
}

static void deliver(struct side *from)
{
	struct frame q[QMAX];
	unsigned n = from->qn;

	/* Copy first: delivering may queue frames back on this side. */
	memcpy(q, from->q, n * sizeof(q[0]));
	from->qn = 0;
	for (unsigned i = 0; i < n; i++)
		gw_pri_recv(from->peer->pri, q[i].b, q[i].l);
}

static void pump_cb(uv_timer_t *t)
{
	struct bench *b = t->data;

	deliver(&b->a);
	deliver(&b->b);
}

static int find_ev(const struct side *s, enum gw_pri_ev_type t,
		   unsigned from)
{
	for (unsigned i = from; i < s->nev; i++)
		if (s->ev[i].type == t)
			return (int)i;
	return -1;
}

/* Run the loop until side s has an event of type t (after index from), or
 * until ms of loop time pass. Returns the event index or -1. */
static int wait_ev(struct bench *b, struct side *s, enum gw_pri_ev_type t,
		   unsigned from, unsigned ms)
{
	uint64_t end;
	int i;

	uv_update_time(&b->loop);
	end = uv_now(&b->loop) + ms;
	while ((i = find_ev(s, t, from)) < 0 && uv_now(&b->loop) < end)
		uv_run(&b->loop, UV_RUN_ONCE);
	return i;
}

static void run_ms(struct bench *b, unsigned ms)
{
	uint64_t end;

	uv_update_time(&b->loop);
	end = uv_now(&b->loop) + ms;
	while (uv_now(&b->loop) < end)
		uv_run(&b->loop, UV_RUN_ONCE);
}

static bool all_idle(const struct side *s)
{
	const struct gw_pri_conf *c = gw_pri_get_conf(s->pri);
	unsigned nb = (unsigned)__builtin_popcount(c->bchans);

	return gw_pri_chan_count(s->pri, GW_PRI_CH_IDLE) == nb;
}

static bool wait_idle(struct bench *b, unsigned ms)
{
	uint64_t end;

	uv_update_time(&b->loop);
	end = uv_now(&b->loop) + ms;
	while (!(all_idle(&b->a) && all_idle(&b->b)) &&
	       uv_now(&b->loop) < end)
		uv_run(&b->loop, UV_RUN_ONCE);
	return all_idle(&b->a) && all_idle(&b->b);
}

static struct bench *bench_new(enum gw_pri_switch sw, bool e1,
			       bool overlap, bool service, unsigned stuck_ms,
			       void (*tweak)(struct gw_pri_conf *c))
{
	struct bench *b = calloc(1, sizeof(*b));
	struct gw_pri_conf ca, cb;

	assert_non_null(b);
	assert_int_equal(uv_loop_init(&b->loop), 0);
	uv_timer_init(&b->loop, &b->pump);
	b->pump.data = b;
	uv_timer_start(&b->pump, pump_cb, 1, 1);
	b->a.name = "net";
	b->b.name = "cpe";
	b->a.peer = &b->b;
	b->b.peer = &b->a;
	gw_pri_conf_init(&ca);
	ca.sw = sw;
	ca.e1 = e1;
	ca.overlapdial = overlap;
	ca.service_msgs = service;
	ca.span = 1;
	if (getenv("PRI_TEST_Q931"))
		ca.trace = GW_PRI_TRACE_Q931;
	if (getenv("PRI_TEST_Q931"))
		log_set_level(LOGL_DEBUG);
	cb = ca;
	ca.node = GW_PRI_NET;
	cb.node = GW_PRI_CPE;
	cb.span = 2;
	cb.stuck_ms = stuck_ms;
	if (tweak) {
		tweak(&ca);
		tweak(&cb);
	}
	assert_int_equal(gw_pri_alloc(&b->a.pri, &b->loop, &ca, frame_h,
				      event_h, &b->a), 0);
	assert_int_equal(gw_pri_alloc(&b->b.pri, &b->loop, &cb, frame_h,
				      event_h, &b->b), 0);
	assert_int_equal(gw_pri_start(b->a.pri), 0);
	assert_int_equal(gw_pri_start(b->b.pri), 0);
	return b;
}

static void bench_free(struct bench *b)
{
	struct gw_pri_stats sa, sb;

	/* No test scenario may drive a channel through an illegal state */
	gw_pri_get_stats(b->a.pri, &sa);
	gw_pri_get_stats(b->b.pri, &sb);
	assert_int_equal(sa.illegal_transitions, 0);
	assert_int_equal(sb.illegal_transitions, 0);
	gw_pri_free(b->a.pri);
	gw_pri_free(b->b.pri);
	uv_close((uv_handle_t *)&b->pump, NULL);
	uv_run(&b->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&b->loop), 0);
	free(b);
}

static struct bench *bench_up(enum gw_pri_switch sw, bool e1, bool overlap,
			      bool service, unsigned stuck_ms)
{
	struct bench *b = bench_new(sw, e1, overlap, service, stuck_ms, NULL);

	assert_true(wait_ev(b, &b->a, GW_PRI_EV_LINK_UP, 0, 8000) >= 0);
	assert_true(wait_ev(b, &b->b, GW_PRI_EV_LINK_UP, 0, 8000) >= 0);
	assert_true(wait_idle(b, 20000));
	return b;
}

/* ---- tests ---- */

static void test_parse(void **state)
{
	static const struct {
		const char *s;
		int err;
		enum gw_pri_switch sw;
	} swv[] = {
		{ "national", 0, GW_PRI_SW_NATIONAL },
		{ "NI1", 0, GW_PRI_SW_NI1 },
		{ "dms100", 0, GW_PRI_SW_DMS100 },
		{ "4ess", 0, GW_PRI_SW_4ESS },
		{ "5ess", 0, GW_PRI_SW_5ESS },
		{ "euroisdn", 0, GW_PRI_SW_EUROISDN },
		{ "qsig", 0, GW_PRI_SW_QSIG },
		{ "euro", EINVAL, 0 },
		{ "", EINVAL, 0 },
	};
	static const struct {
		const char *s;
		int err;
		int v;
	} tonv[] = {
		{ "unknown", 0, 0 }, { "international", 0, 1 },
		{ "national", 0, 2 }, { "network", 0, 3 },
		{ "subscriber", 0, 4 }, { "local", 0, 4 },
		{ "abbreviated", 0, 6 }, { "nat", EINVAL, 0 },
	}, npiv[] = {
		{ "unknown", 0, 0 }, { "e164", 0, 1 }, { "isdn", 0, 1 },
		{ "x121", 0, 3 }, { "f69", 0, 4 }, { "national", 0, 8 },
		{ "private", 0, 9 }, { "e.164", EINVAL, 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(swv) / sizeof(swv[0]); i++) {
		enum gw_pri_switch sw = 99;

		assert_int_equal(gw_pri_switch_parse(swv[i].s, &sw),
				 swv[i].err);
		if (!swv[i].err)
			assert_int_equal(sw, swv[i].sw);
		else
			assert_int_equal(sw, 99);
	}
	for (size_t i = 0; i < sizeof(tonv) / sizeof(tonv[0]); i++) {
		enum gw_pri_ton t = 99;

		assert_int_equal(gw_pri_ton_parse(tonv[i].s, &t), tonv[i].err);
		assert_int_equal(t, tonv[i].err ? 99 : tonv[i].v);
	}
	for (size_t i = 0; i < sizeof(npiv) / sizeof(npiv[0]); i++) {
		enum gw_pri_npi n = 99;

		assert_int_equal(gw_pri_npi_parse(npiv[i].s, &n), npiv[i].err);
		assert_int_equal(n, npiv[i].err ? 99 : npiv[i].v);
	}
	enum gw_pri_node node;

	assert_int_equal(gw_pri_node_parse("net", &node), 0);
	assert_int_equal(node, GW_PRI_NET);
	assert_int_equal(gw_pri_node_parse("cpe", &node), 0);
	assert_int_equal(node, GW_PRI_CPE);
	assert_int_equal(gw_pri_node_parse("both", &node), EINVAL);
	assert_true(gw_pri_switch_has_service(GW_PRI_SW_5ESS));
	assert_false(gw_pri_switch_has_service(GW_PRI_SW_EUROISDN));
}

static void test_bad_conf(void **state)
{
	struct gw_pri_conf c;
	struct gw_pri *p = NULL;
	uv_loop_t loop;

	(void)state;
	uv_loop_init(&loop);
	gw_pri_conf_init(&c);
	c.e1 = false;
	c.bchans = 1u << 30;     /* no timeslot 30 on a T1 */
	assert_int_equal(gw_pri_alloc(&p, &loop, &c, frame_h, NULL, NULL),
			 EINVAL);
	assert_null(p);
	gw_pri_conf_init(&c);
	c.sw = 42;
	assert_int_equal(gw_pri_alloc(&p, &loop, &c, frame_h, NULL, NULL),
			 EINVAL);
	assert_int_equal(gw_pri_alloc(&p, &loop, NULL, frame_h, NULL, NULL),
			 EINVAL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* Link comes up and RESTART leaves every channel idle, per switch type. */
static void test_link_up(void **state)
{
	static const struct {
		enum gw_pri_switch sw;
		bool e1;
		unsigned nb;
	} testv[] = {
		{ GW_PRI_SW_EUROISDN, true, 30 },
		{ GW_PRI_SW_EUROISDN, false, 23 },
		{ GW_PRI_SW_NATIONAL, false, 23 },
		{ GW_PRI_SW_NI1, false, 23 },
		{ GW_PRI_SW_DMS100, false, 23 },
		{ GW_PRI_SW_4ESS, false, 23 },
		{ GW_PRI_SW_5ESS, false, 23 },
		{ GW_PRI_SW_QSIG, true, 30 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		struct bench *b = bench_up(testv[i].sw, testv[i].e1, false,
					   false, 0);

		assert_true(gw_pri_link_up(b->a.pri));
		assert_true(gw_pri_link_up(b->b.pri));
		assert_int_equal(gw_pri_chan_count(b->a.pri, GW_PRI_CH_IDLE),
				 testv[i].nb);
		assert_int_equal(gw_pri_chan_state(b->b.pri,
						   testv[i].e1 ? 16 : 24),
				 GW_PRI_CH_NONE);
		bench_free(b);
	}
}

static void setup_vec(struct gw_pri_setup *s, const char *called,
		      const char *calling)
{
	gw_pri_setup_init(s);
	snprintf(s->called.num, sizeof(s->called.num), "%s", called);
	snprintf(s->calling.num, sizeof(s->calling.num), "%s", calling);
}

/* Full call both ways with the SETUP contents checked on the far side. */
static void test_call(void **state)
{
	static const struct {
		bool from_cpe;
		enum gw_pri_switch sw;
		bool e1;
		unsigned channel;      /* asked; 0 = any */
		unsigned expect_ch;
		int called_ton, called_npi;
		int calling_ton, calling_npi;
		enum gw_pri_pres pres;
		enum gw_pri_screen screen;
		const char *name;
		const char *redir;
		enum gw_pri_redir_reason reason;
		enum gw_pri_bearer bearer;
		int hangup_cause;
	} testv[] = {
		{ true, GW_PRI_SW_EUROISDN, true, 0, 1, 2, 1, 4, 1,
		  GW_PRI_PRES_ALLOWED, GW_PRI_SCREEN_USER_PASSED, "Alice",
		  "", 0, GW_PRI_BEARER_SPEECH, 16 },
		{ true, GW_PRI_SW_EUROISDN, true, 17, 17, 1, 1, 2, 1,
		  GW_PRI_PRES_RESTRICTED, GW_PRI_SCREEN_NETWORK, "",
		  "5551234", GW_PRI_REDIR_BUSY, GW_PRI_BEARER_AUDIO_3K1, 17 },
		{ false, GW_PRI_SW_EUROISDN, true, 0, 31, 0, 0, 0, 0,
		  GW_PRI_PRES_ALLOWED, GW_PRI_SCREEN_NETWORK, "",
		  "", 0, GW_PRI_BEARER_UDI, 16 },
		{ false, GW_PRI_SW_NATIONAL, false, 5, 5, 2, 1, 2, 1,
		  GW_PRI_PRES_ALLOWED, GW_PRI_SCREEN_USER_NOT_SCREENED, "Bob",
		  "", 0, GW_PRI_BEARER_SPEECH, 16 },
		{ true, GW_PRI_SW_NATIONAL, false, 0, 1, 2, 1, 2, 1,
		  GW_PRI_PRES_ALLOWED, GW_PRI_SCREEN_USER_PASSED, "",
		  "2125550000", GW_PRI_REDIR_UNCONDITIONAL,
		  GW_PRI_BEARER_SPEECH, 31 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		struct bench *b = bench_up(testv[i].sw, testv[i].e1, false,
					   false, 0);
		struct side *o = testv[i].from_cpe ? &b->b : &b->a;
		struct side *t = testv[i].from_cpe ? &b->a : &b->b;
		struct gw_pri_setup s;
		struct gw_pri_call *c = NULL;
		unsigned on = o->nev, tn = t->nev;
		int k;

		setup_vec(&s, "4930123456", "301234");
		s.channel = testv[i].channel;
		s.exclusive = testv[i].channel != 0;
		s.called.ton = testv[i].called_ton;
		s.called.npi = testv[i].called_npi;
		s.calling.ton = testv[i].calling_ton;
		s.calling.npi = testv[i].calling_npi;
		s.calling.pres = testv[i].pres;
		s.calling.screen = testv[i].screen;
		snprintf(s.calling_name, sizeof(s.calling_name), "%s",
			 testv[i].name);
		snprintf(s.redirecting.num, sizeof(s.redirecting.num), "%s",
			 testv[i].redir);
		s.redirect_reason = testv[i].reason;
		s.bearer = testv[i].bearer;
		/* Busy: the called side refuses inside its SETUP handler */
		t->reject_cause = testv[i].hangup_cause == 17 ? 17 : 0;
		assert_int_equal(gw_pri_call_setup(o->pri, &s, &s, &c), 0);
		assert_non_null(c);
		assert_ptr_equal(gw_pri_call_arg(c), &s);
		assert_true(gw_pri_call_outgoing(c));
		assert_int_equal(gw_pri_call_channel(c), testv[i].expect_ch);
		assert_int_equal(gw_pri_chan_state(o->pri, testv[i].expect_ch),
				 GW_PRI_CH_BUSY);

		k = wait_ev(b, t, GW_PRI_EV_SETUP, tn, 5000);
		assert_true(k >= 0);
		assert_int_equal(t->ev[k].channel, testv[i].expect_ch);
		assert_string_equal(t->setup.called.num, "4930123456");
		assert_string_equal(t->setup.calling.num, "301234");
		assert_int_equal(t->setup.called.ton, testv[i].called_ton);
		assert_int_equal(t->setup.called.npi, testv[i].called_npi);
		assert_int_equal(t->setup.calling.ton, testv[i].calling_ton);
		assert_int_equal(t->setup.calling.npi, testv[i].calling_npi);
		assert_int_equal(t->setup.calling.pres, testv[i].pres);
		assert_int_equal(t->setup.calling.screen, testv[i].screen);
		assert_int_equal(t->setup.bearer, testv[i].bearer);
		assert_true(t->setup.complete);
		if (testv[i].sw == GW_PRI_SW_EUROISDN ||
		    testv[i].name[0] == 0)
			assert_string_equal(t->setup.calling_name,
					    testv[i].name);
		assert_string_equal(t->setup.redirecting.num, testv[i].redir);
		if (testv[i].redir[0])
			assert_int_equal(t->setup.redirect_reason,
					 testv[i].reason);
		if (testv[i].hangup_cause == 17) {
			/* Busy right away: the caller sees cause 17 */
			k = wait_ev(b, o, GW_PRI_EV_DISCONNECT, on, 5000);
			if (k < 0)
				k = wait_ev(b, o, GW_PRI_EV_RELEASE, on, 5000);
			assert_true(k >= 0);
			assert_int_equal(o->ev[k].cause, 17);
			gw_pri_call_hangup(c, 16);
		} else {
			assert_false(gw_pri_call_outgoing(t->call));
			assert_int_equal(gw_pri_chan_state(t->pri,
							   testv[i].expect_ch),
					 GW_PRI_CH_BUSY);
			assert_int_equal(gw_pri_call_proceeding(t->call, false),
					 0);
			assert_true(wait_ev(b, o, GW_PRI_EV_PROCEEDING, on,
					    5000) >= 0);
			assert_int_equal(gw_pri_call_alerting(t->call, true),
					 0);
			k = wait_ev(b, o, GW_PRI_EV_ALERTING, on, 5000);
			assert_true(k >= 0);
			assert_true(o->ev[k].inband);
			assert_int_equal(gw_pri_call_answer(t->call), 0);
			assert_true(wait_ev(b, o, GW_PRI_EV_CONNECT, on,
					    5000) >= 0);
			gw_pri_call_hangup(c, testv[i].hangup_cause);
			k = wait_ev(b, t, GW_PRI_EV_DISCONNECT, tn, 5000);
			assert_true(k >= 0);
			assert_int_equal(t->ev[k].cause,
					 testv[i].hangup_cause);
			gw_pri_call_hangup(t->call, t->ev[k].cause);
		}
		assert_true(wait_ev(b, o, GW_PRI_EV_RELEASE, on, 5000) >= 0);
		assert_true(wait_ev(b, t, GW_PRI_EV_RELEASE, tn, 5000) >= 0);
		assert_true(wait_idle(b, 2000));
		bench_free(b);
	}
}

static void dialplans(struct gw_pri_conf *c)
{
	c->dialplan_ton = GW_PRI_TON_NATIONAL;
	c->dialplan_npi = GW_PRI_NPI_E164;
	c->localdialplan_ton = GW_PRI_TON_SUBSCRIBER;
	c->localdialplan_npi = GW_PRI_NPI_PRIVATE;
}

/* Numbers given without TON/NPI take the span's dialplan/localdialplan. */
static void test_dialplan(void **state)
{
	struct bench *b;
	struct gw_pri_setup s;
	struct gw_pri_call *c = NULL;

	(void)state;
	b = bench_new(GW_PRI_SW_EUROISDN, true, false, false, 0, dialplans);
	assert_true(wait_ev(b, &b->b, GW_PRI_EV_LINK_UP, 0, 8000) >= 0);
	assert_true(wait_idle(b, 20000));
	setup_vec(&s, "301234567", "4711");
	snprintf(s.redirecting.num, sizeof(s.redirecting.num), "4712");
	s.redirect_reason = GW_PRI_REDIR_NO_REPLY;
	assert_int_equal(gw_pri_call_setup(b->b.pri, &s, NULL, &c), 0);
	assert_true(wait_ev(b, &b->a, GW_PRI_EV_SETUP, 0, 5000) >= 0);
	assert_int_equal(b->a.setup.called.ton, GW_PRI_TON_NATIONAL);
	assert_int_equal(b->a.setup.called.npi, GW_PRI_NPI_E164);
	assert_int_equal(b->a.setup.calling.ton, GW_PRI_TON_SUBSCRIBER);
	assert_int_equal(b->a.setup.calling.npi, GW_PRI_NPI_PRIVATE);
	assert_string_equal(b->a.setup.redirecting.num, "4712");
	assert_int_equal(b->a.setup.redirect_reason, GW_PRI_REDIR_NO_REPLY);
	b->a.auto_hangup_on_disconnect = 1;
	gw_pri_call_hangup(c, 16);
	assert_true(wait_idle(b, 5000));
	bench_free(b);
}

static void interworking(struct gw_pri_conf *c)
{
	c->interworking = true;
}

/* Progress descriptions: PI 8 with in-band alerting, PI 2 on CONNECT from
 * a span that interworks with a non-ISDN network. */
static void test_progress_ind(void **state)
{
	struct bench *b;
	struct gw_pri_setup s;
	struct gw_pri_call *c = NULL;
	int k;

	(void)state;
	b = bench_new(GW_PRI_SW_EUROISDN, true, false, false, 0,
		      interworking);
	assert_true(wait_ev(b, &b->b, GW_PRI_EV_LINK_UP, 0, 8000) >= 0);
	assert_true(wait_idle(b, 20000));
	setup_vec(&s, "1001", "100");
	assert_int_equal(gw_pri_call_setup(b->b.pri, &s, NULL, &c), 0);
	assert_true(wait_ev(b, &b->a, GW_PRI_EV_SETUP, 0, 5000) >= 0);
	gw_pri_call_alerting(b->a.call, true);
	k = wait_ev(b, &b->b, GW_PRI_EV_ALERTING, 0, 5000);
	assert_true(k >= 0);
	assert_true(b->b.ev[k].pi & GW_PRI_PI_INBAND);
	assert_true(b->b.ev[k].inband);
	gw_pri_call_answer(b->a.call);
	k = wait_ev(b, &b->b, GW_PRI_EV_CONNECT, 0, 5000);
	assert_true(k >= 0);
	assert_true(b->b.ev[k].pi & GW_PRI_PI_DEST_NOT_ISDN);
	assert_false(b->b.ev[k].pi & GW_PRI_PI_INBAND);
	b->a.auto_hangup_on_disconnect = 1;
	gw_pri_call_hangup(c, 16);
	assert_true(wait_idle(b, 5000));
	bench_free(b);
}

/* Q.931 §5.1.3 overlap sending, SETUP ACK, INFORMATION digits. */
static void test_overlap(void **state)
{
	struct bench *b;
	struct gw_pri_setup s;
	struct gw_pri_call *c = NULL;
	int k;

	(void)state;
	b = bench_up(GW_PRI_SW_EUROISDN, true, true, false, 0);
	setup_vec(&s, "12", "100");
	s.complete = false;
	assert_int_equal(gw_pri_call_setup(b->b.pri, &s, NULL, &c), 0);
	k = wait_ev(b, &b->a, GW_PRI_EV_SETUP, 0, 5000);
	assert_true(k >= 0);
	assert_false(b->a.setup.complete);
	assert_string_equal(b->a.setup.called.num, "12");
	assert_int_equal(gw_pri_call_setup_ack(b->a.call), 0);
	assert_true(wait_ev(b, &b->b, GW_PRI_EV_SETUP_ACK, 0, 5000) >= 0);
	assert_int_equal(gw_pri_call_info(c, "345"), 0);
	assert_int_equal(gw_pri_call_info(c, "x"), EINVAL);
	run_ms(b, 300);
	{
		char got[32] = "";

		for (unsigned i = 0; i < b->a.nev; i++)
			if (b->a.ev[i].type == GW_PRI_EV_INFO)
				strncat(got, b->a.ev[i].digits,
					sizeof(got) - strlen(got) - 1);
		assert_string_equal(got, "345");
	}
	assert_int_equal(gw_pri_call_proceeding(b->a.call, false), 0);
	assert_true(wait_ev(b, &b->b, GW_PRI_EV_PROCEEDING, 0, 5000) >= 0);
	b->a.auto_hangup_on_disconnect = 1;
	gw_pri_call_hangup(c, 16);
	assert_true(wait_ev(b, &b->a, GW_PRI_EV_RELEASE, 0, 5000) >= 0);
	assert_true(wait_ev(b, &b->b, GW_PRI_EV_RELEASE, 0, 5000) >= 0);
	assert_true(wait_idle(b, 2000));
	bench_free(b);
}

/* A call refused during overlap receiving (after SETUP ACK) is cleared
 * at the caller with the cause given. */
static void test_overlap_reject(void **state)
{
	struct bench *b;
	struct gw_pri_setup s;
	struct gw_pri_call *c = NULL;
	int k;

	(void)state;
	b = bench_up(GW_PRI_SW_EUROISDN, true, true, false, 0);
	setup_vec(&s, "4", "100");
	s.complete = false;
	assert_int_equal(gw_pri_call_setup(b->b.pri, &s, NULL, &c), 0);
	assert_true(wait_ev(b, &b->a, GW_PRI_EV_SETUP, 0, 5000) >= 0);
	assert_true(wait_ev(b, &b->b, GW_PRI_EV_SETUP_ACK, 0, 5000) >= 0);
	gw_pri_call_hangup(b->a.call, 1);
	b->b.auto_hangup_on_disconnect = 1;
	k = wait_ev(b, &b->b, GW_PRI_EV_RELEASE, 0, 5000);
	assert_true(k >= 0);
	assert_int_equal(b->b.ev[k].cause, 1);
	assert_true(wait_idle(b, 5000));
	bench_free(b);
}

/*
 * A peer that never completes the release (its upper layer ignores our
 * DISCONNECT): after stuck_ms the channel is RESTARTed, which clears the
 * call at both ends and returns the channel to service.
 */
static void test_stuck_release(void **state)
{
	struct bench *b;
	struct gw_pri_setup s;
	struct gw_pri_call *c = NULL;
	unsigned nb, na;
	int k;

	(void)state;
	b = bench_up(GW_PRI_SW_EUROISDN, true, false, false, 1500);
	setup_vec(&s, "1001", "100");
	s.channel = 9;
	s.exclusive = true;
	assert_int_equal(gw_pri_call_setup(b->b.pri, &s, NULL, &c), 0);
	assert_true(wait_ev(b, &b->a, GW_PRI_EV_SETUP, 0, 5000) >= 0);
	gw_pri_call_answer(b->a.call);
	assert_true(wait_ev(b, &b->b, GW_PRI_EV_CONNECT, 0, 5000) >= 0);
	nb = b->b.nev;
	na = b->a.nev;
	gw_pri_call_hangup(c, 16);
	assert_true(wait_ev(b, &b->a, GW_PRI_EV_DISCONNECT, na, 5000) >= 0);
	/* the network side's upper layer does nothing */
	k = wait_ev(b, &b->b, GW_PRI_EV_RELEASE, nb, 10000);
	assert_true(k >= 0);
	assert_int_equal(b->b.ev[k].cause, 41);
	k = wait_ev(b, &b->a, GW_PRI_EV_CHAN_RESTART, na, 5000);
	assert_true(k >= 0);
	assert_int_equal(b->a.ev[k].channel, 9);
	assert_true(find_ev(&b->a, GW_PRI_EV_RELEASE, na) >= 0);
	assert_true(wait_idle(b, 5000));
	bench_free(b);
}

/* RESTART of a busy channel clears the call on both sides. */
static void test_restart(void **state)
{
	struct bench *b;
	struct gw_pri_setup s;
	struct gw_pri_call *c = NULL;
	unsigned n, na;
	int k;

	(void)state;
	b = bench_up(GW_PRI_SW_EUROISDN, true, false, false, 0);
	setup_vec(&s, "1001", "100");
	s.channel = 3;
	s.exclusive = true;
	assert_int_equal(gw_pri_call_setup(b->b.pri, &s, NULL, &c), 0);
	assert_true(wait_ev(b, &b->a, GW_PRI_EV_SETUP, 0, 5000) >= 0);
	gw_pri_call_answer(b->a.call);
	assert_true(wait_ev(b, &b->b, GW_PRI_EV_CONNECT, 0, 5000) >= 0);
	assert_int_equal(gw_pri_restart(b->b.pri, 3, false), EBUSY);
	assert_int_equal(gw_pri_restart(b->b.pri, 16, false), EINVAL);
	n = b->b.nev;
	na = b->a.nev;
	assert_int_equal(gw_pri_restart(b->b.pri, 3, true), 0);
	k = find_ev(&b->b, GW_PRI_EV_RELEASE, n);
	assert_true(k >= 0);
	assert_int_equal(b->b.ev[k].cause, 41);
	assert_int_equal(gw_pri_chan_state(b->b.pri, 3), GW_PRI_CH_RESTARTING);
	k = wait_ev(b, &b->a, GW_PRI_EV_CHAN_RESTART, na, 5000);
	assert_true(k >= 0);
	assert_int_equal(b->a.ev[k].channel, 3);
	k = find_ev(&b->a, GW_PRI_EV_RELEASE, na);
	assert_true(k >= 0);
	assert_int_equal(b->a.ev[k].cause, 41);
	k = wait_ev(b, &b->b, GW_PRI_EV_RESTART_ACK, n, 5000);
	assert_true(k >= 0);
	assert_true(wait_idle(b, 2000));
	/* The channel works again */
	c = NULL;
	assert_int_equal(gw_pri_call_setup(b->b.pri, &s, NULL, &c), 0);
	n = b->a.nev;
	assert_true(wait_ev(b, &b->a, GW_PRI_EV_SETUP, n, 5000) >= 0);
	b->a.auto_hangup_on_disconnect = 1;
	gw_pri_call_hangup(c, 16);
	assert_true(wait_idle(b, 5000));
	bench_free(b);
}

/* SERVICE messages (national ISDN): out of service and back. */
static void test_service(void **state)
{
	struct bench *b;
	int k;

	(void)state;
	b = bench_up(GW_PRI_SW_NATIONAL, false, false, true, 0);
	assert_int_equal(gw_pri_service(b->b.pri, 7, false), 0);
	assert_int_equal(gw_pri_chan_state(b->b.pri, 7), GW_PRI_CH_OOS_LOCAL);
	k = wait_ev(b, &b->a, GW_PRI_EV_SERVICE, 0, 5000);
	assert_true(k >= 0);
	assert_int_equal(b->a.ev[k].channel, 7);
	assert_int_equal(gw_pri_chan_state(b->a.pri, 7),
			 GW_PRI_CH_OOS_REMOTE);
	assert_true(wait_ev(b, &b->b, GW_PRI_EV_SERVICE_ACK, 0, 5000) >= 0);
	assert_int_equal(gw_pri_service(b->b.pri, 7, true), 0);
	assert_true(wait_ev(b, &b->a, GW_PRI_EV_SERVICE, (unsigned)k + 1,
			    5000) >= 0);
	assert_int_equal(gw_pri_chan_state(b->a.pri, 7), GW_PRI_CH_IDLE);
	bench_free(b);

	/* euroisdn has no SERVICE messages */
	b = bench_up(GW_PRI_SW_EUROISDN, true, false, true, 0);
	assert_int_equal(gw_pri_service(b->b.pri, 7, false), ENOTSUP);
	bench_free(b);
}

/* D-channel loss releases calls with cause 38; the link and calls return. */
static void test_dchan_loss(void **state)
{
	struct bench *b;
	struct gw_pri_setup s;
	struct gw_pri_call *c = NULL;
	unsigned na, nb;
	int k;

	(void)state;
	b = bench_up(GW_PRI_SW_EUROISDN, true, false, false, 0);
	setup_vec(&s, "1001", "100");
	assert_int_equal(gw_pri_call_setup(b->b.pri, &s, NULL, &c), 0);
	assert_true(wait_ev(b, &b->a, GW_PRI_EV_SETUP, 0, 5000) >= 0);
	gw_pri_call_answer(b->a.call);
	assert_true(wait_ev(b, &b->b, GW_PRI_EV_CONNECT, 0, 5000) >= 0);

	/* Line cut: user side sees layer 1 go, network side times out */
	na = b->a.nev;
	nb = b->b.nev;
	b->a.cut = b->b.cut = true;
	gw_pri_l1_state(b->b.pri, false);
	k = find_ev(&b->b, GW_PRI_EV_RELEASE, nb);
	assert_true(k >= 0);
	assert_int_equal(b->b.ev[k].cause, 38);
	assert_true(find_ev(&b->b, GW_PRI_EV_LINK_DOWN, nb) > k);
	assert_int_equal(gw_pri_chan_count(b->b.pri, GW_PRI_CH_DOWN), 30);
	assert_false(gw_pri_call_setup(b->b.pri, &s, NULL, &c) == 0);
	k = wait_ev(b, &b->a, GW_PRI_EV_RELEASE, na, 30000);
	assert_true(k >= 0);
	assert_true(wait_ev(b, &b->a, GW_PRI_EV_LINK_DOWN, na, 30000) >= 0);

	/* Line back: link, RESTART, calls work */
	na = b->a.nev;
	nb = b->b.nev;
	b->a.cut = b->b.cut = false;
	gw_pri_l1_state(b->b.pri, true);
	assert_true(wait_ev(b, &b->b, GW_PRI_EV_LINK_UP, nb, 30000) >= 0);
	assert_true(wait_ev(b, &b->a, GW_PRI_EV_LINK_UP, na, 30000) >= 0);
	assert_true(wait_idle(b, 20000));
	c = NULL;
	assert_int_equal(gw_pri_call_setup(b->b.pri, &s, NULL, &c), 0);
	assert_true(wait_ev(b, &b->a, GW_PRI_EV_SETUP, na, 5000) >= 0);
	b->a.auto_hangup_on_disconnect = 1;
	gw_pri_call_hangup(c, 16);
	assert_true(wait_idle(b, 5000));
	bench_free(b);
}

/* Stopping a span releases its calls; started again, it RESTARTs every
 * channel, which also clears the far end's leftover call. */
static void test_stop_start(void **state)
{
	struct bench *b;
	struct gw_pri_setup s;
	struct gw_pri_call *c = NULL;
	unsigned na, nb;
	int k;

	(void)state;
	b = bench_up(GW_PRI_SW_EUROISDN, true, false, false, 0);
	setup_vec(&s, "1001", "100");
	assert_int_equal(gw_pri_call_setup(b->b.pri, &s, NULL, &c), 0);
	assert_true(wait_ev(b, &b->a, GW_PRI_EV_SETUP, 0, 5000) >= 0);
	gw_pri_call_answer(b->a.call);
	assert_true(wait_ev(b, &b->b, GW_PRI_EV_CONNECT, 0, 5000) >= 0);
	na = b->a.nev;
	nb = b->b.nev;
	gw_pri_stop(b->b.pri);
	k = find_ev(&b->b, GW_PRI_EV_RELEASE, nb);
	assert_true(k >= 0);
	assert_int_equal(b->b.ev[k].cause, 38);
	assert_true(find_ev(&b->b, GW_PRI_EV_LINK_DOWN, nb) > k);
	assert_false(gw_pri_link_up(b->b.pri));
	assert_int_equal(gw_pri_chan_count(b->b.pri, GW_PRI_CH_DOWN), 30);
	gw_pri_stop(b->b.pri);   /* twice is harmless */
	assert_int_equal(gw_pri_start(b->b.pri), 0);
	assert_true(wait_ev(b, &b->b, GW_PRI_EV_LINK_UP, nb, 10000) >= 0);
	assert_true(wait_idle(b, 20000));
	k = find_ev(&b->a, GW_PRI_EV_RELEASE, na);
	assert_true(k >= 0);
	assert_int_equal(b->a.ev[k].cause, 41);
	bench_free(b);
}

/* Garbage on the D-channel is dropped without effect on a live link. */
static void test_garbage(void **state)
{
	struct bench *b;
	uint8_t buf[300];
	uint32_t x = 12345;

	(void)state;
	b = bench_up(GW_PRI_SW_EUROISDN, true, false, false, 0);
	/* libpri reports every bad frame; keep the test output readable */
	if (!getenv("PRI_TEST_Q931"))
		log_set_level(LOGL_ERR);
	for (unsigned i = 0; i < 2000; i++) {
		size_t len = (i * 7) % sizeof(buf);

		for (size_t j = 0; j < len; j++) {
			x = x * 1103515245u + 12345u;
			buf[j] = (uint8_t)(x >> 16);
		}
		/* Keep SAPI 0/TEI 0 some of the time to reach Q.931 */
		if (len > 4 && (i & 1)) {
			buf[0] = 0x00 | (i & 2);
			buf[1] = 0x01;
			buf[3] = (uint8_t)(buf[3] & 0xfe);
			buf[4] = 0x08;
		}
		gw_pri_recv(b->b.pri, buf, len);
	}
	gw_pri_recv(b->b.pri, NULL, 10);
	run_ms(b, 500);
	assert_true(wait_idle(b, 30000));
	log_set_level(LOGL_NOTICE);
	bench_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_bad_conf),
		cmocka_unit_test(test_link_up),
		cmocka_unit_test(test_call),
		cmocka_unit_test(test_dialplan),
		cmocka_unit_test(test_progress_ind),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_overlap_reject),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_stuck_release),
		cmocka_unit_test(test_service),
		cmocka_unit_test(test_dchan_loss),
		cmocka_unit_test(test_stop_start),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* libpri offers no destructor for its controller: its internal tables are
 * left behind when a span is freed (a few KiB per span, once). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libpri.so\n";
}
