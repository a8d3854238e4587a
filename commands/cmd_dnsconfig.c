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
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "net/dns.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/str.h"

extern const struct cmd_entry cmd_dnsconfig_entry;

#define SERVERS_SETTING "dns.servers"
#define TIMEOUT_SETTING "dns.timeout"

/* parse_servers - "" / "system" / a list, normalised; error printed */
static int
parse_servers(struct cli *c, const char *in, char *out, size_t size)
{
	char *cause = NULL;

	if (strcasecmp(in, "system") == 0)
		in = "";
	if (dns_parse_servers(in, out, size, &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* parse_timeout - seconds within the settings row's range; error printed */
static int
parse_timeout(struct cli *c, const char *in, char *out, size_t size)
{
	char *cause = NULL;

	if (str_copy(out, in, size) < 0 ||
	    settings_validate(settings_find(TIMEOUT_SETTING), out, size, &cause) < 0) {
		char *why = cause ? cause : str_dup("The value is too long.");

		why[0] = (char)tolower((unsigned char)why[0]);
		cli_error(c, "Invalid timeout '%.100s': %s", in, why);
		free(why);
		return -1;
	}
	return 0;
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

/* is_list_key - servers= takes a comma list */
static int
is_list_key(const char *w, size_t len)
{
	return len == 7 && strncmp(w, "servers", 7) == 0;
}

/*
 * join_lists - the words after the operation, with the words that follow
 * a list key (servers=) joined onto it with commas, so "a, b" and "a,b" give
 * the same list; a NULL-terminated malloc'd vector of malloc'd words
 */
static char **
join_lists(int argc, char **argv, int *outc)
{
	char **v = xcalloc((size_t)argc + 1, sizeof(char *));
	int n = 0, in_list = 0;

	for (int i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');

		if (in_list && n > 0 && (eq == NULL || argv[i][0] == ',')) {
			char *prev = v[n - 1];
			size_t len = strlen(prev);
			int comma = len > 0 && prev[len - 1] != ',' && prev[len - 1] != '=' &&
			    argv[i][0] != ',';

			v[n - 1] = str_printf("%s%s%s", prev, comma ? "," : "", argv[i]);
			free(prev);
			continue;
		}
		in_list = eq != NULL && is_list_key(argv[i], (size_t)(eq - argv[i]));
		v[n++] = str_dup(argv[i]);
	}
	*outc = n;
	return v;
}

/* setup - batch servers= and timeout= words */
static enum cmd_ret
setup(struct cli *c, int argc0, char **argv0)
{
	char servers[DNS_SERVERS_MAX + 1], timeout[32];
	int have_servers = 0, have_timeout = 0, argc;
	char **argv = join_lists(argc0, argv0, &argc);
	enum cmd_ret ret = CMD_ERROR;

	for (int i = 0; i < argc; i++) {
		char *w = str_dup(argv[i]), *key, *value;
		int rc = 0;

		if (cmd_kv_split(w, &key, &value) < 0) {
			cli_error(c, "Invalid argument '%.100s': use servers=IP[:port],... "
				     "(empty: /etc/resolv.conf) or timeout=SECONDS.",
			    argv[i]);
			rc = -1;
		} else if (strcmp(key, "servers") == 0 || strcmp(key, "timeout") == 0) {
			int *have = key[0] == 's' ? &have_servers : &have_timeout;

			if (*have) {
				cli_error(c, "The key %s is given twice; give each key once.", key);
				rc = -1;
			} else {
				*have = 1;
				rc = key[0] == 's' ?
				    parse_servers(c, value, servers, sizeof(servers)) :
				    parse_timeout(c, value, timeout, sizeof(timeout));
			}
		} else {
			cli_error(c, "Unknown key '%.100s': use servers or timeout.", key);
			rc = -1;
		}
		free(w);
		if (rc < 0)
			goto out;
	}
	ret = save(c, have_servers ? servers : NULL, have_timeout ? timeout : NULL);
out:
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
	return ret;
}

/* dialog_setup - SETUP: servers and timeout, current values as defaults */
static enum ask_ret
dialog_setup(struct cli *c)
{
	const struct setting_def *d = settings_find(TIMEOUT_SETTING);
	char *cur = settings_get(c->st, SERVERS_SETTING);
	char in[DNS_SERVERS_MAX + 1], servers[DNS_SERVERS_MAX + 1], timeout[32];
	enum ask_ret a;
	long t;

	for (;;) {
		a = cli_ask(c, "Enter the DNS servers as IP[:port], separated by commas (IPv6 in "
			       "brackets: [2001:db8::1]:53),\nor SYSTEM to use those of "
			       "/etc/resolv.conf.",
		    *cur ? cur : "system", in, sizeof(in));
		if (a != ASK_OK || parse_servers(c, in, servers, sizeof(servers)) == 0)
			break;
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

static const struct cmd_word key_words[] = {
	{ "servers=", "IP[:port],... or [IPv6]:port (empty: those of /etc/resolv.conf)",
	    key_words },
	{ "timeout=", "seconds to wait for one DNS answer, 1-60 (default 5)", key_words },
	{ NULL, NULL, NULL },
};

static const struct cmd_word dnsconfig_words[] = {
	{ "print", "Display the DNS settings.", NULL },
	{ "servers=", "IP[:port],... or [IPv6]:port (empty: those of /etc/resolv.conf)",
	    key_words },
	{ "timeout=", "seconds to wait for one DNS answer, 1-60 (default 5)", key_words },
	{ NULL, NULL, NULL },
};

/* dnsconfig_exec - print, the menu at a terminal, or batch key=value */
static enum cmd_ret
dnsconfig_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return c->interactive ? dialog(c) : print(c);
	if (strchr(argv[0], '=') == NULL) {
		const char *op = cmd_word_match(dnsconfig_words, argv[0]);

		if (op == NULL) {
			cli_error(c, "Unknown option '%.40s' for dnsconfig: use print, servers= or "
				     "timeout=.",
			    argv[0]);
			return CMD_ERROR;
		}
		if (argc != 1)
			return cmd_usage_error(c, &cmd_dnsconfig_entry, "dnsconfig print");
		return print(c);
	}
	return setup(c, argc, argv);
}

const struct cmd_entry cmd_dnsconfig_entry = {
	.name = "dnsconfig",
	.usage = "dnsconfig servers=[IP[:port],...] [timeout=SEC]\n"
		 "dnsconfig timeout=SEC\n"
		 "dnsconfig print",
	.help = "Configure the DNS servers used for mail delivery.",
	.flags = CMD_F_CONFIG,
	.words = dnsconfig_words,
	.exec = dnsconfig_exec,
};
