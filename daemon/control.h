/*
 * control.h - mxgated following its operators: committed configuration
 * and the requests the shell leaves in queue.db.
 */
#ifndef DAEMON_CONTROL_H
#define DAEMON_CONTROL_H

#include "daemon/gw.h"

/* control_apply - make a configuration snapshot current (taken); report what could not be */
void control_apply(struct gw *gw, struct conf *c);

/* control_started - start-up is over: the running commit counts as applied */
void control_started(struct gw *gw);

/* control_poll - a new commit to load and apply, requests to carry out (every 100 ms) */
void control_poll(struct gw *gw);

/* control_tick - once a second: the disk and other conditions that raise alerts */
void control_tick(struct gw *gw);

#endif
