/*
 * quarcmd.h - what showquarantine, releasequarantine and deletequarantine
 * share (quarcmd.c): the quarantine an operator names, and the MIDs.
 *
 * Every function prints its own one-line errors through the cli.
 */
#ifndef COMMANDS_QUARCMD_H
#define COMMANDS_QUARCMD_H

#include <stdint.h>

#include "commands/cmd.h"
#include "mail/filterconf.h"

struct queue;

/*
 * quarcmd_resolve - the quarantine name names, in its configured spelling
 * (names ignore case), into out; a name no longer configured is still
 * found while queue.db holds messages under it. 0, or -1 with "There is
 * no quarantine named 'X'." printed. *conf (may be NULL) gets its
 * settings, or is zeroed when it is not configured.
 */
int quarcmd_resolve(struct cli *c, struct queue *q, const char *name, char *out, size_t size,
    struct quarantine_conf *conf);

/* quarcmd_mid - a message ID (a whole number from 1); 0, or -1 with the error printed */
int quarcmd_mid(struct cli *c, const char *word, int64_t *mid);

/* quarcmd_printable - a malloc'd copy cut to max bytes ("..." at a cut), control characters as '?' */
char *quarcmd_printable(const char *s, size_t max);

/* quarcmd_bytes - "512 bytes", "1.5 KB", "2.0 MB" */
const char *quarcmd_bytes(long long n, char *buf, size_t size);

#endif
