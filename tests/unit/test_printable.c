/*
 * test_printable.c - util/printable.c: printable_copy escapes control,
 * backslash and non-ASCII bytes as \ooo, a NUL inside a given length
 * too (PRINTABLE_STR stops at it, as callers with strings want), cuts
 * at whole escapes and says when it cut; printable_utf8 keeps UTF-8,
 * turns control characters into '?' and cuts with "..." at a character
 * boundary (showquarantine's and showrecipients' text).
 */
#include <stdlib.h>

#include "tests/unit/unit.h"
#include "util/printable.h"

/* test_copy - escapes and the NUL: a length escapes it, PRINTABLE_STR ends there */
static void
test_copy(void)
{
	char out[64];

	CHECK_INT(printable_copy(out, sizeof(out), "a\033[1mb\\", 7, 0), 0);
	CHECK_STR(out, "a\\033[1mb\\134");
	CHECK_INT(printable_copy(out, sizeof(out), "a\0b\007", 4, 0), 0);
	CHECK_STR(out, "a\\000b\\007");
	CHECK_INT(printable_copy(out, sizeof(out), "a\0b", PRINTABLE_STR, 0), 0);
	CHECK_STR(out, "a");
	CHECK_INT(printable_copy(out, sizeof(out), "\xc3\xa9", 2, 0), 0);
	CHECK_STR(out, "\\303\\251");
	CHECK_INT(printable_copy(out, sizeof(out), "", 0, 0), 0);
	CHECK_STR(out, "");
}

/* test_cut - cut at maxout or the buffer, never inside an escape, and said so */
static void
test_cut(void)
{
	char out[64], small[6];

	CHECK_INT(printable_copy(out, sizeof(out), "abcdef", 6, 4), 1);
	CHECK_STR(out, "abcd");
	CHECK_INT(printable_copy(out, sizeof(out), "abcd", 4, 4), 0);
	CHECK_STR(out, "abcd");
	CHECK_INT(printable_copy(out, sizeof(out), "ab\001", 3, 5), 1);
	CHECK_STR(out, "ab");
	CHECK_INT(printable_copy(out, sizeof(out), "abc\0", 4, 6), 1);
	CHECK_STR(out, "abc");
	CHECK_INT(printable_copy(small, sizeof(small), "abcdefgh", PRINTABLE_STR, 0), 1);
	CHECK_STR(small, "abcde");
	CHECK_INT(printable_copy(small, sizeof(small), "abcde", PRINTABLE_STR, 0), 0);
}

/* test_utf8 - UTF-8 kept, C0, DEL and C1 as '?', "..." at a character boundary */
static void
test_utf8(void)
{
	char *p;

	p = printable_utf8("caf\xc3\xa9 \033[2J\x7f\xc2\x9b!", 100);
	CHECK_STR(p, "caf\xc3\xa9 ?[2J?\?\?!");
	free(p);
	p = printable_utf8("ab\xc3\xa9xyz", 6);
	CHECK_STR(p, "ab...");
	free(p);
	p = printable_utf8("abcdef", 6);
	CHECK_STR(p, "abcdef");
	free(p);
	p = printable_utf8("abcdefg", 6);
	CHECK_STR(p, "abc...");
	free(p);
}

static const struct unit_case cases[] = {
	{ "copy", test_copy },
	{ "cut", test_cut },
	{ "utf8", test_utf8 },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("test_printable", cases, argc, argv);
}
