/*
 * test_runtool.c - commands/runtool.c: Ctrl-C is passed on as SIGINT,
 * and a tool that ignores it is killed within RUNTOOL_KILL_MS even when
 * it never stops writing (the kill deadline is a clock, not a count of
 * idle polls).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands/runtool.h"
#include "util/str.h"
#include "tests/unit/unit.h"

static volatile sig_atomic_t intr_flag;
static size_t out_bytes;
static int err_seen;
static char err_line[256];

/* out_write - count output; Ctrl-C once the tool has written something */
static int
out_write(void *arg, const char *s, size_t n, int is_error)
{
	(void)arg;
	if (is_error) {
		err_seen = 1;
		str_copy(err_line, s, sizeof(err_line));
		return 0;
	}
	out_bytes += n;
	if (out_bytes > 0)
		intr_flag = 1;
	return 0;
}

static const struct cli_io test_io = { .write = out_write };

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* test_ignores_sigint - a tool that ignores SIGINT and keeps writing is killed */
static void
test_ignores_sigint(void)
{
	char *const argv[] = { "/bin/sh", "-c", "trap '' INT; while :; do echo x; done", NULL };
	struct cli c;
	long long t0, ms;
	enum cmd_ret r;

	memset(&c, 0, sizeof(c));
	c.io = &test_io;
	c.intr = &intr_flag;
	intr_flag = 0;
	out_bytes = 0;
	err_seen = 0;
	t0 = mono_ms();
	alarm(30);	/* the bug: it would run for ever */
	r = runtool_run(&c, "loop", argv);
	alarm(0);
	ms = mono_ms() - t0;
	CHECK_INT(r, CMD_ERROR);
	CHECK(err_seen);
	CHECK(strstr(err_line, "loop stopped by Ctrl-C.") != NULL);
	CHECK(out_bytes > 0);
	CHECK(ms < 10000);
}

/* test_sigint_summary - a tool that ends on SIGINT: what it writes then is shown */
static void
test_sigint_summary(void)
{
	char *const argv[] = { "/bin/sh", "-c",
		"trap 'echo summary-line; exit 1' INT; echo started; while :; do sleep 0.05; done",
		NULL };
	struct cli c;
	enum cmd_ret r;

	memset(&c, 0, sizeof(c));
	c.io = &test_io;
	c.intr = &intr_flag;
	intr_flag = 0;
	out_bytes = 0;
	err_seen = 0;
	alarm(30);
	r = runtool_run(&c, "tool", argv);
	alarm(0);
	CHECK_INT(r, CMD_ERROR);
	CHECK(strstr(err_line, "tool stopped by Ctrl-C.") != NULL);
	CHECK(out_bytes > strlen("started\n"));	/* the summary came through */
}

static const struct unit_case cases[] = {
	{ "ignores_sigint", test_ignores_sigint },
	{ "sigint_summary", test_sigint_summary },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("runtool", cases, argc, argv);
}
