/*
 * cloudsvc.h - the Cisco Cloud Service's device calls (issue 14; the
 * protocol is inferred, see mail/cloudconf.h and /work/notes/i14/api.md):
 * register, re-register and deregister (mxsh, which may wait) and the
 * telemetry POST (mxgated's CSN thread). Blocking, over net/hreq.h: TLS
 * 1.2 at least, the peer checked against ca_pem (the setting tls.ca_pem,
 * "" the system's bundle), CLOUDSVC_TIMEOUT_MS per call, no redirects.
 *
 * DIAGNOSTICS: -1 or CLOUDSVC_UNREACHABLE with a malloc'd one-line
 * *cause telling a refused token or refused credentials (HTTP 401/403)
 * from another HTTP status, an unreachable service (connection refused,
 * time out, TLS failure: CLOUDSVC_UNREACHABLE) and a malformed answer.
 * Neither the token nor a client secret is ever in a cause.
 */
#ifndef NET_CLOUDSVC_H
#define NET_CLOUDSVC_H

#include "mail/cloudjson.h"
#include "store/cloud.h"

#define CLOUDSVC_TIMEOUT_MS 20000
#define CLOUDSVC_MAX_BODY (256u * 1024)	/* largest answer read */
#define CLOUDSVC_UNREACHABLE (-2)	/* no answer came: nothing was decided */
#define CLOUDSVC_MAYBE (-3)		/* register/deregister: the request left but no whole
					 * answer came (time out, stop, answer too big): the
					 * cloud may have acted on it */

/*
 * cloudsvc_register - register with server (region name or https URL)
 * using token; token NULL or "" re-registers with cur's credentials,
 * which are sent only to cur's own server (another server needs a token)
 * and only when readable (client_secret not NULL).
 * cur NULL: a first registration; else a re-registration of cur (its
 * deviceId sent). On success out (zeroed first) holds the new identity
 * (device_id, client_id, client_secret, account_id, virtual_account,
 * jwks; server copied): free with cloud_reg_free. stop NULL, or a flag
 * that ends the exchange early once set (Ctrl-C in mxsh). 0, -1,
 * CLOUDSVC_UNREACHABLE or CLOUDSVC_MAYBE with *cause.
 */
int cloudsvc_register(const char *server, const char *token, const struct cloud_reg *cur,
    const struct cloudjson_device *dev, const char *ca_pem, volatile int *stop,
    struct cloud_reg *out, char **cause);

/*
 * cloudsvc_deregister - DELETE the registration reg at its server with
 * its credentials: 0 (also when the cloud no longer knows it, 404), -1,
 * CLOUDSVC_UNREACHABLE or CLOUDSVC_MAYBE with *cause (-1 also when the
 * credentials are unreadable); stop as for cloudsvc_register
 */
int cloudsvc_deregister(const struct cloud_reg *reg, const char *ca_pem, volatile int *stop,
    char **cause);

/*
 * cloudsvc_send - POST json to url with reg's credentials (telemetry):
 * 0 on 200, 201, 202 or 204, else -1 or CLOUDSVC_UNREACHABLE with *cause.
 * url must be https:// (syntax_https_url): anything else is refused before
 * the credentials leave. stop as for cloudsvc_register (mxgated raises it
 * when a commit turns telemetry off and at shutdown).
 */
int cloudsvc_send(const char *url, const struct cloud_reg *reg, const char *json,
    const char *ca_pem, volatile int *stop, char **cause);

#endif
