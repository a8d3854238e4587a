/*
 * cmd_resetcounters.c - `resetcounters`: zero the "since reset" counters of
 * every destination and the system (lifetime counters are kept).
 */
#include <stdlib.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "store/queue.h"

extern const struct cmd_entry cmd_resetcounters_entry;

static enum cmd_ret
resetcounters_exec(struct cli *c, int argc, char **argv)
{
	struct queue *q;
	char *cause = NULL;

	if (argc > 0)
		return cmd_usage_error(c, &cmd_resetcounters_entry, "resetcounters");
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	if (queue_reset_counters(q, &cause) < 0) {
		cli_error(c, "Cannot reset counters: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	cli_printf(c, "Counters reset.\n");
	return CMD_OK;
}

const struct cmd_entry cmd_resetcounters_entry = {
	.name = "resetcounters",
	.usage = "resetcounters",
	.help = "Reset all of the counters in the system.",
	.flags = CMD_F_ADMIN | CMD_F_NOABBREV,
	.exec = resetcounters_exec,
};
