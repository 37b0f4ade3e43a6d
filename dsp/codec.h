/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Voice codecs between the 8 kHz TDM side and RTP payloads: G.711 A-law
 * and mu-law (ITU-T G.711 §3, §4, and the A<->mu conversion of Tables
 * 3 and 4 for sample-exact pass-through), G.722 (ITU-T G.722 via spandsp)
 * with 8 <-> 16 kHz FIR interpolation/decimation, G.729 (ITU-T G.729
 * Annex A bitstream via bcg729: 10 ms frames of 10 octets, RFC 3551
 * §4.5.6; we send no Annex B SID frames but decode those a peer sends, and
 * conceal lost frames with the decoder's frame erasure, G.729 §4.4), and
 * packetisation at ptime 10, 20 or 30 ms (RFC 3551 §4.5: the RTP clock of
 * G.722 is 8000 Hz although it samples at 16 kHz).
 *
 * A struct dsp_codec is per-channel, per-direction state (the G.722 ADPCM
 * and resampler histories, the G.729 encoder and decoder); it does no I/O
 * and takes no locks.
 */
#ifndef DSP_CODEC_H
#define DSP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Codec ids are their static RTP payload types (RFC 3551 Table 4). */
enum dsp_codec_id {
	DSP_CODEC_PCMU = 0,
	DSP_CODEC_PCMA = 8,
	DSP_CODEC_G722 = 9,
	DSP_CODEC_G729 = 18,
};

/* G.729: one frame is 10 ms (80 samples) in 10 octets; an Annex B SID
 * (comfort noise) frame is 2 octets and may end a packet (RFC 3551
 * §4.5.6). */
#define DSP_G729_FRAME_SAMPLES 80
#define DSP_G729_FRAME_BYTES   10
#define DSP_G729_SID_BYTES     2

/* Companding law of a TDM span (E1: A-law, T1/J1: mu-law). */
enum dsp_law {
	DSP_LAW_ALAW = 0,
	DSP_LAW_ULAW = 1,
};

#define DSP_CODEC_RATE        8000	/* TDM sample rate */
#define DSP_CODEC_MAX_PTIME   30
/* Largest frame in 8 kHz samples and largest payload in octets. */
#define DSP_CODEC_MAX_SAMPLES (DSP_CODEC_MAX_PTIME * 8)
#define DSP_CODEC_MAX_PAYLOAD (DSP_CODEC_MAX_PTIME * 8)

/* ---- G.711 sample helpers (stateless) --------------------------------- */

/* Encode/decode one sample. */
uint8_t dsp_law_encode1(enum dsp_law law, int16_t s);
int16_t dsp_law_decode1(enum dsp_law law, uint8_t c);

/* Block versions; in and out may not overlap. */
void dsp_law_encode(enum dsp_law law, const int16_t *in, uint8_t *out, size_t n);
void dsp_law_decode(enum dsp_law law, const uint8_t *in, int16_t *out, size_t n);

/*
 * Convert code words between laws per G.711 Tables 3 and 4 (in == out
 * allowed). Same law copies.
 */
void dsp_law_convert(enum dsp_law from, enum dsp_law to, const uint8_t *in,
		     uint8_t *out, size_t n);

/* ---- resampler ---------------------------------------------------------- */

#define DSP_RESAMPLE_TAPS 64

/* 2x interpolator or decimator, linear-phase windowed-sinc FIR. */
struct dsp_resample {
	float h[DSP_RESAMPLE_TAPS];
	float dl[2 * DSP_RESAMPLE_TAPS];
	unsigned pos;
	bool phase;	/* decimator: which input sample is kept */
};

void dsp_resample_init(struct dsp_resample *r);
/* 8 -> 16 kHz: n inputs give 2n outputs. */
void dsp_resample_up(struct dsp_resample *r, const int16_t *in, size_t n,
		     int16_t *out);
/* 16 -> 8 kHz: n inputs (any count) give the number of outputs returned. */
size_t dsp_resample_down(struct dsp_resample *r, const int16_t *in, size_t n,
			 int16_t *out);

/* ---- codec -------------------------------------------------------------- */

struct dsp_codec;

/* Payload type (equal to the id), whether ptime is supported, octets of
 * one frame of `ptime` ms and its RTP timestamp increment. */
bool dsp_codec_ptime_valid(unsigned ptime_ms);
size_t dsp_codec_payload_size(enum dsp_codec_id id, unsigned ptime_ms);
uint32_t dsp_codec_ts_units(enum dsp_codec_id id, unsigned ptime_ms);
/* "PCMU", "PCMA", "G722", "G729" (SDP rtpmap encoding names), NULL if
 * unknown. */
const char *dsp_codec_name(enum dsp_codec_id id);

/*
 * Allocate a codec (encoder and decoder state) for frames of ptime_ms
 * (10, 20 or 30). Returns 0, EINVAL (unknown id or ptime), ENOMEM. The
 * caller owns *cp and frees it with dsp_codec_free().
 */
int dsp_codec_alloc(struct dsp_codec **cp, enum dsp_codec_id id,
		    unsigned ptime_ms);
void dsp_codec_free(struct dsp_codec *c);

enum dsp_codec_id dsp_codec_id(const struct dsp_codec *c);
unsigned dsp_codec_ptime(const struct dsp_codec *c);
/* 8 kHz samples in one frame (ptime * 8). */
size_t dsp_codec_frame_samples(const struct dsp_codec *c);

/*
 * Encode one frame: exactly dsp_codec_frame_samples() linear samples at
 * 8 kHz into out (size octets, at least dsp_codec_payload_size()).
 * Returns 0 with *len, EINVAL, ENOSPC.
 */
int dsp_codec_encode(struct dsp_codec *c, const int16_t *pcm, size_t n,
		     uint8_t *out, size_t size, size_t *len);

/*
 * Decode a payload into 8 kHz linear samples. The payload need not match
 * our ptime (peers may send other frame sizes): every octet of G.711 or
 * G.722 is one 8 kHz sample; G.729 takes any number of 10-octet frames,
 * optionally followed by one 2-octet SID frame (80 samples each). Returns
 * 0 with *n, ENOSPC when max is too small, EINVAL for an empty payload or
 * a G.729 payload whose length is not 10 k or 10 k + 2.
 *
 * payload NULL with plen 0 asks for concealment of a loss instead: see
 * dsp_codec_conceal(), with n = max (the jitter buffer's convention,
 * dsp/jitter.h).
 */
int dsp_codec_decode(struct dsp_codec *c, const uint8_t *payload, size_t plen,
		     int16_t *pcm, size_t max, size_t *n);

/*
 * Conceal n lost samples with the codec's own loss concealment, which
 * continues from the decoder state: G.729 frame erasure (G.729 §4.4; after
 * a SID frame, Annex B comfort noise goes on). Samples of a concealed
 * frame left over are used by the next call, and dropped when a payload
 * is decoded. Returns 0, or ENOTSUP for codecs without one (G.711, G.722:
 * the jitter buffer's generic PLC does it), EINVAL.
 */
int dsp_codec_conceal(struct dsp_codec *c, int16_t *pcm, size_t n);

/*
 * Packetisation when the tick and ptime differ (20 ms ticks with 10 or
 * 30 ms packets): push each tick's linear samples, then pull encoded
 * frames until EAGAIN (0, 1 or 2 per tick). Every pulled frame is
 * dsp_codec_frame_samples() long, for dsp_rtp_tx_audio(). push: 0 or
 * ENOSPC (more than DSP_CODEC_FIFO samples pending). pull: 0 with *len,
 * EAGAIN (not a whole frame yet), ENOSPC.
 */
#define DSP_CODEC_FIFO 960
int dsp_codec_push(struct dsp_codec *c, const int16_t *pcm, size_t n);
int dsp_codec_pull(struct dsp_codec *c, uint8_t *out, size_t size, size_t *len);
/* Samples pushed but not yet pulled; flush drops them (talkspurt end). */
size_t dsp_codec_pending(const struct dsp_codec *c);
void dsp_codec_flush(struct dsp_codec *c);

/*
 * G.711 pass-through without a linear step: TDM code words of law `tdm`
 * to a PCMA/PCMU payload and back, sample exact (Tables 3/4 when the laws
 * differ). EINVAL for G.722 and G.729.
 */
int dsp_codec_tdm_to_rtp(const struct dsp_codec *c, enum dsp_law tdm,
			 const uint8_t *in, size_t n, uint8_t *out);
int dsp_codec_rtp_to_tdm(const struct dsp_codec *c, enum dsp_law tdm,
			 const uint8_t *in, size_t n, uint8_t *out);

#endif
