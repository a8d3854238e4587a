/*
 * jwt.h - JSON Web Tokens (RFC 7519) signed with HMAC-SHA256 (HS256,
 * RFC 7518 §3.2): what the gateway's API hands out at login and checks
 * on each call (mail/api.c). Only HS256 is made or accepted: a token
 * naming any other "alg" ("none" above all) is refused, and signatures
 * are compared in constant time (CRYPTO_memcmp).
 *
 * Also the base64 decoding the API needs (RFC 4648 §4 and §5: either
 * alphabet, padding optional).
 *
 * DIAGNOSTICS: jwt_verify returns -1 with a static one-line *why that
 * never echoes the token.
 */
#ifndef UTIL_JWT_H
#define UTIL_JWT_H

#include <stddef.h>
#include <time.h>

#define JWT_KEY_LEN 32		/* bytes of key (DIR/api.key) */
#define JWT_MAX 4096		/* bytes of a token accepted */

struct jwt_claims {
	char sub[64];		/* the account name */
	char role[32];		/* its role when the token was made */
	long long iat, exp;	/* issued, expires (UTC seconds) */
};

/* jwt_sign - a token for these claims (malloc'd) */
char *jwt_sign(const unsigned char *key, size_t keylen, const struct jwt_claims *c);

/*
 * jwt_verify - check token's form, algorithm, signature and expiry at
 * now; 0 with *c filled, -1 with a static *why ("expired", ...)
 */
int jwt_verify(const unsigned char *key, size_t keylen, const char *token, time_t now,
    struct jwt_claims *c, const char **why);

/*
 * jwt_b64decode - base64 or base64url text (padding optional) into out
 * (cap bytes); 0 with *outlen, -1 on a bad character, bad length or
 * when out is too small
 */
int jwt_b64decode(const char *s, size_t n, unsigned char *out, size_t cap, size_t *outlen);

#endif
