/*
 * suspendcmd.c - suspending and resuming listeners and delivery
 * (suspendlistener, resumelistener, suspenddel, resumedel, suspend,
 * resume) and the lines status shows for them.
 *
 * The state is two rows of queue.db state, "suspend.listeners" (listener
 * names separated by commas, or "*" for all, those added later too) and
 * "suspend.delivery" (destination names, or "*"): mxgated reads them at
 * start, so suspensions survive a restart as AsyncOS keeps them across
 * reboots. A change reads the row, changes it and adds the request that
 * tells a running mxgated to read it again, in one queue.db transaction
 * (BEGIN IMMEDIATE: two operators at once do not lose each other's
 * change). With mxgated running the command then waits until it has
 * taken the request, so the change holds when the command returns;
 * without it the change applies when it starts.
 *
 * suspend and resume change both rows and add both requests in one
 * transaction, then wait for the last request (mxgated takes them in
 * order): both hold when the command returns, or neither changed.
 *
 * The request's argument is "COMMAND USER TIME ITEMS" (TIME: when the
 * change was made, in milliseconds since the epoch, so that mxgated tells
 * a change replayed at its next start from one made while it ran).
 *
 * Listener names are the committed listeners (listenerconfig), any case;
 * resume also takes a name still in the row (a listener deleted while
 * suspended). Destinations are destination queue names as tophosts shows
 * them (commands/qselcmd.c's rule): domains, the.tdc.queue (the journal
 * copies' queue), [IP], [IP]:PORT and [HOST]:PORT (after
 * redirectrecipients); lower-cased outside brackets. Refusals are one
 * line and change nothing: an unknown listener, an invalid destination,
 * resuming what is not suspended, resuming one domain while delivery is
 * suspended for ALL, a state row that cannot be read (a read error is
 * never taken for "nothing suspended": that would lose the others).
 *
 * DIAGNOSTICS: one error line per refusal or queue.db failure.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "commands/qselcmd.h"
#include "commands/suspendcmd.h"
#include "mail/listener.h"
#include "store/config.h"
#include "store/queue.h"
#include "util/buf.h"
#include "util/str.h"

#define SUSPEND_LISTENERS "suspend.listeners"
#define SUSPEND_DELIVERY "suspend.delivery"
/* How long a change waits for mxgated to take it (it looks every 100 ms). */
#define SUSPEND_APPLY_MS 10000
/* What stands when the wait ends without an answer (cmd_wait_request). */
#define SUSPEND_PENDING "the change is saved and mxgated applies it when it takes the request"
/* Longest answer or joined argument list read. */
#define SUSPEND_LINE_MAX 4096

/* A set of names: a state row, a choice, the listeners. */
struct names {
	char **v;	/* the names, malloc'd */
	int n;
	int all;	/* "*" / ALL: everything, v unused */
};

/* ---------------------------------------------------------- name sets */

/* names_free - release a set */
static void
names_free(struct names *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* names_find - index of name in s (any case), or -1 */
static int
names_find(const struct names *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcasecmp(s->v[i], name) == 0)
			return i;
	return -1;
}

/* names_add - add a name unless it is there */
static void
names_add(struct names *s, const char *name)
{
	if (names_find(s, name) >= 0)
		return;
	s->v = xrealloc(s->v, sizeof(*s->v) * (size_t)(s->n + 1));
	s->v[s->n++] = str_dup(name);
}

/* names_remove - take a name out (absent: nothing) */
static void
names_remove(struct names *s, const char *name)
{
	int i = names_find(s, name);

	if (i < 0)
		return;
	free(s->v[i]);
	memmove(s->v + i, s->v + i + 1, sizeof(*s->v) * (size_t)(s->n - i - 1));
	s->n--;
}

/* names_parse - a state row ("*", "" or "a,b") into s */
static void
names_parse(const char *row, struct names *s)
{
	char **v;
	int n;

	memset(s, 0, sizeof(*s));
	if (row == NULL || *row == '\0')
		return;
	if (strcmp(row, "*") == 0) {
		s->all = 1;
		return;
	}
	v = str_split(row, ',', &n);
	for (int i = 0; i < n; i++)
		if (*v[i])
			names_add(s, v[i]);
	str_split_free(v);
}

/* names_join - "a,b" (sep ","), "a, b" (sep ", "), "*" for all; malloc'd */
static char *
names_join(const struct names *s, const char *sep)
{
	struct buf b;
	char *r;

	if (s->all)
		return str_dup("*");
	buf_init(&b, 0);
	for (int i = 0; i < s->n; i++)
		buf_printf(&b, "%s%s", i ? sep : "", s->v[i]);
	r = str_dup(b.data ? b.data : "");
	buf_free(&b);
	return r;
}

/* read_row - a state row into *s; -1 after one error line (nothing read) */
static int
read_row(struct cli *c, struct queue *q, const char *key, struct names *s)
{
	char *row = NULL, *cause = NULL;

	memset(s, 0, sizeof(*s));
	if (queue_state_read(q, key, &row, &cause) < 0) {
		cli_error(c, "Cannot read the suspensions: %s", cause);
		free(cause);
		return -1;
	}
	names_parse(row, s);
	free(row);
	return 0;
}

/* ---------------------------------------------------------- listeners */

/* What collect gathers. */
struct collect_ctx {
	struct cli *c;
	struct names *ls;
};

/* collect - config_list callback: the committed listeners' names */
static int
collect(const char *section, const char *key, const char *value, void *arg)
{
	struct collect_ctx *x = arg;
	char *cause = NULL;
	int r;

	(void)value;
	r = config_has_running(x->c->st, section, key, &cause);
	free(cause);
	if (r == 1)
		names_add(x->ls, key);
	return 0;
}

/* listeners_committed - the listeners mxgated runs; error printed */
static int
listeners_committed(struct cli *c, struct names *ls)
{
	struct collect_ctx x = { c, ls };
	char *cause = NULL;

	memset(ls, 0, sizeof(*ls));
	if (config_list(c->st, LISTENER_SECTION, collect, &x, &cause) < 0) {
		cli_error(c, "Cannot read the listeners: %s", cause);
		free(cause);
		names_free(ls);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------- choices */

/* join_args - the arguments as one comma list (spaces after commas allowed) */
static char *
join_args(int argc, char **argv)
{
	struct buf b;
	char *r;

	buf_init(&b, SUSPEND_LINE_MAX);
	for (int i = 0; i < argc; i++)
		buf_printf(&b, "%s%s", i ? "," : "", argv[i]);
	r = str_dup(b.data ? b.data : "");
	buf_free(&b);
	return r;
}

/*
 * pick_listeners - a comma list of listener names, numbers of the menu
 * (offer: 1 is All, then offer's names) or ALL into *out, with the
 * configured spelling; error printed
 */
static int
pick_listeners(struct cli *c, const char *text, const struct names *known,
    const struct names *offer, struct names *out)
{
	char **v, *known_list;
	int n, rc = 0;

	memset(out, 0, sizeof(*out));
	v = str_split(text, ',', &n);
	for (int i = 0; i < n && rc == 0; i++) {
		char *t = str_trim(v[i]);
		long k;
		int j;

		if (*t == '\0')
			continue;
		if (strcasecmp(t, "ALL") == 0 ||
		    (offer && str_to_long(t, 1, 1, &k) == 0)) {
			out->all = 1;
		} else if (offer && str_to_long(t, 2, offer->n + 1, &k) == 0) {
			names_add(out, offer->v[k - 2]);
		} else if ((j = names_find(known, t)) >= 0) {
			names_add(out, known->v[j]);
		} else if (offer && t[strspn(t, "0123456789")] == '\0') {
			cli_error(c, "Invalid choice '%.20s': a number from 1 to %d, a listener's "
				     "name, or ALL.", t, offer->n + 1);
			rc = -1;
		} else {
			known_list = names_join(known, ", ");
			if (known->n == 0)
				cli_error(c, "Unknown listener '%.64s': no listener is configured "
					     "(listenerconfig).", t);
			else
				cli_error(c, "Unknown listener '%.64s': choose %s or ALL.", t,
				    known_list);
			free(known_list);
			rc = -1;
		}
	}
	str_split_free(v);
	if (rc == 0 && !out->all && out->n == 0) {
		cli_error(c, "No listener given: name one or more listeners, or ALL.");
		rc = -1;
	}
	if (rc < 0)
		names_free(out);
	return rc;
}

/*
 * pick_domains - a comma list of destination queue names or ALL into
 * *out (lower case outside brackets); error printed
 */
static int
pick_domains(struct cli *c, const char *text, struct names *out)
{
	char **v;
	int n, rc = 0;

	memset(out, 0, sizeof(*out));
	v = str_split(text, ',', &n);
	for (int i = 0; i < n && rc == 0; i++) {
		char *t = str_trim(v[i]);

		if (*t == '\0')
			continue;
		if (strcasecmp(t, "ALL") == 0) {
			out->all = 1;
			continue;
		}
		if (t[0] != '[')
			str_lower(t);	/* [IPv6:...] keeps its tag as written */
		if (!qsel_host_ok(t)) {
			cli_error(c, "Invalid domain '%.100s': enter domains, [IP] or [HOST]:PORT "
				     "separated by commas, or ALL.", t);
			rc = -1;
		} else {
			names_add(out, t);
		}
	}
	str_split_free(v);
	if (rc == 0 && !out->all && out->n == 0) {
		cli_error(c, "No domain given: enter domains separated by commas, or ALL.");
		rc = -1;
	}
	if (rc < 0)
		names_free(out);
	return rc;
}

/* ---------------------------------------------------------- the change */

/* A change to one state row: what change_all applies. */
struct step {
	const struct names *choice;	/* the names chosen, or all */
	const struct names *listeners;	/* listeners: every one known; NULL: delivery */
};

/*
 * step_apply - inside the transaction: read the row, apply the choice,
 * write it back and add the request; *id gets the request's id; -1 after
 * one error line
 */
static int
step_apply(struct cli *c, struct queue *q, const char *cmd, int suspend, const struct step *st,
    int64_t *id)
{
	const struct names *choice = st->choice, *listeners = st->listeners;
	const char *key = listeners ? SUSPEND_LISTENERS : SUSPEND_DELIVERY;
	const char *verb = listeners ? (suspend ? "suspendlistener" : "resumelistener") :
				       (suspend ? "suspenddel" : "resumedel");
	struct names cur;
	char *row, *items, *arg, *cause = NULL;
	struct timespec now;
	int rc = -1;

	if (read_row(c, q, key, &cur) < 0)
		return -1;
	if (choice->all) {
		names_free(&cur);
		cur.all = suspend;
	} else if (suspend) {
		for (int i = 0; i < choice->n && !cur.all; i++)
			names_add(&cur, choice->v[i]);
	} else {
		if (cur.all && listeners == NULL) {
			cli_error(c, "Delivery is suspended for ALL domains: resume ALL, then suspend "
				     "the domains that stay suspended.");
			goto out;
		}
		if (cur.all) {
			/* every listener but those resumed stays suspended */
			cur.all = 0;
			for (int i = 0; i < listeners->n; i++)
				names_add(&cur, listeners->v[i]);
		}
		for (int i = 0; i < choice->n; i++) {
			if (names_find(&cur, choice->v[i]) < 0) {
				if (listeners)
					cli_error(c, "The listener %s is not suspended.", choice->v[i]);
				else
					cli_error(c, "Delivery is not suspended for %s.", choice->v[i]);
				goto out;
			}
			names_remove(&cur, choice->v[i]);
		}
	}
	row = names_join(&cur, ",");
	items = choice->all ? str_dup("ALL") : names_join(choice, ",");
	clock_gettime(CLOCK_REALTIME, &now);
	arg = str_printf("%s %s %lld %s", cmd, c->user[0] ? c->user : "unknown",
	    (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000, items);
	if (queue_state_set(q, key, row, &cause) < 0 ||
	    queue_request_add_id(q, verb, arg, id, &cause) < 0) {
		cli_error(c, "Cannot change the suspensions: %s", cause);
		free(cause);
	} else {
		rc = 0;
	}
	free(items);
	free(row);
	free(arg);
out:
	names_free(&cur);
	return rc;
}

/*
 * change_all - apply the steps in one transaction (BEGIN IMMEDIATE: two
 * operators at once do not lose each other's change) and, with mxgated
 * running, wait for it to take the last request (it takes them in order).
 * *applied: 1 taken, 0 mxgated not running. Error printed; nothing
 * changed when the transaction failed.
 */
static enum cmd_ret
change_all(struct cli *c, const char *cmd, int suspend, const struct step *steps, int nsteps,
    int *applied)
{
	struct queue *q;
	char *cause = NULL;
	int64_t id = 0;
	int r;

	*applied = 0;
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	if (queue_begin(q, 1, &cause) < 0) {
		cli_error(c, "Cannot change the suspensions: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	for (int i = 0; i < nsteps; i++)
		if (step_apply(c, q, cmd, suspend, &steps[i], &id) < 0) {
			queue_rollback(q);
			return CMD_ERROR;
		}
	if (queue_commit(q, &cause) < 0) {
		cli_error(c, "Cannot change the suspensions: %s", cause);
		free(cause);	/* queue_commit has rolled back */
		return CMD_ERROR;
	}
	r = cmd_wait_request(c, q, id, SUSPEND_APPLY_MS, SUSPEND_PENDING);
	if (r < 0)
		return CMD_ERROR;
	*applied = r == 0;
	return CMD_OK;
}

/* change - one row: suspenddel, resumedel, suspendlistener, resumelistener */
static enum cmd_ret
change(struct cli *c, const char *cmd, int suspend, const struct names *choice,
    const struct names *listeners, int *applied)
{
	struct step st = { choice, listeners };

	return change_all(c, cmd, suspend, &st, 1, applied);
}

/* report - what a change did, AsyncOS's words */
static void
report(struct cli *c, int listener, int suspend, const struct names *choice)
{
	const char *what = suspend ? "suspended" : "resumed";
	char *list;

	if (choice->all) {
		cli_printf(c, "%s %s.\n", listener ? "Receiving" : "Mail delivery", what);
		return;
	}
	list = names_join(choice, ", ");
	cli_printf(c, "%s %s for %s.\n", listener ? "Receiving" : "Mail delivery", what, list);
	free(list);
}

/* not_running - the change waits for mxgated */
static void
not_running(struct cli *c)
{
	cli_printf(c, "mxgated is not running: the state is saved and takes effect when mxgated "
		      "starts.\n");
}

/* ---------------------------------------------------------- commands */

/*
 * resumable - resume also takes names still in the row that are no
 * longer configured (a listener deleted while suspended): add them to
 * known; -1 after one error line
 */
static int
resumable(struct cli *c, struct names *known)
{
	struct queue *q;
	struct names cur;

	if ((q = cmd_queue(c)) == NULL || read_row(c, q, SUSPEND_LISTENERS, &cur) < 0)
		return -1;
	for (int i = 0; i < cur.n; i++)
		names_add(known, cur.v[i]);
	names_free(&cur);
	return 0;
}

enum cmd_ret
suspendcmd_listeners(struct cli *c, const char *cmd, int suspend, int argc, char **argv)
{
	struct names known, offer = { NULL, 0, 0 }, choice, cur;
	char *text;
	struct queue *q;
	enum cmd_ret r;
	int applied;

	if (listeners_committed(c, &known) < 0)
		return CMD_ERROR;
	if (!suspend && resumable(c, &known) < 0) {
		names_free(&known);
		return CMD_ERROR;
	}
	if (argc > 0) {
		text = join_args(argc, argv);
		r = pick_listeners(c, text, &known, NULL, &choice) < 0 ? CMD_ERROR : CMD_OK;
		free(text);
	} else {
		char ans[SUSPEND_LINE_MAX];

		/* resume offers the suspended listeners only */
		if ((q = cmd_queue(c)) == NULL || read_row(c, q, SUSPEND_LISTENERS, &cur) < 0) {
			names_free(&known);
			return CMD_ERROR;
		}
		for (int i = 0; i < known.n; i++)
			if (suspend || cur.all || names_find(&cur, known.v[i]) >= 0)
				names_add(&offer, known.v[i]);
		names_free(&cur);
		if (offer.n == 0) {
			cli_printf(c, suspend ? "No listener is configured (listenerconfig).\n" :
						"No listener is suspended.\n");
			names_free(&known);
			return CMD_OK;
		}
		cli_printf(c, "Choose the listener(s) you wish to %s.\nSeparate multiple entries "
			      "with commas.\n1. All\n", suspend ? "suspend" : "resume");
		for (int i = 0; i < offer.n; i++)
			cli_printf(c, "%d. %s\n", i + 2, offer.v[i]);
		switch (cli_ask(c, NULL, "1", ans, sizeof(ans))) {
		case ASK_OK:
			break;
		case ASK_BACK:
			names_free(&known);
			names_free(&offer);
			return CMD_OK;
		case ASK_ABORT:
			names_free(&known);
			names_free(&offer);
			return CMD_ABORTED;
		}
		r = pick_listeners(c, ans, &known, &offer, &choice) < 0 ? CMD_ERROR : CMD_OK;
		names_free(&offer);
	}
	if (r == CMD_OK) {
		r = change(c, cmd, suspend, &choice, &known, &applied);
		if (r == CMD_OK) {
			report(c, 1, suspend, &choice);
			if (!applied)
				not_running(c);
		}
		names_free(&choice);
	}
	names_free(&known);
	return r;
}

enum cmd_ret
suspendcmd_delivery(struct cli *c, const char *cmd, int suspend, int argc, char **argv)
{
	struct names choice, cur;
	char ans[SUSPEND_LINE_MAX];
	struct queue *q;
	enum cmd_ret r;
	int applied;

	if (argc > 0) {
		char *text = join_args(argc, argv);

		r = pick_domains(c, text, &choice) < 0 ? CMD_ERROR : CMD_OK;
		free(text);
	} else {
		if (!suspend) {
			if ((q = cmd_queue(c)) == NULL ||
			    read_row(c, q, SUSPEND_DELIVERY, &cur) < 0)
				return CMD_ERROR;
			if (!cur.all && cur.n == 0) {
				cli_printf(c, "Delivery is not suspended.\n");
				return CMD_OK;
			}
			if (cur.all) {
				cli_printf(c, "Delivery is suspended for ALL domains.\n");
			} else {
				cli_printf(c, "Currently suspended domains:\n");
				for (int i = 0; i < cur.n; i++)
					cli_printf(c, "%d. %s\n", i + 1, cur.v[i]);
			}
			names_free(&cur);
		}
		switch (cli_ask(c, suspend ? "Enter one or more domains [comma-separated] to which "
					     "you want to suspend delivery." :
					     "Enter one or more domains [comma-separated] to which "
					     "you want to resume delivery.",
		    "ALL", ans, sizeof(ans))) {
		case ASK_OK:
			break;
		case ASK_BACK:
			return CMD_OK;
		case ASK_ABORT:
			return CMD_ABORTED;
		}
		r = pick_domains(c, ans, &choice) < 0 ? CMD_ERROR : CMD_OK;
	}
	if (r != CMD_OK)
		return r;
	r = change(c, cmd, suspend, &choice, NULL, &applied);
	if (r == CMD_OK) {
		report(c, 0, suspend, &choice);
		if (!applied)
			not_running(c);
	}
	names_free(&choice);
	return r;
}

enum cmd_ret
suspendcmd_everything(struct cli *c, const char *cmd, int suspend)
{
	struct names known, all = { NULL, 0, 1 };
	struct step steps[2] = { { &all, &known }, { &all, NULL } };
	enum cmd_ret r;
	int applied = 0;

	if (listeners_committed(c, &known) < 0)
		return CMD_ERROR;
	/* both rows and both requests at once; the delivery request is the last */
	r = change_all(c, cmd, suspend, steps, 2, &applied);
	names_free(&known);
	if (r != CMD_OK)
		return r;
	report(c, 1, suspend, &all);
	report(c, 0, suspend, &all);
	if (!applied)
		not_running(c);
	return CMD_OK;
}

int
suspendcmd_held_delivery(struct queue *q, char **held, char **cause)
{
	int r = queue_state_read(q, SUSPEND_DELIVERY, held, cause);

	if (r == 1 && **held == '\0') {
		free(*held);
		*held = NULL;
		r = 0;
	}
	return r;
}

int
suspendcmd_held_has(const char *held, const char *dest)
{
	struct names s;
	int r;

	names_parse(held, &s);
	r = s.all || names_find(&s, dest) >= 0;
	names_free(&s);
	return r;
}

void
suspendcmd_status(struct cli *c, struct queue *q, int running, int paused)
{
	struct names known, ls, dl, held = { NULL, 0, 0 };
	char *row = NULL, *list, *cause = NULL;
	const char *head;
	int recv_all, bad = 0;

	if (listeners_committed(c, &known) < 0)
		memset(&known, 0, sizeof(known));
	if (queue_state_read(q, SUSPEND_LISTENERS, &row, &cause) < 0)
		bad = 1;
	names_parse(row, &ls);
	free(row);
	row = NULL;
	if (!bad && queue_state_read(q, SUSPEND_DELIVERY, &row, &cause) < 0)
		bad = 1;
	names_parse(row, &dl);
	free(row);
	/* the suspended listeners that exist, as listenerconfig spells them */
	for (int i = 0; i < known.n; i++)
		if (ls.all || names_find(&ls, known.v[i]) >= 0)
			names_add(&held, known.v[i]);
	recv_all = ls.all || (known.n > 0 && held.n == known.n);
	head = bad ? "Unknown (the suspensions cannot be read)" :
	    recv_all && dl.all ? "Receiving and delivery suspended" :
	    recv_all ? "Receiving suspended" : dl.all ? "Delivery suspended" : "Online";
	if (!running)
		cli_printf(c, "System status:                 Offline (mxgated is not running)\n");
	else
		cli_printf(c, "System status:                 %s%s\n", head,
		    paused ? " (work queue paused)" : "");
	if (bad) {
		cli_error(c, "Cannot read the suspensions: %s", cause);
		free(cause);
	}
	if (held.n > 0 || ls.all) {
		list = held.n ? names_join(&held, ", ") : str_dup("(none configured)");
		cli_printf(c, "  Receiving suspended for:     %s%s\n", ls.all ? "ALL: " : "", list);
		free(list);
	}
	if (dl.all || dl.n > 0) {
		list = dl.all ? str_dup("ALL") : names_join(&dl, ", ");
		cli_printf(c, "  Delivery suspended for:      %s\n", list);
		free(list);
	}
	names_free(&known);
	names_free(&ls);
	names_free(&dl);
	names_free(&held);
}
