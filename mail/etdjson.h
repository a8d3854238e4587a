/*
 * etdjson.h - the JSON of the Email Threat Defense API that mxgated uses
 * (spec/external-apis.md §1.2, §1.4): the token answer, the body of a
 * message search and its answer. Pure functions over bytes, so that they
 * can be tested and fuzzed without a network.
 *
 * Everything parsed here comes from a remote server and is untrusted:
 * counts and lengths are bounded, text kept is printable, and a message
 * record that does not fit (no id, an unusable Message-ID) is skipped and
 * counted rather than failing the page; the page names the skipped
 * records' ids (escaped, for a log line) and why. A Message-ID may be
 * UTF-8 (RFC 6532 internationalized mail): kept as it is when the UTF-8
 * is well formed and holds no control characters.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line *cause ("no accessToken in the
 * answer").
 */
#ifndef MAIL_ETDJSON_H
#define MAIL_ETDJSON_H

#include <stddef.h>
#include <time.h>

#define ETDJSON_PAGE_MAX 100		/* messages in one page (the API's limit) */
#define ETDJSON_ID_MAX 128		/* an ETD message id (a UUID) */
#define ETDJSON_MSGID_MAX 998		/* a Message-ID with its <> */
#define ETDJSON_ADDR_MAX 320		/* one mailbox address */
#define ETDJSON_MAILBOXES_MAX 4095	/* a message's mailboxes, comma-separated */
#define ETDJSON_TOKEN_MAX 16384		/* an accessToken (a JWT) */
#define ETDJSON_PAGETOKEN_MAX 4096	/* a nextPageToken */
#define ETDJSON_NOTE_MAX 511		/* ids (escaped) of records skipped or cut in one page */
#define ETDJSON_VERDICTS "spam,malicious,phishing,graymail,neutral,bec,scam,noVerdict"

/* One message record of a search answer. */
struct etdjson_msg {
	char id[ETDJSON_ID_MAX + 1];		/* ETD's id (what de-duplicates) */
	char message_id[ETDJSON_MSGID_MAX + 1];	/* internetMessageId, "" when absent */
	char verdict[32];			/* "phishing", "" when none given */
	char mailboxes[ETDJSON_MAILBOXES_MAX + 1];	/* lower case, comma-separated */
	int nmailboxes;				/* how many are in mailboxes */
};

/* One page of a search answer. */
struct etdjson_page {
	int n;				/* messages kept */
	struct etdjson_msg *msgs;	/* malloc'd, n of them */
	int skipped;			/* records dropped as unusable */
	char skip_ids[ETDJSON_NOTE_MAX + 1];	/* their ids, escaped, comma-separated ("..." more) */
	char skip_why[160];		/* why, each reason once: "no usable id", ... */
	int cut;			/* records kept whose mailboxes did not all fit */
	char cut_ids[ETDJSON_NOTE_MAX + 1];	/* their ids, as skip_ids */
	char *next_token;		/* nextPageToken (malloc'd), NULL on the last page */
};

/*
 * etdjson_token_parse - the accessToken of a token answer (malloc'd
 * *token) and its lifetime in seconds (*expires_in: expiresIn when given
 * and sane, else 3600); 0 or -1
 */
int etdjson_token_parse(const char *body, size_t len, char **token, int *expires_in,
    char **cause);

/*
 * etdjson_search_body - the JSON body of POST /v1/messages/search:
 * timestamp [start, end] (ISO-8601 UTC with milliseconds), verdicts (a
 * comma-separated list; empty: no filter), pageSize, and pageToken when
 * not NULL. Malloc'd.
 */
char *etdjson_search_body(time_t start, time_t end, const char *verdicts, int page_size,
    const char *page_token);

/* etdjson_search_parse - a search answer into *pg (etdjson_page_free it); 0 or -1 */
int etdjson_search_parse(const char *body, size_t len, struct etdjson_page *pg, char **cause);

/* etdjson_page_free - release a page (pg itself is the caller's) */
void etdjson_page_free(struct etdjson_page *pg);

/* etdjson_time - t as "2026-12-07T01:02:03.000Z" into buf */
void etdjson_time(time_t t, char *buf, size_t size);

/* etdjson_verdict_ok - is v one of ETDJSON_VERDICTS? */
int etdjson_verdict_ok(const char *v);

/* etdjson_verdict_in - is v in the comma-separated list (exact words)? */
int etdjson_verdict_in(const char *list, const char *v);

#endif
