/* SPDX-License-Identifier: GPL-2.0-or-later */
/* End-to-end test of the media modules wired as the engine will wire a
 * channel, over real UDP sockets on 127.0.0.1: PSTN A (A-law) -> DTMF and
 * fax detection -> G.711/G.722 encode -> RTP -> SRTP -> UDP -> SRTP -> RTP
 * receive -> jitter buffer / RFC 4733 playout -> PSTN B (mu-law). A
 * digit dialled on side A must come out of side B once, as a tone a
 * spandsp receiver recognises, while the audio around it stays intact. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <spandsp.h>

#include "dsp/codec.h"
#include "dsp/dtmf.h"
#include "dsp/faxdet.h"
#include "dsp/jitter.h"
#include "dsp/rtp.h"
#include "dsp/srtp.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define TICK 160
#define EV_PT 101

struct side_a {
	int fd;
	struct sockaddr_in dst;
	struct dsp_rtp_tx tx;
	struct dsp_codec *enc;
	struct dsp_dtmf_det *det;
	struct dsp_faxdet *fax;
	struct dsp_srtp *srtp;
	unsigned fax_events;
};

struct side_b {
	int fd;
	struct dsp_rtp_rx rx;
	struct dsp_codec *dec;
	struct dsp_jb *jb;
	struct dsp_dtmf_gen *gen;
	struct dsp_srtp *srtp;
};

static int dec_h(void *arg, const uint8_t *p, size_t plen, int16_t *pcm,
		 size_t max, size_t *n)
{
	return dsp_codec_decode(arg, p, plen, pcm, max, n);
}

static void fax_h(void *arg, enum dsp_faxdet_tone tone, enum dsp_faxdet_tone ended)
{
	struct side_a *a = arg;
	(void)ended;
	if (tone != DSP_FAXDET_NONE)
		a->fax_events++;
}

static void send_pkt(struct side_a *a, uint8_t *pkt, size_t len, bool drop)
{
	if (a->srtp)
		assert_int_equal(dsp_srtp_protect_rtp(a->srtp, pkt, &len, DSP_RTP_MAX_PACKET + DSP_SRTP_MAX_OVERHEAD), 0);
	if (!drop)
		assert_int_equal(dsp_rtp_sock_send(a->fd, pkt, len,
						   (struct sockaddr *)&a->dst,
						   sizeof(a->dst)), 0);
}

/* One tick on side A: TDM A-law block in, packets out. */
static void a_tick(struct side_a *a, const uint8_t *tdm, enum dsp_codec_id id,
		   bool drop_audio, bool drop_event_start)
{
	int16_t pcm[TICK];
	uint8_t pl[TICK], pkt[DSP_RTP_MAX_PACKET + DSP_SRTP_MAX_OVERHEAD];
	struct dsp_dtmf_out out;
	size_t plen, len;

	dsp_law_decode(DSP_LAW_ALAW, tdm, pcm, TICK);
	dsp_dtmf_det_process(a->det, pcm, TICK, a->tx.ts, &out);
	dsp_faxdet_process(a->fax, pcm, TICK);
	for (unsigned i = 0; i < out.npkt; i++) {
		assert_int_equal(dsp_rtp_tx_raw(&a->tx, pkt, sizeof(pkt), EV_PT,
						out.pkt[i].ts, out.pkt[i].marker,
						out.pkt[i].payload, 4, &len), 0);
		send_pkt(a, pkt, len, drop_event_start && out.pkt[i].marker);
	}
	if (out.muted) {
		/* the digit goes as events only: keep the clock running */
		dsp_rtp_tx_skip(&a->tx, TICK);
		return;
	}
	assert_int_equal(dsp_codec_encode(a->enc, pcm, TICK, pl, sizeof(pl), &plen), 0);
	assert_int_equal(dsp_rtp_tx_audio(&a->tx, pkt, sizeof(pkt), (uint8_t)id, TICK,
					  pl, plen, &len), 0);
	send_pkt(a, pkt, len, drop_audio);
}

/* One tick on side B: packets in, TDM mu-law block out. */
static void b_tick(struct side_b *b, uint64_t now_us, uint8_t *tdm)
{
	uint8_t pkt[DSP_RTP_MAX_PACKET + DSP_SRTP_MAX_OVERHEAD];
	int16_t pcm[TICK];

	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage src;
		socklen_t sl;
		struct dsp_rtp_hdr h;
		const uint8_t *pl;
		size_t len, plen;
		int err = 0;
		/* loopback delivery is immediate; poll briefly, bounded */
		for (int t = 0; t < 50; t++) {
			err = dsp_rtp_sock_recv(b->fd, pkt, sizeof(pkt), &len, &src, &sl);
			if (err != EAGAIN || t > 0)
				break;
			usleep(200);
		}
		if (err)
			break;
		if (b->srtp && dsp_srtp_unprotect_rtp(b->srtp, pkt, &len))
			continue;
		if (dsp_rtp_rx_input(&b->rx, pkt, len, now_us, (struct sockaddr *)&src,
				     sl, &h, &pl, &plen))
			continue;
		if (h.pt == EV_PT)
			dsp_dtmf_gen_event(b->gen, h.ts, h.marker, pl, plen);
		else
			dsp_jb_put(b->jb, h.seq, h.ts, pl, plen);
	}
	dsp_jb_get(b->jb, pcm);
	dsp_dtmf_gen_process(b->gen, pcm, TICK);
	dsp_law_encode(DSP_LAW_ULAW, pcm, tdm, TICK);
}

static void run_call(enum dsp_codec_id id, bool srtp, bool lossy)
{
	struct side_a a;
	struct side_b b;
	struct sockaddr_in lo = { .sin_family = AF_INET };
	struct dsp_rtp_rx_cfg rcfg;
	struct dsp_dtmf_det_cfg dcfg;
	struct dsp_faxdet_cfg fcfg;
	struct dsp_dtmf_gen_cfg gcfg;
	struct dsp_jb_cfg jcfg;
	int a_rtcp, b_rtcp;
	uint16_t pa, pb;
	enum { TICKS = 150 }; /* 3 s */
	static int16_t src[TICKS * TICK], dst[TICKS * TICK];

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	inet_pton(AF_INET, "127.0.0.1", &lo.sin_addr);
	assert_int_equal(dsp_rtp_sock_open_pair((struct sockaddr *)&lo, sizeof(lo), 20000,
						20999, &a.fd, &a_rtcp, &pa), 0);
	assert_int_equal(dsp_rtp_sock_open_pair((struct sockaddr *)&lo, sizeof(lo), 20000,
						20999, &b.fd, &b_rtcp, &pb), 0);
	a.dst = lo;
	a.dst.sin_port = htons(pb);

	assert_int_equal(dsp_rtp_tx_init(&a.tx), 0);
	assert_int_equal(dsp_codec_alloc(&a.enc, id, 20), 0);
	dsp_dtmf_det_cfg_default(&dcfg);
	assert_int_equal(dsp_dtmf_det_alloc(&a.det, &dcfg, NULL, NULL), 0);
	dsp_faxdet_cfg_default(&fcfg);
	assert_int_equal(dsp_faxdet_alloc(&a.fax, &fcfg, fax_h, &a), 0);

	dsp_rtp_rx_cfg_default(&rcfg);
	dsp_rtp_rx_cfg_allow_pt(&rcfg, (uint8_t)id);
	dsp_rtp_rx_cfg_allow_pt(&rcfg, EV_PT);
	rcfg.event_pt = EV_PT;
	rcfg.latch = true;
	dsp_rtp_rx_init(&b.rx, &rcfg);
	assert_int_equal(dsp_codec_alloc(&b.dec, id, 20), 0);
	dsp_jb_cfg_default(&jcfg);
	assert_int_equal(dsp_jb_alloc(&b.jb, &jcfg, dec_h, b.dec), 0);
	dsp_dtmf_gen_cfg_default(&gcfg);
	assert_int_equal(dsp_dtmf_gen_alloc(&b.gen, &gcfg), 0);
	if (srtp) {
		uint8_t k1[DSP_SRTP_MAX_KEY], k2[DSP_SRTP_MAX_KEY];
		size_t l1, l2;
		assert_int_equal(dsp_srtp_keygen(DSP_SRTP_AEAD_AES_128_GCM, k1, sizeof(k1), &l1), 0);
		assert_int_equal(dsp_srtp_keygen(DSP_SRTP_AEAD_AES_128_GCM, k2, sizeof(k2), &l2), 0);
		assert_int_equal(dsp_srtp_alloc(&a.srtp, DSP_SRTP_AEAD_AES_128_GCM, k1, l1, k2, l2), 0);
		assert_int_equal(dsp_srtp_alloc(&b.srtp, DSP_SRTP_AEAD_AES_128_GCM, k2, l2, k1, l1), 0);
	}

	/* side A's line: a 600 Hz tone at -16 dBm0, with a '5' at 1.0..1.2 s
	 * (the tone pauses for it, as a handset does) */
	dtmf_tx_state_t *dt = dtmf_tx_init(NULL);
	dtmf_tx_set_level(dt, -10, 0);
	dtmf_tx_set_timing(dt, 200, 0);
	dtmf_tx_put(dt, "5", 1);
	for (size_t i = 0; i < ARRAY_SIZE(src); i++)
		src[i] = (int16_t)(2400 * sin(2 * M_PI * 600 * i / 8000.0));
	memset(src + 7600, 0, 2400 * sizeof(int16_t));
	dtmf_tx(dt, src + 8000, 1600);
	dtmf_tx_free(dt);

	dtmf_rx_state_t *rx = dtmf_rx_init(NULL, NULL, NULL);
	for (unsigned t = 0; t < TICKS; t++) {
		uint8_t tdm[TICK], out[TICK];
		dsp_law_encode(DSP_LAW_ALAW, src + t * TICK, tdm, TICK);
		a_tick(&a, tdm, id, lossy && (t == 20 || t == 120), lossy);
		b_tick(&b, (uint64_t)t * 20000, out);
		dsp_law_decode(DSP_LAW_ULAW, out, dst + t * TICK, TICK);
		dtmf_rx(rx, dst + t * TICK, TICK);
	}
	char digits[16];
	size_t nd = dtmf_rx_get(rx, digits, sizeof(digits) - 1);
	digits[nd] = 0;
	dtmf_rx_free(rx);

	/* exactly one '5' on side B */
	if (strcmp(digits, "5"))
		fail_msg("codec %d srtp %d lossy %d: digits \"%s\"", id, srtp, lossy, digits);
	assert_int_equal(a.fax_events, 0);
	/* the tone around the digit arrived: find the delay, then compare
	 * 0.2..0.9 s and 1.6..2.9 s of source and output */
	double best = -1e9;
	for (unsigned d = 0; d < 1600; d++) {
		double sig = 0, noise = 0;
		for (size_t i = 2400; i < 20000; i++) {
			if (i > 7000 && i < 13000)
				continue;
			double e = dst[i + d] - src[i];
			sig += (double)src[i] * src[i];
			noise += e * e;
		}
		double snr = 10 * log10(sig / (noise + 1));
		if (snr > best)
			best = snr;
	}
	double want = lossy ? 12 : (id == DSP_CODEC_G722 ? 20 : 28);
	if (getenv("MEDIA_DEBUG"))
		print_message("codec %d srtp %d lossy %d: digits \"%s\" SNR %.1f dB\n", id,
			      srtp, lossy, digits, best);
	if (best < want)
		fail_msg("codec %d srtp %d lossy %d: SNR %.1f dB", id, srtp, lossy, best);
	struct dsp_jb_stats st;
	dsp_jb_stats(b.jb, &st);
	assert_int_equal(st.late, 0);
	if (lossy)
		assert_true(st.concealed >= 2 * TICK);
	assert_true(b.rx.latched);
	assert_int_equal(b.rx.cnt.malformed, 0);

	close(a.fd);
	close(a_rtcp);
	close(b.fd);
	close(b_rtcp);
	dsp_codec_free(a.enc);
	dsp_dtmf_det_free(a.det);
	dsp_faxdet_free(a.fax);
	dsp_srtp_free(a.srtp);
	dsp_codec_free(b.dec);
	dsp_jb_free(b.jb);
	dsp_dtmf_gen_free(b.gen);
	dsp_srtp_free(b.srtp);
}

static void test_pipeline(void **state)
{
	static const struct {
		enum dsp_codec_id id;
		bool srtp, lossy;
	} testv[] = {
		{ DSP_CODEC_PCMA, false, false }, { DSP_CODEC_PCMU, true, false },
		{ DSP_CODEC_G722, true, false },  { DSP_CODEC_PCMA, true, true },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(testv); i++)
		run_call(testv[i].id, testv[i].srtp, testv[i].lossy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipeline),
	};
	if (dsp_srtp_global_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
