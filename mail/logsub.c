/*
 * logsub.c - log subscriptions.
 *
 * The built-in mail_logs and cli_logs take their rollover from the
 * log.NAME.* settings (store/settings_table.c).
 *
 * DIAGNOSTICS: -1 with a cause for an unknown log or a store error.
 */
#include <stdlib.h>
#include <string.h>

#include "mail/logsub.h"
#include "store/settings.h"
#include "util/buf.h"
#include "util/str.h"

static const struct {
	const char *type, *prefix;
} types[] = {
	[LOGSUB_MAIL] = { "mail_logs", "mail" },
	[LOGSUB_CLI] = { "cli_logs", "cli" },
};

const char *
logsub_type_name(enum logsub_type t)
{
	return types[t].type;
}

const char *
logsub_prefix(enum logsub_type t)
{
	return types[t].prefix;
}

/* builtin - a built-in subscription from its settings */
static void
builtin(struct store *st, enum logsub_type t, struct logsub *s)
{
	char key[128];

	memset(s, 0, sizeof(*s));
	str_copy(s->name, types[t].type, sizeof(s->name));
	s->type = t;
	s->level = LOGFILE_INFO;
	str_fmt(key, sizeof(key), "log.%s.max_size", s->name);
	s->max_size = settings_get_int(st, key);
	str_fmt(key, sizeof(key), "log.%s.max_age", s->name);
	s->max_age = settings_get_int(st, key);
	str_fmt(key, sizeof(key), "log.%s.keep", s->name);
	s->keep = (int)settings_get_int(st, key);
}

int
logsub_load(struct store *st, struct logsub **subs, int *n, char **cause)
{
	(void)cause;
	*n = 2;
	*subs = xcalloc(2, sizeof(**subs));
	builtin(st, LOGSUB_MAIL, &(*subs)[0]);
	builtin(st, LOGSUB_CLI, &(*subs)[1]);
	return 0;
}

int
logsub_resolve(struct store *st, const char *name, char *dir, size_t dsize, char *prefix,
    size_t psize, char **cause)
{
	struct logsub *subs;
	struct buf names;
	int n;

	if (logsub_load(st, &subs, &n, cause) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(subs[i].name, name) == 0) {
			str_fmt(dir, dsize, "%s/logs/%s", store_dir(st), subs[i].name);
			str_copy(prefix, logsub_prefix(subs[i].type), psize);
			free(subs);
			return 0;
		}
	buf_init(&names, 0);
	for (int i = 0; i < n; i++)
		buf_printf(&names, "%s%s", i ? ", " : "", subs[i].name);
	*cause = str_printf("Unknown log '%.60s': the logs are %s.", name, names.data);
	buf_free(&names);
	free(subs);
	return -1;
}
