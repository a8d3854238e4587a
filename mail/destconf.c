/*
 * destconf.c - per-destination-domain delivery controls: TLS policy and
 * connection limit for one recipient domain, with a "default" row for
 * every other domain.
 *
 * Rows are keyed by the lower-case domain (exact match only: a row for
 * example.com does not cover sub.example.com). The default row need not
 * be stored: when it is absent the built-in defaults apply.
 *
 * DIAGNOSTICS: destconf_set and destconf_decode return -1 with a one-line
 * cause; destconf_lookup returns -1 when the store or a stored row cannot
 * be read, and still fills in the built-in default so delivery can go on.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "mail/destconf.h"
#include "store/config.h"
#include "util/str.h"
#include "util/syntax.h"

/* Largest per-domain connection limit (as deliveryconfig's max_conns_per_dest). */
#define DESTCONF_MAX_CONNS 1000

static const char *const tls_names[] = { "no", "preferred", "required", "required_verify" };

/* destconf_defaults - the built-in row: TLS preferred, the deliveryconfig limit */
void
destconf_defaults(struct destconf *d, const char *domain)
{
	memset(d, 0, sizeof(*d));
	str_copy(d->domain, domain ? domain : DESTCONF_DEFAULT, sizeof(d->domain));
	d->tls = DESTCONF_TLS_PREFERRED;
	d->max_conns = 0;
}

/* destconf_tls_name - the batch word of a TLS policy */
const char *
destconf_tls_name(enum destconf_tls t)
{
	if ((int)t < 0 || (size_t)t >= sizeof(tls_names) / sizeof(tls_names[0]))
		return "preferred";
	return tls_names[t];
}

/* destconf_set - one field from its batch key (tls, max_conns) */
int
destconf_set(struct destconf *d, const char *key, const char *value, char **cause)
{
	if (strcmp(key, "tls") == 0) {
		for (size_t i = 0; i < sizeof(tls_names) / sizeof(tls_names[0]); i++) {
			if (strcasecmp(value, tls_names[i]) == 0) {
				d->tls = (enum destconf_tls)i;
				return 0;
			}
		}
		*cause = str_printf("Invalid tls '%.100s': the value must be no, preferred, "
				    "required or required_verify.",
		    value);
		return -1;
	}
	if (strcmp(key, "max_conns") == 0) {
		long v;

		if (!isdigit((unsigned char)*value) ||
		    str_to_long(value, 0, DESTCONF_MAX_CONNS, &v) < 0) {
			*cause = str_printf("Invalid max_conns '%.100s': the value must be a number "
					    "between 0 and %d (0: the deliveryconfig limit).",
			    value, DESTCONF_MAX_CONNS);
			return -1;
		}
		d->max_conns = (int)v;
		return 0;
	}
	*cause = str_printf("Unknown key '%.100s': use tls or max_conns.", key);
	return -1;
}

/* destconf_encode - the JSON stored for a row (malloc'd) */
char *
destconf_encode(const struct destconf *d)
{
	cJSON *o = cJSON_CreateObject();
	char *json, *out;

	cJSON_AddStringToObject(o, "tls", destconf_tls_name(d->tls));
	cJSON_AddNumberToObject(o, "max_conns", d->max_conns);
	json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (json == NULL)
		abort();	/* only allocation fails here */
	out = str_dup(json);
	cJSON_free(json);
	return out;
}

/* destconf_decode - parse and re-validate a stored row */
int
destconf_decode(const char *domain, const char *json, struct destconf *d, char **cause)
{
	cJSON *o = cJSON_Parse(json);
	const cJSON *m;
	char num[32];

	destconf_defaults(d, domain);
	if (strcmp(domain, DESTCONF_DEFAULT) != 0 &&
	    (!syntax_hostname(domain) || strlen(domain) >= sizeof(d->domain))) {
		*cause = str_printf("the stored domain '%.100s' is not a domain name", domain);
		cJSON_Delete(o);
		return -1;
	}
	if (!cJSON_IsObject(o)) {
		*cause = str_dup("the stored destination controls are not a JSON object");
		cJSON_Delete(o);
		return -1;
	}
	/* unknown members are ignored: they may come from a newer release */
	m = cJSON_GetObjectItemCaseSensitive(o, "tls");
	if (m && (!cJSON_IsString(m) || destconf_set(d, "tls", m->valuestring, cause) < 0)) {
		if (!cJSON_IsString(m))
			*cause = str_dup("the stored tls is not a string");
		cJSON_Delete(o);
		return -1;
	}
	m = cJSON_GetObjectItemCaseSensitive(o, "max_conns");
	if (m) {
		if (!cJSON_IsNumber(m) || m->valuedouble < 0 ||
		    m->valuedouble > DESTCONF_MAX_CONNS) {
			*cause = str_dup("the stored max_conns is malformed");
			cJSON_Delete(o);
			return -1;
		}
		str_fmt(num, sizeof(num), "%d", (int)m->valuedouble);
		if (destconf_set(d, "max_conns", num, cause) < 0) {
			cJSON_Delete(o);
			return -1;
		}
	}
	cJSON_Delete(o);
	return 0;
}

/* load_row - the stored row for key; 1 found, 0 absent, -1 error */
static int
load_row(struct store *st, const char *key, struct destconf *d)
{
	char *v = NULL, *cause = NULL;
	int rc;

	if (config_get(st, DESTCONF_SECTION, key, &v, &cause) < 0) {
		free(cause);
		return -1;
	}
	if (v == NULL)
		return 0;
	rc = destconf_decode(key, v, d, &cause) < 0 ? -1 : 1;
	free(cause);
	free(v);
	return rc;
}

/* destconf_lookup - the row for a domain (exact, else default, else built-in) */
int
destconf_lookup(struct store *st, const char *domain, struct destconf *d)
{
	char key[256];
	size_t n;
	int rc, err = 0;

	if (str_copy(key, domain, sizeof(key)) == 0) {
		str_lower(key);
		n = strlen(key);
		if (n > 1 && key[n - 1] == '.')
			key[n - 1] = '\0';
		if (strcmp(key, DESTCONF_DEFAULT) != 0) {
			rc = load_row(st, key, d);
			if (rc > 0)
				return 0;
			if (rc < 0)
				err = 1;
		}
	}
	rc = load_row(st, DESTCONF_DEFAULT, d);
	if (rc <= 0)
		destconf_defaults(d, DESTCONF_DEFAULT);
	return (rc < 0 || err) ? -1 : 0;
}
