/*
 * fuzz_findevent.c - libFuzzer harness for findevent's line parser
 * (mail/maillog.c) and its index (mail/logindex.c, mail/findevent.c).
 *
 * The input is a mail log. Every line goes through maillog_parse, which
 * must keep its pointers inside the line and its counts in range. Then
 * the input is written as a log's current file (a new file each time, in
 * a directory whose index survives between inputs, so stale and reused
 * inodes are met) and the index must answer as a scan does: findevent -m
 * for MIDs 1 to 4 and a From: search. abort() when an invariant fails.
 */
#include <stdint.h>
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_findevent: %s\n", what);
	abort();
}

/* check_line - parse one line; the invariants of the result */
static void
check_line(const char *s, size_t n)
{
	struct maillog_line l;

	if (maillog_parse(s, n, &l) < 0)
		return;
	if (l.nmid < 0 || l.nmid > MAILLOG_MAX_MIDS || l.ts_len > n)
		fail("counts out of range");
	for (int i = 0; i < l.nmid; i++)
		if (l.mid[i] < 0)
			fail("negative MID");
	if (l.icid < 0 || l.dcid < 0 || l.parent < 0 || l.child < 0)
		fail("negative ID");
	if (l.child && l.nmid < 2)
		fail("a relation names fewer than two MIDs");
	if (l.vkind != MAILLOG_VAL_NONE && (l.val < s || l.val + l.vlen > s + n))
		fail("value outside the line");
}

/* answer - the -m lines of mid and a From: search, as text */
static char *
answer(const char *dir, int flags)
{
	struct logset set;
	struct findevent *fe = NULL;
	struct findevent_re *re;
	struct findevent_hit *h;
	struct findevent_pos *pos;
	char *cause = NULL, *out = str_dup(""), *t, *buf = xmalloc(LINEREAD_MAX + 1);
	size_t n;

	if (logset_list(dir, "mail", "*", &set, &cause) < 0 ||
	    findevent_open(dir, "mail", &set, flags, &fe, &cause) != 0)
		fail("cannot open the log");
	logset_free(&set);
	for (long long m = 1; m <= 4; m++) {
		if (findevent_mid(fe, m, &pos, &n, &cause) < 0)
			fail("findevent_mid failed");
		for (size_t i = 0; i < n; i++) {
			size_t len;

			if (findevent_line(fe, &pos[i], buf, LINEREAD_MAX + 1, &len) < 0)
				fail("findevent_line failed");
			t = str_printf("%s%lld:%.*s\n", out, m, (int)len, buf);
			free(out);
			out = t;
		}
		free(pos);
	}
	if ((re = findevent_re_new("[ae]", 0, &cause)) == NULL)
		fail("pattern");
	if (findevent_search(fe, MAILLOG_VAL_FROM, re, &h, &n, &cause) < 0)
		fail("findevent_search failed");
	for (size_t i = 0; i < n; i++) {
		t = str_printf("%sMID %lld (%s) %s @%lld\n", out, h[i].mid, h[i].when, h[i].value,
		    h[i].pos.off);
		free(out);
		out = t;
	}
	findevent_hits_free(h, n);
	findevent_re_free(re);
	findevent_close(fe);
	free(buf);
	return out;
}

static char dir[64];

/* cleanup - remove the scratch directory at exit */
static void
cleanup(void)
{
	char *cmd = str_printf("rm -rf '%s'", dir);

	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_findevent: cannot remove %s\n", dir);
	free(cmd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *e = s + size;
	char *path, *a, *b;
	FILE *f;

	while (s < e) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(e - s);

		check_line(s, n);
		s += n + 1;
	}
	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/fuzz_findevent.%ld", (long)getpid());
		mkdir(dir, 0700);
		atexit(cleanup);
	}
	path = str_printf("%s/mail.current", dir);
	unlink(path);
	if ((f = fopen(path, "w")) == NULL)
		fail("cannot write the log");
	fwrite(data, 1, size, f);
	fclose(f);
	free(path);
	a = answer(dir, FINDEVENT_SCAN);
	b = answer(dir, 0);
	if (strcmp(a, b) != 0) {
		fprintf(stderr, "scan:\n%s\nindex:\n%s\n", a, b);
		fail("the index and the scan disagree");
	}
	free(a);
	free(b);
	return 0;
}
