/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sipdlg: a test user agent for the SIP dialog layer (sip/dialog): INVITE
 * sessions with reliable provisional responses and PRACK (RFC 3262),
 * session timers (RFC 4028), re-INVITE and UPDATE in both directions
 * (RFC 3261 §14, RFC 3311), digest authentication, BYE. Used with sipp in
 * tests/integration/sip_dialog_sipp.sh.
 *
 *   sipdlg -l ADDR:PORT [-t udp|tcp] [-D key=value,...] [-v]
 *          UAS:  [-P CODE[s]] [-A MS] [-X CODE] [-J LINE]... [-Y LINE]...
 *          UAC:  [-c URI [-p HOST:PORT] [-n COUNT]] [-F DISPLAY] [-I LINE]... [-N]
 *                [-K MS]
 *          both: [-i MS] [-u MS] [-b MS] [-e N] [-T T1_MS] [-H LINE]...
 *
 * -D  dialog layer policy (see sip_dialog_layer_cfg_parse)
 * -P  provisional response to incoming INVITEs (e.g. 180, or 183s: with SDP)
 * -A  answer incoming INVITEs with 200 after MS ms (default 0)
 * -X  reject incoming INVITEs with CODE instead
 * -c  call URI (COUNT calls, one after the other)
 * -i/-u/-b  MS after establishment: send re-INVITE / UPDATE / BYE
 * -e  exit after N sessions ended (default: with -c, COUNT; else never)
 * -T  SIP timer T1 in ms for transactions and reliable 1xx (default 500)
 * -H  a header line ("Name: value", e.g. a Reason) added with
 *     sip_dialog_sess_set_hdrs to each message that ends a session: the
 *     rejection (-X), the BYE, the CANCEL (repeat -H for more lines)
 * -J  a header line added to the provisional response of -P (repeatable;
 *     a reliable one keeps it in its retransmissions)
 * -Y  a header line added to the 200 answer (repeatable)
 * -F  From display name of our INVITEs (sip_dialog_connect_opt)
 * -I  a header line added to our INVITEs (repeatable)
 * -N  send INVITEs without SDP: answer the offer of the 2xx in the ACK
 * -K  cancel our INVITE MS ms after sending it; a call then counts as
 *     done when it ends with 487
 * Every event is logged with the message that raised it
 * (sip_dialog_sess_msg): "event NAME msg METHOD|STATUS|- [Reason: ...]".
 * Offers in incoming INVITEs, re-INVITEs, UPDATEs and PRACKs are answered
 * with sip/sdp (PCMA, PCMU, telephone-event; 488 when nothing matches);
 * without an offer, and as UAC, the fixed SDP below is offered.
 * At exit (or SIGTERM) prints one line "STATS key=value ..." with the
 * layer counters, and exits 0 when every UAC call was established and
 * ended by BYE.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/log.h"
#include "sip/dialog.h"
#include "sip/msg.h"
#include "sip/sdp.h"
#include "sip/ua.h"

#define MOD "sipdlg"

struct app {
	uv_loop_t *loop;
	struct sip_ua *ua;
	struct sip_dialog_layer *dl;
	enum sip_tp tp;
	/* UAS */
	uint16_t prov;
	bool prov_sdp;
	uint32_t answer_ms;
	uint16_t reject;
	/* after establishment */
	uint32_t reinvite_ms, update_ms, bye_ms;
	/* UAC */
	const char *target;
	struct sip_tp_addr dst;
	uint32_t count, started, ok, failed;
	const char *display;  /* -F */
	char invite_hdrs[1024];   /* -I lines, CRLF each */
	bool no_sdp;          /* -N */
	uint32_t cancel_ms;   /* -K */
	char end_hdrs[1024];  /* -H lines, CRLF each */
	char prov_hdrs[1024]; /* -J */
	char ans_hdrs[1024];  /* -Y */
	uint32_t exit_after, ended;
	uv_signal_t sigterm, sigint;
	int exit_code;
	/* SDP answers to incoming offers (sip/sdp): PCMA, PCMU, events */
	struct sdp_caps caps;
	struct sdp_origin origin;
	struct sdp_session *offer, *answer;
	struct sdp_neg neg;
	uint64_t sdp_answers, sdp_488;
};

/* Per-session timers of the tool (the layer has its own). */
struct sess_ctx {
	struct app *app;
	struct sip_dialog_sess *s;
	uv_timer_t answer, act;
	unsigned step; /* 0 reinvite, 1 update, 2 bye */
	bool established;
};

static void ctx_closed(uv_handle_t *h)
{
	struct sess_ctx *c = h->data;

	if (h == (uv_handle_t *)&c->act)
		free(c);
}

static void ctx_free(struct sess_ctx *c)
{
	uv_close((uv_handle_t *)&c->answer, NULL);
	uv_close((uv_handle_t *)&c->act, ctx_closed);
}

static struct sess_ctx *ctx_new(struct app *app, struct sip_dialog_sess *s)
{
	struct sess_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->app = app;
	c->s = s;
	uv_timer_init(app->loop, &c->answer);
	uv_timer_init(app->loop, &c->act);
	c->answer.data = c->act.data = c;
	sip_dialog_sess_set_user(s, c);
	return c;
}

static void start_call(struct app *app);
static void end_hdrs(struct app *app, struct sip_dialog_sess *s);

/*
 * Negotiate an answer to the offer in the peer's INVITE with sip/sdp and
 * make it this session's SDP. Returns 0, or 488 when nothing is usable.
 */
static uint16_t sdp_negotiate(struct app *app, struct sip_dialog_sess *s)
{
	const char *rs = sip_dialog_sess_remote_sdp(s);
	struct sdp_local loc = { .caps = &app->caps, .audio_port = 40000,
				 .dir = SDP_DIR_SENDRECV };
	struct pl body;
	char buf[2048];
	int err;

	if (!rs)
		return 0; /* no offer: the layer offers the default SDP */
	body = pl_from_str(rs);
	sdp_conn_set(&loc.addr, "127.0.0.1");
	if (sdp_decode(app->offer, &body)) {
		LOGW(MOD, "offer: cannot parse");
		return 488;
	}
	err = sdp_answer(app->answer, &app->neg, &loc, app->offer);
	if (err) {
		LOGW(MOD, "offer: nothing usable (%s, warn %u)", strerror(err), app->neg.warn);
		app->sdp_488++;
		return 488;
	}
	if (sdp_origin_stamp(&app->origin, app->answer) ||
	    sdp_encode(app->answer, buf, sizeof(buf), NULL) || sip_dialog_sess_set_sdp(s, buf))
		return 500;
	app->sdp_answers++;
	LOGI(MOD, "answer: %s/%u pt %u", app->neg.streamv[0].codec, app->neg.streamv[0].clock,
	     app->neg.streamv[0].pt);
	return 0;
}

/* Next post-establishment action: re-INVITE, UPDATE, BYE, in that order. */
static void act_arm(struct sess_ctx *c);

static void act_cb(uv_timer_t *t)
{
	struct sess_ctx *c = t->data;
	struct app *app = c->app;
	int err = 0;

	switch (c->step++) {
	case 0:
		err = sip_dialog_sess_reinvite(c->s);
		LOGI(MOD, "re-INVITE: %s", err ? strerror(err) : "sent");
		break;
	case 1:
		err = sip_dialog_sess_update(c->s);
		LOGI(MOD, "UPDATE: %s", err ? strerror(err) : "sent");
		break;
	case 2:
		end_hdrs(app, c->s);
		err = sip_dialog_sess_bye(c->s);
		LOGI(MOD, "BYE: %s", err ? strerror(err) : "sent");
		return;
	default:
		return;
	}
	(void)app;
	if (!err || c->step <= 2)
		act_arm(c);
}

static void act_arm(struct sess_ctx *c)
{
	struct app *app = c->app;
	uint32_t ms[3] = { app->reinvite_ms, app->update_ms, app->bye_ms };

	while (c->step < 3 && !ms[c->step])
		c->step++;
	if (c->step < 3)
		uv_timer_start(&c->act, act_cb, ms[c->step], 0);
}

static void answer_cb(uv_timer_t *t)
{
	struct sess_ctx *c = t->data;
	int err;

	if (sip_dialog_sess_is_uac(c->s)) {
		/* -K: give up on our INVITE (CANCEL) */
		end_hdrs(c->app, c->s);
		err = sip_dialog_sess_bye(c->s);
		LOGI(MOD, "CANCEL: %s", err ? strerror(err) : "requested");
		return;
	}
	if (c->app->ans_hdrs[0] && sip_dialog_sess_set_hdrs(c->s, c->app->ans_hdrs))
		LOGW(MOD, "-Y lines refused");
	err = sip_dialog_sess_answer(c->s, 200);
	if (err)
		LOGW(MOD, "answer: %s", strerror(err));
}

/* -H: the lines for the next message that ends session s. */
static void end_hdrs(struct app *app, struct sip_dialog_sess *s)
{
	int err;

	if (!app->end_hdrs[0])
		return;
	err = sip_dialog_sess_set_hdrs(s, app->end_hdrs);
	if (err)
		LOGW(MOD, "-H lines refused: %s", strerror(err));
}

/* Log the message that raised the event, with its Reason if any. */
static void log_msg_of(struct sip_dialog_sess *s, enum sip_dialog_ev ev)
{
	const struct sip_msg *m = sip_dialog_sess_msg(s);
	const struct sip_hdr *h = m ? sip_msg_hdr(m, SIP_HDR_REASON) : NULL;
	char what[32];

	if (!m)
		snprintf(what, sizeof(what), "-");
	else if (m->req)
		snprintf(what, sizeof(what), "%.*s", (int)m->method.l, m->method.p);
	else
		snprintf(what, sizeof(what), "%u", m->scode);
	LOGN(MOD, "event %s msg %s%s%.*s", sip_dialog_ev_name(ev), what, h ? " Reason: " : "",
	     h ? (int)h->val.l : 0, h ? h->val.p : "");
}

static void on_event(struct sip_dialog_sess *s, enum sip_dialog_ev ev, uint16_t scode, void *arg)
{
	struct app *app = arg;
	struct sess_ctx *c = sip_dialog_sess_user(s);
	int err;

	LOGN(MOD, "session %s: %s %u", sip_dialog_sess_dialog(s) ? sip_dialog_sess_dialog(s)->call_id : "-",
	     sip_dialog_ev_name(ev), scode);
	log_msg_of(s, ev);
	switch (ev) {
	case SIP_DIALOG_EV_INCOMING:
		c = ctx_new(app, s);
		if (!c) {
			sip_dialog_sess_answer(s, 500);
			return;
		}
		if (app->reject) {
			end_hdrs(app, s);
			sip_dialog_sess_answer(s, app->reject);
			return;
		}
		{
			uint16_t sc = sdp_negotiate(app, s);

			if (sc) {
				sip_dialog_sess_answer(s, sc);
				return;
			}
		}
		if (app->prov) {
			if (app->prov_hdrs[0] && sip_dialog_sess_set_hdrs(s, app->prov_hdrs))
				LOGW(MOD, "-J lines refused");
			err = sip_dialog_sess_progress(s, app->prov, app->prov_sdp);
			if (err)
				LOGW(MOD, "progress: %s", strerror(err));
		}
		uv_timer_start(&c->answer, answer_cb, app->answer_ms, 0);
		break;
	case SIP_DIALOG_EV_OFFER: {
		uint16_t sc = sdp_negotiate(app, s);

		if (sc)
			sip_dialog_sess_reject_offer(s, sc);
		break;
	}
	case SIP_DIALOG_EV_ESTABLISHED:
		if (c && !c->established) {
			c->established = true;
			uv_timer_stop(&c->answer);
			if (app->no_sdp && sip_dialog_sess_is_uac(s)) {
				/* the 2xx carried the offer: our answer goes in the ACK */
				uint16_t sc = sdp_negotiate(app, s);

				if (sc)
					LOGW(MOD, "offer in 2xx: %u", sc);
			}
			act_arm(c);
		}
		break;
	case SIP_DIALOG_EV_TERMINATED:
		if (c) {
			if (sip_dialog_sess_is_uac(s)) {
				if ((c->established && scode == 0) ||
				    (app->cancel_ms && !c->established && scode == 487))
					app->ok++;
				else
					app->failed++;
			}
			ctx_free(c);
		} else if (sip_dialog_sess_is_uac(s)) {
			app->failed++;
		}
		app->ended++;
		if (app->target && app->started < app->count)
			start_call(app);
		if (app->exit_after && app->ended >= app->exit_after)
			uv_stop(app->loop);
		break;
	default:
		break;
	}
}

static void start_call(struct app *app)
{
	struct sip_dialog_sess *s;
	int err;

	struct sip_dialog_connect_opt opt = {
		.from_display = app->display,
		.hdrs = app->invite_hdrs[0] ? app->invite_hdrs : NULL,
		.sdp = app->no_sdp ? "" : NULL,
	};
	struct sess_ctx *c;

	app->started++;
	err = sip_dialog_connect_opt(app->dl, &s, app->target, &app->dst, &opt);
	if (err) {
		LOGE(MOD, "call %s: %s", app->target, strerror(err));
		app->failed++;
		app->ended++;
		if (app->exit_after && app->ended >= app->exit_after)
			uv_stop(app->loop);
		return;
	}
	c = ctx_new(app, s);
	if (!c)
		sip_dialog_sess_bye(s);
	else if (app->cancel_ms)
		uv_timer_start(&c->answer, answer_cb, app->cancel_ms, 0);
}

static void on_signal(uv_signal_t *sg, int signum)
{
	(void)signum;
	uv_stop(sg->loop);
}

static void close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static int parse_hostport(const char *s, char *host, size_t hsz, uint16_t *port)
{
	const char *c = strrchr(s, ':');
	size_t n;

	if (!c || c == s)
		return EINVAL;
	n = (size_t)(c - s);
	if (s[0] == '[' && n >= 2 && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= hsz)
		return EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	*port = (uint16_t)atoi(c + 1);
	return *port ? 0 : EINVAL;
}

static void print_stats(const struct app *app)
{
	struct sip_dialog_layer_stats st;

	sip_dialog_layer_stats(app->dl, &st);
	printf("STATS sess_uas=%llu sess_uac=%llu established=%llu terminated=%llu "
	       "rel1xx_tx=%llu rel1xx_retx=%llu prack_rx=%llu prack_481=%llu prack_tx=%llu "
	       "prack_timeout=%llu reinvite_rx=%llu reinvite_tx=%llu update_rx=%llu "
	       "update_tx=%llu refresh_ok=%llu glare_491_tx=%llu glare_491_rx=%llu "
	       "glare_retry=%llu cseq_500=%llu retry_500=%llu retry_500_tx=%llu st_422_tx=%llu "
	       "st_422_rx=%llu "
	       "st_refresh=%llu st_expired=%llu auth_challenge_tx=%llu auth_ok=%llu "
	       "auth_fail=%llu auth_answer_tx=%llu bye_rx=%llu bye_tx=%llu "
	       "fork_extra_2xx=%llu req_481=%llu calls_ok=%u calls_failed=%u sdp_answers=%llu "
	       "sdp_488=%llu\n",
	       (unsigned long long)st.sess_uas, (unsigned long long)st.sess_uac,
	       (unsigned long long)st.established, (unsigned long long)st.terminated,
	       (unsigned long long)st.rel1xx_tx, (unsigned long long)st.rel1xx_retx,
	       (unsigned long long)st.prack_rx, (unsigned long long)st.prack_481,
	       (unsigned long long)st.prack_tx, (unsigned long long)st.prack_timeout,
	       (unsigned long long)st.reinvite_rx, (unsigned long long)st.reinvite_tx,
	       (unsigned long long)st.update_rx, (unsigned long long)st.update_tx,
	       (unsigned long long)st.refresh_ok, (unsigned long long)st.glare_491_tx,
	       (unsigned long long)st.glare_491_rx, (unsigned long long)st.glare_retry,
	       (unsigned long long)st.cseq_500, (unsigned long long)st.retry_500,
	       (unsigned long long)st.retry_500_tx,
	       (unsigned long long)st.st_422_tx, (unsigned long long)st.st_422_rx,
	       (unsigned long long)st.st_refresh, (unsigned long long)st.st_expired,
	       (unsigned long long)st.auth_challenge_tx, (unsigned long long)st.auth_ok,
	       (unsigned long long)st.auth_fail, (unsigned long long)st.auth_answer_tx,
	       (unsigned long long)st.bye_rx, (unsigned long long)st.bye_tx,
	       (unsigned long long)st.fork_extra_2xx, (unsigned long long)st.req_481, app->ok,
	       app->failed, (unsigned long long)app->sdp_answers,
	       (unsigned long long)app->sdp_488);
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr, "usage: sipdlg -l ADDR:PORT [-t udp|tcp] [-D key=value,...] [-v]\n"
			"              [-P CODE[s]] [-A MS] [-X CODE] [-J LINE]... [-Y LINE]...\n"
			"              [-c URI [-p HOST:PORT] [-n COUNT]] [-F DISPLAY] [-I LINE]...\n"
			"              [-N] [-K MS]\n"
			"              [-i MS] [-u MS] [-b MS] [-e N] [-T T1_MS] [-H LINE]...\n");
}

int main(int argc, char **argv)
{
	static const char *const supported[] = { "100rel", "timer", NULL };
	static char store[2048];
	static const char sdp[] = "v=0\r\n"
				  "o=pstngw 1 1 IN IP4 127.0.0.1\r\n"
				  "s=-\r\n"
				  "c=IN IP4 127.0.0.1\r\n"
				  "t=0 0\r\n"
				  "m=audio 40000 RTP/AVP 8 101\r\n"
				  "a=rtpmap:8 PCMA/8000\r\n"
				  "a=rtpmap:101 telephone-event/8000\r\n"
				  "a=fmtp:101 0-15\r\n"
				  "a=sendrecv\r\n";
	struct app app;
	struct sip_ua_cfg cfg;
	struct sip_dialog_layer_cfg dcfg = {
		.user = "sipdlg",
		.prack = SIP_PRACK_SUPPORTED,
		.timer = { .enabled = false, .interval = 1800, .min_se = 90,
			   .prefer = SIP_REFRESHER_UAS },
		.sdp = sdp,
	};
	const char *listen = NULL, *nexthop = NULL, *dopts = NULL;
	char laddr[64], perr[160];
	uint16_t lport;
	bool verbose = false;
	uint32_t t1 = 0;
	int opt, err;

	memset(&app, 0, sizeof(app));
	memset(&cfg, 0, sizeof(cfg));
	app.tp = SIP_TP_UDP;
	app.count = 1;
	cfg.user_agent = "pstngw-sipdlg";
	cfg.supported = supported;
	cfg.allow = "INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO";

	while ((opt = getopt(argc, argv, "l:t:D:vP:A:X:c:p:n:i:u:b:e:T:H:F:I:NK:J:Y:h")) != -1) {
		switch (opt) {
		case 'l': listen = optarg; break;
		case 't':
			if (!strcmp(optarg, "tcp"))
				app.tp = SIP_TP_TCP;
			else if (strcmp(optarg, "udp")) {
				usage();
				return 2;
			}
			break;
		case 'D': dopts = optarg; break;
		case 'v': verbose = true; break;
		case 'P':
			app.prov = (uint16_t)atoi(optarg);
			app.prov_sdp = strchr(optarg, 's') != NULL;
			break;
		case 'A': app.answer_ms = (uint32_t)atoi(optarg); break;
		case 'X': app.reject = (uint16_t)atoi(optarg); break;
		case 'c': app.target = optarg; break;
		case 'p': nexthop = optarg; break;
		case 'n': app.count = (uint32_t)atoi(optarg); break;
		case 'i': app.reinvite_ms = (uint32_t)atoi(optarg); break;
		case 'u': app.update_ms = (uint32_t)atoi(optarg); break;
		case 'b': app.bye_ms = (uint32_t)atoi(optarg); break;
		case 'e': app.exit_after = (uint32_t)atoi(optarg); break;
		case 'T': t1 = (uint32_t)atoi(optarg); break;
		case 'H':
		case 'I':
		case 'J':
		case 'Y': {
			char *buf = opt == 'H'	? app.end_hdrs
				    : opt == 'I' ? app.invite_hdrs
				    : opt == 'J' ? app.prov_hdrs
						 : app.ans_hdrs;
			size_t n = strlen(buf);

			if (n + strlen(optarg) + 3 > sizeof(app.end_hdrs)) {
				usage();
				return 2;
			}
			snprintf(buf + n, sizeof(app.end_hdrs) - n, "%s\r\n", optarg);
			break;
		}
		case 'F': app.display = optarg; break;
		case 'N': app.no_sdp = true; break;
		case 'K': app.cancel_ms = (uint32_t)atoi(optarg); break;
		default: usage(); return 2;
		}
	}
	if (!listen || parse_hostport(listen, laddr, sizeof(laddr), &lport)) {
		usage();
		return 2;
	}
	if (dopts && sip_dialog_layer_cfg_parse(&dcfg, dopts, store, sizeof(store), perr,
						sizeof(perr))) {
		fprintf(stderr, "sipdlg: -D: %s\n", perr);
		return 2;
	}
	log_set_level(verbose ? LOGL_DEBUG : LOGL_INFO);
	{
		static const struct sdp_codec codecs[] = {
			{ .name = "PCMA", .clock = 8000, .pt = 8 },
			{ .name = "PCMU", .clock = 8000, .pt = 0 },
		};
		struct sdp_conn lc;

		app.caps.codecv = codecs;
		app.caps.ncodec = 2;
		app.caps.dtmf = true;
		app.caps.dtmf_pt = 101;
		app.offer = calloc(1, sizeof(*app.offer));
		app.answer = calloc(1, sizeof(*app.answer));
		if (!app.offer || !app.answer || sdp_conn_set(&lc, "127.0.0.1") ||
		    sdp_origin_init(&app.origin, "pstngw", &lc)) {
			fprintf(stderr, "sipdlg: SDP set-up failed\n");
			return 1;
		}
	}
	if (t1) {
		cfg.tsx.t1 = t1;
		if (!dcfg.t1)
			dcfg.t1 = t1;
	}

	app.loop = uv_default_loop();
	err = sip_ua_alloc(&app.ua, app.loop, &cfg);
	if (!err)
		err = sip_ua_listen(app.ua, app.tp, laddr, lport);
	if (!err)
		err = sip_dialog_layer_alloc(&app.dl, app.ua, app.loop, &dcfg, on_event, &app);
	if (err) {
		LOGE(MOD, "start on %s: %s", listen, strerror(err));
		return 1;
	}
	uv_signal_init(app.loop, &app.sigterm);
	uv_signal_init(app.loop, &app.sigint);
	uv_signal_start(&app.sigterm, on_signal, SIGTERM);
	uv_signal_start(&app.sigint, on_signal, SIGINT);

	if (app.target) {
		char host[64];
		uint16_t port = 5060;
		struct sip_uri u;
		struct pl t = pl_from_str(app.target);

		if (nexthop) {
			if (parse_hostport(nexthop, host, sizeof(host), &port)) {
				usage();
				return 2;
			}
		} else if (!sip_uri_decode(&u, &t) && u.host.l < sizeof(host)) {
			pl_strcpy(&u.host, host, sizeof(host));
			if (u.port)
				port = u.port;
		} else {
			LOGE(MOD, "bad URI %s", app.target);
			return 2;
		}
		app.dst.tp = app.tp;
		if (sip_sa_set(&app.dst.peer, host, port)) {
			LOGE(MOD, "next hop must be a numeric address: %s", host);
			return 2;
		}
		if (!app.exit_after)
			app.exit_after = app.count;
		start_call(&app);
	}
	LOGN(MOD, "listening on %s/%s", listen, sip_tp_name(app.tp));
	uv_run(app.loop, UV_RUN_DEFAULT);

	print_stats(&app);
	if (app.target && (app.ok < app.count || app.failed))
		app.exit_code = 1;
	sip_dialog_layer_free(app.dl);
	sip_ua_free(app.ua);
	uv_walk(app.loop, close_walk, NULL);
	uv_run(app.loop, UV_RUN_DEFAULT);
	uv_loop_close(app.loop);
	free(app.offer);
	free(app.answer);
	return app.exit_code;
}
