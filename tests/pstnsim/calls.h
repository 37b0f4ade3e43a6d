/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Calls of the test programs on top of gw/pri: one struct sim_line per
 * span (its libpri instance and timeslot -> call map), call records kept
 * after release so tests can read causes and results, the behaviour of
 * incoming calls (pstnsim's default subscribers, or the driver's
 * auto-answer), per-call media engines fed from the span's audio ticks,
 * and the call-related control commands (call, hangup, answer, play,
 * digits, stats, calls).
 */
#ifndef PSTNSIM_CALLS_H
#define PSTNSIM_CALLS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "gw/pri.h"
#include "tests/pstnsim/ctlsrv.h"
#include "tests/pstnsim/media.h"

#define SIM_MAX_CALLS 1024

enum sim_policy {
	SIM_POLICY_SUBSCRIBERS = 0, /* pstnsim: numbers pick a behaviour */
	SIM_POLICY_ANSWER,          /* driver: answer everything, loopback */
	SIM_POLICY_RING,            /* driver: alert, wait for "answer" */
};

enum sim_call_state {
	SIM_CS_SETUP = 0,
	SIM_CS_OVERLAP,
	SIM_CS_PROCEEDING,
	SIM_CS_ALERTING,
	SIM_CS_ACTIVE,
	SIM_CS_DISCONNECTING,
	SIM_CS_RELEASED,
};

struct sim_calls;
struct sim_call;

struct sim_line {
	unsigned id;              /* span number */
	bool alaw;
	bool t1;
	struct gw_pri *pri;
	unsigned nb;              /* B-channels, audio block order */
	unsigned bts[GW_PRI_MAX_TS];
	struct sim_call *chan[GW_PRI_MAX_TS + 1];
	struct sim_calls *calls;
};

struct sim_calls {
	uv_loop_t *loop;
	enum sim_policy policy;
	char fax_dir[200];
	double echo_erl;          /* 800x echo path ERL, dB */
	unsigned echo_delay_ms;
	unsigned ringback_ms;     /* 600x ringback before answer */
	struct sim_call *rec[SIM_MAX_CALLS];
	unsigned nrec;
	unsigned next_id;
	struct sim_line *lines[8];
	unsigned nlines;
};

void sim_calls_init(struct sim_calls *cs, uv_loop_t *loop,
		    enum sim_policy policy);
/* Free every call record (and its media/timer). */
void sim_calls_close(struct sim_calls *cs);

/* Set a line's timeslot order from a B-channel mask; register it. */
void sim_line_init(struct sim_line *l, struct sim_calls *cs, unsigned id,
		   bool t1, bool alaw, uint32_t bmask);

/* gw_pri event handler: pass the line as arg to gw_pri_alloc(). */
void sim_line_pri_event(const struct gw_pri_event *ev, void *arg);

/* Audio: fill tx / consume rx for every B-channel (nchan blocks). */
void sim_line_tx(struct sim_line *l, uint8_t *tx, unsigned nchan);
void sim_line_rx(struct sim_line *l, const uint8_t *rx, unsigned nchan);

/*
 * Handle a call command; returns false if argv[0] is not one of them.
 *   call <span> <called> <calling> [pres] [bearer] [overlap]
 *   hangup <id> [cause] | answer <id> | alert <id>
 *   play <id> tone <hz> [dbm0] | dtmf <digits> | wav <file> |
 *        fax <tiff> | faxrx <tiff> | noise <dbm0> | pattern | loop |
 *        dtmfrx | echo <model> <erl> <ms> | idle
 *   info <id> <digits>  (overlap digits)
 *   digits <id> | stats <id> | calls | last
 */
bool sim_calls_command(struct sim_calls *cs, int argc, char **argv,
		       struct ctl_reply *r);

const char *sim_call_state_name(enum sim_call_state st);

#endif
