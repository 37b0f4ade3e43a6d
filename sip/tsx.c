/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP transactions (RFC 3261 §17): the four state machines with timers
 * A-K, RFC 6026 Accepted state (Timers L, M), response matching (§17.1.3),
 * request matching (§17.2.3 and the RFC 2543 fallback), CANCEL (§9.2),
 * ACK for non-2xx (§17.1.1.3), merged requests (§8.2.2.2), 2xx
 * retransmission until ACK (§13.3.1.4) and transport errors (§17.1.4).
 *
 * Every live transaction sits in one hash table keyed by its matching
 * key; server transactions for requests without a To tag also sit in a
 * second table keyed for merge detection. Timers are entries of one
 * binary heap driven by a single uv_timer (or by a manual clock).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "base/log.h"
#include "sip/msg.h"
#include "sip/tsx.h"

#define MOD "tsx"
#define KEY_MAX 512
#define COOKIE "z9hG4bK"

/* Buckets of the stream-connection index (connection failures). */
#define CTAB_SIZE 1024

/* Internal kind beyond the public four: the UAS core's 2xx retransmitter. */
#define TSX_2XX 4

enum { TM_RETX = 0, TM_END = 1 };

struct tmr {
	uint64_t due;
	uint32_t idx; /* heap index + 1; 0 = not armed */
	struct sip_tsx *tsx;
};

struct sip_tsx {
	struct sip_tsxl *tl;
	struct sip_tsx *hnext; /* key hash chain */
	struct sip_tsx *mnext; /* merge hash chain */
	struct sip_tsx *cnext, *cprev; /* connection index chain */
	uint64_t cconn;        /* conn id it is indexed under, 0 = none */
	bool linked;           /* in the tables (tsx_link done) */
	uint32_t hash, mhash;
	int type;              /* enum sip_tsx_type or TSX_2XX */
	enum sip_tsx_state state;
	bool reliable;
	bool attached;         /* TU handlers may be called */
	bool final_sent;       /* server: TU sent a final response */
	bool got_prov;         /* ICT: a 1xx arrived */
	bool cancel_pending;   /* ICT: CANCEL waits for a 1xx */
	bool cancel_sent;
	bool in_merge;
	uint16_t status;
	uint32_t interval;
	struct sip_tp_addr dst;
	struct sip_tp_addr src;
	struct tmr tm[2];

	char *key;             /* matching key (own allocation) */
	uint16_t keylen;
	char *mkey;
	uint16_t mkeylen;
	char *req;             /* client: request; server: saved request */
	size_t reqlen;
	char *out;             /* last response sent (server) / ACK (ICT) */
	size_t outlen;
	char *cancel_reason;

	sip_tsx_resp_h *resph;
	sip_tsx_cancel_h *cancelh;
	sip_tsx_term_h *termh;
	void *arg;
	void *user;
	struct pl branch;      /* into key */
	struct pl method;      /* into key */
};

struct sip_tsxl {
	uv_loop_t *loop;
	uv_timer_t timer;
	bool timer_on;
	uint64_t armed_due;
	uint64_t now;          /* manual clock */
	struct sip_tsx_cfg cfg;
	sip_tsx_send_h *sendh;
	void *arg;
	sip_tsx_ack_timeout_h *ackh;
	void *ackarg;

	struct sip_tsx **tab;  /* key hash */
	struct sip_tsx **mtab; /* merge hash */
	uint32_t mask;
	struct sip_tsx *ctab[CTAB_SIZE]; /* by stream connection id */

	struct tmr **heap;
	uint32_t nheap, heapsz;

	struct sip_tsxl_stats st;
	bool freeing;
};

static const char *const type_names[] = { "ICT", "NICT", "IST", "NIST",
					  "2XX" };
static const char *const state_names[] = {
	"Calling",   "Trying",   "Proceeding", "Completed",
	"Confirmed", "Accepted", "Terminated",
};

const char *sip_tsx_type_name(enum sip_tsx_type t)
{
	return (unsigned)t <= TSX_2XX ? type_names[t] : "?";
}

const char *sip_tsx_state_name(enum sip_tsx_state s)
{
	return (unsigned)s <= SIP_TSX_TERMINATED ? state_names[s] : "?";
}

/* ---- clock and timer heap ---- */

static uint64_t now_ms(const struct sip_tsxl *tl)
{
	return tl->loop ? uv_now(tl->loop) : tl->now;
}

uint64_t sip_tsxl_now(const struct sip_tsxl *tl)
{
	return now_ms(tl);
}

static void heap_swap(struct sip_tsxl *tl, uint32_t a, uint32_t b)
{
	struct tmr *t = tl->heap[a];
	tl->heap[a] = tl->heap[b];
	tl->heap[b] = t;
	tl->heap[a]->idx = a + 1;
	tl->heap[b]->idx = b + 1;
}

static void heap_up(struct sip_tsxl *tl, uint32_t i)
{
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (tl->heap[p]->due <= tl->heap[i]->due)
			break;
		heap_swap(tl, p, i);
		i = p;
	}
}

static void heap_down(struct sip_tsxl *tl, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < tl->nheap && tl->heap[l]->due < tl->heap[m]->due)
			m = l;
		if (r < tl->nheap && tl->heap[r]->due < tl->heap[m]->due)
			m = r;
		if (m == i)
			break;
		heap_swap(tl, i, m);
		i = m;
	}
}

static void timer_cb(uv_timer_t *h);

/* Arm the uv timer for the earliest entry if it moved earlier. */
static void rearm(struct sip_tsxl *tl)
{
	if (!tl->loop || tl->freeing)
		return;
	if (!tl->nheap) {
		if (tl->timer_on)
			uv_timer_stop(&tl->timer);
		tl->timer_on = false;
		return;
	}
	uint64_t due = tl->heap[0]->due;
	if (tl->timer_on && tl->armed_due <= due)
		return;
	uint64_t now = uv_now(tl->loop);
	uv_timer_start(&tl->timer, timer_cb, due > now ? due - now : 0, 0);
	tl->timer_on = true;
	tl->armed_due = due;
}

static void tmr_stop(struct sip_tsxl *tl, struct tmr *t)
{
	if (!t->idx)
		return;
	uint32_t i = t->idx - 1;
	t->idx = 0;
	tl->nheap--;
	if (i != tl->nheap) {
		tl->heap[i] = tl->heap[tl->nheap];
		tl->heap[i]->idx = i + 1;
		heap_down(tl, i);
		heap_up(tl, i);
	}
}

/* Arm after ms. The heap was sized for two timers per transaction. */
static void tmr_start(struct sip_tsxl *tl, struct tmr *t, uint32_t ms)
{
	tmr_stop(tl, t);
	t->due = now_ms(tl) + ms;
	tl->heap[tl->nheap] = t;
	t->idx = ++tl->nheap;
	heap_up(tl, tl->nheap - 1);
	rearm(tl);
}

/* ---- hash tables ---- */

static uint32_t hash_key(const char *k, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= 16777619u;
	}
	return h;
}

static struct sip_tsx *tab_find(const struct sip_tsxl *tl, const char *k,
				size_t n)
{
	uint32_t h = hash_key(k, n);
	for (struct sip_tsx *t = tl->tab[h & tl->mask]; t; t = t->hnext) {
		if (t->hash == h && t->keylen == n && !memcmp(t->key, k, n))
			return t;
	}
	return NULL;
}

static struct sip_tsx *mtab_find(const struct sip_tsxl *tl, const char *k,
				 size_t n)
{
	uint32_t h = hash_key(k, n);
	for (struct sip_tsx *t = tl->mtab[h & tl->mask]; t; t = t->mnext) {
		if (t->mhash == h && t->mkeylen == n && !memcmp(t->mkey, k, n))
			return t;
	}
	return NULL;
}

static void tab_unlink(struct sip_tsxl *tl, struct sip_tsx *tsx)
{
	struct sip_tsx **pp = &tl->tab[tsx->hash & tl->mask];
	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == tsx) {
			*pp = tsx->hnext;
			break;
		}
	}
	if (tsx->in_merge) {
		pp = &tl->mtab[tsx->mhash & tl->mask];
		for (; *pp; pp = &(*pp)->mnext) {
			if (*pp == tsx) {
				*pp = tsx->mnext;
				break;
			}
		}
		tsx->in_merge = false;
	}
}

/*
 * Connection index: transactions whose destination is a stream connection
 * are chained per connection id, so that a connection failure touches
 * only them (§17.1.4, §18.2.2).
 */
static void conn_unlink(struct sip_tsx *tsx)
{
	if (!tsx->cconn)
		return;
	if (tsx->cprev)
		tsx->cprev->cnext = tsx->cnext;
	else
		tsx->tl->ctab[tsx->cconn % CTAB_SIZE] = tsx->cnext;
	if (tsx->cnext)
		tsx->cnext->cprev = tsx->cprev;
	tsx->cnext = tsx->cprev = NULL;
	tsx->cconn = 0;
}

/* Index tsx under its dst.conn (call after every change of it). */
static void conn_index(struct sip_tsx *tsx)
{
	if (tsx->cconn == tsx->dst.conn)
		return;
	conn_unlink(tsx);
	if (!tsx->dst.conn)
		return;
	struct sip_tsx **b = &tsx->tl->ctab[tsx->dst.conn % CTAB_SIZE];
	tsx->cnext = *b;
	if (*b)
		(*b)->cprev = tsx;
	*b = tsx;
	tsx->cconn = tsx->dst.conn;
}

/* ---- keys ---- */

struct kb {
	char b[KEY_MAX];
	size_t n;
	bool over;
};

static void kb_add(struct kb *k, const char *p, size_t n)
{
	if (k->over || k->n + n + 1 > sizeof(k->b)) {
		k->over = true;
		return;
	}
	memcpy(k->b + k->n, p, n);
	k->n += n;
	k->b[k->n++] = '\0';
}

static void kb_pl(struct kb *k, const struct pl *pl)
{
	kb_add(k, pl->p ? pl->p : "", pl->p ? pl->l : 0);
}

static void kb_lower(struct kb *k, const struct pl *pl)
{
	size_t start = k->n;
	kb_pl(k, pl);
	if (k->over)
		return;
	for (size_t i = start; i < k->n; i++) {
		char c = k->b[i];
		if (c >= 'A' && c <= 'Z')
			k->b[i] = (char)(c + 32);
	}
}

/* Decimal digits of v into tmp (>= 10 bytes, not terminated). */
static size_t fmt_u32(char *tmp, uint32_t v)
{
	char r[10];
	size_t n = 0;
	do {
		r[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		tmp[i] = r[n - 1 - i];
	return n;
}

static void kb_u32(struct kb *k, uint32_t v)
{
	char tmp[10];
	kb_add(k, tmp, fmt_u32(tmp, v));
}

/* printf-free appends for the hot response path */
static void buf_u32(struct sip_buf *b, uint32_t v)
{
	char tmp[10];
	sip_buf_append(b, tmp, fmt_u32(tmp, v));
}

static void buf_hdr(struct sip_buf *b, const char *name, const struct pl *val)
{
	sip_buf_str(b, name);
	sip_buf_append(b, ": ", 2);
	sip_buf_pl(b, val);
	sip_buf_append(b, "\r\n", 2);
}

static bool has_cookie(const struct pl *branch)
{
	return branch->p && branch->l > 7 && !memcmp(branch->p, COOKIE, 7);
}

/* §17.1.3: top Via branch + CSeq method. */
static void key_client(struct kb *k, const struct pl *branch,
		       const struct pl *method)
{
	kb_add(k, "C", 1);
	kb_pl(k, branch);
	kb_pl(k, method);
}

/*
 * §17.2.3 key of a server transaction for request msg, as if its method
 * were method (ACK and CANCEL look up the INVITE). RFC 2543 requests (no
 * magic cookie) use Request-URI, From tag, Call-ID, CSeq number and the
 * top Via instead.
 */
static void key_server(struct kb *k, const struct sip_msg *msg,
		       const struct pl *method)
{
	const struct sip_via *v = &msg->via;
	if (has_cookie(&v->branch)) {
		kb_add(k, "S", 1);
		kb_pl(k, &v->branch);
		kb_lower(k, &v->host);
		kb_u32(k, v->port);
		kb_pl(k, method);
		return;
	}
	kb_add(k, "O", 1);
	kb_pl(k, &msg->ruri_pl);
	kb_pl(k, &msg->from.tag);
	kb_pl(k, &msg->call_id);
	kb_u32(k, msg->cseq.num);
	kb_pl(k, &v->val);
	kb_pl(k, method);
}

/* §8.2.2.2 merge key: From tag, Call-ID, CSeq. */
static void key_merge(struct kb *k, const struct sip_msg *msg)
{
	kb_add(k, "M", 1);
	kb_pl(k, &msg->from.tag);
	kb_pl(k, &msg->call_id);
	kb_u32(k, msg->cseq.num);
	kb_pl(k, &msg->cseq.method);
}

/* Key of the 2xx retransmitter: Call-ID, CSeq number, From and To tags. */
static void key_2xx(struct kb *k, const struct pl *callid, uint32_t cseq,
		    const struct pl *ftag, const struct pl *ttag)
{
	kb_add(k, "A", 1);
	kb_pl(k, callid);
	kb_u32(k, cseq);
	kb_pl(k, ftag);
	kb_pl(k, ttag);
}

/* ---- allocation ---- */

int sip_tsxl_alloc(struct sip_tsxl **tlp, uv_loop_t *loop,
		   const struct sip_tsx_cfg *cfg, sip_tsx_send_h *sendh,
		   void *arg)
{
	struct sip_tsxl *tl;
	int err = 0;

	if (!tlp || !sendh)
		return EINVAL;
	tl = calloc(1, sizeof(*tl));
	if (!tl)
		return ENOMEM;
	if (cfg)
		tl->cfg = *cfg;
	if (!tl->cfg.t1)
		tl->cfg.t1 = 500;
	if (!tl->cfg.t2)
		tl->cfg.t2 = 4000;
	if (!tl->cfg.t4)
		tl->cfg.t4 = 5000;
	if (!tl->cfg.timer_d)
		tl->cfg.timer_d = 32000;
	if (!tl->cfg.max_tsx)
		tl->cfg.max_tsx = 65536;
	if (!tl->cfg.max_pending)
		tl->cfg.max_pending = 300000;
	if (tl->cfg.max_tsx > (1u << 26)) {
		err = EINVAL;
		goto out;
	}
	uint32_t nb = 16;
	while (nb < tl->cfg.max_tsx)
		nb <<= 1;
	tl->mask = nb - 1;
	tl->tab = calloc(nb, sizeof(*tl->tab));
	tl->mtab = calloc(nb, sizeof(*tl->mtab));
	tl->heapsz = 2 * tl->cfg.max_tsx;
	tl->heap = calloc(tl->heapsz, sizeof(*tl->heap));
	if (!tl->tab || !tl->mtab || !tl->heap) {
		err = ENOMEM;
		goto out;
	}
	tl->sendh = sendh;
	tl->arg = arg;
	tl->loop = loop;
	if (loop) {
		uv_timer_init(loop, &tl->timer);
		tl->timer.data = tl;
	}
	*tlp = tl;
out:
	if (err) {
		free(tl->tab);
		free(tl->mtab);
		free(tl->heap);
		free(tl);
	}
	return err;
}

static void tsx_mem_free(struct sip_tsx *tsx)
{
	free(tsx->req);
	free(tsx->out);
	free(tsx->mkey);
	free(tsx->cancel_reason);
	free(tsx);
}

/* Unlink, stop timers and free. No handler is called. */
static void tsx_destroy(struct sip_tsx *tsx)
{
	struct sip_tsxl *tl = tsx->tl;
	tmr_stop(tl, &tsx->tm[0]);
	tmr_stop(tl, &tsx->tm[1]);
	tab_unlink(tl, tsx);
	conn_unlink(tsx);
	tl->st.live--;
	if (tsx->type == TSX_2XX)
		tl->st.live_2xx--;
	tl->st.destroyed++;
	tsx_mem_free(tsx);
	rearm(tl);
}

static void timer_close_cb(uv_handle_t *h)
{
	free(h->data);
}

void sip_tsxl_free(struct sip_tsxl *tl)
{
	if (!tl)
		return;
	tl->freeing = true;
	for (uint32_t i = 0; i <= tl->mask; i++) {
		while (tl->tab[i]) {
			struct sip_tsx *t = tl->tab[i];
			tl->tab[i] = t->hnext;
			tsx_mem_free(t);
		}
	}
	free(tl->tab);
	free(tl->mtab);
	free(tl->heap);
	if (tl->loop) {
		uv_timer_stop(&tl->timer);
		uv_close((uv_handle_t *)&tl->timer, timer_close_cb);
	} else {
		free(tl);
	}
}

void sip_tsxl_set_ack_timeout_h(struct sip_tsxl *tl, sip_tsx_ack_timeout_h *h,
				void *arg)
{
	tl->ackh = h;
	tl->ackarg = arg;
}

const struct sip_tsx_cfg *sip_tsxl_cfg(const struct sip_tsxl *tl)
{
	return &tl->cfg;
}

void sip_tsxl_stats(const struct sip_tsxl *tl, struct sip_tsxl_stats *st)
{
	*st = tl->st;
}

/*
 * New transaction with key k (copied behind the struct). The caller links
 * it with tsx_link once it is fully set up.
 */
static int tsx_new(struct sip_tsx **tsxp, struct sip_tsxl *tl, int type,
		   const struct kb *k)
{
	if (k->over)
		return EINVAL;
	if (tl->st.live >= tl->cfg.max_tsx) {
		tl->st.overflow++;
		return ENOSPC;
	}
	struct sip_tsx *tsx = calloc(1, sizeof(*tsx) + k->n);
	if (!tsx)
		return ENOMEM;
	tsx->tl = tl;
	tsx->type = type;
	tsx->key = (char *)(tsx + 1);
	memcpy(tsx->key, k->b, k->n);
	tsx->keylen = (uint16_t)k->n;
	tsx->hash = hash_key(k->b, k->n);
	tsx->tm[0].tsx = tsx;
	tsx->tm[1].tsx = tsx;
	/* key layout: tag NUL branch-or-first NUL ... method NUL */
	const char *p = tsx->key + 2;
	tsx->branch = (struct pl){ p, strlen(p) };
	const char *end = tsx->key + k->n - 1; /* final NUL */
	const char *m = end;
	while (m > tsx->key && m[-1] != '\0')
		m--;
	tsx->method = (struct pl){ m, (size_t)(end - m) };
	*tsxp = tsx;
	return 0;
}

static void tsx_link(struct sip_tsx *tsx)
{
	struct sip_tsxl *tl = tsx->tl;
	struct sip_tsx **b = &tl->tab[tsx->hash & tl->mask];
	tsx->hnext = *b;
	*b = tsx;
	tsx->linked = true;
	conn_index(tsx);
	tl->st.live++;
	tl->st.created++;
	if (tsx->type == TSX_2XX)
		tl->st.live_2xx++;
}

static int tsx_send(struct sip_tsx *tsx, const char *buf, size_t len)
{
	uint64_t conn = 0;
	int err = tsx->tl->sendh(&tsx->dst, buf, len, &conn, tsx->tl->arg);
	if (!err && conn && conn != tsx->dst.conn) {
		tsx->dst.conn = conn;
		if (tsx->linked)
			conn_index(tsx); /* else tsx_link indexes it */
	}
	return err;
}

static int dup_buf(char **dst, size_t *dlen, const char *src, size_t len)
{
	char *p = malloc(len + 1);
	if (!p)
		return ENOMEM;
	memcpy(p, src, len);
	p[len] = '\0';
	free(*dst);
	*dst = p;
	*dlen = len;
	return 0;
}

/* Status code of a response text ("SIP/2.0 NNN ..."), 0 if not one. */
static uint16_t status_of(const char *buf, size_t len)
{
	if (len < 12 || memcmp(buf, "SIP/2.0 ", 8))
		return 0;
	uint16_t s = 0;
	for (int i = 8; i < 11; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return 0;
		s = (uint16_t)(s * 10 + (buf[i] - '0'));
	}
	if (s < 100 || s > 699 || buf[11] != ' ')
		return 0;
	return s;
}

/* ---- client transactions ---- */

static void client_end(struct sip_tsx *tsx, int err)
{
	sip_tsx_resp_h *h = tsx->attached ? tsx->resph : NULL;
	void *arg = tsx->arg;
	tsx->state = SIP_TSX_TERMINATED;
	tsx->attached = false;
	if (h)
		h(tsx, NULL, err, arg);
	tsx_destroy(tsx);
}

int sip_tsx_request(struct sip_tsx **tsxp, struct sip_tsxl *tl,
		    const struct sip_tp_addr *dst, const char *req, size_t len,
		    sip_tsx_resp_h *resph, void *arg)
{
	struct sip_msg *msg = NULL;
	struct sip_tsx *tsx = NULL;
	struct kb k = { .n = 0 };
	int err;

	if (!tl || !dst || !req)
		return EINVAL;
	msg = malloc(sizeof(*msg));
	if (!msg)
		return ENOMEM;
	if (sip_msg_decode(msg, req, len) || !msg->req ||
	    msg->meth == SIP_METHOD_ACK || !has_cookie(&msg->via.branch)) {
		err = EINVAL;
		goto out;
	}
	key_client(&k, &msg->via.branch, &msg->cseq.method);
	if (tab_find(tl, k.b, k.n)) {
		err = EEXIST;
		goto out;
	}
	err = tsx_new(&tsx, tl,
		      msg->meth == SIP_METHOD_INVITE ? SIP_TSX_ICT : SIP_TSX_NICT,
		      &k);
	if (err)
		goto out;
	err = dup_buf(&tsx->req, &tsx->reqlen, req, len);
	if (err)
		goto out;
	tsx->dst = *dst;
	tsx->reliable = sip_tp_reliable(dst->tp);
	tsx->resph = resph;
	tsx->arg = arg;
	tsx->attached = resph != NULL;
	err = tsx_send(tsx, tsx->req, tsx->reqlen);
	if (err)
		goto out;
	tsx_link(tsx);
	uint32_t t1 = tl->cfg.t1;
	tsx->interval = t1;
	tsx->state = tsx->type == SIP_TSX_ICT ? SIP_TSX_CALLING : SIP_TSX_TRYING;
	if (!tsx->reliable)
		tmr_start(tl, &tsx->tm[TM_RETX], t1); /* Timer A / E */
	tmr_start(tl, &tsx->tm[TM_END], 64 * t1);     /* Timer B / F */
	if (tsxp)
		*tsxp = tsx;
	tsx = NULL;
out:
	if (tsx)
		tsx_mem_free(tsx);
	free(msg);
	return err;
}

void sip_tsx_detach(struct sip_tsx *tsx)
{
	if (tsx)
		tsx->attached = false;
}

/*
 * Copy the header lines of request text req with the given ids (in wire
 * order, each as "Name: value") into b.
 */
static void copy_hdrs(struct sip_buf *b, const struct sip_msg *req,
		      enum sip_hdr_id id)
{
	for (const struct sip_hdr *h = sip_msg_hdr(req, id); h;
	     h = sip_msg_hdr_next(req, h))
		buf_hdr(b, sip_hdr_name(id), &h->val);
}

/*
 * Build ACK (§17.1.1.3) or CANCEL (§9.1) from the INVITE text: same
 * Request-URI, top Via only, From, Call-ID, CSeq number, Route; To from
 * the response for ACK (resp may be NULL for CANCEL).
 */
static int build_ack_cancel(struct sip_buf *b, const char *invite, size_t len,
			    const struct sip_msg *resp, bool ack,
			    const char *reason)
{
	struct sip_msg *req = malloc(sizeof(*req));
	int err;
	if (!req)
		return ENOMEM;
	err = sip_msg_decode(req, invite, len);
	if (err)
		goto out;
	const char *m = ack ? "ACK" : "CANCEL";
	sip_buf_printf(b, "%s %.*s SIP/2.0\r\n", m, (int)req->ruri_pl.l,
		       req->ruri_pl.p);
	sip_buf_printf(b, "Via: %.*s\r\n", (int)req->via.val.l, req->via.val.p);
	const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_MAX_FORWARDS);
	if (h)
		sip_buf_printf(b, "Max-Forwards: %.*s\r\n", (int)h->val.l,
			       h->val.p);
	copy_hdrs(b, req, SIP_HDR_FROM);
	if (ack && resp) {
		h = sip_msg_hdr(resp, SIP_HDR_TO);
		if (h)
			sip_buf_printf(b, "To: %.*s\r\n", (int)h->val.l,
				       h->val.p);
	} else {
		copy_hdrs(b, req, SIP_HDR_TO);
	}
	sip_buf_printf(b, "Call-ID: %.*s\r\n", (int)req->call_id.l,
		       req->call_id.p);
	sip_buf_printf(b, "CSeq: %u %s\r\n", req->cseq.num, m);
	copy_hdrs(b, req, SIP_HDR_ROUTE);
	if (reason)
		sip_buf_printf(b, "Reason: %s\r\n", reason);
	sip_buf_str(b, "Content-Length: 0\r\n\r\n");
	err = sip_buf_err(b);
out:
	free(req);
	return err;
}

static void send_cancel(struct sip_tsx *ict)
{
	struct sip_buf b;
	sip_buf_init(&b, 0);
	ict->cancel_pending = false;
	ict->cancel_sent = true;
	int err = build_ack_cancel(&b, ict->req, ict->reqlen, NULL, false,
				   ict->cancel_reason);
	if (!err)
		err = sip_tsx_request(NULL, ict->tl, &ict->dst, b.p, b.len,
				      NULL, NULL);
	if (err)
		LOGW(MOD, "CANCEL for branch %.*s not sent: %s",
		     (int)ict->branch.l, ict->branch.p, strerror(err));
	sip_buf_free(&b);
}

int sip_tsx_cancel(struct sip_tsx *tsx, const char *reason)
{
	if (!tsx || tsx->type != SIP_TSX_ICT)
		return EINVAL;
	if (tsx->cancel_pending || tsx->cancel_sent ||
	    (tsx->state != SIP_TSX_CALLING && tsx->state != SIP_TSX_PROCEEDING))
		return EALREADY;
	if (reason) {
		tsx->cancel_reason = strdup(reason);
		if (!tsx->cancel_reason)
			return ENOMEM;
	}
	if (tsx->got_prov)
		send_cancel(tsx);
	else
		tsx->cancel_pending = true;
	return 0;
}

static void resp_ict(struct sip_tsx *tsx, const struct sip_msg *resp)
{
	struct sip_tsxl *tl = tsx->tl;
	uint16_t sc = resp->scode;

	switch (tsx->state) {
	case SIP_TSX_CALLING:
	case SIP_TSX_PROCEEDING:
		if (sc < 200) {
			tsx->state = SIP_TSX_PROCEEDING;
			tmr_stop(tl, &tsx->tm[TM_RETX]);
			/* Timer B stops here (§17.1.1.2); a guard of max_pending
			   keeps a never-answered INVITE from living forever */
			if (!tsx->got_prov)
				tmr_start(tl, &tsx->tm[TM_END], tl->cfg.max_pending);
			tsx->got_prov = true;
			if (tsx->cancel_pending)
				send_cancel(tsx);
			break;
		}
		tsx->status = sc;
		tmr_stop(tl, &tsx->tm[TM_RETX]);
		if (sc < 300) {
			/* RFC 6026 §8.4: Accepted, Timer M */
			tsx->state = SIP_TSX_ACCEPTED;
			tmr_start(tl, &tsx->tm[TM_END], 64 * tl->cfg.t1);
			break;
		}
		tsx->state = SIP_TSX_COMPLETED;
		{
			struct sip_buf b;
			sip_buf_init(&b, 0);
			if (!build_ack_cancel(&b, tsx->req, tsx->reqlen, resp,
					      true, NULL)) {
				free(tsx->out);
				tsx->out = b.p; /* ownership moves */
				tsx->outlen = b.len;
				b.p = NULL;
				if (tsx_send(tsx, tsx->out, tsx->outlen))
					LOGW(MOD, "ACK send failed");
			}
			sip_buf_free(&b);
		}
		tmr_start(tl, &tsx->tm[TM_END],
			  tsx->reliable ? 0 : tl->cfg.timer_d); /* Timer D */
		break;
	case SIP_TSX_COMPLETED:
		if (sc >= 300 && tsx->out) {
			tl->st.retrans_rx++;
			tsx_send(tsx, tsx->out, tsx->outlen);
		}
		return;
	case SIP_TSX_ACCEPTED:
		if (sc < 200 || sc >= 300)
			return;
		break;
	default:
		return;
	}
	if (!tsx->attached)
		return;
	bool last = sc >= 300;
	if (last)
		tsx->attached = false;
	tsx->resph(tsx, resp, 0, tsx->arg);
}

static void resp_nict(struct sip_tsx *tsx, const struct sip_msg *resp)
{
	struct sip_tsxl *tl = tsx->tl;
	uint16_t sc = resp->scode;

	if (tsx->state != SIP_TSX_TRYING && tsx->state != SIP_TSX_PROCEEDING)
		return; /* Completed: absorb */
	if (sc < 200) {
		tsx->state = SIP_TSX_PROCEEDING;
	} else {
		tsx->status = sc;
		tsx->state = SIP_TSX_COMPLETED;
		tmr_stop(tl, &tsx->tm[TM_RETX]);
		tmr_start(tl, &tsx->tm[TM_END],
			  tsx->reliable ? 0 : tl->cfg.t4); /* Timer K */
	}
	if (!tsx->attached)
		return;
	if (sc >= 200)
		tsx->attached = false;
	tsx->resph(tsx, resp, 0, tsx->arg);
}

/* ---- server transactions ---- */

int sip_tsx_server(struct sip_tsx **tsxp, struct sip_tsxl *tl,
		   const struct sip_msg *req, const struct sip_tp_addr *src)
{
	struct sip_tsx *tsx = NULL;
	struct kb k = { .n = 0 };
	int err;

	if (!tsxp || !tl || !req || !req->req || req->meth == SIP_METHOD_ACK ||
	    !req->via.val.p)
		return EINVAL;
	key_server(&k, req, &req->cseq.method);
	err = tsx_new(&tsx, tl,
		      req->meth == SIP_METHOD_INVITE ? SIP_TSX_IST : SIP_TSX_NIST,
		      &k);
	if (err)
		return err;
	tsx->src = *src;
	if (sip_transp_resp_dst(req, src, &tsx->dst))
		tsx->dst = *src;
	tsx->reliable = sip_tp_reliable(src->tp);
	tsx->state = tsx->type == SIP_TSX_IST ? SIP_TSX_PROCEEDING
					      : SIP_TSX_TRYING;
	if (tsx->type == SIP_TSX_IST) {
		/* kept for CANCEL's 487 and for late answers */
		err = dup_buf(&tsx->req, &tsx->reqlen, req->buf, req->len);
		if (err)
			goto out;
	}
	if (!req->to.tag.p) {
		struct kb m = { .n = 0 };
		key_merge(&m, req);
		if (!m.over) {
			tsx->mkey = malloc(m.n);
			if (!tsx->mkey) {
				err = ENOMEM;
				goto out;
			}
			memcpy(tsx->mkey, m.b, m.n);
			tsx->mkeylen = (uint16_t)m.n;
			tsx->mhash = hash_key(m.b, m.n);
			struct sip_tsx **b = &tl->mtab[tsx->mhash & tl->mask];
			tsx->mnext = *b;
			*b = tsx;
			tsx->in_merge = true;
		}
	}
	tsx->attached = true;
	tsx_link(tsx);
	/* guard against a TU that never answers (memory stays bounded) */
	tmr_start(tl, &tsx->tm[TM_END], tsx->type == SIP_TSX_IST
						? tl->cfg.max_pending
						: 64 * tl->cfg.t1);
	*tsxp = tsx;
	tsx = NULL;
out:
	if (tsx)
		tsx_mem_free(tsx);
	return err;
}

void sip_tsx_set_handlers(struct sip_tsx *tsx, sip_tsx_cancel_h *cancelh,
			  sip_tsx_term_h *termh, void *arg)
{
	tsx->cancelh = cancelh;
	tsx->termh = termh;
	tsx->arg = arg;
}

int sip_tsx_save_request(struct sip_tsx *tsx, const char *buf, size_t len)
{
	if (tsx->req)
		return 0;
	return dup_buf(&tsx->req, &tsx->reqlen, buf, len);
}

const char *sip_tsx_request_text(const struct sip_tsx *tsx, size_t *len)
{
	if (len)
		*len = tsx->reqlen;
	return tsx->req;
}

const struct sip_tp_addr *sip_tsx_src(const struct sip_tsx *tsx)
{
	return &tsx->src;
}

/* A server transaction hit a transport error (§17.2.4). */
static void server_fail(struct sip_tsx *tsx, int err)
{
	sip_tsx_term_h *h = (tsx->attached && !tsx->final_sent) ? tsx->termh
								 : NULL;
	void *arg = tsx->arg;
	LOGN(MOD, "%s %.*s: transport error: %s", type_names[tsx->type],
	     (int)tsx->branch.l, tsx->branch.p, strerror(err));
	tsx->attached = false;
	tsx->state = SIP_TSX_TERMINATED;
	if (h)
		h(tsx, err, arg);
	/* freed from the timer, so callers may still look at tsx */
	tmr_stop(tsx->tl, &tsx->tm[TM_RETX]);
	tmr_start(tsx->tl, &tsx->tm[TM_END], 0);
}

static int start_2xx(struct sip_tsx *ist, const char *resp, size_t len);

int sip_tsx_reply(struct sip_tsx *tsx, const char *resp, size_t len)
{
	struct sip_tsxl *tl;
	uint16_t sc;
	int err;

	if (!tsx || (tsx->type != SIP_TSX_IST && tsx->type != SIP_TSX_NIST))
		return EINVAL;
	tl = tsx->tl;
	sc = status_of(resp, len);
	if (!sc)
		return EINVAL;
	bool accepted_2xx = tsx->state == SIP_TSX_ACCEPTED && sc >= 200 &&
			    sc < 300;
	if (tsx->final_sent && !accepted_2xx)
		return EINVAL;
	if (!accepted_2xx) {
		err = dup_buf(&tsx->out, &tsx->outlen, resp, len);
		if (err)
			return err;
	}
	err = tsx_send(tsx, resp, len);
	if (err) {
		tsx->final_sent = true; /* no term_h for a send error here */
		server_fail(tsx, err);
		return err;
	}
	tsx->status = sc;
	if (accepted_2xx)
		return 0;
	if (sc < 200) {
		if (tsx->type == SIP_TSX_NIST)
			tsx->state = SIP_TSX_PROCEEDING;
		return 0;
	}
	tsx->final_sent = true;
	tsx->attached = false;
	if (tsx->type == SIP_TSX_NIST) {
		tsx->state = SIP_TSX_COMPLETED;
		/* the request copy is of no more use */
		free(tsx->req);
		tsx->req = NULL;
		tmr_start(tl, &tsx->tm[TM_END],
			  tsx->reliable ? 0 : 64 * tl->cfg.t1); /* Timer J */
		return 0;
	}
	if (sc < 300) {
		/* RFC 6026 §8.7: Accepted, Timer L; the core retransmits */
		tsx->state = SIP_TSX_ACCEPTED;
		tmr_start(tl, &tsx->tm[TM_END], 64 * tl->cfg.t1);
		if (!tl->cfg.no_2xx_retrans)
			start_2xx(tsx, resp, len);
		return 0;
	}
	tsx->state = SIP_TSX_COMPLETED;
	tsx->interval = tl->cfg.t1;
	if (!tsx->reliable)
		tmr_start(tl, &tsx->tm[TM_RETX], tl->cfg.t1); /* Timer G */
	tmr_start(tl, &tsx->tm[TM_END], 64 * tl->cfg.t1);     /* Timer H */
	return 0;
}

/*
 * UAS core 2xx retransmission (§13.3.1.4): a pseudo-transaction keyed by
 * Call-ID, CSeq and tags, resending the 2xx at T1, 2T1, ... capped at T2
 * (on every transport: the 2xx may be lost beyond a stream hop), until
 * the ACK or 64*T1.
 */
static int start_2xx(struct sip_tsx *ist, const char *resp, size_t len)
{
	struct sip_tsxl *tl = ist->tl;
	struct sip_msg *msg = malloc(sizeof(*msg));
	struct sip_tsx *tsx = NULL;
	struct kb k = { .n = 0 };
	int err;

	if (!msg)
		return ENOMEM;
	err = sip_msg_decode(msg, resp, len);
	if (err)
		goto out;
	key_2xx(&k, &msg->call_id, msg->cseq.num, &msg->from.tag,
		&msg->to.tag);
	struct sip_tsx *old = tab_find(tl, k.b, k.n);
	if (old)
		tsx_destroy(old);
	err = tsx_new(&tsx, tl, TSX_2XX, &k);
	if (err)
		goto out;
	err = dup_buf(&tsx->out, &tsx->outlen, resp, len);
	if (err)
		goto out;
	tsx->dst = ist->dst;
	tsx->src = ist->src;
	tsx->state = SIP_TSX_ACCEPTED;
	tsx->interval = tl->cfg.t1;
	tsx_link(tsx);
	tmr_start(tl, &tsx->tm[TM_RETX], tl->cfg.t1);
	tmr_start(tl, &tsx->tm[TM_END], 64 * tl->cfg.t1);
	tsx = NULL;
out:
	if (tsx)
		tsx_mem_free(tsx);
	free(msg);
	if (err)
		LOGW(MOD, "2xx retransmission not started: %s", strerror(err));
	return err;
}

/* ---- timers ---- */

static void reply_text(struct sip_tsxl *tl, const struct sip_msg *req,
		       const struct sip_tp_addr *src, struct sip_tsx *tsx,
		       uint16_t code);

/* The TU did not answer a server transaction in time. */
static void pending_expired(struct sip_tsx *tsx)
{
	struct sip_tsxl *tl = tsx->tl;
	sip_tsx_term_h *h = tsx->attached ? tsx->termh : NULL;
	void *arg = tsx->arg;

	tl->st.timeouts++;
	LOGW(MOD, "%s %.*s: no final response from the TU", type_names[tsx->type],
	     (int)tsx->branch.l, tsx->branch.p);
	tsx->attached = false;
	if (h)
		h(tsx, ETIMEDOUT, arg);
	if (tsx->final_sent)
		return; /* the handler answered after all */
	if (tsx->type == SIP_TSX_IST && tsx->req) {
		struct sip_msg *m = malloc(sizeof(*m));
		if (m && !sip_msg_decode(m, tsx->req, tsx->reqlen)) {
			reply_text(tl, m, &tsx->src, tsx, 500);
			free(m);
			if (tsx->final_sent)
				return; /* Completed: Timers G and H run */
		} else {
			free(m);
		}
	}
	tsx->state = SIP_TSX_TERMINATED;
	tsx_destroy(tsx);
}

static void fire(struct sip_tsx *tsx, int which)
{
	struct sip_tsxl *tl = tsx->tl;
	const struct sip_tsx_cfg *c = &tl->cfg;

	if (which == TM_RETX) {
		/* A, E, G, 2xx: retransmit */
		const char *buf = tsx->out;
		size_t len = tsx->outlen;
		if (tsx->type == SIP_TSX_ICT || tsx->type == SIP_TSX_NICT) {
			buf = tsx->req;
			len = tsx->reqlen;
		}
		if (tsx->type == SIP_TSX_ICT)
			tsx->interval *= 2; /* Timer A: no cap */
		else if (tsx->type == SIP_TSX_NICT &&
			 tsx->state == SIP_TSX_PROCEEDING)
			tsx->interval = c->t2; /* §17.1.2.2 */
		else
			tsx->interval = tsx->interval * 2 > c->t2 ? c->t2
								 : tsx->interval * 2;
		tl->st.retrans_tx++;
		int err = tsx_send(tsx, buf, len);
		if (err) {
			if (tsx->type == SIP_TSX_ICT || tsx->type == SIP_TSX_NICT)
				client_end(tsx, err);
			else if (tsx->type == TSX_2XX)
				tsx_destroy(tsx);
			else
				server_fail(tsx, err);
			return;
		}
		tmr_start(tl, &tsx->tm[TM_RETX], tsx->interval);
		return;
	}

	if ((tsx->type == SIP_TSX_IST || tsx->type == SIP_TSX_NIST) &&
	    !tsx->final_sent && tsx->state != SIP_TSX_TERMINATED) {
		pending_expired(tsx);
		return;
	}

	switch (tsx->type) {
	case SIP_TSX_ICT:
		if (tsx->state == SIP_TSX_CALLING ||
		    tsx->state == SIP_TSX_PROCEEDING) {
			tl->st.timeouts++; /* Timer B */
			client_end(tsx, ETIMEDOUT);
		} else {
			client_end(tsx, 0); /* Timer D or M */
		}
		return;
	case SIP_TSX_NICT:
		if (tsx->state != SIP_TSX_COMPLETED) {
			tl->st.timeouts++; /* Timer F */
			client_end(tsx, ETIMEDOUT);
		} else {
			client_end(tsx, 0); /* Timer K */
		}
		return;
	case SIP_TSX_IST:
		if (tsx->state == SIP_TSX_COMPLETED) {
			/* Timer H: no ACK for our final response */
			tl->st.timeouts++;
			LOGN(MOD, "IST %.*s: no ACK (Timer H)",
			     (int)tsx->branch.l, tsx->branch.p);
		}
		/* H, I, L */
		break;
	case SIP_TSX_NIST:
		break; /* J */
	case TSX_2XX:
		tl->st.timeouts++;
		LOGN(MOD, "2xx not ACKed within 64*T1");
		if (tl->ackh) {
			struct sip_msg *m = malloc(sizeof(*m));
			if (m && !sip_msg_decode(m, tsx->out, tsx->outlen))
				tl->ackh(m, tl->ackarg);
			free(m);
		}
		break;
	}
	tsx->state = SIP_TSX_TERMINATED;
	tsx_destroy(tsx);
}

static void run_due(struct sip_tsxl *tl)
{
	uint64_t now = now_ms(tl);
	/* bounded: each pass removes or pushes forward one entry */
	for (uint32_t guard = 0; tl->nheap && guard < 4 * tl->heapsz + 16;
	     guard++) {
		struct tmr *t = tl->heap[0];
		if (t->due > now)
			break;
		tmr_stop(tl, t);
		fire(t->tsx, t == &t->tsx->tm[TM_RETX] ? TM_RETX : TM_END);
	}
}

static void timer_cb(uv_timer_t *h)
{
	struct sip_tsxl *tl = h->data;
	tl->timer_on = false;
	run_due(tl);
	rearm(tl);
}

void sip_tsxl_set_time(struct sip_tsxl *tl, uint64_t now)
{
	if (now > tl->now)
		tl->now = now;
	if (!tl->loop)
		run_due(tl);
}

/* ---- receive path ---- */

static enum sip_tsx_rx recv_resp(struct sip_tsxl *tl, const struct sip_msg *msg)
{
	struct kb k = { .n = 0 };
	key_client(&k, &msg->via.branch, &msg->cseq.method);
	struct sip_tsx *tsx = k.over ? NULL : tab_find(tl, k.b, k.n);
	if (!tsx || (tsx->type != SIP_TSX_ICT && tsx->type != SIP_TSX_NICT)) {
		tl->st.stray++;
		return SIP_TSX_RX_STRAY;
	}
	if (tsx->type == SIP_TSX_ICT)
		resp_ict(tsx, msg);
	else
		resp_nict(tsx, msg);
	return SIP_TSX_RX_PASSED;
}

/* Resend the last response of a server transaction (if any). */
static void resend_last(struct sip_tsx *tsx)
{
	tsx->tl->st.retrans_rx++;
	if (!tsx->out)
		return;
	int err = tsx_send(tsx, tsx->out, tsx->outlen);
	if (err)
		server_fail(tsx, err);
}

static void reply_text(struct sip_tsxl *tl, const struct sip_msg *req,
		       const struct sip_tp_addr *src, struct sip_tsx *tsx,
		       uint16_t code)
{
	struct sip_buf b;
	char tag[24];
	struct sip_reply_opt o = { .to_tag = NULL };
	/* a final response needs a To tag (§8.2.6.2) */
	sip_tsx_token(tag, sizeof(tag));
	o.to_tag = tag;
	sip_buf_init(&b, 0);
	if (!sip_tsx_build_reply(&b, req, src, code, NULL, &o)) {
		if (tsx) {
			sip_tsx_reply(tsx, b.p, b.len);
		} else {
			struct sip_tp_addr dst;
			if (sip_transp_resp_dst(req, src, &dst))
				dst = *src;
			tl->sendh(&dst, b.p, b.len, NULL, tl->arg);
		}
	}
	sip_buf_free(&b);
}

/* §9.2 CANCEL: 481 if no INVITE matches; else 200, TU told, then 487. */
static enum sip_tsx_rx recv_cancel(struct sip_tsxl *tl,
				   const struct sip_msg *msg,
				   const struct sip_tp_addr *src)
{
	struct kb k = { .n = 0 };
	struct sip_tsx *ct = NULL;
	struct pl inv = PL("INVITE");

	key_server(&k, msg, &inv);
	struct sip_tsx *ist = k.over ? NULL : tab_find(tl, k.b, k.n);
	if (sip_tsx_server(&ct, tl, msg, src)) {
		reply_text(tl, msg, src, NULL, 503);
		return SIP_TSX_RX_CANCEL_481;
	}
	ct->attached = false;
	if (!ist || ist->type != SIP_TSX_IST) {
		reply_text(tl, msg, src, ct, 481);
		return SIP_TSX_RX_CANCEL_481;
	}
	reply_text(tl, msg, src, ct, 200);
	if (ist->final_sent)
		return SIP_TSX_RX_CANCELLED;
	if (ist->attached && ist->cancelh)
		ist->cancelh(ist, msg, ist->arg);
	/* the handler may have answered; if not, 487 (§9.2) */
	if (!ist->final_sent && ist->req) {
		struct sip_msg *im = malloc(sizeof(*im));
		if (im && !sip_msg_decode(im, ist->req, ist->reqlen)) {
			struct sip_buf b;
			sip_buf_init(&b, 0);
			struct sip_reply_opt opt = { .to_tag = NULL };
			char tag[64];
			snprintf(tag, sizeof(tag), "%08x",
				 hash_key(ist->key, ist->keylen));
			/* same To tag as a provisional already sent */
			struct sip_msg *pm = ist->out ? malloc(sizeof(*pm)) : NULL;
			if (pm && !sip_msg_decode(pm, ist->out, ist->outlen) &&
			    pm->to.tag.p)
				pl_strcpy(&pm->to.tag, tag, sizeof(tag));
			free(pm);
			opt.to_tag = tag;
			if (!sip_tsx_build_reply(&b, im, &ist->src, 487, NULL,
						 &opt))
				sip_tsx_reply(ist, b.p, b.len);
			sip_buf_free(&b);
		}
		free(im);
	}
	return SIP_TSX_RX_CANCELLED;
}

enum sip_tsx_rx sip_tsxl_recv(struct sip_tsxl *tl, const struct sip_msg *msg,
			      const struct sip_tp_addr *src)
{
	struct kb k = { .n = 0 };

	if (!msg->req)
		return recv_resp(tl, msg);

	if (msg->meth == SIP_METHOD_CANCEL) {
		key_server(&k, msg, &msg->cseq.method);
		struct sip_tsx *t = k.over ? NULL : tab_find(tl, k.b, k.n);
		if (t) {
			resend_last(t);
			return SIP_TSX_RX_ABSORBED;
		}
		return recv_cancel(tl, msg, src);
	}

	if (msg->meth == SIP_METHOD_ACK) {
		struct pl inv = PL("INVITE");
		key_server(&k, msg, &inv);
		struct sip_tsx *t = k.over ? NULL : tab_find(tl, k.b, k.n);
		if (t && t->type == SIP_TSX_IST &&
		    (t->state == SIP_TSX_COMPLETED ||
		     t->state == SIP_TSX_CONFIRMED)) {
			if (t->state == SIP_TSX_COMPLETED) {
				t->state = SIP_TSX_CONFIRMED;
				tmr_stop(tl, &t->tm[TM_RETX]);
				tmr_start(tl, &t->tm[TM_END],
					  t->reliable ? 0 : tl->cfg.t4); /* I */
			} else {
				tl->st.retrans_rx++;
			}
			return SIP_TSX_RX_ABSORBED;
		}
		/* ACK for a 2xx: stop the core's retransmission */
		k.n = 0;
		k.over = false;
		key_2xx(&k, &msg->call_id, msg->cseq.num, &msg->from.tag,
			&msg->to.tag);
		t = k.over ? NULL : tab_find(tl, k.b, k.n);
		if (t && t->type == TSX_2XX) {
			tsx_destroy(t);
			return SIP_TSX_RX_ACK_2XX;
		}
		return SIP_TSX_RX_NEW;
	}

	key_server(&k, msg, &msg->cseq.method);
	struct sip_tsx *t = k.over ? NULL : tab_find(tl, k.b, k.n);
	if (t && (t->type == SIP_TSX_IST || t->type == SIP_TSX_NIST)) {
		/* retransmission: Trying absorbs silently, Accepted too
		   (RFC 6026 §8.7), the others resend the last response */
		if (t->state == SIP_TSX_TRYING || t->state == SIP_TSX_ACCEPTED ||
		    t->state == SIP_TSX_CONFIRMED)
			tl->st.retrans_rx++;
		else
			resend_last(t);
		return SIP_TSX_RX_ABSORBED;
	}
	if (!msg->to.tag.p) {
		struct kb m = { .n = 0 };
		key_merge(&m, msg);
		if (!m.over && mtab_find(tl, m.b, m.n)) {
			reply_text(tl, msg, src, NULL, 482);
			return SIP_TSX_RX_MERGED;
		}
	}
	return SIP_TSX_RX_NEW;
}

/* ---- response building ---- */

int sip_tsx_build_reply(struct sip_buf *b, const struct sip_msg *req,
			const struct sip_tp_addr *src, uint16_t code,
			const char *reason, const struct sip_reply_opt *opt)
{
	static const struct sip_reply_opt noopt = { .to_tag = NULL };
	char ip[64];
	bool first = true;

	if (code < 100 || code > 699 || !req || !req->req)
		return EINVAL;
	if (!opt)
		opt = &noopt;
	if (!reason || !*reason)
		reason = sip_reason_phrase(code);
	if (!reason || !*reason)
		reason = "Unknown";
	sip_buf_append(b, "SIP/2.0 ", 8);
	buf_u32(b, code);
	sip_buf_append(b, " ", 1);
	sip_buf_str(b, reason);
	sip_buf_append(b, "\r\n", 2);

	for (const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_VIA); h;
	     h = sip_msg_hdr_next(req, h)) {
		const struct sip_via *v = &req->via;
		if (!first || !src || !v->val.p || v->val.p < h->val.p ||
		    v->val.p + v->val.l > h->val.p + h->val.l) {
			buf_hdr(b, "Via", &h->val);
			first = false;
			continue;
		}
		first = false;
		/* top Via: re-print its params with received/rport (§18.2.1) */
		bool need = false;
		ip[0] = '\0';
		if (src->peer.ss_family &&
		    sip_transp_need_received(req, src, ip, sizeof(ip)))
			need = true;
		sip_buf_append(b, "Via: ", 5);
		sip_buf_append(b, v->val.p,
			       v->params.p ? (size_t)(v->params.p - 1 - v->val.p)
					   : v->val.l);
		struct pl rest = v->params, n, val;
		while (v->params.p && sip_param_next(&rest, &n, &val)) {
			if (!pl_strcasecmp(&n, "received"))
				continue;
			sip_buf_append(b, ";", 1);
			sip_buf_pl(b, &n);
			if (!pl_strcasecmp(&n, "rport") && src->peer.ss_family) {
				sip_buf_append(b, "=", 1);
				buf_u32(b, sip_sa_port(&src->peer));
				continue;
			}
			if (val.l) {
				sip_buf_append(b, "=", 1);
				sip_buf_pl(b, &val);
			}
		}
		if (need) {
			sip_buf_append(b, ";received=", 10);
			sip_buf_str(b, ip);
		}
		const char *vend = v->val.p + v->val.l;
		const char *hend = h->val.p + h->val.l;
		sip_buf_append(b, vend, (size_t)(hend - vend));
		sip_buf_append(b, "\r\n", 2);
	}
	copy_hdrs(b, req, SIP_HDR_FROM);
	const struct sip_hdr *to = sip_msg_hdr(req, SIP_HDR_TO);
	if (to) {
		sip_buf_append(b, "To: ", 4);
		sip_buf_pl(b, &to->val);
		if (!req->to.tag.p && opt->to_tag && code > 100) {
			sip_buf_append(b, ";tag=", 5);
			sip_buf_str(b, opt->to_tag);
		}
		sip_buf_append(b, "\r\n", 2);
	}
	buf_hdr(b, "Call-ID", &req->call_id);
	const struct sip_hdr *cs = sip_msg_hdr(req, SIP_HDR_CSEQ);
	if (cs)
		buf_hdr(b, "CSeq", &cs->val);
	if (opt->record_route && code > 100 && code < 300)
		copy_hdrs(b, req, SIP_HDR_RECORD_ROUTE);
	if (opt->hdrs)
		sip_buf_str(b, opt->hdrs);
	if (opt->ctype && opt->body_len) {
		sip_buf_append(b, "Content-Type: ", 14);
		sip_buf_str(b, opt->ctype);
		sip_buf_append(b, "\r\n", 2);
	}
	sip_buf_append(b, "Content-Length: ", 16);
	buf_u32(b, (uint32_t)opt->body_len);
	sip_buf_append(b, "\r\n\r\n", 4);
	if (opt->body_len)
		sip_buf_append(b, opt->body, opt->body_len);
	return sip_buf_err(b);
}

/* ---- misc ---- */

/* Per-thread PRNG for branch tokens (xorshift64*, seeded by getrandom). */
static __thread uint64_t rnd_state;

static uint64_t rnd64(void)
{
	if (!rnd_state) {
		if (getrandom(&rnd_state, sizeof(rnd_state), 0) !=
		    (ssize_t)sizeof(rnd_state))
			rnd_state = (uint64_t)(uintptr_t)&rnd_state ^ 0x9e3779b97f4a7c15ull;
		rnd_state |= 1;
	}
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 2685821657736338717ull;
}

size_t sip_tsx_branch(char *buf, size_t sz)
{
	int n = snprintf(buf, sz, COOKIE "%016llx%08x",
			 (unsigned long long)rnd64(), (unsigned)rnd64());
	return n < 0 ? 0 : ((size_t)n < sz ? (size_t)n : sz - 1);
}

size_t sip_tsx_token(char *buf, size_t sz)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t r = rnd64();
	size_t n = 0;
	if (!sz)
		return 0;
	for (; n < 16 && n + 1 < sz; n++, r >>= 4)
		buf[n] = hex[r & 15];
	buf[n] = '\0';
	return n;
}

int sip_tsx_send_stateless(struct sip_tsxl *tl, const struct sip_tp_addr *dst,
			   const char *buf, size_t len)
{
	return tl->sendh(dst, buf, len, NULL, tl->arg);
}

void sip_tsxl_conn_failed(struct sip_tsxl *tl, uint64_t conn, int err)
{
	if (!conn)
		return;
	struct sip_tsx *t = tl->ctab[conn % CTAB_SIZE];
	while (t) {
		struct sip_tsx *next = t->cnext;
		if (t->cconn != conn || t->state == SIP_TSX_TERMINATED ||
		    t->state == SIP_TSX_COMPLETED ||
		    t->state == SIP_TSX_CONFIRMED) {
			t = next;
			continue;
		}
		if (t->type == SIP_TSX_ICT || t->type == SIP_TSX_NICT) {
			if (t->state != SIP_TSX_ACCEPTED)
				client_end(t, err ? err : ECONNRESET);
		} else if (t->type != TSX_2XX && !t->final_sent) {
			/* §18.2.2: responses can still go over a new
			   connection; only forget the old one */
			t->dst.conn = 0;
			conn_index(t);
		}
		t = next;
	}
}

enum sip_tsx_type sip_tsx_type(const struct sip_tsx *tsx)
{
	return (enum sip_tsx_type)tsx->type;
}

enum sip_tsx_state sip_tsx_state(const struct sip_tsx *tsx)
{
	return tsx->state;
}

const struct sip_tp_addr *sip_tsx_dst(const struct sip_tsx *tsx)
{
	return &tsx->dst;
}

struct pl sip_tsx_branch_pl(const struct sip_tsx *tsx)
{
	return tsx->branch;
}

struct pl sip_tsx_method(const struct sip_tsx *tsx)
{
	return tsx->method;
}

void sip_tsx_set_user(struct sip_tsx *tsx, void *user)
{
	tsx->user = user;
}

void *sip_tsx_user(const struct sip_tsx *tsx)
{
	return tsx->user;
}

uint16_t sip_tsx_status(const struct sip_tsx *tsx)
{
	return tsx->status;
}
