/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RTP packets, sender and receiver state (RFC 3550 §5.1, §5.3.1, §6.4.1,
 * Appendix A.1 and A.8), latching and media timeout, UDP socket helper.
 * See rtp.h for the contract.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "dsp/rtp.h"

#define RTP_SEQ_MOD    (1u << 16)
#define MAX_DROPOUT    3000
#define MAX_MISORDER   100

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

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

int dsp_rtp_decode(const uint8_t *buf, size_t len, struct dsp_rtp_hdr *hdr,
		   const uint8_t **payload, size_t *plen)
{
	struct dsp_rtp_hdr h;
	size_t off, end;

	if (!buf || !hdr || !payload || !plen)
		return EINVAL;
	if (len > DSP_RTP_MAX_PACKET)
		return EMSGSIZE;
	if (len < DSP_RTP_HDR_SIZE || (buf[0] >> 6) != DSP_RTP_VERSION)
		return EBADMSG;

	memset(&h, 0, sizeof(h));
	h.ext = (buf[0] >> 4) & 1;
	h.cc = buf[0] & 0x0f;
	h.marker = buf[1] >> 7;
	h.pt = buf[1] & 0x7f;
	h.seq = rd16(buf + 2);
	h.ts = rd32(buf + 4);
	h.ssrc = rd32(buf + 8);
	off = DSP_RTP_HDR_SIZE;
	end = len;

	/* Padding is removed first: the count octet is the last octet of the
	 * packet and covers itself (§5.1); it must not eat into the header. */
	if (buf[0] & 0x20) {
		uint8_t n = buf[len - 1];
		if (n == 0 || n > len - off)
			return EBADMSG;
		h.pad_len = n;
		end = len - n;
	}
	if (end - off < (size_t)h.cc * 4)
		return EBADMSG;
	for (unsigned i = 0; i < h.cc; i++, off += 4)
		h.csrc[i] = rd32(buf + off);

	if (h.ext) {
		size_t xl;
		if (end - off < 4)
			return EBADMSG;
		h.ext_profile = rd16(buf + off);
		xl = (size_t)rd16(buf + off + 2) * 4;
		off += 4;
		if (end - off < xl)
			return EBADMSG;
		h.ext_data = buf + off;
		h.ext_len = xl;
		off += xl;
	}

	*hdr = h;
	*payload = buf + off;
	*plen = end - off;
	return 0;
}

int dsp_rtp_encode(uint8_t *buf, size_t size, const struct dsp_rtp_hdr *hdr,
		   const uint8_t *payload, size_t plen, size_t *len)
{
	size_t need, off;

	if (!buf || !hdr || !len || (plen && !payload))
		return EINVAL;
	if (hdr->pt > 127 || hdr->cc > DSP_RTP_MAX_CSRC)
		return EINVAL;
	if (hdr->ext && (hdr->ext_len % 4 || hdr->ext_len > 0xffffu * 4 ||
			 (hdr->ext_len && !hdr->ext_data)))
		return EINVAL;

	need = DSP_RTP_HDR_SIZE + (size_t)hdr->cc * 4 +
	       (hdr->ext ? 4 + hdr->ext_len : 0) + plen + hdr->pad_len;
	if (need > size)
		return ENOSPC;

	buf[0] = (uint8_t)(DSP_RTP_VERSION << 6 | (hdr->pad_len ? 0x20 : 0) |
			   (hdr->ext ? 0x10 : 0) | hdr->cc);
	buf[1] = (uint8_t)((hdr->marker ? 0x80 : 0) | hdr->pt);
	wr16(buf + 2, hdr->seq);
	wr32(buf + 4, hdr->ts);
	wr32(buf + 8, hdr->ssrc);
	off = DSP_RTP_HDR_SIZE;
	for (unsigned i = 0; i < hdr->cc; i++, off += 4)
		wr32(buf + off, hdr->csrc[i]);
	if (hdr->ext) {
		wr16(buf + off, hdr->ext_profile);
		wr16(buf + off + 2, (uint16_t)(hdr->ext_len / 4));
		off += 4;
		if (hdr->ext_len)
			memcpy(buf + off, hdr->ext_data, hdr->ext_len);
		off += hdr->ext_len;
	}
	if (plen)
		memcpy(buf + off, payload, plen);
	off += plen;
	if (hdr->pad_len) {
		memset(buf + off, 0, hdr->pad_len - 1u);
		off += hdr->pad_len;
		buf[off - 1] = hdr->pad_len;
	}
	*len = off;
	return 0;
}

bool dsp_rtp_is_rtcp(const uint8_t *buf, size_t len)
{
	uint8_t pt;

	if (!buf || len < 2 || (buf[0] >> 6) != DSP_RTP_VERSION)
		return false;
	pt = buf[1] & 0x7f;
	return pt >= 64 && pt <= 95;
}

/* ---- sender ---------------------------------------------------------- */

static int fill_random(void *p, size_t n)
{
	uint8_t *b = p;
	size_t got = 0;

	/* getrandom on a few bytes only fails on EINTR before the pool is
	 * ready; bound the retries anyway. */
	for (int tries = 0; got < n && tries < 16; tries++) {
		ssize_t r = getrandom(b + got, n - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		got += (size_t)r;
	}
	return got == n ? 0 : EIO;
}

int dsp_rtp_tx_init(struct dsp_rtp_tx *tx)
{
	struct {
		uint32_t ssrc;
		uint16_t seq;
		uint32_t ts;
	} r;
	int err;

	if (!tx)
		return EINVAL;
	err = fill_random(&r, sizeof(r));
	if (err)
		return err;
	memset(tx, 0, sizeof(*tx));
	tx->ssrc = r.ssrc;
	tx->seq = r.seq;
	tx->ts = r.ts;
	tx->last_ts = r.ts;
	tx->mark_next = true;
	return 0;
}

int dsp_rtp_tx_raw(struct dsp_rtp_tx *tx, uint8_t *buf, size_t size,
		   uint8_t pt, uint32_t ts, bool marker,
		   const uint8_t *payload, size_t plen, size_t *len)
{
	struct dsp_rtp_hdr h;
	int err;

	if (!tx)
		return EINVAL;
	memset(&h, 0, sizeof(h));
	h.pt = pt;
	h.marker = marker;
	h.seq = tx->seq;
	h.ts = ts;
	h.ssrc = tx->ssrc;
	err = dsp_rtp_encode(buf, size, &h, payload, plen, len);
	if (err)
		return err;
	tx->seq++;
	tx->last_ts = ts;
	tx->packets++;
	tx->octets += plen;
	return 0;
}

int dsp_rtp_tx_audio(struct dsp_rtp_tx *tx, uint8_t *buf, size_t size,
		     uint8_t pt, uint32_t samples, const uint8_t *payload,
		     size_t plen, size_t *len)
{
	int err;

	if (!tx)
		return EINVAL;
	err = dsp_rtp_tx_raw(tx, buf, size, pt, tx->ts, tx->mark_next,
			     payload, plen, len);
	if (err)
		return err;
	tx->mark_next = false;
	tx->ts += samples;
	return 0;
}

void dsp_rtp_tx_skip(struct dsp_rtp_tx *tx, uint32_t samples)
{
	tx->ts += samples;
	tx->mark_next = true;
}

/* ---- receiver -------------------------------------------------------- */

void dsp_rtp_rx_cfg_default(struct dsp_rtp_rx_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->clock_rate = 8000;
	cfg->event_pt = -1;
	cfg->max_ts_jump = 10 * 8000;
	cfg->probation = 2;
}

void dsp_rtp_rx_cfg_allow_pt(struct dsp_rtp_rx_cfg *cfg, uint8_t pt)
{
	if (pt < 128)
		cfg->pt_mask[pt / 8] |= (uint8_t)(1u << (pt % 8));
}

void dsp_rtp_rx_init(struct dsp_rtp_rx *rx, const struct dsp_rtp_rx_cfg *cfg)
{
	memset(rx, 0, sizeof(*rx));
	rx->cfg = *cfg;
	if (!rx->cfg.clock_rate)
		rx->cfg.clock_rate = 8000;
}

void dsp_rtp_rx_set_cfg(struct dsp_rtp_rx *rx, const struct dsp_rtp_rx_cfg *cfg)
{
	rx->cfg = *cfg;
	if (!rx->cfg.clock_rate)
		rx->cfg.clock_rate = 8000;
}

void dsp_rtp_rx_set_peer(struct dsp_rtp_rx *rx, const struct sockaddr *sa,
			 socklen_t salen)
{
	rx->latched = false;
	rx->peer_len = 0;
	if (sa && salen && salen <= sizeof(rx->peer)) {
		memcpy(&rx->peer, sa, salen);
		rx->peer_len = salen;
	}
}

int dsp_rtp_rx_peer(const struct dsp_rtp_rx *rx, struct sockaddr_storage *sa,
		    socklen_t *salen)
{
	if (!rx->peer_len)
		return ENOENT;
	memcpy(sa, &rx->peer, rx->peer_len);
	*salen = rx->peer_len;
	return 0;
}

static bool same_addr(const struct sockaddr_storage *a, socklen_t alen,
		      const struct sockaddr *b, socklen_t blen)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET && blen >= sizeof(struct sockaddr_in) &&
	    alen >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (b->sa_family == AF_INET6 && blen >= sizeof(struct sockaddr_in6) &&
	    alen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
	return false;
}

/* A.1 init_seq */
static void init_seq(struct dsp_rtp_rx *rx, uint16_t seq)
{
	rx->base_seq = seq;
	rx->max_seq = seq;
	rx->bad_seq = RTP_SEQ_MOD + 1;
	rx->cycles = 0;
	rx->received = 0;
	rx->have_transit = false;
	rx->have_jump = false;
}

static void new_source(struct dsp_rtp_rx *rx, uint32_t ssrc, uint16_t seq,
		       uint32_t ts)
{
	init_seq(rx, seq);
	rx->have_src = true;
	rx->ssrc = ssrc;
	rx->max_seq = (uint16_t)(seq - 1);
	rx->probation = rx->cfg.probation;
	rx->jitter = 0;
	rx->last_ts = ts;
	rx->last_seq = (uint16_t)(seq - 1);
	rx->have_cand = false;
}

/* A.1 update_seq: returns true when the packet is valid. */
static bool update_seq(struct dsp_rtp_rx *rx, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - rx->max_seq);

	if (rx->probation) {
		if (seq == (uint16_t)(rx->max_seq + 1)) {
			rx->probation--;
			rx->max_seq = seq;
			if (rx->probation == 0) {
				init_seq(rx, seq);
				rx->received++;
				return true;
			}
		} else {
			rx->probation = rx->cfg.probation ? rx->cfg.probation - 1 : 0;
			rx->max_seq = seq;
		}
		return false;
	} else if (udelta < MAX_DROPOUT) {
		if (seq < rx->max_seq)
			rx->cycles += RTP_SEQ_MOD;
		rx->max_seq = seq;
	} else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
		if (seq == rx->bad_seq) {
			/* Two sequential packets: the source restarted. */
			init_seq(rx, seq);
		} else {
			rx->bad_seq = (seq + 1u) & (RTP_SEQ_MOD - 1);
			return false;
		}
	}
	/* else duplicate or reordered: valid, the jitter buffer sorts it */
	rx->received++;
	return true;
}

static void update_jitter(struct dsp_rtp_rx *rx, uint32_t ts, uint64_t now_us)
{
	uint32_t arrival = (uint32_t)(now_us * rx->cfg.clock_rate / 1000000u);
	uint32_t transit = arrival - ts;
	int32_t d;

	if (!rx->have_transit) {
		rx->have_transit = true;
		rx->transit = transit;
		return;
	}
	d = (int32_t)(transit - rx->transit);
	rx->transit = transit;
	if (d < 0)
		d = -d;
	/* J += (|D| - J) / 16, kept scaled by 16 (A.8) */
	rx->jitter += (uint32_t)d - ((rx->jitter + 8) >> 4);
}

static bool pt_allowed(const struct dsp_rtp_rx_cfg *cfg, uint8_t pt)
{
	return cfg->pt_mask[pt / 8] & (1u << (pt % 8));
}

int dsp_rtp_rx_input(struct dsp_rtp_rx *rx, const uint8_t *buf, size_t len,
		     uint64_t now_us, const struct sockaddr *src,
		     socklen_t srclen, struct dsp_rtp_hdr *hdr,
		     const uint8_t **payload, size_t *plen)
{
	struct dsp_rtp_hdr h;
	const uint8_t *pl;
	size_t pll;
	bool is_event, in_order, fresh = false;
	int err;

	err = dsp_rtp_decode(buf, len, &h, &pl, &pll);
	if (err == EMSGSIZE) {
		rx->cnt.oversized++;
		return err;
	}
	if (err) {
		rx->cnt.malformed++;
		return EBADMSG;
	}
	if (!pt_allowed(&rx->cfg, h.pt)) {
		rx->cnt.unknown_pt++;
		return ENOTSUP;
	}
	if (src && rx->peer_len && (rx->latched || !rx->cfg.latch) &&
	    !same_addr(&rx->peer, rx->peer_len, src, srclen)) {
		rx->cnt.wrong_src++;
		return EPERM;
	}

	if (!rx->have_src) {
		new_source(rx, h.ssrc, h.seq, h.ts);
		if (!rx->cfg.probation) {
			init_seq(rx, h.seq);
			fresh = true;
		}
	} else if (h.ssrc != rx->ssrc) {
		/* A different SSRC replaces the current one only after two
		 * sequential packets, so a stray packet cannot hijack us. */
		if (rx->have_cand && rx->cand_ssrc == h.ssrc &&
		    h.seq == (uint16_t)(rx->cand_seq + 1)) {
			rx->cnt.ssrc_change++;
			new_source(rx, h.ssrc, h.seq, h.ts);
			init_seq(rx, h.seq);
			rx->probation = 0;
			fresh = true;
		} else {
			rx->have_cand = true;
			rx->cand_ssrc = h.ssrc;
			rx->cand_seq = h.seq;
			rx->cnt.bad_seq++;
			return EAGAIN;
		}
	}
	rx->have_cand = false;

	is_event = rx->cfg.event_pt >= 0 && h.pt == rx->cfg.event_pt;
	in_order = !rx->probation &&
		   (uint16_t)(h.seq - rx->max_seq) >= 1 &&
		   (uint16_t)(h.seq - rx->max_seq) < MAX_DROPOUT;

	/* Timestamp jump on an in-order audio packet: drop it unless it is
	 * confirmed by the next packet, then resynchronise. A forward jump
	 * on the first packet of a talkspurt (marker) is a long silence,
	 * not an error. */
	if (in_order && !is_event && rx->cfg.max_ts_jump && rx->received) {
		int32_t d = (int32_t)(h.ts - rx->last_ts);
		uint32_t ad = d < 0 ? (uint32_t)-(int64_t)d : (uint32_t)d;
		if (ad > rx->cfg.max_ts_jump && h.marker && d > 0) {
			rx->have_transit = false;
		} else if (ad > rx->cfg.max_ts_jump) {
			uint32_t cd = h.ts - rx->jump_ts;
			if (rx->have_jump && h.seq == (uint16_t)(rx->jump_seq + 1) &&
			    cd <= rx->cfg.max_ts_jump) {
				rx->have_jump = false;
				rx->have_transit = false;
			} else {
				rx->have_jump = true;
				rx->jump_seq = h.seq;
				rx->jump_ts = h.ts;
				rx->cnt.ts_jump++;
				return EAGAIN;
			}
		}
	}

	if (fresh) {
		rx->received++;
	} else if (!update_seq(rx, h.seq)) {
		rx->cnt.bad_seq++;
		return rx->probation ? EAGAIN : EALREADY;
	}
	rx->have_jump = false;

	if (!is_event) {
		update_jitter(rx, h.ts, now_us);
		if (in_order || fresh || rx->received == 1)
			rx->last_ts = h.ts;
	}
	rx->last_seq = h.seq;

	if (src && rx->cfg.latch && !rx->latched && srclen &&
	    srclen <= sizeof(rx->peer)) {
		memcpy(&rx->peer, src, srclen);
		rx->peer_len = srclen;
		rx->latched = true;
	}
	rx->last_rx_us = now_us;
	rx->timed_out = false;
	rx->cnt.packets++;
	rx->cnt.octets += pll;
	*hdr = h;
	*payload = pl;
	*plen = pll;
	return 0;
}

uint32_t dsp_rtp_rx_ext_max(const struct dsp_rtp_rx *rx)
{
	return rx->cycles + rx->max_seq;
}

uint32_t dsp_rtp_rx_expected(const struct dsp_rtp_rx *rx)
{
	if (!rx->have_src || rx->probation)
		return 0;
	return dsp_rtp_rx_ext_max(rx) - rx->base_seq + 1;
}

int32_t dsp_rtp_rx_lost(const struct dsp_rtp_rx *rx)
{
	int64_t lost = (int64_t)dsp_rtp_rx_expected(rx) - rx->received;

	if (!rx->have_src || rx->probation)
		return 0;
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	return (int32_t)lost;
}

uint32_t dsp_rtp_rx_jitter(const struct dsp_rtp_rx *rx)
{
	return rx->jitter >> 4;
}

double dsp_rtp_rx_jitter_ms(const struct dsp_rtp_rx *rx)
{
	return (double)rx->jitter / 16.0 * 1000.0 / rx->cfg.clock_rate;
}

bool dsp_rtp_rx_timeout(struct dsp_rtp_rx *rx, uint64_t now_us)
{
	if (!rx->cfg.timeout_ms)
		return false;
	if (!rx->last_rx_us) {
		rx->last_rx_us = now_us ? now_us : 1;
		return false;
	}
	if (rx->timed_out ||
	    now_us - rx->last_rx_us < (uint64_t)rx->cfg.timeout_ms * 1000u)
		return false;
	rx->timed_out = true;
	return true;
}

/* ---- UDP socket helper ----------------------------------------------- */

int dsp_rtp_sock_open(const struct sockaddr *addr, socklen_t addrlen, int *fd)
{
	int s, err = 0, on = 1;

	if (!addr || !fd ||
	    (addr->sa_family != AF_INET && addr->sa_family != AF_INET6))
		return EINVAL;
	s = socket(addr->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return errno;
	if (addr->sa_family == AF_INET6 &&
	    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0) {
		err = errno;
		goto out;
	}
	if (bind(s, addr, addrlen) < 0) {
		err = errno;
		goto out;
	}
	*fd = s;
out:
	if (err)
		close(s);
	return err;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

int dsp_rtp_sock_open_pair(const struct sockaddr *addr, socklen_t addrlen,
			   uint16_t port_min, uint16_t port_max,
			   int *rtp_fd, int *rtcp_fd, uint16_t *port)
{
	struct sockaddr_storage ss;
	uint32_t npairs, start, r = 0;
	int err;

	if (!addr || addrlen > sizeof(ss) || !rtp_fd || !rtcp_fd || !port)
		return EINVAL;
	port_min = (uint16_t)((port_min + 1u) & ~1u);
	if (port_min == 0 || port_max <= port_min)
		return EINVAL;
	npairs = (uint32_t)(port_max - port_min + 1u) / 2;
	if (!npairs)
		return EINVAL;
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, addr, addrlen);
	err = fill_random(&r, sizeof(r));
	if (err)
		return err;
	start = r % npairs;
	for (uint32_t i = 0; i < npairs; i++) {
		uint16_t p = (uint16_t)(port_min + 2 * ((start + i) % npairs));
		int a, b;
		set_port(&ss, p);
		err = dsp_rtp_sock_open((struct sockaddr *)&ss, addrlen, &a);
		if (err == EADDRINUSE || err == EACCES)
			continue;
		if (err)
			return err;
		set_port(&ss, (uint16_t)(p + 1));
		err = dsp_rtp_sock_open((struct sockaddr *)&ss, addrlen, &b);
		if (err) {
			close(a);
			if (err == EADDRINUSE || err == EACCES)
				continue;
			return err;
		}
		*rtp_fd = a;
		*rtcp_fd = b;
		*port = p;
		return 0;
	}
	return EADDRINUSE;
}

int dsp_rtp_sock_send(int fd, const uint8_t *buf, size_t len,
		      const struct sockaddr *dst, socklen_t dstlen)
{
	ssize_t n = sendto(fd, buf, len, MSG_DONTWAIT, dst, dstlen);

	if (n < 0)
		return errno == EWOULDBLOCK ? EAGAIN : errno;
	return (size_t)n == len ? 0 : EIO;
}

int dsp_rtp_sock_recv(int fd, uint8_t *buf, size_t size, size_t *len,
		      struct sockaddr_storage *src, socklen_t *srclen)
{
	struct iovec iov = { buf, size };
	struct msghdr mh;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_name = src;
	mh.msg_namelen = sizeof(*src);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	n = recvmsg(fd, &mh, MSG_DONTWAIT);
	if (n < 0)
		return errno == EWOULDBLOCK ? EAGAIN : errno;
	if (mh.msg_flags & MSG_TRUNC)
		return EMSGSIZE;
	*len = (size_t)n;
	*srclen = mh.msg_namelen;
	return 0;
}
