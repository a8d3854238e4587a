/*
 * remd.h - the remediation engine of mxgated: its own thread, because
 * everything it does waits on a remote server (ETD, IMAP, Graph) and the
 * event loop must not.
 *
 * It polls the Email Threat Defense API for verdicts (only with tdc.api
 * and tdc.polling on and tdc.polling_primary naming this machine's
 * serial), turns each new verdict into a request (store/remed.h), and
 * runs pending requests from every trigger (ETD, the HTTPS API, mxsh's
 * remediate): each recipient mailbox is found by its profile
 * (mail/remedconf.h) and acted on (net/mailbox.h). A forward made by the
 * gateway itself (IMAP) is handed to the loop, which queues it as a new
 * message to forward_to; log lines go to mail_logs through the loop too.
 *
 * DIAGNOSTICS: mail_logs lines prefixed "TDC: " naming the MID (findevent
 * -m shows them in the message's life); failures also in remediationreport.
 */
#ifndef DAEMON_REMD_H
#define DAEMON_REMD_H

#include "daemon/gw.h"

struct remd;

/* remd_start - start the thread with gw's configuration; NULL with *cause */
struct remd *remd_start(struct gw *gw, char **cause);

/* remd_reconfigure - the configuration changed (loop thread; copies what it needs) */
void remd_reconfigure(struct remd *rd, const struct conf *c);

/* remd_wake - pending requests were added (any thread) */
void remd_wake(struct remd *rd);

/* remd_stop - finish the request in hand, stop the thread, free (loop thread) */
void remd_stop(struct remd *rd);

#endif
