/*
 * str.h - bounded string helpers that know nothing about mail.
 *
 * Every function here takes the destination size and reports truncation
 * instead of overflowing; numbers are parsed with range checks instead of
 * the C library's unchecked conversions (which the build bans).
 */
#ifndef UTIL_STR_H
#define UTIL_STR_H

#include <stddef.h>
#include <stdarg.h>

/* str_copy - copy src into dst[size]; returns 0, or -1 if truncated */
int str_copy(char *dst, const char *src, size_t size);

/* str_fmt - snprintf that returns 0, or -1 on truncation or error */
int str_fmt(char *dst, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* str_to_long - parse a whole decimal string within [min, max] */
int str_to_long(const char *s, long min, long max, long *out);

/* str_to_ullong - parse a whole non-negative decimal string */
int str_to_ullong(const char *s, unsigned long long *out);

/* str_trim - strip leading and trailing white space in place */
char *str_trim(char *s);

/* str_lower - lower-case ASCII letters in place */
char *str_lower(char *s);

/* str_casecmp_prefix - is p a case-insensitive prefix of s? */
int str_casecmp_prefix(const char *p, const char *s);

/* str_dup - strdup that aborts on allocation failure */
char *str_dup(const char *s);

/* str_ndup - strndup that aborts on allocation failure */
char *str_ndup(const char *s, size_t n);

/* str_printf - malloc'd printf result; aborts on allocation failure */
char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* str_vprintf - va_list form of str_printf */
char *str_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* xmalloc, xcalloc, xrealloc - allocation that aborts on failure */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);

/* str_split - split s on sep into a malloc'd NULL-terminated array */
char **str_split(const char *s, char sep, int *count);

/* str_split_free - free an array from str_split */
void str_split_free(char **v);

#endif
