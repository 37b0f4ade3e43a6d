/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP header primitives (see hdr.h): the header name table with compact
 * forms (RFC 3261 §7.3.3, §20), generic-param and comma-list scanning
 * (§7.3.1, §25.1), option tags (§20.32), %-unescaping (§19.1.2) and the
 * bounded output buffer used by every SIP printer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/hdr.h"

#define T SIP_CC_TOKEN
#define W SIP_CC_LWS
#define D SIP_CC_DIGIT
#define X SIP_CC_HEX
#define A SIP_CC_ALPHA
#define U SIP_CC_URI
#define H SIP_CC_HOST
#define P SIP_CC_PVAL
const uint8_t sip_cc[256] = {
	0, 0, 0, 0, 0, 0, 0, 0,
	0, W, W, 0, 0, W, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	W, T|U|P, 0, U, U, T|U|P, U, T|U|P,
	U, U, T|U|P, T|U|P, U, T|U|H|P, T|U|H|P, U,
	T|D|X|U|H|P, T|D|X|U|H|P, T|D|X|U|H|P, T|D|X|U|H|P, T|D|X|U|H|P, T|D|X|U|H|P, T|D|X|U|H|P, T|D|X|U|H|P,
	T|D|X|U|H|P, T|D|X|U|H|P, U|P, U, 0, U, 0, U,
	U, T|X|A|U|H|P, T|X|A|U|H|P, T|X|A|U|H|P, T|X|A|U|H|P, T|X|A|U|H|P, T|X|A|U|H|P, T|A|U|H|P,
	T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, T|A|U|H|P,
	T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, T|A|U|H|P,
	T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, U|P, U, U|P, U, T|U|H|P,
	T|U|P, T|X|A|U|H|P, T|X|A|U|H|P, T|X|A|U|H|P, T|X|A|U|H|P, T|X|A|U|H|P, T|X|A|U|H|P, T|A|U|H|P,
	T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, T|A|U|H|P,
	T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, T|A|U|H|P,
	T|A|U|H|P, T|A|U|H|P, T|A|U|H|P, U, U, U, T|U|P, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
};
#undef T
#undef W
#undef D
#undef X
#undef A
#undef U
#undef H
#undef P

struct hdr_info {
	const char *name;
	unsigned char list;
	char compact;
};

static inline char lc_tab(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c | 0x20) : c;
}

/*
 * s equals lower (lower-case letters and '-'), both n bytes, ignoring
 * ASCII case. s must hold token characters only: OR-ing 0x20 into every
 * byte then folds exactly the upper-case letters (the only other token
 * byte it changes is '_', which becomes DEL and matches nothing), so the
 * comparison can run a word at a time.
 */
static inline bool name_eq(const char *s, const char *lower, size_t n)
{
	while (n >= 8) {
		uint64_t x, y;
		memcpy(&x, s, 8);
		memcpy(&y, lower, 8);
		if ((x | 0x2020202020202020ull) != y)
			return false;
		s += 8;
		lower += 8;
		n -= 8;
	}
	if (n >= 4) {
		uint32_t x, y;
		memcpy(&x, s, 4);
		memcpy(&y, lower, 4);
		if ((x | 0x20202020u) != y)
			return false;
		s += 4;
		lower += 4;
		n -= 4;
	}
	while (n--) {
		if ((char)(*s++ | 0x20) != *lower++)
			return false;
	}
	return true;
}

static const struct hdr_info hdr_tab[SIP_HDR_COUNT] = {
	[SIP_HDR_OTHER] = { "", 0, 0 },
	[SIP_HDR_VIA] = { "Via", 1, 'v' },
	[SIP_HDR_FROM] = { "From", 0, 'f' },
	[SIP_HDR_TO] = { "To", 0, 't' },
	[SIP_HDR_CALL_ID] = { "Call-ID", 0, 'i' },
	[SIP_HDR_CSEQ] = { "CSeq", 0, 0 },
	[SIP_HDR_CONTACT] = { "Contact", 1, 'm' },
	[SIP_HDR_MAX_FORWARDS] = { "Max-Forwards", 0, 0 },
	[SIP_HDR_ROUTE] = { "Route", 1, 0 },
	[SIP_HDR_RECORD_ROUTE] = { "Record-Route", 1, 0 },
	[SIP_HDR_CONTENT_TYPE] = { "Content-Type", 0, 'c' },
	[SIP_HDR_CONTENT_LENGTH] = { "Content-Length", 0, 'l' },
	[SIP_HDR_CONTENT_ENCODING] = { "Content-Encoding", 1, 'e' },
	[SIP_HDR_CONTENT_DISPOSITION] = { "Content-Disposition", 0, 0 },
	[SIP_HDR_EXPIRES] = { "Expires", 0, 0 },
	[SIP_HDR_REQUIRE] = { "Require", 1, 0 },
	[SIP_HDR_SUPPORTED] = { "Supported", 1, 'k' },
	[SIP_HDR_PROXY_REQUIRE] = { "Proxy-Require", 1, 0 },
	[SIP_HDR_UNSUPPORTED] = { "Unsupported", 1, 0 },
	[SIP_HDR_ALLOW] = { "Allow", 1, 0 },
	[SIP_HDR_RSEQ] = { "RSeq", 0, 0 },
	[SIP_HDR_RACK] = { "RAck", 0, 0 },
	[SIP_HDR_SESSION_EXPIRES] = { "Session-Expires", 0, 'x' },
	[SIP_HDR_MIN_SE] = { "Min-SE", 0, 0 },
	[SIP_HDR_EVENT] = { "Event", 0, 'o' },
	[SIP_HDR_ALLOW_EVENTS] = { "Allow-Events", 1, 'u' },
	[SIP_HDR_SUBSCRIPTION_STATE] = { "Subscription-State", 0, 0 },
	[SIP_HDR_REASON] = { "Reason", 1, 0 },
	[SIP_HDR_P_ASSERTED_IDENTITY] = { "P-Asserted-Identity", 1, 0 },
	[SIP_HDR_P_PREFERRED_IDENTITY] = { "P-Preferred-Identity", 1, 0 },
	[SIP_HDR_PRIVACY] = { "Privacy", 0, 0 },
	[SIP_HDR_DIVERSION] = { "Diversion", 1, 0 },
	[SIP_HDR_HISTORY_INFO] = { "History-Info", 1, 0 },
	[SIP_HDR_AUTHORIZATION] = { "Authorization", 0, 0 },
	[SIP_HDR_WWW_AUTHENTICATE] = { "WWW-Authenticate", 0, 0 },
	[SIP_HDR_PROXY_AUTHENTICATE] = { "Proxy-Authenticate", 0, 0 },
	[SIP_HDR_PROXY_AUTHORIZATION] = { "Proxy-Authorization", 0, 0 },
	[SIP_HDR_AUTHENTICATION_INFO] = { "Authentication-Info", 0, 0 },
	[SIP_HDR_SUBJECT] = { "Subject", 0, 's' },
	[SIP_HDR_REFER_TO] = { "Refer-To", 0, 'r' },
	[SIP_HDR_REFERRED_BY] = { "Referred-By", 0, 'b' },
	[SIP_HDR_ACCEPT] = { "Accept", 1, 0 },
	[SIP_HDR_ACCEPT_ENCODING] = { "Accept-Encoding", 1, 0 },
	[SIP_HDR_ACCEPT_LANGUAGE] = { "Accept-Language", 1, 0 },
	[SIP_HDR_USER_AGENT] = { "User-Agent", 0, 0 },
	[SIP_HDR_SERVER] = { "Server", 0, 0 },
	[SIP_HDR_MIN_EXPIRES] = { "Min-Expires", 0, 0 },
	[SIP_HDR_RETRY_AFTER] = { "Retry-After", 0, 0 },
	[SIP_HDR_TIMESTAMP] = { "Timestamp", 0, 0 },
	[SIP_HDR_DATE] = { "Date", 0, 0 },
	[SIP_HDR_MIME_VERSION] = { "MIME-Version", 0, 0 },
	[SIP_HDR_ORGANIZATION] = { "Organization", 0, 0 },
	[SIP_HDR_WARNING] = { "Warning", 1, 0 },
	[SIP_HDR_IDENTITY] = { "Identity", 0, 'y' },
	[SIP_HDR_ACCEPT_CONTACT] = { "Accept-Contact", 1, 'a' },
	[SIP_HDR_REJECT_CONTACT] = { "Reject-Contact", 1, 'j' },
	[SIP_HDR_REQUEST_DISPOSITION] = { "Request-Disposition", 1, 'd' },
	[SIP_HDR_PATH] = { "Path", 1, 0 },
	[SIP_HDR_SERVICE_ROUTE] = { "Service-Route", 1, 0 },
	[SIP_HDR_REPLACES] = { "Replaces", 0, 0 },
	[SIP_HDR_USER_TO_USER] = { "User-to-User", 1, 0 },
	[SIP_HDR_CALL_INFO] = { "Call-Info", 1, 0 },
	[SIP_HDR_ALERT_INFO] = { "Alert-Info", 1, 0 },
};

static enum sip_hdr_id hdr_lookup_long(const char *s, size_t len)
{
	char c0 = lc_tab(s[0]);

	switch (len) {
	case 2:
		switch (c0) {
		case 't':
			if (name_eq(s, "to", 2))
				return SIP_HDR_TO;
			break;
		default:
			break;
		}
		break;
	case 3:
		switch (c0) {
		case 'v':
			if (name_eq(s, "via", 3))
				return SIP_HDR_VIA;
			break;
		default:
			break;
		}
		break;
	case 4:
		switch (c0) {
		case 'c':
			if (name_eq(s, "cseq", 4))
				return SIP_HDR_CSEQ;
			break;
		case 'd':
			if (name_eq(s, "date", 4))
				return SIP_HDR_DATE;
			break;
		case 'f':
			if (name_eq(s, "from", 4))
				return SIP_HDR_FROM;
			break;
		case 'p':
			if (name_eq(s, "path", 4))
				return SIP_HDR_PATH;
			break;
		case 'r':
			if (name_eq(s, "rseq", 4))
				return SIP_HDR_RSEQ;
			if (name_eq(s, "rack", 4))
				return SIP_HDR_RACK;
			break;
		default:
			break;
		}
		break;
	case 5:
		switch (c0) {
		case 'a':
			if (name_eq(s, "allow", 5))
				return SIP_HDR_ALLOW;
			break;
		case 'e':
			if (name_eq(s, "event", 5))
				return SIP_HDR_EVENT;
			break;
		case 'r':
			if (name_eq(s, "route", 5))
				return SIP_HDR_ROUTE;
			break;
		default:
			break;
		}
		break;
	case 6:
		switch (c0) {
		case 'a':
			if (name_eq(s, "accept", 6))
				return SIP_HDR_ACCEPT;
			break;
		case 'm':
			if (name_eq(s, "min-se", 6))
				return SIP_HDR_MIN_SE;
			break;
		case 'r':
			if (name_eq(s, "reason", 6))
				return SIP_HDR_REASON;
			break;
		case 's':
			if (name_eq(s, "server", 6))
				return SIP_HDR_SERVER;
			break;
		default:
			break;
		}
		break;
	case 7:
		switch (c0) {
		case 'c':
			if (name_eq(s, "call-id", 7))
				return SIP_HDR_CALL_ID;
			if (name_eq(s, "contact", 7))
				return SIP_HDR_CONTACT;
			break;
		case 'e':
			if (name_eq(s, "expires", 7))
				return SIP_HDR_EXPIRES;
			break;
		case 'p':
			if (name_eq(s, "privacy", 7))
				return SIP_HDR_PRIVACY;
			break;
		case 'r':
			if (name_eq(s, "require", 7))
				return SIP_HDR_REQUIRE;
			break;
		case 's':
			if (name_eq(s, "subject", 7))
				return SIP_HDR_SUBJECT;
			break;
		case 'w':
			if (name_eq(s, "warning", 7))
				return SIP_HDR_WARNING;
			break;
		default:
			break;
		}
		break;
	case 8:
		switch (c0) {
		case 'i':
			if (name_eq(s, "identity", 8))
				return SIP_HDR_IDENTITY;
			break;
		case 'r':
			if (name_eq(s, "refer-to", 8))
				return SIP_HDR_REFER_TO;
			if (name_eq(s, "replaces", 8))
				return SIP_HDR_REPLACES;
			break;
		default:
			break;
		}
		break;
	case 9:
		switch (c0) {
		case 'c':
			if (name_eq(s, "call-info", 9))
				return SIP_HDR_CALL_INFO;
			break;
		case 'd':
			if (name_eq(s, "diversion", 9))
				return SIP_HDR_DIVERSION;
			break;
		case 's':
			if (name_eq(s, "supported", 9))
				return SIP_HDR_SUPPORTED;
			break;
		case 't':
			if (name_eq(s, "timestamp", 9))
				return SIP_HDR_TIMESTAMP;
			break;
		default:
			break;
		}
		break;
	case 10:
		switch (c0) {
		case 'a':
			if (name_eq(s, "alert-info", 10))
				return SIP_HDR_ALERT_INFO;
			break;
		case 'u':
			if (name_eq(s, "user-agent", 10))
				return SIP_HDR_USER_AGENT;
			break;
		default:
			break;
		}
		break;
	case 11:
		switch (c0) {
		case 'm':
			if (name_eq(s, "min-expires", 11))
				return SIP_HDR_MIN_EXPIRES;
			break;
		case 'r':
			if (name_eq(s, "referred-by", 11))
				return SIP_HDR_REFERRED_BY;
			if (name_eq(s, "retry-after", 11))
				return SIP_HDR_RETRY_AFTER;
			break;
		case 'u':
			if (name_eq(s, "unsupported", 11))
				return SIP_HDR_UNSUPPORTED;
			break;
		default:
			break;
		}
		break;
	case 12:
		switch (c0) {
		case 'a':
			if (name_eq(s, "allow-events", 12))
				return SIP_HDR_ALLOW_EVENTS;
			break;
		case 'c':
			if (name_eq(s, "content-type", 12))
				return SIP_HDR_CONTENT_TYPE;
			break;
		case 'h':
			if (name_eq(s, "history-info", 12))
				return SIP_HDR_HISTORY_INFO;
			break;
		case 'm':
			if (name_eq(s, "max-forwards", 12))
				return SIP_HDR_MAX_FORWARDS;
			if (name_eq(s, "mime-version", 12))
				return SIP_HDR_MIME_VERSION;
			break;
		case 'o':
			if (name_eq(s, "organization", 12))
				return SIP_HDR_ORGANIZATION;
			break;
		case 'r':
			if (name_eq(s, "record-route", 12))
				return SIP_HDR_RECORD_ROUTE;
			break;
		case 'u':
			if (name_eq(s, "user-to-user", 12))
				return SIP_HDR_USER_TO_USER;
			break;
		default:
			break;
		}
		break;
	case 13:
		switch (c0) {
		case 'a':
			if (name_eq(s, "authorization", 13))
				return SIP_HDR_AUTHORIZATION;
			break;
		case 'p':
			if (name_eq(s, "proxy-require", 13))
				return SIP_HDR_PROXY_REQUIRE;
			break;
		case 's':
			if (name_eq(s, "service-route", 13))
				return SIP_HDR_SERVICE_ROUTE;
			break;
		default:
			break;
		}
		break;
	case 14:
		switch (c0) {
		case 'a':
			if (name_eq(s, "accept-contact", 14))
				return SIP_HDR_ACCEPT_CONTACT;
			break;
		case 'c':
			if (name_eq(s, "content-length", 14))
				return SIP_HDR_CONTENT_LENGTH;
			break;
		case 'r':
			if (name_eq(s, "reject-contact", 14))
				return SIP_HDR_REJECT_CONTACT;
			break;
		default:
			break;
		}
		break;
	case 15:
		switch (c0) {
		case 'a':
			if (name_eq(s, "accept-encoding", 15))
				return SIP_HDR_ACCEPT_ENCODING;
			if (name_eq(s, "accept-language", 15))
				return SIP_HDR_ACCEPT_LANGUAGE;
			break;
		case 's':
			if (name_eq(s, "session-expires", 15))
				return SIP_HDR_SESSION_EXPIRES;
			break;
		default:
			break;
		}
		break;
	case 16:
		switch (c0) {
		case 'c':
			if (name_eq(s, "content-encoding", 16))
				return SIP_HDR_CONTENT_ENCODING;
			break;
		case 'w':
			if (name_eq(s, "www-authenticate", 16))
				return SIP_HDR_WWW_AUTHENTICATE;
			break;
		default:
			break;
		}
		break;
	case 18:
		switch (c0) {
		case 'p':
			if (name_eq(s, "proxy-authenticate", 18))
				return SIP_HDR_PROXY_AUTHENTICATE;
			break;
		case 's':
			if (name_eq(s, "subscription-state", 18))
				return SIP_HDR_SUBSCRIPTION_STATE;
			break;
		default:
			break;
		}
		break;
	case 19:
		switch (c0) {
		case 'a':
			if (name_eq(s, "authentication-info", 19))
				return SIP_HDR_AUTHENTICATION_INFO;
			break;
		case 'c':
			if (name_eq(s, "content-disposition", 19))
				return SIP_HDR_CONTENT_DISPOSITION;
			break;
		case 'p':
			if (name_eq(s, "p-asserted-identity", 19))
				return SIP_HDR_P_ASSERTED_IDENTITY;
			if (name_eq(s, "proxy-authorization", 19))
				return SIP_HDR_PROXY_AUTHORIZATION;
			break;
		case 'r':
			if (name_eq(s, "request-disposition", 19))
				return SIP_HDR_REQUEST_DISPOSITION;
			break;
		default:
			break;
		}
		break;
	case 20:
		switch (c0) {
		case 'p':
			if (name_eq(s, "p-preferred-identity", 20))
				return SIP_HDR_P_PREFERRED_IDENTITY;
			break;
		default:
			break;
		}
		break;
	default:
		break;
	}
	return SIP_HDR_OTHER;
}

static enum sip_hdr_id hdr_lookup_compact(char c)
{
	switch (lc_tab(c)) {
	case 'a': return SIP_HDR_ACCEPT_CONTACT;
	case 'b': return SIP_HDR_REFERRED_BY;
	case 'c': return SIP_HDR_CONTENT_TYPE;
	case 'd': return SIP_HDR_REQUEST_DISPOSITION;
	case 'e': return SIP_HDR_CONTENT_ENCODING;
	case 'f': return SIP_HDR_FROM;
	case 'i': return SIP_HDR_CALL_ID;
	case 'j': return SIP_HDR_REJECT_CONTACT;
	case 'k': return SIP_HDR_SUPPORTED;
	case 'l': return SIP_HDR_CONTENT_LENGTH;
	case 'm': return SIP_HDR_CONTACT;
	case 'o': return SIP_HDR_EVENT;
	case 'r': return SIP_HDR_REFER_TO;
	case 's': return SIP_HDR_SUBJECT;
	case 't': return SIP_HDR_TO;
	case 'u': return SIP_HDR_ALLOW_EVENTS;
	case 'v': return SIP_HDR_VIA;
	case 'x': return SIP_HDR_SESSION_EXPIRES;
	case 'y': return SIP_HDR_IDENTITY;
	default: return SIP_HDR_OTHER;
	}
}

const char *sip_hdr_name(enum sip_hdr_id id)
{
	if ((unsigned)id >= SIP_HDR_COUNT)
		return "";
	return hdr_tab[id].name;
}

enum sip_hdr_id sip_hdr_lookup_token(const char *name, size_t len)
{
	if (len == 1)
		return hdr_lookup_compact(name[0]);
	return hdr_lookup_long(name, len);
}

enum sip_hdr_id sip_hdr_lookup(const char *name, size_t len)
{
	if (!name || len == 0)
		return SIP_HDR_OTHER;
	for (size_t i = 0; i < len; i++) {
		if (!sip_cc_is(name[i], SIP_CC_TOKEN))
			return SIP_HDR_OTHER;
	}
	return sip_hdr_lookup_token(name, len);
}

bool sip_hdr_is_list(enum sip_hdr_id id)
{
	if ((unsigned)id >= SIP_HDR_COUNT)
		return false;
	return hdr_tab[id].list != 0;
}

/* Bytes sip_list_next must look at. */
static const uint8_t list_stop[256] = { ['"'] = 1, ['<'] = 1, [','] = 1 };

/*
 * End of a quoted string starting at s[0] == '"' (index of the closing
 * quote), or n when unterminated. A backslash escapes the next byte.
 */
static size_t quoted_end(const char *s, size_t n)
{
	size_t i = 1;

	while (i < n) {
		if (s[i] == '\\') {
			i += 2;
			continue;
		}
		if (s[i] == '"')
			return i;
		i++;
	}
	return n;
}

bool sip_list_next(struct pl *rest, struct pl *val)
{
	const char *s;
	size_t n, i;

	if (!rest->p)
		return false;
	for (;;) {
		s = rest->p;
		n = rest->l;
		/* skip leading LWS and empty elements */
		while (n && (sip_is_lws(*s) || *s == ',')) {
			s++;
			n--;
		}
		if (!n) {
			rest->p = s;
			rest->l = 0;
			return false;
		}
		i = 0;
		while (i < n) {
			char c;
			/* plain bytes first: only '"', '<' and ',' need a look */
			while (i < n && !list_stop[(unsigned char)s[i]])
				i++;
			if (i == n)
				break;
			c = s[i];
			if (c == '"') {
				i = quoted_end(s + i, n - i) + i;
				if (i < n)
					i++;
				continue;
			}
			if (c == '<') {
				const char *e = memchr(s + i, '>', n - i);
				i = e ? (size_t)(e - s) + 1 : n;
				continue;
			}
			if (c == ',')
				break;
			i++;
		}
		val->p = s;
		val->l = i;
		sip_pl_trim(val);
		rest->p = s + i;
		rest->l = n - i;
		if (val->l)
			return true;
	}
}

bool sip_param_next(struct pl *rest, struct pl *name, struct pl *val)
{
	const char *s;
	size_t n, i, ns, ne;

	if (!rest->p)
		return false;
	s = rest->p;
	n = rest->l;
	for (;;) {
		while (n && (sip_is_lws(*s) || *s == ';')) {
			s++;
			n--;
		}
		if (!n) {
			rest->p = s;
			rest->l = 0;
			return false;
		}
		/* name runs to '=', ';' or LWS */
		i = 0;
		while (i < n && s[i] != '=' && s[i] != ';' && !sip_is_lws(s[i]))
			i++;
		ns = 0;
		ne = i;
		while (i < n && sip_is_lws(s[i]))
			i++;
		if (i < n && s[i] == '=') {
			size_t vs, ve;
			i++;
			while (i < n && sip_is_lws(s[i]))
				i++;
			vs = i;
			if (i < n && s[i] == '"') {
				i += quoted_end(s + i, n - i);
				if (i < n)
					i++;
				ve = i;
			} else {
				while (i < n && s[i] != ';' && !sip_is_lws(s[i]))
					i++;
				ve = i;
			}
			val->p = s + vs;
			val->l = ve - vs;
		} else {
			val->p = s + ne;
			val->l = 0;
		}
		/* skip to the next ';' (anything else here is junk we ignore) */
		while (i < n && s[i] != ';')
			i++;
		name->p = s + ns;
		name->l = ne - ns;
		rest->p = s + i;
		rest->l = n - i;
		if (name->l)
			return true;
		s = rest->p;
		n = rest->l;
	}
}

int sip_param_get(const struct pl *params, const char *name, struct pl *val)
{
	struct pl rest, n, v;
	size_t nl;

	if (!params || !params->p)
		return ENOENT;
	nl = strlen(name);
	rest = *params;
	while (sip_param_next(&rest, &n, &v)) {
		if (n.l == nl && !pl_strcasecmp(&n, name)) {
			if (val)
				*val = v;
			return 0;
		}
	}
	return ENOENT;
}

bool sip_param_exists(const struct pl *params, const char *name)
{
	return sip_param_get(params, name, NULL) == 0;
}

bool sip_tokens_has(const struct pl *list, const char *tag)
{
	size_t tl = strlen(tag);
	const char *s, *e;

	if (!list || !list->p)
		return false;
	s = list->p;
	e = list->p + list->l;
	while (s < e) {
		const char *t;
		while (s < e && (sip_is_lws(*s) || *s == ',' || *s == ';'))
			s++;
		t = s;
		while (s < e && !sip_is_lws(*s) && *s != ',' && *s != ';')
			s++;
		if ((size_t)(s - t) == tl && tl) {
			struct pl tok = { t, tl };
			if (!pl_strcasecmp(&tok, tag))
				return true;
		}
	}
	return false;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sip_pl_unescape(const struct pl *src, char *dst, size_t sz, size_t *len)
{
	size_t o = 0;

	if (sz == 0)
		return ENOSPC;
	for (size_t i = 0; i < src->l; i++) {
		char c = src->p[i];
		if (c == '%') {
			int h, l;
			if (i + 2 >= src->l) {
				dst[0] = '\0';
				return EINVAL;
			}
			h = hexval(src->p[i + 1]);
			l = hexval(src->p[i + 2]);
			if (h < 0 || l < 0 || (h == 0 && l == 0)) {
				dst[0] = '\0';
				return EINVAL;
			}
			c = (char)(h << 4 | l);
			i += 2;
		}
		if (o + 1 >= sz) {
			dst[0] = '\0';
			return ENOSPC;
		}
		dst[o++] = c;
	}
	dst[o] = '\0';
	if (len)
		*len = o;
	return 0;
}

int sip_pl_unfold(const struct pl *src, char *dst, size_t sz, size_t *len)
{
	size_t o = 0;

	if (sz == 0)
		return ENOSPC;
	for (size_t i = 0; i < src->l; i++) {
		char c = src->p[i];
		if (sip_is_lws(c)) {
			while (i + 1 < src->l && sip_is_lws(src->p[i + 1]))
				i++;
			c = ' ';
		}
		if (o + 1 >= sz) {
			dst[0] = '\0';
			return ENOSPC;
		}
		dst[o++] = c;
	}
	dst[o] = '\0';
	if (len)
		*len = o;
	return 0;
}

bool sip_pl_unquote(const struct pl *pl, struct pl *content)
{
	size_t e;

	if (!pl->p || pl->l < 2 || pl->p[0] != '"')
		return false;
	e = quoted_end(pl->p, pl->l);
	if (e != pl->l - 1)
		return false;
	content->p = pl->p + 1;
	content->l = e - 1;
	return true;
}

/* ---- output buffer ---- */

void sip_buf_init(struct sip_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max ? max : 65536;
}

void sip_buf_init_fixed(struct sip_buf *b, char *mem, size_t size)
{
	memset(b, 0, sizeof(*b));
	b->p = mem;
	b->size = size;
	b->max = size;
	b->fixed = true;
	if (size)
		mem[0] = '\0';
	else
		b->err = ENOSPC;
}

void sip_buf_free(struct sip_buf *b)
{
	if (!b->fixed) {
		free(b->p);
		b->p = NULL;
		b->size = 0;
	}
	b->len = 0;
	b->err = 0;
	if (b->p)
		b->p[0] = '\0';
}

void sip_buf_reset(struct sip_buf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->p)
		b->p[0] = '\0';
}

/* Make room for n more bytes plus the NUL. */
static int buf_reserve(struct sip_buf *b, size_t n)
{
	size_t need, nsz;
	char *np;

	if (b->err)
		return b->err;
	if (n > b->max || b->len + n + 1 > b->max) {
		b->err = ENOSPC;
		return b->err;
	}
	need = b->len + n + 1;
	if (need <= b->size)
		return 0;
	if (b->fixed) {
		b->err = ENOSPC;
		return b->err;
	}
	nsz = b->size ? b->size : 256;
	while (nsz < need)
		nsz *= 2;
	if (nsz > b->max)
		nsz = b->max;
	np = realloc(b->p, nsz);
	if (!np) {
		b->err = ENOMEM;
		return b->err;
	}
	b->p = np;
	b->size = nsz;
	return 0;
}

int sip_buf_append(struct sip_buf *b, const void *p, size_t n)
{
	int err = buf_reserve(b, n);

	if (err)
		return err;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int sip_buf_str(struct sip_buf *b, const char *s)
{
	return sip_buf_append(b, s, strlen(s));
}

int sip_buf_pl(struct sip_buf *b, const struct pl *pl)
{
	if (!pl->p)
		return b->err;
	return sip_buf_append(b, pl->p, pl->l);
}

int sip_buf_vprintf(struct sip_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n;
	int err;

	if (b->err)
		return b->err;
	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0) {
		b->err = EINVAL;
		return b->err;
	}
	err = buf_reserve(b, (size_t)n);
	if (err)
		return err;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int sip_buf_printf(struct sip_buf *b, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = sip_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return err;
}

struct pl sip_buf_slice(const struct sip_buf *b)
{
	struct pl pl = { b->p ? b->p : "", b->len };
	return pl;
}
