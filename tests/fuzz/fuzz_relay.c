/*
 * fuzz_relay.c - libFuzzer harness for the threat response module's
 * handler (mail/relay.c, with util/jwt.c's RS256 check and
 * mail/tracking.c behind it).
 *
 * A data directory is made once: a registration (store/cloud.h) whose
 * JWKS holds an RSA key made at start, a queue.db, a small mail log. The
 * first input byte chooses who calls: even, a caller with a good token of
 * that key (so observables, refer, respond and trigger bodies are all
 * parsed); odd, the Authorization header is the input's (JWT-shaped
 * garbage, other schemes). Then newline-ended method, path and
 * Health-Check; the rest is the body. The raw token part is also fed to
 * jwt_verify_rs256 directly. Beyond "no crash, no leak" it checks, and
 * abort()s when one fails:
 *   - every answer is a JSON object with a known status (a trigger's
 *     pending answer is taken with relay_trigger_outcome);
 *   - a fuzzed Authorization never passes: 401 on every route but
 *     /version and /watchdog (and 404, 405, 413 before authorization);
 *   - a 401 is the relay's error envelope and nothing else.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "mail/relay.h"
#include "store/cloud.h"
#include "store/queue.h"
#include "store/store.h"
#include "tests/unit/rs256_helper.h"
#include "util/jwt.h"
#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1795348800LL	/* 2026-11-22 12:00 UTC: after the mail log */

static struct relay_ctx ctx;
static char *good;		/* "Bearer <valid token>" */
static char *jwks;

static void
fail(const char *what, const char *body)
{
	fprintf(stderr, "fuzz_relay: %s\n  answer: %s\n", what, body ? body : "(null)");
	abort();
}

/* init - the data directory, the key, the registration, once */
static void
init(void)
{
	char tmpl[] = "/tmp/fuzz_relay.XXXXXX", *dir, *cause = NULL, path[256], *p, *t;
	struct cloud_reg reg = { 0 };
	EVP_PKEY *key;
	FILE *f;

	if ((dir = mkdtemp(tmpl)) == NULL)
		abort();
	if (store_open(dir, STORE_SESSION, &ctx.st, &cause) < 0 ||
	    queue_open(dir, &ctx.q, &cause) < 0) {
		fprintf(stderr, "fuzz_relay: init: %s\n", cause ? cause : "?");
		abort();
	}
	key = rt_key(2048);
	jwks = rt_jwks(key, "k1");
	str_copy(reg.server, "nam", sizeof(reg.server));
	str_copy(reg.device_id, "dev-1", sizeof(reg.device_id));
	str_copy(reg.client_id, "c-1", sizeof(reg.client_id));
	reg.client_secret = "s";
	reg.jwks = jwks;
	reg.registered = NOW;
	if (cloud_put(ctx.st, &reg, &cause) < 0) {
		fprintf(stderr, "fuzz_relay: init: %s\n", cause);
		abort();
	}
	p = str_printf("{\"aud\":\"dev-1\",\"jwks_host\":\"visibility.amp.cisco.com\","
		       "\"sub\":\"fz\",\"forward_to\":\"soc@x.test\",\"exp\":%lld}", NOW + 3600);
	t = rt_sign(key, "{\"alg\":\"RS256\",\"kid\":\"k1\"}", p);
	good = str_printf("Bearer %s", t);
	free(p);
	free(t);
	EVP_PKEY_free(key);
	ctx.hostname = "fuzz.example";
	ctx.serial = "000000000000-0000000";
	ctx.tr_server = "nam";
	ctx.api_base = "https://fuzz.example:6443";
	ctx.version = "0.0.0";
	ctx.now = NOW;
	ctx.budget = 2;
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
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *e = data + size;
	static const int known[] = { 200, 401, 404, 405, 413 };
	char *method, *path, *auth = NULL, *health;
	struct relay_req rq = { 0 };
	struct relay_resp rs;
	int fuzzed, ok = 0;
	cJSON *o;

	if (ctx.st == NULL)
		init();
	if (size == 0)
		return 0;
	fuzzed = data[0] & 1;
	p++;
	method = field(&p, e);
	path = field(&p, e);
	if (fuzzed)
		auth = field(&p, e);
	health = field(&p, e);
	rq.method = method;
	rq.path = path;
	rq.authorization = fuzzed ? auth : good;
	rq.health_check = health;
	rq.body = (const char *)p;
	rq.body_len = (size_t)(e - p);
	rq.body_too_big = rq.body_len > 3000;
	if (auth) {
		struct jwt_rs256_claims c;
		const char *why;
		const char *tok = strncmp(auth, "Bearer ", 7) == 0 ? auth + 7 : auth;

		if (jwt_verify_rs256(jwks, tok, (time_t)NOW, &c, &why) == 0)
			fail("a fuzzed token verified", tok);
	}
	relay_handle(&ctx, &rq, &rs);
	if (rs.pending > 0 && relay_trigger_outcome(ctx.q, &rs, 1) != 1)
		fail("a trigger's outcome not given", NULL);
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		ok |= rs.status == known[i];
	if (!ok)
		fail("unknown status", rs.body);
	if ((o = cJSON_Parse(rs.body)) == NULL || !cJSON_IsObject(o))
		fail("the answer is not a JSON object", rs.body);
	if (fuzzed && rs.status == 200 && path && relay_path(path) &&
	    strncmp(path, "/version", 8) != 0 && strncmp(path, "/watchdog", 9) != 0)
		fail("a fuzzed Authorization was let through", rs.body);
	if (rs.status == 401) {
		const cJSON *errs = cJSON_GetObjectItemCaseSensitive(o, "errors");
		const cJSON *e0 = cJSON_GetArrayItem(errs, 0);

		if (cJSON_GetArraySize(o) != 1 || cJSON_GetArraySize(errs) != 1 ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e0, "code")) ||
		    strcmp(cJSON_GetObjectItemCaseSensitive(e0, "code")->valuestring,
		    "authorization error") != 0 || rs.who[0] != '\0')
			fail("a 401 without the relay's envelope", rs.body);
	}
	cJSON_Delete(o);
	relay_resp_free(&rs);
	free(method);
	free(path);
	free(auth);
	free(health);
	return 0;
}
