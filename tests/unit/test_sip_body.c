/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for sip/body: multipart splitting (RFC 2046 §5.1.1 preamble,
 * transport padding, close-delimiter, epilogue, quoted boundaries,
 * parts without headers, binary parts), part headers (Content-Type with
 * version/base, Content-Disposition handling), malformed bodies, and
 * building a SIP-I body (SDP + ISUP) that parses back byte for byte.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sip/body.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void pl_eq(const struct pl *pl, const char *s)
{
	char buf[512];

	if (!s) {
		assert_null(pl->p);
		return;
	}
	assert_non_null(pl->p);
	assert_int_equal(pl_strcpy(pl, buf, sizeof(buf)), 0);
	assert_string_equal(buf, s);
}

static int split(const char *ctype, const char *body, size_t len, struct sip_multipart *mp)
{
	struct sip_ctype ct;
	struct pl c = pl_from_str(ctype), b = { body, len ? len : strlen(body) };

	assert_int_equal(sip_ctype_decode(&ct, &c), 0);
	return sip_body_multipart_decode(mp, &ct, &b);
}

static const unsigned char iam[] = {
	0x01, 0x00, 0x60, 0x01, 0x0a, 0x00, 0x02, 0x0a, 0x08, 0x83, 0x90, 0x89, 0x19,
	0x32, 0x54, 0x76, 0x08, 0x0d, 0x0a, 0x2d, 0x2d, 0x00, 0x0d, 0x0a, 0x00,
};

static void test_sipi_split(void **state)
{
	static const char body[] =
		"This is the preamble; it is ignored.\r\n"
		"--unique-boundary-1 \t\r\n"
		"Content-Type: application/sdp\r\n"
		"\r\n"
		"v=0\r\n"
		"o=- 1 1 IN IP4 192.0.2.1\r\n"
		"\r\n"
		"--unique-boundary-1\r\n"
		"c: application/ISUP;\r\n"
		" version=itu-t92+;base=itu-t92+\r\n"
		"Content-Disposition: signal;handling=optional\r\n"
		"\r\n"
		"\x01\x00\r\n--\r\n"
		"\r\n"
		"--unique-boundary-1--\r\n"
		"epilogue, also ignored\r\n";
	struct sip_multipart mp;
	const struct sip_body_part *p;
	struct pl v;
	(void)state;

	assert_int_equal(split("multipart/mixed;boundary=unique-boundary-1", body,
			       sizeof(body) - 1, &mp), 0);
	assert_int_equal(mp.partc, 2);
	pl_eq(&mp.boundary, "unique-boundary-1");
	p = &mp.partv[0];
	assert_true(sip_ctype_is(&p->ctype, "application", "sdp"));
	pl_eq(&p->body, "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n");
	assert_true(p->required);
	assert_null(p->disp.p);
	p = sip_body_multipart_find(&mp, "application", "isup");
	assert_ptr_equal(p, &mp.partv[1]);
	assert_int_equal(sip_param_get(&p->ctype.params, "version", &v), 0);
	pl_eq(&v, "itu-t92+");
	assert_int_equal(sip_param_get(&p->ctype.params, "base", &v), 0);
	pl_eq(&v, "itu-t92+");
	pl_eq(&p->disp_type, "signal");
	assert_false(p->required);
	assert_int_equal(p->body.l, 8);
	assert_memory_equal(p->body.p, "\x01\x00\r\n--\r\n", 8);
	assert_int_equal(sip_body_part_hdr(p, "content-disposition", &v), 0);
	pl_eq(&v, "signal;handling=optional");
	assert_int_equal(sip_body_part_hdr(p, "Content-ID", &v), ENOENT);
	assert_null(sip_body_multipart_find(&mp, "text", "plain"));
}

static void test_split_vectors(void **state)
{
	static const struct {
		const char *ctype;
		const char *body;
		int err;
		unsigned parts;
		const char *first_body;
		const char *first_type;
	} tv[] = {
		{ "multipart/mixed;boundary=b", "--b\r\n\r\nA\r\n--b--", 0, 1, "A", "text/plain" },
		{ "multipart/mixed;boundary=\"b c\"", "--b c\r\nContent-Type: text/x\r\n\r\nA\r\n--b c--\r\n",
		  0, 1, "A", "text/x" },
		{ "multipart/related;boundary=b", "--b\n\nA\n--b\n\nB\n--b--\n", 0, 2, "A",
		  "text/plain" },
		{ "multipart/mixed;boundary=b", "--b\r\n\r\n--bx not a delimiter\r\n--b--", 0, 1,
		  "--bx not a delimiter", "text/plain" },
		{ "multipart/mixed;boundary=b", "--b\r\n\r\n\r\n--b--", 0, 1, "", "text/plain" },
		{ "multipart/mixed;boundary=b", "--b\r\n--b\r\n\r\nB\r\n--b--", 0, 2, "", "text/plain" },
		{ "multipart/mixed;boundary=b", "--b\r\nContent-Type: a/b\r\n--b--", 0, 1, "", "a/b" },
		{ "multipart/mixed;boundary=b", "no delimiter at all", EINVAL, 0, NULL, NULL },
		{ "multipart/mixed;boundary=b", "--b\r\n\r\nA\r\n", EINVAL, 0, NULL, NULL },
		{ "multipart/mixed;boundary=b", "--b--\r\n", EINVAL, 0, NULL, NULL },
		{ "multipart/mixed;boundary=b", "--b\r\nNoColon\r\n\r\nA\r\n--b--", EINVAL, 0, NULL, NULL },
		{ "multipart/mixed;boundary=b", "--b\r\nContent-Type: bad\r\n\r\nA\r\n--b--", EINVAL, 0, NULL, NULL },
		{ "multipart/mixed;boundary=b", "--b\r\nContent-Disposition: ;x\r\n\r\nA\r\n--b--",
		  EINVAL, 0, NULL, NULL },
		{ "multipart/mixed", "--b\r\n\r\nA\r\n--b--", EINVAL, 0, NULL, NULL },
		{ "multipart/mixed;boundary=\"\"", "--\r\n\r\nA\r\n----", EINVAL, 0, NULL, NULL },
		{ "application/sdp;boundary=b", "--b\r\n\r\nA\r\n--b--", EINVAL, 0, NULL, NULL },
		{ "multipart/mixed;boundary=b",
		  "--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b\r\n\r\n3\r\n--b\r\n\r\n4\r\n--b\r\n\r\n5\r\n"
		  "--b\r\n\r\n6\r\n--b\r\n\r\n7\r\n--b\r\n\r\n8\r\n--b\r\n\r\n9\r\n--b--",
		  E2BIG, 0, NULL, NULL },
	};
	(void)state;
	for (size_t i = 0; i < N(tv); i++) {
		struct sip_multipart mp;
		int err = split(tv[i].ctype, tv[i].body, 0, &mp);
		if (err != tv[i].err)
			fail_msg("vector %zu: %d", i, err);
		if (err)
			continue;
		assert_int_equal(mp.partc, tv[i].parts);
		pl_eq(&mp.partv[0].body, tv[i].first_body);
		{
			char t[64];
			struct pl ty = mp.partv[0].ctype.type, st = mp.partv[0].ctype.subtype;
			size_t n = ty.l + 1 + st.l;
			assert_true(n < sizeof(t));
			memcpy(t, ty.p, ty.l);
			t[ty.l] = '/';
			memcpy(t + ty.l + 1, st.p, st.l);
			t[n] = '\0';
			assert_string_equal(t, tv[i].first_type);
		}
	}
}

static void test_build_roundtrip(void **state)
{
	static const char sdp[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
				  "t=0 0\r\nm=audio 4000 RTP/AVP 8\r\n";
	const struct sip_body_part_spec parts[] = {
		{ "application/sdp", NULL, sdp, sizeof(sdp) - 1 },
		{ "application/ISUP;version=itu-t92+;base=itu-t92+", "signal;handling=required",
		  iam, sizeof(iam) },
	};
	struct sip_buf b, m;
	struct sip_msg *msg = malloc(sizeof(*msg));
	struct sip_multipart mp;
	struct pl ruri = PL("sip:4989123@gw.example;user=phone");
	(void)state;

	sip_buf_init(&b, 0);
	assert_int_equal(sip_body_multipart_encode(&b, "sipi-b1", parts, N(parts)), 0);

	/* inside a whole SIP-I INVITE */
	sip_buf_init(&m, 0);
	assert_int_equal(sip_msg_request(&m, "INVITE", &ruri,
					 "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKs\r\n"
					 "From: <sip:1@a>;tag=f\r\nTo: <sip:2@b>\r\n"
					 "Call-ID: sipi\r\nCSeq: 1 INVITE\r\nMIME-Version: 1.0\r\n",
					 "multipart/mixed;boundary=sipi-b1", b.p, b.len), 0);
	assert_int_equal(sip_msg_decode(msg, m.p, m.len), 0);
	assert_int_equal(msg->body.l, b.len);
	assert_int_equal(sip_body_multipart_decode(&mp, &msg->ctype, &msg->body), 0);
	assert_int_equal(mp.partc, 2);
	assert_true(sip_ctype_is(&mp.partv[0].ctype, "application", "sdp"));
	assert_int_equal(mp.partv[0].body.l, sizeof(sdp) - 1);
	assert_memory_equal(mp.partv[0].body.p, sdp, sizeof(sdp) - 1);
	assert_true(sip_ctype_is(&mp.partv[1].ctype, "application", "isup"));
	assert_int_equal(mp.partv[1].body.l, sizeof(iam));
	assert_memory_equal(mp.partv[1].body.p, iam, sizeof(iam));
	assert_true(mp.partv[1].required);
	pl_eq(&mp.partv[1].disp_type, "signal");

	/* refusals: boundary inside a part, bad boundaries, bad values */
	{
		const struct sip_body_part_spec bad[] = {
			{ "text/plain", NULL, "x--sipi-b1y", 11 },
		};
		const struct sip_body_part_spec crlf[] = {
			{ "text/plain\r\nX: y", NULL, "x", 1 },
		};
		sip_buf_reset(&b);
		assert_int_equal(sip_body_multipart_encode(&b, "sipi-b1", bad, 1), EINVAL);
		assert_int_equal(sip_body_multipart_encode(&b, "bad\"q", parts, 1), EINVAL);
		assert_int_equal(sip_body_multipart_encode(&b, "trailing ", parts, 1), EINVAL);
		assert_int_equal(sip_body_multipart_encode(&b, "", parts, 1), EINVAL);
		assert_int_equal(sip_body_multipart_encode(
					 &b, "0123456789012345678901234567890123456789012345678901234567890123456789x",
					 parts, 1),
				 EINVAL);
		assert_int_equal(sip_body_multipart_encode(&b, "ok", crlf, 1), EINVAL);
		assert_int_equal(sip_body_multipart_encode(&b, "ok", parts, 0), EINVAL);
		assert_int_equal(b.len, 0);
	}
	sip_buf_free(&b);
	sip_buf_free(&m);
	free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sipi_split),
		cmocka_unit_test(test_split_vectors),
		cmocka_unit_test(test_build_roundtrip),
	};
	return cmocka_run_group_tests_name("sip_body", tests, NULL, NULL);
}
