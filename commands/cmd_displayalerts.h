/*
 * cmd_displayalerts.h - what the shell calls of displayalerts besides the
 * command: the alerts shown when a person opens the shell.
 */
#ifndef COMMANDS_CMD_DISPLAYALERTS_H
#define COMMANDS_CMD_DISPLAYALERTS_H

#include "commands/cli.h"

/*
 * displayalerts_banner - at the start of an interactive session: the
 * alerts raised since this user was last shown them (newest first, at
 * most ten), then mark them seen. Prints nothing when there are none.
 */
void displayalerts_banner(struct cli *c);

#endif
