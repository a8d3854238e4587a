/*
 * csncmd.c - Cisco Success Network telemetry at the shell (see
 * csncmd.h): `cloudserviceconfig csn enable|disable|print|send` and the
 * CSN lines of `cloudserviceconfig status`.
 *
 * print builds the payload with mail/csn.h from the running state (a
 * second, STORE_RUNNING handle on the data directory: this session's
 * pending changes are not what mxgated sends) and prints the compact JSON
 * exactly as it would be sent, registered or not (not registered: empty
 * sIVAN and userAccountID; nothing is sent then).
 *
 * send asks mxgated (request "csnsend TOKEN", daemon/csnd.c) and waits
 * for its answer in queue_state "csn.answer.TOKEN". Before mxgated takes
 * the request, Ctrl-C or mxgated stopping withdraws it (nothing sent);
 * once taken, the send runs to its end and its answer is awaited.
 *
 * DIAGNOSTICS: one error line per refusal (CSN off, cloud off, not
 * registered, mxgated not running), store failure or wait cut short.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "commands/cli.h"
#include "commands/cmd_util.h"
#include "commands/csncmd.h"
#include "mail/csn.h"
#include "store/cloud.h"
#include "store/queue.h"
#include "store/settings.h"
#include "store/store.h"
#include "util/str.h"

#define CSNCMD_POLL_MS 100
#define CSNCMD_TAKE_MS 30000		/* mxgated takes a request within 100 ms when it runs */
#define CSNCMD_ANSWER_MS 120000		/* a send waits at most on the HTTP client's time limits */

/* running_on - is a bool setting yes in the running configuration? */
static int
running_on(struct cli *c, const char *name)
{
	return settings_running_int(c->st, name) != 0;
}

/* stage - stage cloud.csn = value with a line saying what it does */
static int
stage(struct cli *c, int on)
{
	const char *word = on ? "enabled" : "disabled";
	char *cause = NULL, *cur = settings_get(c->st, "cloud.csn");
	int same = cur && strcmp(cur, on ? "yes" : "no") == 0;

	free(cur);
	if (!same && settings_stage(c->st, "cloud.csn", on ? "yes" : "no", &cause) < 0) {
		cli_error(c, "Cannot stage cloud.csn: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (same && running_on(c, "cloud.csn") == on)
		cli_printf(c, "Cisco Success Network telemetry is already %s.\n", word);
	else
		cli_printf(c, "Cisco Success Network telemetry will be %s (pending until commit).\n",
		    word);
	if (on && !running_on(c, "cloud.enabled") && settings_get_int(c->st, "cloud.enabled") == 0)
		cli_printf(c, "Nothing is sent until the Cisco Cloud Service is enabled and the "
			      "appliance registered.\n");
	return CMD_OK;
}

/* running_store - a handle on the committed configuration; NULL after an error line */
static struct store *
running_store(struct cli *c)
{
	struct store *run = NULL;
	char *cause = NULL;

	if (store_open(store_dir(c->st), STORE_RUNNING, &run, &cause) < 0) {
		cli_error(c, "Cannot read the running configuration: %s", cause);
		free(cause);
		return NULL;
	}
	return run;
}

/* print - the payload as it would be sent now */
static int
print(struct cli *c)
{
	struct store *run;
	struct queue *q;
	struct cloud_reg reg = { 0 };
	struct csn_payload p;
	char *cause = NULL, *json;
	int rc;

	if ((q = cmd_queue(c)) == NULL || (run = running_store(c)) == NULL)
		return CMD_ERROR;
	rc = cloud_get(run, &reg, &cause);
	if (rc < 0) {
		cli_error(c, "Cannot read the registration: %s", cause);
		free(cause);
		store_close(run);
		return CMD_ERROR;
	}
	if (csn_collect(run, q, store_dir(c->st), rc == 1 ? &reg : NULL, &p, &cause) < 0) {
		cli_error(c, "Cannot build the telemetry payload: %s", cause);
		free(cause);
		if (rc == 1)
			cloud_reg_free(&reg);
		store_close(run);
		return CMD_ERROR;
	}
	if (rc == 1)
		cloud_reg_free(&reg);
	store_close(run);
	json = csn_json(&p);
	cli_printf(c, "%s\n", json);
	free(json);
	return CMD_OK;
}

/* refusal - why mxgated would not send now, or NULL (-1 in *err after an error line) */
static const char *
refusal(struct cli *c, int *err)
{
	struct store *run;
	struct cloud_reg reg = { 0 };
	char *cause = NULL;
	int rc;

	*err = 0;
	if (!running_on(c, "cloud.enabled"))
		return "the Cisco Cloud Service is not enabled (cloudserviceconfig enable, then "
		       "commit)";
	if (!running_on(c, "cloud.csn"))
		return "Cisco Success Network telemetry is not enabled (cloudserviceconfig csn "
		       "enable, then commit)";
	if ((run = running_store(c)) == NULL) {
		*err = 1;
		return NULL;
	}
	rc = cloud_get(run, &reg, &cause);
	store_close(run);
	if (rc < 0) {
		cli_error(c, "Cannot read the registration: %s", cause);
		free(cause);
		*err = 1;
		return NULL;
	}
	if (rc == 0)
		return "the appliance is not registered with the Cisco Cloud Service "
		       "(cloudserviceconfig register)";
	cloud_reg_free(&reg);
	return NULL;
}

/* token - a random positive number naming the answer's state row */
static long long
token(void)
{
	unsigned long long r = 0;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (unsigned long long)time(NULL) << 20 ^ (unsigned long long)getpid();
	return (long long)(r >> 2) + 1;
}

/* sleep_ms - a short pause (a signal cuts it short: Ctrl-C is seen sooner) */
static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* show - mxgated's answer as one line */
static int
show(struct cli *c, const char *answer)
{
	size_t bytes;
	int off = 0;

	if (strncmp(answer, "error=", 6) == 0) {
		cli_error(c, "Telemetry not sent: %.300s.", answer + 6);
		return CMD_ERROR;
	}
	if (sscanf(answer, "sent %zu %n", &bytes, &off) == 1 && off > 0) {
		cli_printf(c, "Telemetry sent to %.300s (%zu bytes).\n", answer + off, bytes);
		return CMD_OK;
	}
	cli_error(c, "mxgated answered something unexpected: '%.100s'.", answer);
	return CMD_ERROR;
}

/* send - ask mxgated to send now and print its outcome */
static int
send_now(struct cli *c)
{
	struct queue *q;
	const char *why;
	char name[64], arg[32], *cause = NULL, *answer = NULL;
	long long tok = token();
	int64_t id;
	int err, taken = 0, waited, ret;

	if ((why = refusal(c, &err)) != NULL) {
		cli_error(c, "Telemetry not sent: %s.", why);
		return CMD_ERROR;
	}
	if (err)
		return CMD_ERROR;
	if (!cmd_daemon_running(c)) {
		cli_error(c, "Telemetry not sent: mxgated is not running (it sends the telemetry).");
		return CMD_ERROR;
	}
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	str_fmt(arg, sizeof(arg), "%lld", tok);
	str_fmt(name, sizeof(name), "%s%lld", CSN_ANSWER_PREFIX, tok);
	if (queue_request_add_id(q, "csnsend", arg, &id, &cause) < 0) {
		cli_error(c, "Cannot ask mxgated: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	for (waited = 0;; waited += CSNCMD_POLL_MS) {
		if ((answer = queue_state_get(q, name)) != NULL)
			break;
		if (!taken && (cli_interrupted(c) || !cmd_daemon_running(c) ||
				  waited >= CSNCMD_TAKE_MS)) {
			int r = queue_request_cancel(q, id, &cause);

			if (r < 0) {
				cli_error(c, "Cannot withdraw the request: %s", cause);
				free(cause);
				return CMD_ERROR;
			}
			if (r == 1) {
				if (cli_interrupted(c)) {
					cli_error(c, "Interrupted: nothing was sent.");
					return CMD_ABORTED;
				}
				if (!cmd_daemon_running(c))
					cli_error(c, "mxgated stopped before it took the request; "
						     "nothing was sent.");
				else
					cli_error(c, "mxgated did not take the request within %d "
						     "seconds; nothing was sent.",
					    CSNCMD_TAKE_MS / 1000);
				return CMD_ERROR;
			}
			taken = 1;	/* the send runs to its end now: wait for its answer */
			waited = 0;
			continue;
		}
		if (taken && cli_interrupted(c)) {
			cli_error(c, "Interrupted: the send goes on in mxgated; see mail_logs for "
				     "its outcome.");
			return CMD_ABORTED;
		}
		if (taken && waited >= CSNCMD_ANSWER_MS) {
			cli_error(c, "mxgated did not answer within %d seconds: see mail_logs for "
				     "the outcome.", CSNCMD_ANSWER_MS / 1000);
			return CMD_ERROR;
		}
		if (taken && !cmd_daemon_running(c)) {
			if ((answer = queue_state_get(q, name)) != NULL)
				break;
			cli_error(c, "mxgated stopped before it answered: see mail_logs for what "
				     "it did.");
			return CMD_ERROR;
		}
		sleep_ms(CSNCMD_POLL_MS);
	}
	ret = show(c, answer);
	free(answer);
	if (queue_state_delete(q, name, &cause) < 0)
		free(cause);	/* the answer is printed; a row left behind is only clutter */
	return ret;
}

/* csncmd - see csncmd.h */
int
csncmd(struct cli *c, int argc, char **argv)
{
	if (argc != 1) {
		cli_error(c, "Usage: cloudserviceconfig csn enable|disable|print|send");
		return CMD_ERROR;
	}
	if (strcasecmp(argv[0], "enable") == 0)
		return stage(c, 1);
	if (strcasecmp(argv[0], "disable") == 0)
		return stage(c, 0);
	if (strcasecmp(argv[0], "print") == 0)
		return print(c);
	if (strcasecmp(argv[0], "send") == 0)
		return send_now(c);
	cli_error(c, "Unknown csn operation '%.40s': use enable, disable, print or send.",
	    argv[0]);
	return CMD_ERROR;
}

/* when - "Mon Dec  7 09:30:00 2026 UTC" of a queue_state number, into buf; NULL if absent or bad */
static const char *
when(const char *v, char *buf, size_t size)
{
	char *end;
	long long n;
	time_t t;
	struct tm tm;

	if (v == NULL)
		return NULL;
	n = strtoll(v, &end, 10);
	if (end == v || n <= 0)
		return NULL;
	t = (time_t)n;
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%a %b %e %H:%M:%S %Y UTC", &tm) == 0)
		return NULL;
	return buf;
}

/* csncmd_status - see csncmd.h */
void
csncmd_status(struct cli *c)
{
	struct queue *q;
	char *last = NULL, *err = NULL, *next = NULL, b[64];
	const char *w;
	int on = running_on(c, "cloud.csn"), staged = settings_get_int(c->st, "cloud.csn") != 0;

	cli_printf(c, "%-32s %s%s\n", "Cisco Success Network:", on ? "Enabled" : "Disabled",
	    on == staged ? "" : staged ? " (enable pending commit)" : " (disable pending commit)");
	if ((q = cmd_queue(c)) == NULL)
		return;
	last = queue_state_get(q, CSN_STATE_LAST);
	err = queue_state_get(q, CSN_STATE_ERROR);
	next = queue_state_get(q, CSN_STATE_NEXT);
	cli_printf(c, "%-32s %s\n", "Last telemetry sent:", (w = when(last, b, sizeof(b))) ? w :
	    "Never");
	if (on && running_on(c, "cloud.enabled"))
		cli_printf(c, "%-32s %s\n", "Next telemetry send:",
		    (w = when(next, b, sizeof(b))) ? w : "When mxgated runs");
	if (err && (w = when(err, b, sizeof(b))) != NULL) {
		const char *text = strchr(err, ' ');

		cli_printf(c, "%-32s %s (%s)\n", "Last telemetry error:", text ? text + 1 : "", w);
	} else {
		cli_printf(c, "%-32s %s\n", "Last telemetry error:", "None");
	}
	free(last);
	free(err);
	free(next);
}
