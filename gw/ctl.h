/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Control socket: a Unix stream socket on the control loop where
 * pstngwctl (or any line-oriented client) sends one command per line,
 * "word arg arg...", and gets back zero or more text lines followed by a
 * final line "OK" or "ERR <reason>". Modules register their commands;
 * "help" lists them. Command handlers run on the control thread.
 */
#ifndef GW_CTL_H
#define GW_CTL_H

#include <stddef.h>
#include <uv.h>

struct gw_ctl;
struct gw_ctl_reply;

/*
 * A command handler. Write output with gw_ctl_printf(). Return 0 for OK,
 * or an errno value; the reply then ends with "ERR <text>" where text is
 * what the handler set with gw_ctl_error(), or strerror(ret).
 */
typedef int (gw_ctl_cmd_h)(struct gw_ctl_reply *r, int argc, char **argv,
			   void *arg);

/*
 * Listen on path (an existing stale socket file is replaced; a live one
 * is an error: EADDRINUSE). Returns 0 or an errno value.
 */
int gw_ctl_alloc(struct gw_ctl **ctlp, uv_loop_t *loop, const char *path);
/* Close the listener and every client; removes the socket file. */
void gw_ctl_free(struct gw_ctl *ctl);

/* Register a command; name and help must outlive ctl. 0, EEXIST, ENOMEM. */
int gw_ctl_register(struct gw_ctl *ctl, const char *name, const char *help,
		    gw_ctl_cmd_h *h, void *arg);

void gw_ctl_printf(struct gw_ctl_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void gw_ctl_error(struct gw_ctl_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Split a command line into at most maxargs words (modifies line). */
int gw_ctl_split(char *line, char **argv, int maxargs);

#endif
