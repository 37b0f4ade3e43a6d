/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RTCP for one RTP stream (RFC 3550 §6): compound packets SR/RR + SDES
 * CNAME (+ BYE) built from the RTP sender/receiver state (§6.4.1 sender
 * info, §6.4.1 report blocks, §6.5 SDES, §6.6 BYE, A.3 fraction lost),
 * compound validation and parsing (A.2), LSR/DLSR bookkeeping and
 * round-trip time (§6.4.1), and the per-stream statistics fed to CDRs and
 * metrics. Timing uses 64-bit NTP timestamps supplied by the caller (one
 * clock for everything, dsp_rtcp_ntp_now() in production).
 */
#ifndef DSP_RTCP_H
#define DSP_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/pl.h"
#include "dsp/rtp.h"

enum {
	DSP_RTCP_SR = 200,
	DSP_RTCP_RR = 201,
	DSP_RTCP_SDES = 202,
	DSP_RTCP_BYE = 203,
	DSP_RTCP_APP = 204,
};

#define DSP_RTCP_CNAME_MAX 255

struct dsp_rtcp_sr {
	uint64_t ntp;
	uint32_t rtp_ts;
	uint32_t packets;
	uint32_t octets;
};

struct dsp_rtcp_rb {
	uint32_t ssrc;
	uint8_t fraction;	/* fraction lost, /256 */
	int32_t lost;		/* cumulative, 24-bit signed */
	uint32_t ext_max;
	uint32_t jitter;	/* timestamp units */
	uint32_t lsr;
	uint32_t dlsr;		/* 1/65536 s */
};

/* What one received compound packet said (zero-copy views into it). */
struct dsp_rtcp_info {
	uint32_t ssrc;		/* sender of the SR/RR */
	bool has_sr;
	struct dsp_rtcp_sr sr;
	bool has_rb;		/* a report block about our SSRC */
	struct dsp_rtcp_rb rb;
	unsigned n_rb;		/* report blocks seen in total */
	struct pl cname;	/* CNAME of the first SDES chunk, if any */
	bool bye;
	struct pl bye_reason;
	unsigned n_other;	/* APP, XR, feedback...: skipped */
};

/* Per-stream RTCP state. */
struct dsp_rtcp {
	char cname[DSP_RTCP_CNAME_MAX + 1];
	/* A.3 interval bookkeeping */
	uint32_t prior_ssrc;
	uint32_t expected_prior;
	uint32_t received_prior;
	/* last SR from the peer: middle 32 bits of its NTP, our NTP then */
	bool have_lsr;
	uint32_t lsr;
	uint32_t lsr_arrival;
	/* what the peer reports about us */
	bool have_remote;
	struct dsp_rtcp_rb remote;
	bool have_rtt;
	double rtt_ms;
	bool bye_rx;
	uint64_t rx_packets;
	uint64_t malformed;
	uint64_t tx_packets;
};

/* Statistics for CDRs and metrics. */
struct dsp_rtp_stats {
	uint64_t tx_packets;
	uint64_t tx_octets;
	uint64_t rx_packets;
	uint64_t rx_octets;
	int32_t rx_lost;	/* cumulative lost, as we see it */
	double rx_jitter_ms;	/* interarrival jitter of what we receive */
	int32_t remote_lost;	/* as the peer reports about our stream */
	double remote_jitter_ms;
	bool have_rtt;
	double rtt_ms;
	struct dsp_rtp_rx_counters rx;	/* drop counters */
	uint64_t rtcp_rx;
	uint64_t rtcp_malformed;
};

/* Initialise; cname is truncated to DSP_RTCP_CNAME_MAX octets. */
void dsp_rtcp_init(struct dsp_rtcp *r, const char *cname);

/* Current wall-clock time as a 64-bit NTP timestamp. */
uint64_t dsp_rtcp_ntp_now(void);

/*
 * Build a compound packet: SR when tx has sent packets (else RR), with one
 * report block when rx has a validated source, then SDES CNAME, then BYE
 * (with an optional reason) when bye is set. tx and rx may be NULL. The
 * SR's RTP timestamp is tx's media clock (the timestamp of its next
 * frame), taken to correspond to now_ntp. Updates the A.3 interval state.
 * Returns 0 and *len, ENOSPC, EINVAL.
 */
int dsp_rtcp_build(struct dsp_rtcp *r, const struct dsp_rtp_tx *tx,
		   const struct dsp_rtp_rx *rx, uint64_t now_ntp, bool bye,
		   const char *reason, uint8_t *buf, size_t size, size_t *len);

/*
 * Validate (RFC 3550 A.2) and decode a compound packet. our_ssrc selects
 * the report block to return. Returns 0 or EBADMSG; *info is set only on
 * success.
 */
int dsp_rtcp_decode(const uint8_t *buf, size_t len, uint32_t our_ssrc,
		    struct dsp_rtcp_info *info);

/*
 * Process a received compound packet: remembers the peer's SR for LSR/DLSR,
 * computes the round-trip time from a report block about us, records the
 * peer's view of our stream and BYE. info may be NULL. Returns 0 or
 * EBADMSG (counted).
 */
int dsp_rtcp_input(struct dsp_rtcp *r, const uint8_t *buf, size_t len,
		   uint32_t our_ssrc, uint64_t now_ntp,
		   struct dsp_rtcp_info *info);

/*
 * RTCP transmission interval (RFC 3550 §6.3.1, A.7) in milliseconds:
 * members and senders in the session (2 and 0..2 for a gateway leg),
 * whether we sent RTP since the last report, the session bandwidth in
 * bit/s (RTCP gets 5 %), the average compound size in octets (incl.
 * UDP/IP), initial for the first report, and rnd, a uniform random
 * 32-bit value (the caller's PRNG) for the [0.5, 1.5] randomisation.
 */
uint32_t dsp_rtcp_interval_ms(unsigned members, unsigned senders, bool we_sent,
			      uint32_t session_bps, double avg_rtcp_size,
			      bool initial, uint32_t rnd);

/* Collect statistics of one stream (tx/rx may be NULL). */
void dsp_rtp_stats_get(const struct dsp_rtcp *r, const struct dsp_rtp_tx *tx,
		       const struct dsp_rtp_rx *rx, struct dsp_rtp_stats *st);

#endif
