/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pritest: a gateway-side driver for integration tests, standing in for
 * the call model: one span through gw/span and the virtual backend
 * (gw/tdm_virt) with gw/pri on top, in the user or network role. It
 * places and receives calls and sends/measures audio on them (tones, DTMF,
 * noise, a bit-exact pattern, T.30 fax from a TIFF) through a control
 * socket with the same commands as pstnsim.
 *
 *   pritest -s SPANSOCK -C CTLSOCK [-t e1|t1] [-n cpe|net] [-w SWITCH]
 *           [-o] [-p answer|ring] [-P PCAP] [-T] [-d]
 *   pritest -x CTLSOCK WORDS...
 *
 * The media engines, call records and control server are pstnsim's
 * (tests/pstnsim/), compiled into this single-file tool.
 */
#include "tests/pstnsim/media.c"
#include "tests/pstnsim/ctlsrv.c"
#include "tests/pstnsim/calls.c"

#include <getopt.h>
#include <signal.h>
#include <stddef.h>

#include "gw/span.h"
#include "gw/tdm_virt.h"

#undef MOD
#define MOD "pritest"

struct drv {
	uv_loop_t *loop;
	struct gw_span *span;
	struct gw_span_cfg cfg;
	struct gw_pri *pri;
	struct gw_pri_conf pconf;
	struct sim_calls calls;
	struct sim_line line;
	struct ctlsrv *ctl;
	uv_timer_t quit_timer;
	uv_signal_t sigint, sigterm;
	bool up;
	unsigned alarms;
};

static int frame_out(const uint8_t *frame, size_t len, void *arg)
{
	/* gw/pri hands both handlers the same argument: the line */
	struct drv *d = (struct drv *)((char *)arg - offsetof(struct drv, line));

	return gw_span_hdlc_send(d->span, frame, len);
}

static void span_hdlc(struct gw_span *span, const uint8_t *frame, size_t len,
		      void *arg)
{
	struct drv *d = arg;

	(void)span;
	gw_pri_recv(d->pri, frame, len);
}

static void span_alarm(struct gw_span *span, unsigned alarms, bool up,
		       void *arg)
{
	struct drv *d = arg;
	char buf[64];

	(void)span;
	d->alarms = alarms;
	d->up = up;
	LOGN(MOD, "span %u: %s, alarms %s", d->cfg.id, up ? "up" : "down",
	     gw_span_alarm_str(alarms, buf, sizeof(buf)));
	gw_pri_l1_state(d->pri, up && !(alarms & GW_ALARM_RED));
}

static void span_tick(struct gw_span *span, const struct gw_span_tick *t,
		      void *arg)
{
	struct drv *d = arg;

	(void)span;
	sim_line_rx(&d->line, t->rx, t->nchan);
	sim_line_tx(&d->line, t->tx, t->nchan);
}

static void quit_cb(uv_timer_t *t)
{
	uv_stop(t->loop);
}

static void ctl_cmd(int argc, char **argv, struct ctl_reply *r, void *arg)
{
	struct drv *d = arg;
	const char *cmd = argv[0];
	char buf[64];
	int err;

	if (sim_calls_command(&d->calls, argc, argv, r))
		return;
	if (!strcmp(cmd, "status")) {
		ctl_printf(r, "span %u %s %s %s line %s alarms %s link %s "
			   "idle %u busy %u restarting %u down %u oos %u\n",
			   d->cfg.id, d->pconf.e1 ? "e1" : "t1",
			   gw_pri_switch_name(d->pconf.sw),
			   d->pconf.node == GW_PRI_NET ? "net" : "cpe",
			   d->up ? "up" : "down",
			   gw_span_alarm_str(d->alarms, buf, sizeof(buf)),
			   gw_pri_link_up(d->pri) ? "up" : "down",
			   gw_pri_chan_count(d->pri, GW_PRI_CH_IDLE),
			   gw_pri_chan_count(d->pri, GW_PRI_CH_BUSY),
			   gw_pri_chan_count(d->pri, GW_PRI_CH_RESTARTING),
			   gw_pri_chan_count(d->pri, GW_PRI_CH_DOWN),
			   gw_pri_chan_count(d->pri, GW_PRI_CH_OOS_LOCAL) +
			   gw_pri_chan_count(d->pri, GW_PRI_CH_OOS_REMOTE));
		ctl_printf(r, "OK\n");
	} else if (!strcmp(cmd, "chan") && argc == 2) {
		ctl_printf(r, "OK %s\n", gw_pri_chan_state_name(
				   gw_pri_chan_state(d->pri,
						     (unsigned)atoi(argv[1]))));
	} else if (!strcmp(cmd, "restart")) {
		err = gw_pri_restart(d->pri, argc > 1 ?
				     (unsigned)atoi(argv[1]) : 0, true);
		if (err)
			ctl_printf(r, "ERR restart: %s\n", strerror(err));
		else
			ctl_printf(r, "OK\n");
	} else if (!strcmp(cmd, "mkfax") && argc == 3) {
		err = sim_fax_make_tiff(argv[1], atoi(argv[2]));
		if (err)
			ctl_printf(r, "ERR mkfax: %s\n", strerror(err));
		else
			ctl_printf(r, "OK\n");
	} else if (!strcmp(cmd, "trace") && argc == 2) {
		bool on = !strcmp(argv[1], "on");

		gw_pri_set_trace(d->pri, on ? GW_PRI_TRACE_Q931 : 0);
		if (on)
			log_set_module_level("pri", LOGL_INFO);
		ctl_printf(r, "OK\n");
	} else if (!strcmp(cmd, "quit")) {
		ctl_printf(r, "OK bye\n");
		uv_timer_start(&d->quit_timer, quit_cb, 50, 0);
	} else {
		ctl_printf(r, "ERR unknown command or arguments: %s\n", cmd);
	}
}

static void on_signal(uv_signal_t *h, int signum)
{
	(void)signum;
	uv_stop(h->loop);
}

static void close_all(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: pritest -s SPANSOCK -C CTLSOCK [-t e1|t1] [-n cpe|net]\n"
		"               [-w SWITCH] [-o] [-p answer|ring] [-P PCAP] [-T] [-d]\n"
		"       pritest -x CTLSOCK COMMAND [ARGS...]\n");
}

static int client_main(int argc, char **argv, const char *path)
{
	char line[CTL_LINE_MAX];
	size_t len = 0;

	line[0] = '\0';
	for (int i = optind; i < argc; i++) {
		int n = snprintf(line + len, sizeof(line) - len, "%s%s",
				 len ? " " : "", argv[i]);

		if (n < 0 || (size_t)n >= sizeof(line) - len)
			return 2;
		len += (size_t)n;
	}
	if (!len) {
		usage();
		return 2;
	}
	return ctl_client(path, line, 10000);
}

int main(int argc, char **argv)
{
	static struct drv d;
	static const struct gw_span_handlers sh = {
		.hdlc_h = span_hdlc,
		.alarm_h = span_alarm,
	};
	uv_loop_t loop;
	const char *spansock = NULL, *ctlsock = NULL, *capfile = NULL;
	bool t1 = false, debug = false;
	int opt, err, rc = 0;

	gw_pri_conf_init(&d.pconf);
	d.pconf.node = GW_PRI_CPE;
	sim_calls_init(&d.calls, NULL, SIM_POLICY_ANSWER);
	while ((opt = getopt(argc, argv, "+s:C:t:n:w:op:P:Tdx:h")) != -1) {
		switch (opt) {
		case 's':
			spansock = optarg;
			break;
		case 'C':
			ctlsock = optarg;
			break;
		case 't':
			t1 = !strcasecmp(optarg, "t1");
			break;
		case 'n':
			if (gw_pri_node_parse(optarg, &d.pconf.node)) {
				usage();
				return 2;
			}
			break;
		case 'w':
			if (gw_pri_switch_parse(optarg, &d.pconf.sw)) {
				fprintf(stderr, "unknown switch type %s\n",
					optarg);
				return 2;
			}
			break;
		case 'o':
			d.pconf.overlapdial = true;
			break;
		case 'p':
			d.calls.policy = !strcmp(optarg, "ring") ?
					 SIM_POLICY_RING : SIM_POLICY_ANSWER;
			break;
		case 'T':
			d.pconf.trace = GW_PRI_TRACE_Q931;
			break;
		case 'P':
			capfile = optarg;
			break;
		case 'd':
			debug = true;
			break;
		case 'x':
			return client_main(argc, argv, optarg);
		default:
			usage();
			return 2;
		}
	}
	if (!spansock || !ctlsock) {
		usage();
		return 2;
	}
	log_set_level(debug ? LOGL_DEBUG : LOGL_NOTICE);
	if (d.pconf.trace)
		log_set_module_level("pri", LOGL_INFO);
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&loop);
	d.loop = &loop;
	d.calls.loop = &loop;
	gw_span_cfg_default(&d.cfg, t1 ? GW_SPAN_T1 : GW_SPAN_E1, 1);
	d.cfg.ops = gw_tdm_ops_find("virt");
	snprintf(d.cfg.dev, sizeof(d.cfg.dev), "%s", spansock);
	d.cfg.retry_ms = 200;
	d.pconf.e1 = !t1;
	d.pconf.span = 1;
	d.pconf.alaw = d.cfg.law == GW_LAW_ALAW;
	d.pconf.bchans = d.cfg.bmask;
	sim_line_init(&d.line, &d.calls, 1, t1, d.pconf.alaw, d.cfg.bmask);
	err = gw_span_alloc(&d.span, &d.cfg);
	if (!err)
		err = gw_pri_alloc(&d.pri, &loop, &d.pconf, frame_out,
				   sim_line_pri_event, &d.line);
	if (err) {
		fprintf(stderr, "span setup: %s\n", strerror(err));
		return 1;
	}
	d.line.pri = d.pri;
	if (capfile && (err = gw_pri_set_capture(d.pri, capfile))) {
		fprintf(stderr, "capture %s: %s\n", capfile, strerror(err));
		return 1;
	}
	gw_pri_l1_state(d.pri, false);
	gw_span_set_handlers(d.span, &sh, &d);
	err = gw_pri_start(d.pri);
	if (!err)
		err = gw_span_start(d.span, &loop);
	if (!err)
		err = gw_span_audio_attach(d.span, &loop, span_tick, &d);
	if (!err)
		err = ctlsrv_start(&d.ctl, &loop, ctlsock, ctl_cmd, &d);
	if (err) {
		fprintf(stderr, "start: %s\n", strerror(err));
		rc = 1;
		goto out;
	}
	uv_timer_init(&loop, &d.quit_timer);
	uv_signal_init(&loop, &d.sigint);
	uv_signal_init(&loop, &d.sigterm);
	uv_signal_start(&d.sigint, on_signal, SIGINT);
	uv_signal_start(&d.sigterm, on_signal, SIGTERM);
	LOGN(MOD, "ready: %s %s %s on %s, control %s", t1 ? "T1" : "E1",
	     gw_pri_switch_name(d.pconf.sw),
	     d.pconf.node == GW_PRI_NET ? "net" : "cpe", spansock, ctlsock);
	uv_run(&loop, UV_RUN_DEFAULT);
 out:
	ctlsrv_stop(d.ctl);
	gw_span_audio_detach(d.span);
	gw_pri_stop(d.pri);
	gw_span_stop(d.span);
	sim_calls_close(&d.calls);
	gw_pri_free(d.pri);
	gw_span_free(d.span);
	uv_walk(&loop, close_all, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return rc;
}
