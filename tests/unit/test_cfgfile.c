/*
 * test_cfgfile.c - the configuration file (mail/cfgfile.c) and the
 * whole-configuration store functions (store/cfgio.c): round trips masked
 * and encrypted, a wrong passphrase, a secret moved to another item, every
 * refusal of a damaged file placed by line and column (truncation at
 * every length included), the schema migration of an older file,
 * staging a file as a candidate, all or nothing, and the check of the
 * staged items with mxgated's parsers (mail/confcheck.h): a bad
 * listener, route, filter or policy undoes the staging and is named.
 */
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "mail/cfgfile.h"
#include "mail/confcheck.h"
#include "store/cfgio.h"
#include "store/config.h"
#include "store/store.h"
#include "tests/unit/unit.h"
#include "util/str.h"

/* sample - a file with plain items, a secret and an empty secret */
static void
sample(struct cfgfile *f)
{
	cfgfile_init(f);
	f->version = str_dup("0.1.0");
	f->hostname = str_dup("gw.test");
	f->saved = str_dup("2026-12-07T05:00:00Z");
	f->schema = STORE_SCHEMA_VERSION;
	f->commit = 7;
	cfgfile_add(f, "listener", "inbound", "{\"ip\":\"127.0.0.1\",\"port\":2525}", 0);
	cfgfile_add(f, "setting", "tdc.client_secret", "TopSecret \"quoted\"\nline", 1);
	cfgfile_add(f, "setting", "tdc.api_key", "KeyValue-1", 1);
	cfgfile_add(f, "setting", "tls.server_key", "", 1);
	cfgfile_add(f, "setting", "system.hostname", "gw.test", 0);
}

/* same_items - b holds a's items, in order, with the same values */
static void
same_items(const struct cfgfile *a, const struct cfgfile *b)
{
	CHECK_INT(b->n, a->n);
	for (size_t i = 0; i < a->n; i++) {
		CHECK_STR(b->items[i].section, a->items[i].section);
		CHECK_STR(b->items[i].key, a->items[i].key);
		CHECK_STR(b->items[i].value, a->items[i].value);
	}
}

static void
test_round_trip_masked(void)
{
	struct cfgfile f, g;
	char *cause = NULL, *text;

	sample(&f);
	text = cfgfile_write(&f, NULL, &cause);
	CHECK(text != NULL);
	CHECK(strstr(text, "TopSecret") == NULL);
	CHECK(strstr(text, "KeyValue") == NULL);
	if (cfgfile_parse(text, strlen(text), &g, &cause) < 0)
		UNIT_FAIL("parse: %s", cause);
	CHECK_INT(g.secrets, CFGFILE_MASKED);
	CHECK_INT(g.schema, STORE_SCHEMA_VERSION);
	CHECK_INT(g.commit, 7);
	CHECK_STR(g.hostname, "gw.test");
	CHECK_INT(g.n, 5);
	CHECK_STR(g.items[1].value, CFGFILE_MASK);
	CHECK_INT(g.items[1].secret, 1);
	/* the empty secret hides nothing: a plain value */
	CHECK_INT(g.items[3].secret, 0);
	CHECK_INT(cfgfile_masked(&g), 2);
	CHECK_STR(g.items[0].value, f.items[0].value);
	free(text);
	cfgfile_free(&f);
	cfgfile_free(&g);
}

static void
test_round_trip_encrypted(void)
{
	struct cfgfile f, g;
	char *cause = NULL, *text;

	sample(&f);
	text = cfgfile_write(&f, "correct horse", &cause);
	CHECK(text != NULL);
	CHECK(strstr(text, "TopSecret") == NULL);
	CHECK(strstr(text, "KeyValue") == NULL);
	if (cfgfile_parse(text, strlen(text), &g, &cause) < 0)
		UNIT_FAIL("parse: %s", cause);
	CHECK_INT(g.secrets, CFGFILE_ENCRYPTED);
	CHECK_INT(cfgfile_masked(&g), 0);
	/* a file leaves the gateway: the key derivation costs libsodium's moderate limits */
	CHECK(g.opslimit == crypto_pwhash_OPSLIMIT_MODERATE);
	CHECK(g.memlimit == crypto_pwhash_MEMLIMIT_MODERATE);
	/* a wrong passphrase: one line, the file as it was */
	CHECK_INT(cfgfile_unseal(&g, "wrong horse", &cause), -1);
	CHECK_STR(cause, "the passphrase is not the one the file was saved with");
	free(cause);
	CHECK(strcmp(g.items[1].value, f.items[1].value) != 0);
	if (cfgfile_unseal(&g, "correct horse", &cause) < 0)
		UNIT_FAIL("unseal: %s", cause);
	same_items(&f, &g);
	free(text);
	cfgfile_free(&f);
	cfgfile_free(&g);
}

/* A sealed value moved to another item is refused, placed at that item. */
static void
test_moved_secret(void)
{
	struct cfgfile f, g;
	char *cause = NULL, *text, *a, *b, *ea, *eb, *moved;

	sample(&f);
	text = cfgfile_write(&f, "correct horse", &cause);
	CHECK(text != NULL);
	/* the second secret's sealed value replaced by the first one's */
	a = strstr(text, "\"secret\":");
	CHECK(a != NULL);
	b = strstr(a + 1, "\"secret\":");
	CHECK(b != NULL);
	a = strchr(a + 9, '"') + 1;
	b = strchr(b + 9, '"') + 1;
	ea = strchr(a, '"');
	eb = strchr(b, '"');
	moved = str_printf("%.*s%.*s%s", (int)(b - text), text, (int)(ea - a), a, eb);
	if (cfgfile_parse(moved, strlen(moved), &g, &cause) < 0)
		UNIT_FAIL("parse: %s", cause);
	CHECK_INT(cfgfile_unseal(&g, "correct horse", &cause), -1);
	CHECK(strncmp(cause, "line ", 5) == 0);
	CHECK(strstr(cause, "the secret of setting tdc.api_key cannot be opened") != NULL);
	free(cause);
	free(moved);
	free(text);
	cfgfile_free(&f);
	cfgfile_free(&g);
}

struct bad_case {
	const char *text;
	size_t line, column;
	const char *what;		/* a piece of the cause */
};

#define HDR "{\"format\":1,\"product\":\"mxgate\",\"version\":\"0.1.0\",\"hostname\":\"h\"," \
	"\"saved\":\"s\",\"schema\":3,\"commit\":1,"

static const struct bad_case bad_cases[] = {
	{ "", 1, 1, "the file is empty" },
	{ "{", 1, 2, "truncated" },
	{ "{\n  \"format\": 1,\n  x}", 3, 4, "not valid JSON near" },
	{ "{\"product\":\"mx", 1, 15, "truncated" },
	{ "[]", 1, 1, "a JSON object is expected" },
	{ "{} garbage", 1, 4, "text after the end" },
	{ "{\"format\":1}", 1, 1, "\"product\" must be given" },
	{ "{\"product\":\"other\"}", 1, 12, "not an mxgate configuration file" },
	{ "{\"product\":\"mxgate\",\n\"format\":2}", 2, 10, "format 2 is newer" },
	{ "{\"product\":\"mxgate\",\"format\":\"1\"}", 1, 30, "\"format\" must be a whole number" },
	/* beyond long long: refused, not cast (fuzz_cfgfile found the cast) */
	{ "{\"product\":\"mxgate\",\"format\":1777777777777777777777777777777777777777777}", 1, 30,
	    "\"format\" must be a whole number" },
	{ "{\"product\":\"mxgate\",\"format\":-1e300}", 1, 30, "\"format\" must be a whole number" },
	{ "{\"product\":\"mxgate\",\"format\":1,\"schema\":99}", 1, 41, "schema 99, newer" },
	{ HDR "\"secrets\":\"plain\",\"items\":[]}", 1, 109, "\"secrets\" must be" },
	{ HDR "\"secrets\":\"masked\",\"items\":{}}", 1, 126, "\"items\" must be an array" },
	{ HDR "\"secrets\":\"masked\",\"items\":[\n {\"section\":\"a\",\"key\":\"b\",\"value\":\"c\"},\n"
	    " {\"section\":\"a\",\"value\":\"c\"}]}", 3, 2, "item 2: \"key\" must be" },
	{ HDR "\"secrets\":\"masked\",\"items\":[\n {\"section\":\"a\",\"key\":\"b\",\"value\":\"c\","
	    "\"secret\":\"*****\"}]}", 2, 2, "either \"value\" or \"secret\"" },
	{ HDR "\"secrets\":\"masked\",\"items\":[\n {\"section\":\"a\",\"key\":\"b\",\"value\":\"c\"},\n"
	    " {\"section\":\"a\",\"key\":\"b\",\"value\":\"d\"}]}", 3, 2, "given twice (first at line 2)" },
	{ HDR "\"secrets\":\"masked\",\"items\":[\n {\"section\":\"a\",\"key\":\"b\",\"secret\":\"x\"}]}",
	    2, 2, "a masked file holds a secret only as" },
	{ HDR "\"secrets\":\"masked\",\"items\":[\n {\"section\":\"a\\n\",\"key\":\"b\",\"value\":\"x\"}]}",
	    2, 2, "\"section\" must be a name" },
	{ HDR "\"secrets\":\"encrypted\",\"items\":[]}", 1, 1, "needs \"kdf\"" },
	{ HDR "\"secrets\":\"encrypted\",\"kdf\":{\"alg\":\"argon2id13\",\"salt\":"
	    "\"AAAAAAAAAAAAAAAAAAAAAA==\",\"opslimit\":2,\"memlimit\":1e12,\"check\":\"x\"},"
	    "\"items\":[]}", 1, 127, "\"memlimit\" must be" },
	{ "{\"a\":\"\0\"}", 1, 7, "a NUL byte" },
	/* cJSON takes the first, a reader sees the last: refused, the second one placed */
	{ "{\"product\":\"mxgate\",\"format\":1,\n\"product\":\"other\"}", 2, 11,
	    "\"product\" is given twice" },
	{ NULL, 0, 0, NULL },
};

static void
test_parse_errors(void)
{
	int failed = 0;

	for (const struct bad_case *b = bad_cases; b->text; b++) {
		struct cfgfile f;
		char *cause = NULL, want[64];
		size_t len = strlen(b->text);

		if (b->what && strcmp(b->what, "a NUL byte") == 0)
			len = 9;
		if (cfgfile_parse(b->text, len, &f, &cause) == 0) {
			fprintf(stderr, "accepted: %s\n", b->text);
			failed++;
			cfgfile_free(&f);
			continue;
		}
		snprintf(want, sizeof(want), "line %zu, column %zu: ", b->line, b->column);
		if (strncmp(cause, want, strlen(want)) != 0 || strstr(cause, b->what) == NULL) {
			fprintf(stderr, "%s\n  got: %s\n  want: %s...%s\n", b->text, cause, want,
			    b->what);
			failed++;
		}
		free(cause);
	}
	CHECK_INT(failed, 0);
}

/* Every truncation of a good file is refused, placed, and leaks nothing (ASan). */
static void
test_truncated(void)
{
	struct cfgfile f, g;
	char *cause = NULL, *text;
	size_t len;

	sample(&f);
	text = cfgfile_write(&f, "correct horse", &cause);
	CHECK(text != NULL);
	len = strlen(text);
	for (size_t n = 0; n < len; n++) {
		/* the closing brace and what follows it are the only optional bytes */
		if (cfgfile_parse(text, n, &g, &cause) == 0)
			UNIT_FAIL("a file cut at %zu of %zu bytes was accepted", n, len);
		if (strncmp(cause, "line ", 5) != 0 || strstr(cause, ", column ") == NULL)
			UNIT_FAIL("cut at %zu: no position: %s", n, cause);
		free(cause);
	}
	CHECK_INT(cfgfile_parse(text, len, &g, &cause), 0);
	cfgfile_free(&g);
	free(text);
	cfgfile_free(&f);
}

struct collect {
	char out[1024];
};

static int
collect_item(const char *section, const char *key, const char *value, int secret, void *arg)
{
	struct collect *c = arg;
	size_t n = strlen(c->out);

	snprintf(c->out + n, sizeof(c->out) - n, "%s %s=%s%s;", section, key, value,
	    secret ? "(s)" : "");
	return 0;
}

/* same_secret - cfgio_item_cb: a secret's value is the caller's own pointer (arg: the items) */
static int
same_secret(const char *section, const char *key, const char *value, int secret, void *arg)
{
	const struct cfgio_item *items = arg;

	if (secret && value != items[0].value)
		UNIT_FAIL("%s %s: the secret came back as a copy '%s'", section, key, value);
	return 0;
}

/* An older schema's items go through config.db's own migrations. */
static void
test_migrate(void)
{
	const struct cfgio_item items[] = {
		{ "setting", "tdc.api_key", "K" },
		{ "listener", "in", "{}" },
	};
	struct collect c = { "" };
	char *cause = NULL;

	for (int schema = 1; schema <= STORE_SCHEMA_VERSION; schema++) {
		c.out[0] = '\0';
		if (cfgio_migrate(schema, items, 2, collect_item, &c, &cause) < 0)
			UNIT_FAIL("schema %d: %s", schema, cause);
		CHECK_STR(c.out, "listener in={};setting tdc.api_key=K(s);");
		/* the secret never went into the in-memory database: its own value comes back */
		if (cfgio_migrate(schema, items, 2, same_secret, (void *)items, &cause) < 0)
			UNIT_FAIL("schema %d: %s", schema, cause);
	}
	CHECK_INT(cfgio_migrate(0, items, 2, collect_item, &c, &cause), -1);
	free(cause);
	CHECK_INT(cfgio_migrate(STORE_SCHEMA_VERSION + 1, items, 2, collect_item, &c, &cause), -1);
	free(cause);
}

/* list_pending - config_change_cb into a string */
static int
list_pending(const char *section, const char *key, const char *oldv, const char *newv,
    void *arg)
{
	struct collect *c = arg;
	size_t n = strlen(c->out);

	snprintf(c->out + n, sizeof(c->out) - n, "%s %s %s>%s;", section, key,
	    oldv ? oldv : "-", newv ? newv : "-");
	return 0;
}

/* A file becomes the candidate: missing items deleted, the rest set; all or nothing. */
static void
test_stage(void)
{
	struct store *st;
	struct collect c = { "" };
	char *cause = NULL, *v = NULL;
	long bad = 0;
	const struct cfgio_item file[] = {
		{ "smtproutes", "b.test", "127.0.0.1:25" },
		{ "setting", "tdc.api_key", "NewKey" },
		{ "setting", "system.hostname", "gw.test" },
	};
	const struct cfgio_item badfile[] = {
		{ "smtproutes", "c.test", "127.0.0.1:25" },
		{ "setting", "no.such.setting", "x" },
	};

	if (store_open(unit_tmpdir(), STORE_SESSION, &st, &cause) < 0)
		UNIT_FAIL("store_open: %s", cause);
	CHECK_INT(config_set(st, "smtproutes", "a.test", "127.0.0.1:25", &cause), 0);
	CHECK_INT(config_set(st, "setting", "system.hostname", "gw.test", &cause), 0);
	CHECK_INT(config_set(st, "setting", "tdc.api_key", "OldKey", &cause), 0);
	CHECK_INT(config_commit(st, "t", "base", NULL, &cause), 0);

	/* the mask as a secret's value would replace the secret: refused, nothing staged */
	{
		const struct cfgio_item masked[] = {
			{ "smtproutes", "c.test", "127.0.0.1:25" },
			{ "setting", "tdc.api_key", "*****" },
		};

		CHECK_INT(cfgio_stage(st, masked, 2, NULL, NULL, &bad, &cause), -1);
		CHECK_INT(bad, 1);
		CHECK_STR(cause, "a secret cannot be \"*****\"");
		free(cause);
		CHECK_INT(config_pending(st), 0);
	}
	/* a refused item: nothing staged, the culprit named */
	CHECK_INT(cfgio_stage(st, badfile, 2, NULL, NULL, &bad, &cause), -1);
	CHECK_INT(bad, 1);
	free(cause);
	CHECK_INT(config_pending(st), 0);

	CHECK_INT(cfgio_stage(st, file, 3, NULL, NULL, &bad, &cause), 0);
	CHECK_INT(config_pending_list(st, list_pending, &c, &cause), 0);
	CHECK_STR(c.out, "setting tdc.api_key changed>changed;smtproutes a.test 127.0.0.1:25>-;"
	    "smtproutes b.test ->127.0.0.1:25;");
	CHECK_INT(config_get(st, "setting", "tdc.api_key", &v, &cause), 0);
	CHECK_STR(v, "NewKey");
	free(v);
	/* with changes pending, a second file is refused */
	CHECK_INT(cfgio_stage(st, file, 3, NULL, NULL, &bad, &cause), -1);
	CHECK(strstr(cause, "commit or clear them first") != NULL);
	free(cause);
	CHECK_INT(config_commit(st, "t", "load", NULL, &cause), 0);

	/* the factory configuration: no item */
	CHECK_INT(cfgio_stage_reset(st, &cause), 0);
	CHECK_INT(config_pending(st), 3);
	CHECK_INT(config_commit(st, "t", "resetconfig", NULL, &cause), 0);
	c.out[0] = '\0';
	CHECK_INT(cfgio_running(st, CFGIO_OPEN, collect_item, &c, NULL, &cause), 0);
	CHECK_STR(c.out, "");
	store_close(st);
}

/*
 * Sealed, the running items need no key: a lost secret.key does not stop
 * showconfig, and a set secret reads as set, an empty one as empty.
 */
static void
test_running_sealed(void)
{
	struct store *st;
	struct collect c = { "" };
	char *cause = NULL, *path;

	if (store_open(unit_tmpdir(), STORE_SESSION, &st, &cause) < 0)
		UNIT_FAIL("store_open: %s", cause);
	CHECK_INT(config_set(st, "setting", "tdc.api_key", "Key-1", &cause), 0);
	CHECK_INT(config_set(st, "setting", "tdc.client_secret", "", &cause), 0);
	CHECK_INT(config_set(st, "setting", "system.hostname", "gw.test", &cause), 0);
	CHECK_INT(config_commit(st, "t", "base", NULL, &cause), 0);
	path = str_printf("%s/secret.key", store_dir(st));
	CHECK_INT(unlink(path), 0);
	free(path);
	/* opened, the secret needs the key */
	CHECK_INT(cfgio_running(st, CFGIO_OPEN, collect_item, &c, NULL, &cause), -1);
	free(cause);
	c.out[0] = '\0';
	CHECK_INT(cfgio_running(st, CFGIO_SEALED, collect_item, &c, NULL, &cause), 0);
	CHECK_STR(c.out, "setting system.hostname=gw.test;setting tdc.api_key=*****(s);"
	    "setting tdc.client_secret=(s);");
	store_close(st);
}

/* check_items - config_check_cb: confcheck_items, w in arg */
static int
check_items(struct store *st, void *arg, char **cause)
{
	return confcheck_items(st, arg, cause);
}

#define GOOD_LISTENER "{\"ip\":\"127.0.0.1\",\"port\":2525,\"type\":\"public\"," \
	"\"domains\":[\"@a.test\"],\"max_size\":10485760,\"max_rcpts\":1000," \
	"\"max_conns\":1000,\"tls\":\"no\"}"
#define GOOD_FILTER "{\"text\":\"stamp: if subject == \\\"^x$\\\" { " \
	"insert-header(\\\"X-S\\\", \\\"1\\\"); }\",\"active\":true}"

/*
 * Items mxgated could not read are refused when staged with the check:
 * each names its section and key, and nothing stays pending; the same
 * items without the bad one stage.
 */
static void
test_stage_check(void)
{
	static const struct {
		const char *section, *key, *value;	/* the bad item */
		const char *why;			/* in the cause */
	} bad[] = {
		{ "listener", "Bad", "{\"ip\":\"127.0.0.1\",\"port\":99999,\"type\":\"public\","
		    "\"domains\":[\"@a.test\"]}", "Invalid port '99999'" },
		{ "listener", "Bad", "{\"ip\":\"127.0.0.1\",\"port\":25,\"type\":\"public\"}",
		    "" },
		{ "listener", "Bad", "not json", "not a JSON object" },
		/* could not bind beside In (read before it: keys in order) */
		{ "listener", "Zed", GOOD_LISTENER,
		    "the listener In already listens on 127.0.0.1 port 2525." },
		{ "listener", "in", GOOD_LISTENER, "the listener In has the same name" },
		{ "smtproutes", "c.test", "127.0.0.1:99999", "" },
		{ "smtproutes", "bad_domain!", "127.0.0.1:25", "Invalid domain" },
		{ "smtproutes", "all", "127.0.0.1:25", "must be written ALL" },
		{ "smtproutes", "d.test", "127.0.0.1:25,,x.test", "Empty destination" },
		{ "filter", "Bad", "{\"text\":\"Bad: if subject == { }\",\"active\":true}",
		    "does not compile" },
		{ "filter", "Other", GOOD_FILTER, "does not compile: its text is the filter" },
		{ "contentfilter", "Bad", "{\"text\":\"nonsense\"}", "does not compile" },
		{ "destconfig", "e.test", "[1]", "not a JSON object" },
	};
	struct confcheck_where w;
	struct store *st;
	char *cause = NULL;
	long where = 0;
	struct cfgio_item file[] = {
		{ "listener", "In", GOOD_LISTENER },
		{ "smtproutes", "b.test", "127.0.0.1:2526" },
		{ "filter", "stamp", GOOD_FILTER },
		{ NULL, NULL, NULL },
	};

	if (store_open(unit_tmpdir(), STORE_SESSION, &st, &cause) < 0)
		UNIT_FAIL("store_open: %s", cause);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		file[3] = (struct cfgio_item){ bad[i].section, bad[i].key, bad[i].value };
		cause = NULL;
		CHECK_INT(cfgio_stage(st, file, 4, check_items, &w, &where, &cause), -1);
		CHECK_INT(where, -1);
		CHECK_STR(w.section, bad[i].section);
		CHECK_STR(w.key, bad[i].key);
		if (cause == NULL || strstr(cause, bad[i].why) == NULL)
			UNIT_FAIL("case %zu: cause '%s'", i, cause ? cause : "(null)");
		free(cause);
		CHECK_INT(config_pending(st), 0);
	}
	/* the good items alone stage, and read back as mxgated reads them */
	CHECK_INT(cfgio_stage(st, file, 3, check_items, &w, &where, &cause), 0);
	CHECK_INT(config_pending(st), 3);
	CHECK_INT(confcheck_items(st, &w, &cause), 0);
	CHECK_INT(config_clear(st, &cause), 0);
	store_close(st);
}

/* The sections mxgated reads are known; others are not. */
static void
test_sections_known(void)
{
	static const char *const known[] = { "setting", "listener", "smtproutes", "destconfig",
		"policy.incoming", "policy.incoming.order", "policy.outgoing",
		"policy.outgoing.order", "addresslist", "quarantine", "filter", "filter.order",
		"contentfilter", "logsub", "sdr.blocklist", "sdr.local", "sdr.feed",
		"remediation.profile", "remediation.secret", "alert.rcpt", NULL };

	for (int i = 0; known[i]; i++)
		CHECK_INT(confcheck_section_known(known[i]), 1);
	CHECK_INT(confcheck_section_known("listeners"), 0);
	CHECK_INT(confcheck_section_known("Listener"), 0);
	CHECK_INT(confcheck_section_known("policy"), 0);
	CHECK_INT(confcheck_section_known(""), 0);
}

static const struct unit_case cases[] = {
	{ "round_trip_masked", test_round_trip_masked },
	{ "round_trip_encrypted", test_round_trip_encrypted },
	{ "moved_secret", test_moved_secret },
	{ "parse_errors", test_parse_errors },
	{ "truncated", test_truncated },
	{ "migrate", test_migrate },
	{ "stage", test_stage },
	{ "stage_check", test_stage_check },
	{ "running_sealed", test_running_sealed },
	{ "sections_known", test_sections_known },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("cfgfile", cases, argc, argv);
}
