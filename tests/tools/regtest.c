/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * regtest: drives one sip/reg binding (RFC 3261 §10.2 REGISTER client) on
 * the UA core against a registrar, for integration tests.
 *
 *   regtest -l IP:PORT -r IP:PORT -a sip:user@domain [-u AUTHUSER -p PASS]
 *           [-e EXPIRES] [-R RETRY_S] [-n OKS] [-f FAILS] [-t MAX_MS]
 *
 * Prints "listening on ...", one "STATE name status granted" line per
 * state change, and at the end "STATS key=value ...". It stops the
 * binding (REGISTER with Expires: 0 when one exists) after -n successful
 * registrations/refreshes, -f failures or -t ms (default 20000), waits up
 * to 3 s for the unregister to end, and exits 0 (2 on usage errors).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/log.h"
#include "sip/reg.h"
#include "sip/transport.h"
#include "sip/ua.h"

struct app {
	uv_loop_t *loop;
	struct sip_reg *reg;
	uv_timer_t tmax, tpoll;
	unsigned want_ok, want_fail;
	bool stopping;
	int rc;
};

static int split_hostport(const char *s, char *ip, size_t sz, uint16_t *port)
{
	const char *c = strrchr(s, ':');
	long p;

	if (!c || (size_t)(c - s) >= sz)
		return EINVAL;
	memcpy(ip, s, (size_t)(c - s));
	ip[c - s] = '\0';
	p = strtol(c + 1, NULL, 10);
	if (p <= 0 || p > 65535)
		return EINVAL;
	*port = (uint16_t)p;
	return 0;
}

static void close_all(struct app *a)
{
	uv_timer_stop(&a->tmax);
	uv_timer_stop(&a->tpoll);
	uv_stop(a->loop);
}

static void end_cb(uv_timer_t *t)
{
	close_all(t->data);
}

static void do_stop(struct app *a)
{
	if (a->stopping)
		return;
	a->stopping = true;
	sip_reg_stop(a->reg);
	if (sip_reg_state(a->reg) == SIP_REG_IDLE) {
		close_all(a);
		return;
	}
	/* wait (bounded) for the unregister to end */
	uv_timer_start(&a->tmax, end_cb, 3000, 0);
}

static void state_h(struct sip_reg *reg, enum sip_reg_state st, uint16_t scode, void *arg)
{
	struct app *a = arg;

	printf("STATE %s %u %u\n", sip_reg_state_name(st), scode, sip_reg_granted(reg));
	fflush(stdout);
	if (a->stopping && st == SIP_REG_IDLE)
		close_all(a);
}

/* Counters are checked on a short poll: refreshes change no state. */
static void poll_cb(uv_timer_t *t)
{
	struct app *a = t->data;
	struct sip_reg_stats st;

	sip_reg_stats(a->reg, &st);
	if ((a->want_ok && st.ok >= a->want_ok) || (a->want_fail && st.fail >= a->want_fail))
		do_stop(a);
}

static void max_cb(uv_timer_t *t)
{
	do_stop(t->data);
}

static void sig_cb(uv_signal_t *s, int signum)
{
	(void)signum;
	do_stop(s->data);
}

int main(int argc, char **argv)
{
	const char *laddr = NULL, *raddr = NULL;
	struct sip_reg_cfg cfg = { 0 };
	struct app a = { 0 };
	struct sip_ua *ua;
	struct sip_reg_stats st;
	uv_signal_t sig;
	uv_loop_t loop;
	char ip[64];
	uint16_t port;
	long max_ms = 20000;
	int c, err;

	while ((c = getopt(argc, argv, "l:r:a:u:p:e:R:n:f:t:c:")) != -1) {
		switch (c) {
		case 'l': laddr = optarg; break;
		case 'r': raddr = optarg; break;
		case 'a': cfg.aor = optarg; break;
		case 'c': cfg.contact = optarg; break;
		case 'u': cfg.auth_user = optarg; break;
		case 'p': cfg.password = optarg; break;
		case 'e': cfg.expires = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'R': cfg.retry_s = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'n': a.want_ok = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'f': a.want_fail = (unsigned)strtoul(optarg, NULL, 10); break;
		case 't': max_ms = strtol(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (!laddr || !raddr || !cfg.aor || max_ms <= 0 || max_ms > 600000)
		goto usage;

	log_set_level(LOGL_INFO);
	uv_loop_init(&loop);
	a.loop = &loop;
	if (sip_ua_alloc(&ua, &loop, NULL))
		return 1;
	if (split_hostport(laddr, ip, sizeof(ip), &port) ||
	    (err = sip_ua_listen(ua, SIP_TP_UDP, ip, port))) {
		fprintf(stderr, "cannot listen on %s\n", laddr);
		return 1;
	}
	printf("listening on %s\n", laddr);
	cfg.registrar.tp = SIP_TP_UDP;
	if (split_hostport(raddr, ip, sizeof(ip), &port) ||
	    sip_sa_set(&cfg.registrar.peer, ip, port))
		goto usage;
	err = sip_reg_alloc(&a.reg, ua, &loop, &cfg, state_h, &a);
	if (err) {
		fprintf(stderr, "sip_reg_alloc: %s\n", strerror(err));
		return 1;
	}
	uv_timer_init(&loop, &a.tmax);
	a.tmax.data = &a;
	uv_timer_init(&loop, &a.tpoll);
	a.tpoll.data = &a;
	uv_signal_init(&loop, &sig);
	sig.data = &a;
	uv_signal_start(&sig, sig_cb, SIGTERM);
	uv_timer_start(&a.tmax, max_cb, (uint64_t)max_ms, 0);
	uv_timer_start(&a.tpoll, poll_cb, 20, 20);
	sip_reg_start(a.reg);
	fflush(stdout);
	uv_run(&loop, UV_RUN_DEFAULT);

	sip_reg_stats(a.reg, &st);
	printf("STATS tx=%llu auth=%llu ok=%llu fail=%llu i423=%llu final=%s last=%u\n",
	       (unsigned long long)st.tx_register, (unsigned long long)st.auth_answered,
	       (unsigned long long)st.ok, (unsigned long long)st.fail,
	       (unsigned long long)st.interval_423, sip_reg_state_name(sip_reg_state(a.reg)),
	       sip_reg_last_status(a.reg));
	sip_reg_free(a.reg);
	sip_ua_free(ua);
	uv_close((uv_handle_t *)&a.tmax, NULL);
	uv_close((uv_handle_t *)&a.tpoll, NULL);
	uv_close((uv_handle_t *)&sig, NULL);
	for (int i = 0; i < 100 && uv_run(&loop, UV_RUN_NOWAIT); i++)
		;
	uv_loop_close(&loop);
	return a.rc;
usage:
	fprintf(stderr, "usage: regtest -l IP:PORT -r IP:PORT -a sip:user@domain "
			"[-u AUTHUSER -p PASS] [-e EXPIRES] [-R RETRY_S] [-n OKS] "
			"[-f FAILS] [-t MAX_MS] [-c CONTACT]\n");
	return 2;
}
