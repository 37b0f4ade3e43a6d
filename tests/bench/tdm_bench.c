/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TDM span benchmark: (1) the virtual span's audio path, gateway and
 * master in one thread over a real SOCK_SEQPACKET connection: blocks are
 * pushed as fast as the gateway answers them (a window of 8 in flight),
 * giving microseconds of thread CPU per 20 ms span frame (both ends,
 * decode + tick + encode + two sends) and the spans per core that
 * implies; (2) channel-group hunting: hunt + release pairs per second on
 * a 4 x E1 group (120 channels) for every strategy, with half the
 * channels busy.
 *   tdm_bench [-n blocks] [-h hunts]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "gw/span.h"
#include "gw/tdm_virt.h"

#define BENCH_SEQ0 1000000u

struct vb {
	uv_loop_t loop;
	struct gw_tdm_virt_master *m;
	struct gw_span *span;
	unsigned answered;
};

static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void rx_h(const uint8_t *rx, unsigned nchan, uint32_t seq, void *arg)
{
	struct vb *b = arg;
	(void)rx;
	(void)nchan;
	/* answers to the master's own 20 ms ticks are not ours to count */
	if (seq >= BENCH_SEQ0)
		b->answered++;
}

/* A gateway tick doing what the media layer minimally does: look at
 * every received sample and write every transmit sample. */
static void tick_h(struct gw_span *span, const struct gw_span_tick *t,
		   void *arg)
{
	(void)span;
	(void)arg;
	for (size_t i = 0; i < (size_t)t->nchan * GW_SPAN_BLOCK; i++)
		t->tx[i] = t->rx[i] ^ 0x55;
}

static int bench_virt(enum gw_span_type type, unsigned nblocks)
{
	const struct gw_tdm_virt_master_handlers mh = { .rx_h = rx_h };
	struct gw_span_cfg cfg;
	struct vb b;
	char dir[] = "/tmp/tdmbXXXXXX", path[64];
	uint8_t blk[GW_TDM_VIRT_MAX];
	size_t len;
	unsigned sent = 0, nb;
	double c0, w0, c1, w1;
	int err = 0;

	memset(&b, 0, sizeof(b));
	if (!mkdtemp(dir))
		return errno;
	snprintf(path, sizeof(path), "%s/s", dir);
	uv_loop_init(&b.loop);
	gw_span_cfg_default(&cfg, type, 1);
	nb = (unsigned)__builtin_popcount(cfg.bmask);
	if (gw_tdm_virt_master_alloc(&b.m, &b.loop, &cfg, &mh, &b) ||
	    gw_tdm_virt_master_listen(b.m, path))
		return EIO;
	cfg.ops = &gw_tdm_virt_ops;
	snprintf(cfg.dev, sizeof(cfg.dev), "%s", path);
	cfg.retry_ms = 10;
	if (gw_span_alloc(&b.span, &cfg) || gw_span_start(b.span, &b.loop) ||
	    gw_span_audio_attach(b.span, &b.loop, tick_h, NULL))
		return EIO;
	for (int i = 0; i < 2000 && !(gw_span_usable(b.span) &&
				      gw_tdm_virt_master_audio_up(b.m)); i++)
		uv_run(&b.loop, UV_RUN_ONCE);
	if (!gw_tdm_virt_master_audio_up(b.m)) {
		fprintf(stderr, "tdm_bench: gateway did not come up\n");
		return EIO;
	}
	for (size_t i = 0; i < (size_t)nb * GW_SPAN_BLOCK; i++)
		blk[GW_TDM_VIRT_HDR + i] = (uint8_t)i;
	b.answered = 0;
	c0 = cpu_us();
	w0 = wall_us();
	/* bounded: every round either sends or runs the loop once */
	for (unsigned long r = 0; b.answered < nblocks && r < 100ul * nblocks;
	     r++) {
		while (sent < nblocks && sent - b.answered < 8) {
			gw_tdm_virt_enc_audio(blk, sizeof(blk), &len,
					      BENCH_SEQ0 + sent,
					      blk + GW_TDM_VIRT_HDR,
					      (size_t)nb * GW_SPAN_BLOCK);
			if (gw_tdm_virt_master_send_raw(b.m, true, blk, len))
				break;
			sent++;
		}
		uv_run(&b.loop, UV_RUN_NOWAIT);
	}
	c1 = cpu_us();
	w1 = wall_us();
	if (b.answered < nblocks) {
		struct gw_tdm_virt_master_stats ms;
		struct gw_span_audio_stats as;
		gw_tdm_virt_master_stats(b.m, &ms);
		gw_span_audio_stats(b.span, &as);
		fprintf(stderr, "tdm_bench: only %u of %u answered (sent %u,"
			" master rx %lu malformed %lu, gw ticks %lu err %lu)\n",
			b.answered, nblocks, sent,
			(unsigned long)ms.blocks_rx,
			(unsigned long)ms.malformed,
			(unsigned long)as.ticks, (unsigned long)as.errors);
		err = EIO;
	} else {
		double per = (c1 - c0) / nblocks;
		printf("tdm_virt %s (%u B-channels): %u blocks, %.2f us CPU "
		       "per 20 ms frame (gateway + master, one thread), "
		       "%.2f us wall, %.0f spans per core (%.0f channels)\n",
		       gw_span_type_name(type), nb, nblocks, per,
		       (w1 - w0) / nblocks, 20000.0 / per,
		       20000.0 / per * nb);
	}
	gw_span_audio_detach(b.span);
	gw_span_free(b.span);
	gw_tdm_virt_master_free(b.m);
	for (int i = 0; i < 10; i++)
		uv_run(&b.loop, UV_RUN_NOWAIT);
	uv_loop_close(&b.loop);
	unlink(path);
	rmdir(dir);
	return err;
}

static int bench_hunt(enum gw_hunt hunt, unsigned nhunts)
{
	struct gw_span *sp[4];
	struct gw_span_group *g = NULL;
	struct gw_span_cfg cfg;
	double c0, c1;
	unsigned done = 0;

	if (gw_span_group_alloc(&g, "bench", hunt))
		return ENOMEM;
	for (unsigned i = 0; i < 4; i++) {
		gw_span_cfg_default(&cfg, GW_SPAN_E1, i + 1);
		if (gw_span_alloc(&sp[i], &cfg))
			return ENOMEM;
		gw_span_backend_line(sp[i], true, 0);
		gw_span_group_add(g, sp[i], 0);
		/* every other channel carries a call */
		for (unsigned k = 0; k < 30; k += 2)
			gw_span_chan_event(sp[i], gw_span_bchan_ts(sp[i], k),
					   GW_CHEV_SEIZE);
	}
	c0 = cpu_us();
	for (unsigned n = 0; n < nhunts; n++) {
		struct gw_span *s;
		unsigned ts;
		if (gw_span_group_hunt(g, &s, &ts))
			break;
		gw_span_chan_event(s, ts, GW_CHEV_RELEASE);
		done++;
	}
	c1 = cpu_us();
	printf("hunt %-10s 4xE1 group, 60 of 120 busy: %u hunt+release, "
	       "%.3f us each, %.0f per second\n", gw_hunt_name(hunt), done,
	       (c1 - c0) / done, done / ((c1 - c0) / 1e6));
	gw_span_group_free(g);
	for (unsigned i = 0; i < 4; i++)
		gw_span_free(sp[i]);
	return done == nhunts ? 0 : EIO;
}

int main(int argc, char **argv)
{
	unsigned nblocks = 20000, nhunts = 200000;
	int opt, err = 0;

	while ((opt = getopt(argc, argv, "n:h:")) != -1) {
		switch (opt) {
		case 'n': nblocks = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'h': nhunts = (unsigned)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: tdm_bench [-n blocks] "
				"[-h hunts]\n");
			return 2;
		}
	}
	if (!nblocks || !nhunts)
		return 2;
	log_set_level(LOGL_ERR);
	err |= bench_virt(GW_SPAN_E1, nblocks);
	err |= bench_virt(GW_SPAN_T1, nblocks);
	for (int h = GW_HUNT_ASC; h <= GW_HUNT_LRU; h++)
		err |= bench_hunt((enum gw_hunt)h, nhunts);
	return err ? 1 : 0;
}
