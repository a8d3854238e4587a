/*
 * api.c - the gateway's HTTP API handler (see api.h): routing, the two
 * ways to authenticate, roles, and the answers. No I/O but the stores
 * and the mail log: daemon/apid.c owns the sockets.
 *
 * Passwords are checked as mxsh --pam-auth checks them (shell/auth.c),
 * with the same store functions: a failure is counted and locks the
 * account after users.lockout; a locked account, an unknown name or one
 * without a password costs a hash all the same, so names cannot be told
 * apart by time; an expired password (users.max_age_days) is refused.
 *
 * DIAGNOSTICS: see api.h. Nothing here echoes a password or a token.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "mail/api.h"
#include "mail/logsub.h"
#include "mail/tracking.h"
#include "store/remed.h"
#include "store/settings.h"
#include "store/users.h"
#include "util/pwhash.h"
#include "util/str.h"

#define API_KEY_FILE "api.key"
#define API_KEY_TMP "api.key.new"
#define API_REMED_MAX 100	/* messages in one remediation call */
#define REFRESH_BEFORE 300	/* a token this close to expiry gets a fresh one */

/* ---------------------------------------------------------- the key */

/* key_read - the key file, checked as secret.key is; 0, 1 missing, -1 */
static int
key_read(int dfd, const char *dir, unsigned char *key, char **cause)
{
	struct stat ds, ks;
	ssize_t r;
	int fd;

	if ((fd = openat(dfd, API_KEY_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 1;
		*cause = str_printf("cannot open %s/%s: %s", dir, API_KEY_FILE, strerror(errno));
		return -1;
	}
	if (fstat(fd, &ks) < 0 || fstat(dfd, &ds) < 0) {
		*cause = str_printf("cannot stat %s/%s: %s", dir, API_KEY_FILE, strerror(errno));
	} else if (!S_ISREG(ks.st_mode) || (ks.st_mode & 07777) != 0600 ||
	    (ks.st_uid != geteuid() && ks.st_uid != ds.st_uid)) {
		*cause = str_printf("%s/%s must be a regular file of mode 0600 owned by the daemon's "
				    "account: refusing it",
		    dir, API_KEY_FILE);
	} else if ((r = read(fd, key, JWT_KEY_LEN)) != JWT_KEY_LEN || ks.st_size != JWT_KEY_LEN) {
		*cause = str_printf("%s/%s is damaged (not %d bytes): remove it to make a new "
				    "one (tokens given out will be refused)",
		    dir, API_KEY_FILE, JWT_KEY_LEN);
	} else {
		close(fd);
		return 0;
	}
	close(fd);
	OPENSSL_cleanse(key, JWT_KEY_LEN);
	return -1;
}

/* api_key_load - read DIR/api.key, made on first use (linked into place whole) */
int
api_key_load(const char *dir, unsigned char key[JWT_KEY_LEN], char **cause)
{
	struct stat ds;
	int dfd, fd = -1, rc;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fstat(dfd, &ds) < 0) {
		*cause = str_printf("cannot open the data directory %s: %s", dir, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	if ((rc = key_read(dfd, dir, key, cause)) != 1)
		goto out;
	rc = -1;
	if (RAND_bytes(key, JWT_KEY_LEN) != 1) {
		*cause = str_printf("cannot make %s/%s: no random bytes", dir, API_KEY_FILE);
		goto out;
	}
	unlinkat(dfd, API_KEY_TMP, 0);
	fd = openat(dfd, API_KEY_TMP, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600) < 0 ||
	    (geteuid() == 0 && ds.st_uid != 0 && fchown(fd, ds.st_uid, ds.st_gid) < 0) ||
	    write(fd, key, JWT_KEY_LEN) != JWT_KEY_LEN || fsync(fd) < 0 ||
	    (linkat(dfd, API_KEY_TMP, dfd, API_KEY_FILE, 0) < 0 && errno != EEXIST)) {
		*cause = str_printf("cannot make %s/%s: %s", dir, API_KEY_FILE, strerror(errno));
		if (fd >= 0)
			unlinkat(dfd, API_KEY_TMP, 0);
		goto out;
	}
	unlinkat(dfd, API_KEY_TMP, 0);
	/* another process may have linked its key first: that one is the key */
	rc = key_read(dfd, dir, key, cause) == 0 ? 0 : -1;
	if (rc < 0 && *cause == NULL)
		*cause = str_printf("cannot read %s/%s", dir, API_KEY_FILE);
out:
	if (fd >= 0)
		close(fd);
	close(dfd);
	if (rc < 0)
		OPENSSL_cleanse(key, JWT_KEY_LEN);
	return rc;
}

/* ---------------------------------------------------------- answers */

/* reply - the status and a JSON body (o consumed) */
static void
reply(struct api_resp *rs, int status, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	if (s == NULL)
		abort();
	cJSON_Delete(o);
	free(rs->body);
	rs->body = str_dup(s);
	cJSON_free(s);
	rs->status = status;
}

/* fail - an error answer */
static void
fail(struct api_resp *rs, int code, const char *message, const char *explanation)
{
	cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");

	cJSON_AddNumberToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", message);
	cJSON_AddStringToObject(e, "explanation", explanation);
	reply(rs, code, o);
}

/* fail_cause - a 500 for a store error (cause freed) */
static void
fail_cause(struct api_resp *rs, const char *what, char *cause)
{
	char *e = str_printf("%s: %s", what, cause ? cause : "unknown error");

	fail(rs, 500, "Internal Server Error", e);
	free(e);
	free(cause);
}

/* ---------------------------------------------------------- accounts */

/* spend_time - a hash for nothing: refusals take as long as a wrong password */
static void
spend_time(const char *pw)
{
	char out[PWHASH_MAX], *cause = NULL;

	if (pwhash_init() == 0 && pwhash_make(pw, out, &cause) < 0)
		free(cause);
	OPENSSL_cleanse(out, sizeof(out));
}

/* expired - the account's password is older than users.max_age_days */
static int
expired(struct api_ctx *ctx, const struct user *u, time_t now)
{
	long days = settings_get_int(ctx->st, "users.max_age_days");

	return days > 0 && u->has_password && u->pw_changed > 0 &&
	    now - u->pw_changed > (time_t)days * 86400;
}

/*
 * check_password - name and password against the accounts; 0 with *u,
 * or the error answered (401, 500)
 */
static int
check_password(struct api_ctx *ctx, const char *name, const char *pw, time_t now, struct user *u,
    struct api_resp *rs)
{
	char *hash = NULL, *cause = NULL, *nc = NULL;
	int r, ok = 0;

	r = users_name_ok(name, &nc) == 0 ? users_get(ctx->st, name, u, &cause) : 1;
	free(nc);
	if (r < 0) {
		spend_time(pw);
		fail_cause(rs, "Cannot read the accounts", cause);
		return -1;
	}
	if (r == 1 || u->locked || !u->has_password || strlen(pw) > PASSWORD_MAX) {
		spend_time(pw);
		if (r == 0 && !u->locked && u->has_password) {
			int locked_now = 0;

			if (users_login_failed(ctx->st, u->name,
				(int)settings_get_int(ctx->st, "users.lockout"), &locked_now,
				&cause) < 0)
				free(cause);
		}
		fail(rs, 401, "Unauthorized", "The user name or passphrase is not valid, or the "
						"account is locked.");
		return -1;
	}
	if (pwhash_init() == 0 && users_get_hash(ctx->st, u->name, &hash, &cause) == 0 && hash)
		ok = pwhash_verify(hash, pw) == 1;
	free(hash);
	if (cause) {
		fail_cause(rs, "Cannot read the accounts", cause);
		return -1;
	}
	if (!ok) {
		int locked_now = 0;

		if (users_login_failed(ctx->st, u->name,
			(int)settings_get_int(ctx->st, "users.lockout"), &locked_now, &cause) < 0)
			free(cause);
		fail(rs, 401, "Unauthorized", "The user name or passphrase is not valid, or the "
						"account is locked.");
		return -1;
	}
	if (expired(ctx, u, now)) {
		fail(rs, 401, "Unauthorized", "The password has expired: log in to the shell to "
						"change it.");
		return -1;
	}
	if (users_login_ok(ctx->st, u->name, &cause) < 0)
		free(cause);
	return 0;
}

/* ---------------------------------------------------------- throttle */

/* fail_slot - the entry of peer, or NULL (make: a new one, the oldest giving way) */
static struct api_fail *
fail_slot(struct api_ctx *ctx, const char *peer, int make)
{
	struct api_fail *old = &ctx->fails[0];

	for (int i = 0; i < API_FAIL_SLOTS; i++) {
		struct api_fail *f = &ctx->fails[i];

		if (f->peer[0] && strcmp(f->peer, peer) == 0)
			return f;
		if (old->peer[0] && (!f->peer[0] || f->first < old->first))
			old = f;
	}
	if (!make)
		return NULL;
	memset(old, 0, sizeof(*old));
	str_copy(old->peer, peer, sizeof(old->peer));
	return old;
}

/*
 * throttled - has this client failed API_FAIL_MAX times in the window?
 * 1 with the 429 answered (before any hash is spent), 0
 */
static int
throttled(struct api_ctx *ctx, const struct api_req *rq, time_t now, struct api_resp *rs)
{
	struct api_fail *f = fail_slot(ctx, rq->peer ? rq->peer : "unknown", 0);
	char *e;

	if (f == NULL || now - f->first >= API_FAIL_WINDOW || f->n < API_FAIL_MAX)
		return 0;
	rs->retry_after = (int)(f->first + API_FAIL_WINDOW - now);
	e = str_printf("Too many failed logins from this address; try again in %d seconds.",
	    rs->retry_after);
	fail(rs, 429, "Too Many Requests", e);
	free(e);
	return 1;
}

/* failed - count a refused password check of this client (not store errors) */
static void
failed(struct api_ctx *ctx, const struct api_req *rq, time_t now, const struct api_resp *rs)
{
	struct api_fail *f;

	if (rs->status != 401)
		return;
	f = fail_slot(ctx, rq->peer ? rq->peer : "unknown", 1);
	if (f->n == 0 || now - f->first >= API_FAIL_WINDOW) {
		f->first = now;
		f->n = 0;
	}
	f->n++;
}

/* make_token - a jwtToken for u (malloc'd) */
static char *
make_token(struct api_ctx *ctx, const struct user *u, time_t now)
{
	struct jwt_claims c = { .iat = now, .exp = now + ctx->token_lifetime };

	str_copy(c.sub, u->name, sizeof(c.sub));
	str_copy(c.role, users_role_name(u->role), sizeof(c.role));
	return jwt_sign(ctx->key, sizeof(ctx->key), &c);
}

/* basic - "Basic base64(user:pass)"; 0 with *u, or answered */
static int
basic(struct api_ctx *ctx, const char *h, time_t now, struct user *u, struct api_resp *rs)
{
	unsigned char raw[512];
	size_t n;
	char *colon;
	int rc;

	h += 6;
	while (*h == ' ')
		h++;
	if (jwt_b64decode(h, strlen(h), raw, sizeof(raw) - 1, &n) < 0 ||
	    (raw[n] = '\0', memchr(raw, '\0', n) != NULL) ||
	    (colon = strchr((char *)raw, ':')) == NULL) {
		fail(rs, 401, "Unauthorized", "The Authorization header is not valid Basic "
						"credentials.");
		return -1;
	}
	*colon = '\0';
	rc = check_password(ctx, (char *)raw, colon + 1, now, u, rs);
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

/* token - the jwtToken header; 0 with *u, or answered */
static int
token(struct api_ctx *ctx, const char *t, time_t now, struct user *u, struct api_resp *rs)
{
	struct jwt_claims c;
	const char *why;
	char *cause = NULL, *nc = NULL;
	int r;

	if (jwt_verify(ctx->key, sizeof(ctx->key), t, now, &c, &why) < 0) {
		char *e = str_printf("The jwtToken was refused: %s; log in again.", why + 4);

		fail(rs, 401, "Unauthorized", e);
		free(e);
		return -1;
	}
	r = users_name_ok(c.sub, &nc) == 0 ? users_get(ctx->st, c.sub, u, &cause) : 1;
	free(nc);
	if (r < 0) {
		fail_cause(rs, "Cannot read the accounts", cause);
		return -1;
	}
	/* the account as it is now, not as it was at login */
	if (r == 1 || u->locked || strcmp(users_role_name(u->role), c.role) != 0 ||
	    u->pw_changed > c.iat || expired(ctx, u, now)) {
		fail(rs, 401, "Unauthorized", "The jwtToken's account was deleted, locked or "
						"changed since it was issued; log in again.");
		return -1;
	}
	if (c.exp - now < REFRESH_BEFORE)
		rs->jwt_refresh = make_token(ctx, u, now);
	return 0;
}

/* authenticate - Basic or jwtToken; 0 with *u, or answered */
static int
authenticate(struct api_ctx *ctx, const struct api_req *rq, time_t now, struct user *u,
    struct api_resp *rs)
{
	int rc;

	if (rq->authorization && strncasecmp(rq->authorization, "Basic ", 6) == 0) {
		if (throttled(ctx, rq, now, rs))
			return -1;
		if ((rc = basic(ctx, rq->authorization, now, u, rs)) < 0)
			failed(ctx, rq, now, rs);
	} else if (rq->jwt && *rq->jwt)
		rc = token(ctx, rq->jwt, now, u, rs);
	else {
		fail(rs, 401, "Unauthorized", "Log in first: send a jwtToken header (POST " API_PREFIX
					      "/login) or Basic credentials.");
		return -1;
	}
	if (rc == 0 && u->role == ROLE_TECHNICIAN) {
		fail(rs, 403, "Forbidden", "The technician role may not use the API.");
		return -1;
	}
	if (rc == 0)
		str_copy(rs->user, u->name, sizeof(rs->user));
	return rc;
}

/* may_change - admin and operator */
static int
may_change(const struct user *u)
{
	return u->role == ROLE_ADMIN || u->role == ROLE_OPERATOR;
}

/* ---------------------------------------------------------- requests */

/* parse_body - the JSON object of a POST and its "data" object; NULL answered */
static cJSON *
parse_body(const struct api_req *rq, const cJSON **data, struct api_resp *rs)
{
	cJSON *o;

	if (rq->body == NULL || rq->body_len == 0) {
		fail(rs, 400, "Bad Request", "The request needs a JSON body {\"data\": {...}}.");
		return NULL;
	}
	o = cJSON_ParseWithLength(rq->body, rq->body_len);
	if (o == NULL || !cJSON_IsObject(o) ||
	    !cJSON_IsObject(*data = cJSON_GetObjectItemCaseSensitive(o, "data"))) {
		cJSON_Delete(o);
		fail(rs, 400, "Bad Request", "The body is not valid JSON of the form {\"data\": "
					     "{...}}.");
		return NULL;
	}
	return o;
}

/* hexval - a hex digit's value, or -1 */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * qparam - the decoded value of name in the query (the last one wins);
 * 1 found, 0 absent, -1 bad (escape, NUL, too long)
 */
static int
qparam(const char *query, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name);
	int found = 0;

	for (const char *p = query; p && *p;) {
		const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);

		if ((size_t)(end - p) > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t o = 0;

			for (const char *v = p + nl + 1; v < end; v++) {
				int c = (unsigned char)*v;

				if (c == '+') {
					c = ' ';
				} else if (c == '%') {
					if (end - v < 3 || hexval(v[1]) < 0 || hexval(v[2]) < 0)
						return -1;
					c = hexval(v[1]) * 16 + hexval(v[2]);
					v += 2;
				}
				if (c == 0 || o + 1 >= size)
					return -1;
				out[o++] = (char)c;
			}
			out[o] = '\0';
			found = 1;
		} else if ((size_t)(end - p) == nl && strncmp(p, name, nl) == 0) {
			out[0] = '\0';
			found = 1;
		}
		p = amp ? amp + 1 : NULL;
	}
	return found;
}

/* login - POST /login */
static void
login(struct api_ctx *ctx, const struct api_req *rq, time_t now, struct api_resp *rs)
{
	const cJSON *data, *un, *pp;
	unsigned char name[USER_NAME_MAX * 2 + 2], pw[PASSWORD_MAX * 2 + 2];
	size_t nn, pn;
	struct user u;
	cJSON *o, *r, *d;
	char *tok;

	if ((o = parse_body(rq, &data, rs)) == NULL)
		return;
	un = cJSON_GetObjectItemCaseSensitive(data, "userName");
	pp = cJSON_GetObjectItemCaseSensitive(data, "passphrase");
	if (!cJSON_IsString(un) || !cJSON_IsString(pp) ||
	    jwt_b64decode(un->valuestring, strlen(un->valuestring), name, sizeof(name) - 1,
		&nn) < 0 ||
	    jwt_b64decode(pp->valuestring, strlen(pp->valuestring), pw, sizeof(pw) - 1, &pn) < 0 ||
	    memchr(name, '\0', nn) || memchr(pw, '\0', pn)) {
		cJSON_Delete(o);
		fail(rs, 400, "Bad Request", "data.userName and data.passphrase must be "
					     "base64-encoded strings.");
		return;
	}
	cJSON_Delete(o);
	name[nn] = '\0';
	pw[pn] = '\0';
	if (throttled(ctx, rq, now, rs) ||
	    (check_password(ctx, (char *)name, (char *)pw, now, &u, rs) < 0 &&
		(failed(ctx, rq, now, rs), 1))) {
		OPENSSL_cleanse(pw, sizeof(pw));
		return;
	}
	OPENSSL_cleanse(pw, sizeof(pw));
	if (u.role == ROLE_TECHNICIAN) {
		fail(rs, 403, "Forbidden", "The technician role may not use the API.");
		return;
	}
	str_copy(rs->user, u.name, sizeof(rs->user));
	tok = make_token(ctx, &u, now);
	r = cJSON_CreateObject();
	d = cJSON_AddObjectToObject(r, "data");
	cJSON_AddStringToObject(d, "userName", u.name);
	cJSON_AddBoolToObject(d, "is2FactorRequired", 0);
	cJSON_AddStringToObject(d, "role", users_role_name(u.role));
	cJSON_AddStringToObject(d, "jwtToken", tok);
	free(tok);
	reply(rs, 200, r);
}

/* privileges - GET /login/privileges */
static void
privileges(const struct user *u, struct api_resp *rs)
{
	cJSON *r = cJSON_CreateObject(), *d = cJSON_AddObjectToObject(r, "data"), *p;

	cJSON_AddStringToObject(d, "userName", u->name);
	cJSON_AddStringToObject(d, "role", users_role_name(u->role));
	p = cJSON_AddArrayToObject(d, "privileges");
	cJSON_AddItemToArray(p, cJSON_CreateString("message-tracking"));
	if (may_change(u))
		cJSON_AddItemToArray(p, cJSON_CreateString("remediation"));
	reply(rs, 200, r);
}

/* iso_time - UTC ISO 8601 */
static void
iso_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* report_one - remed_report callback: the request and its actions as entries */
static void
report_one(void *arg, const struct remed_request *r, const struct remed_action *a, int n)
{
	cJSON *arr = arg;
	char when[40];

	for (int i = 0; i < n || (i == 0 && n == 0); i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "id", (double)r->id);
		cJSON_AddStringToObject(o, "action", remed_action_name(n ? a[i].action : r->action));
		cJSON_AddStringToObject(o, "mailbox", n ? a[i].mailbox : "");
		cJSON_AddStringToObject(o, "status", remed_state_name(n ? a[i].state : r->state));
		cJSON_AddStringToObject(o, "trigger", remed_trigger_name(r->trigger));
		iso_time(n ? a[i].when : r->created, when, sizeof(when));
		cJSON_AddStringToObject(o, "when", when);
		if (n && a[i].reason[0])
			cJSON_AddStringToObject(o, "reason", a[i].reason);
		else if (!n && r->note[0])
			cJSON_AddStringToObject(o, "reason", r->note);
		cJSON_AddItemToArray(arr, o);
	}
}

/* add_remediation - tracking's extra: "remediation": [...] from queue.db */
static void
add_remediation(void *arg, long long mid, cJSON *attrs)
{
	struct api_ctx *ctx = arg;
	cJSON *arr = cJSON_AddArrayToObject(attrs, "remediation");
	char *cause = NULL;

	if (ctx->q && remed_report(ctx->q, 0, mid, 0, report_one, arr, &cause) < 0)
		free(cause);	/* the tracking answer stands without it */
}

/* log_dir - where mail_logs is; 0 or answered */
static int
log_dir(struct api_ctx *ctx, char *dir, size_t dsize, char *prefix, size_t psize,
    struct api_resp *rs)
{
	char *cause = NULL;

	if (logsub_resolve(ctx->st, "mail_logs", dir, dsize, prefix, psize, &cause) < 0) {
		fail_cause(rs, "Cannot find the mail log", cause);
		return -1;
	}
	return 0;
}

/* filter - one of the value filters from the query; 0 or answered */
static int
filter(const char *query, const char *base, struct tracking_filter *f, char *val, size_t size,
    struct api_resp *rs)
{
	char on[64], ov[64], op[32];
	int ho, hv;

	str_fmt(on, sizeof(on), "%sfilterOperator", base);
	str_fmt(ov, sizeof(ov), "%sfilterValue", base);
	ho = qparam(query, on, op, sizeof(op));
	hv = qparam(query, ov, val, size);
	if (ho < 0 || hv < 0 || (ho == 1 && tracking_op_parse(op, &f->op) < 0) || ho != hv ||
	    (hv == 1 && val[0] == '\0')) {
		char *e = str_printf("%s must be is, begins_with or contains, and comes with a "
				     "non-empty %s (at most %zu characters).",
		    on, ov, size - 1);

		fail(rs, 400, "Bad Request", e);
		free(e);
		return -1;
	}
	f->value = hv == 1 ? val : NULL;
	return 0;
}

/* number - a whole-number query parameter in [min, max]; 0 or answered */
static int
number(const char *query, const char *name, long min, long max, long *v, struct api_resp *rs)
{
	char s[32];
	int h = qparam(query, name, s, sizeof(s));

	if (h == 0)
		return 0;
	if (h < 0 || str_to_long(s, min, max, v) < 0) {
		char *e = str_printf("%s must be a whole number from %ld to %ld.", name, min, max);

		fail(rs, 400, "Bad Request", e);
		free(e);
		return -1;
	}
	return 0;
}

/* host - this gateway's name and serial */
static struct tracking_host
host(const struct api_ctx *ctx)
{
	struct tracking_host h = { ctx->hostname ? ctx->hostname : "",
		ctx->serial ? ctx->serial : "" };

	return h;
}

/* limits - what a tracking request may cost */
static struct tracking_limits
limits(const struct api_ctx *ctx)
{
	struct tracking_limits l = { ctx->budget, ctx->cancel, 0 };

	return l;
}

/* tracking_failed - the answer to a search that did not finish (cause freed) */
static void
tracking_failed(struct api_resp *rs, enum tracking_err err, char *cause)
{
	char *e;

	switch (err) {
	case TRACKING_ERR_TOO_MANY:
		e = str_printf("Cannot search the mail log: %s.", cause);
		fail(rs, 400, "Bad Request", e);
		break;
	case TRACKING_ERR_TIME:
	case TRACKING_ERR_CANCEL:
		e = str_printf("Cannot search the mail log: %s.", cause);
		fail(rs, 503, "Service Unavailable", e);
		break;
	default:
		fail_cause(rs, "Cannot search the mail log", cause);
		return;
	}
	free(e);
	free(cause);
}

/* messages - GET /message-tracking/messages */
static void
messages(struct api_ctx *ctx, const struct api_req *rq, struct api_resp *rs)
{
	struct tracking_query q = { .limit = TRACKING_LIMIT_DEFAULT };
	char sv[1024], rv[1024], subj[1024], ip[64], mid[REMED_MSGID_MAX + 1], sd[64], ed[64];
	char dir[4096], prefix[64], *cause = NULL;
	struct tracking_host h = host(ctx);
	struct tracking_limits lim = limits(ctx);
	enum tracking_err err;
	int hi, hm;
	cJSON *r;

	if (qparam(rq->query, "startDate", sd, sizeof(sd)) != 1 ||
	    qparam(rq->query, "endDate", ed, sizeof(ed)) != 1 ||
	    tracking_date_parse(sd, &q.start) < 0 || tracking_date_parse(ed, &q.end) < 0 ||
	    q.start > q.end) {
		fail(rs, 400, "Bad Request", "startDate and endDate are both required, in ISO 8601 "
					     "(2023-08-01T11:00:00.000Z), startDate not after "
					     "endDate.");
		return;
	}
	if (number(rq->query, "offset", 0, 1000000000L, &q.offset, rs) < 0 ||
	    number(rq->query, "limit", 1, TRACKING_LIMIT_MAX, &q.limit, rs) < 0 ||
	    filter(rq->query, "envelopeSender", &q.sender, sv, sizeof(sv), rs) < 0 ||
	    filter(rq->query, "envelopeRecipient", &q.rcpt, rv, sizeof(rv), rs) < 0 ||
	    filter(rq->query, "subject", &q.subject, subj, sizeof(subj), rs) < 0)
		return;
	if ((hi = qparam(rq->query, "senderIp", ip, sizeof(ip))) < 0 ||
	    (hm = qparam(rq->query, "messageIdHeader", mid, sizeof(mid))) < 0) {
		fail(rs, 400, "Bad Request", "senderIp or messageIdHeader is not valid.");
		return;
	}
	q.sender_ip = hi == 1 && ip[0] ? ip : NULL;
	q.message_id = hm == 1 && mid[0] ? mid : NULL;
	if (log_dir(ctx, dir, sizeof(dir), prefix, sizeof(prefix), rs) < 0)
		return;
	if ((r = tracking_search(dir, prefix, &q, &lim, &h, add_remediation, ctx, &err,
	    &cause)) == NULL) {
		tracking_failed(rs, err, cause);
		return;
	}
	reply(rs, 200, r);
}

/* details - GET /message-tracking/details?mid=N */
static void
details(struct api_ctx *ctx, const struct api_req *rq, struct api_resp *rs)
{
	char dir[4096], prefix[64], sd[64], ed[64], *cause = NULL;
	struct tracking_host h = host(ctx);
	struct tracking_limits lim = limits(ctx);
	enum tracking_err err;
	time_t start = 0, end = 0;
	long mid = 0;
	int found;
	cJSON *r;

	if (qparam(rq->query, "mid", sd, sizeof(sd)) != 1) {
		fail(rs, 400, "Bad Request", "mid is required: the message's MID.");
		return;
	}
	if (number(rq->query, "mid", 1, 9007199254740991L, &mid, rs) < 0)
		return;
	if ((qparam(rq->query, "startDate", sd, sizeof(sd)) == 1 &&
		tracking_date_parse(sd, &start) < 0) ||
	    (qparam(rq->query, "endDate", ed, sizeof(ed)) == 1 &&
		tracking_date_parse(ed, &end) < 0)) {
		fail(rs, 400, "Bad Request", "startDate and endDate must be ISO 8601 "
					     "(2023-08-01T11:00:00.000Z).");
		return;
	}
	if (log_dir(ctx, dir, sizeof(dir), prefix, sizeof(prefix), rs) < 0)
		return;
	r = tracking_details(dir, prefix, mid, start, end, &lim, &h, add_remediation, ctx, &found,
	    &err, &cause);
	if (r == NULL) {
		tracking_failed(rs, err, cause);
		return;
	}
	if (!found) {
		char *e = str_printf("The mail log names no message MID %ld.", mid);

		cJSON_Delete(r);
		fail(rs, 404, "Not Found", e);
		free(e);
		return;
	}
	reply(rs, 200, r);
}

/* addr_ok - a forward address: local@domain, printable, no blanks */
static int
addr_ok(const char *s)
{
	const char *at = strrchr(s, '@');
	size_t n = strlen(s);

	if (n == 0 || n > REMED_ADDR_MAX || at == NULL || at == s || at[1] == '\0')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '<' || *p == '>' || *p == ',' || *p == '"')
			return 0;
	return 1;
}

/* remediation - POST /remediation: validate everything, then add the requests */
static void
remediation(struct api_ctx *ctx, const struct api_req *rq, const struct user *u,
    struct api_resp *rs)
{
	const cJSON *data, *mids, *ids, *act, *fwd, *it;
	struct remed_request *reqs = NULL;
	enum remed_action_kind action;
	char *deflt = NULL, *cause = NULL;
	const char *to = "";
	int nm = 0, ni = 0, n, paired;
	cJSON *o, *r, *arr;

	if (!may_change(u)) {
		fail(rs, 403, "Forbidden", "Only the admin and operator roles may remediate.");
		return;
	}
	if (ctx->q == NULL) {
		fail(rs, 503, "Service Unavailable", "The remediation store is not open.");
		return;
	}
	if ((o = parse_body(rq, &data, rs)) == NULL)
		return;
	mids = cJSON_GetObjectItemCaseSensitive(data, "mids");
	ids = cJSON_GetObjectItemCaseSensitive(data, "messageIds");
	act = cJSON_GetObjectItemCaseSensitive(data, "action");
	fwd = cJSON_GetObjectItemCaseSensitive(data, "forwardTo");
	if ((mids && !cJSON_IsArray(mids)) || (ids && !cJSON_IsArray(ids))) {
		fail(rs, 400, "Bad Request", "data.mids must be an array of MIDs and "
					     "data.messageIds an array of Message-IDs.");
		goto out;
	}
	nm = cJSON_GetArraySize(mids);
	ni = cJSON_GetArraySize(ids);
	if (nm + ni == 0 || nm > API_REMED_MAX || ni > API_REMED_MAX) {
		fail(rs, 400, "Bad Request", "Name 1 to 100 messages in data.mids or "
					     "data.messageIds.");
		goto out;
	}
	if (!cJSON_IsString(act) || remed_action_parse(act->valuestring, &action) < 0) {
		fail(rs, 400, "Bad Request", "data.action must be delete, forward or "
					     "forward_delete.");
		goto out;
	}
	if (fwd && (!cJSON_IsString(fwd) || !addr_ok(fwd->valuestring))) {
		fail(rs, 400, "Bad Request", "data.forwardTo must be an email address.");
		goto out;
	}
	if (action != REMED_DELETE) {
		if (fwd) {
			to = fwd->valuestring;
		} else {
			deflt = settings_get(ctx->st, "tdc.forward_to");
			to = deflt ? deflt : "";
			if (!addr_ok(to)) {
				fail(rs, 400, "Bad Request", "data.forwardTo is required: no "
							     "forward address is configured "
							     "(tdcconfig).");
				goto out;
			}
		}
	}
	/* equal lists name the same messages pairwise; otherwise one request each */
	paired = nm > 0 && nm == ni;
	n = paired ? nm : nm + ni;
	reqs = xcalloc((size_t)n, sizeof(*reqs));
	for (int i = 0; i < n; i++) {
		struct remed_request *q = &reqs[i];

		q->trigger = REMED_BY_API;
		str_copy(q->who, u->name, sizeof(q->who));
		q->action = action;
		str_copy(q->forward_to, action == REMED_DELETE ? "" : to, sizeof(q->forward_to));
		if (paired || i < nm) {
			it = cJSON_GetArrayItem(mids, i);
			if (!cJSON_IsNumber(it) || it->valuedouble < 1 ||
			    it->valuedouble > 9007199254740991.0 ||
			    it->valuedouble != (double)(long long)it->valuedouble) {
				fail(rs, 400, "Bad Request", "data.mids must hold MIDs: whole "
							     "numbers from 1 up.");
				goto out;
			}
			q->mid = (long long)it->valuedouble;
		}
		if (paired || i >= nm) {
			it = cJSON_GetArrayItem(ids, paired ? i : i - nm);
			if (!cJSON_IsString(it) || !remed_msgid_ok(it->valuestring)) {
				fail(rs, 400, "Bad Request", "data.messageIds must hold Message-IDs "
							     "(<local@domain>, no blanks).");
				goto out;
			}
			if (it->valuestring[0] == '<')
				str_copy(q->message_id, it->valuestring, sizeof(q->message_id));
			else
				str_fmt(q->message_id, sizeof(q->message_id), "<%s>",
				    it->valuestring);
		}
	}
	r = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, "data"), "requests");
	for (int i = 0; i < n; i++) {
		cJSON *e;

		if (remed_request_add(ctx->q, &reqs[i], &cause) < 0) {
			cJSON_Delete(r);
			fail_cause(rs, "Cannot add the remediation request", cause);
			goto out;
		}
		rs->wake = 1;
		e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "id", (double)reqs[i].id);
		if (reqs[i].mid)
			cJSON_AddNumberToObject(e, "mid", (double)reqs[i].mid);
		if (reqs[i].message_id[0])
			cJSON_AddStringToObject(e, "messageId", reqs[i].message_id);
		cJSON_AddStringToObject(e, "action", remed_action_name(action));
		cJSON_AddStringToObject(e, "status", "pending");
		cJSON_AddItemToArray(arr, e);
	}
	reply(rs, 202, r);
out:
	free(reqs);
	free(deflt);
	cJSON_Delete(o);
}

/* ---------------------------------------------------------- routing */

enum route { R_LOGIN, R_PRIVS, R_MESSAGES, R_DETAILS, R_REMEDIATION };

static const struct {
	const char *path;
	const char *method;
	enum route r;
	int auth;		/* needs an authenticated user */
} routes[] = {
	{ "/login", "POST", R_LOGIN, 0 },
	{ "/login/privileges", "GET", R_PRIVS, 1 },
	{ "/message-tracking/messages", "GET", R_MESSAGES, 1 },
	{ "/message-tracking/details", "GET", R_DETAILS, 1 },
	{ "/remediation", "POST", R_REMEDIATION, 1 },
};

/* api_handle - one request */
void
api_handle(struct api_ctx *ctx, const struct api_req *rq, struct api_resp *rs)
{
	const char *p = rq->path ? rq->path : "";
	time_t now = ctx->now ? ctx->now : time(NULL);
	size_t pl = strlen(API_PREFIX), n;
	struct user u;
	int k = -1;

	memset(rs, 0, sizeof(*rs));
	if (strncmp(p, API_PREFIX, pl) == 0 && (p[pl] == '/' || p[pl] == '\0')) {
		p += pl;
		n = strlen(p);
		while (n > 1 && p[n - 1] == '/')
			n--;
		for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
			if (strlen(routes[i].path) == n && strncmp(routes[i].path, p, n) == 0)
				k = (int)i;
	}
	if (k < 0) {
		fail(rs, 404, "Not Found", "No such API resource; the API is under " API_PREFIX
					   "/.");
		return;
	}
	if (rq->method == NULL || strcmp(rq->method, routes[k].method) != 0) {
		char *e = str_printf("%s%s takes %s only.", API_PREFIX, routes[k].path,
		    routes[k].method);

		fail(rs, 405, "Method Not Allowed", e);
		free(e);
		return;
	}
	if (rq->body_too_big) {
		fail(rs, 413, "Payload Too Large", "The request body is larger than the API "
						   "accepts (api.max_body).");
		return;
	}
	/* a login body is small: a big one is not parsed before anyone is known */
	if (routes[k].r == R_LOGIN && rq->body_len > API_LOGIN_BODY_MAX) {
		fail(rs, 413, "Payload Too Large", "A login request body is at most 4096 bytes.");
		return;
	}
	if (routes[k].auth && authenticate(ctx, rq, now, &u, rs) < 0)
		return;
	switch (routes[k].r) {
	case R_LOGIN:
		login(ctx, rq, now, rs);
		break;
	case R_PRIVS:
		privileges(&u, rs);
		break;
	case R_MESSAGES:
		messages(ctx, rq, rs);
		break;
	case R_DETAILS:
		details(ctx, rq, rs);
		break;
	case R_REMEDIATION:
		remediation(ctx, rq, &u, rs);
		break;
	}
}

/* api_resp_free - release an answer */
void
api_resp_free(struct api_resp *rs)
{
	free(rs->body);
	if (rs->jwt_refresh)
		OPENSSL_cleanse(rs->jwt_refresh, strlen(rs->jwt_refresh));
	free(rs->jwt_refresh);
	rs->body = rs->jwt_refresh = NULL;
}

/* api_safe_path - the path and query with values of secret-looking keys masked */
char *
api_safe_path(const char *path, const char *query)
{
	char *out = str_printf("%s%s", path ? path : "", query && *query ? "?" : "");
	char **parts;
	int np;

	if (query == NULL || *query == '\0')
		return out;
	parts = str_split(query, '&', &np);
	for (int i = 0; i < np; i++) {
		char *eq = strchr(parts[i], '='), *t, *low;

		if (eq)
			*eq = '\0';
		low = str_lower(str_dup(parts[i]));
		t = str_printf("%s%s%s%s%s", out, i ? "&" : "", parts[i], eq ? "=" : "",
		    !eq ? "" : strstr(low, "pass") || strstr(low, "token") || strstr(low, "secret") ?
			"********" : eq + 1);
		free(low);
		free(out);
		out = t;
	}
	str_split_free(parts);
	return out;
}
