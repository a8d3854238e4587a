/*
 * test_sdr.c - mail/sdr: verdict names, domain checks, the inputs of a
 * message (From:/Reply-To: read as a mail client would), consolidation,
 * the seed 003 log lines byte for byte, the tracker token (round trip and
 * refusal of cut, flipped and foreign tokens), blocklist return codes,
 * local table CSV lines, RDAP objects and bootstrap files, STIX/TAXII
 * envelopes. Table-driven where the cases are alike.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail/sdr.h"
#include "tests/unit/unit.h"

#define NROWS(t) (sizeof(t) / sizeof((t)[0]))

/* contains - does s hold part? */
static int
contains(const char *s, const char *part)
{
	return s != NULL && strstr(s, part) != NULL;
}

/* ------------------------------------------------------------------ names */

static void
test_verdict_names(void)
{
	static const char *const names[] = { "Awful", "Poor", "Tainted", "Weak", "Unknown",
	    "Neutral", "Good" };

	for (int v = 0; v < SDR_NVERDICTS; v++) {
		CHECK_STR(sdr_verdict_name((enum sdr_verdict)v), names[v]);
		CHECK_INT(sdr_verdict_parse(names[v]), v);
	}
	CHECK_INT(sdr_verdict_parse("AWFUL"), SDR_AWFUL);
	CHECK_INT(sdr_verdict_parse("poor"), SDR_POOR);
	CHECK_INT(sdr_verdict_parse("bad"), SDR_AWFUL);
	CHECK_INT(sdr_verdict_parse("Bad"), SDR_AWFUL);
	CHECK_INT(sdr_verdict_parse("Intained"), SDR_TAINTED);
	CHECK_INT(sdr_verdict_parse("terrible"), -1);
	CHECK_INT(sdr_verdict_parse(""), -1);
	CHECK_INT(sdr_verdict_parse(" poor"), -1);
	CHECK_INT(sdr_verdict_parse(NULL), -1);
	CHECK_STR(sdr_input_name(SDR_IN_RDNS), "reverse DNS host");
	CHECK_STR(sdr_input_name(SDR_IN_HELO), "helo");
	CHECK_STR(sdr_input_name(SDR_IN_ENVFROM), "env-from");
	CHECK_STR(sdr_input_name(SDR_IN_HFROM), "header-from");
	CHECK_STR(sdr_input_name(SDR_IN_REPLYTO), "reply-to");
}

struct dom_row {
	const char *in;		/* candidate */
	const char *out;	/* normalised, NULL: refused */
};

static const struct dom_row dom_rows[] = {
	{ "a.test", "a.test" },
	{ "A.Test", "a.test" },
	{ "MX1.EXAMPLE.COM.", "mx1.example.com" },
	{ "localhost", "localhost" },
	{ "xn--bcher-kva.test", "xn--bcher-kva.test" },
	{ "a-b.c-d.test", "a-b.c-d.test" },
	{ "1a.test", "1a.test" },
	{ "", NULL },
	{ ".", NULL },
	{ "a..test", NULL },
	{ ".a.test", NULL },
	{ "a.test..", NULL },
	{ "-a.test", NULL },
	{ "a-.test", NULL },
	{ "a_b.test", NULL },
	{ "a b.test", NULL },
	{ "a@b.test", NULL },
	{ "[1.2.3.4]", NULL },
	{ "1.2.3.4", NULL },
	{ "2001:db8::1", NULL },
	{ "a.123", NULL },
	{ "caf\xc3\xa9.test", NULL },
	/* 63 is the longest label */
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test", NULL },
};

static void
test_domain_valid(void)
{
	char buf[600];

	for (size_t i = 0; i < NROWS(dom_rows); i++) {
		const struct dom_row *r = &dom_rows[i];

		snprintf(buf, sizeof(buf), "%s", r->in);
		if (sdr_domain_valid(buf) != (r->out != NULL))
			UNIT_FAIL("row %zu \"%s\": valid %d", i, r->in, r->out == NULL);
		if (r->out != NULL)
			CHECK_STR(buf, r->out);
		else
			CHECK_STR(buf, r->in);	/* a refused name is left alone */
	}
	/* 253 characters is the longest name, 254 too long */
	memset(buf, 0, sizeof(buf));
	for (int i = 0; i < 4; i++)
		memcpy(buf + i * 64, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.", 64);
	buf[253] = '\0';
	CHECK_INT(sdr_domain_valid(buf), 1);
	buf[253] = 'a';
	buf[254] = '\0';
	CHECK_INT(sdr_domain_valid(buf), 0);
	CHECK_INT(sdr_domain_valid(NULL), 0);
}

struct regdom_row {
	const char *in;
	const char *out;	/* NULL: refused */
};

static const struct regdom_row regdom_rows[] = {
	{ "a.b.co.uk", "b.co.uk" },
	{ "mail.example.com", "example.com" },
	{ "example.com", "example.com" },
	{ "x.y.com.au", "y.com.au" },
	{ "a.b.ne.jp", "b.ne.jp" },
	{ "a.b.or.jp", "b.or.jp" },
	{ "a.b.ac.uk", "b.ac.uk" },
	{ "co.uk", "co.uk" },
	{ "b.co.uk", "b.co.uk" },
	{ "a.b.c.de", "c.de" },
	{ "a.b.co.museum", "co.museum" },	/* not a two-letter country code */
	{ "a.b.xy.uk", "xy.uk" },
	{ "WWW.Example.COM.", "example.com" },
	{ "localhost", "localhost" },
	{ "", NULL },
	{ "a..b", NULL },
	{ "a_b.test", NULL },
};

static void
test_registered_domain(void)
{
	char out[300];

	for (size_t i = 0; i < NROWS(regdom_rows); i++) {
		const struct regdom_row *r = &regdom_rows[i];
		const char *got = sdr_registered_domain(r->in, out, sizeof(out));

		if (r->out == NULL) {
			if (got != NULL)
				UNIT_FAIL("row %zu \"%s\": got \"%s\", expected refusal", i, r->in, got);
			CHECK_STR(out, "");	/* never a stale name for a caller that ignores NULL */
			continue;
		}
		if (got == NULL || strcmp(got, r->out) != 0)
			UNIT_FAIL("row %zu \"%s\": got \"%s\", expected \"%s\"", i, r->in,
			    got ? got : "(null)", r->out);
	}
	CHECK(sdr_registered_domain("mail.example.com", out, 11) == NULL);
	CHECK_STR(out, "");
	CHECK_STR(sdr_registered_domain("mail.example.com", out, 12), "example.com");
	CHECK(sdr_registered_domain(NULL, out, sizeof(out)) == NULL);
}

/* ------------------------------------------------------------------ inputs */

struct input_row {
	const char *rdns, *helo, *sender, *msg;
	const char *dom[SDR_NINPUTS];	/* expected: rdns, helo, env-from, header-from, reply-to */
	const char *from_name, *replyto_name;
};

static const struct input_row input_rows[] = {
	{ "MX.Example.COM.", "mail.example.com", "user@Sender.Test",
	  "From: \"Doe, John\" <john@From.Test>\r\nReply-To: Support <help@reply.test>\r\n"
	  "Subject: x\r\n\r\nbody\r\n",
	  { "mx.example.com", "mail.example.com", "sender.test", "from.test", "reply.test" },
	  "Doe, John", "Support" },
	/* <> sender, IP literal HELO, old-style comment name, no Reply-To */
	{ NULL, "[192.0.2.1]", "", "From: john@a.test (John Smith)\r\n\r\n",
	  { "", "", "", "a.test", "" }, "John Smith", "" },
	{ "", "192.0.2.1", "<user@a.test>", "Subject: none\r\n\r\n",
	  { "", "", "a.test", "", "" }, "", "" },
	{ "", "2001:db8::1", "postmaster", "", { "", "", "", "", "" }, "", "" },
	{ "bad_name.test", "bad_name.test", "a@[192.0.2.1]", "From: a@[192.0.2.1]\r\n\r\n",
	  { "", "", "", "", "" }, "", "" },
	/* folded, encoded word left as it is */
	{ "", "h.test", "", "From: =?UTF-8?B?Sm9obg==?=\r\n <j@Fold.Test>\r\n\r\n",
	  { "", "h.test", "", "fold.test", "" }, "=?UTF-8?B?Sm9obg==?=", "" },
	/* a group: its first mailbox */
	{ "", "", "", "From: Team: a@group.test, b@other.test;\r\n\r\n",
	  { "", "", "", "group.test", "" }, "", "" },
	/* an empty group is skipped */
	{ "", "", "", "From: undisclosed-recipients:;, Y <x@y.test>\r\n\r\n",
	  { "", "", "", "y.test", "" }, "Y", "" },
	/* several addresses: the first */
	{ "", "", "", "From: a@first.test, B <b@second.test>\r\nReply-To: <r@one.test>, s@two.test\n\n",
	  { "", "", "", "first.test", "one.test" }, "", "" },
	/* a quoted local part holding '@' */
	{ "", "", "", "From: \"a@b c\"@quoted.test\r\n\r\n",
	  { "", "", "", "quoted.test", "" }, "", "" },
	/* nested comments, comment as the name of an angle address */
	{ "", "", "", "From: (c (nested) x) <a@c.test>\r\n\r\n",
	  { "", "", "", "c.test", "" }, "c (nested) x", "" },
	{ "", "", "", "From: Name (comment) <a@d.test> (after)\r\n\r\n",
	  { "", "", "", "d.test", "" }, "Name", "" },
	/* garbage */
	{ "", "", "", "From: <<<>>>@@@\r\n\r\n", { "", "", "", "", "" }, "", "" },
	{ "", "", "", "From: john\r\n\r\n", { "", "", "", "", "" }, "", "" },
	{ "", "", "", "From: \"unterminated <a@e.test>\r\n\r\n", { "", "", "", "", "" }, "", "" },
	{ "", "", "", "From: (unterminated <a@e.test>\r\n\r\n", { "", "", "", "", "" }, "", "" },
	{ "", "", "", "From: <a@f.test\r\n\r\n", { "", "", "", "f.test", "" }, "", "" },
	/* upper case and a trailing dot */
	{ "", "HELO.TEST.", "U@ENV.TEST.", "FROM: A@UPPER.TEST.\r\nreply-to: x@REPLY.test\r\n\r\n",
	  { "", "helo.test", "env.test", "upper.test", "reply.test" }, "", "" },
	/* control characters in a name; quoted pairs */
	{ "", "", "", "From: \"a\x01" "b \\\"q\\\"\" <x@y.test>\r\n\r\n",
	  { "", "", "", "y.test", "" }, "a?b \"q\"", "" },
	/* the first From: counts; a From: in the body does not */
	{ "", "", "", "From: a@one.test\r\nFrom: b@two.test\r\n\r\n",
	  { "", "", "", "one.test", "" }, "", "" },
	{ "", "", "", "Subject: x\r\n\r\nFrom: a@body.test\r\n", { "", "", "", "", "" }, "", "" },
	/* source route inside the angle brackets */
	{ "", "", "", "From: <@relay.test,@r2.test:u@route.test>\r\n\r\n",
	  { "", "", "", "route.test", "" }, "", "" },
	/* white space around the domain, a domain that is too long */
	{ "", "", "", "From: u@ spaced.test \r\n\r\n", { "", "", "", "spaced.test", "" }, "", "" },
};

static void
test_inputs_table(void)
{
	for (size_t i = 0; i < NROWS(input_rows); i++) {
		const struct input_row *r = &input_rows[i];
		struct sdr_inputs in;

		sdr_inputs_fill(&in, r->rdns, r->helo, "192.0.2.7", r->sender, r->msg, strlen(r->msg));
		for (int k = 0; k < SDR_NINPUTS; k++)
			if (strcmp(in.dom[k], r->dom[k]) != 0)
				UNIT_FAIL("row %zu %s: \"%s\", expected \"%s\"", i,
				    sdr_input_name((enum sdr_input)k), in.dom[k], r->dom[k]);
		if (strcmp(in.from_name, r->from_name) != 0)
			UNIT_FAIL("row %zu from_name \"%s\", expected \"%s\"", i, in.from_name,
			    r->from_name);
		if (strcmp(in.replyto_name, r->replyto_name) != 0)
			UNIT_FAIL("row %zu replyto_name \"%s\", expected \"%s\"", i, in.replyto_name,
			    r->replyto_name);
		CHECK_STR(in.client_ip, "192.0.2.7");
	}
}

static void
test_inputs_bounds(void)
{
	struct sdr_inputs in;
	char *msg, name[400];
	size_t n;

	/* a display name longer than the field: cut at a character boundary */
	n = 0;
	name[n++] = '"';
	for (int i = 0; i < 100; i++) {
		memcpy(name + n, "\xc3\xa9", 2);	/* é */
		n += 2;
	}
	name[n++] = '"';
	name[n] = '\0';
	msg = malloc(1000);
	snprintf(msg, 1000, "From: %s <a@b.test>\r\n\r\n", name);
	sdr_inputs_fill(&in, NULL, NULL, NULL, NULL, msg, strlen(msg));
	CHECK_STR(in.dom[SDR_IN_HFROM], "b.test");
	CHECK_INT(strlen(in.from_name), 126);
	CHECK(memcmp(in.from_name, "\xc3\xa9\xc3\xa9", 4) == 0);
	CHECK_STR(in.client_ip, "");
	free(msg);

	/* a domain longer than 253: not present, and not cut to a valid prefix */
	msg = malloc(2000);
	n = (size_t)snprintf(msg, 2000, "From: a@");
	for (int i = 0; i < 5; i++)
		n += (size_t)snprintf(msg + n, 2000 - n, "%s.", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	n += (size_t)snprintf(msg + n, 2000 - n, "test\r\n\r\n");
	sdr_inputs_fill(&in, NULL, NULL, NULL, NULL, msg, n);
	CHECK_STR(in.dom[SDR_IN_HFROM], "");
	free(msg);

	/* a From: of 60 KB of junk before the address is still read, in linear time */
	msg = malloc(70000);
	n = (size_t)snprintf(msg, 70000, "From: ");
	for (int i = 0; i < 20000; i++)
		n += (size_t)snprintf(msg + n, 70000 - n, "(((");
	n += (size_t)snprintf(msg + n, 70000 - n, "\r\n\r\n");
	sdr_inputs_fill(&in, NULL, NULL, NULL, NULL, msg, n);
	CHECK_STR(in.dom[SDR_IN_HFROM], "");
	free(msg);

	/* the message need not be NUL-terminated: only len bytes are read */
	msg = malloc(64);
	memcpy(msg, "From: a@x.test\r\n\r\n", 18);
	sdr_inputs_fill(&in, NULL, NULL, NULL, NULL, msg, 12);	/* "From: a@x.te" */
	CHECK_STR(in.dom[SDR_IN_HFROM], "x.te");
	free(msg);
	sdr_inputs_fill(&in, NULL, NULL, NULL, NULL, NULL, 0);
	CHECK_STR(in.dom[SDR_IN_HFROM], "");
}

static void
test_domains_distinct(void)
{
	struct sdr_inputs in;
	const char *d[SDR_NINPUTS];

	sdr_inputs_fill(&in, "mx.a.test", "mx.a.test", NULL, "u@a.test",
	    "From: x@a.test\r\nReply-To: y@b.test\r\n\r\n", 38);
	CHECK_INT(sdr_domains(&in, d, SDR_NINPUTS), 3);
	CHECK_STR(d[0], "mx.a.test");
	CHECK_STR(d[1], "a.test");
	CHECK_STR(d[2], "b.test");
	CHECK_INT(sdr_domains(&in, d, 2), 2);
	memset(&in, 0, sizeof(in));
	CHECK_INT(sdr_domains(&in, d, SDR_NINPUTS), 0);
}

/* ------------------------------------------------------------------ consolidation */

#define NOW ((time_t)1796558400)	/* 2026-12-06 12:00:00 UTC */
#define DAY 86400

/* add - one answer */
static void
add(struct sdr_result *r, enum sdr_source_kind kind, const char *source, const char *domain,
    enum sdr_answer_status st, enum sdr_verdict v, const char *cat, time_t reg, const char *detail)
{
	struct sdr_answer a;

	memset(&a, 0, sizeof(a));
	a.kind = kind;
	snprintf(a.source, sizeof(a.source), "%s", source);
	snprintf(a.domain, sizeof(a.domain), "%s", domain);
	a.status = st;
	a.verdict = v;
	snprintf(a.category, sizeof(a.category), "%s", cat);
	a.registered = reg;
	snprintf(a.detail, sizeof(a.detail), "%s", detail);
	sdr_result_add(r, &a);
}

#define L(k, src, d, v, cat) { k, src, d, SDR_ANS_LISTED, v, cat, 0 }
#define C(k, src, d) { k, src, d, SDR_ANS_CLEAN, SDR_UNKNOWN, "", 0 }
#define E(k, src, d) { k, src, d, SDR_ANS_ERROR, SDR_UNKNOWN, "", 0 }
#define A(d, reg) { SDR_SRC_RDAP, "rdap", d, SDR_ANS_AGE, SDR_UNKNOWN, "", reg }
#define NA(d) { SDR_SRC_RDAP, "rdap", d, SDR_ANS_NOAGE, SDR_UNKNOWN, "", 0 }
#define BL SDR_SRC_BLOCKLIST
#define LO SDR_SRC_LOCAL
#define FE SDR_SRC_FEED

struct cons_answer {
	enum sdr_source_kind kind;
	const char *source, *domain;
	enum sdr_answer_status status;
	enum sdr_verdict verdict;
	const char *category;
	time_t registered;
};

struct cons_row {
	const char *what;
	struct cons_answer a[6];
	int n;
	int unscannable;
	enum sdr_verdict verdict;
	const char *category, *suspected;
	long age_days;
	const char *age_domain;
};

static const struct cons_row cons_rows[] = {
	{ "nothing asked", { { 0 } }, 0, 0, SDR_UNKNOWN, "N/A", "N/A", -1, "" },
	{ "clean", { C(BL, "dbl.test", "a.test") }, 1, 0, SDR_NEUTRAL, "N/A", "N/A", -1, "" },
	{ "rdap answered without a date", { NA("a.test") }, 1, 0, SDR_NEUTRAL, "N/A", "N/A", -1, "" },
	{ "only local misses: nothing known", { C(LO, "local", "a.test"), C(LO, "local", "b.test") },
	  2, 0, SDR_UNKNOWN, "N/A", "N/A", -1, "" },
	{ "worst wins", { L(BL, "dbl.test", "a.test", SDR_POOR, "Spam"),
	    L(FE, "feed1", "b.test", SDR_AWFUL, "Malware"), C(BL, "dbl.test", "c.test") },
	  3, 0, SDR_AWFUL, "Malware", "b.test, a.test", -1, "" },
	{ "local overrides worse", { L(BL, "dbl.test", "a.test", SDR_AWFUL, "Spam"),
	    L(LO, "local", "a.test", SDR_GOOD, "") }, 2, 0, SDR_GOOD, "N/A", "N/A", -1, "" },
	{ "local overrides better", { L(FE, "f", "a.test", SDR_GOOD, "Threat Feed"),
	    L(LO, "local", "a.test", SDR_POOR, "Spam") }, 2, 0, SDR_POOR, "Spam", "a.test", -1, "" },
	{ "local decides its domain only", { L(LO, "local", "a.test", SDR_GOOD, ""),
	    L(BL, "dbl.test", "b.test", SDR_AWFUL, "Spam"), L(BL, "dbl.test", "a.test", SDR_AWFUL, "X") },
	  3, 0, SDR_AWFUL, "Spam", "b.test", -1, "" },
	{ "tie: local before blocklist", { L(BL, "dbl.test", "a.test", SDR_AWFUL, "Spam"),
	    L(LO, "local", "b.test", SDR_AWFUL, "Phish") }, 2, 0, SDR_AWFUL, "Phish",
	  "b.test, a.test", -1, "" },
	{ "tie: blocklist before feed", { L(FE, "f", "a.test", SDR_POOR, "Malware"),
	    L(BL, "dbl.test", "b.test", SDR_POOR, "Spam") }, 2, 0, SDR_POOR, "Spam",
	  "b.test, a.test", -1, "" },
	{ "tie: first added", { L(BL, "z.test", "a.test", SDR_POOR, "Spam"),
	    L(BL, "y.test", "b.test", SDR_POOR, "Malware") }, 2, 0, SDR_POOR, "Spam",
	  "a.test, b.test", -1, "" },
	{ "one domain listed twice: worst", { L(BL, "z.test", "a.test", SDR_WEAK, "Grey"),
	    L(BL, "y.test", "a.test", SDR_TAINTED, "Spam") }, 2, 0, SDR_TAINTED, "Spam", "a.test",
	  -1, "" },
	{ "category of the deciding answer", { L(BL, "z.test", "a.test", SDR_AWFUL, ""),
	    L(BL, "y.test", "b.test", SDR_POOR, "Spam") }, 2, 0, SDR_AWFUL, "N/A", "a.test, b.test",
	  -1, "" },
	{ "good listing", { L(FE, "f", "a.test", SDR_GOOD, "Threat Feed"), C(BL, "z.test", "a.test") },
	  2, 0, SDR_GOOD, "N/A", "N/A", -1, "" },
	{ "weak is suspected, neutral not", { L(LO, "local", "a.test", SDR_NEUTRAL, ""),
	    L(BL, "z.test", "b.test", SDR_WEAK, "") }, 2, 0, SDR_WEAK, "N/A", "b.test", -1, "" },
	{ "every lookup failed", { E(BL, "z.test", "a.test"), E(SDR_SRC_RDAP, "rdap", "a.test") },
	  2, 1, SDR_UNKNOWN, "N/A", "N/A", -1, "" },
	{ "local misses do not save it", { C(LO, "local", "a.test"), E(BL, "z.test", "a.test") },
	  2, 1, SDR_UNKNOWN, "N/A", "N/A", -1, "" },
	{ "one answer is enough", { E(BL, "z.test", "a.test"), C(BL, "y.test", "a.test") },
	  2, 0, SDR_NEUTRAL, "N/A", "N/A", -1, "" },
	{ "a listing among errors", { E(BL, "z.test", "a.test"),
	    L(BL, "y.test", "a.test", SDR_POOR, "Spam") }, 2, 0, SDR_POOR, "Spam", "a.test", -1, "" },
	{ "youngest age", { A("a.test", NOW - 400 * DAY), A("b.test", NOW - 21 * DAY - 3600),
	    A("c.test", NOW - 30 * DAY) }, 3, 0, SDR_NEUTRAL, "N/A", "N/A", 21, "b.test" },
	{ "future date", { A("a.test", NOW - 4 * DAY), A("b.test", NOW + 3 * DAY) },
	  2, 0, SDR_NEUTRAL, "N/A", "N/A", 0, "b.test" },
	{ "age and verdict", { A("a.test", NOW - 209 * DAY), L(BL, "z.test", "a.test", SDR_POOR,
	    "Spam"), NA("b.test") }, 3, 0, SDR_POOR, "Spam", "a.test", 209, "a.test" },
};

static void
test_consolidate_table(void)
{
	for (size_t i = 0; i < NROWS(cons_rows); i++) {
		const struct cons_row *row = &cons_rows[i];
		struct sdr_result r;

		memset(&r, 0, sizeof(r));
		for (int k = 0; k < row->n; k++) {
			const struct cons_answer *a = &row->a[k];

			add(&r, a->kind, a->source, a->domain, a->status, a->verdict, a->category,
			    a->registered, "");
		}
		sdr_consolidate(&r, NOW);
		if (r.unscannable != row->unscannable || r.verdict != row->verdict ||
		    strcmp(r.category, row->category) != 0 || strcmp(r.suspected, row->suspected) != 0 ||
		    r.age_days != row->age_days || strcmp(r.age_domain, row->age_domain) != 0)
			UNIT_FAIL("%s: unscannable %d verdict %s category \"%s\" suspected \"%s\" "
			    "age %ld \"%s\"", row->what, r.unscannable, sdr_verdict_name(r.verdict),
			    r.category, r.suspected, r.age_days, r.age_domain);
		/* the same answers give the same result again */
		{
			struct sdr_result again = r;

			sdr_consolidate(&again, NOW);
			CHECK(memcmp(&again, &r, sizeof(r)) == 0);
		}
	}
}

static void
test_consolidate_bounds(void)
{
	struct sdr_result r;
	char d[64];

	/* answers past SDR_MAX_ANSWERS are ignored */
	memset(&r, 0, sizeof(r));
	for (int i = 0; i < SDR_MAX_ANSWERS + 5; i++) {
		snprintf(d, sizeof(d), "d%02d.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test", i);
		add(&r, BL, "z.test", d, SDR_ANS_LISTED, i < SDR_MAX_ANSWERS ? SDR_POOR : SDR_AWFUL,
		    "Spam", 0, "");
	}
	CHECK_INT(r.nanswers, SDR_MAX_ANSWERS);
	sdr_consolidate(&r, NOW);
	CHECK_INT(r.verdict, SDR_POOR);
	/* the suspected list is cut to its field, ending with ", ..." */
	CHECK(strlen(r.suspected) < sizeof(r.suspected));
	CHECK(contains(r.suspected, "d00.a"));
	CHECK(strcmp(r.suspected + strlen(r.suspected) - 5, ", ...") == 0);

	/* a caller's domain for the unknown age stays; a found age replaces it */
	memset(&r, 0, sizeof(r));
	snprintf(r.age_domain, sizeof(r.age_domain), "env.test");
	add(&r, BL, "z.test", "a.test", SDR_ANS_CLEAN, SDR_UNKNOWN, "", 0, "");
	sdr_consolidate(&r, NOW);
	CHECK_INT(r.age_days, -1);
	CHECK_STR(r.age_domain, "env.test");
	add(&r, SDR_SRC_RDAP, "rdap", "a.test", SDR_ANS_AGE, SDR_UNKNOWN, "", NOW - DAY, "");
	sdr_consolidate(&r, NOW);
	CHECK_INT(r.age_days, 1);
	CHECK_STR(r.age_domain, "a.test");
}

/* ------------------------------------------------------------------ log lines */

struct age_row {
	long days;
	const char *text;
};

static const struct age_row age_rows[] = {
	{ -1, "unknown" }, { 0, "0 days" }, { 1, "1 day" }, { 2, "2 days" }, { 21, "21 days" },
	{ 29, "29 days" }, { 30, "1 month" }, { 31, "1 month 1 day" }, { 209, "6 months 29 days" },
	{ 364, "12 months 4 days" }, { 365, "1 year" }, { 366, "1 year 1 day" },
	{ 395, "1 year 1 month" }, { 2 * 365 + 3 * 30 + 4, "2 years 3 months 4 days" },
	{ 2 * 365 + 90, "2 years 3 months" }, { 3650, "10 years" },
};

static void
test_age_text(void)
{
	char buf[64];

	for (size_t i = 0; i < NROWS(age_rows); i++)
		CHECK_STR(sdr_age_text(age_rows[i].days, buf, sizeof(buf)), age_rows[i].text);
	/* a small buffer: cut between parts, never overflowed */
	CHECK_STR(sdr_age_text(2 * 365 + 90 + 4, buf, 10), "2 years");
}

static void
test_log_lines(void)
{
	struct sdr_inputs in;
	struct sdr_result r;
	char buf[1024];

	/* the seed's first line, with our domains */
	sdr_inputs_fill(&in, NULL, "xxx1.xxx.com", NULL, "customer@xxx.com",
	    "From: <owner@xxx.com>\r\n\r\n", 25);
	CHECK_STR(sdr_log_domains(&in, buf, sizeof(buf)),
	    "SDR: Domains for which SDR is requested: reverse DNS host: Not Present, "
	    "helo: xxx1.xxx.com, env-from: xxx.com, header-from: xxx.com, reply-to: Not Present");
	sdr_inputs_fill(&in, "mx.a.test", "h.test", NULL, "u@e.test",
	    "From: f@f.test\r\nReply-To: r@r.test\r\n\r\n", 38);
	CHECK_STR(sdr_log_domains(&in, buf, sizeof(buf)),
	    "SDR: Domains for which SDR is requested: reverse DNS host: mx.a.test, "
	    "helo: h.test, env-from: e.test, header-from: f.test, reply-to: r.test");

	memset(&r, 0, sizeof(r));
	add(&r, BL, "dbl.test", "a.test", SDR_ANS_LISTED, SDR_AWFUL, "Spam", 0, "127.0.1.2");
	add(&r, FE, "feed1", "b.test", SDR_ANS_LISTED, SDR_POOR, "Malware", 0, "");
	add(&r, SDR_SRC_RDAP, "rdap", "a.test", SDR_ANS_AGE, SDR_UNKNOWN, "", NOW - 21 * DAY, "");
	sdr_consolidate(&r, NOW);
	CHECK_STR(sdr_log_verdict(&r, buf, sizeof(buf)),
	    "SDR: Consolidated Sender Reputation: Awful, Threat Category: Spam, "
	    "Suspected Domain(s) : a.test, b.test. Youngest Domain Age: 21 days for domain: a.test");

	/* nothing against it, no age: the caller's env-from domain is named */
	memset(&r, 0, sizeof(r));
	add(&r, BL, "dbl.test", "a.test", SDR_ANS_CLEAN, SDR_UNKNOWN, "", 0, "");
	sdr_consolidate(&r, NOW);
	CHECK_STR(sdr_log_verdict(&r, buf, sizeof(buf)),
	    "SDR: Consolidated Sender Reputation: Neutral, Threat Category: N/A, "
	    "Suspected Domain(s) : N/A. Youngest Domain Age: unknown for domain: Not Present");
	snprintf(r.age_domain, sizeof(r.age_domain), "xxx.ca");
	CHECK_STR(sdr_log_verdict(&r, buf, sizeof(buf)),
	    "SDR: Consolidated Sender Reputation: Neutral, Threat Category: N/A, "
	    "Suspected Domain(s) : N/A. Youngest Domain Age: unknown for domain: xxx.ca");

	/* unscannable */
	memset(&r, 0, sizeof(r));
	snprintf(r.age_domain, sizeof(r.age_domain), "e.test");
	add(&r, BL, "dbl.test", "a.test", SDR_ANS_ERROR, SDR_UNKNOWN, "", 0, "timeout");
	sdr_consolidate(&r, NOW);
	CHECK_STR(sdr_log_verdict(&r, buf, sizeof(buf)),
	    "SDR: Consolidated Sender Reputation: Unscannable, Threat Category: N/A, "
	    "Suspected Domain(s) : N/A. Youngest Domain Age: unknown for domain: e.test");

	/* six months and a category */
	memset(&r, 0, sizeof(r));
	add(&r, LO, "local", "xxx.com", SDR_ANS_LISTED, SDR_POOR, "Spam", 0, "");
	add(&r, SDR_SRC_RDAP, "rdap", "xxx.com", SDR_ANS_AGE, SDR_UNKNOWN, "", NOW - 209 * DAY, "");
	sdr_consolidate(&r, NOW);
	CHECK_STR(sdr_log_verdict(&r, buf, sizeof(buf)),
	    "SDR: Consolidated Sender Reputation: Poor, Threat Category: Spam, "
	    "Suspected Domain(s) : xxx.com. Youngest Domain Age: 6 months 29 days for domain: xxx.com");

	/* a result never consolidated still gives a whole line */
	memset(&r, 0, sizeof(r));
	r.verdict = SDR_UNKNOWN;
	r.age_days = -1;
	CHECK_STR(sdr_log_verdict(&r, buf, sizeof(buf)),
	    "SDR: Consolidated Sender Reputation: Unknown, Threat Category: N/A, "
	    "Suspected Domain(s) : N/A. Youngest Domain Age: unknown for domain: Not Present");
	/* a small buffer is cut, never overrun */
	CHECK_INT(strlen(sdr_log_verdict(&r, buf, 20)), 19);
}

/* ------------------------------------------------------------------ tracker token */

/* tracker_sample - the answers of the brief's example */
static void
tracker_sample(struct sdr_result *r)
{
	memset(r, 0, sizeof(*r));
	add(r, BL, "dbl.test", "a.test", SDR_ANS_LISTED, SDR_AWFUL, "Spam", 0, "127.0.1.2");
	/* 2026-11-30 00:00:00 UTC */
	add(r, SDR_SRC_RDAP, "rdap", "a.test", SDR_ANS_AGE, SDR_UNKNOWN, "", 1795996800, "");
	add(r, LO, "local", "b.test", SDR_ANS_LISTED, SDR_POOR, "Spam", 0, "");
	add(r, BL, "dbl.test", "c.test", SDR_ANS_ERROR, SDR_UNKNOWN, "", 0, "timeout");
	add(r, FE, "otx", "c.test", SDR_ANS_CLEAN, SDR_UNKNOWN, "", 0, "");
	add(r, SDR_SRC_RDAP, "rdap", "b.test", SDR_ANS_NOAGE, SDR_UNKNOWN, "", 0, "");
	add(r, BL, "blocklist uribl.test", "b.test", SDR_ANS_CLEAN, SDR_UNKNOWN, "", 0, "NXDOMAIN");
	sdr_consolidate(r, NOW);
}

static const char tracker_text[] =
    "a.test  blocklist dbl.test: 127.0.1.2 -> Awful (Spam)\n"
    "a.test  rdap: registered 2026-11-30 (6 days)\n"
    "b.test  local: Poor (Spam)\n"
    "c.test  blocklist dbl.test: no answer (timeout)\n"
    "c.test  feed otx: not listed\n"
    "b.test  rdap: no registration date\n"
    "b.test  blocklist uribl.test: not listed (NXDOMAIN)\n";

static void
test_tracker_round_trip(void)
{
	struct sdr_result r;
	char tok[4096], out[8192], *cause = NULL;
	size_t n;

	tracker_sample(&r);
	CHECK(sdr_tracker_encode(&r, NOW, tok, sizeof(tok)) == tok);
	n = strlen(tok);
	CHECK(n > 20);
	CHECK(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == n);
	CHECK_INT(sdr_tracker_decode(tok, out, sizeof(out), &cause), 7);
	CHECK(cause == NULL);
	CHECK_STR(out, tracker_text);
	/* the same answers, the same token */
	{
		char tok2[4096];

		sdr_tracker_encode(&r, NOW, tok2, sizeof(tok2));
		CHECK_STR(tok2, tok);
	}
	/* white space around a pasted token is fine */
	{
		char pasted[4200];

		snprintf(pasted, sizeof(pasted), "  %s \r\n", tok);
		CHECK_INT(sdr_tracker_decode(pasted, out, sizeof(out), &cause), 7);
		CHECK_STR(out, tracker_text);
	}
	/* no answers at all */
	memset(&r, 0, sizeof(r));
	CHECK(sdr_tracker_encode(&r, NOW, tok, sizeof(tok)) != NULL);
	CHECK_INT(sdr_tracker_decode(tok, out, sizeof(out), &cause), 0);
	CHECK_STR(out, "");
	/* a buffer too small for any token */
	CHECK(sdr_tracker_encode(&r, NOW, tok, 10) == NULL);
	/* a small output buffer holds whole lines only */
	tracker_sample(&r);
	sdr_tracker_encode(&r, NOW, tok, sizeof(tok));
	CHECK_INT(sdr_tracker_decode(tok, out, 60, &cause), 7);
	CHECK_STR(out, "a.test  blocklist dbl.test: 127.0.1.2 -> Awful (Spam)\n");
}

static void
test_tracker_refusals(void)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	/* seed 003's token: standard base64 from another product */
	static const char seed[] =
	    "5Zrl76622ZDGPsS6cByUUXq7LTXXS3/wonoZb5cGe2AbRQKxXE5Fag5SfJuNyzii3UPRVoCasmgBq9G0UrsLt7i"
	    "/omQxDae82pU/wJbLOD8akDJ7eq7cLFChOcPm0utOmSv9sFJ4K/K1dL4uNiB13e/pXHjGDAmZrKwo7A13/7HT"
	    "MCZz8PaMgKl7AFKvwVuZc1oVn5OGQr95d0L5x6/ipHZi6/2oKPxMcovolx580SiJ29lJFv7qLjJ8jOlGZCEQO"
	    "VBnzRHJ7X8wJrZKhGMiLgy";
	struct sdr_result r;
	char tok[4096], bad[8192], out[8192], *cause = NULL;
	size_t n;

	tracker_sample(&r);
	sdr_tracker_encode(&r, NOW, tok, sizeof(tok));
	n = strlen(tok);

	/* every single changed character is refused */
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 3; k++) {
			const char *p = strchr(alphabet, tok[i]);
			char c = alphabet[((size_t)(p - alphabet) + 1 + (size_t)k * 21) % 64];

			memcpy(bad, tok, n + 1);
			bad[i] = c;
			if (sdr_tracker_decode(bad, out, sizeof(out), &cause) != -1)
				UNIT_FAIL("changed character %zu accepted", i);
			CHECK(cause != NULL && out[0] == '\0');
			free(cause);
			cause = NULL;
		}
	}
	/* cut anywhere */
	for (size_t len = 0; len < n; len++) {
		memcpy(bad, tok, len);
		bad[len] = '\0';
		if (sdr_tracker_decode(bad, out, sizeof(out), &cause) != -1)
			UNIT_FAIL("token cut to %zu characters accepted", len);
		CHECK(cause != NULL);
		free(cause);
		cause = NULL;
	}
	memcpy(bad, tok, n - 4);
	bad[n - 4] = '\0';
	CHECK_INT(sdr_tracker_decode(bad, out, sizeof(out), &cause), -1);
	if (!contains(cause, "damaged or cut"))
		UNIT_FAIL("cut token: cause \"%s\"", cause ? cause : "(null)");
	free(cause);
	/* a longer token */
	snprintf(bad, sizeof(bad), "%sAAAA", tok);
	CHECK_INT(sdr_tracker_decode(bad, out, sizeof(out), &cause), -1);
	free(cause);
	/* another product's */
	CHECK_INT(sdr_tracker_decode(seed, out, sizeof(out), &cause), -1);
	CHECK(contains(cause, "not a tracker token of this gateway"));
	free(cause);
	CHECK_INT(sdr_tracker_decode("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", out, sizeof(out), &cause), -1);
	CHECK(contains(cause, "not a tracker token of this gateway"));
	free(cause);
	CHECK_INT(sdr_tracker_decode("", out, sizeof(out), &cause), -1);
	CHECK(contains(cause, "no tracker token"));
	free(cause);
	CHECK_INT(sdr_tracker_decode("not a token!", out, sizeof(out), &cause), -1);
	free(cause);
	/* another version: "SD" then 2 */
	CHECK_INT(sdr_tracker_decode("U0QCAAAAAAAAAAAAAAAAAAAAAAAA", out, sizeof(out), &cause), -1);
	CHECK(contains(cause, "version 2"));
	free(cause);
	CHECK_INT(sdr_tracker_decode(NULL, out, sizeof(out), NULL), -1);
}

static void
test_tracker_bounded(void)
{
	struct sdr_result r;
	char tok[8192], out[65536], *cause = NULL, d[300], src[100];
	const char *more;

	/* 64 answers with long names do not fit in 4 KB: the deciding ones are kept */
	memset(&r, 0, sizeof(r));
	for (int i = 0; i < SDR_MAX_ANSWERS; i++) {
		snprintf(d, sizeof(d), "d%02d.%s.test", i,
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
		snprintf(src, sizeof(src), "zone%02d.test", i);
		add(&r, BL, src, d, i == 60 ? SDR_ANS_LISTED : SDR_ANS_CLEAN,
		    i == 60 ? SDR_AWFUL : SDR_UNKNOWN, i == 60 ? "Spam" : "", 0,
		    "a detail of some length, to fill the token up");
	}
	sdr_consolidate(&r, NOW);
	CHECK_INT(r.verdict, SDR_AWFUL);
	CHECK(sdr_tracker_encode(&r, NOW, tok, sizeof(tok)) != NULL);
	CHECK(strlen(tok) <= 4000);
	CHECK(sdr_tracker_decode(tok, out, sizeof(out), &cause) > 0);
	CHECK(contains(out, "d60.aaaa"));
	CHECK(contains(out, "-> Awful (Spam)"));
	more = strstr(out, "more answers not recorded\n");
	CHECK(more != NULL && more[strlen(more) - 1] == '\n');
	/* the count on that line is what is missing */
	{
		int lines = 0, missing = -1;
		const char *p = out, *last = out;

		for (; *p; p++)
			if (*p == '\n')
				lines++;
		for (p = out; (p = strchr(p, '\n')) != NULL && p[1] != '\0'; p++)
			last = p + 1;
		CHECK(sscanf(last, "%d more answers not recorded", &missing) == 1);
		CHECK_INT(missing + lines - 1, SDR_MAX_ANSWERS);
	}
	/* a token sized to a smaller buffer keeps to it */
	CHECK(sdr_tracker_encode(&r, NOW, tok, 200) != NULL);
	CHECK(strlen(tok) < 200);
	CHECK(sdr_tracker_decode(tok, out, sizeof(out), &cause) >= 0);
	CHECK(contains(out, "more answers not recorded"));
}

static void
test_tracker_extreme_times(void)
{
	struct sdr_result r;
	char tok[4096], out[4096];
	const time_t lo = (time_t)INT64_MIN, hi = (time_t)INT64_MAX;

	/* dates no registry gives: no overflow, whole-day answers */
	memset(&r, 0, sizeof(r));
	add(&r, SDR_SRC_RDAP, "rdap", "a.test", SDR_ANS_AGE, SDR_UNKNOWN, "", lo, "");
	sdr_consolidate(&r, hi);
	CHECK(r.age_days > 0);
	CHECK(sdr_tracker_encode(&r, hi, tok, sizeof(tok)) != NULL);
	CHECK_INT(sdr_tracker_decode(tok, out, sizeof(out), NULL), 1);
	CHECK(contains(out, "a.test  rdap: registered ? ("));
	CHECK(contains(out, " years "));
	memset(&r, 0, sizeof(r));
	add(&r, SDR_SRC_RDAP, "rdap", "a.test", SDR_ANS_AGE, SDR_UNKNOWN, "", hi, "");
	sdr_consolidate(&r, lo);
	CHECK_INT(r.age_days, 0);
	CHECK(sdr_tracker_encode(&r, lo, tok, sizeof(tok)) != NULL);
	CHECK_INT(sdr_tracker_decode(tok, out, sizeof(out), NULL), 1);
	CHECK_STR(out, "a.test  rdap: registered ? (0 days)\n");
}

/* ------------------------------------------------------------------ codes */

static void
test_codes_parse(void)
{
	struct sdr_codes c;
	char buf[2048], *cause = NULL;

	CHECK_INT(sdr_codes_parse("127.0.1.2:Awful/Spam, 127.0.1.3 : poor ,127.0.1.4:bad/Phish_1",
	    &c, &cause), 0);
	CHECK_INT(c.n, 3);
	CHECK_STR(sdr_codes_format(&c, buf, sizeof(buf)),
	    "127.0.1.2:Awful/Spam,127.0.1.3:Poor,127.0.1.4:Awful/Phish_1");
	CHECK_INT(sdr_codes_find(&c, 0x7F000103), 1);
	CHECK_INT(sdr_codes_find(&c, 0x7F000105), -1);
	CHECK_INT(c.verdict[2], SDR_AWFUL);
	CHECK_STR(c.category[1], "");
	/* the normal form parses to itself */
	{
		struct sdr_codes c2;
		char buf2[2048];

		CHECK_INT(sdr_codes_parse(buf, &c2, &cause), 0);
		CHECK_STR(sdr_codes_format(&c2, buf2, sizeof(buf2)), buf);
	}
	CHECK(sdr_codes_format(&c, buf, 20) == NULL);
	/* 32 codes, the most */
	{
		char text[2048];
		size_t n = 0;

		for (int i = 0; i < SDR_MAX_CODES; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s127.0.2.%d:Poor/Category-%d",
			    i ? "," : "", i + 1, i);
		CHECK_INT(sdr_codes_parse(text, &c, &cause), 0);
		CHECK_INT(c.n, SDR_MAX_CODES);
		CHECK(sdr_codes_format(&c, buf, sizeof(buf)) != NULL);
		snprintf(text + n, sizeof(text) - n, ",127.0.3.1:Poor");
		CHECK_INT(sdr_codes_parse(text, &c, &cause), -1);
		CHECK(contains(cause, "more than 32"));
		free(cause);
	}
	CHECK(sdr_code_is_error(0x7FFFFFFF));
	CHECK(sdr_code_is_error(0x7FFFFFFE));
	CHECK(sdr_code_is_error(0x7FFFFFFC));
	CHECK(!sdr_code_is_error(0x7FFFFFFB));
	CHECK(sdr_code_is_error(0x7F000001));
	CHECK(sdr_code_is_error(0x7F0001FF));
	CHECK(!sdr_code_is_error(0x7F000102));
}

struct code_bad {
	const char *text;
	const char *cause;	/* part of the expected cause */
};

static const struct code_bad code_bads[] = {
	{ "", "no return codes" },
	{ "   ", "no return codes" },
	{ "127.0.1.2", "ADDRESS:VERDICT" },
	{ "127.0.1.2:Terrible", "not one of Awful" },
	{ "127.0.1.2:", "not one of Awful" },
	{ ":Awful", "not an IPv4 address" },
	{ "10.0.0.1:Awful", "127.0.0.0/8" },
	{ "127.1.2:Awful", "not an IPv4 address" },
	{ "127.0.1.2.3:Awful", "not an IPv4 address" },
	{ "127.0.1.256:Awful", "not an IPv4 address" },
	{ "127.0.0.1:Awful", "refused" },
	{ "127.255.255.254:Awful", "refused" },
	{ "127.255.255.252:Poor", "refused" },
	{ "127.0.1.2:Awful,127.0.1.2:Poor", "twice" },
	{ "127.0.1.2:Awful/", "category" },
	{ "127.0.1.2:Awful/bad cat", "category" },
	{ "127.0.1.2:Awful/Spam/x", "category" },
	{ "127.0.1.2:Awful/abcdefghijabcdefghijabcdefghijab", "category" },
	{ "127.0.1.2:Awful,", "empty return code" },
	{ ",127.0.1.2:Awful", "empty return code" },
	{ "127.0.1.2:Awful,,127.0.1.3:Poor", "empty return code" },
	{ "127.0.1.2:Awful 127.0.1.3:Poor", "not one of Awful" },
	{ "127.0.1.2:Aw\nful", "not one of Awful" },
};

static void
test_codes_refusals(void)
{
	struct sdr_codes c, before;
	char *cause;

	CHECK_INT(sdr_codes_parse("127.0.1.9:Weak", &c, NULL), 0);
	before = c;
	for (size_t i = 0; i < NROWS(code_bads); i++) {
		cause = NULL;
		if (sdr_codes_parse(code_bads[i].text, &c, &cause) != -1)
			UNIT_FAIL("\"%s\" accepted", code_bads[i].text);
		if (!contains(cause, code_bads[i].cause))
			UNIT_FAIL("\"%s\": cause \"%s\", expected \"%s\"", code_bads[i].text,
			    cause ? cause : "(null)", code_bads[i].cause);
		/* one clear line, and nothing changed */
		CHECK(strchr(cause, '\n') == NULL);
		CHECK(memcmp(&c, &before, sizeof(c)) == 0);
		free(cause);
	}
	/* a category of 31 is fine */
	CHECK_INT(sdr_codes_parse("127.0.1.2:Awful/abcdefghijabcdefghijabcdefghija", &c, NULL), 0);
}

/* ------------------------------------------------------------------ local CSV */

struct csv_row {
	const char *line;
	int ret;
	const char *domain;		/* ret 1 */
	enum sdr_verdict verdict;	/* ret 1 */
	const char *category;		/* ret 1; ret -1: part of the cause */
};

static const struct csv_row csv_rows[] = {
	{ "a.test,Poor,Spam", 1, "a.test", SDR_POOR, "Spam" },
	{ "a.test,Poor", 1, "a.test", SDR_POOR, "" },
	{ "a.test,Poor,", 1, "a.test", SDR_POOR, "" },
	{ "  A.Test. ,  awful  , Malware_2 \r\n", 1, "a.test", SDR_AWFUL, "Malware_2" },
	{ "\"a.test\",\"Good\"", 1, "a.test", SDR_GOOD, "" },
	{ " \"b.test\" , \"bad\" , \"Spam\" \n", 1, "b.test", SDR_AWFUL, "Spam" },
	{ "\xEF\xBB\xBF" "c.test,Neutral", 1, "c.test", SDR_NEUTRAL, "" },
	{ "d.test,intained,x", 1, "d.test", SDR_TAINTED, "x" },
	{ "", 0, NULL, 0, NULL },
	{ "   ", 0, NULL, 0, NULL },
	{ "\r\n", 0, NULL, 0, NULL },
	{ "# domain,verdict,category", 0, NULL, 0, NULL },
	{ "   # indented comment", 0, NULL, 0, NULL },
	{ "bad_domain,Poor", -1, NULL, 0, "domain \"bad_domain\"" },
	{ ",Poor", -1, NULL, 0, "domain" },
	{ "a.test,Terrible", -1, NULL, 0, "verdict \"Terrible\"" },
	{ "a.test,", -1, NULL, 0, "verdict" },
	{ "a.test", -1, NULL, 0, "1 fields" },
	{ "a.test,Poor,Spam,extra", -1, NULL, 0, "4 fields" },
	{ "\"a.test,Poor", -1, NULL, 0, "no closing quote" },
	{ "\"a.test\"x,Poor", -1, NULL, 0, "text after a quoted field" },
	{ "a\"b.test,Poor", -1, NULL, 0, "quote inside" },
	{ "a.test,Poor,\"Sp\"\"am\"", -1, NULL, 0, "category" },
	{ "a.test,Poor,two words", -1, NULL, 0, "category" },
	{ "a.test,Poor,abcdefghijabcdefghijabcdefghijab", -1, NULL, 0, "category" },
	{ "a.test,Poor\nb.test,Good", -1, NULL, 0, "one entry per line" },
	{ "1.2.3.4,Poor", -1, NULL, 0, "domain" },
};

static void
test_local_lines(void)
{
	for (size_t i = 0; i < NROWS(csv_rows); i++) {
		const struct csv_row *r = &csv_rows[i];
		char dom[SDR_DOMAIN_MAX + 1] = "unchanged", cat[SDR_CATEGORY_MAX + 1] = "unchanged";
		enum sdr_verdict v = SDR_UNKNOWN;
		char *cause = NULL;
		int ret = sdr_local_parse_line(r->line, dom, sizeof(dom), &v, cat, sizeof(cat), &cause);

		if (ret != r->ret)
			UNIT_FAIL("row %zu \"%s\": %d, expected %d (%s)", i, r->line, ret, r->ret,
			    cause ? cause : "");
		if (ret == 1) {
			CHECK_STR(dom, r->domain);
			CHECK_INT(v, r->verdict);
			CHECK_STR(cat, r->category);
		} else if (ret == -1) {
			if (!contains(cause, r->category))
				UNIT_FAIL("row %zu \"%s\": cause \"%s\", expected \"%s\"", i, r->line,
				    cause ? cause : "(null)", r->category);
			CHECK(strchr(cause, '\n') == NULL);
		} else
			CHECK(cause == NULL);
		free(cause);
	}
}

/* ------------------------------------------------------------------ RDAP */

struct rdap_row {
	const char *json;
	int ret;
	time_t when;		/* ret 1 */
	const char *cause;	/* ret -1 */
};

static const struct rdap_row rdap_rows[] = {
	{ "{\"objectClassName\":\"domain\",\"ldhName\":\"A.TEST\",\"events\":["
	  "{\"eventAction\":\"expiration\",\"eventDate\":\"2030-01-02T03:04:05Z\"},"
	  "{\"eventAction\":\"registration\",\"eventDate\":\"2020-01-02T03:04:05Z\"},"
	  "{\"eventAction\":\"last changed\",\"eventDate\":\"2024-01-02T03:04:05Z\"}]}",
	  1, 1577934245, NULL },
	{ "{\"objectClassName\":\"domain\",\"events\":[{\"eventAction\":\"registration\","
	  "\"eventDate\":\"2020-01-02T05:04:05.123456+02:00\"}]}", 1, 1577934245, NULL },
	{ "{\"objectClassName\":\"domain\",\"events\":[{\"eventAction\":\"registration\","
	  "\"eventDate\":\"2020-01-01T21:34:05-05:30\"}]}", 1, 1577934245, NULL },
	{ "{\"ldhName\":\"a.test\",\"events\":[{\"eventAction\":\"Registration\","
	  "\"eventDate\":\"2020-01-02t03:04:05z\"}]}", 1, 1577934245, NULL },
	{ "{\"objectClassName\":\"domain\",\"events\":[{\"eventAction\":\"registration\","
	  "\"eventDate\":\"2024-02-29T00:00:00Z\"}]}", 1, 1709164800, NULL },
	{ "{\"objectClassName\":\"domain\",\"events\":[{\"eventAction\":\"expiration\","
	  "\"eventDate\":\"2030-01-02T03:04:05Z\"}]}", 0, 0, NULL },
	{ "{\"objectClassName\":\"domain\",\"ldhName\":\"a.test\"}", 0, 0, NULL },
	{ "{\"objectClassName\":\"domain\",\"events\":{}}", 0, 0, NULL },
	{ "{\"objectClassName\":\"entity\",\"events\":[]}", -1, 0, "objectClassName \"entity\"" },
	{ "{\"events\":[]}", -1, 0, "not an RDAP domain object" },
	{ "{\"errorCode\":404,\"title\":\"Not Found\"}", -1, 0, "RDAP error 404: Not Found" },
	{ "{", -1, 0, "not JSON" },
	{ "[]", -1, 0, "not a JSON object" },
	{ "", -1, 0, "empty" },
	{ "{\"objectClassName\":\"domain\",\"events\":[{\"eventAction\":\"registration\","
	  "\"eventDate\":\"yesterday\"}]}", -1, 0, "RFC 3339" },
	{ "{\"objectClassName\":\"domain\",\"events\":[{\"eventAction\":\"registration\","
	  "\"eventDate\":\"2023-02-29T00:00:00Z\"}]}", -1, 0, "RFC 3339" },
	{ "{\"objectClassName\":\"domain\",\"events\":[{\"eventAction\":\"registration\","
	  "\"eventDate\":\"2023-01-01T24:00:00Z\"}]}", -1, 0, "RFC 3339" },
	{ "{\"objectClassName\":\"domain\",\"events\":[{\"eventAction\":\"registration\","
	  "\"eventDate\":\"2023-01-01T00:00:00Zjunk\"}]}", -1, 0, "RFC 3339" },
	{ "{\"objectClassName\":\"domain\",\"events\":[{\"eventAction\":\"registration\","
	  "\"eventDate\":\"2023-01-01T00:00:00.Z\"}]}", -1, 0, "RFC 3339" },
};

static void
test_rdap(void)
{
	for (size_t i = 0; i < NROWS(rdap_rows); i++) {
		const struct rdap_row *r = &rdap_rows[i];
		time_t when = 0;
		char *cause = NULL;
		int ret = sdr_rdap_registration(r->json, strlen(r->json), &when, &cause);

		if (ret != r->ret)
			UNIT_FAIL("row %zu: %d, expected %d (%s)", i, ret, r->ret, cause ? cause : "");
		if (ret == 1 && when != r->when)
			UNIT_FAIL("row %zu: %lld, expected %lld", i, (long long)when,
			    (long long)r->when);
		if (ret == -1 && !contains(cause, r->cause))
			UNIT_FAIL("row %zu: cause \"%s\", expected \"%s\"", i, cause ? cause : "(null)",
			    r->cause);
		free(cause);
	}
	/* only len bytes are read */
	{
		const char *j = "{\"objectClassName\":\"domain\"}TRAILING JUNK";
		time_t when;

		CHECK_INT(sdr_rdap_registration(j, 28, &when, NULL), 0);
		CHECK_INT(sdr_rdap_registration(j, 27, &when, NULL), -1);
	}
}

static const char bootstrap[] =
    "{\"version\":\"1.0\",\"publication\":\"2024-01-01T00:00:00Z\",\"services\":["
    "[[\"com\",\"NET\"],[\"https://rdap.verisign.test/com/v1/\"]],"
    "[[\"uk\"],[\"http://rdap.nominet.test/uk\"]],"
    "[[\"co.uk\"],[\"http://a.test/co\",\"https://b.test/couk\"]],"
    "[[\"test\"],[\"ftp://x.test/\"]],"
    "\"junk\",[[]],[[\"org\"]],"
    "[[\"com\"],[\"https://second.test/\"]]"
    "]}";

struct boot_row {
	const char *domain;
	int ret;
	const char *url;
};

static const struct boot_row boot_rows[] = {
	{ "a.example.com", 1, "https://rdap.verisign.test/com/v1/" },
	{ "EXAMPLE.NET.", 1, "https://rdap.verisign.test/com/v1/" },
	{ "x.co.uk", 1, "https://b.test/couk/" },
	{ "a.b.co.uk", 1, "https://b.test/couk/" },
	{ "x.org.uk", 1, "http://rdap.nominet.test/uk/" },
	{ "notco.uk", 1, "http://rdap.nominet.test/uk/" },
	{ "uk", 1, "http://rdap.nominet.test/uk/" },
	{ "x.test", 0, "" },
	{ "x.org", 0, "" },
	{ "x.com.example", 0, "" },
	{ "bad_domain.com", 0, "" },
	{ "", 0, "" },
};

static void
test_bootstrap(void)
{
	char url[1024], *cause = NULL;

	for (size_t i = 0; i < NROWS(boot_rows); i++) {
		const struct boot_row *r = &boot_rows[i];
		int ret = sdr_rdap_bootstrap(bootstrap, strlen(bootstrap), r->domain, url, sizeof(url),
		    &cause);

		if (ret != r->ret || strcmp(url, r->url) != 0)
			UNIT_FAIL("\"%s\": %d \"%s\", expected %d \"%s\" (%s)", r->domain, ret, url,
			    r->ret, r->url, cause ? cause : "");
	}
	CHECK_INT(sdr_rdap_bootstrap("{}", 2, "a.com", url, sizeof(url), &cause), -1);
	CHECK(contains(cause, "not an RDAP bootstrap file"));
	free(cause);
	CHECK_INT(sdr_rdap_bootstrap("{\"services\":{}}", 15, "a.com", url, sizeof(url), &cause), -1);
	free(cause);
	CHECK_INT(sdr_rdap_bootstrap("nope", 4, "a.com", url, sizeof(url), &cause), -1);
	free(cause);
	/* a URL that does not fit */
	CHECK_INT(sdr_rdap_bootstrap(bootstrap, strlen(bootstrap), "x.co.uk", url, 20, &cause), -1);
	CHECK_STR(url, "");
	free(cause);
	CHECK_INT(sdr_rdap_bootstrap(bootstrap, strlen(bootstrap), "x.co.uk", url, 21, &cause), 1);
	CHECK_STR(url, "https://b.test/couk/");
}

/* the bootstrap file parsed once into a table: the same answers as sdr_rdap_bootstrap */
static void
test_bootstrap_table(void)
{
	struct sdr_bootstrap t;
	char url[1024], *cause = NULL;

	CHECK_INT(sdr_bootstrap_build(bootstrap, strlen(bootstrap), &t, &cause), 0);
	CHECK_INT(t.n, 4);	/* com net uk co.uk: "test" (an ftp URL) and "org" (none) left out */
	for (int i = 1; i < t.n; i++)
		CHECK(strcmp(t.e[i - 1].label, t.e[i].label) < 0);
	for (size_t i = 0; i < NROWS(boot_rows); i++) {
		const struct boot_row *r = &boot_rows[i];
		int ret = sdr_bootstrap_find(&t, r->domain, url, sizeof(url), &cause);

		if (ret != r->ret || strcmp(url, r->url) != 0)
			UNIT_FAIL("\"%s\": %d \"%s\", expected %d \"%s\" (%s)", r->domain, ret, url,
			    r->ret, r->url, cause ? cause : "");
	}
	/* "com" listed twice: the first service */
	CHECK_INT(sdr_bootstrap_find(&t, "x.com", url, sizeof(url), &cause), 1);
	CHECK_STR(url, "https://rdap.verisign.test/com/v1/");
	/* a URL that does not fit */
	CHECK_INT(sdr_bootstrap_find(&t, "x.co.uk", url, 20, &cause), -1);
	CHECK_STR(url, "");
	CHECK(contains(cause, "too long"));
	free(cause);
	cause = NULL;
	CHECK_INT(sdr_bootstrap_find(&t, "x.co.uk", url, 21, &cause), 1);
	CHECK_STR(url, "https://b.test/couk/");
	sdr_bootstrap_free(&t);
	CHECK_INT(t.n, 0);
	CHECK_INT(sdr_bootstrap_find(&t, "x.com", url, sizeof(url), &cause), 0);
	/* not a bootstrap file: an error, an empty table */
	CHECK_INT(sdr_bootstrap_build("{}", 2, &t, &cause), -1);
	CHECK(contains(cause, "not an RDAP bootstrap file"));
	CHECK_INT(t.n, 0);
	free(cause);
	cause = NULL;
	CHECK_INT(sdr_bootstrap_build("nope", 4, &t, &cause), -1);
	CHECK_INT(t.n, 0);
	free(cause);
	sdr_bootstrap_free(&t);
}

/* ------------------------------------------------------------------ STIX */

struct got {
	int n;
	struct sdr_indicator ind[20];
};

/* collect - sdr_indicator_cb */
static void
collect(const struct sdr_indicator *ind, void *arg)
{
	struct got *g = arg;

	if (g->n < 20)
		g->ind[g->n] = *ind;
	g->n++;
}

#define IND(id, extra) "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--" id "\"," \
	"\"pattern_type\":\"stix\",\"valid_from\":\"2026-01-01T00:00:00Z\"," extra "}"

static const char envelope[] =
    "{\"more\":true,\"next\":\"cursor-2\",\"objects\":["
    "{\"type\":\"identity\",\"id\":\"identity--1\",\"name\":\"x\"},"
    IND("01", "\"pattern\":\"[domain-name:value = 'Evil.Test']\",\"indicator_types\":[\"malicious-activity\"],\"labels\":[\"phishing\"]") ","
    IND("02", "\"pattern\":\"[domain-name:value='b.test']\",\"confidence\":60,\"indicator_types\":[\"malicious-activity\",\"malware\"]") ","
    IND("03", "\"pattern\":\" [ domain-name : value =  'c.test' ] \",\"confidence\":10,\"indicator_types\":[\"malicious-activity\"]") ","
    IND("04", "\"pattern\":\"[domain-name:value = 'd.test']\",\"confidence\":90,\"indicator_types\":[\"anomalous-activity\"]") ","
    IND("05", "\"pattern\":\"[domain-name:value = 'e.test']\",\"indicator_types\":[\"compromised\"],\"description\":\"spam\"") ","
    IND("06", "\"pattern\":\"[domain-name:value = 'f.test']\",\"indicator_types\":[\"benign\"]") ","
    IND("07", "\"pattern\":\"[domain-name:value = 'g.test']\",\"labels\":[\"spam-source\"]") ","
    IND("08", "\"pattern\":\"[domain-name:value = 'a.test' OR domain-name:value = 'b.test']\"") ","
    IND("09", "\"pattern\":\"[ipv4-addr:value = '1.2.3.4']\"") ","
    IND("10", "\"pattern\":\"[domain-name:value = 'h.test']\",\"revoked\":true,\"indicator_types\":[\"malicious-activity\"]") ","
    IND("11", "\"pattern\":\"[domain-name:value = 'i.test']\",\"valid_until\":\"2027-01-01T00:00:00Z\",\"confidence\":80,\"indicator_types\":[\"malicious-activity\"]") ","
    "{\"type\":\"indicator\",\"id\":\"indicator--12\",\"pattern_type\":\"sigma\",\"pattern\":\"[domain-name:value = 'j.test']\"},"
    IND("13", "\"pattern\":\"[domain-name:value = 'bad_name.test']\"") ","
    IND("14", "\"pattern\":\"[domain-name:value = 'k.test'] WITHIN 10 SECONDS\"") ","
    IND("15", "\"pattern\":\"[domain-name:value = 'l.test']\",\"valid_until\":\"never\"") ","
    "{\"type\":\"indicator\",\"id\":\"indicator--\",\"pattern\":\"[domain-name:value = 'm.test']\"},"
    "{\"type\":\"indicator\",\"id\":\"\\u0000x\",\"pattern\":\"[domain-name:value = 'n.test']\"},"
    "{\"type\":\"indicator\",\"pattern\":\"[domain-name:value = 'o.test']\"},"
    "{\"type\":\"relationship\",\"id\":\"relationship--1\"}"
    "]}";

static void
test_stix(void)
{
	struct got g;
	char next[64];
	int more = -1, skipped = -1;
	char *cause = NULL;

	memset(&g, 0, sizeof(g));
	CHECK_INT(sdr_stix_envelope(envelope, strlen(envelope), collect, &g, &more, next,
	    sizeof(next), &skipped, &cause), 0);
	CHECK_INT(more, 1);
	CHECK_STR(next, "cursor-2");
	CHECK_INT(skipped, 9);
	CHECK_INT(g.n, 9);
	CHECK_STR(g.ind[0].id, "indicator--01");
	CHECK_STR(g.ind[0].domain, "evil.test");
	CHECK_INT(g.ind[0].verdict, SDR_AWFUL);
	CHECK_STR(g.ind[0].category, "Phishing");
	CHECK_INT(g.ind[0].valid_from, 1767225600);
	CHECK_INT(g.ind[0].valid_until, 0);
	CHECK_INT(g.ind[0].revoked, 0);
	CHECK_STR(g.ind[1].domain, "b.test");
	CHECK_INT(g.ind[1].verdict, SDR_POOR);
	CHECK_STR(g.ind[1].category, "Malware");
	CHECK_STR(g.ind[2].domain, "c.test");
	CHECK_INT(g.ind[2].verdict, SDR_TAINTED);
	CHECK_STR(g.ind[2].category, "Threat Feed");
	CHECK_INT(g.ind[3].verdict, SDR_TAINTED);	/* anomalous, confidence 90 */
	CHECK_INT(g.ind[4].verdict, SDR_WEAK);		/* compromised, no confidence */
	CHECK_STR(g.ind[4].category, "Threat Feed");	/* a description is not a label */
	CHECK_INT(g.ind[5].verdict, SDR_GOOD);
	CHECK_INT(g.ind[6].verdict, SDR_TAINTED);
	CHECK_STR(g.ind[6].category, "Spam");
	CHECK_STR(g.ind[7].domain, "h.test");
	CHECK_INT(g.ind[7].revoked, 1);
	CHECK_STR(g.ind[8].domain, "i.test");
	CHECK_INT(g.ind[8].verdict, SDR_AWFUL);
	CHECK_INT(g.ind[8].valid_until, 1798761600);

	/* the last page; an empty envelope */
	memset(&g, 0, sizeof(g));
	CHECK_INT(sdr_stix_envelope("{\"more\":false,\"objects\":[]}", 27, collect, &g, &more,
	    next, sizeof(next), &skipped, &cause), 0);
	CHECK_INT(more, 0);
	CHECK_STR(next, "");
	CHECK_INT(g.n, 0);
	CHECK_INT(sdr_stix_envelope("{}", 2, collect, &g, &more, next, sizeof(next), &skipped,
	    &cause), 0);
	CHECK_INT(skipped, 0);
	/* not envelopes */
	CHECK_INT(sdr_stix_envelope("[]", 2, collect, &g, &more, next, sizeof(next), &skipped,
	    &cause), -1);
	free(cause);
	CHECK_INT(sdr_stix_envelope("{\"objects\":5}", 13, collect, &g, &more, next, sizeof(next),
	    &skipped, &cause), -1);
	CHECK(contains(cause, "not a TAXII 2.1 envelope"));
	free(cause);
	CHECK_INT(sdr_stix_envelope("{\"more\":\"yes\"}", 14, collect, &g, &more, next,
	    sizeof(next), &skipped, &cause), -1);
	free(cause);
	CHECK_INT(sdr_stix_envelope("<html>", 6, collect, &g, &more, next, sizeof(next), &skipped,
	    &cause), -1);
	CHECK(contains(cause, "not JSON"));
	free(cause);
	/* a next cursor that does not fit is refused, nothing delivered */
	CHECK_INT(sdr_stix_envelope(envelope, strlen(envelope), collect, &g, &more, next, 5,
	    &skipped, &cause), -1);
	CHECK(contains(cause, "next cursor"));
	CHECK_INT(g.n, 0);
	free(cause);
}

static void
test_stix_large(void)
{
	/* 16 MB of indicators: linear, and every one delivered */
	const char *one = IND("00000000-0000-0000-0000-%06d", "\"pattern\":\"[domain-name:value = 'd%06d.test']\","
	    "\"indicator_types\":[\"malicious-activity\"]");
	size_t cap = 16 * 1024 * 1024, n = 0;
	char *j = malloc(cap);
	struct got g;
	int count = 0, more, skipped;
	clock_t t0;

	n += (size_t)snprintf(j, cap, "{\"objects\":[");
	for (;;) {
		char obj[512];
		int w = snprintf(obj, sizeof(obj), one, count, count);

		if (n + (size_t)w + 8 > cap)
			break;
		if (count > 0)
			j[n++] = ',';
		memcpy(j + n, obj, (size_t)w);
		n += (size_t)w;
		count++;
	}
	n += (size_t)snprintf(j + n, cap - n, "]}");
	memset(&g, 0, sizeof(g));
	t0 = clock();
	CHECK_INT(sdr_stix_envelope(j, n, collect, &g, &more, NULL, 0, &skipped, NULL), 0);
	CHECK_INT(g.n, count);
	CHECK_INT(skipped, 0);
	CHECK(count > 50000);
	/* generous: linear work on 16 MB takes well under a second even with ASan */
	CHECK((clock() - t0) / CLOCKS_PER_SEC < 30);
	/* one byte more than 16 MB is refused */
	{
		char *cause = NULL;
		char *big = malloc(cap + 1);

		memset(big, ' ', cap + 1);
		big[0] = '{';
		big[cap] = '}';
		CHECK_INT(sdr_stix_envelope(big, cap + 1, collect, &g, &more, NULL, 0, &skipped,
		    &cause), -1);
		CHECK(contains(cause, "16 MB"));
		free(cause);
		free(big);
	}
	free(j);
}

static const struct unit_case cases[] = {
	{ "verdict_names", test_verdict_names },
	{ "domain_valid", test_domain_valid },
	{ "registered_domain", test_registered_domain },
	{ "inputs_table", test_inputs_table },
	{ "inputs_bounds", test_inputs_bounds },
	{ "domains_distinct", test_domains_distinct },
	{ "consolidate_table", test_consolidate_table },
	{ "consolidate_bounds", test_consolidate_bounds },
	{ "age_text", test_age_text },
	{ "log_lines", test_log_lines },
	{ "tracker_round_trip", test_tracker_round_trip },
	{ "tracker_refusals", test_tracker_refusals },
	{ "tracker_bounded", test_tracker_bounded },
	{ "tracker_extreme_times", test_tracker_extreme_times },
	{ "codes_parse", test_codes_parse },
	{ "codes_refusals", test_codes_refusals },
	{ "local_lines", test_local_lines },
	{ "rdap", test_rdap },
	{ "bootstrap", test_bootstrap },
	{ "bootstrap_table", test_bootstrap_table },
	{ "stix", test_stix },
	{ "stix_large", test_stix_large },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("sdr", cases, argc, argv);
}
