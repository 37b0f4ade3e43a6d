/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for sip/uri: decode the input as a URI; when it
 * decodes, read its params and headers, its telephone digits, and check
 * that printing it gives a URI that decodes and compares equal (RFC 3261
 * §19.1.4), and that comparison is reflexive and symmetric.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_uri u, u2;
	struct pl in, out, rest, n, v;
	struct sip_buf b;
	char *buf, tmp[128];
	size_t len;

	if (size > 4096)
		return 0;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	in.p = buf;
	in.l = size;
	if (sip_uri_decode(&u, &in) == 0) {
		rest = u.params;
		while (sip_param_next(&rest, &n, &v))
			sip_pl_unescape(&v, tmp, sizeof(tmp), &len);
		sip_uri_param(&u, "transport", &v);
		sip_uri_header(&u, "subject", &v);
		sip_uri_tel_digits(&u.user, tmp, sizeof(tmp));
		sip_pl_unescape(&u.user, tmp, sizeof(tmp), &len);
		if (!sip_uri_equal(&u, &u))
			abort();
		sip_buf_init(&b, 0);
		if (sip_uri_print(&b, &u) == 0) {
			out = sip_buf_slice(&b);
			if (sip_uri_decode(&u2, &out) || !sip_uri_equal(&u, &u2) ||
			    !sip_uri_equal(&u2, &u))
				abort();
		}
		sip_buf_free(&b);
	}
	free(buf);
	return 0;
}
