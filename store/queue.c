/*
 * queue.c - DIR/queue.db: the mail queue, counters, IDs, state, requests.
 *
 * Messages are rows with the body as a BLOB; a message is durable once
 * the transaction that inserted it has committed with synchronous=FULL
 * (WAL: the commit fsyncs the log). Recipients are rows of their own;
 * when the last recipient of a message is done, the message goes too.
 * Hot statements are prepared once and kept. The daemon checks the file
 * at start (queue_check): a damaged file, or ID sequences behind the IDs
 * in use, stop it before it delivers or accepts anything.
 *
 * DIAGNOSTICS: -1 with a malloc'd cause naming the operation and the
 * SQLite message; causes at open and from the checks name the file.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/queue.h"
#include "store/queue_int.h"
#include "store/store_int.h"
#include "util/fsutil.h"
#include "util/str.h"

#define QUEUE_BUSY_TIMEOUT_MS 10000

static const char *const migrations[] = {
	/* 1: queue, counters, ids, state, requests */
	"CREATE TABLE ids (name TEXT PRIMARY KEY, next INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO ids VALUES ('icid', 1), ('mid', 1), ('dcid', 1);"
	"CREATE TABLE messages ("
	"  mid INTEGER PRIMARY KEY,"
	"  parent_mid INTEGER NOT NULL,"
	"  icid INTEGER NOT NULL,"
	"  kind INTEGER NOT NULL,"
	"  received INTEGER NOT NULL,"
	"  sender TEXT NOT NULL,"
	"  policy TEXT NOT NULL,"
	"  direction INTEGER NOT NULL,"
	"  client_ip TEXT NOT NULL,"
	"  listener TEXT NOT NULL,"
	"  message_id TEXT NOT NULL,"
	"  body BLOB NOT NULL);"
	"CREATE TABLE recipients ("
	"  mid INTEGER NOT NULL,"
	"  rid INTEGER NOT NULL,"
	"  addr TEXT NOT NULL,"
	"  dest TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL,"
	"  next_try INTEGER NOT NULL,"
	"  last_error TEXT,"
	"  PRIMARY KEY (mid, rid)) WITHOUT ROWID;"
	"CREATE INDEX recipients_dest ON recipients(dest);"
	"CREATE TABLE hosts ("
	"  host TEXT PRIMARY KEY,"
	"  deliv INTEGER NOT NULL DEFAULT 0, soft INTEGER NOT NULL DEFAULT 0,"
	"  hard INTEGER NOT NULL DEFAULT 0,"
	"  l_deliv INTEGER NOT NULL DEFAULT 0, l_soft INTEGER NOT NULL DEFAULT 0,"
	"  l_hard INTEGER NOT NULL DEFAULT 0,"
	"  down INTEGER NOT NULL DEFAULT 0,"
	"  conn_out INTEGER NOT NULL DEFAULT 0,"
	"  last_activity INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT NOT NULL DEFAULT '') WITHOUT ROWID;"
	"CREATE TABLE counters ("
	"  name TEXT PRIMARY KEY,"
	"  reset INTEGER NOT NULL DEFAULT 0,"
	"  lifetime INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE TABLE state (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE requests ("
	"  id INTEGER PRIMARY KEY,"
	"  verb TEXT NOT NULL,"
	"  arg TEXT NOT NULL,"
	"  created INTEGER NOT NULL);"
	"PRAGMA user_version = 1;",
	/* 2: alerts the appliance raised (store/alert.c owns the table) */
	"CREATE TABLE alerts ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  raised INTEGER NOT NULL,"
	"  severity INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 2),"
	"  class TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  commit_id INTEGER NOT NULL);"
	"CREATE INDEX alerts_commit ON alerts(commit_id);"
	"PRAGMA user_version = 2;",
	/*
	 * 3: quarantines (store/quarantine.c) and the indicators of STIX/TAXII
	 * feeds for Sender Domain Reputation (store/sdrfeed.c)
	 */
	"CREATE TABLE quarantine ("
	"  qname TEXT NOT NULL,"			/* the quarantine */
	"  mid INTEGER NOT NULL,"
	"  parent_mid INTEGER NOT NULL,"
	"  icid INTEGER NOT NULL,"
	"  kind INTEGER NOT NULL,"
	"  received INTEGER NOT NULL,"		/* acceptance time */
	"  quarantined INTEGER NOT NULL,"		/* when it entered the quarantine */
	"  sender TEXT NOT NULL,"
	"  rcpts TEXT NOT NULL,"			/* \n-separated addr\tdest */
	"  subject TEXT NOT NULL,"
	"  reason TEXT NOT NULL,"			/* the filter (and action) that put it here */
	"  policy TEXT NOT NULL,"
	"  direction INTEGER NOT NULL,"
	"  client_ip TEXT NOT NULL,"
	"  listener TEXT NOT NULL,"
	"  message_id TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  journal INTEGER NOT NULL DEFAULT 1,"	/* journaled when released (its policy permitting) */
	"  body BLOB NOT NULL,"
	"  PRIMARY KEY (qname, mid)) WITHOUT ROWID;"
	"CREATE INDEX quarantine_time ON quarantine(quarantined);"
	"CREATE TABLE sdr_indicators ("
	"  feed TEXT NOT NULL,"
	"  id TEXT NOT NULL,"				/* STIX indicator id */
	"  domain TEXT NOT NULL,"
	"  verdict INTEGER NOT NULL,"
	"  category TEXT NOT NULL,"
	"  valid_from INTEGER NOT NULL DEFAULT 0,"	/* counts from then (0: always) */
	"  valid_until INTEGER NOT NULL,"		/* 0: no end */
	"  added INTEGER NOT NULL,"
	"  PRIMARY KEY (feed, id)) WITHOUT ROWID;"
	"CREATE INDEX sdr_indicators_domain ON sdr_indicators(domain);"
	"CREATE TABLE sdr_feeds ("
	"  feed TEXT PRIMARY KEY,"
	"  added_after TEXT NOT NULL DEFAULT '',"	/* X-TAXII-Date-Added-Last of the last poll */
	"  last_poll INTEGER NOT NULL DEFAULT 0,"
	"  last_ok INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT NOT NULL DEFAULT '',"
	"  indicators INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"PRAGMA user_version = 3;",
	/*
	 * 4: mailbox remediation (store/remed.c, issue 12): the recipients of
	 * every journal copy, the ETD ids taken, requests and their actions
	 */
	"CREATE TABLE journaled ("
	"  orig_mid INTEGER NOT NULL,"		/* the original's MID */
	"  message_id TEXT NOT NULL,"		/* its Message-ID as in the header, <> kept; '' if none */
	"  rcpt TEXT NOT NULL,"			/* one envelope recipient of the copy */
	"  t INTEGER NOT NULL);"			/* when the copy was made */
	"CREATE INDEX journaled_msgid ON journaled(message_id);"
	"CREATE INDEX journaled_mid ON journaled(orig_mid);"
	"CREATE INDEX journaled_t ON journaled(t);"
	"CREATE TABLE etd_seen (id TEXT PRIMARY KEY, t INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE remed_request ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  created INTEGER NOT NULL,"
	"  finished INTEGER NOT NULL DEFAULT 0,"	/* 0 while pending */
	"  trig INTEGER NOT NULL,"			/* enum remed_trigger */
	"  who TEXT NOT NULL,"
	"  mid INTEGER NOT NULL,"			/* 0: by Message-ID only */
	"  message_id TEXT NOT NULL,"
	"  verdict TEXT NOT NULL,"
	"  action INTEGER NOT NULL,"			/* enum remed_action_kind */
	"  forward_to TEXT NOT NULL,"
	"  rcpts TEXT NOT NULL,"			/* ETD's mailboxes, comma-separated */
	"  state INTEGER NOT NULL,"			/* enum remed_state */
	"  note TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX remed_request_state ON remed_request(state, id);"
	"CREATE TABLE remed_action ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  request INTEGER NOT NULL,"		/* remed_request.id */
	"  t INTEGER NOT NULL,"
	"  mid INTEGER NOT NULL,"
	"  message_id TEXT NOT NULL,"
	"  mailbox TEXT NOT NULL,"
	"  action INTEGER NOT NULL,"
	"  forward_to TEXT NOT NULL,"
	"  profile TEXT NOT NULL,"
	"  state INTEGER NOT NULL,"
	"  result TEXT NOT NULL,"
	"  reason TEXT NOT NULL);"
	"CREATE INDEX remed_action_request ON remed_action(request);"
	"CREATE INDEX remed_action_mid ON remed_action(mid);"
	"PRAGMA user_version = 4;",
	/*
	 * 5: a request that failed for a passing cause (server down, time
	 * out) is tried again later: how often it was tried, since when it
	 * fails, and not before when (UTC seconds; 0 = now)
	 */
	"ALTER TABLE remed_request ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE remed_request ADD COLUMN first_fail INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE remed_request ADD COLUMN next_try INTEGER NOT NULL DEFAULT 0;"
	"PRAGMA user_version = 5;",
	/*
	 * 6: a hard-bounced recipient stays until its message is finished
	 * and the one DSN for it is sent; it is marked so, with the DSN's
	 * status and diagnostic, so that listings leave it out and a restart
	 * neither retries it nor forgets its notification (issue 13: it was
	 * in memory only). NULL: still queued for delivery.
	 */
	"ALTER TABLE recipients ADD COLUMN bounce_status TEXT;"
	"ALTER TABLE recipients ADD COLUMN bounce_diag TEXT;"
	"PRAGMA user_version = 6;",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

enum stmt {
	S_INS_MSG,
	S_INS_RCPT,
	S_DEL_RCPT,
	S_LEFT_RCPT,
	S_DEL_MSG,
	S_DEFER,
	S_BOUNCE,
	S_HOST_COUNT,
	S_HOST_STATUS,
	S_HOST_STATUS_KEEP,
	S_HOST_CONNS,
	S_GLOBAL_ADD,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_INS_MSG] = "INSERT INTO messages (mid, parent_mid, icid, kind, received, sender, "
		      "policy, direction, client_ip, listener, message_id, body) "
		      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[S_INS_RCPT] = "INSERT INTO recipients (mid, rid, addr, dest, attempts, next_try, "
		       "last_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_DEL_RCPT] = "DELETE FROM recipients WHERE mid = ?1 AND rid = ?2",
	[S_LEFT_RCPT] = "SELECT 1 FROM recipients WHERE mid = ?1 LIMIT 1",
	[S_DEL_MSG] = "DELETE FROM messages WHERE mid = ?1",
	[S_DEFER] = "UPDATE recipients SET attempts = ?3, next_try = ?4, last_error = ?5 "
		    "WHERE mid = ?1 AND rid = ?2",
	[S_BOUNCE] = "UPDATE recipients SET bounce_status = ?3, bounce_diag = ?4 "
		     "WHERE mid = ?1 AND rid = ?2",
	[S_HOST_COUNT] = "INSERT INTO hosts (host, deliv, soft, hard, l_deliv, l_soft, l_hard) "
			 "VALUES (?1, ?2, ?3, ?4, ?2, ?3, ?4) ON CONFLICT (host) DO UPDATE SET "
			 "deliv = deliv + ?2, soft = soft + ?3, hard = hard + ?4, "
			 "l_deliv = l_deliv + ?2, l_soft = l_soft + ?3, l_hard = l_hard + ?4",
	[S_HOST_STATUS] = "INSERT INTO hosts (host, down, last_activity, last_error) "
			  "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (host) DO UPDATE SET "
			  "down = ?2, last_activity = ?3, last_error = ?4",
	[S_HOST_STATUS_KEEP] = "INSERT INTO hosts (host, down, last_activity) VALUES (?1, ?2, ?3) "
			       "ON CONFLICT (host) DO UPDATE SET down = ?2, last_activity = ?3",
	[S_HOST_CONNS] = "INSERT INTO hosts (host, conn_out) VALUES (?1, ?2) "
			 "ON CONFLICT (host) DO UPDATE SET conn_out = ?2",
	[S_GLOBAL_ADD] = "INSERT INTO counters (name, reset, lifetime) VALUES (?1, ?2, ?2) "
			 "ON CONFLICT (name) DO UPDATE SET reset = reset + ?2, "
			 "lifetime = lifetime + ?2",
};

struct queue {
	sqlite3 *db;			/* DIR/queue.db */
	char *path;			/* its path, for causes */
	sqlite3_stmt *stmt[S_COUNT];	/* prepared hot statements */
	int in_batch;			/* between queue_begin and queue_commit */
	int sync;			/* synchronous set by queue_begin: 1 NORMAL, 2 FULL */
};

/* err - cause from the connection */
static int
err(struct queue *q, char **cause, const char *what)
{
	if (cause)
		*cause = str_printf("queue: %s: %s", what, sqlite3_errmsg(q->db));
	return -1;
}

/* exec - fixed SQL text without results */
static int
exec(struct queue *q, const char *sql, char **cause)
{
	char *e = NULL;

	if (sqlite3_exec(q->db, sql, NULL, NULL, &e) != SQLITE_OK) {
		if (cause)
			*cause = str_printf("queue: %s", e ? e : "error");
		sqlite3_free(e);
		return -1;
	}
	return 0;
}

/* get - a kept statement, reset and unbound */
static sqlite3_stmt *
get(struct queue *q, enum stmt s)
{
	sqlite3_reset(q->stmt[s]);
	sqlite3_clear_bindings(q->stmt[s]);
	return q->stmt[s];
}

/* text - bind a C string or NULL */
static void
text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* col - column as C string */
static const char *
col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

/* done - step a write statement to completion */
static int
done(struct queue *q, sqlite3_stmt *s, char **cause, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return err(q, cause, what);
	return 0;
}

/* migrate - bring the schema up to date */
static int
migrate(struct queue *q, char **cause)
{
	sqlite3_stmt *s;
	int cur = -1;

	if (exec(q, "BEGIN IMMEDIATE", cause) < 0)
		return -1;
	if (sqlite3_prepare_v2(q->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		cur = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (cur < 0 || cur > NMIGRATIONS) {
		exec(q, "ROLLBACK", NULL);
		if (cur > NMIGRATIONS)
			*cause = str_printf("queue.db has schema version %d, newer than this mxgate "
					    "understands (%d); refusing to open it",
			    cur, NMIGRATIONS);
		else
			err(q, cause, "cannot read schema version");
		return -1;
	}
	/* an existing queue is checked before a migration writes into it (issue 9) */
	if (cur > 0 && cur < NMIGRATIONS &&
	    store_quick_check(q->db, q->path, "mail queue", cause) < 0) {
		exec(q, "ROLLBACK", NULL);
		return -1;
	}
	for (; cur < NMIGRATIONS; cur++)
		if (exec(q, migrations[cur], cause) < 0) {
			exec(q, "ROLLBACK", NULL);
			return -1;
		}
	return exec(q, "COMMIT", cause);
}

int
queue_open(const char *dir, struct queue **out, char **cause)
{
	struct queue *q;
	char *path;
	int lockfd, created;

	*out = NULL;
	if (store_file_open(dir, "queue.db", "mail queue", &path, &lockfd, &created, cause) < 0)
		return -1;
	q = xcalloc(1, sizeof(*q));
	q->path = str_dup(path);
	if (sqlite3_open_v2(path, &q->db, STORE_OPEN_FLAGS, NULL) != SQLITE_OK) {
		*cause = str_dup(q->db ? sqlite3_errmsg(q->db) : "out of memory");
		store_file_cause(q->db, path, cause);
		queue_close(q);
		store_file_abandon(path, lockfd, created);
		return -1;
	}
	sqlite3_busy_timeout(q->db, QUEUE_BUSY_TIMEOUT_MS);
	if (exec(q, "PRAGMA journal_mode=WAL", cause) < 0 ||
	    exec(q, "PRAGMA synchronous=FULL", cause) < 0 ||
	    exec(q, "PRAGMA wal_autocheckpoint=4000", cause) < 0 || migrate(q, cause) < 0) {
		store_file_cause(q->db, path, cause);
		queue_close(q);
		store_file_abandon(path, lockfd, created);
		return -1;
	}
	free(path);
	store_file_unlock(lockfd);
	for (int i = 0; i < S_COUNT; i++)
		if (sqlite3_prepare_v3(q->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
			&q->stmt[i], NULL) != SQLITE_OK) {
			err(q, cause, "cannot prepare statement");
			store_file_cause(q->db, q->path, cause);
			queue_close(q);
			return -1;
		}
	*out = q;
	return 0;
}

void
queue_close(struct queue *q)
{
	if (q == NULL)
		return;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(q->stmt[i]);
	if (q->db)
		sqlite3_close(q->db);
	free(q->path);
	free(q);
}

sqlite3 *
queue_sqlite(struct queue *q)
{
	return q->db;
}

int
queue_id_reserve(struct queue *q, const char *name, int64_t count, int64_t *first,
    char **cause)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(q->db,
		"UPDATE ids SET next = next + ?2 WHERE name = ?1 RETURNING next - ?2", -1, &s,
		NULL) != SQLITE_OK)
		return err(q, cause, "cannot reserve IDs");
	text(s, 1, name);
	sqlite3_bind_int64(s, 2, count);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*first = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return err(q, cause, "cannot reserve IDs");
	return 0;
}

int64_t
queue_id_current(struct queue *q, const char *name)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_prepare_v2(q->db, "SELECT next - 1 FROM ids WHERE name = ?1", -1, &s, NULL) !=
	    SQLITE_OK)
		return -1;
	text(s, 1, name);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* id_next - a sequence's next ID: 0 found, 1 no such row, -1 error (cause set) */
static int
id_next(struct queue *q, const char *name, int64_t *next, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	*next = 0;
	if (sqlite3_prepare_v2(q->db, "SELECT next FROM ids WHERE name = ?1", -1, &s, NULL) !=
	    SQLITE_OK)
		return err(q, cause, "cannot read IDs");
	text(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*next = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
	return err(q, cause, "cannot read IDs");
}

/*
 * queue_id_check - see queue.h. The fix offered is the one that keeps
 * every ID unique: move the sequence past what is in use, never back.
 */
int
queue_id_check(struct queue *q, const char *name, int64_t seen, const char *where,
    char **cause)
{
	char label[8];
	int64_t next;
	int rc = id_next(q, name, &next, cause);

	if (rc < 0) {
		store_file_cause(q->db, q->path, cause);
		return -1;
	}
	if (rc == 0 && next > seen && next > 0)
		return 0;
	str_copy(label, name, sizeof(label));
	for (char *p = label; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (rc == 1) {
		*cause = str_printf("%s: the %s sequence is missing from its ids table: the file "
				    "is damaged; restore it from a backup",
		    q->path, label);
		return -1;
	}
	*cause = str_printf("%s: the %s sequence is behind the IDs in use (next %s %lld, but %s "
			    "holds %s %lld): its ids table was damaged or the file restored from "
			    "an older copy, and new IDs would repeat old ones; restore it from a "
			    "backup, or move the sequence past them: sqlite3 %s \"UPDATE ids SET "
			    "next = %lld WHERE name = '%s'\"",
	    q->path, label, label, (long long)next, where, label, (long long)seen, q->path,
	    (long long)seen + 1, name);
	return -1;
}

/* queue_check - see queue.h */
int
queue_check(struct queue *q, char **cause)
{
	static const char *const names[] = { "icid", "mid", "dcid" };
	int64_t top[3] = { 0, 0, 0 };	/* DCIDs are kept in no table */
	sqlite3_stmt *s;
	int rc;

	if (store_quick_check(q->db, q->path, "mail queue", cause) < 0)
		return -1;
	if (sqlite3_prepare_v2(q->db,
		"SELECT ifnull(max(icid), 0), ifnull(max(mid), 0) FROM messages", -1, &s,
		NULL) != SQLITE_OK) {
		err(q, cause, "cannot read messages");
		store_file_cause(q->db, q->path, cause);
		return -1;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		top[0] = sqlite3_column_int64(s, 0);
		top[1] = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW) {
		err(q, cause, "cannot read messages");
		store_file_cause(q->db, q->path, cause);
		return -1;
	}
	for (int i = 0; i < 3; i++)
		if (queue_id_check(q, names[i], top[i], "the queue", cause) < 0)
			return -1;
	return 0;
}

int
queue_begin(struct queue *q, int durable, char **cause)
{
	/* synchronous is per connection and may change between transactions */
	if (q->sync != (durable ? 2 : 1)) {
		q->sync = 0;
		if (exec(q, durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
			cause) < 0)
			return -1;
		q->sync = durable ? 2 : 1;
	}
	if (exec(q, "BEGIN IMMEDIATE", cause) < 0)
		return -1;
	q->in_batch = 1;
	return 0;
}

int
queue_commit(struct queue *q, char **cause)
{
	q->in_batch = 0;
	if (exec(q, "COMMIT", cause) < 0) {
		exec(q, "ROLLBACK", NULL);
		return -1;
	}
	return 0;
}

void
queue_rollback(struct queue *q)
{
	q->in_batch = 0;
	exec(q, "ROLLBACK", NULL);
}

int
queue_insert_msg(struct queue *q, const struct queue_msg *m, char **cause)
{
	sqlite3_stmt *s = get(q, S_INS_MSG);

	sqlite3_bind_int64(s, 1, m->mid);
	sqlite3_bind_int64(s, 2, m->parent_mid);
	sqlite3_bind_int64(s, 3, m->icid);
	sqlite3_bind_int(s, 4, (int)m->kind);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)m->received);
	text(s, 6, m->sender ? m->sender : "");
	text(s, 7, m->policy ? m->policy : "");
	sqlite3_bind_int(s, 8, m->direction);
	text(s, 9, m->client_ip ? m->client_ip : "");
	text(s, 10, m->listener ? m->listener : "");
	text(s, 11, m->message_id ? m->message_id : "");
	sqlite3_bind_blob64(s, 12, m->body, m->body_len, SQLITE_STATIC);
	return done(q, s, cause, "cannot store message");
}

int
queue_insert_rcpt(struct queue *q, const struct queue_rcpt *r, char **cause)
{
	sqlite3_stmt *s = get(q, S_INS_RCPT);

	sqlite3_bind_int64(s, 1, r->mid);
	sqlite3_bind_int(s, 2, r->rid);
	text(s, 3, r->addr);
	text(s, 4, r->dest);
	sqlite3_bind_int(s, 5, r->attempts);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)r->next_try);
	text(s, 7, r->last_error);
	return done(q, s, cause, "cannot store recipient");
}

int
queue_rcpt_done(struct queue *q, int64_t mid, int rid, char **cause)
{
	sqlite3_stmt *s = get(q, S_DEL_RCPT);
	int rc;

	sqlite3_bind_int64(s, 1, mid);
	sqlite3_bind_int(s, 2, rid);
	if (done(q, s, cause, "cannot remove recipient") < 0)
		return -1;
	s = get(q, S_LEFT_RCPT);
	sqlite3_bind_int64(s, 1, mid);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return err(q, cause, "cannot check recipients");
	s = get(q, S_DEL_MSG);
	sqlite3_bind_int64(s, 1, mid);
	return done(q, s, cause, "cannot remove message");
}

int
queue_rcpt_defer(struct queue *q, int64_t mid, int rid, int attempts, time_t next_try,
    const char *error, char **cause)
{
	sqlite3_stmt *s = get(q, S_DEFER);

	sqlite3_bind_int64(s, 1, mid);
	sqlite3_bind_int(s, 2, rid);
	sqlite3_bind_int(s, 3, attempts);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)next_try);
	text(s, 5, error);
	return done(q, s, cause, "cannot defer recipient");
}

int
queue_rcpt_bounce(struct queue *q, int64_t mid, int rid, const char *status, const char *diag,
    char **cause)
{
	sqlite3_stmt *s = get(q, S_BOUNCE);

	sqlite3_bind_int64(s, 1, mid);
	sqlite3_bind_int(s, 2, rid);
	text(s, 3, status);
	text(s, 4, diag);
	return done(q, s, cause, "cannot record bounced recipient");
}

int
queue_rcpt_redirect(struct queue *q, int64_t mid, int rid, const char *dest, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(q->db,
		"UPDATE recipients SET dest = ?3, attempts = 0, next_try = 0, last_error = NULL "
		"WHERE mid = ?1 AND rid = ?2 AND bounce_status IS NULL",
		-1, &s, NULL) != SQLITE_OK)
		return err(q, cause, "cannot redirect recipient");
	sqlite3_bind_int64(s, 1, mid);
	sqlite3_bind_int(s, 2, rid);
	text(s, 3, dest);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return err(q, cause, "cannot redirect recipient");
	return 0;
}

int
queue_host_count(struct queue *q, const char *host, int deliv, int soft, int hard,
    char **cause)
{
	sqlite3_stmt *s = get(q, S_HOST_COUNT);

	text(s, 1, host);
	sqlite3_bind_int(s, 2, deliv);
	sqlite3_bind_int(s, 3, soft);
	sqlite3_bind_int(s, 4, hard);
	return done(q, s, cause, "cannot count delivery");
}

int
queue_host_status(struct queue *q, const char *host, int down, time_t when, const char *error,
    char **cause)
{
	sqlite3_stmt *s = get(q, error ? S_HOST_STATUS : S_HOST_STATUS_KEEP);

	text(s, 1, host);
	sqlite3_bind_int(s, 2, down);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)when);
	if (error)
		text(s, 4, error);
	return done(q, s, cause, "cannot record host status");
}

int
queue_host_conns(struct queue *q, const char *host, int conns, char **cause)
{
	sqlite3_stmt *s = get(q, S_HOST_CONNS);

	text(s, 1, host);
	sqlite3_bind_int(s, 2, conns);
	return done(q, s, cause, "cannot record connections");
}

int
queue_reset_conns(struct queue *q, char **cause)
{
	return exec(q, "UPDATE hosts SET conn_out = 0 WHERE conn_out != 0", cause);
}

int
queue_global_add(struct queue *q, const char *name, int64_t n, char **cause)
{
	sqlite3_stmt *s = get(q, S_GLOBAL_ADD);

	text(s, 1, name);
	sqlite3_bind_int64(s, 2, n);
	return done(q, s, cause, "cannot count");
}

int
queue_state_set(struct queue *q, const char *name, const char *value, char **cause)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(q->db,
		"INSERT INTO state (name, value) VALUES (?1, ?2) "
		"ON CONFLICT (name) DO UPDATE SET value = ?2", -1, &s, NULL) != SQLITE_OK)
		return err(q, cause, "cannot set state");
	text(s, 1, name);
	text(s, 2, value);
	if (sqlite3_step(s) != SQLITE_DONE) {
		sqlite3_finalize(s);
		return err(q, cause, "cannot set state");
	}
	sqlite3_finalize(s);
	return 0;
}

int
queue_state_set_if_absent(struct queue *q, const char *name, const char *value, char **cause)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(q->db,
		"INSERT INTO state (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
		-1, &s, NULL) != SQLITE_OK)
		return err(q, cause, "cannot set state");
	text(s, 1, name);
	text(s, 2, value);
	if (sqlite3_step(s) != SQLITE_DONE) {
		sqlite3_finalize(s);
		return err(q, cause, "cannot set state");
	}
	sqlite3_finalize(s);
	return 0;
}

char *
queue_state_get(struct queue *q, const char *name)
{
	sqlite3_stmt *s;
	char *v = NULL;

	if (sqlite3_prepare_v2(q->db, "SELECT value FROM state WHERE name = ?1", -1, &s, NULL) !=
	    SQLITE_OK)
		return NULL;
	text(s, 1, name);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = str_dup(col(s, 0));
	sqlite3_finalize(s);
	return v;
}

int
queue_state_read(struct queue *q, const char *name, char **value, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	*value = NULL;
	if (sqlite3_prepare_v2(q->db, "SELECT value FROM state WHERE name = ?1", -1, &s, NULL) !=
	    SQLITE_OK)
		return err(q, cause, "cannot read state");
	text(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*value = str_dup(col(s, 0));
		rc = sqlite3_step(s);	/* name is the key: no second row */
	}
	if (rc != SQLITE_DONE) {
		free(*value);
		*value = NULL;
		err(q, cause, "cannot read state");
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return *value ? 1 : 0;
}

int
queue_state_delete(struct queue *q, const char *name, char **cause)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(q->db, "DELETE FROM state WHERE name = ?1", -1, &s, NULL) !=
	    SQLITE_OK)
		return err(q, cause, "cannot delete state");
	text(s, 1, name);
	if (sqlite3_step(s) != SQLITE_DONE) {
		sqlite3_finalize(s);
		return err(q, cause, "cannot delete state");
	}
	sqlite3_finalize(s);
	return 0;
}

int
queue_load_msgs(struct queue *q, queue_msg_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(q->db,
		"SELECT mid, parent_mid, icid, kind, received, sender, policy, direction, "
		"client_ip, listener, message_id, length(body) FROM messages ORDER BY mid",
		-1, &s, NULL) != SQLITE_OK)
		return err(q, cause, "cannot load messages");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct queue_msg m = {
			.mid = sqlite3_column_int64(s, 0),
			.parent_mid = sqlite3_column_int64(s, 1),
			.icid = sqlite3_column_int64(s, 2),
			.kind = (enum queue_kind)sqlite3_column_int(s, 3),
			.received = (time_t)sqlite3_column_int64(s, 4),
			.sender = col(s, 5),
			.policy = col(s, 6),
			.direction = sqlite3_column_int(s, 7),
			.client_ip = col(s, 8),
			.listener = col(s, 9),
			.message_id = col(s, 10),
			.body_len = (size_t)sqlite3_column_int64(s, 11),
		};
		if (cb(&m, arg) != 0)
			break;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return err(q, cause, "cannot load messages");
	return 0;
}

int
queue_load_rcpts(struct queue *q, queue_rcpt_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(q->db,
		"SELECT mid, rid, addr, dest, attempts, next_try, last_error, bounce_status, "
		"bounce_diag FROM recipients ORDER BY mid, rid", -1, &s, NULL) != SQLITE_OK)
		return err(q, cause, "cannot load recipients");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct queue_rcpt r = {
			.mid = sqlite3_column_int64(s, 0),
			.rid = sqlite3_column_int(s, 1),
			.addr = col(s, 2),
			.dest = col(s, 3),
			.attempts = sqlite3_column_int(s, 4),
			.next_try = (time_t)sqlite3_column_int64(s, 5),
			.last_error = sqlite3_column_type(s, 6) == SQLITE_NULL ? NULL : col(s, 6),
			.bounce_status = sqlite3_column_type(s, 7) == SQLITE_NULL ? NULL : col(s, 7),
			.bounce_diag = col(s, 8),
		};
		if (cb(&r, arg) != 0)
			break;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return err(q, cause, "cannot load recipients");
	return 0;
}

int
queue_load_body(struct queue *q, int64_t mid, char **body, size_t *len, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	*body = NULL;
	if (sqlite3_prepare_v2(q->db, "SELECT body FROM messages WHERE mid = ?1", -1, &s, NULL) !=
	    SQLITE_OK)
		return err(q, cause, "cannot read message");
	sqlite3_bind_int64(s, 1, mid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*len = (size_t)sqlite3_column_bytes(s, 0);
		*body = xmalloc(*len + 1);
		if (*len)
			memcpy(*body, sqlite3_column_blob(s, 0), *len);
		(*body)[*len] = '\0';
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE) {
		*cause = str_printf("queue: message %lld is not in the queue", (long long)mid);
		return -1;
	}
	return err(q, cause, "cannot read message");
}

/* host_row - fill a queue_host from the hosts query */
static void
host_row(sqlite3_stmt *s, struct queue_host *h)
{
	str_copy(h->host, col(s, 0), sizeof(h->host));
	h->active = sqlite3_column_int64(s, 1);
	h->conn_out = sqlite3_column_int64(s, 2);
	h->deliv = sqlite3_column_int64(s, 3);
	h->soft = sqlite3_column_int64(s, 4);
	h->hard = sqlite3_column_int64(s, 5);
	h->l_deliv = sqlite3_column_int64(s, 6);
	h->l_soft = sqlite3_column_int64(s, 7);
	h->l_hard = sqlite3_column_int64(s, 8);
	h->down = sqlite3_column_int(s, 9);
	h->last_activity = (time_t)sqlite3_column_int64(s, 10);
	str_copy(h->last_error, col(s, 11), sizeof(h->last_error));
}

/* Every destination that has counters or queued recipients. */
#define SQL_HOSTS \
	"WITH a AS (SELECT dest, count(*) AS n FROM recipients WHERE bounce_status IS NULL " \
	"GROUP BY dest), " \
	"k AS (SELECT host FROM hosts UNION SELECT dest FROM a) " \
	"SELECT k.host, ifnull(a.n, 0), ifnull(h.conn_out, 0), ifnull(h.deliv, 0), " \
	"ifnull(h.soft, 0), ifnull(h.hard, 0), ifnull(h.l_deliv, 0), ifnull(h.l_soft, 0), " \
	"ifnull(h.l_hard, 0), ifnull(h.down, 0), ifnull(h.last_activity, 0), " \
	"ifnull(h.last_error, '') FROM k LEFT JOIN a ON a.dest = k.host " \
	"LEFT JOIN hosts h ON h.host = k.host "

int
queue_hosts(struct queue *q, queue_host_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *s;
	struct queue_host h;
	int rc;

	if (sqlite3_prepare_v2(q->db, SQL_HOSTS "ORDER BY k.host", -1, &s, NULL) != SQLITE_OK)
		return err(q, cause, "cannot read hosts");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		host_row(s, &h);
		if (cb(&h, arg) != 0)
			break;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return err(q, cause, "cannot read hosts");
	return 0;
}

int
queue_host_get(struct queue *q, const char *host, struct queue_host *h, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(q->db, SQL_HOSTS "WHERE k.host = ?1", -1, &s, NULL) != SQLITE_OK)
		return err(q, cause, "cannot read host");
	text(s, 1, host);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		host_row(s, h);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
	return err(q, cause, "cannot read host");
}

int
queue_global_get(struct queue *q, const char *name, int64_t *reset, int64_t *lifetime)
{
	sqlite3_stmt *s;

	*reset = *lifetime = 0;
	if (sqlite3_prepare_v2(q->db, "SELECT reset, lifetime FROM counters WHERE name = ?1", -1,
		&s, NULL) != SQLITE_OK)
		return -1;
	text(s, 1, name);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*reset = sqlite3_column_int64(s, 0);
		*lifetime = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return 0;
}

int
queue_reset_counters(struct queue *q, char **cause)
{
	char now[32];

	str_fmt(now, sizeof(now), "%lld", (long long)time(NULL));
	if (exec(q, "BEGIN IMMEDIATE", cause) < 0)
		return -1;
	if (exec(q, "UPDATE hosts SET deliv = 0, soft = 0, hard = 0;"
		    "UPDATE counters SET reset = 0", cause) < 0 ||
	    queue_state_set(q, "counters_reset", now, cause) < 0) {
		exec(q, "ROLLBACK", NULL);
		return -1;
	}
	return exec(q, "COMMIT", cause);
}

int
queue_stats(struct queue *q, int64_t *msgs, int64_t *rcpts, time_t *oldest)
{
	sqlite3_stmt *s;

	*msgs = *rcpts = 0;
	*oldest = 0;
	if (sqlite3_prepare_v2(q->db,
		"SELECT (SELECT count(*) FROM messages), "
		"(SELECT count(*) FROM recipients WHERE bounce_status IS NULL), "
		"(SELECT ifnull(min(received), 0) FROM messages)", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*msgs = sqlite3_column_int64(s, 0);
		*rcpts = sqlite3_column_int64(s, 1);
		*oldest = (time_t)sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	return 0;
}

int
queue_request_add(struct queue *q, const char *verb, const char *arg, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(q->db,
		"INSERT INTO requests (verb, arg, created) VALUES (?1, ?2, ?3)", -1, &s, NULL) !=
	    SQLITE_OK)
		return err(q, cause, "cannot queue request");
	text(s, 1, verb);
	text(s, 2, arg ? arg : "");
	sqlite3_bind_int64(s, 3, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return err(q, cause, "cannot queue request");
	return 0;
}

int
queue_request_take(struct queue *q, queue_request_cb cb, void *ctx, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(q->db, "DELETE FROM requests RETURNING verb, arg", -1, &s, NULL) !=
	    SQLITE_OK)
		return err(q, cause, "cannot read requests");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cb(col(s, 0), col(s, 1), ctx);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return err(q, cause, "cannot read requests");
	return 0;
}

/* ---------------------------------------------------- waiting on the daemon */

int
queue_request_add_id(struct queue *q, const char *verb, const char *arg, int64_t *id,
    char **cause)
{
	sqlite3_stmt *s;
	int rc;

	*id = 0;
	if (sqlite3_prepare_v2(q->db,
		"INSERT INTO requests (verb, arg, created) VALUES (?1, ?2, ?3) RETURNING id", -1,
		&s, NULL) != SQLITE_OK)
		return err(q, cause, "cannot queue request");
	text(s, 1, verb);
	text(s, 2, arg ? arg : "");
	sqlite3_bind_int64(s, 3, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE || *id == 0)
		return err(q, cause, "cannot queue request");
	return 0;
}

int
queue_request_wait(struct queue *q, int64_t id, int timeout_ms, char **cause)
{
	sqlite3_stmt *s;
	int rc = SQLITE_ROW;

	if (sqlite3_prepare_v2(q->db, "SELECT 1 FROM requests WHERE id = ?1", -1, &s, NULL) !=
	    SQLITE_OK)
		return err(q, cause, "cannot read requests");
	sqlite3_bind_int64(s, 1, id);
	/* counted polls, not a clock: a busy machine makes the wait longer, never shorter */
	for (int waited = 0;; waited += 20) {
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_ROW || waited >= timeout_ms)
			break;
		sqlite3_sleep(20);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_ROW)
		return 1;
	return err(q, cause, "cannot read requests");
}

int
queue_request_cancel(struct queue *q, int64_t id, char **cause)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(q->db, "DELETE FROM requests WHERE id = ?1", -1, &s, NULL) !=
	    SQLITE_OK)
		return err(q, cause, "cannot withdraw request");
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	/* still locked after the busy timeout: mxgated is at work on the requests */
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return 0;
	if (rc != SQLITE_DONE)
		return err(q, cause, "cannot withdraw request");
	return sqlite3_changes(q->db) > 0 ? 1 : 0;
}

long long
queue_gauge_get(struct queue *q, const char *key)
{
	char *g = queue_state_get(q, "gauges"), *p;
	size_t klen = strlen(key);
	long long v = 0;

	/* "inbound=3 outbound=0 workq=12 ...": whole keys only */
	for (p = g; p && (p = strstr(p, key)) != NULL; p += klen) {
		if ((p == g || p[-1] == ' ') && p[klen] == '=') {
			p += klen + 1;
			while (*p >= '0' && *p <= '9' && v < 1000000000000000LL)
				v = v * 10 + (*p++ - '0');
			break;
		}
	}
	free(g);
	return v;
}
