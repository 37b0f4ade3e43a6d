/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP transports (RFC 3261 §18) on libuv: UDP sockets and TCP listeners
 * and connections, IPv4 and IPv6. Stream bytes are cut into messages with
 * sip_msg_frame (§18.3, RFC 5626 §3.5.1 keepalives answered). Responses
 * are routed by the top Via (§18.2.2, RFC 3581 rport) and reuse the
 * connection the request came in on. Limits: connections, message size,
 * per-connection buffers, idle time, and a per-source token bucket.
 * TLS is a transport type with no operations yet (ENOTSUP).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "sip/msg.h"
#include "sip/transport.h"

#define MOD "transp"
#define MAX_LSOCK 16
#define UDP_RXBUF 65536
#define UDP_MMSG 16       /* datagrams per recvmmsg() call */

struct sip_transp;

struct lsock {
	enum sip_tp type;
	union {
		uv_udp_t udp;
		uv_tcp_t tcp;
		uv_handle_t h;
	} u;
	struct sockaddr_storage addr;
	struct sip_transp *tp;
	unsigned idx;
	char *rbuf;            /* UDP: UDP_MMSG * UDP_RXBUF bytes */
	bool rbuf_busy;
};

struct wreq {
	uv_write_t req;
	struct conn *c;
	size_t len;
	char data[];
};

struct pendbuf {
	struct pendbuf *next;
	size_t len;
	char data[];
};

struct conn {
	uv_tcp_t h;
	uv_connect_t creq;
	struct sip_transp *tp;
	struct conn *prev, *next;
	uint64_t id;
	struct sockaddr_storage peer;
	unsigned lsock;        /* listener it was accepted on (or ~0u) */
	char *rbuf;
	size_t rlen, rsz;
	size_t wbytes;         /* bytes queued in uv_write requests */
	struct pendbuf *pend, *pend_tail; /* before connect completes */
	size_t pbytes;
	uint64_t last;         /* last activity, ms */
	int err;               /* reason for closing */
	bool connecting;
	bool closing;
	bool in_cb;            /* receive handler running */
};

struct bucket {
	uint8_t ip[16];
	uint8_t fam;
	uint32_t tokens;       /* milli-tokens */
	uint64_t last;
};

struct sip_transp {
	uv_loop_t *loop;
	struct sip_transp_cfg cfg;
	sip_transp_recv_h *recvh;
	sip_transp_conn_h *connh;
	void *arg;
	struct lsock *ls[MAX_LSOCK];
	unsigned nls;
	struct conn *conns;
	uint64_t next_id;
	uv_timer_t idle;
	bool idle_on;
	struct bucket *flood;
	unsigned handles;      /* open libuv handles; tp freed at 0 */
	bool freeing;
	uint64_t rnd;          /* fault injection PRNG */
	struct sip_transp_stats st;
};

/* ---- names and addresses ---- */

static const char *const tp_names[SIP_TP_COUNT] = { "UDP", "TCP", "TLS" };

const char *sip_tp_name(enum sip_tp tp)
{
	return (unsigned)tp < SIP_TP_COUNT ? tp_names[tp] : "?";
}

int sip_tp_parse(const struct pl *pl, enum sip_tp *tp)
{
	for (unsigned i = 0; i < SIP_TP_COUNT; i++) {
		if (!pl_strcasecmp(pl, tp_names[i])) {
			*tp = (enum sip_tp)i;
			return 0;
		}
	}
	return EINVAL;
}

bool sip_tp_reliable(enum sip_tp tp)
{
	return tp == SIP_TP_TCP || tp == SIP_TP_TLS;
}

int sip_sa_print(const struct sockaddr_storage *sa, char *buf, size_t sz)
{
	char ip[INET6_ADDRSTRLEN];
	int n;
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		n = snprintf(buf, sz, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		n = snprintf(buf, sz, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		n = snprintf(buf, sz, "?");
	}
	return (n < 0 || (size_t)n >= sz) ? ENOSPC : 0;
}

int sip_sa_set(struct sockaddr_storage *sa, const char *ip, uint16_t port)
{
	struct sockaddr_storage s;
	memset(&s, 0, sizeof(s));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&s;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&s;
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
	} else {
		return EINVAL;
	}
	*sa = s;
	return 0;
}

uint16_t sip_sa_port(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

static void sa_set_port(struct sockaddr_storage *sa, uint16_t port)
{
	if (sa->ss_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_port = htons(port);
	else if (sa->ss_family == AF_INET6)
		((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
}

bool sip_sa_eq(const struct sockaddr_storage *a,
	       const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
	}
	return false;
}

/* Printed IP without port or brackets. */
static int sa_ip(const struct sockaddr_storage *sa, char *buf, size_t sz)
{
	const void *a;
	if (sa->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	else
		return EINVAL;
	return inet_ntop(sa->ss_family, a, buf, (socklen_t)sz) ? 0 : ENOSPC;
}

/* ---- allocation ---- */

static void handle_closed(uv_handle_t *h);

static void idle_cb(uv_timer_t *t);

int sip_transp_alloc(struct sip_transp **tpp, uv_loop_t *loop,
		     const struct sip_transp_cfg *cfg, sip_transp_recv_h *recvh,
		     sip_transp_conn_h *connh, void *arg)
{
	struct sip_transp *tp;
	if (!tpp || !loop || !recvh)
		return EINVAL;
	tp = calloc(1, sizeof(*tp));
	if (!tp)
		return ENOMEM;
	if (cfg)
		tp->cfg = *cfg;
	struct sip_transp_cfg *c = &tp->cfg;
	if (!c->max_conns)
		c->max_conns = 1024;
	if (!c->max_msg_size)
		c->max_msg_size = SIP_MSG_MAX_SIZE;
	if (c->max_msg_size > SIP_MSG_MAX_SIZE)
		c->max_msg_size = SIP_MSG_MAX_SIZE;
	if (!c->conn_buf_max)
		c->conn_buf_max = 131072;
	if (c->conn_buf_max < c->max_msg_size + 4)
		c->conn_buf_max = c->max_msg_size + 4;
	if (!c->idle_timeout_ms)
		c->idle_timeout_ms = 300000;
	if (c->flood_rate && !c->flood_burst)
		c->flood_burst = 2 * c->flood_rate;
	if (!c->flood_slots)
		c->flood_slots = 4096;
	if (c->flood_rate)
		tp->flood = calloc(c->flood_slots, sizeof(*tp->flood));
	if (c->flood_rate && !tp->flood) {
		free(tp);
		return ENOMEM;
	}
	tp->loop = loop;
	tp->recvh = recvh;
	tp->connh = connh;
	tp->arg = arg;
	tp->next_id = 1;
	tp->rnd = (uv_hrtime() ^ (uint64_t)(uintptr_t)tp) | 1;
	uv_timer_init(loop, &tp->idle);
	tp->idle.data = tp;
	tp->handles = 1;
	*tpp = tp;
	return 0;
}

static void tp_release(struct sip_transp *tp)
{
	if (--tp->handles == 0) {
		free(tp->flood);
		free(tp);
	}
}

static void handle_closed(uv_handle_t *h)
{
	struct sip_transp *tp = h->data;
	/* h is embedded in an lsock (or is the idle timer) */
	for (unsigned i = 0; i < MAX_LSOCK; i++) {
		if (tp->ls[i] && &tp->ls[i]->u.h == h) {
			free(tp->ls[i]->rbuf);
			free(tp->ls[i]);
			tp->ls[i] = NULL;
			break;
		}
	}
	tp_release(tp);
}

static void conn_close(struct conn *c, int err);

void sip_transp_free(struct sip_transp *tp)
{
	if (!tp)
		return;
	tp->freeing = true;
	while (tp->conns) {
		struct conn *c = tp->conns;
		conn_close(c, 0);
	}
	for (unsigned i = 0; i < tp->nls; i++) {
		if (tp->ls[i])
			uv_close(&tp->ls[i]->u.h, handle_closed);
	}
	uv_timer_stop(&tp->idle);
	uv_close((uv_handle_t *)&tp->idle, handle_closed);
}

void sip_transp_stats(const struct sip_transp *tp, struct sip_transp_stats *st)
{
	*st = tp->st;
}

/* ---- flood limit ---- */

/* Token bucket per source IP: true if the message may pass. */
static bool flood_ok(struct sip_transp *tp, const struct sockaddr_storage *sa)
{
	if (!tp->flood)
		return true;
	uint8_t ip[16] = { 0 };
	size_t n;
	if (sa->ss_family == AF_INET) {
		memcpy(ip, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		n = 4;
	} else {
		memcpy(ip, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		n = 16;
	}
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ ip[i]) * 16777619u;
	struct bucket *b = &tp->flood[h % tp->cfg.flood_slots];
	uint64_t now = uv_now(tp->loop);
	uint64_t cap = (uint64_t)tp->cfg.flood_burst * 1000;
	if (b->fam != sa->ss_family || memcmp(b->ip, ip, 16)) {
		/* new or evicted source: a full bucket */
		memcpy(b->ip, ip, 16);
		b->fam = (uint8_t)sa->ss_family;
		b->tokens = (uint32_t)(cap > UINT32_MAX ? UINT32_MAX : cap);
		b->last = now;
	}
	uint64_t t = b->tokens + (now - b->last) * tp->cfg.flood_rate;
	b->last = now;
	if (t > cap)
		t = cap;
	if (t < 1000) {
		b->tokens = (uint32_t)t;
		tp->st.rx_flood_drop++;
		return false;
	}
	b->tokens = (uint32_t)(t - 1000);
	return true;
}

/* ---- UDP ---- */

/* Fault injection (tests only): true if this datagram is to be lost. */
static bool test_lose(struct sip_transp *tp)
{
	if (!tp->cfg.test_loss_pct)
		return false;
	tp->rnd ^= tp->rnd << 13;
	tp->rnd ^= tp->rnd >> 7;
	tp->rnd ^= tp->rnd << 17;
	if (tp->rnd % 100 >= tp->cfg.test_loss_pct)
		return false;
	tp->st.test_lost++;
	return true;
}

static void udp_alloc(uv_handle_t *h, size_t sugg, uv_buf_t *buf)
{
	struct lsock *ls = (struct lsock *)((char *)h - offsetof(struct lsock, u));
	(void)sugg;
	if (ls->rbuf_busy || !ls->rbuf) {
		buf->base = NULL;
		buf->len = 0;
		return;
	}
	ls->rbuf_busy = true;
	buf->base = ls->rbuf;
	buf->len = UDP_MMSG * UDP_RXBUF;
}

/*
 * One datagram. With recvmmsg (UV_UDP_MMSG_CHUNK) each datagram sits in
 * its own UDP_RXBUF slot of rbuf and a final UV_UDP_MMSG_FREE call gives
 * the buffer back; a datagram is at most 65507 bytes, so the slot has
 * room for the NUL written after it.
 */
static void udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
		     const struct sockaddr *addr, unsigned flags)
{
	struct lsock *ls = (struct lsock *)((char *)h - offsetof(struct lsock, u));
	struct sip_transp *tp = ls->tp;
	if (flags & UV_UDP_MMSG_FREE) {
		ls->rbuf_busy = false;
		return;
	}
	if (!(flags & UV_UDP_MMSG_CHUNK))
		ls->rbuf_busy = false;
	if (nread <= 0 || !addr || tp->freeing || !buf->base)
		return;
	size_t len = (size_t)nread;
	if (len >= UDP_RXBUF)
		len = UDP_RXBUF - 1;
	bool over = len > tp->cfg.max_msg_size || (flags & UV_UDP_PARTIAL);
	struct sip_tp_addr src;
	memset(&src, 0, sizeof(src));
	src.tp = SIP_TP_UDP;
	memcpy(&src.peer, addr,
	       addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					   : sizeof(struct sockaddr_in));
	src.lsock = ls->idx;
	if (!flood_ok(tp, &src.peer) || test_lose(tp))
		return;
	buf->base[len] = '\0';
	/* RFC 5626 §3.5.1 / common practice: bare CRLF keepalives */
	if (len <= 4 && strspn(buf->base, "\r\n") >= len)
		return;
	tp->st.rx_msgs++;
	tp->st.rx_bytes += len;
	if (over)
		tp->st.rx_oversize++;
	tp->recvh(tp, &src, buf->base, len, over, tp->arg);
}

struct udp_sreq {
	uv_udp_send_t req;
	char data[];
};

static void udp_sent(uv_udp_send_t *req, int status)
{
	if (status < 0) {
		struct sip_transp *tp = req->data;
		tp->st.tx_err++;
	}
	free(req);
}

static struct lsock *find_ls(const struct sip_transp *tp, enum sip_tp type,
			     int af, unsigned pref)
{
	if (pref < tp->nls && tp->ls[pref] && tp->ls[pref]->type == type &&
	    (af == AF_UNSPEC || tp->ls[pref]->addr.ss_family == af))
		return tp->ls[pref];
	for (unsigned i = 0; i < tp->nls; i++) {
		struct lsock *l = tp->ls[i];
		if (l && l->type == type &&
		    (af == AF_UNSPEC || l->addr.ss_family == af))
			return l;
	}
	return NULL;
}

static int udp_send(struct sip_transp *tp, const struct sip_tp_addr *dst,
		    const char *buf, size_t len)
{
	struct lsock *ls = find_ls(tp, SIP_TP_UDP, dst->peer.ss_family,
				   dst->lsock);
	if (!ls)
		return EAFNOSUPPORT;
	if (test_lose(tp))
		return 0;
	uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
	int r = uv_udp_try_send(&ls->u.udp, &b, 1,
				(const struct sockaddr *)&dst->peer);
	if (r == (int)len)
		return 0;
	if (r >= 0 || (r != UV_EAGAIN && r != UV_ENOSYS))
		return r < 0 ? -r : EIO;
	struct udp_sreq *s = malloc(sizeof(*s) + len);
	if (!s)
		return ENOMEM;
	memcpy(s->data, buf, len);
	s->req.data = tp;
	b = uv_buf_init(s->data, (unsigned)len);
	r = uv_udp_send(&s->req, &ls->u.udp, &b, 1,
			(const struct sockaddr *)&dst->peer, udp_sent);
	if (r) {
		free(s);
		return -r;
	}
	return 0;
}

/* ---- TCP connections ---- */

static struct conn *conn_by_id(const struct sip_transp *tp, uint64_t id)
{
	for (struct conn *c = tp->conns; c && id; c = c->next) {
		if (c->id == id)
			return c->closing ? NULL : c;
	}
	return NULL;
}

static struct conn *conn_by_addr(const struct sip_transp *tp,
				 const struct sockaddr_storage *sa)
{
	for (struct conn *c = tp->conns; c; c = c->next) {
		if (!c->closing && sip_sa_eq(&c->peer, sa))
			return c;
	}
	return NULL;
}

static void conn_freed(uv_handle_t *h)
{
	struct conn *c = h->data;
	struct sip_transp *tp = c->tp;
	while (c->pend) {
		struct pendbuf *p = c->pend;
		c->pend = p->next;
		free(p);
	}
	free(c->rbuf);
	free(c);
	tp_release(tp);
}

static void conn_close(struct conn *c, int err)
{
	struct sip_transp *tp = c->tp;
	if (c->closing)
		return;
	c->closing = true;
	c->err = err;
	if (c->prev)
		c->prev->next = c->next;
	else
		tp->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	tp->st.conn_closed++;
	tp->st.conn_cur--;
	uint64_t id = c->id;
	uv_close((uv_handle_t *)&c->h, conn_freed);
	if (tp->connh && !tp->freeing)
		tp->connh(tp, id, err, tp->arg);
}

void sip_transp_conn_close(struct sip_transp *tp, uint64_t conn)
{
	struct conn *c = conn_by_id(tp, conn);
	if (c)
		conn_close(c, 0);
}

bool sip_transp_conn_alive(const struct sip_transp *tp, uint64_t conn)
{
	return conn_by_id(tp, conn) != NULL;
}

static struct conn *conn_new(struct sip_transp *tp)
{
	if (tp->st.conn_cur >= tp->cfg.max_conns) {
		tp->st.conn_refused++;
		return NULL;
	}
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->tp = tp;
	c->id = tp->next_id++;
	c->lsock = ~0u;
	c->last = uv_now(tp->loop);
	uv_tcp_init(tp->loop, &c->h);
	c->h.data = c;
	tp->handles++;
	c->next = tp->conns;
	if (tp->conns)
		tp->conns->prev = c;
	tp->conns = c;
	tp->st.conn_cur++;
	if (!tp->idle_on) {
		uint32_t iv = tp->cfg.idle_timeout_ms / 4;
		if (iv < 50)
			iv = 50;
		if (iv > 10000)
			iv = 10000;
		uv_timer_start(&tp->idle, idle_cb, iv, iv);
		tp->idle_on = true;
	}
	return c;
}

static void idle_cb(uv_timer_t *t)
{
	struct sip_transp *tp = t->data;
	uint64_t now = uv_now(tp->loop);
	struct conn *c = tp->conns;
	while (c) {
		struct conn *next = c->next;
		if (!c->in_cb && now - c->last >= tp->cfg.idle_timeout_ms) {
			tp->st.conn_idle++;
			conn_close(c, 0);
		}
		c = next;
	}
	if (!tp->conns) {
		uv_timer_stop(&tp->idle);
		tp->idle_on = false;
	}
}

static void tcp_alloc(uv_handle_t *h, size_t sugg, uv_buf_t *buf)
{
	struct conn *c = h->data;
	size_t max = c->tp->cfg.conn_buf_max;
	(void)sugg;
	if (c->rsz - c->rlen < 4096 && c->rsz < max) {
		size_t nsz = c->rsz ? c->rsz * 2 : 8192;
		if (nsz > max)
			nsz = max;
		char *p = realloc(c->rbuf, nsz + 1);
		if (p) {
			c->rbuf = p;
			c->rsz = nsz;
		}
	}
	buf->base = c->rbuf ? c->rbuf + c->rlen : NULL;
	buf->len = c->rbuf ? c->rsz - c->rlen : 0;
}

static int tcp_write(struct conn *c, const char *buf, size_t len);

/* Cut complete messages out of the receive buffer and deliver them. */
static void conn_frames(struct conn *c)
{
	struct sip_transp *tp = c->tp;
	size_t off = 0;
	/* bounded: every pass consumes bytes or stops */
	while (!c->closing && off < c->rlen) {
		struct sip_frame fr;
		memset(&fr, 0, sizeof(fr));
		enum sip_frame_kind k = sip_msg_frame(c->rbuf + off, c->rlen - off,
						      tp->cfg.max_msg_size, &fr);
		for (unsigned i = 0; i < fr.pings && i < 64; i++)
			tcp_write(c, "\r\n", 2);
		if (k == SIP_FRAME_ERROR) {
			if (fr.err == EMSGSIZE)
				tp->st.rx_oversize++;
			tp->st.rx_frame_err++;
			conn_close(c, fr.err ? fr.err : EBADMSG);
			return;
		}
		off += fr.skip;
		if (k == SIP_FRAME_MORE || fr.skip + fr.len == 0)
			break;
		struct sip_tp_addr src;
		memset(&src, 0, sizeof(src));
		src.tp = SIP_TP_TCP;
		src.peer = c->peer;
		src.conn = c->id;
		src.lsock = c->lsock;
		char *m = c->rbuf + off;
		char save = m[fr.len];
		m[fr.len] = '\0';
		off += fr.len;
		if (!flood_ok(tp, &c->peer))
			continue;
		tp->st.rx_msgs++;
		tp->st.rx_bytes += fr.len;
		c->in_cb = true;
		tp->recvh(tp, &src, m, fr.len, false, tp->arg);
		c->in_cb = false;
		m[fr.len] = save;
	}
	if (c->closing)
		return;
	if (off) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	if (c->rlen >= c->rsz && c->rsz >= tp->cfg.conn_buf_max) {
		tp->st.rx_oversize++;
		conn_close(c, EMSGSIZE);
	}
}

static void tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	(void)buf;
	if (c->closing)
		return;
	if (nread < 0) {
		conn_close(c, nread == UV_EOF ? 0 : (int)-nread);
		return;
	}
	if (nread == 0)
		return;
	c->last = uv_now(c->tp->loop);
	c->rlen += (size_t)nread;
	conn_frames(c);
}

static void tcp_written(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct conn *c = w->c;
	c->wbytes -= w->len;
	if (status < 0 && !c->closing) {
		c->tp->st.tx_err++;
		conn_close(c, -status);
	}
	free(w);
}

static int tcp_write(struct conn *c, const char *buf, size_t len)
{
	struct sip_transp *tp = c->tp;
	uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
	size_t done = 0;
	if (!c->wbytes) {
		int r = uv_try_write((uv_stream_t *)&c->h, &b, 1);
		if (r > 0)
			done = (size_t)r;
		else if (r != UV_EAGAIN && r != UV_ENOSYS)
			return -r;
	}
	if (done == len)
		return 0;
	size_t rest = len - done;
	if (c->wbytes + rest > tp->cfg.conn_buf_max)
		return ENOBUFS;
	struct wreq *w = malloc(sizeof(*w) + rest);
	if (!w)
		return ENOMEM;
	memcpy(w->data, buf + done, rest);
	w->c = c;
	w->len = rest;
	b = uv_buf_init(w->data, (unsigned)rest);
	int r = uv_write(&w->req, (uv_stream_t *)&c->h, &b, 1, tcp_written);
	if (r) {
		free(w);
		return -r;
	}
	c->wbytes += rest;
	return 0;
}

static void tcp_connected(uv_connect_t *req, int status)
{
	struct conn *c = req->data;
	if (c->closing)
		return;
	if (status < 0) {
		LOGN(MOD, "TCP connect failed: %s", uv_strerror(status));
		c->tp->st.tx_err++;
		conn_close(c, -status);
		return;
	}
	c->connecting = false;
	c->last = uv_now(c->tp->loop);
	uv_read_start((uv_stream_t *)&c->h, tcp_alloc, tcp_read);
	while (c->pend && !c->closing) {
		struct pendbuf *p = c->pend;
		c->pend = p->next;
		c->pbytes -= p->len;
		int err = tcp_write(c, p->data, p->len);
		free(p);
		if (err) {
			c->tp->st.tx_err++;
			conn_close(c, err);
		}
	}
	c->pend_tail = NULL;
}

static int tcp_send(struct sip_transp *tp, const struct sip_tp_addr *dst,
		    const char *buf, size_t len, uint64_t *connp)
{
	struct conn *c = conn_by_id(tp, dst->conn);
	if (!c)
		c = conn_by_addr(tp, &dst->peer);
	if (!c) {
		if (dst->peer.ss_family != AF_INET &&
		    dst->peer.ss_family != AF_INET6)
			return EAFNOSUPPORT;
		c = conn_new(tp);
		if (!c)
			return tp->st.conn_cur >= tp->cfg.max_conns ? EMFILE
								   : ENOMEM;
		c->peer = dst->peer;
		c->connecting = true;
		c->creq.data = c;
		int r = uv_tcp_connect(&c->creq, &c->h,
				       (const struct sockaddr *)&c->peer,
				       tcp_connected);
		if (r) {
			conn_close(c, -r);
			return -r;
		}
		tp->st.conn_opened++;
	}
	if (connp)
		*connp = c->id;
	c->last = uv_now(tp->loop);
	if (c->connecting) {
		if (c->pbytes + len > tp->cfg.conn_buf_max)
			return ENOBUFS;
		struct pendbuf *p = malloc(sizeof(*p) + len);
		if (!p)
			return ENOMEM;
		memcpy(p->data, buf, len);
		p->len = len;
		p->next = NULL;
		if (c->pend_tail)
			c->pend_tail->next = p;
		else
			c->pend = p;
		c->pend_tail = p;
		c->pbytes += len;
		return 0;
	}
	return tcp_write(c, buf, len);
}

static void free_handle(uv_handle_t *h)
{
	free(h);
}

static void tcp_accept(uv_stream_t *srv, int status)
{
	struct lsock *ls = (struct lsock *)((char *)srv - offsetof(struct lsock, u));
	struct sip_transp *tp = ls->tp;
	if (status < 0 || tp->freeing)
		return;
	struct conn *c = conn_new(tp);
	if (!c) {
		/* accept and drop so the backlog does not fill */
		uv_tcp_t *tmp = malloc(sizeof(*tmp));
		if (tmp) {
			uv_tcp_init(tp->loop, tmp);
			if (uv_accept(srv, (uv_stream_t *)tmp) == 0)
				LOGW(MOD, "TCP connection refused: %u open",
				     tp->st.conn_cur);
			uv_close((uv_handle_t *)tmp, free_handle);
		}
		return;
	}
	if (uv_accept(srv, (uv_stream_t *)&c->h)) {
		conn_close(c, ECONNABORTED);
		return;
	}
	int alen = sizeof(c->peer);
	uv_tcp_getpeername(&c->h, (struct sockaddr *)&c->peer, &alen);
	c->lsock = ls->idx;
	tp->st.conn_accepted++;
	uv_tcp_nodelay(&c->h, 1);
	uv_read_start((uv_stream_t *)&c->h, tcp_alloc, tcp_read);
}

/* ---- listen / send ---- */

static void ls_fail_closed(uv_handle_t *h)
{
	struct lsock *ls = (struct lsock *)((char *)h - offsetof(struct lsock, u));
	struct sip_transp *tp = ls->tp;
	free(ls->rbuf);
	free(ls);
	tp_release(tp);
}

/* Bind and start a UDP socket on ls (already initialised). */
static int udp_listen(struct lsock *ls, const struct sockaddr_storage *sa)
{
	int r = uv_udp_init_ex(ls->tp->loop, &ls->u.udp,
			       (unsigned)sa->ss_family | UV_UDP_RECVMMSG);
	if (r) {
		/* leave a valid handle for the caller's uv_close() */
		uv_udp_init(ls->tp->loop, &ls->u.udp);
		ls->u.h.data = ls->tp;
		return r;
	}
	ls->u.h.data = ls->tp;
	ls->rbuf = malloc(UDP_MMSG * UDP_RXBUF);
	if (!ls->rbuf)
		return UV_ENOMEM;
	/* no UV_UDP_REUSEADDR: on Linux it lets a second process bind the
	 * same port and take half of our traffic; a port in use must fail */
	r = uv_udp_bind(&ls->u.udp, (const struct sockaddr *)sa, 0);
	if (r)
		return r;
	/* bursts of datagrams: ask for large kernel buffers */
	int sz = 4 * 1024 * 1024;
	uv_recv_buffer_size(&ls->u.h, &sz);
	sz = 4 * 1024 * 1024;
	uv_send_buffer_size(&ls->u.h, &sz);
	r = uv_udp_recv_start(&ls->u.udp, udp_alloc, udp_recv);
	if (!r) {
		int alen = sizeof(ls->addr);
		uv_udp_getsockname(&ls->u.udp, (struct sockaddr *)&ls->addr, &alen);
	}
	return r;
}

static int tcp_listen(struct lsock *ls, const struct sockaddr_storage *sa)
{
	uv_tcp_init(ls->tp->loop, &ls->u.tcp);
	ls->u.h.data = ls->tp;
	int r = uv_tcp_bind(&ls->u.tcp, (const struct sockaddr *)sa, 0);
	if (!r)
		r = uv_listen((uv_stream_t *)&ls->u.tcp, 128, tcp_accept);
	if (!r) {
		int alen = sizeof(ls->addr);
		uv_tcp_getsockname(&ls->u.tcp, (struct sockaddr *)&ls->addr, &alen);
	}
	return r;
}

/*
 * Per-type operations: the seam for TLS (and others). listen returns a
 * libuv error (negative) after initialising the handle in ls; send returns
 * 0 or a positive errno. A type without operations is ENOTSUP.
 */
struct tp_ops {
	int (*listen)(struct lsock *ls, const struct sockaddr_storage *sa);
	int (*send)(struct sip_transp *tp, const struct sip_tp_addr *dst,
		    const char *buf, size_t len, uint64_t *conn);
};

static int udp_send_op(struct sip_transp *tp, const struct sip_tp_addr *dst,
		       const char *buf, size_t len, uint64_t *conn)
{
	(void)conn;
	return udp_send(tp, dst, buf, len);
}

static const struct tp_ops tp_ops[SIP_TP_COUNT] = {
	[SIP_TP_UDP] = { udp_listen, udp_send_op },
	[SIP_TP_TCP] = { tcp_listen, tcp_send },
	[SIP_TP_TLS] = { NULL, NULL }, /* not implemented yet */
};

int sip_transp_listen(struct sip_transp *tp, enum sip_tp type,
		      const char *addr, uint16_t port)
{
	struct sockaddr_storage sa;
	struct lsock *ls;
	int r;

	if ((unsigned)type >= SIP_TP_COUNT || !addr)
		return EINVAL;
	if (!tp_ops[type].listen)
		return ENOTSUP;
	if (sip_sa_set(&sa, addr, port))
		return EINVAL;
	if (tp->nls >= MAX_LSOCK)
		return ENOSPC;
	ls = calloc(1, sizeof(*ls));
	if (!ls)
		return ENOMEM;
	ls->type = type;
	ls->tp = tp;
	ls->idx = tp->nls;
	r = tp_ops[type].listen(ls, &sa);
	tp->handles++;
	if (r) {
		LOGW(MOD, "listen %s %s:%u: %s", sip_tp_name(type), addr, port,
		     uv_strerror(r));
		uv_close(&ls->u.h, ls_fail_closed);
		return -r;
	}
	tp->ls[tp->nls++] = ls;
	LOGI(MOD, "listening %s %s:%u", sip_tp_name(type), addr,
	     sip_sa_port(&ls->addr));
	return 0;
}

int sip_transp_laddr(const struct sip_transp *tp, enum sip_tp type, int af,
		     struct sockaddr_storage *sa)
{
	struct lsock *ls = find_ls(tp, type, af, ~0u);
	if (!ls)
		return ENOENT;
	*sa = ls->addr;
	return 0;
}

bool sip_transp_is_local(const struct sip_transp *tp, enum sip_tp type,
			 const struct pl *host, uint16_t port)
{
	char h[64], ip[64];
	struct sockaddr_storage sa;
	if (!port)
		port = 5060;
	if (!host->p || host->l >= sizeof(h))
		return false;
	pl_strcpy(host, h, sizeof(h));
	bool numeric = sip_sa_set(&sa, h, port) == 0;
	for (unsigned i = 0; i < tp->nls; i++) {
		const struct lsock *l = tp->ls[i];
		if (!l || l->type != type || sip_sa_port(&l->addr) != port)
			continue;
		if (sa_ip(&l->addr, ip, sizeof(ip)))
			continue;
		if (!strcmp(ip, "0.0.0.0") || !strcmp(ip, "::"))
			return true;
		if (numeric && sip_sa_eq(&l->addr, &sa))
			return true;
	}
	return false;
}

int sip_transp_send(struct sip_transp *tp, const struct sip_tp_addr *dst,
		    const char *buf, size_t len, uint64_t *conn)
{
	int err;
	if (!tp || !dst || !buf || tp->freeing)
		return EINVAL;
	if ((unsigned)dst->tp >= SIP_TP_COUNT || !tp_ops[dst->tp].send)
		err = ENOTSUP;
	else
		err = tp_ops[dst->tp].send(tp, dst, buf, len, conn);
	if (err) {
		tp->st.tx_err++;
		return err;
	}
	tp->st.tx_msgs++;
	tp->st.tx_bytes += len;
	return 0;
}

/* ---- Via routing (§18.2.1, §18.2.2, RFC 3581) ---- */

int sip_transp_resp_dst(const struct sip_msg *req,
			const struct sip_tp_addr *src, struct sip_tp_addr *dst)
{
	const struct sip_via *v = &req->via;
	struct sip_tp_addr d;
	char ip[64];

	if (!v->val.p || !src)
		return EINVAL;
	d = *src;
	if (sip_tp_reliable(src->tp)) {
		/* the connection the request came on; if it is gone, a new
		   one to the source IP at the sent-by port (§18.2.2) */
		sa_set_port(&d.peer, v->port ? v->port : 5060);
		*dst = d;
		return 0;
	}
	if (v->maddr.p && v->maddr.l && v->maddr.l < sizeof(ip)) {
		pl_strcpy(&v->maddr, ip, sizeof(ip));
		if (!sip_sa_set(&d.peer, ip, v->port ? v->port : 5060)) {
			*dst = d;
			return 0;
		}
	}
	if (v->has_rport) {
		*dst = d; /* source address and port */
		return 0;
	}
	sa_set_port(&d.peer, v->port ? v->port : 5060);
	*dst = d;
	return 0;
}

bool sip_transp_need_received(const struct sip_msg *req,
			      const struct sip_tp_addr *src, char *ip, size_t sz)
{
	if (sa_ip(&src->peer, ip, sz))
		return false;
	const struct sip_via *v = &req->via;
	if (v->has_rport)
		return true;
	return !(v->host.l == strlen(ip) && !strncasecmp(v->host.p, ip, v->host.l));
}
