/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP dialogs (RFC 3261 §12, §13.2.2.4, §14, §16.12.1.2; RFC 3311 §5):
 * dialog state (ID = Call-ID + local tag + remote tag, local/remote URI,
 * local/remote CSeq, route set from Record-Route (reversed for the UAC),
 * remote target from Contact, secure flag), early and confirmed dialogs,
 * several early dialogs per INVITE when it forks, target refresh by
 * re-INVITE and UPDATE, in-dialog request construction (§12.2.1.1) with
 * loose and strict routing, CSeq ordering of incoming requests (500),
 * re-INVITE/UPDATE glare and offer/answer crossing (491, 500 with
 * Retry-After) and the §14.1 retry delays, and termination (BYE, 481/408
 * to an in-dialog request). A dialog set (struct sip_dialogs) holds the
 * dialogs of one UA for lookup; requests matching none get 481 (§12.2.2).
 *
 * On top of that state, a dialog layer (struct sip_dialog_layer) runs
 * INVITE sessions over the UA core (sip/ua): UAS and UAC, reliable
 * provisional responses and PRACK (sip/prack), session timers
 * (sip/sesstimer) with refresh by re-INVITE or UPDATE and BYE on expiry,
 * re-INVITE/UPDATE in both directions with glare retries, digest
 * authentication (sip/auth) as challenging UAS and as UAC, BYE.
 *
 * Ownership: the set owns its dialogs; a dialog copies every string it
 * needs from the messages it was built from. Control thread only.
 */
#ifndef SIP_DIALOG_H
#define SIP_DIALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "base/pl.h"
#include "sip/hdr.h"
#include "sip/msg.h"
#include "sip/prack.h"
#include "sip/sesstimer.h"
#include "sip/transport.h"
#include "sip/tsx.h"
#include "sip/ua.h"

#define SIP_DIALOG_MAX_ROUTES 16

enum sip_dialog_state {
	SIP_DIALOG_EARLY = 0,
	SIP_DIALOG_CONFIRMED,
	SIP_DIALOG_TERMINATED,
};

const char *sip_dialog_state_name(enum sip_dialog_state s);

/*
 * One dialog. Callers read the fields; only this module writes them.
 * Strings are NUL-terminated copies owned by the dialog.
 */
struct sip_dialog {
	enum sip_dialog_state state;
	bool uac;             /* we sent the dialog-creating request */
	bool secure;          /* §12.1.1/§12.1.2: TLS and sips Request-URI */
	char *call_id;
	char *local_tag;
	char *remote_tag;     /* "" when the peer sent no tag (RFC 2543) */
	char *local_uri;      /* addr-spec of our From (UAC) / To (UAS) */
	char *remote_uri;
	char *remote_target;  /* URI from the peer's Contact */
	char *local_contact;  /* our Contact URI */
	char *route[SIP_DIALOG_MAX_ROUTES]; /* route set, Route header values */
	unsigned routec;
	bool local_cseq_set;
	uint32_t local_cseq;
	bool remote_cseq_set;
	uint32_t remote_cseq;
	uint32_t invite_cseq;  /* CSeq of our last INVITE (for its ACK) */
	uint32_t rinvite_cseq; /* CSeq of the peer's last INVITE */
	/* transactions in progress and offer/answer (§14, RFC 3311 §5) */
	bool inv_client;      /* our INVITE has no final response yet */
	bool inv_server;      /* the peer's INVITE has no final response yet */
	bool oa_local;        /* we made an offer not yet answered */
	bool oa_remote;       /* the peer made an offer we have not answered */
	struct sip_prack_uac prack_uac; /* UAC: reliable 1xx seen (RFC 3262 §4) */
	void *user;           /* for the owner of the dialog */

	struct sip_dialogs *set;
	struct sip_dialog *next;
};

struct sip_dialogs;

/* A set of at most max dialogs (0 = 65536). 0 or ENOMEM. */
int sip_dialogs_alloc(struct sip_dialogs **setp, unsigned max);
/* Free the set and every dialog in it. NULL is allowed. */
void sip_dialogs_free(struct sip_dialogs *set);
unsigned sip_dialogs_count(const struct sip_dialogs *set);

/* Find by ID. remote_tag may be empty. NULL when none. */
struct sip_dialog *sip_dialogs_find(const struct sip_dialogs *set, const struct pl *call_id,
				    const struct pl *local_tag, const struct pl *remote_tag);
/* The dialog a received request belongs to (local = To tag). NULL if none. */
struct sip_dialog *sip_dialogs_match_req(const struct sip_dialogs *set,
					 const struct sip_msg *req);
/* The dialog a received response belongs to (local = From tag). */
struct sip_dialog *sip_dialogs_match_rsp(const struct sip_dialogs *set,
					 const struct sip_msg *rsp);

/*
 * UAS: create an early dialog from a received dialog-creating request
 * (INVITE) before sending a 1xx or 2xx carrying local_tag (§12.1.1).
 * Remote tag, remote URI and CSeq, route set (Record-Route in order) and
 * remote target (Contact) come from req. secure: the request came over
 * TLS (the dialog is secure if its Request-URI is also sips).
 * Returns 0 with *dp, EINVAL (no Contact or bad values), EEXIST, ENOSPC
 * (set full), ENOMEM.
 */
int sip_dialog_uas_create(struct sip_dialogs *set, const struct sip_msg *req,
			  const char *local_tag, const char *local_contact, bool secure,
			  struct sip_dialog **dp);

/*
 * UAC: a response to our dialog-creating INVITE req arrived. For 101-199
 * with a To tag: find or create the early dialog for that tag (a fork makes
 * a new one). For 2xx: find or create the dialog and confirm it; the route
 * set and remote target are recomputed from the 2xx (§13.2.2.4). Returns 0
 * with *dp; ENOENT when the response makes no dialog (100, no To tag,
 * >= 300: see sip_dialogs_uac_fail); EINVAL, ENOSPC, ENOMEM.
 */
int sip_dialog_uac_rx(struct sip_dialogs *set, const struct sip_msg *req,
		      const struct sip_msg *rsp, const char *local_contact, bool secure,
		      struct sip_dialog **dp);

/*
 * UAC: the INVITE (call_id, local_tag) ended with a non-2xx final
 * response: every early dialog it made ends (§12.3). Returns how many
 * were destroyed.
 */
unsigned sip_dialogs_uac_fail(struct sip_dialogs *set, const struct pl *call_id,
			      const struct pl *local_tag);

/* Unlink and free a dialog. NULL is allowed. */
void sip_dialog_destroy(struct sip_dialog *dlg);

/*
 * A request arrived in the dialog (after sip_dialogs_match_req). Checks
 * and applies §12.2.2: CSeq must grow (else 500; ACK is exempt and must
 * carry the CSeq of the peer's INVITE); a re-INVITE while our INVITE is
 * pending -> 491, while the peer's previous INVITE is pending -> 500
 * (*retry_after set, §14.2); an UPDATE offer while our offer is unanswered
 * -> 491, while the peer's offer is unanswered -> 500 (RFC 3311 §5.2).
 * Accepted target refresh requests (INVITE, UPDATE) replace the remote
 * target with their Contact. BYE terminates the dialog (answer 200, then
 * destroy it). Returns 0 to accept, or the status code to reject with.
 * *retry_after (seconds) is set to 0 unless a Retry-After is wanted.
 */
uint16_t sip_dialog_rx_request(struct sip_dialog *dlg, const struct sip_msg *req,
			       uint32_t *retry_after);

/*
 * We sent a response to the peer's request with method meth in this
 * dialog; sdp says whether it carried a session description. Updates the
 * INVITE and offer/answer flags; a 2xx to the dialog-creating INVITE
 * confirms an early dialog, a non-2xx final to it terminates the dialog.
 */
void sip_dialog_tx_response(struct sip_dialog *dlg, enum sip_method meth, uint16_t scode,
			    bool sdp);

/*
 * A response to our request arrived in the dialog. Final responses to
 * INVITE clear the pending INVITE; a 2xx to INVITE or UPDATE is a target
 * refresh (§12.2.1.2); a session description answers our offer; a 481 or
 * 408 terminates the dialog (§12.2.1.2).
 */
void sip_dialog_rx_response(struct sip_dialog *dlg, const struct sip_msg *rsp);

/* An in-dialog request under construction (sip_dialog_request). */
struct sip_dialog_req {
	char ruri[512];       /* Request-URI */
	char next_hop[512];   /* where to send: first route URI or target */
	uint32_t cseq;
};

/*
 * Build an in-dialog request (§12.2.1.1): picks the CSeq (the next local
 * one; ACK reuses our INVITE's, §13.2.2.4), the Request-URI (remote
 * target; with a strict first route, that route's URI and the target
 * appended to Route, §16.12.1.2) and appends to hdrs the lines Route...,
 * From, To, Call-ID, CSeq and, for target refresh requests (INVITE,
 * UPDATE), Contact. sdp says the request carries an offer. Returns 0,
 * EBUSY for an INVITE while an INVITE is pending in either direction
 * (§14.1) or an offer while one is pending (RFC 3311 §5.1), ENOSPC,
 * EINVAL (terminated dialog, unusable method).
 */
int sip_dialog_request(struct sip_dialog *dlg, enum sip_method meth, bool sdp,
		       struct sip_dialog_req *rq, struct sip_buf *hdrs);

/*
 * Glare retry delay (§14.1) for a re-INVITE that got 491: the owner of
 * the Call-ID (the UAC of the dialog) waits 2.1 .. 4 s, the other side
 * 0 .. 2 s, in 10 ms steps. rnd is a random number. Milliseconds.
 */
uint32_t sip_dialog_glare_ms(const struct sip_dialog *dlg, uint32_t rnd);

/* True when the message carries a session description (SDP or multipart). */
bool sip_dialog_msg_has_sdp(const struct sip_msg *msg);

/*
 * True when the route entry (a Route value "<sip:...;lr>") is a loose
 * router (its URI has the lr parameter).
 */
bool sip_dialog_route_is_loose(const char *route);

/* ==== Dialog layer: INVITE sessions over the UA core ==== */

struct sip_dialog_layer;
struct sip_dialog_sess;

enum sip_dialog_sess_state {
	SIP_SESS_CALLING = 0, /* UAC: INVITE sent, no dialog yet */
	SIP_SESS_INCOMING,    /* UAS: INVITE received, not answered */
	SIP_SESS_EARLY,       /* UAC: early dialog */
	SIP_SESS_ESTABLISHED, /* 2xx sent or received */
	SIP_SESS_TERMINATING, /* BYE sent, waiting for its response */
	SIP_SESS_TERMINATED,
};

const char *sip_dialog_sess_state_name(enum sip_dialog_sess_state s);

enum sip_dialog_ev {
	SIP_DIALOG_EV_INCOMING = 0, /* UAS: new INVITE; call progress/answer */
	SIP_DIALOG_EV_PROGRESS,     /* UAC: 1xx received (scode) */
	SIP_DIALOG_EV_PRACKED,      /* UAS: PRACK acknowledged our reliable 1xx */
	SIP_DIALOG_EV_ESTABLISHED,  /* UAS: ACK for our 2xx; UAC: 2xx received */
	SIP_DIALOG_EV_REFRESHED,    /* re-INVITE/UPDATE finished (scode) */
	SIP_DIALOG_EV_TERMINATED,   /* scode: failure status, 0 after BYE. The
				       session is freed after the handler. */
	SIP_DIALOG_EV_OFFER,        /* the peer offered in a re-INVITE, UPDATE
				       or PRACK: negotiate now (set the session
				       SDP, or sip_dialog_sess_reject_offer) */
};

const char *sip_dialog_ev_name(enum sip_dialog_ev ev);

typedef void(sip_dialog_ev_h)(struct sip_dialog_sess *s, enum sip_dialog_ev ev,
			      uint16_t scode, void *arg);

/* Layer policy. Strings are not copied: they must outlive the layer. */
struct sip_dialog_layer_cfg {
	const char *user;               /* user part of our From/Contact */
	enum sip_prack_mode prack;      /* 100rel policy (both roles) */
	struct sip_sesstimer_cfg timer; /* RFC 4028 policy (both roles) */
	bool refresh_update;            /* refresh with UPDATE, not re-INVITE */
	const char *sdp;                /* our session description, NULL none */
	const char *auth_realm;         /* UAS: challenge new INVITEs if set */
	const char *auth_user;          /* ... accepting this user */
	const char *auth_password;      /* ... with this password */
	const char *cred_user;          /* UAC: answer 401/407 with these */
	const char *cred_password;
	uint32_t t1;                    /* ms for reliable 1xx; 0 = 500 */
};

struct sip_dialog_layer_stats {
	uint64_t sess_uas, sess_uac, established, terminated;
	uint64_t rel1xx_tx, rel1xx_retx, prack_rx, prack_481, prack_tx, prack_timeout;
	uint64_t reinvite_rx, reinvite_tx, update_rx, update_tx, refresh_ok;
	uint64_t glare_491_tx, glare_491_rx, glare_retry, cseq_500, retry_500, retry_500_tx;
	uint64_t st_422_tx, st_422_rx, st_refresh, st_expired;
	uint64_t auth_challenge_tx, auth_ok, auth_fail, auth_answer_tx;
	uint64_t bye_rx, bye_tx, fork_extra_2xx, req_481;
};

/*
 * Create the layer on ua: registers a request handler with priority 0
 * (in-dialog requests of its dialogs, ACKs, and new INVITEs) and the 2xx
 * ACK timeout handler of the transaction layer (BYE, RFC 3261 §13.3.1.4).
 * New INVITEs are reported with SIP_DIALOG_EV_INCOMING. Returns 0, EINVAL
 * (bad policy), ENOMEM, ENOSPC (no handler slot).
 */
int sip_dialog_layer_alloc(struct sip_dialog_layer **dlp, struct sip_ua *ua, uv_loop_t *loop,
			   const struct sip_dialog_layer_cfg *cfg, sip_dialog_ev_h *evh,
			   void *arg);
/*
 * Free the layer and its sessions without signalling (no BYE, no event).
 * Call before sip_ua_free; run the loop once afterwards (timers close).
 */
void sip_dialog_layer_free(struct sip_dialog_layer *dl);
void sip_dialog_layer_stats(const struct sip_dialog_layer *dl, struct sip_dialog_layer_stats *st);

/*
 * Per-INVITE digest policy (RFC 3261 §22.4 as UAS), e.g. credentials per
 * SIP trunk: called for every new INVITE before anything else; return
 * true with a->server (realm and nonces, owned by the caller and living
 * as long as the layer uses it), a->user (NULL: any user name) and
 * a->password to challenge it with those, false to apply the layer's own
 * policy (cfg auth_realm, or none).
 */
struct sip_dialog_uas_auth {
	struct sip_auth_server *server;
	const char *user;
	const char *password;
};
typedef bool(sip_dialog_auth_h)(const struct sip_msg *req, const struct sip_tp_addr *src,
				struct sip_dialog_uas_auth *a, void *arg);
void sip_dialog_layer_set_auth_h(struct sip_dialog_layer *dl, sip_dialog_auth_h *h, void *arg);
unsigned sip_dialog_layer_sessions(const struct sip_dialog_layer *dl);

/*
 * UAC: call uri through next hop dst (INVITE with our SDP as offer,
 * Supported 100rel and timer, Session-Expires per policy). *sp gets the
 * session (events follow). Returns 0, EINVAL, ENOMEM or the send error.
 */
int sip_dialog_connect(struct sip_dialog_layer *dl, struct sip_dialog_sess **sp, const char *uri,
		       const struct sip_tp_addr *dst);

/*
 * UAS: send a provisional response (180/183) to the INVITE, with our SDP
 * when sdp is set; reliable (RSeq, Require 100rel, retransmitted until
 * PRACK, §3) when the peer supports 100rel and our policy allows. Returns
 * 0, EINVAL (not an unanswered UAS session, bad code), EBUSY (a reliable
 * 1xx is still unacknowledged) or a send error.
 */
int sip_dialog_sess_progress(struct sip_dialog_sess *s, uint16_t scode, bool sdp);

/*
 * UAS: send the final response. A 2xx carries Contact, Session-Expires
 * (policy) and SDP (answer, or offer when the INVITE had none); it waits
 * for the PRACK of a reliable 1xx with SDP (sent when it arrives). A
 * failure response ends the session. 0, EINVAL or a send error.
 */
int sip_dialog_sess_answer(struct sip_dialog_sess *s, uint16_t scode);

/* Send a re-INVITE (with SDP offer) or UPDATE (no SDP) on an established session. 0, EINVAL, EBUSY. */
int sip_dialog_sess_reinvite(struct sip_dialog_sess *s);
int sip_dialog_sess_update(struct sip_dialog_sess *s);

/*
 * End the session: BYE when established (EV_TERMINATED when answered),
 * CANCEL while a UAC INVITE is pending, 480 for an unanswered UAS INVITE.
 */
int sip_dialog_sess_bye(struct sip_dialog_sess *s);

/*
 * The session description this session sends from now on (offers and
 * answers), copied; NULL returns to the policy's. 0 or ENOMEM. The owner
 * negotiates it (sip/sdp) from sip_dialog_sess_remote_sdp(), e.g. in the
 * EV_INCOMING handler before answering.
 */
int sip_dialog_sess_set_sdp(struct sip_dialog_sess *s, const char *sdp);
/*
 * During SIP_DIALOG_EV_OFFER: refuse the offer with scode (488, 500...)
 * instead of answering it. 0 or EINVAL.
 */
int sip_dialog_sess_reject_offer(struct sip_dialog_sess *s, uint16_t scode);
/* The peer's last session description (INVITE, 1xx/2xx, PRACK, UPDATE, ACK), or NULL. */
const char *sip_dialog_sess_remote_sdp(const struct sip_dialog_sess *s);

/*
 * Gateway needs: what raised an event, where the peer is, and headers of
 * our own on the messages the session sends.
 *
 * sip_dialog_sess_msg(): during an event handler, the message that raised
 * the event: the INVITE (EV_INCOMING), the 1xx (EV_PROGRESS), the 2xx
 * (UAC EV_ESTABLISHED), the ACK (UAS EV_ESTABLISHED), the re-INVITE /
 * UPDATE / PRACK (EV_OFFER), the PRACK (EV_PRACKED), the re-INVITE /
 * UPDATE we answered or the response to ours (EV_REFRESHED), and for
 * EV_TERMINATED the failure response, the BYE or the CANCEL that ended the
 * session. NULL when the event had no message (timeouts, local BYE
 * answered, our own failure answer, transport errors) and always outside a
 * handler.
 */
const struct sip_msg *sip_dialog_sess_msg(const struct sip_dialog_sess *s);
/* The peer's transport address: the INVITE's source (UAS), the next hop (UAC). */
const struct sip_tp_addr *sip_dialog_sess_peer(const struct sip_dialog_sess *s);
/*
 * Extra header lines ("Name: value\r\n" each, copied) for the next message
 * this session sends on its own initiative: the next sip_dialog_sess_progress()
 * or sip_dialog_sess_answer() response, or the BYE / CANCEL / 480 of
 * sip_dialog_sess_bye(). Used once, then cleared (a reliable 1xx keeps them
 * in its retransmissions). A CANCEL carries only the Reason lines (the
 * transaction layer builds it from the INVITE). NULL clears. 0, EINVAL
 * (not CRLF-terminated "Name: value" lines, continuation lines, control
 * characters, over 4096 bytes, or a line that would duplicate a header
 * the layer writes: Via, From, To, Call-ID, CSeq, Contact, Max-Forwards,
 * Content-*, long or compact form), ENOMEM.
 */
int sip_dialog_sess_set_hdrs(struct sip_dialog_sess *s, const char *hdrs);

/* Options of an outgoing INVITE; zeroed fields take the layer's defaults. */
struct sip_dialog_connect_opt {
	const char *from_uri;     /* addr-spec of From (default sip:USER@our-address) */
	const char *from_display; /* display-name of From, quoted on output */
	const char *to_uri;       /* addr-spec of To (default: the Request-URI) */
	const char *hdrs;         /* extra header lines (P-Asserted-Identity,
				     Privacy, Diversion, Reason...), CRLF each,
				     same rules as sip_dialog_sess_set_hdrs */
	const char *sdp;          /* our offer (default: the layer's SDP);
				     "" sends no offer: the peer offers in its
				     2xx (or reliable 1xx) and the owner sets
				     the answer with sip_dialog_sess_set_sdp()
				     in the EV_ESTABLISHED (EV_PROGRESS)
				     handler; the ACK (PRACK) carries it, else
				     the layer's SDP */
	void *user;               /* set as the session's user before any event */
};
/*
 * sip_dialog_connect() with options (NULL opt = sip_dialog_connect()).
 * The extra headers repeat on the authenticated retry of the INVITE.
 */
int sip_dialog_connect_opt(struct sip_dialog_layer *dl, struct sip_dialog_sess **sp,
			   const char *uri, const struct sip_tp_addr *dst,
			   const struct sip_dialog_connect_opt *opt);

enum sip_dialog_sess_state sip_dialog_sess_state(const struct sip_dialog_sess *s);
/* The session's dialog (NULL before one exists). */
struct sip_dialog *sip_dialog_sess_dialog(const struct sip_dialog_sess *s);
const struct sip_sesstimer *sip_dialog_sess_timer(const struct sip_dialog_sess *s);
bool sip_dialog_sess_is_uac(const struct sip_dialog_sess *s);
void sip_dialog_sess_set_user(struct sip_dialog_sess *s, void *user);
void *sip_dialog_sess_user(const struct sip_dialog_sess *s);

/*
 * Parse a layer policy from "key=value,key=value" (sipdlg -D option and
 * config files): user, prack=off|supported|required, se=SECONDS,
 * minse=SECONDS, refresher=uac|uas, timer=on|off, refresh=invite|update,
 * realm, auth_user, auth_pass, cred_user, cred_pass, t1=MS. Values are
 * copied into store (NUL-separated) and cfg points into it. Returns 0 or
 * EINVAL with a message naming the key in err.
 */
int sip_dialog_layer_cfg_parse(struct sip_dialog_layer_cfg *cfg, const char *opts, char *store,
			       size_t store_sz, char *err, size_t err_sz);

#endif
