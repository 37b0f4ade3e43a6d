/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for sip/ua: requests fed to sip_ua_input() on a UA listening
 * on 127.0.0.1:15160; the responses arrive at a peer transport on
 * 127.0.0.1:15161 (the Via sent-by / source). Table: request -> status
 * and text the response must contain (400/505/416/513 from the parser,
 * 483, 420 + Unsupported, 415 + Accept, 481, 405, 501, OPTIONS 200,
 * received/rport), or no response at all (dropped). Also a handler that
 * answers after it returned, and responses with a foreign Via.
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
#include <uv.h>

#include "sip/msg.h"
#include "sip/ua.h"

#define UA_PORT 15160
#define PEER_PORT 15161

struct peer {
	int rx;
	char last[4096];
};

static void peer_recv(struct sip_transp *tp, const struct sip_tp_addr *src,
		      char *buf, size_t len, bool oversize, void *arg)
{
	struct peer *p = arg;
	(void)tp;
	(void)src;
	(void)oversize;
	p->rx++;
	if (len >= sizeof(p->last))
		len = sizeof(p->last) - 1;
	memcpy(p->last, buf, len);
	p->last[len] = '\0';
}

static void run_until(uv_loop_t *loop, const int *flag, int want, int ms)
{
	uint64_t end = uv_now(loop) + (uint64_t)ms;
	for (int i = 0; i < 100000 && *flag < want; i++) {
		uv_run(loop, UV_RUN_NOWAIT);
		uv_update_time(loop);
		if (uv_now(loop) >= end)
			break;
		if (*flag < want)
			uv_sleep(1);
	}
}

/* MESSAGE handler: keeps the transaction to answer after returning. */
static struct sip_tsx *held;

static bool app_h(struct sip_ua *ua, struct sip_tsx *tsx,
		  const struct sip_msg *req, const struct sip_tp_addr *src,
		  void *arg)
{
	(void)ua;
	(void)src;
	(void)arg;
	if (req->meth == SIP_METHOD_MESSAGE) {
		held = tsx;
		return true;
	}
	return false;
}

#define VIA "Via: SIP/2.0/UDP 127.0.0.1:15161;branch=z9hG4bK%d\r\n"
#define HDRS "From: <sip:a@127.0.0.1>;tag=f%d\r\nTo: <sip:b@127.0.0.1>\r\n" \
	     "Call-ID: c%d@x\r\nCSeq: 1 %s\r\n"

static void test_requests(void **state)
{
	static const struct {
		const char *fmt;     /* %d = case number (branch, tag, Call-ID) */
		const char *meth;
		bool oversize;
		int status;          /* 0 = no response */
		const char *want;    /* text the response must contain */
	} testv[] = {
		{ "OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n" VIA HDRS "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		  "OPTIONS", false, 200, "Allow: INVITE" },
		{ "OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n" VIA HDRS "Max-Forwards: 0\r\nContent-Length: 0\r\n\r\n",
		  "OPTIONS", false, 483, NULL },
		{ "OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n" VIA HDRS "Require: foo, 100rel\r\nContent-Length: 0\r\n\r\n",
		  "OPTIONS", false, 420, "\r\nUnsupported: foo\r\n" },
		{ "OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n" VIA HDRS "Require: 100rel\r\nProxy-Require: foo\r\nContent-Length: 0\r\n\r\n",
		  "OPTIONS", false, 200, NULL },
		{ "INVITE sip:b@127.0.0.1 SIP/2.0\r\n" VIA HDRS "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi",
		  "INVITE", false, 415, "\r\nAccept: application/sdp" },
		{ "OPTIONS sip:b@127.0.0.1 SIP/3.0\r\n" VIA HDRS "Content-Length: 0\r\n\r\n",
		  "OPTIONS", false, 505, NULL },
		{ "OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n" VIA HDRS "Max-Forwards: abc\r\nContent-Length: 0\r\n\r\n",
		  "OPTIONS", false, 400, NULL },
		{ "OPTIONS http://example.com/x SIP/2.0\r\n" VIA HDRS "Content-Length: 0\r\n\r\n",
		  "OPTIONS", false, 416, NULL },
		{ "OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n" VIA HDRS "Content-Length: 0\r\n\r\n",
		  "OPTIONS", true, 513, NULL },
		/* no Call-ID, no CSeq: no response can be formed */
		{ "OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n" VIA "From: <sip:a@x>;tag=f%d\r\nTo: <sip:b@y>\r\nContent-Length: 0\r\n\r\n",
		  NULL, false, 0, NULL },
		{ "BYE sip:b@127.0.0.1 SIP/2.0\r\n" VIA "From: <sip:a@127.0.0.1>;tag=f%d\r\nTo: <sip:b@127.0.0.1>;tag=t1\r\n"
		  "Call-ID: c%d@x\r\nCSeq: 2 %s\r\nContent-Length: 0\r\n\r\n",
		  "BYE", false, 481, NULL },
		{ "INVITE sip:b@127.0.0.1 SIP/2.0\r\n" VIA HDRS "Content-Length: 0\r\n\r\n",
		  "INVITE", false, 405, "\r\nAllow: " },
		{ "FROB sip:b@127.0.0.1 SIP/2.0\r\n" VIA HDRS "Content-Length: 0\r\n\r\n",
		  "FROB", false, 501, "\r\nAllow: " },
		{ "CANCEL sip:b@127.0.0.1 SIP/2.0\r\n" VIA HDRS "Content-Length: 0\r\n\r\n",
		  "CANCEL", false, 481, NULL },
		/* private sent-by with rport: answer to the source, with
		   received and rport filled (RFC 3581) */
		{ "OPTIONS sip:b@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bK%d\r\n" HDRS "Content-Length: 0\r\n\r\n",
		  "OPTIONS", false, 200, ";rport=15161;branch=" },
		{ "OPTIONS sip:b@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bK%d\r\n" HDRS "Content-Length: 0\r\n\r\n",
		  "OPTIONS", false, 200, ";received=127.0.0.1\r\n" },
	};
	static const char *const sup[] = { "100rel", NULL };
	struct sip_ua_cfg cfg = { .supported = sup };
	uv_loop_t loop;
	struct sip_ua *ua;
	struct sip_transp *ptp;
	struct peer peer = { 0 };
	(void)state;

	uv_loop_init(&loop);
	assert_int_equal(sip_ua_alloc(&ua, &loop, &cfg), 0);
	assert_int_equal(sip_ua_listen(ua, SIP_TP_UDP, "127.0.0.1", UA_PORT), 0);
	assert_int_equal(sip_transp_alloc(&ptp, &loop, NULL, peer_recv, NULL, &peer), 0);
	assert_int_equal(sip_transp_listen(ptp, SIP_TP_UDP, "127.0.0.1", PEER_PORT), 0);

	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		char buf[2048];
		int c = (int)i + 100;
		int n = snprintf(buf, sizeof(buf), testv[i].fmt, c, c, c,
				 testv[i].meth ? testv[i].meth : "");
		struct sip_tp_addr src = { .tp = SIP_TP_UDP };
		sip_sa_set(&src.peer, "127.0.0.1", PEER_PORT);
		int before = peer.rx;
		sip_ua_input(ua, &src, buf, (size_t)n, testv[i].oversize);
		/* an INVITE first gets 100 Trying */
		int want = before + ((testv[i].meth && !strcmp(testv[i].meth, "INVITE") &&
				      testv[i].status != 415) ? 2 : 1);
		run_until(&loop, &peer.rx, want, testv[i].status ? 2000 : 200);
		if (!testv[i].status) {
			assert_int_equal(peer.rx, before);
			continue;
		}
		char sl[16];
		snprintf(sl, sizeof(sl), "SIP/2.0 %d ", testv[i].status);
		if (peer.rx != want || strncmp(peer.last, sl, strlen(sl)) ||
		    (testv[i].want && !strstr(peer.last, testv[i].want))) {
			print_error("case %zu: got %d messages, last:\n%s\n", i,
				    peer.rx - before, peer.last);
			fail();
		}
		/* every final response carries a To tag */
		assert_non_null(strstr(peer.last, "\r\nTo: <sip:b@127.0.0.1>;tag="));
	}
	struct sip_ua_stats st;
	sip_ua_stats(ua, &st);
	assert_int_equal(st.parse_drop, 1);
	assert_int_equal(st.rej_483, 1);
	assert_int_equal(st.rej_420, 1);
	assert_int_equal(st.rej_415, 1);
	assert_int_equal(st.rej_481, 1);
	assert_int_equal(st.rej_501, 1);
	assert_int_equal(st.rej_405, 1);

	sip_ua_free(ua);
	sip_transp_free(ptp);
	for (int i = 0; i < 10; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* A handler keeps a non-INVITE transaction and answers it later from the
   UA's copy of the request; a retransmission meanwhile is absorbed. */
static void test_deferred_reply(void **state)
{
	static const char msg[] =
		"MESSAGE sip:b@127.0.0.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:15161;branch=z9hG4bKdef1\r\n"
		"From: <sip:a@127.0.0.1>;tag=fd\r\nTo: <sip:b@127.0.0.1>\r\n"
		"Call-ID: def@x\r\nCSeq: 1 MESSAGE\r\n"
		"Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi";
	uv_loop_t loop;
	struct sip_ua *ua;
	struct sip_transp *ptp;
	struct peer peer = { 0 };
	char buf[sizeof(msg)];
	(void)state;

	uv_loop_init(&loop);
	assert_int_equal(sip_ua_alloc(&ua, &loop, NULL), 0);
	assert_int_equal(sip_ua_listen(ua, SIP_TP_UDP, "127.0.0.1", UA_PORT), 0);
	assert_int_equal(sip_ua_add_handler(ua, 100, app_h, NULL), 0);
	assert_int_equal(sip_transp_alloc(&ptp, &loop, NULL, peer_recv, NULL, &peer), 0);
	assert_int_equal(sip_transp_listen(ptp, SIP_TP_UDP, "127.0.0.1", PEER_PORT), 0);
	struct sip_tp_addr src = { .tp = SIP_TP_UDP };
	sip_sa_set(&src.peer, "127.0.0.1", PEER_PORT);

	held = NULL;
	memcpy(buf, msg, sizeof(msg));
	sip_ua_input(ua, &src, buf, sizeof(msg) - 1, false);
	assert_non_null(held);
	/* the receive buffer is gone; a retransmission is absorbed */
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, msg, sizeof(msg));
	sip_ua_input(ua, &src, buf, sizeof(msg) - 1, false);
	memset(buf, 'x', sizeof(buf));
	run_until(&loop, &peer.rx, 1, 100);
	assert_int_equal(peer.rx, 0);
	struct sip_reply_opt o = { .hdrs = "X-Done: 1\r\n" };
	assert_int_equal(sip_ua_reply(ua, held, NULL, 202, NULL, &o), 0);
	run_until(&loop, &peer.rx, 1, 2000);
	assert_int_equal(peer.rx, 1);
	assert_non_null(strstr(peer.last, "SIP/2.0 202 "));
	assert_non_null(strstr(peer.last, "\r\nCall-ID: def@x\r\n"));
	assert_non_null(strstr(peer.last, "\r\nX-Done: 1\r\n"));

	/* a response whose top Via is not ours is dropped (§18.1.2) */
	static const char resp[] =
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKother\r\n"
		"From: <sip:a@127.0.0.1>;tag=fd\r\nTo: <sip:b@127.0.0.1>;tag=1\r\n"
		"Call-ID: def@x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	char rb[sizeof(resp)];
	memcpy(rb, resp, sizeof(resp));
	sip_ua_input(ua, &src, rb, sizeof(resp) - 1, false);
	struct sip_ua_stats st;
	sip_ua_stats(ua, &st);
	assert_int_equal(st.resp_foreign, 1);

	sip_ua_free(ua);
	sip_transp_free(ptp);
	for (int i = 0; i < 10; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* Over max_tsx live transactions: 503 with Retry-After, statelessly. */
static void test_overload(void **state)
{
	struct sip_ua_cfg cfg = { .tsx = { .max_tsx = 2 } };
	uv_loop_t loop;
	struct sip_ua *ua;
	struct sip_transp *ptp;
	struct peer peer = { 0 };
	static const int want[] = { 200, 200, 503 };
	(void)state;

	uv_loop_init(&loop);
	assert_int_equal(sip_ua_alloc(&ua, &loop, &cfg), 0);
	assert_int_equal(sip_ua_listen(ua, SIP_TP_UDP, "127.0.0.1", UA_PORT), 0);
	assert_int_equal(sip_transp_alloc(&ptp, &loop, NULL, peer_recv, NULL, &peer), 0);
	assert_int_equal(sip_transp_listen(ptp, SIP_TP_UDP, "127.0.0.1", PEER_PORT), 0);
	for (int i = 0; i < 3; i++) {
		char buf[1024];
		int c = 300 + i;
		int n = snprintf(buf, sizeof(buf),
				 "OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n" VIA HDRS
				 "Content-Length: 0\r\n\r\n", c, c, c, "OPTIONS");
		struct sip_tp_addr src = { .tp = SIP_TP_UDP };
		sip_sa_set(&src.peer, "127.0.0.1", PEER_PORT);
		sip_ua_input(ua, &src, buf, (size_t)n, false);
		run_until(&loop, &peer.rx, i + 1, 2000);
		assert_int_equal(peer.rx, i + 1);
		char sl[16];
		snprintf(sl, sizeof(sl), "SIP/2.0 %d ", want[i]);
		assert_memory_equal(peer.last, sl, strlen(sl));
	}
	assert_non_null(strstr(peer.last, "\r\nRetry-After: "));
	struct sip_ua_stats st;
	sip_ua_stats(ua, &st);
	assert_int_equal(st.rej_503, 1);
	sip_ua_free(ua);
	sip_transp_free(ptp);
	for (int i = 0; i < 10; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_deferred_reply),
		cmocka_unit_test(test_overload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
