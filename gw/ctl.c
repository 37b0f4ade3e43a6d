/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Control socket (see ctl.h). Clients are bounded in number and in line
 * length; a client that sends an over-long line or too much unread input
 * is answered "ERR" and disconnected.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/log.h"
#include "gw/ctl.h"

#define CTL_MAX_CLIENTS 16
#define CTL_LINE_MAX 1024
#define CTL_MAX_ARGS 32
#define CTL_MAX_CMDS 128

struct ctl_cmd {
	const char *name;
	const char *help;
	gw_ctl_cmd_h *h;
	void *arg;
};

struct ctl_client {
	uv_pipe_t pipe;
	struct gw_ctl *ctl;
	struct ctl_client *next;
	char buf[CTL_LINE_MAX];
	size_t len;
	bool closing;
};

struct gw_ctl {
	uv_loop_t *loop;
	uv_pipe_t listener;
	char *path;
	struct ctl_cmd cmds[CTL_MAX_CMDS];
	size_t ncmds;
	struct ctl_client *clients;
	unsigned nclients;
	bool listening;
};

struct gw_ctl_reply {
	char *buf;
	size_t len, cap;
	char err[256];
	bool oom;
};

static void reply_vappend(struct gw_ctl_reply *r, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	if (r->oom)
		return;
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if (r->len + (size_t)n + 2 > r->cap) {
		size_t ncap = r->cap ? r->cap : 1024;
		while (ncap < r->len + (size_t)n + 2)
			ncap *= 2;
		char *nb = realloc(r->buf, ncap);
		if (!nb) {
			r->oom = true;
			return;
		}
		r->buf = nb;
		r->cap = ncap;
	}
	vsnprintf(r->buf + r->len, r->cap - r->len, fmt, ap);
	r->len += (size_t)n;
}

void gw_ctl_printf(struct gw_ctl_reply *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	reply_vappend(r, fmt, ap);
	va_end(ap);
}

void gw_ctl_error(struct gw_ctl_reply *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

int gw_ctl_split(char *line, char **argv, int maxargs)
{
	int argc = 0;
	char *p = line;

	while (*p && argc < maxargs) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return argc;
}

static void client_close_cb(uv_handle_t *h)
{
	struct ctl_client *c = h->data;
	free(c);
}

static void client_close(struct ctl_client *c)
{
	struct gw_ctl *ctl = c->ctl;
	struct ctl_client **pp;

	if (c->closing)
		return;
	c->closing = true;
	for (pp = &ctl->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	ctl->nclients--;
	uv_close((uv_handle_t *)&c->pipe, client_close_cb);
}

static void write_cb(uv_write_t *req, int status)
{
	(void)status;
	free(req->data);
	free(req);
}

static void client_send(struct ctl_client *c, char *data, size_t len)
{
	uv_write_t *req;
	uv_buf_t b;

	if (c->closing) {
		free(data);
		return;
	}
	req = malloc(sizeof(*req));
	if (!req) {
		free(data);
		return;
	}
	req->data = data;
	b = uv_buf_init(data, (unsigned)len);
	if (uv_write(req, (uv_stream_t *)&c->pipe, &b, 1, write_cb)) {
		free(data);
		free(req);
		client_close(c);
	}
}

static int cmd_help(struct gw_ctl_reply *r, int argc, char **argv, void *arg)
{
	struct gw_ctl *ctl = arg;
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < ctl->ncmds; i++)
		gw_ctl_printf(r, "%-16s %s\n", ctl->cmds[i].name,
			      ctl->cmds[i].help);
	return 0;
}

static void client_exec(struct ctl_client *c, char *line)
{
	struct gw_ctl *ctl = c->ctl;
	struct gw_ctl_reply r;
	char *argv[CTL_MAX_ARGS];
	int argc, ret = ENOENT;
	const struct ctl_cmd *cmd = NULL;

	memset(&r, 0, sizeof(r));
	argc = gw_ctl_split(line, argv, CTL_MAX_ARGS);
	if (argc == 0)
		return;
	for (size_t i = 0; i < ctl->ncmds; i++) {
		if (!strcmp(ctl->cmds[i].name, argv[0])) {
			cmd = &ctl->cmds[i];
			break;
		}
	}
	if (cmd) {
		LOGD("ctl", "command: %s", argv[0]);
		ret = cmd->h(&r, argc, argv, cmd->arg);
	} else {
		gw_ctl_error(&r, "unknown command '%s' (try: help)", argv[0]);
	}
	if (r.oom)
		ret = ENOMEM;
	if (ret)
		gw_ctl_printf(&r, "ERR %s\n", r.err[0] ? r.err : strerror(ret));
	else
		gw_ctl_printf(&r, "OK\n");
	if (r.oom) {
		free(r.buf);
		client_close(c);
		return;
	}
	client_send(c, r.buf, r.len);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ctl_client *c = h->data;
	(void)suggested;
	*buf = uv_buf_init(c->buf + c->len, (unsigned)(sizeof(c->buf) - c->len));
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct ctl_client *c = s->data;
	(void)buf;

	if (nread < 0) {
		client_close(c);
		return;
	}
	c->len += (size_t)nread;
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		size_t l;
		if (!nl)
			break;
		*nl = '\0';
		l = (size_t)(nl - c->buf);
		if (l && c->buf[l - 1] == '\r')
			c->buf[l - 1] = '\0';
		client_exec(c, c->buf);
		if (c->closing)
			return;
		memmove(c->buf, nl + 1, c->len - l - 1);
		c->len -= l + 1;
	}
	if (c->len == sizeof(c->buf)) {
		char *msg = strdup("ERR line too long\n");
		if (msg)
			client_send(c, msg, strlen(msg));
		client_close(c);
	}
}

static void connection_cb(uv_stream_t *server, int status)
{
	struct gw_ctl *ctl = server->data;
	struct ctl_client *c;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->ctl = ctl;
	uv_pipe_init(ctl->loop, &c->pipe, 0);
	c->pipe.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe)) {
		uv_close((uv_handle_t *)&c->pipe, client_close_cb);
		return;
	}
	c->next = ctl->clients;
	ctl->clients = c;
	ctl->nclients++;
	if (ctl->nclients > CTL_MAX_CLIENTS) {
		LOGW("ctl", "too many control clients (%d); refusing one",
		     CTL_MAX_CLIENTS);
		client_close(c);
		return;
	}
	uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, read_cb);
}

/* A socket file nobody listens on is stale and may be replaced. */
static bool ctl_socket_live(const char *path)
{
	struct sockaddr_un sa;
	int fd, r;

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return false;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return r == 0;
}

static void listener_close_cb(uv_handle_t *h)
{
	struct gw_ctl *ctl = h->data;
	free(ctl->path);
	free(ctl);
}

int gw_ctl_alloc(struct gw_ctl **ctlp, uv_loop_t *loop, const char *path)
{
	struct gw_ctl *ctl;
	struct stat st;
	int err;

	if (!ctlp || !loop || !path)
		return EINVAL;
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return ENAMETOOLONG;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return EEXIST;
		if (ctl_socket_live(path))
			return EADDRINUSE;
		unlink(path);
	}
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return ENOMEM;
	ctl->loop = loop;
	ctl->path = strdup(path);
	if (!ctl->path) {
		free(ctl);
		return ENOMEM;
	}
	uv_pipe_init(loop, &ctl->listener, 0);
	ctl->listener.data = ctl;
	err = uv_pipe_bind(&ctl->listener, path);
	if (!err)
		err = uv_listen((uv_stream_t *)&ctl->listener, 8, connection_cb);
	if (err) {
		uv_close((uv_handle_t *)&ctl->listener, listener_close_cb);
		return -err;
	}
	chmod(path, 0660);
	ctl->listening = true;
	gw_ctl_register(ctl, "help", "list commands", cmd_help, ctl);
	*ctlp = ctl;
	return 0;
}

static void shutdown_cb(uv_shutdown_t *req, int status)
{
	(void)status;
	uv_close((uv_handle_t *)req->handle, client_close_cb);
	free(req);
}

void gw_ctl_free(struct gw_ctl *ctl)
{
	if (!ctl)
		return;
	/* flush pending replies (e.g. to "stop") before closing clients */
	while (ctl->clients) {
		struct ctl_client *c = ctl->clients;
		uv_shutdown_t *req = malloc(sizeof(*req));
		ctl->clients = c->next;
		ctl->nclients--;
		c->closing = true;
		c->ctl = NULL;
		uv_read_stop((uv_stream_t *)&c->pipe);
		if (!req || uv_shutdown(req, (uv_stream_t *)&c->pipe, shutdown_cb)) {
			free(req);
			uv_close((uv_handle_t *)&c->pipe, client_close_cb);
		}
	}
	unlink(ctl->path);
	uv_close((uv_handle_t *)&ctl->listener, listener_close_cb);
}

int gw_ctl_register(struct gw_ctl *ctl, const char *name, const char *help,
		    gw_ctl_cmd_h *h, void *arg)
{
	for (size_t i = 0; i < ctl->ncmds; i++) {
		if (!strcmp(ctl->cmds[i].name, name))
			return EEXIST;
	}
	if (ctl->ncmds == CTL_MAX_CMDS)
		return ENOMEM;
	ctl->cmds[ctl->ncmds++] = (struct ctl_cmd){ name, help, h, arg };
	return 0;
}
