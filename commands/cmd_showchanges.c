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
 * JSON is never shown. So are the other objects an operator edits whole:
 * a message filter (Active, then its script), a content filter (its
 * description, then its script), a quarantine (its settings in words;
 * the built-in Policy quarantine is always there, so its item coming or
 * going is a change of its settings) and an address list (description,
 * type, then its entries one a line, so that a long list is a diff of
 * the entries that changed). A threat feed is shown as its URL. Long
 * values of other items (a CA bundle, the RDAP bootstrap file) are summed
 * up, not printed (cmd_util.c).
 *
 * DIAGNOSTICS: one error line when the changes cannot be listed; a
 * stored value that does not decode is shown as it is stored.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "commands/cmd.h"
#include "commands/cmd_listenerconfig.h"
#include "commands/cmd_util.h"
#include "commands/policyconfig.h"
#include "mail/addrlist.h"
#include "mail/filterconf.h"
#include "mail/listener.h"
#include "mail/policy.h"
#include "mail/sdrconf.h"
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
 * The most cells of the longest-common-subsequence table show_diff
 * builds: 4 M ints. Print blocks are a few dozen lines, but an address
 * list holds up to 10,000 entries and a filter script 64 KB; past this,
 * the differing middle is shown as all its old lines, then all its new.
 */
#define DIFF_CELLS_MAX (4L * 1024 * 1024)

/*
 * show_diff - a changed object: its lines, the unchanged ones as they are,
 * "- old" and "+ new" where they differ (the common first and last lines
 * set aside, then a longest-common-subsequence diff of the middle)
 */
static void
show_diff(struct cli *c, const struct lines *old, const struct lines *new)
{
	int top = 0, tail = 0, n, m, i = 0, j = 0;
	int *len = NULL;

	while (top < old->n && top < new->n && strcmp(old->v[top], new->v[top]) == 0)
		top++;
	while (tail < old->n - top && tail < new->n - top &&
	    strcmp(old->v[old->n - 1 - tail], new->v[new->n - 1 - tail]) == 0)
		tail++;
	for (int k = 0; k < top; k++)
		cli_printf(c, "      %s\n", new->v[k]);
	n = old->n - top - tail;
	m = new->n - top - tail;
	if ((long)(n + 1) * (long)(m + 1) <= DIFF_CELLS_MAX)
		len = xcalloc((size_t)(n + 1) * (size_t)(m + 1), sizeof(*len));

#define O(a) old->v[top + (a)]
#define N(b) new->v[top + (b)]
#define L(a, b) len[(size_t)(a) * (size_t)(m + 1) + (size_t)(b)]
	/* L(a, b): the common lines of old[a..] and new[b..] in the middle */
	for (int a = n - 1; len && a >= 0; a--)
		for (int b = m - 1; b >= 0; b--)
			L(a, b) = strcmp(O(a), N(b)) == 0 ? L(a + 1, b + 1) + 1 :
			    L(a + 1, b) >= L(a, b + 1) ? L(a + 1, b) : L(a, b + 1);
	while (i < n || j < m) {
		if (len && i < n && j < m && strcmp(O(i), N(j)) == 0) {
			cli_printf(c, "      %s\n", N(j));
			i++;
			j++;
		} else if (j == m || (i < n && (len == NULL || L(i + 1, j) >= L(i, j + 1)))) {
			cli_printf(c, "    - %s\n", O(i));
			i++;
		} else {
			cli_printf(c, "    + %s\n", N(j));
			j++;
		}
	}
#undef L
#undef N
#undef O
	for (int k = new->n - tail; k < new->n; k++)
		cli_printf(c, "      %s\n", new->v[k]);
	free(len);
}

/* show_object - "+ what NAME:" in full, "~ what NAME:" as a diff, "- what NAME" */
static void
show_object(struct cli *c, const char *what, const char *key, const struct lines *lo,
    const struct lines *ln)
{
	if (lo == NULL) {
		cli_printf(c, "  + %s %s:\n", what, key);
		show_block(c, ln);
	} else if (ln == NULL) {
		cli_printf(c, "  - %s %s\n", what, key);
	} else {
		cli_printf(c, "  ~ %s %s:\n", what, key);
		show_diff(c, lo, ln);
	}
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

/* ------------------------------------------- filters and content filters */

/*
 * filter_lines - a stored message filter (with active) or content filter
 * (with its description) as lines: what `filters detail` and
 * `contentfilters detail` show of it, its script line by line; -1 when
 * the value does not decode (shown as stored)
 */
static int
filter_lines(const char *json, int content, struct lines *out)
{
	cJSON *o = cJSON_Parse(json);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "text");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "description");
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "active");
	struct buf b;

	if (!cJSON_IsObject(o) || !cJSON_IsString(t) || (d && !cJSON_IsString(d)) ||
	    (a && !cJSON_IsBool(a))) {
		cJSON_Delete(o);
		return -1;
	}
	buf_init(&b, 0);
	if (content)
		buf_printf(&b, "Description: %s\n",
		    d && d->valuestring[0] ? d->valuestring : "(none)");
	else
		buf_printf(&b, "Active: %s\n", a == NULL || cJSON_IsTrue(a) ? "Yes" : "No");
	buf_printf(&b, "%s\n", t->valuestring);
	cJSON_Delete(o);
	lines_split(out, buf_steal(&b));
	return 0;
}

/* show_filter - a pending message filter or content filter; -1 if a value does not decode */
static int
show_filter(struct cli *c, int content, const char *key, const char *oldv, const char *newv)
{
	struct lines lo = { 0 }, ln = { 0 };
	int rc = 0;

	if ((oldv && filter_lines(oldv, content, &lo) < 0) ||
	    (newv && filter_lines(newv, content, &ln) < 0))
		rc = -1;
	else
		show_object(c, content ? "content filter" : "message filter", key,
		    oldv ? &lo : NULL, newv ? &ln : NULL);
	lines_free(&lo);
	lines_free(&ln);
	return rc;
}

/* --------------------------------------------------------- quarantines */

/*
 * quarantine_lines - a stored quarantine (NULL: the built-in Policy's
 * defaults) as `quarantineconfig print` words its columns; -1 when the
 * value does not decode
 */
static int
quarantine_lines(const char *json, struct lines *out)
{
	cJSON *o = json ? cJSON_Parse(json) : cJSON_CreateObject();
	const cJSON *sz = cJSON_GetObjectItemCaseSensitive(o, "size_mb");
	const cJSON *rt = cJSON_GetObjectItemCaseSensitive(o, "retention_hours");
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(o, "expire");
	long size = QUARANTINE_SIZE_DEFAULT, hours = QUARANTINE_RETENTION_DEFAULT;
	struct buf b;

	if (!cJSON_IsObject(o) || (sz && !cJSON_IsNumber(sz)) || (rt && !cJSON_IsNumber(rt)) ||
	    (ex && (!cJSON_IsString(ex) || (strcmp(ex->valuestring, "delete") != 0 &&
						 strcmp(ex->valuestring, "release") != 0)))) {
		cJSON_Delete(o);
		return -1;
	}
	if (sz)
		size = (long)sz->valuedouble;
	if (rt)
		hours = (long)rt->valuedouble;
	buf_init(&b, 0);
	buf_printf(&b, "Size: %ld MB\n", size);
	if (hours >= 48 && hours % 24 == 0)
		buf_printf(&b, "Retention: %ld hours (%ld days)\n", hours, hours / 24);
	else
		buf_printf(&b, "Retention: %ld hour%s\n", hours, hours == 1 ? "" : "s");
	buf_printf(&b, "At expiry: %s\n",
	    ex && strcmp(ex->valuestring, "release") == 0 ? "Release" : "Delete");
	cJSON_Delete(o);
	lines_split(out, buf_steal(&b));
	return 0;
}

/*
 * show_quarantine - a pending quarantine; -1 if a value does not decode.
 * The built-in Policy quarantine always exists: with its defaults it has
 * no item, so an item added or removed is a change of its settings.
 */
static int
show_quarantine(struct cli *c, const char *key, const char *oldv, const char *newv)
{
	struct lines lo = { 0 }, ln = { 0 };
	int policy = strcasecmp(key, QUARANTINE_POLICY) == 0, rc = 0;

	if (((oldv || policy) && quarantine_lines(oldv, &lo) < 0) ||
	    ((newv || policy) && quarantine_lines(newv, &ln) < 0))
		rc = -1;
	else
		show_object(c, "quarantine", key, oldv || policy ? &lo : NULL,
		    newv || policy ? &ln : NULL);
	lines_free(&lo);
	lines_free(&ln);
	return rc;
}

/* -------------------------------------------------------- address lists */

/*
 * addrlist_type - the words addresslistconfig uses for what a list holds
 * (its "Select the type of the address list" choices)
 */
static const char *
addrlist_type(const struct addrlist *l)
{
	unsigned kinds = 0;

	for (int i = 0; i < l->n; i++)
		kinds |= 1u << addrlist_entry_kind(l->entries[i]);
	if (kinds == 1u << ADDRLIST_ADDRESS)
		return "Full Email Addresses only";
	if (kinds == 1u << ADDRLIST_DOMAIN)
		return "Domains only";
	if (kinds == 1u << ADDRLIST_IP)
		return "IP Addresses only";
	return "All of the above";
}

/*
 * addrlist_lines - a stored address list: its description and type as
 * `addresslistconfig print` shows them, then its entries one a line (a
 * list of thousands stays a diff of the entries that changed); -1 when
 * the value does not decode
 */
static int
addrlist_lines(const char *key, const char *json, struct lines *out)
{
	struct addrlist l;
	struct buf b;
	char *cause = NULL;

	memset(&l, 0, sizeof(l));
	if (addrlist_decode(key, json, &l, &cause) < 0) {
		free(cause);
		return -1;
	}
	buf_init(&b, 0);
	buf_printf(&b, "Description:  %s\n", l.description[0] ? l.description : "none");
	buf_printf(&b, "Type:         %s\n", addrlist_type(&l));
	buf_printf(&b, "Entries:\n");
	for (int i = 0; i < l.n; i++)
		buf_printf(&b, "    %s\n", l.entries[i]);
	addrlist_clear(&l);
	lines_split(out, buf_steal(&b));
	return 0;
}

/* show_addrlist - a pending address list; -1 if a value does not decode */
static int
show_addrlist(struct cli *c, const char *key, const char *oldv, const char *newv)
{
	struct lines lo = { 0 }, ln = { 0 };
	int rc = 0;

	if ((oldv && addrlist_lines(key, oldv, &lo) < 0) ||
	    (newv && addrlist_lines(key, newv, &ln) < 0))
		rc = -1;
	else
		show_object(c, "address list", key, oldv ? &lo : NULL, newv ? &ln : NULL);
	lines_free(&lo);
	lines_free(&ln);
	return rc;
}

/* ------------------------------------------------------- threat feeds */

/* feed_url - the URL of a stored feed (malloc'd), or NULL when it does not decode */
static char *
feed_url(const char *json)
{
	cJSON *o = cJSON_Parse(json);
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "url");
	char *url = cJSON_IsString(u) ? str_dup(u->valuestring) : NULL;

	cJSON_Delete(o);
	return url;
}

/* show_feed - a pending TAXII feed as its URL (feed print shows it so); -1 if it does not decode */
static int
show_feed(struct cli *c, const char *section, const char *key, const char *oldv,
    const char *newv)
{
	char *o = oldv ? feed_url(oldv) : NULL, *n = newv ? feed_url(newv) : NULL;
	int rc = -1;

	if ((oldv == NULL || o) && (newv == NULL || n)) {
		cmd_show_change(c, "  ", section, key, o, n);
		rc = 0;
	}
	free(o);
	free(n);
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
	else if (strcmp(section, FILTER_SECTION) == 0)
		done = show_filter(c, 0, key, oldv, newv);
	else if (strcmp(section, CFILTER_SECTION) == 0)
		done = show_filter(c, 1, key, oldv, newv);
	else if (strcmp(section, QUARANTINE_SECTION) == 0)
		done = show_quarantine(c, key, oldv, newv);
	else if (strcmp(section, ADDRLIST_SECTION) == 0)
		done = show_addrlist(c, key, oldv, newv);
	else if (strcmp(section, SDRCONF_FEED_SECTION) == 0)
		done = show_feed(c, section, key, oldv, newv);
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
