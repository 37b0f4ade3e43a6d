/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for the SIP message layer (sip/msg, sip/hdr): the
 * input is one datagram. Decode it, walk every header, run every value
 * decoder over every value of its header, frame the same bytes as a
 * stream, build a response when one can be formed, split a multipart
 * body, and check that printed Via and name-addr values parse again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/body.h"
#include "sip/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_roundtrip_via(const struct sip_via *v)
{
	struct sip_buf b;
	struct sip_via v2;
	struct pl out;

	sip_buf_init(&b, 0);
	if (sip_via_print(&b, v) == 0) {
		out = sip_buf_slice(&b);
		if (sip_via_decode(&v2, &out) || pl_cmp(&v->branch, &v2.branch) ||
		    v->port != v2.port || pl_casecmp(&v->host, &v2.host))
			abort();
	}
	sip_buf_free(&b);
}

static void check_roundtrip_addr(const struct sip_addr *a)
{
	struct sip_buf b;
	struct sip_addr a2;
	struct pl out;

	sip_buf_init(&b, 0);
	if (sip_addr_print(&b, a) == 0) {
		out = sip_buf_slice(&b);
		if (sip_addr_decode(&a2, &out) || !sip_uri_equal(&a->uri, &a2.uri) ||
		    pl_cmp(&a->tag, &a2.tag))
			abort();
	}
	sip_buf_free(&b);
}

static void values(const struct sip_msg *msg, enum sip_hdr_id id)
{
	struct sip_msg_iter it;
	struct pl v;

	sip_msg_iter_init(&it, msg, id);
	while (sip_msg_iter_next(&it, &v)) {
		union {
			struct sip_via via;
			struct sip_addr addr;
			struct sip_contact c;
			struct sip_cseq cs;
			struct sip_rack rack;
			struct sip_session_expires se;
			struct sip_event ev;
			struct sip_reason r;
			struct sip_ctype ct;
		} u;
		uint32_t x;
		char tmp[256];
		size_t n;

		switch (id) {
		case SIP_HDR_VIA:
			if (!sip_via_decode(&u.via, &v))
				check_roundtrip_via(&u.via);
			break;
		case SIP_HDR_CONTACT:
			if (!sip_contact_decode(&u.c, &v) && !u.c.star)
				check_roundtrip_addr(&u.c.addr);
			break;
		case SIP_HDR_FROM:
		case SIP_HDR_TO:
		case SIP_HDR_ROUTE:
		case SIP_HDR_RECORD_ROUTE:
		case SIP_HDR_P_ASSERTED_IDENTITY:
		case SIP_HDR_DIVERSION:
		case SIP_HDR_HISTORY_INFO:
		case SIP_HDR_REFER_TO:
			if (!sip_addr_decode(&u.addr, &v)) {
				check_roundtrip_addr(&u.addr);
				sip_uri_tel_digits(&u.addr.uri.user, tmp, sizeof(tmp));
			}
			break;
		case SIP_HDR_CSEQ:
			sip_cseq_decode(&u.cs, &v);
			break;
		case SIP_HDR_RACK:
			sip_rack_decode(&u.rack, &v);
			break;
		case SIP_HDR_SESSION_EXPIRES:
		case SIP_HDR_MIN_SE:
			sip_session_expires_decode(&u.se, &v);
			break;
		case SIP_HDR_EVENT:
			sip_event_decode(&u.ev, &v);
			break;
		case SIP_HDR_REASON:
			sip_reason_decode(&u.r, &v);
			break;
		case SIP_HDR_CONTENT_TYPE:
			sip_ctype_decode(&u.ct, &v);
			break;
		case SIP_HDR_RSEQ:
		case SIP_HDR_EXPIRES:
			sip_uint_decode(&x, &v);
			break;
		default:
			sip_pl_unfold(&v, tmp, sizeof(tmp), &n);
			sip_pl_unescape(&v, tmp, sizeof(tmp), &n);
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const supported[] = { "100rel", "timer", NULL };
	struct sip_msg *msg;
	struct sip_frame fr;
	struct sip_buf b;
	char *buf;

	if (size > 2 * SIP_MSG_MAX_SIZE)
		return 0;
	/* exact-size copy so any over-read is caught */
	buf = malloc(size ? size : 1);
	msg = malloc(sizeof(*msg));
	if (!buf || !msg)
		goto out;
	memcpy(buf, data, size);

	sip_msg_frame(buf, size, 0, &fr);
	if (fr.kind == SIP_FRAME_MSG && (fr.skip > size || fr.len > size - fr.skip))
		abort();
	if (fr.kind == SIP_FRAME_MSG) {
		/* the framed message decodes on its own, and a tighter bound holds */
		struct sip_frame fr2;
		sip_msg_decode(msg, buf + fr.skip, fr.len);
		if (sip_msg_frame(buf, size, fr.len / 2 + 1, &fr2) == SIP_FRAME_MSG &&
		    fr2.len > fr.len / 2 + 1)
			abort();
	}

	sip_msg_decode(msg, buf, size);
	if (msg->len > size)
		abort();
	for (unsigned id = 0; id < SIP_HDR_COUNT; id++)
		values(msg, id);
	for (unsigned i = 0; i < msg->hdrc; i++)
		sip_msg_hdr_byname(msg, sip_hdr_name(msg->hdrv[i].id));
	{
		struct sip_contact c;
		struct sip_rack rack;
		struct sip_session_expires se;
		struct sip_event ev;
		uint32_t x;
		sip_msg_contact(msg, &c);
		sip_msg_rack(msg, &rack);
		sip_msg_rseq(msg, &x);
		sip_msg_session_expires(msg, &se);
		sip_msg_min_se(msg, &x);
		sip_msg_event(msg, &ev);
	}
	sip_buf_init(&b, 0);
	sip_msg_unsupported(msg, supported, &b);
	sip_buf_reset(&b);
	if (msg->err.can_respond) {
		struct sip_reply_opt opt = { .to_tag = "t", .record_route = true };
		struct sip_msg *rsp = malloc(sizeof(*rsp));
		if (sip_msg_reply(&b, msg, msg->err.status ? msg->err.status : 200, msg->err.reason,
				  &opt) == 0 && rsp) {
			/* a response built from an answerable request must parse */
			if (!msg->err.status && sip_msg_decode(rsp, b.p, b.len) &&
			    rsp->err.status != 513)
				abort();
		}
		free(rsp);
	}
	sip_buf_free(&b);
	if (msg->ctype.type.p) {
		struct sip_multipart *mp = malloc(sizeof(*mp));
		if (mp)
			sip_body_multipart_decode(mp, &msg->ctype, &msg->body);
		free(mp);
	}
out:
	free(msg);
	free(buf);
	return 0;
}
