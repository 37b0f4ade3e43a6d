/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Multipart bodies (see body.h): zero-copy splitting of any multipart type per
 * RFC 2046 §5.1.1 (dash-boundary, transport padding, close-delimiter,
 * preamble and epilogue ignored), part headers per RFC 2045 §3 with
 * Content-Type (RFC 2045 §5.1) and Content-Disposition with the handling
 * parameter (RFC 3261 §20.11, RFC 3204 §5.1), and a multipart/mixed
 * builder for SIP-I bodies (ITU-T Q.1912.5 annex C, RFC 3204).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "sip/body.h"

static inline bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * If s[0..] holds a delimiter line after "--boundary" was matched at s,
 * return true and set *next to the first byte after the line, *close when
 * it is the close-delimiter.
 */
static bool delim_line(const char *s, const char *e, size_t bl, const char **next,
		       bool *close)
{
	const char *p = s + 2 + bl;

	if (p + 2 <= e && p[0] == '-' && p[1] == '-') {
		*close = true;
		*next = p + 2;
		return true;
	}
	while (p < e && is_wsp(*p))
		p++;
	if (p < e && *p == '\n') {
		*close = false;
		*next = p + 1;
		return true;
	}
	if (p + 1 < e && p[0] == '\r' && p[1] == '\n') {
		*close = false;
		*next = p + 2;
		return true;
	}
	return false;
}

/*
 * Next delimiter at or after from: "--boundary" (the needle, nl bytes) at
 * the very start of the body or right after a line break, followed by
 * "--" or by optional padding and a line break. Sets *cut to where the
 * preceding part ends (the line break before the dashes belongs to the
 * delimiter), *next past the delimiter line.
 */
static const char *find_delim(const char *body, const char *from, const char *e,
			      const char *needle, size_t nl, const char **cut,
			      const char **next, bool *close)
{
	/* from - 1: a delimiter right at from still follows a line break */
	const char *p = from > body ? from - 1 : from;

	/* candidates: the body start, then every byte after a LF */
	if (from == body && (size_t)(e - body) >= nl && !memcmp(body, needle, nl) &&
	    delim_line(body, e, nl - 2, next, close)) {
		*cut = body;
		return body;
	}
	while (p < e) {
		const char *lf = memchr(p, '\n', (size_t)(e - p)), *m, *c;
		if (!lf)
			return NULL;
		m = lf + 1;
		p = m;
		if ((size_t)(e - m) < nl || m[0] != '-' || memcmp(m, needle, nl))
			continue;
		if (!delim_line(m, e, nl - 2, next, close))
			continue;
		c = lf;
		if (c > body && c[-1] == '\r')
			c--;
		*cut = c < from ? from : c;
		return m;
	}
	return NULL;
}

/* Split part headers from content; decode Content-Type and -Disposition. */
static int part_decode(struct sip_body_part *pt, const char *s, const char *e)
{
	const char *p = s;
	struct pl v;

	memset(pt, 0, sizeof(*pt));
	if (p < e && *p == '\n') {
		pt->body.p = p + 1;
		pt->body.l = (size_t)(e - p - 1);
	} else if (p + 1 < e && p[0] == '\r' && p[1] == '\n') {
		pt->body.p = p + 2;
		pt->body.l = (size_t)(e - p - 2);
	} else {
		const char *he = NULL, *bs = e;
		while (p < e) {
			const char *lf = memchr(p, '\n', (size_t)(e - p));
			if (!lf)
				break;
			if (lf + 1 < e && lf[1] == '\n') {
				he = lf + 1;
				bs = lf + 2;
				break;
			}
			if (lf + 2 < e && lf[1] == '\r' && lf[2] == '\n') {
				he = lf + 1;
				bs = lf + 3;
				break;
			}
			p = lf + 1;
		}
		if (!he) {
			/* headers only, no content */
			he = e;
			bs = e;
		}
		pt->hdrs.p = s;
		pt->hdrs.l = (size_t)(he - s);
		pt->body.p = bs;
		pt->body.l = (size_t)(e - bs);
		/* every header line needs a name and a colon */
		for (p = s; p < he;) {
			const char *lf = memchr(p, '\n', (size_t)(he - p));
			const char *le = lf ? lf : he, *c;
			if (le > p && le[-1] == '\r')
				le--;
			if (le > p && !is_wsp(*p)) {
				c = memchr(p, ':', (size_t)(le - p));
				if (!c || c == p)
					return EINVAL;
			} else if (le > p && p == s) {
				return EINVAL;
			}
			p = lf ? lf + 1 : he;
		}
	}
	/* one pass over the part headers for the two that matter */
	{
		struct pl ctv = PL_NULL, dv = PL_NULL;
		const char *q = pt->hdrs.p, *qe = pt->hdrs.p + pt->hdrs.l;
		while (q && q < qe) {
			const char *ls = q, *le = memchr(q, '\n', (size_t)(qe - q)), *c, *ne;
			le = le ? le : qe;
			q = le < qe ? le + 1 : qe;
			while (q < qe && is_wsp(*q)) {
				const char *lf = memchr(q, '\n', (size_t)(qe - q));
				le = lf ? lf : qe;
				q = lf ? lf + 1 : qe;
			}
			c = memchr(ls, ':', (size_t)(le - ls));
			if (!c)
				continue;
			ne = c;
			while (ne > ls && is_wsp(ne[-1]))
				ne--;
			switch (sip_hdr_lookup(ls, (size_t)(ne - ls))) {
			case SIP_HDR_CONTENT_TYPE:
				if (!ctv.p) {
					ctv.p = c + 1;
					ctv.l = (size_t)(le - c - 1);
				}
				break;
			case SIP_HDR_CONTENT_DISPOSITION:
				if (!dv.p) {
					dv.p = c + 1;
					dv.l = (size_t)(le - c - 1);
				}
				break;
			default:
				break;
			}
		}
		if (ctv.p) {
			sip_pl_trim(&ctv);
			pt->ctype_raw = ctv;
			if (sip_ctype_decode(&pt->ctype, &ctv))
				return EINVAL;
		} else {
			pt->ctype.type = PL("text");
			pt->ctype.subtype = PL("plain");
		}
		pt->required = true;
		if (dv.p) {
			const char *d, *de;
			struct pl h;
			sip_pl_trim(&dv);
			v = dv;
			d = v.p;
			de = v.p + v.l;
			pt->disp = v;
			while (d < de && *d != ';' && !sip_is_lws(*d))
				d++;
			pt->disp_type.p = v.p;
			pt->disp_type.l = (size_t)(d - v.p);
			if (pt->disp_type.l == 0)
				return EINVAL;
			if (d < de) {
				struct pl params = { d, (size_t)(de - d) };
				if (!sip_param_get(&params, "handling", &h) &&
				    !pl_strcasecmp(&h, "optional"))
					pt->required = false;
			}
		}
	}
	return 0;
}

int sip_body_multipart_decode(struct sip_multipart *mp, const struct sip_ctype *ct,
			      const struct pl *body)
{
	struct sip_multipart m;
	struct pl bnd, q;
	const char *s, *e, *next, *cut, *d;
	bool close = false;

	if (!ct || !ct->type.p || pl_strcasecmp(&ct->type, "multipart") || !body ||
	    !body->p)
		return EINVAL;
	if (sip_param_get(&ct->params, "boundary", &bnd))
		return EINVAL;
	if (sip_pl_unquote(&bnd, &q))
		bnd = q;
	if (bnd.l == 0 || bnd.l > 70)
		return EINVAL;
	memset(&m, 0, sizeof(m));
	m.boundary = bnd;
	s = body->p;
	e = body->p + body->l;

	{
		char needle[74];
		size_t nl = bnd.l + 2;
		needle[0] = '-';
		needle[1] = '-';
		memcpy(needle + 2, bnd.p, bnd.l);
		d = find_delim(s, s, e, needle, nl, &cut, &next, &close);
		if (!d || close)
			return EINVAL;
		for (;;) {
			const char *ps = next;
			d = find_delim(s, ps, e, needle, nl, &cut, &next, &close);
			if (!d)
				return EINVAL;
			if (m.partc >= SIP_BODY_MAX_PARTS)
				return E2BIG;
			if (part_decode(&m.partv[m.partc], ps, cut))
				return EINVAL;
			m.partc++;
			if (close)
				break;
		}
	}
	*mp = m;
	return 0;
}

int sip_body_part_hdr(const struct sip_body_part *part, const char *name, struct pl *val)
{
	const char *p = part->hdrs.p, *e;
	size_t nl = strlen(name);
	char compact = 0;

	if (!p)
		return ENOENT;
	if (!strcasecmp(name, "Content-Type"))
		compact = 'c';
	else if (!strcasecmp(name, "Content-Length"))
		compact = 'l';
	else if (!strcasecmp(name, "Content-Encoding"))
		compact = 'e';
	e = p + part->hdrs.l;
	while (p < e) {
		const char *ls = p, *le, *c, *ne;
		le = memchr(p, '\n', (size_t)(e - p));
		le = le ? le : e;
		p = le < e ? le + 1 : e;
		while (p < e && is_wsp(*p)) {
			const char *lf = memchr(p, '\n', (size_t)(e - p));
			le = lf ? lf : e;
			p = lf ? lf + 1 : e;
		}
		c = memchr(ls, ':', (size_t)(le - ls));
		if (!c)
			continue;
		ne = c;
		while (ne > ls && is_wsp(ne[-1]))
			ne--;
		if (((size_t)(ne - ls) == nl && !strncasecmp(ls, name, nl)) ||
		    (compact && ne - ls == 1 && (*ls | 0x20) == compact)) {
			struct pl v = { c + 1, (size_t)(le - c - 1) };
			sip_pl_trim(&v);
			*val = v;
			return 0;
		}
	}
	return ENOENT;
}

const struct sip_body_part *sip_body_multipart_find(const struct sip_multipart *mp,
						    const char *type, const char *subtype)
{
	for (unsigned i = 0; i < mp->partc; i++) {
		if (sip_ctype_is(&mp->partv[i].ctype, type, subtype))
			return &mp->partv[i];
	}
	return NULL;
}

static bool bchars_ok(const char *b, size_t n)
{
	if (n == 0 || n > 70 || b[n - 1] == ' ')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = b[i];
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			continue;
		if (!strchr("'()+_,-./:=? ", c))
			return false;
	}
	return true;
}

static bool hdr_value_ok(const char *v)
{
	for (; *v; v++) {
		if (*v == '\r' || *v == '\n')
			return false;
	}
	return true;
}

int sip_body_multipart_encode(struct sip_buf *b, const char *boundary,
			      const struct sip_body_part_spec *partv, size_t partc)
{
	size_t bl;

	if (!boundary || !partv || partc == 0)
		return EINVAL;
	bl = strlen(boundary);
	if (!bchars_ok(boundary, bl))
		return EINVAL;
	for (size_t i = 0; i < partc; i++) {
		const struct sip_body_part_spec *ps = &partv[i];
		if (!ps->ctype || !*ps->ctype || !hdr_value_ok(ps->ctype) ||
		    (ps->disp && !hdr_value_ok(ps->disp)) || (ps->len && !ps->data))
			return EINVAL;
		if (ps->len >= bl && memmem(ps->data, ps->len, boundary, bl))
			return EINVAL;
	}
	for (size_t i = 0; i < partc; i++) {
		const struct sip_body_part_spec *ps = &partv[i];
		sip_buf_printf(b, "--%s\r\nContent-Type: %s\r\n", boundary, ps->ctype);
		if (ps->disp && *ps->disp)
			sip_buf_printf(b, "Content-Disposition: %s\r\n", ps->disp);
		sip_buf_append(b, "\r\n", 2);
		if (ps->len)
			sip_buf_append(b, ps->data, ps->len);
		sip_buf_append(b, "\r\n", 2);
	}
	sip_buf_printf(b, "--%s--\r\n", boundary);
	return sip_buf_err(b);
}
