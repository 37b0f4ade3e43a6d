/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP session timers (RFC 4028): Session-Expires and Min-SE parsing and
 * printing, the UAC and UAS negotiation rules (§7, §8, §9: 422 with Min-SE
 * when the interval is too small, refresher uac/uas choice, Require/Supported
 * 'timer'), and the two deadlines of an established session (§10: the
 * refresher refreshes at half the interval; the other side sends BYE at
 * interval minus min(32, interval/3)). Pure state, no I/O and no clock: the
 * caller arms its own timers from the values returned here.
 */
#ifndef SIP_SESSTIMER_H
#define SIP_SESSTIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/pl.h"

struct sip_msg;

#define SIP_SESSTIMER_TAG "timer"
/* RFC 4028 §4: Min-SE may never be configured below 90 seconds. */
#define SIP_SESSTIMER_MIN_SE 90u

enum sip_refresher {
	SIP_REFRESHER_NONE = 0, /* not given */
	SIP_REFRESHER_UAC,
	SIP_REFRESHER_UAS,
};

/* A parsed Session-Expires value: delta-seconds *(;refresher=uac|uas|generic). */
struct sip_sess_expires {
	uint32_t delta;
	enum sip_refresher refresher;
};

/*
 * The Session-Expires of a parsed message (long or compact 'x' header),
 * checked for this module: refresher must be uac or uas when present and
 * the delta must be non-zero. Returns 0, ENOENT (absent) or EINVAL (bad:
 * answer 400); *se is set only on success. Min-SE is read with
 * sip_msg_min_se().
 */
int sip_sesstimer_msg_se(const struct sip_msg *msg, struct sip_sess_expires *se);

/* Local policy. */
struct sip_sesstimer_cfg {
	bool enabled;              /* false: never ask for or offer timers */
	uint32_t interval;         /* wanted Session-Expires, seconds */
	uint32_t min_se;           /* our Min-SE (>= 90 in production) */
	enum sip_refresher prefer; /* UAS choice when the UAC leaves it open */
};

/*
 * Per-dialog session timer state. 'interval' 0 means no session timer is
 * running. 'we_refresh' says whether this side sends the refreshes.
 */
struct sip_sesstimer {
	struct sip_sesstimer_cfg cfg;
	uint32_t min_se;   /* largest Min-SE known for the dialog */
	uint32_t req_se;   /* Session-Expires we put in our last request */
	uint32_t interval; /* negotiated; 0 = inactive */
	bool we_refresh;
};

/*
 * Initialise from a policy. Returns EINVAL when the policy is
 * inconsistent (interval below min_se, or min_se zero).
 */
int sip_sesstimer_init(struct sip_sesstimer *st, const struct sip_sesstimer_cfg *cfg);

/*
 * UAC: the headers of an INVITE or UPDATE that starts or refreshes the
 * session. Prints "Session-Expires: N[;refresher=uac]\r\nMin-SE: M\r\n" into
 * buf (NUL-terminated) and remembers N. When a session is running the
 * current interval is reused and, if we are the refresher, refresher=uac is
 * kept (§7.4). The caller adds 'timer' to Supported. Returns 0, or ENOSPC
 * when buf is too small, or ENOTSUP when timers are disabled (buf empty).
 */
int sip_sesstimer_uac_hdrs(struct sip_sesstimer *st, char *buf, size_t sz);

/*
 * UAC: a 422 arrived carrying Min-SE (has_minse false when it did not).
 * Raises the dialog's Min-SE and the next Session-Expires to it so the
 * request can be retried (§7.3). Returns 0 to retry, or EPROTO when the 422
 * gives no usable Min-SE or one not larger than what we sent (retrying could
 * loop: give up).
 */
int sip_sesstimer_uac_422(struct sip_sesstimer *st, bool has_minse, uint32_t minse);

/*
 * UAC: a 2xx arrived for our session refresh request. has_se/se are its
 * Session-Expires. Without one the session has no timer (§7.2). A
 * refresher missing from the response is treated as uac (we keep the
 * session alive). Returns 0, or EPROTO when the interval is below the Min-SE
 * we asked for (the UAS broke §9; the timer is still applied with our
 * Min-SE so the session is not dropped early).
 */
int sip_sesstimer_uac_2xx(struct sip_sesstimer *st, bool has_se,
			  const struct sip_sess_expires *se);

/* What the UAS decided for an incoming INVITE/UPDATE. */
struct sip_sesstimer_uas {
	uint16_t scode;        /* 0: accept; 422: reject with Min-SE */
	uint32_t min_se;       /* for the 422 Min-SE header */
	uint32_t interval;     /* 0: no Session-Expires in the 2xx */
	enum sip_refresher refresher;
	bool require;          /* put Require: timer in the 2xx */
};

/*
 * UAS: decide on an incoming session refresh request. has_se/se and
 * has_minse/minse are the request's headers, peer_timer whether the UAC
 * listed 'timer' in Supported. Implements §9: 422 when the request's
 * interval is below our Min-SE; the interval may be lowered to our
 * configured one but not below the request's Min-SE; refresher as asked,
 * else our preference if the UAC supports timers, else uas; with no
 * Session-Expires in the request we add one (refresher=uas) only if our
 * policy wants timers. Does not change st; call sip_sesstimer_uas_commit()
 * when the 2xx is sent. Returns 0 (see out->scode).
 */
int sip_sesstimer_uas_decide(const struct sip_sesstimer *st, bool has_se,
			     const struct sip_sess_expires *se, bool has_minse,
			     uint32_t minse, bool peer_timer,
			     struct sip_sesstimer_uas *out);

/* UAS: the 2xx carrying decision d was sent: apply it. */
void sip_sesstimer_uas_commit(struct sip_sesstimer *st, const struct sip_sesstimer_uas *d);

/*
 * UAS: print the headers of decision d: for a 422 "Min-SE: M\r\n"; for a
 * 2xx "Session-Expires: N;refresher=X\r\n" and "Require: timer\r\n" when
 * asked; nothing when no timer. 0 or ENOSPC.
 */
int sip_sesstimer_uas_hdrs(const struct sip_sesstimer_uas *d, char *buf, size_t sz);

enum sip_sesstimer_action {
	SIP_SESSTIMER_NONE = 0, /* no session timer */
	SIP_SESSTIMER_REFRESH,  /* send a re-INVITE or UPDATE */
	SIP_SESSTIMER_BYE,      /* the session expired: send BYE */
};

/*
 * The next deadline of a running session, counted from the 2xx of the last
 * refresh: refresher -> REFRESH at interval/2; the other side -> BYE at
 * interval - min(32, interval/3) (§10). *ms set on success; returns the
 * action (NONE when no timer runs, *ms untouched).
 */
enum sip_sesstimer_action sip_sesstimer_next(const struct sip_sesstimer *st, uint64_t *ms);

/*
 * Our refresh, sent at interval/2, failed with an error that does not end
 * the dialog (§10): the session still expires at the old deadline, so
 * BYE is due interval/2 - min(32, interval/3) after the failure. Returns
 * SIP_SESSTIMER_BYE with *ms, or NONE when no timer runs.
 */
enum sip_sesstimer_action sip_sesstimer_after_failed_refresh(const struct sip_sesstimer *st,
							     uint64_t *ms);

/* "uac", "uas" or "" */
const char *sip_refresher_name(enum sip_refresher r);

#endif
