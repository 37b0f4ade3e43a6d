/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SRTP/SRTCP protection of one media stream with libsrtp2 (RFC 3711), keyed
 * by SDES (RFC 4568 §6.1: the inline key||salt, already base64-decoded by
 * the SDP layer). Suites: AES_CM_128_HMAC_SHA1_80 and _32 (RFC 4568 §6.2,
 * RFC 3711 §4.1.1, §4.2.1) and AEAD_AES_128_GCM (RFC 7714 §14.2).
 * Authentication failures and replays are counted and the packet dropped.
 *
 * dsp_srtp_global_init() must run once per process before any stream is
 * created: the gateway's main() calls it at start-up, before the media
 * threads start (libsrtp's crypto kernel is process-wide). After that each
 * struct dsp_srtp belongs to one media thread and needs no locking.
 */
#ifndef DSP_SRTP_H
#define DSP_SRTP_H

#include <stddef.h>
#include <stdint.h>

#include "base/pl.h"

enum dsp_srtp_suite {
	DSP_SRTP_AES_CM_128_HMAC_SHA1_80 = 0,
	DSP_SRTP_AES_CM_128_HMAC_SHA1_32,
	DSP_SRTP_AEAD_AES_128_GCM,
};

/* Longest master key||salt of the suites above (16 + 14). */
#define DSP_SRTP_MAX_KEY     30
/* Room a buffer needs after the packet for protection: libsrtp may write
 * a tag, an MKI and the SRTCP index there (the real growth is at most 20
 * octets for these suites). */
#define DSP_SRTP_MAX_OVERHEAD (16 + 128 + 4)

struct dsp_srtp_counters {
	uint64_t protected;
	uint64_t unprotected;
	uint64_t auth_fail;
	uint64_t replay;
	uint64_t other;		/* malformed, unknown SSRC, internal errors */
};

struct dsp_srtp;

/* Once per process; see above. Returns 0 or EIO. */
int dsp_srtp_global_init(void);

/* Crypto-suite names as in SDP a=crypto (RFC 4568 §6.2, RFC 7714 §14.2). */
const char *dsp_srtp_suite_name(enum dsp_srtp_suite suite);
int dsp_srtp_suite_parse(const struct pl *name, enum dsp_srtp_suite *suite);
/* Length of key||salt for the suite (30 or 28), 0 if unknown. */
size_t dsp_srtp_key_len(enum dsp_srtp_suite suite);

/*
 * Fill key with a fresh master key||salt for the suite from getrandom(2).
 * Returns 0 and *len, ENOSPC, EINVAL, or the errno of getrandom.
 */
int dsp_srtp_keygen(enum dsp_srtp_suite suite, uint8_t *key, size_t size,
		    size_t *len);

/*
 * Create protection for one stream: tx_key protects what we send (our
 * a=crypto), rx_key checks what the peer sends (its a=crypto); each is
 * key||salt of dsp_srtp_key_len(suite) octets. Any SSRC is accepted in
 * both directions (SSRC changes are handled by libsrtp's templates).
 * Returns 0, EINVAL (bad suite or key length), ENOMEM, EIO.
 */
int dsp_srtp_alloc(struct dsp_srtp **sp, enum dsp_srtp_suite suite,
		   const uint8_t *tx_key, size_t tx_len,
		   const uint8_t *rx_key, size_t rx_len);
void dsp_srtp_free(struct dsp_srtp *s);

/*
 * Protect in place: buf holds *len octets of RTP (or a compound RTCP) and
 * has room for size octets; on success *len grows by the trailer.
 * Returns 0, ENOSPC (size < *len + DSP_SRTP_MAX_OVERHEAD), EBADMSG, EIO.
 */
int dsp_srtp_protect_rtp(struct dsp_srtp *s, uint8_t *buf, size_t *len,
			 size_t size);
int dsp_srtp_protect_rtcp(struct dsp_srtp *s, uint8_t *buf, size_t *len,
			  size_t size);

/*
 * Check and decrypt in place; *len shrinks on success. Returns 0,
 * EBADMSG (authentication failure or malformed), EALREADY (replay);
 * every failure is counted and the packet must be dropped.
 */
int dsp_srtp_unprotect_rtp(struct dsp_srtp *s, uint8_t *buf, size_t *len);
int dsp_srtp_unprotect_rtcp(struct dsp_srtp *s, uint8_t *buf, size_t *len);

const struct dsp_srtp_counters *dsp_srtp_counters(const struct dsp_srtp *s);

#endif
