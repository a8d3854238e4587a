/*
 * cmd_adminaccessconfig.c - `adminaccessconfig`: how operators' shell
 * sessions are run (AsyncOS adminaccessconfig): the idle timeout, the
 * banner shown before the greeting, and how many SSH sessions may be
 * open at once.
 *
 *   adminaccessconfig                      the dialogue (BANNER, TIMEOUT, MAXSESSIONS)
 *   adminaccessconfig timeout [SECONDS|Nm|Nh]
 *   adminaccessconfig banner               the text follows, ended by a line holding "."
 *   adminaccessconfig banner text="..."    \n for a new line, \\ for a backslash
 *   adminaccessconfig banner clear
 *   adminaccessconfig maxsessions [N]
 *   adminaccessconfig print
 *
 * The settings are adminaccess.timeout (seconds, 0 = never, else 10 to
 * 86400), adminaccess.banner and adminaccess.max_sessions; like every
 * setting they are pending until commit. The banner is stored on one
 * line: a new line as the two characters \n, a backslash as \\ (the
 * shell turns them back when it prints the banner).
 *
 * DIAGNOSTICS: one error line per refusal; nothing is staged then.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "store/settings.h"
#include "util/buf.h"
#include "util/str.h"

extern const struct cmd_entry cmd_adminaccessconfig_entry;

#define S_TIMEOUT "adminaccess.timeout"
#define S_BANNER "adminaccess.banner"
#define S_MAXSESS "adminaccess.max_sessions"
#define BANNER_MAX 4000

/* stage - one setting; error printed */
static enum cmd_ret
stage(struct cli *c, const char *name, const char *value)
{
	char *cause = NULL;

	if (settings_stage(c->st, name, value, &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return CMD_ERROR;
	}
	return CMD_OK;
}

/* ---------------------------------------------------------- timeout */

/*
 * timeout_parse - "1800", "1800s", "30m", "2h" into seconds: 0 (never) or
 * 10 to 86400; 0, or -1 with *cause
 */
static int
timeout_parse(const char *s, long *out, char **cause)
{
	char num[32];
	size_t n = strlen(s);
	long mult = 1, v;

	if (n > 0 && n < sizeof(num) && strchr("smhSMH", s[n - 1])) {
		mult = tolower((unsigned char)s[n - 1]) == 'h' ? 3600 :
		    tolower((unsigned char)s[n - 1]) == 'm' ? 60 : 1;
		n--;
	}
	if (n == 0 || n >= sizeof(num))
		goto bad;
	memcpy(num, s, n);
	num[n] = '\0';
	if (!isdigit((unsigned char)num[0]) || str_to_long(num, 0, 86400, &v) < 0 ||
	    v * mult > 86400 || (v * mult > 0 && v * mult < 10))
		goto bad;
	*out = v * mult;
	return 0;
bad:
	*cause = str_printf("Invalid timeout '%.40s': give 0 (never) or 10 seconds to 24 hours, "
			    "as seconds or with m or h (30m).", s);
	return -1;
}

/* print_settings - the three settings as this session sees them */
static void
print_settings(struct cli *c)
{
	long t = settings_get_int(c->st, S_TIMEOUT);
	char *banner = settings_get(c->st, S_BANNER);

	if (t == 0)
		cli_printf(c, "%-30s never\n", "Idle timeout:");
	else if (t % 60 == 0)
		cli_printf(c, "%-30s %ld seconds (%ld minutes)\n", "Idle timeout:", t, t / 60);
	else
		cli_printf(c, "%-30s %ld seconds\n", "Idle timeout:", t);
	cli_printf(c, "%-30s %ld\n", "Maximum SSH sessions:", settings_get_int(c->st, S_MAXSESS));
	if (banner == NULL || *banner == '\0') {
		cli_printf(c, "%-30s none\n", "Banner:");
	} else {
		cli_printf(c, "Banner:\n");
		/* the stored form turned back into lines */
		cli_printf(c, "  ");
		for (const char *p = banner; *p; p++) {
			if (p[0] == '\\' && p[1] == 'n') {
				cli_printf(c, "\n  ");
				p++;
			} else if (p[0] == '\\' && p[1] == '\\') {
				cli_printf(c, "\\");
				p++;
			} else {
				cli_printf(c, "%c", *p);
			}
		}
		cli_printf(c, "\n");
	}
	free(banner);
}

static enum cmd_ret
do_timeout(struct cli *c, const char *value)
{
	char *cause = NULL, num[32];
	long v;

	if (timeout_parse(value, &v, &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return CMD_ERROR;
	}
	str_fmt(num, sizeof(num), "%ld", v);
	if (stage(c, S_TIMEOUT, num) != CMD_OK)
		return CMD_ERROR;
	if (v == 0)
		cli_printf(c, "Idle sessions will not time out (pending until commit).\n");
	else
		cli_printf(c, "Idle sessions will time out after %ld seconds (pending until "
			      "commit).\n", v);
	return CMD_OK;
}

/* ask_timeout - the timeout question; CMD_* */
static enum cmd_ret
ask_timeout(struct cli *c)
{
	char cur[32], ans[64];
	enum ask_ret a;

	long v;
	char *cause = NULL;

	str_fmt(cur, sizeof(cur), "%ld", settings_get_int(c->st, S_TIMEOUT));
	for (int tries = 0; tries < 3; tries++) {
		a = cli_ask(c, "Enter the idle timeout for CLI sessions in seconds (0: never; 30m "
			       "and 2h are accepted):", cur, ans, sizeof(ans));
		if (a == ASK_ABORT)
			return CMD_ABORTED;
		if (a == ASK_BACK)
			return CMD_OK;
		if (timeout_parse(ans, &v, &cause) == 0)
			return do_timeout(c, ans);
		cli_error(c, "%s", cause);
		free(cause);
		cause = NULL;
	}
	return CMD_ERROR;
}

/* ---------------------------------------------------------- maxsessions */

static enum cmd_ret
do_maxsessions(struct cli *c, const char *value)
{
	const struct setting_def *d = settings_find(S_MAXSESS);
	long v;

	if (d == NULL || !isdigit((unsigned char)*value) ||
	    str_to_long(value, d->min, d->max, &v) < 0) {
		cli_error(c, "Invalid number of sessions '%.40s': give a number from %ld to %ld.",
		    value, d ? d->min : 1, d ? d->max : 100);
		return CMD_ERROR;
	}
	if (stage(c, S_MAXSESS, value) != CMD_OK)
		return CMD_ERROR;
	cli_printf(c, "At most %ld SSH session%s may be open at once (pending until commit).\n", v,
	    v == 1 ? "" : "s");
	return CMD_OK;
}

static enum cmd_ret
ask_maxsessions(struct cli *c)
{
	const struct setting_def *d = settings_find(S_MAXSESS);
	char num[32];
	enum ask_ret a;
	long v;

	if (d == NULL) {
		cli_error(c, "The setting %s is missing.", S_MAXSESS);
		return CMD_ERROR;
	}
	a = cli_ask_number(c, "Enter the maximum number of SSH sessions open at once:",
	    settings_get_int(c->st, S_MAXSESS), d->min, d->max, &v);
	if (a == ASK_ABORT)
		return CMD_ABORTED;
	str_fmt(num, sizeof(num), "%ld", v);
	return do_maxsessions(c, num);
}

/* ---------------------------------------------------------- banner */

/* banner_text_ok - the stored form: every backslash starts \n or \\; 0 or -1 with *cause */
static int
banner_text_ok(const char *s, char **cause)
{
	for (const char *p = s; *p; p++) {
		if (*p == '\\') {
			if (p[1] != 'n' && p[1] != '\\') {
				*cause = str_dup("Invalid banner: a backslash starts \\n (a new line) "
						 "or \\\\ (a backslash).");
				return -1;
			}
			p++;
		} else if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			*cause = str_dup("Invalid banner: it cannot contain control characters.");
			return -1;
		}
	}
	if (strlen(s) > BANNER_MAX) {
		*cause = str_printf("The banner is too long (at most %d characters).", BANNER_MAX);
		return -1;
	}
	return 0;
}

static enum cmd_ret
do_banner(struct cli *c, const char *stored)
{
	char *cause = NULL;

	if (banner_text_ok(stored, &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (stage(c, S_BANNER, stored) != CMD_OK)
		return CMD_ERROR;
	cli_printf(c, *stored ? "Banner set (pending until commit).\n" :
				"Banner cleared (pending until commit).\n");
	return CMD_OK;
}

/*
 * read_banner - the banner's lines up to a line holding only ".", in the
 * stored form; CMD_OK, or CMD_ERROR / CMD_ABORTED (error printed)
 */
static enum cmd_ret
read_banner(struct cli *c)
{
	struct buf b;
	int intr = 0, lines = 0, bad = 0;
	enum cmd_ret r;

	cli_printf(c, "Enter the banner text. End it with a line holding only a period (.).\n");
	buf_init(&b, 0);
	buf_addstr(&b, "");
	for (;;) {
		char *line;

		if (c->eof) {
			buf_free(&b);
			return CMD_ABORTED;
		}
		c->nul_in_line = 0;
		line = c->io->readline(c->io_arg, "", &intr);
		if (line == NULL || intr || cli_interrupted(c)) {
			if (line == NULL && !intr)
				c->eof = 1;
			free(line);
			buf_free(&b);
			return CMD_ABORTED;
		}
		if (strcmp(line, ".") == 0) {
			free(line);
			break;
		}
		if (c->nul_in_line || cli_bad_char(line) >= 0)
			bad = 1;	/* read on to the "." all the same: never run as commands */
		if (lines++ > 0)
			buf_addstr(&b, "\\n");
		for (const char *p = line; *p; p++)
			if (*p == '\\')
				buf_addstr(&b, "\\\\");
			else
				buf_addch(&b, *p);
		free(line);
	}
	if (bad) {
		cli_error(c, "Invalid banner: it cannot contain control characters.");
		r = CMD_ERROR;
	} else {
		r = do_banner(c, b.data);
	}
	buf_free(&b);
	return r;
}

/* ---------------------------------------------------------- dialogue */

static enum cmd_ret
dialog(struct cli *c)
{
	static const struct cli_choice ops[] = {
		{ "BANNER", "Set the message shown before login sessions start." },
		{ "TIMEOUT", "Set the idle timeout of CLI sessions." },
		{ "MAXSESSIONS", "Set how many SSH sessions may be open at once." },
	};
	enum ask_ret a;
	enum cmd_ret r;
	int op, failed = 0;

	for (;;) {
		cli_printf(c, "\n");
		print_settings(c);
		a = cli_ask_menu(c, NULL, ops, 3, &op);
		if (a == ASK_ABORT)
			return CMD_ABORTED;
		if (a == ASK_BACK)
			return failed ? CMD_ERROR : CMD_OK;
		if (op == 0) {
			int clear = 0;
			char *cur = settings_get(c->st, S_BANNER);

			if (cur && *cur) {
				a = cli_ask_yesno(c, "Do you want to remove the banner?", 0, &clear);
				if (a == ASK_ABORT) {
					free(cur);
					return CMD_ABORTED;
				}
			}
			free(cur);
			r = clear ? do_banner(c, "") : read_banner(c);
		} else if (op == 1) {
			r = ask_timeout(c);
		} else {
			r = ask_maxsessions(c);
		}
		if (r == CMD_ABORTED)
			return r;
		if (r == CMD_ERROR)
			failed = 1;
	}
}

/* ---------------------------------------------------------- batch */

static enum cmd_ret
b_timeout(struct cli *c, const struct cmd_call *call)
{
	return call->argc == 0 ? ask_timeout(c) : do_timeout(c, call->argv[0]);
}

static enum cmd_ret
b_maxsessions(struct cli *c, const struct cmd_call *call)
{
	return call->argc == 0 ? ask_maxsessions(c) : do_maxsessions(c, call->argv[0]);
}

static enum cmd_ret
b_banner_read(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return read_banner(c);
}

static enum cmd_ret
b_banner_clear(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return do_banner(c, "");
}

/* banner_set - cmd_keyset.set of text=: checked by do_banner */
static int
banner_set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	(void)k;
	if (banner_text_ok(value, cause) < 0)
		return -1;
	*(char **)obj = str_dup(value);
	return 0;
}

static enum cmd_ret
b_banner_text(struct cli *c, const struct cmd_call *call)
{
	char *text = NULL;
	enum cmd_ret r = CMD_ERROR;

	if (cmd_keys_apply(c, call, &text, NULL) == 0 && text)
		r = do_banner(c, text);
	free(text);
	return r;
}

static enum cmd_ret
b_print(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	print_settings(c);
	return CMD_OK;
}

static const struct cmd_key banner_keys[] = {
	{ .name = "text", .type = CMD_KEY_TEXT,
	    .help = "the banner, quoted: \\n for a new line, \\\\ for a backslash" },
	{ .name = NULL },
};

static const struct cmd_keyset banner_set_keys = { .keys = banner_keys, .set = banner_set };

static const char *const text_required[] = { "text", NULL };

static const struct cmd_sub banner_subs[] = {
	{ .help = "Set the banner in one line.", .keys = &banner_set_keys,
	    .required = text_required, .needs = "give the banner's text",
	    .usage = "adminaccessconfig banner text=\"...\"", .exec = b_banner_text },
	{ .name = "clear", .help = "Remove the banner.", .usage = "adminaccessconfig banner clear",
	    .exec = b_banner_clear },
	{ .exec = NULL },
};

static const struct cmd_word seconds_word[] = {
	{ "<SECONDS>", "0 (never), or 10 to 86400 seconds; 30m and 2h are accepted", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word n_word[] = {
	{ "<N>", "SSH sessions open at once, 1 to 100", NULL },
	{ NULL, NULL, NULL },
};

#define USAGE(op) "adminaccessconfig " op
static const struct cmd_sub a_subs[] = {
	{ .name = "timeout", .help = "Set the idle timeout of CLI sessions.", .args = seconds_word,
	    .min_args = 0, .max_args = 1, .usage = USAGE("timeout [SECONDS|Nm|Nh]"),
	    .exec = b_timeout },
	{ .name = "banner", .help = "Set the banner: its lines follow, ended by \".\".",
	    .subs = banner_subs,
	    .usage = USAGE("banner\nadminaccessconfig banner text=\"...\"\n"
			   "adminaccessconfig banner clear"),
	    .exec = b_banner_read },
	{ .name = "maxsessions", .help = "Set how many SSH sessions may be open at once.",
	    .args = n_word, .min_args = 0, .max_args = 1, .usage = USAGE("maxsessions [N]"),
	    .exec = b_maxsessions },
	{ .name = "print", .help = "Print the settings.", .usage = USAGE("print"),
	    .exec = b_print },
	{ .exec = NULL },
};

static enum cmd_ret
adminaccessconfig_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return dialog(c);
	return cmd_keys_run(c, &cmd_adminaccessconfig_entry, argc, argv);
}

const struct cmd_entry cmd_adminaccessconfig_entry = {
	.name = "adminaccessconfig",
	.usage = "adminaccessconfig\n"
		 "adminaccessconfig timeout [SECONDS|Nm|Nh]\n"
		 "adminaccessconfig banner\n"
		 "adminaccessconfig banner text=\"...\"\n"
		 "adminaccessconfig banner clear\n"
		 "adminaccessconfig maxsessions [N]\n"
		 "adminaccessconfig print",
	.help = "Configure CLI sessions: idle timeout, login banner, maximum SSH sessions.",
	.flags = CMD_F_CONFIG,
	.subs = a_subs,
	.exec = adminaccessconfig_exec,
};
