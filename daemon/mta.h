/*
 * mta.h - outbound SMTP connections of the delivery engine.
 */
#ifndef DAEMON_MTA_H
#define DAEMON_MTA_H

#include <time.h>

#include "daemon/dest.h"

/* mta_open - a new connection to d's next hops (d->cands must be resolved) */
void mta_open(struct delivery *dl, struct dest *d);

/* mta_offer - idle connections of d take its ready work */
void mta_offer(struct dest *d);

/*
 * mta_expire - the connector's time limit: close connections whose copy
 * in flight is older than life seconds (the copy then expires), and, once
 * d is empty, those still short of taking work (a stalled greeting)
 */
void mta_expire(struct dest *d, time_t now, int life);

/* mta_quit_idle - stopping or re-routed: idle connections say QUIT */
void mta_quit_idle(struct dest *d);

/* mta_inflight - fn for each recipient in a transaction of d (left alone by queue actions) */
void mta_inflight(struct dest *d, void (*fn)(struct rcpt *r, void *arg), void *arg);

/* mta_free_all - exit: free d's connections; recipients in flight stay queued on disk */
void mta_free_all(struct dest *d);

#endif
