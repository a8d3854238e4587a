/*
 * roles.h - what each role may run (AsyncOS user roles).
 *
 * One table, commands/roles.c, gives every command of cmd_table its
 * rule: the roles that may run it in full, the roles that may only look
 * (a configuration command's print-like sub-commands, listed), and none
 * else. tests/unit/test_roles.c checks that every command has a rule.
 * Help, TAB and `?` show a session only the commands its role may run;
 * cmd_run_line refuses the rest in one line.
 */
#ifndef COMMANDS_ROLES_H
#define COMMANDS_ROLES_H

#include "commands/cmd.h"
#include "store/users.h"

#define ROLE_BIT(r)	(1u << (r))

struct role_rule {
	const char *command;	/* cmd_entry name */
	unsigned full;		/* ROLE_BIT()s that may run everything */
	unsigned look;		/* ROLE_BIT()s that may run only the verbs below */
	const char *verbs;	/* space-separated sub-commands for look roles; NULL: the bare command */
};

/* role_rules - the table, ended by a NULL command */
extern const struct role_rule role_rules[];

/* role_rule_for - the rule of a command, or NULL (a bug: the unit test forbids it) */
const struct role_rule *role_rule_for(const char *command);

/* role_may_see - 1 when the role may run the command at all (help, TAB, `?`) */
int role_may_see(enum user_role r, const struct cmd_entry *e);

/*
 * role_check - may the role run this command line (argv after the
 * command's name)? 0, or -1 with a one-line *cause:
 * "Access denied: the readonly role cannot run 'commit'." or
 * "Access denied: the readonly role may only use: smtproutes print".
 */
int role_check(enum user_role r, const struct cmd_entry *e, int argc, char **argv, char **cause);

/* role_word_visible - may a look role see this sub-command word (completion)? */
int role_word_visible(enum user_role r, const struct cmd_entry *e, const char *word);

#endif
