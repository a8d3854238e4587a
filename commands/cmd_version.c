/*
 * cmd_version.c - `version`: the release and the libraries it runs on.
 */
#include <openssl/crypto.h>
#include <sqlite3.h>

#include "commands/cmd.h"
#include "store/store.h"
#include "util/version.h"

static enum cmd_ret
version_exec(struct cli *c, int argc, char **argv)
{
	extern const struct cmd_entry cmd_version_entry;

	if (argc > 0)
		return cmd_usage_error(c, &cmd_version_entry, "version");
	cli_printf(c, "\nCurrent Version\n===============\n");
	cli_printf(c, "Product: %s\n", MXGATE_PRODUCT);
	cli_printf(c, "Version: %s\n", MXGATE_VERSION);
	cli_printf(c, "Data Directory: %s\n", store_dir(c->st));
	cli_printf(c, "Configuration Schema: %d\n", store_schema_version(c->st));
	cli_printf(c, "SQLite: %s\n", sqlite3_libversion());
	cli_printf(c, "OpenSSL: %s\n\n", OpenSSL_version(OPENSSL_VERSION));
	return CMD_OK;
}

const struct cmd_entry cmd_version_entry = {
	.name = "version",
	.usage = "version",
	.help = "View system version information.",
	.exec = version_exec,
};
