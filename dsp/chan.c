/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One media channel (see chan.h): the dsp modules wired into the
 * per-tick pipeline, with the RTP and RTCP sockets polled on the
 * channel's media loop.
 *
 * Timing: the block received from the TDM side at tick N was captured
 * while the block sent at tick N-1 was playing, so the canceller's far-end
 * reference for rx(N) is tx(N-1); the bulk delay of the line beyond that
 * is inside the canceller's tail.
 */
#include <errno.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "base/log.h"
#include "dsp/chan.h"
#include "dsp/dtmf.h"
#include "dsp/echo.h"
#include "dsp/faxdet.h"
#include "dsp/jitter.h"
#include "dsp/rtp.h"

struct dsp_chan {
	struct dsp_chan_cfg cfg;
	uv_loop_t *loop;
	dsp_chan_ev_h *evh;
	void *arg;

	int rtp_fd, rtcp_fd;
	uint16_t port;
	uv_poll_t rtp_poll, rtcp_poll;
	bool polls_open;
	unsigned closing;
	uv_timer_t rtcp_timer;

	struct dsp_codec *codec;     /* encoder side (FIFO for ptime) */
	struct dsp_codec *decoder;   /* used by the jitter buffer */
	struct dsp_jb *jb;
	struct dsp_echo *ec;
	struct dsp_dtmf_det *det;
	struct dsp_dtmf_gen *gen;
	struct dsp_faxdet *fax;
	struct dsp_srtp *srtp;
	struct dsp_rtp_tx tx;
	struct dsp_rtp_rx rx;
	struct dsp_rtcp rtcp;

	int16_t tx_ref[DSP_CHAN_TICK];  /* what went to the line last tick */
	bool timeout_reported;
	bool passthrough;
	uint32_t rtcp_rng;              /* RTCP interval randomisation */
	struct dsp_chan_stats st;
};

void dsp_chan_cfg_default(struct dsp_chan_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->tdm_law = DSP_LAW_ALAW;
	cfg->codec = DSP_CODEC_PCMA;
	cfg->pt = 8;
	cfg->dtmf_pt = 101;
	cfg->ptime = 20;
	cfg->ec = true;
	cfg->faxdet = true;
	cfg->port_min = 20000;
	cfg->port_max = 29999;
	cfg->latch = true;
	cfg->media_timeout_ms = 0;
	cfg->cname = "pstngw";
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static socklen_t sa_len(const struct sockaddr_storage *sa)
{
	return sa->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in);
}

static uint16_t sa_port(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	if (sa->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	return 0;
}

static void ev(struct dsp_chan *ch, enum dsp_chan_ev e,
	       const struct dsp_chan_evd *d)
{
	if (ch->evh)
		ch->evh(ch, e, d, ch->arg);
}

/* ---- detectors' callbacks (inside the tick) ---- */

static void digit_h(void *arg, char digit, bool start, unsigned duration_ms,
		    int level_dbm0)
{
	struct dsp_chan *ch = arg;
	struct dsp_chan_evd d = { .digit = digit, .duration_ms = duration_ms };
	(void)level_dbm0;
	if (start)
		ch->st.digits_rx++;
	ev(ch, start ? DSP_CHAN_EV_DIGIT : DSP_CHAN_EV_DIGIT_END, &d);
}

static void fax_h(void *arg, enum dsp_faxdet_tone tone,
		  enum dsp_faxdet_tone ended)
{
	struct dsp_chan *ch = arg;
	struct dsp_chan_evd d = { .tone = (int)tone };
	(void)ended;
	if (tone != DSP_FAXDET_NONE)
		ev(ch, DSP_CHAN_EV_FAX_TONE, &d);
}

static int dec_h(void *arg, const uint8_t *p, size_t plen, int16_t *pcm,
		 size_t max, size_t *n)
{
	return dsp_codec_decode(arg, p, plen, pcm, max, n);
}

/* ---- sending ---- */

/*
 * Where media goes: the latched source of the peer's packets (symmetric
 * RTP), else the address from the SDP. False when there is none yet.
 */
static bool chan_dst(const struct dsp_chan *ch, struct sockaddr_storage *dst,
		     socklen_t *dlen)
{
	if (!dsp_rtp_rx_peer(&ch->rx, dst, dlen))
		return true;
	if (!sa_port(&ch->cfg.remote))
		return false;
	*dst = ch->cfg.remote;
	*dlen = sa_len(dst);
	return true;
}

static void send_pkt(struct dsp_chan *ch, uint8_t *buf, size_t len,
		     size_t size)
{
	struct sockaddr_storage dst;
	socklen_t dlen;

	if (ch->srtp && dsp_srtp_protect_rtp(ch->srtp, buf, &len, size)) {
		ch->st.send_err++;
		return;
	}
	if (!chan_dst(ch, &dst, &dlen))
		return; /* nowhere to send yet */
	if (dsp_rtp_sock_send(ch->rtp_fd, buf, len, (struct sockaddr *)&dst,
			      dlen))
		ch->st.send_err++;
	else
		ch->st.rtp_tx++;
}

void dsp_chan_tick(struct dsp_chan *ch, const uint8_t *rx, uint8_t *tx)
{
	dsp_chan_tick_opt(ch, rx, tx, 0);
}

void dsp_chan_tick_opt(struct dsp_chan *ch, const uint8_t *rx, uint8_t *tx,
		       unsigned opt)
{
	int16_t pcm[DSP_CHAN_TICK], clean[DSP_CHAN_TICK], play[DSP_CHAN_TICK];
	uint8_t buf[DSP_RTP_MAX_PACKET];
	struct dsp_dtmf_out dout;
	size_t len;

	ch->st.ticks++;

	/* TDM -> RTP */
	dsp_law_decode(ch->cfg.tdm_law, rx, pcm, DSP_CHAN_TICK);
	if (ch->ec && (opt & DSP_CHAN_TICK_LEAN)) {
		ch->st.lean_ticks++;
		dsp_echo_set_hold(ch->ec, true);
		dsp_echo_process(ch->ec, pcm, ch->tx_ref, clean, DSP_CHAN_TICK);
		dsp_echo_set_hold(ch->ec, false);
	} else if (ch->ec) {
		dsp_echo_process(ch->ec, pcm, ch->tx_ref, clean, DSP_CHAN_TICK);
	} else {
		memcpy(clean, pcm, sizeof(clean));
	}
	memset(&dout, 0, sizeof(dout));
	if (ch->det)
		dsp_dtmf_det_process(ch->det, clean, DSP_CHAN_TICK, ch->tx.ts,
				     &dout);
	if (ch->fax)
		dsp_faxdet_process(ch->fax, clean, DSP_CHAN_TICK);
	for (unsigned i = 0; i < dout.npkt; i++) {
		if (!dsp_rtp_tx_raw(&ch->tx, buf, sizeof(buf) - DSP_SRTP_MAX_OVERHEAD,
				    (uint8_t)ch->cfg.dtmf_pt, dout.pkt[i].ts,
				    dout.pkt[i].marker, dout.pkt[i].payload, 4,
				    &len))
			send_pkt(ch, buf, len, sizeof(buf));
	}
	if (dout.muted) {
		/* a digit is on: RFC 4733 carries it, the audio clock goes on
		 * without audio packets (RFC 4733 §2.5.1.2) */
		dsp_rtp_tx_skip(&ch->tx, DSP_CHAN_TICK);
	} else if (dsp_codec_frame_samples(ch->codec) == DSP_CHAN_TICK &&
		   !dsp_codec_pending(ch->codec)) {
		/* ptime = tick: one frame, encoded straight from the block
		 * without the packetisation FIFO's copies */
		uint8_t pay[DSP_CODEC_MAX_PAYLOAD];
		size_t plen;
		if (!dsp_codec_encode(ch->codec, clean, DSP_CHAN_TICK, pay,
				      sizeof(pay), &plen) &&
		    !dsp_rtp_tx_audio(&ch->tx, buf,
				      sizeof(buf) - DSP_SRTP_MAX_OVERHEAD,
				      ch->cfg.pt, DSP_CHAN_TICK, pay, plen,
				      &len))
			send_pkt(ch, buf, len, sizeof(buf));
	} else if (!dsp_codec_push(ch->codec, clean, DSP_CHAN_TICK)) {
		uint8_t pay[DSP_CODEC_MAX_PAYLOAD];
		size_t plen;
		while (!dsp_codec_pull(ch->codec, pay, sizeof(pay), &plen)) {
			if (dsp_rtp_tx_audio(&ch->tx, buf,
					     sizeof(buf) - DSP_SRTP_MAX_OVERHEAD,
					     ch->cfg.pt,
					     (uint32_t)dsp_codec_frame_samples(ch->codec),
					     pay, plen, &len))
				break;
			send_pkt(ch, buf, len, sizeof(buf));
		}
	}

	/* RTP -> TDM: the jitter buffer never waits for the network */
	dsp_jb_get(ch->jb, play);
	if (ch->gen)
		dsp_dtmf_gen_process(ch->gen, play, DSP_CHAN_TICK);
	dsp_law_encode(ch->cfg.tdm_law, play, tx, DSP_CHAN_TICK);
	/* the reference is what the line really carries: the coded block */
	dsp_law_decode(ch->cfg.tdm_law, tx, ch->tx_ref, DSP_CHAN_TICK);

	if (ch->cfg.media_timeout_ms && !ch->timeout_reported &&
	    dsp_rtp_rx_timeout(&ch->rx, now_us())) {
		ch->timeout_reported = true;
		ev(ch, DSP_CHAN_EV_MEDIA_TIMEOUT, NULL);
	}
}

/* ---- receiving ---- */

/* One received RTCP compound packet (SRTCP protected if SRTP is on). */
static void rtcp_input(struct dsp_chan *ch, uint8_t *buf, size_t len)
{
	struct dsp_rtcp_info info;

	if (ch->srtp && dsp_srtp_unprotect_rtcp(ch->srtp, buf, &len)) {
		ch->st.rtcp_dropped++;
		return;
	}
	if (dsp_rtcp_input(&ch->rtcp, buf, len, ch->tx.ssrc,
			   dsp_rtcp_ntp_now(), &info))
		ch->st.rtcp_dropped++;
	else
		ch->st.rtcp_rx++;
}

/* One received RTP datagram (after SRTP) into the channel. */
static void rtp_input(struct dsp_chan *ch, uint8_t *buf, size_t len,
		      const struct sockaddr_storage *src, socklen_t slen)
{
	struct dsp_rtp_hdr hdr;
	const uint8_t *payload;
	size_t plen;

	/*
	 * RTCP on the RTP port (RFC 5761 §4): negotiated, or keepalives and
	 * reports of peers that send there anyway; RTCP packet types never
	 * look like the payload types of an audio stream.
	 */
	if (dsp_rtp_is_rtcp(buf, len)) {
		rtcp_input(ch, buf, len);
		return;
	}
	if (ch->srtp && dsp_srtp_unprotect_rtp(ch->srtp, buf, &len)) {
		ch->st.rx_dropped++;
		return;
	}
	int r = dsp_rtp_rx_input(&ch->rx, buf, len, now_us(),
				 (const struct sockaddr *)src, slen, &hdr,
				 &payload, &plen);
	if (r) {
		/* EAGAIN: probation or resync of a new source, not a bad
		 * packet (the rx counters have the details) */
		if (r != EAGAIN)
			ch->st.rx_dropped++;
		return;
	}
	ch->st.rtp_rx++;
	ch->timeout_reported = false;
	if (ch->cfg.dtmf_pt >= 0 && hdr.pt == ch->cfg.dtmf_pt) {
		if (ch->gen && !dsp_dtmf_gen_event(ch->gen, hdr.ts, hdr.marker,
						   payload, plen))
			ch->st.digits_tx++;
		return;
	}
	dsp_jb_put(ch->jb, hdr.seq, hdr.ts, payload, plen);
}

/*
 * Datagrams per receive call. The steady state is one packet per 20 ms,
 * so one recvmmsg() normally returns it without the extra call that
 * would only learn EAGAIN; a burst is read RECV_BATCH at a time.
 */
#define RECV_BATCH 4
#define RECV_ROUNDS 16  /* a flood cannot keep the loop here */

static void rtp_readable(uv_poll_t *h, int status, int events)
{
	struct dsp_chan *ch = h->data;
	uint8_t buf[RECV_BATCH][DSP_RTP_MAX_PACKET + 64];
	struct sockaddr_storage src[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	struct mmsghdr mm[RECV_BATCH];
	(void)events;

	if (status < 0)
		return;
	for (int round = 0; round < RECV_ROUNDS; round++) {
		memset(mm, 0, sizeof(mm));
		for (unsigned i = 0; i < RECV_BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = sizeof(buf[i]);
			mm[i].msg_hdr.msg_name = &src[i];
			mm[i].msg_hdr.msg_namelen = sizeof(src[i]);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		int got = recvmmsg(ch->rtp_fd, mm, RECV_BATCH, MSG_DONTWAIT,
				   NULL);
		if (got <= 0)
			break;
		for (int i = 0; i < got; i++) {
			if (mm[i].msg_hdr.msg_flags & MSG_TRUNC) {
				ch->st.rx_dropped++;
				continue;
			}
			rtp_input(ch, buf[i], mm[i].msg_len, &src[i],
				  mm[i].msg_hdr.msg_namelen);
		}
		if (got < RECV_BATCH)
			break; /* drained: no call just to learn EAGAIN */
	}
}

static void rtcp_readable(uv_poll_t *h, int status, int events)
{
	struct dsp_chan *ch = h->data;
	uint8_t buf[1500];
	struct sockaddr_storage src;
	socklen_t slen;
	size_t len;
	(void)events;

	if (status < 0)
		return;
	for (int n = 0; n < 16; n++) {
		slen = sizeof(src);
		if (dsp_rtp_sock_recv(ch->rtcp_fd, buf, sizeof(buf), &len, &src,
				      &slen))
			break;
		rtcp_input(ch, buf, len);
	}
}

/*
 * RTCP interval (RFC 3550 §6.2, §6.3.1): 5 s for a two-party session,
 * the first report after half of it, each times a random factor in
 * [0.5, 1.5] so that channels set up together (a span coming back, a
 * burst of calls) do not all report in the same tick.
 */
#define RTCP_INTERVAL_MS 5000

static uint64_t rtcp_next_ms(struct dsp_chan *ch, uint64_t base_ms)
{
	/* xorshift32, seeded from our SSRC (random) */
	uint32_t x = ch->rtcp_rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	ch->rtcp_rng = x;
	return base_ms / 2 + (uint64_t)((double)base_ms * (x / 4294967296.0));
}

static void rtcp_timer_cb(uv_timer_t *t)
{
	struct dsp_chan *ch = t->data;
	uint8_t buf[1500];
	size_t len;
	struct sockaddr_storage dst;
	socklen_t dlen;

	uv_timer_start(&ch->rtcp_timer, rtcp_timer_cb,
		       rtcp_next_ms(ch, RTCP_INTERVAL_MS), 0);
	if (dsp_rtcp_build(&ch->rtcp, &ch->tx, &ch->rx, dsp_rtcp_ntp_now(),
			   false, NULL, buf, sizeof(buf) - DSP_SRTP_MAX_OVERHEAD,
			   &len))
		return;
	if (ch->srtp && dsp_srtp_protect_rtcp(ch->srtp, buf, &len, sizeof(buf)))
		return;
	if (!chan_dst(ch, &dst, &dlen))
		return;
	if (ch->cfg.rtcp_mux) {
		/* RFC 5761: on the RTP flow, both ways */
		if (!dsp_rtp_sock_send(ch->rtp_fd, buf, len,
				       (struct sockaddr *)&dst, dlen))
			ch->st.rtcp_tx++;
		return;
	}
	/*
	 * To the port of the peer's a=rtcp (RFC 3605) while we send to its
	 * SDP address; to the RTP port + 1 (RFC 3550 §11) otherwise, also
	 * of a latched source (a NAT maps RTCP next to it, if anywhere).
	 */
	uint16_t port = (uint16_t)(sa_port(&dst) + 1);

	if (ch->cfg.rtcp_port && sa_port(&ch->cfg.remote) == sa_port(&dst))
		port = ch->cfg.rtcp_port;
	if (dst.ss_family == AF_INET)
		((struct sockaddr_in *)&dst)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&dst)->sin6_port = htons(port);
	if (!dsp_rtp_sock_send(ch->rtcp_fd, buf, len, (struct sockaddr *)&dst,
			       dlen))
		ch->st.rtcp_tx++;
}

/* ---- life cycle ---- */

static void free_parts(struct dsp_chan *ch)
{
	dsp_codec_free(ch->codec);
	dsp_codec_free(ch->decoder);
	dsp_jb_free(ch->jb);
	dsp_echo_free(ch->ec);
	dsp_dtmf_det_free(ch->det);
	dsp_dtmf_gen_free(ch->gen);
	dsp_faxdet_free(ch->fax);
	dsp_srtp_free(ch->srtp);
}

static void handle_closed(uv_handle_t *h)
{
	struct dsp_chan *ch = h->data;

	if (--ch->closing)
		return;
	if (ch->rtp_fd >= 0)
		close(ch->rtp_fd);
	if (ch->rtcp_fd >= 0)
		close(ch->rtcp_fd);
	free_parts(ch);
	free(ch);
}

/* The jitter buffer of cfg (its defaults where cfg says 0). */
static void jb_cfg(const struct dsp_chan_cfg *cfg, bool passthrough,
		   struct dsp_jb_cfg *jbc)
{
	dsp_jb_cfg_default(jbc);
	jbc->tick = DSP_CHAN_TICK;
	if (cfg->jb_min_ms)
		jbc->min_ms = cfg->jb_min_ms;
	if (cfg->jb_max_ms)
		jbc->max_ms = cfg->jb_max_ms;
	if (cfg->jb_fixed_ms)
		jbc->fixed_ms = cfg->jb_fixed_ms;
	if (cfg->jb_fixed || passthrough)
		jbc->mode = DSP_JB_FIXED;
}

/* Encoder, decoder and jitter buffer for cfg's payload; all or none. */
static int payload_alloc(const struct dsp_chan_cfg *cfg, bool passthrough,
			 struct dsp_codec **codec, struct dsp_codec **decoder,
			 struct dsp_jb **jb)
{
	struct dsp_jb_cfg jbc;
	int err;

	*codec = *decoder = NULL;
	*jb = NULL;
	err = dsp_codec_alloc(codec, cfg->codec, cfg->ptime);
	if (!err)
		err = dsp_codec_alloc(decoder, cfg->codec, cfg->ptime);
	if (!err) {
		jb_cfg(cfg, passthrough, &jbc);
		err = dsp_jb_alloc(jb, &jbc, dec_h, *decoder);
	}
	if (err) {
		dsp_codec_free(*codec);
		dsp_codec_free(*decoder);
		*codec = *decoder = NULL;
	}
	return err;
}

/* DTMF detector and generator (RFC 4733 events); both or none. */
static int dtmf_alloc(struct dsp_chan *ch, struct dsp_dtmf_det **det,
		      struct dsp_dtmf_gen **gen)
{
	struct dsp_dtmf_det_cfg dc;
	struct dsp_dtmf_gen_cfg gc;
	int err;

	*det = NULL;
	*gen = NULL;
	dsp_dtmf_det_cfg_default(&dc);
	dsp_dtmf_gen_cfg_default(&gc);
	err = dsp_dtmf_det_alloc(det, &dc, digit_h, ch);
	if (!err)
		err = dsp_dtmf_gen_alloc(gen, &gc);
	if (err) {
		dsp_dtmf_det_free(*det);
		*det = NULL;
	}
	return err;
}

/* The payload types the receiver accepts: the codec's and the events'. */
static void rx_pts(struct dsp_rtp_rx_cfg *rxc, const struct dsp_chan_cfg *cfg)
{
	memset(rxc->pt_mask, 0, sizeof(rxc->pt_mask));
	rxc->event_pt = cfg->dtmf_pt;
	dsp_rtp_rx_cfg_allow_pt(rxc, cfg->pt);
	if (cfg->dtmf_pt >= 0)
		dsp_rtp_rx_cfg_allow_pt(rxc, (uint8_t)cfg->dtmf_pt);
}

int dsp_chan_alloc(struct dsp_chan **chp, uv_loop_t *loop,
		   const struct dsp_chan_cfg *cfg, dsp_chan_ev_h *evh,
		   void *arg)
{
	struct dsp_chan *ch;
	struct dsp_rtp_rx_cfg rxc;
	int err;

	if (!chp || !loop || !cfg || !dsp_codec_ptime_valid(cfg->ptime) ||
	    cfg->port_min > cfg->port_max || cfg->dtmf_pt > 127)
		return EINVAL;
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return ENOMEM;
	ch->cfg = *cfg;
	ch->loop = loop;
	ch->evh = evh;
	ch->arg = arg;
	ch->rtp_fd = ch->rtcp_fd = -1;

	err = payload_alloc(cfg, false, &ch->codec, &ch->decoder, &ch->jb);
	if (err)
		goto fail;
	if (cfg->ec) {
		struct dsp_echo_cfg ecc;
		dsp_echo_cfg_default(&ecc);
		if (cfg->ec_taps)
			ecc.taps = cfg->ec_taps;
		ch->ec = dsp_echo_alloc(&ecc);
		if (!ch->ec) {
			err = ENOMEM;
			goto fail;
		}
	}
	if (cfg->dtmf_pt >= 0) {
		err = dtmf_alloc(ch, &ch->det, &ch->gen);
		if (err)
			goto fail;
	}
	if (cfg->faxdet) {
		struct dsp_faxdet_cfg fc;
		dsp_faxdet_cfg_default(&fc);
		err = dsp_faxdet_alloc(&ch->fax, &fc, fax_h, ch);
		if (err)
			goto fail;
	}
	if (cfg->srtp) {
		err = dsp_srtp_alloc(&ch->srtp, cfg->suite, cfg->tx_key,
				     cfg->tx_key_len, cfg->rx_key,
				     cfg->rx_key_len);
		if (err)
			goto fail;
	}
	err = dsp_rtp_tx_init(&ch->tx);
	if (err)
		goto fail;
	dsp_rtp_rx_cfg_default(&rxc);
	rxc.latch = cfg->latch;
	rxc.timeout_ms = cfg->media_timeout_ms;
	rx_pts(&rxc, cfg);
	dsp_rtp_rx_init(&ch->rx, &rxc);
	if (sa_port(&cfg->remote))
		dsp_rtp_rx_set_peer(&ch->rx, (const struct sockaddr *)&cfg->remote,
				    sa_len(&cfg->remote));
	dsp_rtcp_init(&ch->rtcp, cfg->cname ? cfg->cname : "pstngw");

	err = dsp_rtp_sock_open_pair((const struct sockaddr *)&cfg->local,
				     sa_len(&cfg->local), cfg->port_min,
				     cfg->port_max, &ch->rtp_fd, &ch->rtcp_fd,
				     &ch->port);
	if (err)
		goto fail;
	err = uv_poll_init(loop, &ch->rtp_poll, ch->rtp_fd);
	if (err) {
		err = -err;
		goto fail;
	}
	err = uv_poll_init(loop, &ch->rtcp_poll, ch->rtcp_fd);
	if (err) {
		err = -err;
		ch->rtp_poll.data = ch;
		ch->closing = 1;
		uv_close((uv_handle_t *)&ch->rtp_poll, handle_closed);
		return err; /* freed when the handle has closed */
	}
	uv_timer_init(loop, &ch->rtcp_timer);
	ch->rtp_poll.data = ch->rtcp_poll.data = ch->rtcp_timer.data = ch;
	ch->polls_open = true;
	uv_poll_start(&ch->rtp_poll, UV_READABLE, rtp_readable);
	uv_poll_start(&ch->rtcp_poll, UV_READABLE, rtcp_readable);
	ch->rtcp_rng = ch->tx.ssrc ? ch->tx.ssrc : 0x9e3779b9u;
	uv_timer_start(&ch->rtcp_timer, rtcp_timer_cb,
		       rtcp_next_ms(ch, RTCP_INTERVAL_MS / 2), 0);
	*chp = ch;
	return 0;
fail:
	if (ch->rtp_fd >= 0)
		close(ch->rtp_fd);
	if (ch->rtcp_fd >= 0)
		close(ch->rtcp_fd);
	free_parts(ch);
	free(ch);
	return err;
}

void dsp_chan_free(struct dsp_chan *ch)
{
	if (!ch)
		return;
	ch->closing = 3;
	uv_close((uv_handle_t *)&ch->rtp_poll, handle_closed);
	uv_close((uv_handle_t *)&ch->rtcp_poll, handle_closed);
	uv_close((uv_handle_t *)&ch->rtcp_timer, handle_closed);
}

uint16_t dsp_chan_port(const struct dsp_chan *ch)
{
	return ch->port;
}

void dsp_chan_set_remote(struct dsp_chan *ch, const struct sockaddr *sa,
			 socklen_t len)
{
	if (len > sizeof(ch->cfg.remote))
		return;
	memset(&ch->cfg.remote, 0, sizeof(ch->cfg.remote));
	memcpy(&ch->cfg.remote, sa, len);
	dsp_rtp_rx_set_peer(&ch->rx, sa, len);
}

void dsp_chan_set_rtcp(struct dsp_chan *ch, bool mux, uint16_t rtcp_port)
{
	ch->cfg.rtcp_mux = mux;
	ch->cfg.rtcp_port = rtcp_port;
}

int dsp_chan_set_media(struct dsp_chan *ch, const struct dsp_chan_cfg *cfg)
{
	struct dsp_codec *codec = NULL, *decoder = NULL;
	struct dsp_jb *jb = NULL;
	struct dsp_dtmf_det *det = NULL;
	struct dsp_dtmf_gen *gen = NULL;
	struct dsp_rtp_rx_cfg rxc;
	int err;

	if (!ch || !cfg || !dsp_codec_ptime_valid(cfg->ptime) ||
	    cfg->dtmf_pt > 127)
		return EINVAL;
	/* the channel's configuration with cfg's payload */
	struct dsp_chan_cfg nc = ch->cfg;

	nc.codec = cfg->codec;
	nc.pt = cfg->pt;
	nc.ptime = cfg->ptime;
	nc.dtmf_pt = cfg->dtmf_pt;
	/* everything that can fail first: on error nothing has changed */
	err = payload_alloc(&nc, ch->passthrough, &codec, &decoder, &jb);
	if (err)
		return err;
	if (cfg->dtmf_pt >= 0 && !ch->det) {
		err = dtmf_alloc(ch, &det, &gen);
		if (err) {
			dsp_jb_free(jb);
			dsp_codec_free(codec);
			dsp_codec_free(decoder);
			return err;
		}
	}
	dsp_codec_free(ch->codec);
	dsp_codec_free(ch->decoder);
	dsp_jb_free(ch->jb);
	ch->codec = codec;
	ch->decoder = decoder;
	ch->jb = jb;
	if (cfg->dtmf_pt < 0) {
		dsp_dtmf_det_free(ch->det);
		dsp_dtmf_gen_free(ch->gen);
		ch->det = NULL;
		ch->gen = NULL;
	} else if (det) {
		ch->det = det;
		ch->gen = gen;
	}
	ch->cfg = nc;
	/* the same stream goes on with other payload types */
	rxc = ch->rx.cfg;
	rx_pts(&rxc, &ch->cfg);
	dsp_rtp_rx_set_cfg(&ch->rx, &rxc);
	return 0;
}

void dsp_chan_set_passthrough(struct dsp_chan *ch, bool on)
{
	ch->passthrough = on;
	if (ch->ec)
		dsp_echo_set_disabled(ch->ec, on);
	dsp_jb_set_mode(ch->jb, on || ch->cfg.jb_fixed ? DSP_JB_FIXED
						       : DSP_JB_ADAPTIVE);
}

int dsp_chan_play_digit(struct dsp_chan *ch, char digit, unsigned ms)
{
	if (!ch->gen)
		return EINVAL;
	return dsp_dtmf_gen_digit(ch->gen, digit, ms, -10);
}

void dsp_chan_stats(const struct dsp_chan *ch, struct dsp_chan_stats *st)
{
	*st = ch->st;
	dsp_rtp_stats_get(&ch->rtcp, &ch->tx, &ch->rx, &st->rtp);
	if (ch->ec) {
		struct dsp_echo_stats es;
		dsp_echo_get_stats(ch->ec, &es);
		st->erle_db = es.erle_db;
	}
}
