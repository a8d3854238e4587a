/*
 * printable.c - make peer-supplied text safe to log or echo.
 *
 * DIAGNOSTICS: none; output is always NUL-terminated and bounded.
 */
#include <stdio.h>

#include "util/printable.h"

void
printable_copy(char *dst, size_t size, const char *s, size_t n, size_t maxout)
{
	size_t o = 0, i;

	if (size == 0)
		return;
	if (maxout == 0 || maxout > size - 1)
		maxout = size - 1;
	for (i = 0; i < n && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 > maxout)
				break;
			dst[o++] = (char)c;
		} else {
			/* \ooo keeps the original recoverable without breaking the line */
			if (o + 4 > maxout)
				break;
			snprintf(dst + o, 5, "\\%03o", c);
			o += 4;
		}
	}
	dst[o] = '\0';
}
