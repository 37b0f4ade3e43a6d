/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for dsp/mq and dsp/engine: many producers into one consumer
 * with per-producer order kept and nothing lost, messages run on the
 * right media thread, ping-pong between the control loop and media
 * threads, load assignment, and shutdown with work still queued or
 * handles still open.
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mq_many_producers),
		cmocka_unit_test(test_engine_ping_pong),
		cmocka_unit_test(test_engine_assign),
		cmocka_unit_test(test_engine_shutdown),
	};
	return cmocka_run_group_tests_name("dsp_engine", tests, NULL, NULL);
}
