/*
 * cmd_traceroute.c - `traceroute HOST`: the system's traceroute
 * (/usr/sbin/traceroute -w 2 -q 1 -m 15), its output relayed
 * (commands/runtool.c).
 *
 * HOST is checked to be a host name or an IP address before anything
 * runs, so no word of the operator's reaches traceroute as an option.
 *
 * DIAGNOSTICS: one error line: a bad host, traceroute not installed,
 * its failure status, Ctrl-C.
 */
#include <string.h>

#include "commands/cmd.h"
#include "commands/runtool.h"
#include "util/str.h"

extern const struct cmd_entry cmd_traceroute_entry;

#define TRACEROUTE_PATH "/usr/sbin/traceroute"

static enum cmd_ret
traceroute_exec(struct cli *c, int argc, char **argv)
{
	char host[256];
	enum cmd_ret ret;

	if (argc > 1)
		return cmd_usage_error(c, &cmd_traceroute_entry, "traceroute");
	if (runtool_host(c, "Enter the host name or IP address to trace", argc ? argv[0] : NULL,
		host, sizeof(host), &ret) < 0)
		return ret;
	{
		char *const args[] = { TRACEROUTE_PATH, "-w", "2", "-q", "1", "-m", "15", host,
			NULL };

		return runtool_run(c, "traceroute", args);
	}
}

static const struct cmd_word traceroute_words[] = {
	{ "<HOST>", "a host name or IP address", NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_traceroute_entry = {
	.name = "traceroute",
	.usage = "traceroute\n"
		 "traceroute HOST",
	.help = "Display the network route to a remote host.",
	.words = traceroute_words,
	.exec = traceroute_exec,
};
