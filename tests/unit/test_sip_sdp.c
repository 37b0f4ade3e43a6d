/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for sip/sdp: parsing (vectors in tests/data/sdp/ and inline
 * malformed bodies), printing and round trips, a=crypto and T.38 details,
 * RFC 3264 answers (codec choice, rejected streams, SRTP policy,
 * direction rules, hold), offers, applying answers and o= versioning.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "sip/sdp.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static char *load(const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	char *buf = malloc(65536);

	assert_non_null(buf);
	snprintf(path, sizeof(path), "tests/data/sdp/%s", name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	*len = fread(buf, 1, 65535, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static int decode_file(struct sdp_session *s, const char *name)
{
	size_t len;
	char *buf = load(name, &len);
	struct pl pl = { buf, len };
	int err = sdp_decode(s, &pl);
	free(buf);
	return err;
}

static int decode_str(struct sdp_session *s, const char *str)
{
	struct pl pl = pl_from_str(str);
	return sdp_decode(s, &pl);
}

static struct sdp_session *new_sess(void)
{
	struct sdp_session *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	return s;
}

static void test_decode_invalid(void **state)
{
	static const struct {
		const char *in;
		int err;
	} testv[] = {
		{ "", EBADMSG },
		{ "o=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", EBADMSG },
		{ "v=1\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", EBADMSG },
		/* lacks o=, s=, t= */
		{ "v=0\r\ns=-\r\nt=0 0\r\n", EBADMSG },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nt=0 0\r\n", EBADMSG },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n", EBADMSG },
		/* m= before t= */
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\n"
		  "t=0 0\r\n", EBADMSG },
		/* o= after m= */
		{ "v=0\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n"
		  "o=- 1 1 IN IP4 1.2.3.4\r\n", EBADMSG },
		{ "v=0\r\nv=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", EBADMSG },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nbogus\r\n",
		  EBADMSG },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nM=x\r\n", EBADMSG },
		{ "v=0\r\no=- x 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", EBADMSG },
		{ "v=0\r\no=- 1 1 IN IP4\r\ns=-\r\nt=0 0\r\n", EBADMSG },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0\r\n", EBADMSG },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
		  "c=IN IP5 1.2.3.4\r\n", EBADMSG },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
		  "c=IN IP4 1.2.3.4:5\r\n", EBADMSG },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
		  "m=audio 70000 RTP/AVP 0\r\n", EBADMSG },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
		  "m=audio 1000 RTP/AVP\r\n", EBADMSG },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
		  "m=audio 1000 RTP/AVP 128\r\n", EBADMSG },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
		  "m=audio 1000 RTP/AVP x\r\n", EBADMSG },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
		  "b=AS\r\n", EBADMSG },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
		  "m=audio 1 RTP/AVP 0\r\nm=audio 1 RTP/AVP 0\r\nm=audio 1 RTP/AVP 0\r\n"
		  "m=audio 1 RTP/AVP 0\r\nm=audio 1 RTP/AVP 0\r\nm=audio 1 RTP/AVP 0\r\n"
		  "m=audio 1 RTP/AVP 0\r\nm=audio 1 RTP/AVP 0\r\nm=audio 1 RTP/AVP 0\r\n",
		  E2BIG },
		/* minimal valid ones, LF only, unknown lines and b= types */
		{ "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nt=0 0\n", 0 },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nu=http://x\r\n"
		  "e=a@b\r\nt=0 0\r\nr=7d 1h 0 25h\r\nz=0 0\r\nk=prompt\r\n"
		  "b=X-YZ:5\r\nx=whatever\r\nm=audio 1 RTP/AVP 0\r\nb=RR:0\r\n", 0 },
		{ "v=0\r\no=- 1 1 IN IP4 host.example\r\ns=-\r\nt=0 0\r\n"
		  "c=IN IP4 224.2.1.1/127/3\r\n", 0 },
	};
	struct sdp_session *s = new_sess();
	(void)state;
	for (size_t i = 0; i < N(testv); i++) {
		int err = decode_str(s, testv[i].in);
		if (err != testv[i].err)
			fail_msg("vector %zu: err %d != %d", i, err, testv[i].err);
	}
	assert_int_equal(decode_str(s, "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n"
				       "t=0 0\r\nc=IN IP4 224.2.1.1/127/3\r\n"), 0);
	assert_string_equal(s->conn.addr, "224.2.1.1");
	free(s);
}

static void test_decode_files(void **state)
{
	struct sdp_session *s = new_sess();
	const struct sdp_media *m;
	(void)state;

	assert_int_equal(decode_file(s, "offer_g711.sdp"), 0);
	assert_string_equal(s->o_user, "root");
	assert_string_equal(s->o_id, "1821312312");
	assert_int_equal(s->o_ver, 1821312312);
	assert_string_equal(s->name, "Asterisk PBX");
	assert_int_equal(s->conn.af, AF_INET);
	assert_string_equal(s->conn.addr, "192.0.2.10");
	assert_int_equal(s->nmedia, 1);
	m = &s->mediav[0];
	assert_int_equal(m->type, SDP_MEDIA_AUDIO);
	assert_int_equal(m->port, 10000);
	assert_int_equal(m->proto, SDP_PROTO_RTP_AVP);
	assert_int_equal(m->nfmt, 4);
	assert_int_equal(m->fmtv[2].pt, 9);
	assert_string_equal(m->fmtv[2].name, "G722");
	assert_int_equal(m->fmtv[2].clock, 8000);
	assert_string_equal(m->fmtv[3].name, "telephone-event");
	assert_string_equal(m->fmtv[3].fmtp, "0-16");
	assert_int_equal(m->ptime, 20);
	assert_int_equal(m->maxptime, 150);
	assert_true(m->dir_set);
	assert_int_equal(m->dir, SDP_DIR_SENDRECV);
	assert_false(sdp_media_hold(s, m));

	/* static types without rtpmap take the RFC 3551 names */
	assert_int_equal(decode_file(s, "offer_static_nortpmap.sdp"), 0);
	m = &s->mediav[0];
	assert_false(s->conn.set);
	assert_string_equal(m->conn.addr, "198.51.100.7");
	assert_string_equal(m->fmtv[0].name, "G729");
	assert_false(m->fmtv[0].rtpmap);
	assert_string_equal(m->fmtv[0].fmtp, "annexb=no");
	assert_string_equal(m->fmtv[1].name, "PCMA");
	assert_string_equal(m->fmtv[2].name, "PCMU");
	assert_true(m->fmtv[3].rtpmap);
	assert_int_equal(m->ptime, 30);
	assert_ptr_equal(sdp_media_conn(s, m), &m->conn);

	assert_int_equal(decode_file(s, "offer_ipv6.sdp"), 0);
	m = &s->mediav[0];
	assert_int_equal(s->o_addr.af, AF_INET6);
	assert_int_equal(m->conn.af, AF_INET6);
	assert_string_equal(m->conn.addr, "2001:db8::2");
	assert_int_equal(m->rtcp_port, 49300);
	assert_string_equal(m->rtcp_conn.addr, "2001:db8::3");
	assert_string_equal(s->name, "");

	assert_int_equal(decode_file(s, "offer_multi.sdp"), 0);
	assert_int_equal(s->nmedia, 4);
	assert_int_equal(s->mediav[0].type, SDP_MEDIA_VIDEO);
	assert_string_equal(s->mediav[0].fmtv[1].fmtp,
			    "profile-level-id=42e01f;packetization-mode=1");
	assert_int_equal(s->mediav[1].port, 0);
	assert_string_equal(s->mediav[2].fmtv[0].name, "opus");
	assert_int_equal(s->mediav[2].fmtv[0].channels, 2);
	assert_int_equal(sdp_media_dir(s, &s->mediav[3]), SDP_DIR_RECVONLY);

	assert_int_equal(decode_file(s, "offer_t38.sdp"), 0);
	m = &s->mediav[0];
	assert_int_equal(m->type, SDP_MEDIA_IMAGE);
	assert_int_equal(m->proto, SDP_PROTO_UDPTL);
	assert_string_equal(m->fmt_other, "t38");
	assert_int_equal(m->t38.version, 0);
	assert_true(m->t38.present & SDP_T38_VERSION);
	assert_int_equal(m->t38.max_bitrate, 14400);
	assert_true(m->t38.fill_bit_removal);
	assert_false(m->t38.transcoding_mmr);
	assert_false(m->t38.transcoding_jbig);
	assert_int_equal(m->t38.rate_mgmt, SDP_T38_RATE_TRANSFERRED_TCF);
	assert_int_equal(m->t38.max_buffer, 2000);
	assert_int_equal(m->t38.max_datagram, 400);
	assert_int_equal(m->t38.udp_ec, SDP_T38_EC_FEC);

	assert_int_equal(decode_file(s, "offer_hold_sendonly.sdp"), 0);
	assert_true(sdp_media_hold(s, &s->mediav[0]));
	assert_int_equal(decode_file(s, "offer_hold_legacy.sdp"), 0);
	assert_true(sdp_media_hold(s, &s->mediav[0]));
	assert_int_equal(sdp_media_dir(s, &s->mediav[0]), SDP_DIR_SENDRECV);
	free(s);
}

static void test_crypto(void **state)
{
	/* RFC 4568 §4 example key: 30 bytes */
	static const uint8_t key1[30] = {
		0x3d, 0x2d, 0x6e, 0x40, 0x25, 0x5e, 0x78, 0x21, 0x42, 0x6a,
		0x75, 0x66, 0x72, 0x39, 0x29, 0x3f, 0x2c, 0x23, 0x35, 0x68,
		0x5c, 0x60, 0x3d, 0x26, 0x5d, 0x7b, 0x71, 0x69, 0x50, 0x51,
	};
	struct sdp_session *s = new_sess();
	const struct sdp_media *m;
	(void)state;

	assert_int_equal(decode_file(s, "offer_srtp.sdp"), 0);
	m = &s->mediav[0];
	assert_int_equal(m->proto, SDP_PROTO_RTP_SAVP);
	assert_int_equal(m->ncrypto, 4);
	assert_int_equal(m->cryptov[0].tag, 1);
	assert_int_equal(m->cryptov[0].suite, SDP_SRTP_AES_CM_128_HMAC_SHA1_80);
	assert_int_equal(m->cryptov[0].key_len, 30);
	assert_memory_equal(m->cryptov[0].key, key1, 30);
	assert_int_equal(m->cryptov[0].lifetime, 1u << 20);
	assert_int_equal(m->cryptov[0].mki, 1);
	assert_int_equal(m->cryptov[0].mki_len, 4);
	assert_int_equal(m->cryptov[1].suite, SDP_SRTP_AES_CM_128_HMAC_SHA1_32);
	assert_int_equal(m->cryptov[1].mki_len, 0);
	assert_string_equal(m->cryptov[1].params, "KDR=1 UNENCRYPTED_SRTCP");
	assert_int_equal(m->cryptov[2].suite, SDP_SRTP_AEAD_AES_128_GCM);
	assert_int_equal(m->cryptov[2].key_len, 28);
	assert_int_equal(m->cryptov[3].suite, SDP_SRTP_UNKNOWN);
	assert_string_equal(m->cryptov[3].suite_name, "F8_128_HMAC_SHA1_80");
	assert_string_equal(m->cryptov[3].params, "FEC_ORDER=FEC_SRTP");
	assert_int_equal(m->rtcp_port, 20001);
	assert_true(m->rtcp_mux);

	/* malformed crypto lines are ignored, the rest of the body is fine */
	static const char *const bad[] = {
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtx",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaV==",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFC=nVmcjkpPywjNWhcYD0mXXtxaVBR",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 uri:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
		"a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^64",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:0",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80",
		/* two lifetimes, two MKIs (found by fuzzing) */
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4|2:4",
	};
	for (size_t i = 0; i < N(bad); i++) {
		char body[512];
		snprintf(body, sizeof(body),
			 "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
			 "m=audio 5 RTP/SAVP 0\r\n%s\r\n", bad[i]);
		assert_int_equal(decode_str(s, body), 0);
		if (s->mediav[0].ncrypto != 0)
			fail_msg("bad crypto %zu accepted", i);
	}

	/* a lifetime of 1 prints as 1, not 2^0 (found by fuzzing) */
	char *out = malloc(4096);
	assert_int_equal(decode_str(s, "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n"
				       "t=0 0\r\nm=audio 5 RTP/SAVP 0\r\n"
				       "a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:"
				       "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1\r\n"), 0);
	assert_int_equal(s->mediav[0].cryptov[0].lifetime, 1);
	assert_int_equal(sdp_encode(s, out, 4096, NULL), 0);
	assert_non_null(strstr(out, "aVBR|1\r\n"));
	/* a payload type listed twice is kept once (found by fuzzing) */
	assert_int_equal(decode_str(s, "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n"
				       "t=0 0\r\nm=audio 5 RTP/AVP 0 0 8\r\n"
				       "a=rtpmap:0 PCMU/6000\r\n"), 0);
	assert_int_equal(s->mediav[0].nfmt, 2);
	assert_int_equal(s->mediav[0].fmtv[0].clock, 6000);
	free(out);
	free(s);
}

/* decode -> encode -> decode -> encode is stable, and lines end in CRLF */
static void test_roundtrip(void **state)
{
	static const char *const files[] = {
		"offer_g711.sdp", "offer_static_nortpmap.sdp", "offer_ipv6.sdp",
		"offer_multi.sdp", "offer_srtp.sdp", "offer_t38.sdp",
		"offer_audio_t38.sdp", "offer_hold_sendonly.sdp",
		"offer_hold_legacy.sdp",
	};
	struct sdp_session *a = new_sess(), *b = new_sess();
	char *o1 = malloc(65536), *o2 = malloc(65536);
	(void)state;

	for (size_t i = 0; i < N(files); i++) {
		size_t l1, l2;
		assert_int_equal(decode_file(a, files[i]), 0);
		assert_int_equal(sdp_encode(a, o1, 65536, &l1), 0);
		struct pl p1 = { o1, l1 };
		assert_int_equal(sdp_decode(b, &p1), 0);
		assert_int_equal(sdp_encode(b, o2, 65536, &l2), 0);
		assert_int_equal(l1, l2);
		assert_string_equal(o1, o2);
		for (size_t k = 0; k < l1; k++) {
			if (o1[k] == '\n' && (k == 0 || o1[k - 1] != '\r'))
				fail_msg("%s: bare LF at %zu", files[i], k);
		}
		assert_int_equal(a->nmedia, b->nmedia);
	}
	/* exact print of a known description */
	assert_int_equal(decode_file(a, "offer_srtp.sdp"), 0);
	assert_int_equal(sdp_encode(a, o1, 65536, NULL), 0);
	assert_non_null(strstr(o1, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
				   "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
				   "|2^20|1:4\r\n"));
	assert_non_null(strstr(o1, "a=crypto:3 AEAD_AES_128_GCM "
				   "inline:wBaKUsrMAZn7Mg9K0uZ6f3FqSKfNePZyU4HvjQ==\r\n"));
	assert_non_null(strstr(o1, "m=audio 20000 RTP/SAVP 8 0 101\r\n"));
	assert_non_null(strstr(o1, "a=rtcp:20001\r\na=rtcp-mux\r\n"));
	assert_int_equal(decode_file(a, "offer_t38.sdp"), 0);
	assert_int_equal(sdp_encode(a, o1, 65536, NULL), 0);
	assert_string_equal(o1,
			    "v=0\r\no=- 5 6 IN IP4 192.0.2.30\r\ns=-\r\n"
			    "c=IN IP4 192.0.2.30\r\nt=0 0\r\n"
			    "m=image 30000 udptl t38\r\n"
			    "a=T38FaxVersion:0\r\na=T38MaxBitRate:14400\r\n"
			    "a=T38FaxFillBitRemoval\r\n"
			    "a=T38FaxRateManagement:transferredTCF\r\n"
			    "a=T38FaxMaxBuffer:2000\r\na=T38FaxMaxDatagram:400\r\n"
			    "a=T38FaxUdpEC:t38UDPFEC\r\n");
	assert_int_equal(sdp_encode(a, o1, 40, NULL), ENOSPC);
	free(o1);
	free(o2);
	free(a);
	free(b);
}

static const struct sdp_codec codecs_g711[] = {
	{ "PCMA", 8000, 1, 8, NULL },
	{ "PCMU", 8000, 1, 0, NULL },
};
static const struct sdp_codec codecs_wide[] = {
	{ "G722", 8000, 1, 9, NULL },
	{ "PCMA", 8000, 1, 8, NULL },
	{ "G729", 8000, 1, 18, "annexb=no" },
};
static const enum sdp_srtp_suite suites[] = {
	SDP_SRTP_AES_CM_128_HMAC_SHA1_32, SDP_SRTP_AES_CM_128_HMAC_SHA1_80,
};

static struct sdp_caps caps_make(int which)
{
	struct sdp_caps c;
	memset(&c, 0, sizeof(c));
	c.codecv = which == 1 ? codecs_wide : codecs_g711;
	c.ncodec = which == 1 ? N(codecs_wide) : N(codecs_g711);
	c.dtmf = true;
	c.dtmf_pt = 101;
	c.ptime = 20;
	c.t38 = true;
	c.t38_params.present = SDP_T38_VERSION | SDP_T38_BITRATE |
			       SDP_T38_MAXBUFFER | SDP_T38_MAXDATAGRAM |
			       SDP_T38_UDPEC;
	c.t38_params.version = 0;
	c.t38_params.max_bitrate = 14400;
	c.t38_params.max_buffer = 1024;
	c.t38_params.max_datagram = 300;
	c.t38_params.udp_ec = SDP_T38_EC_REDUNDANCY;
	c.suitev = suites;
	c.nsuite = N(suites);
	return c;
}

static void test_answer_table(void **state)
{
	static const struct {
		const char *file;
		int caps;                 /* 0 g711, 1 wide */
		bool prefer_remote;
		enum sdp_srtp_policy srtp;
		bool t38;
		enum sdp_dir local_dir;
		int err;
		uint16_t warn;
		const char *ports;        /* answer port per m-line, "P" = ours */
		int active;               /* index of the accepted audio, -1 */
		const char *codec;
		int pt, dtmf_pt;
		uint32_t ptime;
		enum sdp_dir dir;
		bool hold;
	} testv[] = {
		/* our preference: PCMA first */
		{ "offer_g711.sdp", 0, false, SDP_SRTP_OFF, true, SDP_DIR_SENDRECV,
		  0, 0, "P", 0, "PCMA", 8, 101, 20, SDP_DIR_SENDRECV, false },
		/* theirs: PCMU first */
		{ "offer_g711.sdp", 0, true, SDP_SRTP_OFF, true, SDP_DIR_SENDRECV,
		  0, 0, "P", 0, "PCMU", 0, 101, 20, SDP_DIR_SENDRECV, false },
		{ "offer_g711.sdp", 1, false, SDP_SRTP_OFF, true, SDP_DIR_SENDRECV,
		  0, 0, "P", 0, "G722", 9, 101, 20, SDP_DIR_SENDRECV, false },
		/* we hold: sendonly */
		{ "offer_g711.sdp", 0, false, SDP_SRTP_OFF, true, SDP_DIR_SENDONLY,
		  0, 0, "P", 0, "PCMA", 8, 101, 20, SDP_DIR_SENDONLY, false },
		/* SRTP mandatory, plain offer without crypto: 488 */
		{ "offer_g711.sdp", 0, false, SDP_SRTP_MANDATORY, true,
		  SDP_DIR_SENDRECV, ENOTSUP, 302, "0", -1, NULL, 0, 0, 0, 0, false },
		/* our order: G722 is not offered, PCMA is */
		{ "offer_static_nortpmap.sdp", 1, false, SDP_SRTP_OFF, true,
		  SDP_DIR_SENDRECV, 0, 0, "P", 0, "PCMA", 8, 96, 30,
		  SDP_DIR_SENDRECV, false },
		/* their order: G729 first (checked in detail below) */
		{ "offer_static_nortpmap.sdp", 1, true, SDP_SRTP_OFF, true,
		  SDP_DIR_SENDRECV, 0, 0, "P", 0, "G729", 18, 96, 30,
		  SDP_DIR_SENDRECV, false },
		{ "offer_ipv6.sdp", 0, false, SDP_SRTP_OFF, true, SDP_DIR_SENDRECV,
		  0, 0, "P", 0, "PCMA", 8, 97, 20, SDP_DIR_SENDRECV, false },
		/* video rejected, port-0 audio stays rejected, opus unknown to
		 * us: that audio line is rejected, the 4th is taken */
		{ "offer_multi.sdp", 0, false, SDP_SRTP_OFF, true, SDP_DIR_SENDRECV,
		  0, 0, "000P", 3, "PCMA", 8, -1, 20, SDP_DIR_SENDONLY, false },
		/* SRTP offer: off -> 488 302; optional picks our first suite */
		{ "offer_srtp.sdp", 0, false, SDP_SRTP_OFF, true, SDP_DIR_SENDRECV,
		  ENOTSUP, 302, "0", -1, NULL, 0, 0, 0, 0, false },
		{ "offer_srtp.sdp", 0, false, SDP_SRTP_OPTIONAL, true,
		  SDP_DIR_SENDRECV, 0, 0, "P", 0, "PCMA", 8, 101, 20,
		  SDP_DIR_SENDRECV, false },
		{ "offer_t38.sdp", 0, false, SDP_SRTP_OFF, true, SDP_DIR_SENDRECV,
		  0, 0, "P", -1, NULL, 0, 0, 0, 0, false },
		{ "offer_t38.sdp", 0, false, SDP_SRTP_OFF, false, SDP_DIR_SENDRECV,
		  ENOTSUP, 304, "0", -1, NULL, 0, 0, 0, 0, false },
		{ "offer_audio_t38.sdp", 0, false, SDP_SRTP_OFF, true,
		  SDP_DIR_SENDRECV, 0, 0, "PP", 0, "PCMA", 8, -1, 20,
		  SDP_DIR_SENDRECV, false },
		{ "offer_hold_sendonly.sdp", 0, false, SDP_SRTP_OFF, true,
		  SDP_DIR_SENDRECV, 0, 0, "P", 0, "PCMA", 8, -1, 20,
		  SDP_DIR_RECVONLY, true },
		{ "offer_hold_legacy.sdp", 0, false, SDP_SRTP_OFF, true,
		  SDP_DIR_SENDRECV, 0, 0, "P", 0, "PCMA", 8, -1, 20,
		  SDP_DIR_RECVONLY, true },
		/* both hold: inactive */
		{ "offer_hold_sendonly.sdp", 0, false, SDP_SRTP_OFF, true,
		  SDP_DIR_SENDONLY, 0, 0, "P", 0, "PCMA", 8, -1, 20,
		  SDP_DIR_INACTIVE, true },
	};
	struct sdp_session *offer = new_sess(), *ans = new_sess(),
			   *back = new_sess();
	struct sdp_neg *neg = calloc(1, sizeof(*neg));
	char *buf = malloc(65536);
	(void)state;

	for (size_t i = 0; i < N(testv); i++) {
		struct sdp_caps caps = caps_make(testv[i].caps);
		struct sdp_local loc = { .caps = &caps, .audio_port = 7000,
					 .image_port = 7100,
					 .dir = testv[i].local_dir };
		caps.prefer_remote = testv[i].prefer_remote;
		caps.srtp = testv[i].srtp;
		caps.t38 = testv[i].t38;
		assert_int_equal(sdp_conn_set(&loc.addr, "10.0.0.1"), 0);
		assert_int_equal(decode_file(offer, testv[i].file), 0);

		int err = sdp_answer(ans, neg, &loc, offer);
		if (testv[i].codec && !strcmp(testv[i].codec, "G729")) {
			/* our fmtp for the codec, our telephone-event range */
			assert_string_equal(ans->mediav[0].fmtv[0].fmtp, "annexb=no");
			assert_string_equal(ans->mediav[0].fmtv[1].fmtp, "0-15");
		}
		if (err != testv[i].err)
			fail_msg("vector %zu: err %d != %d", i, err, testv[i].err);
		assert_int_equal(neg->warn, testv[i].warn);
		assert_int_equal(ans->nmedia, offer->nmedia);
		assert_int_equal(neg->nstream, offer->nmedia);
		for (size_t k = 0; k < ans->nmedia; k++) {
			bool ours = testv[i].ports[k] == 'P';
			/* same media type and transport, same order */
			assert_int_equal(ans->mediav[k].type, offer->mediav[k].type);
			assert_int_equal(ans->mediav[k].proto,
					 offer->mediav[k].proto);
			if (ours != (ans->mediav[k].port != 0))
				fail_msg("vector %zu line %zu: port %u", i, k,
					 ans->mediav[k].port);
			assert_int_equal(neg->streamv[k].active, ours);
		}
		if (err)
			continue;
		/* the printed answer parses back with the same lines */
		assert_int_equal(sdp_encode(ans, buf, 65536, NULL), 0);
		struct pl p = pl_from_str(buf);
		assert_int_equal(sdp_decode(back, &p), 0);
		assert_int_equal(back->nmedia, offer->nmedia);
		if (testv[i].active < 0)
			continue;
		const struct sdp_neg_stream *ns = &neg->streamv[testv[i].active];
		const struct sdp_media *am = &ans->mediav[testv[i].active];
		assert_string_equal(ns->codec, testv[i].codec);
		assert_int_equal(ns->pt, testv[i].pt);
		assert_int_equal(ns->dtmf_pt, testv[i].dtmf_pt);
		assert_int_equal(ns->ptime, testv[i].ptime);
		assert_int_equal(ns->dir, testv[i].dir);
		assert_int_equal(ns->remote_hold, testv[i].hold);
		assert_int_equal(am->dir, testv[i].dir);
		assert_int_equal(am->port, 7000);
		assert_int_equal(am->fmtv[0].pt, testv[i].pt);
		assert_int_equal(am->nfmt, testv[i].dtmf_pt >= 0 ? 2 : 1);
	}
	free(buf);
	free(neg);
	free(offer);
	free(ans);
	free(back);
}

static void test_answer_details(void **state)
{
	struct sdp_session *offer = new_sess(), *ans = new_sess();
	struct sdp_neg *neg = calloc(1, sizeof(*neg));
	struct sdp_caps caps = caps_make(0);
	struct sdp_local loc = { .caps = &caps, .audio_port = 7000,
				 .image_port = 7100, .dir = SDP_DIR_SENDRECV };
	const struct sdp_neg_stream *ns;
	(void)state;
	assert_int_equal(sdp_conn_set(&loc.addr, "2001:db8::99"), 0);

	/* SRTP: our first suite (SHA1_32, tag 2), remote key kept, new local
	 * key, rtcp-mux only when we do it */
	caps.srtp = SDP_SRTP_OPTIONAL;
	assert_int_equal(decode_file(offer, "offer_srtp.sdp"), 0);
	assert_int_equal(sdp_answer(ans, neg, &loc, offer), 0);
	ns = &neg->streamv[0];
	assert_true(ns->srtp);
	assert_int_equal(ns->suite, SDP_SRTP_AES_CM_128_HMAC_SHA1_32);
	assert_int_equal(ns->crypto_tag, 2);
	assert_int_equal(ns->key_len, 30);
	assert_memory_equal(ns->remote_key, offer->mediav[0].cryptov[1].key, 30);
	assert_int_equal(ans->mediav[0].ncrypto, 1);
	assert_int_equal(ans->mediav[0].cryptov[0].tag, 2);
	assert_memory_equal(ans->mediav[0].cryptov[0].key, ns->local_key, 30);
	assert_memory_not_equal(ns->local_key, ns->remote_key, 30);
	assert_false(ans->mediav[0].rtcp_mux);
	assert_int_equal(ns->rtcp_port, 20001);
	assert_int_equal(ans->conn.af, AF_INET6);
	caps.rtcp_mux = true;
	assert_int_equal(sdp_answer(ans, neg, &loc, offer), 0);
	assert_true(ans->mediav[0].rtcp_mux);
	assert_true(neg->streamv[0].rtcp_mux);
	assert_int_equal(neg->streamv[0].rtcp_port, 20000);
	/* the SHA1_80 line carries an MKI and a lifetime: both reported */
	static const enum sdp_srtp_suite only80[] = {
		SDP_SRTP_AES_CM_128_HMAC_SHA1_80 };
	caps.suitev = only80;
	caps.nsuite = 1;
	assert_int_equal(sdp_answer(ans, neg, &loc, offer), 0);
	ns = &neg->streamv[0];
	assert_int_equal(ns->crypto_tag, 1);
	assert_int_equal(ns->remote_mki, 1);
	assert_int_equal(ns->remote_mki_len, 4);
	assert_int_equal(ns->remote_lifetime, 1u << 20);
	assert_int_equal(ans->mediav[0].cryptov[0].mki_len, 0);
	/* a suite nobody offered: 488 */
	static const enum sdp_srtp_suite gcm256[] = { SDP_SRTP_UNKNOWN };
	caps.suitev = gcm256;
	assert_int_equal(sdp_answer(ans, neg, &loc, offer), ENOTSUP);
	assert_int_equal(neg->warn, 305);
	caps = caps_make(0);

	/* T.38: version and rate min(), offered TCF, EC FEC -> redundancy,
	 * fill-bit removal not supported here, our buffer sizes */
	assert_int_equal(decode_file(offer, "offer_t38.sdp"), 0);
	assert_int_equal(sdp_answer(ans, neg, &loc, offer), 0);
	const struct sdp_t38 *t = &ans->mediav[0].t38;
	assert_int_equal(t->version, 0);
	assert_int_equal(t->max_bitrate, 14400);
	assert_int_equal(t->rate_mgmt, SDP_T38_RATE_TRANSFERRED_TCF);
	assert_int_equal(t->udp_ec, SDP_T38_EC_REDUNDANCY);
	assert_int_equal(t->max_buffer, 1024);
	assert_int_equal(t->max_datagram, 300);
	assert_false(t->fill_bit_removal);
	ns = &neg->streamv[0];
	assert_int_equal(ns->t38.max_datagram, 400); /* what the peer takes */
	assert_int_equal(ns->rport, 30000);
	assert_int_equal(ans->mediav[0].port, 7100);
	assert_int_equal(decode_file(offer, "offer_audio_t38.sdp"), 0);
	caps.t38_params.version = 2;
	caps.t38_params.max_bitrate = 9600;
	assert_int_equal(sdp_answer(ans, neg, &loc, offer), 0);
	t = &ans->mediav[1].t38;
	assert_int_equal(t->version, 2);
	assert_int_equal(t->max_bitrate, 9600);
	assert_int_equal(t->rate_mgmt, SDP_T38_RATE_LOCAL_TCF);
	assert_int_equal(t->udp_ec, SDP_T38_EC_REDUNDANCY);

	/* no audio port: audio line rejected */
	loc.audio_port = 0;
	assert_int_equal(sdp_answer(ans, neg, &loc, offer), 0);
	assert_int_equal(ans->mediav[0].port, 0);
	assert_int_equal(ans->mediav[1].port, 7100);

	/* FQDN connection address: rejected with 301 */
	loc.audio_port = 7000;
	assert_int_equal(decode_str(offer, "v=0\r\no=- 1 1 IN IP4 h.example\r\n"
					   "s=-\r\nc=IN IP4 h.example\r\nt=0 0\r\n"
					   "m=audio 5000 RTP/AVP 8\r\n"), 0);
	assert_int_equal(sdp_answer(ans, neg, &loc, offer), ENOTSUP);
	assert_int_equal(neg->warn, 301);
	/* no connection at all */
	assert_int_equal(decode_str(offer, "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n"
					   "s=-\r\nt=0 0\r\n"
					   "m=audio 5000 RTP/AVP 8\r\n"), 0);
	assert_int_equal(sdp_answer(ans, neg, &loc, offer), ENOTSUP);
	/* no common codec */
	assert_int_equal(decode_str(offer, "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n"
					   "s=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"
					   "m=audio 5000 RTP/AVP 3 101\r\n"
					   "a=rtpmap:101 telephone-event/8000\r\n"), 0);
	assert_int_equal(sdp_answer(ans, neg, &loc, offer), ENOTSUP);
	assert_int_equal(neg->warn, 305);
	assert_int_equal(ans->mediav[0].port, 0);
	assert_int_equal(ans->mediav[0].nfmt, 2);
	assert_string_equal(sdp_warn_text(neg->warn), "Incompatible media format");
	/* RTP/AVPF is not something we answer */
	assert_int_equal(decode_str(offer, "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n"
					   "s=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"
					   "m=audio 5000 RTP/AVPF 8\r\n"), 0);
	assert_int_equal(sdp_answer(ans, neg, &loc, offer), ENOTSUP);
	assert_int_equal(neg->warn, 302);
	/* inactive offer -> inactive answer */
	assert_int_equal(decode_str(offer, "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n"
					   "s=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"
					   "a=inactive\r\nm=audio 5000 RTP/AVP 8\r\n"), 0);
	assert_int_equal(sdp_answer(ans, neg, &loc, offer), 0);
	assert_int_equal(ans->mediav[0].dir, SDP_DIR_INACTIVE);
	assert_true(neg->streamv[0].remote_hold);
	/* recvonly offer -> sendonly answer */
	assert_int_equal(decode_str(offer, "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n"
					   "s=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"
					   "m=audio 5000 RTP/AVP 8\r\na=recvonly\r\n"), 0);
	assert_int_equal(sdp_answer(ans, neg, &loc, offer), 0);
	assert_int_equal(ans->mediav[0].dir, SDP_DIR_SENDONLY);
	assert_false(neg->streamv[0].remote_hold);
	free(neg);
	free(offer);
	free(ans);
}

/* Our offer, answered by our own answerer (and by hand-written answers):
 * both sides must agree. */
static void test_offer_apply(void **state)
{
	struct sdp_session *offer = new_sess(), *ans = new_sess(),
			   *peer_view = new_sess();
	struct sdp_neg *neg = calloc(1, sizeof(*neg)),
		       *pneg = calloc(1, sizeof(*pneg));
	struct sdp_caps caps = caps_make(1), pcaps = caps_make(0);
	struct sdp_local loc = { .caps = &caps, .audio_port = 6000,
				 .image_port = 6100, .dir = SDP_DIR_SENDRECV };
	struct sdp_local ploc = { .caps = &pcaps, .audio_port = 8000,
				  .image_port = 8100, .dir = SDP_DIR_SENDRECV };
	char *buf = malloc(65536);
	(void)state;
	sdp_conn_set(&loc.addr, "10.0.0.1");
	sdp_conn_set(&ploc.addr, "10.0.0.2");

	static const struct {
		enum sdp_srtp_policy ours, theirs;
		int err;
		bool srtp;
	} srtpv[] = {
		{ SDP_SRTP_OFF, SDP_SRTP_OFF, 0, false },
		{ SDP_SRTP_OPTIONAL, SDP_SRTP_OFF, 0, false },
		{ SDP_SRTP_OPTIONAL, SDP_SRTP_OPTIONAL, 0, true },
		{ SDP_SRTP_MANDATORY, SDP_SRTP_OPTIONAL, 0, true },
		{ SDP_SRTP_MANDATORY, SDP_SRTP_OFF, ENOTSUP, false },
	};
	for (size_t i = 0; i < N(srtpv); i++) {
		caps.srtp = srtpv[i].ours;
		pcaps.srtp = srtpv[i].theirs;
		assert_int_equal(sdp_offer(offer, &loc, SDP_OFFER_AUDIO, NULL), 0);
		/* over the wire and back */
		assert_int_equal(sdp_encode(offer, buf, 65536, NULL), 0);
		struct pl p = pl_from_str(buf);
		assert_int_equal(sdp_decode(peer_view, &p), 0);
		int err = sdp_answer(ans, pneg, &ploc, peer_view);
		if (err != srtpv[i].err)
			fail_msg("srtp vector %zu: %d", i, err);
		if (err)
			continue;
		assert_int_equal(sdp_encode(ans, buf, 65536, NULL), 0);
		p = pl_from_str(buf);
		assert_int_equal(sdp_decode(peer_view, &p), 0);
		assert_int_equal(sdp_apply_answer(neg, &loc, offer, peer_view), 0);
		const struct sdp_neg_stream *a = &neg->streamv[0];
		const struct sdp_neg_stream *b = &pneg->streamv[0];
		assert_true(a->active);
		assert_string_equal(a->codec, "PCMA"); /* the peer's only codec
							 * that we offered */
		assert_int_equal(a->pt, b->pt);
		assert_int_equal(a->dtmf_pt, 101);
		assert_int_equal(b->dtmf_pt, 101);
		assert_int_equal(a->rport, 8000);
		assert_int_equal(b->rport, 6000);
		assert_string_equal(a->raddr.addr, "10.0.0.2");
		assert_int_equal(a->srtp, srtpv[i].srtp);
		assert_int_equal(b->srtp, srtpv[i].srtp);
		if (srtpv[i].srtp) {
			assert_int_equal(a->suite, b->suite);
			assert_memory_equal(a->local_key, b->remote_key, a->key_len);
			assert_memory_equal(a->remote_key, b->local_key, a->key_len);
		}
	}

	/* answer not matching the offer */
	caps.srtp = pcaps.srtp = SDP_SRTP_OFF;
	assert_int_equal(sdp_offer(offer, &loc, SDP_OFFER_AUDIO, NULL), 0);
	static const struct {
		const char *answer;
		int err;
	} badv[] = {
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\n"
		  "t=0 0\r\nm=audio 5000 RTP/AVP 8\r\n", 0 },
		/* two lines for one */
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\n"
		  "t=0 0\r\nm=audio 5000 RTP/AVP 8\r\nm=audio 5002 RTP/AVP 8\r\n",
		  EPROTO },
		/* not offered: PCMU */
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\n"
		  "t=0 0\r\nm=audio 5000 RTP/AVP 0\r\n", EPROTO },
		/* dynamic renumbered telephone-event is fine */
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\n"
		  "t=0 0\r\nm=audio 5000 RTP/AVP 9 100\r\n"
		  "a=rtpmap:100 telephone-event/8000\r\n", 0 },
		/* other transport */
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\n"
		  "t=0 0\r\nm=audio 5000 RTP/SAVP 8\r\n", EPROTO },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\n"
		  "t=0 0\r\nm=image 5000 udptl t38\r\n", EPROTO },
		/* rejected */
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
		  "m=audio 0 RTP/AVP 8\r\n", ENOTSUP },
		/* crypto we never offered */
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\n"
		  "t=0 0\r\nm=audio 5000 RTP/AVP 8\r\n"
		  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
		  "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n", EPROTO },
		{ "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
		  "m=audio 5000 RTP/AVP 8\r\n", EPROTO },
	};
	for (size_t i = 0; i < N(badv); i++) {
		assert_int_equal(decode_str(ans, badv[i].answer), 0);
		int err = sdp_apply_answer(neg, &loc, offer, ans);
		if (err != badv[i].err)
			fail_msg("answer vector %zu: %d != %d", i, err, badv[i].err);
	}
	assert_int_equal(decode_str(ans, badv[3].answer), 0);
	assert_int_equal(sdp_apply_answer(neg, &loc, offer, ans), 0);
	assert_string_equal(neg->streamv[0].codec, "G722");
	assert_int_equal(neg->streamv[0].dtmf_pt, 100);

	/* direction: we offered sendonly (hold); sendrecv answer is wrong */
	loc.dir = SDP_DIR_SENDONLY;
	assert_int_equal(sdp_offer(offer, &loc, SDP_OFFER_AUDIO, NULL), 0);
	assert_int_equal(decode_str(ans, "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n"
					 "c=IN IP4 1.2.3.4\r\nt=0 0\r\n"
					 "m=audio 5000 RTP/AVP 8\r\na=sendrecv\r\n"), 0);
	assert_int_equal(sdp_apply_answer(neg, &loc, offer, ans), EPROTO);
	assert_int_equal(decode_str(ans, "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n"
					 "c=IN IP4 1.2.3.4\r\nt=0 0\r\n"
					 "m=audio 5000 RTP/AVP 8\r\na=recvonly\r\n"), 0);
	assert_int_equal(sdp_apply_answer(neg, &loc, offer, ans), 0);
	assert_int_equal(neg->streamv[0].dir, SDP_DIR_SENDONLY);
	assert_false(neg->streamv[0].remote_hold);

	/* re-offer for T.38 keeps the audio line, disabled (RFC 3264 §8) */
	loc.dir = SDP_DIR_SENDRECV;
	assert_int_equal(sdp_offer(peer_view, &loc, SDP_OFFER_AUDIO, NULL), 0);
	assert_int_equal(sdp_offer(offer, &loc, SDP_OFFER_IMAGE, peer_view), 0);
	assert_int_equal(offer->nmedia, 2);
	assert_int_equal(offer->mediav[0].type, SDP_MEDIA_AUDIO);
	assert_int_equal(offer->mediav[0].port, 0);
	assert_int_equal(offer->mediav[1].type, SDP_MEDIA_IMAGE);
	assert_int_equal(offer->mediav[1].port, 6100);
	assert_int_equal(sdp_answer(ans, pneg, &ploc, offer), 0);
	assert_int_equal(sdp_apply_answer(neg, &loc, offer, ans), 0);
	assert_false(neg->streamv[0].active);
	assert_true(neg->streamv[1].active);
	assert_int_equal(neg->streamv[1].rport, 8100);
	assert_int_equal(neg->streamv[1].t38.max_datagram, 300);
	/* and back to audio: both lines kept, image disabled */
	assert_int_equal(sdp_offer(peer_view, &loc, SDP_OFFER_AUDIO, offer), 0);
	assert_int_equal(peer_view->nmedia, 2);
	assert_int_equal(peer_view->mediav[0].port, 6000);
	assert_int_equal(peer_view->mediav[1].port, 0);
	assert_int_equal(sdp_offer(offer, &loc, 0, NULL), EINVAL);
	/* telephone-event on a static or taken payload type */
	caps.dtmf_pt = 9;
	assert_int_equal(sdp_offer(offer, &loc, SDP_OFFER_AUDIO, NULL), EINVAL);
	caps.dtmf_pt = 128;
	assert_int_equal(sdp_offer(offer, &loc, SDP_OFFER_AUDIO, NULL), EINVAL);
	caps.dtmf_pt = 101;
	free(buf);
	free(neg);
	free(pneg);
	free(offer);
	free(ans);
	free(peer_view);
}

static void test_origin(void **state)
{
	struct sdp_session *s = new_sess();
	struct sdp_caps caps = caps_make(0);
	struct sdp_local loc = { .caps = &caps, .audio_port = 6000,
				 .dir = SDP_DIR_SENDRECV };
	struct sdp_origin o;
	char id[24];
	char *buf = malloc(65536);
	(void)state;
	sdp_conn_set(&loc.addr, "10.0.0.1");

	assert_int_equal(sdp_origin_init(&o, "pstngw", &loc.addr), 0);
	strcpy(id, o.id);
	assert_int_equal(sdp_offer(s, &loc, SDP_OFFER_AUDIO, NULL), 0);
	assert_int_equal(sdp_origin_stamp(&o, s), 0);
	assert_int_equal(s->o_ver, 1);
	/* sent again unchanged: same version */
	assert_int_equal(sdp_offer(s, &loc, SDP_OFFER_AUDIO, NULL), 0);
	assert_int_equal(sdp_origin_stamp(&o, s), 0);
	assert_int_equal(s->o_ver, 1);
	/* hold: changed, version + 1 */
	loc.dir = SDP_DIR_SENDONLY;
	assert_int_equal(sdp_offer(s, &loc, SDP_OFFER_AUDIO, NULL), 0);
	assert_int_equal(sdp_origin_stamp(&o, s), 0);
	assert_int_equal(s->o_ver, 2);
	assert_int_equal(sdp_origin_stamp(&o, s), 0);
	assert_int_equal(s->o_ver, 2);
	assert_string_equal(s->o_id, id);
	assert_string_equal(s->o_user, "pstngw");
	assert_int_equal(sdp_encode(s, buf, 65536, NULL), 0);
	char expect[128];
	snprintf(expect, sizeof(expect), "o=pstngw %s 2 IN IP4 10.0.0.1\r\n", id);
	assert_non_null(strstr(buf, expect));
	assert_non_null(strstr(buf, "a=sendonly\r\n"));
	assert_non_null(strstr(buf, "m=audio 6000 RTP/AVP 8 0 101\r\n"));
	assert_non_null(strstr(buf, "a=fmtp:101 0-15\r\n"));
	free(buf);
	free(s);
}


/* ---- cross-check with a real SDP parser: tshark ---------------------------- */

static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f);
}

static void put16(FILE *f, uint16_t v)
{
	fwrite(&v, 2, 1, f);
}

/* One IPv4/UDP packet carrying an INVITE with body, pcap LINKTYPE_RAW. */
static void pcap_invite(FILE *f, int i, const char *body)
{
	char sip[70000];
	uint8_t ip[28];
	int n = snprintf(sip, sizeof(sip),
			 "INVITE sip:1000@127.0.0.1 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-%d\r\n"
			 "From: <sip:a@127.0.0.1>;tag=%d\r\n"
			 "To: <sip:1000@127.0.0.1>\r\n"
			 "Call-ID: %d@sdp.test\r\nCSeq: 1 INVITE\r\n"
			 "Contact: <sip:a@127.0.0.1:5062>\r\nMax-Forwards: 70\r\n"
			 "Content-Type: application/sdp\r\n"
			 "Content-Length: %zu\r\n\r\n%s",
			 i, i, i, strlen(body), body);
	uint16_t tot = (uint16_t)(28 + n), ulen = (uint16_t)(8 + n);
	uint32_t sum = 0;

	memset(ip, 0, sizeof(ip));
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = 64;
	ip[9] = 17;
	ip[12] = 127, ip[15] = 1, ip[16] = 127, ip[19] = 1;
	for (int k = 0; k < 20; k += 2)
		sum += (uint32_t)(ip[k] << 8 | ip[k + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (uint8_t)(~sum >> 8);
	ip[11] = (uint8_t)~sum;
	ip[20] = 5062 >> 8, ip[21] = 5062 & 0xff;
	ip[22] = 5060 >> 8, ip[23] = 5060 & 0xff;
	ip[24] = (uint8_t)(ulen >> 8), ip[25] = (uint8_t)ulen;
	put32(f, (uint32_t)(1700000000 + i));
	put32(f, 0);
	put32(f, tot);
	put32(f, tot);
	fwrite(ip, 1, sizeof(ip), f);
	fwrite(sip, 1, (size_t)n, f);
}

static void join(char *dst, size_t sz, const char *item)
{
	if (dst[0])
		strncat(dst, "~", sz - strlen(dst) - 1);
	strncat(dst, item, sz - strlen(dst) - 1);
}

/* The fields tshark should show for s, computed from our structure. */
static void expect_fields(const struct sdp_session *s, const char *printed,
			  char *out, size_t sz)
{
	char ver[32], addr[512] = "", port[256] = "", proto[256] = "",
	     mime[512] = "", rate[256] = "", suite[512] = "", tag[64] = "",
	     attrs[1024] = "", tmp[64];

	snprintf(ver, sizeof(ver), "%llu", (unsigned long long)s->o_ver);
	if (s->conn.set)
		join(addr, sizeof(addr), s->conn.addr);
	for (size_t i = 0; i < s->nmedia; i++) {
		const struct sdp_media *m = &s->mediav[i];
		snprintf(tmp, sizeof(tmp), "%u", m->port);
		join(port, sizeof(port), tmp);
		join(proto, sizeof(proto), m->proto_name);
		if (!m->port)
			continue;
		if (m->conn.set)
			join(addr, sizeof(addr), m->conn.addr);
		for (size_t k = 0; k < m->nfmt; k++) {
			if (!m->fmtv[k].name[0])
				continue;
			join(mime, sizeof(mime), m->fmtv[k].name);
			snprintf(tmp, sizeof(tmp), "%u", m->fmtv[k].clock);
			join(rate, sizeof(rate), tmp);
		}
		for (size_t k = 0; k < m->ncrypto; k++) {
			join(suite, sizeof(suite), m->cryptov[k].suite_name);
			snprintf(tmp, sizeof(tmp), "%u", m->cryptov[k].tag);
			join(tag, sizeof(tag), tmp);
		}
	}
	/* media-level attribute lines, as printed: tshark must see each */
	const char *p = strstr(printed, "\r\nm=");
	while (p && (p = strstr(p, "\r\na=")) != NULL) {
		p += 4;
		size_t l = strcspn(p, "\r");
		char a[256];
		snprintf(a, sizeof(a), "%.*s", (int)l, p);
		join(attrs, sizeof(attrs), a);
	}
	snprintf(out, sz, "%s|%s|%s|%s|%s|%s|%s|%s|%s|", ver, addr, port, proto,
		 mime, rate, suite, tag, attrs);
}

static void test_tshark_peer(void **state)
{
	struct sdp_session *sv[5], *offer = new_sess();
	struct sdp_neg *neg = calloc(1, sizeof(*neg));
	struct sdp_caps caps = caps_make(1);
	struct sdp_local loc = { .caps = &caps, .audio_port = 7000,
				 .image_port = 7100, .dir = SDP_DIR_SENDRECV };
	struct sdp_origin o;
	char path[] = "/tmp/pstngw-sdp-XXXXXX";
	char *bodies[5], cmd[1024], line[8192], expect[8192];
	size_t nb = 0;
	(void)state;

	if (access("/usr/bin/tshark", X_OK))
		skip();
	for (size_t i = 0; i < 5; i++) {
		sv[i] = new_sess();
		bodies[i] = malloc(65536);
	}
	sdp_conn_set(&loc.addr, "10.0.0.1");
	assert_int_equal(sdp_origin_init(&o, "pstngw", &loc.addr), 0);

	/* our offer: SRTP optional (RTP/AVP + a=crypto), rtcp-mux */
	caps.srtp = SDP_SRTP_OPTIONAL;
	caps.rtcp_mux = true;
	assert_int_equal(sdp_offer(sv[nb], &loc, SDP_OFFER_AUDIO, NULL), 0);
	assert_int_equal(sdp_origin_stamp(&o, sv[nb]), 0);
	nb++;
	/* the same put on hold: version 2 */
	loc.dir = SDP_DIR_SENDONLY;
	assert_int_equal(sdp_offer(sv[nb], &loc, SDP_OFFER_AUDIO, NULL), 0);
	assert_int_equal(sdp_origin_stamp(&o, sv[nb]), 0);
	assert_int_equal(sv[nb]->o_ver, 2);
	nb++;
	loc.dir = SDP_DIR_SENDRECV;
	caps.srtp = SDP_SRTP_OFF;
	caps.rtcp_mux = false;
	/* answers: G.711 with DTMF, audio + T.38, a 4-line offer over IPv6 */
	assert_int_equal(decode_file(offer, "offer_g711.sdp"), 0);
	assert_int_equal(sdp_answer(sv[nb], neg, &loc, offer), 0);
	assert_int_equal(sdp_origin_stamp(&o, sv[nb++]), 0);
	assert_int_equal(decode_file(offer, "offer_audio_t38.sdp"), 0);
	assert_int_equal(sdp_answer(sv[nb], neg, &loc, offer), 0);
	assert_int_equal(sdp_origin_stamp(&o, sv[nb++]), 0);
	sdp_conn_set(&loc.addr, "2001:db8::5");
	assert_int_equal(decode_file(offer, "offer_multi.sdp"), 0);
	caps = caps_make(0);
	assert_int_equal(sdp_answer(sv[nb], neg, &loc, offer), 0);
	assert_int_equal(sdp_origin_stamp(&o, sv[nb++]), 0);

	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "wb");
	assert_non_null(f);
	put32(f, 0xa1b2c3d4);
	put16(f, 2);
	put16(f, 4);
	put32(f, 0);
	put32(f, 0);
	put32(f, 65535);
	put32(f, 101); /* LINKTYPE_RAW */
	for (size_t i = 0; i < nb; i++) {
		assert_int_equal(sdp_encode(sv[i], bodies[i], 65536, NULL), 0);
		pcap_invite(f, (int)i, bodies[i]);
	}
	fclose(f);

	snprintf(cmd, sizeof(cmd),
		 "timeout 120 tshark -n -r %s -Y sdp -T fields -E separator='|' "
		 "-E occurrence=a -E aggregator='~' -e sdp.owner.version "
		 "-e sdp.connection_info.address -e sdp.media.port "
		 "-e sdp.media.proto -e sdp.mime.type -e sdp.sample_rate "
		 "-e sdp.crypto.crypto_suite -e sdp.crypto.tag "
		 "-e sdp.media_attr -e _ws.malformed 2>/dev/null",
		 path);
	FILE *pp = popen(cmd, "r");
	assert_non_null(pp);
	size_t got = 0;
	while (fgets(line, sizeof(line), pp)) {
		line[strcspn(line, "\n")] = '\0';
		assert_true(got < nb);
		expect_fields(sv[got], bodies[got], expect, sizeof(expect));
		if (strcmp(line, expect))
			fail_msg("packet %zu:\n tshark: %s\n ours:   %s\n%s", got,
				 line, expect, bodies[got]);
		got++;
	}
	pclose(pp);
	unlink(path);
	assert_int_equal(got, nb);

	for (size_t i = 0; i < 5; i++) {
		free(sv[i]);
		free(bodies[i]);
	}
	free(offer);
	free(neg);
}


/* ---- a real peer's offer: the INVITE of sipp's built-in UAC ---------------- */

static void test_sipp_offer(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET }, from;
	socklen_t sl = sizeof(sin);
	struct sdp_session *offer = new_sess(), *ans = new_sess();
	struct sdp_neg *neg = calloc(1, sizeof(*neg));
	struct sdp_caps caps = caps_make(0);
	struct sdp_local loc = { .caps = &caps, .audio_port = 7000,
				 .dir = SDP_DIR_SENDRECV };
	char remote[32], lport[16], *buf = malloc(65536);
	int fd, got = 0;
	pid_t pid;
	(void)state;

	if (system("command -v sipp >/dev/null 2>&1"))
		skip();
	sdp_conn_set(&loc.addr, "127.0.0.1");
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	snprintf(remote, sizeof(remote), "127.0.0.1:%u", ntohs(sin.sin_port));
	snprintf(lport, sizeof(lport), "%u", ntohs(sin.sin_port) + 1);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		execlp("sipp", "sipp", remote, "-sn", "uac", "-m", "1", "-i",
		       "127.0.0.1", "-p", lport, "-timeout", "10", (char *)NULL);
		_exit(127);
	}
	/* sipp retransmits; wait for its INVITE (bounded) */
	for (int i = 0; i < 50 && !got; i++) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 200) != 1)
			continue;
		sl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, 65535, 0, (struct sockaddr *)&from, &sl);
		if (n <= 0 || strncmp(buf, "INVITE ", 7))
			continue;
		buf[n] = '\0';
		char *body = strstr(buf, "\r\n\r\n");
		assert_non_null(body);
		assert_int_equal(decode_str(offer, body + 4), 0);
		got = 1;
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fd);
	assert_true(got);

	assert_int_equal(offer->nmedia, 1);
	assert_int_equal(offer->mediav[0].type, SDP_MEDIA_AUDIO);
	assert_true(offer->mediav[0].port > 0);
	const struct sdp_conn *c = sdp_media_conn(offer, &offer->mediav[0]);
	assert_non_null(c);
	assert_string_equal(c->addr, "127.0.0.1");
	assert_int_equal(sdp_answer(ans, neg, &loc, offer), 0);
	assert_true(neg->streamv[0].active);
	assert_string_equal(neg->streamv[0].codec, "PCMU");
	assert_int_equal(neg->streamv[0].rport, offer->mediav[0].port);
	free(buf);
	free(offer);
	free(ans);
	free(neg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_invalid),
		cmocka_unit_test(test_decode_files),
		cmocka_unit_test(test_crypto),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_answer_table),
		cmocka_unit_test(test_answer_details),
		cmocka_unit_test(test_offer_apply),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_tshark_peer),
		cmocka_unit_test(test_sipp_offer),
	};
	return cmocka_run_group_tests_name("sip_sdp", tests, NULL, NULL);
}
