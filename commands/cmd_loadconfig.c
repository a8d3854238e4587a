/*
 * cmd_loadconfig.c - `loadconfig FILE [passphrase=P]`: a saved
 * configuration file becomes the session's candidate.
 *
 * FILE is a name in DIR/configuration/ (what saveconfig wrote) or a path
 * the operator may read (opened with the operator's rights,
 * cli_open_file). The file is parsed whole first (mail/cfgfile.c): a
 * damaged one is refused as "FILE: line L, column C: WHAT" and nothing
 * changes. A file with masked passphrases is refused, as AsyncOS refuses
 * it: loading it would wipe every secret. An encrypted one needs its
 * passphrase (asked, or passphrase= in a script). A file saved at an
 * older config.db schema has the store's migrations replayed over its
 * items (store/cfgio.h). Then every running item the file does not hold
 * is staged for deletion and the others are set, all or nothing;
 * settings are checked as settingsconfig checks them, every other item
 * as mxgated will read it (mail/confcheck.h confcheck_items: a listener,
 * route, policy, filter, ... that mxgated could not apply), and the
 * configuration as a whole as commit will check it (confcheck_rules). A
 * section this build does not know is refused: its items would be kept
 * and never used. Any refusal is one line naming the item (with its line
 * and column in the file) and leaves nothing pending. `showchanges`
 * shows the result and `commit` applies it; nothing runs before that.
 * Refused with pending changes of this session.
 *
 * Admins only (commands/roles.c): a file replaces every item, the
 * admins' own settings too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "commands/cfgcmd.h"
#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "mail/confcheck.h"
#include "store/cfgio.h"
#include "store/config.h"
#include "util/fsutil.h"
#include "util/str.h"

#define PASSPHRASE_MAX 1024

extern const struct cmd_entry cmd_loadconfig_entry;

/* read_file - the file's text: a bare name from the configuration directory, else a path */
static char *
read_file(struct cli *c, const char *name, size_t *len)
{
	int fd, dfd;
	char *text;

	if (strchr(name, '/') == NULL) {
		if ((dfd = cfgcmd_dir(c)) < 0)
			return NULL;
		fd = fs_openat(dfd, name, O_RDONLY, 0);
		close(dfd);
	} else {
		fd = cli_open_file(c, name);
	}
	text = fd < 0 ? NULL : fs_read_fd(fd, CFGFILE_MAX, len);
	if (text == NULL)
		cli_error(c, "%s: %s.", name, errno == EFBIG ? "the file is too large" :
		    errno == ENOENT && strchr(name, '/') == NULL ?
		    "no such file in the configuration directory" : fs_strerror(errno));
	return text;
}

/*
 * name_cmp - qsort of file names: saveconfig's stamps sort oldest first,
 * "config-H-STAMP.json" before "config-H-STAMP-2.json" (compared without
 * ".json", a name before its own continuations)
 */
static int
name_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t lx = strlen(x), ly = strlen(y);
	int r;

	if (lx > 5 && strcmp(x + lx - 5, ".json") == 0)
		lx -= 5;
	if (ly > 5 && strcmp(y + ly - 5, ".json") == 0)
		ly -= 5;
	r = memcmp(x, y, lx < ly ? lx : ly);
	if (r == 0)
		r = lx < ly ? -1 : lx > ly;
	return r ? r : strcmp(x, y);
}

/*
 * ask_file - the saved files of the configuration directory, numbered;
 * the answer is a number, a name or a path
 */
static enum ask_ret
ask_file(struct cli *c, char *out, size_t size)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	enum ask_ret r;
	long v;
	DIR *d;
	int dfd = cfgcmd_dir(c);

	if (dfd >= 0 && (d = fdopendir(dfd)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			/* a name with control characters would reach the terminal: not offered */
			if (de->d_name[0] == '.' || cli_bad_char(de->d_name) >= 0)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				names = xrealloc(names, cap * sizeof(*names));
			}
			names[n++] = str_dup(de->d_name);
		}
		closedir(d);
	} else if (dfd >= 0) {
		close(dfd);
	}
	if (n > 0) {
		qsort(names, n, sizeof(*names), name_cmp);
		cli_printf(c, "\nFiles in the configuration directory:\n");
		for (size_t i = 0; i < n; i++)
			cli_printf(c, "%zu. %s\n", i + 1, names[i]);
	}
	r = cli_ask(c, n > 0 ? "Enter the number of the file to load, or a file name or path." :
	    "Enter the name of the file in the configuration directory, or its path.", NULL, out,
	    size);
	if (r == ASK_OK && n > 0 && str_to_long(out, 1, (long)n, &v) == 0)
		str_copy(out, names[v - 1], size);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

/* The items after migration, as cfgio_stage takes them. */
struct migrated {
	struct cfgio_item *items;	/* section, key, value: malloc'd copies */
	size_t n, cap;
};

/* add_migrated - cfgio_item_cb */
static int
add_migrated(const char *section, const char *key, const char *value, int secret, void *arg)
{
	struct migrated *m = arg;

	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->items = xrealloc(m->items, m->cap * sizeof(*m->items));
	}
	m->items[m->n].section = str_dup(section);
	m->items[m->n].key = str_dup(key);
	m->items[m->n++].value = str_dup(value);
	return 0;
}

/* migrated_free - cleansing the values: secrets are among them */
static void
migrated_free(struct migrated *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free((char *)m->items[i].section);
		free((char *)m->items[i].key);
		sodium_memzero((char *)m->items[i].value, strlen(m->items[i].value));
		free((char *)m->items[i].value);
	}
	free(m->items);
}

/* where - the item of f named section/key, for its line and column; NULL if none */
static const struct cfgfile_item *
where(const struct cfgfile *f, const char *section, const char *key)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->items[i].section, section) == 0 && strcmp(f->items[i].key, key) == 0)
			return &f->items[i];
	return NULL;
}

/* What load_check found wrong. */
struct loadcheck {
	struct confcheck_where w;	/* the item blamed by confcheck_items */
	int rule;			/* 1: a cross-item rule broke instead */
};

/* load_check - config_check_cb: the staged file as mxgated reads it, then commit's rules */
static int
load_check(struct store *st, void *arg, char **cause)
{
	struct loadcheck *lc = arg;

	if (confcheck_items(st, &lc->w, cause) < 0)
		return -1;
	if (confcheck_rules(st, cause) < 0) {
		lc->rule = 1;
		return -1;
	}
	return 0;
}

/* unknown_section - the index of the first item in a section mxgated does not read, or -1 */
static long
unknown_section(const struct migrated *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (!confcheck_section_known(m->items[i].section))
			return (long)i;
	return -1;
}

/* unseal - open an encrypted file's secrets with the passphrase given or asked */
static enum cmd_ret
unseal(struct cli *c, const char *name, struct cfgfile *f, const char *given)
{
	char pass[PASSPHRASE_MAX + 1] = "", *cause = NULL;
	enum cmd_ret ret = CMD_ERROR;

	if (f->secrets != CFGFILE_ENCRYPTED)
		return CMD_OK;
	if (given) {
		if (str_copy(pass, given, sizeof(pass)) < 0) {
			cli_error(c, "%s: the passphrase is not the one the file was saved with.",
			    name);
			return CMD_ERROR;
		}
	} else {
		switch (cli_ask_secret(c, "Enter the passphrase the file was saved with:", 0, pass,
		    sizeof(pass))) {
		case ASK_ABORT:
			return CMD_ABORTED;
		case ASK_BACK:
			cli_error(c, "%s: no passphrase given; nothing was loaded.", name);
			return CMD_ERROR;
		case ASK_OK:
			break;
		}
	}
	if (cfgfile_unseal(f, pass, &cause) < 0) {
		cli_error(c, "%s: %s; nothing was loaded.", name, cause);
		free(cause);
	} else {
		ret = CMD_OK;
	}
	sodium_memzero(pass, sizeof(pass));
	return ret;
}

static enum cmd_ret
loadconfig_exec(struct cli *c, int argc, char **argv)
{
	char name[1024], *text, *cause = NULL;
	const char *given = NULL;
	struct cfgfile f;
	struct cfgio_item *items = NULL;
	struct migrated m = { 0 };
	struct loadcheck lc = { 0 };
	enum cmd_ret ret = CMD_ERROR;
	size_t len = 0;
	long bad = -1;
	int n;

	if (argc > 2 || (argc == 2 && strncasecmp(argv[1], "passphrase=", 11) != 0))
		return cmd_usage_error(c, &cmd_loadconfig_entry, argv[argc - 1]);
	if (argc == 2)
		given = argv[1] + 11;
	if ((n = cmd_pending(c)) != 0) {
		cli_error(c, n < 0 ? "Cannot read pending changes." :
		    "You have uncommitted changes; commit or clear them before loading a "
		    "configuration.");
		return CMD_ERROR;
	}
	if (argc == 0) {
		switch (ask_file(c, name, sizeof(name))) {
		case ASK_ABORT:
			return CMD_ABORTED;
		case ASK_BACK:
			return CMD_OK;
		case ASK_OK:
			break;
		}
	} else if (str_copy(name, argv[0], sizeof(name)) < 0) {
		cli_error(c, "The file name is too long.");
		return CMD_ERROR;
	}
	if ((text = read_file(c, name, &len)) == NULL)
		return CMD_ERROR;
	n = cfgfile_parse(text, len, &f, &cause);
	sodium_memzero(text, len);
	free(text);
	if (n < 0) {
		cli_error(c, "%s: %s", name, cause);
		free(cause);
		return CMD_ERROR;
	}
	if (cfgfile_masked(&f) > 0) {
		cli_error(c, "%s: the file was saved with masked passphrases (%zu) and cannot be "
			     "loaded; save it with 'saveconfig encrypt'.", name, cfgfile_masked(&f));
		goto out;
	}
	if ((ret = unseal(c, name, &f, given)) != CMD_OK)
		goto out;
	ret = CMD_ERROR;
	/* the store's own migrations, from the file's schema to this one */
	items = xcalloc(f.n + 1, sizeof(*items));
	for (size_t i = 0; i < f.n; i++)
		items[i] = (struct cfgio_item){ f.items[i].section, f.items[i].key, f.items[i].value };
	if (cfgio_migrate(f.schema, items, f.n, add_migrated, &m, &cause) < 0) {
		cli_error(c, "%s: %s", name, cause);
		free(cause);
		goto out;
	}
	if ((bad = unknown_section(&m)) >= 0) {
		const struct cfgfile_item *it = where(&f, m.items[bad].section, m.items[bad].key);

		if (it)
			cli_error(c, "%s: line %zu, column %zu: unknown section '%.64s': this "
				     "version has no such configuration; nothing was loaded.",
			    name, it->line, it->column, m.items[bad].section);
		else
			cli_error(c, "%s: unknown section '%.64s': this version has no such "
				     "configuration; nothing was loaded.",
			    name, m.items[bad].section);
		goto out;
	}
	/* staged, read as mxgated will read it and checked as commit will, or nothing staged */
	if (cfgio_stage(c->st, m.items, m.n, load_check, &lc, &bad, &cause) < 0) {
		const struct cfgfile_item *it = NULL;
		const char *section = NULL, *key = "";

		if (bad >= 0) {
			section = m.items[bad].section;
			key = m.items[bad].key;
		} else if (!lc.rule && lc.w.section[0]) {
			section = lc.w.section;
			key = lc.w.key;
		}
		if (section && key[0])
			it = where(&f, section, key);
		if (it)
			cli_error(c, "%s: line %zu, column %zu: %s %s: %s", name, it->line,
			    it->column, it->section, it->key, cause);
		else if (section)
			cli_error(c, "%s: %s%s%s: %s", name, section, key[0] ? " " : "", key,
			    cause);
		else if (lc.rule)
			cli_error(c, "%s: the configuration breaks a rule: %s Nothing was loaded.",
			    name, cause);
		else
			cli_error(c, "%s: %s", name, cause);
		free(cause);
		goto out;
	}
	n = cmd_pending(c);
	if (n == 0)
		cli_printf(c, "The running configuration already matches %s: nothing to commit.\n",
		    name);
	else
		cli_printf(c, "Configuration loaded: %d change%s pending. Use 'commit' to apply "
			      "them.\n", n, n == 1 ? "" : "s");
	ret = CMD_OK;
out:
	migrated_free(&m);
	free(items);
	cfgfile_free(&f);
	return ret;
}

static const struct cmd_word pass_words[] = {
	{ "passphrase=", "the passphrase the file was saved with (encrypted files)", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word loadconfig_words[] = {
	{ "<FILE>", "a file in the configuration directory, or a path", pass_words },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_loadconfig_entry = {
	.name = "loadconfig",
	.usage = "loadconfig [FILE [passphrase=PASSPHRASE]]",
	.help = "Load a saved configuration file as pending changes.",
	.flags = CMD_F_CONFIG | CMD_F_ADMIN | CMD_F_NOABBREV | CMD_F_SECRET_ARGS,
	.words = loadconfig_words,
	.exec = loadconfig_exec,
};
