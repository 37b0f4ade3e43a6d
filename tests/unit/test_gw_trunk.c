/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for gw/trunk: configuration, addresses and ACL matching. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "gw/conf.h"
#include "gw/trunk.h"

static struct sockaddr_storage sa_of(const char *ip)
{
	struct sockaddr_storage sa;
	memset(&sa, 0, sizeof(sa));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
		s4->sin_family = AF_INET;
		inet_pton(AF_INET, ip, &s4->sin_addr);
	}
	return sa;
}

static void test_acl(void **state)
{
	static const struct {
		const char *acl, *ip;
		int perr;
		bool match;
	} testv[] = {
		{ "192.0.2.0/24", "192.0.2.77", 0, true },
		{ "192.0.2.0/24", "192.0.3.1", 0, false },
		{ "192.0.2.128/25", "192.0.2.127", 0, false },
		{ "192.0.2.128/25", "192.0.2.200", 0, true },
		{ "10.1.2.3", "10.1.2.3", 0, true },
		{ "10.1.2.3", "10.1.2.4", 0, false },
		{ "0.0.0.0/0", "203.0.113.9", 0, true },
		{ "192.0.2.0/24", "::ffff:192.0.2.5", 0, true },
		{ "192.0.2.0/24", "2001:db8::1", 0, false },
		{ "2001:db8::/32", "2001:db8:1::5", 0, true },
		{ "2001:db8::/33", "2001:db8:8000::1", 0, false },
		{ "2001:db8::/32", "192.0.2.1", 0, false },
		{ "1.2.3.4/33", NULL, EINVAL, false },
		{ "1.2.3.4/", NULL, EINVAL, false },
		{ "::1/129", NULL, EINVAL, false },
		{ "host.example", NULL, EINVAL, false },
		{ "", NULL, EINVAL, false },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		struct gw_acl_entry e;
		int r = gw_acl_parse(testv[i].acl, &e);
		assert_int_equal(r, testv[i].perr);
		if (r)
			continue;
		struct sockaddr_storage sa = sa_of(testv[i].ip);
		if (gw_acl_match(&e, &sa) != testv[i].match)
			fail_msg("%s vs %s", testv[i].acl, testv[i].ip);
	}
}

static void test_conf(void **state)
{
	const char *text =
		"[trunk carrier]\naddress = 192.0.2.10\ntransport = tcp\n"
		"acl = 192.0.2.0/24, 2001:db8::/32\nkeepalive = 10s\ncauses = c\n"
		"[causes c]\n"
		"[trunk pbx]\naddress = [2001:db8::5]:5080\nkeepalive = 0\n";
	struct gw_conf *conf;
	struct gw_conf_err err;
	struct gw_trunks *set;
	(void)state;

	assert_int_equal(gw_conf_load_str(&conf, "t.conf", text, &err), 0);
	assert_int_equal(gw_trunks_conf(&set, conf, &err), 0);
	assert_int_equal(gw_trunks_count(set), 2);
	const struct gw_trunk_cfg *c = gw_trunks_cfg(set, 0);
	assert_string_equal(c->name, "carrier");
	assert_int_equal(c->tp, SIP_TP_TCP);
	assert_string_equal(c->host, "192.0.2.10");
	assert_int_equal(c->port, 5060);
	assert_int_equal(c->nacl, 2);
	assert_int_equal(c->keepalive_ms, 10000);
	assert_int_equal(c->keepalive_failures, 3);
	assert_string_equal(c->causes, "c");
	c = gw_trunks_cfg(set, 1);
	assert_string_equal(c->host, "2001:db8::5");
	assert_int_equal(c->port, 5080);
	assert_int_equal(c->nacl, 1); /* default ACL: its own address */
	assert_int_equal(gw_trunks_find(set, "pbx"), 1);
	assert_int_equal(gw_trunks_find(set, "nope"), -1);
	struct sockaddr_storage sa = sa_of("192.0.2.99");
	assert_int_equal(gw_trunks_match_source(set, &sa), 0);
	sa = sa_of("2001:db8::5");
	assert_int_equal(gw_trunks_match_source(set, &sa), 0); /* carrier's /32 first */
	sa = sa_of("198.51.100.1");
	assert_int_equal(gw_trunks_match_source(set, &sa), -1);
	gw_trunks_free(set);
	gw_conf_free(conf);

	static const struct { const char *text, *msg; } bad[] = {
		{ "[trunk a]\n", "missing key 'address'" },
		{ "[trunk a]\naddress = 2001:db8::1\n", "t.conf:2: [trunk a] address:" },
		{ "[trunk a]\naddress = 1.2.3.4:0\n", "t.conf:2: [trunk a] address:" },
		{ "[trunk a]\naddress = 1.2.3.4\ntransport = sctp\n", "t.conf:3: [trunk a] transport:" },
		{ "[trunk a]\naddress = 1.2.3.4\nkeepalive = 500ms\n", "t.conf:3: [trunk a] keepalive: at least 1s" },
		{ "[trunk a]\naddress = 1.2.3.4\nkeepalives = 5s\n", "t.conf:3: [trunk a] keepalives: unknown trunk key" },
		{ "[trunk a]\naddress = 1.2.3.4\n[trunk a]\n", "defined twice" },
		{ "[trunk]\naddress = 1.2.3.4\n", "needs a name" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(gw_conf_load_str(&conf, "t.conf", bad[i].text, &err), 0);
		set = NULL;
		assert_int_equal(gw_trunks_conf(&set, conf, &err), EINVAL);
		assert_null(set);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].msg);
		gw_conf_free(conf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acl),
		cmocka_unit_test(test_conf),
	};
	return cmocka_run_group_tests_name("gw_trunk", tests, NULL, NULL);
}
