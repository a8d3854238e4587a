/*
 * dest.h - inside the delivery engine: the destination queues and the
 * engine's shared state. Used by dest.c (the queues), trouble.c (the
 * failure policy), mta.c (outbound connections) and delivery.c (the
 * scheduler), in that order of dependence: none calls a file after it.
 * A file lower down asks for scheduling with dest_wakeup(), which runs
 * the scheduler from the event loop, never from inside the caller.
 */
#ifndef DAEMON_DEST_H
#define DAEMON_DEST_H

#include <sys/socket.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>

#include "daemon/gw.h"
#include "daemon/msg.h"

#define DEST_BUCKETS 1024		/* destination hash buckets */

/* A resolved next hop. */
struct cand {
	struct sockaddr_storage addr;	/* with port */
	char host[256];			/* name used for TLS verification */
};

struct conn;
TAILQ_HEAD(conn_list, conn);

struct dest {
	struct delivery *dl;
	char name[256];			/* queue name (domain or pseudo-host) */
	char domain[256];		/* domain routed / resolved for it */
	struct rcpt_list ready;		/* due now */
	struct rcpt_list waiting;	/* deferred until next_try */
	int nready, nwaiting, ninflight;
	struct conn_list conns;		/* open connections */
	int nconns, nbusy, published;	/* published: conns last written to the store */
	int down;			/* the last connection attempt failed */
	time_t retry_at;		/* while down: no attempt before */
	int resolving;			/* a lookup is running */
	struct cand *cands;		/* resolved next hops, in order */
	int ncands;
	time_t cands_expire;
	int discard;			/* routed to /dev/null */
	time_t tls_plain_until;		/* preferred TLS failed: plain for a while */
	time_t activity_published;	/* last_activity written at most once a second */
	int tdc;			/* the.tdc.queue: journal copies, TDC rules */
	int gen;			/* routing generation: bumped when the configuration changes */
	struct event *wake;		/* runs the scheduler for this destination */
	struct dest *hnext;		/* hash chain */
	TAILQ_ENTRY(dest) link;
};
TAILQ_HEAD(dest_list, dest);

/* the scheduler's entry point, run by dest_wakeup from the loop */
typedef void (*dest_kick_fn)(struct delivery *dl, struct dest *d);

struct delivery {
	struct gw *gw;
	struct dest *hash[DEST_BUCKETS];
	struct dest_list dests;
	int nconns;			/* all outbound connections */
	int stopping;
	struct rcpt_list workq;		/* accepted while the work queue is paused */
	int nworkq;
	dest_kick_fn kick;		/* delivery.c's dest_kick */
};

/* dest_get - the destination of this name, created on first use */
struct dest *dest_get(struct delivery *dl, const char *name);

/*
 * dest_direct - a destination an operator redirected mail to, named
 * "[HOST]:PORT" (redirectrecipients): 0 with the host (name or address
 * literal, no brackets) and the port; -1 for any other name. Such a
 * destination is resolved by its address records only: no MX, no route.
 */
int dest_direct(const char *name, char *host, size_t size, int *port);

/* dest_wakeup - run the scheduler for d from the event loop, soon */
void dest_wakeup(struct dest *d);

/* dest_place - put a recipient in its destination's ready or waiting list */
struct dest *dest_place(struct delivery *dl, struct rcpt *r);

/* dest_wait - a recipient deferred until r->next_try */
void dest_wait(struct dest *d, struct rcpt *r);

/* dest_enqueue - new recipients: held while the work queue is paused, else placed and woken */
void dest_enqueue(struct delivery *dl, struct rcpt **rcpts, int n);

/* dest_publish - write a destination's connection gauge when it changed */
void dest_publish(struct dest *d);

/* dest_age - seconds a recipient has spent in the delivery queue while it ran */
time_t dest_age(const struct rcpt *r, time_t now);

/* dest_free_all - release every destination and held recipient (connections already gone) */
void dest_free_all(struct delivery *dl);

#endif
