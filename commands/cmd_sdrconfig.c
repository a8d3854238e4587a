/*
 * cmd_sdrconfig.c - `sdrconfig`: turn Sender Domain Reputation on or off
 * and choose whether the additional attributes (display names and the
 * client's IP address) are looked at too.
 *
 *   sdrconfig                         the AsyncOS dialogue
 *   sdrconfig domainreputation enable|disable [share_extended_info enable|disable]
 *   sdrconfig print
 *
 * The dialogue asks AsyncOS's questions: "Would you like to enable the
 * Sender Domain Reputation check?" when it is off, "Would you like to
 * disable ...?" when it is on (no goes on to the attributes question).
 * The settings are sdr.enabled and sdr.share_extended_info; the sources
 * and the rest are sdradvancedconfig's. Like every configuration command
 * the changes are pending until commit.
 *
 * DIAGNOSTICS: one error line per refused command; nothing is staged.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "commands/sdrconfig.h"
#include "store/settings.h"
#include "util/str.h"

extern const struct cmd_entry cmd_sdrconfig_entry;

#define ENABLED_SETTING "sdr.enabled"
#define SHARE_SETTING "sdr.share_extended_info"

/* on - is a BOOL setting yes, as this session sees it? */
static int
on(struct cli *c, const char *name)
{
	return settings_get_int(c->st, name) != 0;
}

/* print - the two settings */
static enum cmd_ret
print(struct cli *c)
{
	cli_printf(c, "%-44s %s\n", "Sender Domain Reputation:",
	    on(c, ENABLED_SETTING) ? "Enabled" : "Disabled");
	cli_printf(c, "%-44s %s\n", "Include additional attributes:",
	    on(c, SHARE_SETTING) ? "Enabled" : "Disabled");
	return CMD_OK;
}

/* save - stage enabled and share (-1: leave it) */
static enum cmd_ret
save(struct cli *c, int enabled, int share)
{
	const char *names[2] = { ENABLED_SETTING, SHARE_SETTING };
	const char *vals[2] = { enabled < 0 ? NULL : enabled ? "yes" : "no",
		share < 0 ? NULL : share ? "yes" : "no" };

	return sdrconfig_stage(c, names, vals, 2);
}

/* dialog - AsyncOS's questions, as the current state makes them */
static enum cmd_ret
dialog(struct cli *c)
{
	int enabled = on(c, ENABLED_SETTING), yes, share;
	enum ask_ret a;

	if (!enabled) {
		a = cli_ask_yesno(c, "Would you like to enable the Sender Domain Reputation check?",
		    1, &yes);
		if (a != ASK_OK)
			return CMD_ABORTED;
		if (!yes)
			return CMD_OK;
	} else {
		a = cli_ask_yesno(c, "Would you like to disable the Sender Domain Reputation "
				     "check?",
		    0, &yes);
		if (a != ASK_OK)
			return CMD_ABORTED;
		if (yes)
			return save(c, 0, -1);
	}
	a = cli_ask_yesno(c, "Would you like to include additional attributes (the display names "
			     "of From: and Reply-To: and the client's IP address) in the Sender "
			     "Domain Reputation check?",
	    on(c, SHARE_SETTING), &share);
	if (a != ASK_OK)
		return CMD_ABORTED;
	return save(c, 1, share);
}

/* ---------------------------------------------------------- batch */

static const struct cmd_word onoff_last[] = {
	{ "enable", "Include display names and the client's IP address.", NULL },
	{ "disable", "Look at the domains only.", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word share_word[] = {
	{ "share_extended_info", "Include additional attributes: enable or disable.", onoff_last },
	{ NULL, NULL, NULL },
};

static const struct cmd_word onoff[] = {
	{ "enable", "Give every incoming message a Sender Domain Reputation verdict.",
	    share_word },
	{ "disable", "Turn Sender Domain Reputation off.", share_word },
	{ NULL, NULL, NULL },
};

/* is_enable - the word (checked against onoff by cmd_keys_run) says enable */
static int
is_enable(const char *w)
{
	return str_casecmp_prefix(w, "enable");
}

/* b_domainreputation - domainreputation enable|disable [share_extended_info enable|disable] */
static enum cmd_ret
b_domainreputation(struct cli *c, const struct cmd_call *call)
{
	if (call->argc == 2)
		return cmd_usage_error(c, &cmd_sdrconfig_entry, "sdrconfig domainreputation");
	return save(c, is_enable(call->argv[0]), call->argc == 3 ? is_enable(call->argv[2]) : -1);
}

/* b_print - sdrconfig print */
static enum cmd_ret
b_print(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return print(c);
}

static const struct cmd_sub sdrconfig_subs[] = {
	{ .name = "domainreputation",
	    .help = "Turn Sender Domain Reputation on or off (and the additional attributes).",
	    .args = onoff, .min_args = 1, .max_args = 3, .exec = b_domainreputation },
	{ .name = "print", .help = "Display the Sender Domain Reputation settings.",
	    .exec = b_print },
	{ .exec = NULL },
};

/* sdrconfig_exec - the dialogue, or one batch operation */
static enum cmd_ret
sdrconfig_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return dialog(c);
	return cmd_keys_run(c, &cmd_sdrconfig_entry, argc, argv);
}

const struct cmd_entry cmd_sdrconfig_entry = {
	.name = "sdrconfig",
	.usage = "sdrconfig\n"
		 "sdrconfig domainreputation enable|disable [share_extended_info enable|disable]\n"
		 "sdrconfig print",
	.help = "Turn Sender Domain Reputation on or off.",
	.flags = CMD_F_CONFIG,
	.subs = sdrconfig_subs,
	.exec = sdrconfig_exec,
};
