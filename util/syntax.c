/*
 * syntax.c - syntax checks for names operators type.
 *
 * DIAGNOSTICS: none; each check answers 1 (valid) or 0.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "util/str.h"
#include "util/syntax.h"

int
syntax_hostname(const char *s)
{
	size_t len = strlen(s), label = 0;
	char prev = '.';

	if (len == 0 || len > 253)
		return 0;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '.') {
			if (prev == '.' || prev == '-')
				return 0;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			/* '_' occurs in real names (SRV, DKIM); RFC 1123 is stricter */
			if (c == '-' && prev == '.')
				return 0;
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
		prev = (char)c;
	}
	return prev != '.' && prev != '-';
}

int
syntax_ipv4(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1;
}

int
syntax_ipv6(const char *s)
{
	struct in6_addr a;

	return inet_pton(AF_INET6, s, &a) == 1;
}

int
syntax_port(const char *s, int *port)
{
	long v;

	if (str_to_long(s, 1, 65535, &v) < 0)
		return 0;
	if (port)
		*port = (int)v;
	return 1;
}

/* atext - RFC 5322 atext characters */
static int
atext(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

int
syntax_email(const char *s)
{
	const char *at = strrchr(s, '@');
	char prev = '.';

	if (at == NULL || at == s || at - s > 64 || strlen(at + 1) == 0)
		return 0;
	for (const char *p = s; p < at; p++) {
		if (*p == '.') {
			if (prev == '.')
				return 0;
		} else if (!atext((unsigned char)*p)) {
			return 0;
		}
		prev = *p;
	}
	if (prev == '.')
		return 0;
	return syntax_hostname(at + 1) && strchr(at + 1, '.') != NULL;
}
