/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP session timers, RFC 4028 §4-§10 (see sesstimer.h): header parsing,
 * UAC/UAS negotiation and the refresh/expiry deadlines.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sip/msg.h"
#include "sip/sesstimer.h"

int sip_sesstimer_msg_se(const struct sip_msg *msg, struct sip_sess_expires *se)
{
	struct sip_session_expires v;
	enum sip_refresher r = SIP_REFRESHER_NONE;
	int err;

	err = sip_msg_session_expires(msg, &v);
	if (err)
		return err == ENOENT ? ENOENT : EINVAL;
	if (v.delta == 0)
		return EINVAL;
	if (pl_isset(&v.refresher)) {
		if (pl_strcasecmp(&v.refresher, "uac") == 0)
			r = SIP_REFRESHER_UAC;
		else if (pl_strcasecmp(&v.refresher, "uas") == 0)
			r = SIP_REFRESHER_UAS;
		else
			return EINVAL;
	}
	se->delta = v.delta;
	se->refresher = r;
	return 0;
}

const char *sip_refresher_name(enum sip_refresher r)
{
	switch (r) {
	case SIP_REFRESHER_UAC:
		return "uac";
	case SIP_REFRESHER_UAS:
		return "uas";
	default:
		return "";
	}
}

int sip_sesstimer_init(struct sip_sesstimer *st, const struct sip_sesstimer_cfg *cfg)
{
	if (cfg->enabled && (cfg->min_se == 0 || cfg->interval < cfg->min_se))
		return EINVAL;
	memset(st, 0, sizeof(*st));
	st->cfg = *cfg;
	st->min_se = cfg->min_se;
	return 0;
}

/* snprintf into buf; ENOSPC on truncation (buf then emptied). */
static int put(char *buf, size_t sz, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int put(char *buf, size_t sz, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= sz)
		goto nospc;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, sz - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sz - *off)
		goto nospc;
	*off += (size_t)n;
	return 0;
nospc:
	if (sz)
		buf[0] = '\0';
	return ENOSPC;
}

int sip_sesstimer_uac_hdrs(struct sip_sesstimer *st, char *buf, size_t sz)
{
	size_t off = 0;
	uint32_t se;
	int err;

	if (sz)
		buf[0] = '\0';
	if (!st->cfg.enabled)
		return ENOTSUP;
	/* A running session keeps its interval (§7.4); else ask for ours. */
	se = st->interval ? st->interval : st->cfg.interval;
	if (se < st->min_se)
		se = st->min_se;
	if (st->interval && st->we_refresh)
		err = put(buf, sz, &off, "Session-Expires: %u;refresher=uac\r\n", se);
	else
		err = put(buf, sz, &off, "Session-Expires: %u\r\n", se);
	if (!err)
		err = put(buf, sz, &off, "Min-SE: %u\r\n", st->min_se);
	if (err)
		return err;
	st->req_se = se;
	return 0;
}

int sip_sesstimer_uac_422(struct sip_sesstimer *st, bool has_minse, uint32_t minse)
{
	/* §7.3: retry with the 422's Min-SE; a value that does not grow would loop. */
	if (!has_minse || minse == 0 || minse <= st->req_se)
		return EPROTO;
	st->min_se = minse;
	if (st->interval && st->interval < minse)
		st->interval = minse;
	return 0;
}

int sip_sesstimer_uac_2xx(struct sip_sesstimer *st, bool has_se,
			  const struct sip_sess_expires *se)
{
	int err = 0;

	if (!has_se) {
		st->interval = 0;
		st->we_refresh = false;
		return 0;
	}
	st->interval = se->delta;
	if (st->interval < st->min_se) {
		st->interval = st->min_se;
		err = EPROTO;
	}
	st->we_refresh = se->refresher != SIP_REFRESHER_UAS;
	return err;
}

int sip_sesstimer_uas_decide(const struct sip_sesstimer *st, bool has_se,
			     const struct sip_sess_expires *se, bool has_minse,
			     uint32_t minse, bool peer_timer,
			     struct sip_sesstimer_uas *out)
{
	struct sip_sesstimer_uas d = { 0 };
	uint32_t floor_se;

	if (!st->cfg.enabled) {
		/* We do not support timers: no Session-Expires in the answer. */
		*out = d;
		return 0;
	}
	if (has_se && se->delta < st->cfg.min_se) {
		d.scode = 422;
		d.min_se = st->cfg.min_se;
		if (has_minse && minse > d.min_se)
			d.min_se = minse;
		*out = d;
		return 0;
	}
	/* The request's Min-SE bounds any reduction we make (§9). */
	floor_se = st->cfg.min_se;
	if (has_minse && minse > floor_se)
		floor_se = minse;

	if (has_se) {
		d.interval = se->delta;
		if (d.interval > st->cfg.interval) {
			d.interval = st->cfg.interval;
			if (d.interval < floor_se)
				d.interval = floor_se;
		}
		if (se->refresher != SIP_REFRESHER_NONE)
			d.refresher = se->refresher;
		else if (peer_timer && st->cfg.prefer == SIP_REFRESHER_UAC)
			d.refresher = SIP_REFRESHER_UAC;
		else
			d.refresher = SIP_REFRESHER_UAS;
		/* A UAC without 'timer' cannot refresh (§9). */
		if (!peer_timer)
			d.refresher = SIP_REFRESHER_UAS;
	} else {
		d.interval = st->cfg.interval;
		if (d.interval < floor_se)
			d.interval = floor_se;
		if (peer_timer && st->cfg.prefer == SIP_REFRESHER_UAC)
			d.refresher = SIP_REFRESHER_UAC;
		else
			d.refresher = SIP_REFRESHER_UAS;
	}
	d.require = peer_timer;
	*out = d;
	return 0;
}

void sip_sesstimer_uas_commit(struct sip_sesstimer *st, const struct sip_sesstimer_uas *d)
{
	if (d->scode)
		return;
	st->interval = d->interval;
	st->we_refresh = d->interval && d->refresher == SIP_REFRESHER_UAS;
}

int sip_sesstimer_uas_hdrs(const struct sip_sesstimer_uas *d, char *buf, size_t sz)
{
	size_t off = 0;
	int err = 0;

	if (sz)
		buf[0] = '\0';
	if (d->scode == 422)
		return put(buf, sz, &off, "Min-SE: %u\r\n", d->min_se);
	if (d->scode || !d->interval)
		return 0;
	err = put(buf, sz, &off, "Session-Expires: %u;refresher=%s\r\n", d->interval,
		  sip_refresher_name(d->refresher));
	if (!err && d->require)
		err = put(buf, sz, &off, "Require: timer\r\n");
	return err;
}

enum sip_sesstimer_action sip_sesstimer_next(const struct sip_sesstimer *st, uint64_t *ms)
{
	uint64_t iv_ms = (uint64_t)st->interval * 1000;

	if (!iv_ms)
		return SIP_SESSTIMER_NONE;
	if (st->we_refresh) {
		*ms = iv_ms / 2;
		return SIP_SESSTIMER_REFRESH;
	}
	/* min(32 s, SE/3), the third kept in ms so SE=94 gives 62.667 s */
	*ms = iv_ms - (iv_ms / 3 < 32000 ? iv_ms / 3 : 32000);
	return SIP_SESSTIMER_BYE;
}

enum sip_sesstimer_action sip_sesstimer_after_failed_refresh(const struct sip_sesstimer *st,
							     uint64_t *ms)
{
	uint64_t iv_ms = (uint64_t)st->interval * 1000;

	if (!iv_ms)
		return SIP_SESSTIMER_NONE;
	*ms = iv_ms / 2 - (iv_ms / 3 < 32000 ? iv_ms / 3 : 32000);
	return SIP_SESSTIMER_BYE;
}
