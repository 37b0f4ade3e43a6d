/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SDP session descriptions (RFC 4566) and the offer/answer model
 * (RFC 3264): parse a body into a session structure, print one with CRLF
 * lines, answer a remote offer from local capabilities, build an offer and
 * check/apply the answer to it. Covers audio RTP/AVP and RTP/SAVP with
 * rtpmap/fmtp (RFC 3551 static types), telephone-event (RFC 4733), ptime,
 * direction attributes, a=rtcp (RFC 3605), a=rtcp-mux (RFC 5761), SDES
 * a=crypto (RFC 4568, RFC 7714 GCM suite), image/t38 over UDPTL (ITU-T T.38
 * Annex D), rejected streams, hold and o= versioning (RFC 3264 §8).
 */
#ifndef SIP_SDP_H
#define SIP_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/pl.h"

#define SDP_MAX_MEDIA 8     /* m= lines per description */
#define SDP_MAX_FMT 16      /* formats kept per m= line (the rest ignored) */
#define SDP_MAX_CRYPTO 4    /* a=crypto lines kept per m= line */
#define SDP_ADDR_MAX 64     /* IPv4, IPv6 or a domain name */
#define SDP_FMTP_MAX 128
#define SDP_KEY_MAX 46      /* master key || salt, AES-256 CM sized */

/* Direction as seen by the side that wrote the description: bit 0 = it
 * sends, bit 1 = it receives. */
enum sdp_dir {
	SDP_DIR_INACTIVE = 0,
	SDP_DIR_SENDONLY = 1,
	SDP_DIR_RECVONLY = 2,
	SDP_DIR_SENDRECV = 3,
};

enum sdp_media_type {
	SDP_MEDIA_AUDIO = 0,
	SDP_MEDIA_VIDEO,
	SDP_MEDIA_IMAGE,
	SDP_MEDIA_OTHER,
};

enum sdp_proto {
	SDP_PROTO_RTP_AVP = 0,
	SDP_PROTO_RTP_SAVP,
	SDP_PROTO_UDPTL,
	SDP_PROTO_OTHER,
};

enum sdp_srtp_suite {
	SDP_SRTP_AES_CM_128_HMAC_SHA1_80 = 0,
	SDP_SRTP_AES_CM_128_HMAC_SHA1_32,
	SDP_SRTP_AEAD_AES_128_GCM,
	SDP_SRTP_UNKNOWN,
};

enum sdp_srtp_policy {
	SDP_SRTP_OFF = 0,       /* RTP/AVP only, a=crypto ignored */
	SDP_SRTP_OPTIONAL,      /* SRTP when the peer offers or accepts it */
	SDP_SRTP_MANDATORY,     /* RTP/SAVP only */
};

/* Connection or origin address: af is AF_INET, AF_INET6, or AF_UNSPEC
 * for a domain name. */
struct sdp_conn {
	bool set;
	int af;
	char addr[SDP_ADDR_MAX];
};

struct sdp_fmt {
	uint8_t pt;
	bool rtpmap;            /* a=rtpmap seen (else static table or none) */
	char name[32];          /* encoding name, "" for unknown dynamic */
	uint32_t clock;
	uint8_t channels;       /* 1 when not given */
	char fmtp[SDP_FMTP_MAX];
};

struct sdp_crypto {
	uint32_t tag;
	enum sdp_srtp_suite suite;
	char suite_name[40];
	uint8_t key[SDP_KEY_MAX]; /* master key || master salt */
	size_t key_len;
	uint64_t lifetime;        /* packets, 0 = not given */
	uint32_t mki;
	uint32_t mki_len;         /* bytes, 0 = no MKI */
	char params[96];          /* session parameters, as written */
};

enum sdp_t38_rate {
	SDP_T38_RATE_NONE = 0,
	SDP_T38_RATE_LOCAL_TCF,
	SDP_T38_RATE_TRANSFERRED_TCF,
};

enum sdp_t38_ec {
	SDP_T38_EC_NONE = 0,
	SDP_T38_EC_REDUNDANCY,
	SDP_T38_EC_FEC,
};

/* Bits of struct sdp_t38.present. */
enum {
	SDP_T38_VERSION = 1 << 0,
	SDP_T38_BITRATE = 1 << 1,
	SDP_T38_RATEMGMT = 1 << 2,
	SDP_T38_MAXBUFFER = 1 << 3,
	SDP_T38_MAXDATAGRAM = 1 << 4,
	SDP_T38_UDPEC = 1 << 5,
};

struct sdp_t38 {
	unsigned present;
	uint32_t version;
	uint32_t max_bitrate;
	enum sdp_t38_rate rate_mgmt;
	uint32_t max_buffer;
	uint32_t max_datagram;
	enum sdp_t38_ec udp_ec;
	bool fill_bit_removal;
	bool transcoding_mmr;
	bool transcoding_jbig;
};

struct sdp_media {
	enum sdp_media_type type;
	char type_name[16];
	uint16_t port;
	uint16_t nports;          /* 0 when not given */
	enum sdp_proto proto;
	char proto_name[24];
	struct sdp_fmt fmtv[SDP_MAX_FMT]; /* RTP protocols */
	size_t nfmt;
	char fmt_other[32];       /* first format of non-RTP m= ("t38", "*") */
	struct sdp_conn conn;
	uint32_t bw_as;           /* b=AS, kbit/s, 0 = none */
	uint32_t bw_tias;         /* b=TIAS, bit/s, 0 = none */
	bool dir_set;
	enum sdp_dir dir;
	uint32_t ptime;
	uint32_t maxptime;
	uint16_t rtcp_port;       /* a=rtcp, 0 = none */
	struct sdp_conn rtcp_conn;
	bool rtcp_mux;
	struct sdp_crypto cryptov[SDP_MAX_CRYPTO];
	size_t ncrypto;
	struct sdp_t38 t38;
};

/*
 * A session description. It owns copies of everything (about 32 KiB: keep
 * it on the heap or in a call object, not on small stacks).
 */
struct sdp_session {
	char o_user[32];
	char o_id[24];
	uint64_t o_ver;
	struct sdp_conn o_addr;
	char name[64];
	struct sdp_conn conn;
	uint32_t bw_as;
	bool dir_set;
	enum sdp_dir dir;
	struct sdp_media mediav[SDP_MAX_MEDIA];
	size_t nmedia;
};

/*
 * Parse an SDP body. v= must come first and o=, s=, t= must precede the
 * first m=; unknown attributes, b= types and line types are ignored.
 * Returns 0, EBADMSG (syntax or order) or E2BIG (more than SDP_MAX_MEDIA
 * m= lines). s is written in all cases.
 */
int sdp_decode(struct sdp_session *s, const struct pl *body);

/*
 * Print s with CRLF line ends into buf (NUL-terminated); *len (optional)
 * gets the length. Returns 0, ENOSPC or EINVAL.
 */
int sdp_encode(const struct sdp_session *s, char *buf, size_t sz, size_t *len);

/* Effective direction of m (media level, else session level, else
 * sendrecv) and whether it puts the other side on hold: sendonly, inactive
 * or the RFC 2543 c=0.0.0.0 form. */
enum sdp_dir sdp_media_dir(const struct sdp_session *s,
			   const struct sdp_media *m);
bool sdp_media_hold(const struct sdp_session *s, const struct sdp_media *m);
/* Connection address of m (media c=, else session c=), or NULL. */
const struct sdp_conn *sdp_media_conn(const struct sdp_session *s,
				      const struct sdp_media *m);

const char *sdp_dir_name(enum sdp_dir dir);
const char *sdp_srtp_suite_name(enum sdp_srtp_suite suite);
/* Master key + salt length of a suite in bytes, 0 for unknown. */
size_t sdp_srtp_key_len(enum sdp_srtp_suite suite);

/* ---- offer / answer --------------------------------------------------- */

/* One local codec. pt is used in our offers (static or 96-127). */
struct sdp_codec {
	const char *name;
	uint32_t clock;
	uint8_t channels;       /* 0 or 1 = mono */
	uint8_t pt;
	const char *fmtp;       /* or NULL */
};

/* What we can do; one per trunk/profile, read-only during negotiation. */
struct sdp_caps {
	const struct sdp_codec *codecv; /* preference order */
	size_t ncodec;
	bool prefer_remote;     /* answer with the offerer's first match */
	bool dtmf;              /* RFC 4733 telephone-event */
	uint8_t dtmf_pt;        /* in our offers */
	const char *dtmf_events; /* fmtp, NULL = "0-15" */
	uint32_t ptime;         /* a=ptime we ask for, 0 = none */
	bool t38;
	struct sdp_t38 t38_params; /* our T.38 parameters and limits */
	enum sdp_srtp_policy srtp;
	const enum sdp_srtp_suite *suitev; /* preference order */
	size_t nsuite;
	bool rtcp_mux;
};

/* Per-call local side of a negotiation. */
struct sdp_local {
	const struct sdp_caps *caps;
	struct sdp_conn addr;   /* our media address */
	uint16_t audio_port;    /* RTP port; 0 = no audio */
	uint16_t image_port;    /* UDPTL port; 0 = no T.38 */
	enum sdp_dir dir;       /* SENDRECV, or SENDONLY/INACTIVE to hold */
};

/* Negotiated state of one m= line (index = m-line index). */
struct sdp_neg_stream {
	enum sdp_media_type type;
	bool active;            /* accepted with a port on both sides */
	struct sdp_conn raddr;  /* where to send */
	uint16_t rport;
	uint16_t rtcp_port;     /* a=rtcp or rport + 1 */
	bool rtcp_mux;
	enum sdp_dir dir;       /* what we may do: bit 0 send, bit 1 receive */
	bool remote_hold;       /* the peer does not want our media */
	/* audio */
	char codec[32];
	uint32_t clock;
	uint8_t channels;
	uint8_t pt;             /* payload type we send (and receive) */
	int dtmf_pt;            /* -1 = no telephone-event */
	uint32_t ptime;         /* the peer's a=ptime, 20 when absent */
	/* SRTP (SDES) */
	bool srtp;
	enum sdp_srtp_suite suite;
	uint32_t crypto_tag;
	uint8_t local_key[SDP_KEY_MAX];
	uint8_t remote_key[SDP_KEY_MAX];
	size_t key_len;
	uint32_t remote_mki;    /* MKI in the peer's packets ... */
	uint32_t remote_mki_len; /* ... and its length in bytes, 0 = none */
	uint64_t remote_lifetime; /* packets, 0 = default */
	/* T.38 */
	struct sdp_t38 t38;
};

struct sdp_neg {
	struct sdp_neg_stream streamv[SDP_MAX_MEDIA];
	size_t nstream;
	uint16_t warn;          /* RFC 3261 warn-code when nothing was usable */
};

/* Text of an RFC 3261 §20.43 warn-code (301-399), "" when unknown. */
const char *sdp_warn_text(uint16_t code);

/*
 * Answer a remote offer (RFC 3264 §6): ans gets one m= line per offered
 * one, in the same order, rejected ones with port 0. At most one audio
 * and one image stream are accepted. The answer direction follows §6.1
 * (the offer's direction reversed, limited by loc->dir); SRTP follows
 * caps->srtp with a fresh local key. The o= line is left for
 * sdp_origin_stamp(). Returns 0, or ENOTSUP when no stream is usable
 * (answer 488; neg->warn says why), EINVAL, EIO (random generator).
 * ans and neg are written in all cases.
 */
int sdp_answer(struct sdp_session *ans, struct sdp_neg *neg,
	       const struct sdp_local *loc, const struct sdp_session *offer);

/* Streams for sdp_offer(). */
enum {
	SDP_OFFER_AUDIO = 1 << 0,
	SDP_OFFER_IMAGE = 1 << 1,
};

/*
 * Build an offer with the streams asked for (audio first, then image).
 * With a previous offer or answer of the same session (prev, else NULL),
 * its m= lines are kept in place (RFC 3264 §8): an audio/image line is
 * reused if asked for and disabled (port 0) if not; new streams are
 * appended. SRTP: OPTIONAL offers RTP/AVP with a=crypto, MANDATORY
 * RTP/SAVP. Returns 0, EINVAL (nothing to offer), E2BIG, EIO.
 */
int sdp_offer(struct sdp_session *offer, const struct sdp_local *loc,
	      unsigned streams, const struct sdp_session *prev);

/*
 * Check the answer to our offer and fill neg: same m= count, type and
 * transport per line, formats a subset of the offered ones, a=crypto tag
 * and suite from the offer, direction allowed by §6.1. Returns 0, EPROTO
 * (answer does not match the offer; neg->warn set) or ENOTSUP (every
 * stream rejected).
 */
int sdp_apply_answer(struct sdp_neg *neg, const struct sdp_local *loc,
		     const struct sdp_session *offer,
		     const struct sdp_session *answer);

/*
 * Origin (o=) of our side of a session: fixed user, id and address, and
 * a version that grows by one each time the description changes
 * (RFC 3264 §8), and stays the same when it is sent again unchanged.
 */
struct sdp_origin {
	char user[32];
	char id[24];
	uint64_t ver;
	struct sdp_conn addr;
	uint64_t hash;
	bool stamped;
};

/* user NULL = "-". id from the random generator. 0, EINVAL, EIO. */
int sdp_origin_init(struct sdp_origin *o, const char *user,
		    const struct sdp_conn *addr);

/* Write o= into s, bumping the version when s differs from the last
 * description stamped. 0 or ENOMEM. */
int sdp_origin_stamp(struct sdp_origin *o, struct sdp_session *s);

/* Fill conn from a numeric address (IPv4 or IPv6). 0 or EINVAL. */
int sdp_conn_set(struct sdp_conn *c, const char *addr);

#endif
