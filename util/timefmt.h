/*
 * timefmt.h - the time formats operators see (AsyncOS follows ctime(3)).
 */
#ifndef UTIL_TIMEFMT_H
#define UTIL_TIMEFMT_H

#include <stddef.h>
#include <time.h>

/* timefmt_ctime - "Sun Nov 22 10:15:02 2026" in local time; buf >= 32 */
void timefmt_ctime(time_t t, char *buf, size_t size);

/* timefmt_ctime_zone - ctime form followed by the zone, "... 2026 UTC" */
void timefmt_ctime_zone(time_t t, char *buf, size_t size);

/* timefmt_stamp - compact "20261122T101500" used in rolled file names */
void timefmt_stamp(time_t t, char *buf, size_t size);

#endif
