/*
 * mailfmt.h - small pieces of RFC 5322 text shared by the messages the
 * gateway writes itself (Received: lines, bounces, journal copies).
 */
#ifndef MAIL_MAILFMT_H
#define MAIL_MAILFMT_H

#include <stddef.h>
#include <time.h>

#include "util/buf.h"

/* mailfmt_date - "Sun, 22 Nov 2026 10:15:02 +0000" (RFC 5322 3.3), local time */
void mailfmt_date(time_t t, char *buf, size_t size);

/*
 * mailfmt_clean - append s as one line of header text: CR, LF and other
 * control characters become spaces, so text from a peer can never start
 * a header of its own
 */
void mailfmt_clean(struct buf *b, const char *s);

#endif
