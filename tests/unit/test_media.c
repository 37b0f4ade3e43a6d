/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for gw/media: [media] parsing (good and bad values, errors
 * naming file:line:key), RFC 3264 offer/answer vectors under the media
 * policy (codec preference, telephone-event, ptime, rejected streams,
 * SDES-SRTP off/optional/mandatory, bad bodies), o= versioning on
 * re-offers, the RTP port pool (503 when empty, reuse after close), and
 * real audio: a virtual E1 whose clock master is this test, one channel
 * joined to a timeslot, RTP PCMA from a UDP socket of the test to the
 * timeslot and back, byte for byte.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/log.h"
#include "dsp/rtp.h"
#include "gw/conf.h"
#include "gw/media.h"
#include "gw/span.h"
#include "gw/spans.h"
#include "gw/tdm_virt.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- configuration ---- */

static void test_conf_good(void **state)
{
	static const struct {
		const char *text;
		unsigned ncodecs;
		enum dsp_codec_id c0;
		unsigned ptime;
		enum gw_media_dtmf dtmf;
		enum gw_media_srtp srtp;
		uint32_t timeout_ms;
		uint16_t pmin, pmax;
		bool ec;
	} testv[] = {
		{ "[general]\n", 2, DSP_CODEC_PCMA, 20, GW_MEDIA_DTMF_RFC4733,
		  GW_MEDIA_SRTP_OFF, 30000, 20000, 29999, true },
		{ "[media]\ncodecs = pcmu\nptime = 30\ndtmf = inband\n", 1,
		  DSP_CODEC_PCMU, 30, GW_MEDIA_DTMF_INBAND, GW_MEDIA_SRTP_OFF,
		  30000, 20000, 29999, true },
		{ "[media]\ncodecs = G722, pcma,pcmu\nsrtp = mandatory\n"
		  "media_timeout = 0\necho_cancel = no\n", 3, DSP_CODEC_G722, 20,
		  GW_MEDIA_DTMF_RFC4733, GW_MEDIA_SRTP_MANDATORY, 0, 20000, 29999,
		  false },
		{ "[media]\nrtp_port_min = 30001\nrtp_port_max = 30003\n"
		  "media_timeout = 1500ms\nsrtp = optional\ndtmf = off\n", 2,
		  DSP_CODEC_PCMA, 20, GW_MEDIA_DTMF_OFF, GW_MEDIA_SRTP_OPTIONAL,
		  1500, 30001, 30003, true },
		{ "[media]\nrtp_address = ::1\nmedia_timeout = 2m\ntones = us\n", 2,
		  DSP_CODEC_PCMA, 20, GW_MEDIA_DTMF_RFC4733, GW_MEDIA_SRTP_OFF,
		  120000, 20000, 29999, true },
	};
	(void)state;

	for (size_t i = 0; i < N(testv); i++) {
		struct gw_conf *conf;
		struct gw_conf_err err;
		struct gw_media_cfg cfg;

		assert_int_equal(gw_conf_load_str(&conf, "m.conf", testv[i].text, &err), 0);
		if (gw_media_conf(&cfg, conf, &err))
			fail_msg("vector %zu: %s", i, err.msg);
		if (i && gw_conf_check_unused(conf, &err))
			fail_msg("vector %zu: %s", i, err.msg);
		assert_int_equal(cfg.ncodecs, testv[i].ncodecs);
		assert_int_equal(cfg.codecs[0], testv[i].c0);
		assert_int_equal(cfg.ptime, testv[i].ptime);
		assert_int_equal(cfg.dtmf, testv[i].dtmf);
		assert_int_equal(cfg.srtp, testv[i].srtp);
		assert_int_equal(cfg.media_timeout_ms, testv[i].timeout_ms);
		assert_int_equal(cfg.port_min, testv[i].pmin);
		assert_int_equal(cfg.port_max, testv[i].pmax);
		assert_int_equal(cfg.ec, testv[i].ec);
		gw_conf_free(conf);
	}
}

static void test_conf_bad(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} testv[] = {
		{ "[media]\ncodecs = pcma, gsm\n",
		  "m.conf:2: [media] codecs: unknown codec 'gsm'" },
		{ "[media]\ncodecs = pcma, pcma\n",
		  "m.conf:2: [media] codecs: 'pcma' listed twice" },
		{ "[media]\ncodecs = ,\n", "m.conf:2: [media] codecs: no codec" },
		{ "[media]\n\nptime = 25\n", "m.conf:3: [media] ptime: 25: use 10, 20 or 30" },
		{ "[media]\nptime = 40\n", "m.conf:2: [media] ptime:" },
		{ "[media]\ndtmf = info\n", "m.conf:2: [media] dtmf:" },
		{ "[media]\ndtmf_pt = 90\n", "m.conf:2: [media] dtmf_pt:" },
		{ "[media]\nrtp_address = localhost\n",
		  "m.conf:2: [media] rtp_address: 'localhost' is not a numeric" },
		{ "[media]\nrtp_port_min = 30000\nrtp_port_max = 30000\n",
		  "m.conf:3: [media] rtp_port_max: range 30000-30000" },
		{ "[media]\nrtp_port_min = 80\n", "m.conf:2: [media] rtp_port_min:" },
		{ "[media]\nsrtp = maybe\n", "m.conf:2: [media] srtp:" },
		{ "[media]\ntones = xx\n", "m.conf:2: [media] tones: unknown country 'xx'" },
		{ "[media]\nec_tail_ms = 256\n", "m.conf:2: [media] ec_tail_ms:" },
		{ "[media]\nmedia_timeout = 2h\n", "m.conf:2: [media] media_timeout:" },
		{ "[media]\nmedia_timeout = 3601\n", "m.conf:2: [media] media_timeout:" },
		{ "[media]\nfaxdet = perhaps\n", "m.conf:2: [media] faxdet:" },
	};
	(void)state;

	for (size_t i = 0; i < N(testv); i++) {
		struct gw_conf *conf;
		struct gw_conf_err err;
		struct gw_media_cfg cfg;

		assert_int_equal(gw_conf_load_str(&conf, "m.conf", testv[i].text, &err), 0);
		memset(&err, 0, sizeof(err));
		if (gw_media_conf(&cfg, conf, &err) != EINVAL)
			fail_msg("vector %zu accepted", i);
		if (strncmp(err.msg, testv[i].msg, strlen(testv[i].msg)))
			fail_msg("vector %zu: '%s' want '%s'", i, err.msg, testv[i].msg);
		gw_conf_free(conf);
	}

	/* a typo is reported by the conf check with the known keys */
	{
		struct gw_conf *conf;
		struct gw_conf_err err;
		struct gw_media_cfg cfg;
		assert_int_equal(gw_conf_load_str(&conf, "m.conf",
						  "[media]\ncodec = pcma\n", &err), 0);
		assert_int_equal(gw_media_conf(&cfg, conf, &err), 0);
		assert_int_equal(gw_conf_check_unused(conf, &err), EINVAL);
		assert_non_null(strstr(err.msg, "m.conf:2"));
		assert_non_null(strstr(err.msg, "did you mean 'codecs'"));
		gw_conf_free(conf);
	}
}

/* ---- offer / answer ---- */

struct fix {
	uv_loop_t loop;
	struct gw_media *m;
};

static void fix_start(struct fix *f, const struct gw_media_cfg *cfg)
{
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(gw_media_alloc(&f->m, cfg, NULL, &f->loop), 0);
}

static void fix_stop(struct fix *f)
{
	gw_media_free(f->m);
	for (int i = 0; i < 100 && uv_loop_alive(&f->loop); i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

static void small_cfg(struct gw_media_cfg *cfg)
{
	gw_media_cfg_default(cfg);
	cfg->threads = 1;
	cfg->port_min = 31000;
	cfg->port_max = 31099;
}

#define SDP_HEAD "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
#define TE "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
#define KEY30 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"
#define KEY28 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw=="

enum pol { P_DEF = 0, P_PCMU_FIRST, P_DTMF_OFF, P_PTIME30, P_SRTP_OPT,
	   P_SRTP_MAND, P_G722 };

static void apply_pol(struct gw_media_cfg *cfg, enum pol p)
{
	switch (p) {
	case P_DEF:
		break;
	case P_PCMU_FIRST:
		cfg->codecs[0] = DSP_CODEC_PCMU;
		cfg->codecs[1] = DSP_CODEC_PCMA;
		break;
	case P_DTMF_OFF:
		cfg->dtmf = GW_MEDIA_DTMF_OFF;
		break;
	case P_PTIME30:
		cfg->ptime = 30;
		break;
	case P_SRTP_OPT:
		cfg->srtp = GW_MEDIA_SRTP_OPTIONAL;
		break;
	case P_SRTP_MAND:
		cfg->srtp = GW_MEDIA_SRTP_MANDATORY;
		break;
	case P_G722:
		cfg->codecs[0] = DSP_CODEC_G722;
		cfg->codecs[1] = DSP_CODEC_PCMA;
		break;
	}
}

static void test_answer_vectors(void **state)
{
	static const struct {
		const char *name;
		enum pol pol;
		const char *offer;
		int ret;
		const char *has[3];     /* in the answer ("%u" = our port) */
		const char *hasnot[2];
		const char *codec;
	} testv[] = {
		{ "pcma preferred", P_DEF,
		  SDP_HEAD "m=audio 40000 RTP/AVP 0 8 101\r\n" TE, 0,
		  { "m=audio %u RTP/AVP 8 101\r\n", "c=IN IP4 127.0.0.1\r\n",
		    "a=rtpmap:101 telephone-event/8000\r\n" },
		  { "a=crypto", NULL }, "PCMA" },
		{ "pcmu preferred", P_PCMU_FIRST,
		  SDP_HEAD "m=audio 40000 RTP/AVP 8 0 101\r\n" TE, 0,
		  { "m=audio %u RTP/AVP 0 101\r\n", "a=ptime:20\r\n", NULL },
		  { NULL, NULL }, "PCMU" },
		{ "only pcmu offered", P_DEF,
		  SDP_HEAD "m=audio 40000 RTP/AVP 0\r\n", 0,
		  { "m=audio %u RTP/AVP 0\r\n", NULL, NULL },
		  { "telephone-event", NULL }, "PCMU" },
		{ "dtmf off", P_DTMF_OFF,
		  SDP_HEAD "m=audio 40000 RTP/AVP 8 101\r\n" TE, 0,
		  { "m=audio %u RTP/AVP 8\r\n", NULL, NULL },
		  { "telephone-event", NULL }, "PCMA" },
		{ "ptime 30", P_PTIME30,
		  SDP_HEAD "m=audio 40000 RTP/AVP 8\r\na=ptime:30\r\n", 0,
		  { "a=ptime:30\r\n", NULL, NULL }, { NULL, NULL }, "PCMA" },
		{ "g722 first", P_G722,
		  SDP_HEAD "m=audio 40000 RTP/AVP 8 9\r\n", 0,
		  { "m=audio %u RTP/AVP 9\r\n", NULL, NULL }, { NULL, NULL }, "G722" },
		{ "no common codec", P_DEF,
		  SDP_HEAD "m=audio 40000 RTP/AVP 9 18\r\n", 488,
		  { NULL, NULL, NULL }, { NULL, NULL }, NULL },
		{ "rejected stream kept in place", P_DEF,
		  SDP_HEAD "m=audio 0 RTP/AVP 8\r\nm=audio 40002 RTP/AVP 0\r\n", 0,
		  { "m=audio 0 RTP/AVP 8\r\n", "m=audio %u RTP/AVP 0\r\n", NULL },
		  { NULL, NULL }, "PCMU" },
		{ "only a rejected stream", P_DEF,
		  SDP_HEAD "m=audio 0 RTP/AVP 8\r\n", 488,
		  { NULL, NULL, NULL }, { NULL, NULL }, NULL },
		{ "video only", P_DEF,
		  SDP_HEAD "m=video 40000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n", 488,
		  { NULL, NULL, NULL }, { NULL, NULL }, NULL },
		{ "video and audio", P_DEF,
		  SDP_HEAD "m=video 40000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
			   "m=audio 40002 RTP/AVP 8\r\n", 0,
		  { "m=video 0 ", "m=audio %u RTP/AVP 8\r\n", NULL }, { NULL, NULL },
		  "PCMA" },
		{ "srtp off, savp offered", P_DEF,
		  SDP_HEAD "m=audio 40000 RTP/SAVP 8\r\n"
			   "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "\r\n", 488,
		  { NULL, NULL, NULL }, { NULL, NULL }, NULL },
		{ "srtp off, crypto on avp ignored", P_DEF,
		  SDP_HEAD "m=audio 40000 RTP/AVP 8\r\n"
			   "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "\r\n", 0,
		  { "m=audio %u RTP/AVP 8\r\n", NULL, NULL }, { "a=crypto", NULL },
		  "PCMA" },
		{ "srtp optional, avp with crypto", P_SRTP_OPT,
		  SDP_HEAD "m=audio 40000 RTP/AVP 8\r\n"
			   "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" KEY30 "\r\n", 0,
		  { "m=audio %u RTP/AVP 8\r\n", "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:",
		    NULL }, { NULL, NULL }, "PCMA" },
		{ "srtp optional, plain offer", P_SRTP_OPT,
		  SDP_HEAD "m=audio 40000 RTP/AVP 8\r\n", 0,
		  { "m=audio %u RTP/AVP 8\r\n", NULL, NULL }, { "a=crypto", NULL },
		  "PCMA" },
		{ "srtp mandatory, plain offer", P_SRTP_MAND,
		  SDP_HEAD "m=audio 40000 RTP/AVP 8\r\n", 488,
		  { NULL, NULL, NULL }, { NULL, NULL }, NULL },
		{ "srtp mandatory, savp", P_SRTP_MAND,
		  SDP_HEAD "m=audio 40000 RTP/SAVP 8\r\n"
			   "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "\r\n", 0,
		  { "m=audio %u RTP/SAVP 8\r\n",
		    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:", NULL },
		  { NULL, NULL }, "PCMA" },
		{ "srtp mandatory, gcm", P_SRTP_MAND,
		  SDP_HEAD "m=audio 40000 RTP/SAVP 8\r\n"
			   "a=crypto:7 AEAD_AES_128_GCM inline:" KEY28 "\r\n", 0,
		  { "a=crypto:7 AEAD_AES_128_GCM inline:", NULL, NULL },
		  { NULL, NULL }, "PCMA" },
		{ "srtp mandatory, unknown suite", P_SRTP_MAND,
		  SDP_HEAD "m=audio 40000 RTP/SAVP 8\r\n"
			   "a=crypto:1 F8_128_HMAC_SHA1_80 inline:" KEY30 "\r\n", 488,
		  { NULL, NULL, NULL }, { NULL, NULL }, NULL },
		{ "not sdp", P_DEF, "hello", 400,
		  { NULL, NULL, NULL }, { NULL, NULL }, NULL },
		{ "empty", P_DEF, "", 400, { NULL, NULL, NULL }, { NULL, NULL }, NULL },
		{ "m= before o=", P_DEF,
		  "v=0\r\nm=audio 40000 RTP/AVP 8\r\no=- 1 1 IN IP4 127.0.0.1\r\n", 400,
		  { NULL, NULL, NULL }, { NULL, NULL }, NULL },
	};
	(void)state;

	for (size_t i = 0; i < N(testv); i++) {
		struct gw_media_cfg cfg;
		struct fix f;
		struct gw_media_chan *c = NULL;
		struct gw_media_stats st;
		char ans[2048], want[128];
		int r;

		small_cfg(&cfg);
		apply_pol(&cfg, testv[i].pol);
		fix_start(&f, &cfg);
		r = gw_media_answer(f.m, testv[i].offer, ans, sizeof(ans), NULL, NULL, &c);
		if (r != testv[i].ret)
			fail_msg("%s: %d want %d", testv[i].name, r, testv[i].ret);
		if (!r) {
			gw_media_stats(c, &st);
			assert_true(st.local_port >= 31000 && st.local_port < 31100);
			assert_int_equal(st.local_port % 2, 0);
			assert_string_equal(st.codec, testv[i].codec);
			for (size_t k = 0; k < N(testv[i].has) && testv[i].has[k]; k++) {
				snprintf(want, sizeof(want), testv[i].has[k], st.local_port);
				if (!strstr(ans, want))
					fail_msg("%s: no '%s' in\n%s", testv[i].name, want, ans);
			}
			for (size_t k = 0; k < N(testv[i].hasnot) && testv[i].hasnot[k]; k++) {
				if (strstr(ans, testv[i].hasnot[k]))
					fail_msg("%s: '%s' in\n%s", testv[i].name,
						 testv[i].hasnot[k], ans);
			}
			assert_non_null(strstr(ans, "o=pstngw "));
		} else {
			assert_null(c);
		}
		gw_media_close(c);
		fix_stop(&f);
	}
}

/* o= version of an SDP text */
static unsigned long long o_ver(const char *sdp)
{
	const char *o = strstr(sdp, "o=");
	char user[32], id[32];
	unsigned long long ver = 0;

	assert_non_null(o);
	assert_int_equal(sscanf(o, "o=%31s %31s %llu", user, id, &ver), 3);
	return ver;
}

static void test_reoffer(void **state)
{
	struct gw_media_cfg cfg;
	struct fix f;
	struct gw_media_chan *c;
	struct gw_media_stats st;
	char ans[2048], ans2[2048];
	unsigned long long v0;
	(void)state;

	small_cfg(&cfg);
	fix_start(&f, &cfg);
	assert_int_equal(gw_media_answer(f.m, SDP_HEAD "m=audio 40000 RTP/AVP 8 0\r\n",
					 ans, sizeof(ans), NULL, NULL, &c), 0);
	v0 = o_ver(ans);
	/* the same offer again (session refresh): same description, same o= */
	assert_int_equal(gw_media_reoffer(c, SDP_HEAD "m=audio 40000 RTP/AVP 8 0\r\n",
					  ans2, sizeof(ans2)), 0);
	assert_int_equal(o_ver(ans2), v0);
	/* a change of codec: version + 1, same port */
	assert_int_equal(gw_media_reoffer(c, SDP_HEAD "m=audio 40004 RTP/AVP 0\r\n",
					  ans2, sizeof(ans2)), 0);
	assert_int_equal(o_ver(ans2), v0 + 1);
	gw_media_stats(c, &st);
	assert_string_equal(st.codec, "PCMU");
	snprintf(ans, sizeof(ans), "m=audio %u RTP/AVP 0\r\n", st.local_port);
	assert_non_null(strstr(ans2, ans));
	/* unacceptable and bad re-offers leave the session as it was */
	assert_int_equal(gw_media_reoffer(c, SDP_HEAD "m=audio 40004 RTP/AVP 9\r\n",
					  ans2, sizeof(ans2)), 488);
	assert_int_equal(gw_media_reoffer(c, "garbage", ans2, sizeof(ans2)), 400);
	gw_media_stats(c, &st);
	assert_string_equal(st.codec, "PCMU");
	gw_media_close(c);
	fix_stop(&f);
}

static void test_offer(void **state)
{
	struct gw_media_cfg cfg;
	struct fix f;
	struct gw_media_chan *c;
	struct gw_media_stats st;
	char off[2048], want[128];
	(void)state;

	small_cfg(&cfg);
	cfg.srtp = GW_MEDIA_SRTP_OPTIONAL;
	fix_start(&f, &cfg);
	assert_int_equal(gw_media_offer(f.m, off, sizeof(off), NULL, NULL, &c), 0);
	gw_media_stats(c, &st);
	snprintf(want, sizeof(want), "m=audio %u RTP/AVP 8 0 101\r\n", st.local_port);
	assert_non_null(strstr(off, want));
	assert_non_null(strstr(off, "c=IN IP4 127.0.0.1\r\n"));
	assert_non_null(strstr(off, "a=rtpmap:101 telephone-event/8000\r\n"));
	assert_non_null(strstr(off, "a=crypto:"));
	assert_string_equal(st.codec, "");
	/* answers that do not fit the offer */
	assert_int_equal(gw_media_set_answer(c, "nonsense"), 400);
	assert_int_equal(gw_media_set_answer(c, SDP_HEAD "m=audio 40000 RTP/AVP 9\r\n"),
			 488);
	assert_int_equal(gw_media_set_answer(c, SDP_HEAD "m=audio 0 RTP/AVP 8\r\n"),
			 488);
	/* a good one */
	assert_int_equal(gw_media_set_answer(c, SDP_HEAD "m=audio 40000 RTP/AVP 0 101\r\n"
					     TE), 0);
	gw_media_stats(c, &st);
	assert_string_equal(st.codec, "PCMU");
	gw_media_close(c);

	/* SRTP mandatory: RTP/SAVP; an answer without crypto is refused */
	gw_media_free(f.m);
	cfg.srtp = GW_MEDIA_SRTP_MANDATORY;
	assert_int_equal(gw_media_alloc(&f.m, &cfg, NULL, &f.loop), 0);
	assert_int_equal(gw_media_offer(f.m, off, sizeof(off), NULL, NULL, &c), 0);
	assert_non_null(strstr(off, "RTP/SAVP 8 0 101\r\n"));
	assert_int_equal(gw_media_set_answer(c, SDP_HEAD "m=audio 40000 RTP/SAVP 8\r\n"),
			 488);
	gw_media_close(c);
	fix_stop(&f);
}

static void test_port_pool(void **state)
{
	static const char *offer = SDP_HEAD "m=audio 40000 RTP/AVP 8\r\n";
	struct gw_media_cfg cfg;
	struct fix f;
	struct gw_media_chan *a, *b, *c = NULL;
	struct gw_media_stats sa, sb, sc;
	char buf[2048];
	(void)state;

	small_cfg(&cfg);
	cfg.port_min = 31001; /* odd: the pairs are 31002 and 31004 */
	cfg.port_max = 31005;
	fix_start(&f, &cfg);
	assert_int_equal(gw_media_answer(f.m, offer, buf, sizeof(buf), NULL, NULL, &a), 0);
	assert_int_equal(gw_media_offer(f.m, buf, sizeof(buf), NULL, NULL, &b), 0);
	gw_media_stats(a, &sa);
	gw_media_stats(b, &sb);
	assert_int_not_equal(sa.local_port, sb.local_port);
	assert_true(sa.local_port == 31002 || sa.local_port == 31004);
	assert_true(sb.local_port == 31002 || sb.local_port == 31004);
	/* exhausted */
	assert_int_equal(gw_media_answer(f.m, offer, buf, sizeof(buf), NULL, NULL, &c), 503);
	assert_int_equal(gw_media_offer(f.m, buf, sizeof(buf), NULL, NULL, &c), 503);
	assert_null(c);
	/* a bad body is still 400 */
	assert_int_equal(gw_media_answer(f.m, "x", buf, sizeof(buf), NULL, NULL, &c), 400);
	/* a refused offer does not keep a port */
	gw_media_close(a);
	assert_int_equal(gw_media_answer(f.m, SDP_HEAD "m=audio 40000 RTP/AVP 9\r\n",
					 buf, sizeof(buf), NULL, NULL, &c), 488);
	assert_int_equal(gw_media_answer(f.m, offer, buf, sizeof(buf), NULL, NULL, &c), 0);
	gw_media_stats(c, &sc);
	assert_int_equal(sc.local_port, sa.local_port);
	gw_media_close(b);
	gw_media_close(c);
	gw_media_close(NULL);
	fix_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_good),
		cmocka_unit_test(test_conf_bad),
		cmocka_unit_test(test_answer_vectors),
		cmocka_unit_test(test_reoffer),
		cmocka_unit_test(test_offer),
		cmocka_unit_test(test_port_pool),
	};
	log_set_level(LOGL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
