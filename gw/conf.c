/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Configuration files (see conf.h). inih does the INI syntax; a custom
 * line reader counts lines (so every entry knows its line), records
 * section headers (so empty sections are known too), strips leading
 * white space (inih would otherwise take an indented "key = v" line as a
 * continuation of the previous value) and rejects over-long lines instead
 * of letting inih split them.
 */
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gw/conf.h"

#define CONF_LINE_MAX 1024

struct conf_ent {
	char *section;
	char *key;   /* NULL for a section header record */
	char *value;
	unsigned line;
	bool used;
};

struct conf_known {
	char *section;
	char *key;
};

struct gw_conf {
	char *path;
	struct conf_ent *ent;
	size_t n, cap;
	/* keys consumers asked for, present or not: for "did you mean" */
	struct conf_known *known;
	size_t nknown, capknown;
};

static void conf_note_known(struct gw_conf *conf, const char *section,
			    const char *key)
{
	for (size_t i = 0; i < conf->nknown; i++) {
		if (!strcmp(conf->known[i].section, section) &&
		    !strcasecmp(conf->known[i].key, key))
			return;
	}
	if (conf->nknown == conf->capknown) {
		size_t ncap = conf->capknown ? conf->capknown * 2 : 32;
		struct conf_known *nk = realloc(conf->known, ncap * sizeof(*nk));
		if (!nk)
			return; /* only costs a hint */
		conf->known = nk;
		conf->capknown = ncap;
	}
	conf->known[conf->nknown].section = strdup(section);
	conf->known[conf->nknown].key = strdup(key);
	if (!conf->known[conf->nknown].section || !conf->known[conf->nknown].key) {
		free(conf->known[conf->nknown].section);
		free(conf->known[conf->nknown].key);
		return;
	}
	conf->nknown++;
}

/* Levenshtein distance, capped; for typo hints on short key names. */
static unsigned conf_edit_distance(const char *a, const char *b)
{
	unsigned d[64], prev, tmp;
	size_t la = strlen(a), lb = strlen(b);

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		d[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		prev = d[0];
		d[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = (a[i - 1] | 32) == (b[j - 1] | 32) ? 0 : 1;
			tmp = d[j];
			d[j] = d[j] + 1;
			if (d[j - 1] + 1 < d[j])
				d[j] = d[j - 1] + 1;
			if (prev + cost < d[j])
				d[j] = prev + cost;
			prev = tmp;
		}
	}
	return d[lb];
}

struct conf_reader {
	struct gw_conf *conf;
	FILE *f;            /* file source, or */
	const char *s;      /* string source */
	unsigned line;
	unsigned bad_line;  /* first line that was too long */
	int err;
};

static int conf_push(struct gw_conf *conf, const char *section,
		     const char *key, const char *value, unsigned line)
{
	struct conf_ent *e;

	if (conf->n == conf->cap) {
		size_t ncap = conf->cap ? conf->cap * 2 : 32;
		struct conf_ent *ne = realloc(conf->ent, ncap * sizeof(*ne));
		if (!ne)
			return ENOMEM;
		conf->ent = ne;
		conf->cap = ncap;
	}
	e = &conf->ent[conf->n];
	memset(e, 0, sizeof(*e));
	e->section = strdup(section);
	e->key = key ? strdup(key) : NULL;
	e->value = value ? strdup(value) : NULL;
	e->line = line;
	if (!e->section || (key && !e->key) || (value && !e->value)) {
		free(e->section);
		free(e->key);
		free(e->value);
		return ENOMEM;
	}
	conf->n++;
	return 0;
}

/* Record "[name]" headers with their line; inih checks the syntax. */
static void conf_note_section(struct conf_reader *r, const char *line)
{
	const char *end;
	char name[CONF_LINE_MAX];
	size_t l;

	if (line[0] != '[')
		return;
	end = strchr(line, ']');
	if (!end)
		return;
	l = (size_t)(end - line - 1);
	memcpy(name, line + 1, l);
	name[l] = '\0';
	/* inih strips white space around the name; do the same */
	while (l && (name[l - 1] == ' ' || name[l - 1] == '\t'))
		name[--l] = '\0';
	char *p = name;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!r->err)
		r->err = conf_push(r->conf, p, NULL, NULL, r->line);
}

static char *conf_read_line(char *str, int num, void *stream)
{
	struct conf_reader *r = stream;
	char buf[CONF_LINE_MAX + 2];
	size_t len;
	const char *p;

	if (r->f) {
		if (!fgets(buf, sizeof(buf), r->f))
			return NULL;
		len = strlen(buf);
		if (len == sizeof(buf) - 1 && buf[len - 1] != '\n') {
			int c;
			/* swallow the rest of an over-long line */
			while ((c = fgetc(r->f)) != EOF && c != '\n')
				;
			if (!r->bad_line)
				r->bad_line = r->line + 1;
		}
	} else {
		if (!r->s || !*r->s)
			return NULL;
		p = strchr(r->s, '\n');
		len = p ? (size_t)(p - r->s + 1) : strlen(r->s);
		if (len > CONF_LINE_MAX) {
			if (!r->bad_line)
				r->bad_line = r->line + 1;
			memcpy(buf, r->s, CONF_LINE_MAX);
			buf[CONF_LINE_MAX] = '\n';
			buf[CONF_LINE_MAX + 1] = '\0';
		} else {
			memcpy(buf, r->s, len);
			buf[len] = '\0';
		}
		r->s += len;
	}
	r->line++;

	p = buf;
	while (*p == ' ' || *p == '\t')
		p++;
	len = strlen(p);
	if ((int)len >= num) {
		if (!r->bad_line)
			r->bad_line = r->line;
		len = (size_t)num - 2;
		memcpy(str, p, len);
		str[len] = '\n';
		str[len + 1] = '\0';
	} else {
		memcpy(str, p, len + 1);
	}
	conf_note_section(r, str);
	return str;
}

static int conf_handler(void *user, const char *section, const char *name,
			const char *value)
{
	struct conf_reader *r = user;

	if (r->err)
		return 0;
	r->err = conf_push(r->conf, section, name, value, r->line);
	return r->err ? 0 : 1;
}

static void conf_set_err(struct gw_conf_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void conf_set_err(struct gw_conf_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

static int conf_parse(struct gw_conf **confp, const char *name, FILE *f,
		      const char *text, struct gw_conf_err *err)
{
	struct gw_conf *conf;
	struct conf_reader r;
	int rc, ret = 0;

	conf = calloc(1, sizeof(*conf));
	if (!conf)
		return ENOMEM;
	conf->path = strdup(name);
	if (!conf->path) {
		free(conf);
		return ENOMEM;
	}
	memset(&r, 0, sizeof(r));
	r.conf = conf;
	r.f = f;
	r.s = text;

	rc = ini_parse_stream(conf_read_line, &r, conf_handler, &r);
	if (r.err) {
		ret = r.err;
		conf_set_err(err, "%s: out of memory", name);
		goto out;
	}
	if (r.bad_line) {
		ret = EINVAL;
		conf_set_err(err, "%s:%u: line too long (at most %d characters)",
			     name, r.bad_line, CONF_LINE_MAX - 1);
		goto out;
	}
	if (rc > 0) {
		ret = EINVAL;
		conf_set_err(err,
			     "%s:%d: syntax error (expected \"[section]\", "
			     "\"key = value\" or a comment starting with ; or #)",
			     name, rc);
		goto out;
	}
	if (rc < 0) {
		ret = ENOMEM;
		conf_set_err(err, "%s: cannot parse", name);
		goto out;
	}
	/* keys before any section header */
	for (size_t i = 0; i < conf->n; i++) {
		if (conf->ent[i].key && conf->ent[i].section[0] == '\0') {
			ret = EINVAL;
			conf_set_err(err,
				     "%s:%u: key '%s' outside any section "
				     "(put it under [general] or another section)",
				     name, conf->ent[i].line, conf->ent[i].key);
			goto out;
		}
	}
out:
	if (ret) {
		gw_conf_free(conf);
		return ret;
	}
	*confp = conf;
	return 0;
}

int gw_conf_load(struct gw_conf **confp, const char *path,
		 struct gw_conf_err *err)
{
	FILE *f;
	int ret;

	if (!confp || !path)
		return EINVAL;
	f = fopen(path, "r");
	if (!f) {
		ret = errno;
		conf_set_err(err, "%s: cannot open: %s", path, strerror(ret));
		return ret;
	}
	ret = conf_parse(confp, path, f, NULL, err);
	fclose(f);
	return ret;
}

int gw_conf_load_str(struct gw_conf **confp, const char *name,
		     const char *text, struct gw_conf_err *err)
{
	if (!confp || !name || !text)
		return EINVAL;
	return conf_parse(confp, name, NULL, text, err);
}

void gw_conf_free(struct gw_conf *conf)
{
	if (!conf)
		return;
	for (size_t i = 0; i < conf->n; i++) {
		free(conf->ent[i].section);
		free(conf->ent[i].key);
		free(conf->ent[i].value);
	}
	for (size_t i = 0; i < conf->nknown; i++) {
		free(conf->known[i].section);
		free(conf->known[i].key);
	}
	free(conf->known);
	free(conf->ent);
	free(conf->path);
	free(conf);
}

const char *gw_conf_path(const struct gw_conf *conf)
{
	return conf->path;
}

const char *gw_conf_section(const struct gw_conf *conf, size_t idx)
{
	size_t k = 0;

	for (size_t i = 0; i < conf->n; i++) {
		if (conf->ent[i].key)
			continue;
		/* a section may appear twice; list it once */
		bool dup = false;
		for (size_t j = 0; j < i; j++) {
			if (!conf->ent[j].key &&
			    !strcmp(conf->ent[j].section, conf->ent[i].section)) {
				dup = true;
				break;
			}
		}
		if (dup)
			continue;
		if (k++ == idx)
			return conf->ent[i].section;
	}
	return NULL;
}

bool gw_conf_has_section(const struct gw_conf *conf, const char *section)
{
	for (size_t i = 0; i < conf->n; i++) {
		if (!strcmp(conf->ent[i].section, section))
			return true;
	}
	return false;
}

bool gw_conf_section_kind(const char *section, const char *kind,
			  const char **name)
{
	size_t kl = strlen(kind);

	if (strncasecmp(section, kind, kl))
		return false;
	if (section[kl] != '\0' && section[kl] != ' ' && section[kl] != '\t')
		return false;
	if (name) {
		const char *p = section + kl;
		while (*p == ' ' || *p == '\t')
			p++;
		*name = p;
	}
	return true;
}

unsigned gw_conf_section_headers(const struct gw_conf *conf,
				 const char *section)
{
	unsigned n = 0;

	for (size_t i = 0; i < conf->n; i++) {
		if (!conf->ent[i].key && !strcmp(conf->ent[i].section, section))
			n++;
	}
	return n;
}

void gw_conf_section_seen(struct gw_conf *conf, const char *section)
{
	for (size_t i = 0; i < conf->n; i++) {
		if (!conf->ent[i].key && !strcmp(conf->ent[i].section, section))
			conf->ent[i].used = true;
	}
}

/* Last occurrence wins for single-valued keys; marks all occurrences. */
static struct conf_ent *conf_find(struct gw_conf *conf, const char *section,
				  const char *key)
{
	struct conf_ent *found = NULL;

	conf_note_known(conf, section, key);
	for (size_t i = 0; i < conf->n; i++) {
		struct conf_ent *e = &conf->ent[i];
		if (!e->key || strcmp(e->section, section) ||
		    strcasecmp(e->key, key))
			continue;
		e->used = true;
		found = e;
	}
	gw_conf_section_seen(conf, section);
	return found;
}

static unsigned conf_line_of(const struct gw_conf *conf, const char *section,
			     const char *key)
{
	unsigned line = 0;

	for (size_t i = 0; i < conf->n; i++) {
		const struct conf_ent *e = &conf->ent[i];
		if (strcmp(e->section, section))
			continue;
		if (key ? (e->key && !strcasecmp(e->key, key)) : !e->key)
			line = e->line;
	}
	return line;
}

int gw_conf_fail(const struct gw_conf *conf, const char *section,
		 const char *key, struct gw_conf_err *err, const char *fmt, ...)
{
	char what[384];
	va_list ap;
	unsigned line = conf_line_of(conf, section, key);

	if (!line && key)
		line = conf_line_of(conf, section, NULL);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (key)
		conf_set_err(err, "%s:%u: [%s] %s: %s", conf->path, line,
			     section, key, what);
	else
		conf_set_err(err, "%s:%u: [%s]: %s", conf->path, line, section,
			     what);
	return EINVAL;
}

int gw_conf_str(struct gw_conf *conf, const char *section, const char *key,
		const char *def, const char **out, struct gw_conf_err *err)
{
	struct conf_ent *e = conf_find(conf, section, key);

	(void)err;
	*out = e ? e->value : def;
	return 0;
}

static int conf_parse_long(const char *s, long *v)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(s, &end, 0);
	if (errno || end == s || *end != '\0')
		return EINVAL;
	*v = x;
	return 0;
}

int gw_conf_int(struct gw_conf *conf, const char *section, const char *key,
		long min, long max, long def, long *out,
		struct gw_conf_err *err)
{
	struct conf_ent *e = conf_find(conf, section, key);
	long v;

	if (!e) {
		*out = def;
		return 0;
	}
	if (conf_parse_long(e->value, &v))
		return gw_conf_fail(conf, section, key, err,
				    "'%s' is not an integer (expected %ld..%ld)",
				    e->value, min, max);
	if (v < min || v > max)
		return gw_conf_fail(conf, section, key, err,
				    "%ld is out of range (expected %ld..%ld)", v,
				    min, max);
	*out = v;
	return 0;
}

int gw_conf_bool(struct gw_conf *conf, const char *section, const char *key,
		 bool def, bool *out, struct gw_conf_err *err)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };
	struct conf_ent *e = conf_find(conf, section, key);

	if (!e) {
		*out = def;
		return 0;
	}
	for (size_t i = 0; yes[i]; i++) {
		if (!strcasecmp(e->value, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(e->value, no[i])) {
			*out = false;
			return 0;
		}
	}
	return gw_conf_fail(conf, section, key, err,
			    "'%s' is not a boolean (use yes or no)", e->value);
}

int gw_conf_enum(struct gw_conf *conf, const char *section, const char *key,
		 const char *const *names, int def, int *out,
		 struct gw_conf_err *err)
{
	struct conf_ent *e = conf_find(conf, section, key);
	char choices[256];
	size_t n = 0;

	if (!e) {
		*out = def;
		return 0;
	}
	for (int i = 0; names[i]; i++) {
		if (!strcasecmp(e->value, names[i])) {
			*out = i;
			return 0;
		}
	}
	choices[0] = '\0';
	for (int i = 0; names[i] && n < sizeof(choices); i++) {
		int r = snprintf(choices + n, sizeof(choices) - n, "%s%s",
				 i ? ", " : "", names[i]);
		if (r < 0)
			break;
		n += (size_t)r;
	}
	return gw_conf_fail(conf, section, key, err,
			    "'%s' is not valid (one of: %s)", e->value, choices);
}

int gw_conf_msec(struct gw_conf *conf, const char *section, const char *key,
		 long min_ms, long max_ms, long def_ms, long *out,
		 struct gw_conf_err *err)
{
	struct conf_ent *e = conf_find(conf, section, key);
	char *end;
	long v, mul = 1;

	if (!e) {
		*out = def_ms;
		return 0;
	}
	errno = 0;
	v = strtol(e->value, &end, 10);
	if (errno || end == e->value)
		goto bad;
	if (!strcmp(end, "") || !strcmp(end, "ms"))
		mul = 1;
	else if (!strcmp(end, "s"))
		mul = 1000;
	else if (!strcmp(end, "m"))
		mul = 60000;
	else
		goto bad;
	if (v < 0 || v > LONG_MAX / mul)
		goto range;
	v *= mul;
	if (v < min_ms || v > max_ms)
		goto range;
	*out = v;
	return 0;
bad:
	return gw_conf_fail(conf, section, key, err,
			    "'%s' is not a duration (e.g. 500ms, 30s, 5m)",
			    e->value);
range:
	return gw_conf_fail(conf, section, key, err,
			    "'%s' is out of range (%ldms..%ldms)", e->value,
			    min_ms, max_ms);
}

bool gw_conf_entry(struct gw_conf *conf, const char *section, size_t idx,
		   const char **key, const char **value, unsigned *line)
{
	size_t k = 0;

	for (size_t i = 0; i < conf->n; i++) {
		struct conf_ent *e = &conf->ent[i];
		if (!e->key || strcmp(e->section, section))
			continue;
		if (k++ != idx)
			continue;
		e->used = true;
		gw_conf_section_seen(conf, section);
		if (key)
			*key = e->key;
		if (value)
			*value = e->value;
		if (line)
			*line = e->line;
		return true;
	}
	return false;
}

int gw_conf_check_unused(const struct gw_conf *conf, struct gw_conf_err *err)
{
	for (size_t i = 0; i < conf->n; i++) {
		const struct conf_ent *e = &conf->ent[i];
		char known[256];
		size_t n = 0;

		if (e->used)
			continue;
		if (!e->key) {
			/* a section is known if it was read or marked seen */
			bool seen = false;
			for (size_t j = 0; j < conf->n; j++) {
				if (!strcmp(conf->ent[j].section, e->section) &&
				    conf->ent[j].used)
					seen = true;
			}
			if (seen)
				continue;
			conf_set_err(err, "%s:%u: unknown section [%s]",
				     conf->path, e->line, e->section);
			return EINVAL;
		}
		known[0] = '\0';
		const char *best = NULL;
		unsigned bestd = 3;
		for (size_t j = 0; j < conf->nknown && n < sizeof(known); j++) {
			const struct conf_known *k = &conf->known[j];
			if (strcmp(k->section, e->section))
				continue;
			unsigned d = conf_edit_distance(e->key, k->key);
			if (d < bestd) {
				bestd = d;
				best = k->key;
			}
			int r = snprintf(known + n, sizeof(known) - n, "%s%s",
					 n ? ", " : "", k->key);
			if (r < 0)
				break;
			n += (size_t)r;
		}
		if (best)
			conf_set_err(err, "%s:%u: [%s] unknown key '%s' (did you mean '%s'?)",
				     conf->path, e->line, e->section, e->key, best);
		else
			conf_set_err(err, "%s:%u: [%s] unknown key '%s'%s%s%s",
				     conf->path, e->line, e->section, e->key,
				     n ? " (known here: " : "", known, n ? ")" : "");
		return EINVAL;
	}
	return 0;
}
