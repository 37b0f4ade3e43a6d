/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for dsp/tone: spec parsing, every country's tones checked
 * sample-exact for cadence, and for frequency content and level. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dsp/tone.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void test_parse(void **state)
{
	static const struct {
		const char *spec;
		int err;
		int f1, f2;
		bool am;
		int level;
		unsigned c[4];
	} testv[] = {
		{ "425:-10:", 0, 425, 0, false, -10, { 0 } },
		{ "425:-10", 0, 425, 0, false, -10, { 0 } },
		{ "350+440:-13:", 0, 350, 440, false, -13, { 0 } },
		{ "400+450:-19:400,200,400,2000", 0, 400, 450, false, -19,
		  { 400, 200, 400, 2000 } },
		{ "400*16:-10:1000,2000", 0, 400, 16, true, -10, { 1000, 2000 } },
		{ "480+620:0:1,30000", 0, 480, 620, false, 0, { 1, 30000 } },
		{ .spec = "425", .err = EINVAL },
		{ .spec = ":-10:", .err = EINVAL },
		{ .spec = "425:-10:500", .err = EINVAL },         /* odd cadence */
		{ .spec = "425:-10:1,2,3,4,5,6", .err = EINVAL },
		{ .spec = "425:-10:0,100", .err = EINVAL },       /* zero on time */
		{ .spec = "425:+5:", .err = EINVAL },             /* too loud */
		{ .spec = "49:-10:", .err = EINVAL },
		{ .spec = "4001:-10:", .err = EINVAL },
		{ .spec = "400*101:-10:", .err = EINVAL },
		{ .spec = "400+:-10:", .err = EINVAL },
		{ .spec = "+400:-10:", .err = EINVAL },
		{ .spec = "400+450+500:-10:", .err = EINVAL },
		{ .spec = "425:-10:500,,500", .err = EINVAL },
		{ .spec = "425:x:", .err = EINVAL },
		{ .spec = "", .err = EINVAL },
		{ .spec = "425:-99999999999:", .err = EINVAL },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(testv); i++) {
		struct pl s = pl_from_str(testv[i].spec);
		struct dsp_tone_def d;
		memset(&d, 0x55, sizeof(d));
		int err = dsp_tone_parse(&s, &d);
		if (err != testv[i].err)
			fail_msg("\"%s\": %d", testv[i].spec, err);
		if (err)
			continue;
		assert_int_equal(d.f1, testv[i].f1);
		assert_int_equal(d.f2, testv[i].f2);
		assert_int_equal(d.am, testv[i].am);
		assert_int_equal(d.level, testv[i].level);
		for (int k = 0; k < 4; k++)
			assert_int_equal(d.cadence[k], testv[i].c[k]);
	}
	/* every built-in spec parses; aliases resolve */
	for (const struct dsp_tone_country *c = dsp_tone_countries(); c->code; c++)
		for (int t = 0; t < DSP_TONE_COUNT; t++) {
			struct pl s = pl_from_str(c->spec[t]);
			struct dsp_tone_def d;
			assert_int_equal(dsp_tone_parse(&s, &d), 0);
		}
	assert_ptr_equal(dsp_tone_country("UK"), dsp_tone_country("gb"));
	assert_ptr_equal(dsp_tone_country("eu"), dsp_tone_country("ITU"));
	assert_ptr_equal(dsp_tone_country("nanp"), dsp_tone_country("us"));
	assert_null(dsp_tone_country("xx"));
	assert_null(dsp_tone_country(NULL));
}

static double tone_power(const int16_t *x, size_t n, double f)
{
	double w = 2 * M_PI * f / 8000, c = 2 * cos(w), s1 = 0, s2 = 0;
	for (size_t i = 0; i < n; i++) {
		double s = x[i] + c * s1 - s2;
		s2 = s1;
		s1 = s;
	}
	return (s1 * s1 + s2 * s2 - c * s1 * s2) / ((double)n * n) * 4;
}

/* dBm0 of a sine with peak amplitude a: 0 dBm0 = 3.14 dBov for A-law */
static double dbm0(double power)
{
	/* power here is amplitude^2 of the sine; 0 dBm0 sine amplitude is
	 * 32768 * 10^(-3.14/20) in spandsp's scaling */
	double a0 = 32768.0 * pow(10, -3.14 / 20);
	return 10 * log10(power / (a0 * a0));
}

static void test_cadence_exact(void **state)
{
	/* for every country and tone: run 2.5 periods in odd-sized blocks and
	 * check each on/off segment length to the sample, the frequencies
	 * and the level */
	static int16_t buf[8000 * 25];
	struct dsp_tone *t;
	(void)state;
	assert_int_equal(dsp_tone_alloc(&t), 0);
	for (const struct dsp_tone_country *c = dsp_tone_countries(); c->code; c++) {
		for (int id = 0; id < DSP_TONE_COUNT; id++) {
			struct dsp_tone_def d;
			struct pl s = pl_from_str(c->spec[id]);
			assert_int_equal(dsp_tone_parse(&s, &d), 0);
			size_t period = dsp_tone_period(&d);
			size_t total = period ? period * 5 / 2 : 8000 * 3;
			assert_true(total <= ARRAY_SIZE(buf));
			assert_int_equal(dsp_tone_start_country(t, c, (enum dsp_tone_id)id), 0);
			for (size_t off = 0; off < total;) {
				size_t k = total - off < 77 ? total - off : 77;
				dsp_tone_process(t, buf + off, k);
				off += k;
			}
			if (!period) {
				/* continuous: never a run of silence */
				for (size_t i = 0; i + 4 < total; i++)
					assert_false(!buf[i] && !buf[i + 1] && !buf[i + 2] &&
						     !buf[i + 3]);
			} else {
				/* off segments are exact zeros; on segments never
				 * contain 4 zeros in a row */
				size_t pos = 0;
				unsigned seg = 0;
				while (pos < total) {
					size_t len = d.cadence[seg % 4 < 4 ? seg % 4 : 0] * 8;
					if (!len) { /* 2-entry cadence */
						seg = 0;
						continue;
					}
					size_t end = pos + len < total ? pos + len : total;
					for (size_t i = pos; i < end; i++) {
						if (seg % 2) {
							if (buf[i])
								fail_msg("%s %s: sample %zu in off segment",
									 c->code, dsp_tone_name(id), i);
						} else if (i + 3 < end && !buf[i] && !buf[i + 1] &&
							   !buf[i + 2] && !buf[i + 3]) {
							fail_msg("%s %s: gap at %zu in on segment",
								 c->code, dsp_tone_name(id), i);
						}
					}
					/* the sample after an on segment is silent */
					if (!(seg % 2) && end < total)
						assert_int_equal(buf[end], 0);
					pos = end;
					seg = (seg + 1) % 4;
				}
			}
			/* frequency content over the first on segment (or 1 s) */
			size_t n = d.cadence[0] ? d.cadence[0] * 8 : 8000;
			double p1 = tone_power(buf, n, d.f1);
			double lvl = dbm0(p1);
			if (!d.am && fabs(lvl - d.level) > 0.5)
				fail_msg("%s %s: f1 at %.2f dBm0, want %d", c->code,
					 dsp_tone_name(id), lvl, d.level);
			if (d.f2 && !d.am) {
				double l2 = dbm0(tone_power(buf, n, d.f2));
				assert_true(fabs(l2 - d.level) <= 0.5);
			}
			if (d.am) {
				/* sidebands at f1 +- fm */
				double sb = tone_power(buf, n, d.f1 + d.f2);
				assert_true(sb > p1 * 0.03 && sb < p1 * 0.1);
			}
			/* nothing much at 1 kHz off the tones */
			assert_true(tone_power(buf, n, 1000 + (d.f1 == 1000 ? 77 : 0)) < p1 * 1e-3);
		}
	}
	/* stop: silence */
	dsp_tone_stop(t);
	assert_false(dsp_tone_active(t));
	int16_t blk[160];
	memset(blk, 1, sizeof(blk));
	dsp_tone_process(t, blk, 160);
	for (int i = 0; i < 160; i++)
		assert_int_equal(blk[i], 0);
	assert_int_equal(dsp_tone_start_country(t, dsp_tone_country("de"), DSP_TONE_COUNT), EINVAL);
	dsp_tone_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_cadence_exact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
