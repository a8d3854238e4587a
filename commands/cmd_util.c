/*
 * cmd_util.c - helpers shared by command files.
 *
 * DIAGNOSTICS: none; callers report.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands/cmd_util.h"
#include "store/config.h"
#include "store/queue.h"
#include "store/settings.h"
#include "util/str.h"

int
cmd_kv_split(char *word, char **key, char **value)
{
	char *eq = strchr(word, '=');

	if (eq == NULL || eq == word)
		return -1;
	*eq = '\0';
	*key = word;
	*value = eq + 1;
	return 0;
}

void
cmd_show_change(struct cli *c, const char *indent, const char *section, const char *key,
    const char *oldv, const char *newv)
{
	int secret = settings_is_secret(section, key);
	const char *o = oldv && secret ? SETTINGS_MASK : oldv;
	const char *n = newv && secret ? SETTINGS_MASK : newv;

	if (oldv == NULL)
		cli_printf(c, "%s+ %s %s = %s\n", indent, section, key, n);
	else if (newv == NULL)
		cli_printf(c, "%s- %s %s (was: %s)\n", indent, section, key, o);
	else
		cli_printf(c, "%s~ %s %s = %s (was: %s)\n", indent, section, key, n,
		    *o ? o : "\"\"");
}

int
cmd_pending(struct cli *c)
{
	return config_pending(c->st);
}

struct queue *
cmd_queue(struct cli *c)
{
	char *cause = NULL;

	if (c->q == NULL && queue_open(store_dir(c->st), &c->q, &cause) < 0) {
		cli_error(c, "Cannot open the mail queue: %s", cause);
		free(cause);
		return NULL;
	}
	return c->q;
}

int
cmd_daemon_running(struct cli *c)
{
	char *path = str_printf("%s/mxgated.pid", store_dir(c->st));
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(path, O_RDONLY | O_CLOEXEC), running = 0;

	free(path);
	if (fd < 0)
		return 0;
	/* the daemon holds a write lock on its pid file while it runs */
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		running = 1;
	close(fd);
	return running;
}

const char *
cmd_num(long long v, char *buf, size_t size)
{
	char raw[32], out[48];
	int n, k = 0, neg = v < 0;

	snprintf(raw, sizeof(raw), "%lld", neg ? -v : v);
	n = (int)strlen(raw);
	if (neg)
		out[k++] = '-';
	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[k++] = ',';
		out[k++] = raw[i];
	}
	out[k] = '\0';
	str_copy(buf, out, size);
	return buf;
}

const char *
cmd_duration(long long s, char *buf, size_t size)
{
	long long d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60, sec = s % 60;

	if (d > 0)
		snprintf(buf, size, "%lldd %lldh %lldm %llds", d, h, m, sec);
	else if (h > 0)
		snprintf(buf, size, "%lldh %lldm %llds", h, m, sec);
	else if (m > 0)
		snprintf(buf, size, "%lldm %llds", m, sec);
	else
		snprintf(buf, size, "%llds", sec);
	return buf;
}
