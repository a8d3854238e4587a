/*
 * cmd_table.c - the list of commands, lookup by name or unique prefix, and
 * running one command line.
 *
 * Every line run (interactive or batch) goes to cli_logs first (and to
 * every other cli_logs-type log, logconfig), with the values of secret
 * keys masked (and the free words of userconfig and passwd, which may be
 * mistyped passwords), so the audit trail never holds a secret. Then the
 * session's role is checked (commands/roles.c): a line the role may not
 * run is refused in one line and nothing of it runs, but it is logged.
 *
 * DIAGNOSTICS: "Unknown command: 'x'. Type 'help' for a list of commands."
 * and "Ambiguous command: 'x' could be: a b" as one error line each.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "commands/roles.h"
#include "mail/logsub.h"
#include "store/settings.h"
#include "util/argv.h"
#include "util/buf.h"
#include "util/logfile.h"
#include "util/str.h"

extern const struct cmd_entry cmd_addresslistconfig_entry;
extern const struct cmd_entry cmd_adminaccessconfig_entry;
extern const struct cmd_entry cmd_alertconfig_entry;
extern const struct cmd_entry cmd_bouncerecipients_entry;
extern const struct cmd_entry cmd_certconfig_entry;
extern const struct cmd_entry cmd_clear_entry;
extern const struct cmd_entry cmd_cloudserviceconfig_entry;
extern const struct cmd_entry cmd_clustercheck_entry;
extern const struct cmd_entry cmd_clusterconfig_entry;
extern const struct cmd_entry cmd_clustermode_entry;
extern const struct cmd_entry cmd_commit_entry;
extern const struct cmd_entry cmd_commitdetail_entry;
extern const struct cmd_entry cmd_contentfilters_entry;
extern const struct cmd_entry cmd_deletequarantine_entry;
extern const struct cmd_entry cmd_deleterecipients_entry;
extern const struct cmd_entry cmd_deliveryconfig_entry;
extern const struct cmd_entry cmd_deliverynow_entry;
extern const struct cmd_entry cmd_destconfig_entry;
extern const struct cmd_entry cmd_dig_entry;
extern const struct cmd_entry cmd_displayalerts_entry;
extern const struct cmd_entry cmd_dnsconfig_entry;
extern const struct cmd_entry cmd_dnsflush_entry;
extern const struct cmd_entry cmd_filters_entry;
extern const struct cmd_entry cmd_findevent_entry;
extern const struct cmd_entry cmd_grep_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_hoststatus_entry;
extern const struct cmd_entry cmd_interfaceconfig_entry;
extern const struct cmd_entry cmd_last_entry;
extern const struct cmd_entry cmd_listenerconfig_entry;
extern const struct cmd_entry cmd_loadconfig_entry;
extern const struct cmd_entry cmd_logconfig_entry;
extern const struct cmd_entry cmd_passwd_entry;
extern const struct cmd_entry cmd_ping_entry;
extern const struct cmd_entry cmd_policyconfig_entry;
extern const struct cmd_entry cmd_quarantineconfig_entry;
extern const struct cmd_entry cmd_quit_entry;
extern const struct cmd_entry cmd_redirectrecipients_entry;
extern const struct cmd_entry cmd_releasequarantine_entry;
extern const struct cmd_entry cmd_remediate_entry;
extern const struct cmd_entry cmd_remediationconfig_entry;
extern const struct cmd_entry cmd_remediationreport_entry;
extern const struct cmd_entry cmd_resetconfig_entry;
extern const struct cmd_entry cmd_resetcounters_entry;
extern const struct cmd_entry cmd_resume_entry;
extern const struct cmd_entry cmd_resumedel_entry;
extern const struct cmd_entry cmd_resumelistener_entry;
extern const struct cmd_entry cmd_rollbackconfig_entry;
extern const struct cmd_entry cmd_rollovernow_entry;
extern const struct cmd_entry cmd_saveconfig_entry;
extern const struct cmd_entry cmd_sdradvancedconfig_entry;
extern const struct cmd_entry cmd_sdrconfig_entry;
extern const struct cmd_entry cmd_sdrdiagnostics_entry;
extern const struct cmd_entry cmd_sdrstatus_entry;
extern const struct cmd_entry cmd_sdrupdate_entry;
extern const struct cmd_entry cmd_sethostname_entry;
extern const struct cmd_entry cmd_showchanges_entry;
extern const struct cmd_entry cmd_showconfig_entry;
extern const struct cmd_entry cmd_showmessage_entry;
extern const struct cmd_entry cmd_showquarantine_entry;
extern const struct cmd_entry cmd_showrecipients_entry;
extern const struct cmd_entry cmd_smtproutes_entry;
extern const struct cmd_entry cmd_smtptest_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_supportconfig_entry;
extern const struct cmd_entry cmd_suspend_entry;
extern const struct cmd_entry cmd_suspenddel_entry;
extern const struct cmd_entry cmd_suspendlistener_entry;
extern const struct cmd_entry cmd_tail_entry;
extern const struct cmd_entry cmd_tdcconfig_entry;
extern const struct cmd_entry cmd_tdcstatus_entry;
extern const struct cmd_entry cmd_telnet_entry;
extern const struct cmd_entry cmd_tlsverify_entry;
extern const struct cmd_entry cmd_tophosts_entry;
extern const struct cmd_entry cmd_traceroute_entry;
extern const struct cmd_entry cmd_userconfig_entry;
extern const struct cmd_entry cmd_version_entry;
extern const struct cmd_entry cmd_who_entry;
extern const struct cmd_entry cmd_whoami_entry;
extern const struct cmd_entry cmd_workqueue_entry;

/* Alphabetical: help lists them in this order. */
const struct cmd_entry *const cmd_table[] = {
	&cmd_addresslistconfig_entry,
	&cmd_adminaccessconfig_entry,
	&cmd_alertconfig_entry,
	&cmd_bouncerecipients_entry,
	&cmd_certconfig_entry,
	&cmd_clear_entry,
	&cmd_cloudserviceconfig_entry,
	&cmd_clustercheck_entry,
	&cmd_clusterconfig_entry,
	&cmd_clustermode_entry,
	&cmd_commit_entry,
	&cmd_commitdetail_entry,
	&cmd_contentfilters_entry,
	&cmd_deletequarantine_entry,
	&cmd_deleterecipients_entry,
	&cmd_deliveryconfig_entry,
	&cmd_deliverynow_entry,
	&cmd_destconfig_entry,
	&cmd_dig_entry,
	&cmd_displayalerts_entry,
	&cmd_dnsconfig_entry,
	&cmd_dnsflush_entry,
	&cmd_filters_entry,
	&cmd_findevent_entry,
	&cmd_grep_entry,
	&cmd_help_entry,
	&cmd_hoststatus_entry,
	&cmd_interfaceconfig_entry,
	&cmd_last_entry,
	&cmd_listenerconfig_entry,
	&cmd_loadconfig_entry,
	&cmd_logconfig_entry,
	&cmd_passwd_entry,
	&cmd_ping_entry,
	&cmd_policyconfig_entry,
	&cmd_quarantineconfig_entry,
	&cmd_quit_entry,
	&cmd_redirectrecipients_entry,
	&cmd_releasequarantine_entry,
	&cmd_remediate_entry,
	&cmd_remediationconfig_entry,
	&cmd_remediationreport_entry,
	&cmd_resetconfig_entry,
	&cmd_resetcounters_entry,
	&cmd_resume_entry,
	&cmd_resumedel_entry,
	&cmd_resumelistener_entry,
	&cmd_rollbackconfig_entry,
	&cmd_rollovernow_entry,
	&cmd_saveconfig_entry,
	&cmd_sdradvancedconfig_entry,
	&cmd_sdrconfig_entry,
	&cmd_sdrdiagnostics_entry,
	&cmd_sdrstatus_entry,
	&cmd_sdrupdate_entry,
	&cmd_sethostname_entry,
	&cmd_showchanges_entry,
	&cmd_showconfig_entry,
	&cmd_showmessage_entry,
	&cmd_showquarantine_entry,
	&cmd_showrecipients_entry,
	&cmd_smtproutes_entry,
	&cmd_smtptest_entry,
	&cmd_status_entry,
	&cmd_supportconfig_entry,
	&cmd_suspend_entry,
	&cmd_suspenddel_entry,
	&cmd_suspendlistener_entry,
	&cmd_tail_entry,
	&cmd_tdcconfig_entry,
	&cmd_tdcstatus_entry,
	&cmd_telnet_entry,
	&cmd_tlsverify_entry,
	&cmd_tophosts_entry,
	&cmd_traceroute_entry,
	&cmd_userconfig_entry,
	&cmd_version_entry,
	&cmd_who_entry,
	&cmd_whoami_entry,
	&cmd_workqueue_entry,
	NULL,
};

const struct cmd_entry *
cmd_find(const char *name, int *ambiguous)
{
	const struct cmd_entry *found = NULL;
	int n = 0;

	if (ambiguous)
		*ambiguous = 0;
	for (int i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];

		if (strcasecmp(e->name, name) == 0 || (e->alias && strcasecmp(e->alias, name) == 0))
			return e;
	}
	for (int i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];

		if (e->flags & CMD_F_NOABBREV)
			continue;
		if (str_casecmp_prefix(name, e->name) ||
		    (e->alias && str_casecmp_prefix(name, e->alias))) {
			found = e;
			n++;
		}
	}
	if (n == 1)
		return found;
	if (ambiguous)
		*ambiguous = n;
	return NULL;
}

const char *
cmd_word_match(const struct cmd_word *list, const char *t)
{
	const char *found = NULL;
	int n = 0;

	if (*t == '\0')
		return NULL;
	for (const struct cmd_word *w = list; w && w->word; w++) {
		if (w->word[0] == '<' || strchr(w->word, '='))
			continue;
		if (strcasecmp(w->word, t) == 0)
			return w->word;
		if (str_casecmp_prefix(t, w->word)) {
			found = w->word;
			n++;
		}
	}
	return n == 1 ? found : NULL;
}

/* mask_blank - a byte that separates words (as util/argv.c split() sees it) */
static int
mask_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * What the secret-args rule (CMD_F_SECRET_ARGS) knows while cmd_mask_line
 * walks a line: the command, its sub-command, and what the next
 * positional word may be, as cmd_keys_run will resolve them.
 */
struct mask_walk {
	const struct cmd_entry *e;	/* the command when it has the flag, else NULL */
	const struct cmd_sub *sub;	/* its sub-command once resolved, or NULL */
	const struct cmd_word *pos;	/* what the next positional word may be, or NULL */
	int keep_name;			/* keep the next positional word (an unknown sub-command's account name) */
	int word;			/* index of the word being judged */
};

/*
 * mask_pos_word - the node of pos that word is: a literal it names exactly
 * or by unique prefix, else the "<NAME>" node that takes any value there
 */
static const struct cmd_word *
mask_pos_word(const struct cmd_word *pos, const char *word)
{
	const char *lit = cmd_word_match(pos, word);

	for (const struct cmd_word *w = pos; w && w->word; w++)
		if (lit ? w->word == lit : w->word[0] == '<')
			return w;
	return NULL;
}

/* mask_key_declared - is key (len bytes) one of the sub-command's keys? */
static int
mask_key_declared(const struct cmd_sub *sub, const char *key, size_t len)
{
	if (sub == NULL || sub->keys == NULL)
		return 0;
	for (const struct cmd_key *k = sub->keys->keys; k->name; k++)
		if (strlen(k->name) == len && strncasecmp(k->name, key, len) == 0)
			return 1;
	return 0;
}

/*
 * mask_keep - may this word of a CMD_F_SECRET_ARGS command be logged?
 * word is the word as split, has_eq and key (keylen bytes) its key=value
 * reading. Kept: the command, its sub-command, the account name after it,
 * a declared key (its value masked elsewhere when secret), a word its
 * position declares; anything else may be a mistyped secret.
 */
static int
mask_keep(struct mask_walk *w, const char *word, int has_eq, const char *key, size_t keylen)
{
	const struct cmd_word *node;

	if (w->e->subs && w->word == 1 && !has_eq) {
		w->sub = cmd_keys_find(w->e->subs, word);
		w->pos = w->sub ? w->sub->args : NULL;
		w->keep_name = w->sub == NULL;
		return 1;
	}
	if (has_eq && (w->sub == NULL || w->sub->keys != NULL))
		return mask_key_declared(w->sub, key, keylen);
	if (w->keep_name) {
		w->keep_name = 0;
		return 1;
	}
	if ((node = mask_pos_word(w->pos, word)) == NULL) {
		w->pos = NULL;
		return 0;
	}
	w->pos = node->next;
	return 1;
}

/*
 * cmd_mask_line walks each word with the tokenizer's own rules (quotes,
 * backslashes, blanks), so the key it judges is the key the command will
 * see: "password"=x, pass"word=x", password\=x and 'password=a b' are all
 * password=... once split. From a secret key's '=' to the end of the word
 * everything is replaced by the mask, and a quote open at the '=' is
 * closed again so the logged line still splits into the same words. For
 * a CMD_F_SECRET_ARGS command a word mask_keep does not keep is replaced
 * whole: `userconfig password al Secret` is logged as
 * `userconfig password al *****`.
 */
char *
cmd_mask_line(const char *line)
{
	struct buf b, key, word;
	struct mask_walk w = { 0 };
	const char *p = line;

	buf_init(&b, 0);
	buf_init(&key, 0);
	buf_init(&word, 0);
	for (w.word = 0; *p; ) {
		const char *start = p, *eq = NULL;
		char quote = 0, eq_quote = 0;
		int secret;

		if (mask_blank(*p)) {
			buf_addch(&b, *p++);
			continue;
		}
		buf_reset(&key);
		buf_reset(&word);
		for (; *p && (quote || !mask_blank(*p)); p++) {
			char c = *p;

			if (quote && c == quote) {
				quote = 0;
				continue;
			}
			if (!quote && (c == '"' || c == '\'')) {
				quote = c;
				continue;
			}
			if (c == '\\' && ((quote == '"' && (p[1] == '"' || p[1] == '\\')) ||
			    (!quote && p[1] != '\0')))
				c = *++p;
			buf_addch(&word, c);
			if (eq)
				continue;
			if (c == '=') {
				eq = p + 1;
				eq_quote = quote;
			} else {
				buf_addch(&key, c);
			}
		}
		buf_addch(&word, '\0');
		/* clusterconfig join's clusterkey= is the cluster's secret key */
		secret = eq && key.len > 0 && (settings_is_secret_word(key.data, key.len) ||
		    (key.len == 10 && strncasecmp(key.data, "clusterkey", 10) == 0));
		if (w.word == 0) {
			const struct cmd_entry *e = cmd_find(word.data, NULL);

			w.e = e && (e->flags & CMD_F_SECRET_ARGS) ? e : NULL;
			if (w.e && w.e->subs == NULL)
				w.pos = w.e->words;
		}
		if (secret) {
			buf_add(&b, start, (size_t)(eq - start));
			buf_addstr(&b, SETTINGS_MASK);
			if (eq_quote)
				buf_addch(&b, eq_quote);
		} else if (w.word > 0 && w.e &&
		    !mask_keep(&w, word.data, eq != NULL, key.data ? key.data : "", key.len)) {
			buf_addstr(&b, SETTINGS_MASK);
		} else {
			buf_add(&b, start, (size_t)(p - start));
		}
		w.word++;
	}
	buf_free(&word);
	buf_free(&key);
	return buf_steal(&b);
}

/* log_first_word - "/bin/sh ..." of an unknown command line: its first word (64 bytes at most) */
static char *
log_first_word(const char *line)
{
	size_t n;

	line += strspn(line, " \t");
	n = strcspn(line, " \t");
	return str_printf("%.*s%s%s", (int)(n > 64 ? 64 : n), line, n > 64 ? "..." : "",
	    line[n + strspn(line + n, " \t")] != '\0' ? " ..." : "");
}

/*
 * log_line - record the command line in every cli_logs-type log (AsyncOS
 * cli_logs shape), with the session and where it came from:
 * "...entered 'x'; session 7 from 127.0.0.1 port 52390", or "; from
 * console" for a run without a sessions row. A line whose first word
 * names no command (known 0) read at the prompt or from standard input is
 * not recorded, only its length: it is most often an answer that reached
 * the command prompt, a password typed too early or the rest of a
 * script's dialogue that gave up, and the audit trail must never hold a
 * secret. A line given with -c (c->line_from_args: over SSH, the
 * command the client asked for) is no answer: its first word is recorded,
 * "entered '/bin/sh ...' (unknown command)", so that an attempt to reach
 * a system shell, scp or sftp leaves a trace.
 */
static void
log_line(struct cli *c, const char *line, int known)
{
	char *masked, where[160];
	const char *origin = c->origin[0] ? c->origin : "console", *what = "";

	if (c->clilog == NULL && c->clilogs == NULL)
		return;
	if (known) {
		masked = cmd_mask_line(line);
	} else if (c->line_from_args) {
		masked = log_first_word(line);
		what = " (unknown command)";
	} else {
		masked = str_printf("(an unknown command of %zu characters, not recorded)",
		    strlen(line));
	}
	if (c->session > 0)
		str_fmt(where, sizeof(where), "session %lld from %.100s", (long long)c->session,
		    origin);
	else
		str_fmt(where, sizeof(where), "from %.100s", origin);
	if (c->clilogs)
		logsub_out_write(c->clilogs, LOGFILE_INFO, "PID %ld: User %s entered '%.2000s'%s; %s",
		    (long)getpid(), c->user, masked, what, where);
	else
		logfile_write(c->clilog, LOGFILE_INFO, "PID %ld: User %s entered '%.2000s'%s; %s",
		    (long)getpid(), c->user, masked, what, where);
	free(masked);
}

/* first_word_known - does the line's first blank-separated word name a command? */
static int
first_word_known(const char *line)
{
	char word[64];
	size_t n;
	int amb;

	line += strspn(line, " \t");
	n = strcspn(line, " \t");
	if (n == 0 || n >= sizeof(word))
		return 0;
	memcpy(word, line, n);
	word[n] = '\0';
	return cmd_find(word, &amb) != NULL;
}

enum cmd_ret
cmd_usage_error(struct cli *c, const struct cmd_entry *e, const char *detail)
{
	char *usage = str_dup(e->usage);

	for (char *p = usage; *p; p++)
		if (*p == '\n')
			*p = ';';
	if (detail)
		cli_error(c, "Invalid arguments when processing: %s. Usage: %s", detail, usage);
	else
		cli_error(c, "Invalid arguments when processing: %s. Usage: %s", e->name, usage);
	free(usage);
	return CMD_ERROR;
}

enum cmd_ret
cmd_run_line(struct cli *c, const char *line)
{
	struct argv a;
	char *cause = NULL;
	const struct cmd_entry *e;
	enum cmd_ret r;
	int amb, bad;

	c->stopped = 0;
	/* what follows a NUL would be lost: run none of it (issue 9) */
	if (c->nul_in_line) {
		c->nul_in_line = 0;
		cli_error(c, "The line contains a NUL byte; nothing was done.");
		return CMD_ERROR;
	}
	/* a comment is skipped before tokenizing: its text may hold a lone quote */
	if (line[strspn(line, " \t")] == '#')
		return CMD_OK;
	if ((bad = cli_bad_char(line)) >= 0) {
		cli_error(c, "The line contains a control character (\\%03o); nothing was done.",
		    bad);
		return CMD_ERROR;
	}
	if (argv_split(line, &a, &cause) < 0) {
		log_line(c, line, first_word_known(line));
		cli_error(c, "%s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (a.argc == 0 || a.argv[0][0] == '#') {
		argv_free(&a);
		return CMD_OK;
	}
	e = cmd_find(a.argv[0], &amb);
	log_line(c, line, e != NULL);
	if (e == NULL) {
		if (amb > 1) {
			struct buf b;

			buf_init(&b, 0);
			for (int i = 0; cmd_table[i]; i++)
				if (!(cmd_table[i]->flags & CMD_F_NOABBREV) &&
				    str_casecmp_prefix(a.argv[0], cmd_table[i]->name))
					buf_printf(&b, " %s", cmd_table[i]->name);
			cli_error(c, "Ambiguous command: '%.100s' could be:%s", a.argv[0], b.data);
			buf_free(&b);
		} else {
			cli_error(c, "Unknown command: '%.100s'. Type 'help' for a list of commands.",
			    a.argv[0]);
		}
		argv_free(&a);
		return CMD_ERROR;
	}
	/* logged above: the audit trail shows refused attempts too */
	if (role_check((enum user_role)c->role, e, a.argc - 1, a.argv + 1, &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		argv_free(&a);
		return CMD_ERROR;
	}
	r = e->exec(c, a.argc - 1, a.argv + 1);
	if (r == CMD_ABORTED)
		cli_error(c, "-- Changes not recorded");
	argv_free(&a);
	return r;
}
