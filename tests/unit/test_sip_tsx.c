/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for sip/tsx: the four RFC 3261 §17 transaction machines
 * (plus RFC 6026 Accepted) driven on a manual clock with a fake
 * transport. Each vector is a sequence of events (start, message in, TU
 * reply, clock set) with, after each event, the expected state, the
 * messages sent (start lines), the TU notification and the number of
 * live transactions. Every timer value (A-K, L, M, 2xx retransmission) is
 * checked by setting the clock to 1 ms before and at its expiry.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sip/msg.h"
#include "sip/tsx.h"

#define GONE 99     /* expected state: transaction destroyed */
#define ANY (-1)
#define TU_END 1    /* TU got resp == NULL, err == 0 */
#define NOTU 0

enum op {
	OP_END = 0,
	OP_START,      /* client transaction for meth */
	OP_REQ,        /* request meth in; a NEW one gets a server tsx */
	OP_RESP,       /* response code (CSeq method meth) to the client tsx */
	OP_REPLY,      /* TU answers the server tsx with code */
	OP_CANCEL,     /* TU cancels the client INVITE */
	OP_TIME,       /* clock := t */
	OP_ACK2XX,     /* ACK for the 2xx (new branch, To tag) */
	OP_SENDFAIL,   /* the fake transport fails from now on */
	OP_CONNFAIL,   /* stream connection 42 fails */
};

struct step {
	enum op op;
	const char *meth;
	int code;          /* OP_RESP / OP_REPLY */
	const char *branch; /* OP_REQ: branch (NULL = "z9hG4bKsrv1") */
	uint64_t t;        /* OP_TIME */
	int state;         /* expected state of the tracked tsx, ANY, GONE */
	const char *sent;  /* start lines sent during the step, "|"-joined */
	int tu;            /* TU: response code, TU_END, -errno, NOTU */
	int live;          /* transactions in the table, ANY */
	int rx;            /* OP_REQ/OP_RESP/OP_ACK2XX result, ANY */
};

struct vec {
	const char *name;
	bool tcp;
	bool rfc2543;      /* requests without the magic cookie */
	const struct step *steps;
};

struct ctx {
	struct sip_tsxl *tl;
	struct sip_tsx *tsx;
	bool tsx_gone;
	char sent[512];
	int tu;
	int tu_calls;
	int cancels;
	int ack_timeouts;
	bool sendfail;
	char lastreq[2048];
	size_t lastreq_len;
	bool tcp;
	bool rfc2543;
};

static int fake_send(const struct sip_tp_addr *dst, const char *buf,
		     size_t len, uint64_t *conn, void *arg)
{
	struct ctx *c = arg;
	char line[64];
	(void)dst;
	if (c->sendfail)
		return ECONNREFUSED;
	if (conn)
		*conn = c->tcp ? 42 : 0; /* the fake stream connection */
	size_t n = strcspn(buf, " \r");
	if (n > len)
		n = len;
	if (!strncmp(buf, "SIP/2.0 ", 8))
		snprintf(line, sizeof(line), "%.3s", buf + 8);
	else
		snprintf(line, sizeof(line), "%.*s", (int)n, buf);
	if (c->sent[0])
		strncat(c->sent, "|", sizeof(c->sent) - strlen(c->sent) - 1);
	strncat(c->sent, line, sizeof(c->sent) - strlen(c->sent) - 1);
	if (strncmp(buf, "SIP/2.0", 7) && len < sizeof(c->lastreq)) {
		memcpy(c->lastreq, buf, len);
		c->lastreq_len = len;
	}
	return 0;
}

static void tu_resp(struct sip_tsx *tsx, const struct sip_msg *resp, int err,
		    void *arg)
{
	struct ctx *c = arg;
	(void)tsx;
	c->tu_calls++;
	if (resp) {
		c->tu = resp->scode;
		/* last calls: NICT final, ICT non-2xx final */
		if (resp->scode >= 300 ||
		    (resp->scode >= 200 && resp->cseq.meth != SIP_METHOD_INVITE))
			c->tsx_gone = true;
	} else {
		c->tu = err ? -err : TU_END;
		c->tsx_gone = true;
	}
}

static void tu_cancel(struct sip_tsx *tsx, const struct sip_msg *cancel,
		      void *arg)
{
	struct ctx *c = arg;
	(void)tsx;
	(void)cancel;
	c->cancels++;
}

static void tu_ack_timeout(const struct sip_msg *resp, void *arg)
{
	struct ctx *c = arg;
	(void)resp;
	c->ack_timeouts++;
}

static const char *tp(const struct ctx *c)
{
	return c->tcp ? "TCP" : "UDP";
}

static size_t make_req(const struct ctx *c, char *buf, size_t sz,
		       const char *meth, const char *branch, const char *totag,
		       const char *cseqm)
{
	char via[160];
	if (c->rfc2543)
		snprintf(via, sizeof(via), "SIP/2.0/%s 192.0.2.1:5070", tp(c));
	else
		snprintf(via, sizeof(via), "SIP/2.0/%s 192.0.2.1:5070;branch=%s",
			 tp(c), branch);
	int n = snprintf(buf, sz,
			 "%s sip:bob@192.0.2.2 SIP/2.0\r\n"
			 "Via: %s\r\n"
			 "From: <sip:alice@192.0.2.1>;tag=ftag1\r\n"
			 "To: <sip:bob@192.0.2.2>%s%s\r\n"
			 "Call-ID: callid-1@192.0.2.1\r\n"
			 "CSeq: 7 %s\r\n"
			 "Max-Forwards: 70\r\n"
			 "Content-Length: 0\r\n\r\n",
			 meth, via, totag ? ";tag=" : "", totag ? totag : "",
			 cseqm ? cseqm : meth);
	return (size_t)n;
}

static void src_addr(const struct ctx *c, struct sip_tp_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->tp = c->tcp ? SIP_TP_TCP : SIP_TP_UDP;
	a->conn = c->tcp ? 42 : 0;
	assert_int_equal(sip_sa_set(&a->peer, "192.0.2.1", 5070), 0);
}

static int feed(struct ctx *c, const char *text, size_t len, bool create)
{
	struct sip_msg *m = malloc(sizeof(*m));
	struct sip_tp_addr src;
	assert_non_null(m);
	src_addr(c, &src);
	assert_int_equal(sip_msg_decode(m, text, len), 0);
	int rx = sip_tsxl_recv(c->tl, m, &src);
	if (rx == SIP_TSX_RX_NEW && create && m->req &&
	    m->meth != SIP_METHOD_ACK) {
		assert_int_equal(sip_tsx_server(&c->tsx, c->tl, m, &src), 0);
		c->tsx_gone = false;
		sip_tsx_set_handlers(c->tsx, tu_cancel, NULL, c);
	}
	free(m);
	return rx;
}

static void run_step(struct ctx *c, const struct step *s, const char *name,
		     unsigned idx)
{
	char buf[2048];
	size_t n;
	int rx = ANY;

	c->sent[0] = '\0';
	c->tu = NOTU;
	switch (s->op) {
	case OP_START: {
		struct sip_tp_addr dst;
		src_addr(c, &dst);
		n = make_req(c, buf, sizeof(buf), s->meth, "z9hG4bKcli1", NULL,
			     NULL);
		int err = sip_tsx_request(&c->tsx, c->tl, &dst, buf, n, tu_resp,
					  c);
		if (s->code) {
			assert_int_equal(err, s->code);
		} else {
			assert_int_equal(err, 0);
			c->tsx_gone = false;
		}
		break;
	}
	case OP_REQ:
		n = make_req(c, buf, sizeof(buf), s->meth,
			     s->branch ? s->branch : "z9hG4bKsrv1",
			     s->code ? "totag9" : NULL, NULL);
		if (!strcmp(s->meth, "CANCEL") || !strcmp(s->meth, "ACK")) {
			/* same CSeq number, own method (§9.1, §17.1.1.3) */
		}
		rx = feed(c, buf, n, true);
		break;
	case OP_RESP: {
		/* response to the last request our side sent, with a To tag */
		char via[160];
		if (c->rfc2543)
			snprintf(via, sizeof(via), "SIP/2.0/%s 192.0.2.1:5070",
				 tp(c));
		else
			snprintf(via, sizeof(via),
				 "SIP/2.0/%s 192.0.2.1:5070;branch=%s", tp(c),
				 "z9hG4bKcli1");
		n = (size_t)snprintf(buf, sizeof(buf),
				     "SIP/2.0 %d X\r\n"
				     "Via: %s\r\n"
				     "From: <sip:alice@192.0.2.1>;tag=ftag1\r\n"
				     "To: <sip:bob@192.0.2.2>%s\r\n"
				     "Call-ID: callid-1@192.0.2.1\r\n"
				     "CSeq: 7 %s\r\n"
				     "Content-Length: 0\r\n\r\n",
				     s->code, via, s->code > 100 ? ";tag=tt1" : "",
				     s->meth);
		rx = feed(c, buf, n, false);
		break;
	}
	case OP_REPLY: {
		struct sip_msg *m = malloc(sizeof(*m));
		struct sip_buf b;
		size_t len;
		const char *txt = sip_tsx_request_text(c->tsx, &len);
		assert_non_null(m);
		if (!txt) {
			/* NIST: rebuild the request the tsx was made for */
			n = make_req(c, buf, sizeof(buf), s->meth, "z9hG4bKsrv1",
				     NULL, NULL);
			txt = buf;
			len = n;
		}
		assert_int_equal(sip_msg_decode(m, txt, len), 0);
		struct sip_reply_opt o = { .to_tag = "uastag" };
		struct sip_tp_addr src;
		src_addr(c, &src);
		sip_buf_init(&b, 0);
		assert_int_equal(sip_tsx_build_reply(&b, m, &src,
						     (uint16_t)s->code, NULL, &o),
				 0);
		assert_int_equal(sip_tsx_reply(c->tsx, b.p, b.len), 0);
		sip_buf_free(&b);
		free(m);
		break;
	}
	case OP_CANCEL:
		assert_int_equal(sip_tsx_cancel(c->tsx, s->meth), s->code);
		break;
	case OP_TIME:
		sip_tsxl_set_time(c->tl, s->t);
		break;
	case OP_ACK2XX:
		n = make_req(c, buf, sizeof(buf), "ACK", "z9hG4bKack2", "uastag",
			     NULL);
		{
			/* the ACK carries the INVITE's CSeq number */
			rx = feed(c, buf, n, false);
		}
		break;
	case OP_SENDFAIL:
		c->sendfail = true;
		break;
	case OP_CONNFAIL:
		sip_tsxl_conn_failed(c->tl, 42, ECONNRESET);
		if (c->tsx && !c->tsx_gone &&
		    (sip_tsx_type(c->tsx) == SIP_TSX_IST ||
		     sip_tsx_type(c->tsx) == SIP_TSX_NIST))
			assert_int_equal(sip_tsx_dst(c->tsx)->conn, 0);
		break;
	case OP_END:
		break;
	}

	const char *exp_sent = s->sent ? s->sent : "";
	if (strcmp(c->sent, exp_sent)) {
		print_error("%s step %u: sent '%s', expected '%s'\n", name, idx,
			    c->sent, exp_sent);
		fail();
	}
	if (c->tu != s->tu) {
		print_error("%s step %u: TU got %d, expected %d\n", name, idx,
			    c->tu, s->tu);
		fail();
	}
	if (s->rx != ANY && rx != s->rx) {
		print_error("%s step %u: rx %d, expected %d\n", name, idx, rx,
			    s->rx);
		fail();
	}
	struct sip_tsxl_stats st;
	sip_tsxl_stats(c->tl, &st);
	if (s->live != ANY && (int)st.live != s->live) {
		print_error("%s step %u: %u live, expected %d\n", name, idx,
			    st.live, s->live);
		fail();
	}
	if (s->state != ANY && s->state != GONE) {
		enum sip_tsx_state got = sip_tsx_state(c->tsx);
		if ((int)got != s->state) {
			print_error("%s step %u: state %s, expected %s\n", name,
				    idx, sip_tsx_state_name(got),
				    sip_tsx_state_name(s->state));
			fail();
		}
	}
}

/* Shorthands. */
#define START(m, st, sent, live) { OP_START, m, 0, NULL, 0, st, sent, NOTU, live, ANY }
#define AT(ms, st, sent, tu, live) { OP_TIME, NULL, 0, NULL, ms, st, sent, tu, live, ANY }
#define RESP(code, m, st, sent, tu, rx) { OP_RESP, m, code, NULL, 0, st, sent, tu, ANY, rx }
#define REQ(m, br, st, sent, rx) { OP_REQ, m, 0, br, 0, st, sent, NOTU, ANY, rx }
#define REQTAG(m, br, st, sent, rx) { OP_REQ, m, 1, br, 0, st, sent, NOTU, ANY, rx }
#define REPLY(code, m, st, sent) { OP_REPLY, m, code, NULL, 0, st, sent, NOTU, ANY, ANY }
#define END { OP_END, NULL, 0, NULL, 0, ANY, NULL, NOTU, ANY, ANY }

enum {
	CALLING = SIP_TSX_CALLING, TRYING = SIP_TSX_TRYING,
	PROCEEDING = SIP_TSX_PROCEEDING, COMPLETED = SIP_TSX_COMPLETED,
	CONFIRMED = SIP_TSX_CONFIRMED, ACCEPTED = SIP_TSX_ACCEPTED,
	RX_NEW = SIP_TSX_RX_NEW, RX_ABS = SIP_TSX_RX_ABSORBED,
	RX_PASSED = SIP_TSX_RX_PASSED, RX_STRAY = SIP_TSX_RX_STRAY,
};

/* ICT, UDP: Timer A 500, 1000, 2000, ... (no cap), Timer B = 64*T1. */
static const struct step ict_timeout[] = {
	START("INVITE", CALLING, "INVITE", 1),
	AT(499, CALLING, "", NOTU, 1),
	AT(500, CALLING, "INVITE", NOTU, 1),
	AT(1499, CALLING, "", NOTU, 1),
	AT(1500, CALLING, "INVITE", NOTU, 1),
	AT(3500, CALLING, "INVITE", NOTU, 1),
	AT(7500, CALLING, "INVITE", NOTU, 1),
	AT(15500, CALLING, "INVITE", NOTU, 1),
	AT(31499, CALLING, "", NOTU, 1),
	AT(31500, CALLING, "INVITE", NOTU, 1),
	AT(31999, CALLING, "", NOTU, 1),
	AT(32000, GONE, "", -ETIMEDOUT, 0),
	END,
};

/* ICT: 180 stops Timer A; 486 -> ACK, Completed; retransmitted 486 ->
   ACK again (not to the TU); Timer D 32 s. */
static const struct step ict_486[] = {
	START("INVITE", CALLING, "INVITE", 1),
	RESP(180, "INVITE", PROCEEDING, "", 180, RX_PASSED),
	AT(10000, PROCEEDING, "", NOTU, 1),
	RESP(486, "INVITE", COMPLETED, "ACK", 486, RX_PASSED),
	RESP(486, "INVITE", COMPLETED, "ACK", NOTU, RX_PASSED),
	AT(41999, COMPLETED, "", NOTU, 1),
	AT(42000, GONE, "", NOTU, 0),
	END,
};

/* ICT: 2xx -> Accepted (RFC 6026), 2xx retransmissions to the TU, no
   ACK from the transaction, Timer M = 64*T1 then the end notice. */
static const struct step ict_200[] = {
	START("INVITE", CALLING, "INVITE", 1),
	AT(100, CALLING, "", NOTU, 1),
	RESP(200, "INVITE", ACCEPTED, "", 200, RX_PASSED),
	AT(5000, ACCEPTED, "", NOTU, 1),
	RESP(200, "INVITE", ACCEPTED, "", 200, RX_PASSED),
	RESP(180, "INVITE", ACCEPTED, "", NOTU, RX_PASSED),
	AT(32099, ACCEPTED, "", NOTU, 1),
	AT(32100, GONE, "", TU_END, 0),
	END,
};

/* ICT over TCP: no Timer A; Timer D = 0. */
static const struct step ict_tcp[] = {
	START("INVITE", CALLING, "INVITE", 1),
	AT(20000, CALLING, "", NOTU, 1),
	RESP(603, "INVITE", COMPLETED, "ACK", 603, RX_PASSED),
	AT(20000, GONE, "", NOTU, 0),
	END,
};

/* ICT: a response with another CSeq method or branch is stray. */
static const struct step ict_stray[] = {
	START("INVITE", CALLING, "INVITE", 1),
	RESP(200, "BYE", CALLING, "", NOTU, RX_STRAY),
	END,
};

/* CANCEL before any provisional waits for it (§9.1). */
static const struct step ict_cancel[] = {
	START("INVITE", CALLING, "INVITE", 1),
	{ OP_CANCEL, NULL, 0, NULL, 0, CALLING, "", NOTU, 1, ANY },
	{ OP_CANCEL, NULL, EALREADY, NULL, 0, CALLING, "", NOTU, 1, ANY },
	RESP(180, "INVITE", PROCEEDING, "CANCEL", 180, RX_PASSED),
	RESP(487, "INVITE", COMPLETED, "ACK", 487, RX_PASSED),
	END,
};

/* NICT, UDP: Timer E 500, 1000, 2000, 4000, 4000 ... (capped at T2),
   Timer F = 64*T1. */
static const struct step nict_timeout[] = {
	START("OPTIONS", TRYING, "OPTIONS", 1),
	AT(500, TRYING, "OPTIONS", NOTU, 1),
	AT(1500, TRYING, "OPTIONS", NOTU, 1),
	AT(3500, TRYING, "OPTIONS", NOTU, 1),
	AT(7499, TRYING, "", NOTU, 1),
	AT(7500, TRYING, "OPTIONS", NOTU, 1),
	AT(11500, TRYING, "OPTIONS", NOTU, 1),
	AT(15500, TRYING, "OPTIONS", NOTU, 1),
	AT(31500, TRYING, "OPTIONS", NOTU, 1),
	AT(32000, GONE, "", -ETIMEDOUT, 0),
	END,
};

/* NICT: provisional -> Proceeding, retransmissions at T2; final ->
   Completed, Timer K = T4. */
static const struct step nict_ok[] = {
	START("BYE", TRYING, "BYE", 1),
	RESP(100, "BYE", PROCEEDING, "", 100, RX_PASSED),
	AT(500, PROCEEDING, "BYE", NOTU, 1),
	AT(4499, PROCEEDING, "", NOTU, 1),
	AT(4500, PROCEEDING, "BYE", NOTU, 1),
	RESP(200, "BYE", COMPLETED, "", 200, RX_PASSED),
	RESP(200, "BYE", COMPLETED, "", NOTU, RX_PASSED),
	AT(9499, COMPLETED, "", NOTU, 1),
	AT(9500, GONE, "", NOTU, 0),
	END,
};

/* NICT over TCP: no Timer E, Timer K = 0. */
static const struct step nict_tcp[] = {
	START("OPTIONS", TRYING, "OPTIONS", 1),
	AT(10000, TRYING, "", NOTU, 1),
	RESP(200, "OPTIONS", COMPLETED, "", 200, RX_PASSED),
	AT(10000, GONE, "", NOTU, 0),
	END,
};

/* NICT: transport error on a retransmission reaches the TU. */
static const struct step nict_tperr[] = {
	START("OPTIONS", TRYING, "OPTIONS", 1),
	{ OP_SENDFAIL, NULL, 0, NULL, 0, TRYING, "", NOTU, 1, ANY },
	AT(500, GONE, "", -ECONNREFUSED, 0),
	END,
};

/* ACK is never a client transaction. */
static const struct step ack_refused[] = {
	{ OP_START, "ACK", EINVAL, NULL, 0, ANY, "", NOTU, 0, ANY },
	END,
};

/* NIST, UDP: Trying absorbs retransmissions silently; Proceeding and
   Completed resend the last response; Timer J = 64*T1. */
static const struct step nist_udp[] = {
	REQ("OPTIONS", NULL, TRYING, "", RX_NEW),
	REQ("OPTIONS", NULL, TRYING, "", RX_ABS),
	REPLY(100, "OPTIONS", PROCEEDING, "100"),
	REQ("OPTIONS", NULL, PROCEEDING, "100", RX_ABS),
	REPLY(200, "OPTIONS", COMPLETED, "200"),
	REQ("OPTIONS", NULL, COMPLETED, "200", RX_ABS),
	AT(31999, COMPLETED, "", NOTU, 1),
	AT(32000, GONE, "", NOTU, 0),
	REQ("OPTIONS", NULL, TRYING, "", RX_NEW),
	END,
};

/* NIST over TCP: Timer J = 0. */
static const struct step nist_tcp[] = {
	REQ("MESSAGE", NULL, TRYING, "", RX_NEW),
	REPLY(200, "MESSAGE", COMPLETED, "200"),
	AT(0, GONE, "", NOTU, 0),
	END,
};

/* IST, UDP: 1xx resent on retransmitted INVITE; 486 -> Completed with
   Timer G 500, 1000, 2000, 4000, 4000 ... and Timer H; ACK -> Confirmed,
   Timer I = T4; retransmitted ACKs absorbed. */
static const struct step ist_486[] = {
	REQ("INVITE", NULL, PROCEEDING, "", RX_NEW),
	REPLY(180, "INVITE", PROCEEDING, "180"),
	REQ("INVITE", NULL, PROCEEDING, "180", RX_ABS),
	REPLY(486, "INVITE", COMPLETED, "486"),
	AT(499, COMPLETED, "", NOTU, 1),
	AT(500, COMPLETED, "486", NOTU, 1),
	AT(1500, COMPLETED, "486", NOTU, 1),
	AT(3500, COMPLETED, "486", NOTU, 1),
	AT(7500, COMPLETED, "486", NOTU, 1),
	AT(11499, COMPLETED, "", NOTU, 1),
	AT(11500, COMPLETED, "486", NOTU, 1),
	REQ("INVITE", NULL, COMPLETED, "486", RX_ABS),
	REQTAG("ACK", NULL, CONFIRMED, "", RX_ABS),
	REQTAG("ACK", NULL, CONFIRMED, "", RX_ABS),
	AT(16499, CONFIRMED, "", NOTU, 1),
	AT(16500, GONE, "", NOTU, 0),
	END,
};

/* IST: no ACK -> Timer H = 64*T1 ends it. */
static const struct step ist_no_ack[] = {
	REQ("INVITE", NULL, PROCEEDING, "", RX_NEW),
	REPLY(500, "INVITE", COMPLETED, "500"),
	AT(31500, COMPLETED, "500", NOTU, 1),
	AT(31999, COMPLETED, "", NOTU, 1),
	AT(32000, GONE, "", NOTU, 0),
	END,
};

/* IST, TCP: no Timer G; Timer I = 0 after the ACK. */
static const struct step ist_tcp[] = {
	REQ("INVITE", NULL, PROCEEDING, "", RX_NEW),
	REPLY(404, "INVITE", COMPLETED, "404"),
	AT(10000, COMPLETED, "", NOTU, 1),
	REQTAG("ACK", NULL, CONFIRMED, "", RX_ABS),
	AT(10000, GONE, "", NOTU, 0),
	END,
};

/* IST 2xx: Accepted (Timer L), retransmitted INVITE absorbed without a
   resend; the core resends the 2xx at T1, 2T1, ... capped at T2 until the
   ACK (a new transaction's branch) stops it. */
static const struct step ist_200[] = {
	REQ("INVITE", NULL, PROCEEDING, "", RX_NEW),
	REPLY(200, "INVITE", ACCEPTED, "200"),
	REQ("INVITE", NULL, ACCEPTED, "", RX_ABS),
	AT(499, ACCEPTED, "", NOTU, 2),
	AT(500, ACCEPTED, "200", NOTU, 2),
	AT(1500, ACCEPTED, "200", NOTU, 2),
	AT(3500, ACCEPTED, "200", NOTU, 2),
	AT(7500, ACCEPTED, "200", NOTU, 2),
	AT(11500, ACCEPTED, "200", NOTU, 2),
	{ OP_ACK2XX, NULL, 0, NULL, 0, ACCEPTED, "", NOTU, 1, SIP_TSX_RX_ACK_2XX },
	AT(20000, ACCEPTED, "", NOTU, 1),
	{ OP_ACK2XX, NULL, 0, NULL, 0, ACCEPTED, "", NOTU, 1, SIP_TSX_RX_NEW },
	AT(31999, ACCEPTED, "", NOTU, 1),
	AT(32000, GONE, "", NOTU, 0),
	END,
};

/* IST 2xx never ACKed: retransmission stops at 64*T1 and the TU is told
   (it sends BYE, §13.3.1.4). */
static const struct step ist_200_no_ack[] = {
	REQ("INVITE", NULL, PROCEEDING, "", RX_NEW),
	REPLY(200, "INVITE", ACCEPTED, "200"),
	AT(31500, ACCEPTED, "200", NOTU, 2),
	AT(32000, GONE, "", NOTU, 0),
	END,
};

/* CANCEL (§9.2): 200 to the CANCEL, TU told, 487 to the INVITE; the ACK
   for the 487 confirms; a CANCEL for no transaction gets 481. */
static const struct step ist_cancel[] = {
	REQ("INVITE", NULL, PROCEEDING, "", RX_NEW),
	REPLY(180, "INVITE", PROCEEDING, "180"),
	REQ("CANCEL", NULL, COMPLETED, "200|487", SIP_TSX_RX_CANCELLED),
	REQ("CANCEL", NULL, COMPLETED, "200", RX_ABS),
	REQTAG("ACK", NULL, CONFIRMED, "", RX_ABS),
	REQ("CANCEL", "z9hG4bKother", ANY, "481", SIP_TSX_RX_CANCEL_481),
	END,
};

/* CANCEL after the final response: 200, nothing else (§9.2). */
static const struct step ist_cancel_late[] = {
	REQ("INVITE", NULL, PROCEEDING, "", RX_NEW),
	REPLY(486, "INVITE", COMPLETED, "486"),
	REQ("CANCEL", NULL, COMPLETED, "200", SIP_TSX_RX_CANCELLED),
	END,
};

/* Merged request (§8.2.2.2): same From tag, Call-ID and CSeq, new branch,
   no To tag -> 482 while the first transaction lives. */
static const struct step merged[] = {
	REQ("OPTIONS", NULL, TRYING, "", RX_NEW),
	REQ("OPTIONS", "z9hG4bKsrv2", TRYING, "482", SIP_TSX_RX_MERGED),
	REPLY(200, "OPTIONS", COMPLETED, "200"),
	REQ("OPTIONS", "z9hG4bKsrv3", ANY, "482", SIP_TSX_RX_MERGED),
	AT(32000, GONE, "", NOTU, 0),
	REQ("OPTIONS", "z9hG4bKsrv3", TRYING, "", RX_NEW),
	END,
};

/* RFC 2543 peers (no magic cookie): retransmission and ACK matching on
   Request-URI, tags, Call-ID, CSeq and Via (§17.2.3). */
static const struct step rfc2543[] = {
	REQ("INVITE", NULL, PROCEEDING, "", RX_NEW),
	REQ("INVITE", NULL, PROCEEDING, "", RX_ABS),
	REPLY(603, "INVITE", COMPLETED, "603"),
	REQ("INVITE", NULL, COMPLETED, "603", RX_ABS),
	REQTAG("ACK", NULL, CONFIRMED, "", RX_ABS),
	END,
};

/* The TU never answers: a non-INVITE server transaction is dropped after
   64*T1; an INVITE one gets 500 after max_pending (300 s default), then
   runs Completed as usual. */
static const struct step nist_guard[] = {
	REQ("OPTIONS", NULL, TRYING, "", RX_NEW),
	AT(31999, TRYING, "", NOTU, 1),
	AT(32000, GONE, "", NOTU, 0),
	END,
};

static const struct step ist_guard[] = {
	REQ("INVITE", NULL, PROCEEDING, "", RX_NEW),
	REPLY(180, "INVITE", PROCEEDING, "180"),
	AT(299999, PROCEEDING, "", NOTU, 1),
	AT(300000, COMPLETED, "500", NOTU, 1),
	REQTAG("ACK", NULL, CONFIRMED, "", RX_ABS),
	END,
};

/* A client INVITE stuck in Proceeding ends after max_pending. */
static const struct step ict_guard[] = {
	START("INVITE", CALLING, "INVITE", 1),
	RESP(183, "INVITE", PROCEEDING, "", 183, RX_PASSED),
	RESP(180, "INVITE", PROCEEDING, "", 180, RX_PASSED),
	AT(299999, PROCEEDING, "", NOTU, 1),
	AT(300000, GONE, "", -ETIMEDOUT, 0),
	END,
};

/* A stream connection fails (§17.1.4): client transactions on it end
   with the error; server ones keep going and answer over a new one. */
static const struct step ict_connfail[] = {
	START("INVITE", CALLING, "INVITE", 1),
	{ OP_CONNFAIL, NULL, 0, NULL, 0, GONE, "", -ECONNRESET, 0, ANY },
	END,
};

static const struct step nist_connfail[] = {
	REQ("OPTIONS", NULL, TRYING, "", RX_NEW),
	{ OP_CONNFAIL, NULL, 0, NULL, 0, TRYING, "", NOTU, 1, ANY },
	REPLY(200, "OPTIONS", COMPLETED, "200"),
	END,
};

static const struct vec vecs[] = {
	{ "ict_timeout", false, false, ict_timeout },
	{ "ict_486", false, false, ict_486 },
	{ "ict_200", false, false, ict_200 },
	{ "ict_tcp", true, false, ict_tcp },
	{ "ict_stray", false, false, ict_stray },
	{ "ict_cancel", false, false, ict_cancel },
	{ "nict_timeout", false, false, nict_timeout },
	{ "nict_ok", false, false, nict_ok },
	{ "nict_tcp", true, false, nict_tcp },
	{ "nict_tperr", false, false, nict_tperr },
	{ "ack_refused", false, false, ack_refused },
	{ "nist_udp", false, false, nist_udp },
	{ "nist_tcp", true, false, nist_tcp },
	{ "ist_486", false, false, ist_486 },
	{ "ist_no_ack", false, false, ist_no_ack },
	{ "ist_tcp", true, false, ist_tcp },
	{ "ist_200", false, false, ist_200 },
	{ "ist_200_no_ack", false, false, ist_200_no_ack },
	{ "ist_cancel", false, false, ist_cancel },
	{ "ist_cancel_late", false, false, ist_cancel_late },
	{ "merged", false, false, merged },
	{ "rfc2543", false, true, rfc2543 },
	{ "nist_guard", false, false, nist_guard },
	{ "ist_guard", false, false, ist_guard },
	{ "ict_guard", false, false, ict_guard },
	{ "ict_connfail", true, false, ict_connfail },
	{ "nist_connfail", true, false, nist_connfail },
};

static void test_vectors(void **state)
{
	(void)state;
	for (size_t v = 0; v < sizeof(vecs) / sizeof(vecs[0]); v++) {
		struct ctx c;
		memset(&c, 0, sizeof(c));
		c.tcp = vecs[v].tcp;
		c.rfc2543 = vecs[v].rfc2543;
		assert_int_equal(sip_tsxl_alloc(&c.tl, NULL, NULL, fake_send, &c),
				 0);
		sip_tsxl_set_ack_timeout_h(c.tl, tu_ack_timeout, &c);
		for (unsigned i = 0; vecs[v].steps[i].op != OP_END; i++)
			run_step(&c, &vecs[v].steps[i], vecs[v].name, i);
		if (!strcmp(vecs[v].name, "ist_200_no_ack"))
			assert_int_equal(c.ack_timeouts, 1);
		if (!strcmp(vecs[v].name, "ist_200"))
			assert_int_equal(c.ack_timeouts, 0);
		if (!strncmp(vecs[v].name, "ist_cancel", 10))
			assert_int_equal(c.cancels,
					 strcmp(vecs[v].name, "ist_cancel") ? 0 : 1);
		sip_tsxl_free(c.tl);
	}
}

/* Configurable timers: T1 = 100, T2 = 400, T4 = 1000, D = 5000. */
static void test_custom_timers(void **state)
{
	struct sip_tsx_cfg cfg = { .t1 = 100, .t2 = 400, .t4 = 1000,
				   .timer_d = 5000 };
	static const struct step s1[] = {
		START("OPTIONS", TRYING, "OPTIONS", 1),
		AT(100, TRYING, "OPTIONS", NOTU, 1),
		AT(300, TRYING, "OPTIONS", NOTU, 1),
		AT(700, TRYING, "OPTIONS", NOTU, 1),
		AT(1099, TRYING, "", NOTU, 1),
		AT(1100, TRYING, "OPTIONS", NOTU, 1), /* capped at T2 = 400 */
		AT(1500, TRYING, "OPTIONS", NOTU, 1),
		AT(6399, TRYING, "OPTIONS", NOTU, 1),
		AT(6400, GONE, "", -ETIMEDOUT, 0),    /* F = 64 * 100 */
		END,
	};
	static const struct step s2[] = {
		START("INVITE", CALLING, "INVITE", 1),
		RESP(480, "INVITE", COMPLETED, "ACK", 480, RX_PASSED),
		AT(4999, COMPLETED, "", NOTU, 1),
		AT(5000, GONE, "", NOTU, 0), /* D */
		END,
	};
	const struct step *sv[] = { s1, s2 };
	(void)state;
	for (unsigned k = 0; k < 2; k++) {
		struct ctx c;
		memset(&c, 0, sizeof(c));
		assert_int_equal(sip_tsxl_alloc(&c.tl, NULL, &cfg, fake_send, &c),
				 0);
		for (unsigned i = 0; sv[k][i].op != OP_END; i++)
			run_step(&c, &sv[k][i], "custom", i);
		sip_tsxl_free(c.tl);
	}
}

/* The table is bounded: max_tsx live transactions, then ENOSPC. */
static void test_max_tsx(void **state)
{
	struct sip_tsx_cfg cfg = { .max_tsx = 3 };
	struct ctx c;
	char buf[1024], br[32];
	struct sip_tp_addr dst;
	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(sip_tsxl_alloc(&c.tl, NULL, &cfg, fake_send, &c), 0);
	src_addr(&c, &dst);
	for (int i = 0; i < 4; i++) {
		snprintf(br, sizeof(br), "z9hG4bKmax%d", i);
		size_t n = make_req(&c, buf, sizeof(buf), "OPTIONS", br, NULL, NULL);
		int err = sip_tsx_request(NULL, c.tl, &dst, buf, n, NULL, NULL);
		assert_int_equal(err, i < 3 ? 0 : ENOSPC);
	}
	/* same branch twice is refused */
	size_t n = make_req(&c, buf, sizeof(buf), "OPTIONS", "z9hG4bKmax0",
			    NULL, NULL);
	assert_int_equal(sip_tsx_request(NULL, c.tl, &dst, buf, n, NULL, NULL),
			 EEXIST);
	struct sip_tsxl_stats st;
	sip_tsxl_stats(c.tl, &st);
	assert_int_equal(st.live, 3);
	assert_int_equal(st.overflow, 1);
	sip_tsxl_free(c.tl);
}

/* Response building: received= when sent-by differs or rport asked,
   rport filled (RFC 3581), To tag added, other Vias untouched. */
static void test_build_reply(void **state)
{
	static const struct {
		const char *via;
		const char *src_ip;
		uint16_t src_port;
		const char *want_via;
	} testv[] = {
		{ "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa", "192.0.2.1", 5060,
		  "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa\r\n" },
		{ "SIP/2.0/UDP pc33.example.com;branch=z9hG4bKb", "192.0.2.9", 5060,
		  "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKb;received=192.0.2.9\r\n" },
		{ "SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bKc", "192.0.2.9", 40000,
		  "Via: SIP/2.0/UDP 10.0.0.1:5060;rport=40000;branch=z9hG4bKc;received=192.0.2.9\r\n" },
		{ "SIP/2.0/UDP 192.0.2.1;received=1.2.3.4;branch=z9hG4bKd", "192.0.2.1", 5060,
		  "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKd\r\n" },
		{ "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKe", "2001:db8::9", 5060,
		  "Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKe;received=2001:db8::9\r\n" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		char req[1024];
		int n = snprintf(req, sizeof(req),
				 "INVITE sip:bob@192.0.2.2 SIP/2.0\r\n"
				 "Via: %s\r\n"
				 "Via: SIP/2.0/UDP proxy.example.net;branch=z9hG4bKp\r\n"
				 "From: <sip:alice@a>;tag=f1\r\n"
				 "To: <sip:bob@b>\r\n"
				 "Call-ID: c1\r\nCSeq: 3 INVITE\r\n"
				 "Content-Length: 0\r\n\r\n",
				 testv[i].via);
		struct sip_msg *m = malloc(sizeof(*m));
		struct sip_tp_addr src = { .tp = SIP_TP_UDP };
		struct sip_buf b;
		struct sip_reply_opt o = { .to_tag = "tt9", .hdrs = "X-A: 1\r\n" };
		assert_non_null(m);
		assert_int_equal(sip_msg_decode(m, req, (size_t)n), 0);
		assert_int_equal(sip_sa_set(&src.peer, testv[i].src_ip,
					    testv[i].src_port), 0);
		sip_buf_init(&b, 0);
		assert_int_equal(sip_tsx_build_reply(&b, m, &src, 486, NULL, &o), 0);
		if (!strstr(b.p, testv[i].want_via)) {
			print_error("case %zu: got\n%s\nwant %s", i, b.p,
				    testv[i].want_via);
			fail();
		}
		assert_non_null(strstr(b.p, "SIP/2.0 486 "));
		assert_non_null(strstr(b.p, "\r\nVia: SIP/2.0/UDP proxy.example.net;branch=z9hG4bKp\r\n"));
		assert_non_null(strstr(b.p, "\r\nTo: <sip:bob@b>;tag=tt9\r\n"));
		assert_non_null(strstr(b.p, "\r\nCSeq: 3 INVITE\r\n"));
		assert_non_null(strstr(b.p, "\r\nX-A: 1\r\n"));
		/* the response parses and keeps the transaction key */
		struct sip_msg *r = malloc(sizeof(*r));
		assert_non_null(r);
		assert_int_equal(sip_msg_decode(r, b.p, b.len), 0);
		assert_int_equal(r->scode, 486);
		assert_int_equal(pl_cmp(&r->via.branch, &m->via.branch), 0);
		free(r);
		sip_buf_free(&b);
		free(m);
	}
}

/* The CANCEL (§9.1) and the ACK for a non-2xx (§17.1.1.3) built by the
   client INVITE transaction: same Request-URI, top Via (branch), From,
   Call-ID, CSeq number and Route; To from the response for the ACK. */
static void test_ack_cancel_text(void **state)
{
	static const char invite[] =
		"INVITE sip:bob@192.0.2.2:5080;transport=udp SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKcli1;rport\r\n"
		"Route: <sip:p1.example.net;lr>\r\n"
		"Route: <sip:p2.example.net;lr>\r\n"
		"Max-Forwards: 70\r\n"
		"From: \"A\" <sip:alice@192.0.2.1>;tag=ftag1\r\n"
		"To: <sip:bob@192.0.2.2>\r\n"
		"Call-ID: callid-1@192.0.2.1\r\n"
		"CSeq: 7 INVITE\r\n"
		"Contact: <sip:alice@192.0.2.1:5070>\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char *const cancel_want[] = {
		"CANCEL sip:bob@192.0.2.2:5080;transport=udp SIP/2.0\r\n",
		"\r\nVia: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKcli1;rport\r\n",
		"\r\nRoute: <sip:p1.example.net;lr>\r\nRoute: <sip:p2.example.net;lr>\r\n",
		"\r\nFrom: \"A\" <sip:alice@192.0.2.1>;tag=ftag1\r\n",
		"\r\nTo: <sip:bob@192.0.2.2>\r\n",
		"\r\nCall-ID: callid-1@192.0.2.1\r\n",
		"\r\nCSeq: 7 CANCEL\r\n",
		"\r\nReason: Q.850;cause=16\r\n",
	};
	static const char *const ack_want[] = {
		"ACK sip:bob@192.0.2.2:5080;transport=udp SIP/2.0\r\n",
		"\r\nVia: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKcli1;rport\r\n",
		"\r\nRoute: <sip:p1.example.net;lr>\r\nRoute: <sip:p2.example.net;lr>\r\n",
		"\r\nTo: <sip:bob@192.0.2.2>;tag=tt1\r\n",
		"\r\nCSeq: 7 ACK\r\n",
	};
	struct ctx c;
	struct sip_tp_addr dst;
	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(sip_tsxl_alloc(&c.tl, NULL, NULL, fake_send, &c), 0);
	src_addr(&c, &dst);
	assert_int_equal(sip_tsx_request(&c.tsx, c.tl, &dst, invite,
					 sizeof(invite) - 1, tu_resp, &c), 0);
	assert_int_equal(sip_tsx_cancel(c.tsx, "Q.850;cause=16"), 0);
	static const struct step s180 = RESP(180, "INVITE", PROCEEDING, "CANCEL", 180, RX_PASSED);
	run_step(&c, &s180, "ack_cancel", 0);
	c.lastreq[c.lastreq_len] = '\0';
	for (size_t i = 0; i < sizeof(cancel_want) / sizeof(cancel_want[0]); i++) {
		if (!strstr(c.lastreq, cancel_want[i])) {
			print_error("CANCEL lacks %s:\n%s", cancel_want[i], c.lastreq);
			fail();
		}
	}
	assert_null(strstr(c.lastreq, "Contact:"));
	static const struct step s487 = RESP(487, "INVITE", COMPLETED, "ACK", 487, RX_PASSED);
	run_step(&c, &s487, "ack_cancel", 1);
	c.lastreq[c.lastreq_len] = '\0';
	for (size_t i = 0; i < sizeof(ack_want) / sizeof(ack_want[0]); i++) {
		if (!strstr(c.lastreq, ack_want[i])) {
			print_error("ACK lacks %s:\n%s", ack_want[i], c.lastreq);
			fail();
		}
	}
	/* the CANCEL's own 200 is matched to its transaction, not the INVITE */
	static const struct step s200 = RESP(200, "CANCEL", COMPLETED, "", NOTU, RX_PASSED);
	run_step(&c, &s200, "ack_cancel", 2);
	sip_tsxl_free(c.tl);
}

static void test_branch(void **state)
{
	char a[48], b[48];
	(void)state;
	size_t n = sip_tsx_branch(a, sizeof(a));
	sip_tsx_branch(b, sizeof(b));
	assert_true(n > 7 + 16);
	assert_memory_equal(a, "z9hG4bK", 7);
	assert_string_not_equal(a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_custom_timers),
		cmocka_unit_test(test_max_tsx),
		cmocka_unit_test(test_build_reply),
		cmocka_unit_test(test_ack_cancel_text),
		cmocka_unit_test(test_branch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
