/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gateway's media side: the media threads (dsp/engine), every span's
 * audio attached to one of them (gw_span_audio_attach on that thread),
 * and one media channel (dsp/chan) per call, joined to the call's
 * B-channel so each span tick runs it (ARCHITECTURE.md "A SIP -> PSTN
 * call, as data"). Offer/answer (RFC 3264) over sip/sdp decides codec,
 * ptime, telephone-event and SDES-SRTP (RFC 4568) from the [media]
 * policy. Everything here is called on the control thread; the channel
 * itself lives on its media thread and is reached by message only.
 *
 *   [media]
 *   threads       = 0            ; media threads, 0 = one per spare core
 *   rtp_address   = 127.0.0.1    ; bind address, also the SDP c= address
 *   rtp_port_min  = 20000        ; even RTP ports, RTCP = RTP + 1
 *   rtp_port_max  = 29999
 *   codecs        = pcma, pcmu   ; preference order (pcma pcmu g722 g729)
 *   ptime         = 20           ; 10, 20 or 30
 *   dtmf          = rfc4733      ; rfc4733, inband or off
 *   dtmf_pt       = 101
 *   echo_cancel   = yes          ; G.168 canceller on the TDM side
 *   ec_tail_ms    = 128          ; up to 128
 *   faxdet        = yes          ; CNG/CED/ANSam detection
 *   media_timeout = 30           ; seconds without RTP -> event, 0 = off
 *   srtp          = off          ; off, optional, mandatory
 *   tones         = de           ; country of the local call progress tones
 *
 * Ports are taken from the range on the control thread (so an SDP can be
 * written at once) and bound on the media thread; a bind failure comes
 * back as GW_MEDIA_EV_ERROR.
 */
#ifndef GW_MEDIA_H
#define GW_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "dsp/chan.h"

struct gw_conf;
struct gw_conf_err;
struct gw_spans;
struct gw_ctl_reply;
struct gw_media;
struct gw_media_chan;

enum gw_media_dtmf { GW_MEDIA_DTMF_RFC4733 = 0, GW_MEDIA_DTMF_INBAND, GW_MEDIA_DTMF_OFF };
enum gw_media_srtp { GW_MEDIA_SRTP_OFF = 0, GW_MEDIA_SRTP_OPTIONAL, GW_MEDIA_SRTP_MANDATORY };

struct gw_media_cfg {
	unsigned threads;
	char rtp_address[64];
	uint16_t port_min, port_max;
	enum dsp_codec_id codecs[4];
	unsigned ncodecs;
	unsigned ptime;
	enum gw_media_dtmf dtmf;
	uint8_t dtmf_pt;
	bool ec;
	unsigned ec_tail_ms;
	bool faxdet;
	uint32_t media_timeout_ms;
	enum gw_media_srtp srtp;
	char tones[8];
	/* per media thread: % of each 20 ms period the channel blocks may
	 * take before the rest run without EC adaptation (dsp_budget); 0 =
	 * never */
	unsigned tick_budget;
	bool rtcp_mux;      /* offer and accept a=rtcp-mux (RFC 5761) */
	/* playout: adaptive between jitter_min_ms and jitter_max_ms, or
	 * fixed at jitter_fixed_ms (modem/data trunks) */
	bool jitter_fixed;
	unsigned jitter_min_ms, jitter_max_ms, jitter_fixed_ms;
};

/* Defaults above; then [media] from conf (absent section: defaults).
 * 0 or EINVAL with err naming file:line:key. */
void gw_media_cfg_default(struct gw_media_cfg *cfg);
int gw_media_conf(struct gw_media_cfg *cfg, struct gw_conf *conf, struct gw_conf_err *err);

/*
 * Start the media threads and attach the audio of every span of spans
 * (spans already started; NULL = none) to one of them. ctl is the control
 * loop (events come back on it). 0 or errno.
 */
int gw_media_alloc(struct gw_media **mp, const struct gw_media_cfg *cfg,
		   struct gw_spans *spans, uv_loop_t *ctl);
/* Close every channel, detach spans, stop the threads, free. */
void gw_media_free(struct gw_media *m);

enum gw_media_ev {
	GW_MEDIA_EV_DIGIT = 0,    /* PSTN digit ended: digit, duration_ms */
	GW_MEDIA_EV_FAX_TONE,     /* tone (enum dsp_faxdet_tone) */
	GW_MEDIA_EV_TIMEOUT,      /* no RTP for media_timeout */
	GW_MEDIA_EV_ERROR,        /* the channel could not start (err) */
};
struct gw_media_evd {
	char digit;
	unsigned duration_ms;
	int tone;
	int err;
};
/* Control thread. */
typedef void (gw_media_ev_h)(struct gw_media_chan *c, enum gw_media_ev ev,
			     const struct gw_media_evd *d, void *arg);

/*
 * SIP side has offered (offer: SDP text): choose codec/ptime/DTMF/SRTP by
 * policy, take a port, create the channel (not yet joined to a
 * B-channel: it sends nothing to the PSTN and RTP only after joining) and
 * write our answer into answer. Returns 0; 488 when nothing acceptable
 * (no common codec, SRTP mandatory but not offered or vice versa, no
 * audio stream); 400 for an SDP that does not parse; 503 when no port is
 * free; ENOMEM.
 */
int gw_media_answer(struct gw_media *m, const char *offer, char *answer, size_t sz,
		    gw_media_ev_h *h, void *arg, struct gw_media_chan **cp);
/* We offer (PSTN->SIP, or a SIP INVITE without SDP): channel and offer text. 0, 503, ENOMEM. */
int gw_media_offer(struct gw_media *m, char *offer, size_t sz,
		   gw_media_ev_h *h, void *arg, struct gw_media_chan **cp);
/* The answer to our offer (1xx/2xx/ACK/PRACK). 0, 400 or 488. */
int gw_media_set_answer(struct gw_media_chan *c, const char *answer);
/* A new offer on an existing channel (re-INVITE, UPDATE): 0 with answer, 400, 488. */
int gw_media_reoffer(struct gw_media_chan *c, const char *offer, char *answer, size_t sz);

/*
 * Join the channel to B-channel ts of span number span (as in [span N]);
 * an already joined channel moves (failover). 0, ENOENT (no such span or
 * channel), EBUSY (another channel is joined there).
 */
int gw_media_join(struct gw_media_chan *c, unsigned span, unsigned ts);
/* Local ringback (tones=) towards the SIP side instead of the B-channel audio. */
void gw_media_ringback(struct gw_media_chan *c, bool on);
/* Play a digit towards the PSTN (SIP INFO). 0 or EINVAL. */
int gw_media_digit(struct gw_media_chan *c, char digit, unsigned ms);

/* Figures for CDRs and the CLI: the latest snapshot (at most 1 s old). */
struct gw_media_stats {
	char codec[16];
	uint64_t rtp_tx, rtp_rx, rx_dropped;
	uint32_t lost;             /* packets lost (RTP sequence) */
	double jitter_ms;          /* interarrival jitter (RFC 3550) */
	double rtt_ms;             /* from RTCP, 0 when unknown */
	double erle_db;            /* echo canceller estimate, 0 if off */
	uint64_t lean_ticks;       /* blocks without EC adaptation (overload) */
	uint64_t rtcp_tx, rtcp_rx; /* RTCP packets (on the RTP port if muxed) */
	bool rtcp_mux;
	uint64_t digits_rx, digits_tx;
	uint16_t local_port;
};
void gw_media_stats(const struct gw_media_chan *c, struct gw_media_stats *st);
/* Stop and free the channel (its port returns to the pool once the media
 * thread has closed it). Events stop at once. NULL is fine. */
void gw_media_close(struct gw_media_chan *c);

/* "media" control command: threads, channels, ports in use. */
int gw_media_ctl(struct gw_ctl_reply *r, int argc, char **argv, void *arg);

#endif
