/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP transports (RFC 3261 §18): UDP and TCP listeners and connections over
 * IPv4 and IPv6 on the control thread's libuv loop. Datagrams and framed
 * stream messages are handed to one receive handler; responses are routed
 * by Via (§18.2.2, RFC 3581 rport) and go back over the connection the
 * request arrived on. Limits: connection count, message size, per-connection
 * buffer, idle timeout, and a token-bucket flood limit per source address.
 * TLS has a type and a seam (per-type operations) but is not implemented.
 */
#ifndef SIP_TRANSPORT_H
#define SIP_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "base/pl.h"

struct sip_msg;

enum sip_tp {
	SIP_TP_UDP = 0,
	SIP_TP_TCP,
	SIP_TP_TLS, /* reserved: listen/send return ENOTSUP */
	SIP_TP_COUNT,
};

/* "UDP", "TCP", "TLS" (Via spelling). */
const char *sip_tp_name(enum sip_tp tp);
/* Parse a Via/URI transport token, case-insensitive. 0 or EINVAL. */
int sip_tp_parse(const struct pl *pl, enum sip_tp *tp);
/* True for stream transports (TCP, TLS): no retransmissions, Timer D = 0. */
bool sip_tp_reliable(enum sip_tp tp);

/*
 * Where a message came from, or where it is to go.
 * conn: stream connection id (0 = none; on send, 0 means "reuse any
 * connection to peer, or open one"). lsock: index of the listening socket
 * a datagram arrived on (responses leave from the same socket).
 */
struct sip_tp_addr {
	enum sip_tp tp;
	struct sockaddr_storage peer;
	uint64_t conn;
	unsigned lsock;
};

/* Limits and behaviour; zero fields take the defaults shown. */
struct sip_transp_cfg {
	uint32_t max_conns;       /* 1024 stream connections */
	uint32_t max_msg_size;    /* 65535 bytes; larger -> 513 (UDP) or close */
	uint32_t conn_buf_max;    /* 131072 bytes buffered per connection (rx+tx) */
	uint32_t idle_timeout_ms; /* 300000: close streams idle this long */
	uint32_t flood_rate;      /* messages/s per source IP; 0 = no limit */
	uint32_t flood_burst;     /* bucket depth; default 2 * flood_rate */
	uint32_t flood_slots;     /* source addresses tracked; default 4096 */
	uint32_t test_loss_pct;   /* fault injection for tests: drop this % of
				     datagrams sent and received (0 = off) */
};

struct sip_transp_stats {
	uint64_t rx_msgs, rx_bytes, tx_msgs, tx_bytes;
	uint64_t rx_flood_drop; /* dropped by the per-source token bucket */
	uint64_t rx_oversize;   /* larger than max_msg_size */
	uint64_t rx_frame_err;  /* stream framing errors (connection closed) */
	uint64_t tx_err;        /* send failures */
	uint64_t conn_accepted, conn_opened, conn_closed;
	uint64_t conn_refused;  /* over max_conns */
	uint64_t conn_idle;     /* closed by the idle timeout */
	uint32_t conn_cur;      /* currently open */
	uint64_t test_lost;     /* datagrams dropped by test_loss_pct */
};

struct sip_transp;

/*
 * A message received. buf/len are valid only during the call (the handler
 * may modify bytes in place but not keep the pointer). oversize is set
 * when the message is larger than max_msg_size (datagrams only: the
 * receiver should answer 513 if it can, else drop).
 */
typedef void(sip_transp_recv_h)(struct sip_transp *tp,
				 const struct sip_tp_addr *src, char *buf,
				 size_t len, bool oversize, void *arg);
/*
 * A stream connection failed or closed (err 0 = orderly close or idle).
 * Transactions that sent on it learn of it here (RFC 3261 §17.1.4).
 */
typedef void(sip_transp_conn_h)(struct sip_transp *tp, uint64_t conn,
				 int err, void *arg);

/*
 * Create a transport set on loop. cfg may be NULL (defaults). recvh gets
 * every message; connh (may be NULL) connection ends. Returns 0, ENOMEM.
 */
int sip_transp_alloc(struct sip_transp **tpp, uv_loop_t *loop,
		     const struct sip_transp_cfg *cfg, sip_transp_recv_h *recvh,
		     sip_transp_conn_h *connh, void *arg);

/*
 * Close every socket and connection and free tp. The loop must run once
 * more for libuv to release the handles (uv_run(loop, UV_RUN_NOWAIT) or
 * the normal loop end); tp memory is released when the last handle is.
 */
void sip_transp_free(struct sip_transp *tp);

/*
 * Listen on addr:port ("127.0.0.1", "::1", "0.0.0.0"; port 0 = any free
 * port) for type. Returns 0, EINVAL (bad address), ENOTSUP (TLS),
 * EADDRINUSE or another errno from the socket layer.
 */
int sip_transp_listen(struct sip_transp *tp, enum sip_tp type,
		      const char *addr, uint16_t port);

/*
 * Local address of the first listener of type and address family af
 * (AF_INET / AF_INET6; AF_UNSPEC = any). 0 or ENOENT.
 */
int sip_transp_laddr(const struct sip_transp *tp, enum sip_tp type, int af,
		     struct sockaddr_storage *sa);

/*
 * Send buf (copied if it cannot go out at once). UDP goes from listener
 * dst->lsock (or the first of the family). TCP uses connection dst->conn
 * if it is still open, else any open connection to dst->peer, else opens
 * one (RFC 3261 §18.2.2 / §18.1.1); *conn (may be NULL) receives the id
 * used. Returns 0, ENOTSUP, EAFNOSUPPORT (no listener of the family),
 * ENOBUFS (connection buffer bound), EMFILE (max_conns) or a socket errno.
 * Later connection failures are reported through connh.
 */
int sip_transp_send(struct sip_transp *tp, const struct sip_tp_addr *dst,
		    const char *buf, size_t len, uint64_t *conn);

/*
 * RFC 3261 §18.2.2 / RFC 3581 response destination for a request received
 * from src whose top Via is the first in req: streams reuse src->conn
 * (falling back to received/sent-by); datagrams go to maddr, else the
 * source address with rport (if the request asked for it) or with the
 * sent-by port (default 5060). Returns 0 or EINVAL (no usable Via).
 */
int sip_transp_resp_dst(const struct sip_msg *req,
			const struct sip_tp_addr *src,
			struct sip_tp_addr *dst);

/*
 * RFC 3261 §18.2.1: does the top Via sent-by host differ from the source
 * address (received= must be added)? Also true when rport was asked for.
 * Writes the printed source IP (no brackets) to ip (>= 46 bytes).
 */
bool sip_transp_need_received(const struct sip_msg *req,
			      const struct sip_tp_addr *src, char *ip,
			      size_t sz);

/*
 * RFC 3261 §18.1.2: is host:port (a response's top Via sent-by; port 0 =
 * 5060) one of our listeners of type? A listener on a wildcard address
 * matches any host with its port. host is a numeric address.
 */
bool sip_transp_is_local(const struct sip_transp *tp, enum sip_tp type,
			 const struct pl *host, uint16_t port);

/* Close stream connection conn now (no-op if gone). */
void sip_transp_conn_close(struct sip_transp *tp, uint64_t conn);
/* True if stream connection conn is open. */
bool sip_transp_conn_alive(const struct sip_transp *tp, uint64_t conn);

void sip_transp_stats(const struct sip_transp *tp,
		      struct sip_transp_stats *st);

/* Address helpers. Print "ip:port" ("[v6]:port"); 0 or ENOSPC. */
int sip_sa_print(const struct sockaddr_storage *sa, char *buf, size_t sz);
/* Parse "ip" + port into sa. 0 or EINVAL. */
int sip_sa_set(struct sockaddr_storage *sa, const char *ip, uint16_t port);
uint16_t sip_sa_port(const struct sockaddr_storage *sa);
/* Same family, address and port. */
bool sip_sa_eq(const struct sockaddr_storage *a,
	       const struct sockaddr_storage *b);

#endif
