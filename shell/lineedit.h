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

/* lineedit_history_add - remember a command line (saved immediately) */
void lineedit_history_add(struct lineedit *le, const char *line);

/* lineedit_write - output through the pager; -1 when the user pressed q */
int lineedit_write(struct lineedit *le, const char *s, size_t n, int is_error);

/* lineedit_page_reset - a new command starts: count lines from zero */
void lineedit_page_reset(struct lineedit *le);

#endif
