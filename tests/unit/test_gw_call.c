/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for gw/call: event sequences through the state table in both
 * directions with recording legs; each case checks what the legs were
 * asked to do (in order), the final state and the result for the CDR.
 * Includes the races (CANCEL vs CONNECT, BYE before ACK, late 2xx after
 * CANCEL, re-INVITE during setup), failover, D-channel loss and a sweep
 * showing that from every state the two terminal events end the call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gw/call.h"
#include "gw/conf.h"

struct rec {
	struct gw_call *call;  /* set for legs that answer synchronously */
	char log[1024];
	int setup_fail[8];    /* per target: cause returned by tdm_setup */
	int invite_fail[8];   /* per target: status returned by sip_invite */
	bool done;
};

static void logf_(struct rec *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void logf_(struct rec *r, const char *fmt, ...)
{
	size_t n = strlen(r->log);
	va_list ap;
	if (n)
		r->log[n++] = ' ';
	va_start(ap, fmt);
	vsnprintf(r->log + n, sizeof(r->log) - n, fmt, ap);
	va_end(ap);
}

static unsigned target_idx(struct gw_call *c, const struct gw_route_target *t)
{
	return (unsigned)(t - gw_call_route(c)->targets);
}

static int op_tdm_setup(struct gw_call *c, const struct gw_route_target *t, void *a)
{
	struct rec *r = a;
	logf_(r, "setup(%s)", t->name);
	return r->setup_fail[target_idx(c, t)];
}
static void op_tdm_proceeding(struct gw_call *c, void *a) { (void)c; logf_(a, "proc"); }
static void op_tdm_alerting(struct gw_call *c, bool inband, void *a)
{ (void)c; logf_(a, "alert%s", inband ? "(pi8)" : ""); }
static void op_tdm_progress(struct gw_call *c, void *a) { (void)c; logf_(a, "prog(pi8)"); }
static void op_tdm_connect(struct gw_call *c, void *a) { (void)c; logf_(a, "conn"); }
static void op_tdm_disconnect(struct gw_call *c, const struct gw_cause *cz, void *a)
{ (void)c; logf_(a, "disc(%u)", cz->cause); }
static int op_sip_invite(struct gw_call *c, const struct gw_route_target *t, void *a)
{
	struct rec *r = a;
	logf_(r, "invite(%s)", t->name);
	return r->invite_fail[target_idx(c, t)];
}
static void op_sip_progress(struct gw_call *c, uint16_t st, bool sdp, void *a)
{ (void)c; logf_(a, "%u%s", st, sdp ? "+sdp" : ""); }
static void op_sip_answer(struct gw_call *c, void *a)
{
	struct rec *r = a;
	logf_(r, "200");
	if (r->call)  /* a caller that ACKs at once, from inside the action */
		gw_call_event(c, GW_EV_SIP_ACK, NULL);
}
static void op_sip_reject(struct gw_call *c, uint16_t st, const struct gw_cause *cz, void *a)
{ (void)c; logf_(a, "reject(%u,%u)", st, cz->cause); }
static void op_sip_bye(struct gw_call *c, const struct gw_cause *cz, void *a)
{
	struct rec *r = a;
	logf_(r, "bye(%u)", cz->cause);
	if (r->call)  /* the BYE is answered at once */
		gw_call_event(c, GW_EV_SIP_ENDED, NULL);
}
static void op_sip_cancel(struct gw_call *c, const struct gw_cause *cz, void *a)
{ (void)c; logf_(a, "cancel(%u)", cz->cause); }
static void op_sip_refresh(struct gw_call *c, uint16_t st, void *a)
{ (void)c; logf_(a, "refresh(%u)", st); }
static void op_timer(struct gw_call *c, uint32_t ms, void *a)
{ (void)c; logf_(a, ms ? "timer" : "untimer"); }
static void op_done(struct gw_call *c, void *a)
{ struct rec *r = a; (void)c; r->done = true; logf_(r, "done"); }

static const struct gw_call_ops ops = {
	op_tdm_setup, op_tdm_proceeding, op_tdm_alerting, op_tdm_progress,
	op_tdm_connect, op_tdm_disconnect, op_sip_invite, op_sip_progress,
	op_sip_answer, op_sip_reject, op_sip_bye, op_sip_cancel, op_sip_refresh,
	op_timer, op_done,
};

/* one scripted event */
struct step {
	enum gw_call_ev ev;
	uint16_t status;
	uint8_t cause;
	bool has_cause, inband, sdp;
};

#define S(e) { GW_EV_##e, 0, 0, false, false, false }
#define SC(e, c) { GW_EV_##e, 0, c, false, false, false }
#define SI(e) { GW_EV_##e, 0, 0, false, true, false }
#define SS(e, st) { GW_EV_##e, st, 0, false, false, false }
#define SSD(e, st) { GW_EV_##e, st, 0, false, false, true }
#define SR(e, st, c) { GW_EV_##e, st, c, true, false, false }
#define END { GW_EV_COUNT, 0, 0, false, false, false }

struct scenario {
	const char *name;
	enum gw_call_dir dir;
	unsigned ntargets;
	int setup_fail[3], invite_fail[3];
	struct step steps[16];
	const char *log;
	enum gw_call_state final;
	uint16_t sip_status;
	uint8_t cause;
	bool answered;
	int hangup;
	unsigned target;
};

static const struct scenario scenarios[] = {
	{ "s2p answered, SIP hangs up", GW_CALL_SIP2PSTN, 1, {0}, {0},
	  { S(SIP_INVITE), S(TDM_PROCEEDING), S(TDM_ALERTING), S(TDM_CONNECT),
	    S(SIP_ACK), S(SIP_BYE), SC(TDM_RELEASE, 16), END },
	  "timer setup(a) 180 untimer 200 disc(16) done",
	  GW_CALL_DONE, 200, 16, true, GW_HANGUP_SIP, 0 },
	{ "s2p answered, PSTN hangs up", GW_CALL_SIP2PSTN, 1, {0}, {0},
	  { S(SIP_INVITE), S(TDM_ALERTING), S(TDM_CONNECT), S(SIP_ACK),
	    SC(TDM_DISCONNECT, 16), SC(TDM_RELEASE, 16), S(SIP_ENDED), END },
	  "timer setup(a) 180 untimer 200 disc(16) bye(16) done",
	  GW_CALL_DONE, 200, 16, true, GW_HANGUP_PSTN, 0 },
	{ "s2p busy", GW_CALL_SIP2PSTN, 1, {0}, {0},
	  { S(SIP_INVITE), S(TDM_PROCEEDING), SC(TDM_DISCONNECT, 17),
	    SC(TDM_RELEASE, 17), END },
	  "timer setup(a) disc(17) untimer reject(486,17) done",
	  GW_CALL_DONE, 486, 17, false, GW_HANGUP_PSTN, 0 },
	{ "s2p unallocated (RELEASE COMPLETE)", GW_CALL_SIP2PSTN, 1, {0}, {0},
	  { S(SIP_INVITE), SC(TDM_RELEASE, 1), END },
	  "timer setup(a) untimer reject(404,1) done",
	  GW_CALL_DONE, 404, 1, false, GW_HANGUP_PSTN, 0 },
	{ "s2p failover on 34 to the next group", GW_CALL_SIP2PSTN, 2, {0}, {0},
	  { S(SIP_INVITE), SC(TDM_RELEASE, 34), S(TDM_ALERTING), S(TDM_CONNECT),
	    S(SIP_ACK), S(SIP_BYE), S(TDM_RELEASE), END },
	  "timer setup(a) setup(b) 180 untimer 200 disc(16) done",
	  GW_CALL_DONE, 200, 16, true, GW_HANGUP_SIP, 1 },
	{ "s2p no failover on 17", GW_CALL_SIP2PSTN, 2, {0}, {0},
	  { S(SIP_INVITE), SC(TDM_RELEASE, 17), END },
	  "timer setup(a) untimer reject(486,17) done",
	  GW_CALL_DONE, 486, 17, false, GW_HANGUP_PSTN, 0 },
	{ "s2p every target fails at once (D-channel down)", GW_CALL_SIP2PSTN, 2,
	  { 38, 38 }, {0},
	  { S(SIP_INVITE), END },
	  "timer setup(a) setup(b) reject(503,38) untimer done",
	  GW_CALL_DONE, 503, 38, false, GW_HANGUP_NONE, 1 },
	{ "s2p all channels busy", GW_CALL_SIP2PSTN, 1, { 34 }, {0},
	  { S(SIP_INVITE), END },
	  "timer setup(a) reject(503,34) untimer done",
	  GW_CALL_DONE, 503, 34, false, GW_HANGUP_NONE, 0 },
	{ "s2p CANCEL while ringing, CONNECT races it", GW_CALL_SIP2PSTN, 1, {0}, {0},
	  { S(SIP_INVITE), S(TDM_ALERTING), S(SIP_CANCEL), S(TDM_CONNECT),
	    SC(TDM_RELEASE, 16), END },
	  "timer setup(a) 180 untimer disc(16) done",
	  GW_CALL_DONE, 487, 16, false, GW_HANGUP_SIP, 0 },
	{ "s2p CANCEL with Reason cause", GW_CALL_SIP2PSTN, 1, {0}, {0},
	  { S(SIP_INVITE), SR(SIP_CANCEL, 0, 31), S(TDM_RELEASE), END },
	  "timer setup(a) untimer disc(31) done",
	  GW_CALL_DONE, 487, 31, false, GW_HANGUP_SIP, 0 },
	{ "s2p early media 183", GW_CALL_SIP2PSTN, 1, {0}, {0},
	  { S(SIP_INVITE), SI(TDM_PROGRESS), SI(TDM_ALERTING), S(TDM_CONNECT),
	    S(SIP_ACK), END },
	  "timer setup(a) 183+sdp untimer 200",
	  GW_CALL_ACTIVE, 200, 0, true, GW_HANGUP_NONE, 0 },
	{ "s2p alerting with PI 8 gives 183", GW_CALL_SIP2PSTN, 1, {0}, {0},
	  { S(SIP_INVITE), SI(TDM_ALERTING), END },
	  "timer setup(a) 183+sdp", GW_CALL_O_ALERTING, 0, 0, false, GW_HANGUP_NONE, 0 },
	{ "s2p BYE before ACK", GW_CALL_SIP2PSTN, 1, {0}, {0},
	  { S(SIP_INVITE), S(TDM_CONNECT), S(SIP_BYE), S(TDM_RELEASE), END },
	  "timer setup(a) untimer 200 disc(16) done",
	  GW_CALL_DONE, 200, 16, true, GW_HANGUP_SIP, 0 },
	{ "s2p ACK never comes", GW_CALL_SIP2PSTN, 1, {0}, {0},
	  { S(SIP_INVITE), S(TDM_CONNECT), S(SIP_ENDED), S(TDM_RELEASE), END },
	  "timer setup(a) untimer 200 disc(102) done",
	  GW_CALL_DONE, 200, 102, true, GW_HANGUP_GATEWAY, 0 },
	{ "s2p re-INVITE during setup and when active", GW_CALL_SIP2PSTN, 1, {0}, {0},
	  { S(SIP_INVITE), S(TDM_ALERTING), S(SIP_REINVITE), S(TDM_CONNECT),
	    S(SIP_ACK), S(SIP_REINVITE), S(SIP_2XX), END },
	  "timer setup(a) 180 refresh(491) untimer 200 refresh(200)",
	  GW_CALL_ACTIVE, 200, 0, true, GW_HANGUP_NONE, 0 },
	{ "s2p D-channel lost while active", GW_CALL_SIP2PSTN, 1, {0}, {0},
	  { S(SIP_INVITE), S(TDM_CONNECT), S(SIP_ACK), SC(TDM_RELEASE, 38),
	    S(SIP_ENDED), END },
	  "timer setup(a) untimer 200 bye(38) done",
	  GW_CALL_DONE, 200, 38, true, GW_HANGUP_PSTN, 0 },
	{ "s2p D-channel lost while ringing", GW_CALL_SIP2PSTN, 1, {0}, {0},
	  { S(SIP_INVITE), S(TDM_ALERTING), SC(TDM_RELEASE, 38), END },
	  "timer setup(a) 180 untimer reject(503,38) done",
	  GW_CALL_DONE, 503, 38, false, GW_HANGUP_PSTN, 0 },
	{ "s2p no answer", GW_CALL_SIP2PSTN, 1, {0}, {0},
	  { S(SIP_INVITE), S(TDM_ALERTING), S(NOANSWER), S(TDM_RELEASE), END },
	  "timer setup(a) 180 disc(19) reject(480,19) done",
	  GW_CALL_DONE, 480, 19, false, GW_HANGUP_GATEWAY, 0 },
	{ "s2p both hang up at once", GW_CALL_SIP2PSTN, 1, {0}, {0},
	  { S(SIP_INVITE), S(TDM_CONNECT), S(SIP_ACK), S(SIP_BYE),
	    SC(TDM_DISCONNECT, 16), SC(TDM_RELEASE, 16), END },
	  "timer setup(a) untimer 200 disc(16) disc(16) done",
	  GW_CALL_DONE, 200, 16, true, GW_HANGUP_SIP, 0 },

	{ "p2s answered, PSTN hangs up", GW_CALL_PSTN2SIP, 1, {0}, {0},
	  { S(TDM_SETUP), SS(SIP_1XX, 180), S(SIP_2XX), SC(TDM_DISCONNECT, 16),
	    S(TDM_RELEASE), S(SIP_ENDED), END },
	  "proc timer invite(a) alert untimer conn disc(16) bye(16) done",
	  GW_CALL_DONE, 200, 16, true, GW_HANGUP_PSTN, 0 },
	{ "p2s answered, SIP hangs up", GW_CALL_PSTN2SIP, 1, {0}, {0},
	  { S(TDM_SETUP), SSD(SIP_1XX, 183), S(SIP_2XX), S(SIP_BYE),
	    S(TDM_RELEASE), END },
	  "proc timer invite(a) prog(pi8) untimer conn disc(16) done",
	  GW_CALL_DONE, 200, 16, true, GW_HANGUP_SIP, 0 },
	{ "p2s busy", GW_CALL_PSTN2SIP, 1, {0}, {0},
	  { S(TDM_SETUP), SS(SIP_FAIL, 486), S(TDM_RELEASE), END },
	  "proc timer invite(a) untimer disc(17) done",
	  GW_CALL_DONE, 486, 17, false, GW_HANGUP_SIP, 0 },
	{ "p2s Reason header wins", GW_CALL_PSTN2SIP, 1, {0}, {0},
	  { S(TDM_SETUP), SR(SIP_FAIL, 503, 34), S(TDM_RELEASE), END },
	  "proc timer invite(a) untimer disc(34) done",
	  GW_CALL_DONE, 503, 34, false, GW_HANGUP_SIP, 0 },
	{ "p2s failover on 503 to the next trunk", GW_CALL_PSTN2SIP, 2, {0}, {0},
	  { S(TDM_SETUP), SS(SIP_FAIL, 503), SS(SIP_1XX, 180), S(SIP_2XX), END },
	  "proc timer invite(a) invite(b) alert untimer conn",
	  GW_CALL_ACTIVE, 200, 0, true, GW_HANGUP_NONE, 1 },
	{ "p2s caller abandons while ringing", GW_CALL_PSTN2SIP, 1, {0}, {0},
	  { S(TDM_SETUP), SS(SIP_1XX, 180), SC(TDM_DISCONNECT, 16),
	    SS(SIP_FAIL, 487), S(TDM_RELEASE), END },
	  "proc timer invite(a) alert untimer disc(16) cancel(16) done",
	  GW_CALL_DONE, 487, 16, false, GW_HANGUP_PSTN, 0 },
	{ "p2s 2xx after our CANCEL gets a BYE", GW_CALL_PSTN2SIP, 1, {0}, {0},
	  { S(TDM_SETUP), SC(TDM_RELEASE, 16), S(SIP_2XX), S(SIP_ENDED), END },
	  "proc timer invite(a) untimer cancel(16) bye(16) done",
	  GW_CALL_DONE, 0, 16, false, GW_HANGUP_PSTN, 0 },
	{ "p2s trunk unreachable at once", GW_CALL_PSTN2SIP, 1, {0}, { 503 },
	  { S(TDM_SETUP), S(TDM_RELEASE), END },
	  "proc timer invite(a) disc(41) untimer done",
	  GW_CALL_DONE, 503, 41, false, GW_HANGUP_NONE, 0 },
	{ "p2s no answer", GW_CALL_PSTN2SIP, 1, {0}, {0},
	  { S(TDM_SETUP), SS(SIP_1XX, 180), S(NOANSWER), SS(SIP_FAIL, 487),
	    S(TDM_RELEASE), END },
	  "proc timer invite(a) alert cancel(19) disc(19) done",
	  GW_CALL_DONE, 487, 19, false, GW_HANGUP_GATEWAY, 0 },
	{ "p2s unexpected ACK is counted and ignored", GW_CALL_PSTN2SIP, 1, {0}, {0},
	  { S(TDM_SETUP), S(SIP_ACK), END },
	  "proc timer invite(a)", GW_CALL_I_INVITING, 0, 0, false, GW_HANGUP_NONE, 0 },
};

static struct gw_route_table *t;
static struct gw_conf *conf;

static int group_teardown(void **state)
{
	(void)state;
	gw_route_table_free(t);
	gw_conf_free(conf);
	return 0;
}

static void run(const struct scenario *sc, struct rec *r, struct gw_call **cp,
		struct gw_cause_map *map, struct gw_call_policy *pol)
{
	struct gw_route_result route;
	static const char *const names[] = { "a", "b", "c" };

	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; i < 3; i++) {
		r->setup_fail[i] = sc->setup_fail[i];
		r->invite_fail[i] = sc->invite_fail[i];
	}
	gw_cause_map_init(map, GW_CAUSE_RFC3398);
	memset(pol, 0, sizeof(*pol));
	pol->causes = map;
	pol->noanswer_ms = 60000;
	pol->early_media_183 = true;
	memset(&route, 0, sizeof(route));
	route.ntargets = sc->ntargets;
	for (unsigned i = 0; i < sc->ntargets; i++) {
		route.targets[i].kind = sc->dir == GW_CALL_SIP2PSTN ? GW_TARGET_GROUP
								   : GW_TARGET_TRUNK;
		snprintf(route.targets[i].name, sizeof(route.targets[i].name), "%s", names[i]);
	}
	/* a route whose failover policy is the default list */
	if (!t) {
		struct gw_conf_err err;
		gw_conf_load_str(&conf, "c.conf",
				 "[route r]\ndirection = sip2pstn\ntarget = group:x\n", &err);
		gw_route_table_conf(&t, conf, &err);
	}
	struct gw_route_req req = { .dir = GW_ROUTE_SIP2PSTN, .called = "1", .src_span = -1 };
	struct gw_route_result tmp;
	assert_int_equal(gw_route_lookup(t, &req, &tmp), 0);
	route.rule = tmp.rule;
	route.route = tmp.route;
	*cp = gw_call_alloc(sc->dir, &route, &ops, r, pol);
	assert_non_null(*cp);
}

static void feed(struct gw_call *c, const struct step *s)
{
	struct gw_call_evd d = { .status = s->status, .has_cause = s->has_cause,
				 .inband = s->inband, .sdp = s->sdp };
	d.cause.cause = s->cause;
	d.cause.location = GW_LOC_LN;
	gw_call_event(c, s->ev, &d);
}

static void test_scenarios(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *sc = &scenarios[i];
		struct rec r;
		struct gw_call *c;
		struct gw_cause_map map;
		struct gw_call_policy pol;
		struct gw_call_result res;

		run(sc, &r, &c, &map, &pol);
		for (const struct step *s = sc->steps; s->ev != GW_EV_COUNT; s++)
			feed(c, s);
		if (strcmp(r.log, sc->log))
			fail_msg("%s:\n  got  '%s'\n  want '%s'", sc->name, r.log, sc->log);
		if (gw_call_state(c) != sc->final)
			fail_msg("%s: state %s want %s", sc->name,
				 gw_call_state_name(gw_call_state(c)),
				 gw_call_state_name(sc->final));
		gw_call_result(c, &res);
		if (res.sip_status != sc->sip_status || res.cause.cause != sc->cause ||
		    res.answered != sc->answered || (int)res.hangup != sc->hangup ||
		    res.target != sc->target)
			fail_msg("%s: result status %u cause %u answered %d hangup %d "
				 "target %u", sc->name, res.sip_status, res.cause.cause,
				 res.answered, res.hangup, res.target);
		if (!strcmp(sc->name, "p2s unexpected ACK is counted and ignored"))
			assert_int_equal(res.unexpected, 1);
		else
			assert_int_equal(res.unexpected, 0);
		gw_call_free(c);
	}
}

/*
 * From every state any scenario passes through, the two terminal events
 * (TDM leg gone, SIP leg gone) end the call: nothing can be left stuck.
 * Every other event in every such state is fed too, and must not crash.
 */
static void test_terminal_events_end_every_state(void **state)
{
	unsigned reached = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *sc = &scenarios[i];
		size_t nsteps = 0;
		while (sc->steps[nsteps].ev != GW_EV_COUNT)
			nsteps++;
		for (size_t k = 1; k <= nsteps; k++) {
			for (int ev = 0; ev < GW_EV_COUNT; ev++) {
				struct rec r;
				struct gw_call *c;
				struct gw_cause_map map;
				struct gw_call_policy pol;
				struct step s = { (enum gw_call_ev)ev, 500, 41, false, false, false };

				run(sc, &r, &c, &map, &pol);
				for (size_t j = 0; j < k; j++)
					feed(c, &sc->steps[j]);
				if (gw_call_state(c) == GW_CALL_DONE) {
					gw_call_free(c);
					continue;
				}
				feed(c, &s);
				struct step rel = { GW_EV_TDM_RELEASE, 0, 16, false, false, false };
				struct step end = { GW_EV_SIP_ENDED, 0, 0, false, false, false };
				feed(c, &rel);
				feed(c, &end);
				if (gw_call_state(c) != GW_CALL_DONE || !r.done)
					fail_msg("%s after %zu steps + %s: stuck in %s", sc->name,
						 k, gw_call_ev_name((enum gw_call_ev)ev),
						 gw_call_state_name(gw_call_state(c)));
				reached++;
				gw_call_free(c);
			}
		}
	}
	assert_true(reached > 100);
}

/* Legs that feed events back from inside an action: the call queues
 * them and runs them after the current transition. */
static void test_reentrant_legs(void **state)
{
	struct rec r;
	struct gw_call *c;
	struct gw_cause_map map;
	struct gw_call_policy pol;
	struct gw_call_result res;
	(void)state;

	run(&scenarios[0], &r, &c, &map, &pol);
	r.call = c;
	gw_call_event(c, GW_EV_SIP_INVITE, NULL);
	gw_call_event(c, GW_EV_TDM_CONNECT, NULL);   /* 200, ACK at once */
	assert_int_equal(gw_call_state(c), GW_CALL_ACTIVE);
	struct gw_call_evd d = { .cause = { 38, GW_LOC_LN } };
	assert_int_equal(gw_call_event(c, GW_EV_TDM_RELEASE, &d), GW_CALL_DONE);
	assert_string_equal(r.log, "timer setup(a) untimer 200 bye(38) done");
	gw_call_result(c, &res);
	assert_int_equal(res.cause.cause, 38);
	assert_int_equal(res.hangup, GW_HANGUP_PSTN);
	assert_int_equal(res.unexpected, 0);
	gw_call_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scenarios),
		cmocka_unit_test(test_terminal_events_end_every_state),
		cmocka_unit_test(test_reentrant_legs),
	};
	return cmocka_run_group_tests_name("gw_call", tests, NULL, group_teardown);
}
