/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Benchmark for dsp/mq and dsp/engine: round trips control thread ->
 * media thread -> control thread (one message in flight, i.e. latency),
 * and one-way throughput with a window of messages in flight.
 * Usage: engine_bench [-n ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dsp/engine.h"
#include "dsp/mq.h"

struct rt {
	struct dsp_msg m;
	struct dsp_engine *e;
	struct dsp_mq *ctl;
	unsigned left;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void back_h(struct dsp_msg *m, void *arg);

static void there_h(struct dsp_msg *m, void *arg)
{
	struct rt *r = arg;
	m->h = back_h;
	dsp_mq_post(r->ctl, m);
}

static void back_h(struct dsp_msg *m, void *arg)
{
	struct rt *r = arg;
	if (--r->left == 0) {
		dsp_mq_free(r->ctl);
		return;
	}
	m->h = there_h;
	dsp_engine_post(r->e, 0, m);
}

/* throughput state: control thread only */
static struct dsp_mq *tp_ctl;
static unsigned long tp_target, tp_done;
static unsigned tp_active;

static void tp_back_h(struct dsp_msg *m, void *arg);

static void tp_there_h(struct dsp_msg *m, void *arg)
{
	struct rt *r = arg;
	m->h = tp_back_h;
	dsp_mq_post(r->ctl, m);
}

static void tp_back_h(struct dsp_msg *m, void *arg)
{
	struct rt *r = arg;
	if (++tp_done >= tp_target) {
		if (--tp_active == 0)
			dsp_mq_free(tp_ctl);
		return;
	}
	m->h = tp_there_h;
	dsp_engine_post(r->e, 0, m);
}

int main(int argc, char **argv)
{
	unsigned rounds = 200000, window = 256;
	struct dsp_engine *e;
	uv_loop_t loop;
	struct rt *r;
	double t0, dt;
	int c;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		if (c == 'n')
			rounds = (unsigned)atoi(optarg);
	}
	if (dsp_engine_alloc(&e, 1))
		return 1;
	uv_loop_init(&loop);

	/* latency: one message bouncing */
	r = calloc(window, sizeof(*r));
	r[0].e = e;
	r[0].left = rounds;
	dsp_mq_alloc(&r[0].ctl, &loop);
	r[0].m.h = there_h;
	r[0].m.arg = &r[0];
	t0 = now_s();
	dsp_engine_post(e, 0, &r[0].m);
	uv_run(&loop, UV_RUN_DEFAULT);
	dt = now_s() - t0;
	printf("RESULT engine round_trip_us %.2f (%u round trips control<->media, 1 in flight)\n",
	       dt / rounds * 1e6, rounds);

	/* throughput: a window of messages bouncing until the total is done */
	dsp_mq_alloc(&tp_ctl, &loop);
	tp_target = rounds;
	tp_done = 0;
	tp_active = window;
	for (unsigned i = 0; i < window; i++) {
		r[i].e = e;
		r[i].ctl = tp_ctl;
		r[i].m.h = tp_there_h;
		r[i].m.arg = &r[i];
	}
	t0 = now_s();
	for (unsigned i = 0; i < window; i++)
		dsp_engine_post(e, 0, &r[i].m);
	uv_run(&loop, UV_RUN_DEFAULT);
	dt = now_s() - t0;
	printf("RESULT engine messages_per_s %.0f (%lu round trips, %u in flight, 2 hops each)\n",
	       (double)tp_done * 2 / dt, tp_done, window);
	dsp_engine_free(e);
	uv_loop_close(&loop);
	free(r);
	return 0;
}
