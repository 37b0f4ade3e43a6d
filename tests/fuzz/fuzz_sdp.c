/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for sip/sdp: the input is an SDP body. It is parsed,
 * printed and parsed again (the print must parse and print identically),
 * answered from fixed capabilities (the answer must keep the m= count and
 * print), and applied as an answer to one of our offers.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct sdp_codec codecs[] = {
	{ "PCMA", 8000, 1, 8, NULL },
	{ "PCMU", 8000, 1, 0, NULL },
	{ "G722", 8000, 1, 9, NULL },
};
static const enum sdp_srtp_suite suites[] = {
	SDP_SRTP_AES_CM_128_HMAC_SHA1_80, SDP_SRTP_AEAD_AES_128_GCM,
};

static struct sdp_session s1, s2, ans, offer;
static struct sdp_neg neg;
static char out1[65536], out2[65536];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_caps caps = {
		.codecv = codecs, .ncodec = 3, .dtmf = true, .dtmf_pt = 101,
		.ptime = 20, .t38 = true, .suitev = suites, .nsuite = 2,
		.rtcp_mux = true,
	};
	struct sdp_local loc = { .caps = &caps, .audio_port = 4000,
				 .image_port = 4002, .dir = SDP_DIR_SENDRECV };
	char *buf = malloc(size ? size : 1);
	size_t l1, l2;

	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	struct pl body = { buf, size };
	sdp_conn_set(&loc.addr, "127.0.0.1");
	caps.srtp = size ? (enum sdp_srtp_policy)(data[0] % 3) : SDP_SRTP_OFF;
	caps.prefer_remote = size > 1 && (data[1] & 1);

	if (sdp_decode(&s1, &body) == 0) {
		if (sdp_encode(&s1, out1, sizeof(out1), &l1) == 0) {
			struct pl p = { out1, l1 };
			if (sdp_decode(&s2, &p))
				abort();
			if (sdp_encode(&s2, out2, sizeof(out2), &l2) ||
			    l1 != l2 || memcmp(out1, out2, l1))
				abort();
		}
		int err = sdp_answer(&ans, &neg, &loc, &s1);
		if (err == 0 || err == ENOTSUP) {
			if (ans.nmedia != s1.nmedia)
				abort();
			if (sdp_encode(&ans, out1, sizeof(out1), &l1) == 0) {
				struct pl p = { out1, l1 };
				if (sdp_decode(&s2, &p) || s2.nmedia != s1.nmedia)
					abort();
			}
		}
		if (sdp_offer(&offer, &loc, SDP_OFFER_AUDIO | SDP_OFFER_IMAGE,
			      NULL) == 0)
			sdp_apply_answer(&neg, &loc, &offer, &s1);
	}
	free(buf);
	return 0;
}
