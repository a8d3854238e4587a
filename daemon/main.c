/*
 * main.c - mxgated, the appliance daemon.
 *
 *   mxgated [-D DIR] [-f]
 *
 * Daemonizes (pid file DIR/mxgated.pid) unless -f. SIGTERM finishes or
 * aborts open SMTP transactions and exits; SIGHUP reopens the logs.
 * Committed configuration and the shell's requests are followed by
 * control.c; this file sets the parts up and tears them down.
 *
 * Before anything is delivered or accepted the stores are checked
 * (open_stores): mail_logs is opened first, so that whatever stops the
 * start is told there too; then queue.db and config.db must pass PRAGMA
 * quick_check, the ID sequences must be ahead of every ID in use, and a
 * queue holding mail is never run without a committed configuration
 * (issue 9: a 0-byte config.db made mxgated bounce 6,012 queued messages).
 *
 * DIAGNOSTICS: start-up failures are one line on stderr, the same line as
 * Critical in mail_logs (when it could be opened) and in syslog (mail
 * facility), and exit 1; later problems go to mail_logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "daemon/acctd.h"
#include "daemon/alertmail.h"
#include "daemon/apid.h"
#include "daemon/clusterd.h"
#include "daemon/csnd.h"
#include "daemon/control.h"
#include "daemon/delivery.h"
#include "daemon/gw.h"
#include "daemon/privs.h"
#include "daemon/quard.h"
#include "daemon/qwriter.h"
#include "daemon/remd.h"
#include "daemon/sdrd.h"
#include "daemon/smtpd.h"
#include "daemon/suspend.h"
#include "daemon/tdc.h"
#include "net/dns.h"
#include "store/config.h"
#include "store/queue.h"
#include "store/remed.h"
#include "util/fsutil.h"
#include "util/printable.h"
#include "util/str.h"
#include "util/version.h"

#define MXGATED_DEFAULT_DIR "/var/lib/mxgate"
/* publish_gauges - what status shows while the daemon runs */
static void
publish_gauges(struct gw *gw)
{
	static char last[256], last_ids[96];
	static long long last_id[3];
	char now[256], ids[96];
	int conns, workq, dests;
	int64_t batches, fsyncs;

	delivery_gauges(gw->dl, &conns, &workq, &dests);
	qwriter_stats(gw->qw, &batches, &fsyncs);
	str_fmt(now, sizeof(now), "inbound=%d outbound=%d workq=%d paused=%d dests=%d "
				  "batches=%lld fsyncs=%lld",
	    smtpd_sessions(gw->smtpd), conns, workq, gw->paused, dests, (long long)batches,
	    (long long)fsyncs);
	if (strcmp(now, last) != 0) {
		qwriter_state(gw->qw, "gauges", now);
		str_copy(last, now, sizeof(last));
	}
	/*
	 * The last IDs handed out, not the end of the reserved blocks
	 * (status); one not used yet in this run keeps the last run's figure
	 */
	if (last_ids[0] == '\0') {
		char *prev = queue_state_get(gw->q, "ids.last");

		if (prev == NULL || sscanf(prev, "%lld %lld %lld", &last_id[0], &last_id[1],
					&last_id[2]) != 3)
			last_id[0] = last_id[1] = last_id[2] = 0;
		free(prev);
		str_copy(last_ids, "-", sizeof(last_ids));
	}
	for (int i = 0; i < 3; i++)
		if (gw->id_next[i] > 0)
			last_id[i] = gw->id_next[i] - 1;
	str_fmt(ids, sizeof(ids), "%lld %lld %lld", last_id[GW_ICID], last_id[GW_MID],
	    last_id[GW_DCID]);
	if (strcmp(ids, last_ids) != 0) {
		qwriter_state(gw->qw, "ids.last", ids);
		str_copy(last_ids, ids, sizeof(last_ids));
	}
}

/* on_tick - once a second: retries and expiry, gauges, alerts */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct gw *gw = arg;

	(void)fd;
	(void)what;
	delivery_tick(gw->dl);
	publish_gauges(gw);
	control_tick(gw);
}

/* on_poll - every 100 ms: a new commit, requests from the shell */
static void
on_poll(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	control_poll(arg);
}

/* on_writer_failure - the queue writer could not make a batch durable */
static void
on_writer_failure(void *arg, const char *cause, int64_t n)
{
	gw_alert(arg, ALERT_CRITICAL, "Queue", 0, "Queue writer failed (%lld batches): %s",
	    (long long)n, cause);
}

/* on_drain - stopping: exit once no message is half-accepted or in flight */
static void
on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct gw *gw = arg;
	int conns, workq, dests, limit;

	(void)fd;
	(void)what;
	delivery_gauges(gw->dl, &conns, &workq, &dests);
	/* long enough for a message waiting for its SDR lookups to have its verdict */
	limit = gw->conf->sdr.timeout + 2 > 10 ? gw->conf->sdr.timeout + 2 : 10;
	if ((smtpd_busy(gw->smtpd) == 0 && conns == 0) || time(NULL) - gw->stop_time >= limit)
		event_base_loopexit(gw->base, NULL);
}

/* on_signal - SIGTERM/SIGINT stop, SIGHUP reopens logs */
static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct gw *gw = arg;

	(void)what;
	if (sig == SIGHUP) {
		logsub_out_reopen(gw->logs);
		gw_log(gw, "Log file reopened on SIGHUP");
		return;
	}
	if (gw->stopping)
		return;
	gw->stopping = 1;
	gw->stop_time = time(NULL);
	gw_log(gw, "mxgated stopping on signal %d", (int)sig);
	smtpd_shutdown(gw->smtpd);
	delivery_shutdown(gw->dl);
	gw->drain = event_new(gw->base, -1, EV_PERSIST, on_drain, gw);
	event_add(gw->drain, &(struct timeval){ 0, 50000 });
}

/*
 * write_pidfile - DIR/mxgated.pid, refusing if another daemon holds it.
 * Opened as util/fsutil.h says: a link planted there is not followed, and
 * only a regular file of our own with one link is truncated (issue 9).
 */
static int
write_pidfile(const char *dir, char **cause)
{
	char *path = str_printf("%s/mxgated.pid", dir), buf[32];
	int fd = fs_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (fd < 0) {
		*cause = str_printf("cannot open %s: %s", path, fs_strerror(errno));
		free(path);
		return -1;
	}
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		*cause = str_printf("another mxgated is running on %s (%s is locked)", dir, path);
		free(path);
		close(fd);
		return -1;
	}
	free(path);
	if (ftruncate(fd, 0) < 0) {
		*cause = str_printf("cannot truncate pid file: %s", strerror(errno));
		close(fd);
		return -1;
	}
	str_fmt(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, strlen(buf)) < 0) {
		*cause = str_printf("cannot write pid file: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;	/* kept open: the lock lives as long as the daemon */
}

/* ---------------------------------------------------------- start and stop */

/*
 * teardown - release what is open, in the order the parts depend on each
 * other; every member may still be NULL (a start that failed half way).
 * last: a mail_logs line once the queue writer has finished, or NULL.
 */
static void
teardown(struct gw *gw, const char *last)
{
	/* the API's thread first (it wakes the engine), then the engine's */
	csnd_stop(gw->csnd);
	apid_stop(gw->apid);
	remd_stop(gw->remd);
	/*
	 * the cluster threads after the engine, whose thread calls their
	 * hooks (stopping them first would free what it may be using); the
	 * lease is revoked here, so the primary moves at once
	 */
	clusterd_stop(gw->clusterd);
	gw->clusterd = NULL;
	/* messages waiting for lookups go on (unscannable) to the writer */
	sdrd_free(gw->sdrd);
	/* the writer first: its last callbacks still reach live sessions */
	qwriter_stop(gw->qw);
	quard_free(gw->quard);
	smtpd_free(gw->smtpd);
	/* DNS before delivery: cancelled lookups call back into the engine */
	dns_free(gw->dns);
	delivery_free(gw->dl);
	if (last && gw->logs)
		gw_log(gw, "%s", last);
	conf_unref(gw->conf);
	SSL_CTX_free(gw->server_ctx);
	SSL_CTX_free(gw->client_ctx);
	SSL_CTX_free(gw->client_ctx_verify);
	queue_close(gw->q);
	store_close(gw->st);
	logsub_out_free(gw->logs);
	if (gw->base)
		event_base_free(gw->base);
	free(gw->dir);
	memset(gw, 0, sizeof(*gw));
}

/*
 * start_fail - mxgated cannot start: cause (malloc'd, one line) goes to
 * stderr, to mail_logs as Critical and to syslog, so that a `make run`
 * user, the systemd journal and an operator reading mail_logs all see
 * why; then whatever was opened is released. Returns the exit status.
 */
static int
start_fail(struct gw *gw, char *cause)
{
	const char *why = cause ? cause : "unknown error";

	fprintf(stderr, "mxgated: %s\n", why);
	if (gw->logs)
		gw_logl(gw, LOGFILE_CRITICAL, "mxgated cannot start: %s", why);
	openlog("mxgated", LOG_PID, LOG_MAIL);
	syslog(LOG_CRIT, "cannot start: %s", why);
	closelog();
	free(cause);
	teardown(gw, NULL);
	return 1;
}

/*
 * check_last_ids - the ID sequences are ahead of the last IDs the previous
 * run handed out (state "ids.last", publish_gauges): the only record of
 * DCIDs, and of every ID once the queue has emptied
 */
static int
check_last_ids(struct gw *gw, char **cause)
{
	static const char *const names[3] = { "icid", "mid", "dcid" };
	char *v = queue_state_get(gw->q, "ids.last");
	long long last[3];
	int rc = 0;

	if (v && sscanf(v, "%lld %lld %lld", &last[0], &last[1], &last[2]) == 3)
		for (int i = 0; i < 3 && rc == 0; i++)
			rc = queue_id_check(gw->q, names[i], last[i],
			    "the record of mxgated's last run", cause);
	free(v);
	return rc;
}

/*
 * open_stores - mail_logs, then DIR/queue.db and DIR/config.db, checked
 * before anything can be delivered (issue 9, item 3). A missing or
 * uncommitted configuration is a normal first start, unless the queue
 * holds mail: with no listeners and no routes every queued domain would
 * be looked up in DNS and bounced. queue.db is opened first so that a
 * missing config.db is not created just to be refused.
 */
static int
open_stores(struct gw *gw, char **cause)
{
	struct logsub mail;
	struct stat sb;
	int64_t msgs = 0, rcpts = 0, version;
	time_t oldest;
	char *conf_path, held[160];
	int conf_exists;

	/* mail_logs first: where everything after this is told, refusals too */
	logsub_defaults(&mail, "mail_logs", LOGSUB_MAIL);
	gw->logs = logsub_out_new(gw->dir, LOGSUB_MAIL);
	if (logsub_out_apply(gw->logs, &mail, 1, cause) < 0)
		return -1;
	gw->maillog = logsub_out_get(gw->logs, "mail_logs");

	conf_path = str_printf("%s/config.db", gw->dir);
	conf_exists = lstat(conf_path, &sb) == 0 || errno != ENOENT;
	if (queue_open(gw->dir, &gw->q, cause) < 0 || queue_check(gw->q, cause) < 0 ||
	    check_last_ids(gw, cause) < 0)
		goto fail;
	if (queue_stats(gw->q, &msgs, &rcpts, &oldest) < 0) {
		*cause = str_printf("%s/queue.db: cannot count the queued messages", gw->dir);
		goto fail;
	}
	str_fmt(held, sizeof(held), "%s/queue.db holds %lld messages for %lld recipients",
	    gw->dir, (long long)msgs, (long long)rcpts);
	if (!conf_exists && (msgs > 0 || rcpts > 0)) {
		*cause = str_printf("%s does not exist, but %s: without the configuration "
				    "(listeners, routes, DNS servers) they would be bounced; restore "
				    "config.db from a backup, or configure and commit with mxsh before "
				    "starting mxgated",
		    conf_path, held);
		goto fail;
	}
	if (store_open(gw->dir, STORE_RUNNING, &gw->st, cause) < 0 ||
	    store_check(gw->st, cause) < 0)
		goto fail;
	version = config_version(gw->st);
	if (version < 0) {
		*cause = str_printf("%s: cannot read the commit history", conf_path);
		goto fail;
	}
	if (version == 0 && (msgs > 0 || rcpts > 0)) {
		*cause = str_printf("%s holds no committed configuration, but %s: without the "
				    "configuration (listeners, routes, DNS servers) they would be "
				    "bounced; restore config.db from a backup, or configure and commit "
				    "with mxsh before starting mxgated",
		    conf_path, held);
		goto fail;
	}
	free(conf_path);
	return 0;
fail:
	free(conf_path);
	return -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: mxgated [-D DIR] [-f]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct gw gw;
	struct clusterd *cd;
	const char *dir = getenv("MXGATE_HOME");
	char *cause = NULL;
	int foreground = 0, opt, pidfd;
	struct event *tick, *poll, *sigs[4];
	struct timeval one = { 1, 0 };
	static const int signums[] = { SIGTERM, SIGINT, SIGHUP };

	memset(&gw, 0, sizeof(gw));
	if (dir == NULL || *dir == '\0')
		dir = MXGATED_DEFAULT_DIR;
	while ((opt = getopt(argc, argv, "D:f")) != -1) {
		switch (opt) {
		case 'D':
			dir = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * a SIGHUP (logrotate's postrotate) before the loop's handler is in
	 * place must not end the daemon: ignored until then
	 */
	signal(SIGHUP, SIG_IGN);
	{
		/* every SMTP session is a descriptor: take all the system allows */
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	gw.dir = str_dup(dir);

	/* fork first: SQLite connections and their locks must not cross a fork */
	if (!foreground && daemon(1, 1) < 0) {
		fprintf(stderr, "mxgated: cannot daemonize: %s\n", strerror(errno));
		return 1;
	}
	/*
	 * the account keeper (system accounts for SSH logins) is forked while
	 * still root, before any store, thread or listener exists; without it
	 * mail still flows, and each sync says why there is none
	 */
	if (acctd_start(dir, &cause) < 0) {
		fprintf(stderr, "mxgated: warning: %s\n", cause);
		free(cause);
		cause = NULL;
	}
	/* started as root: the daemon's account before anything in DIR is opened (issue 9) */
	if (privs_drop(dir, &cause) < 0)
		return start_fail(&gw, cause);
	/*
	 * the pid file's lock before the stores: a second mxgated must not
	 * check (or upgrade) the running one's stores, nor write its refusal
	 * into their mail_logs
	 */
	if ((pidfd = write_pidfile(dir, &cause)) < 0)
		return start_fail(&gw, cause);
	if (open_stores(&gw, &cause) < 0)
		return start_fail(&gw, cause);
	/* this machine's serial names the polling primary (control_apply) */
	if (remed_serial(gw.q, gw.serial, sizeof(gw.serial), &cause) < 0)
		return start_fail(&gw, cause);
	/*
	 * threads other than the loop's (remediation, API) make events
	 * active; libcurl's global state is set up before any thread uses it
	 */
	if (evthread_use_pthreads() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return start_fail(&gw, str_dup("cannot set up threads for libevent and libcurl"));
	gw.base = event_base_new();
	{
		struct conf *c = conf_load(gw.st, &cause);

		if (gw.base == NULL || c == NULL) {
			char *why = str_printf("cannot load configuration: %s",
			    cause ? cause : "no event loop");

			free(cause);
			conf_free(c);
			return start_fail(&gw, why);
		}
		control_apply(&gw, c);	/* the log subscriptions, before anything is told */
	}
	gw.started = time(NULL);
	{
		char started[32];

		str_fmt(started, sizeof(started), "%lld", (long long)gw.started);
		if (queue_state_set(gw.q, "started", started, &cause) < 0 ||
		    queue_reset_conns(gw.q, &cause) < 0)
			return start_fail(&gw, cause);
	}
	if (tdc_init(&gw, &cause) < 0)
		return start_fail(&gw, cause);
	gw_log(&gw, "mxgated %s starting on %s (configuration commit %lld)", MXGATE_VERSION, dir,
	    (long long)gw.conf->version);
	acctd_accounts(&gw);	/* the system accounts of the store's operators */
	if (gw_tls_reload(&gw, &cause) < 0) {
		gw_alert(&gw, ALERT_CRITICAL, "System", gw.conf->version,
		    "TLS configuration not applied: %s", cause);
		free(cause);
		cause = NULL;
	}
	gw.dns = dns_new(gw.base, gw.conf->dns_servers, gw.conf->dns_timeout * 1000, DNS_TRIES,
	    &cause);
	if (gw.dns == NULL) {
		gw_logl(&gw, LOGFILE_WARNING, "DNS servers '%s' not usable (%s); using resolv.conf",
		    gw.conf->dns_servers, cause);
		free(cause);
		cause = NULL;
		gw.dns = dns_new(gw.base, "", gw.conf->dns_timeout * 1000, DNS_TRIES, &cause);
		if (gw.dns == NULL) {
			char *why = str_printf("DNS: %s", cause);

			free(cause);
			return start_fail(&gw, why);
		}
	}
	gw.qw = qwriter_start(gw.base, dir, on_writer_failure, &gw, &cause);
	if (gw.qw == NULL)
		return start_fail(&gw, cause);
	suspend_load(&gw);	/* before delivery and the listeners start */
	gw.dl = delivery_new(&gw, &cause);
	if (gw.dl == NULL)
		return start_fail(&gw, cause);
	alertmail_start(&gw);	/* the alerts raised so far can be mailed now */
	if ((gw.sdrd = sdrd_new(&gw, &cause)) == NULL)
		return start_fail(&gw, cause);
	gw.quard = quard_new(&gw);
	gw.smtpd = smtpd_new(&gw);
	smtpd_reconfigure(gw.smtpd);	/* binds the listeners */
	/* remediation and the API are not mail: without them mail still flows */
	/* queue_state "remediation" tells mxsh's remediate whether anything will run its request */
	if ((gw.remd = remd_start(&gw, &cause)) == NULL) {
		char *why = str_printf("unavailable: %s", cause), *e2 = NULL;

		gw_alert(&gw, ALERT_CRITICAL, "System", gw.conf->version,
		    "Mailbox remediation not started: %s", cause);
		if (queue_state_set(gw.q, "remediation", why, &e2) < 0)
			free(e2);
		free(why);
		free(cause);
		cause = NULL;
	} else if (queue_state_set(gw.q, "remediation", "running", &cause) < 0) {
		free(cause);
		cause = NULL;
	}
	/* the cluster's follower and election (idle while not in a cluster) */
	/* remd's thread reads gw.clusterd: published with a release store */
	if ((cd = clusterd_start(&gw, &cause)) != NULL) {
		__atomic_store_n(&gw.clusterd, cd, __ATOMIC_RELEASE);
	} else {
		gw_alert(&gw, ALERT_CRITICAL, "System", gw.conf->version,
		    "Cluster threads not started: %s", cause);
		free(cause);
		cause = NULL;
	}
	if ((gw.apid = apid_start(&gw, gw.remd, &cause)) == NULL) {
		gw_alert(&gw, ALERT_CRITICAL, "System", gw.conf->version, "API not started: %s",
		    cause);
		free(cause);
		cause = NULL;
	}
	if ((gw.csnd = csnd_start(&gw, &cause)) == NULL) {
		gw_alert(&gw, ALERT_CRITICAL, "System", gw.conf->version,
		    "CSN telemetry not started: %s", cause);
		free(cause);
		cause = NULL;
	}
	if (!foreground) {
		/*
		 * Started: from now on everything is told in mail_logs. Let go
		 * of the terminal or pipe that started us, which would
		 * otherwise stay open as long as the daemon runs.
		 */
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			if (null > 2)
				close(null);
		}
	}

	control_started(&gw);
	gw_logs_defer(&gw, 1);	/* one write per loop turn (issue 8, speed) */
	tick = event_new(gw.base, -1, EV_PERSIST, on_tick, &gw);
	event_add(tick, &one);
	poll = event_new(gw.base, -1, EV_PERSIST, on_poll, &gw);
	event_add(poll, &(struct timeval){ 0, 100000 });
	for (int i = 0; i < 3; i++) {
		sigs[i] = evsignal_new(gw.base, signums[i], on_signal, &gw);
		event_add(sigs[i], NULL);
	}
	event_base_dispatch(gw.base);
	gw_logs_defer(&gw, 0);	/* what follows is written as it is told */

	if (gw.drain)
		event_free(gw.drain);
	event_free(tick);
	event_free(poll);
	for (int i = 0; i < 3; i++)
		event_free(sigs[i]);
	teardown(&gw, "mxgated stopped");
	acctd_stop();
	close(pidfd);
	return 0;
}
