/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Call detail records in SQLite (see cdr.h and docs/cdr.md). WAL journal
 * with synchronous=NORMAL: a crash may lose the last flushed batch but
 * never corrupts the file; readers (reporting tools) do not block us.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "gw/cdr.h"

#define CDR_SCHEMA_VERSION 1
#define CDR_QUEUE_MAX 512

static const char cdr_schema[] =
	"CREATE TABLE IF NOT EXISTS cdr ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" call_id TEXT NOT NULL,"
	" direction TEXT NOT NULL CHECK (direction IN ('sip2pstn','pstn2sip')),"
	" start_time TEXT NOT NULL,"
	" answer_time TEXT,"
	" end_time TEXT,"
	" start_us INTEGER NOT NULL,"
	" answer_us INTEGER,"
	" end_us INTEGER,"
	" duration_ms INTEGER,"
	" billable_ms INTEGER,"
	" calling_in TEXT, called_in TEXT,"
	" calling_out TEXT, called_out TEXT,"
	" presentation TEXT,"
	" redirecting TEXT,"
	" route TEXT, trunk TEXT,"
	" span INTEGER, channel INTEGER,"
	" sip_call_id TEXT,"
	" sip_status INTEGER,"
	" q850_cause INTEGER, cause_location INTEGER,"
	" hangup_side TEXT CHECK (hangup_side IN ('sip','pstn','gateway')),"
	" codec TEXT,"
	" rtp_rx_packets INTEGER, rtp_tx_packets INTEGER, rtp_lost INTEGER,"
	" jitter_ms REAL, rtt_ms REAL"
	");"
	"CREATE INDEX IF NOT EXISTS cdr_start ON cdr(start_us);"
	"CREATE INDEX IF NOT EXISTS cdr_call_id ON cdr(call_id);";

static const char cdr_insert[] =
	"INSERT INTO cdr (call_id, direction, start_time, answer_time, end_time,"
	" start_us, answer_us, end_us, duration_ms, billable_ms,"
	" calling_in, called_in, calling_out, called_out, presentation,"
	" redirecting, route, trunk, span, channel, sip_call_id, sip_status,"
	" q850_cause, cause_location, hangup_side, codec, rtp_rx_packets,"
	" rtp_tx_packets, rtp_lost, jitter_ms, rtt_ms) VALUES ("
	" ?1, ?2,"
	" strftime('%Y-%m-%dT%H:%M:%fZ', ?6 / 1000000.0, 'unixepoch'),"
	" strftime('%Y-%m-%dT%H:%M:%fZ', ?7 / 1000000.0, 'unixepoch'),"
	" strftime('%Y-%m-%dT%H:%M:%fZ', ?8 / 1000000.0, 'unixepoch'),"
	" ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
	" ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31)";

struct gw_cdr {
	sqlite3 *db;
	sqlite3_stmt *ins;
	char *path;
	struct gw_cdr_rec *q;
	size_t nq;
	uint64_t written;
};

void gw_cdr_rec_init(struct gw_cdr_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->span = r->channel = -1;
	r->sip_status = r->q850_cause = r->cause_location = -1;
	r->rtp_rx_pkts = r->rtp_tx_pkts = r->rtp_lost = -1;
	r->jitter_ms = r->rtt_ms = -1.0;
}

static int cdr_exec(struct gw_cdr *cdr, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(cdr->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		LOGE("cdr", "%s: %s", cdr->path, msg ? msg : "error");
		sqlite3_free(msg);
		return EIO;
	}
	return 0;
}

static int cdr_user_version(struct gw_cdr *cdr, int *v)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(cdr->db, "PRAGMA user_version", -1, &st, NULL))
		return EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : EIO;
}

int gw_cdr_open(struct gw_cdr **cdrp, const char *path)
{
	struct gw_cdr *cdr;
	int ver = 0, ret = 0;

	if (!cdrp || !path)
		return EINVAL;
	cdr = calloc(1, sizeof(*cdr));
	if (!cdr)
		return ENOMEM;
	cdr->path = strdup(path);
	cdr->q = calloc(CDR_QUEUE_MAX, sizeof(*cdr->q));
	if (!cdr->path || !cdr->q) {
		ret = ENOMEM;
		goto out;
	}
	if (sqlite3_open_v2(path, &cdr->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				    SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		LOGE("cdr", "%s: cannot open: %s", path,
		     cdr->db ? sqlite3_errmsg(cdr->db) : "out of memory");
		ret = EIO;
		goto out;
	}
	sqlite3_busy_timeout(cdr->db, 2000);
	if (cdr_user_version(cdr, &ver)) {
		LOGE("cdr", "%s: not an SQLite database: %s", path,
		     sqlite3_errmsg(cdr->db));
		ret = EIO;
		goto out;
	}
	if (ver > CDR_SCHEMA_VERSION) {
		LOGE("cdr", "%s: schema version %d is newer than this pstngw "
		     "knows (%d); use a new file or a newer pstngw", path, ver,
		     CDR_SCHEMA_VERSION);
		ret = EPROTO;
		goto out;
	}
	if (cdr_exec(cdr, "PRAGMA journal_mode=WAL") ||
	    cdr_exec(cdr, "PRAGMA synchronous=NORMAL") ||
	    cdr_exec(cdr, cdr_schema) ||
	    cdr_exec(cdr, "PRAGMA user_version=1")) {
		ret = EIO;
		goto out;
	}
	if (sqlite3_prepare_v2(cdr->db, cdr_insert, -1, &cdr->ins, NULL)) {
		LOGE("cdr", "%s: %s", path, sqlite3_errmsg(cdr->db));
		ret = EIO;
		goto out;
	}
out:
	if (ret) {
		if (cdr->db)
			sqlite3_close(cdr->db);
		free(cdr->q);
		free(cdr->path);
		free(cdr);
		return ret;
	}
	*cdrp = cdr;
	return 0;
}

void gw_cdr_close(struct gw_cdr *cdr)
{
	if (!cdr)
		return;
	if (gw_cdr_flush(cdr))
		LOGE("cdr", "%s: %zu records lost at close", cdr->path, cdr->nq);
	sqlite3_finalize(cdr->ins);
	sqlite3_close(cdr->db);
	free(cdr->q);
	free(cdr->path);
	free(cdr);
}

static void bind_str(sqlite3_stmt *st, int i, const char *s)
{
	if (s && s[0])
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void bind_i64(sqlite3_stmt *st, int i, int64_t v, bool zero_is_null)
{
	if (v < 0 || (zero_is_null && v == 0))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

static void bind_dbl(sqlite3_stmt *st, int i, double v)
{
	if (v < 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

static int cdr_insert_one(struct gw_cdr *cdr, const struct gw_cdr_rec *r)
{
	static const char *const side[] = { NULL, "sip", "pstn", "gateway" };
	sqlite3_stmt *st = cdr->ins;
	int64_t dur = -1, bill = -1;

	if (r->end_us && r->start_us && r->end_us >= r->start_us)
		dur = (r->end_us - r->start_us) / 1000;
	if (r->end_us && r->answer_us && r->end_us >= r->answer_us)
		bill = (r->end_us - r->answer_us) / 1000;
	else if (!r->answer_us)
		bill = 0;

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	bind_str(st, 1, r->call_id);
	sqlite3_bind_text(st, 2, r->dir == GW_CDR_PSTN_TO_SIP ? "pstn2sip"
							       : "sip2pstn",
			  -1, SQLITE_STATIC);
	bind_i64(st, 6, r->start_us, false);
	bind_i64(st, 7, r->answer_us, true);
	bind_i64(st, 8, r->end_us, true);
	bind_i64(st, 9, dur, false);
	bind_i64(st, 10, bill, false);
	bind_str(st, 11, r->calling_in);
	bind_str(st, 12, r->called_in);
	bind_str(st, 13, r->calling_out);
	bind_str(st, 14, r->called_out);
	bind_str(st, 15, r->presentation);
	bind_str(st, 16, r->redirecting);
	bind_str(st, 17, r->route);
	bind_str(st, 18, r->trunk);
	bind_i64(st, 19, r->span, false);
	bind_i64(st, 20, r->channel, false);
	bind_str(st, 21, r->sip_call_id);
	bind_i64(st, 22, r->sip_status, false);
	bind_i64(st, 23, r->q850_cause, false);
	bind_i64(st, 24, r->cause_location, false);
	if ((unsigned)r->hangup_side < 4 && side[r->hangup_side])
		sqlite3_bind_text(st, 25, side[r->hangup_side], -1,
				  SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 25);
	bind_str(st, 26, r->codec);
	bind_i64(st, 27, r->rtp_rx_pkts, false);
	bind_i64(st, 28, r->rtp_tx_pkts, false);
	bind_i64(st, 29, r->rtp_lost, false);
	bind_dbl(st, 30, r->jitter_ms);
	bind_dbl(st, 31, r->rtt_ms);
	if (sqlite3_step(st) != SQLITE_DONE) {
		LOGE("cdr", "%s: insert: %s", cdr->path,
		     sqlite3_errmsg(cdr->db));
		sqlite3_reset(st);
		return EIO;
	}
	return 0;
}

int gw_cdr_flush(struct gw_cdr *cdr)
{
	if (!cdr->nq)
		return 0;
	if (cdr_exec(cdr, "BEGIN"))
		return EIO;
	for (size_t i = 0; i < cdr->nq; i++) {
		if (cdr_insert_one(cdr, &cdr->q[i])) {
			cdr_exec(cdr, "ROLLBACK");
			return EIO;
		}
	}
	if (cdr_exec(cdr, "COMMIT")) {
		cdr_exec(cdr, "ROLLBACK");
		return EIO;
	}
	cdr->written += cdr->nq;
	cdr->nq = 0;
	return 0;
}

int gw_cdr_add(struct gw_cdr *cdr, const struct gw_cdr_rec *r)
{
	int ret = 0;

	if (cdr->nq == CDR_QUEUE_MAX) {
		ret = gw_cdr_flush(cdr);
		if (ret) {
			/* keep the newest: drop the oldest queued record */
			LOGE("cdr", "%s: queue full and flush failed; dropping "
			     "record %s", cdr->path, cdr->q[0].call_id);
			memmove(&cdr->q[0], &cdr->q[1],
				(CDR_QUEUE_MAX - 1) * sizeof(cdr->q[0]));
			cdr->nq--;
		}
	}
	cdr->q[cdr->nq++] = *r;
	return ret;
}

size_t gw_cdr_pending(const struct gw_cdr *cdr)
{
	return cdr->nq;
}

uint64_t gw_cdr_written(const struct gw_cdr *cdr)
{
	return cdr->written;
}
