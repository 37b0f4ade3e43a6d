/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for base/pl: slices, comparison, integer parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/pl.h"

static void test_u32(void **state)
{
	static const struct {
		const char *in;
		int err;
		uint32_t v;
	} testv[] = {
		{ "0", 0, 0 },
		{ "4294967295", 0, 4294967295u },
		{ "4294967296", ERANGE, 0 },
		{ "99999999999999999999999", ERANGE, 0 },
		{ "", EINVAL, 0 },
		{ "12a", EINVAL, 0 },
		{ "-1", EINVAL, 0 },
		{ " 1", EINVAL, 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		struct pl pl = pl_from_str(testv[i].in);
		uint32_t v = 777;
		assert_int_equal(pl_u32(&pl, &v), testv[i].err);
		assert_int_equal(v, testv[i].err ? 777 : testv[i].v);
	}
}

static void test_cmp(void **state)
{
	struct pl a = PL("Via"), b = PL("vIA"), c = PL("Vias");
	(void)state;
	assert_int_equal(pl_casecmp(&a, &b), 0);
	assert_int_not_equal(pl_cmp(&a, &b), 0);
	assert_int_not_equal(pl_casecmp(&a, &c), 0);
	assert_int_equal(pl_strcasecmp(&a, "VIA"), 0);
	assert_int_not_equal(pl_strcmp(&a, "VIA"), 0);
	assert_int_equal(pl_strcmp(&a, "Via"), 0);
}

static void test_trim_copy(void **state)
{
	struct pl a = PL(" \t abc \t");
	char buf[4];
	(void)state;
	pl_trim(&a);
	assert_int_equal(pl_strcmp(&a, "abc"), 0);
	assert_int_equal(pl_strcpy(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "abc");
	struct pl b = PL("abcd");
	assert_int_equal(pl_strcpy(&b, buf, sizeof(buf)), ENOSPC);
	assert_non_null(pl_chr(&b, 'c'));
	assert_null(pl_chr(&b, 'x'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u32),
		cmocka_unit_test(test_cmp),
		cmocka_unit_test(test_trim_copy),
	};
	return cmocka_run_group_tests_name("pl", tests, NULL, NULL);
}
