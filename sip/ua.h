/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP user agent core: the glue between transport, message parser and
 * transaction layer. Every received message is parsed; unparseable ones
 * get the status the parser chose (400/505/416/513, RFC 3261 §8.2, §18.3)
 * when a response can be formed and are dropped otherwise. Requests are
 * then checked per §8.2.2 / §8.2.3 (Max-Forwards 0 -> 483, unknown Require
 * option tags -> 420 with Unsupported, unsupported INVITE Content-Type ->
 * 415 with Accept) and passed to the transaction layer; requests that
 * start a transaction and ACKs for 2xx go to an ordered chain of request
 * handlers (dialog layer first, then the application). In-dialog requests
 * nobody claims get 481 (§12.2.2); unclaimed OPTIONS get 200 (§11.2);
 * other unclaimed requests 405 (known method) or 501 (unknown method)
 * with Allow (§8.2.1). Responses carry received/rport (§18.2.1,
 * RFC 3581) and go where §18.2.2 says.
 */
#ifndef SIP_UA_H
#define SIP_UA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "base/pl.h"
#include "sip/transport.h"
#include "sip/tsx.h"

struct sip_msg;
struct sip_reply_opt;
struct sip_ua;

struct sip_ua_cfg {
	struct sip_transp_cfg tp;
	struct sip_tsx_cfg tsx;
	const char *user_agent;          /* User-Agent / Server value; NULL none */
	const char *const *supported;    /* option tags we support, NULL-terminated;
					    NULL = none (every Require -> 420) */
	const char *const *accept;       /* INVITE body types "type/subtype",
					    NULL-terminated; NULL = application/sdp
					    and multipart/mixed */
	const char *allow;               /* Allow value; NULL = a default list */
};

/*
 * Request handler. tsx is the new server transaction, or NULL for an ACK
 * (ACKs for 2xx have no transaction, §17.2.1) . src is where the request
 * came from. Return true if the request is yours: you answer tsx (now, or
 * later with sip_ua_reply / sip_tsx_reply) — false passes it to the next
 * handler. A handler that returns true without a final response keeps the
 * request text (copied by the UA) for later sip_ua_reply calls.
 */
typedef bool(sip_ua_req_h)(struct sip_ua *ua, struct sip_tsx *tsx,
			   const struct sip_msg *req,
			   const struct sip_tp_addr *src, void *arg);

/* Counters of the UA's own decisions (transport/tsx have their own). */
struct sip_ua_stats {
	uint64_t rx_req, rx_resp;
	uint64_t parse_drop;     /* unparseable, no response possible */
	uint64_t parse_reject;   /* 400/505/416/513 sent */
	uint64_t rej_483, rej_420, rej_415, rej_481, rej_501, rej_503;
	uint64_t opt_200;        /* OPTIONS answered by the core */
	uint64_t resp_foreign;   /* responses whose top Via is not ours
				    (§18.1.2): dropped */
	uint64_t rej_405;        /* known method nobody handles */
};

/*
 * Create a UA on loop (transport + transaction layer). cfg may be NULL.
 * The strings and arrays in cfg must outlive the UA. 0, ENOMEM, EINVAL.
 */
int sip_ua_alloc(struct sip_ua **uap, uv_loop_t *loop,
		 const struct sip_ua_cfg *cfg);
/* Free everything (no handler is called); run the loop once afterwards. */
void sip_ua_free(struct sip_ua *ua);

/* Listen (see sip_transp_listen). */
int sip_ua_listen(struct sip_ua *ua, enum sip_tp tp, const char *addr,
		  uint16_t port);

/*
 * Add a request handler. Handlers run in ascending prio order (ties in
 * insertion order): the dialog layer uses 0, applications 100.
 * 0, ENOSPC (8 handlers max).
 */
int sip_ua_add_handler(struct sip_ua *ua, int prio, sip_ua_req_h *h,
		       void *arg);

struct sip_transp *sip_ua_transp(struct sip_ua *ua);
struct sip_tsxl *sip_ua_tsxl(struct sip_ua *ua);
void sip_ua_stats(const struct sip_ua *ua, struct sip_ua_stats *st);

/*
 * Build and send a response in server transaction tsx: all Vias (the top
 * one with received/rport per §18.2.1 / RFC 3581), From, To (+ tag from
 * opt->to_tag if the request had none), Call-ID, CSeq, Record-Route if
 * opt->record_route, Server (cfg user_agent), opt->hdrs, body.
 * req may be NULL after the request handler returned (the UA's copy of
 * the request is used). opt may be NULL. Returns 0, EINVAL, ENOMEM or the
 * send error (see sip_tsx_reply).
 */
int sip_ua_reply(struct sip_ua *ua, struct sip_tsx *tsx,
		 const struct sip_msg *req, uint16_t scode, const char *reason,
		 const struct sip_reply_opt *opt);

/*
 * Build a response without a transaction (stateless rejections) to req
 * received from src and send it. Same rules as sip_ua_reply.
 */
int sip_ua_reply_stateless(struct sip_ua *ua, const struct sip_msg *req,
			   const struct sip_tp_addr *src, uint16_t scode,
			   const char *reason, const struct sip_reply_opt *opt);

/*
 * Start a client transaction: writes "METHOD ruri SIP/2.0", a top Via
 * (transport of dst, our listener address as sent-by, new branch,
 * ;rport), Max-Forwards: 70 (unless hdrs has one), User-Agent, then hdrs
 * (raw CRLF-ended lines: From, To, Call-ID, CSeq, Contact, Route, ...),
 * Content-Type (if ctype) and Content-Length + body. A UDP request
 * larger than 1300 bytes goes over TCP to the same address when a TCP
 * listener exists (RFC 3261 §18.1.1). ACK is refused (use
 * sip_ua_send_ack). Result as sip_tsx_request.
 */
int sip_ua_request(struct sip_ua *ua, struct sip_tsx **tsxp,
		   const struct sip_tp_addr *dst, const char *method,
		   const char *ruri, const char *hdrs, const char *ctype,
		   const void *body, size_t body_len, sip_tsx_resp_h *resph,
		   void *arg);

/*
 * Send an ACK for a 2xx (§13.2.2.4, no transaction): like sip_ua_request
 * with method ACK and a new branch. Returns 0 or the send error.
 */
int sip_ua_send_ack(struct sip_ua *ua, const struct sip_tp_addr *dst,
		    const char *ruri, const char *hdrs, const char *ctype,
		    const void *body, size_t body_len);

/*
 * Write our Via sent-by for dst ("host:port", IPv6 in brackets) into buf.
 * 0, EAFNOSUPPORT (no listener of that transport/family), ENOSPC.
 */
int sip_ua_sentby(struct sip_ua *ua, const struct sip_tp_addr *dst, char *buf,
		  size_t sz);

/*
 * Feed a received message as the transport would (tests, fuzzing):
 * buf is parsed in place; src says where it came from.
 */
void sip_ua_input(struct sip_ua *ua, const struct sip_tp_addr *src, char *buf,
		  size_t len, bool oversize);

#endif
