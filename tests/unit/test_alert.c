/*
 * test_alert.c - alerts (issue 8, defect 6: "a commit can succeed without
 * taking effect"): the alerts table of queue.db (store/alert.c: raise,
 * list, prune, seen marks, the migration that creates it), the
 * displayalerts command and login banner (commands/cmd_displayalerts.c),
 * and commit waiting for mxgated to apply it (cmd_wait_applied).
 *
 * The daemon is played by a forked child that holds the lock on
 * DIR/mxgated.pid, as mxgated does, and does what daemon/main.c must do
 * after applying a commit: raise its alerts with the commit's number,
 * then set the state "conf.applied". Its timing never matters: the
 * shell waits for the event, and every child wait has a ceiling.
 *
 * The raw sqlite3 API is used only to fix alert times (for exact output)
 * and to take the database back to schema 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdint.h>
#include <time.h>

#include "commands/cmd.h"
#include "commands/cmd_displayalerts.h"
#include "commands/cmd_util.h"
#include "store/alert.h"
#include "store/config.h"
#include "store/quarantine.h"
#include "store/queue.h"
#include "tests/unit/unit.h"
#include "util/buf.h"
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

/* raise_ok - alert_raise that must succeed; its ID */
static int64_t
raise_ok(struct queue *q, enum alert_severity sev, const char *aclass, const char *text,
    int64_t commit)
{
	char *cause = NULL;
	int64_t id = -1;

	if (alert_raise(q, sev, aclass, text, commit, &id, &cause) < 0)
		UNIT_FAIL("alert_raise: %s", cause);
	CHECK(id > 0);
	return id;
}

/* A copy of the alerts a walk returned. */
struct got {
	int n;
	int64_t id[16];
	int64_t commit[16];
	enum alert_severity sev[16];
	char text[16][1100];
	char aclass[16][80];
	int stop_at;	/* return 1 at this row (0: never) */
};

static int
got_add(const struct alert *a, void *arg)
{
	struct got *g = arg;

	if (g->n < 16) {
		g->id[g->n] = a->id;
		g->commit[g->n] = a->commit;
		g->sev[g->n] = a->severity;
		str_copy(g->text[g->n], a->text, sizeof(g->text[0]));
		str_copy(g->aclass[g->n], a->aclass, sizeof(g->aclass[0]));
	}
	g->n++;
	return g->stop_at && g->n == g->stop_at;
}

/* sql - run fixed SQL on DIR/queue.db directly */
static void
sql(const char *dir, const char *text)
{
	char *path = str_printf("%s/queue.db", dir), *e = NULL;
	sqlite3 *db;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		UNIT_FAIL("sqlite3_open %s", path);
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_exec(db, text, NULL, NULL, &e) != SQLITE_OK)
		UNIT_FAIL("%s: %s", text, e);
	sqlite3_close(db);
	free(path);
}

/* A cli whose output goes to a buffer; answers none. */
struct capture {
	struct buf out;		/* everything written, errors marked "E: " */
};

static char *
cap_readline(void *arg, const char *prompt, int *intr)
{
	(void)arg;
	(void)prompt;
	*intr = 0;
	return NULL;
}

static int
cap_write(void *arg, const char *s, size_t n, int is_error)
{
	struct capture *cp = arg;

	if (is_error)
		buf_addstr(&cp->out, "E: ");
	buf_add(&cp->out, s, n);
	return 0;
}

static const struct cli_io cap_io = { cap_readline, cap_write, NULL, NULL };
static volatile sig_atomic_t intr_flag;

/* session - a shell session on dir (interactive or batch) writing into cp */
static void
session(struct cli *c, struct capture *cp, const char *dir, int interactive, const char *user)
{
	char *cause = NULL;

	memset(c, 0, sizeof(*c));
	buf_init(&cp->out, 0);
	buf_addstr(&cp->out, "");
	if (store_open(dir, STORE_SESSION, &c->st, &cause) < 0)
		UNIT_FAIL("store_open: %s", cause);
	c->io = &cap_io;
	c->io_arg = cp;
	c->interactive = interactive;
	c->intr = &intr_flag;
	str_copy(c->user, user, sizeof(c->user));
}

/* session_end - close what session opened */
static void
session_end(struct cli *c, struct capture *cp)
{
	queue_close(c->q);
	store_close(c->st);
	buf_free(&cp->out);
}

/* fixed_times - every alert raised at 2026-12-03 10:15:02 UTC plus its ID in seconds */
static void
fixed_times(const char *dir)
{
	sql(dir, "UPDATE alerts SET raised = 1796292902 + id");
}

/* ------------------------------------------------------------ the store */

/* test_raise_list - raise, then list since an ID, newest, by commit, last ID */
static void
test_raise_list(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir()), *cause = NULL;
	struct queue *q = qopen(dir);
	struct got g = { 0 };
	time_t before = time(NULL);
	int64_t a, b, c;

	CHECK_INT(alert_last_id(q), 0);
	CHECK_INT(alert_list(q, 0, got_add, &g, &cause), 0);
	CHECK_INT(g.n, 0);
	a = raise_ok(q, ALERT_CRITICAL, "Listener", "Listener In cannot listen", 4);
	b = raise_ok(q, ALERT_WARNING, "Threat Defense Connector", "intake unreachable", 0);
	c = raise_ok(q, ALERT_INFO, "System", "started", 5);
	CHECK(a < b && b < c);
	CHECK_INT(alert_last_id(q), c);

	CHECK_INT(alert_list(q, 0, got_add, &g, &cause), 0);
	CHECK_INT(g.n, 3);
	CHECK_INT(g.id[0], a);
	CHECK_STR(g.aclass[0], "Listener");
	CHECK_STR(g.text[0], "Listener In cannot listen");
	CHECK_INT(g.commit[0], 4);
	CHECK_INT(g.sev[0], ALERT_CRITICAL);
	CHECK_STR(g.aclass[1], "Threat Defense Connector");
	CHECK_INT(g.commit[1], 0);
	CHECK_INT(g.sev[1], ALERT_WARNING);
	CHECK_INT(g.sev[2], ALERT_INFO);

	memset(&g, 0, sizeof(g));
	CHECK_INT(alert_list(q, a, got_add, &g, &cause), 0);
	CHECK_INT(g.n, 2);
	CHECK_INT(g.id[0], b);

	memset(&g, 0, sizeof(g));
	CHECK_INT(alert_latest(q, 2, got_add, &g, &cause), 0);
	CHECK_INT(g.n, 2);
	CHECK_INT(g.id[0], c);
	CHECK_INT(g.id[1], b);

	/* by commit: 0 is "no commit" and never matches */
	memset(&g, 0, sizeof(g));
	CHECK_INT(alert_for_commits(q, 0, 4, got_add, &g, &cause), 0);
	CHECK_INT(g.n, 1);
	CHECK_INT(g.id[0], a);
	memset(&g, 0, sizeof(g));
	CHECK_INT(alert_for_commits(q, 4, 5, got_add, &g, &cause), 0);
	CHECK_INT(g.n, 2);
	memset(&g, 0, sizeof(g));
	CHECK_INT(alert_for_commits(q, 6, 9, got_add, &g, &cause), 0);
	CHECK_INT(g.n, 0);

	/* a callback's non-zero return stops the walk and is returned */
	memset(&g, 0, sizeof(g));
	g.stop_at = 1;
	CHECK_INT(alert_list(q, 0, got_add, &g, &cause), 1);
	CHECK_INT(g.n, 1);

	/* the time is the raise's */
	{
		char *path = str_printf("%s/queue.db", dir);
		sqlite3 *db;
		sqlite3_stmt *s;

		CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
		CHECK_INT(sqlite3_prepare_v2(db, "SELECT min(raised), max(raised) FROM alerts", -1,
		    &s, NULL), SQLITE_OK);
		CHECK_INT(sqlite3_step(s), SQLITE_ROW);
		CHECK(sqlite3_column_int64(s, 0) >= before);
		CHECK(sqlite3_column_int64(s, 1) <= time(NULL));
		sqlite3_finalize(s);
		sqlite3_close(db);
		free(path);
	}
	CHECK_STR(alert_severity_name(ALERT_CRITICAL), "Critical");
	CHECK_STR(alert_severity_name(ALERT_WARNING), "Warning");
	CHECK_STR(alert_severity_name(ALERT_INFO), "Info");
	queue_close(q);
	free(dir);
}

/* test_printable - text from peers is stored on one line and bounded */
static void
test_printable(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir()), *cause = NULL;
	struct queue *q = qopen(dir);
	struct got g = { 0 };
	char big[3000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	raise_ok(q, ALERT_WARNING, "Threat\nDefense", "550 no\r\nFake: line\x1b[2J\x7f", 0);
	raise_ok(q, ALERT_WARNING, big, big, 0);
	/* a cut inside a UTF-8 sequence drops the whole character */
	memset(big, 'y', ALERT_TEXT_MAX - 1);
	memcpy(big + ALERT_TEXT_MAX - 1, "\xc3\xa9zz", 5);
	raise_ok(q, ALERT_INFO, "System", big, 0);
	raise_ok(q, ALERT_INFO, NULL, NULL, 0);
	CHECK_INT(alert_list(q, 0, got_add, &g, &cause), 0);
	CHECK_INT(g.n, 4);
	CHECK_STR(g.aclass[0], "Threat Defense");
	CHECK_STR(g.text[0], "550 no  Fake: line [2J ");
	CHECK_INT(strlen(g.aclass[1]), ALERT_CLASS_MAX);
	CHECK_INT(strlen(g.text[1]), ALERT_TEXT_MAX);
	CHECK_INT(strlen(g.text[2]), ALERT_TEXT_MAX - 1);
	CHECK_STR(g.aclass[3], "");
	CHECK_STR(g.text[3], "");
	queue_close(q);
	free(dir);
}

/* test_prune - the table keeps the newest ALERT_KEEP; IDs are never reused */
static void
test_prune(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir()), *cause = NULL;
	struct queue *q = qopen(dir);
	struct got g = { 0 };
	int64_t last = 0;
	char text[32];

	/* inside a batch: the raise's savepoint nests in the caller's transaction */
	CHECK_INT(queue_begin(q, 0, &cause), 0);
	for (int i = 1; i <= ALERT_KEEP + 5; i++) {
		str_fmt(text, sizeof(text), "alert %d", i);
		last = raise_ok(q, ALERT_INFO, "System", text, 0);
	}
	CHECK_INT(queue_commit(q, &cause), 0);
	CHECK_INT(alert_last_id(q), last);
	CHECK_INT(alert_latest(q, ALERT_KEEP + 100, got_add, &g, &cause), 0);
	CHECK_INT(g.n, ALERT_KEEP);
	memset(&g, 0, sizeof(g));
	CHECK_INT(alert_list(q, 0, got_add, &g, &cause), 0);
	CHECK_STR(g.text[0], "alert 6");
	/* outside a batch too, and the next ID follows the last even after pruning */
	CHECK_INT(raise_ok(q, ALERT_INFO, "System", "one more", 0), last + 1);
	memset(&g, 0, sizeof(g));
	CHECK_INT(alert_list(q, 0, got_add, &g, &cause), 0);
	CHECK_INT(g.n, ALERT_KEEP);
	CHECK_STR(g.text[0], "alert 7");
	queue_close(q);
	free(dir);
}

/* test_seen - a mark per user that never moves back */
static void
test_seen(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir()), *cause = NULL;
	struct queue *q = qopen(dir);

	CHECK_INT(alert_seen_get(q, "alice"), 0);
	CHECK_INT(alert_seen_set(q, "alice", 7, &cause), 0);
	CHECK_INT(alert_seen_get(q, "alice"), 7);
	CHECK_INT(alert_seen_get(q, "bob"), 0);
	CHECK_INT(alert_seen_set(q, "alice", 3, &cause), 0);
	CHECK_INT(alert_seen_get(q, "alice"), 7);
	CHECK_INT(alert_seen_set(q, "bob", 2, &cause), 0);
	CHECK_INT(alert_seen_get(q, "bob"), 2);
	CHECK_INT(alert_seen_get(q, "alice"), 7);
	queue_close(q);
	free(dir);
}

/* the tables of queue.db's schema 4 (remediation, store/remed.c) */
#define DROP_SCHEMA4 "DROP TABLE journaled; DROP TABLE etd_seen; DROP TABLE remed_request; " \
	"DROP TABLE remed_action; ALTER TABLE recipients DROP COLUMN bounce_status; " \
	"ALTER TABLE recipients DROP COLUMN bounce_diag; "

/*
 * test_migration - a queue.db of schema 1 gets the alerts table (2) and
 * the quarantine and feed tables (3) when opened; one of schema 2 the latter
 */
static void
test_migration(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir()), *cause = NULL;
	struct queue *q = qopen(dir);
	int64_t msgs = -1, bytes = -1;

	queue_close(q);
	sql(dir, "DROP TABLE alerts; DROP TABLE quarantine; DROP TABLE sdr_indicators; "
		 "DROP TABLE sdr_feeds; " DROP_SCHEMA4 "PRAGMA user_version = 1;");
	q = qopen(dir);
	raise_ok(q, ALERT_CRITICAL, "Listener", "after migration", 1);
	CHECK_INT(alert_last_id(q), 1);
	CHECK_INT(quarantine_usage(q, NULL, &msgs, &bytes, &cause), 0);
	CHECK_INT(msgs, 0);
	queue_close(q);
	sql(dir, "DROP TABLE quarantine; DROP TABLE sdr_indicators; DROP TABLE sdr_feeds; "
		 DROP_SCHEMA4 "PRAGMA user_version = 2;");
	q = qopen(dir);
	CHECK_INT(alert_last_id(q), 1);
	msgs = -1;
	CHECK_INT(quarantine_usage(q, NULL, &msgs, &bytes, &cause), 0);
	CHECK_INT(msgs, 0);
	queue_close(q);
	free(dir);
}

/* ------------------------------------------------------- displayalerts */

#define HEAD "Date and Time Stamp         Severity  Class                     Message\n" \
	"--------------------------  --------  ------------------------  " \
	"--------------------------------\n"

/* three alerts at fixed times (ids 1-3: 10:15:03, :04, :05 UTC) */
static char *
three_alerts(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir());
	struct queue *q = qopen(dir);

	raise_ok(q, ALERT_CRITICAL, "Listener",
	    "Listener IncomingMail cannot listen on 127.0.0.1 port 25: Address already in use", 4);
	raise_ok(q, ALERT_WARNING, "Threat Defense Connector", "intake.example.com unreachable", 0);
	raise_ok(q, ALERT_INFO, "System", "mxgated started", 0);
	queue_close(q);
	fixed_times(dir);
	return dir;
}

#define ROW1 "03 Dec 2026 10:15:03 +0000  Critical  Listener                  Listener " \
	"IncomingMail cannot listen on 127.0.0.1 port 25: Address already in use (commit 4)\n"
#define ROW2 "03 Dec 2026 10:15:04 +0000  Warning   Threat Defense Connector  " \
	"intake.example.com unreachable\n"
#define ROW3 "03 Dec 2026 10:15:05 +0000  Info      System                    mxgated started\n"

/* test_displayalerts - the listing, newest first, N, and the usage errors */
static void
test_displayalerts(void)
{
	char *dir;
	struct cli c;
	struct capture cp;

	setenv("TZ", "UTC", 1);
	tzset();
	/* a fresh appliance */
	dir = str_printf("%s/data", unit_tmpdir());
	session(&c, &cp, dir, 0, "tester");
	CHECK_INT(cmd_run_line(&c, "displayalerts"), CMD_OK);
	CHECK_STR(cp.out.data, "\nNo alerts have been raised.\n\n");
	session_end(&c, &cp);
	free(dir);

	dir = three_alerts();
	session(&c, &cp, dir, 0, "tester");
	CHECK_INT(cmd_run_line(&c, "displayalerts"), CMD_OK);
	CHECK_STR(cp.out.data, "\n" HEAD ROW3 ROW2 ROW1 "\n");
	buf_reset(&cp.out);
	CHECK_INT(cmd_run_line(&c, "displayalerts 2"), CMD_OK);
	CHECK_STR(cp.out.data, "\n" HEAD ROW3 ROW2 "\n");
	buf_reset(&cp.out);
	CHECK_INT(cmd_run_line(&c, "displayalerts 1000"), CMD_OK);
	CHECK_STR(cp.out.data, "\n" HEAD ROW3 ROW2 ROW1 "\n");
	buf_reset(&cp.out);
	CHECK_INT(cmd_run_line(&c, "displayalerts 0"), CMD_ERROR);
	CHECK_STR(cp.out.data, "E: Invalid number of alerts '0': enter a whole number from 1 "
			       "to 1000.\n");
	buf_reset(&cp.out);
	CHECK_INT(cmd_run_line(&c, "displayalerts 1 2"), CMD_ERROR);
	CHECK_STR(cp.out.data, "E: Invalid arguments when processing: displayalerts. "
			       "Usage: displayalerts [N]\n");
	buf_reset(&cp.out);
	CHECK_INT(cmd_run_line(&c, "displayalerts 1001"), CMD_ERROR);
	CHECK_INT(cmd_run_line(&c, "displayalerts x"), CMD_ERROR);
	CHECK_INT(cmd_run_line(&c, "displayalerts 1 2"), CMD_ERROR);
	CHECK_INT(cmd_run_line(&c, "displayalerts -1"), CMD_ERROR);
	/* a script has not seen them */
	CHECK_INT(alert_seen_get(c.q, "tester"), 0);
	session_end(&c, &cp);

	/* a person at a terminal has */
	session(&c, &cp, dir, 1, "tester");
	CHECK_INT(cmd_run_line(&c, "displayalerts 1"), CMD_OK);
	CHECK_INT(alert_seen_get(c.q, "tester"), 3);
	CHECK_INT(alert_seen_get(c.q, "other"), 0);
	session_end(&c, &cp);
	free(dir);
}

/* test_banner - new alerts at login, once per user; nothing when none */
static void
test_banner(void)
{
	char *dir, *want;
	struct cli c;
	struct capture cp;
	struct queue *q;

	setenv("TZ", "UTC", 1);
	tzset();
	dir = three_alerts();
	session(&c, &cp, dir, 1, "alice");
	CHECK_INT(alert_seen_set(cmd_queue(&c), "alice", 1, NULL), 0);
	displayalerts_banner(&c);
	CHECK_STR(cp.out.data, "2 new alerts since you last looked:\n" HEAD ROW3 ROW2 "\n");
	/* shown once */
	buf_reset(&cp.out);
	displayalerts_banner(&c);
	CHECK_STR(cp.out.data, "");
	session_end(&c, &cp);

	/* another user has not seen them */
	session(&c, &cp, dir, 1, "bob");
	displayalerts_banner(&c);
	CHECK_STR(cp.out.data, "3 new alerts since you last looked:\n" HEAD ROW3 ROW2 ROW1 "\n");
	session_end(&c, &cp);

	/* one new alert; then more than ten: the newest ten and a pointer */
	q = qopen(dir);
	raise_ok(q, ALERT_CRITICAL, "Queue", "queue writer failed", 0);
	queue_close(q);
	fixed_times(dir);
	session(&c, &cp, dir, 1, "bob");
	displayalerts_banner(&c);
	CHECK_STR(cp.out.data, "1 new alert since you last looked:\n" HEAD
			       "03 Dec 2026 10:15:06 +0000  Critical  Queue                     "
			       "queue writer failed\n\n");
	session_end(&c, &cp);
	q = qopen(dir);
	for (int i = 0; i < 12; i++)
		raise_ok(q, ALERT_INFO, "System", "tick", 0);
	queue_close(q);
	session(&c, &cp, dir, 1, "bob");
	displayalerts_banner(&c);
	want = str_printf("(2 older; 'displayalerts 12' lists them)\n\n");
	CHECK(strncmp(cp.out.data, "12 new alerts since you last looked:\n", 37) == 0);
	CHECK(strlen(cp.out.data) > strlen(want) &&
	    strcmp(cp.out.data + strlen(cp.out.data) - strlen(want), want) == 0);
	CHECK_INT(alert_seen_get(c.q, "bob"), 16);
	session_end(&c, &cp);
	free(want);
	free(dir);
}

/* ------------------------------------------------------------ commit */

enum fake_mode {
	FAKE_APPLY,	/* apply every commit */
	FAKE_ALERT,	/* apply, raising an alert for each commit */
	FAKE_NEVER,	/* run, never apply */
	FAKE_EXIT,	/* stop as soon as a commit appears, without applying it */
};

/*
 * fake_daemon - a child that holds DIR/mxgated.pid locked as mxgated does
 * and follows commits as daemon/main.c must; returns its pid once the
 * lock is held.
 */
static pid_t
fake_daemon(const char *dir, enum fake_mode mode)
{
	int p[2];
	pid_t pid;
	char c;

	/* the data directory exists before the child opens it */
	{
		struct store *st;
		char *cause = NULL;

		if (store_open(dir, STORE_RUNNING, &st, &cause) < 0)
			UNIT_FAIL("store_open: %s", cause);
		store_close(st);
	}
	CHECK(pipe(p) == 0);
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char *path = str_printf("%s/mxgated.pid", dir), *cause = NULL, num[32];
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		struct store *st;
		struct queue *q;
		int64_t applied = 0;

		if (fd < 0 || fcntl(fd, F_SETLK, &fl) < 0)
			_exit(3);
		if (store_open(dir, STORE_RUNNING, &st, &cause) < 0 ||
		    queue_open(dir, &q, &cause) < 0)
			_exit(4);
		if (write(p[1], "r", 1) != 1)
			_exit(5);
		for (int i = 0; i < 6000; i++) {	/* a 60 s ceiling */
			int64_t v = config_version(st);

			if (v > applied && mode == FAKE_EXIT)
				_exit(0);
			if (v > applied && mode != FAKE_NEVER) {
				if (mode == FAKE_ALERT) {
					char *t = str_printf("Listener In cannot listen on 127.0.0.1 "
							     "port %lld: Address already in use",
					    (long long)v);

					if (alert_raise(q, ALERT_CRITICAL, "Listener", t, v, NULL,
					    &cause) < 0)
						_exit(6);
					free(t);
				}
				str_fmt(num, sizeof(num), "%lld", (long long)v);
				if (queue_state_set(q, "conf.applied", num, &cause) < 0)
					_exit(7);
				applied = v;
			}
			poll(NULL, 0, 10);
		}
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		UNIT_FAIL("the fake daemon did not start");
	close(p[0]);
	return pid;
}

/* fake_stop - end the fake daemon */
static void
fake_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* commit_with - stage a hostname and commit it in a batch session; the output */
static enum cmd_ret
commit_with(const char *dir, const char *host, struct capture *out)
{
	struct cli c;
	struct capture cp;
	enum cmd_ret r;
	char *line = str_printf("sethostname %s", host);

	session(&c, &cp, dir, 0, "tester");
	CHECK_INT(cmd_run_line(&c, line), CMD_OK);
	buf_reset(&cp.out);
	r = cmd_run_line(&c, "commit test");
	buf_init(&out->out, 0);
	buf_addstr(&out->out, cp.out.data);
	session_end(&c, &cp);
	free(line);
	return r;
}

/* after - the output after the "Changes committed: DATE" line */
static const char *
after(const struct capture *cp)
{
	const char *p = strstr(cp->out.data, "Changes committed: ");

	if (p == NULL)
		UNIT_FAIL("no 'Changes committed' in: %s", cp->out.data);
	p = strchr(p, '\n');
	return p ? p + 1 : "";
}

/* test_commit_no_daemon - nothing to wait for: the commit reports as before */
static void
test_commit_no_daemon(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir());
	struct capture cp;

	CHECK_INT(commit_with(dir, "a.example.com", &cp), CMD_OK);
	CHECK_STR(after(&cp), "");
	buf_free(&cp.out);
	free(dir);
}

/* test_commit_applied - the daemon applied it: say so */
static void
test_commit_applied(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir());
	struct capture cp;
	pid_t pid = fake_daemon(dir, FAKE_APPLY);

	CHECK_INT(commit_with(dir, "a.example.com", &cp), CMD_OK);
	CHECK_STR(after(&cp), "mxgated applied commit 1\n");
	buf_free(&cp.out);
	CHECK_INT(commit_with(dir, "b.example.com", &cp), CMD_OK);
	CHECK_STR(after(&cp), "mxgated applied commit 2\n");
	buf_free(&cp.out);
	fake_stop(pid);
	free(dir);
}

/* test_commit_alert - the daemon could not apply all of it: the alert, and failure */
static void
test_commit_alert(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir());
	struct capture cp;
	struct queue *q;
	pid_t pid;

	/* an older alert about no commit, and one about another commit, are not reported */
	q = qopen(dir);
	raise_ok(q, ALERT_WARNING, "System", "unrelated", 0);
	queue_close(q);
	pid = fake_daemon(dir, FAKE_ALERT);
	CHECK_INT(commit_with(dir, "a.example.com", &cp), CMD_ERROR);
	CHECK_STR(after(&cp), "E: mxgated could not apply all of commit 1: Listener In cannot "
			      "listen on 127.0.0.1 port 1: Address already in use\n");
	buf_free(&cp.out);
	CHECK_INT(commit_with(dir, "b.example.com", &cp), CMD_ERROR);
	CHECK_STR(after(&cp), "E: mxgated could not apply all of commit 2: Listener In cannot "
			      "listen on 127.0.0.1 port 2: Address already in use\n");
	buf_free(&cp.out);
	fake_stop(pid);
	/* the commits stand */
	{
		struct store *st;
		char *cause = NULL;

		CHECK_INT(store_open(dir, STORE_RUNNING, &st, &cause), 0);
		CHECK_INT(config_version(st), 2);
		store_close(st);
	}
	free(dir);
}

/* test_commit_later_applied - the daemon went straight to a later commit: its alerts count */
static void
test_commit_later_applied(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir());
	struct capture cp;
	struct queue *q;
	pid_t pid = fake_daemon(dir, FAKE_NEVER);

	/* as if commit 1 and a commit 2 of another session were applied together */
	q = qopen(dir);
	raise_ok(q, ALERT_CRITICAL, "Listener", "about commit 2", 2);
	CHECK_INT(queue_state_set(q, "conf.applied", "2", NULL), 0);
	queue_close(q);
	CHECK_INT(commit_with(dir, "a.example.com", &cp), CMD_ERROR);
	CHECK_STR(after(&cp), "E: mxgated could not apply all of commit 2: about commit 2\n");
	buf_free(&cp.out);
	fake_stop(pid);
	free(dir);
}

/* test_commit_not_applied - the daemon runs but never applies: fail after the ceiling */
static void
test_commit_not_applied(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir());
	struct capture cp;
	pid_t pid = fake_daemon(dir, FAKE_NEVER);

	CHECK_INT(commit_with(dir, "a.example.com", &cp), CMD_ERROR);
	CHECK_STR(after(&cp), "E: mxgated has not applied commit 1 after 10 seconds; check "
			      "displayalerts and mail_logs\n");
	buf_free(&cp.out);
	fake_stop(pid);
	free(dir);
}

/* test_commit_daemon_stops - the daemon stops while commit waits: it applies it at start */
static void
test_commit_daemon_stops(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir());
	struct capture cp;
	pid_t pid = fake_daemon(dir, FAKE_EXIT);

	CHECK_INT(commit_with(dir, "a.example.com", &cp), CMD_OK);
	CHECK_STR(after(&cp), "mxgated stopped before applying commit 1; it applies the "
			      "configuration when it starts.\n");
	buf_free(&cp.out);
	fake_stop(pid);
	free(dir);
}

static const struct unit_case cases[] = {
	{ "raise_list", test_raise_list },
	{ "printable", test_printable },
	{ "prune", test_prune },
	{ "seen", test_seen },
	{ "migration", test_migration },
	{ "displayalerts", test_displayalerts },
	{ "banner", test_banner },
	{ "commit_no_daemon", test_commit_no_daemon },
	{ "commit_applied", test_commit_applied },
	{ "commit_alert", test_commit_alert },
	{ "commit_later_applied", test_commit_later_applied },
	{ "commit_not_applied", test_commit_not_applied },
	{ "commit_daemon_stops", test_commit_daemon_stops },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("alert", cases, argc, argv);
}
