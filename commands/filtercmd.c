/*
 * filtercmd.c - what `filters` and `contentfilters` share: the script
 * typed until ".", parsing scripts and import files, picking a filter
 * by name or number, and export files under the data directory.
 *
 * Import files and typed scripts are the filter language (mail/filter.h)
 * plus comment lines, '#' first on the line, which the language does
 * not know: they are blanked before parsing, so every line and column
 * an error names is the operator's own. Three of them are attributes of
 * the filter that follows: "# inactive" / "# active" (message filters)
 * and "# description: TEXT" (content filters); `export` writes one before
 * every filter.
 *
 * A file of many filters is not held to the size limit of one script
 * (FILTER_SCRIPT_MAX) as a whole: it is parsed in pieces, each from an
 * attribute line or a line that starts a filter ("name: if", first on
 * its line) to the next. Such a line can only ever start a filter:
 * strings end on their line, and nothing else in the language holds a
 * colon. Line numbers stay the file's own.
 *
 * A UTF-8 byte order mark at the start of a file (some editors write
 * one) is dropped: it is not part of the first line.
 *
 * Export files are created in DIR/configuration without following a
 * link (util/fsutil.h): written under a temporary name, fsynced, then
 * linked into place, which never replaces a file that appeared
 * meanwhile; `force` renames over an existing one instead.
 *
 * DIAGNOSTICS: one error line per refusal; nothing is staged here.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands/filtercmd.h"
#include "store/config.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/str.h"

/* ---------------------------------------------------------- typed scripts */

/* A free-text answer: TAB offers nothing and `?` is a character of the script. */
static const struct cli_prompt script_prompt = { NULL, 0, 0, NULL, 0 };

/* filtercmd_read_script - lines up to ".", joined */
char *
filtercmd_read_script(struct cli *c, enum cmd_ret *r)
{
	struct buf b;
	int line_no = 0, bad_line = 0, bad_char = -1, toolong = 0, nul = 0, intr = 0;

	cli_printf(c, "%s\n", FILTERCMD_SCRIPT_PROMPT);
	buf_init(&b, FILTER_SCRIPT_MAX);
	buf_addstr(&b, "");
	for (;;) {
		char *line;
		int bad;

		if (c->eof)
			goto abort;
		c->nul_in_line = 0;
		c->prompt = &script_prompt;
		line = c->io->readline(c->io_arg, "", &intr);
		c->prompt = NULL;
		if (line == NULL) {
			if (!intr)
				c->eof = 1;
			goto abort;
		}
		if (intr || cli_interrupted(c)) {
			free(line);
			goto abort;
		}
		line_no++;
		if (strcmp(str_trim(line), ".") == 0) {
			free(line);
			break;
		}
		/* the rest of a refused script is read all the same, never run as commands */
		if (c->nul_in_line && !bad_line) {
			nul = 1;
			bad_line = line_no;
		} else if ((bad = cli_bad_char(line)) >= 0 && !bad_line) {
			bad_char = bad;
			bad_line = line_no;
		}
		if (!toolong && (buf_addstr(&b, line) < 0 || buf_addch(&b, '\n') < 0))
			toolong = 1;
		free(line);
	}
	c->nul_in_line = 0;
	if (bad_line && nul)
		cli_error(c, "Line %d of the script contains a NUL byte: nothing was changed.",
		    bad_line);
	else if (bad_line)
		cli_error(c, "Line %d of the script contains a control character (\\%03o): nothing "
			     "was changed.",
		    bad_line, bad_char);
	else if (toolong)
		cli_error(c, "The script is longer than %d bytes: nothing was changed.",
		    FILTER_SCRIPT_MAX);
	if (bad_line || toolong) {
		buf_free(&b);
		*r = CMD_ERROR;
		return NULL;
	}
	*r = CMD_OK;
	return buf_steal(&b);
abort:
	c->nul_in_line = 0;
	buf_free(&b);
	*r = CMD_ABORTED;
	return NULL;
}

/* ---------------------------------------------------------- parsing */

/* One piece of a script, parsed alone: from an attribute line to the next. */
struct piece {
	int first_line;		/* the script's line number of the piece's first line */
	struct buf text;	/* its lines, comments blanked */
	int has_attr;		/* an attribute line started it */
	int active;		/* its first filter's state */
	char *desc;		/* its first filter's description, or NULL */
};

/* script_add - one parsed filter with its attributes */
static void
script_add(struct filtercmd_script *s, struct filter *f, int active, const char *desc)
{
	s->f = xrealloc(s->f, sizeof(*s->f) * (size_t)(s->n + 1));
	s->active = xrealloc(s->active, sizeof(*s->active) * (size_t)(s->n + 1));
	s->desc = xrealloc(s->desc, sizeof(*s->desc) * (size_t)(s->n + 1));
	s->f[s->n] = f;
	s->active[s->n] = active;
	s->desc[s->n] = desc ? str_dup(desc) : NULL;
	s->n++;
}

/* filtercmd_script_free - release a parsed script */
void
filtercmd_script_free(struct filtercmd_script *s)
{
	for (int i = 0; i < s->n; i++) {
		filter_free(s->f[i]);
		free(s->desc[i]);
	}
	free(s->f);
	free(s->active);
	free(s->desc);
	memset(s, 0, sizeof(*s));
}

/* blank_text - only white space? */
static int
blank_text(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)p[i]))
			return 0;
	return 1;
}

/* first_word - the script's line and column of the piece's first non-blank character */
static void
first_word(const struct piece *p, int *line, int *col)
{
	*line = p->first_line;
	*col = 1;
	for (size_t i = 0; i < p->text.len && isspace((unsigned char)p->text.data[i]); i++) {
		if (p->text.data[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/*
 * parse_piece - the filters of one piece into s; attribute values to the
 * first. -1 with the error printed.
 */
static int
parse_piece(struct cli *c, const struct piece *p, int attr_line, struct filtercmd_script *s)
{
	struct filter **fs = NULL;
	struct filter_error fe;
	int n = 0;

	if (blank_text(p->text.data, p->text.len)) {
		if (p->has_attr) {
			cli_error(c, "Invalid filter syntax: line %d, column 1: no filter follows this "
				     "attribute line.",
			    attr_line);
			return -1;
		}
		return 0;
	}
	memset(&fe, 0, sizeof(fe));
	if (filter_parse(p->text.data, p->text.len, &fs, &n, &fe) < 0) {
		cli_error(c, "Invalid filter syntax: line %d, column %d: %s",
		    fe.line + p->first_line - 1, fe.col, fe.msg);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < s->n; j++) {
			if (strcasecmp(filter_name(fs[i]), filter_name(s->f[j])) == 0) {
				int line, col;

				/* where the piece's first filter starts (a later one: the piece) */
				first_word(p, &line, &col);
				cli_error(c, "Invalid filter syntax: line %d, column %d: Duplicate filter "
					     "name '%s'",
				    i == 0 ? line : p->first_line, i == 0 ? col : 1, filter_name(fs[i]));
				filter_free_all(fs, n);
				return -1;
			}
		}
		if (s->n >= FILTERCONF_MAX) {
			cli_error(c, "The script holds more than %d filters.", FILTERCONF_MAX);
			filter_free_all(fs, n);
			return -1;
		}
	}
	for (int i = 0; i < n; i++) {
		script_add(s, fs[i], i == 0 ? p->active : 1, i == 0 ? p->desc : NULL);
		fs[i] = NULL;
	}
	/* the array alone: its filters now belong to s */
	filter_free_all(fs, 0);
	return 0;
}

/* attr_line - is t (a comment line, trimmed) an attribute? sets the piece's values */
static int
attr_line(const char *t, int *active, char **desc)
{
	const char *p = t + 1;

	while (*p == ' ' || *p == '\t')
		p++;
	if (strcasecmp(p, "inactive") == 0 || strcasecmp(p, "active") == 0) {
		*active = tolower((unsigned char)*p) == 'a';
		return 1;
	}
	if (strncasecmp(p, "description:", 12) == 0) {
		char *d = str_dup(p + 12);

		free(*desc);
		*desc = str_dup(str_trim(d));
		free(d);
		return 1;
	}
	return 0;
}

/* filter_start - does line t (trimmed) start a filter: "name: if" ? */
static int
filter_start(const char *t)
{
	const char *p = t;

	if (!isalpha((unsigned char)*p) && *p != '_')
		return 0;
	while (isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.')
		p++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != ':')
		return 0;
	while (*p == ' ' || *p == '\t')
		p++;
	return strncasecmp(p, "if", 2) == 0 &&
	    (p[2] == '\0' || p[2] == '(' || isspace((unsigned char)p[2]));
}

/* piece_start - a fresh piece from line first */
static void
piece_start(struct piece *p, int first)
{
	memset(p, 0, sizeof(*p));
	p->first_line = first;
	p->active = 1;
	buf_init(&p->text, 0);
	buf_addstr(&p->text, "");
}

/* filtercmd_parse - a script or file into filters with their attributes */
int
filtercmd_parse(struct cli *c, const char *text, size_t len, struct filtercmd_script *s)
{
	struct piece p;
	size_t pos = 0;
	int line_no = 0, rc = -1, last_attr = 0;

	memset(s, 0, sizeof(*s));
	/* a UTF-8 byte order mark, as some editors save files: not part of line 1 */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	piece_start(&p, 1);
	while (pos < len) {
		const char *ln = text + pos, *nl = memchr(ln, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - ln) : len - pos;
		char *copy, *t;
		int bad;

		pos += n + (nl ? 1 : 0);
		line_no++;
		if (n > 0 && ln[n - 1] == '\r')
			n--;	/* CRLF files */
		if (memchr(ln, '\0', n) != NULL) {
			cli_error(c, "Invalid filter syntax: line %d contains a NUL byte.", line_no);
			goto out;
		}
		copy = str_ndup(ln, n);
		if ((bad = cli_bad_char(copy)) >= 0) {
			cli_error(c, "Invalid filter syntax: line %d contains a control character "
				     "(\\%03o).",
			    line_no, bad);
			free(copy);
			goto out;
		}
		t = str_trim(copy);
		if (*t == '#') {
			int active = 1;
			char *desc = NULL;

			if (attr_line(t, &active, &desc)) {
				/* the piece so far is complete: parse it, start the next */
				if (parse_piece(c, &p, last_attr, s) < 0) {
					free(desc);
					free(copy);
					goto out;
				}
				buf_free(&p.text);
				free(p.desc);
				piece_start(&p, line_no + 1);
				p.has_attr = 1;
				p.active = active;
				p.desc = desc;
				last_attr = line_no;
			} else {
				buf_addch(&p.text, '\n');	/* a plain comment: a blank line */
			}
			free(copy);
			continue;
		}
		if (filter_start(t) && !blank_text(p.text.data, p.text.len)) {
			/* the next filter: what came before is complete */
			if (parse_piece(c, &p, last_attr, s) < 0) {
				free(copy);
				goto out;
			}
			buf_free(&p.text);
			free(p.desc);
			piece_start(&p, line_no);
		}
		buf_add(&p.text, ln, n);
		buf_addch(&p.text, '\n');
		free(copy);
	}
	if (parse_piece(c, &p, last_attr, s) < 0)
		goto out;
	if (s->n == 0) {
		cli_error(c, "Invalid filter syntax: the script holds no filter.");
		goto out;
	}
	rc = 0;
out:
	buf_free(&p.text);
	free(p.desc);
	if (rc < 0)
		filtercmd_script_free(s);
	return rc;
}

/* filtercmd_read_file - a whole file the operator names */
char *
filtercmd_read_file(struct cli *c, const char *path, size_t *len)
{
	int fd = cli_open_file(c, path);
	char *text = fd < 0 ? NULL : fs_read_fd(fd, FILTERCMD_IMPORT_MAX, len);

	if (text == NULL)
		cli_error(c, "Cannot read the file %.200s: %s.", path,
		    errno == EFBIG ? "the file is too large" : fs_strerror(errno));
	return text;
}

/* ---------------------------------------------------------- picking */

/* filtercmd_pick - an entry by name or number; error printed */
int
filtercmd_pick(struct cli *c, const struct filter_set *s, const char *word, const char *what)
{
	long num;
	int i;

	if (isdigit((unsigned char)word[0])) {
		if (str_to_long(word, 1, s->n > 0 ? s->n : 1, &num) == 0 && num <= s->n)
			return (int)num - 1;
		if (s->n == 0)
			cli_error(c, "Invalid filter range: %.20s (there are no %ss).", word, what);
		else
			cli_error(c, "Invalid filter range: %.20s (give a number from 1 to %d).", word,
			    s->n);
		return -1;
	}
	if ((i = filterconf_index(s, word)) < 0)
		cli_error(c, "Invalid filter name '%.64s': there is no %s of that name.", word, what);
	return i;
}

/* ---------------------------------------------------------- export */

/* filtercmd_export_name_ok - one printable file name, not hidden, no '/' nor ".." */
int
filtercmd_export_name_ok(struct cli *c, const char *name)
{
	size_t n = strlen(name);
	int ok = n > 0 && n <= 200 && name[0] != '.' && strchr(name, '/') == NULL &&
	    strstr(name, "..") == NULL;

	for (const char *p = name; ok && *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			ok = 0;
	if (!ok)
		cli_error(c, "Invalid file name '%.100s': give a name without '/' or '..' that does "
			     "not start with '.' (the file is written in the directory %s of the data "
			     "directory).",
		    name, FILTERCMD_EXPORT_DIR);
	return ok;
}

/* export_dir - DIR/configuration (malloc'd) */
static char *
export_dir(struct cli *c)
{
	return str_printf("%s/%s", store_dir(c->st), FILTERCMD_EXPORT_DIR);
}

/* filtercmd_export_exists - does the export file exist (as anything, a link too)? */
int
filtercmd_export_exists(struct cli *c, const char *name)
{
	char *dir = export_dir(c);
	struct stat sb;
	int dfd = fs_open_dir(dir, 0), exists = 0;

	if (dfd >= 0) {
		exists = fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
		close(dfd);
	}
	free(dir);
	return exists;
}

/* write_all - the whole of p to fd; -1 with errno */
static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* filtercmd_export - text into DIR/configuration/name, safely */
int
filtercmd_export(struct cli *c, const char *name, int force, const char *text, size_t len,
    char **path)
{
	char *dir = export_dir(c), *tmp = NULL;
	struct stat sb;
	int dfd, fd, rc = -1, err;

	*path = str_printf("%s/%s", dir, name);
	dfd = fs_open_dir(dir, 0700);
	if (dfd < 0) {
		cli_error(c, "Cannot open the directory %.200s: %s.", dir, fs_strerror(errno));
		free(dir);
		return -1;
	}
	if (!force && fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		cli_error(c, "The file %.200s exists: add force to replace it.", *path);
		goto out;
	}
	tmp = str_printf(".%s.%ld.tmp", name, (long)getpid());
	fd = fs_openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	rc = fd < 0 ? -1 : write_all(fd, text, len);
	if (rc == 0)
		rc = fsync(fd);
	err = errno;
	if (fd >= 0 && close(fd) < 0 && rc == 0) {
		rc = -1;
		err = errno;
	}
	if (rc == 0) {
		/* link never replaces a file that appeared meanwhile; rename (force) does */
		rc = force ? renameat(dfd, tmp, dfd, name) : linkat(dfd, tmp, dfd, name, 0);
		err = errno;
		if (rc < 0 && err == EEXIST)
			cli_error(c, "The file %.200s exists: add force to replace it.", *path);
		else if (rc < 0)
			cli_error(c, "Cannot write %.200s: %s.", *path, fs_strerror(err));
	} else {
		cli_error(c, "Cannot write %.200s: %s.", *path, fs_strerror(err));
	}
	if (fd >= 0 && !(rc == 0 && force))
		unlinkat(dfd, tmp, 0);
out:
	free(tmp);
	close(dfd);
	free(dir);
	return rc;
}

/* ---------------------------------------------------------- messages */

/* filtercmd_note_invalid - say why a staged filter will not run */
void
filtercmd_note_invalid(struct cli *c, const struct filter_entry *e)
{
	if (!e->valid)
		cli_printf(c, "Filter \"%s\" has been marked invalid: %s\n", e->name, e->why);
}

/* filtercmd_desc_ok - a description's length and characters; error printed */
int
filtercmd_desc_ok(struct cli *c, const char *desc)
{
	int bad = cli_bad_char(desc);

	if (strlen(desc) > FILTERCONF_DESC_MAX) {
		cli_error(c, "The description is longer than %d characters.", FILTERCONF_DESC_MAX);
		return 0;
	}
	if (bad >= 0) {
		cli_error(c, "The description contains a control character (\\%03o).", bad);
		return 0;
	}
	return 1;
}

int
filtercmd_load(struct cli *c, const char *section, const char *what, struct filter_set *s)
{
	char *cause = NULL;

	if (filterconf_load(c->st, section, s, &cause) < 0) {
		cli_error(c, "Cannot read the %s: %s", what, cause);
		free(cause);
		return -1;
	}
	return 0;
}

enum cmd_ret
filtercmd_stage(struct cli *c, const char *section, const struct filter_set *s)
{
	char *cause = NULL;
	int ok;

	if (config_begin(c->st, &cause) < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	ok = filterconf_save(c->st, section, s, &cause) == 0;
	if (!ok) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
		cause = NULL;
	}
	if (config_end(c->st, ok, &cause) < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	return ok ? CMD_OK : CMD_ERROR;
}
