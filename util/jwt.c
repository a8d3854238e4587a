/*
 * jwt.c - HS256 JSON Web Tokens (RFC 7519, RFC 7515 compact form).
 *
 * A token is base64url(header) "." base64url(payload) "." base64url(mac)
 * with mac = HMAC-SHA256(key, first two parts). The header must be
 * exactly the algorithm HS256 (RFC 8725 §3.1: never let the token pick
 * its algorithm); the payload must carry sub, role, iat and exp.
 *
 * DIAGNOSTICS: jwt_verify answers -1 and a static reason; nothing here
 * logs or echoes token text.
 */
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/jwt.h"
#include "util/str.h"

/* b64url - base64url without padding of p[0, n) (malloc'd) */
static char *
b64url(const unsigned char *p, size_t n)
{
	char *s = xmalloc(4 * ((n + 2) / 3) + 1);
	int len = EVP_EncodeBlock((unsigned char *)s, p, (int)n);

	while (len > 0 && s[len - 1] == '=')
		len--;
	s[len] = '\0';
	for (char *q = s; *q; q++) {
		if (*q == '+')
			*q = '-';
		else if (*q == '/')
			*q = '_';
	}
	return s;
}

/* b64val - a character's 6 bits, or -1 */
static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* jwt_b64decode - base64 or base64url, padding optional */
int
jwt_b64decode(const char *s, size_t n, unsigned char *out, size_t cap, size_t *outlen)
{
	unsigned long acc = 0;
	size_t o = 0;
	int bits = 0;

	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64val((unsigned char)s[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1UL << bits) - 1;
		}
	}
	*outlen = o;
	return 0;
}

/* mac - HMAC-SHA256 of s[0, n) into out[32] */
static void
mac(const unsigned char *key, size_t keylen, const char *s, size_t n, unsigned char *out)
{
	unsigned int len = 32;

	HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)s, n, out, &len);
}

static const char HEADER[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

/* jwt_sign - a token for these claims */
char *
jwt_sign(const unsigned char *key, size_t keylen, const struct jwt_claims *c)
{
	cJSON *o = cJSON_CreateObject();
	char *payload, *h, *p, *signing, *sig, *tok;
	unsigned char m[32];

	cJSON_AddStringToObject(o, "sub", c->sub);
	cJSON_AddStringToObject(o, "role", c->role);
	cJSON_AddNumberToObject(o, "iat", (double)c->iat);
	cJSON_AddNumberToObject(o, "exp", (double)c->exp);
	payload = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (payload == NULL)
		abort();
	h = b64url((const unsigned char *)HEADER, strlen(HEADER));
	p = b64url((const unsigned char *)payload, strlen(payload));
	signing = str_printf("%s.%s", h, p);
	mac(key, keylen, signing, strlen(signing), m);
	sig = b64url(m, sizeof(m));
	tok = str_printf("%s.%s", signing, sig);
	OPENSSL_cleanse(m, sizeof(m));
	cJSON_free(payload);
	free(h);
	free(p);
	free(signing);
	free(sig);
	return tok;
}

/* claim_num - a whole-number claim; 0 or -1 */
static int
claim_num(const cJSON *o, const char *name, long long *v)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsNumber(n) || n->valuedouble < 0 || n->valuedouble > 9.0e15)
		return -1;
	*v = (long long)n->valuedouble;
	return 0;
}

/* claim_str - a string claim into buf; 0 or -1 */
static int
claim_str(const cJSON *o, const char *name, char *buf, size_t size)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsString(s) || s->valuestring[0] == '\0')
		return -1;
	return str_copy(buf, s->valuestring, size);
}

/* jwt_verify - form, algorithm, signature, expiry */
int
jwt_verify(const unsigned char *key, size_t keylen, const char *token, time_t now,
    struct jwt_claims *c, const char **why)
{
	const char *d1, *d2;
	unsigned char want[32], got[64], hdr[256], body[1024];
	size_t glen, hlen, blen, n = strnlen(token, JWT_MAX + 1);
	cJSON *h, *p;
	int ok;

	*why = "the jwtToken is malformed";
	if (n > JWT_MAX || (d1 = memchr(token, '.', n)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - token))) == NULL ||
	    memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - token)) != NULL)
		return -1;
	if (jwt_b64decode(d2 + 1, n - (size_t)(d2 + 1 - token), got, sizeof(got), &glen) < 0 ||
	    jwt_b64decode(token, (size_t)(d1 - token), hdr, sizeof(hdr) - 1, &hlen) < 0 ||
	    jwt_b64decode(d1 + 1, (size_t)(d2 - d1 - 1), body, sizeof(body) - 1, &blen) < 0)
		return -1;
	hdr[hlen] = '\0';
	body[blen] = '\0';
	/* the algorithm first: a token does not choose how it is checked */
	h = cJSON_ParseWithLength((const char *)hdr, hlen);
	ok = h && cJSON_IsObject(h) &&
	    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(h, "alg")) &&
	    strcmp(cJSON_GetObjectItemCaseSensitive(h, "alg")->valuestring, "HS256") == 0;
	cJSON_Delete(h);
	if (!ok) {
		*why = "the jwtToken is not signed with HS256";
		return -1;
	}
	mac(key, keylen, token, (size_t)(d2 - token), want);
	ok = glen == sizeof(want) && CRYPTO_memcmp(want, got, sizeof(want)) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	if (!ok) {
		*why = "the jwtToken's signature is not valid";
		return -1;
	}
	p = cJSON_ParseWithLength((const char *)body, blen);
	memset(c, 0, sizeof(*c));
	ok = p && cJSON_IsObject(p) && claim_str(p, "sub", c->sub, sizeof(c->sub)) == 0 &&
	    claim_str(p, "role", c->role, sizeof(c->role)) == 0 &&
	    claim_num(p, "iat", &c->iat) == 0 && claim_num(p, "exp", &c->exp) == 0;
	cJSON_Delete(p);
	if (!ok) {
		*why = "the jwtToken lacks its claims";
		return -1;
	}
	if ((long long)now >= c->exp) {
		*why = "the jwtToken has expired";
		return -1;
	}
	*why = NULL;
	return 0;
}
