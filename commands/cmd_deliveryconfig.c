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
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/str.h"

extern const struct cmd_entry cmd_deliveryconfig_entry;

/* The batch keys, their settings, and how print and the dialogue name them. */
static const struct dkey {
	const char *key;	/* batch key */
	const char *setting;	/* settings_table name */
	const char *label;	/* print */
	const char *unit;	/* print suffix */
	const char *question;	/* dialogue */
} dkeys[] = {
	{ "max_conns", "delivery.max_conns", "Maximum concurrent connections", "",
	    "Enter the maximum number of concurrent outbound connections in total." },
	{ "max_conns_per_dest", "delivery.max_conns_per_dest",
	    "Maximum concurrent connections per destination", "",
	    "Enter the maximum number of concurrent outbound connections per destination." },
	{ "retry_initial", "delivery.retry_initial", "Initial retry interval", " seconds",
	    "Enter the number of seconds before the first retry of a soft-bounced recipient." },
	{ "retry_max", "delivery.retry_max", "Maximum retry interval", " seconds",
	    "Enter the longest interval between retries, in seconds." },
	{ "max_queue_time", "delivery.max_queue_time", "Maximum time in queue", " seconds",
	    "Enter the number of seconds a message may stay in the queue before it bounces." },
	{ "bounces", "delivery.bounces", "Bounce messages", "",
	    "Send bounce messages (delivery status notifications) for hard-bounced and "
	    "expired messages?" },
};

#define NKEYS ((int)(sizeof(dkeys) / sizeof(dkeys[0])))
#define K_RETRY_INITIAL 2
#define K_RETRY_MAX 3
#define K_BOUNCES 5

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
			cli_error(c, "Cannot stage %s: %s", dkeys[i].key, cause);
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

		str_fmt(label, sizeof(label), "%s:", dkeys[i].label);
		cli_printf(c, "    %-49s %s%s\n", label, d.v[i], dkeys[i].unit);
	}
	return CMD_OK;
}

/* setup - batch key=value words */
static enum cmd_ret
setup(struct cli *c, int argc, char **argv)
{
	struct dvals d;
	unsigned given = 0;

	load(c, &d);
	for (int i = 0; i < argc; i++) {
		char *w = str_dup(argv[i]), *key, *value, val[32], *cause = NULL;
		int k = -1;

		if (cmd_kv_split(w, &key, &value) < 0) {
			cli_error(c, "Invalid argument '%.100s': settings are key=value with key "
				     "max_conns, max_conns_per_dest, retry_initial, retry_max, "
				     "max_queue_time or bounces.",
			    argv[i]);
			free(w);
			return CMD_ERROR;
		}
		for (int j = 0; j < NKEYS; j++)
			if (strcmp(dkeys[j].key, key) == 0)
				k = j;
		if (k < 0) {
			cli_error(c, "Unknown key '%.100s': use max_conns, max_conns_per_dest, "
				     "retry_initial, retry_max, max_queue_time or bounces.",
			    key);
			free(w);
			return CMD_ERROR;
		}
		if (given & (1u << k)) {
			cli_error(c, "The key %s is given twice; give each key once.", key);
			free(w);
			return CMD_ERROR;
		}
		given |= 1u << k;
		if (str_copy(val, value, sizeof(val)) < 0 ||
		    settings_validate(settings_find(dkeys[k].setting), val, sizeof(val),
			&cause) < 0) {
			char *why = cause ? cause : str_dup("The value is too long.");

			why[0] = (char)tolower((unsigned char)why[0]);
			cli_error(c, "Invalid %s '%.100s': %s", key, value, why);
			free(why);
			free(w);
			return CMD_ERROR;
		}
		str_copy(d.v[k], val, sizeof(d.v[k]));
		free(w);
	}
	if (check_order(c, &d) < 0)
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

			a = cli_ask_yesno(c, dkeys[i].question, strcmp(d.v[i], "yes") == 0, &yes);
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
		a = cli_ask_number(c, dkeys[i].question, v, min, def->max, &v);
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

static const struct cmd_word key_words[] = {
	{ "max_conns=", "concurrent outbound connections in total, 1-10000 (default 500)",
	    key_words },
	{ "max_conns_per_dest=", "concurrent connections per destination, 1-1000 (default 50)",
	    key_words },
	{ "retry_initial=", "seconds before the first retry, 1-86400 (default 60)", key_words },
	{ "retry_max=", "longest retry interval in seconds, retry_initial-86400 (default 3600)",
	    key_words },
	{ "max_queue_time=", "seconds in the queue before bouncing, 60-2592000 (default 259200)",
	    key_words },
	{ "bounces=", "send bounce messages: yes (default) or no", key_words },
	{ NULL, NULL, NULL },
};

static const struct cmd_word deliveryconfig_words[] = {
	{ "print", "Display the delivery settings.", NULL },
	{ "setup", "Change delivery settings: key=value...", key_words },
	{ NULL, NULL, NULL },
};

/* deliveryconfig_exec - the menu, or one batch operation */
static enum cmd_ret
deliveryconfig_exec(struct cli *c, int argc, char **argv)
{
	const char *op;

	if (argc == 0)
		return dialog(c);
	op = cmd_word_match(deliveryconfig_words, argv[0]);
	if (op == NULL) {
		cli_error(c, "Unknown option '%.40s' for deliveryconfig: use print or setup.",
		    argv[0]);
		return CMD_ERROR;
	}
	if (strcmp(op, "print") == 0) {
		if (argc != 1)
			return cmd_usage_error(c, &cmd_deliveryconfig_entry,
			    "deliveryconfig print");
		return print(c);
	}
	if (argc < 2)
		return cmd_usage_error(c, &cmd_deliveryconfig_entry, "deliveryconfig setup");
	return setup(c, argc - 1, argv + 1);
}

const struct cmd_entry cmd_deliveryconfig_entry = {
	.name = "deliveryconfig",
	.usage = "deliveryconfig print\n"
		 "deliveryconfig setup [max_conns=N] [max_conns_per_dest=N] [retry_initial=SEC] "
		 "[retry_max=SEC] [max_queue_time=SEC] [bounces=yes|no]",
	.help = "Configure outbound delivery: connection limits, retries, bounces.",
	.flags = CMD_F_CONFIG,
	.words = deliveryconfig_words,
	.exec = deliveryconfig_exec,
};
