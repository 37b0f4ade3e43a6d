/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Virtual E1/T1 over Unix SOCK_SEQPACKET sockets (wire format in
 * docs/tdm_virt.md). The far end (pstnsim, or another program using the
 * master API below) is the clock master: it sends one AUDIO block every
 * 20 ms holding every B-channel's 160 samples and the gateway answers each
 * with its own block. Signalling (HLLO, HDLC frames, ALARM) and audio use
 * two separate connections to the same socket path, so the signalling
 * side lives on the control loop and the audio side on a media loop
 * without sharing anything mutable.
 *
 * Gateway side: the "virt" span backend (gw_tdm_virt_ops): connects to
 * cfg->dev, retries every retry_ms, raises RED while the signalling
 * connection is absent. Master side: gw_tdm_virt_master_*: listens on a
 * path, accepts (and re-accepts) the gateway's two connections, paces the
 * blocks, sends and receives HDLC frames and alarms.
 */
#ifndef GW_TDM_VIRT_H
#define GW_TDM_VIRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "gw/span.h"

#define GW_TDM_VIRT_VERSION 1
#define GW_TDM_VIRT_HDR 8
/* Largest message: header + 31 B-channels x 160 bytes. */
#define GW_TDM_VIRT_MAX (GW_TDM_VIRT_HDR + GW_SPAN_MAX_TS * GW_SPAN_BLOCK)

enum gw_tdm_virt_type {
	GW_TDM_VIRT_HELLO = 0x01,
	GW_TDM_VIRT_AUDIO = 0x10,
	GW_TDM_VIRT_HDLC = 0x20,
	GW_TDM_VIRT_HDLC_ERR = 0x21,
	GW_TDM_VIRT_ALARM = 0x30,
	GW_TDM_VIRT_ERROR = 0x7f,
};

enum gw_tdm_virt_role {
	GW_TDM_VIRT_ROLE_SIG = 1,   /* HELLO, HDLC, HDLC_ERR, ALARM, ERROR */
	GW_TDM_VIRT_ROLE_AUDIO = 2, /* HELLO, AUDIO, ERROR */
};

enum gw_tdm_virt_errcode {
	GW_TDM_VIRT_E_VERSION = 1,  /* unsupported protocol version */
	GW_TDM_VIRT_E_SPAN = 2,     /* span type / law / channels differ */
	GW_TDM_VIRT_E_ROLE = 3,     /* bad role or message for the role */
	GW_TDM_VIRT_E_PROTO = 4,    /* malformed message */
};

/* Span description carried in HELLO. */
struct gw_tdm_virt_hello {
	uint8_t role;               /* enum gw_tdm_virt_role */
	uint8_t span_type;          /* enum gw_span_type */
	uint8_t law;                /* enum gw_span_law */
	uint8_t dchan;              /* 0 = none */
	uint32_t bmask;
	uint16_t span_id;
};

/* A decoded message: slices point into the datagram. */
struct gw_tdm_virt_msg {
	uint8_t version;
	uint8_t type;
	uint32_t seq;
	union {
		struct gw_tdm_virt_hello hello;
		struct { const uint8_t *p; size_t l; } data; /* AUDIO, HDLC */
		uint8_t hdlc_err;                           /* HDLC_ERR */
		uint32_t alarms;                            /* ALARM */
		struct { uint8_t code; const uint8_t *text; size_t l; } err;
	} u;
};

/*
 * Decode one datagram. Returns 0, EPROTO (bad magic, length wrong for the
 * type, field out of range), ENOTSUP (version differs: msg->version set)
 * or ENOMSG (unknown type: msg->type set; callers count and drop it).
 * msg is filled only on 0 (and version/type on ENOTSUP/ENOMSG).
 */
int gw_tdm_virt_decode(const uint8_t *buf, size_t len,
		       struct gw_tdm_virt_msg *msg);

/*
 * Encoders: write one message into buf (size sz), *lenp = bytes written.
 * Return 0, ENOSPC (buf too small) or EINVAL (payload too long/empty).
 */
int gw_tdm_virt_enc_hello(uint8_t *buf, size_t sz, size_t *lenp,
			  const struct gw_tdm_virt_hello *h);
int gw_tdm_virt_enc_audio(uint8_t *buf, size_t sz, size_t *lenp,
			  uint32_t seq, const uint8_t *samples, size_t n);
int gw_tdm_virt_enc_hdlc(uint8_t *buf, size_t sz, size_t *lenp,
			 const uint8_t *frame, size_t n);
int gw_tdm_virt_enc_hdlc_err(uint8_t *buf, size_t sz, size_t *lenp,
			     enum gw_span_hdlc_err err);
int gw_tdm_virt_enc_alarm(uint8_t *buf, size_t sz, size_t *lenp,
			  uint32_t alarms);
int gw_tdm_virt_enc_error(uint8_t *buf, size_t sz, size_t *lenp,
			  enum gw_tdm_virt_errcode code, const char *text);

/* HELLO describing a span configuration (role set by caller). */
void gw_tdm_virt_hello_from_cfg(struct gw_tdm_virt_hello *h,
				const struct gw_span_cfg *cfg, uint8_t role);
/* Compare a peer's HELLO with ours: 0, or EPROTO with a reason in buf. */
int gw_tdm_virt_hello_match(const struct gw_tdm_virt_hello *ours,
			    const struct gw_tdm_virt_hello *peer,
			    char *why, size_t sz);

/* The gateway-side span backend ("virt"). cfg->dev is the socket path. */
extern const struct gw_tdm_ops gw_tdm_virt_ops;

/*
 * Counters of the gateway-side backend (control side), for tests and
 * operators. Returns EINVAL if the span's backend is not virt/opened.
 */
struct gw_tdm_virt_stats {
	uint64_t connects;          /* successful HELLO exchanges (sig) */
	uint64_t connect_fail;      /* failed connect attempts */
	uint64_t unknown;           /* unknown message types dropped */
	uint64_t malformed;         /* undecodable messages dropped */
	uint64_t version_err;       /* peer spoke another version */
};
int gw_tdm_virt_stats(const struct gw_span *span,
		      struct gw_tdm_virt_stats *st);

/* ---- master side (far end, clock master) ---- */

struct gw_tdm_virt_master;

struct gw_tdm_virt_master_handlers {
	/* Signalling and/or audio connection came or went. */
	void (*conn_h)(bool sig_up, bool audio_up, void *arg);
	/* HDLC frame from the gateway. */
	void (*hdlc_h)(const uint8_t *frame, size_t len, void *arg);
	/* Alarm bits the gateway reports (its view of the line). */
	void (*alarm_h)(uint32_t alarms, void *arg);
	/*
	 * Every 20 ms while the audio connection is up: fill tx (nchan
	 * blocks, pre-filled with idle) to send to the gateway now. May be
	 * NULL (idle is sent).
	 */
	void (*tick_h)(uint8_t *tx, unsigned nchan, uint32_t seq, void *arg);
	/* The gateway's answer to block seq (nchan blocks). */
	void (*rx_h)(const uint8_t *rx, unsigned nchan, uint32_t seq,
		     void *arg);
};

struct gw_tdm_virt_master_stats {
	uint64_t blocks_tx, blocks_rx;
	uint64_t late_ticks;        /* timer fired > 1 tick late */
	uint64_t hdlc_tx, hdlc_rx;
	uint64_t accepts, rejects;  /* connections accepted / refused */
	uint64_t unknown, malformed;
};

/*
 * Create a master for a span described by cfg (type, law, bmask, dchan,
 * id; ops/dev ignored) on loop; nothing is opened yet. 0, EINVAL, ENOMEM.
 */
int gw_tdm_virt_master_alloc(struct gw_tdm_virt_master **mp, uv_loop_t *loop,
			     const struct gw_span_cfg *cfg,
			     const struct gw_tdm_virt_master_handlers *h,
			     void *arg);
/* Listen on path (an existing socket file is replaced). 0 or errno. */
int gw_tdm_virt_master_listen(struct gw_tdm_virt_master *m,
			      const char *path);
/*
 * Adopt an already connected socket (e.g. one end of a socketpair); the
 * peer's HELLO decides whether it is the sig or audio connection. The
 * master owns fd afterwards (closed on failure too).
 */
int gw_tdm_virt_master_adopt(struct gw_tdm_virt_master *m, int fd);
/* Send an HDLC frame / alarm set to the gateway. ENOTCONN if no sig peer. */
int gw_tdm_virt_master_hdlc_send(struct gw_tdm_virt_master *m,
				 const uint8_t *frame, size_t len);
int gw_tdm_virt_master_hdlc_err_send(struct gw_tdm_virt_master *m,
				     enum gw_span_hdlc_err err);
int gw_tdm_virt_master_alarm_send(struct gw_tdm_virt_master *m,
				  uint32_t alarms);
/* Send raw bytes on the sig (audio=false) or audio connection (tests). */
int gw_tdm_virt_master_send_raw(struct gw_tdm_virt_master *m, bool audio,
				const uint8_t *buf, size_t len);
/* Drop the current peer connections (simulates line loss). */
void gw_tdm_virt_master_drop(struct gw_tdm_virt_master *m);
bool gw_tdm_virt_master_sig_up(const struct gw_tdm_virt_master *m);
bool gw_tdm_virt_master_audio_up(const struct gw_tdm_virt_master *m);
void gw_tdm_virt_master_stats(const struct gw_tdm_virt_master *m,
			      struct gw_tdm_virt_master_stats *st);
/* Stop listening, close connections and timers, free. NULL is fine. The
 * handles close asynchronously: run the loop once more before closing it. */
void gw_tdm_virt_master_free(struct gw_tdm_virt_master *m);

#endif
