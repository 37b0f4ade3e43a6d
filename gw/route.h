/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Call routing: ordered rules per direction, read from [route NAME]
 * sections in file order. A rule matches on called and calling number
 * (prefix or POSIX extended regex), the source (trunk or span) and an
 * optional time-of-day window; it rewrites the numbers (strip, prefix,
 * regex substitution, E.164 normalisation, TON/NPI) and names an ordered
 * list of targets (span groups or SIP trunks) with the failover policy:
 * which SIP statuses / Q.850 causes / "no answer" move to the next target.
 *
 *   [route pbx-out]
 *   direction    = sip2pstn            ; or pstn2sip
 *   called       = ^0[1-9]             ; regex, or "prefix:0", or "*"
 *   calling      = *                   ; same forms
 *   source       = trunk:pbx           ; trunk:NAME, span:N or any (default)
 *   time         = mon-fri 08:00-18:00 ; optional, local time
 *   called_strip = 1                   ; drop N leading digits
 *   called_prefix= 49                  ; then prepend
 *   called_subst = s/^49/+49/          ; then regex substitution (\0..\9)
 *   called_format= e164 | national | international | subscriber | keep
 *   called_ton   = unknown | international | national | network | subscriber | abbreviated
 *   called_npi   = unknown | isdn | data | telex | national | private
 *   calling_...  = the same keys for the calling number
 *   country_code = 49                  ; for e164/national formats
 *   national_prefix = 0, international_prefix = 00
 *   target       = group:e1-all, trunk:carrier-b   ; tried in order
 *   failover_on  = 503, 34, 38, 41, 42, 44, timeout
 */
#ifndef GW_ROUTE_H
#define GW_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct gw_conf;
struct gw_conf_err;
struct gw_route_table;

enum gw_route_dir {
	GW_ROUTE_SIP2PSTN = 0,
	GW_ROUTE_PSTN2SIP,
};

/* Q.931 / Q.763 type of number (Q.931 values). */
enum gw_ton {
	GW_TON_UNKNOWN = 0,
	GW_TON_INTERNATIONAL = 1,
	GW_TON_NATIONAL = 2,
	GW_TON_NETWORK = 3,
	GW_TON_SUBSCRIBER = 4,
	GW_TON_ABBREVIATED = 6,
	GW_TON_KEEP = 255, /* leave as received */
};

/* Numbering plan (Q.931 values). */
enum gw_npi {
	GW_NPI_UNKNOWN = 0,
	GW_NPI_ISDN = 1,
	GW_NPI_DATA = 3,
	GW_NPI_TELEX = 4,
	GW_NPI_NATIONAL = 8,
	GW_NPI_PRIVATE = 9,
	GW_NPI_KEEP = 255,
};

enum gw_target_kind {
	GW_TARGET_GROUP = 0, /* a span channel group */
	GW_TARGET_TRUNK,     /* a SIP trunk */
};

#define GW_ROUTE_NAME 48
#define GW_ROUTE_NUM 64
#define GW_ROUTE_MAX_TARGETS 8

struct gw_route_target {
	enum gw_target_kind kind;
	char name[GW_ROUTE_NAME];
};

/* What the router is asked. */
struct gw_route_req {
	enum gw_route_dir dir;
	const char *called;       /* digits, may start with '+' */
	const char *calling;      /* may be NULL or empty */
	enum gw_ton called_ton, calling_ton;
	const char *src_trunk;    /* SIP trunk name the call came from, or NULL */
	int src_span;             /* span number the call came from, or -1 */
	time_t now;               /* for time windows; 0 = time(NULL) */
};

/* What it answers. */
struct gw_route_result {
	const char *route;        /* rule name (owned by the table) */
	char called[GW_ROUTE_NUM], calling[GW_ROUTE_NUM];
	enum gw_ton called_ton, calling_ton;
	enum gw_npi called_npi, calling_npi;
	size_t ntargets;
	struct gw_route_target targets[GW_ROUTE_MAX_TARGETS];
	const void *rule;         /* for gw_route_failover() */
};

/*
 * Build the table from every [route NAME] section of conf. 0, EINVAL
 * (err names file:line:key), ENOMEM. An empty table is valid.
 */
int gw_route_table_conf(struct gw_route_table **tp, struct gw_conf *conf,
			struct gw_conf_err *err);
void gw_route_table_free(struct gw_route_table *t);
size_t gw_route_table_count(const struct gw_route_table *t);

/*
 * First rule (file order) of req->dir that matches. 0 and *res filled;
 * ENOENT when nothing matches; ENAMETOOLONG when a rewritten number would
 * exceed GW_ROUTE_NUM - 1 digits.
 */
int gw_route_lookup(const struct gw_route_table *t,
		    const struct gw_route_req *req, struct gw_route_result *res);

/*
 * Should the call move to the next target after this failure? sip_status
 * (0 if none), q850 (0 if none), timeout (no answer from the target).
 */
bool gw_route_failover(const struct gw_route_result *res, int sip_status,
		       int q850, bool timeout);

const char *gw_ton_name(enum gw_ton ton);

#endif
