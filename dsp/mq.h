/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Message queue between threads: many producers, one consumer (the
 * thread running the consumer's libuv loop). Lock-free, intrusive (the
 * message is embedded in the sender's object, so posting never
 * allocates), woken with uv_async. This is how the control thread and the
 * media threads talk (ARCHITECTURE.md: "MPSC queue + uv_async").
 *
 * The queue is Dmitry Vyukov's intrusive MPSC design: producers swap the
 * head with one atomic exchange; the single consumer walks from the tail.
 */
#ifndef DSP_MQ_H
#define DSP_MQ_H

#include <stdatomic.h>
#include <stdint.h>
#include <uv.h>

struct dsp_mq;
struct dsp_msg;

/* Run on the consumer thread for each message, in posting order per
 * producer. The handler owns m from then on (free it, reuse it, post it
 * back). */
typedef void (dsp_msg_h)(struct dsp_msg *m, void *arg);

struct dsp_msg {
	struct dsp_msg *_Atomic next; /* queue link: owned by the queue */
	dsp_msg_h *h;                 /* what to run on the consumer */
	void *arg;
};

/*
 * Create a queue consumed on loop (call on loop's thread). Returns 0,
 * ENOMEM or a libuv error as a positive errno.
 */
int dsp_mq_alloc(struct dsp_mq **qp, uv_loop_t *loop);
/*
 * Close (on the consumer thread): messages still queued are run first,
 * then the async handle closes; the memory goes when the loop has
 * processed the close. No post may start after this is called.
 */
void dsp_mq_free(struct dsp_mq *q);

/* Any thread: queue m (h and arg set by the caller) and wake the loop. */
void dsp_mq_post(struct dsp_mq *q, struct dsp_msg *m);

/* Consumer thread: run what is queued now (also done by the async). */
unsigned dsp_mq_drain(struct dsp_mq *q);

/* Messages run so far (consumer thread). */
uint64_t dsp_mq_count(const struct dsp_mq *q);

#endif
