/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for pstnsim's configuration reader: the input is an
 * INI text given to the same inih handler pstnsim uses (no files, no
 * sockets: only the parsing and validation of [general] and [span N]).
 */
#include "tests/pstnsim/media.c"
#include "tests/pstnsim/ctlsrv.c"
#include "tests/pstnsim/calls.c"
#undef MOD
#define main pstnsim_main
#include "tests/pstnsim/pstnsim.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sim s;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&s, 0, sizeof(s));
	snprintf(s.conf_path, sizeof(s.conf_path), "fuzz.conf");
	s.level = LOGL_NOTICE;
	ini_parse_string(text, conf_line, &s);
	free(text);
	return 0;
}
