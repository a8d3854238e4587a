/*
 * fwdmsg.h - the message a remediation forward sends when the gateway
 * forwards a message itself (an IMAP mailbox cannot): a short
 * explanation and the message as fetched from the mailbox, attached.
 */
#ifndef MAIL_FWDMSG_H
#define MAIL_FWDMSG_H

#include <stddef.h>
#include <time.h>

struct fwdmsg_in {
	const char *hostname;		/* the gateway: From: MAILER-DAEMON@, Message-ID: */
	const char *forward_to;		/* To: */
	const char *mailbox;		/* the mailbox it was found in */
	const char *trigger;		/* "ETD verdict", "API user", "operator" */
	const char *who;		/* the API user or operator, "" for ETD */
	const char *verdict;		/* ETD's verdict, "" if none */
	const char *action;		/* "forward", "forward_delete" */
	long long orig_mid;		/* the original's MID, 0 if unknown */
	long long remed_id;		/* the remediation request */
	long long fwd_mid;		/* this message's own MID */
	const char *message_id;		/* the original's Message-ID */
	const char *orig;		/* the message as fetched (any line ends) */
	size_t orig_len;
	time_t now;
};

/*
 * fwdmsg_build - the forward (malloc'd, CRLF lines, not dot-stuffed; *len
 * its length): From "Mail Delivery System" <MAILER-DAEMON@HOST>, To
 * forward_to, Subject "Remediated message: SUBJ" (one printable line),
 * multipart/mixed of a text/plain explanation and the original as
 * message/rfc822 under a boundary that occurs nowhere in it. Never fails.
 */
char *fwdmsg_build(const struct fwdmsg_in *in, size_t *len);

#endif
