/*
 * etcd.h - a client of etcd's v3 API, through its JSON gateway (etcd
 * 3.4: POST /v3/kv/range, /v3/kv/put, /v3/kv/deleterange, /v3/kv/txn,
 * /v3/lease/grant, /v3/lease/keepalive, /v3/lease/revoke, /v3/watch,
 * /v3/cluster/member/list, /v3/maintenance/status), with libcurl and
 * cJSON. Keys and values are base64 in the JSON; int64 fields come as
 * strings; absent fields are zero.
 *
 * Endpoints: "https://127.0.0.1:2379,https://127.0.0.1:2479,..." (http://
 * only for tests that ask for it). TLS 1.2 or later, the server checked
 * against ca_pem, and the client certificate and key (PEM text, not file
 * names: mxgated drops root and may not read the operator's files). A
 * request goes to the endpoint that last answered; one that cannot be
 * reached (connect refused, TLS failure, timeout, a 5xx, a gateway
 * answer saying the member has no leader) is skipped for the next, and
 * when none answers the call returns ETCD_EUNREACH with a cause naming
 * the last one's trouble.
 *
 * A struct etcd is used by one thread at a time (each thread makes its
 * own with etcd_new); calls block for at most timeout_ms each (a watch
 * for at most its max_ms), and end early, with ETCD_ESTOPPED, once the
 * stop flag (etcd_set_stop) is set.
 *
 * DIAGNOSTICS: negative returns with a malloc'd one-line cause.
 */
#ifndef NET_ETCD_H
#define NET_ETCD_H

#include <stddef.h>
#include <stdint.h>

#define ETCD_ERROR -1		/* the server refused or answered what cannot be read */
#define ETCD_EUNREACH -2	/* no endpoint could be reached */
#define ETCD_ESTOPPED -3	/* the stop flag was set */
/*
 * A write (put, delete, txn) that reached a member whose answer never
 * came or said it timed out: etcd may still apply it (a member waiting
 * for its quorum keeps the proposal). It is not tried on another member.
 */
#define ETCD_EUNKNOWN -4

struct etcd;

/* etcd_new - a client; endpoints as above; ca/cert/key PEM text (NULL or "": none) */
int etcd_new(const char *endpoints, const char *ca_pem, const char *cert_pem,
    const char *key_pem, int timeout_ms, struct etcd **out, char **cause);
void etcd_free(struct etcd *e);

/* etcd_set_stop - end calls early (ETCD_ESTOPPED) once *stop != 0; NULL: never */
void etcd_set_stop(struct etcd *e, volatile int *stop);

/* etcd_endpoint - the endpoint that answered last (or the first), for messages */
const char *etcd_endpoint(const struct etcd *e);

struct etcd_kv {
	char *key;		/* NUL-terminated */
	char *value;		/* NUL-terminated (etcd values here are text) */
	size_t vlen;
	int64_t create_rev, mod_rev, version, lease;
};

struct etcd_range {
	struct etcd_kv *kvs;
	int n;
	int64_t revision;	/* the store's revision when read (header.revision) */
	int more;		/* more keys than the limit */
};

void etcd_range_free(struct etcd_range *r);

/*
 * etcd_get - one key, or every key under a prefix (prefix != 0), as of
 * revision at_rev (0: now); keys in key order; limit 0: all
 */
int etcd_get(struct etcd *e, const char *key, int prefix, int64_t at_rev, long limit,
    struct etcd_range *out, char **cause);

/* etcd_put - set key (lease 0: none); *rev (may be NULL) the revision it made */
int etcd_put(struct etcd *e, const char *key, const char *value, int64_t lease, int64_t *rev,
    char **cause);

/* etcd_delete - delete key, or every key under it (prefix != 0); *deleted how many */
int etcd_delete(struct etcd *e, const char *key, int prefix, long *deleted, int64_t *rev,
    char **cause);

/* A comparison of a transaction: always "=" */
enum etcd_cmp_target {
	ETCD_CMP_MOD,		/* mod_revision == rev (0: the key does not exist) */
	ETCD_CMP_CREATE,	/* create_revision == rev (0: the key does not exist) */
	ETCD_CMP_VERSION,	/* version == rev */
	ETCD_CMP_VALUE,		/* value == value */
};

struct etcd_cmp {
	const char *key;
	enum etcd_cmp_target target;
	int64_t rev;
	const char *value;
};

enum etcd_op_kind { ETCD_OP_PUT, ETCD_OP_DELETE, ETCD_OP_GET };

struct etcd_op {
	enum etcd_op_kind kind;
	const char *key;
	const char *value;	/* PUT */
	int64_t lease;		/* PUT; 0: none */
	int prefix;		/* DELETE, GET: the whole prefix */
};

struct etcd_txn_result {
	int succeeded;		/* every comparison held: the success ops ran */
	int64_t revision;	/* header.revision after the transaction */
	struct etcd_range *ranges;	/* one per GET op of the branch that ran, in order */
	int nranges;
};

void etcd_txn_result_free(struct etcd_txn_result *r);

/*
 * etcd_txn - if every cmp holds, run ok[], else fail[]; atomically (one
 * revision). Returns 0 whichever branch ran (res->succeeded says).
 */
int etcd_txn(struct etcd *e, const struct etcd_cmp *cmp, int ncmp, const struct etcd_op *ok,
    int nok, const struct etcd_op *fail, int nfail, struct etcd_txn_result *res, char **cause);

/* leases: grant (ttl seconds), keep alive once (*ttl_left 0: the lease is gone), revoke */
int etcd_lease_grant(struct etcd *e, int ttl, int64_t *id, char **cause);
int etcd_lease_keepalive(struct etcd *e, int64_t id, int *ttl_left, char **cause);
int etcd_lease_revoke(struct etcd *e, int64_t id, char **cause);

enum etcd_event_type { ETCD_EV_PUT, ETCD_EV_DELETE };

struct etcd_event {
	enum etcd_event_type type;
	struct etcd_kv kv;	/* a DELETE's kv has the key and mod_rev only */
};

/*
 * etcd_watch_cb - the events of one revision, in order (a transaction's
 * events all come in one call); non-zero ends the watch (etcd_watch then
 * returns 0)
 */
typedef int (*etcd_watch_cb)(int64_t revision, const struct etcd_event *ev, int n, void *arg);

/*
 * etcd_watch - watch every key under prefix from start_rev on (a
 * streaming POST /v3/watch), calling cb once per revision. Returns 0
 * when cb asked to stop or max_ms passed with the stream healthy (the
 * caller watches again from *last_rev + 1), ETCD_ESTOPPED on the stop
 * flag, ETCD_EUNREACH/ETCD_ERROR when the stream broke. *last_rev: the
 * last revision delivered (start_rev - 1 if none). *compacted: set to
 * the compaction revision when start_rev is no longer kept (returns
 * ETCD_ERROR then: the caller reads a snapshot and watches from there).
 */
int etcd_watch(struct etcd *e, const char *prefix, int64_t start_rev, long max_ms,
    etcd_watch_cb cb, void *arg, int64_t *last_rev, int64_t *compacted, char **cause);

struct etcd_member {
	char name[128];
	char client_url[256];	/* the first client URL */
	int healthy;		/* its /v3/maintenance/status answered */
	int64_t revision;	/* its revision, when healthy */
	int leader;		/* it is the raft leader */
};

/* etcd_members - the etcd cluster's members, each asked for its status */
int etcd_members(struct etcd *e, struct etcd_member **m, int *n, char **cause);

/*
 * The parsers of the gateway's answers, exposed for the fuzz harness
 * (tests/fuzz/fuzz_etcdjson.c): each takes a whole body, never reads
 * past len, and returns 0 or ETCD_ERROR with a cause.
 */
int etcd_parse_range(const char *body, size_t len, struct etcd_range *out, char **cause);
int etcd_parse_txn(const char *body, size_t len, struct etcd_txn_result *out, char **cause);
/* one message of a watch stream: *n events (malloc'd), *compacted, *canceled */
int etcd_parse_watch(const char *body, size_t len, struct etcd_event **ev, int *n,
    int64_t *compacted, int *canceled, char **cause);
void etcd_events_free(struct etcd_event *ev, int n);

#endif
