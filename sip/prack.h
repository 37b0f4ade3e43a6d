/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reliable provisional responses, RFC 3262: the UAS decision whether to
 * send 1xx reliably (100rel in Supported/Require; 420/421 cases), RSeq
 * generation, the retransmission schedule of a reliable 1xx (T1 doubling,
 * give up after 64*T1, §3), one outstanding reliable 1xx at a time, PRACK
 * matching by RAck (§7.2; no match -> 481), the rule that a 2xx waits for
 * the PRACK of a reliable 1xx that carried SDP, and the UAC side (§4: RSeq
 * ordering, discard of retransmissions and out-of-order 1xx, RAck for the
 * PRACK). Pure state: no I/O, no clock.
 */
#ifndef SIP_PRACK_H
#define SIP_PRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/pl.h"
#include "sip/msg.h"

#define SIP_PRACK_TAG "100rel"
/* RFC 3262 §3: the first RSeq is chosen in 1 .. 2^31-1. */
#define SIP_PRACK_RSEQ_MAX 2147483647u

/*
 * Print an RAck value "R C METHOD" (NUL-terminated) for the PRACK that
 * acknowledges the 1xx with RSeq rseq to the request with CSeq cseq/method.
 * RSeq and RAck are parsed by sip/msg (sip_msg_rseq, sip_msg_rack).
 * Returns 0 or ENOSPC.
 */
int sip_prack_print_rack(uint32_t rseq, uint32_t cseq, const char *method, char *buf,
			 size_t sz);

/* Local policy for 100rel. */
enum sip_prack_mode {
	SIP_PRACK_OFF = 0,  /* never send reliable 1xx; reject Require: 100rel */
	SIP_PRACK_SUPPORTED, /* reliable when the UAC supports or requires it */
	SIP_PRACK_REQUIRED,  /* insist: reject UACs that do not support it */
};

enum sip_prack_use {
	SIP_PRACK_USE_UNRELIABLE = 0,
	SIP_PRACK_USE_RELIABLE,
	SIP_PRACK_REJECT_420, /* UAC requires 100rel, we do not: 420 + Unsupported */
	SIP_PRACK_REJECT_421, /* we require it, UAC does not support: 421 + Require */
};

/*
 * UAS: how to send provisional responses to an INVITE whose Supported and
 * Require carry (peer_supported, peer_required) 100rel.
 */
enum sip_prack_use sip_prack_uas_decide(enum sip_prack_mode mode, bool peer_supported,
					bool peer_required);

/* UAS state for one INVITE server transaction. */
struct sip_prack_uas {
	uint32_t cseq;      /* CSeq of the INVITE */
	uint32_t next_rseq; /* RSeq for the next reliable 1xx */
	uint32_t t1_ms;
	bool pending;       /* a reliable 1xx awaits its PRACK */
	bool pending_sdp;   /* ... and it carried a session description */
	uint32_t pending_rseq;
	uint32_t retx_ms;   /* interval until the next retransmission */
	uint32_t elapsed_ms;
};

/*
 * Start for the INVITE with CSeq cseq. first_rseq is the caller's random
 * pick; it is folded into 1..2^31-1. t1_ms is SIP T1 (500 by default).
 */
void sip_prack_uas_init(struct sip_prack_uas *u, uint32_t cseq, uint32_t first_rseq,
			uint32_t t1_ms);

/*
 * A reliable 1xx is about to be sent: *rseq is the value for its RSeq
 * header and *retx_ms when to retransmit it first (T1). Returns 0, or
 * EBUSY while the previous reliable 1xx is unacknowledged (§3: only one at
 * a time; the caller queues or sends it unreliably), or EOVERFLOW when the
 * RSeq space is used up.
 */
int sip_prack_uas_send(struct sip_prack_uas *u, bool has_sdp, uint32_t *rseq,
		       uint32_t *retx_ms);

/*
 * The retransmission timer fired. Returns 0 with *retx_ms the next
 * interval (doubled, clipped so the total ends at 64*T1): retransmit now.
 * Returns ETIMEDOUT when 64*T1 has passed without PRACK: stop, and reject
 * the INVITE with a 5xx (§3). Returns ENOENT when nothing is pending.
 */
int sip_prack_uas_timer(struct sip_prack_uas *u, uint32_t *retx_ms);

/*
 * A PRACK arrived. Returns 0 when its RAck matches the pending reliable
 * 1xx (retransmissions stop; answer 200), ENOENT when it matches nothing
 * (answer 481, §7.2).
 */
int sip_prack_uas_prack(struct sip_prack_uas *u, const struct sip_rack *rack);

/*
 * May a final response be sent now? A 2xx must wait while a reliable 1xx
 * with SDP is unacknowledged (§3); non-2xx finals may always go.
 */
bool sip_prack_uas_final_allowed(const struct sip_prack_uas *u, bool is_2xx);

/* UAC state for one (early) dialog. */
struct sip_prack_uac {
	bool have_rseq;
	uint32_t last_rseq;
};

enum sip_prack_rx {
	SIP_PRACK_RX_UNRELIABLE = 0, /* ordinary 1xx: no PRACK */
	SIP_PRACK_RX_NEW,            /* in order: process it and send PRACK */
	SIP_PRACK_RX_RETRANS,        /* already seen: discard */
	SIP_PRACK_RX_OUT_OF_ORDER,   /* a gap: discard, the UAS retransmits */
};

/*
 * UAC: classify a 1xx (not 100) with Require 100rel 'reliable' and RSeq
 * (has_rseq/rseq). Returns 0 with *rx set; EPROTO when a reliable 1xx lacks
 * RSeq (discard it).
 */
int sip_prack_uac_rx(struct sip_prack_uac *c, bool reliable, bool has_rseq, uint32_t rseq,
		     enum sip_prack_rx *rx);

#endif
