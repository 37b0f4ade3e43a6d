/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Media path benchmark (everything but the echo canceller): per channel
 * and 20 ms frame, the PSTN->IP half (A-law TDM block to linear, DTMF
 * detection, fax tone detection, G.711 encode, RTP pack, optional SRTP
 * protect, sendto on loopback) and the IP->PSTN half (recvfrom, optional
 * SRTP unprotect, RTP receive validation, jitter buffer put/get with
 * decode, linear to A-law). Reports thread CPU microseconds per channel
 * per frame for each half, and the channels one core could carry.
 *
 * Usage: media_bench [-c channels] [-f frames]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <spandsp.h>

#include "dsp/codec.h"
#include "dsp/dtmf.h"
#include "dsp/faxdet.h"
#include "dsp/jitter.h"
#include "dsp/rtp.h"
#include "dsp/srtp.h"

#define TICK 160

struct chan {
	int tx_fd, rx_fd;
	struct sockaddr_in dst;
	struct dsp_rtp_tx tx;
	struct dsp_rtp_rx rx;
	struct dsp_codec *enc, *dec;
	struct dsp_dtmf_det *dtmf;
	struct dsp_faxdet *fax;
	struct dsp_jb *jb;
	struct dsp_srtp *srtp_a, *srtp_b;
	uint64_t sent, recvd, dropped;
};

static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void fax_h(void *arg, enum dsp_faxdet_tone tone, enum dsp_faxdet_tone ended)
{
	(void)arg;
	(void)tone;
	(void)ended;
}

static int dec_h(void *arg, const uint8_t *p, size_t plen, int16_t *pcm,
		 size_t max, size_t *n)
{
	return dsp_codec_decode(arg, p, plen, pcm, max, n);
}

static int chan_open(struct chan *c, bool srtp)
{
	struct sockaddr_in lo = { .sin_family = AF_INET };
	struct dsp_rtp_rx_cfg rcfg;
	struct dsp_dtmf_det_cfg dcfg;
	struct dsp_faxdet_cfg fcfg;
	struct dsp_jb_cfg jcfg;
	uint16_t port;
	int err;

	memset(c, 0, sizeof(*c));
	inet_pton(AF_INET, "127.0.0.1", &lo.sin_addr);
	err = dsp_rtp_sock_open_pair((struct sockaddr *)&lo, sizeof(lo), 20000, 20999,
				     &c->tx_fd, &c->rx_fd, &port);
	if (err)
		return err;
	c->dst = lo;
	c->dst.sin_port = htons((uint16_t)(port + 1));
	if ((err = dsp_rtp_tx_init(&c->tx)))
		return err;
	dsp_rtp_rx_cfg_default(&rcfg);
	dsp_rtp_rx_cfg_allow_pt(&rcfg, DSP_CODEC_PCMA);
	dsp_rtp_rx_cfg_allow_pt(&rcfg, 101);
	rcfg.event_pt = 101;
	rcfg.latch = true;
	rcfg.timeout_ms = 30000;
	dsp_rtp_rx_init(&c->rx, &rcfg);
	if ((err = dsp_codec_alloc(&c->enc, DSP_CODEC_PCMA, 20)) ||
	    (err = dsp_codec_alloc(&c->dec, DSP_CODEC_PCMA, 20)))
		return err;
	dsp_dtmf_det_cfg_default(&dcfg);
	if ((err = dsp_dtmf_det_alloc(&c->dtmf, &dcfg, NULL, NULL)))
		return err;
	dsp_faxdet_cfg_default(&fcfg);
	if ((err = dsp_faxdet_alloc(&c->fax, &fcfg, fax_h, NULL)))
		return err;
	dsp_jb_cfg_default(&jcfg);
	if ((err = dsp_jb_alloc(&c->jb, &jcfg, dec_h, c->dec)))
		return err;
	if (srtp) {
		uint8_t ka[DSP_SRTP_MAX_KEY], kb[DSP_SRTP_MAX_KEY];
		size_t la, lb;
		if ((err = dsp_srtp_keygen(DSP_SRTP_AES_CM_128_HMAC_SHA1_80, ka,
					   sizeof(ka), &la)) ||
		    (err = dsp_srtp_keygen(DSP_SRTP_AES_CM_128_HMAC_SHA1_80, kb,
					   sizeof(kb), &lb)) ||
		    (err = dsp_srtp_alloc(&c->srtp_a, DSP_SRTP_AES_CM_128_HMAC_SHA1_80,
					  ka, la, kb, lb)) ||
		    (err = dsp_srtp_alloc(&c->srtp_b, DSP_SRTP_AES_CM_128_HMAC_SHA1_80,
					  kb, lb, ka, la)))
			return err;
	}
	return 0;
}

static void chan_close(struct chan *c)
{
	close(c->tx_fd);
	close(c->rx_fd);
	dsp_codec_free(c->enc);
	dsp_codec_free(c->dec);
	dsp_dtmf_det_free(c->dtmf);
	dsp_faxdet_free(c->fax);
	dsp_jb_free(c->jb);
	dsp_srtp_free(c->srtp_a);
	dsp_srtp_free(c->srtp_b);
}

/* PSTN -> IP for one channel and one frame. */
static void tx_frame(struct chan *c, const uint8_t *tdm, uint64_t now)
{
	int16_t pcm[TICK];
	uint8_t pl[TICK], pkt[DSP_RTP_MAX_PACKET];
	struct dsp_dtmf_out dout;
	size_t plen, len;
	(void)now;

	dsp_law_decode(DSP_LAW_ALAW, tdm, pcm, TICK);
	dsp_dtmf_det_process(c->dtmf, pcm, TICK, c->tx.ts, &dout);
	dsp_faxdet_process(c->fax, pcm, TICK);
	if (dsp_codec_encode(c->enc, pcm, TICK, pl, sizeof(pl), &plen) ||
	    dsp_rtp_tx_audio(&c->tx, pkt, sizeof(pkt), DSP_CODEC_PCMA, TICK, pl,
			     plen, &len))
		return;
	if (c->srtp_a && dsp_srtp_protect_rtp(c->srtp_a, pkt, &len, sizeof(pkt)))
		return;
	if (!dsp_rtp_sock_send(c->tx_fd, pkt, len, (struct sockaddr *)&c->dst,
			       sizeof(c->dst)))
		c->sent++;
}

/* IP -> PSTN for one channel and one frame. */
static void rx_frame(struct chan *c, uint8_t *tdm, uint64_t now)
{
	uint8_t pkt[DSP_RTP_MAX_PACKET];
	struct sockaddr_storage src;
	socklen_t sl;
	size_t len;
	int16_t pcm[TICK];

	/* bounded: at most a few datagrams per frame */
	for (int i = 0; i < 4; i++) {
		struct dsp_rtp_hdr h;
		const uint8_t *pl;
		size_t plen;
		if (dsp_rtp_sock_recv(c->rx_fd, pkt, sizeof(pkt), &len, &src, &sl))
			break;
		if (c->srtp_b && dsp_srtp_unprotect_rtp(c->srtp_b, pkt, &len)) {
			c->dropped++;
			continue;
		}
		if (dsp_rtp_rx_input(&c->rx, pkt, len, now, (struct sockaddr *)&src, sl,
				     &h, &pl, &plen)) {
			c->dropped++;
			continue;
		}
		if (dsp_jb_put(c->jb, h.seq, h.ts, pl, plen) == 0)
			c->recvd++;
	}
	dsp_jb_get(c->jb, pcm);
	dsp_law_encode(DSP_LAW_ALAW, pcm, tdm, TICK);
}

static int run(unsigned nch, unsigned frames, bool srtp, const uint8_t *src,
	       size_t src_len)
{
	struct chan *ch = calloc(nch, sizeof(*ch));
	double tx_us = 0, rx_us = 0;
	uint64_t sent = 0, recvd = 0, dropped = 0;
	uint8_t out[TICK];
	int err = 0;

	if (!ch)
		return ENOMEM;
	for (unsigned i = 0; i < nch; i++) {
		err = chan_open(&ch[i], srtp);
		if (err) {
			fprintf(stderr, "channel %u: %s\n", i, strerror(err));
			nch = i;
			goto out;
		}
	}
	for (unsigned f = 0; f < frames; f++) {
		uint64_t now = (uint64_t)f * 20000;
		double t0 = cpu_us(), t1, t2;
		for (unsigned i = 0; i < nch; i++) {
			size_t off = ((size_t)(f + i * 7) * TICK) % (src_len - TICK);
			tx_frame(&ch[i], src + off, now);
		}
		t1 = cpu_us();
		for (unsigned i = 0; i < nch; i++)
			rx_frame(&ch[i], out, now);
		t2 = cpu_us();
		tx_us += t1 - t0;
		rx_us += t2 - t1;
	}
	for (unsigned i = 0; i < nch; i++) {
		sent += ch[i].sent;
		recvd += ch[i].recvd;
		dropped += ch[i].dropped;
	}
	double per_tx = tx_us / ((double)nch * frames);
	double per_rx = rx_us / ((double)nch * frames);
	printf("%-10s tx %.2f us  rx %.2f us  total %.2f us per channel per 20 ms frame"
	       "  -> %.0f channels per core  (packets sent %llu, played %llu, dropped %llu)\n",
	       srtp ? "srtp-sha80" : "rtp", per_tx, per_rx, per_tx + per_rx,
	       20000.0 / (per_tx + per_rx), (unsigned long long)sent,
	       (unsigned long long)recvd, (unsigned long long)dropped);
	printf("RESULT media_%s_us_per_frame=%.2f channels_per_core=%.0f\n",
	       srtp ? "srtp" : "rtp", per_tx + per_rx, 20000.0 / (per_tx + per_rx));
	if (recvd < sent * 9 / 10)
		err = EIO;
out:
	for (unsigned i = 0; i < nch; i++)
		chan_close(&ch[i]);
	free(ch);
	return err;
}

/* Cost of each stage alone, on one channel, over `frames` frames. */
static void components(unsigned frames, const uint8_t *src, size_t src_len)
{
	struct chan c;
	int16_t pcm[TICK];
	uint8_t pl[TICK], pkt[DSP_RTP_MAX_PACKET];
	size_t plen, len;
	double t0, us[7] = { 0 };
	static const char *const names[7] = {
		"alaw->linear", "dtmf detect", "fax tones", "g711 encode",
		"rtp pack", "srtp protect", "sendto",
	};

	if (chan_open(&c, true))
		return;
	for (unsigned f = 0; f < frames; f++) {
		struct dsp_dtmf_out dout;
		const uint8_t *tdm = src + ((size_t)f * TICK) % (src_len - TICK);
		t0 = cpu_us();
		dsp_law_decode(DSP_LAW_ALAW, tdm, pcm, TICK);
		us[0] += cpu_us() - t0;
		t0 = cpu_us();
		dsp_dtmf_det_process(c.dtmf, pcm, TICK, c.tx.ts, &dout);
		us[1] += cpu_us() - t0;
		t0 = cpu_us();
		dsp_faxdet_process(c.fax, pcm, TICK);
		us[2] += cpu_us() - t0;
		t0 = cpu_us();
		dsp_codec_encode(c.enc, pcm, TICK, pl, sizeof(pl), &plen);
		us[3] += cpu_us() - t0;
		t0 = cpu_us();
		dsp_rtp_tx_audio(&c.tx, pkt, sizeof(pkt), DSP_CODEC_PCMA, TICK, pl,
				 plen, &len);
		us[4] += cpu_us() - t0;
		t0 = cpu_us();
		dsp_srtp_protect_rtp(c.srtp_a, pkt, &len, sizeof(pkt));
		us[5] += cpu_us() - t0;
		t0 = cpu_us();
		dsp_rtp_sock_send(c.tx_fd, pkt, len, (struct sockaddr *)&c.dst,
				  sizeof(c.dst));
		us[6] += cpu_us() - t0;
		/* drain so the socket never fills */
		struct sockaddr_storage ss;
		socklen_t sl;
		dsp_rtp_sock_recv(c.rx_fd, pkt, sizeof(pkt), &len, &ss, &sl);
	}
	/* the thread CPU clock is a system call: measure and subtract it */
	double ov = 0;
	for (unsigned f = 0; f < frames; f++) {
		t0 = cpu_us();
		ov += cpu_us() - t0;
	}
	ov /= frames;
	printf("# stage costs, one channel, %u frames, clock read (%.2f us) subtracted:",
	       frames, ov);
	for (int i = 0; i < 7; i++)
		printf(" %s %.2f us;", names[i], us[i] / frames - ov);
	printf("\n");
	chan_close(&c);
}

int main(int argc, char **argv)
{
	unsigned nch = 64, frames = 500;
	int opt;

	while ((opt = getopt(argc, argv, "c:f:")) != -1) {
		if (opt == 'c')
			nch = (unsigned)atoi(optarg);
		else if (opt == 'f')
			frames = (unsigned)atoi(optarg);
		else {
			fprintf(stderr, "usage: %s [-c channels] [-f frames]\n", argv[0]);
			return 2;
		}
	}
	if (!nch || nch > 400 || !frames || frames > 100000) {
		fprintf(stderr, "channels 1..400, frames 1..100000\n");
		return 2;
	}
	if (dsp_srtp_global_init()) {
		fprintf(stderr, "srtp_init failed\n");
		return 1;
	}

	/* 2 s of speech-like A-law TDM input (Hoth noise, syllabic envelope) */
	size_t src_len = 16000;
	uint8_t *src = malloc(src_len);
	noise_state_t *ns = noise_init_dbm0(NULL, 99, -18.0f, NOISE_CLASS_HOTH, 5);
	if (!src || !ns)
		return 1;
	for (size_t i = 0; i < src_len; i++) {
		double env = 0.55 + 0.45 * sin(2 * M_PI * 4 * i / 8000.0);
		src[i] = dsp_law_encode1(DSP_LAW_ALAW, (int16_t)(noise(ns) * env * 2));
	}
	noise_free(ns);

	printf("# media path (no echo canceller): %u channels x %u frames of 20 ms, "
	       "PCMA, DTMF + CNG/ANS/V.21 detection, adaptive jitter buffer, "
	       "UDP over 127.0.0.1, thread CPU time, one thread\n", nch, frames);
	int err = run(nch, frames, false, src, src_len);
	if (!err)
		err = run(nch, frames, true, src, src_len);
	if (!err)
		components(frames * 4, src, src_len);
	free(src);
	if (err)
		fprintf(stderr, "media_bench: %s\n", strerror(err));
	return err ? 1 : 0;
}
