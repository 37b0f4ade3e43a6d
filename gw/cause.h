/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Q.850 cause <-> SIP status mapping, as data. Two built-in profiles:
 * RFC 3398 §7.2.4.1 / §8.2.6.1 and ITU-T Q.1912.5 (SIP-I); per-map
 * overrides from configuration ([causes] and [causes NAME] sections, so
 * trunks can name their own map). Also the Reason header (RFC 3326, with
 * the RFC 8606 location parameter): print and parse, so a cause received
 * from SIP is honoured and its location preserved.
 */
#ifndef GW_CAUSE_H
#define GW_CAUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/pl.h"

struct gw_conf;
struct gw_conf_err;

enum gw_cause_profile {
	GW_CAUSE_RFC3398 = 0,
	GW_CAUSE_Q1912_5,
};

/* Q.850 §2.2.5 location codes (4 bits). */
enum gw_cause_loc {
	GW_LOC_U = 0x0,    /* user */
	GW_LOC_LPN = 0x1,  /* private network serving the local user */
	GW_LOC_LN = 0x2,   /* public network serving the local user */
	GW_LOC_TN = 0x3,   /* transit network */
	GW_LOC_RLN = 0x4,  /* public network serving the remote user */
	GW_LOC_RPN = 0x5,  /* private network serving the remote user */
	GW_LOC_INTL = 0x7, /* international network */
	GW_LOC_BI = 0xa,   /* network beyond interworking point */
};

/* A cause as carried on either side. */
struct gw_cause {
	uint8_t cause;     /* 1..127; 0 = none */
	uint8_t location;  /* enum gw_cause_loc */
};

/* A mapping: a profile plus overrides. Plain data; copy freely. */
struct gw_cause_map {
	enum gw_cause_profile profile;
	uint16_t q850_to_sip[128]; /* 0 = use the profile */
	uint8_t sip_to_q850[700];  /* 0 = use the profile */
	uint8_t default_location;  /* for causes made from a SIP status */
};

void gw_cause_map_init(struct gw_cause_map *map, enum gw_cause_profile p);

/*
 * Read a map from a config section ("causes" or "causes NAME"):
 *   profile  = rfc3398 | q1912.5
 *   location = U | LPN | LN | TN | RLN | RPN | INTL | BI   (default BI)
 *   q850.N   = SIP status (400..699) used for cause N (1..127)
 *   sip.S    = Q.850 cause (1..127) used for status S (400..699)
 * A missing section gives the RFC 3398 profile. 0 or EINVAL (err names
 * file:line:key).
 */
int gw_cause_map_conf(struct gw_cause_map *map, struct gw_conf *conf,
		      const char *section, struct gw_conf_err *err);

/*
 * SIP final status for a PSTN release with this cause, before answer.
 * Cause 16 (normal clearing) has no failure status of its own: after
 * answer it is a BYE; before answer we answer 480. Unknown causes are
 * treated as their class's "unspecified" cause (Q.850 §2.2.7.1 note).
 * Q.1912.5 distinguishes cause 21 by location (user: 603, else 403).
 */
uint16_t gw_cause_to_sip(const struct gw_cause_map *map,
			 const struct gw_cause *c);

/*
 * Q.850 cause for a SIP final status (400..699). A status the profile
 * does not list gives 127 (interworking, unspecified). The location is
 * map->default_location.
 */
struct gw_cause gw_cause_from_sip(const struct gw_cause_map *map,
				  uint16_t status);

/* Q.850 cause name ("User busy"); "Unknown cause" outside the table. */
const char *gw_cause_text(uint8_t cause);
/* Location mnemonic of RFC 8606 ("LN"); NULL for reserved values. */
const char *gw_cause_loc_name(uint8_t location);
int gw_cause_loc_parse(const struct pl *pl, uint8_t *location);

/*
 * Print a Reason header value: Q.850;cause=N;text="...";location=LN
 * (location only if with_location). 0 or ENOSPC.
 */
int gw_cause_reason_print(char *buf, size_t sz, const struct gw_cause *c,
			  bool with_location);

/*
 * Find the Q.850 reason in a Reason header value (several comma-separated
 * reasons may be present; quoted text may contain commas). 0 and *c set,
 * ENOENT when there is no Q.850 reason, EINVAL when it is malformed
 * (cause missing, not a number or out of 1..127).
 */
int gw_cause_reason_parse(const struct pl *value, struct gw_cause *c);

#endif
