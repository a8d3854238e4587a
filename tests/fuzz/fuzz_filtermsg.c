/*
 * fuzz_filtermsg.c - libFuzzer harness for the message side of the filter
 * language (mail/filter_eval.c, filter_edit.c): the input is the MESSAGE.
 *
 * A fixed set of filters covers every rule that reads the message
 * (subject, header() and its presence, body-contains over raw, base64 and
 * quoted-printable text, attachment-filename with plain, RFC 2231 and RFC
 * 2047 names) and every header action (insert, strip, edit-header-text
 * with groups). Each input is evaluated with and without an SDR verdict,
 * then the header actions of each outcome are applied: the outcome must
 * be well-formed (actions bounded, a final action last, the budget never
 * overdrawn by more than one call's limit), and an edited message must
 * keep the body byte for byte, walk as headers up to it when the input
 * did, and hold no line longer than 998 bytes that the input did not
 * already have. Failed invariants abort().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/filter.h"
#include "mail/filter_int.h"
#include "mail/header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char script[] =
    "subj: if subject == '^(re|fwd?):\\s*\\[spam\\]' OR subject != '.' { log-entry('s'); }\n"
    "hdr: if header('X-Flag') == '^(a|b)+$' AND NOT header('X-Missing') "
    "{ insert-header('X-Seen', 'yes'); }\n"
    "body: if body-contains('(?:caf\\x{e9}|viagra)\\s+\\w+') OR body-contains('^--$') "
    "{ strip-header('Received'); }\n"
    "att: if attachment-filename == '\\.(exe|scr|js)$' OR attachment-filename == '^\\s' "
    "{ edit-header-text('Subject', '^(.*)$', '[ATT] \\1'); }\n"
    "edit: if header('Subject') { edit-header-text('X-Flag', '(a)(b)?', '<$1${2}>'); "
    "edit-header-text('Subject', '', '-'); strip-header('X-Flag'); }\n"
    "rcpt: if rcpt-to == '@b\\.test$' AND mail-from != '^$' { insert-header('X-R', "
    "'r\\r\\nInjected: no'); }\n";

static const char *const rcpts[] = { "bob@b.test", "carol@c.test" };

static struct filter **fs;
static int nfs;

/* check - abort (a libFuzzer crash) when an invariant fails, saying which */
#define check(ok) check_at((ok), __LINE__)
static void
check_at(int ok, int line)
{
	if (!ok) {
		fprintf(stderr, "fuzz_filtermsg.c:%d: invariant failed\n", line);
		abort();
	}
}

/* longest_line - the longest line of s[0..n), without its line end */
static size_t
longest_line(const char *s, size_t n)
{
	size_t start = 0, max = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '\n') {
			if (i - start > max)
				max = i - start;
			start = i + 1;
		}
	}
	return max;
}

/* check_edited - the header actions applied to the input */
static void
check_edited(const struct filter_outcome *o, const char *msg, size_t len)
{
	char *res = NULL;
	size_t rlen = 0, body, off, blen, inmax;
	int c, walked;

	walked = header_walk(msg, len, NULL, NULL, &body);
	blen = len - body;
	c = filter_edit_headers(o, msg, len, &res, &rlen);
	check(c >= 0);
	if (c == 0) {
		check(res == NULL && rlen == 0);
		return;
	}
	check(res != NULL && rlen >= blen);
	check(memcmp(res + rlen - blen, msg + body, blen) == 0);
	if (walked >= 0 && walked < HEADER_MAX_COUNT - 8) {
		check(header_walk(res, rlen, NULL, NULL, &off) >= 0);
		check(off == rlen - blen);
	}
	inmax = longest_line(msg, body);
	check(longest_line(res, rlen - blen) <= (inmax > 999 ? inmax : 999));
	free(res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct filter_outcome out;
	static struct sdr_result r;
	struct filter_msg m;
	char *msg;

	if (fs == NULL) {
		struct filter_error err;

		check(filter_parse(script, sizeof(script) - 1, &fs, &nfs, &err) == 0);
		check(nfs == 6);
	}
	/* a copy of exactly size bytes, so ASan sees any read past the end */
	msg = malloc(size ? size : 1);
	check(msg != NULL);
	memcpy(msg, data, size);
	memset(&m, 0, sizeof(m));
	m.sender = "alice@a.test";
	m.rcpts = rcpts;
	m.nrcpts = 2;
	m.client_ip = "192.0.2.10";
	m.listener = "InboundMail";
	m.data = msg;
	m.len = size;
	for (int pass = 0; pass < 2; pass++) {
		int held;

		memset(&r, 0, sizeof(r));
		r.verdict = SDR_POOR;
		r.age_days = 3;
		m.sdr = pass == 0 ? NULL : &r;
		memset(&out, 0, sizeof(out));
		held = filter_eval(fs, nfs, &m, &out);
		check(held >= 0 && held <= nfs);
		check(out.nactions >= 0 && out.nactions <= FILTER_MAX_ACTIONS);
		check(out.re_steps >= 0 && out.re_steps <= FILTER_RE_BUDGET);
		check(out.exhausted == 0 || out.exhausted == 1);
		check(out.partial == 0 || out.partial == 1);
		for (int i = 0; i < out.nactions; i++) {
			const struct filter_action *a = &out.actions[i];

			check(a->filter != NULL && a->kind <= FA_SKIP);
			if (a->kind <= FA_QUARANTINE)
				check(i == out.nactions - 1 && out.final);
		}
		check_edited(&out, msg, size);
	}
	free(msg);
	return 0;
}
