/*
 * test_journal.c - mail/journal (the Threat Defense Connector's copy) and
 * daemon/tdc's reading of seed 002's retry table, table-driven.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "daemon/tdc.h"
#include "daemon/trouble.h"
#include "mail/journal.h"
#include "tests/unit/unit.h"

#define NROWS(t) (sizeof(t) / sizeof((t)[0]))

static const char *const rcpts[] = { "x@example.test", "y@example.test" };

/* base - a journal_in for orig */
static struct journal_in
base(const char *orig)
{
	return (struct journal_in){ .hostname = "gw.test", .intake = "journal@intake.test",
		.ip_header = "X-IronPort-RemoteIP", .client_ip = "192.0.2.7",
		.sender = "s@outside.test", .rcpts = rcpts, .nrcpts = 2, .orig_mid = 41,
		.copy_mid = 42, .policy = "DEFAULT", .message_id = "<m.1@outside.test>",
		.subject = "hello", .orig = orig, .orig_len = strlen(orig), .now = 1796181557 };
}

/* boundary_of - the boundary parameter of the copy (malloc'd) */
static char *
boundary_of(const char *copy)
{
	const char *p = strstr(copy, "boundary=\"");
	const char *e = p ? strchr(p + 10, '"') : NULL;
	char *b;

	CHECK(p && e);
	b = malloc((size_t)(e - p - 10) + 1);
	memcpy(b, p + 10, (size_t)(e - p - 10));
	b[e - p - 10] = '\0';
	return b;
}

/* attached - the message/rfc822 part's content, as the RFC 2046 parser sees it */
static char *
attached(const char *copy, size_t len)
{
	char *b = boundary_of(copy), delim[128], *r;
	const char *p, *start, *end;

	snprintf(delim, sizeof(delim), "\r\n--%s", b);
	p = strstr(copy, "Content-Type: message/rfc822");
	CHECK(p != NULL);
	start = strstr(p, "\r\n\r\n") + 4;
	end = strstr(start, delim);		/* the CRLF before it is the delimiter's */
	CHECK(end != NULL && end < copy + len);
	r = malloc((size_t)(end - start) + 1);
	memcpy(r, start, (size_t)(end - start));
	r[end - start] = '\0';
	free(b);
	return r;
}

static void
test_shape(void)
{
	const char *orig = "Received: from c\r\n by gw.test;\r\n x\r\nSubject: hello\r\n\r\nbody\r\n"
			   ".dot stays\r\n";
	struct journal_in in = base(orig);
	size_t len;
	char *copy = journal_build(&in, &len), *att;
	char want[512];

	CHECK_INT(strlen(copy), len);
	CHECK(strncmp(copy, "From: Threat Defense Connector <MAILER-DAEMON@gw.test>\r\n", 56) == 0);
	CHECK(strstr(copy, "\r\nTo: <journal@intake.test>\r\n") != NULL);
	CHECK(strstr(copy, "\r\nSubject: Journal: hello\r\n") != NULL);
	CHECK(strstr(copy, "\r\nX-IronPort-RemoteIP: 192.0.2.7\r\n") != NULL);
	CHECK(strstr(copy, "\r\nContent-Type: multipart/mixed; boundary=\"") != NULL);
	CHECK(strstr(copy, "Content-Transfer-Encoding: 8bit\r\nContent-Disposition") == NULL);
	CHECK(strstr(copy, "\r\nSender: s@outside.test\r\nRecipient: x@example.test\r\n"
			   "Recipient: y@example.test\r\nMID: 41\r\n") != NULL);
	CHECK(strstr(copy, "\r\nClient-IP: 192.0.2.7\r\nPolicy: DEFAULT\r\n") != NULL);
	att = attached(copy, len);
	snprintf(want, sizeof(want), "X-IronPort-RemoteIP: 192.0.2.7\r\n%s", orig);
	CHECK_STR(att, want);		/* byte for byte, remote-IP header on top */
	CHECK(len > 2 && strcmp(copy + len - 2, "\r\n") == 0);
	free(att);
	free(copy);
}

/* a boundary that occurs in the original is never used */
static void
test_boundary_avoided(void)
{
	char orig[512], *copy, *b;
	size_t len;
	struct journal_in in;

	snprintf(orig, sizeof(orig), "Subject: x\r\n\r\n--mxgate-tdc-42-1796181557-0\r\n"
				     "--mxgate-tdc-42-1796181557-1--\r\n");
	in = base(orig);
	copy = journal_build(&in, &len);
	b = boundary_of(copy);
	CHECK(strstr(orig, b) == NULL);
	CHECK_STR(b, "mxgate-tdc-42-1796181557-2");
	free(b);
	free(copy);
}

/* text from the original never makes a header line of its own */
static void
test_injection(void)
{
	struct journal_in in = base("Subject: x\r\n\r\nb\r\n");
	size_t len;
	char *copy;

	in.subject = "hi\r\nBcc: victim@example.test";
	in.sender = "a@b\r\nX-Evil: 1";
	in.client_ip = "1.2.3.4\nX-Evil: 2";
	copy = journal_build(&in, &len);
	CHECK(strstr(copy, "\r\nBcc:") == NULL);
	CHECK(strstr(copy, "\nX-Evil") == NULL);
	CHECK(strstr(copy, "Subject: Journal: hi  Bcc: victim@example.test\r\n") != NULL);
	free(copy);
}

/* 8-bit originals say so; a bad header name falls back to the default */
static void
test_8bit_and_header(void)
{
	struct journal_in in = base("Subject: caf\xc3\xa9\r\n\r\n\xc3\xa9t\xc3\xa9\r\n");
	size_t len;
	char *copy;

	in.ip_header = "Bad Name:";
	copy = journal_build(&in, &len);
	CHECK(strstr(copy, "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n") !=
	    NULL);
	CHECK(strstr(copy, "\r\nX-IronPort-RemoteIP: 192.0.2.7\r\n") != NULL);
	CHECK(strstr(copy, "Bad Name") == NULL);
	free(copy);
	in.ip_header = "X-Custom-IP";
	copy = journal_build(&in, &len);
	CHECK(strstr(copy, "\r\nX-Custom-IP: 192.0.2.7\r\n") != NULL);
	free(copy);
	CHECK(journal_header_name_ok("X-IronPort-RemoteIP"));
	CHECK(!journal_header_name_ok(""));
	CHECK(!journal_header_name_ok("a b"));
	CHECK(!journal_header_name_ok("a:b"));
	CHECK(!journal_header_name_ok("caf\xc3\xa9"));
}

/* seed 002's table as trouble_classify reads delivery.c's reports */
static const struct {
	const char *status, *code;
	enum tdc_class want;
} class_rows[] = {
	{ "5.1.1", "550", TDC_HARD },		/* 5xx: no retry */
	{ "5.7.1", "554", TDC_HARD },
	{ "5.0.0", "500", TDC_HARD },
	{ "5.5.1", "503", TDC_RETRY },		/* but 503 and 552: one retry */
	{ "5.3.4", "552", TDC_RETRY },
	{ "4.3.0", "451", TDC_RETRY },		/* 4xx: one retry */
	{ "4.2.2", "452", TDC_RETRY },
	{ "4.7.4", "000", TDC_TLS },		/* STARTTLS not offered */
	{ "4.7.4", "454", TDC_TLS },		/* STARTTLS refused by the server */
	{ "4.7.5", "000", TDC_TLS },		/* handshake or verification failed */
	{ "4.4.1", "000", TDC_RETRY },		/* connection error */
	{ "4.4.2", "000", TDC_RETRY },		/* connection lost */
	{ "4.4.3", "000", TDC_RETRY },		/* temporary DNS error */
	{ "4.4.0", "421", TDC_RETRY },		/* greeting refused */
	{ "5.1.2", "000", TDC_HARD },		/* DNS hard error */
	{ "5.1.10", "000", TDC_HARD },		/* null MX */
};

static void
test_classify(void)
{
	for (size_t i = 0; i < NROWS(class_rows); i++)
		if (trouble_classify(class_rows[i].status, class_rows[i].code) != class_rows[i].want)
			UNIT_FAIL("row %zu (%s %s): got %d, want %d", i, class_rows[i].status,
			    class_rows[i].code,
			    (int)trouble_classify(class_rows[i].status, class_rows[i].code),
			    (int)class_rows[i].want);
	CHECK(tdc_is_queue("the.tdc.queue"));
	CHECK(!tdc_is_queue("example.test"));
}

/* mark - "X-MXGate-Journal: HEX\r\n" for rest under key */
static char *
mark(const unsigned char *key, const char *rest)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char hex[65], *out;

	HMAC(EVP_sha256(), key, 32, (const unsigned char *)rest, strlen(rest), md, &n);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	out = malloc(strlen(rest) + 100);
	snprintf(out, strlen(rest) + 100, "%s: %s\r\n%s", TDC_MARK_HEADER, hex, rest);
	return out;
}

/* a copy's mark verifies under our key only, and only for the content it covers */
static void
test_own_copy(void)
{
	struct gw gw = { 0 };
	const char *rest = "From: mxgate\r\nSubject: copy\r\n\r\nbody\r\n";
	char *m, *other, buf[1024];
	unsigned char key2[32];

	for (int i = 0; i < 32; i++) {
		gw.journal_key[i] = (unsigned char)i;
		key2[i] = (unsigned char)(i + 1);
	}
	m = mark(gw.journal_key, rest);
	CHECK(tdc_own_copy(&gw, m, strlen(m)));
	/* trace headers added above it by later hops: still ours */
	snprintf(buf, sizeof(buf), "Received: from a by b; now\r\nReceived: from c by d; now\r\n%s", m);
	CHECK(tdc_own_copy(&gw, buf, strlen(buf)));
	/* other content under the same mark: not ours */
	snprintf(buf, sizeof(buf), "%.*sbody changed\r\n", (int)(strlen(m) - 6), m);
	CHECK(!tdc_own_copy(&gw, buf, strlen(buf)));
	/* another gateway's key, a forged value, no mark at all */
	other = mark(key2, rest);
	CHECK(!tdc_own_copy(&gw, other, strlen(other)));
	snprintf(buf, sizeof(buf), "%s: %064d\r\n%s", TDC_MARK_HEADER, 0, rest);
	CHECK(!tdc_own_copy(&gw, buf, strlen(buf)));
	CHECK(!tdc_own_copy(&gw, rest, strlen(rest)));
	free(m);
	free(other);
}

static const struct unit_case cases[] = {
	{ "own_copy", test_own_copy },
	{ "shape", test_shape },
	{ "boundary_avoided", test_boundary_avoided },
	{ "injection", test_injection },
	{ "8bit_and_header", test_8bit_and_header },
	{ "classify", test_classify },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("journal", cases, argc, argv);
}
