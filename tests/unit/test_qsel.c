/*
 * test_qsel.c - the queue selection (mail/qsel.c, commands/qselcmd.c):
 * matching, the request argument word and back, reply text, the batch
 * words with their one-line errors, and the dialogue at a terminal and
 * in batch (a bad answer abandons the command there).
 */
#include "commands/qselcmd.h"
#include "tests/unit/unit.h"
#include "util/buf.h"
#include "util/str.h"

/* A scripted terminal: answers in order, "<END>" ends the input. */
struct script {
	const char *const *answers;
	int next;
	struct buf out;		/* everything written, prompts and answers too */
};

/* script_readline - cli_io.readline from the script */
static char *
script_readline(void *arg, const char *prompt, int *intr)
{
	struct script *s = arg;
	const char *a = s->answers[s->next];

	buf_addstr(&s->out, prompt);
	*intr = 0;
	if (strcmp(a, "<END>") == 0)
		return NULL;
	s->next++;
	buf_printf(&s->out, "%s\n", a);
	return str_dup(a);
}

/* script_write - cli_io.write into the buffer */
static int
script_write(void *arg, const char *p, size_t n, int is_error)
{
	struct script *s = arg;

	(void)is_error;
	buf_add(&s->out, p, n);
	return 0;
}

static const struct cli_io script_io = { script_readline, script_write, NULL, NULL };
static volatile sig_atomic_t intr_flag;

/* session - a cli on a script, no store needed */
static void
session(struct cli *c, struct script *s, const char *const *answers, int interactive)
{
	memset(c, 0, sizeof(*c));
	memset(s, 0, sizeof(*s));
	buf_init(&s->out, 0);
	buf_addstr(&s->out, "");
	s->answers = answers;
	c->io = &script_io;
	c->io_arg = s;
	c->interactive = interactive;
	c->intr = &intr_flag;
	str_copy(c->user, "tester", sizeof(c->user));
}

/* test_match - host and sender match exactly, case-insensitively; all matches anything */
static void
test_match(void)
{
	struct qsel h = { QSEL_HOST, "example.com" }, f = { QSEL_SENDER, "a@b.org" };
	struct qsel n = { QSEL_SENDER, "" }, a = { QSEL_ALL, "" };

	CHECK(qsel_match(&h, "Example.COM", "x@y"));
	CHECK(!qsel_match(&h, "mail.example.com", "x@y"));
	CHECK(!qsel_match(&h, "example.co", "x@y"));
	CHECK(qsel_match(&f, "x", "A@B.org"));
	CHECK(!qsel_match(&f, "x", "a@b.org.uk"));
	CHECK(!qsel_match(&f, "x", ""));
	CHECK(qsel_match(&n, "the.tdc.queue", ""));
	CHECK(!qsel_match(&n, "x", "a@b.org"));
	CHECK(qsel_match(&a, "anything", ""));
}

/* test_arg - every selection survives the request word; malformed words are refused */
static void
test_arg(void)
{
	static const struct qsel sels[] = {
		{ QSEL_HOST, "example.com" }, { QSEL_HOST, "[127.0.0.1]:2526" },
		{ QSEL_HOST, "the.tdc.queue" }, { QSEL_SENDER, "a@b.org" },
		{ QSEL_SENDER, "" }, { QSEL_ALL, "" },
	};
	static const char *const bad[] = {
		"", "host:", "host", "everything", "sender:a b", "host:a\tb", "ALL",
		"recipient:a@b", NULL,
	};
	char buf[400], longw[400];
	struct qsel back;

	for (size_t i = 0; i < sizeof(sels) / sizeof(sels[0]); i++) {
		memset(&back, 0x55, sizeof(back));
		CHECK_INT(qsel_from_arg(qsel_arg(&sels[i], buf, sizeof(buf)), &back), 0);
		CHECK_INT(back.kind, sels[i].kind);
		CHECK_STR(back.value, sels[i].value);
	}
	CHECK_STR(qsel_arg(&sels[4], buf, sizeof(buf)), "sender:");
	CHECK_STR(qsel_arg(&sels[5], buf, sizeof(buf)), "all");
	for (int i = 0; bad[i]; i++)
		if (qsel_from_arg(bad[i], &back) == 0)
			UNIT_FAIL("'%s' was taken", bad[i]);
	memset(longw, 'a', sizeof(longw) - 1);
	longw[sizeof(longw) - 1] = '\0';
	memcpy(longw, "host:", 5);
	CHECK_INT(qsel_from_arg(longw, &back), -1);
	CHECK_INT(qsel_from_arg(NULL, &back), -1);
}

/* test_text - how replies name a selection */
static void
test_text(void)
{
	struct qsel h = { QSEL_HOST, "example.com" }, f = { QSEL_SENDER, "a@b.org" };
	struct qsel n = { QSEL_SENDER, "" }, a = { QSEL_ALL, "" };
	char buf[400];

	CHECK_STR(qsel_text(&h, buf, sizeof(buf)), "for host \"example.com\"");
	CHECK_STR(qsel_text(&f, buf, sizeof(buf)), "from \"a@b.org\"");
	CHECK_STR(qsel_text(&n, buf, sizeof(buf)), "from \"<>\"");
	CHECK_STR(qsel_text(&a, buf, sizeof(buf)), "in the queue");
}

/* test_parse - good batch words select; bad ones print one line naming the command */
static void
test_parse(void)
{
	static const struct {
		const char *word;
		enum qsel_kind kind;
		const char *value;
	} good[] = {
		{ "host=example.com", QSEL_HOST, "example.com" },
		{ "HOST=the.tdc.queue", QSEL_HOST, "the.tdc.queue" },
		{ "host=[127.0.0.1]:2526", QSEL_HOST, "[127.0.0.1]:2526" },
		{ "host=[mx.example.net]:25", QSEL_HOST, "[mx.example.net]:25" },
		{ "host=[::1]:25", QSEL_HOST, "[::1]:25" },
		{ "host=[192.0.2.1]", QSEL_HOST, "[192.0.2.1]" },
		{ "sender=a@b.org", QSEL_SENDER, "a@b.org" },
		{ "sender=<a@b.org>", QSEL_SENDER, "a@b.org" },
		{ "sender=<>", QSEL_SENDER, "" },
		/* real senders that are no "e-mail address" to a strict check */
		{ "sender=root@localhost", QSEL_SENDER, "root@localhost" },
		{ "sender=\"quoted\"@x", QSEL_SENDER, "\"quoted\"@x" },
		{ "sender=<\"quoted\"@x>", QSEL_SENDER, "\"quoted\"@x" },
		{ "sender=user@[192.0.2.1]", QSEL_SENDER, "user@[192.0.2.1]" },
		{ "sender=MAILER-DAEMON", QSEL_SENDER, "MAILER-DAEMON" },
		{ "sender=j\xc3\xb6rg@example.de", QSEL_SENDER, "j\xc3\xb6rg@example.de" },
		{ "all", QSEL_ALL, "" },
		{ "ALL", QSEL_ALL, "" },
	};
	static const struct {
		const char *word;
		const char *line;
	} bad[] = {
		{ "x", "deleterecipients: expected host=HOST, sender=ADDRESS or all, not 'x'.\n" },
		{ "recipient=a@b", "deleterecipients: expected host=HOST, sender=ADDRESS or all, "
				   "not 'recipient=a@b'.\n" },
		{ "host=", "deleterecipients: '' is not a host name, [IP]:PORT or the.tdc.queue.\n" },
		{ "host=bad host", "deleterecipients: 'bad host' is not a host name, [IP]:PORT or "
				   "the.tdc.queue.\n" },
		{ "host=[1.2.3.4]:0", "deleterecipients: '[1.2.3.4]:0' is not a host name, "
				      "[IP]:PORT or the.tdc.queue.\n" },
		{ "host=[1.2.3.4", "deleterecipients: '[1.2.3.4' is not a host name, [IP]:PORT or "
				   "the.tdc.queue.\n" },
		{ "sender=", "deleterecipients: '' is not an envelope sender or <>.\n" },
		{ "sender=<a@b", "deleterecipients: '<a@b' is not an envelope sender or <>.\n" },
		{ "sender=a\001b@c", "deleterecipients: 'a\\001b@c' is not an envelope sender or <>.\n" },
		{ "sender=a\x7f@c", "deleterecipients: 'a\\177@c' is not an envelope sender or <>.\n" },
		{ "sender=<<a@b>>", "deleterecipients: '<<a@b>>' is not an envelope sender or <>.\n" },
	};
	static const char *const none[] = { "<END>" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct cli c;
		struct script s;
		struct qsel q;

		session(&c, &s, none, 0);
		if (qsel_parse(&c, "showrecipients", good[i].word, &q) < 0)
			UNIT_FAIL("'%s' refused: %s", good[i].word, s.out.data);
		CHECK_INT(q.kind, good[i].kind);
		CHECK_STR(q.value, good[i].value);
		CHECK_STR(s.out.data, "");
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cli c;
		struct script s;
		struct qsel q = { QSEL_HOST, "unchanged" };

		session(&c, &s, none, 0);
		CHECK_INT(qsel_parse(&c, "deleterecipients", bad[i].word, &q), -1);
		CHECK_STR(s.out.data, bad[i].line);
		CHECK_INT(q.kind, QSEL_HOST);
		CHECK_STR(q.value, "unchanged");
	}
}

/* test_sender_length - 1 to 319 bytes (what struct qsel holds), with or without <> */
static void
test_sender_length(void)
{
	static const char *const none[] = { "<END>" };
	char w[400];
	struct cli c;
	struct script s;
	struct qsel q;

	memcpy(w, "sender=", 7);
	memset(w + 7, 'a', 319);
	w[7 + 319] = '\0';
	w[7 + 1] = '@';
	session(&c, &s, none, 0);
	CHECK_INT(qsel_parse(&c, "showrecipients", w, &q), 0);
	CHECK_INT(strlen(q.value), 319);
	w[7 + 319] = 'a';
	w[7 + 320] = '\0';
	session(&c, &s, none, 0);
	CHECK_INT(qsel_parse(&c, "showrecipients", w, &q), -1);
	CHECK(qsel_sender_ok("a"));
	CHECK(!qsel_sender_ok(""));
	CHECK(!qsel_sender_ok("a b"));
}

/* test_dialogue - a bad answer in batch: the command's name on its line, CMD_ERROR */
static void
test_dialogue(void)
{
	static const char *const bad_host[] = { "1", "no such host!", "mx.example.org", "<END>" };
	static const char *const bad_sender[] = { "2", "a b", "<END>" };
	static const char *const good[] = { "2", "root@localhost", "<END>" };
	static const char *const back[] = { "1", "", "<END>" };
	static const char *const eof[] = { "<END>" };
	struct cli c;
	struct script s;
	struct qsel q;
	enum cmd_ret ret = CMD_OK;

	session(&c, &s, bad_host, 0);
	CHECK_INT(qsel_dialogue(&c, "delete", &q, &ret), 0);
	CHECK_INT(ret, CMD_ERROR);
	CHECK_INT(s.next, 2);
	CHECK(strstr(s.out.data, "\ndeleterecipients: 'no such host!' is not a host name, "
				 "[IP]:PORT or the.tdc.queue.\n") != NULL);
	session(&c, &s, bad_sender, 0);
	CHECK_INT(qsel_dialogue(&c, "show", &q, &ret), 0);
	CHECK_INT(ret, CMD_ERROR);
	CHECK(strstr(s.out.data, "\nshowrecipients: 'a b' is not an envelope sender or <>.\n") !=
	    NULL);
	/* at a terminal the question comes again, the line names the command too */
	session(&c, &s, bad_host, 1);
	CHECK_INT(qsel_dialogue(&c, "bounce", &q, &ret), 1);
	CHECK_STR(q.value, "mx.example.org");
	CHECK(strstr(s.out.data, "bouncerecipients: 'no such host!'") != NULL);
	session(&c, &s, good, 0);
	CHECK_INT(qsel_dialogue(&c, "show", &q, &ret), 1);
	CHECK_INT(q.kind, QSEL_SENDER);
	CHECK_STR(q.value, "root@localhost");
	session(&c, &s, back, 1);
	CHECK_INT(qsel_dialogue(&c, "show", &q, &ret), 0);
	CHECK_INT(ret, CMD_OK);
	session(&c, &s, eof, 0);
	CHECK_INT(qsel_dialogue(&c, "show", &q, &ret), 0);
	CHECK_INT(ret, CMD_ABORTED);
}

/* test_words - the shared batch words: host=, sender=, all, each with help */
static void
test_words(void)
{
	int n = 0;

	for (const struct cmd_word *w = qsel_words; w->word; w++, n++)
		CHECK(w->help != NULL && w->help[0] != '\0');
	CHECK_INT(n, 3);
	CHECK_STR(qsel_words[0].word, "host=");
	CHECK_STR(qsel_words[1].word, "sender=");
	CHECK_STR(qsel_words[2].word, "all");
}

/* test_ask - the dialogue: default host, sender, all, a bad answer asked again */
static void
test_ask(void)
{
	static const char *const by_host[] = { "", "Example.com", "<END>" };
	static const char *const by_sender[] = { "2", "<>", "<END>" };
	static const char *const all[] = { "3", "<END>" };
	static const char *const again[] = { "1", "no such host!", "mx.example.org", "<END>" };
	static const char *const back[] = { "1", "", "<END>" };
	struct cli c;
	struct script s;
	struct qsel q;

	session(&c, &s, by_host, 1);
	CHECK_INT(qsel_ask(&c, "show", &q), ASK_OK);
	CHECK_INT(q.kind, QSEL_HOST);
	CHECK_STR(q.value, "Example.com");
	CHECK_STR(s.out.data,
	    "\nPlease select how you would like to show messages:\n"
	    "1. By recipient host.\n2. By Envelope From address.\n3. All.\n[1]> \n"
	    "\nPlease enter the hostname for the messages you wish to show.\n[]> Example.com\n");

	session(&c, &s, by_sender, 1);
	CHECK_INT(qsel_ask(&c, "bounce", &q), ASK_OK);
	CHECK_INT(q.kind, QSEL_SENDER);
	CHECK_STR(q.value, "");
	CHECK(strstr(s.out.data, "Please enter the Envelope From address for the "
				      "messages you wish to bounce.\n") != NULL);

	session(&c, &s, all, 1);
	CHECK_INT(qsel_ask(&c, "delete", &q), ASK_OK);
	CHECK_INT(q.kind, QSEL_ALL);

	session(&c, &s, again, 1);
	CHECK_INT(qsel_ask(&c, "show", &q), ASK_OK);
	CHECK_STR(q.value, "mx.example.org");
	CHECK(strstr(s.out.data, "'no such host!' is not a host name") != NULL);

	/* in batch the next line was meant for the next question: abandon */
	session(&c, &s, again, 0);
	CHECK_INT(qsel_ask(&c, "show", &q), ASK_ABORT);
	CHECK_INT(s.next, 2);

	session(&c, &s, back, 1);
	CHECK_INT(qsel_ask(&c, "show", &q), ASK_BACK);
}

static const struct unit_case cases[] = {
	{ "match", test_match },
	{ "arg", test_arg },
	{ "text", test_text },
	{ "parse", test_parse },
	{ "ask", test_ask },
	{ "sender_length", test_sender_length },
	{ "dialogue", test_dialogue },
	{ "words", test_words },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("test_qsel", cases, argc, argv);
}
