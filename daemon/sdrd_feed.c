/*
 * sdrd_feed.c - Sender Domain Reputation's external threat feeds in
 * mxgated: polling the TAXII 2.1 collections and the in-memory copy of
 * their indicators that lookups read (sdrd.c).
 *
 * Each configured collection is polled every sdr.feed_interval (the first
 * poll SDRD_FEED_FIRST_DELAY seconds after start or after the feed is
 * added, unless queue.db says one was made less than an interval ago)
 * and on sdrd_update: GET OBJECTS-URL?match[type]=indicator&added_after=
 * X with Accept: application/taxii+json;version=2.1 (TAXII 2.1 5.4),
 * following more/next for at most SDRD_FEED_MAX_PAGES pages (the rest
 * comes at a poll soon after, from the X-TAXII-Date-Added-Last reached),
 * then one transaction into queue.db (store/sdrfeed.h) and a reload of
 * the copy. A forced poll asks from the start and replaces the feed's
 * indicators with what the collection holds. One poll per feed at a time:
 * an sdrupdate during a poll makes another follow it.
 *
 * A feed removed from the configuration loses its stored indicators and
 * state; one whose URL changed is a new feed under the old name.
 *
 * The copy holds the indicators that are not valid yet too (STIX
 * valid_from in the future): sdrd.c compares valid_from and valid_until
 * with the time of each lookup, so one starts counting when its time
 * comes, without waiting for a poll.
 *
 * DIAGNOSTICS: "SDR: external threat feed NAME: N indicators added, M
 * removed" (Info) after a poll; "SDR: external threat feed NAME: update
 * failed: REASON" (Warning), REASON made printable and cut (gw_safe), and
 * the same reason in the feed's state (sdrstatus). The feed URL is never
 * logged: it may hold credentials.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "daemon/gw.h"
#include "daemon/sdrd_int.h"
#include "net/http.h"
#include "store/sdrfeed.h"
#include "util/str.h"

#define SDRD_FEED_TIMEOUT_MS 120000	/* one TAXII page */
#define SDRD_FEED_MAX_PAGES 100		/* pages per poll (the rest at the next poll) */
#define SDRD_FEED_MAX_INDICATORS 1000000	/* indicators per poll */
#define SDRD_FEED_FIRST_DELAY 5		/* seconds from start (or a new feed) to its first poll */
#define SDRD_TAXII_ACCEPT "application/taxii+json;version=2.1"

/* mind_cb - sdrfeed_all: one indicator into the copy */
static void
mind_cb(const struct sdr_indicator *ind, const char *feed, void *arg)
{
	struct sdrd *s = arg;
	struct mind *m;

	if (s->nmind == s->capmind) {
		s->capmind = s->capmind ? s->capmind * 2 : 256;
		s->mind = xrealloc(s->mind, (size_t)s->capmind * sizeof(*s->mind));
	}
	m = &s->mind[s->nmind++];
	memset(m, 0, sizeof(*m));
	str_copy(m->domain, ind->domain, sizeof(m->domain));
	str_copy(m->feed, feed, sizeof(m->feed));
	str_copy(m->id, ind->id, sizeof(m->id));
	m->verdict = ind->verdict;
	str_copy(m->category, ind->category, sizeof(m->category));
	m->valid_from = ind->valid_from;
	m->valid_until = ind->valid_until;
}

/* mind_reload - the in-memory copy of the stored indicators, afresh */
static void
mind_reload(struct sdrd *s)
{
	struct mind *old = s->mind;
	int nold = s->nmind;
	char *cause = NULL;

	int capold = s->capmind;

	s->mind = NULL;
	s->nmind = s->capmind = 0;
	if (sdrfeed_all(s->gw->q, time(NULL), mind_cb, s, &cause) < 0) {
		gw_logl(s->gw, LOGFILE_WARNING, "SDR: cannot read the feeds' indicators: %s", cause);
		free(cause);
		free(s->mind);
		s->mind = old;	/* keep what we had */
		s->nmind = nold;
		s->capmind = capold;
		return;
	}
	free(old);
}

/* feed_find - a configured feed by name */
static struct feed *
feed_find(struct sdrd *s, const char *name)
{
	struct feed *f;

	TAILQ_FOREACH(f, &s->feeds, entry)
		if (!f->removed && strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static void feed_poll(struct feed *f, int force);

/* feed_free - release a feed (not polling) */
static void
feed_free(struct sdrd *s, struct feed *f)
{
	TAILQ_REMOVE(&s->feeds, f, entry);
	free(f->ind);
	free(f);
}

/* feed_end - a poll is over: schedule the next */
static void
feed_end(struct feed *f, time_t next)
{
	struct sdrd *s = f->s;

	free(f->ind);
	f->ind = NULL;
	f->nind = f->capind = 0;
	f->polling = 0;
	f->next = next;
	if (f->removed) {
		feed_free(s, f);
		return;
	}
	if (f->again) {
		int force = f->again_force;

		f->again = f->again_force = 0;
		feed_poll(f, force);
	}
}

/* feed_fail - a poll failed: tell, record, schedule */
static void
feed_fail(struct feed *f, const char *why)
{
	struct sdrd *s = f->s;
	char safe[256], *cause = NULL;
	time_t now = time(NULL);

	gw_safe(why, safe, sizeof(safe));
	gw_logl(s->gw, LOGFILE_WARNING, "SDR: external threat feed %s: update failed: %s", f->name,
	    safe);
	if (!f->removed && sdrfeed_failed(s->gw->q, f->name, now, safe, &cause) < 0) {
		gw_logl(s->gw, LOGFILE_WARNING, "SDR: external threat feed %s: %s", f->name, cause);
		free(cause);
	}
	feed_end(f, now + s->feed_interval);
}

/* collect_cb - sdr_stix_envelope: keep an indicator of the poll */
static void
collect_cb(const struct sdr_indicator *ind, void *arg)
{
	struct feed *f = arg;

	if (f->nind >= SDRD_FEED_MAX_INDICATORS) {
		f->toomany = 1;
		return;
	}
	if (f->nind == f->capind) {
		f->capind = f->capind ? f->capind * 2 : 64;
		f->ind = xrealloc(f->ind, (size_t)f->capind * sizeof(*f->ind));
	}
	f->ind[f->nind++] = *ind;
}

static void feed_request(struct feed *f, const char *cursor);

/* feed_store - all pages in: one transaction, a log line, the copy reloaded */
static void
feed_store(struct feed *f, int partial)
{
	struct sdrd *s = f->s;
	struct sdrfeed_poll p;
	char *cause = NULL;
	time_t now = time(NULL);
	int added, removed;

	memset(&p, 0, sizeof(p));
	p.feed = f->name;
	p.force = f->force && !partial;	/* only a whole collection replaces */
	p.ind = f->ind;
	p.nind = f->nind;
	p.added_after = f->last_added;
	p.now = now;
	if (sdrfeed_store(s->gw->q, &p, &added, &removed, &cause) < 0) {
		char why[300];

		str_fmt(why, sizeof(why), "%s", cause);
		free(cause);
		feed_fail(f, why);
		return;
	}
	gw_log(s->gw, "SDR: external threat feed %s: %d indicators added, %d removed", f->name,
	    added, removed);
	mind_reload(s);
	/* cut short by the page limit: the rest (from X-TAXII-Date-Added-Last) soon */
	feed_end(f, now + (partial ? SDRD_FEED_FIRST_DELAY : s->feed_interval));
}

/* feed_page - one page of a poll */
static void
feed_page(const struct http_response *r, void *arg)
{
	struct feed *f = arg;
	struct sdrd *s = f->s;
	char next[1024], why[320], *cause = NULL;
	int more = 0, skipped = 0;

	if (s->freeing) {
		f->polling = 0;
		return;
	}
	if (f->removed) {
		feed_end(f, 0);
		return;
	}
	if (r->error != NULL) {
		feed_fail(f, r->error);
		return;
	}
	if (r->status != 200) {
		str_fmt(why, sizeof(why), "HTTP %d from the TAXII server%s", r->status,
		    r->status == 406 ? " (it refused the TAXII 2.1 media type)" :
		    r->status == 401 || r->status == 403 ? " (credentials refused)" : "");
		feed_fail(f, why);
		return;
	}
	if (sdr_stix_envelope(r->body, r->len, collect_cb, f, &more, next, sizeof(next), &skipped,
	    &cause) < 0) {
		str_fmt(why, sizeof(why), "%s", cause ? cause : "not a TAXII 2.1 envelope");
		free(cause);
		feed_fail(f, why);
		return;
	}
	if (f->toomany) {
		str_fmt(why, sizeof(why), "more than %d indicators in one poll",
		    SDRD_FEED_MAX_INDICATORS);
		feed_fail(f, why);
		return;
	}
	if (r->header[0][0] != '\0')
		str_copy(f->last_added, r->header[0], sizeof(f->last_added));
	f->pages++;
	if (more && next[0] != '\0') {
		if (f->pages < SDRD_FEED_MAX_PAGES) {
			feed_request(f, next);
			return;
		}
		feed_store(f, 1);
		return;
	}
	feed_store(f, 0);
}

/* feed_request - GET one page (cursor: TAXII's next, or NULL for the first) */
static void
feed_request(struct feed *f, const char *cursor)
{
	struct sdrd *s = f->s;
	struct http_request hr;
	char url[4096], esc[1024];
	size_t len;

	len = (size_t)snprintf(url, sizeof(url), "%s%cmatch%%5Btype%%5D=indicator", f->url,
	    strchr(f->url, '?') ? '&' : '?');
	if (f->added_after[0] != '\0' && len < sizeof(url) &&
	    http_query_escape(f->added_after, esc, sizeof(esc)) == 0)
		len += (size_t)snprintf(url + len, sizeof(url) - len, "&added_after=%s", esc);
	if (cursor != NULL && len < sizeof(url)) {
		if (http_query_escape(cursor, esc, sizeof(esc)) < 0) {
			feed_fail(f, "the TAXII next cursor is too long");
			return;
		}
		len += (size_t)snprintf(url + len, sizeof(url) - len, "&next=%s", esc);
	}
	if (len >= sizeof(url)) {
		feed_fail(f, "the page URL is too long");
		return;
	}
	memset(&hr, 0, sizeof(hr));
	hr.url = url;
	hr.accept = SDRD_TAXII_ACCEPT;
	hr.timeout_ms = SDRD_FEED_TIMEOUT_MS;
	hr.max_body = HTTP_MAX_BODY_DEFAULT;
	hr.verify = s->verify_peer;
	hr.ca_pem = s->gw->conf != NULL ? s->gw->conf->ca_pem : NULL;
	hr.capture[0] = "X-TAXII-Date-Added-Last";
	http_get(s->http, &hr, feed_page, f);
}

/* feed_poll - start a poll (force: from the start of the collection) */
static void
feed_poll(struct feed *f, int force)
{
	struct sdrd *s = f->s;
	struct sdrfeed_state st;
	char *cause = NULL;

	if (f->polling) {
		f->again = 1;
		f->again_force |= force;
		return;
	}
	f->polling = 1;
	f->force = force;
	f->pages = 0;
	f->nind = 0;
	f->toomany = 0;
	f->added_after[0] = f->last_added[0] = '\0';
	if (!force) {
		if (sdrfeed_get(s->gw->q, f->name, &st, &cause) < 0) {
			char why[300];

			str_fmt(why, sizeof(why), "%s", cause);
			free(cause);
			feed_fail(f, why);
			return;
		}
		str_copy(f->added_after, st.added_after, sizeof(f->added_after));
	}
	feed_request(f, NULL);
}

/* sdrd_update - poll every feed now */
void
sdrd_update(struct sdrd *s, int force)
{
	struct feed *f, *next;

	if (s->freeing)
		return;
	for (f = TAILQ_FIRST(&s->feeds); f != NULL; f = next) {
		next = TAILQ_NEXT(f, entry);
		if (!f->removed)
			feed_poll(f, force);
	}
}

/* sdrd_feeds_due - start the polls whose time has come */
void
sdrd_feeds_due(struct sdrd *s)
{
	struct feed *f, *next;
	time_t now = time(NULL);

	for (f = TAILQ_FIRST(&s->feeds); f != NULL; f = next) {
		next = TAILQ_NEXT(f, entry);
		if (!f->removed && !f->polling && now >= f->next)
			feed_poll(f, 0);
	}
}

/* feed_first - when a newly configured feed is first polled */
static time_t
feed_first(struct sdrd *s, const char *name)
{
	struct sdrfeed_state st;
	char *cause = NULL;
	time_t now = time(NULL);

	if (sdrfeed_get(s->gw->q, name, &st, &cause) < 0) {
		free(cause);
		return now + SDRD_FEED_FIRST_DELAY;
	}
	/* polled recently (a restart): keep the rhythm */
	if (st.last_poll > 0 && st.last_poll <= now && now - st.last_poll < s->feed_interval)
		return st.last_poll + s->feed_interval;
	return now + SDRD_FEED_FIRST_DELAY;
}

/* stale_cb - sdrfeed_list: a stored feed that is not configured is dropped */
static int
stale_cb(const struct sdrfeed_state *st, void *arg)
{
	struct sdrd *s = arg;
	char *cause = NULL;

	if (feed_find(s, st->feed) != NULL)
		return 0;
	if (sdrfeed_drop(s->gw->q, st->feed, &cause) < 0) {
		gw_logl(s->gw, LOGFILE_WARNING, "SDR: cannot drop removed feed %s: %s", st->feed,
		    cause);
		free(cause);
	}
	return 0;
}

/* sdrd_feeds_conf - follow the configured feeds */
void
sdrd_feeds_conf(struct sdrd *s, const struct sdr_conf *c)
{
	struct feed *f, *next;
	char *cause = NULL;

	for (f = TAILQ_FIRST(&s->feeds); f != NULL; f = next) {
		int keep = 0, moved = 0;

		next = TAILQ_NEXT(f, entry);
		if (f->removed)
			continue;
		for (int i = 0; i < c->nfeeds; i++)
			if (strcmp(c->feeds[i].name, f->name) == 0) {
				keep = strcmp(c->feeds[i].url, f->url) == 0;
				moved = !keep;
			}
		if (keep)
			continue;
		/* gone, or another collection under the same name: its indicators go */
		if (moved && sdrfeed_drop(s->gw->q, f->name, &cause) < 0) {
			gw_logl(s->gw, LOGFILE_WARNING, "SDR: cannot drop feed %s: %s", f->name,
			    cause);
			free(cause);
			cause = NULL;
		}
		if (f->polling)
			f->removed = 1;	/* freed when its poll ends */
		else
			feed_free(s, f);
	}
	for (int i = 0; i < c->nfeeds; i++) {
		if (feed_find(s, c->feeds[i].name) != NULL)
			continue;
		f = xcalloc(1, sizeof(*f));
		f->s = s;
		str_copy(f->name, c->feeds[i].name, sizeof(f->name));
		str_copy(f->url, c->feeds[i].url, sizeof(f->url));
		TAILQ_INSERT_TAIL(&s->feeds, f, entry);
		f->next = feed_first(s, f->name);
	}
	/* stored feeds that are not configured (removed now, or while we were down) */
	if (sdrfeed_list(s->gw->q, stale_cb, s, &cause) < 0) {
		gw_logl(s->gw, LOGFILE_WARNING, "SDR: cannot list the stored feeds: %s", cause);
		free(cause);
	}
	mind_reload(s);
}

/* sdrd_feeds_free - release every feed */
void
sdrd_feeds_free(struct sdrd *s)
{
	struct feed *f;

	while ((f = TAILQ_FIRST(&s->feeds)) != NULL)
		feed_free(s, f);
	free(s->mind);
	s->mind = NULL;
	s->nmind = s->capmind = 0;
}
