/*
 * msg.h - the message model of mxgated: a message body shared by the
 * parts of a split message, a queued message and its recipients in
 * memory, and the one conversion between them and queue.db's records.
 *
 * Everything here belongs to the loop thread. A message is reference
 * counted: each recipient holds one reference, and so does whoever is
 * working on it (the pipeline, a connection in a transaction).
 */
#ifndef DAEMON_MSG_H
#define DAEMON_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include "store/queue.h"

/* A message body shared by the split copies of a message. */
struct body {
	int refs;
	size_t len;
	char *data;			/* CRLF lines, not dot-stuffed */
};

/* body_new - a body owning data (malloc'd), one reference */
struct body *body_new(char *data, size_t len);

/* body_ref - one more reference */
struct body *body_ref(struct body *b);

/* body_unref - drop a reference; frees at zero */
void body_unref(struct body *b);

/* A hard-bounced recipient, remembered until its message is finished. */
struct bounce_rec {
	int rid;
	char *addr;
	char status[16];		/* "5.1.1" */
	char *diag;			/* "smtp; 550 5.1.1 <x>: unknown" */
};

/* A queued message in memory. */
struct msg {
	int64_t mid;
	int64_t parent_mid;		/* split / bounce / journal origin, 0 if none */
	int64_t icid;
	enum queue_kind kind;
	int direction;			/* 0 incoming, 1 outgoing */
	time_t received;
	char *sender;			/* "" for <> */
	char *policy;
	char *message_id;
	char client_ip[64];
	char *listener;
	struct body *body;		/* NULL until loaded (after a restart) */
	size_t body_len;		/* known even before the body is loaded */
	int nrcpts;			/* recipients not yet done */
	int refs;			/* recipients + in-flight users */
	struct bounce_rec *bounces;	/* hard-bounced recipients, for the DSN */
	int nbounces;
};

/* A recipient waiting for delivery. */
struct rcpt {
	struct msg *msg;
	int rid;
	char *addr;
	char *dest;			/* destination queue name */
	int attempts;
	time_t next_try;
	time_t entered;			/* entered a delivery queue of this run (0: not yet) */
	char *last_error;
	TAILQ_ENTRY(rcpt) link;		/* in its destination's list */
};
TAILQ_HEAD(rcpt_list, rcpt);

/*
 * msg_new - a message with one reference (the caller's) and these
 * envelope fields copied; body and recipients come later
 */
struct msg *msg_new(int64_t mid, int64_t parent_mid, int64_t icid, enum queue_kind kind,
    int direction, const char *sender, const char *policy, const char *message_id,
    const char *client_ip, const char *listener);

/* msg_unref - drop a reference; frees at zero */
void msg_unref(struct msg *m);

/* msg_set_body - attach a body (the message takes the reference) */
void msg_set_body(struct msg *m, struct body *b);

/* msg_bounce_add - remember a hard-bounced recipient for the DSN */
void msg_bounce_add(struct msg *m, int rid, const char *addr, const char *status,
    const char *diag);

/* rcpt_new - a recipient of m (takes a reference on m) */
struct rcpt *rcpt_new(struct msg *m, int rid, const char *addr, const char *dest);

/* rcpt_free - release a recipient (drops its reference on the message) */
void rcpt_free(struct rcpt *r);

/* msg_record - the queue.db record of m (points into m and its body) */
void msg_record(const struct msg *m, struct queue_msg *qm);

/* msg_from_record - a message from a queue.db record; its body is not loaded */
struct msg *msg_from_record(const struct queue_msg *qm);

/* rcpt_record - the queue.db record of a new recipient (points into r) */
void rcpt_record(const struct rcpt *r, struct queue_rcpt *qr);

/*
 * A batch of new messages with their recipients, stored by the queue
 * writer in one durable transaction (a crash keeps all or none).
 */
struct msg_batch {
	int n, cap;
	struct msg **msgs;		/* one reference each */
	struct rcpt ***rcpts;		/* each message's recipients */
	int *nrcpts;
};

/* msg_batch_add - append m (the batch takes the caller's reference) and its recipients (copied array) */
void msg_batch_add(struct msg_batch *b, struct msg *m, struct rcpt **rcpts, int n);

/* msg_batch_move - append all of src to dst, leaving src empty */
void msg_batch_move(struct msg_batch *dst, struct msg_batch *src);

/* msg_batch_records - queue.db records of the batch (malloc'd arrays pointing into it) */
void msg_batch_records(const struct msg_batch *b, struct queue_msg **qm,
    struct queue_rcpt **qr, int *nqr);

/* msg_batch_free - release the batch; with free_rcpts also the recipients it still holds */
void msg_batch_free(struct msg_batch *b, int free_rcpts);

#endif
