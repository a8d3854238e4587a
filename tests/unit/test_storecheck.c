/*
 * test_storecheck.c - damaged and lost store files (issue 9, item 3):
 * store_open and queue_open refuse an empty file, a symbolic link or a
 * directory where a database belongs, and leave it as it was; a failed
 * first open leaves no empty file behind; store_check and queue_check
 * find a page overwritten with garbage (PRAGMA quick_check) and ID
 * sequences behind the IDs in use, with one-line causes that name the
 * file and the way out.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/queue.h"
#include "store/store.h"
#include "tests/unit/unit.h"
#include "util/str.h"

/* ------------------------------------------------------------ helpers */

/* raw - run fixed SQL on DIR/NAME with a private connection */
static void
raw(const char *dir, const char *name, const char *sql)
{
	char *path = str_printf("%s/%s", dir, name), *e = NULL;
	sqlite3 *db = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, &e) != SQLITE_OK)
		UNIT_FAIL("%s: %s: %s", path, sql, e ? e : sqlite3_errmsg(db));
	sqlite3_close(db);
	free(path);
}

/* exists - does DIR/NAME exist (as anything, links not followed)? */
static int
exists(const char *dir, const char *name)
{
	char *path = str_printf("%s/%s", dir, name);
	struct stat sb;
	int rc = lstat(path, &sb) == 0;

	free(path);
	return rc;
}

/* size_of - bytes of DIR/NAME, -1 if absent */
static long long
size_of(const char *dir, const char *name)
{
	char *path = str_printf("%s/%s", dir, name);
	struct stat sb;
	long long n = stat(path, &sb) == 0 ? (long long)sb.st_size : -1;

	free(path);
	return n;
}

/* has - the cause contains every piece, and is one line */
static void
has(const char *cause, const char *const *pieces)
{
	if (cause == NULL)
		UNIT_FAIL("no cause");
	if (strchr(cause, '\n'))
		UNIT_FAIL("cause is more than one line: %s", cause);
	for (; *pieces; pieces++)
		if (strstr(cause, *pieces) == NULL)
			UNIT_FAIL("cause lacks '%s': %s", *pieces, cause);
}

/* touch - DIR/NAME as an empty file */
static void
touch(const char *dir, const char *name)
{
	char *path = str_printf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0);
	close(fd);
	free(path);
}

/* queue_with - a queue.db in dir holding messages 1..n, one recipient each */
static void
queue_with(const char *dir, int n)
{
	struct queue *q = NULL;
	char *cause = NULL, body[3000];
	int64_t first;

	memset(body, 'x', sizeof(body));
	if (queue_open(dir, &q, &cause) < 0)
		UNIT_FAIL("queue_open: %s", cause);
	CHECK(queue_id_reserve(q, "mid", n, &first, &cause) == 0);
	CHECK(queue_id_reserve(q, "icid", 1, &first, &cause) == 0);
	CHECK(queue_begin(q, 1, &cause) == 0);
	for (int i = 1; i <= n; i++) {
		struct queue_msg m = { .mid = i, .icid = 1, .sender = "s@a.test", .body = body,
			.body_len = sizeof(body) };
		struct queue_rcpt r = { .mid = i, .rid = 0, .addr = "r@b.test", .dest = "b.test" };

		CHECK(queue_insert_msg(q, &m, &cause) == 0);
		CHECK(queue_insert_rcpt(q, &r, &cause) == 0);
	}
	CHECK(queue_commit(q, &cause) == 0);
	queue_close(q);
}

/* ------------------------------------------------------------ cases */

/* an empty file is a store that was lost: refused, and left empty */
static void
test_empty_refused(void)
{
	char *dir = str_dup(unit_tmpdir()), *cause = NULL;
	struct store *st = (struct store *)&st;
	struct queue *q = (struct queue *)&q;

	touch(dir, "config.db");
	CHECK(store_open(dir, STORE_SESSION, &st, &cause) == -1);
	CHECK(st == NULL);
	has(cause, (const char *[]){ dir, "/config.db is empty (0 bytes)", "configuration",
		"restore it from a backup", NULL });
	free(cause);
	cause = NULL;
	touch(dir, "queue.db");
	CHECK(queue_open(dir, &q, &cause) == -1);
	CHECK(q == NULL);
	has(cause, (const char *[]){ "/queue.db is empty (0 bytes)", "mail queue", NULL });
	free(cause);
	CHECK_INT(size_of(dir, "config.db"), 0);
	CHECK_INT(size_of(dir, "queue.db"), 0);
	CHECK(!exists(dir, "config.db-wal") && !exists(dir, "queue.db-wal"));
	free(dir);
}

/* a link planted where the database belongs is not followed */
static void
test_link_refused(void)
{
	char *dir = str_dup(unit_tmpdir()), *other = str_printf("%s/elsewhere", dir);
	char *target = str_printf("%s/config.db", other), *link = str_printf("%s/config.db", dir);
	char *cause = NULL;
	struct store *st = NULL;
	long long before;

	CHECK(mkdir(other, 0700) == 0);
	st = NULL;
	if (store_open(other, STORE_SESSION, &st, &cause) < 0)
		UNIT_FAIL("store_open: %s", cause);
	store_close(st);
	before = size_of(other, "config.db");
	CHECK(symlink(target, link) == 0);
	CHECK(store_open(dir, STORE_RUNNING, &st, &cause) == -1);
	has(cause, (const char *[]){ link, "symbolic link", NULL });
	free(cause);
	CHECK_INT(size_of(other, "config.db"), before);
	CHECK(!exists(other, "config.db-wal"));
	free(target);
	free(link);
	free(other);
	free(dir);
}

/* a directory where queue.db belongs: one clear line */
static void
test_directory_refused(void)
{
	char *dir = str_dup(unit_tmpdir()), *path = str_printf("%s/queue.db", dir);
	char *cause = NULL;
	struct queue *q = NULL;

	CHECK(mkdir(path, 0700) == 0);
	CHECK(queue_open(dir, &q, &cause) == -1);
	has(cause, (const char *[]){ path, "is a directory", NULL });
	free(cause);
	free(path);
	free(dir);
}

/*
 * An open that fails after the file was created (here: no descriptor
 * left for the WAL) removes what it made, so the next start is a first
 * start again, not an "empty file" refusal.
 */
static void
test_failed_create_removed(void)
{
	char *dir = str_dup(unit_tmpdir()), *cause = NULL;
	struct store *st = NULL;
	struct queue *q = NULL;
	struct rlimit rl, low;
	int lowest = open("/dev/null", O_RDONLY);

	CHECK(lowest >= 0);
	close(lowest);
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	low = rl;
	low.rlim_cur = (rlim_t)lowest + 2;	/* the lock and the database; no WAL */
	CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
	CHECK(store_open(dir, STORE_RUNNING, &st, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "config.db") != NULL);
	free(cause);
	cause = NULL;
	CHECK(queue_open(dir, &q, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "queue.db") != NULL);
	free(cause);
	cause = NULL;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	CHECK(!exists(dir, "config.db") && !exists(dir, "config.db-wal") &&
	    !exists(dir, "config.db-shm"));
	CHECK(!exists(dir, "queue.db") && !exists(dir, "queue.db-wal"));
	if (store_open(dir, STORE_RUNNING, &st, &cause) < 0 || queue_open(dir, &q, &cause) < 0)
		UNIT_FAIL("the next first start: %s", cause);
	CHECK(store_check(st, &cause) == 0);
	CHECK(queue_check(q, &cause) == 0);
	store_close(st);
	queue_close(q);
	free(dir);
}

/* garbage over a page of the messages table: quick_check refuses it */
static void
test_page_overwrite(void)
{
	char *dir = str_dup(unit_tmpdir()), *cause = NULL, *path = str_printf("%s/queue.db", dir);
	char garbage[65536];
	struct queue *q = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int psize = 0, page = 0, fd;

	queue_with(dir, 20);
	/* a page of the messages table in the middle of the file (dbstat) */
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db,
		"SELECT (SELECT page_size FROM pragma_page_size), pageno FROM dbstat "
		"WHERE name = 'messages' ORDER BY pageno LIMIT 1 OFFSET "
		"(SELECT count(*) / 2 FROM dbstat WHERE name = 'messages')", -1, &s,
		NULL) == SQLITE_OK);
	CHECK(sqlite3_step(s) == SQLITE_ROW);
	psize = sqlite3_column_int(s, 0);
	page = sqlite3_column_int(s, 1);
	sqlite3_finalize(s);
	sqlite3_close(db);
	CHECK(psize > 0 && psize <= (int)sizeof(garbage) && page > 2);
	for (int i = 0; i < psize; i++)
		garbage[i] = (char)(0x5a ^ (i * 131));
	fd = open(path, O_WRONLY);
	CHECK(fd >= 0);
	CHECK(pwrite(fd, garbage, (size_t)psize, (off_t)(page - 1) * psize) == psize);
	close(fd);

	if (queue_open(dir, &q, &cause) < 0)
		UNIT_FAIL("queue_open: %s", cause);
	CHECK(queue_check(q, &cause) == -1);
	has(cause, (const char *[]){ path, "is damaged (PRAGMA quick_check: ",
		"restore it from a backup", NULL });
	free(cause);
	queue_close(q);
	free(path);
	free(dir);
}

/* sequences behind the IDs in use, or missing */
static void
test_ids_behind(void)
{
	char *dir = str_dup(unit_tmpdir()), *cause = NULL;
	struct queue *q = NULL;

	queue_with(dir, 5);
	if (queue_open(dir, &q, &cause) < 0)
		UNIT_FAIL("queue_open: %s", cause);
	CHECK(queue_check(q, &cause) == 0);
	/* ahead of an ID seen elsewhere, and one past it is enough */
	CHECK(queue_id_check(q, "mid", 5, "the logs", &cause) == 0);
	CHECK(queue_id_check(q, "dcid", 0, "the logs", &cause) == 0);
	CHECK(queue_id_check(q, "dcid", 1, "the logs", &cause) == -1);
	has(cause, (const char *[]){ "the DCID sequence is behind", "next DCID 1",
		"the logs holds DCID 1", "UPDATE ids SET next = 2 WHERE name = 'dcid'", NULL });
	free(cause);
	cause = (char *)"stale";	/* callers need not clear it first */
	queue_close(q);

	raw(dir, "queue.db", "UPDATE ids SET next = 3 WHERE name = 'mid'");
	if (queue_open(dir, &q, &cause) < 0)
		UNIT_FAIL("queue_open: %s", cause);
	CHECK(queue_check(q, &cause) == -1);
	has(cause, (const char *[]){ "/queue.db: the MID sequence is behind",
		"(next MID 3, but the queue holds MID 5)",
		"UPDATE ids SET next = 6 WHERE name = 'mid'", NULL });
	free(cause);
	cause = NULL;
	queue_close(q);

	raw(dir, "queue.db", "UPDATE ids SET next = 6 WHERE name = 'mid';"
			     "DELETE FROM ids WHERE name = 'dcid'");
	if (queue_open(dir, &q, &cause) < 0)
		UNIT_FAIL("queue_open: %s", cause);
	CHECK(queue_check(q, &cause) == -1);
	has(cause, (const char *[]){ "the DCID sequence is missing", NULL });
	free(cause);
	queue_close(q);
	free(dir);
}

/* a fresh directory and a healthy store pass */
static void
test_healthy_passes(void)
{
	char *dir = str_dup(unit_tmpdir()), *cause = NULL;
	struct store *st = NULL;
	struct queue *q = NULL;

	if (store_open(dir, STORE_RUNNING, &st, &cause) < 0 || queue_open(dir, &q, &cause) < 0)
		UNIT_FAIL("open: %s", cause);
	CHECK(store_check(st, &cause) == 0);
	CHECK(queue_check(q, &cause) == 0);
	CHECK(cause == NULL);
	queue_close(q);
	store_close(st);
	queue_with(dir, 3);
	if (queue_open(dir, &q, &cause) < 0)
		UNIT_FAIL("open: %s", cause);
	CHECK(queue_check(q, &cause) == 0);
	queue_close(q);
	free(dir);
}

static const struct unit_case cases[] = {
	{ "empty_refused", test_empty_refused },
	{ "link_refused", test_link_refused },
	{ "directory_refused", test_directory_refused },
	{ "failed_create_removed", test_failed_create_removed },
	{ "page_overwrite", test_page_overwrite },
	{ "ids_behind", test_ids_behind },
	{ "healthy_passes", test_healthy_passes },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("storecheck", cases, argc, argv);
}
