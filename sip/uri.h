/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP, SIPS and tel URIs: zero-copy decoding (RFC 3261 §19.1, §25.1;
 * RFC 3966 telephone-subscriber with global and local numbers, visual
 * separators and phone-context), parameter and header access, the URI
 * comparison rules of RFC 3261 §19.1.4, and printing.
 */
#ifndef SIP_URI_H
#define SIP_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/pl.h"
#include "sip/hdr.h"

enum sip_uri_scheme {
	SIP_URI_NONE = 0,
	SIP_URI_SIP,
	SIP_URI_SIPS,
	SIP_URI_TEL,
	SIP_URI_OTHER,   /* any other absoluteURI scheme (http:, urn:, ...) */
};

enum sip_host_type {
	SIP_HOST_NONE = 0,
	SIP_HOST_NAME,
	SIP_HOST_IPV4,
	SIP_HOST_IPV6,
};

/*
 * A decoded URI. Every slice points into the decoded text and keeps its
 * %-escapes (use sip_pl_unescape to get the bytes).
 *  sip/sips: user, password, host (IPv6 without the brackets), port,
 *            params (after the first ';', without it), headers (after '?').
 *  tel:      user = the telephone-subscriber number (up to the first ';'),
 *            params = its parameters, host/port unset; global is true for
 *            "+..." numbers.
 *  other:    only scheme and opaque (everything after "scheme:").
 */
struct sip_uri {
	enum sip_uri_scheme scheme;
	enum sip_host_type host_type;
	struct pl raw;        /* the whole URI as decoded */
	struct pl scheme_pl;  /* "sip", "tel", ... as written */
	struct pl user;
	struct pl password;
	struct pl host;
	struct pl hostport;   /* host[:port] as written (brackets kept) */
	uint16_t port;        /* 0 when absent */
	struct pl params;
	struct pl headers;
	struct pl opaque;
	bool has_user;
	bool has_password;
	bool global;          /* tel: number starts with '+' */
};

/*
 * Decode a URI. Returns 0, or EINVAL if it is malformed (uri untouched).
 * An unknown scheme with a valid "scheme:" prefix decodes as SIP_URI_OTHER.
 */
int sip_uri_decode(struct sip_uri *uri, const struct pl *pl);

/*
 * As sip_uri_decode, but writes into *uri as it goes: on failure *uri is
 * left partly written. For parsers that decode into storage they discard
 * or reset on failure (saves a copy on the hot path).
 */
int sip_uri_parse(struct sip_uri *uri, const struct pl *pl);

/* URI parameter by name (case-insensitive). 0 with *val, or ENOENT. */
int sip_uri_param(const struct sip_uri *uri, const char *name, struct pl *val);

/*
 * URI header ("?name=value&...") by name (case-insensitive). 0 with *val
 * (still escaped), or ENOENT.
 */
int sip_uri_header(const struct sip_uri *uri, const char *name, struct pl *val);

/*
 * RFC 3261 §19.1.4 equivalence for sip/sips (user and password
 * case-sensitive after unescaping, host case-insensitive, port must match
 * presence and value, transport/user/ttl/method/maddr params must match
 * if present in either, other params only if present in both, headers
 * must match), RFC 3966 §4 for tel (number without visual separators,
 * parameters as a set). Other schemes compare raw case-insensitively.
 * Returns true when equivalent.
 */
bool sip_uri_equal(const struct sip_uri *a, const struct sip_uri *b);

/*
 * Telephone number digits of a tel URI or of a sip user part: visual
 * separators ('-', '.', '(', ')') removed, %-escapes decoded, leading '+'
 * kept. 0 with dst NUL-terminated, EINVAL when a character is not a phone
 * digit (0-9 * # A-D a-d, or hex digits for local numbers), ENOSPC.
 */
int sip_uri_tel_digits(const struct pl *number, char *dst, size_t sz);

/*
 * Print a URI from its components. For a decoded URI this gives back the
 * decoded text, with the scheme in lower case. Returns the sip_buf error
 * (EINVAL for SIP_URI_NONE).
 */
int sip_uri_print(struct sip_buf *b, const struct sip_uri *uri);

/*
 * Classify a host: IPv4 dotted quad, hostname (alnum, '-', '.', '_'), or,
 * when v6 is set, an IPv6 address without brackets. SIP_HOST_NONE when
 * the text is not a valid host of that kind.
 */
enum sip_host_type sip_host_type(const char *s, size_t n, bool v6);

/* Printable name of the scheme ("sip", "sips", "tel", ""). */
const char *sip_uri_scheme_name(enum sip_uri_scheme s);

#endif
