/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for the dialog layer policy parser
 * (sip_dialog_layer_cfg_parse): arbitrary "key=value,..." text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/dialog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_dialog_layer_cfg cfg = {
		.timer = { .enabled = false, .interval = 1800, .min_se = 90 },
	};
	char store[512], err[160], *text;

	if (size > 4096)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (sip_dialog_layer_cfg_parse(&cfg, text, store, sizeof(store), err, sizeof(err)) == 0) {
		struct sip_sesstimer st;

		/* a parsed policy is always usable */
		if (sip_sesstimer_init(&st, &cfg.timer))
			abort();
	}
	free(text);
	return 0;
}
