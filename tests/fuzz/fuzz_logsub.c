/*
 * fuzz_logsub.c - libFuzzer harness for the stored form and the batch
 * keys of log subscriptions (mail/logsub.c).
 *
 * The input is "NAME\nJSON" (a stored item as the store returns it) or,
 * when it starts with '=', "=KEY=VALUE" (a batch word). Beyond "no crash,
 * no leak" it checks what the writers rely on, and abort()s when one
 * fails:
 *   - a decoded item has a valid, non-built-in name (a safe directory
 *     name), a known type and level, and values within the ranges;
 *   - encode(decode(x)) decodes again to the same subscription, and
 *     encoding it once more gives the same text (one canonical form);
 *   - logsub_set either refuses with a one-line cause and changes nothing,
 *     or leaves the subscription within the ranges.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/logsub.h"
#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fail - report a broken invariant, and crash for libFuzzer */
static void
fail(const char *what, const char *in)
{
	fprintf(stderr, "fuzz_logsub: %s\n  input: \"%s\"\n", what, in);
	abort();
}

/* check_ranges - the values the writers may be given */
static void
check_ranges(const struct logsub *s, const char *in)
{
	if ((unsigned)s->type >= LOGSUB_NTYPES || s->level < LOGFILE_CRITICAL ||
	    s->level > LOGFILE_TRACE)
		fail("type or level out of range", in);
	if (s->max_size < 0 || s->max_size > 2147483647LL || s->max_age < 0 ||
	    s->max_age > 31536000 || s->keep < 0 || s->keep > 10000)
		fail("a rollover value out of range", in);
}

/* one_line - a cause is one line */
static void
one_line(const char *cause, const char *in)
{
	if (cause == NULL || *cause == '\0' || strchr(cause, '\n'))
		fail("a refusal without a one-line cause", in);
}

/* fuzz_item - NAME\nJSON */
static void
fuzz_item(const char *in)
{
	const char *nl = strchr(in, '\n');
	char *name, *cause = NULL, *j1, *j2;
	struct logsub s, t;

	if (nl == NULL)
		return;
	name = str_ndup(in, (size_t)(nl - in));
	if (logsub_decode(name, nl + 1, &s, &cause) < 0) {
		one_line(cause, in);
		free(cause);
		free(name);
		return;
	}
	if (logsub_name_valid(s.name, &cause) < 0 || logsub_is_builtin(s.name) ||
	    strcmp(s.name, name) != 0)
		fail("decoded a bad name", in);
	check_ranges(&s, in);
	j1 = logsub_encode(&s);
	if (logsub_decode(name, j1, &t, &cause) < 0)
		fail("the canonical form does not decode", in);
	if (memcmp(&s, &t, sizeof(s)) != 0)
		fail("encode/decode does not round-trip", in);
	j2 = logsub_encode(&t);
	if (strcmp(j1, j2) != 0)
		fail("two canonical forms", in);
	free(j1);
	free(j2);
	free(name);
}

/* fuzz_key - =KEY=VALUE onto a default subscription */
static void
fuzz_key(const char *in)
{
	const char *eq = strchr(in + 1, '=');
	char *key, *cause = NULL;
	struct logsub s, before;

	if (eq == NULL)
		return;
	key = str_ndup(in + 1, (size_t)(eq - in - 1));
	logsub_defaults(&s, "fuzz", LOGSUB_MAIL);
	before = s;
	if (logsub_set(&s, key, eq + 1, &cause) < 0) {
		one_line(cause, in);
		if (memcmp(&s, &before, sizeof(s)) != 0)
			fail("a refused value changed the subscription", in);
		free(cause);
	}
	check_ranges(&s, in);
	free(key);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = str_ndup((const char *)data, size);

	in[strnlen(in, size)] = '\0';
	if (in[0] == '=')
		fuzz_key(in);
	else
		fuzz_item(in);
	free(in);
	return 0;
}
