/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFC 3263 §4 target resolution (§4.1 transport selection with NAPTR and
 * the SRV fallback, §4.2 port and address), RFC 2782 SRV ordering
 * (priority, then weighted random selection), on c-ares driven by a libuv
 * loop: c-ares reports its sockets through the socket state callback and
 * each gets a uv_poll handle; one uv timer serves c-ares' own timeouts and
 * each query has a timer bounding the whole resolution.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ares.h>
#include <openssl/rand.h>

#include "base/log.h"
#include "sip/dns.h"

#define DNS_CLASS_IN 1
#define DNS_TYPE_SRV 33
#define DNS_TYPE_NAPTR 35

#define MAX_SETS 6      /* SRV names per query (NAPTRs or transports) */
#define MAX_SRV 16      /* SRV records kept per name */
#define MAX_HOSTS 24    /* distinct names looked up for addresses */
#define MAX_ADDR 8      /* addresses kept per name */
#define MAX_SOCKS 32    /* c-ares sockets at once */

enum stage {
	ST_NAPTR,
	ST_SRV,
	ST_ADDR,
};

struct host {
	struct sip_dns_query *q;
	char name[SIP_DNS_NAME_MAX];
	struct sockaddr_storage addrv[MAX_ADDR];
	size_t naddr;
};

struct srv_rec {
	char target[SIP_DNS_NAME_MAX];
	uint16_t port;
	uint16_t prio;
	uint16_t weight;
	int host;               /* index in q->hostv, -1 = none */
};

struct srv_set {
	struct sip_dns_query *q;
	enum sip_dns_tp tp;
	char name[SIP_DNS_NAME_MAX];
	struct srv_rec recv[MAX_SRV];
	size_t nrec;
};

struct sip_dns_query {
	struct sip_dns_query *next;
	struct sip_dns_query *prev;
	struct sip_dns *dns;    /* NULL once finished */
	uv_timer_t timer;
	enum stage stage;
	sip_dns_h *h;
	void *arg;
	char host[SIP_DNS_NAME_MAX];
	uint16_t port;
	enum sip_dns_tp tp;
	bool sips;
	unsigned pending;       /* c-ares requests not yet answered */
	unsigned issuing;       /* > 0 while starting a batch of requests */
	bool finished;
	bool starting;          /* inside sip_dns_resolve() */
	bool complete;          /* result ready, delivery deferred */
	bool in_handler;
	bool timer_closed;
	bool numeric;
	struct sip_dns_target numeric_target;
	struct srv_set setv[MAX_SETS];
	size_t nset;
	struct host hostv[MAX_HOSTS];
	size_t nhost;
	int fb_host;            /* ST_ADDR: host looked up directly */
	enum sip_dns_tp fb_tp;
	uint16_t fb_port;
};

struct dns_sock {
	ares_socket_t fd;
	uv_poll_t *poll;
};

struct sip_dns {
	uv_loop_t *loop;
	ares_channel ch;
	uv_timer_t timer;       /* c-ares timeouts */
	struct sip_dns_conf conf;
	char servers[512];
	struct dns_sock sockv[MAX_SOCKS];
	struct sip_dns_query *queries;
	unsigned busy;          /* nesting depth of our callbacks */
	bool dying;
	uint64_t rng;
};

const char *sip_dns_tp_name(enum sip_dns_tp tp)
{
	switch (tp) {
	case SIP_DNS_TP_UDP: return "UDP";
	case SIP_DNS_TP_TCP: return "TCP";
	case SIP_DNS_TP_TLS: return "TLS";
	default: return "any";
	}
}

static uint16_t default_port(enum sip_dns_tp tp)
{
	return tp == SIP_DNS_TP_TLS ? 5061 : 5060;
}

static uint64_t rng_next(struct sip_dns *dns)
{
	/* xorshift64*: only used to spread load over SRV weights */
	uint64_t x = dns->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	dns->rng = x;
	return x * 2685821657736338717ull;
}

/* ---- c-ares <-> libuv ------------------------------------------------- */

static void dns_destroy(struct sip_dns *dns);

static void dns_enter(struct sip_dns *dns)
{
	dns->busy++;
}

static void dns_leave(struct sip_dns *dns)
{
	if (--dns->busy == 0 && dns->dying)
		dns_destroy(dns);
}

static void ares_timer_cb(uv_timer_t *t);

static void dns_resched(struct sip_dns *dns)
{
	struct timeval tv, *tvp;

	if (dns->dying)
		return;
	tvp = ares_timeout(dns->ch, NULL, &tv);
	if (!tvp) {
		uv_timer_stop(&dns->timer);
		return;
	}
	uint64_t ms = (uint64_t)tvp->tv_sec * 1000 + (uint64_t)(tvp->tv_usec + 999) / 1000;
	uv_timer_start(&dns->timer, ares_timer_cb, ms ? ms : 1, 0);
}

static void ares_timer_cb(uv_timer_t *t)
{
	struct sip_dns *dns = t->data;

	dns_enter(dns);
	ares_process_fd(dns->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_resched(dns);
	dns_leave(dns);
}

static void poll_closed(uv_handle_t *h)
{
	free(h);
}

static void poll_cb(uv_poll_t *p, int status, int events)
{
	struct sip_dns *dns = p->data;
	ares_socket_t fd = ARES_SOCKET_BAD;

	for (size_t i = 0; i < MAX_SOCKS; i++) {
		if (dns->sockv[i].poll == p)
			fd = dns->sockv[i].fd;
	}
	if (fd == ARES_SOCKET_BAD)
		return;
	dns_enter(dns);
	if (status < 0) {
		/* let c-ares see the error on its socket */
		ares_process_fd(dns->ch, fd, fd);
	} else {
		ares_process_fd(dns->ch,
				(events & UV_READABLE) ? fd : ARES_SOCKET_BAD,
				(events & UV_WRITABLE) ? fd : ARES_SOCKET_BAD);
	}
	dns_resched(dns);
	dns_leave(dns);
}

static void sock_state_cb(void *data, ares_socket_t fd, int readable,
			  int writable)
{
	struct sip_dns *dns = data;
	struct dns_sock *s = NULL, *empty = NULL;

	for (size_t i = 0; i < MAX_SOCKS; i++) {
		if (dns->sockv[i].poll && dns->sockv[i].fd == fd)
			s = &dns->sockv[i];
		else if (!dns->sockv[i].poll && !empty)
			empty = &dns->sockv[i];
	}
	if (!readable && !writable) {
		if (s) {
			uv_poll_stop(s->poll);
			uv_close((uv_handle_t *)s->poll, poll_closed);
			s->poll = NULL;
			s->fd = ARES_SOCKET_BAD;
		}
		return;
	}
	if (!s) {
		uv_poll_t *p;
		if (!empty || dns->dying) {
			LOGW("dns", "too many resolver sockets, fd %d not polled",
			     (int)fd);
			return;
		}
		p = calloc(1, sizeof(*p));
		if (!p || uv_poll_init(dns->loop, p, fd)) {
			free(p);
			LOGE("dns", "cannot poll resolver socket %d", (int)fd);
			return;
		}
		p->data = dns;
		empty->poll = p;
		empty->fd = fd;
		s = empty;
	}
	uv_poll_start(s->poll, (readable ? UV_READABLE : 0) |
				       (writable ? UV_WRITABLE : 0),
		      poll_cb);
}

/* ---- query bookkeeping ------------------------------------------------- */

static void q_maybe_free(struct sip_dns_query *q)
{
	if (q->finished && !q->in_handler && q->timer_closed && !q->pending)
		free(q);
}

static void q_timer_closed(uv_handle_t *h)
{
	struct sip_dns_query *q = h->data;
	q->timer_closed = true;
	q_maybe_free(q);
}

static void q_unlink(struct sip_dns_query *q)
{
	struct sip_dns *dns = q->dns;

	if (q->prev)
		q->prev->next = q->next;
	else if (dns->queries == q)
		dns->queries = q->next;
	if (q->next)
		q->next->prev = q->prev;
	q->next = q->prev = NULL;
}

static void push_target(struct sip_dns_target *tv, size_t *n,
			enum sip_dns_tp tp, const struct sockaddr_storage *sa,
			uint16_t port, const char *name)
{
	struct sip_dns_target *t;

	if (*n == SIP_DNS_MAX_TARGETS)
		return;
	t = &tv[(*n)++];
	memset(t, 0, sizeof(*t));
	t->tp = tp;
	t->addr = *sa;
	if (sa->ss_family == AF_INET)
		((struct sockaddr_in *)&t->addr)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&t->addr)->sin6_port = htons(port);
	strcpy(t->name, name);
}

/* End the query: build the target list, call the handler (unless
 * cancelled), and let go of the resolver. */
static void q_finish(struct sip_dns_query *q, int err, bool notify)
{
	struct sip_dns_target *tv = NULL;
	size_t n = 0;

	if (q->finished)
		return;
	q->finished = true;
	q_unlink(q);
	q->dns = NULL;
	uv_close((uv_handle_t *)&q->timer, q_timer_closed);
	if (!notify || !q->h)
		goto out;

	tv = calloc(SIP_DNS_MAX_TARGETS, sizeof(*tv));
	if (!tv) {
		err = ENOMEM;
	} else if (q->numeric) {
		tv[n++] = q->numeric_target;
	} else if (q->stage == ST_ADDR && q->fb_host >= 0) {
		const struct host *hp = &q->hostv[q->fb_host];
		for (size_t i = 0; i < hp->naddr; i++)
			push_target(tv, &n, q->fb_tp, &hp->addrv[i], q->fb_port,
				    hp->name);
	} else {
		for (size_t s = 0; s < q->nset; s++) {
			const struct srv_set *set = &q->setv[s];
			for (size_t r = 0; r < set->nrec; r++) {
				const struct srv_rec *rec = &set->recv[r];
				if (rec->host < 0)
					continue;
				const struct host *hp = &q->hostv[rec->host];
				for (size_t i = 0; i < hp->naddr; i++)
					push_target(tv, &n, set->tp, &hp->addrv[i],
						    rec->port, rec->target);
			}
		}
	}
	if (!err && !n)
		err = ENOENT;
	q->in_handler = true;
	q->h(err, tv, n, q->arg);
	q->in_handler = false;
out:
	free(tv);
	q_maybe_free(q);
}

static void q_step(struct sip_dns_query *q);
static void q_timer_cb(uv_timer_t *t);

/* ---- address lookups --------------------------------------------------- */

static void addr_cb(void *arg, int status, int timeouts,
		    struct ares_addrinfo *res)
{
	struct host *hp = arg;
	struct sip_dns_query *q = hp->q;

	(void)timeouts;
	q->pending--;
	if (status == ARES_SUCCESS && res && !q->finished) {
		for (struct ares_addrinfo_node *n = res->nodes; n; n = n->ai_next) {
			if (hp->naddr == MAX_ADDR)
				break;
			if (n->ai_family == AF_INET &&
			    n->ai_addrlen >= sizeof(struct sockaddr_in)) {
				memset(&hp->addrv[hp->naddr], 0,
				       sizeof(hp->addrv[0]));
				memcpy(&hp->addrv[hp->naddr++], n->ai_addr,
				       sizeof(struct sockaddr_in));
			} else if (n->ai_family == AF_INET6 &&
				   n->ai_addrlen >= sizeof(struct sockaddr_in6)) {
				memset(&hp->addrv[hp->naddr], 0,
				       sizeof(hp->addrv[0]));
				memcpy(&hp->addrv[hp->naddr++], n->ai_addr,
				       sizeof(struct sockaddr_in6));
			}
		}
	}
	if (res)
		ares_freeaddrinfo(res);
	if (q->finished) {
		q_maybe_free(q);
		return;
	}
	q_step(q);
}

/* Index of the host entry for name, starting its lookup if new; -1 when
 * the table is full. */
static int host_lookup(struct sip_dns_query *q, const char *name)
{
	struct ares_addrinfo_hints hints;
	struct host *hp;

	for (size_t i = 0; i < q->nhost; i++) {
		if (!strcasecmp(q->hostv[i].name, name))
			return (int)i;
	}
	if (q->nhost == MAX_HOSTS || strlen(name) >= SIP_DNS_NAME_MAX)
		return -1;
	hp = &q->hostv[q->nhost];
	memset(hp, 0, sizeof(*hp));
	hp->q = q;
	strcpy(hp->name, name);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = q->dns->conf.family;
	/* with both families, c-ares orders them by RFC 6724 */
	q->pending++;
	ares_getaddrinfo(q->dns->ch, name, NULL, &hints, addr_cb, hp);
	return (int)q->nhost++;
}

/* ---- SRV ---------------------------------------------------------------- */

/* RFC 2782: by priority, then weighted random order within a priority. */
static void srv_order(struct sip_dns *dns, struct srv_rec *v, size_t n)
{
	struct srv_rec tmp;

	for (size_t i = 1; i < n; i++) {
		for (size_t j = i; j > 0 && v[j - 1].prio > v[j].prio; j--) {
			tmp = v[j];
			v[j] = v[j - 1];
			v[j - 1] = tmp;
		}
	}
	for (size_t a = 0; a < n;) {
		size_t b = a;
		while (b < n && v[b].prio == v[a].prio)
			b++;
		/* zero weights first (stable), as RFC 2782 asks */
		for (size_t i = a + 1; i < b; i++) {
			for (size_t j = i; j > a && v[j].weight == 0 &&
					   v[j - 1].weight != 0; j--) {
				tmp = v[j];
				v[j] = v[j - 1];
				v[j - 1] = tmp;
			}
		}
		for (size_t pos = a; pos + 1 < b; pos++) {
			uint32_t sum = 0, run = 0;
			size_t pick = pos;
			for (size_t i = pos; i < b; i++)
				sum += v[i].weight;
			uint32_t r = (uint32_t)(rng_next(dns) % ((uint64_t)sum + 1));
			for (size_t i = pos; i < b; i++) {
				run += v[i].weight;
				if (run >= r) {
					pick = i;
					break;
				}
			}
			tmp = v[pick];
			memmove(&v[pos + 1], &v[pos], (pick - pos) * sizeof(*v));
			v[pos] = tmp;
		}
		a = b;
	}
}

static void srv_cb(void *arg, int status, int timeouts, unsigned char *abuf,
		   int alen)
{
	struct srv_set *set = arg;
	struct sip_dns_query *q = set->q;
	struct ares_srv_reply *srv = NULL;

	(void)timeouts;
	q->pending--;
	if (q->finished) {
		q_maybe_free(q);
		return;
	}
	if (status == ARES_SUCCESS &&
	    ares_parse_srv_reply(abuf, alen, &srv) == ARES_SUCCESS) {
		for (struct ares_srv_reply *r = srv; r; r = r->next) {
			/* target "." : the service is decidedly not there */
			if (!r->host[0] || !strcmp(r->host, "."))
				continue;
			if (set->nrec == MAX_SRV ||
			    strlen(r->host) >= SIP_DNS_NAME_MAX)
				continue;
			struct srv_rec *rec = &set->recv[set->nrec++];
			strcpy(rec->target, r->host);
			rec->port = r->port;
			rec->prio = r->priority;
			rec->weight = r->weight;
			rec->host = -1;
		}
		ares_free_data(srv);
		srv_order(q->dns, set->recv, set->nrec);
		q->issuing++;
		for (size_t i = 0; i < set->nrec; i++)
			set->recv[i].host = host_lookup(q, set->recv[i].target);
		q->issuing--;
	}
	q_step(q);
}

static void add_set(struct sip_dns_query *q, enum sip_dns_tp tp,
		    const char *name)
{
	struct srv_set *set;

	if (q->nset == MAX_SETS || strlen(name) >= SIP_DNS_NAME_MAX)
		return;
	for (size_t i = 0; i < q->nset; i++) {
		if (q->setv[i].tp == tp && !strcasecmp(q->setv[i].name, name))
			return;
	}
	set = &q->setv[q->nset++];
	memset(set, 0, sizeof(*set));
	set->q = q;
	set->tp = tp;
	strcpy(set->name, name);
}

static bool tp_ok(const struct sip_dns_query *q, enum sip_dns_tp tp)
{
	unsigned mask = q->dns->conf.tp_mask;
	if (q->sips && tp != SIP_DNS_TP_TLS)
		return false;
	return (mask & (1u << tp)) != 0;
}

/* SRV names of RFC 3263 §4.1 when there are no NAPTR records, or when
 * the transport is known. */
static void add_default_sets(struct sip_dns_query *q)
{
	static const struct {
		enum sip_dns_tp tp;
		const char *prefix;
	} tab[] = {
		{ SIP_DNS_TP_UDP, "_sip._udp." },
		{ SIP_DNS_TP_TCP, "_sip._tcp." },
		{ SIP_DNS_TP_TLS, "_sips._tcp." },
	};
	char name[SIP_DNS_NAME_MAX + 16];

	for (size_t i = 0; i < 3; i++) {
		if (q->tp != SIP_DNS_TP_ANY && q->tp != tab[i].tp)
			continue;
		if (!tp_ok(q, tab[i].tp))
			continue;
		snprintf(name, sizeof(name), "%s%s", tab[i].prefix, q->host);
		add_set(q, tab[i].tp, name);
	}
}

static void start_srv(struct sip_dns_query *q)
{
	q->stage = ST_SRV;
	q->issuing++;
	for (size_t i = 0; i < q->nset; i++) {
		q->pending++;
		ares_query(q->dns->ch, q->setv[i].name, DNS_CLASS_IN,
			   DNS_TYPE_SRV, srv_cb, &q->setv[i]);
	}
	q->issuing--;
}

static void start_addr(struct sip_dns_query *q)
{
	q->stage = ST_ADDR;
	if (q->tp != SIP_DNS_TP_ANY)
		q->fb_tp = q->tp;
	else if (q->sips)
		q->fb_tp = SIP_DNS_TP_TLS;
	else if (tp_ok(q, SIP_DNS_TP_UDP))
		q->fb_tp = SIP_DNS_TP_UDP;
	else if (tp_ok(q, SIP_DNS_TP_TCP))
		q->fb_tp = SIP_DNS_TP_TCP;
	else
		q->fb_tp = SIP_DNS_TP_TLS;
	q->fb_port = q->port ? q->port : default_port(q->fb_tp);
	q->issuing++;
	q->fb_host = host_lookup(q, q->host);
	q->issuing--;
}

/* ---- NAPTR -------------------------------------------------------------- */

static void naptr_cb(void *arg, int status, int timeouts, unsigned char *abuf,
		     int alen)
{
	struct sip_dns_query *q = arg;
	struct ares_naptr_reply *naptr = NULL;
	struct {
		uint16_t order, pref;
		enum sip_dns_tp tp;
		const char *repl;
	} use[MAX_SETS];
	size_t nuse = 0;

	(void)timeouts;
	q->pending--;
	if (q->finished) {
		q_maybe_free(q);
		return;
	}
	if (status == ARES_SUCCESS &&
	    ares_parse_naptr_reply(abuf, alen, &naptr) == ARES_SUCCESS) {
		for (struct ares_naptr_reply *r = naptr; r; r = r->next) {
			const char *svc = (const char *)r->service;
			const char *flags = (const char *)r->flags;
			enum sip_dns_tp tp;

			if (strcasecmp(flags, "s") || !r->replacement ||
			    !r->replacement[0])
				continue;
			if (!strcasecmp(svc, "SIP+D2U"))
				tp = SIP_DNS_TP_UDP;
			else if (!strcasecmp(svc, "SIP+D2T"))
				tp = SIP_DNS_TP_TCP;
			else if (!strcasecmp(svc, "SIPS+D2T"))
				tp = SIP_DNS_TP_TLS;
			else
				continue;
			if (!tp_ok(q, tp) || nuse == MAX_SETS)
				continue;
			use[nuse].order = r->order;
			use[nuse].pref = r->preference;
			use[nuse].tp = tp;
			use[nuse].repl = r->replacement;
			/* insertion by (order, preference) */
			for (size_t j = nuse; j > 0 &&
			     (use[j - 1].order > use[j].order ||
			      (use[j - 1].order == use[j].order &&
			       use[j - 1].pref > use[j].pref)); j--) {
				typeof(use[0]) t = use[j];
				use[j] = use[j - 1];
				use[j - 1] = t;
			}
			nuse++;
		}
		for (size_t i = 0; i < nuse; i++)
			add_set(q, use[i].tp, use[i].repl);
	}
	if (naptr)
		ares_free_data(naptr);
	if (!q->nset)
		add_default_sets(q);
	if (q->nset)
		start_srv(q);
	else
		start_addr(q);
	q_step(q);
}

/* Move on when every request of the current stage has been answered. */
static void q_step(struct sip_dns_query *q)
{
	bool any = false;

	if (q->finished || q->issuing || q->pending)
		return;
	if (q->stage == ST_SRV) {
		for (size_t i = 0; i < q->nset; i++)
			any |= q->setv[i].nrec > 0;
		if (!any) {
			/* no SRV at all: A/AAAA of the host itself (§4.2) */
			start_addr(q);
			if (q->pending)
				return;
		}
	}
	if (q->starting) {
		/* never call the handler from inside sip_dns_resolve() */
		q->complete = true;
		uv_timer_start(&q->timer, q_timer_cb, 0, 0);
		return;
	}
	q_finish(q, 0, true);
}

static void q_timer_cb(uv_timer_t *t)
{
	struct sip_dns_query *q = t->data;
	struct sip_dns *dns = q->dns;

	dns_enter(dns);
	q_finish(q, q->numeric || q->complete ? 0 : ETIMEDOUT, true);
	dns_leave(dns);
}

/* ---- public ------------------------------------------------------------- */

int sip_dns_alloc(struct sip_dns **dnsp, uv_loop_t *loop,
		  const struct sip_dns_conf *conf)
{
	struct ares_options opt;
	struct sip_dns *dns;
	int optmask, err = 0;

	if (!dnsp || !loop || !conf)
		return EINVAL;
	if (conf->family != AF_UNSPEC && conf->family != AF_INET &&
	    conf->family != AF_INET6)
		return EINVAL;
	if (conf->servers && strlen(conf->servers) >= sizeof(dns->servers))
		return EINVAL;
	dns = calloc(1, sizeof(*dns));
	if (!dns)
		return ENOMEM;
	dns->loop = loop;
	dns->conf = *conf;
	if (conf->servers) {
		strcpy(dns->servers, conf->servers);
		dns->conf.servers = dns->servers;
	}
	if (!dns->conf.timeout_ms)
		dns->conf.timeout_ms = 5000;
	if (!dns->conf.tp_mask)
		dns->conf.tp_mask = (1u << SIP_DNS_TP_UDP) | (1u << SIP_DNS_TP_TCP) |
				    (1u << SIP_DNS_TP_TLS);
	for (size_t i = 0; i < MAX_SOCKS; i++)
		dns->sockv[i].fd = ARES_SOCKET_BAD;
	dns->rng = conf->seed;
	if (!dns->rng && RAND_bytes((unsigned char *)&dns->rng,
				    sizeof(dns->rng)) != 1)
		dns->rng = (uint64_t)uv_hrtime();
	if (!dns->rng)
		dns->rng = 0x9e3779b97f4a7c15ull;

	memset(&opt, 0, sizeof(opt));
	opt.sock_state_cb = sock_state_cb;
	opt.sock_state_cb_data = dns;
	opt.flags = ARES_FLAG_NOSEARCH;
	opt.lookups = dns->conf.use_hosts ? (char *)"fb" : (char *)"b";
	/* per-try timeout; the query timer bounds the whole resolution */
	opt.timeout = (int)(dns->conf.timeout_ms / 3 ? dns->conf.timeout_ms / 3 : 1);
	opt.tries = 2;
	optmask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_FLAGS | ARES_OPT_LOOKUPS |
		  ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
	if (ares_init_options(&dns->ch, &opt, optmask) != ARES_SUCCESS) {
		free(dns);
		return EIO;
	}
	if (dns->conf.servers &&
	    ares_set_servers_ports_csv(dns->ch, dns->conf.servers) !=
		    ARES_SUCCESS) {
		err = EINVAL;
		goto out;
	}
	if (uv_timer_init(loop, &dns->timer)) {
		err = EIO;
		goto out;
	}
	dns->timer.data = dns;
	*dnsp = dns;
	return 0;
out:
	ares_destroy(dns->ch);
	free(dns);
	return err;
}

static void dns_timer_closed(uv_handle_t *h)
{
	free(h->data);
}

static void dns_destroy(struct sip_dns *dns)
{
	/* cancels outstanding requests: their callbacks run now */
	ares_destroy(dns->ch);
	for (size_t i = 0; i < MAX_SOCKS; i++) {
		if (dns->sockv[i].poll) {
			uv_poll_stop(dns->sockv[i].poll);
			uv_close((uv_handle_t *)dns->sockv[i].poll, poll_closed);
			dns->sockv[i].poll = NULL;
		}
	}
	uv_close((uv_handle_t *)&dns->timer, dns_timer_closed);
}

void sip_dns_free(struct sip_dns *dns)
{
	if (!dns || dns->dying)
		return;
	while (dns->queries)
		q_finish(dns->queries, 0, false);
	dns->dying = true;
	uv_timer_stop(&dns->timer);
	if (!dns->busy)
		dns_destroy(dns);
}

void sip_dns_cancel(struct sip_dns_query *q)
{
	if (q && !q->finished)
		q_finish(q, 0, false);
}

int sip_dns_resolve(struct sip_dns *dns, struct sip_dns_query **qp,
		    const struct pl *host, uint16_t port, enum sip_dns_tp tp,
		    bool sips, sip_dns_h *h, void *arg)
{
	struct sip_dns_query *q;
	struct pl hp;
	unsigned char buf[sizeof(struct in6_addr)];

	if (!dns || dns->dying || !host || !host->p || !h ||
	    (unsigned)tp > SIP_DNS_TP_ANY)
		return EINVAL;
	hp = *host;
	if (hp.l >= 2 && hp.p[0] == '[' && hp.p[hp.l - 1] == ']') {
		hp.p++;
		hp.l -= 2;
	}
	if (!hp.l || hp.l >= SIP_DNS_NAME_MAX)
		return EINVAL;
	for (size_t i = 0; i < hp.l; i++) {
		unsigned char c = (unsigned char)hp.p[i];
		if (c <= ' ' || c >= 0x7f)
			return EINVAL;
	}
	if (sips && tp != SIP_DNS_TP_ANY && tp != SIP_DNS_TP_TLS &&
	    tp != SIP_DNS_TP_TCP)
		return EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return ENOMEM;
	if (uv_timer_init(dns->loop, &q->timer)) {
		free(q);
		return ENOMEM;
	}
	q->timer.data = q;
	q->dns = dns;
	q->h = h;
	q->arg = arg;
	pl_strcpy(&hp, q->host, sizeof(q->host));
	q->port = port;
	q->sips = sips;
	/* sips over "tcp" is TLS (RFC 3261 §26.2.2) */
	q->tp = sips && tp != SIP_DNS_TP_ANY ? SIP_DNS_TP_TLS : tp;
	q->fb_host = -1;
	q->next = dns->queries;
	if (dns->queries)
		dns->queries->prev = q;
	dns->queries = q;

	if (inet_pton(AF_INET, q->host, buf) == 1 ||
	    inet_pton(AF_INET6, q->host, buf) == 1) {
		/* §4.1/§4.2: numeric address, no lookup */
		struct sockaddr_storage ss;
		enum sip_dns_tp t = q->tp != SIP_DNS_TP_ANY ? q->tp :
				    sips ? SIP_DNS_TP_TLS : SIP_DNS_TP_UDP;
		memset(&ss, 0, sizeof(ss));
		if (inet_pton(AF_INET, q->host, buf) == 1) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
			sin->sin_family = AF_INET;
			memcpy(&sin->sin_addr, buf, 4);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
			sin6->sin6_family = AF_INET6;
			memcpy(&sin6->sin6_addr, buf, 16);
		}
		size_t n = 0;
		q->numeric = true;
		push_target(&q->numeric_target, &n, t, &ss,
			    port ? port : default_port(t), q->host);
		/* delivered from the loop, like every other result */
		uv_timer_start(&q->timer, q_timer_cb, 0, 0);
	} else {
		uv_timer_start(&q->timer, q_timer_cb, dns->conf.timeout_ms, 0);
		dns_enter(dns);
		q->starting = true;
		q->issuing++;
		if (port) {
			start_addr(q);           /* §4.2: port given, no SRV */
		} else if (q->tp != SIP_DNS_TP_ANY) {
			add_default_sets(q);     /* §4.1: transport known */
			if (q->nset)
				start_srv(q);
			else
				start_addr(q);
		} else {
			q->stage = ST_NAPTR;
			q->pending++;
			ares_query(dns->ch, q->host, DNS_CLASS_IN,
				   DNS_TYPE_NAPTR, naptr_cb, q);
		}
		q->issuing--;
		q_step(q);
		q->starting = false;
		dns_resched(dns);
		dns_leave(dns);
	}
	if (qp)
		*qp = q->finished ? NULL : q;
	return 0;
}
