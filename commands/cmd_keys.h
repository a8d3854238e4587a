/*
 * cmd_keys.h - sub-commands and key=value words declared once, in tables.
 *
 * A command with sub-commands (smtproutes new|edit|delete|print, ...)
 * points its cmd_entry at an array of struct cmd_sub; a sub-command that
 * takes settings points at a struct cmd_keyset listing its keys. From
 * these declarations come the dispatch (unique prefixes, usage errors,
 * "Unknown option" listing the sub-commands, a further level of
 * sub-commands such as policyconfig incoming|outgoing new|edit|...,
 * positional words checked against a list of literals), the key=value
 * parsing with its errors ("Unknown key", "given twice", "Missing K="),
 * its joining of comma lists and its keys refused by name, TAB completion
 * and `?` help (shell/complete.c: sub-commands, placeholders, key= names,
 * the words an ENUM key takes after '='), and the test that every
 * sub-command and key has help and a mention in the man page
 * (tests/unit/test_cmdtable.c). Klish and BIRD's CF_CLI are the models.
 */
#ifndef COMMANDS_CMD_KEYS_H
#define COMMANDS_CMD_KEYS_H

#include <stddef.h>

#include "commands/cmd.h"

/* What a key's value is: drives completion after "key=" and the generic checks. */
enum cmd_key_type {
	CMD_KEY_TEXT = 0,	/* free text (name, address, size with suffix) */
	CMD_KEY_INT,		/* a whole number: cmd_keys_int checks min..max */
	CMD_KEY_YESNO,		/* yes or no (completion offers both) */
	CMD_KEY_ENUM,		/* one word of values[] (completion offers them) */
	CMD_KEY_LIST,		/* comma list: "a, b" typed with blanks joins to "a,b" */
};

#define CMD_KEY_FIRST	0x01	/* applied before the other keys (ranges depend on it) */

/* One key of a key=value sub-command. */
struct cmd_key {
	const char *name;		/* without '=' */
	enum cmd_key_type type;		/* what the value is */
	const char *const *values;	/* CMD_KEY_ENUM: the words allowed, NULL-ended */
	long min, max;			/* CMD_KEY_INT: the range cmd_keys_int allows */
	const char *setting;		/* cmd_keys_setting: the settings_table row */
	/*
	 * check - validate (and normalise in place, never longer than
	 * size) one value before set sees it; NULL when set (the model)
	 * is the only validator. 0, or -1 with *cause (malloc'd).
	 */
	int (*check)(const struct cmd_key *k, char *value, size_t size, char **cause);
	int flags;			/* CMD_KEY_* */
	const char *help;		/* one line for `?`; the man page shows name= */
};

/* The keys one sub-command (or a family of them) accepts, and where values go. */
struct cmd_keyset {
	const struct cmd_key *keys;	/* ended by a NULL name; at most 32 */
	/*
	 * set - store one checked value into obj (the model usually checks
	 * again); called in the order the words were typed. 0, or -1 with
	 * *cause (malloc'd), printed as it is.
	 */
	int (*set)(void *obj, const struct cmd_key *k, const char *value, char **cause);
	/* rest of "Invalid argument 'W': ..." for a word without '='; NULL: the key list */
	const char *syntax;
	/* rest of "Unknown key 'K': ..."; NULL: "use " and the key list */
	const char *unknown;
	/*
	 * keys this set refuses by name, with refused_why rather than
	 * "Unknown key" (tdc= on an outgoing policy); NULL-ended, or NULL.
	 * Checked before any other word, so the reason comes first.
	 */
	const char *const *refused;
	const char *refused_why;
	int flags;			/* CMD_KEYS_* */
};

#define CMD_KEYS_NO_ECHO	0x01	/* "Invalid argument: ..." without the word (a path, a secret) */
/*
 * a word without '=' joins the CMD_KEY_LIST value before it only when
 * that value ends in ',' or the word starts with ',' ("a@x, b@x"), so a
 * forgotten key is an error rather than one more list member (policyconfig)
 */
#define CMD_KEYS_JOIN_COMMA	0x02

/* A sub-command line as cmd_keys_run hands it to the sub-command. */
struct cmd_call {
	const struct cmd_entry *entry;	/* the command */
	const struct cmd_call *parent;	/* the level above ("incoming" for incoming new), or NULL */
	const struct cmd_sub *sub;	/* the sub-command chosen */
	int argc;			/* positional words after the sub-command */
	char **argv;
	int nkv;			/* the key=value words after them */
	char **kv;
};

#define CMD_ARGS_MANY	(-1)	/* max_args: the rest of the line */

#define CMD_SUB_KV_OPTIONAL	0x01	/* may be given without key=value words */
#define CMD_SUB_USAGE_CMD	0x02	/* usage errors name the command, not "cmd sub" */

/*
 * One sub-command: `listenerconfig new NAME key=value...`. With subs, the
 * words after its name choose one of those (a further level, as in
 * `policyconfig incoming new`), and exec runs only when no word follows.
 */
struct cmd_sub {
	const char *name;		/* "new"; NULL: key=value words follow the command name */
	const char *help;		/* one line for `?` */
	/*
	 * positional words, chained by next: what completion offers, and
	 * where a position lists literals only (no <PLACEHOLDER>), the words
	 * the line may give there ("Unknown option" otherwise)
	 */
	const struct cmd_word *args;
	/*
	 * positional word count: min_args to max_args (CMD_ARGS_MANY: any);
	 * with keys, exactly min_args, none holding '=', then at least one
	 * key=value word unless CMD_SUB_KV_OPTIONAL
	 */
	int min_args, max_args;
	const struct cmd_keyset *keys;	/* key=value words after the positional ones, or NULL */
	const char *const *required;	/* keys every line must give, NULL-ended, or NULL */
	const char *needs;		/* "Missing K=: <needs>." when a required key is missing */
	int flags;			/* CMD_SUB_* */
	const struct cmd_sub *subs;	/* a further level, ended by a NULL exec, or NULL */
	/* the usage its usage errors show (lines separated by '\n'); NULL: the command's */
	const char *usage;
	enum cmd_ret (*exec)(struct cli *c, const struct cmd_call *call);
};

/*
 * cmd_keys_run - find the sub-command argv[0] names (exactly or by unique
 * prefix, any case; a first word with '=' goes to the nameless one), check
 * the word counts and run it. Errors printed; argc must be at least 1.
 */
enum cmd_ret cmd_keys_run(struct cli *c, const struct cmd_entry *e, int argc, char **argv);

/* cmd_keys_find - the sub-command word names in subs (one level), or NULL (unknown or ambiguous) */
const struct cmd_sub *cmd_keys_find(const struct cmd_sub *subs, const char *word);

/*
 * cmd_keys_parse - apply key=value words to obj through ks->set, in the
 * order typed (CMD_KEY_FIRST keys in a first pass). A word that follows a
 * CMD_KEY_LIST key without '=' is joined onto its list. Refused: a word
 * without '=', an unknown key, a key given twice, a value its check
 * refuses. *given (if not NULL) gets bit i for keys[i]. 0, or -1 with
 * the error printed.
 */
int cmd_keys_parse(struct cli *c, const struct cmd_keyset *ks, int argc, char **argv, void *obj,
    unsigned *given);

/*
 * cmd_keys_apply - cmd_keys_parse of call's key words, then the
 * sub-command's required keys ("Missing K=: <needs>." for one not given,
 * or given empty). given may be NULL. 0, or -1 with the error printed.
 */
int cmd_keys_apply(struct cli *c, const struct cmd_call *call, void *obj, unsigned *given);

/* cmd_keys_index - index of a key in ks, or -1 */
int cmd_keys_index(const struct cmd_keyset *ks, const char *name);

/* cmd_keys_given - was the key named given (bit set in given)? */
int cmd_keys_given(const struct cmd_keyset *ks, unsigned given, const char *name);

/* cmd_keys_int - check: a decimal number in [k->min, k->max] */
int cmd_keys_int(const struct cmd_key *k, char *value, size_t size, char **cause);

/* cmd_keys_enum - check: one of k->values (any case; normalised to the table's spelling) */
int cmd_keys_enum(const struct cmd_key *k, char *value, size_t size, char **cause);

/* cmd_keys_yesno - check: yes or no (any case; normalised to lower case) */
int cmd_keys_yesno(const struct cmd_key *k, char *value, size_t size, char **cause);

/* cmd_keys_setting - check: what settings_validate accepts for k->setting (normalised) */
int cmd_keys_setting(const struct cmd_key *k, char *value, size_t size, char **cause);

/*
 * cmd_keys_complete - TAB and `?` candidates after the command name of e:
 * argc full words, then partial. add is called for each candidate in
 * table order; literal 0 marks a placeholder that `?` shows only.
 */
void cmd_keys_complete(const struct cmd_entry *e, int argc, char **argv, const char *partial,
    void (*add)(void *arg, const char *word, const char *help, int literal), void *arg);

#endif
