/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * calltest: one SIP -> PSTN call through the real call model (gw/call)
 * and the real TDM leg (gw/spans: group hunting, gw/pri over a virtual
 * span), with the SIP leg played by this program: it prints what the
 * call asks the SIP side to do, one line each, and acts as a caller
 * would (ACK after 200, then BYE or CANCEL on a timer). For integration
 * tests against pstnsim until the SIP leg is wired in the daemon.
 *
 *   calltest -c GW.CONF -n CALLED [-b HOLD_MS] [-x CANCEL_MS]
 *            [-t NOANSWER_MS] [-w LINK_WAIT_MS]
 *
 * The call is routed by the [route] sections of GW.CONF (direction
 * sip2pstn), so targets, rewriting and failover are the configured ones.
 *
 * Output lines: "SIP <what>", "TDM span <n> ts <t>", and at the end
 * "RESULT state=<s> status=<n> cause=<n> answered=<0|1> hangup=<who>
 * target=<i>". Exit 0 when the call ended, 1 on a setup problem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "base/log.h"
#include "gw/call.h"
#include "gw/cause.h"
#include "gw/conf.h"
#include "gw/pri.h"
#include "gw/route.h"
#include "gw/span.h"
#include "gw/spans.h"

struct ct {
	uv_loop_t *loop;
	struct gw_spans *spans;
	struct gw_call *call;
	struct gw_tdm_call *tc;
	const char *called;
	char called_out[GW_ROUTE_NUM];
	long hold_ms, cancel_ms, link_wait_ms;
	uv_timer_t t_noans, t_act, t_wait;
	bool done;
	int waited;
};

static void finish(struct ct *ct);

static int o_tdm_setup(struct gw_call *c, const struct gw_route_target *t, void *a)
{
	struct ct *ct = a;
	struct gw_pri_setup setup;
	int cause;
	(void)c;

	if (ct->tc) /* failover: the previous attempt is cleared by itself */
		ct->tc = NULL;
	gw_pri_setup_init(&setup);
	if (strlen(ct->called_out) >= sizeof(setup.called.num))
		return 28; /* invalid number format */
	memcpy(setup.called.num, ct->called_out, strlen(ct->called_out) + 1);
	snprintf(setup.calling.num, sizeof(setup.calling.num), "5551234");
	cause = gw_spans_call_setup(ct->spans, t->name, &setup, ct, &ct->tc);
	if (cause) {
		printf("TDM setup on %s failed cause %d\n", t->name, cause);
		return cause;
	}
	printf("TDM span %u ts %u group %s\n", gw_tdm_call_span(ct->tc),
	       gw_tdm_call_ts(ct->tc), t->name);
	return 0;
}

static void o_tdm_proceeding(struct gw_call *c, void *a) { (void)c; gw_tdm_call_proceeding(((struct ct *)a)->tc); }
static void o_tdm_alerting(struct gw_call *c, bool inband, void *a) { (void)c; gw_tdm_call_alerting(((struct ct *)a)->tc, inband); }
static void o_tdm_progress(struct gw_call *c, void *a) { (void)c; gw_tdm_call_progress(((struct ct *)a)->tc); }
static void o_tdm_connect(struct gw_call *c, void *a) { (void)c; gw_tdm_call_answer(((struct ct *)a)->tc); }

static void o_tdm_disconnect(struct gw_call *c, const struct gw_cause *cz, void *a)
{
	struct ct *ct = a;
	(void)c;
	/* events of an attempt that a failover replaced are filtered in
	 * tdm_ev_h (ct->tc moves on), so no detaching is needed here */
	if (ct->tc)
		gw_tdm_call_hangup(ct->tc, cz->cause, false);
	printf("TDM disconnect cause %u\n", cz->cause);
}

static int o_sip_invite(struct gw_call *c, const struct gw_route_target *t, void *a)
{
	(void)c; (void)t; (void)a;
	return 500; /* not used in this direction */
}

static void o_sip_progress(struct gw_call *c, uint16_t st, bool sdp, void *a)
{
	(void)c;
	(void)a;
	printf("SIP %u%s\n", st, sdp ? " sdp" : "");
}

static void act_cb(uv_timer_t *t);

static void o_sip_answer(struct gw_call *c, void *a)
{
	struct ct *ct = a;
	(void)c;
	printf("SIP 200\n");
	/* the caller ACKs at once, then hangs up after hold_ms */
	gw_call_event(ct->call, GW_EV_SIP_ACK, NULL);
	if (ct->hold_ms >= 0) {
		uv_timer_stop(&ct->t_act);
		uv_timer_start(&ct->t_act, act_cb, (uint64_t)ct->hold_ms, 0);
	}
}

static void o_sip_reject(struct gw_call *c, uint16_t st, const struct gw_cause *cz, void *a)
{
	(void)c; (void)a;
	printf("SIP reject %u cause %u\n", st, cz->cause);
}

static void o_sip_bye(struct gw_call *c, const struct gw_cause *cz, void *a)
{
	struct ct *ct = a;
	(void)c;
	printf("SIP bye cause %u\n", cz->cause);
	/* the far SIP end answers our BYE */
	gw_call_event(ct->call, GW_EV_SIP_ENDED, NULL);
}

static void o_sip_cancel(struct gw_call *c, const struct gw_cause *cz, void *a)
{
	(void)c; (void)a;
	printf("SIP cancel cause %u\n", cz->cause);
}

static void o_sip_refresh(struct gw_call *c, uint16_t st, void *a)
{
	(void)c; (void)a;
	printf("SIP refresh %u\n", st);
}

static void noans_cb(uv_timer_t *t)
{
	struct ct *ct = t->data;
	gw_call_event(ct->call, GW_EV_NOANSWER, NULL);
}

static void o_timer(struct gw_call *c, uint32_t ms, void *a)
{
	struct ct *ct = a;
	(void)c;
	uv_timer_stop(&ct->t_noans);
	if (ms)
		uv_timer_start(&ct->t_noans, noans_cb, ms, 0);
}

static void o_done(struct gw_call *c, void *a)
{
	struct ct *ct = a;
	struct gw_call_result r;
	static const char *const who[] = { "none", "sip", "pstn", "gateway" };

	gw_call_result(c, &r);
	printf("RESULT state=%s status=%u cause=%u answered=%d hangup=%s target=%u\n",
	       gw_call_state_name(gw_call_state(c)), r.sip_status, r.cause.cause,
	       r.answered, who[r.hangup], r.target);
	fflush(stdout);
	ct->done = true;
	finish(ct);
}

static const struct gw_call_ops ops = {
	o_tdm_setup, o_tdm_proceeding, o_tdm_alerting, o_tdm_progress,
	o_tdm_connect, o_tdm_disconnect, o_sip_invite, o_sip_progress,
	o_sip_answer, o_sip_reject, o_sip_bye, o_sip_cancel, o_sip_refresh,
	o_timer, o_done,
};

/* events of the TDM leg into the call */
static void tdm_ev_h(struct gw_tdm_call *tc, enum gw_call_ev ev,
		     const struct gw_call_evd *d, void *owner)
{
	struct ct *ct = owner;
	if (tc != ct->tc)
		return; /* an older attempt */
	if (ev == GW_EV_TDM_RELEASE)
		ct->tc = NULL;
	printf("TDM %s%s cause %u\n", gw_call_ev_name(ev),
	       d->inband ? " inband" : "", d->cause.cause);
	fflush(stdout);
	if (ct->call)
		gw_call_event(ct->call, ev, d);
}

static void act_cb(uv_timer_t *t)
{
	struct ct *ct = t->data;
	enum gw_call_state st;

	if (!ct->call)
		return;
	st = gw_call_state(ct->call);

	if (st == GW_CALL_ACTIVE || st == GW_CALL_O_ANSWERED) {
		printf("SIP caller sends BYE\n");
		gw_call_event(ct->call, GW_EV_SIP_BYE, NULL);
	} else if (st == GW_CALL_O_SETUP || st == GW_CALL_O_PROCEEDING ||
		   st == GW_CALL_O_ALERTING) {
		printf("SIP caller sends CANCEL\n");
		gw_call_event(ct->call, GW_EV_SIP_CANCEL, NULL);
	}
}

static void close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void finish(struct ct *ct)
{
	uv_timer_stop(&ct->t_noans);
	uv_timer_stop(&ct->t_act);
	uv_timer_stop(&ct->t_wait);
	uv_stop(ct->loop);
}

struct waitctx {
	struct ct *ct;
	struct gw_route_table *routes;
	const struct gw_call_policy *pol;
};

static void start_call(struct ct *ct, struct gw_route_table *routes,
		       const struct gw_call_policy *pol)
{
	struct gw_route_result route;
	struct gw_route_req req;

	memset(&req, 0, sizeof(req));
	req.dir = GW_ROUTE_SIP2PSTN;
	req.called = ct->called;
	req.calling = "5551234";
	req.src_span = -1;
	if (gw_route_lookup(routes, &req, &route)) {
		/* no route: the call model answers 404-ish itself */
		memset(&route, 0, sizeof(route));
		route.route = "none";
	}
	printf("ROUTE %s called %s targets %zu\n", route.route, route.called,
	       route.ntargets);
	snprintf(ct->called_out, sizeof(ct->called_out), "%s", route.called);
	ct->call = gw_call_alloc(GW_CALL_SIP2PSTN, &route, &ops, ct, pol);
	if (ct->cancel_ms >= 0)
		uv_timer_start(&ct->t_act, act_cb, (uint64_t)ct->cancel_ms, 0);
	gw_call_event(ct->call, GW_EV_SIP_INVITE, NULL);
}

static void wait_cb(uv_timer_t *t)
{
	struct waitctx *w = t->data;
	struct ct *ct = w->ct;
	bool up = false;

	/* ready when some span is up and every span whose line is up has
	 * its D-channel up (spans in alarm do not hold the call back) */
	for (size_t i = 0; i < gw_spans_count(ct->spans); i++) {
		struct gw_pri *p = gw_spans_pri(ct->spans, i);
		if (!gw_span_is_up(gw_spans_span(ct->spans, i)))
			continue;
		up = true;
		/* D-channel up and the start-up RESTARTs acknowledged */
		if (p && (!gw_pri_link_up(p) ||
			  gw_pri_chan_count(p, GW_PRI_CH_RESTARTING))) {
			up = false;
			break;
		}
	}
	ct->waited += 100;
	if (up || ct->waited >= ct->link_wait_ms) {
		uv_timer_stop(t);
		if (!up)
			printf("LINK not up after %ld ms\n", ct->link_wait_ms);
		start_call(ct, w->routes, w->pol);
	}
}

int main(int argc, char **argv)
{
	const char *conf_path = NULL;
	struct gw_route_table *routes = NULL;
	long noans = 0;
	struct gw_conf *conf = NULL;
	struct gw_conf_err err;
	struct gw_cause_map map;
	struct gw_call_policy pol;
	struct ct ct;
	struct waitctx w;
	int c;

	memset(&ct, 0, sizeof(ct));
	ct.hold_ms = 1000;
	ct.cancel_ms = -1;
	ct.link_wait_ms = 10000;
	while ((c = getopt(argc, argv, "c:n:b:x:t:w:v")) != -1) {
		switch (c) {
		case 'c': conf_path = optarg; break;
		case 'n': ct.called = optarg; break;
		case 'b': ct.hold_ms = atol(optarg); break;
		case 'x': ct.cancel_ms = atol(optarg); break;
		case 't': noans = atol(optarg); break;
		case 'w': ct.link_wait_ms = atol(optarg); break;
		case 'v': log_set_level(LOGL_DEBUG); break;
		default:
			fprintf(stderr, "usage: calltest -c GW.CONF -n CALLED "
				"[-b HOLD_MS] [-x CANCEL_MS] [-t NOANSWER_MS] [-w LINK_WAIT_MS]\n");
			return 2;
		}
	}
	if (!conf_path || !ct.called) {
		fprintf(stderr, "calltest: -c and -n are required\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (gw_conf_load(&conf, conf_path, &err) ||
	    gw_spans_conf(&ct.spans, conf, "/etc/dahdi/system.conf", &err) ||
	    gw_route_table_conf(&routes, conf, &err)) {
		fprintf(stderr, "calltest: %s\n", err.msg);
		return 1;
	}
	gw_cause_map_init(&map, GW_CAUSE_RFC3398);
	memset(&pol, 0, sizeof(pol));
	pol.causes = &map;
	pol.noanswer_ms = (uint32_t)noans;
	pol.early_media_183 = true;

	ct.loop = uv_default_loop();
	uv_timer_init(ct.loop, &ct.t_noans);
	uv_timer_init(ct.loop, &ct.t_act);
	uv_timer_init(ct.loop, &ct.t_wait);
	ct.t_noans.data = ct.t_act.data = &ct;
	gw_spans_set_call_handlers(ct.spans, tdm_ev_h, NULL, &ct);
	if (gw_spans_start(ct.spans, ct.loop)) {
		fprintf(stderr, "calltest: cannot start the spans\n");
		return 1;
	}
	w.ct = &ct;
	w.routes = routes;
	w.pol = &pol;
	ct.t_wait.data = &w;
	uv_timer_start(&ct.t_wait, wait_cb, 100, 100);
	uv_run(ct.loop, UV_RUN_DEFAULT);

	gw_call_free(ct.call);
	gw_spans_free(ct.spans);
	gw_route_table_free(routes);
	uv_walk(ct.loop, close_walk, NULL);
	uv_run(ct.loop, UV_RUN_DEFAULT);
	uv_loop_close(ct.loop);
	gw_conf_free(conf);
	return ct.done ? 0 : 1;
}
