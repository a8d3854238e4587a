/*
 * unit.h - a table-driven unit test harness (Postfix ptest, BIRD's tests).
 *
 * A test program lists its cases in a UNIT_CASE table and calls
 * unit_main(); each case runs in a forked child with a time limit, so a
 * crash or a hang fails that case alone. Output: one "PASS name" or
 * "FAIL name: why" line per case; tests/run.sh counts them.
 */
#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

struct unit_case {
	const char *name;
	void (*fn)(void);
};

/* unit_fail - report and end the current case */
#define UNIT_FAIL(...) do { \
	fprintf(stderr, "%s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); \
	fprintf(stderr, "\n"); \
	_exit(1); \
} while (0)

#define CHECK(cond) do { if (!(cond)) UNIT_FAIL("check failed: %s", #cond); } while (0)
#define CHECK_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) UNIT_FAIL("%s == %lld, expected %lld", #a, _a, _b); } while (0)
#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); \
	if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0) \
		UNIT_FAIL("%s == \"%s\", expected \"%s\"", #a, _a ? _a : "(null)", _b ? _b : "(null)"); \
} while (0)

/* unit_tmpdir - a fresh directory for this case (removed by the runner's tree) */
static inline char *
unit_tmpdir(void)
{
	static char path[256];
	const char *base = getenv("UNIT_TMP") ? getenv("UNIT_TMP") : "/tmp";

	snprintf(path, sizeof(path), "%s/unit.XXXXXX", base);
	if (mkdtemp(path) == NULL)
		UNIT_FAIL("mkdtemp failed");
	return path;
}

/* Seconds after which a case counts as hung (SIGALRM). */
#define UNIT_HANG_SECONDS 900

static inline int
unit_main(const char *prog, const struct unit_case *cases, int argc, char **argv)
{
	int failed = 0, passed = 0;

	for (const struct unit_case *c = cases; c->name; c++) {
		pid_t pid;
		int status;

		if (argc > 1 && strcmp(argv[1], c->name) != 0)
			continue;
		fflush(NULL);
		pid = fork();
		if (pid == 0) {
			/*
			 * a guard against a hung case, not a time limit: a case
			 * that takes 5 s alone took over 60 s under ASan on a
			 * loaded 2-core machine (test_findevent/property_fresh)
			 */
			alarm(UNIT_HANG_SECONDS);
			c->fn();
			fflush(NULL);
			_exit(0);
		}
		if (pid < 0 || waitpid(pid, &status, 0) < 0) {
			printf("FAIL %s/%s: fork failed\n", prog, c->name);
			failed++;
			continue;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("PASS %s/%s\n", prog, c->name);
			passed++;
		} else {
			printf("FAIL %s/%s: %s %d\n", prog, c->name,
			    WIFSIGNALED(status) ? "signal" : "exit",
			    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			failed++;
		}
	}
	fflush(stdout);
	return failed ? 1 : 0;
}

#endif
