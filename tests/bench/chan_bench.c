/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Full media pipeline benchmark (dsp/chan): pairs of channels joined by
 * RTP on 127.0.0.1, each channel running the whole per-tick pipeline
 * (G.168 canceller with a 1024-tap / 128 ms tail, DTMF and fax tone
 * detection, G.711 A-law, RTP send/receive, jitter buffer, optional SRTP)
 * on a speech-level noise signal. Prints thread CPU microseconds per
 * channel per 20 ms frame and the channels per core that implies, then a
 * real-time run: CHANNELS channels ticked every 20 ms by a libuv timer
 * on one thread for SECONDS, counting ticks whose work overran 20 ms.
 * RSS per channel is measured from /proc/self/statm.
 *
 *   chan_bench [-c CHANNELS] [-f FRAMES] [-r SECONDS] [-s]   (-s: SRTP)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "dsp/chan.h"
#include "dsp/codec.h"
#include "dsp/srtp.h"

struct bench {
	uv_loop_t *loop;
	struct dsp_chan **ch;
	unsigned n;
	uint8_t (*rx)[DSP_CHAN_TICK];
	uint8_t tx[DSP_CHAN_TICK];
	uv_timer_t timer;
	unsigned ticks, overruns, max_us, target_ticks;
};

static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static long rss_kb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void loopback(struct sockaddr_storage *sa, uint16_t port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
	memset(sa, 0, sizeof(*sa));
	s4->sin_family = AF_INET;
	s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s4->sin_port = htons(port);
}

static int make(struct bench *b, unsigned n, bool srtp)
{
	struct dsp_chan_cfg cfg;
	uint8_t k1[DSP_SRTP_MAX_KEY], k2[DSP_SRTP_MAX_KEY];
	size_t l1 = 0, l2 = 0;

	b->n = n & ~1u;
	b->ch = calloc(b->n, sizeof(*b->ch));
	b->rx = calloc(b->n, sizeof(*b->rx));
	dsp_chan_cfg_default(&cfg);
	cfg.port_min = 20000;
	cfg.port_max = 29999;
	loopback(&cfg.local, 0);
	if (srtp) {
		dsp_srtp_global_init();
		dsp_srtp_keygen(DSP_SRTP_AES_CM_128_HMAC_SHA1_80, k1, sizeof(k1), &l1);
		dsp_srtp_keygen(DSP_SRTP_AES_CM_128_HMAC_SHA1_80, k2, sizeof(k2), &l2);
		cfg.srtp = true;
	}
	for (unsigned i = 0; i < b->n; i++) {
		struct dsp_chan_cfg c = cfg;
		if (srtp) {
			memcpy(c.tx_key, i & 1 ? k2 : k1, l1);
			c.tx_key_len = l1;
			memcpy(c.rx_key, i & 1 ? k1 : k2, l1);
			c.rx_key_len = l1;
		}
		if (dsp_chan_alloc(&b->ch[i], b->loop, &c, NULL, NULL)) {
			fprintf(stderr, "chan_bench: channel %u: cannot allocate\n", i);
			return 1;
		}
	}
	for (unsigned i = 0; i < b->n; i += 2) {
		struct sockaddr_storage sa;
		loopback(&sa, dsp_chan_port(b->ch[i + 1]));
		dsp_chan_set_remote(b->ch[i], (struct sockaddr *)&sa, sizeof(struct sockaddr_in));
		loopback(&sa, dsp_chan_port(b->ch[i]));
		dsp_chan_set_remote(b->ch[i + 1], (struct sockaddr *)&sa, sizeof(struct sockaddr_in));
	}
	return 0;
}

static void fill_noise(struct bench *b, uint32_t *seed)
{
	/* white noise around -20 dBm0 in A-law: busy detectors and canceller */
	for (unsigned i = 0; i < b->n; i++) {
		for (unsigned k = 0; k < DSP_CHAN_TICK; k++) {
			*seed = *seed * 1664525u + 1013904223u;
			int16_t s = (int16_t)((int32_t)(*seed >> 16) % 2300 - 1150);
			b->rx[i][k] = dsp_law_encode1(DSP_LAW_ALAW, s);
		}
	}
}

static void tick_all(struct bench *b)
{
	for (unsigned i = 0; i < b->n; i++)
		dsp_chan_tick(b->ch[i], b->rx[i], b->tx);
	uv_run(b->loop, UV_RUN_NOWAIT);
}

static void destroy(struct bench *b)
{
	for (unsigned i = 0; i < b->n; i++)
		dsp_chan_free(b->ch[i]);
	uv_run(b->loop, UV_RUN_DEFAULT);
	free(b->ch);
	free(b->rx);
}

static void rt_cb(uv_timer_t *t)
{
	struct bench *b = t->data;
	double t0 = wall_us();
	tick_all(b);
	double dt = wall_us() - t0;
	if (dt > 20000)
		b->overruns++;
	if (dt > b->max_us)
		b->max_us = (unsigned)dt;
	if (++b->ticks == b->target_ticks)
		uv_timer_stop(t);
}

int main(int argc, char **argv)
{
	unsigned nch = 64, frames = 500, secs = 5;
	bool srtp = false;
	struct bench b;
	uint32_t seed = 1;
	int c;

	while ((c = getopt(argc, argv, "c:f:r:s")) != -1) {
		switch (c) {
		case 'c': nch = (unsigned)atoi(optarg); break;
		case 'f': frames = (unsigned)atoi(optarg); break;
		case 'r': secs = (unsigned)atoi(optarg); break;
		case 's': srtp = true; break;
		default: return 2;
		}
	}
	memset(&b, 0, sizeof(b));
	b.loop = uv_default_loop();
	long rss0 = rss_kb();
	if (make(&b, nch, srtp))
		return 1;
	long rss1 = rss_kb();
	fill_noise(&b, &seed);
	for (unsigned f = 0; f < 25; f++) /* warm up: probation, buffers */
		tick_all(&b);
	double t0 = cpu_us();
	for (unsigned f = 0; f < frames; f++) {
		if ((f & 15) == 0)
			fill_noise(&b, &seed);
		tick_all(&b);
	}
	double per = (cpu_us() - t0) / ((double)frames * b.n);
	printf("RESULT chan_pipeline%s us_per_channel_frame %.2f channels_per_core %.0f "
	       "rss_kb_per_channel %.1f (%u channels, %u frames, EC 1024 taps, "
	       "DTMF+fax detection, PCMA, RTP on 127.0.0.1)\n",
	       srtp ? "_srtp" : "", per, 20000.0 / per,
	       (double)(rss1 - rss0) / b.n, b.n, frames);

	if (secs) {
		b.target_ticks = secs * 50;
		uv_timer_init(b.loop, &b.timer);
		b.timer.data = &b;
		uv_timer_start(&b.timer, rt_cb, 20, 20);
		uv_run(b.loop, UV_RUN_DEFAULT);
		printf("RESULT chan_realtime%s channels %u ticks %u overruns %u max_tick_us %u\n",
		       srtp ? "_srtp" : "", b.n, b.ticks, b.overruns, b.max_us);
		uv_close((uv_handle_t *)&b.timer, NULL);
	}
	destroy(&b);
	return 0;
}
