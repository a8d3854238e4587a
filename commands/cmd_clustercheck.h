/*
 * cmd_clustercheck.h - what clustercheck shares with tdcstatus: the ETD
 * polling primary's line.
 */
#ifndef COMMANDS_CMD_CLUSTERCHECK_H
#define COMMANDS_CMD_CLUSTERCHECK_H

#include "commands/cli.h"

/*
 * clustercheck_primary - in a cluster, print "ETD polling primary: M
 * (since DATE)", "... none", with "(pinned to M)" when pinned, or
 * "... unknown (CAUSE)" when etcd cannot be reached; nothing outside a
 * cluster. 0 printed or nothing to print, -1 unknown.
 */
int clustercheck_primary(struct cli *c);

#endif
