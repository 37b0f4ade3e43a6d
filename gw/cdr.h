/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Call detail records: one row per call attempt in an SQLite database
 * (schema in docs/cdr.md, versioned with PRAGMA user_version). Records
 * are copied into a bounded queue and written in one transaction per
 * flush (gw_cdr_flush, called from a timer by the owner and at close), so
 * a burst of call ends costs one fsync, not one per call. Control thread
 * only.
 */
#ifndef GW_CDR_H
#define GW_CDR_H

#include <stddef.h>
#include <stdint.h>

struct gw_cdr;

enum gw_cdr_dir {
	GW_CDR_SIP_TO_PSTN = 0,
	GW_CDR_PSTN_TO_SIP,
};

enum gw_cdr_side {
	GW_CDR_SIDE_NONE = 0, /* not ended by a party (e.g. never routed) */
	GW_CDR_SIDE_SIP,
	GW_CDR_SIDE_PSTN,
	GW_CDR_SIDE_GATEWAY,
};

#define GW_CDR_STR 64

/*
 * One call attempt. Times are microseconds since the Unix epoch; 0 means
 * "did not happen" (e.g. answer_us for an unanswered call) and is stored
 * as NULL. Empty strings are stored as NULL. Negative integers (span,
 * channel, stats) mean unknown and are stored as NULL.
 */
struct gw_cdr_rec {
	char call_id[GW_CDR_STR];       /* gateway's own call id */
	enum gw_cdr_dir dir;
	int64_t start_us, answer_us, end_us;
	/* identities as received, and after the route's rewriting */
	char calling_in[GW_CDR_STR], called_in[GW_CDR_STR];
	char calling_out[GW_CDR_STR], called_out[GW_CDR_STR];
	char presentation[16];          /* allowed / restricted / unavailable */
	char redirecting[GW_CDR_STR];
	char route[GW_CDR_STR], trunk[GW_CDR_STR];
	int span, channel;
	char sip_call_id[128];
	int sip_status;                 /* final status sent or received */
	int q850_cause, cause_location; /* PSTN side */
	enum gw_cdr_side hangup_side;
	char codec[16];
	int64_t rtp_rx_pkts, rtp_tx_pkts, rtp_lost;
	double jitter_ms, rtt_ms;       /* < 0: unknown */
};

/* Fill r with "unknown" markers (-1, NULL strings); call before setting. */
void gw_cdr_rec_init(struct gw_cdr_rec *r);

/*
 * Open (creating if needed) the database at path, create or check the
 * schema. Returns 0, EIO (SQLite error; logged with the path), EPROTO
 * (a newer schema version than this build knows), ENOMEM.
 */
int gw_cdr_open(struct gw_cdr **cdrp, const char *path);
/* Flush what is queued, then close. */
void gw_cdr_close(struct gw_cdr *cdr);

/*
 * Queue a copy of r. When the queue is full it is flushed first. Returns
 * 0, or the flush error (the record is then still queued once).
 */
int gw_cdr_add(struct gw_cdr *cdr, const struct gw_cdr_rec *r);

/* Write queued records in one transaction. 0 or EIO (records kept). */
int gw_cdr_flush(struct gw_cdr *cdr);

size_t gw_cdr_pending(const struct gw_cdr *cdr);
uint64_t gw_cdr_written(const struct gw_cdr *cdr);

#endif
