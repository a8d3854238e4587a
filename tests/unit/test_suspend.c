/*
 * test_suspend.c - the suspension rows (store/queue.c queue_state_read)
 * and mxgated's reading of them (daemon/suspend.c) when queue.db cannot
 * be read.
 *
 * A read error is made by renaming queue.db's state table through a
 * private connection (the daemon's connection then fails to prepare its
 * statement: "no such table"); renaming it back makes it readable again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "daemon/gw.h"
#include "daemon/suspend.h"
#include "store/queue.h"
#include "util/str.h"
#include "tests/unit/unit.h"

/* raw_exec - run SQL on DIR/queue.db with a private connection */
static void
raw_exec(const char *dir, const char *sql)
{
	sqlite3 *db = NULL;
	char *path = str_printf("%s/queue.db", dir), *err = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		UNIT_FAIL("sqlite3_open %s failed", path);
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		UNIT_FAIL("%s: %s", sql, err ? err : "?");
	sqlite3_close(db);
	free(path);
}

#define BREAK_STATE "ALTER TABLE state RENAME TO state_off"
#define MEND_STATE "ALTER TABLE state_off RENAME TO state"

/* open_queue - a fresh queue.db in a new directory */
static struct queue *
open_queue(char **dir)
{
	struct queue *q = NULL;
	char *cause = NULL;

	*dir = str_dup(unit_tmpdir());
	if (queue_open(*dir, &q, &cause) < 0)
		UNIT_FAIL("queue_open: %s", cause);
	return q;
}

/* queue_state_read: a row, no row and an error are three answers */
static void
test_state_read(void)
{
	char *dir, *v = (char *)"x", *cause = NULL;
	struct queue *q = open_queue(&dir);

	CHECK_INT(queue_state_read(q, "suspend.delivery", &v, &cause), 0);
	CHECK(v == NULL);
	CHECK_INT(queue_state_set(q, "suspend.delivery", "a.test,b.test", &cause), 0);
	CHECK_INT(queue_state_read(q, "suspend.delivery", &v, &cause), 1);
	CHECK_STR(v, "a.test,b.test");
	free(v);
	CHECK_INT(queue_state_set(q, "suspend.delivery", "", &cause), 0);
	CHECK_INT(queue_state_read(q, "suspend.delivery", &v, &cause), 1);
	CHECK_STR(v, "");
	free(v);
	raw_exec(dir, BREAK_STATE);
	v = (char *)"x";
	CHECK_INT(queue_state_read(q, "suspend.delivery", &v, &cause), -1);
	CHECK(v == NULL);
	CHECK(cause != NULL && strstr(cause, "state") != NULL);
	free(cause);
	queue_close(q);
	free(dir);
}

/* gw_for - the little of a struct gw suspend.c uses (no logs: gw_log writes nowhere) */
static void
gw_for(struct gw *gw, struct queue *q)
{
	memset(gw, 0, sizeof(*gw));
	gw->base = event_base_new();
	gw->q = q;
	gw->conf = xcalloc(1, sizeof(*gw->conf));
	gw->started = time(NULL);
	if (gw->base == NULL)
		UNIT_FAIL("event_base_new");
}

/* a request mxgated cannot read the rows for keeps every other suspension */
static void
test_daemon_keeps_on_error(void)
{
	char *dir, *cause = NULL, arg[128];
	struct queue *q = open_queue(&dir);
	struct gw gw;

	gw_for(&gw, q);
	CHECK_INT(queue_state_set(q, "suspend.delivery", "example.test,other.test", &cause), 0);
	CHECK_INT(queue_state_set(q, "suspend.listeners", "IncomingMail", &cause), 0);
	suspend_load(&gw);
	CHECK(suspend_delivery_held(&gw, "example.test"));
	CHECK(suspend_delivery_held(&gw, "other.test"));
	CHECK(suspend_listener_held(&gw, "incomingmail"));
	CHECK(!suspend_delivery_held(&gw, "third.test"));
	/* the shell resumes other.test; then the row cannot be read */
	CHECK_INT(queue_state_set(q, "suspend.delivery", "example.test", &cause), 0);
	raw_exec(dir, BREAK_STATE);
	snprintf(arg, sizeof(arg), "resumedel admin %lld other.test", (long long)time(NULL) * 1000);
	suspend_request(&gw, "resumedel", arg);
	CHECK(suspend_delivery_held(&gw, "example.test"));
	CHECK(suspend_delivery_held(&gw, "other.test"));
	CHECK(suspend_listener_held(&gw, "IncomingMail"));
	/* readable again: the retry takes the change */
	raw_exec(dir, MEND_STATE);
	event_base_loop(gw.base, EVLOOP_ONCE);
	CHECK(suspend_delivery_held(&gw, "example.test"));
	CHECK(!suspend_delivery_held(&gw, "other.test"));
	CHECK(suspend_listener_held(&gw, "IncomingMail"));
	queue_close(q);
	free(dir);
}

/* at start-up with nothing read yet, everything is held until the rows can be read */
static void
test_daemon_start_unreadable(void)
{
	char *dir, *cause = NULL;
	struct queue *q = open_queue(&dir);
	struct gw gw;

	gw_for(&gw, q);
	CHECK_INT(queue_state_set(q, "suspend.delivery", "example.test", &cause), 0);
	raw_exec(dir, BREAK_STATE);
	suspend_load(&gw);
	CHECK(suspend_delivery_held(&gw, "example.test"));
	CHECK(suspend_delivery_held(&gw, "any.test"));
	CHECK(suspend_listener_held(&gw, "IncomingMail"));
	raw_exec(dir, MEND_STATE);
	event_base_loop(gw.base, EVLOOP_ONCE);
	CHECK(suspend_delivery_held(&gw, "example.test"));
	CHECK(!suspend_delivery_held(&gw, "any.test"));
	CHECK(!suspend_listener_held(&gw, "IncomingMail"));
	queue_close(q);
	free(dir);
}

static const struct unit_case cases[] = {
	{ "state_read", test_state_read },
	{ "daemon_keeps_on_error", test_daemon_keeps_on_error },
	{ "daemon_start_unreadable", test_daemon_start_unreadable },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("suspend", cases, argc, argv);
}
