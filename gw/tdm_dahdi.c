/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DAHDI span backend (see tdm_dahdi.h): channels opened through
 * /dev/dahdi/channel + DAHDI_SPECIFY, G.711 B-channels in 160-byte blocks
 * (20 ms), the HDLC signalling channel (Q.921 / MTP2 frames, FCS handled
 * by DAHDI or the card), DAHDI_GETEVENT on ELAST and DAHDI_SPANSTAT for
 * line alarms (G.775 red/yellow/blue).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <dahdi/user.h>

#include "base/log.h"
#include "gw/span.h"
#include "gw/tdm_dahdi.h"

#define MOD "dahdi"
#define FCS_LEN 2
/* Receive/transmit buffers for the signalling channel. */
#define D_NUMBUFS 32
#define D_BUFSIZE (GW_SPAN_HDLC_MAX + FCS_LEN)
/* B-channel buffering: a few 20 ms blocks absorb scheduling jitter. */
#define B_NUMBUFS 4
/* Frames or events handled per wakeup, so a babbling link cannot starve
 * the loop. */
#define D_BURST 32
#define SPANSTAT_MS 1000

struct dahdi_audio {
	struct gw_span *span;
	uv_loop_t *loop;
	uv_poll_t poll;
	unsigned nb;
	int fd[GW_SPAN_MAX_TS];
	uint32_t seq;
	uint8_t idle;
	uint8_t rx[GW_SPAN_MAX_TS * GW_SPAN_BLOCK];
	uint8_t tx[GW_SPAN_MAX_TS * GW_SPAN_BLOCK];
};

struct dahdi_be {
	struct gw_span *span;
	uv_loop_t *loop;
	int dfd;                /* signalling channel, -1 if none */
	int ctlfd;              /* /dev/dahdi/ctl for DAHDI_SPANSTAT */
	uv_poll_t dpoll;
	uv_timer_t stat;
	unsigned handles;
	unsigned alarms;
	bool dpoll_on;
	/* media thread only, between attach and detach */
	struct dahdi_audio *audio;
	uint8_t rbuf[D_BUFSIZE];
	uint8_t wbuf[D_BUFSIZE];
};

unsigned gw_tdm_dahdi_alarms(int a)
{
	unsigned out = 0;

	/* a span that is not running, recovering or has lost signal or
	 * framing is red: it cannot carry calls */
	if (a & (DAHDI_ALARM_RED | DAHDI_ALARM_NOTOPEN | DAHDI_ALARM_RECOVER |
		 DAHDI_ALARM_LOS | DAHDI_ALARM_LFA | DAHDI_ALARM_LMFA))
		out |= GW_ALARM_RED;
	if (a & DAHDI_ALARM_YELLOW)
		out |= GW_ALARM_YELLOW;
	if (a & DAHDI_ALARM_BLUE)
		out |= GW_ALARM_BLUE;
	if (a & DAHDI_ALARM_LOOPBACK)
		out |= GW_ALARM_LOOPBACK;
	return out;
}

static void devpath(const struct gw_span *span, const char *node, char *buf,
		    size_t sz)
{
	const char *dir = gw_span_cfg(span)->dev;

	snprintf(buf, sz, "%s/%s", dir[0] ? dir : "/dev/dahdi", node);
}

/*
 * Open DAHDI channel channo and check that the driver agrees with
 * system.conf about where it is (span, position). Returns the fd or -errno.
 */
static int chan_open(const struct gw_span *span, unsigned ts, int blocksize,
		     const struct dahdi_bufferinfo *bi, int *sigtype)
{
	const struct gw_span_cfg *cfg = gw_span_cfg(span);
	struct dahdi_params par;
	char path[160];
	int channo = (int)(cfg->chan_base + ts - 1);
	int fd, err = 0;

	devpath(span, "channel", path, sizeof(path));
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		LOGE(MOD, "%s: open %s: %s", gw_span_name(span), path,
		     strerror(err));
		return -err;
	}
	if (ioctl(fd, DAHDI_SPECIFY, &channo) < 0) {
		err = errno;
		LOGE(MOD, "%s: DAHDI_SPECIFY channel %d (timeslot %u): %s",
		     gw_span_name(span), channo, ts, strerror(err));
		goto out;
	}
	memset(&par, 0, sizeof(par));
	if (ioctl(fd, DAHDI_GET_PARAMS, &par) < 0) {
		err = errno;
		LOGE(MOD, "%s: DAHDI_GET_PARAMS channel %d: %s",
		     gw_span_name(span), channo, strerror(err));
		goto out;
	}
	if (par.spanno != (int)cfg->id || par.chanpos != (int)ts) {
		/* system.conf numbering does not match the loaded drivers */
		LOGE(MOD, "%s: channel %d is span %d position %d in the "
		     "driver, expected span %u timeslot %u: check span order "
		     "in system.conf", gw_span_name(span), channo, par.spanno,
		     par.chanpos, cfg->id, ts);
		err = ENXIO;
		goto out;
	}
	if (sigtype)
		*sigtype = par.sigtype;
	if (blocksize && ioctl(fd, DAHDI_SET_BLOCKSIZE, &blocksize) < 0) {
		err = errno;
		LOGE(MOD, "%s: DAHDI_SET_BLOCKSIZE %d on channel %d: %s",
		     gw_span_name(span), blocksize, channo, strerror(err));
		goto out;
	}
	if (bi && ioctl(fd, DAHDI_SET_BUFINFO, bi) < 0) {
		err = errno;
		LOGE(MOD, "%s: DAHDI_SET_BUFINFO on channel %d: %s",
		     gw_span_name(span), channo, strerror(err));
		goto out;
	}
out:
	if (err) {
		close(fd);
		return -err;
	}
	return fd;
}

static void report_spanstat(struct dahdi_be *be)
{
	struct dahdi_spaninfo si;

	if (be->ctlfd < 0)
		return;
	memset(&si, 0, sizeof(si));
	si.spanno = (int)gw_span_id(be->span);
	if (ioctl(be->ctlfd, DAHDI_SPANSTAT, &si) < 0) {
		LOGW(MOD, "%s: DAHDI_SPANSTAT: %s", gw_span_name(be->span),
		     strerror(errno));
		gw_span_backend_line(be->span, false, GW_ALARM_RED);
		return;
	}
	be->alarms = gw_tdm_dahdi_alarms(si.alarms);
	gw_span_backend_line(be->span, true, be->alarms);
}

/* One event fetched after a read or write failed with ELAST. */
static void d_event(struct dahdi_be *be)
{
	int ev = 0;

	if (ioctl(be->dfd, DAHDI_GETEVENT, &ev) < 0)
		return;
	switch (ev) {
	case DAHDI_EVENT_NONE:
		break;
	case DAHDI_EVENT_ALARM:
	case DAHDI_EVENT_NOALARM:
		report_spanstat(be);
		break;
	case DAHDI_EVENT_ABORT:
		gw_span_backend_hdlc_err(be->span, GW_HDLC_ABORT);
		break;
	case DAHDI_EVENT_BADFCS:
		gw_span_backend_hdlc_err(be->span, GW_HDLC_BADFCS);
		break;
	case DAHDI_EVENT_OVERRUN:
	case DAHDI_EVENT_READ_OVERRUN:
		gw_span_backend_hdlc_err(be->span, GW_HDLC_OVERRUN);
		break;
	case DAHDI_EVENT_REMOVED:
		LOGE(MOD, "%s: device removed", gw_span_name(be->span));
		gw_span_backend_line(be->span, false, GW_ALARM_RED);
		break;
	default:
		LOGD(MOD, "%s: D-channel event %d ignored",
		     gw_span_name(be->span), ev);
		break;
	}
}

static void d_poll_cb(uv_poll_t *h, int status, int events)
{
	struct dahdi_be *be = h->data;

	if (status < 0) {
		LOGE(MOD, "%s: D-channel poll: %s", gw_span_name(be->span),
		     uv_strerror(status));
		return;
	}
	if (events & UV_PRIORITIZED)
		d_event(be);
	if (!(events & UV_READABLE))
		return;
	for (int i = 0; i < D_BURST; i++) {
		ssize_t n = read(be->dfd, be->rbuf, sizeof(be->rbuf));
		if (n < 0) {
			if (errno == ELAST) {
				d_event(be);
				continue;
			}
			if (errno != EAGAIN && errno != EINTR)
				LOGW(MOD, "%s: D-channel read: %s",
				     gw_span_name(be->span), strerror(errno));
			break;
		}
		if (n <= FCS_LEN) {
			/* a frame too short to hold address + control */
			gw_span_backend_hdlc_err(be->span, GW_HDLC_BADFCS);
			continue;
		}
		gw_span_backend_hdlc_rx(be->span, be->rbuf, (size_t)n - FCS_LEN);
	}
}

static void stat_cb(uv_timer_t *t)
{
	report_spanstat(t->data);
}

static void be_handle_closed(uv_handle_t *h)
{
	struct dahdi_be *be = h->data;

	if (--be->handles)
		return;
	if (be->dfd >= 0)
		close(be->dfd);
	if (be->ctlfd >= 0)
		close(be->ctlfd);
	free(be);
}

static void be_close(void *arg)
{
	struct dahdi_be *be = arg;

	if (!be)
		return;
	uv_timer_stop(&be->stat);
	uv_close((uv_handle_t *)&be->stat, be_handle_closed);
	if (be->dpoll_on) {
		uv_poll_stop(&be->dpoll);
		uv_close((uv_handle_t *)&be->dpoll, be_handle_closed);
	}
}

static int be_open(struct gw_span *span, uv_loop_t *loop, void **bep)
{
	const struct gw_span_cfg *cfg = gw_span_cfg(span);
	struct dahdi_bufferinfo bi;
	struct dahdi_be *be;
	char path[160];
	int err = 0, sig = 0;

	if (!cfg->chan_base) {
		LOGE(MOD, "%s: no DAHDI channel numbers (span not in "
		     "system.conf?)", gw_span_name(span));
		return EINVAL;
	}
	be = calloc(1, sizeof(*be));
	if (!be)
		return ENOMEM;
	be->span = span;
	be->loop = loop;
	be->dfd = -1;
	devpath(span, "ctl", path, sizeof(path));
	be->ctlfd = open(path, O_RDWR | O_CLOEXEC);
	if (be->ctlfd < 0) {
		err = errno;
		LOGE(MOD, "%s: open %s: %s (DAHDI drivers loaded?)",
		     gw_span_name(span), path, strerror(err));
		goto out;
	}
	if (cfg->dchan) {
		memset(&bi, 0, sizeof(bi));
		bi.txbufpolicy = DAHDI_POLICY_IMMEDIATE;
		bi.rxbufpolicy = DAHDI_POLICY_IMMEDIATE;
		bi.numbufs = D_NUMBUFS;
		bi.bufsize = D_BUFSIZE;
		be->dfd = chan_open(span, cfg->dchan, 0, &bi, &sig);
		if (be->dfd < 0) {
			err = -be->dfd;
			be->dfd = -1;
			goto out;
		}
		if ((sig & DAHDI_SIG_HDLCFCS) != DAHDI_SIG_HDLCFCS &&
		    sig != DAHDI_SIG_HARDHDLC) {
			LOGE(MOD, "%s: timeslot %u is not an HDLC channel in "
			     "DAHDI (sigtype 0x%x): use dchan= or hardhdlc= "
			     "in system.conf and run dahdi_cfg",
			     gw_span_name(span), cfg->dchan, sig);
			err = EINVAL;
			goto out;
		}
	}
	uv_timer_init(loop, &be->stat);
	be->stat.data = be;
	be->handles = 1;
	if (be->dfd >= 0) {
		err = -uv_poll_init(loop, &be->dpoll, be->dfd);
		if (err) {
			be_close(be);
			return err;
		}
		be->dpoll.data = be;
		be->dpoll_on = true;
		be->handles++;
		uv_poll_start(&be->dpoll, UV_READABLE | UV_PRIORITIZED,
			      d_poll_cb);
	}
	report_spanstat(be);
	uv_timer_start(&be->stat, stat_cb, SPANSTAT_MS, SPANSTAT_MS);
	*bep = be;
	return 0;
out:
	if (be->dfd >= 0)
		close(be->dfd);
	if (be->ctlfd >= 0)
		close(be->ctlfd);
	free(be);
	return err;
}

static int be_hdlc_send(void *arg, const uint8_t *frame, size_t len)
{
	struct dahdi_be *be = arg;
	ssize_t n;

	if (be->dfd < 0)
		return ENOTCONN;
	if (len + FCS_LEN > sizeof(be->wbuf))
		return EINVAL;
	memcpy(be->wbuf, frame, len);
	/* placeholder: DAHDI (or the card) computes the FCS */
	be->wbuf[len] = be->wbuf[len + 1] = 0;
	for (int tries = 0; tries < 2; tries++) {
		n = write(be->dfd, be->wbuf, len + FCS_LEN);
		if (n >= 0)
			return (size_t)n == len + FCS_LEN ? 0 : EIO;
		if (errno == ELAST) {
			/* an event is pending: consume it, then retry once */
			d_event(be);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return EAGAIN;
		return errno;
	}
	return EAGAIN;
}

/* ---- media thread ---- */

static void au_read_one(struct dahdi_audio *au, unsigned i)
{
	uint8_t *dst = au->rx + (size_t)i * GW_SPAN_BLOCK;
	ssize_t n = -1;

	for (int tries = 0; tries < 2; tries++) {
		n = read(au->fd[i], dst, GW_SPAN_BLOCK);
		if (n >= 0 || errno != ELAST)
			break;
		/* events on B-channels (alarms) are the control side's
		 * business via SPANSTAT; drain them here */
		int ev;
		(void)ioctl(au->fd[i], DAHDI_GETEVENT, &ev);
	}
	if (n != GW_SPAN_BLOCK) {
		if (n > 0)
			memset(dst + n, au->idle, GW_SPAN_BLOCK - (size_t)n);
		else
			memset(dst, au->idle, GW_SPAN_BLOCK);
		gw_span_backend_audio_err(au->span);
	}
}

static void au_poll_cb(uv_poll_t *h, int status, int events)
{
	struct dahdi_audio *au = h->data;

	if (status < 0 || !(events & UV_READABLE)) {
		gw_span_backend_audio_err(au->span);
		return;
	}
	for (unsigned i = 0; i < au->nb; i++)
		au_read_one(au, i);
	gw_span_backend_tick(au->span, au->rx, au->tx, au->seq++, 0);
	for (unsigned i = 0; i < au->nb; i++) {
		ssize_t n = write(au->fd[i], au->tx + (size_t)i * GW_SPAN_BLOCK,
				  GW_SPAN_BLOCK);
		if (n != GW_SPAN_BLOCK)
			gw_span_backend_audio_err(au->span);
	}
}

static void au_close_fds(struct dahdi_audio *au)
{
	for (unsigned i = 0; i < au->nb; i++) {
		if (au->fd[i] >= 0)
			close(au->fd[i]);
		au->fd[i] = -1;
	}
}

static int be_audio_attach(void *arg, uv_loop_t *loop)
{
	struct dahdi_be *be = arg;
	const struct gw_span_cfg *cfg = gw_span_cfg(be->span);
	struct dahdi_bufferinfo bi;
	struct dahdi_audio *au;
	int law = cfg->law == GW_LAW_ULAW ? DAHDI_LAW_MULAW : DAHDI_LAW_ALAW;
	int one = 1, err = 0;

	au = calloc(1, sizeof(*au));
	if (!au)
		return ENOMEM;
	au->span = be->span;
	au->loop = loop;
	au->nb = gw_span_bchan_count(be->span);
	au->idle = gw_span_law_idle(cfg->law);
	for (unsigned i = 0; i < GW_SPAN_MAX_TS; i++)
		au->fd[i] = -1;
	memset(&bi, 0, sizeof(bi));
	bi.txbufpolicy = DAHDI_POLICY_IMMEDIATE;
	bi.rxbufpolicy = DAHDI_POLICY_IMMEDIATE;
	bi.numbufs = B_NUMBUFS;
	bi.bufsize = GW_SPAN_BLOCK;
	for (unsigned i = 0; i < au->nb; i++) {
		unsigned ts = gw_span_bchan_ts(be->span, i);
		int fd = chan_open(be->span, ts, GW_SPAN_BLOCK, &bi, NULL);
		if (fd < 0) {
			err = -fd;
			goto out;
		}
		au->fd[i] = fd;
		if (ioctl(fd, DAHDI_SETLAW, &law) < 0 ||
		    ioctl(fd, DAHDI_AUDIOMODE, &one) < 0) {
			err = errno;
			LOGE(MOD, "%s: timeslot %u: DAHDI_SETLAW/AUDIOMODE: %s",
			     gw_span_name(be->span), ts, strerror(err));
			goto out;
		}
	}
	/* the first B-channel paces the span: all channels of a span are
	 * filled by the same frame interrupt */
	err = -uv_poll_init(loop, &au->poll, au->fd[0]);
	if (err)
		goto out;
	au->poll.data = au;
	uv_poll_start(&au->poll, UV_READABLE, au_poll_cb);
	be->audio = au;
out:
	if (err) {
		au_close_fds(au);
		free(au);
	}
	return err;
}

static void au_closed(uv_handle_t *h)
{
	struct dahdi_audio *au = h->data;

	au_close_fds(au);
	free(au);
}

static void be_audio_detach(void *arg)
{
	struct dahdi_be *be = arg;
	struct dahdi_audio *au = be->audio;

	if (!au)
		return;
	be->audio = NULL;
	uv_poll_stop(&au->poll);
	uv_close((uv_handle_t *)&au->poll, au_closed);
}

const struct gw_tdm_ops gw_tdm_dahdi_ops = {
	.name = "dahdi",
	.open = be_open,
	.close = be_close,
	.hdlc_send = be_hdlc_send,
	.audio_attach = be_audio_attach,
	.audio_detach = be_audio_detach,
};
