/*
 * journal.c - build the Threat Defense Connector's journal copy.
 *
 * Shape (RFC 2046 multipart/mixed, RFC 2046 5.2.1 message/rfc822):
 *
 *	From: Threat Defense Connector <MAILER-DAEMON@gateway>
 *	To: <intake address>
 *	Subject: Journal: <original subject>
 *	X-IronPort-RemoteIP: <client IP>
 *	Content-Type: multipart/mixed; boundary="..."
 *	  text/plain: the envelope
 *	  message/rfc822: the remote-IP header, then the original as received
 *
 * The original is attached unmodified, so 8-bit content stays 8-bit: the
 * part (and the copy) say Content-Transfer-Encoding: 8bit when the
 * original has any byte above 127, as RFC 2046 5.2.1 allows for
 * message/rfc822. The boundary is checked against the original's bytes
 * and changed until it does not occur there.
 *
 * DIAGNOSTICS: none; the result is always a well-formed message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/journal.h"
#include "mail/mailfmt.h"
#include "util/buf.h"
#include "util/str.h"

/* has_8bit - any byte above 127? */
static int
has_8bit(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] > 127)
			return 1;
	return 0;
}

/* contains - does needle occur in hay[0..n)? */
static int
contains(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	return k <= n && memmem(hay, n, needle, k) != NULL;
}

/* journal_header_name_ok - RFC 5322 3.6.8: printable US-ASCII except ':' */
int
journal_header_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 76)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] <= 32 || (unsigned char)name[i] >= 127 || name[i] == ':')
			return 0;
	return 1;
}

/* journal_build - see journal.h */
char *
journal_build(const struct journal_in *in, size_t *len)
{
	struct buf b;
	char date[64], boundary[96];
	const char *hdr = journal_header_name_ok(in->ip_header) ? in->ip_header :
								 JOURNAL_DEFAULT_HEADER;
	int eight = has_8bit(in->orig, in->orig_len);
	unsigned salt = 0;

	do
		str_fmt(boundary, sizeof(boundary), "mxgate-tdc-%lld-%lld-%u", in->copy_mid,
		    (long long)in->now, salt++);
	while (contains(in->orig, in->orig_len, boundary));
	mailfmt_date(in->now, date, sizeof(date));

	buf_init(&b, 0);
	buf_printf(&b, "From: Threat Defense Connector <MAILER-DAEMON@%s>\r\n", in->hostname);
	buf_addstr(&b, "To: <");
	mailfmt_clean(&b, in->intake);
	buf_addstr(&b, ">\r\nSubject: Journal: ");
	mailfmt_clean(&b, in->subject);
	buf_printf(&b, "\r\nDate: %s\r\n", date);
	buf_printf(&b, "Message-ID: <tdc.%lld.%lld@%s>\r\n", in->copy_mid, (long long)in->now,
	    in->hostname);
	buf_printf(&b, "%s: ", hdr);
	mailfmt_clean(&b, in->client_ip);
	buf_addstr(&b, "\r\nAuto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n");
	buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n", boundary);
	if (eight)
		buf_addstr(&b, "Content-Transfer-Encoding: 8bit\r\n");
	buf_addstr(&b, "\r\nThis is a journal report in MIME format.\r\n\r\n");

	/* the envelope, which the original's headers do not carry */
	buf_printf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
		       "Content-Transfer-Encoding: 8bit\r\n\r\n", boundary);
	buf_addstr(&b, "Sender: ");
	mailfmt_clean(&b, in->sender[0] ? in->sender : "<>");
	buf_addstr(&b, "\r\n");
	for (int i = 0; i < in->nrcpts; i++) {
		buf_addstr(&b, "Recipient: ");
		mailfmt_clean(&b, in->rcpts[i]);
		buf_addstr(&b, "\r\n");
	}
	buf_printf(&b, "MID: %lld\r\n", in->orig_mid);
	buf_addstr(&b, "Message-ID: ");
	mailfmt_clean(&b, in->message_id);
	buf_addstr(&b, "\r\nClient-IP: ");
	mailfmt_clean(&b, in->client_ip);
	buf_addstr(&b, "\r\nPolicy: ");
	mailfmt_clean(&b, in->policy);
	buf_addstr(&b, "\r\nDirection: incoming\r\n\r\n");

	/* the original, unchanged but for the remote-IP header on top */
	buf_printf(&b, "--%s\r\nContent-Type: message/rfc822\r\n", boundary);
	if (eight)
		buf_addstr(&b, "Content-Transfer-Encoding: 8bit\r\n");
	buf_printf(&b, "Content-Disposition: attachment; filename=\"mid-%lld.eml\"\r\n\r\n",
	    in->orig_mid);
	buf_printf(&b, "%s: ", hdr);
	mailfmt_clean(&b, in->client_ip);
	buf_addstr(&b, "\r\n");
	buf_add(&b, in->orig, in->orig_len);
	/*
	 * The CRLF before a boundary delimiter belongs to the delimiter (RFC
	 * 2046 5.1.1), so one more is needed for the original's own last line
	 * end to stay part of the attached message.
	 */
	buf_printf(&b, "\r\n--%s--\r\n", boundary);
	*len = b.len;
	return buf_steal(&b);
}
