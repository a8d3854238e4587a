/*
 * fuzz_routes.c - libFuzzer harness for the smtproutes argument parser
 * (mail/route.c).
 *
 * The input (cut at the first NUL) is parsed as a route domain and as a
 * destination list; when it holds a newline, the part before it is the
 * domain and the rest the destinations as well. Beyond "no crash, no
 * leak" it abort()s when:
 *   - a parsed domain or destination list is not a fixed point: parsing
 *     the normal form again must succeed and give the same text (the store
 *     keeps the normal form and the daemon re-parses it);
 *   - route_dests does not find every destination of a normal list;
 *   - route_match returns an index out of range or a key that does not
 *     match the domain.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fail - report an invariant that does not hold, and crash for libFuzzer */
static void
fail(const char *what, const char *in, const char *out)
{
	fprintf(stderr, "fuzz_routes: %s\n  input:  \"%s\"\n  output: \"%s\"\n", what, in,
	    out ? out : "(none)");
	abort();
}

/* domain - parse a route domain; check the normal form and matching */
static void
domain(const char *in)
{
	char out[256], again[256], *cause = NULL;
	static const char *const fixed[] = { "example.com", ".example.com", ".com", "ALL",
		"a.b.example.com", ".b.example.com" };
	const char *keys[8];
	int n = 0, i;

	if (route_parse_domain(in, out, sizeof(out), &cause) < 0) {
		if (cause == NULL)
			fail("domain refused without a cause", in, NULL);
		free(cause);
	} else {
		if (route_parse_domain(out, again, sizeof(again), &cause) < 0) {
			free(cause);
			fail("normal domain is refused", in, out);
		}
		if (strcmp(out, again) != 0)
			fail("domain normal form is not a fixed point", in, again);
		keys[n++] = out;
	}
	for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
		keys[n++] = fixed[k];

	/* the input as a recipient domain against the table */
	i = route_match(in, keys, n);
	if (i < -1 || i >= n)
		fail("route_match index out of range", in, NULL);
	if (i >= 0 && strcmp(keys[i], "ALL") != 0) {
		size_t dl = strlen(in), kl = strlen(keys[i]);

		if (keys[i][0] == '.') {
			if (dl <= kl || strcasecmp(in + dl - kl, keys[i]) != 0)
				fail("route_match picked a partial key that does not match", in,
				    keys[i]);
		} else if (strcasecmp(in, keys[i]) != 0) {
			fail("route_match picked an exact key that does not match", in, keys[i]);
		}
	}
	/* and the fixed keys' domains against a table holding the input */
	for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++) {
		i = route_match(fixed[k], keys, n);
		if (i < -1 || i >= n)
			fail("route_match index out of range", fixed[k], NULL);
	}
}

/* dests - parse a destination list; check the normal form */
static void
dests(const char *in)
{
	char out[4096], again[4096], *cause = NULL;
	struct route_dest v[ROUTE_MAX_DESTS];
	int n, commas = 0;

	if (route_parse_dests(in, out, sizeof(out), &cause) < 0) {
		if (cause == NULL)
			fail("destinations refused without a cause", in, NULL);
		free(cause);
		return;
	}
	if (route_parse_dests(out, again, sizeof(again), &cause) < 0) {
		fprintf(stderr, "cause: %s\n", cause);
		free(cause);
		fail("normal destination list is refused", in, out);
	}
	if (strcmp(out, again) != 0)
		fail("destination normal form is not a fixed point", in, again);
	for (const char *p = out; *p; p++)
		if (*p == ',')
			commas++;
	n = route_dests(out, v, ROUTE_MAX_DESTS);
	if (n != commas + 1)
		fail("route_dests misses destinations of a normal list", in, out);
	for (int i = 0; i < n; i++) {
		char one[300];

		route_format_dest(&v[i], one, sizeof(one));
		if (strstr(out, one) == NULL)
			fail("route_format_dest gives text not in the normal list", in, one);
		if (v[i].port < 0 || v[i].port > 65535)
			fail("port out of range", in, out);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *nl;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	domain(s);
	dests(s);
	nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		domain(s);
		dests(nl + 1);
	}
	free(s);
	return 0;
}
