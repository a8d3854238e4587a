/*
 * usercmd.c - helpers of the account commands (see usercmd.h).
 *
 * The password policy is read as committed: a rule an administrator has
 * staged but not committed binds nobody yet, as with every setting.
 * Passwords are wiped from the buffers this file fills once used.
 *
 * DIAGNOSTICS: one error line per refusal (cli_error); the key check
 * returns its reason in *cause and never repeats the key's blob.
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands/cmd_util.h"
#include "commands/usercmd.h"
#include "store/config.h"
#include "store/queue.h"
#include "store/settings.h"
#include "util/proc.h"
#include "util/str.h"

/* How long userconfig waits for mxgated to take the "accounts" request. */
#define SYNC_WAIT_MS 15000

/* ---------------------------------------------------------- policy */

/* running_int - a users.* setting as committed (its default when unset or unreadable) */
static long
running_int(struct cli *c, const char *name, long fallback)
{
	const struct setting_def *d = settings_find(name);
	char *v = NULL, *cause = NULL;
	long n = fallback;

	if (d && d->def)
		(void)str_to_long(d->def, d->min, d->max, &n);
	if (config_get_running(c->st, SETTINGS_SECTION, name, &v, &cause) < 0) {
		free(cause);
		return n;
	}
	if (v && d)
		(void)str_to_long(v, d->min, d->max, &n);
	free(v);
	return n;
}

void
usercmd_policy(struct cli *c, struct pw_policy *p)
{
	/* the fallbacks are the table's defaults (api.md), used only if a row is missing */
	p->min_length = (int)running_int(c, "users.min_length", 8);
	p->min_classes = (int)running_int(c, "users.min_classes", 3);
	p->history = (int)running_int(c, "users.history", 3);
	p->max_age_days = (int)running_int(c, "users.max_age_days", 0);
	p->lockout = (int)running_int(c, "users.lockout", 5);
}

/* ---------------------------------------------------------- SSH keys */

/*
 * usercmd_key_check: the store's own check (users_key_check), so that
 * what the command accepts is what users_key_add stores; a tab between
 * the parts, as some editors paste it, counts as a blank
 */
int
usercmd_key_check(char *line, char **cause)
{
	char *norm = NULL;

	for (char *q = line; *q; q++)
		if (*q == '\t')
			*q = ' ';
	if (users_key_check(line, &norm, cause) < 0)
		return -1;
	str_copy(line, norm, strlen(line) + 1);	/* never longer */
	free(norm);
	return 0;
}

/* ---------------------------------------------------------- passwords */

struct reuse {
	const char *pw;		/* the candidate */
	int used;		/* it matches a stored hash */
};

/* reuse_cb - users_history callback */
static int
reuse_cb(const char *hash, void *arg)
{
	struct reuse *r = arg;

	if (!r->used && pwhash_verify(hash, r->pw) == 1)
		r->used = 1;
	return 0;
}

int
usercmd_new_password(struct cli *c, const char *name, const char *pw, int check_history)
{
	struct pw_policy p;
	struct reuse r = { pw, 0 };
	char *cause = NULL, *cur = NULL;

	usercmd_policy(c, &p);
	if (pw_check(&p, name, pw, &cause) < 0) {
		cli_error(c, "%s", cause ? cause : "The password does not follow the rules.");
		free(cause);
		return -1;
	}
	if (!check_history || p.history <= 0)
		return 0;
	/* the last `history` passwords: the current one and the previous history - 1 */
	if (users_get_hash(c->st, name, &cur, &cause) < 0)
		goto fail;
	if (cur)
		reuse_cb(cur, &r);
	free(cur);
	if (p.history > 1 && !r.used &&
	    users_history(c->st, name, p.history - 1, reuse_cb, &r, &cause) < 0)
		goto fail;
	if (r.used) {
		cli_error(c, "The new password was used recently; choose another.");
		return -1;
	}
	return 0;
fail:
	cli_error(c, "Cannot read the password history: %s", cause);
	free(cause);
	return -1;
}

int
usercmd_set_password(struct cli *c, const char *name, const char *pw)
{
	struct pw_policy p;
	struct user u;
	char hash[PWHASH_MAX], *cause = NULL;
	int rc = 0, first_way_in = 0;

	usercmd_policy(c, &p);
	/* an account that had no way in gets its system account now (daemon/acctd.c) */
	if (users_get(c->st, name, &u, &cause) == 0 && !u.has_password && u.nkeys == 0)
		first_way_in = 1;
	free(cause);
	cause = NULL;
	if (pwhash_init() < 0) {
		cli_error(c, "Cannot hash the password: libsodium does not start.");
		return -1;
	}
	if (pwhash_make(pw, hash, &cause) < 0 ||
	    users_set_password(c->st, name, hash, p.history, &cause) < 0) {
		cli_error(c, "Cannot set the password of %s: %s", name, cause);
		free(cause);
		rc = -1;
	}
	explicit_bzero(hash, sizeof(hash));
	if (rc == 0 && first_way_in)
		usercmd_sync_accounts(c, name, 0);
	return rc;
}

enum ask_ret
usercmd_ask_new_password(struct cli *c, const char *name, const char *question,
    int check_history, char *pw, size_t size)
{
	char again[PASSWORD_MAX + 2], *q;
	enum ask_ret a = ASK_BACK;

	q = question ? str_dup(question) : str_printf("Enter the password for %s:", name);
	for (int tries = 0; tries < 3; tries++) {
		a = cli_ask_secret(c, q, 0, pw, size);
		if (a != ASK_OK)
			break;
		if (usercmd_new_password(c, name, pw, check_history) < 0) {
			a = ASK_BACK;
			continue;
		}
		a = cli_ask_secret(c, "Please enter the new password again:", 0, again,
		    sizeof(again));
		if (a == ASK_ABORT)
			break;
		if (a == ASK_OK && strcmp(pw, again) == 0)
			break;
		cli_error(c, "The passwords do not match.");
		a = ASK_BACK;
	}
	explicit_bzero(again, sizeof(again));
	if (a != ASK_OK)
		explicit_bzero(pw, size);
	free(q);
	return a;
}

/* ---------------------------------------------------------- system accounts */

/* warn_lines - "Warning: " and each line of text */
static void
warn_lines(struct cli *c, const char *text)
{
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");

		if (n > 0)
			cli_printf(c, "Warning: %.*s\n", (int)(n > 500 ? 500 : n), p);
		p += n + (p[n] == '\n');
	}
}

void
usercmd_sync_accounts(struct cli *c, const char *name, int deleted)
{
	struct queue *q;
	char *cause = NULL, *state;
	int64_t id;
	int r;

	if (!cmd_daemon_running(c)) {
		if (deleted)
			cli_printf(c, "Warning: mxgated is not running; the system account of %s is "
				      "removed once it has started.\n", name);
		else
			cli_printf(c, "Warning: mxgated is not running; %s can log in over SSH once "
				      "it has started.\n", name);
		return;
	}
	if ((q = cmd_queue(c)) == NULL)
		return;
	if (queue_request_add_id(q, "accounts", "", &id, &cause) < 0) {
		cli_printf(c, "Warning: cannot ask mxgated to update the system accounts: %s\n",
		    cause);
		free(cause);
		return;
	}
	r = queue_request_wait(q, id, SYNC_WAIT_MS, &cause);
	if (r < 0) {
		cli_printf(c, "Warning: cannot follow the request to mxgated: %s\n", cause);
		free(cause);
		return;
	}
	if (r == 1) {
		cli_printf(c, "Warning: mxgated has not taken the request within %d seconds; it "
			      "updates the system accounts when it does.\n", SYNC_WAIT_MS / 1000);
		return;
	}
	state = queue_state_get(q, "accounts");
	if (state && strcmp(state, "ok") != 0)
		warn_lines(c, state);
	free(state);
}

/* usercmd_name_free - see usercmd.h */
int
usercmd_name_free(const char *name, char **cause)
{
	struct passwd *pw;

	pw = getpwnam(name);
	if (pw == NULL || (pw->pw_gecos && strcmp(pw->pw_gecos, USERCMD_TAG) == 0))
		return 0;
	*cause = str_printf("The system already has an account named %s; choose another name.",
	    name);
	return -1;
}

/* ---------------------------------------------------------- sessions */

int
usercmd_session_live(const struct user_session *s)
{
	return proc_alive(s->pid, s->pid_start);
}

void
usercmd_host(const char *origin, char *out, size_t size)
{
	const char *sp = strstr(origin, " port ");
	size_t n = sp ? (size_t)(sp - origin) : strlen(origin);

	if (n >= size)
		n = size - 1;
	memcpy(out, origin, n);
	out[n] = '\0';
	if (*out == '\0')
		str_copy(out, "-", size);
}
