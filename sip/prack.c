/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reliable provisional responses, RFC 3262 §3, §4, §7 (see prack.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sip/prack.h"

int sip_prack_print_rack(uint32_t rseq, uint32_t cseq, const char *method, char *buf,
			 size_t sz)
{
	int n = snprintf(buf, sz, "%u %u %s", rseq, cseq, method);

	if (n < 0 || (size_t)n >= sz) {
		if (sz)
			buf[0] = '\0';
		return ENOSPC;
	}
	return 0;
}

enum sip_prack_use sip_prack_uas_decide(enum sip_prack_mode mode, bool peer_supported,
					bool peer_required)
{
	switch (mode) {
	case SIP_PRACK_OFF:
		return peer_required ? SIP_PRACK_REJECT_420 : SIP_PRACK_USE_UNRELIABLE;
	case SIP_PRACK_SUPPORTED:
		return (peer_supported || peer_required) ? SIP_PRACK_USE_RELIABLE
							 : SIP_PRACK_USE_UNRELIABLE;
	case SIP_PRACK_REQUIRED:
		return (peer_supported || peer_required) ? SIP_PRACK_USE_RELIABLE
							 : SIP_PRACK_REJECT_421;
	}
	return SIP_PRACK_USE_UNRELIABLE;
}

void sip_prack_uas_init(struct sip_prack_uas *u, uint32_t cseq, uint32_t first_rseq,
			uint32_t t1_ms)
{
	memset(u, 0, sizeof(*u));
	u->cseq = cseq;
	/* §3: start in 1..2^31-1 so that a long call cannot wrap 2^32-1. */
	u->next_rseq = first_rseq % SIP_PRACK_RSEQ_MAX + 1;
	u->t1_ms = t1_ms ? t1_ms : 500;
}

int sip_prack_uas_send(struct sip_prack_uas *u, bool has_sdp, uint32_t *rseq,
		       uint32_t *retx_ms)
{
	if (u->pending)
		return EBUSY;
	if (u->next_rseq == 0)
		return EOVERFLOW;
	u->pending = true;
	u->pending_sdp = has_sdp;
	u->pending_rseq = u->next_rseq;
	u->next_rseq++; /* wraps to 0 only after 2^32-1: then EOVERFLOW */
	u->retx_ms = u->t1_ms;
	u->elapsed_ms = 0;
	*rseq = u->pending_rseq;
	*retx_ms = u->retx_ms;
	return 0;
}

int sip_prack_uas_timer(struct sip_prack_uas *u, uint32_t *retx_ms)
{
	uint64_t limit = 64ull * u->t1_ms;
	uint64_t next;

	if (!u->pending)
		return ENOENT;
	u->elapsed_ms += u->retx_ms;
	if (u->elapsed_ms >= limit) {
		u->pending = false;
		u->pending_sdp = false;
		return ETIMEDOUT;
	}
	/* §3: the interval doubles on every retransmission, with no T2 cap. */
	next = 2ull * u->retx_ms;
	if (next > limit - u->elapsed_ms)
		next = limit - u->elapsed_ms;
	u->retx_ms = (uint32_t)next;
	*retx_ms = u->retx_ms;
	return 0;
}

int sip_prack_uas_prack(struct sip_prack_uas *u, const struct sip_rack *rack)
{
	if (!u->pending || rack->rseq != u->pending_rseq || rack->cseq != u->cseq ||
	    pl_strcmp(&rack->method, "INVITE") != 0)
		return ENOENT;
	u->pending = false;
	u->pending_sdp = false;
	return 0;
}

bool sip_prack_uas_final_allowed(const struct sip_prack_uas *u, bool is_2xx)
{
	return !(is_2xx && u->pending && u->pending_sdp);
}

int sip_prack_uac_rx(struct sip_prack_uac *c, bool reliable, bool has_rseq, uint32_t rseq,
		     enum sip_prack_rx *rx)
{
	if (!reliable) {
		*rx = SIP_PRACK_RX_UNRELIABLE;
		return 0;
	}
	if (!has_rseq || rseq == 0)
		return EPROTO;
	if (!c->have_rseq) {
		c->have_rseq = true;
		c->last_rseq = rseq;
		*rx = SIP_PRACK_RX_NEW;
		return 0;
	}
	/* §4: only last+1 is in order (unsigned arithmetic handles the wrap). */
	if (rseq == c->last_rseq + 1) {
		c->last_rseq = rseq;
		*rx = SIP_PRACK_RX_NEW;
	} else if ((uint32_t)(c->last_rseq - rseq) < 0x80000000u) {
		*rx = SIP_PRACK_RX_RETRANS;
	} else {
		*rx = SIP_PRACK_RX_OUT_OF_ORDER;
	}
	return 0;
}
