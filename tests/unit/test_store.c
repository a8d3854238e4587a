/*
 * test_store.c - the configuration store: open, settings, candidate,
 * commit, clear, rollback. (Extended by the store test suite.)
 */
#include "store/config.h"
#include "store/settings.h"
#include "tests/unit/unit.h"

static void
test_commit_roundtrip(void)
{
	struct store *st;
	char *cause = NULL, *v;
	int64_t id;

	CHECK(store_open(unit_tmpdir(), STORE_SESSION, &st, &cause) == 0);
	CHECK(settings_set(st, "system.hostname", "GW1.Example.com", &cause) == 0);
	CHECK_INT(config_pending(st), 1);
	CHECK(config_commit(st, "tester", "first", &id, &cause) == 0);
	CHECK_INT(id, 1);
	CHECK_INT(config_pending(st), 0);
	v = settings_get(st, "system.hostname");
	CHECK_STR(v, "gw1.example.com");
	free(v);
	store_close(st);
}

static const struct unit_case cases[] = {
	{ "commit_roundtrip", test_commit_roundtrip },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("store", cases, argc, argv);
}
