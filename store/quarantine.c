/*
 * quarantine.c - quarantined messages in DIR/queue.db (table quarantine,
 * created by migration 3 of queue.c; this module owns it).
 *
 * A row is one message in one quarantine, whole: envelope, recipients
 * ("addr\tdest\n..."), the reason that put it there and its body, keyed
 * by (qname, mid). The daemon inserts rows inside its own durable batch
 * (queue_begin ... queue_commit), so this module never begins or commits
 * a transaction of its own: a single statement is atomic by itself.
 * Names are matched exactly: callers pass a quarantine's configured
 * spelling (mail/filterconf.h quarconf_find).
 *
 * Quarantines are read rarely (showquarantine, expiry once a minute), so
 * statements are prepared per call, as in alert.c.
 *
 * DIAGNOSTICS: -1 with a malloc'd cause "quarantine: WHAT: SQLite message".
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/quarantine.h"
#include "store/queue_int.h"
#include "util/str.h"

/* The columns every reader takes, in this order (body last, read only when asked). */
#define Q_COLUMNS \
	"SELECT qname, mid, parent_mid, icid, kind, received, quarantined, sender, rcpts, " \
	"subject, reason, policy, direction, client_ip, listener, message_id, size, journal"
#define Q_BODY_COLUMN 18

/* err - cause from the connection */
static int
err(sqlite3 *db, char **cause, const char *what)
{
	if (cause)
		*cause = str_printf("quarantine: %s: %s", what, sqlite3_errmsg(db));
	return -1;
}

/* col_dup - a text column as a malloc'd string ("" for NULL) */
static char *
col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return str_dup(t ? (const char *)t : "");
}

/* row_read - the current row into e (strings malloc'd; body only when want_body) */
static void
row_read(sqlite3_stmt *s, int want_body, struct quarantine_entry *e)
{
	const unsigned char *qn = sqlite3_column_text(s, 0);

	memset(e, 0, sizeof(*e));
	str_copy(e->qname, qn ? (const char *)qn : "", sizeof(e->qname));
	e->mid = sqlite3_column_int64(s, 1);
	e->parent_mid = sqlite3_column_int64(s, 2);
	e->icid = sqlite3_column_int64(s, 3);
	e->kind = (enum queue_kind)sqlite3_column_int(s, 4);
	e->received = (time_t)sqlite3_column_int64(s, 5);
	e->quarantined = (time_t)sqlite3_column_int64(s, 6);
	e->sender = col_dup(s, 7);
	e->rcpts = col_dup(s, 8);
	e->subject = col_dup(s, 9);
	e->reason = col_dup(s, 10);
	e->policy = col_dup(s, 11);
	e->direction = sqlite3_column_int(s, 12);
	e->client_ip = col_dup(s, 13);
	e->listener = col_dup(s, 14);
	e->message_id = col_dup(s, 15);
	e->size = sqlite3_column_int64(s, 16);
	e->journal = sqlite3_column_int(s, 17);
	if (want_body) {
		const void *b = sqlite3_column_blob(s, Q_BODY_COLUMN);
		int n = sqlite3_column_bytes(s, Q_BODY_COLUMN);

		e->body_len = n > 0 ? (size_t)n : 0;
		e->body = xmalloc(e->body_len + 1);
		if (e->body_len)
			memcpy(e->body, b, e->body_len);
		e->body[e->body_len] = '\0';
	}
}

/* quarantine_entry_free - the strings of an entry */
void
quarantine_entry_free(struct quarantine_entry *e)
{
	free(e->sender);
	free(e->rcpts);
	free(e->subject);
	free(e->reason);
	free(e->policy);
	free(e->client_ip);
	free(e->listener);
	free(e->message_id);
	free(e->body);
	e->sender = e->rcpts = e->subject = e->reason = e->policy = NULL;
	e->client_ip = e->listener = e->message_id = e->body = NULL;
	e->body_len = 0;
}

/* nz - s, or "" for NULL (every text column is NOT NULL) */
static const char *
nz(const char *s)
{
	return s ? s : "";
}

/* quarantine_insert - one message into quarantine qname, in the caller's batch */
int
quarantine_insert(struct queue *q, const char *qname, const struct queue_msg *m,
    const char *rcpts, const char *subject, const char *reason, time_t now, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(db,
		"INSERT INTO quarantine (qname, mid, parent_mid, icid, kind, received, "
		"quarantined, sender, rcpts, subject, reason, policy, direction, client_ip, "
		"listener, message_id, size, body, journal) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
		"?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)", -1, &s, NULL) != SQLITE_OK)
		return err(db, cause, "cannot quarantine a message");
	sqlite3_bind_text(s, 1, nz(qname), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, m->mid);
	sqlite3_bind_int64(s, 3, m->parent_mid);
	sqlite3_bind_int64(s, 4, m->icid);
	sqlite3_bind_int(s, 5, (int)m->kind);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)m->received);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)now);
	sqlite3_bind_text(s, 8, nz(m->sender), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 9, nz(rcpts), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, nz(subject), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 11, nz(reason), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 12, nz(m->policy), -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 13, m->direction);
	sqlite3_bind_text(s, 14, nz(m->client_ip), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 15, nz(m->listener), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 16, nz(m->message_id), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 17, (sqlite3_int64)m->body_len);
	/* a zero-length blob, not NULL, for an empty body (the column is NOT NULL) */
	if (m->body_len > 0)
		sqlite3_bind_blob64(s, 18, m->body, (sqlite3_uint64)m->body_len, SQLITE_STATIC);
	else
		sqlite3_bind_zeroblob(s, 18, 0);
	sqlite3_bind_int(s, 19, m->qnojournal ? 0 : 1);
	if (sqlite3_step(s) == SQLITE_DONE)
		rc = 0;
	else
		err(db, cause, "cannot quarantine a message");
	sqlite3_finalize(s);
	return rc;
}

/* quarantine_get - one entry; 0 found, 1 not there, -1 error */
int
quarantine_get(struct queue *q, const char *qname, int64_t mid, int want_body,
    struct quarantine_entry *e, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s = NULL;
	int rc, ret;

	if (sqlite3_prepare_v2(db,
		want_body ? Q_COLUMNS ", body FROM quarantine WHERE qname = ?1 AND mid = ?2" :
			    Q_COLUMNS " FROM quarantine WHERE qname = ?1 AND mid = ?2",
		-1, &s, NULL) != SQLITE_OK)
		return err(db, cause, "cannot read a quarantined message");
	sqlite3_bind_text(s, 1, nz(qname), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, mid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		row_read(s, want_body, e);
		ret = 0;
	} else if (rc == SQLITE_DONE) {
		ret = 1;
	} else {
		ret = err(db, cause, "cannot read a quarantined message");
	}
	sqlite3_finalize(s);
	return ret;
}

/* walk - step a bound listing, one callback per row (no bodies); a non-zero return stops */
static int
walk(sqlite3 *db, sqlite3_stmt *s, quarantine_cb cb, void *arg, char **cause)
{
	struct quarantine_entry e;
	int rc, ret = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row_read(s, 0, &e);
		ret = cb(&e, arg);
		quarantine_entry_free(&e);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = err(db, cause, "cannot read the quarantine");
	sqlite3_finalize(s);
	return ret;
}

/* quarantine_list - entries of qname (all when NULL), oldest first */
int
quarantine_list(struct queue *q, const char *qname, quarantine_cb cb, void *arg,
    char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(db,
		Q_COLUMNS " FROM quarantine WHERE ?1 IS NULL OR qname = ?1 "
		"ORDER BY quarantined, mid, qname", -1, &s, NULL) != SQLITE_OK)
		return err(db, cause, "cannot read the quarantine");
	if (qname)
		sqlite3_bind_text(s, 1, qname, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 1);
	return walk(db, s, cb, arg, cause);
}

/* quarantine_delete - remove one entry; 0 removed, 1 not there, -1 error */
int
quarantine_delete(struct queue *q, const char *qname, int64_t mid, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s = NULL;
	int ret;

	if (sqlite3_prepare_v2(db, "DELETE FROM quarantine WHERE qname = ?1 AND mid = ?2", -1, &s,
		NULL) != SQLITE_OK)
		return err(db, cause, "cannot delete a quarantined message");
	sqlite3_bind_text(s, 1, nz(qname), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, mid);
	if (sqlite3_step(s) != SQLITE_DONE)
		ret = err(db, cause, "cannot delete a quarantined message");
	else
		ret = sqlite3_changes(db) > 0 ? 0 : 1;
	sqlite3_finalize(s);
	return ret;
}

/* quarantine_usage - messages and bytes held in qname (all when NULL) */
int
quarantine_usage(struct queue *q, const char *qname, int64_t *msgs, int64_t *bytes,
    char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s = NULL;
	int ret = -1;

	*msgs = *bytes = 0;
	if (sqlite3_prepare_v2(db,
		"SELECT count(*), coalesce(sum(size), 0) FROM quarantine "
		"WHERE ?1 IS NULL OR qname = ?1", -1, &s, NULL) != SQLITE_OK)
		return err(db, cause, "cannot count the quarantine");
	if (qname)
		sqlite3_bind_text(s, 1, qname, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 1);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*msgs = sqlite3_column_int64(s, 0);
		*bytes = sqlite3_column_int64(s, 1);
		ret = 0;
	} else {
		err(db, cause, "cannot count the quarantine");
	}
	sqlite3_finalize(s);
	return ret;
}

/* quarantine_expired - entries of qname (all when NULL) that entered before `before` */
int
quarantine_expired(struct queue *q, const char *qname, time_t before, quarantine_cb cb,
    void *arg, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(db,
		Q_COLUMNS " FROM quarantine WHERE (?1 IS NULL OR qname = ?1) AND quarantined < ?2 "
		"ORDER BY quarantined, mid, qname", -1, &s, NULL) != SQLITE_OK)
		return err(db, cause, "cannot read the quarantine");
	if (qname)
		sqlite3_bind_text(s, 1, qname, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 1);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)before);
	return walk(db, s, cb, arg, cause);
}
