/*
 * dsn.c - delivery status notifications (RFC 3464, RFC 6522).
 *
 * The notification goes from the null sender (set by the caller), says
 * which recipients failed and why, and carries the original's headers
 * only: the body could be large and is not needed to act on a bounce.
 *
 * DIAGNOSTICS: none; the result is always a well-formed message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail/dsn.h"
#include "mail/header.h"
#include "mail/mailfmt.h"
#include "util/buf.h"
#include "util/str.h"

char *
dsn_build(const char *hostname, const char *sender, long long mid, time_t arrival,
    const struct dsn_rcpt *r, int n, const char *orig, size_t orig_len, size_t *len)
{
	struct buf b;
	char now[64], arr[64], boundary[96];
	time_t t = time(NULL);
	size_t hdr_end = 0;

	mailfmt_date(t, now, sizeof(now));
	mailfmt_date(arrival, arr, sizeof(arr));
	str_fmt(boundary, sizeof(boundary), "mxgate-dsn-%lld-%lld", mid, (long long)t);
	buf_init(&b, 0);
	buf_printf(&b, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n", hostname);
	buf_addstr(&b, "To: <");
	mailfmt_clean(&b, sender);
	buf_addstr(&b, ">\r\n");
	buf_addstr(&b, "Subject: Undelivered Mail Returned to Sender\r\n");
	buf_printf(&b, "Date: %s\r\n", now);
	buf_printf(&b, "Message-ID: <dsn.%lld.%lld@%s>\r\n", mid, (long long)t, hostname);
	buf_addstr(&b, "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n");
	buf_printf(&b, "Content-Type: multipart/report; report-type=delivery-status;\r\n"
		       "\tboundary=\"%s\"\r\n\r\n", boundary);
	buf_addstr(&b, "This is a MIME-encapsulated message.\r\n\r\n");

	buf_printf(&b, "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n", boundary);
	buf_printf(&b, "This is the mail system at host %s.\r\n\r\n"
		       "Your message could not be delivered to one or more recipients.\r\n"
		       "It is attached below.\r\n\r\n", hostname);
	for (int i = 0; i < n; i++) {
		buf_addstr(&b, "<");
		mailfmt_clean(&b, r[i].addr);
		buf_addstr(&b, ">: ");
		mailfmt_clean(&b, r[i].diag);
		buf_addstr(&b, "\r\n");
	}
	buf_addstr(&b, "\r\n");

	buf_printf(&b, "--%s\r\nContent-Type: message/delivery-status\r\n\r\n", boundary);
	buf_printf(&b, "Reporting-MTA: dns; %s\r\nArrival-Date: %s\r\n", hostname, arr);
	for (int i = 0; i < n; i++) {
		buf_addstr(&b, "\r\nFinal-Recipient: rfc822; ");
		mailfmt_clean(&b, r[i].addr);
		buf_printf(&b, "\r\nAction: failed\r\nStatus: %s\r\nDiagnostic-Code: ", r[i].status);
		mailfmt_clean(&b, r[i].diag);
		buf_addstr(&b, "\r\n");
	}
	buf_addstr(&b, "\r\n");

	buf_printf(&b, "--%s\r\nContent-Type: text/rfc822-headers\r\n\r\n", boundary);
	header_walk(orig, orig_len, NULL, NULL, &hdr_end);
	if (hdr_end > orig_len)
		hdr_end = orig_len;
	buf_add(&b, orig, hdr_end);
	if (hdr_end < 2 || orig[hdr_end - 1] != '\n')
		buf_addstr(&b, "\r\n");
	buf_printf(&b, "\r\n--%s--\r\n", boundary);
	*len = b.len;
	return buf_steal(&b);
}
