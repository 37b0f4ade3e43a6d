/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for dsp/dtmf parsers: the SIP INFO dtmf-relay body
 * parser on the whole input, and the input as a stream of RFC 4733
 * packets (4-octet timestamp delta, marker octet, 4-octet payload) driven
 * through the event generator with playout ticks in between.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dsp/dtmf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl body = { (const char *)data, size };
	struct dsp_dtmf_gen_cfg cfg;
	struct dsp_dtmf_gen *g;
	int16_t pcm[160];
	uint32_t ts = 0;
	char digit;
	unsigned dur;

	if (dsp_dtmf_info_parse(&body, &digit, &dur) == 0) {
		char buf[64];
		size_t len;
		if (dsp_dtmf_info_print(buf, sizeof(buf), digit, dur, &len))
			__builtin_trap();
	}

	dsp_dtmf_gen_cfg_default(&cfg);
	if (dsp_dtmf_gen_alloc(&g, &cfg))
		return 0;
	for (size_t off = 0; off + 9 <= size; off += 9) {
		const uint8_t *p = data + off;
		ts += (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		      (uint32_t)p[2] << 8 | p[3];
		(void)dsp_dtmf_gen_event(g, ts, p[4] & 1, p + 5, 4);
		for (unsigned t = 0; t < (p[4] >> 5); t++)
			(void)dsp_dtmf_gen_process(g, pcm, sizeof(pcm) / sizeof(pcm[0]));
	}
	dsp_dtmf_gen_free(g);
	return 0;
}
