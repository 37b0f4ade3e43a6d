/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for gw/route: rule order, number matching (prefix, regex),
 * source and time windows, rewriting (strip, prefix, substitution, E.164
 * and national formats, TON/NPI), targets and failover, config errors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "gw/conf.h"
#include "gw/route.h"

static const char *routes =
	"[route emergency]\n"
	"direction = sip2pstn\n"
	"called = ^(110|112)$\n"
	"target = group:e1-all\n"
	"failover_on = none\n"
	"[route pbx-national]\n"
	"direction = sip2pstn\n"
	"source = trunk:pbx\n"
	"called = prefix:0\n"
	"called_format = national\n"
	"calling_format = national\n"
	"country_code = 49\n"
	"target = group:e1-a, group:e1-b, trunk:backup\n"
	"failover_on = 503, 34, 38, 41, 42, 44, timeout\n"
	"[route business-hours]\n"
	"direction = sip2pstn\n"
	"called = prefix:9\n"
	"time = mon-fri 08:00-18:00\n"
	"called_strip = 1\n"
	"called_prefix = 0\n"
	"target = group:e1-a\n"
	"[route night]\n"
	"direction = sip2pstn\n"
	"called = prefix:9\n"
	"time = 18:00-08:00\n"
	"called_subst = s/^9([0-9]+)$/555\\1/\n"
	"called_ton = subscriber\n"
	"called_npi = private\n"
	"target = trunk:voicemail\n"
	"[route from-pstn]\n"
	"direction = pstn2sip\n"
	"source = span:1\n"
	"called = *\n"
	"called_format = e164\n"
	"calling_format = e164\n"
	"country_code = 49\n"
	"target = trunk:pbx\n";

static struct gw_route_table *load(const char *text, struct gw_conf **confp)
{
	struct gw_conf_err err;
	struct gw_route_table *t = NULL;
	assert_int_equal(gw_conf_load_str(confp, "r.conf", text, &err), 0);
	if (gw_route_table_conf(&t, *confp, &err))
		fail_msg("%s", err.msg);
	return t;
}

/* a local time on a given weekday (2026-11-23 is a Monday) */
static time_t at(int mday, int hour, int min)
{
	struct tm tm = { 0 };
	tm.tm_year = 2026 - 1900;
	tm.tm_mon = 10;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static void test_lookup(void **state)
{
	static const struct {
		enum gw_route_dir dir;
		const char *called, *calling, *trunk;
		int span;
		enum gw_ton called_ton, calling_ton;
		int mday, hour;
		int err;
		const char *route, *out_called, *out_calling;
		enum gw_ton out_ton;
		enum gw_npi out_npi;
		size_t ntargets;
	} testv[] = {
		{ GW_ROUTE_SIP2PSTN, "112", NULL, "pbx", -1, 0, 0, 23, 10, 0,
		  "emergency", "112", "", GW_TON_UNKNOWN, GW_NPI_ISDN, 1 },
		{ GW_ROUTE_SIP2PSTN, "1120", NULL, "pbx", -1, 0, 0, 23, 10, ENOENT,
		  NULL, NULL, NULL, 0, 0, 0 },
		/* national with trunk prefix 0 -> TON national without the 0 */
		{ GW_ROUTE_SIP2PSTN, "030123456", "+4940999", "pbx", -1, 0, 0, 23, 10, 0,
		  "pbx-national", "30123456", "40999", GW_TON_NATIONAL, GW_NPI_ISDN, 3 },
		/* international via 00 stays international */
		{ GW_ROUTE_SIP2PSTN, "0044207946", NULL, "pbx", -1, 0, 0, 23, 10, 0,
		  "pbx-national", "44207946", "", GW_TON_INTERNATIONAL, GW_NPI_ISDN, 3 },
		/* wrong source trunk: not this rule, nothing else matches 0... */
		{ GW_ROUTE_SIP2PSTN, "030123456", NULL, "other", -1, 0, 0, 23, 10, ENOENT,
		  NULL, NULL, NULL, 0, 0, 0 },
		/* time windows: Monday 10:00 business hours, 20:00 night */
		{ GW_ROUTE_SIP2PSTN, "9301234", NULL, NULL, -1, 0, 0, 23, 10, 0,
		  "business-hours", "0301234", "", GW_TON_UNKNOWN, GW_NPI_ISDN, 1 },
		{ GW_ROUTE_SIP2PSTN, "9301234", NULL, NULL, -1, 0, 0, 23, 20, 0,
		  "night", "555301234", "", GW_TON_SUBSCRIBER, GW_NPI_PRIVATE, 1 },
		/* Saturday noon: neither window (night is every day 18-08) */
		{ GW_ROUTE_SIP2PSTN, "9301234", NULL, NULL, -1, 0, 0, 28, 12, ENOENT,
		  NULL, NULL, NULL, 0, 0, 0 },
		/* Saturday 03:00 is night (wraps midnight) */
		{ GW_ROUTE_SIP2PSTN, "9301234", NULL, NULL, -1, 0, 0, 28, 3, 0,
		  "night", "555301234", "", GW_TON_SUBSCRIBER, GW_NPI_PRIVATE, 1 },
		/* PSTN -> SIP: TON national to E.164 */
		{ GW_ROUTE_PSTN2SIP, "301234", "4099", NULL, 1, GW_TON_NATIONAL,
		  GW_TON_NATIONAL, 23, 10, 0, "from-pstn", "+49301234", "+494099",
		  GW_TON_INTERNATIONAL, GW_NPI_ISDN, 1 },
		{ GW_ROUTE_PSTN2SIP, "4420", "0044111", NULL, 1, GW_TON_INTERNATIONAL,
		  GW_TON_UNKNOWN, 23, 10, 0, "from-pstn", "+4420", "+44111",
		  GW_TON_INTERNATIONAL, GW_NPI_ISDN, 1 },
		/* subscriber number cannot be normalised: left alone */
		{ GW_ROUTE_PSTN2SIP, "1234", NULL, NULL, 1, GW_TON_SUBSCRIBER, 0,
		  23, 10, 0, "from-pstn", "1234", "", GW_TON_SUBSCRIBER, GW_NPI_ISDN, 1 },
		{ GW_ROUTE_PSTN2SIP, "1234", NULL, NULL, 2, 0, 0, 23, 10, ENOENT,
		  NULL, NULL, NULL, 0, 0, 0 },
	};
	struct gw_conf *conf;
	struct gw_route_table *t = load(routes, &conf);
	(void)state;

	assert_int_equal(gw_route_table_count(t), 5);
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		struct gw_route_req req = {
			.dir = testv[i].dir, .called = testv[i].called,
			.calling = testv[i].calling, .src_trunk = testv[i].trunk,
			.src_span = testv[i].span, .called_ton = testv[i].called_ton,
			.calling_ton = testv[i].calling_ton,
			.now = at(testv[i].mday, testv[i].hour, 0),
		};
		struct gw_route_result res;
		int r = gw_route_lookup(t, &req, &res);
		if (r != testv[i].err)
			fail_msg("case %zu (%s): ret %d want %d (route %s)", i,
				 testv[i].called, r, testv[i].err, r ? "-" : res.route);
		if (r)
			continue;
		assert_string_equal(res.route, testv[i].route);
		assert_string_equal(res.called, testv[i].out_called);
		assert_string_equal(res.calling, testv[i].out_calling);
		if (res.called_ton != testv[i].out_ton)
			fail_msg("case %zu: ton %d want %d", i, res.called_ton, testv[i].out_ton);
		assert_int_equal(res.called_npi, testv[i].out_npi);
		assert_int_equal(res.ntargets, testv[i].ntargets);
	}
	gw_route_table_free(t);
	gw_conf_free(conf);
}

static void test_failover(void **state)
{
	struct gw_conf *conf;
	struct gw_route_table *t = load(routes, &conf);
	struct gw_route_req req = { .dir = GW_ROUTE_SIP2PSTN, .called = "030111",
				    .src_trunk = "pbx", .src_span = -1,
				    .now = at(23, 10, 0) };
	struct gw_route_result res;
	(void)state;

	assert_int_equal(gw_route_lookup(t, &req, &res), 0);
	assert_int_equal(res.targets[0].kind, GW_TARGET_GROUP);
	assert_string_equal(res.targets[0].name, "e1-a");
	assert_string_equal(res.targets[1].name, "e1-b");
	assert_int_equal(res.targets[2].kind, GW_TARGET_TRUNK);
	assert_string_equal(res.targets[2].name, "backup");
	assert_true(gw_route_failover(&res, 0, 34, false));
	assert_true(gw_route_failover(&res, 0, 44, false));
	assert_true(gw_route_failover(&res, 503, 0, false));
	assert_true(gw_route_failover(&res, 0, 0, true));
	assert_false(gw_route_failover(&res, 0, 17, false));
	assert_false(gw_route_failover(&res, 486, 0, false));
	assert_false(gw_route_failover(&res, 404, 1, false));

	req.called = "112";
	assert_int_equal(gw_route_lookup(t, &req, &res), 0);
	assert_false(gw_route_failover(&res, 503, 34, false));
	assert_false(gw_route_failover(&res, 0, 0, true));
	gw_route_table_free(t);
	gw_conf_free(conf);
}

static void test_conf_errors(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} testv[] = {
		{ "[route a]\ntarget = group:x\n", "r.conf:1: [route a]: missing key 'direction'" },
		{ "[route a]\ndirection = both\ntarget = group:x\n", "r.conf:2: [route a] direction:" },
		{ "[route a]\ndirection = sip2pstn\n", "missing key 'target'" },
		{ "[route a]\ndirection = sip2pstn\ntarget = span:1\n", "r.conf:3: [route a] target: 'span:1' is not group:NAME" },
		{ "[route a]\ndirection = sip2pstn\ntarget = group:x\ncalled = ^(12\n", "r.conf:4: [route a] called: bad regular expression" },
		{ "[route a]\ndirection = sip2pstn\ntarget = group:x\ntime = someday\n", "r.conf:4: [route a] time:" },
		{ "[route a]\ndirection = sip2pstn\ntarget = group:x\nfailover_on = 300\n", "r.conf:4: [route a] failover_on: '300'" },
		{ "[route a]\ndirection = sip2pstn\ntarget = group:x\ncalled_subst = x/a/b/\n", "r.conf:4: [route a] called_subst:" },
		{ "[route a]\ndirection = sip2pstn\ntarget = group:x\ncaled = 1\n", "r.conf:4: [route a] caled: unknown route key" },
		{ "[route a]\ndirection = sip2pstn\ntarget = group:x\ncalled_format = e164\n", "number formats need 'country_code'" },
		{ "[route a]\ndirection = sip2pstn\ntarget = group:x\n[route a]\n", "defined twice" },
		{ "[route a]\ndirection = sip2pstn\ntarget = group:x\nsource = span:x\n", "r.conf:4: [route a] source:" },
		{ "[route a]\ndirection = sip2pstn\ntarget = group:x\ncalled = 1+++++++\n", "r.conf:4: [route a] called: regular expression '1+++++++' refused" },
		{ "[route a]\ndirection = sip2pstn\ntarget = group:x\ncalled = (1{99}){99}\n", "refused: repeat count above 64" },
		{ "[route]\ndirection = sip2pstn\ntarget = group:x\n", "needs a name" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		struct gw_conf *conf;
		struct gw_conf_err err = { "" };
		struct gw_route_table *t = NULL;
		assert_int_equal(gw_conf_load_str(&conf, "r.conf", testv[i].text, &err), 0);
		if (gw_route_table_conf(&t, conf, &err) != EINVAL)
			fail_msg("case %zu: accepted", i);
		if (!strstr(err.msg, testv[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, testv[i].msg);
		assert_null(t);
		gw_conf_free(conf);
	}
}

static void test_long_numbers(void **state)
{
	struct gw_conf *conf;
	struct gw_route_table *t = load("[route a]\ndirection = sip2pstn\n"
					"called_prefix = 12345678901234567890\n"
					"target = group:x\n", &conf);
	char big[80];
	struct gw_route_req req = { .dir = GW_ROUTE_SIP2PSTN, .called = big, .src_span = -1 };
	struct gw_route_result res;
	(void)state;
	memset(big, '7', 50);
	big[50] = '\0';
	assert_int_equal(gw_route_lookup(t, &req, &res), ENAMETOOLONG);
	big[20] = '\0';
	assert_int_equal(gw_route_lookup(t, &req, &res), 0);
	assert_string_equal(res.called, "1234567890123456789077777777777777777777");
	gw_route_table_free(t);
	gw_conf_free(conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_failover),
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_long_numbers),
	};
	return cmocka_run_group_tests_name("gw_route", tests, NULL, NULL);
}
