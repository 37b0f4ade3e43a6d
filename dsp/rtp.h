/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RTP packets and per-stream state (RFC 3550): header pack/unpack (§5.1,
 * §5.3.1 header extension, padding), sender state (§5.1 random initial
 * sequence number, timestamp and SSRC; §8.1), receiver state with sequence
 * validation, probation and wraparound (Appendix A.1), interarrival jitter
 * (§6.4.1, A.8), SSRC change handling, symmetric RTP / latching (RFC 4961
 * style: learn the peer's source address from valid packets), media
 * timeout detection, and a small non-blocking UDP socket helper (IPv4/IPv6)
 * whose descriptor can be polled from a libuv loop (uv_poll_init).
 *
 * No I/O except the dsp_rtp_sock_* helpers; no locks; all state lives in
 * per-channel structs owned by the caller (the media thread's channel).
 */
#ifndef DSP_RTP_H
#define DSP_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DSP_RTP_VERSION    2
#define DSP_RTP_HDR_SIZE   12
#define DSP_RTP_MAX_CSRC   15
/* Largest datagram accepted or built (Ethernet MTU payload). */
#define DSP_RTP_MAX_PACKET 1500

/* A decoded RTP header. ext_data/ext_len are a zero-copy view into the
 * packet (the extension body after the 4-byte extension header). */
struct dsp_rtp_hdr {
	bool marker;
	bool ext;
	uint8_t pt;
	uint8_t cc;
	uint8_t pad_len;	/* padding octets incl. the count octet; 0 = none */
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint32_t csrc[DSP_RTP_MAX_CSRC];
	uint16_t ext_profile;
	const uint8_t *ext_data;
	size_t ext_len;		/* octets, a multiple of 4 */
};

/*
 * Decode a packet. On success *hdr is filled and *payload and *plen point at
 * the payload inside buf (padding and header extension removed).
 * Errors: EBADMSG (version, truncated header/CSRC/extension, bad padding
 * count), EMSGSIZE (len > DSP_RTP_MAX_PACKET). Outputs untouched on error.
 */
int dsp_rtp_decode(const uint8_t *buf, size_t len, struct dsp_rtp_hdr *hdr,
		   const uint8_t **payload, size_t *plen);

/*
 * Encode hdr + payload into buf (size octets). hdr->ext with
 * ext_data/ext_len (multiple of 4, <= 262140) adds a header extension;
 * hdr->pad_len (0 or 1..255) adds that many padding octets. Returns 0 and
 * *len, EINVAL for a bad header, ENOSPC if buf is too small.
 */
int dsp_rtp_encode(uint8_t *buf, size_t size, const struct dsp_rtp_hdr *hdr,
		   const uint8_t *payload, size_t plen, size_t *len);

/*
 * RTP/RTCP demultiplexing on one port (RFC 5761 §4): true when the
 * datagram is RTCP (second octet, marker bit masked, in 64..95, i.e.
 * RTCP packet types 192..223). Peers also send RTCP keepalives to the RTP
 * port without negotiating rtcp-mux; the receiver should hand these to
 * dsp_rtcp rather than count them as unknown payload types.
 */
bool dsp_rtp_is_rtcp(const uint8_t *buf, size_t len);

/* ---- sender ---------------------------------------------------------- */

struct dsp_rtp_tx {
	uint32_t ssrc;
	uint16_t seq;		/* sequence number of the next packet */
	uint32_t ts;		/* media timestamp of the next audio frame */
	bool mark_next;		/* next audio packet starts a talkspurt */
	uint32_t last_ts;	/* timestamp of the last packet sent */
	uint64_t packets;
	uint64_t octets;	/* payload octets (RFC 3550 §6.4.1) */
};

/*
 * Start a sender: SSRC, first sequence number and first timestamp are drawn
 * from getrandom(2) (RFC 3550 §5.1, RFC 3711 §9.1 relies on it). The first
 * audio packet carries the marker bit. Returns 0 or the errno of getrandom.
 */
int dsp_rtp_tx_init(struct dsp_rtp_tx *tx);

/*
 * Build an audio packet for `samples` samples of payload at the current
 * timestamp, then advance the timestamp by `samples`. The marker bit is set
 * on the first packet after init or after dsp_rtp_tx_skip() (a talkspurt
 * start, RFC 3551 §4.1). Returns 0, EINVAL, ENOSPC.
 */
int dsp_rtp_tx_audio(struct dsp_rtp_tx *tx, uint8_t *buf, size_t size,
		     uint8_t pt, uint32_t samples, const uint8_t *payload,
		     size_t plen, size_t *len);

/*
 * Advance the media clock by `samples` without sending (silence
 * suppression, or audio muted during a telephone-event): keeps timestamps
 * continuous and marks the next audio packet as a talkspurt start.
 */
void dsp_rtp_tx_skip(struct dsp_rtp_tx *tx, uint32_t samples);

/*
 * Build a packet with an explicit timestamp and marker (used for RFC 4733
 * telephone-events, whose timestamp is the event start and stays fixed
 * over the event). Does not move the audio clock. Returns 0, EINVAL, ENOSPC.
 */
int dsp_rtp_tx_raw(struct dsp_rtp_tx *tx, uint8_t *buf, size_t size,
		   uint8_t pt, uint32_t ts, bool marker,
		   const uint8_t *payload, size_t plen, size_t *len);

/* ---- receiver -------------------------------------------------------- */

struct dsp_rtp_rx_cfg {
	uint32_t clock_rate;	 /* RTP clock of the stream, 8000 for audio here */
	int event_pt;		 /* telephone-event PT (-1 none): its fixed
				  * timestamps are kept out of jitter and
				  * timestamp-jump checks */
	uint8_t pt_mask[16];	 /* bit n set = payload type n accepted */
	bool latch;		 /* symmetric RTP: learn the peer from the packets */
	uint32_t timeout_ms;	 /* media timeout; 0 = off */
	uint32_t max_ts_jump;	 /* timestamp jump (units) counted as a jump */
	unsigned probation;	 /* sequential packets needed (A.1 MIN_SEQUENTIAL) */
};

struct dsp_rtp_rx_counters {
	uint64_t packets;	/* delivered */
	uint64_t octets;	/* delivered payload octets */
	uint64_t malformed;
	uint64_t oversized;
	uint64_t unknown_pt;
	uint64_t ssrc_change;
	uint64_t ts_jump;
	uint64_t bad_seq;	/* out of window, duplicates, probation drops */
	uint64_t wrong_src;	/* from an address other than the latched peer */
};

struct dsp_rtp_rx {
	struct dsp_rtp_rx_cfg cfg;
	struct dsp_rtp_rx_counters cnt;
	/* RFC 3550 A.1 source state */
	bool have_src;
	uint32_t ssrc;
	uint16_t max_seq;
	uint32_t cycles;
	uint32_t base_seq;
	uint32_t bad_seq;
	uint32_t probation;
	uint32_t received;
	/* candidate for an SSRC change: must send two sequential packets */
	bool have_cand;
	uint32_t cand_ssrc;
	uint16_t cand_seq;
	/* timestamp jump candidate */
	bool have_jump;
	uint16_t jump_seq;
	uint32_t jump_ts;
	uint32_t last_ts;
	uint16_t last_seq;
	/* A.8 jitter, scaled by 16, in timestamp units */
	bool have_transit;
	uint32_t transit;
	uint32_t jitter;
	/* latching and timeout */
	bool latched;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	uint64_t last_rx_us;
	bool timed_out;
};

/* Default configuration: 8 kHz, no PT accepted (set them), latching off,
 * no timeout, 10 s jump threshold, probation 2. */
void dsp_rtp_rx_cfg_default(struct dsp_rtp_rx_cfg *cfg);
void dsp_rtp_rx_cfg_allow_pt(struct dsp_rtp_rx_cfg *cfg, uint8_t pt);

/* Initialise the receiver; the cfg is copied. */
void dsp_rtp_rx_init(struct dsp_rtp_rx *rx, const struct dsp_rtp_rx_cfg *cfg);
/*
 * New configuration for a running receiver (payload types after a
 * re-INVITE): the source state, counters, jitter and peer are kept, as
 * the stream goes on under the same SSRC (RFC 3550 §5.1: the payload
 * type may change within a stream).
 */
void dsp_rtp_rx_set_cfg(struct dsp_rtp_rx *rx, const struct dsp_rtp_rx_cfg *cfg);

/*
 * Set the expected peer address (from SDP). With latching on, the first
 * valid packets replace it with their real source; with latching off,
 * packets from other addresses are dropped. A NULL address accepts any
 * source until one latches.
 */
void dsp_rtp_rx_set_peer(struct dsp_rtp_rx *rx, const struct sockaddr *sa,
			 socklen_t salen);

/*
 * Where to send our RTP (symmetric RTP, RFC 4961): the latched source once
 * latching happened, else the address given to dsp_rtp_rx_set_peer().
 * Returns 0, or ENOENT when neither is known.
 */
int dsp_rtp_rx_peer(const struct dsp_rtp_rx *rx, struct sockaddr_storage *sa,
		    socklen_t *salen);

/*
 * Feed one received datagram. now_us is the arrival time on a monotonic
 * microsecond clock, src/srclen its source (NULL: unknown, not checked).
 * Returns 0 and fills *hdr, *payload and *plen when the packet should be
 * played out; otherwise it was counted and dropped:
 *   EBADMSG malformed, EMSGSIZE oversized, ENOTSUP unknown payload type,
 *   EPERM wrong source, EAGAIN probation / SSRC or timestamp resync
 *   pending, EALREADY duplicate or out-of-window sequence number.
 */
int dsp_rtp_rx_input(struct dsp_rtp_rx *rx, const uint8_t *buf, size_t len,
		     uint64_t now_us, const struct sockaddr *src,
		     socklen_t srclen, struct dsp_rtp_hdr *hdr,
		     const uint8_t **payload, size_t *plen);

/* Extended highest sequence number received (A.1 cycles + max_seq). */
uint32_t dsp_rtp_rx_ext_max(const struct dsp_rtp_rx *rx);
/* Packets expected and cumulative lost (A.3; lost may be negative with
 * duplicates, clamped to the 24-bit signed range for RTCP). */
uint32_t dsp_rtp_rx_expected(const struct dsp_rtp_rx *rx);
int32_t dsp_rtp_rx_lost(const struct dsp_rtp_rx *rx);
/* Interarrival jitter in timestamp units (A.8) and milliseconds. */
uint32_t dsp_rtp_rx_jitter(const struct dsp_rtp_rx *rx);
double dsp_rtp_rx_jitter_ms(const struct dsp_rtp_rx *rx);

/*
 * Media timeout: returns true exactly once when no valid packet has been
 * delivered for cfg.timeout_ms (counted from the last packet, or from the
 * first call when nothing has arrived yet); re-armed by the next packet.
 */
bool dsp_rtp_rx_timeout(struct dsp_rtp_rx *rx, uint64_t now_us);

/* ---- UDP socket helper ----------------------------------------------- */

/*
 * Open a non-blocking UDP socket bound to addr (IPv4 or IPv6; IPv6 sockets
 * are IPV6_V6ONLY). Port 0 lets the kernel choose. Returns 0 and *fd, or
 * an errno. The caller owns the descriptor and closes it.
 */
int dsp_rtp_sock_open(const struct sockaddr *addr, socklen_t addrlen, int *fd);

/*
 * Bind an RTP/RTCP pair on an even port and the next one, trying ports in
 * [port_min, port_max] starting at a random even offset. addr's port is
 * ignored. Returns 0 with *rtp_fd, *rtcp_fd and *port, EADDRINUSE when the
 * range is exhausted, or an errno.
 */
int dsp_rtp_sock_open_pair(const struct sockaddr *addr, socklen_t addrlen,
			   uint16_t port_min, uint16_t port_max,
			   int *rtp_fd, int *rtcp_fd, uint16_t *port);

/* Send one datagram. Returns 0, EAGAIN (socket full, packet dropped) or
 * an errno. */
int dsp_rtp_sock_send(int fd, const uint8_t *buf, size_t len,
		      const struct sockaddr *dst, socklen_t dstlen);

/* Receive one datagram without blocking. Returns 0 with *len and the
 * source, EAGAIN when nothing is queued, EMSGSIZE for a truncated
 * datagram (discarded), or an errno. */
int dsp_rtp_sock_recv(int fd, uint8_t *buf, size_t size, size_t *len,
		      struct sockaddr_storage *src, socklen_t *srclen);

#endif
