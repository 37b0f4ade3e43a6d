/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging (see log.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

#define LOG_MAX_MODULES 64
#define LOG_MODNAME_MAX 24

/* Process-wide logging configuration; written by the control thread only. */
static struct {
	enum log_level level;
	enum log_target target;
	unsigned nmod;
	struct {
		char name[LOG_MODNAME_MAX];
		enum log_level level;
	} mod[LOG_MAX_MODULES];
} g_log = { .level = LOGL_NOTICE };

static const char *const level_names[] = {
	[LOGL_ERR] = "error",   [LOGL_WARN] = "warning", [LOGL_NOTICE] = "notice",
	[LOGL_INFO] = "info",   [LOGL_DEBUG] = "debug",
};

int log_level_parse(const char *s, enum log_level *lvl)
{
	static const struct {
		const char *name;
		enum log_level lvl;
	} tab[] = {
		{ "error", LOGL_ERR },   { "err", LOGL_ERR },
		{ "warning", LOGL_WARN }, { "warn", LOGL_WARN },
		{ "notice", LOGL_NOTICE }, { "info", LOGL_INFO },
		{ "debug", LOGL_DEBUG },
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (!strcasecmp(s, tab[i].name)) {
			*lvl = tab[i].lvl;
			return 0;
		}
	}
	return EINVAL;
}

const char *log_level_name(enum log_level lvl)
{
	if ((unsigned)lvl > LOGL_DEBUG)
		return "?";
	return level_names[lvl];
}

void log_set_level(enum log_level lvl)
{
	g_log.level = lvl;
}

enum log_level log_get_level(void)
{
	return g_log.level;
}

int log_set_module_level(const char *module, enum log_level lvl)
{
	for (unsigned i = 0; i < g_log.nmod; i++) {
		if (!strcmp(g_log.mod[i].name, module)) {
			g_log.mod[i].level = lvl;
			return 0;
		}
	}
	if (g_log.nmod >= LOG_MAX_MODULES || strlen(module) >= LOG_MODNAME_MAX)
		return ENOSPC;
	snprintf(g_log.mod[g_log.nmod].name, LOG_MODNAME_MAX, "%s", module);
	g_log.mod[g_log.nmod].level = lvl;
	g_log.nmod++;
	return 0;
}

void log_clear_module_levels(void)
{
	g_log.nmod = 0;
}

void log_set_target(enum log_target target, const char *ident)
{
	if (g_log.target == LOG_TARGET_SYSLOG && target != LOG_TARGET_SYSLOG)
		closelog();
	if (target == LOG_TARGET_SYSLOG)
		openlog(ident ? ident : "pstngw", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	g_log.target = target;
}

bool log_enabled(const char *module, enum log_level lvl)
{
	if (module) {
		for (unsigned i = 0; i < g_log.nmod; i++) {
			if (!strcmp(g_log.mod[i].name, module))
				return lvl <= g_log.mod[i].level;
		}
	}
	return lvl <= g_log.level;
}

void log_vmsg(enum log_level lvl, const char *module, const char *id,
	      const char *fmt, va_list ap)
{
	static const int syslog_prio[] = {
		[LOGL_ERR] = LOG_ERR,   [LOGL_WARN] = LOG_WARNING,
		[LOGL_NOTICE] = LOG_NOTICE, [LOGL_INFO] = LOG_INFO,
		[LOGL_DEBUG] = LOG_DEBUG,
	};
	char line[2048];
	size_t n = 0;
	int r;

	if ((unsigned)lvl > LOGL_DEBUG)
		lvl = LOGL_DEBUG;
	if (!log_enabled(module, lvl))
		return;

	if (g_log.target == LOG_TARGET_STDERR) {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
		r = snprintf(line + n, sizeof(line) - n, ".%03ldZ ",
			     ts.tv_nsec / 1000000);
		if (r > 0)
			n += (size_t)r;
	}
	r = snprintf(line + n, sizeof(line) - n, "%-7s %s%s%s%s ",
		     level_names[lvl], module ? module : "-",
		     id ? " [" : "", id ? id : "", id ? "]" : "");
	if (r > 0)
		n += (size_t)r;
	if (n < sizeof(line)) {
		r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		if (r > 0)
			n += (size_t)r;
	}
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	/* one line, no embedded newlines from peers' data */
	for (size_t i = 0; i < n; i++) {
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	}

	if (g_log.target == LOG_TARGET_SYSLOG) {
		line[n] = '\0';
		syslog(syslog_prio[lvl], "%s", line);
		return;
	}
	line[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, n);
	(void)w;
}

void log_msg(enum log_level lvl, const char *module, const char *id,
	     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(lvl, module, id, fmt, ap);
	va_end(ap);
}
