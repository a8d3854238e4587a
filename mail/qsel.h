/*
 * qsel.h - which queued recipients a queue command acts on, as AsyncOS's
 * showrecipients / deleterecipients / bouncerecipients / redirectrecipients
 * choose them: by recipient host, by envelope sender, or all. Shared by
 * the shell (commands/qselcmd.h asks for one) and mxgated (which acts).
 *
 * host: a destination queue name as tophosts shows it (a domain,
 * [ip]:port after a redirect, or the.tdc.queue); sender: an envelope
 * sender ("" for the null sender <>). Matching is exact, case-insensitive.
 */
#ifndef MAIL_QSEL_H
#define MAIL_QSEL_H

#include <stddef.h>

enum qsel_kind { QSEL_HOST, QSEL_SENDER, QSEL_ALL };

struct qsel {
	enum qsel_kind kind;
	char value[320];	/* the host or the sender ("" for <>); "" for all */
};

/* qsel_match - does a recipient queued for dest, of a message from sender, belong? */
int qsel_match(const struct qsel *s, const char *dest, const char *sender);

/*
 * qsel_arg, qsel_from_arg - the selection as one request argument word
 * for the daemon ("host:example.com", "sender:a@b", "sender:", "all")
 * and back; qsel_from_arg returns -1 on a malformed word
 */
const char *qsel_arg(const struct qsel *s, char *buf, size_t size);
int qsel_from_arg(const char *arg, struct qsel *s);

/* qsel_text - how a reply names it: `for host "example.com"`, `from "a@b"`, "in the queue" */
const char *qsel_text(const struct qsel *s, char *buf, size_t size);

#endif
