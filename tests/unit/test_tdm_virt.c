/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for gw/tdm_virt: the codec against the byte vectors of
 * docs/tdm_virt.md, then a gateway span and a master over real Unix
 * SOCK_SEQPACKET sockets: handshake, 20 ms blocks both ways, HDLC frames
 * both ways, alarms, garbage, version mismatch, peer loss -> RED and
 * reconnection, audio on a separate media thread; and libpri (Q.921 +
 * Q.931, network side on the master, user side on the gateway) running
 * over the virtual span as a real peer.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <libpri.h>

#include "base/log.h"
#include "gw/span.h"
#include "gw/tdm_virt.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- codec ---- */

static void test_decode_vectors(void **state)
{
	static const struct {
		const char *name;
		uint8_t b[40];
		size_t len;
		int err;
		uint8_t type;
	} testv[] = {
		{ "doc hello", { 0x54, 0x56, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0x10,
				 0xff, 0xfe, 0xff, 0xfe, 0, 1, 0, 0 }, 20, 0,
		  GW_TDM_VIRT_HELLO },
		{ "doc hdlc", { 0x54, 0x56, 1, 0x20, 0, 0, 0, 0, 0, 1, 0x7f },
		  11, 0, GW_TDM_VIRT_HDLC },
		{ "short", { 0x54, 0x56, 1, 0x20, 0, 0, 0 }, 7, EPROTO, 0 },
		{ "empty hdlc", { 0x54, 0x56, 1, 0x20, 0, 0, 0, 0 }, 8, EPROTO,
		  0 },
		{ "bad magic", { 0x54, 0x57, 1, 0x20, 0, 0, 0, 0, 1 }, 9,
		  EPROTO, 0 },
		{ "version 2", { 0x54, 0x56, 2, 0x20, 0, 0, 0, 0, 1 }, 9,
		  ENOTSUP, 0x20 },
		{ "unknown type", { 0x54, 0x56, 1, 0x55, 0, 0, 0, 0, 1 }, 9,
		  ENOMSG, 0x55 },
		{ "hello short", { 0x54, 0x56, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0x10,
				   0xff, 0xfe, 0xff, 0xfe, 0, 1, 0 }, 19,
		  EPROTO, 0 },
		{ "hello role 3", { 0x54, 0x56, 1, 1, 0, 0, 0, 0, 3, 1, 1, 0x10,
				    0xff, 0xfe, 0xff, 0xfe, 0, 1, 0, 0 }, 20,
		  EPROTO, 0 },
		{ "hello TS0", { 0x54, 0x56, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0x10,
				 0xff, 0xfe, 0xff, 0xff, 0, 1, 0, 0 }, 20,
		  EPROTO, 0 },
		{ "hello D in B", { 0x54, 0x56, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0x10,
				    0xff, 0xff, 0xff, 0xfe, 0, 1, 0, 0 }, 20,
		  EPROTO, 0 },
		{ "hello T1 TS25", { 0x54, 0x56, 1, 1, 0, 0, 0, 0, 1, 2, 2, 0,
				     0x02, 0x00, 0x00, 0x02, 0, 1, 0, 0 }, 20,
		  EPROTO, 0 },
		{ "hello law 0", { 0x54, 0x56, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0x10,
				   0xff, 0xfe, 0xff, 0xfe, 0, 1, 0, 0 }, 20,
		  EPROTO, 0 },
		{ "alarm", { 0x54, 0x56, 1, 0x30, 0, 0, 0, 0, 0xff, 0, 0, 3 },
		  12, 0, GW_TDM_VIRT_ALARM },
		{ "alarm short", { 0x54, 0x56, 1, 0x30, 0, 0, 0, 0, 0, 0, 3 },
		  11, EPROTO, 0 },
		{ "hdlc_err", { 0x54, 0x56, 1, 0x21, 0, 0, 0, 0, 2 }, 9, 0,
		  GW_TDM_VIRT_HDLC_ERR },
		{ "hdlc_err 9", { 0x54, 0x56, 1, 0x21, 0, 0, 0, 0, 9 }, 9,
		  EPROTO, 0 },
		{ "error", { 0x54, 0x56, 1, 0x7f, 0, 0, 0, 0, 1, 'h', 'i' }, 11,
		  0, GW_TDM_VIRT_ERROR },
		{ "error empty", { 0x54, 0x56, 1, 0x7f, 0, 0, 0, 0 }, 8, EPROTO,
		  0 },
		{ "audio 1 byte", { 0x54, 0x56, 1, 0x10, 0, 0, 0, 0, 0xd5 }, 9,
		  EPROTO, 0 },
	};
	(void)state;
	for (size_t i = 0; i < N(testv); i++) {
		struct gw_tdm_virt_msg m;
		int err;
		memset(&m, 0xaa, sizeof(m));
		err = gw_tdm_virt_decode(testv[i].b, testv[i].len, &m);
		if (err != testv[i].err)
			fail_msg("%s: err %d want %d", testv[i].name, err,
				 testv[i].err);
		if (!err || err == ENOTSUP || err == ENOMSG)
			assert_int_equal(m.type, testv[i].type);
	}
	assert_int_equal(gw_tdm_virt_decode(NULL, 0, NULL), EPROTO);
}

static void test_decode_fields(void **state)
{
	static const uint8_t hello[] = { 0x54, 0x56, 1, 1, 0, 0, 0, 0, 1, 1,
					 1, 0x10, 0xff, 0xfe, 0xff, 0xfe, 0,
					 1, 0, 0 };
	static const uint8_t alarm[] = { 0x54, 0x56, 1, 0x30, 0, 0, 0, 0,
					 0xff, 0, 0, 3 };
	struct gw_tdm_virt_msg m;
	struct gw_tdm_virt_hello ours;
	struct gw_span_cfg cfg;
	uint8_t buf[GW_TDM_VIRT_MAX];
	uint8_t samples[30 * GW_SPAN_BLOCK];
	size_t len;
	char why[160];
	(void)state;

	assert_int_equal(gw_tdm_virt_decode(hello, sizeof(hello), &m), 0);
	assert_int_equal(m.u.hello.role, GW_TDM_VIRT_ROLE_SIG);
	assert_int_equal(m.u.hello.bmask, 0xfffefffe);
	assert_int_equal(m.u.hello.dchan, 16);
	assert_int_equal(m.u.hello.span_id, 1);
	/* the documented example is what we encode for a default E1 */
	gw_span_cfg_default(&cfg, GW_SPAN_E1, 1);
	gw_tdm_virt_hello_from_cfg(&ours, &cfg, GW_TDM_VIRT_ROLE_SIG);
	assert_int_equal(gw_tdm_virt_enc_hello(buf, sizeof(buf), &len, &ours),
			 0);
	assert_int_equal(len, sizeof(hello));
	assert_memory_equal(buf, hello, sizeof(hello));
	assert_int_equal(gw_tdm_virt_hello_match(&ours, &m.u.hello, why,
						 sizeof(why)), 0);
	/* a T1 peer is refused with a reason */
	gw_span_cfg_default(&cfg, GW_SPAN_T1, 1);
	gw_tdm_virt_hello_from_cfg(&ours, &cfg, GW_TDM_VIRT_ROLE_SIG);
	assert_int_equal(gw_tdm_virt_hello_match(&ours, &m.u.hello, why,
						 sizeof(why)), EPROTO);
	assert_non_null(strstr(why, "span type"));
	assert_int_equal(gw_tdm_virt_enc_hello(buf, 19, &len, &ours), ENOSPC);

	/* reserved alarm bits ignored */
	assert_int_equal(gw_tdm_virt_decode(alarm, sizeof(alarm), &m), 0);
	assert_int_equal(m.u.alarms, GW_ALARM_RED | GW_ALARM_YELLOW);

	/* audio round trip: 30 channels, seq kept, samples in place */
	for (size_t i = 0; i < sizeof(samples); i++)
		samples[i] = (uint8_t)(i * 7);
	assert_int_equal(gw_tdm_virt_enc_audio(buf, sizeof(buf), &len,
					       0xdeadbeef, samples,
					       sizeof(samples)), 0);
	assert_int_equal(len, 8 + 4800);
	assert_int_equal(gw_tdm_virt_decode(buf, len, &m), 0);
	assert_int_equal(m.type, GW_TDM_VIRT_AUDIO);
	assert_int_equal(m.seq, 0xdeadbeef);
	assert_int_equal(m.u.data.l, sizeof(samples));
	assert_memory_equal(m.u.data.p, samples, sizeof(samples));
	assert_int_equal(gw_tdm_virt_enc_audio(buf, sizeof(buf), &len, 0,
					       samples, 100), EINVAL);

	/* HDLC size limits */
	assert_int_equal(gw_tdm_virt_enc_hdlc(buf, sizeof(buf), &len, samples,
					      GW_SPAN_HDLC_MAX), 0);
	assert_int_equal(gw_tdm_virt_decode(buf, len, &m), 0);
	assert_int_equal(gw_tdm_virt_enc_hdlc(buf, sizeof(buf), &len, samples,
					      GW_SPAN_HDLC_MAX + 1), EINVAL);
	assert_int_equal(gw_tdm_virt_enc_hdlc(buf, sizeof(buf), &len, samples,
					      0), EINVAL);
	/* a 1025-byte HDLC frame built by hand is refused */
	memset(buf + 8, 0, GW_SPAN_HDLC_MAX + 1);
	assert_int_equal(gw_tdm_virt_decode(buf, 8 + GW_SPAN_HDLC_MAX + 1, &m),
			 EPROTO);

	/* error text is capped at 200 bytes */
	memset(samples, 'x', 300);
	samples[300] = 0;
	assert_int_equal(gw_tdm_virt_enc_error(buf, sizeof(buf), &len,
					       GW_TDM_VIRT_E_PROTO,
					       (const char *)samples), 0);
	assert_int_equal(len, 8 + 1 + 200);
	assert_int_equal(gw_tdm_virt_decode(buf, len, &m), 0);
	assert_int_equal(m.u.err.code, GW_TDM_VIRT_E_PROTO);
	assert_int_equal(m.u.err.l, 200);
}

/* ---- over real sockets ---- */

struct rig {
	uv_loop_t loop;
	char dir[64];
	char path[96];
	struct gw_span *span;
	struct gw_tdm_virt_master *m;
	struct gw_span_cfg mcfg;
	/* gateway side observations */
	unsigned alarm_calls;
	uint8_t last_hdlc[GW_SPAN_HDLC_MAX];
	size_t last_hdlc_len;
	unsigned hdlc_rx, hdlc_err;
	/* master side observations */
	unsigned m_hdlc_rx;
	uint8_t m_last_hdlc[64];
	size_t m_last_hdlc_len;
	unsigned m_rx_blocks, m_rx_bad;
	uint32_t m_rx_last_seq;
	unsigned conn_calls;
	unsigned m_alarm_calls;
	uint32_t m_alarms;
	/* audio, gateway side (media thread in the threaded test) */
	atomic_uint gw_ticks, gw_bad;
	unsigned gw_target;
	/* libpri instances fed by the HDLC handlers, when set */
	struct pri_side *gw_pri, *m_pri;
};

struct pri_side {
	struct rig *r;
	bool master;
	struct pri *pri;
	uint8_t rx[GW_SPAN_HDLC_MAX + 2];
	size_t rxlen;
	bool up;
	unsigned rings;
	int ring_chan;
	char called[256];
};

static void pri_deliver(struct pri_side *ps, const uint8_t *f, size_t len);

static void gw_hdlc_h(struct gw_span *span, const uint8_t *f, size_t len,
		      void *arg)
{
	struct rig *r = arg;
	(void)span;
	memcpy(r->last_hdlc, f, len);
	r->last_hdlc_len = len;
	r->hdlc_rx++;
	if (r->gw_pri)
		pri_deliver(r->gw_pri, f, len);
}

static void gw_alarm_h(struct gw_span *span, unsigned alarms, bool up,
		       void *arg)
{
	struct rig *r = arg;
	(void)span;
	(void)alarms;
	(void)up;
	r->alarm_calls++;
}

static void gw_hdlc_err_h(struct gw_span *span, enum gw_span_hdlc_err e,
			  void *arg)
{
	struct rig *r = arg;
	(void)span;
	(void)e;
	r->hdlc_err++;
}

/* Master fills channel i of block seq with (i + seq) & 0xff; the gateway
 * checks that and answers with ~(i + seq); the master checks the answer. */
static void m_tick_h(uint8_t *tx, unsigned nchan, uint32_t seq, void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < nchan; i++)
		memset(tx + i * GW_SPAN_BLOCK, (int)((i + seq) & 0xff),
		       GW_SPAN_BLOCK);
}

static void m_rx_h(const uint8_t *rx, unsigned nchan, uint32_t seq,
		   void *arg)
{
	struct rig *r = arg;
	bool ok = true;

	for (unsigned i = 0; i < nchan && ok; i++) {
		uint8_t want = (uint8_t)~(i + seq);
		for (unsigned k = 0; k < GW_SPAN_BLOCK; k++)
			ok = ok && rx[i * GW_SPAN_BLOCK + k] == want;
	}
	if (!ok || (r->m_rx_blocks && seq != r->m_rx_last_seq + 1))
		r->m_rx_bad++;
	r->m_rx_last_seq = seq;
	r->m_rx_blocks++;
}

static void m_hdlc_h(const uint8_t *f, size_t len, void *arg)
{
	struct rig *r = arg;
	if (len <= sizeof(r->m_last_hdlc)) {
		memcpy(r->m_last_hdlc, f, len);
		r->m_last_hdlc_len = len;
	}
	r->m_hdlc_rx++;
	if (r->m_pri)
		pri_deliver(r->m_pri, f, len);
}

static void m_alarm_h(uint32_t alarms, void *arg)
{
	struct rig *r = arg;
	r->m_alarms = alarms;
	r->m_alarm_calls++;
}

static void m_conn_h(bool sig, bool audio, void *arg)
{
	struct rig *r = arg;
	(void)sig;
	(void)audio;
	r->conn_calls++;
}

static void gw_tick_h(struct gw_span *span, const struct gw_span_tick *t,
		      void *arg)
{
	struct rig *r = arg;
	bool ok = t->nchan == gw_span_bchan_count(span);

	for (unsigned i = 0; i < t->nchan && ok; i++) {
		uint8_t want = (uint8_t)(i + t->seq);
		/* tx comes pre-filled with the idle byte */
		ok = t->tx[i * GW_SPAN_BLOCK] == 0xd5 &&
		     t->rx[i * GW_SPAN_BLOCK] == want &&
		     t->rx[i * GW_SPAN_BLOCK + GW_SPAN_BLOCK - 1] == want;
		memset(t->tx + i * GW_SPAN_BLOCK, (int)(uint8_t)~want,
		       GW_SPAN_BLOCK);
	}
	if (!ok)
		atomic_fetch_add(&r->gw_bad, 1);
	atomic_fetch_add(&r->gw_ticks, 1);
}

static const struct gw_tdm_virt_master_handlers mh = {
	.conn_h = m_conn_h,
	.hdlc_h = m_hdlc_h,
	.alarm_h = m_alarm_h,
	.tick_h = m_tick_h,
	.rx_h = m_rx_h,
};

typedef bool (cond_f)(struct rig *r);

static void idle_cb(uv_timer_t *t)
{
	(void)t;
}

/* Run the loop until cond holds or ms elapse; returns cond's value. */
static bool run_until(struct rig *r, cond_f *cond, unsigned ms)
{
	uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000u;
	uv_timer_t t;
	bool ok = false;

	uv_timer_init(&r->loop, &t);
	uv_timer_start(&t, idle_cb, 5, 5);
	for (unsigned i = 0; i < 100000; i++) {
		if (cond && cond(r)) {
			ok = true;
			break;
		}
		if (uv_hrtime() >= end)
			break;
		uv_run(&r->loop, UV_RUN_ONCE);
	}
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&r->loop, UV_RUN_NOWAIT);
	return ok;
}

static bool c_span_ok(struct rig *r)
{
	return gw_span_usable(r->span);
}

static bool c_span_red(struct rig *r)
{
	return !gw_span_is_up(r->span) &&
	       (gw_span_alarms(r->span) & GW_ALARM_RED);
}

static void rig_master(struct rig *r, const struct gw_span_cfg *cfg)
{
	r->mcfg = *cfg;
	assert_int_equal(gw_tdm_virt_master_alloc(&r->m, &r->loop, cfg, &mh,
						  r), 0);
	assert_int_equal(gw_tdm_virt_master_listen(r->m, r->path), 0);
}

static void rig_setup(struct rig *r, bool with_master)
{
	struct gw_span_cfg cfg;
	const struct gw_span_handlers h = {
		.hdlc_h = gw_hdlc_h,
		.alarm_h = gw_alarm_h,
		.hdlc_err_h = gw_hdlc_err_h,
	};

	memset(r, 0, sizeof(*r));
	assert_int_equal(uv_loop_init(&r->loop), 0);
	snprintf(r->dir, sizeof(r->dir), "/tmp/tdmvXXXXXX");
	assert_non_null(mkdtemp(r->dir));
	snprintf(r->path, sizeof(r->path), "%s/span1", r->dir);
	gw_span_cfg_default(&cfg, GW_SPAN_E1, 1);
	if (with_master)
		rig_master(r, &cfg);
	cfg.ops = gw_tdm_ops_find("virt");
	assert_non_null(cfg.ops);
	snprintf(cfg.dev, sizeof(cfg.dev), "%s", r->path);
	cfg.retry_ms = 30;
	assert_int_equal(gw_span_alloc(&r->span, &cfg), 0);
	gw_span_set_handlers(r->span, &h, r);
	assert_int_equal(gw_span_start(r->span, &r->loop), 0);
}

static void rig_teardown(struct rig *r)
{
	gw_span_free(r->span);
	gw_tdm_virt_master_free(r->m);
	/* let every handle close, then the loop must be empty */
	for (int i = 0; i < 10; i++)
		uv_run(&r->loop, UV_RUN_NOWAIT);
	assert_int_equal(uv_loop_close(&r->loop), 0);
	unlink(r->path);
	rmdir(r->dir);
}

static bool c_hdlc_gw(struct rig *r)
{
	return r->hdlc_rx > 0;
}

static bool c_hdlc_m(struct rig *r)
{
	return r->m_hdlc_rx > 0;
}

static bool c_yellow(struct rig *r)
{
	return gw_span_alarms(r->span) == GW_ALARM_YELLOW;
}

static bool c_red_rai(struct rig *r)
{
	return gw_span_is_up(r->span) &&
	       gw_span_alarms(r->span) == GW_ALARM_RED &&
	       r->m_alarm_calls == 1 && r->m_alarms == GW_ALARM_YELLOW;
}

static bool c_rai_clear(struct rig *r)
{
	return gw_span_usable(r->span) && r->m_alarm_calls == 2 &&
	       r->m_alarms == 0;
}

static bool c_hdlc_err(struct rig *r)
{
	return r->hdlc_err > 0;
}

static void test_virt_signalling(void **state)
{
	struct rig r;
	static const uint8_t sabme[] = { 0x00, 0x01, 0x7f };
	static const uint8_t ua[] = { 0x00, 0x01, 0x73 };
	struct gw_tdm_virt_stats vs;
	struct gw_span_stats ss;
	(void)state;

	rig_setup(&r, true);
	assert_true(run_until(&r, c_span_ok, 2000));
	assert_true(gw_tdm_virt_master_sig_up(r.m));
	assert_int_equal(gw_span_alarms(r.span), 0);

	/* gateway -> master */
	assert_int_equal(gw_span_hdlc_send(r.span, sabme, sizeof(sabme)), 0);
	assert_true(run_until(&r, c_hdlc_m, 2000));
	assert_int_equal(r.m_last_hdlc_len, sizeof(sabme));
	assert_memory_equal(r.m_last_hdlc, sabme, sizeof(sabme));
	/* master -> gateway */
	assert_int_equal(gw_tdm_virt_master_hdlc_send(r.m, ua, sizeof(ua)), 0);
	assert_true(run_until(&r, c_hdlc_gw, 2000));
	assert_int_equal(r.last_hdlc_len, sizeof(ua));
	assert_memory_equal(r.last_hdlc, ua, sizeof(ua));

	/* HDLC error indication and alarms from the master */
	assert_int_equal(gw_tdm_virt_master_hdlc_err_send(r.m, GW_HDLC_BADFCS),
			 0);
	assert_true(run_until(&r, c_hdlc_err, 2000));
	assert_int_equal(gw_tdm_virt_master_alarm_send(r.m, GW_ALARM_YELLOW),
			 0);
	assert_true(run_until(&r, c_yellow, 2000));
	assert_false(gw_span_usable(r.span));
	assert_int_equal(gw_tdm_virt_master_alarm_send(r.m, 0), 0);
	assert_true(run_until(&r, c_span_ok, 2000));
	/* no RAI for YELLOW; RED from the master -> the gateway answers with
	 * YELLOW (RAI), and clears it when the line is back */
	assert_int_equal(r.m_alarm_calls, 0);
	assert_int_equal(gw_tdm_virt_master_alarm_send(r.m, GW_ALARM_RED), 0);
	assert_true(run_until(&r, c_red_rai, 2000));
	assert_int_equal(gw_tdm_virt_master_alarm_send(r.m, 0), 0);
	assert_true(run_until(&r, c_rai_clear, 2000));

	gw_span_stats(r.span, &ss);
	assert_int_equal(ss.hdlc_tx, 1);
	assert_int_equal(ss.hdlc_rx, 1);
	assert_int_equal(ss.hdlc_rx_err, 1);
	assert_int_equal(gw_tdm_virt_stats(r.span, &vs), 0);
	assert_int_equal(vs.connects, 1);
	/* HDLC on a span without D-channel or too long is refused */
	assert_int_equal(gw_span_hdlc_send(r.span, sabme, 0), EINVAL);
	rig_teardown(&r);
}

static bool c_down_and_back(struct rig *r)
{
	struct gw_tdm_virt_stats vs;
	return !gw_tdm_virt_stats(r->span, &vs) && vs.connects >= 2 &&
	       gw_span_usable(r->span);
}

static void test_virt_peer_loss(void **state)
{
	struct rig r;
	struct gw_span_cfg cfg;
	struct gw_tdm_virt_stats vs;
	(void)state;

	/* gateway first: no master yet -> RED, retrying */
	rig_setup(&r, false);
	run_until(&r, NULL, 100);
	assert_true(c_span_red(&r));
	assert_int_equal(gw_span_hdlc_send(r.span, (const uint8_t *)"ab", 2),
			 ENOTCONN);
	assert_int_equal(gw_tdm_virt_stats(r.span, &vs), 0);
	assert_true(vs.connect_fail >= 2);
	assert_int_equal(vs.connects, 0);

	/* master appears: the retry finds it and RED clears */
	gw_span_cfg_default(&cfg, GW_SPAN_E1, 1);
	rig_master(&r, &cfg);
	assert_true(run_until(&r, c_span_ok, 2000));

	/* line loss: master drops us -> RED; it keeps listening, so the
	 * gateway's retry reconnects and RED clears again */
	gw_tdm_virt_master_drop(r.m);
	assert_true(run_until(&r, c_span_red, 2000));
	assert_true(run_until(&r, c_down_and_back, 2000));

	/* master restart: freed and a new one on the same path */
	gw_tdm_virt_master_free(r.m);
	r.m = NULL;
	assert_true(run_until(&r, c_span_red, 2000));
	rig_master(&r, &cfg);
	assert_true(run_until(&r, c_span_ok, 2000));
	assert_int_equal(gw_tdm_virt_stats(r.span, &vs), 0);
	assert_int_equal(vs.connects, 3);
	/* up, down, up, down, up */
	assert_int_equal(r.alarm_calls, 5);
	rig_teardown(&r);
}

static bool c_unknown(struct rig *r)
{
	struct gw_tdm_virt_stats vs;
	return !gw_tdm_virt_stats(r->span, &vs) && vs.unknown >= 1 &&
	       vs.malformed >= 3;
}

static bool c_version(struct rig *r)
{
	struct gw_tdm_virt_stats vs;
	return !gw_tdm_virt_stats(r->span, &vs) && vs.version_err >= 1;
}

static void test_virt_garbage(void **state)
{
	static const uint8_t unknown[] = { 0x54, 0x56, 1, 0x42, 0, 0, 0, 0,
					   1, 2, 3 };
	static const uint8_t junk[] = { 0xde, 0xad };
	static const uint8_t badlen[] = { 0x54, 0x56, 1, 0x30, 0, 0, 0, 0, 1 };
	static const uint8_t v9[] = { 0x54, 0x56, 9, 0x20, 0, 0, 0, 0, 1 };
	uint8_t big[GW_TDM_VIRT_MAX + 100];
	struct rig r;
	(void)state;

	rig_setup(&r, true);
	assert_true(run_until(&r, c_span_ok, 2000));
	/* counted and dropped, connection stays up */
	assert_int_equal(gw_tdm_virt_master_send_raw(r.m, false, unknown,
						     sizeof(unknown)), 0);
	assert_int_equal(gw_tdm_virt_master_send_raw(r.m, false, junk,
						     sizeof(junk)), 0);
	assert_int_equal(gw_tdm_virt_master_send_raw(r.m, false, badlen,
						     sizeof(badlen)), 0);
	memset(big, 0, sizeof(big));
	memcpy(big, unknown, 8);
	big[3] = 0x20;
	assert_int_equal(gw_tdm_virt_master_send_raw(r.m, false, big,
						     sizeof(big)), 0);
	assert_true(run_until(&r, c_unknown, 2000));
	assert_true(gw_span_usable(r.span));
	assert_int_equal(r.hdlc_rx, 0);
	/* a different version ends the connection with a clear error; the
	 * gateway then reconnects (the master speaks version 1 again) */
	assert_int_equal(gw_tdm_virt_master_send_raw(r.m, false, v9,
						     sizeof(v9)), 0);
	assert_true(run_until(&r, c_version, 2000));
	assert_true(run_until(&r, c_down_and_back, 2000));
	rig_teardown(&r);
}

static bool c_never(struct rig *r)
{
	(void)r;
	return false;
}

static void test_virt_mismatch(void **state)
{
	struct rig r;
	struct gw_span_cfg cfg;
	struct gw_tdm_virt_master_stats ms;
	(void)state;

	/* master is a T1, gateway an E1: never up, master counts rejects */
	rig_setup(&r, false);
	gw_span_cfg_default(&cfg, GW_SPAN_T1, 1);
	rig_master(&r, &cfg);
	run_until(&r, c_never, 150);
	assert_true(c_span_red(&r));
	gw_tdm_virt_master_stats(r.m, &ms);
	assert_true(ms.rejects >= 2);
	assert_int_equal(ms.accepts, 0);
	rig_teardown(&r);
}

static bool c_audio(struct rig *r)
{
	return r->m_rx_blocks >= 25 && atomic_load(&r->gw_ticks) >= 25;
}

static bool c_ticks(struct rig *r)
{
	return atomic_load(&r->gw_ticks) >= r->gw_target;
}

static bool c_audio_more(struct rig *r)
{
	return r->m_rx_blocks >= 60;
}

static void test_virt_audio_same_loop(void **state)
{
	struct rig r;
	struct gw_span_audio_stats as;
	struct gw_tdm_virt_master_stats ms;
	uint64_t t0;
	(void)state;

	rig_setup(&r, true);
	assert_int_equal(gw_span_audio_attach(r.span, &r.loop, gw_tick_h, &r),
			 0);
	assert_int_equal(gw_span_audio_attach(r.span, &r.loop, gw_tick_h, &r),
			 EALREADY);
	t0 = uv_hrtime();
	assert_true(run_until(&r, c_audio, 3000));
	printf("# 25 blocks in %.1f ms (master paces 20 ms per block)\n",
	       (double)(uv_hrtime() - t0) / 1e6);
	assert_int_equal(atomic_load(&r.gw_bad), 0);
	assert_int_equal(r.m_rx_bad, 0);
	gw_span_audio_stats(r.span, &as);
	assert_int_equal(as.gaps, 0);

	/* a block far ahead counts as a gap; the master's next (older) block
	 * is answered but counted as an error, not as a huge gap */
	{
		uint8_t blk[GW_TDM_VIRT_MAX];
		size_t len;
		unsigned before = atomic_load(&r.gw_ticks);
		memset(blk + 8, 0, 30 * GW_SPAN_BLOCK);
		assert_int_equal(gw_tdm_virt_enc_audio(blk, sizeof(blk), &len,
						       100000, blk + 8,
						       30 * GW_SPAN_BLOCK), 0);
		assert_int_equal(gw_tdm_virt_master_send_raw(r.m, true, blk,
							     len), 0);
		r.gw_target = before + 3;
		assert_true(run_until(&r, c_ticks, 2000));
		gw_span_audio_stats(r.span, &as);
		assert_true(as.gaps >= 99000 && as.gaps < 100000);
		assert_true(as.errors >= 1);
	}

	/* audio loss and return: the audio side reconnects by itself */
	gw_tdm_virt_master_drop(r.m);
	assert_true(run_until(&r, c_audio_more, 4000));
	gw_tdm_virt_master_stats(r.m, &ms);
	/* every block was answered; one answer was to the injected block */
	assert_int_equal(ms.blocks_rx, r.m_rx_blocks);
	assert_true(ms.blocks_tx >= 59);
	gw_span_audio_detach(r.span);
	rig_teardown(&r);
}

/* Audio on its own thread and loop, signalling on the test's loop. */
struct media {
	struct rig *r;
	atomic_bool stop;
	int err;
};

static void *media_main(void *arg)
{
	struct media *md = arg;
	uv_loop_t loop;

	uv_loop_init(&loop);
	md->err = gw_span_audio_attach(md->r->span, &loop, gw_tick_h, md->r);
	for (int i = 0; i < 100000 && !atomic_load(&md->stop) && !md->err;
	     i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	gw_span_audio_detach(md->r->span);
	for (int i = 0; i < 10; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	if (uv_loop_close(&loop))
		md->err = EBUSY;
	return NULL;
}

static void test_virt_audio_thread(void **state)
{
	struct rig r;
	struct media md;
	pthread_t th;
	struct gw_span_audio_stats as;
	(void)state;

	rig_setup(&r, true);
	assert_true(run_until(&r, c_span_ok, 2000));
	md.r = &r;
	atomic_init(&md.stop, false);
	md.err = 0;
	assert_int_equal(pthread_create(&th, NULL, media_main, &md), 0);
	assert_true(run_until(&r, c_audio, 3000));
	atomic_store(&md.stop, true);
	pthread_join(th, NULL);
	assert_int_equal(md.err, 0);
	assert_int_equal(atomic_load(&r.gw_bad), 0);
	assert_int_equal(r.m_rx_bad, 0);
	gw_span_audio_stats(r.span, &as);
	assert_true(as.ticks >= 25);
	/* signalling unaffected */
	assert_true(gw_span_usable(r.span));
	rig_teardown(&r);
}

/* Master adopting one end of a socketpair (no filesystem path). */
static void test_master_socketpair(void **state)
{
	uv_loop_t loop;
	struct gw_tdm_virt_master *m = NULL;
	struct gw_span_cfg cfg;
	struct gw_tdm_virt_hello h;
	struct gw_tdm_virt_msg msg;
	uint8_t buf[GW_TDM_VIRT_MAX];
	size_t len;
	ssize_t n;
	int sv[2];
	(void)state;

	assert_int_equal(uv_loop_init(&loop), 0);
	gw_span_cfg_default(&cfg, GW_SPAN_T1, 4);
	assert_int_equal(gw_tdm_virt_master_alloc(&m, &loop, &cfg, NULL, NULL),
			 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(gw_tdm_virt_master_adopt(m, sv[0]), 0);
	gw_tdm_virt_hello_from_cfg(&h, &cfg, GW_TDM_VIRT_ROLE_SIG);
	assert_int_equal(gw_tdm_virt_enc_hello(buf, sizeof(buf), &len, &h), 0);
	assert_int_equal(send(sv[1], buf, len, 0), (ssize_t)len);
	for (int i = 0; i < 50 && !gw_tdm_virt_master_sig_up(m); i++)
		uv_run(&loop, UV_RUN_NOWAIT), usleep(1000);
	assert_true(gw_tdm_virt_master_sig_up(m));
	/* HELLO back, then the current alarm set */
	n = recv(sv[1], buf, sizeof(buf), 0);
	assert_int_equal(gw_tdm_virt_decode(buf, (size_t)n, &msg), 0);
	assert_int_equal(msg.type, GW_TDM_VIRT_HELLO);
	assert_int_equal(msg.u.hello.span_type, GW_SPAN_T1);
	n = recv(sv[1], buf, sizeof(buf), 0);
	assert_int_equal(gw_tdm_virt_decode(buf, (size_t)n, &msg), 0);
	assert_int_equal(msg.type, GW_TDM_VIRT_ALARM);
	assert_int_equal(msg.u.alarms, 0);
	/* a second HELLO on an up connection is ignored, not fatal */
	gw_tdm_virt_enc_hello(buf, sizeof(buf), &len, &h);
	assert_int_equal(send(sv[1], buf, len, 0), (ssize_t)len);
	for (int i = 0; i < 5; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	assert_true(gw_tdm_virt_master_sig_up(m));
	close(sv[1]);
	for (int i = 0; i < 50 && gw_tdm_virt_master_sig_up(m); i++)
		uv_run(&loop, UV_RUN_NOWAIT), usleep(1000);
	assert_false(gw_tdm_virt_master_sig_up(m));
	gw_tdm_virt_master_free(m);
	for (int i = 0; i < 10; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- libpri over the virtual span ---- */

/* libpri 1.6 has no destructor: keep instances reachable for LSan. */
static struct pri *kept_pri[8];
static unsigned n_kept_pri;

static void pri_quiet(struct pri *pri, char *s)
{
	(void)pri;
	(void)s;
}

static void pri_ev(struct pri_side *ps, pri_event *e)
{
	if (!e)
		return;
	switch (e->e) {
	case PRI_EVENT_DCHAN_UP:
		ps->up = true;
		break;
	case PRI_EVENT_DCHAN_DOWN:
		ps->up = false;
		break;
	case PRI_EVENT_RING:
		ps->rings++;
		ps->ring_chan = e->ring.channel;
		snprintf(ps->called, sizeof(ps->called), "%s",
			 e->ring.callednum);
		break;
	default:
		break;
	}
}

/* libpri reads frame + 2 FCS octets, as a DAHDI D-channel gives them. */
static int pri_rd(struct pri *pri, void *buf, int buflen)
{
	struct pri_side *ps = pri_get_userdata(pri);
	int n = (int)ps->rxlen + 2;

	if (!ps->rxlen || n > buflen)
		return -1;
	memcpy(buf, ps->rx, ps->rxlen);
	memset((uint8_t *)buf + ps->rxlen, 0, 2);
	ps->rxlen = 0;
	return n;
}

static int pri_wr(struct pri *pri, void *buf, int buflen)
{
	struct pri_side *ps = pri_get_userdata(pri);
	size_t n;
	int err;

	if (buflen < 3)
		return -1;
	n = (size_t)buflen - 2;
	err = ps->master ? gw_tdm_virt_master_hdlc_send(ps->r->m, buf, n) :
			   gw_span_hdlc_send(ps->r->span, buf, n);
	return err ? -1 : buflen;
}

static void pri_deliver(struct pri_side *ps, const uint8_t *f, size_t len)
{
	memcpy(ps->rx, f, len);
	ps->rxlen = len;
	pri_ev(ps, pri_check_event(ps->pri));
}

static void pri_timer_cb(uv_timer_t *t)
{
	struct rig *r = t->data;
	struct pri_side *sides[2] = { r->gw_pri, r->m_pri };

	for (int i = 0; i < 2; i++) {
		for (int k = 0; k < 4 && pri_schedule_next(sides[i]->pri); k++)
			pri_ev(sides[i], pri_schedule_run(sides[i]->pri));
	}
}

static void pri_side_init(struct pri_side *ps, struct rig *r, bool master)
{
	memset(ps, 0, sizeof(*ps));
	ps->r = r;
	ps->master = master;
	ps->pri = pri_new_cb(-1, master ? PRI_NETWORK : PRI_CPE,
			     PRI_SWITCH_EUROISDN_E1, pri_rd, pri_wr, ps);
	assert_non_null(ps->pri);
	assert_true(n_kept_pri < N(kept_pri));
	kept_pri[n_kept_pri++] = ps->pri;
}

static struct pri_side g_cpe, g_net;

static bool c_pri_up(struct rig *r)
{
	(void)r;
	return g_cpe.up && g_net.up;
}

static bool c_pri_ring(struct rig *r)
{
	(void)r;
	return g_net.rings > 0;
}

static void test_virt_libpri(void **state)
{
	struct rig r;
	uv_timer_t t;
	struct pri_sr *sr;
	q931_call *call;
	(void)state;

	pri_set_error(pri_quiet);
	pri_set_message(pri_quiet);
	rig_setup(&r, true);
	assert_true(run_until(&r, c_span_ok, 2000));
	pri_side_init(&g_cpe, &r, false);
	pri_side_init(&g_net, &r, true);
	r.gw_pri = &g_cpe;
	r.m_pri = &g_net;
	uv_timer_init(&r.loop, &t);
	t.data = &r;
	uv_timer_start(&t, pri_timer_cb, 10, 10);
	/* Q.921: SABME/UA both ways brings the data link up (T200 = 1 s, so
	 * a lost frame would still recover inside the bound) */
	assert_true(run_until(&r, c_pri_up, 5000));
	/* Q.931: a SETUP from the user side reaches the network side intact */
	call = pri_new_call(g_cpe.pri);
	assert_non_null(call);
	sr = pri_sr_new();
	assert_non_null(sr);
	pri_sr_set_channel(sr, 5, 1, 0);
	pri_sr_set_bearer(sr, PRI_TRANS_CAP_SPEECH, PRI_LAYER_1_ALAW);
	pri_sr_set_called(sr, "4930123456", PRI_UNKNOWN, 1);
	pri_sr_set_caller(sr, "4940987654", NULL, PRI_UNKNOWN,
			  PRES_ALLOWED_USER_NUMBER_NOT_SCREENED);
	assert_int_equal(pri_setup(g_cpe.pri, call, sr), 0);
	pri_sr_free(sr);
	assert_true(run_until(&r, c_pri_ring, 3000));
	assert_string_equal(g_net.called, "4930123456");
	assert_int_equal(g_net.ring_chan & 0xff, 5);
	uv_timer_stop(&t);
	uv_close((uv_handle_t *)&t, NULL);
	r.gw_pri = r.m_pri = NULL;
	rig_teardown(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_vectors),
		cmocka_unit_test(test_decode_fields),
		cmocka_unit_test(test_virt_signalling),
		cmocka_unit_test(test_virt_peer_loss),
		cmocka_unit_test(test_virt_garbage),
		cmocka_unit_test(test_virt_mismatch),
		cmocka_unit_test(test_virt_audio_same_loop),
		cmocka_unit_test(test_virt_audio_thread),
		cmocka_unit_test(test_master_socketpair),
		cmocka_unit_test(test_virt_libpri),
	};
	log_set_level(LOGL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
