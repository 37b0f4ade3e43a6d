/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for the digest header parsers of sip/auth: the input is
 * one WWW-Authenticate / Authorization header value. It is parsed as
 * challenges and as credentials, answered by a client, and verified by a
 * server; nothing may crash, leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sip_auth_server srv;
	static const uint8_t secret[32] = { 7 };
	struct sip_auth_chall v[4];
	struct sip_auth_cred c;
	struct sip_auth_client cli;
	struct pl method = PL("INVITE"), uri = PL("sip:a@b");
	char out[2048];
	size_t n = 0;
	/* exact-size heap copy so ASan sees reads past the end */
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	struct pl hv = { buf, size };

	if (!sip_auth_chall_parse(&hv, v, 4, &n)) {
		for (size_t i = 0; i < n; i++) {
			if (v[i].realm[strlen(v[i].realm)] != '\0')
				abort();
		}
	}
	sip_auth_client_init(&cli, "user", "pw", NULL);
	if (!sip_auth_client_respond(&cli, &hv, 1, &method, &uri, &hv, out,
				     sizeof(out))) {
		struct pl op = pl_from_str(out);
		/* what we print must parse back */
		if (sip_auth_cred_parse(&op, &c))
			abort();
	}
	if (!sip_auth_cred_parse(&hv, &c)) {
		sip_auth_server_init(&srv, c.realm[0] ? c.realm : "r", 60,
				     0xf, SIP_AUTH_QOP_AUTH |
				     SIP_AUTH_QOP_AUTH_INT, secret);
		sip_auth_server_verify(&srv, &c, &method, NULL, &hv, "pw", NULL,
				       100);
	}
	free(buf);
	return 0;
}
