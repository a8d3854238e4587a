/*
 * settings_table.c - every scalar setting, declared once.
 *
 * Name, type, default, min, max, flags, choices, help. Later features add
 * rows here; the store validates every write against this table and the
 * shell completes and documents from it.
 */
#include <stddef.h>

#include "store/settings.h"

const struct setting_def settings_table[] = {
	{ "system.hostname", SETTING_HOSTNAME, "", 0, 0, 0, NULL,
	    "the appliance's fully-qualified host name (empty: the machine's)" },
	{ "cli.history_size", SETTING_INT, "500", 0, 100000, SETTING_HIDDEN, NULL,
	    "lines of command history kept per data directory" },
	{ NULL, SETTING_STRING, NULL, 0, 0, 0, NULL, NULL },
};
