/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for gw/ident: calling and redirecting party from SIP
 * (From, PAI, Privacy, Remote-Party-ID, Diversion, History-Info) and the
 * headers made for the PSTN -> SIP direction, parsed back by the stack.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "gw/ident.h"
#include "sip/hdr.h"
#include "sip/msg.h"

static char msgbuf[4096];

static int parse(struct sip_msg *m, const char *extra)
{
	int n = snprintf(msgbuf, sizeof(msgbuf),
		"INVITE sip:1001@gw.example SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc\r\n"
		"%s"
		"To: <sip:1001@gw.example>\r\n"
		"Call-ID: id1@192.0.2.1\r\n"
		"CSeq: 1 INVITE\r\n"
		"Max-Forwards: 70\r\n"
		"Contact: <sip:caller@192.0.2.1>\r\n"
		"Content-Length: 0\r\n\r\n", extra);
	return sip_msg_decode(m, msgbuf, (size_t)n);
}

static void test_from_sip(void **state)
{
	static const struct {
		const char *hdrs;
		bool trust;
		const char *num;
		enum gw_pres pres;
		enum gw_screen screen;
		const char *name;
		bool name_restricted;
		const char *redir;
		enum gw_redir_reason reason;
		unsigned count;
	} testv[] = {
		{ "From: \"Alice\" <sip:+4930123@pbx.example>;tag=1\r\n", false,
		  "+4930123", GW_PRES_ALLOWED, GW_SCREEN_USER_NOT_SCREENED, "Alice", false, "", 0, 0 },
		{ "From: <sip:030-12(3)@pbx.example;user=phone>;tag=1\r\n", false,
		  "030123", GW_PRES_ALLOWED, GW_SCREEN_USER_NOT_SCREENED, "", false, "", 0, 0 },
		/* trusted PAI wins over From, tel preferred over sip */
		{ "From: \"Bob\" <sip:bob@pbx.example>;tag=1\r\n"
		  "P-Asserted-Identity: \"Bob B\" <sip:+4940555@carrier.example>, <tel:+49-40-556>\r\n",
		  true, "+4940556", GW_PRES_ALLOWED, GW_SCREEN_NETWORK, "Bob B", false, "", 0, 0 },
		/* untrusted PAI is ignored */
		{ "From: <sip:+111@pbx.example>;tag=1\r\n"
		  "P-Asserted-Identity: <sip:+222@evil.example>\r\n",
		  false, "+111", GW_PRES_ALLOWED, GW_SCREEN_USER_NOT_SCREENED, "", false, "", 0, 0 },
		/* RFC 3323 anonymous From with PAI + Privacy: id */
		{ "From: \"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=1\r\n"
		  "P-Asserted-Identity: <sip:+4930999@carrier.example>\r\n"
		  "Privacy: id\r\n",
		  true, "+4930999", GW_PRES_RESTRICTED, GW_SCREEN_NETWORK, "", true, "", 0, 0 },
		/* anonymous, nothing else: restricted with no number */
		{ "From: \"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=1\r\n", true,
		  "", GW_PRES_RESTRICTED, GW_SCREEN_USER_NOT_SCREENED, "", true, "", 0, 0 },
		/* no usable number: unavailable */
		{ "From: <sip:pbx.example>;tag=1\r\n", false,
		  "", GW_PRES_UNAVAILABLE, GW_SCREEN_USER_NOT_SCREENED, "", false, "", 0, 0 },
		/* Privacy: user hides the name only */
		{ "From: \"Carol\" <sip:+333@pbx.example>;tag=1\r\nPrivacy: user\r\n", false,
		  "+333", GW_PRES_ALLOWED, GW_SCREEN_USER_NOT_SCREENED, "Carol", true, "", 0, 0 },
		/* Remote-Party-ID with privacy=full, screen=yes */
		{ "From: <sip:x@pbx.example>;tag=1\r\n"
		  "Remote-Party-ID: \"Dan\" <sip:+444@pbx.example>;party=calling;screen=yes;privacy=full\r\n",
		  true, "+444", GW_PRES_RESTRICTED, GW_SCREEN_NETWORK, "Dan", true, "", 0, 0 },
		/* Diversion: top entry, reason, counters summed */
		{ "From: <sip:+555@pbx.example>;tag=1\r\n"
		  "Diversion: <sip:+4930111@pbx.example>;reason=user-busy;counter=1,"
		  " <sip:+4930222@pbx.example>;reason=no-answer\r\n"
		  "Diversion: <tel:+4930333>;reason=\"unconditional\";counter=2\r\n",
		  false, "+555", GW_PRES_ALLOWED, GW_SCREEN_USER_NOT_SCREENED, "", false,
		  "+4930111", GW_REDIR_BUSY, 4 },
		/* History-Info with RFC 4458 cause */
		{ "From: <sip:+666@pbx.example>;tag=1\r\n"
		  "History-Info: <sip:+4930777@pbx.example>;index=1,"
		  " <sip:+4930888@pbx.example;cause=408>;index=1.1\r\n",
		  false, "+666", GW_PRES_ALLOWED, GW_SCREEN_USER_NOT_SCREENED, "", false,
		  "+4930777", GW_REDIR_NO_REPLY, 1 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		struct sip_msg m;
		struct gw_party p;
		struct gw_redirect r;
		struct gw_ident_policy pol = { .trust_pai = testv[i].trust };
		if (parse(&m, testv[i].hdrs))
			fail_msg("case %zu: parse failed", i);
		assert_int_equal(gw_ident_from_sip(&m, &pol, &p, &r), 0);
		if (strcmp(p.num, testv[i].num) || p.pres != testv[i].pres ||
		    p.screen != testv[i].screen || strcmp(p.name, testv[i].name) ||
		    p.name_restricted != testv[i].name_restricted)
			fail_msg("case %zu: num '%s' pres %d screen %d name '%s' nr %d", i,
				 p.num, p.pres, p.screen, p.name, p.name_restricted);
		if (strcmp(r.num, testv[i].redir) || r.reason != testv[i].reason ||
		    r.count != testv[i].count)
			fail_msg("case %zu: redir '%s' reason %d count %u", i, r.num,
				 r.reason, r.count);
		assert_int_equal(p.ton, p.num[0] == '+' ? GW_TON_INTERNATIONAL : GW_TON_UNKNOWN);
	}
}

/* What we send, parsed by the stack and read back, gives the same party. */
static void test_to_sip_roundtrip(void **state)
{
	static const struct {
		struct gw_party p;
		struct gw_redirect r;
		bool diversion;
		const char *expect;  /* substring of the headers */
	} testv[] = {
		{ { "+4930123", GW_TON_INTERNATIONAL, GW_PRES_ALLOWED, GW_SCREEN_NETWORK, "Eve \"E\"", false },
		  { "", 0, 0 }, true,
		  "From: \"Eve \\\"E\\\"\" <sip:+4930123@gw.test;user=phone>;tag=t1\r\n" },
		{ { "+4930123", GW_TON_INTERNATIONAL, GW_PRES_RESTRICTED, GW_SCREEN_NETWORK, "Eve", false },
		  { "", 0, 0 }, true,
		  "From: \"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=t1\r\n"
		  "P-Asserted-Identity: \"Eve\" <sip:+4930123@gw.test;user=phone>\r\nPrivacy: id\r\n" },
		{ { "", GW_TON_UNKNOWN, GW_PRES_UNAVAILABLE, GW_SCREEN_NETWORK, "", false },
		  { "", 0, 0 }, true,
		  "From: \"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=t1\r\n" },
		{ { "030#1", GW_TON_UNKNOWN, GW_PRES_ALLOWED, GW_SCREEN_USER_NOT_SCREENED, "", false },
		  { "+4930111", GW_REDIR_BUSY, 2 }, true,
		  "Diversion: <sip:+4930111@gw.test;user=phone>;reason=user-busy;counter=2\r\n" },
		{ { "+1", GW_TON_INTERNATIONAL, GW_PRES_ALLOWED, GW_SCREEN_USER_NOT_SCREENED, "", false },
		  { "+4930111", GW_REDIR_NO_REPLY, 1 }, false,
		  "History-Info: <sip:+4930111@gw.test;user=phone>;index=1\r\n"
		  "History-Info: <sip:1001@gw.test;user=phone;cause=408>;index=1.1\r\n" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		struct sip_buf b;
		struct gw_ident_policy pol = { .trust_pai = true, .send_pai = true,
					       .send_diversion = testv[i].diversion,
					       .domain = "gw.test" };
		struct sip_msg m;
		struct gw_party p;
		struct gw_redirect r;

		sip_buf_init(&b, 4096);
		assert_int_equal(gw_ident_to_sip(&b, &testv[i].p, &testv[i].r, "1001",
						 "t1", &pol), 0);
		if (!strstr(b.p, testv[i].expect))
			fail_msg("case %zu: headers\n%s\nlack\n%s", i, b.p, testv[i].expect);
		if (parse(&m, b.p))
			fail_msg("case %zu: our headers do not parse:\n%s", i, b.p);
		assert_int_equal(gw_ident_from_sip(&m, &pol, &p, &r), 0);
		assert_string_equal(p.num, testv[i].p.num);
		/* SIP cannot tell "unavailable" from "restricted" once the From
		 * is anonymous (RFC 3323): both read back as restricted */
		assert_int_equal(p.pres, testv[i].p.pres == GW_PRES_UNAVAILABLE
						 ? GW_PRES_RESTRICTED : testv[i].p.pres);
		assert_string_equal(r.num, testv[i].r.num);
		if (r.num[0])
			assert_int_equal(r.reason, testv[i].r.reason);
		sip_buf_free(&b);
	}
}

static void test_connected(void **state)
{
	struct sip_msg m;
	struct gw_party p;
	struct gw_ident_policy trusted = { .trust_pai = true }, untrusted = { 0 };
	static char buf[] =
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc\r\n"
		"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\n"
		"Call-ID: c\r\nCSeq: 1 INVITE\r\n"
		"P-Asserted-Identity: \"Desk 7\" <tel:+4930777>\r\n"
		"Content-Length: 0\r\n\r\n";
	(void)state;
	assert_int_equal(sip_msg_decode(&m, buf, strlen(buf)), 0);
	assert_int_equal(gw_ident_connected_from_sip(&m, &trusted, &p), 0);
	assert_string_equal(p.num, "+4930777");
	assert_string_equal(p.name, "Desk 7");
	assert_int_equal(p.screen, GW_SCREEN_NETWORK);
	assert_int_equal(gw_ident_connected_from_sip(&m, &untrusted, &p), ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_sip),
		cmocka_unit_test(test_to_sip_roundtrip),
		cmocka_unit_test(test_connected),
	};
	return cmocka_run_group_tests_name("gw_ident", tests, NULL, NULL);
}
