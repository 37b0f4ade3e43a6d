/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for the control-command parsing of pstnsim and the
 * pritest driver (tests/pstnsim/calls.c): the input is split into lines
 * and words as the control socket does and each line is run against a
 * span whose link is down. Commands naming files (fax, wav) are skipped so
 * the fuzzer cannot create or read files.
 */
#include "tests/pstnsim/media.c"
#include "tests/pstnsim/ctlsrv.c"
#include "tests/pstnsim/calls.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int frame_h(const uint8_t *frame, size_t len, void *arg)
{
	(void)frame;
	(void)len;
	(void)arg;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uv_loop_t loop;
	static struct sim_calls cs;
	static struct sim_line line;
	static struct ctl_reply r;
	char buf[CTL_LINE_MAX];
	size_t i = 0;

	if (!line.pri) {
		struct gw_pri_conf c;

		log_set_level(LOGL_ERR);
		uv_loop_init(&loop);
		sim_calls_init(&cs, &loop, SIM_POLICY_SUBSCRIBERS);
		sim_line_init(&line, &cs, 1, false, true, 0xfffefffe);
		gw_pri_conf_init(&c);
		if (gw_pri_alloc(&line.pri, &loop, &c, frame_h,
				 sim_line_pri_event, &line))
			abort();
	}
	while (i < size) {
		size_t n = 0;
		char *argv[CTL_MAX_ARGS + 1], *save = NULL;
		int argc = 0;

		while (i < size && data[i] != '\n' && n < sizeof(buf) - 1)
			buf[n++] = (char)data[i++];
		i++;
		buf[n] = '\0';
		if (strstr(buf, "fax") || strstr(buf, "wav"))
			continue;
		for (char *t = strtok_r(buf, " \t\r", &save);
		     t && argc < CTL_MAX_ARGS; t = strtok_r(NULL, " \t\r", &save))
			argv[argc++] = t;
		argv[argc] = NULL;
		if (!argc)
			continue;
		r.len = 0;
		sim_calls_command(&cs, argc, argv, &r);
	}
	return 0;
}
