/*
 * cli.h - what a command sees of the shell: output, questions, the store.
 *
 * Commands never printf (FRR vty_out, tmux cmdq_print): they write through
 * cli_printf/cli_error, and ask through cli_ask*. The shell provides the
 * I/O underneath (a terminal with libedit and a pager, or a batch stream),
 * so the same command code serves interactive use, scripts and tests.
 *
 * AsyncOS dialogue conventions: a question is printed on its own line and
 * the answer is read at "[default]> "; an empty answer takes the default;
 * at a menu an empty answer goes back one level.
 */
#ifndef COMMANDS_CLI_H
#define COMMANDS_CLI_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct logfile;
struct logsub_out;
struct queue;

/* The shell's side: reading answers and writing output. */
struct cli_io {
	/*
	 * readline - read one line for prompt; malloc'd, without newline.
	 * NULL at end of input; *interrupted set if Ctrl-C ended the read.
	 */
	char *(*readline)(void *arg, const char *prompt, int *interrupted);
	/* write - output text; returns -1 when the user stopped the output (pager 'q') */
	int (*write)(void *arg, const char *s, size_t n, int is_error);
	/*
	 * wait - pause up to ms milliseconds while a command follows a
	 * growing log (grep -t); 1 when the user wants it to stop: Ctrl-C,
	 * and in batch mode also a line or the end of the input stream, so
	 * that a script never waits forever. NULL: stop at once.
	 */
	int (*wait)(void *arg, int ms);
	/*
	 * open_file - a file the operator names (certconfig cert=PATH), open
	 * for reading with the operator's rights, which mxsh run as root no
	 * longer has once it is the data directory's owner (shell/opener.h).
	 * NULL: open(2) here.
	 */
	int (*open_file)(void *arg, const char *path);
};

struct cli_choice;

/*
 * What the question being read offers, for the shell's TAB and `?`
 * (cli.c sets cli.prompt while it reads an answer): the answers of a
 * menu, the numbers of a list (and the items' text), Y and N. A free-text
 * question offers nothing; TAB then does nothing and `?` is a character.
 */
struct cli_prompt {
	const struct cli_choice *choices;	/* offered answers, or NULL */
	int n;					/* how many */
	int nquiet;				/* the last nquiet complete on TAB only, not listed by `?` */
	const char *placeholder;		/* "<1-65535>" for `?` at a free-text question, or NULL */
	int secret;				/* read without echo at a terminal */
};

struct cli {
	struct store *st;		/* the session's store (candidate overlay) */
	const struct cli_io *io;	/* the shell's I/O */
	void *io_arg;			/* passed to io functions */
	int interactive;		/* a person at a terminal */
	char user[64];			/* who is running commands (an account, or root at the console) */
	int role;			/* enum user_role (store/users.h) of this session */
	int64_t session;		/* this session's row in the sessions table, 0 if none */
	char origin[96];		/* "127.0.0.1 port 52390" over SSH, "console" otherwise */
	int ssh;			/* the session came in over SSH */
	int root;			/* run by root at the console (mxsh may since have become
					 * the data directory's owner: getuid() no longer says) */
	volatile sig_atomic_t *intr;	/* set by Ctrl-C */
	int stopped;			/* output stopped by the user for this command */
	int nopager;			/* this command's output is not paged (grep without -p) */
	int eof;			/* answers ran out */
	struct logfile *clilog;		/* cli_logs, or NULL */
	struct logsub_out *clilogs;	/* every cli_logs-type log (clilog among them), or NULL */
	struct queue *q;		/* DIR/queue.db, opened on first use */
	const struct cli_prompt *prompt;	/* the question being read, NULL at the command prompt */
	int nul_in_line;		/* the line just read held a NUL byte (set by the shell) */
	int line_from_args;		/* running a -c LINE (sshd's `ssh gw LINE`), not a read line */
};

enum cmd_ret {
	CMD_OK = 0,		/* done */
	CMD_ERROR,		/* failed; an error line was printed */
	CMD_ABORTED,		/* Ctrl-C or end of input in a dialogue: nothing changed */
};

enum ask_ret {
	ASK_OK = 0,		/* an answer (possibly the default) */
	ASK_BACK,		/* empty answer at a question without default: go back */
	ASK_ABORT,		/* Ctrl-C or end of input */
};

struct cli_choice {
	const char *name;	/* "NEW" */
	const char *help;	/* "Create a new route." */
};

/* cli_printf - command output */
void cli_printf(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * cli_bad_char - the first control character of s that no command line
 * or answer may hold (all but TAB, DEL, and the C1 controls U+0080-U+009F
 * written in UTF-8, given as their code point), or -1: such bytes would
 * reach other operators' terminals through logs and history.
 */
int cli_bad_char(const char *s);

/* cli_open_file - read-only descriptor of a file the operator named, or -1 with errno */
int cli_open_file(struct cli *c, const char *path);

/*
 * cli_error - one error line (a newline is added); control characters in
 * it (the user's text echoed back) are shown as \ooo, newlines as spaces
 */
void cli_error(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cli_interrupted - has Ctrl-C been pressed during this command? */
int cli_interrupted(struct cli *c);

/* cli_wait - pause while following a log (cli_io.wait); 1 when the user wants it to stop */
int cli_wait(struct cli *c, int ms);

/* cli_ask - free-text question; def NULL or "" shows "[]> " */
enum ask_ret cli_ask(struct cli *c, const char *question, const char *def, char *out,
    size_t size);

/* cli_ask_required - like cli_ask, but an empty answer without default goes back */
enum ask_ret cli_ask_required(struct cli *c, const char *question, char *out, size_t size);

/* cli_ask_yesno - Y/N question; *out 1 for yes */
enum ask_ret cli_ask_yesno(struct cli *c, const char *question, int def, int *out);

/* cli_ask_menu - "- NAME - help" lines; *out index; ASK_BACK on empty answer */
enum ask_ret cli_ask_menu(struct cli *c, const char *heading, const struct cli_choice *items,
    int n, int *out);

/* cli_ask_list - numbered list "1. item"; def 0 = none; accepts number or unique text */
enum ask_ret cli_ask_list(struct cli *c, const char *question, const char *const *items, int n,
    int def, int *out);

/* cli_ask_number - decimal within [min, max] */
enum ask_ret cli_ask_number(struct cli *c, const char *question, long def, long min, long max,
    long *out);

/*
 * cli_ask_offered - free-text question whose likely answers (policy
 * names, say) TAB completes and `?` lists; the answer is not checked
 * against them. Returns as cli_ask.
 */
enum ask_ret cli_ask_offered(struct cli *c, const char *question, const char *def,
    const struct cli_choice *offers, int n, char *out, size_t size);

/*
 * cli_ask_secret - a password or key, read without echo at a terminal
 * (a plain line in batch mode, where the prompt is not shown either).
 * The prompt is "[]> ", or "[*****]> " when keep says a value is stored:
 * then an empty answer is ASK_OK with *out "" (keep the stored value);
 * without keep it is ASK_BACK. The answer is never echoed, logged or put
 * in the history. ASK_ABORT on Ctrl-C or end of input.
 */
enum ask_ret cli_ask_secret(struct cli *c, const char *question, int keep, char *out,
    size_t size);

#endif
