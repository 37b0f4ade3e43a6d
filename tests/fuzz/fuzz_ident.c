/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for gw/ident: any input the SIP parser accepts is
 * read for calling, redirecting and connected identity under both trust
 * policies, and the party found is printed back as headers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gw/ident.h"
#include "sip/hdr.h"
#include "sip/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_msg m;
	char *buf;

	if (size > 65535)
		return 0;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (sip_msg_decode(&m, buf, size) == 0) {
		for (int trust = 0; trust < 2; trust++) {
			struct gw_ident_policy pol = { .trust_pai = trust, .send_pai = true,
						       .send_rpid = true,
						       .send_diversion = trust };
			struct gw_party p;
			struct gw_redirect r;
			struct sip_buf b;
			if (m.req && gw_ident_from_sip(&m, &pol, &p, &r) == 0) {
				sip_buf_init(&b, 8192);
				gw_ident_to_sip(&b, &p, &r, "1001", "tag", &pol);
				sip_buf_free(&b);
			}
			if (!m.req)
				gw_ident_connected_from_sip(&m, &pol, &p);
		}
	}
	free(buf);
	return 0;
}
