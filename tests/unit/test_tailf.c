/*
 * test_tailf.c - the end of a file and what follows (util/tailf.c): where
 * the last N lines begin (with and without a final newline, across block
 * boundaries, N larger than the file), that a big file is not read whole,
 * appends, a rollover (rename and a new file at the path, with late lines
 * in the old one), truncation, a file that appears later, long lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include "util/buf.h"
#include "util/str.h"
#include "util/tailf.h"
#include "tests/unit/unit.h"

/* put - write text to path (mode "w" or "a") */
static void
put(const char *path, const char *mode, const char *text)
{
	FILE *f = fopen(path, mode);

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		UNIT_FAIL("cannot write %s", path);
}

/* offset_of - tailf_offset of text's last n lines */
static long
offset_of(const char *dir, const char *text, long n)
{
	char *path = str_printf("%s/f", dir);
	off_t off = -1;
	int fd;

	put(path, "w", text);
	fd = open(path, O_RDONLY);
	if (fd < 0 || tailf_offset(fd, n, &off) < 0)
		UNIT_FAIL("tailf_offset failed");
	close(fd);
	free(path);
	return (long)off;
}

/* drain - everything tailf_next returns now, appended to b */
static void
drain(struct tailf *t, struct buf *b)
{
	const char *p;
	size_t len;

	while ((p = tailf_next(t, &len)) != NULL)
		buf_add(b, p, len);
}

/* follow_until - poll t (up to 6 s) until b contains want */
static int
follow_until(struct tailf *t, struct buf *b, const char *want)
{
	for (int i = 0; i < 120; i++) {
		drain(t, b);
		if (b->data && strstr(b->data, want))
			return 1;
		nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
	}
	return 0;
}

/* test_offset - the start of the last n lines */
static void
test_offset(void)
{
	char *dir = unit_tmpdir();

	CHECK_INT(offset_of(dir, "", 3), 0);
	CHECK_INT(offset_of(dir, "a\nb\nc\n", 0), 6);
	CHECK_INT(offset_of(dir, "a\nb\nc\n", 1), 4);
	CHECK_INT(offset_of(dir, "a\nb\nc\n", 2), 2);
	CHECK_INT(offset_of(dir, "a\nb\nc\n", 3), 0);
	CHECK_INT(offset_of(dir, "a\nb\nc\n", 99), 0);
	/* an unterminated last line is a line; n 0 starts at it */
	CHECK_INT(offset_of(dir, "a\nb\nc", 0), 4);
	CHECK_INT(offset_of(dir, "a\nb\nc", 1), 4);
	CHECK_INT(offset_of(dir, "a\nb\nc", 2), 2);
	CHECK_INT(offset_of(dir, "\n\n\n", 2), 1);
	CHECK_INT(offset_of(dir, "x", 5), 0);
	CHECK_INT(offset_of(dir, "\n", 1), 0);
}

/* test_blocks - lines spread over several backward blocks */
static void
test_blocks(void)
{
	char *dir = unit_tmpdir(), line[200];
	struct buf b;
	long total = 0, start;

	buf_init(&b, 0);
	for (int i = 0; i < 3000; i++) {
		/* lines of varied length, 1..150 bytes */
		int len = 1 + (i * 37) % 150;

		memset(line, 'a' + i % 26, (size_t)len);
		line[len] = '\n';
		buf_add(&b, line, (size_t)len + 1);
		if (i >= 3000 - 1234)
			total += len + 1;
	}
	start = (long)b.len - total;
	CHECK_INT(offset_of(dir, b.data, 1234), start);
	CHECK_INT(offset_of(dir, b.data, 3000), 0);
	CHECK_INT(offset_of(dir, b.data, 2999), 2);	/* the first line is "a" */
	buf_free(&b);
}

/* test_big_file - the last lines of a 1 GB sparse file without reading it */
static void
test_big_file(void)
{
	char *dir = unit_tmpdir(), *path = str_printf("%s/big", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	struct timespec a, z;
	struct buf b;
	struct tailf *t;
	char *cause = NULL;

	/* a hole of zeros (no newline) then three lines: a whole-file read would take seconds */
	if (fd < 0 || ftruncate(fd, 1024L * 1024 * 1024) < 0 ||
	    pwrite(fd, "\none\ntwo\nthree\n", 15, 1024L * 1024 * 1024) != 15)
		UNIT_FAIL("cannot make the big file");
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &a);
	t = tailf_open(path, 2, &cause);
	CHECK(t != NULL);
	buf_init(&b, 0);
	drain(t, &b);
	clock_gettime(CLOCK_MONOTONIC, &z);
	CHECK_STR(b.data, "two\nthree\n");
	CHECK((z.tv_sec - a.tv_sec) * 1000 + (z.tv_nsec - a.tv_nsec) / 1000000 < 500);
	tailf_close(t);
	buf_free(&b);
	unlink(path);
	free(path);
}

/* test_follow - appends, rollover with late lines, truncation, late creation */
static void
test_follow(void)
{
	char *dir = unit_tmpdir(), *path = str_printf("%s/mail.current", dir);
	char *rolled = str_printf("%s/mail.@20261122T101500.s", dir), *cause = NULL;
	struct tailf *t;
	struct buf b;
	const char *p;
	size_t len;

	/* the path does not exist yet: waited for, then read from its start */
	t = tailf_open(path, 10, &cause);
	CHECK(t != NULL);
	buf_init(&b, 0);
	drain(t, &b);
	CHECK_INT(b.len, 0);
	put(path, "w", "first\n");
	CHECK(follow_until(t, &b, "first\n"));

	/* appends; a partial line waits for its end */
	put(path, "a", "second\nthi");
	CHECK(follow_until(t, &b, "second\n"));
	CHECK(strstr(b.data, "thi") == NULL);
	p = tailf_rest(t, &len);
	CHECK_INT(len, 3);
	CHECK(memcmp(p, "thi", 3) == 0);
	put(path, "a", "rd\n");
	CHECK(follow_until(t, &b, "third\n"));

	/* rolled over: a late line in the old file, then the new file from its start */
	CHECK_INT(rename(path, rolled), 0);
	put(path, "w", "new one\n");
	put(rolled, "a", "late\n");
	CHECK(follow_until(t, &b, "late\n"));
	CHECK(follow_until(t, &b, "new one\n"));
	CHECK(strstr(b.data, "late\n") < strstr(b.data, "new one\n"));	/* order kept */
	put(path, "a", "new two\n");
	CHECK(follow_until(t, &b, "new two\n"));

	/* truncated in place: read again from the start */
	put(path, "w", "");
	put(path, "a", "after truncate\n");
	CHECK(follow_until(t, &b, "after truncate\n"));
	CHECK_STR(b.data, "first\nsecond\nthird\nlate\nnew one\nnew two\nafter truncate\n");
	tailf_close(t);
	buf_free(&b);
	free(path);
	free(rolled);
}

/* test_long_line - a line longer than the buffer comes in pieces, nothing lost */
static void
test_long_line(void)
{
	char *dir = unit_tmpdir(), *path = str_printf("%s/long", dir), *cause = NULL;
	size_t n = TAILF_LINE_MAX * 2 + 100;
	char *text = xmalloc(n + 8);
	struct tailf *t;
	struct buf b;

	memset(text, 'x', n);
	memcpy(text + n, "\nend\n", 6);
	put(path, "w", text);
	t = tailf_open(path, 2, &cause);
	CHECK(t != NULL);
	buf_init(&b, 0);
	drain(t, &b);
	CHECK_INT(b.len, n + 5);
	CHECK(memcmp(b.data + n, "\nend\n", 5) == 0);
	tailf_close(t);
	buf_free(&b);
	free(text);
	free(path);
}

/* test_unreadable - an existing file that cannot be read is an error with a cause */
static void
test_unreadable(void)
{
	char *dir = unit_tmpdir(), *path = str_printf("%s/sub", dir), *cause = NULL;
	struct tailf *t;

	CHECK_INT(mkdir(path, 0700), 0);
	t = tailf_open(path, 3, &cause);	/* a directory: open works, reading does not */
	CHECK(t == NULL);
	CHECK(cause != NULL && strstr(cause, path) != NULL);
	free(cause);
	free(path);
}

static const struct unit_case cases[] = {
	{ "offset", test_offset },
	{ "blocks", test_blocks },
	{ "big_file", test_big_file },
	{ "follow", test_follow },
	{ "long_line", test_long_line },
	{ "unreadable", test_unreadable },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("tailf", cases, argc, argv);
}
