/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Line-based control socket shared by pstnsim and the pritest driver: a
 * Unix stream socket; each request is one line of space-separated words,
 * each answer is zero or more lines followed by one line starting with
 * "OK" or "ERR". Also the matching one-shot client.
 */
#ifndef PSTNSIM_CTLSRV_H
#define PSTNSIM_CTLSRV_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#define CTL_MAX_ARGS 16
#define CTL_LINE_MAX 1024
#define CTL_REPLY_MAX 65536

struct ctl_reply {
	char buf[CTL_REPLY_MAX];
	size_t len;
};

/* Append formatted text to the reply (truncated when full). */
void ctl_printf(struct ctl_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A command handler: fills r, ending with an "OK..." or "ERR..." line. */
typedef void (ctl_cmd_h)(int argc, char **argv, struct ctl_reply *r,
			 void *arg);

struct ctlsrv;

/* Listen on path (replacing a stale socket file). 0 or errno. */
int ctlsrv_start(struct ctlsrv **srvp, uv_loop_t *loop, const char *path,
		 ctl_cmd_h *h, void *arg);
/* Close the listener and clients, unlink the socket. NULL is fine. */
void ctlsrv_stop(struct ctlsrv *srv);

/*
 * Client: send one command line to the socket at path, print the answer
 * to stdout. Returns 0 if it ended with OK, 1 on ERR, 2 on I/O error.
 * Waits at most timeout_ms.
 */
int ctl_client(const char *path, const char *line, unsigned timeout_ms);

#endif
