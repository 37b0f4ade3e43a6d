/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the Reason header parser (gw/cause, RFC 3326). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gw/cause.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a private copy so reads past the end are caught by ASan */
	char *buf = malloc(size ? size : 1);
	struct pl v;
	struct gw_cause c;
	char out[256];

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	v.p = buf;
	v.l = size;
	if (gw_cause_reason_parse(&v, &c) == 0) {
		if (c.cause < 1 || c.cause > 127)
			abort();
		gw_cause_reason_print(out, sizeof(out), &c, true);
	}
	free(buf);
	return 0;
}
