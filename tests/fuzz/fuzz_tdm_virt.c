/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for gw/tdm_virt (docs/tdm_virt.md). The input is a
 * series of datagrams, each prefixed by a 2-byte big-endian length. Every
 * datagram goes through the decoder (a decoded message must re-encode to
 * the same bytes), then all of them are sent over a real SOCK_SEQPACKET
 * socketpair to a master, which must survive any order of garbage,
 * HELLOs, frames and errors without crashing, leaking or hanging.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
