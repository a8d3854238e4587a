/*
 * lineedit.c - the interactive terminal on top of libedit.
 *
 * Ctrl-C: our SIGINT handler (installed without SA_RESTART) sets the
 * session's interrupt flag; libedit's read then fails with EINTR, el_gets
 * returns NULL, and the caller sees *interrupted. The shell never exits on
 * Ctrl-C. TAB and `?` are libedit functions bound to those keys; at the
 * command prompt both walk the command table through complete.c, and
 * while a dialogue reads an answer (lineedit_read_answer) they offer only
 * that question's choices (menu words, list numbers, Y/N), never commands.
 * Secrets are read with the terminal's echo off, outside libedit, so they
 * reach neither the screen nor the history.
 *
 * Idle timeout: libedit's el_gets blocks in read(2), so every key is
 * read by our own function (EL_GETCFN), which first polls standard input
 * for the time left; when it runs out, or SIGHUP/SIGTERM set the stop
 * flag, the read fails as Ctrl-C's does and lineedit_idle_expired says
 * why. Secret reads poll the same way.
 *
 * The history file lies in the data directory: it is opened as
 * util/fsutil.h says (no symbolic link followed, a regular file, ours
 * with one link to be written), never by libedit from its path.
 *
 * DIAGNOSTICS: a history file that cannot be read or written is ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <histedit.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "commands/cli.h"
#include "shell/complete.h"
#include "shell/lineedit.h"
#include "util/fsutil.h"
#include "util/str.h"

struct lineedit {
	EditLine *el;			/* libedit state */
	History *hist;			/* libedit history */
	HistEvent ev;			/* scratch for history() */
	char *histfile;			/* where history persists */
	const char *prompt;		/* current prompt, for prompt_fn */
	volatile sig_atomic_t *intr;	/* Ctrl-C flag shared with the session */
	int lines;			/* lines written since the last pause */
	int dialogue;			/* reading an answer, not a command line */
	const struct cli_prompt *answer;	/* that answer's choices (dialogue only) */
};

/* A secret longer than this is cut (the caller's buffer refuses it anyway). */
#define LINEEDIT_SECRET_MAX 8192

static volatile sig_atomic_t *sigint_flag;
static int idle_secs;				/* reads give up after this long (0: never) */
static int idle_expired;			/* one did: the session ends */
static volatile sig_atomic_t *idle_stop;	/* SIGHUP/SIGTERM ends a read too */

/*
 * wait_key - until standard input has a byte: 1; 0 when idle_secs
 * passed without one (idle_expired set); -1 when Ctrl-C (*intr) or the
 * stop flag ended the wait (errno EINTR)
 */
static int
wait_key(volatile sig_atomic_t *intr)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	struct timespec now, end;
	int r, ms;

	if (idle_expired)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += idle_secs;
	for (;;) {
		if ((intr && *intr) || (idle_stop && *idle_stop)) {
			errno = EINTR;
			return -1;
		}
		ms = -1;
		if (idle_secs > 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			long long left = (long long)(end.tv_sec - now.tv_sec) * 1000 +
			    (end.tv_nsec - now.tv_nsec) / 1000000;

			if (left <= 0) {
				idle_expired = 1;
				return 0;
			}
			ms = left > INT_MAX ? INT_MAX : (int)left;
		}
		r = poll(&p, 1, ms);
		if (r > 0)
			return 1;	/* a byte, the end, or an error for read to report */
		if (r < 0 && errno != EINTR)
			return 1;
	}
}

/*
 * getc_fn - libedit's read of one character (EL_GETCFN): wait_key, then
 * the bytes of one multibyte character; 1, 0 at the end of input, -1
 * (errno EINTR) on Ctrl-C, stop or idle timeout
 */
static int
getc_fn(EditLine *el, wchar_t *wc)
{
	struct lineedit *le;
	char buf[MB_LEN_MAX];
	size_t n = 0, m;
	mbstate_t mbs;
	ssize_t r;
	int w;

	el_get(el, EL_CLIENTDATA, &le);
	for (;;) {
		if ((w = wait_key(le->intr)) <= 0) {
			errno = EINTR;
			return -1;
		}
		r = read(STDIN_FILENO, &buf[n], 1);
		if (r == 0)
			return 0;
		if (r < 0) {
			if (errno == EINTR)
				continue;	/* wait_key looks at the flags */
			return -1;
		}
		n++;
		memset(&mbs, 0, sizeof(mbs));
		m = mbrtowc(wc, buf, n, &mbs);
		if (m == (size_t)-2 && n < sizeof(buf))
			continue;	/* more bytes of this character */
		if (m == (size_t)-1 || m == (size_t)-2)
			*wc = (wchar_t)(unsigned char)buf[0];	/* not text: the byte itself */
		return 1;
	}
}

/* on_sigint - remember Ctrl-C; the read in progress fails with EINTR */
static void
on_sigint(int sig)
{
	(void)sig;
	if (sigint_flag)
		*sigint_flag = 1;
}

/* prompt_fn - libedit asks for the prompt text */
static char *
prompt_fn(EditLine *el)
{
	struct lineedit *le;

	el_get(el, EL_CLIENTDATA, &le);
	return (char *)(le->prompt ? le->prompt : "");
}

/* before_cursor - the text of the line up to the cursor (malloc'd) */
static char *
before_cursor(EditLine *el)
{
	const LineInfo *li = el_line(el);

	return str_ndup(li->buffer, (size_t)(li->cursor - li->buffer));
}

/* list_items - print candidates with their help, as `?` does; quiet ones only if alone */
static void
list_items(const struct complete_result *r)
{
	int loud = 0;

	for (int i = 0; i < r->n; i++)
		if (!r->items[i].quiet)
			loud++;
	for (int i = 0; i < r->n; i++)
		if (!loud || !r->items[i].quiet)
			printf("  %-22s %s\n", r->items[i].word, r->items[i].help ? r->items[i].help : "");
}

/*
 * replace_word - put word in place of the plen characters before the
 * cursor (an answer takes the choice's own case: "se" becomes "SETUP")
 */
static void
replace_word(EditLine *el, size_t plen, const char *word)
{
	if (plen > 0)
		el_deletestr(el, (int)plen);
	el_insertstr(el, word);
}

/* complete_fn - TAB: complete the word, or list the candidates */
static unsigned char
complete_fn(EditLine *el, int ch)
{
	struct lineedit *le;
	struct complete_result r;
	char *text = before_cursor(el), *common;
	int nlit = 0, last = -1;
	unsigned char ret = CC_ERROR;
	size_t plen;

	(void)ch;
	el_get(el, EL_CLIENTDATA, &le);
	if (le->dialogue)
		complete_answer(text, le->answer, &r);
	else
		complete_line(text, &r);
	free(text);
	plen = strlen(r.partial);
	for (int i = 0; i < r.n; i++)
		if (r.items[i].literal) {
			nlit++;
			last = i;
		}
	if (nlit == 1 && le->dialogue) {
		replace_word(el, plen, r.items[last].word);
		ret = CC_REFRESH;
	} else if (nlit == 1) {
		const char *w = r.items[last].word;
		char *ins = str_printf("%s%s", w + plen, w[strlen(w) - 1] == '=' ? "" : " ");

		el_insertstr(el, ins);
		free(ins);
		ret = CC_REFRESH;
	} else if (nlit > 1) {
		common = complete_common(&r);
		if (common && strlen(common) > plen) {
			if (le->dialogue)
				replace_word(el, plen, common);
			else
				el_insertstr(el, common + plen);
			ret = CC_REFRESH;
		} else if (le->dialogue) {
			fputs("\n", stdout);
			list_items(&r);
			fflush(stdout);
			ret = CC_REDISPLAY;
		} else {
			int col = 0;

			fputs("\n", stdout);
			for (int i = 0; i < r.n; i++) {
				if (!r.items[i].literal)
					continue;
				if (col + 20 > 78) {
					fputs("\n", stdout);
					col = 0;
				}
				printf("%-19s ", r.items[i].word);
				col += 20;
			}
			fputs("\n", stdout);
			fflush(stdout);
			ret = CC_REDISPLAY;
		}
		free(common);
	}
	complete_free(&r);
	return ret;
}

/* help_fn - `?`: list what may come next with one-line help */
static unsigned char
help_fn(EditLine *el, int ch)
{
	struct lineedit *le;
	struct complete_result r;
	char *text = before_cursor(el);
	int quotes = 0;

	(void)ch;
	el_get(el, EL_CLIENTDATA, &le);
	for (const char *p = text; *p; p++)
		if (*p == '"')
			quotes++;
	if (le->dialogue && (le->answer == NULL ||
	    (le->answer->n == 0 && le->answer->placeholder == NULL))) {
		/* a free-text answer: '?' is part of it (a regex, a comment) */
		free(text);
		el_insertstr(el, "?");
		return CC_REFRESH;
	}
	if (quotes % 2 && !le->dialogue) {
		/* inside a quoted word a '?' is just a character (a regex, say) */
		free(text);
		el_insertstr(el, "?");
		return CC_REFRESH;
	}
	if (le->dialogue)
		complete_answer(text, le->answer, &r);
	else
		complete_line(text, &r);
	free(text);
	fputs("\n", stdout);
	if (r.n == 0)
		fputs(le->dialogue ? "  (no choice starts with that; Ctrl-U clears the answer)\n" :
				     "  (no further words; press Enter to run the command)\n",
		    stdout);
	list_items(&r);
	fflush(stdout);
	complete_free(&r);
	return CC_REDISPLAY;
}

/*
 * hist_load - read the history file; libedit's H_LOAD takes only a path,
 * so it gets /proc/self/fd/N, which leads to the file we opened and
 * checked, whatever the name in the directory leads to now
 */
static void
hist_load(struct lineedit *le)
{
	int fd = fs_open(le->histfile, O_RDONLY | O_CLOEXEC, 0);
	char path[64];

	if (fd < 0)
		return;
	str_fmt(path, sizeof(path), "/proc/self/fd/%d", fd);
	history(le->hist, &le->ev, H_LOAD, path);
	close(fd);
}

/* hist_save - write the history file through a descriptor we opened (H_SAVE_FP) */
static void
hist_save(struct lineedit *le)
{
	int fd = fs_open(le->histfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *fp;

	if (fd < 0)
		return;
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		return;
	}
	history(le->hist, &le->ev, H_SAVE_FP, fp);
	fclose(fp);
}

struct lineedit *
lineedit_open(const char *progname, const char *histfile, int histsize,
    volatile sig_atomic_t *intr)
{
	struct lineedit *le = xcalloc(1, sizeof(*le));
	struct sigaction sa;

	le->intr = intr;
	sigint_flag = intr;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: the read must fail with EINTR */
	sigaction(SIGINT, &sa, NULL);

	le->hist = history_init();
	history(le->hist, &le->ev, H_SETSIZE, histsize > 0 ? histsize : 500);
	history(le->hist, &le->ev, H_SETUNIQUE, 1);
	if (histfile) {
		le->histfile = str_dup(histfile);
		hist_load(le);
	}
	le->el = el_init(progname, stdin, stdout, stderr);
	el_set(le->el, EL_CLIENTDATA, le);
	el_set(le->el, EL_EDITOR, "emacs");
	el_set(le->el, EL_PROMPT, prompt_fn);
	el_set(le->el, EL_HIST, history, le->hist);
	el_set(le->el, EL_GETCFN, getc_fn);
	/*
	 * el_set(EL_ADDFN) wcsdup()s the name and the help text and never
	 * frees them (libedit eln.c: "XXX: The two strdup's leak"), which
	 * LeakSanitizer reports at every exit; el_wset keeps our static
	 * wide strings as they are.
	 */
	el_wset(le->el, EL_ADDFN, L"mx-complete", L"Complete the word", complete_fn);
	el_wset(le->el, EL_ADDFN, L"mx-help", L"List what may come next", help_fn);
	el_set(le->el, EL_BIND, "^I", "mx-complete", NULL);
	el_set(le->el, EL_BIND, "?", "mx-help", NULL);
	el_source(le->el, NULL);	/* ~/.editrc, as every libedit program */
	return le;
}

void
lineedit_close(struct lineedit *le)
{
	if (le == NULL)
		return;
	if (le->histfile)
		hist_save(le);
	el_end(le->el);
	history_end(le->hist);
	free(le->histfile);
	free(le);
}

char *
lineedit_read(struct lineedit *le, const char *prompt, int *interrupted)
{
	const char *line;
	int count = 0;
	size_t n;

	*interrupted = 0;
	*le->intr = 0;
	le->prompt = prompt;
	le->lines = 0;
	line = el_gets(le->el, &count);
	if (idle_expired || (idle_stop && *idle_stop)) {
		/* the session ends: the line typed so far is not run */
		fputs("\n", stdout);
		fflush(stdout);
		el_reset(le->el);
		return NULL;
	}
	if (*le->intr) {
		/* Ctrl-C: abandon the line, start afresh on a new one */
		*interrupted = 1;
		fputs("^C\n", stdout);
		fflush(stdout);
		el_reset(le->el);
		return NULL;
	}
	if (line == NULL || count <= 0)
		return NULL;
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	return str_ndup(line, n);
}

char *
lineedit_read_answer(struct lineedit *le, const char *prompt, const struct cli_prompt *p,
    int *interrupted)
{
	char *line;

	if (p && p->secret)
		return lineedit_read_secret(prompt, le->intr, interrupted);
	le->dialogue = 1;
	le->answer = p;
	line = lineedit_read(le, prompt, interrupted);
	le->dialogue = 0;
	le->answer = NULL;
	return line;
}

char *
lineedit_read_secret(const char *prompt, volatile sig_atomic_t *intr, int *interrupted)
{
	struct termios old, quiet;
	char *line = xmalloc(LINEEDIT_SECRET_MAX + 1), ch;
	size_t n = 0;
	ssize_t r;
	int tty;

	*interrupted = 0;
	if (intr)
		*intr = 0;
	fputs(prompt, stdout);
	fflush(stdout);
	tty = tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
		quiet.c_lflag |= ICANON;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	/* byte by byte: nothing read past the line is lost to a later read */
	for (;;) {
		if (wait_key(intr) <= 0) {
			r = idle_expired ? 0 : -1;
			errno = EINTR;
			break;
		}
		if ((r = read(STDIN_FILENO, &ch, 1)) != 1 || ch == '\n')
			break;
		if (n < LINEEDIT_SECRET_MAX)
			line[n++] = ch;
	}
	if (idle_expired || (idle_stop && *idle_stop)) {
		if (tty)
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputs("\n", stdout);
		fflush(stdout);
		explicit_bzero(line, n);
		free(line);
		return NULL;
	}
	if (tty)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	line[n] = '\0';
	if (r < 0 && errno == EINTR && intr && *intr) {
		*interrupted = 1;
		fputs("^C\n", stdout);
	} else if (tty) {
		fputs("\n", stdout);	/* the Enter that was not echoed */
	}
	fflush(stdout);
	if (*interrupted || (r <= 0 && n == 0)) {
		explicit_bzero(line, n);
		free(line);
		return NULL;
	}
	while (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	return line;
}

void
lineedit_set_idle(int seconds, volatile sig_atomic_t *stop)
{
	idle_secs = seconds > 0 ? seconds : 0;
	idle_stop = stop;
}

int
lineedit_idle_expired(void)
{
	return idle_expired;
}

void
lineedit_history_add(struct lineedit *le, const char *line)
{
	history(le->hist, &le->ev, H_ENTER, line);
	if (le->histfile)
		hist_save(le);
}

void
lineedit_page_reset(struct lineedit *le)
{
	le->lines = 0;
}

/* term_rows - the terminal's height */
static int
term_rows(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 2)
		return ws.ws_row;
	return 24;
}

/*
 * pause_more - "-Press Any Key For More-"; 0 to go on, -1 for q, Ctrl-C,
 * a stop or the idle timeout
 */
static int
pause_more(struct lineedit *le)
{
	struct termios old, raw;
	char ch = 0;
	ssize_t r;

	fputs("-Press Any Key For More-", stdout);
	fflush(stdout);
	if (tcgetattr(STDIN_FILENO, &old) < 0)
		return 0;
	raw = old;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	/* timed as the prompt is: a session left at the pager ends too */
	r = wait_key(le->intr) > 0 ? read(STDIN_FILENO, &ch, 1) : -1;
	tcsetattr(STDIN_FILENO, TCSANOW, &old);
	fputs("\r                        \r", stdout);
	fflush(stdout);
	if (r <= 0 || ch == 'q' || ch == 'Q' || *le->intr)
		return -1;
	return 0;
}

int
lineedit_write(struct lineedit *le, const char *s, size_t n, int is_error)
{
	int rows = term_rows();

	if (is_error) {
		fflush(stdout);
		fwrite(s, 1, n, stderr);
		fflush(stderr);
		return 0;
	}
	while (n > 0) {
		const char *nl = memchr(s, '\n', n);
		size_t len = nl ? (size_t)(nl - s) + 1 : n;

		if (*le->intr)
			return -1;
		if (nl && le->lines >= rows - 1) {
			if (pause_more(le) < 0)
				return -1;
			le->lines = 0;
		}
		fwrite(s, 1, len, stdout);
		if (nl)
			le->lines++;
		s += len;
		n -= len;
	}
	fflush(stdout);
	return 0;
}
