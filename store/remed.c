/*
 * remed.c - what mailbox remediation keeps in DIR/queue.db (issue 12):
 * the journaled recipients, the ETD ids taken, remediation requests and
 * the actions done for them. queue.c's migration 4 creates the tables;
 * this module is the only one that reads or writes them.
 *
 * Several threads and processes write queue.db (the queue writer, the
 * remediation and API threads of mxgated, mxsh): every function here is
 * one short statement or one short transaction, and waits for the others
 * through the busy timeout queue_open sets. Statements are prepared per
 * call: none of them is hot next to the fsync of the batch they ride in.
 *
 * remed_journaled_add runs inside the queue writer's batch (a SAVEPOINT
 * nests there and stands alone elsewhere), so an accepted journal copy
 * always has its rows and a failed batch leaves none. remed_etd_take
 * marks an ETD id seen and adds its request in one BEGIN IMMEDIATE
 * transaction: two handles taking the same id add one request between
 * them, and a crash leaves the id either taken with its request or not
 * taken at all.
 *
 * Message-IDs and addresses longer than REMED_MSGID_MAX / REMED_ADDR_MAX
 * are cut to that length when stored and when looked up alike, so an
 * exact lookup still finds them and every reader's buffer holds them.
 *
 * DIAGNOSTICS: -1 with a malloc'd cause "remed: WHAT: SQLite message".
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "store/queue.h"
#include "store/queue_int.h"
#include "store/remed.h"
#include "util/str.h"

#define SERIAL_STATE "serial"

/* The request columns every reader takes, in the order of req_row. */
#define REQ_COLUMNS \
	"SELECT id, created, finished, trig, who, mid, message_id, verdict, action, " \
	"forward_to, rcpts, state, note FROM remed_request "

/* ---------------------------------------------------------- helpers */

/* err - cause from the connection */
static int
err(sqlite3 *db, char **cause, const char *what)
{
	if (cause)
		*cause = str_printf("remed: %s: %s", what, sqlite3_errmsg(db));
	return -1;
}

/* prep - prepare sql on db; -1 with a cause naming what */
static int
prep(sqlite3 *db, const char *sql, sqlite3_stmt **s, char **cause, const char *what)
{
	if (sqlite3_prepare_v2(db, sql, -1, s, NULL) != SQLITE_OK) {
		*s = NULL;
		return err(db, cause, what);
	}
	return 0;
}

/* exec - fixed SQL text without results */
static int
exec(sqlite3 *db, const char *sql, char **cause, const char *what)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return err(db, cause, what);
	return 0;
}

/* bind_cut - bind v (NULL as "") cut to max bytes, never inside a UTF-8 sequence */
static void
bind_cut(sqlite3_stmt *s, int i, const char *v, size_t max)
{
	size_t n;

	if (v == NULL)
		v = "";
	n = strlen(v);
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)v[n] & 0xc0) == 0x80)
			n--;
	}
	sqlite3_bind_text(s, i, v, (int)n, SQLITE_TRANSIENT);
}

/* bind_str - bind a C string, NULL as "" */
static void
bind_str(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

/* col - column as C string */
static const char *
col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

/* req_row - a REQ_COLUMNS row into r */
static void
req_row(sqlite3_stmt *s, struct remed_request *r)
{
	*r = (struct remed_request){ 0 };
	r->id = sqlite3_column_int64(s, 0);
	r->created = (time_t)sqlite3_column_int64(s, 1);
	r->finished = (time_t)sqlite3_column_int64(s, 2);
	r->trigger = (enum remed_trigger)sqlite3_column_int(s, 3);
	str_copy(r->who, col(s, 4), sizeof(r->who));
	r->mid = sqlite3_column_int64(s, 5);
	str_copy(r->message_id, col(s, 6), sizeof(r->message_id));
	str_copy(r->verdict, col(s, 7), sizeof(r->verdict));
	r->action = (enum remed_action_kind)sqlite3_column_int(s, 8);
	str_copy(r->forward_to, col(s, 9), sizeof(r->forward_to));
	str_copy(r->rcpts, col(s, 10), sizeof(r->rcpts));
	r->state = (enum remed_state)sqlite3_column_int(s, 11);
	str_copy(r->note, col(s, 12), sizeof(r->note));
}

/* ---------------------------------------------------------- names */

static const char *const trigger_names[] = {
	[REMED_BY_ETD] = "ETD verdict",
	[REMED_BY_API] = "API",
	[REMED_BY_OPERATOR] = "operator",
	[REMED_BY_TR] = "threat response",
};

static const char *const action_names[] = {
	[REMED_DELETE] = "delete",
	[REMED_FORWARD] = "forward",
	[REMED_FORWARD_DELETE] = "forward_delete",
};

static const char *const state_names[] = {
	[REMED_PENDING] = "pending",
	[REMED_DONE] = "done",
	[REMED_UNMATCHED] = "unmatched",
	[REMED_OK] = "ok",
	[REMED_FAILED] = "failed",
	[REMED_NOT_FOUND] = "not found",
	[REMED_HELD] = "held",
};

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* remed_trigger_name - "ETD verdict", "API", "operator" ("unknown" otherwise) */
const char *
remed_trigger_name(enum remed_trigger t)
{
	if ((int)t < 1 || (int)t >= NELEM(trigger_names))
		return "unknown";
	return trigger_names[t];
}

/* remed_action_name - "delete", "forward", "forward_delete" ("unknown" otherwise) */
const char *
remed_action_name(enum remed_action_kind a)
{
	if ((int)a < 1 || (int)a >= NELEM(action_names))
		return "unknown";
	return action_names[a];
}

/* remed_state_name - "pending", "done", ... ("unknown" otherwise) */
const char *
remed_state_name(enum remed_state s)
{
	if ((int)s < 1 || (int)s >= NELEM(state_names))
		return "unknown";
	return state_names[s];
}

/* remed_msgid_ok - see remed.h */
int
remed_msgid_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n + 2 > REMED_MSGID_MAX)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return 0;
	return 1;
}

/* remed_action_parse - an action's name (any case) to its kind; 0 or -1 */
int
remed_action_parse(const char *s, enum remed_action_kind *a)
{
	for (int i = 1; s && i < NELEM(action_names); i++)
		if (strcasecmp(s, action_names[i]) == 0) {
			*a = (enum remed_action_kind)i;
			return 0;
		}
	return -1;
}

/* ---------------------------------------------------------- journaled */

/* remed_journaled_add - rows for one journal copy, all or none */
int
remed_journaled_add(struct queue *q, int64_t orig_mid, const char *message_id,
    const char *const *rcpts, int nrcpts, time_t when, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s = NULL;

	if (exec(db, "SAVEPOINT remed_journaled", cause, "cannot record journaled rows") < 0)
		return -1;
	if (prep(db, "INSERT INTO journaled (orig_mid, message_id, rcpt, t) "
		     "VALUES (?1, ?2, ?3, ?4)", &s, cause, "cannot record journaled rows") < 0)
		goto fail;
	sqlite3_bind_int64(s, 1, orig_mid);
	bind_cut(s, 2, message_id, REMED_MSGID_MAX);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)when);
	for (int i = 0; i < nrcpts; i++) {
		if (rcpts[i] == NULL || rcpts[i][0] == '\0')
			continue;
		bind_cut(s, 3, rcpts[i], REMED_ADDR_MAX);
		if (sqlite3_step(s) != SQLITE_DONE) {
			err(db, cause, "cannot record journaled rows");
			goto fail;
		}
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	s = NULL;
	if (exec(db, "RELEASE remed_journaled", cause, "cannot record journaled rows") < 0)
		goto fail;
	return 0;
fail:
	sqlite3_finalize(s);
	sqlite3_exec(db, "ROLLBACK TO remed_journaled", NULL, NULL, NULL);
	sqlite3_exec(db, "RELEASE remed_journaled", NULL, NULL, NULL);
	return -1;
}

/* rows - step a (mid, rcpt) query through fn; the number of rows or -1 */
static int
rows(sqlite3 *db, sqlite3_stmt *s, int midcol, int rcptcol,
    void (*fn)(void *arg, int64_t mid, const char *rcpt), void *arg, char **cause)
{
	int rc, n = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (fn)
			fn(arg, sqlite3_column_int64(s, midcol), col(s, rcptcol));
		n++;
	}
	if (rc != SQLITE_DONE)
		return err(db, cause, "cannot read journaled rows");
	return n;
}

/*
 * remed_journaled_by_msgid - see remed.h. "" matches nothing: messages
 * without a Message-ID are not one message, and must never be remediated
 * together.
 */
int
remed_journaled_by_msgid(struct queue *q, const char *message_id,
    void (*fn)(void *arg, int64_t mid, const char *rcpt), void *arg, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;
	int n;

	if (message_id == NULL || message_id[0] == '\0')
		return 0;
	/* one row per (mid, recipient), in the order they were journaled */
	if (prep(db, "SELECT orig_mid, rcpt FROM journaled WHERE message_id = ?1 "
		     "GROUP BY orig_mid, rcpt ORDER BY min(rowid)", &s, cause,
		"cannot read journaled rows") < 0)
		return -1;
	bind_cut(s, 1, message_id, REMED_MSGID_MAX);
	n = rows(db, s, 0, 1, fn, arg, cause);
	sqlite3_finalize(s);
	return n;
}

/* remed_journaled_by_mid - see remed.h; *message_id is "" when there are no rows */
int
remed_journaled_by_mid(struct queue *q, int64_t mid, char *message_id,
    void (*fn)(void *arg, int64_t mid, const char *rcpt), void *arg, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;
	int rc, n;

	message_id[0] = '\0';
	if (prep(db, "SELECT message_id FROM journaled WHERE orig_mid = ?1 ORDER BY rowid LIMIT 1",
		&s, cause, "cannot read journaled rows") < 0)
		return -1;
	sqlite3_bind_int64(s, 1, mid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		str_copy(message_id, col(s, 0), REMED_MSGID_MAX + 1);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return err(db, cause, "cannot read journaled rows");
	if (prep(db, "SELECT orig_mid, rcpt FROM journaled WHERE orig_mid = ?1 "
		     "GROUP BY rcpt ORDER BY min(rowid)", &s, cause,
		"cannot read journaled rows") < 0)
		return -1;
	sqlite3_bind_int64(s, 1, mid);
	n = rows(db, s, 0, 1, fn, arg, cause);
	sqlite3_finalize(s);
	return n;
}

/* delete_before - DELETE FROM table WHERE t < before (sql given whole); count or -1 */
static int64_t
delete_before(struct queue *q, const char *sql, time_t before, char **cause, const char *what)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;
	int rc;

	if (prep(db, sql, &s, cause, what) < 0)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)before);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return err(db, cause, what);
	return (int64_t)sqlite3_changes(db);
}

/* remed_journaled_expire - drop rows older than before */
int64_t
remed_journaled_expire(struct queue *q, time_t before, char **cause)
{
	return delete_before(q, "DELETE FROM journaled WHERE t < ?1", before, cause,
	    "cannot expire journaled rows");
}

/* ---------------------------------------------------------- requests */

/* req_insert - insert r as a new request, pending or held (inside the caller's transaction, if any) */
static int
req_insert(sqlite3 *db, struct remed_request *r, int held, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	if ((int)r->trigger < REMED_BY_ETD || r->trigger > REMED_BY_TR) {
		*cause = str_printf("remed: cannot add a request: unknown trigger %d", (int)r->trigger);
		return -1;
	}
	if ((int)r->action < REMED_DELETE || r->action > REMED_FORWARD_DELETE) {
		*cause = str_printf("remed: cannot add a request: unknown action %d", (int)r->action);
		return -1;
	}
	r->created = time(NULL);
	r->finished = 0;
	r->state = held ? REMED_HELD : REMED_PENDING;
	if (prep(db, "INSERT INTO remed_request (created, finished, trig, who, mid, message_id, "
		     "verdict, action, forward_to, rcpts, state, note) "
		     "VALUES (?1, 0, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", &s, cause,
		"cannot add a request") < 0)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)r->created);
	sqlite3_bind_int(s, 2, (int)r->trigger);
	bind_str(s, 3, r->who);
	sqlite3_bind_int64(s, 4, r->mid);
	bind_cut(s, 5, r->message_id, REMED_MSGID_MAX);
	bind_str(s, 6, r->verdict);
	sqlite3_bind_int(s, 7, (int)r->action);
	bind_cut(s, 8, r->forward_to, REMED_ADDR_MAX);
	bind_str(s, 9, r->rcpts);
	sqlite3_bind_int(s, 10, (int)r->state);
	bind_str(s, 11, r->note);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return err(db, cause, "cannot add a request");
	r->id = sqlite3_last_insert_rowid(db);
	return 0;
}

/* remed_request_add - a new pending request */
int
remed_request_add(struct queue *q, struct remed_request *r, char **cause)
{
	return req_insert(queue_sqlite(q), r, 0, cause);
}

/* req_one - run a REQ_COLUMNS query bound by the caller: 1 and r filled, 0, -1 */
static int
req_one(sqlite3 *db, sqlite3_stmt *s, struct remed_request *r, char **cause)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		req_row(s, r);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return err(db, cause, "cannot read requests");
}

/* req_first - the oldest request in state with an id above after: 1 and r filled, 0, -1 */
static int
req_first(struct queue *q, enum remed_state state, int64_t after, struct remed_request *r,
    char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;

	if (prep(db, REQ_COLUMNS "WHERE state = ?1 AND id > ?2 ORDER BY id LIMIT 1", &s, cause,
		"cannot read requests") < 0)
		return -1;
	sqlite3_bind_int(s, 1, (int)state);
	sqlite3_bind_int64(s, 2, after);
	return req_one(db, s, r, cause);
}

/* remed_request_next - the oldest pending request */
int
remed_request_next(struct queue *q, struct remed_request *r, char **cause)
{
	return req_first(q, REMED_PENDING, 0, r, cause);
}

/* remed_request_next_due - the oldest pending request whose next try is due by now */
int
remed_request_next_due(struct queue *q, time_t now, struct remed_request *r, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;

	if (prep(db, REQ_COLUMNS "WHERE state = ?1 AND next_try <= ?2 ORDER BY id LIMIT 1", &s,
		cause, "cannot read requests") < 0)
		return -1;
	sqlite3_bind_int(s, 1, REMED_PENDING);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	return req_one(db, s, r, cause);
}

/* remed_request_next_try - the earliest next try of a pending request after now */
int
remed_request_next_try(struct queue *q, time_t now, time_t *when, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;
	int rc;

	if (prep(db, "SELECT min(next_try) FROM remed_request WHERE state = ?1 AND next_try > ?2",
		&s, cause, "cannot read requests") < 0)
		return -1;
	sqlite3_bind_int(s, 1, REMED_PENDING);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int some = sqlite3_column_type(s, 0) != SQLITE_NULL;

		*when = some ? (time_t)sqlite3_column_int64(s, 0) : 0;
		sqlite3_finalize(s);
		return some;
	}
	sqlite3_finalize(s);
	return err(db, cause, "cannot read requests");
}

/*
 * remed_request_defer - see remed.h: one more attempt counted, the first
 * failure's time kept (set to now at the first), the next try and the note
 */
int
remed_request_defer(struct queue *q, int64_t id, time_t now, time_t next_try, const char *note,
    char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;
	int rc;

	if (prep(db, "UPDATE remed_request SET attempts = attempts + 1, "
		     "first_fail = CASE first_fail WHEN 0 THEN ?2 ELSE first_fail END, "
		     "next_try = ?3, note = ?4 WHERE id = ?1 AND state = ?5", &s, cause,
		"cannot defer a request") < 0)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)next_try);
	bind_cut(s, 4, note, 255);
	sqlite3_bind_int(s, 5, REMED_PENDING);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return err(db, cause, "cannot defer a request");
	if (sqlite3_changes(db) == 0) {
		*cause = str_printf("remed: there is no pending remediation request %lld",
		    (long long)id);
		return -1;
	}
	return 0;
}

/* remed_request_attempts - see remed.h */
int
remed_request_attempts(struct queue *q, int64_t id, int *attempts, time_t *first_fail,
    char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;
	int rc;

	if (prep(db, "SELECT attempts, first_fail FROM remed_request WHERE id = ?1", &s, cause,
		"cannot read requests") < 0)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*attempts = sqlite3_column_int(s, 0);
		*first_fail = (time_t)sqlite3_column_int64(s, 1);
		sqlite3_finalize(s);
		return 1;
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return 0;
	return err(db, cause, "cannot read requests");
}

/* remed_request_get - one request by id */
int
remed_request_get(struct queue *q, int64_t id, struct remed_request *r, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;

	if (prep(db, REQ_COLUMNS "WHERE id = ?1", &s, cause, "cannot read requests") < 0)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	return req_one(db, s, r, cause);
}

/* remed_request_finish - the final state, the note and when */
int
remed_request_finish(struct queue *q, int64_t id, enum remed_state state, const char *note,
    char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;
	int rc;

	if (state != REMED_DONE && state != REMED_UNMATCHED) {
		*cause = str_printf("remed: request %lld cannot end as \"%s\"", (long long)id,
		    remed_state_name(state));
		return -1;
	}
	if (prep(db, "UPDATE remed_request SET state = ?2, note = ?3, finished = ?4 WHERE id = ?1",
		&s, cause, "cannot finish a request") < 0)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, (int)state);
	bind_str(s, 3, note);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return err(db, cause, "cannot finish a request");
	if (sqlite3_changes(db) == 0) {
		*cause = str_printf("remed: there is no remediation request %lld", (long long)id);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------- ETD polling */

/* remed_etd_take - see remed.h */
int
remed_etd_take(struct queue *q, const char *etd_id, struct remed_request *r, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;
	int rc, held = r->state == REMED_HELD;

	if (etd_id == NULL || etd_id[0] == '\0') {
		*cause = str_dup("remed: an ETD verdict without a message id cannot be taken");
		return -1;
	}
	if (exec(db, "BEGIN IMMEDIATE", cause, "cannot take an ETD verdict") < 0)
		return -1;
	if (prep(db, "INSERT OR IGNORE INTO etd_seen (id, t) VALUES (?1, ?2)", &s, cause,
		"cannot take an ETD verdict") < 0)
		goto fail;
	bind_str(s, 1, etd_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		err(db, cause, "cannot take an ETD verdict");
		goto fail;
	}
	if (sqlite3_changes(db) == 0) {		/* seen before: nothing to add */
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return 0;
	}
	r->trigger = REMED_BY_ETD;
	str_copy(r->who, etd_id, sizeof(r->who));
	if (req_insert(db, r, held, cause) < 0)
		goto fail;
	if (exec(db, "COMMIT", cause, "cannot take an ETD verdict") < 0)
		goto fail;
	return 1;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	r->id = 0;
	return -1;
}

/* remed_held_next - see remed.h */
int
remed_held_next(struct queue *q, int64_t after, struct remed_request *r, char **cause)
{
	return req_first(q, REMED_HELD, after, r, cause);
}

/* remed_held_settle - see remed.h */
int
remed_held_settle(struct queue *q, int64_t id, int keep, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;
	int rc;

	if (prep(db, keep ? "UPDATE remed_request SET state = ?2, note = '' WHERE id = ?1 AND state = ?3" :
		     "DELETE FROM remed_request WHERE id = ?1 AND state = ?3", &s, cause,
		"cannot settle a held request") < 0)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (keep)
		sqlite3_bind_int(s, 2, REMED_PENDING);
	sqlite3_bind_int(s, 3, REMED_HELD);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return err(db, cause, "cannot settle a held request");
	return sqlite3_changes(db) > 0 ? 1 : 0;
}

/* remed_etd_seen_expire - forget ids seen before this time */
int64_t
remed_etd_seen_expire(struct queue *q, time_t before, char **cause)
{
	return delete_before(q, "DELETE FROM etd_seen WHERE t < ?1", before, cause,
	    "cannot expire ETD ids");
}

/* ---------------------------------------------------------- actions */

/* remed_action_add - one mailbox's outcome */
int
remed_action_add(struct queue *q, struct remed_action *a, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;
	int rc;

	if (a->state != REMED_OK && a->state != REMED_FAILED && a->state != REMED_NOT_FOUND) {
		*cause = str_printf("remed: an action cannot be \"%s\"", remed_state_name(a->state));
		return -1;
	}
	if ((int)a->action < REMED_DELETE || a->action > REMED_FORWARD_DELETE) {
		*cause = str_printf("remed: cannot record an action: unknown action %d",
		    (int)a->action);
		return -1;
	}
	a->when = time(NULL);
	if (prep(db, "INSERT INTO remed_action (request, t, mid, message_id, mailbox, action, "
		     "forward_to, profile, state, result, reason) "
		     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", &s, cause,
		"cannot record an action") < 0)
		return -1;
	sqlite3_bind_int64(s, 1, a->request);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)a->when);
	sqlite3_bind_int64(s, 3, a->mid);
	bind_cut(s, 4, a->message_id, REMED_MSGID_MAX);
	bind_cut(s, 5, a->mailbox, REMED_ADDR_MAX);
	sqlite3_bind_int(s, 6, (int)a->action);
	bind_cut(s, 7, a->forward_to, REMED_ADDR_MAX);
	bind_str(s, 8, a->profile);
	sqlite3_bind_int(s, 9, (int)a->state);
	bind_str(s, 10, a->result);
	bind_str(s, 11, a->reason);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return err(db, cause, "cannot record an action");
	a->id = sqlite3_last_insert_rowid(db);
	return 0;
}

/*
 * remed_action_done - see remed.h. Done means an action row in state ok
 * for that mailbox (compared without case) whose action is the request's
 * own: a forward_delete whose forward alone is recorded is not done.
 */
int
remed_action_done(struct queue *q, int64_t request, const char *mailbox, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;
	int rc;

	if (prep(db, "SELECT 1 FROM remed_action a JOIN remed_request r ON r.id = a.request "
		     "WHERE a.request = ?1 AND a.mailbox = ?2 COLLATE NOCASE AND a.state = ?3 "
		     "AND a.action = r.action LIMIT 1", &s, cause, "cannot read actions") < 0)
		return -1;
	sqlite3_bind_int64(s, 1, request);
	bind_cut(s, 2, mailbox, REMED_ADDR_MAX);
	sqlite3_bind_int(s, 3, REMED_OK);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return err(db, cause, "cannot read actions");
}

/*
 * remed_forward_done - see remed.h: an ok row whose action is a forward
 * for (request, mailbox): the forward part of a forward_delete is
 * recorded as soon as it is durable, so a rerun never sends it twice
 */
int
remed_forward_done(struct queue *q, int64_t request, const char *mailbox, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;
	int rc;

	if (prep(db, "SELECT 1 FROM remed_action WHERE request = ?1 AND mailbox = ?2 COLLATE NOCASE "
		     "AND state = ?3 AND action = ?4 LIMIT 1", &s, cause, "cannot read actions") < 0)
		return -1;
	sqlite3_bind_int64(s, 1, request);
	bind_cut(s, 2, mailbox, REMED_ADDR_MAX);
	sqlite3_bind_int(s, 3, REMED_OK);
	sqlite3_bind_int(s, 4, REMED_FORWARD);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return err(db, cause, "cannot read actions");
}

/* ---------------------------------------------------------- report */

/* report_actions - the actions of request r, in order, into *a (grown); count or -1 */
static int
report_actions(sqlite3 *db, sqlite3_stmt *s, const struct remed_request *r,
    struct remed_action **a, int *cap, char **cause)
{
	int rc, n = 0;

	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, r->id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct remed_action *x;

		if (n == *cap) {
			*cap = *cap ? *cap * 2 : 8;
			*a = xrealloc(*a, (size_t)*cap * sizeof(**a));
		}
		x = &(*a)[n++];
		*x = (struct remed_action){ 0 };
		x->id = sqlite3_column_int64(s, 0);
		x->request = r->id;
		x->when = (time_t)sqlite3_column_int64(s, 1);
		x->mid = sqlite3_column_int64(s, 2);
		str_copy(x->message_id, col(s, 3), sizeof(x->message_id));
		str_copy(x->mailbox, col(s, 4), sizeof(x->mailbox));
		x->action = (enum remed_action_kind)sqlite3_column_int(s, 5);
		str_copy(x->forward_to, col(s, 6), sizeof(x->forward_to));
		str_copy(x->profile, col(s, 7), sizeof(x->profile));
		x->state = (enum remed_state)sqlite3_column_int(s, 8);
		str_copy(x->result, col(s, 9), sizeof(x->result));
		str_copy(x->reason, col(s, 10), sizeof(x->reason));
		x->trigger = r->trigger;
		str_copy(x->who, r->who, sizeof(x->who));
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return err(db, cause, "cannot read actions");
	return n;
}

/*
 * remed_report - see remed.h. One read transaction (a SAVEPOINT, which
 * nests in a caller's) so that a request and its actions agree even while
 * the engine writes. A request counts for mid when it names that MID or
 * one of its actions acted on it (asked by Message-ID).
 */
int
remed_report(struct queue *q, time_t since, int64_t mid, int limit,
    void (*fn)(void *arg, const struct remed_request *r, const struct remed_action *a, int n),
    void *arg, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *rs = NULL, *as = NULL;
	struct remed_action *acts = NULL;
	struct remed_request *r = xmalloc(sizeof(*r));
	int rc, cap = 0, ret = -1;

	if (exec(db, "SAVEPOINT remed_report", cause, "cannot read requests") < 0) {
		free(r);
		return -1;
	}
	if (prep(db, REQ_COLUMNS "WHERE created >= ?1 AND (?2 <= 0 OR mid = ?2 OR id IN "
		     "(SELECT request FROM remed_action WHERE mid = ?2)) ORDER BY id DESC LIMIT ?3",
		&rs, cause, "cannot read requests") < 0 ||
	    prep(db, "SELECT id, t, mid, message_id, mailbox, action, forward_to, profile, state, "
		     "result, reason FROM remed_action WHERE request = ?1 ORDER BY id", &as, cause,
		"cannot read actions") < 0)
		goto out;
	sqlite3_bind_int64(rs, 1, since > 0 ? (sqlite3_int64)since : 0);
	sqlite3_bind_int64(rs, 2, mid);
	sqlite3_bind_int(rs, 3, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(rs)) == SQLITE_ROW) {
		int n;

		req_row(rs, r);
		if ((n = report_actions(db, as, r, &acts, &cap, cause)) < 0)
			goto out;
		fn(arg, r, acts, n);
	}
	if (rc != SQLITE_DONE) {
		err(db, cause, "cannot read requests");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(rs);
	sqlite3_finalize(as);
	sqlite3_exec(db, "RELEASE remed_report", NULL, NULL, NULL);
	free(acts);
	free(r);
	return ret;
}

/* ---------------------------------------------------------- machine */

/* serial_new - a fresh serial: 12 upper-case hex digits, '-', 7 more */
static int
serial_new(char out[21], char **cause)
{
	static const char digits[] = "0123456789ABCDEF";
	unsigned char b[10];
	size_t got = 0;
	int k = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			*cause = str_printf("remed: cannot make a serial number: getrandom: %s",
			    strerror(errno));
			return -1;
		}
		got += (size_t)n;
	}
	for (int i = 0; i < 6; i++) {
		out[k++] = digits[b[i] >> 4];
		out[k++] = digits[b[i] & 15];
	}
	out[k++] = '-';
	for (int i = 6; i < 10 && k < 20; i++) {
		out[k++] = digits[b[i] >> 4];
		if (k < 20)
			out[k++] = digits[b[i] & 15];
	}
	out[k] = '\0';
	return 0;
}

/*
 * remed_serial - see remed.h. The first to insert wins (INSERT OR
 * IGNORE), and everyone reads back what is stored, so two processes
 * starting at once agree on one serial.
 */
int
remed_serial(struct queue *q, char *out, size_t size, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;
	char fresh[21];
	int rc;

	if (prep(db, "SELECT value FROM state WHERE name = ?1", &s, cause,
		"cannot read the serial number") < 0)
		return -1;
	bind_str(s, 1, SERIAL_STATE);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && str_copy(out, col(s, 0), size) == 0) {
		sqlite3_finalize(s);
		return 0;
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW) {
		*cause = str_dup("remed: the serial number does not fit its buffer");
		return -1;
	}
	if (rc != SQLITE_DONE)
		return err(db, cause, "cannot read the serial number");
	if (serial_new(fresh, cause) < 0)
		return -1;
	if (prep(db, "INSERT OR IGNORE INTO state (name, value) VALUES (?1, ?2)", &s, cause,
		"cannot store the serial number") < 0)
		return -1;
	bind_str(s, 1, SERIAL_STATE);
	bind_str(s, 2, fresh);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return err(db, cause, "cannot store the serial number");
	if (prep(db, "SELECT value FROM state WHERE name = ?1", &s, cause,
		"cannot read the serial number") < 0)
		return -1;
	bind_str(s, 1, SERIAL_STATE);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && str_copy(out, col(s, 0), size) < 0)
		rc = SQLITE_MISUSE;
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_MISUSE) {
		*cause = str_dup("remed: the serial number does not fit its buffer");
		return -1;
	}
	return err(db, cause, "cannot read the serial number");
}
