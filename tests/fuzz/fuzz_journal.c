/*
 * fuzz_journal.c - libFuzzer harness for mail/journal.
 *
 * The input is "SUBJECT\0SENDER\0ORIGINAL": text an attacker controls.
 * The copy must keep the original byte for byte inside its message/rfc822
 * part (after the remote-IP header, up to the CRLF that belongs to the
 * closing delimiter), must use a boundary that occurs nowhere in the
 * original, and must have a header section made only of the fields
 * journal_build writes, one line each: attacker text cannot add one.
 * Failed invariants abort().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - abort (a libFuzzer crash) when an invariant fails */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* field - the part of the input up to the next NUL (malloc'd, NUL-terminated) */
static char *
field(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *z = memchr(*p, 0, (size_t)(end - *p));
	size_t n = z ? (size_t)(z - *p) : (size_t)(end - *p);
	char *s = malloc(n + 1);

	memcpy(s, *p, n);
	s[n] = '\0';
	*p += z ? n + 1 : n;
	return s;
}

static const char *const fields[] = {
	"From: ", "To: ", "Subject: ", "Date: ", "Message-ID: ", "X-IronPort-RemoteIP: ",
	"Auto-Submitted: ", "MIME-Version: ", "Content-Type: ", "Content-Transfer-Encoding: ",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	char *subject = field(&p, end), *sender = field(&p, end);
	const char *orig = (const char *)p, *rcpts[1] = { "x@example.test" };
	size_t olen = (size_t)(end - p), len, hend;
	struct journal_in in = { .hostname = "gw.test", .intake = "j@intake.test",
		.ip_header = "X-IronPort-RemoteIP", .client_ip = "192.0.2.1", .sender = sender,
		.rcpts = rcpts, .nrcpts = 1, .orig_mid = 1, .copy_mid = 2, .policy = "DEFAULT",
		.message_id = subject, .subject = subject, .orig = orig, .orig_len = olen,
		.now = 1796181557 };
	char *copy = journal_build(&in, &len), *b, *e, delim[160], partline[200];
	const char *part, *att, *tail;
	static const char top[] = "X-IronPort-RemoteIP: 192.0.2.1\r\n";

	check(strlen(copy) <= len);
	/* the header section: our fields only, each on one line */
	hend = (size_t)(strstr(copy, "\r\n\r\n") - copy) + 2;
	for (size_t i = 0; i < hend;) {
		size_t k, n = (size_t)(strstr(copy + i, "\r\n") - (copy + i));
		int known = 0;

		for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
			if (strncmp(copy + i, fields[k], strlen(fields[k])) == 0)
				known = 1;
		check(known && memchr(copy + i, '\n', n) == NULL);
		i += n + 2;
	}
	/* the boundary occurs nowhere in the original */
	b = strstr(copy, "\r\nContent-Type: multipart/mixed; boundary=\"");
	check(b != NULL && (size_t)(b - copy) < hend);
	b += 43;
	e = strchr(b, '"');
	*e = '\0';
	check(olen < strlen(b) || memmem(orig, olen, b, strlen(b)) == NULL);
	snprintf(delim, sizeof(delim), "\r\n--%s--\r\n", b);
	/*
	 * the attached original, byte for byte: its part starts at a line of
	 * the boundary (the subject in the text part may say "Content-Type:
	 * message/rfc822" too, but never at the start of a line)
	 */
	snprintf(partline, sizeof(partline), "\r\n--%s\r\nContent-Type: message/rfc822\r\n", b);
	*e = '"';
	part = memmem(copy, len, partline, strlen(partline));
	check(part != NULL);
	att = memmem(part, len - (size_t)(part - copy), "\r\n\r\n", 4);
	check(att != NULL);
	att += 4;
	check(strncmp(att, top, sizeof(top) - 1) == 0);
	att += sizeof(top) - 1;
	tail = copy + len - strlen(delim);
	check(tail >= att && (size_t)(tail - att) == olen && memcmp(att, orig, olen) == 0);
	check(strcmp(tail, delim) == 0);
	free(copy);
	free(subject);
	free(sender);
	return 0;
}
