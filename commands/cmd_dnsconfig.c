/*
 * cmd_dnsconfig.c - `dnsconfig`: the DNS servers mxgated asks for MX and
 * address records, and how long it waits for each answer.
 *
 *   dnsconfig servers=IP[:port],... [timeout=SEC]
 *   dnsconfig timeout=SEC
 *   dnsconfig print
 *
 * `servers=` with an empty value (or `servers=system`) means the servers
 * of /etc/resolv.conf, the default. The list is checked and normalised by
 * net/dns.c's dns_parse_servers, the parser the daemon's resolver uses,
 * so what is staged is what the daemon will accept. `dnsconfig` alone
 * prints the settings in batch mode; at a terminal it shows them and
 * offers SETUP, which asks each with its current value as the default.
 *
 * DIAGNOSTICS: one error line per refused command; nothing is staged.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "net/dns.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/str.h"

extern const struct cmd_entry cmd_dnsconfig_entry;

#define SERVERS_SETTING "dns.servers"
#define TIMEOUT_SETTING "dns.timeout"

/* servers_parse - "" / "system" / a list, normalised into out; -1 with *cause */
static int
servers_parse(const char *in, char *out, size_t size, char **cause)
{
	if (strcasecmp(in, "system") == 0)
		in = "";
	return dns_parse_servers(in, out, size, cause);
}

/* save - stage the values that differ from the current ones */
static enum cmd_ret
save(struct cli *c, const char *servers, const char *timeout)
{
	const char *names[2] = { SERVERS_SETTING, TIMEOUT_SETTING };
	const char *vals[2] = { servers, timeout };
	char *cause = NULL;

	for (int i = 0; i < 2; i++) {
		char *cur;
		int same;

		if (vals[i] == NULL)
			continue;
		cur = settings_get(c->st, names[i]);
		same = strcmp(cur, vals[i]) == 0;
		free(cur);
		if (!same && settings_stage(c->st, names[i], vals[i], &cause) < 0) {
			cli_error(c, "Cannot stage %s: %s", names[i], cause);
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
	char *servers = settings_get(c->st, SERVERS_SETTING);
	char *timeout = settings_get(c->st, TIMEOUT_SETTING);

	if (*servers == '\0') {
		cli_printf(c, "DNS servers:  those of /etc/resolv.conf\n");
	} else {
		char **v = str_split(servers, ',', NULL);

		cli_printf(c, "DNS servers:  ");
		for (int i = 0; v[i]; i++)
			cli_printf(c, "%s%s", i ? ", " : "", v[i]);
		cli_printf(c, "\n");
		str_split_free(v);
	}
	cli_printf(c, "Timeout:      %s seconds\n", timeout);
	free(servers);
	free(timeout);
	return CMD_OK;
}

/* The values a batch line gives. */
struct dvals {
	char servers[DNS_SERVERS_MAX + 1];	/* normalised list ("" for the system's) */
	char timeout[32];			/* checked against the settings row */
};

/* set - cmd_keyset.set: servers normalised (dns_parse_servers), timeout as checked */
static int
set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	struct dvals *d = obj;

	if (strcmp(k->name, "servers") == 0)
		return servers_parse(value, d->servers, sizeof(d->servers), cause);
	if (str_copy(d->timeout, value, sizeof(d->timeout)) < 0) {
		*cause = str_printf("Invalid timeout '%.100s': the value is too long.", value);
		return -1;
	}
	return 0;
}

static const struct cmd_key dkeys[] = {
	{ .name = "servers", .type = CMD_KEY_LIST,
	    .help = "IP[:port],... or [IPv6]:port (empty: those of /etc/resolv.conf)" },
	{ .name = "timeout", .type = CMD_KEY_INT, .setting = TIMEOUT_SETTING,
	    .check = cmd_keys_setting,
	    .help = "seconds to wait for one DNS answer, 1-60 (default 5)" },
	{ .name = NULL },
};

static const struct cmd_keyset keyset = {
	.keys = dkeys,
	.set = set,
	.syntax = "use servers=IP[:port],... (empty: /etc/resolv.conf) or timeout=SECONDS",
};

/* setup - batch servers= and timeout= words */
static enum cmd_ret
setup(struct cli *c, const struct cmd_call *call)
{
	struct dvals d = { "", "" };
	unsigned given;

	if (cmd_keys_apply(c, call, &d, &given) < 0)
		return CMD_ERROR;
	return save(c, cmd_keys_given(&keyset, given, "servers") ? d.servers : NULL,
	    cmd_keys_given(&keyset, given, "timeout") ? d.timeout : NULL);
}

/* dialog_setup - SETUP: servers and timeout, current values as defaults */
static enum ask_ret
dialog_setup(struct cli *c)
{
	const struct setting_def *d = settings_find(TIMEOUT_SETTING);
	char *cur = settings_get(c->st, SERVERS_SETTING);
	char in[DNS_SERVERS_MAX + 1], servers[DNS_SERVERS_MAX + 1], timeout[32], *cause = NULL;
	enum ask_ret a;
	long t;

	for (;;) {
		a = cli_ask(c, "Enter the DNS servers as IP[:port], separated by commas (IPv6 in "
			       "brackets: [2001:db8::1]:53),\nor SYSTEM to use those of "
			       "/etc/resolv.conf.",
		    *cur ? cur : "system", in, sizeof(in));
		if (a != ASK_OK || servers_parse(in, servers, sizeof(servers), &cause) == 0)
			break;
		cli_error(c, "%s", cause);
		free(cause);
		cause = NULL;
	}
	free(cur);
	if (a != ASK_OK)
		return a;
	a = cli_ask_number(c, "Enter the number of seconds to wait for a DNS answer.",
	    settings_get_int(c->st, TIMEOUT_SETTING), d->min, d->max, &t);
	if (a != ASK_OK)
		return a;
	str_fmt(timeout, sizeof(timeout), "%ld", t);
	save(c, servers, timeout);
	return ASK_OK;
}

/* dialog - settings and the SETUP menu, until an empty answer */
static enum cmd_ret
dialog(struct cli *c)
{
	static const struct cli_choice ops[] = {
		{ "SETUP", "Change the DNS servers and timeout." },
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

/* print_sub - dnsconfig print */
static enum cmd_ret
print_sub(struct cli *c, const struct cmd_call *call)
{
	return print(c);
}

static const struct cmd_sub dnsconfig_subs[] = {
	{ .name = "print", .help = "Display the DNS settings.", .exec = print_sub },
	{ .name = NULL, .help = "Change the DNS servers or timeout: key=value...",
	    .keys = &keyset, .exec = setup },
	{ .exec = NULL },
};

/* dnsconfig_exec - print, the menu at a terminal, or batch key=value */
static enum cmd_ret
dnsconfig_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return c->interactive ? dialog(c) : print(c);
	return cmd_keys_run(c, &cmd_dnsconfig_entry, argc, argv);
}

const struct cmd_entry cmd_dnsconfig_entry = {
	.name = "dnsconfig",
	.usage = "dnsconfig servers=[IP[:port],...] [timeout=SEC]\n"
		 "dnsconfig timeout=SEC\n"
		 "dnsconfig print",
	.help = "Configure the DNS servers used for mail delivery.",
	.flags = CMD_F_CONFIG,
	.subs = dnsconfig_subs,
	.exec = dnsconfig_exec,
};
