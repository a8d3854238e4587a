/*
 * fuzz_cloudjson.c - libFuzzer harness for mail/cloudjson: a registration
 * answer is a remote server's bytes.
 *
 * The input is parsed as a registration answer and as an error answer.
 * What is kept must hold the parser's promises: deviceId, clientId and
 * clientSecret non-empty printable ASCII without blanks within their
 * bounds, accountId and virtualAccount printable (or empty), jwks JSON
 * text of an object with a non-empty keys array and at most
 * CLOUD_KEYS_MAX bytes; an error text printable and at most
 * CLOUDJSON_ERROR_MAX bytes. A failure allocates nothing in the record.
 * Failed invariants abort().
 */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/cloudjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - abort (a libFuzzer crash) when an invariant fails */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* word - printable ASCII without blanks, within max bytes; empty only if allowed */
static void
word(const char *s, size_t max, int empty_ok)
{
	size_t n = strlen(s);

	check(n <= max);
	check(empty_ok || n > 0);
	for (size_t i = 0; i < n; i++)
		check(s[i] > 32 && s[i] < 127);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cloud_reg r = { 0 };
	char *cause = NULL, err[CLOUDJSON_ERROR_MAX + 1];

	if (cloudjson_register_answer((const char *)data, size, &r, &cause) == 0) {
		cJSON *j, *keys;

		check(cause == NULL);
		word(r.device_id, sizeof(r.device_id) - 1, 0);
		word(r.client_id, sizeof(r.client_id) - 1, 0);
		check(r.client_secret != NULL);
		word(r.client_secret, CLOUDJSON_SECRET_MAX, 0);
		word(r.account_id, sizeof(r.account_id) - 1, 1);
		word(r.virtual_account, sizeof(r.virtual_account) - 1, 1);
		check(r.jwks != NULL && strlen(r.jwks) <= CLOUD_KEYS_MAX);
		j = cJSON_Parse(r.jwks);
		check(cJSON_IsObject(j));
		keys = cJSON_GetObjectItemCaseSensitive(j, "keys");
		check(cJSON_IsArray(keys) && cJSON_GetArraySize(keys) > 0);
		cJSON_Delete(j);
		cloud_reg_free(&r);
	} else {
		check(cause != NULL && strlen(cause) < 200);
		check(r.client_secret == NULL && r.jwks == NULL && r.device_id[0] == '\0');
		free(cause);
	}
	if (cloudjson_error((const char *)data, size, err, sizeof(err)) == 0) {
		size_t n = strlen(err);

		check(n > 0 && n <= CLOUDJSON_ERROR_MAX);
		for (size_t i = 0; i < n; i++)
			check(err[i] >= 32 && err[i] < 127);
	} else {
		check(err[0] == '\0');
	}
	return 0;
}
