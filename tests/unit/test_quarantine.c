/*
 * test_quarantine.c - quarantined messages in queue.db (store/quarantine.c):
 * inserts inside the caller's batch (kept on commit, gone on rollback),
 * the listing order (oldest first, one quarantine or all), get with and
 * without the body (an empty body and a body with NUL bytes), delete,
 * usage counts and bytes, and the entries a retention period has expired.
 */
#include <stdint.h>
#include <time.h>

#include "store/quarantine.h"
#include "store/queue.h"
#include "tests/unit/unit.h"
#include "util/str.h"

/* ---------------------------------------------------------- helpers */

/* qopen - queue_open in a fresh directory, which must succeed */
static struct queue *
qopen(void)
{
	struct queue *q = NULL;
	char *cause = NULL;

	if (queue_open(unit_tmpdir(), &q, &cause) < 0)
		UNIT_FAIL("queue_open: %s", cause);
	return q;
}

/* put - quarantine one message (mid) in qname at time now, in the open batch */
static void
put(struct queue *q, const char *qname, int64_t mid, time_t now, const char *body, size_t len)
{
	struct queue_msg m = {
		.mid = mid, .parent_mid = mid > 100 ? mid - 100 : 0, .icid = 7,
		.kind = QUEUE_KIND_NORMAL, .received = now - 5, .sender = "a@sender.test",
		.policy = "DEFAULT", .direction = 0, .client_ip = "127.0.0.1",
		.listener = "IncomingMail", .message_id = "<x@sender.test>",
		.body = body, .body_len = len,
	};
	char reason[64], *cause = NULL;

	str_fmt(reason, sizeof(reason), "filter f%lld: quarantine(\"%s\")", (long long)mid, qname);
	if (quarantine_insert(q, qname, &m, "b@rcpt.test\trcpt.test\nc@rcpt.test\trcpt.test\n",
	    "Hello", reason, now, &cause) < 0)
		UNIT_FAIL("quarantine_insert %lld: %s", (long long)mid, cause);
}

/* batch - queue_begin that must succeed */
static void
batch(struct queue *q)
{
	char *cause = NULL;

	if (queue_begin(q, 1, &cause) < 0)
		UNIT_FAIL("queue_begin: %s", cause);
}

/* commit - queue_commit that must succeed */
static void
commit(struct queue *q)
{
	char *cause = NULL;

	if (queue_commit(q, &cause) < 0)
		UNIT_FAIL("queue_commit: %s", cause);
}

/* What a listing returned: "Q:mid" joined by spaces. */
struct seen {
	char text[1024];
	int n;
	int stop_after;		/* return 1 after this many rows (0: never) */
};

/* seen_add - quarantine_cb collecting names and MIDs; no body is ever read */
static int
seen_add(const struct quarantine_entry *e, void *arg)
{
	struct seen *s = arg;
	size_t len = strlen(s->text);

	if (e->body != NULL)
		UNIT_FAIL("a listing read a body (mid %lld)", (long long)e->mid);
	str_fmt(s->text + len, sizeof(s->text) - len, "%s%s:%lld", len ? " " : "", e->qname,
	    (long long)e->mid);
	s->n++;
	return s->stop_after && s->n >= s->stop_after;
}

/* list - the listing of qname (NULL: all) as text */
static const char *
list(struct queue *q, const char *qname, struct seen *s)
{
	char *cause = NULL;

	memset(s, 0, sizeof(*s));
	if (quarantine_list(q, qname, seen_add, s, &cause) < 0)
		UNIT_FAIL("quarantine_list: %s", cause);
	return s->text;
}

/* ---------------------------------------------------------- cases */

/* batch_commit_rollback - rows come and go with the caller's batch */
static void
test_batch(void)
{
	struct queue *q = qopen();
	struct seen s;
	int64_t msgs, bytes;
	char *cause = NULL;

	batch(q);
	put(q, "Policy", 10, 1000, "body-10", 7);
	put(q, "Spam", 11, 1000, "body-11", 7);
	commit(q);
	CHECK_STR(list(q, NULL, &s), "Policy:10 Spam:11");

	batch(q);
	put(q, "Policy", 12, 1001, "body-12", 7);
	queue_rollback(q);
	CHECK_STR(list(q, NULL, &s), "Policy:10 Spam:11");
	CHECK_INT(quarantine_usage(q, NULL, &msgs, &bytes, &cause), 0);
	CHECK_INT(msgs, 2);

	/* one message in one quarantine once: a second insert fails, the first stays */
	batch(q);
	{
		struct queue_msg m = { .mid = 10, .sender = "", .body = "x", .body_len = 1 };

		CHECK_INT(quarantine_insert(q, "Policy", &m, "", "", "", 1002, &cause), -1);
		CHECK(cause != NULL && strstr(cause, "quarantine:") == cause);
		free(cause);
		cause = NULL;
	}
	queue_rollback(q);
	CHECK_STR(list(q, NULL, &s), "Policy:10 Spam:11");
	queue_close(q);
}

/* test_order - oldest first by the time it entered, whatever the MID; one quarantine or all */
static void
test_order(void)
{
	struct queue *q = qopen();
	struct seen s;
	char *cause = NULL;

	batch(q);
	put(q, "Policy", 30, 3000, "c", 1);
	put(q, "Policy", 20, 1000, "a", 1);
	put(q, "Spam", 25, 2000, "b", 1);
	put(q, "Policy", 40, 2000, "d", 1);
	/* the same message in two quarantines (duplicate-quarantine) */
	put(q, "Spam", 30, 3000, "c", 1);
	commit(q);
	CHECK_STR(list(q, NULL, &s), "Policy:20 Spam:25 Policy:40 Policy:30 Spam:30");
	CHECK_STR(list(q, "Policy", &s), "Policy:20 Policy:40 Policy:30");
	CHECK_STR(list(q, "Spam", &s), "Spam:25 Spam:30");
	CHECK_STR(list(q, "Nothing", &s), "");
	/* names are exact: the caller passes the configured spelling */
	CHECK_STR(list(q, "policy", &s), "");

	/* a non-zero return stops the walk and is returned */
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	CHECK_INT(quarantine_list(q, NULL, seen_add, &s, &cause), 1);
	CHECK_INT(s.n, 2);
	queue_close(q);
}

/* test_get - every column back, the body only when asked, NUL bytes kept */
static void
test_get(void)
{
	struct queue *q = qopen();
	struct quarantine_entry e;
	static const char body[] = "Subject: x\r\n\r\nA\0B\r\n";
	char *cause = NULL;

	batch(q);
	put(q, "Policy", 150, 5000, body, sizeof(body) - 1);
	put(q, "Policy", 151, 5000, "", 0);
	commit(q);

	CHECK_INT(quarantine_get(q, "Policy", 150, 0, &e, &cause), 0);
	CHECK_STR(e.qname, "Policy");
	CHECK_INT(e.mid, 150);
	CHECK_INT(e.parent_mid, 50);
	CHECK_INT(e.icid, 7);
	CHECK_INT(e.kind, QUEUE_KIND_NORMAL);
	CHECK_INT(e.received, 4995);
	CHECK_INT(e.quarantined, 5000);
	CHECK_STR(e.sender, "a@sender.test");
	CHECK_STR(e.rcpts, "b@rcpt.test\trcpt.test\nc@rcpt.test\trcpt.test\n");
	CHECK_STR(e.subject, "Hello");
	CHECK_STR(e.reason, "filter f150: quarantine(\"Policy\")");
	CHECK_STR(e.policy, "DEFAULT");
	CHECK_INT(e.direction, 0);
	CHECK_STR(e.client_ip, "127.0.0.1");
	CHECK_STR(e.listener, "IncomingMail");
	CHECK_STR(e.message_id, "<x@sender.test>");
	CHECK_INT(e.size, sizeof(body) - 1);
	CHECK(e.body == NULL);
	quarantine_entry_free(&e);

	CHECK_INT(quarantine_get(q, "Policy", 150, 1, &e, &cause), 0);
	CHECK(e.body != NULL);
	CHECK_INT(e.body_len, sizeof(body) - 1);
	CHECK(memcmp(e.body, body, sizeof(body) - 1) == 0);
	quarantine_entry_free(&e);

	CHECK_INT(quarantine_get(q, "Policy", 151, 1, &e, &cause), 0);
	CHECK(e.body != NULL);
	CHECK_INT(e.body_len, 0);
	CHECK_INT(e.size, 0);
	quarantine_entry_free(&e);

	CHECK_INT(quarantine_get(q, "Policy", 999, 1, &e, &cause), 1);
	CHECK_INT(quarantine_get(q, "Spam", 150, 1, &e, &cause), 1);
	queue_close(q);
}

/* test_delete - one entry of one quarantine; the same MID elsewhere stays */
static void
test_delete(void)
{
	struct queue *q = qopen();
	struct seen s;
	char *cause = NULL;

	batch(q);
	put(q, "Policy", 1, 100, "a", 1);
	put(q, "Spam", 1, 100, "a", 1);
	put(q, "Policy", 2, 200, "b", 1);
	commit(q);
	CHECK_INT(quarantine_delete(q, "Policy", 1, &cause), 0);
	CHECK_STR(list(q, NULL, &s), "Spam:1 Policy:2");
	CHECK_INT(quarantine_delete(q, "Policy", 1, &cause), 1);
	CHECK_INT(quarantine_delete(q, "Nothing", 2, &cause), 1);
	CHECK_INT(quarantine_delete(q, "Policy", 2, &cause), 0);
	CHECK_STR(list(q, NULL, &s), "Spam:1");
	queue_close(q);
}

/* test_usage - messages and bytes, per quarantine and in all */
static void
test_usage(void)
{
	struct queue *q = qopen();
	int64_t msgs = -1, bytes = -1;
	char *cause = NULL;

	CHECK_INT(quarantine_usage(q, NULL, &msgs, &bytes, &cause), 0);
	CHECK_INT(msgs, 0);
	CHECK_INT(bytes, 0);
	batch(q);
	put(q, "Policy", 1, 100, "12345", 5);
	put(q, "Policy", 2, 100, "1234567890", 10);
	put(q, "Spam", 3, 100, "123", 3);
	commit(q);
	CHECK_INT(quarantine_usage(q, "Policy", &msgs, &bytes, &cause), 0);
	CHECK_INT(msgs, 2);
	CHECK_INT(bytes, 15);
	CHECK_INT(quarantine_usage(q, "Spam", &msgs, &bytes, &cause), 0);
	CHECK_INT(msgs, 1);
	CHECK_INT(bytes, 3);
	CHECK_INT(quarantine_usage(q, NULL, &msgs, &bytes, &cause), 0);
	CHECK_INT(msgs, 3);
	CHECK_INT(bytes, 18);
	CHECK_INT(quarantine_usage(q, "Empty", &msgs, &bytes, &cause), 0);
	CHECK_INT(msgs, 0);
	CHECK_INT(bytes, 0);
	queue_close(q);
}

/* test_expired - entered strictly before the limit, oldest first, per quarantine or all */
static void
test_expired(void)
{
	struct queue *q = qopen();
	struct seen s;
	char *cause = NULL;

	batch(q);
	put(q, "Policy", 5, 500, "a", 1);
	put(q, "Policy", 3, 300, "a", 1);
	put(q, "Spam", 4, 400, "a", 1);
	put(q, "Policy", 6, 600, "a", 1);
	commit(q);
	memset(&s, 0, sizeof(s));
	CHECK_INT(quarantine_expired(q, "Policy", 500, seen_add, &s, &cause), 0);
	CHECK_STR(s.text, "Policy:3");
	memset(&s, 0, sizeof(s));
	CHECK_INT(quarantine_expired(q, "Policy", 501, seen_add, &s, &cause), 0);
	CHECK_STR(s.text, "Policy:3 Policy:5");
	memset(&s, 0, sizeof(s));
	CHECK_INT(quarantine_expired(q, NULL, 601, seen_add, &s, &cause), 0);
	CHECK_STR(s.text, "Policy:3 Spam:4 Policy:5 Policy:6");
	memset(&s, 0, sizeof(s));
	CHECK_INT(quarantine_expired(q, "Spam", 300, seen_add, &s, &cause), 0);
	CHECK_STR(s.text, "");
	queue_close(q);
}

static const struct unit_case cases[] = {
	{ "batch", test_batch },
	{ "order", test_order },
	{ "get", test_get },
	{ "delete", test_delete },
	{ "usage", test_usage },
	{ "expired", test_expired },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("quarantine", cases, argc, argv);
}
