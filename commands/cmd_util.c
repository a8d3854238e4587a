/*
 * cmd_util.c - helpers shared by command files.
 *
 * DIAGNOSTICS: none; callers report.
 */
#include <stdlib.h>
#include <string.h>

#include "commands/cmd_util.h"
#include "store/config.h"
#include "store/settings.h"

int
cmd_kv_split(char *word, char **key, char **value)
{
	char *eq = strchr(word, '=');

	if (eq == NULL || eq == word)
		return -1;
	*eq = '\0';
	*key = word;
	*value = eq + 1;
	return 0;
}

void
cmd_show_change(struct cli *c, const char *indent, const char *section, const char *key,
    const char *oldv, const char *newv)
{
	int secret = settings_is_secret(section, key);
	const char *o = oldv && secret ? SETTINGS_MASK : oldv;
	const char *n = newv && secret ? SETTINGS_MASK : newv;

	if (oldv == NULL)
		cli_printf(c, "%s+ %s %s = %s\n", indent, section, key, n);
	else if (newv == NULL)
		cli_printf(c, "%s- %s %s (was: %s)\n", indent, section, key, o);
	else
		cli_printf(c, "%s~ %s %s = %s (was: %s)\n", indent, section, key, n,
		    *o ? o : "\"\"");
}

int
cmd_pending(struct cli *c)
{
	return config_pending(c->st);
}
