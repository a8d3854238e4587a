/*
 * journal.h - the Threat Defense Connector's journal copy of a message.
 *
 * The copy is a new message to the message intake address: a MIME
 * multipart/mixed with a short text/plain part giving the envelope
 * (sender, recipients, original MID, client IP, policy) and a
 * message/rfc822 part holding the original byte for byte as received
 * (with the gateway's Received: line), preceded by the remote-IP header.
 * The same header is on the copy itself, which is what the intake reads.
 */
#ifndef MAIL_JOURNAL_H
#define MAIL_JOURNAL_H

#include <stddef.h>
#include <time.h>

#define JOURNAL_DEFAULT_HEADER "X-IronPort-RemoteIP"

struct journal_in {
	const char *hostname;		/* the gateway, for From: and Message-ID: */
	const char *intake;		/* the message intake address (To:) */
	const char *ip_header;		/* "X-IronPort-RemoteIP" or the configured name */
	const char *client_ip;		/* the connecting client of the original */
	const char *sender;		/* the original's envelope sender, "" for <> */
	const char *const *rcpts;	/* the original's recipients in this policy */
	int nrcpts;
	long long orig_mid;		/* the original's MID */
	long long copy_mid;		/* the copy's own MID */
	const char *policy;		/* the incoming mail policy that matched */
	const char *message_id;		/* the original's Message-ID, "" if none */
	const char *subject;		/* the original's Subject, "" if none */
	const char *orig;		/* the original as received, CRLF lines */
	size_t orig_len;
	time_t now;			/* for Date: and the boundary */
};

/*
 * journal_build - the copy (malloc'd, CRLF lines, not dot-stuffed); *len
 * its length. Header values taken from the original are made one-line and
 * printable; the boundary is chosen so that it occurs nowhere in the
 * original. Never fails (memory exhaustion aborts, as everywhere).
 */
char *journal_build(const struct journal_in *in, size_t *len);

/* journal_header_name_ok - is name a usable header field name (RFC 5322 ftext)? */
int journal_header_name_ok(const char *name);

#endif
