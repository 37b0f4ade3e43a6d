/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP message parser, validator, stream framer and builders (see msg.h).
 * Implements the message grammar of RFC 3261 §7 (start lines, header
 * folding §7.3.1, compact forms §7.3.3), header value grammars of §20 and
 * §25.1 (Via §20.42 with RFC 3581 rport, name-addr §20.10/§20.20/§20.39,
 * CSeq §20.16, Content-Length §20.14, Content-Type §20.15), RAck/RSeq
 * (RFC 3262 §7), Session-Expires/Min-SE (RFC 4028 §4-§5), Event (RFC 6665
 * §8.2.1), Reason (RFC 3326 §2), the server-side rejection rules of §8.2
 * and §18.3 (400/416/505/513), stream framing per §18.3 with RFC 5626
 * §3.5.1 keepalives, and response construction per §8.2.6.
 *
 * One pass over the header block: each line is split at its first ':',
 * its name resolved by length and first character, and stored as two
 * slices in a fixed table with per-id chains; the handful of headers the
 * transaction layer always needs are decoded right away, the others on
 * demand by the accessors.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "sip/msg.h"

static inline bool is_digit(char c)
{
	return sip_cc_is(c, SIP_CC_DIGIT);
}

/* RFC 3261 token characters. */
static inline bool is_token(char c)
{
	return sip_cc_is(c, SIP_CC_TOKEN);
}

static bool all_token(const struct pl *pl)
{
	if (!pl->p || pl->l == 0)
		return false;
	for (size_t i = 0; i < pl->l; i++) {
		if (!is_token(pl->p[i]))
			return false;
	}
	return true;
}

/* ---- methods ---- */

static const char *const method_names[] = {
	[SIP_METHOD_OTHER] = "",          [SIP_METHOD_INVITE] = "INVITE",
	[SIP_METHOD_ACK] = "ACK",         [SIP_METHOD_BYE] = "BYE",
	[SIP_METHOD_CANCEL] = "CANCEL",   [SIP_METHOD_OPTIONS] = "OPTIONS",
	[SIP_METHOD_REGISTER] = "REGISTER", [SIP_METHOD_PRACK] = "PRACK",
	[SIP_METHOD_UPDATE] = "UPDATE",   [SIP_METHOD_INFO] = "INFO",
	[SIP_METHOD_SUBSCRIBE] = "SUBSCRIBE", [SIP_METHOD_NOTIFY] = "NOTIFY",
	[SIP_METHOD_REFER] = "REFER",     [SIP_METHOD_MESSAGE] = "MESSAGE",
	[SIP_METHOD_PUBLISH] = "PUBLISH",
};

enum sip_method sip_method_lookup(const struct pl *name)
{
	const char *s = name->p;

	if (!s)
		return SIP_METHOD_OTHER;
	/* method names are case-sensitive (§7.1): compare exactly */
#define M(str, id)                                                   \
	if (name->l == sizeof(str) - 1 && !memcmp(s, str, sizeof(str) - 1)) \
		return id
	switch (s[0]) {
	case 'A': M("ACK", SIP_METHOD_ACK); break;
	case 'B': M("BYE", SIP_METHOD_BYE); break;
	case 'C': M("CANCEL", SIP_METHOD_CANCEL); break;
	case 'I': M("INVITE", SIP_METHOD_INVITE); M("INFO", SIP_METHOD_INFO); break;
	case 'M': M("MESSAGE", SIP_METHOD_MESSAGE); break;
	case 'N': M("NOTIFY", SIP_METHOD_NOTIFY); break;
	case 'O': M("OPTIONS", SIP_METHOD_OPTIONS); break;
	case 'P': M("PRACK", SIP_METHOD_PRACK); M("PUBLISH", SIP_METHOD_PUBLISH); break;
	case 'R': M("REGISTER", SIP_METHOD_REGISTER); M("REFER", SIP_METHOD_REFER); break;
	case 'S': M("SUBSCRIBE", SIP_METHOD_SUBSCRIBE); break;
	case 'U': M("UPDATE", SIP_METHOD_UPDATE); break;
	default: break;
	}
#undef M
	return SIP_METHOD_OTHER;
}

const char *sip_method_name(enum sip_method m)
{
	if ((unsigned)m >= sizeof(method_names) / sizeof(method_names[0]))
		return "";
	return method_names[m];
}

/* ---- small value grammars ---- */

static void skip_lws(const char **s, const char *e)
{
	while (*s < e && sip_is_lws(**s))
		(*s)++;
}

/* 1*DIGIT into a uint64 bounded by max; advances *s. */
static int digits(const char **s, const char *e, uint64_t max, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;

	if (p >= e || !is_digit(*p))
		return EINVAL;
	while (p < e && is_digit(*p)) {
		x = x * 10 + (uint64_t)(*p - '0');
		if (x > max)
			return ERANGE;
		p++;
	}
	*s = p;
	*v = x;
	return 0;
}

static struct pl token_at(const char **s, const char *e)
{
	struct pl t = { *s, 0 };
	while (*s < e && is_token(**s))
		(*s)++;
	t.l = (size_t)(*s - t.p);
	return t;
}

int sip_uint_decode(uint32_t *v, const struct pl *val)
{
	struct pl t = *val;
	uint32_t x;
	int err;

	sip_pl_trim(&t);
	err = pl_u32(&t, &x);
	if (err)
		return EINVAL;
	*v = x;
	return 0;
}

/* delta-seconds; values above 2^32-1 are clamped to it (§20.19, §20.35). */
static int delta_decode(const struct pl *val, int64_t *v)
{
	struct pl t = *val;
	uint64_t x = 0;
	size_t i;

	sip_pl_trim(&t);
	if (!t.p || t.l == 0)
		return EINVAL;
	for (i = 0; i < t.l; i++) {
		if (!is_digit(t.p[i]))
			return EINVAL;
		if (x < 0xffffffffull)
			x = x * 10 + (uint64_t)(t.p[i] - '0');
	}
	if (x > 0xffffffffull)
		x = 0xffffffffull;
	*v = (int64_t)x;
	return 0;
}

/*
 * The rest after a value must be empty or *( ";" token [ "=" gen-value ] )
 * with optional LWS around the separators (RFC 3261 generic-param;
 * gen-value = token / host / quoted-string). One pass; sets *params to
 * the text after the first ';'.
 */
typedef void (param_visit_h)(void *arg, const struct pl *name, const struct pl *val);

static int params_tail_v(const char *s, const char *e, struct pl *params, param_visit_h *vh,
			 void *arg)
{
	const char *start;
	struct pl name, val;

	skip_lws(&s, e);
	if (s == e) {
		*params = PL_NULL;
		return 0;
	}
	if (*s != ';')
		return EINVAL;
	start = s + 1;
	while (s < e) {
		const char *n;
		if (*s != ';')
			return EINVAL;
		s++;
		skip_lws(&s, e);
		n = s;
		while (s < e && is_token(*s))
			s++;
		if (s == n)
			return EINVAL;
		name.p = n;
		name.l = (size_t)(s - n);
		val.p = s;
		val.l = 0;
		skip_lws(&s, e);
		if (s < e && *s == '=') {
			s++;
			skip_lws(&s, e);
			val.p = s;
			if (s < e && *s == '"') {
				s++;
				while (s < e && *s != '"') {
					if (*s == '\\')
						s++;
					s++;
				}
				if (s >= e)
					return EINVAL;
				s++;
			} else {
				while (s < e && sip_cc_is(*s, SIP_CC_PVAL))
					s++;
				if (s == val.p)
					return EINVAL;
			}
			val.l = (size_t)(s - val.p);
			skip_lws(&s, e);
		}
		if (vh)
			vh(arg, &name, &val);
	}
	params->p = start;
	params->l = (size_t)(e - start);
	sip_pl_trim(params);
	return 0;
}

static int params_tail(const char *s, const char *e, struct pl *params)
{
	return params_tail_v(s, e, params, NULL, NULL);
}

/*
 * A parameter name (token characters, as params_tail_v guarantees) equals
 * a lower-case literal, ignoring case: OR-ing 0x20 folds exactly the
 * upper-case letters among token characters.
 */
static inline bool lit_eq(const struct pl *pl, const char *lit, size_t n)
{
	if (pl->l != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if ((char)(pl->p[i] | 0x20) != lit[i])
			return false;
	}
	return true;
}

#define NAME_IS(pl, lit) lit_eq((pl), (lit), sizeof(lit) - 1)

int sip_cseq_decode(struct sip_cseq *cseq, const struct pl *val)
{
	const char *s = val->p, *e = val->p + val->l;
	struct sip_cseq c;
	uint64_t n;

	if (!s)
		return EINVAL;
	skip_lws(&s, e);
	{
		/* at most 10 digits, range-checked once at the end */
		const char *ds = s;
		n = 0;
		while (s < e && is_digit(*s) && s - ds < 11)
			n = n * 10 + (uint64_t)(*s++ - '0');
		if (s == ds || s - ds > 10 || n > 0x7fffffffull)
			return EINVAL;
	}
	if (s == e || !sip_is_lws(*s))
		return EINVAL;
	skip_lws(&s, e);
	c.method = token_at(&s, e);
	skip_lws(&s, e);
	if (s != e || c.method.l == 0)
		return EINVAL;
	c.num = (uint32_t)n;
	c.meth = sip_method_lookup(&c.method);
	*cseq = c;
	return 0;
}

int sip_rack_decode(struct sip_rack *rack, const struct pl *val)
{
	const char *s = val->p, *e = val->p + val->l;
	struct sip_rack r;
	uint64_t a, b;

	if (!s)
		return EINVAL;
	skip_lws(&s, e);
	if (digits(&s, e, 0xffffffffull, &a) || a == 0 || s == e || !sip_is_lws(*s))
		return EINVAL;
	skip_lws(&s, e);
	if (digits(&s, e, 0x7fffffffull, &b) || s == e || !sip_is_lws(*s))
		return EINVAL;
	skip_lws(&s, e);
	r.method = token_at(&s, e);
	skip_lws(&s, e);
	if (s != e || r.method.l == 0)
		return EINVAL;
	r.rseq = (uint32_t)a;
	r.cseq = (uint32_t)b;
	r.meth = sip_method_lookup(&r.method);
	*rack = r;
	return 0;
}

int sip_session_expires_decode(struct sip_session_expires *se, const struct pl *val)
{
	const char *s = val->p, *e = val->p + val->l;
	struct sip_session_expires x;
	uint64_t n;

	if (!s)
		return EINVAL;
	skip_lws(&s, e);
	if (digits(&s, e, 0xffffffffull, &n))
		return EINVAL;
	if (params_tail(s, e, &x.params))
		return EINVAL;
	x.delta = (uint32_t)n;
	if (sip_param_get(&x.params, "refresher", &x.refresher))
		x.refresher = PL_NULL;
	*se = x;
	return 0;
}

int sip_event_decode(struct sip_event *ev, const struct pl *val)
{
	const char *s = val->p, *e = val->p + val->l;
	struct sip_event x;

	if (!s)
		return EINVAL;
	skip_lws(&s, e);
	x.package = token_at(&s, e);
	if (x.package.l == 0 || params_tail(s, e, &x.params))
		return EINVAL;
	if (sip_param_get(&x.params, "id", &x.id))
		x.id = PL_NULL;
	*ev = x;
	return 0;
}

int sip_reason_decode(struct sip_reason *r, const struct pl *val)
{
	const char *s = val->p, *e = val->p + val->l;
	struct sip_reason x;
	struct pl v;

	if (!s)
		return EINVAL;
	memset(&x, 0, sizeof(x));
	skip_lws(&s, e);
	x.protocol = token_at(&s, e);
	if (x.protocol.l == 0 || params_tail(s, e, &x.params))
		return EINVAL;
	if (!sip_param_get(&x.params, "cause", &v)) {
		if (sip_uint_decode(&x.cause, &v))
			return EINVAL;
		x.has_cause = true;
	}
	if (!sip_param_get(&x.params, "text", &v)) {
		if (!sip_pl_unquote(&v, &x.text))
			x.text = v;
	}
	*r = x;
	return 0;
}

int sip_ctype_decode(struct sip_ctype *ct, const struct pl *val)
{
	const char *s = val->p, *e = val->p + val->l;
	struct sip_ctype x;

	if (!s)
		return EINVAL;
	skip_lws(&s, e);
	x.type = token_at(&s, e);
	skip_lws(&s, e);
	if (x.type.l == 0 || s == e || *s != '/')
		return EINVAL;
	s++;
	skip_lws(&s, e);
	x.subtype = token_at(&s, e);
	if (x.subtype.l == 0 || params_tail(s, e, &x.params))
		return EINVAL;
	*ct = x;
	return 0;
}

bool sip_ctype_is(const struct sip_ctype *ct, const char *type, const char *subtype)
{
	return ct->type.p && !pl_strcasecmp(&ct->type, type) &&
	       !pl_strcasecmp(&ct->subtype, subtype);
}

/* host[:port] of a Via sent-by, with optional LWS around ':'. */
static int sentby_decode(struct sip_via *v, const char **sp, const char *e)
{
	const char *s = *sp, *hs = s;

	if (s < e && *s == '[') {
		const char *c = memchr(s, ']', (size_t)(e - s));
		if (!c)
			return EINVAL;
		v->host.p = s + 1;
		v->host.l = (size_t)(c - s - 1);
		v->host_type = SIP_HOST_IPV6;
		s = c + 1;
	} else {
		while (s < e && *s != ':' && *s != ';' && !sip_is_lws(*s))
			s++;
		v->host.p = hs;
		v->host.l = (size_t)(s - hs);
		v->host_type = SIP_HOST_NAME;
	}
	if (v->host.l == 0)
		return EINVAL;
	if (v->host_type == SIP_HOST_IPV6) {
		if (sip_host_type(v->host.p, v->host.l, true) != SIP_HOST_IPV6)
			return EINVAL;
	} else {
		v->host_type = sip_host_type(v->host.p, v->host.l, false);
		if (v->host_type == SIP_HOST_NONE)
			return EINVAL;
	}
	v->sentby.p = hs;
	v->sentby.l = (size_t)(s - hs);
	{
		const char *t = s;
		skip_lws(&t, e);
		if (t < e && *t == ':') {
			uint64_t port;
			t++;
			skip_lws(&t, e);
			if (digits(&t, e, 65535, &port) || port == 0)
				return EINVAL;
			v->port = (uint16_t)port;
			s = t;
			v->sentby.l = (size_t)(s - hs);
		}
	}
	*sp = s;
	return 0;
}

/* Via params of interest; a bad value marks the Via with ttl = -2. */
static void via_param(void *arg, const struct pl *name, const struct pl *pv)
{
	struct sip_via *v = arg;

	switch (name->l) {
	case 3:
		if (NAME_IS(name, "ttl")) {
			uint32_t ttl;
			if (sip_uint_decode(&ttl, pv) || ttl > 255)
				v->ttl = -2;
			else if (v->ttl != -2)
				v->ttl = (int)ttl;
		}
		break;
	case 5:
		if (NAME_IS(name, "rport")) {
			uint32_t port;
			if (pv->l && (sip_uint_decode(&port, pv) || port == 0 || port > 65535))
				v->ttl = -2;
			v->rport = *pv;
			v->has_rport = true;
		} else if (NAME_IS(name, "maddr")) {
			if (!pv->l)
				v->ttl = -2;
			v->maddr = *pv;
		}
		break;
	case 6:
		if (NAME_IS(name, "branch")) {
			if (!pv->l)
				v->ttl = -2;
			v->branch = *pv;
		}
		break;
	case 8:
		if (NAME_IS(name, "received")) {
			if (!pv->l)
				v->ttl = -2;
			v->received = *pv;
		}
		break;
	default:
		break;
	}
}

/* Via into *vp directly (partly written on failure). */
static int via_parse(struct sip_via *vp, const struct pl *val)
{
	const char *s = val->p, *e = val->p + val->l, *ps;
	struct pl name, tmp;
#define v (*vp)

	if (!s)
		return EINVAL;
	/* every field set here: cheaper than clearing the whole struct */
	v.val = *val;
	v.proto = PL_NULL;
	v.transport = PL_NULL;
	v.sentby = PL_NULL;
	v.host = PL_NULL;
	v.host_type = SIP_HOST_NONE;
	v.port = 0;
	v.params = PL_NULL;
	v.branch = PL_NULL;
	v.received = PL_NULL;
	v.maddr = PL_NULL;
	v.rport = PL_NULL;
	v.has_rport = false;
	v.ttl = -1;
	skip_lws(&s, e);
	ps = s;
	if (e - s > 8 && !memcmp(s, "SIP/2.0/", 8)) {
		/* the usual spelling, without LWS around the slashes */
		v.proto.p = s;
		v.proto.l = 7;
		s += 8;
	} else {
		name = token_at(&s, e);
		skip_lws(&s, e);
		if (name.l == 0 || s == e || *s != '/')
			return EINVAL;
		s++;
		skip_lws(&s, e);
		tmp = token_at(&s, e);
		if (tmp.l == 0)
			return EINVAL;
		v.proto.p = ps;
		v.proto.l = (size_t)(s - ps);
		skip_lws(&s, e);
		if (s == e || *s != '/')
			return EINVAL;
		s++;
	}
	skip_lws(&s, e);
	v.transport = token_at(&s, e);
	if (v.transport.l == 0 || s == e || !sip_is_lws(*s))
		return EINVAL;
	skip_lws(&s, e);
	if (sentby_decode(&v, &s, e))
		return EINVAL;
	if (params_tail_v(s, e, &v.params, via_param, &v))
		return EINVAL;
	if (v.ttl == -2)
		return EINVAL;
	return 0;
#undef v
}

int sip_via_decode(struct sip_via *via, const struct pl *val)
{
	struct sip_via v;

	if (via_parse(&v, val))
		return EINVAL;
	*via = v;
	return 0;
}

/*
 * Unquoted display name. The grammar says *(token LWS), but peers send
 * "John Doe (Office)" or raw UTF-8 unquoted; a gateway accepts them and
 * rejects only what would make the value ambiguous: quotes, angle
 * brackets and control characters other than LWS.
 */
static bool dname_ok(const char *s, const char *e)
{
	for (; s < e; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '<' || c == '>' || c == 0x7f ||
		    (c < 0x20 && !sip_is_lws(*s)))
			return false;
	}
	return true;
}

struct addr_ctx {
	struct sip_addr *a;
	param_visit_h *vh;     /* extra visitor (Contact q/expires) */
	void *arg;
};

/* First "tag" param; an empty one leaves p unset with l = 0 (invalid). */
static void addr_param(void *arg, const struct pl *name, const struct pl *pv)
{
	struct addr_ctx *ctx = arg;
	struct sip_addr *a = ctx->a;

	if (name->l == 3 && NAME_IS(name, "tag") && !a->tag.p && a->tag.l == 1) {
		if (pv->l)
			a->tag = *pv;
		else
			a->tag.l = 0;
	}
	if (ctx->vh)
		ctx->vh(ctx->arg, name, pv);
}

/*
 * name-addr / addr-spec into *ap directly (partly written on failure;
 * sip_addr_decode wraps it for the set-only-on-success contract).
 */
static int addr_parse(struct sip_addr *ap, const struct pl *val, param_visit_h *vh, void *arg)
{
	struct addr_ctx ctx = { ap, vh, arg };
	const char *s = val->p, *e = val->p + val->l, *lt = NULL;
#define a (*ap)

	if (!s)
		return EINVAL;
	a.val = *val;
	a.dname = PL_NULL;
	a.dname_quoted = false;
	a.angle = false;
	a.params = PL_NULL;
	a.tag = PL_NULL;
	skip_lws(&s, e);
	if (s < e && *s == '"') {
		const char *q = s + 1;
		while (q < e && *q != '"') {
			if (*q == '\\') {
				q++;
				if (q == e)
					return EINVAL;
				/* quoted-pair excludes CR and LF */
				if (*q == '\r' || *q == '\n')
					return EINVAL;
			}
			q++;
		}
		if (q >= e)
			return EINVAL;
		a.dname.p = s + 1;
		a.dname.l = (size_t)(q - s - 1);
		a.dname_quoted = true;
		s = q + 1;
		skip_lws(&s, e);
		if (s == e || *s != '<')
			return EINVAL;
		lt = s;
	} else {
		lt = memchr(s, '<', (size_t)(e - s));
		if (lt) {
			struct pl d = { s, (size_t)(lt - s) };
			if (!dname_ok(s, lt))
				return EINVAL;
			sip_pl_trim(&d);
			if (d.l)
				a.dname = d;
		}
	}
	if (lt) {
		const char *gt = memchr(lt, '>', (size_t)(e - lt));
		if (!gt)
			return EINVAL;
		a.angle = true;
		a.auri.p = lt + 1;
		a.auri.l = (size_t)(gt - lt - 1);
		sip_pl_trim(&a.auri);
		s = gt + 1;
	} else {
		const char *semi = memchr(s, ';', (size_t)(e - s));
		a.auri.p = s;
		a.auri.l = (size_t)((semi ? semi : e) - s);
		sip_pl_trim(&a.auri);
		s = semi ? semi : e;
		/* addr-spec form may not carry headers (§20.10) */
		if (memchr(a.auri.p, '?', a.auri.l) || memchr(a.auri.p, ',', a.auri.l))
			return EINVAL;
	}
	if (sip_uri_parse(&a.uri, &a.auri))
		return EINVAL;
	a.tag.l = 1;    /* marks "no tag seen"; see addr_param */
	if (params_tail_v(s, e, &a.params, addr_param, &ctx))
		return EINVAL;
	if (!a.tag.p) {
		if (a.tag.l != 1)
			return EINVAL;     /* "tag" without a value */
		a.tag.l = 0;
	}
	return 0;
#undef a
}

int sip_addr_decode(struct sip_addr *addr, const struct pl *val)
{
	struct sip_addr a;

	if (addr_parse(&a, val, NULL, NULL))
		return EINVAL;
	*addr = a;
	return 0;
}

/* qvalue: "0" ["." 0*3DIGIT] / "1" ["." 0*3"0"], as thousandths. */
static int qvalue_decode(const struct pl *v, int *q)
{
	struct pl t = *v;
	int x, scale = 100;

	sip_pl_trim(&t);
	if (t.l == 0 || t.l > 5 || (t.p[0] != '0' && t.p[0] != '1'))
		return EINVAL;
	x = (t.p[0] - '0') * 1000;
	if (t.l > 1) {
		if (t.p[1] != '.')
			return EINVAL;
		for (size_t i = 2; i < t.l; i++) {
			if (!is_digit(t.p[i]))
				return EINVAL;
			x += (t.p[i] - '0') * scale;
			scale /= 10;
		}
	}
	if (x > 1000)
		return EINVAL;
	*q = x;
	return 0;
}

struct contact_params {
	struct pl q, expires;
};

static void contact_param(void *arg, const struct pl *name, const struct pl *pv)
{
	struct contact_params *cp = arg;

	if (name->l == 1 && (name->p[0] | 0x20) == 'q' && !cp->q.p)
		cp->q = *pv;
	else if (name->l == 7 && NAME_IS(name, "expires") && !cp->expires.p)
		cp->expires = *pv;
}

int sip_contact_decode(struct sip_contact *c, const struct pl *val)
{
	struct sip_contact x;
	struct contact_params cp = { PL_NULL, PL_NULL };
	struct pl t = *val;

	if (!t.p)
		return EINVAL;
	sip_pl_trim(&t);
	x.star = false;
	x.q = -1;
	x.expires = -1;
	if (t.l == 1 && t.p[0] == '*') {
		memset(&x.addr, 0, sizeof(x.addr));
		x.star = true;
		*c = x;
		return 0;
	}
	if (addr_parse(&x.addr, &t, contact_param, &cp))
		return EINVAL;
	if (cp.q.p && qvalue_decode(&cp.q, &x.q))
		return EINVAL;
	if (cp.expires.p && delta_decode(&cp.expires, &x.expires))
		return EINVAL;
	*c = x;
	return 0;
}

/*
 * First value of a list header line: a line without a comma is one value
 * (the common case, found with one memchr); otherwise the quote- and
 * <>-aware list scanner decides.
 */
static bool first_value(struct pl *rest, struct pl *val)
{
	if (rest->p && rest->l && !memchr(rest->p, ',', rest->l)) {
		*val = *rest;
		sip_pl_trim(val);
		rest->p += rest->l;
		rest->l = 0;
		return val->l != 0;
	}
	return sip_list_next(rest, val);
}

/* ---- header table access ---- */

const struct sip_hdr *sip_msg_hdr(const struct sip_msg *msg, enum sip_hdr_id id)
{
	if ((unsigned)id >= SIP_HDR_COUNT || !msg->first[id])
		return NULL;
	return &msg->hdrv[msg->first[id] - 1];
}

const struct sip_hdr *sip_msg_hdr_last(const struct sip_msg *msg, enum sip_hdr_id id)
{
	if ((unsigned)id >= SIP_HDR_COUNT || !msg->last[id])
		return NULL;
	return &msg->hdrv[msg->last[id] - 1];
}

const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *msg, const struct sip_hdr *h)
{
	if (h->id != SIP_HDR_OTHER)
		return h->next ? &msg->hdrv[h->next - 1] : NULL;
	for (const struct sip_hdr *n = h->next ? &msg->hdrv[h->next - 1] : NULL; n;
	     n = n->next ? &msg->hdrv[n->next - 1] : NULL) {
		if (!pl_casecmp(&n->name, &h->name))
			return n;
	}
	return NULL;
}

const struct sip_hdr *sip_msg_hdr_byname(const struct sip_msg *msg, const char *name)
{
	enum sip_hdr_id id = sip_hdr_lookup(name, strlen(name));
	const struct sip_hdr *h;

	if (id != SIP_HDR_OTHER)
		return sip_msg_hdr(msg, id);
	for (h = sip_msg_hdr(msg, SIP_HDR_OTHER); h;
	     h = h->next ? &msg->hdrv[h->next - 1] : NULL) {
		if (!pl_strcasecmp(&h->name, name))
			return h;
	}
	return NULL;
}

unsigned sip_msg_hdr_count(const struct sip_msg *msg, enum sip_hdr_id id)
{
	unsigned n = 0;

	for (const struct sip_hdr *h = sip_msg_hdr(msg, id); h;
	     h = h->next ? &msg->hdrv[h->next - 1] : NULL)
		n++;
	return n;
}

void sip_msg_iter_init(struct sip_msg_iter *it, const struct sip_msg *msg,
		       enum sip_hdr_id id)
{
	it->msg = msg;
	it->hdr = sip_msg_hdr(msg, id);
	it->list = sip_hdr_is_list(id);
	it->rest = it->hdr ? it->hdr->val : PL_NULL;
}

void sip_msg_iter_init_byname(struct sip_msg_iter *it, const struct sip_msg *msg,
			      const char *name)
{
	it->msg = msg;
	it->hdr = sip_msg_hdr_byname(msg, name);
	it->list = it->hdr ? sip_hdr_is_list(it->hdr->id) : false;
	it->rest = it->hdr ? it->hdr->val : PL_NULL;
}

bool sip_msg_iter_next(struct sip_msg_iter *it, struct pl *val)
{
	while (it->hdr) {
		if (it->list) {
			if (sip_list_next(&it->rest, val))
				return true;
		} else if (it->rest.p) {
			*val = it->rest;
			it->rest = PL_NULL;
			return true;
		}
		/* for unknown headers, the next one with the same name */
		it->hdr = sip_msg_hdr_next(it->msg, it->hdr);
		it->rest = it->hdr ? it->hdr->val : PL_NULL;
	}
	return false;
}

/* ---- convenience accessors ---- */

/* Value of the first line of a single-valued header. */
static int first_val(const struct sip_msg *msg, enum sip_hdr_id id, struct pl *val)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, id);

	if (!h)
		return ENOENT;
	*val = h->val;
	return 0;
}

int sip_msg_contact(const struct sip_msg *msg, struct sip_contact *c)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	struct pl rest, v;

	/* the first non-empty value of the first line that has one */
	for (; h; h = h->next ? &msg->hdrv[h->next - 1] : NULL) {
		rest = h->val;
		if (first_value(&rest, &v))
			return sip_contact_decode(c, &v) ? EINVAL : 0;
	}
	return ENOENT;
}

int sip_msg_rseq(const struct sip_msg *msg, uint32_t *rseq)
{
	struct pl v;
	uint32_t x;

	if (first_val(msg, SIP_HDR_RSEQ, &v))
		return ENOENT;
	if (sip_uint_decode(&x, &v) || x == 0 || x > 0x7fffffffu)
		return EINVAL;
	*rseq = x;
	return 0;
}

int sip_msg_rack(const struct sip_msg *msg, struct sip_rack *rack)
{
	struct pl v;

	if (first_val(msg, SIP_HDR_RACK, &v))
		return ENOENT;
	return sip_rack_decode(rack, &v) ? EINVAL : 0;
}

int sip_msg_session_expires(const struct sip_msg *msg, struct sip_session_expires *se)
{
	struct pl v;

	if (first_val(msg, SIP_HDR_SESSION_EXPIRES, &v))
		return ENOENT;
	return sip_session_expires_decode(se, &v) ? EINVAL : 0;
}

int sip_msg_min_se(const struct sip_msg *msg, uint32_t *delta)
{
	struct sip_session_expires se;
	struct pl v;

	if (first_val(msg, SIP_HDR_MIN_SE, &v))
		return ENOENT;
	if (sip_session_expires_decode(&se, &v))
		return EINVAL;
	*delta = se.delta;
	return 0;
}

int sip_msg_event(const struct sip_msg *msg, struct sip_event *ev)
{
	struct pl v;

	if (first_val(msg, SIP_HDR_EVENT, &v))
		return ENOENT;
	return sip_event_decode(ev, &v) ? EINVAL : 0;
}

bool sip_msg_has_tag(const struct sip_msg *msg, enum sip_hdr_id id, const char *tag)
{
	for (const struct sip_hdr *h = sip_msg_hdr(msg, id); h;
	     h = h->next ? &msg->hdrv[h->next - 1] : NULL) {
		if (sip_tokens_has(&h->val, tag))
			return true;
	}
	return false;
}

static bool tag_supported(const struct pl *tag, const char *const *supported)
{
	for (size_t i = 0; supported && supported[i]; i++) {
		if (!pl_strcasecmp(tag, supported[i]))
			return true;
	}
	return false;
}

unsigned sip_msg_unsupported(const struct sip_msg *msg, const char *const *supported,
			     struct sip_buf *out)
{
	static const enum sip_hdr_id ids[] = { SIP_HDR_REQUIRE, SIP_HDR_PROXY_REQUIRE };
	unsigned n = 0;

	for (size_t k = 0; k < 2; k++) {
		struct sip_msg_iter it;
		struct pl v;
		sip_msg_iter_init(&it, msg, ids[k]);
		while (sip_msg_iter_next(&it, &v)) {
			if (tag_supported(&v, supported))
				continue;
			if (out) {
				if (n)
					sip_buf_str(out, ", ");
				sip_buf_pl(out, &v);
			}
			n++;
		}
	}
	return n;
}

/* ---- the parser ---- */

static void set_err(struct sip_msg *msg, uint16_t status, const char *reason,
		    enum sip_hdr_id id)
{
	if (msg->err.status)
		return;
	msg->err.status = status;
	msg->err.reason = reason;
	msg->err.hdr_id = (uint16_t)id;
}

static int start_line(struct sip_msg *msg, const char *s, const char *e)
{
	const char *sp1, *sp2;

	if (e - s >= 4 && !memcmp(s, "SIP/", 4)) {
		/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase */
		uint64_t code;
		msg->req = false;
		sp1 = memchr(s, ' ', (size_t)(e - s));
		if (!sp1)
			return EBADMSG;
		msg->ver.p = s;
		msg->ver.l = (size_t)(sp1 - s);
		s = sp1 + 1;
		if (e - s < 3 || digits(&s, e, 999, &code) || code < 100 ||
		    (s < e && *s != ' '))
			return EBADMSG;
		if (s - (sp1 + 1) != 3)
			return EBADMSG;
		msg->scode = (uint16_t)code;
		msg->reason.p = s < e ? s + 1 : s;
		msg->reason.l = s < e ? (size_t)(e - s - 1) : 0;
		for (size_t i = 0; i < msg->reason.l; i++) {
			unsigned char c = (unsigned char)msg->reason.p[i];
			if (c < 0x20 && c != '\t')
				return EBADMSG;
		}
	} else {
		/* Request-Line = Method SP Request-URI SP SIP-Version */
		msg->req = true;
		sp1 = memchr(s, ' ', (size_t)(e - s));
		if (!sp1)
			return EBADMSG;
		msg->method.p = s;
		msg->method.l = (size_t)(sp1 - s);
		if (!all_token(&msg->method))
			return EBADMSG;
		msg->meth = sip_method_lookup(&msg->method);
		sp2 = e;
		while (sp2 > sp1 + 1 && sp2[-1] != ' ')
			sp2--;
		if (sp2 <= sp1 + 1)
			return EBADMSG;
		msg->ruri_pl.p = sp1 + 1;
		msg->ruri_pl.l = (size_t)(sp2 - 1 - (sp1 + 1));
		msg->ver.p = sp2;
		msg->ver.l = (size_t)(e - sp2);
		if (msg->ruri_pl.l == 0)
			return EBADMSG;
	}
	/* SIP-Version: "SIP/" 1*DIGIT "." 1*DIGIT, case-insensitive */
	if (msg->ver.l == 7 && !memcmp(msg->ver.p, "SIP/2.0", 7))
		return 0;
	{
		const char *v = msg->ver.p, *ve = v + msg->ver.l;
		uint64_t a, b;
		struct pl sip = { v, 4 };
		if (msg->ver.l < 7 || pl_strcasecmp(&sip, "SIP/"))
			return EBADMSG;
		v += 4;
		if (digits(&v, ve, 1000, &a) || v == ve || *v != '.')
			return EBADMSG;
		v++;
		if (digits(&v, ve, 1000, &b) || v != ve)
			return EBADMSG;
		if (a != 2 || b != 0)
			return EPROTONOSUPPORT;
	}
	return 0;
}

static bool callid_ok(const struct pl *v)
{
	if (!v->p || v->l == 0)
		return false;
	size_t i = 0;

	/* printable, no SP: 0x21..0x7e; eight bytes at a time first */
	for (; i + 8 <= v->l; i += 8) {
		uint64_t x;
		memcpy(&x, v->p + i, 8);
		/* any byte < 0x21, or with the top bit set after adding 1 */
		if (((x - 0x2121212121212121ull) & ~x & 0x8080808080808080ull) ||
		    ((x + 0x0101010101010101ull) | x) & 0x8080808080808080ull)
			return false;
	}
	for (; i < v->l; i++) {
		if ((unsigned char)(v->p[i] - 0x21) > 0x7e - 0x21)
			return false;
	}
	return true;
}

/* Decode the headers every consumer needs; record the first problem. */
enum {
	DEC_VIA = 1 << 0,
	DEC_FROM = 1 << 1,
	DEC_TO = 1 << 2,
	DEC_CSEQ = 1 << 3,
	DEC_CTYPE = 1 << 4,
	DEC_RURI = 1 << 5,
};

static void zero_undecoded(struct sip_msg *msg, unsigned dec)
{
	if (!(dec & DEC_VIA)) {
		memset(&msg->via, 0, sizeof(msg->via));
		msg->via.ttl = -1;
	}
	if (!(dec & DEC_FROM))
		memset(&msg->from, 0, sizeof(msg->from));
	if (!(dec & DEC_TO))
		memset(&msg->to, 0, sizeof(msg->to));
	if (!(dec & DEC_CSEQ))
		memset(&msg->cseq, 0, sizeof(msg->cseq));
	if (!(dec & DEC_CTYPE))
		memset(&msg->ctype, 0, sizeof(msg->ctype));
	if (!(dec & DEC_RURI))
		memset(&msg->ruri, 0, sizeof(msg->ruri));
}

static unsigned decode_core(struct sip_msg *msg, bool *core_ok)
{
	unsigned dec = 0;
	const struct sip_hdr *h;
	struct pl v;
	bool ok = true;

	/* top Via */
	h = sip_msg_hdr(msg, SIP_HDR_VIA);
	if (!h) {
		set_err(msg, 400, "Missing Via Header", SIP_HDR_VIA);
		ok = false;
	} else {
		struct pl rest = h->val;
		if (!first_value(&rest, &v) || via_parse(&msg->via, &v)) {
			set_err(msg, 400, "Bad Via Header", SIP_HDR_VIA);
			ok = false;
		} else {
			dec |= DEC_VIA;
		}
	}
	h = sip_msg_hdr(msg, SIP_HDR_FROM);
	if (!h) {
		set_err(msg, 400, "Missing From Header", SIP_HDR_FROM);
		ok = false;
	} else if (h->next || addr_parse(&msg->from, &h->val, NULL, NULL)) {
		set_err(msg, 400, "Bad From Header", SIP_HDR_FROM);
		ok = false;
	} else {
		dec |= DEC_FROM;
	}
	h = sip_msg_hdr(msg, SIP_HDR_TO);
	if (!h) {
		set_err(msg, 400, "Missing To Header", SIP_HDR_TO);
		ok = false;
	} else if (h->next || addr_parse(&msg->to, &h->val, NULL, NULL)) {
		set_err(msg, 400, "Bad To Header", SIP_HDR_TO);
		ok = false;
	} else {
		dec |= DEC_TO;
	}
	h = sip_msg_hdr(msg, SIP_HDR_CALL_ID);
	if (!h) {
		set_err(msg, 400, "Missing Call-ID Header", SIP_HDR_CALL_ID);
		ok = false;
	} else if (h->next || !callid_ok(&h->val)) {
		set_err(msg, 400, "Bad Call-ID Header", SIP_HDR_CALL_ID);
		ok = false;
	} else {
		msg->call_id = h->val;
	}
	h = sip_msg_hdr(msg, SIP_HDR_CSEQ);
	if (!h) {
		set_err(msg, 400, "Missing CSeq Header", SIP_HDR_CSEQ);
		ok = false;
	} else if (h->next || sip_cseq_decode(&msg->cseq, &h->val)) {
		set_err(msg, 400, "Bad CSeq Header", SIP_HDR_CSEQ);
		ok = false;
	} else {
		dec |= DEC_CSEQ;
		/* §8.1.1.5: the CSeq method matches the request method */
		if (msg->req && pl_cmp(&msg->cseq.method, &msg->method))
			set_err(msg, 400, "CSeq Method Mismatch", SIP_HDR_CSEQ);
	}
	*core_ok = ok;

	h = sip_msg_hdr(msg, SIP_HDR_MAX_FORWARDS);
	if (h) {
		uint32_t mf;
		if (h->next || sip_uint_decode(&mf, &h->val) || mf > 0x7fffffffu)
			set_err(msg, 400, "Bad Max-Forwards Header", SIP_HDR_MAX_FORWARDS);
		else
			msg->max_forwards = (int32_t)mf;
	}
	h = sip_msg_hdr(msg, SIP_HDR_CONTENT_LENGTH);
	if (h) {
		if (sip_uint_decode(&msg->clen, &h->val)) {
			set_err(msg, 400, "Bad Content-Length Header", SIP_HDR_CONTENT_LENGTH);
		} else {
			msg->has_clen = true;
			/* repeated Content-Length must agree */
			for (const struct sip_hdr *n = sip_msg_hdr_next(msg, h); n;
			     n = sip_msg_hdr_next(msg, n)) {
				uint32_t x;
				if (sip_uint_decode(&x, &n->val) || x != msg->clen) {
					set_err(msg, 400, "Bad Content-Length Header",
						SIP_HDR_CONTENT_LENGTH);
					break;
				}
			}
		}
	}
	h = sip_msg_hdr(msg, SIP_HDR_CONTENT_TYPE);
	if (h) {
		if (h->next || sip_ctype_decode(&msg->ctype, &h->val))
			set_err(msg, 400, "Bad Content-Type Header", SIP_HDR_CONTENT_TYPE);
		else
			dec |= DEC_CTYPE;
	}
	h = sip_msg_hdr(msg, SIP_HDR_EXPIRES);
	if (h && delta_decode(&h->val, &msg->expires))
		set_err(msg, 400, "Bad Expires Header", SIP_HDR_EXPIRES);
	return dec;
}

int sip_msg_decode(struct sip_msg *msg, const char *buf, size_t len)
{
	const char *s = buf, *e = buf + len, *ls, *le, *hend = NULL;
	bool core_ok = false, too_many = false;
	unsigned dec = 0;
	int err = 0, serr;

	/*
	 * Reset all but the header table and the decoded structs (via, from,
	 * to, cseq, ctype, ruri): those are written whole on success and
	 * zeroed by zero_undecoded() otherwise, which saves clearing ~1 KB
	 * per message. A field added to struct sip_msg must be covered here.
	 */
	memset(msg, 0, offsetof(struct sip_msg, ruri));
	memset(&msg->scode, 0, offsetof(struct sip_msg, hdrv) - offsetof(struct sip_msg, scode));
	memset(&msg->hdrc, 0, offsetof(struct sip_msg, via) - offsetof(struct sip_msg, hdrc));
	memset(&msg->call_id, 0, sizeof(msg->call_id));
	memset(&msg->max_forwards, 0,
	       offsetof(struct sip_msg, ctype) - offsetof(struct sip_msg, max_forwards));
	memset(&msg->expires, 0, sizeof(*msg) - offsetof(struct sip_msg, expires));
	msg->max_forwards = -1;
	msg->expires = -1;

	if (!buf || len == 0) {
		zero_undecoded(msg, 0);
		set_err(msg, 400, "Empty Message", SIP_HDR_OTHER);
		return EBADMSG;
	}
	/* CRLFs before the start line are ignored (§7.5) */
	while (s < e && (*s == '\r' || *s == '\n'))
		s++;
	msg->buf = s;
	if (s == e) {
		zero_undecoded(msg, 0);
		set_err(msg, 400, "Empty Message", SIP_HDR_OTHER);
		return EBADMSG;
	}

	/* start line */
	le = memchr(s, '\n', (size_t)(e - s));
	if (!le) {
		zero_undecoded(msg, 0);
		set_err(msg, 400, "Bad Start Line", SIP_HDR_OTHER);
		msg->len = len;
		return EBADMSG;
	}
	ls = s;
	s = le + 1;
	if (le > ls && le[-1] == '\r')
		le--;
	serr = start_line(msg, ls, le);
	if (serr == EPROTONOSUPPORT) {
		set_err(msg, 505, "Version Not Supported", SIP_HDR_OTHER);
		err = EPROTONOSUPPORT;
	} else if (serr) {
		set_err(msg, 400, "Bad Start Line", SIP_HDR_OTHER);
		err = EBADMSG;
	}

	/* header lines; a line starting with SP/HTAB continues the previous */
	msg->hdrs.p = s;
	while (s < e) {
		const char *colon, *ne, *vs, *ve;
		enum sip_hdr_id id;
		struct sip_hdr *h;

		if (*s == '\n' || (*s == '\r' && s + 1 < e && s[1] == '\n')) {
			hend = s;
			s += (*s == '\n') ? 1 : 2;
			break;
		}
		ls = s;
		for (;;) {
			le = memchr(s, '\n', (size_t)(e - s));
			if (!le) {
				le = e;
				s = e;
				break;
			}
			s = le + 1;
			if (s < e && (*s == ' ' || *s == '\t'))
				continue;
			break;
		}
		ve = le;
		if (ve > ls && ve[-1] == '\r')
			ve--;
		/* field-name = token, then optional WSP, then ':' */
		ne = ls;
		while (ne < ve && is_token(*ne))
			ne++;
		colon = ne;
		while (colon < ve && (*colon == ' ' || *colon == '\t'))
			colon++;
		if (ne == ls || colon == ve || *colon != ':') {
			set_err(msg, 400, ne == ls || colon == ve ? "Bad Header Line" : "Bad Header Name",
				SIP_HDR_OTHER);
			err = EBADMSG;
			continue;
		}
		vs = colon + 1;
		while (vs < ve && sip_is_lws(*vs))
			vs++;
		while (ve > vs && sip_is_lws(ve[-1]))
			ve--;
		id = sip_hdr_lookup_token(ls, (size_t)(ne - ls));
		if (msg->hdrc >= SIP_MSG_MAX_HDRS) {
			too_many = true;
			continue;
		}
		h = &msg->hdrv[msg->hdrc++];
		h->name.p = ls;
		h->name.l = (size_t)(ne - ls);
		h->val.p = vs;
		h->val.l = (size_t)(ve - vs);
		h->id = (uint16_t)id;
		h->next = 0;
		if (msg->last[id])
			msg->hdrv[msg->last[id] - 1].next = msg->hdrc;
		else
			msg->first[id] = msg->hdrc;
		msg->last[id] = msg->hdrc;
	}
	/* a datagram may end right after its last header line */
	if (!hend)
		hend = s;
	msg->hdrs.l = (size_t)(hend - msg->hdrs.p);
	/* NUL only as a quoted-pair ("\\" %x00), never bare */
	for (const char *z = msg->buf; (z = memchr(z, '\0', (size_t)(hend - z))) != NULL; z++) {
		if (z == msg->buf || z[-1] != '\\') {
			set_err(msg, 400, "NUL In Headers", SIP_HDR_OTHER);
			err = EBADMSG;
			break;
		}
	}

	dec = decode_core(msg, &core_ok);
	if (too_many)
		set_err(msg, 400, "Too Many Headers", SIP_HDR_OTHER);

	/* body: Content-Length bytes after the blank line (§18.3, §20.14) */
	msg->body.p = s;
	msg->body.l = (size_t)(e - s);
	if (msg->has_clen) {
		if (msg->clen > msg->body.l)
			set_err(msg, 400, "Bad Content-Length Header", SIP_HDR_CONTENT_LENGTH);
		else
			msg->body.l = msg->clen;
	}
	msg->len = (size_t)(msg->body.p + msg->body.l - msg->buf);

	if (!serr && msg->req) {
		if (sip_uri_parse(&msg->ruri, &msg->ruri_pl))
			set_err(msg, 400, "Bad Request-URI", SIP_HDR_OTHER);
		else if ((dec |= DEC_RURI), msg->ruri.scheme == SIP_URI_OTHER)
			set_err(msg, 416, "Unsupported URI Scheme", SIP_HDR_OTHER);
	}
	zero_undecoded(msg, dec);
	if (len > SIP_MSG_MAX_SIZE)
		set_err(msg, 513, "Message Too Large", SIP_HDR_OTHER);

	msg->err.can_respond = msg->req && core_ok;
	if (!msg->err.status)
		return 0;
	if (err)
		return err;
	switch (msg->err.status) {
	case 505:
		return EPROTONOSUPPORT;
	case 513:
		return EMSGSIZE;
	default:
		return EBADMSG;
	}
}

/* ---- stream framing ---- */

/* Content-Length of a complete header block, scanning names only. */
static int frame_clen(const char *s, const char *e, uint64_t *clen)
{
	bool found = false;

	while (s < e) {
		const char *le = memchr(s, '\n', (size_t)(e - s)), *c, *ne;
		const char *ls = s;
		if (!le)
			le = e;
		s = le < e ? le + 1 : e;
		/* fold continuation lines into this one */
		while (s < e && (*s == ' ' || *s == '\t')) {
			le = memchr(s, '\n', (size_t)(e - s));
			if (!le)
				le = e;
			s = le < e ? le + 1 : e;
		}
		c = memchr(ls, ':', (size_t)(le - ls));
		if (!c)
			continue;
		ne = c;
		while (ne > ls && (ne[-1] == ' ' || ne[-1] == '\t'))
			ne--;
		if (sip_hdr_lookup(ls, (size_t)(ne - ls)) == SIP_HDR_CONTENT_LENGTH) {
			struct pl v = { c + 1, (size_t)(le - c - 1) };
			uint32_t x;
			if (sip_uint_decode(&x, &v))
				return EBADMSG;
			if (found && x != *clen)
				return EBADMSG;
			*clen = x;
			found = true;
		}
	}
	return found ? 0 : EBADMSG;
}

enum sip_frame_kind sip_msg_frame(const char *buf, size_t len, size_t max,
				  struct sip_frame *fr)
{
	size_t i = 0, crlfs = 0, avail, hl;
	const char *s, *e, *p;
	uint64_t clen = 0;

	memset(fr, 0, sizeof(*fr));
	if (!max)
		max = SIP_MSG_MAX_SIZE;
	while (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n') {
		i += 2;
		crlfs++;
	}
	fr->skip = i;
	fr->pings = (unsigned)(crlfs / 2);
	fr->pongs = (unsigned)(crlfs % 2);
	s = buf + i;
	e = buf + len;
	avail = len - i;
	if (avail == 0 || (avail == 1 && *s == '\r')) {
		fr->kind = SIP_FRAME_MORE;
		return fr->kind;
	}
	/* find the blank line ending the header block */
	p = NULL;
	for (const char *q = s; q < e;) {
		const char *lf = memchr(q, '\n', (size_t)(e - q));
		if (!lf)
			break;
		if (lf + 1 < e && lf[1] == '\n') {
			p = lf + 2;
			break;
		}
		if (lf + 2 < e && lf[1] == '\r' && lf[2] == '\n') {
			p = lf + 3;
			break;
		}
		if (lf + 1 >= e || (lf[1] == '\r' && lf + 2 >= e))
			break;
		q = lf + 1;
	}
	if (!p) {
		if (avail > max) {
			fr->kind = SIP_FRAME_ERROR;
			fr->err = EMSGSIZE;
		} else {
			fr->kind = SIP_FRAME_MORE;
		}
		return fr->kind;
	}
	hl = (size_t)(p - s);
	if (memchr(s, '\0', hl) || frame_clen(s, p, &clen)) {
		fr->kind = SIP_FRAME_ERROR;
		fr->err = EBADMSG;
		return fr->kind;
	}
	if (hl + clen > max) {
		fr->kind = SIP_FRAME_ERROR;
		fr->err = EMSGSIZE;
		return fr->kind;
	}
	if (avail < hl + clen) {
		fr->kind = SIP_FRAME_MORE;
		return fr->kind;
	}
	fr->kind = SIP_FRAME_MSG;
	fr->len = hl + (size_t)clen;
	return fr->kind;
}

/* ---- printers and builders ---- */

int sip_via_print(struct sip_buf *b, const struct sip_via *via)
{
	sip_buf_pl(b, &via->proto);
	sip_buf_append(b, "/", 1);
	sip_buf_pl(b, &via->transport);
	sip_buf_append(b, " ", 1);
	if (via->host_type == SIP_HOST_IPV6) {
		sip_buf_append(b, "[", 1);
		sip_buf_pl(b, &via->host);
		sip_buf_append(b, "]", 1);
	} else {
		sip_buf_pl(b, &via->host);
	}
	if (via->port)
		sip_buf_printf(b, ":%u", via->port);
	if (via->params.p && via->params.l) {
		sip_buf_append(b, ";", 1);
		sip_buf_pl(b, &via->params);
	}
	return sip_buf_err(b);
}

int sip_addr_print(struct sip_buf *b, const struct sip_addr *addr)
{
	if (addr->dname.p && addr->dname.l) {
		if (addr->dname_quoted) {
			sip_buf_append(b, "\"", 1);
			sip_buf_pl(b, &addr->dname);
			sip_buf_append(b, "\" ", 2);
		} else {
			sip_buf_pl(b, &addr->dname);
			sip_buf_append(b, " ", 1);
		}
	}
	sip_buf_append(b, "<", 1);
	sip_uri_print(b, &addr->uri);
	sip_buf_append(b, ">", 1);
	if (addr->params.p && addr->params.l) {
		sip_buf_append(b, ";", 1);
		sip_buf_pl(b, &addr->params);
	}
	return sip_buf_err(b);
}

static const struct {
	uint16_t code;
	const char *phrase;
} phrases[] = {
	{ 100, "Trying" }, { 180, "Ringing" }, { 181, "Call Is Being Forwarded" },
	{ 182, "Queued" }, { 183, "Session Progress" }, { 199, "Early Dialog Terminated" },
	{ 200, "OK" }, { 202, "Accepted" }, { 204, "No Notification" },
	{ 300, "Multiple Choices" }, { 301, "Moved Permanently" },
	{ 302, "Moved Temporarily" }, { 305, "Use Proxy" }, { 380, "Alternative Service" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 402, "Payment Required" },
	{ 403, "Forbidden" }, { 404, "Not Found" }, { 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" }, { 407, "Proxy Authentication Required" },
	{ 408, "Request Timeout" }, { 410, "Gone" }, { 412, "Conditional Request Failed" },
	{ 413, "Request Entity Too Large" }, { 414, "Request-URI Too Long" },
	{ 415, "Unsupported Media Type" }, { 416, "Unsupported URI Scheme" },
	{ 417, "Unknown Resource-Priority" }, { 420, "Bad Extension" },
	{ 421, "Extension Required" }, { 422, "Session Interval Too Small" },
	{ 423, "Interval Too Brief" }, { 428, "Use Identity Header" },
	{ 429, "Provide Referrer Identity" }, { 433, "Anonymity Disallowed" },
	{ 480, "Temporarily Unavailable" }, { 481, "Call/Transaction Does Not Exist" },
	{ 482, "Loop Detected" }, { 483, "Too Many Hops" }, { 484, "Address Incomplete" },
	{ 485, "Ambiguous" }, { 486, "Busy Here" }, { 487, "Request Terminated" },
	{ 488, "Not Acceptable Here" }, { 489, "Bad Event" }, { 491, "Request Pending" },
	{ 493, "Undecipherable" }, { 494, "Security Agreement Required" },
	{ 500, "Server Internal Error" }, { 501, "Not Implemented" },
	{ 502, "Bad Gateway" }, { 503, "Service Unavailable" }, { 504, "Server Time-out" },
	{ 505, "Version Not Supported" }, { 513, "Message Too Large" },
	{ 580, "Precondition Failure" }, { 600, "Busy Everywhere" }, { 603, "Decline" },
	{ 604, "Does Not Exist Anywhere" }, { 606, "Not Acceptable" },
	{ 607, "Unwanted" },
};

const char *sip_reason_phrase(uint16_t scode)
{
	for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++) {
		if (phrases[i].code == scode)
			return phrases[i].phrase;
	}
	return "";
}

static void copy_hdrs(struct sip_buf *b, const struct sip_msg *msg, enum sip_hdr_id id)
{
	for (const struct sip_hdr *h = sip_msg_hdr(msg, id); h;
	     h = h->next ? &msg->hdrv[h->next - 1] : NULL) {
		sip_buf_str(b, sip_hdr_name(id));
		sip_buf_append(b, ": ", 2);
		sip_buf_pl(b, &h->val);
		sip_buf_append(b, "\r\n", 2);
	}
}

static void body_tail(struct sip_buf *b, const char *ctype, const void *body, size_t blen)
{
	if (ctype && *ctype)
		sip_buf_printf(b, "Content-Type: %s\r\n", ctype);
	sip_buf_printf(b, "Content-Length: %zu\r\n\r\n", body ? blen : 0);
	if (body && blen)
		sip_buf_append(b, body, blen);
}

int sip_msg_reply(struct sip_buf *b, const struct sip_msg *req, uint16_t scode,
		  const char *reason, const struct sip_reply_opt *opt)
{
	const struct sip_hdr *h;
	static const struct sip_reply_opt none;

	if (scode < 100 || scode > 699 || !req->req)
		return EINVAL;
	if (!opt)
		opt = &none;
	if (!reason || !*reason)
		reason = sip_reason_phrase(scode);
	if (!*reason)
		reason = "Unknown";
	sip_buf_printf(b, "SIP/2.0 %u %s\r\n", scode, reason);
	copy_hdrs(b, req, SIP_HDR_VIA);
	if (opt->record_route)
		copy_hdrs(b, req, SIP_HDR_RECORD_ROUTE);
	copy_hdrs(b, req, SIP_HDR_FROM);
	h = sip_msg_hdr(req, SIP_HDR_TO);
	if (h) {
		sip_buf_str(b, "To: ");
		sip_buf_pl(b, &h->val);
		if (opt->to_tag && *opt->to_tag && !req->to.tag.p && scode > 100)
			sip_buf_printf(b, ";tag=%s", opt->to_tag);
		sip_buf_append(b, "\r\n", 2);
	}
	copy_hdrs(b, req, SIP_HDR_CALL_ID);
	copy_hdrs(b, req, SIP_HDR_CSEQ);
	if (opt->hdrs)
		sip_buf_str(b, opt->hdrs);
	body_tail(b, opt->ctype, opt->body, opt->body_len);
	return sip_buf_err(b);
}

int sip_msg_request(struct sip_buf *b, const char *method, const struct pl *ruri,
		    const char *hdrs, const char *ctype, const void *body, size_t body_len)
{
	struct pl m = pl_from_str(method);

	if (!all_token(&m) || !ruri || !ruri->p || !ruri->l)
		return EINVAL;
	sip_buf_str(b, method);
	sip_buf_append(b, " ", 1);
	sip_buf_pl(b, ruri);
	sip_buf_str(b, " SIP/2.0\r\n");
	if (hdrs)
		sip_buf_str(b, hdrs);
	body_tail(b, ctype, body, body_len);
	return sip_buf_err(b);
}
