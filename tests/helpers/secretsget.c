/*
 * secretsget.c - print every secret item of the committed configuration
 * with its clear value, as mxgated opens it (config_list on a
 * running-mode store, store/secret.c), for tests that must compare all
 * secrets before and after a round trip (tests/e2e/configfile.sh):
 * settingget knows settings only, and remediation passwords are items of
 * remediation.secret.
 *
 * usage: secretsget DIR SECTION...
 *
 * One line per secret item of each SECTION, in key order:
 * "SECTION KEY=VALUE". A test tool only: the shell never prints a secret.
 *
 * DIAGNOSTICS: "secretsget: cause" on stderr and exit 1 when the store
 * cannot be opened or a value cannot be read (a secret that does not
 * decrypt among them); 64 for usage errors.
 */
#include <stdio.h>
#include <stdlib.h>

#include "store/config.h"
#include "store/secret.h"
#include "store/store.h"

/* show - config_item_cb: a secret item and its clear value */
static int
show(const char *section, const char *key, const char *value, void *arg)
{
	(void)arg;
	if (secret_item(section, key))
		printf("%s %s=%s\n", section, key, value);
	return 0;
}

int
main(int argc, char **argv)
{
	struct store *st;
	char *cause = NULL;
	int rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: secretsget DIR SECTION...\n");
		return 64;
	}
	if (store_open(argv[1], STORE_RUNNING, &st, &cause) < 0) {
		fprintf(stderr, "secretsget: %s\n", cause);
		free(cause);
		return 1;
	}
	for (int i = 2; i < argc && rc == 0; i++)
		if (config_list(st, argv[i], show, NULL, &cause) < 0) {
			fprintf(stderr, "secretsget: %s\n", cause);
			free(cause);
			rc = 1;
		}
	store_close(st);
	return rc;
}
