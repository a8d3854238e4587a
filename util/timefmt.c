/*
 * timefmt.c - the time formats operators see.
 *
 * DIAGNOSTICS: none; a time that cannot be converted prints as "?".
 */
#include <stdio.h>
#include <string.h>

#include "util/str.h"
#include "util/timefmt.h"

/* fmt - strftime in local time with a fallback */
static void
fmt(time_t t, const char *f, char *buf, size_t size)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(buf, size, f, &tm) == 0)
		str_copy(buf, "?", size);
}

void
timefmt_ctime(time_t t, char *buf, size_t size)
{
	fmt(t, "%a %b %e %H:%M:%S %Y", buf, size);
}

void
timefmt_ctime_zone(time_t t, char *buf, size_t size)
{
	fmt(t, "%a %b %e %H:%M:%S %Y %Z", buf, size);
}

void
timefmt_stamp(time_t t, char *buf, size_t size)
{
	fmt(t, "%Y%m%dT%H%M%S", buf, size);
}
