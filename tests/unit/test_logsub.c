/*
 * test_logsub.c - log subscriptions (mail/logsub.c): names, batch keys
 * and their ranges, the stored form (round trip, canonical text, refusal
 * of damaged items), the built-ins staged to their settings, pending
 * until commit, the daemon's view, and the writers (logsub_out): files
 * opened and closed as the list changes, each line at each file's level.
 */
#include <sys/stat.h>

#include "mail/logsub.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/fsutil.h"
#include "util/logset.h"
#include "util/str.h"
#include "tests/unit/unit.h"

/* ---------------------------------------------------------- helpers */

/* open_store - a store on dir */
static struct store *
open_store(const char *dir, enum store_mode mode)
{
	struct store *st;
	char *cause = NULL;

	if (store_open(dir, mode, &st, &cause) < 0)
		UNIT_FAIL("store_open: %s", cause);
	return st;
}

/* load - logsub_load or fail */
static struct logsub *
load(struct store *st, int *n)
{
	struct logsub *subs;
	char *cause = NULL;

	if (logsub_load(st, &subs, n, &cause) < 0)
		UNIT_FAIL("logsub_load: %s", cause);
	return subs;
}

/* commit - config_commit or fail */
static void
commit(struct store *st)
{
	char *cause = NULL;
	int64_t id;

	if (config_commit(st, "tester", "test", &id, &cause) < 0)
		UNIT_FAIL("config_commit: %s", cause);
}

/* set - logsub_set; 0 or -1 (the cause checked to be one line) */
static int
set(struct logsub *s, const char *key, const char *value)
{
	char *cause = NULL;
	int rc = logsub_set(s, key, value, &cause);

	if (rc < 0 && (cause == NULL || strchr(cause, '\n')))
		UNIT_FAIL("logsub_set %s=%s: no one-line cause", key, value);
	free(cause);
	return rc;
}

/* file_text - a whole small file, or "" */
static char *
file_text(const char *path)
{
	size_t len;
	char *s = fs_read_file(path, 1 << 20, &len);

	return s ? s : str_dup("");
}

/* ---------------------------------------------------------- cases */

/* test_names - directory-safe names */
static void
test_names(void)
{
	static const struct {
		const char *name;
		int ok;
	} cases[] = {
		{ "mail_debug", 1 }, { "a", 1 }, { "X.y-z_1", 1 }, { "9lives", 1 },
		{ "", 0 }, { ".", 0 }, { "..", 0 }, { ".hidden", 0 }, { "-x", 0 }, { "_x", 0 },
		{ "a/b", 0 }, { "a b", 0 }, { "caf\xc3\xa9", 0 }, { "a*", 0 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1 },	/* 63 */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },	/* 64 */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *cause = NULL;
		int rc = logsub_name_valid(cases[i].name, &cause);

		if ((rc == 0) != cases[i].ok)
			UNIT_FAIL("logsub_name_valid(\"%s\") = %d", cases[i].name, rc);
		free(cause);
	}
	CHECK(logsub_is_builtin("mail_logs"));
	CHECK(logsub_is_builtin("cli_logs"));
	CHECK(!logsub_is_builtin("Mail_Logs"));
	CHECK(!logsub_is_builtin("mail_debug"));
}

/* test_keys - every batch key, its suffixes and its range */
static void
test_keys(void)
{
	struct logsub s;

	logsub_defaults(&s, "x", LOGSUB_MAIL);
	CHECK_INT(s.level, LOGFILE_INFO);
	CHECK_INT(s.max_size, 10485760);
	CHECK_INT(s.max_age, 0);
	CHECK_INT(s.keep, 10);
	CHECK_INT(s.builtin, 0);

	CHECK_INT(set(&s, "type", "CLI_LOGS"), 0);
	CHECK_INT(s.type, LOGSUB_CLI);
	CHECK(set(&s, "type", "antispam") < 0);
	CHECK_INT(s.type, LOGSUB_CLI);

	CHECK_INT(set(&s, "level", "debug"), 0);
	CHECK_INT(s.level, LOGFILE_DEBUG);
	CHECK_INT(set(&s, "level", "Trace"), 0);
	CHECK_INT(s.level, LOGFILE_TRACE);
	CHECK(set(&s, "level", "Information") < 0);
	CHECK(set(&s, "level", "3") < 0);

	CHECK_INT(set(&s, "max_size", "2000"), 0);
	CHECK_INT(s.max_size, 2000);
	CHECK_INT(set(&s, "max_size", "10K"), 0);
	CHECK_INT(s.max_size, 10240);
	CHECK_INT(set(&s, "max_size", "1g"), 0);
	CHECK_INT(s.max_size, 1073741824);
	CHECK_INT(set(&s, "max_size", "0"), 0);
	CHECK_INT(s.max_size, 0);
	CHECK_INT(set(&s, "max_size", "2147483647"), 0);
	CHECK(set(&s, "max_size", "2147483648") < 0);
	CHECK(set(&s, "max_size", "2G") < 0);
	CHECK(set(&s, "max_size", "-1") < 0);
	CHECK(set(&s, "max_size", "+5") < 0);
	CHECK(set(&s, "max_size", "") < 0);
	CHECK(set(&s, "max_size", "K") < 0);
	CHECK(set(&s, "max_size", "5T") < 0);
	CHECK(set(&s, "max_size", "99999999999999999999999") < 0);
	CHECK_INT(s.max_size, 2147483647);

	CHECK_INT(set(&s, "max_age", "90"), 0);
	CHECK_INT(s.max_age, 90);
	CHECK_INT(set(&s, "max_age", "2h"), 0);
	CHECK_INT(s.max_age, 7200);
	CHECK_INT(set(&s, "max_age", "1d"), 0);
	CHECK_INT(s.max_age, 86400);
	CHECK_INT(set(&s, "max_age", "365d"), 0);
	CHECK_INT(s.max_age, 31536000);
	CHECK(set(&s, "max_age", "366d") < 0);
	CHECK(set(&s, "max_age", "1y") < 0);

	CHECK_INT(set(&s, "keep", "2"), 0);
	CHECK_INT(s.keep, 2);
	CHECK_INT(set(&s, "keep", "10000"), 0);
	CHECK(set(&s, "keep", "10001") < 0);
	CHECK(set(&s, "keep", "1k") < 0);
	CHECK_INT(s.keep, 10000);

	CHECK(set(&s, "name", "y") < 0);
	CHECK(set(&s, "retrieval", "ftp") < 0);
}

/* test_encode_decode - the stored form round-trips and is re-validated */
static void
test_encode_decode(void)
{
	struct logsub s, d;
	char *json, *cause = NULL;

	logsub_defaults(&s, "mail_debug", LOGSUB_MAIL);
	s.level = LOGFILE_DEBUG;
	s.max_size = 2000;
	s.keep = 2;
	json = logsub_encode(&s);
	CHECK_STR(json, "{\"type\":\"mail_logs\",\"level\":\"Debug\",\"max_size\":2000,"
			"\"max_age\":0,\"keep\":2}");
	CHECK_INT(logsub_decode("mail_debug", json, &d, &cause), 0);
	CHECK_STR(d.name, "mail_debug");
	CHECK_INT(d.type, LOGSUB_MAIL);
	CHECK_INT(d.level, LOGFILE_DEBUG);
	CHECK_INT(d.max_size, 2000);
	CHECK_INT(d.max_age, 0);
	CHECK_INT(d.keep, 2);
	free(json);

	/* absent members take the defaults; unknown ones are ignored */
	CHECK_INT(logsub_decode("a", "{\"type\":\"cli_logs\",\"future\":1}", &d, &cause), 0);
	CHECK_INT(d.type, LOGSUB_CLI);
	CHECK_INT(d.max_size, 10485760);
	CHECK_INT(d.keep, 10);

	static const struct {
		const char *name, *json;
	} bad[] = {
		{ "a", "not json" },
		{ "a", "[1]" },
		{ "a", "{}" },
		{ "a", "{\"type\":\"syslog\"}" },
		{ "a", "{\"type\":\"mail_logs\",\"level\":\"Loud\"}" },
		{ "a", "{\"type\":\"mail_logs\",\"level\":3}" },
		{ "a", "{\"type\":\"mail_logs\",\"max_size\":-1}" },
		{ "a", "{\"type\":\"mail_logs\",\"max_size\":\"10\"}" },
		{ "a", "{\"type\":\"mail_logs\",\"max_age\":99999999999}" },
		{ "a", "{\"type\":\"mail_logs\",\"keep\":10001}" },
		{ "../x", "{\"type\":\"mail_logs\"}" },
		{ "mail_logs", "{\"type\":\"mail_logs\"}" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cause = NULL;
		if (logsub_decode(bad[i].name, bad[i].json, &d, &cause) == 0)
			UNIT_FAIL("decoded %s = %s", bad[i].name, bad[i].json);
		CHECK(cause != NULL && strchr(cause, '\n') == NULL);
		free(cause);
	}
}

/* test_store - built-ins first, items by name; pending until commit; built-ins not deletable */
static void
test_store(void)
{
	char *dir = unit_tmpdir(), *cause = NULL, *v;
	struct store *st = open_store(dir, STORE_SESSION), *other, *run;
	struct logsub *subs, s;
	int n;

	subs = load(st, &n);
	CHECK_INT(n, 2);
	CHECK_STR(subs[0].name, "mail_logs");
	CHECK_INT(subs[0].type, LOGSUB_MAIL);
	CHECK_INT(subs[0].builtin, 1);
	CHECK_STR(subs[1].name, "cli_logs");
	CHECK_INT(subs[1].type, LOGSUB_CLI);
	CHECK_INT(subs[1].max_size, 10485760);
	free(subs);

	logsub_defaults(&s, "zeta", LOGSUB_CLI);
	CHECK_INT(logsub_stage(st, &s, &cause), 0);
	logsub_defaults(&s, "mail_debug", LOGSUB_MAIL);
	s.level = LOGFILE_DEBUG;
	s.max_size = 2000;
	s.keep = 2;
	CHECK_INT(logsub_stage(st, &s, &cause), 0);
	CHECK_INT(config_get(st, LOGSUB_SECTION, "mail_debug", &v, &cause), 0);
	CHECK_STR(v, "{\"type\":\"mail_logs\",\"level\":\"Debug\",\"max_size\":2000,\"max_age\":0,"
		     "\"keep\":2}");
	free(v);

	/* the built-in: its settings, only those that differ */
	subs = load(st, &n);
	CHECK_INT(n, 4);
	CHECK_STR(subs[2].name, "mail_debug");
	CHECK_STR(subs[3].name, "zeta");
	s = subs[0];
	free(subs);
	s.level = LOGFILE_WARNING;
	s.keep = 3;
	CHECK_INT(config_pending(st), 2);
	CHECK_INT(logsub_stage(st, &s, &cause), 0);
	CHECK_INT(config_pending(st), 4);
	v = settings_get(st, "log.mail_logs.level");
	CHECK_STR(v, "warning");
	free(v);
	CHECK_INT(settings_get_int(st, "log.mail_logs.keep"), 3);
	CHECK_INT(config_get(st, SETTINGS_SECTION, "log.mail_logs.max_size", &v, &cause), 0);
	CHECK(v == NULL);	/* unchanged: not staged */

	/* a built-in keeps its type and stays */
	s.type = LOGSUB_CLI;
	CHECK(logsub_stage(st, &s, &cause) < 0);
	free(cause);
	cause = NULL;
	CHECK_INT(config_pending(st), 4);
	CHECK(logsub_unstage(st, "mail_logs", &cause) < 0);
	free(cause);
	cause = NULL;

	/* pending: nobody else sees it */
	other = open_store(dir, STORE_SESSION);
	run = open_store(dir, STORE_RUNNING);
	subs = load(other, &n);
	CHECK_INT(n, 2);
	free(subs);
	commit(st);
	subs = load(run, &n);
	CHECK_INT(n, 4);
	CHECK_INT(subs[0].level, LOGFILE_WARNING);
	CHECK_INT(subs[0].keep, 3);
	CHECK_INT(subs[2].max_size, 2000);
	free(subs);

	/* resolve: by exact name; an unknown one lists the others */
	{
		char d[512], p[16];

		CHECK_INT(logsub_resolve(run, "mail_debug", d, sizeof(d), p, sizeof(p), &cause), 0);
		CHECK(strstr(d, "/logs/mail_debug") != NULL);
		CHECK_STR(p, "mail");
		CHECK_INT(logsub_resolve(run, "zeta", d, sizeof(d), p, sizeof(p), &cause), 0);
		CHECK_STR(p, "cli");
		CHECK(logsub_resolve(run, "MAIL_DEBUG", d, sizeof(d), p, sizeof(p), &cause) < 0);
		CHECK_STR(cause, "Unknown log 'MAIL_DEBUG': the logs are mail_logs, cli_logs, "
				 "mail_debug, zeta.");
		free(cause);
		cause = NULL;
	}

	/* deleted, committed: gone for the daemon */
	CHECK_INT(logsub_unstage(st, "zeta", &cause), 0);
	commit(st);
	subs = load(run, &n);
	CHECK_INT(n, 3);
	CHECK(logsub_find(subs, n, "zeta") < 0);
	CHECK_INT(logsub_find(subs, n, "mail_debug"), 2);
	free(subs);

	/* a damaged item is named, not skipped */
	CHECK_INT(config_set(st, LOGSUB_SECTION, "broken", "{\"type\":1}", &cause), 0);
	CHECK(logsub_load(st, &subs, &n, &cause) < 0);
	CHECK(strstr(cause, "broken") != NULL);
	free(cause);
	store_close(other);
	store_close(run);
	store_close(st);
}

/* test_out - files follow the list; each line at each file's level */
static void
test_out(void)
{
	char *dir = unit_tmpdir(), *cause = NULL, *a, *b, *m, *path;
	struct logsub subs[4];
	struct logsub_out *o = logsub_out_new(dir, LOGSUB_MAIL);
	struct logfile *keepme;
	struct stat sb;

	logsub_defaults(&subs[0], "mail_logs", LOGSUB_MAIL);
	logsub_defaults(&subs[1], "cli_logs", LOGSUB_CLI);
	logsub_defaults(&subs[2], "dbg", LOGSUB_MAIL);
	subs[2].level = LOGFILE_DEBUG;
	logsub_defaults(&subs[3], "warn", LOGSUB_MAIL);
	subs[3].level = LOGFILE_WARNING;

	CHECK(!logsub_out_wants(o, LOGFILE_CRITICAL));
	CHECK_INT(logsub_out_apply(o, subs, 1, &cause), 0);
	CHECK(logsub_out_wants(o, LOGFILE_INFO));
	CHECK(!logsub_out_wants(o, LOGFILE_DEBUG));
	keepme = logsub_out_get(o, "mail_logs");
	CHECK(keepme != NULL);
	CHECK_INT(logsub_out_apply(o, subs, 4, &cause), 0);
	CHECK(logsub_out_get(o, "mail_logs") == keepme);	/* kept open, not reopened */
	CHECK(logsub_out_get(o, "cli_logs") == NULL);		/* not this process's type */
	CHECK(logsub_out_wants(o, LOGFILE_DEBUG));
	CHECK(!logsub_out_wants(o, LOGFILE_TRACE));

	logsub_out_write(o, LOGFILE_INFO, "info %d", 1);
	logsub_out_write(o, LOGFILE_DEBUG, "debug %d", 2);
	logsub_out_write(o, LOGFILE_WARNING, "warning %d", 3);
	logsub_out_write(o, LOGFILE_TRACE, "trace %d", 4);

	path = str_printf("%s/logs/mail_logs/mail.current", dir);
	m = file_text(path);
	free(path);
	path = str_printf("%s/logs/dbg/mail.current", dir);
	a = file_text(path);
	free(path);
	path = str_printf("%s/logs/warn/mail.current", dir);
	b = file_text(path);
	CHECK(strstr(m, "Info: info 1\n") && !strstr(m, "debug 2") && strstr(m, "Warning: warning 3"));
	CHECK(strstr(a, "Info: info 1\n") && strstr(a, "Debug: debug 2\n") &&
	    strstr(a, "warning 3") && !strstr(a, "trace"));
	CHECK(!strstr(b, "info 1") && !strstr(b, "debug 2") && strstr(b, "Warning: warning 3\n"));
	free(m);
	free(a);
	free(b);
	free(path);
	path = str_printf("%s/logs/cli_logs", dir);
	CHECK(stat(path, &sb) < 0);	/* never opened by the mail writer */
	free(path);

	/* dropped from the list: closed, no longer written */
	CHECK_INT(logsub_out_apply(o, subs, 2, &cause), 0);
	CHECK(logsub_out_get(o, "dbg") == NULL);
	CHECK(!logsub_out_wants(o, LOGFILE_DEBUG));
	logsub_out_write(o, LOGFILE_INFO, "after %d", 5);
	path = str_printf("%s/logs/dbg/mail.current", dir);
	a = file_text(path);
	CHECK(!strstr(a, "after 5"));
	free(a);
	free(path);

	/* one that cannot be opened is named; the others are still applied */
	path = str_printf("%s/logs/blocked", dir);
	CHECK_INT(fs_mkdirs(path, 0700), 0);
	free(path);
	path = str_printf("%s/logs/blocked/mail.current", dir);
	CHECK_INT(mkdir(path, 0700), 0);	/* a directory where the file should be */
	free(path);
	logsub_defaults(&subs[1], "blocked", LOGSUB_MAIL);
	subs[2].max_size = 100;
	CHECK(logsub_out_apply(o, subs, 3, &cause) < 0);
	CHECK(strstr(cause, "blocked") != NULL);
	free(cause);
	CHECK(logsub_out_get(o, "dbg") != NULL);
	logsub_out_free(o);
}

/*
 * test_rollover_race - another process (rollovernow) rolls the file while
 * this writer still counts the old one past its max_size: the writer
 * follows the new file instead of rolling it (no empty rolled file
 * pushing a real one out of keep)
 */
static void
test_rollover_race(void)
{
	char *dir = unit_tmpdir(), *cause = NULL, *cur, *path;
	struct logfile *a = logfile_open(dir, "mail", &cause), *b;
	struct logset set;

	CHECK(a != NULL);
	logfile_set_rollover(a, 200, 0, 2);
	CHECK_INT(logfile_write(a, LOGFILE_INFO, "%0100d", 1), 0);
	b = logfile_open(dir, "mail", &cause);
	CHECK(b != NULL);
	CHECK_INT(logfile_rollover(b), 0);
	CHECK_INT(logfile_write(b, LOGFILE_INFO, "from the other process"), 0);
	CHECK_INT(logfile_write(a, LOGFILE_INFO, "%0100d", 2), 0);	/* past 200 as a counted */
	CHECK_INT(logset_list(dir, "mail", "*", &set, &cause), 0);
	CHECK_INT(set.n, 2);	/* one rolled file, and the current one */
	CHECK(!set.f[0].current);
	path = str_dup(set.f[1].path);
	logset_free(&set);
	cur = file_text(path);
	CHECK(strstr(cur, "from the other process") && strstr(cur, "0000002\n"));
	free(cur);
	free(path);
	logfile_close(a);
	logfile_close(b);
}

static const struct unit_case cases[] = {
	{ "names", test_names },
	{ "keys", test_keys },
	{ "encode_decode", test_encode_decode },
	{ "store", test_store },
	{ "out", test_out },
	{ "rollover_race", test_rollover_race },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("logsub", cases, argc, argv);
}
