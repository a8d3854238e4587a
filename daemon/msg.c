/*
 * msg.c - messages, recipients and bodies in memory, and their
 * queue.db records: the one place a struct msg becomes a struct
 * queue_msg and back.
 *
 * DIAGNOSTICS: none; memory exhaustion aborts (xcalloc), as everywhere.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/msg.h"
#include "util/str.h"

struct body *
body_new(char *data, size_t len)
{
	struct body *b = xcalloc(1, sizeof(*b));

	b->refs = 1;
	b->data = data;
	b->len = len;
	return b;
}

struct body *
body_ref(struct body *b)
{
	if (b)
		b->refs++;
	return b;
}

void
body_unref(struct body *b)
{
	if (b && --b->refs == 0) {
		free(b->data);
		free(b);
	}
}

struct msg *
msg_new(int64_t mid, int64_t parent_mid, int64_t icid, enum queue_kind kind, int direction,
    const char *sender, const char *policy, const char *message_id, const char *client_ip,
    const char *listener)
{
	struct msg *m = xcalloc(1, sizeof(*m));

	m->refs = 1;
	m->mid = mid;
	m->parent_mid = parent_mid;
	m->icid = icid;
	m->kind = kind;
	m->direction = direction;
	m->received = time(NULL);
	m->sender = str_dup(sender ? sender : "");
	m->policy = str_dup(policy ? policy : "");
	m->message_id = str_dup(message_id ? message_id : "");
	str_copy(m->client_ip, client_ip ? client_ip : "", sizeof(m->client_ip));
	m->listener = str_dup(listener ? listener : "");
	return m;
}

void
msg_unref(struct msg *m)
{
	if (m == NULL || --m->refs > 0)
		return;
	body_unref(m->body);
	for (int i = 0; i < m->nbounces; i++) {
		free(m->bounces[i].addr);
		free(m->bounces[i].diag);
	}
	free(m->bounces);
	free(m->sender);
	free(m->policy);
	free(m->message_id);
	free(m->listener);
	free(m);
}

void
msg_set_body(struct msg *m, struct body *b)
{
	body_unref(m->body);
	m->body = b;
	m->body_len = b ? b->len : 0;
}

void
msg_bounce_add(struct msg *m, int rid, const char *addr, const char *status, const char *diag)
{
	struct bounce_rec *b;

	m->bounces = xrealloc(m->bounces, sizeof(*m->bounces) * (size_t)(m->nbounces + 1));
	b = &m->bounces[m->nbounces++];
	b->rid = rid;
	b->addr = str_dup(addr);
	str_copy(b->status, status, sizeof(b->status));
	b->diag = str_dup(diag);
}

struct rcpt *
rcpt_new(struct msg *m, int rid, const char *addr, const char *dest)
{
	struct rcpt *r = xcalloc(1, sizeof(*r));

	r->msg = m;
	m->refs++;
	m->nrcpts++;
	r->rid = rid;
	r->addr = str_dup(addr);
	r->dest = str_dup(dest);
	str_lower(r->dest);
	return r;
}

void
rcpt_free(struct rcpt *r)
{
	if (r == NULL)
		return;
	msg_unref(r->msg);
	free(r->addr);
	free(r->dest);
	free(r->last_error);
	free(r);
}

void
msg_record(const struct msg *m, struct queue_msg *qm)
{
	*qm = (struct queue_msg){ .mid = m->mid, .parent_mid = m->parent_mid, .icid = m->icid,
		.kind = m->kind, .received = m->received, .sender = m->sender,
		.policy = m->policy, .direction = m->direction, .client_ip = m->client_ip,
		.listener = m->listener, .message_id = m->message_id,
		.body = m->body ? m->body->data : "", .body_len = m->body ? m->body->len : 0 };
}

struct msg *
msg_from_record(const struct queue_msg *qm)
{
	struct msg *m = msg_new(qm->mid, qm->parent_mid, qm->icid, qm->kind, qm->direction,
	    qm->sender, qm->policy, qm->message_id, qm->client_ip, qm->listener);

	m->received = qm->received;
	m->body_len = qm->body_len;
	return m;
}

void
rcpt_record(const struct rcpt *r, struct queue_rcpt *qr)
{
	*qr = (struct queue_rcpt){ .mid = r->msg->mid, .rid = r->rid, .addr = r->addr,
		.dest = r->dest, .attempts = r->attempts, .next_try = r->next_try,
		.last_error = r->last_error };
}

void
msg_batch_add(struct msg_batch *b, struct msg *m, struct rcpt **rcpts, int n)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 4;
		b->msgs = xrealloc(b->msgs, sizeof(*b->msgs) * (size_t)b->cap);
		b->rcpts = xrealloc(b->rcpts, sizeof(*b->rcpts) * (size_t)b->cap);
		b->nrcpts = xrealloc(b->nrcpts, sizeof(*b->nrcpts) * (size_t)b->cap);
	}
	b->msgs[b->n] = m;
	b->rcpts[b->n] = xcalloc((size_t)n + 1, sizeof(struct rcpt *));
	memcpy(b->rcpts[b->n], rcpts, sizeof(struct rcpt *) * (size_t)n);
	b->nrcpts[b->n] = n;
	b->n++;
}

void
msg_batch_move(struct msg_batch *dst, struct msg_batch *src)
{
	for (int i = 0; i < src->n; i++) {
		msg_batch_add(dst, src->msgs[i], src->rcpts[i], src->nrcpts[i]);
		free(src->rcpts[i]);
	}
	free(src->msgs);
	free(src->rcpts);
	free(src->nrcpts);
	*src = (struct msg_batch){ 0 };
}

void
msg_batch_records(const struct msg_batch *b, struct queue_msg **qm, struct queue_rcpt **qr,
    int *nqr)
{
	int total = 0, k = 0;

	for (int i = 0; i < b->n; i++)
		total += b->nrcpts[i];
	*qm = xcalloc((size_t)b->n + 1, sizeof(**qm));
	*qr = xcalloc((size_t)total + 1, sizeof(**qr));
	for (int i = 0; i < b->n; i++) {
		msg_record(b->msgs[i], &(*qm)[i]);
		for (int j = 0; j < b->nrcpts[i]; j++)
			rcpt_record(b->rcpts[i][j], &(*qr)[k++]);
	}
	*nqr = k;
}

void
msg_batch_free(struct msg_batch *b, int free_rcpts)
{
	for (int i = 0; i < b->n; i++) {
		if (free_rcpts)
			for (int j = 0; j < b->nrcpts[i]; j++)
				rcpt_free(b->rcpts[i][j]);
		free(b->rcpts[i]);
		msg_unref(b->msgs[i]);
	}
	free(b->msgs);
	free(b->rcpts);
	free(b->nrcpts);
	*b = (struct msg_batch){ 0 };
}
