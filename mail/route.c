/*
 * route.c - SMTP route domains and destinations: parse, normalise, match.
 *
 * DIAGNOSTICS: parse functions return -1 with a one-line cause that says
 * what was wrong and what is allowed.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/route.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/syntax.h"

int
route_parse_domain(const char *in, char *out, size_t size, char **cause)
{
	const char *d = in;

	if (strcasecmp(in, ROUTE_DEFAULT) == 0 && strlen(in) < size)
		return str_copy(out, ROUTE_DEFAULT, size);
	if (*d == '.')
		d++;
	if (*d == '\0' || !syntax_hostname(d) || strlen(in) >= size) {
		*cause = str_printf("Invalid domain '%.100s': enter a domain (example.com), a "
				    "partial domain (.example.com) or ALL for the default route.",
		    in);
		return -1;
	}
	str_copy(out, in, size);
	str_lower(out);
	return 0;
}

int
route_parse_dest(const char *in, struct route_dest *d, char **cause)
{
	char host[300];
	const char *colon = NULL;
	size_t hlen;

	memset(d, 0, sizeof(*d));
	if (strcasecmp(in, "USEDNS") == 0) {
		d->kind = ROUTE_USEDNS;
		return 0;
	}
	if (strcmp(in, "/dev/null") == 0) {
		d->kind = ROUTE_DEVNULL;
		return 0;
	}
	if (*in == '[') {
		const char *close = strchr(in, ']');

		if (close == NULL)
			goto bad;
		hlen = (size_t)(close - in - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			goto bad;
		memcpy(host, in + 1, hlen);
		host[hlen] = '\0';
		if (strncasecmp(host, "IPv6:", 5) == 0)
			memmove(host, host + 5, strlen(host + 5) + 1);
		if (!syntax_ipv4(host) && !syntax_ipv6(host))
			goto bad;
		d->kind = ROUTE_ADDR;
		if (close[1] == ':')
			colon = close + 1;
		else if (close[1] != '\0')
			goto bad;
	} else {
		colon = strrchr(in, ':');
		hlen = colon ? (size_t)(colon - in) : strlen(in);
		if (hlen == 0 || hlen >= sizeof(host))
			goto bad;
		memcpy(host, in, hlen);
		host[hlen] = '\0';
		if (strchr(host, ':'))
			goto bad;	/* bare IPv6 needs brackets: the port would be ambiguous */
		if (syntax_ipv4(host))
			d->kind = ROUTE_ADDR;
		else if (syntax_hostname(host))
			d->kind = ROUTE_HOST;
		else
			goto bad;
	}
	if (strlen(host) >= sizeof(d->host))
		goto bad;
	str_copy(d->host, host, sizeof(d->host));
	if (d->kind == ROUTE_HOST)
		str_lower(d->host);
	if (colon) {
		if (!syntax_port(colon + 1, &d->port)) {
			*cause = str_printf("Invalid port in destination '%.100s': the port must be "
					    "a number between 1 and 65535.",
			    in);
			return -1;
		}
	}
	return 0;
bad:
	*cause = str_printf("Invalid destination '%.100s': enter host[:port], [IP address][:port], "
			    "USEDNS or /dev/null.",
	    in);
	return -1;
}

void
route_format_dest(const struct route_dest *d, char *out, size_t size)
{
	switch (d->kind) {
	case ROUTE_USEDNS:
		str_copy(out, "USEDNS", size);
		return;
	case ROUTE_DEVNULL:
		str_copy(out, "/dev/null", size);
		return;
	case ROUTE_ADDR:
		if (strchr(d->host, ':')) {
			if (d->port)
				str_fmt(out, size, "[IPv6:%s]:%d", d->host, d->port);
			else
				str_fmt(out, size, "[IPv6:%s]", d->host);
			return;
		}
		/* FALLTHROUGH */
	case ROUTE_HOST:
		if (d->port)
			str_fmt(out, size, "%s:%d", d->host, d->port);
		else
			str_copy(out, d->host, size);
		return;
	}
}

int
route_parse_dests(const char *in, char *out, size_t size, char **cause)
{
	char **v;
	int n, special = 0;
	struct buf b;

	v = str_split(in, ',', &n);
	if (n > ROUTE_MAX_DESTS) {
		*cause = str_printf("Routes may not contain more than %d destinations.",
		    ROUTE_MAX_DESTS);
		str_split_free(v);
		return -1;
	}
	buf_init(&b, size - 1);
	for (int i = 0; i < n; i++) {
		struct route_dest d;
		char one[300];
		char *t = str_trim(v[i]);

		if (*t == '\0') {
			*cause = str_dup("Empty destination: separate destinations with single "
					 "commas.");
			goto fail;
		}
		if (route_parse_dest(t, &d, cause) < 0)
			goto fail;
		if (d.kind == ROUTE_USEDNS || d.kind == ROUTE_DEVNULL)
			special = 1;
		route_format_dest(&d, one, sizeof(one));
		for (int j = 0; j < i; j++) {
			struct route_dest e;
			char other[300];
			char *dummy = NULL;

			if (route_parse_dest(str_trim(v[j]), &e, &dummy) < 0) {
				free(dummy);
				continue;
			}
			route_format_dest(&e, other, sizeof(other));
			if (strcmp(one, other) == 0) {
				*cause = str_printf("The destination %s is listed twice.", one);
				goto fail;
			}
		}
		buf_printf(&b, "%s%s", i ? "," : "", one);
	}
	if (special && n > 1) {
		*cause = str_dup("USEDNS and /dev/null must be the only destination of a route.");
		goto fail;
	}
	if (b.toobig || b.data == NULL) {
		*cause = str_dup("The list of destinations is too long.");
		goto fail;
	}
	str_copy(out, b.data, size);
	buf_free(&b);
	str_split_free(v);
	return 0;
fail:
	buf_free(&b);
	str_split_free(v);
	return -1;
}

int
route_dests(const char *list, struct route_dest *v, int max)
{
	char **w;
	int n, k = 0;

	w = str_split(list, ',', &n);
	for (int i = 0; i < n && k < max; i++) {
		char *cause = NULL;

		if (route_parse_dest(w[i], &v[k], &cause) == 0)
			k++;
		else
			free(cause);
	}
	str_split_free(w);
	return k;
}

int
route_match(const char *domain, const char *const *keys, int nkeys)
{
	size_t dlen = strlen(domain), best_len = 0;
	int best = -1, all = -1;

	for (int i = 0; i < nkeys; i++) {
		const char *k = keys[i];
		size_t klen = strlen(k);

		if (strcmp(k, ROUTE_DEFAULT) == 0) {
			all = i;
		} else if (k[0] == '.') {
			/* ".example.com" matches "a.example.com", not "example.com" */
			if (dlen > klen && strcasecmp(domain + dlen - klen, k) == 0 &&
			    klen > best_len) {
				best = i;
				best_len = klen;
			}
		} else if (strcasecmp(domain, k) == 0) {
			return i;
		}
	}
	return best >= 0 ? best : all;
}
