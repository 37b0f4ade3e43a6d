/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for gw/tdm_dahdi without a card: this test program replaces
 * open/ioctl/read/write/close with a small emulation of the DAHDI
 * character-device ABI (<dahdi/user.h>) for paths under /fake-dahdi/.
 * Each emulated channel is one end of a SOCK_SEQPACKET socketpair (so
 * reads and writes keep their block/frame boundaries and libuv can poll
 * it); the test plays the card on the other end. Everything else passes
 * straight to the kernel. Covered: DAHDI_SPECIFY + DAHDI_GET_PARAMS
 * placement checks, blocksize/bufinfo/law/audio mode, HDLC frames with
 * the 2 FCS bytes both ways, ELAST + DAHDI_GETEVENT (bad FCS, abort,
 * alarm), DAHDI_SPANSTAT alarms, and the 20 ms audio path.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/log.h"
#include "gw/span.h"

#ifdef HAVE_DAHDI
#include <dahdi/user.h>

#include "gw/dahdi_conf.h"
#include "gw/tdm_dahdi.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define FAKE "/fake-dahdi"
#define MAXFD 1024

/* ---- the emulated driver ---- */

struct fake_fd {
	bool used;
	bool ctl;
	int peer;               /* the card's end */
	int channo;             /* after DAHDI_SPECIFY */
	int blocksize, law, audiomode;
	struct dahdi_bufferinfo bi;
	int events[8];
	unsigned nev;
};

struct fake_drv {
	struct fake_fd fd[MAXFD];
	int span_alarms[8];     /* DAHDI_ALARM_* per span number */
	int dchan_sig;          /* sigtype of the D-channels */
	int spanno_offset;      /* make the driver disagree with the conf */
	unsigned opens;
};

/* Test-global by necessity: the libc replacements have no context. */
static struct fake_drv drv;

static bool is_fake(int fd)
{
	return fd >= 0 && fd < MAXFD && drv.fd[fd].used;
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	int sv[2];

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (strncmp(path, FAKE "/", sizeof(FAKE)))
		return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
	if (strcmp(path, FAKE "/channel") && strcmp(path, FAKE "/ctl")) {
		errno = ENOENT;
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
		       ((flags & O_NONBLOCK) ? SOCK_NONBLOCK : 0), 0, sv))
		return -1;
	if (sv[0] >= MAXFD) {
		syscall(SYS_close, sv[0]);
		syscall(SYS_close, sv[1]);
		errno = EMFILE;
		return -1;
	}
	memset(&drv.fd[sv[0]], 0, sizeof(drv.fd[0]));
	drv.fd[sv[0]].used = true;
	drv.fd[sv[0]].ctl = !strcmp(path, FAKE "/ctl");
	drv.fd[sv[0]].peer = sv[1];
	drv.opens++;
	return sv[0];
}

static int chan_span(int channo)
{
	return (channo - 1) / 31 + 1;
}

static int fake_ioctl(struct fake_fd *f, unsigned long req, void *arg)
{
	switch (req) {
	case DAHDI_SPECIFY:
		if (f->ctl || f->channo || *(int *)arg < 1 ||
		    *(int *)arg > 62) {
			errno = EINVAL;
			return -1;
		}
		f->channo = *(int *)arg;
		return 0;
	case DAHDI_GET_PARAMS: {
		struct dahdi_params *p = arg;
		if (!f->channo) {
			errno = EINVAL;
			return -1;
		}
		memset(p, 0, sizeof(*p));
		p->channo = f->channo;
		p->spanno = chan_span(f->channo) + drv.spanno_offset;
		p->chanpos = (f->channo - 1) % 31 + 1;
		p->sigtype = p->chanpos == 16 ? drv.dchan_sig : DAHDI_SIG_CLEAR;
		p->curlaw = DAHDI_LAW_ALAW;
		return 0;
	}
	case DAHDI_SET_BLOCKSIZE:
		f->blocksize = *(int *)arg;
		return 0;
	case DAHDI_SET_BUFINFO:
		f->bi = *(struct dahdi_bufferinfo *)arg;
		return 0;
	case DAHDI_SETLAW:
		f->law = *(int *)arg;
		return 0;
	case DAHDI_AUDIOMODE:
		f->audiomode = *(int *)arg;
		return 0;
	case DAHDI_GETEVENT: {
		uint8_t m;
		if (!f->nev) {
			*(int *)arg = DAHDI_EVENT_NONE;
			return 0;
		}
		/* the event's marker datagram goes with it */
		(void)syscall(SYS_recvfrom, (int)(f - drv.fd), &m, 1,
			      MSG_DONTWAIT, NULL, NULL);
		*(int *)arg = f->events[0];
		memmove(f->events, f->events + 1,
			--f->nev * sizeof(f->events[0]));
		return 0;
	}
	case DAHDI_SPANSTAT: {
		struct dahdi_spaninfo *si = arg;
		int s = si->spanno;
		if (s < 1 || s > 2) {
			errno = EINVAL;
			return -1;
		}
		memset(si, 0, sizeof(*si));
		si->spanno = s;
		si->alarms = drv.span_alarms[s];
		si->totalchans = 31;
		return 0;
	}
	}
	errno = ENOTTY;
	return -1;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	/* libuv's FIONBIO/FIOCLEX on our sockets go to the kernel */
	if (!is_fake(fd) || _IOC_TYPE(req) != DAHDI_CODE)
		return (int)syscall(SYS_ioctl, fd, req, arg);
	return fake_ioctl(&drv.fd[fd], req, arg);
}

/* A pending event makes read and write fail with ELAST, as DAHDI does.
 * The card sends a 1-byte marker with each event so the fd polls
 * readable; DAHDI_GETEVENT consumes it with the event. */
ssize_t read(int fd, void *buf, size_t n)
{
	if (is_fake(fd) && drv.fd[fd].nev) {
		errno = ELAST;
		return -1;
	}
	return syscall(SYS_read, fd, buf, n);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	if (is_fake(fd) && drv.fd[fd].nev) {
		errno = ELAST;
		return -1;
	}
	return syscall(SYS_write, fd, buf, n);
}

int close(int fd)
{
	if (is_fake(fd)) {
		syscall(SYS_close, drv.fd[fd].peer);
		drv.fd[fd].used = false;
	}
	return (int)syscall(SYS_close, fd);
}

static struct fake_fd *fake_by_chan(int channo)
{
	for (int i = 0; i < MAXFD; i++) {
		if (drv.fd[i].used && drv.fd[i].channo == channo)
			return &drv.fd[i];
	}
	return NULL;
}

static unsigned fake_open_count(void)
{
	unsigned n = 0;
	for (int i = 0; i < MAXFD; i++)
		n += drv.fd[i].used;
	return n;
}

/* The card raises an event on channel channo. */
static void card_event(int channo, int ev)
{
	struct fake_fd *f = fake_by_chan(channo);
	uint8_t m = 0;

	assert_non_null(f);
	f->events[f->nev++] = ev;
	assert_int_equal(send(f->peer, &m, 1, 0), 1);
}

/* ---- the test ---- */

struct obs {
	unsigned hdlc_rx, hdlc_err, alarm_calls, ticks, bad;
	uint8_t frame[64];
	size_t flen;
	enum gw_span_hdlc_err last_err;
};

static void hdlc_h(struct gw_span *s, const uint8_t *f, size_t len,
		   void *arg)
{
	struct obs *o = arg;
	(void)s;
	if (len <= sizeof(o->frame)) {
		memcpy(o->frame, f, len);
		o->flen = len;
	}
	o->hdlc_rx++;
}

static void hdlc_err_h(struct gw_span *s, enum gw_span_hdlc_err e, void *arg)
{
	struct obs *o = arg;
	(void)s;
	o->last_err = e;
	o->hdlc_err++;
}

static void alarm_h(struct gw_span *s, unsigned a, bool up, void *arg)
{
	struct obs *o = arg;
	(void)s;
	(void)a;
	(void)up;
	o->alarm_calls++;
}

/* Card fills channel i with i ^ seq; the gateway answers with ~(i ^ seq). */
static void tick_h(struct gw_span *s, const struct gw_span_tick *t, void *arg)
{
	struct obs *o = arg;
	(void)s;
	for (unsigned i = 0; i < t->nchan; i++) {
		uint8_t want = (uint8_t)(i ^ o->ticks);
		if (t->rx[i * GW_SPAN_BLOCK] != want ||
		    t->rx[i * GW_SPAN_BLOCK + 159] != want)
			o->bad++;
		memset(t->tx + i * GW_SPAN_BLOCK, (uint8_t)~want, GW_SPAN_BLOCK);
	}
	o->ticks++;
}

static void spin(uv_loop_t *loop)
{
	for (int i = 0; i < 20; i++) {
		uv_run(loop, UV_RUN_NOWAIT);
		usleep(500);
	}
}

static void load_cfg(struct gw_span_cfg *cfg, unsigned num)
{
	struct gw_dahdi_conf *c = NULL;
	char err[256];

	assert_int_equal(gw_dahdi_conf_load("tests/data/dahdi/e1_pri_2span.conf",
					    &c, err, sizeof(err)), 0);
	assert_int_equal(gw_dahdi_conf_span_cfg(c, num, cfg, err, sizeof(err)),
			 0);
	gw_dahdi_conf_free(c);
	snprintf(cfg->dev, sizeof(cfg->dev), "%s", FAKE);
}

static void test_dahdi_span(void **state)
{
	const struct gw_span_handlers h = { hdlc_h, alarm_h, hdlc_err_h };
	static const uint8_t sabme[] = { 0x02, 0x01, 0x7f };
	uv_loop_t loop;
	struct gw_span_cfg cfg;
	struct gw_span *span = NULL;
	struct obs o;
	struct fake_fd *d;
	uint8_t buf[256];
	ssize_t n;
	(void)state;

	memset(&drv, 0, sizeof(drv));
	memset(&o, 0, sizeof(o));
	drv.dchan_sig = DAHDI_SIG_HDLCFCS;
	assert_int_equal(uv_loop_init(&loop), 0);
	/* span 2 of the quad card: channels 32-62, D = channel 47 */
	load_cfg(&cfg, 2);
	assert_int_equal(cfg.chan_base, 32);
	assert_ptr_equal(cfg.ops, &gw_tdm_dahdi_ops);
	assert_int_equal(gw_span_alloc(&span, &cfg), 0);
	gw_span_set_handlers(span, &h, &o);
	assert_int_equal(gw_span_start(span, &loop), 0);
	assert_true(gw_span_usable(span));
	d = fake_by_chan(47);
	assert_non_null(d);
	assert_int_equal(d->bi.bufsize, GW_SPAN_HDLC_MAX + 2);
	assert_int_equal(d->bi.rxbufpolicy, DAHDI_POLICY_IMMEDIATE);

	/* card -> gateway: frame + FCS, delivered without the FCS */
	memcpy(buf, sabme, 3);
	buf[3] = 0x12;
	buf[4] = 0x34;
	assert_int_equal(send(d->peer, buf, 5, 0), 5);
	/* a runt (FCS only) is a receive error, not a frame */
	assert_int_equal(send(d->peer, buf, 2, 0), 2);
	spin(&loop);
	assert_int_equal(o.hdlc_rx, 1);
	assert_int_equal(o.flen, 3);
	assert_memory_equal(o.frame, sabme, 3);
	assert_int_equal(o.hdlc_err, 1);

	/* gateway -> card: 2 placeholder bytes for DAHDI's FCS */
	assert_int_equal(gw_span_hdlc_send(span, sabme, 3), 0);
	n = recv(d->peer, buf, sizeof(buf), MSG_DONTWAIT);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, sabme, 3);

	/* events: bad FCS, abort; then an alarm read through SPANSTAT */
	card_event(47, DAHDI_EVENT_BADFCS);
	spin(&loop);
	assert_int_equal(o.hdlc_err, 2);
	assert_int_equal(o.last_err, GW_HDLC_BADFCS);
	card_event(47, DAHDI_EVENT_ABORT);
	spin(&loop);
	assert_int_equal(o.last_err, GW_HDLC_ABORT);
	drv.span_alarms[2] = DAHDI_ALARM_RED | DAHDI_ALARM_LOS;
	card_event(47, DAHDI_EVENT_ALARM);
	spin(&loop);
	assert_int_equal(gw_span_alarms(span), GW_ALARM_RED);
	assert_false(gw_span_usable(span));
	drv.span_alarms[2] = DAHDI_ALARM_YELLOW;
	card_event(47, DAHDI_EVENT_NOALARM);
	spin(&loop);
	assert_int_equal(gw_span_alarms(span), GW_ALARM_YELLOW);
	drv.span_alarms[2] = 0;
	card_event(47, DAHDI_EVENT_NOALARM);
	spin(&loop);
	assert_true(gw_span_usable(span));
	/* a write while an event is pending consumes it and retries */
	card_event(47, DAHDI_EVENT_BADFCS);
	assert_int_equal(gw_span_hdlc_send(span, sabme, 3), 0);
	assert_int_equal(recv(d->peer, buf, sizeof(buf), MSG_DONTWAIT), 5);
	assert_int_equal(o.hdlc_err, 4);
	spin(&loop);
	assert_int_equal(o.hdlc_err, 4);

	/* audio: 30 B-channels opened with blocksize 160, A-law, audio mode */
	assert_int_equal(gw_span_audio_attach(span, &loop, tick_h, &o), 0);
	for (unsigned i = 0; i < gw_span_bchan_count(span); i++) {
		unsigned ts = gw_span_bchan_ts(span, i);
		struct fake_fd *b = fake_by_chan((int)(31 + ts));
		assert_non_null(b);
		assert_int_equal(b->blocksize, GW_SPAN_BLOCK);
		assert_int_equal(b->law, DAHDI_LAW_ALAW);
		assert_int_equal(b->audiomode, 1);
		assert_int_equal(b->bi.bufsize, GW_SPAN_BLOCK);
	}
	for (unsigned t = 0; t < 5; t++) {
		uint8_t blk[GW_SPAN_BLOCK];
		/* the card delivers one block on every B-channel ... */
		for (unsigned i = 0; i < 30; i++) {
			unsigned ts = gw_span_bchan_ts(span, i);
			memset(blk, (uint8_t)(i ^ t), sizeof(blk));
			assert_int_equal(send(fake_by_chan((int)(31 + ts))->peer,
					      blk, sizeof(blk), 0),
					 (ssize_t)sizeof(blk));
		}
		spin(&loop);
		assert_int_equal(o.ticks, t + 1);
		/* ... and gets the gateway's block back on each */
		for (unsigned i = 0; i < 30; i++) {
			unsigned ts = gw_span_bchan_ts(span, i);
			n = recv(fake_by_chan((int)(31 + ts))->peer, blk,
				 sizeof(blk), MSG_DONTWAIT);
			assert_int_equal(n, GW_SPAN_BLOCK);
			assert_int_equal(blk[0], (uint8_t)~(i ^ t));
		}
	}
	assert_int_equal(o.bad, 0);
	gw_span_audio_detach(span);
	spin(&loop);
	gw_span_free(span);
	spin(&loop);
	assert_int_equal(uv_loop_close(&loop), 0);
	/* every emulated channel was closed */
	assert_int_equal(fake_open_count(), 0);
}

static void test_dahdi_refusals(void **state)
{
	static const struct {
		int dchan_sig;
		int spanno_offset;
		unsigned chan_base;     /* 0 = from system.conf */
		int err;
	} testv[] = {
		/* channel numbers belong to another span in the driver */
		{ DAHDI_SIG_HDLCFCS, 1, 0, ENXIO },
		/* TS16 configured as a clear channel, not HDLC */
		{ DAHDI_SIG_CLEAR, 0, 0, EINVAL },
		/* hardware HDLC is fine */
		{ DAHDI_SIG_HARDHDLC, 0, 0, 0 },
		/* no channel numbers at all */
		{ DAHDI_SIG_HDLCFCS, 0, 0xffff, EINVAL },
	};
	(void)state;
	for (size_t i = 0; i < N(testv); i++) {
		uv_loop_t loop;
		struct gw_span_cfg cfg;
		struct gw_span *span = NULL;
		int err;

		memset(&drv, 0, sizeof(drv));
		drv.dchan_sig = testv[i].dchan_sig;
		drv.spanno_offset = testv[i].spanno_offset;
		assert_int_equal(uv_loop_init(&loop), 0);
		load_cfg(&cfg, 1);
		if (testv[i].chan_base == 0xffff)
			cfg.chan_base = 0;
		assert_int_equal(gw_span_alloc(&span, &cfg), 0);
		err = gw_span_start(span, &loop);
		if (err != testv[i].err)
			fail_msg("row %zu: start %d want %d", i, err,
				 testv[i].err);
		gw_span_free(span);
		spin(&loop);
		assert_int_equal(uv_loop_close(&loop), 0);
		assert_int_equal(fake_open_count(), 0);
	}
}

static void test_dahdi_alarm_map(void **state)
{
	static const struct {
		int in;
		unsigned out;
	} testv[] = {
		{ DAHDI_ALARM_NONE, 0 },
		{ DAHDI_ALARM_RED, GW_ALARM_RED },
		{ DAHDI_ALARM_LOS, GW_ALARM_RED },
		{ DAHDI_ALARM_NOTOPEN, GW_ALARM_RED },
		{ DAHDI_ALARM_RECOVER, GW_ALARM_RED },
		{ DAHDI_ALARM_YELLOW, GW_ALARM_YELLOW },
		{ DAHDI_ALARM_BLUE, GW_ALARM_BLUE },
		{ DAHDI_ALARM_LOOPBACK, GW_ALARM_LOOPBACK },
		{ DAHDI_ALARM_RED | DAHDI_ALARM_YELLOW,
		  GW_ALARM_RED | GW_ALARM_YELLOW },
	};
	(void)state;
	for (size_t i = 0; i < N(testv); i++)
		assert_int_equal(gw_tdm_dahdi_alarms(testv[i].in), testv[i].out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dahdi_span),
		cmocka_unit_test(test_dahdi_refusals),
		cmocka_unit_test(test_dahdi_alarm_map),
	};
	log_set_level(LOGL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#else /* !HAVE_DAHDI */

static void test_no_dahdi(void **state)
{
	(void)state;
	assert_null(gw_tdm_ops_find("dahdi"));
	skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_dahdi),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
