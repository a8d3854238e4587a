/*
 * clusterd.h - mxgated in a cluster (issue 15): its own threads, because
 * everything here waits on etcd and the event loop must not.
 *
 * The follower thread applies what etcd holds to config.db: a snapshot
 * (mail/cluster.h clus_sync) at start and whenever the watch cannot go
 * on from where it was (compacted, a gap), then the watch on the
 * cluster's prefix, one revision at a time (clus_apply_events); each
 * applied revision that changes this machine's configuration is a main
 * commit, which the loop's commit poll (control.c) applies as any other.
 * While etcd cannot be reached it retries (1 s, doubling to 10 s) and
 * the machine runs on what config.db holds; it catches up when etcd is
 * back. Log: "Cluster: applied revision R (N items) from etcd",
 * "Cluster: etcd unreachable (...); running on the local configuration",
 * "Cluster: etcd reachable again at ENDPOINT; catching up from revision R".
 *
 * The lease thread keeps one lease (TTL: cluster.lease_ttl, default 10
 * s, less one second, so that a dead holder's successor has taken over
 * within cluster.lease_ttl; kept alive every TTL/4) carrying P
 * alive/MACHINE and, when this machine may poll (tdc.api and tdc.polling
 * on at its effective level, and P primary_pin empty or naming it), the
 * election: P primary is created on that lease only if absent (looked
 * at every 250 ms while waiting). The holder may poll while
 * monotonic now < (the send time of the last keep-alive etcd answered) +
 * TTL * 3/4: it stops before etcd can expire the lease, so two machines
 * never poll at once. Log: "Cluster: this machine is now the ETD
 * polling primary (term T)", "Cluster: this machine is no longer the ETD
 * polling primary (REASON)".
 *
 * The machine's membership is re-read every second: clusterconfig
 * join/leave take effect without a restart.
 */
#ifndef DAEMON_CLUSTERD_H
#define DAEMON_CLUSTERD_H

#include "daemon/gw.h"

struct clusterd;

/* clusterd_start - start the threads (idle while not in a cluster); NULL with *cause */
struct clusterd *clusterd_start(struct gw *gw, char **cause);

/* clusterd_reconfigure - the configuration changed (loop thread: TTL, polling wanted) */
void clusterd_reconfigure(struct clusterd *cd, const struct conf *c);

/* clusterd_stop - stop the threads, revoke the lease (the primary moves at once), free */
void clusterd_stop(struct clusterd *cd);

/* ---- for remd (daemon/remd.c), from its thread ---- */

/*
 * clusterd_halt_hooks - end the hooks' etcd calls at once (-1 with a
 * "stopped" cause) and every later one: remd is stopping (remd_stop
 * calls it before it waits for its thread)
 */
void clusterd_halt_hooks(struct clusterd *cd);

/* clusterd_member - 1 if this machine is in a cluster now (polling is then the election's) */
int clusterd_member(struct clusterd *cd);

/* clusterd_may_poll - 1 while this machine holds the election within its margin */
int clusterd_may_poll(struct clusterd *cd);

/*
 * clusterd_window_get - P etd/window (0 if absent); clusterd_window_put -
 * set it, only while this machine holds the election (a transaction
 * comparing P primary's create_revision with its term): 1 if it no
 * longer holds it (nothing written)
 */
int clusterd_window_get(struct clusterd *cd, long long *end, char **cause);
int clusterd_window_put(struct clusterd *cd, long long end, char **cause);

/*
 * clusterd_etd_count - the ETD API's daily count, shared by the members
 * (P etd/day = "YYYY-MM-DD N"): one request of day taken if the count is
 * below quota (a transaction on the key's mod_revision). 1 taken, 0 the
 * quota is used, -1 error (nothing taken: the request is not made; an
 * answer lost after etcd applied it counts one request too many); *count
 * the day's count. An etd_counter_fn (daemon/etd.h).
 */
int clusterd_etd_count(struct clusterd *cd, const char *day, int quota, int *count, char **cause);

/*
 * clusterd_etd_claim - take ETD id for this machine (P etd/seen/ID
 * created with this machine's name, on a 40-day lease): 1 taken now or
 * before by this machine, 0 taken before by another machine (skip it),
 * 2 (as_holder only) no longer the holder or past the margin (stop
 * polling), -1 error. as_holder: only while this machine holds the
 * election (the poller's claims); else whoever asks first (a held
 * request settled after a restart or a lost primacy: the poller of the
 * time searches the window again and claims what was not claimed)
 */
int clusterd_etd_claim(struct clusterd *cd, const char *etd_id, int as_holder, char **cause);

#endif
