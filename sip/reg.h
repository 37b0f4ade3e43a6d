/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Outbound registration (RFC 3261 §10.2): one REGISTER client per binding
 * on the UA core. A binding keeps one Call-ID and From tag and increases
 * CSeq per request (§10.2.4), answers 401/407 with digest credentials
 * (RFC 2617 / RFC 7616 via sip/auth; once per challenge, stale=true
 * retried), takes the granted expiry from the 2xx (our Contact's expires
 * parameter, else Expires, else the requested value, §10.2.4), refreshes
 * before it runs out, retries 423 with Min-Expires (§10.3 step 7,
 * §21.4.17), backs off after failures and removes the binding with
 * Expires: 0 on stop (§10.2.2). One transaction in flight per binding.
 */
#ifndef SIP_REG_H
#define SIP_REG_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "sip/transport.h"

struct sip_ua;
struct sip_reg;

enum sip_reg_state {
	SIP_REG_IDLE,        /* not started, or stopped (binding removed) */
	SIP_REG_REGISTERING, /* first REGISTER (or one after a failure) in flight */
	SIP_REG_REGISTERED,  /* binding granted; refreshes keep this state */
	SIP_REG_FAILED,      /* last attempt failed; a retry is scheduled */
};

const char *sip_reg_state_name(enum sip_reg_state st);

/* Binding parameters; strings are copied by sip_reg_alloc. */
struct sip_reg_cfg {
	struct sip_tp_addr registrar; /* where REGISTERs go */
	const char *aor;         /* address of record "sip:user@domain" (required) */
	const char *ruri;        /* Request-URI; NULL = "sip:" + AOR host[:port] */
	const char *contact;     /* our Contact URI; NULL = "sip:" + AOR user +
				    "@" + our Via sent-by for the registrar */
	uint32_t expires;        /* wanted, seconds; 0 = 3600 */
	const char *auth_user;   /* digest user; NULL = no credentials */
	const char *password;
	uint32_t retry_s;        /* first retry after a failure; 0 = 30 */
	uint32_t retry_max_s;    /* backoff cap; 0 = 600 */
};

/*
 * State change: st is the new state, scode the final status that caused
 * it (0 for local causes: stop, send error; 408 for a timeout).
 */
typedef void(sip_reg_state_h)(struct sip_reg *reg, enum sip_reg_state st,
			      uint16_t scode, void *arg);

/* Counters per binding. */
struct sip_reg_stats {
	uint64_t tx_register;    /* REGISTER requests started */
	uint64_t auth_answered;  /* 401/407 answered */
	uint64_t ok;             /* 2xx to a registration */
	uint64_t fail;           /* failed attempts (status, timeout, send) */
	uint64_t interval_423;   /* 423 retried with Min-Expires */
};

/*
 * Create a binding on ua (which must outlive it) using loop for its timer.
 * Nothing is sent until sip_reg_start. h (may be NULL) is called on every
 * state change. Returns 0, EINVAL (no/invalid AOR or contact, bad sizes)
 * or ENOMEM.
 */
int sip_reg_alloc(struct sip_reg **regp, struct sip_ua *ua, uv_loop_t *loop,
		  const struct sip_reg_cfg *cfg, sip_reg_state_h *h, void *arg);

/*
 * Start registering (REGISTER now). Starting a started binding does
 * nothing. A send error puts the binding in FAILED with a retry
 * scheduled; the call still returns 0.
 */
int sip_reg_start(struct sip_reg *reg);

/*
 * Stop: cancel the refresh/retry timer and, if a binding may exist at the
 * registrar (registered, or a REGISTER was in flight), send REGISTER with
 * Expires: 0 (with credentials when a challenge was answered before; a
 * 401/407 to it is answered once). The state becomes IDLE when the
 * unregister ends (or at once when none is needed).
 */
void sip_reg_stop(struct sip_reg *reg);

/*
 * Free the binding: no further callbacks; a request in flight is left to
 * the transaction layer (its result is ignored). The memory goes once
 * the loop has run (the timer is closed asynchronously).
 */
void sip_reg_free(struct sip_reg *reg);

enum sip_reg_state sip_reg_state(const struct sip_reg *reg);
/* Expiry granted by the last 2xx in seconds (0 = none). */
uint32_t sip_reg_granted(const struct sip_reg *reg);
/* Status of the last final response (0 = none yet, 408 for a timeout). */
uint16_t sip_reg_last_status(const struct sip_reg *reg);
/* Our Contact URI as sent (empty before the first REGISTER when derived). */
const char *sip_reg_contact(const struct sip_reg *reg);
void sip_reg_stats(const struct sip_reg *reg, struct sip_reg_stats *st);

/*
 * Delay in ms before refreshing a binding granted for granted_s seconds:
 * half of it for long bindings, granted - 10 s for medium ones, half
 * (at least 1 s) for very short ones.
 */
uint64_t sip_reg_refresh_ms(uint32_t granted_s);

/* Backoff in seconds before retry number n (1, 2, ...): base * 2^(n-1), capped. */
uint32_t sip_reg_backoff_s(uint32_t base_s, uint32_t max_s, unsigned n);

#endif
