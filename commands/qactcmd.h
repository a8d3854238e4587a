/*
 * qactcmd.h - what deleterecipients, bouncerecipients and
 * redirectrecipients share: the new host of a redirect, the confirmation,
 * and asking mxgated (request "qaction", daemon/qact.h) then printing its
 * answer.
 */
#ifndef COMMANDS_QACTCMD_H
#define COMMANDS_QACTCMD_H

#include <stddef.h>

#include "commands/cli.h"
#include "mail/qsel.h"

/* The destination of every journal copy, never bounced or redirected. */
#define QACTCMD_TDC_QUEUE "the.tdc.queue"

enum qactcmd_action { QACTCMD_DELETE, QACTCMD_BOUNCE, QACTCMD_REDIRECT };

/*
 * qactcmd_new_host - "HOST", "HOST:PORT", "[IP]", "[IP]:PORT" into the
 * destination queue name "[host]:port" (port 25 by default); 0, or -1
 * after one error line naming cmd
 */
int qactcmd_new_host(struct cli *c, const char *cmd, const char *in, char *out, size_t size);

/*
 * qactcmd_tdc_refused - bounce and redirect refuse host=the.tdc.queue:
 * 1 after one error line, else 0
 */
int qactcmd_tdc_refused(struct cli *c, enum qactcmd_action a, const struct qsel *s);

/*
 * qactcmd_confirm - AsyncOS's "Are you sure you want to delete all
 * messages being delivered to "H"? [N]>" (and the redirect's WARNING
 * first); ASK_OK with *yes set, or ASK_ABORT
 */
enum ask_ret qactcmd_confirm(struct cli *c, enum qactcmd_action a, const struct qsel *s,
    const char *new_dest, int *yes);

/*
 * qactcmd_run - ask mxgated to act and print its answer ("3 recipients
 * deleted." and what was left alone). mxgated not running, or stopping
 * before it took the request: one line, no request left behind. Ctrl-C
 * before it took the request withdraws it; after, the answer is awaited.
 * extra: the bounce reason or the new destination, else NULL.
 */
enum cmd_ret qactcmd_run(struct cli *c, enum qactcmd_action a, const struct qsel *s,
    const char *extra);

#endif
