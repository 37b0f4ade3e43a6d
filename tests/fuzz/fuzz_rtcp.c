/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for dsp/rtcp: compound packet validation and decoding
 * (RFC 3550 A.2) and the state update of dsp_rtcp_input, then a report
 * built from that state must decode again.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dsp/rtcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dsp_rtcp r;
	struct dsp_rtcp_info in;
	uint8_t buf[1500];
	size_t len;

	dsp_rtcp_init(&r, "fuzz@127.0.0.1");
	if (dsp_rtcp_input(&r, data, size, 0x11223344u, 0xe000000000000000ull,
			   &in) == 0) {
		if (pl_isset(&in.cname) &&
		    ((const uint8_t *)in.cname.p < data ||
		     (const uint8_t *)in.cname.p + in.cname.l > data + size))
			__builtin_trap();
		if (pl_isset(&in.bye_reason) &&
		    ((const uint8_t *)in.bye_reason.p < data ||
		     (const uint8_t *)in.bye_reason.p + in.bye_reason.l > data + size))
			__builtin_trap();
	}
	if (dsp_rtcp_build(&r, NULL, NULL, 0xe000000100000000ull, true, "x",
			   buf, sizeof(buf), &len) != 0 ||
	    dsp_rtcp_decode(buf, len, 0, &in) != 0)
		__builtin_trap();
	return 0;
}
