/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP digest authentication: challenge/credential parsing (RFC 7235 §2.1
 * and §4.1 list grammar, RFC 3261 §25.1 quoted strings), request-digest
 * computation (RFC 2617 §3.2.2, RFC 7616 §3.4) with OpenSSL EVP, the UAC
 * answer to 401/407 (RFC 3261 §22.2-22.3) with stale handling, and a UAS
 * with stateless HMAC nonces, expiry and nonce-count replay checks
 * (RFC 7616 §3.3, §5.12).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "sip/auth.h"

static const char *const algo_names[] = {
	[SIP_AUTH_MD5] = "MD5",
	[SIP_AUTH_MD5_SESS] = "MD5-sess",
	[SIP_AUTH_SHA256] = "SHA-256",
	[SIP_AUTH_SHA256_SESS] = "SHA-256-sess",
};

const char *sip_auth_algo_name(enum sip_auth_algo algo)
{
	if ((unsigned)algo < SIP_AUTH_ALGO_UNKNOWN)
		return algo_names[algo];
	return "unknown";
}

static enum sip_auth_algo algo_parse(const char *s)
{
	for (unsigned i = 0; i < SIP_AUTH_ALGO_UNKNOWN; i++) {
		if (!strcasecmp(s, algo_names[i]))
			return (enum sip_auth_algo)i;
	}
	return SIP_AUTH_ALGO_UNKNOWN;
}

static const EVP_MD *algo_md(enum sip_auth_algo algo)
{
	switch (algo) {
	case SIP_AUTH_MD5:
	case SIP_AUTH_MD5_SESS:
		return EVP_md5();
	case SIP_AUTH_SHA256:
	case SIP_AUTH_SHA256_SESS:
		return EVP_sha256();
	default:
		return NULL;
	}
}

static bool algo_sess(enum sip_auth_algo algo)
{
	return algo == SIP_AUTH_MD5_SESS || algo == SIP_AUTH_SHA256_SESS;
}

/* ---- header value tokenizer ------------------------------------------ */

static bool is_tchar(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct cur {
	const char *p;
	const char *end;
};

static void skip_ws(struct cur *c)
{
	while (c->p < c->end && is_ws(*c->p))
		c->p++;
}

static bool read_token(struct cur *c, struct pl *tok)
{
	const char *s = c->p;

	while (c->p < c->end && is_tchar(*c->p))
		c->p++;
	tok->p = s;
	tok->l = (size_t)(c->p - s);
	return tok->l > 0;
}

/*
 * Value after '=': a quoted-string (inner text with escapes left in place,
 * *quoted set) or a run of characters up to whitespace or comma (a token,
 * or the tail of a token68).
 */
static int read_value(struct cur *c, struct pl *val, bool *quoted)
{
	if (c->p < c->end && *c->p == '"') {
		const char *s = ++c->p;
		while (c->p < c->end && *c->p != '"') {
			if (*c->p == '\\') {
				if (c->p + 1 >= c->end)
					return EBADMSG;
				c->p++;
			}
			c->p++;
		}
		if (c->p >= c->end)
			return EBADMSG;
		val->p = s;
		val->l = (size_t)(c->p - s);
		c->p++;
		*quoted = true;
		return 0;
	}
	const char *s = c->p;
	while (c->p < c->end && !is_ws(*c->p) && *c->p != ',')
		c->p++;
	val->p = s;
	val->l = (size_t)(c->p - s);
	*quoted = false;
	return 0;
}

enum item_kind { ITEM_SCHEME, ITEM_PARAM };

typedef int(item_h)(void *arg, enum item_kind kind, const struct pl *name,
		    const struct pl *val, bool quoted);

/*
 * Walk "scheme p=v, p=v, scheme p=v ..." calling h for every scheme and
 * parameter. A token not followed by '=' starts a new challenge.
 */
static int auth_walk(const struct pl *hval, item_h *h, void *arg)
{
	struct cur c = { hval->p, hval->p + hval->l };
	bool in_scheme = false;
	int err;

	if (!hval->p)
		return EBADMSG;
	for (;;) {
		struct pl name, val = PL_NULL;
		bool quoted = false;

		while (c.p < c.end && (is_ws(*c.p) || *c.p == ','))
			c.p++;
		if (c.p >= c.end)
			break;
		if (!read_token(&c, &name))
			return EBADMSG;
		struct cur save = c;
		skip_ws(&c);
		if (c.p < c.end && *c.p == '=' && in_scheme) {
			c.p++;
			skip_ws(&c);
			err = read_value(&c, &val, &quoted);
			if (err)
				return err;
			err = h(arg, ITEM_PARAM, &name, &val, quoted);
			if (err)
				return err;
			skip_ws(&c);
			if (c.p < c.end && *c.p != ',')
				return EBADMSG;
			continue;
		}
		c = save;
		/* a scheme must be followed by whitespace, a comma or the end */
		if (c.p < c.end && !is_ws(*c.p) && *c.p != ',')
			return EBADMSG;
		in_scheme = true;
		err = h(arg, ITEM_SCHEME, &name, NULL, false);
		if (err)
			return err;
		/* token68 form (e.g. Basic credentials): skip it */
		skip_ws(&c);
		struct cur look = c;
		struct pl t68;
		if (read_token(&look, &t68)) {
			const char *q = look.p;
			while (q < look.end && *q == '=')
				q++;
			const char *e = q;
			while (e < look.end && is_ws(*e))
				e++;
			if (q > look.p && (e == look.end || *e == ',')) {
				struct pl full = { t68.p, (size_t)(q - t68.p) };
				err = h(arg, ITEM_PARAM, &full, NULL, false);
				if (err)
					return err;
				c.p = q;
			}
		}
	}
	return 0;
}

/* Copy a parameter value, removing quoted-pair escapes. */
static int val_copy(const struct pl *v, bool quoted, char *dst, size_t sz)
{
	size_t o = 0;

	if (!v)
		return EBADMSG;
	for (size_t i = 0; i < v->l; i++) {
		char ch = v->p[i];
		if (quoted && ch == '\\' && i + 1 < v->l)
			ch = v->p[++i];
		if (ch == '\0')
			return EBADMSG;
		if (o + 1 >= sz)
			return EMSGSIZE;
		dst[o++] = ch;
	}
	dst[o] = '\0';
	return 0;
}

static unsigned qop_parse(const char *s, bool *unknown)
{
	unsigned mask = 0;
	const char *p = s;

	*unknown = false;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *b = p;
		while (*p && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		size_t n = (size_t)(p - b);
		if (!n)
			break;
		if (n == 4 && !strncasecmp(b, "auth", 4))
			mask |= SIP_AUTH_QOP_AUTH;
		else if (n == 8 && !strncasecmp(b, "auth-int", 8))
			mask |= SIP_AUTH_QOP_AUTH_INT;
		else
			*unknown = true;
	}
	return mask;
}

/* ---- challenge parsing ------------------------------------------------ */

struct chall_ctx {
	struct sip_auth_chall *v;
	size_t max;
	size_t n;
	struct sip_auth_chall cur;
	bool in_digest;
	bool has_nonce;
	bool has_realm;
};

static void chall_flush(struct chall_ctx *x)
{
	if (x->in_digest && x->has_nonce && x->has_realm && x->n < x->max)
		x->v[x->n++] = x->cur;
	x->in_digest = false;
}

static int chall_item(void *arg, enum item_kind kind, const struct pl *name,
		      const struct pl *val, bool quoted)
{
	struct chall_ctx *x = arg;
	char tmp[SIP_AUTH_VAL_MAX];
	int err;

	if (kind == ITEM_SCHEME) {
		chall_flush(x);
		if (!pl_strcasecmp(name, "Digest")) {
			memset(&x->cur, 0, sizeof(x->cur));
			x->cur.algo = SIP_AUTH_MD5;
			x->in_digest = true;
			x->has_nonce = x->has_realm = false;
		}
		return 0;
	}
	if (!x->in_digest)
		return 0;
	if (!val)
		return EBADMSG;
	if (!pl_strcasecmp(name, "realm")) {
		x->has_realm = true;
		return val_copy(val, quoted, x->cur.realm, sizeof(x->cur.realm));
	}
	if (!pl_strcasecmp(name, "nonce")) {
		x->has_nonce = true;
		return val_copy(val, quoted, x->cur.nonce, sizeof(x->cur.nonce));
	}
	if (!pl_strcasecmp(name, "opaque")) {
		x->cur.has_opaque = true;
		return val_copy(val, quoted, x->cur.opaque, sizeof(x->cur.opaque));
	}
	if (!pl_strcasecmp(name, "algorithm")) {
		err = val_copy(val, quoted, tmp, sizeof(tmp));
		if (err)
			return err;
		x->cur.algo = algo_parse(tmp);
		return 0;
	}
	if (!pl_strcasecmp(name, "qop")) {
		bool unknown;
		err = val_copy(val, quoted, tmp, sizeof(tmp));
		if (err)
			return err;
		x->cur.qop = qop_parse(tmp, &unknown);
		return 0;
	}
	if (!pl_strcasecmp(name, "stale")) {
		err = val_copy(val, quoted, tmp, sizeof(tmp));
		if (err)
			return err;
		x->cur.stale = !strcasecmp(tmp, "true");
		return 0;
	}
	return 0; /* domain, charset, userhash and unknown parameters */
}

int sip_auth_chall_parse(const struct pl *hval, struct sip_auth_chall *v,
			 size_t max, size_t *n)
{
	struct chall_ctx x;
	int err;

	if (!hval || !v || !n)
		return EINVAL;
	memset(&x, 0, sizeof(x));
	x.v = v;
	x.max = max;
	err = auth_walk(hval, chall_item, &x);
	if (err)
		return err;
	chall_flush(&x);
	*n = x.n;
	return 0;
}

/* ---- credentials parsing ---------------------------------------------- */

enum {
	CRED_USER = 1 << 0,
	CRED_REALM = 1 << 1,
	CRED_NONCE = 1 << 2,
	CRED_URI = 1 << 3,
	CRED_RESP = 1 << 4,
	CRED_CNONCE = 1 << 5,
	CRED_NC = 1 << 6,
	CRED_QOP = 1 << 7,
};

struct cred_ctx {
	struct sip_auth_cred *c;
	unsigned seen;
	unsigned schemes;
	bool digest;
	bool bad_qop;
};

static int hex_u32(const char *s, uint32_t *v)
{
	uint32_t x = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 8)
		return EBADMSG;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		unsigned d;
		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			d = (unsigned)(ch - 'A' + 10);
		else
			return EBADMSG;
		x = (x << 4) | d;
	}
	*v = x;
	return 0;
}

static int cred_item(void *arg, enum item_kind kind, const struct pl *name,
		     const struct pl *val, bool quoted)
{
	struct cred_ctx *x = arg;
	struct sip_auth_cred *c = x->c;
	char tmp[SIP_AUTH_VAL_MAX];
	int err;

	if (kind == ITEM_SCHEME) {
		/* one set of credentials per header value */
		if (++x->schemes > 1)
			return EBADMSG;
		x->digest = !pl_strcasecmp(name, "Digest");
		return x->digest ? 0 : EBADMSG;
	}
	if (!val)
		return EBADMSG;
	if (!pl_strcasecmp(name, "username")) {
		x->seen |= CRED_USER;
		return val_copy(val, quoted, c->username, sizeof(c->username));
	}
	if (!pl_strcasecmp(name, "realm")) {
		x->seen |= CRED_REALM;
		return val_copy(val, quoted, c->realm, sizeof(c->realm));
	}
	if (!pl_strcasecmp(name, "nonce")) {
		x->seen |= CRED_NONCE;
		return val_copy(val, quoted, c->nonce, sizeof(c->nonce));
	}
	if (!pl_strcasecmp(name, "uri")) {
		x->seen |= CRED_URI;
		return val_copy(val, quoted, c->uri, sizeof(c->uri));
	}
	if (!pl_strcasecmp(name, "response")) {
		x->seen |= CRED_RESP;
		return val_copy(val, quoted, c->response, sizeof(c->response));
	}
	if (!pl_strcasecmp(name, "cnonce")) {
		x->seen |= CRED_CNONCE;
		return val_copy(val, quoted, c->cnonce, sizeof(c->cnonce));
	}
	if (!pl_strcasecmp(name, "opaque")) {
		c->has_opaque = true;
		return val_copy(val, quoted, c->opaque, sizeof(c->opaque));
	}
	if (!pl_strcasecmp(name, "algorithm")) {
		err = val_copy(val, quoted, tmp, sizeof(tmp));
		if (err)
			return err;
		c->algo = algo_parse(tmp);
		return 0;
	}
	if (!pl_strcasecmp(name, "nc")) {
		err = val_copy(val, quoted, tmp, sizeof(tmp));
		if (err)
			return err;
		x->seen |= CRED_NC;
		return hex_u32(tmp, &c->nc);
	}
	if (!pl_strcasecmp(name, "qop")) {
		bool unknown;
		unsigned m;
		err = val_copy(val, quoted, tmp, sizeof(tmp));
		if (err)
			return err;
		m = qop_parse(tmp, &unknown);
		x->seen |= CRED_QOP;
		if (unknown || (m != SIP_AUTH_QOP_AUTH &&
				m != SIP_AUTH_QOP_AUTH_INT)) {
			x->bad_qop = true;
			return 0;
		}
		c->qop = (enum sip_auth_qop)m;
		return 0;
	}
	return 0;
}

int sip_auth_cred_parse(const struct pl *hval, struct sip_auth_cred *out)
{
	struct sip_auth_cred c;
	struct cred_ctx x;
	const unsigned need = CRED_USER | CRED_REALM | CRED_NONCE | CRED_URI |
			      CRED_RESP;
	int err;

	if (!hval || !out)
		return EINVAL;
	memset(&c, 0, sizeof(c));
	memset(&x, 0, sizeof(x));
	c.algo = SIP_AUTH_MD5;
	x.c = &c;
	err = auth_walk(hval, cred_item, &x);
	if (err)
		return err;
	if (!x.digest || (x.seen & need) != need)
		return EBADMSG;
	if (x.bad_qop)
		return ENOTSUP;
	if ((x.seen & CRED_QOP) &&
	    (x.seen & (CRED_CNONCE | CRED_NC)) != (CRED_CNONCE | CRED_NC))
		return EBADMSG;
	*out = c;
	return 0;
}

/* ---- digest computation ----------------------------------------------- */

static void to_hex(const unsigned char *b, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* H(p0 ":" p1 ":" ... ) as lowercase hex. */
static int hash_hex(const EVP_MD *md, const struct pl *parts, size_t n,
		    char *out, size_t sz)
{
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	EVP_MD_CTX *ctx;
	int err = EIO;

	if (sz < (size_t)EVP_MD_size(md) * 2 + 1)
		return ENOSPC;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return ENOMEM;
	if (!EVP_DigestInit_ex(ctx, md, NULL))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (i && !EVP_DigestUpdate(ctx, ":", 1))
			goto out;
		if (parts[i].l && !EVP_DigestUpdate(ctx, parts[i].p, parts[i].l))
			goto out;
	}
	if (!EVP_DigestFinal_ex(ctx, dig, &dl))
		goto out;
	to_hex(dig, dl, out);
	err = 0;
out:
	EVP_MD_CTX_free(ctx);
	return err;
}

int sip_auth_ha1(enum sip_auth_algo algo, const char *user, const char *realm,
		 const char *password, char *out, size_t sz)
{
	const EVP_MD *md = algo_md(algo);

	if (!md || !user || !realm || !password || !out)
		return EINVAL;
	struct pl parts[3] = { pl_from_str(user), pl_from_str(realm),
			       pl_from_str(password) };
	return hash_hex(md, parts, 3, out, sz);
}

static const char *qop_name(enum sip_auth_qop q)
{
	return q == SIP_AUTH_QOP_AUTH_INT ? "auth-int" : "auth";
}

int sip_auth_digest(const struct sip_auth_digest_in *in, char *out, size_t sz)
{
	char ha1[SIP_AUTH_HEX_MAX], ha2[SIP_AUTH_HEX_MAX], hb[SIP_AUTH_HEX_MAX];
	const EVP_MD *md;
	char ncs[9];
	int err;

	if (!in || !out)
		return EINVAL;
	md = algo_md(in->algo);
	if (!md || !in->nonce || !in->method.p || !in->uri.p)
		return EINVAL;
	if ((in->qop != SIP_AUTH_QOP_NONE || algo_sess(in->algo)) && !in->cnonce)
		return EINVAL;
	if (in->qop != SIP_AUTH_QOP_NONE && in->qop != SIP_AUTH_QOP_AUTH &&
	    in->qop != SIP_AUTH_QOP_AUTH_INT)
		return EINVAL;

	if (in->ha1) {
		if (strlen(in->ha1) != (size_t)EVP_MD_size(md) * 2)
			return EINVAL;
		memcpy(ha1, in->ha1, strlen(in->ha1) + 1);
		for (char *p = ha1; *p; p++) {
			if (*p >= 'A' && *p <= 'F')
				*p = (char)(*p + 32);
		}
	} else {
		if (!in->username || !in->realm || !in->password)
			return EINVAL;
		err = sip_auth_ha1(in->algo, in->username, in->realm,
				   in->password, ha1, sizeof(ha1));
		if (err)
			return err;
	}
	if (algo_sess(in->algo)) {
		struct pl parts[3] = { pl_from_str(ha1), pl_from_str(in->nonce),
				       pl_from_str(in->cnonce) };
		err = hash_hex(md, parts, 3, ha1, sizeof(ha1));
		if (err)
			return err;
	}

	if (in->qop == SIP_AUTH_QOP_AUTH_INT) {
		struct pl body = in->body.p ? in->body : PL("");
		err = hash_hex(md, &body, 1, hb, sizeof(hb));
		if (err)
			return err;
		struct pl parts[3] = { in->method, in->uri, pl_from_str(hb) };
		err = hash_hex(md, parts, 3, ha2, sizeof(ha2));
	} else {
		struct pl parts[2] = { in->method, in->uri };
		err = hash_hex(md, parts, 2, ha2, sizeof(ha2));
	}
	if (err)
		return err;

	if (in->qop == SIP_AUTH_QOP_NONE) {
		struct pl parts[3] = { pl_from_str(ha1), pl_from_str(in->nonce),
				       pl_from_str(ha2) };
		return hash_hex(md, parts, 3, out, sz);
	}
	snprintf(ncs, sizeof(ncs), "%08x", in->nc);
	struct pl parts[6] = { pl_from_str(ha1), pl_from_str(in->nonce),
			       pl_from_str(ncs), pl_from_str(in->cnonce),
			       pl_from_str(qop_name(in->qop)), pl_from_str(ha2) };
	return hash_hex(md, parts, 6, out, sz);
}

/* ---- output helpers ---------------------------------------------------- */

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

/* name="value" with '"' and '\' escaped. */
static void ob_quoted(struct obuf *b, const char *name, const char *val)
{
	ob_printf(b, "%s=\"", name);
	for (const char *p = val; *p && !b->err; p++) {
		if (*p == '"' || *p == '\\')
			ob_printf(b, "\\%c", *p);
		else
			ob_printf(b, "%c", *p);
	}
	ob_printf(b, "\"");
}

/* ---- client ------------------------------------------------------------ */

static int copy_str(char *dst, size_t sz, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n >= sz)
		return EMSGSIZE;
	if (n)
		memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

int sip_auth_client_init(struct sip_auth_client *c, const char *user,
			 const char *password, const char *realm)
{
	int err;

	if (!c || !user || !password)
		return EINVAL;
	memset(c, 0, sizeof(*c));
	err = copy_str(c->user, sizeof(c->user), user);
	if (!err)
		err = copy_str(c->password, sizeof(c->password), password);
	if (!err)
		err = copy_str(c->realm, sizeof(c->realm), realm);
	return err;
}

static int algo_rank(enum sip_auth_algo a)
{
	switch (a) {
	case SIP_AUTH_SHA256:
		return 4;
	case SIP_AUTH_SHA256_SESS:
		return 3;
	case SIP_AUTH_MD5:
		return 2;
	case SIP_AUTH_MD5_SESS:
		return 1;
	default:
		return 0;
	}
}

static enum sip_auth_qop pick_qop(unsigned mask)
{
	if (mask & SIP_AUTH_QOP_AUTH)
		return SIP_AUTH_QOP_AUTH;
	if (mask & SIP_AUTH_QOP_AUTH_INT)
		return SIP_AUTH_QOP_AUTH_INT;
	return SIP_AUTH_QOP_NONE;
}

static int client_write(struct sip_auth_client *c, const struct pl *method,
			const struct pl *uri, const struct pl *body, char *out,
			size_t sz)
{
	const struct sip_auth_chall *ch = &c->chall;
	struct sip_auth_digest_in in;
	char resp[SIP_AUTH_HEX_MAX], cnonce[17], uristr[SIP_AUTH_VAL_MAX];
	unsigned char rnd[8];
	struct obuf b = { out, sz, 0, 0 };
	enum sip_auth_qop qop = pick_qop(ch->qop);
	int err;

	if (!method || !uri || !out || !sz)
		return EINVAL;
	err = pl_strcpy(uri, uristr, sizeof(uristr));
	if (err)
		return EMSGSIZE;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return EIO;
	to_hex(rnd, sizeof(rnd), cnonce);

	memset(&in, 0, sizeof(in));
	in.algo = ch->algo;
	in.qop = qop;
	in.username = c->user;
	in.realm = ch->realm;
	in.password = c->password;
	in.nonce = ch->nonce;
	in.cnonce = cnonce;
	in.nc = c->nc;
	in.method = *method;
	in.uri = *uri;
	in.body = body ? *body : PL_NULL;
	err = sip_auth_digest(&in, resp, sizeof(resp));
	if (err)
		return err;

	ob_printf(&b, "Digest ");
	ob_quoted(&b, "username", c->user);
	ob_printf(&b, ", ");
	ob_quoted(&b, "realm", ch->realm);
	ob_printf(&b, ", ");
	ob_quoted(&b, "nonce", ch->nonce);
	ob_printf(&b, ", ");
	ob_quoted(&b, "uri", uristr);
	ob_printf(&b, ", response=\"%s\", algorithm=%s", resp,
		  sip_auth_algo_name(ch->algo));
	if (qop != SIP_AUTH_QOP_NONE || algo_sess(ch->algo)) {
		ob_printf(&b, ", cnonce=\"%s\"", cnonce);
	}
	if (ch->has_opaque) {
		ob_printf(&b, ", ");
		ob_quoted(&b, "opaque", ch->opaque);
	}
	if (qop != SIP_AUTH_QOP_NONE)
		ob_printf(&b, ", qop=%s, nc=%08x", qop_name(qop), c->nc);
	return b.err;
}

int sip_auth_client_respond(struct sip_auth_client *c, const struct pl *hvals,
			    size_t nhvals, const struct pl *method,
			    const struct pl *uri, const struct pl *body,
			    char *out, size_t sz)
{
	struct sip_auth_chall v[4];
	struct sip_auth_chall best;
	int best_rank = -1;
	bool any = false;
	int err;

	if (!c || (!hvals && nhvals) || !method || !uri || !out)
		return EINVAL;
	for (size_t i = 0; i < nhvals; i++) {
		size_t n = 0;
		err = sip_auth_chall_parse(&hvals[i], v, 4, &n);
		if (err)
			continue; /* one broken header does not spoil the others */
		for (size_t k = 0; k < n; k++) {
			any = true;
			if (c->realm[0] && strcmp(c->realm, v[k].realm))
				continue;
			int r = algo_rank(v[k].algo);
			if (!r)
				continue;
			/* qop=auth beats auth-int beats RFC 2069 style */
			r = r * 4 + (v[k].qop & SIP_AUTH_QOP_AUTH ? 2 :
				     v[k].qop ? 1 : 0);
			if (r > best_rank) {
				best_rank = r;
				best = v[k];
			}
		}
	}
	if (best_rank < 0)
		return any ? ENOENT : EBADMSG;

	if (c->answered && !strcmp(c->chall.realm, best.realm)) {
		if (!best.stale || ++c->stale_count > SIP_AUTH_MAX_STALE) {
			c->answered = false;
			c->stale_count = 0;
			return EACCES;
		}
	} else {
		c->stale_count = 0;
	}
	if (strcmp(c->chall.nonce, best.nonce))
		c->nc = 0;
	c->chall = best;
	c->nc++;
	err = client_write(c, method, uri, body, out, sz);
	if (err)
		return err;
	c->answered = true;
	return 0;
}

int sip_auth_client_reuse(struct sip_auth_client *c, const struct pl *method,
			  const struct pl *uri, const struct pl *body,
			  char *out, size_t sz)
{
	if (!c)
		return EINVAL;
	if (!c->chall.nonce[0])
		return ENOENT;
	c->nc++;
	return client_write(c, method, uri, body, out, sz);
}

void sip_auth_client_accepted(struct sip_auth_client *c)
{
	if (!c)
		return;
	c->answered = false;
	c->stale_count = 0;
}

/* ---- server ------------------------------------------------------------ */

/* nonce = hex( ts[8] || rnd[8] || HMAC-SHA-256(secret, ts||rnd||realm)[16] ) */
#define NONCE_RAW 32
#define NONCE_HEX (NONCE_RAW * 2)
/* nonces stamped this far in the future are not ours */
#define NONCE_SKEW 60

int sip_auth_server_init(struct sip_auth_server *s, const char *realm,
			 uint32_t ttl, unsigned algos, unsigned qop,
			 const uint8_t *secret)
{
	int err;

	if (!s || !realm || !ttl || !algos ||
	    (algos & ~((1u << SIP_AUTH_ALGO_UNKNOWN) - 1)) ||
	    (qop & ~(unsigned)(SIP_AUTH_QOP_AUTH | SIP_AUTH_QOP_AUTH_INT)))
		return EINVAL;
	memset(s, 0, sizeof(*s));
	err = copy_str(s->realm, sizeof(s->realm), realm);
	if (err)
		return err;
	if (secret)
		memcpy(s->secret, secret, sizeof(s->secret));
	else if (RAND_bytes(s->secret, sizeof(s->secret)) != 1)
		return EIO;
	s->ttl = ttl;
	s->algos = algos;
	s->qop = qop;
	return 0;
}

static int nonce_mac(const struct sip_auth_server *s, const uint8_t *tsrnd,
		     uint8_t *mac16)
{
	unsigned char buf[16 + SIP_AUTH_VAL_MAX];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int ml = 0;
	size_t rl = strlen(s->realm);

	memcpy(buf, tsrnd, 16);
	memcpy(buf + 16, s->realm, rl);
	if (!HMAC(EVP_sha256(), s->secret, sizeof(s->secret), buf, 16 + rl, md,
		  &ml) || ml < 16)
		return EIO;
	memcpy(mac16, md, 16);
	return 0;
}

int sip_auth_server_challenge(struct sip_auth_server *s, uint64_t now,
			      enum sip_auth_algo algo, bool stale, char *out,
			      size_t sz)
{
	uint8_t raw[NONCE_RAW];
	char nonce[NONCE_HEX + 1];
	struct obuf b = { out, sz, 0, 0 };
	struct sip_auth_nc_slot *slot;
	int err;

	if (!s || !out || !sz || (unsigned)algo >= SIP_AUTH_ALGO_UNKNOWN ||
	    !(s->algos & (1u << algo)))
		return EINVAL;
	for (int i = 0; i < 8; i++)
		raw[i] = (uint8_t)(now >> (56 - 8 * i));
	if (RAND_bytes(raw + 8, 8) != 1)
		return EIO;
	err = nonce_mac(s, raw, raw + 16);
	if (err)
		return err;
	to_hex(raw, sizeof(raw), nonce);

	ob_printf(&b, "Digest ");
	ob_quoted(&b, "realm", s->realm);
	ob_printf(&b, ", nonce=\"%s\", algorithm=%s", nonce,
		  sip_auth_algo_name(algo));
	if (s->qop == SIP_AUTH_QOP_AUTH)
		ob_printf(&b, ", qop=\"auth\"");
	else if (s->qop == SIP_AUTH_QOP_AUTH_INT)
		ob_printf(&b, ", qop=\"auth-int\"");
	else if (s->qop)
		ob_printf(&b, ", qop=\"auth,auth-int\"");
	if (stale)
		ob_printf(&b, ", stale=true");
	if (b.err)
		return b.err;

	/* remember the nonce for nc tracking; the oldest slot is reused */
	slot = &s->slots[s->next_slot];
	s->next_slot = (s->next_slot + 1) % SIP_AUTH_NC_SLOTS;
	memcpy(slot->id, raw + 16, 16);
	slot->nc = 0;
	slot->issued = now;
	slot->used = true;
	return 0;
}

static int unhex(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != n * 2)
		return EINVAL;
	for (size_t i = 0; i < n; i++) {
		uint32_t v;
		char two[3] = { s[2 * i], s[2 * i + 1], 0 };
		if (hex_u32(two, &v))
			return EINVAL;
		out[i] = (uint8_t)v;
	}
	return 0;
}

int sip_auth_server_verify(struct sip_auth_server *s,
			   const struct sip_auth_cred *c,
			   const struct pl *method, const struct pl *uri,
			   const struct pl *body, const char *password,
			   const char *ha1, uint64_t now)
{
	uint8_t raw[NONCE_RAW], mac[16];
	char expect[SIP_AUTH_HEX_MAX], got[SIP_AUTH_HEX_MAX];
	struct sip_auth_nc_slot *slot = NULL;
	struct sip_auth_digest_in in;
	uint64_t ts = 0;
	size_t el;
	int err;

	if (!s || !c || !method || (!password == !ha1))
		return EINVAL;
	if ((unsigned)c->algo >= SIP_AUTH_ALGO_UNKNOWN ||
	    !(s->algos & (1u << c->algo)))
		return EACCES;
	if (strcmp(c->realm, s->realm))
		return EACCES;
	if (uri && uri->p && pl_strcmp(uri, c->uri))
		return EACCES;
	/* a server offering qop does not accept RFC 2069 responses */
	if (s->qop && !(s->qop & (unsigned)c->qop))
		return EACCES;

	if (unhex(c->nonce, raw, sizeof(raw)))
		return EACCES;
	if (nonce_mac(s, raw, mac))
		return EIO;
	if (CRYPTO_memcmp(mac, raw + 16, 16))
		return EACCES;
	for (int i = 0; i < 8; i++)
		ts = (ts << 8) | raw[i];
	if (ts > now + NONCE_SKEW)
		return EACCES;

	memset(&in, 0, sizeof(in));
	in.algo = c->algo;
	in.qop = c->qop;
	in.username = c->username;
	in.realm = c->realm;
	in.password = password;
	in.ha1 = ha1;
	in.nonce = c->nonce;
	in.cnonce = c->cnonce[0] ? c->cnonce : NULL;
	in.nc = c->nc;
	in.method = *method;
	in.uri = pl_from_str(c->uri);
	in.body = body ? *body : PL_NULL;
	err = sip_auth_digest(&in, expect, sizeof(expect));
	if (err)
		return err == EINVAL ? EACCES : err;
	el = strlen(expect);
	if (strlen(c->response) != el)
		return EACCES;
	for (size_t i = 0; i <= el; i++) {
		char ch = c->response[i];
		got[i] = (ch >= 'A' && ch <= 'F') ? (char)(ch + 32) : ch;
	}
	if (CRYPTO_memcmp(expect, got, el))
		return EACCES;

	/* the response is right: now freshness and replay */
	if (now > ts + s->ttl)
		return ETIMEDOUT;
	if (c->qop == SIP_AUTH_QOP_NONE)
		return 0;
	for (unsigned i = 0; i < SIP_AUTH_NC_SLOTS; i++) {
		if (s->slots[i].used && !memcmp(s->slots[i].id, mac, 16)) {
			slot = &s->slots[i];
			break;
		}
	}
	if (!slot)
		return ETIMEDOUT; /* forgotten (evicted or restarted) */
	if (c->nc <= slot->nc)
		return EALREADY;
	slot->nc = c->nc;
	return 0;
}
