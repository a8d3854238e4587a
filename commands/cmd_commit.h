/*
 * cmd_commit.h - committing at a cluster or group level (issue 15),
 * shared by commit and rollbackconfig.
 */
#ifndef COMMANDS_CMD_COMMIT_H
#define COMMANDS_CMD_COMMIT_H

#include "commands/cli.h"

/* commit_at_level - is the session at a cluster or group level (its commits go to etcd)? */
int commit_at_level(struct cli *c);

/*
 * commit_to_cluster - the candidate of a cluster or group session to
 * etcd (mail/cluster.c clus_commit), then wait until this machine has
 * applied it (and mxgated the main commit that made). On failure one
 * line "FAILED: CAUSE" (failed: "Commit failed") and the candidate kept.
 */
enum cmd_ret commit_to_cluster(struct cli *c, const char *comment, const char *failed);

#endif
