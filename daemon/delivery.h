/*
 * delivery.h - the delivery engine: per-destination queues, outbound SMTP
 * connections, retries, bounces, counters. Its parts: dest.c, trouble.c,
 * mta.c and the scheduler delivery.c.
 */
#ifndef DAEMON_DELIVERY_H
#define DAEMON_DELIVERY_H

#include "daemon/gw.h"
#include "daemon/msg.h"

struct delivery;

/* delivery_new - load the queue from queue.db and get ready */
struct delivery *delivery_new(struct gw *gw, char **cause);

/* delivery_enqueue - durable recipients (taken) to deliver; held while paused */
void delivery_enqueue(struct delivery *dl, struct rcpt **rcpts, int n);

/* delivery_tick - once a second: retries, expiry, gauges */
void delivery_tick(struct delivery *dl);

/* delivery_now - retry now the waiting recipients of one destination, or all ("" or ALL) */
void delivery_now(struct delivery *dl, const char *name);

/* delivery_pause - hold newly accepted recipients (the work queue is paused) */
void delivery_pause(struct delivery *dl);

/* delivery_resume - release the held recipients and continue */
void delivery_resume(struct delivery *dl);

/* delivery_reconfigure - the configuration changed */
void delivery_reconfigure(struct delivery *dl);

/*
 * delivery_forget_hops - every destination resolves its next hops again
 * at its next connection (dnsflush); open connections are kept
 */
void delivery_forget_hops(struct delivery *dl);

/* delivery_shutdown - stop starting deliveries; close idle connections */
void delivery_shutdown(struct delivery *dl);

/* delivery_free - close everything */
void delivery_free(struct delivery *dl);

/* delivery_gauges - open outbound connections, held recipients, destinations known */
void delivery_gauges(const struct delivery *dl, int *conns, int *workq, int *dests);

#endif
