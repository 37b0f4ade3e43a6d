/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Caller identity mapping (see ident.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gw/ident.h"
#include "sip/hdr.h"
#include "sip/msg.h"
#include "sip/uri.h"

static const struct {
	const char *tok;
	enum gw_redir_reason r;
} redir_tokens[] = {
	{ "unknown", GW_REDIR_UNKNOWN },
	{ "user-busy", GW_REDIR_BUSY },
	{ "no-answer", GW_REDIR_NO_REPLY },
	{ "deflection", GW_REDIR_DEFLECTION },
	{ "unavailable", GW_REDIR_NOT_REACHABLE },
	{ "out-of-service", GW_REDIR_OUT_OF_ORDER },
	{ "unconditional", GW_REDIR_UNCONDITIONAL },
	{ "follow-me", GW_REDIR_UNCONDITIONAL },
	{ "time-of-day", GW_REDIR_UNCONDITIONAL },
	{ "do-not-disturb", GW_REDIR_UNCONDITIONAL },
	{ "away", GW_REDIR_NO_REPLY },
};

const char *gw_redir_reason_token(enum gw_redir_reason r)
{
	switch (r) {
	case GW_REDIR_BUSY: return "user-busy";
	case GW_REDIR_NO_REPLY: return "no-answer";
	case GW_REDIR_DEFLECTION:
	case GW_REDIR_DEFLECTION_IMMEDIATE: return "deflection";
	case GW_REDIR_NOT_REACHABLE: return "unavailable";
	case GW_REDIR_OUT_OF_ORDER: return "out-of-service";
	case GW_REDIR_UNCONDITIONAL: return "unconditional";
	default: return "unknown";
	}
}

enum gw_redir_reason gw_redir_reason_parse(const char *s, size_t n)
{
	if (n && s[0] == '"' && n >= 2 && s[n - 1] == '"') {
		s++;
		n -= 2;
	}
	for (size_t i = 0; i < sizeof(redir_tokens) / sizeof(redir_tokens[0]); i++) {
		if (strlen(redir_tokens[i].tok) == n &&
		    !strncasecmp(s, redir_tokens[i].tok, n))
			return redir_tokens[i].r;
	}
	return GW_REDIR_UNKNOWN;
}

/* Value of header parameter name in a ";a=b;c" list, unquoted. */
static bool param_get(const struct pl *params, const char *name, struct pl *val)
{
	const char *p = params->p, *end;
	size_t nl = strlen(name);

	if (!p)
		return false;
	end = p + params->l;
	while (p < end) {
		const char *s, *e, *eq;
		while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
			p++;
		s = p;
		bool inq = false;
		while (p < end && (inq || *p != ';')) {
			if (*p == '"')
				inq = !inq;
			p++;
		}
		e = p;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		size_t seglen = e > s ? (size_t)(e - s) : 0;
		eq = seglen ? memchr(s, '=', seglen) : NULL;
		const char *ne = eq ? eq : e;
		while (ne > s && (ne[-1] == ' ' || ne[-1] == '\t'))
			ne--;
		if ((size_t)(ne - s) == nl && !strncasecmp(s, name, nl)) {
			if (val) {
				if (eq) {
					const char *v = eq + 1;
					while (v < e && (*v == ' ' || *v == '\t'))
						v++;
					val->p = v;
					val->l = (size_t)(e - v);
					if (val->l >= 2 && v[0] == '"' && e[-1] == '"') {
						val->p++;
						val->l -= 2;
					}
				} else {
					val->p = e;
					val->l = 0;
				}
			}
			return true;
		}
	}
	return false;
}

/* Digits of a party from a URI: tel number or sip user part. */
static int uri_number(const struct sip_uri *u, char *dst, size_t sz)
{
	if (!u->has_user && u->scheme != SIP_URI_TEL)
		return ENOENT;
	if (!u->user.l)
		return ENOENT;
	return sip_uri_tel_digits(&u->user, dst, sz);
}

static void copy_name(const struct sip_addr *a, char *dst, size_t sz)
{
	size_t n = 0;

	for (size_t i = 0; i < a->dname.l && n + 1 < sz; i++) {
		char ch = a->dname.p[i];
		if (a->dname_quoted && ch == '\\' && i + 1 < a->dname.l)
			ch = a->dname.p[++i];
		if ((unsigned char)ch < 0x20)
			continue; /* no control characters towards the PSTN */
		dst[n++] = ch;
	}
	dst[n] = '\0';
}

static bool is_anonymous(const struct sip_addr *a)
{
	struct pl anon = PL("anonymous");
	if (a->uri.has_user && !pl_casecmp(&a->uri.user, &anon))
		return true;
	return a->dname.l == 9 && !strncasecmp(a->dname.p, "anonymous", 9);
}

static enum gw_ton ton_of(const char *num)
{
	return num[0] == '+' ? GW_TON_INTERNATIONAL : GW_TON_UNKNOWN;
}

/* Privacy header (RFC 3323 §4.2): values separated by ';' or ','. */
static void privacy_of(const struct sip_msg *m, bool *id, bool *user)
{
	const struct sip_hdr *h;

	*id = *user = false;
	for (h = sip_msg_hdr(m, SIP_HDR_PRIVACY); h; h = sip_msg_hdr_next(m, h)) {
		const char *p = h->val.p, *end = h->val.p + h->val.l;
		while (p < end) {
			const char *s;
			while (p < end && (*p == ';' || *p == ',' || *p == ' ' ||
					   *p == '\t'))
				p++;
			s = p;
			while (p < end && *p != ';' && *p != ',' && *p != ' ' &&
			       *p != '\t')
				p++;
			size_t n = (size_t)(p - s);
			if ((n == 2 && !strncasecmp(s, "id", 2)) ||
			    (n == 6 && !strncasecmp(s, "header", 6)) ||
			    (n == 8 && !strncasecmp(s, "critical", 8)))
				*id = true;
			else if (n == 4 && !strncasecmp(s, "user", 4))
				*user = true;
			/* "session" (media privacy) and "none" leave identity alone */
		}
	}
}

/* History-Info (RFC 7044) with RFC 4458 "cause" URI params. */
static void redir_from_history(const struct sip_msg *m, struct gw_redirect *r)
{
	struct sip_addr prev;
	bool have_prev = false;
	unsigned entries = 0;
	struct sip_msg_iter it;
	struct pl v;

	sip_msg_iter_init(&it, m, SIP_HDR_HISTORY_INFO);
	{
		while (sip_msg_iter_next(&it, &v)) {
			struct sip_addr a;
			struct pl cause;
			if (sip_addr_decode(&a, &v))
				continue;
			entries++;
			if (have_prev && sip_uri_param(&a.uri, "cause", &cause) == 0) {
				char num[GW_IDENT_NUM];
				uint32_t c = 0;
				if (uri_number(&prev.uri, num, sizeof(num)) == 0) {
					snprintf(r->num, sizeof(r->num), "%s", num);
					pl_u32(&cause, &c);
					switch (c) {
					case 486: r->reason = GW_REDIR_BUSY; break;
					case 408: r->reason = GW_REDIR_NO_REPLY; break;
					case 302: r->reason = GW_REDIR_UNCONDITIONAL; break;
					case 487: r->reason = GW_REDIR_DEFLECTION; break;
					case 480: r->reason = GW_REDIR_DEFLECTION_IMMEDIATE; break;
					case 503: r->reason = GW_REDIR_NOT_REACHABLE; break;
					default: r->reason = GW_REDIR_UNKNOWN; break;
					}
					r->count++;
				}
			}
			prev = a;
			have_prev = true;
		}
	}
	(void)entries;
}

static void redir_from_sip(const struct sip_msg *m, struct gw_redirect *r)
{
	unsigned total = 0;
	bool first = true;
	struct sip_msg_iter it;
	struct pl v;

	memset(r, 0, sizeof(*r));
	/* RFC 5806 §4: the top-most Diversion is the most recent one */
	sip_msg_iter_init(&it, m, SIP_HDR_DIVERSION);
	{
		while (sip_msg_iter_next(&it, &v)) {
			struct sip_addr a;
			struct pl val;
			uint32_t cnt = 1;
			if (sip_addr_decode(&a, &v))
				continue;
			if (param_get(&a.params, "counter", &val))
				pl_u32(&val, &cnt);
			total += cnt ? cnt : 1;
			if (!first)
				continue;
			first = false;
			if (uri_number(&a.uri, r->num, sizeof(r->num)))
				r->num[0] = '\0';
			if (param_get(&a.params, "reason", &val))
				r->reason = gw_redir_reason_parse(val.p, val.l);
		}
	}
	if (!first) {
		r->count = total;
		return;
	}
	redir_from_history(m, r);
}

int gw_ident_from_sip(const struct sip_msg *req, const struct gw_ident_policy *pol,
		      struct gw_party *calling, struct gw_redirect *redir)
{
	const struct sip_addr *from;
	struct sip_addr pai, rpid;
	const struct sip_hdr *h;
	bool priv_id, priv_user, have = false;

	if (!req || !req->req || !sip_msg_hdr(req, SIP_HDR_FROM))
		return EINVAL;
	from = &req->from;
	memset(calling, 0, sizeof(*calling));
	privacy_of(req, &priv_id, &priv_user);

	if (pol->trust_pai) {
		/* RFC 3325 §9.1: one sip/sips and one tel value may be given;
		 * prefer the tel URI for the number */
		struct sip_msg_iter it;
		struct pl v;
		sip_msg_iter_init(&it, req, SIP_HDR_P_ASSERTED_IDENTITY);
		{
			while (sip_msg_iter_next(&it, &v)) {
				char num[GW_IDENT_NUM];
				if (sip_addr_decode(&pai, &v) ||
				    uri_number(&pai.uri, num, sizeof(num)))
					continue;
				if (!have || pai.uri.scheme == SIP_URI_TEL) {
					snprintf(calling->num, sizeof(calling->num),
						 "%s", num);
					if (pai.dname.l)
						copy_name(&pai, calling->name,
							  sizeof(calling->name));
					have = true;
				}
			}
		}
		if (have) {
			calling->screen = GW_SCREEN_NETWORK;
		} else if ((h = sip_msg_hdr_byname(req, "Remote-Party-ID")) &&
			   !sip_addr_decode(&rpid, &h->val)) {
			struct pl val;
			if (!uri_number(&rpid.uri, calling->num,
					sizeof(calling->num))) {
				have = true;
				copy_name(&rpid, calling->name, sizeof(calling->name));
				calling->screen =
					(param_get(&rpid.params, "screen", &val) &&
					 !pl_strcasecmp(&val, "yes"))
						? GW_SCREEN_NETWORK
						: GW_SCREEN_USER_NOT_SCREENED;
				if (param_get(&rpid.params, "privacy", &val)) {
					if (!pl_strcasecmp(&val, "full") ||
					    !pl_strcasecmp(&val, "uri"))
						priv_id = true;
					if (!pl_strcasecmp(&val, "full") ||
					    !pl_strcasecmp(&val, "name"))
						priv_user = true;
				}
			}
		}
	}
	if (!have) {
		calling->screen = GW_SCREEN_USER_NOT_SCREENED;
		if (!is_anonymous(from) &&
		    !uri_number(&from->uri, calling->num, sizeof(calling->num))) {
			have = true;
		} else {
			calling->num[0] = '\0';
		}
		if (from->dname.l && !is_anonymous(from))
			copy_name(from, calling->name, sizeof(calling->name));
		if (is_anonymous(from))
			priv_id = true;
	}
	calling->ton = ton_of(calling->num);
	if (!calling->num[0])
		calling->pres = priv_id ? GW_PRES_RESTRICTED : GW_PRES_UNAVAILABLE;
	else
		calling->pres = priv_id ? GW_PRES_RESTRICTED : GW_PRES_ALLOWED;
	calling->name_restricted = priv_id || priv_user;
	if (redir)
		redir_from_sip(req, redir);
	return 0;
}

int gw_ident_connected_from_sip(const struct sip_msg *rsp,
				const struct gw_ident_policy *pol,
				struct gw_party *connected)
{
	const struct sip_hdr *h = sip_msg_hdr(rsp, SIP_HDR_P_ASSERTED_IDENTITY);
	struct sip_addr a;
	bool priv_id, priv_user;

	if (!pol->trust_pai || !h || sip_addr_decode(&a, &h->val))
		return ENOENT;
	memset(connected, 0, sizeof(*connected));
	if (uri_number(&a.uri, connected->num, sizeof(connected->num)))
		return ENOENT;
	privacy_of(rsp, &priv_id, &priv_user);
	copy_name(&a, connected->name, sizeof(connected->name));
	connected->ton = ton_of(connected->num);
	connected->screen = GW_SCREEN_NETWORK;
	connected->pres = priv_id ? GW_PRES_RESTRICTED : GW_PRES_ALLOWED;
	connected->name_restricted = priv_id || priv_user;
	return 0;
}

/* A display name as a quoted-string (RFC 3261 §25.1), escaped. */
static void print_dname(struct sip_buf *b, const char *name)
{
	sip_buf_str(b, "\"");
	for (const char *p = name; *p; p++) {
		if (*p == '"' || *p == '\\')
			sip_buf_str(b, "\\");
		sip_buf_append(b, p, 1);
	}
	sip_buf_str(b, "\" ");
}

/* A party number as a URI user part: only phone characters pass. */
static void print_number(struct sip_buf *b, const char *num)
{
	for (const char *p = num; *p; p++) {
		char ch = *p;
		if ((ch >= '0' && ch <= '9') || ch == '+' || ch == '*' ||
		    (ch >= 'A' && ch <= 'D') || (ch >= 'a' && ch <= 'd'))
			sip_buf_append(b, &ch, 1);
		else if (ch == '#')
			sip_buf_str(b, "%23");
	}
}

int gw_ident_to_sip(struct sip_buf *hdrs, const struct gw_party *calling,
		    const struct gw_redirect *redir, const char *called,
		    const char *from_tag, const struct gw_ident_policy *pol)
{
	const char *dom = pol->domain ? pol->domain : "pstngw.invalid";
	bool hidden = calling->pres != GW_PRES_ALLOWED || !calling->num[0];

	/* From: anonymous when the PSTN says restricted or gave nothing
	 * (RFC 3323 §4.1.1.3); the real identity only in PAI + Privacy */
	sip_buf_str(hdrs, "From: ");
	if (hidden) {
		sip_buf_printf(hdrs, "\"Anonymous\" <sip:anonymous@anonymous.invalid>");
	} else {
		if (calling->name[0] && !calling->name_restricted)
			print_dname(hdrs, calling->name);
		sip_buf_str(hdrs, "<sip:");
		print_number(hdrs, calling->num);
		sip_buf_printf(hdrs, "@%s;user=phone>", dom);
	}
	sip_buf_printf(hdrs, ";tag=%s\r\n", from_tag ? from_tag : "0");

	if (pol->send_pai && calling->num[0]) {
		sip_buf_str(hdrs, "P-Asserted-Identity: ");
		if (calling->name[0] && !calling->name_restricted)
			print_dname(hdrs, calling->name);
		sip_buf_str(hdrs, "<sip:");
		print_number(hdrs, calling->num);
		sip_buf_printf(hdrs, "@%s;user=phone>\r\n", dom);
		if (calling->pres == GW_PRES_RESTRICTED)
			sip_buf_str(hdrs, "Privacy: id\r\n");
	}
	if (pol->send_rpid && calling->num[0]) {
		sip_buf_str(hdrs, "Remote-Party-ID: ");
		if (calling->name[0] && !calling->name_restricted)
			print_dname(hdrs, calling->name);
		sip_buf_str(hdrs, "<sip:");
		print_number(hdrs, calling->num);
		sip_buf_printf(hdrs, "@%s;user=phone>;party=calling;screen=%s;privacy=%s\r\n",
			       dom,
			       calling->screen == GW_SCREEN_NETWORK ||
					       calling->screen == GW_SCREEN_USER_PASSED
				       ? "yes" : "no",
			       calling->pres == GW_PRES_RESTRICTED ? "full" : "off");
	}
	if (redir && redir->num[0]) {
		if (pol->send_diversion) {
			sip_buf_str(hdrs, "Diversion: <sip:");
			print_number(hdrs, redir->num);
			sip_buf_printf(hdrs, "@%s;user=phone>;reason=%s;counter=%u\r\n",
				       dom, gw_redir_reason_token(redir->reason),
				       redir->count ? redir->count : 1);
		} else {
			static const uint16_t causes[] = {
				[GW_REDIR_UNKNOWN] = 404, [GW_REDIR_BUSY] = 486,
				[GW_REDIR_NO_REPLY] = 408, [GW_REDIR_DEFLECTION] = 487,
				[GW_REDIR_DEFLECTION_IMMEDIATE] = 480,
				[GW_REDIR_NOT_REACHABLE] = 503,
			};
			uint16_t c = redir->reason == GW_REDIR_UNCONDITIONAL ? 302
				     : (unsigned)redir->reason < 6 ? causes[redir->reason]
								   : 404;
			/* RFC 7044: the redirecting entry, then the target
			 * entry carrying the RFC 4458 cause */
			sip_buf_str(hdrs, "History-Info: <sip:");
			print_number(hdrs, redir->num);
			sip_buf_printf(hdrs, "@%s;user=phone>;index=1\r\n", dom);
			sip_buf_str(hdrs, "History-Info: <sip:");
			print_number(hdrs, called ? called : "");
			sip_buf_printf(hdrs, "@%s;user=phone;cause=%u>;index=1.1\r\n",
				       dom, c);
		}
	}
	return sip_buf_err(hdrs);
}
