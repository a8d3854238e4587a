/*
 * confcheck.c - the cross-item rules checked on the whole configuration
 * inside commit (see confcheck.h for why).
 *
 * The rules are in the modules that own them (the Threat Defense
 * Connector's in tdcrules.c); this file only lists them, in the order
 * they are checked. A later feature whose settings tie into others adds a
 * row to checks[].
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line cause: the first rule that
 * breaks, then that nothing was committed and the changes are kept.
 */
#include <stdlib.h>

#include "mail/confcheck.h"
#include "mail/tdcrules.h"
#include "util/str.h"

/* The checks, each on the configuration as the store handle sees it. */
static int (*const checks[])(struct store *st, char **cause) = {
	tdcrules_check_store,
};
#define NCHECKS (int)(sizeof(checks) / sizeof(checks[0]))

/* confcheck_commit - every cross-item rule, on the merged configuration */
int
confcheck_commit(struct store *st, void *arg, char **cause)
{
	char *why = NULL;

	(void)arg;
	for (int i = 0; i < NCHECKS; i++) {
		if (checks[i](st, &why) < 0) {
			*cause = str_printf("%s Nothing was committed; your changes are kept: "
					    "review them with showchanges.",
			    why);
			free(why);
			return -1;
		}
	}
	return 0;
}
