/*
 * logsub.h - log subscriptions (logconfig): which logs exist, where their
 * files are, at which level they are written and how they roll over.
 *
 * A subscription NAME of a TYPE writes DATADIR/logs/NAME/PREFIX.current,
 * PREFIX being its type's ("mail" for mail_logs, "cli" for cli_logs), and
 * rolls over into PREFIX.@STAMP.s files beside it (util/logfile.c,
 * util/logset.c). mxgated writes every mail_logs-type subscription, mxsh
 * every cli_logs-type one.
 *
 * Storage. The built-in mail_logs and cli_logs always exist, can be
 * edited and cannot be deleted; they keep their settings
 * (store/settings_table.c) log.NAME.level, log.NAME.max_size,
 * log.NAME.max_age and log.NAME.keep. Every other subscription is one
 * configuration item
 *
 *   ("logsub", NAME) -> {"type":"mail_logs","level":"Debug",
 *                        "max_size":2000,"max_age":0,"keep":2}
 *
 * so that all of them share the candidate, commit and rollback of the
 * rest of the configuration. Ranges are those of the built-ins' settings.
 */
#ifndef MAIL_LOGSUB_H
#define MAIL_LOGSUB_H

#include <stdarg.h>
#include <stddef.h>

#include "store/store.h"
#include "util/logfile.h"

#define LOGSUB_NAME_MAX 63
#define LOGSUB_SECTION "logsub"
#define LOGSUB_MAX 32		/* subscriptions besides the built-ins */

enum logsub_type {
	LOGSUB_MAIL = 0,	/* mail_logs: the mail path, TDC, delivery */
	LOGSUB_CLI,		/* cli_logs: every command line run in mxsh */
};
#define LOGSUB_NTYPES 2

struct logsub {
	char name[LOGSUB_NAME_MAX + 1];	/* "mail_logs" */
	enum logsub_type type;
	enum logfile_level level;	/* lines above it are not written */
	long long max_size;		/* roll over past this many bytes (0: never) */
	long long max_age;		/* roll over after this many seconds (0: never) */
	int keep;			/* rolled files kept (0: all) */
	int builtin;			/* mail_logs or cli_logs: cannot be deleted */
};

/* logsub_type_name - "mail_logs" / "cli_logs"; logsub_prefix - "mail" / "cli" */
const char *logsub_type_name(enum logsub_type t);
const char *logsub_prefix(enum logsub_type t);

/* logsub_type_label - "IronPort Text Mail Logs" / "CLI Audit Logs" (AsyncOS lists) */
const char *logsub_type_label(enum logsub_type t);

/* logsub_type_parse - "mail_logs" / "cli_logs" (any case); 0 or -1 */
int logsub_type_parse(const char *s, enum logsub_type *t);

/* logsub_level_parse - "Critical" ... "Trace" (any case); 0 or -1 */
int logsub_level_parse(const char *s, enum logfile_level *level);

/* logsub_is_builtin - is this the name of a built-in subscription? (exact) */
int logsub_is_builtin(const char *name);

/*
 * logsub_name_valid - 1 to 63 letters, digits, '_', '-' and '.', the first
 * a letter or a digit (the name is a directory name); 0, or -1 with *cause
 */
int logsub_name_valid(const char *name, char **cause);

/* logsub_defaults - a new subscription of type t: level Info, the built-in's default rollover */
void logsub_defaults(struct logsub *s, const char *name, enum logsub_type t);

/*
 * logsub_set - one field from its batch key: type, level, max_size
 * (bytes, K/M/G suffix), max_age (seconds, m/h/d suffix), keep; 0, or -1
 * with a one-line *cause naming the key and the allowed values
 */
int logsub_set(struct logsub *s, const char *key, const char *value, char **cause);

/* logsub_encode - the stored JSON of a subscription (malloc'd) */
char *logsub_encode(const struct logsub *s);

/* logsub_decode - a stored item back into s, re-validated; 0, or -1 with *cause */
int logsub_decode(const char *name, const char *json, struct logsub *s, char **cause);

/*
 * logsub_load - every subscription as this store handle sees it (a
 * session: with its candidate), the built-in ones first; *subs malloc'd.
 */
int logsub_load(struct store *st, struct logsub **subs, int *n, char **cause);

/* logsub_find - index of a subscription by exact name, or -1 */
int logsub_find(const struct logsub *subs, int n, const char *name);

/*
 * logsub_stage - stage a subscription as it is now: a built-in's settings,
 * or the item of any other (created or changed). All or nothing. 0, or -1
 * with *cause.
 */
int logsub_stage(struct store *st, const struct logsub *s, char **cause);

/* logsub_unstage - stage the removal of a subscription; built-ins are refused */
int logsub_unstage(struct store *st, const char *name, char **cause);

/*
 * logsub_resolve - a log by name: its directory (DATADIR/logs/NAME) and
 * file prefix; 0, or -1 with *cause "Unknown log 'x': ..." listing the
 * names that exist
 */
int logsub_resolve(struct store *st, const char *name, char *dir, size_t dsize, char *prefix,
    size_t psize, char **cause);

/*
 * The open files of every subscription of one type, for the process that
 * writes them (mxgated: mail_logs; mxsh: cli_logs). A line is written to
 * each file whose level admits it.
 */
struct logsub_out;

/* logsub_out_new - no file open yet; logs under DATADIR/logs */
struct logsub_out *logsub_out_new(const char *datadir, enum logsub_type type);

/*
 * logsub_out_apply - follow a list of subscriptions (others than of this
 * type are ignored): open the new ones, close those no longer listed,
 * set every level and rollover. A file that cannot be opened is skipped
 * (and tried again at the next apply); -1 with *cause naming the first.
 */
int logsub_out_apply(struct logsub_out *o, const struct logsub *subs, int n, char **cause);

/* logsub_out_get - the open file of a subscription, or NULL */
struct logfile *logsub_out_get(struct logsub_out *o, const char *name);

/* logsub_out_write, logsub_out_vwrite - one line to every file that takes its level */
void logsub_out_write(struct logsub_out *o, enum logfile_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void logsub_out_vwrite(struct logsub_out *o, enum logfile_level level, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

/* logsub_out_wants - would a line at this level be written anywhere? */
int logsub_out_wants(const struct logsub_out *o, enum logfile_level level);

/* logsub_out_reopen - reopen every current file (SIGHUP, rotation by other tools) */
void logsub_out_reopen(struct logsub_out *o);

/* logsub_out_free - close every file */
void logsub_out_free(struct logsub_out *o);

#endif
