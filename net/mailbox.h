/*
 * mailbox.h - acting on one user's mailbox for remediation (blocking:
 * the remediation thread, and tests/unit tools).
 *
 * IMAP through libcurl (imaps://, or imap:// with STARTTLS required):
 * UID SEARCH HEADER Message-ID, UID STORE +FLAGS (\Deleted) + UID
 * EXPUNGE, or UID MOVE to the profile's folder; the message fetched by
 * its URL form (.../INBOX/;UID=n) for a forward. One session keeps its
 * connection for the calls on the same mailbox.
 *
 * Microsoft Graph (v1.0): client-credentials token (cached until its
 * expires_in, refreshed once on a 401), GET /users/{upn}/messages with
 * $filter=internetMessageId eq '...', DELETE or POST .../move, POST
 * .../forward; a 429 or 503 is waited out (Retry-After, at most
 * MBX_MAX_WAIT seconds) and asked once more.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line *cause that an operator can act
 * on ("IMAP login as alice@example.com*mxgate failed: ...").
 */
#ifndef NET_MAILBOX_H
#define NET_MAILBOX_H

#include <stddef.h>

#include "mail/remedconf.h"

#define MBX_MAX_HITS 16		/* copies of one message acted on in one mailbox */
#define MBX_MAX_WAIT 60		/* seconds a Retry-After is honoured */
#define MBX_MAX_MESSAGE (64u * 1024 * 1024)

struct mbx;

/* mbx_open - a session with p's server (nothing connects yet); ca_pem: NULL/"" system's */
struct mbx *mbx_open(const struct remed_profile *p, const char *ca_pem);
void mbx_close(struct mbx *m);

/*
 * mbx_find - the ids (IMAP UIDs as text, Graph message ids) of the
 * messages in mailbox whose Message-ID is message_id (with its <>); login
 * and password: IMAP credentials (master: "MAILBOX*USER"), ignored by
 * Graph. The number found (0..MBX_MAX_HITS), or -1.
 */
int mbx_find(struct mbx *m, const char *mailbox, const char *login, const char *password,
    const char *message_id, char ids[][256], char **cause);

/*
 * mbx_fetch, mbx_forward, mbx_delete act in the mailbox (and with the
 * credentials) of the session's last mbx_find; mailbox is passed again
 * for Graph's URLs and the causes.
 *
 * mbx_fetch - the message id as stored (malloc'd, *len), for a forward by the gateway
 */
int mbx_fetch(struct mbx *m, const char *mailbox, const char *id, char **data, size_t *len,
    char **cause);

/*
 * mbx_forward - the server forwards the message itself (Graph); 1 when the
 * backend cannot (IMAP: the caller fetches and sends it), 0 done, -1
 */
int mbx_forward(struct mbx *m, const char *mailbox, const char *id, const char *to,
    const char *comment, char **cause);

/* mbx_delete - delete (or move to the profile's folder) message id; 0 or -1 */
int mbx_delete(struct mbx *m, const char *mailbox, const char *id, char **cause);

/*
 * mbx_passing - was the last call's failure one a later try may not have
 * (the server down or unreachable, the connection broken, a time limit,
 * an HTTP 5xx, 429 or 408)? 0 for a refusal that stays (a login or a
 * request refused, a bad certificate, an answer too large).
 */
int mbx_passing(const struct mbx *m);

/*
 * mbx_set_abort - once *flag is set (by another thread), a transfer under
 * way ends within about a second and a Retry-After wait at once: the call
 * fails ("...: Callback aborted"), and the caller, who set the flag, knows why
 */
void mbx_set_abort(struct mbx *m, volatile int *flag);

#endif
