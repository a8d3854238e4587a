/*
 * test_logfile.c - log files against a full disk and against what the
 * daemon's account can plant in a log directory (util/logfile.c,
 * util/tailf.c on util/fsutil.c; issue 9).
 *
 * A full disk is a real short write: RLIMIT_FSIZE with SIGXFSZ ignored
 * makes write(2) take only the bytes below the limit, then fail with
 * EFBIG, as ENOSPC does on a full file system. Whatever it cut, the file
 * must end with a whole line, and the next line must start on its own.
 *
 * The planted files: a symbolic link or a hard link in place of
 * NAME.current, a FIFO, and a symbolic link in place of the log directory
 * inside a directory others can write (mode 0770: not trusted, whoever
 * runs the test); none may be written or read, and the FIFO must not
 * hang. A link made where only its owner can write is still followed
 * (an operator's -D /var/lib/mxgate -> /srv/mxgate).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "util/fsutil.h"
#include "util/logfile.h"
#include "util/str.h"
#include "util/tailf.h"
#include "tests/unit/unit.h"

/* slurp - a file's bytes (malloc'd, NUL-terminated) */
static char *
slurp(const char *path)
{
	size_t len;
	char *s = fs_read_file(path, 1 << 20, &len);

	if (s == NULL)
		UNIT_FAIL("cannot read %s: %s", path, strerror(errno));
	return s;
}

/* size_of - a file's size */
static long long
size_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		UNIT_FAIL("cannot stat %s", path);
	return (long long)st.st_size;
}

/* fsize_limit - the largest file this process may write (RLIM_INFINITY: none) */
static void
fsize_limit(rlim_t bytes)
{
	struct rlimit rl;

	CHECK_INT(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = bytes == RLIM_INFINITY ? rl.rlim_max : bytes;
	CHECK_INT(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/* whole_lines - every line of s ends with a newline and carries a marker */
static void
whole_lines(const char *s)
{
	const char *p = s;

	CHECK(*s == '\0' || s[strlen(s) - 1] == '\n');
	while (*p) {
		const char *nl = strchr(p, '\n');

		if (nl == NULL)
			UNIT_FAIL("a cut line at the end: \"%s\"", p);
		/* each line written holds exactly one "<line N>" */
		if (memmem(p, (size_t)(nl - p), "<line", 5) == NULL ||
		    memmem(strstr(p, "<line") + 5, (size_t)(nl - strstr(p, "<line") - 5), "<line",
			5) != NULL)
			UNIT_FAIL("a line cut and joined to the next: \"%.*s\"", (int)(nl - p), p);
		p = nl + 1;
	}
}

/* test_full_disk - a line cut by a full disk is cut off again; the next starts anew */
static void
test_full_disk(void)
{
	char *dir = unit_tmpdir(), *cause = NULL, *path = str_printf("%s/mail.current", dir), *s;
	struct logfile *lf = logfile_open(dir, "mail", &cause);
	long long before;

	signal(SIGXFSZ, SIG_IGN);
	CHECK(lf != NULL);
	CHECK_INT(logfile_write(lf, LOGFILE_INFO, "<line 1> fits"), 0);
	before = size_of(path);
	fsize_limit((rlim_t)before + 30);	/* the disk is full 30 bytes on */
	CHECK_INT(logfile_write(lf, LOGFILE_INFO, "<line 2> %0100d", 2), -1);
	CHECK_INT(size_of(path), before);	/* not even part of it */
	fsize_limit(RLIM_INFINITY);	/* space again */
	CHECK_INT(logfile_write(lf, LOGFILE_INFO, "<line 3> after"), 0);
	s = slurp(path);
	whole_lines(s);
	CHECK(strstr(s, "<line 1> fits\n") != NULL);
	CHECK(strstr(s, "<line 2>") == NULL);
	CHECK(strstr(s, "<line 3> after\n") != NULL);
	free(s);
	logfile_close(lf);
	free(path);
}

static int pending_calls;

static void
on_pending(void *arg)
{
	(void)arg;
	pending_calls++;
}

/* test_full_disk_deferred - deferred lines: those that fit stay, the cut one goes */
static void
test_full_disk_deferred(void)
{
	char *dir = unit_tmpdir(), *cause = NULL, *path = str_printf("%s/mail.current", dir), *s;
	struct logfile *lf = logfile_open(dir, "mail", &cause);
	long long before, len;

	signal(SIGXFSZ, SIG_IGN);
	CHECK(lf != NULL);
	CHECK_INT(logfile_write(lf, LOGFILE_INFO, "<line 0> %040d", 0), 0);
	before = len = size_of(path);	/* the length of each line below */
	logfile_defer(on_pending, NULL);
	for (int i = 1; i <= 5; i++)
		CHECK_INT(logfile_write(lf, LOGFILE_INFO, "<line %d> %040d", i, i), 0);
	CHECK(pending_calls == 1);
	CHECK_INT(size_of(path), before);	/* still waiting */
	/* two whole lines and half the third fit: one write cut short */
	fsize_limit((rlim_t)(before + 2 * len + len / 2));
	logfile_flush_all();
	fsize_limit(RLIM_INFINITY);
	logfile_defer(NULL, NULL);
	CHECK_INT(logfile_write(lf, LOGFILE_WARNING, "<line 9> after"), 0);
	s = slurp(path);
	whole_lines(s);
	CHECK(strstr(s, "<line 1>") != NULL && strstr(s, "<line 2>") != NULL);
	CHECK(strstr(s, "<line 3>") == NULL && strstr(s, "<line 5>") == NULL);
	CHECK(strstr(s, "<line 9> after\n") != NULL);
	free(s);
	logfile_close(lf);
	free(path);
}

/* secret_file - a file outside the log directory, as root's root-only files are */
static char *
secret_file(const char *dir)
{
	char *p = str_printf("%s/secret", dir);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, "the secret\n", 11) != 11 || close(fd) < 0)
		UNIT_FAIL("cannot write %s", p);
	return p;
}

/* test_symlink_current - NAME.current a link: not opened, not written, not read */
static void
test_symlink_current(void)
{
	char *top = unit_tmpdir(), *cause = NULL;
	char *secret = secret_file(top), *dir = str_printf("%s/logs", top);
	char *cur = str_printf("%s/mail.current", dir), *s;
	struct tailf *t;

	CHECK_INT(mkdir(dir, 0700), 0);
	CHECK_INT(symlink(secret, cur), 0);
	CHECK(logfile_open(dir, "mail", &cause) == NULL);
	CHECK(cause != NULL && strstr(cause, "symbolic link") != NULL);
	free(cause);
	cause = NULL;
	t = tailf_open(cur, 10, &cause);
	CHECK(t == NULL);
	CHECK(cause != NULL && strstr(cause, "symbolic link") != NULL);
	free(cause);
	s = slurp(secret);
	CHECK_STR(s, "the secret\n");
	free(s);
	free(cur);
	free(dir);
	free(secret);
}

/* test_hard_link - NAME.current another file's hard link: not written */
static void
test_hard_link(void)
{
	char *top = unit_tmpdir(), *cause = NULL;
	char *secret = secret_file(top), *cur = str_printf("%s/mail.current", top), *s;

	CHECK_INT(link(secret, cur), 0);
	CHECK(logfile_open(top, "mail", &cause) == NULL);
	CHECK(cause != NULL && strstr(cause, "hard link") != NULL);
	free(cause);
	s = slurp(secret);
	CHECK_STR(s, "the secret\n");
	free(s);
	free(cur);
	free(secret);
}

/* test_fifo - NAME.current a FIFO: refused at once, for writing and for reading */
static void
test_fifo(void)
{
	char *dir = unit_tmpdir(), *cause = NULL, *cur = str_printf("%s/mail.current", dir);
	struct tailf *t;

	CHECK_INT(mkfifo(cur, 0600), 0);
	alarm(10);	/* a hang fails the case */
	CHECK(logfile_open(dir, "mail", &cause) == NULL);
	CHECK(cause != NULL && strstr(cause, "not a regular file") != NULL);
	free(cause);
	cause = NULL;
	t = tailf_open(cur, 10, &cause);
	CHECK(t == NULL);
	CHECK(cause != NULL && strstr(cause, "not a regular file") != NULL);
	free(cause);
	free(cur);
}

/*
 * test_symlink_dir - the log directory a link, inside a directory others
 * can write: not followed (logfile_open, tailf_open); the same link where
 * only we can write is followed (reached from the data directory itself,
 * as the base of the test's directories may be /tmp, where nothing is)
 */
static void
test_symlink_dir(void)
{
	char *top = unit_tmpdir(), *cause = NULL;
	char *elsewhere = str_printf("%s/elsewhere", top), *data = str_printf("%s/data", top);
	char *logs = str_printf("%s/logs", data), *link = str_printf("%s/mail_logs", logs);
	char *planted = str_printf("%s/mail.current", elsewhere), *s;
	struct logfile *lf;
	struct tailf *t;

	CHECK_INT(mkdir(elsewhere, 0700), 0);
	CHECK_INT(mkdir(data, 0700), 0);
	CHECK_INT(mkdir(logs, 0700), 0);
	CHECK_INT(symlink(elsewhere, link), 0);
	{
		int fd = open(planted, O_WRONLY | O_CREAT, 0600);

		CHECK(fd >= 0 && write(fd, "the secret\n", 11) == 11);
		close(fd);
	}
	/* logs/ writable by a group: whatever it holds may be planted */
	CHECK_INT(chmod(logs, 0770), 0);
	CHECK(logfile_open(link, "mail", &cause) == NULL);
	CHECK(cause != NULL && strstr(cause, "symbolic link") != NULL);
	free(cause);
	cause = NULL;
	t = tailf_open(planted, 10, &cause);	/* the target itself is ours: readable */
	CHECK(t != NULL);
	tailf_close(t);
	{
		char *via = str_printf("%s/mail.current", link);

		t = tailf_open(via, 10, &cause);
		CHECK(t == NULL);
		CHECK(cause != NULL && strstr(cause, "symbolic link") != NULL);
		free(cause);
		cause = NULL;
		free(via);
	}
	s = slurp(planted);
	CHECK_STR(s, "the secret\n");
	free(s);
	/* only we can write logs/ now: the link is ours, and followed */
	CHECK_INT(chmod(logs, 0700), 0);
	CHECK_INT(chdir(data), 0);
	lf = logfile_open("logs/mail_logs", "mail", &cause);
	if (lf == NULL)
		UNIT_FAIL("logfile_open: %s", cause);
	CHECK_INT(logfile_write(lf, LOGFILE_INFO, "<line 1> through our own link"), 0);
	logfile_close(lf);
	s = slurp(planted);
	CHECK(strstr(s, "through our own link") != NULL);
	free(s);
	free(planted);
	free(link);
	free(logs);
	free(data);
	free(elsewhere);
}

static const struct unit_case cases[] = {
	{ "full_disk", test_full_disk },
	{ "full_disk_deferred", test_full_disk_deferred },
	{ "symlink_current", test_symlink_current },
	{ "hard_link", test_hard_link },
	{ "fifo", test_fifo },
	{ "symlink_dir", test_symlink_dir },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("logfile", cases, argc, argv);
}
