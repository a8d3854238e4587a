/*
 * cmd_keys.c - one dispatcher, one key=value parser and one completer for
 * every command declared with a cmd_sub table (see cmd_keys.h).
 *
 * The words of the errors are those the commands printed before they
 * shared this code, so scripts and the man pages stay right:
 *   Unknown option 'frob' for smtproutes: use new, edit, delete, print or clear.
 *   Invalid argument 'stray': settings are key=value with key tls or max_conns.
 *   Unknown key 'colour': use tls or max_conns.
 *   The key tls is given twice; give each key once.
 *   Missing tls=: a new entry needs tls=no|preferred|required|required_verify.
 *   Unknown option 'frob' for policyconfig incoming: use new, edit, ... or clear.
 *   Unknown option 'all' for tdcconfig disable: use polling, api or connector.
 * A key set may word its stray-word and unknown-key errors itself
 * (certconfig server keeps "certconfig server takes cert=PATH and
 * key=PATH"), and a sub-command may show its own usage.
 *
 * DIAGNOSTICS: one error line per refused line (cli_error), nothing else.
 * Dispatch errors come before the sub-command runs; key errors come from
 * cmd_keys_apply, which sub-commands call before they stage anything, so
 * a refused line changes nothing.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd_keys.h"
#include "store/settings.h"
#include "util/buf.h"
#include "util/str.h"

/* ---------------------------------------------------------- lists in messages */

/* or_item - word i of n in "a, b or c" form, with suffix, onto b */
static void
or_item(struct buf *b, int i, int n, const char *word, const char *suffix)
{
	buf_printf(b, "%s%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ", word, suffix);
}

/* key_list - "a, b or c": the names of a key set, onto b */
static void
key_list(struct buf *b, const struct cmd_keyset *ks)
{
	int n = 0;

	while (ks->keys[n].name)
		n++;
	for (int i = 0; i < n; i++)
		or_item(b, i, n, ks->keys[i].name, "");
}

/* ---------------------------------------------------------- checks */

int
cmd_keys_int(const struct cmd_key *k, char *value, size_t size, char **cause)
{
	long v;

	(void)size;
	if (!isdigit((unsigned char)*value) || str_to_long(value, k->min, k->max, &v) < 0) {
		*cause = str_printf("Invalid %s '%.100s': the value must be a number between %ld "
				    "and %ld.",
		    k->name, value, k->min, k->max);
		return -1;
	}
	return 0;
}

int
cmd_keys_enum(const struct cmd_key *k, char *value, size_t size, char **cause)
{
	struct buf b;
	int n = 0;

	for (; k->values && k->values[n]; n++)
		if (strcasecmp(value, k->values[n]) == 0) {
			str_copy(value, k->values[n], size);	/* same length */
			return 0;
		}
	buf_init(&b, 0);
	buf_printf(&b, "Invalid %s '%.100s': the value must be ", k->name, value);
	for (int i = 0; i < n; i++)
		or_item(&b, i, n, k->values[i], "");
	buf_addch(&b, '.');
	*cause = buf_steal(&b);
	return -1;
}

int
cmd_keys_yesno(const struct cmd_key *k, char *value, size_t size, char **cause)
{
	static const char *const yesno[] = { "yes", "no", NULL };
	struct cmd_key yk = *k;

	yk.values = yesno;
	return cmd_keys_enum(&yk, value, size, cause);
}

int
cmd_keys_setting(const struct cmd_key *k, char *value, size_t size, char **cause)
{
	const struct setting_def *d = settings_find(k->setting);
	char *why = NULL;

	if (d == NULL) {
		*cause = str_printf("Cannot check %s: no setting %s.", k->name, k->setting);
		return -1;
	}
	if (settings_validate(d, value, size, &why) == 0)
		return 0;
	if (why == NULL)
		why = str_dup("The value is not valid.");
	/* "Invalid max_conns '0': the value must be ..." */
	why[0] = (char)tolower((unsigned char)why[0]);
	*cause = str_printf("Invalid %s '%.100s': %s", k->name, value, why);
	free(why);
	return -1;
}

/* ---------------------------------------------------------- parsing */

int
cmd_keys_index(const struct cmd_keyset *ks, const char *name)
{
	for (int i = 0; ks && ks->keys[i].name; i++)
		if (strcmp(ks->keys[i].name, name) == 0)
			return i;
	return -1;
}

int
cmd_keys_given(const struct cmd_keyset *ks, unsigned given, const char *name)
{
	int i = cmd_keys_index(ks, name);

	return i >= 0 && (given & (1u << i));
}

/* list_key - does w start with "K=" for a CMD_KEY_LIST key K? */
static int
list_key(const struct cmd_keyset *ks, const char *w)
{
	const char *eq = strchr(w, '=');

	for (int i = 0; eq && ks->keys[i].name; i++)
		if (ks->keys[i].type == CMD_KEY_LIST && strlen(ks->keys[i].name) == (size_t)(eq - w) &&
		    strncmp(ks->keys[i].name, w, (size_t)(eq - w)) == 0)
			return 1;
	return 0;
}

/*
 * joins - does word w continue the list value prev? Any word without '='
 * (or starting with ','); under CMD_KEYS_JOIN_COMMA only a word without
 * '=' after a trailing ',' or starting with ','.
 */
static int
joins(const struct cmd_keyset *ks, const char *prev, const char *w)
{
	size_t len = strlen(prev);

	if (ks->flags & CMD_KEYS_JOIN_COMMA)
		return strchr(w, '=') == NULL && ((len > 0 && prev[len - 1] == ',') || w[0] == ',');
	return strchr(w, '=') == NULL || w[0] == ',';
}

/*
 * join_lists - the words with those that follow a list key (see joins)
 * joined onto it with commas, so "a, b" and "a,b" give the same list; a
 * malloc'd vector of malloc'd words
 */
static char **
join_lists(const struct cmd_keyset *ks, int argc, char **argv, int *outc)
{
	char **v = xcalloc((size_t)argc + 1, sizeof(char *));
	int n = 0, in_list = 0;

	for (int i = 0; i < argc; i++) {
		if (in_list && n > 0 && joins(ks, v[n - 1], argv[i])) {
			char *prev = v[n - 1];
			size_t len = strlen(prev);
			int comma = len > 0 && prev[len - 1] != ',' && prev[len - 1] != '=' &&
			    argv[i][0] != ',';

			v[n - 1] = str_printf("%s%s%s", prev, comma ? "," : "", argv[i]);
			free(prev);
			continue;
		}
		in_list = list_key(ks, argv[i]);
		v[n++] = str_dup(argv[i]);
	}
	*outc = n;
	return v;
}

/*
 * bad_word - "Invalid argument 'W': ..." for a word that is not key=value
 * (without the word under CMD_KEYS_NO_ECHO: it may be a path or a secret
 * typed without its key)
 */
static void
bad_word(struct cli *c, const struct cmd_keyset *ks, const char *w)
{
	struct buf b;

	buf_init(&b, 0);
	if (ks->syntax) {
		buf_addstr(&b, ks->syntax);
	} else {
		buf_addstr(&b, "settings are key=value with key ");
		key_list(&b, ks);
	}
	if (ks->flags & CMD_KEYS_NO_ECHO)
		cli_error(c, "Invalid argument: %s.", b.data);
	else
		cli_error(c, "Invalid argument '%.100s': %s.", w, b.data);
	buf_free(&b);
}

/* unknown_key - "Unknown key 'K': use a, b or c." (or ks->unknown) */
static void
unknown_key(struct cli *c, const struct cmd_keyset *ks, const char *key)
{
	struct buf b;

	if (ks->unknown) {
		cli_error(c, "Unknown key '%.100s': %s.", key, ks->unknown);
		return;
	}
	buf_init(&b, 0);
	key_list(&b, ks);
	cli_error(c, "Unknown key '%.100s': use %s.", key, b.data);
	buf_free(&b);
}

/* refused - is word "K=..." for a key ks refuses by name? */
static int
refused(const struct cmd_keyset *ks, const char *w)
{
	const char *eq = strchr(w, '=');

	for (int i = 0; eq && ks->refused && ks->refused[i]; i++)
		if (strlen(ks->refused[i]) == (size_t)(eq - w) &&
		    strncmp(ks->refused[i], w, (size_t)(eq - w)) == 0)
			return 1;
	return 0;
}

/* What a parse has seen so far: a bit per key index. */
struct seen {
	unsigned given;		/* keys given */
	unsigned empty;		/* keys given with an empty value */
};

/*
 * one_word - check and set one key=value word; pass 0 takes only the
 * CMD_KEY_FIRST keys (and refuses words without '='), pass 1 the rest,
 * pass -1 every key. 0 done or skipped, -1 error printed.
 */
static int
one_word(struct cli *c, const struct cmd_keyset *ks, const char *word, int pass, void *obj,
    struct seen *seen)
{
	char *w = str_dup(word), *eq = strchr(w, '='), *cause = NULL;
	const struct cmd_key *k;
	int i, rc = -1;

	if (eq == NULL || eq == w) {
		bad_word(c, ks, word);
		goto out;
	}
	*eq = '\0';
	i = cmd_keys_index(ks, w);
	k = i >= 0 ? &ks->keys[i] : NULL;
	if (pass >= 0 && (k == NULL || !(k->flags & CMD_KEY_FIRST)) != (pass == 1)) {
		rc = 0;		/* another pass takes it */
		goto out;
	}
	if (k == NULL) {
		unknown_key(c, ks, w);
		goto out;
	}
	if (seen->given & (1u << i)) {
		cli_error(c, "The key %s is given twice; give each key once.", k->name);
		goto out;
	}
	seen->given |= 1u << i;
	if (eq[1] == '\0')
		seen->empty |= 1u << i;
	if ((k->check && k->check(k, eq + 1, strlen(eq + 1) + 1, &cause) < 0) ||
	    (ks->set && ks->set(obj, k, eq + 1, &cause) < 0)) {
		cli_error(c, "%s", cause ? cause : "Invalid value.");
		free(cause);
		goto out;
	}
	rc = 0;
out:
	free(w);
	return rc;
}

/* parse - cmd_keys_parse into seen */
static int
parse(struct cli *c, const struct cmd_keyset *ks, int argc0, char **argv0, void *obj,
    struct seen *seen)
{
	int argc, rc = 0, two_pass = 0;
	char **argv = join_lists(ks, argc0, argv0, &argc);

	seen->given = seen->empty = 0;
	for (int i = 0; i < argc && ks->refused; i++)
		if (refused(ks, argv[i])) {
			cli_error(c, "%s", ks->refused_why);
			rc = -1;
			goto out;
		}
	for (int i = 0; ks->keys[i].name; i++)
		two_pass |= ks->keys[i].flags & CMD_KEY_FIRST;
	/* one pass in the order typed, or the CMD_KEY_FIRST keys before the rest */
	if (!two_pass)
		for (int i = 0; i < argc && rc == 0; i++)
			rc = one_word(c, ks, argv[i], -1, obj, seen);
	for (int pass = 0; two_pass && pass < 2 && rc == 0; pass++)
		for (int i = 0; i < argc && rc == 0; i++)
			rc = one_word(c, ks, argv[i], pass, obj, seen);
out:
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
	return rc;
}

int
cmd_keys_parse(struct cli *c, const struct cmd_keyset *ks, int argc, char **argv, void *obj,
    unsigned *given)
{
	struct seen seen;
	int rc = parse(c, ks, argc, argv, obj, &seen);

	if (given)
		*given = seen.given;
	return rc;
}

int
cmd_keys_apply(struct cli *c, const struct cmd_call *call, void *obj, unsigned *given)
{
	const struct cmd_sub *s = call->sub;
	struct seen seen;

	if (parse(c, s->keys, call->nkv, call->kv, obj, &seen) < 0)
		return -1;
	if (given)
		*given = seen.given;
	/* a required key given empty ("cert=") is as missing as one not given */
	for (int i = 0; s->required && s->required[i]; i++) {
		int k = cmd_keys_index(s->keys, s->required[i]);

		if (k < 0 || !(seen.given & (1u << k)) || (seen.empty & (1u << k))) {
			cli_error(c, "Missing %s=: %s.", s->required[i], s->needs ? s->needs :
			    "this key is required");
			return -1;
		}
	}
	return 0;
}

/* ---------------------------------------------------------- dispatch */

const struct cmd_sub *
cmd_keys_find(const struct cmd_sub *subs, const char *word)
{
	const struct cmd_sub *found = NULL;
	int n = 0;

	if (*word == '\0')
		return NULL;
	for (const struct cmd_sub *s = subs; s->exec; s++) {
		if (s->name == NULL)
			continue;
		if (strcasecmp(s->name, word) == 0)
			return s;
		if (str_casecmp_prefix(word, s->name)) {
			found = s;
			n++;
		}
	}
	return n == 1 ? found : NULL;
}

/* nameless - the sub-command taking key=value words right after the command, or NULL */
static const struct cmd_sub *
nameless(const struct cmd_sub *subs)
{
	for (const struct cmd_sub *s = subs; s->exec; s++)
		if (s->name == NULL)
			return s;
	return NULL;
}

/* call_path - "cmd", or "cmd sub" / "cmd sub sub2" for a call (names as declared), onto b */
static void
call_path(struct buf *b, const struct cmd_entry *e, const struct cmd_call *call)
{
	if (call == NULL) {
		buf_addstr(b, e->name);
		return;
	}
	call_path(b, e, call->parent);
	if (call->sub->name)
		buf_printf(b, " %s", call->sub->name);
}

/*
 * unknown_option - "Unknown option 'x' for CMD: use a, b, k= or l=.", for
 * the level below parent (the command itself when NULL)
 */
static enum cmd_ret
unknown_option(struct cli *c, const struct cmd_entry *e, const struct cmd_call *parent,
    const struct cmd_sub *subs, const char *word)
{
	const struct cmd_sub *bare = nameless(subs);
	const struct cmd_key *keys = bare && bare->keys ? bare->keys->keys : NULL;
	int n = 0, total = 0;
	struct buf b, path;

	for (const struct cmd_sub *s = subs; s->exec; s++)
		total += s->name != NULL;
	for (int i = 0; keys && keys[i].name; i++)
		total++;
	buf_init(&b, 0);
	for (const struct cmd_sub *s = subs; s->exec; s++)
		if (s->name)
			or_item(&b, n++, total, s->name, "");
	for (int i = 0; keys && keys[i].name; i++)
		or_item(&b, n++, total, keys[i].name, "=");
	buf_init(&path, 0);
	call_path(&path, e, parent);
	cli_error(c, "Unknown option '%.40s' for %s: use %s.", word, path.data, b.data);
	buf_free(&path);
	buf_free(&b);
	return CMD_ERROR;
}

/*
 * usage - the usage error naming "cmd sub" (or the command alone), with
 * the sub-command's own usage if it has one, else the command's
 */
static enum cmd_ret
usage(struct cli *c, const struct cmd_call *call)
{
	const struct cmd_entry *e = call->entry;
	const struct cmd_sub *s = call->sub;
	struct buf detail;
	char *u;

	buf_init(&detail, 0);
	if (s->flags & CMD_SUB_USAGE_CMD)
		buf_addstr(&detail, e->name);
	else
		call_path(&detail, e, call);
	if (s->usage == NULL) {
		cmd_usage_error(c, e, detail.data);
	} else {
		u = str_dup(s->usage);
		for (char *p = u; *p; p++)
			if (*p == '\n')
				*p = ';';
		cli_error(c, "Invalid arguments when processing: %s. Usage: %s", detail.data, u);
		free(u);
	}
	buf_free(&detail);
	return CMD_ERROR;
}

/* step - the positional list after full word t, as shell/complete.c walks cmd_word trees */
static const struct cmd_word *
step(const struct cmd_word *list, const char *t, int *fits)
{
	const struct cmd_word *ph = NULL, *pre = NULL;
	int npre = 0;

	*fits = 0;
	for (const struct cmd_word *w = list; w && w->word; w++) {
		if (w->word[0] == '<') {
			if (ph == NULL)
				ph = w;
		} else if (strcasecmp(t, w->word) == 0) {
			*fits = 1;
			return w->next;
		} else if (str_casecmp_prefix(t, w->word)) {
			pre = w;
			npre++;
		}
	}
	if (npre == 1 || ph) {
		*fits = 1;
		return npre == 1 ? pre->next : ph->next;
	}
	return NULL;
}

/* literal_only - does a positional list hold literals only (no <PLACEHOLDER>)? */
static int
literal_only(const struct cmd_word *list)
{
	if (list == NULL || list->word == NULL)
		return 0;
	for (const struct cmd_word *w = list; w->word; w++)
		if (w->word[0] == '<')
			return 0;
	return 1;
}

/*
 * check_literals - the positional words of call where its args list
 * literals only: each must name one ("Unknown option 'x' for cmd sub:
 * use a, b or c." otherwise). 0, or -1 with the error printed.
 */
static int
check_literals(struct cli *c, const struct cmd_call *call)
{
	const struct cmd_word *list = call->sub->args, *next;
	struct buf b, path;
	int fits, n;

	for (int i = 0; i < call->argc && list; i++, list = next) {
		next = step(list, call->argv[i], &fits);
		if (fits || !literal_only(list))
			continue;
		for (n = 0; list[n].word; n++)
			;
		buf_init(&b, 0);
		for (int k = 0; k < n; k++)
			or_item(&b, k, n, list[k].word, "");
		buf_init(&path, 0);
		call_path(&path, call->entry, call);
		cli_error(c, "Unknown option '%.40s' for %s: use %s.", call->argv[i], path.data,
		    b.data);
		buf_free(&path);
		buf_free(&b);
		return -1;
	}
	return 0;
}

/* run_level - cmd_keys_run on the sub-commands subs, below parent (NULL: the command) */
static enum cmd_ret
run_level(struct cli *c, const struct cmd_entry *e, const struct cmd_call *parent,
    const struct cmd_sub *subs, int argc, char **argv)
{
	const struct cmd_sub *s = NULL;
	struct cmd_call call = { .entry = e, .parent = parent };
	int nwords;

	if (argc > 0 && strchr(argv[0], '='))
		s = nameless(subs);
	if (s == NULL && argc > 0)
		s = cmd_keys_find(subs, argv[0]);
	if (s == NULL)
		return unknown_option(c, e, parent, subs, argc > 0 ? argv[0] : "");
	/* the words after the sub-command's name */
	if (s->name) {
		argc--;
		argv++;
	}
	nwords = argc;
	call.sub = s;
	call.argv = argv;
	/* a further level: its own sub-command follows, or none and s runs alone */
	if (s->subs && argc > 0)
		return run_level(c, e, &call, s->subs, argc, argv);
	if (s->keys) {
		/* positional words first, none with '='; then key=value words */
		call.argc = s->min_args;
		if (nwords < s->min_args + (s->flags & CMD_SUB_KV_OPTIONAL ? 0 : 1))
			return usage(c, &call);
		for (int i = 0; i < s->min_args; i++)
			if (strchr(argv[i], '='))
				return usage(c, &call);
		call.nkv = nwords - s->min_args;
		call.kv = argv + s->min_args;
	} else {
		if (nwords < s->min_args || (s->max_args != CMD_ARGS_MANY && nwords > s->max_args))
			return usage(c, &call);
		call.argc = nwords;
	}
	if (check_literals(c, &call) < 0)
		return CMD_ERROR;
	return s->exec(c, &call);
}

enum cmd_ret
cmd_keys_run(struct cli *c, const struct cmd_entry *e, int argc, char **argv)
{
	return run_level(c, e, NULL, e->subs, argc, argv);
}

/* ---------------------------------------------------------- completion */

/* complete_keys - "key=" names, or after "key=" the words an ENUM or YESNO key takes */
static void
complete_keys(const struct cmd_keyset *ks, const char *partial,
    void (*add)(void *, const char *, const char *, int), void *arg)
{
	static const char *const yesno[] = { "yes", "no", NULL };
	const char *eq = strchr(partial, '=');

	for (const struct cmd_key *k = ks->keys; k->name; k++) {
		const char *const *v = k->type == CMD_KEY_YESNO ? yesno :
		    k->type == CMD_KEY_ENUM ? k->values : NULL;
		char w[128];

		if (eq == NULL) {
			str_fmt(w, sizeof(w), "%s=", k->name);
			if (str_casecmp_prefix(partial, w))
				add(arg, w, k->help, 1);
			continue;
		}
		if (strlen(k->name) != (size_t)(eq - partial) ||
		    strncasecmp(k->name, partial, (size_t)(eq - partial)) != 0)
			continue;
		for (int i = 0; v && v[i]; i++) {
			str_fmt(w, sizeof(w), "%.*s%s", (int)(eq - partial + 1), partial, v[i]);
			if (str_casecmp_prefix(partial, w))
				add(arg, w, k->help, 1);
		}
	}
}

/* complete_level - cmd_keys_complete on the sub-commands subs (one level, recursing) */
static void
complete_level(const struct cmd_sub *subs, int argc, char **argv, const char *partial,
    void (*add)(void *arg, const char *word, const char *help, int literal), void *arg)
{
	const struct cmd_sub *s = NULL, *bare = nameless(subs);
	const struct cmd_word *list;
	int i = 0, npos = 0, max, fits;

	if (argc == 0) {
		for (s = subs; s->exec; s++)
			if (s->name && str_casecmp_prefix(partial, s->name))
				add(arg, s->name, s->help, 1);
		if (bare && bare->keys)
			complete_keys(bare->keys, partial, add, arg);
		return;
	}
	if (strchr(argv[0], '='))
		s = bare;
	else if ((s = cmd_keys_find(subs, argv[0])) != NULL)
		i = 1;
	if (s == NULL)
		return;
	if (s->subs && i == 1) {
		complete_level(s->subs, argc - 1, argv + 1, partial, add, arg);
		return;
	}
	/* the positional words (as many as cmd_keys_run takes), then key=value words */
	max = s->keys ? s->min_args : s->max_args == CMD_ARGS_MANY ? argc + 1 : s->max_args;
	for (list = s->args; i < argc && npos < max; i++, npos++) {
		list = step(list, argv[i], &fits);
		if (!fits)
			return;
	}
	if (npos < max) {
		for (const struct cmd_word *w = list; w && w->word; w++)
			if (w->word[0] == '<')
				add(arg, w->word, w->help, 0);
			else if (str_casecmp_prefix(partial, w->word))
				add(arg, w->word, w->help, 1);
		return;
	}
	if (s->keys)
		complete_keys(s->keys, partial, add, arg);
}

void
cmd_keys_complete(const struct cmd_entry *e, int argc, char **argv, const char *partial,
    void (*add)(void *arg, const char *word, const char *help, int literal), void *arg)
{
	complete_level(e->subs, argc, argv, partial, add, arg);
}
