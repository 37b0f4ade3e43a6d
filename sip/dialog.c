/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP dialogs, RFC 3261 §12, §13.2.2.4, §14, §16.12.1.2 and RFC 3311 §5
 * (see dialog.h): dialog state and set, UAS and UAC creation (with forked
 * early dialogs), in-dialog request checks and construction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/log.h"
#include "sip/auth.h"
#include "sip/dialog.h"
#include "sip/uri.h"

#define DLG_BUCKETS 1024u
/* Our first CSeq in a UAS dialog: random, far below 2^31-1 (§8.1.1.5). */
#define DLG_CSEQ_START_MAX (1u << 30)
#define DLG_CSEQ_MAX 2147483647u

struct sip_dialogs {
	struct sip_dialog *bucket[DLG_BUCKETS];
	unsigned count;
	unsigned max;
};

const char *sip_dialog_state_name(enum sip_dialog_state s)
{
	switch (s) {
	case SIP_DIALOG_EARLY:
		return "early";
	case SIP_DIALOG_CONFIRMED:
		return "confirmed";
	case SIP_DIALOG_TERMINATED:
		return "terminated";
	}
	return "?";
}

static uint32_t hash_pl(const struct pl *pl)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < pl->l; i++) {
		h ^= (unsigned char)pl->p[i];
		h *= 16777619u;
	}
	return h;
}

static char *dup_pl(const struct pl *pl)
{
	struct pl e = { "", 0 };

	return pl_strdup(pl && pl->p ? pl : &e);
}

int sip_dialogs_alloc(struct sip_dialogs **setp, unsigned max)
{
	struct sip_dialogs *set = calloc(1, sizeof(*set));

	if (!set)
		return ENOMEM;
	set->max = max ? max : 65536;
	*setp = set;
	return 0;
}

static void dialog_free(struct sip_dialog *dlg)
{
	free(dlg->call_id);
	free(dlg->local_tag);
	free(dlg->remote_tag);
	free(dlg->local_uri);
	free(dlg->remote_uri);
	free(dlg->remote_target);
	free(dlg->local_contact);
	for (unsigned i = 0; i < dlg->routec; i++)
		free(dlg->route[i]);
	free(dlg);
}

void sip_dialogs_free(struct sip_dialogs *set)
{
	if (!set)
		return;
	for (unsigned b = 0; b < DLG_BUCKETS; b++) {
		struct sip_dialog *d = set->bucket[b];

		while (d) {
			struct sip_dialog *n = d->next;

			dialog_free(d);
			d = n;
		}
	}
	free(set);
}

unsigned sip_dialogs_count(const struct sip_dialogs *set)
{
	return set->count;
}

struct sip_dialog *sip_dialogs_find(const struct sip_dialogs *set, const struct pl *call_id,
				    const struct pl *local_tag, const struct pl *remote_tag)
{
	struct pl e = { "", 0 };
	const struct pl *rt = remote_tag && remote_tag->p ? remote_tag : &e;

	if (!call_id || !call_id->p || !local_tag || !local_tag->p)
		return NULL;
	for (struct sip_dialog *d = set->bucket[hash_pl(call_id) % DLG_BUCKETS]; d; d = d->next) {
		if (pl_strcmp(call_id, d->call_id) == 0 && pl_strcmp(local_tag, d->local_tag) == 0 &&
		    pl_strcmp(rt, d->remote_tag) == 0)
			return d;
	}
	return NULL;
}

struct sip_dialog *sip_dialogs_match_req(const struct sip_dialogs *set,
					 const struct sip_msg *req)
{
	return sip_dialogs_find(set, &req->call_id, &req->to.tag, &req->from.tag);
}

struct sip_dialog *sip_dialogs_match_rsp(const struct sip_dialogs *set,
					 const struct sip_msg *rsp)
{
	return sip_dialogs_find(set, &rsp->call_id, &rsp->from.tag, &rsp->to.tag);
}

static void dialog_link(struct sip_dialogs *set, struct sip_dialog *dlg)
{
	struct pl cid = pl_from_str(dlg->call_id);
	unsigned b = hash_pl(&cid) % DLG_BUCKETS;

	dlg->set = set;
	dlg->next = set->bucket[b];
	set->bucket[b] = dlg;
	set->count++;
}

void sip_dialog_destroy(struct sip_dialog *dlg)
{
	struct sip_dialogs *set;
	struct sip_dialog **pp;
	struct pl cid;

	if (!dlg)
		return;
	set = dlg->set;
	if (set) {
		cid = pl_from_str(dlg->call_id);
		for (pp = &set->bucket[hash_pl(&cid) % DLG_BUCKETS]; *pp; pp = &(*pp)->next) {
			if (*pp == dlg) {
				*pp = dlg->next;
				set->count--;
				break;
			}
		}
	}
	dialog_free(dlg);
}

bool sip_dialog_msg_has_sdp(const struct sip_msg *msg)
{
	if (msg->body.l == 0)
		return false;
	return sip_ctype_is(&msg->ctype, "application", "sdp") ||
	       (pl_isset(&msg->ctype.type) && pl_strcasecmp(&msg->ctype.type, "multipart") == 0);
}

bool sip_dialog_route_is_loose(const char *route)
{
	struct pl v = pl_from_str(route);
	struct sip_addr a;

	if (sip_addr_decode(&a, &v))
		return false;
	return sip_uri_param(&a.uri, "lr", NULL) == 0;
}

/*
 * The URI of a route entry, without its headers part (not allowed in a
 * Request-URI, §12.2.1.1). 0, EINVAL, ENOSPC.
 */
static int route_uri(const char *route, char *buf, size_t sz)
{
	struct pl v = pl_from_str(route);
	struct sip_addr a;
	struct pl u;
	const char *q;

	if (sip_addr_decode(&a, &v))
		return EINVAL;
	u = a.auri;
	q = pl_chr(&u, '?');
	if (q)
		u.l = (size_t)(q - u.p);
	return pl_strcpy(&u, buf, sz);
}

/* Replace the route set with the Record-Route values of msg. */
static int set_route(struct sip_dialog *dlg, const struct sip_msg *msg, bool reverse)
{
	char *rs[SIP_DIALOG_MAX_ROUTES];
	struct sip_msg_iter it;
	struct pl v;
	unsigned n = 0;
	int err = 0;

	sip_msg_iter_init(&it, msg, SIP_HDR_RECORD_ROUTE);
	while (sip_msg_iter_next(&it, &v)) {
		struct sip_addr a;

		if (n == SIP_DIALOG_MAX_ROUTES || sip_addr_decode(&a, &v) || !a.angle) {
			err = EINVAL;
			goto out;
		}
		rs[n] = dup_pl(&v);
		if (!rs[n]) {
			err = ENOMEM;
			goto out;
		}
		n++;
	}
	for (unsigned i = 0; i < dlg->routec; i++)
		free(dlg->route[i]);
	for (unsigned i = 0; i < n; i++)
		dlg->route[i] = rs[reverse ? n - 1 - i : i];
	dlg->routec = n;
	n = 0;
out:
	for (unsigned i = 0; i < n; i++)
		free(rs[i]);
	return err;
}

/* Replace the remote target with msg's Contact. ENOENT when it has none. */
static int set_target(struct sip_dialog *dlg, const struct sip_msg *msg)
{
	struct sip_contact c;
	char *t;
	int err;

	err = sip_msg_contact(msg, &c);
	if (err)
		return err;
	if (c.star || !pl_isset(&c.addr.auri) || c.addr.auri.l == 0)
		return EINVAL;
	t = dup_pl(&c.addr.auri);
	if (!t)
		return ENOMEM;
	free(dlg->remote_target);
	dlg->remote_target = t;
	return 0;
}

static int dialog_new(struct sip_dialogs *set, struct sip_dialog **dp)
{
	struct sip_dialog *dlg;

	if (set->count >= set->max)
		return ENOSPC;
	dlg = calloc(1, sizeof(*dlg));
	if (!dlg)
		return ENOMEM;
	*dp = dlg;
	return 0;
}

int sip_dialog_uas_create(struct sip_dialogs *set, const struct sip_msg *req,
			  const char *local_tag, const char *local_contact, bool secure,
			  struct sip_dialog **dp)
{
	struct sip_dialog *dlg = NULL;
	struct pl lt = pl_from_str(local_tag);
	int err;

	if (!req->req || !local_tag || !*local_tag || !local_contact || pl_isset(&req->to.tag))
		return EINVAL;
	if (sip_dialogs_find(set, &req->call_id, &lt, &req->from.tag))
		return EEXIST;
	err = dialog_new(set, &dlg);
	if (err)
		return err;
	dlg->state = SIP_DIALOG_EARLY;
	dlg->uac = false;
	dlg->secure = secure && req->ruri.scheme == SIP_URI_SIPS;
	dlg->call_id = dup_pl(&req->call_id);
	dlg->local_tag = strdup(local_tag);
	dlg->remote_tag = dup_pl(&req->from.tag);
	dlg->local_uri = dup_pl(&req->to.auri);
	dlg->remote_uri = dup_pl(&req->from.auri);
	dlg->local_contact = strdup(local_contact);
	if (!dlg->call_id || !dlg->local_tag || !dlg->remote_tag || !dlg->local_uri ||
	    !dlg->remote_uri || !dlg->local_contact) {
		err = ENOMEM;
		goto out;
	}
	err = set_target(dlg, req);
	if (err) {
		err = err == ENOMEM ? ENOMEM : EINVAL;
		goto out;
	}
	err = set_route(dlg, req, false);
	if (err)
		goto out;
	dlg->remote_cseq_set = true;
	dlg->remote_cseq = req->cseq.num;
	if (req->meth == SIP_METHOD_INVITE) {
		dlg->inv_server = true;
		dlg->rinvite_cseq = req->cseq.num;
		dlg->oa_remote = sip_dialog_msg_has_sdp(req);
	}
	dialog_link(set, dlg);
	*dp = dlg;
	dlg = NULL;
out:
	if (dlg)
		dialog_free(dlg);
	return err;
}

/* The offer/answer and INVITE bookkeeping of a response to our request. */
static void rsp_update(struct sip_dialog *dlg, const struct sip_msg *rsp)
{
	bool sdp = sip_dialog_msg_has_sdp(rsp);
	enum sip_method m = rsp->cseq.meth;
	uint16_t sc = rsp->scode;

	if (sc < 101)
		return;
	switch (m) {
	case SIP_METHOD_INVITE:
		if (rsp->cseq.num != dlg->invite_cseq)
			return; /* a late response to an older INVITE */
		if (sdp) {
			if (dlg->oa_local)
				dlg->oa_local = false; /* the answer */
			else if (sc < 300 && !dlg->oa_remote)
				dlg->oa_remote = true; /* offer in 2xx: answer in ACK */
		}
		if (sc >= 200) {
			dlg->inv_client = false;
			if (sc >= 300)
				dlg->oa_local = false; /* offer rejected */
		}
		break;
	case SIP_METHOD_UPDATE:
	case SIP_METHOD_PRACK:
		if (sc >= 200 && (sdp || sc >= 300))
			dlg->oa_local = false;
		break;
	default:
		break;
	}
}

int sip_dialog_uac_rx(struct sip_dialogs *set, const struct sip_msg *req,
		      const struct sip_msg *rsp, const char *local_contact, bool secure,
		      struct sip_dialog **dp)
{
	struct sip_dialog *dlg;
	int err;

	if (rsp->req || rsp->scode <= 100 || rsp->scode >= 300 || !pl_isset(&rsp->to.tag) ||
	    rsp->to.tag.l == 0)
		return ENOENT;
	if (!req->req || req->meth != SIP_METHOD_INVITE || !pl_isset(&req->from.tag) ||
	    pl_cmp(&req->call_id, &rsp->call_id) != 0 || pl_cmp(&req->from.tag, &rsp->from.tag) != 0)
		return EINVAL;

	dlg = sip_dialogs_match_rsp(set, rsp);
	if (dlg) {
		if (dlg->state == SIP_DIALOG_EARLY && rsp->scode >= 200) {
			/* §13.2.2.4: recompute from the 2xx */
			err = set_route(dlg, rsp, true);
			if (err)
				return err;
			err = set_target(dlg, rsp);
			if (err && err != ENOENT)
				return err;
			dlg->state = SIP_DIALOG_CONFIRMED;
		} else if (dlg->state == SIP_DIALOG_EARLY) {
			/* a later 1xx may carry a new Contact */
			err = set_target(dlg, rsp);
			if (err && err != ENOENT)
				return err;
		}
		rsp_update(dlg, rsp);
		*dp = dlg;
		return 0;
	}

	err = dialog_new(set, &dlg);
	if (err)
		return err;
	dlg->state = rsp->scode >= 200 ? SIP_DIALOG_CONFIRMED : SIP_DIALOG_EARLY;
	dlg->uac = true;
	dlg->secure = secure && req->ruri.scheme == SIP_URI_SIPS;
	dlg->call_id = dup_pl(&req->call_id);
	dlg->local_tag = dup_pl(&req->from.tag);
	dlg->remote_tag = dup_pl(&rsp->to.tag);
	dlg->local_uri = dup_pl(&req->from.auri);
	dlg->remote_uri = dup_pl(&req->to.auri);
	dlg->local_contact = local_contact ? strdup(local_contact) : NULL;
	if (!dlg->call_id || !dlg->local_tag || !dlg->remote_tag || !dlg->local_uri ||
	    !dlg->remote_uri || !dlg->local_contact) {
		err = ENOMEM;
		goto out;
	}
	err = set_target(dlg, rsp);
	if (err == ENOENT && rsp->scode < 200) {
		/* a 1xx without Contact: aim at the Request-URI meanwhile */
		dlg->remote_target = dup_pl(&req->ruri_pl);
		err = dlg->remote_target ? 0 : ENOMEM;
	}
	if (err) {
		err = err == ENOMEM ? ENOMEM : EINVAL;
		goto out;
	}
	err = set_route(dlg, rsp, true);
	if (err)
		goto out;
	dlg->local_cseq_set = true;
	dlg->local_cseq = req->cseq.num;
	dlg->invite_cseq = req->cseq.num;
	dlg->inv_client = true;
	dlg->oa_local = sip_dialog_msg_has_sdp(req);
	rsp_update(dlg, rsp);
	dialog_link(set, dlg);
	*dp = dlg;
	dlg = NULL;
out:
	if (dlg)
		dialog_free(dlg);
	return err;
}

unsigned sip_dialogs_uac_fail(struct sip_dialogs *set, const struct pl *call_id,
			      const struct pl *local_tag)
{
	struct sip_dialog **pp;
	unsigned n = 0;

	if (!call_id || !call_id->p || !local_tag || !local_tag->p)
		return 0;
	pp = &set->bucket[hash_pl(call_id) % DLG_BUCKETS];
	while (*pp) {
		struct sip_dialog *d = *pp;

		if (d->uac && d->state == SIP_DIALOG_EARLY && pl_strcmp(call_id, d->call_id) == 0 &&
		    pl_strcmp(local_tag, d->local_tag) == 0) {
			*pp = d->next;
			set->count--;
			dialog_free(d);
			n++;
			continue;
		}
		pp = &d->next;
	}
	return n;
}

uint16_t sip_dialog_rx_request(struct sip_dialog *dlg, const struct sip_msg *req,
			       uint32_t *retry_after)
{
	bool sdp = sip_dialog_msg_has_sdp(req);
	enum sip_method m = req->meth;
	int err;

	*retry_after = 0;
	if (dlg->state == SIP_DIALOG_TERMINATED)
		return 481;
	if (m == SIP_METHOD_ACK) {
		/* ACK for our 2xx: an answer to an offer we put in it */
		if (req->cseq.num == dlg->rinvite_cseq && sdp)
			dlg->oa_local = false;
		return 0;
	}
	/*
	 * §12.2.2 says lower CSeqs get 500; an equal one is a new request
	 * reusing a number (retransmissions never get here: the transaction
	 * layer absorbs them), so it is out of order too.
	 */
	if (dlg->remote_cseq_set && req->cseq.num <= dlg->remote_cseq)
		return 500;
	dlg->remote_cseq_set = true;
	dlg->remote_cseq = req->cseq.num;

	switch (m) {
	case SIP_METHOD_INVITE:
		/* §14.2 */
		if (dlg->inv_server || (sdp && dlg->oa_remote)) {
			*retry_after = arc4random_uniform(11);
			return 500;
		}
		if (dlg->inv_client || (sdp && dlg->oa_local))
			return 491;
		dlg->inv_server = true;
		dlg->rinvite_cseq = req->cseq.num;
		if (sdp)
			dlg->oa_remote = true;
		break;
	case SIP_METHOD_UPDATE:
		/* RFC 3311 §5.2 */
		if (sdp && dlg->oa_local)
			return 491;
		if (sdp && dlg->oa_remote) {
			*retry_after = arc4random_uniform(11);
			return 500;
		}
		if (sdp)
			dlg->oa_remote = true;
		break;
	case SIP_METHOD_PRACK:
		if (sdp) {
			if (dlg->oa_local)
				dlg->oa_local = false;
			else
				dlg->oa_remote = true;
		}
		return 0;
	case SIP_METHOD_BYE:
		dlg->state = SIP_DIALOG_TERMINATED;
		return 0;
	default:
		return 0;
	}
	/* target refresh (§12.2.2), once the request is accepted */
	err = set_target(dlg, req);
	if (err && err != ENOENT)
		LOGW("dialog", "target refresh: bad Contact in %.*s (%s)", (int)req->method.l,
		     req->method.p, strerror(err));
	return 0;
}

void sip_dialog_tx_response(struct sip_dialog *dlg, enum sip_method meth, uint16_t scode,
			    bool sdp)
{
	if (scode < 101)
		return;
	switch (meth) {
	case SIP_METHOD_INVITE:
		if (sdp) {
			if (dlg->oa_remote)
				dlg->oa_remote = false; /* our answer */
			else if (scode < 300 && !dlg->oa_local)
				dlg->oa_local = true; /* offer in 2xx to an offerless INVITE */
		}
		if (scode >= 200) {
			dlg->inv_server = false;
			if (scode >= 300)
				dlg->oa_remote = false;
		}
		if (dlg->state == SIP_DIALOG_EARLY && !dlg->uac && scode >= 200)
			dlg->state = scode < 300 ? SIP_DIALOG_CONFIRMED : SIP_DIALOG_TERMINATED;
		break;
	case SIP_METHOD_UPDATE:
	case SIP_METHOD_PRACK:
		if (scode >= 200 && (sdp || scode >= 300))
			dlg->oa_remote = false;
		break;
	default:
		break;
	}
}

void sip_dialog_rx_response(struct sip_dialog *dlg, const struct sip_msg *rsp)
{
	int err;

	if (rsp->scode == 481 || rsp->scode == 408) {
		dlg->state = SIP_DIALOG_TERMINATED;
		return;
	}
	if (rsp->scode >= 200 && rsp->scode < 300 &&
	    (rsp->cseq.meth == SIP_METHOD_INVITE || rsp->cseq.meth == SIP_METHOD_UPDATE)) {
		err = set_target(dlg, rsp);
		if (err && err != ENOENT)
			LOGW("dialog", "target refresh: bad Contact in %u response (%s)",
			     rsp->scode, strerror(err));
	}
	rsp_update(dlg, rsp);
}

int sip_dialog_request(struct sip_dialog *dlg, enum sip_method meth, bool sdp,
		       struct sip_dialog_req *rq, struct sip_buf *hdrs)
{
	const char *mname = sip_method_name(meth);
	uint32_t cseq;
	unsigned first = 0;
	int err;

	if (dlg->state == SIP_DIALOG_TERMINATED || meth == SIP_METHOD_CANCEL ||
	    meth == SIP_METHOD_OTHER || !mname || !*mname)
		return EINVAL;
	switch (meth) {
	case SIP_METHOD_INVITE:
		/* §14.1: one INVITE at a time in each dialog */
		if (dlg->inv_client || dlg->inv_server)
			return EBUSY;
		if (sdp && (dlg->oa_local || dlg->oa_remote))
			return EBUSY;
		break;
	case SIP_METHOD_UPDATE:
		if (sdp && (dlg->oa_local || dlg->oa_remote))
			return EBUSY;
		break;
	default:
		break;
	}

	if (meth == SIP_METHOD_ACK) {
		cseq = dlg->invite_cseq;
	} else if (!dlg->local_cseq_set) {
		cseq = arc4random_uniform(DLG_CSEQ_START_MAX) + 1;
	} else {
		if (dlg->local_cseq >= DLG_CSEQ_MAX)
			return EOVERFLOW;
		cseq = dlg->local_cseq + 1;
	}

	if (dlg->routec == 0) {
		err = pl_strcpy(&(struct pl){ dlg->remote_target, strlen(dlg->remote_target) },
				rq->ruri, sizeof(rq->ruri));
		if (!err)
			err = pl_strcpy(&(struct pl){ dlg->remote_target,
						      strlen(dlg->remote_target) },
					rq->next_hop, sizeof(rq->next_hop));
	} else {
		err = route_uri(dlg->route[0], rq->next_hop, sizeof(rq->next_hop));
		if (!err && sip_dialog_route_is_loose(dlg->route[0])) {
			err = pl_strcpy(&(struct pl){ dlg->remote_target,
						      strlen(dlg->remote_target) },
					rq->ruri, sizeof(rq->ruri));
		} else if (!err) {
			/* strict router (§16.12.1.2): it takes the Request-URI */
			err = route_uri(dlg->route[0], rq->ruri, sizeof(rq->ruri));
			first = 1;
		}
	}
	if (err)
		return err;

	for (unsigned i = first; i < dlg->routec; i++)
		sip_buf_printf(hdrs, "Route: %s\r\n", dlg->route[i]);
	if (first)
		sip_buf_printf(hdrs, "Route: <%s>\r\n", dlg->remote_target);
	sip_buf_printf(hdrs, "From: <%s>;tag=%s\r\n", dlg->local_uri, dlg->local_tag);
	if (*dlg->remote_tag)
		sip_buf_printf(hdrs, "To: <%s>;tag=%s\r\n", dlg->remote_uri, dlg->remote_tag);
	else
		sip_buf_printf(hdrs, "To: <%s>\r\n", dlg->remote_uri);
	sip_buf_printf(hdrs, "Call-ID: %s\r\n", dlg->call_id);
	sip_buf_printf(hdrs, "CSeq: %u %s\r\n", cseq, mname);
	if (meth == SIP_METHOD_INVITE || meth == SIP_METHOD_UPDATE)
		sip_buf_printf(hdrs, "Contact: <%s>\r\n", dlg->local_contact);
	err = sip_buf_err(hdrs);
	if (err)
		return err;

	rq->cseq = cseq;
	switch (meth) {
	case SIP_METHOD_ACK:
		if (sdp)
			dlg->oa_remote = false;
		return 0;
	case SIP_METHOD_INVITE:
		dlg->inv_client = true;
		dlg->invite_cseq = cseq;
		if (sdp)
			dlg->oa_local = true;
		break;
	case SIP_METHOD_UPDATE:
		if (sdp)
			dlg->oa_local = true;
		break;
	case SIP_METHOD_PRACK:
		if (sdp) {
			if (dlg->oa_remote)
				dlg->oa_remote = false;
			else
				dlg->oa_local = true;
		}
		break;
	default:
		break;
	}
	dlg->local_cseq_set = true;
	dlg->local_cseq = cseq;
	return 0;
}

uint32_t sip_dialog_glare_ms(const struct sip_dialog *dlg, uint32_t rnd)
{
	/* §14.1: 2.1..4 s for the Call-ID owner, 0..2 s for the other, 10 ms units */
	if (dlg->uac)
		return 2100 + (rnd % 191) * 10;
	return (rnd % 201) * 10;
}

/* ==== Dialog layer: INVITE sessions over the UA core ==== */

#define SESS_MAX_CTSX 8
#define SESS_SDP_TYPE "application/sdp"

struct sess_ctsx {
	struct sip_tsx *tsx;
	enum sip_method meth;
	bool initial; /* the session's first INVITE (or its auth/422 retries) */
	bool fork;    /* BYE to an extra forked 2xx: its answer is ignored */
};

struct sip_dialog_sess {
	struct sip_dialog_layer *dl;
	struct sip_dialog_sess *next;
	struct sip_dialog *dlg;
	enum sip_dialog_sess_state state;
	bool uac;
	void *user;

	/* UAS: the initial INVITE */
	struct sip_tsx *ist;
	bool reliable;         /* our 1xx go reliably */
	bool inv_sdp;          /* the INVITE carried an offer */
	bool rel_offer;        /* we offered in a reliable 1xx */
	struct sip_prack_uas pu;
	uint16_t rel_scode;    /* the reliable 1xx being retransmitted */
	bool rel_sdp;
	char *rel_hdrs;        /* the owner's extra lines in that 1xx */
	uint32_t rel_rseq;
	uint16_t answer_deferred;
	struct sip_sesstimer_uas std;
	bool acked;

	/* UAC */
	struct sip_tp_addr dst;
	char *ruri;
	char *base_hdrs;       /* From, To, Call-ID, Contact, Supported, Require */
	uint32_t inv_cseq;
	char *inv_buf;         /* our INVITE as text, parsed into inv_msg */
	struct sip_msg *inv_msg;
	struct sip_auth_client *auth;
	bool inv_no_offer;     /* our INVITE goes without SDP (offer in 2xx) */
	bool ack_pending;      /* the 2xx's ACK waits for the owner's answer */

	/* both */
	struct sip_sesstimer st;
	struct sess_ctsx ctsx[SESS_MAX_CTSX];
	uv_timer_t t_prack, t_sess, t_glare;
	enum sip_method glare_meth;
	bool sending_fork;     /* the next request ends an extra fork */
	char *local_sdp;       /* set by the owner; NULL: the policy's SDP */
	char *remote_sdp;      /* the peer's last session description */
	uint16_t offer_reject; /* set during EV_OFFER to refuse the offer */
	char *extra_hdrs;      /* sip_dialog_sess_set_hdrs, for the next message */
	const struct sip_msg *cur_msg; /* sip_dialog_sess_msg, set around events */
	unsigned open_handles;
	bool freeing;
};

struct sip_dialog_layer {
	struct sip_ua *ua;
	uv_loop_t *loop;
	struct sip_dialog_layer_cfg cfg;
	struct sip_dialogs *set;
	struct sip_dialog_sess *sessions;
	unsigned nsess;
	sip_dialog_ev_h *evh;
	void *arg;
	struct sip_auth_server *auth;
	sip_dialog_auth_h *auth_h;   /* per-INVITE policy, before the layer's */
	void *auth_arg;
	struct sip_dialog_layer_stats st;
};

/* Our Supported header line: the extensions the policy lets us use. */
static const char *layer_supported(const struct sip_dialog_layer *dl)
{
	bool rel = dl->cfg.prack != SIP_PRACK_OFF, tmr = dl->cfg.timer.enabled;

	if (rel && tmr)
		return "Supported: 100rel, timer\r\n";
	if (rel)
		return "Supported: 100rel\r\n";
	if (tmr)
		return "Supported: timer\r\n";
	return "";
}

const char *sip_dialog_sess_state_name(enum sip_dialog_sess_state s)
{
	static const char *const names[] = {
		[SIP_SESS_CALLING] = "calling",       [SIP_SESS_INCOMING] = "incoming",
		[SIP_SESS_EARLY] = "early",           [SIP_SESS_ESTABLISHED] = "established",
		[SIP_SESS_TERMINATING] = "terminating", [SIP_SESS_TERMINATED] = "terminated",
	};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *sip_dialog_ev_name(enum sip_dialog_ev ev)
{
	static const char *const names[] = {
		[SIP_DIALOG_EV_INCOMING] = "incoming",       [SIP_DIALOG_EV_PROGRESS] = "progress",
		[SIP_DIALOG_EV_PRACKED] = "pracked",         [SIP_DIALOG_EV_ESTABLISHED] = "established",
		[SIP_DIALOG_EV_REFRESHED] = "refreshed",     [SIP_DIALOG_EV_TERMINATED] = "terminated",
		[SIP_DIALOG_EV_OFFER] = "offer",
	};
	return (unsigned)ev < sizeof(names) / sizeof(names[0]) ? names[ev] : "?";
}

enum sip_dialog_sess_state sip_dialog_sess_state(const struct sip_dialog_sess *s)
{
	return s->state;
}

struct sip_dialog *sip_dialog_sess_dialog(const struct sip_dialog_sess *s)
{
	return s->dlg;
}

const struct sip_sesstimer *sip_dialog_sess_timer(const struct sip_dialog_sess *s)
{
	return &s->st;
}

bool sip_dialog_sess_is_uac(const struct sip_dialog_sess *s)
{
	return s->uac;
}

void sip_dialog_sess_set_user(struct sip_dialog_sess *s, void *user)
{
	s->user = user;
}

void *sip_dialog_sess_user(const struct sip_dialog_sess *s)
{
	return s->user;
}

const struct sip_msg *sip_dialog_sess_msg(const struct sip_dialog_sess *s)
{
	return s->cur_msg;
}

const struct sip_tp_addr *sip_dialog_sess_peer(const struct sip_dialog_sess *s)
{
	return &s->dst;
}

/* Longest set of extra header lines accepted (they go into one message). */
#define SESS_HDRS_MAX 4096

/*
 * May the owner add a header of this name? Not one the layer writes
 * itself (a second Via, From, CSeq... would corrupt the message): long
 * and compact forms (sip_hdr_lookup), and every Content-* header, since
 * the body is the layer's.
 */
static bool hdr_name_allowed(const char *name, size_t len)
{
	switch (sip_hdr_lookup(name, len)) {
	case SIP_HDR_VIA:
	case SIP_HDR_FROM:
	case SIP_HDR_TO:
	case SIP_HDR_CALL_ID:
	case SIP_HDR_CSEQ:
	case SIP_HDR_CONTACT:
	case SIP_HDR_MAX_FORWARDS:
	case SIP_HDR_CONTENT_TYPE:
	case SIP_HDR_CONTENT_LENGTH:
	case SIP_HDR_CONTENT_ENCODING:
	case SIP_HDR_CONTENT_DISPOSITION:
		return false;
	default:
		break;
	}
	return !(len >= 8 && !strncasecmp(name, "Content-", 8));
}

/*
 * Check extra header lines: each "Name: value" (token name, optional
 * SP/HTAB before the colon) ending in CRLF, no other CR, LF or control
 * character (HTAB aside), no continuation lines, no empty line (it would
 * end the header section), a name the layer does not write. "" is valid.
 */
static int hdrs_check(const char *h)
{
	const char *p = h, *name;

	if (strlen(h) > SESS_HDRS_MAX)
		return EINVAL;
	while (*p) {
		name = p;
		while (sip_cc_is(*p, SIP_CC_TOKEN))
			p++;
		if (p == name || !hdr_name_allowed(name, (size_t)(p - name)))
			return EINVAL;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p++ != ':')
			return EINVAL;
		for (; *p != '\r'; p++) {
			unsigned char c = (unsigned char)*p;

			if (!c || c == '\n' || (c < 0x20 && c != '\t') || c == 0x7f)
				return EINVAL;
		}
		if (p[1] != '\n')
			return EINVAL;
		p += 2;
	}
	return 0;
}

int sip_dialog_sess_set_hdrs(struct sip_dialog_sess *s, const char *hdrs)
{
	char *c = NULL;

	if (hdrs && *hdrs) {
		if (hdrs_check(hdrs))
			return EINVAL;
		c = strdup(hdrs);
		if (!c)
			return ENOMEM;
	}
	free(s->extra_hdrs);
	s->extra_hdrs = c;
	return 0;
}

/* The owner's extra lines were sent: they are used once. */
static void sess_hdrs_used(struct sip_dialog_sess *s)
{
	free(s->extra_hdrs);
	s->extra_hdrs = NULL;
}

void sip_dialog_layer_set_auth_h(struct sip_dialog_layer *dl, sip_dialog_auth_h *h, void *arg)
{
	dl->auth_h = h;
	dl->auth_arg = arg;
}

void sip_dialog_layer_stats(const struct sip_dialog_layer *dl, struct sip_dialog_layer_stats *st)
{
	*st = dl->st;
}

unsigned sip_dialog_layer_sessions(const struct sip_dialog_layer *dl)
{
	return dl->nsess;
}

/* The session description we send: the owner's, else the policy's. */
static const char *sess_sdp(const struct sip_dialog_sess *s)
{
	return s->local_sdp ? s->local_sdp : s->dl->cfg.sdp;
}

/* Keep the peer's session description of msg, if it has one. */
static void sess_keep_sdp(struct sip_dialog_sess *s, const struct sip_msg *msg)
{
	char *c;

	if (!sip_dialog_msg_has_sdp(msg))
		return;
	c = pl_strdup(&msg->body);
	if (!c)
		return;
	free(s->remote_sdp);
	s->remote_sdp = c;
}

int sip_dialog_sess_set_sdp(struct sip_dialog_sess *s, const char *sdp)
{
	char *c = NULL;

	if (sdp && !(c = strdup(sdp)))
		return ENOMEM;
	free(s->local_sdp);
	s->local_sdp = c;
	return 0;
}

const char *sip_dialog_sess_remote_sdp(const struct sip_dialog_sess *s)
{
	return s->remote_sdp;
}

int sip_dialog_sess_reject_offer(struct sip_dialog_sess *s, uint16_t scode)
{
	if (scode < 300 || scode > 699)
		return EINVAL;
	s->offer_reject = scode;
	return 0;
}

static void ev(struct sip_dialog_sess *s, enum sip_dialog_ev e, uint16_t scode,
	       const struct sip_msg *msg);

/*
 * The peer made an offer in request req: let the owner negotiate (set the
 * session SDP, or refuse). Returns the refusal status, 0 to answer.
 */
static uint16_t sess_offer(struct sip_dialog_sess *s, const struct sip_msg *req)
{
	s->offer_reject = 0;
	ev(s, SIP_DIALOG_EV_OFFER, 0, req);
	return s->freeing ? 500 : s->offer_reject;
}

static const char *sess_id(const struct sip_dialog_sess *s)
{
	return s->dlg ? s->dlg->call_id : "-";
}

#define SLOG(lvl, s, ...) log_msg((lvl), "dialog", sess_id(s), __VA_ARGS__)

/* Our Contact URI for transport tp: sip:user@ip:port[;transport=tcp]. */
static int layer_contact(struct sip_dialog_layer *dl, enum sip_tp tp, char *buf, size_t sz)
{
	struct sockaddr_storage sa;
	char hp[80];
	int n;

	if (sip_transp_laddr(sip_ua_transp(dl->ua), tp, AF_UNSPEC, &sa) ||
	    sip_sa_print(&sa, hp, sizeof(hp)))
		return EAFNOSUPPORT;
	n = snprintf(buf, sz, "sip:%s@%s%s", dl->cfg.user ? dl->cfg.user : "pstngw", hp,
		     tp == SIP_TP_TCP ? ";transport=tcp" : "");
	return n < 0 || (size_t)n >= sz ? ENOSPC : 0;
}

/* Next hop of an in-dialog request: a numeric host (no DNS here). */
static int uri_dst(const char *uri, enum sip_tp deftp, struct sip_tp_addr *dst)
{
	struct pl u = pl_from_str(uri);
	struct sip_uri du;
	struct pl tpv;
	char host[64];
	struct sip_tp_addr d = { .tp = deftp };

	if (sip_uri_decode(&du, &u) || (du.scheme != SIP_URI_SIP && du.scheme != SIP_URI_SIPS))
		return EINVAL;
	if (!sip_uri_param(&du, "maddr", &tpv) && tpv.l) {
		if (pl_strcpy(&tpv, host, sizeof(host)))
			return EINVAL;
	} else if (pl_strcpy(&du.host, host, sizeof(host))) {
		return EINVAL;
	}
	if (!sip_uri_param(&du, "transport", &tpv) && sip_tp_parse(&tpv, &d.tp))
		return EINVAL;
	if (sip_sa_set(&d.peer, host, du.port ? du.port : 5060))
		return EINVAL;
	*dst = d;
	return 0;
}

static void ctsx_add(struct sip_dialog_sess *s, struct sip_tsx *tsx, enum sip_method m,
		     bool initial)
{
	for (unsigned i = 0; i < SESS_MAX_CTSX; i++) {
		if (!s->ctsx[i].tsx) {
			s->ctsx[i] = (struct sess_ctsx){ tsx, m, initial, s->sending_fork };
			return;
		}
	}
	/* table full: stop listening to it rather than lose track */
	sip_tsx_detach(tsx);
}

static struct sess_ctsx *ctsx_find(struct sip_dialog_sess *s, const struct sip_tsx *tsx)
{
	for (unsigned i = 0; i < SESS_MAX_CTSX; i++) {
		if (s->ctsx[i].tsx == tsx)
			return &s->ctsx[i];
	}
	return NULL;
}

static void sess_handle_closed(uv_handle_t *h)
{
	struct sip_dialog_sess *s = h->data;

	if (--s->open_handles == 0) {
		free(s->ruri);
		free(s->base_hdrs);
		free(s->inv_buf);
		free(s->inv_msg);
		free(s->auth);
		free(s->local_sdp);
		free(s->remote_sdp);
		free(s->extra_hdrs);
		free(s->rel_hdrs);
		free(s);
	}
}

/* Unlink s, forget its transactions and dialog, free it (after the timers close). */
static void sess_free(struct sip_dialog_sess *s)
{
	struct sip_dialog_layer *dl = s->dl;
	struct sip_dialog_sess **pp;

	if (s->freeing)
		return;
	s->freeing = true;
	s->ack_pending = false;
	for (pp = &dl->sessions; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			dl->nsess--;
			break;
		}
	}
	for (unsigned i = 0; i < SESS_MAX_CTSX; i++) {
		if (s->ctsx[i].tsx)
			sip_tsx_detach(s->ctsx[i].tsx);
		s->ctsx[i].tsx = NULL;
	}
	if (s->ist)
		sip_tsx_set_handlers(s->ist, NULL, NULL, NULL);
	if (s->dlg) {
		s->dlg->user = NULL;
		if (s->uac && s->dlg->state == SIP_DIALOG_EARLY) {
			struct pl cid = pl_from_str(s->dlg->call_id);
			struct pl lt = pl_from_str(s->dlg->local_tag);

			/* forks of this INVITE that stayed early go too */
			sip_dialog_destroy(s->dlg);
			sip_dialogs_uac_fail(dl->set, &cid, &lt);
		} else {
			sip_dialog_destroy(s->dlg);
		}
		s->dlg = NULL;
	}
	uv_close((uv_handle_t *)&s->t_prack, sess_handle_closed);
	uv_close((uv_handle_t *)&s->t_sess, sess_handle_closed);
	uv_close((uv_handle_t *)&s->t_glare, sess_handle_closed);
}

/*
 * Call the owner's handler with msg as sip_dialog_sess_msg() for its
 * duration. Handlers may raise events themselves (an answer(486) inside
 * EV_INCOMING ends the session at once), so the previous message comes
 * back afterwards: NULL at the outermost level. The session's memory
 * outlives sess_free until its timers close, so restoring is safe even
 * when the handler ended the session.
 */
static void ev_call(struct sip_dialog_sess *s, enum sip_dialog_ev e, uint16_t scode,
		    const struct sip_msg *msg)
{
	const struct sip_msg *prev = s->cur_msg;

	s->cur_msg = msg;
	s->dl->evh(s, e, scode, s->dl->arg);
	s->cur_msg = prev;
}

/*
 * The session is over: tell the owner once, then free it. msg: the
 * received message that ended it (failure response, BYE, CANCEL) or NULL.
 */
static void sess_end(struct sip_dialog_sess *s, uint16_t scode, const struct sip_msg *msg)
{
	struct sip_dialog_layer *dl = s->dl;

	if (s->state == SIP_SESS_TERMINATED || s->freeing)
		return;
	s->state = SIP_SESS_TERMINATED;
	dl->st.terminated++;
	SLOG(LOGL_INFO, s, "session ended (%u)", scode);
	if (dl->evh)
		ev_call(s, SIP_DIALOG_EV_TERMINATED, scode, msg);
	sess_free(s);
}

static void ev(struct sip_dialog_sess *s, enum sip_dialog_ev e, uint16_t scode,
	       const struct sip_msg *msg)
{
	if (s->dl->evh && !s->freeing)
		ev_call(s, e, scode, msg);
}

static void t_sess_cb(uv_timer_t *t);
static void t_prack_cb(uv_timer_t *t);
static void t_glare_cb(uv_timer_t *t);

static struct sip_dialog_sess *sess_new(struct sip_dialog_layer *dl, bool uac)
{
	struct sip_dialog_sess *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->dl = dl;
	s->uac = uac;
	if (sip_sesstimer_init(&s->st, &dl->cfg.timer)) {
		free(s);
		return NULL;
	}
	uv_timer_init(dl->loop, &s->t_prack);
	uv_timer_init(dl->loop, &s->t_sess);
	uv_timer_init(dl->loop, &s->t_glare);
	s->t_prack.data = s->t_sess.data = s->t_glare.data = s;
	s->open_handles = 3;
	s->next = dl->sessions;
	dl->sessions = s;
	dl->nsess++;
	return s;
}

/* (Re)arm the session timer from the negotiated interval (RFC 4028 §10). */
static void sess_timer_arm(struct sip_dialog_sess *s)
{
	uint64_t ms;

	uv_timer_stop(&s->t_sess);
	if (sip_sesstimer_next(&s->st, &ms) != SIP_SESSTIMER_NONE) {
		uv_timer_start(&s->t_sess, t_sess_cb, ms, 0);
		SLOG(LOGL_DEBUG, s, "session timer %u s, %s in %llu ms", s->st.interval,
		     s->st.we_refresh ? "refresh" : "expiry", (unsigned long long)ms);
	}
}

/* ---- sending ---- */

static void sess_resp_h(struct sip_tsx *tsx, const struct sip_msg *resp, int err, void *arg);
static void uac_ack_flush(struct sip_dialog_sess *s);

/*
 * Send an in-dialog request built by sip_dialog_request. extra: more
 * header lines. sdp: attach our SDP. Undoes the dialog's pending flags when
 * it cannot be sent.
 */
static int sess_send(struct sip_dialog_sess *s, enum sip_method m, bool sdp, const char *extra)
{
	struct sip_dialog_layer *dl = s->dl;
	struct sip_dialog *dlg = s->dlg;
	struct sip_dialog_req rq;
	struct sip_tp_addr dst;
	struct sip_tsx *tsx = NULL;
	struct sip_buf hb;
	const char *body = sdp ? sess_sdp(s) : NULL;
	bool was_inv, was_off, was_rem;
	int err;

	/* a request sent from the EV_ESTABLISHED handler follows the 2xx's ACK */
	if (s->ack_pending && m != SIP_METHOD_ACK)
		uac_ack_flush(s);
	was_inv = dlg->inv_client;
	was_off = dlg->oa_local;
	was_rem = dlg->oa_remote;
	if (!body)
		sdp = false;
	sip_buf_init(&hb, 16384);
	err = sip_dialog_request(dlg, m, sdp, &rq, &hb);
	if (err)
		goto out;
	if (extra)
		sip_buf_str(&hb, extra);
	err = sip_buf_err(&hb);
	if (!err)
		err = uri_dst(rq.next_hop, s->dst.tp, &dst);
	if (err)
		goto undo;
	if (m == SIP_METHOD_ACK)
		err = sip_ua_send_ack(dl->ua, &dst, rq.ruri, hb.p, sdp ? SESS_SDP_TYPE : NULL, body,
				      body ? strlen(body) : 0);
	else
		err = sip_ua_request(dl->ua, &tsx, &dst, sip_method_name(m), rq.ruri, hb.p,
				     sdp ? SESS_SDP_TYPE : NULL, body, body ? strlen(body) : 0,
				     sess_resp_h, s);
	if (err)
		goto undo;
	if (tsx)
		ctsx_add(s, tsx, m, false);
	goto out;
undo:
	dlg->inv_client = was_inv;
	dlg->oa_local = was_off;
	dlg->oa_remote = was_rem;
	SLOG(LOGL_WARN, s, "cannot send %s: %s", sip_method_name(m), strerror(err));
out:
	sip_buf_free(&hb);
	return err;
}

/* re-INVITE or UPDATE refreshing the session (and its timer). */
static int sess_refresh(struct sip_dialog_sess *s, enum sip_method m)
{
	char hdrs[256];
	size_t off;
	int err;

	if (s->state != SIP_SESS_ESTABLISHED || !s->dlg)
		return EINVAL;
	off = (size_t)snprintf(hdrs, sizeof(hdrs), "%s", layer_supported(s->dl));
	if (s->st.cfg.enabled)
		sip_sesstimer_uac_hdrs(&s->st, hdrs + off, sizeof(hdrs) - off);
	err = sess_send(s, m, m == SIP_METHOD_INVITE, hdrs);
	if (!err) {
		if (m == SIP_METHOD_INVITE)
			s->dl->st.reinvite_tx++;
		else
			s->dl->st.update_tx++;
	}
	return err;
}

int sip_dialog_sess_reinvite(struct sip_dialog_sess *s)
{
	return sess_refresh(s, SIP_METHOD_INVITE);
}

int sip_dialog_sess_update(struct sip_dialog_sess *s)
{
	return sess_refresh(s, SIP_METHOD_UPDATE);
}

/* ---- UAS side ---- */

static void ist_cancel_h(struct sip_tsx *tsx, const struct sip_msg *cancel, void *arg)
{
	struct sip_dialog_sess *s = arg;

	(void)tsx;
	/* the transaction layer sends 487; the early dialog ends with it */
	s->ist = NULL;
	uv_timer_stop(&s->t_prack);
	if (s->dlg)
		sip_dialog_tx_response(s->dlg, SIP_METHOD_INVITE, 487, false);
	sess_end(s, 487, cancel);
}

static void ist_term_h(struct sip_tsx *tsx, int err, void *arg)
{
	struct sip_dialog_sess *s = arg;

	(void)tsx;
	s->ist = NULL;
	SLOG(LOGL_WARN, s, "INVITE transaction ended: %s", strerror(err));
	sess_end(s, 500, NULL);
}

/* Send a response in the initial INVITE transaction. */
static int ist_reply(struct sip_dialog_sess *s, uint16_t scode, const char *reason,
		     const char *hdrs, bool sdp)
{
	struct sip_dialog_layer *dl = s->dl;
	struct sip_reply_opt o = {
		.to_tag = s->dlg->local_tag,
		.record_route = scode < 300,
		.hdrs = hdrs,
	};

	if (sdp && sess_sdp(s)) {
		o.ctype = SESS_SDP_TYPE;
		o.body = sess_sdp(s);
		o.body_len = strlen(o.body);
	}
	return sip_ua_reply(dl->ua, s->ist, NULL, scode, reason, &o);
}

/* Send (or resend) the reliable 1xx with RSeq rel_rseq (and rel_hdrs). */
static int rel1xx_send(struct sip_dialog_sess *s)
{
	struct sip_buf hb;
	int err;

	sip_buf_init(&hb, 8192);
	sip_buf_printf(&hb, "Contact: <%s>\r\nRequire: 100rel\r\nRSeq: %u\r\n%s",
		       s->dlg->local_contact, s->rel_rseq, layer_supported(s->dl));
	if (s->rel_hdrs)
		sip_buf_str(&hb, s->rel_hdrs);
	err = sip_buf_err(&hb);
	if (!err)
		err = ist_reply(s, s->rel_scode, NULL, hb.p, s->rel_sdp);
	sip_buf_free(&hb);
	return err;
}

int sip_dialog_sess_progress(struct sip_dialog_sess *s, uint16_t scode, bool sdp)
{
	struct sip_buf hb;
	uint32_t rseq, retx;
	int err;

	if (s->uac || !s->ist || s->state != SIP_SESS_INCOMING || scode <= 100 || scode >= 200)
		return EINVAL;
	if (!sess_sdp(s))
		sdp = false;
	if (!s->reliable) {
		sip_buf_init(&hb, 8192);
		sip_buf_printf(&hb, "Contact: <%s>\r\n%s", s->dlg->local_contact,
			       layer_supported(s->dl));
		if (s->extra_hdrs)
			sip_buf_str(&hb, s->extra_hdrs);
		err = sip_buf_err(&hb);
		/* an SDP in an unreliable 1xx is a preview, not the answer */
		if (!err)
			err = ist_reply(s, scode, NULL, hb.p, sdp);
		sip_buf_free(&hb);
		if (!err)
			sess_hdrs_used(s);
		return err;
	}
	err = sip_prack_uas_send(&s->pu, sdp, &rseq, &retx);
	if (err)
		return err;
	s->rel_scode = scode;
	s->rel_sdp = sdp;
	s->rel_rseq = rseq;
	/* the owner's lines go with this 1xx and its retransmissions */
	free(s->rel_hdrs);
	s->rel_hdrs = s->extra_hdrs;
	s->extra_hdrs = NULL;
	err = rel1xx_send(s);
	if (err) {
		s->pu.pending = false;
		s->extra_hdrs = s->rel_hdrs;
		s->rel_hdrs = NULL;
		return err;
	}
	if (sdp && !s->inv_sdp)
		s->rel_offer = true;
	sip_dialog_tx_response(s->dlg, SIP_METHOD_INVITE, scode, sdp);
	uv_timer_start(&s->t_prack, t_prack_cb, retx, 0);
	s->dl->st.rel1xx_tx++;
	SLOG(LOGL_INFO, s, "reliable %u sent, RSeq %u", scode, rseq);
	return 0;
}

static void t_prack_cb(uv_timer_t *t)
{
	struct sip_dialog_sess *s = t->data;
	uint32_t retx;
	int err;

	if (!s->ist)
		return;
	err = sip_prack_uas_timer(&s->pu, &retx);
	if (err == ETIMEDOUT) {
		/* RFC 3262 §3: no PRACK within 64*T1: reject the INVITE */
		s->dl->st.prack_timeout++;
		SLOG(LOGL_WARN, s, "no PRACK for RSeq %u: rejecting", s->rel_rseq);
		ist_reply(s, 504, "No PRACK", NULL, false);
		s->ist = NULL;
		sip_dialog_tx_response(s->dlg, SIP_METHOD_INVITE, 504, false);
		sess_end(s, 504, NULL);
		return;
	}
	if (err)
		return;
	s->dl->st.rel1xx_retx++;
	rel1xx_send(s);
	uv_timer_start(&s->t_prack, t_prack_cb, retx, 0);
}

int sip_dialog_sess_answer(struct sip_dialog_sess *s, uint16_t scode)
{
	struct sip_dialog_layer *dl = s->dl;
	struct sip_buf hb;
	char st[256];
	bool sdp;
	int err;

	if (s->uac || !s->ist || s->state != SIP_SESS_INCOMING || scode < 200 || scode > 699)
		return EINVAL;
	if (scode >= 300) {
		err = ist_reply(s, scode, NULL, s->extra_hdrs, false);
		sess_hdrs_used(s);
		s->ist = NULL;
		uv_timer_stop(&s->t_prack);
		sip_dialog_tx_response(s->dlg, SIP_METHOD_INVITE, scode, false);
		sess_end(s, scode, NULL);
		return err;
	}
	if (!sip_prack_uas_final_allowed(&s->pu, true)) {
		/* RFC 3262 §3: the 2xx waits for the PRACK of the 1xx with SDP */
		s->answer_deferred = scode;
		SLOG(LOGL_INFO, s, "2xx deferred until PRACK");
		return 0;
	}
	s->answer_deferred = 0;
	/* answer an open offer; offer ourselves if nothing was exchanged */
	sdp = s->dlg->oa_remote || (!s->inv_sdp && !s->rel_offer);
	st[0] = '\0';
	sip_sesstimer_uas_hdrs(&s->std, st, sizeof(st));
	sip_buf_init(&hb, 8192);
	sip_buf_printf(&hb, "Contact: <%s>\r\n%s%s", s->dlg->local_contact, layer_supported(dl),
		       st);
	if (s->extra_hdrs)
		sip_buf_str(&hb, s->extra_hdrs);
	err = sip_buf_err(&hb);
	if (!err)
		err = ist_reply(s, scode, NULL, hb.p, sdp);
	sip_buf_free(&hb);
	if (err) {
		SLOG(LOGL_WARN, s, "cannot send %u: %s", scode, strerror(err));
		return err;
	}
	sess_hdrs_used(s);
	s->ist = NULL;
	uv_timer_stop(&s->t_prack);
	sip_dialog_tx_response(s->dlg, SIP_METHOD_INVITE, scode, sdp && sess_sdp(s));
	sip_sesstimer_uas_commit(&s->st, &s->std);
	s->state = SIP_SESS_ESTABLISHED;
	sess_timer_arm(s);
	SLOG(LOGL_INFO, s, "answered %u%s", scode, s->st.interval ? " with session timer" : "");
	return 0;
}

static uint16_t uas_auth(struct sip_dialog_layer *dl, const struct sip_msg *req,
			 struct sip_auth_server *srv, const char *user, const char *password,
			 char *hdr, size_t sz)
{
	const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_AUTHORIZATION);
	struct sip_auth_cred c;
	uint64_t now = (uint64_t)time(NULL);
	bool stale = false;
	int err;
	size_t n;

	if (h) {
		if (sip_auth_cred_parse(&h->val, &c))
			return 400;
		/*
		 * The digest covers the credentials' uri; it is not compared
		 * with the Request-URI, which proxies and some UAs rewrite
		 * (sipp puts the bare host there). Nonce expiry and nc replay
		 * checks still bound reuse.
		 */
		err = sip_auth_server_verify(srv, &c, &req->method, NULL, &req->body,
					     password, NULL, now);
		if (!err && (!user || !strcmp(c.username, user))) {
			dl->st.auth_ok++;
			return 0;
		}
		if (err != ETIMEDOUT) {
			dl->st.auth_fail++;
			return 403;
		}
		stale = true;
	}
	n = (size_t)snprintf(hdr, sz, "WWW-Authenticate: ");
	if (n >= sz || sip_auth_server_challenge(srv, now, SIP_AUTH_MD5, stale, hdr + n, sz - n - 2))
		return 500;
	strcat(hdr, "\r\n");
	dl->st.auth_challenge_tx++;
	return 401;
}

static bool uas_invite(struct sip_dialog_layer *dl, struct sip_tsx *tsx, const struct sip_msg *req,
		       const struct sip_tp_addr *src)
{
	struct sip_dialog_sess *s = NULL;
	struct sip_reply_opt o = { .to_tag = NULL };
	struct sip_sess_expires se;
	char hdr[1024], tag[24], contact[160];
	uint32_t minse = 0;
	bool has_se, has_minse;
	uint16_t sc = 0;
	const char *reason = NULL;
	int err;

	{
		struct sip_dialog_uas_auth a = { NULL, NULL, NULL };
		if (dl->auth_h && dl->auth_h(req, src, &a, dl->auth_arg) && a.server)
			sc = uas_auth(dl, req, a.server, a.user, a.password ? a.password : "",
				      hdr, sizeof(hdr));
		else if (dl->auth)
			sc = uas_auth(dl, req, dl->auth, dl->cfg.auth_user, dl->cfg.auth_password,
				      hdr, sizeof(hdr));
		if (sc) {
			o.hdrs = sc == 401 ? hdr : NULL;
			goto reject;
		}
	}
	switch (sip_prack_uas_decide(dl->cfg.prack, sip_msg_has_tag(req, SIP_HDR_SUPPORTED, "100rel"),
				     sip_msg_has_tag(req, SIP_HDR_REQUIRE, "100rel"))) {
	case SIP_PRACK_REJECT_420:
		sc = 420;
		o.hdrs = "Unsupported: 100rel\r\n";
		goto reject;
	case SIP_PRACK_REJECT_421:
		sc = 421;
		o.hdrs = "Require: 100rel\r\n";
		goto reject;
	default:
		break;
	}
	err = sip_sesstimer_msg_se(req, &se);
	has_se = !err;
	if (err == EINVAL) {
		sc = 400;
		reason = "Bad Session-Expires";
		goto reject;
	}
	err = sip_msg_min_se(req, &minse);
	has_minse = !err;
	if (err && err != ENOENT) {
		sc = 400;
		reason = "Bad Min-SE";
		goto reject;
	}
	s = sess_new(dl, false);
	if (!s) {
		sc = 500;
		goto reject;
	}
	sip_sesstimer_uas_decide(&s->st, has_se, &se, has_minse, minse,
				 sip_msg_has_tag(req, SIP_HDR_SUPPORTED, SIP_SESSTIMER_TAG), &s->std);
	if (s->std.scode == 422) {
		dl->st.st_422_tx++;
		sc = 422;
		sip_sesstimer_uas_hdrs(&s->std, hdr, sizeof(hdr));
		o.hdrs = hdr;
		goto reject;
	}
	sip_tsx_token(tag, sizeof(tag));
	err = layer_contact(dl, src->tp, contact, sizeof(contact));
	if (!err)
		err = sip_dialog_uas_create(dl->set, req, tag, contact, src->tp == SIP_TP_TLS, &s->dlg);
	if (err) {
		sc = err == EINVAL ? 400 : 500;
		goto reject;
	}
	s->dlg->user = s;
	s->dst = *src; /* in-dialog requests default to this transport */
	s->ist = tsx;
	sip_tsx_set_handlers(tsx, ist_cancel_h, ist_term_h, s);
	s->reliable = sip_prack_uas_decide(dl->cfg.prack,
					   sip_msg_has_tag(req, SIP_HDR_SUPPORTED, "100rel"),
					   sip_msg_has_tag(req, SIP_HDR_REQUIRE, "100rel")) ==
		      SIP_PRACK_USE_RELIABLE;
	s->inv_sdp = sip_dialog_msg_has_sdp(req);
	sess_keep_sdp(s, req);
	sip_prack_uas_init(&s->pu, req->cseq.num, arc4random(), dl->cfg.t1);
	s->state = SIP_SESS_INCOMING;
	dl->st.sess_uas++;
	SLOG(LOGL_INFO, s, "incoming INVITE %.*s%s", (int)req->ruri_pl.l, req->ruri_pl.p,
	     s->reliable ? " (100rel)" : "");
	ev(s, SIP_DIALOG_EV_INCOMING, 0, req);
	return true;
reject:
	sip_ua_reply(dl->ua, tsx, req, sc, reason, &o);
	if (s)
		sess_free(s);
	return true;
}

/*
 * A request inside dialog dlg of session s (UAS role for this
 * transaction). dlg is the session's dialog, or for a UAC another early
 * dialog of the same forked INVITE.
 */
static bool in_dialog(struct sip_dialog_sess *s, struct sip_dialog *dlg, struct sip_tsx *tsx,
		      const struct sip_msg *req)
{
	struct sip_dialog_layer *dl = s->dl;
	struct sip_reply_opt o = { .to_tag = NULL };
	char hdrs[600], ra_hdr[40];
	uint32_t ra;
	uint16_t sc;
	bool sdp_out = false;
	size_t off;

	sc = sip_dialog_rx_request(dlg, req, &ra);
	if (!sc && dlg == s->dlg)
		sess_keep_sdp(s, req);
	if (req->meth == SIP_METHOD_ACK) {
		if (!s->uac && !s->acked && req->cseq.num == dlg->rinvite_cseq &&
		    s->state == SIP_SESS_ESTABLISHED) {
			s->acked = true;
			dl->st.established++;
			ev(s, SIP_DIALOG_EV_ESTABLISHED, 200, req);
		}
		return true;
	}
	if (sc) {
		if (sc == 491)
			dl->st.glare_491_tx++;
		else if (sc == 500 && ra)
			dl->st.retry_500_tx++;
		else if (sc == 500)
			dl->st.cseq_500++;
		else if (sc == 481)
			dl->st.req_481++;
		if (ra) {
			snprintf(ra_hdr, sizeof(ra_hdr), "Retry-After: %u\r\n", ra);
			o.hdrs = ra_hdr;
		}
		sip_ua_reply(dl->ua, tsx, req, sc, NULL, &o);
		return true;
	}
	if (dlg != s->dlg) {
		/* an early fork that is not the session's: it may only end */
		sip_ua_reply(dl->ua, tsx, req, req->meth == SIP_METHOD_BYE ? 200 : 481, NULL, NULL);
		if (req->meth == SIP_METHOD_BYE) {
			dlg->user = NULL;
			sip_dialog_destroy(dlg);
		}
		return true;
	}
	switch (req->meth) {
	case SIP_METHOD_BYE:
		dl->st.bye_rx++;
		sip_ua_reply(dl->ua, tsx, req, 200, NULL, NULL);
		if (s->ist) {
			/* BYE in an early dialog: the INVITE gets 487 (§15.1.2) */
			ist_reply(s, 487, NULL, NULL, false);
			s->ist = NULL;
		}
		sess_end(s, 0, req);
		return true;
	case SIP_METHOD_PRACK: {
		struct sip_rack rack;

		if (s->uac || !s->ist) {
			dl->st.prack_481++;
			sip_ua_reply(dl->ua, tsx, req, 481, NULL, NULL);
			return true;
		}
		if (sip_msg_rack(req, &rack)) {
			sip_ua_reply(dl->ua, tsx, req, 400, "Bad RAck", NULL);
			return true;
		}
		if (sip_prack_uas_prack(&s->pu, &rack)) {
			dl->st.prack_481++;
			sip_ua_reply(dl->ua, tsx, req, 481, NULL, NULL);
			return true;
		}
		dl->st.prack_rx++;
		uv_timer_stop(&s->t_prack);
		/* an offer in the PRACK is answered in its 200 */
		if (dlg->oa_remote && (sc = sess_offer(s, req)) != 0) {
			sip_ua_reply(dl->ua, tsx, req, sc, NULL, NULL);
			sip_dialog_tx_response(dlg, SIP_METHOD_PRACK, sc, false);
			return true;
		}
		sdp_out = dlg->oa_remote && sess_sdp(s);
		if (sdp_out) {
			o.ctype = SESS_SDP_TYPE;
			o.body = sess_sdp(s);
			o.body_len = strlen(o.body);
		}
		sip_ua_reply(dl->ua, tsx, req, 200, NULL, &o);
		sip_dialog_tx_response(dlg, SIP_METHOD_PRACK, 200, sdp_out);
		ev(s, SIP_DIALOG_EV_PRACKED, 200, req);
		if (s->answer_deferred && !s->freeing)
			sip_dialog_sess_answer(s, s->answer_deferred);
		return true;
	}
	case SIP_METHOD_INVITE:
	case SIP_METHOD_UPDATE: {
		struct sip_sess_expires se;
		struct sip_sesstimer_uas d;
		uint32_t minse = 0;
		bool has_se, has_minse;
		int err;

		if (req->meth == SIP_METHOD_INVITE)
			dl->st.reinvite_rx++;
		else
			dl->st.update_rx++;
		err = sip_sesstimer_msg_se(req, &se);
		has_se = !err;
		has_minse = !sip_msg_min_se(req, &minse);
		sip_sesstimer_uas_decide(&s->st, has_se, &se, has_minse, minse,
					 sip_msg_has_tag(req, SIP_HDR_SUPPORTED, SIP_SESSTIMER_TAG),
					 &d);
		if (err == EINVAL || d.scode == 422) {
			sc = err == EINVAL ? 400 : 422;
			if (sc == 422) {
				dl->st.st_422_tx++;
				sip_sesstimer_uas_hdrs(&d, hdrs, sizeof(hdrs));
				o.hdrs = hdrs;
			}
			sip_ua_reply(dl->ua, tsx, req, sc, NULL, &o);
			sip_dialog_tx_response(dlg, req->meth, sc, false);
			return true;
		}
		if (dlg->oa_remote && (sc = sess_offer(s, req)) != 0) {
			if (s->freeing)
				return true;
			sip_ua_reply(dl->ua, tsx, req, sc, NULL, NULL);
			sip_dialog_tx_response(dlg, req->meth, sc, false);
			return true;
		}
		/* answer an offer; a re-INVITE without one gets our offer */
		sdp_out = sess_sdp(s) &&
			  (dlg->oa_remote || (req->meth == SIP_METHOD_INVITE && !dlg->oa_local));
		off = (size_t)snprintf(hdrs, sizeof(hdrs), "Contact: <%s>\r\n%s",
				       dlg->local_contact, layer_supported(dl));
		sip_sesstimer_uas_hdrs(&d, hdrs + off, sizeof(hdrs) - off);
		o.hdrs = hdrs;
		if (sdp_out) {
			o.ctype = SESS_SDP_TYPE;
			o.body = sess_sdp(s);
			o.body_len = strlen(o.body);
		}
		if (sip_ua_reply(dl->ua, tsx, req, 200, NULL, &o)) {
			sip_dialog_tx_response(dlg, req->meth, 500, false);
			return true;
		}
		sip_dialog_tx_response(dlg, req->meth, 200, sdp_out);
		sip_sesstimer_uas_commit(&s->st, &d);
		if (d.interval)
			dl->st.st_refresh++;
		dl->st.refresh_ok++;
		sess_timer_arm(s);
		SLOG(LOGL_INFO, s, "%.*s answered 200", (int)req->method.l, req->method.p);
		ev(s, SIP_DIALOG_EV_REFRESHED, 200, req);
		return true;
	}
	default:
		sip_ua_reply(dl->ua, tsx, req, 200, NULL, NULL);
		return true;
	}
}

static bool layer_req_h(struct sip_ua *ua, struct sip_tsx *tsx, const struct sip_msg *req,
			const struct sip_tp_addr *src, void *arg)
{
	struct sip_dialog_layer *dl = arg;
	struct sip_dialog *dlg;

	(void)ua;
	if (pl_isset(&req->to.tag) && req->to.tag.l) {
		dlg = sip_dialogs_match_req(dl->set, req);
		if (!dlg || !dlg->user) {
			if (req->meth != SIP_METHOD_ACK)
				dl->st.req_481++;
			return false; /* not ours: the UA core answers 481 */
		}
		if (req->meth != SIP_METHOD_ACK && !tsx)
			return false;
		return in_dialog(dlg->user, dlg, tsx, req);
	}
	if (req->meth == SIP_METHOD_INVITE && tsx)
		return uas_invite(dl, tsx, req, src);
	return false;
}

/* The UA core gave up retransmitting our 2xx: no ACK came (§13.3.1.4). */
static void layer_ack_timeout_h(const struct sip_msg *resp2xx, void *arg)
{
	struct sip_dialog_layer *dl = arg;
	struct sip_dialog *dlg;
	struct sip_dialog_sess *s;

	/* for our 2xx, the local tag is the To tag */
	dlg = sip_dialogs_find(dl->set, &resp2xx->call_id, &resp2xx->to.tag, &resp2xx->from.tag);
	if (!dlg || !dlg->user)
		return;
	s = dlg->user;
	SLOG(LOGL_WARN, s, "no ACK for our 2xx: BYE");
	sip_dialog_sess_bye(s);
}

/* ---- UAC side ---- */

/* The body of our initial INVITE: our offer, or none (offer in the 2xx). */
static const char *uac_offer(const struct sip_dialog_sess *s)
{
	return s->inv_no_offer ? NULL : sess_sdp(s);
}

/* Build and send our INVITE (first one, or after 401/407/422). */
static int uac_send_invite(struct sip_dialog_sess *s, const char *auth_hdr)
{
	struct sip_dialog_layer *dl = s->dl;
	const char *body = uac_offer(s);
	size_t blen = body ? strlen(body) : 0;
	struct sip_tsx *tsx = NULL;
	struct sip_buf hb, tb;
	char st[128];
	int err;

	sip_buf_init(&hb, 16384);
	sip_buf_init(&tb, 65536);
	sip_buf_str(&hb, s->base_hdrs);
	sip_buf_printf(&hb, "CSeq: %u INVITE\r\n", s->inv_cseq);
	if (s->st.cfg.enabled && !sip_sesstimer_uac_hdrs(&s->st, st, sizeof(st)))
		sip_buf_str(&hb, st);
	if (auth_hdr)
		sip_buf_str(&hb, auth_hdr);
	err = sip_buf_err(&hb);
	if (err)
		goto out;
	/* our own parsed copy of the request, for the dialog (Via aside) */
	sip_buf_printf(&tb,
		       "INVITE %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKlocal\r\n"
		       "Max-Forwards: 70\r\n%s",
		       s->ruri, hb.p);
	if (body)
		sip_buf_printf(&tb, "Content-Type: " SESS_SDP_TYPE "\r\n");
	sip_buf_printf(&tb, "Content-Length: %zu\r\n\r\n", blen);
	if (body)
		sip_buf_str(&tb, body);
	err = sip_buf_err(&tb);
	if (err)
		goto out;
	if (!s->inv_msg)
		s->inv_msg = malloc(sizeof(*s->inv_msg));
	if (!s->inv_msg) {
		err = ENOMEM;
		goto out;
	}
	free(s->inv_buf);
	s->inv_buf = tb.p;
	tb.p = NULL;
	tb.size = tb.len = 0;
	err = sip_msg_decode(s->inv_msg, s->inv_buf, strlen(s->inv_buf));
	if (err)
		goto out;
	err = sip_ua_request(dl->ua, &tsx, &s->dst, "INVITE", s->ruri, hb.p,
			     body ? SESS_SDP_TYPE : NULL, body, blen, sess_resp_h, s);
	if (err)
		goto out;
	ctsx_add(s, tsx, SIP_METHOD_INVITE, true);
out:
	sip_buf_free(&hb);
	sip_buf_free(&tb);
	return err;
}

/* An addr-spec given by the owner for From/To: URI characters only. */
static bool opt_uri_ok(const char *u)
{
	size_t n = strlen(u);

	if (!n || n > 1024 || !strchr(u, ':'))
		return false;
	for (; *u; u++) {
		if (!sip_cc_is(*u, SIP_CC_URI))
			return false;
	}
	return true;
}

/*
 * Print display as a quoted-string (RFC 3261 §25.1: '"' and '\\' become
 * quoted-pairs). Control characters are refused: EINVAL.
 */
static int print_display(struct sip_buf *b, const char *display)
{
	const char *p;

	if (strlen(display) > 256)
		return EINVAL;
	sip_buf_str(b, "\"");
	for (p = display; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return EINVAL;
		if (c == '"' || c == '\\')
			sip_buf_str(b, "\\");
		sip_buf_printf(b, "%c", *p);
	}
	sip_buf_str(b, "\" ");
	return 0;
}

int sip_dialog_connect_opt(struct sip_dialog_layer *dl, struct sip_dialog_sess **sp,
			   const char *uri, const struct sip_tp_addr *dst,
			   const struct sip_dialog_connect_opt *opt)
{
	static const struct sip_dialog_connect_opt none;
	struct sip_dialog_sess *s;
	struct sip_buf b;
	char contact[160], cid[40], tag[24], from[200];
	struct sockaddr_storage sa;
	char hp[80];
	int err;

	if (!opt)
		opt = &none;
	if (!uri || !dst || (opt->from_uri && !opt_uri_ok(opt->from_uri)) ||
	    (opt->to_uri && !opt_uri_ok(opt->to_uri)) || (opt->hdrs && hdrs_check(opt->hdrs)))
		return EINVAL;
	err = layer_contact(dl, dst->tp, contact, sizeof(contact));
	if (err)
		return err;
	if (sip_transp_laddr(sip_ua_transp(dl->ua), dst->tp, AF_UNSPEC, &sa) ||
	    sip_sa_print(&sa, hp, sizeof(hp)))
		return EAFNOSUPPORT;
	s = sess_new(dl, true);
	if (!s)
		return ENOMEM;
	s->user = opt->user;
	s->dst = *dst;
	s->state = SIP_SESS_CALLING;
	s->inv_cseq = 1;
	s->ruri = strdup(uri);
	sip_tsx_token(cid, sizeof(cid));
	sip_tsx_token(tag, sizeof(tag));
	snprintf(from, sizeof(from), "sip:%s@%s", dl->cfg.user ? dl->cfg.user : "pstngw", hp);
	sip_buf_init(&b, 4096 + SESS_HDRS_MAX);
	sip_buf_str(&b, "From: ");
	if (opt->from_display && print_display(&b, opt->from_display)) {
		sip_buf_free(&b);
		sess_free(s);
		return EINVAL;
	}
	sip_buf_printf(&b, "<%s>;tag=%s\r\nTo: <%s>\r\nCall-ID: %s\r\nContact: <%s>\r\n%s",
		       opt->from_uri ? opt->from_uri : from, tag, opt->to_uri ? opt->to_uri : uri,
		       cid, contact, layer_supported(dl));
	if (dl->cfg.prack == SIP_PRACK_REQUIRED)
		sip_buf_str(&b, "Require: 100rel\r\n");
	if (opt->hdrs)
		sip_buf_str(&b, opt->hdrs);
	err = sip_buf_err(&b);
	if (!err && !s->ruri)
		err = ENOMEM;
	if (!err && opt->sdp && *opt->sdp)
		err = sip_dialog_sess_set_sdp(s, opt->sdp);
	if (err) {
		sip_buf_free(&b);
		sess_free(s);
		return err;
	}
	s->inv_no_offer = opt->sdp && !*opt->sdp;
	s->base_hdrs = b.p;
	if (dl->cfg.cred_user) {
		s->auth = calloc(1, sizeof(*s->auth));
		if (!s->auth || sip_auth_client_init(s->auth, dl->cfg.cred_user,
						     dl->cfg.cred_password ? dl->cfg.cred_password : "",
						     NULL)) {
			sess_free(s);
			return ENOMEM;
		}
	}
	err = uac_send_invite(s, NULL);
	if (err) {
		sess_free(s);
		return err;
	}
	dl->st.sess_uac++;
	if (sp)
		*sp = s;
	return 0;
}

int sip_dialog_connect(struct sip_dialog_layer *dl, struct sip_dialog_sess **sp, const char *uri,
		       const struct sip_tp_addr *dst)
{
	return sip_dialog_connect_opt(dl, sp, uri, dst, NULL);
}

/* ACK our INVITE's 2xx in dialog dlg (answering an offer in it if needed). */
static void uac_ack(struct sip_dialog_sess *s, struct sip_dialog *dlg)
{
	struct sip_dialog *keep = s->dlg;

	s->dlg = dlg;
	sess_send(s, SIP_METHOD_ACK, dlg->oa_remote, NULL);
	s->dlg = keep;
}

/* Send the ACK held back while the owner answered the offer in the 2xx. */
static void uac_ack_flush(struct sip_dialog_sess *s)
{
	if (!s->ack_pending || s->freeing || !s->dlg)
		return;
	s->ack_pending = false;
	uac_ack(s, s->dlg);
}

/* Send PRACK for the reliable 1xx rsp in dialog dlg (RFC 3262 §4). */
static void uac_prack(struct sip_dialog_sess *s, struct sip_dialog *dlg, uint32_t rseq,
		      const struct sip_msg *rsp)
{
	struct sip_dialog *keep = s->dlg;
	char hdr[80];

	snprintf(hdr, sizeof(hdr), "RAck: %u %u INVITE\r\n", rseq, rsp->cseq.num);
	s->dlg = dlg;
	/* an offer in the 1xx is answered in the PRACK */
	if (!sess_send(s, SIP_METHOD_PRACK, dlg->oa_remote, hdr))
		s->dl->st.prack_tx++;
	s->dlg = keep;
}

static void uac_auth_retry(struct sip_dialog_sess *s, const struct sip_msg *rsp)
{
	struct sip_dialog_layer *dl = s->dl;
	enum sip_hdr_id id = rsp->scode == 401 ? SIP_HDR_WWW_AUTHENTICATE : SIP_HDR_PROXY_AUTHENTICATE;
	struct pl hv[8], method = PL("INVITE"), uri = pl_from_str(s->ruri), body;
	size_t n = 0;
	char out[1024], hdr[1100];
	const struct sip_hdr *h;

	body = pl_from_str(uac_offer(s));
	for (h = sip_msg_hdr(rsp, id); h && n < 8; h = sip_msg_hdr_next(rsp, h))
		hv[n++] = h->val;
	if (!s->auth || !n ||
	    sip_auth_client_respond(s->auth, hv, n, &method, &uri, &body, out, sizeof(out))) {
		dl->st.auth_fail++;
		sess_end(s, rsp->scode, rsp);
		return;
	}
	snprintf(hdr, sizeof(hdr), "%s: %s\r\n",
		 rsp->scode == 401 ? "Authorization" : "Proxy-Authorization", out);
	s->inv_cseq++;
	dl->st.auth_answer_tx++;
	if (uac_send_invite(s, hdr))
		sess_end(s, 500, NULL);
}

static void uac_initial_resp(struct sip_dialog_sess *s, const struct sip_msg *rsp)
{
	struct sip_dialog_layer *dl = s->dl;
	struct sip_dialog *dlg = NULL;
	char contact[160];
	int err;

	if (rsp->scode <= 100)
		return;
	if (rsp->scode >= 300) {
		struct pl cid = rsp->call_id, lt = rsp->from.tag;

		if (rsp->scode == 401 || rsp->scode == 407) {
			uac_auth_retry(s, rsp);
			return;
		}
		if (rsp->scode == 422) {
			uint32_t minse;
			bool has = !sip_msg_min_se(rsp, &minse);

			dl->st.st_422_rx++;
			if (!sip_sesstimer_uac_422(&s->st, has, has ? minse : 0)) {
				s->inv_cseq++;
				if (!uac_send_invite(s, NULL))
					return;
			}
			sess_end(s, 422, rsp);
			return;
		}
		if (s->dlg)
			s->dlg->user = NULL;
		sip_dialogs_uac_fail(dl->set, &cid, &lt);
		s->dlg = NULL;
		sess_end(s, rsp->scode, rsp);
		return;
	}
	if (!pl_isset(&rsp->to.tag) || !rsp->to.tag.l) {
		if (rsp->scode < 200)
			ev(s, SIP_DIALOG_EV_PROGRESS, rsp->scode, rsp);
		return;
	}
	if (layer_contact(dl, s->dst.tp, contact, sizeof(contact)))
		return;
	sess_keep_sdp(s, rsp);
	err = sip_dialog_uac_rx(dl->set, s->inv_msg, rsp, contact, s->dst.tp == SIP_TP_TLS, &dlg);
	if (err) {
		SLOG(LOGL_WARN, s, "%u response makes no dialog: %s", rsp->scode, strerror(err));
		return;
	}
	if (s->dlg && s->dlg != dlg && s->dlg->state == SIP_DIALOG_CONFIRMED && rsp->scode < 300 &&
	    rsp->scode >= 200) {
		/* a second fork answered: ACK it and hang it up (§13.2.2.4) */
		struct sip_dialog *keep = s->dlg;

		dl->st.fork_extra_2xx++;
		uac_ack(s, dlg);
		s->dlg = dlg;
		s->sending_fork = true;
		sess_send(s, SIP_METHOD_BYE, false, NULL);
		s->sending_fork = false;
		s->dlg = keep;
		sip_dialog_destroy(dlg);
		return;
	}
	if (!s->dlg || (s->dlg != dlg && s->dlg->state == SIP_DIALOG_EARLY && rsp->scode >= 200)) {
		if (s->dlg)
			s->dlg->user = NULL;
		s->dlg = dlg;
		dlg->user = s;
	} else if (s->dlg != dlg) {
		dlg->user = s; /* another early fork: tracked, PRACKed */
	}
	if (rsp->scode < 200) {
		bool rel = sip_msg_has_tag(rsp, SIP_HDR_REQUIRE, "100rel");
		uint32_t rseq = 0;
		bool has_rseq = !sip_msg_rseq(rsp, &rseq);
		enum sip_prack_rx rx;

		if (sip_prack_uac_rx(&dlg->prack_uac, rel, has_rseq, rseq, &rx)) {
			SLOG(LOGL_WARN, s, "reliable %u without RSeq: dropped", rsp->scode);
			return;
		}
		if (rx == SIP_PRACK_RX_RETRANS || rx == SIP_PRACK_RX_OUT_OF_ORDER)
			return;
		if (s->state == SIP_SESS_CALLING)
			s->state = SIP_SESS_EARLY;
		if (rx == SIP_PRACK_RX_NEW && dlg->oa_remote) {
			/*
			 * An offer in a reliable 1xx to our offerless INVITE:
			 * the owner answers it during EV_PROGRESS (session
			 * SDP), the PRACK carries the answer (RFC 3262 §5).
			 */
			ev(s, SIP_DIALOG_EV_PROGRESS, rsp->scode, rsp);
			if (!s->freeing)
				uac_prack(s, dlg, rseq, rsp);
			return;
		}
		if (rx == SIP_PRACK_RX_NEW)
			uac_prack(s, dlg, rseq, rsp);
		ev(s, SIP_DIALOG_EV_PROGRESS, rsp->scode, rsp);
		return;
	}
	/* 2xx retransmitted: ACK it again */
	if (s->state == SIP_SESS_ESTABLISHED) {
		uac_ack(s, dlg);
		return;
	}
	{
		struct sip_sess_expires se;
		bool has_se = !sip_sesstimer_msg_se(rsp, &se);

		if (s->st.cfg.enabled)
			sip_sesstimer_uac_2xx(&s->st, has_se, &se);
	}
	if (s->auth)
		sip_auth_client_accepted(s->auth);
	{
		struct pl cid = pl_from_str(dlg->call_id), lt = pl_from_str(dlg->local_tag);

		sip_dialogs_uac_fail(dl->set, &cid, &lt); /* forks left early */
	}
	s->state = SIP_SESS_ESTABLISHED;
	dl->st.established++;
	sess_timer_arm(s);
	SLOG(LOGL_INFO, s, "established%s", s->st.interval ? " with session timer" : "");
	if (!dlg->oa_remote) {
		uac_ack(s, dlg);
		ev(s, SIP_DIALOG_EV_ESTABLISHED, rsp->scode, rsp);
		return;
	}
	/*
	 * The 2xx carries the offer (our INVITE had none): the owner sets the
	 * answer (sip_dialog_sess_set_sdp) during EV_ESTABLISHED, the ACK
	 * carries it. A request the handler sends goes after that ACK.
	 */
	s->ack_pending = true;
	ev(s, SIP_DIALOG_EV_ESTABLISHED, rsp->scode, rsp);
	uac_ack_flush(s);
}

static void t_glare_cb(uv_timer_t *t)
{
	struct sip_dialog_sess *s = t->data;

	s->dl->st.glare_retry++;
	if (sess_refresh(s, s->glare_meth) == EBUSY)
		uv_timer_start(&s->t_glare, t_glare_cb, 1000, 0);
}

static void t_sess_bye_cb(uv_timer_t *t)
{
	struct sip_dialog_sess *s = t->data;

	s->dl->st.st_expired++;
	SLOG(LOGL_NOTICE, s, "session expired after a failed refresh: BYE");
	sip_dialog_sess_bye(s);
}

static void t_sess_cb(uv_timer_t *t)
{
	struct sip_dialog_sess *s = t->data;
	uint64_t ms;

	switch (sip_sesstimer_next(&s->st, &ms)) {
	case SIP_SESSTIMER_REFRESH:
		SLOG(LOGL_INFO, s, "session refresh");
		if (sess_refresh(s, s->dl->cfg.refresh_update ? SIP_METHOD_UPDATE : SIP_METHOD_INVITE))
			uv_timer_start(&s->t_sess, t_sess_cb, 1000, 0);
		break;
	case SIP_SESSTIMER_BYE:
		s->dl->st.st_expired++;
		SLOG(LOGL_NOTICE, s, "session expired: BYE");
		sip_dialog_sess_bye(s);
		break;
	default:
		break;
	}
}

/* Retry-After delta-seconds of a response, bounded to 10 s (§14.2 range). */
static bool retry_after_s(const struct sip_msg *rsp, uint32_t *secs)
{
	const struct sip_hdr *h = sip_msg_hdr(rsp, SIP_HDR_RETRY_AFTER);
	struct pl v;
	const char *p;

	if (!h)
		return false;
	v = h->val;
	for (p = v.p; p < v.p + v.l && *p >= '0' && *p <= '9'; p++)
		;
	v.l = (size_t)(p - v.p);
	if (sip_uint_decode(secs, &v) || *secs > 10)
		return false;
	return true;
}

/* Response to an in-dialog request of ours. */
static void indialog_resp(struct sip_dialog_sess *s, enum sip_method m, const struct sip_msg *rsp,
			  int err)
{
	struct sip_dialog_layer *dl = s->dl;
	uint32_t ra;

	if (!rsp) {
		if (m == SIP_METHOD_BYE) {
			sess_end(s, 0, NULL);
		} else if (err == ETIMEDOUT && (m == SIP_METHOD_INVITE || m == SIP_METHOD_UPDATE)) {
			/* a refresh that times out ends the session (§14.1) */
			if (s->dlg) {
				s->dlg->inv_client = false;
				s->dlg->oa_local = false;
			}
			sip_dialog_sess_bye(s);
		}
		return;
	}
	if (rsp->scode < 200)
		return;
	if (m == SIP_METHOD_BYE) {
		sess_end(s, 0, NULL);
		return;
	}
	if (m == SIP_METHOD_INVITE && rsp->scode < 300) {
		/* 2xx retransmissions of a finished re-INVITE: ACK again */
		if (!s->dlg->inv_client && rsp->cseq.num == s->dlg->invite_cseq) {
			sess_send(s, SIP_METHOD_ACK, false, NULL);
			return;
		}
	}
	sip_dialog_rx_response(s->dlg, rsp);
	sess_keep_sdp(s, rsp);
	if (s->dlg->state == SIP_DIALOG_TERMINATED) {
		sess_end(s, rsp->scode, rsp);
		return;
	}
	if (m == SIP_METHOD_INVITE && rsp->scode < 300)
		sess_send(s, SIP_METHOD_ACK, s->dlg->oa_remote, NULL);
	if (m != SIP_METHOD_INVITE && m != SIP_METHOD_UPDATE)
		return;
	if (rsp->scode < 300) {
		struct sip_sess_expires se;
		bool has_se = !sip_sesstimer_msg_se(rsp, &se);

		if (s->st.cfg.enabled)
			sip_sesstimer_uac_2xx(&s->st, has_se, &se);
		dl->st.refresh_ok++;
		if (s->st.interval)
			dl->st.st_refresh++;
		sess_timer_arm(s);
		ev(s, SIP_DIALOG_EV_REFRESHED, rsp->scode, rsp);
	} else if (rsp->scode == 491) {
		/* glare (§14.1): try again after the randomised delay */
		dl->st.glare_491_rx++;
		s->glare_meth = m;
		uv_timer_start(&s->t_glare, t_glare_cb, sip_dialog_glare_ms(s->dlg, arc4random()), 0);
	} else if (rsp->scode == 500 && retry_after_s(rsp, &ra)) {
		/* §14.2: the peer's own INVITE was still pending: try again */
		dl->st.retry_500++;
		s->glare_meth = m;
		uv_timer_start(&s->t_glare, t_glare_cb, (uint64_t)ra * 1000 + 100, 0);
	} else if (rsp->scode == 422) {
		uint32_t minse;
		bool has = !sip_msg_min_se(rsp, &minse);

		dl->st.st_422_rx++;
		if (sip_sesstimer_uac_422(&s->st, has, has ? minse : 0) || sess_refresh(s, m))
			ev(s, SIP_DIALOG_EV_REFRESHED, rsp->scode, rsp);
	} else {
		uint64_t ms;

		/* the session still ends at the old deadline (RFC 4028 §10) */
		if (s->st.we_refresh &&
		    sip_sesstimer_after_failed_refresh(&s->st, &ms) == SIP_SESSTIMER_BYE) {
			uv_timer_stop(&s->t_sess);
			uv_timer_start(&s->t_sess, t_sess_bye_cb, ms, 0);
		}
		ev(s, SIP_DIALOG_EV_REFRESHED, rsp->scode, rsp);
	}
}

static void sess_resp_h(struct sip_tsx *tsx, const struct sip_msg *resp, int err, void *arg)
{
	struct sip_dialog_sess *s = arg;
	struct sess_ctsx *c = ctsx_find(s, tsx);
	struct sess_ctsx cx;
	bool last;

	if (!c || s->freeing)
		return;
	cx = *c;
	/* the last call for this transaction (see sip_tsx_resp_h) */
	last = !resp || (resp->scode >= 200 && (cx.meth != SIP_METHOD_INVITE || resp->scode >= 300));
	if (last)
		c->tsx = NULL;
	if (cx.fork)
		return;
	if (cx.initial) {
		if (!resp) {
			if (s->state == SIP_SESS_CALLING || s->state == SIP_SESS_EARLY)
				sess_end(s, err == ETIMEDOUT ? 408 : 503, NULL);
			return;
		}
		uac_initial_resp(s, resp);
		return;
	}
	if (!s->dlg)
		return;
	indialog_resp(s, cx.meth, resp, err);
}

/*
 * The Reason values (RFC 3326) among the owner's extra lines, joined with
 * ", " into buf, for a CANCEL: the transaction layer builds the CANCEL
 * from the INVITE and takes only a Reason value. Other lines are left
 * out (logged). Returns buf, or NULL when there is no Reason line.
 */
static const char *cancel_reason(struct sip_dialog_sess *s, char *buf, size_t sz)
{
	const char *p = s->extra_hdrs;
	size_t n = 0;

	if (!p)
		return NULL;
	buf[0] = '\0';
	while (*p) {
		const char *eol = strstr(p, "\r\n"), *name = p, *v;
		size_t nl;

		if (!eol)
			break;
		while (sip_cc_is(*p, SIP_CC_TOKEN))
			p++;
		nl = (size_t)(p - name);
		v = memchr(p, ':', (size_t)(eol - p));
		if (v && sip_hdr_lookup(name, nl) == SIP_HDR_REASON) {
			for (v++; v < eol && (*v == ' ' || *v == '\t'); v++)
				;
			if (v < eol && n + (size_t)(eol - v) + 3 < sz) {
				n += (size_t)snprintf(buf + n, sz - n, "%s%.*s", n ? ", " : "",
						      (int)(eol - v), v);
			}
		} else {
			SLOG(LOGL_NOTICE, s, "CANCEL carries only Reason: %.*s left out",
			     (int)nl, name);
		}
		p = eol + 2;
	}
	return n ? buf : NULL;
}

int sip_dialog_sess_bye(struct sip_dialog_sess *s)
{
	char reason[SESS_HDRS_MAX];
	int err;

	switch (s->state) {
	case SIP_SESS_INCOMING:
		return sip_dialog_sess_answer(s, 480);
	case SIP_SESS_CALLING:
	case SIP_SESS_EARLY:
		for (unsigned i = 0; i < SESS_MAX_CTSX; i++) {
			if (s->ctsx[i].tsx && s->ctsx[i].initial) {
				err = sip_tsx_cancel(s->ctsx[i].tsx,
						     cancel_reason(s, reason, sizeof(reason)));
				if (!err)
					sess_hdrs_used(s);
				return err;
			}
		}
		return EINVAL;
	case SIP_SESS_ESTABLISHED:
		uv_timer_stop(&s->t_sess);
		uv_timer_stop(&s->t_glare);
		err = sess_send(s, SIP_METHOD_BYE, false, s->extra_hdrs);
		sess_hdrs_used(s);
		if (err) {
			sess_end(s, 0, NULL);
			return err;
		}
		s->dl->st.bye_tx++;
		s->state = SIP_SESS_TERMINATING;
		return 0;
	default:
		return EINVAL;
	}
}

/* ---- layer ---- */

int sip_dialog_layer_alloc(struct sip_dialog_layer **dlp, struct sip_ua *ua, uv_loop_t *loop,
			   const struct sip_dialog_layer_cfg *cfg, sip_dialog_ev_h *evh,
			   void *arg)
{
	struct sip_dialog_layer *dl;
	struct sip_sesstimer probe;
	int err;

	if (!ua || !loop || !cfg || sip_sesstimer_init(&probe, &cfg->timer))
		return EINVAL;
	dl = calloc(1, sizeof(*dl));
	if (!dl)
		return ENOMEM;
	dl->ua = ua;
	dl->loop = loop;
	dl->cfg = *cfg;
	dl->evh = evh;
	dl->arg = arg;
	err = sip_dialogs_alloc(&dl->set, 0);
	if (err)
		goto fail;
	if (cfg->auth_realm) {
		dl->auth = calloc(1, sizeof(*dl->auth));
		if (!dl->auth) {
			err = ENOMEM;
			goto fail;
		}
		err = sip_auth_server_init(dl->auth, cfg->auth_realm, 300,
					   (1u << SIP_AUTH_MD5) | (1u << SIP_AUTH_SHA256),
					   SIP_AUTH_QOP_AUTH, NULL);
		if (err)
			goto fail;
	}
	err = sip_ua_add_handler(ua, 0, layer_req_h, dl);
	if (err)
		goto fail;
	sip_tsxl_set_ack_timeout_h(sip_ua_tsxl(ua), layer_ack_timeout_h, dl);
	*dlp = dl;
	return 0;
fail:
	sip_dialogs_free(dl->set);
	free(dl->auth);
	free(dl);
	return err;
}

void sip_dialog_layer_free(struct sip_dialog_layer *dl)
{
	if (!dl)
		return;
	while (dl->sessions)
		sess_free(dl->sessions);
	sip_dialogs_free(dl->set);
	free(dl->auth);
	free(dl);
}

/* ---- policy from "key=value,..." ---- */

static int cfg_u32(const char *v, uint32_t *out)
{
	struct pl p = pl_from_str(v);

	return pl_u32(&p, out);
}

int sip_dialog_layer_cfg_parse(struct sip_dialog_layer_cfg *cfg, const char *opts, char *store,
			       size_t store_sz, char *err, size_t err_sz)
{
	struct sip_dialog_layer_cfg c = *cfg;
	size_t len = strlen(opts);
	char *p, *save = NULL;
	int rc = EINVAL;

	if (err_sz)
		err[0] = '\0';
	if (len + 1 > store_sz) {
		snprintf(err, err_sz, "options too long (%zu bytes, at most %zu)", len,
			 store_sz ? store_sz - 1 : 0);
		return EINVAL;
	}
	memcpy(store, opts, len + 1);
	for (p = strtok_r(store, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		char *v = strchr(p, '=');
		uint32_t n = 0;

		if (!v || v == p) {
			snprintf(err, err_sz, "'%.40s': expected key=value", p);
			goto out;
		}
		*v++ = '\0';
		if (!strcmp(p, "user")) {
			c.user = v;
		} else if (!strcmp(p, "prack")) {
			if (!strcmp(v, "off"))
				c.prack = SIP_PRACK_OFF;
			else if (!strcmp(v, "supported"))
				c.prack = SIP_PRACK_SUPPORTED;
			else if (!strcmp(v, "required"))
				c.prack = SIP_PRACK_REQUIRED;
			else
				goto bad;
		} else if (!strcmp(p, "timer")) {
			if (!strcmp(v, "on"))
				c.timer.enabled = true;
			else if (!strcmp(v, "off"))
				c.timer.enabled = false;
			else
				goto bad;
		} else if (!strcmp(p, "se")) {
			if (cfg_u32(v, &n) || !n)
				goto bad;
			c.timer.interval = n;
			c.timer.enabled = true;
		} else if (!strcmp(p, "minse")) {
			if (cfg_u32(v, &n) || !n)
				goto bad;
			c.timer.min_se = n;
		} else if (!strcmp(p, "refresher")) {
			if (!strcmp(v, "uac"))
				c.timer.prefer = SIP_REFRESHER_UAC;
			else if (!strcmp(v, "uas"))
				c.timer.prefer = SIP_REFRESHER_UAS;
			else
				goto bad;
		} else if (!strcmp(p, "refresh")) {
			if (!strcmp(v, "invite"))
				c.refresh_update = false;
			else if (!strcmp(v, "update"))
				c.refresh_update = true;
			else
				goto bad;
		} else if (!strcmp(p, "realm")) {
			c.auth_realm = v;
		} else if (!strcmp(p, "auth_user")) {
			c.auth_user = v;
		} else if (!strcmp(p, "auth_pass")) {
			c.auth_password = v;
		} else if (!strcmp(p, "cred_user")) {
			c.cred_user = v;
		} else if (!strcmp(p, "cred_pass")) {
			c.cred_password = v;
		} else if (!strcmp(p, "t1")) {
			if (cfg_u32(v, &n) || !n || n > 60000)
				goto bad;
			c.t1 = n;
		} else {
			snprintf(err, err_sz, "unknown key '%.40s'", p);
			goto out;
		}
		continue;
bad:
		snprintf(err, err_sz, "bad value '%.40s' for key '%.40s'", v, p);
		goto out;
	}
	if (c.timer.enabled && (!c.timer.min_se || c.timer.interval < c.timer.min_se)) {
		snprintf(err, err_sz, "se=%u must be at least minse=%u", c.timer.interval,
			 c.timer.min_se);
		goto out;
	}
	*cfg = c;
	rc = 0;
out:
	return rc;
}
