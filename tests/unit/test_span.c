/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for gw/span: layout, channel state table, alarms, hunting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/log.h"
#include "gw/span.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct gw_span *mkspan(enum gw_span_type type, unsigned id,
			      uint32_t bmask)
{
	struct gw_span_cfg cfg;
	struct gw_span *span = NULL;

	gw_span_cfg_default(&cfg, type, id);
	if (bmask)
		cfg.bmask = bmask;
	assert_int_equal(gw_span_alloc(&span, &cfg), 0);
	/* no backend in these tests: report the line directly */
	gw_span_backend_line(span, true, 0);
	return span;
}

static void test_layout(void **state)
{
	static const struct {
		enum gw_span_type type;
		uint32_t bmask;         /* 0 = default */
		unsigned nb, dchan, first_ts, last_ts;
		unsigned ts_of_idx15;   /* 0 if fewer channels */
	} testv[] = {
		{ GW_SPAN_E1, 0, 30, 16, 1, 31, 17 },
		{ GW_SPAN_T1, 0, 23, 24, 1, 23, 16 },
		/* fractional E1: TS1-10 only */
		{ GW_SPAN_E1, 0x7fe, 10, 16, 1, 10, 0 },
		/* fractional T1: TS 5-8 */
		{ GW_SPAN_T1, 0x1e0, 4, 24, 5, 8, 0 },
	};
	(void)state;
	for (size_t i = 0; i < N(testv); i++) {
		struct gw_span *s = mkspan(testv[i].type, 1, testv[i].bmask);
		unsigned idx;

		assert_int_equal(gw_span_bchan_count(s), testv[i].nb);
		assert_int_equal(gw_span_cfg(s)->dchan, testv[i].dchan);
		assert_int_equal(gw_span_bchan_ts(s, 0), testv[i].first_ts);
		assert_int_equal(gw_span_bchan_ts(s, testv[i].nb - 1),
				 testv[i].last_ts);
		assert_int_equal(gw_span_bchan_ts(s, 15), testv[i].ts_of_idx15);
		assert_int_equal(gw_span_bchan_ts(s, testv[i].nb), 0);
		assert_int_equal(gw_span_bchan_idx(s, testv[i].dchan, &idx),
				 ENOENT);
		assert_int_equal(gw_span_bchan_idx(s, testv[i].last_ts, &idx),
				 0);
		assert_int_equal(idx, testv[i].nb - 1);
		assert_int_equal(gw_span_chan_state(s, testv[i].dchan),
				 GW_CHAN_STATE_COUNT);
		gw_span_free(s);
	}
}

static void test_cfg_check(void **state)
{
	static const struct {
		enum gw_span_type type;
		unsigned id;
		int law;
		uint32_t bmask;
		unsigned dchan;
		int err;
	} testv[] = {
		{ GW_SPAN_E1, 1, GW_LAW_ALAW, 0xfffefffe, 16, 0 },
		{ GW_SPAN_E1, 1, GW_LAW_ALAW, 0xfffefffe, 0, 0 },
		{ GW_SPAN_E1, 1, GW_LAW_ALAW, 0xfffffffe, 0, 0 },  /* SS7 */
		{ GW_SPAN_E1, 1, GW_LAW_ALAW, 0xfffffffe, 16, EINVAL },
		{ GW_SPAN_E1, 1, GW_LAW_ALAW, 0xffffffff, 0, EINVAL }, /* TS0 */
		{ GW_SPAN_E1, 0, GW_LAW_ALAW, 0xfffefffe, 16, EINVAL },
		{ GW_SPAN_E1, 1, 7, 0xfffefffe, 16, EINVAL },
		{ GW_SPAN_E1, 1, GW_LAW_ALAW, 0, 16, EINVAL },
		{ GW_SPAN_T1, 1, GW_LAW_ULAW, 0x00fffffe, 0, 0 },
		{ GW_SPAN_T1, 1, GW_LAW_ULAW, 0x01fffffe, 0, 0 },
		{ GW_SPAN_T1, 1, GW_LAW_ULAW, 0x02fffffe, 0, EINVAL },
		{ GW_SPAN_T1, 1, GW_LAW_ULAW, 0x00fffffe, 25, EINVAL },
		{ GW_SPAN_T1, 1, GW_LAW_ULAW, 0x00fffffe, 24, 0 },
		{ 3, 1, GW_LAW_ULAW, 0x00fffffe, 24, EINVAL },
	};
	(void)state;
	for (size_t i = 0; i < N(testv); i++) {
		struct gw_span_cfg cfg;
		memset(&cfg, 0, sizeof(cfg));
		cfg.type = testv[i].type;
		cfg.id = testv[i].id;
		cfg.law = testv[i].law;
		cfg.bmask = testv[i].bmask;
		cfg.dchan = testv[i].dchan;
		assert_int_equal(gw_span_cfg_check(&cfg), testv[i].err);
	}
}

static void test_ts_lists(void **state)
{
	static const struct {
		const char *in;
		enum gw_span_type type;
		int err;
		uint32_t mask;
		const char *out;
	} testv[] = {
		{ "1-15,17-31", GW_SPAN_E1, 0, 0xfffefffe, "1-15,17-31" },
		{ " 1 - 15 , 17-31 ", GW_SPAN_E1, 0, 0xfffefffe, "1-15,17-31" },
		{ "1-23", GW_SPAN_T1, 0, 0x00fffffe, "1-23" },
		{ "24", GW_SPAN_T1, 0, 0x01000000, "24" },
		{ "3,1,2,5", GW_SPAN_E1, 0, 0x2e, "1-3,5" },
		{ "31", GW_SPAN_E1, 0, 0x80000000u, "31" },
		{ "25", GW_SPAN_T1, EINVAL, 0, NULL },
		{ "32", GW_SPAN_E1, EINVAL, 0, NULL },
		{ "0-3", GW_SPAN_E1, EINVAL, 0, NULL },
		{ "5-3", GW_SPAN_E1, EINVAL, 0, NULL },
		{ "", GW_SPAN_E1, EINVAL, 0, NULL },
		{ "1,", GW_SPAN_E1, EINVAL, 0, NULL },
		{ "1-", GW_SPAN_E1, EINVAL, 0, NULL },
		{ "x", GW_SPAN_E1, EINVAL, 0, NULL },
		{ "1-2", 0, EINVAL, 0, NULL },
	};
	char buf[96];
	(void)state;
	for (size_t i = 0; i < N(testv); i++) {
		uint32_t m = 7;
		int err = gw_span_ts_parse(testv[i].in, testv[i].type, &m);
		if (err != testv[i].err)
			fail_msg("row %zu '%s': %d", i, testv[i].in, err);
		if (err) {
			assert_int_equal(m, 7);
			continue;
		}
		assert_int_equal(m, testv[i].mask);
		assert_string_equal(gw_span_ts_str(m, buf, sizeof(buf)),
				    testv[i].out);
	}
	/* small buffers hold whole items only */
	assert_string_equal(gw_span_ts_str(0xfffefffe, buf, 8), "1-15");
	assert_string_equal(gw_span_ts_str(0, buf, sizeof(buf)), "");
	assert_string_equal(gw_span_ts_str(0xaaaaaaaa, buf, sizeof(buf)),
			    "1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31");
}

/* Every (state, blocked, event) combination against an independent
 * statement of the rules. */
static void test_transition_table(void **state)
{
	static const struct {
		enum gw_chan_state from;
		unsigned blocked;
		enum gw_chan_event ev;
		int err;
		enum gw_chan_state to;
	} testv[] = {
		{ GW_CHAN_IDLE, 0, GW_CHEV_RESERVE, 0, GW_CHAN_RESERVED },
		{ GW_CHAN_IDLE, 0, GW_CHEV_SEIZE, 0, GW_CHAN_INUSE },
		{ GW_CHAN_IDLE, 0, GW_CHEV_RELEASE, EPERM, 0 },
		{ GW_CHAN_IDLE, 0, GW_CHEV_BLOCK_LOCAL, 0, GW_CHAN_BLOCKED },
		{ GW_CHAN_IDLE, 0, GW_CHEV_BLOCK_REMOTE, 0, GW_CHAN_BLOCKED },
		{ GW_CHAN_IDLE, 0, GW_CHEV_UNBLOCK_LOCAL, 0, GW_CHAN_IDLE },
		{ GW_CHAN_IDLE, 0, GW_CHEV_RESTART, 0, GW_CHAN_RESTARTING },
		{ GW_CHAN_IDLE, 0, GW_CHEV_RESTART_DONE, EPERM, 0 },
		{ GW_CHAN_RESERVED, 0, GW_CHEV_RESERVE, EPERM, 0 },
		{ GW_CHAN_RESERVED, 0, GW_CHEV_SEIZE, 0, GW_CHAN_INUSE },
		{ GW_CHAN_RESERVED, 0, GW_CHEV_RELEASE, 0, GW_CHAN_IDLE },
		{ GW_CHAN_RESERVED, 0, GW_CHEV_BLOCK_REMOTE, 0,
		  GW_CHAN_RESERVED },
		{ GW_CHAN_RESERVED, GW_BLOCK_REMOTE, GW_CHEV_RELEASE, 0,
		  GW_CHAN_BLOCKED },
		{ GW_CHAN_INUSE, 0, GW_CHEV_SEIZE, EPERM, 0 },
		{ GW_CHAN_INUSE, 0, GW_CHEV_RESERVE, EPERM, 0 },
		{ GW_CHAN_INUSE, 0, GW_CHEV_RELEASE, 0, GW_CHAN_IDLE },
		{ GW_CHAN_INUSE, 0, GW_CHEV_BLOCK_LOCAL, 0, GW_CHAN_INUSE },
		{ GW_CHAN_INUSE, GW_BLOCK_LOCAL, GW_CHEV_RELEASE, 0,
		  GW_CHAN_BLOCKED },
		{ GW_CHAN_INUSE, GW_BLOCK_LOCAL, GW_CHEV_UNBLOCK_LOCAL, 0,
		  GW_CHAN_INUSE },
		{ GW_CHAN_INUSE, 0, GW_CHEV_RESTART, 0, GW_CHAN_RESTARTING },
		{ GW_CHAN_INUSE, 0, GW_CHEV_RESTART_DONE, EPERM, 0 },
		{ GW_CHAN_BLOCKED, GW_BLOCK_LOCAL, GW_CHEV_RESERVE, EPERM, 0 },
		{ GW_CHAN_BLOCKED, GW_BLOCK_LOCAL, GW_CHEV_SEIZE, EPERM, 0 },
		{ GW_CHAN_BLOCKED, GW_BLOCK_LOCAL, GW_CHEV_RELEASE, EPERM, 0 },
		{ GW_CHAN_BLOCKED, GW_BLOCK_LOCAL, GW_CHEV_UNBLOCK_LOCAL, 0,
		  GW_CHAN_IDLE },
		{ GW_CHAN_BLOCKED, GW_BLOCK_LOCAL | GW_BLOCK_REMOTE,
		  GW_CHEV_UNBLOCK_LOCAL, 0, GW_CHAN_BLOCKED },
		{ GW_CHAN_BLOCKED, GW_BLOCK_LOCAL | GW_BLOCK_REMOTE,
		  GW_CHEV_UNBLOCK_REMOTE, 0, GW_CHAN_BLOCKED },
		{ GW_CHAN_BLOCKED, GW_BLOCK_REMOTE, GW_CHEV_UNBLOCK_REMOTE, 0,
		  GW_CHAN_IDLE },
		{ GW_CHAN_BLOCKED, GW_BLOCK_REMOTE, GW_CHEV_UNBLOCK_LOCAL, 0,
		  GW_CHAN_BLOCKED },
		{ GW_CHAN_BLOCKED, GW_BLOCK_REMOTE, GW_CHEV_RESTART, 0,
		  GW_CHAN_RESTARTING },
		{ GW_CHAN_RESTARTING, 0, GW_CHEV_RESERVE, EPERM, 0 },
		{ GW_CHAN_RESTARTING, 0, GW_CHEV_SEIZE, EPERM, 0 },
		{ GW_CHAN_RESTARTING, 0, GW_CHEV_RELEASE, EPERM, 0 },
		{ GW_CHAN_RESTARTING, 0, GW_CHEV_RESTART, 0,
		  GW_CHAN_RESTARTING },
		{ GW_CHAN_RESTARTING, 0, GW_CHEV_RESTART_DONE, 0,
		  GW_CHAN_IDLE },
		{ GW_CHAN_RESTARTING, GW_BLOCK_REMOTE, GW_CHEV_RESTART_DONE, 0,
		  GW_CHAN_BLOCKED },
		{ GW_CHAN_RESTARTING, 0, GW_CHEV_BLOCK_LOCAL, 0,
		  GW_CHAN_RESTARTING },
	};
	(void)state;
	for (size_t i = 0; i < N(testv); i++) {
		enum gw_chan_state to = GW_CHAN_STATE_COUNT;
		int err = gw_chan_next(testv[i].from, testv[i].blocked,
				       testv[i].ev, &to);
		if (err != testv[i].err || (!err && to != testv[i].to))
			fail_msg("row %zu: %s + %s: got err %d to %s", i,
				 gw_chan_state_name(testv[i].from),
				 gw_chan_event_name(testv[i].ev), err,
				 gw_chan_state_name(to));
		if (err)
			assert_int_equal(to, GW_CHAN_STATE_COUNT);
	}
	assert_int_equal(gw_chan_next(GW_CHAN_STATE_COUNT, 0, GW_CHEV_SEIZE,
				      NULL), EINVAL);
}

/* Sequences on a real span: states, block bits, refusal counting. */
static void test_chan_sequences(void **state)
{
	static const struct {
		enum gw_chan_event ev;
		int err;
		enum gw_chan_state st;
		unsigned blocked;
	} seq[] = {
		{ GW_CHEV_RESERVE, 0, GW_CHAN_RESERVED, 0 },
		{ GW_CHEV_RESERVE, EPERM, GW_CHAN_RESERVED, 0 },
		{ GW_CHEV_SEIZE, 0, GW_CHAN_INUSE, 0 },
		{ GW_CHEV_BLOCK_REMOTE, 0, GW_CHAN_INUSE, GW_BLOCK_REMOTE },
		{ GW_CHEV_RELEASE, 0, GW_CHAN_BLOCKED, GW_BLOCK_REMOTE },
		{ GW_CHEV_SEIZE, EPERM, GW_CHAN_BLOCKED, GW_BLOCK_REMOTE },
		{ GW_CHEV_BLOCK_LOCAL, 0, GW_CHAN_BLOCKED,
		  GW_BLOCK_REMOTE | GW_BLOCK_LOCAL },
		{ GW_CHEV_UNBLOCK_REMOTE, 0, GW_CHAN_BLOCKED, GW_BLOCK_LOCAL },
		{ GW_CHEV_RESTART, 0, GW_CHAN_RESTARTING, GW_BLOCK_LOCAL },
		{ GW_CHEV_RESTART_DONE, 0, GW_CHAN_BLOCKED, GW_BLOCK_LOCAL },
		{ GW_CHEV_UNBLOCK_LOCAL, 0, GW_CHAN_IDLE, 0 },
		{ GW_CHEV_RELEASE, EPERM, GW_CHAN_IDLE, 0 },
	};
	struct gw_span *s = mkspan(GW_SPAN_E1, 1, 0);
	struct gw_span_stats st;
	unsigned refused = 0;
	(void)state;

	for (size_t i = 0; i < N(seq); i++) {
		assert_int_equal(gw_span_chan_event(s, 5, seq[i].ev),
				 seq[i].err);
		assert_int_equal(gw_span_chan_state(s, 5), seq[i].st);
		assert_int_equal(gw_span_chan_blocked(s, 5), seq[i].blocked);
		refused += seq[i].err != 0;
	}
	gw_span_stats(s, &st);
	assert_int_equal(st.illegal_transitions, refused);
	/* other channels untouched; D-channel is not a B-channel */
	assert_int_equal(gw_span_chan_state(s, 6), GW_CHAN_IDLE);
	assert_int_equal(gw_span_chan_event(s, 16, GW_CHEV_SEIZE), ENOENT);
	assert_int_equal(gw_span_chan_event(s, 0, GW_CHEV_SEIZE), ENOENT);
	assert_int_equal(gw_span_chan_event(s, 32, GW_CHEV_SEIZE), ENOENT);
	assert_true(gw_span_chan_since(s, 5) > 0);
	/* owner pointer: per B-channel, kept across state changes */
	assert_int_equal(gw_span_chan_set_priv(s, 5, &refused), 0);
	assert_int_equal(gw_span_chan_set_priv(s, 16, &refused), ENOENT);
	assert_int_equal(gw_span_chan_event(s, 5, GW_CHEV_SEIZE), 0);
	assert_ptr_equal(gw_span_chan_priv(s, 5), &refused);
	assert_null(gw_span_chan_priv(s, 6));
	assert_null(gw_span_chan_priv(s, 16));
	gw_span_free(s);
}

struct alarm_rec {
	unsigned calls, alarms;
	bool up;
};

static void alarm_h(struct gw_span *span, unsigned alarms, bool up,
		    void *arg)
{
	struct alarm_rec *r = arg;
	(void)span;
	r->calls++;
	r->alarms = alarms;
	r->up = up;
}

static void test_alarms(void **state)
{
	static const struct {
		bool up;
		unsigned in;
		unsigned alarms;
		bool usable;
		unsigned calls;     /* cumulative handler calls */
		const char *str;
	} testv[] = {
		{ true, 0, 0, true, 1, "OK" },
		{ true, 0, 0, true, 1, "OK" },     /* no change, no call */
		{ true, GW_ALARM_YELLOW, GW_ALARM_YELLOW, false, 2, "YELLOW" },
		{ true, GW_ALARM_RED | GW_ALARM_BLUE,
		  GW_ALARM_RED | GW_ALARM_BLUE, false, 3, "RED|BLUE" },
		{ true, 0xf0 | GW_ALARM_LOOPBACK, GW_ALARM_LOOPBACK, false, 4,
		  "LOOPBACK" },
		{ false, 0, GW_ALARM_RED, false, 5, "RED" }, /* down => red */
		{ true, 0, 0, true, 6, "OK" },
	};
	struct gw_span_cfg cfg;
	struct gw_span *s = NULL;
	struct alarm_rec rec = { 0, 0, false };
	const struct gw_span_handlers h = { .alarm_h = alarm_h };
	char buf[64];
	(void)state;

	gw_span_cfg_default(&cfg, GW_SPAN_E1, 3);
	assert_int_equal(gw_span_alloc(&s, &cfg), 0);
	assert_string_equal(gw_span_name(s), "span3");
	/* a new span is down and red until its backend says otherwise */
	assert_false(gw_span_is_up(s));
	assert_int_equal(gw_span_alarms(s), GW_ALARM_RED);
	assert_true(gw_span_alarm_since(s) > 0);
	gw_span_set_handlers(s, &h, &rec);
	for (size_t i = 0; i < N(testv); i++) {
		gw_span_backend_line(s, testv[i].up, testv[i].in);
		assert_int_equal(gw_span_alarms(s), testv[i].alarms);
		assert_int_equal(gw_span_usable(s), testv[i].usable);
		assert_int_equal(rec.calls, testv[i].calls);
		assert_int_equal(rec.alarms, testv[i].alarms);
		assert_int_equal(rec.up, testv[i].up);
		assert_string_equal(gw_span_alarm_str(gw_span_alarms(s), buf,
						      sizeof(buf)),
				    testv[i].str);
	}
	/* no backend: start refuses, HDLC refused */
	assert_int_equal(gw_span_hdlc_send(s, (const uint8_t *)"x", 1),
			 ENOTCONN);
	assert_int_equal(gw_span_hdlc_send(s, (const uint8_t *)"x", 0), EINVAL);
	gw_span_free(s);
	/* truncated output stays terminated */
	assert_string_equal(gw_span_alarm_str(GW_ALARM_ALL, buf, 8), "RED");
}

/*
 * Hunting: a group over two spans (E1 TS1-4 and T1 TS1-3 in that order),
 * a scenario of picks and releases per strategy, with the expected pick
 * ("span.ts") after each step.
 */
enum { H_PICK, H_RELEASE, H_BUSY, H_ALARM, H_CLEAR, H_BLOCK, H_UNBLOCK };

struct hstep {
	int op;
	unsigned span, ts;  /* expected pick, or target of the op */
};

static void run_hunt(enum gw_hunt hunt, const struct hstep *steps,
		     size_t n)
{
	struct gw_span *sp[2];
	struct gw_span_group *g = NULL;

	sp[0] = mkspan(GW_SPAN_E1, 1, 0x1e);    /* TS1-4 */
	sp[1] = mkspan(GW_SPAN_T1, 2, 0x0e);    /* TS1-3 */
	assert_int_equal(gw_span_group_alloc(&g, "g", hunt), 0);
	assert_int_equal(gw_span_group_add(g, sp[0], 0), 0);
	assert_int_equal(gw_span_group_add(g, sp[1], 0), 0);
	assert_int_equal(gw_span_group_add(g, sp[1], 2), EEXIST);
	assert_int_equal(gw_span_group_add(g, sp[1], 24), ENOENT);
	assert_int_equal(gw_span_group_size(g), 7);
	for (size_t i = 0; i < n; i++) {
		struct gw_span *s = NULL;
		unsigned ts = 0;
		struct gw_span *t = steps[i].span ? sp[steps[i].span - 1] :
						    NULL;
		switch (steps[i].op) {
		case H_PICK:
			assert_int_equal(gw_span_group_hunt(g, &s, &ts), 0);
			if (s != t || ts != steps[i].ts)
				fail_msg("%s step %zu: got %u.%u want %u.%u",
					 gw_hunt_name(hunt), i, gw_span_id(s),
					 ts, steps[i].span, steps[i].ts);
			assert_int_equal(gw_span_chan_state(s, ts),
					 GW_CHAN_RESERVED);
			break;
		case H_RELEASE:
			assert_int_equal(gw_span_chan_event(t, steps[i].ts,
							    GW_CHEV_RELEASE),
					 0);
			break;
		case H_BUSY:
			assert_int_equal(gw_span_group_hunt(g, &s, &ts), EBUSY);
			assert_null(s);
			break;
		case H_ALARM:
			gw_span_backend_line(t, true, GW_ALARM_RED);
			break;
		case H_CLEAR:
			gw_span_backend_line(t, true, 0);
			break;
		case H_BLOCK:
			assert_int_equal(gw_span_chan_event(t, steps[i].ts,
						GW_CHEV_BLOCK_REMOTE), 0);
			break;
		case H_UNBLOCK:
			assert_int_equal(gw_span_chan_event(t, steps[i].ts,
						GW_CHEV_UNBLOCK_REMOTE), 0);
			break;
		}
	}
	/* freeing a span removes its members from the group */
	gw_span_free(sp[0]);
	assert_int_equal(gw_span_group_size(g), 3);
	gw_span_group_free(g);
	gw_span_free(sp[1]);
}

static void test_hunt_asc(void **state)
{
	static const struct hstep s[] = {
		{ H_PICK, 1, 1 }, { H_PICK, 1, 2 }, { H_RELEASE, 1, 1 },
		{ H_PICK, 1, 1 }, { H_BLOCK, 1, 3 }, { H_PICK, 1, 4 },
		{ H_PICK, 2, 1 }, { H_ALARM, 2, 0 }, { H_BUSY, 0, 0 },
		{ H_CLEAR, 2, 0 }, { H_PICK, 2, 2 }, { H_PICK, 2, 3 },
		{ H_BUSY, 0, 0 }, { H_UNBLOCK, 1, 3 }, { H_PICK, 1, 3 },
	};
	(void)state;
	run_hunt(GW_HUNT_ASC, s, N(s));
}

static void test_hunt_desc(void **state)
{
	static const struct hstep s[] = {
		{ H_PICK, 2, 3 }, { H_PICK, 2, 2 }, { H_RELEASE, 2, 3 },
		{ H_PICK, 2, 3 }, { H_ALARM, 2, 0 }, { H_PICK, 1, 4 },
		{ H_BLOCK, 1, 3 }, { H_PICK, 1, 2 }, { H_PICK, 1, 1 },
		{ H_BUSY, 0, 0 }, { H_CLEAR, 2, 0 }, { H_PICK, 2, 1 },
		{ H_BUSY, 0, 0 },
	};
	(void)state;
	run_hunt(GW_HUNT_DESC, s, N(s));
}

static void test_hunt_rr(void **state)
{
	static const struct hstep s[] = {
		{ H_PICK, 1, 1 }, { H_RELEASE, 1, 1 },
		/* remembers its position: next pick is after 1.1 */
		{ H_PICK, 1, 2 }, { H_RELEASE, 1, 2 },
		{ H_BLOCK, 1, 3 }, { H_PICK, 1, 4 }, { H_RELEASE, 1, 4 },
		{ H_PICK, 2, 1 }, { H_ALARM, 2, 0 },
		/* span 2 skipped, wraps to the start */
		{ H_PICK, 1, 1 }, { H_PICK, 1, 2 }, { H_PICK, 1, 4 },
		{ H_BUSY, 0, 0 }, { H_CLEAR, 2, 0 }, { H_PICK, 2, 2 },
		{ H_PICK, 2, 3 }, { H_BUSY, 0, 0 }, { H_RELEASE, 1, 2 },
		{ H_PICK, 1, 2 },
	};
	(void)state;
	run_hunt(GW_HUNT_RR, s, N(s));
}

static void test_hunt_lru(void **state)
{
	static const struct hstep s[] = {
		/* never used: member order */
		{ H_PICK, 1, 1 }, { H_PICK, 1, 2 }, { H_PICK, 1, 3 },
		{ H_PICK, 1, 4 }, { H_PICK, 2, 1 }, { H_PICK, 2, 2 },
		{ H_PICK, 2, 3 }, { H_BUSY, 0, 0 },
		/* released in the order 2.2, 1.3, 1.1: picked back in it */
		{ H_RELEASE, 2, 2 }, { H_RELEASE, 1, 3 }, { H_RELEASE, 1, 1 },
		{ H_PICK, 2, 2 }, { H_RELEASE, 2, 2 },
		{ H_PICK, 1, 3 }, { H_PICK, 1, 1 }, { H_PICK, 2, 2 },
		{ H_RELEASE, 1, 4 }, { H_RELEASE, 2, 1 },
		{ H_ALARM, 1, 0 }, { H_PICK, 2, 1 }, { H_BUSY, 0, 0 },
		{ H_CLEAR, 1, 0 }, { H_PICK, 1, 4 },
	};
	(void)state;
	run_hunt(GW_HUNT_LRU, s, N(s));
}

static void test_hunt_parse(void **state)
{
	static const struct {
		const char *s;
		int err;
		enum gw_hunt h;
	} testv[] = {
		{ "ascending", 0, GW_HUNT_ASC }, { "DESC", 0, GW_HUNT_DESC },
		{ "roundrobin", 0, GW_HUNT_RR }, { "rr", 0, GW_HUNT_RR },
		{ "lru", 0, GW_HUNT_LRU }, { "random", EINVAL, 0 },
		{ "", EINVAL, 0 },
	};
	(void)state;
	for (size_t i = 0; i < N(testv); i++) {
		enum gw_hunt h = 99;
		assert_int_equal(gw_hunt_parse(testv[i].s, &h), testv[i].err);
		if (!testv[i].err)
			assert_int_equal(h, testv[i].h);
		else
			assert_int_equal(h, 99);
	}
	assert_int_equal(gw_hunt_parse(NULL, NULL), EINVAL);
}

/* Group freed before its spans, spans in several groups. */
static void test_group_lifetimes(void **state)
{
	struct gw_span *a = mkspan(GW_SPAN_E1, 1, 0);
	struct gw_span *b = mkspan(GW_SPAN_E1, 2, 0);
	struct gw_span_group *g1 = NULL, *g2 = NULL;
	struct gw_span *s;
	unsigned ts;
	(void)state;

	assert_int_equal(gw_span_group_alloc(&g1, "one", GW_HUNT_ASC), 0);
	assert_int_equal(gw_span_group_alloc(&g2, "two", GW_HUNT_RR), 0);
	assert_int_equal(gw_span_group_add(g1, a, 0), 0);
	assert_int_equal(gw_span_group_add(g1, b, 0), 0);
	assert_int_equal(gw_span_group_add(g2, b, 17), 0);
	assert_int_equal(gw_span_group_add(g2, a, 1), 0);
	assert_int_equal(gw_span_group_available(g1), 60);
	assert_string_equal(gw_span_group_name(g2), "two");
	/* both groups see a channel reserved through the other */
	assert_int_equal(gw_span_group_hunt(g2, &s, &ts), 0);
	assert_ptr_equal(s, b);
	assert_int_equal(ts, 17);
	assert_int_equal(gw_span_group_available(g1), 59);
	gw_span_group_free(g1);
	gw_span_free(b);
	assert_int_equal(gw_span_group_size(g2), 1);
	assert_int_equal(gw_span_group_hunt(g2, &s, &ts), 0);
	assert_ptr_equal(s, a);
	assert_int_equal(ts, 1);
	assert_int_equal(gw_span_group_hunt(g2, &s, &ts), EBUSY);
	gw_span_free(a);
	assert_int_equal(gw_span_group_size(g2), 0);
	assert_int_equal(gw_span_group_hunt(g2, &s, &ts), EBUSY);
	gw_span_group_free(g2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_cfg_check),
		cmocka_unit_test(test_ts_lists),
		cmocka_unit_test(test_transition_table),
		cmocka_unit_test(test_chan_sequences),
		cmocka_unit_test(test_alarms),
		cmocka_unit_test(test_hunt_asc),
		cmocka_unit_test(test_hunt_desc),
		cmocka_unit_test(test_hunt_rr),
		cmocka_unit_test(test_hunt_lru),
		cmocka_unit_test(test_hunt_parse),
		cmocka_unit_test(test_group_lifetimes),
	};
	log_set_level(LOGL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
