/*
 * cmd_listenerconfig.h - what listenerconfig shares with other commands.
 */
#ifndef COMMANDS_CMD_LISTENERCONFIG_H
#define COMMANDS_CMD_LISTENERCONFIG_H

#include "commands/cli.h"
#include "mail/listener.h"

/* listenerconfig_print_one - one listener's settings, as `listenerconfig print` shows them */
void listenerconfig_print_one(struct cli *c, const struct listener_conf *l);

#endif
