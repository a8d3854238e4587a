/*
 * jwt.c - HS256 JSON Web Tokens (RFC 7519, RFC 7515 compact form).
 *
 * A token is base64url(header) "." base64url(payload) "." base64url(mac)
 * with mac = HMAC-SHA256(key, first two parts). The header must be
 * exactly the algorithm HS256 (RFC 8725 §3.1: never let the token pick
 * its algorithm); the payload must carry sub, role, iat and exp.
 *
 * RS256 tokens (jwt_verify_rs256) are the threat response platform's:
 * the header must say alg RS256 and name a kid of the JWKS the gateway
 * got at registration; the key is built from the JWK's n and e
 * (OSSL_PARAM_BLD + EVP_PKEY_fromdata) and the signature checked with
 * EVP_DigestVerify (SHA-256, PKCS#1 v1.5: RSA's default padding).
 *
 * Header and claims of an unknown caller's token are decoded and parsed
 * (bounded: JWT_RS_MAX bytes, a 1 KiB header) before the signature is
 * checked, since the kid picking the key is in the header; the parts
 * must be strict base64url (no padding, zero leftover bits) and nothing
 * from the claims is believed until the signature holds.
 *
 * DIAGNOSTICS: jwt_verify and jwt_verify_rs256 answer -1 and a static
 * reason; nothing here logs or echoes token text.
 */
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>

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

/*
 * b64dec - base64 or base64url; strict: base64url only (RFC 7515 §2: no
 * padding, and the bits left over after the last byte must be zero, so
 * one token has one spelling)
 */
static int
b64dec(const char *s, size_t n, unsigned char *out, size_t cap, size_t *outlen, int strict)
{
	unsigned long acc = 0;
	size_t o = 0;
	int bits = 0;

	if (!strict)
		while (n > 0 && s[n - 1] == '=')
			n--;
	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64val((unsigned char)s[i]);

		if (v < 0 || (strict && (s[i] == '+' || s[i] == '/')))
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
	if (strict && acc != 0)
		return -1;
	*outlen = o;
	return 0;
}

/* jwt_b64decode - base64 or base64url, padding optional */
int
jwt_b64decode(const char *s, size_t n, unsigned char *out, size_t cap, size_t *outlen)
{
	return b64dec(s, n, out, cap, outlen, 0);
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

/* ---------------------------------------------------------- RS256 */

#define RS_HDR_MAX 1024		/* bytes of a decoded header */
#define RS_SIG_MAX 1024		/* bytes of a signature (8192-bit keys) */
#define RS_N_MAX 1024		/* bytes of a modulus */

/* rs_part - decode one base64url part (strictly) into a malloc'd NUL-terminated buffer; NULL */
static char *
rs_part(const char *s, size_t n, size_t cap, size_t *len)
{
	char *b = xmalloc(cap + 1);

	if (n == 0 || b64dec(s, n, (unsigned char *)b, cap, len, 1) < 0) {
		free(b);
		return NULL;
	}
	b[*len] = '\0';
	return b;
}

/* rs_opt_str - an optional string claim into buf ("" absent); 0, -1 not a string or too long */
static int
rs_opt_str(const cJSON *o, const char *name, char *buf, size_t size)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	buf[0] = '\0';
	if (v == NULL)
		return 0;
	if (!cJSON_IsString(v))
		return -1;
	return str_copy(buf, v->valuestring, size);
}

/* rs_opt_num - an optional whole-number claim (0 absent); 0 or -1 */
static int
rs_opt_num(const cJSON *o, const char *name, long long *v)
{
	*v = 0;
	if (cJSON_GetObjectItemCaseSensitive(o, name) == NULL)
		return 0;
	return claim_num(o, name, v);
}

/* rs_key - the public key of one JWK (RSA, n and e); NULL when unusable */
static EVP_PKEY *
rs_key(const cJSON *jwk)
{
	const cJSON *kty = cJSON_GetObjectItemCaseSensitive(jwk, "kty");
	const cJSON *alg = cJSON_GetObjectItemCaseSensitive(jwk, "alg");
	const cJSON *use = cJSON_GetObjectItemCaseSensitive(jwk, "use");
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(jwk, "n");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(jwk, "e");
	unsigned char nb[RS_N_MAX], eb[16];
	size_t nl, el;
	BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pc = NULL;
	EVP_PKEY *pk = NULL;

	if (!cJSON_IsString(kty) || strcmp(kty->valuestring, "RSA") != 0 ||
	    (alg && (!cJSON_IsString(alg) || strcmp(alg->valuestring, "RS256") != 0)) ||
	    (use && (!cJSON_IsString(use) || strcmp(use->valuestring, "sig") != 0)) ||
	    !cJSON_IsString(n) || !cJSON_IsString(e) ||
	    jwt_b64decode(n->valuestring, strlen(n->valuestring), nb, sizeof(nb), &nl) < 0 ||
	    jwt_b64decode(e->valuestring, strlen(e->valuestring), eb, sizeof(eb), &el) < 0 ||
	    nl == 0 || el == 0)
		return NULL;
	if ((bn = BN_bin2bn(nb, (int)nl, NULL)) == NULL ||
	    (be = BN_bin2bn(eb, (int)el, NULL)) == NULL ||
	    BN_num_bits(bn) < JWT_RS_MIN_BITS || !BN_is_odd(be) || BN_is_one(be) ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	ERR_clear_error();
	return pk;
}

/* rs_find - the JWK named kid in the JWKS text; 1 with *pk, 0 not there, -1 unreadable/unusable */
static int
rs_find(const char *jwks, const char *kid, EVP_PKEY **pk)
{
	cJSON *o = jwks ? cJSON_Parse(jwks) : NULL;
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(o, "keys"), *k;
	int r = 0;

	*pk = NULL;
	if (!cJSON_IsArray(keys)) {
		cJSON_Delete(o);
		return -1;
	}
	cJSON_ArrayForEach(k, keys) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(k, "kid");

		if (!cJSON_IsString(id) || strcmp(id->valuestring, kid) != 0)
			continue;
		/* two keys under one kid: which one signs is not ours to guess */
		if (*pk != NULL) {
			EVP_PKEY_free(*pk);
			*pk = NULL;
			r = -1;
			break;
		}
		*pk = rs_key(k);
		if ((r = *pk ? 1 : -1) < 0)
			break;
	}
	cJSON_Delete(o);
	return r;
}

/* rs_sig_ok - EVP_DigestVerify of tbs[0, n) with SHA-256 and PKCS#1 v1.5 */
static int
rs_sig_ok(EVP_PKEY *pk, const char *tbs, size_t n, const unsigned char *sig, size_t slen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) == 1 &&
	    EVP_DigestVerify(md, sig, slen, (const unsigned char *)tbs, n) == 1;

	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok;
}

/* jwt_verify_rs256 - form, alg RS256, kid, signature, then the claims */
int
jwt_verify_rs256(const char *jwks, const char *token, time_t now, struct jwt_rs256_claims *c,
    const char **why)
{
	size_t n = strnlen(token, JWT_RS_MAX + 1), hl, bl, sl;
	const char *d1, *d2;
	char *hdr = NULL, *body = NULL, *sig = NULL;
	cJSON *h = NULL, *p = NULL;
	const cJSON *alg, *kid, *typ;
	EVP_PKEY *pk = NULL;
	long long lim;
	int r = -1;

	memset(c, 0, sizeof(*c));
	if (n > JWT_RS_MAX) {
		*why = "the token is too long";
		return -1;
	}
	*why = "Wrong JWT structure";
	if ((d1 = memchr(token, '.', n)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - token))) == NULL ||
	    memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - token)) != NULL)
		return -1;
	if ((hdr = rs_part(token, (size_t)(d1 - token), RS_HDR_MAX, &hl)) == NULL ||
	    (body = rs_part(d1 + 1, (size_t)(d2 - d1 - 1), JWT_RS_MAX, &bl)) == NULL)
		goto out;
	/* an empty signature ("none") decodes to nothing: refused as the alg below */
	sig = rs_part(d2 + 1, n - (size_t)(d2 + 1 - token), RS_SIG_MAX, &sl);
	if (d2[1] != '\0' && sig == NULL)
		goto out;
	if ((h = cJSON_ParseWithLength(hdr, hl)) == NULL || !cJSON_IsObject(h) ||
	    (p = cJSON_ParseWithLength(body, bl)) == NULL || !cJSON_IsObject(p))
		goto out;
	/* the algorithm first: a token does not choose how it is checked (RFC 8725 §3.1) */
	alg = cJSON_GetObjectItemCaseSensitive(h, "alg");
	typ = cJSON_GetObjectItemCaseSensitive(h, "typ");
	if (!cJSON_IsString(alg) || strcmp(alg->valuestring, "RS256") != 0) {
		*why = "the token is not signed with RS256";
		goto out;
	}
	if (typ && (!cJSON_IsString(typ) || strcasecmp(typ->valuestring, "JWT") != 0)) {
		*why = "the token's typ is not JWT";
		goto out;
	}
	/* RFC 7515 §4.1.11: we understand no extension, so none may be critical */
	if (cJSON_GetObjectItemCaseSensitive(h, "crit") != NULL) {
		*why = "the token names critical header extensions (crit)";
		goto out;
	}
	kid = cJSON_GetObjectItemCaseSensitive(h, "kid");
	if (!cJSON_IsString(kid) || kid->valuestring[0] == '\0' ||
	    str_copy(c->kid, kid->valuestring, sizeof(c->kid)) < 0) {
		*why = "kid is missing in JWT header";
		goto out;
	}
	switch (rs_find(jwks, c->kid, &pk)) {
	case 0:
		*why = "kid from JWT header not found in the registered keys";
		goto out;
	case -1:
		*why = "the registered key named by kid is not a usable RSA signing key";
		goto out;
	}
	if (sig == NULL || !rs_sig_ok(pk, token, (size_t)(d2 - token), (unsigned char *)sig, sl)) {
		*why = "Failed to decode JWT with provided key";
		goto out;
	}
	*why = "Wrong JWT payload structure";
	if (rs_opt_str(p, "sub", c->sub, sizeof(c->sub)) < 0 ||
	    rs_opt_str(p, "aud", c->aud, sizeof(c->aud)) < 0 ||
	    rs_opt_str(p, "iss", c->iss, sizeof(c->iss)) < 0 ||
	    rs_opt_str(p, "jwks_host", c->jwks_host, sizeof(c->jwks_host)) < 0 ||
	    rs_opt_str(p, "forward_to", c->forward_to, sizeof(c->forward_to)) < 0 ||
	    rs_opt_num(p, "iat", &c->iat) < 0 || rs_opt_num(p, "nbf", &c->nbf) < 0 ||
	    rs_opt_num(p, "CTR_ENTITIES_LIMIT", &lim) < 0 || lim > 1000000)
		goto out;
	c->entities_limit = (long)lim;
	if (claim_num(p, "exp", &c->exp) < 0) {
		*why = "Wrong JWT payload structure: exp is missing";
		goto out;
	}
	if ((long long)now >= c->exp) {
		*why = "the token has expired";
		goto out;
	}
	if (c->iat > (long long)now + JWT_RS_SKEW || c->nbf > (long long)now + JWT_RS_SKEW) {
		*why = "the token is not valid yet (iat or nbf in the future)";
		goto out;
	}
	if (c->exp > (long long)now + JWT_RS_LIFE_MAX) {
		*why = "the token's exp lies more than 24 hours ahead";
		goto out;
	}
	*why = NULL;
	r = 0;
out:
	EVP_PKEY_free(pk);
	cJSON_Delete(h);
	cJSON_Delete(p);
	free(hdr);
	free(body);
	free(sig);
	if (r < 0)
		memset(c, 0, sizeof(*c));
	return r;
}
