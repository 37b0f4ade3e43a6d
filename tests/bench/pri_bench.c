/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PRI signalling benchmark: two gw/pri spans (user and network side, real
 * libpri Q.921/Q.931 at both ends) back to back in one thread, frames
 * handed over in memory. Full calls (SETUP, CALL PROCEEDING, CONNECT,
 * CONNECT ACK, DISCONNECT, RELEASE, RELEASE COMPLETE) are run with up to
 * -c calls in flight on an E1 until -n have completed; prints calls per
 * second at zero failures, thread CPU microseconds per call (both ends)
 * and D-channel frames per call.
 *   pri_bench [-n calls] [-c concurrent]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "base/log.h"
#include "gw/pri.h"

#define QMAX 4096

struct frame {
	uint8_t b[260];
	uint8_t l;
};

struct side {
	struct gw_pri *pri;
	struct side *peer;
	struct bench *bench;
	struct frame *q;
	unsigned qn;
	bool up;
};

struct bench {
	uv_loop_t loop;
	uv_idle_t idle;
	struct side net, cpe;
	unsigned want, conc;
	unsigned started, done, failed, inflight;
	uint64_t frames;
	bool restarted;
};

static int frame_h(const uint8_t *frame, size_t len, void *arg)
{
	struct side *s = arg;

	if (s->qn >= QMAX || len > sizeof(s->q[0].b))
		return ENOBUFS;
	memcpy(s->q[s->qn].b, frame, len);
	s->q[s->qn].l = (uint8_t)len;
	s->qn++;
	return 0;
}

static void start_calls(struct bench *b)
{
	while (b->inflight < b->conc && b->started < b->want) {
		struct gw_pri_setup s;
		struct gw_pri_call *c;

		gw_pri_setup_init(&s);
		snprintf(s.called.num, sizeof(s.called.num), "1%03u",
			 b->started % 1000);
		snprintf(s.calling.num, sizeof(s.calling.num), "5551234");
		if (gw_pri_call_setup(b->cpe.pri, &s, NULL, &c)) {
			b->failed++;
			b->started++;
			b->done++;
			continue;
		}
		b->started++;
		b->inflight++;
	}
}

static void event_h(const struct gw_pri_event *ev, void *arg)
{
	struct side *s = arg;
	struct bench *b = s->bench;

	switch (ev->type) {
	case GW_PRI_EV_LINK_UP:
		s->up = true;
		break;
	case GW_PRI_EV_SETUP:
		gw_pri_call_answer(ev->call);
		break;
	case GW_PRI_EV_CONNECT:
		/* the caller clears as soon as it is answered */
		gw_pri_call_hangup(ev->call, 16);
		break;
	case GW_PRI_EV_DISCONNECT:
		gw_pri_call_hangup(ev->call, ev->cause);
		break;
	case GW_PRI_EV_RELEASE:
		if (s == &b->cpe) {
			if (ev->cause != 16)
				b->failed++;
			b->done++;
			b->inflight--;
		}
		break;
	default:
		break;
	}
}

static void deliver(struct side *from, struct bench *b)
{
	static struct frame q[QMAX];
	unsigned n = from->qn;

	memcpy(q, from->q, n * sizeof(q[0]));
	from->qn = 0;
	for (unsigned i = 0; i < n; i++)
		gw_pri_recv(from->peer->pri, q[i].b, q[i].l);
	b->frames += n;
}

static void idle_cb(uv_idle_t *h)
{
	struct bench *b = h->data;

	deliver(&b->net, b);
	deliver(&b->cpe, b);
	if (b->net.up && b->cpe.up &&
	    gw_pri_chan_count(b->cpe.pri, GW_PRI_CH_RESTARTING) == 0 &&
	    gw_pri_chan_count(b->net.pri, GW_PRI_CH_RESTARTING) == 0)
		start_calls(b);
	if (b->done >= b->want && !b->net.qn && !b->cpe.qn)
		uv_stop(&b->loop);
}

static double now_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static struct bench b;
	struct gw_pri_conf c;
	double w0, c0, w1, c1;
	uint64_t f0;
	int opt;

	b.want = 20000;
	b.conc = 30;
	while ((opt = getopt(argc, argv, "n:c:")) != -1) {
		if (opt == 'n')
			b.want = (unsigned)atoi(optarg);
		else if (opt == 'c')
			b.conc = (unsigned)atoi(optarg);
		else
			return 2;
	}
	if (!b.want || !b.conc || b.conc > 30)
		return 2;
	log_set_level(LOGL_ERR);
	uv_loop_init(&b.loop);
	b.net.q = calloc(QMAX, sizeof(struct frame));
	b.cpe.q = calloc(QMAX, sizeof(struct frame));
	b.net.peer = &b.cpe;
	b.cpe.peer = &b.net;
	b.net.bench = b.cpe.bench = &b;
	gw_pri_conf_init(&c);
	c.node = GW_PRI_NET;
	if (!b.net.q || !b.cpe.q ||
	    gw_pri_alloc(&b.net.pri, &b.loop, &c, frame_h, event_h, &b.net))
		return 1;
	c.node = GW_PRI_CPE;
	if (gw_pri_alloc(&b.cpe.pri, &b.loop, &c, frame_h, event_h, &b.cpe))
		return 1;
	uv_idle_init(&b.loop, &b.idle);
	b.idle.data = &b;
	gw_pri_start(b.net.pri);
	gw_pri_start(b.cpe.pri);
	/* Link establishment and start-up RESTARTs are not measured */
	while (!(b.net.up && b.cpe.up) ||
	       gw_pri_chan_count(b.cpe.pri, GW_PRI_CH_IDLE) < 30 ||
	       gw_pri_chan_count(b.net.pri, GW_PRI_CH_IDLE) < 30) {
		deliver(&b.net, &b);
		deliver(&b.cpe, &b);
		uv_run(&b.loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	f0 = b.frames;
	w0 = now_s(CLOCK_MONOTONIC);
	c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	uv_idle_start(&b.idle, idle_cb);
	uv_run(&b.loop, UV_RUN_DEFAULT);
	w1 = now_s(CLOCK_MONOTONIC);
	c1 = now_s(CLOCK_THREAD_CPUTIME_ID);
	printf("pri E1 euroisdn, user <-> network side in one thread, "
	       "%u calls, %u in flight\n", b.done, b.conc);
	printf("  calls/s          %10.0f  (failed %u)\n",
	       b.done / (w1 - w0), b.failed);
	printf("  us CPU per call  %10.1f  (both ends, libpri + gw/pri)\n",
	       (c1 - c0) * 1e6 / b.done);
	printf("  frames per call  %10.1f  (Q.921 I/RR frames, both ways)\n",
	       (double)(b.frames - f0) / b.done);
	uv_idle_stop(&b.idle);
	uv_close((uv_handle_t *)&b.idle, NULL);
	gw_pri_free(b.net.pri);
	gw_pri_free(b.cpe.pri);
	uv_run(&b.loop, UV_RUN_DEFAULT);
	uv_loop_close(&b.loop);
	free(b.net.q);
	free(b.cpe.q);
	return b.failed ? 1 : 0;
}
