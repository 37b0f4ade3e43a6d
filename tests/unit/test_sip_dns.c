/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for sip/dns against a real DNS server: dnsmasq is started on
 * 127.0.0.1 and a free high port with NAPTR, SRV and A/AAAA records
 * (no upstream, no hosts file), and killed at the end (also if this
 * process dies: PR_SET_PDEATHSIG). Covers numeric hosts, host:port,
 * NAPTR -> SRV -> A/AAAA ordering, the SRV and A fallbacks, sips,
 * transport filters, RFC 2782 weights, NXDOMAIN, timeout against a
 * silent server, cancel and freeing with queries in flight.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "sip/dns.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static pid_t dnsmasq_pid = -1;
static char servers[64];

static const char *const records[] = {
	"--host-record=a.test,127.0.0.10",
	"--host-record=b.test,127.0.0.11,::11",
	"--host-record=c.test,127.0.0.12",
	"--host-record=plain.test,127.0.0.20",
	/* NAPTR: TCP first (order 10), then UDP; SCTP and E.164 ignored */
	"--naptr-record=naptr.test,5,50,s,SIP+D2S,,_sip._sctp.naptr.test",
	"--naptr-record=naptr.test,10,50,s,SIP+D2T,,_sip._tcp.naptr.test",
	"--naptr-record=naptr.test,20,50,s,SIP+D2U,,_sip._udp.naptr.test",
	"--naptr-record=naptr.test,30,50,u,E2U+sip,!^.*$!sip:x@y!,",
	"--srv-host=_sip._sctp.naptr.test,a.test,5069,10,0",
	"--srv-host=_sip._tcp.naptr.test,b.test,5071,20,0",
	"--srv-host=_sip._tcp.naptr.test,a.test,5070,10,0",
	"--srv-host=_sip._udp.naptr.test,c.test,5072,10,0",
	/* no NAPTR: SRV per transport */
	"--srv-host=_sip._udp.srv.test,a.test,5080,10,60",
	"--srv-host=_sip._udp.srv.test,b.test,5081,10,40",
	"--srv-host=_sip._tcp.srv.test,c.test,5082,10,0",
	/* sips */
	"--naptr-record=secure.test,10,10,s,SIP+D2U,,_sip._udp.secure.test",
	"--naptr-record=secure.test,20,10,s,SIPS+D2T,,_sips._tcp.secure.test",
	"--srv-host=_sip._udp.secure.test,c.test,5090,0,0",
	"--srv-host=_sips._tcp.secure.test,a.test,5061,0,0",
	/* SRV pointing at a name without addresses, then a good one */
	"--srv-host=_sip._udp.broken.test,nowhere.test,5000,1,0",
	"--srv-host=_sip._udp.broken.test,c.test,5001,2,0",
};

static uint16_t free_port(int type)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, type, 0);
	uint16_t port = 0;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sin, sizeof(sin)) &&
	    !getsockname(fd, (struct sockaddr *)&sin, &sl))
		port = ntohs(sin.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static bool have_dnsmasq(const char **path)
{
	static const char *const paths[] = { "/usr/sbin/dnsmasq", "/sbin/dnsmasq",
					     "/usr/bin/dnsmasq" };
	for (size_t i = 0; i < N(paths); i++) {
		if (!access(paths[i], X_OK)) {
			*path = paths[i];
			return true;
		}
	}
	return false;
}

static int start_dnsmasq(void)
{
	const char *path;
	char portarg[32];
	const char *argv[64];
	size_t n = 0;
	uint16_t port = free_port(SOCK_DGRAM);

	if (!have_dnsmasq(&path) || !port)
		return -1;
	snprintf(portarg, sizeof(portarg), "--port=%u", port);
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", port);
	argv[n++] = path;
	argv[n++] = "--keep-in-foreground";
	argv[n++] = "--conf-file=/dev/null";
	argv[n++] = "--no-resolv";
	argv[n++] = "--no-hosts";
	argv[n++] = "--no-negcache";
	argv[n++] = "--pid-file=";
	argv[n++] = "--listen-address=127.0.0.1";
	argv[n++] = "--bind-interfaces";
	argv[n++] = "--local=/test/";
	argv[n++] = portarg;
	if (geteuid() == 0)
		argv[n++] = "--user=root";
	for (size_t i = 0; i < N(records); i++)
		argv[n++] = records[i];
	argv[n] = NULL;

	dnsmasq_pid = fork();
	if (dnsmasq_pid < 0)
		return -1;
	if (dnsmasq_pid == 0) {
		/* never outlive the test */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		freopen("/dev/null", "w", stdout);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	return 0;
}

static void stop_dnsmasq(void)
{
	if (dnsmasq_pid > 0) {
		kill(dnsmasq_pid, SIGTERM);
		for (int i = 0; i < 50; i++) {
			if (waitpid(dnsmasq_pid, NULL, WNOHANG) == dnsmasq_pid) {
				dnsmasq_pid = -1;
				return;
			}
			usleep(20000);
		}
		kill(dnsmasq_pid, SIGKILL);
		waitpid(dnsmasq_pid, NULL, 0);
		dnsmasq_pid = -1;
	}
}

/* ---- running one resolution ---------------------------------------------- */

struct result {
	bool done;
	int calls;
	int err;
	size_t n;
	char text[2048];
};

static void fmt_target(const struct sip_dns_target *t, char *buf, size_t sz)
{
	char ip[INET6_ADDRSTRLEN];
	if (t->addr.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)&t->addr;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(buf, sz, "%s %s:%u", sip_dns_tp_name(t->tp), ip,
			 ntohs(s->sin_port));
	} else {
		const struct sockaddr_in6 *s = (const void *)&t->addr;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(buf, sz, "%s [%s]:%u", sip_dns_tp_name(t->tp), ip,
			 ntohs(s->sin6_port));
	}
}

static void result_h(int err, const struct sip_dns_target *tv, size_t n,
		     void *arg)
{
	struct result *r = arg;
	r->done = true;
	r->calls++;
	r->err = err;
	r->n = n;
	r->text[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char one[128];
		fmt_target(&tv[i], one, sizeof(one));
		if (i)
			strcat(r->text, ", ");
		strcat(r->text, one);
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Run the loop until r->done or ms elapsed (bounded in count and time). */
static void run_until(uv_loop_t *loop, struct result *r, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	for (int i = 0; i < 100000 && (!r || !r->done) && now_ms() < end; i++)
		uv_run(loop, UV_RUN_NOWAIT), usleep(200);
}

static void close_loop(uv_loop_t *loop)
{
	/* everything the resolver opened must close */
	for (int i = 0; i < 1000 && uv_loop_alive(loop); i++)
		uv_run(loop, UV_RUN_NOWAIT), usleep(1000);
	assert_int_equal(uv_loop_close(loop), 0);
}

static int resolve_one(const struct sip_dns_conf *conf, const char *host,
		       uint16_t port, enum sip_dns_tp tp, bool sips,
		       struct result *r)
{
	uv_loop_t loop;
	struct sip_dns *dns;
	struct pl h = pl_from_str(host);
	int err;

	memset(r, 0, sizeof(*r));
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(sip_dns_alloc(&dns, &loop, conf), 0);
	err = sip_dns_resolve(dns, NULL, &h, port, tp, sips, result_h, r);
	if (!err) {
		/* never called from inside sip_dns_resolve() */
		assert_false(r->done);
		run_until(&loop, r, 5000);
		assert_true(r->done);
	}
	sip_dns_free(dns);
	close_loop(&loop);
	assert_true(r->calls <= 1);
	return err;
}

static int setup(void **state)
{
	(void)state;
	if (start_dnsmasq())
		return 0; /* tests skip */
	/* wait until it answers (bounded) */
	struct sip_dns_conf conf = { .servers = servers, .timeout_ms = 300,
				     .family = AF_INET };
	for (int i = 0; i < 50; i++) {
		struct result r;
		resolve_one(&conf, "a.test", 5060, SIP_DNS_TP_ANY, false, &r);
		if (r.err == 0)
			return 0;
		usleep(100000);
	}
	stop_dnsmasq();
	return -1;
}

static int teardown(void **state)
{
	(void)state;
	stop_dnsmasq();
	return 0;
}

static void test_numeric(void **state)
{
	static const struct {
		const char *host;
		uint16_t port;
		enum sip_dns_tp tp;
		bool sips;
		const char *expect;
	} testv[] = {
		{ "192.0.2.1", 0, SIP_DNS_TP_ANY, false, "UDP 192.0.2.1:5060" },
		{ "192.0.2.1", 5070, SIP_DNS_TP_TCP, false, "TCP 192.0.2.1:5070" },
		{ "[2001:db8::1]", 0, SIP_DNS_TP_ANY, true,
		  "TLS [2001:db8::1]:5061" },
		{ "2001:db8::1", 0, SIP_DNS_TP_TLS, false, "TLS [2001:db8::1]:5061" },
		{ "10.0.0.1", 0, SIP_DNS_TP_TCP, true, "TLS 10.0.0.1:5061" },
	};
	/* no server at all: no lookup may happen */
	struct sip_dns_conf conf = { .servers = "127.0.0.1:9", .timeout_ms = 200 };
	(void)state;
	for (size_t i = 0; i < N(testv); i++) {
		struct result r;
		assert_int_equal(resolve_one(&conf, testv[i].host, testv[i].port,
					     testv[i].tp, testv[i].sips, &r), 0);
		assert_int_equal(r.err, 0);
		assert_string_equal(r.text, testv[i].expect);
	}
}

static void test_lookup(void **state)
{
	static const struct {
		const char *host;
		uint16_t port;
		enum sip_dns_tp tp;
		bool sips;
		unsigned tp_mask;
		int err;
		const char *expect;
	} testv[] = {
		/* port given: A only, no SRV (RFC 3263 §4.2) */
		{ "a.test", 5099, SIP_DNS_TP_ANY, false, 0, 0, "UDP 127.0.0.10:5099" },
		{ "naptr.test", 0, SIP_DNS_TP_ANY, false, 0, 0,
		  "TCP 127.0.0.10:5070, TCP 127.0.0.11:5071, UDP 127.0.0.12:5072" },
		/* UDP only: the TCP NAPTR is skipped */
		{ "naptr.test", 0, SIP_DNS_TP_ANY, false, 1u << SIP_DNS_TP_UDP, 0,
		  "UDP 127.0.0.12:5072" },
		/* transport given: straight to its SRV */
		{ "naptr.test", 0, SIP_DNS_TP_UDP, false, 0, 0,
		  "UDP 127.0.0.12:5072" },
		{ "srv.test", 0, SIP_DNS_TP_TCP, false, 0, 0, "TCP 127.0.0.12:5082" },
		/* no NAPTR, no SRV: A with the default port */
		{ "plain.test", 0, SIP_DNS_TP_ANY, false, 0, 0,
		  "UDP 127.0.0.20:5060" },
		{ "plain.test", 0, SIP_DNS_TP_TCP, false, 0, 0,
		  "TCP 127.0.0.20:5060" },
		{ "plain.test", 0, SIP_DNS_TP_ANY, true, 0, 0,
		  "TLS 127.0.0.20:5061" },
		/* sips: only SIPS+D2T */
		{ "secure.test", 0, SIP_DNS_TP_ANY, true, 0, 0,
		  "TLS 127.0.0.10:5061" },
		{ "secure.test", 0, SIP_DNS_TP_ANY, false, 0, 0,
		  "UDP 127.0.0.12:5090, TLS 127.0.0.10:5061" },
		/* an SRV target without address is skipped */
		{ "broken.test", 0, SIP_DNS_TP_UDP, false, 0, 0,
		  "UDP 127.0.0.12:5001" },
		{ "nx.test", 0, SIP_DNS_TP_ANY, false, 0, ENOENT, "" },
		{ "nx.test", 5060, SIP_DNS_TP_ANY, false, 0, ENOENT, "" },
	};
	(void)state;
	if (dnsmasq_pid < 0)
		skip();
	for (size_t i = 0; i < N(testv); i++) {
		struct sip_dns_conf conf = { .servers = servers,
					     .timeout_ms = 3000,
					     .family = AF_INET,
					     .tp_mask = testv[i].tp_mask,
					     .seed = 1 };
		struct result r;
		assert_int_equal(resolve_one(&conf, testv[i].host, testv[i].port,
					     testv[i].tp, testv[i].sips, &r), 0);
		if (r.err != testv[i].err || strcmp(r.text, testv[i].expect))
			fail_msg("vector %zu (%s): err %d \"%s\", expected %d \"%s\"",
				 i, testv[i].host, r.err, r.text, testv[i].err,
				 testv[i].expect);
	}
}

static void test_ipv6_and_family(void **state)
{
	struct sip_dns_conf conf = { .servers = servers, .timeout_ms = 3000,
				     .seed = 1 };
	struct result r;
	(void)state;
	if (dnsmasq_pid < 0)
		skip();
	/* both families of b.test, in some order */
	conf.family = AF_UNSPEC;
	assert_int_equal(resolve_one(&conf, "b.test", 5060, SIP_DNS_TP_TCP,
				     false, &r), 0);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.n, 2);
	assert_non_null(strstr(r.text, "TCP 127.0.0.11:5060"));
	assert_non_null(strstr(r.text, "TCP [::11]:5060"));
	conf.family = AF_INET6;
	assert_int_equal(resolve_one(&conf, "b.test", 0, SIP_DNS_TP_ANY, false,
				     &r), 0);
	assert_string_equal(r.text, "UDP [::11]:5060");
	/* a.test has no AAAA */
	assert_int_equal(resolve_one(&conf, "a.test", 5060, SIP_DNS_TP_ANY,
				     false, &r), 0);
	assert_int_equal(r.err, ENOENT);
}

/* RFC 2782 weights 60/40 over many seeds; srv.test without a transport:
 * no NAPTR, so _sip._udp then _sip._tcp. */
static void test_srv_weights(void **state)
{
	int a_first = 0, runs = 100;
	(void)state;
	if (dnsmasq_pid < 0)
		skip();
	for (int i = 0; i < runs; i++) {
		struct sip_dns_conf conf = { .servers = servers,
					     .timeout_ms = 3000,
					     .family = AF_INET,
					     .seed = (uint64_t)i * 7919 + 1 };
		struct result r;
		assert_int_equal(resolve_one(&conf, "srv.test", 0,
					     SIP_DNS_TP_ANY, false, &r), 0);
		assert_int_equal(r.err, 0);
		assert_int_equal(r.n, 3);
		if (!strcmp(r.text, "UDP 127.0.0.10:5080, UDP 127.0.0.11:5081, "
				    "TCP 127.0.0.12:5082"))
			a_first++;
		else
			assert_string_equal(r.text,
					    "UDP 127.0.0.11:5081, UDP 127.0.0.10:5080, "
					    "TCP 127.0.0.12:5082");
	}
	/* deterministic seeds: a fixed count; it must reflect 60/40 */
	if (a_first < 45 || a_first > 75)
		fail_msg("weight 60 first in %d of %d runs", a_first, runs);
}

/* A UDP socket that never answers. */
static int blackhole(char *csv, size_t sz)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	snprintf(csv, sz, "127.0.0.1:%u", ntohs(sin.sin_port));
	return fd;
}

static void test_timeout_cancel(void **state)
{
	char csv[64];
	int fd = blackhole(csv, sizeof(csv));
	struct sip_dns_conf conf = { .servers = csv, .timeout_ms = 300 };
	struct result r, r2;
	uv_loop_t loop;
	struct sip_dns *dns;
	struct sip_dns_query *q = NULL;
	struct pl h = PL("silent.test");
	(void)state;

	assert_int_equal(resolve_one(&conf, "silent.test", 0, SIP_DNS_TP_ANY,
				     false, &r), 0);
	assert_int_equal(r.err, ETIMEDOUT);
	assert_int_equal(r.n, 0);

	/* cancel: the handler never runs, the other query still does */
	memset(&r, 0, sizeof(r));
	memset(&r2, 0, sizeof(r2));
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(sip_dns_alloc(&dns, &loop, &conf), 0);
	assert_int_equal(sip_dns_resolve(dns, &q, &h, 0, SIP_DNS_TP_ANY, false,
					 result_h, &r), 0);
	assert_non_null(q);
	assert_int_equal(sip_dns_resolve(dns, NULL, &h, 0, SIP_DNS_TP_UDP,
					 false, result_h, &r2), 0);
	run_until(&loop, NULL, 50);
	sip_dns_cancel(q);
	run_until(&loop, &r2, 2000);
	assert_true(r2.done);
	assert_int_equal(r2.err, ETIMEDOUT);
	run_until(&loop, NULL, 400);
	assert_false(r.done);

	/* free with queries in flight (NAPTR and A/AAAA stages): no
	 * handler, every handle closed, nothing leaked (ASan build) */
	assert_int_equal(sip_dns_resolve(dns, NULL, &h, 0, SIP_DNS_TP_ANY,
					 false, result_h, &r), 0);
	assert_int_equal(sip_dns_resolve(dns, NULL, &h, 5060, SIP_DNS_TP_ANY,
					 false, result_h, &r), 0);
	run_until(&loop, NULL, 20);
	sip_dns_free(dns);
	close_loop(&loop);
	assert_false(r.done);
	close(fd);
}

/* Freeing the resolver from inside a result handler. */
struct reentry {
	struct sip_dns *dns;
	struct result r;
};

static void free_in_handler(int err, const struct sip_dns_target *tv,
			    size_t n, void *arg)
{
	struct reentry *x = arg;
	result_h(err, tv, n, &x->r);
	sip_dns_free(x->dns);
}

static void test_args_reentry(void **state)
{
	struct sip_dns_conf conf = { .servers = "127.0.0.1:9", .timeout_ms = 200 };
	struct reentry x;
	uv_loop_t loop;
	struct sip_dns *dns;
	struct pl bad[] = { PL(""), PL("a b"), PL("[]"), PL("a\x01") };
	(void)state;

	memset(&x, 0, sizeof(x));
	assert_int_equal(uv_loop_init(&loop), 0);
	struct sip_dns_conf bconf = { .servers = "not an address" };
	assert_int_equal(sip_dns_alloc(&dns, &loop, &bconf), EINVAL);
	bconf.servers = NULL;
	bconf.family = 12345;
	assert_int_equal(sip_dns_alloc(&dns, &loop, &bconf), EINVAL);
	assert_int_equal(sip_dns_alloc(&dns, &loop, &conf), 0);
	for (size_t i = 0; i < N(bad); i++)
		assert_int_equal(sip_dns_resolve(dns, NULL, &bad[i], 0,
						 SIP_DNS_TP_ANY, false, result_h,
						 &x.r), EINVAL);
	/* /etc/hosts only when asked for */
	struct result r;
	struct sip_dns_conf hconf = { .servers = "127.0.0.1:9",
				      .timeout_ms = 300, .family = AF_INET,
				      .use_hosts = true };
	assert_int_equal(resolve_one(&hconf, "localhost", 5070, SIP_DNS_TP_TCP,
				     false, &r), 0);
	assert_int_equal(r.err, 0);
	assert_string_equal(r.text, "TCP 127.0.0.1:5070");
	hconf.use_hosts = false;
	assert_int_equal(resolve_one(&hconf, "localhost", 5070, SIP_DNS_TP_TCP,
				     false, &r), 0);
	assert_int_not_equal(r.err, 0);

	struct pl h = PL("192.0.2.7");
	x.dns = dns;
	assert_int_equal(sip_dns_resolve(dns, NULL, &h, 0, SIP_DNS_TP_ANY,
					 false, free_in_handler, &x), 0);
	run_until(&loop, &x.r, 2000);
	assert_true(x.r.done);
	assert_string_equal(x.r.text, "UDP 192.0.2.7:5060");
	close_loop(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numeric),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_ipv6_and_family),
		cmocka_unit_test(test_srv_weights),
		cmocka_unit_test(test_timeout_cancel),
		cmocka_unit_test(test_args_reentry),
	};
	return cmocka_run_group_tests_name("sip_dns", tests, setup, teardown);
}
