/*
 * qselcmd.c - asking which queued recipients a queue command acts on
 * (qselcmd.h): the batch words host=HOST, sender=ADDR, all, and
 * AsyncOS's dialogue.
 *
 * A host is a destination queue name as tophosts shows it: a host name
 * (the.tdc.queue among them), [IP] or [IP]:PORT, [HOST]:PORT after a
 * redirect. A sender is any envelope sender (1 to 319 bytes, no blank
 * or control character), bare or in <>, or <> for the null sender. Anything else is one error line naming the command; nothing
 * is selected.
 */
#include <string.h>
#include <strings.h>

#include "commands/qselcmd.h"
#include "util/printable.h"
#include "util/str.h"
#include "util/syntax.h"

/* qsel_host_ok - a destination queue name: HOST, [IP], [IP]:PORT or [HOST]:PORT */
int
qsel_host_ok(const char *h)
{
	char in[300];
	const char *close;
	size_t n;
	int port;

	if (h[0] != '[')
		return syntax_hostname(h);
	if ((close = strchr(h, ']')) == NULL)
		return 0;
	n = (size_t)(close - h - 1);
	if (n == 0 || n >= sizeof(in))
		return 0;
	memcpy(in, h + 1, n);
	in[n] = '\0';
	if (close[1] == '\0')	/* an address literal, RFC 5321 4.1.3 */
		return syntax_ipv4(in) ||
		    (strncasecmp(in, "IPv6:", 5) == 0 && syntax_ipv6(in + 5));
	if (close[1] != ':' || !syntax_port(close + 2, &port))
		return 0;
	return syntax_ipv4(in) || syntax_ipv6(in) || syntax_hostname(in);
}

/* SHOWN - an operator's word in an error line: escaped (a control byte is not echoed raw), cut */
#define SHOWN(buf, w) (printable_copy((buf), sizeof(buf), (w), PRINTABLE_STR, 80), (buf))

/* set_host - *s selects recipients queued for h; 0, or -1 if h is not a host */
static int
set_host(struct qsel *s, const char *h)
{
	if (!qsel_host_ok(h) || strlen(h) >= sizeof(s->value))
		return -1;
	s->kind = QSEL_HOST;
	str_copy(s->value, h, sizeof(s->value));
	return 0;
}

/* qsel_sender_ok - 1 to 319 bytes, no blank or control character */
int
qsel_sender_ok(const char *a)
{
	size_t n = strlen(a);

	if (n == 0 || n >= sizeof(((struct qsel *)0)->value))
		return 0;
	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

/*
 * set_sender - *s selects messages from a (<> the null sender); 0 or -1.
 * Not syntax_email: a queued sender is whatever the envelope said
 * (root@localhost, "quoted"@x, user@[192.0.2.1]) and must be nameable;
 * the match is exact, so a loose check selects nothing it should not.
 */
static int
set_sender(struct qsel *s, const char *a)
{
	char addr[sizeof(s->value)];
	size_t n = strlen(a);

	if (strcmp(a, "<>") == 0) {
		s->kind = QSEL_SENDER;
		s->value[0] = '\0';
		return 0;
	}
	if (n >= 2 && a[0] == '<' && a[n - 1] == '>') {
		if (n - 2 >= sizeof(addr))
			return -1;
		memcpy(addr, a + 1, n - 2);
		addr[n - 2] = '\0';
	} else if (str_copy(addr, a, sizeof(addr)) < 0) {
		return -1;
	}
	if (!qsel_sender_ok(addr) || addr[0] == '<' || addr[strlen(addr) - 1] == '>')
		return -1;
	s->kind = QSEL_SENDER;
	str_copy(s->value, addr, sizeof(s->value));
	return 0;
}

/* qsel_parse - one batch word into *s; 0, or -1 after one error line */
int
qsel_parse(struct cli *c, const char *cmd, const char *word, struct qsel *s)
{
	struct qsel t = { QSEL_ALL, "" };
	char shown[80 + 1];

	if (strcasecmp(word, "all") == 0) {
		*s = t;
		return 0;
	}
	if (strncasecmp(word, "host=", 5) == 0) {
		if (set_host(&t, word + 5) < 0) {
			cli_error(c, "%s: '%s' is not a host name, [IP]:PORT or the.tdc.queue.",
			    cmd, SHOWN(shown, word + 5));
			return -1;
		}
	} else if (strncasecmp(word, "sender=", 7) == 0) {
		if (set_sender(&t, word + 7) < 0) {
			cli_error(c, "%s: '%s' is not an envelope sender or <>.", cmd,
			    SHOWN(shown, word + 7));
			return -1;
		}
	} else {
		cli_error(c, "%s: expected host=HOST, sender=ADDRESS or all, not '%s'.", cmd,
		    SHOWN(shown, word));
		return -1;
	}
	*s = t;
	return 0;
}

/*
 * ask - the dialogue; *bad set when a bad answer in batch ended it
 * (ASK_ABORT); prefix: the error lines' "VERBrecipients: " or ""
 */
static enum ask_ret
ask(struct cli *c, const char *verb, const char *prefix, struct qsel *s, int *bad)
{
	static const char *const how[] = {
		"By recipient host.", "By Envelope From address.", "All.",
	};
	char question[160], answer[400], shown[80 + 1];
	struct qsel t = { QSEL_ALL, "" };
	enum ask_ret r;
	int pick;

	*bad = 0;
	str_fmt(question, sizeof(question), "Please select how you would like to %s messages:",
	    verb);
	if ((r = cli_ask_list(c, question, how, 3, 1, &pick)) != ASK_OK)
		return r;
	if (pick == 2) {
		*s = t;
		return ASK_OK;
	}
	if (pick == 0)
		str_fmt(question, sizeof(question),
		    "Please enter the hostname for the messages you wish to %s.", verb);
	else
		str_fmt(question, sizeof(question),
		    "Please enter the Envelope From address for the messages you wish to %s.",
		    verb);
	for (;;) {
		if ((r = cli_ask_required(c, question, answer, sizeof(answer))) != ASK_OK)
			return r;
		if (pick == 0 && set_host(&t, answer) == 0)
			break;
		if (pick == 1 && set_sender(&t, answer) == 0)
			break;
		if (pick == 0)
			cli_error(c, "%s'%s' is not a host name, [IP]:PORT or the.tdc.queue.",
			    prefix, SHOWN(shown, answer));
		else
			cli_error(c, "%s'%s' is not an envelope sender or <>.", prefix,
			    SHOWN(shown, answer));
		/* a script's next line was meant for the next question */
		if (!c->interactive) {
			*bad = 1;
			return ASK_ABORT;
		}
	}
	*s = t;
	return ASK_OK;
}

/* qsel_ask - AsyncOS's dialogue: by recipient host, by Envelope From, or all */
enum ask_ret
qsel_ask(struct cli *c, const char *verb, struct qsel *s)
{
	int bad;

	return ask(c, verb, "", s, &bad);
}

/* qsel_dialogue - the dialogue for an exec: 1 selected, or 0 with what to return */
int
qsel_dialogue(struct cli *c, const char *verb, struct qsel *s, enum cmd_ret *ret)
{
	char prefix[64];
	int bad;

	/* the command's name, as qsel_parse's lines: each verb is its command's first word */
	str_fmt(prefix, sizeof(prefix), "%srecipients: ", verb);
	switch (ask(c, verb, prefix, s, &bad)) {
	case ASK_OK:
		return 1;
	case ASK_BACK:
		*ret = CMD_OK;
		return 0;
	case ASK_ABORT:
		break;
	}
	*ret = bad ? CMD_ERROR : CMD_ABORTED;
	return 0;
}

/* the batch words, for every queue command's table entry */
const struct cmd_word qsel_words[] = {
	{ "host=", "recipients queued for a host (a domain, [IP]:PORT or the.tdc.queue)", NULL },
	{ "sender=", "recipients of messages from an envelope sender (<> for none)", NULL },
	{ "all", "every recipient in the queue", NULL },
	{ NULL, NULL, NULL },
};
