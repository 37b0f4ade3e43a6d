/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rtpcall: the media end of a test call whose signalling is done by a
 * real SIP peer (sipp): it owns the RTP port the peer's SDP advertises,
 * sends paced G.711 (RFC 3551 PCMA/PCMU, 20 ms) or G.729 (PT 18, two
 * 10-octet frames per 20 ms packet, RFC 3551 §4.5.6) and RFC 4733
 * telephone-events, and measures what the gateway sends back. RTP framing
 * is written here from RFC 3550 §5.1 (not with dsp/rtp), G.711 and the
 * in-band DTMF detector are spandsp's and G.729 is bcg729 called directly
 * (not through dsp/codec), so the gateway is checked against code that is
 * not its own.
 *
 *   rtpcall -l PORT [-r ADDR:PORT] [-c pcma|pcmu|g729] [-C MS:pcma|pcmu]
 *           [-e PT] [-n HZ] [-t SECONDS] [-u WARMUP_MS] [-w WAIT_MS]
 *           [-P PCAP] MODE [ARG]
 *   rtpcall wav FILE SECONDS HZ DBM0     write a tone as 8 kHz 16-bit WAV
 *   rtpcall wavlevel FILE HZ             level (dBm0) of HZ in a WAV
 *
 * Modes (the far end is a pstnsim subscriber):
 *   pattern      WARMUP_MS of silence, then SECONDS of a pseudo-random
 *                sequence in which every 256 samples are a permutation
 *                of all byte values; what comes back is aligned on the
 *                sequence and compared byte by byte with what a digital
 *                loopback must return: the same bytes for PCMA on an
 *                A-law span; for PCMU the mu-law -> linear -> A-law ->
 *                linear -> mu-law round trip (spandsp's G.711).
 *   echo DBM0    speech-shaped noise (white noise through a first-order
 *                low-pass and DC block, G.227-like tilt) at DBM0; the
 *                returned power is measured per 100 ms against the sent.
 *                With -n HZ, a near-end tone at HZ (double talk) is
 *                measured over the last second, and everything else in
 *                the return apart from it (the residual echo).
 *   dtmf DIGITS  WARMUP_MS of silence, then each digit as one RFC 4733
 *                event (100 ms, marker on the first packet, the end
 *                packet sent three times, §2.5.1.4), 100 ms of silence
 *                between digits; no audio during an event.
 *   listen       silence for SECONDS; telephone-events received are
 *                collected per event (RTP timestamp) and the audio is run
 *                through spandsp's DTMF receiver.
 *   tone HZ DBM0 WARMUP_MS of silence, then SECONDS of a sine at HZ and
 *                DBM0; in what comes back (decoded, placed by RTP
 *                timestamp) the tone's level per 50 ms block, the level of
 *                everything else, and the strongest frequency; with the
 *                payload sizes and timestamp steps of the audio packets.
 *                G.729 payloads of other lengths than 10 k or 10 k + 2
 *                are counted as bad (badlen=).
 *
 * -C MS:CODEC (G.711 tone mode, as after a re-INVITE): from MS after
 * the first packet on, audio goes out in the other G.711 law with its
 * static payload type, and audio received with that type is decoded
 * with it too; the result line counts the packets of each type
 * (rx_pt0=, rx_pt1=: first codec, switched codec), where the other
 * type first came in (switch_rx_ms=) and how often the gateway's SSRC
 * changed (ssrc_changes=: a new RTP sender, i.e. a rebuilt channel).
 *
 * The remote address is -r, else the source of the first packet received
 * (the gateway sends at answer). Every received RTP packet can be written
 * to a pcap file (-P, LINKTYPE_RAW IPv4/UDP) for tshark. Results are one
 * line of key=value words (first word: the mode in capitals). Exit 0 when
 * the run completed (the caller judges the figures), 1 on usage or I/O
 * errors, 2 when nothing was received.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <spandsp.h>
#include <bcg729/decoder.h>
#include <bcg729/encoder.h>

#define TICK        160            /* samples per packet: 20 ms */
#define MAX_SECONDS 30
#define MAX_SAMPLES (MAX_SECONDS * 8000 + 8000)
#define WIN         800            /* 100 ms measurement windows */
#define MAX_WINS    (MAX_SAMPLES / WIN + 1)
#define MAX_EVENTS  64
/* Mean square of a 0 dBm0 sine on spandsp's 16-bit scale (3.14 dBov). */
#define MS_0DBM0    (2.6065e8)

#define G729_FRAME  80             /* samples per G.729 frame */
#define G729_BYTES  10             /* octets per G.729 frame */
#define TONE_BLK    400            /* tone: 50 ms measurement blocks */

enum mode { M_PATTERN, M_ECHO, M_DTMF, M_LISTEN, M_TONE };

struct event {
	uint32_t ts;
	int digit;
	unsigned packets, ends;
	unsigned duration;
	bool marker;
};

struct rc {
	enum mode mode;
	bool ulaw;
	bool g729;                  /* PT 18; G.711 A-law inside for rx/tx */
	/* -C: switch to the other G.711 law at sw_at samples */
	bool sw;
	bool sw_ulaw;
	uint8_t sw_pt;
	size_t sw_at;
	uint64_t rx_pt_n[2];        /* audio packets: first / switched type */
	uint64_t rx_ssrc_changes;   /* the gateway's SSRC changed */
	double sw_rx_s;             /* first packet of the switched type */
	bcg729EncoderChannelContextStruct *g7e;
	bcg729DecoderChannelContextStruct *g7d;
	int tone_hz;
	uint8_t pt;
	uint8_t ev_pt;
	int fd, rtcp_fd;
	uint16_t lport;
	struct sockaddr_in remote;
	bool have_remote;
	FILE *pcap;
	unsigned seconds, warmup_ms, wait_ms;
	double level;
	const char *digits;

	/* sending */
	uint16_t seq;
	uint32_t ts, ssrc;
	uint64_t sent_pkts;
	uint8_t *tx;                /* every audio sample sent, by tx index */
	size_t tx_n;
	size_t pat_start, pat_len;  /* pattern: where it is in tx */
	int16_t *src;               /* echo: the linear source */
	double *tx_e;               /* echo: energy per window (send time) */

	/* receiving */
	uint64_t rx_pkts, rx_audio, rx_events, rx_badpt, rx_rtcp;
	bool rx_have_ts0;
	uint32_t rx_ts0, rx_ssrc;
	uint8_t *rx;                /* audio by RTP timestamp offset */
	int16_t *rx_lin;            /* the same, linear */
	uint8_t *rx_have;
	uint64_t rx_badlen;         /* G.729 payloads of a bad length */
	size_t plen_min, plen_max;  /* audio payload sizes seen */
	bool have_prev_ts;
	uint32_t prev_ts, step_min, step_max; /* audio timestamp steps */
	size_t rx_max;
	double *rx_e;               /* echo: energy per window (arrival) */
	unsigned *rx_en;
	int near_hz;                /* echo: near-end tone to measure (-n) */
	double *rx_re, *rx_im;      /* its DFT bin per window */
	uint64_t rx_sn;             /* audio samples received */
	struct timespec t0;
	struct event ev[MAX_EVENTS];
	unsigned nev;
	dtmf_rx_state_t *drx;
	char inband[64];
};

static uint32_t prng(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static uint8_t silence_byte(const struct rc *r)
{
	return r->ulaw ? 0xff : 0xd5;
}

static int16_t g711_dec(const struct rc *r, uint8_t b)
{
	return r->ulaw ? ulaw_to_linear(b) : alaw_to_linear(b);
}

static uint8_t g711_enc(const struct rc *r, int16_t s)
{
	return r->ulaw ? linear_to_ulaw(s) : linear_to_alaw(s);
}

/* What a digital loopback on an A-law span returns for byte b. */
static uint8_t loop_expect(const struct rc *r, uint8_t b)
{
	if (!r->ulaw)
		return b;
	return linear_to_ulaw(alaw_to_linear(linear_to_alaw(ulaw_to_linear(b))));
}

static double now_s(const struct rc *r)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)(ts.tv_sec - r->t0.tv_sec) +
	       (double)(ts.tv_nsec - r->t0.tv_nsec) / 1e9;
}

static double dbm0(double ms)
{
	return ms < 1.0 ? -99.0 : 10.0 * log10(ms / MS_0DBM0);
}

/* ---- pcap (LINKTYPE_RAW: the IPv4 packet as it came) ---- */

static void pcap_open(struct rc *r, const char *path)
{
	uint32_t hdr[6] = { 0xa1b2c3d4, 2 | 4u << 16, 0, 0, 65535, 101 };

	r->pcap = fopen(path, "wb");
	if (r->pcap)
		fwrite(hdr, sizeof(hdr), 1, r->pcap);
}

static uint16_t ip_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void pcap_write(struct rc *r, const struct sockaddr_in *src,
		       const uint8_t *buf, size_t len)
{
	uint8_t ip[28];
	struct timespec ts;
	uint32_t rec[4];
	uint16_t v;

	if (!r->pcap)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	memset(ip, 0, sizeof(ip));
	ip[0] = 0x45;
	v = htons((uint16_t)(len + 28));
	memcpy(ip + 2, &v, 2);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &src->sin_addr, 4);
	ip[16] = 127;
	ip[19] = 1;
	v = htons(ip_csum(ip, 20));
	memcpy(ip + 10, &v, 2);
	memcpy(ip + 20, &src->sin_port, 2);
	v = htons(r->lport);
	memcpy(ip + 22, &v, 2);
	v = htons((uint16_t)(len + 8));
	memcpy(ip + 24, &v, 2);
	rec[0] = (uint32_t)ts.tv_sec;
	rec[1] = (uint32_t)(ts.tv_nsec / 1000);
	rec[2] = rec[3] = (uint32_t)(len + 28);
	fwrite(rec, sizeof(rec), 1, r->pcap);
	fwrite(ip, sizeof(ip), 1, r->pcap);
	fwrite(buf, 1, len, r->pcap);
}

/* ---- sending ---- */

static void put_hdr(struct rc *r, uint8_t *b, uint8_t pt, bool marker,
		    uint32_t ts)
{
	b[0] = 0x80;
	b[1] = (uint8_t)(pt | (marker ? 0x80 : 0));
	b[2] = (uint8_t)(r->seq >> 8);
	b[3] = (uint8_t)r->seq;
	b[4] = (uint8_t)(ts >> 24);
	b[5] = (uint8_t)(ts >> 16);
	b[6] = (uint8_t)(ts >> 8);
	b[7] = (uint8_t)ts;
	b[8] = (uint8_t)(r->ssrc >> 24);
	b[9] = (uint8_t)(r->ssrc >> 16);
	b[10] = (uint8_t)(r->ssrc >> 8);
	b[11] = (uint8_t)r->ssrc;
	r->seq++;
}

static void send_buf(struct rc *r, const uint8_t *b, size_t len)
{
	if (!r->have_remote)
		return;
	if (sendto(r->fd, b, len, 0, (const struct sockaddr *)&r->remote,
		   sizeof(r->remote)) == (ssize_t)len)
		r->sent_pkts++;
}

/* Linear sample `idx` of what is sent: the linear source where there is
 * one (echo, tone), else the G.711 byte decoded. */
static int16_t tx_linear(const struct rc *r, size_t idx)
{
	if (r->src && idx >= r->pat_start && idx - r->pat_start < r->pat_len)
		return r->src[idx - r->pat_start];
	return g711_dec(r, r->tx[idx]);
}

/* One audio packet: the next TICK samples of r->tx (already written). */
static void send_audio(struct rc *r, size_t at, bool marker)
{
	uint8_t b[12 + TICK];
	size_t len = 12 + TICK;

	put_hdr(r, b, r->pt, marker, r->ts);
	if (r->g729) {
		/* two 10 ms frames; the encoder runs without VAD, so every
		 * frame is a 10-octet speech frame */
		for (size_t f = 0; f < TICK / G729_FRAME; f++) {
			int16_t lin[G729_FRAME];
			uint8_t fl = 0;
			for (size_t i = 0; i < G729_FRAME; i++)
				lin[i] = tx_linear(r, at + f * G729_FRAME + i);
			bcg729Encoder(r->g7e, lin, b + 12 + f * G729_BYTES, &fl);
		}
		len = 12 + TICK / G729_FRAME * G729_BYTES;
	} else if (r->sw && at >= r->sw_at) {
		b[1] = (uint8_t)(r->sw_pt | (b[1] & 0x80));
		for (size_t i = 0; i < TICK; i++) {
			int16_t v = tx_linear(r, at + i);
			b[12 + i] = r->sw_ulaw ? linear_to_ulaw(v) : linear_to_alaw(v);
		}
	} else {
		memcpy(b + 12, r->tx + at, TICK);
	}
	send_buf(r, b, len);
	r->ts += TICK;
}

static void send_event(struct rc *r, uint32_t ts, int ev, bool marker,
		       bool end, unsigned duration)
{
	uint8_t b[16];

	put_hdr(r, b, r->ev_pt, marker, ts);
	b[12] = (uint8_t)ev;
	b[13] = (uint8_t)((end ? 0x80 : 0) | 10); /* volume: -10 dBm0 */
	b[14] = (uint8_t)(duration >> 8);
	b[15] = (uint8_t)duration;
	send_buf(r, b, sizeof(b));
}

static int digit_event(char c)
{
	static const char map[] = "0123456789*#ABCD";
	const char *p = strchr(map, c);

	return c && p ? (int)(p - map) : -1;
}

static char event_digit(int ev)
{
	static const char map[] = "0123456789*#ABCD";

	return ev >= 0 && ev < 16 ? map[ev] : '?';
}

/* ---- receiving ---- */

static void rx_event(struct rc *r, uint32_t ts, bool marker, const uint8_t *p,
		     size_t n)
{
	struct event *e = NULL;

	if (n < 4)
		return;
	r->rx_events++;
	for (unsigned i = 0; i < r->nev; i++)
		if (r->ev[i].ts == ts)
			e = &r->ev[i];
	if (!e) {
		if (r->nev >= MAX_EVENTS)
			return;
		e = &r->ev[r->nev++];
		memset(e, 0, sizeof(*e));
		e->ts = ts;
		e->digit = p[0];
	}
	e->packets++;
	e->marker |= marker;
	if (p[1] & 0x80)
		e->ends++;
	if ((unsigned)(p[2] << 8 | p[3]) > e->duration)
		e->duration = (unsigned)(p[2] << 8 | p[3]);
}

static void digits_h(void *user, const char *d, int len)
{
	struct rc *r = user;
	size_t have = strlen(r->inband);

	for (int i = 0; i < len && have + 1 < sizeof(r->inband); i++)
		r->inband[have++] = d[i];
	r->inband[have] = '\0';
}

static void rx_audio(struct rc *r, uint32_t ts, const uint8_t *p, size_t n,
		     bool switched)
{
	int16_t lin[480];
	size_t off, plen = n;

	r->rx_pt_n[switched]++;
	if (switched && r->sw_rx_s == 0)
		r->sw_rx_s = now_s(r);
	if (switched) {
		if (n > 480)
			n = 480;
		for (size_t i = 0; i < n; i++)
			lin[i] = r->sw_ulaw ? ulaw_to_linear(p[i]) : alaw_to_linear(p[i]);
	} else if (r->g729) {
		/* frames of 10 octets, then at most one 2-octet SID frame
		 * (RFC 3551 §4.5.6); at most 60 ms kept per packet */
		size_t fr = n / G729_BYTES, rest = n % G729_BYTES, k = 0;
		if (!n || (rest && rest != 2)) {
			r->rx_badlen++;
			return;
		}
		n = 0;
		for (; k < fr && n + G729_FRAME <= 480; k++, n += G729_FRAME)
			bcg729Decoder(r->g7d, p + k * G729_BYTES, G729_BYTES, 0, 0, 0,
				      lin + n);
		if (rest && n + G729_FRAME <= 480) {
			bcg729Decoder(r->g7d, p + fr * G729_BYTES, 2, 0, 1, 0, lin + n);
			n += G729_FRAME;
		}
	} else {
		if (n > 480)
			n = 480;
		for (size_t i = 0; i < n; i++)
			lin[i] = g711_dec(r, p[i]);
	}
	r->rx_audio++;
	if (!r->plen_min || plen < r->plen_min)
		r->plen_min = plen;
	if (plen > r->plen_max)
		r->plen_max = plen;
	if (r->have_prev_ts) {
		uint32_t step = ts - r->prev_ts;
		if (!r->step_min || step < r->step_min)
			r->step_min = step;
		if (step > r->step_max)
			r->step_max = step;
	}
	r->have_prev_ts = true;
	r->prev_ts = ts;
	if (!r->rx_have_ts0) {
		r->rx_have_ts0 = true;
		r->rx_ts0 = ts;
	}
	off = (uint32_t)(ts - r->rx_ts0);
	for (size_t i = 0; i < n && off + i < r->rx_max; i++) {
		r->rx[off + i] = r->g729 || switched ? g711_enc(r, lin[i]) : p[i];
		r->rx_lin[off + i] = lin[i];
		r->rx_have[off + i] = 1;
	}
	if (r->mode == M_ECHO) {
		size_t w = (size_t)(now_s(r) * 10.0);
		if (w < MAX_WINS) {
			for (size_t i = 0; i < n; i++) {
				double ph = 2 * M_PI * r->near_hz *
					    (double)(r->rx_sn + i) / 8000.0;
				r->rx_e[w] += (double)lin[i] * lin[i];
				r->rx_re[w] += lin[i] * cos(ph);
				r->rx_im[w] += lin[i] * sin(ph);
			}
			r->rx_en[w] += (unsigned)n;
		}
	}
	r->rx_sn += n;
	if (r->drx)
		dtmf_rx(r->drx, lin, (int)n);
}

static void drain(struct rc *r)
{
	for (int k = 0; k < 64; k++) {
		uint8_t b[2048];
		struct sockaddr_in src;
		socklen_t sl = sizeof(src);
		ssize_t n = recvfrom(r->fd, b, sizeof(b), MSG_DONTWAIT,
				     (struct sockaddr *)&src, &sl);
		uint8_t pt;
		size_t hl;

		if (n < 0)
			break;
		if (n < 12 || (b[0] & 0xc0) != 0x80)
			continue;
		pcap_write(r, &src, b, (size_t)n);
		r->rx_pkts++;
		if (!r->have_remote) {
			r->remote = src;
			r->have_remote = true;
		}
		hl = 12 + 4u * (b[0] & 0x0f);
		if (b[0] & 0x10) { /* header extension */
			if ((size_t)n < hl + 4)
				continue;
			hl += 4 + 4u * (size_t)(b[hl + 2] << 8 | b[hl + 3]);
		}
		if ((size_t)n < hl)
			continue;
		if (b[0] & 0x20) { /* padding */
			if (b[n - 1] > n - (ssize_t)hl)
				continue;
			n -= b[n - 1];
		}
		pt = b[1] & 0x7f;
		uint32_t ts = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 |
			      (uint32_t)b[6] << 8 | b[7];
		uint32_t ssrc = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 |
				(uint32_t)b[10] << 8 | b[11];
		if (r->rx_pkts > 1 && ssrc != r->rx_ssrc)
			r->rx_ssrc_changes++;
		r->rx_ssrc = ssrc;
		if (pt == r->ev_pt)
			rx_event(r, ts, b[1] & 0x80, b + hl, (size_t)n - hl);
		else if (pt == r->pt)
			rx_audio(r, ts, b + hl, (size_t)n - hl, false);
		else if (r->sw && pt == r->sw_pt)
			rx_audio(r, ts, b + hl, (size_t)n - hl, true);
		else
			r->rx_badpt++;
	}
	for (int k = 0; r->rtcp_fd >= 0 && k < 16; k++) {
		uint8_t b[1500];
		if (recv(r->rtcp_fd, b, sizeof(b), MSG_DONTWAIT) < 0)
			break;
		r->rx_rtcp++;
	}
}

/* Wait until t (seconds since t0), receiving meanwhile. */
static void wait_until(struct rc *r, double t)
{
	for (int guard = 0; guard < 10000; guard++) {
		double left = t - now_s(r);
		struct pollfd p[2] = { { .fd = r->fd, .events = POLLIN },
				       { .fd = r->rtcp_fd, .events = POLLIN } };
		if (left <= 0)
			break;
		if (poll(p, r->rtcp_fd >= 0 ? 2 : 1, (int)(left * 1000.0) + 1) > 0)
			drain(r);
	}
	drain(r);
}

/* ---- the source signals ---- */

static int make_tx(struct rc *r)
{
	size_t warm = (size_t)r->warmup_ms * 8 / TICK * TICK;
	size_t body = (size_t)r->seconds * 8000;
	uint32_t s = 0x1d872b41u;

	r->tx_n = warm + body + 8000; /* + 1 s of silence at the end */
	if (r->tx_n > MAX_SAMPLES)
		return EINVAL;
	r->tx = malloc(r->tx_n);
	if (!r->tx)
		return ENOMEM;
	memset(r->tx, silence_byte(r), r->tx_n);
	r->pat_start = warm;
	r->pat_len = body;
	if (r->mode == M_PATTERN) {
		for (size_t b = 0; b < body; b += 256) {
			uint8_t perm[256];
			for (int i = 0; i < 256; i++)
				perm[i] = (uint8_t)i;
			for (int i = 255; i > 0; i--) {
				int j = (int)(prng(&s) % (uint32_t)(i + 1));
				uint8_t t = perm[i];
				perm[i] = perm[j];
				perm[j] = t;
			}
			for (size_t i = 0; i < 256 && b + i < body; i++)
				r->tx[warm + b + i] = perm[i];
		}
	} else if (r->mode == M_ECHO) {
		double lp = 0, dc_x = 0, dc_y = 0, ms = 0, g;
		double *f = malloc(body * sizeof(double));
		if (!f)
			return ENOMEM;
		for (size_t i = 0; i < body; i++) {
			double w = (double)(int32_t)prng(&s) / 2147483648.0;
			/* low-pass (pole 0.75): energy falls above ~400 Hz;
			 * DC block: nothing below ~100 Hz */
			lp = 0.75 * lp + w;
			f[i] = lp - dc_x + 0.92 * dc_y;
			dc_x = lp;
			dc_y = f[i];
			ms += f[i] * f[i];
		}
		ms /= (double)body;
		g = sqrt(MS_0DBM0 * pow(10.0, r->level / 10.0) / ms);
		r->src = malloc(body * sizeof(int16_t));
		if (!r->src) {
			free(f);
			return ENOMEM;
		}
		for (size_t i = 0; i < body; i++) {
			double v = f[i] * g;
			v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
			r->src[i] = (int16_t)lrint(v);
			r->tx[warm + i] = g711_enc(r, r->src[i]);
		}
		free(f);
	} else if (r->mode == M_TONE) {
		double a = sqrt(2.0 * MS_0DBM0 * pow(10.0, r->level / 10.0));
		r->src = malloc(body * sizeof(int16_t));
		if (!r->src)
			return ENOMEM;
		for (size_t i = 0; i < body; i++) {
			double v = a * sin(2 * M_PI * r->tone_hz * (double)i / 8000.0);
			v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
			r->src[i] = (int16_t)lrint(v);
			r->tx[warm + i] = g711_enc(r, r->src[i]);
		}
	}
	return 0;
}

/* ---- results ---- */

/* The delay (rx index - tx index) at which 32 samples from pattern
 * index j match, searched within +-span of around; LONG_MIN if none. */
static long find_delay(const struct rc *r, size_t j, long around, long span)
{
	for (long d = 0; d <= span; d++) {
		for (int sgn = 0; sgn < 2; sgn++) {
			long dl = around + (sgn ? -d : d);
			long at = (long)(r->pat_start + j) + dl;
			bool m = at >= 0 && (size_t)at + 32 <= r->rx_max;
			for (size_t k = 0; k < 32 && m; k++)
				m = r->rx_have[at + (long)k] &&
				    r->rx[at + (long)k] ==
				    loop_expect(r, r->tx[r->pat_start + j + k]);
			if (m)
				return dl;
		}
	}
	return LONG_MIN;
}

static void report_pattern(struct rc *r)
{
	size_t first = (size_t)-1, n_have = 0;
	long delay = 0;
	bool locked = false;
	uint64_t cmp = 0, eq = 0, changed = 0, missing = 0, run = 0, best = 0;
	uint64_t values[256] = { 0 };
	unsigned nvalues = 0;
	long first_bad = -1, slip[8];
	unsigned nslips = 0;
	char slips[128] = "-";

	for (size_t i = 0; i < r->rx_max; i++)
		if (r->rx_have[i])
			n_have++;
	/* align 64 received samples on the expected sequence, starting at
	 * the first sample clearly above idle (idle codes differ with the
	 * law and the coder: +-8 in A-law, 0 or +-8 in mu-law) */
	for (size_t i = 0; i + 64 <= r->rx_max && !locked && i < (size_t)8000 * 12; i++) {
		if (!r->rx_have[i] || abs(g711_dec(r, r->rx[i])) < 64)
			continue;
		if (first == (size_t)-1)
			first = i;
		for (size_t j = 0; j + 64 <= r->pat_len && !locked; j++) {
			bool m = true;
			for (size_t k = 0; k < 64 && m; k++)
				m = r->rx_have[i + k] &&
				    r->rx[i + k] ==
				    loop_expect(r, r->tx[r->pat_start + j + k]);
			if (m) {
				locked = true;
				delay = (long)i - (long)(r->pat_start + j);
			}
		}
	}
	if (getenv("RTPCALL_DEBUG") && first != (size_t)-1) {
		fprintf(stderr, "first=%zu rx:", first);
		for (size_t k = 0; k < 24 && first + k < r->rx_max; k++)
			fprintf(stderr, " %02x", r->rx[first + k]);
		fprintf(stderr, "\nwant:");
		for (size_t k = 0; k < 24; k++)
			fprintf(stderr, " %02x", loop_expect(r, r->tx[r->pat_start + k]));
		fprintf(stderr, "\nsent:");
		for (size_t k = 0; k < 24; k++)
			fprintf(stderr, " %02x", r->tx[r->pat_start + k]);
		fprintf(stderr, "\n");
	}
	if (locked) {
		for (size_t j = 0; j < r->pat_len; j++) {
			long at = (long)(r->pat_start + j) + delay;
			uint8_t want = loop_expect(r, r->tx[r->pat_start + j]);
			if (at < 0 || (size_t)at >= r->rx_max || !r->rx_have[at]) {
				missing++;
				run = 0;
				continue;
			}
			cmp++;
			if (r->rx[at] == want) {
				eq++;
				if (!values[want]++)
					nvalues++;
				if (++run > best)
					best = run;
			} else {
				changed++;
				run = 0;
				if (first_bad < 0)
					first_bad = (long)j;
				/* a slip (samples dropped or inserted by the
				 * playout buffer)? re-align 32 samples further
				 * on within +-50 ms and go on from there */
				if (nslips < 8 && j + 64 + 32 <= r->pat_len) {
					long nd = find_delay(r, j + 64, delay, 400);
					if (nd != LONG_MIN && nd != delay) {
						slip[nslips++] = nd - delay;
						delay = nd;
					}
				}
			}
		}
	}
	for (unsigned i = 0, l = 0; i < nslips && l < sizeof(slips) - 16; i++)
		l += (unsigned)snprintf(slips + l, sizeof(slips) - l, "%s%+ld",
					i ? "," : "", slip[i]);
	printf("PATTERN codec=%s sent_pkts=%llu rx_pkts=%llu rx_samples=%zu "
	       "locked=%d offset=%ld pattern=%zu compared=%llu equal=%llu "
	       "changed=%llu missing=%llu longest_exact=%llu first_bad=%ld "
	       "values=%u slips=%s badpt=%llu rtcp=%llu\n",
	       r->g729 ? "g729" : r->ulaw ? "pcmu" : "pcma", (unsigned long long)r->sent_pkts,
	       (unsigned long long)r->rx_pkts, n_have, locked, delay, r->pat_len,
	       (unsigned long long)cmp, (unsigned long long)eq,
	       (unsigned long long)changed, (unsigned long long)missing,
	       (unsigned long long)best, first_bad, nvalues, slips,
	       (unsigned long long)r->rx_badpt, (unsigned long long)r->rx_rtcp);
}

static void report_echo(struct rc *r)
{
	/* windows are in arrival time (rx) and send time (tx); the noise is
	 * stationary, so ratios over whole seconds are what counts */
	double t_start = (double)r->pat_start / 8000.0;
	double t_end = t_start + (double)r->pat_len / 8000.0;
	double tx_s = 0, rx_early = 0, rx_conv = 0, worst = 99;
	unsigned n_early = 0, n_conv = 0;
	double tx_ms;
	char series[400] = "";
	size_t sl = 0;

	for (size_t i = 0; i < r->pat_len; i++)
		tx_s += (double)r->src[i] * r->src[i];
	tx_ms = r->pat_len ? tx_s / (double)r->pat_len : 0;
	for (size_t w = 0; w < MAX_WINS; w++) {
		double t = (double)w / 10.0;
		double ms;
		if (!r->rx_en[w])
			continue;
		ms = r->rx_e[w] / r->rx_en[w];
		/* early: 0.2..1 s after the noise started; converged: from
		 * 1 s after the start until the noise stops */
		if (t >= t_start + 0.2 && t < t_start + 1.0) {
			rx_early += ms;
			n_early++;
		} else if (t >= t_start + 1.0 && t + 0.1 <= t_end) {
			double rl = 10.0 * log10(tx_ms / (ms > 1.0 ? ms : 1.0));
			if (sl < sizeof(series) - 8)
				sl += (size_t)snprintf(series + sl, sizeof(series) - sl,
						       "%s%.0f", sl ? "," : "", rl);
			rx_conv += ms;
			n_conv++;
			if (rl < worst)
				worst = rl;
		}
	}
	rx_early = n_early ? rx_early / n_early : 0;
	rx_conv = n_conv ? rx_conv / n_conv : 0;
	/* near-end tone (double talk) over the last second of the noise:
	 * its level, and the level of everything else (residual echo) */
	double near = 0, all = 0;
	unsigned n_last = 0;
	for (size_t w = 0; r->near_hz && w < MAX_WINS; w++) {
		double t = (double)w / 10.0, amp;
		if (!r->rx_en[w] || t < t_end - 1.0 || t + 0.1 > t_end)
			continue;
		amp = 2.0 * sqrt(r->rx_re[w] * r->rx_re[w] + r->rx_im[w] * r->rx_im[w]) /
		      r->rx_en[w];
		near += amp * amp / 2.0;
		all += r->rx_e[w] / r->rx_en[w];
		n_last++;
	}
	if (r->near_hz) {
		near = n_last ? near / n_last : 0;
		all = n_last ? all / n_last : 0;
		printf("NEAR hz=%d near_dbm0=%.1f rest_dbm0=%.1f rl_rest_db=%.1f windows=%u\n",
		       r->near_hz, dbm0(near), dbm0(all > near ? all - near : 0),
		       dbm0(tx_ms) - dbm0(all > near ? all - near : 0), n_last);
	}
	printf("ECHO codec=%s sent_dbm0=%.1f rx_early_dbm0=%.1f rx_conv_dbm0=%.1f "
	       "rl_early_db=%.1f rl_conv_db=%.1f rl_worst_db=%.1f windows=%u "
	       "sent_pkts=%llu rx_pkts=%llu rl_100ms=%s\n",
	       r->g729 ? "g729" : r->ulaw ? "pcmu" : "pcma", dbm0(tx_ms),
	       dbm0(rx_early), dbm0(rx_conv),
	       dbm0(tx_ms) - dbm0(rx_early), dbm0(tx_ms) - dbm0(rx_conv), worst,
	       n_conv, (unsigned long long)r->sent_pkts,
	       (unsigned long long)r->rx_pkts, sl ? series : "-");
}

/* Power (mean square) of frequency hz in x[0..n), Goertzel. */
static double goertzel_ms(const int16_t *x, size_t n, double hz)
{
	double w = 2 * M_PI * hz / 8000.0, c = 2 * cos(w), s1 = 0, s2 = 0;

	for (size_t i = 0; i < n; i++) {
		double s = x[i] + c * s1 - s2;
		s2 = s1;
		s1 = s;
	}
	/* a sine of amplitude A gives (A n / 2)^2; its power is A^2 / 2 */
	return 2.0 * (s1 * s1 + s2 * s2 - c * s1 * s2) / ((double)n * n);
}

static void report_tone(struct rc *r)
{
	/* 50 ms blocks wholly received and clearly not idle (> -40 dBm0):
	 * the tone; its first and last 200 ms are left out */
	size_t nblk = r->rx_max / TONE_BLK, first = 0, last = 0, used = 0;
	double tone = 0, all = 0, peak_ms = 0;
	int peak_hz = 0;
	bool any = false;

	for (size_t b = 0; b < nblk; b++) {
		const int16_t *x = r->rx_lin + b * TONE_BLK;
		double e = 0;
		bool whole = true;
		for (size_t i = 0; i < TONE_BLK && whole; i++)
			whole = r->rx_have[b * TONE_BLK + i];
		if (!whole)
			continue;
		for (size_t i = 0; i < TONE_BLK; i++)
			e += (double)x[i] * x[i];
		if (dbm0(e / TONE_BLK) < -40.0)
			continue;
		if (!any)
			first = b;
		any = true;
		last = b;
	}
	for (size_t b = first + 4; any && b + 4 <= last; b++) {
		const int16_t *x = r->rx_lin + b * TONE_BLK;
		double e = 0;
		for (size_t i = 0; i < TONE_BLK; i++)
			e += (double)x[i] * x[i];
		tone += goertzel_ms(x, TONE_BLK, r->tone_hz);
		all += e / TONE_BLK;
		used++;
	}
	/* strongest frequency over (up to) 1 s in the middle, 5 Hz steps */
	if (used) {
		size_t mid = (first + last) / 2 * TONE_BLK, n = 8000;
		if (n > (last - first) * TONE_BLK / 2)
			n = (last - first) * TONE_BLK / 2;
		for (int hz = 100; hz <= 3900; hz += 5) {
			double ms = goertzel_ms(r->rx_lin + mid - n / 2, n, hz);
			if (ms > peak_ms) {
				peak_ms = ms;
				peak_hz = hz;
			}
		}
		tone /= (double)used;
		all /= (double)used;
	}
	printf("TONE codec=%s hz=%d sent_dbm0=%.1f tone_dbm0=%.2f all_dbm0=%.2f "
	       "tone_to_rest_db=%.1f peak_hz=%d blocks=%zu sent_pkts=%llu "
	       "rx_pkts=%llu rx_audio=%llu plen_min=%zu plen_max=%zu "
	       "ts_step_min=%u ts_step_max=%u badlen=%llu badpt=%llu "
	       "rx_pt0=%llu rx_pt1=%llu switch_rx_ms=%.0f ssrc_changes=%llu\n",
	       r->g729 ? "g729" : r->ulaw ? "pcmu" : "pcma", r->tone_hz, r->level,
	       dbm0(tone), dbm0(all),
	       all > tone ? 10.0 * log10(tone / (all - tone)) : 99.0, peak_hz, used,
	       (unsigned long long)r->sent_pkts, (unsigned long long)r->rx_pkts,
	       (unsigned long long)r->rx_audio, r->plen_min, r->plen_max,
	       r->step_min, r->step_max, (unsigned long long)r->rx_badlen,
	       (unsigned long long)r->rx_badpt,
	       (unsigned long long)r->rx_pt_n[0], (unsigned long long)r->rx_pt_n[1],
	       r->sw_rx_s * 1000.0, (unsigned long long)r->rx_ssrc_changes);
}

static void report_events(struct rc *r, const char *tag)
{
	char digits[MAX_EVENTS + 1];
	unsigned ended = 0, marked = 0, minend = 99, mindur = 65535;
	uint64_t audio_in_event = 0;

	for (unsigned i = 0; i < r->nev; i++) {
		digits[i] = event_digit(r->ev[i].digit);
		if (r->ev[i].ends)
			ended++;
		if (r->ev[i].marker)
			marked++;
		if (r->ev[i].ends < minend)
			minend = r->ev[i].ends;
		if (r->ev[i].duration < mindur)
			mindur = r->ev[i].duration;
	}
	digits[r->nev] = '\0';
	/* audio samples whose timestamps fall inside an event: the gateway
	 * mutes the audio while it sends a digit as events */
	for (unsigned i = 0; i < r->nev && r->rx_have_ts0; i++) {
		size_t off = (uint32_t)(r->ev[i].ts - r->rx_ts0);
		for (size_t k = 0; k < r->ev[i].duration && off + k < r->rx_max; k++)
			audio_in_event += r->rx_have[off + k];
	}
	printf("%s events=%s n=%u ended=%u marked=%u min_end_pkts=%u "
	       "min_duration=%u inband=%s audio_in_event=%llu sent_pkts=%llu "
	       "rx_pkts=%llu rx_audio=%llu rx_event_pkts=%llu badpt=%llu\n",
	       tag, r->nev ? digits : "-", r->nev, ended, marked,
	       r->nev ? minend : 0, r->nev ? mindur : 0,
	       r->inband[0] ? r->inband : "-",
	       (unsigned long long)audio_in_event,
	       (unsigned long long)r->sent_pkts, (unsigned long long)r->rx_pkts,
	       (unsigned long long)r->rx_audio, (unsigned long long)r->rx_events,
	       (unsigned long long)r->rx_badpt);
}

/* ---- running a call ---- */

static int run(struct rc *r)
{
	double t;
	size_t at = 0;

	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	/* the gateway speaks first (at answer): wait for it unless -r */
	for (t = 0; !r->have_remote && t < r->wait_ms / 1000.0; t += 0.02)
		wait_until(r, t + 0.02);
	if (!r->have_remote) {
		fprintf(stderr, "rtpcall: nothing received in %u ms\n", r->wait_ms);
		return 2;
	}
	/* restart the clocks at the first packet: windows count from here */
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	t = 0;
	if (r->mode == M_DTMF) {
		size_t warm = (size_t)r->warmup_ms * 8 / TICK;
		for (size_t i = 0; i < warm; i++) {
			send_audio(r, 0, i == 0);
			wait_until(r, t += 0.02);
		}
		for (const char *d = r->digits; *d; d++) {
			int ev = digit_event(*d);
			uint32_t ets = r->ts;
			if (ev < 0)
				continue;
			for (unsigned k = 1; k <= 5; k++) {
				send_event(r, ets, ev, k == 1, k == 5, k * TICK);
				if (k == 5) {
					send_event(r, ets, ev, false, true, k * TICK);
					send_event(r, ets, ev, false, true, k * TICK);
				}
				wait_until(r, t += 0.02);
			}
			r->ts += 5 * TICK;
			for (unsigned k = 0; k < 5; k++) {
				send_audio(r, 0, k == 0);
				wait_until(r, t += 0.02);
			}
		}
		for (unsigned k = 0; k < 50; k++) {
			send_audio(r, 0, false);
			wait_until(r, t += 0.02);
		}
		return 0;
	}
	for (at = 0; at + TICK <= r->tx_n; at += TICK) {
		send_audio(r, at, at == 0);
		wait_until(r, t += 0.02);
	}
	return 0;
}

static int write_wav(const char *path, unsigned seconds, int hz, double level)
{
	uint32_t n = seconds * 8000, v;
	uint8_t h[44];
	FILE *f = fopen(path, "wb");
	double a = sqrt(2.0 * MS_0DBM0 * pow(10.0, level / 10.0));

	if (!f)
		return 1;
	memcpy(h, "RIFF", 4);
	v = 36 + 2 * n;
	memcpy(h + 4, &v, 4);
	memcpy(h + 8, "WAVEfmt ", 8);
	v = 16;
	memcpy(h + 16, &v, 4);
	v = 1 | 1u << 16;           /* PCM, mono */
	memcpy(h + 20, &v, 4);
	v = 8000;
	memcpy(h + 24, &v, 4);
	v = 16000;
	memcpy(h + 28, &v, 4);
	v = 2 | 16u << 16;          /* block align, bits */
	memcpy(h + 32, &v, 4);
	memcpy(h + 36, "data", 4);
	v = 2 * n;
	memcpy(h + 40, &v, 4);
	fwrite(h, 1, sizeof(h), f);
	for (uint32_t i = 0; i < n; i++) {
		int16_t s = (int16_t)lrint(a * sin(2 * M_PI * hz * i / 8000.0));
		fwrite(&s, 2, 1, f);
	}
	return fclose(f) ? 1 : 0;
}

/*
 * Level of a tone at hz and of everything in a 16-bit mono WAV: the tone's
 * power is measured per 50 ms block (so a phase jump between blocks does
 * not cancel it) and averaged over the blocks.
 */
static int wav_level(const char *path, int hz)
{
	FILE *f = fopen(path, "rb");
	uint8_t h[44];
	double re = 0, im = 0, all = 0, tone = 0;
	uint32_t rate, blk;
	size_t n = 0, nblk = 0;
	int16_t s;

	if (!f || fread(h, 1, sizeof(h), f) != sizeof(h) ||
	    memcmp(h, "RIFF", 4) || memcmp(h + 8, "WAVE", 4)) {
		if (f)
			fclose(f);
		printf("WAVLEVEL file=%s error=unreadable\n", path);
		return 1;
	}
	memcpy(&rate, h + 24, 4);
	if (!rate)
		rate = 8000;
	blk = rate / 20;
	while (n < 60u * rate && fread(&s, 2, 1, f) == 1) {
		double w = 2 * M_PI * hz * (double)n / rate;
		re += s * cos(w);
		im += s * sin(w);
		all += (double)s * s;
		if (++n % blk == 0) {
			/* a sine of amplitude A: |sum| = A blk / 2, power A^2/2 */
			double amp = 2.0 * sqrt(re * re + im * im) / blk;
			tone += amp * amp / 2.0;
			nblk++;
			re = im = 0;
		}
	}
	fclose(f);
	printf("WAVLEVEL file=%s samples=%zu rate=%u tone_dbm0=%.1f all_dbm0=%.1f\n",
	       path, n, rate, dbm0(nblk ? tone / nblk : 0), dbm0(n ? all / n : 0));
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: rtpcall -l PORT [-r ADDR:PORT] [-c pcma|pcmu|g729] [-C MS:pcma|pcmu]\n"
		"               [-e PT] [-n HZ] [-t SECONDS] [-u WARMUP_MS] [-w WAIT_MS] [-P PCAP]\n"
		"               pattern|echo DBM0|dtmf DIGITS|listen|tone HZ DBM0\n"
		"       rtpcall wav FILE SECONDS HZ DBM0\n"
		"       rtpcall wavlevel FILE HZ\n");
}

static int bind_udp(uint16_t port, int *fdp)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		return errno;
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		int e = errno;
		close(fd);
		return e;
	}
	*fdp = fd;
	return 0;
}

int main(int argc, char **argv)
{
	static struct rc rc;
	struct rc *r = &rc;
	int opt, ret = 1;
	long port = 0;

	if (argc >= 6 && !strcmp(argv[1], "wav"))
		return write_wav(argv[2], (unsigned)atoi(argv[3]), atoi(argv[4]),
				 atof(argv[5]));
	if (argc >= 4 && !strcmp(argv[1], "wavlevel"))
		return wav_level(argv[2], atoi(argv[3]));

	r->pt = 8;
	r->ev_pt = 101;
	r->seconds = 6;
	r->warmup_ms = 1000;
	r->wait_ms = 5000;
	r->fd = r->rtcp_fd = -1;
	while ((opt = getopt(argc, argv, "+l:r:c:C:e:n:t:u:w:P:")) != -1) {
		switch (opt) {
		case 'C': {
			const char *c = strchr(optarg, ':');
			if (!c || (strcmp(c + 1, "pcmu") && strcmp(c + 1, "pcma"))) {
				usage();
				return 1;
			}
			r->sw = true;
			r->sw_ulaw = !strcmp(c + 1, "pcmu");
			r->sw_pt = r->sw_ulaw ? 0 : 8;
			r->sw_at = (size_t)atol(optarg) * 8;
			break;
		}
		case 'l':
			port = strtol(optarg, NULL, 10);
			break;
		case 'r': {
			char host[64];
			const char *c = strrchr(optarg, ':');
			if (!c || (size_t)(c - optarg) >= sizeof(host)) {
				usage();
				return 1;
			}
			memcpy(host, optarg, (size_t)(c - optarg));
			host[c - optarg] = '\0';
			r->remote.sin_family = AF_INET;
			r->remote.sin_port = htons((uint16_t)atoi(c + 1));
			if (inet_pton(AF_INET, host, &r->remote.sin_addr) != 1) {
				usage();
				return 1;
			}
			r->have_remote = true;
			break;
		}
		case 'c':
			r->ulaw = !strcmp(optarg, "pcmu");
			r->g729 = !strcmp(optarg, "g729");
			r->pt = r->ulaw ? 0 : r->g729 ? 18 : 8;
			break;
		case 'e':
			r->ev_pt = (uint8_t)atoi(optarg);
			break;
		case 'n':
			r->near_hz = atoi(optarg);
			break;
		case 't':
			r->seconds = (unsigned)atoi(optarg);
			break;
		case 'u':
			r->warmup_ms = (unsigned)atoi(optarg);
			break;
		case 'w':
			r->wait_ms = (unsigned)atoi(optarg);
			break;
		case 'P':
			pcap_open(r, optarg);
			break;
		default:
			usage();
			return 1;
		}
	}
	if (optind >= argc || port <= 0 || port > 65534 || r->seconds < 1 ||
	    (r->sw && r->g729) ||
	    r->seconds > MAX_SECONDS - 2 || r->warmup_ms > 5000) {
		usage();
		return 1;
	}
	if (!strcmp(argv[optind], "pattern")) {
		r->mode = M_PATTERN;
	} else if (!strcmp(argv[optind], "echo") && optind + 1 < argc) {
		r->mode = M_ECHO;
		r->level = atof(argv[optind + 1]);
		r->warmup_ms = 0;
	} else if (!strcmp(argv[optind], "dtmf") && optind + 1 < argc) {
		r->mode = M_DTMF;
		r->digits = argv[optind + 1];
	} else if (!strcmp(argv[optind], "listen")) {
		r->mode = M_LISTEN;
		r->warmup_ms = 0;
	} else if (!strcmp(argv[optind], "tone") && optind + 2 < argc) {
		r->mode = M_TONE;
		r->tone_hz = atoi(argv[optind + 1]);
		r->level = atof(argv[optind + 2]);
		if (r->tone_hz < 100 || r->tone_hz > 3900 || r->level > 3) {
			usage();
			return 1;
		}
	} else {
		usage();
		return 1;
	}
	r->lport = (uint16_t)port;
	r->ssrc = (uint32_t)getpid() * 2654435761u;
	r->seq = (uint16_t)(r->ssrc >> 7);
	r->ts = r->ssrc * 3u;
	r->rx_max = MAX_SAMPLES;
	r->rx = calloc(r->rx_max, 1);
	r->rx_lin = calloc(r->rx_max, sizeof(int16_t));
	r->rx_have = calloc(r->rx_max, 1);
	if (r->g729) {
		r->g7e = initBcg729EncoderChannel(0);
		r->g7d = initBcg729DecoderChannel();
		if (!r->g7e || !r->g7d) {
			fprintf(stderr, "rtpcall: out of memory\n");
			goto out;
		}
	}
	r->rx_e = calloc(MAX_WINS, sizeof(double));
	r->rx_en = calloc(MAX_WINS, sizeof(unsigned));
	r->rx_re = calloc(MAX_WINS, sizeof(double));
	r->rx_im = calloc(MAX_WINS, sizeof(double));
	r->drx = dtmf_rx_init(NULL, digits_h, r);
	if (!r->rx || !r->rx_lin || !r->rx_have || !r->rx_e || !r->rx_en || !r->rx_re ||
	    !r->rx_im || !r->drx ||
	    make_tx(r)) {
		fprintf(stderr, "rtpcall: out of memory or run too long\n");
		goto out;
	}
	if (bind_udp(r->lport, &r->fd) || bind_udp((uint16_t)(r->lport + 1), &r->rtcp_fd)) {
		fprintf(stderr, "rtpcall: cannot bind 127.0.0.1:%u/%u: %s\n", r->lport,
			r->lport + 1, strerror(errno));
		goto out;
	}
	ret = run(r);
	if (ret)
		goto out;
	switch (r->mode) {
	case M_PATTERN:
		report_pattern(r);
		break;
	case M_ECHO:
		report_echo(r);
		break;
	case M_DTMF:
		report_events(r, "DTMF");
		break;
	case M_LISTEN:
		report_events(r, "LISTEN");
		break;
	case M_TONE:
		report_tone(r);
		break;
	}
	if (!r->rx_audio)
		ret = 2;
out:
	if (r->pcap)
		fclose(r->pcap);
	if (r->fd >= 0)
		close(r->fd);
	if (r->rtcp_fd >= 0)
		close(r->rtcp_fd);
	if (r->drx)
		dtmf_rx_free(r->drx);
	if (r->g7e)
		closeBcg729EncoderChannel(r->g7e);
	if (r->g7d)
		closeBcg729DecoderChannel(r->g7d);
	free(r->rx);
	free(r->rx_lin);
	free(r->rx_have);
	free(r->rx_e);
	free(r->rx_en);
	free(r->rx_re);
	free(r->rx_im);
	free(r->tx);
	free(r->src);
	return ret;
}
