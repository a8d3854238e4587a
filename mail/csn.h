/*
 * csn.h - the Cisco Success Network telemetry payload (issue 14, seed
 * 004): what mxgated sends and `cloudserviceconfig csn print` shows, built
 * by one function so that the two are the same bytes.
 *
 * The JSON, field for field as the seed's table, in this order:
 *   {"UID":SERIAL,"model":"mxgate","sIVAN":..,"deployment":"standalone"|"cluster",
 *    "userAccountID":..,"version":..,"installDate":MS,"features":[
 *     {"name":..,"enabled":BOOL,"status":"active"|"inactive","expiry":null,
 *      "featureID":UUID}, ...]}
 * compact (no white space), features always in csn_features[] order.
 *
 *   UID            this machine's serial (store/remed.h remed_serial)
 *   model          "mxgate"
 *   sIVAN          the registration's virtual account ("" not registered)
 *   deployment     "cluster" while this machine is a cluster member
 *                  (clusterconfig), else "standalone"
 *   userAccountID  the registration's account ID ("" not registered)
 *   version        MXGATE_VERSION of the build
 *   installDate    the data directory's creation (statx birth time) in ms
 *                  since the epoch; where the file system keeps no birth
 *                  time, the time first asked, kept in queue_state
 *                  CSN_INSTALL_STATE so that it never changes
 *   features       one entry per gateway feature: enabled from the
 *                  committed configuration; status "active" when enabled,
 *                  "inactive" otherwise (mxgate has no licences: nothing
 *                  is ever enabled but unlicensed or expired); expiry
 *                  always null (no feature carries a licence expiry);
 *                  featureID a fixed UUID per feature
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line *cause (a store that cannot be
 * read). Nothing here sends, prints or exits.
 */
#ifndef MAIL_CSN_H
#define MAIL_CSN_H

#include <stddef.h>

struct store;
struct queue;
struct cloud_reg;

#define CSN_MODEL "mxgate"
#define CSN_INSTALL_STATE "csn.install_date"	/* queue_state: the fallback install date */
#define CSN_FEATURES_MAX 16

/*
 * mxgated's telemetry state in queue_state (daemon/csnd.c writes, the
 * shell's status reads), UTC seconds: the last successful send, "SECONDS
 * cause" of the last failure, the next send planned (absent while off);
 * the answer to the shell's request "csnsend TOKEN" is CSN_ANSWER_PREFIX
 * TOKEN: "sent BYTES URL" or "error=CAUSE"
 */
#define CSN_STATE_LAST "csn.last_send"
#define CSN_STATE_ERROR "csn.last_error"
#define CSN_STATE_NEXT "csn.next_send"
#define CSN_ANSWER_PREFIX "csn.answer."

/* One feature of the list: what it is (fixed) and whether it is on. */
struct csn_feature {
	const char *name;		/* "Sender Domain Reputation" (static) */
	const char *id;			/* its featureID, a fixed UUID (static) */
	int enabled;			/* from the committed configuration */
};

/* Everything the payload says; csn_json turns it into the bytes sent. */
struct csn_payload {
	char uid[64];			/* the serial */
	char sivan[128];		/* virtual account, "" when not registered */
	int cluster;			/* deployment: 1 "cluster", 0 "standalone" */
	char account[128];		/* userAccountID, "" when not registered */
	char version[32];		/* the build's */
	long long install_ms;		/* installDate */
	int nfeatures;
	struct csn_feature features[CSN_FEATURES_MAX];
};

/* csn_in_cluster - 1 when this machine is in a cluster (deployment "cluster"), 0 not, -1 */
int csn_in_cluster(struct store *st, char **cause);

/*
 * csn_collect - fill p from the real state: st a STORE_RUNNING handle on
 * the data directory dir (the committed configuration), q its queue.db
 * (serial, fallback install date), reg the registration or NULL when
 * there is none; 0 or -1 with *cause
 */
int csn_collect(struct store *st, struct queue *q, const char *dir, const struct cloud_reg *reg,
    struct csn_payload *p, char **cause);

/* csn_json - p as the compact JSON sent (malloc'd), the same bytes for the same p */
char *csn_json(const struct csn_payload *p);

/*
 * csn_install_ms - the install date of data directory dir in ms since
 * the epoch (see installDate above); 0 or -1 with *cause
 */
int csn_install_ms(struct queue *q, const char *dir, long long *ms, char **cause);

#endif
