/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for sip/uri: decoding of sip/sips/tel/other URIs (RFC 3261
 * §19.1, §25.1; RFC 3966), parameters and headers, telephone digits,
 * the §19.1.4 comparison examples, and parse(print(x)) round trips.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sip/uri.h"

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

static const struct urlv {
	const char *in;
	int err;
	enum sip_uri_scheme scheme;
	const char *user, *password, *host;
	enum sip_host_type ht;
	uint16_t port;
	const char *params, *headers;
} urlv[] = {
	{ "sip:alice@atlanta.com", 0, SIP_URI_SIP, "alice", NULL, "atlanta.com", SIP_HOST_NAME, 0,
	  NULL, NULL },
	{ "SIPS:alice:secretword@[2001:db8::1]:5061;transport=tls;lr?Subject=hi&Priority=urgent", 0,
	  SIP_URI_SIPS, "alice", "secretword", "2001:db8::1", SIP_HOST_IPV6, 5061,
	  "transport=tls;lr", "Subject=hi&Priority=urgent" },
	{ "sip:+1-212-555-1212:1234@gateway.com;user=phone", 0, SIP_URI_SIP, "+1-212-555-1212",
	  "1234", "gateway.com", SIP_HOST_NAME, 0, "user=phone", NULL },
	{ "sip:192.0.2.4", 0, SIP_URI_SIP, NULL, NULL, "192.0.2.4", SIP_HOST_IPV4, 0, NULL, NULL },
	{ "sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com", 0, SIP_URI_SIP, NULL, NULL,
	  "atlanta.com", SIP_HOST_NAME, 0, "method=REGISTER", "to=alice%40atlanta.com" },
	{ "sip:ext;ctx=pbx%40site.example@gw.example.org", 0, SIP_URI_SIP, "ext;ctx=pbx%40site.example",
	  NULL, "gw.example.org", SIP_HOST_NAME, 0, NULL, NULL },
	{ "sip:*31#4930@pbx.example", 0, SIP_URI_SIP, "*31#4930", NULL, "pbx.example",
	  SIP_HOST_NAME, 0, NULL, NULL },
	{ "sip:host.example:5070;lr;maddr=[::ffff:192.0.2.1]", 0, SIP_URI_SIP, NULL, NULL,
	  "host.example", SIP_HOST_NAME, 5070, "lr;maddr=[::ffff:192.0.2.1]", NULL },
	{ "sip:[::ffff:192.0.2.128]", 0, SIP_URI_SIP, NULL, NULL, "::ffff:192.0.2.128",
	  SIP_HOST_IPV6, 0, NULL, NULL },
	{ "sip:1.2.3.256", 0, SIP_URI_SIP, NULL, NULL, "1.2.3.256", SIP_HOST_NAME, 0, NULL, NULL },
	{ "tel:+1-201-555-0123", 0, SIP_URI_TEL, "+1-201-555-0123", NULL, NULL, SIP_HOST_NONE, 0,
	  NULL, NULL },
	{ "tel:7042;phone-context=example.com", 0, SIP_URI_TEL, "7042", NULL, NULL,
	  SIP_HOST_NONE, 0, "phone-context=example.com", NULL },
	{ "tel:863-1234;phone-context=+1-914-555", 0, SIP_URI_TEL, "863-1234", NULL, NULL,
	  SIP_HOST_NONE, 0, "phone-context=+1-914-555", NULL },
	{ "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6", 0, SIP_URI_OTHER, NULL, NULL, NULL,
	  SIP_HOST_NONE, 0, NULL, NULL },
	{ "http://www.example.com/~user", 0, SIP_URI_OTHER, NULL, NULL, NULL, SIP_HOST_NONE, 0,
	  NULL, NULL },
	{ .in = "sip:", .err = EINVAL },
	{ .in = "sip:@host", .err = EINVAL },
	{ .in = "sip:user@", .err = EINVAL },
	{ .in = "sip:host:0", .err = EINVAL },
	{ .in = "sip:host:65536", .err = EINVAL },
	{ .in = "sip:host:", .err = EINVAL },
	{ .in = "sip:host:12a", .err = EINVAL },
	{ .in = "sip:[::1", .err = EINVAL },
	{ .in = "sip:[1:2:3:4:5:6:7:8:9]", .err = EINVAL },
	{ .in = "sip:[1::2::3]", .err = EINVAL },
	{ .in = "sip:ho st", .err = EINVAL },
	{ .in = "sip:host;;lr", .err = EINVAL },
	{ .in = "sip:host;=x", .err = EINVAL },
	{ .in = "sip:host;lr;", .err = EINVAL },
	{ .in = "sip:host?", .err = EINVAL },
	{ .in = "sip:a%2@host", .err = EINVAL },
	{ .in = "sip:a%zz@host", .err = EINVAL },
	{ .in = "sip:a\"b@host", .err = EINVAL },
	{ .in = "sip:a@ho<st", .err = EINVAL },
	{ .in = "sip:a@h\xc3\xa9", .err = EINVAL },
	{ .in = "nocolon", .err = EINVAL },
	{ .in = "1sip:host", .err = EINVAL },
	{ .in = ":host", .err = EINVAL },
	{ .in = "tel:+", .err = EINVAL },
	{ .in = "tel:+12a", .err = EINVAL },
	{ .in = "tel:xyz", .err = EINVAL },
	{ .in = "tel:", .err = EINVAL },
	{ .in = "urn:", .err = EINVAL },
	{ .in = "", .err = EINVAL },
};

static void test_decode(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(urlv); i++) {
		struct sip_uri u;
		struct pl in = pl_from_str(urlv[i].in);
		int err = sip_uri_decode(&u, &in);
		if (err != urlv[i].err)
			fail_msg("uri '%s': %d", urlv[i].in, err);
		if (err)
			continue;
		assert_int_equal(u.scheme, urlv[i].scheme);
		if (u.scheme == SIP_URI_OTHER)
			continue;
		pl_eq(&u.user, urlv[i].user);
		pl_eq(&u.password, urlv[i].password);
		pl_eq(&u.host, urlv[i].host);
		assert_int_equal(u.host_type, urlv[i].ht);
		assert_int_equal(u.port, urlv[i].port);
		pl_eq(&u.params, urlv[i].params);
		pl_eq(&u.headers, urlv[i].headers);
	}
}

static void test_params_headers(void **state)
{
	struct sip_uri u;
	struct pl in = PL("sips:bob@b.example;transport=TLS;lr;ttl=5?Subject=project%20x&Priority=urgent&Empty");
	struct pl v;
	char buf[64];
	size_t n;
	(void)state;

	assert_int_equal(sip_uri_decode(&u, &in), 0);
	assert_int_equal(sip_uri_param(&u, "Transport", &v), 0);
	pl_eq(&v, "TLS");
	assert_int_equal(sip_uri_param(&u, "lr", &v), 0);
	assert_int_equal(v.l, 0);
	assert_int_equal(sip_uri_param(&u, "maddr", &v), ENOENT);
	assert_int_equal(sip_uri_header(&u, "subject", &v), 0);
	assert_int_equal(sip_pl_unescape(&v, buf, sizeof(buf), &n), 0);
	assert_string_equal(buf, "project x");
	assert_int_equal(sip_uri_header(&u, "Priority", &v), 0);
	pl_eq(&v, "urgent");
	assert_int_equal(sip_uri_header(&u, "Empty", &v), 0);
	assert_int_equal(v.l, 0);
	assert_int_equal(sip_uri_header(&u, "To", &v), ENOENT);
	assert_string_equal(sip_uri_scheme_name(u.scheme), "sips");
}

static void test_tel_digits(void **state)
{
	static const struct {
		const char *in;
		int err;
		const char *out;
	} tv[] = {
		{ "+1-201-555-0123", 0, "+12015550123" },
		{ "(0)30.1234-5", 0, "0301234" "5" },
		{ "%2B4930", 0, "+4930" },
		{ "*31#12", 0, "*31#12" },
		{ "12ab", 0, "12ab" },
		{ "12x", EINVAL, "" },
		{ "1+2", EINVAL, "" },
		{ "%zz", EINVAL, "" },
	};
	char buf[32];
	(void)state;
	for (size_t i = 0; i < N(tv); i++) {
		struct pl in = pl_from_str(tv[i].in);
		assert_int_equal(sip_uri_tel_digits(&in, buf, sizeof(buf)), tv[i].err);
		assert_string_equal(buf, tv[i].out);
	}
	{
		struct pl in = PL("+4930123456789");
		assert_int_equal(sip_uri_tel_digits(&in, buf, 8), ENOSPC);
	}
}

/* RFC 3261 §19.1.4 examples, RFC 3966 §4 for tel. */
static void test_equal(void **state)
{
	static const struct {
		const char *a, *b;
		bool eq;
	} tv[] = {
		{ "sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp", true },
		{ "sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5", true },
		{ "sip:carol@chicago.com", "sip:carol@chicago.com;security=on", true },
		{ "sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on", true },
		{ "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
		  "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com", true },
		{ "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
		  "sip:alice@atlanta.com?priority=urgent&subject=project%20x", true },
		{ "SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP", false },
		{ "sip:bob@biloxi.com", "sip:bob@biloxi.com:5060", false },
		{ "sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp", false },
		{ "sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp", false },
		{ "sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting", false },
		{ "sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4", false },
		{ "sip:a@h;maddr=1.2.3.4", "sip:a@h", false },
		{ "sip:a@h;newparam=5", "sip:a@h;newparam=6", false },
		{ "sips:a@h", "sip:a@h", false },
		{ "sip:a:pw@h", "sip:a@h", false },
		{ "sip:a:pw@h", "sip:a:pw@H", true },
		{ "sip:[2001:DB8::1]", "sip:[2001:db8::1]", true },
		{ "tel:+1-201-555-0123", "tel:+12015550123", true },
		{ "tel:7042;phone-context=example.com", "tel:7042;PHONE-CONTEXT=Example.com", true },
		{ "tel:7042;phone-context=example.com", "tel:7042;phone-context=example.org", false },
		{ "tel:+7042", "tel:7042;phone-context=example.com", false },
		{ "tel:+1;isub=1;x=2", "tel:+1;x=2;isub=1", true },
		{ "tel:+1;isub=1", "tel:+1", false },
		{ "sip:a@h;transport=tcp;x=1;transport=TCPx", "sip:a@h;transport=tcp;x=1;transport=TCPx",
		  true },
		{ "sip:a@h;user=phone;user=x", "sip:a@h;user=phone", true },
		{ "sip:a@h?x=1&x=2&y", "sip:a@h?y&x=1", true },
		{ "sip:a@h?x=1", "sip:a@h?x=2", false },
		{ "sip:a@h?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "sip:a@h?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true },
		{ "urn:a:b", "URN:a:b", true },
		{ "urn:a:b", "urn:a:c", false },
	};
	(void)state;
	for (size_t i = 0; i < N(tv); i++) {
		struct sip_uri a, b;
		struct pl pa = pl_from_str(tv[i].a), pb = pl_from_str(tv[i].b);
		assert_int_equal(sip_uri_decode(&a, &pa), 0);
		assert_int_equal(sip_uri_decode(&b, &pb), 0);
		if (sip_uri_equal(&a, &b) != tv[i].eq || sip_uri_equal(&b, &a) != tv[i].eq)
			fail_msg("'%s' vs '%s': expected %s", tv[i].a, tv[i].b,
				 tv[i].eq ? "equal" : "different");
	}
}

static void test_print_roundtrip(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(urlv); i++) {
		struct sip_uri u, u2;
		struct pl in = pl_from_str(urlv[i].in), out;
		struct sip_buf b;
		char mem[512];

		if (urlv[i].err)
			continue;
		assert_int_equal(sip_uri_decode(&u, &in), 0);
		sip_buf_init_fixed(&b, mem, sizeof(mem));
		assert_int_equal(sip_uri_print(&b, &u), 0);
		out = sip_buf_slice(&b);
		assert_int_equal(sip_uri_decode(&u2, &out), 0);
		assert_true(sip_uri_equal(&u, &u2));
		/* the printer writes lower-case schemes; the rest is verbatim */
		assert_int_equal(pl_casecmp(&in, &out), 0);
	}
}

static void test_host_type(void **state)
{
	(void)state;
	assert_int_equal(sip_host_type("10.0.0.1", 8, false), SIP_HOST_IPV4);
	assert_int_equal(sip_host_type("a-b.example", 11, false), SIP_HOST_NAME);
	assert_int_equal(sip_host_type("a b", 3, false), SIP_HOST_NONE);
	assert_int_equal(sip_host_type("fe80::1", 7, true), SIP_HOST_IPV6);
	assert_int_equal(sip_host_type("fe80:::1", 8, true), SIP_HOST_NONE);
	assert_int_equal(sip_host_type("1:2:3:4:5:6:7:8", 15, true), SIP_HOST_IPV6);
	assert_int_equal(sip_host_type("1:2:3:4:5:6:7", 13, true), SIP_HOST_NONE);
	assert_int_equal(sip_host_type("::", 2, true), SIP_HOST_IPV6);
	assert_int_equal(sip_host_type("1::", 3, true), SIP_HOST_IPV6);
	assert_int_equal(sip_host_type("12345::", 7, true), SIP_HOST_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_params_headers),
		cmocka_unit_test(test_tel_digits),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_print_roundtrip),
		cmocka_unit_test(test_host_type),
	};
	return cmocka_run_group_tests_name("sip_uri", tests, NULL, NULL);
}
