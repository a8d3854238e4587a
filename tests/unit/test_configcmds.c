/*
 * test_configcmds.c - the configuration commands of the mail path
 * (listenerconfig, certconfig, dnsconfig, deliveryconfig, destconfig,
 * tdcconfig, policyconfig's tdc=) through a scripted terminal: TAB
 * completion offers their key= names, the dialogues that only run at a
 * terminal work, and Ctrl-C in the middle of a dialogue stages nothing. (Batch behaviour is covered by the
 * tests/cli transcripts.)
 */
#include "commands/cmd.h"
#include "shell/complete.h"
#include "store/config.h"
#include "store/settings.h"
#include "tests/unit/unit.h"
#include "util/buf.h"
#include "util/str.h"

/* A scripted terminal: answers in order; NULL answer = Ctrl-C. */
struct script {
	const char *const *answers;	/* ended by the sentinel "<END>" */
	int next;			/* answers used */
	struct buf out;			/* everything written */
	const struct cli *cli;		/* the cli reading, to see what it asks */
	unsigned secret_reads;		/* bit i: answer i was read as a secret (no echo) */
};

/* script_readline - cli_io.readline from the script */
static char *
script_readline(void *arg, const char *prompt, int *intr)
{
	struct script *s = arg;
	const char *a = s->answers[s->next];

	buf_addstr(&s->out, prompt);
	*intr = 0;
	if (s->cli && s->cli->prompt && s->cli->prompt->secret && s->next < 32)
		s->secret_reads |= 1u << s->next;
	if (a != NULL && strcmp(a, "<END>") == 0)
		return NULL;	/* end of input */
	s->next++;
	if (a == NULL) {
		*intr = 1;	/* Ctrl-C */
		return NULL;
	}
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

/* session - a fresh store and an interactive cli on a script */
static void
session(struct cli *c, struct script *s, const char *const *answers)
{
	char *cause = NULL;

	memset(c, 0, sizeof(*c));
	memset(s, 0, sizeof(*s));
	buf_init(&s->out, 0);
	buf_addstr(&s->out, "");
	s->answers = answers;
	if (store_open(unit_tmpdir(), STORE_SESSION, &c->st, &cause) < 0)
		UNIT_FAIL("store_open: %s", cause);
	c->io = &script_io;
	c->io_arg = s;
	s->cli = c;
	c->interactive = 1;
	c->intr = &intr_flag;
	str_copy(c->user, "tester", sizeof(c->user));
}

/* has - does the completion of line offer word? */
static int
has(const char *line, const char *word)
{
	struct complete_result r;
	int found = 0;

	complete_line(line, &r);
	for (int i = 0; i < r.n; i++)
		if (strcmp(r.items[i].word, word) == 0)
			found = 1;
	complete_free(&r);
	return found;
}

/* test_completion - TAB offers every key= of the five commands */
static void
test_completion(void)
{
	static const char *const lkeys[] = { "ip=", "port=", "type=", "domains=", "relay=",
		"tls=", "max_size=", "max_rcpts=", "max_conns=", NULL };

	for (int i = 0; lkeys[i]; i++) {
		if (!has("listenerconfig new inbound ", lkeys[i]))
			UNIT_FAIL("listenerconfig new NAME does not offer %s", lkeys[i]);
		if (!has("listenerconfig edit inbound ip=127.0.0.1 ", lkeys[i]))
			UNIT_FAIL("listenerconfig edit NAME k=v does not offer %s", lkeys[i]);
	}
	CHECK(has("listenerconfig ", "new"));
	CHECK(has("listenerconfig ", "print"));
	CHECK(has("listenerconfig new x port=25 max_", "max_size="));
	CHECK(!has("listenerconfig new x port=25 max_", "port="));
	CHECK(has("destconfig new example.com ", "tls="));
	CHECK(has("destconfig edit default ", "max_conns="));
	CHECK(has("destconfig edit ", "default"));
	CHECK(has("deliveryconfig setup ", "retry_initial="));
	CHECK(has("deliveryconfig setup max_conns=5 ", "bounces="));
	CHECK(has("deliveryconfig ", "print"));
	CHECK(has("dnsconfig ", "servers="));
	CHECK(has("dnsconfig servers=1.2.3.4 ", "timeout="));
	CHECK(has("certconfig server ", "cert="));
	CHECK(has("certconfig server cert=a.pem ", "key="));
	CHECK(has("certconfig cafile ", "system"));
	CHECK(has("tdcconfig ", "print"));
	CHECK(has("tdcconfig ", "setup"));
	CHECK(has("tdcconfig ", "disable"));
	CHECK(has("tdcconfig disable ", "polling"));
	CHECK(has("tdcconfig disable ", "api"));
	CHECK(has("tdcconfig disable ", "connector"));
	CHECK(has("tdcconfig disable con", "connector"));
	CHECK(!has("tdcconfig disable api ", "connector"));
	{
		static const char *const tkeys[] = { "enable=", "intake_address=",
			"remote_ip_header=", "api=", "client_id=", "client_secret=", "api_key=",
			"api_region=", "action=", "forward_to=", "polling=", "verdicts=", NULL };

		for (int i = 0; tkeys[i]; i++) {
			if (!has("tdcconfig setup ", tkeys[i]))
				UNIT_FAIL("tdcconfig setup does not offer %s", tkeys[i]);
			if (!has("tdcconfig setup api=yes ", tkeys[i]))
				UNIT_FAIL("tdcconfig setup k=v does not offer %s", tkeys[i]);
		}
	}
	CHECK(has("tdcconfig setup api=yes client_", "client_secret="));
	CHECK(!has("tdcconfig setup api=yes client_", "api_key="));
	CHECK(has("policyconfig incoming edit DEFAULT ", "tdc="));
	CHECK(has("policyconfig incoming edit DEFAULT ", "tdc_polling="));
	CHECK(has("policyconfig incoming edit sales tdc=no ", "name="));
	CHECK(!has("policyconfig outgoing edit corp ", "tdc="));
}

/* test_tdcconfig_dialogue - API at a terminal: "[*****]> " keeps a stored secret */
static void
test_tdcconfig_dialogue(void)
{
	static const char *const answers[] = { "API", "", "", "new-key", "", "", "", "", "",
		"<END>" };
	struct cli c;
	struct script s;
	char *v;

	session(&c, &s, answers);
	CHECK_INT(cmd_run_line(&c, "tdcconfig setup enable=yes intake_address=j@intake.test "
				   "api=yes client_id=cid client_secret=old-secret api_key=old-key "
				   "polling=yes"),
	    CMD_OK);
	CHECK_INT(cmd_run_line(&c, "tdcconfig"), CMD_OK);
	/* the current values as the defaults, the secrets as the mask */
	CHECK(strstr(s.out.data, "[cid]> ") != NULL);
	CHECK(strstr(s.out.data, "(client secret).\n[*****]> ") != NULL);
	CHECK(strstr(s.out.data, "Enter the API key.\n[*****]> ") != NULL);
	CHECK(strstr(s.out.data, "[us]> ") != NULL);
	CHECK(strstr(s.out.data, "3. Forward to an address and delete\n[2]> ") != NULL);
	CHECK(strstr(s.out.data, "API polling?\n[Y]> ") != NULL);
	/* neither secret is ever written out */
	CHECK(strstr(s.out.data, "old-secret") == NULL);
	CHECK(strstr(s.out.data, "old-key") == NULL);
	CHECK(strstr(s.out.data, "new-key") != NULL);	/* echoed by the script only */
	v = settings_get(c.st, "tdc.client_secret");
	CHECK_STR(v, "old-secret");
	free(v);
	v = settings_get(c.st, "tdc.api_key");
	CHECK_STR(v, "new-key");
	free(v);
	v = settings_get(c.st, "tdc.polling");
	CHECK_STR(v, "yes");
	free(v);
	store_close(c.st);
	buf_free(&s.out);
}

/*
 * test_tdcconfig_secret_noecho - the client password and the API key are
 * read as secrets (no echo at a terminal), the other answers are not
 * (issue 8, defect 8)
 */
static void
test_tdcconfig_secret_noecho(void)
{
	static const char *const answers[] = { "API", "cid", "s1", "k1", "", "", "", "",
		"<END>" };
	struct cli c;
	struct script s;

	session(&c, &s, answers);
	CHECK_INT(cmd_run_line(&c, "tdcconfig setup enable=yes intake_address=j@intake.test"),
	    CMD_OK);
	CHECK_INT(cmd_run_line(&c, "tdcconfig"), CMD_OK);
	/* answers 2 and 3 (secret, key) only */
	CHECK_INT(s.secret_reads, (1u << 2) | (1u << 3));
	store_close(c.st);
	buf_free(&s.out);
}

/*
 * test_tdcconfig_empty_secret - with no secret stored an empty answer is
 * refused and asked again; the answers so far are not dropped and the
 * API ends up configured (issue 8, defect 8)
 */
static void
test_tdcconfig_empty_secret(void)
{
	static const char *const answers[] = { "API", "cid", "", "s1", "", "k1", "", "", "",
		"", "<END>" };
	struct cli c;
	struct script s;
	char *v;

	session(&c, &s, answers);
	CHECK_INT(cmd_run_line(&c, "tdcconfig setup enable=yes intake_address=j@intake.test"),
	    CMD_OK);
	CHECK_INT(cmd_run_line(&c, "tdcconfig"), CMD_OK);
	CHECK(strstr(s.out.data, "needs the client password: enter it") != NULL);
	CHECK(strstr(s.out.data, "needs the API key: enter it") != NULL);
	v = settings_get(c.st, "tdc.api");
	CHECK_STR(v, "yes");
	free(v);
	v = settings_get(c.st, "tdc.client_id");
	CHECK_STR(v, "cid");
	free(v);
	v = settings_get(c.st, "tdc.client_secret");
	CHECK_STR(v, "s1");
	free(v);
	v = settings_get(c.st, "tdc.api_key");
	CHECK_STR(v, "k1");
	free(v);
	store_close(c.st);
	buf_free(&s.out);
}

/* test_tdcconfig_mask_keeps - "*****" keeps a stored secret and is refused when none is stored */
static void
test_tdcconfig_mask_keeps(void)
{
	static const char *const answers[] = { "<END>" };
	struct cli c;
	struct script s;
	char *v;

	session(&c, &s, answers);
	c.interactive = 0;
	CHECK_INT(cmd_run_line(&c, "tdcconfig setup client_secret=*****"), CMD_ERROR);
	CHECK_INT(config_pending(c.st), 0);
	CHECK_INT(cmd_run_line(&c, "tdcconfig setup client_secret=s1 api_key=k1"), CMD_OK);
	CHECK_INT(cmd_run_line(&c, "tdcconfig setup client_secret=***** api_key=k2"), CMD_OK);
	v = settings_get(c.st, "tdc.client_secret");
	CHECK_STR(v, "s1");
	free(v);
	v = settings_get(c.st, "tdc.api_key");
	CHECK_STR(v, "k2");
	free(v);
	CHECK(strstr(s.out.data, "s1") == NULL);
	store_close(c.st);
	buf_free(&s.out);
}

/* test_dnsconfig_dialogue - SETUP at a terminal: re-asks, defaults, staging */
static void
test_dnsconfig_dialogue(void)
{
	static const char *const answers[] = { "SETUP", "dns.example.test", "192.0.2.1, [::1]:5353",
		"0", "3", "SETUP", "", "", "", "<END>" };
	struct cli c;
	struct script s;
	char *v;

	session(&c, &s, answers);
	CHECK_INT(cmd_run_line(&c, "dnsconfig"), CMD_OK);
	CHECK(strstr(s.out.data, "DNS servers:  those of /etc/resolv.conf") != NULL);
	CHECK(strstr(s.out.data, "- SETUP - ") != NULL);
	CHECK(strstr(s.out.data, "Invalid DNS server 'dns.example.test'") != NULL);
	CHECK(strstr(s.out.data, "between 1 and 60") != NULL);
	CHECK(strstr(s.out.data, "DNS servers:  192.0.2.1, [::1]:5353") != NULL);
	/* the second SETUP offers the current values and keeps them */
	CHECK(strstr(s.out.data, "[192.0.2.1,[::1]:5353]> ") != NULL);
	CHECK(strstr(s.out.data, "[3]> ") != NULL);
	v = settings_get(c.st, "dns.servers");
	CHECK_STR(v, "192.0.2.1,[::1]:5353");
	free(v);
	v = settings_get(c.st, "dns.timeout");
	CHECK_STR(v, "3");
	free(v);
	CHECK_INT(config_pending(c.st), 2);
	store_close(c.st);
	buf_free(&s.out);
}

/* test_dnsconfig_batch_prints - `dnsconfig` alone in batch asks nothing */
static void
test_dnsconfig_batch_prints(void)
{
	static const char *const answers[] = { "<END>" };
	struct cli c;
	struct script s;

	session(&c, &s, answers);
	c.interactive = 0;
	CHECK_INT(cmd_run_line(&c, "dnsconfig"), CMD_OK);
	CHECK(strstr(s.out.data, "Timeout:      5 seconds") != NULL);
	CHECK(strstr(s.out.data, "SETUP") == NULL);
	CHECK_INT(s.next, 0);
	store_close(c.st);
	buf_free(&s.out);
}

/* ctrl_c - a dialogue interrupted at answer n stages nothing */
static void
ctrl_c(const char *line, const char *const *answers)
{
	struct cli c;
	struct script s;

	session(&c, &s, answers);
	CHECK_INT(cmd_run_line(&c, line), CMD_ABORTED);
	CHECK(strstr(s.out.data, "-- Changes not recorded") != NULL);
	if (config_pending(c.st) != 0)
		UNIT_FAIL("%s: Ctrl-C left %d pending changes", line, config_pending(c.st));
	store_close(c.st);
	buf_free(&s.out);
}

/* test_ctrl_c - Ctrl-C in each dialogue stages nothing */
static void
test_ctrl_c(void)
{
	static const char *const lst[] = { "NEW", "inbound", "127.0.0.1", "25", "1",
		"@example.test", "20M", "10", "10", NULL, "<END>" };
	static const char *const dest[] = { "NEW", "example.test", "4", NULL, "<END>" };
	static const char *const dlv[] = { "SETUP", "10", "10", "10", "10", "100", NULL,
		"<END>" };
	static const char *const dns[] = { "SETUP", "192.0.2.1", NULL, "<END>" };
	static const char *const cert[] = { "SETUP", "/dev/null", NULL, "<END>" };
	static const char *const tdc_setup[] = { "SETUP", "j@intake.test", NULL, "<END>" };
	static const char *const tdc_api[] = { "SETUP", "j@intake.test", "", "API", "cid",
		"secret", "key", "us", "1", "soc@example.test", NULL, "<END>" };
	static const char *const tdc_disable[] = { "DISABLE", NULL, "<END>" };
	static const char *const pol_tdc[] = { "EDIT", "DEFAULT", "TDC", NULL, "<END>" };

	ctrl_c("listenerconfig", lst);
	ctrl_c("destconfig", dest);
	ctrl_c("deliveryconfig", dlv);
	ctrl_c("dnsconfig", dns);
	ctrl_c("certconfig", cert);
	ctrl_c("tdcconfig", tdc_setup);
	ctrl_c("policyconfig incoming", pol_tdc);
	ctrl_c("tdcconfig", tdc_disable);
	{
		/* Ctrl-C in API after a completed SETUP keeps only SETUP's changes */
		struct cli c;
		struct script s;

		session(&c, &s, tdc_api);
		CHECK_INT(cmd_run_line(&c, "tdcconfig"), CMD_ABORTED);
		CHECK_INT(config_pending(c.st), 2);
		store_close(c.st);
		buf_free(&s.out);
	}
}

/* test_listener_dialogue_defaults - EDIT offers the current values */
static void
test_listener_dialogue_defaults(void)
{
	static const char *const answers[] = { "EDIT", "1", "", "2526", "", "", "", "", "",
		"", "", "<END>" };
	struct cli c;
	struct script s;
	char *v = NULL, *cause = NULL;

	session(&c, &s, answers);
	CHECK_INT(cmd_run_line(&c, "listenerconfig new in ip=127.0.0.1 port=25 type=public "
				   "domains=@a.test,@.b.test tls=required max_size=2M"),
	    CMD_OK);
	CHECK_INT(cmd_run_line(&c, "listenerconfig"), CMD_OK);
	/* every question offered the current value */
	CHECK(strstr(s.out.data, "[127.0.0.1]> ") != NULL);
	CHECK(strstr(s.out.data, "[@a.test,@.b.test]> ") != NULL);
	CHECK(strstr(s.out.data, "[2097152]> ") != NULL);
	CHECK(strstr(s.out.data, "3. Required\n[3]> ") != NULL);
	CHECK(config_get(c.st, "listener", "in", &v, &cause) == 0);
	CHECK(v != NULL && strstr(v, "\"port\":2526") != NULL);
	CHECK(strstr(v, "\"max_size\":2097152") != NULL);
	CHECK(strstr(v, "\"tls\":\"required\"") != NULL);
	free(v);
	store_close(c.st);
	buf_free(&s.out);
}

static const struct unit_case cases[] = {
	{ "completion", test_completion },
	{ "dnsconfig_dialogue", test_dnsconfig_dialogue },
	{ "dnsconfig_batch_prints", test_dnsconfig_batch_prints },
	{ "ctrl_c", test_ctrl_c },
	{ "tdcconfig_dialogue", test_tdcconfig_dialogue },
	{ "tdcconfig_mask_keeps", test_tdcconfig_mask_keeps },
	{ "tdcconfig_secret_noecho", test_tdcconfig_secret_noecho },
	{ "tdcconfig_empty_secret", test_tdcconfig_empty_secret },
	{ "listener_dialogue_defaults", test_listener_dialogue_defaults },
	{ NULL, NULL },
};

/* main - run the cases (or the one named) */
int
main(int argc, char **argv)
{
	return unit_main("configcmds", cases, argc, argv);
}
