/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for gw/tdm_virt (docs/tdm_virt.md). The input is a
 * series of datagrams, each prefixed by a 2-byte big-endian length. Every
 * datagram goes through the decoder (a decoded message must re-encode to
 * the same bytes), then all of them are sent over a real SOCK_SEQPACKET
 * socketpair to a master, which must survive any order of garbage,
 * HELLOs, frames and errors without crashing, leaking or hanging.
 * When the first byte is odd the datagrams instead go from a master to a
 * real gateway span (signalling or audio connection, by the length's top
 * bit) that lives across inputs; after each input the gateway must be
 * back up (it reconnects by itself after a protocol error) within a
 * bounded time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "gw/tdm_virt.h"

static void roundtrip(const uint8_t *d, size_t n)
{
	struct gw_tdm_virt_msg m;
	uint8_t out[GW_TDM_VIRT_MAX + 16];
	size_t len = 0;
	int err;

	if (gw_tdm_virt_decode(d, n, &m))
		return;
	switch (m.type) {
	case GW_TDM_VIRT_HELLO:
		err = gw_tdm_virt_enc_hello(out, sizeof(out), &len, &m.u.hello);
		/* seq (4-7) and reserved bytes (18-19) are ignored */
		if (err || len != n || memcmp(out, d, 4) ||
		    memcmp(out + 8, d + 8, 10))
			abort();
		return;
	case GW_TDM_VIRT_AUDIO:
		err = gw_tdm_virt_enc_audio(out, sizeof(out), &len, m.seq,
					    m.u.data.p, m.u.data.l);
		break;
	case GW_TDM_VIRT_HDLC:
		err = gw_tdm_virt_enc_hdlc(out, sizeof(out), &len, m.u.data.p,
					   m.u.data.l);
		/* seq is ignored for non-audio messages */
		memcpy(out + 4, d + 4, 4);
		break;
	case GW_TDM_VIRT_HDLC_ERR:
		err = gw_tdm_virt_enc_hdlc_err(out, sizeof(out), &len,
					       m.u.hdlc_err);
		memcpy(out + 4, d + 4, 4);
		break;
	default:
		/* ALARM drops reserved bits, ERROR text is free-form */
		return;
	}
	if (err || len != n || memcmp(out, d, n))
		abort();
}

/* The gateway side, kept across inputs (set up once, never torn down). */
static struct {
	bool ready;
	uv_loop_t loop;
	char dir[32], path[64];
	struct gw_tdm_virt_master *m;
	struct gw_span *span;
} gw;

static void gw_tick(struct gw_span *span, const struct gw_span_tick *t,
		    void *arg)
{
	(void)span;
	(void)arg;
	memcpy(t->tx, t->rx, (size_t)t->nchan * GW_SPAN_BLOCK);
}

static bool gw_settled(void)
{
	return gw_span_usable(gw.span) && gw_tdm_virt_master_sig_up(gw.m) &&
	       gw_tdm_virt_master_audio_up(gw.m);
}

/* Run the gateway loop until it is fully up again; abort after 3 s. */
static void gw_settle(void)
{
	struct timespec ts = { 0, 200000 };

	for (int i = 0; i < 15000 && !gw_settled(); i++) {
		uv_run(&gw.loop, UV_RUN_NOWAIT);
		nanosleep(&ts, NULL);
	}
	if (!gw_settled())
		abort();
}

static void gw_cleanup(void)
{
	unlink(gw.path);
	rmdir(gw.dir);
}

static void gw_setup(void)
{
	struct gw_span_cfg cfg;

	uv_loop_init(&gw.loop);
	snprintf(gw.dir, sizeof(gw.dir), "/tmp/fzvXXXXXX");
	if (!mkdtemp(gw.dir))
		abort();
	snprintf(gw.path, sizeof(gw.path), "%s/s", gw.dir);
	atexit(gw_cleanup);
	gw_span_cfg_default(&cfg, GW_SPAN_E1, 1);
	if (gw_tdm_virt_master_alloc(&gw.m, &gw.loop, &cfg, NULL, NULL) ||
	    gw_tdm_virt_master_listen(gw.m, gw.path))
		abort();
	cfg.ops = &gw_tdm_virt_ops;
	snprintf(cfg.dev, sizeof(cfg.dev), "%s", gw.path);
	cfg.retry_ms = 1;
	if (gw_span_alloc(&gw.span, &cfg) || gw_span_start(gw.span, &gw.loop) ||
	    gw_span_audio_attach(gw.span, &gw.loop, gw_tick, NULL))
		abort();
	gw_settle();
	gw.ready = true;
}

static void to_gateway(const uint8_t *data, size_t size)
{
	size_t off = 1;

	if (!gw.ready)
		gw_setup();
	for (int i = 0; i < 64 && off + 2 <= size; i++) {
		bool audio = data[off] & 0x80;
		size_t n = (size_t)(data[off] & 0x7f) << 8 | data[off + 1];
		off += 2;
		if (n > size - off)
			n = size - off;
		(void)gw_tdm_virt_master_send_raw(gw.m, audio, data + off, n);
		off += n;
		uv_run(&gw.loop, UV_RUN_NOWAIT);
	}
	/* put the line back in order for the next input */
	(void)gw_tdm_virt_master_alarm_send(gw.m, 0);
	gw_settle();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	uv_loop_t loop;
	struct gw_tdm_virt_master *m = NULL;
	struct gw_span_cfg cfg;
	int sv[2];
	size_t off = 0;

	if (!init) {
		log_set_level(LOGL_ERR);
		log_set_module_level("tdm_virt", LOGL_ERR);
		init = true;
	}
	if (size && (data[0] & 1)) {
		to_gateway(data, size);
		return 0;
	}
	uv_loop_init(&loop);
	gw_span_cfg_default(&cfg, GW_SPAN_E1, 1);
	if (gw_tdm_virt_master_alloc(&m, &loop, &cfg, NULL, NULL))
		abort();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv))
		abort();
	if (gw_tdm_virt_master_adopt(m, sv[0]))
		abort();
	for (int i = 0; i < 64 && off + 2 <= size; i++) {
		size_t n = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (n > size - off)
			n = size - off;
		roundtrip(data + off, n);
		(void)send(sv[1], data + off, n, MSG_NOSIGNAL);
		off += n;
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	/* drain what the master answered so the socket closes cleanly */
	for (int i = 0; i < 4; i++) {
		uint8_t buf[GW_TDM_VIRT_MAX];
		uv_run(&loop, UV_RUN_NOWAIT);
		while (recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
	}
	close(sv[1]);
	gw_tdm_virt_master_free(m);
	for (int i = 0; i < 8; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	if (uv_loop_close(&loop))
		abort();
	return 0;
}
