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

/* printable_copy - escape up to n input bytes of s into dst[size], cut at maxout chars */
void printable_copy(char *dst, size_t size, const char *s, size_t n, size_t maxout);

#endif
