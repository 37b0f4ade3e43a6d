/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Call progress tones played towards a caller: dial, ringback, busy and
 * congestion, per country (ITU-T E.180 and its Supplement 2 for the
 * national values; ITU/EU default, GB, DE, FR, US/NANP, AU, JP), generated
 * with spandsp's tone_gen descriptors so cadences are sample exact.
 *
 * Tones are written as short config-like strings, so an operator can
 * override one in the configuration with the same syntax:
 *   "<f1>[+<f2>|*<fm>]:<level dBm0>:<on ms>,<off ms>[,<on ms>,<off ms>]"
 * f1+f2 is a dual tone (each at the level), f1*fm is f1 amplitude
 * modulated at fm (50 % depth); an empty cadence is a continuous tone.
 * Example: GB ringback "400+450:-19:400,200,400,2000".
 */
#ifndef DSP_TONE_H
#define DSP_TONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/pl.h"

enum dsp_tone_id {
	DSP_TONE_DIAL = 0,
	DSP_TONE_RINGBACK,
	DSP_TONE_BUSY,
	DSP_TONE_CONGESTION,
	DSP_TONE_COUNT,
};

/* A parsed tone. */
struct dsp_tone_def {
	int f1;
	int f2;			/* second tone, 0 = none */
	bool am;		/* f2 is a modulation frequency */
	int level;		/* dBm0 per tone */
	unsigned cadence[4];	/* on, off, on, off in ms; cadence[0] == 0:
				 * continuous */
};

struct dsp_tone_country {
	const char *code;	/* "itu", "gb", ... */
	const char *name;
	const char *spec[DSP_TONE_COUNT];
};

/*
 * Parse a tone string (see above). Frequencies 50..4000 Hz (fm 1..100),
 * level -60..0, 0/2/4 cadence entries of 1..30000 ms with an on time
 * first. Returns 0 or EINVAL; *def is set only on success.
 */
int dsp_tone_parse(const struct pl *spec, struct dsp_tone_def *def);

/* Country by code (case-insensitive; "uk" = "gb", "eu" = "itu",
 * "nanp"/"ca" = "us"). NULL if unknown. */
const struct dsp_tone_country *dsp_tone_country(const char *code);
/* All built-in countries, NULL-terminated by a row with code NULL. */
const struct dsp_tone_country *dsp_tone_countries(void);
const char *dsp_tone_name(enum dsp_tone_id id);

/* Samples in one full cadence period (0 for a continuous tone). */
size_t dsp_tone_period(const struct dsp_tone_def *def);

struct dsp_tone;

/* Allocate a per-channel player (silent until started). 0 or ENOMEM. */
int dsp_tone_alloc(struct dsp_tone **tp);
void dsp_tone_free(struct dsp_tone *t);

/* Start (or restart from the cadence start) playing def, repeating. */
int dsp_tone_start(struct dsp_tone *t, const struct dsp_tone_def *def);
/* Start a country's tone by id. EINVAL if unknown. */
int dsp_tone_start_country(struct dsp_tone *t,
			   const struct dsp_tone_country *c,
			   enum dsp_tone_id id);
void dsp_tone_stop(struct dsp_tone *t);
bool dsp_tone_active(const struct dsp_tone *t);

/* Write n samples of the tone (silence when stopped). */
void dsp_tone_process(struct dsp_tone *t, int16_t *pcm, size_t n);

#endif
