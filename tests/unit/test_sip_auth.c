/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for sip/auth: RFC 2617 §3.5 and RFC 7616 §3.9.1 vectors,
 * MD5/SHA-256 (-sess) with auth, auth-int and no qop (expected values from
 * an independent implementation, Python hashlib), challenge and credential
 * parsing, client loop protection and stale handling, server nonces,
 * expiry, replay and HA1 verification.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "sip/auth.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_digest_vectors(void **state)
{
	static const char n7616[] = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
	static const char c7616[] = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
	static const char nsip[] = "84a4cc6f3082121f32b42a2187831a9e";
	static const struct {
		enum sip_auth_algo algo;
		enum sip_auth_qop qop;
		const char *user, *realm, *pw, *nonce, *cnonce;
		uint32_t nc;
		const char *method, *uri, *body, *expect;
	} testv[] = {
		/* RFC 2617 §3.5 */
		{ SIP_AUTH_MD5, SIP_AUTH_QOP_AUTH, "Mufasa", "testrealm@host.com",
		  "Circle Of Life", "dcd98b7102dd2f0e8b11d0f600bfb0c093",
		  "0a4f113b", 1, "GET", "/dir/index.html", NULL,
		  "6629fae49393a05397450978507c4ef1" },
		/* RFC 7616 §3.9.1, MD5 and SHA-256 */
		{ SIP_AUTH_MD5, SIP_AUTH_QOP_AUTH, "Mufasa",
		  "http-auth@example.org", "Circle of Life", n7616, c7616, 1,
		  "GET", "/dir/index.html", NULL,
		  "8ca523f5e9506fed4657c9700eebdbec" },
		{ SIP_AUTH_SHA256, SIP_AUTH_QOP_AUTH, "Mufasa",
		  "http-auth@example.org", "Circle of Life", n7616, c7616, 1,
		  "GET", "/dir/index.html", NULL,
		  "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1" },
		/* SIP vectors, computed with Python hashlib */
		{ SIP_AUTH_MD5_SESS, SIP_AUTH_QOP_AUTH, "bob", "biloxi.com",
		  "zanzibar", nsip, "0a4f113b", 2, "INVITE",
		  "sip:bob@biloxi.com", "v=0\r\n",
		  "db4b5165250e839050dac9e95b5bfc4a" },
		{ SIP_AUTH_SHA256_SESS, SIP_AUTH_QOP_AUTH, "bob", "biloxi.com",
		  "zanzibar", nsip, "0a4f113b", 2, "INVITE",
		  "sip:bob@biloxi.com", "v=0\r\n",
		  "d0ac74745eb15b1ac38a3cdda7269451589be546ac59707e58ad6d8853973563" },
		{ SIP_AUTH_MD5, SIP_AUTH_QOP_AUTH_INT, "bob", "biloxi.com",
		  "zanzibar", nsip, "0a4f113b", 2, "INVITE",
		  "sip:bob@biloxi.com", "v=0\r\n",
		  "61c0581ebcdb0d8fc8666c290caea0f3" },
		{ SIP_AUTH_SHA256, SIP_AUTH_QOP_AUTH_INT, "bob", "biloxi.com",
		  "zanzibar", nsip, "0a4f113b", 2, "INVITE",
		  "sip:bob@biloxi.com", "v=0\r\n",
		  "0bc866972c8b524356d1b0e0a38c0bb7e62fe0feea68880fee12cf347ca79166" },
		{ SIP_AUTH_SHA256_SESS, SIP_AUTH_QOP_AUTH_INT, "bob", "biloxi.com",
		  "zanzibar", nsip, "0a4f113b", 2, "INVITE",
		  "sip:bob@biloxi.com", "v=0\r\n",
		  "3df1c4324b3bf528241414ccc64ad8dfbe050783bac6ec173c6d3fa43a5a96ee" },
		{ SIP_AUTH_MD5, SIP_AUTH_QOP_NONE, "bob", "biloxi.com",
		  "zanzibar", nsip, NULL, 0, "INVITE", "sip:bob@biloxi.com",
		  NULL, "4d35336be95afbae5e91c5eb2f8a341c" },
		{ SIP_AUTH_SHA256, SIP_AUTH_QOP_NONE, "bob", "biloxi.com",
		  "zanzibar", nsip, NULL, 0, "INVITE", "sip:bob@biloxi.com",
		  NULL,
		  "9b072c06c63aaa4a4c8888ac8d2153ff87b07cfb94126ef93fb6bd0c569217dc" },
	};
	(void)state;
	for (size_t i = 0; i < N(testv); i++) {
		struct sip_auth_digest_in in = {
			.algo = testv[i].algo, .qop = testv[i].qop,
			.username = testv[i].user, .realm = testv[i].realm,
			.password = testv[i].pw, .nonce = testv[i].nonce,
			.cnonce = testv[i].cnonce, .nc = testv[i].nc,
			.method = pl_from_str(testv[i].method),
			.uri = pl_from_str(testv[i].uri),
			.body = pl_from_str(testv[i].body),
		};
		char out[SIP_AUTH_HEX_MAX];
		assert_int_equal(sip_auth_digest(&in, out, sizeof(out)), 0);
		if (strcmp(out, testv[i].expect))
			fail_msg("vector %zu: %s != %s", i, out, testv[i].expect);

		/* the same through a precomputed HA1 (uppercase accepted) */
		char ha1[SIP_AUTH_HEX_MAX];
		assert_int_equal(sip_auth_ha1(testv[i].algo, testv[i].user,
					      testv[i].realm, testv[i].pw, ha1,
					      sizeof(ha1)), 0);
		for (char *p = ha1; *p; p++)
			if (*p >= 'a' && *p <= 'f')
				*p = (char)(*p - 32);
		in.password = NULL;
		in.ha1 = ha1;
		assert_int_equal(sip_auth_digest(&in, out, sizeof(out)), 0);
		assert_string_equal(out, testv[i].expect);
	}
}

static void test_digest_errors(void **state)
{
	struct sip_auth_digest_in in = {
		.algo = SIP_AUTH_MD5, .qop = SIP_AUTH_QOP_AUTH,
		.username = "u", .realm = "r", .password = "p", .nonce = "n",
		.cnonce = NULL, .method = PL("GET"), .uri = PL("/"),
	};
	char out[SIP_AUTH_HEX_MAX];
	(void)state;
	/* qop needs a cnonce */
	assert_int_equal(sip_auth_digest(&in, out, sizeof(out)), EINVAL);
	in.cnonce = "c";
	assert_int_equal(sip_auth_digest(&in, out, 10), ENOSPC);
	in.algo = SIP_AUTH_ALGO_UNKNOWN;
	assert_int_equal(sip_auth_digest(&in, out, sizeof(out)), EINVAL);
	in.algo = SIP_AUTH_SHA256;
	in.password = NULL;
	in.ha1 = "abcd"; /* wrong length for SHA-256 */
	assert_int_equal(sip_auth_digest(&in, out, sizeof(out)), EINVAL);
}

static void test_chall_parse(void **state)
{
	static const struct {
		const char *in;
		int err;
		size_t n;
		enum sip_auth_algo algo;
		unsigned qop;
		bool stale;
		const char *realm, *nonce, *opaque;
	} testv[] = {
		{ "Digest realm=\"atlanta.com\", domain=\"sip:ss1.carrier.com\", "
		  "qop=\"auth\", nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", "
		  "opaque=\"\", stale=FALSE, algorithm=MD5",
		  0, 1, SIP_AUTH_MD5, SIP_AUTH_QOP_AUTH, false, "atlanta.com",
		  "f84f1cec41e6cbe5aea9c8e88d359", "" },
		/* escapes, comma inside quotes, unknown params, no spaces */
		{ "Digest realm=\"a\\\"b,c\",nonce=abc,foo=\"x,y\",bar=baz,"
		  "algorithm=SHA-256,qop=\"auth-int, auth\",stale=true",
		  0, 1, SIP_AUTH_SHA256, SIP_AUTH_QOP_AUTH | SIP_AUTH_QOP_AUTH_INT,
		  true, "a\"b,c", "abc", NULL },
		/* two challenges in one value; Basic is skipped */
		{ "Basic realm=\"x\", Digest realm=\"r1\", nonce=\"n1\", "
		  "algorithm=sha-256-SESS",
		  0, 1, SIP_AUTH_SHA256_SESS, 0, false, "r1", "n1", NULL },
		{ "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==, Digest realm=\"r\", nonce=\"n\"",
		  0, 1, SIP_AUTH_MD5, 0, false, "r", "n", NULL },
		{ "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256",
		  0, 1, SIP_AUTH_ALGO_UNKNOWN, 0, false, "r", "n", NULL },
		{ "  digest  realm = \"r\" , nonce = n ,qop=auth", 0, 1,
		  SIP_AUTH_MD5, SIP_AUTH_QOP_AUTH, false, "r", "n", NULL },
		/* missing nonce: not usable, dropped */
		{ "Digest realm=\"r\"", 0, 0, 0, 0, false, NULL, NULL, NULL },
		{ "Bearer", 0, 0, 0, 0, false, NULL, NULL, NULL },
		{ "", 0, 0, 0, 0, false, NULL, NULL, NULL },
		{ "Digest realm=\"unterminated", EBADMSG, 0, 0, 0, false, NULL,
		  NULL, NULL },
		{ "Digest realm=\"r\" nonce=\"n\"", EBADMSG, 0, 0, 0, false, NULL,
		  NULL, NULL },
		{ "realm=\"r\"", EBADMSG, 0, 0, 0, false, NULL, NULL, NULL },
		{ "Digest realm=\"r\\", EBADMSG, 0, 0, 0, false, NULL, NULL,
		  NULL },
		{ "Digest =x", EBADMSG, 0, 0, 0, false, NULL, NULL, NULL },
	};
	(void)state;
	for (size_t i = 0; i < N(testv); i++) {
		struct sip_auth_chall v[2];
		struct pl in = pl_from_str(testv[i].in);
		size_t n = 99;
		int err = sip_auth_chall_parse(&in, v, 2, &n);
		if (err != testv[i].err)
			fail_msg("vector %zu: err %d != %d", i, err, testv[i].err);
		if (err)
			continue;
		assert_int_equal(n, testv[i].n);
		if (!n)
			continue;
		assert_int_equal(v[0].algo, testv[i].algo);
		assert_int_equal(v[0].qop, testv[i].qop);
		assert_int_equal(v[0].stale, testv[i].stale);
		assert_string_equal(v[0].realm, testv[i].realm);
		assert_string_equal(v[0].nonce, testv[i].nonce);
		assert_int_equal(v[0].has_opaque, testv[i].opaque != NULL);
		if (testv[i].opaque)
			assert_string_equal(v[0].opaque, testv[i].opaque);
	}

	/* two Digest challenges, more than fit */
	struct pl two = PL("Digest realm=\"a\", nonce=\"1\", algorithm=SHA-256, "
			   "Digest realm=\"a\", nonce=\"2\", algorithm=MD5");
	struct sip_auth_chall v[2];
	size_t n;
	assert_int_equal(sip_auth_chall_parse(&two, v, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].algo, SIP_AUTH_SHA256);
	assert_int_equal(v[1].algo, SIP_AUTH_MD5);
	assert_string_equal(v[1].nonce, "2");
	assert_int_equal(sip_auth_chall_parse(&two, v, 1, &n), 0);
	assert_int_equal(n, 1);

	char big[600];
	memset(big, 'x', sizeof(big));
	memcpy(big, "Digest nonce=\"", 14);
	big[sizeof(big) - 2] = '"';
	big[sizeof(big) - 1] = '\0';
	struct pl bp = pl_from_str(big);
	assert_int_equal(sip_auth_chall_parse(&bp, v, 2, &n), EMSGSIZE);
}

static void test_cred_parse(void **state)
{
	static const struct {
		const char *in;
		int err;
		enum sip_auth_qop qop;
		uint32_t nc;
		const char *user, *uri, *resp;
	} testv[] = {
		{ "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
		  "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
		  "uri=\"/dir/index.html\", qop=auth, nc=00000001, "
		  "cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\", "
		  "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
		  0, SIP_AUTH_QOP_AUTH, 1, "Mufasa", "/dir/index.html",
		  "6629fae49393a05397450978507c4ef1" },
		{ "Digest username=\"bob\",realm=\"b\",nonce=\"n\",uri=\"sip:a;x=\\\"1\\\"\","
		  "response=\"00\",algorithm=MD5",
		  0, SIP_AUTH_QOP_NONE, 0, "bob", "sip:a;x=\"1\"", "00" },
		{ "Digest username=\"bob\",realm=\"b\",nonce=\"n\",uri=\"u\","
		  "response=\"00\",qop=auth-int,nc=0000000A,cnonce=\"c\"",
		  0, SIP_AUTH_QOP_AUTH_INT, 10, "bob", "u", "00" },
		/* qop without nc / cnonce */
		{ "Digest username=\"bob\",realm=\"b\",nonce=\"n\",uri=\"u\","
		  "response=\"00\",qop=auth", EBADMSG, 0, 0, NULL, NULL, NULL },
		{ "Digest username=\"bob\",realm=\"b\",nonce=\"n\",uri=\"u\","
		  "response=\"00\",qop=weird,nc=1,cnonce=c", ENOTSUP, 0, 0, NULL,
		  NULL, NULL },
		{ "Digest username=\"bob\",realm=\"b\",nonce=\"n\",uri=\"u\","
		  "response=\"00\",qop=auth,nc=123456789,cnonce=c", EBADMSG, 0,
		  0, NULL, NULL, NULL },
		{ "Digest username=\"bob\",realm=\"b\",nonce=\"n\",uri=\"u\"",
		  EBADMSG, 0, 0, NULL, NULL, NULL },
		{ "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", EBADMSG, 0, 0, NULL, NULL,
		  NULL },
		{ "Digest username=\"a\",realm=\"b\",nonce=\"n\",uri=\"u\","
		  "response=\"00\", Digest username=\"x\"", EBADMSG, 0, 0, NULL,
		  NULL, NULL },
	};
	(void)state;
	for (size_t i = 0; i < N(testv); i++) {
		struct sip_auth_cred c;
		struct pl in = pl_from_str(testv[i].in);
		int err = sip_auth_cred_parse(&in, &c);
		if (err != testv[i].err)
			fail_msg("vector %zu: err %d != %d", i, err, testv[i].err);
		if (err)
			continue;
		assert_int_equal(c.qop, testv[i].qop);
		assert_int_equal(c.nc, testv[i].nc);
		assert_string_equal(c.username, testv[i].user);
		assert_string_equal(c.uri, testv[i].uri);
		assert_string_equal(c.response, testv[i].resp);
	}
}

/* A full exchange: server challenge -> client answer -> server verify. */
static void test_client_server(void **state)
{
	static const struct {
		unsigned algos;
		unsigned qop;
		enum sip_auth_algo expect_algo;
	} testv[] = {
		{ 1u << SIP_AUTH_MD5, SIP_AUTH_QOP_AUTH, SIP_AUTH_MD5 },
		{ 1u << SIP_AUTH_SHA256 | 1u << SIP_AUTH_MD5, SIP_AUTH_QOP_AUTH,
		  SIP_AUTH_SHA256 },
		{ 1u << SIP_AUTH_SHA256_SESS, SIP_AUTH_QOP_AUTH_INT,
		  SIP_AUTH_SHA256_SESS },
		{ 1u << SIP_AUTH_MD5_SESS, SIP_AUTH_QOP_AUTH, SIP_AUTH_MD5_SESS },
		{ 1u << SIP_AUTH_MD5, 0, SIP_AUTH_MD5 },
	};
	static struct sip_auth_server srv;
	struct sip_auth_client cli;
	struct pl method = PL("INVITE"), uri = PL("sip:+15551234@gw.example");
	struct pl body = PL("v=0\r\n");
	(void)state;

	for (size_t i = 0; i < N(testv); i++) {
		char ch[2][512], out[1024], ha1[SIP_AUTH_HEX_MAX];
		struct pl hv[2];
		size_t nh = 0;
		struct sip_auth_cred c;

		assert_int_equal(sip_auth_server_init(&srv, "gw.example", 30,
						      testv[i].algos,
						      testv[i].qop, NULL), 0);
		/* MD5 header first: the client must still prefer SHA-256 */
		for (int a = SIP_AUTH_ALGO_UNKNOWN - 1; a >= 0; a--) {
			if (!(testv[i].algos & (1u << a)))
				continue;
			assert_int_equal(sip_auth_server_challenge(
						 &srv, 1000, (enum sip_auth_algo)a,
						 false, ch[nh], sizeof(ch[nh])), 0);
			hv[nh] = pl_from_str(ch[nh]);
			nh++;
		}
		assert_int_equal(sip_auth_client_init(&cli, "alice", "s3cr\"t",
						      NULL), 0);
		assert_int_equal(sip_auth_client_respond(&cli, hv, nh, &method,
							 &uri, &body, out,
							 sizeof(out)), 0);
		struct pl op = pl_from_str(out);
		assert_int_equal(sip_auth_cred_parse(&op, &c), 0);
		assert_int_equal(c.algo, testv[i].expect_algo);
		assert_string_equal(c.username, "alice");
		assert_int_equal(c.nc, testv[i].qop ? 1 : 0);

		assert_int_equal(sip_auth_server_verify(&srv, &c, &method, &uri,
							&body, "s3cr\"t", NULL,
							1005), 0);
		/* wrong password, wrong method, wrong uri, body changed */
		assert_int_equal(sip_auth_server_verify(&srv, &c, &method, &uri,
							&body, "other", NULL,
							1005), EACCES);
		struct pl m2 = PL("BYE"), u2 = PL("sip:x@y");
		assert_int_equal(sip_auth_server_verify(&srv, &c, &m2, &uri,
							&body, "s3cr\"t", NULL,
							1005), EACCES);
		assert_int_equal(sip_auth_server_verify(&srv, &c, &method, &u2,
							&body, "s3cr\"t", NULL,
							1005), EACCES);
		if (testv[i].qop == SIP_AUTH_QOP_AUTH_INT) {
			struct pl b2 = PL("v=1\r\n");
			assert_int_equal(sip_auth_server_verify(
						 &srv, &c, &method, &uri, &b2,
						 "s3cr\"t", NULL, 1005), EACCES);
		}
		/* precomputed HA1 */
		assert_int_equal(sip_auth_ha1(c.algo, "alice", "gw.example",
					      "s3cr\"t", ha1, sizeof(ha1)), 0);
		if (testv[i].qop) {
			/* same nc again: replay */
			assert_int_equal(sip_auth_server_verify(
						 &srv, &c, &method, &uri, &body,
						 NULL, ha1, 1006), EALREADY);
			/* next request with the same nonce, nc=2 */
			assert_int_equal(sip_auth_client_reuse(&cli, &method,
							       &uri, &body, out,
							       sizeof(out)), 0);
			op = pl_from_str(out);
			assert_int_equal(sip_auth_cred_parse(&op, &c), 0);
			assert_int_equal(c.nc, 2);
			assert_int_equal(sip_auth_server_verify(
						 &srv, &c, &method, &uri, &body,
						 NULL, ha1, 1006), 0);
		} else {
			assert_int_equal(sip_auth_server_verify(
						 &srv, &c, &method, &uri, &body,
						 NULL, ha1, 1006), 0);
		}
		/* expired: stale */
		assert_int_equal(sip_auth_server_verify(&srv, &c, &method, &uri,
							&body, "s3cr\"t", NULL,
							1031), ETIMEDOUT);
		/* a server with another secret does not know the nonce */
		static struct sip_auth_server other;
		assert_int_equal(sip_auth_server_init(&other, "gw.example", 30,
						      testv[i].algos,
						      testv[i].qop, NULL), 0);
		assert_int_equal(sip_auth_server_verify(&other, &c, &method,
							&uri, &body, "s3cr\"t",
							NULL, 1005), EACCES);
	}
}

static void test_server_policy(void **state)
{
	static struct sip_auth_server srv;
	static const uint8_t secret[32] = { 1, 2, 3 };
	struct sip_auth_client cli;
	struct sip_auth_cred c;
	char ch[512], out[1024];
	struct pl method = PL("REGISTER"), uri = PL("sip:gw.example");
	(void)state;

	assert_int_equal(sip_auth_server_init(&srv, "gw.example", 60,
					      1u << SIP_AUTH_SHA256,
					      SIP_AUTH_QOP_AUTH, secret), 0);
	assert_int_equal(sip_auth_server_challenge(&srv, 50, SIP_AUTH_MD5,
						   false, ch, sizeof(ch)), EINVAL);
	assert_int_equal(sip_auth_server_challenge(&srv, 50, SIP_AUTH_SHA256,
						   false, ch, 20), ENOSPC);
	assert_int_equal(sip_auth_server_challenge(&srv, 50, SIP_AUTH_SHA256,
						   false, ch, sizeof(ch)), 0);
	struct pl hv = pl_from_str(ch);
	sip_auth_client_init(&cli, "u", "p", "gw.example");
	assert_int_equal(sip_auth_client_respond(&cli, &hv, 1, &method, &uri,
						 NULL, out, sizeof(out)), 0);
	struct pl op = pl_from_str(out);
	assert_int_equal(sip_auth_cred_parse(&op, &c), 0);

	/* downgrade to RFC 2069 (no qop) is refused */
	struct sip_auth_cred d = c;
	struct sip_auth_digest_in in = {
		.algo = SIP_AUTH_SHA256, .username = "u", .realm = "gw.example",
		.password = "p", .nonce = c.nonce, .method = method, .uri = uri,
	};
	d.qop = SIP_AUTH_QOP_NONE;
	assert_int_equal(sip_auth_digest(&in, d.response, sizeof(d.response)), 0);
	assert_int_equal(sip_auth_server_verify(&srv, &d, &method, &uri, NULL,
						"p", NULL, 51), EACCES);
	/* MD5 not accepted by this server */
	d = c;
	d.algo = SIP_AUTH_MD5;
	assert_int_equal(sip_auth_server_verify(&srv, &d, &method, &uri, NULL,
						"p", NULL, 51), EACCES);
	/* tampered nonce */
	d = c;
	d.nonce[3] = d.nonce[3] == '0' ? '1' : '0';
	assert_int_equal(sip_auth_server_verify(&srv, &d, &method, &uri, NULL,
						"p", NULL, 51), EACCES);
	/* nonce from the future (clock skew beyond 60 s) */
	assert_int_equal(sip_auth_server_verify(&srv, &c, &method, &uri, NULL,
						"p", NULL, 51), 0);

	/* evicted from the bounded replay table: stale, not accepted */
	for (unsigned i = 0; i < SIP_AUTH_NC_SLOTS; i++)
		assert_int_equal(sip_auth_server_challenge(&srv, 52,
							   SIP_AUTH_SHA256,
							   false, ch,
							   sizeof(ch)), 0);
	c.nc = 5;
	sip_auth_client_init(&cli, "u", "p", NULL);
	in.qop = SIP_AUTH_QOP_AUTH;
	in.cnonce = c.cnonce;
	in.nc = 5;
	assert_int_equal(sip_auth_digest(&in, c.response, sizeof(c.response)), 0);
	assert_int_equal(sip_auth_server_verify(&srv, &c, &method, &uri, NULL,
						"p", NULL, 53), ETIMEDOUT);
	assert_int_equal(sip_auth_server_verify(&srv, &c, &method, &uri, NULL,
						"p", "00", 53), EINVAL);
}

static void test_client_loop(void **state)
{
	struct sip_auth_client cli;
	struct pl method = PL("INVITE"), uri = PL("sip:b@x");
	char out[1024];
	(void)state;

	assert_int_equal(sip_auth_client_init(&cli, "u", "p", "r1"), 0);
	struct pl c1 = PL("Digest realm=\"r1\", nonce=\"n1\", qop=\"auth\"");
	struct pl c1b = PL("Digest realm=\"r1\", nonce=\"n2\", qop=\"auth\"");
	struct pl cst = PL("Digest realm=\"r1\", nonce=\"n3\", qop=\"auth\", stale=true");
	struct pl other = PL("Digest realm=\"r2\", nonce=\"n1\"");
	struct pl unk = PL("Digest realm=\"r1\", nonce=\"n1\", algorithm=SHA-512-256");

	assert_int_equal(sip_auth_client_respond(&cli, &other, 1, &method, &uri,
						 NULL, out, sizeof(out)), ENOENT);
	assert_int_equal(sip_auth_client_respond(&cli, &unk, 1, &method, &uri,
						 NULL, out, sizeof(out)), ENOENT);
	struct pl junk = PL("Digest realm=\"");
	assert_int_equal(sip_auth_client_respond(&cli, &junk, 1, &method, &uri,
						 NULL, out, sizeof(out)), EBADMSG);
	assert_int_equal(sip_auth_client_respond(&cli, &c1, 1, &method, &uri,
						 NULL, out, sizeof(out)), 0);
	/* rejected again without stale: refuse to loop */
	assert_int_equal(sip_auth_client_respond(&cli, &c1b, 1, &method, &uri,
						 NULL, out, sizeof(out)), EACCES);
	/* a fresh attempt later works */
	assert_int_equal(sip_auth_client_respond(&cli, &c1, 1, &method, &uri,
						 NULL, out, sizeof(out)), 0);
	/* stale is retried a bounded number of times */
	for (int i = 0; i < SIP_AUTH_MAX_STALE; i++) {
		assert_int_equal(sip_auth_client_respond(&cli, &cst, 1, &method,
							 &uri, NULL, out,
							 sizeof(out)), 0);
		assert_non_null(strstr(out, "nonce=\"n3\""));
	}
	assert_int_equal(sip_auth_client_respond(&cli, &cst, 1, &method, &uri,
						 NULL, out, sizeof(out)), EACCES);
	/* accepted resets the guard */
	assert_int_equal(sip_auth_client_respond(&cli, &c1, 1, &method, &uri,
						 NULL, out, sizeof(out)), 0);
	sip_auth_client_accepted(&cli);
	assert_int_equal(sip_auth_client_respond(&cli, &c1b, 1, &method, &uri,
						 NULL, out, sizeof(out)), 0);
	sip_auth_client_accepted(&cli);
	assert_int_equal(sip_auth_client_respond(&cli, &c1b, 1, &method, &uri,
						 NULL, out, 40), ENOSPC);
	struct sip_auth_client fresh;
	assert_int_equal(sip_auth_client_init(&fresh, "u", "p", NULL), 0);
	assert_int_equal(sip_auth_client_reuse(&fresh, &method, &uri, NULL,
					       out, sizeof(out)), ENOENT);
}


/* ---- interop with a real peer: sipp (MD5, qop auth / auth-int / none) ---- */

static const char uac_xml[] =
	"<?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?>\n"
	"<scenario name=\"register with digest\">\n"
	"<send retrans=\"500\"><![CDATA[\n"
	"REGISTER sip:[remote_ip]:[remote_port] SIP/2.0\n"
	"Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n"
	"From: <sip:alice@[remote_ip]>;tag=[call_number]\n"
	"To: <sip:alice@[remote_ip]>\n"
	"Call-ID: [call_id]\n"
	"CSeq: 1 REGISTER\n"
	"Contact: <sip:alice@[local_ip]:[local_port]>\n"
	"Max-Forwards: 70\n"
	"Expires: 60\n"
	"Content-Length: 0\n"
	"\n"
	"]]></send>\n"
	"<recv response=\"401\" auth=\"true\"/>\n"
	"<send retrans=\"500\"><![CDATA[\n"
	"REGISTER sip:[remote_ip]:[remote_port] SIP/2.0\n"
	"Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n"
	"From: <sip:alice@[remote_ip]>;tag=[call_number]\n"
	"To: <sip:alice@[remote_ip]>\n"
	"Call-ID: [call_id]\n"
	"CSeq: 2 REGISTER\n"
	"Contact: <sip:alice@[local_ip]:[local_port]>\n"
	"[authentication username=alice password=wonderland]\n"
	"Max-Forwards: 70\n"
	"Expires: 60\n"
	"Content-Length: 0\n"
	"\n"
	"]]></send>\n"
	"<recv response=\"200\"/>\n"
	"</scenario>\n";

static const char uas_xml[] =
	"<?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?>\n"
	"<scenario name=\"challenge and verify\">\n"
	"<recv request=\"REGISTER\"/>\n"
	"<send><![CDATA[\n"
	"SIP/2.0 401 Unauthorized\n"
	"[last_Via:]\n"
	"[last_From:]\n"
	"[last_To:];tag=[call_number]\n"
	"[last_Call-ID:]\n"
	"[last_CSeq:]\n"
	"WWW-Authenticate: Digest realm=\"sipp.example\", nonce=\"a1b2c3[call_number]\", "
	"opaque=\"op\\\\aque\", qop=\"auth\", algorithm=MD5\n"
	"Content-Length: 0\n"
	"\n"
	"]]></send>\n"
	"<recv request=\"REGISTER\">\n"
	"<action><verifyauth assign_to=\"ok\" username=\"alice\" password=\"wonderland\"/></action>\n"
	"</recv>\n"
	"<nop hide=\"true\" test=\"ok\" next=\"good\"/>\n"
	"<send next=\"end\"><![CDATA[\n"
	"SIP/2.0 403 Forbidden\n"
	"[last_Via:]\n[last_From:]\n[last_To:];tag=[call_number]\n[last_Call-ID:]\n[last_CSeq:]\n"
	"Content-Length: 0\n\n"
	"]]></send>\n"
	"<label id=\"good\"/>\n"
	"<send><![CDATA[\n"
	"SIP/2.0 200 OK\n"
	"[last_Via:]\n[last_From:]\n[last_To:];tag=[call_number]\n[last_Call-ID:]\n[last_CSeq:]\n"
	"Content-Length: 0\n\n"
	"]]></send>\n"
	"<label id=\"end\"/>\n"
	"</scenario>\n";

static int udp_open(uint16_t *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static uint16_t free_udp_port(void)
{
	uint16_t p;
	close(udp_open(&p));
	return p;
}

static pid_t spawn_sipp(const char *xml_path, const char *remote,
			uint16_t lport)
{
	char lp[16];
	pid_t pid;

	snprintf(lp, sizeof(lp), "%u", lport);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		if (remote)
			execlp("sipp", "sipp", remote, "-sf", xml_path, "-m", "1",
			       "-i", "127.0.0.1", "-p", lp, "-timeout", "15",
			       "-timeout_error", (char *)NULL);
		else
			execlp("sipp", "sipp", "-sf", xml_path, "-m", "1", "-i",
			       "127.0.0.1", "-p", lp, "-timeout", "15",
			       "-timeout_error", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Exit status of pid, waiting at most ms; kills it when it overstays. */
static int reap(pid_t pid, int ms)
{
	int st;
	for (int i = 0; i < ms / 10; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static ssize_t recv_wait(int fd, char *buf, size_t sz, struct sockaddr_in *from,
			 int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	socklen_t sl = sizeof(*from);
	ssize_t n;

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	n = recvfrom(fd, buf, sz - 1, 0, (struct sockaddr *)from, &sl);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* The whole line of header name (full form) in msg, without CRLF. */
static bool hdr_line(const char *msg, const char *name, char *out, size_t sz)
{
	size_t nl = strlen(name);
	for (const char *p = strstr(msg, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
		if (!strncasecmp(p + 2, name, nl) && p[2 + nl] == ':') {
			size_t l = strcspn(p + 2, "\r\n");
			snprintf(out, sz, "%.*s", (int)l, p + 2);
			return true;
		}
	}
	return false;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* sipp answers our challenges; we verify. */
static void test_sipp_uac(void **state)
{
	static const unsigned qopv[] = { SIP_AUTH_QOP_AUTH, SIP_AUTH_QOP_AUTH_INT, 0 };
	static struct sip_auth_server srv;
	char dir[] = "/tmp/pstngw-auth-XXXXXX", xml[64];
	(void)state;

	if (system("command -v sipp >/dev/null 2>&1"))
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(xml, sizeof(xml), "%s/uac.xml", dir);
	write_file(xml, uac_xml);

	for (size_t i = 0; i < N(qopv); i++) {
		uint16_t port;
		int fd = udp_open(&port);
		char remote[32], buf[4096], out[4096], via[512], from[256],
		     to[256], cid[256], cseq[64], auth[1024], chall[600];
		int verified = -1, challenges = 0;
		struct sockaddr_in peer;

		assert_int_equal(sip_auth_server_init(&srv, "gw.example", 30,
						      1u << SIP_AUTH_MD5, qopv[i],
						      NULL), 0);
		snprintf(remote, sizeof(remote), "127.0.0.1:%u", port);
		pid_t pid = spawn_sipp(xml, remote, free_udp_port());
		for (int k = 0; k < 100 && verified != 0; k++) {
			if (recv_wait(fd, buf, sizeof(buf), &peer, 150) <= 0)
				continue;
			if (strncmp(buf, "REGISTER ", 9))
				continue;
			char uri[256];
			sscanf(buf + 9, "%255s", uri);
			assert_true(hdr_line(buf, "Via", via, sizeof(via)));
			assert_true(hdr_line(buf, "From", from, sizeof(from)));
			assert_true(hdr_line(buf, "To", to, sizeof(to)));
			assert_true(hdr_line(buf, "Call-ID", cid, sizeof(cid)));
			assert_true(hdr_line(buf, "CSeq", cseq, sizeof(cseq)));
			int code = 401;
			chall[0] = '\0';
			if (hdr_line(buf, "Authorization", auth, sizeof(auth))) {
				struct sip_auth_cred c;
				struct pl v = pl_from_str(auth + 14);
				struct pl m = PL("REGISTER"), u = pl_from_str(uri);
				pl_trim(&v);
				assert_int_equal(sip_auth_cred_parse(&v, &c), 0);
				assert_int_equal(c.qop, qopv[i]);
				verified = sip_auth_server_verify(&srv, &c, &m, &u,
								  NULL, "wonderland",
								  NULL, 1001);
				code = verified ? 403 : 200;
			} else {
				char ch[512];
				assert_int_equal(sip_auth_server_challenge(
							 &srv, 1000, SIP_AUTH_MD5,
							 false, ch, sizeof(ch)), 0);
				snprintf(chall, sizeof(chall),
					 "WWW-Authenticate: %s\r\n", ch);
				challenges++;
			}
			int n = snprintf(out, sizeof(out),
					 "SIP/2.0 %d %s\r\n%s\r\n%s\r\n%s;tag=gw1\r\n"
					 "%s\r\n%s\r\n%sContent-Length: 0\r\n\r\n",
					 code, code == 200 ? "OK" :
					       code == 401 ? "Unauthorized" : "Forbidden",
					 via, from, to, cid, cseq, chall);
			sendto(fd, out, (size_t)n, 0, (struct sockaddr *)&peer,
			       sizeof(peer));
		}
		int rc = reap(pid, 5000);
		close(fd);
		if (verified != 0 || rc != 0)
			fail_msg("qop mask %u: verify %d, sipp exit %d, %d challenges",
				 qopv[i], verified, rc, challenges);
	}
	unlink(xml);
	rmdir(dir);
}

/* sipp challenges us and checks our answer (verifyauth). */
static void test_sipp_uas(void **state)
{
	char dir[] = "/tmp/pstngw-auth-XXXXXX", xml[64];
	(void)state;

	if (system("command -v sipp >/dev/null 2>&1"))
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(xml, sizeof(xml), "%s/uas.xml", dir);
	write_file(xml, uas_xml);

	static const struct {
		const char *password;
		int expect;
	} testv[] = { { "wonderland", 200 }, { "wrong", 403 } };
	for (size_t i = 0; i < N(testv); i++) {
		uint16_t me, sp = free_udp_port();
		int fd = udp_open(&me);
		pid_t pid = spawn_sipp(xml, NULL, sp);
		struct sockaddr_in to = { .sin_family = AF_INET };
		struct sockaddr_in from;
		struct sip_auth_client cli;
		char req[2048], buf[4096], auth[1024] = "", www[1024];
		int final = 0;

		to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		to.sin_port = htons(sp);
		assert_int_equal(sip_auth_client_init(&cli, "alice",
						      testv[i].password, NULL), 0);
		for (int cseq = 1; cseq <= 2 && !final; cseq++) {
			int n = snprintf(req, sizeof(req),
				"REGISTER sip:127.0.0.1:%u SIP/2.0\r\n"
				"Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%zu%d\r\n"
				"From: <sip:alice@127.0.0.1>;tag=%zu\r\n"
				"To: <sip:alice@127.0.0.1>\r\n"
				"Call-ID: auth-%zu@127.0.0.1\r\n"
				"CSeq: %d REGISTER\r\n"
				"Contact: <sip:alice@127.0.0.1:%u>\r\n"
				"Max-Forwards: 70\r\n%s%s%s"
				"Content-Length: 0\r\n\r\n",
				sp, me, i, cseq, i, i, cseq, me,
				auth[0] ? "Authorization: " : "", auth,
				auth[0] ? "\r\n" : "");
			int code = 0;
			/* retransmit until sipp is up and answers (bounded) */
			for (int k = 0; k < 40 && !code; k++) {
				sendto(fd, req, (size_t)n, 0, (struct sockaddr *)&to,
				       sizeof(to));
				if (recv_wait(fd, buf, sizeof(buf), &from, 250) > 0 &&
				    !strncmp(buf, "SIP/2.0 ", 8))
					code = atoi(buf + 8);
			}
			assert_int_not_equal(code, 0);
			if (code != 401) {
				final = code;
				break;
			}
			assert_true(hdr_line(buf, "WWW-Authenticate", www, sizeof(www)));
			struct pl hv = pl_from_str(www + 17);
			struct pl m = PL("REGISTER");
			char uri[64];
			snprintf(uri, sizeof(uri), "sip:127.0.0.1:%u", sp);
			struct pl u = pl_from_str(uri);
			pl_trim(&hv);
			assert_int_equal(sip_auth_client_respond(&cli, &hv, 1, &m, &u,
								 NULL, auth,
								 sizeof(auth)), 0);
		}
		reap(pid, 5000);
		close(fd);
		if (final != testv[i].expect)
			fail_msg("password %s: final %d, expected %d",
				 testv[i].password, final, testv[i].expect);
	}
	unlink(xml);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_vectors),
		cmocka_unit_test(test_digest_errors),
		cmocka_unit_test(test_chall_parse),
		cmocka_unit_test(test_cred_parse),
		cmocka_unit_test(test_client_server),
		cmocka_unit_test(test_server_policy),
		cmocka_unit_test(test_client_loop),
		cmocka_unit_test(test_sipp_uac),
		cmocka_unit_test(test_sipp_uas),
	};
	return cmocka_run_group_tests_name("sip_auth", tests, NULL, NULL);
}
