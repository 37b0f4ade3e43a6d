/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The call model's state table (see call.h). Each row is (state, event,
 * action); the action returns the next state. The release of the two legs
 * is tracked with two flags (sip_gone, tdm_gone): a call is DONE when
 * both legs are gone, whatever order they went in; REL_SIP waits for the
 * SIP leg, REL_TDM for the TDM leg.
 *
 * Choices where the specs leave room (see also docs/call.md):
 *  - CANCEL (or BYE on an early dialog) from SIP releases the TDM call
 *    with the Q.850 cause of its Reason header if any, else 16.
 *  - A TDM cause 16 before answer is answered with the profile's status
 *    for 16 (480 by default).
 *  - Failover to the next target happens only before the far end was
 *    reached (no ALERTING / no 18x yet) and only for the causes/statuses
 *    the route lists.
 *  - DISCONNECT with in-band information before answer is treated as a
 *    failure at once (no announcement is relayed yet).
 *  - A 2xx for our INVITE that arrives after we cancelled it is answered
 *    with BYE.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "gw/call.h"

struct gw_call {
	enum gw_call_dir dir;
	enum gw_call_state state;
	struct gw_route_result route;
	unsigned target;
	const struct gw_call_ops *ops;
	void *arg;
	const struct gw_call_policy *pol;
	bool sip_gone, tdm_gone;
	bool alerted;        /* the far end was reached (no more failover) */
	bool timer_on;
	struct gw_call_result res;
	void *user;
	/* events fed from inside an action (a leg answering at once) wait
	 * here and run after the current transition, in order */
	bool in_event;
	unsigned nq;
	struct {
		enum gw_call_ev ev;
		struct gw_call_evd d;
	} q[8];
};

typedef enum gw_call_state (call_act_h)(struct gw_call *c,
					const struct gw_call_evd *d);

struct call_row {
	enum gw_call_state state;
	enum gw_call_ev ev;
	call_act_h *act;
};

static const char *const state_names[GW_CALL_STATE_COUNT] = {
	[GW_CALL_IDLE] = "idle",
	[GW_CALL_O_SETUP] = "o-setup",
	[GW_CALL_O_PROCEEDING] = "o-proceeding",
	[GW_CALL_O_ALERTING] = "o-alerting",
	[GW_CALL_O_ANSWERED] = "o-answered",
	[GW_CALL_I_INVITING] = "i-inviting",
	[GW_CALL_I_EARLY] = "i-early",
	[GW_CALL_ACTIVE] = "active",
	[GW_CALL_REL_TDM] = "rel-tdm",
	[GW_CALL_REL_SIP] = "rel-sip",
	[GW_CALL_DONE] = "done",
};

static const char *const ev_names[GW_EV_COUNT] = {
	[GW_EV_SIP_INVITE] = "sip-invite",
	[GW_EV_SIP_1XX] = "sip-1xx",
	[GW_EV_SIP_2XX] = "sip-2xx",
	[GW_EV_SIP_FAIL] = "sip-fail",
	[GW_EV_SIP_ACK] = "sip-ack",
	[GW_EV_SIP_CANCEL] = "sip-cancel",
	[GW_EV_SIP_BYE] = "sip-bye",
	[GW_EV_SIP_REINVITE] = "sip-reinvite",
	[GW_EV_SIP_ENDED] = "sip-ended",
	[GW_EV_TDM_SETUP] = "tdm-setup",
	[GW_EV_TDM_PROCEEDING] = "tdm-proceeding",
	[GW_EV_TDM_ALERTING] = "tdm-alerting",
	[GW_EV_TDM_PROGRESS] = "tdm-progress",
	[GW_EV_TDM_CONNECT] = "tdm-connect",
	[GW_EV_TDM_DISCONNECT] = "tdm-disconnect",
	[GW_EV_TDM_RELEASE] = "tdm-release",
	[GW_EV_NOANSWER] = "no-answer",
};

const char *gw_call_state_name(enum gw_call_state s)
{
	return (unsigned)s < GW_CALL_STATE_COUNT ? state_names[s] : "?";
}

const char *gw_call_ev_name(enum gw_call_ev ev)
{
	return (unsigned)ev < GW_EV_COUNT ? ev_names[ev] : "?";
}

/* ---- helpers ---- */

static void timer_start(struct gw_call *c)
{
	if (c->pol->noanswer_ms && c->ops->timer) {
		c->ops->timer(c, c->pol->noanswer_ms, c->arg);
		c->timer_on = true;
	}
}

static void timer_stop(struct gw_call *c)
{
	if (c->timer_on && c->ops->timer)
		c->ops->timer(c, 0, c->arg);
	c->timer_on = false;
}

static struct gw_cause cause_make(uint8_t cause)
{
	struct gw_cause cz = { cause, GW_LOC_LPN };
	return cz;
}

/* The Q.850 cause a SIP failure stands for (its Reason wins, RFC 3326). */
static struct gw_cause cause_of_sip(const struct gw_call *c,
				    const struct gw_call_evd *d)
{
	if (d && d->has_cause)
		return d->cause;
	return gw_cause_from_sip(c->pol->causes, d ? d->status : 500);
}

static uint16_t status_of_cause(const struct gw_call *c,
				const struct gw_cause *cz)
{
	return gw_cause_to_sip(c->pol->causes, cz);
}

/* Both legs gone: DONE. Otherwise wait for the one still there. */
static enum gw_call_state settle(struct gw_call *c)
{
	if (c->sip_gone && c->tdm_gone) {
		timer_stop(c);
		return GW_CALL_DONE;
	}
	return c->sip_gone ? GW_CALL_REL_TDM : GW_CALL_REL_SIP;
}

static void reject_sip(struct gw_call *c, const struct gw_cause *cz)
{
	uint16_t st = status_of_cause(c, cz);

	c->res.sip_status = st;
	c->res.cause = *cz;
	c->ops->sip_reject(c, st, cz, c->arg);
	c->sip_gone = true;
}

static enum gw_call_state noop(struct gw_call *c, const struct gw_call_evd *d)
{
	(void)d;
	return c->state;
}

/* ---- SIP -> PSTN ---- */

/* Try targets from c->target on; a synchronous failure may fail over. */
static enum gw_call_state o_try_targets(struct gw_call *c)
{
	for (; c->target < c->route.ntargets; c->target++) {
		int cause = c->ops->tdm_setup(c, &c->route.targets[c->target],
					      c->arg);
		if (!cause) {
			/* a new attempt: earlier failures are history */
			memset(&c->res.cause, 0, sizeof(c->res.cause));
			c->tdm_gone = false;
			return GW_CALL_O_SETUP;
		}
		c->res.cause = cause_make((uint8_t)cause);
		LOGI("call", "target %s: cause %d",
		     c->route.targets[c->target].name, cause);
		if (!gw_route_failover(&c->route, 0, cause, false))
			break;
	}
	/* nothing (more) to try: the TDM side never started */
	if (c->target >= c->route.ntargets)
		c->target = c->route.ntargets - 1; /* the last one tried */
	c->tdm_gone = true;
	if (!c->res.cause.cause)
		c->res.cause = cause_make(34);
	reject_sip(c, &c->res.cause);
	return settle(c);
}

static enum gw_call_state o_start(struct gw_call *c, const struct gw_call_evd *d)
{
	(void)d;
	c->target = 0;
	if (c->route.ntargets == 0) {
		struct gw_cause cz = cause_make(3); /* no route to destination */
		c->tdm_gone = true;
		reject_sip(c, &cz);
		return settle(c);
	}
	timer_start(c);
	return o_try_targets(c);
}

static enum gw_call_state o_proceeding(struct gw_call *c,
				       const struct gw_call_evd *d)
{
	(void)c;
	(void)d;
	return GW_CALL_O_PROCEEDING;
}

static enum gw_call_state o_alerting(struct gw_call *c,
				     const struct gw_call_evd *d)
{
	bool early = d->inband && c->pol->early_media_183;

	c->alerted = true;
	c->ops->sip_progress(c, early ? 183 : 180, early, c->arg);
	return GW_CALL_O_ALERTING;
}

static enum gw_call_state o_progress(struct gw_call *c,
				     const struct gw_call_evd *d)
{
	if (!d->inband)
		return c->state; /* nothing to tell the caller */
	c->alerted = true;
	c->ops->sip_progress(c, 183, true, c->arg);
	return GW_CALL_O_ALERTING;
}

static enum gw_call_state o_connect(struct gw_call *c,
				    const struct gw_call_evd *d)
{
	(void)d;
	timer_stop(c);
	c->res.answered = true;
	c->res.sip_status = 200;
	c->ops->sip_answer(c, c->arg);
	return GW_CALL_O_ANSWERED;
}

/* The TDM call failed before answer (DISCONNECT or RELEASE). */
static enum gw_call_state o_tdm_fail(struct gw_call *c,
				     const struct gw_call_evd *d, bool release)
{
	struct gw_cause cz = d->cause.cause ? d->cause : cause_make(31);

	c->res.cause = cz;
	if (!release)
		c->ops->tdm_disconnect(c, &cz, c->arg); /* complete the clearing */
	if (!c->alerted && gw_route_failover(&c->route, 0, cz.cause, false) &&
	    c->target + 1 < c->route.ntargets) {
		LOGI("call", "cause %u on %s: trying the next target", cz.cause,
		     c->route.targets[c->target].name);
		c->target++;
		return o_try_targets(c);
	}
	timer_stop(c);
	c->res.hangup = GW_HANGUP_PSTN;
	reject_sip(c, &cz);
	c->tdm_gone = release;
	return settle(c);
}

static enum gw_call_state o_disconnect(struct gw_call *c,
				       const struct gw_call_evd *d)
{
	return o_tdm_fail(c, d, false);
}

static enum gw_call_state o_release(struct gw_call *c,
				    const struct gw_call_evd *d)
{
	return o_tdm_fail(c, d, true);
}

/* CANCEL, or BYE on the early dialog: the caller gave up. */
static enum gw_call_state o_cancel(struct gw_call *c,
				   const struct gw_call_evd *d)
{
	struct gw_cause cz = (d && d->has_cause) ? d->cause : cause_make(16);

	timer_stop(c);
	c->res.hangup = GW_HANGUP_SIP;
	c->res.sip_status = 487;
	c->res.cause = cz;
	c->sip_gone = true;
	c->ops->tdm_disconnect(c, &cz, c->arg);
	return settle(c);
}

static enum gw_call_state o_noanswer(struct gw_call *c,
				     const struct gw_call_evd *d)
{
	struct gw_cause cz = cause_make(19); /* no answer from user */
	(void)d;

	c->timer_on = false;
	c->res.hangup = GW_HANGUP_GATEWAY;
	c->ops->tdm_disconnect(c, &cz, c->arg);
	reject_sip(c, &cz);
	return settle(c);
}

static enum gw_call_state o_ack(struct gw_call *c, const struct gw_call_evd *d)
{
	(void)c;
	(void)d;
	return GW_CALL_ACTIVE;
}

/* 200 sent but no ACK ever came (RFC 3261 §13.3.1.4): give up. */
static enum gw_call_state o_no_ack(struct gw_call *c,
				   const struct gw_call_evd *d)
{
	struct gw_cause cz = cause_make(102); /* recovery on timer expiry */
	(void)d;

	c->res.hangup = GW_HANGUP_GATEWAY;
	c->res.cause = cz;
	c->sip_gone = true;
	c->ops->tdm_disconnect(c, &cz, c->arg);
	return settle(c);
}

/* ---- PSTN -> SIP ---- */

static enum gw_call_state i_try_targets(struct gw_call *c)
{
	for (; c->target < c->route.ntargets; c->target++) {
		int st = c->ops->sip_invite(c, &c->route.targets[c->target],
					    c->arg);
		if (!st) {
			c->res.sip_status = 0;
			c->sip_gone = false;
			return GW_CALL_I_INVITING;
		}
		c->res.sip_status = (uint16_t)st;
		LOGI("call", "target %s: status %d",
		     c->route.targets[c->target].name, st);
		if (!gw_route_failover(&c->route, st, 0, false))
			break;
	}
	if (c->target >= c->route.ntargets)
		c->target = c->route.ntargets - 1;
	c->sip_gone = true;
	struct gw_call_evd d = { .status = c->res.sip_status ? c->res.sip_status
							     : 503 };
	struct gw_cause cz = cause_of_sip(c, &d);
	c->res.cause = cz;
	c->ops->tdm_disconnect(c, &cz, c->arg);
	return settle(c);
}

static enum gw_call_state i_start(struct gw_call *c, const struct gw_call_evd *d)
{
	(void)d;
	c->target = 0;
	c->ops->tdm_proceeding(c, c->arg);
	if (c->route.ntargets == 0) {
		struct gw_cause cz = cause_make(3);
		c->sip_gone = true;
		c->res.cause = cz;
		c->ops->tdm_disconnect(c, &cz, c->arg);
		return settle(c);
	}
	timer_start(c);
	return i_try_targets(c);
}

static enum gw_call_state i_1xx(struct gw_call *c, const struct gw_call_evd *d)
{
	c->alerted = true;
	if (d->status == 180)
		c->ops->tdm_alerting(c, d->sdp, c->arg);
	else if (d->sdp)
		c->ops->tdm_progress(c, c->arg);  /* 183 + SDP: PI 8 */
	else if (d->status == 181 || d->status == 182)
		return GW_CALL_I_EARLY;           /* forwarded/queued: no change */
	else
		c->ops->tdm_alerting(c, false, c->arg);
	return GW_CALL_I_EARLY;
}

static enum gw_call_state i_2xx(struct gw_call *c, const struct gw_call_evd *d)
{
	(void)d;
	timer_stop(c);
	c->res.answered = true;
	c->res.sip_status = 200;
	c->ops->tdm_connect(c, c->arg);
	return GW_CALL_ACTIVE;
}

static enum gw_call_state i_fail(struct gw_call *c, const struct gw_call_evd *d)
{
	struct gw_cause cz = cause_of_sip(c, d);

	c->res.sip_status = d->status;
	c->sip_gone = true;
	if (!c->alerted &&
	    gw_route_failover(&c->route, d->status, d->has_cause ? cz.cause : 0,
			      d->status == 408) &&
	    c->target + 1 < c->route.ntargets) {
		c->target++;
		return i_try_targets(c);
	}
	timer_stop(c);
	c->res.hangup = GW_HANGUP_SIP;
	c->res.cause = cz;
	c->ops->tdm_disconnect(c, &cz, c->arg);
	return settle(c);
}

/* The PSTN caller hung up before answer. */
static enum gw_call_state i_tdm_gone(struct gw_call *c,
				     const struct gw_call_evd *d, bool release)
{
	struct gw_cause cz = d->cause.cause ? d->cause : cause_make(16);

	timer_stop(c);
	c->res.hangup = GW_HANGUP_PSTN;
	c->res.cause = cz;
	if (release)
		c->tdm_gone = true;
	else
		c->ops->tdm_disconnect(c, &cz, c->arg);
	c->ops->sip_cancel(c, &cz, c->arg);
	return settle(c);
}

static enum gw_call_state i_disconnect(struct gw_call *c,
				       const struct gw_call_evd *d)
{
	return i_tdm_gone(c, d, false);
}

static enum gw_call_state i_release(struct gw_call *c,
				    const struct gw_call_evd *d)
{
	return i_tdm_gone(c, d, true);
}

static enum gw_call_state i_noanswer(struct gw_call *c,
				     const struct gw_call_evd *d)
{
	struct gw_cause cz = cause_make(19);
	(void)d;

	c->timer_on = false;
	c->res.hangup = GW_HANGUP_GATEWAY;
	c->res.cause = cz;
	c->ops->sip_cancel(c, &cz, c->arg);
	c->ops->tdm_disconnect(c, &cz, c->arg);
	return settle(c);
}

/* ---- established and releasing (both directions) ---- */

static enum gw_call_state a_sip_bye(struct gw_call *c,
				    const struct gw_call_evd *d)
{
	struct gw_cause cz = (d && d->has_cause) ? d->cause : cause_make(16);

	if (c->res.hangup == GW_HANGUP_NONE)
		c->res.hangup = GW_HANGUP_SIP;
	if (!c->res.cause.cause)
		c->res.cause = cz;
	c->sip_gone = true;
	if (!c->tdm_gone)
		c->ops->tdm_disconnect(c, &cz, c->arg);
	return settle(c);
}

static enum gw_call_state a_sip_ended(struct gw_call *c,
				      const struct gw_call_evd *d)
{
	struct gw_cause cz = cause_make(41); /* temporary failure */
	(void)d;

	if (c->res.hangup == GW_HANGUP_NONE)
		c->res.hangup = GW_HANGUP_GATEWAY;
	c->sip_gone = true;
	if (!c->tdm_gone) {
		if (!c->res.cause.cause)
			c->res.cause = cz;
		c->ops->tdm_disconnect(c, &cz, c->arg);
	}
	return settle(c);
}

static enum gw_call_state a_tdm_disconnect(struct gw_call *c,
					   const struct gw_call_evd *d)
{
	struct gw_cause cz = d->cause.cause ? d->cause : cause_make(16);

	if (c->res.hangup == GW_HANGUP_NONE)
		c->res.hangup = GW_HANGUP_PSTN;
	if (!c->res.cause.cause)
		c->res.cause = cz;
	c->ops->tdm_disconnect(c, &cz, c->arg);
	if (!c->sip_gone)
		c->ops->sip_bye(c, &cz, c->arg);
	return settle(c);
}

static enum gw_call_state a_tdm_release(struct gw_call *c,
					const struct gw_call_evd *d)
{
	struct gw_cause cz = d->cause.cause ? d->cause : cause_make(16);

	if (c->res.hangup == GW_HANGUP_NONE)
		c->res.hangup = GW_HANGUP_PSTN;
	if (!c->res.cause.cause)
		c->res.cause = cz;
	c->tdm_gone = true;
	if (!c->sip_gone)
		c->ops->sip_bye(c, &cz, c->arg);
	return settle(c);
}

static enum gw_call_state a_reinvite(struct gw_call *c,
				     const struct gw_call_evd *d)
{
	(void)d;
	c->ops->sip_refresh_answer(c, 200, c->arg);
	return c->state;
}

static enum gw_call_state x_reinvite_491(struct gw_call *c,
					 const struct gw_call_evd *d)
{
	(void)d;
	c->ops->sip_refresh_answer(c, 491, c->arg);
	return c->state;
}

/* While releasing: the other leg reports it is gone. */
static enum gw_call_state r_tdm_release(struct gw_call *c,
					const struct gw_call_evd *d)
{
	if (!c->res.cause.cause && d->cause.cause)
		c->res.cause = d->cause;
	c->tdm_gone = true;
	return settle(c);
}

static enum gw_call_state r_tdm_disconnect(struct gw_call *c,
					   const struct gw_call_evd *d)
{
	struct gw_cause cz = d->cause.cause ? d->cause : cause_make(16);
	/* the far end clears too: complete its clearing */
	c->ops->tdm_disconnect(c, &cz, c->arg);
	return c->state;
}

static enum gw_call_state r_sip_gone(struct gw_call *c,
				     const struct gw_call_evd *d)
{
	if (d && d->status >= 300 && !c->res.sip_status)
		c->res.sip_status = d->status;
	c->sip_gone = true;
	return settle(c);
}

/* Our INVITE was cancelled but the callee answered anyway: hang up. */
static enum gw_call_state r_late_2xx(struct gw_call *c,
				     const struct gw_call_evd *d)
{
	struct gw_cause cz = c->res.cause.cause ? c->res.cause : cause_make(16);
	(void)d;
	c->ops->sip_bye(c, &cz, c->arg);
	return c->state;
}

#define ROW(s, e, a) { GW_CALL_##s, GW_EV_##e, a }

static const struct call_row call_table[] = {
	/* SIP -> PSTN */
	ROW(IDLE, SIP_INVITE, o_start),

	ROW(O_SETUP, TDM_PROCEEDING, o_proceeding),
	ROW(O_SETUP, TDM_ALERTING, o_alerting),
	ROW(O_SETUP, TDM_PROGRESS, o_progress),
	ROW(O_SETUP, TDM_CONNECT, o_connect),
	ROW(O_SETUP, TDM_DISCONNECT, o_disconnect),
	ROW(O_SETUP, TDM_RELEASE, o_release),
	ROW(O_SETUP, SIP_CANCEL, o_cancel),
	ROW(O_SETUP, SIP_BYE, o_cancel),
	ROW(O_SETUP, SIP_ENDED, o_cancel),
	ROW(O_SETUP, SIP_REINVITE, x_reinvite_491),
	ROW(O_SETUP, NOANSWER, o_noanswer),

	ROW(O_PROCEEDING, TDM_PROCEEDING, noop),
	ROW(O_PROCEEDING, TDM_ALERTING, o_alerting),
	ROW(O_PROCEEDING, TDM_PROGRESS, o_progress),
	ROW(O_PROCEEDING, TDM_CONNECT, o_connect),
	ROW(O_PROCEEDING, TDM_DISCONNECT, o_disconnect),
	ROW(O_PROCEEDING, TDM_RELEASE, o_release),
	ROW(O_PROCEEDING, SIP_CANCEL, o_cancel),
	ROW(O_PROCEEDING, SIP_BYE, o_cancel),
	ROW(O_PROCEEDING, SIP_ENDED, o_cancel),
	ROW(O_PROCEEDING, SIP_REINVITE, x_reinvite_491),
	ROW(O_PROCEEDING, NOANSWER, o_noanswer),

	ROW(O_ALERTING, TDM_PROCEEDING, noop),
	ROW(O_ALERTING, TDM_ALERTING, noop),
	ROW(O_ALERTING, TDM_PROGRESS, noop),
	ROW(O_ALERTING, TDM_CONNECT, o_connect),
	ROW(O_ALERTING, TDM_DISCONNECT, o_disconnect),
	ROW(O_ALERTING, TDM_RELEASE, o_release),
	ROW(O_ALERTING, SIP_CANCEL, o_cancel),
	ROW(O_ALERTING, SIP_BYE, o_cancel),
	ROW(O_ALERTING, SIP_ENDED, o_cancel),
	ROW(O_ALERTING, SIP_REINVITE, x_reinvite_491),
	ROW(O_ALERTING, NOANSWER, o_noanswer),

	ROW(O_ANSWERED, SIP_ACK, o_ack),
	ROW(O_ANSWERED, SIP_CANCEL, noop),      /* too late: 200 went out */
	ROW(O_ANSWERED, SIP_BYE, a_sip_bye),    /* BYE before ACK */
	ROW(O_ANSWERED, SIP_ENDED, o_no_ack),
	ROW(O_ANSWERED, SIP_REINVITE, x_reinvite_491),
	ROW(O_ANSWERED, TDM_CONNECT, noop),
	ROW(O_ANSWERED, TDM_DISCONNECT, a_tdm_disconnect),
	ROW(O_ANSWERED, TDM_RELEASE, a_tdm_release),
	ROW(O_ANSWERED, NOANSWER, noop),        /* timer raced the answer */

	/* PSTN -> SIP */
	ROW(IDLE, TDM_SETUP, i_start),

	ROW(I_INVITING, SIP_1XX, i_1xx),
	ROW(I_INVITING, SIP_2XX, i_2xx),
	ROW(I_INVITING, SIP_FAIL, i_fail),
	ROW(I_INVITING, SIP_ENDED, i_fail),
	ROW(I_INVITING, TDM_DISCONNECT, i_disconnect),
	ROW(I_INVITING, TDM_RELEASE, i_release),
	ROW(I_INVITING, TDM_PROCEEDING, noop),
	ROW(I_INVITING, NOANSWER, i_noanswer),

	ROW(I_EARLY, SIP_1XX, i_1xx),
	ROW(I_EARLY, SIP_2XX, i_2xx),
	ROW(I_EARLY, SIP_FAIL, i_fail),
	ROW(I_EARLY, SIP_ENDED, i_fail),
	ROW(I_EARLY, SIP_REINVITE, x_reinvite_491),
	ROW(I_EARLY, TDM_DISCONNECT, i_disconnect),
	ROW(I_EARLY, TDM_RELEASE, i_release),
	ROW(I_EARLY, TDM_PROCEEDING, noop),
	ROW(I_EARLY, NOANSWER, i_noanswer),

	/* established */
	ROW(ACTIVE, SIP_BYE, a_sip_bye),
	ROW(ACTIVE, SIP_ENDED, a_sip_ended),
	ROW(ACTIVE, SIP_REINVITE, a_reinvite),
	ROW(ACTIVE, SIP_2XX, noop),             /* 2xx retransmission */
	ROW(ACTIVE, SIP_ACK, noop),             /* ACK retransmission */
	ROW(ACTIVE, SIP_CANCEL, noop),
	ROW(ACTIVE, TDM_DISCONNECT, a_tdm_disconnect),
	ROW(ACTIVE, TDM_RELEASE, a_tdm_release),
	ROW(ACTIVE, TDM_CONNECT, noop),
	ROW(ACTIVE, NOANSWER, noop),

	/* SIP gone, waiting for the TDM side */
	ROW(REL_TDM, TDM_RELEASE, r_tdm_release),
	ROW(REL_TDM, TDM_DISCONNECT, r_tdm_disconnect),
	ROW(REL_TDM, TDM_PROCEEDING, noop),
	ROW(REL_TDM, TDM_ALERTING, noop),
	ROW(REL_TDM, TDM_PROGRESS, noop),
	ROW(REL_TDM, TDM_CONNECT, noop),        /* CONNECT raced our CANCEL */
	ROW(REL_TDM, SIP_ACK, noop),
	ROW(REL_TDM, SIP_BYE, noop),
	ROW(REL_TDM, SIP_CANCEL, noop),
	ROW(REL_TDM, SIP_ENDED, noop),
	ROW(REL_TDM, SIP_FAIL, noop),
	ROW(REL_TDM, SIP_2XX, noop),
	ROW(REL_TDM, SIP_1XX, noop),
	ROW(REL_TDM, SIP_REINVITE, x_reinvite_491),
	ROW(REL_TDM, NOANSWER, noop),

	/* waiting for the SIP side (the TDM side may still be clearing too) */
	ROW(REL_SIP, SIP_ENDED, r_sip_gone),
	ROW(REL_SIP, SIP_FAIL, r_sip_gone),     /* 487 to our CANCEL */
	ROW(REL_SIP, SIP_BYE, r_sip_gone),
	ROW(REL_SIP, SIP_2XX, r_late_2xx),
	ROW(REL_SIP, SIP_1XX, noop),
	ROW(REL_SIP, SIP_ACK, noop),
	ROW(REL_SIP, SIP_CANCEL, noop),
	ROW(REL_SIP, SIP_REINVITE, x_reinvite_491),
	ROW(REL_SIP, TDM_RELEASE, r_tdm_release),
	ROW(REL_SIP, TDM_DISCONNECT, r_tdm_disconnect),
	ROW(REL_SIP, TDM_PROCEEDING, noop),
	ROW(REL_SIP, TDM_ALERTING, noop),
	ROW(REL_SIP, TDM_PROGRESS, noop),
	ROW(REL_SIP, TDM_CONNECT, noop),
	ROW(REL_SIP, NOANSWER, noop),
};

/*
 * The one place for events the table does not list: logged and counted.
 * A terminal event (a leg is gone) still marks that leg gone so the call
 * can never be stuck; anything else is ignored.
 */
static enum gw_call_state gw_call_unexpected(struct gw_call *c,
					     enum gw_call_ev ev,
					     const struct gw_call_evd *d)
{
	c->res.unexpected++;
	LOGW("call", "unexpected event %s in state %s", gw_call_ev_name(ev),
	     gw_call_state_name(c->state));
	if (c->state == GW_CALL_IDLE || c->state == GW_CALL_DONE)
		return c->state;
	if (ev == GW_EV_TDM_RELEASE) {
		c->tdm_gone = true;
		if (!c->sip_gone) {
			struct gw_cause cz = d && d->cause.cause ? d->cause
								 : cause_make(41);
			c->ops->sip_bye(c, &cz, c->arg);
		}
		return settle(c);
	}
	if (ev == GW_EV_SIP_ENDED)
		return a_sip_ended(c, d);
	return c->state;
}

/* One transition. Returns true when the call has just become DONE. */
static bool call_step(struct gw_call *c, enum gw_call_ev ev,
		      const struct gw_call_evd *d)
{
	const struct call_row *row = NULL;
	enum gw_call_state prev = c->state, next;

	if (c->state == GW_CALL_DONE) {
		LOGD("call", "event %s after done: ignored", gw_call_ev_name(ev));
		return false;
	}
	for (size_t i = 0; i < sizeof(call_table) / sizeof(call_table[0]); i++) {
		if (call_table[i].state == c->state && call_table[i].ev == ev) {
			row = &call_table[i];
			break;
		}
	}
	next = row ? row->act(c, d) : gw_call_unexpected(c, ev, d);
	c->state = next;
	if (next != prev)
		LOGD("call", "%s --%s--> %s", gw_call_state_name(prev),
		     gw_call_ev_name(ev), gw_call_state_name(next));
	return next == GW_CALL_DONE && prev != GW_CALL_DONE;
}

enum gw_call_state gw_call_event(struct gw_call *c, enum gw_call_ev ev,
				 const struct gw_call_evd *d)
{
	static const struct gw_call_evd none;
	bool done;

	if (!d)
		d = &none;
	if (c->in_event) {
		/* re-entered from an action: run it after this transition */
		if (c->nq == sizeof(c->q) / sizeof(c->q[0])) {
			LOGE("call", "event queue full: %s dropped",
			     gw_call_ev_name(ev));
			c->res.unexpected++;
			return c->state;
		}
		c->q[c->nq].ev = ev;
		c->q[c->nq].d = *d;
		c->nq++;
		return c->state;
	}
	c->in_event = true;
	done = call_step(c, ev, d);
	for (unsigned i = 0; i < c->nq && !done; i++)
		done = call_step(c, c->q[i].ev, &c->q[i].d);
	c->nq = 0;
	c->in_event = false;
	/* last: the owner may free the call in done() */
	if (done && c->ops->done) {
		c->ops->done(c, c->arg);
		return GW_CALL_DONE;
	}
	return c->state;
}

struct gw_call *gw_call_alloc(enum gw_call_dir dir,
			      const struct gw_route_result *route,
			      const struct gw_call_ops *ops, void *ops_arg,
			      const struct gw_call_policy *policy)
{
	struct gw_call *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->dir = dir;
	c->state = GW_CALL_IDLE;
	if (route)
		c->route = *route;
	c->ops = ops;
	c->arg = ops_arg;
	c->pol = policy;
	return c;
}

void gw_call_free(struct gw_call *c)
{
	free(c);
}

enum gw_call_state gw_call_state(const struct gw_call *c)
{
	return c->state;
}

enum gw_call_dir gw_call_dir(const struct gw_call *c)
{
	return c->dir;
}

void gw_call_result(const struct gw_call *c, struct gw_call_result *r)
{
	*r = c->res;
	r->target = c->target;
}

const struct gw_route_result *gw_call_route(const struct gw_call *c)
{
	return &c->route;
}

void gw_call_set_user(struct gw_call *c, void *user)
{
	c->user = user;
}

void *gw_call_user(const struct gw_call *c)
{
	return c->user;
}
