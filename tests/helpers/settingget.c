/*
 * settingget.c - print the committed value of settings as mxgated reads
 * them (settings_read on a running-mode store), for tests that must see
 * a secret's clear value now that config.db holds it encrypted
 * (tests/e2e/secrets.sh, tdc_cli.sh, certconfig.sh).
 *
 * usage: settingget DIR NAME...
 *
 * Each value is written as it is, followed by a newline. A test tool
 * only: the shell never prints a secret. It uses nothing newer than
 * settings_read, so that the same test can run against a build from
 * before encryption (to see that it fails there).
 *
 * DIAGNOSTICS: "settingget: cause" on stderr and exit 1 when the store
 * cannot be opened or a value cannot be read (a secret that does not
 * decrypt among them); 64 for usage errors.
 */
#include <stdio.h>
#include <stdlib.h>

#include "store/settings.h"
#include "store/store.h"

int
main(int argc, char **argv)
{
	struct store *st;
	char *cause = NULL, *v;
	int rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: settingget DIR NAME...\n");
		return 64;
	}
	if (store_open(argv[1], STORE_RUNNING, &st, &cause) < 0) {
		fprintf(stderr, "settingget: %s\n", cause);
		free(cause);
		return 1;
	}
	for (int i = 2; i < argc && rc == 0; i++) {
		if (settings_find(argv[i]) == NULL) {
			fprintf(stderr, "settingget: unknown setting %s\n", argv[i]);
			rc = 1;
		} else if (settings_read(st, argv[i], &v, &cause) < 0) {
			fprintf(stderr, "settingget: %s\n", cause);
			free(cause);
			rc = 1;
		} else {
			printf("%s\n", v);
			free(v);
		}
	}
	store_close(st);
	return rc;
}
