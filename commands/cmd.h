/*
 * cmd.h - the command table: one declaration per command (tmux cmd_entry).
 *
 * A command file defines one `const struct cmd_entry cmd_NAME_entry` with
 * its name, batch usage, one-line help, flags, the words that may follow
 * it (for TAB completion and `?` help) and its handler; cmd_table.c lists
 * them all. A command with sub-commands and key=value settings declares
 * them instead as a cmd_sub table (commands/cmd_keys.h). Help, usage,
 * completion and the man-page check all come from this one declaration.
 */
#ifndef COMMANDS_CMD_H
#define COMMANDS_CMD_H

#include "commands/cli.h"

#define CMD_F_CONFIG	0x01	/* changes configuration (pending until commit) */
#define CMD_F_ADMIN	0x02	/* needs an administrator */
#define CMD_F_NOABBREV	0x04	/* must be typed in full (destructive) */
#define CMD_F_HIDDEN	0x08	/* not listed by help */
/*
 * its free words may be secrets typed slightly wrong (`passwd Secret`,
 * `userconfig password al Secret`): cmd_mask_line masks every word after
 * the sub-command that is not a declared non-secret key=value or a word
 * the sub-command's positions declare
 */
#define CMD_F_SECRET_ARGS 0x10

/*
 * A word that may follow: a literal ("new"), a key ("ip=") or a
 * placeholder ("<DOMAIN>"). next lists what may follow it (NULL: nothing);
 * a key list may point at itself so keys repeat.
 */
struct cmd_word {
	const char *word;		/* literal, "key=" or "<PLACEHOLDER>" */
	const char *help;		/* one line for `?` */
	const struct cmd_word *next;	/* words allowed after this one */
};

struct cmd_sub;

struct cmd_entry {
	const char *name;		/* command name */
	const char *alias;		/* another full name (exit for quit), or NULL */
	const char *usage;		/* batch syntax, lines separated by '\n' */
	const char *help;		/* one line */
	int flags;			/* CMD_F_* */
	const struct cmd_word *words;	/* what may follow the name */
	const struct cmd_sub *subs;	/* or: its sub-commands, ended by a NULL exec (cmd_keys.h) */
	enum cmd_ret (*exec)(struct cli *c, int argc, char **argv);
};

/* cmd_table - every command, ended by NULL */
extern const struct cmd_entry *const cmd_table[];

/*
 * cmd_find - look a command up by name, alias or unique prefix
 * (not for CMD_F_NOABBREV); NULL with *ambiguous set to the candidate
 * count when more than one matches.
 */
const struct cmd_entry *cmd_find(const char *name, int *ambiguous);

/* cmd_run_line - tokenize, log to cli_logs, find and run one command line */
enum cmd_ret cmd_run_line(struct cli *c, const char *line);

/* cmd_usage_error - "Invalid arguments when processing: ..." with the usage */
enum cmd_ret cmd_usage_error(struct cli *c, const struct cmd_entry *e, const char *detail);

/*
 * cmd_word_match - the literal in list that t names exactly or by unique
 * prefix (case-insensitive), or NULL. Commands use it for sub-commands so
 * execution accepts what completion offers.
 */
const char *cmd_word_match(const struct cmd_word *list, const char *t);

/*
 * cmd_mask_line - the line as it may be logged or kept in the history:
 * values of secret keys masked, and for a CMD_F_SECRET_ARGS command its
 * undeclared words too (malloc'd)
 */
char *cmd_mask_line(const char *line);

#endif
