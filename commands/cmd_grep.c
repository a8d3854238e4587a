/*
 * cmd_grep.c - `grep`: the lines of a log that match a regular
 * expression, as AsyncOS's grep (spec/asyncos-cli.md section 3).
 *
 *   grep [-C count] [-c] [-e regex] [-f file_pattern] [-i] [-p] [-t] [regex] log_name
 *
 * Without arguments it asks, in AsyncOS's order: the log (numbered list),
 * the expression, case-insensitive [Y], tail [N], paginate [N], and the
 * file selection pattern [*].
 *
 * The log is a subscription (mail/logsub.h); its files come from
 * util/logset.h, oldest first: by default every file of the log (as the
 * dialogue's default pattern "*": a search just after a rollover must not
 * come back empty), with -f those whose name matches the glob
 * (-f mail.current: the current file only). The current file is opened
 * before the first is read, so a rollover during the search loses
 * nothing. The search is util/linegrep.c; context (-C) stays within one
 * file.
 * With -t the current file is followed afterwards (across rollovers) until
 * Ctrl-C, or, in batch mode, until the input stream has a line or ends
 * (cli_wait), so a script never waits forever.
 * Files are opened relative to the log's directory, never through a
 * symbolic link and only if regular (util/fsutil.h): a link planted in a
 * log directory does not make a root shell print what it points to.
 *
 * DIAGNOSTICS: one error line and CMD_ERROR for an unknown log, a bad
 * expression, a bad -C count, bad arguments, a file pattern that selects
 * nothing, or a file that cannot be read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands/cmd.h"
#include "mail/logsub.h"
#include "util/fsutil.h"
#include "util/linegrep.h"
#include "util/logset.h"
#include "util/str.h"

extern const struct cmd_entry cmd_grep_entry;

#define GREP_CONTEXT_MAX 1000	/* -C at most */
#define GREP_FOLLOW_MS 250	/* -t: how often the current file is looked at */
#define GREP_ROLL_QUIET_MS 2000	/* -t: a rolled file is done once quiet this long */
#define GREP_OUT_SIZE 65536	/* output is handed to the shell in chunks this big */

struct grep_req {
	char regex[4096];	/* the expression */
	char log[LOGSUB_NAME_MAX + 1];	/* subscription name */
	char files[1024];	/* -f glob */
	int has_files;		/* -f given */
	int context;		/* -C */
	int count;		/* -c */
	int caseless;		/* -i */
	int paginate;		/* -p */
	int tail;		/* -t */
};

/* Output: whole lines collected into chunks for cli_printf. */
struct grep_out {
	struct cli *c;
	size_t n;
	char buf[GREP_OUT_SIZE];
};

/* out_flush - hand the collected lines to the shell */
static void
out_flush(struct grep_out *o)
{
	if (o->n > 0) {
		cli_printf(o->c, "%.*s", (int)o->n, o->buf);
		o->n = 0;
	}
}

/* out_add - append bytes, NULs shown as '?' (cli_printf works on C strings) */
static void
out_add(struct grep_out *o, const char *s, size_t len)
{
	while (len > 0) {
		size_t k = sizeof(o->buf) - o->n;

		if (k == 0) {
			out_flush(o);
			continue;
		}
		if (k > len)
			k = len;
		memcpy(o->buf + o->n, s, k);
		if (memchr(o->buf + o->n, '\0', k) != NULL)
			for (size_t i = o->n; i < o->n + k; i++)
				if (o->buf[i] == '\0')
					o->buf[i] = '?';
		o->n += k;
		s += k;
		len -= k;
	}
}

/* out_line - linegrep_emit: one line of output */
static int
out_line(void *arg, enum linegrep_kind kind, const char *line, size_t len)
{
	struct grep_out *o = arg;

	(void)kind;	/* matches, context and "--" all print as they are */
	if (cli_interrupted(o->c) || o->c->stopped)
		return -1;
	out_add(o, line, len);
	out_add(o, "\n", 1);
	return 0;
}

/* ---------------------------------------------------------- arguments */

/* set_context - -C's value; 0, or -1 with the error printed */
static int
set_context(struct cli *c, struct grep_req *r, const char *v)
{
	long n;

	if (str_to_long(v, 0, GREP_CONTEXT_MAX, &n) < 0) {
		cli_error(c, "Invalid context line count '%.40s': enter a number from 0 to %d.", v,
		    GREP_CONTEXT_MAX);
		return -1;
	}
	r->context = (int)n;
	return 0;
}

/* set_str - copy an argument, refusing one too long; 0 or -1 (error printed) */
static int
set_str(struct cli *c, char *dst, size_t size, const char *v, const char *what)
{
	if (str_copy(dst, v, size) < 0) {
		cli_error(c, "The %s is too long (at most %zu characters).", what, size - 1);
		return -1;
	}
	return 0;
}

/*
 * parse - the batch form. Options come first (they may be grouped, -ic,
 * and a value may be attached, -C3); "--" ends them; then [regex]
 * log_name. 0, or -1 with the error printed.
 */
static int
parse(struct cli *c, int argc, char **argv, struct grep_req *r)
{
	int i = 0, has_e = 0, npos;
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

			switch (o) {
			case 'c':
				r->count = 1;
				continue;
			case 'i':
				r->caseless = 1;
				continue;
			case 'p':
				r->paginate = 1;
				continue;
			case 't':
				r->tail = 1;
				continue;
			case 'C':
			case 'e':
			case 'f':
				break;
			default:
				str_fmt(detail, sizeof(detail), "grep: unknown option -%c", o);
				cmd_usage_error(c, &cmd_grep_entry, detail);
				return -1;
			}
			/* an option with a value: the rest of this word, or the next word */
			if (a[k + 1] != '\0') {
				v = a + k + 1;
			} else if (i + 1 < argc) {
				v = argv[++i];
			} else {
				str_fmt(detail, sizeof(detail), "grep: option -%c needs a value", o);
				cmd_usage_error(c, &cmd_grep_entry, detail);
				return -1;
			}
			if (o == 'C' && set_context(c, r, v) < 0)
				return -1;
			if (o == 'e') {
				if (set_str(c, r->regex, sizeof(r->regex), v, "regular expression") < 0)
					return -1;
				has_e = 1;
			}
			if (o == 'f') {
				if (set_str(c, r->files, sizeof(r->files), v, "file pattern") < 0)
					return -1;
				r->has_files = 1;
			}
			break;
		}
	}
	npos = argc - i;
	if (npos == 0 || (npos == 1 && !has_e)) {
		cmd_usage_error(c, &cmd_grep_entry,
		    npos == 0 ? "grep: the log name is missing" :
				"grep: the regular expression or the log name is missing");
		return -1;
	}
	if (npos > (has_e ? 1 : 2)) {
		cmd_usage_error(c, &cmd_grep_entry, "grep: too many arguments");
		return -1;
	}
	if (!has_e && set_str(c, r->regex, sizeof(r->regex), argv[i++], "regular expression") < 0)
		return -1;
	return set_str(c, r->log, sizeof(r->log), argv[i], "log name");
}

/* ---------------------------------------------------------- dialogue */

/* pick_log - "Currently configured logs:" and a number; ASK_* */
static enum ask_ret
pick_log(struct cli *c, struct grep_req *r)
{
	struct logsub *subs;
	char ans[128], *cause = NULL;
	int n;
	enum ask_ret ret = ASK_ABORT;

	if (logsub_load(c->st, &subs, &n, &cause) < 0) {
		cli_error(c, "Cannot read the log subscriptions: %s", cause);
		free(cause);
		return ASK_ABORT;
	}
	cli_printf(c, "\nCurrently configured logs:\n");
	for (int i = 0; i < n; i++)
		cli_printf(c, "%d. \"%s\" Type: \"%s\" Retrieval: Manual Download\n", i + 1,
		    subs[i].name, logsub_type_label(subs[i].type));
	for (int tries = 0; tries < 20; tries++) {
		long v;
		int k;

		ret = cli_ask(c, tries ? NULL : "Enter the number of the log you wish to grep.", NULL,
		    ans, sizeof(ans));
		if (ret != ASK_OK)
			break;
		if (str_to_long(ans, 1, n, &v) == 0) {
			str_copy(r->log, subs[v - 1].name, sizeof(r->log));
			break;
		}
		if ((k = logsub_find(subs, n, ans)) >= 0) {
			str_copy(r->log, subs[k].name, sizeof(r->log));
			break;
		}
		cli_error(c, "That value is not valid. Enter a number between 1 and %d.", n);
		ret = ASK_ABORT;
	}
	free(subs);
	return ret;
}

/* dialogue - the interactive form; CMD_OK with r filled, or why not (*done set) */
static enum cmd_ret
dialogue(struct cli *c, struct grep_req *r, int *done)
{
	enum ask_ret a;
	struct linegrep *g;
	char *cause = NULL, dir[4096], prefix[64], q[256];

	*done = 1;
	a = pick_log(c, r);
	if (a != ASK_OK)
		return a == ASK_BACK ? CMD_OK : CMD_ABORTED;
	for (int tries = 0;; tries++) {
		a = cli_ask(c, tries ? NULL : "Enter the regular expression to grep.", NULL, r->regex,
		    sizeof(r->regex));
		if (a != ASK_OK)
			return a == ASK_BACK ? CMD_OK : CMD_ABORTED;
		/* checked now, so that a typo is asked again rather than after three more questions */
		if ((g = linegrep_compile(r->regex, 0, &cause)) != NULL) {
			linegrep_free(g);
			break;
		}
		cli_error(c, "%s", cause);
		free(cause);
		cause = NULL;
		if (tries >= 20)
			return CMD_ABORTED;
	}
	if (cli_ask_yesno(c, "Do you want this search to be case insensitive?", 1, &r->caseless) !=
	    ASK_OK)
		return CMD_ABORTED;
	if (cli_ask_yesno(c, "Do you want to tail the logs?", 0, &r->tail) != ASK_OK)
		return CMD_ABORTED;
	if (cli_ask_yesno(c, "Do you want to paginate the output?", 0, &r->paginate) != ASK_OK)
		return CMD_ABORTED;
	if (logsub_resolve(c->st, r->log, dir, sizeof(dir), prefix, sizeof(prefix), &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return CMD_ERROR;
	}
	str_fmt(q, sizeof(q), "Enter the file selection pattern: the log's files are %s.current "
			      "and the rolled %s.@YYYYMMDDTHHMMSS.s; '*' searches them all.",
	    prefix, prefix);
	a = cli_ask(c, q, "*", r->files, sizeof(r->files));
	if (a == ASK_ABORT)
		return CMD_ABORTED;
	r->has_files = 1;
	*done = 0;
	return CMD_OK;
}

/* ---------------------------------------------------------- search */

/* scan_fail - the one error line of a failed scan */
static enum cmd_ret
scan_fail(struct cli *c, const char *name, char *cause)
{
	cli_error(c, "Cannot search %s: %s", name, cause);
	free(cause);
	return CMD_ERROR;
}

/* now_ms - a monotonic clock in milliseconds */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * follow - -t: read what the current file gains until cli_wait says stop.
 * fd is the current file already read to its end, or -1. After a
 * rollover (the file renamed, a new one created) the old file is read
 * until it has been quiet for GREP_ROLL_QUIET_MS, since mxgated notices
 * a rollover done by another process only within a second and may still
 * add a line to it; then the new file is read from its start. A file
 * truncated in place is read again from its start.
 */
static enum cmd_ret
follow(struct cli *c, struct linegrep_scan *s, struct grep_out *o, const char *dir,
    const char *name, int fd)
{
	char *cause = NULL, *path = str_printf("%s/%s", dir, name);
	long long quiet = 0;	/* rolled over: when the old file last grew */
	int r, dirfd = fs_open_dir(dir, 0);
	enum cmd_ret ret = CMD_OK;

	if (fd < 0 && dirfd >= 0 &&
	    (fd = fs_openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0)) >= 0)
		lseek(fd, 0, SEEK_END);	/* not searched: only what comes from now on */
	for (;;) {
		struct stat now, held;
		off_t before;

		out_flush(o);
		if (c->stopped || cli_wait(c, GREP_FOLLOW_MS))
			break;
		if (fd < 0) {
			if (dirfd < 0 && (dirfd = fs_open_dir(dir, 0)) < 0)
				continue;	/* the log has no directory yet */
			fd = fs_openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
			if (fd < 0)
				continue;	/* the log has no file yet */
		}
		before = lseek(fd, 0, SEEK_CUR);
		if ((r = linegrep_scan_fd(s, fd, &cause)) != 0)
			break;
		if (quiet) {
			if (lseek(fd, 0, SEEK_CUR) != before)
				quiet = now_ms();
			else if (now_ms() - quiet >= GREP_ROLL_QUIET_MS) {
				/* the old file is done: its last line counts; the new one from its start */
				if ((r = linegrep_scan_end(s, &cause)) != 0)
					break;
				close(fd);
				fd = -1;
				quiet = 0;
			}
			continue;
		}
		if (fstat(fd, &held) < 0)
			break;
		if (fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0 || now.st_ino != held.st_ino ||
		    now.st_dev != held.st_dev) {
			quiet = now_ms();	/* rolled over */
		} else if (now.st_size < lseek(fd, 0, SEEK_CUR)) {
			if ((r = linegrep_scan_end(s, &cause)) != 0)
				break;
			lseek(fd, 0, SEEK_SET);
		}
	}
	if (fd >= 0)
		close(fd);
	if (dirfd >= 0)
		close(dirfd);
	out_flush(o);
	if (cause)
		ret = scan_fail(c, path, cause);
	free(path);
	return ret;
}

/* open_log - open file i of the log; -1 if it is gone, or with the error printed and *ret set */
static int
open_log(struct cli *c, const struct logset *set, int i, enum cmd_ret *ret)
{
	int fd = fs_openat(set->dirfd, set->f[i].name, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);

	if (fd < 0 && errno != ENOENT) {
		cli_error(c, "Cannot read %s: %s", set->f[i].path, fs_strerror(errno));
		*ret = CMD_ERROR;
	}
	if (fd >= 0)
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return fd;
}

/* has_files - does the log have any file yet? (a pattern selecting none of none is no error) */
static int
has_files(const char *dir, const char *prefix)
{
	struct logset all;
	char *cause = NULL;
	int n;

	if (logset_list(dir, prefix, "*", &all, &cause) < 0) {
		free(cause);
		return 1;
	}
	n = all.n;
	logset_free(&all);
	return n > 0;
}

/* search - run a request */
static enum cmd_ret
search(struct cli *c, const struct grep_req *r)
{
	char dir[4096], prefix[64], *cause = NULL, *curname;
	struct logset set;
	struct linegrep *g;
	struct linegrep_scan *s;
	struct linegrep_opts lo = { 0 };
	struct grep_out *o;
	int *fds, curfd = -1, stopped = 0;
	enum cmd_ret ret = CMD_OK;

	if (logsub_resolve(c->st, r->log, dir, sizeof(dir), prefix, sizeof(prefix), &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if ((g = linegrep_compile(r->regex, r->caseless ? LINEGREP_CASELESS : 0, &cause)) == NULL) {
		cli_error(c, "%s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (logset_list(dir, prefix, r->has_files ? r->files : "*", &set, &cause) < 0) {
		cli_error(c, "Cannot list the files of %s: %s", r->log, cause);
		free(cause);
		linegrep_free(g);
		return CMD_ERROR;
	}
	if (r->has_files && set.n == 0 && strcmp(r->files, "*") != 0 && has_files(dir, prefix)) {
		cli_error(c, "No file of %s matches '%.100s': its files are %s.current and "
			     "%s.@YYYYMMDDTHHMMSS.s.", r->log, r->files, prefix, prefix);
		logset_free(&set);
		linegrep_free(g);
		return CMD_ERROR;
	}
	/*
	 * The current file is opened first: if it is rolled over during the
	 * search, its lines are still read, from the renamed file. Rolled
	 * files are never renamed (only pruned), so they open when reached.
	 */
	fds = xcalloc((size_t)set.n + 1, sizeof(*fds));
	for (int i = 0; i < set.n; i++)
		fds[i] = set.f[i].current ? open_log(c, &set, i, &ret) : -2;
	o = xmalloc(sizeof(*o));
	o->c = c;
	o->n = 0;
	lo.context = r->context;
	lo.emit = r->count ? NULL : out_line;
	lo.arg = o;
	lo.stop = c->intr;
	s = linegrep_scan_new(g, &lo);
	for (int i = 0; i < set.n && ret == CMD_OK && !stopped; i++) {
		int rc;

		if (fds[i] == -2)
			fds[i] = open_log(c, &set, i, &ret);
		if (fds[i] < 0)
			continue;	/* rolled away or pruned since it was listed */
		rc = linegrep_scan_fd(s, fds[i], &cause);
		/* the current file stays open and unfinished when it is to be followed */
		if (rc == 0 && !(r->tail && set.f[i].current))
			rc = linegrep_scan_end(s, &cause);
		if (rc < 0)
			ret = scan_fail(c, set.f[i].name, cause);
		else if (rc > 0)
			stopped = 1;
		if (r->tail && set.f[i].current && rc == 0)
			curfd = fds[i];
		else
			close(fds[i]);
		fds[i] = -1;
	}
	for (int i = 0; i < set.n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	out_flush(o);
	if (ret == CMD_OK && r->tail && !stopped && !cli_interrupted(c)) {
		curname = str_printf("%s.current", prefix);
		ret = follow(c, s, o, dir, curname, curfd);
		curfd = -1;
		free(curname);
	}
	if (curfd >= 0)
		close(curfd);
	if (c->interactive && cli_interrupted(c))
		cli_printf(c, "\n");	/* the prompt after the terminal's ^C, not beside it */
	if (ret == CMD_OK && !cli_interrupted(c) && !c->stopped) {
		if (r->count)
			cli_printf(c, "%lld\n", linegrep_scan_count(s));
		else if (linegrep_scan_count(s) == 0 && !r->tail)
			cli_printf(c, "No results were found\n");
	}
	linegrep_scan_free(s);
	linegrep_free(g);
	logset_free(&set);
	free(o);
	return ret;
}

static enum cmd_ret
grep_exec(struct cli *c, int argc, char **argv)
{
	struct grep_req *r = xcalloc(1, sizeof(*r));
	enum cmd_ret ret;
	int nopager = c->nopager, done = 0;

	if (argc == 0)
		ret = dialogue(c, r, &done);
	else
		ret = parse(c, argc, argv, r) < 0 ? CMD_ERROR : CMD_OK;
	if (ret == CMD_OK && !done) {
		/* AsyncOS pages grep output only when asked (-p), and only at a terminal */
		c->nopager = c->interactive && !r->paginate;
		ret = search(c, r);
		c->nopager = nopager;
	}
	free(r);
	return ret;
}

/* Completion and `?` help. */
static const struct cmd_word grep_logs[] = {
	{ "mail_logs", "the mail log (mxgated)", NULL },
	{ "cli_logs", "the command log (mxsh)", NULL },
	{ "<LOG>", "a log subscription name (logconfig)", NULL },
	{ NULL, NULL, NULL },
};

/* after a value (-C 3, -f x, -e x): more options, or the log name */
static const struct cmd_word grep_more[] = {
	{ "-c", "print only the number of matching lines", grep_more },
	{ "-i", "ignore case", grep_more },
	{ "-p", "paginate the output (at a terminal)", grep_more },
	{ "-t", "then follow new lines until Ctrl-C", grep_more },
	{ "mail_logs", "the mail log (mxgated)", NULL },
	{ "cli_logs", "the command log (mxsh)", NULL },
	{ "<LOG>", "a log subscription name, after the regular expression", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word grep_count[] = {
	{ "<COUNT>", "lines before and after each match (0 to 1000)", grep_more },
	{ NULL, NULL, NULL },
};

static const struct cmd_word grep_regex_e[] = {
	{ "<REGEX>", "the regular expression (PCRE2), even if it starts with '-'", grep_more },
	{ NULL, NULL, NULL },
};

static const struct cmd_word grep_pattern[] = {
	{ "<PATTERN>", "file names to search, e.g. '*' or 'mail.@20261122*'", grep_more },
	{ NULL, NULL, NULL },
};

static const struct cmd_word grep_opts[] = {
	{ "-C", "lines of context around each match", grep_count },
	{ "-c", "print only the number of matching lines", grep_opts },
	{ "-e", "the regular expression (when it starts with '-')", grep_regex_e },
	{ "-f", "which files of the log: a glob on their names ('*' all)", grep_pattern },
	{ "-i", "ignore case", grep_opts },
	{ "-p", "paginate the output (at a terminal)", grep_opts },
	{ "-t", "then follow new lines until Ctrl-C", grep_opts },
	{ "<REGEX>", "the regular expression (PCRE2)", grep_logs },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_grep_entry = {
	.name = "grep",
	.usage = "grep [-C count] [-c] [-e regex] [-f file_pattern] [-i] [-p] [-t] [regex] log_name",
	.help = "Search for text in a log file.",
	.words = grep_opts,
	.exec = grep_exec,
};
