/*
 * cmd_deliveryconfig.c - `deliveryconfig`: outbound delivery limits, the
 * soft-bounce retry schedule and bounce messages.
 *
 *   deliveryconfig print
 *   deliveryconfig setup key=value...
 *
 * Interactive: the settings, then the menu SETUP, which asks each one
 * with its current value as the default. The values are settings of
 * store/settings_table.c (delivery.*), so their ranges come from that
 * table; the one rule across settings, retry_max >= retry_initial, is
 * checked here on the values as they will be after the change. All
 * values are checked before any is staged, and only those that differ
 * from the current value are staged.
 *
 * DIAGNOSTICS: one error line per refused command; nothing is staged.
 */
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/str.h"

extern const struct cmd_entry cmd_deliveryconfig_entry;

/* The batch keys and their settings (whose rows give the ranges). */
static const struct cmd_key dkeys[] = {
	{ .name = "max_conns", .type = CMD_KEY_INT, .setting = "delivery.max_conns",
	    .check = cmd_keys_setting,
	    .help = "concurrent outbound connections in total, 1-10000 (default 500)" },
	{ .name = "max_conns_per_dest", .type = CMD_KEY_INT,
	    .setting = "delivery.max_conns_per_dest", .check = cmd_keys_setting,
	    .help = "concurrent connections per destination, 1-1000 (default 50)" },
	{ .name = "retry_initial", .type = CMD_KEY_INT, .setting = "delivery.retry_initial",
	    .check = cmd_keys_setting,
	    .help = "seconds before the first retry, 1-86400 (default 60)" },
	{ .name = "retry_max", .type = CMD_KEY_INT, .setting = "delivery.retry_max",
	    .check = cmd_keys_setting,
	    .help = "longest retry interval in seconds, retry_initial-86400 (default 3600)" },
	{ .name = "max_queue_time", .type = CMD_KEY_INT, .setting = "delivery.max_queue_time",
	    .check = cmd_keys_setting,
	    .help = "seconds in the queue before bouncing, 60-2592000 (default 259200)" },
	{ .name = "bounces", .type = CMD_KEY_YESNO, .setting = "delivery.bounces",
	    .check = cmd_keys_setting, .help = "send bounce messages: yes (default) or no" },
	{ .name = NULL },
};

#define NKEYS ((int)(sizeof(dkeys) / sizeof(dkeys[0])) - 1)
#define K_RETRY_INITIAL 2
#define K_RETRY_MAX 3
#define K_BOUNCES 5

/* How print and the dialogue show each key of dkeys, in the same order. */
static const struct dtext {
	const char *label;	/* print */
	const char *unit;	/* print suffix */
	const char *question;	/* dialogue */
} dtext[] = {
	{ "Maximum concurrent connections", "",
	    "Enter the maximum number of concurrent outbound connections in total." },
	{ "Maximum concurrent connections per destination", "",
	    "Enter the maximum number of concurrent outbound connections per destination." },
	{ "Initial retry interval", " seconds",
	    "Enter the number of seconds before the first retry of a soft-bounced recipient." },
	{ "Maximum retry interval", " seconds",
	    "Enter the longest interval between retries, in seconds." },
	{ "Maximum time in queue", " seconds",
	    "Enter the number of seconds a message may stay in the queue before it bounces." },
	{ "Bounce messages", "",
	    "Send bounce messages (delivery status notifications) for hard-bounced and "
	    "expired messages?" },
};

_Static_assert(sizeof(dtext) / sizeof(dtext[0]) == sizeof(dkeys) / sizeof(dkeys[0]) - 1,
    "dtext has one row per key of dkeys");

/* The values being edited, as text. */
struct dvals {
	char v[NKEYS][32];
};

/* load - the current values */
static void
load(struct cli *c, struct dvals *d)
{
	for (int i = 0; i < NKEYS; i++) {
		char *v = settings_get(c->st, dkeys[i].setting);

		str_copy(d->v[i], v, sizeof(d->v[i]));
		free(v);
	}
}

/* num - a numeric value of d */
static long
num(const struct dvals *d, int i)
{
	long v = 0;

	str_to_long(d->v[i], 0, 2147483647L, &v);
	return v;
}

/* check_order - retry_max must not be below retry_initial; error printed */
static int
check_order(struct cli *c, const struct dvals *d)
{
	if (num(d, K_RETRY_MAX) < num(d, K_RETRY_INITIAL)) {
		cli_error(c, "Invalid retry_max '%s': the value must be at least retry_initial "
			     "(%s).",
		    d->v[K_RETRY_MAX], d->v[K_RETRY_INITIAL]);
		return -1;
	}
	return 0;
}

/* save - stage the values that differ from the current ones */
static enum cmd_ret
save(struct cli *c, const struct dvals *d)
{
	struct dvals cur;
	char *cause = NULL;

	load(c, &cur);
	for (int i = 0; i < NKEYS; i++) {
		if (strcmp(cur.v[i], d->v[i]) == 0)
			continue;
		if (settings_stage(c->st, dkeys[i].setting, d->v[i], &cause) < 0) {
			cli_error(c, "Cannot stage %s: %s", dkeys[i].name, cause);
			free(cause);
			return CMD_ERROR;
		}
	}
	return CMD_OK;
}

/* print - the settings */
static enum cmd_ret
print(struct cli *c)
{
	struct dvals d;

	load(c, &d);
	cli_printf(c, "Delivery settings:\n");
	for (int i = 0; i < NKEYS; i++) {
		char label[80];

		str_fmt(label, sizeof(label), "%s:", dtext[i].label);
		cli_printf(c, "    %-49s %s%s\n", label, d.v[i], dtext[i].unit);
	}
	return CMD_OK;
}

/* set - cmd_keyset.set: a value cmd_keys_setting has checked, into struct dvals */
static int
set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	struct dvals *d = obj;

	if (str_copy(d->v[k - dkeys], value, sizeof(d->v[0])) < 0) {
		*cause = str_printf("Invalid %s '%.100s': the value is too long.", k->name, value);
		return -1;
	}
	return 0;
}

static const struct cmd_keyset keyset = { .keys = dkeys, .set = set };

/* setup - batch key=value words */
static enum cmd_ret
setup(struct cli *c, const struct cmd_call *call)
{
	struct dvals d;

	load(c, &d);
	if (cmd_keys_apply(c, call, &d, NULL) < 0 || check_order(c, &d) < 0)
		return CMD_ERROR;
	return save(c, &d);
}

/* dialog_setup - SETUP: every setting, current values as defaults */
static enum ask_ret
dialog_setup(struct cli *c)
{
	struct dvals d;
	enum ask_ret a;

	load(c, &d);
	for (int i = 0; i < NKEYS; i++) {
		const struct setting_def *def = settings_find(dkeys[i].setting);
		long v, min = def->min;

		if (i == K_BOUNCES) {
			int yes;

			a = cli_ask_yesno(c, dtext[i].question, strcmp(d.v[i], "yes") == 0, &yes);
			if (a != ASK_OK)
				return a;
			str_copy(d.v[i], yes ? "yes" : "no", sizeof(d.v[i]));
			continue;
		}
		/* the retry schedule may not shrink below its first interval */
		if (i == K_RETRY_MAX && num(&d, K_RETRY_INITIAL) > min)
			min = num(&d, K_RETRY_INITIAL);
		v = num(&d, i);
		if (v < min)
			v = min;
		a = cli_ask_number(c, dtext[i].question, v, min, def->max, &v);
		if (a != ASK_OK)
			return a;
		str_fmt(d.v[i], sizeof(d.v[i]), "%ld", v);
	}
	if (check_order(c, &d) == 0)
		save(c, &d);
	return ASK_OK;
}

/* dialog - settings and the SETUP menu, until an empty answer */
static enum cmd_ret
dialog(struct cli *c)
{
	static const struct cli_choice ops[] = {
		{ "SETUP", "Change the delivery settings." },
	};
	enum ask_ret a;
	int op;

	for (;;) {
		cli_printf(c, "\n");
		print(c);
		a = cli_ask_menu(c, NULL, ops, 1, &op);
		if (a == ASK_OK)
			a = dialog_setup(c);
		if (a == ASK_ABORT)
			return CMD_ABORTED;
		if (a == ASK_BACK)
			return CMD_OK;
	}
}

/* print_sub - deliveryconfig print */
static enum cmd_ret
print_sub(struct cli *c, const struct cmd_call *call)
{
	return print(c);
}

static const struct cmd_sub deliveryconfig_subs[] = {
	{ .name = "print", .help = "Display the delivery settings.", .exec = print_sub },
	{ .name = "setup", .help = "Change delivery settings: key=value...", .keys = &keyset,
	    .exec = setup },
	{ .exec = NULL },
};

/* deliveryconfig_exec - the menu, or one batch operation */
static enum cmd_ret
deliveryconfig_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return dialog(c);
	return cmd_keys_run(c, &cmd_deliveryconfig_entry, argc, argv);
}

const struct cmd_entry cmd_deliveryconfig_entry = {
	.name = "deliveryconfig",
	.usage = "deliveryconfig print\n"
		 "deliveryconfig setup [max_conns=N] [max_conns_per_dest=N] [retry_initial=SEC] "
		 "[retry_max=SEC] [max_queue_time=SEC] [bounces=yes|no]",
	.help = "Configure outbound delivery: connection limits, retries, bounces.",
	.flags = CMD_F_CONFIG,
	.subs = deliveryconfig_subs,
	.exec = deliveryconfig_exec,
};
