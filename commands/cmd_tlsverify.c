/*
 * cmd_tlsverify.c - `tlsverify`: does a mail server's TLS pass the
 * checks mxgated makes? STARTTLS is required; the handshake, the
 * certificate chain, its verification against the certconfig CA bundle
 * and the name are shown, then the verdict (AsyncOS tlsverify).
 *
 *   tlsverify                      the dialogue: host, port
 *   tlsverify HOST[:PORT]
 *
 * DIAGNOSTICS: one error line and a failure: a bad target, refused,
 * timed out, no STARTTLS, a failed handshake, a certificate that does
 * not verify or does not name HOST.
 */
#include <stdlib.h>

#include "commands/cmd.h"
#include "commands/probecmd.h"

extern const struct cmd_entry cmd_tlsverify_entry;

static enum cmd_ret
tlsverify_exec(struct cli *c, int argc, char **argv)
{
	char host[256], *cause = NULL;
	int port = 25;
	enum ask_ret a;

	if (argc > 1)
		return cmd_usage_error(c, &cmd_tlsverify_entry, "tlsverify");
	if (argc == 0) {
		a = probecmd_ask_target(c, host, sizeof(host), &port);
		if (a == ASK_BACK)
			return CMD_OK;
		if (a == ASK_ABORT)
			return CMD_ABORTED;
	} else if (smtpprobe_target(argv[0], 25, host, sizeof(host), &port, &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return CMD_ERROR;
	}
	return probecmd_run(c, host, port, SMTPPROBE_TLS_REQUIRED, 1);
}

static const struct cmd_word tlsverify_words[] = {
	{ "<HOST[:PORT]>", "the server: a host name or IP address, port 25 by default", NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_tlsverify_entry = {
	.name = "tlsverify",
	.usage = "tlsverify\n"
		 "tlsverify HOST[:PORT]",
	.help = "Verify a mail server's TLS: STARTTLS, certificate chain and name.",
	.words = tlsverify_words,
	.exec = tlsverify_exec,
};
