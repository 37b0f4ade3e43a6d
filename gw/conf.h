/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Configuration files: INI via inih, kept as an ordered list of
 * (section, key, value, line) entries so every error names file, line and
 * key. Typed getters validate values and mark keys as used; after all
 * consumers have read their keys, gw_conf_check_unused() reports unknown
 * sections and keys (typos) with the keys that section does accept.
 *
 * Section names keep their full text: "[span 1]" is section "span 1";
 * gw_conf_section_kind() splits it into kind "span" and name "1".
 */
#ifndef GW_CONF_H
#define GW_CONF_H

#include <stdbool.h>
#include <stddef.h>

struct gw_conf;

/* An error text: "file:line: [section] key: problem (hint)". */
struct gw_conf_err {
	char msg[512];
};

/*
 * Load and parse path. On success *confp owns everything (free with
 * gw_conf_free). On failure returns EINVAL (syntax; err names the line),
 * ENOENT/EACCES (file), ENOMEM, and *confp is untouched.
 */
int gw_conf_load(struct gw_conf **confp, const char *path,
		 struct gw_conf_err *err);
/* Same from a string (tests); name is used in error messages. */
int gw_conf_load_str(struct gw_conf **confp, const char *name,
		     const char *text, struct gw_conf_err *err);
void gw_conf_free(struct gw_conf *conf);
const char *gw_conf_path(const struct gw_conf *conf);

/* Sections in file order; idx from 0. NULL past the end. */
const char *gw_conf_section(const struct gw_conf *conf, size_t idx);
bool gw_conf_has_section(const struct gw_conf *conf, const char *section);
/*
 * Split "span 1" into kind "span" and name "1" (name empty when absent).
 * Returns true if section is of that kind.
 */
bool gw_conf_section_kind(const char *section, const char *kind,
			  const char **name);
/* How many "[section]" headers of that name the file has (0 if none). */
unsigned gw_conf_section_headers(const struct gw_conf *conf,
				 const char *section);
/* Mark a whole section as known (its keys are still checked). */
void gw_conf_section_seen(struct gw_conf *conf, const char *section);

/*
 * Typed getters. A missing key yields def and returns 0. A present but
 * invalid value returns EINVAL with err filled. All mark the key used.
 * The returned string belongs to conf.
 */
int gw_conf_str(struct gw_conf *conf, const char *section, const char *key,
		const char *def, const char **out, struct gw_conf_err *err);
int gw_conf_int(struct gw_conf *conf, const char *section, const char *key,
		long min, long max, long def, long *out,
		struct gw_conf_err *err);
int gw_conf_bool(struct gw_conf *conf, const char *section, const char *key,
		 bool def, bool *out, struct gw_conf_err *err);
/* names is NULL-terminated; *out is the index of the match. */
int gw_conf_enum(struct gw_conf *conf, const char *section, const char *key,
		 const char *const *names, int def, int *out,
		 struct gw_conf_err *err);
/* Duration with unit suffix ms/s/m (bare number = default_unit_ms). */
int gw_conf_msec(struct gw_conf *conf, const char *section, const char *key,
		 long min_ms, long max_ms, long def_ms, long *out,
		 struct gw_conf_err *err);

/*
 * Iterate a section's entries in file order (repeated keys allowed, e.g.
 * several "match" lines in a route). idx from 0; returns false past the
 * end. Marks each visited entry used.
 */
bool gw_conf_entry(struct gw_conf *conf, const char *section, size_t idx,
		   const char **key, const char **value, unsigned *line);

/*
 * Fill err for a problem found by a consumer in section/key (uses the line
 * of the key's last occurrence, or of the section when key is NULL).
 * Always returns EINVAL so callers can `return gw_conf_fail(...)`.
 */
int gw_conf_fail(const struct gw_conf *conf, const char *section,
		 const char *key, struct gw_conf_err *err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * Report the first unknown section or unused key. Sections that no
 * consumer read or marked seen are unknown. Returns 0 or EINVAL.
 */
int gw_conf_check_unused(const struct gw_conf *conf, struct gw_conf_err *err);

#endif
