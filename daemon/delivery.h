/*
 * delivery.h - the delivery engine: per-destination queues, outbound SMTP
 * connections, retries, bounces, counters.
 */
#ifndef DAEMON_DELIVERY_H
#define DAEMON_DELIVERY_H

#include "daemon/gw.h"

struct delivery;

/* delivery_new - load the queue from queue.db and get ready */
struct delivery *delivery_new(struct gw *gw, char **cause);

/* delivery_enqueue - a durable message and its recipients (takes the recipients, not the array) */
void delivery_enqueue(struct delivery *dl, struct msg *m, struct rcpt **rcpts, int n);

/* delivery_tick - once a second: retries, expiry, gauges, shell requests */
void delivery_tick(struct delivery *dl);

/* delivery_reconfigure - the configuration changed */
void delivery_reconfigure(struct delivery *dl);

/* delivery_shutdown - stop starting deliveries; close idle connections */
void delivery_shutdown(struct delivery *dl);

/* delivery_free - close everything */
void delivery_free(struct delivery *dl);

/* delivery_gauges - open outbound connections, held messages, destinations known */
void delivery_gauges(const struct delivery *dl, int *conns, int *workq, int *dests);

/* msg_new - a message object with one reference per recipient to come */
struct msg *msg_new(void);

/* msg_unref - drop a reference; frees at zero */
void msg_unref(struct msg *m);

/* rcpt_new - a recipient of m (takes a reference on m) */
struct rcpt *rcpt_new(struct msg *m, int rid, const char *addr, const char *dest);

/* rcpt_free - release a recipient (drops its reference on the message) */
void rcpt_free(struct rcpt *r);

#endif
