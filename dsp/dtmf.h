/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DTMF between the PSTN (in-band, ITU-T Q.23/Q.24) and SIP (RFC 4733
 * telephone-events, or SIP INFO application/dtmf-relay).
 *
 * Detector (PSTN -> SIP): spandsp's DTMF receiver with Q.24 limits
 * (twist +4/-8 dB, level threshold); each digit start/end is reported to
 * an optional callback and turned into RFC 4733 §2.5.1 packets: a start
 * packet with the marker bit, updates about every 50 ms carrying the
 * growing duration (timestamp units), three copies of the end packet, and
 * long-event segmentation (§2.5.1.3). While a digit is active the audio
 * block is muted so the digit is not also sent in-band.
 *
 * Generator (SIP -> PSTN): received telephone-events (§2.5.2) are played
 * with spandsp's DTMF generator for the duration the sender reported,
 * ignoring duplicates and redundant end packets, stopping on a timeout
 * when the end packets are lost, and keeping a 40 ms gap between digits.
 *
 * No I/O, no locks; one detector and one generator per channel.
 */
#ifndef DSP_DTMF_H
#define DSP_DTMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/pl.h"

/* RFC 4733 §3.2 event codes 0..15 <-> "0123456789*#ABCD". */
int dsp_dtmf_event_to_char(unsigned event);	/* -1 if not a DTMF event */
int dsp_dtmf_char_to_event(char c);		/* -1 if not a DTMF digit */

/* A decoded RFC 4733 payload (first event of the payload). */
struct dsp_dtmf_event {
	uint8_t event;
	bool end;
	uint8_t volume;		/* -dBm0 */
	uint16_t duration;	/* timestamp units */
};

/* Parse/build the 4-octet event payload. Parse: 0 or EBADMSG (< 4). */
int dsp_dtmf_event_decode(const uint8_t *p, size_t len, struct dsp_dtmf_event *ev);
void dsp_dtmf_event_encode(const struct dsp_dtmf_event *ev, uint8_t p[4]);

/* ---- detector: PSTN audio -> RFC 4733 -------------------------------- */

struct dsp_dtmf_det_cfg {
	int threshold_dbm0;	/* weakest tone accepted (per tone) */
	int twist_normal_db;	/* low group may exceed high by this */
	int twist_reverse_db;	/* high group may exceed low by this */
	unsigned update_ms;	/* interval of update packets */
	unsigned hangover_ms;	/* audio stays muted this long after a digit */
	bool lookahead;		/* delay the audio by one block so the onset
				 * of a digit (before it is confirmed) is
				 * muted too; costs one block of latency */
};

/* One packet to send with dsp_rtp_tx_raw() (telephone-event PT). */
struct dsp_dtmf_pkt {
	uint32_t ts;
	bool marker;
	uint8_t payload[4];
};

#define DSP_DTMF_MAX_PKTS 6

struct dsp_dtmf_out {
	unsigned npkt;
	struct dsp_dtmf_pkt pkt[DSP_DTMF_MAX_PKTS];
	bool muted;		/* the block was silenced */
};

/* Digit start (start = true, duration 0) and end (with its duration in
 * ms); level is the detected power in dBm0. */
typedef void(dsp_dtmf_digit_h)(void *arg, char digit, bool start,
			       unsigned duration_ms, int level_dbm0);

struct dsp_dtmf_det;

/* Q.24 defaults: threshold -30 dBm0, twist 10/5 dB (accepts the Q.24
 * +4/-8 dB with margin, rejects -11/+6 and beyond), updates every 50 ms,
 * 20 ms hangover, lookahead on. */
void dsp_dtmf_det_cfg_default(struct dsp_dtmf_det_cfg *cfg);

/* Returns 0, EINVAL, ENOMEM. digith may be NULL. */
int dsp_dtmf_det_alloc(struct dsp_dtmf_det **dp,
		       const struct dsp_dtmf_det_cfg *cfg,
		       dsp_dtmf_digit_h *digith, void *arg);
void dsp_dtmf_det_free(struct dsp_dtmf_det *d);

/*
 * Run detection on one block of n (<= DSP_DTMF_MAX_BLOCK) linear samples.
 * ts is the RTP timestamp the block leaving here will be sent with (the
 * sender's media clock). Fills *out with the event packets to send now
 * and mutes pcm in place while a digit is active. With lookahead, pcm is
 * replaced by the previous block (the first call yields silence); the
 * block size must then stay the same from call to call.
 */
#define DSP_DTMF_MAX_BLOCK 480
void dsp_dtmf_det_process(struct dsp_dtmf_det *d, int16_t *pcm, size_t n,
			  uint32_t ts, struct dsp_dtmf_out *out);

/* ---- generator: RFC 4733 -> PSTN audio -------------------------------- */

struct dsp_dtmf_gen_cfg {
	unsigned timeout_ms;	/* lost end: stop this long after the last
				 * reported duration */
	unsigned min_on_ms;	/* shortest tone played (Q.24: 40 ms) */
	unsigned gap_ms;	/* silence after a digit */
};

struct dsp_dtmf_gen_counters {
	uint64_t events;	/* digits started */
	uint64_t updates;
	uint64_t duplicates;	/* redundant or repeated packets ignored */
	uint64_t timeouts;	/* ended because the end packets were lost */
	uint64_t unsupported;	/* non-DTMF events ignored */
	uint64_t malformed;
};

struct dsp_dtmf_gen;

/* Defaults: timeout 200 ms, min on 40 ms, gap 40 ms. */
void dsp_dtmf_gen_cfg_default(struct dsp_dtmf_gen_cfg *cfg);
int dsp_dtmf_gen_alloc(struct dsp_dtmf_gen **gp,
		       const struct dsp_dtmf_gen_cfg *cfg);
void dsp_dtmf_gen_free(struct dsp_dtmf_gen *g);

/*
 * Feed one received telephone-event packet (RTP timestamp, marker and
 * payload). Returns 0 when it started or extended an event, EALREADY for a
 * duplicate/redundant packet, ENOTSUP for a non-DTMF event, EBADMSG for a
 * short payload.
 */
int dsp_dtmf_gen_event(struct dsp_dtmf_gen *g, uint32_t ts, bool marker,
		       const uint8_t *payload, size_t plen);

/* Play onto one TDM block: while a digit or its gap is playing the block
 * is overwritten (tone or silence) and true is returned. */
bool dsp_dtmf_gen_process(struct dsp_dtmf_gen *g, int16_t *pcm, size_t n);

/* Play a digit from another source (SIP INFO): duration_ms of tone. */
int dsp_dtmf_gen_digit(struct dsp_dtmf_gen *g, char digit,
		       unsigned duration_ms, int level_dbm0);

const struct dsp_dtmf_gen_counters *dsp_dtmf_gen_counters(const struct dsp_dtmf_gen *g);

/* ---- SIP INFO application/dtmf-relay ---------------------------------- */

/*
 * Parse a body like "Signal=5\r\nDuration=160\r\n" (keys case-insensitive,
 * spaces allowed, LF or CRLF; Signal may also be 10/11 for * and #;
 * Duration in ms, default 250 if absent). Returns 0, EINVAL.
 */
int dsp_dtmf_info_parse(const struct pl *body, char *digit,
			unsigned *duration_ms);

/* Print "Signal=<d>\r\nDuration=<ms>\r\n". Returns 0, EINVAL, ENOSPC. */
int dsp_dtmf_info_print(char *buf, size_t size, char digit,
			unsigned duration_ms, size_t *len);

#endif
