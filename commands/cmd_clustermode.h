/*
 * cmd_clustermode.h - what clustermode shares with the history commands
 * (commitdetail, rollbackconfig): the line naming the session's level.
 */
#ifndef COMMANDS_CMD_CLUSTERMODE_H
#define COMMANDS_CMD_CLUSTERMODE_H

#include "commands/cli.h"

/*
 * clustermode_level_line - in a cluster, print "Level: cluster",
 * "Level: group G" or "Level: machine M" for the session's level;
 * nothing outside a cluster
 */
void clustermode_level_line(struct cli *c);

#endif
