/*
 * test_statusids.c - `status` "Current IDs": the last IDs mxgated handed
 * out (queue state "ids.last", "icid mid dcid"), not the end of the block
 * it reserved; the reserved counters only when the daemon has published
 * nothing (an older mxgated). Run through cmd_run_line on a scripted
 * terminal, as the shell runs it.
 */
#include "commands/cmd.h"
#include "store/queue.h"
#include "tests/unit/unit.h"
#include "util/buf.h"
#include "util/str.h"

/* out_write - cli_io.write into a buffer */
static int
out_write(void *arg, const char *p, size_t n, int is_error)
{
	(void)is_error;
	buf_add(arg, p, n);
	return 0;
}

/* no_readline - status asks nothing */
static char *
no_readline(void *arg, const char *prompt, int *intr)
{
	(void)arg;
	(void)prompt;
	*intr = 0;
	return NULL;
}

static const struct cli_io buf_io = { no_readline, out_write, NULL, NULL };

/* status_of - run `status` on dir after setting ids.last (NULL: none) and reserving blocks */
static char *
status_of(const char *ids_last)
{
	static volatile sig_atomic_t intr;
	const char *dir = unit_tmpdir();
	struct queue *q;
	struct cli c;
	struct buf b;
	char *cause = NULL;
	int64_t first;

	if (queue_open(dir, &q, &cause) < 0)
		UNIT_FAIL("queue_open: %s", cause);
	/* as mxgated does: blocks of 100 reserved, a few IDs of them used */
	CHECK(queue_id_reserve(q, "mid", 100, &first, &cause) == 0);
	CHECK(queue_id_reserve(q, "icid", 100, &first, &cause) == 0);
	CHECK(queue_id_reserve(q, "dcid", 100, &first, &cause) == 0);
	if (ids_last)
		CHECK(queue_state_set(q, "ids.last", ids_last, &cause) == 0);
	queue_close(q);

	memset(&c, 0, sizeof(c));
	buf_init(&b, 0);
	buf_addstr(&b, "");
	if (store_open(dir, STORE_SESSION, &c.st, &cause) < 0)
		UNIT_FAIL("store_open: %s", cause);
	c.io = &buf_io;
	c.io_arg = &b;
	c.intr = &intr;
	str_copy(c.user, "tester", sizeof(c.user));
	CHECK_INT(cmd_run_line(&c, "status"), CMD_OK);
	queue_close(c.q);
	store_close(c.st);
	return buf_steal(&b);
}

/* test_ids_last - the published last IDs are shown */
static void
test_ids_last(void)
{
	char *out = status_of("3 5 2");

	if (strstr(out, "  Message ID (MID)              5\n") == NULL ||
	    strstr(out, "  Injection Conn. ID (ICID)     3\n") == NULL ||
	    strstr(out, "  Delivery Conn. ID (DCID)      2\n") == NULL)
		UNIT_FAIL("status did not show the last IDs used:\n%s", out);
	free(out);
}

/* test_ids_reserved_fallback - nothing published: the reserved counters */
static void
test_ids_reserved_fallback(void)
{
	char *out = status_of(NULL);

	if (strstr(out, "  Message ID (MID)              100\n") == NULL)
		UNIT_FAIL("status without ids.last:\n%s", out);
	free(out);
	out = status_of("garbage");
	if (strstr(out, "  Message ID (MID)              100\n") == NULL)
		UNIT_FAIL("status with a bad ids.last:\n%s", out);
	free(out);
}

static const struct unit_case cases[] = {
	{ "ids_last", test_ids_last },
	{ "ids_reserved_fallback", test_ids_reserved_fallback },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("statusids", cases, argc, argv);
}
