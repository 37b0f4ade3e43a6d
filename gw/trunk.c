/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP trunks: configuration, inbound ACLs and the OPTIONS keepalive
 * (see trunk.h). Each trunk owns one libuv timer; a probe is one
 * non-INVITE client transaction (RFC 3261 §17.1.2) whose outcome moves
 * the trunk between up and down.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "base/log.h"
#include "gw/conf.h"
#include "gw/trunk.h"
#include "sip/msg.h"
#include "sip/reg.h"
#include "sip/tsx.h"
#include "sip/ua.h"

struct trunk {
	struct gw_trunk_cfg cfg;
	struct gw_trunks *set;
	uv_timer_t timer;
	bool timer_init;
	struct sip_tsx *probe;
	enum gw_trunk_state state;
	uint32_t fails;        /* consecutive */
	uint32_t cseq;
	char call_id[40];
	char from_tag[20];
	struct gw_trunk_stats st;
	struct sip_reg *reg;   /* register = yes, once started */
};

struct gw_trunks {
	struct trunk *t;
	size_t n;
	uv_loop_t *loop;
	struct sip_ua *ua;
	unsigned closing;      /* timers still closing */
	bool freed;
};

static const char *const state_names[] = { "unknown", "up", "down" };

const char *gw_trunk_state_name(enum gw_trunk_state st)
{
	return (unsigned)st < 3 ? state_names[st] : "?";
}

int gw_acl_parse(const char *s, struct gw_acl_entry *e)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t l = slash ? (size_t)(slash - s) : strlen(s);
	long bits;

	memset(e, 0, sizeof(*e));
	if (l == 0 || l >= sizeof(addr))
		return EINVAL;
	memcpy(addr, s, l);
	addr[l] = '\0';
	if (inet_pton(AF_INET, addr, e->addr) == 1) {
		e->af = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, addr, e->addr) == 1) {
		e->af = AF_INET6;
		bits = 128;
	} else {
		return EINVAL;
	}
	if (slash) {
		char *end;
		long b = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end || b < 0 || b > bits)
			return EINVAL;
		bits = b;
	}
	e->bits = (unsigned)bits;
	return 0;
}

bool gw_acl_match(const struct gw_acl_entry *e,
		  const struct sockaddr_storage *sa)
{
	const uint8_t *a;
	uint8_t mapped[16];
	unsigned full, rem;

	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		if (e->af != AF_INET)
			return false;
		a = (const uint8_t *)&s4->sin_addr;
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		a = (const uint8_t *)&s6->sin6_addr;
		if (e->af == AF_INET) {
			/* an IPv4-mapped IPv6 source matches IPv4 entries */
			static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0,
							 0, 0, 0, 0, 0xff, 0xff };
			if (memcmp(a, pfx, 12))
				return false;
			memcpy(mapped, a + 12, 4);
			a = mapped;
		}
	} else {
		return false;
	}
	full = e->bits / 8;
	rem = e->bits % 8;
	if (memcmp(a, e->addr, full))
		return false;
	if (rem) {
		uint8_t mask = (uint8_t)(0xff << (8 - rem));
		if ((a[full] & mask) != (e->addr[full] & mask))
			return false;
	}
	return true;
}

static int parse_address(const char *s, struct gw_trunk_cfg *c)
{
	const char *host = s, *portp = NULL;
	size_t hl;
	char *end;

	if (*s == '[') {
		const char *rb = strchr(s, ']');
		if (!rb)
			return EINVAL;
		host = s + 1;
		hl = (size_t)(rb - host);
		if (rb[1] == ':')
			portp = rb + 2;
		else if (rb[1])
			return EINVAL;
	} else {
		const char *colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			return EINVAL; /* bare IPv6: needs brackets */
		hl = colon ? (size_t)(colon - s) : strlen(s);
		portp = colon ? colon + 1 : NULL;
	}
	if (hl == 0 || hl >= sizeof(c->host))
		return EINVAL;
	memcpy(c->host, host, hl);
	c->host[hl] = '\0';
	c->port = 5060;
	if (portp) {
		long p = strtol(portp, &end, 10);
		if (end == portp || *end || p < 1 || p > 65535)
			return EINVAL;
		c->port = (uint16_t)p;
	}
	return sip_sa_set(&c->sa, c->host, c->port) ? EINVAL : 0;
}

/* Outbound registration keys (register, username, ...). */
static int trunk_reg_conf(struct gw_conf *conf, const char *sec, struct gw_trunk_cfg *c,
			  struct gw_conf_err *err)
{
	static const struct {
		const char *key;
		size_t off, sz;
	} strs[] = {
		{ "username", offsetof(struct gw_trunk_cfg, reg_user), sizeof(c->reg_user) },
		{ "password", offsetof(struct gw_trunk_cfg, reg_password), sizeof(c->reg_password) },
		{ "auth_user", offsetof(struct gw_trunk_cfg, reg_auth_user), sizeof(c->reg_auth_user) },
		{ "domain", offsetof(struct gw_trunk_cfg, reg_domain), sizeof(c->reg_domain) },
	};
	const char *v;
	long n;
	int ret;

	if ((ret = gw_conf_bool(conf, sec, "register", false, &c->reg, err)))
		return ret;
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		gw_conf_str(conf, sec, strs[i].key, "", &v, err);
		/* all but the password go into URIs and quoted digest parameters */
		if (strlen(v) >= strs[i].sz ||
		    (strcmp(strs[i].key, "password") && strpbrk(v, "\"<>\\ \t;@")))
			return gw_conf_fail(conf, sec, strs[i].key, err,
					    "too long (max %zu) or has one of '\"<>\\;@' or a space",
					    strs[i].sz - 1);
		snprintf((char *)c + strs[i].off, strs[i].sz, "%s", v);
	}
	if ((ret = gw_conf_int(conf, sec, "expires", 10, 86400, 3600, &n, err)))
		return ret;
	c->reg_expires = (uint32_t)n;
	if ((ret = gw_conf_msec(conf, sec, "register_retry", 1000, 600000, 30000, &n, err)))
		return ret;
	c->reg_retry_ms = (uint32_t)n;
	if (!c->reg_auth_user[0])
		snprintf(c->reg_auth_user, sizeof(c->reg_auth_user), "%s", c->reg_user);
	if (!c->reg_domain[0])
		snprintf(c->reg_domain, sizeof(c->reg_domain), "%s%s%s",
			 strchr(c->host, ':') ? "[" : "", c->host, strchr(c->host, ':') ? "]" : "");
	if (c->reg && !c->reg_user[0])
		return gw_conf_fail(conf, sec, "register", err,
				    "register = yes needs 'username' (the AOR user, "
				    "sip:username@domain)");
	return 0;
}

static int trunk_conf(struct gw_conf *conf, const char *sec, const char *name,
		      struct gw_trunk_cfg *c, struct gw_conf_err *err)
{
	static const char *const tps[] = { "udp", "tcp", NULL };
	static const char *const known[] = { "address", "transport", "acl",
					     "keepalive", "keepalive_failures",
					     "causes", "trust_pai", "send_pai",
					     "send_rpid", "redirect_header",
					     "inbound_user", "inbound_password",
					     "register", "username", "password", "auth_user",
					     "domain", "expires", "register_retry", NULL };
	static const char *const tri[] = { "default", "no", "yes", NULL };
	static const char *const redir[] = { "default", "history-info", "diversion", NULL };
	const char *v, *key;
	char buf[1024], *save = NULL, *tok;
	long n;
	int tp, ret;

	memset(c, 0, sizeof(*c));
	if (!*name || strlen(name) >= sizeof(c->name))
		return gw_conf_fail(conf, sec, NULL, err,
				    "a trunk needs a name of 1..%zu characters "
				    "([trunk NAME])", sizeof(c->name) - 1);
	snprintf(c->name, sizeof(c->name), "%s", name);
	for (size_t i = 0; gw_conf_entry(conf, sec, i, &key, NULL, NULL); i++) {
		bool ok = false;
		for (size_t k = 0; known[k]; k++)
			ok |= !strcasecmp(key, known[k]);
		if (!ok) {
			char list[512];
			size_t off = 0;
			for (size_t k = 0; known[k] && off < sizeof(list); k++)
				off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
							k ? ", " : "", known[k]);
			return gw_conf_fail(conf, sec, key, err,
					    "unknown trunk key (known: %s)", list);
		}
	}
	gw_conf_str(conf, sec, "address", NULL, &v, err);
	if (!v)
		return gw_conf_fail(conf, sec, NULL, err,
				    "missing key 'address' (e.g. address = "
				    "192.0.2.10:5060)");
	if (parse_address(v, c))
		return gw_conf_fail(conf, sec, "address", err,
				    "'%s' is not a numeric IPv4 or [IPv6] "
				    "address with an optional :port", v);
	if ((ret = gw_conf_enum(conf, sec, "transport", tps, 0, &tp, err)))
		return ret;
	c->tp = tp ? SIP_TP_TCP : SIP_TP_UDP;
	gw_conf_str(conf, sec, "acl", NULL, &v, err);
	if (v) {
		if (strlen(v) >= sizeof(buf))
			return gw_conf_fail(conf, sec, "acl", err, "too long");
		snprintf(buf, sizeof(buf), "%s", v);
		for (tok = strtok_r(buf, ", \t", &save); tok;
		     tok = strtok_r(NULL, ", \t", &save)) {
			if (c->nacl == GW_TRUNK_MAX_ACL)
				return gw_conf_fail(conf, sec, "acl", err,
						    "at most %d entries",
						    GW_TRUNK_MAX_ACL);
			if (gw_acl_parse(tok, &c->acl[c->nacl]))
				return gw_conf_fail(conf, sec, "acl", err,
						    "'%s' is not ADDRESS[/BITS]",
						    tok);
			c->nacl++;
		}
	} else {
		/* default: exactly the trunk's own address */
		gw_acl_parse(c->host, &c->acl[0]);
		c->nacl = 1;
	}
	if ((ret = gw_conf_msec(conf, sec, "keepalive", 0, 3600000, 30000, &n,
				err)))
		return ret;
	if (n && n < 1000)
		return gw_conf_fail(conf, sec, "keepalive", err,
				    "at least 1s (or 0 to switch it off)");
	c->keepalive_ms = (uint32_t)n;
	if ((ret = gw_conf_int(conf, sec, "keepalive_failures", 1, 100, 3, &n,
			       err)))
		return ret;
	c->keepalive_failures = (uint32_t)n;
	gw_conf_str(conf, sec, "causes", "", &v, err);
	if (strlen(v) >= sizeof(c->causes))
		return gw_conf_fail(conf, sec, "causes", err, "too long");
	snprintf(c->causes, sizeof(c->causes), "%s", v);
	if (v[0]) {
		char cs[GW_TRUNK_NAME + 8];
		snprintf(cs, sizeof(cs), "causes %s", v);
		if (!gw_conf_has_section(conf, cs))
			return gw_conf_fail(conf, sec, "causes", err,
					    "no section [%s]", cs);
		/* the trunk's own Q.850 <-> SIP map, used for its calls */
		ret = gw_cause_map_conf(&c->cause_map, conf, cs, err);
		if (ret)
			return ret;
		c->has_cause_map = true;
	}
	/* digest credentials its INVITEs must carry (we challenge, 401) */
	gw_conf_str(conf, sec, "inbound_user", "", &v, err);
	if (strlen(v) >= sizeof(c->inbound_user) || strpbrk(v, "\"\\"))
		return gw_conf_fail(conf, sec, "inbound_user", err, "too long or has '\"' or '\\'");
	snprintf(c->inbound_user, sizeof(c->inbound_user), "%s", v);
	gw_conf_str(conf, sec, "inbound_password", "", &v, err);
	if (strlen(v) >= sizeof(c->inbound_password))
		return gw_conf_fail(conf, sec, "inbound_password", err, "too long");
	snprintf(c->inbound_password, sizeof(c->inbound_password), "%s", v);
	if (!c->inbound_user[0] != !c->inbound_password[0])
		return gw_conf_fail(conf, sec, c->inbound_user[0] ? "inbound_user" : "inbound_password",
				    err, "inbound_user and inbound_password go together");
	if ((ret = trunk_reg_conf(conf, sec, c, err)))
		return ret;
	/* identity policy: -1 = the [calls] setting, 0 no, 1 yes */
	{
		int t;
		if ((ret = gw_conf_enum(conf, sec, "trust_pai", tri, 2, &t, err)))
			return ret;
		c->trust_pai = t - 1;
		if ((ret = gw_conf_enum(conf, sec, "send_pai", tri, 0, &t, err)))
			return ret;
		c->send_pai = t - 1;
		if ((ret = gw_conf_enum(conf, sec, "send_rpid", tri, 0, &t, err)))
			return ret;
		c->send_rpid = t - 1;
		if ((ret = gw_conf_enum(conf, sec, "redirect_header", redir, 0, &t, err)))
			return ret;
		c->send_diversion = t - 1;
	}
	return 0;
}

int gw_trunks_conf(struct gw_trunks **setp, struct gw_conf *conf,
		   struct gw_conf_err *err)
{
	struct gw_trunks *set;
	const char *sec, *name;
	size_t cap = 0;
	int ret = 0;

	set = calloc(1, sizeof(*set));
	if (!set)
		return ENOMEM;
	for (size_t i = 0; (sec = gw_conf_section(conf, i)); i++) {
		if (!gw_conf_section_kind(sec, "trunk", &name))
			continue;
		gw_conf_section_seen(conf, sec);
		if (gw_conf_section_headers(conf, sec) > 1) {
			ret = gw_conf_fail(conf, sec, NULL, err,
					   "trunk '%s' defined twice", name);
			goto out;
		}
		if (set->n == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			struct trunk *nt = realloc(set->t, ncap * sizeof(*nt));
			if (!nt) {
				ret = ENOMEM;
				goto out;
			}
			set->t = nt;
			cap = ncap;
		}
		memset(&set->t[set->n], 0, sizeof(set->t[0]));
		ret = trunk_conf(conf, sec, name, &set->t[set->n].cfg, err);
		if (ret)
			goto out;
		set->t[set->n].set = set;
		set->n++;
	}
out:
	if (ret) {
		free(set->t);
		free(set);
		return ret;
	}
	*setp = set;
	return 0;
}

static void random_token(char *buf, size_t sz)
{
	static const char alpha[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	uint8_t rnd[64];
	size_t n = sz - 1 < sizeof(rnd) ? sz - 1 : sizeof(rnd);

	if (getrandom(rnd, n, 0) != (ssize_t)n) {
		for (size_t i = 0; i < n; i++)
			rnd[i] = (uint8_t)rand();
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = alpha[rnd[i] % (sizeof(alpha) - 1)];
	buf[n] = '\0';
}

static void trunk_set_state(struct trunk *t, enum gw_trunk_state st)
{
	if (t->state == st)
		return;
	if (t->state != GW_TRUNK_UNKNOWN || st == GW_TRUNK_DOWN) {
		t->st.transitions++;
		LOGN("trunk", "trunk %s is %s (%s)", t->cfg.name,
		     gw_trunk_state_name(st),
		     st == GW_TRUNK_DOWN ? "keepalive failed" : "keepalive answered");
	}
	t->state = st;
}

static void probe_result(struct trunk *t, bool ok)
{
	if (ok) {
		t->st.successes++;
		t->fails = 0;
		trunk_set_state(t, GW_TRUNK_UP);
		return;
	}
	t->st.failures++;
	t->fails++;
	if (t->fails >= t->cfg.keepalive_failures)
		trunk_set_state(t, GW_TRUNK_DOWN);
}

static void probe_resp_h(struct sip_tsx *tsx, const struct sip_msg *resp,
			 int err, void *arg)
{
	struct trunk *t = arg;
	(void)tsx;

	if (resp && resp->scode < 200)
		return; /* provisional: wait for the final one */
	t->probe = NULL;
	if (resp) {
		t->st.last_status = resp->scode;
		t->st.last_err = 0;
		probe_result(t, resp->scode != 503);
	} else {
		t->st.last_err = err ? err : ETIMEDOUT;
		LOGD("trunk", "trunk %s: OPTIONS failed: %s", t->cfg.name,
		     strerror(t->st.last_err));
		probe_result(t, false);
	}
}

static void probe_send(struct trunk *t)
{
	struct gw_trunks *set = t->set;
	struct sip_tp_addr dst;
	char ruri[128], hdrs[512], sentby[96], hostref[72];
	int ret;

	if (t->probe)
		return; /* the previous one is still running (Timer F) */
	memset(&dst, 0, sizeof(dst));
	dst.tp = t->cfg.tp;
	dst.peer = t->cfg.sa;
	snprintf(hostref, sizeof(hostref), strchr(t->cfg.host, ':') ? "[%s]" : "%s",
		 t->cfg.host);
	snprintf(ruri, sizeof(ruri), "sip:%s:%u%s", hostref, t->cfg.port,
		 t->cfg.tp == SIP_TP_TCP ? ";transport=tcp" : "");
	if (sip_ua_sentby(set->ua, &dst, sentby, sizeof(sentby)))
		snprintf(sentby, sizeof(sentby), "invalid");
	if (!t->call_id[0]) {
		random_token(t->call_id, 25);
		random_token(t->from_tag, 11);
	}
	snprintf(hdrs, sizeof(hdrs),
		 "From: <sip:pstngw@%s>;tag=%s\r\n"
		 "To: <%s>\r\n"
		 "Call-ID: %s@pstngw\r\n"
		 "CSeq: %u OPTIONS\r\n"
		 "Accept: application/sdp\r\n",
		 sentby, t->from_tag, ruri, t->call_id, ++t->cseq);
	t->st.probes++;
	ret = sip_ua_request(set->ua, &t->probe, &dst, "OPTIONS", ruri, hdrs,
			     NULL, NULL, 0, probe_resp_h, t);
	if (ret) {
		t->probe = NULL;
		t->st.last_err = ret;
		LOGD("trunk", "trunk %s: cannot send OPTIONS: %s", t->cfg.name,
		     strerror(ret));
		probe_result(t, false);
	}
}

static void timer_cb(uv_timer_t *h)
{
	probe_send(h->data);
}

static void timer_close_cb(uv_handle_t *h)
{
	struct trunk *t = h->data;
	struct gw_trunks *set = t->set;

	if (--set->closing == 0 && set->freed) {
		free(set->t);
		free(set);
	}
}

static bool reg_cfg_eq(const struct gw_trunk_cfg *a, const struct gw_trunk_cfg *b)
{
	return a->reg == b->reg && a->tp == b->tp && sip_sa_eq(&a->sa, &b->sa) &&
	       !strcmp(a->reg_user, b->reg_user) && !strcmp(a->reg_password, b->reg_password) &&
	       !strcmp(a->reg_auth_user, b->reg_auth_user) &&
	       !strcmp(a->reg_domain, b->reg_domain) && a->reg_expires == b->reg_expires &&
	       a->reg_retry_ms == b->reg_retry_ms;
}

/*
 * Registration of a (re)started trunk: an unchanged binding from before a
 * reload is taken over as it is (no unregister/register churn); otherwise
 * a new one starts. A binding that cannot be created is logged and the
 * trunk runs without it.
 */
static void trunk_reg_start(struct trunk *t, uv_loop_t *loop, struct sip_ua *ua,
			    struct gw_trunks *old)
{
	char aor[256];
	int j, err;

	if (!t->cfg.reg)
		return;
	j = old ? gw_trunks_find(old, t->cfg.name) : -1;
	if (j >= 0 && old->t[j].reg && reg_cfg_eq(&old->t[j].cfg, &t->cfg)) {
		t->reg = old->t[j].reg;
		old->t[j].reg = NULL;
		return;
	}
	snprintf(aor, sizeof(aor), "sip:%s@%s", t->cfg.reg_user, t->cfg.reg_domain);
	struct sip_reg_cfg rc = {
		.registrar = { .tp = t->cfg.tp, .peer = t->cfg.sa },
		.aor = aor,
		.expires = t->cfg.reg_expires,
		.auth_user = t->cfg.reg_password[0] ? t->cfg.reg_auth_user : NULL,
		.password = t->cfg.reg_password,
		.retry_s = (t->cfg.reg_retry_ms + 999) / 1000,
		.retry_max_s = 600,
	};
	err = sip_reg_alloc(&t->reg, ua, loop, &rc, NULL, NULL);
	if (err) {
		LOGE("trunk", "%s: registration not started: %s", t->cfg.name, strerror(err));
		t->reg = NULL;
		return;
	}
	sip_reg_start(t->reg);
}

const char *gw_trunks_reg_state(const struct gw_trunks *set, size_t idx, uint32_t *granted)
{
	const struct trunk *t = idx < set->n ? &set->t[idx] : NULL;

	if (granted)
		*granted = t && t->reg ? sip_reg_granted(t->reg) : 0;
	if (!t || !t->cfg.reg)
		return "off";
	if (!t->reg)
		return "failed";
	return sip_reg_state_name(sip_reg_state(t->reg));
}

int gw_trunks_start(struct gw_trunks *set, uv_loop_t *loop, struct sip_ua *ua,
		    struct gw_trunks *old)
{
	set->loop = loop;
	set->ua = ua;
	for (size_t i = 0; i < set->n; i++) {
		struct trunk *t = &set->t[i];
		if (old) {
			int j = gw_trunks_find(old, t->cfg.name);
			if (j >= 0 && sip_sa_eq(&old->t[j].cfg.sa, &t->cfg.sa) &&
			    old->t[j].cfg.tp == t->cfg.tp) {
				t->state = old->t[j].state;
				t->fails = old->t[j].fails;
				t->st = old->t[j].st;
				t->cseq = old->t[j].cseq;
				memcpy(t->call_id, old->t[j].call_id,
				       sizeof(t->call_id));
				memcpy(t->from_tag, old->t[j].from_tag,
				       sizeof(t->from_tag));
			}
		}
		trunk_reg_start(t, loop, ua, old);
		if (!t->cfg.keepalive_ms) {
			t->state = GW_TRUNK_UP;
			continue;
		}
		uv_timer_init(loop, &t->timer);
		t->timer.data = t;
		t->timer_init = true;
		/* first probe soon, then at the interval */
		uv_timer_start(&t->timer, timer_cb, 10, t->cfg.keepalive_ms);
	}
	gw_trunks_free(old);
	return 0;
}

void gw_trunks_free(struct gw_trunks *set)
{
	if (!set)
		return;
	set->freed = true;
	for (size_t i = 0; i < set->n; i++) {
		struct trunk *t = &set->t[i];
		if (t->reg) {
			/* Expires: 0 goes out now; its answer is not waited for */
			sip_reg_stop(t->reg);
			sip_reg_free(t->reg);
			t->reg = NULL;
		}
		if (t->probe) {
			sip_tsx_detach(t->probe);
			t->probe = NULL;
		}
		if (t->timer_init) {
			set->closing++;
			uv_timer_stop(&t->timer);
			uv_close((uv_handle_t *)&t->timer, timer_close_cb);
		}
	}
	if (!set->closing) {
		free(set->t);
		free(set);
	}
}

size_t gw_trunks_count(const struct gw_trunks *set)
{
	return set ? set->n : 0;
}

const struct gw_trunk_cfg *gw_trunks_cfg(const struct gw_trunks *set,
					 size_t idx)
{
	return idx < set->n ? &set->t[idx].cfg : NULL;
}

int gw_trunks_find(const struct gw_trunks *set, const char *name)
{
	for (size_t i = 0; set && i < set->n; i++) {
		if (!strcmp(set->t[i].cfg.name, name))
			return (int)i;
	}
	return -1;
}

int gw_trunks_match_source(const struct gw_trunks *set,
			   const struct sockaddr_storage *sa)
{
	for (size_t i = 0; set && i < set->n; i++) {
		for (size_t k = 0; k < set->t[i].cfg.nacl; k++) {
			if (gw_acl_match(&set->t[i].cfg.acl[k], sa))
				return (int)i;
		}
	}
	return -1;
}

enum gw_trunk_state gw_trunks_state(const struct gw_trunks *set, size_t idx)
{
	return idx < set->n ? set->t[idx].state : GW_TRUNK_DOWN;
}

void gw_trunks_stats(const struct gw_trunks *set, size_t idx,
		     struct gw_trunk_stats *st)
{
	if (idx < set->n)
		*st = set->t[idx].st;
	else
		memset(st, 0, sizeof(*st));
}
