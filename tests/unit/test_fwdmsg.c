/*
 * test_fwdmsg.c - mail/fwdmsg: the forward of a remediated message.
 */
#include <stdlib.h>
#include <string.h>

#include "mail/fwdmsg.h"
#include "mail/header.h"
#include "tests/unit/unit.h"

/* base - a fwdmsg_in for orig */
static struct fwdmsg_in
base(const char *orig)
{
	return (struct fwdmsg_in){ .hostname = "gw.test", .forward_to = "soc@example.test",
		.mailbox = "alice@example.test", .trigger = "ETD verdict", .who = "",
		.verdict = "phishing", .action = "forward_delete", .orig_mid = 12, .remed_id = 7,
		.fwd_mid = 15, .message_id = "<m.1@outside.test>", .orig = orig,
		.orig_len = strlen(orig), .now = 1796605323 };
}

/* boundary_of - the boundary parameter (malloc'd) */
static char *
boundary_of(const char *m)
{
	const char *p = strstr(m, "boundary=\"");
	const char *e = p ? strchr(p + 10, '"') : NULL;

	CHECK(p && e);
	return strndup(p + 10, (size_t)(e - p - 10));
}

static void
test_shape(void)
{
	const char *orig = "Subject: win a prize\r\nMessage-ID: <m.1@outside.test>\r\n\r\nclick\r\n";
	struct fwdmsg_in in = base(orig);
	size_t len;
	char *m = fwdmsg_build(&in, &len), *bnd, want[200], subj[200];
	const char *att;

	CHECK_INT(strlen(m), len);
	CHECK(strncmp(m, "From: \"Mail Delivery System\" <MAILER-DAEMON@gw.test>\r\n", 54) == 0);
	CHECK(header_find(m, len, "Subject", subj, sizeof(subj)));
	CHECK_STR(subj, "Remediated message: win a prize");
	CHECK(header_find(m, len, "To", subj, sizeof(subj)));
	CHECK_STR(subj, "<soc@example.test>");
	CHECK(header_find(m, len, "Auto-Submitted", subj, sizeof(subj)));
	CHECK(strstr(m, "\r\nMailbox: alice@example.test\r\n") != NULL);
	CHECK(strstr(m, "\r\nTrigger: ETD verdict\r\n") != NULL);
	CHECK(strstr(m, "\r\nVerdict: phishing\r\n") != NULL);
	CHECK(strstr(m, "\r\nMID: 12\r\n") != NULL);
	CHECK(strstr(m, "\r\nRemediation: 7\r\n") != NULL);
	bnd = boundary_of(m);
	/* the original whole inside the message/rfc822 part, then the closing delimiter */
	att = strstr(m, "Content-Type: message/rfc822\r\n");
	CHECK(att != NULL);
	att = strstr(att, "\r\n\r\n");
	CHECK(att != NULL);
	snprintf(want, sizeof(want), "%s\r\n--%s--\r\n", orig, bnd);
	CHECK_STR(att + 4, want);
	free(bnd);
	free(m);
}

/* bare LF becomes CRLF; a boundary occurring in the original is avoided; subjects stay one line */
static void
test_hostile(void)
{
	char orig[512];
	struct fwdmsg_in in;
	size_t len;
	char *m, *bnd, subj[300];

	snprintf(orig, sizeof(orig), "Subject: a\r\n\tfolded\rBcc: x@evil.test\n\n"
				     "--mxgate-remed-7-1796605323-0\nbody\n");
	in = base(orig);
	in.who = "admin\r\nX-Evil: 1";
	in.trigger = "operator";
	m = fwdmsg_build(&in, &len);
	bnd = boundary_of(m);
	CHECK(strcmp(bnd, "mxgate-remed-7-1796605323-0") != 0);
	CHECK(strstr(m, "X-Evil") == NULL || strstr(m, "\r\nX-Evil") == NULL);
	CHECK(strstr(m, "\r\nTrigger: operator admin  X-Evil: 1\r\n") != NULL);
	for (size_t i = 0; i < len; i++)
		if (m[i] == '\n')
			CHECK(i > 0 && m[i - 1] == '\r');
		else if (m[i] == '\r')
			CHECK(i + 1 < len && m[i + 1] == '\n');
	CHECK(header_find(m, len, "Subject", subj, sizeof(subj)));
	CHECK(strncmp(subj, "Remediated message: a", 21) == 0);
	CHECK(header_find(m, len, "Bcc", subj, sizeof(subj)) == 0);
	free(bnd);
	free(m);

	/* nothing fetched at all still makes a well-formed message */
	in = base("");
	m = fwdmsg_build(&in, &len);
	CHECK(strstr(m, "Subject: Remediated message: \r\n") != NULL);
	CHECK(len > 4 && strcmp(m + len - 4, "--\r\n") == 0);
	free(m);
}

/* header_lines_ok - every header line of m at most 998 bytes, 7-bit, folded lines start with space */
static int
header_lines_ok(const char *m, size_t len)
{
	const char *end = strstr(m, "\r\n\r\n"), *p = m;

	if (end == NULL)
		return 0;
	while (p < end) {
		const char *e = strstr(p, "\r\n");

		if ((size_t)(e - p) > 998)
			return 0;
		for (const char *q = p; q < e; q++)
			if ((unsigned char)*q > 127)
				return 0;
		p = e + 2;
	}
	(void)len;
	return 1;
}

/*
 * a long subject is cut near 900 bytes and folded; 8-bit text is RFC
 * 2047 encoded (UTF-8, B), cut at a character's end, never raw
 */
static void
test_subject(void)
{
	static char orig[4096];
	struct fwdmsg_in in;
	size_t len, n;
	char *m, *s, *e;
	char subj[2048];

	/* 1079 ASCII bytes in words of 9 */
	n = (size_t)snprintf(orig, sizeof(orig), "Subject: ");
	for (int i = 0; i < 120; i++)
		n += (size_t)snprintf(orig + n, sizeof(orig) - n, "%sword%04d", i ? " " : "", i);
	snprintf(orig + n, sizeof(orig) - n, "\r\nMessage-ID: <l@x>\r\n\r\nbody\r\n");
	in = base(orig);
	m = fwdmsg_build(&in, &len);
	CHECK(header_lines_ok(m, len));
	CHECK(strstr(m, "\r\nSubject: Remediated message: word0000") != NULL);
	CHECK(header_find(m, len, "Subject", subj, sizeof(subj)));
	CHECK(strlen(subj) < 940);
	CHECK(strstr(subj, "word0099") != NULL && strstr(subj, "word0100") == NULL);
	/* folded, not one long line */
	s = strstr(m, "\r\nSubject:");
	e = strstr(s + 2, "\r\n");
	CHECK(e - s < 100);
	free(m);

	/* UTF-8: encoded words, and what they decode to cut at a character */
	n = (size_t)snprintf(orig, sizeof(orig), "Subject: ");
	for (int i = 0; i < 460; i++)
		n += (size_t)snprintf(orig + n, sizeof(orig) - n, "\xc3\xa9");	/* 920 bytes */
	snprintf(orig + n, sizeof(orig) - n, "\r\n\r\nbody\r\n");
	in = base(orig);
	m = fwdmsg_build(&in, &len);
	CHECK(header_lines_ok(m, len));
	CHECK(strstr(m, "\r\nSubject: =?UTF-8?B?UmVtZWRpYXRlZCBtZXNzYWdlOiDD") != NULL);
	CHECK(strstr(m, "?=\r\n =?UTF-8?B?") != NULL);
	free(m);

	/* a short one with raw 8-bit, and bytes that are not UTF-8 */
	in = base("Subject: caf\xc3\xa9 \xff\r\n\r\nx\r\n");
	m = fwdmsg_build(&in, &len);
	CHECK(header_lines_ok(m, len));
	/* "Remediated message: caf\xc3\xa9 ?" */
	CHECK(strstr(m, "\r\nSubject: =?UTF-8?B?UmVtZWRpYXRlZCBtZXNzYWdlOiBjYWbDqSA/?=\r\n") != NULL);
	free(m);
}

static const struct unit_case cases[] = {
	{ "shape", test_shape },
	{ "hostile", test_hostile },
	{ "subject", test_subject },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("fwdmsg", cases, argc, argv);
}
