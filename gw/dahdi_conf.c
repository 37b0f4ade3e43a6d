/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DAHDI system.conf reader (see dahdi_conf.h): the keyword=value grammar
 * dahdi_cfg accepts, as written by dahdi_genconf for E1/T1 PRI spans,
 * SS7-style spans (bchan + dchan/mtp2), BRI ports and analog cards, turned
 * into span layouts (G.704 timeslots: E1 TS16 / T1 TS24 signalling).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/pl.h"
#include "gw/dahdi_conf.h"
#ifdef HAVE_DAHDI
#include "gw/tdm_dahdi.h"
#endif

#define MAX_SPANS 128
#define MAX_FILE (1u << 20)

/* What a keyword does. */
enum kw_kind {
	KW_SPAN,
	KW_DYNAMIC,
	KW_ZONE_LOAD,
	KW_ZONE_DEFAULT,
	KW_BCHAN,
	KW_DCHAN,
	KW_HARDHDLC,
	KW_MTP2,
	KW_OTHERCHAN,   /* channels used for something that is not ours */
	KW_LAW_A,
	KW_LAW_U,
	KW_LAW_DEF,
	KW_ECHOCAN,
	KW_IGNORE,      /* radio parameters and the like */
};

static const struct {
	const char *name;
	enum kw_kind kind;
	bool suffix;    /* value may end with ":<something>" */
	bool digital;   /* a role of a span's channel (places the span) */
} kwtab[] = {
	{ "span", KW_SPAN, false, false },
	{ "dynamic", KW_DYNAMIC, false, false },
	{ "loadzone", KW_ZONE_LOAD, false, false },
	{ "defaultzone", KW_ZONE_DEFAULT, false, false },
	{ "bchan", KW_BCHAN, false, true },
	{ "inclear", KW_BCHAN, false, true },
	{ "dchan", KW_DCHAN, false, true },
	{ "fcshdlc", KW_DCHAN, false, true },
	{ "hardhdlc", KW_HARDHDLC, false, true },
	{ "mtp2", KW_MTP2, false, true },
	{ "clear", KW_OTHERCHAN, false, true },
	{ "indclear", KW_OTHERCHAN, false, true },
	{ "unused", KW_OTHERCHAN, false, true },
	{ "rawhdlc", KW_OTHERCHAN, false, true },
	{ "nethdlc", KW_OTHERCHAN, true, true },
	{ "dacs", KW_OTHERCHAN, true, true },
	{ "dacsrbs", KW_OTHERCHAN, true, true },
	{ "cas", KW_OTHERCHAN, true, true },
	{ "e&m", KW_OTHERCHAN, false, false },
	{ "e&me1", KW_OTHERCHAN, false, false },
	{ "fxsls", KW_OTHERCHAN, false, false },
	{ "fxsgs", KW_OTHERCHAN, false, false },
	{ "fxsks", KW_OTHERCHAN, false, false },
	{ "fxols", KW_OTHERCHAN, false, false },
	{ "fxogs", KW_OTHERCHAN, false, false },
	{ "fxoks", KW_OTHERCHAN, false, false },
	{ "sf", KW_OTHERCHAN, false, false },
	{ "alaw", KW_LAW_A, false, false },
	{ "mulaw", KW_LAW_U, false, false },
	{ "deflaw", KW_LAW_DEF, false, false },
	{ "echocanceller", KW_ECHOCAN, false, false },
	{ "channel", KW_IGNORE, false, false },
	{ "channels", KW_IGNORE, false, false },
	{ "tx", KW_IGNORE, false, false },
	{ "rx", KW_IGNORE, false, false },
	{ "rxdcs", KW_IGNORE, false, false },
	{ "dcsrx", KW_IGNORE, false, false },
	{ "ctcss", KW_IGNORE, false, false },
	{ "debouncetime", KW_IGNORE, false, false },
	{ "bursttime", KW_IGNORE, false, false },
	{ "exttone", KW_IGNORE, false, false },
	{ "invertcor", KW_IGNORE, false, false },
	{ "corthresh", KW_IGNORE, false, false },
};

/* Per-timeslot role while parsing. */
enum ts_role { R_NONE = 0, R_B, R_D, R_OTHER };

struct span_work {
	uint8_t role[GW_SPAN_MAX_TS + 1];
	unsigned role_line[GW_SPAN_MAX_TS + 1];
	/* 0 = span default, else enum gw_span_law */
	uint8_t law[GW_SPAN_MAX_TS + 1];
};

struct parser {
	const char *fname;
	struct gw_dahdi_conf *conf;
	struct span_work *work;
	unsigned maxch;         /* highest channel number occupied so far */
	/* pass 1: the last span= whose first channel is not settled yet,
	 * and the channels its section (the lines after it) uses */
	struct gw_dahdi_span *pending;
	unsigned pend_line;
	unsigned sec_lo, sec_hi, other_hi;
	char *err;
	size_t errsz;
	unsigned line;
};

static int perr(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || !p->errsz)
		return EINVAL;
	n = snprintf(p->err, p->errsz, "%s:%u: ", p->fname, p->line);
	if (n < 0 || (size_t)n >= p->errsz)
		return EINVAL;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errsz - (size_t)n, fmt, ap);
	va_end(ap);
	return EINVAL;
}

/* Split "a,b,c": returns the next item (trimmed) and advances *rest. */
static bool next_item(struct pl *rest, struct pl *item)
{
	const char *c;

	if (!rest->p)
		return false;
	c = pl_chr(rest, ',');
	item->p = rest->p;
	if (c) {
		item->l = (size_t)(c - rest->p);
		rest->l -= item->l + 1;
		rest->p = c + 1;
	} else {
		item->l = rest->l;
		rest->p = NULL;
		rest->l = 0;
	}
	pl_trim(item);
	return true;
}

typedef int (chan_h)(struct parser *p, unsigned ch, void *arg);

/*
 * Walk a channel list "1-15,17-31" calling h for each channel. Ranges are
 * checked in full before any channel is visited, so a bad list changes
 * nothing.
 */
static int walk_chans(struct parser *p, const struct pl *list, chan_h *h,
		      void *arg)
{
	for (int pass = 0; pass < 2; pass++) {
		struct pl rest = *list, item;
		unsigned items = 0;

		while (next_item(&rest, &item)) {
			struct pl a = item, b;
			const char *dash = pl_chr(&item, '-');
			uint32_t lo, hi;

			if (dash) {
				a.l = (size_t)(dash - item.p);
				b.p = dash + 1;
				b.l = item.l - a.l - 1;
				pl_trim(&a);
				pl_trim(&b);
			} else {
				b = a;
			}
			if (pl_u32(&a, &lo) || pl_u32(&b, &hi))
				return perr(p, "bad channel list item '%.*s' "
					    "(want N or N-M)", (int)item.l,
					    item.p);
			if (lo < 1 || hi > GW_DAHDI_MAX_CHANNELS || lo > hi)
				return perr(p, "channel range %u-%u outside "
					    "1-%u or reversed", lo, hi,
					    GW_DAHDI_MAX_CHANNELS);
			items++;
			if (pass == 0)
				continue;
			for (uint32_t c = lo; c <= hi; c++) {
				int err = h(p, c, arg);
				if (err)
					return err;
			}
		}
		if (!items)
			return perr(p, "empty channel list");
	}
	return 0;
}

static int kw_find(const struct pl *key)
{
	for (size_t i = 0; i < sizeof(kwtab) / sizeof(kwtab[0]); i++) {
		if (!pl_strcasecmp(key, kwtab[i].name))
			return (int)i;
	}
	return -1;
}

/* Split a line into key and value; false for blank/comment lines. */
static int split_line(struct parser *p, struct pl *ln, struct pl *key,
		      struct pl *val, int *kw)
{
	const char *hash = pl_chr(ln, '#');
	const char *eq;

	if (hash)
		ln->l = (size_t)(hash - ln->p);
	/* CR of CRLF files, and form feeds, count as blanks */
	while (ln->l && (ln->p[ln->l - 1] == '\r' || ln->p[ln->l - 1] == '\f'))
		ln->l--;
	pl_trim(ln);
	if (!ln->l)
		return ENOENT;
	eq = pl_chr(ln, '=');
	if (!eq)
		return perr(p, "expected keyword=value, got '%.*s'",
			    (int)(ln->l > 40 ? 40 : ln->l), ln->p);
	key->p = ln->p;
	key->l = (size_t)(eq - ln->p);
	val->p = eq + 1;
	val->l = ln->l - key->l - 1;
	pl_trim(key);
	pl_trim(val);
	*kw = kw_find(key);
	if (*kw < 0)
		return perr(p, "unknown keyword '%.*s'",
			    (int)(key->l > 32 ? 32 : key->l), key->p);
	if (kwtab[*kw].suffix) {
		const char *colon = pl_chr(val, ':');
		if (colon) {
			val->l = (size_t)(colon - val->p);
			pl_trim(val);
		}
	}
	if (!val->l)
		return perr(p, "%s= needs a value", kwtab[*kw].name);
	return 0;
}

/* ---- pass 1: spans, numbering, zones ---- */

static struct gw_dahdi_span *span_of_chan(struct gw_dahdi_conf *c,
					  unsigned ch, unsigned *ts)
{
	for (unsigned i = 0; i < c->nspans; i++) {
		struct gw_dahdi_span *s = &c->spans[i];
		/* base 0: a span whose start is not settled yet */
		if (s->base && ch >= s->base && ch < s->base + s->width) {
			*ts = ch - s->base + 1;
			return s;
		}
	}
	return NULL;
}

struct note_arg {
	bool digital;
};

static int note_chan(struct parser *p, unsigned ch, void *arg)
{
	const struct note_arg *na = arg;
	unsigned ts;

	if (span_of_chan(p->conf, ch, &ts))
		return 0;
	if (!p->pending) {
		if (ch > p->maxch)
			p->maxch = ch;
	} else if (na->digital) {
		if (!p->sec_lo || ch < p->sec_lo)
			p->sec_lo = ch;
		if (ch > p->sec_hi)
			p->sec_hi = ch;
	} else if (ch > p->other_hi) {
		p->other_hi = ch;
	}
	return 0;
}

/*
 * Settle where the pending span starts. By default right after what is
 * already used; but when its own section uses channels beyond that (ports
 * dahdi_genconf only wrote as comments, e.g. empty analog slots, come
 * before it) the span starts at the lowest channel its section names.
 */
static int settle_pending(struct parser *p)
{
	struct gw_dahdi_span *s = p->pending;
	unsigned base = p->maxch + 1, line = p->line;
	int err = 0;

	if (!s)
		return 0;
	p->line = p->pend_line;
	if (p->sec_hi && p->sec_hi > base + s->width - 1) {
		if (p->sec_lo < base) {
			err = perr(p, "span %u: its channels %u-%u do not fit "
				   "in %u channels after channel %u", s->num,
				   p->sec_lo, p->sec_hi, s->width, p->maxch);
			goto out;
		}
		base = p->sec_lo;
	}
	if (base + s->width - 1 > GW_DAHDI_MAX_CHANNELS) {
		err = perr(p, "span %u would end past channel %u", s->num,
			   GW_DAHDI_MAX_CHANNELS);
		goto out;
	}
	s->base = base;
	p->maxch = base + s->width - 1;
	if (p->sec_hi > p->maxch)
		p->maxch = p->sec_hi;
	if (p->other_hi > p->maxch)
		p->maxch = p->other_hi;
out:
	p->pending = NULL;
	p->sec_lo = p->sec_hi = p->other_hi = 0;
	p->line = line;
	return err;
}

static int copy_word(struct parser *p, const struct pl *w, char *dst,
		     size_t sz, const char *what)
{
	if (pl_strcpy(w, dst, sz))
		return perr(p, "%s '%.*s' too long", what,
			    (int)(w->l > 16 ? 16 : w->l), w->p);
	for (char *c = dst; *c; c++) {
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + 32);
	}
	return 0;
}

static int do_span(struct parser *p, const struct pl *val)
{
	struct gw_dahdi_conf *c = p->conf;
	struct gw_dahdi_span s;
	struct pl rest = *val, f[4];
	uint32_t v[3];
	static const char *const fname[] = { "span number", "timing source",
					     "line build-out" };
	int err;

	memset(&s, 0, sizeof(s));
	s.line = p->line;
	for (unsigned i = 0; i < 5; i++) {
		struct pl item;
		if (!next_item(&rest, &item) || !item.l)
			return perr(p, "span= needs <num>,<timing>,<lbo>,"
				    "<framing>,<coding>[,crc4][,yellow]");
		if (i < 3) {
			if (pl_u32(&item, &v[i]))
				return perr(p, "span=: %s '%.*s' is not a "
					    "number", fname[i], (int)item.l,
					    item.p);
		} else {
			f[i - 3] = item;
		}
	}
	if (v[0] < 1 || v[0] > MAX_SPANS)
		return perr(p, "span number %u outside 1-%u", v[0], MAX_SPANS);
	if (v[2] > 7)
		return perr(p, "line build-out %u outside 0-7", v[2]);
	s.num = v[0];
	s.timing = v[1];
	s.lbo = v[2];
	err = copy_word(p, &f[0], s.framing, sizeof(s.framing), "framing");
	if (!err)
		err = copy_word(p, &f[1], s.coding, sizeof(s.coding), "coding");
	if (err)
		return err;
	{
		struct pl item;
		while (next_item(&rest, &item)) {
			if (!pl_strcasecmp(&item, "crc4"))
				s.crc4 = true;
			else if (!pl_strcasecmp(&item, "yellow"))
				s.yellow = true;
			else if (!pl_strcasecmp(&item, "term") ||
				 !pl_strcasecmp(&item, "te") ||
				 !pl_strcasecmp(&item, "nt"))
				; /* BRI termination / soft NT-TE */
			else
				return perr(p, "span %u: unknown option '%.*s'"
					    " (crc4, yellow, term, te, nt)",
					    s.num, (int)item.l, item.p);
		}
	}
	if (!strcmp(s.framing, "ccs") && !strcmp(s.coding, "ami")) {
		/* what dahdi_genconf writes for a BRI port */
		s.bri = true;
		s.width = 3;
		s.type = GW_SPAN_E1;
	} else if (!strcmp(s.framing, "ccs") || !strcmp(s.framing, "cas")) {
		if (strcmp(s.coding, "hdb3") && strcmp(s.coding, "ami"))
			return perr(p, "span %u: coding '%s' is not an E1 line"
				    " code (hdb3, ami)", s.num, s.coding);
		s.type = GW_SPAN_E1;
		s.width = 31;
	} else if (!strcmp(s.framing, "esf") || !strcmp(s.framing, "d4") ||
		   !strcmp(s.framing, "sf")) {
		if (strcmp(s.coding, "b8zs") && strcmp(s.coding, "ami"))
			return perr(p, "span %u: coding '%s' is not a T1 line "
				    "code (b8zs, ami)", s.num, s.coding);
		if (s.crc4)
			return perr(p, "span %u: crc4 applies to E1 only",
				    s.num);
		s.type = GW_SPAN_T1;
		s.width = 24;
	} else {
		return perr(p, "span %u: unknown framing '%s' (esf, d4 for T1;"
			    " ccs, cas for E1)", s.num, s.framing);
	}
	s.law = s.type == GW_SPAN_T1 ? GW_LAW_ULAW : GW_LAW_ALAW;
	for (unsigned i = 0; i < c->nspans; i++) {
		if (c->spans[i].num == s.num)
			return perr(p, "span %u already defined at line %u",
				    s.num, c->spans[i].line);
	}
	if (c->nspans == MAX_SPANS)
		return perr(p, "more than %u spans", MAX_SPANS);
	err = settle_pending(p);
	if (err)
		return err;
	memset(s.ec, -1, sizeof(s.ec));
	c->spans[c->nspans] = s;
	p->pending = &c->spans[c->nspans++];
	p->pend_line = p->line;
	return 0;
}

static int do_dynamic(struct parser *p, const struct pl *val)
{
	struct pl rest = *val, item;
	uint32_t n;

	/* dynamic=<driver>,<address>,<numchans>,<timing> */
	for (int i = 0; i < 3; i++) {
		if (!next_item(&rest, &item))
			return perr(p, "dynamic= needs <driver>,<address>,"
				    "<numchans>,<timing>");
	}
	if (pl_u32(&item, &n) || n < 1 || n > 31)
		return perr(p, "dynamic=: channel count '%.*s' not 1-31",
			    (int)item.l, item.p);
	if (settle_pending(p))
		return EINVAL;
	if (p->maxch + n > GW_DAHDI_MAX_CHANNELS)
		return perr(p, "dynamic span would end past channel %u",
			    GW_DAHDI_MAX_CHANNELS);
	p->maxch += n;
	return 0;
}

static int do_zone(struct parser *p, const struct pl *val, bool def)
{
	struct gw_dahdi_conf *c = p->conf;
	struct pl rest = *val, item;

	while (next_item(&rest, &item)) {
		char z[8];
		if (!item.l)
			continue;
		if (pl_strcpy(&item, z, sizeof(z)))
			return perr(p, "tone zone '%.*s' too long",
				    (int)(item.l > 16 ? 16 : item.l), item.p);
		for (const char *q = z; *q; q++) {
			if (!((*q >= 'a' && *q <= 'z') || *q == '-' ||
			      (*q >= 'A' && *q <= 'Z')))
				return perr(p, "tone zone '%s' is not a "
					    "country code", z);
		}
		if (def) {
			memcpy(c->defaultzone, z, sizeof(z));
		} else {
			if (c->nloadzone == 8)
				return perr(p, "more than 8 loadzone entries");
			memcpy(c->loadzone[c->nloadzone++], z, sizeof(z));
		}
	}
	return 0;
}

/* ---- pass 2: channel roles ---- */

struct role_arg {
	enum kw_kind kind;
	const char *kwname;
	int ec;
};

static int apply_chan(struct parser *p, unsigned ch, void *arg)
{
	const struct role_arg *ra = arg;
	struct gw_dahdi_conf *c = p->conf;
	struct gw_dahdi_span *s;
	struct span_work *w;
	unsigned ts;
	uint8_t role;

	s = span_of_chan(c, ch, &ts);
	if (!s) {
		/* analog or dynamic channels are none of our business, but
		 * a channel claimed for PRI/SS7 use must be on a span */
		if (ra->kind == KW_BCHAN || ra->kind == KW_DCHAN ||
		    ra->kind == KW_HARDHDLC || ra->kind == KW_MTP2)
			return perr(p, "%s=%u: channel %u is not on any span "
				    "defined by a span= line", ra->kwname, ch,
				    ch);
		return 0;
	}
	w = &p->work[s - c->spans];
	switch (ra->kind) {
	case KW_LAW_A:
		w->law[ts] = GW_LAW_ALAW;
		return 0;
	case KW_LAW_U:
		w->law[ts] = GW_LAW_ULAW;
		return 0;
	case KW_LAW_DEF:
		w->law[ts] = 0;
		return 0;
	case KW_ECHOCAN:
		s->ec[ts] = (int8_t)ra->ec;
		return 0;
	case KW_BCHAN: role = R_B; break;
	case KW_DCHAN:
	case KW_HARDHDLC:
	case KW_MTP2: role = R_D; break;
	default: role = R_OTHER; break;
	}
	if (w->role[ts])
		return perr(p, "channel %u (span %u timeslot %u) already "
			    "configured at line %u", ch, s->num, ts,
			    w->role_line[ts]);
	if (s->bri && role == R_B && ts > 2)
		return perr(p, "channel %u: BRI span %u has B-channels on "
			    "timeslots 1-2 only", ch, s->num);
	w->role[ts] = role;
	w->role_line[ts] = p->line;
	if (role == R_B) {
		s->bmask |= 1u << ts;
	} else if (role == R_D) {
		if (s->dchan)
			return perr(p, "span %u: second signalling channel "
				    "%u (timeslot %u already is)", s->num, ch,
				    s->dchan);
		s->dchan = ts;
		s->dtype = ra->kind == KW_HARDHDLC ? GW_DAHDI_D_HARD :
			   ra->kind == KW_MTP2 ? GW_DAHDI_D_MTP2 :
						 GW_DAHDI_D_FCS;
	}
	return 0;
}

static int do_echocan(struct parser *p, const struct pl *val)
{
	struct gw_dahdi_conf *c = p->conf;
	struct role_arg ra = { KW_ECHOCAN, "echocanceller", -1 };
	const char *comma = pl_chr(val, ',');
	struct pl name, list;
	char nm[16];

	if (!comma)
		return perr(p, "echocanceller= needs <name>,<channels>");
	name.p = val->p;
	name.l = (size_t)(comma - val->p);
	pl_trim(&name);
	list.p = comma + 1;
	list.l = (size_t)(val->p + val->l - list.p);
	if (!name.l || pl_strcpy(&name, nm, sizeof(nm)))
		return perr(p, "echocanceller name '%.*s' empty or too long",
			    (int)(name.l > 16 ? 16 : name.l), name.p);
	for (const char *q = nm; *q; q++) {
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		      (*q >= '0' && *q <= '9') || *q == '_'))
			return perr(p, "echocanceller name '%s' has a bad "
				    "character", nm);
	}
	if (!strcasecmp(nm, "none")) {
		ra.ec = -1;
	} else {
		unsigned i;
		for (i = 0; i < c->n_ec; i++) {
			if (!strcmp(c->ec_names[i], nm))
				break;
		}
		if (i == c->n_ec) {
			if (c->n_ec == GW_DAHDI_EC_NAMES)
				return perr(p, "more than %u echo canceller "
					    "names", GW_DAHDI_EC_NAMES);
			memcpy(c->ec_names[c->n_ec++], nm, sizeof(nm));
		}
		ra.ec = (int)i;
	}
	return walk_chans(p, &list, apply_chan, &ra);
}

/* ---- driver ---- */

static int parse_pass(struct parser *p, const char *text, size_t len,
		      int pass)
{
	const char *end = text + len, *s = text;
	int err = 0;

	p->line = 0;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		struct pl ln = { s, nl ? (size_t)(nl - s) : (size_t)(end - s) };
		struct pl key, val;
		int kw = -1;

		s = nl ? nl + 1 : end;
		p->line++;
		if (memchr(ln.p, '\0', ln.l))
			return perr(p, "NUL byte in line");
		err = split_line(p, &ln, &key, &val, &kw);
		if (err == ENOENT) {
			err = 0;
			continue;
		}
		if (err)
			return err;
		if (pass == 1) {
			switch (kwtab[kw].kind) {
			case KW_SPAN: err = do_span(p, &val); break;
			case KW_DYNAMIC: err = do_dynamic(p, &val); break;
			case KW_ZONE_LOAD: err = do_zone(p, &val, false); break;
			case KW_ZONE_DEFAULT: err = do_zone(p, &val, true); break;
			case KW_ECHOCAN: {
				const char *comma = pl_chr(&val, ',');
				struct note_arg na = { false };
				struct pl list;
				if (!comma)
					return perr(p, "echocanceller= needs "
						    "<name>,<channels>");
				list.p = comma + 1;
				list.l = (size_t)(val.p + val.l - list.p);
				err = walk_chans(p, &list, note_chan, &na);
				break;
			}
			case KW_IGNORE: break;
			default: {
				struct note_arg na = { kwtab[kw].digital };
				err = walk_chans(p, &val, note_chan, &na);
				break;
			}
			}
		} else {
			struct role_arg ra = { kwtab[kw].kind, kwtab[kw].name,
					       -1 };
			switch (kwtab[kw].kind) {
			case KW_SPAN: case KW_DYNAMIC: case KW_ZONE_LOAD:
			case KW_ZONE_DEFAULT: case KW_IGNORE:
				break;
			case KW_ECHOCAN: err = do_echocan(p, &val); break;
			default:
				err = walk_chans(p, &val, apply_chan, &ra);
				break;
			}
		}
		if (err)
			return err;
	}
	if (pass == 1) {
		p->line++;
		return settle_pending(p);
	}
	return 0;
}

static int finish(struct parser *p)
{
	struct gw_dahdi_conf *c = p->conf;

	for (unsigned i = 0; i < c->nspans; i++) {
		struct gw_dahdi_span *s = &c->spans[i];
		const struct span_work *w = &p->work[i];
		bool first = true;
		uint8_t deflaw = s->type == GW_SPAN_T1 ? GW_LAW_ULAW :
							 GW_LAW_ALAW;

		for (unsigned ts = 1; ts <= s->width && ts <= GW_SPAN_MAX_TS;
		     ts++) {
			uint8_t law;
			if (w->role[ts] != R_B)
				continue;
			law = w->law[ts] ? w->law[ts] : deflaw;
			if (first)
				s->law = law;
			else if (law != s->law)
				s->law_mixed = true;
			first = false;
		}
	}
	return 0;
}

int gw_dahdi_conf_parse(const char *text, size_t len, const char *fname,
			struct gw_dahdi_conf **confp, char *err, size_t errsz)
{
	struct parser p;
	struct gw_dahdi_conf *c;
	int e;

	if (err && errsz)
		err[0] = '\0';
	if (!confp || (!text && len))
		return EINVAL;
	if (len > MAX_FILE) {
		if (err && errsz)
			snprintf(err, errsz, "%s: larger than %u bytes",
				 fname ? fname : "system.conf", MAX_FILE);
		return E2BIG;
	}
	memset(&p, 0, sizeof(p));
	p.fname = fname ? fname : "system.conf";
	p.err = err;
	p.errsz = errsz;
	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	snprintf(c->file, sizeof(c->file), "%s", p.fname);
	c->spans = calloc(MAX_SPANS, sizeof(*c->spans));
	p.work = calloc(MAX_SPANS, sizeof(*p.work));
	if (!c->spans || !p.work) {
		e = ENOMEM;
		goto out;
	}
	p.conf = c;
	e = parse_pass(&p, text, len, 1);
	if (!e)
		e = parse_pass(&p, text, len, 2);
	if (!e)
		e = finish(&p);
out:
	free(p.work);
	if (e) {
		gw_dahdi_conf_free(c);
		return e;
	}
	*confp = c;
	return 0;
}

int gw_dahdi_conf_load(const char *path, struct gw_dahdi_conf **confp,
		       char *err, size_t errsz)
{
	FILE *f;
	char *buf = NULL;
	size_t len = 0;
	int e = 0;

	if (!path)
		return EINVAL;
	f = fopen(path, "r");
	if (!f) {
		e = errno;
		if (err && errsz)
			snprintf(err, errsz, "%s: %s", path, strerror(e));
		return e;
	}
	buf = malloc(MAX_FILE + 1);
	if (!buf) {
		e = ENOMEM;
		goto out;
	}
	len = fread(buf, 1, MAX_FILE + 1, f);
	if (ferror(f)) {
		e = EIO;
		if (err && errsz)
			snprintf(err, errsz, "%s: read error", path);
		goto out;
	}
	e = gw_dahdi_conf_parse(buf, len, path, confp, err, errsz);
out:
	free(buf);
	fclose(f);
	return e;
}

void gw_dahdi_conf_free(struct gw_dahdi_conf *conf)
{
	if (!conf)
		return;
	free(conf->spans);
	free(conf);
}

const struct gw_dahdi_span *gw_dahdi_conf_span(const struct gw_dahdi_conf *c,
					       unsigned num)
{
	for (unsigned i = 0; c && i < c->nspans; i++) {
		if (c->spans[i].num == num)
			return &c->spans[i];
	}
	return NULL;
}

int gw_dahdi_conf_span_cfg(const struct gw_dahdi_conf *c, unsigned num,
			   struct gw_span_cfg *cfg, char *err, size_t errsz)
{
	const struct gw_dahdi_span *s = gw_dahdi_conf_span(c, num);
	char dummy[1];

	if (!err || !errsz) {
		err = dummy;
		errsz = sizeof(dummy);
	}
	if (!s) {
		snprintf(err, errsz, "%s: no span=%u line", c ? c->file : "?",
			 num);
		return ENOENT;
	}
	if (s->bri) {
		snprintf(err, errsz, "%s:%u: span %u is a BRI port; only E1/T1"
			 " spans are supported", c->file, s->line, num);
		return ENOTSUP;
	}
	if (!s->bmask) {
		snprintf(err, errsz, "%s:%u: span %u has no bchan= channels",
			 c->file, s->line, num);
		return EINVAL;
	}
	if (s->law_mixed) {
		snprintf(err, errsz, "%s:%u: span %u mixes alaw and mulaw "
			 "B-channels; use one law per span", c->file, s->line,
			 num);
		return ENOTSUP;
	}
	gw_span_cfg_default(cfg, s->type, s->num);
	cfg->law = s->law;
	cfg->bmask = s->bmask;
	cfg->dchan = s->dchan;
	cfg->chan_base = s->base;
	for (unsigned ts = 1; ts <= GW_SPAN_MAX_TS; ts++) {
		if (s->ec[ts] >= 0 && (s->bmask & (1u << ts)))
			cfg->ecmask |= 1u << ts;
	}
#ifdef GW_TDM_DAHDI_H
	cfg->ops = &gw_tdm_dahdi_ops;
#endif
	return 0;
}

const char *gw_dahdi_conf_echocan(const struct gw_dahdi_conf *c,
				  const struct gw_dahdi_span *s, unsigned ts)
{
	if (!c || !s || ts > GW_SPAN_MAX_TS || s->ec[ts] < 0 ||
	    (unsigned)s->ec[ts] >= c->n_ec)
		return NULL;
	return c->ec_names[s->ec[ts]];
}
