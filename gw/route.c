/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Call routing rules (see route.h). Rules are compiled once per (re)load:
 * regexes with regcomp (POSIX extended), targets and failover lists parsed
 * into arrays, so a lookup is a linear scan with no allocation.
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gw/conf.h"
#include "gw/route.h"

enum match_kind { MATCH_ANY = 0, MATCH_PREFIX, MATCH_REGEX };

struct num_match {
	enum match_kind kind;
	char prefix[GW_ROUTE_NUM];
	regex_t re;
};

enum num_format {
	FMT_KEEP = 0, FMT_E164, FMT_INTERNATIONAL, FMT_NATIONAL, FMT_SUBSCRIBER,
};

struct num_rewrite {
	long strip;
	char prefix[GW_ROUTE_NUM];
	bool has_subst;
	regex_t subst_re;
	char subst_repl[GW_ROUTE_NUM];
	enum num_format format;
	enum gw_ton ton;
	enum gw_npi npi;
};

#define MAX_FAILOVER 32

struct route_rule {
	char name[GW_ROUTE_NAME];
	enum gw_route_dir dir;
	struct num_match called, calling;
	enum { SRC_ANY, SRC_TRUNK, SRC_SPAN } src_kind;
	char src_trunk[GW_ROUTE_NAME];
	long src_span;
	bool has_time;
	uint8_t days;          /* bit 0 = Monday ... bit 6 = Sunday */
	int from_min, to_min;  /* [from, to) minutes of the day; may wrap */
	struct num_rewrite rw_called, rw_calling;
	char cc[8], natp[8], intp[8];
	size_t ntargets;
	struct gw_route_target targets[GW_ROUTE_MAX_TARGETS];
	size_t nfail;
	int fail_codes[MAX_FAILOVER]; /* >= 100: SIP status, else Q.850 */
	bool fail_timeout;
};

struct gw_route_table {
	struct route_rule *rules;
	size_t n;
};

static const char *const ton_names[] = {
	[GW_TON_UNKNOWN] = "unknown",     [GW_TON_INTERNATIONAL] = "international",
	[GW_TON_NATIONAL] = "national",   [GW_TON_NETWORK] = "network",
	[GW_TON_SUBSCRIBER] = "subscriber", [5] = NULL,
	[GW_TON_ABBREVIATED] = "abbreviated",
};

const char *gw_ton_name(enum gw_ton ton)
{
	if ((unsigned)ton < sizeof(ton_names) / sizeof(ton_names[0]) &&
	    ton_names[ton])
		return ton_names[ton];
	return ton == GW_TON_KEEP ? "keep" : "?";
}

static const char *const known_keys[] = {
	"direction", "called", "calling", "source", "time", "country_code",
	"national_prefix", "international_prefix", "target", "failover_on",
	"called_strip", "called_prefix", "called_subst", "called_format",
	"called_ton", "called_npi", "calling_strip", "calling_prefix",
	"calling_subst", "calling_format", "calling_ton", "calling_npi", NULL,
};

static void rule_free(struct route_rule *r)
{
	if (r->called.kind == MATCH_REGEX)
		regfree(&r->called.re);
	if (r->calling.kind == MATCH_REGEX)
		regfree(&r->calling.re);
	if (r->rw_called.has_subst)
		regfree(&r->rw_called.subst_re);
	if (r->rw_calling.has_subst)
		regfree(&r->rw_calling.subst_re);
}

void gw_route_table_free(struct gw_route_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		rule_free(&t->rules[i]);
	free(t->rules);
	free(t);
}

size_t gw_route_table_count(const struct gw_route_table *t)
{
	return t ? t->n : 0;
}

/*
 * Number patterns are short; glibc's regcomp can take gigabytes on
 * stacked quantifiers ("a+++++", "(a{99}){99}"). Refuse those shapes up
 * front: at most 128 characters, no quantifier directly after another,
 * repeat counts up to 64.
 */
static const char *regex_sanity(const char *re)
{
	bool prev_quant = false;

	if (strlen(re) > 128)
		return "longer than 128 characters";
	for (const char *p = re; *p; p++) {
		bool quant = false;
		if (*p == '\\' && p[1]) {
			p++;
		} else if (*p == '*' || *p == '+' || *p == '?') {
			quant = true;
		} else if (*p == '{') {
			const char *q = p + 1;
			long n = 0;
			while (*q && *q != '}') {
				if (*q >= '0' && *q <= '9') {
					n = n * 10 + (*q - '0');
					if (n > 64)
						return "repeat count above 64";
				} else if (*q == ',') {
					n = 0;
				} else {
					break;
				}
				q++;
			}
			quant = true;
		}
		if (quant && prev_quant)
			return "a quantifier follows another";
		prev_quant = quant;
		if (*p == '{') {
			while (*p && *p != '}')
				p++;
			if (!*p)
				break;
		}
	}
	return NULL;
}

static int parse_match(struct gw_conf *conf, const char *sec, const char *key,
		       struct num_match *m, struct gw_conf_err *err)
{
	const char *v;
	int rc;

	gw_conf_str(conf, sec, key, "*", &v, err);
	memset(m, 0, sizeof(*m));
	if (!strcmp(v, "*") || !*v) {
		m->kind = MATCH_ANY;
		return 0;
	}
	if (!strncmp(v, "prefix:", 7)) {
		if (strlen(v + 7) >= sizeof(m->prefix))
			return gw_conf_fail(conf, sec, key, err, "prefix too long");
		m->kind = MATCH_PREFIX;
		snprintf(m->prefix, sizeof(m->prefix), "%s", v + 7);
		return 0;
	}
	const char *why = regex_sanity(v);
	if (why)
		return gw_conf_fail(conf, sec, key, err,
				    "regular expression '%s' refused: %s", v, why);
	rc = regcomp(&m->re, v, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		char msg[128];
		regerror(rc, &m->re, msg, sizeof(msg));
		return gw_conf_fail(conf, sec, key, err,
				    "bad regular expression '%s': %s", v, msg);
	}
	m->kind = MATCH_REGEX;
	return 0;
}

/* "s/RE/REPL/" with any delimiter after the s */
static int parse_subst(struct gw_conf *conf, const char *sec, const char *key,
		       struct num_rewrite *rw, struct gw_conf_err *err)
{
	const char *v, *p1, *p2, *end;
	char re[256];
	char delim;
	int rc;

	gw_conf_str(conf, sec, key, NULL, &v, err);
	if (!v)
		return 0;
	if (v[0] != 's' || !v[1])
		goto bad;
	delim = v[1];
	p1 = v + 2;
	p2 = strchr(p1, delim);
	if (!p2)
		goto bad;
	end = strchr(p2 + 1, delim);
	if (!end || end[1] != '\0')
		goto bad;
	if ((size_t)(p2 - p1) >= sizeof(re) ||
	    (size_t)(end - p2 - 1) >= sizeof(rw->subst_repl))
		return gw_conf_fail(conf, sec, key, err, "too long");
	memcpy(re, p1, (size_t)(p2 - p1));
	re[p2 - p1] = '\0';
	memcpy(rw->subst_repl, p2 + 1, (size_t)(end - p2 - 1));
	rw->subst_repl[end - p2 - 1] = '\0';
	const char *why = regex_sanity(re);
	if (why)
		return gw_conf_fail(conf, sec, key, err,
				    "regular expression '%s' refused: %s", re, why);
	rc = regcomp(&rw->subst_re, re, REG_EXTENDED);
	if (rc) {
		char msg[128];
		regerror(rc, &rw->subst_re, msg, sizeof(msg));
		return gw_conf_fail(conf, sec, key, err,
				    "bad regular expression '%s': %s", re, msg);
	}
	rw->has_subst = true;
	return 0;
bad:
	return gw_conf_fail(conf, sec, key, err,
			    "'%s' is not a substitution (expected s/RE/REPLACEMENT/)",
			    v);
}

static int parse_rewrite(struct gw_conf *conf, const char *sec,
			 const char *which, struct num_rewrite *rw,
			 struct gw_conf_err *err)
{
	static const char *const formats[] = { "keep", "e164", "international",
					       "national", "subscriber", NULL };
	static const char *const tons[] = { "unknown", "international",
					    "national", "network", "subscriber",
					    "abbreviated", "keep", NULL };
	static const enum gw_ton ton_vals[] = {
		GW_TON_UNKNOWN, GW_TON_INTERNATIONAL, GW_TON_NATIONAL,
		GW_TON_NETWORK, GW_TON_SUBSCRIBER, GW_TON_ABBREVIATED,
		GW_TON_KEEP,
	};
	static const char *const npis[] = { "unknown", "isdn", "data", "telex",
					    "national", "private", "keep", NULL };
	static const enum gw_npi npi_vals[] = {
		GW_NPI_UNKNOWN, GW_NPI_ISDN, GW_NPI_DATA, GW_NPI_TELEX,
		GW_NPI_NATIONAL, GW_NPI_PRIVATE, GW_NPI_KEEP,
	};
	char key[32];
	const char *s;
	int v, ret;

	memset(rw, 0, sizeof(*rw));
	snprintf(key, sizeof(key), "%s_strip", which);
	ret = gw_conf_int(conf, sec, key, 0, GW_ROUTE_NUM - 1, 0, &rw->strip, err);
	if (ret)
		return ret;
	snprintf(key, sizeof(key), "%s_prefix", which);
	gw_conf_str(conf, sec, key, "", &s, err);
	if (strlen(s) >= sizeof(rw->prefix))
		return gw_conf_fail(conf, sec, key, err, "too long");
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p) && *p != '+' && *p != '*' &&
		    *p != '#')
			return gw_conf_fail(conf, sec, key, err,
					    "'%s' is not a number prefix", s);
	}
	snprintf(rw->prefix, sizeof(rw->prefix), "%s", s);
	snprintf(key, sizeof(key), "%s_subst", which);
	ret = parse_subst(conf, sec, key, rw, err);
	if (ret)
		return ret;
	snprintf(key, sizeof(key), "%s_format", which);
	ret = gw_conf_enum(conf, sec, key, formats, FMT_KEEP, &v, err);
	if (ret)
		return ret;
	rw->format = (enum num_format)v;
	snprintf(key, sizeof(key), "%s_ton", which);
	ret = gw_conf_enum(conf, sec, key, tons, 6, &v, err);
	if (ret)
		return ret;
	rw->ton = ton_vals[v];
	snprintf(key, sizeof(key), "%s_npi", which);
	ret = gw_conf_enum(conf, sec, key, npis, 6, &v, err);
	if (ret)
		return ret;
	rw->npi = npi_vals[v];
	return 0;
}

static int day_index(const char *s, size_t l)
{
	static const char *const d[] = { "mon", "tue", "wed", "thu",
					 "fri", "sat", "sun" };
	for (int i = 0; i < 7; i++) {
		if (l == 3 && !strncasecmp(s, d[i], 3))
			return i;
	}
	return -1;
}

/* "mon-fri 08:00-18:00", "sat,sun 00:00-24:00", "22:00-06:00" */
static int parse_time(struct gw_conf *conf, const char *sec,
		      struct route_rule *r, struct gw_conf_err *err)
{
	const char *v, *p, *sp;
	int h1, m1, h2, m2, n = 0;

	gw_conf_str(conf, sec, "time", NULL, &v, err);
	if (!v)
		return 0;
	r->has_time = true;
	r->days = 0x7f;
	sp = strchr(v, ' ');
	p = v;
	if (sp) {
		r->days = 0;
		while (p < sp) {
			const char *e = p;
			int a, b;
			while (e < sp && *e != ',' && *e != '-')
				e++;
			a = day_index(p, (size_t)(e - p));
			if (a < 0)
				goto bad;
			b = a;
			if (e < sp && *e == '-') {
				const char *f = ++e;
				while (e < sp && *e != ',')
					e++;
				b = day_index(f, (size_t)(e - f));
				if (b < 0)
					goto bad;
			}
			for (int d = a;; d = (d + 1) % 7) {
				r->days |= (uint8_t)(1u << d);
				if (d == b)
					break;
			}
			p = e < sp ? e + 1 : sp;
		}
		p = sp + 1;
		while (*p == ' ')
			p++;
	}
	if (sscanf(p, "%d:%d-%d:%d%n", &h1, &m1, &h2, &m2, &n) != 4 ||
	    p[n] != '\0' || h1 < 0 || h1 > 23 || m1 < 0 || m1 > 59 || h2 < 0 ||
	    h2 > 24 || m2 < 0 || m2 > 59 || (h2 == 24 && m2 != 0))
		goto bad;
	r->from_min = h1 * 60 + m1;
	r->to_min = h2 * 60 + m2;
	return 0;
bad:
	return gw_conf_fail(conf, sec, "time", err,
			    "'%s' is not a time window (e.g. \"mon-fri "
			    "08:00-18:00\" or \"22:00-06:00\")", v);
}

static int parse_targets(struct gw_conf *conf, const char *sec,
			 struct route_rule *r, struct gw_conf_err *err)
{
	const char *v;
	char buf[512], *save = NULL, *tok;

	gw_conf_str(conf, sec, "target", NULL, &v, err);
	if (!v || !*v)
		return gw_conf_fail(conf, sec, NULL, err,
				    "missing key 'target' (e.g. target = "
				    "group:NAME or trunk:NAME)");
	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		struct gw_route_target *t;
		if (r->ntargets == GW_ROUTE_MAX_TARGETS)
			return gw_conf_fail(conf, sec, "target", err,
					    "at most %d targets",
					    GW_ROUTE_MAX_TARGETS);
		t = &r->targets[r->ntargets];
		if (!strncmp(tok, "group:", 6) && tok[6]) {
			t->kind = GW_TARGET_GROUP;
			tok += 6;
		} else if (!strncmp(tok, "trunk:", 6) && tok[6]) {
			t->kind = GW_TARGET_TRUNK;
			tok += 6;
		} else {
			return gw_conf_fail(conf, sec, "target", err,
					    "'%s' is not group:NAME or trunk:NAME",
					    tok);
		}
		if (strlen(tok) >= sizeof(t->name))
			return gw_conf_fail(conf, sec, "target", err,
					    "name too long");
		snprintf(t->name, sizeof(t->name), "%s", tok);
		r->ntargets++;
	}
	if (!r->ntargets)
		return gw_conf_fail(conf, sec, "target", err, "empty");
	return 0;
}

static int parse_failover(struct gw_conf *conf, const char *sec,
			  struct route_rule *r, struct gw_conf_err *err)
{
	const char *v;
	char buf[512], *save = NULL, *tok;

	gw_conf_str(conf, sec, "failover_on", "503, 34, 38, 41, 42, 44, timeout",
		    &v, err);
	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		char *end;
		long c;
		if (!strcasecmp(tok, "timeout")) {
			r->fail_timeout = true;
			continue;
		}
		if (!strcasecmp(tok, "none"))
			continue;
		c = strtol(tok, &end, 10);
		if (*end || !((c >= 1 && c <= 127) || (c >= 400 && c <= 699)))
			return gw_conf_fail(conf, sec, "failover_on", err,
					    "'%s' is neither a Q.850 cause "
					    "(1..127), a SIP status (400..699) "
					    "nor 'timeout'", tok);
		if (r->nfail == MAX_FAILOVER)
			return gw_conf_fail(conf, sec, "failover_on", err,
					    "at most %d codes", MAX_FAILOVER);
		r->fail_codes[r->nfail++] = (int)c;
	}
	return 0;
}

static int parse_digits_key(struct gw_conf *conf, const char *sec,
			    const char *key, const char *def, char *out,
			    size_t sz, struct gw_conf_err *err)
{
	const char *v;

	gw_conf_str(conf, sec, key, def, &v, err);
	if (strlen(v) >= sz)
		return gw_conf_fail(conf, sec, key, err, "too long");
	for (const char *p = v; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return gw_conf_fail(conf, sec, key, err,
					    "'%s' is not digits", v);
	}
	snprintf(out, sz, "%s", v);
	return 0;
}

static int rule_conf(struct gw_conf *conf, const char *sec, const char *name,
		     struct route_rule *r, struct gw_conf_err *err)
{
	static const char *const dirs[] = { "sip2pstn", "pstn2sip", NULL };
	const char *key, *src;
	int v, ret;

	if (!*name || strlen(name) >= sizeof(r->name))
		return gw_conf_fail(conf, sec, NULL, err,
				    "a route needs a name of 1..%zu characters "
				    "([route NAME])", sizeof(r->name) - 1);
	snprintf(r->name, sizeof(r->name), "%s", name);
	/* unknown keys are errors here: a typo in a route is dangerous */
	for (size_t i = 0; gw_conf_entry(conf, sec, i, &key, NULL, NULL); i++) {
		bool ok = false;
		for (size_t k = 0; known_keys[k]; k++)
			ok |= !strcasecmp(key, known_keys[k]);
		if (!ok)
			return gw_conf_fail(conf, sec, key, err,
					    "unknown route key");
	}
	gw_conf_str(conf, sec, "direction", NULL, &src, err);
	if (!src)
		return gw_conf_fail(conf, sec, NULL, err,
				    "missing key 'direction' (sip2pstn or "
				    "pstn2sip)");
	ret = gw_conf_enum(conf, sec, "direction", dirs, 0, &v, err);
	if (ret)
		return ret;
	r->dir = (enum gw_route_dir)v;
	if ((ret = parse_match(conf, sec, "called", &r->called, err)))
		return ret;
	if ((ret = parse_match(conf, sec, "calling", &r->calling, err)))
		return ret;
	gw_conf_str(conf, sec, "source", "any", &src, err);
	if (!strcasecmp(src, "any")) {
		r->src_kind = SRC_ANY;
	} else if (!strncmp(src, "trunk:", 6) && src[6] &&
		   strlen(src + 6) < sizeof(r->src_trunk)) {
		r->src_kind = SRC_TRUNK;
		snprintf(r->src_trunk, sizeof(r->src_trunk), "%s", src + 6);
	} else if (!strncmp(src, "span:", 5)) {
		char *end;
		r->src_kind = SRC_SPAN;
		r->src_span = strtol(src + 5, &end, 10);
		if (end == src + 5 || *end || r->src_span < 0)
			return gw_conf_fail(conf, sec, "source", err,
					    "'%s' is not span:N", src);
	} else {
		return gw_conf_fail(conf, sec, "source", err,
				    "'%s' is not any, trunk:NAME or span:N", src);
	}
	if ((ret = parse_time(conf, sec, r, err)))
		return ret;
	if ((ret = parse_rewrite(conf, sec, "called", &r->rw_called, err)))
		return ret;
	if ((ret = parse_rewrite(conf, sec, "calling", &r->rw_calling, err)))
		return ret;
	if ((ret = parse_digits_key(conf, sec, "country_code", "", r->cc,
				    sizeof(r->cc), err)))
		return ret;
	if ((ret = parse_digits_key(conf, sec, "national_prefix", "0", r->natp,
				    sizeof(r->natp), err)))
		return ret;
	if ((ret = parse_digits_key(conf, sec, "international_prefix", "00",
				    r->intp, sizeof(r->intp), err)))
		return ret;
	if ((r->rw_called.format != FMT_KEEP ||
	     r->rw_calling.format != FMT_KEEP) && !r->cc[0])
		return gw_conf_fail(conf, sec, NULL, err,
				    "number formats need 'country_code'");
	if ((ret = parse_targets(conf, sec, r, err)))
		return ret;
	return parse_failover(conf, sec, r, err);
}

int gw_route_table_conf(struct gw_route_table **tp, struct gw_conf *conf,
			struct gw_conf_err *err)
{
	struct gw_route_table *t;
	const char *sec, *name;
	size_t cap = 0;
	int ret = 0;

	t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	for (size_t i = 0; (sec = gw_conf_section(conf, i)); i++) {
		if (!gw_conf_section_kind(sec, "route", &name))
			continue;
		gw_conf_section_seen(conf, sec);
		if (gw_conf_section_headers(conf, sec) > 1) {
			ret = gw_conf_fail(conf, sec, NULL, err,
					   "route '%s' defined twice", name);
			goto out;
		}
		for (size_t j = 0; j < t->n; j++) {
			if (!strcmp(t->rules[j].name, name)) {
				ret = gw_conf_fail(conf, sec, NULL, err,
						   "route '%s' defined twice",
						   name);
				goto out;
			}
		}
		if (t->n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct route_rule *nr =
				realloc(t->rules, ncap * sizeof(*nr));
			if (!nr) {
				ret = ENOMEM;
				goto out;
			}
			t->rules = nr;
			cap = ncap;
		}
		memset(&t->rules[t->n], 0, sizeof(t->rules[0]));
		ret = rule_conf(conf, sec, name, &t->rules[t->n], err);
		if (ret) {
			rule_free(&t->rules[t->n]);
			goto out;
		}
		t->n++;
	}
out:
	if (ret) {
		gw_route_table_free(t);
		return ret;
	}
	*tp = t;
	return 0;
}

static bool match_num(const struct num_match *m, const char *num)
{
	switch (m->kind) {
	case MATCH_ANY:
		return true;
	case MATCH_PREFIX:
		return num && !strncmp(num, m->prefix, strlen(m->prefix));
	case MATCH_REGEX:
		return regexec(&m->re, num ? num : "", 0, NULL, 0) == 0;
	}
	return false;
}

static bool match_time(const struct route_rule *r, time_t now)
{
	struct tm tm;
	int wd, min;

	if (!r->has_time)
		return true;
	if (!now)
		now = time(NULL);
	localtime_r(&now, &tm);
	wd = (tm.tm_wday + 6) % 7; /* Monday = 0 */
	min = tm.tm_hour * 60 + tm.tm_min;
	if (r->from_min <= r->to_min) {
		return (r->days & (1u << wd)) && min >= r->from_min &&
		       min < r->to_min;
	}
	/* wraps midnight: the part after midnight belongs to the day before */
	if (min >= r->from_min)
		return r->days & (1u << wd);
	if (min < r->to_min)
		return r->days & (1u << ((wd + 6) % 7));
	return false;
}

static int apply_subst(const struct num_rewrite *rw, char *num, size_t sz)
{
	regmatch_t m[10];
	char out[GW_ROUTE_NUM];
	size_t n = 0;

	if (regexec(&rw->subst_re, num, 10, m, 0))
		return 0;
	/* text before the match */
	if ((size_t)m[0].rm_so >= sizeof(out))
		return ENAMETOOLONG;
	memcpy(out, num, (size_t)m[0].rm_so);
	n = (size_t)m[0].rm_so;
	for (const char *p = rw->subst_repl; *p; p++) {
		if (*p == '\\' && p[1] >= '0' && p[1] <= '9') {
			int g = p[1] - '0';
			p++;
			if (m[g].rm_so < 0)
				continue;
			size_t l = (size_t)(m[g].rm_eo - m[g].rm_so);
			if (n + l >= sizeof(out))
				return ENAMETOOLONG;
			memcpy(out + n, num + m[g].rm_so, l);
			n += l;
		} else {
			if (*p == '\\' && p[1])
				p++;
			if (n + 1 >= sizeof(out))
				return ENAMETOOLONG;
			out[n++] = *p;
		}
	}
	size_t rest = strlen(num + m[0].rm_eo);
	if (n + rest >= sizeof(out) || n + rest >= sz)
		return ENAMETOOLONG;
	memcpy(out + n, num + m[0].rm_eo, rest + 1);
	memcpy(num, out, n + rest + 1);
	return 0;
}

static bool starts_with(const char *s, const char *p)
{
	return *p && !strncmp(s, p, strlen(p));
}

/*
 * Bring num to the wanted format using the rule's country code and
 * prefixes. A number whose origin cannot be told (unknown TON, no prefix)
 * is left alone.
 */
static int apply_format(const struct route_rule *r, enum num_format fmt,
			char *num, size_t sz, enum gw_ton *ton)
{
	char intl[GW_ROUTE_NUM]; /* digits after the '+' */
	const char *p = num;
	int n;

	if (fmt == FMT_KEEP || fmt == FMT_SUBSCRIBER)
		return 0;
	if (*p == '+') {
		snprintf(intl, sizeof(intl), "%s", p + 1);
	} else if (*ton == GW_TON_INTERNATIONAL) {
		snprintf(intl, sizeof(intl), "%s", p);
	} else if (starts_with(p, r->intp)) {
		snprintf(intl, sizeof(intl), "%s", p + strlen(r->intp));
	} else if (*ton == GW_TON_NATIONAL) {
		n = snprintf(intl, sizeof(intl), "%s%s", r->cc, p);
		if (n < 0 || (size_t)n >= sizeof(intl))
			return ENAMETOOLONG;
	} else if (starts_with(p, r->natp)) {
		n = snprintf(intl, sizeof(intl), "%s%s", r->cc,
			     p + strlen(r->natp));
		if (n < 0 || (size_t)n >= sizeof(intl))
			return ENAMETOOLONG;
	} else {
		return 0; /* subscriber or unknown: nothing to normalise */
	}

	switch (fmt) {
	case FMT_E164:
		n = snprintf(num, sz, "+%s", intl);
		*ton = GW_TON_INTERNATIONAL;
		break;
	case FMT_INTERNATIONAL:
		n = snprintf(num, sz, "%s", intl);
		*ton = GW_TON_INTERNATIONAL;
		break;
	case FMT_NATIONAL:
		if (starts_with(intl, r->cc)) {
			n = snprintf(num, sz, "%s", intl + strlen(r->cc));
			*ton = GW_TON_NATIONAL;
		} else {
			/* abroad: a national format cannot express it */
			n = snprintf(num, sz, "%s", intl);
			*ton = GW_TON_INTERNATIONAL;
		}
		break;
	default:
		return 0;
	}
	return (n < 0 || (size_t)n >= sz) ? ENAMETOOLONG : 0;
}

static int rewrite(const struct route_rule *r, const struct num_rewrite *rw,
		   const char *in, enum gw_ton in_ton, char *out, size_t sz,
		   enum gw_ton *ton, enum gw_npi *npi)
{
	size_t l = in ? strlen(in) : 0;
	int n, ret;

	*ton = in_ton;
	*npi = GW_NPI_ISDN;
	if (l >= sz)
		return ENAMETOOLONG;
	if ((size_t)rw->strip >= l)
		l = 0;
	else
		l -= (size_t)rw->strip;
	n = snprintf(out, sz, "%s%s", rw->prefix,
		     l ? in + (strlen(in) - l) : "");
	if (n < 0 || (size_t)n >= sz)
		return ENAMETOOLONG;
	if (rw->has_subst && (ret = apply_subst(rw, out, sz)))
		return ret;
	if ((ret = apply_format(r, rw->format, out, sz, ton)))
		return ret;
	if (rw->ton != GW_TON_KEEP)
		*ton = rw->ton;
	if (rw->npi != GW_NPI_KEEP)
		*npi = rw->npi;
	return 0;
}

int gw_route_lookup(const struct gw_route_table *t,
		    const struct gw_route_req *req, struct gw_route_result *res)
{
	for (size_t i = 0; t && i < t->n; i++) {
		const struct route_rule *r = &t->rules[i];
		int ret;

		if (r->dir != req->dir)
			continue;
		if (r->src_kind == SRC_TRUNK &&
		    (!req->src_trunk || strcmp(req->src_trunk, r->src_trunk)))
			continue;
		if (r->src_kind == SRC_SPAN && req->src_span != r->src_span)
			continue;
		if (!match_num(&r->called, req->called) ||
		    !match_num(&r->calling, req->calling))
			continue;
		if (!match_time(r, req->now))
			continue;

		memset(res, 0, sizeof(*res));
		res->route = r->name;
		res->rule = r;
		ret = rewrite(r, &r->rw_called, req->called, req->called_ton,
			      res->called, sizeof(res->called),
			      &res->called_ton, &res->called_npi);
		if (!ret && req->calling && req->calling[0])
			ret = rewrite(r, &r->rw_calling, req->calling,
				      req->calling_ton, res->calling,
				      sizeof(res->calling), &res->calling_ton,
				      &res->calling_npi);
		if (ret)
			return ret;
		res->ntargets = r->ntargets;
		memcpy(res->targets, r->targets,
		       r->ntargets * sizeof(r->targets[0]));
		return 0;
	}
	return ENOENT;
}

bool gw_route_failover(const struct gw_route_result *res, int sip_status,
		       int q850, bool timeout)
{
	const struct route_rule *r = res->rule;

	if (!r)
		return false;
	if (timeout)
		return r->fail_timeout;
	for (size_t i = 0; i < r->nfail; i++) {
		int c = r->fail_codes[i];
		if ((c >= 400 && c == sip_status) || (c < 400 && c == q850))
			return true;
	}
	return false;
}
