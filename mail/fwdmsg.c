/*
 * fwdmsg.c - build the forward of a remediated message.
 *
 * Shape (RFC 2046 multipart/mixed, RFC 2046 5.2.1 message/rfc822), like
 * the journal copy (mail/journal.c):
 *
 *	From: "Mail Delivery System" <MAILER-DAEMON@gateway>
 *	To: <forward_to>
 *	Subject: Remediated message: <original subject>
 *	Auto-Submitted: auto-generated (RFC 3834: no auto-replies to it)
 *	  text/plain: which mailbox, trigger, verdict, MID, Message-ID, request
 *	  message/rfc822: the message as the mailbox held it
 *
 * IMAP hands messages over with CRLF line ends, but a server may store a
 * bare LF: each bare LF becomes CRLF so that the queued message is made
 * of CRLF lines as the delivery code expects. The boundary is checked
 * against the message and changed until it occurs nowhere in it.
 *
 * DIAGNOSTICS: none; the result is always a well-formed message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/fwdmsg.h"
#include "mail/header.h"
#include "mail/mailfmt.h"
#include "util/buf.h"
#include "util/str.h"

/* crlf - the message with every bare LF (and a lone CR) made CRLF, ending in CRLF */
static void
crlf(struct buf *o, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\r') {
			buf_add(o, "\r\n", 2);
			if (i + 1 < n && p[i + 1] == '\n')
				i++;
		} else if (p[i] == '\n') {
			buf_add(o, "\r\n", 2);
		} else {
			buf_add(o, &p[i], 1);
		}
	}
	if (o->len < 2 || memcmp(o->data + o->len - 2, "\r\n", 2) != 0)
		buf_add(o, "\r\n", 2);
}

/* has_8bit - any byte above 127? */
static int
has_8bit(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] > 127)
			return 1;
	return 0;
}

#define FWD_SUBJECT_CUT 900	/* bytes of the original subject kept (RFC 5322 2.1.1: 998 a line) */
#define FWD_EW_BYTES 45		/* text bytes in one encoded word: 60 base64, 72 with =?UTF-8?B??= */

/* utf8_len - bytes of the well-formed UTF-8 character at p (n left), 0 when it is not one */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t k = p[0] < 0x80 ? 1 : p[0] >= 0xc2 && p[0] <= 0xdf ? 2 :
	    p[0] >= 0xe0 && p[0] <= 0xef ? 3 : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;

	if (k == 0 || k > n)
		return 0;
	for (size_t i = 1; i < k; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return k;
}

/* b64 - append n bytes of p in base64 */
static void
b64(struct buf *b, const unsigned char *p, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
		    (i + 2 < n ? p[i + 2] : 0);
		char q[4] = { a[v >> 18 & 63], a[v >> 12 & 63], i + 1 < n ? a[v >> 6 & 63] : '=',
			i + 2 < n ? a[v & 63] : '=' };

		buf_add(b, q, 4);
	}
}

/*
 * subject_header - "Subject: Remediated message: SUBJ": the original's
 * subject one line of text (controls as spaces), cut at FWD_SUBJECT_CUT
 * bytes at a character's end; plain ASCII folded at spaces before 78
 * columns, anything with 8-bit text as RFC 2047 UTF-8 B encoded words
 * (bytes that are not UTF-8 become '?'), one a folded line, so that no
 * line exceeds RFC 5322's limit and no raw 8-bit goes into a header
 */
static void
subject_header(struct buf *b, const char *subject)
{
	struct buf t;
	const unsigned char *p;
	size_t n, i, col;
	int eight = 0;

	buf_init(&t, 0);
	buf_addstr(&t, "Remediated message: ");
	for (p = (const unsigned char *)subject, i = 0; p[i] != '\0' && i < FWD_SUBJECT_CUT;) {
		size_t k = utf8_len(p + i, strlen((const char *)p + i));

		if (k == 0) {
			buf_addch(&t, '?');
			i++;
			eight = 1;
			continue;
		}
		if (i + k > FWD_SUBJECT_CUT)
			break;
		if (k == 1)
			buf_addch(&t, p[i] < 32 || p[i] == 127 ? ' ' : (char)p[i]);
		else {
			buf_add(&t, (const char *)p + i, k);
			eight = 1;
		}
		i += k;
	}
	p = (const unsigned char *)t.data;
	n = t.len;
	buf_addstr(b, "Subject:");
	if (eight) {
		for (i = 0; i < n;) {
			size_t e = i;

			while (e < n) {
				size_t k = utf8_len(p + e, n - e);

				if (k == 0)
					k = 1;
				if (e + k - i > FWD_EW_BYTES)
					break;
				e += k;
			}
			buf_addstr(b, i ? "\r\n =?UTF-8?B?" : " =?UTF-8?B?");
			b64(b, p + i, e - i);
			buf_addstr(b, "?=");
			i = e;
		}
	} else {
		col = 8;
		for (i = 0; i < n;) {
			size_t e = i + 1;

			while (e < n && p[e] != ' ')
				e++;
			/* a word (with its leading space) goes on the next line when this one is full */
			if (i > 0 && col + (e - i) > 76) {
				buf_addstr(b, "\r\n");
				col = 0;
			}
			if (i == 0)
				buf_addch(b, ' ');
			buf_add(b, (const char *)p + i, e - i);
			col += e - i + (i == 0);
			i = e;
		}
	}
	buf_addstr(b, "\r\n");
	buf_free(&t);
}

/* fwdmsg_build - see fwdmsg.h */
char *
fwdmsg_build(const struct fwdmsg_in *in, size_t *len)
{
	struct buf b, orig;
	char date[64], boundary[96], subject[1000] = "";
	unsigned salt = 0;
	int eight;

	buf_init(&orig, 0);
	crlf(&orig, in->orig, in->orig_len);
	eight = has_8bit(orig.data, orig.len);
	header_find(orig.data, orig.len, "Subject", subject, sizeof(subject));
	do
		str_fmt(boundary, sizeof(boundary), "mxgate-remed-%lld-%lld-%u", in->remed_id,
		    (long long)in->now, salt++);
	while (memmem(orig.data, orig.len, boundary, strlen(boundary)) != NULL);
	mailfmt_date(in->now, date, sizeof(date));

	buf_init(&b, 0);
	buf_printf(&b, "From: \"Mail Delivery System\" <MAILER-DAEMON@%s>\r\n", in->hostname);
	buf_addstr(&b, "To: <");
	mailfmt_clean(&b, in->forward_to);
	buf_addstr(&b, ">\r\n");
	subject_header(&b, subject);
	buf_printf(&b, "Date: %s\r\n", date);
	buf_printf(&b, "Message-ID: <remed.%lld.%lld.%lld@%s>\r\n", in->remed_id, in->fwd_mid,
	    (long long)in->now, in->hostname);
	buf_addstr(&b, "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n");
	buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n", boundary);
	if (eight)
		buf_addstr(&b, "Content-Transfer-Encoding: 8bit\r\n");
	buf_addstr(&b, "\r\nThis is a remediation report in MIME format.\r\n\r\n");

	buf_printf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
		       "Content-Transfer-Encoding: 8bit\r\n\r\n", boundary);
	buf_printf(&b, "The gateway %s removed or forwarded this message by remediation %lld.\r\n"
		       "\r\n", in->hostname, in->remed_id);
	buf_addstr(&b, "Mailbox: ");
	mailfmt_clean(&b, in->mailbox);
	buf_addstr(&b, "\r\nTrigger: ");
	mailfmt_clean(&b, in->trigger);
	if (in->who && in->who[0]) {
		buf_addstr(&b, " ");
		mailfmt_clean(&b, in->who);
	}
	buf_addstr(&b, "\r\nVerdict: ");
	mailfmt_clean(&b, in->verdict && in->verdict[0] ? in->verdict : "none");
	buf_addstr(&b, "\r\nAction: ");
	mailfmt_clean(&b, in->action);
	if (in->orig_mid > 0)
		buf_printf(&b, "\r\nMID: %lld", in->orig_mid);
	buf_addstr(&b, "\r\nMessage-ID: ");
	mailfmt_clean(&b, in->message_id);
	buf_printf(&b, "\r\nRemediation: %lld\r\n\r\n", in->remed_id);

	buf_printf(&b, "--%s\r\nContent-Type: message/rfc822\r\n", boundary);
	if (eight)
		buf_addstr(&b, "Content-Transfer-Encoding: 8bit\r\n");
	buf_addstr(&b, "Content-Disposition: attachment; filename=\"remediated.eml\"\r\n\r\n");
	buf_add(&b, orig.data, orig.len);
	/* the CRLF before a delimiter is the delimiter's (RFC 2046 5.1.1) */
	buf_printf(&b, "\r\n--%s--\r\n", boundary);
	buf_free(&orig);
	*len = b.len;
	return buf_steal(&b);
}
