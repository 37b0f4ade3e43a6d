/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for the dialog state machine (sip/dialog): the input
 * is up to four SIP messages separated by a line "%%\r\n". The first one,
 * if a request, creates a UAS dialog; if a response, it is taken as the
 * answer to a fixed INVITE and may create a UAC dialog. The following
 * messages are fed as in-dialog requests or responses, and after each an
 * in-dialog request of every method is built. Checks that nothing
 * crashes, leaks or reads out of bounds whatever the headers hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/dialog.h"
#include "sip/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char invite[] = "INVITE sip:bob@192.0.2.2 SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKf\r\n"
			     "From: <sip:alice@example.com>;tag=atag\r\n"
			     "To: <sip:bob@example.com>\r\n"
			     "Call-ID: fuzz-call\r\nCSeq: 1 INVITE\r\n"
			     "Contact: <sip:alice@192.0.2.1>\r\n"
			     "Content-Length: 0\r\n\r\n";

static void build_all(struct sip_dialog *dlg)
{
	static const enum sip_method mv[] = {
		SIP_METHOD_INVITE, SIP_METHOD_ACK, SIP_METHOD_BYE, SIP_METHOD_UPDATE,
		SIP_METHOD_PRACK, SIP_METHOD_INFO, SIP_METHOD_CANCEL,
	};
	for (size_t i = 0; i < sizeof(mv) / sizeof(mv[0]); i++) {
		struct sip_dialog_req rq;
		struct sip_buf b;

		sip_buf_init(&b, 8192);
		sip_dialog_request(dlg, mv[i], i & 1, &rq, &b);
		sip_buf_free(&b);
	}
	sip_dialog_route_is_loose(dlg->routec ? dlg->route[0] : "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_dialogs *set = NULL;
	struct sip_dialog *dlg = NULL;
	struct sip_msg *msg = NULL, *inv = NULL;
	char *text;
	char *part[4];
	size_t n = 0;

	if (size > 32768)
		return 0;
	text = malloc(size + 1);
	msg = malloc(sizeof(*msg));
	inv = malloc(sizeof(*inv));
	if (!text || !msg || !inv || sip_dialogs_alloc(&set, 4))
		goto out;
	memcpy(text, data, size);
	text[size] = '\0';
	part[n++] = text;
	for (char *p = text; n < 4 && (p = strstr(p, "%%\r\n")); ) {
		*p = '\0';
		p += 4;
		part[n++] = p;
	}
	if (sip_msg_decode(inv, invite, sizeof(invite) - 1))
		goto out;
	for (size_t i = 0; i < n; i++) {
		uint32_t ra;

		/* part i is NUL-terminated inside text; decode its bytes */
		if (sip_msg_decode(msg, part[i], strlen(part[i])))
			continue;
		if (!dlg) {
			if (msg->req)
				sip_dialog_uas_create(set, msg, "ltag", "sip:me@192.0.2.2", i & 1, &dlg);
			else
				sip_dialog_uac_rx(set, inv, msg, "sip:alice@192.0.2.1", false, &dlg);
			if (dlg) {
				sip_dialog_tx_response(dlg, SIP_METHOD_INVITE, 200, true);
				build_all(dlg);
			}
			continue;
		}
		if (msg->req) {
			sip_dialogs_match_req(set, msg);
			sip_dialog_rx_request(dlg, msg, &ra);
			sip_dialog_tx_response(dlg, msg->meth, 200, sip_dialog_msg_has_sdp(msg));
		} else {
			sip_dialogs_match_rsp(set, msg);
			sip_dialog_rx_response(dlg, msg);
		}
		if (dlg->state != SIP_DIALOG_TERMINATED)
			build_all(dlg);
	}
	{
		struct pl cid = PL("fuzz-call"), lt = PL("atag");

		sip_dialogs_uac_fail(set, &cid, &lt);
	}
out:
	sip_dialogs_free(set);
	free(text);
	free(msg);
	free(inv);
	return 0;
}
