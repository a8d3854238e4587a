/*
 * cmd_util.c - helpers shared by command files.
 *
 * DIAGNOSTICS: none; callers report.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "commands/cmd_util.h"
#include "store/alert.h"
#include "store/config.h"
#include "store/queue.h"
#include "store/remed.h"
#include "store/settings.h"
#include "util/fsutil.h"
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

/*
 * bootstrap_text - an RDAP bootstrap file (RFC 9224 dns.json, the
 * sdr.rdap_bootstrap setting) in a few words: how many services, how big
 */
static void
bootstrap_text(const char *v, char *out, size_t size)
{
	size_t len = strlen(v);
	cJSON *o = cJSON_ParseWithLength(v, len);
	const cJSON *sv = cJSON_GetObjectItemCaseSensitive(o, "services");

	if (cJSON_IsArray(sv)) {
		int n = cJSON_GetArraySize(sv);

		str_fmt(out, size, "RDAP bootstrap (%d service%s, %zu bytes)", n, n == 1 ? "" : "s",
		    len);
	} else {
		str_fmt(out, size, "(%zu bytes, not an RDAP bootstrap file)", len);
	}
	cJSON_Delete(o);
}

/*
 * value_text - v as a change line shows it: a certificate or CA bundle (up
 * to megabytes) named, the RDAP bootstrap file summed up, anything else
 * longer than CMD_SHOW_VALUE_MAX cut (an operator reads these lines: a
 * value that long is an object shown elsewhere in full)
 */
static const char *
value_text(const char *section, const char *key, const char *v, char *buf, size_t size)
{
	size_t len;

	if (v == NULL)
		return NULL;
	len = strlen(v);
	if (strstr(v, "-----BEGIN ")) {
		str_fmt(buf, size, "(PEM, %zu bytes)", len);
		return buf;
	}
	if (strcmp(section, "setting") == 0 && strcmp(key, "sdr.rdap_bootstrap") == 0 && len) {
		bootstrap_text(v, buf, size);
		return buf;
	}
	if (len > CMD_SHOW_VALUE_MAX) {
		str_fmt(buf, size, "%.*s... (%zu bytes)", CMD_SHOW_VALUE_CUT, v, len);
		return buf;
	}
	return v;
}

void
cmd_show_change(struct cli *c, const char *indent, const char *section, const char *key,
    const char *oldv, const char *newv)
{
	int secret = settings_is_secret(section, key);
	char os[CMD_SHOW_VALUE_CUT + 64], ns[CMD_SHOW_VALUE_CUT + 64];
	const char *o = oldv && secret ? SETTINGS_MASK :
					 value_text(section, key, oldv, os, sizeof(os));
	const char *n = newv && secret ? SETTINGS_MASK :
					 value_text(section, key, newv, ns, sizeof(ns));

	if (oldv == NULL)
		cli_printf(c, "%s+ %s %s = %s\n", indent, section, key, n);
	else if (newv == NULL)
		cli_printf(c, "%s- %s %s (was: %s)\n", indent, section, key, o);
	else if (secret)	/* the store keeps no value of a secret to compare */
		cli_printf(c, "%s~ %s %s = %s (changed)\n", indent, section, key, n);
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
	/* no link followed, no FIFO to hang on (util/fsutil.h) */
	int fd = fs_open(path, O_RDONLY | O_CLOEXEC, 0), running = 0;

	free(path);
	if (fd < 0)
		return 0;
	/* the daemon holds a write lock on its pid file while it runs */
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		running = 1;
	close(fd);
	return running;
}

/* ms_now - a monotonic clock in milliseconds, for waits that must not jump */
static long long
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* applied_version - the commit mxgated says it has applied ("conf.applied"), -1 if none */
static int64_t
applied_version(struct queue *q)
{
	char *v = queue_state_get(q, "conf.applied");
	long n = -1;

	if (v == NULL || str_to_long(v, 0, 0x7fffffffffffffffL, &n) < 0)
		n = -1;
	free(v);
	return n;
}

struct applied_report {
	struct cli *c;		/* where to report */
	int n;			/* alerts reported */
};

/* applied_alert - one alert about the commit(s) waited for, as an error line */
static int
applied_alert(const struct alert *a, void *arg)
{
	struct applied_report *r = arg;

	cli_error(r->c, "mxgated could not apply all of commit %lld: %s", (long long)a->commit,
	    a->text);
	r->n++;
	return 0;
}

/*
 * The daemon (daemon/main.c) applies a commit, raises an alert with the
 * commit's number for each part it could not apply (store/alert.h), and
 * only then sets "conf.applied" to that number: so once conf.applied has
 * reached id, every alert about it is already in the table. The daemon
 * may have gone straight to a later commit (it applies the newest); then
 * the alerts of every commit from id up to the one applied are ours too,
 * since the applied configuration contains this commit's changes.
 */
enum cmd_ret
cmd_wait_applied(struct cli *c, int64_t id)
{
	struct applied_report r = { .c = c };
	struct queue *q;
	long long deadline = ms_now() + CMD_APPLY_WAIT_MS;
	int64_t applied;
	char *cause = NULL;

	if (!cmd_daemon_running(c))
		return CMD_OK;	/* it loads the running configuration when it starts */
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	while ((applied = applied_version(q)) < id) {
		if (!cmd_daemon_running(c)) {
			cli_printf(c, "mxgated stopped before applying commit %lld; it applies the "
				      "configuration when it starts.\n", (long long)id);
			return CMD_OK;
		}
		if (cli_interrupted(c)) {
			cli_error(c, "Stopped waiting: mxgated has not applied commit %lld yet; "
				     "check displayalerts and mail_logs", (long long)id);
			return CMD_ERROR;
		}
		if (ms_now() >= deadline) {
			cli_error(c, "mxgated has not applied commit %lld after %d seconds; check "
				     "displayalerts and mail_logs", (long long)id,
			    CMD_APPLY_WAIT_MS / 1000);
			return CMD_ERROR;
		}
		poll(NULL, 0, 20);
	}
	if (alert_for_commits(q, id, applied, applied_alert, &r, &cause) < 0) {
		cli_error(c, "mxgated applied commit %lld, but its alerts cannot be read: %s",
		    (long long)id, cause);
		free(cause);
		return CMD_ERROR;
	}
	if (r.n > 0)
		return CMD_ERROR;
	cli_printf(c, "mxgated applied commit %lld\n", (long long)id);
	return CMD_OK;
}

/*
 * The daemon takes requests every 100 ms (daemon/control.c) and deletes
 * each once done; polls of CMD_WAIT_POLL_MS keep Ctrl-C and a daemon
 * that stops meanwhile noticed within a fraction of a second.
 */
#define CMD_WAIT_POLL_MS 200

int
cmd_wait_request(struct cli *c, struct queue *q, int64_t id, int ms, const char *pending)
{
	long long deadline = ms_now() + ms;
	char *cause = NULL;
	int r;

	if (!cmd_daemon_running(c))
		return 1;
	for (;;) {
		r = queue_request_wait(q, id, CMD_WAIT_POLL_MS, &cause);
		if (r == 0)
			return 0;
		if (r < 0) {
			cli_error(c, "Cannot follow the request to mxgated (%s): %s.", cause,
			    pending);
			free(cause);
			return -1;
		}
		if (cli_interrupted(c)) {
			cli_error(c, "Stopped waiting for mxgated to take the request: %s.", pending);
			return -1;
		}
		if (!cmd_daemon_running(c)) {
			/* it may have taken the request just before it stopped */
			r = queue_request_wait(q, id, 0, &cause);
			free(cause);
			return r == 0 ? 0 : 1;
		}
		if (ms_now() >= deadline) {
			cli_error(c, "mxgated has not taken the request within %d seconds: %s.",
			    (ms + 999) / 1000, pending);
			return -1;
		}
	}
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

int
cmd_serial(struct cli *c, char *out, size_t size)
{
	struct queue *q = cmd_queue(c);
	char *cause = NULL;

	if (q == NULL)
		return -1;
	if (remed_serial(q, out, size, &cause) < 0) {
		cli_error(c, "Cannot read this gateway's serial number: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}
