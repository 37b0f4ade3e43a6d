/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SDP parse and print (RFC 4566 §5 and §9 grammar, line order rules of
 * §5), static RTP payload types (RFC 3551 §6), SDES crypto attributes
 * (RFC 4568 §9.1, suites of RFC 4568 §6.2 and RFC 7714 §12), a=rtcp
 * (RFC 3605 §2.1), a=rtcp-mux (RFC 5761 §5.1.1), T.38 over UDPTL (ITU-T
 * T.38 Annex D.2.3), and the offer/answer model of RFC 3264 (§5 offers,
 * §6 answers and §6.1 direction rules, §7 applying the answer, §8
 * modifications, o= versions and hold).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sip/sdp.h"

/* ---- tables ------------------------------------------------------------ */

static const struct {
	uint8_t pt;
	const char *name;
	uint32_t clock;
	uint8_t channels;
} static_pt[] = {
	/* RFC 3551 §6, tables 4 and 5 */
	{ 0, "PCMU", 8000, 1 },   { 3, "GSM", 8000, 1 },
	{ 4, "G723", 8000, 1 },   { 5, "DVI4", 8000, 1 },
	{ 6, "DVI4", 16000, 1 },  { 7, "LPC", 8000, 1 },
	{ 8, "PCMA", 8000, 1 },   { 9, "G722", 8000, 1 },
	{ 10, "L16", 44100, 2 },  { 11, "L16", 44100, 1 },
	{ 12, "QCELP", 8000, 1 }, { 13, "CN", 8000, 1 },
	{ 14, "MPA", 90000, 1 },  { 15, "G728", 8000, 1 },
	{ 16, "DVI4", 11025, 1 }, { 17, "DVI4", 22050, 1 },
	{ 18, "G729", 8000, 1 },  { 25, "CelB", 90000, 1 },
	{ 26, "JPEG", 90000, 1 }, { 28, "nv", 90000, 1 },
	{ 31, "H261", 90000, 1 }, { 32, "MPV", 90000, 1 },
	{ 33, "MP2T", 90000, 1 }, { 34, "H263", 90000, 1 },
};

static const char *const suite_names[] = {
	[SDP_SRTP_AES_CM_128_HMAC_SHA1_80] = "AES_CM_128_HMAC_SHA1_80",
	[SDP_SRTP_AES_CM_128_HMAC_SHA1_32] = "AES_CM_128_HMAC_SHA1_32",
	[SDP_SRTP_AEAD_AES_128_GCM] = "AEAD_AES_128_GCM",
};

static const char *const dir_names[] = {
	[SDP_DIR_INACTIVE] = "inactive",
	[SDP_DIR_SENDONLY] = "sendonly",
	[SDP_DIR_RECVONLY] = "recvonly",
	[SDP_DIR_SENDRECV] = "sendrecv",
};

const char *sdp_dir_name(enum sdp_dir dir)
{
	return (unsigned)dir <= SDP_DIR_SENDRECV ? dir_names[dir] : "?";
}

const char *sdp_srtp_suite_name(enum sdp_srtp_suite suite)
{
	return (unsigned)suite < SDP_SRTP_UNKNOWN ? suite_names[suite] : "?";
}

size_t sdp_srtp_key_len(enum sdp_srtp_suite suite)
{
	switch (suite) {
	case SDP_SRTP_AES_CM_128_HMAC_SHA1_80:
	case SDP_SRTP_AES_CM_128_HMAC_SHA1_32:
		return 30; /* 128-bit key, 112-bit salt */
	case SDP_SRTP_AEAD_AES_128_GCM:
		return 28; /* 128-bit key, 96-bit salt (RFC 7714 §12) */
	default:
		return 0;
	}
}

const char *sdp_warn_text(uint16_t code)
{
	switch (code) {
	case 300: return "Incompatible network protocol";
	case 301: return "Incompatible network address formats";
	case 302: return "Incompatible transport protocol";
	case 303: return "Incompatible bandwidth units";
	case 304: return "Media type not available";
	case 305: return "Incompatible media format";
	case 306: return "Attribute not understood";
	case 307: return "Session description parameter not understood";
	case 399: return "Miscellaneous warning";
	default: return "";
	}
}

/* ---- small helpers ------------------------------------------------------ */

static void copy_pl(char *dst, size_t sz, const struct pl *pl)
{
	size_t n = pl->l < sz - 1 ? pl->l : sz - 1;
	if (n)
		memcpy(dst, pl->p, n);
	dst[n] = '\0';
}

/* Next space-separated field of *rest (runs of SP/HTAB are one separator). */
static bool next_field(struct pl *rest, struct pl *f)
{
	while (rest->l && (rest->p[0] == ' ' || rest->p[0] == '\t')) {
		rest->p++;
		rest->l--;
	}
	if (!rest->l)
		return false;
	f->p = rest->p;
	f->l = 0;
	while (rest->l && rest->p[0] != ' ' && rest->p[0] != '\t') {
		rest->p++;
		rest->l--;
		f->l++;
	}
	return true;
}

/* Split at the first c: head before it, tail after it (tail empty/unset
 * when there is no c). */
static bool split_at(const struct pl *in, char c, struct pl *head,
		     struct pl *tail)
{
	const char *x = pl_chr(in, c);
	if (!x) {
		*head = *in;
		*tail = (struct pl){ NULL, 0 };
		return false;
	}
	head->p = in->p;
	head->l = (size_t)(x - in->p);
	tail->p = x + 1;
	tail->l = in->l - head->l - 1;
	return true;
}

static int pl_u16(const struct pl *pl, uint16_t *v)
{
	uint32_t x;
	int err = pl_u32(pl, &x);
	if (err)
		return err;
	if (x > 65535)
		return ERANGE;
	*v = (uint16_t)x;
	return 0;
}

static bool is_hostname(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-'))
			return false;
	}
	return true;
}

int sdp_conn_set(struct sdp_conn *c, const char *addr)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (!c || !addr || strlen(addr) >= sizeof(c->addr))
		return EINVAL;
	if (inet_pton(AF_INET, addr, buf) == 1)
		c->af = AF_INET;
	else if (inet_pton(AF_INET6, addr, buf) == 1)
		c->af = AF_INET6;
	else
		return EINVAL;
	strcpy(c->addr, addr);
	c->set = true;
	return 0;
}

/* "IP4 addr" / "IP6 addr" (nettype already consumed). Multicast TTL and
 * count suffixes are dropped. */
static int parse_addr(const struct pl *atype, const struct pl *addr,
		      struct sdp_conn *c)
{
	struct pl a, rest;
	unsigned char buf[sizeof(struct in6_addr)];
	char s[SDP_ADDR_MAX];
	int af;

	if (!pl_strcasecmp(atype, "IP4"))
		af = AF_INET;
	else if (!pl_strcasecmp(atype, "IP6"))
		af = AF_INET6;
	else
		return EBADMSG;
	/* IPv4 "a/ttl[/n]", IPv6 "a[/n]": both end at the first '/' */
	split_at(addr, '/', &a, &rest);
	if (!a.l || a.l >= sizeof(s))
		return EBADMSG;
	copy_pl(s, sizeof(s), &a);
	if (inet_pton(af, s, buf) != 1) {
		if (!is_hostname(s))
			return EBADMSG;
		af = AF_UNSPEC;
	}
	memset(c, 0, sizeof(*c));
	c->set = true;
	c->af = af;
	memcpy(c->addr, s, strlen(s) + 1);
	return 0;
}

/* c=IN IP4 addr */
static int parse_conn(const struct pl *val, struct sdp_conn *c)
{
	struct pl rest = *val, nt, at, addr, extra;

	if (!next_field(&rest, &nt) || !next_field(&rest, &at) ||
	    !next_field(&rest, &addr) || next_field(&rest, &extra))
		return EBADMSG;
	if (pl_strcasecmp(&nt, "IN"))
		return EBADMSG;
	return parse_addr(&at, &addr, c);
}

/* o=user id version IN IP4 addr */
static int parse_origin(const struct pl *val, struct sdp_session *s)
{
	struct pl rest = *val, user, id, ver, nt, at, addr, extra;

	if (!next_field(&rest, &user) || !next_field(&rest, &id) ||
	    !next_field(&rest, &ver) || !next_field(&rest, &nt) ||
	    !next_field(&rest, &at) || !next_field(&rest, &addr) ||
	    next_field(&rest, &extra))
		return EBADMSG;
	if (pl_strcasecmp(&nt, "IN") || pl_u64(&ver, &s->o_ver))
		return EBADMSG;
	for (size_t i = 0; i < id.l; i++) {
		if (id.p[i] < '0' || id.p[i] > '9')
			return EBADMSG;
	}
	if (id.l >= sizeof(s->o_id))
		return EBADMSG;
	copy_pl(s->o_user, sizeof(s->o_user), &user);
	copy_pl(s->o_id, sizeof(s->o_id), &id);
	return parse_addr(&at, &addr, &s->o_addr);
}

/* t=start stop */
static int parse_time(const struct pl *val)
{
	struct pl rest = *val, a, b, extra;
	uint64_t x;

	if (!next_field(&rest, &a) || !next_field(&rest, &b) ||
	    next_field(&rest, &extra))
		return EBADMSG;
	if (pl_u64(&a, &x) || pl_u64(&b, &x))
		return EBADMSG;
	return 0;
}

/* b=<type>:<value>; unknown types are ignored */
static int parse_bw(const struct pl *val, uint32_t *as, uint32_t *tias)
{
	struct pl type, v;
	uint32_t x;

	if (!split_at(val, ':', &type, &v) || pl_u32(&v, &x))
		return EBADMSG;
	if (!pl_strcasecmp(&type, "AS"))
		*as = x;
	else if (!pl_strcasecmp(&type, "TIAS") && tias)
		*tias = x;
	return 0;
}

static void fmt_static(struct sdp_fmt *f)
{
	for (size_t i = 0; i < sizeof(static_pt) / sizeof(static_pt[0]); i++) {
		if (static_pt[i].pt == f->pt) {
			strcpy(f->name, static_pt[i].name);
			f->clock = static_pt[i].clock;
			f->channels = static_pt[i].channels;
			return;
		}
	}
	f->channels = 1;
}

/* m=<type> <port>[/<n>] <proto> <fmt>... */
static int parse_mline(const struct pl *val, struct sdp_media *m)
{
	struct pl rest = *val, type, port, proto, f, pp, pn;
	bool rtp;

	if (!next_field(&rest, &type) || !next_field(&rest, &port) ||
	    !next_field(&rest, &proto))
		return EBADMSG;
	if (type.l >= sizeof(m->type_name) || proto.l >= sizeof(m->proto_name))
		return EBADMSG;
	copy_pl(m->type_name, sizeof(m->type_name), &type);
	if (!pl_strcasecmp(&type, "audio"))
		m->type = SDP_MEDIA_AUDIO;
	else if (!pl_strcasecmp(&type, "video"))
		m->type = SDP_MEDIA_VIDEO;
	else if (!pl_strcasecmp(&type, "image"))
		m->type = SDP_MEDIA_IMAGE;
	else
		m->type = SDP_MEDIA_OTHER;

	if (split_at(&port, '/', &pp, &pn)) {
		if (pl_u16(&pn, &m->nports))
			return EBADMSG;
	}
	if (pl_u16(&pp, &m->port))
		return EBADMSG;

	copy_pl(m->proto_name, sizeof(m->proto_name), &proto);
	if (!pl_strcasecmp(&proto, "RTP/AVP"))
		m->proto = SDP_PROTO_RTP_AVP;
	else if (!pl_strcasecmp(&proto, "RTP/SAVP"))
		m->proto = SDP_PROTO_RTP_SAVP;
	else if (!pl_strcasecmp(&proto, "udptl"))
		m->proto = SDP_PROTO_UDPTL;
	else
		m->proto = SDP_PROTO_OTHER;
	rtp = m->proto == SDP_PROTO_RTP_AVP || m->proto == SDP_PROTO_RTP_SAVP;

	if (!next_field(&rest, &f))
		return EBADMSG; /* at least one format */
	do {
		if (rtp) {
			uint32_t pt;
			if (pl_u32(&f, &pt) || pt > 127)
				return EBADMSG;
			if (m->nfmt == SDP_MAX_FMT)
				continue;
			bool dup = false;
			for (size_t k = 0; k < m->nfmt; k++)
				dup |= m->fmtv[k].pt == pt;
			if (dup)
				continue; /* listed twice: keep the first */
			struct sdp_fmt *x = &m->fmtv[m->nfmt++];
			x->pt = (uint8_t)pt;
			fmt_static(x);
		} else if (!m->fmt_other[0]) {
			if (f.l >= sizeof(m->fmt_other))
				return EBADMSG;
			copy_pl(m->fmt_other, sizeof(m->fmt_other), &f);
		}
	} while (next_field(&rest, &f));
	return 0;
}

static struct sdp_fmt *find_fmt(struct sdp_media *m, const struct pl *ptv)
{
	uint32_t pt;

	if (pl_u32(ptv, &pt) || pt > 127)
		return NULL;
	for (size_t i = 0; i < m->nfmt; i++) {
		if (m->fmtv[i].pt == pt)
			return &m->fmtv[i];
	}
	return NULL;
}

/* a=rtpmap:<pt> <name>/<clock>[/<channels>] */
static void attr_rtpmap(struct sdp_media *m, const struct pl *v)
{
	struct pl rest = *v, ptv, enc, name, r1, clk, ch, extra;
	struct sdp_fmt *f;
	uint32_t clock, chans = 1;

	if (!next_field(&rest, &ptv) || !next_field(&rest, &enc) ||
	    next_field(&rest, &extra))
		return;
	f = find_fmt(m, &ptv);
	if (!f || !split_at(&enc, '/', &name, &r1))
		return;
	if (split_at(&r1, '/', &clk, &ch)) {
		if (pl_u32(&ch, &chans) || chans == 0 || chans > 255)
			return;
	}
	if (pl_u32(&clk, &clock) || !clock || !name.l ||
	    name.l >= sizeof(f->name))
		return;
	copy_pl(f->name, sizeof(f->name), &name);
	f->clock = clock;
	f->channels = (uint8_t)chans;
	f->rtpmap = true;
}

/* a=fmtp:<pt> <params> */
static void attr_fmtp(struct sdp_media *m, const struct pl *v)
{
	struct pl rest = *v, ptv;
	struct sdp_fmt *f;

	if (!next_field(&rest, &ptv))
		return;
	f = find_fmt(m, &ptv);
	pl_trim(&rest);
	if (!f || rest.l >= sizeof(f->fmtp))
		return;
	for (size_t i = 0; i < rest.l; i++) {
		if ((unsigned char)rest.p[i] < 0x20)
			return;
	}
	copy_pl(f->fmtp, sizeof(f->fmtp), &rest);
}

/* ---- a=crypto (RFC 4568 §9.1) ------------------------------------------- */

static bool is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

static int b64_decode(const struct pl *in, uint8_t *out, size_t max,
		      size_t *outlen)
{
	unsigned char tmp[96];
	size_t pad = 0;
	int n;

	if (!in->l || in->l % 4 || in->l > 128)
		return EINVAL;
	for (size_t i = 0; i < in->l; i++) {
		if (!is_b64(in->p[i]))
			return EINVAL;
		/* '=' only as the last one or two characters */
		if (in->p[i] == '=' && i < in->l - 2)
			return EINVAL;
		if (in->p[i] == '=')
			pad++;
	}
	if (pad == 1 && in->p[in->l - 1] != '=')
		return EINVAL;
	n = EVP_DecodeBlock(tmp, (const unsigned char *)in->p, (int)in->l);
	if (n < 0 || (size_t)n < pad || (size_t)n - pad > max)
		return EINVAL;
	memcpy(out, tmp, (size_t)n - pad);
	*outlen = (size_t)n - pad;
	return 0;
}

static int parse_lifetime(const struct pl *v, uint64_t *life)
{
	if (v->l > 2 && v->p[0] == '2' && v->p[1] == '^') {
		struct pl e = { v->p + 2, v->l - 2 };
		uint32_t x;
		if (pl_u32(&e, &x) || x == 0 || x > 63)
			return EINVAL;
		*life = (uint64_t)1 << x;
		return 0;
	}
	return pl_u64(v, life) ? EINVAL : 0;
}

static void attr_crypto(struct sdp_media *m, const struct pl *v)
{
	struct pl rest = *v, tag, suite, keyp, first, unused, method, info;
	struct pl keyb, parts;
	struct sdp_crypto c;
	uint32_t t;

	if (m->ncrypto == SDP_MAX_CRYPTO)
		return;
	memset(&c, 0, sizeof(c));
	if (!next_field(&rest, &tag) || !next_field(&rest, &suite) ||
	    !next_field(&rest, &keyp))
		return;
	if (pl_u32(&tag, &t) || tag.l > 9 || suite.l >= sizeof(c.suite_name))
		return;
	c.tag = t;
	copy_pl(c.suite_name, sizeof(c.suite_name), &suite);
	c.suite = SDP_SRTP_UNKNOWN;
	for (unsigned i = 0; i < SDP_SRTP_UNKNOWN; i++) {
		if (!pl_strcmp(&suite, suite_names[i]))
			c.suite = (enum sdp_srtp_suite)i;
	}
	/* several keys are separated by ';' - only the first is used */
	split_at(&keyp, ';', &first, &unused);
	if (!split_at(&first, ':', &method, &info) ||
	    pl_strcmp(&method, "inline"))
		return;
	bool more = split_at(&info, '|', &keyb, &parts);
	if (b64_decode(&keyb, c.key, sizeof(c.key), &c.key_len))
		return;
	if (c.suite != SDP_SRTP_UNKNOWN &&
	    c.key_len != sdp_srtp_key_len(c.suite))
		return;
	bool have_life = false, have_mki = false;
	while (more) {
		struct pl part, next;
		more = split_at(&parts, '|', &part, &next);
		parts = next;
		struct pl mv, ml;
		if (split_at(&part, ':', &mv, &ml)) {
			if (have_mki || pl_u32(&mv, &c.mki) ||
			    pl_u32(&ml, &c.mki_len) || !c.mki_len ||
			    c.mki_len > 128)
				return;
			have_mki = true;
		} else {
			if (have_life || have_mki ||
			    parse_lifetime(&part, &c.lifetime))
				return;
			have_life = true;
		}
	}
	pl_trim(&rest);
	if (rest.l >= sizeof(c.params))
		return;
	for (size_t i = 0; i < rest.l; i++) {
		if ((unsigned char)rest.p[i] < 0x20)
			return;
	}
	copy_pl(c.params, sizeof(c.params), &rest);
	m->cryptov[m->ncrypto++] = c;
}

/* ---- T.38 attributes (T.38 Annex D.2.3) ---------------------------------- */

static bool t38_flag(const struct pl *v)
{
	/* a bare flag means 1; some send ":0" to say no */
	return !v->p || pl_strcmp(v, "0");
}

static bool attr_t38(struct sdp_media *m, const struct pl *name,
		     const struct pl *v)
{
	struct sdp_t38 *t = &m->t38;
	uint32_t x;

	if (!pl_strcasecmp(name, "T38FaxVersion")) {
		if (!pl_u32(v, &x)) {
			t->version = x;
			t->present |= SDP_T38_VERSION;
		}
	} else if (!pl_strcasecmp(name, "T38MaxBitRate") ||
		   !pl_strcasecmp(name, "T38FaxMaxRate")) {
		if (!pl_u32(v, &x)) {
			t->max_bitrate = x;
			t->present |= SDP_T38_BITRATE;
		}
	} else if (!pl_strcasecmp(name, "T38FaxRateManagement")) {
		if (!pl_strcasecmp(v, "localTCF")) {
			t->rate_mgmt = SDP_T38_RATE_LOCAL_TCF;
			t->present |= SDP_T38_RATEMGMT;
		} else if (!pl_strcasecmp(v, "transferredTCF")) {
			t->rate_mgmt = SDP_T38_RATE_TRANSFERRED_TCF;
			t->present |= SDP_T38_RATEMGMT;
		}
	} else if (!pl_strcasecmp(name, "T38FaxMaxBuffer")) {
		if (!pl_u32(v, &x)) {
			t->max_buffer = x;
			t->present |= SDP_T38_MAXBUFFER;
		}
	} else if (!pl_strcasecmp(name, "T38FaxMaxDatagram")) {
		if (!pl_u32(v, &x)) {
			t->max_datagram = x;
			t->present |= SDP_T38_MAXDATAGRAM;
		}
	} else if (!pl_strcasecmp(name, "T38FaxUdpEC")) {
		if (!pl_strcasecmp(v, "t38UDPRedundancy")) {
			t->udp_ec = SDP_T38_EC_REDUNDANCY;
			t->present |= SDP_T38_UDPEC;
		} else if (!pl_strcasecmp(v, "t38UDPFEC")) {
			t->udp_ec = SDP_T38_EC_FEC;
			t->present |= SDP_T38_UDPEC;
		} else if (!pl_strcasecmp(v, "t38UDPNoEC")) {
			t->udp_ec = SDP_T38_EC_NONE;
			t->present |= SDP_T38_UDPEC;
		}
	} else if (!pl_strcasecmp(name, "T38FaxFillBitRemoval")) {
		t->fill_bit_removal = t38_flag(v);
	} else if (!pl_strcasecmp(name, "T38FaxTranscodingMMR")) {
		t->transcoding_mmr = t38_flag(v);
	} else if (!pl_strcasecmp(name, "T38FaxTranscodingJBIG")) {
		t->transcoding_jbig = t38_flag(v);
	} else {
		return false;
	}
	return true;
}

static bool attr_dir(const struct pl *name, enum sdp_dir *dir)
{
	for (unsigned i = 0; i <= SDP_DIR_SENDRECV; i++) {
		if (!pl_strcmp(name, dir_names[i])) {
			*dir = (enum sdp_dir)i;
			return true;
		}
	}
	return false;
}

/* a=rtcp:<port> [IN IP4 <addr>] */
static void attr_rtcp(struct sdp_media *m, const struct pl *v)
{
	struct pl rest = *v, port, nt, at, addr;
	uint16_t p;

	if (!next_field(&rest, &port) || pl_u16(&port, &p) || !p)
		return;
	if (next_field(&rest, &nt)) {
		struct sdp_conn c;
		if (pl_strcasecmp(&nt, "IN") || !next_field(&rest, &at) ||
		    !next_field(&rest, &addr) || parse_addr(&at, &addr, &c))
			return;
		m->rtcp_conn = c;
	}
	m->rtcp_port = p;
}

static void media_attr(struct sdp_media *m, const struct pl *line)
{
	struct pl name, v;
	uint32_t x;

	split_at(line, ':', &name, &v);
	if (attr_dir(&name, &m->dir)) {
		m->dir_set = true;
	} else if (!pl_strcmp(&name, "rtpmap")) {
		attr_rtpmap(m, &v);
	} else if (!pl_strcmp(&name, "fmtp")) {
		attr_fmtp(m, &v);
	} else if (!pl_strcmp(&name, "ptime")) {
		if (!pl_u32(&v, &x))
			m->ptime = x;
	} else if (!pl_strcmp(&name, "maxptime")) {
		if (!pl_u32(&v, &x))
			m->maxptime = x;
	} else if (!pl_strcmp(&name, "rtcp")) {
		attr_rtcp(m, &v);
	} else if (!pl_strcmp(&name, "rtcp-mux")) {
		m->rtcp_mux = true;
	} else if (!pl_strcmp(&name, "crypto")) {
		attr_crypto(m, &v);
	} else {
		attr_t38(m, &name, &v); /* or an unknown attribute: ignored */
	}
}

/* ---- decode -------------------------------------------------------------- */

enum {
	SEEN_V = 1 << 0,
	SEEN_O = 1 << 1,
	SEEN_S = 1 << 2,
	SEEN_T = 1 << 3,
};

int sdp_decode(struct sdp_session *s, const struct pl *body)
{
	const unsigned need = SEEN_V | SEEN_O | SEEN_S | SEEN_T;
	struct sdp_media *m = NULL;
	unsigned seen = 0;
	const char *p, *end;
	int err;

	if (!s)
		return EINVAL;
	memset(s, 0, sizeof(*s));
	if (!body || !body->p)
		return EBADMSG;
	p = body->p;
	end = p + body->l;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct pl line = { p, (size_t)((nl ? nl : end) - p) };
		p = nl ? nl + 1 : end;
		if (line.l && line.p[line.l - 1] == '\r')
			line.l--;
		if (!line.l)
			continue; /* tolerate blank lines (often at the end) */
		if (line.l < 2 || line.p[1] != '=' || line.p[0] < 'a' ||
		    line.p[0] > 'z')
			return EBADMSG;
		for (size_t i = 2; i < line.l; i++) {
			/* RFC 4566 §9: no NUL, CR or LF inside a line */
			if (line.p[i] == '\0' || line.p[i] == '\r')
				return EBADMSG;
		}
		struct pl val = { line.p + 2, line.l - 2 };
		char type = line.p[0];

		if (!seen) {
			if (type != 'v' || pl_strcmp(&val, "0"))
				return EBADMSG;
			seen |= SEEN_V;
			continue;
		}
		switch (type) {
		case 'v':
			return EBADMSG;
		case 'o':
			if (m || (seen & SEEN_O))
				return EBADMSG;
			err = parse_origin(&val, s);
			if (err)
				return err;
			seen |= SEEN_O;
			break;
		case 's':
			if (m || (seen & SEEN_S))
				return EBADMSG;
			copy_pl(s->name, sizeof(s->name), &val);
			seen |= SEEN_S;
			break;
		case 't':
			if (m || parse_time(&val))
				return EBADMSG;
			seen |= SEEN_T;
			break;
		case 'c':
			err = parse_conn(&val, m ? &m->conn : &s->conn);
			if (err)
				return err;
			break;
		case 'b':
			if (parse_bw(&val, m ? &m->bw_as : &s->bw_as,
				     m ? &m->bw_tias : NULL))
				return EBADMSG;
			break;
		case 'm':
			if ((seen & need) != need)
				return EBADMSG;
			if (s->nmedia == SDP_MAX_MEDIA)
				return E2BIG;
			m = &s->mediav[s->nmedia++];
			err = parse_mline(&val, m);
			if (err)
				return err;
			break;
		case 'a':
			if (m) {
				media_attr(m, &val);
			} else {
				struct pl name, v;
				split_at(&val, ':', &name, &v);
				if (attr_dir(&name, &s->dir))
					s->dir_set = true;
			}
			break;
		default:
			/* i= u= e= p= r= z= k= and unknown letters */
			break;
		}
	}
	if ((seen & need) != need)
		return EBADMSG;
	return 0;
}

/* ---- encode -------------------------------------------------------------- */

struct obuf {
	char *p;
	size_t sz;
	size_t len;
	int err;
};

static void ob_printf(struct obuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void ob_printf(struct obuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->sz - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->sz - b->len) {
		b->err = ENOSPC;
		return;
	}
	b->len += (size_t)n;
}

static const char *af_name(int af)
{
	return af == AF_INET6 ? "IP6" : "IP4";
}

static void enc_conn(struct obuf *b, const struct sdp_conn *c)
{
	if (c->set)
		ob_printf(b, "c=IN %s %s\r\n", af_name(c->af), c->addr);
}

static void enc_crypto(struct obuf *b, const struct sdp_crypto *c)
{
	char key[72];
	int n;

	n = EVP_EncodeBlock((unsigned char *)key, c->key, (int)c->key_len);
	if (n < 0) {
		b->err = EINVAL;
		return;
	}
	ob_printf(b, "a=crypto:%u %s inline:%s", c->tag, c->suite_name, key);
	if (c->lifetime) {
		if (c->lifetime > 1 && !(c->lifetime & (c->lifetime - 1)))
			ob_printf(b, "|2^%d", __builtin_ctzll(c->lifetime));
		else
			ob_printf(b, "|%llu", (unsigned long long)c->lifetime);
	}
	if (c->mki_len)
		ob_printf(b, "|%u:%u", c->mki, c->mki_len);
	if (c->params[0])
		ob_printf(b, " %s", c->params);
	ob_printf(b, "\r\n");
}

static void enc_t38(struct obuf *b, const struct sdp_t38 *t)
{
	static const char *const rate[] = { "", "localTCF", "transferredTCF" };
	static const char *const ec[] = { "t38UDPNoEC", "t38UDPRedundancy",
					  "t38UDPFEC" };

	if (t->present & SDP_T38_VERSION)
		ob_printf(b, "a=T38FaxVersion:%u\r\n", t->version);
	if (t->present & SDP_T38_BITRATE)
		ob_printf(b, "a=T38MaxBitRate:%u\r\n", t->max_bitrate);
	if (t->fill_bit_removal)
		ob_printf(b, "a=T38FaxFillBitRemoval\r\n");
	if (t->transcoding_mmr)
		ob_printf(b, "a=T38FaxTranscodingMMR\r\n");
	if (t->transcoding_jbig)
		ob_printf(b, "a=T38FaxTranscodingJBIG\r\n");
	if ((t->present & SDP_T38_RATEMGMT) && t->rate_mgmt != SDP_T38_RATE_NONE &&
	    (unsigned)t->rate_mgmt <= SDP_T38_RATE_TRANSFERRED_TCF)
		ob_printf(b, "a=T38FaxRateManagement:%s\r\n", rate[t->rate_mgmt]);
	if (t->present & SDP_T38_MAXBUFFER)
		ob_printf(b, "a=T38FaxMaxBuffer:%u\r\n", t->max_buffer);
	if (t->present & SDP_T38_MAXDATAGRAM)
		ob_printf(b, "a=T38FaxMaxDatagram:%u\r\n", t->max_datagram);
	if ((t->present & SDP_T38_UDPEC) && (unsigned)t->udp_ec <= SDP_T38_EC_FEC)
		ob_printf(b, "a=T38FaxUdpEC:%s\r\n", ec[t->udp_ec]);
}

static bool is_rtp(const struct sdp_media *m)
{
	return m->proto == SDP_PROTO_RTP_AVP || m->proto == SDP_PROTO_RTP_SAVP;
}

static void enc_media(struct obuf *b, const struct sdp_media *m)
{
	ob_printf(b, "m=%s %u", m->type_name, m->port);
	if (m->nports)
		ob_printf(b, "/%u", m->nports);
	ob_printf(b, " %s", m->proto_name);
	if (is_rtp(m)) {
		for (size_t i = 0; i < m->nfmt; i++)
			ob_printf(b, " %u", m->fmtv[i].pt);
		if (!m->nfmt)
			ob_printf(b, " 0");
	} else {
		ob_printf(b, " %s", m->fmt_other[0] ? m->fmt_other : "*");
	}
	ob_printf(b, "\r\n");
	if (!m->port)
		return; /* rejected or disabled: the m= line says it all */

	enc_conn(b, &m->conn);
	if (m->bw_as)
		ob_printf(b, "b=AS:%u\r\n", m->bw_as);
	if (m->bw_tias)
		ob_printf(b, "b=TIAS:%u\r\n", m->bw_tias);
	if (is_rtp(m)) {
		for (size_t i = 0; i < m->nfmt; i++) {
			const struct sdp_fmt *f = &m->fmtv[i];
			if (f->name[0] && f->clock) {
				ob_printf(b, "a=rtpmap:%u %s/%u", f->pt, f->name,
					  f->clock);
				if (f->channels > 1)
					ob_printf(b, "/%u", f->channels);
				ob_printf(b, "\r\n");
			}
			if (f->fmtp[0])
				ob_printf(b, "a=fmtp:%u %s\r\n", f->pt, f->fmtp);
		}
	}
	if (m->ptime)
		ob_printf(b, "a=ptime:%u\r\n", m->ptime);
	if (m->maxptime)
		ob_printf(b, "a=maxptime:%u\r\n", m->maxptime);
	if (m->rtcp_port) {
		ob_printf(b, "a=rtcp:%u", m->rtcp_port);
		if (m->rtcp_conn.set)
			ob_printf(b, " IN %s %s", af_name(m->rtcp_conn.af),
				  m->rtcp_conn.addr);
		ob_printf(b, "\r\n");
	}
	if (m->rtcp_mux)
		ob_printf(b, "a=rtcp-mux\r\n");
	for (size_t i = 0; i < m->ncrypto; i++)
		enc_crypto(b, &m->cryptov[i]);
	if (m->proto == SDP_PROTO_UDPTL)
		enc_t38(b, &m->t38);
	if (m->dir_set)
		ob_printf(b, "a=%s\r\n", sdp_dir_name(m->dir));
}

int sdp_encode(const struct sdp_session *s, char *buf, size_t sz, size_t *len)
{
	struct obuf b = { buf, sz, 0, 0 };

	if (!s || !buf || !sz || s->nmedia > SDP_MAX_MEDIA)
		return EINVAL;
	ob_printf(&b, "v=0\r\n");
	ob_printf(&b, "o=%s %s %llu IN %s %s\r\n",
		  s->o_user[0] ? s->o_user : "-", s->o_id[0] ? s->o_id : "0",
		  (unsigned long long)s->o_ver, af_name(s->o_addr.af),
		  s->o_addr.set ? s->o_addr.addr : "0.0.0.0");
	ob_printf(&b, "s=%s\r\n", s->name[0] ? s->name : "-");
	enc_conn(&b, &s->conn);
	if (s->bw_as)
		ob_printf(&b, "b=AS:%u\r\n", s->bw_as);
	ob_printf(&b, "t=0 0\r\n");
	if (s->dir_set)
		ob_printf(&b, "a=%s\r\n", sdp_dir_name(s->dir));
	for (size_t i = 0; i < s->nmedia; i++)
		enc_media(&b, &s->mediav[i]);
	if (b.err) {
		buf[0] = '\0';
		return b.err;
	}
	if (len)
		*len = b.len;
	return 0;
}

/* ---- queries ------------------------------------------------------------- */

const struct sdp_conn *sdp_media_conn(const struct sdp_session *s,
				      const struct sdp_media *m)
{
	if (m && m->conn.set)
		return &m->conn;
	if (s && s->conn.set)
		return &s->conn;
	return NULL;
}

enum sdp_dir sdp_media_dir(const struct sdp_session *s,
			   const struct sdp_media *m)
{
	if (m && m->dir_set)
		return m->dir;
	if (s && s->dir_set)
		return s->dir;
	return SDP_DIR_SENDRECV;
}

static bool conn_is_null(const struct sdp_conn *c)
{
	return c && c->set && c->af == AF_INET && !strcmp(c->addr, "0.0.0.0");
}

bool sdp_media_hold(const struct sdp_session *s, const struct sdp_media *m)
{
	enum sdp_dir d = sdp_media_dir(s, m);

	if (!(d & SDP_DIR_RECVONLY))
		return true;
	return conn_is_null(sdp_media_conn(s, m));
}

/* ---- offer / answer ------------------------------------------------------ */

static enum sdp_dir dir_swap(enum sdp_dir d)
{
	return (enum sdp_dir)(((d & 1) << 1) | ((d & 2) >> 1));
}

static bool fmt_is(const struct sdp_fmt *f, const char *name)
{
	return !strcasecmp(f->name, name);
}

static bool codec_match(const struct sdp_codec *c, const struct sdp_fmt *f)
{
	uint8_t ch = c->channels ? c->channels : 1;
	uint8_t fch = f->channels ? f->channels : 1;
	return f->name[0] && !strcasecmp(c->name, f->name) &&
	       c->clock == f->clock && ch == fch;
}

static const struct sdp_codec *caps_codec(const struct sdp_caps *caps,
					  const struct sdp_fmt *f)
{
	for (size_t i = 0; i < caps->ncodec; i++) {
		if (codec_match(&caps->codecv[i], f))
			return &caps->codecv[i];
	}
	return NULL;
}

static bool is_aux(const struct sdp_fmt *f)
{
	return fmt_is(f, "telephone-event") || fmt_is(f, "CN");
}

static int fresh_crypto(struct sdp_crypto *c, uint32_t tag,
			enum sdp_srtp_suite suite)
{
	size_t kl = sdp_srtp_key_len(suite);

	if (!kl)
		return EINVAL;
	memset(c, 0, sizeof(*c));
	c->tag = tag;
	c->suite = suite;
	strcpy(c->suite_name, suite_names[suite]);
	c->key_len = kl;
	if (RAND_bytes(c->key, (int)kl) != 1)
		return EIO;
	return 0;
}

/* The copy of an offered m= line used for a rejected answer line. */
static void media_reject(struct sdp_media *am, const struct sdp_media *om)
{
	memset(am, 0, sizeof(*am));
	am->type = om->type;
	memcpy(am->type_name, om->type_name, sizeof(am->type_name));
	am->proto = om->proto;
	memcpy(am->proto_name, om->proto_name, sizeof(am->proto_name));
	am->nfmt = om->nfmt;
	for (size_t i = 0; i < om->nfmt; i++)
		am->fmtv[i].pt = om->fmtv[i].pt;
	memcpy(am->fmt_other, om->fmt_other, sizeof(am->fmt_other));
}

static void fmt_set(struct sdp_fmt *f, uint8_t pt, const char *name,
		    uint32_t clock, uint8_t ch, const char *fmtp)
{
	memset(f, 0, sizeof(*f));
	f->pt = pt;
	f->rtpmap = true;
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->clock = clock;
	f->channels = ch ? ch : 1;
	if (fmtp)
		snprintf(f->fmtp, sizeof(f->fmtp), "%s", fmtp);
}

/* Pick the SRTP crypto line to accept, by our suite preference. */
static const struct sdp_crypto *pick_crypto(const struct sdp_caps *caps,
					    const struct sdp_media *om)
{
	for (size_t k = 0; k < caps->nsuite; k++) {
		if ((unsigned)caps->suitev[k] >= SDP_SRTP_UNKNOWN)
			continue; /* not something we can key */
		for (size_t i = 0; i < om->ncrypto; i++) {
			const struct sdp_crypto *c = &om->cryptov[i];
			if (c->suite == caps->suitev[k])
				return c;
		}
	}
	return NULL;
}

/* Answer one audio m= line. Returns 0 or the warn-code for rejecting it. */
static int answer_audio(struct sdp_media *am, struct sdp_neg_stream *ns,
			const struct sdp_local *loc,
			const struct sdp_session *offer,
			const struct sdp_media *om, const struct sdp_conn *conn,
			int *err)
{
	const struct sdp_caps *caps = loc->caps;
	const struct sdp_fmt *chosen = NULL, *te = NULL;
	const struct sdp_codec *cc = NULL;
	const struct sdp_crypto *rc = NULL;
	struct sdp_crypto lc;
	enum sdp_dir odir;

	/* transport and SRTP policy */
	if (om->proto == SDP_PROTO_RTP_SAVP) {
		if (caps->srtp == SDP_SRTP_OFF)
			return 302;
		rc = pick_crypto(caps, om);
		if (!rc)
			return 305;
	} else if (caps->srtp != SDP_SRTP_OFF) {
		rc = pick_crypto(caps, om); /* best-effort SRTP on RTP/AVP */
		if (!rc && caps->srtp == SDP_SRTP_MANDATORY)
			return 302;
	}

	/* codec: ours first, or the offerer's first */
	if (caps->prefer_remote) {
		for (size_t i = 0; i < om->nfmt && !chosen; i++) {
			if (is_aux(&om->fmtv[i]))
				continue;
			cc = caps_codec(caps, &om->fmtv[i]);
			if (cc)
				chosen = &om->fmtv[i];
		}
	} else {
		for (size_t k = 0; k < caps->ncodec && !chosen; k++) {
			for (size_t i = 0; i < om->nfmt; i++) {
				if (codec_match(&caps->codecv[k], &om->fmtv[i])) {
					chosen = &om->fmtv[i];
					cc = &caps->codecv[k];
					break;
				}
			}
		}
	}
	if (!chosen)
		return 305;
	if (caps->dtmf) {
		for (size_t i = 0; i < om->nfmt; i++) {
			if (fmt_is(&om->fmtv[i], "telephone-event") &&
			    om->fmtv[i].clock == chosen->clock) {
				te = &om->fmtv[i];
				break;
			}
		}
	}
	if (rc) {
		*err = fresh_crypto(&lc, rc->tag, rc->suite);
		if (*err)
			return 399;
	}

	/* build the answer line */
	am->port = loc->audio_port;
	fmt_set(&am->fmtv[am->nfmt++], chosen->pt, chosen->name, chosen->clock,
		chosen->channels, cc->fmtp);
	if (te)
		fmt_set(&am->fmtv[am->nfmt++], te->pt, te->name, te->clock, 1,
			caps->dtmf_events ? caps->dtmf_events : "0-15");
	am->ptime = caps->ptime;
	odir = sdp_media_dir(offer, om);
	if (conn_is_null(conn))
		odir &= ~SDP_DIR_RECVONLY; /* RFC 2543 hold: do not send */
	am->dir = dir_swap(odir) & loc->dir;
	am->dir_set = true;
	if (om->rtcp_mux && caps->rtcp_mux)
		am->rtcp_mux = true;
	if (rc)
		am->cryptov[am->ncrypto++] = lc;

	/* and the negotiated state */
	ns->active = true;
	ns->raddr = *conn;
	ns->rport = om->port;
	ns->rtcp_mux = am->rtcp_mux;
	ns->rtcp_port = ns->rtcp_mux ? om->port :
			om->rtcp_port ? om->rtcp_port : (uint16_t)(om->port + 1);
	ns->dir = am->dir;
	ns->remote_hold = !(odir & SDP_DIR_RECVONLY);
	snprintf(ns->codec, sizeof(ns->codec), "%s", chosen->name);
	ns->clock = chosen->clock;
	ns->channels = chosen->channels ? chosen->channels : 1;
	ns->pt = chosen->pt;
	ns->dtmf_pt = te ? te->pt : -1;
	ns->ptime = om->ptime ? om->ptime : 20;
	if (rc) {
		ns->srtp = true;
		ns->suite = rc->suite;
		ns->crypto_tag = rc->tag;
		ns->key_len = rc->key_len;
		memcpy(ns->remote_key, rc->key, rc->key_len);
		memcpy(ns->local_key, lc.key, lc.key_len);
		ns->remote_mki = rc->mki;
		ns->remote_mki_len = rc->mki_len;
		ns->remote_lifetime = rc->lifetime;
	}
	return 0;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* T.38 answer parameters from the offer and our limits (T.38 D.2.3). */
static void t38_answer(struct sdp_t38 *a, const struct sdp_t38 *o,
		       const struct sdp_t38 *mine)
{
	memset(a, 0, sizeof(*a));
	a->present = SDP_T38_VERSION | SDP_T38_BITRATE | SDP_T38_RATEMGMT;
	a->version = min_u32(o->present & SDP_T38_VERSION ? o->version : 0,
			     mine->present & SDP_T38_VERSION ? mine->version : 0);
	a->max_bitrate = min_u32(o->present & SDP_T38_BITRATE ?
				 o->max_bitrate : 14400,
				 mine->present & SDP_T38_BITRATE ?
				 mine->max_bitrate : 14400);
	/* the answerer must use the offered TCF method */
	a->rate_mgmt = (o->present & SDP_T38_RATEMGMT) ? o->rate_mgmt :
		       SDP_T38_RATE_TRANSFERRED_TCF;
	/* buffer and datagram sizes describe our receiver */
	if (mine->present & SDP_T38_MAXBUFFER) {
		a->max_buffer = mine->max_buffer;
		a->present |= SDP_T38_MAXBUFFER;
	}
	if (mine->present & SDP_T38_MAXDATAGRAM) {
		a->max_datagram = mine->max_datagram;
		a->present |= SDP_T38_MAXDATAGRAM;
	}
	if (o->present & SDP_T38_UDPEC) {
		enum sdp_t38_ec ours = (mine->present & SDP_T38_UDPEC) ?
				       mine->udp_ec : SDP_T38_EC_REDUNDANCY;
		a->present |= SDP_T38_UDPEC;
		a->udp_ec = o->udp_ec < ours ? o->udp_ec : ours;
	}
	a->fill_bit_removal = o->fill_bit_removal && mine->fill_bit_removal;
	a->transcoding_mmr = o->transcoding_mmr && mine->transcoding_mmr;
	a->transcoding_jbig = o->transcoding_jbig && mine->transcoding_jbig;
}

static void answer_image(struct sdp_media *am, struct sdp_neg_stream *ns,
			 const struct sdp_local *loc,
			 const struct sdp_session *offer,
			 const struct sdp_media *om, const struct sdp_conn *conn)
{
	enum sdp_dir odir = sdp_media_dir(offer, om);

	if (conn_is_null(conn))
		odir &= ~SDP_DIR_RECVONLY;
	am->port = loc->image_port;
	t38_answer(&am->t38, &om->t38, &loc->caps->t38_params);
	am->dir = dir_swap(odir) & loc->dir;
	/* sendrecv is the default: print only a restriction */
	am->dir_set = am->dir != SDP_DIR_SENDRECV;

	ns->active = true;
	ns->raddr = *conn;
	ns->rport = om->port;
	ns->dir = am->dir;
	ns->remote_hold = !(odir & SDP_DIR_RECVONLY);
	ns->dtmf_pt = -1;
	ns->t38 = am->t38;
	/* what the peer can receive limits what we send */
	ns->t38.present &= ~(unsigned)(SDP_T38_MAXBUFFER | SDP_T38_MAXDATAGRAM);
	ns->t38.max_buffer = ns->t38.max_datagram = 0;
	ns->t38.present |= om->t38.present &
			   (SDP_T38_MAXBUFFER | SDP_T38_MAXDATAGRAM);
	ns->t38.max_buffer = om->t38.max_buffer;
	ns->t38.max_datagram = om->t38.max_datagram;
}

static uint16_t warn_pick(uint16_t cur, uint16_t w)
{
	/* the most specific reason wins: format > transport > type */
	static const uint16_t rank[] = { 304, 301, 302, 305, 399 };
	int rc = -1, rw = -1;
	for (int i = 0; i < 5; i++) {
		if (rank[i] == cur)
			rc = i;
		if (rank[i] == w)
			rw = i;
	}
	return rw > rc ? w : cur;
}

int sdp_answer(struct sdp_session *ans, struct sdp_neg *neg,
	       const struct sdp_local *loc, const struct sdp_session *offer)
{
	bool have_audio = false, have_image = false;
	uint16_t warn = 0;
	int err = 0;

	if (!ans || !neg)
		return EINVAL;
	memset(ans, 0, sizeof(*ans));
	memset(neg, 0, sizeof(*neg));
	if (!loc || !loc->caps || !offer || offer->nmedia > SDP_MAX_MEDIA ||
	    !loc->addr.set)
		return EINVAL;
	strcpy(ans->name, "-");
	ans->conn = loc->addr;
	ans->nmedia = offer->nmedia;
	neg->nstream = offer->nmedia;

	for (size_t i = 0; i < offer->nmedia; i++) {
		const struct sdp_media *om = &offer->mediav[i];
		struct sdp_media *am = &ans->mediav[i];
		struct sdp_neg_stream *ns = &neg->streamv[i];
		const struct sdp_conn *conn = sdp_media_conn(offer, om);
		const struct sdp_caps *caps = loc->caps;

		media_reject(am, om);
		ns->type = om->type;
		ns->dtmf_pt = -1;
		if (!om->port)
			continue;
		if (!conn || conn->af == AF_UNSPEC) {
			warn = warn_pick(warn, 301);
			continue;
		}
		if (om->type == SDP_MEDIA_AUDIO && loc->audio_port && !have_audio) {
			if (!is_rtp(om)) {
				warn = warn_pick(warn, 302);
				continue;
			}
			am->nfmt = 0;
			int w = answer_audio(am, ns, loc, offer, om, conn, &err);
			if (err)
				goto out;
			if (w) {
				media_reject(am, om);
				warn = warn_pick(warn, (uint16_t)w);
				continue;
			}
			have_audio = true;
		} else if (om->type == SDP_MEDIA_IMAGE && caps->t38 &&
			   loc->image_port && !have_image) {
			if (om->proto != SDP_PROTO_UDPTL) {
				warn = warn_pick(warn, 302);
				continue;
			}
			if (strcasecmp(om->fmt_other, "t38")) {
				warn = warn_pick(warn, 305);
				continue;
			}
			answer_image(am, ns, loc, offer, om, conn);
			have_image = true;
		} else {
			warn = warn_pick(warn, 304);
		}
	}
	if (!have_audio && !have_image) {
		neg->warn = warn ? warn : 304;
		err = ENOTSUP;
	}
out:
	return err;
}

static int build_audio(struct sdp_media *m, const struct sdp_local *loc)
{
	const struct sdp_caps *caps = loc->caps;
	int err;

	memset(m, 0, sizeof(*m));
	m->type = SDP_MEDIA_AUDIO;
	strcpy(m->type_name, "audio");
	m->port = loc->audio_port;
	m->proto = caps->srtp == SDP_SRTP_MANDATORY ? SDP_PROTO_RTP_SAVP :
						      SDP_PROTO_RTP_AVP;
	strcpy(m->proto_name, m->proto == SDP_PROTO_RTP_SAVP ? "RTP/SAVP" :
							       "RTP/AVP");
	for (size_t i = 0; i < caps->ncodec && m->nfmt < SDP_MAX_FMT - 1; i++) {
		const struct sdp_codec *c = &caps->codecv[i];
		if (c->pt > 127)
			return EINVAL;
		fmt_set(&m->fmtv[m->nfmt++], c->pt, c->name, c->clock,
			c->channels, c->fmtp);
	}
	if (!m->nfmt)
		return EINVAL;
	for (size_t i = 0; caps->dtmf && i < m->nfmt; i++) {
		/* telephone-event needs a dynamic type of its own */
		if (caps->dtmf_pt < 96 || caps->dtmf_pt > 127 ||
		    m->fmtv[i].pt == caps->dtmf_pt)
			return EINVAL;
	}
	if (caps->dtmf)
		fmt_set(&m->fmtv[m->nfmt++], caps->dtmf_pt, "telephone-event",
			8000, 1, caps->dtmf_events ? caps->dtmf_events : "0-15");
	m->ptime = caps->ptime;
	m->dir = loc->dir;
	m->dir_set = true;
	m->rtcp_mux = caps->rtcp_mux;
	if (caps->srtp != SDP_SRTP_OFF) {
		for (size_t i = 0; i < caps->nsuite && m->ncrypto < SDP_MAX_CRYPTO;
		     i++) {
			err = fresh_crypto(&m->cryptov[m->ncrypto],
					   (uint32_t)m->ncrypto + 1,
					   caps->suitev[i]);
			if (err)
				return err;
			m->ncrypto++;
		}
		if (!m->ncrypto)
			return EINVAL;
	}
	return 0;
}

static void build_image(struct sdp_media *m, const struct sdp_local *loc)
{
	memset(m, 0, sizeof(*m));
	m->type = SDP_MEDIA_IMAGE;
	strcpy(m->type_name, "image");
	m->port = loc->image_port;
	m->proto = SDP_PROTO_UDPTL;
	strcpy(m->proto_name, "udptl");
	strcpy(m->fmt_other, "t38");
	m->t38 = loc->caps->t38_params;
	m->dir = loc->dir;
	m->dir_set = loc->dir != SDP_DIR_SENDRECV;
}

int sdp_offer(struct sdp_session *offer, const struct sdp_local *loc,
	      unsigned streams, const struct sdp_session *prev)
{
	bool want_audio = streams & SDP_OFFER_AUDIO;
	bool want_image = streams & SDP_OFFER_IMAGE;
	int err;

	if (!offer)
		return EINVAL;
	memset(offer, 0, sizeof(*offer));
	if (!loc || !loc->caps || !loc->addr.set || !streams ||
	    (want_audio && !loc->audio_port) ||
	    (want_image && (!loc->image_port || !loc->caps->t38)) ||
	    (prev && prev->nmedia > SDP_MAX_MEDIA))
		return EINVAL;
	strcpy(offer->name, "-");
	offer->conn = loc->addr;

	/* RFC 3264 §8: keep every previous m= line in its place */
	for (size_t i = 0; prev && i < prev->nmedia; i++) {
		const struct sdp_media *pm = &prev->mediav[i];
		struct sdp_media *m = &offer->mediav[offer->nmedia++];

		if (pm->type == SDP_MEDIA_AUDIO && want_audio && is_rtp(pm)) {
			err = build_audio(m, loc);
			if (err)
				return err;
			want_audio = false;
		} else if (pm->type == SDP_MEDIA_IMAGE && want_image &&
			   pm->proto == SDP_PROTO_UDPTL) {
			build_image(m, loc);
			want_image = false;
		} else {
			media_reject(m, pm);
		}
	}
	if (want_audio) {
		if (offer->nmedia == SDP_MAX_MEDIA)
			return E2BIG;
		err = build_audio(&offer->mediav[offer->nmedia++], loc);
		if (err)
			return err;
	}
	if (want_image) {
		if (offer->nmedia == SDP_MAX_MEDIA)
			return E2BIG;
		build_image(&offer->mediav[offer->nmedia++], loc);
	}
	return 0;
}

static const struct sdp_fmt *offered_fmt(const struct sdp_media *om,
					 const struct sdp_fmt *af)
{
	for (size_t i = 0; i < om->nfmt; i++) {
		const struct sdp_fmt *of = &om->fmtv[i];
		if (af->name[0] && of->name[0]) {
			uint8_t c1 = af->channels ? af->channels : 1;
			uint8_t c2 = of->channels ? of->channels : 1;
			if (!strcasecmp(af->name, of->name) &&
			    af->clock == of->clock && c1 == c2)
				return of;
		} else if (af->pt == of->pt) {
			return of;
		}
	}
	return NULL;
}

static int apply_audio(struct sdp_neg_stream *ns, const struct sdp_local *loc,
		       const struct sdp_session *offer,
		       const struct sdp_media *om,
		       const struct sdp_session *answer,
		       const struct sdp_media *am, const struct sdp_conn *conn)
{
	const struct sdp_caps *caps = loc->caps;
	const struct sdp_fmt *chosen = NULL, *te = NULL;
	enum sdp_dir odir, adir;

	for (size_t i = 0; i < am->nfmt; i++) {
		const struct sdp_fmt *af = &am->fmtv[i];
		if (!offered_fmt(om, af))
			return EPROTO; /* not a subset of the offer */
		if (!chosen && !is_aux(af) && caps_codec(caps, af))
			chosen = af;
	}
	if (!chosen)
		return EPROTO;
	if (caps->dtmf) {
		for (size_t i = 0; i < am->nfmt; i++) {
			if (fmt_is(&am->fmtv[i], "telephone-event") &&
			    am->fmtv[i].clock == chosen->clock) {
				te = &am->fmtv[i];
				break;
			}
		}
	}

	/* SRTP: the answer's crypto must name one of our tags and suites */
	if (am->ncrypto) {
		const struct sdp_crypto *ac = &am->cryptov[0], *oc = NULL;
		for (size_t i = 0; i < om->ncrypto; i++) {
			if (om->cryptov[i].tag == ac->tag)
				oc = &om->cryptov[i];
		}
		if (!oc || oc->suite != ac->suite || ac->suite == SDP_SRTP_UNKNOWN)
			return EPROTO;
		ns->srtp = true;
		ns->suite = ac->suite;
		ns->crypto_tag = ac->tag;
		ns->key_len = ac->key_len;
		memcpy(ns->remote_key, ac->key, ac->key_len);
		memcpy(ns->local_key, oc->key, oc->key_len);
		ns->remote_mki = ac->mki;
		ns->remote_mki_len = ac->mki_len;
		ns->remote_lifetime = ac->lifetime;
	} else if (om->proto == SDP_PROTO_RTP_SAVP ||
		   caps->srtp == SDP_SRTP_MANDATORY) {
		return EPROTO;
	}

	odir = sdp_media_dir(offer, om);
	adir = sdp_media_dir(answer, am);
	if (adir & ~dir_swap(odir))
		return EPROTO; /* RFC 3264 §6.1 */
	ns->dir = odir & dir_swap(adir);
	if (conn_is_null(conn))
		ns->dir &= ~SDP_DIR_SENDONLY;
	ns->remote_hold = !(adir & SDP_DIR_RECVONLY) || conn_is_null(conn);

	ns->active = true;
	ns->raddr = *conn;
	ns->rport = am->port;
	ns->rtcp_mux = om->rtcp_mux && am->rtcp_mux;
	ns->rtcp_port = ns->rtcp_mux ? am->port :
			am->rtcp_port ? am->rtcp_port : (uint16_t)(am->port + 1);
	snprintf(ns->codec, sizeof(ns->codec), "%s", chosen->name);
	ns->clock = chosen->clock;
	ns->channels = chosen->channels ? chosen->channels : 1;
	ns->pt = chosen->pt;
	ns->dtmf_pt = te ? te->pt : -1;
	ns->ptime = am->ptime ? am->ptime : 20;
	return 0;
}

int sdp_apply_answer(struct sdp_neg *neg, const struct sdp_local *loc,
		     const struct sdp_session *offer,
		     const struct sdp_session *answer)
{
	bool any = false;
	int err;

	if (!neg)
		return EINVAL;
	memset(neg, 0, sizeof(*neg));
	if (!loc || !loc->caps || !offer || !answer)
		return EINVAL;
	neg->nstream = offer->nmedia;
	if (answer->nmedia != offer->nmedia) {
		neg->warn = 399;
		return EPROTO;
	}
	for (size_t i = 0; i < offer->nmedia; i++) {
		const struct sdp_media *om = &offer->mediav[i];
		const struct sdp_media *am = &answer->mediav[i];
		struct sdp_neg_stream *ns = &neg->streamv[i];
		const struct sdp_conn *conn = sdp_media_conn(answer, am);

		ns->type = om->type;
		ns->dtmf_pt = -1;
		if (am->type != om->type ||
		    strcasecmp(am->type_name, om->type_name) ||
		    am->proto != om->proto ||
		    (om->proto == SDP_PROTO_OTHER &&
		     strcasecmp(am->proto_name, om->proto_name))) {
			neg->warn = 302;
			return EPROTO;
		}
		if (!om->port || !am->port)
			continue;
		if (!conn || conn->af == AF_UNSPEC) {
			neg->warn = 301;
			return EPROTO;
		}
		if (om->type == SDP_MEDIA_AUDIO && is_rtp(om)) {
			err = apply_audio(ns, loc, offer, om, answer, am, conn);
			if (err) {
				memset(ns, 0, sizeof(*ns));
				ns->dtmf_pt = -1;
				neg->warn = 305;
				return err;
			}
		} else if (om->type == SDP_MEDIA_IMAGE &&
			   om->proto == SDP_PROTO_UDPTL) {
			enum sdp_dir odir = sdp_media_dir(offer, om);
			enum sdp_dir adir = sdp_media_dir(answer, am);
			if (adir & ~dir_swap(odir)) {
				neg->warn = 399;
				return EPROTO;
			}
			ns->active = true;
			ns->raddr = *conn;
			ns->rport = am->port;
			ns->dir = odir & dir_swap(adir);
			ns->remote_hold = !(adir & SDP_DIR_RECVONLY);
			ns->dtmf_pt = -1;
			ns->t38 = am->t38;
		} else {
			/* we never offer other media; a port is a protocol error */
			neg->warn = 304;
			return EPROTO;
		}
		any = true;
	}
	if (!any) {
		neg->warn = 304;
		return ENOTSUP;
	}
	return 0;
}

/* ---- origin -------------------------------------------------------------- */

int sdp_origin_init(struct sdp_origin *o, const char *user,
		    const struct sdp_conn *addr)
{
	uint64_t r;

	if (!o || !addr || !addr->set)
		return EINVAL;
	memset(o, 0, sizeof(*o));
	if (user && strlen(user) >= sizeof(o->user))
		return EINVAL;
	strcpy(o->user, user && *user ? user : "-");
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		return EIO;
	/* positive and below 2^62: some peers read the id as a signed int64 */
	snprintf(o->id, sizeof(o->id), "%llu",
		 (unsigned long long)(r >> 2) + 1);
	o->ver = 1;
	o->addr = *addr;
	return 0;
}

int sdp_origin_stamp(struct sdp_origin *o, struct sdp_session *s)
{
	const size_t sz = 64 * 1024;
	uint64_t h = 1469598103934665603ull;
	size_t len = 0;
	char *buf;

	if (!o || !s)
		return EINVAL;
	buf = malloc(sz);
	if (!buf)
		return ENOMEM;
	memcpy(s->o_user, o->user, sizeof(s->o_user));
	memcpy(s->o_id, o->id, sizeof(s->o_id));
	s->o_addr = o->addr;
	s->o_ver = 0;
	if (sdp_encode(s, buf, sz, &len) == 0) {
		for (size_t i = 0; i < len; i++) {
			h ^= (unsigned char)buf[i];
			h *= 1099511628211ull;
		}
	}
	free(buf);
	if (o->stamped && h != o->hash)
		o->ver++;
	o->stamped = true;
	o->hash = h;
	s->o_ver = o->ver;
	return 0;
}
