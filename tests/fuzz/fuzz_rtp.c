/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for the RTP receive path: dsp/rtp's header decoder on
 * the whole input, then the input split into datagrams (2-byte big-endian
 * length prefixes) fed through one receiver state machine; what it
 * accepts goes on as the engine would send it: audio into a jitter buffer
 * (dsp/jitter + dsp/codec G.711 decode, one playout tick per datagram),
 * telephone-events into the DTMF generator (dsp/dtmf).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dsp/codec.h"
#include "dsp/dtmf.h"
#include "dsp/jitter.h"
#include "dsp/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int dec_h(void *arg, const uint8_t *p, size_t plen, int16_t *pcm,
		 size_t max, size_t *n)
{
	return dsp_codec_decode(arg, p, plen, pcm, max, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dsp_rtp_hdr h;
	const uint8_t *pl;
	size_t plen, off = 0;
	struct dsp_rtp_rx_cfg cfg;
	struct dsp_rtp_rx rx;
	uint64_t now = 1;
	struct dsp_codec *dec = NULL;
	struct dsp_jb *jb = NULL;
	struct dsp_jb_cfg jcfg;
	struct dsp_dtmf_gen_cfg gcfg;
	struct dsp_dtmf_gen *gen = NULL;
	int16_t pcm[DSP_JB_MAX_TICK];

	if (dsp_rtp_decode(data, size, &h, &pl, &plen) == 0) {
		uint8_t out[DSP_RTP_MAX_PACKET + 512];
		size_t len;
		if (dsp_rtp_encode(out, sizeof(out), &h, pl, plen, &len) == 0 &&
		    len != size)
			__builtin_trap();
	}

	dsp_rtp_rx_cfg_default(&cfg);
	for (unsigned pt = 0; pt < 128; pt += 3)
		dsp_rtp_rx_cfg_allow_pt(&cfg, (uint8_t)pt);
	dsp_rtp_rx_cfg_allow_pt(&cfg, 8);
	dsp_rtp_rx_cfg_allow_pt(&cfg, 101);
	cfg.event_pt = 101;
	cfg.timeout_ms = 100;
	cfg.probation = size & 1 ? 0 : 2;
	dsp_rtp_rx_init(&rx, &cfg);
	dsp_jb_cfg_default(&jcfg);
	if (size & 2)
		jcfg.mode = DSP_JB_FIXED;
	dsp_dtmf_gen_cfg_default(&gcfg);
	if (dsp_codec_alloc(&dec, DSP_CODEC_PCMA, 20) ||
	    dsp_jb_alloc(&jb, &jcfg, dec_h, dec) || dsp_dtmf_gen_alloc(&gen, &gcfg))
		goto out;
	for (unsigned n = 0; n < 1000 && size - off >= 2; n++) {
		size_t l = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (l > size - off)
			l = size - off;
		now += 20000u + data[off - 1] * 100u;
		if (dsp_rtp_rx_input(&rx, data + off, l, now, NULL, 0, &h, &pl,
				     &plen) == 0) {
			if (pl < data + off || pl + plen > data + off + l)
				__builtin_trap();
			if (h.pt == 101) {
				(void)dsp_dtmf_gen_event(gen, h.ts, h.marker, pl, plen);
			} else if (plen) {
				(void)dsp_jb_put(jb, h.seq, h.ts, pl, plen);
			}
		}
		(void)dsp_jb_get(jb, pcm);
		(void)dsp_dtmf_gen_process(gen, pcm, jcfg.tick);
		(void)dsp_rtp_rx_timeout(&rx, now);
		off += l;
	}
	(void)dsp_rtp_rx_lost(&rx);
	(void)dsp_rtp_rx_jitter_ms(&rx);
out:
	dsp_dtmf_gen_free(gen);
	dsp_jb_free(jb);
	dsp_codec_free(dec);
	return 0;
}
