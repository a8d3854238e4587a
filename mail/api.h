/*
 * api.h - the gateway's HTTP API (AsyncOS /esa/api/v2.0), as a pure
 * handler: a request in, a status and a JSON body out. daemon/apid.c
 * does the HTTP (evhttp) and the audit log; tests and the fuzzer call
 * api_handle directly.
 *
 *   POST /esa/api/v2.0/login                     base64 userName/passphrase -> jwtToken
 *   GET  /esa/api/v2.0/login/privileges
 *   GET  /esa/api/v2.0/message-tracking/messages (mail/tracking.h)
 *   GET  /esa/api/v2.0/message-tracking/details?mid=N
 *   POST /esa/api/v2.0/remediation               -> 202, requests added (store/remed.h)
 *
 * Authentication: "Authorization: Basic" on each call, or the jwtToken
 * header with a token from /login (HS256, key DIR/api.key; util/jwt.h).
 * The account is read again on every call: a token of an account since
 * deleted, locked, given another role or a new password is refused.
 * Roles: admin and operator everything; readonly and guest login,
 * privileges and tracking; technician nothing (403).
 *
 * Password checks cost an Argon2 hash each: a client (by IP) that failed
 * API_FAIL_MAX times within API_FAIL_WINDOW seconds is answered 429 with
 * Retry-After before any hash, until the window ends. The table is
 * bounded (API_FAIL_SLOTS; the oldest entry gives way). A login body
 * over API_LOGIN_BODY_MAX is refused (413) before it is parsed.
 *
 * DIAGNOSTICS: every error is {"error":{"code":N,"message":"...",
 * "explanation":"..."}}: 400 bad JSON or parameters (and a tracking
 * search matching more than TRACKING_CAND_MAX messages), 401
 * authentication, 403 role, 404 path, 405 method, 413 body too big, 429
 * too many failed logins, 500 store errors, 503 a search past its time
 * budget or given up for a reconfiguration.
 */
#ifndef MAIL_API_H
#define MAIL_API_H

#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include "store/users.h"
#include "util/jwt.h"

struct store;
struct queue;

#define API_PREFIX "/esa/api/v2.0"
#define API_LOGIN_BODY_MAX 4096	/* bytes of a POST /login body */
#define API_FAIL_MAX 5		/* failed password checks per client ... */
#define API_FAIL_WINDOW 60	/* ... in this many seconds, then 429 */
#define API_FAIL_SLOTS 256	/* clients remembered */

/* one client's failed password checks */
struct api_fail {
	char peer[64];			/* its IP ("" free slot) */
	time_t first;			/* the window's start */
	int n;				/* failures in it */
};

struct api_ctx {
	const char *dir;		/* data directory (api.key, logs) */
	struct store *st;		/* config.db: accounts, settings, log subscriptions */
	struct queue *q;		/* queue.db: remediation requests */
	unsigned char key[JWT_KEY_LEN];	/* signs the tokens (api_key_load) */
	int token_lifetime;		/* seconds a jwtToken lives */
	const char *hostname;		/* hostName in tracking answers */
	const char *serial;		/* serialNumber */
	time_t now;			/* the request's time (0: time(NULL)) */
	int budget;			/* seconds a tracking search may take (0: no limit) */
	const atomic_int *cancel;	/* non-zero: give up a long request (NULL: never) */
	struct api_fail fails[API_FAIL_SLOTS];	/* failed password checks by client */
};

struct api_req {
	const char *method;		/* "GET", "POST", ... */
	const char *path;		/* without the query */
	const char *query;		/* after '?', NULL none */
	const char *authorization;	/* header values, NULL when absent */
	const char *jwt;
	const char *content_type;
	const char *body;		/* not NUL-terminated */
	size_t body_len;
	int body_too_big;		/* the body passed api.max_body: 413 */
	const char *peer;		/* the client's IP (logs) */
};

struct api_resp {
	int status;
	char *body;			/* JSON (malloc'd) */
	char user[USER_NAME_MAX + 1];	/* who was authenticated, "" nobody */
	char *jwt_refresh;		/* a fresh token for the jwtToken header, or NULL */
	int wake;			/* remediation requests were added: wake the engine */
	int retry_after;		/* > 0: a Retry-After header (seconds) */
};

/*
 * api_key_load - DIR/api.key (JWT_KEY_LEN random bytes, 0600), made the
 * first time; 0 or -1 with *cause. Kept out of config.db so no
 * configuration history or backup of it holds the key.
 */
int api_key_load(const char *dir, unsigned char key[JWT_KEY_LEN], char **cause);

/* api_handle - answer one request into rs (free with api_resp_free) */
void api_handle(struct api_ctx *ctx, const struct api_req *rq, struct api_resp *rs);

/* api_resp_free - release what api_handle put in rs */
void api_resp_free(struct api_resp *rs);

/* api_safe_path - path without the values of its query that could be secrets (malloc'd) */
char *api_safe_path(const char *path, const char *query);

#endif
