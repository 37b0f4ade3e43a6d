/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the sip/dialog layer API used by the gateway: two dialog
 * layers, each on its own UA listening on 127.0.0.1 (free ports), call
 * each other over loopback UDP. A table of call flows says what each side
 * does on each event (progress, answer, BYE, CANCEL, re-INVITE, extra
 * header lines via sip_dialog_sess_set_hdrs, connect options) and the
 * exact events each side must see, each written as
 * "EVENT SCODE MSG [Header=value]... [+sdp] [r=SDP]" where MSG is what
 * sip_dialog_sess_msg() returned in the handler (method, status or "-").
 * Also: set_hdrs validation vectors, connect option checks, and that
 * sip_dialog_sess_msg() is NULL outside handlers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <uv.h>

#include "base/log.h"
#include "sip/dialog.h"
#include "sip/msg.h"
#include "sip/ua.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAXLOG 12

static const char sdp_a[] = "v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
			    "t=0 0\r\nm=audio 4000 RTP/AVP 8\r\n";
static const char sdp_b[] = "v=0\r\no=b 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
			    "t=0 0\r\nm=audio 5000 RTP/AVP 8\r\n";
static const char sdp_ans[] = "v=0\r\no=ans 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
			      "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n";
static const char sdp_opt[] = "v=0\r\no=opt 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
			      "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 18\r\n";

/* One call flow: what each side does, and the events each must see. */
struct tcase {
	const char *name;
	bool prack;                      /* both layers: 100rel supported */
	const struct sip_dialog_connect_opt *opt;
	/* UAS (called side) */
	uint16_t uas_prov;               /* on EV_INCOMING: this 1xx ... */
	bool uas_prov_sdp;
	const char *uas_prov_hdrs;       /* ... with these lines */
	uint16_t uas_answer;             /* final response on EV_INCOMING ... */
	bool uas_answer_on_prack;        /* ... or on EV_PRACKED */
	const char *uas_answer_hdrs;
	bool uas_bye_now;                /* sess_bye on EV_INCOMING after the 1xx (480) */
	bool uas_bye_est;                /* sess_bye on EV_ESTABLISHED */
	const char *uas_bye_hdrs;
	/* UAC (calling side) */
	bool uac_cancel;                 /* sess_bye on the first EV_PROGRESS */
	const char *uac_cancel_hdrs;
	const char *uac_answer_sdp;      /* set on EV_ESTABLISHED ... */
	bool uac_answer_on_progress;     /* ... or on the first EV_PROGRESS */
	bool uac_reinvite;               /* re-INVITE on EV_ESTABLISHED, BYE on EV_REFRESHED */
	bool uac_bye;                    /* sess_bye on EV_ESTABLISHED */
	const char *uac_bye_hdrs;
	const char *uac_log[MAXLOG];
	const char *uas_log[MAXLOG];
};

struct side {
	const char *name;
	bool uac;
	struct sip_ua *ua;
	struct sip_dialog_layer *dl;
	struct sip_tp_addr addr;         /* where the other side reaches it */
	struct sip_dialog_sess *s;       /* live session, NULL once ended */
	struct side *other;
	const struct tcase *tc;
	char log[MAXLOG][512];
	unsigned n;
	bool ended;
	bool progressed;
};

static uv_loop_t loop;
static struct side uac, uas;
static int user_marker;

static const char *sdp_name(const char *s)
{
	if (!s)
		return NULL;
	if (!strcmp(s, sdp_a))
		return "a";
	if (!strcmp(s, sdp_b))
		return "b";
	if (!strcmp(s, sdp_ans))
		return "ans";
	if (!strcmp(s, sdp_opt))
		return "opt";
	return "?";
}

/* Describe an event as the expectation strings of struct tcase do. */
static void describe(char *buf, size_t sz, struct sip_dialog_sess *s, enum sip_dialog_ev e,
		     uint16_t scode, const struct sip_msg *m)
{
	static const char *const names[] = { "Reason", "P-Asserted-Identity", "Privacy",
					     "Alert-Info", "P-Early-Media", "X-Test" };
	size_t n;
	const char *rs = sdp_name(sip_dialog_sess_remote_sdp(s));

	n = (size_t)snprintf(buf, sz, "%s %u ", sip_dialog_ev_name(e), scode);
	if (!m)
		n += (size_t)snprintf(buf + n, sz - n, "-");
	else if (m->req)
		n += (size_t)snprintf(buf + n, sz - n, "%.*s", (int)m->method.l, m->method.p);
	else
		n += (size_t)snprintf(buf + n, sz - n, "%u", m->scode);
	if (m && m->req && m->meth == SIP_METHOD_INVITE && e == SIP_DIALOG_EV_INCOMING) {
		n += (size_t)snprintf(buf + n, sz - n, " From=");
		if (m->from.dname.l)
			n += (size_t)snprintf(buf + n, sz - n, "\"%.*s\"", (int)m->from.dname.l,
					      m->from.dname.p);
		/* user@host: the ports are the test's free ports */
		n += (size_t)snprintf(buf + n, sz - n, "<%.*s@%.*s> To=<%.*s@%.*s>",
				      (int)m->from.uri.user.l, m->from.uri.user.p,
				      (int)m->from.uri.host.l, m->from.uri.host.p,
				      (int)m->to.uri.user.l, m->to.uri.user.p, (int)m->to.uri.host.l,
				      m->to.uri.host.p);
	}
	for (size_t i = 0; m && i < N(names); i++) {
		const struct sip_hdr *h = sip_msg_hdr_byname(m, names[i]);

		if (h)
			n += (size_t)snprintf(buf + n, sz - n, " %s=%.*s", names[i],
					      (int)h->val.l, h->val.p);
	}
	if (m && sip_dialog_msg_has_sdp(m))
		n += (size_t)snprintf(buf + n, sz - n, " +sdp");
	if (rs && n < sz)
		snprintf(buf + n, sz - n, " r=%s", rs);
}

static void act_hdrs(struct sip_dialog_sess *s, const char *hdrs)
{
	if (hdrs)
		assert_int_equal(sip_dialog_sess_set_hdrs(s, hdrs), 0);
}

static void on_event(struct sip_dialog_sess *s, enum sip_dialog_ev e, uint16_t scode, void *arg)
{
	struct side *sd = arg;
	const struct tcase *tc = sd->tc;
	const struct sip_msg *m = sip_dialog_sess_msg(s);

	/* the other layer is not inside a handler now */
	if (sd->other->s)
		assert_null(sip_dialog_sess_msg(sd->other->s));
	if (sd->uac && tc->opt && tc->opt->user)
		assert_ptr_equal(sip_dialog_sess_user(s), tc->opt->user);
	assert_true(sd->n < MAXLOG);
	describe(sd->log[sd->n++], sizeof(sd->log[0]), s, e, scode, m);
	if (e == SIP_DIALOG_EV_INCOMING)
		sd->s = s;

	switch (e) {
	case SIP_DIALOG_EV_INCOMING:
		assert_ptr_equal(sip_dialog_sess_peer(s)->peer.ss_family, AF_INET);
		assert_int_equal(sip_sa_port(&sip_dialog_sess_peer(s)->peer),
				 sip_sa_port(&uac.addr.peer));
		if (tc->uas_prov) {
			act_hdrs(s, tc->uas_prov_hdrs);
			assert_int_equal(sip_dialog_sess_progress(s, tc->uas_prov, tc->uas_prov_sdp),
					 0);
		}
		if (tc->uas_bye_now) {
			act_hdrs(s, tc->uas_bye_hdrs);
			assert_int_equal(sip_dialog_sess_bye(s), 0);
		} else if (tc->uas_answer && !tc->uas_answer_on_prack) {
			act_hdrs(s, tc->uas_answer_hdrs);
			assert_int_equal(sip_dialog_sess_answer(s, tc->uas_answer), 0);
		}
		break;
	case SIP_DIALOG_EV_PRACKED:
		if (tc->uas_answer && tc->uas_answer_on_prack) {
			act_hdrs(s, tc->uas_answer_hdrs);
			assert_int_equal(sip_dialog_sess_answer(s, tc->uas_answer), 0);
		}
		break;
	case SIP_DIALOG_EV_PROGRESS:
		if (tc->uac_answer_on_progress && !sd->progressed)
			assert_int_equal(sip_dialog_sess_set_sdp(s, tc->uac_answer_sdp), 0);
		if (tc->uac_cancel && !sd->progressed) {
			act_hdrs(s, tc->uac_cancel_hdrs);
			assert_int_equal(sip_dialog_sess_bye(s), 0);
		}
		sd->progressed = true;
		break;
	case SIP_DIALOG_EV_ESTABLISHED:
		if (sd->uac) {
			if (tc->uac_answer_sdp && !tc->uac_answer_on_progress)
				assert_int_equal(sip_dialog_sess_set_sdp(s, tc->uac_answer_sdp), 0);
			if (tc->uac_reinvite) {
				assert_int_equal(sip_dialog_sess_reinvite(s), 0);
			} else if (tc->uac_bye) {
				act_hdrs(s, tc->uac_bye_hdrs);
				assert_int_equal(sip_dialog_sess_bye(s), 0);
			}
		} else if (tc->uas_bye_est) {
			act_hdrs(s, tc->uas_bye_hdrs);
			assert_int_equal(sip_dialog_sess_bye(s), 0);
		}
		break;
	case SIP_DIALOG_EV_REFRESHED:
		if (sd->uac && tc->uac_bye) {
			act_hdrs(s, tc->uac_bye_hdrs);
			assert_int_equal(sip_dialog_sess_bye(s), 0);
		}
		break;
	case SIP_DIALOG_EV_TERMINATED:
		sd->ended = true;
		sd->s = NULL;
		break;
	default:
		break;
	}
	/* events raised inside our calls put the message back afterwards */
	if (e != SIP_DIALOG_EV_TERMINATED)
		assert_ptr_equal(sip_dialog_sess_msg(s), m);
}

static const char *const supported[] = { "100rel", "timer", NULL };

static void side_up(struct side *sd, const char *name, bool is_uac, const char *sdp, bool prack,
		    const struct tcase *tc)
{
	struct sip_ua_cfg cfg = { .supported = supported };
	struct sip_dialog_layer_cfg dcfg = {
		.user = name,
		.prack = prack ? SIP_PRACK_SUPPORTED : SIP_PRACK_OFF,
		.timer = { .enabled = false, .interval = 1800, .min_se = 90 },
		.sdp = sdp,
		.t1 = 100,
	};
	struct sockaddr_storage sa;

	memset(sd, 0, sizeof(*sd));
	sd->name = name;
	sd->uac = is_uac;
	sd->tc = tc;
	cfg.tsx.t1 = 100;
	assert_int_equal(sip_ua_alloc(&sd->ua, &loop, &cfg), 0);
	assert_int_equal(sip_ua_listen(sd->ua, SIP_TP_UDP, "127.0.0.1", 0), 0);
	assert_int_equal(sip_transp_laddr(sip_ua_transp(sd->ua), SIP_TP_UDP, AF_INET, &sa), 0);
	sd->addr.tp = SIP_TP_UDP;
	sd->addr.peer = sa;
	assert_int_equal(sip_dialog_layer_alloc(&sd->dl, sd->ua, &loop, &dcfg, on_event, sd), 0);
}

static void sides_up(const struct tcase *tc)
{
	assert_int_equal(uv_loop_init(&loop), 0);
	side_up(&uac, "alice", true, sdp_a, tc->prack, tc);
	side_up(&uas, "bob", false, sdp_b, tc->prack, tc);
	uac.other = &uas;
	uas.other = &uac;
}

static void close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void sides_down(void)
{
	sip_dialog_layer_free(uac.dl);
	sip_dialog_layer_free(uas.dl);
	sip_ua_free(uac.ua);
	sip_ua_free(uas.ua);
	uv_run(&loop, UV_RUN_NOWAIT);
	uv_walk(&loop, close_walk, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* Run the loop until both sides saw EV_TERMINATED (bounded: 5 s). */
static void run_calls(void)
{
	uint64_t end;

	uv_update_time(&loop);
	end = uv_now(&loop) + 5000;
	for (int i = 0; i < 100000 && !(uac.ended && uas.ended); i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		uv_update_time(&loop);
		if (uv_now(&loop) >= end)
			break;
		if (!(uac.ended && uas.ended))
			uv_sleep(1);
	}
	/* let the last responses and ACKs go out */
	for (int i = 0; i < 20; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		uv_sleep(1);
	}
}

static void check_log(const struct tcase *tc, const struct side *sd, const char *const *want)
{
	unsigned i;

	for (i = 0; i < MAXLOG && want[i]; i++) {
		if (i >= sd->n) {
			print_error("%s %s: missing event %u \"%s\"\n", tc->name, sd->name, i,
				    want[i]);
			fail();
		}
		if (strcmp(sd->log[i], want[i])) {
			print_error("%s %s event %u:\n got  \"%s\"\n want \"%s\"\n", tc->name,
				    sd->name, i, sd->log[i], want[i]);
			fail();
		}
	}
	if (sd->n != i) {
		print_error("%s %s: extra event \"%s\"\n", tc->name, sd->name, sd->log[i]);
		fail();
	}
}

static const struct sip_dialog_connect_opt opt_ident = {
	.from_uri = "sip:+4930123456@gw.example.net",
	.from_display = "Bob \"The Builder\" \\ Co",
	.to_uri = "sip:+4940999@pstn.example.net",
	.hdrs = "P-Asserted-Identity: <sip:+4930123456@gw.example.net>\r\nPrivacy: none\r\n",
	.user = &user_marker,
};

static const struct sip_dialog_connect_opt opt_nosdp = {
	.sdp = "",
	.user = &user_marker,
};

static const struct sip_dialog_connect_opt opt_sdp = {
	.sdp = sdp_opt,
	.from_display = "Plain",
};

static const struct tcase flows[] = {
	{
		.name = "486 with Reason",
		.uas_answer = 486,
		.uas_answer_hdrs = "Reason: Q.850;cause=17;text=\"User busy\"\r\n",
		.uac_log = { "terminated 486 486 Reason=Q.850;cause=17;text=\"User busy\"" },
		.uas_log = { "incoming 0 INVITE From=<alice@127.0.0.1> To=<bob@127.0.0.1> "
			     "+sdp r=a",
			     "terminated 486 - r=a" },
	},
	{
		.name = "PAI in 200, Reason on the caller's BYE",
		.uas_answer = 200,
		.uas_answer_hdrs = "P-Asserted-Identity: \"Bob\" <sip:+15551234@example.com>\r\n",
		.uac_bye = true,
		.uac_bye_hdrs = "Reason: Q.850;cause=16\r\n",
		.uac_log = { "established 200 200 P-Asserted-Identity=\"Bob\" "
			     "<sip:+15551234@example.com> +sdp r=b",
			     "terminated 0 - r=b" },
		.uas_log = { "incoming 0 INVITE From=<alice@127.0.0.1> To=<bob@127.0.0.1> "
			     "+sdp r=a",
			     "established 200 ACK r=a", "terminated 0 BYE Reason=Q.850;cause=16 r=a" },
	},
	{
		.name = "Reason on the callee's BYE",
		.uas_answer = 200,
		.uas_bye_est = true,
		.uas_bye_hdrs = "Reason: Q.850;cause=31\r\nX-Test: 1\r\n",
		.uac_log = { "established 200 200 +sdp r=b",
			     "terminated 0 BYE Reason=Q.850;cause=31 X-Test=1 r=b" },
		.uas_log = { "incoming 0 INVITE From=<alice@127.0.0.1> To=<bob@127.0.0.1> "
			     "+sdp r=a",
			     "established 200 ACK r=a", "terminated 0 - r=a" },
	},
	{
		.name = "Reason on CANCEL",
		.uas_prov = 180,
		.uas_prov_hdrs = "Alert-Info: <urn:alert:tone:normal>\r\n",
		.uac_cancel = true,
		.uac_cancel_hdrs = "Reason: SIP;cause=200;text=\"Call completed elsewhere\"\r\n"
				   "X-Test: not in CANCEL\r\nReason: Q.850;cause=26\r\n",
		.uac_log = { "progress 180 180 Alert-Info=<urn:alert:tone:normal>",
			     "terminated 487 487" },
		.uas_log = { "incoming 0 INVITE From=<alice@127.0.0.1> To=<bob@127.0.0.1> "
			     "+sdp r=a",
			     "terminated 487 CANCEL Reason=SIP;cause=200;text=\"Call completed "
			     "elsewhere\", Q.850;cause=26 r=a" },
	},
	{
		.name = "480 with Reason after a 180 with its own lines",
		.uas_prov = 180,
		.uas_prov_hdrs = "Alert-Info: <urn:alert:tone:normal>\r\n",
		.uas_bye_now = true,
		.uas_bye_hdrs = "Reason: Q.850;cause=18\r\n",
		.uac_log = { "progress 180 180 Alert-Info=<urn:alert:tone:normal>",
			     "terminated 480 480 Reason=Q.850;cause=18" },
		.uas_log = { "incoming 0 INVITE From=<alice@127.0.0.1> To=<bob@127.0.0.1> "
			     "+sdp r=a",
			     "terminated 480 - r=a" },
	},
	{
		.name = "connect_opt: From display quoted, From/To URIs, extra lines",
		.opt = &opt_ident,
		.uas_answer = 603,
		.uac_log = { "terminated 603 603" },
		.uas_log = { "incoming 0 INVITE From=\"Bob \\\"The Builder\\\" \\\\ Co\""
			     "<+4930123456@gw.example.net> To=<+4940999@pstn.example.net> "
			     "P-Asserted-Identity=<sip:+4930123456@gw.example.net> Privacy=none "
			     "+sdp r=a",
			     "terminated 603 - r=a" },
	},
	{
		.name = "connect_opt: our own offer",
		.opt = &opt_sdp,
		.uas_answer = 200,
		.uac_bye = true,
		.uac_log = { "established 200 200 +sdp r=b", "terminated 0 - r=b" },
		.uas_log = { "incoming 0 INVITE From=\"Plain\"<alice@127.0.0.1> "
			     "To=<bob@127.0.0.1> +sdp r=opt",
			     "established 200 ACK r=opt", "terminated 0 BYE r=opt" },
	},
	{
		.name = "INVITE without SDP: offer in 2xx, answer in ACK",
		.opt = &opt_nosdp,
		.uas_answer = 200,
		.uas_bye_est = true,
		.uac_answer_sdp = sdp_ans,
		.uac_log = { "established 200 200 +sdp r=b", "terminated 0 BYE r=b" },
		.uas_log = { "incoming 0 INVITE From=<alice@127.0.0.1> To=<bob@127.0.0.1>",
			     "established 200 ACK +sdp r=ans", "terminated 0 - r=ans" },
	},
	{
		.name = "INVITE without SDP, BYE from the EV_ESTABLISHED handler",
		.opt = &opt_nosdp,
		.uas_answer = 200,
		.uac_answer_sdp = sdp_ans,
		.uac_bye = true,
		.uac_log = { "established 200 200 +sdp r=b", "terminated 0 - r=b" },
		.uas_log = { "incoming 0 INVITE From=<alice@127.0.0.1> To=<bob@127.0.0.1>",
			     "established 200 ACK +sdp r=ans", "terminated 0 BYE r=ans" },
	},
	{
		.name = "INVITE without SDP, offer in a reliable 183, answer in the PRACK",
		.prack = true,
		.opt = &opt_nosdp,
		.uas_prov = 183,
		.uas_prov_sdp = true,
		.uas_answer = 200,
		.uas_answer_on_prack = true,
		.uac_answer_sdp = sdp_ans,
		.uac_answer_on_progress = true,
		.uac_bye = true,
		.uac_log = { "progress 183 183 +sdp r=b", "established 200 200 r=b",
			     "terminated 0 - r=b" },
		.uas_log = { "incoming 0 INVITE From=<alice@127.0.0.1> To=<bob@127.0.0.1>",
			     "pracked 200 PRACK +sdp r=ans", "established 200 ACK r=ans",
			     "terminated 0 BYE r=ans" },
	},
	{
		.name = "reliable 183 with lines, PRACK, re-INVITE",
		.prack = true,
		.uas_prov = 183,
		.uas_prov_sdp = true,
		.uas_prov_hdrs = "P-Early-Media: sendrecv\r\n",
		.uas_answer = 200,
		.uas_answer_on_prack = true,
		.uac_reinvite = true,
		.uac_bye = true,
		.uac_log = { "progress 183 183 P-Early-Media=sendrecv +sdp r=b",
			     "established 200 200 r=b", "refreshed 200 200 +sdp r=b",
			     "terminated 0 - r=b" },
		.uas_log = { "incoming 0 INVITE From=<alice@127.0.0.1> To=<bob@127.0.0.1> "
			     "+sdp r=a",
			     "pracked 200 PRACK r=a", "established 200 ACK r=a",
			     "offer 0 INVITE +sdp r=a", "refreshed 200 INVITE +sdp r=a",
			     "terminated 0 BYE r=a" },
	},
};

static void test_flows(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(flows); i++) {
		const struct tcase *tc = &flows[i];
		struct sip_dialog_sess *s = NULL;
		char uri[64], hp[48];

		sides_up(tc);
		assert_int_equal(sip_sa_print(&uas.addr.peer, hp, sizeof(hp)), 0);
		snprintf(uri, sizeof(uri), "sip:bob@%s", hp);
		if (tc->opt)
			assert_int_equal(sip_dialog_connect_opt(uac.dl, &s, uri, &uas.addr, tc->opt),
					 0);
		else
			assert_int_equal(sip_dialog_connect(uac.dl, &s, uri, &uas.addr), 0);
		uac.s = s;
		assert_null(sip_dialog_sess_msg(s));
		assert_int_equal(sip_sa_port(&sip_dialog_sess_peer(s)->peer),
				 sip_sa_port(&uas.addr.peer));
		if (tc->opt && tc->opt->user)
			assert_ptr_equal(sip_dialog_sess_user(s), tc->opt->user);
		run_calls();
		check_log(tc, &uac, tc->uac_log);
		check_log(tc, &uas, tc->uas_log);
		assert_int_equal(sip_dialog_layer_sessions(uac.dl), 0);
		assert_int_equal(sip_dialog_layer_sessions(uas.dl), 0);
		sides_down();
	}
}

/* sip_dialog_sess_set_hdrs: which lines are accepted. */
static void test_set_hdrs(void **state)
{
	static const struct {
		const char *hdrs;
		int err;
	} v[] = {
		{ "", 0 },
		{ "Reason: Q.850;cause=16\r\n", 0 },
		{ "P-Asserted-Identity: <sip:+1@x>\r\nPrivacy: id\r\n", 0 },
		{ "X-Foo : bar\r\n", 0 },
		{ "X-Empty:\r\n", 0 },
		{ "Reason: Q.850;cause=16;text=\"caf\xc3\xa9\tok\"\r\n", 0 },
		{ "Reason: x", EINVAL },
		{ "Reason: x\n", EINVAL },
		{ "Reason: x\r", EINVAL },
		{ "Reason: x\r\r\n", EINVAL },
		{ "Reason: a\nb\r\n", EINVAL },
		{ "Reason: a\x01" "b\r\n", EINVAL },
		{ "Reason: a\x7f\r\n", EINVAL },
		{ "\r\n", EINVAL },
		{ "Reason: x\r\n\r\n", EINVAL },
		{ "Reason x\r\n", EINVAL },
		{ ": x\r\n", EINVAL },
		{ " Reason: x\r\n", EINVAL },
		{ "Reason: a\r\n b\r\n", EINVAL },
		{ "Re@son: x\r\n", EINVAL },
		{ "Reason: ok\r\nVia: SIP/2.0/UDP h\r\n", EINVAL },
		{ "Via: SIP/2.0/UDP h\r\n", EINVAL },
		{ "v: SIP/2.0/UDP h\r\n", EINVAL },
		{ "From: <sip:a@b>\r\n", EINVAL },
		{ "f: <sip:a@b>\r\n", EINVAL },
		{ "TO: <sip:a@b>\r\n", EINVAL },
		{ "t: <sip:a@b>\r\n", EINVAL },
		{ "Call-ID: x\r\n", EINVAL },
		{ "i: x\r\n", EINVAL },
		{ "CSeq: 1 BYE\r\n", EINVAL },
		{ "Contact: <sip:x@y>\r\n", EINVAL },
		{ "m: <sip:x@y>\r\n", EINVAL },
		{ "Content-Type: text/plain\r\n", EINVAL },
		{ "c: text/plain\r\n", EINVAL },
		{ "Content-Length: 0\r\n", EINVAL },
		{ "l: 0\r\n", EINVAL },
		{ "e: gzip\r\n", EINVAL },
		{ "content-disposition: session\r\n", EINVAL },
		{ "Content-Language: en\r\n", EINVAL },
		{ "Max-Forwards: 1\r\n", EINVAL },
		{ "max-forwards : 1\r\n", EINVAL },
	};
	static const struct tcase tc = { .name = "set_hdrs" };
	struct sip_dialog_sess *s = NULL;
	char *big;
	(void)state;

	sides_up(&tc);
	assert_int_equal(sip_dialog_connect(uac.dl, &s, "sip:bob@127.0.0.1", &uas.addr), 0);
	for (size_t i = 0; i < N(v); i++) {
		int err = sip_dialog_sess_set_hdrs(s, v[i].hdrs);

		if (err != v[i].err) {
			print_error("vector %zu \"%s\": %d, want %d\n", i, v[i].hdrs, err,
				    v[i].err);
			fail();
		}
	}
	big = malloc(5000);
	assert_non_null(big);
	memset(big, 'a', 4990);
	memcpy(big, "X-Big: ", 7);
	memcpy(big + 4990, "\r\n", 3);
	assert_int_equal(sip_dialog_sess_set_hdrs(s, big), EINVAL);
	free(big);
	assert_int_equal(sip_dialog_sess_set_hdrs(s, NULL), 0);
	assert_null(sip_dialog_sess_msg(s));
	sides_down();
}

/* sip_dialog_connect_opt: bad options create no session. */
static void test_connect_opt_bad(void **state)
{
	static const struct sip_dialog_connect_opt bad[] = {
		{ .hdrs = "Via: SIP/2.0/UDP x\r\n" },
		{ .hdrs = "Reason: no crlf" },
		{ .from_display = "two\r\nlines" },
		{ .from_uri = "sip:a@b>\r\nX: y" },
		{ .from_uri = "sip:a b@c" },
		{ .from_uri = "" },
		{ .to_uri = "no-scheme" },
		{ .to_uri = "sip:x@y\"" },
	};
	static const struct tcase tc = { .name = "connect_opt" };
	struct sip_dialog_sess *s = NULL;
	(void)state;

	sides_up(&tc);
	for (size_t i = 0; i < N(bad); i++) {
		s = NULL;
		assert_int_equal(sip_dialog_connect_opt(uac.dl, &s, "sip:bob@127.0.0.1", &uas.addr,
							&bad[i]),
				 EINVAL);
		assert_null(s);
		assert_int_equal(sip_dialog_layer_sessions(uac.dl), 0);
	}
	assert_int_equal(sip_dialog_connect_opt(uac.dl, &s, NULL, &uas.addr, NULL), EINVAL);
	sides_down();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flows),
		cmocka_unit_test(test_set_hdrs),
		cmocka_unit_test(test_connect_opt_bad),
	};

	log_set_level(LOGL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
