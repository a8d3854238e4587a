/*
 * dest.c - the destination queues of the delivery engine: one per
 * recipient domain or pseudo-host (the.tdc.queue), each with a ready and
 * a waiting list, found through a hash; and the work queue that holds
 * new recipients while an operator has paused it.
 *
 * The age of a recipient for the connector's time limit counts only time
 * spent in a delivery queue while mxgated ran (entered is set when it is
 * placed): a paused work queue or a stopped daemon does not age a copy.
 *
 * DIAGNOSTICS: none; these are list operations.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/dest.h"
#include "daemon/qwriter.h"
#include "daemon/tdc.h"
#include "util/str.h"

/* hashstr - FNV-1a */
static unsigned
hashstr(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % DEST_BUCKETS;
}

/* on_wake - the loop runs the scheduler for one destination */
static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct dest *d = arg;

	(void)fd;
	(void)what;
	d->dl->kick(d->dl, d);
}

struct dest *
dest_get(struct delivery *dl, const char *name)
{
	unsigned h = hashstr(name);
	struct dest *d;

	for (d = dl->hash[h]; d; d = d->hnext)
		if (strcmp(d->name, name) == 0)
			return d;
	d = xcalloc(1, sizeof(*d));
	d->dl = dl;
	str_copy(d->name, name, sizeof(d->name));
	str_copy(d->domain, name, sizeof(d->domain));
	d->tdc = tdc_is_queue(name);
	TAILQ_INIT(&d->ready);
	TAILQ_INIT(&d->waiting);
	TAILQ_INIT(&d->conns);
	d->wake = event_new(dl->gw->base, -1, 0, on_wake, d);
	d->hnext = dl->hash[h];
	dl->hash[h] = d;
	TAILQ_INSERT_TAIL(&dl->dests, d, link);
	return d;
}

int
dest_direct(const char *name, char *host, size_t size, int *port)
{
	const char *close;
	long p = 25;
	size_t n;

	if (name[0] != '[' || (close = strchr(name, ']')) == NULL)
		return -1;
	n = (size_t)(close - name - 1);
	if (n == 0 || n >= size)
		return -1;
	memcpy(host, name + 1, n);
	host[n] = '\0';
	if (close[1] == ':') {
		if (str_to_long(close + 2, 1, 65535, &p) < 0)
			return -1;
	} else if (close[1] != '\0') {
		return -1;
	}
	*port = (int)p;
	return 0;
}

void
dest_wakeup(struct dest *d)
{
	if (!event_pending(d->wake, EV_TIMEOUT, NULL))
		event_active(d->wake, EV_TIMEOUT, 0);
}

struct dest *
dest_place(struct delivery *dl, struct rcpt *r)
{
	struct dest *d = dest_get(dl, r->dest);
	time_t now = time(NULL);

	if (d->tdc) {
		/* routed and resolved as the intake's domain (custom ones share it) */
		const char *at = strrchr(r->addr, '@');

		if (at && strcasecmp(d->domain, at + 1) != 0) {
			str_copy(d->domain, at + 1, sizeof(d->domain));
			d->cands_expire = 0;
		}
	}
	if (r->entered == 0)
		r->entered = now;
	if (r->next_try > now) {
		TAILQ_INSERT_TAIL(&d->waiting, r, link);
		d->nwaiting++;
	} else {
		TAILQ_INSERT_TAIL(&d->ready, r, link);
		d->nready++;
	}
	return d;
}

void
dest_wait(struct dest *d, struct rcpt *r)
{
	TAILQ_INSERT_TAIL(&d->waiting, r, link);
	d->nwaiting++;
}

void
dest_enqueue(struct delivery *dl, struct rcpt **rcpts, int n)
{
	for (int i = 0; i < n; i++) {
		if (dl->gw->paused) {
			TAILQ_INSERT_TAIL(&dl->workq, rcpts[i], link);
			dl->nworkq++;
			continue;
		}
		dest_wakeup(dest_place(dl, rcpts[i]));
	}
}

void
dest_publish(struct dest *d)
{
	if (d->published != d->nconns) {
		qwriter_conns(d->dl->gw->qw, d->name, d->nconns);
		d->published = d->nconns;
	}
}

time_t
dest_age(const struct rcpt *r, time_t now)
{
	return r->entered ? now - r->entered : 0;
}

void
dest_free_all(struct delivery *dl)
{
	struct dest *d;
	struct rcpt *r;

	while ((d = TAILQ_FIRST(&dl->dests)) != NULL) {
		while ((r = TAILQ_FIRST(&d->ready)) != NULL) {
			TAILQ_REMOVE(&d->ready, r, link);
			rcpt_free(r);
		}
		while ((r = TAILQ_FIRST(&d->waiting)) != NULL) {
			TAILQ_REMOVE(&d->waiting, r, link);
			rcpt_free(r);
		}
		TAILQ_REMOVE(&dl->dests, d, link);
		event_free(d->wake);
		free(d->cands);
		free(d);
	}
	while ((r = TAILQ_FIRST(&dl->workq)) != NULL) {
		TAILQ_REMOVE(&dl->workq, r, link);
		rcpt_free(r);
	}
	dl->nworkq = 0;
}
