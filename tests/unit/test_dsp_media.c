/* SPDX-License-Identifier: GPL-2.0-or-later */
/* End-to-end tests of the media modules wired as the engine will wire a
 * channel, over real UDP sockets on 127.0.0.1.
 * 1. Our two halves back to back: PSTN A (A-law) -> DTMF and fax
 *    detection -> G.711/G.722 encode -> RTP -> SRTP -> UDP -> SRTP -> RTP
 *    receive -> jitter buffer / RFC 4733 playout -> PSTN B (mu-law). A
 *    digit dialled on side A must come out of side B once, as a tone a
 *    spandsp receiver recognises, while the audio around it stays intact.
 * 2. Against baresip (libre's RTP, RTCP and its own SRTP implementation):
 *    a minimal SIP UAC here sets up a call with SDES keys, then RTP/SRTP
 *    and RTCP/SRTCP flow both ways for a few seconds; baresip's packets
 *    must validate and decode here, and its RTCP reports about our
 *    stream must show it received and decrypted what we sent. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
#include "dsp/rtcp.h"
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

/* ---- interop with baresip ------------------------------------------- */

#define BS_SIP  20950
#define BS_RTP0 20960

static size_t b64dec(const char *in, size_t inl, uint8_t *out, size_t max)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	for (size_t i = 0; i < inl; i++) {
		char c = in[i];
		int v;
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+')
			v = 62;
		else if (c == '/')
			v = 63;
		else
			break; /* '=' or the end of the key */
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n < max)
				out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n;
}

static void b64enc(const uint8_t *in, size_t n, char *out)
{
	static const char t[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = i + 1 < n ? t[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? t[v & 63] : '=';
	}
	out[o] = 0;
}

static void write_file(const char *dir, const char *name, const void *data,
		       size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* Copy the value of the first line starting with `key` (up to CRLF). */
static bool sip_line(const char *msg, const char *key, char *out, size_t max)
{
	const char *p = strstr(msg, key);
	size_t n;
	if (!p)
		return false;
	p += strlen(key);
	n = strcspn(p, "\r\n");
	if (n >= max)
		return false;
	memcpy(out, p, n);
	out[n] = 0;
	return true;
}

static void test_baresip_interop(void **state)
{
	char dir[] = "/tmp/pstngw-baresip-XXXXXX";
	char buf[4096], cfg[1024], path[600];
	struct sockaddr_in lo = { .sin_family = AF_INET }, bs_sip, bs_rtp, bs_rtcp;
	int sip_fd, rtp_fd, rtcp_fd, dummy_a, dummy_b;
	uint16_t sip_port, rtp_port;
	uint8_t our_key[DSP_SRTP_MAX_KEY], their_key[64];
	size_t our_kl, their_kl;
	char our_key64[64];
	pid_t pid;
	(void)state;

	if (system("command -v baresip >/dev/null 2>&1") != 0) {
		skip();
		return;
	}
	assert_non_null(mkdtemp(dir));
	inet_pton(AF_INET, "127.0.0.1", &lo.sin_addr);
	assert_int_equal(dsp_rtp_sock_open_pair((struct sockaddr *)&lo, sizeof(lo), 20000,
						20799, &sip_fd, &dummy_a, &sip_port), 0);
	assert_int_equal(dsp_rtp_sock_open_pair((struct sockaddr *)&lo, sizeof(lo), 20000,
						20799, &rtp_fd, &rtcp_fd, &rtp_port), 0);

	/* baresip: auto-answer, PCMA, SDES-SRTP mandatory, a 440 Hz file as
	 * its microphone, everything on 127.0.0.1 */
	enum { WAV_S = 8000 * 20 };
	static uint8_t wav[44 + 2 * WAV_S];
	memcpy(wav, "RIFF", 4);
	uint32_t v32 = 36 + 2 * WAV_S;
	memcpy(wav + 4, &v32, 4);
	memcpy(wav + 8, "WAVEfmt ", 8);
	uint32_t fmt[4] = { 16, 1 | 1 << 16, 8000, 16000 };
	memcpy(wav + 16, fmt, 16);
	uint32_t blk = 2 | 16 << 16;
	memcpy(wav + 32, &blk, 4);
	memcpy(wav + 36, "data", 4);
	v32 = 2 * WAV_S;
	memcpy(wav + 40, &v32, 4);
	for (int i = 0; i < WAV_S; i++) {
		int16_t smp = (int16_t)(6000 * sin(2 * M_PI * 440 * i / 8000.0));
		memcpy(wav + 44 + 2 * i, &smp, 2);
	}
	write_file(dir, "tone.wav", wav, sizeof(wav));
	int cl = snprintf(cfg, sizeof(cfg),
		 "sip_listen 127.0.0.1:%d\nsip_trans_def udp\n"
		 "audio_player aufile,%s/out.wav\naudio_source aufile,%s/tone.wav\n"
		 "audio_alert aufile,/dev/null\naudio_srate 8000\naudio_channels 1\n"
		 "rtp_ports %d-%d\nrtcp_mux no\n"
		 "module_path /usr/lib/baresip/modules\nmodule g711.so\n"
		 "module aufile.so\nmodule srtp.so\nmodule_app account.so\n",
		 BS_SIP, dir, dir, BS_RTP0, BS_RTP0 + 19);
	write_file(dir, "config", cfg, (size_t)cl);
	const char *acc = "<sip:gw@127.0.0.1>;regint=0;answermode=auto;"
			  "audio_codecs=PCMA/8000/1;mediaenc=srtp-mand\n";
	write_file(dir, "accounts", acc, strlen(acc));
	snprintf(path, sizeof(path), "%s/log", dir);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		FILE *lf = freopen(path, "w", stdout);
		(void)lf;
		dup2(1, 2);
		execlp("baresip", "baresip", "-4", "-n", "127.0.0.1", "-f", dir, "-t", "30",
		       (char *)NULL);
		_exit(127);
	}

	/* everything below ends at `done`, which stops baresip */
	int ok = 0;
	char why[256] = "";
	bs_sip = lo;
	bs_sip.sin_port = htons(BS_SIP);
	assert_int_equal(dsp_srtp_keygen(DSP_SRTP_AES_CM_128_HMAC_SHA1_80, our_key,
					 sizeof(our_key), &our_kl), 0);
	b64enc(our_key, our_kl, our_key64);

	char sdp[600], msg[2048];
	int sl = snprintf(sdp, sizeof(sdp),
		 "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
		 "t=0 0\r\nm=audio %u RTP/SAVP 8\r\na=rtpmap:8 PCMA/8000\r\n"
		 "a=ptime:20\r\na=sendrecv\r\n"
		 "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n",
		 rtp_port, our_key64);
	int ml = snprintf(msg, sizeof(msg),
		 "INVITE sip:gw@127.0.0.1:%d SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKmedia1;rport\r\n"
		 "Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=m1\r\n"
		 "To: <sip:gw@127.0.0.1>\r\nCall-ID: media-interop@127.0.0.1\r\n"
		 "CSeq: 1 INVITE\r\nContact: <sip:t@127.0.0.1:%u>\r\n"
		 "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		 BS_SIP, sip_port, sip_port, sl, sdp);
	/* baresip needs a moment to start: resend the INVITE until it
	 * answers (bounded: 10 s) */
	char ok200[4096] = "";
	for (int tries = 0; tries < 100 && !ok200[0]; tries++) {
		if (tries % 10 == 0)
			dsp_rtp_sock_send(sip_fd, (uint8_t *)msg, (size_t)ml,
					  (struct sockaddr *)&bs_sip, sizeof(bs_sip));
		usleep(100000);
		for (int k = 0; k < 10; k++) {
			struct sockaddr_storage src;
			socklen_t srcl;
			size_t len;
			if (dsp_rtp_sock_recv(sip_fd, (uint8_t *)buf, sizeof(buf) - 1, &len,
					      &src, &srcl))
				break;
			buf[len] = 0;
			if (!strncmp(buf, "SIP/2.0 200", 11) && strstr(buf, "CSeq: 1 INVITE"))
				memcpy(ok200, buf, len + 1);
		}
	}
	if (!ok200[0]) {
		snprintf(why, sizeof(why), "no 200 OK from baresip");
		goto done;
	}
	char mline[64], crypto[200], to[200], contact[200];
	if (!sip_line(ok200, "\r\nm=audio ", mline, sizeof(mline)) ||
	    !sip_line(ok200, "\r\na=crypto:", crypto, sizeof(crypto)) ||
	    !sip_line(ok200, "\r\nTo: ", to, sizeof(to)) ||
	    !sip_line(ok200, "\r\nContact: <", contact, sizeof(contact))) {
		snprintf(why, sizeof(why), "answer lacks m=/a=crypto/To/Contact");
		goto done;
	}
	contact[strcspn(contact, ">")] = 0;
	const char *inl = strstr(crypto, "inline:");
	if (!strstr(crypto, "AES_CM_128_HMAC_SHA1_80") || !inl) {
		snprintf(why, sizeof(why), "unexpected crypto: %s", crypto);
		goto done;
	}
	inl += 7;
	their_kl = b64dec(inl, strcspn(inl, "|\r\n "), their_key, sizeof(their_key));
	bs_rtp = lo;
	bs_rtp.sin_port = htons((uint16_t)atoi(mline));
	bs_rtcp = lo;
	bs_rtcp.sin_port = htons((uint16_t)(atoi(mline) + 1));
	ml = snprintf(msg, sizeof(msg),
		      "ACK sip:%s SIP/2.0\r\n"
		      "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKmedia2;rport\r\n"
		      "Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=m1\r\nTo: %s\r\n"
		      "Call-ID: media-interop@127.0.0.1\r\nCSeq: 1 ACK\r\n"
		      "Content-Length: 0\r\n\r\n",
		      contact + 4, sip_port, to);
	dsp_rtp_sock_send(sip_fd, (uint8_t *)msg, (size_t)ml, (struct sockaddr *)&bs_sip,
			  sizeof(bs_sip));

	/* media, paced in real time: 20 ms ticks until baresip has sent an
	 * RTCP report about our stream (bounded: 15 s) */
	{
		struct dsp_srtp *srtp;
		struct dsp_rtp_tx tx;
		struct dsp_rtp_rx rx;
		struct dsp_rtp_rx_cfg rcfg;
		struct dsp_rtcp rtcp;
		struct dsp_codec *enc, *dec;
		struct dsp_jb *jb;
		struct dsp_jb_cfg jcfg;
		static int16_t heard[8000 * 16];
		size_t nheard = 0;
		unsigned reports = 0, rtcp_bad = 0;
		struct dsp_rtcp_info last = { 0 };

		assert_int_equal(their_kl, 30);
		assert_int_equal(dsp_srtp_alloc(&srtp, DSP_SRTP_AES_CM_128_HMAC_SHA1_80,
						our_key, our_kl, their_key, their_kl), 0);
		assert_int_equal(dsp_rtp_tx_init(&tx), 0);
		dsp_rtp_rx_cfg_default(&rcfg);
		dsp_rtp_rx_cfg_allow_pt(&rcfg, 8);
		rcfg.latch = true;
		dsp_rtp_rx_init(&rx, &rcfg);
		dsp_rtp_rx_set_peer(&rx, (struct sockaddr *)&bs_rtp, sizeof(bs_rtp));
		dsp_rtcp_init(&rtcp, "media-test@127.0.0.1");
		assert_int_equal(dsp_codec_alloc(&enc, DSP_CODEC_PCMA, 20), 0);
		assert_int_equal(dsp_codec_alloc(&dec, DSP_CODEC_PCMA, 20), 0);
		dsp_jb_cfg_default(&jcfg);
		assert_int_equal(dsp_jb_alloc(&jb, &jcfg, dec_h, dec), 0);

		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (unsigned tick = 0; tick < 750 && !(reports && tick > 150); tick++) {
			uint8_t pkt[DSP_RTP_MAX_PACKET + DSP_SRTP_MAX_OVERHEAD], pl[TICK];
			int16_t pcm[TICK];
			size_t len, plen;
			struct timespec now, due = t0;
			uint64_t now_us;
			due.tv_nsec += (long)(tick % 50) * 20000000L;
			due.tv_sec += tick / 50 + due.tv_nsec / 1000000000L;
			due.tv_nsec %= 1000000000L;
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
			clock_gettime(CLOCK_MONOTONIC, &now);
			now_us = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;

			/* send 20 ms of 1 kHz */
			for (int i = 0; i < TICK; i++)
				pcm[i] = (int16_t)(5000 * sin(2 * M_PI * 1000 * (tick * TICK + i) / 8000.0));
			assert_int_equal(dsp_codec_encode(enc, pcm, TICK, pl, sizeof(pl), &plen), 0);
			assert_int_equal(dsp_rtp_tx_audio(&tx, pkt, sizeof(pkt), 8, TICK, pl, plen,
							  &len), 0);
			assert_int_equal(dsp_srtp_protect_rtp(srtp, pkt, &len, sizeof(pkt)), 0);
			struct sockaddr_storage to_ss;
			socklen_t to_l;
			assert_int_equal(dsp_rtp_rx_peer(&rx, &to_ss, &to_l), 0);
			dsp_rtp_sock_send(rtp_fd, pkt, len, (struct sockaddr *)&to_ss, to_l);

			/* receive */
			for (int k = 0; k < 8; k++) {
				struct sockaddr_storage src;
				socklen_t srcl;
				struct dsp_rtp_hdr h;
				const uint8_t *p;
				if (dsp_rtp_sock_recv(rtp_fd, pkt, sizeof(pkt), &len, &src, &srcl))
					break;
				if (dsp_rtp_is_rtcp(pkt, len))
					continue; /* libre's keepalive RTCP on the RTP port */
				if (dsp_srtp_unprotect_rtp(srtp, pkt, &len))
					continue;
				if (!dsp_rtp_rx_input(&rx, pkt, len, now_us, (struct sockaddr *)&src,
						      srcl, &h, &p, &plen))
					dsp_jb_put(jb, h.seq, h.ts, p, plen);
			}
			dsp_jb_get(jb, pcm);
			if (nheard + TICK <= ARRAY_SIZE(heard)) {
				memcpy(heard + nheard, pcm, sizeof(pcm));
				nheard += TICK;
			}
			for (int k = 0; k < 4; k++) {
				struct sockaddr_storage src;
				socklen_t srcl;
				struct dsp_rtcp_info in;
				if (dsp_rtp_sock_recv(rtcp_fd, pkt, sizeof(pkt), &len, &src, &srcl))
					break;
				if (dsp_srtp_unprotect_rtcp(srtp, pkt, &len)) {
					rtcp_bad++;
					continue;
				}
				if (dsp_rtcp_input(&rtcp, pkt, len, tx.ssrc, dsp_rtcp_ntp_now(),
						   &in)) {
					rtcp_bad++;
					continue;
				}
				if (in.has_rb) {
					reports++;
					last = in;
				}
			}
			/* our RTCP every second */
			if (tick % 50 == 49) {
				assert_int_equal(dsp_rtcp_build(&rtcp, &tx, &rx, dsp_rtcp_ntp_now(),
								false, NULL, pkt, sizeof(pkt),
								&len), 0);
				assert_int_equal(dsp_srtp_protect_rtcp(srtp, pkt, &len,
								       sizeof(pkt)), 0);
				dsp_rtp_sock_send(rtcp_fd, pkt, len, (struct sockaddr *)&bs_rtcp,
						  sizeof(bs_rtcp));
			}
		}

		/* baresip's stream: validated, decrypted, decoded: 440 Hz */
		const struct dsp_srtp_counters *sc = dsp_srtp_counters(srtp);
		double p440 = 0, p1000 = 0;
		for (int pass = 0; pass < 2; pass++) {
			double f = pass ? 1000 : 440, w = 2 * M_PI * f / 8000;
			double c = 2 * cos(w), s1 = 0, s2 = 0;
			for (size_t i = nheard / 2; i < nheard; i++) {
				double sv = heard[i] + c * s1 - s2;
				s2 = s1;
				s1 = sv;
			}
			*(pass ? &p1000 : &p440) = s1 * s1 + s2 * s2 - c * s1 * s2;
		}
		if (getenv("MEDIA_DEBUG"))
			print_message("baresip: rx %llu pkts lost %d jitter %.2f ms, srtp ok %llu "
				      "auth_fail %llu, rtcp reports %u bad %u, their view: lost %d "
				      "ext_max %u (we sent up to %u), rtt %s %.2f ms, 440/1000 Hz "
				      "%.1f dB\n",
				      (unsigned long long)rx.cnt.packets, dsp_rtp_rx_lost(&rx),
				      dsp_rtp_rx_jitter_ms(&rx), (unsigned long long)sc->unprotected,
				      (unsigned long long)sc->auth_fail, reports, rtcp_bad,
				      last.rb.lost, last.rb.ext_max, tx.seq, rtcp.have_rtt ? "yes" : "no",
				      rtcp.rtt_ms, 10 * log10(p440 / (p1000 + 1)));
		if (rx.cnt.packets < 100)
			snprintf(why, sizeof(why), "only %llu RTP packets from baresip",
				 (unsigned long long)rx.cnt.packets);
		else if (sc->auth_fail || rx.cnt.malformed)
			snprintf(why, sizeof(why), "SRTP auth failures or malformed RTP");
		else if (!rx.latched)
			snprintf(why, sizeof(why), "did not latch");
		else if (p440 < 100 * p1000)
			snprintf(why, sizeof(why), "baresip's 440 Hz not heard");
		else if (!reports)
			snprintf(why, sizeof(why), "no RTCP report block about our SSRC");
		else if (last.rb.lost != 0 ||
			 (uint16_t)last.rb.ext_max > (uint16_t)(tx.seq - 1) ||
			 (uint16_t)(tx.seq - 1 - (uint16_t)last.rb.ext_max) > 300)
			snprintf(why, sizeof(why), "baresip reports lost %d ext_max %u",
				 last.rb.lost, last.rb.ext_max);
		else if (!rtcp.have_rtt || rtcp.rtt_ms > 1000)
			/* its LSR/DLSR echo our SR: it decrypted our SRTCP (on
			 * a loaded machine our own polling delay is in it) */
			snprintf(why, sizeof(why), "no round-trip time from its "
				 "report (have_rtt %d, %.1f ms, %u reports)",
				 rtcp.have_rtt, rtcp.rtt_ms, reports);
		else
			ok = 1;
		dsp_srtp_free(srtp);
		dsp_codec_free(enc);
		dsp_codec_free(dec);
		dsp_jb_free(jb);
	}

	/* hang up */
	ml = snprintf(msg, sizeof(msg),
		      "BYE sip:%s SIP/2.0\r\n"
		      "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKmedia3;rport\r\n"
		      "Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=m1\r\nTo: %s\r\n"
		      "Call-ID: media-interop@127.0.0.1\r\nCSeq: 2 BYE\r\n"
		      "Content-Length: 0\r\n\r\n",
		      contact + 4, sip_port, to);
	dsp_rtp_sock_send(sip_fd, (uint8_t *)msg, (size_t)ml, (struct sockaddr *)&bs_sip,
			  sizeof(bs_sip));
	usleep(100000);
done:
	/* stop baresip whatever happened: TERM, then KILL after 2 s */
	kill(pid, SIGTERM);
	for (int i = 0; i < 20; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			pid = 0;
			break;
		}
		usleep(100000);
	}
	if (pid) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	close(sip_fd);
	close(dummy_a);
	close(rtp_fd);
	close(rtcp_fd);
	(void)dummy_b;
	if (!ok) {
		snprintf(path, sizeof(path), "tail -20 %s/log", dir);
		if (system(path) < 0)
			fprintf(stderr, "(no log)\n");
	}
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	if (!ok)
		fail_msg("baresip interop: %s", why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipeline),
		cmocka_unit_test(test_baresip_interop),
	};
	if (dsp_srtp_global_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
