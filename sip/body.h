/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP message bodies: multipart/mixed splitting and building (RFC 2046
 * §5.1, as used by SIP-I for application/sdp + application/ISUP, ITU-T
 * Q.1912.5 and RFC 3204), with each part's Content-Type (and params such
 * as version= and base=) and Content-Disposition (RFC 3261 §20.11,
 * handling=required/optional). Zero-copy: parts are slices of the body.
 */
#ifndef SIP_BODY_H
#define SIP_BODY_H

#include <stdbool.h>
#include <stddef.h>

#include "base/pl.h"
#include "sip/hdr.h"
#include "sip/msg.h"

#define SIP_BODY_MAX_PARTS 8u

struct sip_body_part {
	struct pl hdrs;          /* the part's header block (may be empty) */
	struct pl ctype_raw;     /* Content-Type value, unset if absent */
	struct sip_ctype ctype;  /* decoded; text/plain default if absent
				    (RFC 2046 §5.1: the default is
				    text/plain; charset=us-ascii) */
	struct pl disp;          /* Content-Disposition value, unset if absent */
	struct pl disp_type;     /* "session", "signal", "render", ... */
	bool required;           /* handling=required (the default) */
	struct pl body;          /* the part content (binary safe) */
};

struct sip_multipart {
	struct pl boundary;
	unsigned partc;
	struct sip_body_part partv[SIP_BODY_MAX_PARTS];
};

/*
 * Split a multipart body. ct must be multipart/<any> with a boundary
 * parameter. Returns 0, EINVAL (not multipart, no boundary, malformed:
 * missing delimiter or close-delimiter, part header without ':'),
 * E2BIG (more than SIP_BODY_MAX_PARTS parts). mp is set only on success.
 */
int sip_body_multipart_decode(struct sip_multipart *mp, const struct sip_ctype *ct,
			      const struct pl *body);

/*
 * A part header by name (case-insensitive; "Content-Type" also matches
 * "c"). 0 with *val, or ENOENT.
 */
int sip_body_part_hdr(const struct sip_body_part *part, const char *name, struct pl *val);

/* The first part with this type/subtype, or NULL. */
const struct sip_body_part *sip_body_multipart_find(const struct sip_multipart *mp,
						    const char *type, const char *subtype);

/*
 * Build a multipart/mixed body. Each spec gives the part's Content-Type
 * value (e.g. "application/ISUP;version=itu-t92+;base=itu-t92+"), an
 * optional Content-Disposition value (e.g. "signal;handling=optional")
 * and the content bytes. boundary must be 1..70 bchars and must not occur
 * in any part (EINVAL otherwise). Writes the body to b; the matching
 * message Content-Type is "multipart/mixed;boundary=<boundary>".
 */
struct sip_body_part_spec {
	const char *ctype;
	const char *disp;
	const void *data;
	size_t len;
};
int sip_body_multipart_encode(struct sip_buf *b, const char *boundary,
			      const struct sip_body_part_spec *partv, size_t partc);

#endif
