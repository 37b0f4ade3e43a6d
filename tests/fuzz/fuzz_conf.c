/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for the configuration loader (gw/conf): arbitrary
 * bytes as an INI file, then every getter over every entry and the
 * unused-key check.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gw/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "a", "b", "udp", NULL };
	struct gw_conf *conf = NULL;
	struct gw_conf_err err;
	char *text;

	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (gw_conf_load_str(&conf, "fuzz.conf", text, &err) == 0) {
		const char *sec;
		for (size_t s = 0; (sec = gw_conf_section(conf, s)); s++) {
			const char *k, *v, *name;
			unsigned line;
			long l;
			bool b;
			int e;
			for (size_t i = 0; gw_conf_entry(conf, sec, i, &k, &v, &line); i++) {
				gw_conf_int(conf, sec, k, -100, 100, 0, &l, &err);
				gw_conf_bool(conf, sec, k, false, &b, &err);
				gw_conf_enum(conf, sec, k, names, 0, &e, &err);
				gw_conf_msec(conf, sec, k, 0, 100000, 0, &l, &err);
			}
			gw_conf_section_kind(sec, "span", &name);
			gw_conf_fail(conf, sec, "x", &err, "%s", "fuzz");
		}
		gw_conf_check_unused(conf, &err);
		gw_conf_free(conf);
	}
	free(text);
	return 0;
}
