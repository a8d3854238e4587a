/*
 * pipeline.h - the acceptance pipeline of mxgated (the role Postfix's
 * cleanup plays): everything that happens to a message between the end
 * of the SMTP dialogue and its durable place in the delivery queue.
 *
 * The SMTP server hands over the envelope and the data; the pipeline
 * runs its stages in order (pipeline.c names them in one table) and
 * either refuses the message at once with a reply, or answers later,
 * once the message is durable (or could not be made so).
 */
#ifndef DAEMON_PIPELINE_H
#define DAEMON_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/gw.h"
#include "mail/listener.h"

/* One recipient as the SMTP dialogue accepted it. */
struct pipeline_rcpt {
	const char *addr;		/* local@domain */
	const char *domain;		/* its domain, the destination queue */
};

/* A message at the end of DATA. */
struct pipeline_in {
	int64_t icid;			/* the inbound connection */
	int64_t mid;			/* allocated at MAIL FROM */
	const struct listener_conf *listener;
	const char *client_ip;		/* the connecting client */
	const char *rdns;		/* its forward-confirmed PTR name; NULL or "" if none */
	const char *helo;		/* its HELO/EHLO name, already escaped */
	int tls;			/* the session is encrypted */
	const char *sender;		/* "" for <> */
	const struct pipeline_rcpt *rcpts;
	int nrcpts;
	char *data;			/* the message as received (CRLF lines): taken */
	size_t len;
	/*
	 * gone(arg), if set: has the client left? Asked when the lookups of
	 * the sdr stage are in: a message whose client left meanwhile is not
	 * queued (it never had its 250, so it will come again); cb then
	 * gets a 421
	 */
	int (*gone)(void *arg);
};

/* pipeline_cb - the final reply for a message that went to the queue writer */
typedef void (*pipeline_cb)(void *arg, const char *reply);

/*
 * pipeline_run - run the stages over one message. Returns 0 when the
 * message went on (to its lookups, then the queue writer): cb(arg, reply)
 * follows on the loop thread ("250 ..." once durable, "451 ..." if the
 * write failed, "421 ..." if the client left while it waited). Returns
 * -1 when a stage refused it: reply[size] holds the SMTP reply to send
 * now, and cb is never called. Either way in->data is taken.
 */
int pipeline_run(struct gw *gw, struct pipeline_in *in, pipeline_cb cb, void *arg, char *reply,
    size_t size);


#endif
