/*
 * dsn.h - delivery status notifications (RFC 3464) for hard bounces and
 * expired messages.
 */
#ifndef MAIL_DSN_H
#define MAIL_DSN_H

#include <stddef.h>
#include <time.h>

struct dsn_rcpt {
	const char *addr;	/* the failed recipient */
	const char *status;	/* "5.1.1" */
	const char *diag;	/* "smtp; 550 5.1.1 user unknown" */
};

/*
 * dsn_build - the whole notification message (malloc'd, CRLF lines):
 * multipart/report with a human part, the message/delivery-status part and
 * the original's headers (text/rfc822-headers). orig is the original
 * message; only its header section is copied.
 */
char *dsn_build(const char *hostname, const char *sender, long long mid, time_t arrival,
    const struct dsn_rcpt *r, int n, const char *orig, size_t orig_len, size_t *len);

#endif
