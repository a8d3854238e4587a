/*
 * cmd_sdrdiagnostics.c - `sdrdiagnostics`: Sender Domain Reputation
 * diagnostics. STATUS is sdrstatus; DECODE shows what each source said
 * for a message, from the token of its "SDR: Tracker Header :" line in
 * mail_logs (mail/sdr.c's sdr_tracker_decode); EXPLAIN asks every source
 * about a domain now (sdrstatus -d).
 *
 *   sdrdiagnostics                    the AsyncOS menu
 *   sdrdiagnostics status
 *   sdrdiagnostics decode TOKEN
 *   sdrdiagnostics explain DOMAIN
 *
 * DIAGNOSTICS: one error line: a token that is not one of this
 * gateway's (damaged, cut, from another product), a bad domain.
 */
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "commands/sdrconfig.h"
#include "util/str.h"

extern const struct cmd_entry cmd_sdrdiagnostics_entry;

/* Longest token read (mail/sdr.c refuses longer ones with its own words). */
#define TOKEN_MAX (16 * 1024)
/* Room for the decoded answers (SDR_MAX_ANSWERS lines). */
#define DECODED_MAX (SDR_MAX_ANSWERS * 1024)

/* decode - the answers a tracker token holds; error printed */
static enum cmd_ret
decode(struct cli *c, const char *token)
{
	char *out = xmalloc(DECODED_MAX), *cause = NULL;
	enum cmd_ret r = CMD_OK;
	size_t n;

	if (sdr_tracker_decode(token, out, DECODED_MAX, &cause) < 0) {
		cli_error(c, "Cannot decode the Tracker Header: %s.",
		    cause ? cause : "not a token");
		free(cause);
		r = CMD_ERROR;
	} else {
		n = strlen(out);
		cli_printf(c, "%s%s", out, n && out[n - 1] == '\n' ? "" : "\n");
	}
	free(out);
	return r;
}

/* dialog - STATUS, DECODE, EXPLAIN until an empty answer */
static enum cmd_ret
dialog(struct cli *c)
{
	static const struct cli_choice ops[] = {
		{ "STATUS", "Display the SDR status." },
		{ "DECODE", "Show what each source said for a Tracker Header." },
		{ "EXPLAIN", "Show what each source says about a domain now." },
	};
	char *in = xmalloc(TOKEN_MAX);
	enum ask_ret a;
	int op, failed = 0;

	for (;;) {
		a = cli_ask_menu(c, NULL, ops, 3, &op);
		if (a != ASK_OK)
			break;
		if (op == 0) {
			failed |= sdrstatus_print(c) != CMD_OK;
			continue;
		}
		a = cli_ask(c, op == 1 ? "Enter the Tracker Header (the token after \"SDR: Tracker "
					 "Header :\" in mail_logs)" :
					 "Enter the domain",
		    NULL, in, TOKEN_MAX);
		if (a == ASK_ABORT)
			break;
		if (a == ASK_OK)
			failed |= (op == 1 ? decode(c, in) : sdrstatus_explain(c, in)) != CMD_OK;
	}
	free(in);
	if (a == ASK_ABORT)
		return CMD_ABORTED;
	return failed ? CMD_ERROR : CMD_OK;
}

static enum cmd_ret
b_status(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return sdrstatus_print(c);
}

static enum cmd_ret
b_decode(struct cli *c, const struct cmd_call *call)
{
	return decode(c, call->argv[0]);
}

static enum cmd_ret
b_explain(struct cli *c, const struct cmd_call *call)
{
	return sdrstatus_explain(c, call->argv[0]);
}

static const struct cmd_word token_word[] = {
	{ "<TOKEN>", "the token of an \"SDR: Tracker Header :\" line", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word domain_word[] = {
	{ "<DOMAIN>", "the domain every source is asked about", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_sub sdrdiagnostics_subs[] = {
	{ .name = "status", .help = "Display the SDR status.", .exec = b_status },
	{ .name = "decode", .help = "Show what each source said for a Tracker Header.",
	    .args = token_word, .min_args = 1, .max_args = 1, .exec = b_decode },
	{ .name = "explain", .help = "Show what each source says about a domain now.",
	    .args = domain_word, .min_args = 1, .max_args = 1, .exec = b_explain },
	{ .exec = NULL },
};

static enum cmd_ret
sdrdiagnostics_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return dialog(c);
	return cmd_keys_run(c, &cmd_sdrdiagnostics_entry, argc, argv);
}

const struct cmd_entry cmd_sdrdiagnostics_entry = {
	.name = "sdrdiagnostics",
	.usage = "sdrdiagnostics\n"
		 "sdrdiagnostics status\n"
		 "sdrdiagnostics decode TOKEN\n"
		 "sdrdiagnostics explain DOMAIN",
	.help = "Sender Domain Reputation diagnostics: status, Tracker Header decoding.",
	.subs = sdrdiagnostics_subs,
	.exec = sdrdiagnostics_exec,
};
