/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pstngwctl: the operator CLI. Sends one command to pstngw's control
 * socket and prints the reply. Exit status: 0 on "OK", 1 on "ERR", 2 when
 * the daemon cannot be reached or the usage is wrong.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: pstngwctl [-s SOCKET] [-t SECONDS] COMMAND [ARGS...]\n"
		   "  -s SOCKET  control socket (default run/pstngw.ctl, or "
		   "$PSTNGW_CTL)\n"
		   "  -t SECONDS reply timeout (default 10)\n"
		   "  try: pstngwctl help\n");
}

int main(int argc, char **argv)
{
	const char *path = getenv("PSTNGW_CTL");
	int timeout_s = 10, c, fd;
	struct sockaddr_un sa;
	char line[1024], buf[4096];
	size_t n = 0, have = 0;

	if (!path)
		path = "run/pstngw.ctl";
	while ((c = getopt(argc, argv, "+s:t:h")) != -1) {
		switch (c) {
		case 's': path = optarg; break;
		case 't': timeout_s = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		int r = snprintf(line + n, sizeof(line) - n, "%s%s",
				 i > optind ? " " : "", argv[i]);
		if (r < 0 || (size_t)r >= sizeof(line) - n - 1) {
			fprintf(stderr, "pstngwctl: command too long\n");
			return 2;
		}
		n += (size_t)r;
	}
	line[n++] = '\n';

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "pstngwctl: socket path too long\n");
		return 2;
	}
	strcpy(sa.sun_path, path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "pstngwctl: cannot connect to %s: %s "
			"(is pstngw running?)\n", path, strerror(errno));
		return 2;
	}
	if (write(fd, line, n) != (ssize_t)n) {
		fprintf(stderr, "pstngwctl: write: %s\n", strerror(errno));
		return 2;
	}
	/* print lines until the final OK / ERR line */
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char *nl;
		ssize_t r;

		while ((nl = memchr(buf, '\n', have))) {
			*nl = '\0';
			if (!strcmp(buf, "OK"))
				return 0;
			if (!strncmp(buf, "ERR", 3)) {
				fprintf(stderr, "error:%s\n", buf + 3);
				return 1;
			}
			puts(buf);
			have -= (size_t)(nl - buf) + 1;
			memmove(buf, nl + 1, have);
		}
		if (have == sizeof(buf)) {
			fwrite(buf, 1, have, stdout);
			have = 0;
		}
		if (poll(&p, 1, timeout_s * 1000) <= 0) {
			fprintf(stderr, "pstngwctl: no reply within %d s\n",
				timeout_s);
			return 2;
		}
		r = read(fd, buf + have, sizeof(buf) - have);
		if (r <= 0) {
			fprintf(stderr, "pstngwctl: connection closed before "
				"the reply ended\n");
			return 2;
		}
		have += (size_t)r;
	}
}
