/*
 * fuzz_etdjson.c - libFuzzer harness for mail/etdjson: the ETD API's
 * answers are a remote server's bytes.
 *
 * The input is parsed as a token answer and as a search answer. What is
 * kept must hold the parser's promises: at most ETDJSON_PAGE_MAX records,
 * ids, Message-IDs, verdicts and page tokens printable and within their
 * bounds (no CR/LF can reach a header or a log line), mailboxes lower
 * case, comma-separated, counted right. Failed invariants abort().
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/etdjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - abort (a libFuzzer crash) when an invariant fails */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* printable - all bytes printable ASCII (spaces as allowed), length within max */
static void
printable(const char *s, size_t max, int spaces)
{
	size_t n = strlen(s);

	check(n <= max);
	for (size_t i = 0; i < n; i++)
		check(s[i] > 32 - (spaces ? 1 : 0) && s[i] < 127);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct etdjson_page pg;
	char *tok = NULL, *cause = NULL;
	int exp;

	if (etdjson_token_parse((const char *)data, size, &tok, &exp, &cause) == 0) {
		printable(tok, ETDJSON_TOKEN_MAX, 0);
		check(tok[0] != '\0' && exp >= 60 && exp <= 86400);
	} else {
		check(tok == NULL && cause != NULL && strchr(cause, '\n') == NULL);
	}
	free(tok);
	free(cause);
	cause = NULL;
	if (etdjson_search_parse((const char *)data, size, &pg, &cause) != 0) {
		check(cause != NULL && pg.msgs == NULL && pg.next_token == NULL);
		free(cause);
		return 0;
	}
	check(pg.n >= 0 && pg.n <= ETDJSON_PAGE_MAX && pg.skipped >= 0);
	for (int i = 0; i < pg.n; i++) {
		const struct etdjson_msg *m = &pg.msgs[i];
		int commas = 0;

		check(m->id[0] != '\0');
		printable(m->id, ETDJSON_ID_MAX, 0);
		/* UTF-8 Message-IDs (RFC 6532) are kept as they are: no control bytes */
		check(strlen(m->message_id) <= ETDJSON_MSGID_MAX);
		for (const unsigned char *p = (const unsigned char *)m->message_id; *p; p++)
			check(*p >= 32 && *p != 127);
		printable(m->verdict, 31, 0);
		printable(m->mailboxes, ETDJSON_MAILBOXES_MAX, 0);
		for (const char *p = m->mailboxes; *p; p++) {
			check(!isupper((unsigned char)*p));
			commas += *p == ',';
		}
		check(m->nmailboxes == (m->mailboxes[0] ? commas + 1 : 0));
	}
	if (pg.next_token) {
		check(pg.next_token[0] != '\0');
		printable(pg.next_token, ETDJSON_PAGETOKEN_MAX, 0);
	}
	etdjson_page_free(&pg);
	return 0;
}
