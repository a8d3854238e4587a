/*
 * logsub.h - log subscriptions (logconfig): which logs exist, where their
 * files are and how they roll over.
 *
 * A subscription NAME of a TYPE writes DATADIR/logs/NAME/PREFIX.current,
 * PREFIX being its type's ("mail" for mail_logs, "cli" for cli_logs), and
 * rolls over into PREFIX.@STAMP.s files beside it (util/logfile.c,
 * util/logset.c). mail_logs and cli_logs always exist.
 */
#ifndef MAIL_LOGSUB_H
#define MAIL_LOGSUB_H

#include <stddef.h>

#include "store/store.h"
#include "util/logfile.h"

#define LOGSUB_NAME_MAX 63

enum logsub_type {
	LOGSUB_MAIL = 0,	/* mail_logs: the mail path, TDC, delivery */
	LOGSUB_CLI,		/* cli_logs: every command line run in mxsh */
};

struct logsub {
	char name[LOGSUB_NAME_MAX + 1];	/* "mail_logs" */
	enum logsub_type type;
	enum logfile_level level;	/* lines above it are not written */
	long long max_size;		/* roll over past this many bytes (0: never) */
	long long max_age;		/* roll over after this many seconds (0: never) */
	int keep;			/* rolled files kept (0: all) */
};

/* logsub_type_name - "mail_logs" / "cli_logs"; logsub_prefix - "mail" / "cli" */
const char *logsub_type_name(enum logsub_type t);
const char *logsub_prefix(enum logsub_type t);

/*
 * logsub_load - every subscription as this store handle sees it (a
 * session: with its candidate), the built-in ones first; *subs malloc'd.
 */
int logsub_load(struct store *st, struct logsub **subs, int *n, char **cause);

/*
 * logsub_resolve - a log by name: its directory (DATADIR/logs/NAME) and
 * file prefix; 0, or -1 with *cause "Unknown log 'x': ..." listing the
 * names that exist
 */
int logsub_resolve(struct store *st, const char *name, char *dir, size_t dsize, char *prefix,
    size_t psize, char **cause);

#endif
