/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for gw/dahdi_conf: any bytes as system.conf. A parse
 * either fails with a file:line message or yields spans whose layout is
 * consistent (inside 1-1024, B and D disjoint, span_cfg usable).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "gw/dahdi_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_dahdi_conf *c = NULL;
	char err[256];
	int e;

	log_set_level(LOGL_ERR);
	e = gw_dahdi_conf_parse((const char *)data, size, "fuzz.conf", &c, err,
				sizeof(err));
	if (e) {
		if (c || strncmp(err, "fuzz.conf", 9))
			abort();
		return 0;
	}
	for (unsigned i = 0; i < c->nspans; i++) {
		const struct gw_dahdi_span *s = &c->spans[i];
		struct gw_span_cfg cfg;

		if (!s->base || s->base + s->width - 1 > GW_DAHDI_MAX_CHANNELS)
			abort();
		if (s->dchan && (s->bmask & (1u << s->dchan)))
			abort();
		if (gw_dahdi_conf_span(c, s->num) != s)
			abort();
		for (unsigned ts = 0; ts <= GW_SPAN_MAX_TS; ts++)
			(void)gw_dahdi_conf_echocan(c, s, ts);
		if (!gw_dahdi_conf_span_cfg(c, s->num, &cfg, err, sizeof(err))) {
			cfg.ops = NULL;
			if (gw_span_cfg_check(&cfg))
				abort();
		}
	}
	gw_dahdi_conf_free(c);
	return 0;
}
