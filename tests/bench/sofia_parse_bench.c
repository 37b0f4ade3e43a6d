/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP parse benchmark for sofia-sip's msg parser, the peer the pstngw
 * parser is measured against. Same interface, work and output as
 * sip_parse_bench (with "sofia" in place of "pstngw"):
 *
 *   sofia_parse_bench [-n ITER] [-r RUNS] [-c] CORPUS_DIR
 *
 * One iteration: msg_make() copies the bytes into a new sofia message and
 * parses every header; then the top Via branch, From and To tags,
 * Call-ID, CSeq number and method, the first Contact's URI user and host
 * and Content-Length are read, a multipart body is split with
 * msg_multipart_parse(), and the message is destroyed. msg/s is
 * iterations per second of thread CPU time (one core).
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_mime.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>

#define MAX_FILES 256
#define MAX_RUNS 101

struct fields {
	char branch[128], from_tag[128], to_tag[128], call_id[256], method[32];
	char cuser[128], chost[128];
	uint32_t cseq;
	uint32_t clen;
	unsigned parts;
};

static void cp(char *dst, size_t sz, const char *s)
{
	snprintf(dst, sz, "%s", s ? s : "");
}

/* tag/branch values as sofia stores them; fill f only when wanted */
static int parse_one(const char *data, size_t len, struct fields *f, bool keep,
		     const char **why, size_t *sink)
{
	msg_t *msg = msg_make(sip_default_mclass(), 0, data, (ssize_t)len);
	sip_t *sip;
	unsigned parts = 0;
	int rc = 0;

	if (!msg) {
		*why = "msg_make";
		return EINVAL;
	}
	sip = sip_object(msg);
	if (!sip || msg_has_error(msg) || sip->sip_error || !sip->sip_via || !sip->sip_from ||
	    !sip->sip_to || !sip->sip_call_id || !sip->sip_cseq) {
		*why = "parse error";
		rc = EINVAL;
		goto out;
	}
	if (sip->sip_content_type && sip->sip_content_type->c_type &&
	    !strncasecmp(sip->sip_content_type->c_type, "multipart/", 10)) {
		msg_multipart_t *mp = msg_multipart_parse(msg_home(msg), sip->sip_content_type,
							  sip->sip_payload);
		if (!mp) {
			*why = "multipart";
			rc = EINVAL;
			goto out;
		}
		for (; mp; mp = mp->mp_next)
			parts++;
	} else {
		parts = sip->sip_payload && sip->sip_payload->pl_len ? 1 : 0;
	}
	*sink += strlen(sip->sip_via->v_branch ? sip->sip_via->v_branch : "") + parts +
		 sip->sip_cseq->cs_seq +
		 (sip->sip_contact && sip->sip_contact->m_url->url_user
			  ? strlen(sip->sip_contact->m_url->url_user)
			  : 0) +
		 (sip->sip_from->a_tag ? 1 : 0) + (sip->sip_to->a_tag ? 1 : 0) +
		 (sip->sip_contact && sip->sip_contact->m_url->url_host ? 1 : 0) +
		 strlen(sip->sip_call_id->i_id) +
		 (sip->sip_content_length ? sip->sip_content_length->l_length : 0);
	if (keep) {
		cp(f->branch, sizeof(f->branch), sip->sip_via->v_branch);
		cp(f->from_tag, sizeof(f->from_tag), sip->sip_from->a_tag);
		cp(f->to_tag, sizeof(f->to_tag), sip->sip_to->a_tag);
		cp(f->call_id, sizeof(f->call_id), sip->sip_call_id->i_id);
		f->cseq = sip->sip_cseq->cs_seq;
		cp(f->method, sizeof(f->method), sip->sip_cseq->cs_method_name);
		cp(f->cuser, sizeof(f->cuser),
		   sip->sip_contact ? sip->sip_contact->m_url->url_user : NULL);
		cp(f->chost, sizeof(f->chost),
		   sip->sip_contact ? sip->sip_contact->m_url->url_host : NULL);
		f->clen = sip->sip_content_length ? sip->sip_content_length->l_length : 0;
		f->parts = parts;
	}
out:
	msg_destroy(msg);
	return rc;
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

int main(int argc, char **argv)
{
	unsigned long iter = 10000, runs = 5;
	bool check = false;
	char *names[MAX_FILES];
	size_t nfiles = 0;
	DIR *dir;
	struct dirent *de;
	int opt, rc = 0;
	volatile size_t vsink = 0;

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
		size_t len = 0, sink = 0;
		char *data;
		struct fields f;
		const char *why = "";
		double rate[MAX_RUNS];

		snprintf(path, sizeof(path), "%s/%s", argv[optind], names[i]);
		data = read_file(path, &len);
		if (!data) {
			printf("FAIL\tsofia\t%s\tcannot read\n", names[i]);
			rc = 1;
			continue;
		}
		memset(&f, 0, sizeof(f));
		if (parse_one(data, len, &f, true, &why, &sink)) {
			printf("FAIL\tsofia\t%s\t%s\n", names[i], why);
			rc = 1;
		} else if (check) {
			printf("CHECK\tsofia\t%s\tbranch=%s\tfrom_tag=%s\tto_tag=%s\tcall_id=%s"
			       "\tcseq=%u\tmethod=%s\tcontact_user=%s\tcontact_host=%s\tclen=%u"
			       "\tbodyparts=%u\n",
			       names[i], f.branch, f.from_tag, f.to_tag, f.call_id, f.cseq,
			       f.method, f.cuser, f.chost, f.clen, f.parts);
		} else {
			for (unsigned long r = 0; r < runs; r++) {
				double t0 = now(), dt;
				for (unsigned long k = 0; k < iter; k++)
					parse_one(data, len, &f, false, &why, &sink);
				dt = now() - t0;
				rate[r] = dt > 0 ? (double)iter / dt : 0;
			}
			qsort(rate, runs, sizeof(rate[0]), cmp_double);
			printf("RESULT\tsofia\t%s\t%.0f\t%.0f\t%.0f\t%lu\n", names[i],
			       rate[runs / 2], rate[0], rate[runs - 1], iter);
		}
		vsink += sink;
		fflush(stdout);
		free(data);
		free(names[i]);
	}
	(void)vsink;
	return rc;
}
