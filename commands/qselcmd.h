/*
 * qselcmd.h - asking which queued recipients a queue command acts on
 * (mail/qsel.h), in batch words or in AsyncOS's dialogue.
 *
 * Batch words: host=HOST, sender=ADDR (sender=<> for the null sender), all.
 */
#ifndef COMMANDS_QSELCMD_H
#define COMMANDS_QSELCMD_H

#include "commands/cli.h"
#include "mail/qsel.h"

/*
 * qsel_parse - one batch word into *s; 0, or -1 after one error line
 * naming the command and what is allowed
 */
int qsel_parse(struct cli *c, const char *cmd, const char *word, struct qsel *s);

/*
 * qsel_ask - the dialogue: "Please select how you would like to VERB
 * messages:" with 1. By recipient host. 2. By Envelope From address.
 * 3. All. [1]>, then "Please enter the hostname for the messages you wish
 * to VERB." or "Please enter the Envelope From address for the messages
 * you wish to VERB." ([]>); verb: "show", "delete", "bounce", "redirect"
 */
enum ask_ret qsel_ask(struct cli *c, const char *verb, struct qsel *s);

#endif
