/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for sip/transport: names and addresses, RFC 3261 §18.2.2 /
 * RFC 3581 response routing (table), and real sockets on 127.0.0.1 with
 * a libuv loop: UDP exchange, TCP framing with several messages per
 * segment and RFC 5626 keepalive pings, responses over the same
 * connection, oversize datagrams, framing errors, max connections, idle
 * timeout and the per-source flood limit. Ports 15150-15199. Loops are
 * bounded by a deadline; no timing is asserted.
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
#include "sip/transport.h"

static void test_names(void **state)
{
	static const struct {
		const char *in;
		int err;
		enum sip_tp tp;
		bool rel;
	} testv[] = {
		{ "UDP", 0, SIP_TP_UDP, false }, { "udp", 0, SIP_TP_UDP, false },
		{ "TCP", 0, SIP_TP_TCP, true },  { "tls", 0, SIP_TP_TLS, true },
		{ "SCTP", EINVAL, 0, false },    { "", EINVAL, 0, false },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		struct pl pl = pl_from_str(testv[i].in);
		enum sip_tp tp = SIP_TP_COUNT;
		assert_int_equal(sip_tp_parse(&pl, &tp), testv[i].err);
		if (!testv[i].err) {
			assert_int_equal(tp, testv[i].tp);
			assert_int_equal(sip_tp_reliable(tp), testv[i].rel);
			assert_int_equal(strcasecmp(sip_tp_name(tp), testv[i].in), 0);
		}
	}
}

static void test_sa(void **state)
{
	static const struct {
		const char *ip;
		uint16_t port;
		int err;
		const char *printed;
	} testv[] = {
		{ "127.0.0.1", 5060, 0, "127.0.0.1:5060" },
		{ "::1", 15060, 0, "[::1]:15060" },
		{ "2001:db8::5", 1, 0, "[2001:db8::5]:1" },
		{ "example.com", 5060, EINVAL, NULL },
		{ "300.1.1.1", 5060, EINVAL, NULL },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		struct sockaddr_storage sa, sb;
		char buf[64];
		assert_int_equal(sip_sa_set(&sa, testv[i].ip, testv[i].port),
				 testv[i].err);
		if (testv[i].err)
			continue;
		assert_int_equal(sip_sa_print(&sa, buf, sizeof(buf)), 0);
		assert_string_equal(buf, testv[i].printed);
		assert_int_equal(sip_sa_port(&sa), testv[i].port);
		sip_sa_set(&sb, testv[i].ip, testv[i].port);
		assert_true(sip_sa_eq(&sa, &sb));
		sip_sa_set(&sb, testv[i].ip, (uint16_t)(testv[i].port + 1));
		assert_false(sip_sa_eq(&sa, &sb));
		assert_int_equal(sip_sa_print(&sa, buf, 4), ENOSPC);
	}
}

/* §18.2.2 / RFC 3581 destination of a response. */
static void test_resp_dst(void **state)
{
	static const struct {
		const char *via;
		enum sip_tp tp;
		const char *src;     /* source ip */
		uint16_t sport;
		uint64_t conn;
		const char *want;    /* ip:port */
	} testv[] = {
		/* UDP, no rport: source IP, sent-by port */
		{ "SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK1", SIP_TP_UDP, "192.0.2.1", 40000, 0, "192.0.2.1:5070" },
		/* UDP, no port: 5060 */
		{ "SIP/2.0/UDP host.example.com;branch=z9hG4bK2", SIP_TP_UDP, "192.0.2.7", 40000, 0, "192.0.2.7:5060" },
		/* UDP, rport: source IP and port */
		{ "SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bK3", SIP_TP_UDP, "192.0.2.7", 40001, 0, "192.0.2.7:40001" },
		/* maddr wins */
		{ "SIP/2.0/UDP 10.0.0.1:5062;maddr=192.0.2.99;branch=z9hG4bK4", SIP_TP_UDP, "192.0.2.7", 40001, 0, "192.0.2.99:5062" },
		/* TCP: the connection (kept), fallback to source IP + sent-by port */
		{ "SIP/2.0/TCP 10.0.0.1:5080;branch=z9hG4bK5", SIP_TP_TCP, "192.0.2.7", 40002, 7, "192.0.2.7:5080" },
		/* IPv6 */
		{ "SIP/2.0/UDP [2001:db8::1];rport;branch=z9hG4bK6", SIP_TP_UDP, "2001:db8::9", 5099, 0, "[2001:db8::9]:5099" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		char req[512], got[64];
		int n = snprintf(req, sizeof(req),
				 "OPTIONS sip:a@b SIP/2.0\r\nVia: %s\r\n"
				 "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\n"
				 "Call-ID: c\r\nCSeq: 1 OPTIONS\r\n"
				 "Content-Length: 0\r\n\r\n",
				 testv[i].via);
		struct sip_msg *m = malloc(sizeof(*m));
		struct sip_tp_addr src = { .tp = testv[i].tp, .conn = testv[i].conn };
		struct sip_tp_addr dst;
		assert_non_null(m);
		assert_int_equal(sip_msg_decode(m, req, (size_t)n), 0);
		assert_int_equal(sip_sa_set(&src.peer, testv[i].src, testv[i].sport), 0);
		assert_int_equal(sip_transp_resp_dst(m, &src, &dst), 0);
		sip_sa_print(&dst.peer, got, sizeof(got));
		if (strcmp(got, testv[i].want)) {
			print_error("case %zu: %s, want %s\n", i, got, testv[i].want);
			fail();
		}
		assert_int_equal(dst.tp, testv[i].tp);
		assert_int_equal(dst.conn, testv[i].conn);
		free(m);
	}
}

/* ---- live sockets ---- */

struct side {
	struct sip_transp *tp;
	int rx;
	char last[2048];
	size_t lastlen;
	struct sip_tp_addr src;
	bool oversize;
	int conn_events;
	int conn_err;
	bool reply;          /* answer each message back over src */
};

static void on_recv(struct sip_transp *tp, const struct sip_tp_addr *src,
		    char *buf, size_t len, bool oversize, void *arg)
{
	struct side *s = arg;
	s->rx++;
	s->src = *src;
	s->oversize = oversize;
	s->lastlen = len < sizeof(s->last) - 1 ? len : sizeof(s->last) - 1;
	memcpy(s->last, buf, s->lastlen);
	s->last[s->lastlen] = '\0';
	if (s->reply)
		sip_transp_send(tp, src, buf, len, NULL);
}

static void on_conn(struct sip_transp *tp, uint64_t conn, int err, void *arg)
{
	struct side *s = arg;
	(void)tp;
	(void)conn;
	s->conn_events++;
	s->conn_err = err;
}

/* Run the loop until *flag >= want or ms elapse. */
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

static const char msg1[] =
	"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\n"
	"Via: SIP/2.0/TCP 127.0.0.1:15151;branch=z9hG4bKt1\r\n"
	"From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\n"
	"Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 4\r\n\r\nabcd";

static void sides_init(uv_loop_t *loop, struct side *a, struct side *b,
		       const struct sip_transp_cfg *cfga)
{
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	assert_int_equal(sip_transp_alloc(&a->tp, loop, cfga, on_recv, on_conn, a), 0);
	assert_int_equal(sip_transp_alloc(&b->tp, loop, NULL, on_recv, on_conn, b), 0);
}

static void sides_free(uv_loop_t *loop, struct side *a, struct side *b)
{
	sip_transp_free(a->tp);
	sip_transp_free(b->tp);
	for (int i = 0; i < 10; i++)
		uv_run(loop, UV_RUN_NOWAIT);
	assert_int_equal(uv_loop_close(loop), 0);
}

static void test_udp(void **state)
{
	uv_loop_t loop;
	struct side a, b;
	struct sip_tp_addr dst = { .tp = SIP_TP_UDP };
	struct sockaddr_storage la;
	(void)state;
	uv_loop_init(&loop);
	sides_init(&loop, &a, &b, NULL);
	assert_int_equal(sip_transp_listen(a.tp, SIP_TP_UDP, "127.0.0.1", 15150), 0);
	assert_int_equal(sip_transp_listen(b.tp, SIP_TP_UDP, "127.0.0.1", 0), 0);
	assert_int_equal(sip_transp_listen(b.tp, SIP_TP_TLS, "127.0.0.1", 0), ENOTSUP);
	assert_int_equal(sip_transp_listen(b.tp, SIP_TP_UDP, "nohost", 0), EINVAL);
	assert_int_equal(sip_transp_laddr(b.tp, SIP_TP_UDP, AF_INET, &la), 0);
	assert_int_equal(sip_transp_laddr(b.tp, SIP_TP_TCP, AF_INET, &la), ENOENT);
	a.reply = true;
	sip_sa_set(&dst.peer, "127.0.0.1", 15150);
	/* no IPv6 listener on b */
	struct sip_tp_addr d6 = { .tp = SIP_TP_UDP };
	sip_sa_set(&d6.peer, "::1", 15150);
	assert_int_equal(sip_transp_send(b.tp, &d6, msg1, sizeof(msg1) - 1, NULL),
			 EAFNOSUPPORT);
	assert_int_equal(sip_transp_send(b.tp, &dst, msg1, sizeof(msg1) - 1, NULL), 0);
	run_until(&loop, &b.rx, 1, 3000);
	assert_int_equal(a.rx, 1);
	assert_int_equal(b.rx, 1);
	assert_string_equal(a.last, msg1);
	assert_false(a.oversize);
	/* a saw b's address as source */
	assert_int_equal(sip_sa_port(&a.src.peer), sip_sa_port(&la));
	struct sip_transp_stats st;
	sip_transp_stats(a.tp, &st);
	assert_int_equal(st.rx_msgs, 1);
	assert_int_equal(st.tx_msgs, 1);
	sides_free(&loop, &a, &b);
}

static void test_udp_oversize_and_flood(void **state)
{
	uv_loop_t loop;
	struct side a, b;
	struct sip_transp_cfg cfg = { .max_msg_size = 200, .flood_rate = 1,
				      .flood_burst = 5 };
	struct sip_tp_addr dst = { .tp = SIP_TP_UDP };
	char big[400];
	(void)state;
	uv_loop_init(&loop);
	sides_init(&loop, &a, &b, &cfg);
	assert_int_equal(sip_transp_listen(a.tp, SIP_TP_UDP, "127.0.0.1", 15152), 0);
	assert_int_equal(sip_transp_listen(b.tp, SIP_TP_UDP, "127.0.0.1", 0), 0);
	sip_sa_set(&dst.peer, "127.0.0.1", 15152);
	memset(big, 'x', sizeof(big));
	memcpy(big, msg1, sizeof(msg1) - 1);
	assert_int_equal(sip_transp_send(b.tp, &dst, big, sizeof(big), NULL), 0);
	run_until(&loop, &a.rx, 1, 3000);
	assert_int_equal(a.rx, 1);
	assert_true(a.oversize);
	/* 20 more datagrams: the bucket (burst 5, 1/s) lets about 4 pass */
	for (int i = 0; i < 20; i++)
		assert_int_equal(sip_transp_send(b.tp, &dst, msg1, sizeof(msg1) - 1,
						 NULL), 0);
	struct sip_transp_stats st;
	/* until all 21 were seen (passed or dropped), bounded */
	for (int i = 0; i < 300; i++) {
		run_until(&loop, &a.rx, 30, 10);
		sip_transp_stats(a.tp, &st);
		if (st.rx_flood_drop + (uint64_t)a.rx >= 21)
			break;
	}
	/* 5 in the bucket, plus at most a few refilled at 1/s */
	assert_true(a.rx <= 9);
	assert_true(a.rx >= 5);
	assert_int_equal(st.rx_flood_drop + (uint64_t)a.rx, 21);
	assert_int_equal(st.rx_oversize, 1);
	sides_free(&loop, &a, &b);
}

static void test_tcp(void **state)
{
	uv_loop_t loop;
	struct side a, b;
	struct sip_tp_addr dst = { .tp = SIP_TP_TCP };
	uint64_t conn = 0;
	char two[2048];
	(void)state;
	uv_loop_init(&loop);
	sides_init(&loop, &a, &b, NULL);
	assert_int_equal(sip_transp_listen(a.tp, SIP_TP_TCP, "127.0.0.1", 15154), 0);
	assert_int_equal(sip_transp_listen(b.tp, SIP_TP_TCP, "127.0.0.1", 0), 0);
	a.reply = true;
	sip_sa_set(&dst.peer, "127.0.0.1", 15154);
	/* a keepalive ping, two messages in one write */
	int n = snprintf(two, sizeof(two), "\r\n\r\n%s%s", msg1, msg1);
	assert_int_equal(sip_transp_send(b.tp, &dst, two, (size_t)n, &conn), 0);
	assert_true(conn != 0);
	run_until(&loop, &b.rx, 2, 3000);
	assert_int_equal(a.rx, 2);
	assert_int_equal(b.rx, 2);
	assert_string_equal(b.last, msg1);
	/* the replies came back over the same connection */
	assert_int_equal(b.src.conn, conn);
	struct sip_transp_stats sa, sb;
	sip_transp_stats(a.tp, &sa);
	sip_transp_stats(b.tp, &sb);
	assert_int_equal(sa.conn_accepted, 1);
	assert_int_equal(sa.conn_opened, 0);
	assert_int_equal(sb.conn_opened, 1);
	assert_int_equal(sb.conn_accepted, 0);
	assert_true(sip_transp_conn_alive(b.tp, conn));
	/* a reuses b's connection when sending to b's address by id */
	struct sip_tp_addr back = a.src;
	assert_int_equal(sip_transp_send(a.tp, &back, msg1, sizeof(msg1) - 1, NULL), 0);
	run_until(&loop, &b.rx, 3, 3000);
	assert_int_equal(b.rx, 3);
	sip_transp_stats(a.tp, &sa);
	assert_int_equal(sa.conn_opened, 0);
	/* a message split over two segments is reassembled */
	int arx = a.rx;
	assert_int_equal(sip_transp_send(b.tp, &dst, msg1, 30, NULL), 0);
	run_until(&loop, &a.rx, arx + 1, 100);
	assert_int_equal(a.rx, arx);
	assert_int_equal(sip_transp_send(b.tp, &dst, msg1 + 30, sizeof(msg1) - 31,
					 NULL), 0);
	run_until(&loop, &a.rx, arx + 1, 3000);
	assert_int_equal(a.rx, arx + 1);
	run_until(&loop, &b.rx, 4, 3000);
	/* garbage on the stream: framing error, connection closed */
	assert_int_equal(sip_transp_send(b.tp, &dst, "NOT SIP\r\n\r\n", 11, NULL), 0);
	run_until(&loop, &b.conn_events, 1, 3000);
	assert_int_equal(b.conn_events, 1);
	assert_false(sip_transp_conn_alive(b.tp, conn));
	sip_transp_stats(a.tp, &sa);
	assert_int_equal(sa.rx_frame_err, 1);
	sides_free(&loop, &a, &b);
}

static void test_tcp_limits(void **state)
{
	uv_loop_t loop;
	struct side a, b, c;
	struct sip_transp_cfg cfg = { .max_conns = 1, .idle_timeout_ms = 200 };
	struct sip_tp_addr dst = { .tp = SIP_TP_TCP };
	(void)state;
	uv_loop_init(&loop);
	sides_init(&loop, &a, &b, &cfg);
	memset(&c, 0, sizeof(c));
	assert_int_equal(sip_transp_alloc(&c.tp, &loop, NULL, on_recv, on_conn, &c), 0);
	assert_int_equal(sip_transp_listen(a.tp, SIP_TP_TCP, "127.0.0.1", 15156), 0);
	sip_sa_set(&dst.peer, "127.0.0.1", 15156);
	assert_int_equal(sip_transp_send(b.tp, &dst, msg1, sizeof(msg1) - 1, NULL), 0);
	run_until(&loop, &a.rx, 1, 3000);
	assert_int_equal(a.rx, 1);
	/* second connection over max_conns: refused (closed at once) */
	assert_int_equal(sip_transp_send(c.tp, &dst, msg1, sizeof(msg1) - 1, NULL), 0);
	run_until(&loop, &c.conn_events, 1, 3000);
	assert_int_equal(c.conn_events, 1);
	assert_int_equal(a.rx, 1);
	struct sip_transp_stats st;
	sip_transp_stats(a.tp, &st);
	assert_int_equal(st.conn_refused, 1);
	/* the first one goes idle and is closed by a */
	run_until(&loop, &a.conn_events, 1, 5000);
	sip_transp_stats(a.tp, &st);
	assert_int_equal(st.conn_idle, 1);
	assert_int_equal(st.conn_cur, 0);
	sip_transp_free(c.tp);
	sides_free(&loop, &a, &b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_sa),
		cmocka_unit_test(test_resp_dst),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_udp_oversize_and_flood),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_tcp_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
