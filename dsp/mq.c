/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Lock-free MPSC message queue with uv_async wake-up (see mq.h).
 *
 * head: where producers append (atomic exchange). tail: where the single
 * consumer takes. stub: a permanent node so the queue is never empty of
 * nodes. A producer that has exchanged head but not yet linked prev->next
 * leaves the queue momentarily "inconsistent"; the consumer then stops
 * and will be woken again by that producer's uv_async_send, which comes
 * after the link.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/mq.h"

struct dsp_mq {
	uv_async_t async;
	struct dsp_msg *_Atomic head;
	struct dsp_msg *tail;
	struct dsp_msg stub;
	uint64_t count;
	int closing;
};

static void mq_push(struct dsp_mq *q, struct dsp_msg *m)
{
	struct dsp_msg *prev;

	atomic_store_explicit(&m->next, NULL, memory_order_relaxed);
	prev = atomic_exchange_explicit(&q->head, m, memory_order_acq_rel);
	atomic_store_explicit(&prev->next, m, memory_order_release);
}

static struct dsp_msg *mq_pop(struct dsp_mq *q)
{
	struct dsp_msg *tail = q->tail;
	struct dsp_msg *next =
		atomic_load_explicit(&tail->next, memory_order_acquire);

	if (tail == &q->stub) {
		if (!next)
			return NULL;
		q->tail = next;
		tail = next;
		next = atomic_load_explicit(&next->next, memory_order_acquire);
	}
	if (next) {
		q->tail = next;
		return tail;
	}
	if (tail != atomic_load_explicit(&q->head, memory_order_acquire))
		return NULL; /* a push is half done; its wake-up follows */
	mq_push(q, &q->stub);
	next = atomic_load_explicit(&tail->next, memory_order_acquire);
	if (next) {
		q->tail = next;
		return tail;
	}
	return NULL;
}

unsigned dsp_mq_drain(struct dsp_mq *q)
{
	struct dsp_msg *m;
	unsigned n = 0;

	while ((m = mq_pop(q))) {
		n++;
		q->count++;
		m->h(m, m->arg);
	}
	return n;
}

static void async_cb(uv_async_t *h)
{
	dsp_mq_drain(h->data);
}

int dsp_mq_alloc(struct dsp_mq **qp, uv_loop_t *loop)
{
	struct dsp_mq *q = calloc(1, sizeof(*q));
	int err;

	if (!q)
		return ENOMEM;
	atomic_store(&q->stub.next, NULL);
	atomic_store(&q->head, &q->stub);
	q->tail = &q->stub;
	err = uv_async_init(loop, &q->async, async_cb);
	if (err) {
		free(q);
		return -err;
	}
	q->async.data = q;
	*qp = q;
	return 0;
}

static void close_cb(uv_handle_t *h)
{
	free(h->data);
}

void dsp_mq_free(struct dsp_mq *q)
{
	if (!q || q->closing)
		return;
	q->closing = 1;
	dsp_mq_drain(q);
	uv_close((uv_handle_t *)&q->async, close_cb);
}

void dsp_mq_post(struct dsp_mq *q, struct dsp_msg *m)
{
	mq_push(q, m);
	uv_async_send(&q->async);
}

uint64_t dsp_mq_count(const struct dsp_mq *q)
{
	return q->count;
}
