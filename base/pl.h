/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pointer-length string slices: zero-copy views into a buffer someone else
 * owns (a received datagram, a config line). A slice never owns memory and
 * is not NUL-terminated; it is valid only while its buffer lives.
 */
#ifndef BASE_PL_H
#define BASE_PL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pl {
	const char *p;
	size_t l;
};

#define PL(s) ((struct pl){ (s), sizeof(s) - 1 })
#define PL_NULL ((struct pl){ NULL, 0 })

/* A slice over a NUL-terminated string (NULL gives the empty slice). */
struct pl pl_from_str(const char *s);

static inline bool pl_isset(const struct pl *pl)
{
	return pl && pl->p != NULL;
}

/* Exact and ASCII case-insensitive comparison with a C string. 0 = equal. */
int pl_strcmp(const struct pl *pl, const char *s);
int pl_strcasecmp(const struct pl *pl, const char *s);
/* Exact and case-insensitive comparison of two slices. 0 = equal. */
int pl_cmp(const struct pl *a, const struct pl *b);
int pl_casecmp(const struct pl *a, const struct pl *b);

/*
 * Decimal unsigned integers. The whole slice must be digits; overflow of
 * the target type is an error. Return 0, EINVAL or ERANGE; *v is set only
 * on success.
 */
int pl_u32(const struct pl *pl, uint32_t *v);
int pl_u64(const struct pl *pl, uint64_t *v);

/* Trim leading/trailing SP and HTAB in place. */
void pl_trim(struct pl *pl);

/* First occurrence of c, or NULL. */
const char *pl_chr(const struct pl *pl, char c);

/*
 * Copy into dst as a NUL-terminated string. Returns 0, or ENOSPC when it
 * does not fit (dst then holds nothing useful but is NUL-terminated).
 */
int pl_strcpy(const struct pl *pl, char *dst, size_t sz);

/* strdup of the slice; NULL on ENOMEM. Caller frees. */
char *pl_strdup(const struct pl *pl);

#endif
