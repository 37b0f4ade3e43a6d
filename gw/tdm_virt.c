/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Virtual E1/T1 span over Unix SOCK_SEQPACKET sockets (see tdm_virt.h and
 * docs/tdm_virt.md for the wire format, version 1): the message codec, the
 * gateway-side span backend "virt" (signalling connection on the control
 * loop, audio connection on a media loop, reconnect with RED alarm while
 * the peer is absent) and the master side used by pstnsim (listens, paces
 * one 20 ms block per tick as a G.704 frame clock would, relays HDLC
 * frames and alarms).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/log.h"
#include "gw/span.h"
#include "gw/tdm_virt.h"

#define MOD "tdm_virt"

#define MAGIC0 0x54
#define MAGIC1 0x56
#define HELLO_LEN 12
#define ERRTEXT_MAX 200
/* Datagrams read per poll wakeup, so one busy peer cannot starve a loop. */
#define READ_BURST 32
/* Connections accepted but not yet introduced by HELLO. */
#define MAX_PENDING 8

/* ---- codec ---- */

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_hdr(uint8_t *buf, uint8_t type, uint32_t seq)
{
	buf[0] = MAGIC0;
	buf[1] = MAGIC1;
	buf[2] = GW_TDM_VIRT_VERSION;
	buf[3] = type;
	put_u32(buf + 4, seq);
}

static uint32_t ts_mask(uint8_t span_type)
{
	return span_type == GW_SPAN_E1 ? 0xfffffffeu : 0x01fffffeu;
}

static int decode_hello(const uint8_t *p, size_t l,
			struct gw_tdm_virt_hello *h)
{
	unsigned nts;

	if (l != HELLO_LEN)
		return EPROTO;
	h->role = p[0];
	h->span_type = p[1];
	h->law = p[2];
	h->dchan = p[3];
	h->bmask = get_u32(p + 4);
	h->span_id = (uint16_t)(p[8] << 8 | p[9]);
	if (h->role != GW_TDM_VIRT_ROLE_SIG && h->role != GW_TDM_VIRT_ROLE_AUDIO)
		return EPROTO;
	if (h->span_type != GW_SPAN_E1 && h->span_type != GW_SPAN_T1)
		return EPROTO;
	if (h->law != GW_LAW_ALAW && h->law != GW_LAW_ULAW)
		return EPROTO;
	nts = gw_span_type_nts(h->span_type);
	if (!h->bmask || (h->bmask & ~ts_mask(h->span_type)))
		return EPROTO;
	if (h->dchan > nts || (h->dchan && (h->bmask & (1u << h->dchan))))
		return EPROTO;
	return 0;
}

int gw_tdm_virt_decode(const uint8_t *buf, size_t len,
		       struct gw_tdm_virt_msg *msg)
{
	struct gw_tdm_virt_msg m;
	const uint8_t *p;
	size_t l;

	if (!buf || !msg || len < GW_TDM_VIRT_HDR || buf[0] != MAGIC0 ||
	    buf[1] != MAGIC1)
		return EPROTO;
	memset(&m, 0, sizeof(m));
	m.version = buf[2];
	m.type = buf[3];
	m.seq = get_u32(buf + 4);
	if (m.version != GW_TDM_VIRT_VERSION) {
		msg->version = m.version;
		msg->type = m.type;
		return ENOTSUP;
	}
	p = buf + GW_TDM_VIRT_HDR;
	l = len - GW_TDM_VIRT_HDR;
	switch (m.type) {
	case GW_TDM_VIRT_HELLO:
		if (decode_hello(p, l, &m.u.hello))
			return EPROTO;
		break;
	case GW_TDM_VIRT_AUDIO:
		if (!l || l % GW_SPAN_BLOCK ||
		    l > (size_t)GW_SPAN_MAX_TS * GW_SPAN_BLOCK)
			return EPROTO;
		m.u.data.p = p;
		m.u.data.l = l;
		break;
	case GW_TDM_VIRT_HDLC:
		if (!l || l > GW_SPAN_HDLC_MAX)
			return EPROTO;
		m.u.data.p = p;
		m.u.data.l = l;
		break;
	case GW_TDM_VIRT_HDLC_ERR:
		if (l != 1 || p[0] < GW_HDLC_ABORT || p[0] > GW_HDLC_TOOLONG)
			return EPROTO;
		m.u.hdlc_err = p[0];
		break;
	case GW_TDM_VIRT_ALARM:
		if (l != 4)
			return EPROTO;
		m.u.alarms = get_u32(p) & GW_ALARM_ALL;
		break;
	case GW_TDM_VIRT_ERROR:
		if (!l || l > 1 + ERRTEXT_MAX)
			return EPROTO;
		m.u.err.code = p[0];
		m.u.err.text = p + 1;
		m.u.err.l = l - 1;
		break;
	default:
		msg->version = m.version;
		msg->type = m.type;
		return ENOMSG;
	}
	*msg = m;
	return 0;
}

static int enc_payload(uint8_t *buf, size_t sz, size_t *lenp, uint8_t type,
		       uint32_t seq, const uint8_t *a, size_t al,
		       const uint8_t *b, size_t bl)
{
	size_t n = GW_TDM_VIRT_HDR + al + bl;

	if (!buf || !lenp)
		return EINVAL;
	if (n > sz)
		return ENOSPC;
	put_hdr(buf, type, seq);
	if (al)
		memmove(buf + GW_TDM_VIRT_HDR, a, al);
	if (bl)
		memmove(buf + GW_TDM_VIRT_HDR + al, b, bl);
	*lenp = n;
	return 0;
}

int gw_tdm_virt_enc_hello(uint8_t *buf, size_t sz, size_t *lenp,
			  const struct gw_tdm_virt_hello *h)
{
	uint8_t p[HELLO_LEN];

	if (!h)
		return EINVAL;
	p[0] = h->role;
	p[1] = h->span_type;
	p[2] = h->law;
	p[3] = h->dchan;
	put_u32(p + 4, h->bmask);
	p[8] = (uint8_t)(h->span_id >> 8);
	p[9] = (uint8_t)h->span_id;
	p[10] = p[11] = 0;
	return enc_payload(buf, sz, lenp, GW_TDM_VIRT_HELLO, 0, p, sizeof(p),
			   NULL, 0);
}

int gw_tdm_virt_enc_audio(uint8_t *buf, size_t sz, size_t *lenp,
			  uint32_t seq, const uint8_t *samples, size_t n)
{
	if (!samples || !n || n % GW_SPAN_BLOCK ||
	    n > (size_t)GW_SPAN_MAX_TS * GW_SPAN_BLOCK)
		return EINVAL;
	return enc_payload(buf, sz, lenp, GW_TDM_VIRT_AUDIO, seq, samples, n,
			   NULL, 0);
}

int gw_tdm_virt_enc_hdlc(uint8_t *buf, size_t sz, size_t *lenp,
			 const uint8_t *frame, size_t n)
{
	if (!frame || !n || n > GW_SPAN_HDLC_MAX)
		return EINVAL;
	return enc_payload(buf, sz, lenp, GW_TDM_VIRT_HDLC, 0, frame, n,
			   NULL, 0);
}

int gw_tdm_virt_enc_hdlc_err(uint8_t *buf, size_t sz, size_t *lenp,
			     enum gw_span_hdlc_err err)
{
	uint8_t c = (uint8_t)err;

	if (err < GW_HDLC_ABORT || err > GW_HDLC_TOOLONG)
		return EINVAL;
	return enc_payload(buf, sz, lenp, GW_TDM_VIRT_HDLC_ERR, 0, &c, 1,
			   NULL, 0);
}

int gw_tdm_virt_enc_alarm(uint8_t *buf, size_t sz, size_t *lenp,
			  uint32_t alarms)
{
	uint8_t p[4];

	put_u32(p, alarms & GW_ALARM_ALL);
	return enc_payload(buf, sz, lenp, GW_TDM_VIRT_ALARM, 0, p, 4, NULL, 0);
}

int gw_tdm_virt_enc_error(uint8_t *buf, size_t sz, size_t *lenp,
			  enum gw_tdm_virt_errcode code, const char *text)
{
	uint8_t c = (uint8_t)code;
	size_t tl = text ? strlen(text) : 0;

	if (tl > ERRTEXT_MAX)
		tl = ERRTEXT_MAX;
	return enc_payload(buf, sz, lenp, GW_TDM_VIRT_ERROR, 0, &c, 1,
			   (const uint8_t *)text, tl);
}

void gw_tdm_virt_hello_from_cfg(struct gw_tdm_virt_hello *h,
				const struct gw_span_cfg *cfg, uint8_t role)
{
	memset(h, 0, sizeof(*h));
	h->role = role;
	h->span_type = (uint8_t)cfg->type;
	h->law = (uint8_t)cfg->law;
	h->dchan = (uint8_t)cfg->dchan;
	h->bmask = cfg->bmask;
	h->span_id = (uint16_t)cfg->id;
}

int gw_tdm_virt_hello_match(const struct gw_tdm_virt_hello *ours,
			    const struct gw_tdm_virt_hello *peer,
			    char *why, size_t sz)
{
	const char *what = NULL;

	if (ours->role != peer->role)
		what = "role";
	else if (ours->span_type != peer->span_type)
		what = "span type";
	else if (ours->law != peer->law)
		what = "law";
	else if (ours->bmask != peer->bmask)
		what = "B-channel timeslots";
	else if (ours->dchan != peer->dchan)
		what = "D-channel timeslot";
	if (!what)
		return 0;
	if (why && sz) {
		snprintf(why, sz, "%s differs: ours %s %s bmask 0x%08x D=%u, "
			 "peer %s %s bmask 0x%08x D=%u", what,
			 gw_span_type_name(ours->span_type),
			 gw_span_law_name(ours->law), ours->bmask, ours->dchan,
			 gw_span_type_name(peer->span_type),
			 gw_span_law_name(peer->law), peer->bmask, peer->dchan);
	}
	return EPROTO;
}

/* ---- connections ---- */

/*
 * One SOCK_SEQPACKET connection watched by a uv_poll. Each connection is
 * its own allocation freed by its close callback, so an owner can drop it
 * and open a new one at once while libuv finishes closing the old handle.
 */
struct vconn;
typedef void (vconn_msg_h)(struct vconn *c, const uint8_t *buf, size_t len);
typedef void (vconn_down_h)(struct vconn *c);

struct vconn {
	uv_poll_t poll;
	int fd;
	bool closing;
	bool up;                /* HELLO exchanged */
	uint8_t role;
	void *owner;
	vconn_msg_h *msgh;
	vconn_down_h *downh;
	uint8_t rbuf[GW_TDM_VIRT_MAX + 1];
};

static void vconn_closed(uv_handle_t *h)
{
	struct vconn *c = h->data;

	close(c->fd);
	free(c);
}

/* Close without telling the owner (the owner asked for it). */
static void vconn_close(struct vconn *c)
{
	if (!c || c->closing)
		return;
	c->closing = true;
	uv_poll_stop(&c->poll);
	uv_close((uv_handle_t *)&c->poll, vconn_closed);
}

/* The connection failed: tell the owner, then close. */
static void vconn_fail(struct vconn *c)
{
	if (c->closing)
		return;
	if (c->downh)
		c->downh(c);
	vconn_close(c);
}

static int vconn_send(struct vconn *c, const uint8_t *buf, size_t len)
{
	ssize_t n;

	if (!c || c->closing)
		return ENOTCONN;
	n = send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0) {
		int err = errno;
		if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS)
			return EAGAIN;
		return err;
	}
	return (size_t)n == len ? 0 : EIO;
}

static void vconn_send_error(struct vconn *c, enum gw_tdm_virt_errcode code,
			     const char *text)
{
	uint8_t buf[GW_TDM_VIRT_HDR + 1 + ERRTEXT_MAX];
	size_t len;

	if (!gw_tdm_virt_enc_error(buf, sizeof(buf), &len, code, text))
		(void)vconn_send(c, buf, len);
}

static void vconn_poll_cb(uv_poll_t *h, int status, int events)
{
	struct vconn *c = h->data;

	if (status < 0) {
		vconn_fail(c);
		return;
	}
	if (events & UV_READABLE) {
		for (int i = 0; i < READ_BURST && !c->closing; i++) {
			ssize_t n = recv(c->fd, c->rbuf, sizeof(c->rbuf),
					 MSG_DONTWAIT | MSG_TRUNC);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK ||
				    errno == EINTR)
					break;
				vconn_fail(c);
				return;
			}
			if (n == 0) {
				vconn_fail(c);
				return;
			}
			/* MSG_TRUNC returns the real length: a datagram
			 * longer than any valid message is refused by the
			 * decoder on its length */
			if ((size_t)n > sizeof(c->rbuf))
				n = sizeof(c->rbuf);
			c->msgh(c, c->rbuf, (size_t)n);
		}
	}
	if (!c->closing && (events & UV_DISCONNECT))
		vconn_fail(c);
}

static int vconn_open(struct vconn **cp, uv_loop_t *loop, int fd,
		      void *owner, vconn_msg_h *msgh, vconn_down_h *downh)
{
	struct vconn *c = calloc(1, sizeof(*c));
	int err;

	if (!c) {
		close(fd);
		return ENOMEM;
	}
	c->fd = fd;
	c->owner = owner;
	c->msgh = msgh;
	c->downh = downh;
	err = uv_poll_init(loop, &c->poll, fd);
	if (err) {
		close(fd);
		free(c);
		return -err;
	}
	c->poll.data = c;
	err = uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT,
			    vconn_poll_cb);
	if (err) {
		c->closing = true;
		uv_close((uv_handle_t *)&c->poll, vconn_closed);
		return -err;
	}
	*cp = c;
	return 0;
}

static int unix_connect(const char *path, int *fdp)
{
	struct sockaddr_un sa;
	int fd, err = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return ENAMETOOLONG;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	/* Unix-domain connects complete at once or fail (EAGAIN when the
	 * listener's backlog is full): no connect-in-progress state. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno;
		close(fd);
		goto out;
	}
	*fdp = fd;
out:
	return err;
}

/* Common message screening: returns 0 and fills m when the caller should
 * act on it; otherwise it has been counted/answered and dropped. */
struct vcount {
	uint64_t *unknown, *malformed, *version_err;
	bool *logged;   /* errors already logged since the last success */
};

/* Log a connection-ending error once until the next success, so a peer
 * that keeps refusing us does not flood the log at every retry. */
#define LOG_ONCE(flag, ...)                                         \
	do {                                                        \
		if (!(flag) || !*(flag))                            \
			LOGE(MOD, __VA_ARGS__);                     \
		else                                                \
			LOGD(MOD, __VA_ARGS__);                     \
		if (flag)                                           \
			*(flag) = true;                             \
	} while (0)

static int screen(struct vconn *c, const uint8_t *buf, size_t len,
		  struct gw_tdm_virt_msg *m, const struct vcount *cnt,
		  const char *who)
{
	int err = gw_tdm_virt_decode(buf, len, m);
	char text[96];

	switch (err) {
	case 0:
		break;
	case ENOTSUP:
		(*cnt->version_err)++;
		snprintf(text, sizeof(text), "version %u not supported, this "
			 "side speaks %u", m->version, GW_TDM_VIRT_VERSION);
		LOG_ONCE(cnt->logged, "%s: peer %s", who, text);
		vconn_send_error(c, GW_TDM_VIRT_E_VERSION, text);
		vconn_fail(c);
		return err;
	case ENOMSG:
		(*cnt->unknown)++;
		LOGD(MOD, "%s: unknown message type 0x%02x dropped", who,
		     m->type);
		return err;
	default:
		(*cnt->malformed)++;
		LOGD(MOD, "%s: malformed message (%zu bytes) dropped", who,
		     len);
		if (!c->up) {
			vconn_send_error(c, GW_TDM_VIRT_E_PROTO,
					 "malformed message before HELLO");
			vconn_fail(c);
		}
		return EPROTO;
	}
	if (m->type == GW_TDM_VIRT_ERROR) {
		LOG_ONCE(cnt->logged, "%s: peer error %u: %.*s", who,
			 m->u.err.code, (int)m->u.err.l,
			 (const char *)m->u.err.text);
		vconn_fail(c);
		return EPROTO;
	}
	if (!c->up && m->type != GW_TDM_VIRT_HELLO) {
		(*cnt->malformed)++;
		vconn_send_error(c, GW_TDM_VIRT_E_ROLE,
				 "message before HELLO");
		vconn_fail(c);
		return EPROTO;
	}
	return 0;
}

/* ---- gateway side ---- */

struct virt_audio;

struct virt_be {
	struct gw_span *span;
	uv_loop_t *loop;
	uv_timer_t retry;
	struct vconn *sig;
	struct gw_tdm_virt_hello hello;
	struct gw_tdm_virt_stats st;
	unsigned retry_ms;
	bool last_fail_logged;  /* connect failure logged */
	bool err_logged;        /* protocol refusal logged */
	bool rai_sent;          /* YELLOW reported to the master */
	/* written only by the media thread between attach and detach */
	struct virt_audio *audio;
};

struct virt_audio {
	struct gw_span *span;
	char path[sizeof(((struct gw_span_cfg *)0)->dev)];
	struct gw_tdm_virt_hello hello;
	unsigned retry_ms;
	uv_loop_t *loop;
	uv_timer_t retry;
	struct vconn *conn;
	bool have_seq;
	uint32_t last_seq;
	unsigned nb;
	uint64_t unknown, malformed, version_err;
	bool logged;
	uint8_t tx[GW_TDM_VIRT_MAX];
};

static void be_connect(struct virt_be *be);

static void be_retry_cb(uv_timer_t *t)
{
	struct virt_be *be = t->data;

	if (be->sig && !be->sig->up) {
		/* connected but the master never answered HELLO */
		LOGW(MOD, "%s: no HELLO from master, reconnecting",
		     gw_span_name(be->span));
		vconn_close(be->sig);
		be->sig = NULL;
	}
	if (!be->sig)
		be_connect(be);
}

static void be_sig_down(struct vconn *c)
{
	struct virt_be *be = c->owner;
	bool was_up = c->up;

	be->sig = NULL;
	if (was_up)
		LOGW(MOD, "%s: lost master at %s", gw_span_name(be->span),
		     gw_span_cfg(be->span)->dev);
	/* timer first: the alarm handler may stop the span (and us) */
	uv_timer_start(&be->retry, be_retry_cb, be->retry_ms, be->retry_ms);
	gw_span_backend_line(be->span, false, GW_ALARM_RED);
}

/*
 * A receiver in RED (or AIS) answers with remote alarm indication, as an
 * E1/T1 terminal does (G.704 / G.775): tell the master YELLOW while our
 * side is down, clear it when the line is back. Only on changes.
 */
static void be_send_rai(struct virt_be *be, struct vconn *c, uint32_t alarms)
{
	bool rai = (alarms & (GW_ALARM_RED | GW_ALARM_BLUE)) != 0;
	uint8_t buf[GW_TDM_VIRT_HDR + 4];
	size_t n;

	if (rai == be->rai_sent)
		return;
	be->rai_sent = rai;
	gw_tdm_virt_enc_alarm(buf, sizeof(buf), &n, rai ? GW_ALARM_YELLOW : 0);
	(void)vconn_send(c, buf, n);
}

static void be_sig_msg(struct vconn *c, const uint8_t *buf, size_t len)
{
	struct virt_be *be = c->owner;
	const struct vcount cnt = { &be->st.unknown, &be->st.malformed,
				    &be->st.version_err,
				    &be->err_logged };
	struct gw_tdm_virt_msg m;
	char why[160];

	if (screen(c, buf, len, &m, &cnt, gw_span_name(be->span)))
		return;
	switch (m.type) {
	case GW_TDM_VIRT_HELLO:
		if (c->up) {
			be->st.malformed++;
			return;
		}
		if (gw_tdm_virt_hello_match(&be->hello, &m.u.hello, why,
					    sizeof(why))) {
			LOG_ONCE(&be->err_logged, "%s: master's span "
				 "does not match: %s", gw_span_name(be->span),
				 why);
			vconn_send_error(c, GW_TDM_VIRT_E_SPAN, why);
			vconn_fail(c);
			return;
		}
		c->up = true;
		be->rai_sent = false;
		be->st.connects++;
		be->last_fail_logged = false;
		be->err_logged = false;
		uv_timer_stop(&be->retry);
		LOGN(MOD, "%s: connected to master at %s",
		     gw_span_name(be->span), gw_span_cfg(be->span)->dev);
		gw_span_backend_line(be->span, true, 0);
		break;
	case GW_TDM_VIRT_HDLC:
		gw_span_backend_hdlc_rx(be->span, m.u.data.p, m.u.data.l);
		break;
	case GW_TDM_VIRT_HDLC_ERR:
		gw_span_backend_hdlc_err(be->span, m.u.hdlc_err);
		break;
	case GW_TDM_VIRT_ALARM:
		be_send_rai(be, c, m.u.alarms);
		gw_span_backend_line(be->span, true, m.u.alarms);
		break;
	default:
		/* AUDIO on the signalling connection */
		be->st.malformed++;
		break;
	}
}

static void be_connect(struct virt_be *be)
{
	const char *path = gw_span_cfg(be->span)->dev;
	uint8_t buf[GW_TDM_VIRT_HDR + HELLO_LEN];
	size_t len;
	int fd = -1, err;

	err = unix_connect(path, &fd);
	if (!err)
		err = vconn_open(&be->sig, be->loop, fd, be, be_sig_msg,
				 be_sig_down);
	if (!err) {
		gw_tdm_virt_enc_hello(buf, sizeof(buf), &len, &be->hello);
		err = vconn_send(be->sig, buf, len);
		if (err) {
			vconn_close(be->sig);
			be->sig = NULL;
		}
	}
	if (err) {
		be->st.connect_fail++;
		if (!be->last_fail_logged)
			LOGW(MOD, "%s: cannot reach master at %s: %s (retrying"
			     " every %u ms)", gw_span_name(be->span), path,
			     strerror(err), be->retry_ms);
		be->last_fail_logged = true;
	}
	/* the timer also bounds the wait for the master's HELLO */
	uv_timer_start(&be->retry, be_retry_cb, be->retry_ms, be->retry_ms);
}

static int be_open(struct gw_span *span, uv_loop_t *loop, void **bep)
{
	const struct gw_span_cfg *cfg = gw_span_cfg(span);
	struct virt_be *be;
	struct sockaddr_un sa;

	if (!cfg->dev[0] || strlen(cfg->dev) >= sizeof(sa.sun_path)) {
		LOGE(MOD, "%s: virtual span needs a socket path (max %zu "
		     "bytes)", gw_span_name(span), sizeof(sa.sun_path) - 1);
		return EINVAL;
	}
	be = calloc(1, sizeof(*be));
	if (!be)
		return ENOMEM;
	be->span = span;
	be->loop = loop;
	be->retry_ms = cfg->retry_ms ? cfg->retry_ms : 1000;
	gw_tdm_virt_hello_from_cfg(&be->hello, cfg, GW_TDM_VIRT_ROLE_SIG);
	uv_timer_init(loop, &be->retry);
	be->retry.data = be;
	be_connect(be);
	*bep = be;
	return 0;
}

static void be_free_cb(uv_handle_t *h)
{
	free(h->data);
}

static void be_close(void *arg)
{
	struct virt_be *be = arg;

	if (!be)
		return;
	vconn_close(be->sig);
	be->sig = NULL;
	uv_timer_stop(&be->retry);
	uv_close((uv_handle_t *)&be->retry, be_free_cb);
}

static int be_hdlc_send(void *arg, const uint8_t *frame, size_t len)
{
	struct virt_be *be = arg;
	uint8_t buf[GW_TDM_VIRT_HDR + GW_SPAN_HDLC_MAX];
	size_t n;
	int err;

	if (!be->sig || !be->sig->up)
		return ENOTCONN;
	err = gw_tdm_virt_enc_hdlc(buf, sizeof(buf), &n, frame, len);
	if (err)
		return err;
	err = vconn_send(be->sig, buf, n);
	if (err && err != EAGAIN)
		vconn_fail(be->sig);
	return err;
}

/* media thread from here to the end of the gateway side */

static void au_connect(struct virt_audio *au);

static void au_retry_cb(uv_timer_t *t)
{
	struct virt_audio *au = t->data;

	if (au->conn && !au->conn->up) {
		vconn_close(au->conn);
		au->conn = NULL;
	}
	if (!au->conn)
		au_connect(au);
}

static void au_down(struct vconn *c)
{
	struct virt_audio *au = c->owner;

	au->conn = NULL;
	au->have_seq = false;
	gw_span_backend_audio_err(au->span);
	uv_timer_start(&au->retry, au_retry_cb, au->retry_ms, au->retry_ms);
}

static void au_msg(struct vconn *c, const uint8_t *buf, size_t len)
{
	struct virt_audio *au = c->owner;
	const struct vcount cnt = { &au->unknown, &au->malformed,
				    &au->version_err, &au->logged };
	struct gw_tdm_virt_msg m;
	uint32_t gap = 0;
	size_t n;

	if (screen(c, buf, len, &m, &cnt, gw_span_name(au->span)))
		return;
	if (m.type == GW_TDM_VIRT_HELLO) {
		if (c->up || gw_tdm_virt_hello_match(&au->hello, &m.u.hello,
						     NULL, 0)) {
			au->malformed++;
			vconn_send_error(c, GW_TDM_VIRT_E_SPAN,
					 "audio HELLO does not match");
			vconn_fail(c);
			return;
		}
		c->up = true;
		au->logged = false;
		uv_timer_stop(&au->retry);
		return;
	}
	if (m.type != GW_TDM_VIRT_AUDIO ||
	    m.u.data.l != (size_t)au->nb * GW_SPAN_BLOCK) {
		au->malformed++;
		gw_span_backend_audio_err(au->span);
		return;
	}
	if (au->have_seq) {
		int32_t d = (int32_t)(m.seq - au->last_seq);
		if (d <= 0) {
			/* a repeated or older block: the master restarted its
			 * count or is confused; answer it, count no gap */
			gw_span_backend_audio_err(au->span);
		} else {
			gap = (uint32_t)d - 1;
		}
	}
	au->have_seq = true;
	au->last_seq = m.seq;
	gw_span_backend_tick(au->span, m.u.data.p, au->tx + GW_TDM_VIRT_HDR,
			     m.seq, gap);
	put_hdr(au->tx, GW_TDM_VIRT_AUDIO, m.seq);
	n = GW_TDM_VIRT_HDR + (size_t)au->nb * GW_SPAN_BLOCK;
	if (vconn_send(c, au->tx, n))
		gw_span_backend_audio_err(au->span);
}

static void au_connect(struct virt_audio *au)
{
	uint8_t buf[GW_TDM_VIRT_HDR + HELLO_LEN];
	size_t len;
	int fd = -1, err;

	err = unix_connect(au->path, &fd);
	if (!err)
		err = vconn_open(&au->conn, au->loop, fd, au, au_msg, au_down);
	if (!err) {
		gw_tdm_virt_enc_hello(buf, sizeof(buf), &len, &au->hello);
		if (vconn_send(au->conn, buf, len)) {
			vconn_close(au->conn);
			au->conn = NULL;
		}
	}
	uv_timer_start(&au->retry, au_retry_cb, au->retry_ms, au->retry_ms);
}

static int be_audio_attach(void *arg, uv_loop_t *loop)
{
	struct virt_be *be = arg;
	const struct gw_span_cfg *cfg = gw_span_cfg(be->span);
	struct virt_audio *au = calloc(1, sizeof(*au));

	if (!au)
		return ENOMEM;
	au->span = be->span;
	snprintf(au->path, sizeof(au->path), "%s", cfg->dev);
	gw_tdm_virt_hello_from_cfg(&au->hello, cfg, GW_TDM_VIRT_ROLE_AUDIO);
	au->retry_ms = be->retry_ms;
	au->nb = gw_span_bchan_count(be->span);
	au->loop = loop;
	uv_timer_init(loop, &au->retry);
	au->retry.data = au;
	be->audio = au;
	au_connect(au);
	return 0;
}

static void au_free_cb(uv_handle_t *h)
{
	free(h->data);
}

static void be_audio_detach(void *arg)
{
	struct virt_be *be = arg;
	struct virt_audio *au = be->audio;

	if (!au)
		return;
	be->audio = NULL;
	vconn_close(au->conn);
	uv_timer_stop(&au->retry);
	uv_close((uv_handle_t *)&au->retry, au_free_cb);
}

const struct gw_tdm_ops gw_tdm_virt_ops = {
	.name = "virt",
	.open = be_open,
	.close = be_close,
	.hdlc_send = be_hdlc_send,
	.audio_attach = be_audio_attach,
	.audio_detach = be_audio_detach,
};

int gw_tdm_virt_stats(const struct gw_span *span,
		      struct gw_tdm_virt_stats *st)
{
	const struct virt_be *be;

	if (!span || !st || gw_span_cfg(span)->ops != &gw_tdm_virt_ops)
		return EINVAL;
	be = gw_span_backend(span);
	if (!be)
		return EINVAL;
	*st = be->st;
	return 0;
}

/* ---- master side ---- */

struct gw_tdm_virt_master {
	uv_loop_t *loop;
	struct gw_span_cfg cfg;
	unsigned nb;
	struct gw_tdm_virt_master_handlers h;
	void *arg;
	int lfd;
	uv_poll_t lpoll;
	bool listening;
	struct vconn *pending[MAX_PENDING];
	struct vconn *sig, *audio;
	uv_timer_t tick;
	uint64_t next_due;
	uint32_t seq;
	uint32_t alarms;
	struct gw_tdm_virt_master_stats st;
	uint64_t version_err;
	bool logged;
	unsigned handles;       /* open uv handles owned directly */
	bool freeing;
	uint8_t tx[GW_TDM_VIRT_MAX];
};

static void m_notify(struct gw_tdm_virt_master *m)
{
	if (m->h.conn_h)
		m->h.conn_h(m->sig != NULL, m->audio != NULL, m->arg);
}

static void m_unpend(struct gw_tdm_virt_master *m, struct vconn *c)
{
	for (unsigned i = 0; i < MAX_PENDING; i++) {
		if (m->pending[i] == c)
			m->pending[i] = NULL;
	}
}

static void m_down(struct vconn *c)
{
	struct gw_tdm_virt_master *m = c->owner;

	m_unpend(m, c);
	if (m->sig == c) {
		m->sig = NULL;
		LOGN(MOD, "master span %u: gateway signalling gone", m->cfg.id);
		m_notify(m);
	} else if (m->audio == c) {
		m->audio = NULL;
		uv_timer_stop(&m->tick);
		LOGN(MOD, "master span %u: gateway audio gone", m->cfg.id);
		m_notify(m);
	}
}

static void m_tick_cb(uv_timer_t *t);

static void m_tick_schedule(struct gw_tdm_virt_master *m)
{
	uint64_t now = uv_now(m->loop);

	m->next_due += GW_SPAN_TICK_MS;
	if (m->next_due + GW_SPAN_TICK_MS <= now) {
		/* more than a tick behind (a stalled loop): resynchronise
		 * rather than burst blocks the far end would see as jitter */
		m->st.late_ticks++;
		m->next_due = now + GW_SPAN_TICK_MS;
	}
	uv_timer_start(&m->tick, m_tick_cb,
		       m->next_due > now ? m->next_due - now : 0, 0);
}

static void m_tick_cb(uv_timer_t *t)
{
	struct gw_tdm_virt_master *m = t->data;
	size_t n = (size_t)m->nb * GW_SPAN_BLOCK;
	uint32_t seq;

	if (!m->audio)
		return;
	seq = m->seq++;
	memset(m->tx + GW_TDM_VIRT_HDR, gw_span_law_idle(m->cfg.law), n);
	if (m->h.tick_h)
		m->h.tick_h(m->tx + GW_TDM_VIRT_HDR, m->nb, seq, m->arg);
	/* the handler may have dropped the connection */
	if (!m->audio)
		return;
	put_hdr(m->tx, GW_TDM_VIRT_AUDIO, seq);
	if (!vconn_send(m->audio, m->tx, GW_TDM_VIRT_HDR + n))
		m->st.blocks_tx++;
	m_tick_schedule(m);
}

static void m_msg(struct vconn *c, const uint8_t *buf, size_t len)
{
	struct gw_tdm_virt_master *m = c->owner;
	const struct vcount cnt = { &m->st.unknown, &m->st.malformed,
				    &m->version_err, &m->logged };
	struct gw_tdm_virt_hello ours;
	struct gw_tdm_virt_msg msg;
	uint8_t out[GW_TDM_VIRT_HDR + HELLO_LEN];
	size_t olen;
	char why[160];

	if (screen(c, buf, len, &msg, &cnt, "master"))
		return;
	switch (msg.type) {
	case GW_TDM_VIRT_HELLO:
		if (c->up) {
			m->st.malformed++;
			return;
		}
		gw_tdm_virt_hello_from_cfg(&ours, &m->cfg, msg.u.hello.role);
		if (gw_tdm_virt_hello_match(&ours, &msg.u.hello, why,
					    sizeof(why))) {
			LOG_ONCE(&m->logged, "master span %u: gateway's span "
				 "does not match: %s", m->cfg.id, why);
			m->st.rejects++;
			vconn_send_error(c, GW_TDM_VIRT_E_SPAN, why);
			vconn_fail(c);
			return;
		}
		m_unpend(m, c);
		m->logged = false;
		c->up = true;
		c->role = msg.u.hello.role;
		gw_tdm_virt_enc_hello(out, sizeof(out), &olen, &ours);
		if (c->role == GW_TDM_VIRT_ROLE_SIG) {
			if (m->sig)
				vconn_close(m->sig);
			m->sig = c;
			(void)vconn_send(c, out, olen);
			gw_tdm_virt_enc_alarm(out, sizeof(out), &olen,
					      m->alarms);
			(void)vconn_send(c, out, olen);
		} else {
			if (m->audio)
				vconn_close(m->audio);
			m->audio = c;
			(void)vconn_send(c, out, olen);
			m->seq = 0;
			m->next_due = uv_now(m->loop) + GW_SPAN_TICK_MS;
			uv_timer_start(&m->tick, m_tick_cb, GW_SPAN_TICK_MS,
				       0);
		}
		m->st.accepts++;
		m_notify(m);
		break;
	case GW_TDM_VIRT_AUDIO:
		if (c != m->audio ||
		    msg.u.data.l != (size_t)m->nb * GW_SPAN_BLOCK) {
			m->st.malformed++;
			return;
		}
		m->st.blocks_rx++;
		if (m->h.rx_h)
			m->h.rx_h(msg.u.data.p, m->nb, msg.seq, m->arg);
		break;
	case GW_TDM_VIRT_HDLC:
		if (c != m->sig) {
			m->st.malformed++;
			return;
		}
		m->st.hdlc_rx++;
		if (m->h.hdlc_h)
			m->h.hdlc_h(msg.u.data.p, msg.u.data.l, m->arg);
		break;
	case GW_TDM_VIRT_ALARM:
		if (c != m->sig) {
			m->st.malformed++;
			return;
		}
		if (m->h.alarm_h)
			m->h.alarm_h(msg.u.alarms, m->arg);
		break;
	default:
		m->st.malformed++;
		break;
	}
}

int gw_tdm_virt_master_adopt(struct gw_tdm_virt_master *m, int fd)
{
	struct vconn *c = NULL;
	unsigned slot = MAX_PENDING;
	int err;

	if (!m || fd < 0) {
		if (fd >= 0)
			close(fd);
		return EINVAL;
	}
	for (unsigned i = 0; i < MAX_PENDING; i++) {
		if (!m->pending[i]) {
			slot = i;
			break;
		}
	}
	if (slot == MAX_PENDING) {
		/* too many silent connections: drop the oldest */
		vconn_close(m->pending[0]);
		memmove(m->pending, m->pending + 1,
			sizeof(m->pending[0]) * (MAX_PENDING - 1));
		m->pending[MAX_PENDING - 1] = NULL;
		slot = MAX_PENDING - 1;
	}
	err = vconn_open(&c, m->loop, fd, m, m_msg, m_down);
	if (err)
		return err;
	m->pending[slot] = c;
	return 0;
}

static void m_accept_cb(uv_poll_t *h, int status, int events)
{
	struct gw_tdm_virt_master *m = h->data;

	if (status < 0 || !(events & UV_READABLE))
		return;
	for (int i = 0; i < MAX_PENDING; i++) {
		int fd = accept4(m->lfd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			break;
		(void)gw_tdm_virt_master_adopt(m, fd);
	}
}

int gw_tdm_virt_master_alloc(struct gw_tdm_virt_master **mp, uv_loop_t *loop,
			     const struct gw_span_cfg *cfg,
			     const struct gw_tdm_virt_master_handlers *h,
			     void *arg)
{
	struct gw_tdm_virt_master *m;
	struct gw_span_cfg c;
	int err;

	if (!mp || !loop || !cfg)
		return EINVAL;
	c = *cfg;
	c.ops = NULL;
	err = gw_span_cfg_check(&c);
	if (err)
		return err;
	m = calloc(1, sizeof(*m));
	if (!m)
		return ENOMEM;
	m->loop = loop;
	m->cfg = c;
	m->nb = (unsigned)__builtin_popcount(c.bmask);
	if (h)
		m->h = *h;
	m->arg = arg;
	m->lfd = -1;
	uv_timer_init(loop, &m->tick);
	m->tick.data = m;
	m->handles = 1;
	*mp = m;
	return 0;
}

int gw_tdm_virt_master_listen(struct gw_tdm_virt_master *m, const char *path)
{
	struct sockaddr_un sa;
	struct stat sb;
	int fd, err = 0;

	if (!m || !path || m->listening)
		return EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return ENAMETOOLONG;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	/* replace a stale socket from an earlier run, never a regular file */
	if (!lstat(path, &sb) && S_ISSOCK(sb.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 8) < 0) {
		err = errno;
		close(fd);
		LOGE(MOD, "master: cannot listen on %s: %s", path,
		     strerror(err));
		goto out;
	}
	err = -uv_poll_init(m->loop, &m->lpoll, fd);
	if (err) {
		close(fd);
		goto out;
	}
	m->lfd = fd;
	m->lpoll.data = m;
	m->listening = true;
	m->handles++;
	uv_poll_start(&m->lpoll, UV_READABLE, m_accept_cb);
out:
	return err;
}

int gw_tdm_virt_master_hdlc_send(struct gw_tdm_virt_master *m,
				 const uint8_t *frame, size_t len)
{
	uint8_t buf[GW_TDM_VIRT_HDR + GW_SPAN_HDLC_MAX];
	size_t n;
	int err;

	if (!m)
		return EINVAL;
	if (!m->sig)
		return ENOTCONN;
	err = gw_tdm_virt_enc_hdlc(buf, sizeof(buf), &n, frame, len);
	if (!err)
		err = vconn_send(m->sig, buf, n);
	if (!err)
		m->st.hdlc_tx++;
	return err;
}

int gw_tdm_virt_master_hdlc_err_send(struct gw_tdm_virt_master *m,
				     enum gw_span_hdlc_err e)
{
	uint8_t buf[GW_TDM_VIRT_HDR + 1];
	size_t n;
	int err;

	if (!m)
		return EINVAL;
	if (!m->sig)
		return ENOTCONN;
	err = gw_tdm_virt_enc_hdlc_err(buf, sizeof(buf), &n, e);
	return err ? err : vconn_send(m->sig, buf, n);
}

int gw_tdm_virt_master_alarm_send(struct gw_tdm_virt_master *m,
				  uint32_t alarms)
{
	uint8_t buf[GW_TDM_VIRT_HDR + 4];
	size_t n;

	if (!m)
		return EINVAL;
	m->alarms = alarms & GW_ALARM_ALL;
	if (!m->sig)
		return ENOTCONN;
	gw_tdm_virt_enc_alarm(buf, sizeof(buf), &n, m->alarms);
	return vconn_send(m->sig, buf, n);
}

int gw_tdm_virt_master_send_raw(struct gw_tdm_virt_master *m, bool audio,
				const uint8_t *buf, size_t len)
{
	struct vconn *c;

	if (!m || !buf)
		return EINVAL;
	c = audio ? m->audio : m->sig;
	if (!c)
		return ENOTCONN;
	return vconn_send(c, buf, len);
}

void gw_tdm_virt_master_drop(struct gw_tdm_virt_master *m)
{
	if (!m)
		return;
	for (unsigned i = 0; i < MAX_PENDING; i++) {
		vconn_close(m->pending[i]);
		m->pending[i] = NULL;
	}
	vconn_close(m->sig);
	vconn_close(m->audio);
	m->sig = m->audio = NULL;
	uv_timer_stop(&m->tick);
	m_notify(m);
}

bool gw_tdm_virt_master_sig_up(const struct gw_tdm_virt_master *m)
{
	return m && m->sig;
}

bool gw_tdm_virt_master_audio_up(const struct gw_tdm_virt_master *m)
{
	return m && m->audio;
}

void gw_tdm_virt_master_stats(const struct gw_tdm_virt_master *m,
			      struct gw_tdm_virt_master_stats *st)
{
	*st = m->st;
}

static void m_handle_closed(uv_handle_t *h)
{
	struct gw_tdm_virt_master *m = h->data;

	if (--m->handles == 0) {
		if (m->lfd >= 0)
			close(m->lfd);
		free(m);
	}
}

void gw_tdm_virt_master_free(struct gw_tdm_virt_master *m)
{
	if (!m || m->freeing)
		return;
	m->freeing = true;
	m->h.conn_h = NULL;
	gw_tdm_virt_master_drop(m);
	if (m->listening)
		uv_close((uv_handle_t *)&m->lpoll, m_handle_closed);
	uv_close((uv_handle_t *)&m->tick, m_handle_closed);
}
