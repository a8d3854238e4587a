/*
 * relay.h - the gateway's threat response module ("relay API", issue 14,
 * seed 004; /work/notes/i14/relay.md), as a pure handler like mail/api.h:
 * a request in, a status and a JSON body out. daemon/apid.c serves it on
 * the API's HTTPS port while cloud.enabled is on, and does the HTTP and
 * the audit line.
 *
 *   POST /health                  {"data":{"status":"ok"}}
 *   POST /observe/observables     sightings from message tracking (mail/tracking.h)
 *   POST /deliberate/observables  {"data":{}} (the gateway gives no verdicts)
 *   POST /refer/observables       links to the gateway's tracking API
 *   POST /respond/observables     remediation actions for a Message-ID or MID
 *   POST /respond/trigger         one remediation request (store/remed.h),
 *                                 answered once the engine finished it
 *   POST /version                 {"version":"..."}, no authentication
 *   GET  /watchdog                echoes the Health-Check header, no authentication
 *
 * Authorization: "Bearer JWT", RS256 checked against the JWKS of the
 * registration (store/cloud.h, read on every call); aud must be the
 * registration's deviceId and jwks_host the host of the configured threat
 * response server (cloud.tr_server). A failure is HTTP 401 with
 * {"errors":[{"type":"fatal","code":"authorization error","message":
 * "Authorization failed: ..."}]} and nothing is done. The caller for the
 * audit log and remediationreport is the token's sub.
 *
 * Observables: email (envelope sender or recipient), email_subject,
 * email_messageid, ip and ipv6 (the sender's IP), cisco_mid; types are
 * lower-cased, other types skipped, duplicates dropped. At most
 * relay_limit(CTR_ENTITIES_LIMIT) sightings per observable, RELAY_SIGHT_MAX
 * per call.
 *
 * DIAGNOSTICS: the relay's error envelope (relay.md §2). Payload and
 * search errors are HTTP 200 as the platform expects ("invalid argument",
 * "service unavailable", "internal error"); only authorization is 401.
 * 404 unknown path, 405 method, 413 body too big.
 */
#ifndef MAIL_RELAY_H
#define MAIL_RELAY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct store;
struct queue;

#define RELAY_OBS_MAX 100	/* supported observables per call */
#define RELAY_LIMIT 100		/* sightings per observable (CTR_ENTITIES_LIMIT default) */
#define RELAY_LIMIT_MAX 1000	/* the most CTR_ENTITIES_LIMIT may ask per observable */
#define RELAY_SIGHT_MAX 1000	/* sightings of one call, all observables together */
#define RELAY_DAYS 30		/* days of mail log searched */
#define RELAY_WAIT_MAX 60	/* seconds a trigger waits for its remediation */

struct relay_ctx {
	struct store *st;		/* config.db: registration, settings, log location */
	struct queue *q;		/* queue.db: remediation requests */
	const char *hostname;		/* the gateway's name (sighting source, tracking) */
	const char *serial;
	const char *tr_server;		/* cloud.tr_server: nam|eu|apjc or an https:// URL */
	const char *api_base;		/* "https://HOST:PORT" of the tracking API (refer links) */
	const char *version;		/* /version */
	time_t now;			/* the request's time (0: time(NULL)) */
	int budget;			/* seconds a tracking search may take (0: no limit) */
	const atomic_int *cancel;	/* non-zero: give up a search (NULL: never) */
};

struct relay_req {
	const char *method;		/* "GET", "POST", ... */
	const char *path;		/* without the query */
	const char *authorization;	/* the header, NULL when absent */
	const char *health_check;	/* the Health-Check header (/watchdog), NULL */
	const char *body;		/* not NUL-terminated */
	size_t body_len;
	int body_too_big;		/* past api.max_body: 413 */
};

struct relay_resp {
	int status;
	char *body;			/* JSON (malloc'd); NULL while pending */
	char who[256];			/* the token's sub, "" nobody authenticated */
	char note[512];			/* for the gateway's audit line only (a store
					 * failure's cause), "" none: never sent */
	int64_t pending;		/* > 0: this remediation request was added; the
					 * answer comes from relay_trigger_outcome */
	int wake;			/* wake the remediation engine */
};

/* relay_path - is path (without query) one of the module's? 1 or 0 */
int relay_path(const char *path);

/* relay_handle - answer one request into rs (free with relay_resp_free) */
void relay_handle(struct relay_ctx *ctx, const struct relay_req *rq, struct relay_resp *rs);

/*
 * relay_trigger_outcome - the answer to a trigger whose request rs->pending
 * was added: 1 with rs->status and rs->body set once the engine finished
 * it (or give_up: "still running"), 0 while it is pending
 */
int relay_trigger_outcome(struct queue *q, struct relay_resp *rs, int give_up);

/* relay_limit - docs per observable for a CTR_ENTITIES_LIMIT claim (0 absent): [1, RELAY_LIMIT_MAX] */
long relay_limit(long claim);

/* relay_resp_free - release what relay_handle put in rs */
void relay_resp_free(struct relay_resp *rs);

#endif
