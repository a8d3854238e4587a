/*
 * jwt.h - JSON Web Tokens (RFC 7519) signed with HMAC-SHA256 (HS256,
 * RFC 7518 §3.2): what the gateway's API hands out at login and checks
 * on each call (mail/api.c). Only HS256 is made or accepted: a token
 * naming any other "alg" ("none" above all) is refused, and signatures
 * are compared in constant time (CRYPTO_memcmp).
 *
 * Also RS256 (RFC 7518 §3.3: RSASSA-PKCS1-v1_5 with SHA-256) tokens
 * checked against a JWKS (RFC 7517): what the threat response platform
 * sends the gateway's relay module (mail/relay.c). Only RS256 is
 * accepted there, whatever the JWKS holds: "none", HS256 (the classic
 * confusion of an RSA public key used as an HMAC secret) and every other
 * alg are refused before any key is looked at.
 *
 * Also the base64 decoding the API needs (RFC 4648 §4 and §5: either
 * alphabet, padding optional).
 *
 * DIAGNOSTICS: jwt_verify and jwt_verify_rs256 return -1 with a static
 * one-line *why that never echoes the token.
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

#define JWT_RS_MAX 16384	/* bytes of an RS256 token accepted */
#define JWT_RS_SKEW 60		/* seconds iat/nbf may lie in the future (clock skew) */
#define JWT_RS_MIN_BITS 2048	/* smallest RSA modulus accepted */
/*
 * the latest exp accepted, in seconds after now: the platform's tokens
 * live minutes, so a token good for more than a day is a forged or
 * misissued one that would outlive a key rotation
 */
#define JWT_RS_LIFE_MAX 86400

/* what jwt_verify_rs256 returns of an RS256 token ("" / 0 when absent) */
struct jwt_rs256_claims {
	char kid[128];		/* the header's key id (found in the JWKS) */
	char sub[256];		/* the caller (audit, remediationreport) */
	char aud[256];		/* audience: a string claim (an array is refused) */
	char iss[256];		/* issuer */
	char jwks_host[256];	/* the platform that made it (relay.md §6b) */
	char forward_to[321];	/* the module's custom forward address, if any */
	long long exp;		/* expires (required) */
	long long iat, nbf;	/* issued, not before (0 absent) */
	long entities_limit;	/* CTR_ENTITIES_LIMIT claim, 0 absent */
};

/*
 * jwt_verify_rs256 - check an RS256 token against the JWKS text jwks at
 * now: form, alg RS256, kid present and found (an RSA key of at least
 * JWT_RS_MIN_BITS, use "sig" and alg RS256 when the key says, the only
 * key of that kid), typ JWT when present, no "crit", the parts strict
 * base64url, the signature, exp required, after now and at most
 * JWT_RS_LIFE_MAX ahead, iat and nbf not more than JWT_RS_SKEW seconds
 * ahead. 0 with *c filled, -1 with a static *why.
 * Audience and jwks_host are the caller's to compare.
 */
int jwt_verify_rs256(const char *jwks, const char *token, time_t now, struct jwt_rs256_claims *c,
    const char **why);

/*
 * jwt_b64decode - base64 or base64url text (padding optional) into out
 * (cap bytes); 0 with *outlen, -1 on a bad character, bad length or
 * when out is too small
 */
int jwt_b64decode(const char *s, size_t n, unsigned char *out, size_t cap, size_t *outlen);

#endif
