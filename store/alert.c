/*
 * alert.c - the alerts table of DIR/queue.db: raise, list, prune, and the
 * per-user "seen" mark.
 *
 * Alerts are rare (a failed bind, an unreachable intake), so statements
 * are prepared per call rather than kept. A raise and its pruning run in
 * one SAVEPOINT, which nests inside a queue_begin batch and stands alone
 * outside one. The "seen" marks live in queue.c's state table as
 * "alerts.seen.USER" and go through queue_state_*.
 *
 * Text is stored printable: a raise may quote a peer (an intake's reply),
 * and every reader prints it on one terminal line.
 *
 * DIAGNOSTICS: -1 with a malloc'd cause "alert: WHAT: SQLite message".
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/alert.h"
#include "store/queue.h"
#include "store/queue_int.h"
#include "util/str.h"

static const char *const severity_names[] = {
	[ALERT_CRITICAL] = "Critical",
	[ALERT_WARNING] = "Warning",
	[ALERT_INFO] = "Info",
};

/* The columns every listing reads, in struct alert order. */
#define ALERT_COLUMNS "SELECT id, raised, severity, class, text, commit_id FROM alerts "

/* err - cause from the connection */
static int
err(sqlite3 *db, char **cause, const char *what)
{
	if (cause)
		*cause = str_printf("alert: %s: %s", what, sqlite3_errmsg(db));
	return -1;
}

/* printable - a malloc'd copy of s cut to max bytes, control characters as blanks */
static char *
printable(const char *s, size_t max)
{
	size_t n = strlen(s);
	char *p;

	if (n > max) {
		n = max;
		/* do not leave half a UTF-8 sequence at the cut */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	p = str_ndup(s, n);
	for (char *c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
			*c = ' ';
	return p;
}

const char *
alert_severity_name(enum alert_severity s)
{
	if ((int)s < 0 || (size_t)s >= sizeof(severity_names) / sizeof(severity_names[0]))
		return "Info";
	return severity_names[s];
}

int
alert_raise(struct queue *q, enum alert_severity severity, const char *aclass,
    const char *text, int64_t commit, int64_t *id, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s = NULL;
	char *c = printable(aclass ? aclass : "", ALERT_CLASS_MAX);
	char *t = printable(text ? text : "", ALERT_TEXT_MAX);
	int rc = -1;

	if ((int)severity < ALERT_CRITICAL || severity > ALERT_INFO)
		severity = ALERT_INFO;
	if (sqlite3_exec(db, "SAVEPOINT alert_raise", NULL, NULL, NULL) != SQLITE_OK) {
		err(db, cause, "cannot raise an alert");
		goto out;
	}
	if (sqlite3_prepare_v2(db,
		"INSERT INTO alerts (raised, severity, class, text, commit_id) "
		"VALUES (?1, ?2, ?3, ?4, ?5)", -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_int(s, 2, (int)severity);
	sqlite3_bind_text(s, 3, c, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, t, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, commit > 0 ? commit : 0);
	if (sqlite3_step(s) != SQLITE_DONE)
		goto fail;
	if (id)
		*id = sqlite3_last_insert_rowid(db);
	sqlite3_finalize(s);
	/* keep the newest ALERT_KEEP: IDs only grow, so this is by age */
	if (sqlite3_prepare_v2(db,
		"DELETE FROM alerts WHERE id <= "
		"(SELECT id FROM alerts ORDER BY id DESC LIMIT 1 OFFSET ?1)", -1, &s, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_bind_int(s, 1, ALERT_KEEP);
	if (sqlite3_step(s) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_exec(db, "RELEASE alert_raise", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	rc = 0;
	goto out;
fail:
	err(db, cause, "cannot raise an alert");
	sqlite3_finalize(s);
	sqlite3_exec(db, "ROLLBACK TO alert_raise", NULL, NULL, NULL);
	sqlite3_exec(db, "RELEASE alert_raise", NULL, NULL, NULL);
out:
	free(c);
	free(t);
	return rc;
}

/* walk - step a bound listing, one callback per row */
static int
walk(sqlite3 *db, sqlite3_stmt *s, alert_cb cb, void *arg, char **cause)
{
	int rc, ret = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct alert a = {
			.id = sqlite3_column_int64(s, 0),
			.raised = (time_t)sqlite3_column_int64(s, 1),
			.severity = (enum alert_severity)sqlite3_column_int(s, 2),
			.aclass = (const char *)sqlite3_column_text(s, 3),
			.text = (const char *)sqlite3_column_text(s, 4),
			.commit = sqlite3_column_int64(s, 5),
		};

		if (a.aclass == NULL)
			a.aclass = "";
		if (a.text == NULL)
			a.text = "";
		if ((ret = cb(&a, arg)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = err(db, cause, "cannot read the alerts");
	sqlite3_finalize(s);
	return ret;
}

int
alert_list(struct queue *q, int64_t since_id, alert_cb cb, void *arg, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(db, ALERT_COLUMNS "WHERE id > ?1 ORDER BY id", -1, &s, NULL) !=
	    SQLITE_OK)
		return err(db, cause, "cannot read the alerts");
	sqlite3_bind_int64(s, 1, since_id);
	return walk(db, s, cb, arg, cause);
}

int
alert_latest(struct queue *q, int n, alert_cb cb, void *arg, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(db, ALERT_COLUMNS "ORDER BY id DESC LIMIT ?1", -1, &s, NULL) !=
	    SQLITE_OK)
		return err(db, cause, "cannot read the alerts");
	sqlite3_bind_int(s, 1, n > 0 ? n : 0);
	return walk(db, s, cb, arg, cause);
}

int
alert_for_commits(struct queue *q, int64_t first, int64_t last, alert_cb cb, void *arg,
    char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(db, ALERT_COLUMNS "WHERE commit_id BETWEEN ?1 AND ?2 ORDER BY id",
		-1, &s, NULL) != SQLITE_OK)
		return err(db, cause, "cannot read the alerts");
	/* commit 0 means "about no commit": never matched */
	sqlite3_bind_int64(s, 1, first > 0 ? first : 1);
	sqlite3_bind_int64(s, 2, last);
	return walk(db, s, cb, arg, cause);
}

int64_t
alert_last_id(struct queue *q)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;
	int64_t id = -1;

	/* pruning keeps the newest rows, so the largest ID left is the last raised */
	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) FROM alerts", -1, &s, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return id;
}

/* seen_key - the state name of user's mark */
static char *
seen_key(const char *user)
{
	return str_printf("alerts.seen.%.64s", user && *user ? user : "-");
}

int64_t
alert_seen_get(struct queue *q, const char *user)
{
	char *key = seen_key(user), *v = queue_state_get(q, key);
	long n = 0;

	if (v == NULL || str_to_long(v, 0, 0x7fffffffffffffffL, &n) < 0)
		n = 0;
	free(v);
	free(key);
	return n;
}

int
alert_seen_set(struct queue *q, const char *user, int64_t id, char **cause)
{
	char *key, num[32];
	int rc;

	if (id <= alert_seen_get(q, user))
		return 0;
	key = seen_key(user);
	str_fmt(num, sizeof(num), "%lld", (long long)id);
	rc = queue_state_set(q, key, num, cause);
	free(key);
	return rc;
}
