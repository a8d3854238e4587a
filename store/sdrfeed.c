/*
 * sdrfeed.c - the tables sdr_indicators and sdr_feeds of DIR/queue.db:
 * the external threat feeds of Sender Domain Reputation.
 *
 * Polls are rare (one per feed per sdr.feed_interval), so statements are
 * prepared per call, as in alert.c. A poll is stored in one BEGIN
 * IMMEDIATE transaction, so a reader (mxsh's sdrstatus, the daemon's
 * reload) sees the feed before or after it, never half of it; any error
 * rolls the whole poll back and leaves the previous indicators in place.
 *
 * A forced poll (from the start of the collection) marks the feed's rows
 * stale (added = 0) first; every row the poll brings is stamped with the
 * poll's time, and the rows still marked afterwards are deleted: they are
 * no longer in the collection.
 *
 * An indicator counts from its valid_from to its valid_until (STIX 2.1
 * 4.7: valid_from inclusive, valid_until exclusive). One not valid yet is
 * stored like the others and counts once its time comes: readers compare
 * with the time of the question, so no poll is needed for it.
 *
 * DIAGNOSTICS: see sdrfeed.h.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/queue.h"
#include "store/queue_int.h"
#include "store/sdrfeed.h"
#include "util/str.h"

#define INDICATOR_COLUMNS \
	"SELECT feed, id, domain, verdict, category, valid_until, valid_from FROM sdr_indicators "

/* err - cause from the connection */
static int
err(sqlite3 *db, char **cause, const char *what)
{
	if (cause != NULL)
		*cause = str_printf("sdr feeds: %s: %s", what, sqlite3_errmsg(db));
	return -1;
}

/* prep - a statement, or -1 with the cause */
static int
prep(sqlite3 *db, const char *sql, sqlite3_stmt **s, char **cause, const char *what)
{
	if (sqlite3_prepare_v2(db, sql, -1, s, NULL) != SQLITE_OK) {
		*s = NULL;
		return err(db, cause, what);
	}
	return 0;
}

/* text - bind a string */
static void
text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

/* col - a text column, never NULL */
static const char *
col(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	return v ? (const char *)v : "";
}

/* run - step a statement that returns no rows, then reset it; -1 on error */
static int
run(sqlite3 *db, sqlite3_stmt *s, char **cause, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return err(db, cause, what);
	return 0;
}

/* exec1 - prepare, run and finalize one statement without parameters */
static int
exec1(sqlite3 *db, const char *sql, char **cause, const char *what)
{
	sqlite3_stmt *s;
	int rc;

	if (prep(db, sql, &s, cause, what) < 0)
		return -1;
	rc = run(db, s, cause, what);
	sqlite3_finalize(s);
	return rc;
}

/* state_row - a sdr_feeds row into st */
static void
state_row(sqlite3_stmt *s, struct sdrfeed_state *st)
{
	memset(st, 0, sizeof(*st));
	str_copy(st->feed, col(s, 0), sizeof(st->feed));
	str_copy(st->added_after, col(s, 1), sizeof(st->added_after));
	st->last_poll = (time_t)sqlite3_column_int64(s, 2);
	st->last_ok = (time_t)sqlite3_column_int64(s, 3);
	str_copy(st->last_error, col(s, 4), sizeof(st->last_error));
	st->indicators = sqlite3_column_int64(s, 5);
}

/* sdrfeed_list - every feed with a state */
int
sdrfeed_list(struct queue *q, int (*cb)(const struct sdrfeed_state *st, void *arg), void *arg,
    char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	struct sdrfeed_state st;
	sqlite3_stmt *s;
	int rc;

	if (prep(db, "SELECT feed, added_after, last_poll, last_ok, last_error, indicators "
		"FROM sdr_feeds ORDER BY feed", &s, cause, "cannot list feeds") < 0)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		state_row(s, &st);
		if (cb(&st, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return err(db, cause, "cannot list feeds");
	return 0;
}

/* sdrfeed_get - one feed's state */
int
sdrfeed_get(struct queue *q, const char *feed, struct sdrfeed_state *st, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;
	int rc;

	memset(st, 0, sizeof(*st));
	str_copy(st->feed, feed, sizeof(st->feed));
	if (prep(db, "SELECT feed, added_after, last_poll, last_ok, last_error, indicators "
		"FROM sdr_feeds WHERE feed = ?1", &s, cause, "cannot read a feed") < 0)
		return -1;
	text(s, 1, feed);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		state_row(s, st);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return err(db, cause, "cannot read a feed");
	return rc == SQLITE_ROW;
}

/* indicators - run an indicator query (bound by the caller) through cb */
static int
indicators(sqlite3 *db, sqlite3_stmt *s,
    void (*cb)(const struct sdr_indicator *ind, const char *feed, void *arg), void *arg,
    char **cause)
{
	struct sdr_indicator ind;
	char feed[64];
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int v = sqlite3_column_int(s, 3);

		memset(&ind, 0, sizeof(ind));
		str_copy(feed, col(s, 0), sizeof(feed));
		str_copy(ind.id, col(s, 1), sizeof(ind.id));
		str_copy(ind.domain, col(s, 2), sizeof(ind.domain));
		/* a row from another version, or edited by hand: never out of the scale */
		ind.verdict = v >= 0 && v < SDR_NVERDICTS ? (enum sdr_verdict)v : SDR_UNKNOWN;
		str_copy(ind.category, col(s, 4), sizeof(ind.category));
		ind.valid_until = (time_t)sqlite3_column_int64(s, 5);
		ind.valid_from = (time_t)sqlite3_column_int64(s, 6);
		cb(&ind, feed, arg);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return err(db, cause, "cannot read indicators");
	return 0;
}

/* sdrfeed_lookup - the indicators of one domain, valid at now */
int
sdrfeed_lookup(struct queue *q, const char *domain, time_t now,
    void (*cb)(const struct sdr_indicator *ind, const char *feed, void *arg), void *arg,
    char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;

	if (prep(db, INDICATOR_COLUMNS "WHERE domain = ?1 AND valid_from <= ?2 AND "
		"(valid_until = 0 OR valid_until > ?2) ORDER BY verdict, feed, id", &s, cause,
		"cannot read indicators") < 0)
		return -1;
	text(s, 1, domain);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	return indicators(db, s, cb, arg, cause);
}

/* sdrfeed_all - every indicator not expired at now (valid yet or not), by domain */
int
sdrfeed_all(struct queue *q, time_t now,
    void (*cb)(const struct sdr_indicator *ind, const char *feed, void *arg), void *arg,
    char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;

	if (prep(db, INDICATOR_COLUMNS "WHERE valid_until = 0 OR valid_until > ?1 "
		"ORDER BY domain, verdict, feed, id", &s, cause, "cannot read indicators") < 0)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	return indicators(db, s, cb, arg, cause);
}

/* count - SELECT count(*) ... WHERE feed = ?1 */
static int
count(sqlite3 *db, const char *feed, int64_t *n, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	if (prep(db, "SELECT count(*) FROM sdr_indicators WHERE feed = ?1", &s, cause,
		"cannot count indicators") < 0)
		return -1;
	text(s, 1, feed);
	rc = sqlite3_step(s);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return err(db, cause, "cannot count indicators");
	return 0;
}

enum {
	ST_EXISTS,	/* is (feed, id) stored? */
	ST_UPSERT,	/* store a version */
	ST_DELETE,	/* remove a revoked one */
	ST_N
};

/* by id, then by position: the last version of each indicator is the last of its run */
static const struct sdrfeed_poll *sort_poll;

static int
pos_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	int c = strcmp(sort_poll->ind[x].id, sort_poll->ind[y].id);

	return c != 0 ? c : (x > y) - (x < y);
}

/*
 * latest - which indicators of the poll to apply: the last version of
 * each id (a poll may bring several; only the outcome counts, so an
 * indicator added and revoked in one poll is neither added nor removed).
 * A malloc'd array of flags.
 */
static char *
latest(const struct sdrfeed_poll *p)
{
	char *use = xcalloc((size_t)p->nind + 1, 1);
	int *pos = xcalloc((size_t)p->nind + 1, sizeof(*pos));

	for (int i = 0; i < p->nind; i++)
		pos[i] = i;
	sort_poll = p;
	qsort(pos, (size_t)p->nind, sizeof(*pos), pos_cmp);
	sort_poll = NULL;
	for (int i = 0; i < p->nind; i++)
		if (i + 1 == p->nind || strcmp(p->ind[pos[i]].id, p->ind[pos[i + 1]].id) != 0)
			use[pos[i]] = 1;
	free(pos);
	return use;
}

/* store_poll - the body of sdrfeed_store's transaction */
static int
store_poll(sqlite3 *db, sqlite3_stmt **st, const struct sdrfeed_poll *p, struct sdrfeed_part *x,
    const char *use, int *added, int *removed, char **cause)
{
	sqlite3_stmt *s;
	int64_t n = 0;

	if (x->cap > 0 && count(db, p->feed, &n, cause) < 0)
		return -1;
	if (p->force && !(x->part & SDRFEED_PART_CONT)) {
		if (prep(db, "UPDATE sdr_indicators SET added = 0 WHERE feed = ?1", &s, cause,
			"cannot mark the feed's indicators") < 0)
			return -1;
		text(s, 1, p->feed);
		if (run(db, s, cause, "cannot mark the feed's indicators") < 0) {
			sqlite3_finalize(s);
			return -1;
		}
		sqlite3_finalize(s);
	}
	for (int i = 0; i < p->nind; i++) {
		const struct sdr_indicator *ind = &p->ind[i];
		int exists, rc;

		if (!use[i])
			continue;	/* a later version follows */
		text(st[ST_EXISTS], 1, p->feed);
		text(st[ST_EXISTS], 2, ind->id);
		rc = sqlite3_step(st[ST_EXISTS]);
		exists = rc == SQLITE_ROW;
		sqlite3_reset(st[ST_EXISTS]);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return err(db, cause, "cannot read indicators");
		if (ind->revoked) {
			if (x->applied != NULL)
				x->applied[i] = SDRFEED_GONE;
			if (!exists)
				continue;
			text(st[ST_DELETE], 1, p->feed);
			text(st[ST_DELETE], 2, ind->id);
			if (run(db, st[ST_DELETE], cause, "cannot remove an indicator") < 0)
				return -1;
			(*removed)++;
			n--;
			continue;
		}
		if (!exists && x->cap > 0 && n >= x->cap) {
			x->refused++;
			if (x->applied != NULL)
				x->applied[i] = SDRFEED_REFUSED;
			continue;
		}
		text(st[ST_UPSERT], 1, p->feed);
		text(st[ST_UPSERT], 2, ind->id);
		text(st[ST_UPSERT], 3, ind->domain);
		sqlite3_bind_int(st[ST_UPSERT], 4, (int)ind->verdict);
		text(st[ST_UPSERT], 5, ind->category);
		sqlite3_bind_int64(st[ST_UPSERT], 6, (sqlite3_int64)ind->valid_until);
		sqlite3_bind_int64(st[ST_UPSERT], 7, (sqlite3_int64)(p->now > 0 ? p->now : 1));
		sqlite3_bind_int64(st[ST_UPSERT], 8, (sqlite3_int64)ind->valid_from);
		if (run(db, st[ST_UPSERT], cause, "cannot store an indicator") < 0)
			return -1;
		if (x->applied != NULL)
			x->applied[i] = SDRFEED_KEPT;
		if (!exists) {
			(*added)++;
			n++;
		}
	}
	if (x->part & SDRFEED_PART_MORE)
		return 0;	/* the last part cleans up and records the state */
	/* expired, and (forced) not brought by this poll */
	if (prep(db, "DELETE FROM sdr_indicators WHERE feed = ?1 AND "
		"((valid_until != 0 AND valid_until <= ?2) OR (?3 AND added = 0))", &s, cause,
		"cannot remove old indicators") < 0)
		return -1;
	text(s, 1, p->feed);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)p->now);
	sqlite3_bind_int(s, 3, p->force != 0);
	if (run(db, s, cause, "cannot remove old indicators") < 0) {
		sqlite3_finalize(s);
		return -1;
	}
	*removed += sqlite3_changes(db);
	sqlite3_finalize(s);
	if (count(db, p->feed, &n, cause) < 0)
		return -1;
	if (prep(db, "INSERT INTO sdr_feeds (feed, added_after, last_poll, last_ok, last_error, "
		"indicators) VALUES (?1, ?2, ?3, ?3, '', ?4) ON CONFLICT (feed) DO UPDATE SET "
		"added_after = CASE WHEN ?2 = '' THEN added_after ELSE ?2 END, last_poll = ?3, "
		"last_ok = ?3, last_error = '', indicators = ?4", &s, cause,
		"cannot record the feed's state") < 0)
		return -1;
	text(s, 1, p->feed);
	text(s, 2, p->added_after);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)p->now);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)n);
	if (run(db, s, cause, "cannot record the feed's state") < 0) {
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

/* sdrfeed_store - a poll in one transaction */
int
sdrfeed_store(struct queue *q, const struct sdrfeed_poll *p, int *added, int *removed,
    char **cause)
{
	struct sdrfeed_part x;

	memset(&x, 0, sizeof(x));
	return sdrfeed_store_part(q, p, &x, added, removed, cause);
}

/* sdrfeed_store_part - one part of a poll in one transaction */
int
sdrfeed_store_part(struct queue *q, const struct sdrfeed_poll *p, struct sdrfeed_part *x,
    int *added, int *removed, char **cause)
{
	static const char *const sql[ST_N] = {
		[ST_EXISTS] = "SELECT 1 FROM sdr_indicators WHERE feed = ?1 AND id = ?2",
		[ST_UPSERT] = "INSERT INTO sdr_indicators (feed, id, domain, verdict, category, "
			      "valid_until, added, valid_from) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
			      "?8) ON CONFLICT (feed, id) DO UPDATE SET domain = ?3, verdict = ?4, "
			      "category = ?5, valid_until = ?6, added = ?7, valid_from = ?8",
		[ST_DELETE] = "DELETE FROM sdr_indicators WHERE feed = ?1 AND id = ?2",
	};
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *st[ST_N] = { NULL };
	int rc = -1, a = 0, r = 0;
	char *use = latest(p);

	*added = *removed = 0;
	if (exec1(db, "BEGIN IMMEDIATE", cause, "cannot begin storing a poll") < 0) {
		free(use);
		return -1;
	}
	for (int i = 0; i < ST_N; i++)
		if (prep(db, sql[i], &st[i], cause, "cannot prepare storing a poll") < 0)
			goto out;
	x->refused = 0;
	if (x->applied != NULL && p->nind > 0)
		memset(x->applied, 0, (size_t)p->nind);
	if (store_poll(db, st, p, x, use, &a, &r, cause) < 0)
		goto out;
	rc = exec1(db, "COMMIT", cause, "cannot commit a poll");
out:
	for (int i = 0; i < ST_N; i++)
		sqlite3_finalize(st[i]);
	free(use);
	if (rc < 0) {
		exec1(db, "ROLLBACK", NULL, "rollback");
		return -1;
	}
	*added = a;
	*removed = r;
	return 0;
}

/* sdrfeed_failed - a failed poll */
int
sdrfeed_failed(struct queue *q, const char *feed, time_t now, const char *error, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;
	char e[256];
	int rc;

	str_copy(e, error ? error : "", sizeof(e));	/* cut: the column is shown on one line */
	if (prep(db, "INSERT INTO sdr_feeds (feed, last_poll, last_error) VALUES (?1, ?2, ?3) "
		"ON CONFLICT (feed) DO UPDATE SET last_poll = ?2, last_error = ?3", &s, cause,
		"cannot record a failed poll") < 0)
		return -1;
	text(s, 1, feed);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	text(s, 3, e);
	rc = run(db, s, cause, "cannot record a failed poll");
	sqlite3_finalize(s);
	return rc;
}

/* sdrfeed_drop - forget a feed */
int
sdrfeed_drop(struct queue *q, const char *feed, char **cause)
{
	static const char *const sql[] = {
		"DELETE FROM sdr_indicators WHERE feed = ?1",
		"DELETE FROM sdr_feeds WHERE feed = ?1",
	};
	sqlite3 *db = queue_sqlite(q);
	int rc = 0;

	if (exec1(db, "BEGIN IMMEDIATE", cause, "cannot begin dropping a feed") < 0)
		return -1;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]) && rc == 0; i++) {
		sqlite3_stmt *s;

		if ((rc = prep(db, sql[i], &s, cause, "cannot drop a feed")) < 0)
			break;
		text(s, 1, feed);
		rc = run(db, s, cause, "cannot drop a feed");
		sqlite3_finalize(s);
	}
	if (rc == 0)
		rc = exec1(db, "COMMIT", cause, "cannot commit dropping a feed");
	if (rc < 0)
		exec1(db, "ROLLBACK", NULL, "rollback");
	return rc;
}
