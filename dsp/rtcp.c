/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RTCP compound packets, LSR/DLSR and round-trip time, stream statistics
 * (RFC 3550 §6.1, §6.4, §6.5, §6.6, A.2, A.3). See rtcp.h.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "dsp/rtcp.h"

#define NTP_UNIX_OFFSET 2208988800u

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t ntp_mid(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

void dsp_rtcp_init(struct dsp_rtcp *r, const char *cname)
{
	memset(r, 0, sizeof(*r));
	if (cname) {
		size_t n = strnlen(cname, DSP_RTCP_CNAME_MAX);
		memcpy(r->cname, cname, n);
		r->cname[n] = '\0';
	}
}

uint64_t dsp_rtcp_ntp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec + NTP_UNIX_OFFSET) << 32 |
	       (uint64_t)(((uint64_t)ts.tv_nsec << 32) / 1000000000u);
}

/* Fill a report block about rx's source (A.3). */
static void make_rb(struct dsp_rtcp *r, const struct dsp_rtp_rx *rx,
		    uint64_t now_ntp, struct dsp_rtcp_rb *rb)
{
	uint32_t expected = dsp_rtp_rx_expected(rx);
	uint32_t exp_int, rec_int;
	int64_t lost_int;

	if (r->prior_ssrc != rx->ssrc || expected < r->expected_prior ||
	    rx->received < r->received_prior) {
		r->prior_ssrc = rx->ssrc;
		r->expected_prior = 0;
		r->received_prior = 0;
	}
	exp_int = expected - r->expected_prior;
	rec_int = rx->received - r->received_prior;
	r->expected_prior = expected;
	r->received_prior = rx->received;
	lost_int = (int64_t)exp_int - rec_int;

	memset(rb, 0, sizeof(*rb));
	rb->ssrc = rx->ssrc;
	rb->fraction = (exp_int == 0 || lost_int <= 0) ? 0 :
		       (uint8_t)((lost_int << 8) / exp_int);
	rb->lost = dsp_rtp_rx_lost(rx);
	rb->ext_max = dsp_rtp_rx_ext_max(rx);
	rb->jitter = dsp_rtp_rx_jitter(rx);
	if (r->have_lsr) {
		rb->lsr = r->lsr;
		rb->dlsr = ntp_mid(now_ntp) - r->lsr_arrival;
	}
}

static void put_hdr(uint8_t *p, unsigned count, unsigned pt, size_t bytes)
{
	p[0] = (uint8_t)(0x80 | count);
	p[1] = (uint8_t)pt;
	wr16(p + 2, (uint16_t)(bytes / 4 - 1));
}

int dsp_rtcp_build(struct dsp_rtcp *r, const struct dsp_rtp_tx *tx,
		   const struct dsp_rtp_rx *rx, uint64_t now_ntp, bool bye,
		   const char *reason, uint8_t *buf, size_t size, size_t *len)
{
	bool sr = tx && tx->packets > 0;
	bool have_rb = rx && rx->have_src && !rx->probation;
	size_t cl, rl = 0, n, off = 0;
	uint32_t ssrc = tx ? tx->ssrc : 0;
	struct dsp_rtcp_rb rb;

	if (!r || !buf || !len)
		return EINVAL;
	cl = strlen(r->cname);
	if (reason)
		rl = strnlen(reason, 255);

	/* Size check up front so the interval state is untouched on ENOSPC. */
	n = 8 + (sr ? 20 : 0) + (have_rb ? 24 : 0);
	n += (8 + 2 + cl + 1 + 3) & ~(size_t)3;
	if (bye)
		n += 8 + (rl ? (1 + rl + 3) & ~(size_t)3 : 0);
	if (n > size)
		return ENOSPC;

	/* SR or RR */
	n = 8 + (sr ? 20 : 0) + (have_rb ? 24 : 0);
	put_hdr(buf, have_rb ? 1 : 0, sr ? DSP_RTCP_SR : DSP_RTCP_RR, n);
	wr32(buf + 4, ssrc);
	off = 8;
	if (sr) {
		wr32(buf + off, (uint32_t)(now_ntp >> 32));
		wr32(buf + off + 4, (uint32_t)now_ntp);
		wr32(buf + off + 8, tx->ts);
		wr32(buf + off + 12, (uint32_t)tx->packets);
		wr32(buf + off + 16, (uint32_t)tx->octets);
		off += 20;
	}
	if (have_rb) {
		make_rb(r, rx, now_ntp, &rb);
		wr32(buf + off, rb.ssrc);
		wr32(buf + off + 4, (uint32_t)rb.fraction << 24 |
					    ((uint32_t)rb.lost & 0xffffff));
		wr32(buf + off + 8, rb.ext_max);
		wr32(buf + off + 12, rb.jitter);
		wr32(buf + off + 16, rb.lsr);
		wr32(buf + off + 20, rb.dlsr);
		off += 24;
	}

	/* SDES: one chunk, CNAME item, END, zero padding to a word (§6.5) */
	n = (8 + 2 + cl + 1 + 3) & ~(size_t)3;
	put_hdr(buf + off, 1, DSP_RTCP_SDES, n);
	wr32(buf + off + 4, ssrc);
	buf[off + 8] = 1;
	buf[off + 9] = (uint8_t)cl;
	memcpy(buf + off + 10, r->cname, cl);
	memset(buf + off + 10 + cl, 0, n - 10 - cl);
	off += n;

	if (bye) {
		n = 8 + (rl ? (1 + rl + 3) & ~(size_t)3 : 0);
		put_hdr(buf + off, 1, DSP_RTCP_BYE, n);
		wr32(buf + off + 4, ssrc);
		if (rl) {
			buf[off + 8] = (uint8_t)rl;
			memcpy(buf + off + 9, reason, rl);
			memset(buf + off + 9 + rl, 0, n - 9 - rl);
		}
		off += n;
	}
	r->tx_packets++;
	*len = off;
	return 0;
}

static void decode_rb(const uint8_t *p, struct dsp_rtcp_rb *rb)
{
	uint32_t w = rd32(p + 4);

	rb->ssrc = rd32(p);
	rb->fraction = (uint8_t)(w >> 24);
	/* sign-extend the 24-bit cumulative loss */
	rb->lost = (int32_t)((w & 0xffffff) ^ 0x800000) - 0x800000;
	rb->ext_max = rd32(p + 8);
	rb->jitter = rd32(p + 12);
	rb->lsr = rd32(p + 16);
	rb->dlsr = rd32(p + 20);
}

static int decode_sdes(const uint8_t *p, size_t len, unsigned sc,
		       struct dsp_rtcp_info *info)
{
	size_t off = 0;

	for (unsigned c = 0; c < sc; c++) {
		if (len - off < 4)
			return EBADMSG;
		off += 4;
		/* items until END (type 0), then pad to the next word */
		for (;;) {
			uint8_t type, il;
			if (off >= len)
				return EBADMSG;
			type = p[off];
			if (type == 0) {
				off = (off + 4) & ~(size_t)3;
				break;
			}
			if (len - off < 2)
				return EBADMSG;
			il = p[off + 1];
			if (len - off - 2 < il)
				return EBADMSG;
			if (type == 1 && !pl_isset(&info->cname)) {
				info->cname.p = (const char *)p + off + 2;
				info->cname.l = il;
			}
			off += 2u + il;
		}
		if (off > len)
			return EBADMSG;
	}
	return 0;
}

int dsp_rtcp_decode(const uint8_t *buf, size_t len, uint32_t our_ssrc,
		    struct dsp_rtcp_info *info)
{
	struct dsp_rtcp_info in;
	size_t off = 0;
	bool first = true;

	if (!buf || !info || len < 8 || len % 4)
		return EBADMSG;
	/* A.2: the first packet is SR or RR without padding */
	if ((buf[0] & 0xe0) != 0x80 ||
	    (buf[1] != DSP_RTCP_SR && buf[1] != DSP_RTCP_RR))
		return EBADMSG;

	memset(&in, 0, sizeof(in));
	while (off < len) {
		const uint8_t *p = buf + off;
		size_t plen, body;
		unsigned count, pt;

		if (len - off < 4 || (p[0] >> 6) != 2)
			return EBADMSG;
		plen = ((size_t)(p[2] << 8 | p[3]) + 1) * 4;
		if (plen > len - off)
			return EBADMSG;
		body = plen;
		if (p[0] & 0x20) {
			/* padding only in the last packet of the compound */
			uint8_t np = p[plen - 1];
			if (off + plen != len || np == 0 || np > plen - 4)
				return EBADMSG;
			body = plen - np;
		}
		count = p[0] & 0x1f;
		pt = p[1];
		switch (pt) {
		case DSP_RTCP_SR:
		case DSP_RTCP_RR: {
			size_t need = 8 + (pt == DSP_RTCP_SR ? 20 : 0) + count * 24u;
			size_t rbo;
			if (body < need)
				return EBADMSG;
			if (first)
				in.ssrc = rd32(p + 4);
			if (pt == DSP_RTCP_SR && first) {
				in.has_sr = true;
				in.sr.ntp = (uint64_t)rd32(p + 8) << 32 | rd32(p + 12);
				in.sr.rtp_ts = rd32(p + 16);
				in.sr.packets = rd32(p + 20);
				in.sr.octets = rd32(p + 24);
			}
			rbo = 8 + (pt == DSP_RTCP_SR ? 20 : 0);
			for (unsigned i = 0; i < count; i++, rbo += 24) {
				struct dsp_rtcp_rb rb;
				decode_rb(p + rbo, &rb);
				in.n_rb++;
				if (rb.ssrc == our_ssrc && !in.has_rb) {
					in.has_rb = true;
					in.rb = rb;
				}
			}
			break;
		}
		case DSP_RTCP_SDES:
			if (decode_sdes(p + 4, body - 4, count, &in))
				return EBADMSG;
			break;
		case DSP_RTCP_BYE:
			if (body < 4 + count * 4u)
				return EBADMSG;
			in.bye = true;
			if (body > 4 + count * 4u) {
				size_t ro = 4 + count * 4u;
				uint8_t rl = p[ro];
				if (body - ro - 1 < rl)
					return EBADMSG;
				in.bye_reason.p = (const char *)p + ro + 1;
				in.bye_reason.l = rl;
			}
			break;
		default:
			in.n_other++;
			break;
		}
		first = false;
		off += plen;
	}
	*info = in;
	return 0;
}

int dsp_rtcp_input(struct dsp_rtcp *r, const uint8_t *buf, size_t len,
		   uint32_t our_ssrc, uint64_t now_ntp,
		   struct dsp_rtcp_info *info)
{
	struct dsp_rtcp_info in;

	if (dsp_rtcp_decode(buf, len, our_ssrc, &in)) {
		r->malformed++;
		return EBADMSG;
	}
	r->rx_packets++;
	if (in.has_sr) {
		r->have_lsr = true;
		r->lsr = ntp_mid(in.sr.ntp);
		r->lsr_arrival = ntp_mid(now_ntp);
	}
	if (in.has_rb) {
		r->have_remote = true;
		r->remote = in.rb;
		/* RTT = A - LSR - DLSR (§6.4.1); LSR 0 means no SR seen yet */
		if (in.rb.lsr) {
			int32_t rtt = (int32_t)(ntp_mid(now_ntp) - in.rb.lsr -
						in.rb.dlsr);
			if (rtt >= 0) {
				r->have_rtt = true;
				r->rtt_ms = rtt * 1000.0 / 65536.0;
			}
		}
	}
	if (in.bye)
		r->bye_rx = true;
	if (info)
		*info = in;
	return 0;
}

uint32_t dsp_rtcp_interval_ms(unsigned members, unsigned senders, bool we_sent,
			      uint32_t session_bps, double avg_rtcp_size,
			      bool initial, uint32_t rnd)
{
	/* A.7: senders share 25 % of the RTCP bandwidth when they are at
	 * most a quarter of the members */
	const double sender_fraction = 0.25, receiver_fraction = 0.75;
	const double comp = 2.71828 - 1.5; /* e - 3/2, §6.3.1 */
	double tmin = initial ? 2.5 : 5.0;
	double bw = session_bps / 8.0 * 0.05; /* octets/s for RTCP */
	double n = members ? members : 1, t;

	if (senders > members)
		senders = members;
	if (bw <= 0)
		bw = 1;
	if (senders > 0 && senders <= members * sender_fraction) {
		if (we_sent) {
			bw *= sender_fraction;
			n = senders;
		} else {
			bw *= receiver_fraction;
			n = members - senders;
		}
	}
	if (avg_rtcp_size < 1)
		avg_rtcp_size = 1;
	t = avg_rtcp_size * n / bw;
	if (t < tmin)
		t = tmin;
	t *= 0.5 + (double)rnd / 4294967296.0;
	t /= comp;
	return (uint32_t)(t * 1000.0);
}

void dsp_rtp_stats_get(const struct dsp_rtcp *r, const struct dsp_rtp_tx *tx,
		       const struct dsp_rtp_rx *rx, struct dsp_rtp_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (tx) {
		st->tx_packets = tx->packets;
		st->tx_octets = tx->octets;
	}
	if (rx) {
		st->rx_packets = rx->cnt.packets;
		st->rx_octets = rx->cnt.octets;
		st->rx_lost = dsp_rtp_rx_lost(rx);
		st->rx_jitter_ms = dsp_rtp_rx_jitter_ms(rx);
		st->rx = rx->cnt;
	}
	if (r) {
		if (r->have_remote) {
			uint32_t rate = rx ? rx->cfg.clock_rate : 8000;
			st->remote_lost = r->remote.lost;
			st->remote_jitter_ms = r->remote.jitter * 1000.0 / rate;
		}
		st->have_rtt = r->have_rtt;
		st->rtt_ms = r->rtt_ms;
		st->rtcp_rx = r->rx_packets;
		st->rtcp_malformed = r->malformed;
	}
}
