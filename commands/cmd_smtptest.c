/*
 * cmd_smtptest.c - `smtptest`: talk SMTP to a server the way mxgated
 * would, step by step, and show where it stops (net/smtpprobe.c).
 *
 *   smtptest                               the dialogue: host, port, TLS
 *   smtptest HOST[:PORT] [tls=yes|no]
 *
 * Without tls=, STARTTLS is used when the server offers it; tls=yes
 * requires it, tls=no never sends it. Nothing is sent beyond EHLO,
 * STARTTLS and QUIT: no message, no MAIL FROM.
 *
 * DIAGNOSTICS: one error line and a failure: a bad target, refused,
 * timed out (10 s a step), no STARTTLS while tls=yes, a failed handshake,
 * a refused command, Ctrl-C.
 */
#include <string.h>
#include <stdlib.h>

#include "commands/cmd.h"
#include "commands/probecmd.h"
#include "util/str.h"

extern const struct cmd_entry cmd_smtptest_entry;

/* dialog - host, port, TLS */
static enum cmd_ret
dialog(struct cli *c)
{
	static const char *const modes[] = {
		"Use TLS when the server offers it",
		"Require TLS (fail without STARTTLS)",
		"Do not use TLS",
	};
	static const enum smtpprobe_tls mode_val[] = {
		SMTPPROBE_TLS_OFFERED, SMTPPROBE_TLS_REQUIRED, SMTPPROBE_TLS_NO,
	};
	char host[256];
	int port = 25, m = 0;
	enum ask_ret a;

	a = probecmd_ask_target(c, host, sizeof(host), &port);
	if (a == ASK_OK)
		a = cli_ask_list(c, "Choose the TLS mode:", modes, 3, 1, &m);
	if (a == ASK_BACK)
		return CMD_OK;
	if (a == ASK_ABORT)
		return CMD_ABORTED;
	return probecmd_run(c, host, port, mode_val[m], 0);
}

static enum cmd_ret
smtptest_exec(struct cli *c, int argc, char **argv)
{
	enum smtpprobe_tls tls = SMTPPROBE_TLS_OFFERED;
	char host[256], *cause = NULL;
	int port;

	if (argc == 0)
		return dialog(c);
	if (argc > 2)
		return cmd_usage_error(c, &cmd_smtptest_entry, "smtptest");
	if (argc == 2) {
		if (strcmp(argv[1], "tls=yes") == 0)
			tls = SMTPPROBE_TLS_REQUIRED;
		else if (strcmp(argv[1], "tls=no") == 0)
			tls = SMTPPROBE_TLS_NO;
		else
			return cmd_usage_error(c, &cmd_smtptest_entry, argv[1]);
	}
	if (smtpprobe_target(argv[0], 25, host, sizeof(host), &port, &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return CMD_ERROR;
	}
	return probecmd_run(c, host, port, tls, 0);
}

static const struct cmd_word smtptest_tls[] = {
	{ "tls=", "yes: STARTTLS required; no: never; absent: when offered", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word smtptest_words[] = {
	{ "<HOST[:PORT]>", "the server: a host name or IP address, port 25 by default",
	    smtptest_tls },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_smtptest_entry = {
	.name = "smtptest",
	.usage = "smtptest\n"
		 "smtptest HOST[:PORT] [tls=yes|no]",
	.help = "Test an SMTP connection to a server: banner, EHLO, STARTTLS, certificate.",
	/* typed in full: "smtp" stays the abbreviation of smtproutes it always was */
	.flags = CMD_F_NOABBREV,
	.words = smtptest_words,
	.exec = smtptest_exec,
};
