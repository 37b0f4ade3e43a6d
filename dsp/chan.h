/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One media channel: the per-call pipeline between a TDM B-channel and an
 * RTP stream, run on the span tick (ARCHITECTURE.md "A SIP -> PSTN call,
 * as data"):
 *   TDM rx -> echo canceller -> DTMF (RFC 4733) and fax tone detection
 *     -> encode -> (SRTP) -> RTP send
 *   RTP recv -> (SRTP) -> jitter buffer / RFC 4733 playout -> decode/PLC
 *     -> TDM tx
 * The channel lives on one media thread (dsp/engine): it is created,
 * ticked, fed and freed there, and owns its UDP sockets on that thread's
 * loop. Receiving only queues packets into the jitter buffer, so a late
 * or missing packet never stalls a tick; a tick does a bounded amount of
 * work whatever the network does.
 */
#ifndef DSP_CHAN_H
#define DSP_CHAN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "dsp/codec.h"
#include "dsp/rtcp.h"
#include "dsp/srtp.h"

struct dsp_chan;

/* Samples per tick: 20 ms at 8 kHz, the span clock. */
#define DSP_CHAN_TICK 160

struct dsp_chan_cfg {
	enum dsp_law tdm_law;       /* law on the B-channel */
	enum dsp_codec_id codec;    /* RTP payload */
	uint8_t pt;                 /* its payload type */
	int dtmf_pt;                /* telephone-event PT, -1: none */
	unsigned ptime;             /* 10, 20 or 30 ms */
	bool ec;                    /* echo canceller on the TDM side */
	unsigned ec_taps;           /* 0: 1024 (128 ms) */
	bool faxdet;                /* CNG / CED / ANSam detection */
	bool srtp;
	enum dsp_srtp_suite suite;
	uint8_t tx_key[DSP_SRTP_MAX_KEY], rx_key[DSP_SRTP_MAX_KEY];
	size_t tx_key_len, rx_key_len;
	struct sockaddr_storage local;   /* bind address; port from the range */
	uint16_t port_min, port_max;     /* even RTP port, RTCP = RTP + 1 */
	struct sockaddr_storage remote;  /* where to send (port 0: not yet) */
	bool latch;                 /* symmetric RTP: follow the source */
	bool rtcp_mux;              /* RTCP on the RTP port (RFC 5761) */
	uint16_t rtcp_port;         /* peer's RTCP port (a=rtcp), 0: RTP + 1 */
	uint32_t media_timeout_ms;  /* 0: off */
	/* playout (dsp/jitter): adaptive between jb_min_ms and jb_max_ms,
	 * or fixed at jb_fixed_ms (transparent data calls); 0s: defaults */
	bool jb_fixed;
	unsigned jb_min_ms, jb_max_ms, jb_fixed_ms;
	const char *cname;          /* RTCP CNAME */
};

void dsp_chan_cfg_default(struct dsp_chan_cfg *cfg);

enum dsp_chan_ev {
	DSP_CHAN_EV_DIGIT = 0,      /* a PSTN digit started (digit) */
	DSP_CHAN_EV_DIGIT_END,      /* it ended (digit, duration_ms) */
	DSP_CHAN_EV_FAX_TONE,       /* CNG / CED / ANSam (tone) */
	DSP_CHAN_EV_MEDIA_TIMEOUT,  /* no RTP for media_timeout_ms */
};

struct dsp_chan_evd {
	char digit;
	unsigned duration_ms;
	int tone;                   /* enum dsp_faxdet_tone */
};

/* Called on the media thread; forward to the control thread by message. */
typedef void (dsp_chan_ev_h)(struct dsp_chan *ch, enum dsp_chan_ev ev,
			     const struct dsp_chan_evd *d, void *arg);

/*
 * Create a channel on loop (the calling media thread's): sockets bound,
 * codec, jitter buffer, echo canceller, detectors ready. Returns 0,
 * EINVAL (bad cfg), EADDRINUSE (no free port in the range), ENOMEM, or a
 * socket / SRTP error.
 */
int dsp_chan_alloc(struct dsp_chan **chp, uv_loop_t *loop,
		   const struct dsp_chan_cfg *cfg, dsp_chan_ev_h *evh,
		   void *arg);
/* Close sockets (handles close on the loop) and free everything. */
void dsp_chan_free(struct dsp_chan *ch);

/* Local RTP port (for SDP). */
uint16_t dsp_chan_port(const struct dsp_chan *ch);
/* Set or change the remote address (answer SDP, re-INVITE). */
void dsp_chan_set_remote(struct dsp_chan *ch, const struct sockaddr *sa,
			 socklen_t len);
/*
 * Change the payload of a running channel (a re-INVITE or UPDATE that
 * picks another codec, payload type, ptime or telephone-event type): a
 * new encoder, decoder and jitter buffer, the rest kept (sockets, echo
 * canceller state, SRTP, RTP sequence and timestamps, RTCP). Fields of
 * cfg other than codec, pt, ptime and dtmf_pt are ignored. 0, EINVAL, or
 * ENOMEM with the channel unchanged.
 */
int dsp_chan_set_media(struct dsp_chan *ch, const struct dsp_chan_cfg *cfg);
/* Change RTCP multiplexing and the peer's RTCP port (re-INVITE). */
void dsp_chan_set_rtcp(struct dsp_chan *ch, bool mux, uint16_t rtcp_port);

/*
 * One span tick: rx holds the 160 bytes received on the B-channel
 * (TDM law), tx gets the 160 bytes to send on it. Never blocks.
 */
void dsp_chan_tick(struct dsp_chan *ch, const uint8_t *rx, uint8_t *tx);

/*
 * dsp_chan_tick() with options: DSP_CHAN_TICK_LEAN runs this block
 * without echo canceller adaptation (the filter still cancels with the
 * path as estimated), for a media thread past its tick budget
 * (dsp_budget_shed()). Counted in dsp_chan_stats.lean_ticks.
 */
#define DSP_CHAN_TICK_LEAN 1u
void dsp_chan_tick_opt(struct dsp_chan *ch, const uint8_t *rx, uint8_t *tx,
		       unsigned opt);

/* Fax/modem pass-through: echo canceller and NLP off, fixed jitter buffer. */
void dsp_chan_set_passthrough(struct dsp_chan *ch, bool on);

/* Play a digit towards the PSTN (SIP INFO or API). 0 or EINVAL/EBUSY. */
int dsp_chan_play_digit(struct dsp_chan *ch, char digit, unsigned ms);

struct dsp_chan_stats {
	uint64_t ticks;
	uint64_t lean_ticks;        /* ticks without EC adaptation (overload) */
	uint64_t rtp_tx, rtp_rx;
	uint64_t rx_dropped;        /* malformed, unknown PT, SRTP failures */
	uint64_t rtcp_tx, rtcp_rx;
	uint64_t rtcp_dropped;      /* malformed, SRTCP failures */
	uint64_t send_err;
	uint64_t digits_rx, digits_tx;
	struct dsp_rtp_stats rtp;   /* RTCP-level figures */
	double erle_db;             /* echo canceller's estimate, 0 if off */
};
void dsp_chan_stats(const struct dsp_chan *ch, struct dsp_chan_stats *st);

#endif
