/*
 * syntax.c - syntax checks for names operators type.
 *
 * DIAGNOSTICS: none; each check answers 1 (valid) or 0.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

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

/*
 * syntax_field_name - RFC 5322 3.6.8: field-name = 1*ftext, ftext =
 * %d33-57 / %d59-126. The 76 is the longest name that still leaves room
 * for ": " and a value on a 78-character line (RFC 5322 2.1.1).
 */
int
syntax_field_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 76)
		return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 33 || (unsigned char)*p > 126 || *p == ':')
			return 0;
	return 1;
}

/*
 * syntax_https_url - an https:// URL as an API endpoint: no user info, a
 * host name, IPv4 address or [IPv6], an optional port, a path of
 * printable US-ASCII
 */
int
syntax_https_url(const char *s)
{
	const char *host = s + 8, *end;
	char buf[256];
	size_t n;

	if (strncasecmp(s, "https://", 8) != 0)
		return 0;
	if (*host == '[') {
		end = strchr(host, ']');
		if (end == NULL || (size_t)(end - host - 1) >= sizeof(buf))
			return 0;
		memcpy(buf, host + 1, (size_t)(end - host - 1));
		buf[end - host - 1] = '\0';
		if (!syntax_ipv6(buf))
			return 0;
		end++;
	} else {
		n = strcspn(host, ":/");
		if (n == 0 || n >= sizeof(buf))
			return 0;
		memcpy(buf, host, n);
		buf[n] = '\0';
		if (!syntax_hostname(buf) && !syntax_ipv4(buf))
			return 0;
		end = host + n;
	}
	if (*end == ':') {
		n = strcspn(end + 1, "/");
		if (n == 0 || n >= sizeof(buf))
			return 0;
		memcpy(buf, end + 1, n);
		buf[n] = '\0';
		if (!syntax_port(buf, NULL))
			return 0;
		end += 1 + n;
	}
	if (*end != '\0' && *end != '/')
		return 0;
	for (const char *p = end; *p; p++)
		if ((unsigned char)*p <= 32 || (unsigned char)*p >= 127)
			return 0;
	return 1;
}
