/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for gw/conf: INI loading, typed getters, error messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "gw/conf.h"

static void test_load_errors(void **state)
{
	static const struct {
		const char *text;
		int err;
		const char *msg; /* substring expected in the error */
	} testv[] = {
		{ "[general]\nlog_level = info\n", 0, NULL },
		{ "; comment\n# comment\n\n[a]\nk=v\n", 0, NULL },
		{ "[general\nx=1\n", EINVAL, "t.conf:1: syntax error" },
		{ "[a]\nnovalue\n", EINVAL, "t.conf:2: syntax error" },
		{ "k = v\n[a]\n", EINVAL, "t.conf:1: key 'k' outside any section" },
		{ "[a]\n  indented = yes\n", 0, NULL },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		struct gw_conf *conf = NULL;
		struct gw_conf_err err = { "" };
		int ret = gw_conf_load_str(&conf, "t.conf", testv[i].text, &err);
		assert_int_equal(ret, testv[i].err);
		if (testv[i].msg)
			assert_non_null(strstr(err.msg, testv[i].msg));
		if (!ret)
			assert_non_null(conf);
		else
			assert_null(conf);
		gw_conf_free(conf);
	}
}

static void test_long_line(void **state)
{
	char text[3000];
	struct gw_conf *conf = NULL;
	struct gw_conf_err err = { "" };
	(void)state;
	snprintf(text, sizeof(text), "[a]\nk = %02000d\n", 1);
	assert_int_equal(gw_conf_load_str(&conf, "t.conf", text, &err), EINVAL);
	assert_non_null(strstr(err.msg, "t.conf:2: line too long"));
}

static void test_getters(void **state)
{
	const char *text =
		"[sip]\n"
		"port = 5070\n"
		"bad = 12x\n"
		"big = 70000\n"
		"on = yes\n"
		"notbool = maybe\n"
		"mode = tcp\n"
		"t1 = 500ms\n"
		"t2 = 4s\n"
		"t3 = 4h\n"
		"[span 1]\n"
		"match = 1\n"
		"match = 2\n";
	struct gw_conf *conf = NULL;
	struct gw_conf_err err = { "" };
	static const char *const modes[] = { "udp", "tcp", NULL };
	long v;
	bool b;
	int e;
	const char *k, *val, *name;
	unsigned line;
	(void)state;

	assert_int_equal(gw_conf_load_str(&conf, "x.conf", text, &err), 0);
	assert_int_equal(gw_conf_int(conf, "sip", "port", 1, 65535, 5060, &v, &err), 0);
	assert_int_equal(v, 5070);
	assert_int_equal(gw_conf_int(conf, "sip", "missing", 1, 9, 7, &v, &err), 0);
	assert_int_equal(v, 7);
	assert_int_equal(gw_conf_int(conf, "sip", "bad", 1, 9, 7, &v, &err), EINVAL);
	assert_non_null(strstr(err.msg, "x.conf:3: [sip] bad: '12x' is not an integer"));
	assert_int_equal(gw_conf_int(conf, "sip", "big", 1, 65535, 0, &v, &err), EINVAL);
	assert_non_null(strstr(err.msg, "x.conf:4:"));
	assert_non_null(strstr(err.msg, "out of range"));
	assert_int_equal(gw_conf_bool(conf, "sip", "on", false, &b, &err), 0);
	assert_true(b);
	assert_int_equal(gw_conf_bool(conf, "sip", "notbool", false, &b, &err), EINVAL);
	assert_non_null(strstr(err.msg, "x.conf:6:"));
	assert_int_equal(gw_conf_enum(conf, "sip", "mode", modes, 0, &e, &err), 0);
	assert_int_equal(e, 1);
	assert_int_equal(gw_conf_msec(conf, "sip", "t1", 1, 100000, 0, &v, &err), 0);
	assert_int_equal(v, 500);
	assert_int_equal(gw_conf_msec(conf, "sip", "t2", 1, 100000, 0, &v, &err), 0);
	assert_int_equal(v, 4000);
	assert_int_equal(gw_conf_msec(conf, "sip", "t3", 1, 100000, 0, &v, &err), EINVAL);
	assert_non_null(strstr(err.msg, "x.conf:10:"));

	assert_true(gw_conf_section_kind("span 1", "span", &name));
	assert_string_equal(name, "1");
	assert_false(gw_conf_section_kind("spanner", "span", &name));
	assert_true(gw_conf_entry(conf, "span 1", 0, &k, &val, &line));
	assert_string_equal(val, "1");
	assert_int_equal(line, 12);
	assert_true(gw_conf_entry(conf, "span 1", 1, &k, &val, &line));
	assert_string_equal(val, "2");
	assert_false(gw_conf_entry(conf, "span 1", 2, &k, &val, &line));
	assert_int_equal(gw_conf_check_unused(conf, &err), 0);
	gw_conf_free(conf);
}

static void test_unused(void **state)
{
	struct gw_conf *conf = NULL;
	struct gw_conf_err err = { "" };
	long v;
	(void)state;

	assert_int_equal(gw_conf_load_str(&conf, "u.conf",
					  "[sip]\nport = 1\nprot = 2\n", &err), 0);
	gw_conf_int(conf, "sip", "port", 1, 65535, 5060, &v, &err);
	assert_int_equal(gw_conf_check_unused(conf, &err), EINVAL);
	assert_non_null(strstr(err.msg, "u.conf:3: [sip] unknown key 'prot' (did you mean 'port'?)"));
	gw_conf_free(conf);

	assert_int_equal(gw_conf_load_str(&conf, "u.conf",
					  "[sip]\n[bogus]\nx=1\n", &err), 0);
	gw_conf_int(conf, "sip", "port", 1, 65535, 5060, &v, &err);
	assert_int_equal(gw_conf_check_unused(conf, &err), EINVAL);
	assert_non_null(strstr(err.msg, "u.conf:2: unknown section [bogus]"));
	gw_conf_free(conf);
}

static void test_file(void **state)
{
	struct gw_conf *conf = NULL;
	struct gw_conf_err err = { "" };
	(void)state;
	assert_int_equal(gw_conf_load(&conf, "/nonexistent/x.conf", &err), ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/x.conf: cannot open"));
	assert_int_equal(gw_conf_load(&conf, "etc/pstngw.conf", &err), 0);
	assert_string_equal(gw_conf_path(conf), "etc/pstngw.conf");
	gw_conf_free(conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_getters),
		cmocka_unit_test(test_unused),
		cmocka_unit_test(test_file),
	};
	return cmocka_run_group_tests_name("gw_conf", tests, NULL, NULL);
}
