/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Line-based control socket for the test programs (see ctlsrv.h): a libuv
 * pipe server splitting requests into words, and a blocking client with a
 * deadline for shell scripts.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tests/pstnsim/ctlsrv.h"

struct ctlsrv {
	uv_loop_t *loop;
	uv_pipe_t *listener;
	char path[108];
	ctl_cmd_h *h;
	void *arg;
	struct ctl_conn *conns;
};

struct ctl_conn {
	uv_pipe_t pipe;
	struct ctlsrv *srv;
	struct ctl_conn *next;
	char line[CTL_LINE_MAX];
	size_t len;
	bool overflow;
};

void ctl_printf(struct ctl_reply *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->len >= sizeof(r->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->buf + r->len, sizeof(r->buf) - r->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	r->len += (size_t)n;
	if (r->len >= sizeof(r->buf))
		r->len = sizeof(r->buf) - 1;
}

static void free_handle(uv_handle_t *h)
{
	free(h);
}

static void conn_closed(uv_handle_t *h)
{
	struct ctl_conn *c = (struct ctl_conn *)h;

	if (c->srv) {
		for (struct ctl_conn **pp = &c->srv->conns; *pp;
		     pp = &(*pp)->next) {
			if (*pp == c) {
				*pp = c->next;
				break;
			}
		}
	}
	free(c);
}

static void write_done(uv_write_t *w, int status)
{
	(void)status;
	free(w->data);
	free(w);
}

static void conn_send(struct ctl_conn *c, const char *buf, size_t len)
{
	uv_write_t *w = malloc(sizeof(*w));
	char *copy = malloc(len ? len : 1);
	uv_buf_t b;

	if (!w || !copy) {
		free(w);
		free(copy);
		return;
	}
	memcpy(copy, buf, len);
	w->data = copy;
	b = uv_buf_init(copy, (unsigned)len);
	if (uv_write(w, (uv_stream_t *)&c->pipe, &b, 1, write_done)) {
		free(copy);
		free(w);
	}
}

static void run_line(struct ctl_conn *c, char *line)
{
	struct ctl_reply *r = calloc(1, sizeof(*r));
	char *argv[CTL_MAX_ARGS + 1];
	int argc = 0;
	char *save = NULL;

	if (!r)
		return;
	for (char *t = strtok_r(line, " \t\r", &save); t && argc < CTL_MAX_ARGS;
	     t = strtok_r(NULL, " \t\r", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	if (!c->srv)
		ctl_printf(r, "ERR shutting down\n");
	else if (argc == 0)
		ctl_printf(r, "ERR empty command\n");
	else
		c->srv->h(argc, argv, r, c->srv->arg);
	if (r->len == 0)
		ctl_printf(r, "ERR no answer\n");
	conn_send(c, r->buf, r->len);
	free(r);
}

static void alloc_cb(uv_handle_t *h, size_t sz, uv_buf_t *buf)
{
	(void)h;
	buf->base = malloc(sz);
	buf->len = buf->base ? sz : 0;
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct ctl_conn *c = (struct ctl_conn *)s;

	if (n < 0) {
		free(buf->base);
		uv_close((uv_handle_t *)s, conn_closed);
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		char ch = buf->base[i];

		if (ch == '\n') {
			c->line[c->len] = '\0';
			if (c->overflow) {
				static const char e[] = "ERR line too long\n";

				conn_send(c, e, sizeof(e) - 1);
			} else {
				run_line(c, c->line);
			}
			c->len = 0;
			c->overflow = false;
			if (!c->srv || uv_is_closing((uv_handle_t *)s))
				break;
			continue;
		}
		if (c->len + 1 >= sizeof(c->line)) {
			c->overflow = true;
			continue;
		}
		c->line[c->len++] = ch;
	}
	free(buf->base);
}

static void conn_cb(uv_stream_t *server, int status)
{
	struct ctlsrv *srv = server->data;
	struct ctl_conn *c;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->srv = srv;
	c->next = srv->conns;
	srv->conns = c;
	uv_pipe_init(srv->loop, &c->pipe, 0);
	if (uv_accept(server, (uv_stream_t *)&c->pipe) ||
	    uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, read_cb)) {
		uv_close((uv_handle_t *)&c->pipe, conn_closed);
		return;
	}
}

int ctlsrv_start(struct ctlsrv **srvp, uv_loop_t *loop, const char *path,
		 ctl_cmd_h *h, void *arg)
{
	struct ctlsrv *srv;
	int err;

	if (!path || strlen(path) >= sizeof(srv->path))
		return EINVAL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return ENOMEM;
	srv->listener = calloc(1, sizeof(*srv->listener));
	if (!srv->listener) {
		free(srv);
		return ENOMEM;
	}
	srv->loop = loop;
	srv->h = h;
	srv->arg = arg;
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	uv_pipe_init(loop, srv->listener, 0);
	srv->listener->data = srv;
	unlink(path);
	err = uv_pipe_bind(srv->listener, path);
	if (!err)
		err = uv_listen((uv_stream_t *)srv->listener, 8, conn_cb);
	if (err) {
		uv_close((uv_handle_t *)srv->listener, free_handle);
		free(srv);
		return -err;
	}
	*srvp = srv;
	return 0;
}

void ctlsrv_stop(struct ctlsrv *srv)
{
	if (!srv)
		return;
	for (struct ctl_conn *c = srv->conns, *next; c; c = next) {
		next = c->next;
		c->srv = NULL;
		if (!uv_is_closing((uv_handle_t *)&c->pipe))
			uv_close((uv_handle_t *)&c->pipe, conn_closed);
	}
	srv->conns = NULL;
	uv_close((uv_handle_t *)srv->listener, free_handle);
	unlink(srv->path);
	free(srv);
}

static long ms_left(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (end->tv_sec - now.tv_sec) * 1000 +
	       (end->tv_nsec - now.tv_nsec) / 1000000;
}

int ctl_client(const char *path, const char *line, unsigned timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timespec end;
	char buf[4096], acc[CTL_LINE_MAX * 4];
	size_t alen = 0;
	int fd, rc = 2;

	if (strlen(path) >= sizeof(sa.sun_path))
		return 2;
	strcpy(sa.sun_path, path);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 2;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "connect %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (write(fd, line, strlen(line)) < 0 || write(fd, "\n", 1) < 0)
		goto out;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left = ms_left(&end);
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			fprintf(stderr, "timeout waiting for answer\n");
			goto out;
		}
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			goto out;
		for (ssize_t i = 0; i < n; i++) {
			if (alen + 1 < sizeof(acc))
				acc[alen++] = buf[i];
			if (buf[i] != '\n')
				continue;
			acc[alen] = '\0';
			fputs(acc, stdout);
			if (!strncmp(acc, "OK", 2)) {
				rc = 0;
				goto out;
			}
			if (!strncmp(acc, "ERR", 3)) {
				rc = 1;
				goto out;
			}
			alen = 0;
		}
	}
 out:
	close(fd);
	return rc;
}
