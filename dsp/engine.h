/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Media threads (ARCHITECTURE.md "Threads and ownership"): N threads,
 * each running its own libuv loop with a message queue (dsp/mq). A
 * channel's media context is assigned to one thread for its whole life
 * (dsp_engine_assign picks the least loaded) and is touched only there:
 * the control thread sends it messages, the span clock delivers its
 * ticks on that loop, its RTP sockets live on that loop. No locks.
 */
#ifndef DSP_ENGINE_H
#define DSP_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "dsp/mq.h"

struct dsp_engine;

/*
 * Start nthreads media threads (0 = one per core beyond the first,
 * at least one). Returns when every thread runs its loop: 0, EINVAL,
 * ENOMEM or the thread creation error.
 */
int dsp_engine_alloc(struct dsp_engine **ep, unsigned nthreads);
/*
 * Stop every thread: queued messages run, then each loop closes what is
 * still open on it and the thread is joined. Call from the control
 * thread, after the channels are gone.
 */
void dsp_engine_free(struct dsp_engine *e);

unsigned dsp_engine_nthreads(const struct dsp_engine *e);

/* Any thread: run m->h(m, m->arg) on media thread idx. */
void dsp_engine_post(struct dsp_engine *e, unsigned idx, struct dsp_msg *m);

/* The loop of media thread idx: to be used only on that thread. */
uv_loop_t *dsp_engine_loop(struct dsp_engine *e, unsigned idx);
/* Index of the calling thread if it is a media thread of e, else -1. */
int dsp_engine_self(const struct dsp_engine *e);

/*
 * Control thread: choose the thread for a new channel (fewest channels)
 * and count it; dsp_engine_release() uncounts it when the channel ends.
 */
unsigned dsp_engine_assign(struct dsp_engine *e);
void dsp_engine_release(struct dsp_engine *e, unsigned idx);
unsigned dsp_engine_load(const struct dsp_engine *e, unsigned idx);

/*
 * Tick budget of a media thread (overload control). Every block of every
 * channel a thread carries is due within the 20 ms period; normally the
 * work takes a fraction of it, but cancellers converging on many new
 * calls at once (IPNLMS over the whole tail, about three times the
 * settled cost) can ask for more than the period holds. The budget keeps
 * the deadline instead: before each channel's block it checks that the
 * time spent in the period so far (wall time from the period's first
 * tick, so RTP receive and preemption count too) plus the blocks still
 * to come, at the measured cost of a lean block, fits in limit; when
 * not, the rest of the period runs lean (DSP_CHAN_TICK_LEAN: no canceller
 * adaptation in that block, which can wait a period) and those calls
 * converge a little later. "Blocks to come": those of the current tick,
 * or as many as the previous period had if more. Callers rotate the order they tick channels in, so lean blocks
 * fall on different channels each period. Use on one thread only.
 */
struct dsp_budget {
	uint64_t period_ns;
	uint64_t limit_ns;
	uint64_t start_ns;      /* first tick of the current period */
	uint64_t last_ns;       /* previous block's start in this tick */
	bool have_last;
	bool lean;              /* the current period went lean */
	bool last_lean;
	unsigned done;          /* blocks so far in this period */
	unsigned prev_total;    /* blocks in the previous period */
	unsigned tick_end;      /* done once this tick's blocks have run */
	double cost_full_ns;    /* running means of a block's cost */
	double cost_lean_ns;
	/* counters */
	uint64_t periods;
	uint64_t lean_periods;  /* periods that ran some blocks lean */
	uint64_t lean_blocks;   /* channel blocks run lean */
};

/* period_ms (20), limit_pct of it for the blocks (1..100). */
void dsp_budget_init(struct dsp_budget *b, unsigned period_ms,
		     unsigned limit_pct);
/*
 * At the start of a tick callback that will run nblocks channel blocks.
 * *src is the caller's mark for the tick's source (one per span, 0 at
 * first): a source that ticked in the current period already starts a
 * new one (a span catching up on a late block), as does a tick
 * period_ns or more after the period began.
 */
void dsp_budget_tick(struct dsp_budget *b, uint64_t *src, unsigned nblocks);
/* Before each channel's block: true = run it lean (counted). */
bool dsp_budget_lean(struct dsp_budget *b);
/* The same at a given uv_hrtime() (tests). */
void dsp_budget_tick_at(struct dsp_budget *b, uint64_t *src, unsigned nblocks,
			uint64_t now);
bool dsp_budget_lean_at(struct dsp_budget *b, uint64_t now);

#endif
