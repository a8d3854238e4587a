/*
 * test_cmdtable.c - the command table is complete and documented
 * (STYLE.md point 4; Postfix check-postconf-undocumented, curl test1139).
 *
 * Every entry of cmd_table has a name, usage lines that start with it and
 * one line of help; every word of its cmd_word tree has help for `?`;
 * every sub-command and key of a cmd_sub table (commands/cmd_keys.h), at
 * every level, has help and usage lines showing its keys, and each
 * sub-command, key=, word an ENUM key takes and literal positional word
 * (tdcconfig disable polling|api|connector) is in the man page;
 * every command and alias has man/man1/mxsh-NAME.1 showing its usage;
 * every man/man1/mxsh-*.1 belongs to a command (no orphans); mxsh.1 lists
 * them all under SEE ALSO.
 *
 * The repository root is found from $BUILD (set by tests/run.sh) or the
 * current directory, walking up until a Makefile and man/man1 exist.
 * Each case reports every problem it finds on stderr, then fails once.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/stat.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "tests/unit/unit.h"

/* Problems found by the running case. */
static int problems;

/* problem - report one finding and keep going */
static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
problem(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("  ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\n", stderr);
	va_end(ap);
	problems++;
}

/* finish - end a case: fail if anything was reported */
static void
finish(void)
{
	if (problems)
		UNIT_FAIL("%d problem%s (listed above)", problems, problems == 1 ? "" : "s");
}

/* ---------------------------------------------------------- files */

/* is_dir - does path name a directory? */
static int
is_dir(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* is_root - does dir hold the repository (a Makefile and man/man1)? */
static int
is_root(const char *dir)
{
	char p[PATH_MAX + 32];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/Makefile", dir);
	if (stat(p, &sb) < 0 || !S_ISREG(sb.st_mode))
		return 0;
	snprintf(p, sizeof(p), "%s/man/man1", dir);
	return is_dir(p);
}

/* walk_up - from start, the first directory upwards that is the root */
static int
walk_up(const char *start, char *out, size_t size)
{
	char dir[PATH_MAX];

	if (start == NULL || *start == '\0' || realpath(start, dir) == NULL)
		return -1;
	for (;;) {
		char *slash;

		if (is_root(dir)) {
			snprintf(out, size, "%s", dir);
			return 0;
		}
		slash = strrchr(dir, '/');
		if (slash == NULL || slash == dir)
			return -1;
		*slash = '\0';
	}
}

/* root - the repository root (cached); the case fails if it is not found */
static const char *
root(void)
{
	static char dir[PATH_MAX];
	char cwd[PATH_MAX];

	if (dir[0])
		return dir;
	if (walk_up(getenv("BUILD"), dir, sizeof(dir)) == 0)
		return dir;
	if (getcwd(cwd, sizeof(cwd)) && walk_up(cwd, dir, sizeof(dir)) == 0)
		return dir;
	dir[0] = '\0';
	UNIT_FAIL("cannot find the repository root (a directory with Makefile and man/man1) "
		  "from $BUILD or the current directory");
	return NULL;
}

/* page_path - ROOT/man/man1/mxsh-NAME.1 (or mxsh.1 for NULL) in a static buffer */
static const char *
page_path(const char *name)
{
	static char p[PATH_MAX + 300];

	if (name)
		snprintf(p, sizeof(p), "%s/man/man1/mxsh-%s.1", root(), name);
	else
		snprintf(p, sizeof(p), "%s/man/man1/mxsh.1", root());
	return p;
}

/* slurp - a whole file, NUL-terminated (malloc'd), or NULL */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			s = realloc(s, cap);
			if (s == NULL)
				UNIT_FAIL("out of memory");
		}
		n = fread(s + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	s[len] = '\0';
	return s;
}

/* ---------------------------------------------------------- man text */

/* text_add - append n bytes to a growing string */
static void
text_add(char **s, size_t *len, size_t *cap, const char *p, size_t n)
{
	if (*len + n + 1 > *cap) {
		while (*len + n + 1 > *cap)
			*cap = *cap ? *cap * 2 : 4096;
		*s = realloc(*s, *cap);
		if (*s == NULL)
			UNIT_FAIL("out of memory");
	}
	memcpy(*s + *len, p, n);
	*len += n;
	(*s)[*len] = '\0';
}

/* special - the plain text of a \(xx character */
static const char *
special(const char *name)
{
	static const char *const map[][2] = {
		{ "aq", "'" }, { "dq", "\"" }, { "lq", "\"" }, { "rq", "\"" },
		{ "oq", "'" }, { "cq", "'" }, { "em", "--" }, { "en", "-" },
		{ "hy", "-" }, { "ti", "~" }, { "ha", "^" }, { "rs", "\\" },
		{ "bu", "*" }, { NULL, NULL },
	};

	for (int i = 0; map[i][0]; i++)
		if (strncmp(name, map[i][0], 2) == 0)
			return map[i][1];
	return " ";
}

/*
 * unescape - the text of one piece of groff input: font changes and
 * zero-width escapes dropped, \- and \(xx turned into characters. *cont
 * is set when the piece ends in \c (the next line continues the word).
 */
static void
unescape(const char *p, size_t n, char **s, size_t *len, size_t *cap, int *cont)
{
	const char *end = p + n;

	*cont = 0;
	while (p < end) {
		if (*p != '\\') {
			text_add(s, len, cap, p++, 1);
			continue;
		}
		if (++p >= end)
			break;
		switch (*p) {
		case 'f':	/* \fB \fR \f(CW \f[B] */
			p++;
			if (p < end && *p == '(')
				p += 3;
			else if (p < end && *p == '[')
				while (p < end && *p++ != ']')
					;
			else
				p++;
			break;
		case '(':	/* \(aq */
			if (end - p >= 3)
				text_add(s, len, cap, special(p + 1), strlen(special(p + 1)));
			p += 3;
			break;
		case 'c':
			*cont = 1;
			p++;
			break;
		case '&':
		case '%':
		case ':':
			p++;
			break;
		case 'e':
			text_add(s, len, cap, "\\", 1);
			p++;
			break;
		case '~':
		case ' ':
			text_add(s, len, cap, " ", 1);
			p++;
			break;
		default:	/* \- \. \\ and the rest: the character itself */
			text_add(s, len, cap, p++, 1);
			break;
		}
	}
}

/* alternating - a font macro whose arguments are joined without blanks */
static int
alternating(const char *m, size_t n)
{
	static const char *const alt[] = { "BR", "RB", "BI", "IB", "IR", "RI", NULL };

	for (int i = 0; alt[i]; i++)
		if (n == 2 && strncmp(m, alt[i], 2) == 0)
			return 1;
	return 0;
}

/*
 * man_text - the words of a man page source as one line of plain text,
 * blanks collapsed: what a reader sees, near enough to search for usage.
 * Comments and macro names are dropped; macro arguments are kept.
 */
static char *
man_text(const char *src)
{
	char *s = NULL, *out;
	size_t len = 0, cap = 0;
	int cont = 0;

	text_add(&s, &len, &cap, "", 0);
	for (const char *line = src; *line;) {
		const char *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) : strlen(line);
		const char *next = eol ? eol + 1 : line + n;

		if (!cont && len)
			text_add(&s, &len, &cap, " ", 1);
		if ((*line == '.' || *line == '\'') && n >= 3 && line[1] == '\\' && line[2] == '"') {
			/* comment line */
		} else if (*line == '.' || *line == '\'') {
			const char *m = line + 1, *p, *e = line + n;
			size_t mlen;
			int alt;

			while (m < e && (*m == ' ' || *m == '\t'))
				m++;
			for (p = m; p < e && *p != ' ' && *p != '\t'; p++)
				;
			mlen = (size_t)(p - m);
			alt = alternating(m, mlen);
			cont = 0;
			/* arguments: blank-separated, "double quoted" may hold blanks */
			while (p < e) {
				const char *a;
				int c2 = 0;

				while (p < e && (*p == ' ' || *p == '\t'))
					p++;
				if (p >= e)
					break;
				if (*p == '"') {
					a = ++p;
					while (p < e && !(*p == '"' && (p + 1 >= e || p[1] != '"')))
						p += (*p == '"') ? 2 : 1;
					unescape(a, (size_t)(p - a), &s, &len, &cap, &c2);
					if (p < e)
						p++;
				} else {
					a = p;
					while (p < e && *p != ' ' && *p != '\t')
						p++;
					unescape(a, (size_t)(p - a), &s, &len, &cap, &c2);
				}
				cont = c2;
				if (!alt && !c2)
					text_add(&s, &len, &cap, " ", 1);
			}
		} else {
			unescape(line, n, &s, &len, &cap, &cont);
		}
		line = next;
	}
	/* collapse blanks */
	out = malloc(len + 1);
	if (out == NULL)
		UNIT_FAIL("out of memory");
	len = 0;
	for (const char *p = s; *p; p++) {
		if (isspace((unsigned char)*p)) {
			if (len && out[len - 1] != ' ')
				out[len++] = ' ';
		} else {
			out[len++] = *p;
		}
	}
	out[len] = '\0';
	free(s);
	return out;
}

/* has_phrase - does text contain phrase as whole words? */
static int
has_phrase(const char *text, const char *phrase)
{
	size_t n = strlen(phrase);

	if (n == 0)
		return 1;
	for (const char *p = strstr(text, phrase); p; p = strstr(p + 1, phrase)) {
		int before = p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '-');
		int after = !(isalnum((unsigned char)p[n]) || p[n] == '-' || p[n] == '_');

		if (before && after)
			return 1;
	}
	return 0;
}

/*
 * usage_literal - the leading literal words of one usage line
 * ("smtproutes new DOMAIN DEST" -> "smtproutes new"): lower-case letters,
 * digits, '-' and '_' only; placeholders and [optional] parts end it.
 */
static void
usage_literal(const char *line, size_t n, char *out, size_t size)
{
	const char *p = line, *e = line + n;
	size_t len = 0;

	out[0] = '\0';
	while (p < e) {
		const char *w = p;
		int literal = 1;

		while (p < e && *p != ' ')
			p++;
		for (const char *q = w; q < p; q++)
			if (!(islower((unsigned char)*q) || isdigit((unsigned char)*q) || *q == '-' ||
			    *q == '_'))
				literal = 0;
		if (!literal || p == w)
			break;
		if (len + (size_t)(p - w) + 2 > size)
			break;
		if (len)
			out[len++] = ' ';
		memcpy(out + len, w, (size_t)(p - w));
		len += (size_t)(p - w);
		out[len] = '\0';
		while (p < e && *p == ' ')
			p++;
	}
}

/* ---------------------------------------------------------- table */

/* table_size - entries in cmd_table */
static int
table_size(void)
{
	int n = 0;

	while (cmd_table[n])
		n++;
	return n;
}

/* empty - NULL or "" */
static int
empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/* known_name - is name a command name or alias in the table? */
static int
known_name(const char *name)
{
	for (int i = 0; cmd_table[i]; i++)
		if (strcmp(cmd_table[i]->name, name) == 0 ||
		    (cmd_table[i]->alias && strcmp(cmd_table[i]->alias, name) == 0))
			return 1;
	return 0;
}

static void
test_entries_complete(void)
{
	CHECK(table_size() > 0);
	for (int i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];
		const char *name = empty(e->name) ? "(entry without a name)" : e->name;

		if (empty(e->name))
			problem("entry %d has no name", i);
		if (empty(e->usage))
			problem("%s: no usage", name);
		if (empty(e->help))
			problem("%s: no help text", name);
		else if (strchr(e->help, '\n'))
			problem("%s: help must be one line", name);
		if (e->exec == NULL)
			problem("%s: no handler", name);
		if (e->alias && *e->alias == '\0')
			problem("%s: empty alias (use NULL)", name);
		/* each usage line starts with the command's name */
		for (const char *p = e->usage && !empty(e->name) ? e->usage : ""; *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p), k = strlen(e->name);

			if (n < k || strncmp(p, e->name, k) != 0 || (n > k && p[k] != ' '))
				problem("%s: usage line '%.*s' does not start with the command name",
				    name, (int)n, p);
			p += n + (nl ? 1 : 0);
		}
		/* names and aliases are unique, whatever the case */
		for (int j = 0; j < i && !empty(e->name); j++) {
			const struct cmd_entry *o = cmd_table[j];
			const char *mine[2] = { e->name, e->alias }, *theirs[2] = { o->name, o->alias };

			for (int a = 0; a < 2; a++)
				for (int b = 0; b < 2; b++)
					if (mine[a] && theirs[b] && strcasecmp(mine[a], theirs[b]) == 0)
						problem("'%s' is used by two entries", mine[a]);
		}
	}
	finish();
}

/* Word lists already checked (lists may point at themselves). */
#define MAX_LISTS 1024
static const struct cmd_word *seen[MAX_LISTS];
static int nseen;

/* check_words - every word of list and below has a word and help */
static void
check_words(const char *cmd, const struct cmd_word *list, int depth)
{
	if (list == NULL)
		return;
	for (int i = 0; i < nseen; i++)
		if (seen[i] == list)
			return;
	if (nseen == MAX_LISTS || depth > 64) {
		problem("%s: word tree too large to check", cmd);
		return;
	}
	seen[nseen++] = list;
	for (const struct cmd_word *w = list; w->word || w->help || w->next; w++) {
		if (empty(w->word)) {
			problem("%s: a word list entry has no word (end lists with { NULL, NULL, "
				"NULL })",
			    cmd);
			break;
		}
		if (empty(w->help))
			problem("%s: word '%s' has no help text", cmd, w->word);
		else if (strchr(w->help, '\n'))
			problem("%s: help of word '%s' must be one line", cmd, w->word);
		if (w->word[0] == '<' && w->word[strlen(w->word) - 1] != '>')
			problem("%s: placeholder '%s' must end in '>'", cmd, w->word);
		check_words(cmd, w->next, depth + 1);
	}
}

static void
test_words_have_help(void)
{
	for (int i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];

		check_words(empty(e->name) ? "(unnamed)" : e->name, e->words, 0);
	}
	finish();
}

/* check_keys - every key of a set named, helped, typed and declared once */
static void
check_keys(const char *cmd, const struct cmd_keyset *ks)
{
	int n = 0;

	if (ks->keys == NULL) {
		problem("%s: a key set without keys", cmd);
		return;
	}
	for (const struct cmd_key *k = ks->keys; k->name; k++, n++) {
		if (*k->name == '\0' || strchr(k->name, '=') || strchr(k->name, ' '))
			problem("%s: key '%s' must be a word without '='", cmd, k->name);
		if (empty(k->help))
			problem("%s: key %s= has no help text", cmd, k->name);
		else if (strchr(k->help, '\n'))
			problem("%s: help of key %s= must be one line", cmd, k->name);
		if (k->type == CMD_KEY_ENUM && (k->values == NULL || k->values[0] == NULL))
			problem("%s: enum key %s= lists no values", cmd, k->name);
		if (k->check == cmd_keys_setting && k->setting == NULL)
			problem("%s: key %s= is checked by a setting but names none", cmd, k->name);
		if (k->check == cmd_keys_int && k->min > k->max)
			problem("%s: key %s= has min > max", cmd, k->name);
		for (const struct cmd_key *o = ks->keys; o < k; o++)
			if (strcmp(o->name, k->name) == 0)
				problem("%s: key %s= declared twice", cmd, k->name);
	}
	if (n > 32)
		problem("%s: %d keys; cmd_keys_parse takes at most 32", cmd, n);
}

/* check_subs - one level of a cmd_sub table (and the levels below it) */
static void
check_subs(const char *cmd, const struct cmd_sub *subs, int depth)
{
	int bare = 0;

	if (depth > 8) {
		problem("%s: sub-commands nested too deep", cmd);
		return;
	}
	for (const struct cmd_sub *s = subs; s->exec; s++) {
		const char *name = s->name ? s->name : "(key=value)";

		if (s->name == NULL && (s->keys == NULL || bare++))
			problem("%s: at most one nameless sub-command, and it takes keys", cmd);
		if (s->name == NULL && s->subs)
			problem("%s: a nameless sub-command cannot have sub-commands", cmd);
		if (s->subs && (s->keys || s->min_args || s->max_args))
			problem("%s %s: with sub-commands, it runs alone: no words nor keys", cmd,
			    name);
		if (s->name && (*s->name == '\0' || strchr(s->name, '=')))
			problem("%s: sub-command '%s' must be a word without '='", cmd, s->name);
		if (empty(s->help))
			problem("%s %s: no help text", cmd, name);
		else if (strchr(s->help, '\n'))
			problem("%s %s: help must be one line", cmd, name);
		for (const struct cmd_sub *o = subs; s->name && o < s; o++)
			if (o->name && strcasecmp(o->name, s->name) == 0)
				problem("%s: sub-command %s declared twice", cmd, s->name);
		if (s->max_args != CMD_ARGS_MANY && s->max_args < s->min_args && !s->keys)
			problem("%s %s: max_args below min_args", cmd, name);
		check_words(cmd, s->args, 0);
		if (s->keys)
			check_keys(cmd, s->keys);
		for (int r = 0; s->required && s->required[r]; r++)
			if (s->keys == NULL || cmd_keys_index(s->keys, s->required[r]) < 0)
				problem("%s %s: required key %s= is not one of its keys", cmd, name,
				    s->required[r]);
		if (s->required && empty(s->needs))
			problem("%s %s: required keys but no 'needs' text for the error", cmd,
			    name);
		for (int r = 0; s->keys && s->keys->refused && s->keys->refused[r]; r++)
			if (cmd_keys_index(s->keys, s->keys->refused[r]) >= 0)
				problem("%s %s: key %s= is both accepted and refused", cmd, name,
				    s->keys->refused[r]);
		if (s->keys && s->keys->refused && empty(s->keys->refused_why))
			problem("%s %s: refused keys but no refused_why", cmd, name);
		if (s->subs)
			check_subs(cmd, s->subs, depth + 1);
	}
}

static void
test_subs_have_help(void)
{
	for (int i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];
		const char *cmd = empty(e->name) ? "(unnamed)" : e->name;

		if (e->subs == NULL)
			continue;
		if (e->words)
			problem("%s: declares both words and subs; completion walks subs only", cmd);
		check_subs(cmd, e->subs, 0);
	}
	finish();
}

/* has_key - does text show "name=" (not as the tail of a longer key)? */
static int
has_key(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = strstr(text, name); p; p = strstr(p + 1, name))
		if ((p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_')) && p[n] == '=')
			return 1;
	return 0;
}

/* The names from the command down to a sub-command: "policyconfig incoming new". */
struct path {
	const char *name[10];	/* [0] the command; NULL for the nameless sub-command */
	int n;
};

/*
 * path_line - does one usage line start with the path? Each word of the
 * line may list alternatives ("incoming|outgoing"); the nameless
 * sub-command's line goes on with "k=" for one of its keys.
 */
static int
path_line(const char *line, size_t n, const struct path *p, const struct cmd_sub *s)
{
	const char *q = line, *e = line + n;

	for (int i = 0; i < p->n; i++) {
		const char *w = q, *we;
		int ok = 0;

		if (p->name[i] == NULL) {	/* the nameless one: "cmd k=" */
			for (const struct cmd_key *k = s->keys->keys; k->name; k++)
				if ((size_t)(e - q) > strlen(k->name) &&
				    strncmp(q, k->name, strlen(k->name)) == 0 && q[strlen(k->name)] == '=')
					return 1;
			return 0;
		}
		while (q < e && *q != ' ')
			q++;
		we = q;
		/* the alternatives of the word, '|'-separated */
		for (const char *a = w; a < we;) {
			const char *bar = memchr(a, '|', (size_t)(we - a));
			const char *ae = bar ? bar : we;

			if ((size_t)(ae - a) == strlen(p->name[i]) &&
			    strncmp(a, p->name[i], (size_t)(ae - a)) == 0)
				ok = 1;
			a = bar ? bar + 1 : we;
		}
		if (!ok)
			return 0;
		while (q < e && *q == ' ')
			q++;
	}
	return 1;
}

/*
 * usage_lines - the usage lines for a sub-command, joined by '\n'
 * (malloc'd), or NULL: its own usage if it has one (every line must
 * start with its path), else the command's lines that start with it
 */
static char *
usage_lines(const struct cmd_entry *e, const struct cmd_sub *s, const struct path *p)
{
	const char *u = s->usage ? s->usage : e->usage;
	char *all = NULL;
	size_t len = 0, cap = 0;

	for (const char *q = u; q && *q;) {
		const char *nl = strchr(q, '\n');
		size_t n = nl ? (size_t)(nl - q) : strlen(q);

		if (path_line(q, n, p, s)) {
			text_add(&all, &len, &cap, q, n);
			text_add(&all, &len, &cap, "\n", 1);
		} else if (s->usage) {
			problem("%s: the usage '%.*s' of a sub-command does not start with its "
				"path",
			    e->name, (int)n, q);
		}
		q += n + (nl ? 1 : 0);
	}
	return all;
}

/* usage_subs - test_usage_shows_subs for one level (and below) */
static void
usage_subs(const struct cmd_entry *e, const struct cmd_sub *subs, struct path *p)
{
	for (const struct cmd_sub *s = subs; s && s->exec; s++) {
		char *lines;

		if (p->n >= 10)
			return;
		p->name[p->n++] = s->name;
		lines = usage_lines(e, s, p);
		if (lines == NULL) {
			problem("%s: no usage line for the sub-command %s", e->name,
			    s->name ? s->name : "(key=value)");
		}
		for (const struct cmd_key *k = s->keys ? s->keys->keys : NULL; lines && k && k->name;
		    k++) {
			char want[80];

			snprintf(want, sizeof(want), "%s=", k->name);
			if (strstr(lines, "key=value") == NULL && !has_key(lines, k->name))
				problem("%s: usage '%s' shows neither %s nor key=value...", e->name,
				    lines, want);
		}
		free(lines);
		if (s->subs)
			usage_subs(e, s->subs, p);
		p->n--;
	}
}

/* every sub-command has usage lines, showing each of its keys or "key=value..." */
static void
test_usage_shows_subs(void)
{
	for (int i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];
		struct path p = { { e->name }, 1 };

		if (!empty(e->usage) && !empty(e->name))
			usage_subs(e, e->subs, &p);
	}
	finish();
}

/* man_words - the literals of a positional word tree are in the page text */
static void
man_words(const char *cmd, const char *text, const struct cmd_word *list, int depth)
{
	for (const struct cmd_word *w = list; w && w->word && depth < 8; w++) {
		if (w->word[0] != '<' && !has_phrase(text, w->word))
			problem("%s: mxsh-%s.1 does not show the word %s", cmd, cmd, w->word);
		if (w->next != list)
			man_words(cmd, text, w->next, depth + 1);
	}
}

/* man_subs - test_man_pages_show_keys for one level (and below) */
static void
man_subs(const char *cmd, const char *text, const struct cmd_sub *subs, int depth)
{
	for (const struct cmd_sub *s = subs; s->exec && depth < 8; s++) {
		if (s->name && !has_phrase(text, s->name))
			problem("%s: mxsh-%s.1 does not mention the sub-command %s", cmd, cmd,
			    s->name);
		for (const struct cmd_key *k = s->keys ? s->keys->keys : NULL; k && k->name; k++) {
			if (!has_key(text, k->name))
				problem("%s: mxsh-%s.1 does not document %s=", cmd, cmd, k->name);
			for (int v = 0; k->type == CMD_KEY_ENUM && k->values[v]; v++)
				if (!has_phrase(text, k->values[v]))
					problem("%s: mxsh-%s.1 does not show %s=%s", cmd, cmd, k->name,
					    k->values[v]);
		}
		man_words(cmd, text, s->args, 0);
		if (s->subs)
			man_subs(cmd, text, s->subs, depth + 1);
	}
}

/*
 * every sub-command (at every level), every key=, every word an ENUM key
 * takes and every literal positional word is in the command's man page
 */
static void
test_man_pages_show_keys(void)
{
	for (int i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];
		char *src, *text;

		if (e->subs == NULL || empty(e->name) || (src = slurp(page_path(e->name))) == NULL)
			continue;
		text = man_text(src);
		man_subs(e->name, text, e->subs, 0);
		free(text);
		free(src);
	}
	finish();
}

/* ---------------------------------------------------------- man pages */

static void
test_man_pages_exist(void)
{
	for (int i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];

		if (empty(e->name))
			continue;
		if (access(page_path(e->name), R_OK) < 0)
			problem("%s: no manual page %s", e->name, page_path(e->name));
		if (e->alias && access(page_path(e->alias), R_OK) < 0)
			problem("%s: no manual page %s for its alias", e->name, page_path(e->alias));
	}
	if (access(page_path(NULL), R_OK) < 0)
		problem("no manual page %s", page_path(NULL));
	finish();
}

static void
test_man_pages_show_usage(void)
{
	for (int i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];
		char *src, *text, want[256], so[300];

		if (empty(e->name) || empty(e->usage))
			continue;
		src = slurp(page_path(e->name));
		if (src == NULL)
			continue;	/* reported by man_pages_exist */
		text = man_text(src);
		if (strncmp(src, ".so ", 4) == 0)
			problem("%s: mxsh-%s.1 must be the page itself, not a .so link", e->name,
			    e->name);
		if (strstr(src, ".TH") == NULL || strstr(src, ".SH") == NULL)
			problem("%s: mxsh-%s.1 lacks .TH or .SH", e->name, e->name);
		snprintf(want, sizeof(want), "mxsh-%s", e->name);
		if (!has_phrase(text, want))
			problem("%s: page does not name itself %s (NAME section)", e->name, want);
		for (const char *p = e->usage; *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);

			usage_literal(p, n, want, sizeof(want));
			if (!has_phrase(text, want))
				problem("%s: page does not show the usage '%.*s' (looked for '%s')",
				    e->name, (int)n, p, want);
			p += n + (nl ? 1 : 0);
		}
		if (e->alias) {
			char *asrc = slurp(page_path(e->alias));

			if (!has_phrase(text, e->alias))
				problem("%s: page does not mention the alias '%s'", e->name, e->alias);
			snprintf(so, sizeof(so), ".so man1/mxsh-%s.1", e->name);
			if (asrc && strncmp(asrc, so, strlen(so)) != 0) {
				char *atext = man_text(asrc);

				if (!has_phrase(atext, e->alias))
					problem("%s: mxsh-%s.1 is neither '%s' nor a page about '%s'",
					    e->name, e->alias, so, e->alias);
				free(atext);
			}
			free(asrc);
		}
		free(text);
		free(src);
	}
	finish();
}

static void
test_no_orphan_pages(void)
{
	char dir[PATH_MAX + 32];
	DIR *d;
	struct dirent *de;
	int pages = 0;

	snprintf(dir, sizeof(dir), "%s/man/man1", root());
	d = opendir(dir);
	if (d == NULL)
		UNIT_FAIL("cannot read %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char name[256];

		if (strncmp(de->d_name, "mxsh-", 5) != 0)
			continue;
		if (n < 8 || strcmp(de->d_name + n - 2, ".1") != 0) {
			problem("man/man1/%s: command pages are named mxsh-COMMAND.1", de->d_name);
			continue;
		}
		pages++;
		snprintf(name, sizeof(name), "%.*s", (int)(n - 7), de->d_name + 5);
		if (!known_name(name))
			problem("man/man1/%s documents '%s', which is not in cmd_table", de->d_name,
			    name);
	}
	closedir(d);
	CHECK(pages > 0);
	finish();
}

static void
test_mxsh_page_lists_commands(void)
{
	char *src = slurp(page_path(NULL)), *text, want[300];

	if (src == NULL)
		UNIT_FAIL("no manual page %s", page_path(NULL));
	text = man_text(src);
	for (int i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];
		const char *names[2] = { e->name, e->alias };

		for (int k = 0; k < 2; k++) {
			if (empty(names[k]))
				continue;
			snprintf(want, sizeof(want), "mxsh-%s(1)", names[k]);
			if (strstr(text, want) == NULL)
				problem("mxsh.1 does not refer to %s (SEE ALSO)", want);
		}
	}
	free(text);
	free(src);
	finish();
}

/* The checker itself: man_text and usage_literal on known input. */
static void
test_helpers(void)
{
	char *t, lit[64];

	t = man_text(".\\\" comment\n.TH X 1\n.B smtproutes new\n.I DOMAIN DEST\\c\n"
		     ".RB [ ,\\c\n.IR DEST ...]\n.BR mxsh\\-help (1),\nplain \\fBbold\\fR "
		     "\\(aqq\\(aq\n");
	CHECK(has_phrase(t, "smtproutes new DOMAIN DEST[,DEST...]"));
	CHECK(has_phrase(t, "mxsh-help(1),"));
	CHECK(has_phrase(t, "plain bold 'q'"));
	CHECK(!has_phrase(t, "comment"));
	CHECK(!has_phrase(t, "smtproutes ne"));
	free(t);
	usage_literal("smtproutes new DOMAIN DEST[,DEST...]", 36, lit, sizeof(lit));
	CHECK_STR(lit, "smtproutes new");
	usage_literal("rollbackconfig [N [COMMENT...]]", 31, lit, sizeof(lit));
	CHECK_STR(lit, "rollbackconfig");
	usage_literal("quit", 4, lit, sizeof(lit));
	CHECK_STR(lit, "quit");
	CHECK(has_key("ip=IP port=N", "ip"));
	CHECK(has_key("[max_conns=N]", "max_conns"));
	CHECK(!has_key("max_conns=N", "conns"));
	CHECK(!has_key("ip port", "ip"));
	CHECK(!has_key("zip=1", "ip"));
}

static const struct unit_case cases[] = {
	{ "helpers", test_helpers },
	{ "entries_complete", test_entries_complete },
	{ "words_have_help", test_words_have_help },
	{ "subs_have_help", test_subs_have_help },
	{ "usage_shows_subs", test_usage_shows_subs },
	{ "man_pages_exist", test_man_pages_exist },
	{ "man_pages_show_usage", test_man_pages_show_usage },
	{ "man_pages_show_keys", test_man_pages_show_keys },
	{ "no_orphan_pages", test_no_orphan_pages },
	{ "mxsh_page_lists_commands", test_mxsh_page_lists_commands },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("cmdtable", cases, argc, argv);
}
