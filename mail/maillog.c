/*
 * maillog.c - read the IDs and findevent values out of a mail_logs line.
 *
 * The shapes are those mxgated writes (daemon/smtpd.c, delivery.c) and
 * those of AsyncOS (spec/asyncos-cli.md §12, IronPort's findevent.py).
 * Relation lines are recognised whole, anchored after an optional "TDC: ":
 *   MID a was split creating MID b ...
 *   MID b was generated based on MID a ...
 *   MID b was generated for bounce of MID a
 *   MID a rewritten to MID b ...
 * Everything else is a walk over the words of the line's head collecting
 * "MID n", "ICID n", "DCID n" (and "Message n to RID" for the pending
 * line), which ends where free text may begin (see maillog.h).
 *
 * DIAGNOSTICS: none; a line that is not a log line is reported by -1.
 */
#include <string.h>

#include "mail/maillog.h"

#define ISDIGIT(c) ((c) >= '0' && (c) <= '9')
#define ISALNUM(c) (ISDIGIT(c) || ((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || \
	(c) == '_')

/* prefix - does [p, e) start with s? */
static int
prefix(const char *p, const char *e, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(e - p) >= n && memcmp(p, s, n) == 0;
}

/* number - a decimal at *pp (at most 18 digits), advancing; -1 if none */
static long long
number(const char **pp, const char *e)
{
	const char *p = *pp;
	long long v = 0;
	int n = 0;

	while (p < e && ISDIGIT(*p) && n < 18) {
		v = v * 10 + (*p - '0');
		p++;
		n++;
	}
	if (n == 0 || (p < e && ISDIGIT(*p)))
		return -1;
	*pp = p;
	return v;
}

/* word_id - "KW n" at *pp ending at a space or the end; the number, advancing; -1 if not */
static long long
word_id(const char **pp, const char *e, const char *kw)
{
	const char *p = *pp;
	long long v;

	if (!prefix(p, e, kw))
		return -1;
	p += strlen(kw);
	if ((v = number(&p, e)) < 0 || (p < e && *p != ' '))
		return -1;
	*pp = p;
	return v;
}

/* timestamp - the length of "Www Mmm dd hh:mm:ss yyyy" and the start of the message */
static int
timestamp(const char *s, const char *e, size_t *ts_len, const char **msg)
{
	const char *p = s;

	for (int i = 0; i < 3; i++, p++)
		if (p >= e || !ISALNUM(*p))
			return -1;
	if (p >= e || *p++ != ' ')
		return -1;
	for (int i = 0; i < 3; i++, p++)
		if (p >= e || !ISALNUM(*p))
			return -1;
	if (p >= e || *p != ' ')
		return -1;
	while (p < e && *p == ' ')
		p++;
	if (p >= e || !ISDIGIT(*p))
		return -1;
	while (p < e && ISDIGIT(*p))
		p++;
	/* " hh:mm:ss yyyy" */
	if (e - p < 14 || p[0] != ' ' || !ISDIGIT(p[1]) || !ISDIGIT(p[2]) || p[3] != ':' ||
	    !ISDIGIT(p[4]) || !ISDIGIT(p[5]) || p[6] != ':' || !ISDIGIT(p[7]) || !ISDIGIT(p[8]) ||
	    p[9] != ' ' || !ISDIGIT(p[10]) || !ISDIGIT(p[11]) || !ISDIGIT(p[12]) ||
	    !ISDIGIT(p[13]))
		return -1;
	p += 14;
	*ts_len = (size_t)(p - s);
	/* " Level: " */
	if (p >= e || *p++ != ' ')
		return -1;
	while (p < e && ISALNUM(*p))
		p++;
	if (e - p < 2 || p[0] != ':' || p[1] != ' ')
		return -1;
	*msg = p + 2;
	return 0;
}

/* add_mid - remember a MID named by the line (once) */
static void
add_mid(struct maillog_line *l, long long mid)
{
	for (int i = 0; i < l->nmid; i++)
		if (l->mid[i] == mid)
			return;
	if (l->nmid < MAILLOG_MAX_MIDS)
		l->mid[l->nmid++] = mid;
}

/* relation - the four shapes tying a new message to its parent */
static void
relation(const char *p, const char *e, struct maillog_line *l)
{
	const char *q = p;
	long long a, b;

	if ((a = word_id(&q, e, "MID ")) < 0)
		return;
	if (prefix(q, e, " was split creating ")) {
		q += strlen(" was split creating ");
		if ((b = word_id(&q, e, "MID ")) >= 0) {
			l->parent = a;
			l->child = b;
		}
	} else if (prefix(q, e, " was generated based on ")) {
		q += strlen(" was generated based on ");
		if ((b = word_id(&q, e, "MID ")) >= 0) {
			l->parent = b;
			l->child = a;
		}
	} else if (prefix(q, e, " was generated for bounce of ")) {
		q += strlen(" was generated for bounce of ");
		if ((b = word_id(&q, e, "MID ")) >= 0) {
			l->parent = b;
			l->child = a;
		}
	} else if (prefix(q, e, " rewritten to ")) {
		q += strlen(" rewritten to ");
		if ((b = word_id(&q, e, "MID ")) >= 0) {
			l->parent = a;
			l->child = b;
		}
	}
}

/* strip_angle - "<a@b>" -> "a@b" */
static void
strip_angle(const char **v, size_t *n)
{
	if (*n >= 2 && (*v)[0] == '<' && (*v)[*n - 1] == '>') {
		(*v)++;
		*n -= 2;
	}
}

/* values - From:, To: and Subject lines (the message starts at p) */
static void
values(const char *p, const char *e, struct maillog_line *l)
{
	const char *q = p;
	long long mid, icid;

	if ((mid = word_id(&q, e, "MID ")) < 0)
		return;
	if (prefix(q, e, " Subject ") && e - q >= 11) {
		char quote = q[9];

		if ((quote == '\'' || quote == '"') && e[-1] == quote && e - q >= 11) {
			l->vkind = MAILLOG_VAL_SUBJECT;
			l->vmid = mid;
			l->val = q + 10;
			l->vlen = (size_t)(e - 1 - (q + 10));
		}
		return;
	}
	if (!prefix(q, e, " ICID "))
		return;
	q++;
	if ((icid = word_id(&q, e, "ICID ")) <= 0)
		return;		/* ICID 0: generated, or split: not what was received */
	if (prefix(q, e, " From: ")) {
		l->vkind = MAILLOG_VAL_FROM;
		l->val = q + 7;
	} else if (prefix(q, e, " RID ")) {
		q += 5;
		if (number(&q, e) < 0 || !prefix(q, e, " To: "))
			return;
		l->vkind = MAILLOG_VAL_TO;
		l->val = q + 5;
	} else {
		return;
	}
	l->vmid = mid;
	l->vlen = (size_t)(e - l->val);
	strip_angle(&l->val, &l->vlen);
}

/*
 * head - the IDs named in the structured head of the message. Every shape
 * names its first ID within its first 6 words and the next within 4 words
 * of the one before; further words are not looked at (speed, and less
 * free text taken for IDs).
 */
static void
head(const char *p, const char *e, struct maillog_line *l)
{
	int seen = 0, words = 0;

	while (p < e) {
		const char *q;
		long long v;

		if (*p == ' ') {
			p++;
			continue;
		}
		if (words >= (seen ? 4 : 6))
			return;
		q = p;
		if ((v = word_id(&q, e, "MID ")) >= 0) {
			add_mid(l, v);
		} else if ((v = word_id(&q, e, "ICID ")) >= 0) {
			if (l->icid == 0)
				l->icid = v;
		} else if ((v = word_id(&q, e, "DCID ")) >= 0) {
			if (l->dcid == 0)
				l->dcid = v;
		} else {
			/* a word: stop where free text may start */
			while (p < e && *p != ' ') {
				if (*p == '\'' || *p == '"' || *p == '<' || *p == '(' || *p == '[')
					return;
				p++;
			}
			if (seen && p[-1] == ':')
				return;
			words++;
			continue;
		}
		seen = 1;
		words = 0;
		p = q;
	}
}

/* maillog_parse - classify one mail_logs line */
int
maillog_parse(const char *line, size_t len, struct maillog_line *l)
{
	const char *e = line + len, *p, *q;
	long long v;

	memset(l, 0, sizeof(*l));
	if (len > 0 && e[-1] == '\r')
		e--;
	if (timestamp(line, e, &l->ts_len, &p) < 0)
		return -1;
	if (prefix(p, e, "Status: "))
		return 0;	/* AsyncOS status lines name counters, not messages */
	if (prefix(p, e, "TDC: ")) {
		p += 5;
		q = p;
		/* "TDC: MID n remediation r: ...": remediation acts long after delivery */
		if (word_id(&q, e, "MID ") >= 0 && prefix(q, e, " remediation "))
			l->late = 1;
	}
	relation(p, e, l);
	if (l->child && l->child == l->parent)
		l->parent = l->child = 0;	/* "MID 2 ... of MID 2" ties nothing */
	if (l->child) {
		add_mid(l, l->parent);
		add_mid(l, l->child);
		/* the forward a remediation made: "... based on MID n by remediation r" */
		for (q = p; q + 16 <= e; q++)
			if (memcmp(q, " by remediation ", 16) == 0 && q + 16 < e &&
			    q[16] >= '0' && q[16] <= '9') {
				l->late = 1;
				break;
			}
		return 0;
	}
	values(p, e, l);
	q = p;
	if (prefix(q, e, "Message finished ")) {
		q += strlen("Message finished ");
		/* "done", or "aborted" when an operator deleted its last recipient */
		if ((v = word_id(&q, e, "MID ")) >= 0 &&
		    (prefix(q, e, " done") || prefix(q, e, " aborted")))
			l->finished = v;
	} else if (prefix(q, e, "Message ")) {
		/* "Message 4 to RID [0] pending till ..." */
		q += strlen("Message ");
		if ((v = number(&q, e)) >= 0 && prefix(q, e, " to RID"))
			add_mid(l, v);
	} else if (prefix(q, e, "Start ")) {
		q += strlen("Start ");
		if ((v = word_id(&q, e, "MID ")) >= 0 && prefix(q, e, " ICID 0") &&
		    (e - q == 7 || q[7] == ' '))
			l->start0 = v;
	}
	head(p, e, l);
	q = p;
	if ((word_id(&q, e, "ICID ") >= 0 || word_id(&q, e, "DCID ") >= 0) &&
	    prefix(q, e, " close") && (e - q == 6 || q[6] == ' '))
		l->close = 1;
	return 0;
}
