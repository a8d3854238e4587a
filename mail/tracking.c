/*
 * tracking.c - message tracking from a mail log, for the API (see
 * tracking.h). The candidates come from findevent's searches (the index
 * when it can be kept); each message's attributes are read from its
 * lines (findevent_mid), only for the page asked for unless a filter
 * needs them (sender IP, Message-ID).
 *
 * A value filter becomes a PCRE2 pattern with every non-alphanumeric
 * ASCII byte escaped, so an operator's value is never a pattern.
 *
 * The cost is bounded (an API client must not make the thread read a
 * year of logs): files outside the date range are not opened, the
 * messages in range are capped, and the time and the cancel flag are
 * checked between messages.
 */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/findevent.h"
#include "mail/maillog.h"
#include "mail/tracking.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/lineread.h"
#include "util/logset.h"
#include "util/str.h"

/* tracking_op_parse - the operators of the API's filters */
int
tracking_op_parse(const char *s, enum tracking_op *op)
{
	if (strcmp(s, "is") == 0)
		*op = TRACKING_IS;
	else if (strcmp(s, "begins_with") == 0)
		*op = TRACKING_BEGINS;
	else if (strcmp(s, "contains") == 0)
		*op = TRACKING_CONTAINS;
	else
		return -1;
	return 0;
}

/* digits - n decimal digits at *p into *v; 0 or -1 */
static int
digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		*v = *v * 10 + (**p - '0');
	}
	return 0;
}

/* tracking_date_parse - YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH[:]MM|-HH[:]MM) */
int
tracking_date_parse(const char *s, time_t *t)
{
	struct tm tm = { 0 };
	const char *p = s;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;

	if (digits(&p, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, &mo) < 0 || *p++ != '-' ||
	    digits(&p, 2, &d) < 0 || (*p != 'T' && *p != 't' && *p != ' '))
		return -1;
	p++;
	if (digits(&p, 2, &h) < 0 || *p++ != ':' || digits(&p, 2, &mi) < 0)
		return -1;
	sec = 0;
	if (*p == ':' && (p++, digits(&p, 2, &sec) < 0))
		return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh) < 0)
			return -1;
		if (*p == ':')
			p++;
		if (digits(&p, 2, &om) < 0 || oh > 23 || om > 59)
			return -1;
	} else {
		return -1;
	}
	if (*p != '\0' || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*t = timegm(&tm) - sign * (oh * 3600 + om * 60);
	return 0;
}

/* ---------------------------------------------------------- the log */

/* log_time - a line's timestamp (local time, as logfile.c writes it); 0 if none */
static time_t
log_time(const char *ts)
{
	struct tm tm = { 0 };
	const char *e = strptime(ts, "%a %b %d %H:%M:%S %Y", &tm);

	if (e == NULL)
		return 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* api_time - "29 Aug 2023 10:00:48 (GMT +00:00)" */
static void
api_time(time_t t, char *buf, size_t size)
{
	struct tm tm;
	char s[40];
	long off;

	localtime_r(&t, &tm);
	strftime(s, sizeof(s), "%d %b %Y %H:%M:%S", &tm);
	off = tm.tm_gmtoff;
	str_fmt(buf, size, "%s (GMT %c%02ld:%02ld)", s, off < 0 ? '-' : '+',
	    labs(off) / 3600, labs(off) % 3600 / 60);
}

/* ---------------------------------------------------------- limits */

struct budget {
	struct timespec end;		/* CLOCK_MONOTONIC; tv_sec 0: none */
	const atomic_int *cancel;
};

static void
budget_init(struct budget *b, const struct tracking_limits *lim)
{
	memset(b, 0, sizeof(*b));
	if (lim && lim->budget > 0) {
		clock_gettime(CLOCK_MONOTONIC, &b->end);
		b->end.tv_sec += lim->budget;
	}
	b->cancel = lim ? lim->cancel : NULL;
}

/* over - out of time or cancelled: 0, or -1 with *err and *cause */
static int
over(const struct budget *b, int budget, enum tracking_err *err, char **cause)
{
	struct timespec now;

	if (b->cancel && atomic_load(b->cancel)) {
		*err = TRACKING_ERR_CANCEL;
		*cause = str_dup("the API is being reconfigured or stopped: try again");
		return -1;
	}
	if (b->end.tv_sec == 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > b->end.tv_sec ||
	    (now.tv_sec == b->end.tv_sec && now.tv_nsec >= b->end.tv_nsec)) {
		*err = TRACKING_ERR_TIME;
		*cause = str_printf("the search took longer than %d seconds (api.timeout): "
				    "narrow the date range or add filters", budget);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------- files */

/* file_span - the times of a file's first and last lines (0 when unknown) */
static void
file_span(int dirfd, const char *name, time_t *first, time_t *last)
{
	char buf[8192];
	struct stat sb;
	ssize_t r;
	off_t from;
	int fd;

	*first = *last = 0;
	if ((fd = fs_openat(dirfd, name, O_RDONLY | O_CLOEXEC, 0)) < 0)
		return;
	if ((r = pread(fd, buf, 64, 0)) > 0) {
		buf[r] = '\0';
		*first = log_time(buf);
	}
	if (fstat(fd, &sb) == 0 && sb.st_size > 1) {
		from = sb.st_size > (off_t)sizeof(buf) - 1 ? sb.st_size - (off_t)sizeof(buf) + 1 : 0;
		if ((r = pread(fd, buf, sizeof(buf) - 1, from)) > 1) {
			ssize_t i = r - 2;	/* the last line's end is at r - 1 */

			buf[r] = '\0';
			while (i >= 0 && buf[i] != '\n')
				i--;
			if (i >= 0 || from == 0)
				*last = log_time(buf + i + 1);
		}
	}
	close(fd);
}

/*
 * select_files - keep in set the files that may hold lines of [start, end]
 * (0: open), and the file after the last of them (a message's later
 * lines); a file whose times cannot be read is kept
 */
static void
select_files(struct logset *set, time_t start, time_t end)
{
	int *keep = xcalloc((size_t)set->n + 1, sizeof(*keep)), k = 0, last = -1;

	if (start == 0 && end == 0) {
		free(keep);
		return;
	}
	if (end == 0)
		end = (time_t)LLONG_MAX;
	for (int i = 0; i < set->n; i++) {
		time_t first, lastt;

		file_span(set->dirfd, set->f[i].name, &first, &lastt);
		/* a line's time has a resolution of a second */
		keep[i] = !((lastt && lastt < start) || (first && first > end));
		if (keep[i])
			last = i;
	}
	if (last >= 0 && last + 1 < set->n)
		keep[last + 1] = 1;
	for (int i = 0; i < set->n; i++) {
		if (keep[i]) {
			set->f[k++] = set->f[i];
		} else {
			free(set->f[i].path);
			free(set->f[i].name);
		}
	}
	set->n = k;
	free(keep);
}

/*
 * open_log - a findevent session over the files of the log that may hold
 * lines of [start, end] (listed again after a race)
 */
static struct findevent *
open_log(const char *dir, const char *prefix, time_t start, time_t end, char **cause)
{
	struct findevent *fe = NULL;

	for (int tries = 0; tries < 5; tries++) {
		struct logset set;
		int rc;

		if (logset_list(dir, prefix, "*", &set, cause) < 0)
			return NULL;
		select_files(&set, start, end);
		rc = findevent_open(dir, prefix, &set, 0, &fe, cause);
		logset_free(&set);
		if (rc == 0)
			return fe;
		if (rc < 0)
			return NULL;
	}
	*cause = str_dup("the log's files keep changing; try again");
	return NULL;
}

/* pattern - a literal value as a PCRE2 pattern for op (malloc'd) */
static char *
pattern(enum tracking_op op, const char *v)
{
	struct buf b;

	buf_init(&b, 0);
	if (op == TRACKING_IS || op == TRACKING_BEGINS)
		buf_addch(&b, '^');
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p < 0x80 && !isalnum(*p))
			buf_addch(&b, '\\');
		if (*p == '\0')
			break;
		buf_addch(&b, (char)*p);
	}
	if (op == TRACKING_IS)
		buf_addch(&b, '$');
	return buf_steal(&b);
}

struct cand {
	long long mid;
	char when[40];
};

/* search - the MIDs with a value of kind matching the filter (sorted by MID); -1 */
static int
search(struct findevent *fe, enum maillog_val kind, const struct tracking_filter *f,
    struct cand **out, size_t *n, char **cause)
{
	struct findevent_re *re;
	struct findevent_hit *hits;
	char *pat = f->op == TRACKING_ANY ? str_dup("") : pattern(f->op, f->value);
	int rc;

	re = findevent_re_new(pat, 1, cause);
	free(pat);
	if (re == NULL)
		return -1;
	rc = findevent_search(fe, kind, re, &hits, n, cause);
	findevent_re_free(re);
	if (rc < 0)
		return -1;
	*out = xcalloc(*n + 1, sizeof(**out));
	for (size_t i = 0; i < *n; i++) {
		(*out)[i].mid = hits[i].mid;
		str_copy((*out)[i].when, hits[i].when, sizeof((*out)[i].when));
	}
	findevent_hits_free(hits, *n);
	return 0;
}

/* intersect - keep in a the MIDs also in b (both sorted) */
static void
intersect(struct cand *a, size_t *na, const struct cand *b, size_t nb)
{
	size_t i = 0, j = 0, k = 0;

	while (i < *na && j < nb) {
		if (a[i].mid < b[j].mid) {
			i++;
		} else if (a[i].mid > b[j].mid) {
			j++;
		} else {
			a[k++] = a[i++];
			j++;
		}
	}
	*na = k;
}

/* ---------------------------------------------------------- one message */

/* after - the text after prefix at the start of s, or NULL */
static const char *
after(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

/* quoted - the text between s[0] (a quote) and the last same quote before e (malloc'd) */
static char *
quoted(const char *s, const char *e)
{
	const char *q;

	if (s >= e || (*s != '\'' && *s != '"'))
		return NULL;
	for (q = e - 1; q > s && *q != *s; q--)
		;
	return q > s ? str_ndup(s + 1, (size_t)(q - s - 1)) : NULL;
}

/* add_unique - a string to an array unless there */
static void
add_unique(cJSON *arr, const char *s, size_t n)
{
	char *v = str_ndup(s, n);
	const cJSON *it;

	cJSON_ArrayForEach(it, arr)
		if (cJSON_IsString(it) && strcmp(it->valuestring, v) == 0) {
			free(v);
			return;
		}
	cJSON_AddItemToArray(arr, cJSON_CreateString(v));
	free(v);
}

/* set_key - obj[mid] = s (replacing) */
static void
set_key(cJSON *obj, long long mid, const char *s)
{
	char k[32];

	str_fmt(k, sizeof(k), "%lld", mid);
	if (cJSON_GetObjectItemCaseSensitive(obj, k))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, k, cJSON_CreateString(s));
	else
		cJSON_AddStringToObject(obj, k, s);
}

#define NCONN 8		/* inbound connections a message's lines name */

struct msg {
	cJSON *attrs;
	char *message_id;	/* the message's own Message-ID ("" none) */
	char sender_ip[64];
	int found;		/* the log names the MID */
};

/* status_of - the messageStatus a line sets for its MID, or NULL */
static const char *
status_of(const char *body, long long *m)
{
	const char *p;
	long long dcid;

	if (sscanf(body, "Message done DCID %lld MID %lld", &dcid, m) == 2)
		return "Delivered";
	if (sscanf(body, "Bounced: DCID %lld MID %lld", &dcid, m) == 2)
		return "Bounced";
	if (sscanf(body, "Start MID %lld", m) == 1)
		return "In progress";
	if ((p = after(body, "MID ")) == NULL)
		return NULL;
	*m = strtoll(p, (char **)&p, 10);
	if (after(p, " Dropped "))
		return "Dropped";
	if (after(p, " quarantined to "))
		return "Quarantined";
	if (after(p, " queued for delivery") || after(p, " released from"))
		return "Queued";
	return NULL;
}

/*
 * read_msg - the attributes of mid from its lines; summary: also every
 * line as {"timestamp","description"}
 */
static int
read_msg(struct findevent *fe, long long mid, const struct tracking_host *h, int summary,
    struct msg *out, char **cause)
{
	struct findevent_pos *pos;
	size_t n;
	char *line, ts[64];
	cJSON *a = cJSON_CreateObject(), *mids, *msgids, *rcpts, *pols, *stat, *sum = NULL;
	long long icid = 0;
	time_t when = 0;
	struct {
		long long icid;
		char ip[64];
	} conn[NCONN];
	int nconn = 0;

	memset(out, 0, sizeof(*out));
	if (findevent_mid(fe, mid, &pos, &n, cause) < 0) {
		cJSON_Delete(a);
		return -1;
	}
	out->found = n > 0;
	out->message_id = str_dup("");
	mids = cJSON_AddArrayToObject(a, "mid");
	cJSON_AddItemToArray(mids, cJSON_CreateNumber((double)mid));
	msgids = cJSON_AddObjectToObject(a, "messageID");
	rcpts = cJSON_CreateArray();
	pols = cJSON_CreateArray();
	stat = cJSON_CreateObject();
	if (summary)
		sum = cJSON_CreateArray();
	line = xmalloc(LINEREAD_MAX + 1);
	for (size_t i = 0; i < n; i++) {
		struct maillog_line l;
		size_t len;
		const char *body, *e, *p;
		long long m, v;
		char *s;

		if (findevent_line(fe, &pos[i], line, LINEREAD_MAX + 1, &len) < 0)
			continue;
		for (size_t k = 0; k < len; k++)
			if (line[k] == '\0')
				line[k] = '?';
		line[len] = '\0';
		if (maillog_parse(line, len, &l) < 0)
			continue;
		e = line + len;
		if ((body = strstr(line + l.ts_len, ": ")) == NULL)
			continue;
		body += 2;
		if (after(body, "TDC: "))
			body += 5;
		str_copy(ts, line, l.ts_len + 1 < sizeof(ts) ? l.ts_len + 1 : sizeof(ts));
		if (sum) {
			cJSON *o = cJSON_CreateObject();
			char t[64];

			api_time(log_time(ts), t, sizeof(t));
			cJSON_AddStringToObject(o, "timestamp", t);
			cJSON_AddStringToObject(o, "description", body);
			cJSON_AddItemToArray(sum, o);
		}
		for (int k = 0; k < l.nmid; k++)
			if (l.mid[k] != mid) {
				const cJSON *it;
				int seen = 0;

				cJSON_ArrayForEach(it, mids)
					seen |= (long long)it->valuedouble == l.mid[k];
				if (!seen)
					cJSON_AddItemToArray(mids,
					    cJSON_CreateNumber((double)l.mid[k]));
			}
		if (sscanf(body, "Start MID %lld ICID %lld", &m, &v) == 2 && m == mid) {
			icid = v;
			when = log_time(ts);
		}
		/* the connection's line comes before the message names it */
		if ((p = after(body, "New SMTP ICID ")) != NULL && nconn < NCONN) {
			conn[nconn].icid = strtoll(p, NULL, 10);
			conn[nconn].ip[0] = '\0';
			if ((p = strstr(p, " address ")) != NULL) {
				p += 9;
				str_copy(conn[nconn].ip, p, sizeof(conn[nconn].ip));
				conn[nconn].ip[strcspn(conn[nconn].ip, " ")] = '\0';
			}
			nconn++;
		}
		if (l.vkind == MAILLOG_VAL_FROM && l.vmid == mid) {
			s = str_ndup(l.val, l.vlen);
			cJSON_DeleteItemFromObjectCaseSensitive(a, "sender");
			cJSON_AddStringToObject(a, "sender", s);
			free(s);
			if (icid == 0)
				icid = l.icid;
		} else if (l.vkind == MAILLOG_VAL_TO && l.vmid == mid) {
			add_unique(rcpts, l.val, l.vlen);
		} else if (l.vkind == MAILLOG_VAL_SUBJECT && l.vmid == mid) {
			s = str_ndup(l.val, l.vlen);
			cJSON_DeleteItemFromObjectCaseSensitive(a, "subject");
			cJSON_AddStringToObject(a, "subject", s);
			free(s);
		}
		if ((p = after(body, "MID ")) != NULL) {
			const char *mi;

			m = strtoll(p, (char **)&p, 10);
			if ((mi = after(p, " Message-ID ")) != NULL && (s = quoted(mi, e)) != NULL) {
				set_key(msgids, m, s);
				if (m == mid) {
					free(out->message_id);
					out->message_id = s;
				} else {
					free(s);
				}
			} else if (mi == NULL &&
			    (p = strstr(p, " per-recipient policy ")) != NULL) {
				p += 22;
				add_unique(pols, p, strcspn(p, " "));
			}
		}
		if ((p = status_of(body, &m)) != NULL)
			set_key(stat, m, p);
	}
	free(line);
	free(pos);
	for (int k = 0; k < nconn; k++)
		if (conn[k].icid == icid && icid != 0)
			str_copy(out->sender_ip, conn[k].ip, sizeof(out->sender_ip));
	cJSON_AddNumberToObject(a, "icid", (double)icid);
	if (!cJSON_GetObjectItemCaseSensitive(a, "sender"))
		cJSON_AddStringToObject(a, "sender", "");
	cJSON_AddItemToObject(a, "recipient", rcpts);
	if (!cJSON_GetObjectItemCaseSensitive(a, "subject"))
		cJSON_AddStringToObject(a, "subject", "");
	cJSON_AddStringToObject(a, "senderIp", out->sender_ip);
	cJSON_AddItemToObject(a, "mailPolicy", pols);
	cJSON_AddItemToObject(a, "messageStatus", stat);
	if (when) {
		api_time(when, ts, sizeof(ts));
		cJSON_AddStringToObject(a, "timestamp", ts);
	} else {
		cJSON_AddStringToObject(a, "timestamp", "");
	}
	cJSON_AddStringToObject(a, "serialNumber", h->serial ? h->serial : "");
	cJSON_AddStringToObject(a, "hostName", h->hostname ? h->hostname : "");
	if (sum)
		cJSON_AddItemToObject(a, "summary", sum);
	out->attrs = a;
	return 0;
}

/* msgid_eq - the same Message-ID, with or without its <> */
static int
msgid_eq(const char *have, const char *want)
{
	size_t hl = strlen(have), wl = strlen(want);

	if (hl >= 2 && have[0] == '<' && have[hl - 1] == '>') {
		have++;
		hl -= 2;
	}
	if (wl >= 2 && want[0] == '<' && want[wl - 1] == '>') {
		want++;
		wl -= 2;
	}
	return hl == wl && hl > 0 && memcmp(have, want, hl) == 0;
}

/* ---------------------------------------------------------- answers */

/* tracking_search - the messages of a query, newest first */
cJSON *
tracking_search(const char *logdir, const char *prefix, const struct tracking_query *q,
    const struct tracking_limits *lim, const struct tracking_host *h, tracking_extra_fn extra,
    void *arg, enum tracking_err *err, char **cause)
{
	static const struct tracking_filter any = { TRACKING_ANY, NULL };
	struct findevent *fe;
	struct cand *c = NULL, *o;
	size_t nc = 0, no, k = 0;
	long total = 0, cap = lim && lim->cand_max > 0 ? lim->cand_max : TRACKING_CAND_MAX;
	int secs = lim ? lim->budget : 0;
	cJSON *res, *data;
	int need_read = q->sender_ip != NULL || q->message_id != NULL;
	struct budget b;

	*err = TRACKING_ERR_LOG;
	budget_init(&b, lim);
	if ((fe = open_log(logdir, prefix, q->start, q->end, cause)) == NULL)
		return NULL;
	/* the envelope sender first: every received message has one */
	if (search(fe, MAILLOG_VAL_FROM, q->sender.op ? &q->sender : &any, &c, &nc, cause) < 0 ||
	    over(&b, secs, err, cause) < 0)
		goto fail;
	if (q->rcpt.op) {
		if (search(fe, MAILLOG_VAL_TO, &q->rcpt, &o, &no, cause) < 0)
			goto fail;
		intersect(c, &nc, o, no);
		free(o);
		if (over(&b, secs, err, cause) < 0)
			goto fail;
	}
	if (q->subject.op) {
		if (search(fe, MAILLOG_VAL_SUBJECT, &q->subject, &o, &no, cause) < 0)
			goto fail;
		intersect(c, &nc, o, no);
		free(o);
		if (over(&b, secs, err, cause) < 0)
			goto fail;
	}
	/* the date range on the sender line's time */
	for (size_t i = 0; i < nc; i++) {
		time_t t = log_time(c[i].when);

		if (t >= q->start && t <= q->end)
			c[k++] = c[i];
	}
	nc = k;
	if (nc > (size_t)cap) {
		*err = TRACKING_ERR_TOO_MANY;
		*cause = str_printf("too many messages match (%zu, at most %ld): narrow the search",
		    nc, cap);
		goto fail;
	}
	if (over(&b, secs, err, cause) < 0)
		goto fail;
	res = cJSON_CreateObject();
	data = cJSON_CreateArray();
	for (size_t j = nc; j-- > 0;) {
		long idx;
		struct msg m;
		int in_page;

		if (over(&b, secs, err, cause) < 0) {
			cJSON_Delete(res);
			cJSON_Delete(data);
			goto fail;
		}
		if (!need_read) {
			idx = total++;
			if (idx < q->offset || idx >= q->offset + q->limit)
				continue;
		}
		if (read_msg(fe, c[j].mid, h, 0, &m, cause) < 0) {
			cJSON_Delete(res);
			cJSON_Delete(data);
			goto fail;
		}
		if (need_read) {
			if ((q->sender_ip && strcmp(m.sender_ip, q->sender_ip) != 0) ||
			    (q->message_id && !msgid_eq(m.message_id, q->message_id))) {
				cJSON_Delete(m.attrs);
				free(m.message_id);
				continue;
			}
			idx = total++;
			in_page = idx >= q->offset && idx < q->offset + q->limit;
			if (!in_page) {
				cJSON_Delete(m.attrs);
				free(m.message_id);
				continue;
			}
		}
		if (extra)
			extra(arg, c[j].mid, m.attrs);
		cJSON *item = cJSON_CreateObject();

		cJSON_AddItemToObject(item, "attributes", m.attrs);
		cJSON_AddItemToArray(data, item);
		free(m.message_id);
	}
	cJSON_AddNumberToObject(cJSON_AddObjectToObject(res, "meta"), "totalCount", (double)total);
	cJSON_AddItemToObject(res, "data", data);
	free(c);
	findevent_close(fe);
	return res;
fail:
	free(c);
	findevent_close(fe);
	return NULL;
}

/* tracking_details - one message with its summary */
cJSON *
tracking_details(const char *logdir, const char *prefix, long long mid, time_t start,
    time_t end, const struct tracking_limits *lim, const struct tracking_host *h,
    tracking_extra_fn extra, void *arg, int *found, enum tracking_err *err, char **cause)
{
	struct findevent *fe;
	struct msg m;
	cJSON *res;
	struct budget b;

	*found = 0;
	*err = TRACKING_ERR_LOG;
	budget_init(&b, lim);
	if ((fe = open_log(logdir, prefix, start, end, cause)) == NULL)
		return NULL;
	if (over(&b, lim ? lim->budget : 0, err, cause) < 0) {
		findevent_close(fe);
		return NULL;
	}
	if (read_msg(fe, mid, h, 1, &m, cause) < 0) {
		findevent_close(fe);
		return NULL;
	}
	findevent_close(fe);
	free(m.message_id);
	*found = m.found;
	if (m.found && extra)
		extra(arg, mid, m.attrs);
	res = cJSON_CreateObject();
	cJSON_AddItemToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(res, "data"),
	    "messages"), "attributes", m.attrs);
	return res;
}
