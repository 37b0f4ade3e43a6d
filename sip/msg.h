/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP messages: a single-pass, zero-copy parser for requests and responses
 * (RFC 3261 §7, §20, §25), decoders for the header values the stack uses
 * (Via, name-addr From/To/Contact/Route, CSeq, RAck, Session-Expires,
 * Event, Reason, ...), validation that picks the rejection status
 * (400/505/416/513; §8.2, §16.3, §18.3), TCP stream framing (§18.3, with
 * RFC 5626 §3.5.1 CRLF keepalives), and builders for requests and for
 * responses to a request (§8.2.6).
 *
 * Ownership: struct sip_msg holds slices into the buffer given to
 * sip_msg_decode; the buffer must outlive the message. No allocation: the
 * header table is a fixed array inside struct sip_msg.
 */
#ifndef SIP_MSG_H
#define SIP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/pl.h"
#include "sip/hdr.h"
#include "sip/uri.h"

/* Largest message sip_msg_decode accepts (bytes); larger gives 513. */
#define SIP_MSG_MAX_SIZE 65535u
/*
 * Header lines stored per message. More lines make the message invalid
 * (400 "Too Many Headers"); the ones stored stay accessible.
 */
#define SIP_MSG_MAX_HDRS 128u

enum sip_method {
	SIP_METHOD_OTHER = 0,
	SIP_METHOD_INVITE,
	SIP_METHOD_ACK,
	SIP_METHOD_BYE,
	SIP_METHOD_CANCEL,
	SIP_METHOD_OPTIONS,
	SIP_METHOD_REGISTER,
	SIP_METHOD_PRACK,
	SIP_METHOD_UPDATE,
	SIP_METHOD_INFO,
	SIP_METHOD_SUBSCRIBE,
	SIP_METHOD_NOTIFY,
	SIP_METHOD_REFER,
	SIP_METHOD_MESSAGE,
	SIP_METHOD_PUBLISH,
};

/* Method id from its (case-sensitive, §7.1) name; OTHER when unknown. */
enum sip_method sip_method_lookup(const struct pl *name);
const char *sip_method_name(enum sip_method m);

/* One header line as received. */
struct sip_hdr {
	struct pl name;        /* as written (may be compact) */
	struct pl val;         /* value, LWS-trimmed; may contain folding */
	uint16_t id;           /* enum sip_hdr_id */
	uint16_t next;         /* index+1 of next header with same id, 0 = none */
};

/* Via value (RFC 3261 §20.42, §18.2.1 received/rport, RFC 3581). */
struct sip_via {
	struct pl val;         /* the whole via-parm */
	struct pl proto;       /* "SIP/2.0" as written */
	struct pl transport;   /* "UDP", "TCP", "TLS", "SCTP", "WS", ... */
	struct pl sentby;      /* host[:port] as written */
	struct pl host;        /* IPv6 without brackets */
	enum sip_host_type host_type;
	uint16_t port;         /* 0 when absent */
	struct pl params;      /* after the first ';' */
	struct pl branch;
	struct pl received;
	struct pl maddr;
	struct pl rport;       /* value; empty when "rport" has no value */
	bool has_rport;
	int ttl;               /* -1 when absent */
};

/*
 * name-addr / addr-spec (RFC 3261 §20.10, §25.1) with header params, as
 * used by From, To, Contact, Route, Record-Route, P-Asserted-Identity,
 * Diversion, History-Info, Refer-To, ...
 */
struct sip_addr {
	struct pl val;         /* the whole value */
	struct pl dname;       /* display name: token run or quoted string
				  content (escapes kept); empty if none */
	bool dname_quoted;
	bool angle;            /* URI was in <> (name-addr) */
	struct pl auri;        /* URI text */
	struct sip_uri uri;
	struct pl params;      /* header params after the URI, without ';' */
	struct pl tag;         /* "tag" param; unset if absent */
};

struct sip_cseq {
	uint32_t num;          /* 0 .. 2^31-1 */
	struct pl method;
	enum sip_method meth;
};

/* Contact value: '*' or a name-addr with q and expires. */
struct sip_contact {
	struct sip_addr addr;
	bool star;
	int q;                 /* q * 1000 (0..1000), -1 when absent */
	int64_t expires;       /* -1 when absent */
};

/* RAck (RFC 3262 §7.2). */
struct sip_rack {
	uint32_t rseq;
	uint32_t cseq;
	struct pl method;
	enum sip_method meth;
};

/* Session-Expires / Min-SE (RFC 4028 §4, §5). */
struct sip_session_expires {
	uint32_t delta;
	struct pl refresher;   /* "uac" / "uas", unset if absent */
	struct pl params;
};

/* Event (RFC 6665 §8.2.1). */
struct sip_event {
	struct pl package;     /* event-type incl. template ("presence.winfo") */
	struct pl id;          /* "id" param, unset if absent */
	struct pl params;
};

/* Reason (RFC 3326): one reason-value. */
struct sip_reason {
	struct pl protocol;    /* "SIP", "Q.850", ... */
	uint32_t cause;        /* 0 when absent */
	bool has_cause;
	struct pl text;        /* quoted text content, unset if absent */
	struct pl params;
};

/* Content-Type / media-type (RFC 3261 §20.15, RFC 2045 §5.1). */
struct sip_ctype {
	struct pl type;
	struct pl subtype;
	struct pl params;      /* after the first ';', without it */
};

/* Why a message was rejected; see sip_msg_decode. */
struct sip_msg_err {
	uint16_t status;       /* 0 = message valid; 400, 505, 416, 513 */
	bool can_respond;      /* Via, From, To, Call-ID, CSeq usable and the
				  message is a request: a response can be
				  formed; otherwise drop it silently */
	const char *reason;    /* static reason phrase, e.g. "Bad CSeq" */
	uint16_t hdr_id;       /* offending header (enum sip_hdr_id) or 0 */
};

struct sip_msg {
	const char *buf;       /* start of the message */
	size_t len;            /* bytes of the message (headers + body) */
	bool req;

	/* request line */
	struct pl method;
	enum sip_method meth;
	struct pl ruri_pl;
	struct sip_uri ruri;
	/* status line */
	uint16_t scode;
	struct pl reason;
	/* both */
	struct pl ver;         /* "SIP/2.0" */

	/* headers in wire order */
	struct sip_hdr hdrv[SIP_MSG_MAX_HDRS];
	uint16_t hdrc;
	uint16_t first[SIP_HDR_COUNT];   /* index+1 of first header per id */
	uint16_t last[SIP_HDR_COUNT];    /* index+1 of last header per id */

	/* decoded at parse time (valid when sip_msg_decode returned 0) */
	struct sip_via via;              /* top Via */
	struct sip_addr from;
	struct sip_addr to;
	struct pl call_id;
	struct sip_cseq cseq;
	int32_t max_forwards;            /* -1 when absent */
	uint32_t clen;                   /* Content-Length value */
	bool has_clen;
	struct sip_ctype ctype;          /* unset type when absent */
	int64_t expires;                 /* Expires header, -1 when absent */

	struct pl hdrs;                  /* the header block (start to CRLF) */
	struct pl body;

	struct sip_msg_err err;
};

/*
 * Parse a whole message (one datagram, or one frame cut by
 * sip_msg_frame). Splits the start line and every header, unfolds
 * nothing (decoders treat folding as LWS), decodes Via (top), From, To,
 * Call-ID, CSeq, Max-Forwards, Content-Length, Content-Type, Expires and
 * the Request-URI, and checks them.
 *
 * Content-Length: the body is the next Content-Length bytes; bytes beyond
 * it are ignored (§18.3); fewer bytes than it announces is an error.
 * Without Content-Length (datagram) the body is the rest of the buffer.
 *
 * Returns 0 for a valid message. Otherwise EBADMSG (malformed; msg->err
 * says whether and how to answer), EMSGSIZE (over SIP_MSG_MAX_SIZE: 513)
 * or EPROTONOSUPPORT (SIP version: 505). In every case msg->err is set
 * (status 0 on success) and the fields decoded so far stay usable.
 */
int sip_msg_decode(struct sip_msg *msg, const char *buf, size_t len);

/* Header accessors. Return NULL when absent. */
const struct sip_hdr *sip_msg_hdr(const struct sip_msg *msg, enum sip_hdr_id id);
const struct sip_hdr *sip_msg_hdr_last(const struct sip_msg *msg, enum sip_hdr_id id);
/* Next header line with the same id (for OTHER: same name). */
const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *msg, const struct sip_hdr *h);
/* Lookup by name: long or compact form, or any unknown name. */
const struct sip_hdr *sip_msg_hdr_byname(const struct sip_msg *msg, const char *name);
/* Number of header lines with this id. */
unsigned sip_msg_hdr_count(const struct sip_msg *msg, enum sip_hdr_id id);

/*
 * Iterate over every value of a header id across all of its lines, in
 * wire order (comma lists split for list headers, one value per line for
 * the others). Unknown headers (SIP_HDR_OTHER) are iterated by name: use
 * sip_msg_iter_init_byname for them.
 *   struct sip_msg_iter it; struct pl v;
 *   sip_msg_iter_init(&it, msg, SIP_HDR_ROUTE);
 *   while (sip_msg_iter_next(&it, &v)) ...
 */
struct sip_msg_iter {
	const struct sip_msg *msg;
	const struct sip_hdr *hdr;
	struct pl rest;
	bool list;
};
void sip_msg_iter_init(struct sip_msg_iter *it, const struct sip_msg *msg,
		       enum sip_hdr_id id);
/*
 * The same by header name (long, compact, or any unknown name, case-
 * insensitive); unknown headers are taken as single-valued.
 */
void sip_msg_iter_init_byname(struct sip_msg_iter *it, const struct sip_msg *msg,
			      const char *name);
bool sip_msg_iter_next(struct sip_msg_iter *it, struct pl *val);

/* Value decoders. 0 or EINVAL (out untouched on error). */
int sip_via_decode(struct sip_via *via, const struct pl *val);
int sip_addr_decode(struct sip_addr *addr, const struct pl *val);
int sip_cseq_decode(struct sip_cseq *cseq, const struct pl *val);
int sip_contact_decode(struct sip_contact *c, const struct pl *val);
int sip_rack_decode(struct sip_rack *rack, const struct pl *val);
int sip_session_expires_decode(struct sip_session_expires *se, const struct pl *val);
int sip_event_decode(struct sip_event *ev, const struct pl *val);
int sip_reason_decode(struct sip_reason *r, const struct pl *val);
int sip_ctype_decode(struct sip_ctype *ct, const struct pl *val);
/* delta-seconds / 1*DIGIT values (RSeq, Expires, Min-SE...): 0..2^32-1. */
int sip_uint_decode(uint32_t *v, const struct pl *val);

/* True if type/subtype match (case-insensitive). */
bool sip_ctype_is(const struct sip_ctype *ct, const char *type, const char *subtype);

/* Convenience accessors over a decoded message. 0, ENOENT or EINVAL. */
int sip_msg_contact(const struct sip_msg *msg, struct sip_contact *c); /* first */
int sip_msg_rseq(const struct sip_msg *msg, uint32_t *rseq);
int sip_msg_rack(const struct sip_msg *msg, struct sip_rack *rack);
int sip_msg_session_expires(const struct sip_msg *msg, struct sip_session_expires *se);
int sip_msg_min_se(const struct sip_msg *msg, uint32_t *delta);
int sip_msg_event(const struct sip_msg *msg, struct sip_event *ev);
/* Option tag present in any line of Require/Supported/Proxy-Require/... */
bool sip_msg_has_tag(const struct sip_msg *msg, enum sip_hdr_id id, const char *tag);
/*
 * Option tags of Require and Proxy-Require not in supported[] (NULL
 * terminated): written to out (", " separated) for a 420 Unsupported
 * header. Returns the number of unsupported tags.
 */
unsigned sip_msg_unsupported(const struct sip_msg *msg, const char *const *supported,
			     struct sip_buf *out);

/*
 * Stream framing for connection-oriented transports (RFC 3261 §18.3).
 * Given the bytes received so far, say what they hold:
 *   SIP_FRAME_MORE       need more bytes (skip may be > 0: drop those)
 *   SIP_FRAME_MSG        a complete message: drop skip bytes, then the
 *                        message is the next len bytes
 *   SIP_FRAME_ERROR      unrecoverable (err: EBADMSG for a header block
 *                        without a valid Content-Length, EMSGSIZE over
 *                        max): close the connection
 * Leading CRLFs are keepalives (RFC 5626 §3.5.1): skip counts them, pings
 * is the number of complete CRLFCRLF pings among them (answer each with
 * one CRLF pong); a lone CRLF is a pong.
 */
enum sip_frame_kind {
	SIP_FRAME_MORE = 0,
	SIP_FRAME_MSG,
	SIP_FRAME_ERROR,
};

struct sip_frame {
	enum sip_frame_kind kind;
	size_t skip;
	size_t len;
	unsigned pings;
	unsigned pongs;
	int err;
};

/* max = largest message accepted (0 = SIP_MSG_MAX_SIZE). Returns fr->kind. */
enum sip_frame_kind sip_msg_frame(const char *buf, size_t len, size_t max,
				  struct sip_frame *fr);

/* Printers (return the sip_buf error, 0 on success). */
int sip_via_print(struct sip_buf *b, const struct sip_via *via);
/* name-addr form always ("Name" <uri>;params). */
int sip_addr_print(struct sip_buf *b, const struct sip_addr *addr);

/*
 * Build a response to req (RFC 3261 §8.2.6): status line; every Via in
 * order; Record-Route lines copied when record_route is set
 * (dialog-creating 1xx/2xx, §12.1.1); From; To with ";tag=<to_tag>"
 * added if the request's To has no tag, to_tag is set and the status is
 * above 100; Call-ID; CSeq; then hdrs
 * (raw lines each ending in CRLF, may be NULL), Content-Type when ctype is
 * set, Content-Length always, and the body. reason NULL = default phrase.
 * Returns the sip_buf error (ENOSPC/ENOMEM) or EINVAL (bad status).
 */
struct sip_reply_opt {
	const char *to_tag;
	bool record_route;
	const char *hdrs;
	const char *ctype;
	const void *body;
	size_t body_len;
};
int sip_msg_reply(struct sip_buf *b, const struct sip_msg *req, uint16_t scode,
		  const char *reason, const struct sip_reply_opt *opt);

/*
 * Build a request: "METHOD ruri SIP/2.0", hdrs (raw lines each ending in
 * CRLF: Via, From, To, Call-ID, CSeq, Max-Forwards, Contact, ...), then
 * Content-Type when ctype is set, Content-Length and the body.
 */
int sip_msg_request(struct sip_buf *b, const char *method, const struct pl *ruri,
		    const char *hdrs, const char *ctype, const void *body, size_t body_len);

/* Default reason phrase for a status code ("Not Found"); "" if unknown. */
const char *sip_reason_phrase(uint16_t scode);

#endif
