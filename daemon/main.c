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
 * DIAGNOSTICS: start-up failures go to stderr and exit 1; later problems
 * go to mail_logs.
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
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "daemon/control.h"
#include "daemon/delivery.h"
#include "daemon/gw.h"
#include "daemon/privs.h"
#include "daemon/qwriter.h"
#include "daemon/smtpd.h"
#include "daemon/tdc.h"
#include "net/dns.h"
#include "store/config.h"
#include "store/queue.h"
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
	int conns, workq, dests;

	(void)fd;
	(void)what;
	delivery_gauges(gw->dl, &conns, &workq, &dests);
	if ((smtpd_busy(gw->smtpd) == 0 && conns == 0) || time(NULL) - gw->stop_time >= 10)
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

/* write_pidfile - DIR/mxgated.pid, refusing if another daemon holds it */
static int
write_pidfile(const char *dir, char **cause)
{
	char *path = str_printf("%s/mxgated.pid", dir), buf[32];
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (fd < 0) {
		*cause = str_printf("cannot open %s: %s", path, strerror(errno));
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
	if (store_open(dir, STORE_RUNNING, &gw.st, &cause) < 0 ||
	    queue_open(dir, &gw.q, &cause) < 0) {
		fprintf(stderr, "mxgated: %s\n", cause);
		return 1;
	}
	if ((pidfd = write_pidfile(dir, &cause)) < 0) {
		fprintf(stderr, "mxgated: %s\n", cause);
		return 1;
	}
	{
		/* mail_logs first, as it is: where everything after this is told */
		struct logsub mail;

		logsub_defaults(&mail, "mail_logs", LOGSUB_MAIL);
		gw.logs = logsub_out_new(dir, LOGSUB_MAIL);
		if (logsub_out_apply(gw.logs, &mail, 1, &cause) < 0) {
			fprintf(stderr, "mxgated: %s\n", cause);
			return 1;
		}
		gw.maillog = logsub_out_get(gw.logs, "mail_logs");
	}
	gw.base = event_base_new();
	{
		struct conf *c = conf_load(gw.st, &cause);

		if (gw.base == NULL || c == NULL) {
			fprintf(stderr, "mxgated: cannot load configuration: %s\n",
			    cause ? cause : "?");
			return 1;
		}
		control_apply(&gw, c);	/* the log subscriptions, before anything is told */
	}
	gw.started = time(NULL);
	{
		char started[32];

		str_fmt(started, sizeof(started), "%lld", (long long)gw.started);
		if (queue_state_set(gw.q, "started", started, &cause) < 0 ||
		    queue_reset_conns(gw.q, &cause) < 0) {
			fprintf(stderr, "mxgated: %s\n", cause);
			return 1;
		}
	}
	if (tdc_init(&gw, &cause) < 0) {
		fprintf(stderr, "mxgated: %s\n", cause);
		return 1;
	}
	gw_log(&gw, "mxgated %s starting on %s (configuration commit %lld)", MXGATE_VERSION, dir,
	    (long long)gw.conf->version);
	if (gw_tls_reload(&gw, &cause) < 0) {
		gw_alert(&gw, ALERT_CRITICAL, "System", gw.conf->version,
		    "TLS configuration not applied: %s", cause);
		free(cause);
		cause = NULL;
	}
	gw.dns = dns_new(gw.base, gw.conf->dns_servers, gw.conf->dns_timeout * 1000, 2, &cause);
	if (gw.dns == NULL) {
		gw_logl(&gw, LOGFILE_WARNING, "DNS servers '%s' not usable (%s); using resolv.conf",
		    gw.conf->dns_servers, cause);
		free(cause);
		cause = NULL;
		gw.dns = dns_new(gw.base, "", gw.conf->dns_timeout * 1000, 2, &cause);
		if (gw.dns == NULL) {
			fprintf(stderr, "mxgated: DNS: %s\n", cause);
			return 1;
		}
	}
	gw.qw = qwriter_start(gw.base, dir, on_writer_failure, &gw, &cause);
	if (gw.qw == NULL) {
		fprintf(stderr, "mxgated: %s\n", cause);
		return 1;
	}
	gw.dl = delivery_new(&gw, &cause);
	if (gw.dl == NULL) {
		fprintf(stderr, "mxgated: %s\n", cause);
		return 1;
	}
	gw.smtpd = smtpd_new(&gw);
	smtpd_reconfigure(gw.smtpd);	/* binds the listeners */
	if (privs_drop(dir, &cause) < 0) {
		fprintf(stderr, "mxgated: %s\n", cause);
		return 1;
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

	/* the writer first: its last callbacks still reach live sessions */
	qwriter_stop(gw.qw);
	smtpd_free(gw.smtpd);
	/* DNS before delivery: cancelled lookups call back into the engine */
	dns_free(gw.dns);
	delivery_free(gw.dl);
	if (gw.drain)
		event_free(gw.drain);
	event_free(tick);
	event_free(poll);
	for (int i = 0; i < 3; i++)
		event_free(sigs[i]);
	gw_log(&gw, "mxgated stopped");
	conf_free(gw.conf);
	SSL_CTX_free(gw.server_ctx);
	SSL_CTX_free(gw.client_ctx);
	SSL_CTX_free(gw.client_ctx_verify);
	queue_close(gw.q);
	store_close(gw.st);
	logsub_out_free(gw.logs);
	event_base_free(gw.base);
	close(pidfd);
	free(gw.dir);
	return 0;
}
