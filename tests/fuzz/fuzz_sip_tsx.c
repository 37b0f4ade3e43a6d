/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for the SIP transaction layer and the UA core glue
 * (sip/tsx, sip/ua). The input is a script of chunks separated by NUL
 * bytes; the first byte of a chunk is an operation: feed the rest as a
 * received message (UDP or TCP source; new requests get a server
 * transaction and an answer whose status comes from the script), start a
 * client transaction with it, move the manual clock, make the fake
 * transport fail, cancel the last client INVITE, fail a fake stream
 * connection. The same messages then
 * go through sip_ua_input() of a UA on a loop without listeners. Nothing
 * may crash, leak, or leave a transaction behind after the layer is freed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/log.h"
#include "sip/msg.h"
#include "sip/tsx.h"
#include "sip/ua.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
	struct sip_tsxl *tl;
	struct sip_tsx *client;
	bool fail;
};

static int fz_send(const struct sip_tp_addr *dst, const char *buf, size_t len,
		   uint64_t *conn, void *arg)
{
	struct fz *f = arg;
	/* streams: one of three fake connections */
	if (conn && dst->tp == SIP_TP_TCP)
		*conn = 1 + len % 3;
	/* touch every byte so ASan checks the buffer */
	volatile unsigned sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += (unsigned char)buf[i];
	return f->fail ? 104 /* ECONNRESET */ : 0;
}

static void fz_resp(struct sip_tsx *tsx, const struct sip_msg *resp, int err,
		    void *arg)
{
	struct fz *f = arg;
	(void)err;
	if (tsx == f->client &&
	    (!resp || resp->scode >= 300 ||
	     (resp->scode >= 200 && resp->cseq.meth != SIP_METHOD_INVITE)))
		f->client = NULL;
}

static const uint16_t codes[] = { 100, 180, 183, 200, 202, 302, 404, 486,
				  487, 500, 503, 603 };

static void run_tsx(const uint8_t *data, size_t size)
{
	struct fz f = { .tl = NULL };
	struct sip_tsx_cfg cfg = { .max_tsx = 64 };
	uint64_t now = 0;
	size_t off = 0;

	if (sip_tsxl_alloc(&f.tl, NULL, &cfg, fz_send, &f))
		return;
	for (unsigned steps = 0; off < size && steps < 64; steps++) {
		const uint8_t *end = memchr(data + off, 0, size - off);
		size_t n = end ? (size_t)(end - (data + off)) : size - off;
		const uint8_t *c = data + off;
		off += n + 1;
		if (n == 0)
			continue;
		uint8_t op = c[0];
		char *msgbuf = malloc(n);
		if (!msgbuf)
			break;
		memcpy(msgbuf, c + 1, n - 1);
		struct sip_tp_addr src = { .tp = (op & 0x10) ? SIP_TP_TCP : SIP_TP_UDP };
		sip_sa_set(&src.peer, (op & 0x20) ? "::1" : "127.0.0.1", 5060);
		struct sip_msg *m = malloc(sizeof(*m));
		switch (op % 7) {
		case 0: /* message in */
			if (m && !sip_msg_decode(m, msgbuf, n - 1) &&
			    sip_tsxl_recv(f.tl, m, &src) == SIP_TSX_RX_NEW &&
			    m->req && m->meth != SIP_METHOD_ACK) {
				struct sip_tsx *t = NULL;
				if (!sip_tsx_server(&t, f.tl, m, &src)) {
					struct sip_buf b;
					struct sip_reply_opt o = { .to_tag = "fz" };
					sip_buf_init(&b, 0);
					uint16_t code = codes[(op >> 3) % 12];
					if (!sip_tsx_build_reply(&b, m, &src, code,
								 NULL, &o))
						sip_tsx_reply(t, b.p, b.len);
					if (code < 200) {
						sip_buf_reset(&b);
						if (!sip_tsx_build_reply(&b, m, &src,
									 200, NULL, &o))
							sip_tsx_reply(t, b.p, b.len);
					}
					sip_buf_free(&b);
				}
			}
			break;
		case 1: /* client transaction */
			if (!f.client)
				sip_tsx_request(&f.client, f.tl, &src, msgbuf,
						n - 1, fz_resp, &f);
			else
				sip_tsx_request(NULL, f.tl, &src, msgbuf, n - 1,
						NULL, NULL);
			break;
		case 2: /* time */
			now += (uint64_t)(op >> 3) * 250 + (n > 1 ? c[1] * 40u : 0);
			sip_tsxl_set_time(f.tl, now);
			break;
		case 3:
			f.fail = !f.fail;
			break;
		case 4:
			if (f.client)
				sip_tsx_cancel(f.client, (op & 8) ? "SIP;cause=487" : NULL);
			break;
		case 5:
			if (f.client) {
				sip_tsx_detach(f.client);
				f.client = NULL;
			}
			break;
		case 6: /* a stream connection fails */
			sip_tsxl_conn_failed(f.tl, 1 + (op >> 3) % 3,
					     (op & 0x80) ? 0 : 104);
			break;
		}
		free(m);
		free(msgbuf);
	}
	/* let every timer run out */
	f.fail = false;
	for (int i = 0; i < 8; i++) {
		now += 40000;
		sip_tsxl_set_time(f.tl, now);
	}
	struct sip_tsxl_stats st;
	sip_tsxl_stats(f.tl, &st);
	if (st.live != 0)
		abort();
	sip_tsxl_free(f.tl);
}

static void run_ua(const uint8_t *data, size_t size)
{
	uv_loop_t loop;
	struct sip_ua *ua = NULL;
	size_t off = 0;

	if (uv_loop_init(&loop))
		return;
	struct sip_ua_cfg cfg = { .tsx = { .max_tsx = 64 } };
	static const char *const sup[] = { "100rel", NULL };
	cfg.supported = sup;
	if (sip_ua_alloc(&ua, &loop, &cfg))
		goto out;
	for (unsigned steps = 0; off < size && steps < 64; steps++) {
		const uint8_t *end = memchr(data + off, 0, size - off);
		size_t n = end ? (size_t)(end - (data + off)) : size - off;
		const uint8_t *c = data + off;
		off += n + 1;
		if (n < 2)
			continue;
		char *buf = malloc(n);
		if (!buf)
			break;
		memcpy(buf, c + 1, n - 1);
		struct sip_tp_addr src = { .tp = (c[0] & 1) ? SIP_TP_TCP : SIP_TP_UDP,
					   .conn = c[0] & 1 };
		sip_sa_set(&src.peer, "127.0.0.1", 5062);
		sip_ua_input(ua, &src, buf, n - 1, (c[0] & 0x80) != 0);
		free(buf);
	}
	sip_ua_free(ua);
	for (int i = 0; i < 4; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
out:
	uv_loop_close(&loop);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	if (!init) {
		log_set_level(LOGL_ERR);
		init = true;
	}
	run_tsx(data, size);
	run_ua(data, size);
	return 0;
}
