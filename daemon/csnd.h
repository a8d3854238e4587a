/*
 * csnd.h - Cisco Success Network telemetry in mxgated (issue 14, seed
 * 004): its own thread, because a send waits on a remote server and the
 * event loop must not.
 *
 * It sends the payload of mail/csn.h (the same builder `csn print` uses)
 * while cloud.enabled and cloud.csn are committed and the gateway is
 * registered (store/cloud.h): soon after CSN becomes enabled, then every
 * cloud.csn_interval seconds, and at once on the shell's request
 * "csnsend TOKEN". A failed send is logged and tried again after
 * cloud.csn_retry seconds. Nothing is ever sent otherwise.
 *
 * State for `cloudserviceconfig status` and the answers to requests:
 * queue_state rows CSN_STATE_* and CSN_ANSWER_PREFIX (mail/csn.h).
 *
 * DIAGNOSTICS: mail_logs lines "CSN: telemetry sent to URL (N bytes)" and
 * "CSN: telemetry not sent: CAUSE; next try in N seconds" (written by the
 * loop); the registration's last contact / last error (cloud_contact).
 */
#ifndef DAEMON_CSND_H
#define DAEMON_CSND_H

#include "daemon/gw.h"

struct csnd;

/* csnd_start - start the thread with gw's configuration; NULL with *cause */
struct csnd *csnd_start(struct gw *gw, char **cause);

/* csnd_reconfigure - the configuration changed (loop thread; copies what it needs) */
void csnd_reconfigure(struct csnd *cd, const struct conf *c);

/*
 * csnd_request - the shell's "csnsend" request, arg its TOKEN (loop
 * thread): send now and answer in queue_state csn.answer.TOKEN; cd NULL
 * (the thread did not start) answers with an error at once
 */
void csnd_request(struct gw *gw, struct csnd *cd, const char *arg);

/*
 * csnd_stop - end a send in flight, answer the requests left with
 * "mxgated is stopping", stop the thread, free (loop thread; NULL ok)
 */
void csnd_stop(struct csnd *cd);

#endif
