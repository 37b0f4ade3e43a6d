/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP/SIPS/tel URI decoding, comparison and printing (see uri.h):
 * RFC 3261 §19.1.1-§19.1.4 and §25.1 (SIP-URI, hostport, uri-parameters,
 * headers), RFC 3966 §3 and §4 (telephone-subscriber, global and local
 * numbers, visual separators, phone-context, comparison), RFC 3986 §3.1
 * (scheme syntax for other absolute URIs).
 */
#include <errno.h>
#include <string.h>

#include "sip/uri.h"

static inline bool is_alpha(char c)
{
	return sip_cc_is(c, SIP_CC_ALPHA);
}

static inline bool is_digit(char c)
{
	return sip_cc_is(c, SIP_CC_DIGIT);
}

static inline bool is_hex(char c)
{
	return sip_cc_is(c, SIP_CC_HEX);
}

/*
 * Bytes never allowed unescaped anywhere in a URI: controls, SP, DEL,
 * non-ASCII, and the delimiters that end a URI inside a header.
 */
static inline bool uri_bad(char c)
{
	return !sip_cc_is(c, SIP_CC_URI);
}

/* Every '%' followed by two hex digits, no forbidden byte. */
static bool chars_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (uri_bad(s[i]))
			return false;
		if (__builtin_expect(s[i] == '%', 0)) {
			if (i + 2 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
				return false;
			i += 2;
		}
	}
	return true;
}

static bool is_ipv4(const char *s, size_t n)
{
	const char *e = s + n;

	for (int part = 0;; part++) {
		unsigned v;
		if (s >= e || !is_digit(*s))
			return false;
		v = (unsigned)(*s++ - '0');
		if (s < e && is_digit(*s)) {
			v = v * 10 + (unsigned)(*s++ - '0');
			if (s < e && is_digit(*s))
				v = v * 10 + (unsigned)(*s++ - '0');
		}
		if (v > 255)
			return false;
		if (part == 3)
			return s == e;
		if (s >= e || *s != '.')
			return false;
		s++;
	}
}

/* IPv6 address (RFC 4291 §2.2 text forms, incl. embedded IPv4). */
static bool is_ipv6(const char *s, size_t n)
{
	unsigned groups = 0;
	bool dbl = false;
	size_t i = 0;

	if (n < 2)
		return false;
	if (s[0] == ':') {
		if (s[1] != ':')
			return false;
		dbl = true;
		i = 2;
		if (i == n)
			return true;
	}
	while (i < n) {
		size_t st = i;
		unsigned hx = 0;
		while (i < n && is_hex(s[i]) && hx < 5) {
			i++;
			hx++;
		}
		if (i < n && s[i] == '.') {
			/* trailing dotted quad takes two groups */
			if (!is_ipv4(s + st, n - st))
				return false;
			groups += 2;
			i = n;
			break;
		}
		if (hx == 0 || hx > 4)
			return false;
		groups++;
		if (i == n)
			break;
		if (s[i] != ':')
			return false;
		i++;
		if (i < n && s[i] == ':') {
			if (dbl)
				return false;
			dbl = true;
			i++;
			if (i == n)
				break;
		} else if (i == n) {
			return false;
		}
	}
	return dbl ? groups < 8 : groups == 8;
}

static bool is_hostname(const char *s, size_t n)
{
	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!sip_cc_is(s[i], SIP_CC_HOST))
			return false;
	}
	return true;
}

enum sip_host_type sip_host_type(const char *s, size_t n, bool v6)
{
	if (v6)
		return is_ipv6(s, n) ? SIP_HOST_IPV6 : SIP_HOST_NONE;
	if (is_ipv4(s, n))
		return SIP_HOST_IPV4;
	return is_hostname(s, n) ? SIP_HOST_NAME : SIP_HOST_NONE;
}

/* Parameters ";a=b;c": every name non-empty. */
static bool params_ok(const struct pl *params)
{
	const char *s = params->p;
	size_t n = params->l, i = 0;

	if (!s)
		return true;
	while (i <= n) {
		size_t st = i;
		while (i < n && s[i] != ';')
			i++;
		if (i == st || s[st] == '=')
			return false;
		i++;
	}
	return true;
}

/*
 * Scanner classes for one pass over a sip/sips URI: 0 plain, 1 never
 * allowed (controls, SP, DEL, non-ASCII, < > "), then the delimiters.
 */
enum { US_PLAIN, US_BAD, US_PCT, US_AT, US_COLON, US_SEMI, US_QMARK, US_EQ };
static const uint8_t uri_scan[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 0, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 5, 1, 7, 1, 6,
	3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

static inline bool pct_ok(const char *p, const char *end)
{
	return p + 2 < end && is_hex(p[1]) && is_hex(p[2]);
}

/*
 * sip/sips hier-part in one pass: userinfo up to the first '@' (none if
 * there is no '@': hosts, params and headers exclude it), then host,
 * port, params (every name non-empty) and headers; every byte checked
 * and every %-escape well formed.
 */
static int sip_decode(struct sip_uri *u, const char *s, size_t n)
{
	const char *end = s + n, *p = s, *colon = NULL, *h, *hs;

	for (;;) {
		while (p < end && uri_scan[(unsigned char)*p] == US_PLAIN)
			p++;
		if (p == end)
			break;
		switch (uri_scan[(unsigned char)*p]) {
		case US_BAD:
			return EINVAL;
		case US_PCT:
			if (!pct_ok(p, end))
				return EINVAL;
			p += 3;
			continue;
		case US_COLON:
			if (!colon)
				colon = p;
			p++;
			continue;
		case US_AT:
			break;
		default:
			p++;
			continue;
		}
		break;
	}
	if (p < end) {
		/* p is the '@' */
		u->has_user = true;
		u->user.p = s;
		u->user.l = (size_t)((colon ? colon : p) - s);
		if (colon) {
			u->has_password = true;
			u->password.p = colon + 1;
			u->password.l = (size_t)(p - colon - 1);
		}
		if (u->user.l == 0)
			return EINVAL;
		s = p + 1;
	}
	hs = s;
	if (s < end && *s == '[') {
		h = s + 1;
		while (h < end && *h != ']')
			h++;
		if (h == end || !is_ipv6(s + 1, (size_t)(h - s - 1)))
			return EINVAL;
		u->host.p = s + 1;
		u->host.l = (size_t)(h - s - 1);
		u->host_type = SIP_HOST_IPV6;
		s = h + 1;
	} else {
		for (h = s; h < end && sip_cc_is(*h, SIP_CC_HOST); h++)
			;
		if (h == s)
			return EINVAL;
		u->host.p = s;
		u->host.l = (size_t)(h - s);
		/* only a host starting with a digit can be an IPv4 address */
		if (is_digit(*s) && is_ipv4(s, u->host.l))
			u->host_type = SIP_HOST_IPV4;
		else if (u->host.l <= 255)
			u->host_type = SIP_HOST_NAME;
		else
			return EINVAL;
		s = h;
	}
	if (s < end && *s == ':') {
		uint32_t v = 0;
		const char *ds = ++s;
		while (s < end && is_digit(*s) && s - ds < 6) {
			v = v * 10 + (uint32_t)(*s - '0');
			s++;
		}
		if (s == ds || v == 0 || v > 65535)
			return EINVAL;
		u->port = (uint16_t)v;
	}
	u->hostport.p = hs;
	u->hostport.l = (size_t)(s - hs);
	if (s < end && *s == ';') {
		const char *ps = ++s, *pstart = s;
		for (;;) {
			while (s < end && uri_scan[(unsigned char)*s] == US_PLAIN)
				s++;
			if (s == end || *s == '?')
				break;
			switch (uri_scan[(unsigned char)*s]) {
			case US_BAD:
				return EINVAL;
			case US_PCT:
				if (!pct_ok(s, end))
					return EINVAL;
				s += 3;
				continue;
			case US_SEMI:
			case US_EQ:
				/* a parameter name may not be empty */
				if (s == pstart)
					return EINVAL;
				if (*s == ';')
					pstart = s + 1;
				else
					pstart = NULL;
				s++;
				continue;
			default:
				s++;
				continue;
			}
		}
		if (s == pstart)
			return EINVAL;
		u->params.p = ps;
		u->params.l = (size_t)(s - ps);
	}
	if (s < end && *s == '?') {
		u->headers.p = ++s;
		u->headers.l = (size_t)(end - s);
		if (u->headers.l == 0)
			return EINVAL;
		for (; s < end; s++) {
			if (uri_scan[(unsigned char)*s] == US_BAD)
				return EINVAL;
			if (*s == '%') {
				if (!pct_ok(s, end))
					return EINVAL;
				s += 2;
			}
		}
	}
	return s == end ? 0 : EINVAL;
}

static inline bool is_phonedigit_hex(char c)
{
	return is_hex(c) || c == '*' || c == '#' || c == '-' || c == '.' || c == '(' ||
	       c == ')';
}

static int tel_decode(struct sip_uri *u, const char *s, size_t n)
{
	const char *semi;
	size_t i;
	bool digit = false;

	if (!chars_ok(s, n) || n == 0)
		return EINVAL;
	semi = memchr(s, ';', n);
	u->user.p = s;
	u->user.l = semi ? (size_t)(semi - s) : n;
	u->has_user = true;
	i = 0;
	if (u->user.l && s[0] == '+') {
		u->global = true;
		i = 1;
	}
	for (; i < u->user.l; i++) {
		char c = s[i];
		if (u->global ? (!is_digit(c) && c != '-' && c != '.' && c != '(' && c != ')')
			      : !is_phonedigit_hex(c))
			return EINVAL;
		if (is_hex(c) || c == '*' || c == '#')
			digit = true;
	}
	if (!digit)
		return EINVAL;
	if (semi) {
		u->params.p = semi + 1;
		u->params.l = n - u->user.l - 1;
		if (!params_ok(&u->params))
			return EINVAL;
	}
	return 0;
}

int sip_uri_parse(struct sip_uri *u, const struct pl *pl)
{
	const char *s, *colon;
	size_t n, sl;

	if (!pl || !pl->p || pl->l == 0)
		return EINVAL;
	s = pl->p;
	n = pl->l;
	/* the common case first: "sip:" */
	if (n > 4 && s[3] == ':' && (s[0] | 0x20) == 's' && (s[1] | 0x20) == 'i' &&
	    (s[2] | 0x20) == 'p') {
		colon = s + 3;
		sl = 3;
		u->scheme = SIP_URI_SIP;
	} else {
		colon = memchr(s, ':', n);
		if (!colon || colon == s || !is_alpha(s[0]))
			return EINVAL;
		sl = (size_t)(colon - s);
		for (size_t i = 1; i < sl; i++) {
			char c = s[i];
			if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
				return EINVAL;
		}
		if (sl == 3 && (s[0] | 0x20) == 's' && (s[1] | 0x20) == 'i' &&
		    (s[2] | 0x20) == 'p')
			u->scheme = SIP_URI_SIP;
		else if (sl == 4 && (s[0] | 0x20) == 's' && (s[1] | 0x20) == 'i' &&
			 (s[2] | 0x20) == 'p' && (s[3] | 0x20) == 's')
			u->scheme = SIP_URI_SIPS;
		else if (sl == 3 && (s[0] | 0x20) == 't' && (s[1] | 0x20) == 'e' &&
			 (s[2] | 0x20) == 'l')
			u->scheme = SIP_URI_TEL;
		else
			u->scheme = SIP_URI_OTHER;
	}
	/* every field written explicitly: cheaper than clearing the struct */
	u->host_type = SIP_HOST_NONE;
	u->raw = *pl;
	u->scheme_pl.p = s;
	u->scheme_pl.l = sl;
	u->user = PL_NULL;
	u->password = PL_NULL;
	u->host = PL_NULL;
	u->hostport = PL_NULL;
	u->port = 0;
	u->params = PL_NULL;
	u->headers = PL_NULL;
	u->opaque.p = colon + 1;
	u->opaque.l = n - sl - 1;
	u->has_user = false;
	u->has_password = false;
	u->global = false;
	if (u->opaque.l == 0)
		return EINVAL;

	switch (u->scheme) {
	case SIP_URI_SIP:
	case SIP_URI_SIPS:
		return sip_decode(u, u->opaque.p, u->opaque.l);
	case SIP_URI_TEL:
		return tel_decode(u, u->opaque.p, u->opaque.l);
	default:
		for (size_t i = 0; i < u->opaque.l; i++) {
			if (uri_bad(u->opaque.p[i]))
				return EINVAL;
		}
		return 0;
	}
}

int sip_uri_decode(struct sip_uri *uri, const struct pl *pl)
{
	struct sip_uri u;
	int err = sip_uri_parse(&u, pl);

	if (err)
		return err;
	*uri = u;
	return 0;
}

int sip_uri_param(const struct sip_uri *uri, const char *name, struct pl *val)
{
	return sip_param_get(&uri->params, name, val);
}

static int header_find(const struct pl *headers, const struct pl *name, struct pl *hdr,
		       struct pl *val);

int sip_uri_header(const struct sip_uri *uri, const char *name, struct pl *val)
{
	struct pl n = pl_from_str(name), h, v;

	if (header_find(&uri->headers, &n, &h, &v))
		return ENOENT;
	if (val)
		*val = v;
	return 0;
}

/* Compare two escaped slices after unescaping; exact or case-insensitive. */
static bool esc_equal(const struct pl *a, const struct pl *b, bool icase)
{
	char ba[512], bb[512];
	size_t la, lb;
	struct pl pa, pb;

	if (!a->p || !b->p)
		return !a->p && !b->p;
	if (sip_pl_unescape(a, ba, sizeof(ba), &la) ||
	    sip_pl_unescape(b, bb, sizeof(bb), &lb)) {
		/* too long or bad escapes: fall back to the raw text */
		return icase ? !pl_casecmp(a, b) : !pl_cmp(a, b);
	}
	pa.p = ba;
	pa.l = la;
	pb.p = bb;
	pb.l = lb;
	return icase ? !pl_casecmp(&pa, &pb) : !pl_cmp(&pa, &pb);
}

static bool param_is_strict(const struct pl *name)
{
	static const char *const strict[] = { "user", "ttl", "method", "maddr",
					      "transport" };
	for (size_t i = 0; i < sizeof(strict) / sizeof(strict[0]); i++) {
		if (!pl_strcasecmp(name, strict[i]))
			return true;
	}
	return false;
}

/* Same parameter name given twice in one list is matched by its first. */
static int param_find(const struct pl *params, const struct pl *name, struct pl *val)
{
	struct pl rest = *params, n, v;

	if (!params->p)
		return ENOENT;
	while (sip_param_next(&rest, &n, &v)) {
		if (!pl_casecmp(&n, name)) {
			*val = v;
			return 0;
		}
	}
	return ENOENT;
}

/* Every param of a: if strict (or all) it must be in b with equal value. */
static bool params_match(const struct pl *a, const struct pl *b, bool all)
{
	struct pl rest = *a, n, v, w;

	if (!a->p)
		return true;
	while (sip_param_next(&rest, &n, &v)) {
		/* a repeated name counts once: by its first occurrence */
		if (param_find(a, &n, &w) == 0 && w.p != v.p)
			continue;
		if (param_find(b, &n, &w)) {
			if (all || param_is_strict(&n))
				return false;
			continue;
		}
		if (!esc_equal(&v, &w, true))
			return false;
	}
	return true;
}

/* First URI header named name (case-insensitive): 0 with *hdr, *val. */
static int header_find(const struct pl *headers, const struct pl *name, struct pl *hdr,
		       struct pl *val)
{
	const char *s = headers->p, *e;

	if (!s)
		return ENOENT;
	e = s + headers->l;
	while (s <= e) {
		const char *amp = memchr(s, '&', (size_t)(e - s));
		const char *he = amp ? amp : e;
		const char *eq = memchr(s, '=', (size_t)(he - s));
		struct pl n = { s, (size_t)((eq ? eq : he) - s) };
		if (!pl_casecmp(&n, name)) {
			hdr->p = s;
			hdr->l = (size_t)(he - s);
			val->p = eq ? eq + 1 : he;
			val->l = eq ? (size_t)(he - eq - 1) : 0;
			return 0;
		}
		if (!amp)
			break;
		s = amp + 1;
	}
	return ENOENT;
}

/* Every header of a (first occurrence per name) is in b with equal value. */
static bool headers_subset(const struct sip_uri *a, const struct sip_uri *b)
{
	const char *s = a->headers.p, *e;

	if (!s)
		return true;
	e = s + a->headers.l;
	while (s <= e) {
		const char *amp = memchr(s, '&', (size_t)(e - s));
		const char *he = amp ? amp : e;
		const char *eq = memchr(s, '=', (size_t)(he - s));
		struct pl n = { s, (size_t)((eq ? eq : he) - s) };
		struct pl v = { eq ? eq + 1 : he, eq ? (size_t)(he - eq - 1) : 0 }, h, w;
		if (header_find(&a->headers, &n, &h, &w) == 0 && h.p == s) {
			if (header_find(&b->headers, &n, &h, &w) || !esc_equal(&v, &w, false))
				return false;
		}
		if (!amp)
			break;
		s = amp + 1;
	}
	return true;
}

int sip_uri_tel_digits(const struct pl *number, char *dst, size_t sz)
{
	char tmp[256];
	size_t n, o = 0;
	int err;

	if (sz == 0)
		return ENOSPC;
	dst[0] = '\0';
	err = sip_pl_unescape(number, tmp, sizeof(tmp), &n);
	if (err)
		return err == ENOSPC ? ENOSPC : EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = tmp[i];
		if (c == '-' || c == '.' || c == '(' || c == ')')
			continue;
		if (!(is_hex(c) || c == '*' || c == '#' || (c == '+' && i == 0))) {
			dst[0] = '\0';
			return EINVAL;
		}
		if (o + 1 >= sz) {
			dst[0] = '\0';
			return ENOSPC;
		}
		dst[o++] = c;
	}
	dst[o] = '\0';
	return 0;
}

static bool tel_equal(const struct sip_uri *a, const struct sip_uri *b)
{
	char da[256], db[256];
	struct pl pa, pb;

	if (a->global != b->global)
		return false;
	if (sip_uri_tel_digits(&a->user, da, sizeof(da)) ||
	    sip_uri_tel_digits(&b->user, db, sizeof(db)))
		return !pl_casecmp(&a->raw, &b->raw);
	pa = pl_from_str(da);
	pb = pl_from_str(db);
	if (pl_casecmp(&pa, &pb))
		return false;
	/* parameters as a set: each side's params all present in the other */
	return params_match(&a->params, &b->params, true) &&
	       params_match(&b->params, &a->params, true);
}

bool sip_uri_equal(const struct sip_uri *a, const struct sip_uri *b)
{
	if (a->scheme != b->scheme)
		return false;
	switch (a->scheme) {
	case SIP_URI_SIP:
	case SIP_URI_SIPS:
		break;
	case SIP_URI_TEL:
		return tel_equal(a, b);
	default:
		return !pl_casecmp(&a->scheme_pl, &b->scheme_pl) &&
		       !pl_cmp(&a->opaque, &b->opaque);
	}
	if (a->has_user != b->has_user || a->has_password != b->has_password)
		return false;
	if (a->has_user && !esc_equal(&a->user, &b->user, false))
		return false;
	if (a->has_password && !esc_equal(&a->password, &b->password, false))
		return false;
	if (a->host_type != b->host_type || pl_casecmp(&a->host, &b->host))
		return false;
	if (a->port != b->port)
		return false;
	if (!params_match(&a->params, &b->params, false) ||
	    !params_match(&b->params, &a->params, false))
		return false;
	return headers_subset(a, b) && headers_subset(b, a);
}

const char *sip_uri_scheme_name(enum sip_uri_scheme s)
{
	switch (s) {
	case SIP_URI_SIP:
		return "sip";
	case SIP_URI_SIPS:
		return "sips";
	case SIP_URI_TEL:
		return "tel";
	default:
		return "";
	}
}

int sip_uri_print(struct sip_buf *b, const struct sip_uri *uri)
{
	switch (uri->scheme) {
	case SIP_URI_SIP:
	case SIP_URI_SIPS:
		sip_buf_str(b, sip_uri_scheme_name(uri->scheme));
		sip_buf_append(b, ":", 1);
		if (uri->has_user) {
			sip_buf_pl(b, &uri->user);
			if (uri->has_password) {
				sip_buf_append(b, ":", 1);
				sip_buf_pl(b, &uri->password);
			}
			sip_buf_append(b, "@", 1);
		}
		if (uri->host_type == SIP_HOST_IPV6) {
			sip_buf_append(b, "[", 1);
			sip_buf_pl(b, &uri->host);
			sip_buf_append(b, "]", 1);
		} else {
			sip_buf_pl(b, &uri->host);
		}
		if (uri->port)
			sip_buf_printf(b, ":%u", uri->port);
		if (uri->params.p) {
			sip_buf_append(b, ";", 1);
			sip_buf_pl(b, &uri->params);
		}
		if (uri->headers.p) {
			sip_buf_append(b, "?", 1);
			sip_buf_pl(b, &uri->headers);
		}
		break;
	case SIP_URI_TEL:
		sip_buf_str(b, "tel:");
		sip_buf_pl(b, &uri->user);
		if (uri->params.p) {
			sip_buf_append(b, ";", 1);
			sip_buf_pl(b, &uri->params);
		}
		break;
	case SIP_URI_OTHER:
		sip_buf_pl(b, &uri->scheme_pl);
		sip_buf_append(b, ":", 1);
		sip_buf_pl(b, &uri->opaque);
		break;
	default:
		if (!b->err)
			b->err = EINVAL;
		break;
	}
	return sip_buf_err(b);
}
