/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-call media engines of the PSTN simulator and of the gateway-side test
 * driver: what a simulated line does with the 20 ms G.711 blocks it gets
 * and what it sends back. Digital loopback, tones (ITU-T E.180 ringback,
 * 1 kHz test tone), DTMF send/receive (Q.23/Q.24, spandsp), T.30 fax
 * terminals (spandsp fax_init, TIFF pages), a G.168 Annex D hybrid echo
 * path (spandsp fir32 over the g168models impulse responses, scaled to a
 * chosen ERL, with bulk delay), a pseudo-random pattern sender/checker for
 * sample-exact loopback tests, WAV playback and level meters in dBm0.
 * No I/O besides the fax TIFF and WAV files; one engine per call.
 */
#ifndef PSTNSIM_MEDIA_H
#define PSTNSIM_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_BLOCK 160

enum sim_media_mode {
	SIM_M_IDLE = 0,     /* send idle, measure */
	SIM_M_LOOP,         /* digital loopback: send back what came in */
	SIM_M_TONE,         /* continuous tone (freq, level) */
	SIM_M_RINGBACK,     /* ringback tone (E.180: 425 Hz or 440+480 Hz) */
	SIM_M_DTMF_RX,      /* record DTMF digits */
	SIM_M_DTMF_TX,      /* send DTMF digits, then idle */
	SIM_M_FAX_RX,       /* T.30 receiver, pages to a TIFF */
	SIM_M_FAX_TX,       /* T.30 sender from a TIFF */
	SIM_M_ECHO,         /* line echo through a G.168 hybrid model */
	SIM_M_PATTERN,      /* pseudo-random bytes out, checked when back */
	SIM_M_NOISE,        /* white noise at a level (echo measurement) */
	SIM_M_WAV,          /* play a WAV file (8 kHz 16-bit mono PCM) */
};

struct sim_media;

struct sim_media_stats {
	double rx_dbm0;        /* level received, last second */
	double tx_dbm0;        /* level sent, last second */
	uint64_t rx_blocks, tx_blocks;
	/* pattern mode */
	bool pattern_locked;   /* the pattern came back and was found */
	unsigned pattern_delay;/* samples between sending and receiving */
	uint64_t pattern_ok, pattern_bad;
	/* fax */
	int fax_pages;         /* pages received or sent so far */
	int fax_result;        /* -1 while running, else T.30 completion code */
	/* dtmf */
	char digits[128];
};

/* Create an engine for a call; alaw picks the companding law. */
int sim_media_alloc(struct sim_media **mp, bool alaw);
void sim_media_free(struct sim_media *m);

/* Switch mode. Mode arguments:
 *   TONE: freq Hz, level dBm0;     RINGBACK: t1 (false = E1 425 Hz)
 *   DTMF_TX: digits;               FAX_RX / FAX_TX / WAV: file path
 *   ECHO: model 2..9 (G.168 D.2..D.9), erl dB, delay ms
 *   NOISE: level dBm0
 * Returns 0, EINVAL or the error opening a file. */
int sim_media_set_tone(struct sim_media *m, int freq, int level);
int sim_media_set_ringback(struct sim_media *m, bool t1);
int sim_media_set_dtmf_tx(struct sim_media *m, const char *digits);
int sim_media_set_fax(struct sim_media *m, bool sender, const char *tiff);
int sim_media_set_echo(struct sim_media *m, int model, double erl_db,
		       unsigned delay_ms);
int sim_media_set_wav(struct sim_media *m, const char *path);
int sim_media_set_noise(struct sim_media *m, int level);
/* ECHO mode only: add a near-end talker, a sine of freq Hz at level
 * dBm0, to the echo sent back (double talk for canceller tests); freq 0
 * stops it. The echo path is left as it is. 0 or EINVAL. */
int sim_media_set_echo_near(struct sim_media *m, int freq, int level);
/* LOOP, DTMF_RX, PATTERN, IDLE (no arguments). */
int sim_media_set_mode(struct sim_media *m, enum sim_media_mode mode);
enum sim_media_mode sim_media_mode(const struct sim_media *m);
const char *sim_media_mode_name(enum sim_media_mode mode);

/* One block in from the line, one block out to the line (SIM_BLOCK). */
void sim_media_rx(struct sim_media *m, const uint8_t *in, size_t n);
void sim_media_tx(struct sim_media *m, uint8_t *out, size_t n);

void sim_media_stats(struct sim_media *m, struct sim_media_stats *st);

/* The ERL (dB) the echo model was scaled to for white noise (0 if none). */
double sim_media_echo_erl(const struct sim_media *m);

/*
 * Write a fax TIFF of n pages (1728 px wide, 204x98 dpi, T.4 1-D), each
 * page a different bar pattern, for T.30 sender tests. 0 or errno.
 */
int sim_fax_make_tiff(const char *path, int pages);

#endif
