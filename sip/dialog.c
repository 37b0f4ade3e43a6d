/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP dialogs, RFC 3261 §12, §13.2.2.4, §14, §16.12.1.2 and RFC 3311 §5
 * (see dialog.h): dialog state and set, UAS and UAC creation (with forked
 * early dialogs), in-dialog request checks and construction.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
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
