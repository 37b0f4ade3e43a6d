/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for sip/dialog: RFC 3261 §12 dialog creation (UAS, UAC,
 * forking), route sets and in-dialog request construction (loose and
 * strict routing), CSeq ordering, target refresh, glare (§14, RFC 3311).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sip/dialog.h"
#include "sip/msg.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct pmsg {
	struct sip_msg m;
	char buf[4096];
};

static const char sdp[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
			  "t=0 0\r\nm=audio 4000 RTP/AVP 8\r\n";

/*
 * Parse a message made of start line + header lines (each ending in CRLF);
 * with_sdp appends an SDP body. Caller frees with test_free.
 */
static struct sip_msg *mk(bool with_sdp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static struct sip_msg *mk(bool with_sdp, const char *fmt, ...)
{
	struct pmsg *p = test_malloc(sizeof(*p));
	va_list ap;
	int n, k;

	va_start(ap, fmt);
	n = vsnprintf(p->buf, sizeof(p->buf), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(p->buf) - 600);
	if (with_sdp)
		k = snprintf(p->buf + n, sizeof(p->buf) - (size_t)n,
			     "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
			     strlen(sdp), sdp);
	else
		k = snprintf(p->buf + n, sizeof(p->buf) - (size_t)n,
			     "Content-Length: 0\r\n\r\n");
	n += k;
	assert_int_equal(sip_msg_decode(&p->m, p->buf, (size_t)n), 0);
	return &p->m;
}

#define VIA "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKx1\r\n"

/* An INVITE from a through two proxies, as the UAS sees it. */
static struct sip_msg *uas_invite(bool with_sdp)
{
	return mk(with_sdp, "INVITE sip:bob@192.0.2.2 SIP/2.0\r\n" VIA
		  "Record-Route: <sip:p2.example.com;lr>\r\n"
		  "Record-Route: <sip:p1.example.com;lr>;x=1, <sip:p0.example.com;lr>\r\n"
		  "From: \"Alice\" <sip:alice@example.com>;tag=ftag\r\n"
		  "To: Bob <sip:bob@example.com>\r\n"
		  "Call-ID: call-1@example.com\r\nCSeq: 10 INVITE\r\nMax-Forwards: 70\r\n"
		  "Contact: <sip:alice@10.0.0.1:5060;transport=udp>\r\n");
}

static void free_msg(struct sip_msg *m)
{
	test_free(m);
}

static void test_uas_create(void **state)
{
	struct sip_dialogs *set;
	struct sip_dialog *dlg = NULL, *d2 = NULL;
	struct sip_msg *inv = uas_invite(true);
	struct sip_dialog_req rq;
	struct sip_buf b;
	(void)state;

	assert_int_equal(sip_dialogs_alloc(&set, 0), 0);
	assert_int_equal(sip_dialog_uas_create(set, inv, "ltag", "sip:b@192.0.2.2:5060", false,
					       &dlg),
			 0);
	assert_int_equal(sip_dialog_uas_create(set, inv, "ltag", "sip:b@192.0.2.2:5060", false,
					       &d2),
			 EEXIST);
	assert_null(d2);
	assert_int_equal(sip_dialogs_count(set), 1);
	assert_int_equal(dlg->state, SIP_DIALOG_EARLY);
	assert_false(dlg->uac);
	assert_string_equal(dlg->call_id, "call-1@example.com");
	assert_string_equal(dlg->local_tag, "ltag");
	assert_string_equal(dlg->remote_tag, "ftag");
	assert_string_equal(dlg->local_uri, "sip:bob@example.com");
	assert_string_equal(dlg->remote_uri, "sip:alice@example.com");
	assert_string_equal(dlg->remote_target, "sip:alice@10.0.0.1:5060;transport=udp");
	assert_int_equal(dlg->routec, 3);
	/* UAS: Record-Route order kept (§12.1.1) */
	assert_string_equal(dlg->route[0], "<sip:p2.example.com;lr>");
	assert_string_equal(dlg->route[1], "<sip:p1.example.com;lr>;x=1");
	assert_string_equal(dlg->route[2], "<sip:p0.example.com;lr>");
	assert_true(dlg->remote_cseq_set);
	assert_int_equal(dlg->remote_cseq, 10);
	assert_false(dlg->local_cseq_set);
	assert_true(dlg->inv_server);
	assert_true(dlg->oa_remote);

	/* a 2xx with SDP answers and confirms */
	sip_dialog_tx_response(dlg, SIP_METHOD_INVITE, 200, true);
	assert_int_equal(dlg->state, SIP_DIALOG_CONFIRMED);
	assert_false(dlg->inv_server);
	assert_false(dlg->oa_remote);
	assert_false(dlg->oa_local);

	/* BYE from us: loose routing, Route in order, random first CSeq */
	sip_buf_init(&b, 0);
	assert_int_equal(sip_dialog_request(dlg, SIP_METHOD_BYE, false, &rq, &b), 0);
	assert_string_equal(rq.ruri, "sip:alice@10.0.0.1:5060;transport=udp");
	assert_string_equal(rq.next_hop, "sip:p2.example.com;lr");
	assert_true(rq.cseq >= 1 && rq.cseq <= (1u << 30) + 1);
	{
		char want[512];

		snprintf(want, sizeof(want),
			 "Route: <sip:p2.example.com;lr>\r\n"
			 "Route: <sip:p1.example.com;lr>;x=1\r\n"
			 "Route: <sip:p0.example.com;lr>\r\n"
			 "From: <sip:bob@example.com>;tag=ltag\r\n"
			 "To: <sip:alice@example.com>;tag=ftag\r\n"
			 "Call-ID: call-1@example.com\r\n"
			 "CSeq: %u BYE\r\n",
			 rq.cseq);
		assert_string_equal(b.p, want);
	}
	sip_buf_free(&b);

	/* the dialog is found by requests (local = To tag) */
	{
		struct sip_msg *bye = mk(false, "BYE sip:bob@192.0.2.2 SIP/2.0\r\n" VIA
					 "From: <sip:alice@example.com>;tag=ftag\r\n"
					 "To: <sip:bob@example.com>;tag=ltag\r\n"
					 "Call-ID: call-1@example.com\r\nCSeq: 11 BYE\r\n");
		struct sip_msg *bye2 = mk(false, "BYE sip:bob@192.0.2.2 SIP/2.0\r\n" VIA
					  "From: <sip:alice@example.com>;tag=ftag\r\n"
					  "To: <sip:bob@example.com>;tag=other\r\n"
					  "Call-ID: call-1@example.com\r\nCSeq: 11 BYE\r\n");
		uint32_t ra;

		assert_ptr_equal(sip_dialogs_match_req(set, bye), dlg);
		/* no dialog: the caller answers 481 (§12.2.2) */
		assert_null(sip_dialogs_match_req(set, bye2));
		assert_int_equal(sip_dialog_rx_request(dlg, bye, &ra), 0);
		assert_int_equal(dlg->state, SIP_DIALOG_TERMINATED);
		assert_int_equal(sip_dialog_rx_request(dlg, bye, &ra), 481);
		free_msg(bye);
		free_msg(bye2);
	}
	sip_dialog_destroy(dlg);
	assert_int_equal(sip_dialogs_count(set), 0);
	free_msg(inv);
	sip_dialogs_free(set);
}

static void test_uas_reject(void **state)
{
	struct sip_dialogs *set;
	struct sip_dialog *dlg = NULL;
	struct sip_msg *inv = uas_invite(false);
	struct sip_msg *nocontact = mk(false, "INVITE sip:bob@192.0.2.2 SIP/2.0\r\n" VIA
				       "From: <sip:alice@example.com>;tag=ftag\r\n"
				       "To: <sip:bob@example.com>\r\n"
				       "Call-ID: call-2\r\nCSeq: 1 INVITE\r\n");
	(void)state;

	assert_int_equal(sip_dialogs_alloc(&set, 1), 0);
	assert_int_equal(sip_dialog_uas_create(set, nocontact, "t", "sip:b@h", false, &dlg),
			 EINVAL);
	assert_int_equal(sip_dialog_uas_create(set, inv, "", "sip:b@h", false, &dlg), EINVAL);
	assert_int_equal(sip_dialog_uas_create(set, inv, "t1", "sip:b@h", false, &dlg), 0);
	/* offerless INVITE: our 2xx carries the offer, the ACK the answer */
	assert_false(dlg->oa_remote);
	/* set is full */
	{
		struct sip_dialog *d2 = NULL;

		assert_int_equal(sip_dialog_uas_create(set, inv, "t2", "sip:b@h", false, &d2),
				 ENOSPC);
	}
	sip_dialog_tx_response(dlg, SIP_METHOD_INVITE, 180, false);
	assert_int_equal(dlg->state, SIP_DIALOG_EARLY);
	sip_dialog_tx_response(dlg, SIP_METHOD_INVITE, 486, false);
	assert_int_equal(dlg->state, SIP_DIALOG_TERMINATED);
	assert_false(dlg->inv_server);
	free_msg(inv);
	free_msg(nocontact);
	sip_dialogs_free(set);
}

#define UAC_INVITE                                                  \
	"INVITE sip:bob@example.com SIP/2.0\r\n" VIA                \
	"From: <sip:alice@example.com>;tag=atag\r\n"                \
	"To: <sip:bob@example.com>\r\n"                             \
	"Call-ID: fork-1\r\nCSeq: 5 INVITE\r\nMax-Forwards: 70\r\n" \
	"Contact: <sip:alice@10.0.0.1>\r\n"

static struct sip_msg *uac_rsp(bool with_sdp, unsigned scode, const char *totag,
			       const char *contact, const char *rr)
{
	char tag[64] = "";

	if (totag)
		snprintf(tag, sizeof(tag), ";tag=%s", totag);
	return mk(with_sdp,
		  "SIP/2.0 %u X\r\n" VIA "%s"
		  "From: <sip:alice@example.com>;tag=atag\r\n"
		  "To: <sip:bob@example.com>%s\r\n"
		  "Call-ID: fork-1\r\nCSeq: 5 INVITE\r\n%s%s%s",
		  scode, rr ? rr : "", tag, contact ? "Contact: <" : "", contact ? contact : "",
		  contact ? ">\r\n" : "");
}

/* UAC: forking, early -> confirmed, route set reversed and recomputed. */
static void test_uac_fork(void **state)
{
	struct sip_dialogs *set;
	struct sip_dialog *a = NULL, *b = NULL, *x = NULL;
	struct sip_msg *inv = mk(true, UAC_INVITE);
	struct sip_msg *r100 = uac_rsp(false, 100, NULL, NULL, NULL);
	struct sip_msg *r180a = uac_rsp(false, 180, "A", "sip:bob@10.0.0.2",
					"Record-Route: <sip:p1;lr>, <sip:p2;lr>\r\n");
	struct sip_msg *r183b = uac_rsp(true, 183, "B", "sip:bob@10.0.0.3", NULL);
	struct sip_msg *r200a = uac_rsp(true, 200, "A", "sip:bob@10.0.0.9",
					"Record-Route: <sip:p1;lr>\r\nRecord-Route: <sip:p3;lr>\r\n");
	struct sip_msg *r486 = uac_rsp(false, 486, "C", NULL, NULL);
	struct sip_dialog_req rq;
	struct sip_buf hb;
	(void)state;

	assert_int_equal(sip_dialogs_alloc(&set, 0), 0);
	assert_int_equal(sip_dialog_uac_rx(set, inv, r100, "sip:alice@10.0.0.1", false, &x),
			 ENOENT);
	assert_int_equal(sip_dialog_uac_rx(set, inv, r486, "sip:alice@10.0.0.1", false, &x),
			 ENOENT);
	assert_null(x);
	assert_int_equal(sip_dialog_uac_rx(set, inv, r180a, "sip:alice@10.0.0.1", false, &a), 0);
	assert_int_equal(a->state, SIP_DIALOG_EARLY);
	assert_true(a->uac);
	assert_string_equal(a->local_tag, "atag");
	assert_string_equal(a->remote_tag, "A");
	assert_string_equal(a->remote_target, "sip:bob@10.0.0.2");
	/* UAC: reversed (§12.1.2) */
	assert_int_equal(a->routec, 2);
	assert_string_equal(a->route[0], "<sip:p2;lr>");
	assert_string_equal(a->route[1], "<sip:p1;lr>");
	assert_int_equal(a->local_cseq, 5);
	assert_true(a->inv_client);
	assert_true(a->oa_local);

	/* a second To tag: a fork, a second early dialog */
	assert_int_equal(sip_dialog_uac_rx(set, inv, r183b, "sip:alice@10.0.0.1", false, &b), 0);
	assert_ptr_not_equal(a, b);
	assert_int_equal(sip_dialogs_count(set), 2);
	assert_false(b->oa_local); /* the 183 answered */
	/* the same tag again finds the same dialog */
	assert_int_equal(sip_dialog_uac_rx(set, inv, r180a, "sip:alice@10.0.0.1", false, &x), 0);
	assert_ptr_equal(x, a);
	assert_ptr_equal(sip_dialogs_match_rsp(set, r183b), b);

	/* 2xx on A: confirmed, route set and target from the 2xx */
	assert_int_equal(sip_dialog_uac_rx(set, inv, r200a, "sip:alice@10.0.0.1", false, &x), 0);
	assert_ptr_equal(x, a);
	assert_int_equal(a->state, SIP_DIALOG_CONFIRMED);
	assert_int_equal(a->routec, 2);
	assert_string_equal(a->route[0], "<sip:p3;lr>");
	assert_string_equal(a->route[1], "<sip:p1;lr>");
	assert_string_equal(a->remote_target, "sip:bob@10.0.0.9");
	assert_false(a->inv_client);
	assert_false(a->oa_local);

	/* ACK reuses the INVITE CSeq; it goes to the first route */
	sip_buf_init(&hb, 0);
	assert_int_equal(sip_dialog_request(a, SIP_METHOD_ACK, false, &rq, &hb), 0);
	assert_int_equal(rq.cseq, 5);
	assert_string_equal(rq.ruri, "sip:bob@10.0.0.9");
	assert_string_equal(rq.next_hop, "sip:p3;lr");
	assert_non_null(strstr(hb.p, "CSeq: 5 ACK\r\n"));
	assert_non_null(strstr(hb.p, "To: <sip:bob@example.com>;tag=A\r\n"));
	sip_buf_reset(&hb);
	assert_int_equal(sip_dialog_request(a, SIP_METHOD_BYE, false, &rq, &hb), 0);
	assert_int_equal(rq.cseq, 6);
	sip_buf_free(&hb);

	/* the fork that stayed early ends when the INVITE ends elsewhere */
	{
		struct pl cid = PL("fork-1"), lt = PL("atag");

		assert_int_equal(sip_dialogs_uac_fail(set, &cid, &lt), 1);
		assert_int_equal(sip_dialogs_count(set), 1);
		assert_null(sip_dialogs_match_rsp(set, r183b));
	}
	free_msg(inv);
	free_msg(r100);
	free_msg(r180a);
	free_msg(r183b);
	free_msg(r200a);
	free_msg(r486);
	sip_dialogs_free(set);
}

/* Strict first route (§12.2.1.1, §16.12.1.2) and loose-route detection. */
static void test_strict_route(void **state)
{
	static const struct {
		const char *route;
		bool loose;
	} testv[] = {
		{ "<sip:p1.example.com;lr>", true },
		{ "<sip:p1.example.com;LR=on>", true },
		{ "<sip:p1.example.com;transport=tcp;lr>", true },
		{ "<sip:p1.example.com>", false },
		{ "<sip:lr@p1.example.com>", false },
		{ "<sip:p1.example.com;lrx>", false },
		{ "<sip:p1.example.com?lr=1>", false },
		{ "\"Proxy\" <sip:[2001:db8::1]:5070;lr>", true },
		{ "not a route", false },
	};
	struct sip_dialogs *set;
	struct sip_dialog *dlg = NULL;
	struct sip_msg *inv = mk(false, "INVITE sip:bob@192.0.2.2 SIP/2.0\r\n" VIA
				 "Record-Route: <sip:strict.example.com;maddr=10.1.1.1?X-H=1>\r\n"
				 "Record-Route: <sip:p1.example.com;lr>\r\n"
				 "From: <sip:alice@example.com>;tag=ftag\r\n"
				 "To: <sip:bob@example.com>\r\n"
				 "Call-ID: strict-1\r\nCSeq: 1 INVITE\r\n"
				 "Contact: <sip:alice@10.0.0.1>\r\n");
	struct sip_dialog_req rq;
	struct sip_buf b;
	(void)state;

	for (size_t i = 0; i < N(testv); i++)
		assert_int_equal(sip_dialog_route_is_loose(testv[i].route), testv[i].loose);

	assert_int_equal(sip_dialogs_alloc(&set, 0), 0);
	assert_int_equal(sip_dialog_uas_create(set, inv, "lt", "sip:bob@192.0.2.2", false, &dlg),
			 0);
	sip_dialog_tx_response(dlg, SIP_METHOD_INVITE, 200, false);
	sip_buf_init(&b, 0);
	assert_int_equal(sip_dialog_request(dlg, SIP_METHOD_INFO, false, &rq, &b), 0);
	/* the strict router takes the Request-URI (headers stripped) ... */
	assert_string_equal(rq.ruri, "sip:strict.example.com;maddr=10.1.1.1");
	assert_string_equal(rq.next_hop, "sip:strict.example.com;maddr=10.1.1.1");
	/* ... and the remote target goes last in Route */
	assert_true(strncmp(b.p,
			    "Route: <sip:p1.example.com;lr>\r\n"
			    "Route: <sip:alice@10.0.0.1>\r\n"
			    "From: <sip:bob@example.com>;tag=lt\r\n",
			    strlen("Route: <sip:p1.example.com;lr>\r\n"
				   "Route: <sip:alice@10.0.0.1>\r\n"
				   "From: <sip:bob@example.com>;tag=lt\r\n")) == 0);
	assert_null(strstr(b.p, "Contact:")); /* INFO refreshes no target */
	sip_buf_reset(&b);
	assert_int_equal(sip_dialog_request(dlg, SIP_METHOD_UPDATE, false, &rq, &b), 0);
	assert_non_null(strstr(b.p, "Contact: <sip:bob@192.0.2.2>\r\n"));
	/* no usable methods */
	assert_int_equal(sip_dialog_request(dlg, SIP_METHOD_CANCEL, false, &rq, &b), EINVAL);
	assert_int_equal(sip_dialog_request(dlg, SIP_METHOD_OTHER, false, &rq, &b), EINVAL);
	/* a fixed buffer too small: ENOSPC and nothing changes */
	{
		char small[40];
		struct sip_buf fb;
		uint32_t before = dlg->local_cseq;

		sip_buf_init_fixed(&fb, small, sizeof(small));
		assert_int_equal(sip_dialog_request(dlg, SIP_METHOD_INVITE, true, &rq, &fb),
				 ENOSPC);
		assert_int_equal(dlg->local_cseq, before);
		assert_false(dlg->inv_client);
		assert_false(dlg->oa_local);
	}
	sip_buf_free(&b);
	free_msg(inv);
	sip_dialogs_free(set);
}

/* Incoming request checks (§12.2.2, §14.2, RFC 3311 §5.2), as a sequence. */
static void test_rx_sequence(void **state)
{
	static const struct {
		const char *what;
		const char *method;
		uint32_t cseq;
		bool sdp;
		const char *contact;  /* NULL: none */
		int local;            /* before it: 1 = we send re-INVITE with offer,
					 2 = our INVITE gets its 200,
					 3 = we answer the peer's INVITE with 200+SDP,
					 4 = we send UPDATE with offer, 5 = its 200 */
		uint16_t status;
		bool retry;           /* Retry-After expected */
		const char *target;   /* remote target afterwards */
	} testv[] = {
		{ "in order", "INFO", 2, false, NULL, 0, 0, false, "sip:alice@10.0.0.1" },
		{ "lower CSeq", "INFO", 1, false, NULL, 0, 500, false, "sip:alice@10.0.0.1" },
		{ "equal CSeq", "OPTIONS", 2, false, NULL, 0, 500, false, "sip:alice@10.0.0.1" },
		{ "gap is fine", "INFO", 10, false, NULL, 0, 0, false, "sip:alice@10.0.0.1" },
		{ "re-INVITE glare", "INVITE", 11, true, "sip:alice@10.0.0.7", 1, 491, false,
		  "sip:alice@10.0.0.1" },
		{ "UPDATE offer vs our offer", "UPDATE", 12, true, NULL, 0, 491, false,
		  "sip:alice@10.0.0.1" },
		{ "UPDATE without offer ok", "UPDATE", 13, false, "sip:alice@10.0.0.8", 0, 0, false,
		  "sip:alice@10.0.0.8" },
		{ "re-INVITE after our 200", "INVITE", 14, true, "sip:alice@10.0.0.9", 2, 0, false,
		  "sip:alice@10.0.0.9" },
		{ "second INVITE pending", "INVITE", 15, false, NULL, 0, 500, true,
		  "sip:alice@10.0.0.9" },
		{ "UPDATE offer vs their offer", "UPDATE", 16, true, NULL, 0, 500, true,
		  "sip:alice@10.0.0.9" },
		{ "re-INVITE once answered", "INVITE", 17, false, "sip:alice@10.0.0.10", 3, 0,
		  false, "sip:alice@10.0.0.10" },
		{ "our UPDATE offer pending", "INVITE", 18, true, NULL, 4, 491, false,
		  "sip:alice@10.0.0.10" },
		{ "UPDATE after its 200", "UPDATE", 19, true, "sip:alice@10.0.0.11", 5, 0, false,
		  "sip:alice@10.0.0.11" },
		{ "BYE", "BYE", 20, false, NULL, 0, 0, false, "sip:alice@10.0.0.11" },
		{ "after BYE", "INFO", 21, false, NULL, 0, 481, false, "sip:alice@10.0.0.11" },
	};
	struct sip_dialogs *set;
	struct sip_dialog *dlg = NULL;
	struct sip_msg *inv = mk(true, "INVITE sip:bob@192.0.2.2 SIP/2.0\r\n" VIA
				 "From: <sip:alice@example.com>;tag=ftag\r\n"
				 "To: <sip:bob@example.com>\r\n"
				 "Call-ID: seq-1\r\nCSeq: 1 INVITE\r\n"
				 "Contact: <sip:alice@10.0.0.1>\r\n");
	(void)state;

	assert_int_equal(sip_dialogs_alloc(&set, 0), 0);
	assert_int_equal(sip_dialog_uas_create(set, inv, "lt", "sip:bob@192.0.2.2", false, &dlg),
			 0);
	sip_dialog_tx_response(dlg, SIP_METHOD_INVITE, 200, true);
	for (size_t i = 0; i < N(testv); i++) {
		struct sip_msg *m;
		uint32_t ra = 99;
		char ct[128] = "";
		struct sip_dialog_req rq;
		struct sip_buf b;

		print_message("%s\n", testv[i].what);
		sip_buf_init(&b, 0);
		switch (testv[i].local) {
		case 1:
			assert_int_equal(sip_dialog_request(dlg, SIP_METHOD_INVITE, true, &rq, &b), 0);
			/* no second INVITE of ours meanwhile (§14.1) */
			assert_int_equal(sip_dialog_request(dlg, SIP_METHOD_INVITE, false, &rq, &b),
					 EBUSY);
			break;
		case 2: {
			struct sip_msg *ok;

			ok = mk(true,
				"SIP/2.0 200 OK\r\n" VIA "From: <sip:bob@example.com>;tag=lt\r\n"
				"To: <sip:alice@example.com>;tag=ftag\r\n"
				"Call-ID: seq-1\r\nCSeq: %u INVITE\r\n"
				"Contact: <sip:alice@10.0.0.1>\r\n",
				dlg->invite_cseq);
			sip_dialog_rx_response(dlg, ok);
			assert_false(dlg->inv_client);
			assert_false(dlg->oa_local);
			free_msg(ok);
			break;
		}
		case 3:
			sip_dialog_tx_response(dlg, SIP_METHOD_INVITE, 200, true);
			assert_false(dlg->inv_server);
			assert_false(dlg->oa_remote);
			break;
		case 4:
			/* INVITE 17 had no offer: our 200 offers, the ACK answers */
			sip_dialog_tx_response(dlg, SIP_METHOD_INVITE, 200, true);
			assert_false(dlg->inv_server);
			assert_true(dlg->oa_local);
			{
				struct sip_msg *ack = mk(true,
							 "ACK sip:bob@192.0.2.2 SIP/2.0\r\n" VIA
							 "From: <sip:alice@example.com>;tag=ftag\r\n"
							 "To: <sip:bob@example.com>;tag=lt\r\n"
							 "Call-ID: seq-1\r\nCSeq: 17 ACK\r\n");
				uint32_t r2;

				assert_int_equal(sip_dialog_rx_request(dlg, ack, &r2), 0);
				assert_false(dlg->oa_local);
				free_msg(ack);
			}
			assert_int_equal(sip_dialog_request(dlg, SIP_METHOD_UPDATE, true, &rq, &b), 0);
			assert_int_equal(sip_dialog_request(dlg, SIP_METHOD_UPDATE, true, &rq, &b),
					 EBUSY);
			break;
		case 5: {
			struct sip_msg *ok;

			ok = mk(true,
				"SIP/2.0 200 OK\r\n" VIA "From: <sip:bob@example.com>;tag=lt\r\n"
				"To: <sip:alice@example.com>;tag=ftag\r\n"
				"Call-ID: seq-1\r\nCSeq: %u UPDATE\r\n",
				dlg->local_cseq);
			sip_dialog_rx_response(dlg, ok);
			assert_false(dlg->oa_local);
			free_msg(ok);
			break;
		}
		default:
			break;
		}
		sip_buf_free(&b);
		if (testv[i].contact)
			snprintf(ct, sizeof(ct), "Contact: <%s>\r\n", testv[i].contact);
		m = mk(testv[i].sdp,
		       "%s sip:bob@192.0.2.2 SIP/2.0\r\n" VIA
		       "From: <sip:alice@example.com>;tag=ftag\r\n"
		       "To: <sip:bob@example.com>;tag=lt\r\n"
		       "Call-ID: seq-1\r\nCSeq: %u %s\r\n%s",
		       testv[i].method, testv[i].cseq, testv[i].method, ct);
		assert_int_equal(sip_dialog_rx_request(dlg, m, &ra), testv[i].status);
		if (testv[i].retry)
			assert_true(ra <= 10);
		else
			assert_int_equal(ra, 0);
		assert_string_equal(dlg->remote_target, testv[i].target);
		free_msg(m);
	}
	assert_int_equal(dlg->state, SIP_DIALOG_TERMINATED);
	free_msg(inv);
	sip_dialogs_free(set);
}

/* In-dialog responses: target refresh on 2xx, 481/408 end the dialog. */
static void test_rx_response(void **state)
{
	static const struct {
		unsigned scode;
		const char *method;
		const char *contact;
		enum sip_dialog_state st;
		const char *target;
	} testv[] = {
		{ 200, "INFO", "sip:x@10.0.0.5", SIP_DIALOG_CONFIRMED, "sip:bob@10.0.0.2" },
		{ 200, "UPDATE", "sip:x@10.0.0.6", SIP_DIALOG_CONFIRMED, "sip:x@10.0.0.6" },
		{ 488, "INVITE", "sip:x@10.0.0.7", SIP_DIALOG_CONFIRMED, "sip:x@10.0.0.6" },
		{ 200, "INVITE", "sip:x@10.0.0.8", SIP_DIALOG_CONFIRMED, "sip:x@10.0.0.8" },
		{ 408, "INFO", NULL, SIP_DIALOG_TERMINATED, "sip:x@10.0.0.8" },
		{ 481, "INFO", NULL, SIP_DIALOG_TERMINATED, "sip:x@10.0.0.8" },
	};
	(void)state;
	struct sip_dialogs *set;
	struct sip_msg *inv = mk(false, UAC_INVITE);
	struct sip_msg *ok = uac_rsp(true, 200, "T", "sip:bob@10.0.0.2", NULL);

	assert_int_equal(sip_dialogs_alloc(&set, 0), 0);
	for (size_t i = 0; i < N(testv); i++) {
		struct sip_dialog *dlg = sip_dialogs_match_rsp(set, ok);
		struct sip_msg *r;
		char ct[128] = "";

		if (!dlg)
			assert_int_equal(sip_dialog_uac_rx(set, inv, ok, "sip:a@h", false, &dlg), 0);
		if (testv[i].contact)
			snprintf(ct, sizeof(ct), "Contact: <%s>\r\n", testv[i].contact);
		r = mk(false,
		       "SIP/2.0 %u X\r\n" VIA "From: <sip:alice@example.com>;tag=atag\r\n"
		       "To: <sip:bob@example.com>;tag=T\r\nCall-ID: fork-1\r\nCSeq: %u %s\r\n%s",
		       testv[i].scode, dlg->local_cseq, testv[i].method, ct);
		if (!strcmp(testv[i].method, "INVITE"))
			dlg->invite_cseq = dlg->local_cseq;
		sip_dialog_rx_response(dlg, r);
		assert_int_equal(dlg->state, testv[i].st);
		assert_string_equal(dlg->remote_target, testv[i].target);
		free_msg(r);
	}
	free_msg(inv);
	free_msg(ok);
	sip_dialogs_free(set);
}

static void test_glare_ms(void **state)
{
	struct sip_dialog owner = { .uac = true }, other = { .uac = false };
	uint32_t lo1 = UINT32_MAX, hi1 = 0, lo2 = UINT32_MAX, hi2 = 0;
	(void)state;

	for (uint32_t r = 0; r < 5000; r++) {
		uint32_t a = sip_dialog_glare_ms(&owner, r * 2654435761u);
		uint32_t b = sip_dialog_glare_ms(&other, r * 2654435761u);

		assert_int_equal(a % 10, 0);
		assert_int_equal(b % 10, 0);
		lo1 = a < lo1 ? a : lo1;
		hi1 = a > hi1 ? a : hi1;
		lo2 = b < lo2 ? b : lo2;
		hi2 = b > hi2 ? b : hi2;
	}
	assert_int_equal(lo1, 2100);
	assert_int_equal(hi1, 4000);
	assert_int_equal(lo2, 0);
	assert_int_equal(hi2, 2000);
}

static void test_has_sdp(void **state)
{
	struct sip_msg *a = mk(true, "OPTIONS sip:x@h SIP/2.0\r\n" VIA
			       "From: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\nCall-ID: s\r\n"
			       "CSeq: 1 OPTIONS\r\n");
	struct sip_msg *b = mk(false, "OPTIONS sip:x@h SIP/2.0\r\n" VIA
			       "From: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\nCall-ID: s\r\n"
			       "CSeq: 1 OPTIONS\r\nContent-Type: application/sdp\r\n");
	(void)state;
	assert_true(sip_dialog_msg_has_sdp(a));
	assert_false(sip_dialog_msg_has_sdp(b));
	free_msg(a);
	free_msg(b);
}

/* Corner cases of dialog creation. */
static void test_edges(void **state)
{
	struct sip_dialogs *set;
	struct sip_dialog *dlg = NULL;
	char big[4096];
	size_t off = 0;
	(void)state;

	assert_int_equal(sip_dialogs_alloc(&set, 0), 0);

	/* a route set longer than SIP_DIALOG_MAX_ROUTES is refused */
	for (unsigned i = 0; i <= SIP_DIALOG_MAX_ROUTES; i++)
		off += (size_t)snprintf(big + off, sizeof(big) - off,
					"Record-Route: <sip:p%u.example.com;lr>\r\n", i);
	{
		struct sip_msg *m = mk(false, "INVITE sip:bob@192.0.2.2 SIP/2.0\r\n" VIA "%s"
				       "From: <sip:alice@example.com>;tag=f\r\n"
				       "To: <sip:bob@example.com>\r\n"
				       "Call-ID: many\r\nCSeq: 1 INVITE\r\n"
				       "Contact: <sip:alice@10.0.0.1>\r\n",
				       big);

		assert_int_equal(sip_dialog_uas_create(set, m, "t", "sip:b@h", false, &dlg),
				 EINVAL);
		assert_int_equal(sip_dialogs_count(set), 0);
		free_msg(m);
	}
	/* a Record-Route that is not a name-addr is refused */
	{
		struct sip_msg *m = mk(false, "INVITE sip:bob@192.0.2.2 SIP/2.0\r\n" VIA
				       "Record-Route: sip:p1.example.com;lr\r\n"
				       "From: <sip:alice@example.com>;tag=f\r\n"
				       "To: <sip:bob@example.com>\r\n"
				       "Call-ID: rr\r\nCSeq: 1 INVITE\r\n"
				       "Contact: <sip:alice@10.0.0.1>\r\n");

		assert_int_equal(sip_dialog_uas_create(set, m, "t", "sip:b@h", false, &dlg),
				 EINVAL);
		free_msg(m);
	}
	/* RFC 2543 peer without From tag; sips over TLS is secure */
	{
		struct sip_msg *m = mk(false, "INVITE sips:bob@192.0.2.2 SIP/2.0\r\n"
				       "Via: SIP/2.0/TLS 10.0.0.1:5061;branch=z9hG4bKt\r\n"
				       "From: <sips:alice@example.com>\r\n"
				       "To: <sips:bob@example.com>\r\n"
				       "Call-ID: old\r\nCSeq: 1 INVITE\r\n"
				       "Contact: <sips:alice@10.0.0.1>\r\n");
		struct sip_dialog_req rq;
		struct sip_buf b;
		struct pl cid = PL("old"), lt = PL("t"), none = PL_NULL;

		assert_int_equal(sip_dialog_uas_create(set, m, "t", "sips:b@h", true, &dlg), 0);
		assert_true(dlg->secure);
		assert_string_equal(dlg->remote_tag, "");
		assert_ptr_equal(sip_dialogs_find(set, &cid, &lt, &none), dlg);
		sip_dialog_tx_response(dlg, SIP_METHOD_INVITE, 200, false);
		sip_buf_init(&b, 0);
		assert_int_equal(sip_dialog_request(dlg, SIP_METHOD_BYE, false, &rq, &b), 0);
		assert_non_null(strstr(b.p, "To: <sips:alice@example.com>\r\n"));
		sip_buf_free(&b);
		sip_dialog_destroy(dlg);
		free_msg(m);
		/* the same request not over TLS is not secure (§12.1.1) */
		m = mk(false, "INVITE sips:bob@192.0.2.2 SIP/2.0\r\n" VIA
		       "From: <sips:alice@example.com>;tag=x\r\nTo: <sips:bob@example.com>\r\n"
		       "Call-ID: old2\r\nCSeq: 1 INVITE\r\nContact: <sips:alice@10.0.0.1>\r\n");
		assert_int_equal(sip_dialog_uas_create(set, m, "t", "sips:b@h", false, &dlg), 0);
		assert_false(dlg->secure);
		free_msg(m);
	}
	/* UAC: response for another call or to a non-INVITE is refused */
	{
		struct sip_msg *inv = mk(false, UAC_INVITE);
		struct sip_msg *opt = mk(false, "OPTIONS sip:bob@example.com SIP/2.0\r\n" VIA
					 "From: <sip:alice@example.com>;tag=atag\r\n"
					 "To: <sip:bob@example.com>\r\nCall-ID: fork-1\r\n"
					 "CSeq: 5 OPTIONS\r\n");
		struct sip_msg *other = mk(false, "SIP/2.0 180 R\r\n" VIA
					   "From: <sip:alice@example.com>;tag=atag\r\n"
					   "To: <sip:bob@example.com>;tag=Z\r\n"
					   "Call-ID: other-call\r\nCSeq: 5 INVITE\r\n");
		struct sip_msg *nocontact = uac_rsp(false, 183, "N", NULL, NULL);
		struct sip_dialog *d = NULL;

		assert_int_equal(sip_dialog_uac_rx(set, inv, other, "sip:a@h", false, &d), EINVAL);
		assert_int_equal(sip_dialog_uac_rx(set, opt, nocontact, "sip:a@h", false, &d),
				 EINVAL);
		assert_null(d);
		/* a 1xx without Contact aims at the Request-URI meanwhile */
		assert_int_equal(sip_dialog_uac_rx(set, inv, nocontact, "sip:a@h", false, &d), 0);
		assert_string_equal(d->remote_target, "sip:bob@example.com");
		free_msg(inv);
		free_msg(opt);
		free_msg(other);
		free_msg(nocontact);
	}
	sip_dialogs_free(set);
}

/* The dialog layer policy parser (sipdlg -D, configuration). */
static void test_cfg_parse(void **state)
{
	static const struct {
		const char *in;
		int err;
		const char *errtext; /* substring of the message */
		enum sip_prack_mode prack;
		bool timer;
		uint32_t se, minse;
		bool update;
	} testv[] = {
		{ "", 0, "", SIP_PRACK_SUPPORTED, false, 1800, 90, false },
		{ "prack=required,se=600,minse=120,refresh=update", 0, "", SIP_PRACK_REQUIRED, true,
		  600, 120, true },
		{ "prack=off,timer=on", 0, "", SIP_PRACK_OFF, true, 1800, 90, false },
		{ "se=4,minse=2", 0, "", SIP_PRACK_SUPPORTED, true, 4, 2, false },
		{ "se=60", EINVAL, "must be at least", 0, 0, 0, 0, false },
		{ "prack=maybe", EINVAL, "prack", 0, 0, 0, 0, false },
		{ "se=0", EINVAL, "'se'", 0, 0, 0, 0, false },
		{ "se=99999999999", EINVAL, "'se'", 0, 0, 0, 0, false },
		{ "t1=0", EINVAL, "'t1'", 0, 0, 0, 0, false },
		{ "colour=blue", EINVAL, "unknown key 'colour'", 0, 0, 0, 0, false },
		{ "se", EINVAL, "expected key=value", 0, 0, 0, 0, false },
		{ "=5", EINVAL, "expected key=value", 0, 0, 0, 0, false },
		{ "refresher=both", EINVAL, "refresher", 0, 0, 0, 0, false },
	};
	(void)state;
	for (size_t i = 0; i < N(testv); i++) {
		struct sip_dialog_layer_cfg c = {
			.prack = SIP_PRACK_SUPPORTED,
			.timer = { .enabled = false, .interval = 1800, .min_se = 90 },
		};
		char store[256], err[160];

		assert_int_equal(sip_dialog_layer_cfg_parse(&c, testv[i].in, store, sizeof(store),
							    err, sizeof(err)),
				 testv[i].err);
		assert_non_null(strstr(err, testv[i].errtext));
		if (testv[i].err) {
			/* nothing applied */
			assert_int_equal(c.timer.interval, 1800);
			continue;
		}
		assert_int_equal(c.prack, testv[i].prack);
		assert_int_equal(c.timer.enabled, testv[i].timer);
		assert_int_equal(c.timer.interval, testv[i].se);
		assert_int_equal(c.timer.min_se, testv[i].minse);
		assert_int_equal(c.refresh_update, testv[i].update);
	}
	{
		struct sip_dialog_layer_cfg c = { .timer = { .interval = 1800, .min_se = 90 } };
		char store[8], err[80];

		assert_int_equal(sip_dialog_layer_cfg_parse(&c, "user=verylongname", store,
							    sizeof(store), err, sizeof(err)),
				 EINVAL);
		assert_int_equal(sip_dialog_layer_cfg_parse(&c, "user=al,realm=r", store,
							    sizeof(store), err, sizeof(err)),
				 EINVAL);
		char big[64];

		assert_int_equal(sip_dialog_layer_cfg_parse(&c, "user=al,realm=r,cred_user=u",
							    big, sizeof(big), err, sizeof(err)),
				 0);
		assert_string_equal(c.user, "al");
		assert_string_equal(c.auth_realm, "r");
		assert_string_equal(c.cred_user, "u");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uas_create),
		cmocka_unit_test(test_uas_reject),
		cmocka_unit_test(test_uac_fork),
		cmocka_unit_test(test_strict_route),
		cmocka_unit_test(test_rx_sequence),
		cmocka_unit_test(test_rx_response),
		cmocka_unit_test(test_glare_ms),
		cmocka_unit_test(test_has_sdp),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_cfg_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
