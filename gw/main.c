/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pstngw: the gateway daemon. Parses the command line, loads the INI
 * configuration, sets up logging, runs the control libuv loop with the
 * control socket, and handles signals: SIGTERM/SIGINT stop gracefully,
 * SIGHUP reloads the configuration (a bad file is reported with file,
 * line and key, and the running configuration is kept).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "base/log.h"
#include "gw/conf.h"
#include "gw/ctl.h"
#include "gw/cause.h"
#include "gw/gateway.h"
#include "gw/media.h"
#include "dsp/srtp.h"
#include "gw/route.h"
#include "gw/sipconf.h"
#include "gw/spans.h"
#include "gw/trunk.h"
#include "sip/ua.h"

#ifndef PSTNGW_VERSION
#define PSTNGW_VERSION "0.1.0"
#endif
#define DEFAULT_CONF "/etc/pstngw/pstngw.conf"

/* Settings from [general]; a new copy is built on every (re)load. */
struct gw_settings {
	enum log_level log_level;
	enum log_target log_target;
	char log_modules[512];
	char ctl_socket[256];
	char pidfile[256];
	struct gw_sipconf sip;
	struct gw_cause_map causes;      /* [causes] */
	/* owned; moved into the app when the settings are installed */
	struct gw_trunks *trunks;
	struct gw_route_table *routes;
	struct gw_spans *spans;          /* parsed; the running ones are app's */
	char dahdi_conf[256];
	struct gw_gateway_cfg calls;     /* [calls], [cdr] */
	struct gw_media_cfg media;       /* [media]: read at start only */
};

struct gw_app {
	uv_loop_t *loop;
	const char *conf_path;
	struct gw_conf *conf;
	struct gw_settings set;
	struct gw_ctl *ctl;
	struct sip_ua *ua;
	struct gw_spans *spans;          /* running TDM side */
	struct gw_media *media;          /* media threads */
	struct gw_gateway *gw;           /* calls */
	uv_signal_t sig_term, sig_int, sig_hup;
	bool foreground;
	int verbose;
	bool stopping;
	time_t started;
	unsigned reloads, reload_failures;
};

/* Apply "mod=level, mod=level" per-module log levels; EINVAL on error. */
static int apply_log_modules(const char *spec, char *bad, size_t badsz)
{
	char buf[512];
	char *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		char *eq = strchr(tok, '=');
		enum log_level lvl;
		if (!eq || eq == tok || log_level_parse(eq + 1, &lvl)) {
			snprintf(bad, badsz, "%s", tok);
			return EINVAL;
		}
		*eq = '\0';
		if (log_set_module_level(tok, lvl)) {
			snprintf(bad, badsz, "%s (too many modules)", tok);
			return EINVAL;
		}
	}
	return 0;
}

/*
 * Read every section this daemon knows from conf into set. Nothing is
 * applied here, so a failed reload leaves the running state untouched.
 */
static int settings_read(struct gw_conf *conf, struct gw_settings *set,
			 struct gw_conf_err *err)
{
	static const char *const levels[] = { "error", "warning", "notice",
					      "info", "debug", NULL };
	static const char *const targets[] = { "stderr", "syslog", NULL };
	const char *s;
	int v, ret;
	char bad[128];

	memset(set, 0, sizeof(*set));
	ret = gw_conf_enum(conf, "general", "log_level", levels, LOGL_NOTICE,
			   &v, err);
	if (ret)
		return ret;
	set->log_level = (enum log_level)v;
	ret = gw_conf_enum(conf, "general", "log_target", targets,
			   LOG_TARGET_STDERR, &v, err);
	if (ret)
		return ret;
	set->log_target = (enum log_target)v;
	gw_conf_str(conf, "general", "log_modules", "", &s, err);
	if (strlen(s) >= sizeof(set->log_modules))
		return gw_conf_fail(conf, "general", "log_modules", err,
				    "too long");
	snprintf(set->log_modules, sizeof(set->log_modules), "%s", s);
	/* validate now; applied later */
	log_clear_module_levels();
	if (apply_log_modules(set->log_modules, bad, sizeof(bad)))
		return gw_conf_fail(conf, "general", "log_modules", err,
				    "bad entry '%s' (expected module=level, "
				    "level one of error, warning, notice, info, "
				    "debug)", bad);
	gw_conf_str(conf, "general", "control_socket", "run/pstngw.ctl", &s,
		    err);
	if (strlen(s) >= sizeof(set->ctl_socket) || !*s)
		return gw_conf_fail(conf, "general", "control_socket", err,
				    "path empty or too long (max %zu)",
				    sizeof(set->ctl_socket) - 1);
	snprintf(set->ctl_socket, sizeof(set->ctl_socket), "%s", s);
	gw_conf_str(conf, "general", "pidfile", "", &s, err);
	if (strlen(s) >= sizeof(set->pidfile))
		return gw_conf_fail(conf, "general", "pidfile", err,
				    "path too long");
	snprintf(set->pidfile, sizeof(set->pidfile), "%s", s);
	ret = gw_sipconf_read(&set->sip, conf, err);
	if (ret)
		return ret;
	/* every [causes] / [causes NAME] section is checked, used or not */
	for (size_t i = 0; (s = gw_conf_section(conf, i)); i++) {
		struct gw_cause_map m;
		if (!gw_conf_section_kind(s, "causes", NULL))
			continue;
		ret = gw_cause_map_conf(&m, conf, s, err);
		if (ret)
			return ret;
	}
	ret = gw_cause_map_conf(&set->causes, conf, "causes", err);
	if (ret)
		return ret;
	ret = gw_trunks_conf(&set->trunks, conf, err);
	if (ret)
		return ret;
	ret = gw_route_table_conf(&set->routes, conf, err);
	if (ret)
		return ret;
	ret = gw_gateway_conf(&set->calls, conf, err);
	if (ret)
		return ret;
	ret = gw_media_conf(&set->media, conf, err);
	if (ret)
		return ret;
	gw_conf_str(conf, "general", "dahdi_system_conf", "/etc/dahdi/system.conf",
		    &s, err);
	if (strlen(s) >= sizeof(set->dahdi_conf))
		return gw_conf_fail(conf, "general", "dahdi_system_conf", err,
				    "path too long");
	snprintf(set->dahdi_conf, sizeof(set->dahdi_conf), "%s", s);
	ret = gw_spans_conf(&set->spans, conf, set->dahdi_conf, err);
	if (ret)
		return ret;

	return gw_conf_check_unused(conf, err);
}

static void settings_apply(struct gw_app *app, const struct gw_settings *set)
{
	char bad[128];
	enum log_level lvl = set->log_level;

	/* -v raises the level for this run, on top of the file */
	for (int i = 0; i < app->verbose && lvl < LOGL_DEBUG; i++)
		lvl++;
	log_set_level(lvl);
	log_clear_module_levels();
	apply_log_modules(set->log_modules, bad, sizeof(bad));
	if (app->foreground)
		log_set_target(set->log_target, "pstngw");
	else
		log_set_target(LOG_TARGET_SYSLOG, "pstngw");
}

/* Load, validate and (on success) install a configuration. */
static int app_load(struct gw_app *app, bool initial)
{
	struct gw_conf *conf = NULL;
	struct gw_conf_err err;
	struct gw_settings set;
	int ret;

	memset(&err, 0, sizeof(err));
	memset(&set, 0, sizeof(set));
	ret = gw_conf_load(&conf, app->conf_path, &err);
	if (!ret)
		ret = settings_read(conf, &set, &err);
	if (ret) {
		gw_trunks_free(set.trunks);
		gw_route_table_free(set.routes);
		gw_spans_free(set.spans);
		/* restore the module levels settings_read() replaced */
		if (!initial)
			settings_apply(app, &app->set);
		LOGE("conf", "%s", err.msg);
		if (!initial)
			LOGE("conf", "reload failed; keeping the running "
			     "configuration");
		gw_conf_free(conf);
		return ret;
	}
	if (!initial && strcmp(set.ctl_socket, app->set.ctl_socket))
		LOGW("conf", "control_socket changed; takes effect on restart");
	if (!initial)
		snprintf(set.ctl_socket, sizeof(set.ctl_socket), "%s",
			 app->set.ctl_socket);
	if (!initial && gw_sipconf_listen_changed(&set.sip, &app->set.sip)) {
		LOGW("conf", "[sip] listen changed; takes effect on restart");
		set.sip = app->set.sip;
	}
	gw_conf_free(app->conf);
	app->conf = conf;
	/* routes and trunks: the new ones replace the old; trunks that did
	 * not change keep their keepalive state. The gateway owns the route
	 * table once calls run (calls in progress keep the one they used). */
	if (!app->gw)
		gw_route_table_free(app->set.routes);
	if (!initial && memcmp(&set.media, &app->set.media, sizeof(set.media)))
		LOGW("conf", "[media] changed; takes effect on restart");
	if (!initial) {
		/* spans keep running as they are: their changes need a restart */
		gw_spans_free(set.spans);
		set.spans = NULL;
	}
	if (!initial && app->ua) {
		gw_trunks_start(set.trunks, app->loop, app->ua, app->set.trunks);
	} else if (!initial) {
		gw_trunks_free(app->set.trunks);
	}
	app->set = set;
	if (app->gw) {
		gw_gateway_policy(app->gw, &app->set.calls, app->set.routes,
				  app->set.trunks, &app->set.causes);
		app->set.routes = NULL;
	}
	settings_apply(app, &app->set);
	return 0;
}

static void app_stop(struct gw_app *app)
{
	if (app->stopping)
		return;
	app->stopping = true;
	LOGN("main", "stopping");
	uv_signal_stop(&app->sig_term);
	uv_signal_stop(&app->sig_int);
	uv_signal_stop(&app->sig_hup);
	gw_ctl_free(app->ctl);
	app->ctl = NULL;
	/* calls first (BYE / DISCONNECT go out), then what they used */
	gw_gateway_free(app->gw);
	app->gw = NULL;
	gw_media_free(app->media);
	app->media = NULL;
	gw_trunks_free(app->set.trunks);
	app->set.trunks = NULL;
	gw_spans_free(app->spans);
	app->spans = NULL;
	if (app->ua) {
		sip_ua_free(app->ua);
		app->ua = NULL;
	}
	uv_close((uv_handle_t *)&app->sig_term, NULL);
	uv_close((uv_handle_t *)&app->sig_int, NULL);
	uv_close((uv_handle_t *)&app->sig_hup, NULL);
}

static void app_reload(struct gw_app *app)
{
	LOGN("main", "reloading %s", app->conf_path);
	if (app_load(app, false)) {
		app->reload_failures++;
		return;
	}
	app->reloads++;
	LOGN("main", "configuration reloaded");
}

static void signal_cb(uv_signal_t *h, int signum)
{
	struct gw_app *app = h->data;

	if (signum == SIGHUP)
		app_reload(app);
	else
		app_stop(app);
}

static int cmd_status(struct gw_ctl_reply *r, int argc, char **argv,
		      void *arg)
{
	struct gw_app *app = arg;
	(void)argc;
	(void)argv;
	gw_ctl_printf(r, "version: %s\n", PSTNGW_VERSION);
	gw_ctl_printf(r, "pid: %ld\n", (long)getpid());
	gw_ctl_printf(r, "uptime: %lds\n", (long)(time(NULL) - app->started));
	gw_ctl_printf(r, "config: %s\n", app->conf_path);
	gw_ctl_printf(r, "reloads: %u ok, %u failed\n", app->reloads,
		      app->reload_failures);
	gw_ctl_printf(r, "log_level: %s\n", log_level_name(log_get_level()));
	return 0;
}

static int cmd_sip(struct gw_ctl_reply *r, int argc, char **argv, void *arg)
{
	struct gw_app *app = arg;
	struct sip_transp_stats tp;
	struct sip_tsxl_stats tx;
	struct sip_ua_stats us;
	(void)argc;
	(void)argv;
	if (!app->ua) {
		gw_ctl_error(r, "SIP stack not running");
		return ENOENT;
	}
	for (size_t i = 0; i < app->set.sip.nlisten; i++) {
		const struct gw_sip_listen *l = &app->set.sip.listen[i];
		gw_ctl_printf(r, "listen: %s %s%s%s:%u\n", sip_tp_name(l->tp),
			      strchr(l->addr, ':') ? "[" : "", l->addr,
			      strchr(l->addr, ':') ? "]" : "", l->port);
	}
	sip_transp_stats(sip_ua_transp(app->ua), &tp);
	sip_tsxl_stats(sip_ua_tsxl(app->ua), &tx);
	sip_ua_stats(app->ua, &us);
	gw_ctl_printf(r, "rx_msgs: %llu\ntx_msgs: %llu\nrx_flood_drop: %llu\n"
		      "rx_oversize: %llu\nrx_frame_err: %llu\ntx_err: %llu\n"
		      "conn_cur: %u\n",
		      (unsigned long long)tp.rx_msgs, (unsigned long long)tp.tx_msgs,
		      (unsigned long long)tp.rx_flood_drop,
		      (unsigned long long)tp.rx_oversize,
		      (unsigned long long)tp.rx_frame_err,
		      (unsigned long long)tp.tx_err, tp.conn_cur);
	gw_ctl_printf(r, "tsx_live: %u\ntsx_created: %llu\ntsx_retrans_tx: %llu\n"
		      "tsx_retrans_rx: %llu\ntsx_timeouts: %llu\n",
		      tx.live, (unsigned long long)tx.created,
		      (unsigned long long)tx.retrans_tx,
		      (unsigned long long)tx.retrans_rx,
		      (unsigned long long)tx.timeouts);
	gw_ctl_printf(r, "rx_req: %llu\nrx_resp: %llu\nparse_drop: %llu\n"
		      "parse_reject: %llu\noptions_200: %llu\n",
		      (unsigned long long)us.rx_req, (unsigned long long)us.rx_resp,
		      (unsigned long long)us.parse_drop,
		      (unsigned long long)us.parse_reject,
		      (unsigned long long)us.opt_200);
	return 0;
}

static int sip_start(struct gw_app *app)
{
	struct gw_sipconf *sc = &app->set.sip;
	int ret;

	sc->ua.user_agent = sc->user_agent[0] ? sc->user_agent : NULL;
	ret = sip_ua_alloc(&app->ua, app->loop, &sc->ua);
	if (ret) {
		LOGE("main", "cannot start the SIP stack: %s", strerror(ret));
		return ret;
	}
	for (size_t i = 0; i < sc->nlisten; i++) {
		const struct gw_sip_listen *l = &sc->listen[i];
		ret = sip_ua_listen(app->ua, l->tp, l->addr, l->port);
		if (ret) {
			LOGE("main", "%s: [sip] listen %s %s port %u: %s",
			     app->conf_path, sip_tp_name(l->tp), l->addr,
			     l->port, strerror(ret));
			return ret;
		}
		LOGN("sip", "listening on %s %s port %u", sip_tp_name(l->tp),
		     l->addr, l->port);
	}
	return gw_trunks_start(app->set.trunks, app->loop, app->ua, NULL);
}

static int cmd_trunks(struct gw_ctl_reply *r, int argc, char **argv,
		      void *arg)
{
	struct gw_app *app = arg;
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < gw_trunks_count(app->set.trunks); i++) {
		const struct gw_trunk_cfg *c = gw_trunks_cfg(app->set.trunks, i);
		struct gw_trunk_stats st;
		gw_trunks_stats(app->set.trunks, i, &st);
		uint32_t granted;
		const char *reg = gw_trunks_reg_state(app->set.trunks, i, &granted);
		gw_ctl_printf(r, "%s %s %s%s%s:%u state=%s probes=%llu ok=%llu "
			      "failed=%llu last_status=%u reg=%s reg_expires=%u\n", c->name,
			      sip_tp_name(c->tp), strchr(c->host, ':') ? "[" : "",
			      c->host, strchr(c->host, ':') ? "]" : "", c->port,
			      gw_trunk_state_name(gw_trunks_state(app->set.trunks, i)),
			      (unsigned long long)st.probes,
			      (unsigned long long)st.successes,
			      (unsigned long long)st.failures, st.last_status, reg, granted);
	}
	return 0;
}

static int cmd_routes(struct gw_ctl_reply *r, int argc, char **argv,
		      void *arg)
{
	struct gw_app *app = arg;
	struct gw_route_req req;
	struct gw_route_result res;
	int ret;

	if (argc < 3 || (strcmp(argv[1], "sip2pstn") && strcmp(argv[1], "pstn2sip"))) {
		gw_ctl_error(r, "usage: route sip2pstn|pstn2sip CALLED [CALLING] "
			     "[trunk:NAME|span:N]");
		return EINVAL;
	}
	memset(&req, 0, sizeof(req));
	req.dir = strcmp(argv[1], "sip2pstn") ? GW_ROUTE_PSTN2SIP : GW_ROUTE_SIP2PSTN;
	req.called = argv[2];
	req.calling = argc > 3 ? argv[3] : NULL;
	req.src_span = -1;
	if (argc > 4 && !strncmp(argv[4], "trunk:", 6))
		req.src_trunk = argv[4] + 6;
	else if (argc > 4 && !strncmp(argv[4], "span:", 5))
		req.src_span = atoi(argv[4] + 5);
	ret = gw_route_lookup(app->gw ? gw_gateway_routes(app->gw) : app->set.routes,
			      &req, &res);
	if (ret) {
		gw_ctl_error(r, "%s", ret == ENOENT ? "no route matches"
						    : strerror(ret));
		return ret;
	}
	gw_ctl_printf(r, "route: %s\ncalled: %s (ton %s)\ncalling: %s (ton %s)\n",
		      res.route, res.called, gw_ton_name(res.called_ton),
		      res.calling, gw_ton_name(res.calling_ton));
	for (size_t i = 0; i < res.ntargets; i++)
		gw_ctl_printf(r, "target %zu: %s:%s\n", i + 1,
			      res.targets[i].kind == GW_TARGET_GROUP ? "group" : "trunk",
			      res.targets[i].name);
	return 0;
}

static int cmd_media(struct gw_ctl_reply *r, int argc, char **argv, void *arg)
{
	struct gw_app *app = arg;

	if (!app->media) {
		gw_ctl_error(r, "media threads are not running");
		return EINVAL;
	}
	return gw_media_ctl(r, argc, argv, app->media);
}

static int cmd_reload(struct gw_ctl_reply *r, int argc, char **argv,
		      void *arg)
{
	struct gw_app *app = arg;
	(void)argc;
	(void)argv;
	LOGN("main", "reloading %s (control socket)", app->conf_path);
	if (app_load(app, false)) {
		app->reload_failures++;
		gw_ctl_error(r, "reload failed; see the log (running "
			     "configuration kept)");
		return EINVAL;
	}
	app->reloads++;
	LOGN("main", "configuration reloaded");
	return 0;
}

static int cmd_loglevel(struct gw_ctl_reply *r, int argc, char **argv,
			void *arg)
{
	enum log_level lvl;
	(void)arg;
	if (argc < 2 || argc > 3 || log_level_parse(argv[1], &lvl)) {
		gw_ctl_error(r, "usage: loglevel error|warning|notice|info|debug "
			     "[module]");
		return EINVAL;
	}
	if (argc == 3) {
		if (log_set_module_level(argv[2], lvl)) {
			gw_ctl_error(r, "too many modules");
			return ENOSPC;
		}
	} else {
		log_set_level(lvl);
	}
	gw_ctl_printf(r, "log level %s%s%s\n", log_level_name(lvl),
		      argc == 3 ? " for " : "", argc == 3 ? argv[2] : "");
	return 0;
}

static int cmd_stop(struct gw_ctl_reply *r, int argc, char **argv, void *arg)
{
	struct gw_app *app = arg;
	(void)r;
	(void)argc;
	(void)argv;
	/* reply first: the control socket closes as part of stopping */
	uv_kill(getpid(), SIGTERM);
	(void)app;
	return 0;
}

static int write_pidfile(const char *path)
{
	FILE *f;

	if (!path[0])
		return 0;
	f = fopen(path, "w");
	if (!f)
		return errno;
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f) ? errno : 0;
}

static int daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return errno;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return errno;
	pid = fork();
	if (pid < 0)
		return errno;
	if (pid > 0)
		_exit(0);
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > 2)
			close(fd);
	}
	return 0;
}

/* Undo a start that failed half way (main's error path). */
static void start_failed(struct gw_app *app)
{
	gw_gateway_free(app->gw);
	app->gw = NULL;
	gw_media_free(app->media);
	app->media = NULL;
	if (app->ua)
		sip_ua_free(app->ua);
	gw_spans_free(app->spans);
	gw_trunks_free(app->set.trunks);
	gw_route_table_free(app->set.routes);
	gw_ctl_free(app->ctl);
	uv_run(app->loop, UV_RUN_NOWAIT);
	gw_conf_free(app->conf);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pstngw [-c FILE] [-f] [-v]... [-t] [-h]\n"
		"  -c FILE  configuration file (default " DEFAULT_CONF ")\n"
		"  -f       stay in the foreground, log to stderr\n"
		"  -v       more verbose (repeat for debug)\n"
		"  -t       check the configuration and exit\n"
		"  -V       print the version and exit\n");
}

/* Make the directory holding path (one level), for run/ sockets. */
static void ensure_parent_dir(const char *path)
{
	char dir[256];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	mkdir(dir, 0755);
}

int main(int argc, char **argv)
{
	struct gw_app app;
	bool check_only = false;
	int c, ret;

	memset(&app, 0, sizeof(app));
	app.conf_path = DEFAULT_CONF;
	while ((c = getopt(argc, argv, "c:fvthV")) != -1) {
		switch (c) {
		case 'c': app.conf_path = optarg; break;
		case 'f': app.foreground = true; break;
		case 'v': app.verbose++; break;
		case 't': check_only = true; break;
		case 'V': printf("pstngw %s\n", PSTNGW_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	/* configuration errors go to stderr before any daemonizing */
	bool fg = app.foreground;
	app.foreground = true;
	if (app_load(&app, true))
		return 1;
	if (check_only) {
		printf("%s: configuration OK\n", app.conf_path);
		gw_spans_free(app.set.spans);
		gw_trunks_free(app.set.trunks);
		gw_route_table_free(app.set.routes);
		gw_conf_free(app.conf);
		return 0;
	}
	app.foreground = fg;
	if (!app.foreground) {
		ret = daemonize();
		if (ret) {
			LOGE("main", "cannot daemonize: %s", strerror(ret));
			return 1;
		}
		settings_apply(&app, &app.set);
	}
	signal(SIGPIPE, SIG_IGN);

	app.loop = uv_default_loop();
	app.started = time(NULL);
	ensure_parent_dir(app.set.ctl_socket);
	ret = gw_ctl_alloc(&app.ctl, app.loop, app.set.ctl_socket);
	if (ret) {
		LOGE("main", "%s: [general] control_socket %s: %s",
		     app.conf_path, app.set.ctl_socket,
		     ret == EADDRINUSE ? "in use: is another pstngw running?"
				       : strerror(ret));
		gw_spans_free(app.set.spans);
		gw_trunks_free(app.set.trunks);
		gw_route_table_free(app.set.routes);
		gw_conf_free(app.conf);
		return 1;
	}
	gw_ctl_register(app.ctl, "status", "daemon status", cmd_status, &app);
	gw_ctl_register(app.ctl, "reload", "re-read the configuration file",
			cmd_reload, &app);
	gw_ctl_register(app.ctl, "loglevel",
			"loglevel LEVEL [MODULE]: change logging at run time",
			cmd_loglevel, &app);
	gw_ctl_register(app.ctl, "stop", "stop the gateway gracefully",
			cmd_stop, &app);
	gw_ctl_register(app.ctl, "sip", "SIP listeners and counters", cmd_sip,
			&app);
	gw_ctl_register(app.ctl, "trunks", "SIP trunks and keepalive state",
			cmd_trunks, &app);
	gw_ctl_register(app.ctl, "spans", "TDM spans, D-channels and groups",
			gw_spans_ctl, &app.spans);
	gw_ctl_register(app.ctl, "calls", "calls in progress and call counters",
			gw_gateway_ctl, &app.gw);
	gw_ctl_register(app.ctl, "media", "media threads, channels and RTP ports",
			cmd_media, &app);
	gw_ctl_register(app.ctl, "route",
			"route sip2pstn|pstn2sip CALLED [CALLING] [trunk:N|span:N]: "
			"show which rule and targets a call would get",
			cmd_routes, &app);

	app.spans = app.set.spans;
	app.set.spans = NULL;
	ret = gw_spans_start(app.spans, app.loop);
	if (ret)
		LOGE("main", "%s: cannot start the spans", app.conf_path);
	if (ret || sip_start(&app)) {
		start_failed(&app);
		return 1;
	}
	/* libsrtp once per process, before any media channel */
	ret = dsp_srtp_global_init();
	if (ret)
		LOGE("main", "cannot initialise libsrtp: %s", strerror(ret));
	else
		ret = gw_media_alloc(&app.media, &app.set.media, app.spans, app.loop);
	if (ret)
		LOGE("main", "%s: cannot start the media threads: %s", app.conf_path,
		     strerror(ret));
	if (!ret) {
		ret = gw_gateway_alloc(&app.gw, app.loop, app.ua, app.spans, app.media,
				       &app.set.calls);
		if (ret)
			LOGE("main", "%s: cannot start taking calls: %s", app.conf_path,
			     strerror(ret));
	}
	if (ret) {
		start_failed(&app);
		return 1;
	}
	gw_gateway_policy(app.gw, &app.set.calls, app.set.routes, app.set.trunks,
			  &app.set.causes);
	app.set.routes = NULL;

	ret = write_pidfile(app.set.pidfile);
	if (ret)
		LOGW("main", "pidfile %s: %s", app.set.pidfile, strerror(ret));

	uv_signal_init(app.loop, &app.sig_term);
	uv_signal_init(app.loop, &app.sig_int);
	uv_signal_init(app.loop, &app.sig_hup);
	app.sig_term.data = app.sig_int.data = app.sig_hup.data = &app;
	uv_signal_start(&app.sig_term, signal_cb, SIGTERM);
	uv_signal_start(&app.sig_int, signal_cb, SIGINT);
	uv_signal_start(&app.sig_hup, signal_cb, SIGHUP);

	LOGN("main", "pstngw %s started (config %s, control %s)",
	     PSTNGW_VERSION, app.conf_path, app.set.ctl_socket);
	uv_run(app.loop, UV_RUN_DEFAULT);

	if (app.set.pidfile[0])
		unlink(app.set.pidfile);
	gw_route_table_free(app.set.routes);
	gw_conf_free(app.conf);
	ret = uv_loop_close(app.loop);
	if (ret)
		LOGW("main", "event loop closed with handles still open");
	LOGN("main", "stopped");
	return 0;
}
