/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP digest authentication (RFC 2617, RFC 7616, RFC 3261 §22 and §25.1
 * grammar): parsing of WWW-/Proxy-Authenticate challenges and
 * Authorization/Proxy-Authorization credentials, response computation for
 * MD5, MD5-sess, SHA-256 and SHA-256-sess with qop auth, auth-int or no qop
 * (hashes via OpenSSL EVP), a client that answers 401/407 challenges, and a
 * server with stateless self-verifying nonces (HMAC-SHA-256 over a
 * timestamp), expiry with stale=true and bounded nonce-count replay tracking.
 */
#ifndef SIP_AUTH_H
#define SIP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/pl.h"

enum sip_auth_algo {
	SIP_AUTH_MD5 = 0,
	SIP_AUTH_MD5_SESS,
	SIP_AUTH_SHA256,
	SIP_AUTH_SHA256_SESS,
	SIP_AUTH_ALGO_UNKNOWN,
};

/* qop values; a challenge carries a mask of them, credentials exactly one. */
enum sip_auth_qop {
	SIP_AUTH_QOP_NONE = 0,
	SIP_AUTH_QOP_AUTH = 1,
	SIP_AUTH_QOP_AUTH_INT = 2,
};

/* Longest parameter value (after unescaping) kept; longer ones are EMSGSIZE. */
#define SIP_AUTH_VAL_MAX 256
/* Hex digest length for SHA-256 plus NUL. */
#define SIP_AUTH_HEX_MAX 65

/*
 * One Digest challenge. Values are unescaped, NUL-terminated copies, so a
 * challenge outlives the message it was parsed from.
 */
struct sip_auth_chall {
	enum sip_auth_algo algo;  /* SIP_AUTH_MD5 when the parameter is absent */
	unsigned qop;             /* mask of SIP_AUTH_QOP_*; 0 = no qop param */
	bool stale;
	bool has_opaque;
	char realm[SIP_AUTH_VAL_MAX];
	char nonce[SIP_AUTH_VAL_MAX];
	char opaque[SIP_AUTH_VAL_MAX];
};

/* Digest credentials from an Authorization / Proxy-Authorization value. */
struct sip_auth_cred {
	enum sip_auth_algo algo;
	enum sip_auth_qop qop;
	uint32_t nc;              /* valid when qop != NONE */
	bool has_opaque;
	char username[SIP_AUTH_VAL_MAX];
	char realm[SIP_AUTH_VAL_MAX];
	char nonce[SIP_AUTH_VAL_MAX];
	char uri[SIP_AUTH_VAL_MAX];
	char response[SIP_AUTH_HEX_MAX];
	char cnonce[SIP_AUTH_VAL_MAX];
	char opaque[SIP_AUTH_VAL_MAX];
};

const char *sip_auth_algo_name(enum sip_auth_algo algo);

/*
 * Parse the Digest challenges in one header value (several challenges may
 * be comma-separated, RFC 7235 §4.1; other schemes such as Basic are
 * skipped). Up to max challenges are stored in v and *n is set to how many.
 * Unknown parameters are ignored. Returns 0 (also when no Digest challenge
 * was found: *n = 0), EBADMSG on a syntax error, EMSGSIZE when a value is
 * longer than SIP_AUTH_VAL_MAX.
 */
int sip_auth_chall_parse(const struct pl *hval, struct sip_auth_chall *v,
			 size_t max, size_t *n);

/*
 * Parse Digest credentials. Returns 0, EBADMSG (syntax, not Digest, a
 * required parameter missing: username, realm, nonce, uri, response; and
 * cnonce + nc when qop is present), EMSGSIZE, or ENOTSUP for an unknown
 * qop value.
 */
int sip_auth_cred_parse(const struct pl *hval, struct sip_auth_cred *c);

/* Inputs for one digest response computation. */
struct sip_auth_digest_in {
	enum sip_auth_algo algo;
	enum sip_auth_qop qop;
	const char *username;
	const char *realm;
	const char *password;   /* or NULL when ha1 is given */
	const char *ha1;        /* hex H(user:realm:password), or NULL */
	const char *nonce;
	const char *cnonce;     /* required with qop or -sess */
	uint32_t nc;
	struct pl method;
	struct pl uri;
	struct pl body;         /* entity body, for auth-int (may be empty) */
};

/*
 * Compute H(A1) as lowercase hex for algo (the non-sess form, as stored in
 * a user database). out must hold SIP_AUTH_HEX_MAX. 0, EINVAL, ENOSPC.
 */
int sip_auth_ha1(enum sip_auth_algo algo, const char *user, const char *realm,
		 const char *password, char *out, size_t sz);

/*
 * Compute the request-digest (RFC 7616 §3.4.1) as lowercase hex into out
 * (SIP_AUTH_HEX_MAX bytes). Returns 0, EINVAL (missing input, unknown
 * algorithm) or ENOSPC.
 */
int sip_auth_digest(const struct sip_auth_digest_in *in, char *out, size_t sz);

/* ---- client (UAC) ---------------------------------------------------- */

/* Consecutive stale=true retries accepted before giving up. */
#define SIP_AUTH_MAX_STALE 3

/*
 * Per-request-sequence client state (one per registration or dialog).
 * Owns copies of the credentials. No heap memory: may be embedded.
 */
struct sip_auth_client {
	char user[SIP_AUTH_VAL_MAX];
	char password[SIP_AUTH_VAL_MAX];
	char realm[SIP_AUTH_VAL_MAX]; /* empty: answer any realm */
	/* state of the last challenge answered */
	struct sip_auth_chall chall;
	bool answered;            /* credentials sent for chall, no result yet */
	unsigned stale_count;
	uint32_t nc;
};

/*
 * Set up a client. realm NULL or "" accepts any realm. Returns 0, EINVAL
 * or EMSGSIZE.
 */
int sip_auth_client_init(struct sip_auth_client *c, const char *user,
			 const char *password, const char *realm);

/*
 * Answer a 401/407. hvals are the values of every WWW-Authenticate (or
 * Proxy-Authenticate) header of the response. The challenge chosen is the
 * strongest Digest one whose realm matches and whose algorithm is known
 * (SHA-256 is preferred over MD5; qop auth over auth-int over none). The
 * header value for Authorization/Proxy-Authorization is written to out.
 *
 * Loop protection: if the previous call already answered a challenge for
 * the same realm and the new challenge is not stale=true, the credentials
 * were refused: EACCES, nothing is written. stale=true is retried up to
 * SIP_AUTH_MAX_STALE times in a row (then EACCES). Other errors: EBADMSG
 * (no usable challenge, bad syntax), ENOENT (no challenge for our realm
 * or only unknown algorithms), ENOSPC (out too small), EMSGSIZE (uri
 * longer than SIP_AUTH_VAL_MAX), EIO (random generator or hash failed).
 */
int sip_auth_client_respond(struct sip_auth_client *c, const struct pl *hvals,
			    size_t nhvals, const struct pl *method,
			    const struct pl *uri, const struct pl *body,
			    char *out, size_t sz);

/*
 * Credentials for a further request with the nonce already known
 * (preemptive, nc incremented). ENOENT when no challenge was answered.
 */
int sip_auth_client_reuse(struct sip_auth_client *c, const struct pl *method,
			  const struct pl *uri, const struct pl *body,
			  char *out, size_t sz);

/* The request was accepted (non-401/407 final): reset the loop guard. */
void sip_auth_client_accepted(struct sip_auth_client *c);

/* ---- server (UAS) ---------------------------------------------------- */

/* Nonces remembered for nonce-count replay detection. */
#define SIP_AUTH_NC_SLOTS 256

struct sip_auth_nc_slot {
	uint8_t id[16];           /* the nonce's MAC part */
	uint32_t nc;              /* highest nc seen */
	uint64_t issued;          /* seconds, for eviction */
	bool used;
};

/*
 * Server state: secret, realm, policy, replay table. One per realm, owned
 * by the control thread. No heap memory.
 */
struct sip_auth_server {
	uint8_t secret[32];
	char realm[SIP_AUTH_VAL_MAX];
	uint32_t ttl;             /* nonce lifetime, seconds */
	unsigned algos;           /* accepted algorithms: mask of 1u << algo */
	unsigned qop;             /* advertised qop mask (0 = RFC 2069 style) */
	struct sip_auth_nc_slot slots[SIP_AUTH_NC_SLOTS];
	unsigned next_slot;
};

/*
 * Initialise with a random secret (secret NULL) or a given 32-byte secret
 * (for several processes sharing nonces). algos is a mask of
 * (1u << enum sip_auth_algo) the server accepts; qop the mask it offers
 * (with a qop offered, credentials without qop are refused). Returns 0,
 * EINVAL, EMSGSIZE or EIO (random generator).
 */
int sip_auth_server_init(struct sip_auth_server *s, const char *realm,
			 uint32_t ttl, unsigned algos, unsigned qop,
			 const uint8_t *secret);

/*
 * Write one challenge header value ("Digest realm=..., nonce=..., ...")
 * for algorithm algo with a fresh nonce for time now (seconds); a server
 * offering SHA-256 and MD5 sends one header for each, SHA-256 first
 * (RFC 7616 §3.7). stale adds stale=true. Returns 0, EINVAL (algo not
 * accepted), ENOSPC or EIO.
 */
int sip_auth_server_challenge(struct sip_auth_server *s, uint64_t now,
			      enum sip_auth_algo algo, bool stale, char *out,
			      size_t sz);

/*
 * Verify credentials for a request. Exactly one of password / ha1 (hex
 * H(user:realm:password) for the credentials' algorithm) is given. uri,
 * when set, must equal the credentials' uri. Returns:
 *   0          accepted
 *   EACCES     wrong response, realm, algorithm, uri or nonce not ours
 *   ETIMEDOUT  nonce valid but expired, or forgotten: challenge again with
 *              stale=true
 *   EALREADY   nonce-count replayed (nc not above the last one seen)
 *   EINVAL     bad arguments
 *   EIO/ENOMEM the hash could not be computed
 * Only a verified response updates the nonce-count record.
 */
int sip_auth_server_verify(struct sip_auth_server *s,
			   const struct sip_auth_cred *c,
			   const struct pl *method, const struct pl *uri,
			   const struct pl *body, const char *password,
			   const char *ha1, uint64_t now);

#endif
