/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pointer-length string slices (see pl.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/pl.h"

static inline int lc(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

struct pl pl_from_str(const char *s)
{
	struct pl pl = { s, s ? strlen(s) : 0 };
	return pl;
}

int pl_strcmp(const struct pl *pl, const char *s)
{
	size_t n = strlen(s);
	if (!pl->p || pl->l != n)
		return 1;
	return memcmp(pl->p, s, n) ? 1 : 0;
}

int pl_strcasecmp(const struct pl *pl, const char *s)
{
	size_t n = strlen(s);
	if (!pl->p || pl->l != n)
		return 1;
	for (size_t i = 0; i < n; i++) {
		if (lc((unsigned char)pl->p[i]) != lc((unsigned char)s[i]))
			return 1;
	}
	return 0;
}

int pl_cmp(const struct pl *a, const struct pl *b)
{
	if (a->l != b->l)
		return 1;
	if (a->l == 0)
		return 0;
	return memcmp(a->p, b->p, a->l) ? 1 : 0;
}

int pl_casecmp(const struct pl *a, const struct pl *b)
{
	if (a->l != b->l)
		return 1;
	for (size_t i = 0; i < a->l; i++) {
		if (lc((unsigned char)a->p[i]) != lc((unsigned char)b->p[i]))
			return 1;
	}
	return 0;
}

int pl_u64(const struct pl *pl, uint64_t *v)
{
	uint64_t x = 0;

	if (!pl->p || pl->l == 0)
		return EINVAL;
	for (size_t i = 0; i < pl->l; i++) {
		unsigned d = (unsigned char)pl->p[i] - '0';
		if (d > 9)
			return EINVAL;
		if (x > (UINT64_MAX - d) / 10)
			return ERANGE;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

int pl_u32(const struct pl *pl, uint32_t *v)
{
	uint64_t x;
	int err = pl_u64(pl, &x);

	if (err)
		return err;
	if (x > UINT32_MAX)
		return ERANGE;
	*v = (uint32_t)x;
	return 0;
}

void pl_trim(struct pl *pl)
{
	if (!pl->p)
		return;
	while (pl->l && (pl->p[0] == ' ' || pl->p[0] == '\t')) {
		pl->p++;
		pl->l--;
	}
	while (pl->l && (pl->p[pl->l - 1] == ' ' || pl->p[pl->l - 1] == '\t'))
		pl->l--;
}

const char *pl_chr(const struct pl *pl, char c)
{
	if (!pl->p || !pl->l)
		return NULL;
	return memchr(pl->p, c, pl->l);
}

int pl_strcpy(const struct pl *pl, char *dst, size_t sz)
{
	if (sz == 0)
		return ENOSPC;
	if (pl->l >= sz) {
		dst[0] = '\0';
		return ENOSPC;
	}
	if (pl->l)
		memcpy(dst, pl->p, pl->l);
	dst[pl->l] = '\0';
	return 0;
}

char *pl_strdup(const struct pl *pl)
{
	char *s = malloc(pl->l + 1);
	if (!s)
		return NULL;
	if (pl->l)
		memcpy(s, pl->p, pl->l);
	s[pl->l] = '\0';
	return s;
}
