/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for dsp/chan: two channels joined over RTP on 127.0.0.1,
 * ticked like spans tick them. G.711 is sample-exact end to end with the
 * canceller off (with and without SRTP, at ptime 20 and, through the
 * packetisation FIFO, 10 and 30 ms); a DTMF digit played into one
 * TDM side is detected there, sent as RFC 4733 events and regenerated on
 * the other TDM side, where spandsp's receiver hears it; bad packets from
 * a stranger are dropped and counted.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <spandsp.h>

#include "dsp/chan.h"
#include "dsp/codec.h"
#include "dsp/srtp.h"

struct pair {
	uv_loop_t loop;
	struct dsp_chan *a, *b;
	char digit_a;      /* digit detected on A's TDM side */
	unsigned digit_ev;
};

static void ev_h(struct dsp_chan *ch, enum dsp_chan_ev ev,
		 const struct dsp_chan_evd *d, void *arg)
{
	struct pair *p = arg;
	(void)ch;
	if (ev == DSP_CHAN_EV_DIGIT) {
		p->digit_a = d->digit;
		p->digit_ev++;
	}
}

static void loopback(struct sockaddr_storage *sa, uint16_t port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
	memset(sa, 0, sizeof(*sa));
	s4->sin_family = AF_INET;
	s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s4->sin_port = htons(port);
}

static void make_pair(struct pair *p, bool ec, bool dtmf, bool srtp,
		      unsigned ptime)
{
	struct dsp_chan_cfg ca, cb;
	uint8_t k1[DSP_SRTP_MAX_KEY], k2[DSP_SRTP_MAX_KEY];
	size_t l1 = 0, l2 = 0;

	memset(p, 0, sizeof(*p));
	assert_int_equal(uv_loop_init(&p->loop), 0);
	dsp_chan_cfg_default(&ca);
	ca.ec = ec;
	ca.faxdet = false;
	ca.dtmf_pt = dtmf ? 101 : -1;
	ca.ptime = ptime;
	ca.port_min = 20100;
	ca.port_max = 20199;
	loopback(&ca.local, 0);
	if (srtp) {
		assert_int_equal(dsp_srtp_global_init(), 0);
		assert_int_equal(dsp_srtp_keygen(DSP_SRTP_AES_CM_128_HMAC_SHA1_80,
						 k1, sizeof(k1), &l1), 0);
		assert_int_equal(dsp_srtp_keygen(DSP_SRTP_AES_CM_128_HMAC_SHA1_80,
						 k2, sizeof(k2), &l2), 0);
		ca.srtp = true;
		ca.suite = DSP_SRTP_AES_CM_128_HMAC_SHA1_80;
	}
	cb = ca;
	if (srtp) {
		memcpy(ca.tx_key, k1, l1);
		ca.tx_key_len = l1;
		memcpy(ca.rx_key, k2, l2);
		ca.rx_key_len = l2;
		memcpy(cb.tx_key, k2, l2);
		cb.tx_key_len = l2;
		memcpy(cb.rx_key, k1, l1);
		cb.rx_key_len = l1;
	}
	assert_int_equal(dsp_chan_alloc(&p->a, &p->loop, &ca, ev_h, p), 0);
	assert_int_equal(dsp_chan_alloc(&p->b, &p->loop, &cb, ev_h, p), 0);
	struct sockaddr_storage sa;
	loopback(&sa, dsp_chan_port(p->b));
	dsp_chan_set_remote(p->a, (struct sockaddr *)&sa, sizeof(struct sockaddr_in));
	loopback(&sa, dsp_chan_port(p->a));
	dsp_chan_set_remote(p->b, (struct sockaddr *)&sa, sizeof(struct sockaddr_in));
}

static void free_pair(struct pair *p)
{
	dsp_chan_free(p->a);
	dsp_chan_free(p->b);
	uv_run(&p->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&p->loop), 0);
}

/* One tick of both channels, then let packets arrive. */
static void tick(struct pair *p, const uint8_t *a_rx, uint8_t *a_tx,
		 const uint8_t *b_rx, uint8_t *b_tx)
{
	dsp_chan_tick(p->a, a_rx, a_tx);
	dsp_chan_tick(p->b, b_rx, b_tx);
	/* the network: deliver what was sent (loopback is immediate) */
	for (int i = 0; i < 4; i++)
		uv_run(&p->loop, UV_RUN_NOWAIT);
	usleep(200);
	uv_run(&p->loop, UV_RUN_NOWAIT);
}

static void transparency(bool srtp, unsigned ptime)
{
	struct pair p;
	enum { TICKS = 150 };
	static uint8_t in[TICKS * DSP_CHAN_TICK], out[TICKS * DSP_CHAN_TICK];
	uint8_t idle[DSP_CHAN_TICK], junk[DSP_CHAN_TICK];
	uint32_t x = 12345;

	make_pair(&p, false, false, srtp, ptime);
	/* fixed playout delay: the adaptive buffer may shorten its delay
	 * (dropping samples) when the network is this quiet */
	dsp_chan_set_passthrough(p.a, true);
	dsp_chan_set_passthrough(p.b, true);
	for (size_t i = 0; i < sizeof(in); i++) {
		x = x * 1103515245u + 12345u;
		in[i] = (uint8_t)(x >> 16);
	}
	memset(idle, 0xd5, sizeof(idle));
	for (int t = 0; t < TICKS; t++)
		tick(&p, in + t * DSP_CHAN_TICK, junk, idle, out + t * DSP_CHAN_TICK);

	/* find the delay of a block from the middle, then compare 50 ticks */
	const uint8_t *probe = in + 20 * DSP_CHAN_TICK;
	long delay = -1;
	for (long d = 0; d < 40 * DSP_CHAN_TICK && delay < 0; d++) {
		if (!memcmp(out + 20 * DSP_CHAN_TICK + d, probe, DSP_CHAN_TICK))
			delay = d;
	}
	if (delay < 0)
		fail_msg("the input never came out unchanged (srtp=%d ptime %u)",
			 srtp, ptime);
	for (long i = 0; i < 100 * DSP_CHAN_TICK; i++) {
		if (out[20 * DSP_CHAN_TICK + delay + i] != probe[i])
			fail_msg("srtp=%d ptime %u delay %ld: first difference %ld samples on",
				 srtp, ptime, delay, i);
	}
	struct dsp_chan_stats st;
	dsp_chan_stats(p.a, &st);
	assert_true(st.rtp_tx >= TICKS * 20 / ptime - 2);
	assert_int_equal(st.send_err, 0);
	dsp_chan_stats(p.b, &st);
	assert_true(st.rtp_rx >= TICKS * 20 / ptime - 5);
	assert_int_equal(st.rx_dropped, 0);
	free_pair(&p);
}

static void test_g711_sample_exact(void **state)
{
	(void)state;
	transparency(false, 20);
}

/* 10 and 30 ms packets from 20 ms ticks: the packetisation FIFO path */
static void test_g711_sample_exact_ptime(void **state)
{
	(void)state;
	transparency(false, 10);
	transparency(false, 30);
}

static void test_g711_sample_exact_srtp(void **state)
{
	(void)state;
	transparency(true, 20);
}

static void test_dtmf_end_to_end(void **state)
{
	struct pair p;
	dtmf_tx_state_t *gen;
	dtmf_rx_state_t *det;
	char heard[16];
	uint8_t a_rx[DSP_CHAN_TICK], a_tx[DSP_CHAN_TICK];
	uint8_t b_rx[DSP_CHAN_TICK], b_tx[DSP_CHAN_TICK];
	int16_t pcm[DSP_CHAN_TICK];
	(void)state;

	make_pair(&p, true, true, false, 20);
	gen = dtmf_tx_init(NULL);
	dtmf_tx_set_level(gen, -10, 0);
	dtmf_tx_set_timing(gen, 100, 100);
	dtmf_tx_put(gen, "5", 1);
	det = dtmf_rx_init(NULL, NULL, NULL);
	memset(b_rx, 0xd5, sizeof(b_rx));
	for (int t = 0; t < 100; t++) {
		int n = dtmf_tx(gen, pcm, DSP_CHAN_TICK);
		for (int i = n; i < DSP_CHAN_TICK; i++)
			pcm[i] = 0;
		for (int i = 0; i < DSP_CHAN_TICK; i++)
			a_rx[i] = linear_to_alaw(pcm[i]);
		tick(&p, a_rx, a_tx, b_rx, b_tx);
		for (int i = 0; i < DSP_CHAN_TICK; i++)
			pcm[i] = alaw_to_linear(b_tx[i]);
		dtmf_rx(det, pcm, DSP_CHAN_TICK);
	}
	int n = dtmf_rx_get(det, heard, sizeof(heard) - 1);
	heard[n < 0 ? 0 : n] = '\0';
	assert_int_equal(p.digit_ev, 1);
	assert_int_equal(p.digit_a, '5');
	assert_string_equal(heard, "5");
	struct dsp_chan_stats st;
	dsp_chan_stats(p.a, &st);
	assert_int_equal(st.digits_rx, 1);
	dsp_chan_stats(p.b, &st);
	assert_true(st.digits_tx >= 1);
	dtmf_tx_free(gen);
	dtmf_rx_free(det);
	free_pair(&p);
}

/* Lean ticks (overload): counted where a canceller runs, audio flows. */
static void test_lean_ticks(void **state)
{
	static const struct {
		bool ec;
		unsigned opt;
		uint64_t lean;
	} testv[] = {
		{ true, DSP_CHAN_TICK_LEAN, 30 },
		{ true, 0, 0 },
		{ false, DSP_CHAN_TICK_LEAN, 0 },
	};
	uint8_t idle[DSP_CHAN_TICK], out[DSP_CHAN_TICK];
	(void)state;

	memset(idle, 0xd5, sizeof(idle));
	for (size_t k = 0; k < sizeof(testv) / sizeof(testv[0]); k++) {
		struct pair p;
		struct dsp_chan_stats st;

		make_pair(&p, testv[k].ec, false, false, 20);
		for (int t = 0; t < 30; t++) {
			dsp_chan_tick_opt(p.a, idle, out, testv[k].opt);
			dsp_chan_tick(p.b, idle, out);
			uv_run(&p.loop, UV_RUN_NOWAIT);
		}
		dsp_chan_stats(p.a, &st);
		assert_int_equal(st.ticks, 30);
		assert_int_equal(st.lean_ticks, testv[k].lean);
		assert_true(st.rtp_tx >= 29);
		dsp_chan_stats(p.b, &st);
		assert_int_equal(st.lean_ticks, 0);
		free_pair(&p);
	}
}

/*
 * RTCP multiplexing (RFC 5761) against a plain UDP socket as the peer:
 * with rtcp_mux our SR arrives on the peer's RTP port; without it, on
 * the peer's RTCP port (RTP + 1, or a=rtcp). The peer's RR sent to our
 * RTP port is taken as RTCP either way (peers that send there anyway),
 * not counted as a bad RTP packet.
 */
static void test_rtcp_mux(void **state)
{
	static const struct {
		bool mux;
		bool rtcp_attr;         /* the peer gave a=rtcp: its port */
	} testv[] = { { true, false }, { false, false }, { false, true } };
	(void)state;

	for (size_t k = 0; k < sizeof(testv) / sizeof(testv[0]); k++) {
		uv_loop_t loop;
		struct dsp_chan_cfg cfg;
		struct dsp_chan *ch;
		struct dsp_chan_stats st;
		struct sockaddr_storage sa;
		int peer[3];            /* RTP, RTP + 1, the a=rtcp port */
		uint16_t pport[3];
		uint8_t idle[DSP_CHAN_TICK], out[DSP_CHAN_TICK];
		unsigned got_sr[3] = { 0 };

		memset(idle, 0xd5, sizeof(idle));
		assert_int_equal(uv_loop_init(&loop), 0);
		for (int i = 0; i < 3; i++) {
			struct sockaddr_in a = { .sin_family = AF_INET };
			socklen_t al = sizeof(a);

			a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			peer[i] = socket(AF_INET, SOCK_DGRAM, 0);
			assert_true(peer[i] >= 0);
			/* RTP and RTP + 1 next to each other: retry on a clash */
			for (uint16_t pt = 20500; i < 2 && pt < 20600; pt += 2) {
				a.sin_port = htons(i == 0 ? pt : (uint16_t)(pport[0] + 1));
				if (!bind(peer[i], (struct sockaddr *)&a, sizeof(a)))
					break;
				if (i == 1)
					fail_msg("port %u taken", pport[0] + 1);
			}
			if (i == 2)
				assert_int_equal(bind(peer[i], (struct sockaddr *)&a,
						      sizeof(a)), 0);
			assert_int_equal(getsockname(peer[i], (struct sockaddr *)&a,
						     &al), 0);
			pport[i] = ntohs(a.sin_port);
		}
		dsp_chan_cfg_default(&cfg);
		cfg.ec = false;
		cfg.faxdet = false;
		cfg.port_min = 20300;
		cfg.port_max = 20399;
		loopback(&cfg.local, 0);
		cfg.rtcp_mux = testv[k].mux;
		cfg.rtcp_port = testv[k].rtcp_attr ? pport[2] : 0;
		assert_int_equal(dsp_chan_alloc(&ch, &loop, &cfg, ev_h, NULL), 0);
		loopback(&sa, pport[0]);
		dsp_chan_set_remote(ch, (struct sockaddr *)&sa,
				    sizeof(struct sockaddr_in));

		/* an RR (PT 201) from the peer's SSRC, to our RTP port */
		static const uint8_t rr[8] = { 0x80, 201, 0, 1, 1, 2, 3, 4 };
		loopback(&sa, dsp_chan_port(ch));
		assert_int_equal(sendto(peer[0], rr, sizeof(rr), 0,
					(struct sockaddr *)&sa,
					sizeof(struct sockaddr_in)), sizeof(rr));
		/* 4 s of ticks: the first report goes out between 1.25 and
		 * 3.75 s (RFC 3550 §6.3.1 randomisation) */
		for (int t = 0; t < 200; t++) {
			dsp_chan_tick(ch, idle, out);
			usleep(20000);
			uv_run(&loop, UV_RUN_NOWAIT);
			for (int i = 0; i < 3; i++) {
				uint8_t b[1500];
				ssize_t n;

				while ((n = recv(peer[i], b, sizeof(b), MSG_DONTWAIT)) > 0) {
					if (n >= 8 && b[1] == 200)
						got_sr[i]++;
				}
			}
		}
		dsp_chan_stats(ch, &st);
		if (testv[k].mux) {
			assert_true(got_sr[0] >= 1);
			assert_int_equal(got_sr[1] + got_sr[2], 0);
			assert_int_equal(st.rtcp_rx, 1);
			assert_int_equal(st.rx_dropped, 0);
		} else {
			assert_int_equal(got_sr[0], 0);
			assert_true(got_sr[testv[k].rtcp_attr ? 2 : 1] >= 1);
			assert_int_equal(got_sr[testv[k].rtcp_attr ? 1 : 2], 0);
			assert_int_equal(st.rtcp_rx, 1);
			assert_int_equal(st.rx_dropped, 0);
		}
		assert_true(st.rtcp_tx >= 1);
		assert_true(st.rtp_tx >= 190);
		dsp_chan_free(ch);
		uv_run(&loop, UV_RUN_DEFAULT);
		assert_int_equal(uv_loop_close(&loop), 0);
		for (int i = 0; i < 3; i++)
			close(peer[i]);
	}
}

/*
 * A codec change in a running call (re-INVITE): both ends switch from
 * PCMA to PCMU and later to G.722 in place; audio keeps flowing (after
 * the switch what comes out is the input through the new codec), the
 * port, the RTP counters and the sequence go on, telephone-event can be
 * dropped and taken back.
 */
static void test_set_media(void **state)
{
	struct pair p;
	enum { TICKS = 240 };
	static uint8_t in[TICKS * DSP_CHAN_TICK], out[TICKS * DSP_CHAN_TICK];
	uint8_t idle[DSP_CHAN_TICK], junk[DSP_CHAN_TICK];
	struct dsp_chan_cfg cu, cg;
	struct dsp_chan_stats st;
	uint32_t x = 777;
	(void)state;

	make_pair(&p, false, true, false, 20);
	dsp_chan_set_passthrough(p.a, true);
	dsp_chan_set_passthrough(p.b, true);
	uint16_t pa = dsp_chan_port(p.a), pb = dsp_chan_port(p.b);
	for (size_t i = 0; i < sizeof(in); i++) {
		x = x * 1103515245u + 12345u;
		in[i] = (uint8_t)(x >> 16);
	}
	memset(idle, 0xd5, sizeof(idle));
	dsp_chan_cfg_default(&cu);
	cu.codec = DSP_CODEC_PCMU;
	cu.pt = 0;
	cu.dtmf_pt = -1;
	cg = cu;
	cg.codec = DSP_CODEC_G722;
	cg.pt = 9;
	cg.dtmf_pt = 101;
	/* bad arguments change nothing */
	cu.ptime = 25;
	assert_int_equal(dsp_chan_set_media(p.a, &cu), EINVAL);
	cu.ptime = 20;
	for (int t = 0; t < TICKS; t++) {
		if (t == 80) {
			assert_int_equal(dsp_chan_set_media(p.a, &cu), 0);
			assert_int_equal(dsp_chan_set_media(p.b, &cu), 0);
			/* no telephone-event now: no generator */
			assert_int_equal(dsp_chan_play_digit(p.b, '5', 100), EINVAL);
		}
		if (t == 160) {
			assert_int_equal(dsp_chan_set_media(p.a, &cg), 0);
			assert_int_equal(dsp_chan_set_media(p.b, &cg), 0);
			assert_int_equal(dsp_chan_play_digit(p.b, '5', 60), 0);
		}
		tick(&p, in + t * DSP_CHAN_TICK, junk, idle, out + t * DSP_CHAN_TICK);
	}
	assert_int_equal(dsp_chan_port(p.a), pa);
	assert_int_equal(dsp_chan_port(p.b), pb);

	/* PCMU stretch: A-law in, mu-law on the wire, A-law out */
	uint8_t want[DSP_CHAN_TICK * 40];
	int16_t lin[DSP_CHAN_TICK * 40];
	uint8_t mu[DSP_CHAN_TICK * 40];
	const uint8_t *src = in + 100 * DSP_CHAN_TICK;

	dsp_law_decode(DSP_LAW_ALAW, src, lin, sizeof(want));
	dsp_law_encode(DSP_LAW_ULAW, lin, mu, sizeof(want));
	dsp_law_decode(DSP_LAW_ULAW, mu, lin, sizeof(want));
	dsp_law_encode(DSP_LAW_ALAW, lin, want, sizeof(want));
	long delay = -1;
	for (long d = 0; d < 20 * DSP_CHAN_TICK && delay < 0; d++) {
		if (!memcmp(out + 100 * DSP_CHAN_TICK + d, want, sizeof(want)))
			delay = d;
	}
	if (delay < 0)
		fail_msg("the PCMU stretch never came out as the mu-law round trip");

	/* G.722 stretch: lossy, but the signal is there (not silence) */
	double e = 0;
	int16_t o[DSP_CHAN_TICK * 40];
	dsp_law_decode(DSP_LAW_ALAW, out + 190 * DSP_CHAN_TICK, o, sizeof(want));
	for (size_t i = 0; i < sizeof(want); i++)
		e += (double)o[i] * o[i];
	assert_true(e / (double)sizeof(want) > 1e5);

	dsp_chan_stats(p.b, &st);
	assert_true(st.rtp_rx >= TICKS - 10);
	assert_int_equal(st.rx_dropped, 0);
	dsp_chan_stats(p.a, &st);
	assert_true(st.rtp_tx >= TICKS - 2);
	assert_int_equal(st.send_err, 0);
	free_pair(&p);
}

static void test_garbage_dropped(void **state)
{
	struct pair p;
	uint8_t idle[DSP_CHAN_TICK], junk[DSP_CHAN_TICK];
	struct sockaddr_storage dst;
	int fd;
	(void)state;

	make_pair(&p, true, true, false, 20);
	memset(idle, 0xd5, sizeof(idle));
	for (int t = 0; t < 20; t++)
		tick(&p, idle, junk, idle, junk);
	/* a stranger sends junk and a valid-looking packet of a wrong type */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	loopback(&dst, dsp_chan_port(p.b));
	static const uint8_t bad1[] = { 0x00, 0x01 };
	static const uint8_t bad2[] = { 0x80, 0x22, 0x00, 0x01, 0, 0, 0, 1,
					0, 0, 0, 9, 1, 2, 3, 4 };
	sendto(fd, bad1, sizeof(bad1), 0, (struct sockaddr *)&dst, sizeof(struct sockaddr_in));
	sendto(fd, bad2, sizeof(bad2), 0, (struct sockaddr *)&dst, sizeof(struct sockaddr_in));
	for (int t = 0; t < 5; t++)
		tick(&p, idle, junk, idle, junk);
	close(fd);
	struct dsp_chan_stats st;
	dsp_chan_stats(p.b, &st);
	assert_true(st.rx_dropped >= 2);
	assert_true(st.rtp_rx >= 20);
	free_pair(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_g711_sample_exact),
		cmocka_unit_test(test_g711_sample_exact_ptime),
		cmocka_unit_test(test_g711_sample_exact_srtp),
		cmocka_unit_test(test_dtmf_end_to_end),
		cmocka_unit_test(test_garbage_dropped),
		cmocka_unit_test(test_lean_ticks),
		cmocka_unit_test(test_rtcp_mux),
		cmocka_unit_test(test_set_media),
	};
	return cmocka_run_group_tests_name("dsp_chan", tests, NULL, NULL);
}
