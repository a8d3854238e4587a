/*
 * lineedit.h - the interactive terminal: libedit line editing, persistent
 * history, TAB completion, `?` help, Ctrl-C, and a pager for long output.
 *
 * Initialised only when standard input and output are terminals (sftp.c);
 * batch mode never touches libedit.
 */
#ifndef SHELL_LINEEDIT_H
#define SHELL_LINEEDIT_H

#include <signal.h>
#include <stddef.h>

struct lineedit;

/* lineedit_open - set up libedit on the terminal; history kept in histfile */
struct lineedit *lineedit_open(const char *progname, const char *histfile, int histsize,
    volatile sig_atomic_t *intr);

/* lineedit_close - save history and restore the terminal */
void lineedit_close(struct lineedit *le);

/* lineedit_read - one line at prompt (malloc'd); NULL on EOF or Ctrl-C (*interrupted) */
char *lineedit_read(struct lineedit *le, const char *prompt, int *interrupted);

struct cli_prompt;

/*
 * lineedit_read_answer - an answer in a dialogue: TAB and `?` offer p's
 * choices (commands/cli.h), nothing else; p->secret reads without echo
 */
char *lineedit_read_answer(struct lineedit *le, const char *prompt, const struct cli_prompt *p,
    int *interrupted);

/*
 * lineedit_read_secret - print prompt, read a line from standard input
 * with the terminal's echo off (as it is when not a terminal); NULL on
 * end of input, or on Ctrl-C (SIGINT sets *intr) with *interrupted set
 */
char *lineedit_read_secret(const char *prompt, volatile sig_atomic_t *intr, int *interrupted);

/*
 * lineedit_set_idle - from now on every read (command line, answer,
 * secret) gives up after seconds without a key (0: never), and also
 * when *stop is set (SIGHUP, SIGTERM; may be NULL). The read returns
 * NULL as at the end of input.
 */
void lineedit_set_idle(int seconds, volatile sig_atomic_t *stop);

/* lineedit_idle_expired - did a read give up for want of a key? (stays set) */
int lineedit_idle_expired(void);

/* lineedit_history_add - remember a command line (saved immediately) */
void lineedit_history_add(struct lineedit *le, const char *line);

/* lineedit_write - output through the pager; -1 when the user pressed q */
int lineedit_write(struct lineedit *le, const char *s, size_t n, int is_error);

/* lineedit_page_reset - a new command starts: count lines from zero */
void lineedit_page_reset(struct lineedit *le);

#endif
