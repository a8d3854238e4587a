/*
 * complete.c - TAB completion and `?` help from the command table.
 *
 * Only what the session's role may run is offered (commands/roles.c):
 * the commands it may see at the command position, and for a role that
 * may only look at a command, only its look verbs (and the levels that
 * lead to them) until the words typed make a line the role may run.
 *
 * DIAGNOSTICS: none; a line that matches nothing has no candidates.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cli.h"
#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "commands/roles.h"
#include "shell/complete.h"
#include "util/argv.h"
#include "util/str.h"

/* the session's role (complete_set_role); admin sees everything */
static enum user_role complete_role = ROLE_ADMIN;

/*
 * What a look role may be offered after a command name: a candidate
 * word w is offered when role_word_visible accepts path + w (path: the
 * sub-command levels typed so far, "incoming/"); all of them when the
 * words typed already make a line the role may run.
 */
struct filter {
	struct complete_result *r;	/* where candidates go */
	const struct cmd_entry *e;	/* the command */
	int all;			/* offer everything */
	char path[256];			/* the levels typed, each followed by '/' */
};

/* add - append a candidate */
static void
add(struct complete_result *r, const char *word, const char *help, int literal)
{
	r->items = xrealloc(r->items, sizeof(*r->items) * (size_t)(r->n + 1));
	r->items[r->n].word = str_dup(word);
	r->items[r->n].help = help;
	r->items[r->n].literal = literal;
	r->items[r->n].quiet = 0;
	r->n++;
}

/* add_cb - add what the role may see, as cmd_keys_complete calls it */
static void
add_cb(void *arg, const char *word, const char *help, int literal)
{
	struct filter *f = arg;
	char w[320];

	if (!f->all) {
		if (!literal || str_fmt(w, sizeof(w), "%s%s", f->path, word) < 0 ||
		    !role_word_visible(complete_role, f->e, w))
			return;
	}
	add(f->r, word, help, literal);
}

/*
 * filter_init - how the words typed after e's name (argc of argv) limit
 * the candidates: 0, or -1 when nothing may be offered
 */
static int
filter_init(struct filter *f, struct complete_result *r, const struct cmd_entry *e, int argc,
    char **argv)
{
	const struct cmd_sub *subs = e->subs;
	char *cause = NULL;
	size_t len = 0;

	memset(f, 0, sizeof(*f));
	f->r = r;
	f->e = e;
	if (!role_may_see(complete_role, e))
		return -1;
	if (role_check(complete_role, e, argc, argv, &cause) == 0) {
		f->all = 1;
		return 0;
	}
	free(cause);
	/* a look role: the words so far must be levels leading to a look verb */
	for (int i = 0; i < argc; i++) {
		const struct cmd_sub *s;

		if (subs == NULL || strchr(argv[i], '=') || (s = cmd_keys_find(subs, argv[i])) == NULL ||
		    s->subs == NULL)
			return -1;
		if (str_fmt(f->path + len, sizeof(f->path) - len, "%s/", s->name) < 0)
			return -1;
		len += strlen(f->path + len);
		subs = s->subs;
	}
	return 0;
}

/* is_key - "ip=" style word */
static int
is_key(const char *w)
{
	size_t n = strlen(w);

	return n > 1 && w[n - 1] == '=';
}

/* step - the list that follows a complete word t in list, or NULL if t fits nothing */
static const struct cmd_word *
step(const struct cmd_word *list, const char *t, int *matched)
{
	const struct cmd_word *ph = NULL, *pre = NULL;
	int npre = 0;

	*matched = 0;
	if (list == NULL)
		return NULL;
	for (const struct cmd_word *w = list; w->word; w++) {
		if (w->word[0] == '<') {
			if (ph == NULL)
				ph = w;
		} else if (is_key(w->word)) {
			if (strncasecmp(t, w->word, strlen(w->word)) == 0) {
				*matched = 1;
				return w->next;
			}
		} else if (strcasecmp(t, w->word) == 0) {
			*matched = 1;
			return w->next;
		} else if (str_casecmp_prefix(t, w->word)) {
			pre = w;
			npre++;
		}
	}
	if (npre == 1) {
		*matched = 1;
		return pre->next;
	}
	if (ph) {
		*matched = 1;
		return ph->next;
	}
	return NULL;
}

void
complete_line(const char *line, struct complete_result *r)
{
	struct argv a;
	struct filter f;
	const struct cmd_entry *e;
	const struct cmd_word *list;
	int nfull, amb, matched;

	memset(r, 0, sizeof(*r));
	argv_split_partial(line, &a);
	/* the last word is being typed unless the line ends in a blank */
	nfull = a.trailing || a.argc == 0 ? a.argc : a.argc - 1;
	r->partial = str_dup(nfull < a.argc ? a.argv[a.argc - 1] : "");
	if (nfull == 0) {
		for (int i = 0; cmd_table[i]; i++) {
			e = cmd_table[i];
			if ((e->flags & CMD_F_HIDDEN) || !role_may_see(complete_role, e))
				continue;
			if (str_casecmp_prefix(r->partial, e->name))
				add(r, e->name, e->help, 1);
			if (e->alias && str_casecmp_prefix(r->partial, e->alias))
				add(r, e->alias, e->help, 1);
		}
		argv_free(&a);
		return;
	}
	e = cmd_find(a.argv[0], &amb);
	if (e == NULL || filter_init(&f, r, e, nfull - 1, a.argv + 1) < 0) {
		argv_free(&a);
		return;
	}
	if (e->subs) {
		/* sub-commands and key=value words declared in a cmd_sub table */
		cmd_keys_complete(e, nfull - 1, a.argv + 1, r->partial, add_cb, &f);
		argv_free(&a);
		return;
	}
	list = e->words;
	for (int i = 1; i < nfull && list; i++)
		list = step(list, a.argv[i], &matched);
	for (const struct cmd_word *w = list; w && w->word; w++) {
		if (w->word[0] == '<')
			add_cb(&f, w->word, w->help, 0);
		else if (str_casecmp_prefix(r->partial, w->word))
			add_cb(&f, w->word, w->help, 1);
	}
	argv_free(&a);
}

void
complete_set_role(int role)
{
	complete_role = role >= 0 && role < ROLE_COUNT ? (enum user_role)role : ROLE_GUEST;
}

void
complete_answer(const char *line, const struct cli_prompt *p, struct complete_result *r)
{
	const char *t = line;

	memset(r, 0, sizeof(*r));
	/* an answer is the whole line: only blanks before it are dropped */
	while (*t == ' ' || *t == '\t')
		t++;
	r->partial = str_dup(t);
	if (p == NULL)
		return;
	if (p->n == 0 && p->placeholder)
		add(r, p->placeholder, "a number in this range", 0);
	for (int i = 0; i < p->n; i++) {
		const struct cli_choice *ch = &p->choices[i];

		if (!str_casecmp_prefix(r->partial, ch->name))
			continue;
		add(r, ch->name, ch->help, 1);
		r->items[r->n - 1].quiet = i >= p->n - p->nquiet;
	}
}

void
complete_free(struct complete_result *r)
{
	for (int i = 0; i < r->n; i++)
		free(r->items[i].word);
	free(r->items);
	free(r->partial);
	memset(r, 0, sizeof(*r));
}

char *
complete_common(const struct complete_result *r)
{
	const char *first = NULL;
	size_t len = 0;

	for (int i = 0; i < r->n; i++) {
		const char *w = r->items[i].word;

		if (!r->items[i].literal)
			continue;
		if (first == NULL) {
			first = w;
			len = strlen(w);
			continue;
		}
		size_t k = 0;
		while (k < len && w[k] && strncasecmp(w + k, first + k, 1) == 0)
			k++;
		len = k;
	}
	return first ? str_ndup(first, len) : NULL;
}
