/*
 * cloudjson.c - the registration request and answer of the Cisco Cloud
 * Service (see cloudjson.h).
 *
 * cJSON parses the answer (bounded by the caller's largest body, net/
 * hreq.h); every value kept is checked here before it is copied, and a
 * value that does not fit fails the answer instead of being cut: a
 * truncated clientSecret or deviceId would be a registration that does
 * not work, found only later.
 *
 * DIAGNOSTICS: see cloudjson.h.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "mail/cloudjson.h"
#include "util/printable.h"
#include "util/str.h"

/* printable - is s non-empty printable ASCII without spaces, shorter than size? */
static int
printable(const char *s, size_t size)
{
	size_t n = strlen(s);

	if (n == 0 || n >= size)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 32 || (unsigned char)s[i] >= 127)
			return 0;
	return 1;
}

/* b64url - is s non-empty base64url text (no padding)? */
static int
b64url(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
			(*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

/* member_is - is string member name of k absent, or equal to want? */
static int
member_is(const cJSON *k, const char *name, const char *want)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(k, name);

	if (m == NULL)
		return 1;
	return cJSON_IsString(m) && m->valuestring != NULL && strcmp(m->valuestring, want) == 0;
}

/*
 * usable_key - can the threat response module verify tokens with key k?
 * kty RSA, a printable kid, base64url n and e, alg absent or RS256, use
 * absent or sig
 */
static int
usable_key(const cJSON *k)
{
	const cJSON *kty = cJSON_GetObjectItemCaseSensitive(k, "kty");
	const cJSON *kid = cJSON_GetObjectItemCaseSensitive(k, "kid");
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(k, "n");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(k, "e");

	if (!cJSON_IsString(kty) || kty->valuestring == NULL || strcmp(kty->valuestring, "RSA") != 0)
		return 0;
	if (!cJSON_IsString(kid) || kid->valuestring == NULL || *kid->valuestring == '\0')
		return 0;
	for (const char *p = kid->valuestring; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	if (!cJSON_IsString(n) || !b64url(n->valuestring) || !cJSON_IsString(e) ||
	    !b64url(e->valuestring))
		return 0;
	return member_is(k, "alg", "RS256") && member_is(k, "use", "sig");
}

/* field - the string member name of j when it is printable and fits size, else NULL */
static const char *
field(const cJSON *j, const char *name, size_t size)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);

	if (!cJSON_IsString(v) || v->valuestring == NULL || !printable(v->valuestring, size))
		return NULL;
	return v->valuestring;
}

/* cloudjson_register_request - the body of a (re-)registration */
char *
cloudjson_register_request(const char *token, const char *device_id,
    const struct cloudjson_device *dev)
{
	cJSON *j = cJSON_CreateObject(), *d;
	char *out, *copy;

	if (j == NULL)
		abort();
	if (token != NULL && *token != '\0')
		cJSON_AddStringToObject(j, "token", token);
	if (device_id != NULL && *device_id != '\0')
		cJSON_AddStringToObject(j, "deviceId", device_id);
	d = cJSON_AddObjectToObject(j, "device");
	if (d == NULL)
		abort();
	cJSON_AddStringToObject(d, "uid", dev->uid);
	cJSON_AddStringToObject(d, "model", "mxgate");
	cJSON_AddStringToObject(d, "hostname", dev->hostname);
	cJSON_AddStringToObject(d, "version", dev->version);
	cJSON_AddStringToObject(d, "deployment", dev->cluster ? "cluster" : "standalone");
	out = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (out == NULL)
		abort();
	copy = str_dup(out);
	/* the body holds the token: cleanse cJSON's copy before it goes */
	memset(out, 0, strlen(out));
	cJSON_free(out);
	return copy;
}

/* cloudjson_register_answer - parse a registration answer */
int
cloudjson_register_answer(const char *body, size_t len, struct cloud_reg *r, char **cause)
{
	cJSON *j = cJSON_ParseWithLength(body, len), *jw, *keys, *k;
	const char *dev, *cid, *sec, *acct = "", *va = "";
	char *jtext = NULL;
	int n = 0;

	*cause = NULL;
	if (j == NULL || !cJSON_IsObject(j)) {
		*cause = str_dup("the answer is not a JSON object");
		goto fail;
	}
	if ((dev = field(j, "deviceId", sizeof(r->device_id))) == NULL) {
		*cause = str_dup("the answer has no usable deviceId");
		goto fail;
	}
	if ((cid = field(j, "clientId", sizeof(r->client_id))) == NULL) {
		*cause = str_dup("the answer has no usable clientId");
		goto fail;
	}
	if ((sec = field(j, "clientSecret", CLOUDJSON_SECRET_MAX + 1)) == NULL) {
		*cause = str_dup("the answer has no usable clientSecret");
		goto fail;
	}
	if (cJSON_GetObjectItemCaseSensitive(j, "accountId") != NULL &&
	    !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "accountId")) &&
	    (acct = field(j, "accountId", sizeof(r->account_id))) == NULL) {
		*cause = str_dup("the answer's accountId is not usable");
		goto fail;
	}
	if (cJSON_GetObjectItemCaseSensitive(j, "virtualAccount") != NULL &&
	    !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "virtualAccount")) &&
	    (va = field(j, "virtualAccount", sizeof(r->virtual_account))) == NULL) {
		*cause = str_dup("the answer's virtualAccount is not usable");
		goto fail;
	}
	jw = cJSON_GetObjectItemCaseSensitive(j, "jwks");
	keys = cJSON_IsObject(jw) ? cJSON_GetObjectItemCaseSensitive(jw, "keys") : NULL;
	if (!cJSON_IsArray(keys)) {
		*cause = str_dup("the answer has no jwks with a keys array");
		goto fail;
	}
	cJSON_ArrayForEach(k, keys) {
		if (!cJSON_IsObject(k)) {
			*cause = str_dup("the answer's jwks holds a key that is not an object");
			goto fail;
		}
		n += usable_key(k);
	}
	if (n == 0) {
		*cause = str_dup("the answer's jwks has no usable RS256 signing key");
		goto fail;
	}
	jtext = cJSON_PrintUnformatted(jw);
	if (jtext == NULL)
		abort();
	if (strlen(jtext) > CLOUD_KEYS_MAX) {
		*cause = str_printf("the answer's jwks is larger than %d bytes", CLOUD_KEYS_MAX);
		goto fail;
	}
	str_copy(r->device_id, dev, sizeof(r->device_id));
	str_copy(r->client_id, cid, sizeof(r->client_id));
	str_copy(r->account_id, acct, sizeof(r->account_id));
	str_copy(r->virtual_account, va, sizeof(r->virtual_account));
	r->client_secret = str_dup(sec);
	r->jwks = str_dup(jtext);
	cJSON_free(jtext);
	/* the parsed tree holds the secret: cleanse it before it is freed */
	memset((char *)sec, 0, strlen(sec));
	cJSON_Delete(j);
	return 0;
fail:
	if (jtext != NULL)
		cJSON_free(jtext);
	if (j != NULL) {
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "clientSecret");

		if (cJSON_IsString(s) && s->valuestring != NULL)
			memset(s->valuestring, 0, strlen(s->valuestring));
	}
	cJSON_Delete(j);
	return -1;
}

/* cloudjson_error - the "error" text of an error answer */
int
cloudjson_error(const char *body, size_t len, char *out, size_t size)
{
	cJSON *j, *e;
	size_t max = size > 0 ? size - 1 : 0;

	if (size > 0)
		*out = '\0';
	if (body == NULL || len == 0 || size == 0)
		return -1;
	j = cJSON_ParseWithLength(body, len);
	e = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "error") : NULL;
	if (!cJSON_IsString(e) || e->valuestring == NULL || *e->valuestring == '\0') {
		cJSON_Delete(j);
		return -1;
	}
	if (max > CLOUDJSON_ERROR_MAX)
		max = CLOUDJSON_ERROR_MAX;
	printable_copy(out, size, e->valuestring, PRINTABLE_STR, max);
	cJSON_Delete(j);
	return 0;
}
