/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for what the dialog layer accepts from its owner and
 * writes into messages: the extra header lines of
 * sip_dialog_sess_set_hdrs() (checked, then turned into a CANCEL Reason)
 * and the options of sip_dialog_connect_opt() (From display name quoted
 * on output, From/To URIs, extra INVITE lines, offer). The input is up to
 * six parts separated by a line "%%\r\n": set_hdrs lines, display name,
 * From URI, To URI, INVITE lines, SDP ("-" in a part means NULL). INVITEs
 * go over UDP to a socket on 127.0.0.1 that nobody reads. The UA and
 * layer are rebuilt every 128 inputs so pending sessions do not pile up.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "base/log.h"
#include "sip/dialog.h"
#include "sip/ua.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uv_loop_t loop;
static struct sip_ua *ua;
static struct sip_dialog_layer *dl;
static struct sip_tp_addr sink;
static int sink_fd = -1;
static unsigned uses;

static const char sdp[] = "v=0\r\no=f 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
			  "t=0 0\r\nm=audio 4000 RTP/AVP 8\r\n";

static void teardown(void)
{
	sip_dialog_layer_free(dl);
	sip_ua_free(ua);
	dl = NULL;
	ua = NULL;
	for (int i = 0; i < 4; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
}

static int setup(void)
{
	static const struct sip_dialog_layer_cfg cfg = {
		.user = "fuzz",
		.timer = { .enabled = true, .interval = 1800, .min_se = 90 },
		.sdp = sdp,
	};

	if (sink_fd < 0) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		socklen_t al = sizeof(a);

		log_set_level(LOGL_ERR);
		if (uv_loop_init(&loop))
			return -1;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sink_fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (sink_fd < 0 || bind(sink_fd, (struct sockaddr *)&a, sizeof(a)) ||
		    getsockname(sink_fd, (struct sockaddr *)&a, &al))
			return -1;
		sink.tp = SIP_TP_UDP;
		memcpy(&sink.peer, &a, sizeof(a));
	}
	if (sip_ua_alloc(&ua, &loop, NULL) || sip_ua_listen(ua, SIP_TP_UDP, "127.0.0.1", 0) ||
	    sip_dialog_layer_alloc(&dl, ua, &loop, &cfg, NULL, NULL))
		return -1;
	uses = 0;
	return 0;
}

/* Part i, NULL when absent or "-". */
static const char *part(char *const *pv, size_t n, size_t i)
{
	if (i >= n || !strcmp(pv[i], "-"))
		return NULL;
	return pv[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_dialog_connect_opt opt;
	struct sip_dialog_sess *s = NULL;
	char *text, *pv[6];
	size_t n = 0;

	if (size > 16384)
		return 0;
	if (!dl && setup()) {
		teardown();
		return 0;
	}
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	pv[n++] = text;
	for (char *p = text; n < 6 && (p = strstr(p, "%%\r\n"));) {
		*p = '\0';
		p += 4;
		pv[n++] = p;
	}
	memset(&opt, 0, sizeof(opt));
	opt.from_display = part(pv, n, 1);
	opt.from_uri = part(pv, n, 2);
	opt.to_uri = part(pv, n, 3);
	opt.hdrs = part(pv, n, 4);
	opt.sdp = part(pv, n, 5);
	/* the fuzzed options, or the defaults when they are refused */
	if (sip_dialog_connect_opt(dl, &s, "sip:peer@127.0.0.1", &sink, &opt) &&
	    sip_dialog_connect_opt(dl, &s, "sip:peer@127.0.0.1", &sink, NULL))
		s = NULL;
	if (s) {
		if (sip_dialog_sess_msg(s))
			abort(); /* never set outside a handler */
		sip_dialog_sess_peer(s);
		sip_dialog_sess_set_hdrs(s, part(pv, n, 0));
		/* the CANCEL's Reason is taken from the lines now (the CANCEL
		   itself waits for a provisional that never comes) */
		sip_dialog_sess_bye(s);
		sip_dialog_sess_set_hdrs(s, part(pv, n, 0));
		sip_dialog_sess_set_hdrs(s, NULL);
	}
	uv_run(&loop, UV_RUN_NOWAIT);
	free(text);
	if (++uses >= 128)
		teardown();
	return 0;
}
