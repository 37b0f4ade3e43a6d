/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for gw/cdr: records written to SQLite and read back field by field. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include <cmocka.h>

#include "gw/cdr.h"

static char dbpath[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dbpath, sizeof(dbpath), "/tmp/pstngw-cdr-%d.db", (int)getpid());
	unlink(dbpath);
	return 0;
}

static int teardown(void **state)
{
	char p[80];
	(void)state;
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
	return 0;
}

static void query(const char *sql, char *out, size_t sz)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	size_t n = 0;

	out[0] = '\0';
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const char *v = (const char *)sqlite3_column_text(st, i);
			n += (size_t)snprintf(out + n, sz - n, "%s%s", i ? "|" : "",
					      v ? v : "NULL");
		}
		n += (size_t)snprintf(out + n, sz - n, "\n");
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void test_write_read(void **state)
{
	struct gw_cdr *cdr;
	struct gw_cdr_rec r;
	char out[2048];
	(void)state;

	assert_int_equal(gw_cdr_open(&cdr, dbpath), 0);
	gw_cdr_rec_init(&r);
	snprintf(r.call_id, sizeof(r.call_id), "c1");
	r.dir = GW_CDR_SIP_TO_PSTN;
	r.start_us = 1700000000000000LL;
	r.answer_us = r.start_us + 2500000;
	r.end_us = r.answer_us + 61000000;
	snprintf(r.calling_in, sizeof(r.calling_in), "+4930123");
	snprintf(r.called_in, sizeof(r.called_in), "1001");
	snprintf(r.calling_out, sizeof(r.calling_out), "030123");
	snprintf(r.called_out, sizeof(r.called_out), "1001");
	snprintf(r.presentation, sizeof(r.presentation), "restricted");
	snprintf(r.route, sizeof(r.route), "to-pstn");
	snprintf(r.trunk, sizeof(r.trunk), "pbx");
	r.span = 1;
	r.channel = 5;
	snprintf(r.sip_call_id, sizeof(r.sip_call_id), "abc@host");
	r.sip_status = 200;
	r.q850_cause = 16;
	r.cause_location = 2;
	r.hangup_side = GW_CDR_SIDE_PSTN;
	snprintf(r.codec, sizeof(r.codec), "PCMA");
	r.rtp_rx_pkts = 3175;
	r.rtp_tx_pkts = 3174;
	r.rtp_lost = 1;
	r.jitter_ms = 2.5;
	assert_int_equal(gw_cdr_add(cdr, &r), 0);

	/* an unanswered, busy call from the PSTN: NULL answer, 0 billable */
	gw_cdr_rec_init(&r);
	snprintf(r.call_id, sizeof(r.call_id), "c2");
	r.dir = GW_CDR_PSTN_TO_SIP;
	r.start_us = 1700000100000000LL;
	r.end_us = r.start_us + 1000;
	snprintf(r.called_in, sizeof(r.called_in), "2001");
	r.sip_status = 486;
	r.q850_cause = 17;
	r.hangup_side = GW_CDR_SIDE_SIP;
	assert_int_equal(gw_cdr_add(cdr, &r), 0);
	assert_int_equal(gw_cdr_pending(cdr), 2);
	assert_int_equal(gw_cdr_flush(cdr), 0);
	assert_int_equal(gw_cdr_pending(cdr), 0);
	assert_int_equal(gw_cdr_written(cdr), 2);

	query("SELECT call_id, direction, start_time, answer_time, end_time,"
	      " duration_ms, billable_ms, calling_in, called_in, calling_out,"
	      " called_out, presentation, redirecting, route, trunk, span, channel,"
	      " sip_call_id, sip_status, q850_cause, cause_location, hangup_side,"
	      " codec, rtp_rx_packets, rtp_tx_packets, rtp_lost, jitter_ms, rtt_ms"
	      " FROM cdr ORDER BY id", out, sizeof(out));
	assert_string_equal(out,
		"c1|sip2pstn|2023-11-14T22:13:20.000Z|2023-11-14T22:13:22.500Z|"
		"2023-11-14T22:14:23.500Z|63500|61000|+4930123|1001|030123|1001|"
		"restricted|NULL|to-pstn|pbx|1|5|abc@host|200|16|2|pstn|PCMA|3175|"
		"3174|1|2.5|NULL\n"
		"c2|pstn2sip|2023-11-14T22:15:00.000Z|NULL|2023-11-14T22:15:00.001Z|"
		"1|0|NULL|2001|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|486|17|"
		"NULL|sip|NULL|NULL|NULL|NULL|NULL|NULL\n");
	gw_cdr_close(cdr);

	/* reopen appends; close flushes what is queued */
	assert_int_equal(gw_cdr_open(&cdr, dbpath), 0);
	gw_cdr_rec_init(&r);
	snprintf(r.call_id, sizeof(r.call_id), "c3");
	r.start_us = 1;
	assert_int_equal(gw_cdr_add(cdr, &r), 0);
	gw_cdr_close(cdr);
	query("SELECT count(*) FROM cdr", out, sizeof(out));
	assert_string_equal(out, "3\n");
}

static void test_queue_overflow_flushes(void **state)
{
	struct gw_cdr *cdr;
	struct gw_cdr_rec r;
	char out[64];
	(void)state;

	assert_int_equal(gw_cdr_open(&cdr, dbpath), 0);
	gw_cdr_rec_init(&r);
	r.start_us = 5;
	for (int i = 0; i < 1200; i++) {
		snprintf(r.call_id, sizeof(r.call_id), "q%d", i);
		assert_int_equal(gw_cdr_add(cdr, &r), 0);
	}
	assert_true(gw_cdr_pending(cdr) < 600);
	gw_cdr_close(cdr);
	query("SELECT count(*), count(DISTINCT call_id) FROM cdr", out, sizeof(out));
	assert_string_equal(out, "1200|1200\n");
}

static void test_open_errors(void **state)
{
	struct gw_cdr *cdr = NULL;
	FILE *f;
	(void)state;

	assert_int_equal(gw_cdr_open(&cdr, "/nonexistent-dir/x.db"), EIO);
	assert_null(cdr);
	/* not a database */
	f = fopen(dbpath, "w");
	assert_non_null(f);
	fputs("this is not an sqlite database, just text, long enough......"
	      "...............................................................",
	      f);
	fclose(f);
	assert_int_equal(gw_cdr_open(&cdr, dbpath), EIO);
	unlink(dbpath);
	/* a newer schema than ours */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(gw_cdr_open(&cdr, dbpath), EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_overflow_flushes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
	};
	return cmocka_run_group_tests_name("gw_cdr", tests, NULL, NULL);
}
