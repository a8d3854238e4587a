/*
 * fuzz_filter.c - libFuzzer harness for the message filter language
 * (mail/filter.c, filter_eval.c, filter_edit.c).
 *
 * The input is a script. A failed parse must return nothing, with a
 * position inside the input and a message. A script that parses must
 * give each filter a well-formed name and a source slice that parses
 * again as that one filter; then every filter is evaluated over a fixed
 * MIME message without an SDR verdict, with an Awful one and with an
 * unscannable one, and the header actions of each outcome are applied:
 * the result must keep the body, walk as headers, and hold no line
 * longer than 998 bytes. Failed invariants abort().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/filter.h"
#include "mail/header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char body[] =
    "This is the body.\r\n"
    "--B\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "caf=C3=A9 soft=\r\n"
    "break\r\n"
    "--B\r\n"
    "Content-Type: application/pdf; name=\"a.pdf\"\r\n"
    "Content-Disposition: attachment; filename=\"Invoice.PDF\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "SGVsbG8gd29ybGQ=\r\n"
    "--B--\r\n";

static const char message[] =
    "From: Alice <alice@a.test>\r\n"
    "To: bob@b.test\r\n"
    "Subject: Hello [SPAM] world\r\n"
    "X-Flag: one\r\n"
    "X-Flag: two\r\n"
    " folded\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=B\r\n"
    "\r\n"
    "This is the body.\r\n"
    "--B\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "caf=C3=A9 soft=\r\n"
    "break\r\n"
    "--B\r\n"
    "Content-Type: application/pdf; name=\"a.pdf\"\r\n"
    "Content-Disposition: attachment; filename=\"Invoice.PDF\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "SGVsbG8gd29ybGQ=\r\n"
    "--B--\r\n";

static const char *const rcpts[] = { "bob@b.test", "carol@c.test" };

/* check - abort (a libFuzzer crash) when an invariant fails */
static void
check(int ok)
{
	if (!ok)
		abort();
}

static int
cb_dnslist(const char *zone, void *arg)
{
	(void)arg;
	check(zone != NULL && zone[0] != '\0');
	return (strlen(zone) & 1) != 0;
}

static int
cb_exception(const char *list, void *arg)
{
	(void)arg;
	check(list != NULL && list[0] != '\0');
	return list[0] == 'e' || list[0] == 'E';
}

static int
cb_refs(const char *kind, const char *name, void *arg)
{
	(void)arg;
	check(strcmp(kind, "list") == 0 || strcmp(kind, "quarantine") == 0);
	check(name != NULL && name[0] != '\0' && strlen(name) <= 63);
	return 0;
}

static void
cb_zone(const char *zone, void *arg)
{
	(void)arg;
	check(zone != NULL && zone[0] != '\0' && strlen(zone) <= 253);
}

/* check_text - f's source parses again as that one filter */
static void
check_text(const struct filter *f, const uint8_t *data, size_t size)
{
	const char *t = filter_text(f), *name = filter_name(f);
	struct filter **again;
	struct filter_error err;
	size_t tl, nl = strlen(name);
	int n;

	check(nl > 0 && nl <= FILTER_NAME_MAX);
	check(t != NULL);
	tl = strlen(t);
	check(tl > nl && strncmp(t, name, nl) == 0 && t[tl - 1] == '}');
	check(memmem(data, size, t, tl) != NULL);
	check(filter_parse(t, tl, &again, &n, &err) == 0 && n == 1);
	check(strcmp(filter_name(again[0]), name) == 0);
	check(strcmp(filter_text(again[0]), t) == 0);
	filter_free_all(again, n);
}

/* check_edited - the header actions applied: body kept, headers walk, lines bounded */
static void
check_edited(const struct filter_outcome *o)
{
	char *res = NULL;
	size_t rlen = 0, off, start = 0, blen = sizeof(body) - 1;
	int c;

	c = filter_edit_headers(o, message, sizeof(message) - 1, &res, &rlen);
	check(c >= 0);
	if (c == 0) {
		check(res == NULL && rlen == 0);
		return;
	}
	check(res != NULL && rlen >= blen);
	check(memcmp(res + rlen - blen, body, blen) == 0);
	check(header_walk(res, rlen, NULL, NULL, &off) >= 0);
	check(off == rlen - blen);
	for (size_t i = 0; i < rlen; i++) {
		if (res[i] == '\n') {
			check(i - start <= 999);
			start = i + 1;
		}
	}
	free(res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct filter_outcome out;
	static struct sdr_result r;
	struct filter **fs = (struct filter **)&out;
	struct filter_error err;
	struct filter_msg m;
	int n = -1, rc;

	rc = filter_parse((const char *)data, size, &fs, &n, &err);
	if (rc != 0) {
		check(rc == -1 && fs == NULL && n == 0);
		check(err.line >= 1 && err.col >= 1);
		check(err.msg[0] != '\0' && memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
		check((size_t)err.line <= size + 1 && (size_t)err.col <= size + 1);
		return 0;
	}
	check(n >= 1 && fs != NULL);
	for (int i = 0; i < n; i++) {
		check_text(fs[i], data, size);
		check(filter_refs(fs[i], cb_refs, NULL) == 0);
		filter_dnslists(fs[i], cb_zone, NULL);
	}

	memset(&m, 0, sizeof(m));
	m.sender = "alice@a.test";
	m.rcpts = rcpts;
	m.nrcpts = 2;
	m.client_ip = "192.0.2.10";
	m.listener = "InboundMail";
	m.data = message;
	m.len = sizeof(message) - 1;
	m.dnslist = cb_dnslist;
	m.exception = cb_exception;
	for (int pass = 0; pass < 3; pass++) {
		int held;

		memset(&r, 0, sizeof(r));
		r.verdict = SDR_AWFUL;
		r.age_days = pass == 1 ? 3 : -1;
		r.unscannable = pass == 2;
		m.sdr = pass == 0 ? NULL : &r;
		memset(&out, 0, sizeof(out));
		held = filter_eval(fs, n, &m, &out);
		check(held >= 0 && held <= n);
		check(out.nactions >= 0 && out.nactions <= FILTER_MAX_ACTIONS);
		for (int i = 0; i < out.nactions; i++) {
			const struct filter_action *a = &out.actions[i];

			check(a->filter != NULL && a->kind <= FA_SKIP);
			if (a->kind <= FA_QUARANTINE)
				check(i == out.nactions - 1 && out.final);
		}
		check_edited(&out);
	}
	filter_free_all(fs, n);
	return 0;
}
