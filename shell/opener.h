/*
 * opener.h - files the operator names, opened as the operator.
 *
 * mxsh run as root on a data directory the daemon's account owns becomes
 * that account before it opens anything there (shell/main.c). A command
 * that reads a file the operator names (certconfig cert=/root/gw.key)
 * must still read it as root, who ran it: before the switch, mxsh starts
 * a small process that stays root and does one thing, open a named
 * regular file for reading and hand the descriptor back (SCM_RIGHTS).
 * It never writes, lists or opens anything else, and ends with mxsh.
 */
#ifndef SHELL_OPENER_H
#define SHELL_OPENER_H

/* opener_start - the process; its socket, or -1 with errno */
int opener_start(void);

/* opener_open - a read-only descriptor of path, or -1 with errno (ENXIO: not a regular file) */
int opener_open(int sock, const char *path);

#endif
