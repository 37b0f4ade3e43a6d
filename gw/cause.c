/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Q.850 <-> SIP mapping (see cause.h). The profile tables are rows of
 * (from, to); the map's override arrays are consulted first.
 *
 * RFC 3398 profile: §7.2.4.1 (ISUP cause -> SIP) and §8.2.6.1 (SIP ->
 * ISUP cause). Where RFC 3398 says "by Warning header" (488, 606) we use
 * 88 (incompatible destination). Causes the RFC does not list are taken
 * as their class's "unspecified" cause first (Q.850 §2.2.7.1), then 500.
 * Q.1912.5 profile: the same cause -> SIP rows, except 21 which depends on
 * the location (user: 603 Decline, otherwise 403), and 500 for any cause
 * not listed; SIP -> cause maps the statuses with a specific meaning and
 * everything else to 127 (interworking), location "beyond interworking
 * point".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gw/cause.h"
#include "gw/conf.h"

struct cause_row {
	uint16_t from;
	uint16_t to;
};

/* ISUP/Q.850 cause -> SIP status, RFC 3398 §7.2.4.1 */
static const struct cause_row rfc3398_q2s[] = {
	{ 1, 404 },  { 2, 404 },  { 3, 404 },  { 16, 480 }, { 17, 486 },
	{ 18, 408 }, { 19, 480 }, { 20, 480 }, { 21, 403 }, { 22, 410 },
	{ 23, 410 }, { 26, 404 }, { 27, 502 }, { 28, 484 }, { 29, 501 },
	{ 31, 480 }, { 34, 503 }, { 38, 503 }, { 41, 503 }, { 42, 503 },
	{ 47, 503 }, { 55, 403 }, { 57, 403 }, { 58, 503 }, { 65, 488 },
	{ 70, 488 }, { 79, 501 }, { 87, 403 }, { 88, 503 }, { 102, 504 },
	{ 111, 500 }, { 127, 500 },
};

/* SIP status -> ISUP/Q.850 cause, RFC 3398 §8.2.6.1 */
static const struct cause_row rfc3398_s2q[] = {
	{ 400, 41 },  { 401, 21 },  { 402, 21 },  { 403, 21 },  { 404, 1 },
	{ 405, 63 },  { 406, 79 },  { 407, 21 },  { 408, 102 }, { 410, 22 },
	{ 413, 127 }, { 414, 127 }, { 415, 79 },  { 416, 127 }, { 420, 127 },
	{ 421, 127 }, { 423, 127 }, { 480, 18 },  { 481, 41 },  { 482, 25 },
	{ 483, 25 },  { 484, 28 },  { 485, 1 },   { 486, 17 },  { 488, 88 },
	{ 500, 41 },  { 501, 79 },  { 502, 38 },  { 503, 41 },  { 504, 102 },
	{ 505, 127 }, { 513, 127 }, { 600, 17 },  { 603, 21 },  { 604, 1 },
	{ 606, 88 },
};

/* SIP status -> cause, Q.1912.5 (everything else: 127) */
static const struct cause_row q1912_s2q[] = {
	{ 404, 1 },  { 410, 22 }, { 480, 20 }, { 483, 25 }, { 484, 28 },
	{ 485, 1 },  { 486, 17 }, { 600, 17 }, { 603, 21 }, { 604, 1 },
};

static const char *const cause_names[128] = {
	[1] = "Unallocated (unassigned) number",
	[2] = "No route to specified transit network",
	[3] = "No route to destination",
	[4] = "Send special information tone",
	[5] = "Misdialled trunk prefix",
	[6] = "Channel unacceptable",
	[7] = "Call awarded and being delivered in an established channel",
	[8] = "Preemption",
	[9] = "Preemption - circuit reserved for reuse",
	[14] = "QoR: ported number",
	[16] = "Normal call clearing",
	[17] = "User busy",
	[18] = "No user responding",
	[19] = "No answer from user (user alerted)",
	[20] = "Subscriber absent",
	[21] = "Call rejected",
	[22] = "Number changed",
	[23] = "Redirection to new destination",
	[25] = "Exchange routing error",
	[26] = "Non-selected user clearing",
	[27] = "Destination out of order",
	[28] = "Invalid number format (address incomplete)",
	[29] = "Facility rejected",
	[30] = "Response to STATUS ENQUIRY",
	[31] = "Normal, unspecified",
	[34] = "No circuit/channel available",
	[38] = "Network out of order",
	[39] = "Permanent frame mode connection out of service",
	[40] = "Permanent frame mode connection operational",
	[41] = "Temporary failure",
	[42] = "Switching equipment congestion",
	[43] = "Access information discarded",
	[44] = "Requested circuit/channel not available",
	[46] = "Precedence call blocked",
	[47] = "Resource unavailable, unspecified",
	[49] = "Quality of service not available",
	[50] = "Requested facility not subscribed",
	[53] = "Outgoing calls barred within CUG",
	[55] = "Incoming calls barred within CUG",
	[57] = "Bearer capability not authorized",
	[58] = "Bearer capability not presently available",
	[62] = "Inconsistency in designated outgoing access information and subscriber class",
	[63] = "Service or option not available, unspecified",
	[65] = "Bearer capability not implemented",
	[66] = "Channel type not implemented",
	[69] = "Requested facility not implemented",
	[70] = "Only restricted digital information bearer capability is available",
	[79] = "Service or option not implemented, unspecified",
	[81] = "Invalid call reference value",
	[82] = "Identified channel does not exist",
	[83] = "A suspended call exists, but this call identity does not",
	[84] = "Call identity in use",
	[85] = "No call suspended",
	[86] = "Call having the requested call identity has been cleared",
	[87] = "User not member of CUG",
	[88] = "Incompatible destination",
	[90] = "Non-existent CUG",
	[91] = "Invalid transit network selection",
	[95] = "Invalid message, unspecified",
	[96] = "Mandatory information element is missing",
	[97] = "Message type non-existent or not implemented",
	[98] = "Message not compatible with call state or message type non-existent or not implemented",
	[99] = "Information element/parameter non-existent or not implemented",
	[100] = "Invalid information element contents",
	[101] = "Message not compatible with call state",
	[102] = "Recovery on timer expiry",
	[103] = "Parameter non-existent or not implemented, passed on",
	[110] = "Message with unrecognized parameter, discarded",
	[111] = "Protocol error, unspecified",
	[127] = "Interworking, unspecified",
};

static const char *const loc_names[16] = {
	[GW_LOC_U] = "U",     [GW_LOC_LPN] = "LPN", [GW_LOC_LN] = "LN",
	[GW_LOC_TN] = "TN",   [GW_LOC_RLN] = "RLN", [GW_LOC_RPN] = "RPN",
	[GW_LOC_INTL] = "INTL", [GW_LOC_BI] = "BI",
};

#define ROWS(t) (sizeof(t) / sizeof((t)[0]))

static uint16_t row_find(const struct cause_row *rows, size_t n, uint16_t k)
{
	for (size_t i = 0; i < n; i++) {
		if (rows[i].from == k)
			return rows[i].to;
	}
	return 0;
}

void gw_cause_map_init(struct gw_cause_map *map, enum gw_cause_profile p)
{
	memset(map, 0, sizeof(*map));
	map->profile = p;
	map->default_location = GW_LOC_BI;
}

const char *gw_cause_text(uint8_t cause)
{
	if (cause < 128 && cause_names[cause])
		return cause_names[cause];
	return "Unknown cause";
}

const char *gw_cause_loc_name(uint8_t location)
{
	return location < 16 ? loc_names[location] : NULL;
}

int gw_cause_loc_parse(const struct pl *pl, uint8_t *location)
{
	for (uint8_t i = 0; i < 16; i++) {
		if (loc_names[i] && !pl_strcasecmp(pl, loc_names[i])) {
			*location = i;
			return 0;
		}
	}
	return EINVAL;
}

/* Q.850 §2.2.7.1: an unrecognized cause counts as its class's default */
static uint8_t cause_class_default(uint8_t cause)
{
	static const uint8_t cls[] = { 31, 31, 47, 63, 79, 95, 111, 127 };
	return cls[(cause >> 4) & 7];
}

uint16_t gw_cause_to_sip(const struct gw_cause_map *map,
			 const struct gw_cause *c)
{
	uint8_t cause = c->cause;
	uint16_t st;

	if (cause == 0 || cause > 127)
		cause = 127;
	if (map->q850_to_sip[cause])
		return map->q850_to_sip[cause];
	if (map->profile == GW_CAUSE_Q1912_5) {
		if (cause == 21)
			return c->location == GW_LOC_U ? 603 : 403;
		st = row_find(rfc3398_q2s, ROWS(rfc3398_q2s), cause);
		return st ? st : 500;
	}
	st = row_find(rfc3398_q2s, ROWS(rfc3398_q2s), cause);
	if (st)
		return st;
	cause = cause_class_default(cause);
	if (map->q850_to_sip[cause])
		return map->q850_to_sip[cause];
	st = row_find(rfc3398_q2s, ROWS(rfc3398_q2s), cause);
	return st ? st : 500;
}

struct gw_cause gw_cause_from_sip(const struct gw_cause_map *map,
				  uint16_t status)
{
	struct gw_cause c = { 127, map->default_location };
	uint16_t v = 0;

	if (status < 700 && map->sip_to_q850[status]) {
		c.cause = map->sip_to_q850[status];
		return c;
	}
	if (map->profile == GW_CAUSE_Q1912_5)
		v = row_find(q1912_s2q, ROWS(q1912_s2q), status);
	else
		v = row_find(rfc3398_s2q, ROWS(rfc3398_s2q), status);
	if (v)
		c.cause = (uint8_t)v;
	return c;
}

static int parse_num(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return EINVAL;
	*out = v;
	return 0;
}

int gw_cause_map_conf(struct gw_cause_map *map, struct gw_conf *conf,
		      const char *section, struct gw_conf_err *err)
{
	static const char *const profiles[] = { "rfc3398", "q1912.5", NULL };
	const char *loc = NULL, *key, *value;
	unsigned line;
	int p, ret;
	uint8_t l;

	ret = gw_conf_enum(conf, section, "profile", profiles, GW_CAUSE_RFC3398,
			   &p, err);
	if (ret)
		return ret;
	gw_cause_map_init(map, (enum gw_cause_profile)p);
	gw_conf_str(conf, section, "location", NULL, &loc, err);
	if (loc) {
		struct pl pl = pl_from_str(loc);
		if (gw_cause_loc_parse(&pl, &l))
			return gw_conf_fail(conf, section, "location", err,
					    "'%s' is not a location (U, LPN, LN, "
					    "TN, RLN, RPN, INTL, BI)", loc);
		map->default_location = l;
	}
	for (size_t i = 0; gw_conf_entry(conf, section, i, &key, &value, &line);
	     i++) {
		long from, to;
		if (!strncasecmp(key, "q850.", 5)) {
			if (parse_num(key + 5, 1, 127, &from))
				return gw_conf_fail(conf, section, key, err,
						    "cause must be 1..127");
			if (parse_num(value, 400, 699, &to))
				return gw_conf_fail(conf, section, key, err,
						    "'%s' is not a SIP failure "
						    "status (400..699)", value);
			map->q850_to_sip[from] = (uint16_t)to;
		} else if (!strncasecmp(key, "sip.", 4)) {
			if (parse_num(key + 4, 400, 699, &from))
				return gw_conf_fail(conf, section, key, err,
						    "status must be 400..699");
			if (parse_num(value, 1, 127, &to))
				return gw_conf_fail(conf, section, key, err,
						    "'%s' is not a Q.850 cause "
						    "(1..127)", value);
			map->sip_to_q850[from] = (uint8_t)to;
		} else if (strcasecmp(key, "profile") &&
			   strcasecmp(key, "location")) {
			return gw_conf_fail(conf, section, key, err,
					    "unknown key (expected profile, "
					    "location, q850.N or sip.N)");
		}
	}
	return 0;
}

int gw_cause_reason_print(char *buf, size_t sz, const struct gw_cause *c,
			  bool with_location)
{
	const char *ln = gw_cause_loc_name(c->location);
	int n;

	if (with_location && ln)
		n = snprintf(buf, sz, "Q.850;cause=%u;text=\"%s\";location=%s",
			     c->cause, gw_cause_text(c->cause), ln);
	else
		n = snprintf(buf, sz, "Q.850;cause=%u;text=\"%s\"", c->cause,
			     gw_cause_text(c->cause));
	return (n < 0 || (size_t)n >= sz) ? ENOSPC : 0;
}

static bool is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/*
 * Parse the params of one reason ("protocol *(;param)") in [p, end).
 * Returns 0 if Q.850 with a valid cause, ENOENT if another protocol,
 * EINVAL if malformed.
 */
static int reason_one(const char *p, const char *end, struct gw_cause *c)
{
	struct pl proto;
	bool have_cause = false;
	struct gw_cause r = { 0, GW_LOC_BI };

	while (p < end && is_ws(*p))
		p++;
	proto.p = p;
	while (p < end && *p != ';' && !is_ws(*p))
		p++;
	proto.l = (size_t)(p - proto.p);
	if (pl_strcasecmp(&proto, "Q.850"))
		return ENOENT;
	while (p < end) {
		struct pl name, val = PL_NULL;
		while (p < end && (is_ws(*p) || *p == ';'))
			p++;
		if (p >= end)
			break;
		name.p = p;
		while (p < end && *p != '=' && *p != ';' && !is_ws(*p))
			p++;
		name.l = (size_t)(p - name.p);
		while (p < end && is_ws(*p))
			p++;
		if (p < end && *p == '=') {
			p++;
			while (p < end && is_ws(*p))
				p++;
			if (p < end && *p == '"') {
				val.p = ++p;
				while (p < end && *p != '"') {
					if (*p == '\\' && p + 1 < end)
						p++;
					p++;
				}
				if (p >= end)
					return EINVAL; /* unterminated quote */
				val.l = (size_t)(p - val.p);
				p++;
			} else {
				val.p = p;
				while (p < end && *p != ';' && !is_ws(*p))
					p++;
				val.l = (size_t)(p - val.p);
			}
		}
		if (!pl_strcasecmp(&name, "cause")) {
			uint32_t v;
			if (pl_u32(&val, &v) || v < 1 || v > 127)
				return EINVAL;
			r.cause = (uint8_t)v;
			have_cause = true;
		} else if (!pl_strcasecmp(&name, "location")) {
			uint8_t l;
			/* an unknown location is ignored, not fatal */
			if (!gw_cause_loc_parse(&val, &l))
				r.location = l;
		}
	}
	if (!have_cause)
		return EINVAL;
	*c = r;
	return 0;
}

int gw_cause_reason_parse(const struct pl *value, struct gw_cause *c)
{
	const char *p, *end, *start;
	int ret = ENOENT;

	if (!value || !value->p)
		return ENOENT;
	p = start = value->p;
	end = value->p + value->l;
	while (p <= end) {
		/* split on commas outside quoted strings */
		if (p == end || *p == ',') {
			int r = reason_one(start, p, c);
			if (r == 0)
				return 0;
			if (r == EINVAL)
				ret = EINVAL;
			start = p + 1;
			p++;
			continue;
		}
		if (*p == '"') {
			p++;
			while (p < end && *p != '"') {
				if (*p == '\\' && p + 1 < end)
					p++;
				p++;
			}
			if (p >= end)
				return EINVAL;
		}
		p++;
	}
	return ret;
}
