/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for dsp/rtp: the header decoder on the whole input,
 * then the input split into datagrams (2-byte big-endian length prefixes)
 * fed through one receiver state machine, re-encoding what it accepts.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dsp/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dsp_rtp_hdr h;
	const uint8_t *pl;
	size_t plen, off = 0;
	struct dsp_rtp_rx_cfg cfg;
	struct dsp_rtp_rx rx;
	uint64_t now = 1;

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
	cfg.event_pt = 101;
	cfg.timeout_ms = 100;
	cfg.probation = size & 1 ? 0 : 2;
	dsp_rtp_rx_init(&rx, &cfg);
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
		}
		(void)dsp_rtp_rx_timeout(&rx, now);
		off += l;
	}
	(void)dsp_rtp_rx_lost(&rx);
	(void)dsp_rtp_rx_jitter_ms(&rx);
	return 0;
}
