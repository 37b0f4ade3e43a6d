/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for dsp/tone: the tone spec parser, and playing what
 * it accepts for a while (the generator must always make progress).
 */
#include <stddef.h>
#include <stdint.h>

#include "dsp/tone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl s = { (const char *)data, size };
	struct dsp_tone_def d;
	struct dsp_tone *t;
	int16_t pcm[160];

	if (dsp_tone_parse(&s, &d))
		return 0;
	if (dsp_tone_alloc(&t))
		return 0;
	if (dsp_tone_start(t, &d) == 0)
		for (int i = 0; i < 50; i++)
			dsp_tone_process(t, pcm, 160);
	dsp_tone_free(t);
	return 0;
}
