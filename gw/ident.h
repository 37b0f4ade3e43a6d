/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Caller identity across the gateway: the calling party (number,
 * presentation and screening, name) and the redirecting party (number,
 * reason, counter), between SIP headers and the PSTN's information
 * elements / parameters:
 *   From, P-Asserted-Identity and Privacy (RFC 3323, RFC 3325),
 *   Remote-Party-ID (the pre-standard form many PBXs still send),
 *   Diversion (RFC 5806) and History-Info (RFC 7044 with RFC 4458 cause
 *   URI parameters),
 * following RFC 3398 §7.2.1.1 / §8.1.1.1 and Q.1912.5 §6.1/§7.1.
 * Pure functions over parsed messages; no state.
 */
#ifndef GW_IDENT_H
#define GW_IDENT_H

#include <stdbool.h>
#include <stdint.h>

#include "gw/route.h"

struct sip_msg;
struct sip_buf;

/* Presentation indicator (Q.931 §4.5.10 / Q.763 §3.10). */
enum gw_pres {
	GW_PRES_ALLOWED = 0,
	GW_PRES_RESTRICTED = 1,
	GW_PRES_UNAVAILABLE = 2,
};

/* Screening indicator (Q.931 §4.5.10). */
enum gw_screen {
	GW_SCREEN_USER_NOT_SCREENED = 0,
	GW_SCREEN_USER_PASSED = 1,
	GW_SCREEN_USER_FAILED = 2,
	GW_SCREEN_NETWORK = 3,
};

/* Redirecting reasons (Q.931 §4.5.20 / Q.763 §3.45 values). */
enum gw_redir_reason {
	GW_REDIR_UNKNOWN = 0,
	GW_REDIR_BUSY = 1,
	GW_REDIR_NO_REPLY = 2,
	GW_REDIR_DEFLECTION = 3,     /* deflection during alerting */
	GW_REDIR_DEFLECTION_IMMEDIATE = 4,
	GW_REDIR_NOT_REACHABLE = 5,  /* mobile subscriber not reachable */
	GW_REDIR_OUT_OF_ORDER = 9,
	GW_REDIR_UNCONDITIONAL = 15,
};

#define GW_IDENT_NUM 32
#define GW_IDENT_NAME 64

struct gw_party {
	char num[GW_IDENT_NUM];      /* digits, may start with '+'; "" = none */
	enum gw_ton ton;
	enum gw_pres pres;
	enum gw_screen screen;
	char name[GW_IDENT_NAME];    /* display name, "" = none */
	bool name_restricted;
};

struct gw_redirect {
	char num[GW_IDENT_NUM];      /* "" = no redirection */
	enum gw_redir_reason reason;
	unsigned count;              /* redirections so far (Diversion counter) */
};

/* Per-trunk identity policy. */
struct gw_ident_policy {
	bool trust_pai;      /* accept P-Asserted-Identity / RPID from this peer
				(RFC 3325 trust domain) */
	bool send_pai;       /* send P-Asserted-Identity (and Privacy) */
	bool send_rpid;      /* also send Remote-Party-ID */
	bool send_diversion; /* redirecting number as Diversion (else
				History-Info) */
	const char *domain;  /* host part for URIs we make ("pstngw.invalid"
				when NULL) */
};

/*
 * SIP -> PSTN: the calling party and the redirecting party of an INVITE.
 * A trusted P-Asserted-Identity (then Remote-Party-ID) gives a
 * network-provided number (screening 3); otherwise the From user part is
 * taken as user-provided, not screened (0). Privacy: id / header / user
 * (or an anonymous From, or RPID privacy=full/uri) makes the presentation
 * restricted; no usable number makes it unavailable. Privacy "user" or
 * RPID privacy=name restrict the name only. The redirecting party comes
 * from the top Diversion header, else from History-Info. Returns 0, or
 * EINVAL when req is not a request with From.
 */
int gw_ident_from_sip(const struct sip_msg *req, const struct gw_ident_policy *pol,
		      struct gw_party *calling, struct gw_redirect *redir);

/*
 * PSTN -> SIP: append header lines (CRLF-terminated) for an INVITE:
 * From (anonymous per RFC 3323 §4.1.1.3 when restricted or unavailable,
 * with tag), P-Asserted-Identity + Privacy (policy), Remote-Party-ID
 * (policy) and Diversion or History-Info for a redirection (called is
 * the new target's number, for the History-Info entry that carries the
 * RFC 4458 cause). Returns the sip_buf error.
 */
int gw_ident_to_sip(struct sip_buf *hdrs, const struct gw_party *calling,
		    const struct gw_redirect *redir, const char *called,
		    const char *from_tag, const struct gw_ident_policy *pol);

/*
 * The connected party of a 2xx (P-Asserted-Identity, trusted peers only)
 * for the PSTN CONNECT. 0, or ENOENT when there is none.
 */
int gw_ident_connected_from_sip(const struct sip_msg *rsp,
				const struct gw_ident_policy *pol,
				struct gw_party *connected);

/* RFC 5806 reason token <-> redirecting reason. */
const char *gw_redir_reason_token(enum gw_redir_reason r);
enum gw_redir_reason gw_redir_reason_parse(const char *s, size_t n);

#endif
