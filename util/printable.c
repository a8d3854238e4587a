/*
 * printable.c - make peer-supplied text safe to log or echo.
 *
 * DIAGNOSTICS: none; output is always NUL-terminated and bounded;
 * allocation failure aborts (util/str.c).
 */
#include <stdio.h>
#include <string.h>

#include "util/printable.h"
#include "util/str.h"

/* printable_copy - escape s into dst, cut at maxout chars; 1 if cut */
int
printable_copy(char *dst, size_t size, const char *s, size_t n, size_t maxout)
{
	int to_nul = n == PRINTABLE_STR;
	size_t o = 0, i;

	if (size == 0)
		return n > 0 && !(to_nul && s[0] == '\0');
	if (maxout == 0 || maxout > size - 1)
		maxout = size - 1;
	for (i = 0; i < n && !(to_nul && s[i] == '\0'); i++) {
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
	return i < n && !(to_nul && s[i] == '\0');
}

/* printable_utf8 - cut and made safe for one terminal line, UTF-8 kept */
char *
printable_utf8(const char *s, size_t max)
{
	size_t n = strlen(s);
	char *p;

	if (n > max && max > 3) {
		n = max - 3;
		/* never half a UTF-8 sequence before the "..." */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		p = str_printf("%.*s...", (int)n, s);
	} else {
		p = str_dup(s);
	}
	for (unsigned char *u = (unsigned char *)p; *u; u++) {
		if (*u < 0x20 || *u == 0x7f)
			*u = '?';
		else if (*u == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f)
			u[0] = u[1] = '?';	/* C1 controls in UTF-8 */
	}
	return p;
}
