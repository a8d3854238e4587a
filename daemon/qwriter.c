/*
 * qwriter.c - the queue writer thread (group commit).
 *
 * Operations gather in a list under a mutex; the thread takes the whole
 * list, applies it in one transaction (durable when it holds an accepted
 * message), and moves the accepted-message operations to a done list. An
 * eventfd wakes the loop thread, which runs their callbacks: that is where
 * a session finally answers 250. A failed batch fails every accept in it
 * (the sessions answer 451) and drops the status updates, which are
 * replayed from the queue at the next start at worst.
 *
 * Every operation copies what it needs (an accept copies its messages'
 * strings and bodies), so callers may free their data at once; the copy
 * is cheap next to the fsync it waits for.
 *
 * The journaled rows of a journal copy (qwriter_journaled) are not an
 * operation of their own: pushed alone they could be taken into one batch
 * and the copy's accept into the next. They are staged, and the next
 * accept or release takes them into its operation, so they are written in
 * its transaction, after its messages, and not at all if its quarantine
 * entry had gone.
 *
 * Status updates alone (a recipient done, counters, gauges) are not
 * worth a transaction each: they wait up to QWRITER_STATUS_DELAY_MS for
 * company, and go at once with the next accept. In a batch, additions to
 * the same counter are summed and only the last value of a state name is
 * written (issue 8, speed: a transaction per delivery cost as much as
 * the accepts did). A crash may lose those milliseconds of status, as it
 * could lose the unsynced (synchronous=NORMAL) commits before; at worst
 * a delivered recipient is delivered again after the restart.
 *
 * DIAGNOSTICS: a failed batch is handed, with the SQLite cause, to the
 * report function on the loop thread (mxgated logs it in mail_logs and
 * raises an alert): the writer thread itself never writes a log.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon/qwriter.h"
#include "store/quarantine.h"
#include "store/remed.h"
#include "util/buf.h"
#include "util/str.h"

#define QWRITER_STATUS_DELAY_MS 20	/* status updates wait this long for an accept */
#define QWRITER_MERGE_NAMES 64		/* counter and state names merged per batch */

/*
 * The journaled rows of one journal copy (qwriter_journaled): staged
 * until the next accept or release, whose operation then carries them.
 */
struct qjournal {
	struct qjournal *next;
	int64_t orig_mid;		/* the original's MID */
	char *message_id;		/* its Message-ID (copy), "" if none */
	char **rcpts;			/* the copy's recipients (copies) */
	int nrcpts;
	time_t when;
};

enum qop_type { QOP_ACCEPT, QOP_DONE, QOP_DEFER, QOP_COUNT, QOP_HOST, QOP_CONNS, QOP_GLOBAL, QOP_STATE,
	QOP_REDIRECT, QOP_BOUNCE };

struct qop {
	enum qop_type type;
	struct qop *next;
	/* QOP_ACCEPT */
	struct queue_msg *msgs;
	int nmsgs;
	struct queue_rcpt *rcpts;
	int nrcpts;
	qwriter_accept_cb cb;
	void *arg;
	int ok;
	char *release;			/* QOP_ACCEPT of a release: the quarantine, else NULL */
	int64_t release_mid;
	/* others */
	int64_t mid;
	int rid, attempts, a, b, c;
	time_t when;
	char *host, *text;		/* copies */
	int64_t n;
	int skip;			/* merged into another operation of the batch */
	int gone;			/* a release whose quarantine entry had gone */
	char *rq;			/* QOP_ACCEPT: rq[i] set when rcpts[i] is quarantined */
	struct qjournal *journal;	/* QOP_ACCEPT: journaled rows stored with it */
};

struct qwriter {
	struct queue *q;		/* the thread's own connection */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct qop *head, **tail;	/* pending, in order */
	struct qjournal *staged, **stail;	/* journaled rows waiting for their accept */
	int naccepts;			/* accepts among them */
	struct qop *done;		/* applied accepts, for the loop thread */
	int stop;
	int efd;			/* eventfd: accepts are done */
	struct event *ev;		/* loop-thread side of efd */
	int64_t batches, durable;
	char *failure;			/* a failed batch's cause, for the loop thread */
	int64_t nfailures;		/* failed batches not yet reported */
	qwriter_report_fn report;	/* where failures are told (loop thread) */
	void *report_arg;
};

/*
 * push - hand an operation to the thread; it is woken for an accept, or
 * for the first operation of an empty list (then it waits for company)
 */
static void
push(struct qwriter *qw, struct qop *op)
{
	int wake;

	pthread_mutex_lock(&qw->lock);
	wake = qw->head == NULL || op->type == QOP_ACCEPT;
	if (op->type == QOP_ACCEPT) {
		qw->naccepts++;
		/* the rows of the copy this accept stores ride in its operation */
		op->journal = qw->staged;
		qw->staged = NULL;
		qw->stail = &qw->staged;
	}
	op->next = NULL;
	*qw->tail = op;
	qw->tail = &op->next;
	if (wake)
		pthread_cond_signal(&qw->cond);
	pthread_mutex_unlock(&qw->lock);
}

/* quarantine_put - m and its recipients (those of rcpts[0..n) with its MID) into its quarantine */
static int
quarantine_put(struct queue *q, const struct queue_msg *m, const struct queue_rcpt *rcpts, int n,
    time_t now, char **cause)
{
	struct buf b;
	char *list;
	int rc;

	buf_init(&b, 0);
	for (int i = 0; i < n; i++)
		if (rcpts[i].mid == m->mid)
			buf_printf(&b, "%s\t%s\n", rcpts[i].addr, rcpts[i].dest);
	list = buf_steal(&b);
	rc = quarantine_insert(q, m->quarantine, m, list ? list : "", m->subject ? m->subject : "",
	    m->qreason ? m->qreason : "", now, cause);
	free(list);
	return rc;
}

/* apply - one operation inside the batch */
static int
apply(struct queue *q, struct qop *op, char **cause)
{
	switch (op->type) {
	case QOP_ACCEPT:
		if (op->release) {
			int rc = quarantine_delete(q, op->release, op->release_mid, cause);

			if (rc < 0)
				return -1;
			if (rc == 1) {		/* deleted by an operator meanwhile */
				op->gone = 1;
				return 0;
			}
		}
		for (int i = 0; i < op->nmsgs; i++) {
			const struct queue_msg *m = &op->msgs[i];

			if (m->quarantine == NULL) {
				if (queue_insert_msg(q, m, cause) < 0)
					return -1;
				continue;
			}
			if (quarantine_put(q, m, op->rcpts, op->nrcpts, op->when, cause) < 0)
				return -1;
		}
		for (int i = 0; i < op->nrcpts; i++)
			if (!op->rq[i] && queue_insert_rcpt(q, &op->rcpts[i], cause) < 0)
				return -1;
		for (struct qjournal *j = op->journal; j; j = j->next)
			if (remed_journaled_add(q, j->orig_mid, j->message_id,
				(const char *const *)j->rcpts, j->nrcpts, j->when, cause) < 0)
				return -1;
		return 0;
	case QOP_DONE:
		return queue_rcpt_done(q, op->mid, op->rid, cause);
	case QOP_DEFER:
		return queue_rcpt_defer(q, op->mid, op->rid, op->attempts, op->when, op->text, cause);
	case QOP_COUNT:
		return queue_host_count(q, op->host, op->a, op->b, op->c, cause);
	case QOP_HOST:
		return queue_host_status(q, op->host, op->a, op->when, op->text, cause);
	case QOP_CONNS:
		return queue_host_conns(q, op->host, op->a, cause);
	case QOP_GLOBAL:
		return queue_global_add(q, op->host, op->n, cause);
	case QOP_STATE:
		return queue_state_set(q, op->host, op->text, cause);
	case QOP_REDIRECT:
		return queue_rcpt_redirect(q, op->mid, op->rid, op->host, cause);
	case QOP_BOUNCE:
		return queue_rcpt_bounce(q, op->mid, op->rid, op->host, op->text, cause);
	}
	return 0;
}

/* free_journal - release a list of staged journaled rows */
static void
free_journal(struct qjournal *j)
{
	while (j) {
		struct qjournal *next = j->next;

		for (int i = 0; i < j->nrcpts; i++)
			free(j->rcpts[i]);
		free(j->rcpts);
		free(j->message_id);
		free(j);
		j = next;
	}
}

/* free_op - release an operation and its copies */
static void
free_op(struct qop *op)
{
	for (int i = 0; i < op->nmsgs; i++) {
		free((char *)op->msgs[i].sender);
		free((char *)op->msgs[i].policy);
		free((char *)op->msgs[i].client_ip);
		free((char *)op->msgs[i].listener);
		free((char *)op->msgs[i].message_id);
		free((void *)op->msgs[i].body);
		free((char *)op->msgs[i].quarantine);
		free((char *)op->msgs[i].qreason);
		free((char *)op->msgs[i].subject);
	}
	for (int i = 0; i < op->nrcpts; i++) {
		free((char *)op->rcpts[i].addr);
		free((char *)op->rcpts[i].dest);
		free((char *)op->rcpts[i].last_error);
	}
	free(op->msgs);
	free(op->rcpts);
	free(op->rq);
	free_journal(op->journal);
	free(op->release);
	free(op->host);
	free(op->text);
	free(op);
}

/*
 * merge - fold the batch's counter additions into the first of each name
 * (host) and leave only the last value of each state name; the others
 * are marked skipped. Counters commute, and a state row keeps only its
 * last value, so the result in the queue is the same. Names are few:
 * past QWRITER_MERGE_NAMES of them the rest is applied one by one.
 */
static void
merge(struct qop *list)
{
	struct qop *first[QWRITER_MERGE_NAMES];
	int n = 0;

	for (struct qop *op = list; op; op = op->next) {
		int i;

		if (op->type != QOP_GLOBAL && op->type != QOP_COUNT && op->type != QOP_STATE)
			continue;
		for (i = 0; i < n; i++)
			if (first[i]->type == op->type && strcmp(first[i]->host, op->host) == 0)
				break;
		if (i == n) {
			if (n < QWRITER_MERGE_NAMES)
				first[n++] = op;
			continue;
		}
		if (op->type == QOP_STATE) {
			first[i]->skip = 1;	/* this later value replaces it */
			first[i] = op;
			continue;
		}
		first[i]->n += op->n;
		first[i]->a += op->a;
		first[i]->b += op->b;
		first[i]->c += op->c;
		op->skip = 1;
	}
}

/* run_batch - apply a list of operations in one transaction */
static void
run_batch(struct qwriter *qw, struct qop *list)
{
	char *cause = NULL;
	int durable = 0, ok;
	struct qop *op, *next, *accepted = NULL, **atail = &accepted;
	uint64_t one = 1;

	for (op = list; op; op = op->next)
		if (op->type == QOP_ACCEPT)
			durable = 1;
	merge(list);
	ok = queue_begin(qw->q, durable, &cause) == 0;
	for (op = list; ok && op; op = op->next)
		if (!op->skip && apply(qw->q, op, &cause) < 0)
			ok = 0;
	if (ok)
		ok = queue_commit(qw->q, &cause) == 0;
	else
		queue_rollback(qw->q);
	if (!ok) {
		pthread_mutex_lock(&qw->lock);
		if (qw->failure == NULL)
			qw->failure = str_printf("%s", cause ? cause : "unknown error");
		qw->nfailures++;
		pthread_mutex_unlock(&qw->lock);
		free(cause);
	}
	for (op = list; op; op = next) {
		next = op->next;
		if (op->type == QOP_ACCEPT) {
			op->ok = ok && op->gone ? -1 : ok;
			op->next = NULL;
			*atail = op;
			atail = &op->next;
		} else {
			free_op(op);
		}
	}
	pthread_mutex_lock(&qw->lock);
	qw->batches++;
	if (durable)
		qw->durable++;
	if (accepted) {
		struct qop **t = &qw->done;

		while (*t)
			t = &(*t)->next;
		*t = accepted;
	}
	pthread_mutex_unlock(&qw->lock);
	if (accepted || !ok) {
		/* fails only when the counter is full, and then the loop is awake anyway */
		ssize_t w = write(qw->efd, &one, sizeof(one));

		(void)w;
	}
}

/* thread_main - take whatever has gathered, apply it, repeat */
static void *
thread_main(void *arg)
{
	struct qwriter *qw = arg;

	for (;;) {
		struct qop *list;
		int stop;

		pthread_mutex_lock(&qw->lock);
		while (qw->head == NULL && !qw->stop)
			pthread_cond_wait(&qw->cond, &qw->lock);
		if (qw->head && qw->naccepts == 0 && !qw->stop) {
			/* status updates only: let more gather, unless an accept comes */
			struct timespec until;

			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_nsec += QWRITER_STATUS_DELAY_MS * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			while (qw->naccepts == 0 && !qw->stop &&
			    pthread_cond_timedwait(&qw->cond, &qw->lock, &until) != ETIMEDOUT)
				;
		}
		list = qw->head;
		qw->head = NULL;
		qw->tail = &qw->head;
		qw->naccepts = 0;
		stop = qw->stop;
		pthread_mutex_unlock(&qw->lock);
		if (list)
			run_batch(qw, list);
		if (stop && list == NULL)
			break;
	}
	return NULL;
}

/* on_done - loop thread: run the callbacks of applied accepts */
static void
on_done(evutil_socket_t fd, short what, void *arg)
{
	struct qwriter *qw = arg;
	struct qop *list, *next;
	uint64_t v;

	(void)what;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	char *failure;
	int64_t nfailures;

	pthread_mutex_lock(&qw->lock);
	list = qw->done;
	qw->done = NULL;
	failure = qw->failure;
	nfailures = qw->nfailures;
	qw->failure = NULL;
	qw->nfailures = 0;
	pthread_mutex_unlock(&qw->lock);
	if (failure && qw->report)
		qw->report(qw->report_arg, failure, nfailures);
	free(failure);
	for (; list; list = next) {
		next = list->next;
		if (list->cb)
			list->cb(list->arg, list->ok);
		free_op(list);
	}
}

struct qwriter *
qwriter_start(struct event_base *base, const char *dir, qwriter_report_fn report, void *arg,
    char **cause)
{
	struct qwriter *qw = xcalloc(1, sizeof(*qw));

	qw->report = report;
	qw->report_arg = arg;
	if (queue_open(dir, &qw->q, cause) < 0) {
		free(qw);
		return NULL;
	}
	qw->tail = &qw->head;
	qw->stail = &qw->staged;
	pthread_mutex_init(&qw->lock, NULL);
	{
		pthread_condattr_t ca;

		/* the status delay is measured on a clock that does not jump */
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&qw->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	qw->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (qw->efd < 0) {
		*cause = str_printf("eventfd: %s", strerror(errno));
		queue_close(qw->q);
		free(qw);
		return NULL;
	}
	qw->ev = event_new(base, qw->efd, EV_READ | EV_PERSIST, on_done, qw);
	event_add(qw->ev, NULL);
	if (pthread_create(&qw->thread, NULL, thread_main, qw) != 0) {
		*cause = str_dup("cannot start the queue writer thread");
		event_free(qw->ev);
		close(qw->efd);
		queue_close(qw->q);
		free(qw);
		return NULL;
	}
	return qw;
}

void
qwriter_stop(struct qwriter *qw)
{
	uint64_t v;

	if (qw == NULL)
		return;
	pthread_mutex_lock(&qw->lock);
	qw->stop = 1;
	pthread_cond_signal(&qw->cond);
	pthread_mutex_unlock(&qw->lock);
	pthread_join(qw->thread, NULL);
	/* run the callbacks of anything that completed after the loop stopped */
	if (read(qw->efd, &v, sizeof(v)) >= 0 || qw->done)
		on_done(qw->efd, EV_READ, qw);
	/* operations pushed by those callbacks have no thread left to apply them */
	while (qw->head) {
		struct qop *op = qw->head;

		qw->head = op->next;
		free_op(op);
	}
	/* rows whose copy was never handed over: no copy, no rows */
	free_journal(qw->staged);
	event_free(qw->ev);
	close(qw->efd);
	queue_close(qw->q);
	pthread_mutex_destroy(&qw->lock);
	pthread_cond_destroy(&qw->cond);
	free(qw->failure);
	free(qw);
}

/* dup0 - copy a string, NULL as "" */
static char *
dup0(const char *s)
{
	return str_dup(s ? s : "");
}

/* accept_op - the operation of qwriter_accept / qwriter_release, with copies */
static struct qop *
accept_op(const struct queue_msg *msgs, int nmsgs, const struct queue_rcpt *rcpts, int nrcpts,
    qwriter_accept_cb cb, void *arg)
{
	struct qop *op = xcalloc(1, sizeof(*op));

	op->type = QOP_ACCEPT;
	op->when = time(NULL);
	op->msgs = xcalloc((size_t)nmsgs, sizeof(*msgs));
	op->nmsgs = nmsgs;
	for (int i = 0; i < nmsgs; i++) {
		struct queue_msg *m = &op->msgs[i];
		char *body = xmalloc(msgs[i].body_len + 1);

		*m = msgs[i];
		m->sender = dup0(msgs[i].sender);
		m->policy = dup0(msgs[i].policy);
		m->client_ip = dup0(msgs[i].client_ip);
		m->listener = dup0(msgs[i].listener);
		m->message_id = dup0(msgs[i].message_id);
		m->quarantine = msgs[i].quarantine && msgs[i].quarantine[0] ?
		    str_dup(msgs[i].quarantine) : NULL;
		m->qreason = m->quarantine ? dup0(msgs[i].qreason) : NULL;
		m->subject = m->quarantine ? dup0(msgs[i].subject) : NULL;
		m->qnojournal = msgs[i].qnojournal;
		if (msgs[i].body_len)
			memcpy(body, msgs[i].body, msgs[i].body_len);
		m->body = body;
	}
	op->rcpts = xcalloc((size_t)nrcpts, sizeof(*rcpts));
	op->rq = xcalloc((size_t)nrcpts + 1, 1);
	op->nrcpts = nrcpts;
	for (int i = 0; i < nrcpts; i++) {
		op->rcpts[i] = rcpts[i];
		op->rcpts[i].addr = dup0(rcpts[i].addr);
		op->rcpts[i].dest = dup0(rcpts[i].dest);
		op->rcpts[i].last_error = rcpts[i].last_error ? str_dup(rcpts[i].last_error) : NULL;
		for (int j = 0; j < nmsgs; j++)
			if (op->msgs[j].mid == rcpts[i].mid && op->msgs[j].quarantine)
				op->rq[i] = 1;
	}
	op->cb = cb;
	op->arg = arg;
	return op;
}

void
qwriter_accept(struct qwriter *qw, const struct queue_msg *msgs, int nmsgs,
    const struct queue_rcpt *rcpts, int nrcpts, qwriter_accept_cb cb, void *arg)
{
	push(qw, accept_op(msgs, nmsgs, rcpts, nrcpts, cb, arg));
}

void
qwriter_release(struct qwriter *qw, const char *qname, int64_t mid,
    const struct queue_msg *msgs, int nmsgs, const struct queue_rcpt *rcpts, int nrcpts,
    qwriter_accept_cb cb, void *arg)
{
	struct qop *op = accept_op(msgs, nmsgs, rcpts, nrcpts, cb, arg);

	op->release = str_dup(qname);
	op->release_mid = mid;
	push(qw, op);
}

void
qwriter_journaled(struct qwriter *qw, int64_t orig_mid, const char *message_id,
    const char *const *rcpts, int n)
{
	struct qjournal *j = xcalloc(1, sizeof(*j));

	j->orig_mid = orig_mid;
	j->message_id = dup0(message_id);
	j->rcpts = xcalloc((size_t)n + 1, sizeof(char *));
	for (int i = 0; i < n; i++)
		j->rcpts[i] = dup0(rcpts[i]);
	j->nrcpts = n;
	j->when = time(NULL);
	pthread_mutex_lock(&qw->lock);
	*qw->stail = j;
	qw->stail = &j->next;
	pthread_mutex_unlock(&qw->lock);
}

/* simple - a status operation with copies of its strings */
static struct qop *
simple(enum qop_type type, const char *host, const char *text)
{
	struct qop *op = xcalloc(1, sizeof(*op));

	op->type = type;
	op->host = host ? str_dup(host) : NULL;
	op->text = text ? str_dup(text) : NULL;
	return op;
}

void
qwriter_done(struct qwriter *qw, int64_t mid, int rid)
{
	struct qop *op = simple(QOP_DONE, NULL, NULL);

	op->mid = mid;
	op->rid = rid;
	push(qw, op);
}

void
qwriter_defer(struct qwriter *qw, int64_t mid, int rid, int attempts, time_t next_try,
    const char *error)
{
	struct qop *op = simple(QOP_DEFER, NULL, error);

	op->mid = mid;
	op->rid = rid;
	op->attempts = attempts;
	op->when = next_try;
	push(qw, op);
}

void
qwriter_count(struct qwriter *qw, const char *host, int deliv, int soft, int hard)
{
	struct qop *op = simple(QOP_COUNT, host, NULL);

	op->a = deliv;
	op->b = soft;
	op->c = hard;
	push(qw, op);
}

void
qwriter_host(struct qwriter *qw, const char *host, int down, time_t when, const char *error)
{
	struct qop *op = simple(QOP_HOST, host, error);

	op->a = down;
	op->when = when;
	push(qw, op);
}

void
qwriter_conns(struct qwriter *qw, const char *host, int conns)
{
	struct qop *op = simple(QOP_CONNS, host, NULL);

	op->a = conns;
	push(qw, op);
}

void
qwriter_global(struct qwriter *qw, const char *name, int64_t n)
{
	struct qop *op = simple(QOP_GLOBAL, name, NULL);

	op->n = n;
	push(qw, op);
}

void
qwriter_state(struct qwriter *qw, const char *name, const char *value)
{
	push(qw, simple(QOP_STATE, name, value));
}

void
qwriter_redirect(struct qwriter *qw, int64_t mid, int rid, const char *dest)
{
	struct qop *op = simple(QOP_REDIRECT, dest, NULL);

	op->mid = mid;
	op->rid = rid;
	push(qw, op);
}

void
qwriter_bounce(struct qwriter *qw, int64_t mid, int rid, const char *status, const char *diag)
{
	struct qop *op = simple(QOP_BOUNCE, status, diag);

	op->mid = mid;
	op->rid = rid;
	push(qw, op);
}

void
qwriter_stats(struct qwriter *qw, int64_t *batches, int64_t *durable)
{
	pthread_mutex_lock(&qw->lock);
	*batches = qw->batches;
	*durable = qw->durable;
	pthread_mutex_unlock(&qw->lock);
}
