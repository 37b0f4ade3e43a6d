/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TDM spans: an E1 (G.704, 31 timeslots, D-channel on TS16 by default) or
 * T1 (24 timeslots, D-channel on TS24 by default) presented as B-channels
 * carrying 8-bit G.711 samples (A-law or mu-law per span) in 20 ms blocks
 * and one signalling channel carrying HDLC frames (Q.921 for PRI, MTP2 for
 * SS7). Span state (up/down, line alarms red/yellow/blue/loopback with
 * timestamps), B-channel state with an explicit transition table, channel
 * groups with hunting strategies, and the backend vtable (virtual span,
 * DAHDI) that code above the span never sees.
 *
 * Threads: everything here runs on the control thread except the audio
 * functions marked "media thread": gw_span_audio_attach/detach and the tick
 * handler run on the thread that runs the media loop given to attach. The
 * two sides share only the span's immutable configuration, so the audio
 * path takes no locks (see docs/tdm_virt.md for how the virtual backend
 * keeps a separate socket for audio).
 */
#ifndef GW_SPAN_H
#define GW_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

/* Samples per B-channel per tick: 20 ms at 8 kHz. */
#define GW_SPAN_BLOCK 160
/* Tick period in milliseconds. */
#define GW_SPAN_TICK_MS 20
/* Largest timeslot number (E1 TS31). */
#define GW_SPAN_MAX_TS 31
/* Largest HDLC frame (address..information, no FCS) carried by a span. */
#define GW_SPAN_HDLC_MAX 1024

enum gw_span_type {
	GW_SPAN_E1 = 1,
	GW_SPAN_T1 = 2,
};

enum gw_span_law {
	GW_LAW_ALAW = 1,
	GW_LAW_ULAW = 2,
};

/* Line alarms, a bit set. */
enum gw_span_alarm {
	GW_ALARM_RED      = 1u << 0, /* loss of signal / frame (local) */
	GW_ALARM_YELLOW   = 1u << 1, /* remote alarm indication (RAI) */
	GW_ALARM_BLUE     = 1u << 2, /* AIS: all-ones from upstream */
	GW_ALARM_LOOPBACK = 1u << 3, /* span looped back */
};
#define GW_ALARM_ALL 0x0fu

/* HDLC receive errors reported by a backend (counted, never fatal). */
enum gw_span_hdlc_err {
	GW_HDLC_ABORT = 1,  /* abort sequence received */
	GW_HDLC_BADFCS,     /* frame with a bad FCS was dropped */
	GW_HDLC_OVERRUN,    /* receiver overrun, frames lost */
	GW_HDLC_TOOLONG,    /* frame longer than GW_SPAN_HDLC_MAX dropped */
};

/*
 * B-channel state. BLOCKED means blocked for maintenance, locally and/or
 * remotely (see gw_span_chan_blocked() for which); a channel blocked while
 * RESERVED or INUSE keeps its call and becomes BLOCKED when released, as a
 * busy ISUP circuit does (Q.764 §2.8.2).
 */
enum gw_chan_state {
	GW_CHAN_IDLE = 0,
	GW_CHAN_RESERVED,   /* picked by hunting, call being set up */
	GW_CHAN_INUSE,      /* carrying a call */
	GW_CHAN_BLOCKED,    /* in maintenance, no new calls */
	GW_CHAN_RESTARTING, /* RESTART (Q.931 §5.5) / RSC in progress */
	GW_CHAN_STATE_COUNT
};

enum gw_chan_event {
	GW_CHEV_RESERVE = 0,    /* idle -> reserved (outgoing call) */
	GW_CHEV_SEIZE,          /* idle|reserved -> in use */
	GW_CHEV_RELEASE,        /* reserved|in use -> idle (or blocked) */
	GW_CHEV_BLOCK_LOCAL,    /* maintenance block from our side */
	GW_CHEV_UNBLOCK_LOCAL,
	GW_CHEV_BLOCK_REMOTE,   /* far end blocked it (BLO, SERVICE) */
	GW_CHEV_UNBLOCK_REMOTE,
	GW_CHEV_RESTART,        /* any -> restarting (clears a call) */
	GW_CHEV_RESTART_DONE,   /* restarting -> idle (or blocked) */
	GW_CHEV_COUNT
};

/* Who blocked a channel, a bit set. */
enum gw_chan_block {
	GW_BLOCK_LOCAL  = 1u << 0,
	GW_BLOCK_REMOTE = 1u << 1,
};

enum gw_hunt {
	GW_HUNT_ASC = 0,    /* lowest member first */
	GW_HUNT_DESC,       /* highest member first */
	GW_HUNT_RR,         /* round robin: start after the last pick */
	GW_HUNT_LRU,        /* the member idle the longest */
};

struct gw_span;
struct gw_span_group;
struct gw_tdm_ops;

/*
 * Span configuration. Timeslots are numbered 1..31 (E1) or 1..24 (T1);
 * bit n of bmask is timeslot n. A fractional span lists fewer B-channels.
 * dchan 0 means no signalling channel (e.g. an SS7 voice-only span).
 */
struct gw_span_cfg {
	unsigned id;                    /* span number, unique, >= 1 */
	char name[32];                  /* for logs; "" -> "span<id>" */
	enum gw_span_type type;
	enum gw_span_law law;
	uint32_t bmask;                 /* B-channel timeslots */
	unsigned dchan;                 /* signalling timeslot, 0 = none */
	const struct gw_tdm_ops *ops;   /* backend; NULL = none (tests) */
	/* Backend address: socket path (virt) or "" (dahdi uses chan_base). */
	char dev[108];
	unsigned chan_base;             /* DAHDI channel number of TS1 */
	unsigned retry_ms;              /* virt: reconnect period, 0=1000 */
	/* Timeslots whose echo is already cancelled below us (DAHDI
	 * echocanceller= lines): the media layer can skip its own. */
	uint32_t ecmask;
};

/*
 * Defaults for a full span of the given type: E1 B = TS1-15,17-31, D =
 * TS16, A-law; T1 B = TS1-23, D = TS24, mu-law. Other fields zeroed.
 */
void gw_span_cfg_default(struct gw_span_cfg *cfg, enum gw_span_type type,
			 unsigned id);
/* Check a configuration; 0 or EINVAL (reason logged). */
int gw_span_cfg_check(const struct gw_span_cfg *cfg);
/*
 * Timeslot lists as operators write them ("1-15,17-31", spaces allowed)
 * to a mask (bit n = timeslot n), checked against the type's timeslots.
 * Returns 0 or EINVAL (*mask set only on success).
 */
int gw_span_ts_parse(const char *s, enum gw_span_type type, uint32_t *mask);
/* A mask back to the shortest list ("1-15,17-31"); "" for 0. Returns buf. */
const char *gw_span_ts_str(uint32_t mask, char *buf, size_t sz);
/* Number of timeslots of the type: 31 (E1) or 24 (T1). */
unsigned gw_span_type_nts(enum gw_span_type type);
const char *gw_span_type_name(enum gw_span_type type);
const char *gw_span_law_name(enum gw_span_law law);
/* Idle byte for the law (A-law 0xd5, mu-law 0xff: both are zero level). */
uint8_t gw_span_law_idle(enum gw_span_law law);

/* Upper-layer handlers, all called on the control thread. */
struct gw_span_handlers {
	/* One received HDLC frame (no FCS). The buffer is valid only during
	 * the call. */
	void (*hdlc_h)(struct gw_span *span, const uint8_t *frame, size_t len,
		       void *arg);
	/* The span's alarm set or up/down state changed. */
	void (*alarm_h)(struct gw_span *span, unsigned alarms, bool up,
			void *arg);
	/* An HDLC receive error (counted by the span as well). */
	void (*hdlc_err_h)(struct gw_span *span, enum gw_span_hdlc_err err,
			   void *arg);
};

/*
 * Create a span from cfg (copied). Channels start IDLE, the span DOWN and
 * in red alarm until the backend reports the line. Returns 0, EINVAL (bad
 * config) or ENOMEM; *spanp set on success. Caller frees with
 * gw_span_free().
 */
int gw_span_alloc(struct gw_span **spanp, const struct gw_span_cfg *cfg);
/*
 * Free a span: detaches groups' references (members on this span are
 * removed), closes the backend. Audio must have been detached first by
 * the media thread. NULL is fine.
 */
void gw_span_free(struct gw_span *span);

void gw_span_set_handlers(struct gw_span *span,
			  const struct gw_span_handlers *h, void *arg);

/*
 * Open the backend on the control loop (signalling side). 0, EINVAL if the
 * span has no backend, or the backend's error. A backend that cannot reach
 * its line yet (virt peer absent) still returns 0 and keeps the span in
 * red alarm while it retries.
 */
int gw_span_start(struct gw_span *span, uv_loop_t *ctl_loop);
/*
 * Close the backend (span goes DOWN + RED, no handler call). Audio must
 * be detached. Backend handles close asynchronously: run the control loop
 * (uv_run) once more before closing it.
 */
void gw_span_stop(struct gw_span *span);

/*
 * Send one HDLC frame (no FCS) on the signalling channel. Note for libpri
 * glue: pri_new_cb's write callback hands over the frame plus 2 FCS
 * placeholder bytes (send len - 2), and libpri's read callback must
 * return the frame plus 2 (any) trailing bytes, which libpri drops as the
 * FCS, as it does with DAHDI. Returns 0,
 * EINVAL (len 0 or > GW_SPAN_HDLC_MAX, no D-channel), ENOTCONN (span
 * down), EAGAIN (backend queue full) or the backend's error.
 */
int gw_span_hdlc_send(struct gw_span *span, const uint8_t *frame,
		      size_t len);

const struct gw_span_cfg *gw_span_cfg(const struct gw_span *span);
unsigned gw_span_id(const struct gw_span *span);
const char *gw_span_name(const struct gw_span *span);
bool gw_span_is_up(const struct gw_span *span);
unsigned gw_span_alarms(const struct gw_span *span);
/* True if the span can carry new calls: up and no alarm. */
bool gw_span_usable(const struct gw_span *span);
/* CLOCK_REALTIME ms of the last up/down change and last alarm change. */
uint64_t gw_span_up_since(const struct gw_span *span);
uint64_t gw_span_alarm_since(const struct gw_span *span);
/* "RED|YELLOW" style text ("OK" for none) into buf; returns buf. */
const char *gw_span_alarm_str(unsigned alarms, char *buf, size_t sz);

struct gw_span_stats {
	uint64_t hdlc_rx, hdlc_tx, hdlc_rx_err, hdlc_tx_err;
	uint64_t alarm_changes;
	uint64_t illegal_transitions;
};
void gw_span_stats(const struct gw_span *span, struct gw_span_stats *st);

/* B-channels: count, and mapping index (audio block order) <-> timeslot. */
unsigned gw_span_bchan_count(const struct gw_span *span);
/* Timeslot of B-channel index i, 0 if out of range. */
unsigned gw_span_bchan_ts(const struct gw_span *span, unsigned idx);
/* Index of the B-channel on timeslot ts; ENOENT if not a B-channel. */
int gw_span_bchan_idx(const struct gw_span *span, unsigned ts,
		      unsigned *idx);

/*
 * Apply an event to the B-channel on timeslot ts through the transition
 * table. Returns 0, ENOENT (ts is not a B-channel) or EPERM (transition
 * not allowed in the current state: logged and counted, state unchanged).
 */
int gw_span_chan_event(struct gw_span *span, unsigned ts,
		       enum gw_chan_event ev);
/* State of a B-channel; GW_CHAN_STATE_COUNT if ts is not a B-channel. */
enum gw_chan_state gw_span_chan_state(const struct gw_span *span,
				      unsigned ts);
/* Blocking bits (enum gw_chan_block) of a B-channel. */
unsigned gw_span_chan_blocked(const struct gw_span *span, unsigned ts);
/* CLOCK_REALTIME ms of the channel's last state change. */
uint64_t gw_span_chan_since(const struct gw_span *span, unsigned ts);
/*
 * One opaque pointer per B-channel for the layer that owns the channel's
 * call (e.g. the call object while RESERVED/INUSE). The span never looks
 * at it; it is not cleared on state changes. 0 or ENOENT.
 */
int gw_span_chan_set_priv(struct gw_span *span, unsigned ts, void *priv);
void *gw_span_chan_priv(const struct gw_span *span, unsigned ts);
/* Pure lookup in the transition table: the state after ev, given the
 * current state and block bits; EPERM if not allowed. Used by tests and
 * by callers that want to ask before acting. */
int gw_chan_next(enum gw_chan_state st, unsigned blocked,
		 enum gw_chan_event ev, enum gw_chan_state *next);
const char *gw_chan_state_name(enum gw_chan_state st);
const char *gw_chan_event_name(enum gw_chan_event ev);

/*
 * Channel groups for routing. A group lists (span, timeslot) members in the
 * order added and may cover several spans; hunting skips channels that are
 * not IDLE and spans that are not usable, and RESERVES the channel it
 * returns (the caller SEIZEs or RELEASEs it later). Groups keep pointers
 * to spans: a span being freed removes itself from every group.
 */
int gw_span_group_alloc(struct gw_span_group **grpp, const char *name,
			enum gw_hunt hunt);
void gw_span_group_free(struct gw_span_group *grp);
/* Add B-channel ts (0 = every B-channel of the span, ascending). 0,
 * ENOENT (not a B-channel), EEXIST (already a member), ENOMEM. */
int gw_span_group_add(struct gw_span_group *grp, struct gw_span *span,
		      unsigned ts);
/* Pick and reserve a channel. 0, or EBUSY when no member is available. */
int gw_span_group_hunt(struct gw_span_group *grp, struct gw_span **spanp,
		       unsigned *tsp);
unsigned gw_span_group_size(const struct gw_span_group *grp);
/* Number of members that hunting could pick now. */
unsigned gw_span_group_available(const struct gw_span_group *grp);
const char *gw_span_group_name(const struct gw_span_group *grp);
int gw_hunt_parse(const char *s, enum gw_hunt *hunt);
const char *gw_hunt_name(enum gw_hunt hunt);

/*
 * Audio (media thread). Each tick delivers the received block of every
 * B-channel and collects the block to transmit:
 *   rx + i * GW_SPAN_BLOCK  : 160 samples received on B-channel index i
 *   tx + i * GW_SPAN_BLOCK  : 160 samples to send (pre-filled with the
 *                             law's idle byte before the call)
 * for i < nchan, in gw_span_bchan_ts() order. seq counts ticks (it comes
 * from the master clock on the virtual span). Buffers are valid only during
 * the call.
 */
struct gw_span_tick {
	const uint8_t *rx;
	uint8_t *tx;
	unsigned nchan;
	uint32_t seq;
};
typedef void (gw_span_tick_h)(struct gw_span *span,
			      const struct gw_span_tick *tick, void *arg);

/*
 * Media thread: start delivering ticks on media_loop (which must be the
 * loop of the calling thread; it may be the control loop). The backend
 * opens its audio path here. 0, EALREADY, EINVAL, or the backend's error.
 */
int gw_span_audio_attach(struct gw_span *span, uv_loop_t *media_loop,
			 gw_span_tick_h *tickh, void *arg);
/* Media thread: stop ticks and close the audio path. */
void gw_span_audio_detach(struct gw_span *span);

struct gw_span_audio_stats {
	uint64_t ticks;         /* blocks delivered to the tick handler */
	uint64_t gaps;          /* master sequence gaps (blocks lost) */
	uint64_t errors;        /* malformed / failed audio I/O */
};
/* Media thread: audio counters. */
void gw_span_audio_stats(const struct gw_span *span,
			 struct gw_span_audio_stats *st);

/*
 * Backend vtable. A backend instance is created by open() for one span and
 * reports back through the gw_span_backend_* functions below. open, close
 * and hdlc_send run on the control thread; audio_attach/detach on the
 * media thread.
 */
struct gw_tdm_ops {
	const char *name;
	int (*open)(struct gw_span *span, uv_loop_t *ctl_loop, void **be);
	void (*close)(void *be);
	int (*hdlc_send)(void *be, const uint8_t *frame, size_t len);
	int (*audio_attach)(void *be, uv_loop_t *media_loop);
	void (*audio_detach)(void *be);
};

/* Backend -> span (control thread). */
void gw_span_backend_hdlc_rx(struct gw_span *span, const uint8_t *frame,
			     size_t len);
void gw_span_backend_hdlc_err(struct gw_span *span,
			      enum gw_span_hdlc_err err);
/* The line state as the backend sees it. */
void gw_span_backend_line(struct gw_span *span, bool up, unsigned alarms);

/*
 * Backend -> span (media thread): one tick. rx holds nchan blocks; the
 * span fills the backend's tx buffer (nchan blocks) through the tick
 * handler. gap = blocks the backend knows were lost before this one.
 */
void gw_span_backend_tick(struct gw_span *span, const uint8_t *rx,
			  uint8_t *tx, uint32_t seq, uint32_t gap);
/* The backend instance open() returned (NULL when stopped). */
void *gw_span_backend(const struct gw_span *span);

/* Backend -> span (media thread): count an audio error. */
void gw_span_backend_audio_err(struct gw_span *span);

/* Backend lookup by name ("virt", "dahdi"); NULL if not built in. */
const struct gw_tdm_ops *gw_tdm_ops_find(const char *name);

#endif
