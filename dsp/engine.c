/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Media threads (see engine.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "dsp/engine.h"

struct media_thread {
	struct dsp_engine *e;
	unsigned idx;
	pthread_t tid;
	bool started;
	uv_loop_t loop;
	struct dsp_mq *mq;
	uv_sem_t ready;
	int start_err;
	struct dsp_msg stop_msg;
	unsigned load;          /* channels; control thread only */
};

struct dsp_engine {
	unsigned n;
	struct media_thread *t;
};

static void close_walk_cb(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void stop_h(struct dsp_msg *m, void *arg)
{
	struct media_thread *t = arg;
	(void)m;
	dsp_mq_free(t->mq);
	/* handles a channel left behind must not keep the thread alive */
	uv_walk(&t->loop, close_walk_cb, NULL);
}

static void *thread_main(void *arg)
{
	struct media_thread *t = arg;
	int err;

	err = uv_loop_init(&t->loop);
	if (!err)
		err = dsp_mq_alloc(&t->mq, &t->loop);
	else
		err = -err;
	t->start_err = err;
	uv_sem_post(&t->ready);
	if (err)
		return NULL;
	uv_run(&t->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&t->loop))
		LOGW("engine", "media thread %u: loop closed with open handles",
		     t->idx);
	return NULL;
}

static void engine_stop(struct dsp_engine *e)
{
	for (unsigned i = 0; i < e->n; i++) {
		struct media_thread *t = &e->t[i];
		if (!t->started)
			continue;
		if (!t->start_err) {
			t->stop_msg.h = stop_h;
			t->stop_msg.arg = t;
			dsp_mq_post(t->mq, &t->stop_msg);
		}
		pthread_join(t->tid, NULL);
		uv_sem_destroy(&t->ready);
		t->started = false;
	}
}

int dsp_engine_alloc(struct dsp_engine **ep, unsigned nthreads)
{
	struct dsp_engine *e;
	int err = 0;

	if (!ep)
		return EINVAL;
	if (nthreads == 0) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = cores > 1 ? (unsigned)(cores - 1) : 1;
	}
	if (nthreads > 256)
		return EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return ENOMEM;
	e->t = calloc(nthreads, sizeof(*e->t));
	if (!e->t) {
		free(e);
		return ENOMEM;
	}
	e->n = nthreads;
	for (unsigned i = 0; i < nthreads; i++) {
		struct media_thread *t = &e->t[i];
		t->e = e;
		t->idx = i;
		if (uv_sem_init(&t->ready, 0)) {
			err = ENOMEM;
			break;
		}
		err = pthread_create(&t->tid, NULL, thread_main, t);
		if (err) {
			uv_sem_destroy(&t->ready);
			break;
		}
		t->started = true;
		uv_sem_wait(&t->ready);
		if (t->start_err) {
			err = t->start_err;
			break;
		}
	}
	if (err) {
		engine_stop(e);
		free(e->t);
		free(e);
		return err;
	}
	*ep = e;
	return 0;
}

void dsp_engine_free(struct dsp_engine *e)
{
	if (!e)
		return;
	engine_stop(e);
	free(e->t);
	free(e);
}

unsigned dsp_engine_nthreads(const struct dsp_engine *e)
{
	return e->n;
}

void dsp_engine_post(struct dsp_engine *e, unsigned idx, struct dsp_msg *m)
{
	dsp_mq_post(e->t[idx % e->n].mq, m);
}

uv_loop_t *dsp_engine_loop(struct dsp_engine *e, unsigned idx)
{
	return idx < e->n ? &e->t[idx].loop : NULL;
}

int dsp_engine_self(const struct dsp_engine *e)
{
	pthread_t self = pthread_self();

	for (unsigned i = 0; i < e->n; i++) {
		if (e->t[i].started && pthread_equal(e->t[i].tid, self))
			return (int)i;
	}
	return -1;
}

unsigned dsp_engine_assign(struct dsp_engine *e)
{
	unsigned best = 0;

	for (unsigned i = 1; i < e->n; i++) {
		if (e->t[i].load < e->t[best].load)
			best = i;
	}
	e->t[best].load++;
	return best;
}

void dsp_engine_release(struct dsp_engine *e, unsigned idx)
{
	if (idx < e->n && e->t[idx].load)
		e->t[idx].load--;
}

unsigned dsp_engine_load(const struct dsp_engine *e, unsigned idx)
{
	return idx < e->n ? e->t[idx].load : 0;
}

void dsp_budget_init(struct dsp_budget *b, unsigned period_ms,
		     unsigned limit_pct)
{
	memset(b, 0, sizeof(*b));
	if (limit_pct == 0 || limit_pct > 100)
		limit_pct = 100;
	b->period_ns = (uint64_t)period_ms * 1000000u;
	b->limit_ns = b->period_ns * limit_pct / 100;
}

void dsp_budget_tick(struct dsp_budget *b, uint64_t *src, unsigned nblocks)
{
	dsp_budget_tick_at(b, src, nblocks, uv_hrtime());
}

void dsp_budget_tick_at(struct dsp_budget *b, uint64_t *src, unsigned nblocks,
			uint64_t now)
{
	/*
	 * The ticks of several spans share a period; a span ticking again
	 * (its next block, on time or catching up) starts the next one, as
	 * does the clock for spans whose phases drift apart.
	 */
	if (b->periods == 0 || *src == b->periods ||
	    now - b->start_ns >= b->period_ns) {
		b->start_ns = now;
		b->lean = false;
		b->prev_total = b->done;
		b->done = 0;
		b->periods++;
	}
	*src = b->periods;
	/* the time between two tick callbacks is no block's cost */
	b->have_last = false;
	b->tick_end = b->done + nblocks;
}

/* running mean over about 32 blocks */
static void cost_update(double *m, double v)
{
	*m = *m > 0 ? *m + (v - *m) / 32 : v;
}

bool dsp_budget_lean(struct dsp_budget *b)
{
	return dsp_budget_lean_at(b, uv_hrtime());
}

bool dsp_budget_lean_at(struct dsp_budget *b, uint64_t now)
{
	if (b->periods == 0)
		return false;
	if (b->have_last)
		cost_update(b->last_lean ? &b->cost_lean_ns : &b->cost_full_ns,
			    (double)(now - b->last_ns));
	b->last_ns = now;
	b->have_last = true;
	b->done++;
	if (!b->lean) {
		/* this block and the ones still to come, all lean */
		unsigned rest = b->tick_end >= b->done ?
				b->tick_end - b->done + 1 : 1;

		if (b->prev_total >= b->done &&
		    b->prev_total - b->done + 1 > rest)
			rest = b->prev_total - b->done + 1;
		double each = b->cost_lean_ns > 0 ? b->cost_lean_ns
						  : b->cost_full_ns;

		if ((double)(now - b->start_ns) + rest * each >
		    (double)b->limit_ns) {
			b->lean = true;
			b->lean_periods++;
		}
	}
	b->last_lean = b->lean;
	if (b->lean)
		b->lean_blocks++;
	return b->lean;
}
