/*
 * test_header.c - mail/header: walking the header section (folds, bare
 * LF, missing empty line, non-header lines, limits), unfolding, scan and
 * find, table-driven.
 */
#include <stdio.h>

#include "mail/header.h"
#include "tests/unit/unit.h"

#define NROWS(t) (sizeof(t) / sizeof((t)[0]))

/* ------------------------------------------------------------------ walk */

struct collect {
	char out[4096];		/* "name=[value]" for each header, concatenated */
	size_t n;		/* bytes used */
	int stop_after;		/* non-zero: stop after this many headers */
	int seen;		/* callbacks so far */
};

/* collect_cb - record each header as name=[raw value] */
static int
collect_cb(const char *name, size_t nlen, const char *value, size_t vlen, void *arg)
{
	struct collect *c = arg;
	int w;

	w = snprintf(c->out + c->n, sizeof(c->out) - c->n, "%.*s=[%.*s]", (int)nlen, name,
	    (int)vlen, value);
	if (w < 0 || (size_t)w >= sizeof(c->out) - c->n)
		UNIT_FAIL("collect buffer too small");
	c->n += (size_t)w;
	return ++c->seen == c->stop_after;
}

struct walk_row {
	const char *msg;	/* message */
	size_t len;		/* 0: strlen(msg) */
	int ret;		/* expected header_walk result */
	long body_off;		/* expected *body_off; -1: len */
	const char *headers;	/* expected collect output */
};

static const struct walk_row walk_rows[] = {
	{ "From: a@b\r\nSubject: hi\r\n\r\nbody\r\n", 0, 2, 26, "From=[a@b]Subject=[hi]" },
	{ "From: a@b\nSubject: hi\n\nbody\n", 0, 2, 23, "From=[a@b]Subject=[hi]" },
	{ "From: a@b\r\nSubject: hi\n\r\nbody", 0, 2, 25, "From=[a@b]Subject=[hi]" },
	/* folded: the raw value keeps the line breaks */
	{ "Subject: a\r\n b\r\n\tc\r\nX: y\r\n\r\n", 0, 2, 28, "Subject=[a\r\n b\r\n\tc]X=[y]" },
	{ "Subject: a\n b\n\n", 0, 1, 15, "Subject=[a\n b]" },
	{ "Subject:\r\n folded\r\n\r\n", 0, 1, 21, "Subject=[\r\n folded]" },
	{ "Subject: a\r\n \r\n\r\nbody", 0, 1, 17, "Subject=[a\r\n ]" },
	/* no body, no empty line, no final line end */
	{ "Subject: x\r\n\r\n", 0, 1, -1, "Subject=[x]" },
	{ "Subject: x\r\nFrom: y\r\n", 0, 2, -1, "Subject=[x]From=[y]" },
	{ "Subject: x", 0, 1, -1, "Subject=[x]" },
	{ "Subject: x\r", 0, 1, -1, "Subject=[x]" },
	{ "Subject: x\r\n folded", 0, 1, -1, "Subject=[x\r\n folded]" },
	{ "Subject:", 0, 1, -1, "Subject=[]" },
	{ "", 0, 0, 0, "" },
	{ "\r\n", 0, 0, 2, "" },
	{ "\n", 0, 0, 1, "" },
	{ "\r\nSubject: not a header\r\n", 0, 0, 2, "" },
	/* a line that is neither header nor continuation starts the body */
	{ "Subject: x\r\nnot a header\r\nFrom: y\r\n", 0, 1, 12, "Subject=[x]" },
	{ "From sender Mon Jan 1 00:00:00 2024\nSubject: x\n", 0, 0, 0, "" },
	{ " continuation first: x\r\n", 0, 0, 0, "" },
	{ "\tX: y\r\n", 0, 0, 0, "" },
	{ ":x\r\n", 0, 0, 0, "" },
	{ "Subject\r\n", 0, 0, 0, "" },
	{ "Subject", 0, 0, 0, "" },
	{ "Sub ject: x\r\n", 0, 0, 0, "" },
	{ "Subj\xc3\xa9: x\r\n", 0, 0, 0, "" },
	{ "X: y\r\n\rZ: w\r\n", 0, 1, 6, "X=[y]" },
	{ "X: y\r\nA\0B: c\r\n", 14, 1, 6, "X=[y]" },
	/* obsolete white space before the colon; tabs; empty values */
	{ "Subject : x\r\n\r\n", 0, 1, 15, "Subject=[x]" },
	{ "Subject\t:\tx\t\r\n\r\n", 0, 1, 16, "Subject=[x\t]" },
	{ "X-Empty:\r\nX-Sp:   \r\n\r\n", 0, 2, 22, "X-Empty=[]X-Sp=[]" },
	{ "a:b:c\r\n\r\n", 0, 1, 9, "a=[b:c]" },
	/* a stray CR is not a line end */
	{ "Subject: a\rFrom: b\r\n\r\n", 0, 1, 22, "Subject=[a\rFrom: b]" },
	/* raw bytes pass through */
	{ "Subject: caf\xc3\xa9\r\n\r\n", 0, 1, 18, "Subject=[caf\xc3\xa9]" },
	/* duplicates are all reported */
	{ "Subject: one\r\nSubject: two\r\n\r\n", 0, 2, 30, "Subject=[one]Subject=[two]" },
};

static void
test_walk_table(void)
{
	for (size_t i = 0; i < NROWS(walk_rows); i++) {
		const struct walk_row *t = &walk_rows[i];
		struct collect c = { .n = 0 };
		size_t len = t->len ? t->len : strlen(t->msg), body_off = 12345;
		size_t want_off = t->body_off < 0 ? len : (size_t)t->body_off;
		int ret = header_walk(t->msg, len, collect_cb, &c, &body_off);

		c.out[c.n] = '\0';
		if (ret != t->ret || body_off != want_off || strcmp(c.out, t->headers) != 0)
			UNIT_FAIL("row %zu: ret %d body_off %zu (want %zu) headers \"%s\"", i, ret,
			    body_off, want_off, c.out);
	}
}

static void
test_walk_null_cb(void)
{
	size_t off;

	CHECK_INT(header_walk("A: 1\r\nB: 2\r\n\r\nx", 15, NULL, NULL, &off), 2);
	CHECK_INT(off, 14);
}

static void
test_walk_stop(void)
{
	const char *msg = "A: 1\r\nB: 2\r\nC: 3\r\n\r\n";
	struct collect c = { .stop_after = 2 };
	size_t off;

	CHECK_INT(header_walk(msg, strlen(msg), collect_cb, &c, &off), 2);
	CHECK_INT(off, 12);
	c.out[c.n] = '\0';
	CHECK_STR(c.out, "A=[1]B=[2]");
}

/* count_cb - count headers */
static int
count_cb(const char *name, size_t nlen, const char *value, size_t vlen, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void
test_walk_count_limit(void)
{
	static char msg[HEADER_MAX_COUNT * 12 + 100];
	size_t n = 0, off;
	int seen = 0;

	for (int i = 0; i < HEADER_MAX_COUNT; i++)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "X: %d\r\n", i);
	memcpy(msg + n, "\r\nbody", 6);
	CHECK_INT(header_walk(msg, n + 6, count_cb, &seen, &off), HEADER_MAX_COUNT);
	CHECK_INT(seen, HEADER_MAX_COUNT);
	CHECK_INT(off, n + 2);
	/* one more header */
	memcpy(msg + n, "Y: z\r\n\r\n", 8);
	seen = 0;
	CHECK_INT(header_walk(msg, n + 8, count_cb, &seen, &off), -1);
	CHECK_INT(seen, HEADER_MAX_COUNT);
	CHECK_INT(off, n);
	/* but a non-header line after 1000 headers is just the body */
	memcpy(msg + n, "body\r\n", 6);
	CHECK_INT(header_walk(msg, n + 6, NULL, NULL, &off), HEADER_MAX_COUNT);
	CHECK_INT(off, n);
}

static void
test_walk_length_limit(void)
{
	static char msg[HEADER_MAX_LEN * 2 + 100];
	size_t off;
	int seen = 0;

	/* "X: " + value + "\r\n" of exactly HEADER_MAX_LEN bytes, then one more header */
	memset(msg, 'v', sizeof(msg));
	memcpy(msg, "X: ", 3);
	memcpy(msg + HEADER_MAX_LEN - 2, "\r\nY: z\r\n\r\n", 10);
	CHECK_INT(header_walk(msg, HEADER_MAX_LEN + 8, count_cb, &seen, &off), 2);
	CHECK_INT(off, HEADER_MAX_LEN + 8);
	/* one byte longer is refused, and nothing of it is reported */
	memset(msg, 'v', sizeof(msg));
	memcpy(msg, "X: ", 3);
	memcpy(msg + HEADER_MAX_LEN - 1, "\r\nY: z\r\n\r\n", 10);
	seen = 0;
	CHECK_INT(header_walk(msg, HEADER_MAX_LEN + 9, count_cb, &seen, &off), -1);
	CHECK_INT(seen, 0);
	CHECK_INT(off, 0);
	/* the same through folding */
	memset(msg, ' ', sizeof(msg));
	memcpy(msg, "A: 1\r\nX: ", 9);
	for (size_t i = 20; i < HEADER_MAX_LEN + 50; i += 100)
		memcpy(msg + i, "\r\n", 2);
	memcpy(msg + HEADER_MAX_LEN + 60, "\r\n\r\n", 4);
	seen = 0;
	CHECK_INT(header_walk(msg, HEADER_MAX_LEN + 64, count_cb, &seen, &off), -1);
	CHECK_INT(seen, 1);
	CHECK_INT(off, 6);
	/* an endless line: no line end in sight */
	memset(msg, 'v', sizeof(msg));
	memcpy(msg, "X: ", 3);
	CHECK_INT(header_walk(msg, sizeof(msg), NULL, NULL, &off), -1);
	/* an endless field name */
	memset(msg, 'n', sizeof(msg));
	CHECK_INT(header_walk(msg, sizeof(msg), NULL, NULL, &off), -1);
	/* a header that ends the input just inside the limit */
	memset(msg, 'v', sizeof(msg));
	memcpy(msg, "X: ", 3);
	CHECK_INT(header_walk(msg, HEADER_MAX_LEN, NULL, NULL, &off), 1);
	CHECK_INT(off, HEADER_MAX_LEN);
}

/* ------------------------------------------------------------------ unfold */

struct unfold_row {
	const char *in;		/* raw value */
	size_t len;		/* 0: strlen(in) */
	size_t size;		/* output buffer size; 0: 256 */
	const char *out;	/* expected */
};

static const struct unfold_row unfold_rows[] = {
	{ "plain", 0, 0, "plain" },
	{ "a\r\n b", 0, 0, "a b" },
	{ "a\r\n\t\tb\r\n   c", 0, 0, "a b c" },
	{ "a\n b", 0, 0, "a b" },
	{ "a \r\n b", 0, 0, "a b" },
	{ "  lead and trail \t ", 0, 0, "lead and trail" },
	{ "\r\n folded start", 0, 0, "folded start" },
	{ "end fold\r\n ", 0, 0, "end fold" },
	{ "keep  two\tspaces", 0, 0, "keep  two\tspaces" },
	{ "stray\rcr", 0, 0, "stray cr" },
	{ "a\0b", 3, 0, "a?b" },
	{ "", 0, 0, "" },
	{ " \r\n \t", 0, 0, "" },
	{ "<id@example.com>", 0, 0, "<id@example.com>" },
	{ "=?UTF-8?B?w6k=?=", 0, 0, "=?UTF-8?B?w6k=?=" },
	{ "caf\xc3\xa9", 0, 0, "caf\xc3\xa9" },
	/* truncation */
	{ "abcdef", 0, 4, "abc" },
	{ "abcdef", 0, 1, "" },
	{ "ab\r\n cd", 0, 4, "ab" },
	{ "ab cd", 0, 4, "ab" },
	{ "caf\xc3\xa9", 0, 5, "caf" },
	{ "caf\xc3\xa9", 0, 6, "caf\xc3\xa9" },
	{ "\xe2\x82\xac\xe2\x82\xac", 0, 6, "\xe2\x82\xac" },
	{ "\xe2\x82\xac\xe2\x82\xac", 0, 5, "\xe2\x82\xac" },
	{ "\xe2\x82\xac\xe2\x82\xac", 0, 4, "\xe2\x82\xac" },
	{ "\xe2\x82\xac\xe2\x82\xac", 0, 3, "" },
};

static void
test_unfold_table(void)
{
	for (size_t i = 0; i < NROWS(unfold_rows); i++) {
		const struct unfold_row *t = &unfold_rows[i];
		char out[256];
		size_t size = t->size ? t->size : sizeof(out);
		size_t len = t->len ? t->len : strlen(t->in);
		size_t n;

		memset(out, 'Z', sizeof(out));
		n = header_unfold(t->in, len, out, size);
		if (n != strlen(t->out) || strcmp(out, t->out) != 0)
			UNIT_FAIL("row %zu: \"%s\" (%zu), expected \"%s\"", i, out, n, t->out);
		/* nothing written past size */
		for (size_t k = size; k < sizeof(out); k++)
			CHECK(out[k] == 'Z');
	}
	CHECK_INT(header_unfold("abc", 3, NULL, 0), 0);
}

/* ------------------------------------------------------------------ scan and find */

static const char scan_msg[] =
	"Received: from x by y; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	"Message-ID: <abc.123@example.com>\r\n"
	"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	"from: \"Alice\" <alice@example.com>\r\n"
	"Subject: Quarterly\r\n"
	"  report\r\n"
	"SUBJECT: second subject\r\n"
	"Message-Id: <second@example.com>\r\n"
	"\r\n"
	"Subject: in the body\r\n";

static void
test_scan(void)
{
	struct header_info hi;

	CHECK_INT(header_scan(scan_msg, sizeof(scan_msg) - 1, &hi), 7);
	CHECK_STR(hi.message_id, "<abc.123@example.com>");
	CHECK_STR(hi.subject, "Quarterly report");
	CHECK_STR(hi.from, "\"Alice\" <alice@example.com>");
	CHECK_STR(hi.date, "Mon, 1 Jan 2024 00:00:00 +0000");
	CHECK_INT(hi.has_message_id, 1);
	CHECK_INT(hi.has_date, 1);
	CHECK_INT(hi.has_from, 1);
	CHECK_INT(hi.has_subject, 1);
	CHECK_INT(hi.nheaders, 7);
	CHECK_STR(scan_msg + hi.body_off, "Subject: in the body\r\n");
}

static void
test_scan_missing(void)
{
	struct header_info hi;
	const char *msg = "X-Mailer: test\n\nbody";

	CHECK_INT(header_scan(msg, strlen(msg), &hi), 1);
	CHECK_STR(hi.message_id, "");
	CHECK_STR(hi.subject, "");
	CHECK_STR(hi.from, "");
	CHECK_STR(hi.date, "");
	CHECK_INT(hi.has_message_id + hi.has_date + hi.has_from + hi.has_subject, 0);
	CHECK_INT(hi.body_off, 16);
	/* an empty first Subject still is the first one */
	msg = "Subject:\r\nSubject: later\r\n\r\n";
	CHECK_INT(header_scan(msg, strlen(msg), &hi), 2);
	CHECK_INT(hi.has_subject, 1);
	CHECK_STR(hi.subject, "");
}

static void
test_scan_long_values(void)
{
	static char msg[5000];
	struct header_info hi;
	size_t n;

	memcpy(msg, "Subject: ", 9);
	memset(msg + 9, 's', 3000);
	n = 9 + 3000;
	memcpy(msg + n, "\r\nDate: ", 8);
	n += 8;
	memset(msg + n, 'd', 500);
	n += 500;
	memcpy(msg + n, "\r\n\r\n", 4);
	n += 4;
	CHECK_INT(header_scan(msg, n, &hi), 2);
	CHECK_INT(strlen(hi.subject), sizeof(hi.subject) - 1);
	CHECK_INT(strlen(hi.date), sizeof(hi.date) - 1);
	CHECK_INT(hi.body_off, n);
}

static void
test_scan_limit(void)
{
	static char msg[HEADER_MAX_COUNT * 12 + 200];
	struct header_info hi;
	size_t n;

	n = (size_t)snprintf(msg, sizeof(msg), "Subject: early\r\n");
	for (int i = 0; i < HEADER_MAX_COUNT; i++)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "X: %d\r\n", i);
	n += (size_t)snprintf(msg + n, sizeof(msg) - n, "Message-ID: <late@x>\r\n\r\n");
	CHECK_INT(header_scan(msg, n, &hi), -1);
	CHECK_STR(hi.subject, "early");
	CHECK_INT(hi.has_message_id, 0);
	CHECK_INT(hi.nheaders, HEADER_MAX_COUNT);
}

struct find_row {
	const char *name;	/* header to find */
	int found;		/* expected result */
	const char *value;	/* expected value */
};

static const struct find_row find_rows[] = {
	{ "Subject", 1, "Quarterly report" },
	{ "subject", 1, "Quarterly report" },
	{ "MESSAGE-ID", 1, "<abc.123@example.com>" },
	{ "From", 1, "\"Alice\" <alice@example.com>" },
	{ "Received", 1, "from x by y; Mon, 1 Jan 2024 00:00:00 +0000" },
	{ "To", 0, "" },
	{ "Subj", 0, "" },
	{ "Subjects", 0, "" },
	{ "", 0, "" },
};

static void
test_find_table(void)
{
	char out[100];

	for (size_t i = 0; i < NROWS(find_rows); i++) {
		const struct find_row *t = &find_rows[i];
		int found = header_find(scan_msg, sizeof(scan_msg) - 1, t->name, out, sizeof(out));

		if (found != t->found || strcmp(out, t->value) != 0)
			UNIT_FAIL("row %zu \"%s\": found %d \"%s\"", i, t->name, found, out);
	}
	/* truncated into a small buffer */
	CHECK_INT(header_find(scan_msg, sizeof(scan_msg) - 1, "Subject", out, 6), 1);
	CHECK_STR(out, "Quart");
	/* headers after a non-header line are body */
	CHECK_INT(header_find("A: 1\nbody\nB: 2\n", 15, "B", out, sizeof(out)), 0);
	CHECK_STR(out, "");
	/* LF-only, folded with a tab */
	CHECK_INT(header_find("Subject: a\n\tb\n\n", 15, "subject", out, sizeof(out)), 1);
	CHECK_STR(out, "a b");
}

static const struct unit_case cases[] = {
	{ "walk_table", test_walk_table },
	{ "walk_null_cb", test_walk_null_cb },
	{ "walk_stop", test_walk_stop },
	{ "walk_count_limit", test_walk_count_limit },
	{ "walk_length_limit", test_walk_length_limit },
	{ "unfold_table", test_unfold_table },
	{ "scan", test_scan },
	{ "scan_missing", test_scan_missing },
	{ "scan_long_values", test_scan_long_values },
	{ "scan_limit", test_scan_limit },
	{ "find_table", test_find_table },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("header", cases, argc, argv);
}
