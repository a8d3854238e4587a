/*
 * fuzz_api.c - libFuzzer harness for the gateway's API handler
 * (mail/api.c, with util/jwt.c and mail/tracking.c behind it).
 *
 * The input is split at its first five newlines into method, path,
 * query, Authorization and jwtToken; the rest is the body. A data
 * directory is made once (accounts "fz" admin with password "fuzz-pw-1",
 * a queue.db, a small mail log), so logins, tokens, tracking and
 * remediation requests are all reachable. Beyond "no crash, no leak" it
 * checks, and abort()s when one fails:
 *   - every answer is a JSON object with a known status;
 *   - every error answer has {"error":{"code":status,"message","explanation"}};
 *   - only an authenticated user gets 200/202 from a route other than login.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "mail/api.h"
#include "store/queue.h"
#include "store/store.h"
#include "store/users.h"
#include "util/pwhash.h"
#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct api_ctx ctx;

static void
fail(const char *what, const char *body)
{
	fprintf(stderr, "fuzz_api: %s\n  answer: %s\n", what, body ? body : "(null)");
	abort();
}

/* init - the data directory, once */
static void
init(void)
{
	char tmpl[] = "/tmp/fuzz_api.XXXXXX", *dir, *cause = NULL, hash[PWHASH_MAX], path[256];
	FILE *f;

	if ((dir = mkdtemp(tmpl)) == NULL)
		abort();
	ctx.dir = str_dup(dir);
	if (store_open(dir, STORE_SESSION, &ctx.st, &cause) < 0 ||
	    queue_open(dir, &ctx.q, &cause) < 0 || api_key_load(dir, ctx.key, &cause) < 0 ||
	    pwhash_init() < 0 || pwhash_make("fuzz-pw-1", hash, &cause) < 0 ||
	    users_add(ctx.st, "fz", "Fuzz", ROLE_ADMIN, hash, &cause) < 0) {
		fprintf(stderr, "fuzz_api: init: %s\n", cause ? cause : "?");
		abort();
	}
	ctx.token_lifetime = 600;
	ctx.hostname = "fuzz.example";
	ctx.serial = "000000000000-0000000";
	str_fmt(path, sizeof(path), "%s/logs", dir);
	mkdir(path, 0700);
	str_fmt(path, sizeof(path), "%s/logs/mail_logs", dir);
	mkdir(path, 0700);
	str_fmt(path, sizeof(path), "%s/logs/mail_logs/mail.current", dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fputs("Sun Nov 22 10:00:00 2026 Info: New SMTP ICID 1 interface In (10.0.0.1) address "
	      "192.0.2.7 reverse dns host x verified no\n"
	      "Sun Nov 22 10:00:01 2026 Info: Start MID 1 ICID 1\n"
	      "Sun Nov 22 10:00:01 2026 Info: MID 1 ICID 1 From: <a@b.test>\n"
	      "Sun Nov 22 10:00:01 2026 Info: MID 1 ICID 1 RID 0 To: <c@d.test>\n"
	      "Sun Nov 22 10:00:01 2026 Info: MID 1 Message-ID '<m@b.test>'\n"
	      "Sun Nov 22 10:00:01 2026 Info: MID 1 Subject 'Hello'\n", f);
	fclose(f);
}

/* field - the next newline-ended part of the input (malloc'd), NULL when empty */
static char *
field(const uint8_t **p, const uint8_t *e)
{
	const uint8_t *nl = memchr(*p, '\n', (size_t)(e - *p));
	size_t n = nl ? (size_t)(nl - *p) : (size_t)(e - *p);
	char *s = n ? str_ndup((const char *)*p, n) : NULL;

	*p += nl ? n + 1 : n;
	return s;	/* a NUL inside cuts it, as a C string header would be */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *e = data + size;
	char *method, *path, *query, *auth, *jwt;
	struct api_req rq = { 0 };
	struct api_resp rs;
	cJSON *o, *err;
	static const int known[] = { 200, 202, 400, 401, 403, 404, 405, 413, 429, 500, 503 };
	char peer[32];
	int ok = 0;

	if (ctx.st == NULL)
		init();
	method = field(&p, e);
	path = field(&p, e);
	query = field(&p, e);
	auth = field(&p, e);
	jwt = field(&p, e);
	rq.method = method;
	rq.path = path;
	rq.query = query;
	rq.authorization = auth;
	rq.jwt = jwt;
	rq.body = (const char *)p;
	rq.body_len = (size_t)(e - p);
	rq.body_too_big = rq.body_len > 3000;
	/* a peer per first byte: the per-client login throttle (429) is reached, not always on */
	snprintf(peer, sizeof(peer), "10.0.0.%u", size > 0 ? (unsigned)data[0] : 0u);
	rq.peer = peer;
	api_handle(&ctx, &rq, &rs);
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		ok |= rs.status == known[i];
	if (!ok)
		fail("unknown status", rs.body);
	if ((o = cJSON_Parse(rs.body)) == NULL || !cJSON_IsObject(o))
		fail("the answer is not a JSON object", rs.body);
	if (rs.status >= 400) {
		err = cJSON_GetObjectItemCaseSensitive(o, "error");
		if (!cJSON_IsObject(err) ||
		    !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(err, "code")) ||
		    cJSON_GetObjectItemCaseSensitive(err, "code")->valueint != rs.status ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(err, "message")) ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(err, "explanation")))
			fail("an error answer without its shape", rs.body);
	} else if (rs.user[0] == '\0') {
		fail("a success without an authenticated user", rs.body);
	}
	cJSON_Delete(o);
	api_resp_free(&rs);
	free(method);
	free(path);
	free(query);
	free(auth);
	free(jwt);
	return 0;
}
