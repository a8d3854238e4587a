/*
 * printable.h - make peer-supplied text safe to log or echo.
 *
 * Postfix printable() and OpenSMTPD strnvis: control characters and
 * bytes outside printable ASCII become '?' or \ooo, and the result is cut
 * at a length so one attacker line cannot flood a log.
 */
#ifndef UTIL_PRINTABLE_H
#define UTIL_PRINTABLE_H

#include <stddef.h>

#define PRINTABLE_STR ((size_t)-1)	/* printable_copy's n: up to the NUL */

/*
 * printable_copy - escape up to n input bytes of s into dst[size], cut
 * at maxout chars (0: as many as dst holds). n PRINTABLE_STR: s is a
 * string and ends at its NUL; any other n is a length and a NUL byte
 * within it is escaped (\000) like any control byte. Returns 1 when the
 * input did not fit (the output was cut), else 0.
 */
int printable_copy(char *dst, size_t size, const char *s, size_t n, size_t maxout);

/*
 * printable_utf8 - a malloc'd copy of string s for one terminal line,
 * cut to max bytes with "..." at a cut (never inside a UTF-8 sequence),
 * control characters (C0, DEL, C1 in UTF-8) as '?'; UTF-8 is kept
 */
char *printable_utf8(const char *s, size_t max);

#endif
