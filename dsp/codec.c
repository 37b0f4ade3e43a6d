/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * G.711 A/mu-law, G.722 and G.729 codecs, law conversion, 2x FIR
 * resampler (ITU-T G.711, G.722, G.729 Annex A/B; RFC 3551 §4.5). See
 * codec.h.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>
#include <bcg729/decoder.h>
#include <bcg729/encoder.h>

#include "dsp/codec.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- G.711 tables ------------------------------------------------------ */

/*
 * The per-sample work of the channel pipeline (three decodes and one
 * encode of every sample) goes through tables built once per process
 * from spandsp's G.711 routines, so they are bit-exact with them
 * (tests/unit/test_dsp_codec.c checks every code and every linear value):
 *  - decode: 256 entries per law;
 *  - A-law encode depends only on linear >> 4: the segment and mantissa
 *    come from bits 4..15, and negative values are coded from ~linear,
 *    whose bits 4..15 are ~(linear >> 4): 4096 entries;
 *  - mu-law encode codes the magnitude m = 132 + |linear| (bias 132,
 *    G.711 §4 with the 14-bit scale x4) by bits 3 and up, then applies
 *    the sign mask: a table of m >> 3, 4113 entries;
 *  - A <-> mu conversion (G.711 Tables 3 and 4): 256 entries each.
 * 21 KB in all, written once under pthread_once and read-only after.
 */
#define ALAW_ENC_SHIFT 4
#define ULAW_BIAS 132
#define ULAW_MAG_MAX (ULAW_BIAS + 32768)

static struct {
	int16_t dec[2][256];
	uint8_t a_enc[65536 >> ALAW_ENC_SHIFT];
	uint8_t u_enc[(ULAW_MAG_MAX >> 3) + 1];   /* code ^ 0xff */
	uint8_t a2u[256], u2a[256];
} g711;
static pthread_once_t g711_once = PTHREAD_ONCE_INIT;

static void g711_build(void)
{
	for (unsigned c = 0; c < 256; c++) {
		g711.dec[DSP_LAW_ALAW][c] = alaw_to_linear((uint8_t)c);
		g711.dec[DSP_LAW_ULAW][c] = ulaw_to_linear((uint8_t)c);
		g711.a2u[c] = alaw_to_ulaw((uint8_t)c);
		g711.u2a[c] = ulaw_to_alaw((uint8_t)c);
	}
	/* index = (uint16_t)linear >> shift: any linear value with those
	 * top bits stands for the whole group */
	for (unsigned i = 0; i < ARRAY_LEN(g711.a_enc); i++)
		g711.a_enc[i] = linear_to_alaw((int16_t)(uint16_t)(i << ALAW_ENC_SHIFT));
	/* a positive linear value with that magnitude group gives the
	 * code; stored without the positive sign mask 0xff */
	for (unsigned i = 0; i < ARRAY_LEN(g711.u_enc); i++) {
		int m = (int)(i << 3);
		int lin = m < ULAW_BIAS ? 0 : m - ULAW_BIAS;
		g711.u_enc[i] = (uint8_t)(linear_to_ulaw(lin > 32767 ? 32767 : lin) ^ 0xff);
	}
}

static inline void tables_init(void)
{
	pthread_once(&g711_once, g711_build);
}

static inline uint8_t enc_a(int16_t s)
{
	return g711.a_enc[(uint16_t)s >> ALAW_ENC_SHIFT];
}

static inline uint8_t enc_u(int16_t s)
{
	int v = s;
	unsigned neg = (unsigned)v >> 31;    /* 1 for negative */
	unsigned m = (unsigned)(ULAW_BIAS + (neg ? -v : v));

	return (uint8_t)(g711.u_enc[m >> 3] ^ (neg ? 0x7f : 0xff));
}

uint8_t dsp_law_encode1(enum dsp_law law, int16_t s)
{
	tables_init();
	return law == DSP_LAW_ALAW ? enc_a(s) : enc_u(s);
}

int16_t dsp_law_decode1(enum dsp_law law, uint8_t c)
{
	tables_init();
	return g711.dec[law == DSP_LAW_ALAW ? DSP_LAW_ALAW : DSP_LAW_ULAW][c];
}

void dsp_law_encode(enum dsp_law law, const int16_t *in, uint8_t *out, size_t n)
{
	tables_init();
	if (law == DSP_LAW_ALAW) {
		for (size_t i = 0; i < n; i++)
			out[i] = enc_a(in[i]);
	} else {
		for (size_t i = 0; i < n; i++)
			out[i] = enc_u(in[i]);
	}
}

void dsp_law_decode(enum dsp_law law, const uint8_t *in, int16_t *out, size_t n)
{
	const int16_t *t;

	tables_init();
	t = g711.dec[law == DSP_LAW_ALAW ? DSP_LAW_ALAW : DSP_LAW_ULAW];
	for (size_t i = 0; i < n; i++)
		out[i] = t[in[i]];
}

void dsp_law_convert(enum dsp_law from, enum dsp_law to, const uint8_t *in,
		     uint8_t *out, size_t n)
{
	/* spandsp's converters are the G.711 Table 3/4 mappings, which are
	 * not decode+re-encode: they keep A->mu->A transparent where the
	 * quantisers allow it. */
	const uint8_t *t;

	if (from == to) {
		if (in != out)
			memmove(out, in, n);
		return;
	}
	tables_init();
	t = from == DSP_LAW_ALAW ? g711.a2u : g711.u2a;
	for (size_t i = 0; i < n; i++)
		out[i] = t[in[i]];
}

/* ---- resampler ---------------------------------------------------------- */

void dsp_resample_init(struct dsp_resample *r)
{
	/* Windowed sinc (Blackman), cutoff 4 kHz at 16 kHz, unity DC gain:
	 * flat to ~3.4 kHz, > 70 dB down from ~4.8 kHz. */
	const double fc = 4000.0 / 16000.0;
	const unsigned n = DSP_RESAMPLE_TAPS;
	double sum = 0, h[DSP_RESAMPLE_TAPS];

	memset(r, 0, sizeof(*r));
	for (unsigned k = 0; k < n; k++) {
		double x = k - (n - 1) / 2.0;
		double s = 2 * fc * (x == 0 ? 1.0 : sin(2 * M_PI * fc * x) /
							  (2 * M_PI * fc * x));
		double w = 0.42 - 0.5 * cos(2 * M_PI * k / (n - 1)) +
			   0.08 * cos(4 * M_PI * k / (n - 1));
		h[k] = s * w;
		sum += h[k];
	}
	for (unsigned k = 0; k < n; k++)
		r->h[k] = (float)(h[k] / sum);
}

static float fir_push(struct dsp_resample *r, float x)
{
	const unsigned n = DSP_RESAMPLE_TAPS;
	const float *d;
	float y = 0;

	r->pos = (r->pos + 1) % n;
	r->dl[r->pos] = x;
	r->dl[r->pos + n] = x;
	/* d[n-1] is the newest sample, d[0] the oldest */
	d = &r->dl[r->pos + 1];
	for (unsigned k = 0; k < n; k++)
		y += r->h[k] * d[n - 1 - k];
	return y;
}

static int16_t sat16(float v)
{
	if (v > 32767.0f)
		return 32767;
	if (v < -32768.0f)
		return -32768;
	return (int16_t)lrintf(v);
}

void dsp_resample_up(struct dsp_resample *r, const int16_t *in, size_t n,
		     int16_t *out)
{
	/* zero stuffing then low-pass; gain 2 restores the level */
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = sat16(2.0f * fir_push(r, in[i]));
		out[2 * i + 1] = sat16(2.0f * fir_push(r, 0.0f));
	}
}

size_t dsp_resample_down(struct dsp_resample *r, const int16_t *in, size_t n,
			 int16_t *out)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		float y = fir_push(r, in[i]);
		if (r->phase)
			out[m++] = sat16(y);
		r->phase = !r->phase;
	}
	return m;
}

/* ---- codec -------------------------------------------------------------- */

struct dsp_codec {
	enum dsp_codec_id id;
	unsigned ptime;
	g722_encode_state_t *g722e;
	g722_decode_state_t *g722d;
	struct dsp_resample up;
	struct dsp_resample down;
	bcg729EncoderChannelContextStruct *g729e;
	bcg729DecoderChannelContextStruct *g729d;
	/* the part of the last concealed G.729 frame not yet used: its
	 * last erase_left samples */
	int16_t erase[DSP_G729_FRAME_SAMPLES];
	size_t erase_left;
	int16_t fifo[DSP_CODEC_FIFO];
	size_t fifo_len;
};

bool dsp_codec_ptime_valid(unsigned ptime_ms)
{
	return ptime_ms == 10 || ptime_ms == 20 || ptime_ms == 30;
}

const char *dsp_codec_name(enum dsp_codec_id id)
{
	switch (id) {
	case DSP_CODEC_PCMU:
		return "PCMU";
	case DSP_CODEC_PCMA:
		return "PCMA";
	case DSP_CODEC_G722:
		return "G722";
	case DSP_CODEC_G729:
		return "G729";
	}
	return NULL;
}

size_t dsp_codec_payload_size(enum dsp_codec_id id, unsigned ptime_ms)
{
	if (!dsp_codec_name(id) || !dsp_codec_ptime_valid(ptime_ms))
		return 0;
	/* G.729: 8 kbit/s, one octet per ms; the others 64 kbit/s */
	if (id == DSP_CODEC_G729)
		return (size_t)ptime_ms;
	return (size_t)ptime_ms * 8;
}

uint32_t dsp_codec_ts_units(enum dsp_codec_id id, unsigned ptime_ms)
{
	if (!dsp_codec_name(id) || !dsp_codec_ptime_valid(ptime_ms))
		return 0;
	return ptime_ms * 8;
}

int dsp_codec_alloc(struct dsp_codec **cp, enum dsp_codec_id id,
		    unsigned ptime_ms)
{
	struct dsp_codec *c;
	int err = 0;

	if (!cp || !dsp_codec_name(id) || !dsp_codec_ptime_valid(ptime_ms))
		return EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->id = id;
	c->ptime = ptime_ms;
	if (id == DSP_CODEC_G722) {
		c->g722e = g722_encode_init(NULL, 64000, 0);
		c->g722d = g722_decode_init(NULL, 64000, 0);
		if (!c->g722e || !c->g722d) {
			err = ENOMEM;
			goto out;
		}
		dsp_resample_init(&c->up);
		dsp_resample_init(&c->down);
	} else if (id == DSP_CODEC_G729) {
		/* no VAD/DTX: we always send speech frames (annexb=no) */
		c->g729e = initBcg729EncoderChannel(0);
		c->g729d = initBcg729DecoderChannel();
		if (!c->g729e || !c->g729d) {
			err = ENOMEM;
			goto out;
		}
	}
	*cp = c;
out:
	if (err)
		dsp_codec_free(c);
	return err;
}

void dsp_codec_free(struct dsp_codec *c)
{
	if (!c)
		return;
	if (c->g722e)
		g722_encode_free(c->g722e);
	if (c->g722d)
		g722_decode_free(c->g722d);
	if (c->g729e)
		closeBcg729EncoderChannel(c->g729e);
	if (c->g729d)
		closeBcg729DecoderChannel(c->g729d);
	free(c);
}

enum dsp_codec_id dsp_codec_id(const struct dsp_codec *c)
{
	return c->id;
}

unsigned dsp_codec_ptime(const struct dsp_codec *c)
{
	return c->ptime;
}

size_t dsp_codec_frame_samples(const struct dsp_codec *c)
{
	return (size_t)c->ptime * 8;
}

int dsp_codec_encode(struct dsp_codec *c, const int16_t *pcm, size_t n,
		     uint8_t *out, size_t size, size_t *len)
{
	int16_t wide[2 * DSP_CODEC_MAX_SAMPLES];
	size_t need;
	int r;

	if (!c || !pcm || !out || !len || n != dsp_codec_frame_samples(c))
		return EINVAL;
	need = dsp_codec_payload_size(c->id, c->ptime);
	if (size < need)
		return ENOSPC;
	switch (c->id) {
	case DSP_CODEC_PCMA:
		dsp_law_encode(DSP_LAW_ALAW, pcm, out, n);
		break;
	case DSP_CODEC_PCMU:
		dsp_law_encode(DSP_LAW_ULAW, pcm, out, n);
		break;
	case DSP_CODEC_G722:
		dsp_resample_up(&c->up, pcm, n, wide);
		r = g722_encode(c->g722e, out, wide, (int)(2 * n));
		if (r != (int)n)
			return EINVAL;
		break;
	case DSP_CODEC_G729:
		for (size_t k = 0; k < n / DSP_G729_FRAME_SAMPLES; k++) {
			uint8_t fl = 0;
			bcg729Encoder(c->g729e, pcm + k * DSP_G729_FRAME_SAMPLES,
				      out + k * DSP_G729_FRAME_BYTES, &fl);
			/* without VAD every frame is a 10-octet speech frame */
			if (fl != DSP_G729_FRAME_BYTES)
				return EINVAL;
		}
		break;
	}
	*len = need;
	return 0;
}

/* Samples a G.729 payload decodes to; 0 for a length RFC 3551 §4.5.6
 * does not allow (frames of 10 octets, then at most one 2-octet SID). */
static size_t g729_samples(size_t plen)
{
	size_t rest = plen % DSP_G729_FRAME_BYTES;

	if (!plen || (rest && rest != DSP_G729_SID_BYTES))
		return 0;
	return (plen / DSP_G729_FRAME_BYTES + (rest ? 1 : 0)) *
	       DSP_G729_FRAME_SAMPLES;
}

static void g729_decode(struct dsp_codec *c, const uint8_t *p, size_t plen,
			int16_t *pcm)
{
	size_t k = 0;

	/* a loss being concealed has ended: its leftover is stale */
	c->erase_left = 0;
	for (; plen - k >= DSP_G729_FRAME_BYTES; k += DSP_G729_FRAME_BYTES) {
		bcg729Decoder(c->g729d, p + k, DSP_G729_FRAME_BYTES, 0, 0, 0, pcm);
		pcm += DSP_G729_FRAME_SAMPLES;
	}
	if (k < plen)
		bcg729Decoder(c->g729d, p + k, DSP_G729_SID_BYTES, 0, 1, 0, pcm);
}

int dsp_codec_conceal(struct dsp_codec *c, int16_t *pcm, size_t n)
{
	size_t done = 0;

	if (!c || (n && !pcm))
		return EINVAL;
	if (c->id != DSP_CODEC_G729)
		return ENOTSUP;
	while (done < n) {
		size_t take;
		if (!c->erase_left) {
			/* an erased frame: the decoder extrapolates from its
			 * state (or goes on with comfort noise after a SID) */
			bcg729Decoder(c->g729d, NULL, 0, 1, 0, 0, c->erase);
			c->erase_left = DSP_G729_FRAME_SAMPLES;
		}
		take = n - done < c->erase_left ? n - done : c->erase_left;
		memcpy(pcm + done,
		       c->erase + DSP_G729_FRAME_SAMPLES - c->erase_left,
		       take * sizeof(*pcm));
		c->erase_left -= take;
		done += take;
	}
	return 0;
}

int dsp_codec_decode(struct dsp_codec *c, const uint8_t *payload, size_t plen,
		     int16_t *pcm, size_t max, size_t *n)
{
	int16_t wide[2 * DSP_CODEC_MAX_SAMPLES];
	size_t done = 0;
	int err;

	if (c && !payload && !plen && pcm && n) {
		/* the jitter buffer asks for concealment of a loss */
		err = dsp_codec_conceal(c, pcm, max);
		if (!err)
			*n = max;
		return err;
	}
	if (!c || !payload || !plen || !pcm || !n)
		return EINVAL;
	if (c->id == DSP_CODEC_G729) {
		done = g729_samples(plen);
		if (!done)
			return EINVAL;
		if (max < done)
			return ENOSPC;
		g729_decode(c, payload, plen, pcm);
		*n = done;
		return 0;
	}
	if (max < plen)
		return ENOSPC;
	switch (c->id) {
	case DSP_CODEC_PCMA:
		dsp_law_decode(DSP_LAW_ALAW, payload, pcm, plen);
		done = plen;
		break;
	case DSP_CODEC_PCMU:
		dsp_law_decode(DSP_LAW_ULAW, payload, pcm, plen);
		done = plen;
		break;
	case DSP_CODEC_G722:
		/* in chunks so any payload length fits the stack buffer */
		while (done < plen) {
			size_t chunk = plen - done;
			int r;
			if (chunk > DSP_CODEC_MAX_SAMPLES)
				chunk = DSP_CODEC_MAX_SAMPLES;
			r = g722_decode(c->g722d, wide, payload + done, (int)chunk);
			if (r < 0)
				return EINVAL;
			done += dsp_resample_down(&c->down, wide, (size_t)r,
						  pcm + done);
		}
		break;
	case DSP_CODEC_G729:
		break;	/* above */
	}
	*n = done;
	return 0;
}

int dsp_codec_push(struct dsp_codec *c, const int16_t *pcm, size_t n)
{
	if (!c || (n && !pcm))
		return EINVAL;
	if (n > DSP_CODEC_FIFO - c->fifo_len)
		return ENOSPC;
	memcpy(c->fifo + c->fifo_len, pcm, n * sizeof(*pcm));
	c->fifo_len += n;
	return 0;
}

int dsp_codec_pull(struct dsp_codec *c, uint8_t *out, size_t size, size_t *len)
{
	size_t fs;
	int err;

	if (!c || !out || !len)
		return EINVAL;
	fs = dsp_codec_frame_samples(c);
	if (c->fifo_len < fs)
		return EAGAIN;
	err = dsp_codec_encode(c, c->fifo, fs, out, size, len);
	if (err)
		return err;
	memmove(c->fifo, c->fifo + fs, (c->fifo_len - fs) * sizeof(int16_t));
	c->fifo_len -= fs;
	return 0;
}

size_t dsp_codec_pending(const struct dsp_codec *c)
{
	return c->fifo_len;
}

void dsp_codec_flush(struct dsp_codec *c)
{
	c->fifo_len = 0;
}

static int passthru_law(const struct dsp_codec *c, enum dsp_law *law)
{
	if (c->id == DSP_CODEC_PCMA)
		*law = DSP_LAW_ALAW;
	else if (c->id == DSP_CODEC_PCMU)
		*law = DSP_LAW_ULAW;
	else
		return EINVAL;
	return 0;
}

int dsp_codec_tdm_to_rtp(const struct dsp_codec *c, enum dsp_law tdm,
			 const uint8_t *in, size_t n, uint8_t *out)
{
	enum dsp_law law;
	int err = passthru_law(c, &law);

	if (!err)
		dsp_law_convert(tdm, law, in, out, n);
	return err;
}

int dsp_codec_rtp_to_tdm(const struct dsp_codec *c, enum dsp_law tdm,
			 const uint8_t *in, size_t n, uint8_t *out)
{
	enum dsp_law law;
	int err = passthru_law(c, &law);

	if (!err)
		dsp_law_convert(law, tdm, in, out, n);
	return err;
}
