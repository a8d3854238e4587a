/*
 * csnd.c - Cisco Success Network telemetry in mxgated (see csnd.h): one
 * thread that sends the payload of mail/csn.c on a schedule and on the
 * shell's request, and the loop-side pieces it hands log lines to.
 *
 * The thread owns its config.db (STORE_RUNNING: the committed
 * configuration, the registration) and queue.db connections and a copy
 * of the settings it needs, taken by csnd_reconfigure on the loop thread.
 * It sleeps on a condition variable until the next send, or until a
 * request, a reconfiguration or csnd_stop.
 *
 * Schedule: CSN "on" = cloud.enabled and cloud.csn committed. Turned on
 * by a commit: send at once. On at start-up: at the next send the last
 * run planned (CSN_STATE_NEXT), if that is within an interval, else at
 * once. After a success: an interval later (a shorter interval committed
 * meanwhile takes effect at once); after a failure: cloud.csn_retry
 * later. A `csn send` that succeeds leaves the plan alone; one that fails
 * brings the next try forward to cloud.csn_retry at most. Turned off:
 * nothing is planned, nothing is sent, and a request is answered with why
 * not. Not being registered is a failure like any other (logged, tried
 * again) but sends nothing. The plan is wall-clock (kept across restarts);
 * the sleeps are CLOCK_MONOTONIC and at most an hour.
 *
 * Nothing leaves after a commit turning CSN off: the thread checks under
 * the mutex, just before each send, that no newer configuration is
 * waiting, and that commit (or csnd_stop) raises abort_send, which ends a
 * transfer in flight (hreq's abort); a request is served again under the
 * new configuration, and at stop answered "mxgated is stopping".
 *
 * DIAGNOSTICS: see csnd.h; store errors as Warnings in mail_logs.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "daemon/csnd.h"
#include "daemon/qwriter.h"
#include "mail/cloudconf.h"
#include "mail/csn.h"
#include "net/cloudsvc.h"
#include "store/cloud.h"
#include "store/queue.h"
#include "store/store.h"
#include "util/str.h"

#define CSND_TOKEN_MAX 20		/* digits of a request's token */
#define CSND_AGAIN (-3)			/* send_once: not sent, the configuration changed or stop */
#define CSND_WAIT_MAX 3600		/* longest sleep: a changed wall clock is seen within it */
#define CSND_STOPPING "error=mxgated is stopping: telemetry not sent"

/* What the thread needs of a configuration, copied on the loop thread. */
struct cconf {
	int on;				/* cloud.enabled && cloud.csn */
	int cloud;			/* cloud.enabled (for the refusal's words) */
	char url[1001];			/* cloud.csn_url, "" the registration server's */
	int interval;			/* cloud.csn_interval */
	int retry;			/* cloud.csn_retry */
	char *ca_pem;			/* CA bundle, "" the system's */
};

/* A log line for the loop. */
struct line {
	enum logfile_level level;
	char *text;
	struct line *next;
};

/* A "csnsend" request waiting for the thread. */
struct req {
	char token[CSND_TOKEN_MAX + 1];
	struct req *next;
};

struct csnd {
	struct gw *gw;
	char *dir;			/* data directory */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* under mu */
	int stop;
	int broken;			/* the thread could not open the stores: it sends nothing */
	struct cconf *newconf;		/* from csnd_reconfigure, not yet taken */
	struct req *reqs, **rtail;	/* requests, oldest first */
	struct req *orphans;		/* requests the broken thread leaves to the loop */
	volatile int abort_send;	/* ends a transfer in flight (hreq's abort): set
					 * by a commit turning CSN off and by csnd_stop,
					 * cleared when the thread takes a configuration */
	struct line *lines, **ltail;	/* for the loop */
	/* the loop's */
	struct event *ev;		/* drains lines */
	/* the thread's */
	struct cconf *cf;
	struct store *st;
	struct queue *q;
	int started;			/* the first configuration was taken */
	time_t next_send;		/* 0 while off */
};

/* ---------------------------------------------------------- configuration copies */

/* cconf_new - the copy of c the thread works with */
static struct cconf *
cconf_new(const struct conf *c)
{
	struct cconf *r = xcalloc(1, sizeof(*r));

	r->cloud = c->cloud_enabled != 0;
	r->on = c->cloud_enabled && c->cloud_csn;
	str_copy(r->url, c->cloud_csn_url, sizeof(r->url));
	r->interval = c->cloud_csn_interval > 0 ? c->cloud_csn_interval : 86400;
	r->retry = c->cloud_csn_retry > 0 ? c->cloud_csn_retry : 3600;
	r->ca_pem = str_dup(c->ca_pem ? c->ca_pem : "");
	return r;
}

/* cconf_free - release a copy */
static void
cconf_free(struct cconf *r)
{
	if (r == NULL)
		return;
	free(r->ca_pem);
	free(r);
}

/* ---------------------------------------------------------- to the loop */

/* say - a mail_logs line, written by the loop */
static void say(struct csnd *cd, enum logfile_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(struct csnd *cd, enum logfile_level level, const char *fmt, ...)
{
	struct line *l = xcalloc(1, sizeof(*l));
	va_list ap;

	va_start(ap, fmt);
	l->text = str_vprintf(fmt, ap);
	va_end(ap);
	l->level = level;
	pthread_mutex_lock(&cd->mu);
	*cd->ltail = l;
	cd->ltail = &l->next;
	pthread_mutex_unlock(&cd->mu);
	event_active(cd->ev, EV_READ, 0);
}

/* refuse - the loop's answer to request token while the thread cannot send */
static void
refuse(struct gw *gw, const char *token)
{
	char name[64];

	str_fmt(name, sizeof(name), "%s%s", CSN_ANSWER_PREFIX, token);
	qwriter_state(gw->qw, name, "error=the telemetry thread of mxgated is not running "
				    "(see mail_logs)");
}

/* drain - the thread's log lines and orphaned requests, on the loop */
static void
drain(evutil_socket_t fd, short what, void *arg)
{
	struct csnd *cd = arg;
	struct line *l, *next;
	struct req *r, *rn;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&cd->mu);
	l = cd->lines;
	cd->lines = NULL;
	cd->ltail = &cd->lines;
	r = cd->orphans;
	cd->orphans = NULL;
	pthread_mutex_unlock(&cd->mu);
	for (; r; r = rn) {
		rn = r->next;
		refuse(cd->gw, r->token);
		free(r);
	}
	for (; l; l = next) {
		next = l->next;
		gw_logl(cd->gw, l->level, "%s", l->text);
		free(l->text);
		free(l);
	}
}

/* ---------------------------------------------------------- the thread */

/* state_set - a queue_state row, a store failure logged */
static void
state_set(struct csnd *cd, const char *name, const char *value)
{
	char *cause = NULL, t[300];

	if (queue_state_set(cd->q, name, value, &cause) < 0) {
		say(cd, LOGFILE_WARNING, "CSN: cannot record %s: %s", name,
		    gw_safe(cause, t, sizeof(t)));
		free(cause);
	}
}

/* plan - the next send at when, kept for status and for the next start */
static void
plan(struct csnd *cd, time_t when)
{
	char text[32];

	cd->next_send = when;
	str_fmt(text, sizeof(text), "%lld", (long long)when);
	state_set(cd, CSN_STATE_NEXT, text);
}

/* why_off - why nothing is sent under cf, or NULL when CSN is on */
static const char *
why_off(const struct cconf *cf)
{
	if (!cf->cloud)
		return "the Cisco Cloud Service is not enabled";
	if (!cf->on)
		return "Cisco Success Network telemetry is not enabled";
	return NULL;
}

/*
 * send_once - build and send the payload now: 0 sent (*bytes, url), -1
 * not sent with *cause; the registration's contact recorded either way
 */
static int
send_once(struct csnd *cd, char *url, size_t usize, size_t *bytes, char **cause)
{
	struct cloud_reg reg = { 0 };
	struct csn_payload p;
	char base[1024], *json, *e2 = NULL;
	int rc;

	rc = cloud_get(cd->st, &reg, cause);
	if (rc < 0) {
		char *why = str_printf("cannot read the registration: %s", *cause);

		free(*cause);
		*cause = why;
		return -1;
	}
	if (rc == 0) {
		*cause = str_dup("the gateway is not registered with the Cisco Cloud Service");
		return -1;
	}
	if (cd->cf->url[0] != '\0') {
		str_copy(url, cd->cf->url, usize);
	} else if (cloud_register_url(reg.server, base, sizeof(base)) < 0 ||
	    str_fmt(url, usize, "%s%s", base, CLOUD_CSN_PATH) < 0) {
		*cause = str_dup("the registration names no usable server");
		cloud_reg_free(&reg);
		return -1;
	}
	if (csn_collect(cd->st, cd->q, cd->dir, &reg, &p, cause) < 0) {
		char *why = str_printf("cannot build the payload: %s", *cause);

		free(*cause);
		*cause = why;
		cloud_reg_free(&reg);
		return -1;
	}
	json = csn_json(&p);
	*bytes = strlen(json);
	/* the last moment a commit or csnd_stop can still keep it from leaving */
	pthread_mutex_lock(&cd->mu);
	if (cd->stop || cd->newconf != NULL || cd->abort_send) {
		pthread_mutex_unlock(&cd->mu);
		free(json);
		cloud_reg_free(&reg);
		return CSND_AGAIN;
	}
	pthread_mutex_unlock(&cd->mu);
	rc = cloudsvc_send(url, &reg, json, cd->cf->ca_pem, &cd->abort_send, cause);
	free(json);
	cloud_reg_free(&reg);
	pthread_mutex_lock(&cd->mu);
	if (rc < 0 && cd->abort_send) {
		/* ended by a commit turning CSN off or by csnd_stop: not a failure */
		pthread_mutex_unlock(&cd->mu);
		free(*cause);
		*cause = NULL;
		return CSND_AGAIN;
	}
	pthread_mutex_unlock(&cd->mu);
	if (cloud_contact(cd->st, time(NULL), rc < 0 ? *cause : NULL, &e2) < 0) {
		char t[300];

		say(cd, LOGFILE_WARNING, "CSN: cannot record the contact with the cloud: %s",
		    gw_safe(e2, t, sizeof(t)));
		free(e2);
	}
	return rc < 0 ? -1 : 0;
}

/*
 * attempt - send now; for the schedule (manual 0) plan the next one, for
 * a request (manual 1) put its answer into *ans (malloc'd). A manual
 * success leaves the daily plan where it is; a failure, manual or not,
 * brings the next try to cloud.csn_retry from now at the latest.
 * CSND_AGAIN: nothing was sent or recorded (see send_once), else 0.
 */
static int
attempt(struct csnd *cd, int manual, char **ans)
{
	char url[1100], *cause = NULL, t[300], u[300], text[700];
	size_t bytes = 0;
	time_t now;
	int rc;

	rc = send_once(cd, url, sizeof(url), &bytes, &cause);
	if (rc == CSND_AGAIN)
		return CSND_AGAIN;
	now = time(NULL);
	if (rc == 0) {
		say(cd, LOGFILE_INFO, "CSN: telemetry sent to %s (%zu bytes)",
		    gw_safe(url, u, sizeof(u)), bytes);
		str_fmt(text, sizeof(text), "%lld", (long long)now);
		state_set(cd, CSN_STATE_LAST, text);
		if (!manual)
			plan(cd, now + cd->cf->interval);
		if (ans)
			*ans = str_printf("sent %zu %s", bytes, url);
		return 0;
	}
	if (!manual || cd->next_send == 0 || cd->next_send > now + cd->cf->retry)
		plan(cd, now + cd->cf->retry);
	gw_safe(cause, t, sizeof(t));
	say(cd, LOGFILE_WARNING, "CSN: telemetry not sent: %s; next try in %lld seconds", t,
	    (long long)(cd->next_send > now ? cd->next_send - now : 0));
	str_fmt(text, sizeof(text), "%lld %s", (long long)now, t);
	state_set(cd, CSN_STATE_ERROR, text);
	if (ans)
		*ans = str_printf("error=%s", t);
	free(cause);
	return 0;
}

/* answer - the reply to request token */
static void
answer(struct csnd *cd, const char *token, const char *text)
{
	char name[64];

	str_fmt(name, sizeof(name), "%s%s", CSN_ANSWER_PREFIX, token);
	state_set(cd, name, text);
}

/* take_conf - a new configuration: start or stop the schedule */
static void
take_conf(struct csnd *cd, struct cconf *c)
{
	time_t now = time(NULL);
	int was = cd->started && cd->cf->on, first = !cd->started;
	char *cause = NULL;

	cconf_free(cd->cf);
	cd->cf = c;
	cd->started = 1;
	if (!c->on) {
		if (was || first) {
			cd->next_send = 0;
			if (queue_state_delete(cd->q, CSN_STATE_NEXT, &cause) < 0)
				free(cause);	/* status would show a stale plan: not worth more */
		}
		if (was)
			say(cd, LOGFILE_INFO, "CSN: Cisco Success Network telemetry stopped");
		return;
	}
	if (!was) {
		time_t when = now;
		char *v = queue_state_get(cd->q, CSN_STATE_NEXT);

		/* at start-up the plan of the last run stands: a restart is not a send */
		if (first && v) {
			long long n = strtoll(v, NULL, 10);

			if (n > now && n <= now + c->interval)
				when = (time_t)n;
		}
		free(v);
		say(cd, LOGFILE_INFO, "CSN: Cisco Success Network telemetry started (every %d "
				      "seconds)", c->interval);
		plan(cd, when);
	} else if (cd->next_send > now + c->interval) {
		plan(cd, now + c->interval);	/* a shorter interval takes effect now */
	}
}

/* mono_now - the monotonic clock, for waits a changed wall clock must not stretch */
static struct timespec
mono_now(void)
{
	struct timespec ts = { 0 };

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

/*
 * serve - answer request r under the configuration taken: CSND_AGAIN when
 * the configuration changed (or stop) before anything left, so that r is
 * served again under the new one
 */
static int
serve(struct csnd *cd, struct req *r)
{
	char *ans = NULL;

	if (why_off(cd->cf) != NULL) {
		ans = str_printf("error=%s", why_off(cd->cf));
	} else if (attempt(cd, 1, &ans) == CSND_AGAIN) {
		return CSND_AGAIN;
	}
	answer(cd, r->token, ans);
	free(ans);
	return 0;
}

/*
 * run - the thread. One request or one due send per turn, each under the
 * newest configuration: a commit between two requests is taken before
 * the second, and one during a send ends it (send_once).
 */
static void *
run(void *arg)
{
	struct csnd *cd = arg;
	char *cause = NULL, t[300];
	struct req *cur = NULL;
	int ok = 1;

	if (queue_open(cd->dir, &cd->q, &cause) < 0 ||
	    store_open(cd->dir, STORE_RUNNING, &cd->st, &cause) < 0) {
		say(cd, LOGFILE_WARNING, "CSN: telemetry not started: %s",
		    gw_safe(cause, t, sizeof(t)));
		free(cause);
		ok = 0;
	}
	pthread_mutex_lock(&cd->mu);
	cd->broken = !ok;	/* from now on requests are answered by the loop */
	if (!ok) {
		/* those that came before: the loop answers them too (drain) */
		cd->orphans = cd->reqs;
		cd->reqs = NULL;
		cd->rtail = &cd->reqs;
		pthread_mutex_unlock(&cd->mu);
		event_active(cd->ev, EV_READ, 0);
		pthread_mutex_lock(&cd->mu);
		while (!cd->stop)
			pthread_cond_wait(&cd->cv, &cd->mu);
		pthread_mutex_unlock(&cd->mu);
		return NULL;
	}
	while (!cd->stop) {
		struct cconf *nc = cd->newconf;
		struct timespec dl;
		time_t now, wait;

		cd->newconf = NULL;
		if (nc)
			cd->abort_send = 0;	/* any send it ended has returned */
		if (cur == NULL && cd->reqs != NULL) {
			cur = cd->reqs;
			cd->reqs = cur->next;
			if (cd->reqs == NULL)
				cd->rtail = &cd->reqs;
		}
		pthread_mutex_unlock(&cd->mu);
		if (nc)
			take_conf(cd, nc);
		if (cur != NULL) {
			if (serve(cd, cur) == 0) {
				free(cur);
				cur = NULL;
			}
			pthread_mutex_lock(&cd->mu);
			continue;
		}
		if (cd->cf->on && cd->next_send && time(NULL) >= cd->next_send)
			(void)attempt(cd, 0, NULL);	/* CSND_AGAIN: the next turn decides */
		now = time(NULL);
		wait = CSND_WAIT_MAX;
		if (cd->cf->on && cd->next_send && cd->next_send - now < wait)
			wait = cd->next_send > now ? cd->next_send - now : 0;
		dl = mono_now();
		dl.tv_sec += wait;
		pthread_mutex_lock(&cd->mu);
		while (!cd->stop && cd->reqs == NULL && cd->newconf == NULL)
			if (pthread_cond_timedwait(&cd->cv, &cd->mu, &dl) != 0)
				break;	/* ETIMEDOUT: the plan is looked at again */
	}
	/* stopping: what is still asked is answered, nothing more is sent */
	if (cur == NULL) {
		cur = cd->reqs;
	} else {
		cur->next = cd->reqs;
	}
	cd->reqs = NULL;
	cd->rtail = &cd->reqs;
	pthread_mutex_unlock(&cd->mu);
	while (cur) {
		struct req *rn = cur->next;

		answer(cd, cur->token, CSND_STOPPING);
		free(cur);
		cur = rn;
	}
	store_close(cd->st);
	queue_close(cd->q);
	return NULL;
}

/* ---------------------------------------------------------- the loop's interface */

/* csnd_free - release it (the thread has ended) */
static void
csnd_free(struct csnd *cd)
{
	while (cd->reqs) {
		struct req *r = cd->reqs;

		cd->reqs = r->next;
		free(r);
	}
	while (cd->orphans) {
		struct req *r = cd->orphans;

		cd->orphans = r->next;
		free(r);
	}
	cconf_free(cd->cf);
	cconf_free(cd->newconf);
	pthread_mutex_destroy(&cd->mu);
	pthread_cond_destroy(&cd->cv);
	free(cd->dir);
	free(cd);
}

/* csnd_start - see csnd.h */
struct csnd *
csnd_start(struct gw *gw, char **cause)
{
	struct csnd *cd = xcalloc(1, sizeof(*cd));
	pthread_condattr_t ca;
	int rc;

	cd->gw = gw;
	cd->dir = str_dup(gw->dir);
	pthread_mutex_init(&cd->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cd->cv, &ca);
	pthread_condattr_destroy(&ca);
	cd->ltail = &cd->lines;
	cd->rtail = &cd->reqs;
	cd->ev = event_new(gw->base, -1, 0, drain, cd);
	if (cd->ev == NULL)
		abort();
	cd->newconf = cconf_new(gw->conf);	/* taken at the first turn */
	rc = pthread_create(&cd->th, NULL, run, cd);
	if (rc != 0) {
		*cause = str_printf("cannot start the telemetry thread: %s", strerror(rc));
		event_free(cd->ev);
		csnd_free(cd);
		return NULL;
	}
	return cd;
}

/* csnd_reconfigure - see csnd.h */
void
csnd_reconfigure(struct csnd *cd, const struct conf *c)
{
	struct cconf *nc = cconf_new(c), *old;

	pthread_mutex_lock(&cd->mu);
	old = cd->newconf;
	cd->newconf = nc;
	if (!nc->on)
		cd->abort_send = 1;	/* a send in flight under the old one ends */
	pthread_cond_broadcast(&cd->cv);
	pthread_mutex_unlock(&cd->mu);
	cconf_free(old);
}

/* token_ok - the shell's random number: digits only */
static int
token_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > CSND_TOKEN_MAX)
		return 0;
	return strspn(t, "0123456789") == n;
}

/* csnd_request - see csnd.h */
void
csnd_request(struct gw *gw, struct csnd *cd, const char *arg)
{
	struct req *r;
	int broken = 0;

	if (!token_ok(arg)) {
		gw_logl(gw, LOGFILE_WARNING, "CSN: send request without a valid token ignored");
		return;
	}
	if (cd != NULL) {
		pthread_mutex_lock(&cd->mu);
		broken = cd->broken;
		pthread_mutex_unlock(&cd->mu);
	}
	if (cd == NULL || broken) {
		refuse(gw, arg);
		return;
	}
	r = xcalloc(1, sizeof(*r));
	str_copy(r->token, arg, sizeof(r->token));
	pthread_mutex_lock(&cd->mu);
	*cd->rtail = r;
	cd->rtail = &r->next;
	pthread_cond_broadcast(&cd->cv);
	pthread_mutex_unlock(&cd->mu);
}

/* csnd_stop - see csnd.h */
void
csnd_stop(struct csnd *cd)
{
	if (cd == NULL)
		return;
	pthread_mutex_lock(&cd->mu);
	cd->stop = 1;
	cd->abort_send = 1;	/* a send in flight ends: shutting down does not wait 20 s */
	pthread_cond_broadcast(&cd->cv);
	pthread_mutex_unlock(&cd->mu);
	pthread_join(cd->th, NULL);
	drain(-1, 0, cd);	/* the last log lines */
	event_free(cd->ev);
	csnd_free(cd);
}
