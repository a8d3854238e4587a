/*
 * filtercmd.h - what `filters` and `contentfilters` share (filtercmd.c):
 * reading a script typed until a line holding only ".", parsing a script
 * or an import file with its attribute comments, finding a filter by
 * name or number, and writing an export file under the data directory.
 *
 * Every function prints its own one-line errors through the cli.
 */
#ifndef COMMANDS_FILTERCMD_H
#define COMMANDS_FILTERCMD_H

#include "commands/cmd.h"
#include "mail/filterconf.h"

/* Where `filters export` and `contentfilters export` write: DIR/FILTERCMD_EXPORT_DIR/FILE. */
#define FILTERCMD_EXPORT_DIR "configuration"
/* The largest file `import` reads. */
#define FILTERCMD_IMPORT_MAX (16 * 1024 * 1024)

/* The prompt of NEW (AsyncOS words). */
#define FILTERCMD_SCRIPT_PROMPT "Enter filter script.  Enter '.' on its own line to end."

/*
 * The filters of a script or file, parsed, with the attributes their
 * comment lines gave ("# inactive", "# active", "# description: TEXT"
 * just before a filter).
 */
struct filtercmd_script {
	int n;				/* filters */
	struct filter **f;		/* parsed, in order */
	int *active;			/* 1 unless "# inactive" came before it */
	char **desc;			/* "# description:" text, or NULL when none came */
};

/*
 * filtercmd_read_script - FILTERCMD_SCRIPT_PROMPT, then the lines up to
 * one holding only "." (all of them are read even when the script is
 * refused, so none runs as a command): the script (malloc'd, lines
 * joined by '\n'), or NULL with *r CMD_ERROR (error printed) or
 * CMD_ABORTED (Ctrl-C, or the input ended before the ".").
 */
char *filtercmd_read_script(struct cli *c, enum cmd_ret *r);

/*
 * filtercmd_parse - every filter of text[0..len) into s; comment lines
 * ('#' first on the line) are not part of the language: the attribute
 * ones apply to the next filter; a leading UTF-8 byte order mark is
 * dropped. Parsed in pieces, one per filter where
 * it can tell (filtercmd.c), so that only one filter, not the whole
 * text, is held to FILTER_SCRIPT_MAX. A syntax error prints "Invalid filter
 * syntax: line L, column C: MESSAGE" (lines of text) and returns -1,
 * as do control characters, a name given twice ("Duplicate filter
 * name") and an empty script ("No filter found").
 */
int filtercmd_parse(struct cli *c, const char *text, size_t len, struct filtercmd_script *s);

/* filtercmd_load - the set of section (filter / contentfilter) this session sees; -1 printed */
int filtercmd_load(struct cli *c, const char *section, const char *what, struct filter_set *s);

/* filtercmd_stage - stage the whole set of section, all or nothing; CMD_OK or CMD_ERROR */
enum cmd_ret filtercmd_stage(struct cli *c, const char *section, const struct filter_set *s);

/* filtercmd_script_free - release a parsed script */
void filtercmd_script_free(struct filtercmd_script *s);

/* filtercmd_read_file - a file the operator names, whole (cli_open_file); NULL, error printed */
char *filtercmd_read_file(struct cli *c, const char *path, size_t *len);

/*
 * filtercmd_pick - the entry of s that word names: its name (any case)
 * or its number (1-based); -1 with "Invalid filter name" or "Invalid
 * filter range" printed. what: "filter" or "content filter".
 */
int filtercmd_pick(struct cli *c, const struct filter_set *s, const char *word, const char *what);

/*
 * filtercmd_export_name_ok - FILE of `export FILE`: one file name, no '/',
 * no "..", not hidden, printable; error printed when not
 */
int filtercmd_export_name_ok(struct cli *c, const char *name);

/* filtercmd_export_exists - does DIR/configuration/name exist? */
int filtercmd_export_exists(struct cli *c, const char *name);

/*
 * filtercmd_export - write text to DIR/configuration/name, created new
 * (or replacing it with force) without following a link: written under a
 * temporary name, fsynced, then linked (renamed with force) into place.
 * 0, or -1 with the error printed. *path gets the path shown (malloc'd).
 */
int filtercmd_export(struct cli *c, const char *name, int force, const char *text, size_t len,
    char **path);

/*
 * filtercmd_note_invalid - `Filter "NAME" has been marked invalid: REASON`
 * for the entry, when it is invalid
 */
void filtercmd_note_invalid(struct cli *c, const struct filter_entry *e);

/* filtercmd_desc_ok - a description: at most FILTERCONF_DESC_MAX, no control character */
int filtercmd_desc_ok(struct cli *c, const char *desc);

#endif
