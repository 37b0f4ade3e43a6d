/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for sip/body: the first input line is a Content-Type
 * value, the rest a body. Split it and read every part's headers. Then
 * build a multipart/mixed body from the split parts (or from the raw
 * halves of the input) and check it splits back into the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_build(const struct sip_body_part_spec *spec, size_t n)
{
	struct sip_buf b;
	struct sip_multipart *mp = malloc(sizeof(*mp));
	struct sip_ctype ct;
	struct pl c = PL("multipart/mixed;boundary=fz-b0undary"), body;

	sip_buf_init(&b, 0);
	if (mp && sip_body_multipart_encode(&b, "fz-b0undary", spec, n) == 0) {
		body = sip_buf_slice(&b);
		if (sip_ctype_decode(&ct, &c) || sip_body_multipart_decode(mp, &ct, &body) ||
		    mp->partc != n)
			abort();
		for (size_t i = 0; i < n; i++) {
			if (mp->partv[i].body.l != spec[i].len ||
			    (spec[i].len && memcmp(mp->partv[i].body.p, spec[i].data, spec[i].len)))
				abort();
		}
	}
	sip_buf_free(&b);
	free(mp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_multipart *mp;
	struct sip_ctype ct;
	struct pl ctl, body, v;
	const uint8_t *nl;
	char *buf;

	if (size > 65536)
		return 0;
	buf = malloc(size ? size : 1);
	mp = malloc(sizeof(*mp));
	if (!buf || !mp)
		goto out;
	memcpy(buf, data, size);
	nl = memchr(buf, '\n', size);
	ctl.p = buf;
	ctl.l = nl ? (size_t)((const char *)nl - buf) : size;
	body.p = nl ? (const char *)nl + 1 : buf + size;
	body.l = size - (size_t)(body.p - buf);

	if (sip_ctype_decode(&ct, &ctl) == 0 && sip_body_multipart_decode(mp, &ct, &body) == 0) {
		struct sip_body_part_spec spec[SIP_BODY_MAX_PARTS];
		if (mp->partc == 0 || mp->partc > SIP_BODY_MAX_PARTS)
			abort();
		for (unsigned i = 0; i < mp->partc; i++) {
			const struct sip_body_part *p = &mp->partv[i];
			if (p->body.p < body.p || p->body.p + p->body.l > body.p + body.l)
				abort();
			sip_body_part_hdr(p, "Content-Type", &v);
			sip_body_part_hdr(p, "Content-ID", &v);
			spec[i].ctype = "application/octet-stream";
			spec[i].disp = i ? "signal;handling=optional" : NULL;
			spec[i].data = p->body.p;
			spec[i].len = p->body.l;
		}
		sip_body_multipart_find(mp, "application", "sdp");
		check_build(spec, mp->partc);
	} else {
		struct sip_body_part_spec spec[2] = {
			{ "application/sdp", NULL, body.p, body.l / 2 },
			{ "application/ISUP;version=itu-t92+", "signal", body.p + body.l / 2,
			  body.l - body.l / 2 },
		};
		check_build(spec, 2);
	}
out:
	free(mp);
	free(buf);
	return 0;
}
