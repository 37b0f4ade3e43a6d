/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reader for DAHDI's /etc/dahdi/system.conf (the file dahdi_cfg applies
 * and dahdi_genconf writes): span= lines, channel role lines (bchan=,
 * dchan=/fcshdlc=, hardhdlc=, mtp2=, clear=, and the analog and CAS ones,
 * which mark channels as not ours), alaw=/mulaw=/deflaw=, echocanceller=,
 * loadzone=/defaultzone=. It turns them into E1/T1 span layouts
 * (struct gw_span_cfg) for the DAHDI backend. Errors name file:line and
 * the problem. Parsing is zero-copy over the file text.
 *
 * DAHDI numbers channels across the whole system in span order, and
 * system.conf does not say where a span starts, so: a span's first channel
 * is one past the highest channel number used before its span= line (by
 * an earlier span's full width, or by channel lines such as an analog
 * card's fxoks=) -- exactly how dahdi_genconf lays out the file. Channel
 * lines may also appear after all span lines (hand-written files); each
 * channel is then placed on the span whose range holds it. The backend
 * checks the result against the driver (DAHDI_GET_PARAMS) when it opens.
 */
#ifndef GW_DAHDI_CONF_H
#define GW_DAHDI_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw/span.h"

#define GW_DAHDI_MAX_CHANNELS 1024
#define GW_DAHDI_EC_NAMES 8

/* How a span's signalling channel is run. */
enum gw_dahdi_dtype {
	GW_DAHDI_D_NONE = 0,
	GW_DAHDI_D_FCS,         /* dchan= / fcshdlc=: HDLC+FCS in DAHDI */
	GW_DAHDI_D_HARD,        /* hardhdlc=: HDLC in the card */
	GW_DAHDI_D_MTP2,        /* mtp2=: DAHDI's MTP2 helper (SS7) */
};

struct gw_dahdi_span {
	unsigned num;           /* span number from span= */
	unsigned line;          /* line of the span= directive */
	unsigned timing;        /* 0 = never a clock source */
	unsigned lbo;
	char framing[8];        /* d4|esf|cas|ccs */
	char coding[8];         /* ami|b8zs|hdb3 */
	bool crc4, yellow;
	bool bri;               /* a BRI port: kept for numbering, unusable */
	enum gw_span_type type; /* E1 or T1 (meaningless when bri) */
	unsigned width;         /* channels the span occupies: 31, 24, 3 */
	unsigned base;          /* DAHDI channel number of timeslot 1 */
	uint32_t bmask;         /* B-channel timeslots */
	unsigned dchan;         /* signalling timeslot, 0 = none */
	enum gw_dahdi_dtype dtype;
	enum gw_span_law law;   /* from alaw=/mulaw=, else the type's default */
	bool law_mixed;         /* B-channels with different laws (refused) */
	/* echo canceller per timeslot: index into conf->ec_names, -1 none */
	int8_t ec[GW_SPAN_MAX_TS + 1];
};

struct gw_dahdi_conf {
	char file[128];
	struct gw_dahdi_span *spans;    /* in file order */
	unsigned nspans;
	char loadzone[8][8];
	unsigned nloadzone;
	char defaultzone[8];
	char ec_names[GW_DAHDI_EC_NAMES][16];
	unsigned n_ec;
};

/*
 * Parse system.conf text (len bytes, need not be NUL-terminated). fname is
 * used in error messages. On success *confp is a new configuration the
 * caller frees with gw_dahdi_conf_free(). On failure returns EINVAL (err
 * holds "file:line: problem"), ENOMEM or E2BIG (more than 1 MiB).
 */
int gw_dahdi_conf_parse(const char *text, size_t len, const char *fname,
			struct gw_dahdi_conf **confp, char *err, size_t errsz);
/* Read and parse a file (errors as above, plus the open/read errno). */
int gw_dahdi_conf_load(const char *path, struct gw_dahdi_conf **confp,
		       char *err, size_t errsz);
void gw_dahdi_conf_free(struct gw_dahdi_conf *conf);

/* The span with number num, or NULL. */
const struct gw_dahdi_span *gw_dahdi_conf_span(const struct gw_dahdi_conf *c,
					       unsigned num);
/*
 * Fill a span configuration for span num, for the "dahdi" backend when
 * it is built (ops NULL otherwise): id, type, law, bmask, dchan,
 * chan_base. Returns 0, ENOENT (no such span), ENOTSUP (BRI, or B-channels
 * with mixed laws) or EINVAL (no B-channels); err says why.
 */
int gw_dahdi_conf_span_cfg(const struct gw_dahdi_conf *c, unsigned num,
			   struct gw_span_cfg *cfg, char *err, size_t errsz);
/* Echo canceller name for a timeslot of a span, or NULL for none. */
const char *gw_dahdi_conf_echocan(const struct gw_dahdi_conf *c,
				  const struct gw_dahdi_span *s, unsigned ts);

#endif
