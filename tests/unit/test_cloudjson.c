/*
 * test_cloudjson.c - the registration JSON (mail/cloudjson.c): the
 * request's shape with and without a token or a previous device ID, the
 * answer's required and optional fields and every way one can be
 * unusable (missing, empty, not a string, not printable, too long, a
 * JWKS without keys or too large), and the error text of a refusal.
 */
#include <cjson/cJSON.h>

#include "mail/cloudconf.h"
#include "mail/cloudjson.h"
#include "util/str.h"
#include "tests/unit/unit.h"

#define JWKS "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\",\"alg\":\"RS256\",\"use\":\"sig\"," \
	"\"n\":\"AQAB\",\"e\":\"AQAB\"}]}"
#define GOOD "{\"deviceId\":\"dev-1\",\"clientId\":\"client-1\",\"clientSecret\":\"s3cr3t\"," \
	"\"accountId\":\"acct-1\",\"virtualAccount\":\"va-1\",\"jwks\":" JWKS "}"

static const struct cloudjson_device dev = { "4A2F0C9B11D3-8C0E6F1", "gw.example.com", "0.1.0",
	0 };

static void
test_request(void)
{
	char *s = cloudjson_register_request("T\"1", NULL, &dev);
	cJSON *j = cJSON_Parse(s), *d;

	CHECK(j != NULL);
	CHECK_STR(cJSON_GetObjectItem(j, "token")->valuestring, "T\"1");
	CHECK(cJSON_GetObjectItem(j, "deviceId") == NULL);
	d = cJSON_GetObjectItem(j, "device");
	CHECK_STR(cJSON_GetObjectItem(d, "uid")->valuestring, "4A2F0C9B11D3-8C0E6F1");
	CHECK_STR(cJSON_GetObjectItem(d, "model")->valuestring, "mxgate");
	CHECK_STR(cJSON_GetObjectItem(d, "hostname")->valuestring, "gw.example.com");
	CHECK_STR(cJSON_GetObjectItem(d, "version")->valuestring, "0.1.0");
	CHECK_STR(cJSON_GetObjectItem(d, "deployment")->valuestring, "standalone");
	CHECK_INT(cJSON_GetArraySize(j), 2);
	CHECK_INT(cJSON_GetArraySize(d), 5);
	cJSON_Delete(j);
	free(s);

	/* a re-registration: the old device ID; without a token, no token member */
	s = cloudjson_register_request("", "dev-9", &dev);
	j = cJSON_Parse(s);
	CHECK(j != NULL);
	CHECK(cJSON_GetObjectItem(j, "token") == NULL);
	CHECK_STR(cJSON_GetObjectItem(j, "deviceId")->valuestring, "dev-9");
	cJSON_Delete(j);
	free(s);
}

static void
test_answer_good(void)
{
	struct cloud_reg r = { 0 };
	char *cause = NULL;
	cJSON *k;

	str_copy(r.server, "eu", sizeof(r.server));
	r.registered = 77;
	CHECK_INT(cloudjson_register_answer(GOOD, strlen(GOOD), &r, &cause), 0);
	CHECK_STR(r.device_id, "dev-1");
	CHECK_STR(r.client_id, "client-1");
	CHECK_STR(r.client_secret, "s3cr3t");
	CHECK_STR(r.account_id, "acct-1");
	CHECK_STR(r.virtual_account, "va-1");
	/* untouched */
	CHECK_STR(r.server, "eu");
	CHECK_INT(r.registered, 77);
	k = cJSON_Parse(r.jwks);
	CHECK(k != NULL);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(k, "keys")), 1);
	cJSON_Delete(k);
	cloud_reg_free(&r);

	/* optional fields absent or null */
	{
		const char *a = "{\"deviceId\":\"d\",\"clientId\":\"c\",\"clientSecret\":\"s\","
				"\"accountId\":null,\"jwks\":" JWKS "}";

		r = (struct cloud_reg){ 0 };
		CHECK_INT(cloudjson_register_answer(a, strlen(a), &r, &cause), 0);
		CHECK_STR(r.account_id, "");
		CHECK_STR(r.virtual_account, "");
		cloud_reg_free(&r);
	}
}

/* bad - an answer that must be refused with a cause holding want (and never the secret) */
static void
bad(const char *body, const char *want)
{
	struct cloud_reg r = { 0 };
	char *cause = NULL;

	if (cloudjson_register_answer(body, strlen(body), &r, &cause) != -1)
		UNIT_FAIL("accepted: %s", body);
	if (cause == NULL || strstr(cause, want) == NULL)
		UNIT_FAIL("cause '%s' for %s, expected '%s'", cause ? cause : "(none)", body, want);
	CHECK(strstr(cause, "s3cr3t") == NULL);
	CHECK(r.client_secret == NULL && r.jwks == NULL);
	CHECK_STR(r.device_id, "");
	free(cause);
}

static void
test_answer_bad(void)
{
	char big[300], *s;

	bad("", "not a JSON object");
	bad("[1]", "not a JSON object");
	bad("{\"deviceId\":\"d\"", "not a JSON object");
	bad("{\"clientId\":\"c\",\"clientSecret\":\"s3cr3t\",\"jwks\":" JWKS "}", "deviceId");
	bad("{\"deviceId\":\"\",\"clientId\":\"c\",\"clientSecret\":\"s3cr3t\",\"jwks\":" JWKS "}",
	    "deviceId");
	bad("{\"deviceId\":7,\"clientId\":\"c\",\"clientSecret\":\"s3cr3t\",\"jwks\":" JWKS "}",
	    "deviceId");
	bad("{\"deviceId\":\"a\\nb\",\"clientId\":\"c\",\"clientSecret\":\"s3cr3t\",\"jwks\":" JWKS
	    "}", "deviceId");
	bad("{\"deviceId\":\"d\",\"clientSecret\":\"s3cr3t\",\"jwks\":" JWKS "}", "clientId");
	bad("{\"deviceId\":\"d\",\"clientId\":\"c\",\"jwks\":" JWKS "}", "clientSecret");
	bad("{\"deviceId\":\"d\",\"clientId\":\"c\",\"clientSecret\":\"s3 cr3t\",\"jwks\":" JWKS "}",
	    "clientSecret");
	bad("{\"deviceId\":\"d\",\"clientId\":\"c\",\"clientSecret\":\"s3cr3t\",\"accountId\":5,"
	    "\"jwks\":" JWKS "}", "accountId");
	bad("{\"deviceId\":\"d\",\"clientId\":\"c\",\"clientSecret\":\"s3cr3t\","
	    "\"virtualAccount\":\"\\u0001\",\"jwks\":" JWKS "}", "virtualAccount");
	bad("{\"deviceId\":\"d\",\"clientId\":\"c\",\"clientSecret\":\"s3cr3t\"}", "jwks");
	bad("{\"deviceId\":\"d\",\"clientId\":\"c\",\"clientSecret\":\"s3cr3t\",\"jwks\":[]}", "jwks");
	bad("{\"deviceId\":\"d\",\"clientId\":\"c\",\"clientSecret\":\"s3cr3t\",\"jwks\":{\"keys\":[]}}",
	    "no usable");
	/* review finding 12: at least one key the threat response module can verify with */
	{
		static const char *const unusable[] = {
			"{\"kty\":\"EC\",\"kid\":\"k1\",\"n\":\"AQAB\",\"e\":\"AQAB\"}",
			"{\"kid\":\"k1\",\"n\":\"AQAB\",\"e\":\"AQAB\"}",
			"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}",
			"{\"kty\":\"RSA\",\"kid\":\"\",\"n\":\"AQAB\",\"e\":\"AQAB\"}",
			"{\"kty\":\"RSA\",\"kid\":\"k\\u0001\",\"n\":\"AQAB\",\"e\":\"AQAB\"}",
			"{\"kty\":\"RSA\",\"kid\":\"k1\",\"n\":\"AQ+B\",\"e\":\"AQAB\"}",
			"{\"kty\":\"RSA\",\"kid\":\"k1\",\"n\":\"AQAB\",\"e\":\"AQAB=\"}",
			"{\"kty\":\"RSA\",\"kid\":\"k1\",\"n\":\"AQAB\"}",
			"{\"kty\":\"RSA\",\"kid\":\"k1\",\"n\":\"\",\"e\":\"AQAB\"}",
			"{\"kty\":\"RSA\",\"kid\":\"k1\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"alg\":\"HS256\"}",
			"{\"kty\":\"RSA\",\"kid\":\"k1\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"alg\":7}",
			"{\"kty\":\"RSA\",\"kid\":\"k1\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"use\":\"enc\"}",
			NULL,
		};
		struct cloud_reg r = { 0 };
		char *cause = NULL;

		for (int i = 0; unusable[i] != NULL; i++) {
			s = str_printf("{\"deviceId\":\"d\",\"clientId\":\"c\",\"clientSecret\":"
				       "\"s3cr3t\",\"jwks\":{\"keys\":[%s]}}", unusable[i]);
			bad(s, "no usable");
			free(s);
		}
		/* one usable key among unusable ones is enough; alg and use may be absent */
		s = str_printf("{\"deviceId\":\"d\",\"clientId\":\"c\",\"clientSecret\":\"s3cr3t\","
			       "\"jwks\":{\"keys\":[%s,{\"kty\":\"RSA\",\"kid\":\"k2\",\"n\":"
			       "\"q-_9\",\"e\":\"AQAB\"}]}}", unusable[0]);
		CHECK_INT(cloudjson_register_answer(s, strlen(s), &r, &cause), 0);
		CHECK(r.jwks != NULL && strstr(r.jwks, "k2") != NULL);
		cloud_reg_free(&r);
		free(s);
	}
	bad("{\"deviceId\":\"d\",\"clientId\":\"c\",\"clientSecret\":\"s3cr3t\","
	    "\"jwks\":{\"keys\":[\"x\"]}}", "not an object");

	/* a device ID one byte too long for the struct; one that just fits is taken */
	memset(big, 'd', sizeof(big));
	big[127] = '\0';
	s = str_printf("{\"deviceId\":\"%s\",\"clientId\":\"c\",\"clientSecret\":\"s3cr3t\","
		       "\"jwks\":" JWKS "}", big);
	{
		struct cloud_reg r = { 0 };
		char *cause = NULL;

		CHECK_INT(cloudjson_register_answer(s, strlen(s), &r, &cause), 0);
		CHECK_INT(strlen(r.device_id), 127);
		cloud_reg_free(&r);
	}
	free(s);
	big[127] = 'd';
	big[128] = '\0';
	s = str_printf("{\"deviceId\":\"%s\",\"clientId\":\"c\",\"clientSecret\":\"s3cr3t\","
		       "\"jwks\":" JWKS "}", big);
	bad(s, "deviceId");
	free(s);

	/* a JWKS larger than CLOUD_KEYS_MAX */
	{
		size_t n = CLOUD_KEYS_MAX + 10;
		char *pad = malloc(n + 1);

		memset(pad, 'A', n);
		pad[n] = '\0';
		s = str_printf("{\"deviceId\":\"d\",\"clientId\":\"c\",\"clientSecret\":\"s3cr3t\","
			       "\"jwks\":{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\",\"e\":\"AQAB\","
			       "\"n\":\"%s\"}]}}", pad);
		bad(s, "larger than");
		free(s);
		free(pad);
	}
}

static void
test_error_text(void)
{
	char out[CLOUDJSON_ERROR_MAX + 1], small[8];
	const char *e = "{\"error\":\"invalid token\"}";
	const char *ctl = "{\"error\":\"bad\\r\\nX-Injected: 1\"}";
	char *longer;

	CHECK_INT(cloudjson_error(e, strlen(e), out, sizeof(out)), 0);
	CHECK_STR(out, "invalid token");
	CHECK_INT(cloudjson_error(ctl, strlen(ctl), out, sizeof(out)), 0);
	CHECK(strchr(out, '\r') == NULL && strchr(out, '\n') == NULL);
	CHECK(strncmp(out, "bad", 3) == 0);
	CHECK_INT(cloudjson_error("{}", 2, out, sizeof(out)), -1);
	CHECK_STR(out, "");
	CHECK_INT(cloudjson_error("<html>", 6, out, sizeof(out)), -1);
	CHECK_INT(cloudjson_error("{\"error\":3}", 11, out, sizeof(out)), -1);
	CHECK_INT(cloudjson_error(NULL, 0, out, sizeof(out)), -1);
	CHECK_INT(cloudjson_error(e, strlen(e), small, sizeof(small)), 0);
	CHECK_INT(strlen(small), sizeof(small) - 1);
	/* bounded */
	longer = malloc(5000);
	memcpy(longer, "{\"error\":\"", 10);
	memset(longer + 10, 'z', 4000);
	memcpy(longer + 4010, "\"}", 3);
	CHECK_INT(cloudjson_error(longer, strlen(longer), out, sizeof(out)), 0);
	CHECK(strlen(out) <= CLOUDJSON_ERROR_MAX);
	free(longer);
}

/* review finding 13: a server URL with a query or a fragment is refused (the paths go after it) */
static void
test_url_query(void)
{
	char out[256];

	CHECK_INT(cloud_register_url("https://cloud.test/base", out, sizeof(out)), 0);
	CHECK_STR(out, "https://cloud.test/base");
	CHECK_INT(cloud_register_url("https://cloud.test/base?x=1", out, sizeof(out)), -1);
	CHECK_INT(cloud_register_url("https://cloud.test/base#frag", out, sizeof(out)), -1);
	CHECK_INT(cloud_tr_url("https://tr.test/?a", out, sizeof(out)), -1);
	CHECK_INT(cloud_tr_url("https://tr.test/#a", out, sizeof(out)), -1);
	CHECK_INT(cloud_tr_url("eu", out, sizeof(out)), 0);
}

static const struct unit_case cases[] = {
	{ "url_query", test_url_query },
	{ "request", test_request },
	{ "answer_good", test_answer_good },
	{ "answer_bad", test_answer_bad },
	{ "error_text", test_error_text },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("cloudjson", cases, argc, argv);
}
