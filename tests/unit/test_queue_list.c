/*
 * test_queue_list.c - reading the queued recipients for the shell
 * (store/queue_list.c) and what showrecipients / showmessage make of
 * them: the selections (host= ignoring case through the index, sender=
 * with <> for the null sender, all), an early stop, the header section
 * bounded and read without loading a large body (SQLite's memory
 * high-water mark), and rows whose text holds ESC, BEL or NUL shown with
 * no control byte but the line ends.
 */
#include <sqlite3.h>

#include "commands/cmd.h"
#include "store/queue.h"
#include "store/queue_list.h"
#include "store/store.h"
#include "tests/unit/unit.h"
#include "util/buf.h"
#include "util/str.h"

/* qopen - a fresh queue.db in a fresh directory; *dir the directory */
static struct queue *
qopen(const char **dir)
{
	struct queue *q;
	char *cause = NULL;
	const char *d = unit_tmpdir();

	if (queue_open(d, &q, &cause) < 0)
		UNIT_FAIL("queue_open: %s", cause);
	if (dir)
		*dir = d;
	return q;
}

/* add - message mid from sender with body, n recipients alternating rcpts[0] and [1] ("addr dest") */
static void
add(struct queue *q, int64_t mid, const char *sender, const void *body, size_t len,
    const char *const *rcpts, int n)
{
	struct queue_msg m = {
		.mid = mid, .kind = QUEUE_KIND_NORMAL, .received = 1700000000, .sender = sender,
		.policy = "DEFAULT", .client_ip = "127.0.0.1", .listener = "in",
		.message_id = "<x@y>", .body = body, .body_len = len,
	};
	char *cause = NULL;

	CHECK_INT(queue_begin(q, 0, &cause), 0);
	if (queue_insert_msg(q, &m, &cause) < 0)
		UNIT_FAIL("insert_msg: %s", cause);
	for (int i = 0; i < n; i++) {
		char addr[400], dest[400];
		struct queue_rcpt r = { .mid = mid, .rid = i, .addr = addr, .dest = dest,
			.attempts = 1, .next_try = 0, .last_error = NULL };

		if (sscanf(rcpts[i % 2], "%399s %399s", addr, dest) != 2)
			UNIT_FAIL("bad test row");
		if (queue_insert_rcpt(q, &r, &cause) < 0)
			UNIT_FAIL("insert_rcpt: %s", cause);
	}
	CHECK_INT(queue_commit(q, &cause), 0);
}

/* add_rcpts - message mid with one recipient per "addr dest" of rcpts (NULL-ended) */
static void
add_rcpts(struct queue *q, int64_t mid, const char *sender, const char *body,
    const char *const *rcpts)
{
	struct queue_msg m = {
		.mid = mid, .kind = QUEUE_KIND_NORMAL, .received = 1700000000, .sender = sender,
		.policy = "DEFAULT", .client_ip = "127.0.0.1", .listener = "in",
		.message_id = "<x@y>", .body = body, .body_len = strlen(body),
	};
	char *cause = NULL;

	CHECK_INT(queue_begin(q, 0, &cause), 0);
	if (queue_insert_msg(q, &m, &cause) < 0)
		UNIT_FAIL("insert_msg: %s", cause);
	for (int i = 0; rcpts[i]; i++) {
		char addr[400], dest[400];
		struct queue_rcpt r = { .mid = mid, .rid = i, .addr = addr, .dest = dest,
			.attempts = 0, .next_try = 0, .last_error = NULL };

		if (sscanf(rcpts[i], "%399s %399s", addr, dest) != 2)
			UNIT_FAIL("bad test row");
		if (queue_insert_rcpt(q, &r, &cause) < 0)
			UNIT_FAIL("insert_rcpt: %s", cause);
	}
	CHECK_INT(queue_commit(q, &cause), 0);
}

/* A listing as "MID/RID " words, and the longest head seen. */
struct seen {
	struct buf ids;
	size_t head_max;
	int n;
	int stop_after;		/* > 0: stop after that many rows */
};

/* seen_cb - queue_list_cb: note the row */
static int
seen_cb(const struct queue_list_row *r, void *arg)
{
	struct seen *s = arg;

	buf_printf(&s->ids, "%lld/%d ", (long long)r->mid, r->rid);
	if (r->head_len > s->head_max)
		s->head_max = r->head_len;
	s->n++;
	return s->stop_after > 0 && s->n >= s->stop_after;
}

/* listing - the rows a selection gives, as "MID/RID " words */
static char *
listing(struct queue *q, enum queue_list_by by, const char *value, int stop_after)
{
	struct seen s = { .stop_after = stop_after };
	char *cause = NULL;

	buf_init(&s.ids, 0);
	buf_addstr(&s.ids, "");
	if (queue_list_rcpts(q, by, value, seen_cb, &s, &cause) < 0)
		UNIT_FAIL("queue_list_rcpts: %s", cause);
	return buf_steal(&s.ids);
}

/* test_select - host= ignoring case, sender= with "" for <>, all; MID then RID order */
static void
test_select(void)
{
	static const char *const m1[] = { "a@Example.COM Example.COM", "b@other.test other.test",
		"c@example.com example.com", NULL };
	static const char *const m2[] = { "d@example.com example.com", NULL };
	static const char *const m3[] = { "j@intake.test the.tdc.queue",
		"e@x.test [10.0.0.1]:25", "f@x.test EXAMPLE.COM.AU", "g@x.test example.co",
		"h@x.test eXample.com", "k@x.test EXAMPLE.COM", NULL };
	struct queue *q = qopen(NULL);

	add_rcpts(q, 3, "", "Subject: 3\r\n\r\nx\r\n", m3);
	add_rcpts(q, 1, "A@Example.org", "Subject: 1\r\n\r\nx\r\n", m1);
	add_rcpts(q, 2, "b@example.org", "Subject: 2\r\n\r\nx\r\n", m2);
	CHECK_STR(listing(q, QUEUE_LIST_ALL, "", 0), "1/0 1/1 1/2 2/0 3/0 3/1 3/2 3/3 3/4 3/5 ");
	CHECK_STR(listing(q, QUEUE_LIST_HOST, "example.com", 0), "1/0 1/2 2/0 3/4 3/5 ");
	CHECK_STR(listing(q, QUEUE_LIST_HOST, "EXAMPLE.com", 0), "1/0 1/2 2/0 3/4 3/5 ");
	CHECK_STR(listing(q, QUEUE_LIST_HOST, "example.co", 0), "3/3 ");
	CHECK_STR(listing(q, QUEUE_LIST_HOST, "the.tdc.queue", 0), "3/0 ");
	CHECK_STR(listing(q, QUEUE_LIST_HOST, "[10.0.0.1]:25", 0), "3/1 ");
	CHECK_STR(listing(q, QUEUE_LIST_HOST, "nowhere.test", 0), "");
	CHECK_STR(listing(q, QUEUE_LIST_SENDER, "a@example.ORG", 0), "1/0 1/1 1/2 ");
	CHECK_STR(listing(q, QUEUE_LIST_SENDER, "", 0), "3/0 3/1 3/2 3/3 3/4 3/5 ");
	CHECK_STR(listing(q, QUEUE_LIST_SENDER, "example.org", 0), "");
	queue_close(q);
}

/* test_stop - a callback that asks to stop gets no more rows, and that is no error */
static void
test_stop(void)
{
	static const char *const m1[] = { "a@a.test a.test", "b@a.test a.test", "c@a.test a.test",
		NULL };
	struct queue *q = qopen(NULL);

	add_rcpts(q, 1, "s@s.test", "Subject: 1\r\n\r\nx\r\n", m1);
	add_rcpts(q, 2, "s@s.test", "Subject: 2\r\n\r\nx\r\n", m1);
	CHECK_STR(listing(q, QUEUE_LIST_ALL, "", 2), "1/0 1/1 ");
	CHECK_STR(listing(q, QUEUE_LIST_HOST, "A.test", 4), "1/0 1/1 1/2 2/0 ");
	CHECK_STR(listing(q, QUEUE_LIST_SENDER, "s@s.test", 1), "1/0 ");
	queue_close(q);
}

#define BIG (5 * 1024 * 1024)
#define BIG_RCPTS 300

/*
 * test_big_body - a 5 MB message to many recipients: every row hands
 * over at most QUEUE_LIST_HEAD_MAX bytes, and listing it never holds
 * the body in memory (it once read all 5 MB for every recipient)
 */
static void
test_big_body(void)
{
	static const char *const r[] = { "a@big.test big.test", "b@big.test Big.Test" };
	struct queue *q = qopen(NULL);
	struct seen s = { 0 };
	sqlite3_int64 cur, hi, base;
	char *body = xmalloc(BIG), *cause = NULL;
	const char *h = "Subject: big\r\nFrom: a@b\r\n\r\n";

	memset(body, 'x', BIG);
	memcpy(body, h, strlen(h));
	add(q, 7, "s@s.test", body, BIG, r, BIG_RCPTS);
	free(body);
	buf_init(&s.ids, 0);
	/* what the insert left cached is the base; the high-water mark starts there */
	CHECK_INT(sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &base, &hi, 1), SQLITE_OK);
	CHECK(base > 0);	/* SQLite counts its memory (SQLITE_DEFAULT_MEMSTATUS) */
	if (queue_list_rcpts(q, QUEUE_LIST_ALL, "", seen_cb, &s, &cause) < 0 ||
	    queue_list_rcpts(q, QUEUE_LIST_HOST, "big.test", seen_cb, &s, &cause) < 0 ||
	    queue_list_rcpts(q, QUEUE_LIST_SENDER, "S@s.test", seen_cb, &s, &cause) < 0)
		UNIT_FAIL("queue_list_rcpts: %s", cause);
	CHECK_INT(s.n, 3 * BIG_RCPTS);
	CHECK_INT(s.head_max, QUEUE_LIST_HEAD_MAX);
	CHECK_INT(sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &cur, &hi, 0), SQLITE_OK);
	if (hi - base > 1024 * 1024)
		UNIT_FAIL("listing raised SQLite's memory by %lld bytes", (long long)(hi - base));

	/* one message's recipients: no head at all */
	s.head_max = 0;
	s.n = 0;
	CHECK_INT(sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &base, &hi, 1), SQLITE_OK);
	if (queue_list_msg(q, 7, seen_cb, &s, &cause) < 0)
		UNIT_FAIL("queue_list_msg: %s", cause);
	CHECK_INT(s.n, BIG_RCPTS);
	CHECK_INT(s.head_max, 0);
	CHECK_INT(sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &cur, &hi, 0), SQLITE_OK);
	if (hi - base > 1024 * 1024)
		UNIT_FAIL("queue_list_msg raised SQLite's memory by %lld bytes",
		    (long long)(hi - base));
	buf_free(&s.ids);
	queue_close(q);
}

/* out_write - cli_io.write into a buffer */
static int
out_write(void *arg, const char *p, size_t n, int is_error)
{
	(void)is_error;
	buf_add(arg, p, n);
	return 0;
}

/* no_readline - the commands are given their argument */
static char *
no_readline(void *arg, const char *prompt, int *intr)
{
	(void)arg;
	(void)prompt;
	*intr = 0;
	return NULL;
}

static const struct cli_io buf_io = { no_readline, out_write, NULL, NULL };

/* run - a command line on dir, as the shell runs it; its output (len in *len) */
static char *
run(const char *dir, const char *line, size_t *len, enum cmd_ret want)
{
	static volatile sig_atomic_t intr;
	struct cli c;
	struct buf b;
	char *cause = NULL;

	memset(&c, 0, sizeof(c));
	buf_init(&b, 0);
	buf_addstr(&b, "");
	if (store_open(dir, STORE_SESSION, &c.st, &cause) < 0)
		UNIT_FAIL("store_open: %s", cause);
	c.io = &buf_io;
	c.io_arg = &b;
	c.intr = &intr;
	str_copy(c.user, "tester", sizeof(c.user));
	CHECK_INT(cmd_run_line(&c, line), want);
	queue_close(c.q);
	store_close(c.st);
	*len = b.len;
	return buf_steal(&b);
}

/* no_controls - no byte below 0x20 but \n, and no DEL, in out[0..len) */
static void
no_controls(const char *what, const char *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)out[i];

		if ((c < 0x20 && c != '\n') || c == 0x7f)
			UNIT_FAIL("%s: byte 0x%02x at %zu in:\n%s", what, c, i, out);
	}
}

/* test_controls - ESC, BEL and NUL in every field never reach the terminal */
static void
test_controls(void)
{
	static const char body[] =
	    "Subject: hi \033[31mred\007 =?utf-8?B?G1sybUo=?= tail\r\n"
	    "X-Nul: a\0b\r\n"
	    "\r\n"
	    "line \033]0;title\007 with\0nul\r\n";
	static const char *const r[] = { "x\033[2J@e.test e.test", "y\007@e.test e.test" };
	const char *dir;
	struct queue *q = qopen(&dir);
	char *out;
	size_t len;

	add(q, 5, "s\033[1m@s.test", body, sizeof(body) - 1, r, 2);
	queue_close(q);
	out = run(dir, "showrecipients all", &len, CMD_OK);
	no_controls("showrecipients", out, len);
	CHECK(strstr(out, "2 recipients shown.") != NULL);
	/* the subject is decoded (its encoded ESC too) and shown as showquarantine does */
	CHECK(strstr(out, "Subject: hi ?[31mred? ?[2mJ tail\n") != NULL);
	free(out);
	out = run(dir, "showmessage 5", &len, CMD_OK);
	no_controls("showmessage", out, len);
	/* a NUL inside a line is escaped, not an end: what follows it is shown */
	CHECK(strstr(out, "X-Nul: a\\000b\n") != NULL);
	CHECK(strstr(out, "line \\033]0;title\\007 with\\000nul\n") != NULL);
	CHECK(strstr(out, "Sender: s\\033[1m@s.test\n") != NULL);
	free(out);
}

/* test_showmessage_order - envelope first, 20 recipients then a count, last errors */
static void
test_showmessage_order(void)
{
	static const char *const r[] = { "r@many.test many.test", "q@many.test many.test" };
	const char *dir;
	struct queue *q = qopen(&dir);
	char *out, *cause = NULL, line[4000];
	const char *sender, *rcpts, *subject, *more;
	size_t len;

	setenv("TZ", "UTC", 1);
	add(q, 9, "s@s.test", "Subject: many\r\n\r\nbody\r\n", 23, r, 25);
	/* a last error with a control byte and one too long for a line */
	CHECK_INT(queue_rcpt_defer(q, 9, 0, 2, 4102444800, "451 4.3.0 \033[5mtry later", &cause),
	    0);
	memset(line, 'e', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	CHECK_INT(queue_rcpt_defer(q, 9, 1, 3, 0, line, &cause), 0);
	queue_close(q);
	out = run(dir, "showmessage 9", &len, CMD_OK);
	no_controls("showmessage", out, len);
	sender = strstr(out, "\nSender: s@s.test\n");
	rcpts = strstr(out, "\nRecipients:\n");
	more = strstr(out, "\n  ... and 5 more (showrecipients sender=<s@s.test> lists them)\n");
	subject = strstr(out, "\nSubject: many\n\n");
	if (sender == NULL || rcpts == NULL || more == NULL || subject == NULL ||
	    !(sender < rcpts && rcpts < more && more < subject))
		UNIT_FAIL("order: %s", out);
	CHECK(strstr(out, "  [19] q@many.test (many.test, 1 attempt)\n") != NULL);
	CHECK(strstr(out, "[20]") == NULL);
	CHECK(strstr(out, "      Next attempt: Fri Jan  1 ") != NULL);
	CHECK(strstr(out, " 2100 ") != NULL);
	CHECK(strstr(out, "      Last error: 451 4.3.0 \\033[5mtry later\n") != NULL);
	CHECK(strstr(out, "eeee [...]\n") != NULL);
	free(out);
}

static const struct unit_case cases[] = {
	{ "select", test_select },
	{ "stop", test_stop },
	{ "big_body", test_big_body },
	{ "controls", test_controls },
	{ "showmessage_order", test_showmessage_order },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("test_queue_list", cases, argc, argv);
}
