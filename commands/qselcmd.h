/*
 * qselcmd.h - asking which queued recipients a queue command acts on
 * (mail/qsel.h), in batch words or in AsyncOS's dialogue.
 *
 * Batch words: host=HOST, sender=ADDR (sender=<> for the null sender), all.
 */
#ifndef COMMANDS_QSELCMD_H
#define COMMANDS_QSELCMD_H

#include "commands/cli.h"
#include "commands/cmd.h"
#include "mail/qsel.h"

/*
 * qsel_words - the batch words for a command's table entry (`?` help
 * and completion): host=, sender=, all; NULL-terminated
 */
extern const struct cmd_word qsel_words[];

/* qsel_host_ok - a destination queue name: HOST, [IP], [IP]:PORT or [HOST]:PORT */
int qsel_host_ok(const char *h);

/*
 * qsel_sender_ok - an envelope sender as a selection takes it (after
 * stripping one pair of <>): 1 to 319 bytes without a blank or control
 * character, so any sender a message came with (root@localhost,
 * "quoted"@x, user@[192.0.2.1], UTF-8) can be named
 */
int qsel_sender_ok(const char *a);

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
 * you wish to VERB." ([]>); verb: "show", "delete", "bounce", "redirect".
 * A bad answer in batch gives ASK_ABORT after its line; prefer
 * qsel_dialogue, which tells the two apart and names the command.
 */
enum ask_ret qsel_ask(struct cli *c, const char *verb, struct qsel *s);

/*
 * qsel_dialogue - qsel_ask for a command's exec: 1 with *s selected, or
 * 0 with *ret what exec returns: CMD_OK (went back), CMD_ABORTED (Ctrl-C
 * or end of input), CMD_ERROR (a bad answer in batch: its one line,
 * "VERBrecipients: ...", is printed and no "-- Changes not recorded"
 * follows)
 */
int qsel_dialogue(struct cli *c, const char *verb, struct qsel *s, enum cmd_ret *ret);

#endif
