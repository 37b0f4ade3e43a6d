/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP parse benchmark for the pstngw parser (sip/msg, sip/body).
 *
 *   sip_parse_bench [-n ITER] [-r RUNS] [-c] CORPUS_DIR
 *
 * For every *.sip file in CORPUS_DIR (sorted by name), RUNS runs of ITER
 * iterations; one iteration copies the bytes into the parser's buffer,
 * parses the message and all headers, reads the top Via branch, From and
 * To tags, Call-ID, CSeq number and method, the first Contact's URI user
 * and host and Content-Length, and splits a multipart body. Prints
 *   RESULT pstngw <file> <median msg/s> <min msg/s> <max msg/s> <iterations per run>
 * tab-separated, or with -c one CHECK line per file with the values read,
 * or FAIL pstngw <file> <reason>. msg/s is iterations per second of
 * thread CPU time (one core).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sip/body.h"
#include "sip/msg.h"

#define MAX_FILES 256
#define MAX_RUNS 101

struct fields {
	struct pl branch, from_tag, to_tag, call_id, method, cuser, chost;
	uint32_t cseq;
	uint32_t clen;
	unsigned parts;
};

/* Parser state reused across iterations, as a transport would. */
static struct sip_msg g_msg;
static struct sip_multipart g_mp;

static int parse_one(char *buf, const char *data, size_t len, struct fields *f,
		     const char **why)
{
	struct sip_contact c;
	int err;

	memcpy(buf, data, len);
	err = sip_msg_decode(&g_msg, buf, len);
	if (err) {
		*why = g_msg.err.reason ? g_msg.err.reason : "decode";
		return err;
	}
	f->branch = g_msg.via.branch;
	f->from_tag = g_msg.from.tag;
	f->to_tag = g_msg.to.tag;
	f->call_id = g_msg.call_id;
	f->cseq = g_msg.cseq.num;
	f->method = g_msg.cseq.method;
	err = sip_msg_contact(&g_msg, &c);
	if (err == 0) {
		f->cuser = c.addr.uri.user;
		f->chost = c.addr.uri.host;
	} else if (err == ENOENT) {
		f->cuser = PL_NULL;
		f->chost = PL_NULL;
	} else {
		*why = "Contact";
		return err;
	}
	f->clen = g_msg.clen;
	if (g_msg.ctype.type.p && !pl_strcasecmp(&g_msg.ctype.type, "multipart")) {
		err = sip_body_multipart_decode(&g_mp, &g_msg.ctype, &g_msg.body);
		if (err) {
			*why = "multipart";
			return err;
		}
		f->parts = g_mp.partc;
	} else {
		f->parts = g_msg.body.l ? 1 : 0;
	}
	return 0;
}

/*
 * Thread CPU time: the figure is throughput on one core, unaffected by
 * time spent descheduled on a shared machine.
 */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!fp)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 && fseek(fp, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(fp);
	return buf;
}

static void print_pl(const char *key, const struct pl *pl)
{
	printf("\t%s=%.*s", key, pl->p ? (int)pl->l : 0, pl->p ? pl->p : "");
}

int main(int argc, char **argv)
{
	unsigned long iter = 100000, runs = 5;
	bool check = false;
	char *names[MAX_FILES];
	size_t nfiles = 0;
	DIR *dir;
	struct dirent *de;
	int opt, rc = 0;
	volatile size_t sink = 0;

	while ((opt = getopt(argc, argv, "n:r:c")) != -1) {
		switch (opt) {
		case 'n':
			iter = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			runs = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			check = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-n ITER] [-r RUNS] [-c] CORPUS_DIR\n", argv[0]);
			return 2;
		}
	}
	if (optind + 1 != argc || iter == 0 || runs == 0 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: %s [-n ITER] [-r RUNS(1..%d)] [-c] CORPUS_DIR\n", argv[0],
			MAX_RUNS);
		return 2;
	}
	dir = opendir(argv[optind]);
	if (!dir) {
		fprintf(stderr, "%s: %s\n", argv[optind], strerror(errno));
		return 2;
	}
	while ((de = readdir(dir)) != NULL && nfiles < MAX_FILES) {
		size_t l = strlen(de->d_name);
		if (l > 4 && !strcmp(de->d_name + l - 4, ".sip"))
			names[nfiles++] = strdup(de->d_name);
	}
	closedir(dir);
	qsort(names, nfiles, sizeof(names[0]), cmp_str);

	for (size_t i = 0; i < nfiles; i++) {
		char path[4096];
		size_t len = 0;
		char *data, *buf;
		struct fields f;
		const char *why = "";
		double rate[MAX_RUNS];

		snprintf(path, sizeof(path), "%s/%s", argv[optind], names[i]);
		data = read_file(path, &len);
		buf = data ? malloc(len + 1) : NULL;
		if (!data || !buf) {
			printf("FAIL\tpstngw\t%s\tcannot read\n", names[i]);
			rc = 1;
			free(data);
			continue;
		}
		memset(&f, 0, sizeof(f));
		if (parse_one(buf, data, len, &f, &why)) {
			printf("FAIL\tpstngw\t%s\t%s\n", names[i], why);
			rc = 1;
		} else if (check) {
			printf("CHECK\tpstngw\t%s", names[i]);
			print_pl("branch", &f.branch);
			print_pl("from_tag", &f.from_tag);
			print_pl("to_tag", &f.to_tag);
			print_pl("call_id", &f.call_id);
			printf("\tcseq=%u", f.cseq);
			print_pl("method", &f.method);
			print_pl("contact_user", &f.cuser);
			print_pl("contact_host", &f.chost);
			printf("\tclen=%u\tbodyparts=%u\n", f.clen, f.parts);
		} else {
			for (unsigned long r = 0; r < runs; r++) {
				double t0 = now(), dt;
				for (unsigned long k = 0; k < iter; k++) {
					parse_one(buf, data, len, &f, &why);
					sink += f.branch.l + f.cuser.l + f.parts + f.cseq;
				}
				dt = now() - t0;
				rate[r] = dt > 0 ? (double)iter / dt : 0;
			}
			qsort(rate, runs, sizeof(rate[0]), cmp_double);
			printf("RESULT\tpstngw\t%s\t%.0f\t%.0f\t%.0f\t%lu\n", names[i],
			       rate[runs / 2], rate[0], rate[runs - 1], iter);
		}
		fflush(stdout);
		free(buf);
		free(data);
		free(names[i]);
	}
	(void)sink;
	return rc;
}
