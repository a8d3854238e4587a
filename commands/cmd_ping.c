/*
 * cmd_ping.c - `ping HOST [count=N]`: the system's ping (iputils,
 * /usr/bin/ping -c N -W 2), its output relayed (commands/runtool.c).
 *
 * HOST is checked to be a host name or an IP address before anything
 * runs, so no word of the operator's reaches ping as an option.
 *
 * DIAGNOSTICS: one error line: a bad host or count, ping not installed,
 * no reply (ping's status), Ctrl-C.
 */
#include <stdio.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/runtool.h"
#include "util/str.h"

extern const struct cmd_entry cmd_ping_entry;

#define PING_PATH "/usr/bin/ping"
#define PING_COUNT_DEF 4
#define PING_COUNT_MAX 100

static enum cmd_ret
ping_exec(struct cli *c, int argc, char **argv)
{
	char host[256], count[16];
	long n = PING_COUNT_DEF;
	enum cmd_ret ret;

	if (argc > 2)
		return cmd_usage_error(c, &cmd_ping_entry, "ping");
	if (argc == 2) {
		if (strncmp(argv[1], "count=", 6) != 0)
			return cmd_usage_error(c, &cmd_ping_entry, argv[1]);
		if (str_to_long(argv[1] + 6, 1, PING_COUNT_MAX, &n) < 0) {
			cli_error(c, "Invalid count '%.100s': enter a number from 1 to %d.",
			    argv[1] + 6, PING_COUNT_MAX);
			return CMD_ERROR;
		}
	}
	if (runtool_host(c, "Enter the host name or IP address to ping", argc ? argv[0] : NULL,
		host, sizeof(host), &ret) < 0)
		return ret;
	str_fmt(count, sizeof(count), "%ld", n);
	{
		char *const args[] = { PING_PATH, "-c", count, "-W", "2", host, NULL };

		return runtool_run(c, "ping", args);
	}
}

static const struct cmd_word ping_opts[] = {
	{ "count=", "how many echo requests (1 to 100, default 4)", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word ping_words[] = {
	{ "<HOST>", "a host name or IP address", ping_opts },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_ping_entry = {
	.name = "ping",
	.usage = "ping\n"
		 "ping HOST [count=N]",
	.help = "Ping a network host.",
	.words = ping_words,
	.exec = ping_exec,
};
