/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Call progress tones per country (ITU-T E.180, E.180 Suppl. 2) with
 * spandsp tone_gen. See tone.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <spandsp.h>

#include "dsp/tone.h"

/*
 * National values. Single tones are at -10 dBm0, dual tones at -13 (dial)
 * or -19 dBm0 per tone; AU congestion is modelled with its busy cadence
 * (the alternating level of the real signal is not reproduced).
 */
static const struct dsp_tone_country countries[] = {
	{ "itu", "ITU-T E.180 / CEPT default", {
		  "425:-10:", "425:-10:1000,4000", "425:-10:500,500",
		  "425:-10:250,250" } },
	{ "gb", "United Kingdom", {
		  "350+440:-13:", "400+450:-19:400,200,400,2000",
		  "400:-10:375,375", "400:-10:400,350,225,525" } },
	{ "de", "Germany", {
		  "425:-10:", "425:-10:1000,4000", "425:-10:480,480",
		  "425:-10:240,240" } },
	{ "fr", "France", {
		  "440:-10:", "440:-10:1500,3500", "440:-10:500,500",
		  "440:-10:250,250" } },
	{ "us", "United States / NANP", {
		  "350+440:-13:", "440+480:-19:2000,4000", "480+620:-19:500,500",
		  "480+620:-19:250,250" } },
	{ "au", "Australia", {
		  "413+438:-13:", "413+438:-19:400,200,400,2000",
		  "425:-10:375,375", "425:-10:375,375" } },
	{ "jp", "Japan", {
		  "400:-10:", "400*16:-10:1000,2000", "400:-10:500,500",
		  "400:-10:500,500" } },
	{ NULL, NULL, { NULL } },
};

static const struct {
	const char *alias;
	const char *code;
} aliases[] = {
	{ "uk", "gb" }, { "eu", "itu" }, { "default", "itu" },
	{ "nanp", "us" }, { "ca", "us" },
};

const struct dsp_tone_country *dsp_tone_countries(void)
{
	return countries;
}

const struct dsp_tone_country *dsp_tone_country(const char *code)
{
	if (!code)
		return NULL;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcasecmp(code, aliases[i].alias))
			code = aliases[i].code;
	for (const struct dsp_tone_country *c = countries; c->code; c++)
		if (!strcasecmp(code, c->code))
			return c;
	return NULL;
}

const char *dsp_tone_name(enum dsp_tone_id id)
{
	static const char *const names[DSP_TONE_COUNT] = {
		[DSP_TONE_DIAL] = "dial", [DSP_TONE_RINGBACK] = "ringback",
		[DSP_TONE_BUSY] = "busy", [DSP_TONE_CONGESTION] = "congestion",
	};
	return (unsigned)id < DSP_TONE_COUNT ? names[id] : NULL;
}

/* Signed decimal in [lo, hi] from the slice; EINVAL otherwise. */
static int parse_int(struct pl *v, int lo, int hi, int *out)
{
	bool neg = false;
	uint32_t u;
	struct pl d = *v;

	if (d.l && (d.p[0] == '-' || d.p[0] == '+')) {
		neg = d.p[0] == '-';
		d.p++;
		d.l--;
	}
	if (!d.l || d.l > 6 || pl_u32(&d, &u))
		return EINVAL;
	if ((neg ? -(int64_t)u : (int64_t)u) < lo ||
	    (neg ? -(int64_t)u : (int64_t)u) > hi)
		return EINVAL;
	*out = neg ? -(int)u : (int)u;
	return 0;
}

/* Split s at the first c: head in *a, rest in s (empty if none). */
static bool split(struct pl *s, char c, struct pl *a)
{
	const char *p = pl_chr(s, c);

	a->p = s->p;
	if (!p) {
		a->l = s->l;
		s->p += s->l;
		s->l = 0;
		return false;
	}
	a->l = (size_t)(p - s->p);
	s->l -= a->l + 1;
	s->p = p + 1;
	return true;
}

int dsp_tone_parse(const struct pl *spec, struct dsp_tone_def *def)
{
	struct dsp_tone_def d;
	struct pl s, freqs, level, f1, f2;
	const char *op;
	int v;
	unsigned n = 0;

	if (!spec || !pl_isset(spec) || !def)
		return EINVAL;
	memset(&d, 0, sizeof(d));
	s = *spec;
	if (!split(&s, ':', &freqs))
		return EINVAL;
	split(&s, ':', &level); /* no second ':' = continuous */

	op = pl_chr(&freqs, '+');
	if (!op) {
		op = pl_chr(&freqs, '*');
		d.am = op != NULL;
	}
	f1 = freqs;
	if (op) {
		f1.l = (size_t)(op - freqs.p);
		f2.p = op + 1;
		f2.l = freqs.l - f1.l - 1;
		if (parse_int(&f2, d.am ? 1 : 50, d.am ? 100 : 4000, &d.f2))
			return EINVAL;
	}
	if (parse_int(&f1, 50, 4000, &d.f1))
		return EINVAL;
	if (parse_int(&level, -60, 0, &d.level))
		return EINVAL;

	/* cadence: what is left of s */
	while (s.l) {
		struct pl item;
		split(&s, ',', &item);
		if (n >= 4 || parse_int(&item, 1, 30000, &v))
			return EINVAL;
		d.cadence[n++] = (unsigned)v;
	}
	if (n != 0 && n != 2 && n != 4)
		return EINVAL;
	*def = d;
	return 0;
}

size_t dsp_tone_period(const struct dsp_tone_def *def)
{
	size_t ms = 0;

	for (unsigned i = 0; i < 4; i++)
		ms += def->cadence[i];
	return ms * 8;
}

struct dsp_tone {
	tone_gen_descriptor_t *desc;
	tone_gen_state_t *gen;
	bool active;
};

int dsp_tone_alloc(struct dsp_tone **tp)
{
	struct dsp_tone *t = calloc(1, sizeof(*t));

	if (!t)
		return ENOMEM;
	t->desc = tone_gen_descriptor_init(NULL, 425, -10, 0, 0, 1000, 0, 0, 0, 1);
	t->gen = t->desc ? tone_gen_init(NULL, t->desc) : NULL;
	if (!t->gen) {
		dsp_tone_free(t);
		return ENOMEM;
	}
	*tp = t;
	return 0;
}

void dsp_tone_free(struct dsp_tone *t)
{
	if (!t)
		return;
	if (t->gen)
		tone_gen_free(t->gen);
	if (t->desc)
		tone_gen_descriptor_free(t->desc);
	free(t);
}

int dsp_tone_start(struct dsp_tone *t, const struct dsp_tone_def *def)
{
	unsigned c0 = def->cadence[0];

	if (!def->f1)
		return EINVAL;
	/* continuous: one long "on" section repeated (phase continues) */
	tone_gen_descriptor_init(t->desc, def->f1, def->level,
				 def->am ? -def->f2 : def->f2,
				 def->am ? 50 : def->level,
				 c0 ? (int)c0 : 10000, (int)def->cadence[1],
				 (int)def->cadence[2], (int)def->cadence[3], 1);
	tone_gen_init(t->gen, t->desc);
	t->active = true;
	return 0;
}

int dsp_tone_start_country(struct dsp_tone *t,
			   const struct dsp_tone_country *c,
			   enum dsp_tone_id id)
{
	struct dsp_tone_def def;
	struct pl s;

	if (!c || (unsigned)id >= DSP_TONE_COUNT || !c->spec[id])
		return EINVAL;
	s = pl_from_str(c->spec[id]);
	if (dsp_tone_parse(&s, &def))
		return EINVAL;
	return dsp_tone_start(t, &def);
}

void dsp_tone_stop(struct dsp_tone *t)
{
	t->active = false;
}

bool dsp_tone_active(const struct dsp_tone *t)
{
	return t->active;
}

void dsp_tone_process(struct dsp_tone *t, int16_t *pcm, size_t n)
{
	int got = 0;

	if (t->active)
		got = tone_gen(t->gen, pcm, (int)n);
	if (got < (int)n)
		memset(pcm + got, 0, (n - (size_t)got) * sizeof(*pcm));
}
