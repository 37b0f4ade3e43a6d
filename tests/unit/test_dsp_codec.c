/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for dsp/codec: G.711 against a reference written from the
 * G.711 segment tables, A<->mu conversion, FIR resampler images/aliases,
 * G.722 round trip, packetisation sizes; G.729: payload sizes, malformed
 * lengths, tone and speech-like round trips (level and SNR), frame erasure
 * concealment (alone and through dsp/jitter), Annex B SID frames from a
 * VAD-enabled bcg729 encoder, arbitrary bits. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <spandsp.h>
#include <bcg729/encoder.h>

#include "dsp/codec.h"
#include "dsp/jitter.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* G.711 Table 1a/2a reconstruction values, computed from the segment
 * structure: A-law segment s >= 1 spans 2^(s+4)..2^(s+5) in 13-bit units
 * with 16 steps; segment 0 is linear with step 2. Returned on the 16-bit
 * scale (x8). Even bits are inverted on the line (0x55). */
static int ref_alaw_decode(uint8_t c)
{
	int v = c ^ 0x55, seg = (v >> 4) & 7, mant = v & 15, mag;
	if (seg == 0)
		mag = 2 * mant + 1;
	else
		mag = (2 * mant + 33) << (seg - 1);
	mag *= 8;
	return (v & 0x80) ? mag : -mag;
}

/* mu-law: value = (2*mant + 33) * 2^seg - 33 on the 14-bit scale, x4;
 * all bits inverted on the line. */
static int ref_ulaw_decode(uint8_t c)
{
	int v = ~c & 0xff, seg = (v >> 4) & 7, mant = v & 15;
	int mag = (((2 * mant + 33) << seg) - 33) * 4;
	return (v & 0x80) ? -mag : mag;
}

static void test_g711_decode_tables(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		assert_int_equal(dsp_law_decode1(DSP_LAW_ALAW, (uint8_t)c),
				 ref_alaw_decode((uint8_t)c));
		assert_int_equal(dsp_law_decode1(DSP_LAW_ULAW, (uint8_t)c),
				 ref_ulaw_decode((uint8_t)c));
	}
	/* spot values from G.711 (idle codes and extremes) */
	static const struct {
		enum dsp_law law;
		uint8_t code;
		int lin;
	} testv[] = {
		{ DSP_LAW_ALAW, 0xd5, 8 },      { DSP_LAW_ALAW, 0x55, -8 },
		{ DSP_LAW_ALAW, 0xaa, 32256 },  { DSP_LAW_ALAW, 0x2a, -32256 },
		{ DSP_LAW_ULAW, 0xff, 0 },      { DSP_LAW_ULAW, 0x7f, 0 },
		{ DSP_LAW_ULAW, 0x80, 32124 },  { DSP_LAW_ULAW, 0x00, -32124 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(testv); i++)
		assert_int_equal(dsp_law_decode1(testv[i].law, testv[i].code),
				 testv[i].lin);
}

static void test_g711_encode(void **state)
{
	static const enum dsp_law laws[] = { DSP_LAW_ALAW, DSP_LAW_ULAW };
	(void)state;
	for (size_t l = 0; l < ARRAY_SIZE(laws); l++) {
		int16_t lin[256];
		uint8_t codes[256], back[256];
		for (unsigned c = 0; c < 256; c++)
			codes[c] = (uint8_t)c;
		dsp_law_decode(laws[l], codes, lin, 256);
		dsp_law_encode(laws[l], lin, back, 256);
		/* every reconstruction value encodes to its own code (mu-law
		 * has two zeros: 0x7f, 0xff) */
		for (unsigned c = 0; c < 256; c++) {
			if (laws[l] == DSP_LAW_ULAW && c == 0x7f)
				continue;
			assert_int_equal(back[c], c);
		}
		/* every input lands in the quantisation interval: the error is
		 * at most half the local step (plus the clip region) */
		for (int x = -32768; x <= 32767; x++) {
			uint8_t c = dsp_law_encode1(laws[l], (int16_t)x);
			int y = dsp_law_decode1(laws[l], c);
			int err = abs(y - x);
			int ax = abs(x);
			int step;
			if (laws[l] == DSP_LAW_ALAW)
				step = ax < 512 ? 16 : 16 << (31 - __builtin_clz(ax) - 8);
			else
				step = ax < 120 ? 8 : 8 << (31 - __builtin_clz(ax + 132) - 7);
			if (ax > 32000)
				step = 2048;
			if (err > step / 2 + 1)
				fail_msg("law %zu x %d code %02x y %d err %d", l, x, c, y,
					 err);
		}
	}
}

/* The table-driven G.711 is bit-exact with spandsp's routines for every
 * code word and every 16-bit linear value, in the per-sample and block
 * functions and in the A <-> mu conversions. */
static void test_g711_exhaustive_vs_spandsp(void **state)
{
	static int16_t lin[65536];
	static uint8_t a[65536], u[65536];
	uint8_t codes[256], conv[256];
	int16_t dec[256];
	(void)state;

	for (unsigned i = 0; i < 65536; i++)
		lin[i] = (int16_t)(uint16_t)i;
	dsp_law_encode(DSP_LAW_ALAW, lin, a, 65536);
	dsp_law_encode(DSP_LAW_ULAW, lin, u, 65536);
	for (unsigned i = 0; i < 65536; i++) {
		if (a[i] != linear_to_alaw(lin[i]) ||
		    dsp_law_encode1(DSP_LAW_ALAW, lin[i]) != a[i])
			fail_msg("A-law encode of %d: %02x want %02x", lin[i],
				 a[i], linear_to_alaw(lin[i]));
		if (u[i] != linear_to_ulaw(lin[i]) ||
		    dsp_law_encode1(DSP_LAW_ULAW, lin[i]) != u[i])
			fail_msg("mu-law encode of %d: %02x want %02x", lin[i],
				 u[i], linear_to_ulaw(lin[i]));
	}
	for (unsigned c = 0; c < 256; c++)
		codes[c] = (uint8_t)c;
	dsp_law_decode(DSP_LAW_ALAW, codes, dec, 256);
	for (unsigned c = 0; c < 256; c++) {
		assert_int_equal(dec[c], alaw_to_linear((uint8_t)c));
		assert_int_equal(dsp_law_decode1(DSP_LAW_ALAW, (uint8_t)c), dec[c]);
	}
	dsp_law_decode(DSP_LAW_ULAW, codes, dec, 256);
	for (unsigned c = 0; c < 256; c++) {
		assert_int_equal(dec[c], ulaw_to_linear((uint8_t)c));
		assert_int_equal(dsp_law_decode1(DSP_LAW_ULAW, (uint8_t)c), dec[c]);
	}
	dsp_law_convert(DSP_LAW_ALAW, DSP_LAW_ULAW, codes, conv, 256);
	for (unsigned c = 0; c < 256; c++)
		assert_int_equal(conv[c], alaw_to_ulaw((uint8_t)c));
	dsp_law_convert(DSP_LAW_ULAW, DSP_LAW_ALAW, codes, conv, 256);
	for (unsigned c = 0; c < 256; c++)
		assert_int_equal(conv[c], ulaw_to_alaw((uint8_t)c));
	/* in place */
	memcpy(conv, codes, sizeof(conv));
	dsp_law_convert(DSP_LAW_ULAW, DSP_LAW_ALAW, conv, conv, 256);
	for (unsigned c = 0; c < 256; c++)
		assert_int_equal(conv[c], ulaw_to_alaw((uint8_t)c));
}

static void test_law_convert(void **state)
{
	int transparent_a = 0, transparent_u = 0;
	uint8_t codes[256], u[256], a[256];
	(void)state;
	for (unsigned c = 0; c < 256; c++)
		codes[c] = (uint8_t)c;
	dsp_law_convert(DSP_LAW_ALAW, DSP_LAW_ULAW, codes, u, 256);
	dsp_law_convert(DSP_LAW_ULAW, DSP_LAW_ALAW, u, a, 256);
	for (unsigned c = 0; c < 256; c++) {
		int la = dsp_law_decode1(DSP_LAW_ALAW, (uint8_t)c);
		int lu = dsp_law_decode1(DSP_LAW_ULAW, u[c]);
		/* sign kept, value within one mu-law step */
		assert_true((la > 0) == (lu > 0) || lu == 0);
		assert_true(abs(la - lu) <= 1024);
		if (a[c] == c)
			transparent_a++;
	}
	dsp_law_convert(DSP_LAW_ULAW, DSP_LAW_ALAW, codes, a, 256);
	dsp_law_convert(DSP_LAW_ALAW, DSP_LAW_ULAW, a, u, 256);
	for (unsigned c = 0; c < 256; c++)
		if (u[c] == c)
			transparent_u++;
	/* G.711 Tables 3/4: A->mu->A is transparent except 16 codes, and
	 * mu->A->mu except 16 codes (where A-law is coarser) */
	assert_int_equal(transparent_a, 240);
	assert_int_equal(transparent_u, 240);
	/* in place and same-law copy */
	memcpy(a, codes, 256);
	dsp_law_convert(DSP_LAW_ALAW, DSP_LAW_ALAW, a, a, 256);
	assert_memory_equal(a, codes, 256);

	/* pass-through helpers */
	struct dsp_codec *pcmu, *g722;
	assert_int_equal(dsp_codec_alloc(&pcmu, DSP_CODEC_PCMU, 20), 0);
	assert_int_equal(dsp_codec_alloc(&g722, DSP_CODEC_G722, 20), 0);
	assert_int_equal(dsp_codec_tdm_to_rtp(pcmu, DSP_LAW_ALAW, codes, 256, u), 0);
	dsp_law_convert(DSP_LAW_ALAW, DSP_LAW_ULAW, codes, a, 256);
	assert_memory_equal(u, a, 256);
	assert_int_equal(dsp_codec_rtp_to_tdm(pcmu, DSP_LAW_ULAW, codes, 256, u), 0);
	assert_memory_equal(u, codes, 256);
	assert_int_equal(dsp_codec_tdm_to_rtp(g722, DSP_LAW_ALAW, codes, 256, u), EINVAL);
	dsp_codec_free(pcmu);
	dsp_codec_free(g722);
}

/* Power of frequency f in x (rate fs), Goertzel, normalised. */
static double tone_power(const int16_t *x, size_t n, double f, double fs)
{
	double w = 2 * M_PI * f / fs, c = 2 * cos(w), s1 = 0, s2 = 0;
	for (size_t i = 0; i < n; i++) {
		double s = x[i] + c * s1 - s2;
		s2 = s1;
		s1 = s;
	}
	return (s1 * s1 + s2 * s2 - c * s1 * s2) / ((double)n * n);
}

static void sine(int16_t *x, size_t n, double f, double fs, double amp)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (int16_t)lrint(amp * sin(2 * M_PI * f * i / fs));
}

static void test_resampler(void **state)
{
	static const struct {
		double f;	/* input tone, Hz */
		double fs_in;	/* 8000: up, 16000: down */
		double f_out;	/* where the wanted tone lands */
		double f_bad;	/* image (up) or alias (down) */
		double min_db;	/* wanted - unwanted, dB */
		double gain_db; /* |gain| of wanted must be within this */
	} testv[] = {
		{ 1000, 8000, 1000, 7000, 60, 0.5 },
		{ 3000, 8000, 3000, 5000, 35, 1.0 },
		{ 300, 8000, 300, 7700, 60, 0.5 },
		{ 1000, 16000, 1000, 0, 0, 0.5 },
		{ 6000, 16000, 0, 2000, 60, 0 },  /* must vanish */
		{ 5000, 16000, 0, 3000, 50, 0 },
	};
	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(testv); t++) {
		struct dsp_resample r;
		int16_t in[4000], out[8000];
		size_t nout;
		double fs_out;
		dsp_resample_init(&r);
		sine(in, 4000, testv[t].f, testv[t].fs_in, 10000);
		if (testv[t].fs_in == 8000) {
			dsp_resample_up(&r, in, 4000, out);
			nout = 8000;
			fs_out = 16000;
		} else {
			nout = dsp_resample_down(&r, in, 4000, out);
			assert_int_equal(nout, 2000);
			fs_out = 8000;
		}
		/* skip the filter's start-up */
		const int16_t *o = out + 200;
		size_t n = nout - 200;
		double ref = 10000.0 * 10000.0 / 4;
		if (testv[t].f_out > 0) {
			double p = tone_power(o, n, testv[t].f_out, fs_out);
			double g = 10 * log10(p / ref);
			if (fabs(g) > testv[t].gain_db)
				fail_msg("case %zu: gain %.2f dB", t, g);
		}
		if (testv[t].f_bad > 0) {
			double pb = tone_power(o, n, testv[t].f_bad, fs_out);
			double db = 10 * log10(ref / (pb + 1e-9));
			if (db < testv[t].min_db)
				fail_msg("case %zu: unwanted only %.1f dB down", t, db);
		}
	}
}

static void test_g722_roundtrip(void **state)
{
	static const struct {
		unsigned ptime;
		double f;
		double min_snr_db;
	} testv[] = {
		{ 20, 1000, 25 }, { 10, 440, 25 }, { 30, 2500, 20 },
	};
	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(testv); t++) {
		struct dsp_codec *enc, *dec;
		enum { TOTAL = 8000 };
		int16_t in[TOTAL], out[TOTAL];
		size_t fs, pos = 0;
		assert_int_equal(dsp_codec_alloc(&enc, DSP_CODEC_G722, testv[t].ptime), 0);
		assert_int_equal(dsp_codec_alloc(&dec, DSP_CODEC_G722, testv[t].ptime), 0);
		fs = dsp_codec_frame_samples(enc);
		assert_int_equal(fs, testv[t].ptime * 8);
		sine(in, TOTAL, testv[t].f, 8000, 8000);
		while (pos + fs <= TOTAL) {
			uint8_t pl[DSP_CODEC_MAX_PAYLOAD];
			size_t len, n;
			assert_int_equal(dsp_codec_encode(enc, in + pos, fs, pl,
							  sizeof(pl), &len), 0);
			assert_int_equal(len, dsp_codec_payload_size(DSP_CODEC_G722,
								      testv[t].ptime));
			assert_int_equal(dsp_codec_decode(dec, pl, len, out + pos, fs, &n), 0);
			assert_int_equal(n, fs);
			pos += fs;
		}
		/* find the codec + filter delay, then the SNR */
		double best = -1e9;
		for (unsigned d = 0; d < 120; d++) {
			double sig = 0, noise = 0;
			for (size_t i = 2000; i < pos; i++) {
				double e = out[i] - in[i - d];
				sig += (double)in[i - d] * in[i - d];
				noise += e * e;
			}
			double snr = 10 * log10(sig / (noise + 1));
			if (snr > best)
				best = snr;
		}
		if (best < testv[t].min_snr_db)
			fail_msg("case %zu: SNR %.1f dB", t, best);
		dsp_codec_free(enc);
		dsp_codec_free(dec);
	}
}

static void test_g711_frames(void **state)
{
	static const struct {
		enum dsp_codec_id id;
		unsigned ptime;
		int err;
		size_t bytes;
	} testv[] = {
		{ DSP_CODEC_PCMA, 10, 0, 80 },  { DSP_CODEC_PCMA, 20, 0, 160 },
		{ DSP_CODEC_PCMU, 30, 0, 240 }, { DSP_CODEC_G722, 20, 0, 160 },
		{ DSP_CODEC_PCMA, 25, EINVAL, 0 }, { DSP_CODEC_PCMU, 0, EINVAL, 0 },
		{ (enum dsp_codec_id)3, 20, EINVAL, 0 },
	};
	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(testv); t++) {
		struct dsp_codec *c = NULL;
		assert_int_equal(dsp_codec_alloc(&c, testv[t].id, testv[t].ptime),
				 testv[t].err);
		assert_int_equal(dsp_codec_payload_size(testv[t].id, testv[t].ptime),
				 testv[t].bytes);
		assert_int_equal(dsp_codec_ts_units(testv[t].id, testv[t].ptime),
				 testv[t].bytes);
		if (testv[t].err) {
			assert_null(c);
			continue;
		}
		int16_t pcm[DSP_CODEC_MAX_SAMPLES], back[DSP_CODEC_MAX_SAMPLES];
		uint8_t pl[DSP_CODEC_MAX_PAYLOAD];
		size_t len, n, fs = dsp_codec_frame_samples(c);
		sine(pcm, fs, 1000, 8000, 5000);
		assert_int_equal(dsp_codec_encode(c, pcm, fs - 1, pl, sizeof(pl), &len), EINVAL);
		assert_int_equal(dsp_codec_encode(c, pcm, fs, pl, fs - 1, &len), ENOSPC);
		assert_int_equal(dsp_codec_encode(c, pcm, fs, pl, sizeof(pl), &len), 0);
		assert_int_equal(len, testv[t].bytes);
		assert_int_equal(dsp_codec_decode(c, pl, len, back, len - 1, &n), ENOSPC);
		assert_int_equal(dsp_codec_decode(c, pl, 0, back, len, &n), EINVAL);
		assert_int_equal(dsp_codec_decode(c, pl, len, back, len, &n), 0);
		assert_int_equal(n, fs);
		if (testv[t].id != DSP_CODEC_G722) {
			enum dsp_law law = testv[t].id == DSP_CODEC_PCMA ? DSP_LAW_ALAW
									 : DSP_LAW_ULAW;
			for (size_t i = 0; i < fs; i++) {
				assert_int_equal(pl[i], dsp_law_encode1(law, pcm[i]));
				assert_int_equal(back[i], dsp_law_decode1(law, pl[i]));
			}
		}
		assert_string_equal(dsp_codec_name(testv[t].id),
				    testv[t].id == DSP_CODEC_PCMA ? "PCMA" :
				    testv[t].id == DSP_CODEC_PCMU ? "PCMU" : "G722");
		dsp_codec_free(c);
	}
}

static void test_packetize(void **state)
{
	/* 20 ms ticks in, ptime frames out: count and content */
	static const struct {
		enum dsp_codec_id id;
		unsigned ptime;
		unsigned ticks;
		unsigned frames;	/* expected after `ticks` */
		size_t pending;
	} testv[] = {
		{ DSP_CODEC_PCMA, 10, 5, 10, 0 },  { DSP_CODEC_PCMU, 20, 5, 5, 0 },
		{ DSP_CODEC_PCMA, 30, 5, 3, 80 },  { DSP_CODEC_PCMA, 30, 6, 4, 0 },
		{ DSP_CODEC_G722, 30, 3, 2, 0 },
	};
	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(testv); t++) {
		struct dsp_codec *c;
		int16_t src[8 * 200];
		uint8_t all[8 * 200];
		size_t got = 0;
		unsigned frames = 0;
		assert_int_equal(dsp_codec_alloc(&c, testv[t].id, testv[t].ptime), 0);
		sine(src, ARRAY_SIZE(src), 700, 8000, 4000);
		for (unsigned k = 0; k < testv[t].ticks; k++) {
			uint8_t pl[DSP_CODEC_MAX_PAYLOAD];
			size_t len;
			int err;
			assert_int_equal(dsp_codec_push(c, src + 160 * k, 160), 0);
			/* bounded: at most two frames per 20 ms tick */
			for (int i = 0; i < 3; i++) {
				err = dsp_codec_pull(c, pl, sizeof(pl), &len);
				if (err == EAGAIN)
					break;
				assert_int_equal(err, 0);
				assert_int_equal(len, testv[t].ptime * 8);
				memcpy(all + got, pl, len);
				got += len;
				frames++;
			}
			assert_int_equal(err, EAGAIN);
		}
		assert_int_equal(frames, testv[t].frames);
		assert_int_equal(dsp_codec_pending(c), testv[t].pending);
		/* G.711: frames are the samples, in order, nothing lost */
		if (testv[t].id != DSP_CODEC_G722) {
			enum dsp_law law = testv[t].id == DSP_CODEC_PCMA ? DSP_LAW_ALAW
									 : DSP_LAW_ULAW;
			for (size_t i = 0; i < got; i++)
				assert_int_equal(all[i], dsp_law_encode1(law, src[i]));
		}
		dsp_codec_flush(c);
		assert_int_equal(dsp_codec_pending(c), 0);
		/* the fifo bound */
		int16_t big[DSP_CODEC_FIFO + 1] = { 0 };
		assert_int_equal(dsp_codec_push(c, big, DSP_CODEC_FIFO + 1), ENOSPC);
		assert_int_equal(dsp_codec_push(c, big, DSP_CODEC_FIFO), 0);
		dsp_codec_free(c);
	}
}

/* ---- G.729 ---- */

static void test_g729_frames(void **state)
{
	static const struct {
		unsigned ptime;
		size_t bytes;
		uint32_t ts;
	} sizev[] = {
		{ 10, 10, 80 }, { 20, 20, 160 }, { 30, 30, 240 }, { 25, 0, 0 },
		{ 40, 0, 0 },
	};
	/* payload lengths a peer may send (RFC 3551 §4.5.6: 10-octet frames,
	 * then at most one 2-octet SID) and what they decode to */
	static const struct {
		size_t plen;
		int err;
		size_t samples;
	} lenv[] = {
		{ 10, 0, 80 },       { 20, 0, 160 },     { 30, 0, 240 },
		{ 60, 0, 480 },      { 2, 0, 80 },       { 12, 0, 160 },
		{ 22, 0, 240 },      { 0, EINVAL, 0 },   { 1, EINVAL, 0 },
		{ 3, EINVAL, 0 },    { 4, EINVAL, 0 },   { 5, EINVAL, 0 },
		{ 9, EINVAL, 0 },    { 11, EINVAL, 0 },  { 13, EINVAL, 0 },
		{ 15, EINVAL, 0 },   { 19, EINVAL, 0 },  { 21, EINVAL, 0 },
		{ 24, EINVAL, 0 },   { 160, 0, 1280 },
	};
	uint8_t pl[DSP_CODEC_MAX_PAYLOAD] = { 0 };
	int16_t pcm[DSP_CODEC_MAX_SAMPLES], big[2000];
	(void)state;

	assert_string_equal(dsp_codec_name(DSP_CODEC_G729), "G729");
	for (size_t t = 0; t < ARRAY_SIZE(sizev); t++) {
		struct dsp_codec *c = NULL;
		size_t len, fs;
		assert_int_equal(dsp_codec_payload_size(DSP_CODEC_G729, sizev[t].ptime),
				 sizev[t].bytes);
		assert_int_equal(dsp_codec_ts_units(DSP_CODEC_G729, sizev[t].ptime),
				 sizev[t].ts);
		assert_int_equal(dsp_codec_alloc(&c, DSP_CODEC_G729, sizev[t].ptime),
				 sizev[t].bytes ? 0 : EINVAL);
		if (!c)
			continue;
		fs = dsp_codec_frame_samples(c);
		assert_int_equal(fs, sizev[t].ts);
		sine(pcm, fs, 1000, 8000, 5000);
		assert_int_equal(dsp_codec_encode(c, pcm, fs - 80, pl, sizeof(pl), &len),
				 EINVAL);
		assert_int_equal(dsp_codec_encode(c, pcm, fs, pl, sizev[t].bytes - 1, &len),
				 ENOSPC);
		assert_int_equal(dsp_codec_encode(c, pcm, fs, pl, sizev[t].bytes, &len), 0);
		assert_int_equal(len, sizev[t].bytes);
		/* not a G.711 payload */
		assert_int_equal(dsp_codec_tdm_to_rtp(c, DSP_LAW_ALAW, pl, len, pl), EINVAL);
		assert_int_equal(dsp_codec_rtp_to_tdm(c, DSP_LAW_ALAW, pl, len, pl), EINVAL);
		dsp_codec_free(c);
	}

	struct dsp_codec *d;
	assert_int_equal(dsp_codec_alloc(&d, DSP_CODEC_G729, 20), 0);
	for (size_t t = 0; t < ARRAY_SIZE(lenv); t++) {
		size_t n = 12345;
		int err = dsp_codec_decode(d, pl, lenv[t].plen, big, ARRAY_SIZE(big), &n);
		if (err != lenv[t].err)
			fail_msg("length %zu: %d want %d", lenv[t].plen, err, lenv[t].err);
		assert_int_equal(n, err ? 12345 : lenv[t].samples);
		if (!err) {
			/* one sample short of room */
			assert_int_equal(dsp_codec_decode(d, pl, lenv[t].plen, big,
							  lenv[t].samples - 1, &n),
					 ENOSPC);
		}
	}
	dsp_codec_free(d);
}

/* Speech-like test signal: a pitch pulse train (gliding 110..190 Hz)
 * through three formant resonators, with syllable-rate loudness and a
 * little breath noise; scaled to an RMS of 2500 (about -19 dBm0). */
static void speechlike(int16_t *x, size_t n, uint32_t seed)
{
	static const double fmt[3][2] = { { 650, 80 }, { 1150, 100 }, { 2600, 140 } };
	double y1[3] = { 0 }, y2[3] = { 0 }, phase = 0, e2 = 0;
	double *v0 = calloc(n, sizeof(*v0));

	assert_non_null(v0);

	for (size_t i = 0; i < n; i++) {
		double f0 = 150 + 40 * sin(2 * M_PI * 0.7 * i / 8000.0);
		double e, v;
		phase += f0 / 8000.0;
		e = 0;
		if (phase >= 1) {
			phase -= 1;
			e = 1;
		}
		seed = seed * 1664525u + 1013904223u;
		e += 0.05 * ((double)(seed >> 8) / (1 << 24) - 0.5);
		v = e;
		for (int k = 0; k < 3; k++) {
			double r = exp(-M_PI * fmt[k][1] / 8000.0);
			double a1 = 2 * r * cos(2 * M_PI * fmt[k][0] / 8000.0), a2 = -r * r;
			double y = v + a1 * y1[k] + a2 * y2[k];
			y2[k] = y1[k];
			y1[k] = y;
			v = y * (1 - r);
		}
		/* 4 Hz syllables that never quite stop */
		v0[i] = (0.6 + 0.4 * sin(2 * M_PI * 4 * i / 8000.0)) * v;
		e2 += v0[i] * v0[i];
	}
	for (size_t i = 0; i < n; i++) {
		double s = v0[i] * 2500 / sqrt(e2 / (double)n);
		x[i] = (int16_t)lrint(s > 32767 ? 32767 : s < -32768 ? -32768 : s);
	}
	free(v0);
}

static double rms(const int16_t *x, size_t n)
{
	double e = 0;
	for (size_t i = 0; i < n; i++)
		e += (double)x[i] * x[i];
	return sqrt(e / (double)(n ? n : 1));
}

/* Encode in[] at ptime and decode it back; returns the samples done. */
static size_t g729_through(unsigned ptime, const int16_t *in, int16_t *out,
			   size_t total)
{
	struct dsp_codec *enc, *dec;
	size_t fs, pos = 0;

	assert_int_equal(dsp_codec_alloc(&enc, DSP_CODEC_G729, ptime), 0);
	assert_int_equal(dsp_codec_alloc(&dec, DSP_CODEC_G729, ptime), 0);
	fs = dsp_codec_frame_samples(enc);
	while (pos + fs <= total) {
		uint8_t pl[DSP_CODEC_MAX_PAYLOAD];
		size_t len, n;
		assert_int_equal(dsp_codec_encode(enc, in + pos, fs, pl, sizeof(pl),
						  &len), 0);
		assert_int_equal(len, ptime);
		assert_int_equal(dsp_codec_decode(dec, pl, len, out + pos, fs, &n), 0);
		assert_int_equal(n, fs);
		pos += fs;
	}
	dsp_codec_free(enc);
	dsp_codec_free(dec);
	return pos;
}

/* Best SNR over codec delays 0..119 samples, from sample `from`. */
static double best_snr(const int16_t *in, const int16_t *out, size_t from,
		       size_t to, unsigned *delay)
{
	double best = -1e9;
	for (unsigned d = 0; d < 120; d++) {
		double sig = 0, noise = 0;
		for (size_t i = from; i < to; i++) {
			double e = out[i] - in[i - d];
			sig += (double)in[i - d] * in[i - d];
			noise += e * e;
		}
		double snr = 10 * log10(sig / (noise + 1));
		if (snr > best) {
			best = snr;
			*delay = d;
		}
	}
	return best;
}

static void test_g729_roundtrip(void **state)
{
	/* G.729 is a CELP coder with a perceptual post-filter: waveform SNR
	 * is modest by design. The bounds leave a few dB of margin under
	 * what bcg729 1.1.1 gives (printed). */
	static const struct {
		unsigned ptime;
		bool speech;
		double f;		/* tone, Hz */
		double amp;
		double min_snr_db;
		double max_level_db;	/* |output - input| level */
	} testv[] = {
		{ 20, false, 1000, 8000, 8, 2 },  { 10, false, 1000, 3000, 8, 2 },
		{ 30, false, 440, 8000, 8, 2 },   { 20, false, 2500, 8000, 5, 2 },
		{ 20, true, 0, 0, 5, 2 },         { 30, true, 0, 0, 5, 2 },
		{ 10, true, 0, 0, 5, 2 },
	};
	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(testv); t++) {
		enum { TOTAL = 14400 };
		static int16_t in[TOTAL], out[TOTAL];
		size_t pos;
		unsigned delay = 0;
		if (testv[t].speech)
			speechlike(in, TOTAL, 7 + (uint32_t)t);
		else
			sine(in, TOTAL, testv[t].f, 8000, testv[t].amp);
		pos = g729_through(testv[t].ptime, in, out, TOTAL);
		assert_int_equal(pos, TOTAL);
		double snr = best_snr(in, out, 2000, pos, &delay);
		double lvl = 20 * log10(rms(out + 2000, pos - 2000) /
					rms(in + 2000 - delay, pos - 2000));
		print_message("g729 case %zu (%s, ptime %u): SNR %.1f dB, level %+.2f dB, "
			      "delay %u\n", t, testv[t].speech ? "speech-like" : "tone",
			      testv[t].ptime, snr, lvl, delay);
		if (snr < testv[t].min_snr_db)
			fail_msg("case %zu: SNR %.1f dB", t, snr);
		if (fabs(lvl) > testv[t].max_level_db)
			fail_msg("case %zu: level %+.2f dB", t, lvl);
		if (!testv[t].speech) {
			/* the tone is where it was: most power at f */
			double p = tone_power(out + 2000, pos - 2000, testv[t].f, 8000);
			double all = rms(out + 2000, pos - 2000);
			assert_true(p > 0.4 * all * all);
		}
	}
}

/* Frame erasure: a lost frame is extrapolated from the decoder state, not
 * muted; the leftover of a partly used erased frame is used next. */
static void test_g729_conceal(void **state)
{
	enum { TOTAL = 12000, LOST_AT = 4000, LOST = 480 };
	static int16_t in[TOTAL], ref[TOTAL], out[TOTAL];
	struct dsp_codec *enc, *dec, *pcma;
	size_t pos = 0, n;
	(void)state;

	sine(in, TOTAL, 1000, 8000, 6000);
	g729_through(20, in, ref, TOTAL);
	assert_int_equal(dsp_codec_alloc(&enc, DSP_CODEC_G729, 10), 0);
	assert_int_equal(dsp_codec_alloc(&dec, DSP_CODEC_G729, 10), 0);
	while (pos < TOTAL) {
		uint8_t pl[10];
		size_t len;
		assert_int_equal(dsp_codec_encode(enc, in + pos, 80, pl, sizeof(pl), &len), 0);
		if (pos >= LOST_AT && pos < LOST_AT + LOST) {
			/* in uneven pieces, as the jitter buffer may ask */
			assert_int_equal(dsp_codec_conceal(dec, out + pos, 30), 0);
			assert_int_equal(dsp_codec_decode(dec, NULL, 0, out + pos + 30,
							  50, &n), 0);
			assert_int_equal(n, 50);
		} else {
			assert_int_equal(dsp_codec_decode(dec, pl, len, out + pos, 80, &n), 0);
		}
		pos += 80;
	}
	double before = rms(out + LOST_AT - 800, 800);
	double first = rms(out + LOST_AT, 160);
	double whole = rms(out + LOST_AT, LOST);
	double p = tone_power(out + LOST_AT, 160, 1000, 8000);
	print_message("g729 erasure: level before %.0f, first 20 ms of loss %.0f "
		      "(%+.1f dB), 60 ms %.0f (%+.1f dB)\n", before, first,
		      20 * log10(first / before), whole, 20 * log10(whole / before));
	/* not silent, not louder than the speech, still the same tone */
	assert_true(first > 0.5 * before && first < 1.4 * before);
	assert_true(whole > 0.2 * before && whole < 1.4 * before);
	/* a pure tone has p = rms^2 / 2: at least a third of the power of
	 * the concealed audio is still at 1 kHz */
	assert_true(p > 0.5 / 3 * first * first);
	/* and the decoder recovers after the loss */
	/* and the decoder recovers after the loss (slowly on a steady tone:
	 * the gain predictor's memory holds the erased frames' attenuation) */
	double after = rms(out + LOST_AT + LOST + 1600, 800);
	assert_true(fabs(20 * log10(after / before)) < 2);

	/* codecs without their own concealment say so */
	assert_int_equal(dsp_codec_alloc(&pcma, DSP_CODEC_PCMA, 20), 0);
	assert_int_equal(dsp_codec_conceal(pcma, out, 80), ENOTSUP);
	assert_int_equal(dsp_codec_decode(pcma, NULL, 0, out, 80, &n), ENOTSUP);
	assert_int_equal(dsp_codec_conceal(dec, NULL, 0), 0);
	assert_int_equal(dsp_codec_conceal(NULL, out, 80), EINVAL);
	dsp_codec_free(pcma);
	dsp_codec_free(enc);
	dsp_codec_free(dec);
}

static unsigned jb_conceal_calls;

static int jb_dec_h(void *arg, const uint8_t *p, size_t plen, int16_t *pcm,
		    size_t max, size_t *n)
{
	if (!p)
		jb_conceal_calls++;
	return dsp_codec_decode(arg, p, plen, pcm, max, n);
}

/* Through the jitter buffer: lost 20 ms packets are concealed by the
 * G.729 decoder (dsp/jitter's decoder hook), a malformed payload is a
 * decode error, and the output stays a plausible 1 kHz tone. */
static void test_g729_jitter(void **state)
{
	enum { PKTS = 100, TICK = 160 };
	static int16_t in[PKTS * TICK], out[(PKTS + 10) * TICK];
	enum dsp_jb_frame kind[PKTS + 10];
	struct dsp_codec *enc, *dec;
	struct dsp_jb *jb;
	struct dsp_jb_cfg cfg;
	struct dsp_jb_stats st;
	size_t nout = 0;
	(void)state;

	sine(in, PKTS * TICK, 1000, 8000, 6000);
	assert_int_equal(dsp_codec_alloc(&enc, DSP_CODEC_G729, 20), 0);
	assert_int_equal(dsp_codec_alloc(&dec, DSP_CODEC_G729, 20), 0);
	dsp_jb_cfg_default(&cfg);
	assert_int_equal(dsp_jb_alloc(&jb, &cfg, jb_dec_h, dec), 0);
	for (unsigned k = 0; k < PKTS + 10; k++) {
		if (k < PKTS) {
			uint8_t pl[20];
			size_t len;
			assert_int_equal(dsp_codec_encode(enc, in + k * TICK, TICK, pl,
							  sizeof(pl), &len), 0);
			/* packets 50 and 51 lost, 70 mangled to 15 octets */
			if (k != 50 && k != 51)
				assert_int_equal(dsp_jb_put(jb, (uint16_t)k, 1000 + k * TICK,
							    pl, k == 70 ? 15 : len), 0);
		}
		kind[k] = dsp_jb_get(jb, out + nout);
		nout += TICK;
	}
	dsp_jb_stats(jb, &st);
	assert_int_equal(st.decode_err, 1);
	assert_true(st.concealed >= 2 * TICK);
	/* the codec concealed, not the generic PLC */
	assert_true(jb_conceal_calls >= 2);
	/* blocks: first with audio, first concealed */
	size_t a0 = 0, c0;
	while (a0 < PKTS && kind[a0] != DSP_JB_AUDIO)
		a0++;
	c0 = a0;
	while (c0 < PKTS && kind[c0] != DSP_JB_CONCEALED)
		c0++;
	assert_true(a0 + 40 < c0 && c0 < a0 + 55);
	double ref = rms(out + (a0 + 20) * TICK, 10 * TICK);
	double lo = 1e9, hi = 0;
	for (size_t b = a0 + 1; b < a0 + PKTS - 2; b++) {
		double r = rms(out + b * TICK, TICK);
		lo = r < lo ? r : lo;
		hi = r > hi ? r : hi;
	}
	double first = rms(out + c0 * TICK, TICK);
	double later = rms(out + (c0 + 10) * TICK, 5 * TICK);
	print_message("g729 via jitter buffer: %llu samples concealed, first "
		      "concealed block %+.1f dB, 200 ms on %+.1f dB, blocks %+.1f .. "
		      "%+.1f dB of %.0f\n", (unsigned long long)st.concealed,
		      20 * log10(first / ref), 20 * log10(later / ref),
		      20 * log10(lo / ref), 20 * log10(hi / ref), ref);
	/* the loss is bridged by the tone fading (G.729 §4.4 attenuates
	 * erased frames' gains and the gain predictor takes a few frames to
	 * recover): never silent, never louder than the tone */
	assert_true(first > 0.3 * ref);
	assert_true(lo > 0.03 * ref);
	assert_true(hi < 1.5 * ref);
	assert_true(fabs(20 * log10(later / ref)) < 3);
	dsp_jb_free(jb);
	dsp_codec_free(enc);
	dsp_codec_free(dec);
}

/* Annex B: SID frames from a VAD-enabled encoder (as a peer that ignores
 * annexb=no sends) decode to comfort noise near the input noise level;
 * untransmitted frames are erasures that keep the noise going. */
static void test_g729_sid(void **state)
{
	enum { FRAMES = 300 };
	bcg729EncoderChannelContextStruct *vad = initBcg729EncoderChannel(1);
	struct dsp_codec *dec;
	int16_t in[80], out[160];
	double e_in = 0, e_out = 0;
	unsigned sid = 0, none = 0, voice = 0, cn_frames = 0;
	uint32_t seed = 99;
	(void)state;

	assert_non_null(vad);
	assert_int_equal(dsp_codec_alloc(&dec, DSP_CODEC_G729, 20), 0);
	for (unsigned f = 0; f < FRAMES; f++) {
		uint8_t bs[10];
		uint8_t bl = 0;
		size_t n;
		/* a talk burst, then quiet background noise */
		if (f < 40) {
			sine(in, 80, 700, 8000, 6000);
		} else {
			for (int i = 0; i < 80; i++) {
				seed = seed * 1664525u + 1013904223u;
				in[i] = (int16_t)(((int32_t)(seed >> 16) % 200) - 100);
			}
		}
		bcg729Encoder(vad, in, bs, &bl);
		if (bl == 10) {
			voice++;
			assert_int_equal(dsp_codec_decode(dec, bs, 10, out, 80, &n), 0);
		} else if (bl == 2) {
			sid++;
			assert_int_equal(dsp_codec_decode(dec, bs, 2, out, 80, &n), 0);
		} else {
			/* nothing sent (DTX): the jitter buffer conceals */
			none++;
			assert_int_equal(dsp_codec_decode(dec, NULL, 0, out, 80, &n), 0);
		}
		assert_int_equal(n, 80);
		if (f >= 100) {
			for (int i = 0; i < 80; i++) {
				e_in += (double)in[i] * in[i];
				e_out += (double)out[i] * out[i];
			}
			cn_frames++;
		}
	}
	double lin = sqrt(e_in / (cn_frames * 80)), lout = sqrt(e_out / (cn_frames * 80));
	print_message("g729 annex b: %u speech, %u SID, %u untransmitted frames; "
		      "noise in %.1f, comfort noise out %.1f (%+.1f dB)\n", voice, sid,
		      none, lin, lout, 20 * log10(lout / lin));
	assert_true(sid > 0);
	assert_true(none > 0);
	/* comfort noise, not silence and not a blast */
	assert_true(lout > lin / 4 && lout < lin * 4);

	/* a speech frame followed by a SID in one packet (10 k + 2) */
	uint8_t pkt[12] = { 0 };
	size_t n;
	uint8_t bl = 0;
	sine(in, 80, 700, 8000, 6000);
	bcg729Encoder(vad, in, pkt, &bl);
	assert_int_equal(bl, 10);
	pkt[10] = 0x5a;
	pkt[11] = 0xc0;
	assert_int_equal(dsp_codec_decode(dec, pkt, 12, out, 160, &n), 0);
	assert_int_equal(n, 160);
	closeBcg729EncoderChannel(vad);
	dsp_codec_free(dec);
}

/* Any bits in a well-sized payload decode without harm, to bounded audio
 * (the decoder saturates); mixed with erasures and SIDs. */
static void test_g729_garbage(void **state)
{
	static const size_t lens[] = { 10, 2, 12, 20, 30, 22 };
	struct dsp_codec *dec;
	uint32_t seed = 12345;
	int16_t out[240];
	(void)state;

	assert_int_equal(dsp_codec_alloc(&dec, DSP_CODEC_G729, 20), 0);
	for (unsigned k = 0; k < 3000; k++) {
		uint8_t pl[30];
		size_t len = lens[k % ARRAY_SIZE(lens)], n;
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1664525u + 1013904223u;
			pl[i] = (uint8_t)(seed >> 24);
		}
		if (k % 7 == 3)
			assert_int_equal(dsp_codec_decode(dec, NULL, 0, out, 80, &n), 0);
		else
			assert_int_equal(dsp_codec_decode(dec, pl, len, out, ARRAY_SIZE(out),
							  &n), 0);
	}
	dsp_codec_free(dec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_g711_decode_tables),
		cmocka_unit_test(test_g711_encode),
		cmocka_unit_test(test_g711_exhaustive_vs_spandsp),
		cmocka_unit_test(test_law_convert),
		cmocka_unit_test(test_resampler),
		cmocka_unit_test(test_g722_roundtrip),
		cmocka_unit_test(test_g711_frames),
		cmocka_unit_test(test_packetize),
		cmocka_unit_test(test_g729_frames),
		cmocka_unit_test(test_g729_roundtrip),
		cmocka_unit_test(test_g729_conceal),
		cmocka_unit_test(test_g729_jitter),
		cmocka_unit_test(test_g729_sid),
		cmocka_unit_test(test_g729_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
