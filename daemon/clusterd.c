/*
 * clusterd.c - mxgated in a cluster (issue 15): the follower thread, the
 * lease thread, and the hooks remd calls. See clusterd.h.
 *
 * Each thread has its own config.db connection and its own struct etcd
 * (one thread each); the remd hooks share a third one under hmu. The
 * lease thread reads the membership every second and publishes it
 * (generation gen); the follower, blocked in a watch, is broken out of it
 * (fbreak, its etcd stop flag) when the membership changes.
 *
 * The election's safety rests on the margin: the holder may poll only
 * while monotonic now < (send time of the last keep-alive etcd answered)
 * + TTL * 3/4, so it stops before etcd can expire its lease and let
 * another machine win.
 *
 * DIAGNOSTICS: mail_logs lines (written by the loop), see clusterd.h.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/clusterd.h"
#include "daemon/remd.h"
#include "mail/cluster.h"
#include "store/cluster.h"
#include "store/store.h"
#include "util/str.h"

#define CD_WATCH_MS 10000	/* one watch call */
#define CD_ALIVE_EVERY 5000	/* ms between re-puts of the alive key at the latest */
#define CD_BACKOFF_MAX 10000	/* ms: the longest wait between tries while etcd is away */
#define CD_REVOKE_MS 1000	/* the revoke at stop */
#define CD_SEEN_TTL (40 * 86400)	/* s an ETD id taken is kept in etcd (remd's REMD_SEEN_DAYS) */
#define CD_CAMPAIGN_MS 250	/* ms between looks at the primary key while waiting to take over */

/* A log line for the loop. */
struct item {
	enum logfile_level level;
	char *text;
	struct item *next;
};

struct clusterd {
	struct gw *gw;
	char *dir;			/* data directory */
	char serial[32];		/* this machine's serial */
	pthread_t fth, lth;
	int fth_on, lth_on;		/* started */
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* CLOCK_MONOTONIC */
	volatile int stop;		/* the threads end (also the etcd stop flag) */
	volatile int fbreak;		/* the follower's etcd stop flag: stop or a new membership */
	volatile int hstop;		/* the hooks' etcd stop flag: remd or mxgated stopping */
	struct event *ev;		/* drains items on the loop */
	/* under mu */
	struct item *items, **itail;
	int want_poll;			/* tdc.api and tdc.polling as configured */
	int ttl;			/* cluster.lease_ttl */
	int member;			/* pub is this machine's membership */
	unsigned gen;			/* changes with the membership */
	struct cluster_member pub;	/* a copy (its own PEM texts) */
	int holder;			/* holds P primary */
	int64_t term;			/* its create_revision */
	int64_t until_ms;		/* monotonic: may poll before this */
	int alive_dirty;		/* the follower applied something */
	/* the hooks' */
	pthread_mutex_t hmu;
	struct etcd *he;
	int64_t seen_lease;		/* the lease of the ETD ids taken today (hmu) */
	long seen_day;			/* its UTC day */
	unsigned hgen;
	char hprefix[CLUSTER_NAME_MAX + 16];
};

/* ---------------------------------------------------------- helpers */

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* say - a mail_logs line, written by the loop */
static void say(struct clusterd *cd, enum logfile_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(struct clusterd *cd, enum logfile_level level, const char *fmt, ...)
{
	struct item *it = xcalloc(1, sizeof(*it));
	va_list ap;

	va_start(ap, fmt);
	it->text = str_vprintf(fmt, ap);
	va_end(ap);
	it->level = level;
	pthread_mutex_lock(&cd->mu);
	*cd->itail = it;
	cd->itail = &it->next;
	pthread_mutex_unlock(&cd->mu);
	event_active(cd->ev, EV_READ, 0);
}

/* drain - the threads' log lines, on the loop */
static void
drain(evutil_socket_t fd, short what, void *arg)
{
	struct clusterd *cd = arg;
	struct item *it, *next;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&cd->mu);
	it = cd->items;
	cd->items = NULL;
	cd->itail = &cd->items;
	pthread_mutex_unlock(&cd->mu);
	for (; it; it = next) {
		char t[1024];

		next = it->next;
		gw_logl(cd->gw, it->level, "%s", gw_safe(it->text, t, sizeof(t)));
		free(it->text);
		free(it);
	}
}

/* nap - wait ms or until stop (or a broadcast) */
static void
nap(struct clusterd *cd, int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&cd->mu);
	if (!cd->stop)
		pthread_cond_timedwait(&cd->cv, &cd->mu, &ts);
	pthread_mutex_unlock(&cd->mu);
}

static void
member_copy(struct cluster_member *to, const struct cluster_member *from)
{
	*to = *from;
	to->ca_pem = str_dup(from->ca_pem ? from->ca_pem : "");
	to->cert_pem = str_dup(from->cert_pem ? from->cert_pem : "");
	to->key_pem = str_dup(from->key_pem ? from->key_pem : "");
}

static int
streq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* member_same - the same cluster, machine and connection (the group may differ) */
static int
member_same(const struct cluster_member *a, const struct cluster_member *b)
{
	return strcmp(a->cluster, b->cluster) == 0 && strcmp(a->machine, b->machine) == 0 &&
	    strcmp(a->endpoints, b->endpoints) == 0 && streq(a->ca_pem, b->ca_pem) &&
	    streq(a->cert_pem, b->cert_pem) && streq(a->key_pem, b->key_pem) &&
	    memcmp(a->key, b->key, sizeof(a->key)) == 0;
}

/* lose - no longer the holder (lease thread), logged once */
static void
lose(struct clusterd *cd, const char *why)
{
	int was;

	pthread_mutex_lock(&cd->mu);
	was = cd->holder;
	cd->holder = 0;
	cd->term = 0;
	cd->until_ms = 0;
	pthread_mutex_unlock(&cd->mu);
	if (was)
		say(cd, LOGFILE_INFO, "Cluster: this machine is no longer the ETD polling primary "
				      "(%s)", why);
}

/* ---------------------------------------------------------- the follower */

struct fctx {
	struct clusterd *cd;
	struct clus *c;
	struct store *st;
	int failed;		/* a revision could not be applied: snapshot */
};

/* on_rev - one revision of the watch */
static int
on_rev(int64_t revision, const struct etcd_event *ev, int n, void *arg)
{
	struct fctx *f = arg;
	int64_t mc = 0;
	char *cause = NULL;
	int rc, items = 0;
	size_t pl = strlen(f->c->prefix);

	for (int i = 0; i < n; i++)
		if (strncmp(ev[i].kv.key, f->c->prefix, pl) == 0 &&
		    strncmp(ev[i].kv.key + pl, "cfg/", 4) == 0)
			items++;
	rc = clus_apply_events(f->c, f->st, revision, ev, n, &mc, &cause);
	if (rc < 0) {
		say(f->cd, LOGFILE_WARNING, "Cluster: revision %lld not applied: %s; reading a "
					    "snapshot", (long long)revision, cause ? cause : "failed");
		free(cause);
		f->failed = 1;
		return 1;
	}
	if (rc == 1)
		say(f->cd, LOGFILE_WARNING, "Cluster: this machine's member record was removed "
					    "from etcd (revision %lld); it still follows the cluster until "
					    "clusterconfig leave", (long long)revision);
	if (items > 0 || mc > 0) {
		say(f->cd, LOGFILE_INFO, "Cluster: applied revision %lld (%d items) from etcd",
		    (long long)revision, items);
		pthread_mutex_lock(&f->cd->mu);
		f->cd->alive_dirty = 1;
		pthread_mutex_unlock(&f->cd->mu);
	}
	return f->cd->fbreak ? 1 : 0;
}

static void *
follow(void *arg)
{
	struct clusterd *cd = arg;
	struct store *st = NULL;
	struct clus *c = NULL;
	unsigned mygen = 0;
	int need_sync = 1, unreach = 0;
	int64_t last = 0, backoff = 1000, wbackoff = 1000;
	char *cause = NULL;

	while (!cd->stop) {
		int member;
		unsigned gen;
		int rc;

		if (st == NULL && store_open(cd->dir, STORE_RUNNING, &st, &cause) < 0) {
			say(cd, LOGFILE_WARNING, "Cluster: configuration store not opened: %s", cause);
			free(cause);
			cause = NULL;
			st = NULL;
			nap(cd, CD_BACKOFF_MAX);
			continue;
		}
		pthread_mutex_lock(&cd->mu);
		member = cd->member;
		gen = cd->gen;
		cd->fbreak = cd->stop;
		pthread_mutex_unlock(&cd->mu);
		if (!member) {
			clus_close(c);
			c = NULL;
			nap(cd, 1000);
			continue;
		}
		if (c == NULL || mygen != gen) {
			clus_close(c);
			c = NULL;
			rc = clus_open(st, &c, &cause);
			if (rc != 0) {
				if (rc < 0)
					say(cd, LOGFILE_WARNING, "Cluster: membership not read: %s", cause);
				free(cause);
				cause = NULL;
				c = NULL;
				nap(cd, 1000);
				continue;
			}
			etcd_set_stop(c->etcd, &cd->fbreak);
			mygen = gen;
			need_sync = 1;
			unreach = 0;
		}
		if (need_sync) {
			int64_t rev = 0, before = cluster_applied_rev(st);
			int n = 0;

			rc = clus_sync_count(c, st, &rev, &n, &cause);
			if (cd->fbreak) {
				free(cause);
				cause = NULL;
				continue;
			}
			if (rc < 0) {
				if (rc == CLUS_EUNREACH) {
					if (!unreach)
						say(cd, LOGFILE_WARNING, "Cluster: etcd unreachable (%s); "
									 "running on the local configuration",
						    etcd_endpoint(c->etcd));
					unreach = 1;
				} else {
					say(cd, LOGFILE_WARNING, "Cluster: snapshot not applied: %s", cause);
				}
				free(cause);
				cause = NULL;
				nap(cd, backoff);
				backoff = backoff * 2 > CD_BACKOFF_MAX ? CD_BACKOFF_MAX : backoff * 2;
				continue;
			}
			if (unreach)
				say(cd, LOGFILE_INFO, "Cluster: etcd reachable again at %s; catching up "
						      "from revision %lld", etcd_endpoint(c->etcd),
				    (long long)(before > 0 ? before : 0));
			if (rev > before)
				say(cd, LOGFILE_INFO, "Cluster: applied revision %lld (%d items) from etcd",
				    (long long)rev, n);
			unreach = 0;
			backoff = 1000;
			last = rev;
			need_sync = 0;
			pthread_mutex_lock(&cd->mu);
			cd->alive_dirty = 1;
			pthread_mutex_unlock(&cd->mu);
		}
		{
			struct fctx f = { cd, c, st, 0 };
			int64_t lr = last, compacted = 0, t0 = mono_ms();

			rc = etcd_watch(c->etcd, c->prefix, last + 1, CD_WATCH_MS, on_rev, &f, &lr,
			    &compacted, &cause);
			if (lr > last)
				last = lr;
			if (f.failed) {
				need_sync = 1;
				nap(cd, 1000);
			}
			if (rc == 0 || rc == ETCD_ESTOPPED || cd->fbreak) {
				if (rc == 0)
					wbackoff = 1000;
				free(cause);
				cause = NULL;
				continue;
			}
			/* compacted, or the stream broke: a snapshot, then on from there */
			need_sync = 1;
			if (rc == ETCD_EUNREACH && !unreach) {
				say(cd, LOGFILE_WARNING, "Cluster: etcd unreachable (%s); running on the "
							 "local configuration", cause ? cause : etcd_endpoint(c->etcd));
				unreach = 1;
			}
			free(cause);
			cause = NULL;
			/*
			 * a watch refused at once while snapshots work (so the
			 * sync's backoff was reset): its own doubling wait, not
			 * a snapshot a second
			 */
			if (mono_ms() - t0 < 1000) {
				nap(cd, wbackoff);
				wbackoff = wbackoff * 2 > CD_BACKOFF_MAX ? CD_BACKOFF_MAX : wbackoff * 2;
			} else {
				wbackoff = 1000;
			}
		}
	}
	clus_close(c);
	if (st)
		store_close(st);
	return NULL;
}

/* ---------------------------------------------------------- the lease thread */

/* membership - read it (every second) and publish a change */
static void
membership(struct clusterd *cd, struct store *st)
{
	struct cluster_member m;
	char *cause = NULL;
	int rc = cluster_member_get(st, &m, &cause);

	if (rc < 0) {
		free(cause);	/* read again next second */
		return;
	}
	pthread_mutex_lock(&cd->mu);
	if (rc == 1) {
		if (cd->member) {
			cd->member = 0;
			cd->gen++;
			cd->fbreak = 1;
			cluster_member_free(&cd->pub);
			memset(&cd->pub, 0, sizeof(cd->pub));
		}
	} else if (!cd->member || !member_same(&cd->pub, &m)) {
		if (cd->member)
			cluster_member_free(&cd->pub);
		member_copy(&cd->pub, &m);
		cd->member = 1;
		cd->gen++;
		cd->fbreak = 1;
	} else {
		str_copy(cd->pub.group, m.group, sizeof(cd->pub.group));
	}
	pthread_cond_broadcast(&cd->cv);
	pthread_mutex_unlock(&cd->mu);
	if (rc == 0)
		cluster_member_free(&m);
}

/* lease_revoke - give the lease back (the primary and alive keys go at once) */
static void
lease_revoke(struct clusterd *cd, struct etcd *e, const struct cluster_member *m, int64_t lease)
{
	struct etcd *r = NULL;
	char *cause = NULL;

	(void)cd;
	if (lease == 0)
		return;
	if (e != NULL && !cd->stop) {
		if (etcd_lease_revoke(e, lease, &cause) < 0)
			free(cause);
		return;
	}
	/* stopping: a client of its own, without the stop flag and with a short time limit */
	if (m == NULL || etcd_new(m->endpoints, m->ca_pem, m->cert_pem, m->key_pem, CD_REVOKE_MS,
	    &r, &cause) < 0) {
		free(cause);
		return;
	}
	if (etcd_lease_revoke(r, lease, &cause) < 0)
		free(cause);
	etcd_free(r);
}

struct lstate {
	struct etcd *e;
	unsigned egen;
	struct cluster_member m;	/* the membership e was made for */
	int have_m;
	char prefix[CLUSTER_NAME_MAX + 16];
	int64_t lease;
	int lease_ttl;
	int64_t last_ok;		/* monotonic send time of the last answered keep-alive */
	int64_t next_ka;
	int64_t alive_at;		/* the last alive put */
	int64_t alive_applied;
	char alive_digest[65];
	char alive_group[CLUSTER_NAME_MAX];
	time_t since;
};

/*
 * margin - a holder past its margin is no longer one; checked before and
 * after every call that may block, so that the line is said when polling
 * stops, not after etcd has moved the primary elsewhere
 */
static void
margin(struct clusterd *cd, const struct lstate *ls)
{
	int holder;

	pthread_mutex_lock(&cd->mu);
	holder = cd->holder;
	pthread_mutex_unlock(&cd->mu);
	if (holder && mono_ms() >= ls->last_ok + (int64_t)ls->lease_ttl * 750)
		lose(cd, "etcd did not renew the lease in time");
}

/* lease_timeout - the lease thread's time limit per call: well inside the margin */
static int
lease_timeout(int ttl)
{
	int ms = ttl * 1000 / 5;

	return ms < 1000 ? 1000 : ms > CLUS_TIMEOUT_MS ? CLUS_TIMEOUT_MS : ms;
}

/*
 * granted_ttl - the lease asked of etcd for cluster.lease_ttl: a second
 * less, so that etcd's expiry (checked every half second), the next
 * campaign (every CD_CAMPAIGN_MS) and the new holder's transaction all
 * fit within cluster.lease_ttl of the holder's death
 */
static int
granted_ttl(int ttl)
{
	return ttl > 3 ? ttl - 1 : ttl;
}

/*
 * lease_nap - a second; CD_CAMPAIGN_MS while this machine waits to take
 * over (a read of the primary key, a transaction only when it is gone);
 * less when a holder's margin ends sooner
 */
static void
lease_nap(struct clusterd *cd, const struct lstate *ls)
{
	int64_t ms = 1000, left;
	int holder, want;

	pthread_mutex_lock(&cd->mu);
	holder = cd->holder;
	want = cd->want_poll;
	pthread_mutex_unlock(&cd->mu);
	if (!holder && want && ls->lease != 0)
		ms = CD_CAMPAIGN_MS;
	left = ls->last_ok + (int64_t)ls->lease_ttl * 750 - mono_ms();
	if (holder && left < ms)
		ms = left > 10 ? left : 10;
	nap(cd, ms);
}

static void
drop_client(struct clusterd *cd, struct lstate *ls, const char *why)
{
	lose(cd, why);
	lease_revoke(cd, ls->e, ls->have_m ? &ls->m : NULL, ls->lease);
	ls->lease = 0;
	etcd_free(ls->e);
	ls->e = NULL;
	if (ls->have_m)
		cluster_member_free(&ls->m);
	ls->have_m = 0;
}

/* alive - put P alive/M when what it says changed, or every CD_ALIVE_EVERY */
static void
alive(struct clusterd *cd, struct lstate *ls, struct store *st)
{
	char digest[65] = "", group[CLUSTER_NAME_MAX], *cause = NULL, *k, *v;
	int64_t applied = cluster_applied_rev(st), now = mono_ms();
	int dirty;

	pthread_mutex_lock(&cd->mu);
	str_copy(group, cd->pub.group, sizeof(group));
	dirty = cd->alive_dirty;
	cd->alive_dirty = 0;
	pthread_mutex_unlock(&cd->mu);
	if (cluster_digest(st, group, digest, &cause) < 0) {
		free(cause);
		cause = NULL;
		digest[0] = '\0';
	}
	if (!dirty && applied == ls->alive_applied && strcmp(digest, ls->alive_digest) == 0 &&
	    strcmp(group, ls->alive_group) == 0 && now - ls->alive_at < CD_ALIVE_EVERY &&
	    ls->alive_at != 0)
		return;
	k = str_printf("%salive/%s", ls->prefix, ls->m.machine);
	v = clus_alive_json(ls->m.machine, group, applied < 0 ? 0 : applied, digest,
	    (long)getpid(), ls->since);
	if (etcd_put(ls->e, k, v, ls->lease, NULL, &cause) < 0) {
		free(cause);
		ls->alive_at = 0;	/* again next turn */
	} else {
		ls->alive_at = now;
		ls->alive_applied = applied;
		str_copy(ls->alive_digest, digest, sizeof(ls->alive_digest));
		str_copy(ls->alive_group, group, sizeof(ls->alive_group));
	}
	free(k);
	free(v);
}

/*
 * orphan - P primary names this machine, which does not hold it: after
 * the margin ended (etcd slow or away) the next keep-alive still found
 * the lease alive, so the key stayed on it, and being kept alive it
 * would never expire: nobody would poll again. If it is on our lease,
 * take the term back (etcd has just confirmed the lease at last_ok, the
 * margin holds as for any holder) when this machine may poll, else
 * delete it so that another member can win.
 */
static void
orphan(struct clusterd *cd, struct lstate *ls, struct clus *lc, int64_t term, int may)
{
	struct etcd_range r = { 0 };
	char *pk = clus_key(lc, "primary"), *cause = NULL;
	int64_t now = mono_ms();

	if (etcd_get(ls->e, pk, 0, 0, 1, &r, &cause) < 0) {
		free(cause);
		free(pk);
		return;
	}
	if (r.n == 1 && r.kvs[0].create_rev == term && r.kvs[0].lease == ls->lease) {
		if (may && now < ls->last_ok + (int64_t)ls->lease_ttl * 750) {
			pthread_mutex_lock(&cd->mu);
			cd->holder = 1;
			cd->term = term;
			cd->until_ms = ls->last_ok + (int64_t)ls->lease_ttl * 750;
			pthread_mutex_unlock(&cd->mu);
			say(cd, LOGFILE_INFO, "Cluster: this machine is again the ETD polling primary "
					      "(term %lld)", (long long)term);
			if (cd->gw->remd)
				remd_wake(cd->gw->remd);
		} else {
			struct etcd_cmp cmp = { .key = pk, .target = ETCD_CMP_CREATE, .rev = term };
			struct etcd_op op = { .kind = ETCD_OP_DELETE, .key = pk };
			struct etcd_txn_result res = { 0 };

			if (etcd_txn(ls->e, &cmp, 1, &op, 1, NULL, 0, &res, &cause) < 0)
				free(cause);
			etcd_txn_result_free(&res);
		}
	}
	etcd_range_free(&r);
	free(pk);
}

/* elect - campaign, check the term, resign (every second) */
static void
elect(struct clusterd *cd, struct lstate *ls)
{
	struct clus lc = { 0 };
	struct clus_primary pr;
	char *cause = NULL;
	int want, holder, pinok;
	int64_t term, now = mono_ms();

	lc.etcd = ls->e;
	str_copy(lc.prefix, ls->prefix, sizeof(lc.prefix));
	pthread_mutex_lock(&cd->mu);
	want = cd->want_poll;
	holder = cd->holder;
	term = cd->term;
	pthread_mutex_unlock(&cd->mu);
	if (holder && now >= ls->last_ok + (int64_t)ls->lease_ttl * 750) {
		lose(cd, "etcd did not renew the lease in time");
		holder = 0;
	}
	if (!holder && !want)
		return;
	if (clus_primary_get(&lc, &pr, &cause) < 0) {
		free(cause);
		return;	/* the margin ends a holder cut off from etcd */
	}
	pinok = pr.pin[0] == '\0' || strcmp(pr.pin, ls->m.machine) == 0;
	if (holder) {
		const char *why = NULL;
		char buf[128];

		if (pr.create_rev != term) {
			why = pr.create_rev == 0 ? "the primary key is gone" :
			    "another machine holds it";
			lose(cd, why);
			return;
		}
		if (!want)
			why = "ETD polling is off here";
		else if (!pinok) {
			str_fmt(buf, sizeof(buf), "the primary is pinned to %s", pr.pin);
			why = buf;
		}
		if (why != NULL) {
			char *pk = clus_key(&lc, "primary");
			struct etcd_cmp cmp = { .key = pk, .target = ETCD_CMP_CREATE, .rev = term };
			struct etcd_op op = { .kind = ETCD_OP_DELETE, .key = pk };
			struct etcd_txn_result res = { 0 };

			lose(cd, why);	/* first: remd stops before the key goes */
			if (etcd_txn(ls->e, &cmp, 1, &op, 1, NULL, 0, &res, &cause) < 0)
				free(cause);
			etcd_txn_result_free(&res);
			free(pk);
		}
		return;
	}
	if (pr.create_rev != 0 && ls->lease != 0 && strcmp(pr.machine, ls->m.machine) == 0) {
		orphan(cd, ls, &lc, pr.create_rev, want && pinok);
		return;
	}
	if (!pinok || pr.create_rev != 0 || ls->lease == 0)
		return;
	{
		char *pk = clus_key(&lc, "primary");
		char *pv = clus_primary_json(ls->m.machine, cd->serial, time(NULL));
		struct etcd_cmp cmp = { .key = pk, .target = ETCD_CMP_CREATE, .rev = 0 };
		struct etcd_op op = { .kind = ETCD_OP_PUT, .key = pk, .value = pv,
			.lease = ls->lease };
		struct etcd_txn_result res = { 0 };
		int won = 0;

		if (etcd_txn(ls->e, &cmp, 1, &op, 1, NULL, 0, &res, &cause) < 0) {
			free(cause);
		} else if (res.succeeded) {
			pthread_mutex_lock(&cd->mu);
			cd->holder = 1;
			cd->term = res.revision;
			cd->until_ms = ls->last_ok + (int64_t)ls->lease_ttl * 750;
			pthread_mutex_unlock(&cd->mu);
			won = 1;
			say(cd, LOGFILE_INFO, "Cluster: this machine is now the ETD polling primary "
					      "(term %lld)", (long long)res.revision);
		}
		etcd_txn_result_free(&res);
		free(pk);
		free(pv);
		if (won && cd->gw->remd)
			remd_wake(cd->gw->remd);
	}
}

static void *
lease_run(void *arg)
{
	struct clusterd *cd = arg;
	struct store *st = NULL;
	struct lstate ls;
	char *cause = NULL;

	memset(&ls, 0, sizeof(ls));
	ls.since = time(NULL);
	while (!cd->stop) {
		int member, ttl;
		unsigned gen;
		int64_t now;

		if (st == NULL && store_open(cd->dir, STORE_RUNNING, &st, &cause) < 0) {
			free(cause);	/* the follower says so */
			cause = NULL;
			st = NULL;
			nap(cd, CD_BACKOFF_MAX);
			continue;
		}
		membership(cd, st);
		pthread_mutex_lock(&cd->mu);
		member = cd->member;
		gen = cd->gen;
		ttl = cd->ttl;
		if (member && (ls.e == NULL || ls.egen != gen)) {
			pthread_mutex_unlock(&cd->mu);
			drop_client(cd, &ls, "the membership changed");
			pthread_mutex_lock(&cd->mu);
			member_copy(&ls.m, &cd->pub);
			ls.have_m = 1;
			ls.egen = gen;
		}
		pthread_mutex_unlock(&cd->mu);
		if (!member) {
			if (ls.e != NULL)
				drop_client(cd, &ls, "this machine left the cluster");
			nap(cd, 1000);
			continue;
		}
		if (ls.e == NULL) {
			if (etcd_new(ls.m.endpoints, ls.m.ca_pem, ls.m.cert_pem, ls.m.key_pem,
			    lease_timeout(ttl), &ls.e, &cause) < 0) {
				free(cause);
				cause = NULL;
				ls.e = NULL;
				nap(cd, 1000);
				continue;
			}
			etcd_set_stop(ls.e, &cd->stop);
			str_fmt(ls.prefix, sizeof(ls.prefix), "/mxgate/%s/", ls.m.cluster);
			ls.alive_at = 0;
		}
		margin(cd, &ls);
		/* a new TTL takes effect with a new lease, at the next renewal */
		now = mono_ms();
		if (ls.lease != 0 && granted_ttl(ttl) != ls.lease_ttl && now >= ls.next_ka) {
			lose(cd, "the lease time changed");
			lease_revoke(cd, ls.e, NULL, ls.lease);
			ls.lease = 0;
		}
		if (ls.lease == 0) {
			int64_t sent = mono_ms();

			if (etcd_lease_grant(ls.e, granted_ttl(ttl), &ls.lease, &cause) < 0) {
				free(cause);
				cause = NULL;
				ls.lease = 0;
				nap(cd, 1000);
				continue;
			}
			ls.lease_ttl = granted_ttl(ttl);
			ls.last_ok = sent;
			ls.next_ka = sent + (ls.lease_ttl / 4 >= 1 ? ls.lease_ttl / 4 : 1) * 1000;
			ls.alive_at = 0;
		} else if (now >= ls.next_ka) {
			int left = 0, rc;
			int64_t sent = mono_ms();

			rc = etcd_lease_keepalive(ls.e, ls.lease, &left, &cause);
			if (rc == 0 && left > 0) {
				ls.last_ok = sent;
				pthread_mutex_lock(&cd->mu);
				if (cd->holder)
					cd->until_ms = sent + (int64_t)ls.lease_ttl * 750;
				pthread_mutex_unlock(&cd->mu);
			} else if (rc == 0) {
				lose(cd, "its lease expired");
				ls.lease = 0;
				continue;	/* a new one at once */
			} else {
				free(cause);
				cause = NULL;
				/* etcd away: nothing more to try this turn but the margin */
				ls.next_ka = sent + (ls.lease_ttl / 4 >= 1 ? ls.lease_ttl / 4 : 1) * 1000;
				margin(cd, &ls);
				lease_nap(cd, &ls);
				continue;
			}
			ls.next_ka = sent + (ls.lease_ttl / 4 >= 1 ? ls.lease_ttl / 4 : 1) * 1000;
		}
		alive(cd, &ls, st);
		margin(cd, &ls);
		elect(cd, &ls);
		lease_nap(cd, &ls);
	}
	lose(cd, "mxgated is stopping");
	lease_revoke(cd, NULL, ls.have_m ? &ls.m : NULL, ls.lease);
	etcd_free(ls.e);
	if (ls.have_m)
		cluster_member_free(&ls.m);
	if (st)
		store_close(st);
	return NULL;
}

/* ---------------------------------------------------------- the loop's interface */

static void
take_conf(struct clusterd *cd, const struct conf *c)
{
	cd->want_poll = c->tdc_api && c->tdc_polling;
	cd->ttl = c->cluster_lease_ttl >= 3 && c->cluster_lease_ttl <= 300 ?
	    c->cluster_lease_ttl : 10;
}

static void
cd_free(struct clusterd *cd)
{
	if (cd->member)
		cluster_member_free(&cd->pub);
	etcd_free(cd->he);
	pthread_mutex_destroy(&cd->mu);
	pthread_mutex_destroy(&cd->hmu);
	pthread_cond_destroy(&cd->cv);
	free(cd->dir);
	free(cd);
}

/* clusterd_start - see clusterd.h */
struct clusterd *
clusterd_start(struct gw *gw, char **cause)
{
	struct clusterd *cd = xcalloc(1, sizeof(*cd));
	pthread_condattr_t ca;
	int rc;

	cd->gw = gw;
	cd->dir = str_dup(gw->dir);
	str_copy(cd->serial, gw->serial, sizeof(cd->serial));
	pthread_mutex_init(&cd->mu, NULL);
	pthread_mutex_init(&cd->hmu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cd->cv, &ca);
	pthread_condattr_destroy(&ca);
	cd->itail = &cd->items;
	take_conf(cd, gw->conf);
	cd->ev = event_new(gw->base, -1, 0, drain, cd);
	if (cd->ev == NULL)
		abort();
	rc = pthread_create(&cd->lth, NULL, lease_run, cd);
	if (rc == 0) {
		cd->lth_on = 1;
		rc = pthread_create(&cd->fth, NULL, follow, cd);
		if (rc == 0)
			cd->fth_on = 1;
	}
	if (rc != 0) {
		*cause = str_printf("cannot start the cluster threads: %s", strerror(rc));
		clusterd_stop(cd);
		return NULL;
	}
	return cd;
}

/* clusterd_reconfigure - see clusterd.h */
void
clusterd_reconfigure(struct clusterd *cd, const struct conf *c)
{
	if (cd == NULL)
		return;
	pthread_mutex_lock(&cd->mu);
	take_conf(cd, c);
	pthread_cond_broadcast(&cd->cv);
	pthread_mutex_unlock(&cd->mu);
}

/* clusterd_stop - see clusterd.h */
void
clusterd_stop(struct clusterd *cd)
{
	if (cd == NULL)
		return;
	pthread_mutex_lock(&cd->mu);
	cd->stop = 1;
	cd->fbreak = 1;
	cd->hstop = 1;
	pthread_cond_broadcast(&cd->cv);
	pthread_mutex_unlock(&cd->mu);
	if (cd->fth_on)
		pthread_join(cd->fth, NULL);
	if (cd->lth_on)
		pthread_join(cd->lth, NULL);	/* it revokes the lease on its way out */
	drain(-1, 0, cd);
	event_free(cd->ev);
	cd_free(cd);
}

/* ---------------------------------------------------------- remd's hooks */

/* clusterd_halt_hooks - see clusterd.h */
void
clusterd_halt_hooks(struct clusterd *cd)
{
	if (cd != NULL)
		cd->hstop = 1;
}

/* clusterd_member - see clusterd.h */
int
clusterd_member(struct clusterd *cd)
{
	int m;

	if (cd == NULL)
		return 0;
	pthread_mutex_lock(&cd->mu);
	m = cd->member;
	pthread_mutex_unlock(&cd->mu);
	return m;
}

/* clusterd_may_poll - see clusterd.h */
int
clusterd_may_poll(struct clusterd *cd)
{
	int ok;

	if (cd == NULL)
		return 0;
	pthread_mutex_lock(&cd->mu);
	ok = cd->member && cd->holder && mono_ms() < cd->until_ms;
	pthread_mutex_unlock(&cd->mu);
	return ok;
}

/* hooks_etcd - the hooks' client for the membership now (hmu held) */
static int
hooks_etcd(struct clusterd *cd, char *machine, size_t msize, int64_t *term, char **cause)
{
	struct cluster_member m;
	unsigned gen;
	int member;

	pthread_mutex_lock(&cd->mu);
	member = cd->member;
	gen = cd->gen;
	if (member && (cd->he == NULL || cd->hgen != gen))
		member_copy(&m, &cd->pub);
	if (machine)
		str_copy(machine, cd->pub.machine, msize);
	/*
	 * past the margin this machine is no longer the holder, even if the
	 * lease thread (maybe blocked in an etcd call) has not said so yet
	 */
	if (term)
		*term = cd->holder && mono_ms() < cd->until_ms ? cd->term : 0;
	pthread_mutex_unlock(&cd->mu);
	if (!member) {
		*cause = str_dup("this machine is not in a cluster");
		return -1;
	}
	if (cd->he == NULL || cd->hgen != gen) {
		char *ec = NULL;

		etcd_free(cd->he);
		cd->he = NULL;
		cd->seen_lease = 0;	/* another cluster, perhaps */
		if (etcd_new(m.endpoints, m.ca_pem, m.cert_pem, m.key_pem, CLUS_TIMEOUT_MS, &cd->he,
		    &ec) < 0) {
			*cause = str_printf("cluster %s: %s", m.cluster, ec ? ec : "no etcd client");
			free(ec);
			cd->he = NULL;
			cluster_member_free(&m);
			return -1;
		}
		etcd_set_stop(cd->he, &cd->hstop);
		str_fmt(cd->hprefix, sizeof(cd->hprefix), "/mxgate/%s/", m.cluster);
		cd->hgen = gen;
		cluster_member_free(&m);
	}
	return 0;
}

/* clusterd_window_get - see clusterd.h */
int
clusterd_window_get(struct clusterd *cd, long long *end, char **cause)
{
	struct etcd_range r = { 0 };
	char *k;
	int rc;

	*end = 0;
	pthread_mutex_lock(&cd->hmu);
	if (hooks_etcd(cd, NULL, 0, NULL, cause) < 0) {
		pthread_mutex_unlock(&cd->hmu);
		return -1;
	}
	k = str_printf("%setd/window", cd->hprefix);
	rc = etcd_get(cd->he, k, 0, 0, 1, &r, cause);
	pthread_mutex_unlock(&cd->hmu);
	free(k);
	if (rc < 0)
		return -1;
	if (r.n > 0) {
		unsigned long long u;

		if (str_to_ullong(r.kvs[0].value, &u) < 0 || u > (unsigned long long)INT64_MAX) {
			etcd_range_free(&r);
			*cause = str_dup("the ETD window in etcd is not a number");
			return -1;
		}
		*end = (long long)u;
	}
	etcd_range_free(&r);
	return 0;
}

/* clusterd_window_put - see clusterd.h */
int
clusterd_window_put(struct clusterd *cd, long long end, char **cause)
{
	struct etcd_cmp cmp = { 0 };
	struct etcd_op op = { 0 };
	struct etcd_txn_result res = { 0 };
	char *pk, *wk, val[32];
	int64_t term;
	int rc;

	pthread_mutex_lock(&cd->hmu);
	if (hooks_etcd(cd, NULL, 0, &term, cause) < 0) {
		pthread_mutex_unlock(&cd->hmu);
		return -1;
	}
	if (term == 0) {
		pthread_mutex_unlock(&cd->hmu);
		return 1;
	}
	pk = str_printf("%sprimary", cd->hprefix);
	wk = str_printf("%setd/window", cd->hprefix);
	str_fmt(val, sizeof(val), "%lld", end);
	cmp = (struct etcd_cmp){ .key = pk, .target = ETCD_CMP_CREATE, .rev = term };
	op = (struct etcd_op){ .kind = ETCD_OP_PUT, .key = wk, .value = val };
	rc = etcd_txn(cd->he, &cmp, 1, &op, 1, NULL, 0, &res, cause);
	pthread_mutex_unlock(&cd->hmu);
	if (rc == 0)
		rc = res.succeeded ? 0 : 1;
	else
		rc = -1;
	etcd_txn_result_free(&res);
	free(pk);
	free(wk);
	return rc;
}

/* day_count - the count of value "YYYY-MM-DD N" for day (another day, or none: 0) */
static int
day_count(const struct etcd_range *r, const char *day)
{
	const char *v, *sp;
	long n;

	if (r->n == 0 || (v = r->kvs[0].value) == NULL || (sp = strchr(v, ' ')) == NULL ||
	    (size_t)(sp - v) != strlen(day) || strncmp(v, day, strlen(day)) != 0 ||
	    str_to_long(sp + 1, 0, 100000000, &n) < 0)
		return 0;
	return (int)n;
}

/* clusterd_etd_count - see clusterd.h */
int
clusterd_etd_count(struct clusterd *cd, const char *day, int quota, int *count, char **cause)
{
	struct etcd_range r = { 0 };
	char *k, val[64];
	int rc = -1;

	pthread_mutex_lock(&cd->hmu);
	if (hooks_etcd(cd, NULL, 0, NULL, cause) < 0) {
		pthread_mutex_unlock(&cd->hmu);
		return -1;
	}
	k = str_printf("%setd/day", cd->hprefix);
	if (etcd_get(cd->he, k, 0, 0, 1, &r, cause) < 0)
		goto out;
	/* one poller at a time: a lost race is rare, and read again from the answer */
	for (int tries = 0; tries < 5; tries++) {
		struct etcd_cmp cmp = { .key = k, .target = ETCD_CMP_MOD,
			.rev = r.n > 0 ? r.kvs[0].mod_rev : 0 };
		struct etcd_op op, fail = { .kind = ETCD_OP_GET, .key = k };
		struct etcd_txn_result res = { 0 };
		int n = day_count(&r, day);

		*count = n;
		if (n >= quota) {
			rc = 0;
			goto out;
		}
		str_fmt(val, sizeof(val), "%s %d", day, n + 1);
		op = (struct etcd_op){ .kind = ETCD_OP_PUT, .key = k, .value = val };
		if (etcd_txn(cd->he, &cmp, 1, &op, 1, &fail, 1, &res, cause) < 0)
			goto out;
		if (res.succeeded) {
			etcd_txn_result_free(&res);
			*count = n + 1;
			rc = 1;
			goto out;
		}
		etcd_range_free(&r);
		if (res.nranges != 1) {
			etcd_txn_result_free(&res);
			*cause = str_dup("etcd's answer to the count lacks its read");
			goto out;
		}
		r = res.ranges[0];	/* taken over: res.ranges[0] is not freed below */
		res.ranges[0] = (struct etcd_range){ 0 };
		etcd_txn_result_free(&res);
	}
	*cause = str_dup("the count kept changing under this machine (five tries)");
out:
	pthread_mutex_unlock(&cd->hmu);
	etcd_range_free(&r);
	free(k);
	return rc;
}

/* clusterd_etd_claim - see clusterd.h */
int
clusterd_etd_claim(struct clusterd *cd, const char *etd_id, int as_holder, char **cause)
{
	struct etcd_cmp cmp[2];
	struct etcd_op op, fail[2];
	struct etcd_txn_result res = { 0 };
	char machine[CLUSTER_NAME_MAX], *pk, *sk, *id;
	int64_t term;
	int rc, n = as_holder ? 2 : 1;

	pthread_mutex_lock(&cd->hmu);
	if (hooks_etcd(cd, machine, sizeof(machine), &term, cause) < 0) {
		pthread_mutex_unlock(&cd->hmu);
		return -1;
	}
	if (as_holder && term == 0) {
		pthread_mutex_unlock(&cd->hmu);
		return 2;
	}
	/* ids taken expire with a lease (one a day): etcd does not keep them for ever */
	if (cd->seen_lease == 0 || cd->seen_day != (long)(time(NULL) / 86400)) {
		int64_t l = 0;

		if (etcd_lease_grant(cd->he, CD_SEEN_TTL, &l, cause) < 0) {
			pthread_mutex_unlock(&cd->hmu);
			return -1;
		}
		cd->seen_lease = l;
		cd->seen_day = (long)(time(NULL) / 86400);
	}
	id = clus_pct(etd_id);
	pk = str_printf("%sprimary", cd->hprefix);
	sk = str_printf("%setd/seen/%s", cd->hprefix, id);
	cmp[0] = (struct etcd_cmp){ .key = sk, .target = ETCD_CMP_CREATE, .rev = 0 };
	cmp[1] = (struct etcd_cmp){ .key = pk, .target = ETCD_CMP_CREATE, .rev = term };
	op = (struct etcd_op){ .kind = ETCD_OP_PUT, .key = sk, .value = machine,
		.lease = cd->seen_lease };
	fail[0] = (struct etcd_op){ .kind = ETCD_OP_GET, .key = sk };
	fail[1] = (struct etcd_op){ .kind = ETCD_OP_GET, .key = pk };
	rc = etcd_txn(cd->he, cmp, n, &op, 1, fail, n, &res, cause);
	if (rc < 0)
		cd->seen_lease = 0;	/* a lease etcd no longer has: a new one next time */
	pthread_mutex_unlock(&cd->hmu);
	if (rc < 0) {
		rc = -1;
	} else if (res.succeeded) {
		rc = 1;
	} else if (res.nranges != n) {
		*cause = str_dup("etcd's answer to the claim lacks its reads");
		rc = -1;
	} else if (as_holder && (res.ranges[1].n == 0 || res.ranges[1].kvs[0].create_rev != term)) {
		rc = 2;
	} else if (res.ranges[0].n > 0) {
		/*
		 * taken by this machine before: its claim went through and the
		 * answer was lost, or it crashed before it settled its held
		 * request (remed_held_settle)
		 */
		rc = res.ranges[0].kvs[0].value != NULL &&
		    strcmp(res.ranges[0].kvs[0].value, machine) == 0 ? 1 : 0;
	} else {
		*cause = str_dup("the claim failed for no reason etcd gave");
		rc = -1;
	}
	etcd_txn_result_free(&res);
	free(id);
	free(pk);
	free(sk);
	return rc;
}
