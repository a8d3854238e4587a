/*
 * fuzz_cfgfile.c - libFuzzer harness for mail/cfgfile: loadconfig reads a
 * file from anywhere (an edited copy, a truncated transfer).
 *
 * The input is parsed as a configuration file. A refusal must be one line
 * placed by line and column; what is accepted must hold the parser's
 * promises: sections and keys of 1 to 1024 bytes without control
 * characters, no (section, key) twice, a masked file's secrets all masked,
 * an encrypted file's key derivation within the bounds; and written back
 * (masked) it must parse again to the same items. The passphrase is never
 * tried: the key derivation is meant to be slow. Failed invariants abort().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mail/cfgfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - abort (a libFuzzer crash) when an invariant fails */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* name_ok - 1 to 1024 bytes, no control character */
static void
name_ok(const char *s)
{
	size_t n = strlen(s);

	check(n >= 1 && n <= 1024);
	for (size_t i = 0; i < n; i++)
		check((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfgfile f, g;
	char *cause = NULL, *text;

	if (cfgfile_parse((const char *)data, size, &f, &cause) < 0) {
		check(cause != NULL && strncmp(cause, "line ", 5) == 0 &&
		    strstr(cause, ", column ") != NULL && strchr(cause, '\n') == NULL);
		free(cause);
		return 0;
	}
	check(f.format == CFGFILE_FORMAT && f.sealed);
	if (f.secrets == CFGFILE_ENCRYPTED)
		check(f.memlimit <= crypto_pwhash_MEMLIMIT_MODERATE &&
		    f.opslimit <= crypto_pwhash_OPSLIMIT_SENSITIVE && f.check != NULL);
	for (size_t i = 0; i < f.n; i++) {
		name_ok(f.items[i].section);
		name_ok(f.items[i].key);
		check(f.items[i].line >= 1 && f.items[i].column >= 1);
		if (f.secrets == CFGFILE_MASKED && f.items[i].secret)
			check(strcmp(f.items[i].value, CFGFILE_MASK) == 0);
		for (size_t j = 0; j < i; j++)
			check(strcmp(f.items[i].section, f.items[j].section) != 0 ||
			    strcmp(f.items[i].key, f.items[j].key) != 0);
	}
	text = cfgfile_write(&f, NULL, &cause);
	check(text != NULL);
	check(cfgfile_parse(text, strlen(text), &g, &cause) == 0);
	check(g.n == f.n);
	for (size_t i = 0; i < f.n; i++) {
		check(strcmp(g.items[i].section, f.items[i].section) == 0);
		check(strcmp(g.items[i].key, f.items[i].key) == 0);
		check(strcmp(g.items[i].value, f.items[i].secret && f.items[i].value[0] ?
		    CFGFILE_MASK : f.items[i].value) == 0);
	}
	free(text);
	cfgfile_free(&g);
	cfgfile_free(&f);
	return 0;
}
