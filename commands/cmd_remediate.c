/*
 * cmd_remediate.c - `remediate MID|<Message-ID> action=delete|forward|
 * forward_delete [forward_to=ADDRESS]`: act on a delivered message in
 * the recipients' mailboxes (issue 12), as an ETD verdict would.
 *
 * The command adds a request (store/remed.h, trigger "operator", who =
 * this session's account), asks mxgated to run it (queue request
 * "remediate", which wakes the remediation thread), and follows it for
 * up to a minute, printing nothing meanwhile: then one line per mailbox
 * acted on, or the reason nothing matched. A request still running is
 * left to run; remediationreport shows it later. With mxgated stopped
 * the request stays pending and runs when it starts.
 *
 * The wait polls queue.db and gives up early, leaving the request
 * queued, on Ctrl-C (or SIGTERM/SIGHUP ending the session), when mxgated
 * stops meanwhile, and when mxgated says its remediation engine did not
 * start (queue state "remediation" = "unavailable: CAUSE", daemon/main.c):
 * nothing would run the request until a restart fixes that. Mailbox and
 * reason texts come from mail servers and are printed through
 * printable_copy.
 *
 * Validation comes first and a refused line adds nothing: the first word
 * is a MID (digits) or a Message-ID with its <>; forward actions need an
 * address (forward_to= or the tdcconfig forward address).
 *
 * DIAGNOSTICS: one error line per refusal or store failure.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "commands/cmd_util.h"
#include "store/remed.h"
#include "store/settings.h"
#include "util/printable.h"
#include "util/str.h"
#include "util/syntax.h"

extern const struct cmd_entry cmd_remediate_entry;

#define REMEDIATE_WAIT_MS 60000	/* IMAP logins and Graph calls per mailbox: generous */
#define REMEDIATE_POLL_MS 200

/* What the key=value words give. */
struct remediate_args {
	char action[32];
	char forward_to[REMED_ADDR_MAX + 1];
};

static const char *const action_values[] = { "delete", "forward", "forward_delete", NULL };

/* set - cmd_keyset.set */
static int
set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	struct remediate_args *a = obj;

	if (strcmp(k->name, "action") == 0)
		return str_copy(a->action, value, sizeof(a->action));
	if (str_copy(a->forward_to, value, sizeof(a->forward_to)) < 0 || !syntax_email(value)) {
		*cause = str_printf("Invalid forward_to '%.100s': an address such as "
				    "soc@example.com.",
		    value);
		return -1;
	}
	return 0;
}

static const struct cmd_key keys[] = {
	{ .name = "action", .type = CMD_KEY_ENUM, .values = action_values,
	    .check = cmd_keys_enum,
	    .help = "delete, forward, or forward_delete (forward first, then delete)" },
	{ .name = "forward_to", .type = CMD_KEY_TEXT,
	    .help = "where forwards go (default: the tdcconfig forward address)" },
	{ .name = NULL },
};

static const struct cmd_keyset keyset = { .keys = keys, .set = set };

/* ms_now - a monotonic clock in milliseconds */
static long long
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* parse_target - MID (digits) or <Message-ID> into r; error printed */
static int
parse_target(struct cli *c, const char *w, struct remed_request *r)
{
	long n;
	size_t len = strlen(w);

	if (w[0] >= '0' && w[0] <= '9') {
		if (str_to_long(w, 1, 9007199254740991L, &n) < 0) {
			cli_error(c, "Invalid MID '%.40s': a message number such as 12.", w);
			return -1;
		}
		r->mid = n;
		return 0;
	}
	if (len >= 3 && len <= REMED_MSGID_MAX && w[0] == '<' && w[len - 1] == '>' &&
	    strchr(w, '@') != NULL) {
		int ok = 1;

		for (const char *p = w + 1; p < w + len - 1; p++)
			if ((unsigned char)*p <= 32 || (unsigned char)*p >= 127 || *p == '<' ||
			    *p == '>')
				ok = 0;
		if (ok) {
			str_copy(r->message_id, w, sizeof(r->message_id));
			return 0;
		}
	}
	cli_error(c, "Invalid message '%.100s': give its MID (12) or its Message-ID with the "
		     "angle brackets ('<id@example.com>').",
	    w);
	return -1;
}

/* What show_one prints. */
struct show_ctx {
	struct cli *c;
	int64_t id;	/* the request */
	int shown;	/* it was found */
};

/* printable_copy writes at most 4 bytes (\ooo) per input byte */
#define SAFE_SIZE(n) (4 * (n) + 1)

/* safe - s with control and non-ASCII bytes as \ooo, into buf[size] */
static const char *
safe(const char *s, char *buf, size_t size)
{
	printable_copy(buf, size, s, strlen(s), 0);
	return buf;
}

/* show_one - remed_report callback: the lines of our request */
static void
show_one(void *arg, const struct remed_request *r, const struct remed_action *a, int n)
{
	struct show_ctx *s = arg;
	char note[SAFE_SIZE(sizeof(r->note))], mbx[SAFE_SIZE(REMED_ADDR_MAX)];
	char why[SAFE_SIZE(sizeof(a->reason))];

	if (r->id != s->id)
		return;
	s->shown = 1;
	if (r->state == REMED_UNMATCHED || n == 0) {
		cli_printf(s->c, "Remediation %lld: %s%s%s\n", (long long)r->id,
		    remed_state_name(r->state), r->note[0] ? ": " : "",
		    safe(r->note, note, sizeof(note)));
		return;
	}
	for (int i = 0; i < n; i++) {
		cli_printf(s->c, "Remediation %lld: MID %lld mailbox %s: %s%s%s\n",
		    (long long)r->id, (long long)a[i].mid,
		    safe(a[i].mailbox, mbx, sizeof(mbx)), remed_state_name(a[i].state),
		    a[i].result[0] || a[i].reason[0] ? ": " : "",
		    safe(a[i].state == REMED_OK ? a[i].result : (a[i].reason[0] ? a[i].reason :
		    a[i].result), why, sizeof(why)));
	}
}

/*
 * engine_missing - mxgated runs without its remediation engine: the
 * malloc'd cause it gave (queue state "remediation" = "unavailable:
 * CAUSE"), else NULL
 */
static char *
engine_missing(struct queue *q)
{
	static const char tag[] = "unavailable:";
	char *v = queue_state_get(q, "remediation"), *cause;

	if (v == NULL || strncmp(v, tag, sizeof(tag) - 1) != 0) {
		free(v);
		return NULL;
	}
	cause = str_dup(str_trim(v + sizeof(tag) - 1));
	free(v);
	return cause;
}

/*
 * wait_pending - poll until request id is no longer pending: 0 done
 * (*now filled), 1 mxgated stopped or the wait ran out (said why), -1
 * an error, Ctrl-C or no remediation engine (an error line printed)
 */
static int
wait_pending(struct cli *c, struct queue *q, int64_t id, struct remed_request *now)
{
	long long deadline = ms_now() + REMEDIATE_WAIT_MS;
	char *cause = NULL, why[SAFE_SIZE(200)];
	int r;

	for (;;) {
		if ((r = remed_request_get(q, id, now, &cause)) < 0) {
			cli_error(c, "Cannot read remediation %lld: %s", (long long)id, cause);
			free(cause);
			return -1;
		}
		if (r == 0) {
			cli_error(c, "Remediation %lld is gone from queue.db.", (long long)id);
			return -1;
		}
		if (now->state != REMED_PENDING)
			return 0;
		if ((cause = engine_missing(q)) != NULL) {
			/* the cause is the daemon's own text; printable all the same */
			printable_copy(why, sizeof(why), cause, strlen(cause), 200);
			cli_error(c, "Mailbox remediation is not running in mxgated: %s; remediation "
				     "%lld stays queued (see remediationreport).", why, (long long)id);
			free(cause);
			return -1;
		}
		if (cli_interrupted(c)) {
			/* an error line: after Ctrl-C the terminal drops ordinary output */
			cli_error(c, "Stopped waiting: remediation %lld stays queued; "
				     "remediationreport will show its outcome.", (long long)id);
			return -1;
		}
		if (!cmd_daemon_running(c)) {
			cli_printf(c, "mxgated stopped: remediation %lld stays pending and runs when "
				      "it starts (see remediationreport).\n", (long long)id);
			return 1;
		}
		if (ms_now() >= deadline) {
			cli_printf(c, "Remediation %lld is still running; remediationreport will "
				      "show its outcome.\n", (long long)id);
			return 1;
		}
		/* a signal (Ctrl-C) cuts the pause short */
		{
			struct timespec ts = { 0, REMEDIATE_POLL_MS * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
}

/* follow - wait for the request to finish, then print its lines */
static enum cmd_ret
follow(struct cli *c, struct queue *q, const struct remed_request *req)
{
	struct remed_request *now = xcalloc(1, sizeof(*now));
	struct show_ctx s = { c, req->id, 0 };
	char *cause = NULL;
	enum cmd_ret ret = CMD_ERROR;
	int r;

	if ((r = wait_pending(c, q, req->id, now)) != 0) {
		free(now);
		return r > 0 ? CMD_OK : CMD_ERROR;
	}
	if (remed_report(q, req->created > 0 ? req->created - 1 : 0, req->mid, 0, show_one, &s,
	    &cause) < 0) {
		cli_error(c, "Cannot read remediation %lld: %s", (long long)req->id, cause);
		free(cause);
		goto out;
	}
	if (!s.shown)
		show_one(&s, now, NULL, 0);
	ret = CMD_OK;
out:
	free(now);
	return ret;
}

static enum cmd_ret
remediate_exec(struct cli *c, int argc, char **argv)
{
	struct remediate_args a = { "", "" };
	struct remed_request *req;
	struct queue *q;
	enum cmd_ret ret = CMD_ERROR;
	char idtext[32], *cause = NULL;
	unsigned given = 0;

	if (argc < 1)
		return cmd_usage_error(c, &cmd_remediate_entry, "remediate");
	req = xcalloc(1, sizeof(*req));
	if (parse_target(c, argv[0], req) < 0 ||
	    cmd_keys_parse(c, &keyset, argc - 1, argv + 1, &a, &given) < 0)
		goto out;
	if (a.action[0] == '\0') {
		cli_error(c, "Missing action=: delete, forward or forward_delete.");
		goto out;
	}
	if (remed_action_parse(a.action, &req->action) < 0) {
		cli_error(c, "Invalid action '%.40s': delete, forward or forward_delete.", a.action);
		goto out;
	}
	if (req->action == REMED_DELETE && a.forward_to[0]) {
		cli_error(c, "forward_to= is for the forward actions only.");
		goto out;
	}
	if (req->action != REMED_DELETE && a.forward_to[0] == '\0') {
		char *def = settings_get(c->st, "tdc.forward_to");

		str_copy(a.forward_to, def ? def : "", sizeof(a.forward_to));
		free(def);
		if (a.forward_to[0] == '\0') {
			cli_error(c, "Missing forward_to=: a forward needs an address, and tdcconfig "
				     "has no forward address.");
			goto out;
		}
	}
	str_copy(req->forward_to, a.forward_to, sizeof(req->forward_to));
	req->trigger = REMED_BY_OPERATOR;
	str_copy(req->who, c->user, sizeof(req->who));
	req->state = REMED_PENDING;
	if ((q = cmd_queue(c)) == NULL)
		goto out;
	if (remed_request_add(q, req, &cause) < 0) {
		cli_error(c, "Cannot add the remediation request: %s", cause);
		free(cause);
		goto out;
	}
	str_fmt(idtext, sizeof(idtext), "%lld", (long long)req->id);
	if (queue_request_add(q, "remediate", idtext, &cause) < 0) {
		/* the request is pending: the remediation thread takes it at its next pass */
		cli_error(c, "Remediation %lld was added but mxgated could not be woken: %s",
		    (long long)req->id, cause);
		free(cause);
		goto out;
	}
	if (!cmd_daemon_running(c)) {
		cli_printf(c, "mxgated is not running: remediation %lld stays pending and runs when "
			      "it starts (see remediationreport).\n",
		    (long long)req->id);
		ret = CMD_OK;
		goto out;
	}
	ret = follow(c, q, req);
out:
	free(req);
	return ret;
}

static const struct cmd_word kv_words[] = {
	{ "action=", "delete, forward or forward_delete", kv_words },
	{ "forward_to=", "where forwards go", kv_words },
	{ NULL, NULL, NULL },
};

static const struct cmd_word remediate_words[] = {
	{ "<MID>", "the message's MID (mail_logs, findevent)", kv_words },
	{ "<MESSAGE-ID>", "the Message-ID with its angle brackets", kv_words },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_remediate_entry = {
	.name = "remediate",
	.usage = "remediate MID|<MESSAGE-ID> action=delete|forward|forward_delete "
		 "[forward_to=ADDRESS]",
	.help = "Delete or forward a delivered message in its recipients' mailboxes.",
	.flags = CMD_F_NOABBREV,
	.words = remediate_words,
	.exec = remediate_exec,
};
