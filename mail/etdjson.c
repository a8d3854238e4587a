/*
 * etdjson.c - the ETD API's token and search JSON (cJSON).
 *
 * Shapes (spec/external-apis.md §1.2, §1.4):
 *
 *	token answer	{"accessToken":"<JWT>", ...}; expiresIn is not
 *			documented: used when present (seconds), else the
 *			documented 60 minutes.
 *	search body	{"timestamp":["2026-12-07T01:00:00.000Z",
 *			"2026-12-07T01:05:00.000Z"], "verdicts":["phishing"],
 *			"pageSize":100, "pageToken":"..."}
 *	search answer	{"data":{"messages":[{"id":"<uuid>",
 *			"internetMessageId":"<x@y>", "verdict":...,
 *			"mailboxes":["a@example.com"]}, ...]},
 *			"nextPageToken":"..."}
 *
 * The message record's verdict field is not in the indexed copy of the
 * API page: §1.6 (status) shows verdicts[] entries with a string
 * "verdict", and other Cisco APIs give an object {"category": ...}. Both
 * are accepted here ([Inference]); so is a nextPageToken inside "data".
 *
 * DIAGNOSTICS: -1 with a one-line *cause for an answer that is not the
 * expected JSON; unusable records are skipped and counted.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/etdjson.h"
#include "util/buf.h"
#include "util/str.h"

/* printable - is s non-empty, at most max bytes, all printable ASCII without spaces? */
static int
printable(const char *s, size_t max, int spaces)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 32 || c > 126 || (c == ' ' && !spaces))
			return 0;
	}
	return 1;
}

/*
 * utf8_ok - is s non-empty, at most max bytes, well-formed UTF-8 (no
 * overlong forms, surrogates or code points past U+10FFFF) without
 * control characters (C0, DEL, C1)? RFC 6532 lets a Message-ID hold UTF-8.
 */
static int
utf8_ok(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n;) {
		unsigned c = p[i], cp, k;

		if (c < 0x80) {
			if (c < 32 || c == 127)
				return 0;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		for (unsigned j = 1; j <= k; j++) {
			if (i + j >= n || (p[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
			return 0;
		i += k + 1;
	}
	return 1;
}

/*
 * note_add - append item to a comma-separated list of size bytes; when
 * it does not fit, end the list with "..." once
 */
static void
note_add(char *list, size_t size, const char *item)
{
	size_t used = strlen(list), k = strlen(item);

	if (used >= 3 && strcmp(list + used - 3, "...") == 0)
		return;
	if (used + (used ? 1 : 0) + k + 4 > size) {
		if (used + 4 <= size)
			memcpy(list + used, "...", 4);
		return;
	}
	if (used)
		list[used++] = ',';
	memcpy(list + used, item, k + 1);
}

/* id_text - a record's id for a log line: printable ASCII kept, the rest \xNN, at most 64 */
static void
id_text(const cJSON *id, char *buf, size_t size)
{
	size_t o = 0;

	if (!cJSON_IsString(id)) {
		str_copy(buf, cJSON_IsNumber(id) ? "(a number)" : "(none)", size);
		return;
	}
	for (const unsigned char *p = (const unsigned char *)id->valuestring; *p && o + 5 < size;
	    p++) {
		if (o >= 64) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (*p < 32 || *p > 126 || *p == ',' || *p == '\\') {
			snprintf(buf + o, size - o, "\\x%02x", *p);
			o += 4;
		} else {
			buf[o++] = (char)*p;
		}
	}
	buf[o] = '\0';
}

/* skip - count a record skipped, with its id and why (each reason once) */
static void
skip(struct etdjson_page *pg, const cJSON *id, const char *why)
{
	char t[80];

	pg->skipped++;
	id_text(id, t, sizeof(t));
	note_add(pg->skip_ids, sizeof(pg->skip_ids), t);
	if (strstr(pg->skip_why, why) == NULL)
		note_add(pg->skip_why, sizeof(pg->skip_why), why);
}

/* etdjson_token_parse - see etdjson.h */
int
etdjson_token_parse(const char *body, size_t len, char **token, int *expires_in, char **cause)
{
	cJSON *j = cJSON_ParseWithLength(body, len), *t, *e;

	*token = NULL;
	*expires_in = 3600;
	if (j == NULL || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		*cause = str_dup("the token answer is not a JSON object");
		return -1;
	}
	t = cJSON_GetObjectItemCaseSensitive(j, "accessToken");
	if (!cJSON_IsString(t) || !printable(t->valuestring, ETDJSON_TOKEN_MAX, 0)) {
		cJSON_Delete(j);
		*cause = str_dup("no usable accessToken in the token answer");
		return -1;
	}
	e = cJSON_GetObjectItemCaseSensitive(j, "expiresIn");
	if (cJSON_IsNumber(e) && e->valuedouble >= 60 && e->valuedouble <= 86400)
		*expires_in = (int)e->valuedouble;
	*token = str_dup(t->valuestring);
	cJSON_Delete(j);
	return 0;
}

/* etdjson_time - see etdjson.h */
void
etdjson_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%S.000Z", &tm) == 0)
		str_copy(buf, "1970-01-01T00:00:00.000Z", size);
}

/* etdjson_verdict_ok - see etdjson.h */
int
etdjson_verdict_ok(const char *v)
{
	return etdjson_verdict_in(ETDJSON_VERDICTS, v);
}

/* etdjson_verdict_in - see etdjson.h (case-insensitive: "noVerdict" is written both ways) */
int
etdjson_verdict_in(const char *list, const char *v)
{
	size_t n = strlen(v);
	const char *p = list;

	if (n == 0)
		return 0;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t k = comma ? (size_t)(comma - p) : strlen(p);

		while (k > 0 && p[0] == ' ') {
			p++;
			k--;
		}
		while (k > 0 && p[k - 1] == ' ')
			k--;
		if (k == n && strncasecmp(p, v, n) == 0)
			return 1;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return 0;
}

/* etdjson_search_body - see etdjson.h */
char *
etdjson_search_body(time_t start, time_t end, const char *verdicts, int page_size,
    const char *page_token)
{
	cJSON *j = cJSON_CreateObject(), *ts = cJSON_CreateArray(), *vs = cJSON_CreateArray();
	char a[40], b[40], *out, *copy;

	if (j == NULL || ts == NULL || vs == NULL)
		abort();
	etdjson_time(start, a, sizeof(a));
	etdjson_time(end, b, sizeof(b));
	cJSON_AddItemToArray(ts, cJSON_CreateString(a));
	cJSON_AddItemToArray(ts, cJSON_CreateString(b));
	cJSON_AddItemToObject(j, "timestamp", ts);
	copy = str_dup(verdicts ? verdicts : "");
	for (char *save = NULL, *w = strtok_r(copy, ", ", &save); w; w = strtok_r(NULL, ", ", &save))
		cJSON_AddItemToArray(vs, cJSON_CreateString(w));
	free(copy);
	if (cJSON_GetArraySize(vs) > 0)
		cJSON_AddItemToObject(j, "verdicts", vs);
	else
		cJSON_Delete(vs);
	cJSON_AddNumberToObject(j, "pageSize", page_size);
	if (page_token != NULL)
		cJSON_AddStringToObject(j, "pageToken", page_token);
	out = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (out == NULL)
		abort();
	copy = str_dup(out);	/* ours to free() whatever cJSON's allocator is */
	cJSON_free(out);
	return copy;
}

/* verdict_of - the record's verdict: a string, or an object's category (see the header) */
static const char *
verdict_of(const cJSON *m)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "verdict");

	if (cJSON_IsObject(v))
		v = cJSON_GetObjectItemCaseSensitive(v, "category");
	if (cJSON_IsString(v) && printable(v->valuestring, 31, 0))
		return v->valuestring;
	return "";
}

/* take_mailboxes - the record's mailboxes, lower-cased, as many as fit; 1 when some did not */
static int
take_mailboxes(const cJSON *m, struct etdjson_msg *out)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(m, "mailboxes"), *e;
	size_t used = 0;

	cJSON_ArrayForEach(e, a) {
		size_t k;

		if (!cJSON_IsString(e) || !printable(e->valuestring, ETDJSON_ADDR_MAX, 0) ||
		    strchr(e->valuestring, ',') != NULL || strchr(e->valuestring, '@') == NULL)
			continue;
		k = strlen(e->valuestring);
		if (used + (used ? 1 : 0) + k > ETDJSON_MAILBOXES_MAX)
			return 1;
		if (used)
			out->mailboxes[used++] = ',';
		for (size_t i = 0; i < k; i++)
			out->mailboxes[used++] = (char)tolower((unsigned char)e->valuestring[i]);
		out->mailboxes[used] = '\0';
		out->nmailboxes++;
	}
	return 0;
}

/* etdjson_search_parse - see etdjson.h */
int
etdjson_search_parse(const char *body, size_t len, struct etdjson_page *pg, char **cause)
{
	cJSON *j = cJSON_ParseWithLength(body, len), *data, *msgs, *m, *next;

	memset(pg, 0, sizeof(*pg));
	if (j == NULL || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		*cause = str_dup("the search answer is not a JSON object");
		return -1;
	}
	data = cJSON_GetObjectItemCaseSensitive(j, "data");
	msgs = cJSON_IsObject(data) ? cJSON_GetObjectItemCaseSensitive(data, "messages") : NULL;
	if (!cJSON_IsArray(msgs)) {
		cJSON_Delete(j);
		*cause = str_dup("the search answer has no data.messages array");
		return -1;
	}
	pg->msgs = xcalloc(ETDJSON_PAGE_MAX, sizeof(*pg->msgs));
	cJSON_ArrayForEach(m, msgs) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "id");
		const cJSON *mid = cJSON_GetObjectItemCaseSensitive(m, "internetMessageId");
		struct etdjson_msg *e;

		if (pg->n == ETDJSON_PAGE_MAX) {
			skip(pg, id, "more than 100 records in a page");
			continue;
		}
		if (!cJSON_IsObject(m) || !cJSON_IsString(id) ||
		    !printable(id->valuestring, ETDJSON_ID_MAX, 0)) {
			skip(pg, id, "no usable id");
			continue;
		}
		if (mid != NULL && !cJSON_IsNull(mid) &&
		    (!cJSON_IsString(mid) || (mid->valuestring[0] &&
			!utf8_ok(mid->valuestring, ETDJSON_MSGID_MAX)))) {
			skip(pg, id, "internetMessageId not usable (too long, not UTF-8 or with "
			    "control characters)");
			continue;
		}
		e = &pg->msgs[pg->n++];
		str_copy(e->id, id->valuestring, sizeof(e->id));
		if (cJSON_IsString(mid)) {
			char *t;

			str_copy(e->message_id, mid->valuestring, sizeof(e->message_id));
			t = str_trim(e->message_id);
			memmove(e->message_id, t, strlen(t) + 1);
		}
		str_copy(e->verdict, verdict_of(m), sizeof(e->verdict));
		if (take_mailboxes(m, e)) {
			char t[80];

			pg->cut++;
			id_text(id, t, sizeof(t));
			note_add(pg->cut_ids, sizeof(pg->cut_ids), t);
		}
	}
	next = cJSON_GetObjectItemCaseSensitive(j, "nextPageToken");
	if (!cJSON_IsString(next))
		next = cJSON_GetObjectItemCaseSensitive(data, "nextPageToken");
	if (cJSON_IsString(next) && next->valuestring[0]) {
		if (!printable(next->valuestring, ETDJSON_PAGETOKEN_MAX, 0)) {
			etdjson_page_free(pg);
			cJSON_Delete(j);
			*cause = str_dup("the search answer's nextPageToken is not usable");
			return -1;
		}
		pg->next_token = str_dup(next->valuestring);
	}
	cJSON_Delete(j);
	return 0;
}

/* etdjson_page_free - see etdjson.h */
void
etdjson_page_free(struct etdjson_page *pg)
{
	free(pg->msgs);
	free(pg->next_token);
	memset(pg, 0, sizeof(*pg));
}
