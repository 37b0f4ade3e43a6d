/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for dsp/mq and dsp/engine: many producers into one consumer
 * with per-producer order kept and nothing lost, messages run on the
 * right media thread, ping-pong between the control loop and media
 * threads, load assignment, and shutdown with work still queued or
 * handles still open; the tick budget (overload control) on a simulated
 * clock.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dsp/engine.h"
#include "dsp/mq.h"

#define PRODUCERS 4
#define PER_PRODUCER 50000

struct tmsg {
	struct dsp_msg m;
	unsigned producer;
	unsigned seq;
};

struct consumer {
	struct dsp_mq *q;
	unsigned next[PRODUCERS];
	unsigned total;
	unsigned order_errors;
};

static void consume_h(struct dsp_msg *m, void *arg)
{
	struct consumer *c = arg;
	struct tmsg *t = (struct tmsg *)m;
	if (t->seq != c->next[t->producer])
		c->order_errors++;
	c->next[t->producer] = t->seq + 1;
	if (++c->total == PRODUCERS * PER_PRODUCER)
		dsp_mq_free(c->q);
}

struct producer {
	struct dsp_mq *q;
	struct consumer *c;
	struct tmsg *msgs;
	unsigned id;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	for (unsigned i = 0; i < PER_PRODUCER; i++) {
		struct tmsg *t = &p->msgs[i];
		t->m.h = consume_h;
		t->m.arg = p->c;
		t->producer = p->id;
		t->seq = i;
		dsp_mq_post(p->q, &t->m);
	}
	return NULL;
}

static void test_mq_many_producers(void **state)
{
	uv_loop_t loop;
	struct consumer c;
	struct producer p[PRODUCERS];
	pthread_t tid[PRODUCERS];
	(void)state;

	memset(&c, 0, sizeof(c));
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(dsp_mq_alloc(&c.q, &loop), 0);
	for (unsigned i = 0; i < PRODUCERS; i++) {
		p[i].q = c.q;
		p[i].c = &c;
		p[i].id = i;
		p[i].msgs = calloc(PER_PRODUCER, sizeof(struct tmsg));
		assert_non_null(p[i].msgs);
		assert_int_equal(pthread_create(&tid[i], NULL, produce, &p[i]), 0);
	}
	/* the loop ends when the consumer closes the queue after the last */
	uv_run(&loop, UV_RUN_DEFAULT);
	for (unsigned i = 0; i < PRODUCERS; i++) {
		pthread_join(tid[i], NULL);
		free(p[i].msgs);
	}
	assert_int_equal(c.total, PRODUCERS * PER_PRODUCER);
	assert_int_equal(c.order_errors, 0);
	for (unsigned i = 0; i < PRODUCERS; i++)
		assert_int_equal(c.next[i], PER_PRODUCER);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- engine ---- */

struct ping {
	struct dsp_msg m;
	struct dsp_engine *e;
	struct dsp_mq *ctl;       /* control loop queue */
	unsigned target;          /* media thread it must run on */
	unsigned rounds, wrong_thread;
	bool at_media;
};

static void ping_h(struct dsp_msg *m, void *arg);

static void pong_h(struct dsp_msg *m, void *arg)
{
	struct ping *p = arg;
	if (dsp_engine_self(p->e) != -1)
		p->wrong_thread++;
	if (++p->rounds == 1000) {
		dsp_mq_free(p->ctl);
		return;
	}
	p->target = (p->target + 1) % dsp_engine_nthreads(p->e);
	m->h = ping_h;
	dsp_engine_post(p->e, p->target, m);
}

static void ping_h(struct dsp_msg *m, void *arg)
{
	struct ping *p = arg;
	if (dsp_engine_self(p->e) != (int)p->target)
		p->wrong_thread++;
	if (!dsp_engine_loop(p->e, p->target))
		p->wrong_thread++;
	m->h = pong_h;
	dsp_mq_post(p->ctl, m);
}

static void test_engine_ping_pong(void **state)
{
	struct dsp_engine *e;
	uv_loop_t loop;
	struct ping p;
	(void)state;

	assert_int_equal(dsp_engine_alloc(&e, 3), 0);
	assert_int_equal(dsp_engine_nthreads(e), 3);
	assert_int_equal(dsp_engine_self(e), -1);
	assert_int_equal(uv_loop_init(&loop), 0);
	memset(&p, 0, sizeof(p));
	p.e = e;
	assert_int_equal(dsp_mq_alloc(&p.ctl, &loop), 0);
	p.m.h = ping_h;
	p.m.arg = &p;
	dsp_engine_post(e, 0, &p.m);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(p.rounds, 1000);
	assert_int_equal(p.wrong_thread, 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	dsp_engine_free(e);
}

static void test_engine_assign(void **state)
{
	struct dsp_engine *e;
	unsigned seen[4] = { 0 };
	(void)state;

	assert_int_equal(dsp_engine_alloc(&e, 4), 0);
	for (unsigned i = 0; i < 40; i++)
		seen[dsp_engine_assign(e)]++;
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(seen[i], 10);
		assert_int_equal(dsp_engine_load(e, i), 10);
	}
	for (unsigned i = 0; i < 5; i++)
		dsp_engine_release(e, 2);
	assert_int_equal(dsp_engine_load(e, 2), 5);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(dsp_engine_assign(e), 2);
	dsp_engine_free(e);
}

/* a handler that opens a timer on its media loop and never closes it */
struct leak {
	struct dsp_msg m;
	struct dsp_engine *e;
	uv_timer_t timer;
	uv_sem_t done;
};

static void timer_never(uv_timer_t *t)
{
	(void)t;
}

static void open_timer_h(struct dsp_msg *m, void *arg)
{
	struct leak *l = arg;
	(void)m;
	uv_timer_init(dsp_engine_loop(l->e, dsp_engine_self(l->e)), &l->timer);
	uv_timer_start(&l->timer, timer_never, 100000, 100000);
	uv_sem_post(&l->done);
}

struct counted {
	struct dsp_msg m;
	unsigned *count;
};

static void count_h(struct dsp_msg *m, void *arg)
{
	(void)arg;
	(*((struct counted *)m)->count)++;
}

static void test_engine_shutdown(void **state)
{
	struct dsp_engine *e;
	struct leak l;
	struct counted c[100];
	unsigned count = 0;
	(void)state;

	assert_int_equal(dsp_engine_alloc(&e, 1), 0);
	memset(&l, 0, sizeof(l));
	l.e = e;
	assert_int_equal(uv_sem_init(&l.done, 0), 0);
	l.m.h = open_timer_h;
	l.m.arg = &l;
	dsp_engine_post(e, 0, &l.m);
	uv_sem_wait(&l.done);
	/* queued work still runs before the thread stops */
	for (unsigned i = 0; i < 100; i++) {
		c[i].m.h = count_h;
		c[i].m.arg = NULL;
		c[i].count = &count;
		dsp_engine_post(e, 0, &c[i].m);
	}
	dsp_engine_free(e); /* must return although the timer is open */
	assert_int_equal(count, 100);
	uv_sem_destroy(&l.done);
}

/*
 * Tick budget on a simulated clock: ticks every 20 ms (or at once when
 * the thread is behind), spans sharing a period, blocks costing full or
 * lean nanoseconds. Per row: the share of lean blocks after the first
 * period (estimates settled), and the longest period's block work.
 */
struct bud_case {
	const char *name;
	unsigned limit_pct;
	unsigned spans, per_span;       /* blocks per period = spans x per_span */
	uint64_t full_ns, lean_ns;
	double lean_min, lean_max;      /* share of lean blocks, periods 2.. */
	uint64_t work_max_ns;           /* longest period's work, periods 2.. */
	unsigned late_periods_max;      /* periods starting late, 2.. */
};

static const struct bud_case bud_cases[] = {
	/* settled calls: the work fits, nothing runs lean */
	{ "light", 80, 1, 1000, 12000, 10000, 0.0, 0.0, 12100000, 0 },
	/* converging calls at 25 us a block: only part can adapt; the work
	 * ends within the limit plus one block */
	{ "heavy", 80, 1, 1000, 25000, 10000, 0.55, 0.65, 16025000, 0 },
	/* the same over 4 spans ticking in one period */
	{ "heavy_4_spans", 80, 4, 250, 25000, 10000, 0.55, 0.65, 16025000, 0 },
	/* even lean the blocks do not fit: everything lean, late */
	{ "hopeless", 80, 1, 1000, 30000, 22000, 1.0, 1.0, 22100000, 999 },
	/* limit 0 means the whole period: no slack, the next tick may
	 * start a block late */
	{ "limit_0_is_100", 0, 1, 1000, 25000, 10000, 0.3, 0.4, 20025000, 999 },
};

static void test_budget(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(bud_cases) / sizeof(bud_cases[0]); c++) {
		const struct bud_case *bc = &bud_cases[c];
		struct dsp_budget b;
		uint64_t src[4] = { 0 };
		uint64_t now = 1000000000ull, work_max = 0;
		unsigned lean = 0, blocks = 0, late = 0;
		const unsigned periods = 50;

		dsp_budget_init(&b, 20, bc->limit_pct);
		for (unsigned p = 0; p < periods; p++) {
			uint64_t due = 1000000000ull + (uint64_t)p * 20000000u;
			if (now < due)
				now = due;
			else if (p > 1 && now > due)
				late++;
			uint64_t t0 = now;

			for (unsigned sp = 0; sp < bc->spans; sp++) {
				dsp_budget_tick_at(&b, &src[sp], bc->per_span, now);
				for (unsigned k = 0; k < bc->per_span; k++) {
					bool l = dsp_budget_lean_at(&b, now);
					now += l ? bc->lean_ns : bc->full_ns;
					if (p > 0) {
						lean += l;
						blocks++;
					}
				}
			}
			if (p > 0 && now - t0 > work_max)
				work_max = now - t0;
		}
		double share = (double)lean / blocks;
		if (share < bc->lean_min - 1e-9 || share > bc->lean_max + 1e-9 ||
		    work_max > bc->work_max_ns || late > bc->late_periods_max)
			fail_msg("%s: lean share %.3f (want %.2f-%.2f), longest "
				 "period %llu ns (max %llu), late %u",
				 bc->name, share, bc->lean_min, bc->lean_max,
				 (unsigned long long)work_max,
				 (unsigned long long)bc->work_max_ns, late);
		assert_int_equal(b.periods, periods);
		assert_true(b.lean_blocks >= lean);
	}
}

/* A span ticking again before the period is over (catching up on a late
 * block) starts a new period; different spans share one. */
static void test_budget_periods(void **state)
{
	struct dsp_budget b;
	uint64_t s1 = 0, s2 = 0;
	(void)state;

	dsp_budget_init(&b, 20, 80);
	assert_false(dsp_budget_lean_at(&b, 5)); /* before any tick */
	dsp_budget_tick_at(&b, &s1, 10, 1000);
	dsp_budget_tick_at(&b, &s2, 10, 2000);
	assert_int_equal(b.periods, 1);
	dsp_budget_tick_at(&b, &s1, 10, 3000);  /* span 1 again: catch-up */
	assert_int_equal(b.periods, 2);
	dsp_budget_tick_at(&b, &s2, 10, 4000);
	assert_int_equal(b.periods, 2);
	/* 20 ms later, whatever ticked */
	dsp_budget_tick_at(&b, &s2, 10, 4000 + 20000000u);
	assert_int_equal(b.periods, 3);
	dsp_budget_tick_at(&b, &s1, 10, 5000 + 20000000u);
	assert_int_equal(b.periods, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mq_many_producers),
		cmocka_unit_test(test_engine_ping_pong),
		cmocka_unit_test(test_engine_assign),
		cmocka_unit_test(test_engine_shutdown),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_budget_periods),
	};
	return cmocka_run_group_tests_name("dsp_engine", tests, NULL, NULL);
}
