/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for sip/msg and sip/hdr: valid-but-tortuous and invalid
 * messages in the spirit of RFC 4475 (folding, compact forms, odd
 * whitespace, escapes, IPv6, valueless params, long values, many headers;
 * bad versions, broken CSeq/Content-Length, missing headers, NUL bytes,
 * unterminated quotes and <), header value decoders, stream framing,
 * builders and parse(print(x)) round trips.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sip/msg.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Messages are written with "\n"; convert each to CRLF. Caller frees. */
static char *crlf(const char *in, size_t *len)
{
	size_t n = strlen(in), o = 0;
	char *out = malloc(2 * n + 1);

	assert_non_null(out);
	for (size_t i = 0; i < n; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = in[i];
	}
	out[o] = '\0';
	*len = o;
	return out;
}

static void pl_eq(const struct pl *pl, const char *s)
{
	char buf[1024];

	if (!s) {
		assert_null(pl->p);
		return;
	}
	assert_non_null(pl->p);
	assert_int_equal(pl_strcpy(pl, buf, sizeof(buf)), 0);
	assert_string_equal(buf, s);
}

/* ---- whole messages: status and whether a response can be formed ---- */

static const struct msgv {
	const char *name;
	const char *msg;
	int ret;
	uint16_t status;
	bool can_respond;
	const char *reason;     /* substring of err.reason, or NULL */
} msgv[] = {
	{ "plain INVITE",
	  "INVITE sip:+4989555010@gw.example.net SIP/2.0\n"
	  "Via: SIP/2.0/UDP sbc1.carrier.example;branch=z9hG4bK-plain-0001\n"
	  "Max-Forwards: 70\n"
	  "To: <sip:+4989555010@gw.example.net>\n"
	  "From: Ops <sip:+4930555020@carrier.example>;tag=ops-7781\n"
	  "Call-ID: 5be0c1a2-plain@sbc1.carrier.example\n"
	  "CSeq: 27 INVITE\n"
	  "Contact: <sip:+4930555020@sbc1.carrier.example>\n"
	  "Content-Length: 0\n\n",
	  0, 0, true, NULL },
	{ "folding, compact forms, odd whitespace, case",
	  "\n\nOPTIONS sip:ext;ctx=pbx%40site.example@gw.example.org SIP/2.0\n"
	  "v:  SIP / 2.0 / UDP\n"
	  "   192.0.2.1 : 5060\n"
	  "\t;branch = z9hG4bKfold77;rport\n"
	  "TO : \"Name, \\\"quoted\\\"\" <sip:user@example.com>\n"
	  "f: sip:probe@trunk.example.net;tag=77aa01\n"
	  "mAX-fOrWaRdS: 0068\n"
	  "i: f81d4fae.7dec@gw-3.example\n"
	  "cseq: 0009\n"
	  "  OPTIONS\n"
	  "X-Carrier-Note:   first part\n"
	  " continued second part\n"
	  "X-Odd-Value: ,;,;;,\n"
	  "s: Trunk 7 test call,\n"
	  "     please ignore\n"
	  "     this one\n"
	  "l: 0\n"
	  "k: 100rel,  ,timer\n\n",
	  0, 0, true, NULL },
	{ "unknown scheme in headers, IPv6 everywhere",
	  "INVITE sip:[2001:db8::10]:5070;transport=tcp SIP/2.0\n"
	  "Via: SIP/2.0/TCP [2001:db8::9:1]:5060;branch=z9hG4bKas3;received=[2001:db8::9:255]\n"
	  "To: <http://example.com/whoever>\n"
	  "From: <urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>;tag=x\n"
	  "Call-ID: ipv6call\n"
	  "CSeq: 1 INVITE\n"
	  "Contact: \"Caller\" <sip:caller@[2001:db8::42]:5070>;+sip.instance=\"<urn:uuid:1>\"\n"
	  "Content-Length: 0\n\n",
	  0, 0, true, NULL },
	{ "response with body and bare parameters",
	  "SIP/2.0 180 Ringing, really\n"
	  "Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK1;rport=5061;received=192.0.2.9\n"
	  "From: <sip:a@b>;tag=1\n"
	  "To: <sip:c@d>;foo;tag=2;bar\n"
	  "Call-ID: r1\n"
	  "CSeq: 2147483647 INVITE\n"
	  "Content-Type: application/sdp\n"
	  "Content-Length: 4\n\n"
	  "v=0\n",
	  0, 0, false, NULL },
	{ "%-escapes and user=phone in Request-URI",
	  "INVITE sip:%2B4930%31234@gw.example.net;user=phone SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bKx\n"
	  "From: sip:a@b;tag=1\nTo: sip:c@d\nCall-ID: e1\nCSeq: 1 INVITE\n\n",
	  0, 0, true, NULL },
	{ "tel Request-URI",
	  "INVITE tel:+1-201-555-0123;phone-context=example.com SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bKt\n"
	  "From: <tel:7042;phone-context=example.com>;tag=1\nTo: <tel:+12015550123>\n"
	  "Call-ID: tel1\nCSeq: 1 INVITE\nl: 0\n\n",
	  0, 0, true, NULL },
	{ "SIP version 7",
	  "INVITE sip:j@example.com SIP/7.0\n"
	  "Via: SIP/7.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: v7\nCSeq: 8 INVITE\nl: 0\n\n",
	  EPROTONOSUPPORT, 505, true, "Version" },
	{ "garbage request line",
	  "INVITE sip:j@example.com\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: g\nCSeq: 8 INVITE\nl: 0\n\n",
	  EBADMSG, 400, true, "Start Line" },
	{ "negative CSeq",
	  "OPTIONS sip:j@example.com SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: -1 OPTIONS\nl: 0\n\n",
	  EBADMSG, 400, false, "CSeq" },
	{ "CSeq over 2^31-1",
	  "OPTIONS sip:j@example.com SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 2147483648 OPTIONS\nl: 0\n\n",
	  EBADMSG, 400, false, "CSeq" },
	{ "CSeq method mismatch",
	  "OPTIONS sip:j@example.com SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 INVITE\nl: 0\n\n",
	  EBADMSG, 400, true, "CSeq" },
	{ "Content-Length overflow",
	  "OPTIONS sip:j@example.com SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 OPTIONS\n"
	  "Content-Length: 99999999999999999999999\n\n",
	  EBADMSG, 400, true, "Content-Length" },
	{ "negative Content-Length",
	  "OPTIONS sip:j@example.com SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 OPTIONS\n"
	  "Content-Length: -999\n\n",
	  EBADMSG, 400, true, "Content-Length" },
	{ "Content-Length larger than the body",
	  "INVITE sip:j@example.com SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 INVITE\n"
	  "Content-Type: application/sdp\nContent-Length: 9999\n\nv=0\n",
	  EBADMSG, 400, true, "Content-Length" },
	{ "conflicting Content-Length headers",
	  "OPTIONS sip:j@example.com SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 OPTIONS\n"
	  "Content-Length: 0\nl: 2\n\nxx",
	  EBADMSG, 400, true, "Content-Length" },
	{ "missing Call-ID",
	  "OPTIONS sip:j@example.com SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCSeq: 1 OPTIONS\nl: 0\n\n",
	  EBADMSG, 400, false, "Call-ID" },
	{ "missing Via",
	  "OPTIONS sip:j@example.com SIP/2.0\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 OPTIONS\nl: 0\n\n",
	  EBADMSG, 400, false, "Via" },
	{ "two From headers",
	  "OPTIONS sip:j@example.com SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nf: <sip:x@b>;tag=2\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 OPTIONS\n\n",
	  EBADMSG, 400, false, "From" },
	{ "unterminated quote in From",
	  "OPTIONS sip:j@example.com SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: \"Bob <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 OPTIONS\n\n",
	  EBADMSG, 400, false, "From" },
	{ "unterminated < in To",
	  "OPTIONS sip:j@example.com SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d\nCall-ID: c\nCSeq: 1 OPTIONS\n\n",
	  EBADMSG, 400, false, "To" },
	{ "Via without transport",
	  "OPTIONS sip:j@example.com SIP/2.0\n"
	  "Via: SIP/2.0 h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 OPTIONS\n\n",
	  EBADMSG, 400, false, "Via" },
	{ "Via port out of range",
	  "OPTIONS sip:j@example.com SIP/2.0\n"
	  "Via: SIP/2.0/UDP h:70000;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 OPTIONS\n\n",
	  EBADMSG, 400, false, "Via" },
	{ "unknown Request-URI scheme",
	  "OPTIONS ftp://192.0.2.103/pub SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 OPTIONS\n\n",
	  EBADMSG, 416, true, "Scheme" },
	{ "malformed sip Request-URI",
	  "OPTIONS sip:user@host:99999 SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 OPTIONS\n\n",
	  EBADMSG, 400, true, "Request-URI" },
	{ "Request-URI with embedded SP",
	  "INVITE sip:user@example.com; lr SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 INVITE\n\n",
	  EBADMSG, 400, true, "Request-URI" },
	{ "bad Max-Forwards",
	  "OPTIONS sip:j@example.com SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 OPTIONS\nMax-Forwards: ten\n\n",
	  EBADMSG, 400, true, "Max-Forwards" },
	{ "header line without colon",
	  "OPTIONS sip:j@example.com SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 OPTIONS\nNoColonHere\n\n",
	  EBADMSG, 400, true, "Header" },
	{ "bad status code",
	  "SIP/2.0 99 Odd\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 OPTIONS\n\n",
	  EBADMSG, 400, false, NULL },
	{ "bad Content-Type",
	  "INVITE sip:j@example.com SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 INVITE\n"
	  "Content-Type: application\nl: 0\n\n",
	  EBADMSG, 400, true, "Content-Type" },
	{ "empty tag", "OPTIONS sip:j@example.com SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 OPTIONS\n\n",
	  EBADMSG, 400, false, "From" },
	{ "unusual method and URI characters",
	  "X.Trunk-Probe_7*+`%~' sip:odd_user.name~(lab!)&co+op$/x?,/;;*:&pw+x=1,y!*z$~_w.(q)@lab.example.net SIP/2.0\n"
	  "Via: SIP/2.0/TCP probe.lab.example.net;branch=z9hG4bK-.!%77*_+`'~\n"
	  "To: \"CTL:\\\x07 DEL:\\\x7F\" <sip:odd_user.name~(lab!)&co+op$/x?,/;;*@lab.example.net>\n"
	  "From: word1~` word2'+_ word3*%!.- <sip:plain@lab.example.net>;xParam''~+*_!.-%=\"\xC3\xA9t\xC3\xA9\";tag=_t~9'+`*%!-.\n"
	  "Call-ID: lab.probe%QQ-!.*_+'@x`~)(><:\\/\"][?}{\n"
	  "CSeq: 4242 X.Trunk-Probe_7*+`%~'\n"
	  "Max-Forwards: 255\n"
	  "X-Ext-!.%*+_`'~: \xE2\x98\x8E \xE2\x98\x8F\n"
	  "Content-Length: 0\n\n",
	  0, 0, true, NULL },
	{ "overlarge CSeq, Max-Forwards and expiries",
	  "REGISTER sip:reg7.example.net SIP/2.0\n"
	  "Via: SIP/2.0/TCP edge.reg7.example.net;branch=z9hG4bKbig01\n"
	  "To: <sip:trunk7@reg7.example.net>\nFrom: <sip:trunk7@reg7.example.net>;tag=big-1\n"
	  "CSeq: 18446744073709551616 REGISTER\nCall-ID: big-values-1@reg7.example.net\n"
	  "Max-Forwards: 999\nExpires: 99999999999999999999\n"
	  "Contact: <sip:trunk7@edge.reg7.example.net>;expires=99999999999999\nl: 0\n\n",
	  EBADMSG, 400, false, "CSeq" },
	{ "Request-URI in <>",
	  "INVITE <sip:user@example.com> SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 INVITE\n\n",
	  EBADMSG, 400, true, "Request-URI" },
	{ "extra spaces in request line",
	  "INVITE  sip:user@example.com  SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 INVITE\n\n",
	  EBADMSG, 400, true, "Request-URI" },
	{ "trailing space after version",
	  "OPTIONS sip:probe-target@example.net SIP/2.0  \n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: c\nCSeq: 1 OPTIONS\n\n",
	  EBADMSG, 400, true, "Start Line" },
	{ "huge status code",
	  "SIP/2.0 70000 Status Out Of Range\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:c@d>;tag=2\nCall-ID: c\nCSeq: 1 OPTIONS\n\n",
	  EBADMSG, 400, false, "Start Line" },
	{ "response without reason phrase, unknown scheme in To",
	  "SIP/2.0 100 \n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: mailto:noc@example.net\nCall-ID: c\nCSeq: 1 INVITE\n\n",
	  0, 0, false, NULL },
	{ "Contact addr-spec with URI headers (not a core header: parses)",
	  "REGISTER sip:example.com SIP/2.0\n"
	  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	  "From: <sip:a@b>;tag=1\nTo: <sip:a@b>\nCall-ID: c\nCSeq: 1 REGISTER\n"
	  "Contact: sip:reg@example.net?Subject=hello%20there\n\n",
	  0, 0, true, NULL },
	{ "only CRLFs", "\n\n\n", EBADMSG, 400, false, NULL },
	{ "no line end at all", "INVITE sip:a@b SIP/2.0", EBADMSG, 400, false, NULL },
};

static void test_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(msgv); i++) {
		size_t len;
		char *buf = crlf(msgv[i].msg, &len);
		struct sip_msg *msg = malloc(sizeof(*msg));
		int ret;

		assert_non_null(msg);
		ret = sip_msg_decode(msg, buf, len);
		if (ret != msgv[i].ret || msg->err.status != msgv[i].status ||
		    msg->err.can_respond != msgv[i].can_respond)
			fail_msg("vector '%s': ret %d status %u can_respond %d reason '%s'",
				 msgv[i].name, ret, msg->err.status, msg->err.can_respond,
				 msg->err.reason ? msg->err.reason : "");
		if (msgv[i].reason) {
			assert_non_null(msg->err.reason);
			if (!strstr(msg->err.reason, msgv[i].reason))
				fail_msg("vector '%s': reason '%s' lacks '%s'", msgv[i].name,
					 msg->err.reason, msgv[i].reason);
		}
		free(msg);
		free(buf);
	}
}

/* ---- field access on the tortuous message ---- */

static void test_tortuous_fields(void **state)
{
	size_t len;
	char *buf = crlf(msgv[1].msg, &len);
	struct sip_msg *msg = malloc(sizeof(*msg));
	const struct sip_hdr *h;
	struct sip_msg_iter it;
	struct pl v;
	char tmp[256];
	size_t n;
	(void)state;

	assert_int_equal(sip_msg_decode(msg, buf, len), 0);
	assert_true(msg->req);
	assert_int_equal(msg->meth, SIP_METHOD_OPTIONS);
	assert_int_equal(msg->ruri.scheme, SIP_URI_SIP);
	pl_eq(&msg->ruri.user, "ext;ctx=pbx%40site.example");
	pl_eq(&msg->ruri.host, "gw.example.org");
	pl_eq(&msg->via.transport, "UDP");
	pl_eq(&msg->via.host, "192.0.2.1");
	assert_int_equal(msg->via.host_type, SIP_HOST_IPV4);
	assert_int_equal(msg->via.port, 5060);
	pl_eq(&msg->via.branch, "z9hG4bKfold77");
	assert_true(msg->via.has_rport);
	assert_int_equal(msg->via.rport.l, 0);
	assert_true(msg->to.dname_quoted);
	pl_eq(&msg->to.dname, "Name, \\\"quoted\\\"");
	assert_false(msg->from.angle);
	pl_eq(&msg->from.tag, "77aa01");
	pl_eq(&msg->from.uri.user, "probe");
	assert_int_equal(msg->max_forwards, 68);
	pl_eq(&msg->call_id, "f81d4fae.7dec@gw-3.example");
	assert_int_equal(msg->cseq.num, 9);
	assert_int_equal(msg->cseq.meth, SIP_METHOD_OPTIONS);
	assert_true(msg->has_clen);
	assert_int_equal(msg->clen, 0);
	assert_int_equal(msg->body.l, 0);

	/* lookup by compact, long and unknown names; folded values unfold */
	h = sip_msg_hdr_byname(msg, "Subject");
	assert_non_null(h);
	assert_ptr_equal(h, sip_msg_hdr_byname(msg, "s"));
	assert_int_equal(sip_pl_unfold(&h->val, tmp, sizeof(tmp), &n), 0);
	assert_string_equal(tmp, "Trunk 7 test call, please ignore this one");
	h = sip_msg_hdr_byname(msg, "x-carrier-note");
	assert_non_null(h);
	assert_int_equal(h->id, SIP_HDR_OTHER);
	assert_int_equal(sip_pl_unfold(&h->val, tmp, sizeof(tmp), &n), 0);
	assert_string_equal(tmp, "first part continued second part");
	assert_null(sip_msg_hdr_byname(msg, "X-Absent"));
	assert_true(sip_msg_has_tag(msg, SIP_HDR_SUPPORTED, "timer"));
	assert_true(sip_msg_has_tag(msg, SIP_HDR_SUPPORTED, "100REL"));
	assert_false(sip_msg_has_tag(msg, SIP_HDR_SUPPORTED, "replaces"));

	/* iteration in wire order */
	assert_int_equal(msg->hdrc, 11);
	assert_int_equal(msg->hdrv[0].id, SIP_HDR_VIA);
	assert_int_equal(msg->hdrv[1].id, SIP_HDR_TO);
	assert_int_equal(msg->hdrv[10].id, SIP_HDR_SUPPORTED);
	sip_msg_iter_init(&it, msg, SIP_HDR_SUPPORTED);
	assert_true(sip_msg_iter_next(&it, &v));
	pl_eq(&v, "100rel");
	assert_true(sip_msg_iter_next(&it, &v));
	pl_eq(&v, "timer");
	assert_false(sip_msg_iter_next(&it, &v));
	free(msg);
	free(buf);
}

/* ---- lists across lines, Route sets, Contact ---- */

static void test_lists(void **state)
{
	static const char m[] =
		"SIP/2.0 200 OK\n"
		"Via: SIP/2.0/UDP a.example;branch=z9hG4bK1, SIP/2.0/TCP b.example:5070;branch=z9hG4bK2\n"
		"v: SIP/2.0/TLS [::1];branch=z9hG4bK3\n"
		"Record-Route: <sip:p1.example;lr>, \"Proxy, Two\" <sip:p2.example;lr>\n"
		"Record-Route: <sip:a,b@p3.example;lr>\n"
		"From: <sip:a@b>;tag=1\nTo: <sip:c@d>;tag=2\nCall-ID: l\nCSeq: 5 INVITE\n"
		"Contact: \"A, B\" <sip:x@h1>;q=0.7;expires=60, <sip:y@h2>;q=1\n"
		"m: sip:z@h3;expires=99999999999\n"
		"X-Thing: one, two\n"
		"X-Other: zzz\n"
		"x-thing: three\n"
		"Content-Length: 0\n\n";
	static const char *const rr[] = { "<sip:p1.example;lr>",
					  "\"Proxy, Two\" <sip:p2.example;lr>",
					  "<sip:a,b@p3.example;lr>" };
	size_t len;
	char *buf = crlf(m, &len);
	struct sip_msg *msg = malloc(sizeof(*msg));
	struct sip_msg_iter it;
	struct sip_contact c;
	struct sip_via via;
	struct pl v;
	unsigned k = 0;
	(void)state;

	assert_int_equal(sip_msg_decode(msg, buf, len), 0);
	assert_false(msg->req);
	assert_int_equal(msg->scode, 200);
	pl_eq(&msg->reason, "OK");
	assert_int_equal(sip_msg_hdr_count(msg, SIP_HDR_VIA), 2);
	sip_msg_iter_init(&it, msg, SIP_HDR_VIA);
	while (sip_msg_iter_next(&it, &v)) {
		assert_int_equal(sip_via_decode(&via, &v), 0);
		k++;
		if (k == 3) {
			pl_eq(&via.transport, "TLS");
			assert_int_equal(via.host_type, SIP_HOST_IPV6);
			pl_eq(&via.host, "::1");
		}
	}
	assert_int_equal(k, 3);

	k = 0;
	sip_msg_iter_init(&it, msg, SIP_HDR_RECORD_ROUTE);
	while (sip_msg_iter_next(&it, &v)) {
		struct sip_addr a;
		assert_true(k < N(rr));
		pl_eq(&v, rr[k]);
		assert_int_equal(sip_addr_decode(&a, &v), 0);
		assert_true(sip_uri_param(&a.uri, "lr", NULL) == 0);
		k++;
	}
	assert_int_equal(k, 3);

	k = 0;
	sip_msg_iter_init(&it, msg, SIP_HDR_CONTACT);
	while (sip_msg_iter_next(&it, &v)) {
		assert_int_equal(sip_contact_decode(&c, &v), 0);
		switch (k++) {
		case 0:
			pl_eq(&c.addr.dname, "A, B");
			assert_int_equal(c.q, 700);
			assert_int_equal(c.expires, 60);
			break;
		case 1:
			assert_int_equal(c.q, 1000);
			assert_int_equal(c.expires, -1);
			break;
		case 2:
			/* addr-spec: params belong to the header; huge delta clamps */
			assert_false(c.addr.angle);
			pl_eq(&c.addr.uri.user, "z");
			assert_null(c.addr.uri.params.p);
			assert_int_equal(c.expires, 4294967295LL);
			break;
		}
	}
	assert_int_equal(k, 3);
	k = 0;
	sip_msg_iter_init_byname(&it, msg, "M");
	while (sip_msg_iter_next(&it, &v))
		k++;
	assert_int_equal(k, 3);
	sip_msg_iter_init_byname(&it, msg, "x-absent");
	assert_false(sip_msg_iter_next(&it, &v));
	/* unknown headers: single-valued, matched by name across lines */
	sip_msg_iter_init_byname(&it, msg, "X-THING");
	assert_true(sip_msg_iter_next(&it, &v));
	pl_eq(&v, "one, two");
	assert_true(sip_msg_iter_next(&it, &v));
	pl_eq(&v, "three");
	assert_false(sip_msg_iter_next(&it, &v));
	assert_int_equal(sip_msg_contact(msg, &c), 0);
	pl_eq(&c.addr.uri.host, "h1");
	free(msg);
	free(buf);
}

/* ---- value decoders ---- */

static void test_via_vectors(void **state)
{
	static const struct {
		const char *in;
		int err;
		const char *transport, *host, *branch, *received, *maddr;
		uint16_t port;
		int ttl;
		bool rport;
		const char *rportv;
	} tv[] = {
		{ "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1", 0, "UDP", "192.0.2.1", "z9hG4bK1",
		  NULL, NULL, 5060, -1, false, NULL },
		{ "SIP/2.0/UDP host.example;rport;branch=b", 0, "UDP", "host.example", "b", NULL,
		  NULL, 0, -1, true, "" },
		{ "SIP/2.0/UDP h;rport=4000;received=10.0.0.1;maddr=224.2.0.1;ttl=16;branch=x", 0,
		  "UDP", "h", "x", "10.0.0.1", "224.2.0.1", 0, 16, true, "4000" },
		{ "SIP / 2.0 / SCTP  [2001:db8::1] : 5061 ; branch = q", 0, "SCTP", "2001:db8::1",
		  "q", NULL, NULL, 5061, -1, false, NULL },
		{ "SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK56sdasks", 0, "WSS",
		  "df7jal23ls0d.invalid", "z9hG4bK56sdasks", NULL, NULL, 0, -1, false, NULL },
		{ .in = "SIP/2.0/UDP h;ttl=256", .err = EINVAL },
		{ .in = "SIP/2.0/UDP h;rport=0", .err = EINVAL },
		{ .in = "SIP/2.0/UDP h;branch=", .err = EINVAL },
		{ .in = "SIP/2.0/UDP h:0", .err = EINVAL },
		{ .in = "SIP/2.0/UDP [2001:db8::1", .err = EINVAL },
		{ .in = "SIP/2.0/UDP [not:v6]", .err = EINVAL },
		{ .in = "SIP/2.0/UDP", .err = EINVAL },
		{ .in = "SIP/2.0/UDP h junk", .err = EINVAL },
		{ .in = "SIP/2.0/UDP h;;branch=x", .err = EINVAL },
		{ .in = "SIP/UDP h", .err = EINVAL },
		{ .in = "", .err = EINVAL },
	};
	(void)state;
	for (size_t i = 0; i < N(tv); i++) {
		struct sip_via v;
		struct pl in = pl_from_str(tv[i].in);
		int err = sip_via_decode(&v, &in);
		if (err != tv[i].err)
			fail_msg("via '%s': %d", tv[i].in, err);
		if (err)
			continue;
		pl_eq(&v.transport, tv[i].transport);
		pl_eq(&v.host, tv[i].host);
		pl_eq(&v.branch, tv[i].branch);
		pl_eq(&v.received, tv[i].received);
		pl_eq(&v.maddr, tv[i].maddr);
		assert_int_equal(v.port, tv[i].port);
		assert_int_equal(v.ttl, tv[i].ttl);
		assert_int_equal(v.has_rport, tv[i].rport);
		if (tv[i].rport)
			pl_eq(&v.rport, tv[i].rportv);
	}
}

static void test_addr_vectors(void **state)
{
	static const struct {
		const char *in;
		int err;
		const char *dname, *uri_user, *uri_host, *tag;
		bool angle;
	} tv[] = {
		{ "Night-Desk <sip:desk@pbx.example.org>;tag=nd-31", 0, "Night-Desk", "desk",
		  "pbx.example.org", "nd-31", true },
		{ "\"Alice \\\"A\\\" Smith\" <sip:alice@a.example>", 0, "Alice \\\"A\\\" Smith",
		  "alice", "a.example", NULL, true },
		{ "<sip:x@y>", 0, NULL, "x", "y", NULL, true },
		{ "sip:x@y;tag=1", 0, NULL, "x", "y", "1", false },
		{ "  Two  Words   <sip:x@y> ; tag = 9 ", 0, "Two  Words", "x", "y", "9", true },
		{ "\"\" <sip:x@y>", 0, "", "x", "y", NULL, true },
		{ "<tel:+1-201-555-0123>;tag=t", 0, NULL, "+1-201-555-0123", NULL, "t", true },
		{ "John Doe (Office) <sip:j@d>", 0, "John Doe (Office)", "j", "d", NULL, true },
		{ "J\xc3\xbcrgen <sip:j@d>", 0, "J\xc3\xbcrgen", "j", "d", NULL, true },
		{ .in = "A\x01B <sip:j@d>", .err = EINVAL },
		{ .in = "A>B <sip:j@d>", .err = EINVAL },
		{ .in = "<sip:x@y>;tag", .err = EINVAL },
		{ .in = "<sip:x@y", .err = EINVAL },
		{ .in = "\"unterminated <sip:x@y>", .err = EINVAL },
		{ .in = "sip:x@y?Subject=hi", .err = EINVAL },
		{ .in = "Bad\"Name <sip:x@y>", .err = EINVAL },
		{ .in = "<sip:x@y> garbage", .err = EINVAL },
		{ .in = "<not a uri>", .err = EINVAL },
		{ .in = "<sip:x@y>;=v", .err = EINVAL },
		{ .in = "", .err = EINVAL },
	};
	(void)state;
	for (size_t i = 0; i < N(tv); i++) {
		struct sip_addr a;
		struct pl in = pl_from_str(tv[i].in);
		int err = sip_addr_decode(&a, &in);
		if (err != tv[i].err)
			fail_msg("addr '%s': %d", tv[i].in, err);
		if (err)
			continue;
		if (tv[i].dname)
			pl_eq(&a.dname, tv[i].dname);
		else
			assert_int_equal(a.dname.l, 0);
		pl_eq(&a.uri.user, tv[i].uri_user);
		if (tv[i].uri_host)
			pl_eq(&a.uri.host, tv[i].uri_host);
		pl_eq(&a.tag, tv[i].tag);
		assert_int_equal(a.angle, tv[i].angle);
	}
}

static void test_small_decoders(void **state)
{
	struct sip_cseq cs;
	struct sip_rack rack;
	struct sip_session_expires se;
	struct sip_event ev;
	struct sip_reason r;
	struct sip_ctype ct;
	struct sip_contact c;
	struct pl in;
	uint32_t u;
	static const struct {
		const char *in;
		int err;
		uint32_t num;
		enum sip_method m;
	} csv[] = {
		{ "1 INVITE", 0, 1, SIP_METHOD_INVITE },
		{ "0 ACK", 0, 0, SIP_METHOD_ACK },
		{ "2147483647 NEWMETHOD", 0, 2147483647u, SIP_METHOD_OTHER },
		{ " 7\t BYE ", 0, 7, SIP_METHOD_BYE },
		{ .in = "2147483648 INVITE", .err = EINVAL },
		{ .in = "-1 INVITE", .err = EINVAL },
		{ .in = "1INVITE", .err = EINVAL },
		{ .in = "1 INVITE x", .err = EINVAL },
		{ .in = "INVITE", .err = EINVAL },
		{ .in = "1", .err = EINVAL },
	};
	(void)state;

	for (size_t i = 0; i < N(csv); i++) {
		in = pl_from_str(csv[i].in);
		assert_int_equal(sip_cseq_decode(&cs, &in), csv[i].err);
		if (!csv[i].err) {
			assert_int_equal(cs.num, csv[i].num);
			assert_int_equal(cs.meth, csv[i].m);
		}
	}
	in = pl_from_str("776656 1 INVITE");
	assert_int_equal(sip_rack_decode(&rack, &in), 0);
	assert_int_equal(rack.rseq, 776656);
	assert_int_equal(rack.cseq, 1);
	assert_int_equal(rack.meth, SIP_METHOD_INVITE);
	in = pl_from_str("0 1 INVITE");
	assert_int_equal(sip_rack_decode(&rack, &in), EINVAL);
	in = pl_from_str("5 1");
	assert_int_equal(sip_rack_decode(&rack, &in), EINVAL);

	in = pl_from_str("1800;refresher=uac");
	assert_int_equal(sip_session_expires_decode(&se, &in), 0);
	assert_int_equal(se.delta, 1800);
	pl_eq(&se.refresher, "uac");
	in = pl_from_str("90");
	assert_int_equal(sip_session_expires_decode(&se, &in), 0);
	assert_null(se.refresher.p);
	in = pl_from_str("x;refresher=uas");
	assert_int_equal(sip_session_expires_decode(&se, &in), EINVAL);

	in = pl_from_str("presence.winfo;id=7;x");
	assert_int_equal(sip_event_decode(&ev, &in), 0);
	pl_eq(&ev.package, "presence.winfo");
	pl_eq(&ev.id, "7");
	in = pl_from_str(";id=1");
	assert_int_equal(sip_event_decode(&ev, &in), EINVAL);

	in = pl_from_str("Q.850 ;cause=16 ;text=\"Terminated, normally\"");
	assert_int_equal(sip_reason_decode(&r, &in), 0);
	pl_eq(&r.protocol, "Q.850");
	assert_true(r.has_cause);
	assert_int_equal(r.cause, 16);
	pl_eq(&r.text, "Terminated, normally");
	in = pl_from_str("SIP;cause=abc");
	assert_int_equal(sip_reason_decode(&r, &in), EINVAL);
	in = pl_from_str("SIP;text=\"open");
	assert_int_equal(sip_reason_decode(&r, &in), EINVAL);

	in = pl_from_str("multipart/mixed ; boundary=\"a b;c\"");
	assert_int_equal(sip_ctype_decode(&ct, &in), 0);
	assert_true(sip_ctype_is(&ct, "MULTIPART", "Mixed"));
	{
		struct pl b, q;
		assert_int_equal(sip_param_get(&ct.params, "boundary", &b), 0);
		assert_true(sip_pl_unquote(&b, &q));
		pl_eq(&q, "a b;c");
	}
	in = pl_from_str("application/");
	assert_int_equal(sip_ctype_decode(&ct, &in), EINVAL);
	in = pl_from_str("/sdp");
	assert_int_equal(sip_ctype_decode(&ct, &in), EINVAL);

	in = pl_from_str(" * ");
	assert_int_equal(sip_contact_decode(&c, &in), 0);
	assert_true(c.star);
	in = pl_from_str("<sip:a@b>;q=1.5");
	assert_int_equal(sip_contact_decode(&c, &in), EINVAL);
	in = pl_from_str("<sip:a@b>;q=0.123");
	assert_int_equal(sip_contact_decode(&c, &in), 0);
	assert_int_equal(c.q, 123);
	in = pl_from_str("<sip:a@b>;expires=-1");
	assert_int_equal(sip_contact_decode(&c, &in), EINVAL);

	in = pl_from_str(" 4294967295 ");
	assert_int_equal(sip_uint_decode(&u, &in), 0);
	assert_int_equal(u, 4294967295u);
	in = pl_from_str("4294967296");
	assert_int_equal(sip_uint_decode(&u, &in), EINVAL);
}

/* ---- header table ---- */

static void test_hdr_names(void **state)
{
	static const struct {
		const char *name;
		enum sip_hdr_id id;
	} tv[] = {
		{ "Via", SIP_HDR_VIA },	{ "v", SIP_HDR_VIA },
		{ "VIA", SIP_HDR_VIA }, { "f", SIP_HDR_FROM },
		{ "T", SIP_HDR_TO }, { "i", SIP_HDR_CALL_ID },
		{ "call-id", SIP_HDR_CALL_ID }, { "m", SIP_HDR_CONTACT },
		{ "l", SIP_HDR_CONTENT_LENGTH }, { "c", SIP_HDR_CONTENT_TYPE },
		{ "e", SIP_HDR_CONTENT_ENCODING }, { "k", SIP_HDR_SUPPORTED },
		{ "s", SIP_HDR_SUBJECT }, { "o", SIP_HDR_EVENT },
		{ "u", SIP_HDR_ALLOW_EVENTS }, { "r", SIP_HDR_REFER_TO },
		{ "b", SIP_HDR_REFERRED_BY }, { "x", SIP_HDR_SESSION_EXPIRES },
		{ "y", SIP_HDR_IDENTITY }, { "a", SIP_HDR_ACCEPT_CONTACT },
		{ "j", SIP_HDR_REJECT_CONTACT }, { "d", SIP_HDR_REQUEST_DISPOSITION },
		{ "p-asserted-identity", SIP_HDR_P_ASSERTED_IDENTITY },
		{ "History-Info", SIP_HDR_HISTORY_INFO }, { "Diversion", SIP_HDR_DIVERSION },
		{ "RSeq", SIP_HDR_RSEQ }, { "RAck", SIP_HDR_RACK },
		{ "Min-SE", SIP_HDR_MIN_SE }, { "WWW-Authenticate", SIP_HDR_WWW_AUTHENTICATE },
		{ "Proxy-Authorization", SIP_HDR_PROXY_AUTHORIZATION },
		{ "Privacy", SIP_HDR_PRIVACY }, { "Reason", SIP_HDR_REASON },
		{ "z", SIP_HDR_OTHER }, { "X-Via", SIP_HDR_OTHER },
		{ "Vi", SIP_HDR_OTHER }, { "Call\rID", SIP_HDR_OTHER },
		{ "Max-Forwards-X", SIP_HDR_OTHER }, { "", SIP_HDR_OTHER },
	};
	(void)state;
	for (size_t i = 0; i < N(tv); i++) {
		if (sip_hdr_lookup(tv[i].name, strlen(tv[i].name)) != tv[i].id)
			fail_msg("header '%s'", tv[i].name);
	}
	for (unsigned id = 1; id < SIP_HDR_COUNT; id++) {
		const char *n = sip_hdr_name(id);
		assert_int_equal(sip_hdr_lookup(n, strlen(n)), id);
	}
	assert_true(sip_hdr_is_list(SIP_HDR_ROUTE));
	assert_false(sip_hdr_is_list(SIP_HDR_WWW_AUTHENTICATE));
}

static void test_params_lists(void **state)
{
	struct pl p = PL(";lr;transport=tcp; maddr = 10.0.0.1 ;x=\"a;b\""), v, rest, n;
	unsigned k = 0;
	(void)state;

	assert_int_equal(sip_param_get(&p, "LR", &v), 0);
	assert_int_equal(v.l, 0);
	assert_int_equal(sip_param_get(&p, "transport", &v), 0);
	pl_eq(&v, "tcp");
	assert_int_equal(sip_param_get(&p, "maddr", &v), 0);
	pl_eq(&v, "10.0.0.1");
	assert_int_equal(sip_param_get(&p, "x", &v), 0);
	pl_eq(&v, "\"a;b\"");
	assert_int_equal(sip_param_get(&p, "b", &v), ENOENT);
	rest = p;
	while (sip_param_next(&rest, &n, &v))
		k++;
	assert_int_equal(k, 4);

	struct pl l = PL("a, \"b,c\", <d,e>, ,f");
	static const char *const want[] = { "a", "\"b,c\"", "<d,e>", "f" };
	k = 0;
	rest = l;
	while (sip_list_next(&rest, &v)) {
		assert_true(k < N(want));
		pl_eq(&v, want[k++]);
	}
	assert_int_equal(k, 4);

	struct pl priv = PL("id;header ; user");
	assert_true(sip_tokens_has(&priv, "header"));
	assert_true(sip_tokens_has(&priv, "USER"));
	assert_false(sip_tokens_has(&priv, "us"));

	char out[16];
	size_t ol;
	struct pl esc = PL("%41b%2c%20");
	assert_int_equal(sip_pl_unescape(&esc, out, sizeof(out), &ol), 0);
	assert_string_equal(out, "Ab, ");
	struct pl bad = PL("%4");
	assert_int_equal(sip_pl_unescape(&bad, out, sizeof(out), &ol), EINVAL);
	struct pl nul = PL("a%00");
	assert_int_equal(sip_pl_unescape(&nul, out, sizeof(out), &ol), EINVAL);
	struct pl big = PL("0123456789abcdef");
	assert_int_equal(sip_pl_unescape(&big, out, sizeof(out), &ol), ENOSPC);
}

/* ---- many and long headers ---- */

static void test_many_long(void **state)
{
	struct sip_buf b;
	struct sip_msg *msg = malloc(sizeof(*msg));
	const struct sip_hdr *h;
	(void)state;

	sip_buf_init(&b, 200000);
	sip_buf_str(&b, "MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKm\r\n"
			"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: many\r\n"
			"CSeq: 1 MESSAGE\r\n");
	for (int i = 0; i < 100; i++)
		sip_buf_printf(&b, "X-H%d: value %d\r\n", i, i);
	sip_buf_str(&b, "X-Long: ");
	for (int i = 0; i < 4000; i++)
		sip_buf_append(&b, "a", 1);
	sip_buf_str(&b, "\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(sip_buf_err(&b), 0);
	assert_int_equal(sip_msg_decode(msg, b.p, b.len), 0);
	assert_int_equal(msg->hdrc, 107);
	h = sip_msg_hdr_byname(msg, "x-h77");
	assert_non_null(h);
	pl_eq(&h->val, "value 77");
	h = sip_msg_hdr_byname(msg, "X-Long");
	assert_non_null(h);
	assert_int_equal(h->val.l, 4000);

	/* more header lines than slots: 400, but still answerable */
	sip_buf_reset(&b);
	sip_buf_str(&b, "MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKm\r\n"
			"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: many\r\n"
			"CSeq: 1 MESSAGE\r\n");
	for (int i = 0; i < 200; i++)
		sip_buf_printf(&b, "X-H%d: v\r\n", i);
	sip_buf_str(&b, "\r\n");
	assert_int_equal(sip_msg_decode(msg, b.p, b.len), EBADMSG);
	assert_int_equal(msg->err.status, 400);
	assert_true(msg->err.can_respond);
	assert_non_null(strstr(msg->err.reason, "Too Many"));

	/* over the size limit: 513 */
	sip_buf_reset(&b);
	sip_buf_str(&b, "MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKm\r\n"
			"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: big\r\n"
			"CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: 70000\r\n\r\n");
	for (int i = 0; i < 7000; i++)
		sip_buf_str(&b, "0123456789");
	assert_int_equal(sip_buf_err(&b), 0);
	assert_int_equal(sip_msg_decode(msg, b.p, b.len), EMSGSIZE);
	assert_int_equal(msg->err.status, 513);
	assert_true(msg->err.can_respond);

	/* NUL in the header block: 400; NUL in the body is fine */
	static const char nulh[] = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK\r\n"
				   "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: n\r\n"
				   "CSeq: 1 OPTIONS\r\nX-Nul: a\0b\r\nContent-Length: 2\r\n\r\n\0\0";
	assert_int_equal(sip_msg_decode(msg, nulh, sizeof(nulh) - 1), EBADMSG);
	assert_non_null(strstr(msg->err.reason, "NUL"));
	static const char nulb[] = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK\r\n"
				   "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: n\r\n"
				   "CSeq: 1 OPTIONS\r\nContent-Length: 2\r\n\r\n\0\0extra";
	assert_int_equal(sip_msg_decode(msg, nulb, sizeof(nulb) - 1), 0);
	assert_int_equal(msg->body.l, 2);
	/* a NUL in a quoted-pair is legal (RFC 3261 quoted-pair, RFC 4475 §3.1.1.3) */
	static const char nulq[] = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK\r\n"
				   "From: <sip:a@b>;tag=1\r\nTo: \"NUL:\\\0\" <sip:c@d>\r\nCall-ID: n\r\n"
				   "CSeq: 1 OPTIONS\r\n\r\n";
	assert_int_equal(sip_msg_decode(msg, nulq, sizeof(nulq) - 1), 0);
	assert_int_equal(msg->to.dname.l, 6);
	assert_int_equal(sip_msg_decode(msg, nulb, sizeof(nulb) - 1), 0);
	assert_int_equal(msg->body.l, 2);
	assert_int_equal(msg->len, sizeof(nulb) - 1 - 5);
	sip_buf_free(&b);
	free(msg);
}

/* ---- stream framing ---- */

static void test_framing(void **state)
{
	static const char m1[] = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK\r\n"
				 "l: 3\r\n\r\nabc";
	static const struct {
		const char *in;
		size_t len;      /* 0 = strlen */
		size_t max;
		enum sip_frame_kind kind;
		size_t skip, mlen;
		unsigned pings, pongs;
		int err;
	} tv[] = {
		{ m1, 0, 0, SIP_FRAME_MSG, 0, sizeof(m1) - 1, 0, 0, 0 },
		{ "\r\n\r\n", 0, 0, SIP_FRAME_MORE, 4, 0, 1, 0, 0 },
		{ "\r\n", 0, 0, SIP_FRAME_MORE, 2, 0, 0, 1, 0 },
		{ "\r\n\r\n\r\nOPTIONS", 0, 0, SIP_FRAME_MORE, 6, 0, 1, 1, 0 },
		{ "\r", 0, 0, SIP_FRAME_MORE, 0, 0, 0, 0, 0 },
		{ "", 0, 0, SIP_FRAME_MORE, 0, 0, 0, 0, 0 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nl: 3\r\n", 0, 0, SIP_FRAME_MORE, 0, 0, 0, 0, 0 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nl: 3\r\n\r\nab", 0, 0, SIP_FRAME_MORE, 0, 0, 0, 0, 0 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nl: 3\r\n\r\nabcNEXT", 0, 0, SIP_FRAME_MSG, 0, 36, 0, 0, 0 },
		{ "OPTIONS sip:a@b SIP/2.0\r\nX: y\r\n\r\n", 0, 0, SIP_FRAME_ERROR, 0, 0, 0, 0,
		  EBADMSG },
		{ "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: x\r\n\r\n", 0, 0, SIP_FRAME_ERROR, 0,
		  0, 0, 0, EBADMSG },
		{ "OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\nab", 0, 0, SIP_FRAME_ERROR, 0, 0,
		  0, 0, EBADMSG },
		{ "OPTIONS sip:a@b SIP/2.0\r\nl: 100\r\n\r\n", 0, 64, SIP_FRAME_ERROR, 0, 0, 0, 0,
		  EMSGSIZE },
		{ "OPTIONS sip:a@b SIP/2.0\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0,
		  32, SIP_FRAME_ERROR, 0, 0, 0, 0, EMSGSIZE },
		{ "OPTIONS sip:a@b SIP/2.0\r\nContent-Length :\r\n 0\r\n\r\n", 0, 0,
		  SIP_FRAME_MSG, 0, 49, 0, 0, 0 },
		{ "\r\nA\r\nl: 0\r\n\r\n", 0, 0, SIP_FRAME_MSG, 2, 11, 0, 1, 0 },
	};
	(void)state;
	for (size_t i = 0; i < N(tv); i++) {
		struct sip_frame fr;
		size_t len = tv[i].len ? tv[i].len : strlen(tv[i].in);
		enum sip_frame_kind k = sip_msg_frame(tv[i].in, len, tv[i].max, &fr);
		if (k != tv[i].kind || fr.kind != k || fr.skip != tv[i].skip ||
		    (k == SIP_FRAME_MSG && fr.len != tv[i].mlen) || fr.pings != tv[i].pings ||
		    fr.pongs != tv[i].pongs || fr.err != tv[i].err)
			fail_msg("frame vector %zu: kind %d skip %zu len %zu pings %u pongs %u err %d",
				 i, k, fr.skip, fr.len, fr.pings, fr.pongs, fr.err);
	}
	/* byte-by-byte arrival: MORE until the last byte, then the message */
	for (size_t n = 1; n < sizeof(m1) - 1; n++) {
		struct sip_frame fr;
		assert_int_equal(sip_msg_frame(m1, n, 0, &fr), SIP_FRAME_MORE);
	}
}

/* ---- builders and round trips ---- */

static void test_reply(void **state)
{
	static const char req[] =
		"INVITE sip:+4930123@gw.example SIP/2.0\n"
		"Via: SIP/2.0/UDP p1.example;branch=z9hG4bK1;received=192.0.2.1\n"
		"Via: SIP/2.0/UDP p2.example;branch=z9hG4bK2, SIP/2.0/TCP uac.example;branch=z9hG4bK3\n"
		"Record-Route: <sip:p1.example;lr>\n"
		"Record-Route: <sip:p2.example;lr>\n"
		"From: \"A\" <sip:a@uac.example>;tag=ft\n"
		"To: <sip:+4930123@gw.example>\n"
		"Call-ID: reply-1\n"
		"CSeq: 10 INVITE\n"
		"Content-Length: 0\n\n";
	size_t len;
	char *buf = crlf(req, &len);
	struct sip_msg *msg = malloc(sizeof(*msg)), *rsp = malloc(sizeof(*rsp));
	struct sip_buf b;
	struct sip_reply_opt opt = { .to_tag = "gwtag", .record_route = true,
				     .hdrs = "Contact: <sip:gw@192.0.2.5>\r\n",
				     .ctype = "application/sdp", .body = "v=0\r\n", .body_len = 5 };
	struct sip_msg_iter it;
	struct pl v;
	unsigned k = 0;
	(void)state;

	assert_int_equal(sip_msg_decode(msg, buf, len), 0);
	sip_buf_init(&b, 0);
	assert_int_equal(sip_msg_reply(&b, msg, 200, NULL, &opt), 0);
	assert_int_equal(sip_msg_decode(rsp, b.p, b.len), 0);
	assert_int_equal(rsp->scode, 200);
	pl_eq(&rsp->reason, "OK");
	sip_msg_iter_init(&it, rsp, SIP_HDR_VIA);
	while (sip_msg_iter_next(&it, &v))
		k++;
	assert_int_equal(k, 3);
	pl_eq(&rsp->via.branch, "z9hG4bK1");
	pl_eq(&rsp->to.tag, "gwtag");
	pl_eq(&rsp->from.tag, "ft");
	pl_eq(&rsp->call_id, "reply-1");
	assert_int_equal(rsp->cseq.num, 10);
	assert_int_equal(sip_msg_hdr_count(rsp, SIP_HDR_RECORD_ROUTE), 2);
	pl_eq(&sip_msg_hdr(rsp, SIP_HDR_RECORD_ROUTE)->val, "<sip:p1.example;lr>");
	pl_eq(&rsp->body, "v=0\r\n");
	assert_true(sip_ctype_is(&rsp->ctype, "application", "sdp"));
	assert_non_null(sip_msg_hdr_byname(rsp, "Contact"));

	/* 100 Trying: no To tag; no Record-Route unless asked */
	sip_buf_reset(&b);
	assert_int_equal(sip_msg_reply(&b, msg, 100, NULL,
				       &(struct sip_reply_opt){ .to_tag = "x" }), 0);
	assert_int_equal(sip_msg_decode(rsp, b.p, b.len), 0);
	assert_null(rsp->to.tag.p);
	assert_null(sip_msg_hdr(rsp, SIP_HDR_RECORD_ROUTE));
	assert_int_equal(rsp->clen, 0);

	/* 400 with the validator's phrase */
	sip_buf_reset(&b);
	assert_int_equal(sip_msg_reply(&b, msg, 400, "Bad CSeq Header", NULL), 0);
	assert_non_null(strstr(b.p, "SIP/2.0 400 Bad CSeq Header\r\n"));
	assert_int_equal(sip_msg_reply(&b, msg, 99, NULL, NULL), EINVAL);
	assert_int_equal(sip_msg_reply(&b, msg, 700, NULL, NULL), EINVAL);

	/* bounded buffer: ENOSPC, sticky */
	{
		char small[64];
		struct sip_buf fb;
		sip_buf_init_fixed(&fb, small, sizeof(small));
		assert_int_equal(sip_msg_reply(&fb, msg, 200, NULL, &opt), ENOSPC);
		assert_int_equal(sip_buf_err(&fb), ENOSPC);
		assert_int_equal(sip_buf_str(&fb, "x"), ENOSPC);
		assert_true(fb.len < sizeof(small));
	}
	sip_buf_free(&b);
	free(msg);
	free(rsp);
	free(buf);
}

static void test_request_roundtrip(void **state)
{
	struct sip_buf b, h;
	struct sip_msg *msg = malloc(sizeof(*msg));
	struct sip_via via, via2;
	struct sip_addr a, a2;
	struct pl in, ruri = PL("sip:+4930123@gw.example;user=phone");
	(void)state;

	/* build Via and From with the printers, then a whole request */
	in = pl_from_str("SIP/2.0/UDP [2001:db8::5]:5062;branch=z9hG4bKrt;rport");
	assert_int_equal(sip_via_decode(&via, &in), 0);
	in = pl_from_str("\"Gate \\\"way\\\"\" <sip:gw@192.0.2.5:5060;transport=udp>;tag=gt1");
	assert_int_equal(sip_addr_decode(&a, &in), 0);
	sip_buf_init(&h, 0);
	sip_buf_str(&h, "Via: ");
	sip_via_print(&h, &via);
	sip_buf_str(&h, "\r\nFrom: ");
	sip_addr_print(&h, &a);
	sip_buf_str(&h, "\r\nTo: <sip:+4930123@gw.example>\r\nCall-ID: rt-1\r\n"
			"CSeq: 1 INVITE\r\nMax-Forwards: 70\r\n");
	assert_int_equal(sip_buf_err(&h), 0);
	sip_buf_init(&b, 0);
	assert_int_equal(sip_msg_request(&b, "INVITE", &ruri, h.p, "text/plain", "hello", 5), 0);
	assert_int_equal(sip_msg_decode(msg, b.p, b.len), 0);
	assert_int_equal(msg->meth, SIP_METHOD_INVITE);
	pl_eq(&msg->ruri_pl, "sip:+4930123@gw.example;user=phone");
	assert_int_equal(msg->clen, 5);
	pl_eq(&msg->body, "hello");

	/* parse(print(x)) == x, field by field */
	pl_eq(&msg->via.host, "2001:db8::5");
	assert_int_equal(msg->via.port, 5062);
	assert_int_equal(sip_pl_unquote(&(struct pl){ "\"x\"", 3 }, &in), true);
	via2 = msg->via;
	assert_int_equal(pl_cmp(&via.branch, &via2.branch), 0);
	assert_int_equal(pl_cmp(&via.transport, &via2.transport), 0);
	assert_int_equal(via.has_rport, via2.has_rport);
	a2 = msg->from;
	assert_int_equal(pl_cmp(&a.dname, &a2.dname), 0);
	assert_true(sip_uri_equal(&a.uri, &a2.uri));
	assert_int_equal(pl_cmp(&a.tag, &a2.tag), 0);
	assert_int_equal(a.dname_quoted, a2.dname_quoted);

	assert_int_equal(sip_msg_request(&b, "BAD METHOD", &ruri, NULL, NULL, NULL, 0), EINVAL);
	sip_buf_free(&b);
	sip_buf_free(&h);
	free(msg);
}

static void test_unsupported(void **state)
{
	static const char m[] = "INVITE sip:a@b SIP/2.0\n"
				"Via: SIP/2.0/UDP h;branch=z9hG4bK\n"
				"From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: u\nCSeq: 1 INVITE\n"
				"Require: 100rel, foo\nProxy-Require: bar\nRequire: timer\n\n";
	static const char *const sup[] = { "100rel", "timer", NULL };
	size_t len;
	char *buf = crlf(m, &len);
	struct sip_msg *msg = malloc(sizeof(*msg));
	struct sip_buf b;
	(void)state;

	assert_int_equal(sip_msg_decode(msg, buf, len), 0);
	sip_buf_init(&b, 0);
	assert_int_equal(sip_msg_unsupported(msg, sup, &b), 2);
	assert_string_equal(b.p, "foo, bar");
	assert_string_equal(sip_reason_phrase(420), "Bad Extension");
	assert_string_equal(sip_reason_phrase(599), "");
	assert_string_equal(sip_method_name(SIP_METHOD_PRACK), "PRACK");
	sip_buf_free(&b);
	free(msg);
	free(buf);
}

static void test_callid(void **state)
{
	static const struct {
		const char *cid;
		bool ok;
	} tv[] = {
		{ "a", true },
		{ "0123456789abcdef@host.example", true },
		{ "~!%*_+`'()<>:\\\"/[]?{}.-@x", true },
		{ "0123456789abcdef ghi", false },
		{ "0123456789abcdef\x7fghi", false },
		{ "0123456789abcde\x80", false },
		{ "01234567\x01", false },
		{ "012 4567890abc", false },
		{ "0\x7f" "234567890abc", false },
		{ "0123456789ab\x7e\x21", true },
		{ "0123456\xff" "01234567", false },
	};
	struct sip_msg *msg = malloc(sizeof(*msg));
	char buf[512];
	(void)state;

	for (size_t i = 0; i < N(tv); i++) {
		int n = snprintf(buf, sizeof(buf),
				 "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK\r\n"
				 "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: %s\r\n"
				 "CSeq: 1 OPTIONS\r\n\r\n",
				 tv[i].cid);
		int ret = sip_msg_decode(msg, buf, (size_t)n);
		if ((ret == 0) != tv[i].ok)
			fail_msg("Call-ID '%s': %d", tv[i].cid, ret);
	}
	free(msg);
}

static void test_torture_fields(void **state)
{
	struct sip_msg *msg = malloc(sizeof(*msg));
	struct sip_contact c;
	size_t len;
	char *buf;
	(void)state;

	/* the unusual-method message */
	for (size_t i = 0; i < N(msgv); i++) {
		if (strcmp(msgv[i].name, "unusual method and URI characters"))
			continue;
		buf = crlf(msgv[i].msg, &len);
		assert_int_equal(sip_msg_decode(msg, buf, len), 0);
		assert_int_equal(msg->meth, SIP_METHOD_OTHER);
		pl_eq(&msg->method, "X.Trunk-Probe_7*+`%~'");
		pl_eq(&msg->ruri.user, "odd_user.name~(lab!)&co+op$/x?,/;;*");
		pl_eq(&msg->ruri.password, "&pw+x=1,y!*z$~_w.(q)");
		pl_eq(&msg->from.dname, "word1~` word2'+_ word3*%!.-");
		pl_eq(&msg->from.tag, "_t~9'+`*%!-.");
		pl_eq(&msg->via.branch, "z9hG4bK-.!%77*_+`'~");
		assert_int_equal(msg->max_forwards, 255);
		assert_non_null(sip_msg_hdr_byname(msg, "x-ext-!.%*+_`'~"));
		free(buf);
	}
	/* the Contact with URI headers in addr-spec form does not decode */
	for (size_t i = 0; i < N(msgv); i++) {
		if (strncmp(msgv[i].name, "Contact addr-spec", 17))
			continue;
		buf = crlf(msgv[i].msg, &len);
		assert_int_equal(sip_msg_decode(msg, buf, len), 0);
		assert_int_equal(sip_msg_contact(msg, &c), EINVAL);
		free(buf);
	}
	free(msg);
}

static void test_accessors(void **state)
{
	static const char m[] =
		"PRACK sip:gw@192.0.2.5 SIP/2.0\n"
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKpr\n"
		"From: <sip:a@b>;tag=1\nTo: <sip:c@d>;tag=2\nCall-ID: acc\nCSeq: 2 PRACK\n"
		"RAck: 4711 1 INVITE\n"
		"RSeq: 4712\n"
		"x: 1800;refresher=uac\n"
		"Min-SE: 90\n"
		"o: dialog;id=abc\n"
		"Reason: Q.850;cause=17, SIP;cause=486;text=\"Busy\"\n"
		"P-Asserted-Identity: \"Caller\" <sip:+4930123@carrier.example;user=phone>, <tel:+4930123>\n"
		"Privacy: id;header\n"
		"Diversion: <sip:+4930999@carrier.example>;reason=unconditional;counter=1\n"
		"History-Info: <sip:a@b>;index=1, <sip:c@d?Reason=SIP%3Bcause%3D302>;index=1.1\n"
		"Authorization: Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:gw\", response=\"x\"\n"
		"Expires: 120\n"
		"Content-Length: 0\n\n";
	size_t len;
	char *buf = crlf(m, &len);
	struct sip_msg *msg = malloc(sizeof(*msg));
	struct sip_rack rack;
	struct sip_session_expires se;
	struct sip_event ev;
	struct sip_reason r;
	struct sip_addr a;
	struct sip_msg_iter it;
	struct pl v;
	uint32_t x;
	unsigned k;
	(void)state;

	assert_int_equal(sip_msg_decode(msg, buf, len), 0);
	assert_int_equal(msg->meth, SIP_METHOD_PRACK);
	assert_int_equal(sip_msg_rack(msg, &rack), 0);
	assert_int_equal(rack.rseq, 4711);
	assert_int_equal(sip_msg_rseq(msg, &x), 0);
	assert_int_equal(x, 4712);
	assert_int_equal(sip_msg_session_expires(msg, &se), 0);
	assert_int_equal(se.delta, 1800);
	pl_eq(&se.refresher, "uac");
	assert_int_equal(sip_msg_min_se(msg, &x), 0);
	assert_int_equal(x, 90);
	assert_int_equal(sip_msg_event(msg, &ev), 0);
	pl_eq(&ev.package, "dialog");
	pl_eq(&ev.id, "abc");
	assert_int_equal(msg->expires, 120);

	k = 0;
	sip_msg_iter_init(&it, msg, SIP_HDR_REASON);
	while (sip_msg_iter_next(&it, &v)) {
		assert_int_equal(sip_reason_decode(&r, &v), 0);
		assert_int_equal(r.cause, k ? 486 : 17);
		k++;
	}
	assert_int_equal(k, 2);

	k = 0;
	sip_msg_iter_init(&it, msg, SIP_HDR_P_ASSERTED_IDENTITY);
	while (sip_msg_iter_next(&it, &v)) {
		assert_int_equal(sip_addr_decode(&a, &v), 0);
		assert_int_equal(a.uri.scheme, k ? SIP_URI_TEL : SIP_URI_SIP);
		k++;
	}
	assert_int_equal(k, 2);
	assert_true(sip_msg_has_tag(msg, SIP_HDR_PRIVACY, "id"));

	sip_msg_iter_init(&it, msg, SIP_HDR_DIVERSION);
	assert_true(sip_msg_iter_next(&it, &v));
	assert_int_equal(sip_addr_decode(&a, &v), 0);
	assert_int_equal(sip_param_get(&a.params, "reason", &v), 0);
	pl_eq(&v, "unconditional");

	k = 0;
	sip_msg_iter_init(&it, msg, SIP_HDR_HISTORY_INFO);
	while (sip_msg_iter_next(&it, &v)) {
		assert_int_equal(sip_addr_decode(&a, &v), 0);
		assert_int_equal(sip_param_get(&a.params, "index", &v), 0);
		pl_eq(&v, k ? "1.1" : "1");
		k++;
	}
	assert_int_equal(k, 2);
	assert_int_equal(sip_uri_header(&a.uri, "reason", &v), 0);
	pl_eq(&v, "SIP%3Bcause%3D302");

	/* raw value access for digest credentials */
	pl_eq(&sip_msg_hdr(msg, SIP_HDR_AUTHORIZATION)->val,
	      "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:gw\", response=\"x\"");
	assert_ptr_equal(sip_msg_hdr_last(msg, SIP_HDR_VIA), sip_msg_hdr(msg, SIP_HDR_VIA));
	assert_int_equal(sip_msg_rseq(msg, &x), 0);
	free(msg);
	free(buf);
}

static void test_bare_lf(void **state)
{
	/* lenient: bare LF line ends are accepted */
	static const char m[] = "BYE sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bKlf\n"
				"From: <sip:a@b>;tag=1\nTo: <sip:c@d>;tag=2\nCall-ID: lf\n"
				"CSeq: 2 BYE\nContent-Length: 0\n\n";
	struct sip_msg *msg = malloc(sizeof(*msg));
	(void)state;

	assert_int_equal(sip_msg_decode(msg, m, sizeof(m) - 1), 0);
	pl_eq(&msg->to.tag, "2");
	pl_eq(&msg->call_id, "lf");
	free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_tortuous_fields),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_via_vectors),
		cmocka_unit_test(test_addr_vectors),
		cmocka_unit_test(test_small_decoders),
		cmocka_unit_test(test_hdr_names),
		cmocka_unit_test(test_params_lists),
		cmocka_unit_test(test_many_long),
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_request_roundtrip),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_callid),
		cmocka_unit_test(test_accessors),
		cmocka_unit_test(test_torture_fields),
		cmocka_unit_test(test_bare_lf),
	};
	return cmocka_run_group_tests_name("sip_msg", tests, NULL, NULL);
}
