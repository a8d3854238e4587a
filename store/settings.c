/*
 * settings.c - validated access to the scalar settings of settings_table.c.
 *
 * DIAGNOSTICS: writes return -1 with a one-line cause an operator can act
 * on ("The value must be between 1 and 65535."); reads fall back to the
 * declared default when the item is absent or unreadable.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/config.h"
#include "store/settings.h"
#include "store/store_int.h"
#include "util/str.h"
#include "util/syntax.h"

const struct setting_def *
settings_find(const char *name)
{
	for (const struct setting_def *d = settings_table; d->name; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

/* in_choices - is v one of the '|'-separated choices? (case-insensitive) */
static int
in_choices(const char *choices, const char *v)
{
	size_t n = strlen(v);

	for (const char *p = choices; *p;) {
		const char *e = strchr(p, '|');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == n && strncasecmp(p, v, n) == 0)
			return 1;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return 0;
}

/* choices_text - "a, b or c" from "a|b|c" (malloc'd) */
static char *
choices_text(const char *choices)
{
	const char *last = strrchr(choices, '|');
	char *out = xmalloc(strlen(choices) * 2 + 8), *o = out;

	for (const char *p = choices; *p; p++) {
		if (*p != '|') {
			*o++ = *p;
		} else if (p == last) {
			memcpy(o, " or ", 4);
			o += 4;
		} else {
			memcpy(o, ", ", 2);
			o += 2;
		}
	}
	*o = '\0';
	return out;
}

int
settings_validate(const struct setting_def *d, char *value, size_t size, char **cause)
{
	long v;

	(void)size;
	switch (d->type) {
	case SETTING_INT:
		if (str_to_long(value, d->min, d->max, &v) < 0) {
			*cause = str_printf("The value must be a number between %ld and %ld.",
			    d->min, d->max);
			return -1;
		}
		return 0;
	case SETTING_BOOL:
		if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "y") == 0 ||
		    strcmp(value, "1") == 0) {
			str_copy(value, "yes", size);
		} else if (strcasecmp(value, "no") == 0 || strcasecmp(value, "n") == 0 ||
		    strcmp(value, "0") == 0) {
			str_copy(value, "no", size);
		} else {
			*cause = str_dup("The value must be yes or no.");
			return -1;
		}
		return 0;
	case SETTING_HOSTNAME:
		if (*value == '\0' && d->min == 0)
			return 0;
		if (!syntax_hostname(value)) {
			*cause = str_printf("A hostname must contain only letters, digits, '-' "
					    "and '.', with labels of at most 63 characters: '%.100s'",
			    value);
			return -1;
		}
		str_lower(value);
		return 0;
	case SETTING_EMAIL:
		if (*value == '\0' && d->min == 0)
			return 0;
		if (!syntax_email(value)) {
			*cause = str_printf("An email address is a localname, '@' and a domain, "
					    "like user@example.com: '%.100s'",
			    value);
			return -1;
		}
		/* domains are case-insensitive: one spelling, so that comparisons are plain */
		str_lower(strrchr(value, '@') + 1);
		return 0;
	case SETTING_ENUM:
		if (!in_choices(d->choices, value)) {
			char *names = choices_text(d->choices);

			*cause = str_printf("The value must be %s.", names);
			free(names);
			return -1;
		}
		str_lower(value);
		return 0;
	case SETTING_FIELDNAME:
		if (!syntax_field_name(value) || (d->max > 0 && strlen(value) > (size_t)d->max)) {
			*cause = str_printf("A header name is 1 to %ld printable ASCII characters "
					    "without blanks or ':', like X-IronPort-RemoteIP.",
			    d->max > 0 && d->max < 76 ? d->max : 76);
			return -1;
		}
		return 0;
	case SETTING_ENDPOINT:
		if (d->min == 0 && *value == '\0')
			return 0;	/* optional: not set */
		if (d->choices != NULL && in_choices(d->choices, value)) {
			str_lower(value);
			return 0;
		}
		if (d->max > 0 && strlen(value) > (size_t)d->max) {
			*cause = str_printf("The URL cannot be longer than %ld characters.",
			    d->max);
			return -1;
		}
		if (syntax_https_url(value))
			return 0;
		if (d->choices == NULL) {
			*cause = str_dup("The value must be an https:// URL such as "
					 "https://api.example.com/.");
			return -1;
		}
		{
			char *names = choices_text(d->choices);

			*cause = str_printf("The value must be %s, or an https:// URL such as "
					    "https://api.example.com/.",
			    names);
			free(names);
		}
		return -1;
	case SETTING_STRING:
		if (d->min > 0 && *value == '\0') {
			*cause = str_dup("You must enter a value.");
			return -1;
		}
		if (d->max > 0 && strlen(value) > (size_t)d->max) {
			*cause = str_printf("The value cannot be longer than %ld characters.",
			    d->max);
			return -1;
		}
		for (const char *p = value; *p; p++)
			if ((unsigned char)*p < 0x20) {
				*cause = str_dup("The value cannot contain control characters.");
				return -1;
			}
		return 0;
	}
	*cause = str_dup("unknown setting type");
	return -1;
}

/* get_value - a setting as the session sees it (running: as committed), else its default */
static char *
get_value(struct store *st, const char *name, int running)
{
	const struct setting_def *d = settings_find(name);
	char *v = NULL, *cause = NULL;

	if ((running ? config_get_running : config_get)(st, SETTINGS_SECTION, name, &v,
		&cause) < 0)
		free(cause);
	if (v == NULL)
		v = str_dup(d && d->def ? d->def : "");
	return v;
}

/* as_int - a setting's text as a number: "yes" is 1, anything not a number 0 */
static long
as_int(char *v)
{
	long n = 0;

	if (strcmp(v, "yes") == 0)
		n = 1;
	else if (str_to_long(v, -2147483647L, 2147483647L, &n) < 0)
		n = 0;
	free(v);
	return n;
}

char *
settings_get(struct store *st, const char *name)
{
	return get_value(st, name, 0);
}

long
settings_get_int(struct store *st, const char *name)
{
	return as_int(get_value(st, name, 0));
}

char *
settings_get_running(struct store *st, const char *name)
{
	return get_value(st, name, 1);
}

long
settings_running_int(struct store *st, const char *name)
{
	return as_int(get_value(st, name, 1));
}

int
settings_set(struct store *st, const char *name, const char *value, char **cause)
{
	const struct setting_def *d = settings_find(name);
	size_t len = strlen(value);
	char *buf;
	int rc;

	if (d == NULL) {
		*cause = str_printf("Unknown setting: '%.100s'", name);
		return -1;
	}
	/* a kilobyte, or a text row's own max (a CA bundle, the RDAP bootstrap: megabytes) */
	if (len > 1023 && !(d->type == SETTING_STRING && len <= (size_t)d->max)) {
		*cause = str_dup("The value is too long.");
		return -1;
	}
	buf = xmalloc(len + 8);	/* room for "yes" where "1" was given */
	memcpy(buf, value, len + 1);
	rc = settings_validate(d, buf, len + 8, cause) < 0 ? -1 :
	    config_set(st, SETTINGS_SECTION, name, buf, cause);
	free(buf);
	return rc;
}

int
settings_is_secret(const char *section, const char *key)
{
	const struct setting_def *d;

	if (strcmp(section, SETTINGS_SECTION) != 0)
		return 0;
	d = settings_find(key);
	return d && (d->flags & SETTING_SECRET);
}

int
settings_is_secret_word(const char *name, size_t len)
{
	for (const struct setting_def *d = settings_table; d->name; d++) {
		const char *base = strrchr(d->name, '.');

		base = base ? base + 1 : d->name;
		if ((d->flags & SETTING_SECRET) && strlen(base) == len &&
		    strncasecmp(base, name, len) == 0)
			return 1;
	}
	/* words that are secrets whatever command uses them */
	static const char *const always[] = { "password", "passphrase", "secret",
	    "token", NULL };
	for (int i = 0; always[i]; i++)
		if (strlen(always[i]) == len && strncasecmp(always[i], name, len) == 0)
			return 1;
	return 0;
}

/* settings_stage - see settings.h */
int
settings_stage(struct store *st, const char *name, const char *value, char **cause)
{
	const struct setting_def *d = settings_find(name);
	/* whether it is committed, not its value: a secret of a lost key must be replaceable */
	int has = config_has_running(st, SETTINGS_SECTION, name, cause);

	if (has < 0)
		return -1;
	/*
	 * In a cluster an answer is kept even when it is the default: at the
	 * machine or a group level it is what overrides the levels above
	 * (interfaceconfig http=no on one machine while the cluster says yes)
	 */
	if (!has && !st->clustered && d && d->def && strcmp(value, d->def) == 0)
		return config_delete(st, SETTINGS_SECTION, name, cause);
	return settings_set(st, name, value, cause);
}

int
settings_read(struct store *st, const char *name, char **value, char **cause)
{
	const struct setting_def *d = settings_find(name);

	*value = NULL;
	if (config_get(st, SETTINGS_SECTION, name, value, cause) < 0)
		return -1;
	if (*value == NULL)
		*value = str_dup(d && d->def ? d->def : "");
	return 0;
}
