/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DAHDI span backend ("dahdi"): the production E1/T1 path through
 * /dev/dahdi/channel. Built only when <dahdi/user.h> is present
 * (HAVE_DAHDI). Span layouts come from system.conf via gw/dahdi_conf
 * (gw_dahdi_conf_span_cfg() fills cfg->chan_base, bmask, dchan, law).
 * cfg->dev names the directory holding the "channel" and "ctl" nodes
 * ("" = /dev/dahdi), so a test can point it at substitute devices.
 *
 * Control thread: the signalling channel (dchan/hardhdlc/mtp2) opened with
 * DAHDI_SPECIFY and read/written as HDLC frames; ELAST reads fetch
 * DAHDI_GETEVENT (alarms, HDLC abort / bad FCS / overrun); DAHDI_SPANSTAT
 * gives the alarm set at open, on every alarm event and every second.
 * Media thread: every B-channel opened at audio attach with blocksize 160,
 * the span's law and audio mode; the first B-channel's readiness is the
 * 20 ms tick, as the span's frame clock drives all its channels.
 *
 * HDLC frames cross this API without FCS: DAHDI returns frame + 2 FCS
 * bytes on read (stripped here) and expects 2 placeholder bytes on write
 * (appended here).
 */
#ifndef GW_TDM_DAHDI_H
#define GW_TDM_DAHDI_H

#include <stdint.h>

#include "gw/span.h"

extern const struct gw_tdm_ops gw_tdm_dahdi_ops;

/* DAHDI alarm bits (DAHDI_ALARM_*) to the span's GW_ALARM_* set. */
unsigned gw_tdm_dahdi_alarms(int dahdi_alarms);

#endif
