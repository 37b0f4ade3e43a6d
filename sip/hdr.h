/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP header primitives shared by the message, URI and body parsers:
 * header name table (long and compact forms, RFC 3261 §7.3.3 and §20),
 * generic parameter lists (RFC 3261 §25.1 generic-param), comma-separated
 * value lists that respect quotes and <>, option-tag lists, %-unescaping,
 * folding-aware whitespace, and struct sip_buf: the bounded, growable
 * output buffer every SIP printer writes to.
 */
#ifndef SIP_HDR_H
#define SIP_HDR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/pl.h"

/*
 * Known headers. SIP_HDR_OTHER is any header not in the table (look it up
 * by name). New ids are only ever appended before SIP_HDR_COUNT.
 */
enum sip_hdr_id {
	SIP_HDR_OTHER = 0,
	SIP_HDR_VIA,                 /* v */
	SIP_HDR_FROM,                /* f */
	SIP_HDR_TO,                  /* t */
	SIP_HDR_CALL_ID,             /* i */
	SIP_HDR_CSEQ,
	SIP_HDR_CONTACT,             /* m */
	SIP_HDR_MAX_FORWARDS,
	SIP_HDR_ROUTE,
	SIP_HDR_RECORD_ROUTE,
	SIP_HDR_CONTENT_TYPE,        /* c */
	SIP_HDR_CONTENT_LENGTH,      /* l */
	SIP_HDR_CONTENT_ENCODING,    /* e */
	SIP_HDR_CONTENT_DISPOSITION,
	SIP_HDR_EXPIRES,
	SIP_HDR_REQUIRE,
	SIP_HDR_SUPPORTED,           /* k */
	SIP_HDR_PROXY_REQUIRE,
	SIP_HDR_UNSUPPORTED,
	SIP_HDR_ALLOW,
	SIP_HDR_RSEQ,
	SIP_HDR_RACK,
	SIP_HDR_SESSION_EXPIRES,     /* x */
	SIP_HDR_MIN_SE,
	SIP_HDR_EVENT,               /* o */
	SIP_HDR_ALLOW_EVENTS,        /* u */
	SIP_HDR_SUBSCRIPTION_STATE,
	SIP_HDR_REASON,
	SIP_HDR_P_ASSERTED_IDENTITY,
	SIP_HDR_P_PREFERRED_IDENTITY,
	SIP_HDR_PRIVACY,
	SIP_HDR_DIVERSION,
	SIP_HDR_HISTORY_INFO,
	SIP_HDR_AUTHORIZATION,
	SIP_HDR_WWW_AUTHENTICATE,
	SIP_HDR_PROXY_AUTHENTICATE,
	SIP_HDR_PROXY_AUTHORIZATION,
	SIP_HDR_AUTHENTICATION_INFO,
	SIP_HDR_SUBJECT,             /* s */
	SIP_HDR_REFER_TO,            /* r */
	SIP_HDR_REFERRED_BY,         /* b */
	SIP_HDR_ACCEPT,
	SIP_HDR_ACCEPT_ENCODING,
	SIP_HDR_ACCEPT_LANGUAGE,
	SIP_HDR_USER_AGENT,
	SIP_HDR_SERVER,
	SIP_HDR_MIN_EXPIRES,
	SIP_HDR_RETRY_AFTER,
	SIP_HDR_TIMESTAMP,
	SIP_HDR_DATE,
	SIP_HDR_MIME_VERSION,
	SIP_HDR_ORGANIZATION,
	SIP_HDR_WARNING,
	SIP_HDR_IDENTITY,            /* y */
	SIP_HDR_ACCEPT_CONTACT,      /* a */
	SIP_HDR_REJECT_CONTACT,      /* j */
	SIP_HDR_REQUEST_DISPOSITION, /* d */
	SIP_HDR_PATH,
	SIP_HDR_SERVICE_ROUTE,
	SIP_HDR_REPLACES,
	SIP_HDR_USER_TO_USER,
	SIP_HDR_CALL_INFO,
	SIP_HDR_ALERT_INFO,
	SIP_HDR_COUNT
};

/* Long header name for an id ("Via"); "" for SIP_HDR_OTHER. */
const char *sip_hdr_name(enum sip_hdr_id id);

/*
 * Id of a header name, long or compact form, ASCII case-insensitive.
 * SIP_HDR_OTHER when unknown.
 */
enum sip_hdr_id sip_hdr_lookup(const char *name, size_t len);

/*
 * The same for a name already checked to be all token characters (as the
 * message parser does while scanning it): skips that check.
 */
enum sip_hdr_id sip_hdr_lookup_token(const char *name, size_t len);

/*
 * True if the header's grammar is a comma-separated list (Via, Contact,
 * Route, Require, ...), so one header line may carry several values.
 * Headers whose values contain bare commas (Date, WWW-Authenticate, ...)
 * are not lists.
 */
bool sip_hdr_is_list(enum sip_hdr_id id);

/*
 * Character classes (read-only table indexed by byte value):
 *   TOKEN  RFC 3261 token        LWS    SP HTAB CR LF
 *   DIGIT  0-9                   HEX    0-9 a-f A-F
 *   ALPHA  a-z A-Z               URI    printable, not '<' '>' '"'
 *   HOST   alnum '-' '.' '_'     PVAL   token, '[' ']' ':' (param values)
 */
enum {
	SIP_CC_TOKEN = 0x01,
	SIP_CC_LWS = 0x02,
	SIP_CC_DIGIT = 0x04,
	SIP_CC_HEX = 0x08,
	SIP_CC_ALPHA = 0x10,
	SIP_CC_URI = 0x20,
	SIP_CC_HOST = 0x40,
	SIP_CC_PVAL = 0x80,
};
extern const uint8_t sip_cc[256];

static inline bool sip_cc_is(char c, unsigned cls)
{
	return (sip_cc[(unsigned char)c] & cls) != 0;
}

/* SP / HTAB, and CR / LF as they appear inside a folded (LWS) value. */
static inline bool sip_is_lws(char c)
{
	return sip_cc_is(c, SIP_CC_LWS);
}

/* Trim LWS (including folding CRLFs) on both ends, in place. */
static inline void sip_pl_trim(struct pl *pl)
{
	if (!pl->p)
		return;
	while (pl->l && sip_is_lws(pl->p[0])) {
		pl->p++;
		pl->l--;
	}
	while (pl->l && sip_is_lws(pl->p[pl->l - 1]))
		pl->l--;
}

/*
 * Next value of a comma-separated list. *rest is the unparsed remainder
 * (initially the whole header value) and is advanced past the value and
 * its comma. Commas inside "quoted strings" (with \-escapes) and <...> do
 * not split. The value is LWS-trimmed. Returns true with *val set, false
 * at the end of the list. Empty elements (",,") are skipped.
 */
bool sip_list_next(struct pl *rest, struct pl *val);

/*
 * Generic parameters: ";name[=value]" repeated (RFC 3261 generic-param).
 * params is the text after the first ';' or starting with it (both work).
 * sip_param_next advances *rest and sets *name and *val (val has p set and
 * l = 0 for a name without '=' ). A value may be a quoted string; the
 * quotes are kept. Returns false at the end.
 */
bool sip_param_next(struct pl *rest, struct pl *name, struct pl *val);

/*
 * Find a parameter by name (ASCII case-insensitive). 0 with *val set (val
 * may be empty for a valueless parameter; val may be NULL), or ENOENT.
 */
int sip_param_get(const struct pl *params, const char *name, struct pl *val);
bool sip_param_exists(const struct pl *params, const char *name);

/*
 * True if an option-tag / token list value ("100rel, timer") contains tag
 * (ASCII case-insensitive). Used for Require, Supported, Allow, Privacy
 * (Privacy separates with ';', which is also accepted).
 */
bool sip_tokens_has(const struct pl *list, const char *tag);

/*
 * %-unescape src into dst (RFC 3261 §19.1.2, RFC 3986 §2.1). dst gets a
 * NUL terminator. Returns 0 with *len set (bytes written, excluding the
 * NUL), EINVAL for a malformed escape (%G1, truncated) or an escaped NUL,
 * ENOSPC if dst is too small.
 */
int sip_pl_unescape(const struct pl *src, char *dst, size_t sz, size_t *len);

/*
 * Copy src into dst replacing each folding sequence (CRLF + WSP, any
 * run of LWS) by a single SP, as RFC 3261 §7.3.1 makes them equivalent.
 * NUL-terminated. 0, or ENOSPC.
 */
int sip_pl_unfold(const struct pl *src, char *dst, size_t sz, size_t *len);

/*
 * Quoted string: if pl starts with '"', the content between the quotes
 * (escapes left in place) and true; false if it is not a well-formed
 * quoted string.
 */
bool sip_pl_unquote(const struct pl *pl, struct pl *content);

/*
 * Output buffer for printers. Either dynamic (grows by realloc up to max
 * bytes) or fixed over caller memory. Errors are sticky: after a failed
 * append (ENOMEM, or ENOSPC past the bound) every later append fails too
 * and sip_buf_err() reports the first error, so a printer can append
 * freely and check once. The content is always NUL-terminated when
 * b->p != NULL.
 */
struct sip_buf {
	char *p;        /* content (len bytes + NUL) */
	size_t len;     /* bytes used, excluding the NUL */
	size_t size;    /* allocated bytes */
	size_t max;     /* upper bound on size */
	int err;        /* first error, 0 if none */
	bool fixed;     /* p is caller memory: never realloc'ed or freed */
};

/* Dynamic buffer, empty, bounded to max bytes (0 = 65536). */
void sip_buf_init(struct sip_buf *b, size_t max);
/* Fixed buffer over mem[size]; size must be >= 1. */
void sip_buf_init_fixed(struct sip_buf *b, char *mem, size_t size);
/* Free a dynamic buffer's memory and reset it to empty. */
void sip_buf_free(struct sip_buf *b);
/* Empty the buffer and clear the error, keeping memory. */
void sip_buf_reset(struct sip_buf *b);
static inline int sip_buf_err(const struct sip_buf *b)
{
	return b->err;
}
/* Append; each returns 0 or the (sticky) error. */
int sip_buf_append(struct sip_buf *b, const void *p, size_t n);
int sip_buf_str(struct sip_buf *b, const char *s);
int sip_buf_pl(struct sip_buf *b, const struct pl *pl);
int sip_buf_printf(struct sip_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int sip_buf_vprintf(struct sip_buf *b, const char *fmt, va_list ap);
/* A slice over the current content. */
struct pl sip_buf_slice(const struct sip_buf *b);

#endif
