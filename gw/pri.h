/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ISDN PRI signalling for one span: libpri (Q.921 LAPD + Q.931 call
 * control, ITU-T Q.931 §5 call states, §5.5 RESTART, ANSI T1.607 SERVICE)
 * running over the span's D-channel through caller-supplied frame I/O, with
 * libpri's timers on the control thread's libuv loop. It keeps the state of
 * each B-channel (idle, in a call, restarting, out of service, link down),
 * chooses channels, restarts the span when the link comes up and channels
 * that get stuck, clears every call cleanly when the D-channel fails, and
 * reports every libpri event to one handler as a struct gw_pri_event.
 *
 * The module does not know the TDM backend: the owner passes each received
 * HDLC frame (without FCS) to gw_pri_recv() and sends what the frame handler
 * gives it. Everything runs on the control thread.
 */
#ifndef GW_PRI_H
#define GW_PRI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uv_loop_s;
struct gw_pri;
struct gw_pri_call;

/* Highest timeslot number on a span (E1: 1..31, T1: 1..24). */
#define GW_PRI_MAX_TS 31

enum gw_pri_node {
	GW_PRI_CPE = 0,   /* user side */
	GW_PRI_NET,       /* network side */
};

enum gw_pri_switch {
	GW_PRI_SW_NATIONAL = 0, /* National ISDN 2 */
	GW_PRI_SW_NI1,
	GW_PRI_SW_DMS100,
	GW_PRI_SW_4ESS,
	GW_PRI_SW_5ESS,
	GW_PRI_SW_EUROISDN,     /* ETSI EN 300 403; E1 or T1 variant by span */
	GW_PRI_SW_QSIG,
};

enum gw_pri_bearer {
	GW_PRI_BEARER_SPEECH = 0,
	GW_PRI_BEARER_AUDIO_3K1,
	GW_PRI_BEARER_UDI,      /* unrestricted digital information */
};

/* Q.931 §4.5.8 type of number and numbering plan (values as on the wire). */
enum gw_pri_ton {
	GW_PRI_TON_UNKNOWN = 0,
	GW_PRI_TON_INTERNATIONAL = 1,
	GW_PRI_TON_NATIONAL = 2,
	GW_PRI_TON_NETWORK = 3,
	GW_PRI_TON_SUBSCRIBER = 4,
	GW_PRI_TON_ABBREVIATED = 6,
};

enum gw_pri_npi {
	GW_PRI_NPI_UNKNOWN = 0,
	GW_PRI_NPI_E164 = 1,
	GW_PRI_NPI_X121 = 3,
	GW_PRI_NPI_F69 = 4,
	GW_PRI_NPI_NATIONAL = 8,
	GW_PRI_NPI_PRIVATE = 9,
};

/* Presentation indicator and screening indicator (Q.931 §4.5.10). */
enum gw_pri_pres {
	GW_PRI_PRES_ALLOWED = 0,
	GW_PRI_PRES_RESTRICTED = 1,
	GW_PRI_PRES_UNAVAILABLE = 2,
};

enum gw_pri_screen {
	GW_PRI_SCREEN_USER_NOT_SCREENED = 0,
	GW_PRI_SCREEN_USER_PASSED = 1,
	GW_PRI_SCREEN_USER_FAILED = 2,
	GW_PRI_SCREEN_NETWORK = 3,
};

/* State of one B-channel as this module sees it. */
enum gw_pri_chan_state {
	GW_PRI_CH_NONE = 0,     /* not a B-channel of this span */
	GW_PRI_CH_DOWN,         /* D-channel down: not usable */
	GW_PRI_CH_RESTARTING,   /* RESTART sent, waiting for RESTART ACK */
	GW_PRI_CH_IDLE,
	GW_PRI_CH_BUSY,         /* a call owns it */
	GW_PRI_CH_OOS_LOCAL,    /* taken out of service by us (SERVICE) */
	GW_PRI_CH_OOS_REMOTE,   /* taken out of service by the peer */
};

/* Trace switches (gw_pri_conf.trace, gw_pri_set_trace()). */
#define GW_PRI_TRACE_Q931  0x1u  /* decoded Q.931 messages and states */
#define GW_PRI_TRACE_Q921  0x2u  /* decoded LAPD frames and states */
#define GW_PRI_TRACE_RAW   0x4u  /* raw HDLC frames */

struct gw_pri_conf {
	unsigned span;            /* span number, for logs and SERVICE */
	enum gw_pri_node node;
	enum gw_pri_switch sw;
	bool e1;                  /* E1 (TS1-31, D on TS16) or T1 (1-24, D on 24) */
	/* Bit n set = timeslot n is a B-channel. 0 = every timeslot but D. */
	uint32_t bchans;
	/* Numbering for numbers the upper layer gives without TON/NPI. */
	enum gw_pri_ton dialplan_ton;        /* called numbers */
	enum gw_pri_npi dialplan_npi;
	enum gw_pri_ton localdialplan_ton;   /* calling numbers */
	enum gw_pri_npi localdialplan_npi;
	bool overlapdial;         /* overlap sending and receiving (Q.931 §5.1.3) */
	bool service_msgs;        /* SERVICE messages, where the switch has them */
	bool restart_on_up;       /* RESTART every B-channel when the link comes up */
	bool alaw;                /* bearer user layer 1: A-law (else mu-law) */
	/*
	 * The calls are interworked with a non-ISDN network (SIP): our
	 * SETUP ACK and CONNECT say "destination not ISDN" (PI 2) and, on
	 * national ISDN, our SETUP "origination not ISDN" (PI 3).
	 */
	bool interworking;
	/* A channel left in release for longer than this is RESTARTed. 0 = 30 s */
	unsigned stuck_ms;
	unsigned trace;           /* GW_PRI_TRACE_* */
};

/* Fill a configuration with the defaults for an E1 euroisdn CPE span. */
void gw_pri_conf_init(struct gw_pri_conf *conf);

/* "national", "ni1", "dms100", "4ess", "5ess", "euroisdn", "qsig". 0/EINVAL */
int gw_pri_switch_parse(const char *s, enum gw_pri_switch *sw);
const char *gw_pri_switch_name(enum gw_pri_switch sw);
/* "net"/"network" or "cpe"/"user". 0/EINVAL */
int gw_pri_node_parse(const char *s, enum gw_pri_node *node);
/* "unknown", "international", "national", "network", "subscriber"
 * ("local" too), "abbreviated". 0/EINVAL */
int gw_pri_ton_parse(const char *s, enum gw_pri_ton *ton);
/* "unknown", "e164"/"isdn", "x121", "f69", "national", "private". */
int gw_pri_npi_parse(const char *s, enum gw_pri_npi *npi);
const char *gw_pri_chan_state_name(enum gw_pri_chan_state st);
/* True if the switch type carries SERVICE messages (NI2, 4ESS, 5ESS). */
bool gw_pri_switch_has_service(enum gw_pri_switch sw);

/* A party number; ton/npi < 0 means "use the span's dialplan". */
struct gw_pri_number {
	char num[32];
	int ton;
	int npi;
	enum gw_pri_pres pres;
	enum gw_pri_screen screen;
};

/* Q.931 §4.5.20 redirecting reasons (Q.850 values). */
enum gw_pri_redir_reason {
	GW_PRI_REDIR_UNKNOWN = 0,
	GW_PRI_REDIR_BUSY = 1,
	GW_PRI_REDIR_NO_REPLY = 2,
	GW_PRI_REDIR_DEFLECTION = 3,
	GW_PRI_REDIR_OUT_OF_ORDER = 9,
	GW_PRI_REDIR_BY_DTE = 10,
	GW_PRI_REDIR_UNCONDITIONAL = 15,
};

/* A call's SETUP, outgoing (gw_pri_call_setup) or incoming (event). */
struct gw_pri_setup {
	unsigned channel;         /* timeslot; 0 = let the module choose */
	bool exclusive;           /* channel is required, not preferred */
	struct gw_pri_number called;
	struct gw_pri_number calling;
	char calling_name[64];
	struct gw_pri_number redirecting;  /* num[0] == 0: none */
	enum gw_pri_redir_reason redirect_reason;
	enum gw_pri_bearer bearer;
	bool complete;            /* sending complete (false: overlap) */
};

/* Initialise a SETUP with empty numbers (dialplan TON/NPI) and speech. */
void gw_pri_setup_init(struct gw_pri_setup *setup);

enum gw_pri_ev_type {
	GW_PRI_EV_LINK_UP = 0,    /* D-channel established */
	GW_PRI_EV_LINK_DOWN,      /* D-channel lost; calls were released first */
	GW_PRI_EV_SETUP,          /* incoming call: setup, call, channel */
	GW_PRI_EV_INFO,           /* overlap digits received (digits) */
	GW_PRI_EV_KEYPAD,         /* keypad digits during the call (digits) */
	GW_PRI_EV_SETUP_ACK,      /* peer wants more digits */
	GW_PRI_EV_PROCEEDING,
	GW_PRI_EV_ALERTING,
	GW_PRI_EV_PROGRESS,       /* progress indicator (inband) */
	GW_PRI_EV_CONNECT,
	GW_PRI_EV_CONNECT_ACK,
	GW_PRI_EV_DISCONNECT,     /* peer DISCONNECT: cause, inband */
	GW_PRI_EV_RELEASE,        /* call gone: cause. Last event of a call */
	GW_PRI_EV_NOTIFY,         /* notification indicator (info) */
	GW_PRI_EV_FACILITY,       /* FACILITY received (no call effect) */
	GW_PRI_EV_CHAN_RESTART,   /* peer restarted a channel (channel) */
	GW_PRI_EV_RESTART_ACK,    /* our RESTART acknowledged (channel) */
	GW_PRI_EV_SERVICE,        /* peer changed a channel's service state */
	GW_PRI_EV_SERVICE_ACK,
	GW_PRI_EV_HOLD,           /* hold/retrieve requests, refused by us */
	GW_PRI_EV_CONFIG_ERR,     /* libpri reported a configuration error */
	GW_PRI_EV_COUNT
};

const char *gw_pri_ev_name(enum gw_pri_ev_type t);

/* Q.931 §4.5.23 progress descriptions seen, a bit set (gw_pri_event.pi). */
#define GW_PRI_PI_NOT_E2E_ISDN    (1u << 1)  /* 1: call not end-to-end ISDN */
#define GW_PRI_PI_DEST_NOT_ISDN   (1u << 2)  /* 2: destination not ISDN */
#define GW_PRI_PI_ORIG_NOT_ISDN   (1u << 3)  /* 3: origination not ISDN */
#define GW_PRI_PI_RETURNED_ISDN   (1u << 4)  /* 4: call returned to ISDN */
#define GW_PRI_PI_INTERWORKING    (1u << 5)  /* 5: interworking */
#define GW_PRI_PI_INBAND          (1u << 8)  /* 8: in-band info available */

struct gw_pri_event {
	enum gw_pri_ev_type type;
	struct gw_pri_call *call; /* NULL for span events */
	unsigned channel;         /* timeslot, 0 if none */
	int cause;                /* Q.850 cause, 0 if none */
	bool inband;              /* in-band information available (PI 8) */
	unsigned pi;              /* progress descriptions, GW_PRI_PI_* */
	int info;                 /* notify indicator / service status */
	const char *digits;       /* INFO/KEYPAD digits */
	const struct gw_pri_setup *setup;  /* GW_PRI_EV_SETUP */
	const struct gw_pri_number *connected; /* GW_PRI_EV_CONNECT: the
				     connected number (COLP), NULL if none */
};

/*
 * Event handler. Called on the control thread from inside gw_pri_recv(),
 * the timer, or gw_pri_stop(); it may call any gw_pri function, including
 * gw_pri_call_hangup() on the event's call. A call pointer stays valid until
 * its GW_PRI_EV_RELEASE event returns.
 */
typedef void (gw_pri_event_h)(const struct gw_pri_event *ev, void *arg);

/*
 * Frame writer: send one HDLC frame (address, control, information;
 * no FCS) on the D-channel. Return 0 or an errno; a lost frame is repaired
 * by LAPD retransmission.
 */
typedef int (gw_pri_frame_h)(const uint8_t *frame, size_t len, void *arg);

/*
 * Create the span's PRI instance. Nothing is sent until gw_pri_start().
 * The conf is copied. Returns 0, EINVAL (bad conf) or ENOMEM.
 */
int gw_pri_alloc(struct gw_pri **prip, struct uv_loop_s *loop,
		 const struct gw_pri_conf *conf, gw_pri_frame_h *frameh,
		 gw_pri_event_h *eh, void *arg);

/* Bring the link up (SABME on the CPE side; NET waits for it). */
int gw_pri_start(struct gw_pri *pri);

/*
 * Stop: every call is released (GW_PRI_EV_RELEASE, cause 38), timers stop.
 * The handle stays usable for gw_pri_start() again.
 */
void gw_pri_stop(struct gw_pri *pri);

/*
 * Free the instance. Calls still present are released without events.
 * Must be followed by running the loop once so the timer handle closes.
 */
void gw_pri_free(struct gw_pri *pri);

/* Feed one received HDLC frame (without FCS) from the D-channel. */
void gw_pri_recv(struct gw_pri *pri, const uint8_t *frame, size_t len);

/*
 * The transport lost or regained layer 1 (span alarm). On loss the link is
 * treated as down at once: calls are released with cause 38.
 */
void gw_pri_l1_state(struct gw_pri *pri, bool up);

bool gw_pri_link_up(const struct gw_pri *pri);
enum gw_pri_chan_state gw_pri_chan_state(const struct gw_pri *pri,
					 unsigned ts);
/* Count of channels in a state. */
unsigned gw_pri_chan_count(const struct gw_pri *pri,
			   enum gw_pri_chan_state st);
const struct gw_pri_conf *gw_pri_get_conf(const struct gw_pri *pri);

/* Switch Q.931/Q.921 traces at run time (GW_PRI_TRACE_*). */
void gw_pri_set_trace(struct gw_pri *pri, unsigned trace);

/*
 * Capture every D-channel frame, both directions, to a pcap file (path
 * NULL: stop). The file uses link type 147 (USER0) holding bare LAPD
 * frames from the address field on; Wireshark decodes it with a user DLT
 * mapping 147 to "lapd" (see tests/integration/pri_wire.sh). Returns 0 or
 * the errno of opening the file.
 */
int gw_pri_set_capture(struct gw_pri *pri, const char *path);

/*
 * Send RESTART for one B-channel (0: every B-channel). The channel must not
 * carry a call unless force is set, in which case the call is released
 * with cause 41 first. EINVAL, EBUSY, ENOTCONN (link down).
 */
int gw_pri_restart(struct gw_pri *pri, unsigned ts, bool force);

/*
 * Take a channel out of service or back in (SERVICE message, where the
 * switch type has them: ENOTSUP otherwise). EINVAL, EBUSY, ENOTCONN.
 */
int gw_pri_service(struct gw_pri *pri, unsigned ts, bool in_service);

/*
 * Place a call. setup->channel 0 picks a free channel (CPE: lowest first,
 * NET: highest first, to keep glare rare). On success *callp is the call
 * and the channel is BUSY; carg is given back with every event of the
 * call (gw_pri_call_arg()). EINVAL, ENOTCONN, EBUSY (no free channel or the
 * asked one is busy), ENOMEM, EPROTO (libpri refused).
 */
int gw_pri_call_setup(struct gw_pri *pri, const struct gw_pri_setup *setup,
		      void *carg, struct gw_pri_call **callp);

/* Replies to an incoming call, and progress on any call. 0/EPROTO/EINVAL */
int gw_pri_call_setup_ack(struct gw_pri_call *call);
int gw_pri_call_proceeding(struct gw_pri_call *call, bool inband);
int gw_pri_call_alerting(struct gw_pri_call *call, bool inband);
int gw_pri_call_progress(struct gw_pri_call *call, bool inband);
/*
 * The connected number (COLP, Q.951.5) for our CONNECT: call before
 * gw_pri_call_answer(). 0, EINVAL (no usable number), EPROTO.
 */
int gw_pri_call_connected(struct gw_pri_call *call, const struct gw_pri_number *num);
int gw_pri_call_answer(struct gw_pri_call *call);
/* Overlap digits (outgoing call after SETUP ACK). 0/EPROTO/EINVAL */
int gw_pri_call_info(struct gw_pri_call *call, const char *digits);
/*
 * Clear the call with a Q.850 cause (DISCONNECT or RELEASE COMPLETE as the
 * call state needs). GW_PRI_EV_RELEASE follows when the peer confirms.
 * Calling it again is harmless.
 */
int gw_pri_call_hangup(struct gw_pri_call *call, int cause);

unsigned gw_pri_call_channel(const struct gw_pri_call *call);
void *gw_pri_call_arg(const struct gw_pri_call *call);
void gw_pri_call_set_arg(struct gw_pri_call *call, void *carg);
bool gw_pri_call_outgoing(const struct gw_pri_call *call);

/* Per-span counters. */
struct gw_pri_stats {
	uint64_t frames_rx, frames_tx;
	uint64_t calls_in, calls_out;
	uint64_t link_ups, link_downs;
	uint64_t restarts_tx, restarts_rx;
	uint64_t unknown_events;
	uint64_t illegal_transitions;   /* refused channel state changes */
};
void gw_pri_get_stats(const struct gw_pri *pri, struct gw_pri_stats *st);

#endif
