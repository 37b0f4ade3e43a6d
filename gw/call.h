/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The call model: one object per call joining a SIP leg and a TDM leg,
 * driven by one explicit state table for both directions. The legs are
 * reached through an operations vtable (struct gw_call_ops): the gateway
 * implements it over the SIP dialog layer and gw/pri (ISUP later, through
 * the same vtable); tests implement it with recorders. Every event is
 * looked up in the table by (state, event); a pair the table does not
 * list is logged and handled in one place (gw_call_unexpected), so races
 * (CANCEL vs CONNECT, early BYE, BYE before ACK, re-INVITE during setup,
 * 2xx retransmissions, D-channel loss) are rows, not scattered ifs.
 *
 * Directions:
 *  SIP -> PSTN: INVITE arrives; the route gives targets (channel groups);
 *   SETUP on the first; failures listed in the route's failover policy
 *   move to the next target; PROCEEDING / ALERTING / PROGRESS become
 *   100 / 180 / 183; CONNECT becomes 200; DISCONNECT/RELEASE become the
 *   mapped failure status (gw/cause) or BYE, with Reason (RFC 3326).
 *  PSTN -> SIP: SETUP arrives; the route gives targets (SIP trunks);
 *   INVITE to the first; 180/183 become ALERTING/PROGRESS (with PI 8
 *   when there is early media); 2xx becomes CONNECT; failures become
 *   DISCONNECT with the mapped cause, or move to the next trunk.
 *
 * Everything runs on the control thread. The call owns nothing of the
 * legs: it asks the ops to act and is told what happened.
 */
#ifndef GW_CALL_H
#define GW_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include "gw/cause.h"
#include "gw/route.h"

struct gw_call;

enum gw_call_dir {
	GW_CALL_SIP2PSTN = 0,
	GW_CALL_PSTN2SIP,
};

enum gw_call_state {
	GW_CALL_IDLE = 0,
	/* SIP -> PSTN (outgoing on the TDM side) */
	GW_CALL_O_SETUP,        /* SETUP sent, nothing back yet */
	GW_CALL_O_PROCEEDING,   /* CALL PROCEEDING / SETUP ACK received */
	GW_CALL_O_ALERTING,     /* ALERTING or PROGRESS: 180/183 sent */
	GW_CALL_O_ANSWERED,     /* CONNECT received, 200 sent, no ACK yet */
	/* PSTN -> SIP (outgoing on the SIP side) */
	GW_CALL_I_INVITING,     /* INVITE sent, no provisional yet */
	GW_CALL_I_EARLY,        /* 1xx received: ALERTING/PROGRESS sent */
	/* both */
	GW_CALL_ACTIVE,         /* talking */
	GW_CALL_REL_TDM,        /* SIP side done; waiting for the TDM release */
	GW_CALL_REL_SIP,        /* TDM side done; waiting for the SIP end */
	GW_CALL_DONE,
	GW_CALL_STATE_COUNT
};

enum gw_call_ev {
	/* SIP side */
	GW_EV_SIP_INVITE = 0,   /* new call from SIP (IDLE only) */
	GW_EV_SIP_1XX,          /* provisional to our INVITE: status, sdp */
	GW_EV_SIP_2XX,          /* our INVITE answered (retransmissions too) */
	GW_EV_SIP_FAIL,         /* our INVITE failed: status, cause if Reason */
	GW_EV_SIP_ACK,          /* ACK for our 2xx */
	GW_EV_SIP_CANCEL,       /* caller cancelled (487 already sent) */
	GW_EV_SIP_BYE,          /* BYE received (answered by the dialog layer) */
	GW_EV_SIP_REINVITE,     /* re-INVITE / UPDATE with an offer */
	GW_EV_SIP_ENDED,        /* SIP leg gone for good (our BYE answered,
				   ACK never came, transport lost) */
	/* TDM side */
	GW_EV_TDM_SETUP,        /* new call from the PSTN (IDLE only) */
	GW_EV_TDM_PROCEEDING,
	GW_EV_TDM_ALERTING,     /* inband: progress indicator 1/8 */
	GW_EV_TDM_PROGRESS,     /* inband */
	GW_EV_TDM_CONNECT,
	GW_EV_TDM_DISCONNECT,   /* cause, inband (announcement may follow) */
	GW_EV_TDM_RELEASE,      /* cause; last TDM event; also D-channel loss */
	/* timers */
	GW_EV_NOANSWER,         /* ring time exceeded */
	GW_EV_COUNT
};

/* Data that comes with an event. */
struct gw_call_evd {
	uint16_t status;        /* SIP status (1XX, 2XX, FAIL) */
	struct gw_cause cause;  /* Q.850 cause (TDM events, SIP Reason) */
	bool has_cause;         /* cause is set (SIP events: a Reason came) */
	bool inband;            /* in-band information / early media */
	bool sdp;               /* the SIP message carried SDP */
};

/*
 * What the call asks the legs to do. A setup/invite may fail at once:
 * it then returns a Q.850 cause (tdm_setup) or a SIP status (sip_invite)
 * and the call treats it like a failure event (with failover).
 */
struct gw_call_ops {
	/* TDM leg */
	int (*tdm_setup)(struct gw_call *c, const struct gw_route_target *t,
			 void *arg);                     /* 0 or a cause */
	void (*tdm_proceeding)(struct gw_call *c, void *arg);
	void (*tdm_alerting)(struct gw_call *c, bool inband, void *arg);
	void (*tdm_progress)(struct gw_call *c, void *arg);
	void (*tdm_connect)(struct gw_call *c, void *arg);
	void (*tdm_disconnect)(struct gw_call *c, const struct gw_cause *cause,
			       void *arg);
	/* SIP leg */
	int (*sip_invite)(struct gw_call *c, const struct gw_route_target *t,
			  void *arg);                    /* 0 or a SIP status */
	void (*sip_progress)(struct gw_call *c, uint16_t status, bool sdp,
			     void *arg);
	void (*sip_answer)(struct gw_call *c, void *arg);
	void (*sip_reject)(struct gw_call *c, uint16_t status,
			   const struct gw_cause *cause, void *arg);
	void (*sip_bye)(struct gw_call *c, const struct gw_cause *cause,
			void *arg);
	void (*sip_cancel)(struct gw_call *c, const struct gw_cause *cause,
			   void *arg);
	void (*sip_refresh_answer)(struct gw_call *c, uint16_t status,
				   void *arg);   /* 200 or 491 to a re-INVITE */
	/* no-answer timer: start (ms > 0) or stop (ms == 0) */
	void (*timer)(struct gw_call *c, uint32_t ms, void *arg);
	/* the call reached DONE: write the CDR, free the legs, then
	 * gw_call_free() */
	void (*done)(struct gw_call *c, void *arg);
};

/* Policy from the configuration. */
struct gw_call_policy {
	const struct gw_cause_map *causes;
	uint32_t noanswer_ms;      /* 0 = no limit */
	bool early_media_183;      /* ALERTING with PI 8 -> 183 with SDP (else 180) */
};

/*
 * Create a call in IDLE. route is the lookup result (copied); ops and
 * policy must outlive the call. Returns NULL on ENOMEM.
 */
struct gw_call *gw_call_alloc(enum gw_call_dir dir,
			      const struct gw_route_result *route,
			      const struct gw_call_ops *ops, void *ops_arg,
			      const struct gw_call_policy *policy);
void gw_call_free(struct gw_call *c);

/*
 * Feed an event. The table decides; ops are called from here. An op may
 * feed further events at once (a leg that answers synchronously): they
 * are queued and run, in order, after the current transition. done() is
 * called last, when the call has become DONE; it may free the call, so
 * the caller must not touch c after a return of GW_CALL_DONE unless it
 * owns the freeing. Returns the new state.
 */
enum gw_call_state gw_call_event(struct gw_call *c, enum gw_call_ev ev,
				 const struct gw_call_evd *d);

enum gw_call_state gw_call_state(const struct gw_call *c);
enum gw_call_dir gw_call_dir(const struct gw_call *c);
const char *gw_call_state_name(enum gw_call_state s);
const char *gw_call_ev_name(enum gw_call_ev ev);

/* Outcome, for CDRs. */
struct gw_call_result {
	unsigned target;           /* index of the target that carried it */
	uint16_t sip_status;       /* final status sent or received */
	struct gw_cause cause;     /* TDM-side cause (0 if none) */
	bool answered;
	enum { GW_HANGUP_NONE, GW_HANGUP_SIP, GW_HANGUP_PSTN,
	       GW_HANGUP_GATEWAY } hangup;
	unsigned unexpected;       /* events the table did not list */
};
void gw_call_result(const struct gw_call *c, struct gw_call_result *r);
const struct gw_route_result *gw_call_route(const struct gw_call *c);

void gw_call_set_user(struct gw_call *c, void *user);
void *gw_call_user(const struct gw_call *c);

#endif
