/*
 * queue_list.c - the queued recipients of DIR/queue.db, for the shell
 * (queue_list.h).
 *
 * One prepared SELECT per selection kind joins recipients to their
 * message, so each uses what indexes there are: host= the recipients_dest
 * index, a message its primary key. None reads the body: length() of a
 * BLOB comes from the record header. The header section (the first
 * QUEUE_LIST_HEAD_MAX bytes) is read once per message through the
 * incremental BLOB API (sqlite3_blob_read), never the whole BLOB: a
 * 5 MB message with 10,000 recipients once cost 10,000 reads of 5 MB.
 *
 * host= ignores case (ASCII, as qsel_match and NOCASE do), but
 * recipients_dest is BINARY and dest is stored as written (SMTP domains
 * lower-cased, redirect and alt-mailhost targets as the operator or the
 * filter wrote them), so lower(dest) = lower(?) could not use it either.
 * Every spelling of a host lies between its upper-case and lower-case
 * forms in BINARY order: the distinct destinations in that range are
 * walked through the index, one seek each, and the recipients between
 * the first and the last matching spelling are read by an index range
 * (one equality when, as usual, there is one spelling).
 *
 * Errors come back as one cause carrying sqlite3_errmsg; nothing here
 * writes.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/queue_int.h"
#include "store/queue_list.h"
#include "util/str.h"

#define LIST_COLS \
	"SELECT r.mid, r.rid, r.addr, r.dest, r.attempts, r.next_try, " \
	"  coalesce(r.last_error, ''), m.sender, length(m.body), m.policy, m.received, m.kind " \
	"FROM recipients r JOIN messages m ON m.mid = r.mid AND r.bounce_status IS NULL "

/* the statement of each selection; ?1 the value */
static const char *const list_sql[] = {
	[QUEUE_LIST_ALL] = LIST_COLS "ORDER BY r.mid, r.rid",
	/* ?1..?2 the first and last spelling of the host the index holds */
	[QUEUE_LIST_HOST] = LIST_COLS "WHERE r.dest BETWEEN ?1 AND ?2 AND r.dest = ?1 COLLATE NOCASE "
			    "ORDER BY r.mid, r.rid",
	[QUEUE_LIST_SENDER] = LIST_COLS "WHERE m.sender = ?1 COLLATE NOCASE "
			      "ORDER BY r.mid, r.rid",
};
#define MSG_SQL LIST_COLS "WHERE r.mid = ?1 ORDER BY r.rid"

/* the first destination from ?1 on, and the next one after ?1, up to ?2, in BINARY order */
static const char *const dest_sql[] = {
	"SELECT dest FROM recipients WHERE dest >= ?1 AND dest <= ?2 ORDER BY dest LIMIT 1",
	"SELECT dest FROM recipients WHERE dest > ?1 AND dest <= ?2 ORDER BY dest LIMIT 1",
};

/* One listing. */
struct lister {
	sqlite3 *db;
	queue_list_cb cb;
	void *arg;
	int with_head;		/* read each message's header section */
	char *head;		/* QUEUE_LIST_HEAD_MAX bytes, the last message's */
	size_t head_len;
	int64_t head_mid;	/* whose head is in head (0: none) */
	int stopped;		/* cb asked to stop */
};

/*
 * read_head - the first bytes of message mid's body into l->head, once
 * per message (rows come by MID); 0 or -1
 */
static int
read_head(struct lister *l, int64_t mid)
{
	sqlite3_blob *b;
	int n;

	if (l->head_mid == mid)
		return 0;
	l->head_mid = 0;
	l->head_len = 0;
	/* messages.mid is the INTEGER PRIMARY KEY: the rowid */
	if (sqlite3_blob_open(l->db, "main", "messages", "body", mid, 0, &b) != SQLITE_OK)
		return -1;
	n = sqlite3_blob_bytes(b);
	if (n > QUEUE_LIST_HEAD_MAX)
		n = QUEUE_LIST_HEAD_MAX;
	if (n > 0 && sqlite3_blob_read(b, l->head, n, 0) != SQLITE_OK) {
		sqlite3_blob_close(b);
		return -1;
	}
	sqlite3_blob_close(b);
	l->head_len = (size_t)n;
	l->head_mid = mid;
	return 0;
}

/* run - step a bound statement, handing each row to the callback; 0 or -1 */
static int
run(struct lister *l, sqlite3_stmt *s)
{
	int rc = SQLITE_DONE;

	while (!l->stopped && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct queue_list_row r = {
			.mid = sqlite3_column_int64(s, 0),
			.rid = sqlite3_column_int(s, 1),
			.rcpt = queue_col(s, 2),
			.dest = queue_col(s, 3),
			.attempts = sqlite3_column_int(s, 4),
			.next_try = (time_t)sqlite3_column_int64(s, 5),
			.last_error = queue_col(s, 6),
			.sender = queue_col(s, 7),
			.size = sqlite3_column_int64(s, 8),
			.policy = queue_col(s, 9),
			.received = (time_t)sqlite3_column_int64(s, 10),
			.kind = (enum queue_kind)sqlite3_column_int(s, 11),
			.head = "",
			.head_len = 0,
		};

		if (l->with_head) {
			if (read_head(l, r.mid) < 0)
				return -1;
			r.head = l->head;
			r.head_len = l->head_len;
		}
		if (l->cb(&r, l->arg) != 0)
			l->stopped = 1;
	}
	return l->stopped || rc == SQLITE_DONE ? 0 : -1;
}

/*
 * run_sql - prepare sql, bind its parameters (?1 value, or mid when value
 * is NULL; ?2 value2), run it; 0 or -1
 */
static int
run_sql(struct lister *l, const char *sql, const char *value, const char *value2, int64_t mid)
{
	sqlite3_stmt *s;
	int rc, np;

	if (sqlite3_prepare_v2(l->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	np = sqlite3_bind_parameter_count(s);
	if (np == 0)
		rc = SQLITE_OK;		/* all */
	else if (value != NULL)
		rc = sqlite3_bind_text(s, 1, value, -1, SQLITE_TRANSIENT);
	else
		rc = sqlite3_bind_int64(s, 1, mid);
	if (rc == SQLITE_OK && np >= 2)
		rc = sqlite3_bind_text(s, 2, value2, -1, SQLITE_TRANSIENT);
	rc = rc == SQLITE_OK ? run(l, s) : -1;
	sqlite3_finalize(s);
	return rc;
}

/* ascii_case - s with ASCII letters upper-cased (up) or lower-cased, malloc'd */
static char *
ascii_case(const char *s, int up)
{
	char *t = str_dup(s);

	for (char *p = t; *p; p++) {
		if (up && *p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
		else if (!up && *p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	return t;
}

/*
 * by_host - the recipients queued for host in any ASCII case: the first
 * and last stored spelling found through the index, then one statement
 * over that index range, in MID order; 0 or -1
 */
static int
by_host(struct lister *l, const char *host)
{
	char *lo = ascii_case(host, 0), *at = ascii_case(host, 1), *first = NULL, *last = NULL;
	sqlite3_stmt *st[2] = { NULL, NULL }, *s;
	int rc = -1, next = 0;

	if (sqlite3_prepare_v2(l->db, dest_sql[0], -1, &st[0], NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(l->db, dest_sql[1], -1, &st[1], NULL) != SQLITE_OK)
		goto out;
	for (;;) {
		int step;

		s = st[next];
		next = 1;
		sqlite3_reset(s);
		if (sqlite3_bind_text(s, 1, at, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
		    sqlite3_bind_text(s, 2, lo, -1, SQLITE_STATIC) != SQLITE_OK)
			break;
		if ((step = sqlite3_step(s)) == SQLITE_DONE) {
			rc = 0;
			break;
		}
		if (step != SQLITE_ROW)
			break;
		free(at);
		at = str_dup(queue_col(s, 0));
		sqlite3_reset(s);
		if (strcasecmp(at, host) == 0) {
			if (first == NULL)
				first = str_dup(at);
			free(last);
			last = str_dup(at);
		}
	}
	if (rc == 0 && first != NULL)
		rc = run_sql(l, list_sql[QUEUE_LIST_HOST], first, last, 0);
out:
	sqlite3_finalize(st[0]);
	sqlite3_finalize(st[1]);
	free(lo);
	free(at);
	free(first);
	free(last);
	return rc;
}

/* list - one listing; 0, or -1 with *cause */
static int
list(struct queue *q, enum queue_list_by by, const char *value, int64_t mid,
    queue_list_cb cb, void *arg, char **cause)
{
	struct lister l = { .db = queue_sqlite(q), .cb = cb, .arg = arg, .with_head = mid == 0 };
	int rc;

	if (l.with_head)
		l.head = xmalloc(QUEUE_LIST_HEAD_MAX);
	if (mid != 0)
		rc = run_sql(&l, MSG_SQL, NULL, NULL, mid);
	else if (by == QUEUE_LIST_HOST)
		rc = by_host(&l, value ? value : "");
	else if (by == QUEUE_LIST_SENDER)
		rc = run_sql(&l, list_sql[by], value ? value : "", NULL, 0);
	else
		rc = run_sql(&l, list_sql[QUEUE_LIST_ALL], NULL, NULL, 0);
	free(l.head);
	if (rc < 0 && cause)
		*cause = str_printf("queue: cannot list recipients: %s", sqlite3_errmsg(l.db));
	return rc;
}

/* queue_list_rcpts - the recipients a selection holds */
int
queue_list_rcpts(struct queue *q, enum queue_list_by by, const char *value,
    queue_list_cb cb, void *arg, char **cause)
{
	return list(q, by, value, 0, cb, arg, cause);
}

/* queue_list_msg - the recipients of one message, without its body */
int
queue_list_msg(struct queue *q, int64_t mid, queue_list_cb cb, void *arg, char **cause)
{
	if (mid <= 0)
		return 0;
	return list(q, QUEUE_LIST_ALL, "", mid, cb, arg, cause);
}

/* queue_list_body - the beginning of a queued message */
int
queue_list_body(struct queue *q, int64_t mid, size_t max, char **body, size_t *len,
    int64_t *total, char **cause)
{
	sqlite3 *db = queue_sqlite(q);
	sqlite3_stmt *s;
	sqlite3_blob *b = NULL;
	int rc, n;

	*body = NULL;
	*len = 0;
	*total = 0;
	if (sqlite3_prepare_v2(db,
		"SELECT 1 FROM messages WHERE mid = ?1 "
		"AND EXISTS (SELECT 1 FROM recipients WHERE recipients.mid = ?1)",
		-1, &s, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_bind_int64(s, 1, mid) != SQLITE_OK) {
		sqlite3_finalize(s);
		goto fail;
	}
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return 1;
	if (rc != SQLITE_ROW)
		goto fail;
	/* the first max bytes only, however large the message */
	if (sqlite3_blob_open(db, "main", "messages", "body", mid, 0, &b) != SQLITE_OK)
		goto fail;
	*total = sqlite3_blob_bytes(b);
	n = *total > (int64_t)max ? (int)max : (int)*total;
	*body = xmalloc((size_t)n + 1);
	if (n > 0 && sqlite3_blob_read(b, *body, n, 0) != SQLITE_OK) {
		free(*body);
		*body = NULL;
		*total = 0;
		goto fail;
	}
	sqlite3_blob_close(b);
	*len = (size_t)n;
	(*body)[n] = '\0';
	return 0;
fail:
	if (b != NULL)
		sqlite3_blob_close(b);
	if (cause)
		*cause = str_printf("queue: cannot read message %lld: %s", (long long)mid,
		    sqlite3_errmsg(db));
	return -1;
}
