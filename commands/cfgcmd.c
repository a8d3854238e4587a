/*
 * cfgcmd.c - the running configuration as a file, and where files are
 * kept (commands/cfgcmd.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands/cfgcmd.h"
#include "store/cfgio.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/fsutil.h"
#include "util/str.h"
#include "util/version.h"

/* add_item - cfgio_item_cb: one running item into the file */
static int
add_item(const char *section, const char *key, const char *value, int secret, void *arg)
{
	cfgfile_add(arg, section, key, value, secret);
	return 0;
}

int
cfgcmd_build(struct cli *c, struct cfgfile *f, int open)
{
	char *cause = NULL, *host, when[32];
	time_t now = time(NULL);
	struct tm tm;
	int64_t commit = 0;

	cfgfile_init(f);
	if (cfgio_running(c->st, open ? CFGIO_OPEN : CFGIO_SEALED, add_item, f, &commit,
	    &cause) < 0) {
		cli_error(c, "Cannot read the configuration: %s", cause);
		free(cause);
		cfgfile_free(f);
		return -1;
	}
	/* the running name, as the items are: not a pending one */
	if (config_get_running(c->st, SETTINGS_SECTION, "system.hostname", &host, &cause) < 0) {
		free(cause);
		host = NULL;
	}
	if (host == NULL || *host == '\0') {
		free(host);
		host = xcalloc(1, 256);
		if (gethostname(host, 255) < 0 || *host == '\0')
			str_copy(host, "localhost", 256);
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	f->format = CFGFILE_FORMAT;
	f->version = str_dup(MXGATE_VERSION);
	f->hostname = host;
	f->saved = str_dup(when);
	f->schema = store_schema_version(c->st);
	f->commit = commit;
	return 0;
}

int
cfgcmd_dir(struct cli *c)
{
	char *path = str_printf("%s/%s", store_dir(c->st), CFGCMD_DIR);
	int fd = fs_open_dir(path, 0700);

	if (fd < 0)
		cli_error(c, "Cannot open the configuration directory %s: %s", path,
		    fs_strerror(errno));
	free(path);
	return fd;
}
