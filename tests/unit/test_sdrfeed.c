/*
 * test_sdrfeed.c - store/sdrfeed.c: polls stored in one transaction,
 * new versions, revoked and expired indicators, indicators not valid yet,
 * forced polls, failures, dropped feeds, and what sdrstatus and the daemon
 * read back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/queue.h"
#include "store/sdrfeed.h"
#include "util/str.h"
#include "tests/unit/unit.h"

static struct queue *
qopen(void)
{
	struct queue *q;
	char *cause = NULL;

	if (queue_open(unit_tmpdir(), &q, &cause) < 0)
		UNIT_FAIL("queue_open: %s", cause);
	return q;
}

/* ind - an indicator */
static struct sdr_indicator
ind(const char *id, const char *domain, enum sdr_verdict v, const char *cat, time_t until,
    int revoked)
{
	struct sdr_indicator i;

	memset(&i, 0, sizeof(i));
	str_copy(i.id, id, sizeof(i.id));
	str_copy(i.domain, domain, sizeof(i.domain));
	i.verdict = v;
	str_copy(i.category, cat, sizeof(i.category));
	i.valid_until = until;
	i.revoked = revoked;
	return i;
}

static char seen[2048];

/* collect - "feed:id:domain:Verdict:category;" per indicator */
static void
collect(const struct sdr_indicator *i, const char *feed, void *arg)
{
	size_t len = strlen(seen);

	str_fmt(seen + len, sizeof(seen) - len, "%s:%s:%s:%s:%s;", feed, i->id, i->domain,
	    sdr_verdict_name(i->verdict), i->category);
}

static const char *
lookup(struct queue *q, const char *domain, time_t now)
{
	char *cause = NULL;

	seen[0] = '\0';
	if (sdrfeed_lookup(q, domain, now, collect, NULL, &cause) < 0)
		UNIT_FAIL("sdrfeed_lookup: %s", cause);
	return seen;
}

static const char *
all(struct queue *q, time_t now)
{
	char *cause = NULL;

	seen[0] = '\0';
	if (sdrfeed_all(q, now, collect, NULL, &cause) < 0)
		UNIT_FAIL("sdrfeed_all: %s", cause);
	return seen;
}

/* store - one poll, which must succeed */
static void
store(struct queue *q, const char *feed, int force, const struct sdr_indicator *v, int n,
    const char *after, time_t now, int want_added, int want_removed)
{
	struct sdrfeed_poll p = { feed, force, v, n, after, now };
	char *cause = NULL;
	int added = -1, removed = -1;

	if (sdrfeed_store(q, &p, &added, &removed, &cause) < 0)
		UNIT_FAIL("sdrfeed_store: %s", cause);
	CHECK_INT(added, want_added);
	CHECK_INT(removed, want_removed);
}

static void
test_polls(void)
{
	struct queue *q = qopen();
	struct sdrfeed_state st;
	char *cause = NULL;
	struct sdr_indicator v[4];

	/* nothing yet */
	CHECK_STR(lookup(q, "a.test", 1000), "");
	CHECK_INT(sdrfeed_get(q, "one", &st, &cause), 0);
	CHECK_STR(st.feed, "one");
	CHECK_INT(st.indicators, 0);
	/* a first poll: two domains, one indicator expiring at 2000 */
	v[0] = ind("indicator--1", "a.test", SDR_AWFUL, "Malware", 0, 0);
	v[1] = ind("indicator--2", "b.test", SDR_POOR, "Phishing", 2000, 0);
	v[2] = ind("indicator--3", "a.test", SDR_WEAK, "Threat Feed", 0, 0);
	store(q, "one", 0, v, 3, "2024-01-01T00:00:00.000Z", 1000, 3, 0);
	CHECK_STR(lookup(q, "a.test", 1000),
	    "one:indicator--1:a.test:Awful:Malware;one:indicator--3:a.test:Weak:Threat Feed;");
	CHECK_STR(lookup(q, "b.test", 1999), "one:indicator--2:b.test:Poor:Phishing;");
	CHECK_STR(lookup(q, "b.test", 2000), "");	/* valid_until has passed */
	CHECK_STR(lookup(q, "A.test", 1000), "");	/* stored lower case, asked so */
	CHECK_INT(sdrfeed_get(q, "one", &st, &cause), 1);
	CHECK_STR(st.added_after, "2024-01-01T00:00:00.000Z");
	CHECK_INT(st.last_poll, 1000);
	CHECK_INT(st.last_ok, 1000);
	CHECK_STR(st.last_error, "");
	CHECK_INT(st.indicators, 3);
	/* another feed names a.test too */
	v[0] = ind("indicator--1", "a.test", SDR_POOR, "Spam", 0, 0);
	store(q, "two", 0, v, 1, "", 1000, 1, 0);
	CHECK_STR(lookup(q, "a.test", 1000), "one:indicator--1:a.test:Awful:Malware;"
	    "two:indicator--1:a.test:Poor:Spam;one:indicator--3:a.test:Weak:Threat Feed;");
	/* a new version replaces, a revoked one removes, an unknown revoked one is nothing */
	v[0] = ind("indicator--3", "a.test", SDR_TAINTED, "Spam", 0, 0);
	v[1] = ind("indicator--1", "a.test", SDR_AWFUL, "Malware", 0, 1);
	v[2] = ind("indicator--9", "c.test", SDR_AWFUL, "Malware", 0, 1);
	store(q, "one", 0, v, 3, "", 1500, 0, 1);
	CHECK_STR(lookup(q, "a.test", 1500),
	    "two:indicator--1:a.test:Poor:Spam;one:indicator--3:a.test:Tainted:Spam;");
	CHECK_INT(sdrfeed_get(q, "one", &st, &cause), 1);
	CHECK_STR(st.added_after, "2024-01-01T00:00:00.000Z");	/* "" kept the old */
	CHECK_INT(st.indicators, 2);
	/* the expired one goes at the next poll */
	store(q, "one", 0, NULL, 0, "2024-02-01T00:00:00.000Z", 2500, 0, 1);
	CHECK_INT(sdrfeed_get(q, "one", &st, &cause), 1);
	CHECK_INT(st.indicators, 1);
	CHECK_STR(all(q, 2500), "two:indicator--1:a.test:Poor:Spam;"
	    "one:indicator--3:a.test:Tainted:Spam;");
	queue_close(q);
}

static void
test_force(void)
{
	struct queue *q = qopen();
	struct sdr_indicator v[3];
	struct sdrfeed_state st;
	char *cause = NULL;

	v[0] = ind("indicator--1", "a.test", SDR_AWFUL, "Malware", 0, 0);
	v[1] = ind("indicator--2", "b.test", SDR_POOR, "Spam", 0, 0);
	store(q, "one", 0, v, 2, "x", 100, 2, 0);
	/* from the start: b.test is no longer in the collection, c.test is new */
	v[0] = ind("indicator--1", "a.test", SDR_AWFUL, "Malware", 0, 0);
	v[1] = ind("indicator--3", "c.test", SDR_POOR, "Spam", 0, 0);
	store(q, "one", 1, v, 2, "y", 100, 1, 1);	/* same second: still right */
	CHECK_STR(all(q, 100), "one:indicator--1:a.test:Awful:Malware;"
	    "one:indicator--3:c.test:Poor:Spam;");
	/* a forced poll that brings nothing empties the feed */
	store(q, "one", 1, NULL, 0, "", 200, 0, 2);
	CHECK_INT(sdrfeed_get(q, "one", &st, &cause), 1);
	CHECK_INT(st.indicators, 0);
	CHECK_STR(st.added_after, "y");
	queue_close(q);
}

static char listed[512];

static int
list_cb(const struct sdrfeed_state *st, void *arg)
{
	size_t len = strlen(listed);

	str_fmt(listed + len, sizeof(listed) - len, "%s %lld %lld %lld [%s];", st->feed,
	    (long long)st->last_poll, (long long)st->last_ok, (long long)st->indicators,
	    st->last_error);
	return 0;
}

static void
test_failed_drop(void)
{
	struct queue *q = qopen();
	struct sdr_indicator v[1];
	char *cause = NULL;

	v[0] = ind("indicator--1", "a.test", SDR_AWFUL, "Malware", 0, 0);
	store(q, "one", 0, v, 1, "x", 100, 1, 0);
	store(q, "two", 0, v, 1, "x", 100, 1, 0);
	/* a failure keeps the indicators and the last success */
	CHECK(sdrfeed_failed(q, "one", 150, "HTTP 500", &cause) == 0);
	CHECK(sdrfeed_failed(q, "new", 160, "no answer within 60000 ms", &cause) == 0);
	listed[0] = '\0';
	CHECK(sdrfeed_list(q, list_cb, NULL, &cause) == 0);
	CHECK_STR(listed, "new 160 0 0 [no answer within 60000 ms];one 150 100 1 [HTTP 500];"
	    "two 100 100 1 [];");
	CHECK_STR(lookup(q, "a.test", 150), "one:indicator--1:a.test:Awful:Malware;"
	    "two:indicator--1:a.test:Awful:Malware;");
	/* success clears the error */
	store(q, "one", 0, NULL, 0, "", 170, 0, 0);
	/* dropped: indicators and state */
	CHECK(sdrfeed_drop(q, "two", &cause) == 0);
	CHECK(sdrfeed_drop(q, "never", &cause) == 0);
	listed[0] = '\0';
	CHECK(sdrfeed_list(q, list_cb, NULL, &cause) == 0);
	CHECK_STR(listed, "new 160 0 0 [no answer within 60000 ms];one 170 170 1 [];");
	CHECK_STR(lookup(q, "a.test", 150), "one:indicator--1:a.test:Awful:Malware;");
	queue_close(q);
}

static void
test_versions(void)
{
	struct queue *q = qopen();
	struct sdr_indicator v[5];

	/* several versions in one poll: only the last counts */
	v[0] = ind("indicator--1", "a.test", SDR_POOR, "Spam", 0, 0);
	v[1] = ind("indicator--2", "b.test", SDR_AWFUL, "Malware", 0, 0);
	v[2] = ind("indicator--1", "a.test", SDR_AWFUL, "Phishing", 0, 0);
	v[3] = ind("indicator--2", "b.test", SDR_AWFUL, "Malware", 0, 1);
	store(q, "one", 0, v, 4, "", 100, 1, 0);
	CHECK_STR(all(q, 100), "one:indicator--1:a.test:Awful:Phishing;");
	/* revoked, then a new version again: stored */
	v[0] = ind("indicator--1", "a.test", SDR_AWFUL, "Phishing", 0, 1);
	v[1] = ind("indicator--1", "a.test", SDR_WEAK, "Spam", 0, 0);
	store(q, "one", 0, v, 2, "", 110, 0, 0);
	CHECK_STR(all(q, 110), "one:indicator--1:a.test:Weak:Spam;");
	/* the same forced: what the collection holds now, nothing added or removed */
	v[0] = ind("indicator--1", "a.test", SDR_AWFUL, "Phishing", 0, 0);
	v[1] = ind("indicator--2", "b.test", SDR_AWFUL, "Malware", 0, 0);
	v[2] = ind("indicator--2", "b.test", SDR_AWFUL, "Malware", 0, 1);
	v[3] = ind("indicator--1", "a.test", SDR_WEAK, "Spam", 0, 0);
	store(q, "one", 1, v, 4, "", 120, 0, 0);
	CHECK_STR(all(q, 120), "one:indicator--1:a.test:Weak:Spam;");
	queue_close(q);
}

/* spans - "id:from-until;" per indicator, to see what sdrfeed_all hands the daemon */
static void
spans(const struct sdr_indicator *i, const char *feed, void *arg)
{
	size_t len = strlen(seen);

	(void)feed;
	(void)arg;
	str_fmt(seen + len, sizeof(seen) - len, "%s:%lld-%lld;", i->id, (long long)i->valid_from,
	    (long long)i->valid_until);
}

/*
 * test_valid_from - an indicator counts from valid_from (inclusive) to
 * valid_until (exclusive): one dated in the future is stored, gives
 * nothing before its time and counts from then without another poll
 */
static void
test_valid_from(void)
{
	struct queue *q = qopen();
	struct sdrfeed_state st;
	struct sdr_indicator v[3];
	char *cause = NULL;

	v[0] = ind("indicator--1", "a.test", SDR_AWFUL, "Malware", 0, 0);
	v[0].valid_from = 2000;		/* in the future at the poll */
	v[1] = ind("indicator--2", "a.test", SDR_WEAK, "Spam", 0, 0);
	v[1].valid_from = 900;		/* already valid */
	v[2] = ind("indicator--3", "b.test", SDR_POOR, "Phishing", 1800, 0);
	v[2].valid_from = 1500;
	store(q, "one", 0, v, 3, "", 1000, 3, 0);
	CHECK_INT(sdrfeed_get(q, "one", &st, &cause), 1);
	CHECK_INT(st.indicators, 3);	/* the future ones are kept */
	CHECK_STR(lookup(q, "a.test", 1000), "one:indicator--2:a.test:Weak:Spam;");
	CHECK_STR(lookup(q, "a.test", 1999), "one:indicator--2:a.test:Weak:Spam;");
	CHECK_STR(lookup(q, "a.test", 2000),
	    "one:indicator--1:a.test:Awful:Malware;one:indicator--2:a.test:Weak:Spam;");
	CHECK_STR(lookup(q, "b.test", 1000), "");
	CHECK_STR(lookup(q, "b.test", 1499), "");
	CHECK_STR(lookup(q, "b.test", 1500), "one:indicator--3:b.test:Poor:Phishing;");
	CHECK_STR(lookup(q, "b.test", 1799), "one:indicator--3:b.test:Poor:Phishing;");
	CHECK_STR(lookup(q, "b.test", 1800), "");
	/* the daemon's copy: everything not expired, with its valid_from */
	seen[0] = '\0';
	CHECK(sdrfeed_all(q, 1000, spans, NULL, &cause) == 0);
	CHECK_STR(seen, "indicator--1:2000-0;indicator--2:900-0;indicator--3:1500-1800;");
	seen[0] = '\0';
	CHECK(sdrfeed_all(q, 1800, spans, NULL, &cause) == 0);
	CHECK_STR(seen, "indicator--1:2000-0;indicator--2:900-0;");
	/* a poll before their time removes nothing; a new version moves valid_from */
	store(q, "one", 0, NULL, 0, "", 1100, 0, 0);
	CHECK_STR(lookup(q, "b.test", 1600), "one:indicator--3:b.test:Poor:Phishing;");
	v[0].valid_from = 1100;
	store(q, "one", 0, v, 1, "", 1100, 0, 0);
	CHECK_STR(lookup(q, "a.test", 1100),
	    "one:indicator--1:a.test:Awful:Malware;one:indicator--2:a.test:Weak:Spam;");
	v[0].valid_from = 5000;
	store(q, "one", 1, v, 3, "", 1200, 0, 0);	/* forced, the same three */
	CHECK_STR(lookup(q, "a.test", 4999), "one:indicator--2:a.test:Weak:Spam;");
	CHECK_STR(lookup(q, "a.test", 5000),
	    "one:indicator--1:a.test:Awful:Malware;one:indicator--2:a.test:Weak:Spam;");
	queue_close(q);
}

static const struct unit_case cases[] = {
	{ "polls", test_polls },
	{ "force", test_force },
	{ "failed_drop", test_failed_drop },
	{ "versions", test_versions },
	{ "valid_from", test_valid_from },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("sdrfeed", cases, argc, argv);
}
