/*
 * quarcmd.c - what the quarantine commands share: finding the quarantine
 * an operator names, reading MIDs, and making stored text (a sender's
 * subject line) safe and short enough for a table row.
 *
 * DIAGNOSTICS: one error line per refusal.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/quarcmd.h"
#include "store/quarantine.h"
#include "util/printable.h"
#include "util/str.h"

/* quarcmd_resolve - the configured spelling of a quarantine name */
int
quarcmd_resolve(struct cli *c, struct queue *q, const char *name, char *out, size_t size,
    struct quarantine_conf *conf)
{
	struct quarantine_conf *all;
	const struct quarantine_conf *f;
	char *cause = NULL;
	int64_t msgs = 0, bytes;
	int n;

	if (conf)
		memset(conf, 0, sizeof(*conf));
	if (quarconf_load(c->st, &all, &n, &cause) < 0) {
		cli_error(c, "Cannot read the quarantines: %s", cause);
		free(cause);
		return -1;
	}
	f = quarconf_find(all, n, name);
	if (f) {
		str_copy(out, f->name, size);
		if (conf)
			*conf = *f;
		free(all);
		return 0;
	}
	free(all);
	/* one deleted from the configuration while it held messages (two sessions) */
	if (q && strlen(name) < size && quarantine_usage(q, name, &msgs, &bytes, &cause) == 0 &&
	    msgs > 0) {
		str_copy(out, name, size);
		return 0;
	}
	free(cause);
	cli_error(c, "There is no quarantine named '%.64s'.", name);
	return -1;
}

/* quarcmd_mid - one message ID */
int
quarcmd_mid(struct cli *c, const char *word, int64_t *mid)
{
	long v;

	if (str_to_long(word, 1, 0x7fffffffffffffffL, &v) < 0) {
		cli_error(c, "Invalid MID '%.40s': a message ID is a whole number from 1.", word);
		return -1;
	}
	*mid = v;
	return 0;
}

/* quarcmd_printable - cut and made safe for one terminal line (util/printable.h) */
char *
quarcmd_printable(const char *s, size_t max)
{
	return printable_utf8(s, max);
}

/* quarcmd_bytes - a size as people read it */
const char *
quarcmd_bytes(long long n, char *buf, size_t size)
{
	if (n < 1024)
		str_fmt(buf, size, "%lld byte%s", n, n == 1 ? "" : "s");
	else if (n < 1024 * 1024)
		str_fmt(buf, size, "%.1f KB", (double)n / 1024);
	else
		str_fmt(buf, size, "%.1f MB", (double)n / (1024 * 1024));
	return buf;
}
