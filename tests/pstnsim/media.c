/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-call media engines for the PSTN simulator and the gateway-side test
 * driver (see media.h): loopback, E.180 tones, Q.23 DTMF via spandsp, T.30
 * fax terminals via spandsp, a G.168 Annex D echo path, a pseudo-random
 * pattern for bit-exact loopback checks, WAV playback and dBm0 meters.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <spandsp.h>
/* The G.168 models are data definitions: this file is their only user. */
#include <spandsp/g168models.h>

#include "tests/pstnsim/media.h"

#define LEVEL_WIN 50          /* blocks in the level window: 1 s */
#define PATTERN_HIST 8000     /* samples of pattern history: 1 s */
#define ECHO_MAX_TAPS 128
#define ECHO_MAX_DELAY 512    /* samples: 64 ms */
/* Mean square of a 0 dBm0 sine in spandsp's 16-bit scale (3.14 dBov). */
#define MS_0DBM0 (2.6065e8)

struct meter {
	double e[LEVEL_WIN];
	unsigned i;
	unsigned n;
};

struct sim_media {
	enum sim_media_mode mode;
	bool alaw;
	uint8_t last_rx[SIM_BLOCK];
	bool have_rx;
	struct meter rxm, txm;
	uint64_t rx_blocks, tx_blocks;
	/* tones */
	tone_gen_descriptor_t *tdesc;
	tone_gen_state_t *tgen;
	/* DTMF */
	dtmf_rx_state_t *drx;
	dtmf_tx_state_t *dtx;
	char digits[128];
	/* fax */
	fax_state_t *fax;
	bool fax_sender;
	int fax_result;
	/* echo */
	fir32_state_t fir;
	bool fir_ok;
	int32_t coeffs[ECHO_MAX_TAPS];
	int16_t dline[ECHO_MAX_DELAY];
	unsigned dlen, dpos;
	double erl;
	int16_t echo_out[SIM_BLOCK];
	double near_amp, near_phase, near_step;   /* near-end sine */
	/* pattern */
	uint32_t prng;
	uint8_t hist[PATTERN_HIST];
	uint64_t hist_n;           /* samples ever sent */
	bool locked;
	uint64_t lock_pos;         /* hist_n index expected next on rx */
	unsigned delay;
	uint64_t pat_ok, pat_bad;
	/* noise */
	int noise_amp;
	/* wav */
	FILE *wav;
};

static int16_t dec(const struct sim_media *m, uint8_t b)
{
	return m->alaw ? alaw_to_linear(b) : ulaw_to_linear(b);
}

static uint8_t enc(const struct sim_media *m, int16_t s)
{
	return m->alaw ? linear_to_alaw(s) : linear_to_ulaw(s);
}

static uint8_t idle_byte(const struct sim_media *m)
{
	return m->alaw ? 0xd5 : 0xff;
}

static void meter_add(struct meter *mt, const int16_t *x, size_t n)
{
	double e = 0;

	for (size_t i = 0; i < n; i++)
		e += (double)x[i] * x[i];
	mt->e[mt->i] = n ? e / (double)n : 0;
	mt->i = (mt->i + 1) % LEVEL_WIN;
	if (mt->n < LEVEL_WIN)
		mt->n++;
}

static double meter_dbm0(const struct meter *mt)
{
	double s = 0;

	if (!mt->n)
		return -99.0;
	for (unsigned i = 0; i < mt->n; i++)
		s += mt->e[i];
	s /= mt->n;
	if (s < 1.0)
		return -99.0;
	return 10.0 * log10(s / MS_0DBM0);
}

static uint32_t prng_next(uint32_t *s)
{
	/* xorshift32: a sequence that never repeats within a test */
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static void digits_cb(void *user, const char *d, int len)
{
	struct sim_media *m = user;
	size_t have = strlen(m->digits);

	for (int i = 0; i < len && have + 1 < sizeof(m->digits); i++)
		m->digits[have++] = d[i];
	m->digits[have] = '\0';
}

static void fax_phase_e(t30_state_t *s, void *user, int result)
{
	struct sim_media *m = user;

	(void)s;
	m->fax_result = result;
}

static void clear_mode(struct sim_media *m)
{
	if (m->drx) {
		dtmf_rx_free(m->drx);
		m->drx = NULL;
	}
	if (m->dtx) {
		dtmf_tx_free(m->dtx);
		m->dtx = NULL;
	}
	if (m->fax) {
		fax_release(m->fax);
		fax_free(m->fax);
		m->fax = NULL;
	}
	if (m->fir_ok) {
		fir32_free(&m->fir);
		m->fir_ok = false;
	}
	if (m->wav) {
		fclose(m->wav);
		m->wav = NULL;
	}
	if (m->tgen) {
		tone_gen_free(m->tgen);
		m->tgen = NULL;
	}
	if (m->tdesc) {
		tone_gen_descriptor_free(m->tdesc);
		m->tdesc = NULL;
	}
	m->near_amp = 0;
	m->mode = SIM_M_IDLE;
}

int sim_media_alloc(struct sim_media **mp, bool alaw)
{
	struct sim_media *m = calloc(1, sizeof(*m));

	if (!m)
		return ENOMEM;
	m->alaw = alaw;
	m->fax_result = -1;
	m->prng = 0x2545f491u;
	*mp = m;
	return 0;
}

void sim_media_free(struct sim_media *m)
{
	if (!m)
		return;
	clear_mode(m);
	free(m);
}

const char *sim_media_mode_name(enum sim_media_mode mode)
{
	static const char *const names[] = {
		"idle", "loop", "tone", "ringback", "dtmf-rx", "dtmf-tx",
		"fax-rx", "fax-tx", "echo", "pattern", "noise", "wav",
	};

	if ((unsigned)mode >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[mode];
}

enum sim_media_mode sim_media_mode(const struct sim_media *m)
{
	return m->mode;
}

int sim_media_set_mode(struct sim_media *m, enum sim_media_mode mode)
{
	switch (mode) {
	case SIM_M_IDLE:
	case SIM_M_LOOP:
	case SIM_M_PATTERN:
		clear_mode(m);
		break;
	case SIM_M_DTMF_RX:
		clear_mode(m);
		m->drx = dtmf_rx_init(NULL, digits_cb, m);
		if (!m->drx)
			return ENOMEM;
		break;
	default:
		return EINVAL;
	}
	m->mode = mode;
	return 0;
}

int sim_media_set_tone(struct sim_media *m, int freq, int level)
{
	if (freq <= 0 || freq >= 4000 || level > 3 || level < -60)
		return EINVAL;
	clear_mode(m);
	m->tdesc = tone_gen_descriptor_init(NULL, freq, level, 0, 0, 1000, 0,
					    0, 0, 1);
	m->tgen = m->tdesc ? tone_gen_init(NULL, m->tdesc) : NULL;
	if (!m->tgen)
		return ENOMEM;
	m->mode = SIM_M_TONE;
	return 0;
}

int sim_media_set_ringback(struct sim_media *m, bool t1)
{
	clear_mode(m);
	/* E.180: 425 Hz 1 s on 4 s off (Europe); 440+480 Hz 2/4 s (N.A.) */
	if (t1)
		m->tdesc = tone_gen_descriptor_init(NULL, 440, -19, 480, -19,
						    2000, 4000, 0, 0, 1);
	else
		m->tdesc = tone_gen_descriptor_init(NULL, 425, -10, 0, 0, 1000,
						    4000, 0, 0, 1);
	m->tgen = m->tdesc ? tone_gen_init(NULL, m->tdesc) : NULL;
	if (!m->tgen)
		return ENOMEM;
	m->mode = SIM_M_RINGBACK;
	return 0;
}

int sim_media_set_dtmf_tx(struct sim_media *m, const char *digits)
{
	if (!digits || !*digits || strspn(digits, "0123456789*#ABCD") !=
	    strlen(digits))
		return EINVAL;
	clear_mode(m);
	m->dtx = dtmf_tx_init(NULL);
	if (!m->dtx)
		return ENOMEM;
	dtmf_tx_put(m->dtx, digits, -1);
	m->mode = SIM_M_DTMF_TX;
	return 0;
}

int sim_media_set_fax(struct sim_media *m, bool sender, const char *tiff)
{
	t30_state_t *t30;

	if (!tiff || !*tiff)
		return EINVAL;
	if (sender) {
		FILE *f = fopen(tiff, "rb");

		if (!f)
			return errno;
		fclose(f);
	}
	clear_mode(m);
	m->fax = fax_init(NULL, sender);
	if (!m->fax)
		return ENOMEM;
	t30 = fax_get_t30_state(m->fax);
	t30_set_tx_ident(t30, sender ? "PSTNGW TX" : "PSTNSIM RX");
	t30_set_supported_modems(t30, T30_SUPPORT_V27TER | T30_SUPPORT_V29 |
				 T30_SUPPORT_V17);
	if (sender)
		t30_set_tx_file(t30, tiff, -1, -1);
	else
		t30_set_rx_file(t30, tiff, -1);
	t30_set_phase_e_handler(t30, fax_phase_e, m);
	fax_set_transmit_on_idle(m->fax, 1);
	m->fax_sender = sender;
	m->fax_result = -1;
	m->mode = sender ? SIM_M_FAX_TX : SIM_M_FAX_RX;
	return 0;
}

static const struct {
	const int32_t *c;
	size_t n;
	float gain;
} echo_models[] = {
	{ line_model_d2_coeffs, sizeof(line_model_d2_coeffs) / 4,
	  LINE_MODEL_D2_GAIN },
	{ line_model_d3_coeffs, sizeof(line_model_d3_coeffs) / 4,
	  LINE_MODEL_D3_GAIN },
	{ line_model_d4_coeffs, sizeof(line_model_d4_coeffs) / 4,
	  LINE_MODEL_D4_GAIN },
	{ line_model_d5_coeffs, sizeof(line_model_d5_coeffs) / 4,
	  LINE_MODEL_D5_GAIN },
	{ line_model_d6_coeffs, sizeof(line_model_d6_coeffs) / 4,
	  LINE_MODEL_D6_GAIN },
	{ line_model_d7_coeffs, sizeof(line_model_d7_coeffs) / 4,
	  LINE_MODEL_D7_GAIN },
	{ line_model_d8_coeffs, sizeof(line_model_d8_coeffs) / 4,
	  LINE_MODEL_D8_GAIN },
	{ line_model_d9_coeffs, sizeof(line_model_d9_coeffs) / 4,
	  LINE_MODEL_D9_GAIN },
};

int sim_media_set_echo(struct sim_media *m, int model, double erl_db,
		       unsigned delay_ms)
{
	double h2 = 0, scale;
	size_t n;

	if (model < 2 || model > 9 || erl_db < 0 || erl_db > 60 ||
	    delay_ms * 8 > ECHO_MAX_DELAY)
		return EINVAL;
	n = echo_models[model - 2].n;
	if (n > ECHO_MAX_TAPS)
		return EINVAL;
	clear_mode(m);
	/*
	 * The model's impulse response is coeffs * gain. Scale it so its
	 * energy is 10^(-ERL/10): the echo of white noise then comes back
	 * ERL dB down. fir32 divides by 2^15, so fold that in.
	 */
	for (size_t i = 0; i < n; i++) {
		double h = echo_models[model - 2].c[i] *
			   (double)echo_models[model - 2].gain;

		h2 += h * h;
	}
	scale = sqrt(pow(10.0, -erl_db / 10.0) / h2);
	for (size_t i = 0; i < n; i++)
		m->coeffs[i] = (int32_t)lrint(echo_models[model - 2].c[i] *
					      (double)echo_models[model - 2].gain *
					      scale * 32768.0);
	if (!fir32_create(&m->fir, m->coeffs, (int)n))
		return ENOMEM;
	m->fir_ok = true;
	memset(m->dline, 0, sizeof(m->dline));
	m->dlen = delay_ms * 8;
	m->dpos = 0;
	m->erl = erl_db;
	m->mode = SIM_M_ECHO;
	return 0;
}

int sim_media_set_echo_near(struct sim_media *m, int freq, int level)
{
	if (m->mode != SIM_M_ECHO || freq < 0 || freq >= 4000 || level > 0 ||
	    level < -60)
		return EINVAL;
	/* a sine of amplitude A has mean square A^2/2 */
	m->near_amp = freq ? sqrt(2.0 * MS_0DBM0 * pow(10.0, level / 10.0)) : 0;
	m->near_step = 2.0 * M_PI * freq / 8000.0;
	m->near_phase = 0;
	return 0;
}

double sim_media_echo_erl(const struct sim_media *m)
{
	return m->mode == SIM_M_ECHO ? m->erl : 0;
}

int sim_media_set_noise(struct sim_media *m, int level)
{
	if (level > 0 || level < -60)
		return EINVAL;
	clear_mode(m);
	/* Uniform noise in [-A, A] has mean square A^2/3 */
	m->noise_amp = (int)lrint(sqrt(3.0 * MS_0DBM0 *
				       pow(10.0, level / 10.0)));
	if (m->noise_amp > 32767)
		m->noise_amp = 32767;
	m->mode = SIM_M_NOISE;
	return 0;
}

int sim_media_set_wav(struct sim_media *m, const char *path)
{
	uint8_t hdr[44];
	FILE *f;

	f = fopen(path, "rb");
	if (!f)
		return errno;
	/* RIFF/WAVE, PCM, mono, 8000 Hz, 16 bit, canonical 44-byte header */
	if (fread(hdr, 1, sizeof(hdr), f) != sizeof(hdr) ||
	    memcmp(hdr, "RIFF", 4) || memcmp(hdr + 8, "WAVE", 4) ||
	    hdr[20] != 1 || hdr[22] != 1 ||
	    (hdr[24] | hdr[25] << 8 | hdr[26] << 16) != 8000 ||
	    hdr[34] != 16) {
		fclose(f);
		return EINVAL;
	}
	clear_mode(m);
	m->wav = f;
	m->mode = SIM_M_WAV;
	return 0;
}

static void pattern_rx(struct sim_media *m, const uint8_t *in, size_t n)
{
	if (!m->locked) {
		/* Find this block in what we sent (first non-idle block) */
		size_t have = m->hist_n < PATTERN_HIST ? m->hist_n :
							  PATTERN_HIST;
		bool idle = true;

		for (size_t i = 0; i < n; i++)
			if (in[i] != idle_byte(m))
				idle = false;
		if (idle || have < n)
			return;
		for (size_t back = n; back <= have; back++) {
			uint64_t start = m->hist_n - back;
			bool match = true;

			for (size_t i = 0; i < n && match; i++)
				match = m->hist[(start + i) % PATTERN_HIST] ==
					in[i];
			if (match) {
				m->locked = true;
				m->delay = (unsigned)back;
				m->lock_pos = start + n;
				m->pat_ok += n;
				return;
			}
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (m->hist_n - m->lock_pos > PATTERN_HIST) {
			m->pat_bad++;
		} else if (m->hist[m->lock_pos % PATTERN_HIST] == in[i]) {
			m->pat_ok++;
		} else {
			m->pat_bad++;
		}
		m->lock_pos++;
	}
}

void sim_media_rx(struct sim_media *m, const uint8_t *in, size_t n)
{
	int16_t lin[SIM_BLOCK] = { 0 };

	if (n > SIM_BLOCK)
		n = SIM_BLOCK;
	for (size_t i = 0; i < n; i++)
		lin[i] = dec(m, in[i]);
	meter_add(&m->rxm, lin, n);
	m->rx_blocks++;
	memcpy(m->last_rx, in, n);
	m->have_rx = true;
	switch (m->mode) {
	case SIM_M_DTMF_RX:
		dtmf_rx(m->drx, lin, (int)n);
		break;
	case SIM_M_FAX_RX:
	case SIM_M_FAX_TX:
		fax_rx(m->fax, lin, (int)n);
		break;
	case SIM_M_ECHO:
		for (size_t i = 0; i < n; i++) {
			int16_t x = lin[i];

			if (m->dlen) {
				int16_t d = m->dline[m->dpos];

				m->dline[m->dpos] = x;
				m->dpos = (m->dpos + 1) % m->dlen;
				x = d;
			}
			m->echo_out[i] = fir32(&m->fir, x);
		}
		break;
	case SIM_M_PATTERN:
		pattern_rx(m, in, n);
		break;
	default:
		break;
	}
}

void sim_media_tx(struct sim_media *m, uint8_t *out, size_t n)
{
	int16_t lin[SIM_BLOCK];
	int got;

	if (n > SIM_BLOCK)
		n = SIM_BLOCK;
	memset(lin, 0, sizeof(lin));
	switch (m->mode) {
	case SIM_M_LOOP:
		/* Bit-exact: the bytes as received, no decode/encode */
		if (m->have_rx)
			memcpy(out, m->last_rx, n);
		else
			memset(out, idle_byte(m), n);
		for (size_t i = 0; i < n; i++)
			lin[i] = dec(m, out[i]);
		meter_add(&m->txm, lin, n);
		m->tx_blocks++;
		return;
	case SIM_M_PATTERN:
		for (size_t i = 0; i < n; i++) {
			uint8_t b = (uint8_t)(prng_next(&m->prng) >> 11);

			out[i] = b;
			m->hist[m->hist_n % PATTERN_HIST] = b;
			m->hist_n++;
			lin[i] = dec(m, b);
		}
		meter_add(&m->txm, lin, n);
		m->tx_blocks++;
		return;
	case SIM_M_TONE:
	case SIM_M_RINGBACK:
		tone_gen(m->tgen, lin, (int)n);
		break;
	case SIM_M_DTMF_TX:
		got = dtmf_tx(m->dtx, lin, (int)n);
		(void)got;
		break;
	case SIM_M_FAX_RX:
	case SIM_M_FAX_TX:
		got = fax_tx(m->fax, lin, (int)n);
		(void)got;
		break;
	case SIM_M_ECHO:
		memcpy(lin, m->echo_out, n * sizeof(lin[0]));
		for (size_t i = 0; m->near_amp > 0 && i < n; i++) {
			double v = lin[i] + m->near_amp * sin(m->near_phase);
			m->near_phase = fmod(m->near_phase + m->near_step, 2 * M_PI);
			lin[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
		}
		break;
	case SIM_M_NOISE:
		for (size_t i = 0; i < n; i++) {
			uint32_t r = prng_next(&m->prng);

			lin[i] = (int16_t)((int64_t)(r % (2u * m->noise_amp + 1)) -
					   m->noise_amp);
		}
		break;
	case SIM_M_WAV: {
		uint8_t b[2 * SIM_BLOCK];
		size_t k = fread(b, 2, n, m->wav);

		for (size_t i = 0; i < k; i++)
			lin[i] = (int16_t)(b[2 * i] | b[2 * i + 1] << 8);
		if (k < n) {
			fclose(m->wav);
			m->wav = NULL;
			m->mode = SIM_M_IDLE;
		}
		break;
	}
	default:
		break;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = enc(m, lin[i]);
	meter_add(&m->txm, lin, n);
	m->tx_blocks++;
}

void sim_media_stats(struct sim_media *m, struct sim_media_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->rx_dbm0 = meter_dbm0(&m->rxm);
	st->tx_dbm0 = meter_dbm0(&m->txm);
	st->rx_blocks = m->rx_blocks;
	st->tx_blocks = m->tx_blocks;
	st->pattern_locked = m->locked;
	st->pattern_delay = m->delay;
	st->pattern_ok = m->pat_ok;
	st->pattern_bad = m->pat_bad;
	st->fax_result = m->fax_result;
	st->fax_pages = 0;
	if (m->fax) {
		t30_stats_t ts;

		t30_get_transfer_statistics(fax_get_t30_state(m->fax), &ts);
		st->fax_pages = m->fax_sender ? ts.pages_tx : ts.pages_rx;
	}
	snprintf(st->digits, sizeof(st->digits), "%s", m->digits);
}

int sim_fax_make_tiff(const char *path, int pages)
{
	const int width = 1728, height = 400;
	uint8_t row[1728 / 8];
	TIFF *t;
	int err = 0;

	if (pages < 1 || pages > 20)
		return EINVAL;
	t = TIFFOpen(path, "w");
	if (!t)
		return EIO;
	for (int p = 0; p < pages && !err; p++) {
		TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
		TIFFSetField(t, TIFFTAG_IMAGEWIDTH, width);
		TIFFSetField(t, TIFFTAG_IMAGELENGTH, height);
		TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
		TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
		TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX3);
		TIFFSetField(t, TIFFTAG_GROUP3OPTIONS, 0);
		TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
		TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_LSB2MSB);
		TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
		TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, height);
		TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
		TIFFSetField(t, TIFFTAG_XRESOLUTION, 204.0f);
		TIFFSetField(t, TIFFTAG_YRESOLUTION, 98.0f);
		TIFFSetField(t, TIFFTAG_PAGENUMBER, p, pages);
		for (int y = 0; y < height; y++) {
			/* Page p: bars (p + 1) * 8 pixels wide, every
			 * (p + 2) * 16 rows a solid line */
			for (int x = 0; x < width / 8; x++)
				row[x] = ((x / (p + 1)) & 1) ? 0xff : 0x00;
			if (y % ((p + 2) * 16) == 0)
				memset(row, 0xff, sizeof(row));
			if (TIFFWriteScanline(t, row, (uint32_t)y, 0) < 0) {
				err = EIO;
				break;
			}
		}
		if (!err && !TIFFWriteDirectory(t))
			err = EIO;
	}
	TIFFClose(t);
	return err;
}
