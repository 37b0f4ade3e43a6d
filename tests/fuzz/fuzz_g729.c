/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for G.729 payloads from the network (RFC 3551 §4.5.6:
 * 10-octet frames, then at most one 2-octet Annex B SID): the input is
 * split into payloads (1-byte length prefixes). Each is decoded by
 * dsp/codec straight away, which must accept exactly the lengths 10 k and
 * 10 k + 2 and give 80 samples per frame, and is put into a jitter buffer
 * (dsp/jitter) at a timestamp the prefix byte may move ahead, so playout
 * runs decode, G.729 frame erasure concealment and drift handling on it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dsp/codec.h"
#include "dsp/jitter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int dec_h(void *arg, const uint8_t *p, size_t plen, int16_t *pcm,
		 size_t max, size_t *n)
{
	return dsp_codec_decode(arg, p, plen, pcm, max, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned ptimes[] = { 10, 20, 30 };
	struct dsp_codec *dec = NULL, *direct = NULL;
	struct dsp_jb *jb = NULL;
	struct dsp_jb_cfg jcfg;
	int16_t pcm[2560], tick[DSP_JB_MAX_TICK];
	uint32_t ts = 1000;
	uint16_t seq = 0;
	size_t off = 1;

	if (!size)
		return 0;
	dsp_jb_cfg_default(&jcfg);
	if (data[0] & 4)
		jcfg.mode = DSP_JB_FIXED;
	if (dsp_codec_alloc(&dec, DSP_CODEC_G729, ptimes[data[0] % 3]) ||
	    dsp_codec_alloc(&direct, DSP_CODEC_G729, 20) ||
	    dsp_jb_alloc(&jb, &jcfg, dec_h, dec))
		goto out;
	for (unsigned k = 0; k < 500 && off < size; k++) {
		size_t l = data[off++] & 0x3f, n = 0, want;
		unsigned skip = data[off - 1] >> 6; /* 0..3 packets lost */
		int err;

		if (l > size - off)
			l = size - off;
		want = l % 10 == 0 || l % 10 == 2 ? (l / 10 + (l % 10 ? 1 : 0)) * 80 : 0;
		err = dsp_codec_decode(direct, data + off, l, pcm, sizeof(pcm) / sizeof(pcm[0]),
				       &n);
		if (err ? err != EINVAL || want : n != want)
			__builtin_trap();
		if (k % 5 == 4 &&
		    (dsp_codec_conceal(direct, pcm, 1 + data[off - 1] % 200) != 0))
			__builtin_trap();
		ts += 160 * skip;
		if (l)
			(void)dsp_jb_put(jb, seq, ts, data + off, l);
		ts += want ? (uint32_t)want : 160;
		seq++;
		(void)dsp_jb_get(jb, tick);
		off += l;
	}
	for (unsigned k = 0; k < 8; k++)
		(void)dsp_jb_get(jb, tick);
out:
	dsp_jb_free(jb);
	dsp_codec_free(dec);
	dsp_codec_free(direct);
	return 0;
}
