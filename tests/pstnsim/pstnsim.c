/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pstnsim: a PSTN switch simulator for tests and `make run`. It owns one
 * or more virtual E1/T1 spans as clock master (gw/tdm_virt master side,
 * a 20 ms block per tick), runs libpri through gw/pri in the role facing
 * the gateway (network when the gateway is the user side and vice versa),
 * answers calls as the default subscribers in README.md, originates calls
 * on command, and is driven through a line-based control socket.
 *
 *   pstnsim -c FILE [-d]          run with an INI configuration
 *   pstnsim -x SOCKET WORDS...    send one control command, print answer
 */
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

#include "base/log.h"
#include "gw/pri.h"
#include "gw/span.h"
#include "gw/tdm_virt.h"
#include "tests/pstnsim/calls.h"
#include "tests/pstnsim/ctlsrv.h"

#define MOD "pstnsim"
#define MAX_SPANS 8

struct sim_span {
	struct sim *sim;
	unsigned id;
	bool t1;
	char path[108];
	struct gw_pri_conf pconf;
	struct gw_span_cfg cfg;
	struct gw_tdm_virt_master *master;
	struct gw_pri *pri;
	struct sim_line line;
	bool sig_up, audio_up;
	bool configured;
};

struct sim {
	uv_loop_t *loop;
	char conf_path[256];
	char ctl_path[108];
	enum log_level level;
	struct sim_span spans[MAX_SPANS];
	unsigned nspans;
	struct sim_calls calls;
	struct ctlsrv *ctl;
	uv_signal_t sigint, sigterm;
	uv_timer_t quit_timer;
	int conf_err;
	char conf_why[200];
};

/* ---- configuration ---- */

static struct sim_span *span_get(struct sim *s, unsigned id)
{
	for (unsigned i = 0; i < s->nspans; i++)
		if (s->spans[i].id == id)
			return &s->spans[i];
	if (s->nspans == MAX_SPANS)
		return NULL;
	struct sim_span *sp = &s->spans[s->nspans++];

	memset(sp, 0, sizeof(*sp));
	sp->sim = s;
	sp->id = id;
	gw_pri_conf_init(&sp->pconf);
	sp->pconf.node = GW_PRI_NET;
	sp->pconf.span = id;
	snprintf(sp->path, sizeof(sp->path), "run/span%u.sock", id);
	return sp;
}

static bool yes(const char *v)
{
	return !strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
	       !strcmp(v, "1") || !strcasecmp(v, "on");
}

static int conf_line(void *user, const char *section, const char *key,
		     const char *value)
{
	struct sim *s = user;
	const char *why = NULL;
	unsigned id;

	if (!strcmp(section, "general")) {
		if (!strcmp(key, "socket"))
			snprintf(s->ctl_path, sizeof(s->ctl_path), "%s", value);
		else if (!strcmp(key, "fax_dir"))
			snprintf(s->calls.fax_dir, sizeof(s->calls.fax_dir),
				 "%s", value);
		else if (!strcmp(key, "log_level")) {
			if (log_level_parse(value, &s->level))
				why = "log_level is error|warning|notice|info|debug";
		} else if (!strcmp(key, "echo_erl"))
			s->calls.echo_erl = atof(value);
		else if (!strcmp(key, "echo_delay_ms"))
			s->calls.echo_delay_ms = (unsigned)atoi(value);
		else if (!strcmp(key, "ringback_ms"))
			s->calls.ringback_ms = (unsigned)atoi(value);
		else
			why = "unknown key";
	} else if (sscanf(section, "span %u", &id) == 1 && id >= 1 &&
		   id <= 255) {
		struct sim_span *sp = span_get(s, id);

		if (!sp) {
			why = "too many spans";
		} else if (!strcmp(key, "type")) {
			if (!strcasecmp(value, "e1"))
				sp->t1 = false;
			else if (!strcasecmp(value, "t1"))
				sp->t1 = true;
			else
				why = "type is e1 or t1";
		} else if (!strcmp(key, "path")) {
			snprintf(sp->path, sizeof(sp->path), "%s", value);
		} else if (!strcmp(key, "switchtype")) {
			if (gw_pri_switch_parse(value, &sp->pconf.sw))
				why = "switchtype is national, ni1, dms100, "
				      "4ess, 5ess, euroisdn or qsig";
		} else if (!strcmp(key, "node")) {
			if (gw_pri_node_parse(value, &sp->pconf.node))
				why = "node is net or cpe";
		} else if (!strcmp(key, "overlapdial")) {
			sp->pconf.overlapdial = yes(value);
		} else if (!strcmp(key, "service")) {
			sp->pconf.service_msgs = yes(value);
		} else if (!strcmp(key, "trace")) {
			sp->pconf.trace = yes(value) ? GW_PRI_TRACE_Q931 : 0;
		} else if (!strcmp(key, "dialplan") ||
			   !strcmp(key, "localdialplan")) {
			/* "<ton> <npi>", e.g. "national e164" */
			char ton[32], npi[32];
			bool local = key[0] == 'l';

			if (sscanf(value, "%31s %31s", ton, npi) != 2 ||
			    gw_pri_ton_parse(ton, local ?
					     &sp->pconf.localdialplan_ton :
					     &sp->pconf.dialplan_ton) ||
			    gw_pri_npi_parse(npi, local ?
					     &sp->pconf.localdialplan_npi :
					     &sp->pconf.dialplan_npi))
				why = "dialplan is \"<ton> <npi>\", e.g. "
				      "\"national e164\"";
		} else if (!strcmp(key, "restart_on_up")) {
			sp->pconf.restart_on_up = yes(value);
		} else {
			why = "unknown key";
		}
		if (sp)
			sp->configured = true;
	} else {
		why = "unknown section (general, span N)";
	}
	if (why) {
		/* inih gives the line number when ini_parse() returns */
		snprintf(s->conf_why, sizeof(s->conf_why), "[%s] %s: %s",
			 section, key, why);
		s->conf_err = EINVAL;
		return 0;
	}
	return 1;
}

/* ---- span plumbing ---- */

static int pri_frame(const uint8_t *frame, size_t len, void *arg)
{
	/* gw/pri hands both handlers the same argument: the line, which
	 * lives inside the span */
	struct sim_span *sp = (struct sim_span *)((char *)arg -
					offsetof(struct sim_span, line));

	return gw_tdm_virt_master_hdlc_send(sp->master, frame, len);
}

static void m_conn(bool sig_up, bool audio_up, void *arg)
{
	struct sim_span *sp = arg;

	if (sig_up != sp->sig_up)
		LOGN(MOD, "span %u: gateway %s", sp->id,
		     sig_up ? "connected" : "gone");
	sp->sig_up = sig_up;
	sp->audio_up = audio_up;
	gw_pri_l1_state(sp->pri, sig_up);
}

static void m_hdlc(const uint8_t *frame, size_t len, void *arg)
{
	struct sim_span *sp = arg;

	gw_pri_recv(sp->pri, frame, len);
}

static void m_alarm(uint32_t alarms, void *arg)
{
	struct sim_span *sp = arg;
	char buf[64];

	LOGI(MOD, "span %u: gateway reports %s", sp->id,
	     gw_span_alarm_str(alarms, buf, sizeof(buf)));
}

static void m_tick(uint8_t *tx, unsigned nchan, uint32_t seq, void *arg)
{
	struct sim_span *sp = arg;

	(void)seq;
	sim_line_tx(&sp->line, tx, nchan);
}

static void m_rx(const uint8_t *rx, unsigned nchan, uint32_t seq, void *arg)
{
	struct sim_span *sp = arg;

	(void)seq;
	sim_line_rx(&sp->line, rx, nchan);
}

static int span_open(struct sim *s, struct sim_span *sp)
{
	static const struct gw_tdm_virt_master_handlers h = {
		.conn_h = m_conn,
		.hdlc_h = m_hdlc,
		.alarm_h = m_alarm,
		.tick_h = m_tick,
		.rx_h = m_rx,
	};
	int err;

	gw_span_cfg_default(&sp->cfg, sp->t1 ? GW_SPAN_T1 : GW_SPAN_E1,
			    sp->id);
	sp->pconf.e1 = !sp->t1;
	sp->pconf.alaw = sp->cfg.law == GW_LAW_ALAW;
	sp->pconf.bchans = sp->cfg.bmask;
	sim_line_init(&sp->line, &s->calls, sp->id, sp->t1, sp->pconf.alaw,
		      sp->cfg.bmask);
	err = gw_pri_alloc(&sp->pri, s->loop, &sp->pconf, pri_frame,
			   sim_line_pri_event, &sp->line);
	if (err) {
		fprintf(stderr, "span %u: PRI settings refused: %s\n", sp->id,
			strerror(err));
		return err;
	}
	sp->line.pri = sp->pri;
	gw_pri_l1_state(sp->pri, false);
	err = gw_tdm_virt_master_alloc(&sp->master, s->loop, &sp->cfg, &h, sp);
	if (!err)
		err = gw_tdm_virt_master_listen(sp->master, sp->path);
	if (err) {
		fprintf(stderr, "span %u: cannot listen on %s: %s\n", sp->id,
			sp->path, strerror(err));
		return err;
	}
	err = gw_pri_start(sp->pri);
	if (err)
		return err;
	LOGN(MOD, "span %u: %s %s, pstnsim is %s, listening on %s", sp->id,
	     sp->t1 ? "T1" : "E1", gw_pri_switch_name(sp->pconf.sw),
	     sp->pconf.node == GW_PRI_NET ? "net" : "cpe", sp->path);
	return 0;
}

/* ---- control ---- */

static struct sim_span *span_arg(struct sim *s, const char *a)
{
	unsigned id = (unsigned)atoi(a ? a : "0");

	for (unsigned i = 0; i < s->nspans; i++)
		if (s->spans[i].id == id)
			return &s->spans[i];
	return NULL;
}

static void quit_cb(uv_timer_t *t)
{
	uv_stop(t->loop);
}

static void ctl_cmd(int argc, char **argv, struct ctl_reply *r, void *arg)
{
	struct sim *s = arg;
	const char *cmd = argv[0];
	struct sim_span *sp;

	if (sim_calls_command(&s->calls, argc, argv, r))
		return;
	if (!strcmp(cmd, "status")) {
		for (unsigned i = 0; i < s->nspans; i++) {
			sp = &s->spans[i];
			ctl_printf(r, "span %u %s %s %s sig %s audio %s link %s "
				   "idle %u busy %u restarting %u down %u "
				   "oos %u\n", sp->id, sp->t1 ? "t1" : "e1",
				   gw_pri_switch_name(sp->pconf.sw),
				   sp->pconf.node == GW_PRI_NET ? "net" : "cpe",
				   sp->sig_up ? "up" : "down",
				   sp->audio_up ? "up" : "down",
				   gw_pri_link_up(sp->pri) ? "up" : "down",
				   gw_pri_chan_count(sp->pri, GW_PRI_CH_IDLE),
				   gw_pri_chan_count(sp->pri, GW_PRI_CH_BUSY),
				   gw_pri_chan_count(sp->pri,
						     GW_PRI_CH_RESTARTING),
				   gw_pri_chan_count(sp->pri, GW_PRI_CH_DOWN),
				   gw_pri_chan_count(sp->pri,
						     GW_PRI_CH_OOS_LOCAL) +
				   gw_pri_chan_count(sp->pri,
						     GW_PRI_CH_OOS_REMOTE));
		}
		ctl_printf(r, "OK %u\n", s->nspans);
	} else if (!strcmp(cmd, "chan") && argc == 3 &&
		   (sp = span_arg(s, argv[1]))) {
		unsigned ts = (unsigned)atoi(argv[2]);

		ctl_printf(r, "OK %s\n", gw_pri_chan_state_name(
				   gw_pri_chan_state(sp->pri, ts)));
	} else if (!strcmp(cmd, "restart") && argc >= 2 &&
		   (sp = span_arg(s, argv[1]))) {
		int err = gw_pri_restart(sp->pri, argc > 2 ?
					 (unsigned)atoi(argv[2]) : 0, true);

		if (err)
			ctl_printf(r, "ERR restart: %s\n", strerror(err));
		else
			ctl_printf(r, "OK\n");
	} else if (!strcmp(cmd, "service") && argc == 4 &&
		   (sp = span_arg(s, argv[1]))) {
		int err = gw_pri_service(sp->pri, (unsigned)atoi(argv[2]),
					 !strcmp(argv[3], "in"));

		if (err)
			ctl_printf(r, "ERR service: %s\n", strerror(err));
		else
			ctl_printf(r, "OK\n");
	} else if (!strcmp(cmd, "drop") && argc == 2 &&
		   (sp = span_arg(s, argv[1]))) {
		gw_tdm_virt_master_drop(sp->master);
		ctl_printf(r, "OK\n");
	} else if (!strcmp(cmd, "trace") && argc == 3 &&
		   (sp = span_arg(s, argv[1]))) {
		gw_pri_set_trace(sp->pri, !strcmp(argv[2], "on") ?
				 GW_PRI_TRACE_Q931 : 0);
		if (!strcmp(argv[2], "on"))
			log_set_module_level("pri", LOGL_INFO);
		ctl_printf(r, "OK\n");
	} else if (!strcmp(cmd, "capture") && argc == 3 &&
		   (sp = span_arg(s, argv[1]))) {
		int err = gw_pri_set_capture(sp->pri, strcmp(argv[2], "off") ?
					     argv[2] : NULL);

		if (err)
			ctl_printf(r, "ERR capture: %s\n", strerror(err));
		else
			ctl_printf(r, "OK\n");
	} else if (!strcmp(cmd, "quit")) {
		ctl_printf(r, "OK bye\n");
		uv_timer_start(&s->quit_timer, quit_cb, 50, 0);
	} else if (!strcmp(cmd, "help")) {
		ctl_printf(r, "status | calls | last [in|out] | chan <span> <ts>"
			   " | call <span> <called> <calling> [pres] [bearer] "
			   "[overlap] | hangup <id> [cause] | answer <id> | "
			   "alert <id> | info <id> <digits> | play <id> ... | "
			   "digits <id> | stats <id> | restart <span> [ts] | "
			   "service <span> <ts> in|out | drop <span> | "
			   "trace <span> on|off | capture <span> <file|off> | "
			   "quit\n");
		ctl_printf(r, "OK\n");
	} else {
		ctl_printf(r, "ERR unknown command or arguments: %s "
			   "(try help)\n", cmd);
	}
}

static void on_signal(uv_signal_t *h, int signum)
{
	(void)signum;
	uv_stop(h->loop);
}

static void close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static int client(int argc, char **argv, const char *path)
{
	char line[CTL_LINE_MAX];
	size_t len = 0;

	line[0] = '\0';
	for (int i = optind; i < argc; i++) {
		int n = snprintf(line + len, sizeof(line) - len, "%s%s",
				 len ? " " : "", argv[i]);

		if (n < 0 || (size_t)n >= sizeof(line) - len) {
			fprintf(stderr, "command too long\n");
			return 2;
		}
		len += (size_t)n;
	}
	if (!len) {
		fprintf(stderr, "no command\n");
		return 2;
	}
	return ctl_client(path, line, 10000);
}

static void usage(void)
{
	fprintf(stderr, "usage: pstnsim -c FILE [-d]\n"
		"       pstnsim -x SOCKET COMMAND [ARGS...]\n");
}

int main(int argc, char **argv)
{
	static struct sim s;
	uv_loop_t loop;
	int opt, rc = 0, err;
	bool debug = false;

	while ((opt = getopt(argc, argv, "+c:x:dh")) != -1) {
		switch (opt) {
		case 'c':
			snprintf(s.conf_path, sizeof(s.conf_path), "%s", optarg);
			break;
		case 'x':
			return client(argc, argv, optarg);
		case 'd':
			debug = true;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!s.conf_path[0]) {
		usage();
		return 2;
	}
	uv_loop_init(&loop);
	s.loop = &loop;
	s.level = LOGL_NOTICE;
	snprintf(s.ctl_path, sizeof(s.ctl_path), "run/pstnsim.ctl");
	sim_calls_init(&s.calls, &loop, SIM_POLICY_SUBSCRIBERS);
	err = ini_parse(s.conf_path, conf_line, &s);
	if (err < 0) {
		fprintf(stderr, "%s: cannot read the file\n", s.conf_path);
		return 1;
	}
	if (err > 0) {
		fprintf(stderr, "%s:%d: %s\n", s.conf_path, err,
			s.conf_err ? s.conf_why : "syntax error");
		return 1;
	}
	if (!s.nspans) {
		fprintf(stderr, "%s: no [span N] section\n", s.conf_path);
		return 1;
	}
	log_set_level(debug ? LOGL_DEBUG : s.level);
	mkdir(s.calls.fax_dir, 0755);
	for (unsigned i = 0; i < s.nspans; i++) {
		if (span_open(&s, &s.spans[i])) {
			rc = 1;
			goto out;
		}
	}
	err = ctlsrv_start(&s.ctl, &loop, s.ctl_path, ctl_cmd, &s);
	if (err) {
		fprintf(stderr, "control socket %s: %s\n", s.ctl_path,
			strerror(err));
		rc = 1;
		goto out;
	}
	uv_timer_init(&loop, &s.quit_timer);
	uv_signal_init(&loop, &s.sigint);
	uv_signal_init(&loop, &s.sigterm);
	uv_signal_start(&s.sigint, on_signal, SIGINT);
	uv_signal_start(&s.sigterm, on_signal, SIGTERM);
	signal(SIGPIPE, SIG_IGN);
	LOGN(MOD, "ready, control socket %s", s.ctl_path);
	uv_run(&loop, UV_RUN_DEFAULT);
	LOGN(MOD, "stopping");
 out:
	ctlsrv_stop(s.ctl);
	for (unsigned i = 0; i < s.nspans; i++) {
		struct sim_span *sp = &s.spans[i];

		if (sp->pri)
			gw_pri_stop(sp->pri);
		gw_tdm_virt_master_free(sp->master);
		sp->master = NULL;
	}
	sim_calls_close(&s.calls);
	for (unsigned i = 0; i < s.nspans; i++)
		gw_pri_free(s.spans[i].pri);
	uv_walk(&loop, close_walk, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return rc;
}
