/*
 * cmd_supportconfig.c - `supportconfig`: the hidden settings, for support
 * engineers and tests (the.tdc.queue's lifetime and retry delay, the
 * history size): values that operators have no reason to change, kept
 * out of the ordinary commands and of `help`.
 *
 *   supportconfig print
 *   supportconfig NAME=VALUE...	e.g. tdc.max_queue_time=10
 *
 * Only numeric and yes/no settings declared SETTING_HIDDEN
 * (store/settings_table.c) are reachable here, never secret ones; every value is validated by the
 * store, all or none are staged, and they are pending until commit like
 * any other change.
 *
 * DIAGNOSTICS: one error line per refused command; nothing is staged.
 */
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "store/settings.h"
#include "util/str.h"

extern const struct cmd_entry cmd_supportconfig_entry;

/* reachable - a hidden, not secret setting of this name, or NULL */
static const struct setting_def *
reachable(const char *name)
{
	const struct setting_def *d = settings_find(name);

	/* numbers and switches only: hidden text (certificates) has its own command */
	if (d == NULL || !(d->flags & SETTING_HIDDEN) || (d->flags & SETTING_SECRET) ||
	    (d->type != SETTING_INT && d->type != SETTING_BOOL))
		return NULL;
	return d;
}

static enum cmd_ret
supportconfig_exec(struct cli *c, int argc, char **argv)
{
	char *key, *value, *cause = NULL, buf[4096];

	if (argc == 0 || (argc == 1 && strcasecmp(argv[0], "print") == 0)) {
		for (const struct setting_def *d = settings_table; d->name; d++) {
			char *v;

			if (reachable(d->name) == NULL)
				continue;
			v = settings_get(c->st, d->name);
			cli_printf(c, "%s=%s\t(default %s) %s\n", d->name, v, d->def, d->help);
			free(v);
		}
		return CMD_OK;
	}
	/* check everything first: all or nothing */
	for (int i = 0; i < argc; i++) {
		const struct setting_def *d;

		str_copy(buf, argv[i], sizeof(buf));
		if (cmd_kv_split(buf, &key, &value) < 0)
			return cmd_usage_error(c, &cmd_supportconfig_entry, "supportconfig");
		if ((d = reachable(key)) == NULL) {
			cli_error(c, "Unknown support setting '%.100s'; 'supportconfig print' lists them.",
			    key);
			return CMD_ERROR;
		}
		if (settings_validate(d, value, sizeof(buf) - (size_t)(value - buf), &cause) < 0) {
			cli_error(c, "Invalid value for %s: %s", key, cause);
			free(cause);
			return CMD_ERROR;
		}
	}
	for (int i = 0; i < argc; i++) {
		str_copy(buf, argv[i], sizeof(buf));
		cmd_kv_split(buf, &key, &value);
		if (settings_stage(c->st, key, value, &cause) < 0) {
			cli_error(c, "Cannot stage %s: %s", key, cause);
			free(cause);
			return CMD_ERROR;
		}
	}
	return CMD_OK;
}

/* print is the look verb of commands/roles.c (technician) */
static const struct cmd_word supportconfig_words[] = {
	{ "print", "list the support settings and their values", NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_supportconfig_entry = {
	.name = "supportconfig",
	.usage = "supportconfig print\nsupportconfig NAME=VALUE...",
	.help = "Change hidden support settings (for support engineers and tests).",
	.flags = CMD_F_CONFIG | CMD_F_HIDDEN | CMD_F_NOABBREV,
	.words = supportconfig_words,
	.exec = supportconfig_exec,
};
