/*
 * mailfmt.c - RFC 5322 dates and header-safe text.
 *
 * DIAGNOSTICS: none.
 */
#include <time.h>

#include "mail/mailfmt.h"

/* mailfmt_date - see mailfmt.h */
void
mailfmt_date(time_t t, char *buf, size_t size)
{
	struct tm tm;

	localtime_r(&t, &tm);
	if (strftime(buf, size, "%a, %d %b %Y %H:%M:%S %z", &tm) == 0 && size > 0)
		buf[0] = '\0';
}

/* mailfmt_clean - see mailfmt.h */
void
mailfmt_clean(struct buf *b, const char *s)
{
	for (; *s; s++)
		buf_addch(b, ((unsigned char)*s < 0x20 || *s == 0x7f) ? ' ' : *s);
}
