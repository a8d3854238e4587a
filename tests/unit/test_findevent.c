/*
 * test_findevent.c - mail_logs line parsing, message tracking on crafted
 * logs (splits, journal copies, bounces, a rollover in a message's life),
 * and the property that the index and a full scan give the same answers
 * on generated logs (tests/bench/genlog.py): fresh, caught up after
 * appends and a rollover, and after the index is deleted, truncated or
 * damaged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/findevent.h"
#include "mail/maillog.h"
#include "util/lineread.h"
#include "util/logset.h"
#include "util/str.h"
#include "tests/unit/unit.h"

/* ---------------------------------------------------------------- parsing */

struct pcase {
	const char *msg;		/* after the timestamp and level */
	const char *mids;		/* "1,2" */
	long long icid, dcid, parent, child, finished, start0;
	int close;
	enum maillog_val vk;
	const char *val;
};

static const struct pcase pcases[] = {
	{ "New SMTP ICID 5 interface Management (10.1.1.1) address 10.1.1.209 reverse dns host "
	  "remotehost.com verified yes", "", 5, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "ICID 5 ACCEPT SG UNKNOWNLIST match sbrs[-1.0:10.0] SBRS 5.5", "", 5, 0, 0, 0, 0, 0, 0,
	  0, NULL },
	{ "ICID 5 close", "", 5, 0, 0, 0, 0, 0, 1, 0, NULL },
	{ "Start MID 6 ICID 5", "6", 5, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "Start MID 12 ICID 0", "12", 0, 0, 0, 0, 0, 12, 0, 0, NULL },
	{ "MID 6 ICID 5 From: <sender@remotehost.com>", "6", 5, 0, 0, 0, 0, 0, 0, MAILLOG_VAL_FROM,
	  "sender@remotehost.com" },
	{ "MID 6 ICID 5 RID 0 To: <mary@yourdomain.com>", "6", 5, 0, 0, 0, 0, 0, 0, MAILLOG_VAL_TO,
	  "mary@yourdomain.com" },
	{ "MID 6 ICID 0 RID 0 To: <mary@yourdomain.com>", "6", 0, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "MID 6 ICID 5 To: <x@y> Rejected by RAT", "6", 5, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "MID 6 Subject 'Hello MID 99 there'", "6", 0, 0, 0, 0, 0, 0, 0, MAILLOG_VAL_SUBJECT,
	  "Hello MID 99 there" },
	{ "MID 6 Subject \"it's MID 99\"", "6", 0, 0, 0, 0, 0, 0, 0, MAILLOG_VAL_SUBJECT,
	  "it's MID 99" },
	{ "MID 6 Subject ''", "6", 0, 0, 0, 0, 0, 0, 0, MAILLOG_VAL_SUBJECT, "" },
	{ "MID 5 was split creating MID 6 due to a per-recipient policy sales in the inbound table",
	  "5,6", 0, 0, 5, 6, 0, 0, 0, 0, NULL },
	{ "TDC: MID 8 was generated based on MID 7 for policy DEFAULT", "7,8", 0, 0, 7, 8, 0, 0, 0,
	  0, NULL },
	{ "MID 12 was generated for bounce of MID 11", "11,12", 0, 0, 11, 12, 0, 0, 0, 0, NULL },
	{ "MID 3 rewritten to MID 4 by LDAP rewrite", "3,4", 0, 0, 3, 4, 0, 0, 0, 0, NULL },
	{ "Message finished MID 6 done", "6", 0, 0, 0, 0, 6, 0, 0, 0, NULL },
	{ "Message finished MID 7 aborted", "7", 0, 0, 0, 0, 7, 0, 0, 0, NULL },
	{ "Message finished MID 7 lost", "7", 0, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "Delivery start DCID 8 MID 6 to RID [0, 1]", "6", 0, 8, 0, 0, 0, 0, 0, 0, NULL },
	{ "TDC: Delivery start DCID 3 MID 2", "2", 0, 3, 0, 0, 0, 0, 0, 0, NULL },
	{ "Message 4 to RID [0] pending till Wed Dec  2 04:13:25 2026", "4", 0, 0, 0, 0, 0, 0, 0, 0,
	  NULL },
	{ "Bounced: DCID 3 MID 4 to RID 0 - 5.1.0 - Unknown address error ('550', ['<g@y>... "
	  "MID 77 denied']) []", "4", 0, 3, 0, 0, 0, 0, 0, 0, NULL },
	{ "TDC: Connection Error: DCID 43 domain: the.tdc.queue IP: 127.0.0.1 port: 57009 details: "
	  "MID 5 closed", "", 0, 43, 0, 0, 0, 0, 0, 0, NULL },
	{ "TDC: DCID 43 close", "", 0, 43, 0, 0, 0, 0, 1, 0, NULL },
	{ "DCID 8 TLS success protocol TLSv1.2 cipher ECDHE", "", 0, 8, 0, 0, 0, 0, 0, 0, NULL },
	{ "MID 6 RID [0] Response 'queued as MID 9'", "6", 0, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "ICID 7 TLS failed: MID 3 bad", "", 7, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "MID 26983 SDR: Domains for which SDR is requested: helo: MID 4", "26983", 0, 0, 0, 0, 0, 0,
	  0, 0, NULL },
	{ "Status: MID 5 counters", "", 0, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "Message aborted MID 12 Receiving aborted", "12", 0, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "MID 2 was generated for bounce of MID 2", "2", 0, 0, 0, 0, 0, 0, 0, 0, NULL },
	{ "Delivery of the message to the host went well at last DCID 7 MID 8", "", 0, 0, 0, 0, 0,
	  0, 0, 0, NULL },
	{ "a b c d e DCID 7 w x y z MID 8", "", 0, 7, 0, 0, 0, 0, 0, 0, NULL },
	{ "a b c d e DCID 7 w x y MID 8", "8", 0, 7, 0, 0, 0, 0, 0, 0, NULL },
	{ NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0, NULL },
};

static void
test_parse(void)
{
	for (const struct pcase *p = pcases; p->msg; p++) {
		char *line = str_printf("Sun Nov 22 10:15:02 2026 Info: %s", p->msg);
		struct maillog_line l;
		char mids[64] = "";

		CHECK(maillog_parse(line, strlen(line), &l) == 0);
		for (int i = 0; i < l.nmid; i++) {
			char one[24];

			snprintf(one, sizeof(one), "%s%lld", i ? "," : "", l.mid[i]);
			strncat(mids, one, sizeof(mids) - strlen(mids) - 1);
		}
		if (strcmp(mids, p->mids) != 0)
			UNIT_FAIL("%s: MIDs %s, expected %s", p->msg, mids, p->mids);
		if (l.icid != p->icid || l.dcid != p->dcid || l.parent != p->parent ||
		    l.child != p->child || l.finished != p->finished || l.start0 != p->start0 ||
		    l.close != p->close || l.vkind != p->vk)
			UNIT_FAIL("%s: icid %lld dcid %lld rel %lld>%lld fin %lld s0 %lld close %d vk %d",
			    p->msg, l.icid, l.dcid, l.parent, l.child, l.finished, l.start0, l.close,
			    (int)l.vkind);
		if (p->val && (l.vlen != strlen(p->val) || memcmp(l.val, p->val, l.vlen) != 0))
			UNIT_FAIL("%s: value '%.*s'", p->msg, (int)l.vlen, l.val);
		CHECK_INT(l.ts_len, 24);
		free(line);
	}
	/* not log lines */
	{
		struct maillog_line l;
		const char *bad[] = { "", "hello", "Sun Nov 22 10:15:02 2026 Info:", "Sun Nov 22 "
				      "10:15:02 26 Info: MID 5 x", NULL };

		for (int i = 0; bad[i]; i++)
			CHECK(maillog_parse(bad[i], strlen(bad[i]), &l) < 0);
		CHECK(maillog_parse("Sun Nov  2 10:15:02 2026 Info: MID 5 x", 38, &l) == 0);
		CHECK_INT(l.mid[0], 5);
	}
}

/* ---------------------------------------------------------------- helpers */

/* write_file - create DIR/NAME with text */
static void
write_file(const char *dir, const char *name, const char *text)
{
	char *p = str_printf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");

	CHECK(f != NULL);
	fputs(text, f);
	fclose(f);
	free(p);
}

/* session - a findevent session on all files of dir (scan or index) */
static struct findevent *
session(const char *dir, int flags)
{
	struct logset set;
	struct findevent *fe = NULL;
	char *cause = NULL;

	CHECK(logset_list(dir, "mail", "*", &set, &cause) == 0);
	if (findevent_open(dir, "mail", &set, flags, &fe, &cause) != 0)
		UNIT_FAIL("findevent_open: %s", cause ? cause : "a file vanished");
	logset_free(&set);
	return fe;
}

/* mid_text - the lines of a message, joined (malloc'd) */
static char *
mid_text(struct findevent *fe, long long mid)
{
	struct findevent_pos *pos;
	size_t n, len;
	char *cause = NULL, *buf = xmalloc(LINEREAD_MAX + 1);
	char *out = str_dup("");

	if (findevent_mid(fe, mid, &pos, &n, &cause) < 0)
		UNIT_FAIL("findevent_mid: %s", cause);
	for (size_t i = 0; i < n; i++) {
		char *t;

		CHECK(findevent_line(fe, &pos[i], buf, LINEREAD_MAX + 1, &len) == 0);
		t = str_printf("%s%.*s\n", out, (int)len, buf);
		free(out);
		out = t;
	}
	free(pos);
	free(buf);
	return out;
}

/* search_text - a search's hits as text lines (malloc'd) */
static char *
search_text(struct findevent *fe, enum maillog_val kind, const char *re_s, int caseless,
    int with_pos)
{
	struct findevent_re *re;
	struct findevent_hit *h;
	size_t n;
	char *cause = NULL, *out = str_dup("");

	re = findevent_re_new(re_s, caseless, &cause);
	CHECK(re != NULL);
	if (findevent_search(fe, kind, re, &h, &n, &cause) < 0)
		UNIT_FAIL("findevent_search: %s", cause);
	for (size_t i = 0; i < n; i++) {
		char *t = with_pos ? str_printf("%sMID %lld (%s) %s @%d:%lld\n", out, h[i].mid,
		    h[i].when, h[i].value, h[i].pos.file, h[i].pos.off) :
		    str_printf("%sMID %lld (%s) %s\n", out, h[i].mid, h[i].when, h[i].value);

		free(out);
		out = t;
	}
	findevent_hits_free(h, n);
	findevent_re_free(re);
	return out;
}

#define TS "Sun Nov 22 10:00:%02d 2026 Info: "

/*
 * A crafted log: message 1 on ICID 1 is split into 2, journaled (3, a
 * copy of 1) and bounced for one recipient (4, delivered on DCID 3); the
 * life of 1 spans a rollover; message 5 shares ICID 1 and DCID 1 but is
 * no part of 1's family; DCID 2 is a TDC connection that failed for
 * another message.
 */
static const char *rolled =
    TS "New SMTP ICID 1 interface IncomingMail (10.0.0.1) address 192.0.2.1 reverse dns host "
    "unknown verified no\n"
    TS "ICID 1 ACCEPT SG UNKNOWNLIST match ALL SBRS not enabled\n"
    TS "Start MID 1 ICID 1\n"
    TS "MID 1 ICID 1 From: <alice@outside.test>\n"
    TS "MID 1 ICID 1 RID 0 To: <a@sales.example.test>\n"
    TS "MID 1 ICID 1 RID 1 To: <b@example.test>\n"
    TS "MID 1 Subject 'Quarterly report'\n"
    TS "MID 1 ready 1000 bytes from <alice@outside.test>\n"
    TS "MID 1 matched all recipients for per-recipient policy sales in the inbound table\n"
    TS "MID 1 was split creating MID 2 due to a per-recipient policy DEFAULT in the inbound table\n"
    TS "MID 2 matched all recipients for per-recipient policy DEFAULT in the inbound table\n"
    TS "TDC: MID 3 was generated based on MID 1 for policy sales\n"
    TS "Start MID 5 ICID 1\n"
    TS "MID 5 ICID 1 From: <bob@outside.test>\n"
    TS "MID 5 ICID 1 RID 0 To: <c@example.test>\n"
    TS "MID 5 Subject 'Lunch'\n"
    TS "ICID 1 close\n"
    TS "New SMTP DCID 1 interface 10.0.0.1 address 203.0.113.5 port 25\n";
static const char *current =
    TS "DCID 1 TLS success protocol TLSv1.3 cipher TLS_AES_256_GCM_SHA384\n"
    TS "Delivery start DCID 1 MID 1 to RID [0]\n"
    TS "Message done DCID 1 MID 1 to RID [0]\n"
    TS "Delivery start DCID 1 MID 5 to RID [0]\n"
    TS "Message done DCID 1 MID 5 to RID [0]\n"
    TS "Message finished MID 5 done\n"
    TS "TDC: New SMTP DCID 2 interface 10.0.0.1 address 203.0.113.200 port 25\n"
    TS "TDC: Connection Error: DCID 2 domain: the.tdc.queue IP: 203.0.113.200 port: 25 details: "
    "timeout\n"
    TS "TDC: DCID 2 close\n"
    TS "New SMTP DCID 3 interface 10.0.0.1 address 203.0.113.6 port 25\n"
    TS "Delivery start DCID 3 MID 2 to RID [1]\n"
    TS "Bounced: DCID 3 MID 2 to RID 1 - 5.1.1 - Bad destination mailbox address ('550', "
    "['<b@example.test>... 5.1.1 User unknown']) []\n"
    TS "MID 4 was generated for bounce of MID 2\n"
    TS "Start MID 4 ICID 0\n"
    TS "MID 4 ICID 0 From: <>\n"
    TS "MID 4 ICID 0 RID 0 To: <alice@outside.test>\n"
    TS "Message finished MID 2 done\n"
    TS "TDC: New SMTP DCID 4 interface 10.0.0.1 address 203.0.113.200 port 25\n"
    TS "TDC: Delivery start DCID 4 MID 3\n"
    TS "TDC: MID 3 successfully delivered for scanning with Cisco Secure Email Threat Defense\n"
    TS "Message finished MID 3 done\n"
    TS "Message finished MID 1 done\n"
    TS "MID 1 late line after its end\n"
    TS "DCID 1 close\n"
    TS "TDC: DCID 4 close\n"
    TS "Delivery start DCID 3 MID 4 to RID [0]\n"
    TS "Message done DCID 3 MID 4 to RID [0]\n"
    TS "Message finished MID 4 done\n"
    TS "DCID 3 close\n";

/* crafted - write the crafted log into a fresh directory, timestamps filled in */
static char *
crafted(void)
{
	char *dir = unit_tmpdir();
	char *a = str_printf(rolled, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17);
	char *b = str_printf(current, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,
	    36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48);

	write_file(dir, "mail.@20261122T100018.s", a);
	write_file(dir, "mail.current", b);
	free(a);
	free(b);
	return str_dup(dir);
}

/* expect - the crafted lines with these seconds (ascending, ended by -1), as text */
static char *
expect(const int *secs)
{
	char *a = str_printf(rolled, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17);
	char *b = str_printf(current, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,
	    36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48);
	char *all = str_printf("%s%s", a, b), *out = str_dup("");
	char **v;
	int n;

	v = str_split(all, '\n', &n);
	for (const int *s = secs; *s >= 0; s++)
		for (int i = 0; i < n; i++) {
			char tag[16];

			snprintf(tag, sizeof(tag), ":%02d 2026", *s);
			if (strstr(v[i], tag)) {
				char *t = str_printf("%s%s\n", out, v[i]);

				free(out);
				out = t;
			}
		}
	str_split_free(v);
	free(all);
	free(a);
	free(b);
	return out;
}

static void
check_mid(const char *dir, long long mid, const int *secs)
{
	char *want = expect(secs);

	for (int flags = 0; flags <= FINDEVENT_SCAN; flags += FINDEVENT_SCAN) {
		struct findevent *fe = session(dir, flags);
		char *got = mid_text(fe, mid);

		CHECK_INT(findevent_indexed(fe), flags == 0);
		if (strcmp(got, want) != 0)
			UNIT_FAIL("MID %lld (%s):\n%s\nexpected:\n%s", mid, flags ? "scan" : "index", got,
			    want);
		free(got);
		findevent_close(fe);
	}
	free(want);
}

static void
test_crafted_family(void)
{
	char *dir = crafted();
	/* 1: its connection (ICID 1 without 5's lines), split 2, copy 3, bounce 4, DCIDs 1, 3, 4 */
	static const int all[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 20, 21, 22, 29, 30,
		31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 43, 44, 45, 46, 47, 48, -1 };
	/* 2: split child: its own lines, the bounce it caused, DCID 3; not ICID 1 (names no 2) */
	static const int two[] = { 9, 10, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 48, -1 };
	/* 3: the journal copy alone, and its TDC connection */
	static const int three[] = { 11, 37, 38, 39, 40, 44, -1 };
	/* 5: shares ICID 1 and DCID 1 */
	static const int five[] = { 0, 1, 12, 13, 14, 15, 16, 17, 20, 23, 24, 25, 43, -1 };
	static const int none[] = { -1 };

	check_mid(dir, 1, all);
	check_mid(dir, 2, two);
	check_mid(dir, 3, three);
	check_mid(dir, 5, five);
	check_mid(dir, 99, none);
	free(dir);
}

static void
test_crafted_search(void)
{
	char *dir = crafted();

	for (int flags = 0; flags <= FINDEVENT_SCAN; flags += FINDEVENT_SCAN) {
		struct findevent *fe = session(dir, flags);
		char *s;

		s = search_text(fe, MAILLOG_VAL_FROM, "^alice@", 0, 0);
		CHECK_STR(s, "MID 1 (Sun Nov 22 10:00:03 2026) alice@outside.test\n");
		free(s);
		s = search_text(fe, MAILLOG_VAL_FROM, "OUTSIDE", 1, 0);
		CHECK(strstr(s, "MID 1 ") && strstr(s, "MID 5 ") && !strstr(s, "MID 4 "));
		free(s);
		s = search_text(fe, MAILLOG_VAL_FROM, "OUTSIDE", 0, 0);
		CHECK_STR(s, "");
		free(s);
		s = search_text(fe, MAILLOG_VAL_TO, "example\\.test$", 0, 0);
		CHECK(strstr(s, "MID 1 (Sun Nov 22 10:00:04 2026) a@sales.example.test") &&
		    strstr(s, "MID 5 (Sun Nov 22 10:00:14 2026) c@example.test"));
		CHECK(!strstr(s, "MID 4 "));	/* ICID 0: generated, not received */
		free(s);
		s = search_text(fe, MAILLOG_VAL_SUBJECT, "report", 0, 0);
		CHECK_STR(s, "MID 1 (Sun Nov 22 10:00:06 2026) Quarterly report\n");
		free(s);
		findevent_close(fe);
	}
	free(dir);
}

static void
test_bad_regex(void)
{
	char *cause = NULL;

	CHECK(findevent_re_new("a(b", 0, &cause) == NULL);
	CHECK(cause != NULL && strstr(cause, "Invalid regular expression 'a(b'") != NULL);
	CHECK(strchr(cause, '\n') == NULL);
	free(cause);
}

/* ---------------------------------------------------------------- property */

static const char *
genlog(void)
{
	static const char *const paths[] = { "tests/bench/genlog.py", "../tests/bench/genlog.py",
		"../../tests/bench/genlog.py", NULL };

	for (int i = 0; paths[i]; i++)
		if (access(paths[i], R_OK) == 0)
			return paths[i];
	UNIT_FAIL("tests/bench/genlog.py not found (run from the top directory)");
	return NULL;
}

/* generate - a log into dir */
static void
generate(const char *dir, const char *bytes, const char *roll, int seed)
{
	char *cmd = str_printf("/usr/bin/python3 %s --bytes %s --out %s --roll %s --seed %d "
			       "--conns 20", genlog(), bytes, dir, roll, seed);

	if (system(cmd) != 0)
		UNIT_FAIL("%s failed", cmd);
	free(cmd);
}

/* max_mid - the highest MID in the log */
static long long
max_mid(const char *dir)
{
	char *cmd = str_printf("cat %s/mail.* | grep -o 'MID [0-9]*' | awk '{print $2}' | "
			       "sort -n | tail -1", dir);
	FILE *p = popen(cmd, "r");
	long long m = 0;

	CHECK(p != NULL);
	if (fscanf(p, "%lld", &m) != 1)
		m = 0;
	pclose(p);
	free(cmd);
	return m;
}

static const struct {
	enum maillog_val kind;
	const char *re;
	int caseless;
} searches[] = {
	{ MAILLOG_VAL_FROM, "^mallory", 0 },
	{ MAILLOG_VAL_FROM, "BULK\\.SENDER", 1 },
	{ MAILLOG_VAL_TO, "^(hr|it)@example\\.test$", 0 },
	{ MAILLOG_VAL_TO, "nobody-at-all", 0 },
	{ MAILLOG_VAL_SUBJECT, "it's done", 0 },
	{ MAILLOG_VAL_SUBJECT, "^URGENT", 1 },
	{ MAILLOG_VAL_FROM, "", 0 },
};

/*
 * compare - every MID in [1, max] with step (and those of a split, copy
 * or bounce, which the generator makes often), and the searches: the
 * index and the scan agree
 */
static void
compare(const char *dir, int step)
{
	struct findevent *sc = session(dir, FINDEVENT_SCAN), *ix = session(dir, 0);
	long long max = max_mid(dir);

	CHECK(max > 100);
	CHECK(findevent_indexed(ix));
	for (long long m = 1; m <= max + 1; m += step) {
		char *a = mid_text(sc, m), *b = mid_text(ix, m);

		if (strcmp(a, b) != 0)
			UNIT_FAIL("MID %lld: scan\n%s\nindex\n%s", m, a, b);
		free(a);
		free(b);
	}
	for (size_t i = 0; i < sizeof(searches) / sizeof(searches[0]); i++) {
		char *a = search_text(sc, searches[i].kind, searches[i].re, searches[i].caseless, 1);
		char *b = search_text(ix, searches[i].kind, searches[i].re, searches[i].caseless, 1);

		if (strcmp(a, b) != 0)
			UNIT_FAIL("search %s: scan %zu bytes, index %zu bytes", searches[i].re, strlen(a),
			    strlen(b));
		free(a);
		free(b);
	}
	findevent_close(sc);
	findevent_close(ix);
}

/* segments - the index files of dir, as a NULL-terminated list of paths */
static char **
segments(const char *dir, int *n)
{
	char *cmd = str_printf("ls %s/.index/*.fx 2>/dev/null", dir);
	FILE *p = popen(cmd, "r");
	char line[4096], **v = xcalloc(256, sizeof(*v));

	*n = 0;
	while (p && fgets(line, sizeof(line), p) && *n < 255) {
		line[strcspn(line, "\n")] = '\0';
		v[(*n)++] = str_dup(line);
	}
	if (p)
		pclose(p);
	free(cmd);
	return v;
}

static void
free_list(char **v)
{
	for (int i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

static void
test_property_fresh(void)
{
	char *dir = str_dup(unit_tmpdir());

	generate(dir, "1200K", "150K", 3);
	compare(dir, 1);
	free(dir);
}

static void
test_property_damaged(void)
{
	char *dir = str_dup(unit_tmpdir()), *cmd, **v;
	int n;

	generate(dir, "800K", "120K", 5);
	compare(dir, 7);
	/* deleted */
	cmd = str_printf("rm -rf %s/.index", dir);
	CHECK(system(cmd) == 0);
	free(cmd);
	compare(dir, 5);
	/* truncated at several points, and emptied */
	v = segments(dir, &n);
	CHECK(n >= 5);
	for (int i = 0; i < n; i++)
		CHECK(truncate(v[i], i == 0 ? 0 : i == 1 ? 100 : (off_t)(2000 * i)) == 0);
	free_list(v);
	compare(dir, 5);
	/* overwritten in the middle: keys, postings and values */
	v = segments(dir, &n);
	for (int i = 0; i < n; i++) {
		int fd = open(v[i], O_WRONLY);
		struct stat st;
		char junk[512];

		CHECK(fd >= 0 && fstat(fd, &st) == 0);
		memset(junk, i % 2 ? 0xff : 0x00, sizeof(junk));
		for (off_t at = 200; at + 512 < st.st_size; at += st.st_size / 3)
			CHECK(pwrite(fd, junk, sizeof(junk), at) == (ssize_t)sizeof(junk));
		close(fd);
	}
	free_list(v);
	compare(dir, 5);
	/* a segment of one file put under another file's name */
	v = segments(dir, &n);
	CHECK(n >= 2);
	CHECK(rename(v[0], v[1]) == 0);
	free_list(v);
	compare(dir, 5);
	/* the index directory cannot be made: the scan serves */
	cmd = str_printf("rm -rf %s/.index && touch %s/.index", dir, dir);
	CHECK(system(cmd) == 0);
	free(cmd);
	{
		struct findevent *fe = session(dir, 0);

		CHECK(!findevent_indexed(fe));
		findevent_close(fe);
	}
	free(dir);
}

/* append_file - the bytes of src from off on, appended to dst */
static void
append_part(const char *src, long long from, long long to, const char *dst)
{
	int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_APPEND, 0600);
	char *buf = xmalloc((size_t)(to - from) + 1);

	CHECK(in >= 0 && out >= 0);
	CHECK(pread(in, buf, (size_t)(to - from), from) == (ssize_t)(to - from));
	CHECK(write(out, buf, (size_t)(to - from)) == (ssize_t)(to - from));
	close(in);
	close(out);
	free(buf);
}

static void
test_property_growing(void)
{
	char *src = str_dup(unit_tmpdir()), *dir = str_dup(unit_tmpdir());
	char *whole = str_printf("%s/mail.current", src), *cur = str_printf("%s/mail.current", dir);
	struct stat st;
	long long cuts[6], at = 0;

	/* one file of ~3 MB written in pieces, with half a line at some cuts */
	generate(src, "3M", "0", 9);
	CHECK(stat(whole, &st) == 0);
	cuts[0] = 600000;
	cuts[1] = 1700001;
	cuts[2] = 1700300;
	cuts[3] = 2900000;
	cuts[4] = 2900017;
	cuts[5] = st.st_size;
	for (int i = 0; i < 6; i++) {
		append_part(whole, at, cuts[i], cur);
		at = cuts[i];
		compare(dir, 23);
		if (i == 3) {
			/* a rollover: the file so far is renamed, the rest goes to a new one */
			char *rolledp = str_printf("%s/mail.@20261122T050000.s", dir);

			CHECK(rename(cur, rolledp) == 0);
			free(rolledp);
			compare(dir, 23);
		}
	}
	free(whole);
	free(cur);
	free(src);
	free(dir);
}

static const struct unit_case cases[] = {
	{ "parse", test_parse },
	{ "crafted_family", test_crafted_family },
	{ "crafted_search", test_crafted_search },
	{ "bad_regex", test_bad_regex },
	{ "property_fresh", test_property_fresh },
	{ "property_damaged", test_property_damaged },
	{ "property_growing", test_property_growing },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("test_findevent", cases, argc, argv);
}
