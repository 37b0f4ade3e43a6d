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
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/log.h"
#include "dsp/dtmf.h"
#include "dsp/rtp.h"
#include "dsp/faxdet.h"
#include "dsp/srtp.h"
#include "dsp/tone.h"
#include "gw/conf.h"
#include "gw/ctl.h"
#include "gw/media.h"
#include "gw/span.h"
#include "gw/spans.h"
#include "gw/tdm_virt.h"
#include "sip/sdp.h"

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
		unsigned budget;
		bool jb_fixed;
	} testv[] = {
		{ "[general]\n", 2, DSP_CODEC_PCMA, 20, GW_MEDIA_DTMF_RFC4733,
		  GW_MEDIA_SRTP_OFF, 30000, 20000, 29999, true, 80, false },
		{ "[media]\ncodecs = pcmu\nptime = 30\ndtmf = inband\n"
		  "tick_budget = 0\n", 1,
		  DSP_CODEC_PCMU, 30, GW_MEDIA_DTMF_INBAND, GW_MEDIA_SRTP_OFF,
		  30000, 20000, 29999, true, 0, false },
		{ "[media]\ncodecs = G722, pcma,pcmu\nsrtp = mandatory\n"
		  "media_timeout = 0\necho_cancel = no\ntick_budget = 65\n"
		  "jitter = fixed\njitter_fixed_ms = 80\n", 3,
		  DSP_CODEC_G722, 20,
		  GW_MEDIA_DTMF_RFC4733, GW_MEDIA_SRTP_MANDATORY, 0, 20000, 29999,
		  false, 65, true },
		{ "[media]\nrtp_port_min = 30001\nrtp_port_max = 30003\n"
		  "media_timeout = 1500ms\nsrtp = optional\ndtmf = off\n", 2,
		  DSP_CODEC_PCMA, 20, GW_MEDIA_DTMF_OFF, GW_MEDIA_SRTP_OPTIONAL,
		  1500, 30001, 30003, true, 80, false },
		{ "[media]\nrtp_address = ::1\nmedia_timeout = 2m\ntones = us\n", 2,
		  DSP_CODEC_PCMA, 20, GW_MEDIA_DTMF_RFC4733, GW_MEDIA_SRTP_OFF,
		  120000, 20000, 29999, true, 80, false },
		{ "[media]\ncodecs = g729, PCMA, g722, pcmu\nptime = 10\n", 4,
		  DSP_CODEC_G729, 10, GW_MEDIA_DTMF_RFC4733, GW_MEDIA_SRTP_OFF,
		  30000, 20000, 29999, true, 80, false },
		{ "[media]\ncodecs = g729\n", 1,
		  DSP_CODEC_G729, 20, GW_MEDIA_DTMF_RFC4733, GW_MEDIA_SRTP_OFF,
		  30000, 20000, 29999, true, 80, false },
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
		assert_int_equal(cfg.tick_budget, testv[i].budget);
		assert_int_equal(cfg.jitter_fixed, testv[i].jb_fixed);
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
		{ "[media]\ncodecs = g729a\n",
		  "m.conf:2: [media] codecs: unknown codec 'g729a' (known: pcma, pcmu, "
		  "g722, g729)" },
		{ "[media]\ncodecs = g729, pcma, G729\n",
		  "m.conf:2: [media] codecs: 'G729' listed twice" },
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
		{ "[media]\ntick_budget = 101\n", "m.conf:2: [media] tick_budget:" },
		{ "[media]\nrtcp_mux = sometimes\n", "m.conf:2: [media] rtcp_mux:" },
		{ "[media]\njitter = elastic\n", "m.conf:2: [media] jitter:" },
		{ "[media]\njitter_min_ms = 100\njitter_max_ms = 50\n",
		  "m.conf:3: [media] jitter_max_ms: 50 is under jitter_min_ms 100" },
		{ "[media]\njitter_fixed_ms = 5000\n", "m.conf:2: [media] jitter_fixed_ms:" },
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
	   P_SRTP_MAND, P_G722, P_G729, P_G729_ONLY, P_NOMUX };

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
	case P_NOMUX:
		cfg->rtcp_mux = false;
		break;
	case P_G729:
		cfg->codecs[0] = DSP_CODEC_G729;
		cfg->codecs[1] = DSP_CODEC_PCMA;
		break;
	case P_G729_ONLY:
		cfg->codecs[0] = DSP_CODEC_G729;
		cfg->ncodecs = 1;
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
		{ "rtcp-mux offered: accepted", P_DEF,
		  SDP_HEAD "m=audio 40000 RTP/AVP 8\r\na=rtcp-mux\r\n", 0,
		  { "m=audio %u RTP/AVP 8\r\n", "a=rtcp-mux\r\n", NULL },
		  { NULL, NULL }, "PCMA" },
		{ "rtcp-mux not offered", P_DEF,
		  SDP_HEAD "m=audio 40000 RTP/AVP 8\r\n", 0,
		  { "m=audio %u RTP/AVP 8\r\n", NULL, NULL },
		  { "a=rtcp-mux", NULL }, "PCMA" },
		{ "rtcp-mux offered, rtcp_mux = no", P_NOMUX,
		  SDP_HEAD "m=audio 40000 RTP/AVP 8\r\na=rtcp-mux\r\n", 0,
		  { "m=audio %u RTP/AVP 8\r\n", NULL, NULL },
		  { "a=rtcp-mux", NULL }, "PCMA" },
		{ "no common codec", P_DEF,
		  SDP_HEAD "m=audio 40000 RTP/AVP 9 18\r\n", 488,
		  { NULL, NULL, NULL }, { NULL, NULL }, NULL },
		{ "g729 alone, not configured", P_DEF,
		  SDP_HEAD "m=audio 40000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"
			   "a=fmtp:18 annexb=no\r\n", 488,
		  { NULL, NULL, NULL }, { NULL, NULL }, NULL },
		{ "g729 offered alone", P_G729_ONLY,
		  SDP_HEAD "m=audio 40000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"
			   "a=fmtp:18 annexb=no\r\n", 0,
		  { "m=audio %u RTP/AVP 18\r\n", "a=rtpmap:18 G729/8000\r\n",
		    "a=fmtp:18 annexb=no\r\n" }, { "telephone-event", NULL }, "G729" },
		{ "g729 annexb=yes answered annexb=no", P_G729,
		  SDP_HEAD "m=audio 40000 RTP/AVP 18 101\r\na=rtpmap:18 G729/8000\r\n"
			   "a=fmtp:18 annexb=yes\r\n" TE, 0,
		  { "m=audio %u RTP/AVP 18 101\r\n", "a=fmtp:18 annexb=no\r\n",
		    "a=rtpmap:101 telephone-event/8000\r\n" }, { "annexb=yes", NULL },
		  "G729" },
		{ "g729 static, no rtpmap or fmtp", P_G729_ONLY,
		  SDP_HEAD "m=audio 40000 RTP/AVP 18\r\na=ptime:30\r\n", 0,
		  { "m=audio %u RTP/AVP 18\r\n", "a=rtpmap:18 G729/8000\r\n",
		    "a=fmtp:18 annexb=no\r\n" }, { NULL, NULL }, "G729" },
		{ "g729 preferred over pcma", P_G729,
		  SDP_HEAD "m=audio 40000 RTP/AVP 8 18\r\n", 0,
		  { "m=audio %u RTP/AVP 18\r\n", "a=fmtp:18 annexb=no\r\n", NULL },
		  { NULL, NULL }, "G729" },
		{ "pcma preferred over g729", P_DEF,
		  SDP_HEAD "m=audio 40000 RTP/AVP 18 8\r\n", 0,
		  { "m=audio %u RTP/AVP 8\r\n", NULL, NULL }, { "annexb", "G729" },
		  "PCMA" },
		{ "g729 configured, not offered", P_G729_ONLY,
		  SDP_HEAD "m=audio 40000 RTP/AVP 8 0\r\n", 488,
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
		{ "ipv6 peer, ipv4 address", P_DEF,
		  "v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\n"
		  "m=audio 40000 RTP/AVP 8\r\n", 488,
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

	/* to G.729 and back by re-offer (annexb=yes answered annexb=no) */
	small_cfg(&cfg);
	cfg.codecs[1] = DSP_CODEC_G729;
	fix_start(&f, &cfg);
	assert_int_equal(gw_media_answer(f.m, SDP_HEAD "m=audio 40000 RTP/AVP 8\r\n",
					 ans, sizeof(ans), NULL, NULL, &c), 0);
	assert_int_equal(gw_media_reoffer(c, SDP_HEAD "m=audio 40000 RTP/AVP 18\r\n"
					  "a=fmtp:18 annexb=yes\r\n", ans2, sizeof(ans2)), 0);
	gw_media_stats(c, &st);
	assert_string_equal(st.codec, "G729");
	assert_non_null(strstr(ans2, "a=fmtp:18 annexb=no\r\n"));
	assert_int_equal(gw_media_reoffer(c, SDP_HEAD "m=audio 40000 RTP/AVP 8\r\n",
					  ans2, sizeof(ans2)), 0);
	gw_media_stats(c, &st);
	assert_string_equal(st.codec, "PCMA");
	assert_null(strstr(ans2, "annexb"));
	gw_media_close(c);
	fix_stop(&f);
}

/* an SRTP session refresh keeps our key and the o= version; a new key
 * from the peer gives a new description */
static void test_srtp_refresh(void **state)
{
	static const char *offer =
		SDP_HEAD "m=audio 40000 RTP/SAVP 8\r\n"
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "\r\n";
	static const char *rekey =
		SDP_HEAD "m=audio 40000 RTP/SAVP 8\r\n"
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"
		"ZWxsbyB3b3JsZCBoZWxsbyB3b3JsZCBoZWxsbyB3\r\n";
	struct gw_media_cfg cfg;
	struct fix f;
	struct gw_media_chan *c;
	char a1[2048], a2[2048];
	(void)state;

	small_cfg(&cfg);
	cfg.srtp = GW_MEDIA_SRTP_MANDATORY;
	fix_start(&f, &cfg);
	assert_int_equal(gw_media_answer(f.m, offer, a1, sizeof(a1), NULL, NULL, &c), 0);
	assert_int_equal(gw_media_reoffer(c, offer, a2, sizeof(a2)), 0);
	assert_string_equal(a1, a2);
	assert_int_equal(gw_media_reoffer(c, rekey, a2, sizeof(a2)), 0);
	assert_int_equal(o_ver(a2), o_ver(a1) + 1);
	assert_string_not_equal(strstr(a1, "a=crypto"), strstr(a2, "a=crypto"));
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
	assert_non_null(strstr(off, "a=rtcp-mux\r\n"));
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

	/* G.729 first: offered with annexb=no; an answer with annexb=yes
	 * (or none) is still taken, SIDs are decoded if they come */
	static const char *const g729_answers[] = {
		SDP_HEAD "m=audio 40000 RTP/AVP 18 101\r\na=rtpmap:18 G729/8000\r\n"
			 "a=fmtp:18 annexb=yes\r\n" TE,
		SDP_HEAD "m=audio 40000 RTP/AVP 18\r\n",
	};
	gw_media_free(f.m);
	cfg.srtp = GW_MEDIA_SRTP_OFF;
	cfg.codecs[0] = DSP_CODEC_G729;
	cfg.codecs[1] = DSP_CODEC_PCMA;
	assert_int_equal(gw_media_alloc(&f.m, &cfg, NULL, &f.loop), 0);
	for (size_t i = 0; i < N(g729_answers); i++) {
		assert_int_equal(gw_media_offer(f.m, off, sizeof(off), NULL, NULL, &c), 0);
		gw_media_stats(c, &st);
		snprintf(want, sizeof(want), "m=audio %u RTP/AVP 18 8 101\r\n",
			 st.local_port);
		assert_non_null(strstr(off, want));
		assert_non_null(strstr(off, "a=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n"));
		assert_null(strstr(off, "a=fmtp:8"));
		assert_int_equal(gw_media_set_answer(c, g729_answers[i]), 0);
		gw_media_stats(c, &st);
		assert_string_equal(st.codec, "G729");
		gw_media_close(c);
	}
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


/* ---- real audio over a virtual E1 ---- */

#define TS 5                /* the timeslot under test */
#define HIST 64             /* blocks remembered per direction */

struct audio;

/* The far end (clock master) of one span. */
struct far {
	struct audio *a;
	unsigned k;             /* [span k+1] */
	struct gw_tdm_virt_master *ms;
	char path[108];
	uint32_t last_mseq;
};

struct audio {
	uv_loop_t loop;
	struct far far[2];
	unsigned nspan;
	unsigned active;        /* the span the channel is joined to */
	struct gw_spans *spans;
	struct gw_media *m;
	unsigned idx;           /* B-channel index of the timeslot in use */
	int fd;                 /* the test's RTP socket */
	uint16_t fd_port;
	uint16_t gw_port;       /* where the test sends RTP */
	bool send;
	uint16_t rtp_seq;
	uint32_t sent;          /* RTP packets sent by the test */
	/* master -> gateway pattern, block seq -> bytes: pat_m(seq, j) */
	/* RTP -> gateway pattern: pat_r(n, j) for packet n */
	unsigned fwd_run, fwd_best;   /* RTP -> TDM: consecutive exact blocks */
	long fwd_last;
	unsigned rev_run, rev_best;   /* TDM -> RTP */
	long rev_last;
	unsigned rev_other;           /* payloads neither pattern nor idle */
	unsigned rx_pkts;             /* audio packets from the gateway */
	bool t1;                      /* T1 spans, mu-law, PCMU */
	uint8_t pt;
	unsigned ev[4];
	char ev_digit;
	/* DTMF: the master's generator and detector, RFC 4733 seen */
	bool quiet;                   /* master sends idle, not the pattern */
	struct dsp_dtmf_gen *gen;
	struct dsp_dtmf_det *det;
	char pstn_digits[16];         /* detected on the gateway's TDM tx */
	unsigned npstn;
	unsigned te_pkts;             /* telephone-event packets received */
	int te_event;
	struct dsp_srtp *srtp;        /* the test's side of SDES-SRTP */
	struct dsp_tone *mtone;       /* a tone the master plays (CNG) */
	int ev_tone;
	unsigned srtp_fail;
};

/* mu-law 0x7f (-0) decodes like 0xff (+0) and comes back as 0xff: the
 * patterns avoid it so both laws round-trip every byte */
static uint8_t no_neg_zero(unsigned v)
{
	return (uint8_t)v == 0x7f ? 0x7e : (uint8_t)v;
}

static uint8_t pat_m(unsigned k, uint32_t seq, unsigned j)
{
	return no_neg_zero((seq * 131u + j * 29u + (j * j) % 7u + k * 71u) ^ 0x5a);
}

static uint8_t pat_r(uint32_t n, unsigned j)
{
	return no_neg_zero((n * 197u + j * 53u + (j * j * j) % 11u) ^ 0xa3);
}

static void run_for(struct audio *a, bool (*done)(struct audio *), unsigned ms)
{
	uint64_t end = uv_now(&a->loop) + ms;

	while (!done(a) && uv_now(&a->loop) < end) {
		uv_run(&a->loop, UV_RUN_ONCE);
		uv_update_time(&a->loop);
	}
}

/* the gateway's RTP towards the test */
static void rtp_drain(struct audio *a)
{
	uint8_t buf[1600];

	for (int n = 0; n < 64; n++) {
		struct dsp_rtp_hdr h;
		const uint8_t *p;
		size_t plen;
		ssize_t len = recv(a->fd, buf, sizeof(buf), MSG_DONTWAIT);
		long hit = -1;
		bool idle = true;

		if (len <= 0)
			break;
		if (a->srtp) {
			size_t l = (size_t)len;
			if (dsp_srtp_unprotect_rtp(a->srtp, buf, &l)) {
				a->srtp_fail++;
				continue;
			}
			len = (ssize_t)l;
		}
		if (dsp_rtp_decode(buf, (size_t)len, &h, &p, &plen))
			continue;
		if (h.pt == 101 && plen == 4) {
			a->te_pkts++;
			a->te_event = p[0];
			continue;
		}
		if (h.pt != a->pt || plen != GW_SPAN_BLOCK)
			continue;
		a->rx_pkts++;
		/* which block of the active span's master is it? */
		const struct far *f = &a->far[a->active];
		for (uint32_t k = 0; k < HIST && k <= f->last_mseq && hit < 0; k++) {
			uint32_t s = f->last_mseq - k;
			unsigned j;
			for (j = 0; j < plen && p[j] == pat_m(f->k, s, j); j++)
				;
			if (j == plen)
				hit = (long)s;
		}
		for (size_t j = 0; j < plen; j++)
			idle &= p[j] == 0xd5 || p[j] == 0x55;
		if (hit >= 0) {
			a->rev_run = (a->rev_last >= 0 && hit == a->rev_last + 1)
				     ? a->rev_run + 1 : 1;
			a->rev_last = hit;
			if (a->rev_run > a->rev_best)
				a->rev_best = a->rev_run;
		} else {
			a->rev_run = 0;
			a->rev_last = -1;
			if (!idle)
				a->rev_other++;
		}
	}
}

static void m_tick_h(uint8_t *tx, unsigned nchan, uint32_t seq, void *arg)
{
	struct far *f = arg;
	struct audio *a = f->a;

	/* every B-channel carries the pattern: audio from a wrong timeslot
	 * or span is noticed */
	for (unsigned i = 0; i < nchan && !a->quiet; i++) {
		for (unsigned j = 0; j < GW_SPAN_BLOCK; j++)
			tx[i * GW_SPAN_BLOCK + j] = pat_m(f->k, seq + i * 1000u, j);
	}
	f->last_mseq = seq + a->idx * 1000u;
	if (f->k != a->active)
		goto rtp;
	if (a->idx < nchan && a->mtone && dsp_tone_active(a->mtone)) {
		int16_t pcm[GW_SPAN_BLOCK];
		dsp_tone_process(a->mtone, pcm, GW_SPAN_BLOCK);
		dsp_law_encode(DSP_LAW_ALAW, pcm, tx + a->idx * GW_SPAN_BLOCK,
			       GW_SPAN_BLOCK);
	}
	if (a->idx < nchan && a->gen) {
		int16_t pcm[GW_SPAN_BLOCK];
		memset(pcm, 0, sizeof(pcm));
		if (dsp_dtmf_gen_process(a->gen, pcm, GW_SPAN_BLOCK))
			dsp_law_encode(DSP_LAW_ALAW, pcm, tx + a->idx * GW_SPAN_BLOCK,
				       GW_SPAN_BLOCK);
	}
rtp:
	if (f->k != 0)
		return;
	/* the test's RTP, paced by the first span's clock */
	if (a->send && a->gw_port) {
		uint8_t pay[GW_SPAN_BLOCK], pkt[512];
		struct dsp_rtp_hdr h;
		struct sockaddr_in to = { .sin_family = AF_INET };
		size_t len;

		memset(&h, 0, sizeof(h));
		h.pt = a->pt;
		h.seq = a->rtp_seq++;
		h.ts = a->sent * GW_SPAN_BLOCK;
		h.ssrc = 0x1234abcd;
		h.marker = a->sent == 0;
		for (unsigned j = 0; j < GW_SPAN_BLOCK; j++)
			pay[j] = pat_r(a->sent, j);
		assert_int_equal(dsp_rtp_encode(pkt, sizeof(pkt), &h, pay, sizeof(pay), &len), 0);
		if (a->srtp)
			assert_int_equal(dsp_srtp_protect_rtp(a->srtp, pkt, &len, sizeof(pkt)), 0);
		to.sin_port = htons(a->gw_port);
		to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sendto(a->fd, pkt, len, 0, (struct sockaddr *)&to, sizeof(to));
		a->sent++;
	}
	rtp_drain(a);
}

/* what the gateway sends on the timeslot */
static void m_rx_h(const uint8_t *rx, unsigned nchan, uint32_t seq, void *arg)
{
	struct far *f = arg;
	struct audio *a = f->a;
	const uint8_t *b;
	long hit = -1;

	if (a->idx >= nchan || f->k != a->active)
		return;
	b = rx + a->idx * GW_SPAN_BLOCK;
	if (a->det) {
		int16_t pcm[GW_SPAN_BLOCK];
		struct dsp_dtmf_out out;
		dsp_law_decode(DSP_LAW_ALAW, b, pcm, GW_SPAN_BLOCK);
		dsp_dtmf_det_process(a->det, pcm, GW_SPAN_BLOCK, seq * GW_SPAN_BLOCK, &out);
	}
	for (uint32_t k = 0; k < HIST && k < a->sent && hit < 0; k++) {
		uint32_t n = a->sent - 1 - k;
		unsigned j;
		for (j = 0; j < GW_SPAN_BLOCK && b[j] == pat_r(n, j); j++)
			;
		if (j == GW_SPAN_BLOCK)
			hit = (long)n;
	}
	if (hit >= 0) {
		a->fwd_run = (a->fwd_last >= 0 && hit == a->fwd_last + 1)
			     ? a->fwd_run + 1 : 1;
		a->fwd_last = hit;
		if (a->fwd_run > a->fwd_best)
			a->fwd_best = a->fwd_run;
	} else {
		a->fwd_run = 0;
		a->fwd_last = -1;
	}
}

static void a_ev_h(struct gw_media_chan *c, enum gw_media_ev ev,
		   const struct gw_media_evd *d, void *arg)
{
	struct audio *a = arg;
	(void)c;
	if ((unsigned)ev < N(a->ev))
		a->ev[ev]++;
	if (ev == GW_MEDIA_EV_DIGIT)
		a->ev_digit = d->digit;
	if (ev == GW_MEDIA_EV_FAX_TONE)
		a->ev_tone = d->tone;
}

static bool is_up(struct audio *a)
{
	for (unsigned k = 0; k < a->nspan; k++) {
		if (!gw_tdm_virt_master_sig_up(a->far[k].ms) ||
		    !gw_span_is_up(gw_spans_span(a->spans, k)))
			return false;
	}
	return true;
}

static bool audio_up(struct audio *a)
{
	for (unsigned k = 0; k < a->nspan; k++) {
		if (!gw_tdm_virt_master_audio_up(a->far[k].ms))
			return false;
	}
	return true;
}

static bool both_ways(struct audio *a)
{
	return a->fwd_best >= 25 && a->rev_best >= 25;
}

static bool fwd_ok(struct audio *a)
{
	return a->fwd_best >= 10;
}

static bool rev_ok(struct audio *a)
{
	return a->rev_best >= 10;
}

static bool tone_seen(struct audio *a)
{
	return a->rev_other >= 10;
}

static void reset_counts(struct audio *a)
{
	a->fwd_run = a->fwd_best = a->rev_run = a->rev_best = a->rev_other = 0;
	a->fwd_last = a->rev_last = -1;
}

static char offer_buf[512];
static bool offer_pt;   /* PCMU instead of PCMA */

static const char *offer_to(uint16_t port)
{
	snprintf(offer_buf, sizeof(offer_buf),
		 "v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
		 "t=0 0\r\nm=audio %u RTP/AVP %s\r\n", port,
		 offer_pt ? "0" : "8");
	return offer_buf;
}

static struct gw_media_chan *got;

static bool answered(struct audio *a)
{
	char ans[2048];
	return gw_media_answer(a->m, offer_to(a->fd_port), ans, sizeof(ans), a_ev_h, a,
			       &got) == 0;
}

static void audio_setup_type(struct audio *a, const struct gw_media_cfg *cfg,
			     unsigned nspan, bool t1)
{
	struct gw_conf *conf;
	struct gw_conf_err err;
	struct gw_tdm_virt_master_handlers mh = {
		.tick_h = m_tick_h, .rx_h = m_rx_h,
	};
	struct gw_span_cfg mcfg;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	char text[1024];
	size_t tl = 0;

	memset(a, 0, sizeof(*a));
	a->fwd_last = a->rev_last = -1;
	a->nspan = nspan;
	a->t1 = t1;
	a->pt = t1 ? 0 : 8;
	offer_pt = t1;
	assert_int_equal(uv_loop_init(&a->loop), 0);
	for (unsigned k = 0; k < nspan; k++) {
		struct far *f = &a->far[k];
		f->a = a;
		f->k = k;
		snprintf(f->path, sizeof(f->path), "/tmp/test_media.%d.%u.sock",
			 (int)getpid(), k + 1);
		tl += (size_t)snprintf(text + tl, sizeof(text) - tl,
				       "[span %u]\ntype = %s\nbackend = virtual\n"
				       "socket = %s\nsignalling = none\n", k + 1,
				       t1 ? "t1" : "e1", f->path);
		/* the far end of [span k+1] as configured: a full E1/T1 */
		gw_span_cfg_default(&mcfg, t1 ? GW_SPAN_T1 : GW_SPAN_E1, k + 1);
		assert_int_equal(gw_tdm_virt_master_alloc(&f->ms, &a->loop, &mcfg,
							  &mh, f), 0);
		assert_int_equal(gw_tdm_virt_master_listen(f->ms, f->path), 0);
	}
	assert_int_equal(gw_conf_load_str(&conf, "a.conf", text, &err), 0);
	if (gw_spans_conf(&a->spans, conf, NULL, &err))
		fail_msg("%s", err.msg);
	gw_conf_free(conf);
	assert_int_equal(gw_spans_start(a->spans, &a->loop), 0);
	assert_non_null(gw_spans_span(a->spans, 0));
	assert_int_equal(gw_span_bchan_idx(gw_spans_span(a->spans, 0), TS, &a->idx), 0);
	run_for(a, is_up, 3000);
	assert_true(is_up(a));

	/* the test's RTP endpoint */
	a->fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(a->fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(a->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(a->fd, (struct sockaddr *)&sin, &sl), 0);
	a->fd_port = ntohs(sin.sin_port);

	assert_int_equal(gw_media_alloc(&a->m, cfg, a->spans, &a->loop), 0);
	run_for(a, audio_up, 3000);
	assert_true(audio_up(a));
}

static void audio_setup(struct audio *a, const struct gw_media_cfg *cfg,
			unsigned nspan)
{
	audio_setup_type(a, cfg, nspan, false);
}

static void audio_teardown(struct audio *a)
{
	a->send = false;
	gw_media_free(a->m); /* closes what is left */
	gw_spans_free(a->spans);
	for (unsigned k = 0; k < a->nspan; k++)
		gw_tdm_virt_master_free(a->far[k].ms);
	for (int i = 0; i < 100 && uv_loop_alive(&a->loop); i++)
		uv_run(&a->loop, UV_RUN_NOWAIT);
	assert_int_equal(uv_loop_close(&a->loop), 0);
	dsp_dtmf_gen_free(a->gen);
	dsp_dtmf_det_free(a->det);
	dsp_srtp_free(a->srtp);
	dsp_tone_free(a->mtone);
	close(a->fd);
	for (unsigned k = 0; k < a->nspan; k++)
		unlink(a->far[k].path);
}

static void audio_cfg(struct gw_media_cfg *cfg)
{
	gw_media_cfg_default(cfg);
	cfg->threads = 2;
	cfg->ec = false;
	cfg->faxdet = false;
	cfg->dtmf = GW_MEDIA_DTMF_OFF;
	cfg->media_timeout_ms = 0;
	cfg->port_min = 31200;
	cfg->port_max = 31203; /* two pairs */
}

static void test_audio(void **state)
{
	struct audio a;
	struct gw_media_cfg cfg;
	struct gw_media_chan *c, *c2, *c3;
	struct gw_media_stats st;
	char ans[2048];
	uint64_t t_end;
	(void)state;

	audio_cfg(&cfg);
	audio_setup(&a, &cfg, 1);

	assert_int_equal(gw_media_answer(a.m, offer_to(a.fd_port), ans, sizeof(ans),
					 a_ev_h, &a, &c), 0);
	gw_media_stats(c, &st);
	a.gw_port = st.local_port;
	/* bad joins */
	assert_int_equal(gw_media_join(c, 9, TS), ENOENT);
	assert_int_equal(gw_media_join(c, 1, 16), ENOENT);   /* D-channel */
	assert_int_equal(gw_media_join(c, 1, 0), ENOENT);
	assert_int_equal(gw_media_join(c, 1, TS), 0);
	assert_int_equal(gw_media_join(c, 1, TS), 0);        /* again: no-op */
	assert_int_equal(gw_media_answer(a.m, offer_to(a.fd_port), ans, sizeof(ans),
					 a_ev_h, &a, &c2), 0);
	assert_int_equal(gw_media_join(c2, 1, TS), EBUSY);
	gw_media_close(c2);

	/* both directions, byte for byte */
	a.send = true;
	run_for(&a, both_ways, 5000);
	if (!both_ways(&a))
		fail_msg("fwd %u rev %u consecutive exact blocks", a.fwd_best, a.rev_best);
	print_message("RTP->TDM %u, TDM->RTP %u consecutive exact 20 ms blocks\n",
		      a.fwd_best, a.rev_best);

	/* local ringback replaces the line towards RTP, and goes away */
	gw_media_ringback(c, true);
	reset_counts(&a);
	run_for(&a, tone_seen, 3000);
	assert_true(a.rev_other >= 10);
	gw_media_ringback(c, false);
	reset_counts(&a);
	run_for(&a, rev_ok, 3000);
	assert_true(a.rev_best >= 10);

	/* stats snapshots arrive */
	t_end = uv_now(&a.loop) + 3000;
	do {
		uv_run(&a.loop, UV_RUN_ONCE);
		uv_update_time(&a.loop);
		gw_media_stats(c, &st);
	} while ((st.rtp_rx == 0 || st.rtp_tx == 0) && uv_now(&a.loop) < t_end);
	assert_true(st.rtp_rx > 0 && st.rtp_tx > 0);
	assert_string_equal(st.codec, "PCMA");

	/* close while packets fly; the port comes back once the media thread
	 * has closed the sockets, and binds again */
	a.send = false;
	gw_media_close(c);
	assert_int_equal(gw_media_answer(a.m, offer_to(a.fd_port), ans, sizeof(ans),
					 a_ev_h, &a, &c2), 0);
	got = NULL;
	run_for(&a, answered, 3000);
	c3 = got;
	assert_non_null(c3);
	gw_media_stats(c3, &st);
	assert_int_equal(st.local_port, a.gw_port);
	assert_int_equal(gw_media_join(c3, 1, TS), 0);
	reset_counts(&a);
	a.send = true;
	run_for(&a, fwd_ok, 5000);
	if (!fwd_ok(&a) || !rev_ok(&a))
		fail_msg("after reuse: fwd %u rev %u", a.fwd_best, a.rev_best);
	assert_int_equal(a.ev[GW_MEDIA_EV_ERROR], 0);

	/* a bind failure comes back as an event: someone else holds c2's port */
	{
		int fd2 = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in s2 = { .sin_family = AF_INET };
		gw_media_stats(c2, &st);
		s2.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		s2.sin_port = htons(st.local_port);
		assert_int_equal(bind(fd2, (struct sockaddr *)&s2, sizeof(s2)), 0);
		assert_int_equal(gw_media_join(c2, 1, TS + 1), 0);
		t_end = uv_now(&a.loop) + 3000;
		while (!a.ev[GW_MEDIA_EV_ERROR] && uv_now(&a.loop) < t_end) {
			uv_run(&a.loop, UV_RUN_ONCE);
			uv_update_time(&a.loop);
		}
		assert_int_equal(a.ev[GW_MEDIA_EV_ERROR], 1);
		close(fd2);
	}

	gw_media_close(c2);
	audio_teardown(&a);
}

static void pstn_digit_h(void *arg, char digit, bool start, unsigned duration_ms,
			 int level_dbm0)
{
	struct audio *a = arg;
	(void)duration_ms;
	(void)level_dbm0;
	if (start && a->npstn < sizeof(a->pstn_digits) - 1)
		a->pstn_digits[a->npstn++] = digit;
}

static bool two_pstn_digits(struct audio *a)
{
	return a->npstn >= 2;
}

static bool one_pstn_digit(struct audio *a)
{
	return a->npstn >= 1;
}

static bool sip_digit(struct audio *a)
{
	return a->ev[GW_MEDIA_EV_DIGIT] >= 1 && a->te_pkts >= 3;
}

/* a real control socket client: one command, the reply up to OK/ERR */
static char ctl_out[4096];

static bool ctl_done(struct audio *a)
{
	(void)a;
	return strstr(ctl_out, "OK\n") || strstr(ctl_out, "ERR");
}

static void ctl_query(struct audio *a, int fd)
{
	size_t n = 0;
	uint64_t end = uv_now(&a->loop) + 3000;

	memset(ctl_out, 0, sizeof(ctl_out));
	assert_int_equal(write(fd, "media\n", 6), 6);
	while (!ctl_done(a) && uv_now(&a->loop) < end) {
		ssize_t r;
		uv_run(&a->loop, UV_RUN_NOWAIT);
		r = recv(fd, ctl_out + n, sizeof(ctl_out) - 1 - n, MSG_DONTWAIT);
		if (r > 0)
			n += (size_t)r;
		else
			usleep(1000);
		uv_update_time(&a->loop);
	}
}

static bool fax_seen(struct audio *a)
{
	return a->ev[GW_MEDIA_EV_FAX_TONE] > 0;
}

static unsigned timeouts_before;

static bool timed_out(struct audio *a)
{
	return a->ev[GW_MEDIA_EV_TIMEOUT] > timeouts_before;
}

static void test_dtmf_ctl(void **state)
{
	struct audio a;
	struct gw_media_cfg cfg;
	struct gw_media_chan *c;
	struct gw_media_stats st;
	struct dsp_dtmf_gen_cfg gc;
	struct dsp_dtmf_det_cfg dc;
	struct gw_ctl *ctl;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char ans[2048], off[512], want[128];
	int cfd;
	(void)state;

	audio_cfg(&cfg);
	cfg.dtmf = GW_MEDIA_DTMF_RFC4733;
	cfg.faxdet = true;
	cfg.media_timeout_ms = 500;
	audio_setup(&a, &cfg, 1);
	a.quiet = true;
	dsp_dtmf_gen_cfg_default(&gc);
	dsp_dtmf_det_cfg_default(&dc);
	assert_int_equal(dsp_dtmf_gen_alloc(&a.gen, &gc), 0);
	assert_int_equal(dsp_dtmf_det_alloc(&a.det, &dc, pstn_digit_h, &a), 0);

	/* no telephone-event in the offer: a SIP INFO digit is played by
	 * the gateway's own generator */
	assert_int_equal(gw_media_answer(a.m, offer_to(a.fd_port), ans, sizeof(ans),
					 a_ev_h, &a, &c), 0);
	assert_null(strstr(ans, "telephone-event"));
	assert_int_equal(gw_media_digit(c, '7', 120), EINVAL); /* not joined */
	assert_int_equal(gw_media_join(c, 1, TS), 0);
	gw_media_stats(c, &st);
	a.gw_port = st.local_port;
	assert_int_equal(gw_media_digit(c, 'x', 120), EINVAL);
	assert_int_equal(gw_media_digit(c, '7', 10), EINVAL);
	assert_int_equal(gw_media_digit(c, '7', 120), 0);
	run_for(&a, one_pstn_digit, 3000);
	assert_int_equal(a.npstn, 1);
	assert_int_equal(a.pstn_digits[0], '7');

	/* re-INVITE adding telephone-event: the channel is rebuilt on the
	 * same port with RFC 4733 */
	snprintf(off, sizeof(off),
		 "v=0\r\no=- 7 8 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
		 "t=0 0\r\nm=audio %u RTP/AVP 8 101\r\n" TE, a.fd_port);
	assert_int_equal(gw_media_reoffer(c, off, ans, sizeof(ans)), 0);
	snprintf(want, sizeof(want), "m=audio %u RTP/AVP 8 101\r\n", a.gw_port);
	assert_non_null(strstr(ans, want));
	a.send = true; /* something for the symmetric-RTP latch */
	{
		/* let the rebuilt channel run a little before the digit */
		uint64_t end = uv_now(&a.loop) + 200;
		while (uv_now(&a.loop) < end) {
			uv_run(&a.loop, UV_RUN_ONCE);
			uv_update_time(&a.loop);
		}
	}
	assert_int_equal(gw_media_digit(c, '3', 120), 0);
	run_for(&a, two_pstn_digits, 3000);
	assert_int_equal(a.npstn, 2);
	assert_int_equal(a.pstn_digits[1], '3');

	/* a PSTN digit: event on the control thread, RFC 4733 to the peer */
	assert_int_equal(dsp_dtmf_gen_digit(a.gen, '9', 200, -10), 0);
	run_for(&a, sip_digit, 3000);
	assert_int_equal(a.ev[GW_MEDIA_EV_DIGIT], 1);
	assert_int_equal(a.ev_digit, '9');
	assert_true(a.te_pkts >= 3);
	assert_int_equal(a.te_event, 9);
	assert_int_equal(a.ev[GW_MEDIA_EV_ERROR], 0);
	assert_int_equal(a.ev[GW_MEDIA_EV_FAX_TONE], 0); /* DTMF is not fax */

	/* a calling fax: CNG from the PSTN side is reported */
	{
		struct dsp_tone_def cng;
		struct pl spec = PL("1100:-10:500,3000");
		assert_int_equal(dsp_tone_parse(&spec, &cng), 0);
		assert_int_equal(dsp_tone_alloc(&a.mtone), 0);
		assert_int_equal(dsp_tone_start(a.mtone, &cng), 0);
		run_for(&a, fax_seen, 5000);
		assert_true(a.ev[GW_MEDIA_EV_FAX_TONE] >= 1);
		assert_int_equal(a.ev_tone, DSP_FAXDET_CNG);
		dsp_tone_stop(a.mtone);
	}

	/* RTP stops: media timeout */
	timeouts_before = a.ev[GW_MEDIA_EV_TIMEOUT];
	a.send = false;
	run_for(&a, timed_out, 3000);
	assert_true(timed_out(&a));

	/* the "media" control command */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/test_media_ctl.%d.sock",
		 (int)getpid());
	assert_int_equal(gw_ctl_alloc(&ctl, &a.loop, sun.sun_path), 0);
	assert_int_equal(gw_ctl_register(ctl, "media", "media threads and channels",
					 gw_media_ctl, a.m), 0);
	cfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(cfd >= 0);
	assert_int_equal(connect(cfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ctl_query(&a, cfd);
	if (!strstr(ctl_out, "thread 0 spans=1 channels=1\n") ||
	    !strstr(ctl_out, "thread 1 spans=- channels=0\n") ||
	    !strstr(ctl_out, "ports 31200-31203 in_use=1 free=1 channels=1\n"))
		fail_msg("reply:\n%s", ctl_out);
	snprintf(want, sizeof(want), "port=%u span=1 ts=%u codec=PCMA", a.gw_port, TS);
	if (!strstr(ctl_out, want))
		fail_msg("no '%s' in:\n%s", want, ctl_out);
	gw_media_close(c);
	ctl_query(&a, cfd);
	if (!strstr(ctl_out, "channels=0\n") || strstr(ctl_out, "chan "))
		fail_msg("after close:\n%s", ctl_out);
	close(cfd);
	gw_ctl_free(ctl);
	audio_teardown(&a);
}

static bool ok10(struct audio *a)
{
	return a->fwd_best >= 10 && a->rev_best >= 10;
}

/* point the checks at span k+1, timeslot ts */
static void watch(struct audio *a, unsigned k, unsigned ts)
{
	a->active = k;
	assert_int_equal(gw_span_bchan_idx(gw_spans_span(a->spans, k), ts, &a->idx), 0);
	reset_counts(a);
}

static void expect_flow(struct audio *a, const char *what)
{
	run_for(a, ok10, 5000);
	if (!ok10(a))
		fail_msg("%s: fwd %u rev %u", what, a->fwd_best, a->rev_best);
}

/* run the loop for ms */
static void settle(struct audio *a, unsigned ms)
{
	uint64_t end = uv_now(&a->loop) + ms;

	while (uv_now(&a->loop) < end) {
		uv_run(&a->loop, UV_RUN_ONCE);
		uv_update_time(&a->loop);
	}
}

static void test_move(void **state)
{
	struct audio a;
	struct gw_media_cfg cfg;
	struct gw_media_chan *c, *c2;
	struct gw_media_stats st;
	char ans[2048];
	(void)state;

	audio_cfg(&cfg);
	cfg.port_min = 31300;
	cfg.port_max = 31301; /* one pair: reuse is visible */
	audio_setup(&a, &cfg, 2);

	assert_int_equal(gw_media_answer(a.m, offer_to(a.fd_port), ans, sizeof(ans),
					 a_ev_h, &a, &c), 0);
	gw_media_stats(c, &st);
	a.gw_port = st.local_port;
	a.send = true;
	assert_int_equal(gw_media_join(c, 1, TS), 0);
	watch(&a, 0, TS);
	expect_flow(&a, "span 1");

	/* failover to a span on the other media thread, same port */
	assert_int_equal(gw_media_join(c, 2, TS + 2), 0);
	watch(&a, 1, TS + 2);
	expect_flow(&a, "moved to span 2");

	/* and back, twice in a row without waiting: the second move starts
	 * while the first successor still waits for the port */
	assert_int_equal(gw_media_join(c, 1, TS), 0);
	assert_int_equal(gw_media_join(c, 2, TS), 0);
	assert_int_equal(gw_media_join(c, 1, TS + 3), 0);
	watch(&a, 0, TS + 3);
	expect_flow(&a, "moved twice");
	/* the one port pair is still this channel's */
	c2 = NULL;
	assert_int_equal(gw_media_offer(a.m, ans, sizeof(ans), NULL, NULL, &c2), 503);
	assert_int_equal(a.ev[GW_MEDIA_EV_ERROR], 0);
	gw_media_stats(c, &st);
	assert_int_equal(st.local_port, a.gw_port);

	/* a re-INVITE changing the codec rebuilds the channel in place */
	{
		char off[512];
		snprintf(off, sizeof(off),
			 "v=0\r\no=- 7 9 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
			 "t=0 0\r\nm=audio %u RTP/AVP 0\r\n", a.fd_port);
		assert_int_equal(gw_media_reoffer(c, off, ans, sizeof(ans)), 0);
		assert_non_null(strstr(ans, "RTP/AVP 0\r\n"));
		/* back to PCMA: the test speaks PCMA only */
		snprintf(off, sizeof(off),
			 "v=0\r\no=- 7 10 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
			 "t=0 0\r\nm=audio %u RTP/AVP 8\r\n", a.fd_port);
		assert_int_equal(gw_media_reoffer(c, off, ans, sizeof(ans)), 0);
		reset_counts(&a);
		expect_flow(&a, "after re-INVITEs");

		/* the peer holds us (sendonly): we answer recvonly and stop
		 * sending, but still play what comes */
		snprintf(off, sizeof(off),
			 "v=0\r\no=- 7 11 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
			 "t=0 0\r\nm=audio %u RTP/AVP 8\r\na=sendonly\r\n", a.fd_port);
		assert_int_equal(gw_media_reoffer(c, off, ans, sizeof(ans)), 0);
		assert_non_null(strstr(ans, "a=recvonly\r\n"));
		settle(&a, 200);
		reset_counts(&a);
		a.rx_pkts = 0;
		settle(&a, 400);
		assert_int_equal(a.rx_pkts, 0);
		assert_true(a.fwd_best >= 10);
		/* and takes us off hold */
		snprintf(off, sizeof(off),
			 "v=0\r\no=- 7 12 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
			 "t=0 0\r\nm=audio %u RTP/AVP 8\r\n", a.fd_port);
		assert_int_equal(gw_media_reoffer(c, off, ans, sizeof(ans)), 0);
		reset_counts(&a);
		expect_flow(&a, "off hold");
	}

	/* close in the middle of a move: the port still comes back */
	assert_int_equal(gw_media_join(c, 2, TS), 0);
	gw_media_close(c);
	got = NULL;
	run_for(&a, answered, 3000);
	assert_non_null(got);
	gw_media_stats(got, &st);
	assert_int_equal(st.local_port, a.gw_port);
	assert_int_equal(gw_media_join(got, 2, TS), 0);
	watch(&a, 1, TS);
	expect_flow(&a, "new channel on the old port");
	assert_int_equal(a.ev[GW_MEDIA_EV_ERROR], 0);
	audio_teardown(&a);
}

/* SDES-SRTP end to end: the keys of the offer and of our answer protect
 * the two directions (RFC 4568 §6.1). */
static void test_srtp_audio(void **state)
{
	static const struct {
		const char *suite;
		const char *key;        /* base64 of bytes 0, 1, 2, ... */
		size_t key_len;
		enum dsp_srtp_suite dsuite;
	} testv[] = {
		{ "AES_CM_128_HMAC_SHA1_80", KEY30, 30, DSP_SRTP_AES_CM_128_HMAC_SHA1_80 },
		{ "AES_CM_128_HMAC_SHA1_32", KEY30, 30, DSP_SRTP_AES_CM_128_HMAC_SHA1_32 },
		{ "AEAD_AES_128_GCM", KEY28, 28, DSP_SRTP_AEAD_AES_128_GCM },
	};
	struct audio a;
	struct gw_media_cfg cfg;
	(void)state;

	audio_cfg(&cfg);
	cfg.srtp = GW_MEDIA_SRTP_MANDATORY;
	cfg.port_min = 31400;
	cfg.port_max = 31401;
	audio_setup(&a, &cfg, 1);
	for (size_t i = 0; i < N(testv); i++) {
		struct gw_media_chan *c;
		struct gw_media_stats st;
		struct sdp_session *ans = malloc(sizeof(*ans));
		char off[512], text[2048];
		uint8_t key[30];
		struct pl pl;

		assert_non_null(ans);
		for (size_t k = 0; k < sizeof(key); k++)
			key[k] = (uint8_t)k;
		snprintf(off, sizeof(off),
			 "v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
			 "t=0 0\r\nm=audio %u RTP/SAVP 8\r\na=crypto:3 %s inline:%s\r\n",
			 a.fd_port, testv[i].suite, testv[i].key);
		got = NULL;
		/* the previous channel's port comes back first */
		for (int n = 0; n < 300 && gw_media_answer(a.m, off, text, sizeof(text),
							    a_ev_h, &a, &c); n++) {
			uv_run(&a.loop, UV_RUN_NOWAIT);
			usleep(10000);
		}
		assert_non_null(c);
		pl = pl_from_str(text);
		assert_int_equal(sdp_decode(ans, &pl), 0);
		assert_int_equal(ans->mediav[0].ncrypto, 1);
		assert_int_equal(ans->mediav[0].cryptov[0].tag, 3);
		assert_int_equal(ans->mediav[0].cryptov[0].key_len, testv[i].key_len);
		/* a fresh key of ours, not an echo of the offer's */
		assert_memory_not_equal(ans->mediav[0].cryptov[0].key, key, testv[i].key_len);
		assert_int_equal(dsp_srtp_alloc(&a.srtp, testv[i].dsuite, key,
						testv[i].key_len,
						ans->mediav[0].cryptov[0].key,
						testv[i].key_len), 0);
		free(ans);
		gw_media_stats(c, &st);
		a.gw_port = st.local_port;
		a.rtp_seq = 0;
		a.sent = 0;
		a.send = true;
		assert_int_equal(gw_media_join(c, 1, TS), 0);
		watch(&a, 0, TS);
		expect_flow(&a, testv[i].suite);
		a.send = false;
		gw_media_close(c);
		dsp_srtp_free(a.srtp);
		a.srtp = NULL;
	}
	assert_int_equal(a.ev[GW_MEDIA_EV_ERROR], 0);
	audio_teardown(&a);
}

/* A T1 span is mu-law: PCMU goes through sample exact as well. */
static void test_t1_pcmu(void **state)
{
	struct audio a;
	struct gw_media_cfg cfg;
	struct gw_media_chan *c;
	struct gw_media_stats st;
	char ans[2048];
	(void)state;

	audio_cfg(&cfg);
	cfg.codecs[0] = DSP_CODEC_PCMU;
	cfg.codecs[1] = DSP_CODEC_PCMA;
	cfg.port_min = 31500;
	cfg.port_max = 31501;
	audio_setup_type(&a, &cfg, 1, true);
	/* PSTN -> SIP: we offer, the B-channel is joined before the answer
	 * comes; the channel starts with it */
	assert_int_equal(gw_media_offer(a.m, ans, sizeof(ans), a_ev_h, &a, &c), 0);
	assert_non_null(strstr(ans, "RTP/AVP 0 8\r\n"));
	assert_int_equal(gw_media_join(c, 1, 23), 0);
	assert_int_equal(gw_media_join(c, 1, 24), ENOENT); /* T1 D-channel */
	gw_media_stats(c, &st);
	a.gw_port = st.local_port;
	a.send = true;
	watch(&a, 0, 23);
	settle(&a, 200);
	assert_int_equal(a.rx_pkts, 0); /* nothing before the answer */
	assert_int_equal(gw_media_set_answer(c, offer_to(a.fd_port)), 0);
	gw_media_stats(c, &st);
	assert_string_equal(st.codec, "PCMU");
	expect_flow(&a, "T1 PCMU");
	audio_teardown(&a);
	offer_pt = false;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_good),
		cmocka_unit_test(test_conf_bad),
		cmocka_unit_test(test_answer_vectors),
		cmocka_unit_test(test_reoffer),
		cmocka_unit_test(test_srtp_refresh),
		cmocka_unit_test(test_offer),
		cmocka_unit_test(test_port_pool),
		cmocka_unit_test(test_audio),
		cmocka_unit_test(test_dtmf_ctl),
		cmocka_unit_test(test_move),
		cmocka_unit_test(test_srtp_audio),
		cmocka_unit_test(test_t1_pcmu),
	};
	log_set_level(LOGL_WARN);
	/* once per process, as the daemon's main() does (dsp/srtp.h) */
	if (dsp_srtp_global_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
