/*
 * test_jwt.c - util/jwt.c's RS256 tokens checked against a JWKS (the
 * threat response platform's calls): a key made at test time signs good
 * tokens and every kind of bad one; each must be refused with its reason.
 * (HS256 is tested with the API in test_api.c.)
 */
#include <cjson/cJSON.h>

#include "tests/unit/rs256_helper.h"
#include "tests/unit/unit.h"
#include "util/jwt.h"
#include "util/str.h"

#define NOW 1700000000LL
#define HDR "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}"

static EVP_PKEY *key;
static char *jwks;

/* setup - a fresh key and JWKS for a case (the previous case's freed) */
static void
setup(void)
{
	EVP_PKEY_free(key);
	free(jwks);
	key = rt_key(2048);
	jwks = rt_jwks(key, "k1");
}

/* payload - claims with exp and iat relative to NOW */
static char *
payload(long long iat, long long exp)
{
	return str_printf("{\"sub\":\"analyst@example.com\",\"aud\":\"dev-1\",\"iss\":\"IROH Auth\","
			  "\"jwks_host\":\"visibility.amp.cisco.com\",\"forward_to\":\"soc@example.com\","
			  "\"iat\":%lld,\"exp\":%lld}", NOW + iat, NOW + exp);
}

/* refused - the token is refused with a reason containing want */
static void
refused(const char *tok, const char *want)
{
	struct jwt_rs256_claims c;
	const char *why = NULL;

	CHECK_INT(jwt_verify_rs256(jwks, tok, NOW, &c, &why), -1);
	CHECK(why != NULL);
	if (strstr(why, want) == NULL)
		UNIT_FAIL("reason \"%s\", expected \"%s\"", why, want);
	CHECK_STR(c.sub, "");
}

static void
test_good(void)
{
	char *p = payload(-10, 300), *t;
	struct jwt_rs256_claims c;
	const char *why = "x";

	setup();
	t = rt_sign(key, HDR, p);
	CHECK_INT(jwt_verify_rs256(jwks, t, NOW, &c, &why), 0);
	CHECK(why == NULL);
	CHECK_STR(c.kid, "k1");
	CHECK_STR(c.sub, "analyst@example.com");
	CHECK_STR(c.aud, "dev-1");
	CHECK_STR(c.iss, "IROH Auth");
	CHECK_STR(c.jwks_host, "visibility.amp.cisco.com");
	CHECK_STR(c.forward_to, "soc@example.com");
	CHECK_INT(c.exp, NOW + 300);
	CHECK_INT(c.iat, NOW - 10);
	/* a second key in the set, the right one found by kid */
	{
		EVP_PKEY *k2 = rt_key(2048);
		char *j2 = rt_jwks(k2, "k2"), *both;
		cJSON *a = cJSON_Parse(j2), *b = cJSON_Parse(jwks);

		cJSON_AddItemReferenceToArray(cJSON_GetObjectItem(a, "keys"),
		    cJSON_GetArrayItem(cJSON_GetObjectItem(b, "keys"), 0));
		both = cJSON_PrintUnformatted(a);
		CHECK_INT(jwt_verify_rs256(both, t, NOW, &c, &why), 0);
		free(both);
		cJSON_Delete(a);
		cJSON_Delete(b);
		free(j2);
		EVP_PKEY_free(k2);
	}
	/* iat a little ahead (clock skew) is fine */
	free(t);
	free(p);
	p = payload(JWT_RS_SKEW, 300);
	t = rt_sign(key, HDR, p);
	CHECK_INT(jwt_verify_rs256(jwks, t, NOW, &c, &why), 0);
	free(t);
	free(p);
}

static void
test_bad_signature(void)
{
	char *p = payload(-10, 300), *t, *q;
	EVP_PKEY *other;
	size_t n;

	setup();
	/* signed by another key under the same kid */
	other = rt_key(2048);
	t = rt_sign(other, HDR, p);
	refused(t, "Failed to decode JWT");
	free(t);
	/* a claim changed after signing */
	t = rt_sign(key, HDR, p);
	q = strchr(t, '.') + 1;
	q[5] = q[5] == 'A' ? 'B' : 'A';
	refused(t, "Failed to decode JWT");
	free(t);
	/* signature cut short (to 336 characters: 252 bytes, a canonical spelling) */
	t = rt_sign(key, HDR, p);
	n = strlen(t);
	t[n - 6] = '\0';
	refused(t, "Failed to decode JWT");
	free(t);
	EVP_PKEY_free(other);
	free(p);
}

static void
test_alg(void)
{
	char *p = payload(-10, 300), *t, *pem, *h, *b;

	setup();
	/* alg none, empty signature */
	h = rt_b64s("{\"alg\":\"none\",\"kid\":\"k1\"}");
	b = rt_b64s(p);
	t = str_printf("%s.%s.", h, b);
	refused(t, "not signed with RS256");
	free(t);
	/* alg none with an RS256 signature copied over */
	{
		char *good = rt_sign(key, HDR, p);

		t = str_printf("%s.%s.%s", h, b, strrchr(good, '.') + 1);
		refused(t, "not signed with RS256");
		free(t);
		free(good);
	}
	free(h);
	free(b);
	/* HS256 keyed with the public key (PEM text, and the JWKS's n) */
	pem = rt_pub_pem(key);
	t = rt_hs256(pem, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}", p);
	refused(t, "not signed with RS256");
	free(t);
	t = rt_hs256(jwks, "{\"alg\":\"HS256\",\"kid\":\"k1\"}", p);
	refused(t, "not signed with RS256");
	free(t);
	/* other algs, case games */
	t = rt_sign(key, "{\"alg\":\"rs256\",\"kid\":\"k1\"}", p);
	refused(t, "not signed with RS256");
	free(t);
	t = rt_sign(key, "{\"alg\":\"PS256\",\"kid\":\"k1\"}", p);
	refused(t, "not signed with RS256");
	free(t);
	t = rt_sign(key, "{\"kid\":\"k1\"}", p);
	refused(t, "not signed with RS256");
	free(t);
	free(pem);
	free(p);
}

static void
test_kid(void)
{
	char *p = payload(-10, 300), *t;

	setup();
	t = rt_sign(key, "{\"alg\":\"RS256\",\"kid\":\"nope\"}", p);
	refused(t, "kid from JWT header not found");
	free(t);
	t = rt_sign(key, "{\"alg\":\"RS256\"}", p);
	refused(t, "kid is missing");
	free(t);
	t = rt_sign(key, "{\"alg\":\"RS256\",\"kid\":7}", p);
	refused(t, "kid is missing");
	free(t);
	/* a JWKS that is not one, and a key too small to trust */
	{
		struct jwt_rs256_claims c;
		const char *why;
		EVP_PKEY *small = rt_key(1024);
		char *js = rt_jwks(small, "k1");

		t = rt_sign(key, HDR, p);
		CHECK_INT(jwt_verify_rs256("not json", t, NOW, &c, &why), -1);
		CHECK_INT(jwt_verify_rs256(NULL, t, NOW, &c, &why), -1);
		CHECK_INT(jwt_verify_rs256("{\"keys\":[{\"kid\":\"k1\",\"kty\":\"oct\",\"k\":\"AAAA\"}]}",
		    t, NOW, &c, &why), -1);
		CHECK(strstr(why, "not a usable RSA"));
		free(t);
		t = rt_sign(small, HDR, p);
		CHECK_INT(jwt_verify_rs256(js, t, NOW, &c, &why), -1);
		CHECK(strstr(why, "not a usable RSA"));
		free(t);
		free(js);
		EVP_PKEY_free(small);
	}
	free(p);
}

static void
test_times(void)
{
	char *p, *t;

	setup();
	p = payload(-600, -1);
	t = rt_sign(key, HDR, p);
	refused(t, "expired");
	free(t);
	free(p);
	p = payload(-600, 0);
	t = rt_sign(key, HDR, p);
	refused(t, "expired");
	free(t);
	free(p);
	p = payload(JWT_RS_SKEW + 1, 600);
	t = rt_sign(key, HDR, p);
	refused(t, "not valid yet");
	free(t);
	free(p);
	t = rt_sign(key, HDR, "{\"sub\":\"a\",\"nbf\":1800000000,\"exp\":1900000000}");
	refused(t, "not valid yet");
	free(t);
	/* no exp, exp not a number */
	t = rt_sign(key, HDR, "{\"sub\":\"a\",\"aud\":\"dev-1\"}");
	refused(t, "exp is missing");
	free(t);
	t = rt_sign(key, HDR, "{\"sub\":\"a\",\"exp\":\"1900000000\"}");
	refused(t, "exp is missing");
	free(t);
	/* a claim of the wrong type */
	t = rt_sign(key, HDR, "{\"sub\":[\"a\"],\"exp\":1900000000}");
	refused(t, "payload structure");
	free(t);
	t = rt_sign(key, HDR, "{\"sub\":\"a\",\"aud\":[\"dev-1\"],\"exp\":1900000000}");
	refused(t, "payload structure");
	free(t);
}

static void
test_malformed(void)
{
	char *p = payload(-10, 300), *t, *big;
	size_t n;

	setup();
	refused("", "Wrong JWT structure");
	refused("a.b", "Wrong JWT structure");
	refused("a.b.c.d", "Wrong JWT structure");
	refused("...", "Wrong JWT structure");
	refused("eyJhbGciOiJSUzI1NiJ9.e30.a", "Wrong JWT structure");
	t = rt_sign(key, HDR, p);
	/* a character outside base64 in each part */
	{
		char *c = str_dup(t);

		c[3] = '*';
		refused(c, "Wrong JWT structure");
		free(c);
		c = str_dup(t);
		*(strchr(c, '.') + 2) = '!';
		refused(c, "Wrong JWT structure");
		free(c);
		c = str_dup(t);
		*(strrchr(c, '.') + 2) = '$';
		refused(c, "Wrong JWT structure");
		free(c);
	}
	/* header and payload that are not JSON objects */
	{
		char *h = rt_b64s("[1]"), *b = rt_b64s(p), *c = str_printf("%s.%s.AAAA", h, b);

		refused(c, "Wrong JWT structure");
		free(c);
		free(h);
		h = rt_b64s(HDR);
		free(b);
		b = rt_b64s("not json");
		c = str_printf("%s.%s.AAAA", h, b);
		refused(c, "Wrong JWT structure");
		free(c);
		free(h);
		free(b);
	}
	/* a huge token: refused by its length, before anything is decoded */
	n = JWT_RS_MAX + 100;
	big = xmalloc(n + 1);
	memset(big, 'A', n);
	big[10] = '.';
	big[20] = '.';
	big[n] = '\0';
	refused(big, "too long");
	free(big);
	free(t);
	free(p);
}

static void
test_header(void)
{
	char *p = payload(-10, 300), *t;

	setup();
	t = rt_sign(key, "{\"alg\":\"RS256\",\"typ\":\"JOSE+JSON\",\"kid\":\"k1\"}", p);
	refused(t, "typ is not JWT");
	free(t);
	t = rt_sign(key, "{\"alg\":\"RS256\",\"typ\":1,\"kid\":\"k1\"}", p);
	refused(t, "typ is not JWT");
	free(t);
	/* lower-case "jwt" is the same media type (RFC 7515 §4.1.9) */
	{
		struct jwt_rs256_claims c;
		const char *why;

		t = rt_sign(key, "{\"alg\":\"RS256\",\"typ\":\"jwt\",\"kid\":\"k1\"}", p);
		CHECK_INT(jwt_verify_rs256(jwks, t, NOW, &c, &why), 0);
		free(t);
	}
	/* crit: an extension we would have to understand */
	t = rt_sign(key, "{\"alg\":\"RS256\",\"kid\":\"k1\",\"crit\":[\"exp\"]}", p);
	refused(t, "crit");
	free(t);
	t = rt_sign(key, "{\"alg\":\"RS256\",\"kid\":\"k1\",\"crit\":[]}", p);
	refused(t, "crit");
	free(t);
	free(p);
}

/* jwks_with - the test JWKS with member name of its key set to the JSON value v (malloc'd) */
static char *
jwks_with(const char *name, const char *v)
{
	cJSON *o = cJSON_Parse(jwks), *k = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "keys"), 0);
	char *r;

	cJSON_DeleteItemFromObject(k, name);
	cJSON_AddItemToObject(k, name, cJSON_Parse(v));
	r = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return r;
}

static void
test_jwk(void)
{
	char *p = payload(-10, 300), *t, *j;
	struct jwt_rs256_claims c;
	const char *why;
	static const struct {
		const char *name, *value;
	} bad[] = {
		{ "alg", "\"HS256\"" },	/* the set says the key is for HMAC */
		{ "alg", "\"none\"" },
		{ "use", "\"enc\"" },	/* an encryption key does not sign */
		{ "kty", "\"oct\"" },
		{ "e", "\"AQ\"" },		/* e = 1: no RSA at all */
		{ "e", "\"AQAA\"" },		/* e = 65536: even */
		{ "e", "\"Ag\"" },		/* e = 2 */
	};

	setup();
	t = rt_sign(key, HDR, p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = jwks_with(bad[i].name, bad[i].value);
		why = NULL;
		if (jwt_verify_rs256(j, t, NOW, &c, &why) != -1 || why == NULL ||
		    strstr(why, "not a usable RSA") == NULL)
			UNIT_FAIL("JWK %s=%s accepted or wrong reason (%s)", bad[i].name, bad[i].value,
			    why ? why : "none");
		free(j);
	}
	/* the key itself, alg and use given right: accepted */
	j = jwks_with("use", "\"sig\"");
	CHECK_INT(jwt_verify_rs256(j, t, NOW, &c, &why), 0);
	free(j);
	/* two keys under one kid, even the right one first: refused, not guessed */
	{
		EVP_PKEY *k2 = rt_key(2048);
		char *j2 = rt_jwks(k2, "k1");
		cJSON *a = cJSON_Parse(jwks), *b = cJSON_Parse(j2);

		cJSON_AddItemReferenceToArray(cJSON_GetObjectItem(a, "keys"),
		    cJSON_GetArrayItem(cJSON_GetObjectItem(b, "keys"), 0));
		j = cJSON_PrintUnformatted(a);
		CHECK_INT(jwt_verify_rs256(j, t, NOW, &c, &why), -1);
		CHECK(why && strstr(why, "not a usable RSA"));
		free(j);
		cJSON_Delete(a);
		cJSON_Delete(b);
		free(j2);
		EVP_PKEY_free(k2);
	}
	free(t);
	free(p);
}

static void
test_strict_b64(void)
{
	char *p = payload(-10, 300), *t, *c, *q;
	struct jwt_rs256_claims cl;
	const char *why;
	size_t n;

	setup();
	t = rt_sign(key, HDR, p);
	CHECK_INT(jwt_verify_rs256(jwks, t, NOW, &cl, &why), 0);
	/* a 256-byte signature is 342 characters: its padding "==" refused */
	c = str_printf("%s==", t);
	refused(c, "Wrong JWT structure");
	free(c);
	/* padding on the payload part */
	q = strrchr(t, '.');
	c = str_printf("%.*s=%s", (int)(q - t), t, q);
	refused(c, "Wrong JWT structure");
	free(c);
	/* the same bytes spelt with leftover bits set in the last character */
	c = str_dup(t);
	n = strlen(c);
	c[n - 1] = c[n - 1] == 'A' ? 'B' : c[n - 1] == 'Q' ? 'R' : c[n - 1] == 'g' ? 'h' : 'x';
	refused(c, "Wrong JWT structure");
	free(c);
	/* the standard alphabet's '+' and '/' for base64url's '-' and '_' */
	c = str_dup(t);
	for (q = c; *q; q++)
		if (*q == '-')
			*q = '+';
		else if (*q == '_')
			*q = '/';
	if (strcmp(c, t) != 0)
		refused(c, "Wrong JWT structure");
	free(c);
	free(t);
	free(p);
}

static void
test_far_exp(void)
{
	char *p, *t;
	struct jwt_rs256_claims c;
	const char *why;

	setup();
	p = payload(-10, JWT_RS_LIFE_MAX);
	t = rt_sign(key, HDR, p);
	CHECK_INT(jwt_verify_rs256(jwks, t, NOW, &c, &why), 0);
	free(t);
	free(p);
	p = payload(-10, JWT_RS_LIFE_MAX + 1);
	t = rt_sign(key, HDR, p);
	refused(t, "more than 24 hours");
	free(t);
	free(p);
	t = rt_sign(key, HDR, "{\"sub\":\"a\",\"exp\":9000000000000000}");
	refused(t, "more than 24 hours");
	free(t);
}

static const struct unit_case cases[] = {
	{ "good", test_good },
	{ "bad_signature", test_bad_signature },
	{ "alg", test_alg },
	{ "kid", test_kid },
	{ "times", test_times },
	{ "malformed", test_malformed },
	{ "header", test_header },
	{ "jwk", test_jwk },
	{ "strict_b64", test_strict_b64 },
	{ "far_exp", test_far_exp },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("test_jwt", cases, argc, argv);
}
