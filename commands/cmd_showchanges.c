/*
 * cmd_showchanges.c - `showchanges`: the pending changes as a diff.
 *
 * "+ section key = value" added, "- section key (was: v)" removed,
 * "~ section key = new (was: old)" changed; secrets show as *****, and
 * a changed one as "= ***** (changed)": the store lists no value of a
 * secret, not even encrypted (store/secret.h).
 * Listeners and mail policies are shown as their `print` sub-commands
 * show them (listenerconfig print, policyconfig ... print): an added one
 * in full, a changed one as a diff of the two ("-" a committed line, "+"
 * a pending one), a removed one by its name. Their stored
 * JSON is never shown.
 *
 * DIAGNOSTICS: one error line when the changes cannot be listed; a
 * stored value that does not decode is shown as it is stored.
 */
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/cmd_listenerconfig.h"
#include "commands/cmd_util.h"
#include "commands/policyconfig.h"
#include "mail/listener.h"
#include "mail/policy.h"
#include "store/config.h"
#include "util/buf.h"
#include "util/str.h"

/* ------------------------------------------------- rendering as lines */

/* capture_readline - no questions while rendering */
static char *
capture_readline(void *arg, const char *prompt, int *intr)
{
	(void)arg;
	(void)prompt;
	*intr = 0;
	return NULL;
}

/* capture_write - collect what a print function writes */
static int
capture_write(void *arg, const char *s, size_t n, int is_error)
{
	(void)is_error;
	buf_add(arg, s, n);
	return 0;
}

static const struct cli_io capture_io = { capture_readline, capture_write, NULL, NULL };

/* The lines a print function wrote. */
struct lines {
	int n;
	char **v;
	char *text;	/* the storage v points into */
};

/* lines_split - text into lines, empty ones dropped (a block has no blank lines here) */
static void
lines_split(struct lines *l, char *text)
{
	char *save = NULL;

	memset(l, 0, sizeof(*l));
	l->text = text;
	for (char *t = strtok_r(text, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
		l->v = xrealloc(l->v, sizeof(*l->v) * (size_t)(l->n + 1));
		l->v[l->n++] = t;
	}
}

static void
lines_free(struct lines *l)
{
	free(l->v);
	free(l->text);
	memset(l, 0, sizeof(*l));
}

/* Something that prints one object through cli_printf. */
typedef void (*render_fn)(struct cli *c, const void *obj, const void *ctx);

/* render - what fn prints for obj, as lines (the output goes nowhere else) */
static void
render(struct cli *c, render_fn fn, const void *obj, const void *ctx, struct lines *out)
{
	const struct cli_io *io = c->io;
	void *arg = c->io_arg;
	int stopped = c->stopped;
	struct buf b;

	buf_init(&b, 0);
	buf_addstr(&b, "");
	c->io = &capture_io;
	c->io_arg = &b;
	c->stopped = 0;
	fn(c, obj, ctx);
	c->io = io;
	c->io_arg = arg;
	c->stopped = stopped;
	lines_split(out, buf_steal(&b));
}

/* show_block - an added object in full */
static void
show_block(struct cli *c, const struct lines *l)
{
	for (int i = 0; i < l->n; i++)
		cli_printf(c, "      %s\n", l->v[i]);
}

/*
 * show_diff - a changed object: its lines, the unchanged ones as they are,
 * "- old" and "+ new" where they differ (a longest-common-subsequence
 * diff: print blocks are a few dozen lines)
 */
static void
show_diff(struct cli *c, const struct lines *old, const struct lines *new)
{
	int n = old->n, m = new->n, i = 0, j = 0;
	int *len = xcalloc((size_t)(n + 1) * (size_t)(m + 1), sizeof(*len));

#define L(a, b) len[(size_t)(a) * (size_t)(m + 1) + (size_t)(b)]
	/* L(a, b): the common lines of old[a..] and new[b..] */
	for (int a = n - 1; a >= 0; a--)
		for (int b = m - 1; b >= 0; b--)
			L(a, b) = strcmp(old->v[a], new->v[b]) == 0 ? L(a + 1, b + 1) + 1 :
			    L(a + 1, b) >= L(a, b + 1) ? L(a + 1, b) : L(a, b + 1);
	while (i < n || j < m) {
		if (i < n && j < m && strcmp(old->v[i], new->v[j]) == 0) {
			cli_printf(c, "      %s\n", new->v[j]);
			i++;
			j++;
		} else if (j == m || (i < n && L(i + 1, j) >= L(i, j + 1))) {
			cli_printf(c, "    - %s\n", old->v[i++]);
		} else {
			cli_printf(c, "    + %s\n", new->v[j++]);
		}
	}
#undef L
	free(len);
}

/* ---------------------------------------------------------- listeners */

/* listener_print - render_fn: one listener as `listenerconfig print` shows it */
static void
listener_print(struct cli *c, const void *obj, const void *ctx)
{
	(void)ctx;
	listenerconfig_print_one(c, obj);
}

/* show_listener - a pending listener change; -1 if a value does not decode */
static int
show_listener(struct cli *c, const char *key, const char *oldv, const char *newv)
{
	struct listener_conf o, n;
	struct lines lo = { 0 }, ln = { 0 };
	char *cause = NULL;

	if ((oldv && listener_decode(key, oldv, &o, &cause) < 0) ||
	    (newv && listener_decode(key, newv, &n, &cause) < 0)) {
		free(cause);
		return -1;
	}
	if (oldv)
		render(c, listener_print, &o, NULL, &lo);
	if (newv)
		render(c, listener_print, &n, NULL, &ln);
	if (oldv == NULL) {
		cli_printf(c, "  + listener %s:\n", key);
		show_block(c, &ln);
	} else if (newv == NULL) {
		cli_printf(c, "  - listener %s (was: %s)\n", key, lo.n ? lo.v[0] : "");
	} else {
		cli_printf(c, "  ~ listener %s:\n", key);
		show_diff(c, &lo, &ln);
	}
	lines_free(&lo);
	lines_free(&ln);
	return 0;
}

/* ------------------------------------------------------------ policies */

/* policy_print - render_fn: policy *idx of table ctx, as PRINT shows it, without its heading */
static void
policy_print(struct cli *c, const void *obj, const void *ctx)
{
	policyconfig_print_details(c, ctx, *(const int *)obj);
}

/*
 * show_policy - a pending policy change, rendered within the table as
 * this session sees it (the committed policy in the same place for the
 * old lines); -1 if it cannot be shown so
 */
static int
show_policy(struct cli *c, enum policy_dir dir, const char *key, const char *oldv,
    const char *newv)
{
	struct policy_table t;
	struct policy o, saved;
	struct lines lo = { 0 }, ln = { 0 };
	char *cause = NULL;
	int i, rc = 0;

	memset(&o, 0, sizeof(o));
	if (oldv && policy_decode(key, oldv, &o, &cause) < 0) {
		free(cause);
		return -1;
	}
	if (policy_load(c->st, dir, &t, &cause) < 0) {
		free(cause);
		if (oldv)
			policy_clear(&o);
		return -1;
	}
	i = policy_find(&t, key);
	if (newv == NULL) {
		cli_printf(c, "  - %s policy %s\n", policy_dir_name(dir), key);
	} else if (i < 0) {
		rc = -1;
	} else {
		render(c, policy_print, &i, &t, &ln);
		if (oldv) {
			/* the committed policy in the pending one's place */
			saved = t.p[i];
			t.p[i] = o;
			render(c, policy_print, &i, &t, &lo);
			t.p[i] = saved;
		}
		/* the first line is the "Policy: NAME (...)" heading: on the change line */
		cli_printf(c, "  %c %s policy %s:\n", oldv ? '~' : '+', policy_dir_name(dir), key);
		if (ln.n > 0) {
			ln.v++;
			ln.n--;
		}
		if (lo.n > 0) {
			lo.v++;
			lo.n--;
		}
		if (oldv)
			show_diff(c, &lo, &ln);
		else
			show_block(c, &ln);
		if (ln.v)
			ln.v--;
		if (lo.v)
			lo.v--;
	}
	lines_free(&lo);
	lines_free(&ln);
	policy_table_free(&t);
	if (oldv)
		policy_clear(&o);
	return rc;
}

/* ----------------------------------------------------------- the command */

/* show - config_change_cb printing one pending change */
static int
show(const char *section, const char *key, const char *oldv, const char *newv, void *arg)
{
	struct cli *c = arg;
	int done = -1;

	if (strcmp(section, "listener") == 0)
		done = show_listener(c, key, oldv, newv);
	else if (strcmp(section, policy_section(POLICY_INCOMING)) == 0)
		done = show_policy(c, POLICY_INCOMING, key, oldv, newv);
	else if (strcmp(section, policy_section(POLICY_OUTGOING)) == 0)
		done = show_policy(c, POLICY_OUTGOING, key, oldv, newv);
	if (done < 0)
		cmd_show_change(c, "  ", section, key, oldv, newv);
	return 0;
}

static enum cmd_ret
showchanges_exec(struct cli *c, int argc, char **argv)
{
	extern const struct cmd_entry cmd_showchanges_entry;
	char *cause = NULL;
	int n;

	if (argc > 0)
		return cmd_usage_error(c, &cmd_showchanges_entry, "showchanges");
	n = cmd_pending(c);
	if (n == 0) {
		cli_printf(c, "No changes have been made since the last commit.\n");
		return CMD_OK;
	}
	cli_printf(c, "Pending changes (%d, not yet committed):\n", n);
	if (config_pending_list(c->st, show, c, &cause) < 0) {
		cli_error(c, "Cannot list changes: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	return CMD_OK;
}

const struct cmd_entry cmd_showchanges_entry = {
	.name = "showchanges",
	.usage = "showchanges",
	.help = "Show the configuration changes that are pending commit.",
	.exec = showchanges_exec,
};
