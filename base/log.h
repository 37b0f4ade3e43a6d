/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging: levels, per-module thresholds, stderr or syslog. One line per
 * call: "<time> <LEVEL> <module> [<id>] message". Safe from any thread:
 * each line is formatted into a local buffer and written with one call.
 * The configuration (levels, target) is process-wide and is changed only
 * by the control thread (start-up and reload).
 */
#ifndef BASE_LOG_H
#define BASE_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level {
	LOGL_ERR = 0,
	LOGL_WARN,
	LOGL_NOTICE,
	LOGL_INFO,
	LOGL_DEBUG,
};

enum log_target {
	LOG_TARGET_STDERR = 0,
	LOG_TARGET_SYSLOG,
};

/* Parse "error|warning|notice|info|debug" (also "err", "warn"). 0/EINVAL. */
int log_level_parse(const char *s, enum log_level *lvl);
const char *log_level_name(enum log_level lvl);

/* Default threshold for every module without its own. */
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);

/*
 * Per-module threshold (module names are short: "sip", "tsx", "pri", ...).
 * Returns 0, or ENOSPC when the module table is full.
 */
int log_set_module_level(const char *module, enum log_level lvl);
/* Drop every per-module threshold (used before re-applying a config). */
void log_clear_module_levels(void);

void log_set_target(enum log_target target, const char *ident);

/* True if a message of this level for this module would be printed. */
bool log_enabled(const char *module, enum log_level lvl);

void log_msg(enum log_level lvl, const char *module, const char *id,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void log_vmsg(enum log_level lvl, const char *module, const char *id,
	      const char *fmt, va_list ap);

#define LOGE(mod, ...)    log_msg(LOGL_ERR, (mod), NULL, __VA_ARGS__)
#define LOGW(mod, ...)   log_msg(LOGL_WARN, (mod), NULL, __VA_ARGS__)
#define LOGN(mod, ...) log_msg(LOGL_NOTICE, (mod), NULL, __VA_ARGS__)
#define LOGI(mod, ...)   log_msg(LOGL_INFO, (mod), NULL, __VA_ARGS__)
#define LOGD(mod, ...)                                             \
	do {                                                            \
		if (log_enabled((mod), LOGL_DEBUG))                     \
			log_msg(LOGL_DEBUG, (mod), NULL, __VA_ARGS__);  \
	} while (0)

#endif
