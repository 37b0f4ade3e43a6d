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

#endif
