/*
 * test_cmdkeys.c - the sub-command dispatcher, the key=value parser and
 * their completion (commands/cmd_keys.c), on a made-up command "demo"
 * (a further level of sub-commands, literal positional words, comma
 * joins, refused keys and per-sub-command usage included) and on the
 * real commands declared with cmd_sub tables.
 *
 * Each case is a table row: a line, the error printed (or the values the
 * sub-command received), or the completion candidates.
 */
#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "shell/complete.h"
#include "tests/unit/unit.h"
#include "util/argv.h"
#include "util/buf.h"
#include "util/str.h"

/* ------------------------------------------------------------ a made-up command */

/* What the keys were set to, and in which order. */
struct demo_vals {
	struct buf log;		/* "key=value;" per set call, in call order */
};

static int
demo_set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	struct demo_vals *v = obj;

	if (strcmp(value, "refuse") == 0) {
		*cause = str_printf("The model refuses %s.", k->name);
		return -1;
	}
	buf_printf(&v->log, "%s=%s;", k->name, value);
	return 0;
}

static const char *const colours[] = { "red", "green", "blue", NULL };

static const struct cmd_key demo_keys[] = {
	{ .name = "mode", .type = CMD_KEY_ENUM, .values = colours, .check = cmd_keys_enum,
	    .flags = CMD_KEY_FIRST, .help = "red, green or blue" },
	{ .name = "port", .type = CMD_KEY_INT, .min = 1, .max = 65535, .check = cmd_keys_int,
	    .help = "TCP port" },
	{ .name = "hosts", .type = CMD_KEY_LIST, .help = "hosts, comma-separated" },
	{ .name = "on", .type = CMD_KEY_YESNO, .check = cmd_keys_yesno, .help = "yes or no" },
	{ .name = "note", .type = CMD_KEY_TEXT, .help = "any text, even empty" },
	{ .name = "conns", .type = CMD_KEY_INT, .setting = "delivery.max_conns",
	    .check = cmd_keys_setting, .help = "a settings_table row checks it" },
	{ .name = NULL },
};

static const struct cmd_keyset demo_keyset = { .keys = demo_keys, .set = demo_set };

/* demo keys without CMD_KEY_FIRST: one pass in the order typed */
static const struct cmd_key flat_keys[] = {
	{ .name = "a", .type = CMD_KEY_TEXT, .help = "a" },
	{ .name = "b", .type = CMD_KEY_INT, .min = 0, .max = 9, .check = cmd_keys_int,
	    .help = "b" },
	{ .name = NULL },
};

static const struct cmd_keyset flat_keyset = {
	.keys = flat_keys,
	.set = demo_set,
	.syntax = "use a=TEXT or b=DIGIT",
};

/* a key whose stray words are not echoed (they may be paths or secrets) */
static const struct cmd_key quiet_keys[] = {
	{ .name = "path", .type = CMD_KEY_TEXT, .help = "a file" },
	{ .name = NULL },
};

static const struct cmd_keyset quiet_keyset = {
	.keys = quiet_keys,
	.set = demo_set,
	.syntax = "demo secret takes path=PATH",
	.flags = CMD_KEYS_NO_ECHO,
};

static const char *const quiet_required[] = { "path", NULL };

/* a further level's keys: a comma-joined list, its own unknown-key words, a refused key */
static const struct cmd_key level_keys[] = {
	{ .name = "members", .type = CMD_KEY_LIST, .help = "members, comma-separated" },
	{ .name = "name", .type = CMD_KEY_TEXT, .help = "a name" },
	{ .name = NULL },
};

static const char *const level_refused[] = { "colour", NULL };

static const struct cmd_keyset level_keyset = {
	.keys = level_keys,
	.set = demo_set,
	.unknown = "demo level add takes members= and name=",
	.refused = level_refused,
	.refused_why = "Colours belong to the other level.",
	.flags = CMD_KEYS_JOIN_COMMA,
};

/* The sub-command's exec records what it got here. */
static struct buf got;

static enum cmd_ret
demo_exec(struct cli *c, const struct cmd_call *call)
{
	struct demo_vals v;
	unsigned given = 0;

	if (call->parent)
		buf_printf(&got, "%s/", call->parent->sub->name);
	buf_printf(&got, "%s", call->sub->name ? call->sub->name : "(bare)");
	for (int i = 0; i < call->argc; i++)
		buf_printf(&got, " [%s]", call->argv[i]);
	if (call->sub->keys == NULL)
		return CMD_OK;
	buf_init(&v.log, 0);
	buf_addstr(&v.log, "");
	if (cmd_keys_apply(c, call, &v, &given) < 0) {
		buf_free(&v.log);
		return CMD_ERROR;
	}
	buf_printf(&got, " %s given=%x", v.log.data, given);
	buf_free(&v.log);
	return CMD_OK;
}

static const struct cmd_word demo_name[] = {
	{ "<NAME>", "a name", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word demo_pair2[] = {
	{ "<DEST>", "a destination", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word demo_pair[] = {
	{ "default", "the default", demo_pair2 },
	{ "<DOMAIN>", "a domain", demo_pair2 },
	{ NULL, NULL, NULL },
};

static const struct cmd_word demo_which[] = {
	{ "alpha", "the first", NULL },
	{ "beta", "the second", NULL },
	{ NULL, NULL, NULL },
};

static const char *const demo_required[] = { "mode", "port", NULL };

static const struct cmd_sub level_subs[] = {
	{ .name = "add", .help = "Add one.", .args = demo_name, .min_args = 1,
	    .keys = &level_keyset, .usage = "demo level add NAME members=M,...", .exec = demo_exec },
	{ .name = "show", .help = "Show them.", .usage = "demo level show", .exec = demo_exec },
	{ .exec = NULL },
};

static const struct cmd_sub demo_subs[] = {
	{ .name = "new", .help = "Create one.", .args = demo_name, .min_args = 1,
	    .keys = &demo_keyset, .required = demo_required,
	    .needs = "a new one needs mode=COLOUR and port=N", .exec = demo_exec },
	{ .name = "edit", .help = "Change one.", .args = demo_name, .min_args = 1,
	    .keys = &demo_keyset, .exec = demo_exec },
	{ .name = "empty", .help = "Keys optional.", .args = demo_name, .min_args = 1,
	    .keys = &flat_keyset, .flags = CMD_SUB_KV_OPTIONAL, .exec = demo_exec },
	{ .name = "route", .help = "Two words and more.", .args = demo_pair, .min_args = 2,
	    .max_args = CMD_ARGS_MANY, .flags = CMD_SUB_USAGE_CMD, .exec = demo_exec },
	{ .name = "print", .help = "Show one or all.", .args = demo_name, .max_args = 1,
	    .exec = demo_exec },
	{ .name = "printall", .help = "Show all.", .exec = demo_exec },
	{ .name = "secret", .help = "Never echoes a stray word.", .keys = &quiet_keyset,
	    .required = quiet_required, .needs = "demo secret needs path=PATH",
	    .exec = demo_exec },
	{ .name = "pick", .help = "One of two words.", .args = demo_which, .min_args = 1,
	    .max_args = 1, .exec = demo_exec },
	{ .name = "level", .help = "A further level.", .subs = level_subs, .exec = demo_exec },
	{ .name = NULL, .help = "key=value right after the command.", .keys = &flat_keyset,
	    .exec = demo_exec },
	{ .exec = NULL },
};

static enum cmd_ret
demo_entry_exec(struct cli *c, int argc, char **argv)
{
	return CMD_OK;
}

static const struct cmd_entry demo_entry = {
	.name = "demo",
	.usage = "demo new NAME mode=C port=N\ndemo print [NAME]",
	.help = "A command for the tests.",
	.subs = demo_subs,
	.exec = demo_entry_exec,
};

/* ------------------------------------------------------------ running lines */

static struct buf out;

static int
cap_write(void *arg, const char *p, size_t n, int is_error)
{
	buf_add(&out, p, n);
	return 0;
}

static const struct cli_io cap_io = { NULL, cap_write, NULL, NULL };

/* run - demo LINE through cmd_keys_run; *outp the errors, *gotp what exec saw */
static enum cmd_ret
run(const char *line, const char **outp, const char **gotp)
{
	struct cli c = { .io = &cap_io };
	struct argv a;
	char *cause = NULL;
	enum cmd_ret r;

	buf_reset(&out);
	buf_addstr(&out, "");
	buf_reset(&got);
	buf_addstr(&got, "");
	if (argv_split(line, &a, &cause) < 0)
		UNIT_FAIL("argv_split(%s): %s", line, cause);
	r = cmd_keys_run(&c, &demo_entry, a.argc, a.argv);
	argv_free(&a);
	*outp = out.data;
	*gotp = got.data;
	return r;
}

struct run_case {
	const char *line;
	int ok;			/* CMD_OK expected */
	const char *out;	/* error lines printed */
	const char *got;	/* what the sub-command saw ("" if not run) */
};

#define USAGE(d) "Invalid arguments when processing: " d ". Usage: demo new NAME mode=C " \
	"port=N;demo print [NAME]\n"

static const struct run_case run_cases[] = {
	/* values reach set in the order typed, the CMD_KEY_FIRST key first */
	{ "new x port=25 mode=red", 1, "", "new [x] mode=red;port=25; given=3" },
	{ "new x mode=RED port=25 note=", 1, "",
	    "new [x] mode=red;port=25;note=; given=13" },
	{ "NEW x mode=blue port=1", 1, "", "new [x] mode=blue;port=1; given=3" },
	{ "n x mode=blue port=1", 1, "", "new [x] mode=blue;port=1; given=3" },
	/* unknown key */
	{ "new x mode=red port=25 colour=red", 0,
	    "Unknown key 'colour': use mode, port, hosts, on, note or conns.\n", "new [x]" },
	{ "edit x Port=26", 0, "Unknown key 'Port': use mode, port, hosts, on, note or conns.\n",
	    "edit [x]" },
	/* given twice */
	{ "new x mode=red port=25 port=26", 0, "The key port is given twice; give each key once.\n",
	    "new [x]" },
	{ "edit x mode=red mode=blue", 0, "The key mode is given twice; give each key once.\n",
	    "edit [x]" },
	/* bad type: a number out of range or not a number, a word not in the list */
	{ "new x mode=red port=0", 0,
	    "Invalid port '0': the value must be a number between 1 and 65535.\n", "new [x]" },
	{ "new x mode=red port=25x", 0,
	    "Invalid port '25x': the value must be a number between 1 and 65535.\n", "new [x]" },
	{ "new x mode=purple port=25", 0,
	    "Invalid mode 'purple': the value must be red, green or blue.\n", "new [x]" },
	{ "edit x on=maybe", 0, "Invalid on 'maybe': the value must be yes or no.\n", "edit [x]" },
	{ "edit x on=YES", 1, "", "edit [x] on=yes; given=8" },
	{ "edit x conns=0", 0,
	    "Invalid conns '0': the value must be a number between 1 and 10000.\n", "edit [x]" },
	{ "edit x conns=20", 1, "", "edit [x] conns=20; given=20" },
	/* the model's own refusal, printed as it is */
	{ "edit x note=refuse", 0, "The model refuses note.\n", "edit [x]" },
	/* the FIRST key is checked before the others, wherever it is typed */
	{ "edit x port=0 mode=purple", 0,
	    "Invalid mode 'purple': the value must be red, green or blue.\n", "edit [x]" },
	/* without FIRST keys, errors come in the order typed */
	{ "empty x b=10 c=1", 0,
	    "Invalid b '10': the value must be a number between 0 and 9.\n", "empty [x]" },
	{ "empty x c=1 b=10", 0, "Unknown key 'c': use a or b.\n", "empty [x]" },
	/* missing required key */
	{ "new x mode=red", 0, "Missing port=: a new one needs mode=COLOUR and port=N.\n",
	    "new [x]" },
	{ "new x port=2 note=n", 0, "Missing mode=: a new one needs mode=COLOUR and port=N.\n",
	    "new [x]" },
	/* empty values: text takes them, a number does not */
	{ "edit x note=", 1, "", "edit [x] note=; given=10" },
	{ "edit x port=", 0, "Invalid port '': the value must be a number between 1 and 65535.\n",
	    "edit [x]" },
	{ "edit x mode=", 0, "Invalid mode '': the value must be red, green or blue.\n",
	    "edit [x]" },
	/* words that are not key=value */
	{ "edit x stray", 0,
	    "Invalid argument 'stray': settings are key=value with key mode, port, hosts, on, "
	    "note or conns.\n", "edit [x]" },
	{ "edit x =5", 0,
	    "Invalid argument '=5': settings are key=value with key mode, port, hosts, on, note "
	    "or conns.\n", "edit [x]" },
	{ "empty x a=1 stray", 0, "Invalid argument 'stray': use a=TEXT or b=DIGIT.\n",
	    "empty [x]" },
	/* a list takes the words after it, with or without blanks around commas */
	{ "edit x hosts=a, b ,c note=n", 1, "", "edit [x] hosts=a,b,c;note=n; given=14" },
	{ "edit x hosts=a , b", 1, "", "edit [x] hosts=a,b; given=4" },
	/* positional words: counts and '=' */
	{ "new", 0, USAGE("demo new"), "" },
	{ "new x", 0, USAGE("demo new"), "" },
	{ "new mode=red port=1", 0, USAGE("demo new"), "" },
	{ "empty x", 1, "", "empty [x]  given=0" },
	{ "route a", 0, USAGE("demo"), "" },
	{ "route a b c", 1, "", "route [a] [b] [c]" },
	{ "print", 1, "", "print" },
	{ "print x", 1, "", "print [x]" },
	{ "print x y", 0, USAGE("demo print"), "" },
	{ "printall x", 0, USAGE("demo printall"), "" },
	/* no echo of a stray word; a required key given empty is missing */
	{ "secret /etc/secret.pem", 0, "Invalid argument: demo secret takes path=PATH.\n",
	    "secret" },
	{ "secret path=", 0, "Missing path=: demo secret needs path=PATH.\n", "secret" },
	{ "secret path=/p", 1, "", "secret path=/p; given=1" },
	/* the nameless sub-command takes key=value words right after the name */
	{ "a=1 b=2", 1, "", "(bare) a=1;b=2; given=3" },
	/* unknown and ambiguous sub-commands */
	{ "frob", 0, "Unknown option 'frob' for demo: use new, edit, empty, route, print, printall, "
		     "secret, pick, level, a= or b=.\n", "" },
	{ "p", 0, "Unknown option 'p' for demo: use new, edit, empty, route, print, printall, "
		  "secret, pick, level, a= or b=.\n", "" },
	{ "print", 1, "", "print" },	/* exact beats the longer printall */
	{ "printa", 1, "", "printall" },
	/* a positional word from a list of literals only */
	{ "pick b", 1, "", "pick [b]" },
	{ "pick ALPHA", 1, "", "pick [ALPHA]" },
	{ "pick gamma", 0, "Unknown option 'gamma' for demo pick: use alpha or beta.\n", "" },
	{ "pick", 0, USAGE("demo pick"), "" },
	/* a further level: the parent in the call, its own usage and errors */
	{ "level", 1, "", "level" },
	{ "lev sh", 1, "", "level/show" },
	{ "level add x members=a, b", 1, "", "level/add [x] members=a,b; given=1" },
	{ "level add x members=a ,b name=n", 1, "", "level/add [x] members=a,b;name=n; given=3" },
	{ "level add x members=a,b, c, d", 1, "", "level/add [x] members=a,b,c,d; given=1" },
	{ "level add x members=a b", 0,
	    "Invalid argument 'b': settings are key=value with key members or name.\n",
	    "level/add [x]" },
	{ "level add x members=a colour=red", 0, "Colours belong to the other level.\n",
	    "level/add [x]" },
	{ "level add x size=1", 0, "Unknown key 'size': demo level add takes members= and name=.\n",
	    "level/add [x]" },
	{ "level add x", 0, "Invalid arguments when processing: demo level add. Usage: demo level "
			    "add NAME members=M,...\n", "" },
	{ "level show x", 0, "Invalid arguments when processing: demo level show. Usage: demo "
			     "level show\n", "" },
	{ "level frob", 0, "Unknown option 'frob' for demo level: use add or show.\n", "" },
	{ "level a=1", 0, "Unknown option 'a=1' for demo level: use add or show.\n", "" },
};

static void
test_run_table(void)
{
	buf_init(&out, 0);
	buf_init(&got, 0);
	for (size_t i = 0; i < sizeof(run_cases) / sizeof(run_cases[0]); i++) {
		const struct run_case *t = &run_cases[i];
		const char *o, *g;
		enum cmd_ret r = run(t->line, &o, &g);

		if ((r == CMD_OK) != t->ok)
			UNIT_FAIL("'%s': returned %d; output '%s'", t->line, (int)r, o);
		if (strcmp(o, t->out) != 0)
			UNIT_FAIL("'%s': printed '%s', expected '%s'", t->line, o, t->out);
		if (strcmp(g, t->got) != 0)
			UNIT_FAIL("'%s': the sub-command saw '%s', expected '%s'", t->line, g, t->got);
	}
	buf_free(&out);
	buf_free(&got);
}

/* the helpers on their own */
static void
test_helpers(void)
{
	char v[16], *cause = NULL;

	CHECK_INT(cmd_keys_index(&demo_keyset, "port"), 1);
	CHECK_INT(cmd_keys_index(&demo_keyset, "nope"), -1);
	CHECK_INT(cmd_keys_given(&demo_keyset, 2u, "port"), 1);
	CHECK_INT(cmd_keys_given(&demo_keyset, 1u, "port"), 0);
	CHECK_INT(cmd_keys_given(&demo_keyset, ~0u, "nope"), 0);
	str_copy(v, "Green", sizeof(v));
	CHECK_INT(cmd_keys_enum(&demo_keys[0], v, sizeof(v), &cause), 0);
	CHECK_STR(v, "green");
	str_copy(v, "No", sizeof(v));
	CHECK_INT(cmd_keys_yesno(&demo_keys[3], v, sizeof(v), &cause), 0);
	CHECK_STR(v, "no");
	str_copy(v, "65536", sizeof(v));
	CHECK_INT(cmd_keys_int(&demo_keys[1], v, sizeof(v), &cause), -1);
	CHECK_STR(cause, "Invalid port '65536': the value must be a number between 1 and 65535.");
	free(cause);
	CHECK(cmd_keys_find(demo_subs, "") == NULL);
	CHECK(cmd_keys_find(demo_subs, "e") == NULL);		/* edit, empty */
	CHECK(cmd_keys_find(demo_subs, "ed") == &demo_subs[1]);
	CHECK(cmd_keys_find(demo_subs, "EMPTY") == &demo_subs[2]);
	CHECK(cmd_keys_find(demo_subs, "add") == NULL);		/* one level only */
	CHECK(cmd_keys_find(level_subs, "a") == &level_subs[0]);
}

/* ------------------------------------------------------------ completion */

#define MAXC 16

struct complete_case {
	const char *line;
	int n;
	const char *words[MAXC];	/* in table order */
};

static const struct complete_case demo_complete[] = {
	{ "", 11, { "new", "edit", "empty", "route", "print", "printall", "secret", "pick", "level",
		      "a=", "b=" } },
	{ "pr", 2, { "print", "printall" } },
	{ "a", 1, { "a=" } },
	{ "new ", 1, { "<NAME>" } },
	{ "new x", 1, { "<NAME>" } },
	{ "new x ", 6, { "mode=", "port=", "hosts=", "on=", "note=", "conns=" } },
	{ "n x port=1 ", 6, { "mode=", "port=", "hosts=", "on=", "note=", "conns=" } },
	{ "new x m", 1, { "mode=" } },
	{ "new x mode=", 3, { "mode=red", "mode=green", "mode=blue" } },
	{ "new x mode=g", 1, { "mode=green" } },
	{ "new x MODE=b", 1, { "MODE=blue" } },
	{ "new x on=", 2, { "on=yes", "on=no" } },
	{ "new x port=", 0, { NULL } },
	{ "new x nokey=", 0, { NULL } },
	{ "route ", 2, { "default", "<DOMAIN>" } },
	{ "route d", 2, { "default", "<DOMAIN>" } },
	{ "route default ", 1, { "<DEST>" } },
	{ "route x.example ", 1, { "<DEST>" } },
	{ "route x.example y ", 0, { NULL } },
	{ "print ", 1, { "<NAME>" } },
	{ "print x ", 0, { NULL } },
	{ "printall ", 0, { NULL } },
	{ "frob ", 0, { NULL } },
	{ "a=1 ", 2, { "a=", "b=" } },
	{ "a=1 b", 1, { "b=" } },
	{ "pick ", 2, { "alpha", "beta" } },
	{ "pick b", 1, { "beta" } },
	{ "pick beta ", 0, { NULL } },
	{ "level ", 2, { "add", "show" } },
	{ "level s", 1, { "show" } },
	{ "lev add x ", 2, { "members=", "name=" } },
	{ "level add x members=a, ", 2, { "members=", "name=" } },
	{ "level show ", 0, { NULL } },
	{ "level frob ", 0, { NULL } },
};

/* add_item - cmd_keys_complete's add, into a complete_result */
static void
add_item(void *arg, const char *word, const char *help, int literal)
{
	struct complete_result *r = arg;

	r->items = xrealloc(r->items, sizeof(*r->items) * (size_t)(r->n + 1));
	memset(&r->items[r->n], 0, sizeof(r->items[0]));
	r->items[r->n].word = str_dup(word);
	r->items[r->n].help = help;
	r->items[r->n].literal = literal;
	r->n++;
}

static void
check_candidates(const char *line, const struct complete_result *r, int n,
    const char *const *words)
{
	if (r->n != n) {
		for (int k = 0; k < r->n; k++)
			fprintf(stderr, "  candidate %s\n", r->items[k].word);
		UNIT_FAIL("'%s': %d candidates, expected %d", line, r->n, n);
	}
	for (int k = 0; k < n; k++) {
		if (strcmp(r->items[k].word, words[k]) != 0)
			UNIT_FAIL("'%s': candidate %d is '%s', expected '%s'", line, k,
			    r->items[k].word, words[k]);
		CHECK(r->items[k].help != NULL && *r->items[k].help != '\0');
		CHECK_INT(r->items[k].literal, words[k][0] != '<');
	}
}

static void
test_complete_demo(void)
{
	for (size_t i = 0; i < sizeof(demo_complete) / sizeof(demo_complete[0]); i++) {
		const struct complete_case *t = &demo_complete[i];
		struct complete_result r;
		struct argv a;
		int nfull;

		memset(&r, 0, sizeof(r));
		argv_split_partial(t->line, &a);
		nfull = a.trailing || a.argc == 0 ? a.argc : a.argc - 1;
		cmd_keys_complete(&demo_entry, nfull, a.argv, nfull < a.argc ? a.argv[a.argc - 1] : "",
		    add_item, &r);
		check_candidates(t->line, &r, t->n, t->words);
		complete_free(&r);
		argv_free(&a);
	}
}

/* the real commands, through the shell's complete_line */
static const struct complete_case real_complete[] = {
	{ "smtproutes ", 5, { "new", "edit", "delete", "print", "clear" } },
	{ "smtproutes n", 1, { "new" } },
	{ "smtproutes new ", 1, { "<DOMAIN>" } },
	{ "smtproutes new example.com ", 1, { "<DEST>" } },
	{ "smtproutes new example.com mx.example.com ", 0, { NULL } },
	{ "smtproutes delete example.com ", 0, { NULL } },
	{ "smtproutes print ", 0, { NULL } },
	{ "smtproutes bogus ", 0, { NULL } },
	{ "listenerconfig ", 4, { "new", "edit", "delete", "print" } },
	{ "listenerconfig new x type=", 2, { "type=public", "type=private" } },
	{ "listenerconfig edit x tls=p", 1, { "tls=preferred" } },
	{ "destconfig edit ", 2, { "default", "<DOMAIN>" } },
	{ "destconfig new x tls=re", 2, { "tls=required", "tls=required_verify" } },
	{ "deliveryconfig ", 2, { "print", "setup" } },
	{ "deliveryconfig setup bounces=", 2, { "bounces=yes", "bounces=no" } },
	{ "dnsconfig ", 3, { "print", "servers=", "timeout=" } },
	{ "dnsconfig servers=1.2.3.4 ", 2, { "servers=", "timeout=" } },
	{ "logconfig edit ", 3, { "mail_logs", "cli_logs", "<NAME>" } },
	{ "logconfig new x level=D", 1, { "level=Debug" } },
	{ "logconfig new x ", 5, { "type=", "level=", "max_size=", "max_age=", "keep=" } },
	{ "certconfig ", 3, { "server", "cafile", "print" } },
	{ "certconfig server ", 2, { "cert=", "key=" } },
	{ "certconfig server cert=/a ", 2, { "cert=", "key=" } },
	{ "certconfig cafile ", 2, { "system", "<PATH>" } },
	{ "certconfig cafile /a ", 0, { NULL } },
	{ "tdcconfig ", 3, { "print", "setup", "disable" } },
	{ "tdcconfig setup ", 12, { "enable=", "intake_address=", "remote_ip_header=", "api=",
				     "client_id=", "client_secret=", "api_key=", "api_region=",
				     "action=", "forward_to=", "polling=", "verdicts=" } },
	{ "tdcconfig setup enable=", 2, { "enable=yes", "enable=no" } },
	{ "tdcconfig setup action=f", 2, { "action=forward", "action=forward_delete" } },
	{ "tdcconfig disable ", 3, { "polling", "api", "connector" } },
	{ "tdcconfig disable a", 1, { "api" } },
	{ "tdcconfig disable api ", 0, { NULL } },
	{ "policyconfig ", 2, { "incoming", "outgoing" } },
	{ "policyconfig o", 1, { "outgoing" } },
	{ "policyconfig incoming ", 7, { "new", "edit", "delete", "print", "search", "move",
					  "clear" } },
	{ "policyconfig in n", 1, { "new" } },
	{ "policyconfig incoming new ", 1, { "<NAME>" } },
	{ "policyconfig incoming new x ", 4, { "recipients=", "senders=", "tdc=",
					       "content_filters=" } },
	{ "policyconfig outgoing new x ", 2, { "senders=", "recipients=" } },
	{ "policyconfig incoming edit x ", 6, { "name=", "recipients=", "senders=", "tdc=",
						 "tdc_polling=", "content_filters=" } },
	{ "policyconfig incoming edit DEFAULT tdc_polling=", 2, { "tdc_polling=yes",
								   "tdc_polling=no" } },
	{ "policyconfig outgoing edit x ", 3, { "name=", "senders=", "recipients=" } },
	{ "policyconfig incoming move x ", 1, { "<POSITION>" } },
	{ "policyconfig incoming move x 1 ", 0, { NULL } },
	{ "policyconfig incoming search a@b.test ", 1, { "sender=" } },
	{ "policyconfig outgoing search a@b.test ", 1, { "recipient=" } },
	{ "policyconfig incoming clear ", 0, { NULL } },
	{ "policyconfig sideways ", 0, { NULL } },
};

static void
test_complete_real(void)
{
	for (size_t i = 0; i < sizeof(real_complete) / sizeof(real_complete[0]); i++) {
		const struct complete_case *t = &real_complete[i];
		struct complete_result r;

		complete_line(t->line, &r);
		check_candidates(t->line, &r, t->n, t->words);
		complete_free(&r);
	}
}

static const struct unit_case cases[] = {
	{ "run_table", test_run_table },
	{ "helpers", test_helpers },
	{ "complete_demo", test_complete_demo },
	{ "complete_real", test_complete_real },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("cmdkeys", cases, argc, argv);
}
