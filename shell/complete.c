/*
 * complete.c - TAB completion and `?` help from the command table.
 *
 * DIAGNOSTICS: none; a line that matches nothing has no candidates.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "shell/complete.h"
#include "util/argv.h"
#include "util/str.h"

/* add - append a candidate */
static void
add(struct complete_result *r, const char *word, const char *help, int literal)
{
	r->items = xrealloc(r->items, sizeof(*r->items) * (size_t)(r->n + 1));
	r->items[r->n].word = str_dup(word);
	r->items[r->n].help = help;
	r->items[r->n].literal = literal;
	r->n++;
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
			if (e->flags & CMD_F_HIDDEN)
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
	if (e == NULL) {
		argv_free(&a);
		return;
	}
	list = e->words;
	for (int i = 1; i < nfull && list; i++)
		list = step(list, a.argv[i], &matched);
	for (const struct cmd_word *w = list; w && w->word; w++) {
		if (w->word[0] == '<')
			add(r, w->word, w->help, 0);
		else if (str_casecmp_prefix(r->partial, w->word))
			add(r, w->word, w->help, 1);
	}
	argv_free(&a);
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
