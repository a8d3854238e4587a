/*
 * test_smtp_parse.c - net/smtp_parse: command lines, MAIL/RCPT paths and
 * parameters, replies, EHLO capabilities and domain checks, table-driven.
 */
#include <limits.h>
#include <stdio.h>

#include "net/smtp_parse.h"
#include "util/str.h"
#include "tests/unit/unit.h"

#define NROWS(t) (sizeof(t) / sizeof((t)[0]))
#define UNRECOGNIZED "500 5.5.2 Syntax error, command unrecognized"
#define NUL_BYTE "500 5.5.2 Syntax error, NUL byte in command"
#define LONG_LABEL "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"	/* 63 */

/* ------------------------------------------------------------------ commands */

struct cmd_row {
	const char *line;	/* command line without CRLF */
	size_t len;		/* 0: strlen(line) */
	int ret;		/* expected return */
	enum smtp_verb verb;	/* expected verb */
	const char *arg;	/* expected arg[0..arglen) */
	const char *reply;	/* expected reply on -1 */
};

static const struct cmd_row cmd_rows[] = {
	{ "HELO example.com", 0, 0, SMTP_V_HELO, "example.com", NULL },
	{ "EHLO example.com", 0, 0, SMTP_V_EHLO, "example.com", NULL },
	{ "ehlo example.com", 0, 0, SMTP_V_EHLO, "example.com", NULL },
	{ "eHlO [127.0.0.1]", 0, 0, SMTP_V_EHLO, "[127.0.0.1]", NULL },
	{ "MAIL FROM:<a@b.c>", 0, 0, SMTP_V_MAIL, "FROM:<a@b.c>", NULL },
	{ "mail from:<a@b.c> SIZE=10", 0, 0, SMTP_V_MAIL, "from:<a@b.c> SIZE=10", NULL },
	{ "RCPT TO:<x@y.z>", 0, 0, SMTP_V_RCPT, "TO:<x@y.z>", NULL },
	{ "DATA", 0, 0, SMTP_V_DATA, "", NULL },
	{ "data", 0, 0, SMTP_V_DATA, "", NULL },
	{ "BDAT 100 LAST", 0, 0, SMTP_V_BDAT, "100 LAST", NULL },
	{ "RSET", 0, 0, SMTP_V_RSET, "", NULL },
	{ "NOOP", 0, 0, SMTP_V_NOOP, "", NULL },
	{ "NOOP hello there", 0, 0, SMTP_V_NOOP, "hello there", NULL },
	{ "QUIT", 0, 0, SMTP_V_QUIT, "", NULL },
	{ "QUIT   ", 0, 0, SMTP_V_QUIT, "", NULL },
	{ "VRFY postmaster", 0, 0, SMTP_V_VRFY, "postmaster", NULL },
	{ "EXPN list", 0, 0, SMTP_V_EXPN, "list", NULL },
	{ "HELP", 0, 0, SMTP_V_HELP, "", NULL },
	{ "STARTTLS", 0, 0, SMTP_V_STARTTLS, "", NULL },
	{ "starttls", 0, 0, SMTP_V_STARTTLS, "", NULL },
	{ "AUTH PLAIN AGZvbwBiYXI=", 0, 0, SMTP_V_AUTH, "PLAIN AGZvbwBiYXI=", NULL },
	{ "HELO   spaced.example   ", 0, 0, SMTP_V_HELO, "spaced.example", NULL },
	{ "HELO\texample.com", 0, 0, SMTP_V_HELO, "example.com", NULL },
	{ "HELO", 0, 0, SMTP_V_HELO, "", NULL },
	{ "MAIL", 0, 0, SMTP_V_MAIL, "", NULL },
	{ "", 0, -1, SMTP_V_UNKNOWN, "", UNRECOGNIZED },
	{ " QUIT", 0, -1, SMTP_V_UNKNOWN, "", UNRECOGNIZED },
	{ "QUITX", 0, -1, SMTP_V_UNKNOWN, "", UNRECOGNIZED },
	{ "QUI", 0, -1, SMTP_V_UNKNOWN, "", UNRECOGNIZED },
	{ "MAILFROM:<a@b>", 0, -1, SMTP_V_UNKNOWN, "", UNRECOGNIZED },
	{ "GET / HTTP/1.1", 0, -1, SMTP_V_UNKNOWN, "", UNRECOGNIZED },
	{ "QU\xc9T", 0, -1, SMTP_V_UNKNOWN, "", UNRECOGNIZED },
	{ "HELO h\xc3\xa9llo", 0, 0, SMTP_V_HELO, "h\xc3\xa9llo", NULL },
	{ "QUIT\0", 5, -1, SMTP_V_UNKNOWN, "", NUL_BYTE },
	{ "MAIL FROM:<a\0@b>", 16, -1, SMTP_V_UNKNOWN, "", NUL_BYTE },
	{ "\0", 1, -1, SMTP_V_UNKNOWN, "", NUL_BYTE },
	/* len shorter than the string: only len bytes count */
	{ "QUIT now", 4, 0, SMTP_V_QUIT, "", NULL },
};

static void
test_command_table(void)
{
	for (size_t i = 0; i < NROWS(cmd_rows); i++) {
		const struct cmd_row *t = &cmd_rows[i];
		struct smtp_cmd cmd;
		size_t len = t->len ? t->len : strlen(t->line);
		int ret = smtp_parse_command(t->line, len, &cmd);

		if (ret != t->ret || cmd.verb != t->verb || cmd.arglen != strlen(t->arg) ||
		    memcmp(cmd.arg, t->arg, cmd.arglen) != 0)
			UNIT_FAIL("row %zu \"%s\": ret %d verb %d arg \"%.*s\"", i, t->line, ret,
			    cmd.verb, (int)cmd.arglen, cmd.arg);
		if (t->reply != NULL)
			CHECK_STR(cmd.reply, t->reply);
		else
			CHECK(cmd.reply == NULL);
	}
}

static void
test_command_length(void)
{
	char line[SMTP_LINE_MAX + 10];
	struct smtp_cmd cmd;

	/* 998 bytes plus CRLF is the longest legal line */
	memset(line, 'a', sizeof(line));
	memcpy(line, "NOOP ", 5);
	CHECK_INT(smtp_parse_command(line, SMTP_LINE_MAX - 2, &cmd), 0);
	CHECK_INT(cmd.verb, SMTP_V_NOOP);
	CHECK_INT(cmd.arglen, SMTP_LINE_MAX - 2 - 5);
	CHECK_INT(smtp_parse_command(line, SMTP_LINE_MAX - 1, &cmd), -1);
	CHECK_INT(cmd.verb, SMTP_V_UNKNOWN);
	CHECK_STR(cmd.reply, "500 5.5.2 Line too long");
	CHECK_INT(smtp_parse_command(line, sizeof(line), &cmd), -1);
}

static void
test_command_arg_string(void)
{
	/* the arg is a C string when the caller's line is NUL-terminated */
	const char line[] = "MAIL FROM:<a@b.example>  ";
	struct smtp_cmd cmd;
	struct smtp_path path;
	struct smtp_params params;
	const char *reply;

	CHECK_INT(smtp_parse_command(line, strlen(line), &cmd), 0);
	CHECK_INT(smtp_parse_mail(cmd.arg, &path, &params, &reply), 0);
	CHECK_STR(path.addr, "a@b.example");
}

static void
test_verb_names(void)
{
	CHECK_STR(smtp_parse_verb_name(SMTP_V_STARTTLS), "STARTTLS");
	CHECK_STR(smtp_parse_verb_name(SMTP_V_MAIL), "MAIL");
	CHECK_STR(smtp_parse_verb_name(SMTP_V_UNKNOWN), "UNKNOWN");
}

/* ------------------------------------------------------------------ MAIL/RCPT */

#define BAD_SENDER "501 5.1.7 Bad sender address syntax"
#define BAD_RCPT "501 5.1.3 Bad recipient address syntax"
#define MAIL_SYNTAX "501 5.5.4 Syntax: MAIL FROM:<address>"
#define RCPT_SYNTAX "501 5.5.4 Syntax: RCPT TO:<address>"
#define PARAM_SYNTAX "501 5.5.4 Syntax error in parameters"
#define UNSUPPORTED "555 5.5.4 Unsupported option"

struct path_row {
	const char *arg;	/* MAIL/RCPT argument */
	int ret;		/* expected return */
	const char *addr;	/* expected addr (ret 0) */
	const char *domain;	/* expected domain (ret 0) */
	const char *reply;	/* expected reply (ret -1) */
};

static const struct path_row mail_rows[] = {
	{ "FROM:<a@b.c>", 0, "a@b.c", "b.c", NULL },
	{ "from:<a@b.c>", 0, "a@b.c", "b.c", NULL },
	{ "FROM:<John.Doe@Example.COM>", 0, "John.Doe@Example.COM", "example.com", NULL },
	{ "FROM: <a@b.c>", 0, "a@b.c", "b.c", NULL },
	{ "FROM:  <a@b.c>", 0, "a@b.c", "b.c", NULL },
	{ "FROM:<a@b.c>   ", 0, "a@b.c", "b.c", NULL },
	{ "FROM:<>", 0, "", "", NULL },
	{ "FROM:<> ", 0, "", "", NULL },
	{ "FROM:<@hosta.int,@jkl.org:userc@d.bar.org>", 0, "userc@d.bar.org", "d.bar.org", NULL },
	{ "FROM:<@x.example:a@b.c>", 0, "a@b.c", "b.c", NULL },
	{ "FROM:<\"a b\"@c.d>", 0, "\"a b\"@c.d", "c.d", NULL },
	{ "FROM:<\"a\\\"b\"@c.d>", 0, "\"a\\\"b\"@c.d", "c.d", NULL },
	{ "FROM:<\"a>b\"@c.d>", 0, "\"a>b\"@c.d", "c.d", NULL },
	{ "FROM:<a@[1.2.3.4]>", 0, "a@[1.2.3.4]", "[1.2.3.4]", NULL },
	{ "FROM:<a@[IPv6:2001:db8::1]>", 0, "a@[IPv6:2001:db8::1]", "[ipv6:2001:db8::1]", NULL },
	{ "FROM:<a+tag@b.c>", 0, "a+tag@b.c", "b.c", NULL },
	{ "FROM:<!#$%&'*+-/=?^_`{|}~@b.c>", 0, "!#$%&'*+-/=?^_`{|}~@b.c", "b.c", NULL },
	{ "FROM:<a@localhost>", 0, "a@localhost", "localhost", NULL },
	{ "FROM:<a@sub_domain.example>", 0, "a@sub_domain.example", "sub_domain.example", NULL },
	/* structure */
	{ "", -1, NULL, NULL, MAIL_SYNTAX },
	{ "FROM", -1, NULL, NULL, MAIL_SYNTAX },
	{ "FROM:", -1, NULL, NULL, MAIL_SYNTAX },
	{ "FROM <a@b.c>", -1, NULL, NULL, MAIL_SYNTAX },
	{ "TO:<a@b.c>", -1, NULL, NULL, MAIL_SYNTAX },
	{ "FROM:a@b.c", -1, NULL, NULL, MAIL_SYNTAX },
	{ "FROM:a@b.c>", -1, NULL, NULL, MAIL_SYNTAX },
	/* inside the brackets */
	{ "FROM:<a@b.c", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<<a@b.c>>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a@b.c>>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a@b.c>SIZE=1", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a@b.c d>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a b@c.d>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<postmaster>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<@b.c>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a@>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a@b.c.>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a@.b.c>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a@b..c>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a@-b.c>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a@1.2.3.4>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a@[1.2.3]>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a@[1.2.3.4>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a@[999.2.3.4]>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a@[IPv6:zz::1]>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a@[x-tag:abc]>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<.a@b.c>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a.@b.c>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a..b@b.c>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a@b@c.d>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<\"\"@c.d>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<\"a@c.d>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<\"a\tb\"@c.d>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<\"a\\", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<\xc3\xa9@b.c>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a@\xc3\xa9.c>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a\x01@b.c>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<a@b.c\r>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<@x.example>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<@x.example:>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<@x.example,a@b.c>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<@-x:a@b.c>", -1, NULL, NULL, BAD_SENDER },
	{ "FROM:<@x,@:a@b.c>", -1, NULL, NULL, BAD_SENDER },
	/* parameters */
	{ "FROM:<a@b.c> FOO", -1, NULL, NULL, UNSUPPORTED },
	{ "FROM:<a@b.c> SMTPUTF8", -1, NULL, NULL, UNSUPPORTED },
	{ "FROM:<a@b.c> RET=HDRS", -1, NULL, NULL, UNSUPPORTED },
	{ "FROM:<a@b.c> =x", -1, NULL, NULL, PARAM_SYNTAX },
	{ "FROM:<a@b.c> -X", -1, NULL, NULL, PARAM_SYNTAX },
	{ "FROM:<a@b.c> X_Y", -1, NULL, NULL, PARAM_SYNTAX },
	{ "FROM:<a@b.c> X=", -1, NULL, NULL, PARAM_SYNTAX },
	{ "FROM:<a@b.c> X=a=b", -1, NULL, NULL, PARAM_SYNTAX },
	{ "FROM:<a@b.c> X=\xc3\xa9", -1, NULL, NULL, PARAM_SYNTAX },
	{ "FROM:<a@b.c> SIZE", -1, NULL, NULL, "501 5.5.4 Bad message size syntax" },
	{ "FROM:<a@b.c> SIZE=abc", -1, NULL, NULL, "501 5.5.4 Bad message size syntax" },
	{ "FROM:<a@b.c> SIZE=-1", -1, NULL, NULL, "501 5.5.4 Bad message size syntax" },
	{ "FROM:<a@b.c> SIZE=12k", -1, NULL, NULL, "501 5.5.4 Bad message size syntax" },
	{ "FROM:<a@b.c> SIZE=18446744073709551616", -1, NULL, NULL,
	    "552 5.3.4 Message size exceeds fixed maximum message size" },
	{ "FROM:<a@b.c> SIZE=99999999999999999999999999", -1, NULL, NULL,
	    "552 5.3.4 Message size exceeds fixed maximum message size" },
	{ "FROM:<a@b.c> SIZE=1 SIZE=2", -1, NULL, NULL, "501 5.5.4 Duplicate parameter" },
	{ "FROM:<a@b.c> BODY=7BIT BODY=8BITMIME", -1, NULL, NULL, "501 5.5.4 Duplicate parameter" },
	{ "FROM:<a@b.c> BODY=BINARYMIME", -1, NULL, NULL, "501 5.5.4 Bad BODY keyword value" },
	{ "FROM:<a@b.c> BODY", -1, NULL, NULL, "501 5.5.4 Bad BODY keyword value" },
	{ "FROM:<a@b.c> A B C D E F G H I", -1, NULL, NULL, "501 5.5.4 Too many parameters" },
};

static const struct path_row rcpt_rows[] = {
	{ "TO:<a@b.c>", 0, "a@b.c", "b.c", NULL },
	{ "to:<A@B.C>", 0, "A@B.C", "b.c", NULL },
	{ "TO: <a@b.c>", 0, "a@b.c", "b.c", NULL },
	{ "TO:<postmaster>", 0, "postmaster", "", NULL },
	{ "TO:<PostMaster>", 0, "PostMaster", "", NULL },
	{ "TO:<postmaster@b.c>", 0, "postmaster@b.c", "b.c", NULL },
	{ "TO:<@relay.example:a@b.c>", 0, "a@b.c", "b.c", NULL },
	{ "TO:<\"x y\"@b.c>", 0, "\"x y\"@b.c", "b.c", NULL },
	{ "TO:<a@[10.0.0.1]>", 0, "a@[10.0.0.1]", "[10.0.0.1]", NULL },
	{ "TO:<>", -1, NULL, NULL, BAD_RCPT },
	{ "TO:<@relay.example:postmaster>", -1, NULL, NULL, BAD_RCPT },
	{ "TO:<postmasterx>", -1, NULL, NULL, BAD_RCPT },
	{ "TO:<user>", -1, NULL, NULL, BAD_RCPT },
	{ "TO:<a@b.c", -1, NULL, NULL, BAD_RCPT },
	{ "TO:a@b.c", -1, NULL, NULL, RCPT_SYNTAX },
	{ "FROM:<a@b.c>", -1, NULL, NULL, RCPT_SYNTAX },
	{ "TO", -1, NULL, NULL, RCPT_SYNTAX },
	{ "", -1, NULL, NULL, RCPT_SYNTAX },
	/* RCPT has no parameters we implement; SIZE belongs to MAIL */
	{ "TO:<a@b.c> SIZE=10", -1, NULL, NULL, UNSUPPORTED },
	{ "TO:<a@b.c> NOTIFY=NEVER", -1, NULL, NULL, UNSUPPORTED },
	{ "TO:<a@b.c> NOTIFY=", -1, NULL, NULL, PARAM_SYNTAX },
};

/* run_path_rows - check one table against smtp_parse_mail or smtp_parse_rcpt */
static void
run_path_rows(const struct path_row *rows, size_t n,
    int (*fn)(const char *, struct smtp_path *, struct smtp_params *, const char **))
{
	for (size_t i = 0; i < n; i++) {
		const struct path_row *t = &rows[i];
		struct smtp_path path;
		struct smtp_params params;
		const char *reply = "unset";
		int ret = fn(t->arg, &path, &params, &reply);

		if (ret != t->ret)
			UNIT_FAIL("row %zu \"%s\": ret %d, expected %d (reply %s)", i, t->arg, ret,
			    t->ret, reply ? reply : "(null)");
		if (ret == 0) {
			CHECK(reply == NULL);
			if (strcmp(path.addr, t->addr) != 0 || strcmp(path.domain, t->domain) != 0)
				UNIT_FAIL("row %zu \"%s\": addr \"%s\" domain \"%s\"", i, t->arg,
				    path.addr, path.domain);
			CHECK_INT(path.null_path, t->addr[0] == '\0');
		} else if (reply == NULL || strcmp(reply, t->reply) != 0) {
			UNIT_FAIL("row %zu \"%s\": reply \"%s\", expected \"%s\"", i, t->arg,
			    reply ? reply : "(null)", t->reply);
		}
	}
}

static void
test_mail_table(void)
{
	run_path_rows(mail_rows, NROWS(mail_rows), smtp_parse_mail);
}

static void
test_rcpt_table(void)
{
	run_path_rows(rcpt_rows, NROWS(rcpt_rows), smtp_parse_rcpt);
}

static void
test_mail_params(void)
{
	struct smtp_path path;
	struct smtp_params params;
	const char *reply;

	CHECK_INT(smtp_parse_mail("FROM:<a@b.c> SIZE=12345 BODY=8BITMIME", &path, &params,
	    &reply), 0);
	CHECK_INT(params.have_size, 1);
	CHECK(params.size == 12345);
	CHECK_INT(params.body_8bit, 1);
	CHECK_INT(params.nunknown, 0);

	CHECK_INT(smtp_parse_mail("FROM:<> size=0 body=7bit", &path, &params, &reply), 0);
	CHECK_INT(path.null_path, 1);
	CHECK_INT(params.have_size, 1);
	CHECK(params.size == 0);
	CHECK_INT(params.body_8bit, 0);

	CHECK_INT(smtp_parse_mail("FROM:<a@b.c>\tSIZE=18446744073709551615\t", &path, &params,
	    &reply), 0);
	CHECK(params.size == ULLONG_MAX);

	CHECK_INT(smtp_parse_mail("FROM:<a@b.c> AUTH=<>", &path, &params, &reply), 0);
	CHECK_INT(params.have_auth, 1);

	CHECK_INT(smtp_parse_mail("FROM:<a@b.c>", &path, &params, &reply), 0);
	CHECK_INT(params.have_size, 0);
	CHECK_INT(params.have_auth, 0);

	/* unknown keywords: counted, the first one named, syntax of all checked */
	CHECK_INT(smtp_parse_mail("FROM:<a@b.c> SIZE=1 XFOO=1 XBAR", &path, &params, &reply), -1);
	CHECK_STR(reply, UNSUPPORTED);
	CHECK_INT(params.nunknown, 2);
	CHECK_STR(params.unknown, "XFOO");
	CHECK_INT(smtp_parse_mail("FROM:<a@b.c> XFOO=1 X=\x01", &path, &params, &reply), -1);
	CHECK_STR(reply, PARAM_SYNTAX);

	/* the keyword kept for the reply is bounded */
	{
		char arg[200];

		memcpy(arg, "FROM:<a@b.c> ", 13);
		memset(arg + 13, 'K', 150);
		arg[163] = '\0';
		CHECK_INT(smtp_parse_mail(arg, &path, &params, &reply), -1);
		CHECK_INT(strlen(params.unknown), sizeof(params.unknown) - 1);
	}
	/* eight parameters are allowed */
	CHECK_INT(smtp_parse_mail("FROM:<a@b.c> A B C D E F G H", &path, &params, &reply), -1);
	CHECK_STR(reply, UNSUPPORTED);
	CHECK_INT(params.nunknown, 8);
}

static void
test_path_limits(void)
{
	char arg[600], local[100];
	struct smtp_path path;
	struct smtp_params params;
	const char *reply;

	/* a 64-byte local part is fine, 65 is not */
	memset(local, 'l', 64);
	local[64] = '\0';
	CHECK(0 == str_fmt(arg, sizeof(arg), "FROM:<%s@b.c>", local));
	CHECK_INT(smtp_parse_mail(arg, &path, &params, &reply), 0);
	CHECK_STR(path.local, local);
	local[64] = 'l';
	local[65] = '\0';
	CHECK(0 == str_fmt(arg, sizeof(arg), "FROM:<%s@b.c>", local));
	CHECK_INT(smtp_parse_mail(arg, &path, &params, &reply), -1);
	CHECK_STR(reply, "501 5.1.7 Local part too long");
	CHECK(0 == str_fmt(arg, sizeof(arg), "TO:<%s@b.c>", local));
	CHECK_INT(smtp_parse_rcpt(arg, &path, &params, &reply), -1);
	CHECK_STR(reply, "501 5.1.3 Local part too long");
	/* quotes count towards the local part */
	memset(local, 'q', 62);
	local[62] = '\0';
	CHECK(0 == str_fmt(arg, sizeof(arg), "FROM:<\"%s\"@b.c>", local));
	CHECK_INT(smtp_parse_mail(arg, &path, &params, &reply), 0);
	CHECK_INT(strlen(path.local), 64);

	/* the whole path "<...>" may be 256 bytes: "<a@" + 63.63.63.60 + ">" */
	CHECK(0 == str_fmt(arg, sizeof(arg), "FROM:<a@%.63s.%.63s.%.63s.%.60s>",
	    LONG_LABEL, LONG_LABEL, LONG_LABEL, LONG_LABEL));
	CHECK_INT(strlen(arg) - 5, 256);
	CHECK_INT(smtp_parse_mail(arg, &path, &params, &reply), 0);
	CHECK_INT(strlen(path.addr), 254);
	CHECK_INT(strlen(path.domain), 252);

	/* one more byte of local part makes the path 257 */
	CHECK(0 == str_fmt(arg, sizeof(arg), "FROM:<ab@%.63s.%.63s.%.63s.%.60s>",
	    LONG_LABEL, LONG_LABEL, LONG_LABEL, LONG_LABEL));
	CHECK_INT(smtp_parse_mail(arg, &path, &params, &reply), -1);
	CHECK_STR(reply, "501 5.1.7 Path too long");
	CHECK_STR(path.addr, "");
	CHECK(0 == str_fmt(arg, sizeof(arg), "TO:<ab@%.63s.%.63s.%.63s.%.60s>",
	    LONG_LABEL, LONG_LABEL, LONG_LABEL, LONG_LABEL));
	CHECK_INT(smtp_parse_rcpt(arg, &path, &params, &reply), -1);
	CHECK_STR(reply, "501 5.1.3 Path too long");

	/* a source route counts too */
	CHECK(0 == str_fmt(arg, sizeof(arg), "FROM:<@%.63s.%.63s.%.63s.%.60s:a@b.c>",
	    LONG_LABEL, LONG_LABEL, LONG_LABEL, LONG_LABEL));
	CHECK_INT(smtp_parse_mail(arg, &path, &params, &reply), -1);
	CHECK_STR(reply, "501 5.1.7 Path too long");

	/* a 300-byte domain */
	memset(arg, 'd', sizeof(arg));
	memcpy(arg, "FROM:<a@", 8);
	arg[8 + 300] = '>';
	arg[8 + 301] = '\0';
	CHECK_INT(smtp_parse_mail(arg, &path, &params, &reply), -1);
	CHECK_STR(reply, "501 5.1.7 Path too long");

	/* a 900-byte address never overflows anything */
	memset(arg, 'x', sizeof(arg));
	memcpy(arg, "FROM:<", 6);
	arg[300] = '@';
	memcpy(arg + 590, "b.c>", 5);
	CHECK_INT(smtp_parse_mail(arg, &path, &params, &reply), -1);
}

/* ------------------------------------------------------------------ domains */

struct domain_row {
	const char *s;	/* candidate */
	int ok;		/* expected verdict */
};

static const struct domain_row domain_rows[] = {
	{ "example.com", 1 },
	{ "EXAMPLE.COM", 1 },
	{ "localhost", 1 },
	{ "a-b.c-d.example", 1 },
	{ "xn--bcher-kva.example", 1 },
	{ "under_score.example", 1 },
	{ "1.2.3.example", 1 },
	{ "123.example", 1 },
	{ "[127.0.0.1]", 1 },
	{ "[IPv6:::1]", 1 },
	{ "[ipv6:2001:db8::1]", 1 },
	{ "[IPv6:::ffff:1.2.3.4]", 1 },
	{ "", 0 },
	{ ".", 0 },
	{ "example.com.", 0 },
	{ ".example.com", 0 },
	{ "a..b", 0 },
	{ "-a.b", 0 },
	{ "a-.b", 0 },
	{ "a b", 0 },
	{ "a@b", 0 },
	{ "1.2.3.4", 0 },
	{ "127", 0 },
	{ "[1.2.3.4", 0 },
	{ "1.2.3.4]", 0 },
	{ "[]", 0 },
	{ "[1.2.3.256]", 0 },
	{ "[01.2.3.4]", 0 },
	{ "[::1]", 0 },
	{ "[IPv6:1.2.3.4]", 0 },
	{ "[IPv6:]", 0 },
	{ "[tag:foo]", 0 },
	{ "h\xc3\xa9.example", 0 },
	{ "a\tb", 0 },
};

static void
test_domain_table(void)
{
	char big[400];

	for (size_t i = 0; i < NROWS(domain_rows); i++)
		if (smtp_domain_valid(domain_rows[i].s) != domain_rows[i].ok)
			UNIT_FAIL("row %zu \"%s\": expected %d", i, domain_rows[i].s,
			    domain_rows[i].ok);
	CHECK_INT(smtp_domain_valid(NULL), 0);
	/* a 64-byte label is too long */
	memset(big, 'a', 64);
	memcpy(big + 64, ".b", 3);
	CHECK_INT(smtp_domain_valid(big), 0);
	big[1] = '.';
	CHECK_INT(smtp_domain_valid(big), 1);
	/* 300 bytes of valid labels is still too long */
	for (size_t i = 0; i < 300; i++)
		big[i] = i % 10 == 9 ? '.' : 'a';
	big[300] = '\0';
	CHECK_INT(smtp_domain_valid(big), 0);
}

/* ------------------------------------------------------------------ replies */

struct reply_row {
	const char *buf;	/* input */
	size_t len;		/* 0: strlen(buf) */
	int ret;		/* expected return */
	size_t consumed;	/* expected on 1 */
	int code;		/* expected on 1 */
	const char *enhanced;	/* expected on 1 */
	const char *text;	/* expected on 1 */
	int nlines;		/* expected on 1 */
};

static const struct reply_row reply_rows[] = {
	{ "250 OK\r\n", 0, 1, 8, 250, "", "OK", 1 },
	{ "250 OK\n", 0, 1, 7, 250, "", "OK", 1 },
	{ "250\r\n", 0, 1, 5, 250, "", "", 1 },
	{ "250 \r\n", 0, 1, 6, 250, "", "", 1 },
	{ "220 mx.example ESMTP ready\r\n", 0, 1, 28, 220, "", "mx.example ESMTP ready", 1 },
	{ "250 2.1.0 Ok\r\n", 0, 1, 14, 250, "2.1.0", "Ok", 1 },
	{ "250 2.0.0\r\n", 0, 1, 11, 250, "2.0.0", "", 1 },
	{ "550 5.7.1 <x@y>: Relay access denied\r\n", 0, 1, 38, 550, "5.7.1",
	    "<x@y>: Relay access denied", 1 },
	{ "451 4.3.0 Try later\r\nEXTRA", 0, 1, 21, 451, "4.3.0", "Try later", 1 },
	{ "354 End data with <CR><LF>.<CR><LF>\r\n", 0, 1, 37, 354, "",
	    "End data with <CR><LF>.<CR><LF>", 1 },
	/* the class must match the reply code; 2.0 is not a status code */
	{ "550 2.0.0 odd\r\n", 0, 1, 15, 550, "", "2.0.0 odd", 1 },
	{ "250 2.0 x\r\n", 0, 1, 11, 250, "", "2.0 x", 1 },
	{ "250 2.0.0000 x\r\n", 0, 1, 16, 250, "", "2.0.0000 x", 1 },
	{ "250 2.0.0x\r\n", 0, 1, 12, 250, "", "2.0.0x", 1 },
	{ "250 2.999.999 x\r\n", 0, 1, 17, 250, "2.999.999", "x", 1 },
	/* multi-line */
	{ "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n", 0, 1, 47, 250, "",
	    "mx.example\nPIPELINING\nSIZE 1000", 3 },
	{ "250-a\n250-b\n250 c\n", 0, 1, 18, 250, "", "a\nb\nc", 3 },
	{ "250-a\r\n250-\r\n250 c\r\n", 0, 1, 20, 250, "", "a\n\nc", 3 },
	{ "250-a\r\n250\r\n", 0, 1, 12, 250, "", "a\n", 2 },
	{ "550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1 third\r\n", 0, 1, 52, 550, "5.7.1",
	    "first\nsecond\nthird", 3 },
	{ "550-5.7.1 first\r\n550 plain\r\n", 0, 1, 28, 550, "5.7.1", "first\nplain", 2 },
	{ "550-first\r\n550 5.7.1 second\r\n", 0, 1, 29, 550, "", "first\n5.7.1 second", 2 },
	{ "250-a\r\n250 b\r\n250 next\r\n", 0, 1, 14, 250, "", "a\nb", 2 },
	/* peer controls never reach the text */
	{ "250 a\rb\x01\x7f\tc\r\n", 0, 1, 13, 250, "", "a?b??\tc", 1 },
	{ "250 a\0b\r\n", 9, 1, 9, 250, "", "a?b", 1 },
	{ "250 caf\xc3\xa9\r\n", 0, 1, 11, 250, "", "caf\xc3\xa9", 1 },
	/* partial */
	{ "", 0, 0, 0, 0, NULL, NULL, 0 },
	{ "2", 0, 0, 0, 0, NULL, NULL, 0 },
	{ "25", 0, 0, 0, 0, NULL, NULL, 0 },
	{ "250", 0, 0, 0, 0, NULL, NULL, 0 },
	{ "250\r", 0, 0, 0, 0, NULL, NULL, 0 },
	{ "250 OK", 0, 0, 0, 0, NULL, NULL, 0 },
	{ "250 OK\r", 0, 0, 0, 0, NULL, NULL, 0 },
	{ "250-a\r\n", 0, 0, 0, 0, NULL, NULL, 0 },
	{ "250-a\r\n25", 0, 0, 0, 0, NULL, NULL, 0 },
	{ "250-a\r\n250 b", 0, 0, 0, 0, NULL, NULL, 0 },
	/* malformed, some before the line end arrives */
	{ "\r\n", 0, -1, 0, 0, NULL, NULL, 0 },
	{ "\n", 0, -1, 0, 0, NULL, NULL, 0 },
	{ "x", 0, -1, 0, 0, NULL, NULL, 0 },
	{ "2x", 0, -1, 0, 0, NULL, NULL, 0 },
	{ "25\r\n", 0, -1, 0, 0, NULL, NULL, 0 },
	{ "250x\r\n", 0, -1, 0, 0, NULL, NULL, 0 },
	{ "250x", 0, -1, 0, 0, NULL, NULL, 0 },
	{ "250\rx", 0, -1, 0, 0, NULL, NULL, 0 },
	{ "150 no\r\n", 0, -1, 0, 0, NULL, NULL, 0 },
	{ "650 no\r\n", 0, -1, 0, 0, NULL, NULL, 0 },
	{ "050 no", 0, -1, 0, 0, NULL, NULL, 0 },
	{ "+OK pop3\r\n", 0, -1, 0, 0, NULL, NULL, 0 },
	{ "HTTP/1.1 200 OK\r\n", 0, -1, 0, 0, NULL, NULL, 0 },
	{ "250-a\r\n251 b\r\n", 0, -1, 0, 0, NULL, NULL, 0 },
	{ "250-a\r\n251", 0, -1, 0, 0, NULL, NULL, 0 },
	{ "250-a\r\n\r\n", 0, -1, 0, 0, NULL, NULL, 0 },
	{ "250-a\r\n250x", 0, -1, 0, 0, NULL, NULL, 0 },
	{ "25\0 x\r\n", 7, -1, 0, 0, NULL, NULL, 0 },
};

static void
test_reply_table(void)
{
	for (size_t i = 0; i < NROWS(reply_rows); i++) {
		const struct reply_row *t = &reply_rows[i];
		struct smtp_reply r;
		size_t consumed = 99, len = t->len ? t->len : strlen(t->buf);
		int ret = smtp_reply_parse(t->buf, len, &r, &consumed);

		if (ret != t->ret)
			UNIT_FAIL("row %zu: ret %d, expected %d", i, ret, t->ret);
		if (ret != 1) {
			CHECK_INT(consumed, 0);
			continue;
		}
		if (consumed != t->consumed || r.code != t->code || r.nlines != t->nlines ||
		    strcmp(r.enhanced, t->enhanced) != 0 || strcmp(r.text, t->text) != 0)
			UNIT_FAIL("row %zu: consumed %zu code %d nlines %d enhanced \"%s\" "
			    "text \"%s\"", i, consumed, r.code, r.nlines, r.enhanced, r.text);
		CHECK_INT(r.truncated, 0);
	}
}

static void
test_reply_prefixes(void)
{
	/* no prefix of a valid reply is malformed, and none is complete early */
	for (size_t i = 0; i < NROWS(reply_rows); i++) {
		const struct reply_row *t = &reply_rows[i];
		struct smtp_reply r;
		size_t consumed;

		if (t->ret != 1)
			continue;
		for (size_t k = 0; k < t->consumed; k++)
			if (smtp_reply_parse(t->buf, k, &r, &consumed) != 0)
				UNIT_FAIL("row %zu prefix %zu is not \"need more\"", i, k);
	}
}

static void
test_reply_limits(void)
{
	static char buf[SMTP_REPLY_LINE_MAX * 2 + 200 * 12];
	struct smtp_reply r;
	size_t consumed, n;

	/* a line of exactly SMTP_REPLY_LINE_MAX bytes is taken, text truncated */
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "250 ", 4);
	memcpy(buf + SMTP_REPLY_LINE_MAX, "\r\n", 2);
	CHECK_INT(smtp_reply_parse(buf, SMTP_REPLY_LINE_MAX + 2, &r, &consumed), 1);
	CHECK_INT(consumed, SMTP_REPLY_LINE_MAX + 2);
	CHECK_INT(r.truncated, 1);
	CHECK_INT(strlen(r.text), SMTP_REPLY_TEXT_MAX - 1);
	/* with a bare LF too */
	buf[SMTP_REPLY_LINE_MAX] = '\n';
	CHECK_INT(smtp_reply_parse(buf, SMTP_REPLY_LINE_MAX + 1, &r, &consumed), 1);
	/* one more is malformed, whether or not the line end has arrived */
	memset(buf + 4, 'x', sizeof(buf) - 4);
	memcpy(buf + SMTP_REPLY_LINE_MAX + 1, "\r\n", 2);
	CHECK_INT(smtp_reply_parse(buf, SMTP_REPLY_LINE_MAX + 3, &r, &consumed), -1);
	CHECK_INT(smtp_reply_parse(buf, SMTP_REPLY_LINE_MAX, &r, &consumed), 0);
	CHECK_INT(smtp_reply_parse(buf, SMTP_REPLY_LINE_MAX + 1, &r, &consumed), -1);
	CHECK_INT(smtp_reply_parse(buf, SMTP_REPLY_LINE_MAX + 2, &r, &consumed), -1);
	/* SMTP_REPLY_LINE_MAX bytes and a CR may still become a good line */
	buf[SMTP_REPLY_LINE_MAX] = '\r';
	CHECK_INT(smtp_reply_parse(buf, SMTP_REPLY_LINE_MAX + 1, &r, &consumed), 0);
	memset(buf + 4, 'x', sizeof(buf) - 4);
	CHECK_INT(smtp_reply_parse(buf, SMTP_REPLY_LINE_MAX + 2, &r, &consumed), -1);
	CHECK_INT(smtp_reply_parse(buf, sizeof(buf), &r, &consumed), -1);

	/* 100 lines are fine, 101 are not (also before the 101st ends) */
	n = 0;
	for (int i = 0; i < 99; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "250-line %d\r\n", i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "250 last\r\n");
	CHECK_INT(smtp_reply_parse(buf, n, &r, &consumed), 1);
	CHECK_INT(r.nlines, 100);
	CHECK_INT(consumed, n);
	buf[n - 7] = '-';
	CHECK_INT(smtp_reply_parse(buf, n, &r, &consumed), 0);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "2");
	CHECK_INT(smtp_reply_parse(buf, n, &r, &consumed), -1);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "50 x\r\n");
	CHECK_INT(smtp_reply_parse(buf, n, &r, &consumed), -1);
}

static void
test_reply_truncation_utf8(void)
{
	static char buf[SMTP_REPLY_TEXT_MAX + 100];
	struct smtp_reply r;
	size_t consumed, n;

	/* 2-byte characters across the text limit: no half character at the end */
	memcpy(buf, "250 ", 4);
	n = 4;
	while (n < SMTP_REPLY_TEXT_MAX + 60) {
		memcpy(buf + n, "\xc3\xa9", 2);
		n += 2;
	}
	memcpy(buf + n, "\r\n", 2);
	n += 2;
	CHECK_INT(smtp_reply_parse(buf, n, &r, &consumed), 1);
	CHECK_INT(r.truncated, 1);
	n = strlen(r.text);
	CHECK_INT(n, SMTP_REPLY_TEXT_MAX - 2);
	CHECK((unsigned char)r.text[n - 1] == 0xa9);
	CHECK((unsigned char)r.text[n - 2] == 0xc3);
	/* shifted by one byte, the cut falls on a boundary by itself */
	memcpy(buf, "250 x", 5);
	n = 5;
	while (n < SMTP_REPLY_TEXT_MAX + 60) {
		memcpy(buf + n, "\xc3\xa9", 2);
		n += 2;
	}
	memcpy(buf + n, "\r\n", 2);
	n += 2;
	CHECK_INT(smtp_reply_parse(buf, n, &r, &consumed), 1);
	n = strlen(r.text);
	CHECK_INT(n, SMTP_REPLY_TEXT_MAX - 1);
	CHECK((unsigned char)r.text[n - 1] == 0xa9);
}

static void
test_reply_pipelined(void)
{
	/* pipelined replies come back to back; parse them one after the other */
	const char *buf = "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 No such user\r\n354 go";
	size_t len = strlen(buf), off = 0, consumed;
	struct smtp_reply r;
	int codes[3] = { 250, 250, 550 };

	for (int i = 0; i < 3; i++) {
		CHECK_INT(smtp_reply_parse(buf + off, len - off, &r, &consumed), 1);
		CHECK_INT(r.code, codes[i]);
		off += consumed;
	}
	CHECK_STR(r.text, "No such user");
	CHECK_INT(smtp_reply_parse(buf + off, len - off, &r, &consumed), 0);
}

/* ------------------------------------------------------------------ EHLO */

struct caps_row {
	const char *reply;		/* the EHLO reply */
	struct smtp_caps want;		/* expected capabilities */
};

static const struct caps_row caps_rows[] = {
	{ "250-mx.example Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n"
	  "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n",
	    { 1, 1, 1, 1, 1, 1, 1, 10240000 } },
	{ "250-mx\r\n250-pipelining\r\n250-starttls\r\n250 size\r\n",
	    { 1, 1, 1, 0, 0, 0, 0, 0 } },
	{ "250-mx\r\n250-SIZE 0\r\n250 8bitmime\r\n", { 0, 0, 1, 1, 0, 0, 0, 0 } },
	{ "250-mx\r\n250-SIZE 12x\r\n250 X-FOO\r\n", { 0, 0, 1, 0, 0, 0, 0, 0 } },
	{ "250-mx\r\n250 SIZE 99999999999999999999999\r\n", { 0, 0, 1, 0, 0, 0, 0, ULLONG_MAX } },
	{ "250-mx\r\n250 SIZE  5000 \r\n", { 0, 0, 1, 0, 0, 0, 0, 5000 } },
	/* the greeting line is not a capability */
	{ "250 STARTTLS\r\n", { 0, 0, 0, 0, 0, 0, 0, 0 } },
	/* prefixes and look-alikes */
	{ "250-mx\r\n250-STARTTLSX\r\n250-PIPE\r\n250-SIZEX 5\r\n250 AUTH PLAIN\r\n",
	    { 0, 0, 0, 0, 0, 0, 0, 0 } },
	{ "250-mx\r\n250-STARTTLS extra\r\n250 PIPELINING\r\n", { 1, 1, 0, 0, 0, 0, 0, 0 } },
	/* only a 250 counts */
	{ "502-mx\r\n502 STARTTLS\r\n", { 0, 0, 0, 0, 0, 0, 0, 0 } },
};

static void
test_ehlo_caps_table(void)
{
	for (size_t i = 0; i < NROWS(caps_rows); i++) {
		const struct caps_row *t = &caps_rows[i];
		struct smtp_reply r;
		struct smtp_caps c;
		size_t consumed;

		CHECK_INT(smtp_reply_parse(t->reply, strlen(t->reply), &r, &consumed), 1);
		smtp_ehlo_caps(&r, &c);
		if (c.starttls != t->want.starttls || c.pipelining != t->want.pipelining ||
		    c.size != t->want.size || c.eightbitmime != t->want.eightbitmime ||
		    c.enhancedstatuscodes != t->want.enhancedstatuscodes ||
		    c.chunking != t->want.chunking || c.smtputf8 != t->want.smtputf8 ||
		    c.max_size != t->want.max_size)
			UNIT_FAIL("row %zu: tls %d pipe %d size %d/%llu 8bit %d esc %d "
			    "chunk %d utf8 %d", i, c.starttls, c.pipelining, c.size, c.max_size,
			    c.eightbitmime, c.enhancedstatuscodes, c.chunking, c.smtputf8);
	}
}

static const struct unit_case cases[] = {
	{ "command_table", test_command_table },
	{ "command_length", test_command_length },
	{ "command_arg_string", test_command_arg_string },
	{ "verb_names", test_verb_names },
	{ "mail_table", test_mail_table },
	{ "rcpt_table", test_rcpt_table },
	{ "mail_params", test_mail_params },
	{ "path_limits", test_path_limits },
	{ "domain_table", test_domain_table },
	{ "reply_table", test_reply_table },
	{ "reply_prefixes", test_reply_prefixes },
	{ "reply_limits", test_reply_limits },
	{ "reply_truncation_utf8", test_reply_truncation_utf8 },
	{ "reply_pipelined", test_reply_pipelined },
	{ "ehlo_caps_table", test_ehlo_caps_table },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("smtp_parse", cases, argc, argv);
}
