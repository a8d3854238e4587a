/*
 * rs256_helper.h - RS256 tokens and a JWKS made at test time (test_jwt,
 * test_relay): an RSA key generated with OpenSSL, its JWK (n, e as
 * base64url), and tokens signed with it, or with anything else a test
 * needs to see refused (alg none, HS256 keyed with the public key).
 */
#ifndef TESTS_UNIT_RS256_HELPER_H
#define TESTS_UNIT_RS256_HELPER_H

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "util/str.h"

/* rt_b64url - base64url without padding (malloc'd) */
static inline char *
rt_b64url(const unsigned char *p, size_t n)
{
	char *s = xmalloc(4 * ((n + 2) / 3) + 1);
	int len = EVP_EncodeBlock((unsigned char *)s, p, (int)n);

	while (len > 0 && s[len - 1] == '=')
		len--;
	s[len] = '\0';
	for (char *q = s; *q; q++)
		*q = *q == '+' ? '-' : *q == '/' ? '_' : *q;
	return s;
}

static inline char *
rt_b64s(const char *s)
{
	return rt_b64url((const unsigned char *)s, strlen(s));
}

/* rt_key - a fresh RSA key of bits */
static inline EVP_PKEY *
rt_key(unsigned bits)
{
	EVP_PKEY *k = EVP_RSA_gen(bits);

	if (k == NULL)
		abort();
	return k;
}

/* rt_bn64 - one of the key's numbers, base64url (malloc'd) */
static inline char *
rt_bn64(EVP_PKEY *k, const char *name)
{
	BIGNUM *b = NULL;
	unsigned char buf[1024];
	int n;
	char *s;

	if (EVP_PKEY_get_bn_param(k, name, &b) != 1)
		abort();
	n = BN_bn2bin(b, buf);
	BN_free(b);
	s = rt_b64url(buf, (size_t)n);
	return s;
}

/* rt_jwks - {"keys":[{kty RSA, kid, alg RS256, use sig, n, e}]} (malloc'd) */
static inline char *
rt_jwks(EVP_PKEY *k, const char *kid)
{
	char *n = rt_bn64(k, OSSL_PKEY_PARAM_RSA_N), *e = rt_bn64(k, OSSL_PKEY_PARAM_RSA_E);
	char *j = str_printf("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"%s\",\"alg\":\"RS256\","
			     "\"use\":\"sig\",\"n\":\"%s\",\"e\":\"%s\"}]}", kid, n, e);

	free(n);
	free(e);
	return j;
}

/* rt_sign - header.payload signed RS256 with k (malloc'd token) */
static inline char *
rt_sign(EVP_PKEY *k, const char *header, const char *payload)
{
	char *h = rt_b64s(header), *p = rt_b64s(payload), *tbs = str_printf("%s.%s", h, p), *sg,
	     *t;
	unsigned char sig[1024];
	size_t sl = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k) != 1 ||
	    EVP_DigestSign(md, sig, &sl, (unsigned char *)tbs, strlen(tbs)) != 1)
		abort();
	EVP_MD_CTX_free(md);
	sg = rt_b64url(sig, sl);
	t = str_printf("%s.%s", tbs, sg);
	free(h);
	free(p);
	free(tbs);
	free(sg);
	return t;
}

/* rt_hs256 - header.payload with HMAC-SHA256 keyed with key (the alg confusion) */
static inline char *
rt_hs256(const char *key, const char *header, const char *payload)
{
	char *h = rt_b64s(header), *p = rt_b64s(payload), *tbs = str_printf("%s.%s", h, p), *sg,
	     *t;
	unsigned char m[32];
	unsigned int ml = sizeof(m);

	HMAC(EVP_sha256(), key, (int)strlen(key), (unsigned char *)tbs, strlen(tbs), m, &ml);
	sg = rt_b64url(m, ml);
	t = str_printf("%s.%s", tbs, sg);
	free(h);
	free(p);
	free(tbs);
	free(sg);
	return t;
}

/* rt_pub_pem - the public key as PEM text (malloc'd) */
static inline char *
rt_pub_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *d, *s;
	long n;

	PEM_write_bio_PUBKEY(b, k);
	n = BIO_get_mem_data(b, &d);
	s = str_ndup(d, (size_t)n);
	BIO_free(b);
	return s;
}

#endif
