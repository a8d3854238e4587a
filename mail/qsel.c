/*
 * qsel.c - which queued recipients a queue command acts on (qsel.h):
 * matching a recipient, and the selection as one request argument word
 * and as reply text.
 *
 * Pure: no I/O. qsel_from_arg refuses a word it could not have written
 * (unknown kind, a value too long or holding a blank or a control
 * character), so a damaged request acts on nothing.
 */
#include <string.h>
#include <strings.h>

#include "mail/qsel.h"
#include "util/str.h"

/* qsel_match - does a recipient queued for dest, of a message from sender, belong? */
int
qsel_match(const struct qsel *s, const char *dest, const char *sender)
{
	switch (s->kind) {
	case QSEL_HOST:
		return dest != NULL && strcasecmp(dest, s->value) == 0;
	case QSEL_SENDER:
		return sender != NULL && strcasecmp(sender, s->value) == 0;
	case QSEL_ALL:
		return 1;
	}
	return 0;
}

/* qsel_arg - the selection as one request argument word */
const char *
qsel_arg(const struct qsel *s, char *buf, size_t size)
{
	switch (s->kind) {
	case QSEL_HOST:
		str_fmt(buf, size, "host:%s", s->value);
		break;
	case QSEL_SENDER:
		str_fmt(buf, size, "sender:%s", s->value);
		break;
	case QSEL_ALL:
		str_copy(buf, "all", size);
		break;
	}
	return buf;
}

/* word_ok - a value qsel_arg can have written: fits, no blank or control character */
static int
word_ok(const char *v)
{
	if (strlen(v) >= sizeof(((struct qsel *)0)->value))
		return 0;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

/* qsel_from_arg - the selection back from its request argument word; -1 if malformed */
int
qsel_from_arg(const char *arg, struct qsel *s)
{
	struct qsel t = { QSEL_ALL, "" };
	const char *v;

	if (arg == NULL)
		return -1;
	if (strcmp(arg, "all") == 0) {
		*s = t;
		return 0;
	}
	if (strncmp(arg, "host:", 5) == 0) {
		t.kind = QSEL_HOST;
		v = arg + 5;
		if (*v == '\0')
			return -1;
	} else if (strncmp(arg, "sender:", 7) == 0) {
		t.kind = QSEL_SENDER;
		v = arg + 7;
	} else {
		return -1;
	}
	if (!word_ok(v))
		return -1;
	str_copy(t.value, v, sizeof(t.value));
	*s = t;
	return 0;
}

/* qsel_text - how a reply names the selection */
const char *
qsel_text(const struct qsel *s, char *buf, size_t size)
{
	switch (s->kind) {
	case QSEL_HOST:
		str_fmt(buf, size, "for host \"%s\"", s->value);
		break;
	case QSEL_SENDER:
		str_fmt(buf, size, "from \"%s\"", s->value[0] ? s->value : "<>");
		break;
	case QSEL_ALL:
		str_copy(buf, "in the queue", size);
		break;
	}
	return buf;
}
