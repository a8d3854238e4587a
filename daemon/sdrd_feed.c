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
 * following more/next for at most SDRD_FEED_MAX_PAGES pages, and no more
 * pages once SDRD_FEED_POLL_MAX indicators are in (the rest comes at a
 * poll soon after, from the X-TAXII-Date-Added-Last of the last page
 * taken: nothing is skipped). The poll goes into queue.db
 * (store/sdrfeed.h) SDRD_FEED_CHUNK rows per transaction, one
 * transaction per loop turn (a zero timer between them), so no turn
 * holds the write lock long; the feed's state (added_after) is written
 * with the last part only, so a poll cut short is asked again. A feed
 * holds at most SDRD_FEED_STORED_MAX indicators: new ones past that are
 * refused (a Warning). The copy in memory is then updated from the poll's
 * rows; it is read afresh from queue.db only when the set of feeds (or a
 * URL) changes, after a forced poll and after a failed store. A forced
 * poll asks from the start and replaces the feed's indicators with what
 * the collection holds. One poll per feed at a time: an sdrupdate during
 * a poll makes another follow it.
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
 * the same reason in the feed's state (sdrstatus); "SDR: external threat
 * feed NAME: limit of N indicators reached" (Warning) when new indicators
 * were refused. The feed URL is never logged: it may hold credentials.
 */
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

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
#define SDRD_FEED_MAX_INDICATORS 1000000	/* indicators per poll, whatever the pages */
#define SDRD_FEED_POLL_MAX 20000	/* no more pages once a poll has this many */
#define SDRD_FEED_STORED_MAX 200000	/* indicators stored per feed */
#define SDRD_FEED_CHUNK 2000		/* rows per transaction */
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
	s->reloads++;
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

/* id_cmp - applied rows by id, then by position (the last version of an id is the last of its run) */
static const struct feed *id_feed;

static int
id_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	int c = strcmp(id_feed->ind[x].id, id_feed->ind[y].id);

	return c != 0 ? c : (x > y) - (x < y);
}

static int
id_find(const void *key, const void *elem)
{
	return strcmp(key, id_feed->ind[*(const int *)elem].id);
}

static int
mind_domain_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mind *)a)->domain, ((const struct mind *)b)->domain);
}

/*
 * mind_apply - the copy updated from f's stored poll (f->applied): every
 * id the poll touched loses its old entry; the last version of each that
 * was kept comes in; expired entries go. The new entries are sorted and
 * merged: one pass over the copy, not a reload.
 */
static void
mind_apply(struct sdrd *s, struct feed *f)
{
	int *pos = xcalloc((size_t)f->nind + 1, sizeof(*pos)), npos = 0, nadd = 0, nkeep = 0;
	struct mind *add, *out;
	time_t now = time(NULL);

	for (int i = 0; i < f->nind; i++)
		if (f->applied[i] != 0)
			pos[npos++] = i;
	id_feed = f;
	qsort(pos, (size_t)npos, sizeof(*pos), id_cmp);
	add = xcalloc((size_t)npos + 1, sizeof(*add));
	for (int k = 0; k < npos; k++) {
		const struct sdr_indicator *ind = &f->ind[pos[k]];
		struct mind *m;

		if (k + 1 < npos && strcmp(ind->id, f->ind[pos[k + 1]].id) == 0)
			continue;	/* a later version follows */
		if (f->applied[pos[k]] != SDRFEED_KEPT ||
		    (ind->valid_until != 0 && ind->valid_until <= now))
			continue;
		m = &add[nadd++];
		str_copy(m->domain, ind->domain, sizeof(m->domain));
		str_copy(m->feed, f->name, sizeof(m->feed));
		str_copy(m->id, ind->id, sizeof(m->id));
		m->verdict = ind->verdict;
		str_copy(m->category, ind->category, sizeof(m->category));
		m->valid_from = ind->valid_from;
		m->valid_until = ind->valid_until;
	}
	qsort(add, (size_t)nadd, sizeof(*add), mind_domain_cmp);
	/* the old entries that stay, merged with the new ones by domain */
	out = xcalloc((size_t)(s->nmind + nadd) + 1, sizeof(*out));
	for (int i = 0, j = 0; i < s->nmind || j < nadd;) {
		const struct mind *m = i < s->nmind ? &s->mind[i] : NULL;

		if (m != NULL && (j == nadd || strcmp(m->domain, add[j].domain) <= 0)) {
			i++;
			if ((m->valid_until != 0 && m->valid_until <= now) ||
			    (strcmp(m->feed, f->name) == 0 &&
			    bsearch(m->id, pos, (size_t)npos, sizeof(*pos), id_find) != NULL))
				continue;
			out[nkeep++] = *m;
		} else {
			out[nkeep++] = add[j++];
		}
	}
	id_feed = NULL;
	free(s->mind);
	s->mind = out;
	s->nmind = nkeep;
	s->capmind = s->nmind + nadd + 1;
	free(add);
	free(pos);
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
	if (f->store_ev != NULL)
		event_free(f->store_ev);
	free(f->applied);
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
	free(f->applied);
	f->applied = NULL;
	f->storing = 0;
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

/* store_step - one part of the poll into queue.db; the next at the next loop turn */
static void
store_step(evutil_socket_t fd, short what, void *arg)
{
	struct feed *f = arg;
	struct sdrd *s = f->s;
	struct sdrfeed_poll p;
	struct sdrfeed_part x;
	struct timeval zero = { 0, 0 };
	char *cause = NULL;
	time_t now = time(NULL);
	int n = f->nind - f->off, added, removed;

	(void)fd;
	(void)what;
	if (s->freeing)
		return;
	if (f->removed) {	/* its rows are dropped: store no more of them */
		feed_end(f, 0);
		return;
	}
	if (n > SDRD_FEED_CHUNK)
		n = SDRD_FEED_CHUNK;
	memset(&p, 0, sizeof(p));
	p.feed = f->name;
	p.force = f->force && !f->partial;	/* only a whole collection replaces */
	p.ind = f->ind + f->off;
	p.nind = n;
	p.added_after = f->last_added;
	p.now = now;
	memset(&x, 0, sizeof(x));
	x.part = (f->off > 0 ? SDRFEED_PART_CONT : 0) |
	    (f->off + n < f->nind ? SDRFEED_PART_MORE : 0);
	x.cap = SDRD_FEED_STORED_MAX;
	x.applied = f->applied + f->off;
	if (sdrfeed_store_part(s->gw->q, &p, &x, &added, &removed, &cause) < 0) {
		char why[300];

		str_fmt(why, sizeof(why), "%s", cause);
		free(cause);
		if (f->off > 0)
			mind_reload(s);	/* the parts stored so far */
		feed_fail(f, why);
		return;
	}
	f->nadded += added;
	f->nremoved += removed;
	f->nrefused += x.refused;
	f->off += n;
	if (f->off < f->nind) {
		evtimer_add(f->store_ev, &zero);
		return;
	}
	gw_log(s->gw, "SDR: external threat feed %s: %d indicators added, %d removed", f->name,
	    f->nadded, f->nremoved);
	if (f->nrefused > 0)
		gw_logl(s->gw, LOGFILE_WARNING, "SDR: external threat feed %s: limit of %d "
		    "indicators reached", f->name, SDRD_FEED_STORED_MAX);
	if (p.force)
		mind_reload(s);	/* what the collection no longer holds went too */
	else
		mind_apply(s, f);
	/* cut short: the rest (from X-TAXII-Date-Added-Last) soon */
	feed_end(f, now + (f->partial ? SDRD_FEED_FIRST_DELAY : s->feed_interval));
}

/* feed_store - all pages in: store them in parts, from the loop */
static void
feed_store(struct feed *f, int partial)
{
	struct sdrd *s = f->s;
	struct timeval zero = { 0, 0 };

	f->storing = 1;
	f->partial = partial;
	f->off = f->nadded = f->nremoved = f->nrefused = 0;
	free(f->applied);
	f->applied = xcalloc((size_t)f->nind + 1, 1);
	if (f->store_ev == NULL)
		f->store_ev = event_new(s->gw->base, -1, 0, store_step, f);
	if (f->store_ev == NULL) {
		fprintf(stderr, "fatal: out of memory creating an event\n");
		abort();
	}
	evtimer_add(f->store_ev, &zero);
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
		/* past the poll's share: the rest from this page's X-TAXII-Date-Added-Last */
		if (f->pages < SDRD_FEED_MAX_PAGES && f->nind < SDRD_FEED_POLL_MAX) {
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
	s->feeds_changed = 1;
	if (sdrfeed_drop(s->gw->q, st->feed, &cause) < 0) {
		gw_logl(s->gw, LOGFILE_WARNING, "SDR: cannot drop removed feed %s: %s", st->feed,
		    cause);
		free(cause);
	}
	return 0;
}

/*
 * sdrd_feeds_conf - follow the configured feeds; the copy is read afresh
 * only when the feeds (or a URL) changed, not at every commit
 */
void
sdrd_feeds_conf(struct sdrd *s, const struct sdr_conf *c)
{
	struct feed *f, *next;
	char *cause = NULL;

	s->feeds_changed = s->reloads == 0;	/* the first configuration: read them */

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
		s->feeds_changed = 1;
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
		s->feeds_changed = 1;
	}
	/* stored feeds that are not configured (removed now, or while we were down) */
	if (sdrfeed_list(s->gw->q, stale_cb, s, &cause) < 0) {
		gw_logl(s->gw, LOGFILE_WARNING, "SDR: cannot list the stored feeds: %s", cause);
		free(cause);
	}
	if (s->feeds_changed)
		mind_reload(s);
	s->feeds_changed = 0;
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
