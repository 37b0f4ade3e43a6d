/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Full media pipeline benchmark (dsp/chan): pairs of channels joined by
 * RTP on 127.0.0.1, each channel running the whole per-tick pipeline
 * (G.168 canceller with a 1024-tap / 128 ms tail, DTMF and fax tone
 * detection, G.711 A-law, RTP send/receive, jitter buffer, optional SRTP)
 * on a speech-level noise signal. Each pair is a call with a line echo on
 * both TDM sides (the block sent 20 ms earlier comes back 12 dB down, as
 * through a hybrid) and one talker at a time, switching every 2 s (the
 * pairs at staggered times): the
 * talking side's line carries noise plus its echo, the listening side's
 * only its echo, so the cancellers converge, track and see double talk
 * rarely, as on a real call. Two parts:
 *  - throughput: -c channels ticked back to back -f times on the main
 *    thread; thread CPU microseconds per channel per 20 ms frame (RTP
 *    receive included) and the channels per core that implies;
 *  - real time (-r SECONDS, -R list of channel counts): the channels are
 *    created on one dsp/engine media thread and ticked by a libuv timer
 *    on absolute 20 ms deadlines, as a span clock would. A tick is
 *    missed when its work ends after the next tick's deadline (the TDM
 *    block would have gone out late); an overrun is a tick whose own
 *    work took over 20 ms. The media thread's CPU time over the run
 *    (ticks plus RTP receive) gives CPU per channel per frame and the
 *    thread's load; RSS per channel is from /proc/self/statm.
 *
 *   chan_bench [-B PCT] [-c CHANNELS] [-f FRAMES] [-r SECONDS] [-R N,N,..] [-s] [-w FRAMES]
 *   (-s: SRTP; -f 0 skips the throughput part, -r 0 the real-time one;
 *   -w: untimed frames first so the cancellers have converged, default
 *   300 = 6 s of a call; -w 25 measures calls that are still converging;
 *   -B: the media thread's tick budget in % of 20 ms, past which the
 *   period's remaining channels run without canceller adaptation, as in
 *   gw/media (dsp_budget); default 80, 0 = none)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdatomic.h>
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
#include "dsp/engine.h"
#include "dsp/srtp.h"

struct bench {
	uv_loop_t *loop;
	struct dsp_chan **ch;
	unsigned n;
	uint8_t (*rx)[DSP_CHAN_TICK];
	uint8_t (*nz)[DSP_CHAN_TICK];   /* the talker's speech-level noise */
	uint8_t (*tx)[DSP_CHAN_TICK];   /* last block sent to each line */
	unsigned frame;
	/* overload control in the real-time run (dsp_budget) */
	struct dsp_budget bud;
	bool use_bud;
	uint64_t bud_src;
	unsigned first;                 /* channel ticked first */
	uv_timer_t timer;
	uv_timer_t watch;
	/* real-time run */
	bool srtp;
	unsigned want, secs, ticks, target_ticks, missed, overruns;
	unsigned warm;                  /* untimed ticks first (convergence) */
	uint64_t t_start_ns;            /* deadline of tick 0 */
	double max_us, sum_us, cpu0, cpu1, wall0, wall1;
	unsigned hist[64];              /* tick work, 1 ms buckets */
	long rss0, rss1;
	int err;
	struct dsp_msg msg;
	atomic_int done;
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
	b->nz = calloc(b->n, sizeof(*b->nz));
	b->tx = calloc(b->n, sizeof(*b->tx));
	if (!b->ch || !b->rx || !b->nz || !b->tx)
		return ENOMEM;
	memset(b->tx, 0xd5, b->n * sizeof(*b->tx)); /* A-law silence */
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
			b->nz[i][k] = dsp_law_encode1(DSP_LAW_ALAW, s);
		}
	}
}

static void tick_chans(struct bench *b)
{
	int16_t echo[DSP_CHAN_TICK], talk[DSP_CHAN_TICK];
	unsigned first = b->first;
	bool lean_seen = false;

	if (b->use_bud)
		dsp_budget_tick(&b->bud, &b->bud_src, b->n);
	for (unsigned j = 0; j < b->n; j++) {
		unsigned i = (first + j) % b->n;
		unsigned opt = 0;

		/* as a media thread does: past the budget, the rest of the
		 * period runs lean, and the first of them goes first next */
		if (b->use_bud && dsp_budget_lean(&b->bud)) {
			opt = DSP_CHAN_TICK_LEAN;
			if (!lean_seen)
				b->first = i;
			lean_seen = true;
		}
		/* pair p = i / 2 changes talker every 2 s, the pairs at
		 * staggered ticks (as independent calls do) */
		bool talks = (((b->frame + (i / 2) * 37) / 100) & 1) == (i & 1);

		/* the line: 12 dB hybrid echo of the last block sent, plus
		 * the talker; whole blocks through the G.711 tables, as the
		 * line's cost is not the pipeline's */
		dsp_law_decode(DSP_LAW_ALAW, b->tx[i], echo, DSP_CHAN_TICK);
		if (talks)
			dsp_law_decode(DSP_LAW_ALAW, b->nz[i], talk, DSP_CHAN_TICK);
		for (unsigned k = 0; k < DSP_CHAN_TICK; k++) {
			int32_t v = echo[k] / 4 + (talks ? talk[k] : 0);
			echo[k] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
		}
		dsp_law_encode(DSP_LAW_ALAW, echo, b->rx[i], DSP_CHAN_TICK);
		dsp_chan_tick_opt(b->ch[i], b->rx[i], b->tx[i], opt);
	}
	b->frame++;
}

/* main-thread throughput runs: tick, then let the loop receive */
static void tick_all(struct bench *b)
{
	tick_chans(b);
	uv_run(b->loop, UV_RUN_NOWAIT);
}

static void destroy(struct bench *b)
{
	for (unsigned i = 0; i < b->n; i++)
		dsp_chan_free(b->ch[i]);
	uv_run(b->loop, UV_RUN_DEFAULT);
	free(b->ch);
	free(b->rx);
	free(b->nz);
	free(b->tx);
}

/* ---- real time, on a media thread ---- */

static void rt_cb(uv_timer_t *t)
{
	struct bench *b = t->data;
	uint64_t deadline = b->t_start_ns + (uint64_t)b->ticks * 20000000u;
	double t0 = wall_us();
	/* inside the loop's callback: receiving happens between ticks */
	tick_chans(b);
	double t1 = wall_us();
	double dt = t1 - t0;
	uint64_t now = uv_hrtime();

	/* the block for this tick had to be out by the next deadline */
	if (now > deadline + 20000000u)
		b->missed++;
	if (dt > 20000)
		b->overruns++;
	if (dt > b->max_us)
		b->max_us = dt;
	b->sum_us += dt;
	b->hist[(unsigned)(dt / 1000) < 63 ? (unsigned)(dt / 1000) : 63]++;
	if (++b->ticks == b->target_ticks) {
		uv_timer_stop(t);
		b->cpu1 = cpu_us();
		b->wall1 = wall_us();
		return;
	}
	/* next absolute deadline; a late tick runs at once (catch-up),
	 * as a TDM driver hands over every block */
	uint64_t next = b->t_start_ns + (uint64_t)b->ticks * 20000000u;
	now = uv_hrtime();
	uint64_t wait_ms = next > now ? (next - now) / 1000000u : 0;
	uv_timer_start(t, rt_cb, wait_ms, 0);
}

static void rt_closed(uv_handle_t *h)
{
	struct bench *b = h->data;
	for (unsigned i = 0; i < b->n; i++)
		dsp_chan_free(b->ch[i]);
	free(b->ch);
	free(b->rx);
	free(b->nz);
	free(b->tx);
	b->ch = NULL;
	b->rx = NULL;
	b->nz = NULL;
	b->tx = NULL;
	uv_close((uv_handle_t *)&b->timer, NULL);
	atomic_store(&b->done, 1);
}

static void rt_stop_check(uv_timer_t *t)
{
	struct bench *b = t->data;
	if (b->ticks < b->target_ticks)
		return;
	uv_timer_stop(t);
	uv_close((uv_handle_t *)t, rt_closed);
}

static unsigned warm_frames = 300;
static unsigned budget_pct = 80;

/* runs on the media thread: create, tick, tear down */
static void rt_start(struct dsp_msg *m, void *arg)
{
	struct bench *b = arg;
	uint32_t seed = 99;
	(void)m;

	b->rss0 = rss_kb();
	if (make(b, b->want, b->srtp)) {
		b->err = 1;
		atomic_store(&b->done, 1);
		return;
	}
	b->rss1 = rss_kb();
	fill_noise(b, &seed);
	/* calls in progress: both sides have talked, the cancellers have
	 * converged (untimed, back to back, RTP received in between) */
	for (unsigned f = 0; f < b->warm; f++) {
		tick_chans(b);
		uv_run(b->loop, UV_RUN_NOWAIT);
	}
	b->target_ticks = b->secs * 50;
	uv_timer_init(b->loop, &b->timer);
	b->timer.data = b;
	uv_timer_init(b->loop, &b->watch);
	b->watch.data = b;
	uv_update_time(b->loop);
	b->t_start_ns = uv_hrtime() + 20000000u;
	if (budget_pct) {
		dsp_budget_init(&b->bud, 20, budget_pct);
		b->use_bud = true;
	}
	b->cpu0 = cpu_us();
	b->wall0 = wall_us();
	uv_timer_start(&b->timer, rt_cb, 20, 0);
	uv_timer_start(&b->watch, rt_stop_check, 100, 100);
}


static int realtime(unsigned nch, unsigned secs, bool srtp)
{
	struct dsp_engine *e;
	struct bench *b = calloc(1, sizeof(*b));
	int err;

	if (!b)
		return 1;
	err = dsp_engine_alloc(&e, 1);
	if (err) {
		fprintf(stderr, "chan_bench: engine: %s\n", strerror(err));
		free(b);
		return 1;
	}
	b->loop = dsp_engine_loop(e, 0);
	b->want = nch;
	b->secs = secs;
	b->warm = warm_frames;
	b->srtp = srtp;
	b->msg.h = rt_start;
	b->msg.arg = b;
	dsp_engine_post(e, 0, &b->msg);
	/* bounded wait: the run, set-up and tear-down, with slack */
	for (unsigned ms = 0; !atomic_load(&b->done); ms += 10) {
		if (ms > (secs + 60) * 1000u) {
			fprintf(stderr, "chan_bench: real-time run stuck\n");
			_exit(1);
		}
		usleep(10000);
	}
	if (b->err) {
		dsp_engine_free(e);
		free(b);
		return 1;
	}
	unsigned p99 = 0, seen = 0;
	for (unsigned i = 0; i < 64; i++) {
		seen += b->hist[i];
		if (seen * 100u >= b->ticks * 99u) {
			p99 = i + 1;
			break;
		}
	}
	double cpu = b->cpu1 - b->cpu0, wall = b->wall1 - b->wall0;
	double per = cpu / ((double)b->ticks * b->n);
	printf("RESULT chan_realtime%s channels %u ticks %u missed_ticks %u "
	       "overruns %u max_tick_us %.0f mean_tick_us %.0f p99_tick_ms <=%u "
	       "cpu_us_per_channel_frame %.2f thread_load %.0f%% "
	       "channels_per_core %.0f rss_kb_per_channel %.1f "
	       "lean_blocks %.2f%% lean_ticks %llu (one media thread, "
	       "%u s of 20 ms ticks on absolute deadlines, RTP receive included, "
	       "tick budget %u%%)\n",
	       srtp ? "_srtp" : "", b->n, b->ticks, b->missed, b->overruns,
	       b->max_us, b->sum_us / b->ticks, p99, per, 100.0 * cpu / wall,
	       20000.0 / per, (double)(b->rss1 - b->rss0) / b->n,
	       100.0 * (double)b->bud.lean_blocks / ((double)b->ticks * b->n),
	       (unsigned long long)b->bud.lean_periods, secs, budget_pct);
	dsp_engine_free(e);
	free(b);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned nch = 64, frames = 500, secs = 5;
	const char *rlist = NULL;
	bool srtp = false;
	struct bench b;
	uint32_t seed = 1;
	int c;

	while ((c = getopt(argc, argv, "B:c:f:r:R:sw:")) != -1) {
		switch (c) {
		case 'B': budget_pct = (unsigned)atoi(optarg); break;
		case 'c': nch = (unsigned)atoi(optarg); break;
		case 'w': warm_frames = (unsigned)atoi(optarg); break;
		case 'f': frames = (unsigned)atoi(optarg); break;
		case 'r': secs = (unsigned)atoi(optarg); break;
		case 'R': rlist = optarg; break;
		case 's': srtp = true; break;
		default: return 2;
		}
	}
	if (nch < 2 || nch > 4000 || secs > 60) {
		fprintf(stderr, "chan_bench: 2..4000 channels, at most 60 s\n");
		return 2;
	}
	if (frames) {
		memset(&b, 0, sizeof(b));
		b.loop = uv_default_loop();
		long rss0 = rss_kb();
		if (make(&b, nch, srtp))
			return 1;
		long rss1 = rss_kb();
		fill_noise(&b, &seed);
		/* warm up: probation, buffers, cancellers converged */
		for (unsigned f = 0; f < (warm_frames > 25 ? warm_frames : 25); f++)
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
		       "DTMF+fax detection, PCMA, RTP on 127.0.0.1, thread CPU time)\n",
		       srtp ? "_srtp" : "", per, 20000.0 / per,
		       (double)(rss1 - rss0) / b.n, b.n, frames);
		destroy(&b);
	}
	if (secs) {
		char buf[256];
		snprintf(buf, sizeof(buf), "%s", rlist ? rlist : "");
		if (!rlist)
			snprintf(buf, sizeof(buf), "%u", nch);
		for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
			unsigned n = (unsigned)atoi(tok);
			if (n < 2 || n > 4000)
				continue;
			if (realtime(n, secs, srtp))
				return 1;
			fflush(stdout);
		}
	}
	return 0;
}
