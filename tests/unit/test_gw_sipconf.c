/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for gw/sipconf: the [sip] section and listen items. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "gw/conf.h"
#include "gw/sipconf.h"

static void test_listen_items(void **state)
{
	static const struct {
		const char *in;
		int err;
		enum sip_tp tp;
		const char *addr;
		uint16_t port;
	} testv[] = {
		{ "udp:127.0.0.1:5060", 0, SIP_TP_UDP, "127.0.0.1", 5060 },
		{ "TCP:0.0.0.0:5080", 0, SIP_TP_TCP, "0.0.0.0", 5080 },
		{ "udp:[::1]:5060", 0, SIP_TP_UDP, "::1", 5060 },
		{ "tcp:[2001:db8::1]:0", 0, SIP_TP_TCP, "2001:db8::1", 0 },
		{ "tls:127.0.0.1:5061", EINVAL, 0, NULL, 0 },
		{ "udp:localhost:5060", EINVAL, 0, NULL, 0 },
		{ "udp:127.0.0.1", EINVAL, 0, NULL, 0 },
		{ "udp:127.0.0.1:65536", EINVAL, 0, NULL, 0 },
		{ "udp:127.0.0.1:-1", EINVAL, 0, NULL, 0 },
		{ "udp:::1:5060", EINVAL, 0, NULL, 0 },
		{ "udp:[::1]5060", EINVAL, 0, NULL, 0 },
		{ "udp::5060", EINVAL, 0, NULL, 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(testv) / sizeof(testv[0]); i++) {
		struct gw_sip_listen l;
		int r = gw_sipconf_parse_listen(testv[i].in, &l);
		if (r != testv[i].err)
			fail_msg("'%s': %d want %d", testv[i].in, r, testv[i].err);
		if (r)
			continue;
		assert_int_equal(l.tp, testv[i].tp);
		assert_string_equal(l.addr, testv[i].addr);
		assert_int_equal(l.port, testv[i].port);
	}
}

static void test_section(void **state)
{
	struct gw_conf *conf;
	struct gw_conf_err err;
	struct gw_sipconf a, b;
	(void)state;

	assert_int_equal(gw_conf_load_str(&conf, "s.conf", "[general]\n", &err), 0);
	assert_int_equal(gw_sipconf_read(&a, conf, &err), 0);
	assert_int_equal(a.nlisten, 2);
	assert_int_equal(a.ua.tsx.t1, 500);
	gw_conf_free(conf);

	assert_int_equal(gw_conf_load_str(&conf, "s.conf",
		"[sip]\nlisten = udp:[::1]:5070\nt1 = 250ms\nt2 = 2s\nflood_rate = 100\n", &err), 0);
	assert_int_equal(gw_sipconf_read(&b, conf, &err), 0);
	assert_int_equal(b.nlisten, 1);
	assert_int_equal(b.ua.tsx.t1, 250);
	assert_int_equal(b.ua.tsx.t2, 2000);
	assert_int_equal(b.ua.tp.flood_rate, 100);
	assert_true(gw_sipconf_listen_changed(&a, &b));
	assert_false(gw_sipconf_listen_changed(&b, &b));
	gw_conf_free(conf);

	static const struct { const char *text, *msg; } bad[] = {
		{ "[sip]\nlisten = udp:1.2.3.4:1, udp:1.2.3.4:1\n", "s.conf:2: [sip] listen: 'udp:1.2.3.4:1' listed twice" },
		{ "[sip]\nlisten = ,\n", "no socket" },
		{ "[sip]\nt1 = 4s\nt2 = 1s\n", "s.conf:3: [sip] t2: must not be below t1" },
		{ "[sip]\nt1 = 10\n", "s.conf:2: [sip] t1:" },
		{ "[sip]\nmax_connections = 0\n", "s.conf:2: [sip] max_connections:" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(gw_conf_load_str(&conf, "s.conf", bad[i].text, &err), 0);
		assert_int_equal(gw_sipconf_read(&a, conf, &err), EINVAL);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("'%s' lacks '%s'", err.msg, bad[i].msg);
		gw_conf_free(conf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen_items),
		cmocka_unit_test(test_section),
	};
	return cmocka_run_group_tests_name("gw_sipconf", tests, NULL, NULL);
}
