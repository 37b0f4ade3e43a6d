/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SRTP/SRTCP with libsrtp2 for SDES-keyed streams (RFC 3711, RFC 4568,
 * RFC 7714). See srtp.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <srtp2/srtp.h>

#include "dsp/srtp.h"

_Static_assert(DSP_SRTP_MAX_OVERHEAD >= SRTP_MAX_TRAILER_LEN + 4,
	       "buffer room for libsrtp");

struct dsp_srtp {
	srtp_t tx;
	srtp_t rx;
	struct dsp_srtp_counters cnt;
};

static const struct {
	enum dsp_srtp_suite suite;
	const char *name;
	size_t key_len;
} suites[] = {
	{ DSP_SRTP_AES_CM_128_HMAC_SHA1_80, "AES_CM_128_HMAC_SHA1_80", 30 },
	{ DSP_SRTP_AES_CM_128_HMAC_SHA1_32, "AES_CM_128_HMAC_SHA1_32", 30 },
	{ DSP_SRTP_AEAD_AES_128_GCM, "AEAD_AES_128_GCM", 28 },
};

int dsp_srtp_global_init(void)
{
	return srtp_init() == srtp_err_status_ok ? 0 : EIO;
}

const char *dsp_srtp_suite_name(enum dsp_srtp_suite suite)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].suite == suite)
			return suites[i].name;
	return NULL;
}

int dsp_srtp_suite_parse(const struct pl *name, enum dsp_srtp_suite *suite)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		if (!pl_strcmp(name, suites[i].name)) {
			*suite = suites[i].suite;
			return 0;
		}
	}
	return EINVAL;
}

size_t dsp_srtp_key_len(enum dsp_srtp_suite suite)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].suite == suite)
			return suites[i].key_len;
	return 0;
}

int dsp_srtp_keygen(enum dsp_srtp_suite suite, uint8_t *key, size_t size,
		    size_t *len)
{
	size_t n = dsp_srtp_key_len(suite), got = 0;

	if (!n || !key || !len)
		return EINVAL;
	if (size < n)
		return ENOSPC;
	for (int tries = 0; got < n && tries < 16; tries++) {
		ssize_t r = getrandom(key + got, n - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		got += (size_t)r;
	}
	if (got != n)
		return EIO;
	*len = n;
	return 0;
}

static void set_policy(srtp_policy_t *p, enum dsp_srtp_suite suite)
{
	switch (suite) {
	case DSP_SRTP_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		break;
	case DSP_SRTP_AES_CM_128_HMAC_SHA1_32:
		/* RFC 4568 §6.2.1: the 32-bit tag is for SRTP only; SRTCP
		 * keeps the 80-bit tag */
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		break;
	case DSP_SRTP_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
		break;
	}
}

static int make_session(srtp_t *out, enum dsp_srtp_suite suite,
			const uint8_t *key, size_t key_len, srtp_ssrc_type_t type)
{
	unsigned char k[DSP_SRTP_MAX_KEY];
	srtp_policy_t p;
	srtp_err_status_t st;

	memset(&p, 0, sizeof(p));
	set_policy(&p, suite);
	memcpy(k, key, key_len);
	p.key = k;
	p.ssrc.type = type;
	p.window_size = 128;
	p.allow_repeat_tx = 0;
	st = srtp_create(out, &p);
	/* libsrtp has expanded the key into its own context */
	memset(k, 0, sizeof(k));
	if (st == srtp_err_status_alloc_fail)
		return ENOMEM;
	return st == srtp_err_status_ok ? 0 : EIO;
}

int dsp_srtp_alloc(struct dsp_srtp **sp, enum dsp_srtp_suite suite,
		   const uint8_t *tx_key, size_t tx_len,
		   const uint8_t *rx_key, size_t rx_len)
{
	size_t kl = dsp_srtp_key_len(suite);
	struct dsp_srtp *s;
	int err;

	if (!sp || !kl || !tx_key || !rx_key || tx_len != kl || rx_len != kl)
		return EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	err = make_session(&s->tx, suite, tx_key, tx_len, ssrc_any_outbound);
	if (err)
		goto out;
	err = make_session(&s->rx, suite, rx_key, rx_len, ssrc_any_inbound);
	if (err)
		goto out;
	*sp = s;
out:
	if (err)
		dsp_srtp_free(s);
	return err;
}

void dsp_srtp_free(struct dsp_srtp *s)
{
	if (!s)
		return;
	if (s->tx)
		srtp_dealloc(s->tx);
	if (s->rx)
		srtp_dealloc(s->rx);
	free(s);
}

static int protect(struct dsp_srtp *s, uint8_t *buf, size_t *len, size_t size,
		   bool rtcp)
{
	srtp_err_status_t st;
	int n;

	if (!s || !buf || !len)
		return EINVAL;
	if (*len > INT_MAX - DSP_SRTP_MAX_OVERHEAD ||
	    size < *len + DSP_SRTP_MAX_OVERHEAD)
		return ENOSPC;
	/* libsrtp reads the header: refuse what is not even a header */
	if (*len < (rtcp ? 8u : 12u)) {
		s->cnt.other++;
		return EBADMSG;
	}
	n = (int)*len;
	st = rtcp ? srtp_protect_rtcp(s->tx, buf, &n)
		  : srtp_protect(s->tx, buf, &n);
	if (st != srtp_err_status_ok) {
		s->cnt.other++;
		return st == srtp_err_status_bad_param ? EBADMSG : EIO;
	}
	s->cnt.protected++;
	*len = (size_t)n;
	return 0;
}

static int unprotect(struct dsp_srtp *s, uint8_t *buf, size_t *len, bool rtcp)
{
	srtp_err_status_t st;
	int n;

	if (!s || !buf || !len)
		return EINVAL;
	if (*len > INT_MAX || *len < (rtcp ? 8u : 12u)) {
		s->cnt.other++;
		return EBADMSG;
	}
	n = (int)*len;
	st = rtcp ? srtp_unprotect_rtcp(s->rx, buf, &n)
		  : srtp_unprotect(s->rx, buf, &n);
	switch (st) {
	case srtp_err_status_ok:
		s->cnt.unprotected++;
		*len = (size_t)n;
		return 0;
	case srtp_err_status_auth_fail:
		s->cnt.auth_fail++;
		return EBADMSG;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		s->cnt.replay++;
		return EALREADY;
	default:
		s->cnt.other++;
		return EBADMSG;
	}
}

int dsp_srtp_protect_rtp(struct dsp_srtp *s, uint8_t *buf, size_t *len,
			 size_t size)
{
	return protect(s, buf, len, size, false);
}

int dsp_srtp_protect_rtcp(struct dsp_srtp *s, uint8_t *buf, size_t *len,
			  size_t size)
{
	return protect(s, buf, len, size, true);
}

int dsp_srtp_unprotect_rtp(struct dsp_srtp *s, uint8_t *buf, size_t *len)
{
	return unprotect(s, buf, len, false);
}

int dsp_srtp_unprotect_rtcp(struct dsp_srtp *s, uint8_t *buf, size_t *len)
{
	return unprotect(s, buf, len, true);
}

const struct dsp_srtp_counters *dsp_srtp_counters(const struct dsp_srtp *s)
{
	return &s->cnt;
}
