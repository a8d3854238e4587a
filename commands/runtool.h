/*
 * runtool.h - run a system tool for a command (ping, traceroute) and
 * relay its output: an argv, no shell, a fixed environment, standard
 * input /dev/null, Ctrl-C passed on to it.
 */
#ifndef COMMANDS_RUNTOOL_H
#define COMMANDS_RUNTOOL_H

#include "commands/cli.h"

/* Longest output line relayed (longer ones are cut). */
#define RUNTOOL_LINE_MAX 1024

/*
 * runtool_run - run argv (argv[0] an absolute path) and print its
 * standard output and error, line by line, made printable. CMD_OK when
 * it exits 0; else one error line ("NAME is not installed (PATH).",
 * "NAME ended with status N.", "NAME stopped by Ctrl-C.") and CMD_ERROR.
 */
enum cmd_ret runtool_run(struct cli *c, const char *name, char *const argv[]);

/*
 * runtool_host - the host a tool runs for: given (the command's word),
 * or asked with question when given is NULL; checked as a host name or
 * IP address, so that no option ever reaches the tool. 0 with host set;
 * else -1 and *ret is what the command returns (after one error line)
 */
int runtool_host(struct cli *c, const char *question, const char *given, char *host,
    size_t size, enum cmd_ret *ret);

#endif
