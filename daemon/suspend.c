/*
 * suspend.c - suspended listeners and suspended delivery in mxgated.
 *
 * The state lives in queue.db (state "suspend.listeners": listener names
 * separated by commas, or "*" for all; "suspend.delivery": destination
 * queue names — domains, the.tdc.queue, [HOST]:PORT — or "*"), so that
 * it survives a restart as AsyncOS keeps suspensions across reboots. mxsh
 * writes it, then leaves a request (control.c) so that a running daemon
 * reads it again at once; suspend_load reads it at start-up before any
 * listener accepts or destination delivers.
 *
 * A suspended listener still accepts connections: smtpd.c answers new
 * sessions with 421 and closes them; sessions already open go on. A
 * suspended destination opens no connection and starts no transaction
 * (delivery.c, mta.c ask suspend_delivery_held): its recipients stay
 * queued, deliverynow included; a transaction already under way ends
 * as usual. Resuming wakes every destination, so delivery starts at once.
 *
 * The daemon is one process with one state: it is kept here, in two
 * strings read from queue.db.
 *
 * A row that cannot be read is never taken for "nothing suspended" (that
 * would deliver mail an operator held back): after a request the lists
 * read before stay as they are; at start-up, with nothing read before,
 * receiving and delivery are held (fail closed: new sessions get 421,
 * mail stays queued) until the rows can be read. Either way a warning is
 * logged and the rows are read again every SUSPEND_RETRY_SECS seconds
 * until they can be.
 *
 * A request taken at start that was made while mxgated was stopped (its
 * argument "COMMAND USER TIME ITEMS" carries when, in milliseconds) is
 * logged as such: its state was already read by suspend_load.
 *
 * DIAGNOSTICS: mail_logs lines ("Listener X suspended by suspendlistener
 * (admin)", "Delivery suspended for example.com by suspenddel (admin)",
 * "... (while mxgated was stopped)", and at start what is still
 * suspended); a warning when the rows cannot be read, and a line when
 * they can again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>

#include "daemon/dest.h"
#include "daemon/gw.h"
#include "daemon/suspend.h"
#include "store/queue.h"
#include "util/str.h"

#define SUSPEND_LISTENERS "suspend.listeners"
#define SUSPEND_DELIVERY "suspend.delivery"

/* Reading the rows again after a failure, every so often. */
#define SUSPEND_RETRY_SECS 5

/* What is suspended: malloc'd comma lists, "" nothing, "*" everything. */
static char *held_listeners;
static char *held_delivery;
/* The retry after a failed read (pending while the rows cannot be read). */
static struct event *retry_ev;
/* When suspend_load read the rows (ms since the epoch): older requests were in them. */
static long long loaded_ms;

/* list_has - does the comma list name this item (case-insensitive), or is it "*"? */
static int
list_has(const char *list, const char *name)
{
	size_t n = strlen(name);

	if (list == NULL || *list == '\0')
		return 0;
	if (strcmp(list, "*") == 0)
		return 1;
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == n && strncasecmp(p, name, n) == 0)
			return 1;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return 0;
}

static int reload(struct gw *gw);
static void wake_all(struct gw *gw);
static void log_state(struct gw *gw, const char *when);

/* on_retry - the rows could not be read: try again; then deliver what is no longer held */
static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct gw *gw = arg;

	(void)fd;
	(void)what;
	if (reload(gw) == 0) {
		gw_log(gw, "The suspensions can be read again");
		log_state(gw, "now");
		wake_all(gw);
	}
}

/*
 * reload - read both lists from queue.db (absent: nothing suspended);
 * -1 when they cannot be read: the lists stay as they were, a warning is
 * logged and a retry is set
 */
static int
reload(struct gw *gw)
{
	char *l = NULL, *d = NULL, *cause = NULL;
	struct timeval tv = { SUSPEND_RETRY_SECS, 0 };

	if (queue_state_read(gw->q, SUSPEND_LISTENERS, &l, &cause) < 0 ||
	    queue_state_read(gw->q, SUSPEND_DELIVERY, &d, &cause) < 0) {
		gw_logl(gw, LOGFILE_WARNING, "Cannot read the suspensions (%.200s): %s kept; "
		    "trying again in %d seconds", cause,
		    held_listeners ? "the previous ones are" :
				     "receiving and delivery are held until then, they are",
		    SUSPEND_RETRY_SECS);
		free(cause);
		free(l);
		if (retry_ev == NULL)
			retry_ev = evtimer_new(gw->base, on_retry, gw);
		if (retry_ev)
			evtimer_add(retry_ev, &tv);
		return -1;
	}
	free(held_listeners);
	free(held_delivery);
	held_listeners = l ? l : str_dup("");
	held_delivery = d ? d : str_dup("");
	if (retry_ev)
		evtimer_del(retry_ev);
	return 0;
}

int
suspend_listener_held(struct gw *gw, const char *listener)
{
	(void)gw;
	return list_has(held_listeners, listener);
}

int
suspend_delivery_held(struct gw *gw, const char *dest)
{
	(void)gw;
	return list_has(held_delivery, dest);
}

/* wake_all - every destination not held runs its scheduler: delivery starts at once */
static void
wake_all(struct gw *gw)
{
	struct dest *d;

	if (gw->dl == NULL)
		return;
	TAILQ_FOREACH(d, &gw->dl->dests, link)
		if (d->nready > 0 && !list_has(held_delivery, d->name))
			dest_wakeup(d);
}

/* log_state - what is suspended, "(WHEN)" after each line */
static void
log_state(struct gw *gw, const char *when)
{
	if (strcmp(held_listeners, "*") == 0)
		gw_log(gw, "Receiving suspended for all listeners (%s)", when);
	else if (*held_listeners)
		gw_log(gw, "Receiving suspended for listeners %.1000s (%s)", held_listeners, when);
	if (strcmp(held_delivery, "*") == 0)
		gw_log(gw, "Delivery suspended for ALL (%s)", when);
	else if (*held_delivery)
		gw_log(gw, "Delivery suspended for %.1000s (%s)", held_delivery, when);
}

/* now_ms - the wall clock in milliseconds (the shell stamps its requests so) */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
suspend_load(struct gw *gw)
{
	loaded_ms = now_ms();
	if (reload(gw) < 0) {
		/* nothing read before: hold everything until the rows can be read */
		held_listeners = str_dup("*");
		held_delivery = str_dup("*");
		return;
	}
	log_state(gw, "kept from before the start");
}

/*
 * log_items - one line per item of the comma list (ALL: per listener);
 * late: made while mxgated was stopped (replayed at its start)
 */
static void
log_items(struct gw *gw, int listener, int suspended, const char *items, const char *cmd,
    const char *user, int late)
{
	const char *tail = late ? " (while mxgated was stopped)" : "";
	const char *what = suspended ? "suspended" : "resumed";
	char **v;
	int n;

	if (listener && strcmp(items, "ALL") == 0) {
		for (int i = 0; i < gw->conf->nlisteners; i++)
			gw_log(gw, "Listener %s %s by %s (%s)%s", gw->conf->listeners[i].name, what,
			    cmd, user, tail);
		return;
	}
	v = str_split(items, ',', &n);
	for (int i = 0; i < n; i++) {
		char safe[256];

		gw_safe(v[i], safe, sizeof(safe));
		if (listener)
			gw_log(gw, "Listener %s %s by %s (%s)%s", safe, what, cmd, user, tail);
		else
			gw_log(gw, "Delivery %s for %s by %s (%s)%s", what, safe, cmd, user, tail);
	}
	str_split_free(v);
}

void
suspend_request(struct gw *gw, const char *verb, const char *arg)
{
	int listener = strstr(verb, "listener") != NULL;
	int suspended = strncmp(verb, "suspend", 7) == 0;
	char cmd[32], user[64], safe_cmd[64], safe_user[128];
	long long when = 0;
	int off = 0;

	reload(gw);	/* on failure: the lists stay, warned, retried */
	if (sscanf(arg, "%31s %63s %lld %n", cmd, user, &when, &off) != 3 || off == 0 ||
	    arg[off] == '\0') {
		gw_logl(gw, LOGFILE_WARNING, "%s request not understood: %.200s", verb, arg);
	} else {
		gw_safe(cmd, safe_cmd, sizeof(safe_cmd));
		gw_safe(user, safe_user, sizeof(safe_user));
		log_items(gw, listener, suspended, arg + off, safe_cmd, safe_user,
		    when < loaded_ms);
	}
	if (!listener && !suspended)
		wake_all(gw);
}
