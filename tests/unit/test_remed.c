/*
 * test_remed.c - the mailbox remediation store (issue 12, store/remed.c)
 * and the queue writer's journaled rows (daemon/qwriter.c):
 *
 *   names       trigger, action and state names; action parsing
 *   migration   a fresh queue.db and one of schema 3 or 4 reach schema 5
 *               with the remediation tables and the retry columns
 *   journaled   rows by Message-ID and by MID, "" matching nothing, cut
 *               Message-IDs still found, expiry, all-or-none in a batch
 *   etd         an ETD id taken once across two handles and across two
 *               processes racing, its request made with it; expiry
 *   requests    add, next (oldest pending), get, finish and its refusals
 *   actions     add, done (ok, the request's action, any case), refusals;
 *               forward_done (the forward part of a forward_delete)
 *   retry       defer: attempts counted, first failure kept, next_due
 *               skips it until its time, next_try names that time
 *   report      newest first, since, mid (asked or acted on), limit, and
 *               each request's actions in order
 *   serial      its format, stable across reopening, agreed by racers
 *   qwriter     rows staged by qwriter_journaled go in the next accept's
 *               transaction: stored with it, not at all when it fails or
 *               when a release finds its quarantine entry gone
 *
 * The raw sqlite3 API is used only to count rows and to take a queue.db
 * back to schema 3.
 */
#include <regex.h>
#include <sqlite3.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "daemon/qwriter.h"
#include "store/queue.h"
#include "store/remed.h"
#include "tests/unit/unit.h"
#include "util/str.h"

/* ------------------------------------------------------------ helpers */

/* qopen - queue_open that must succeed */
static struct queue *
qopen(const char *dir)
{
	struct queue *q = NULL;
	char *cause = NULL;

	if (queue_open(dir, &q, &cause) < 0)
		UNIT_FAIL("queue_open %s: %s", dir, cause);
	return q;
}

/* raw_long - one integer from DIR/queue.db through a private connection */
static long long
raw_long(const char *dir, const char *sql)
{
	char path[512];
	sqlite3 *db;
	sqlite3_stmt *s;
	long long v = -1;

	snprintf(path, sizeof(path), "%s/queue.db", dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		UNIT_FAIL("open %s", path);
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		UNIT_FAIL("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* raw_exec - SQL on DIR/queue.db through a private connection */
static void
raw_exec(const char *dir, const char *sql)
{
	char path[512];
	sqlite3 *db;
	char *e = NULL;

	snprintf(path, sizeof(path), "%s/queue.db", dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		UNIT_FAIL("open %s", path);
	if (sqlite3_exec(db, sql, NULL, NULL, &e) != SQLITE_OK)
		UNIT_FAIL("%s: %s", sql, e);
	sqlite3_close(db);
}

/* What a journaled lookup handed to its callback, as "mid:rcpt," items. */
struct seen {
	char text[4096];
	int n;
};

static void
seen_fn(void *arg, int64_t mid, const char *rcpt)
{
	struct seen *s = arg;
	size_t len = strlen(s->text);

	snprintf(s->text + len, sizeof(s->text) - len, "%lld:%s,", (long long)mid, rcpt);
	s->n++;
}

/* jadd - remed_journaled_add that must succeed */
static void
jadd(struct queue *q, int64_t mid, const char *msgid, const char *r1, const char *r2,
    time_t when)
{
	const char *rcpts[2] = { r1, r2 };
	char *cause = NULL;

	if (remed_journaled_add(q, mid, msgid, rcpts, r2 ? 2 : 1, when, &cause) < 0)
		UNIT_FAIL("remed_journaled_add: %s", cause);
}

/* req - a request with the fields most cases need */
static struct remed_request
req(enum remed_trigger t, const char *who, int64_t mid, const char *msgid,
    enum remed_action_kind a)
{
	struct remed_request r = { .trigger = t, .mid = mid, .action = a };

	str_copy(r.who, who, sizeof(r.who));
	str_copy(r.message_id, msgid, sizeof(r.message_id));
	return r;
}

/* radd - remed_request_add that must succeed; its id */
static int64_t
radd(struct queue *q, struct remed_request r)
{
	char *cause = NULL;

	if (remed_request_add(q, &r, &cause) < 0)
		UNIT_FAIL("remed_request_add: %s", cause);
	CHECK(r.id > 0);
	CHECK_INT(r.state, REMED_PENDING);
	CHECK(r.created > 0);
	return r.id;
}

/* aadd - remed_action_add that must succeed */
static int64_t
aadd(struct queue *q, int64_t request, int64_t mid, const char *mailbox,
    enum remed_action_kind kind, enum remed_state state, const char *reason)
{
	struct remed_action a = { .request = request, .mid = mid, .action = kind, .state = state };
	char *cause = NULL;

	str_copy(a.mailbox, mailbox, sizeof(a.mailbox));
	str_copy(a.reason, reason, sizeof(a.reason));
	str_copy(a.result, state == REMED_OK ? "deleted" : "", sizeof(a.result));
	if (remed_action_add(q, &a, &cause) < 0)
		UNIT_FAIL("remed_action_add: %s", cause);
	CHECK(a.id > 0);
	CHECK(a.when > 0);
	return a.id;
}

/* ------------------------------------------------------------ names */

static void
t_names(void)
{
	enum remed_action_kind a = 0;

	CHECK_STR(remed_trigger_name(REMED_BY_ETD), "ETD verdict");
	CHECK_STR(remed_trigger_name(REMED_BY_API), "API");
	CHECK_STR(remed_trigger_name(REMED_BY_OPERATOR), "operator");
	CHECK_STR(remed_trigger_name((enum remed_trigger)0), "unknown");
	CHECK_STR(remed_trigger_name((enum remed_trigger)9), "unknown");
	CHECK_STR(remed_action_name(REMED_DELETE), "delete");
	CHECK_STR(remed_action_name(REMED_FORWARD), "forward");
	CHECK_STR(remed_action_name(REMED_FORWARD_DELETE), "forward_delete");
	CHECK_STR(remed_action_name((enum remed_action_kind)4), "unknown");
	CHECK_STR(remed_state_name(REMED_PENDING), "pending");
	CHECK_STR(remed_state_name(REMED_DONE), "done");
	CHECK_STR(remed_state_name(REMED_UNMATCHED), "unmatched");
	CHECK_STR(remed_state_name(REMED_OK), "ok");
	CHECK_STR(remed_state_name(REMED_FAILED), "failed");
	CHECK_STR(remed_state_name(REMED_NOT_FOUND), "not found");
	CHECK_STR(remed_state_name((enum remed_state)-1), "unknown");
	CHECK_INT(remed_action_parse("delete", &a), 0);
	CHECK_INT(a, REMED_DELETE);
	CHECK_INT(remed_action_parse("Forward", &a), 0);
	CHECK_INT(a, REMED_FORWARD);
	CHECK_INT(remed_action_parse("forward_delete", &a), 0);
	CHECK_INT(a, REMED_FORWARD_DELETE);
	CHECK_INT(remed_action_parse("forward_", &a), -1);
	CHECK_INT(remed_action_parse("", &a), -1);
	CHECK_INT(remed_action_parse("unknown", &a), -1);
	CHECK_INT(remed_action_parse(NULL, &a), -1);
	CHECK_INT(a, REMED_FORWARD_DELETE);		/* untouched by a refusal */
}

/* ------------------------------------------------------------ migration */

static void
t_migration(void)
{
	char *dir = unit_tmpdir();
	static const char *const tables[] = { "journaled", "etd_seen", "remed_request",
		"remed_action" };
	struct queue *q = qopen(dir);
	char sql[200];

	queue_close(q);
	CHECK_INT(raw_long(dir, "PRAGMA user_version"), 6);
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		snprintf(sql, sizeof(sql),
		    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'",
		    tables[i]);
		CHECK_INT(raw_long(dir, sql), 1);
	}
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
				"name IN ('journaled_msgid', 'journaled_mid', "
				"'remed_action_request', 'remed_action_mid')"), 4);
	/* a queue.db of schema 3, with a message in it, is brought forward */
	raw_exec(dir, "DROP TABLE journaled; DROP TABLE etd_seen; DROP TABLE remed_request; "
		      "DROP TABLE remed_action; INSERT INTO state VALUES ('kept', 'yes'); "
		      "ALTER TABLE recipients DROP COLUMN bounce_status; "
		      "ALTER TABLE recipients DROP COLUMN bounce_diag; "
		      "PRAGMA user_version = 3;");
	q = qopen(dir);
	jadd(q, 5, "<a@b>", "x@example.com", NULL, time(NULL));
	{
		char *v = queue_state_get(q, "kept");

		CHECK_STR(v, "yes");
		free(v);
	}
	queue_close(q);
	CHECK_INT(raw_long(dir, "PRAGMA user_version"), 6);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM journaled"), 1);
	/* schema 4 with a pending request: the retry columns come, zero */
	raw_exec(dir, "ALTER TABLE remed_request DROP COLUMN attempts; "
		      "ALTER TABLE remed_request DROP COLUMN first_fail; "
		      "ALTER TABLE remed_request DROP COLUMN next_try; "
		      "ALTER TABLE recipients DROP COLUMN bounce_status; "
		      "ALTER TABLE recipients DROP COLUMN bounce_diag; PRAGMA user_version = 4;");
	q = qopen(dir);
	radd(q, req(REMED_BY_OPERATOR, "admin", 12, "", REMED_DELETE));
	queue_close(q);
	CHECK_INT(raw_long(dir, "PRAGMA user_version"), 6);
	CHECK_INT(raw_long(dir, "SELECT attempts + first_fail + next_try FROM remed_request"), 0);
}

/* ------------------------------------------------------------ journaled */

static void
t_journaled(void)
{
	char *dir = unit_tmpdir();
	struct queue *q = qopen(dir);
	struct seen s = { .n = 0 };
	char msgid[REMED_MSGID_MAX + 1], *cause = NULL, longid[1200];
	time_t now = time(NULL);

	jadd(q, 12, "<one@example.com>", "alice@example.com", "bob@example.com", now);
	jadd(q, 13, "<two@example.com>", "carol@example.com", NULL, now - 100);
	/* the same message journaled again for another policy part */
	jadd(q, 14, "<one@example.com>", "dave@example.com", NULL, now);
	jadd(q, 15, "", "erin@example.com", NULL, now);

	CHECK_INT(remed_journaled_by_msgid(q, "<one@example.com>", seen_fn, &s, &cause), 3);
	CHECK_STR(s.text, "12:alice@example.com,12:bob@example.com,14:dave@example.com,");
	/* exact: the <> belong to it, and case matters */
	s = (struct seen){ .n = 0 };
	CHECK_INT(remed_journaled_by_msgid(q, "one@example.com", seen_fn, &s, &cause), 0);
	CHECK_INT(remed_journaled_by_msgid(q, "<ONE@example.com>", seen_fn, &s, &cause), 0);
	/* no Message-ID is not one message */
	CHECK_INT(remed_journaled_by_msgid(q, "", seen_fn, &s, &cause), 0);
	CHECK_INT(remed_journaled_by_msgid(q, NULL, seen_fn, &s, &cause), 0);
	CHECK_INT(s.n, 0);

	CHECK_INT(remed_journaled_by_mid(q, 12, msgid, seen_fn, &s, &cause), 2);
	CHECK_STR(msgid, "<one@example.com>");
	CHECK_STR(s.text, "12:alice@example.com,12:bob@example.com,");
	s = (struct seen){ .n = 0 };
	CHECK_INT(remed_journaled_by_mid(q, 15, msgid, seen_fn, &s, &cause), 1);
	CHECK_STR(msgid, "");
	CHECK_STR(s.text, "15:erin@example.com,");
	str_copy(msgid, "stale", sizeof(msgid));
	CHECK_INT(remed_journaled_by_mid(q, 99, msgid, seen_fn, &s, &cause), 0);
	CHECK_STR(msgid, "");
	CHECK_INT(remed_journaled_by_mid(q, 13, msgid, NULL, NULL, &cause), 1);

	/* a Message-ID longer than kept is cut alike when stored and asked for */
	memset(longid, 'x', sizeof(longid) - 1);
	longid[0] = '<';
	longid[sizeof(longid) - 2] = '>';
	longid[sizeof(longid) - 1] = '\0';
	jadd(q, 16, longid, "frank@example.com", NULL, now);
	s = (struct seen){ .n = 0 };
	CHECK_INT(remed_journaled_by_msgid(q, longid, seen_fn, &s, &cause), 1);
	CHECK_INT(remed_journaled_by_mid(q, 16, msgid, NULL, NULL, &cause), 1);
	CHECK_INT(strlen(msgid), REMED_MSGID_MAX);

	/* expiry: older than the time given, no more */
	CHECK_INT(remed_journaled_expire(q, now - 100, &cause), 0);
	CHECK_INT(remed_journaled_expire(q, now - 50, &cause), 1);
	CHECK_INT(remed_journaled_by_mid(q, 13, msgid, NULL, NULL, &cause), 0);
	CHECK_INT(remed_journaled_by_mid(q, 12, msgid, NULL, NULL, &cause), 2);

	/* inside a batch: all or none with it */
	CHECK_INT(queue_begin(q, 1, &cause), 0);
	jadd(q, 20, "<three@example.com>", "gina@example.com", NULL, now);
	queue_rollback(q);
	CHECK_INT(remed_journaled_by_mid(q, 20, msgid, NULL, NULL, &cause), 0);
	CHECK_INT(queue_begin(q, 1, &cause), 0);
	jadd(q, 20, "<three@example.com>", "gina@example.com", NULL, now);
	CHECK_INT(queue_commit(q, &cause), 0);
	CHECK_INT(remed_journaled_by_mid(q, 20, msgid, NULL, NULL, &cause), 1);
	queue_close(q);
}

/* ------------------------------------------------------------ etd */

static void
t_etd_take(void)
{
	char *dir = unit_tmpdir();
	struct queue *a = qopen(dir), *b = qopen(dir);
	struct remed_request r = req(0, "", 0, "<x@y>", REMED_DELETE), got;
	char *cause = NULL;

	str_copy(r.verdict, "phishing", sizeof(r.verdict));
	str_copy(r.rcpts, "alice@example.com,bob@example.com", sizeof(r.rcpts));
	CHECK_INT(remed_etd_take(a, "3f0c-1", &r, &cause), 1);
	CHECK(r.id > 0);
	CHECK_INT(r.trigger, REMED_BY_ETD);
	CHECK_STR(r.who, "3f0c-1");
	/* the same id through another handle: seen, nothing added */
	{
		struct remed_request r2 = req(0, "", 0, "<x@y>", REMED_DELETE);

		CHECK_INT(remed_etd_take(b, "3f0c-1", &r2, &cause), 0);
		CHECK_INT(remed_etd_take(a, "3f0c-1", &r2, &cause), 0);
	}
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM remed_request"), 1);
	CHECK_INT(remed_request_get(b, r.id, &got, &cause), 1);
	CHECK_INT(got.trigger, REMED_BY_ETD);
	CHECK_STR(got.who, "3f0c-1");
	CHECK_STR(got.message_id, "<x@y>");
	CHECK_STR(got.verdict, "phishing");
	CHECK_STR(got.rcpts, "alice@example.com,bob@example.com");
	CHECK_INT(got.state, REMED_PENDING);
	CHECK_INT(got.action, REMED_DELETE);
	/* another id is new */
	CHECK_INT(remed_etd_take(b, "3f0c-2", &r, &cause), 1);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM remed_request"), 2);
	/* an empty id is refused, and nothing is marked */
	CHECK_INT(remed_etd_take(a, "", &r, &cause), -1);
	CHECK(cause && strstr(cause, "ETD") != NULL);
	free(cause);
	cause = NULL;
	/* a request that cannot be added leaves its id untaken */
	{
		struct remed_request bad = req(0, "", 0, "<z@y>", (enum remed_action_kind)7);

		CHECK_INT(remed_etd_take(a, "3f0c-3", &bad, &cause), -1);
		free(cause);
		cause = NULL;
		CHECK_INT(raw_long(dir, "SELECT count(*) FROM etd_seen WHERE id = '3f0c-3'"), 0);
	}
	/* expiry forgets them, after which an id counts as new again */
	CHECK_INT(remed_etd_seen_expire(a, time(NULL) - 3600, &cause), 0);
	CHECK_INT(remed_etd_seen_expire(a, time(NULL) + 1, &cause), 2);
	CHECK_INT(remed_etd_take(b, "3f0c-1", &r, &cause), 1);
	queue_close(a);
	queue_close(b);
}

/* a cluster member's take: held until its claim settles it, never acted on before */
static void
t_etd_held(void)
{
	char *dir = unit_tmpdir();
	struct queue *a = qopen(dir), *b = qopen(dir);
	struct remed_request r = req(0, "", 0, "<h@y>", REMED_DELETE), r2, got;
	char *cause = NULL;
	int64_t first;

	r.state = REMED_HELD;
	CHECK_INT(remed_etd_take(a, "h-1", &r, &cause), 1);
	CHECK_INT(r.state, REMED_HELD);
	first = r.id;
	r2 = req(0, "", 0, "<h2@y>", REMED_DELETE);
	r2.state = REMED_HELD;
	CHECK_INT(remed_etd_take(a, "h-2", &r2, &cause), 1);
	/* the engine does not see them; the id is seen all the same */
	CHECK_INT(remed_request_next(b, &got, &cause), 0);
	CHECK_INT(remed_etd_take(b, "h-1", &r2, &cause), 0);
	CHECK_STR(remed_state_name(REMED_HELD), "held");
	/* in id order, from after */
	CHECK_INT(remed_held_next(b, 0, &got, &cause), 1);
	CHECK_INT(got.id, first);
	CHECK_STR(got.who, "h-1");
	CHECK_INT(got.state, REMED_HELD);
	CHECK_INT(remed_held_next(b, first, &got, &cause), 1);
	CHECK_STR(got.who, "h-2");
	CHECK_INT(remed_held_next(b, got.id, &got, &cause), 0);
	/* kept: pending, for the engine */
	CHECK_INT(remed_held_settle(b, first, 1, &cause), 1);
	CHECK_INT(remed_held_settle(a, first, 1, &cause), 0);	/* no longer held */
	CHECK_INT(remed_request_next(a, &got, &cause), 1);
	CHECK_INT(got.id, first);
	CHECK_INT(got.state, REMED_PENDING);
	/* dropped: gone, its id still seen */
	CHECK_INT(remed_held_next(a, 0, &got, &cause), 1);
	CHECK_INT(remed_held_settle(a, got.id, 0, &cause), 1);
	CHECK_INT(remed_request_get(a, got.id, &r2, &cause), 0);
	CHECK_INT(remed_held_settle(a, got.id, 1, &cause), 0);
	CHECK_INT(remed_held_next(a, 0, &got, &cause), 0);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM etd_seen WHERE id = 'h-2'"), 1);
	/* a pending request is never settled away */
	CHECK_INT(remed_held_settle(a, first, 0, &cause), 0);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM remed_request"), 1);
	queue_close(a);
	queue_close(b);
}

/* take_all - child: take ids e0..e(n-1) in the order given by step; exits with how many it added */
static void
take_all(const char *dir, int n, int backwards)
{
	struct queue *q = qopen(dir);
	int added = 0;

	for (int i = 0; i < n; i++) {
		struct remed_request r = req(0, "", 0, "<race@y>", REMED_DELETE);
		char id[32], *cause = NULL;
		int rc;

		snprintf(id, sizeof(id), "e%d", backwards ? n - 1 - i : i);
		rc = remed_etd_take(q, id, &r, &cause);
		if (rc < 0) {
			fprintf(stderr, "remed_etd_take: %s\n", cause);
			_exit(255);
		}
		added += rc;
	}
	queue_close(q);
	_exit(added);
}

static void
t_etd_race(void)
{
	char *dir = unit_tmpdir();
	const int n = 120;
	pid_t pid[2];
	int total = 0;

	queue_close(qopen(dir));
	for (int k = 0; k < 2; k++) {
		pid[k] = fork();
		if (pid[k] == 0)
			take_all(dir, n, k);
		CHECK(pid[k] > 0);
	}
	for (int k = 0; k < 2; k++) {
		int st;

		CHECK(waitpid(pid[k], &st, 0) == pid[k]);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) != 255);
		total += WEXITSTATUS(st);
	}
	CHECK_INT(total, n);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM remed_request"), n);
	CHECK_INT(raw_long(dir, "SELECT count(DISTINCT who) FROM remed_request"), n);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM etd_seen"), n);
}

/* ------------------------------------------------------------ requests */

static void
t_requests(void)
{
	char *dir = unit_tmpdir();
	struct queue *q = qopen(dir);
	struct remed_request r;
	char *cause = NULL;
	int64_t a, b, c;

	CHECK_INT(remed_request_next(q, &r, &cause), 0);
	a = radd(q, req(REMED_BY_OPERATOR, "admin", 12, "", REMED_DELETE));
	b = radd(q, req(REMED_BY_API, "soc", 0, "<m@x>", REMED_FORWARD));
	c = radd(q, req(REMED_BY_API, "soc", 13, "<n@x>", REMED_FORWARD_DELETE));
	CHECK(a < b && b < c);
	CHECK_INT(remed_request_next(q, &r, &cause), 1);
	CHECK_INT(r.id, a);
	CHECK_INT(r.trigger, REMED_BY_OPERATOR);
	CHECK_STR(r.who, "admin");
	CHECK_INT(r.mid, 12);
	CHECK_INT(r.finished, 0);
	CHECK_INT(remed_request_finish(q, a, REMED_DONE, "1 mailbox", &cause), 0);
	CHECK_INT(remed_request_next(q, &r, &cause), 1);
	CHECK_INT(r.id, b);
	CHECK_INT(remed_request_finish(q, b, REMED_UNMATCHED, "no message journaled here",
	    &cause), 0);
	CHECK_INT(remed_request_get(q, b, &r, &cause), 1);
	CHECK_INT(r.state, REMED_UNMATCHED);
	CHECK_STR(r.note, "no message journaled here");
	CHECK(r.finished >= r.created);
	CHECK_INT(remed_request_get(q, a, &r, &cause), 1);
	CHECK_INT(r.state, REMED_DONE);
	CHECK_STR(r.note, "1 mailbox");
	CHECK_INT(remed_request_next(q, &r, &cause), 1);
	CHECK_INT(r.id, c);
	CHECK_INT(r.action, REMED_FORWARD_DELETE);
	CHECK_INT(remed_request_get(q, c + 100, &r, &cause), 0);

	/* refusals change nothing */
	CHECK_INT(remed_request_finish(q, c, REMED_OK, "", &cause), -1);
	CHECK(strstr(cause, "cannot end") != NULL);
	free(cause);
	cause = NULL;
	CHECK_INT(remed_request_finish(q, c + 100, REMED_DONE, "", &cause), -1);
	CHECK(strstr(cause, "no remediation request") != NULL);
	free(cause);
	cause = NULL;
	{
		struct remed_request bad = req(REMED_BY_API, "x", 1, "", (enum remed_action_kind)0);

		CHECK_INT(remed_request_add(q, &bad, &cause), -1);
		free(cause);
		cause = NULL;
		bad = req((enum remed_trigger)0, "x", 1, "", REMED_DELETE);
		CHECK_INT(remed_request_add(q, &bad, &cause), -1);
		free(cause);
		cause = NULL;
	}
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM remed_request"), 3);
	CHECK_INT(remed_request_get(q, c, &r, &cause), 1);
	CHECK_INT(r.state, REMED_PENDING);
	queue_close(q);
}

/* ------------------------------------------------------------ retry */

static void
t_retry(void)
{
	char *dir = unit_tmpdir();
	struct queue *q = qopen(dir);
	struct remed_request r;
	char *cause = NULL;
	time_t now = time(NULL), first = 0, when = 0;
	int64_t a, b;
	int n = 0;

	a = radd(q, req(REMED_BY_ETD, "etd-1", 12, "<m@x>", REMED_DELETE));
	b = radd(q, req(REMED_BY_API, "soc", 13, "<n@x>", REMED_DELETE));
	CHECK_INT(remed_request_next_try(q, now, &when, &cause), 0);
	CHECK_INT(remed_request_next_due(q, now, &r, &cause), 1);
	CHECK_INT(r.id, a);
	CHECK_INT(remed_request_attempts(q, a, &n, &first, &cause), 1);
	CHECK_INT(n, 0);
	CHECK_INT(first, 0);
	CHECK_INT(remed_request_defer(q, a, now, now + 60, "server down", &cause), 0);
	CHECK_INT(remed_request_attempts(q, a, &n, &first, &cause), 1);
	CHECK_INT(n, 1);
	CHECK_INT(first, now);
	/* the deferred one waits; the next is taken meanwhile */
	CHECK_INT(remed_request_next_due(q, now, &r, &cause), 1);
	CHECK_INT(r.id, b);
	CHECK_INT(remed_request_next_try(q, now, &when, &cause), 1);
	CHECK_INT(when, now + 60);
	CHECK_INT(remed_request_get(q, a, &r, &cause), 1);
	CHECK_INT(r.state, REMED_PENDING);
	CHECK_STR(r.note, "server down");
	/* a second failure counts, the first failure's time stays */
	CHECK_INT(remed_request_defer(q, a, now + 60, now + 360, "timed out", &cause), 0);
	CHECK_INT(remed_request_attempts(q, a, &n, &first, &cause), 1);
	CHECK_INT(n, 2);
	CHECK_INT(first, now);
	CHECK_INT(remed_request_attempts(q, b + 100, &n, &first, &cause), 0);
	CHECK_INT(remed_request_finish(q, b, REMED_DONE, "1 mailbox", &cause), 0);
	CHECK_INT(remed_request_next_due(q, now + 359, &r, &cause), 0);
	CHECK_INT(remed_request_next_due(q, now + 360, &r, &cause), 1);
	CHECK_INT(r.id, a);
	/* a finished request is not deferred */
	CHECK_INT(remed_request_defer(q, b, now, now + 60, "x", &cause), -1);
	CHECK(strstr(cause, "no pending remediation request") != NULL);
	free(cause);
	cause = NULL;
	CHECK_INT(remed_request_finish(q, a, REMED_DONE, "gave up", &cause), 0);
	CHECK_INT(remed_request_next_try(q, now, &when, &cause), 0);
	queue_close(q);
}

/* ------------------------------------------------------------ actions */

static void
t_actions(void)
{
	char *dir = unit_tmpdir();
	struct queue *q = qopen(dir);
	char *cause = NULL;
	int64_t del = radd(q, req(REMED_BY_ETD, "etd-1", 12, "<m@x>", REMED_DELETE));
	int64_t fd = radd(q, req(REMED_BY_API, "soc", 12, "<m@x>", REMED_FORWARD_DELETE));

	CHECK_INT(remed_action_done(q, del, "alice@example.com", &cause), 0);
	aadd(q, del, 12, "alice@example.com", REMED_DELETE, REMED_FAILED, "IMAP login failed");
	aadd(q, del, 12, "bob@example.com", REMED_DELETE, REMED_NOT_FOUND, "");
	CHECK_INT(remed_action_done(q, del, "alice@example.com", &cause), 0);
	CHECK_INT(remed_action_done(q, del, "bob@example.com", &cause), 0);
	aadd(q, del, 12, "alice@example.com", REMED_DELETE, REMED_OK, "");
	CHECK_INT(remed_action_done(q, del, "alice@example.com", &cause), 1);
	CHECK_INT(remed_action_done(q, del, "Alice@Example.COM", &cause), 1);
	/* another request, another mailbox: not done */
	CHECK_INT(remed_action_done(q, fd, "alice@example.com", &cause), 0);
	CHECK_INT(remed_action_done(q, del, "carol@example.com", &cause), 0);
	/* forward_delete: the forward alone is not the request done */
	aadd(q, fd, 12, "alice@example.com", REMED_FORWARD, REMED_OK, "");
	CHECK_INT(remed_action_done(q, fd, "alice@example.com", &cause), 0);
	aadd(q, fd, 12, "alice@example.com", REMED_FORWARD_DELETE, REMED_OK, "");
	CHECK_INT(remed_action_done(q, fd, "alice@example.com", &cause), 1);

	/* the forward part alone: ok forward rows only, of that request and mailbox */
	{
		int64_t f2 = radd(q, req(REMED_BY_API, "soc", 12, "<m@x>", REMED_FORWARD_DELETE));

		CHECK_INT(remed_forward_done(q, f2, "bob@example.com", &cause), 0);
		aadd(q, f2, 12, "bob@example.com", REMED_FORWARD, REMED_FAILED, "timed out");
		aadd(q, f2, 12, "bob@example.com", REMED_FORWARD_DELETE, REMED_OK, "");
		CHECK_INT(remed_forward_done(q, f2, "bob@example.com", &cause), 0);
		aadd(q, f2, 12, "bob@example.com", REMED_FORWARD, REMED_OK, "");
		CHECK_INT(remed_forward_done(q, f2, "Bob@Example.com", &cause), 1);
		CHECK_INT(remed_forward_done(q, f2, "alice@example.com", &cause), 0);
		CHECK_INT(remed_forward_done(q, fd, "bob@example.com", &cause), 0);
		/* the forward part is not the forward_delete done */
		CHECK_INT(remed_action_done(q, f2, "carol@example.com", &cause), 0);
		aadd(q, f2, 12, "carol@example.com", REMED_FORWARD, REMED_OK, "");
		CHECK_INT(remed_action_done(q, f2, "carol@example.com", &cause), 0);
		CHECK_INT(remed_forward_done(q, f2, "carol@example.com", &cause), 1);
	}

	/* refusals */
	{
		struct remed_action a = { .request = del, .mid = 12, .action = REMED_DELETE,
			.state = REMED_PENDING };

		str_copy(a.mailbox, "x@example.com", sizeof(a.mailbox));
		CHECK_INT(remed_action_add(q, &a, &cause), -1);
		free(cause);
		cause = NULL;
		a.state = REMED_OK;
		a.action = (enum remed_action_kind)9;
		CHECK_INT(remed_action_add(q, &a, &cause), -1);
		free(cause);
		cause = NULL;
	}
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM remed_action"), 9);
	queue_close(q);
}

/* ------------------------------------------------------------ report */

struct rep {
	char text[8192];
	int n;
};

static void
rep_fn(void *arg, const struct remed_request *r, const struct remed_action *a, int n)
{
	struct rep *p = arg;
	size_t len = strlen(p->text);

	len += (size_t)snprintf(p->text + len, sizeof(p->text) - len, "[%lld %s %s %s:",
	    (long long)r->id, remed_state_name(r->state), remed_trigger_name(r->trigger), r->who);
	for (int i = 0; i < n && len < sizeof(p->text); i++) {
		if (a[i].request != r->id || a[i].trigger != r->trigger || strcmp(a[i].who, r->who))
			UNIT_FAIL("action %lld does not carry its request", (long long)a[i].id);
		len += (size_t)snprintf(p->text + len, sizeof(p->text) - len, " %lld/%s/%s",
		    (long long)a[i].mid, a[i].mailbox, remed_state_name(a[i].state));
	}
	if (len < sizeof(p->text))
		snprintf(p->text + len, sizeof(p->text) - len, "]");
	p->n++;
}

static void
t_report(void)
{
	char *dir = unit_tmpdir();
	struct queue *q = qopen(dir);
	struct rep p = { .n = 0 };
	char *cause = NULL, want[512];
	int64_t r1, r2, r3;

	CHECK_INT(remed_report(q, 0, 0, 0, rep_fn, &p, &cause), 0);
	CHECK_INT(p.n, 0);
	r1 = radd(q, req(REMED_BY_OPERATOR, "admin", 12, "", REMED_DELETE));
	r2 = radd(q, req(REMED_BY_ETD, "etd-9", 0, "<m@x>", REMED_DELETE));
	r3 = radd(q, req(REMED_BY_API, "soc", 40, "", REMED_FORWARD));
	aadd(q, r1, 12, "alice@example.com", REMED_DELETE, REMED_OK, "");
	aadd(q, r1, 12, "bob@example.com", REMED_DELETE, REMED_FAILED, "no profile");
	aadd(q, r2, 12, "carol@example.com", REMED_DELETE, REMED_NOT_FOUND, "");
	CHECK_INT(remed_request_finish(q, r1, REMED_DONE, "", &cause), 0);

	/* all, newest first, each with its actions in order */
	CHECK_INT(remed_report(q, 0, 0, 0, rep_fn, &p, &cause), 0);
	snprintf(want, sizeof(want),
	    "[%lld pending API soc:][%lld pending ETD verdict etd-9: 12/carol@example.com/not "
	    "found][%lld done operator admin: 12/alice@example.com/ok 12/bob@example.com/failed]",
	    (long long)r3, (long long)r2, (long long)r1);
	CHECK_STR(p.text, want);
	/* one message: asked by MID, or acted on when asked by Message-ID */
	p = (struct rep){ .n = 0 };
	CHECK_INT(remed_report(q, 0, 12, 0, rep_fn, &p, &cause), 0);
	CHECK_INT(p.n, 2);
	CHECK(strncmp(p.text, "[", 1) == 0);
	snprintf(want, sizeof(want), "[%lld pending ETD", (long long)r2);
	CHECK(strncmp(p.text, want, strlen(want)) == 0);
	p = (struct rep){ .n = 0 };
	CHECK_INT(remed_report(q, 0, 40, 0, rep_fn, &p, &cause), 0);
	snprintf(want, sizeof(want), "[%lld pending API soc:]", (long long)r3);
	CHECK_STR(p.text, want);
	p = (struct rep){ .n = 0 };
	CHECK_INT(remed_report(q, 0, 41, 0, rep_fn, &p, &cause), 0);
	CHECK_INT(p.n, 0);
	/* limit: the newest */
	p = (struct rep){ .n = 0 };
	CHECK_INT(remed_report(q, 0, 0, 2, rep_fn, &p, &cause), 0);
	CHECK_INT(p.n, 2);
	snprintf(want, sizeof(want), "[%lld pending API soc:][%lld pending ETD", (long long)r3,
	    (long long)r2);
	CHECK(strncmp(p.text, want, strlen(want)) == 0);
	/* since: nothing was made in the future; everything since an hour ago */
	p = (struct rep){ .n = 0 };
	CHECK_INT(remed_report(q, time(NULL) + 3600, 0, 0, rep_fn, &p, &cause), 0);
	CHECK_INT(p.n, 0);
	CHECK_INT(remed_report(q, time(NULL) - 3600, 0, 0, rep_fn, &p, &cause), 0);
	CHECK_INT(p.n, 3);
	queue_close(q);
}

/* ------------------------------------------------------------ serial */

/* serial_ok - the serial's shape: 12 upper-case hex digits, a dash, 7 more */
static int
serial_ok(const char *s)
{
	regex_t re;
	int ok;

	if (regcomp(&re, "^[0-9A-F]{12}-[0-9A-F]{7}$", REG_EXTENDED | REG_NOSUB) != 0)
		UNIT_FAIL("regcomp");
	ok = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

static void
t_serial(void)
{
	char *dir = unit_tmpdir(), *other = NULL;
	struct queue *q = qopen(dir), *b;
	char s1[64], s2[64], s3[64], tiny[8], *cause = NULL;

	CHECK_INT(remed_serial(q, s1, sizeof(s1), &cause), 0);
	CHECK(serial_ok(s1));
	CHECK_INT(remed_serial(q, s2, sizeof(s2), &cause), 0);
	CHECK_STR(s2, s1);
	b = qopen(dir);
	CHECK_INT(remed_serial(b, s3, sizeof(s3), &cause), 0);
	CHECK_STR(s3, s1);
	CHECK_INT(remed_serial(b, tiny, sizeof(tiny), &cause), -1);
	free(cause);
	cause = NULL;
	queue_close(b);
	queue_close(q);
	q = qopen(dir);
	CHECK_INT(remed_serial(q, s2, sizeof(s2), &cause), 0);
	CHECK_STR(s2, s1);
	queue_close(q);
	/* another machine has another serial */
	other = str_dup(unit_tmpdir());
	q = qopen(other);
	CHECK_INT(remed_serial(q, s2, sizeof(s2), &cause), 0);
	CHECK(serial_ok(s2));
	CHECK(strcmp(s2, s1) != 0);
	queue_close(q);
	free(other);
}

/* two processes asking at once for a serial not made yet get the same one */
static void
t_serial_race(void)
{
	for (int round = 0; round < 5; round++) {
		char *dir = unit_tmpdir(), got[2][64];
		int fds[2][2];
		pid_t pid[2];

		queue_close(qopen(dir));
		for (int k = 0; k < 2; k++) {
			CHECK(pipe(fds[k]) == 0);
			pid[k] = fork();
			if (pid[k] == 0) {
				struct queue *q = qopen(dir);
				char s[64], *cause = NULL;

				if (remed_serial(q, s, sizeof(s), &cause) < 0)
					_exit(1);
				if (write(fds[k][1], s, strlen(s) + 1) < 0)
					_exit(1);
				_exit(0);
			}
			CHECK(pid[k] > 0);
			close(fds[k][1]);
		}
		for (int k = 0; k < 2; k++) {
			ssize_t n = read(fds[k][0], got[k], sizeof(got[k]) - 1);
			int st;

			CHECK(n > 0);
			got[k][n] = '\0';
			close(fds[k][0]);
			CHECK(waitpid(pid[k], &st, 0) == pid[k] && WIFEXITED(st) &&
			    WEXITSTATUS(st) == 0);
		}
		CHECK(serial_ok(got[0]));
		CHECK_STR(got[1], got[0]);
	}
}

/* ------------------------------------------------------------ qwriter */

struct wait {
	int called, ok;
	int64_t failures;
};

static void
stored_cb(void *arg, int ok)
{
	struct wait *w = arg;

	w->called = 1;
	w->ok = ok;
}

static void
report_fn(void *arg, const char *cause, int64_t n)
{
	struct wait *w = arg;

	w->failures += n;
}

/* run_until - run the loop until w->called (the harness's alarm is the ceiling) */
static void
run_until(struct event_base *base, struct wait *w)
{
	while (!w->called)
		event_base_loop(base, EVLOOP_ONCE);
}

/* accept_one - a message (and a journal copy) with one recipient each, through qw */
static void
accept_one(struct qwriter *qw, int64_t mid, struct wait *w)
{
	struct queue_msg m[2] = {
		{ .mid = mid, .kind = QUEUE_KIND_NORMAL, .received = time(NULL), .sender = "s@x",
		    .policy = "DEFAULT", .message_id = "<q@x>", .body = "x", .body_len = 1 },
		{ .mid = mid + 1, .parent_mid = mid, .kind = QUEUE_KIND_JOURNAL,
		    .received = time(NULL), .sender = "", .policy = "DEFAULT",
		    .message_id = "<q@x>", .body = "y", .body_len = 1 },
	};
	struct queue_rcpt r[2] = {
		{ .mid = mid, .rid = 0, .addr = "alice@example.com", .dest = "example.com" },
		{ .mid = mid + 1, .rid = 0, .addr = "intake@etd.example", .dest = "the.tdc.queue" },
	};

	*w = (struct wait){ .called = 0 };
	qwriter_accept(qw, m, 2, r, 2, stored_cb, w);
}

static void
t_qwriter(void)
{
	char *dir = unit_tmpdir();
	struct event_base *base = event_base_new();
	struct wait w = { .called = 0 }, rep = { .called = 0 };
	const char *rcpts[] = { "alice@example.com", "bob@example.com" };
	char *cause = NULL;
	struct qwriter *qw = qwriter_start(base, dir, report_fn, &rep, &cause);

	if (qw == NULL)
		UNIT_FAIL("qwriter_start: %s", cause);
	/* staged rows go with the next accept, a status update between or not */
	qwriter_journaled(qw, 100, "<q@x>", rcpts, 2);
	qwriter_global(qw, "rcvd_msgs", 1);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM journaled"), 0);
	accept_one(qw, 100, &w);
	run_until(base, &w);
	CHECK_INT(w.ok, 1);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM journaled WHERE orig_mid = 100 AND "
				"message_id = '<q@x>'"), 2);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM messages WHERE mid IN (100, 101)"), 2);

	/* a failed accept (MID 100 again: UNIQUE) stores none of its rows */
	qwriter_journaled(qw, 100, "<other@x>", rcpts, 1);
	accept_one(qw, 100, &w);
	run_until(base, &w);
	CHECK_INT(w.ok, 0);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM journaled WHERE message_id = '<other@x>'"),
	    0);
	/* and they do not linger for the next one */
	accept_one(qw, 200, &w);
	run_until(base, &w);
	CHECK_INT(w.ok, 1);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM journaled"), 2);

	/* a release whose quarantine entry has gone stores nothing, rows neither */
	{
		struct queue_msg m = { .mid = 300, .kind = QUEUE_KIND_NORMAL,
			.received = time(NULL), .sender = "s@x", .policy = "DEFAULT",
			.message_id = "<r@x>", .body = "x", .body_len = 1 };
		struct queue_rcpt r = { .mid = 300, .addr = "carol@example.com",
			.dest = "example.com" };

		qwriter_journaled(qw, 300, "<r@x>", rcpts, 1);
		w = (struct wait){ .called = 0 };
		qwriter_release(qw, "Policy", 300, &m, 1, &r, 1, stored_cb, &w);
		run_until(base, &w);
		CHECK_INT(w.ok, -1);
		CHECK_INT(raw_long(dir, "SELECT count(*) FROM journaled WHERE orig_mid = 300"), 0);
	}
	/* rows staged at stop, with no accept to carry them, are dropped, not leaked */
	qwriter_journaled(qw, 400, "<s@x>", rcpts, 2);
	qwriter_stop(qw);
	CHECK_INT(raw_long(dir, "SELECT count(*) FROM journaled WHERE orig_mid = 400"), 0);
	event_base_free(base);
}

static const struct unit_case cases[] = {
	{ "names", t_names },
	{ "migration", t_migration },
	{ "journaled", t_journaled },
	{ "etd_take", t_etd_take },
	{ "etd_held", t_etd_held },
	{ "etd_race", t_etd_race },
	{ "requests", t_requests },
	{ "actions", t_actions },
	{ "retry", t_retry },
	{ "report", t_report },
	{ "serial", t_serial },
	{ "serial_race", t_serial_race },
	{ "qwriter", t_qwriter },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("test_remed", cases, argc, argv);
}
