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
 * Ownership: the set owns its dialogs; a dialog copies every string it
 * needs from the messages it was built from. Control thread only.
 */
#ifndef SIP_DIALOG_H
#define SIP_DIALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/pl.h"
#include "sip/hdr.h"
#include "sip/msg.h"

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

#endif
