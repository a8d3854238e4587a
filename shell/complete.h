/*
 * complete.h - TAB completion and `?` help from the command table.
 *
 * Both walk the same declarations (klish's KPURPOSE_COMPLETION|HELP):
 * the first word is a command name; after it, each word is matched
 * against the command's cmd_word tree (literal, key= or placeholder).
 */
#ifndef SHELL_COMPLETE_H
#define SHELL_COMPLETE_H

struct complete_item {
	char *word;	/* what completes ("smtproutes", "new", "ip=") or a placeholder */
	const char *help;	/* one line */
	int literal;	/* 0: a placeholder shown by `?` only */
	int quiet;	/* 1: completes on TAB but `?` does not list it */
};

struct complete_result {
	int n;				/* candidates */
	struct complete_item *items;	/* candidates, in table order */
	char *partial;			/* the word being completed (may be "") */
};

/* complete_set_role - offer only what this role (enum user_role) may run; admin until set */
void complete_set_role(int role);

/* complete_line - what may come at the end of line (the text before the cursor) */
void complete_line(const char *line, struct complete_result *r);

struct cli_prompt;

/*
 * complete_answer - what may answer a dialogue's question (p: its menu
 * words, list numbers, Y/N; see commands/cli.h), given the text typed so
 * far; nothing for a free-text question
 */
void complete_answer(const char *line, const struct cli_prompt *p, struct complete_result *r);

/* complete_free - release a result */
void complete_free(struct complete_result *r);

/* complete_common - the longest common prefix of the literal candidates (malloc'd) */
char *complete_common(const struct complete_result *r);

#endif
