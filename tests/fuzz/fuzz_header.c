/*
 * fuzz_header.c - libFuzzer harness for mail/header.
 *
 * The input is a message. Every header header_walk() reports is checked
 * to lie inside the input with a well-formed name, and its value is
 * unfolded into a large buffer and into a small one whose size comes
 * from the first input byte (truncation must give a prefix of the full
 * result, NUL-terminated, without CR, LF or edge white space). Then
 * header_scan() and header_find() must agree with each other and with
 * the walk. Failed invariants abort().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_ctx {
	const char *msg;	/* the input */
	size_t len;		/* its length */
	size_t small;		/* small unfold buffer size, 1..256 */
	int calls;		/* callbacks so far */
};

/* check - abort (a libFuzzer crash) when an invariant fails */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* check_unfolded - out[size] holds a proper header_unfold result of n bytes */
static void
check_unfolded(const char *out, size_t n, size_t size)
{
	check(n < size && out[n] == '\0' && strlen(out) == n);
	check(memchr(out, '\r', n) == NULL && memchr(out, '\n', n) == NULL);
	if (n > 0) {
		check(out[0] != ' ' && out[0] != '\t');
		check(out[n - 1] != ' ' && out[n - 1] != '\t');
	}
}

/* walk_cb - invariants of one reported header */
static int
walk_cb(const char *name, size_t nlen, const char *value, size_t vlen, void *arg)
{
	struct fuzz_ctx *c = arg;
	static char big[HEADER_MAX_LEN + 1];
	char small[256];
	size_t nb, ns;

	check(++c->calls <= HEADER_MAX_COUNT);
	check(nlen > 0 && name >= c->msg && name + nlen <= c->msg + c->len);
	check(value >= name + nlen + 1 && value + vlen <= c->msg + c->len);
	check((size_t)(value + vlen - name) <= HEADER_MAX_LEN);
	for (size_t i = 0; i < nlen; i++)
		check(name[i] > 32 && name[i] < 127 && name[i] != ':');
	nb = header_unfold(value, vlen, big, sizeof(big));
	check_unfolded(big, nb, sizeof(big));
	check(nb <= vlen);
	ns = header_unfold(value, vlen, small, c->small);
	check_unfolded(small, ns, c->small);
	check(ns <= nb && memcmp(small, big, ns) == 0);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct header_info hi;
	static char found[sizeof(hi.subject)];
	struct fuzz_ctx c;
	const char *msg;
	size_t len, body_off;
	int ret, ret2, f;

	if (size == 0)
		return 0;
	c.small = (size_t)data[0] + 1;
	/* the input itself, unterminated, so ASan catches any read past len */
	msg = (const char *)data + 1;
	len = size - 1;
	c.msg = msg;
	c.len = len;
	c.calls = 0;

	ret = header_walk(msg, len, walk_cb, &c, &body_off);
	check(ret >= -1 && ret <= HEADER_MAX_COUNT);
	check(body_off <= len);
	if (ret >= 0) {
		check(ret == c.calls);
		/* the body starts at a line start, or the input ended in the headers */
		check(body_off == len || body_off == 0 || msg[body_off - 1] == '\n');
	}

	ret2 = header_scan(msg, len, &hi);
	check(ret2 == ret && hi.body_off == body_off);
	check(hi.nheaders == (ret >= 0 ? ret : c.calls));
	check(strnlen(hi.message_id, sizeof(hi.message_id)) < sizeof(hi.message_id));
	check(strnlen(hi.subject, sizeof(hi.subject)) < sizeof(hi.subject));
	check(strnlen(hi.from, sizeof(hi.from)) < sizeof(hi.from));
	check(strnlen(hi.date, sizeof(hi.date)) < sizeof(hi.date));
	check(hi.has_message_id || hi.message_id[0] == '\0');

	f = header_find(msg, len, "subject", found, sizeof(found));
	check(f == hi.has_subject);
	check(strcmp(found, hi.subject) == 0);
	f = header_find(msg, len, "Message-Id", found, 2);
	check(f == hi.has_message_id && strlen(found) <= 1);
	return 0;
}
