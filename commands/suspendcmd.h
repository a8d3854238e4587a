/*
 * suspendcmd.h - what suspendlistener, resumelistener, suspenddel,
 * resumedel, suspend, resume and status share (commands/suspendcmd.c).
 */
#ifndef COMMANDS_SUSPENDCMD_H
#define COMMANDS_SUSPENDCMD_H

#include "commands/cli.h"

struct queue;

/*
 * suspendcmd_listeners - suspendlistener (suspend 1) or resumelistener
 * (0): argv is NAME[,NAME...] or ALL; none: the AsyncOS dialogue
 */
enum cmd_ret suspendcmd_listeners(struct cli *c, const char *cmd, int suspend, int argc,
    char **argv);

/* suspendcmd_delivery - suspenddel or resumedel: DOMAIN[,DOMAIN...] or ALL, else the dialogue */
enum cmd_ret suspendcmd_delivery(struct cli *c, const char *cmd, int suspend, int argc,
    char **argv);

/* suspendcmd_everything - suspend or resume: every listener, then delivery for ALL */
enum cmd_ret suspendcmd_everything(struct cli *c, const char *cmd, int suspend);

/*
 * suspendcmd_held_delivery - the destinations whose delivery is suspended
 * (suspenddel): 1 and *held ("*" for ALL, else "a,b"; malloc'd), 0 none,
 * -1 and *cause when queue.db cannot be read
 */
int suspendcmd_held_delivery(struct queue *q, char **held, char **cause);

/* suspendcmd_held_has - is delivery to dest suspended by held (as above; any case)? */
int suspendcmd_held_has(const char *held, const char *dest);

/*
 * suspendcmd_status - status's "System status:" line (running: mxgated
 * runs; paused: the work queue is) and below it the suspended listeners
 * and destinations, if any
 */
void suspendcmd_status(struct cli *c, struct queue *q, int running, int paused);

#endif
