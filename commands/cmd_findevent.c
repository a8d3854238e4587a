/*
 * cmd_findevent.c - `findevent`: the whole life of a message in a mail
 * log, and the messages whose envelope sender, recipient or Subject
 * matches a regular expression, as AsyncOS's findevent
 * (spec/asyncos-cli.md section 4).
 *
 *   findevent [-i] [-f from | -s subject | -t to] log_name
 *   findevent -m mid log_name
 *
 * The first form lists "MID n (timestamp) value", one line per message,
 * by MID; the second prints every line of the message (mail/findevent.h
 * says which). Both read every file of the log, rolled ones included.
 * Without arguments, the wizard: search type, expression or MID, log,
 * which files (all, picked by date, the current one), then a message to
 * show. Expressions are PCRE2 (-i caseless). The index that makes this
 * fast lives in the log's directory (mail/logindex.h) and is only a cache.
 *
 * DIAGNOSTICS: one error line and CMD_ERROR for bad arguments, an
 * unknown log or one that is not a mail log, a MID that is not a number,
 * a bad expression, or a file that cannot be read. Nothing found is not
 * an error: "No matching message IDs were found."
 */
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "mail/findevent.h"
#include "mail/logsub.h"
#include "util/lineread.h"
#include "util/logset.h"
#include "util/str.h"
#include "util/timefmt.h"

extern const struct cmd_entry cmd_findevent_entry;

#define NOTHING "No matching message IDs were found.\n"
#define MID_MAX 9007199254740991LL	/* 2^53 - 1: IDs beyond are not ours */

enum fe_kind { FE_FROM = 0, FE_MID, FE_SUBJECT, FE_TO };

struct fe_req {
	enum fe_kind kind;
	char value[4096];		/* the expression, or the MID as typed */
	long long mid;
	int caseless;			/* -i */
	char log[LOGSUB_NAME_MAX + 1];
	const char *pattern;		/* files: NULL current, "*" all */
	char **names;			/* or these (wizard, by date), NULL-terminated */
};

/* ---------------------------------------------------------- output */

/* print_line - one log line; NULs shown as '?' (output is C strings) */
static void
print_line(struct cli *c, char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0')
			s[i] = '?';
	cli_printf(c, "%.*s\n", (int)n, s);
}

/* ---------------------------------------------------------- arguments */

/* parse_mid - a MID as typed; 0, or -1 with the error printed */
static int
parse_mid(struct cli *c, const char *s, long long *mid)
{
	long v;

	if (str_to_long(s, 1, MID_MAX, &v) < 0) {
		cli_error(c, "Invalid MID '%.40s': a MID is a whole number from 1 up.", s);
		return -1;
	}
	*mid = v;
	return 0;
}

/*
 * parse - the batch forms. Options first (-i may be grouped, a value may
 * be attached: -m5); then the log name. 0, or -1 with the error printed.
 */
static int
parse(struct cli *c, int argc, char **argv, struct fe_req *r)
{
	int i = 0, nsearch = 0;
	char detail[128];

	for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		for (size_t k = 1; a[k]; k++) {
			char o = a[k];
			const char *v;

			if (o == 'i') {
				r->caseless = 1;
				continue;
			}
			if (o != 'f' && o != 's' && o != 't' && o != 'm') {
				str_fmt(detail, sizeof(detail), "findevent: unknown option -%c", o);
				cmd_usage_error(c, &cmd_findevent_entry, detail);
				return -1;
			}
			if (a[k + 1] != '\0') {
				v = a + k + 1;
			} else if (i + 1 < argc) {
				v = argv[++i];
			} else {
				str_fmt(detail, sizeof(detail), "findevent: option -%c needs a value", o);
				cmd_usage_error(c, &cmd_findevent_entry, detail);
				return -1;
			}
			if (++nsearch > 1) {
				cmd_usage_error(c, &cmd_findevent_entry,
				    "findevent: give only one of -f, -s, -t and -m");
				return -1;
			}
			r->kind = o == 'f' ? FE_FROM : o == 's' ? FE_SUBJECT : o == 't' ? FE_TO : FE_MID;
			if (str_copy(r->value, v, sizeof(r->value)) < 0) {
				cli_error(c, "The %s is too long (at most %zu characters).",
				    o == 'm' ? "MID" : "regular expression", sizeof(r->value) - 1);
				return -1;
			}
			break;
		}
	}
	if (nsearch == 0) {
		cmd_usage_error(c, &cmd_findevent_entry,
		    "findevent: give -f, -s or -t with an expression, or -m with a MID");
		return -1;
	}
	if (argc - i != 1) {
		cmd_usage_error(c, &cmd_findevent_entry, argc - i == 0 ?
		    "findevent: the log name is missing" : "findevent: too many arguments");
		return -1;
	}
	if (str_copy(r->log, argv[i], sizeof(r->log)) < 0) {
		cli_error(c, "Unknown log '%.60s': the name is too long.", argv[i]);
		return -1;
	}
	if (r->kind == FE_MID && parse_mid(c, r->value, &r->mid) < 0)
		return -1;
	r->pattern = "*";
	return 0;
}

/* resolve - the log's directory and prefix; it must be a mail log. 0, or -1 (error printed) */
static int
resolve(struct cli *c, const char *log, char *dir, size_t dsize, char *prefix, size_t psize)
{
	struct logsub *subs;
	char *cause = NULL;
	int n, k;

	if (logsub_resolve(c->st, log, dir, dsize, prefix, psize, &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return -1;
	}
	if (logsub_load(c->st, &subs, &n, &cause) < 0) {
		cli_error(c, "Cannot read the log subscriptions: %s", cause);
		free(cause);
		return -1;
	}
	k = logsub_find(subs, n, log);
	if (k >= 0 && subs[k].type != LOGSUB_MAIL) {
		cli_error(c, "Log '%.60s' is of type %s: findevent reads mail logs (type mail_logs).",
		    log, logsub_type_name(subs[k].type));
		free(subs);
		return -1;
	}
	free(subs);
	return 0;
}

/* ---------------------------------------------------------- running */

/* list_files - the request's files; 0, or -1 (error printed) */
static int
list_files(struct cli *c, const struct fe_req *r, const char *dir, const char *prefix,
    struct logset *set)
{
	char *cause = NULL;
	int k = 0;

	if (logset_list(dir, prefix, r->names ? "*" : r->pattern, set, &cause) < 0) {
		cli_error(c, "Cannot list the files of %s: %s", r->log, cause);
		free(cause);
		return -1;
	}
	if (r->names == NULL)
		return 0;
	/* keep the files picked by name, in the listing's (time) order */
	for (int i = 0; i < set->n; i++) {
		int keep = 0;

		for (char **nm = r->names; *nm; nm++)
			if (strcmp(*nm, set->f[i].name) == 0)
				keep = 1;
		if (keep) {
			set->f[k++] = set->f[i];
		} else {
			free(set->f[i].path);
			free(set->f[i].name);
		}
	}
	set->n = k;
	return 0;
}

/* open_log - the session over the request's files (listed again if a rollover raced us) */
static struct findevent *
open_log(struct cli *c, const struct fe_req *r, const char *dir, const char *prefix)
{
	struct findevent *fe = NULL;
	char *cause = NULL;

	for (int tries = 0; tries < 5; tries++) {
		struct logset set;
		int rc;

		if (list_files(c, r, dir, prefix, &set) < 0)
			return NULL;
		rc = findevent_open(dir, prefix, &set, 0, &fe, &cause);
		logset_free(&set);
		if (rc == 0)
			return fe;
		if (rc < 0) {
			cli_error(c, "Cannot search %s: %s", r->log, cause);
			free(cause);
			return NULL;
		}
	}
	cli_error(c, "Cannot search %s: its files keep changing; try again.", r->log);
	return NULL;
}

/* show_mid - print the message's lines */
static enum cmd_ret
show_mid(struct cli *c, struct findevent *fe, const char *log, long long mid)
{
	struct findevent_pos *pos;
	size_t n;
	char *cause = NULL, *buf;

	if (findevent_mid(fe, mid, &pos, &n, &cause) < 0) {
		cli_error(c, "Cannot search %s: %s", log, cause);
		free(cause);
		return CMD_ERROR;
	}
	if (n == 0)
		cli_printf(c, NOTHING);
	buf = xmalloc(LINEREAD_MAX + 1);
	for (size_t i = 0; i < n && !cli_interrupted(c) && !c->stopped; i++) {
		size_t len;

		if (findevent_line(fe, &pos[i], buf, LINEREAD_MAX + 1, &len) == 0)
			print_line(c, buf, len);
	}
	free(buf);
	free(pos);
	return CMD_OK;
}

/* val_kind - the values a search looks at */
static enum maillog_val
val_kind(enum fe_kind k)
{
	return k == FE_FROM ? MAILLOG_VAL_FROM : k == FE_TO ? MAILLOG_VAL_TO : MAILLOG_VAL_SUBJECT;
}

/* hit_text - "MID n (timestamp) value" (malloc'd) */
static char *
hit_text(const struct findevent_hit *h)
{
	char *s = str_printf("MID %lld (%s) %s", h->mid, h->when, h->value);

	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return s;
}

/*
 * run - a request. A search lists its messages; in the wizard (pick) one
 * is then chosen and shown.
 */
static enum cmd_ret
run(struct cli *c, const struct fe_req *r, int pick)
{
	char dir[4096], prefix[64], *cause = NULL;
	struct findevent *fe;
	struct findevent_re *re = NULL;
	struct findevent_hit *hits = NULL;
	size_t n = 0;
	enum cmd_ret ret = CMD_OK;

	if (resolve(c, r->log, dir, sizeof(dir), prefix, sizeof(prefix)) < 0)
		return CMD_ERROR;
	if (r->kind != FE_MID && (re = findevent_re_new(r->value, r->caseless, &cause)) == NULL) {
		cli_error(c, "%s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if ((fe = open_log(c, r, dir, prefix)) == NULL) {
		findevent_re_free(re);
		return CMD_ERROR;
	}
	if (r->kind == FE_MID) {
		ret = show_mid(c, fe, r->log, r->mid);
		findevent_close(fe);
		return ret;
	}
	if (findevent_search(fe, val_kind(r->kind), re, &hits, &n, &cause) < 0) {
		cli_error(c, "Cannot search %s: %s", r->log, cause);
		free(cause);
		ret = CMD_ERROR;
	} else if (n == 0) {
		cli_printf(c, NOTHING);
	} else if (!pick) {
		for (size_t i = 0; i < n && !cli_interrupted(c) && !c->stopped; i++) {
			char *s = hit_text(&hits[i]);

			cli_printf(c, "%s\n", s);
			free(s);
		}
	} else {
		char **items = xcalloc(n + 1, sizeof(*items));
		int k = 0;

		for (size_t i = 0; i < n; i++)
			items[i] = hit_text(&hits[i]);
		switch (cli_ask_list(c, "The following matching message IDs were found. Please "
					"choose one to show additional log information:",
		    (const char *const *)items, (int)n, 1, &k)) {
		case ASK_OK:
			ret = show_mid(c, fe, r->log, hits[k].mid);
			break;
		case ASK_BACK:
			break;
		case ASK_ABORT:
			ret = CMD_ABORTED;
			break;
		}
		for (size_t i = 0; i < n; i++)
			free(items[i]);
		free(items);
	}
	findevent_hits_free(hits, n);
	findevent_re_free(re);
	findevent_close(fe);
	return ret;
}

/* ---------------------------------------------------------- wizard */

/* pick_log - the mail logs, numbered; ASK_* */
static enum ask_ret
pick_log(struct cli *c, struct fe_req *r)
{
	struct logsub *subs;
	char ans[128], *cause = NULL;
	int n, m = 0, *map;
	enum ask_ret ret = ASK_ABORT;

	if (logsub_load(c->st, &subs, &n, &cause) < 0) {
		cli_error(c, "Cannot read the log subscriptions: %s", cause);
		free(cause);
		return ASK_ABORT;
	}
	map = xcalloc((size_t)n + 1, sizeof(*map));
	cli_printf(c, "\nCurrently configured logs:\n");
	for (int i = 0; i < n; i++)
		if (subs[i].type == LOGSUB_MAIL) {
			map[m++] = i;
			cli_printf(c, "%d. \"%s\" Type: \"%s\" Retrieval: Manual Download\n", m,
			    subs[i].name, logsub_type_label(subs[i].type));
		}
	for (int tries = 0; tries < 20; tries++) {
		long v;
		int k;

		ret = cli_ask(c, tries ? NULL :
		    "Enter the number of the log you wish to use for message tracking.", NULL, ans,
		    sizeof(ans));
		if (ret != ASK_OK)
			break;
		if (str_to_long(ans, 1, m, &v) == 0) {
			str_copy(r->log, subs[map[v - 1]].name, sizeof(r->log));
			break;
		}
		if ((k = logsub_find(subs, n, ans)) >= 0 && subs[k].type == LOGSUB_MAIL) {
			str_copy(r->log, subs[k].name, sizeof(r->log));
			break;
		}
		cli_error(c, "That value is not valid. Enter a number between 1 and %d.", m);
		ret = ASK_ABORT;
	}
	free(map);
	free(subs);
	return ret;
}

/* parse_picks - "1,3-5" within [1, n] into on[]; 0 or -1 */
static int
parse_picks(const char *s, int n, char *on)
{
	char **parts;
	int np, any = 0, rc = 0;

	parts = str_split(s, ',', &np);
	for (int i = 0; i < np && rc == 0; i++) {
		char *p = str_trim(parts[i]), *dash = strchr(p, '-');
		long a, b;

		if (dash) {
			*dash = '\0';
			if (str_to_long(str_trim(p), 1, n, &a) < 0 ||
			    str_to_long(str_trim(dash + 1), 1, n, &b) < 0 || a > b)
				rc = -1;
		} else if (str_to_long(p, 1, n, &a) < 0) {
			rc = -1;
		} else {
			b = a;
		}
		for (long k = a; rc == 0 && k <= b; k++)
			on[k - 1] = any = 1;
	}
	str_split_free(parts);
	return rc == 0 && any ? 0 : -1;
}

/* pick_files - "Search all / Select by date / Search current"; ASK_* */
static enum ask_ret
pick_files(struct cli *c, struct fe_req *r)
{
	static const char *const sets[] = {
		"Search all available log files",
		"Select log files by date list",
		"Search current log file",
	};
	char dir[4096], prefix[64], ans[1024], *cause = NULL, *on;
	struct logset set;
	int k, m = 0;
	enum ask_ret a;

	a = cli_ask_list(c, "Please choose which set of logs to search:", sets, 3, 3, &k);
	if (a != ASK_OK)
		return a;
	if (k == 0) {
		r->pattern = "*";
		return ASK_OK;
	}
	if (k == 2) {
		r->pattern = NULL;
		return ASK_OK;
	}
	if (resolve(c, r->log, dir, sizeof(dir), prefix, sizeof(prefix)) < 0)
		return ASK_ABORT;
	if (logset_list(dir, prefix, "*", &set, &cause) < 0) {
		cli_error(c, "Cannot list the files of %s: %s", r->log, cause);
		free(cause);
		return ASK_ABORT;
	}
	if (set.n == 0) {
		cli_printf(c, "\nThe log %s has no files yet.\n", r->log);
		logset_free(&set);
		return ASK_BACK;
	}
	cli_printf(c, "\nAvailable mail log files:\n");
	for (int i = 0; i < set.n; i++) {
		char when[64];

		if (set.f[i].current) {
			cli_printf(c, "%d. %s (current file)\n", i + 1, set.f[i].name);
		} else {
			timefmt_ctime(set.f[i].rolled, when, sizeof(when));
			cli_printf(c, "%d. %s (rolled over %s)\n", i + 1, set.f[i].name, when);
		}
	}
	on = xcalloc((size_t)set.n + 1, 1);
	for (int tries = 0; tries < 20; tries++) {
		a = cli_ask(c, tries ? NULL : "Enter the numbers of the files to search, separated "
					      "by commas (a range such as 2-4 is allowed).",
		    NULL, ans, sizeof(ans));
		if (a != ASK_OK)
			break;
		memset(on, 0, (size_t)set.n);
		if (parse_picks(ans, set.n, on) == 0)
			break;
		cli_error(c, "That value is not valid. Enter numbers between 1 and %d.", set.n);
		a = ASK_ABORT;
	}
	if (a == ASK_OK) {
		r->names = xcalloc((size_t)set.n + 1, sizeof(*r->names));
		for (int i = 0; i < set.n; i++)
			if (on[i])
				r->names[m++] = str_dup(set.f[i].name);
	}
	free(on);
	logset_free(&set);
	return a;
}

/* wizard - the interactive form, then the search */
static enum cmd_ret
wizard(struct cli *c, struct fe_req *r)
{
	static const char *const types[] = {
		"Search by envelope FROM",
		"Search by Message ID",
		"Search by Subject",
		"Search by envelope TO",
	};
	char *cause = NULL;
	struct findevent_re *re;
	enum ask_ret a;
	int k;

	a = cli_ask_list(c, "Please choose which type of search you want to perform:", types, 4, 1,
	    &k);
	if (a != ASK_OK)
		return a == ASK_BACK ? CMD_OK : CMD_ABORTED;
	r->kind = (enum fe_kind)k;
	for (int tries = 0;; tries++) {
		a = cli_ask(c, tries ? NULL : r->kind == FE_MID ?
		    "Enter the Message ID (MID) you want to find." :
		    "Enter the regular expression to search for.", NULL, r->value,
		    sizeof(r->value));
		if (a != ASK_OK)
			return a == ASK_BACK ? CMD_OK : CMD_ABORTED;
		/* checked now: a typo is asked again, not reported after three more questions */
		if (r->kind == FE_MID) {
			if (parse_mid(c, r->value, &r->mid) == 0)
				break;
		} else if ((re = findevent_re_new(r->value, 0, &cause)) != NULL) {
			findevent_re_free(re);
			break;
		} else {
			cli_error(c, "%s", cause);
			free(cause);
			cause = NULL;
		}
		if (tries >= 20)
			return CMD_ABORTED;
	}
	a = pick_log(c, r);
	if (a != ASK_OK)
		return a == ASK_BACK ? CMD_OK : CMD_ABORTED;
	a = pick_files(c, r);
	if (a != ASK_OK)
		return a == ASK_BACK ? CMD_OK : CMD_ABORTED;
	return run(c, r, 1);
}

static enum cmd_ret
findevent_exec(struct cli *c, int argc, char **argv)
{
	struct fe_req *r = xcalloc(1, sizeof(*r));
	enum cmd_ret ret;

	if (argc == 0)
		ret = wizard(c, r);
	else if (parse(c, argc, argv, r) < 0)
		ret = CMD_ERROR;
	else
		ret = run(c, r, 0);
	if (r->names) {
		for (char **nm = r->names; *nm; nm++)
			free(*nm);
		free(r->names);
	}
	free(r);
	return ret;
}

/* Completion and `?` help. */
static const struct cmd_word fe_logs[] = {
	{ "mail_logs", "the mail log (mxgated)", NULL },
	{ "<LOG>", "a mail log subscription name (logconfig)", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word fe_regex[] = {
	{ "<REGEX>", "a regular expression (PCRE2)", fe_logs },
	{ NULL, NULL, NULL },
};

static const struct cmd_word fe_mid[] = {
	{ "<MID>", "the message ID", fe_logs },
	{ NULL, NULL, NULL },
};

static const struct cmd_word fe_after_i[] = {
	{ "-f", "search the envelope sender (From:)", fe_regex },
	{ "-s", "search the Subject", fe_regex },
	{ "-t", "search the envelope recipients (To:)", fe_regex },
	{ NULL, NULL, NULL },
};

static const struct cmd_word fe_opts[] = {
	{ "-f", "search the envelope sender (From:)", fe_regex },
	{ "-i", "the expression ignores case", fe_after_i },
	{ "-m", "show every log line of one message", fe_mid },
	{ "-s", "search the Subject", fe_regex },
	{ "-t", "search the envelope recipients (To:)", fe_regex },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_findevent_entry = {
	.name = "findevent",
	.usage = "findevent [-i] [-f from | -s subject | -t to] log_name\n"
		 "findevent -m mid log_name",
	.help = "Find events in mail log files.",
	.words = fe_opts,
	.exec = findevent_exec,
};
