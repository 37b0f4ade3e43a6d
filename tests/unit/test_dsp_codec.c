/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for dsp/codec: G.711 against a reference written from the
 * G.711 segment tables, A<->mu conversion, FIR resampler images/aliases,
 * G.722 round trip, packetisation sizes. */
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

#include "dsp/codec.h"

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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
