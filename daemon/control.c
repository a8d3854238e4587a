/*
 * control.c - mxgated following its operators.
 *
 * Commits: the commit number is polled every 100 ms; a new one is read
 * as one snapshot (conf_load) and applied between events. Whatever part
 * of it cannot be applied — a listener that cannot bind, TLS material,
 * DNS servers, a log file — raises an alert carrying the commit number;
 * then "conf.applied" in queue.db says the commit was dealt with, so that
 * the shell's `commit` can report either "applied" or the alerts.
 *
 * Requests: `deliverynow`, `workqueue pause|resume`, `rollovernow` and
 * `userconfig` (verb "accounts": daemon/acctd.c) leave a row in
 * queue.db; it is carried out, then deleted, so a shell that waits for
 * the row to go knows the request has taken effect.
 *
 * DIAGNOSTICS: mail_logs and alerts (gw_alert).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "daemon/acctd.h"
#include "daemon/apid.h"
#include "daemon/clusterd.h"
#include "daemon/control.h"
#include "daemon/csnd.h"
#include "daemon/delivery.h"
#include "daemon/dnsflush.h"
#include "daemon/qact.h"
#include "daemon/quard.h"
#include "daemon/remd.h"
#include "daemon/sdrd.h"
#include "daemon/smtpd.h"
#include "daemon/suspend.h"
#include "net/dns.h"
#include "store/cluster.h"
#include "store/config.h"
#include "store/queue.h"
#include "util/str.h"

#define CONTROL_DISK_LOW_PERCENT 5	/* free space below this raises an alert */

/* apply_logs - follow the snapshot's mail_logs-type subscriptions */
static void
apply_logs(struct gw *gw, const struct conf *c)
{
	char *cause = NULL;

	if (logsub_out_apply(gw->logs, c->logsubs, c->nlogsubs, &cause) < 0) {
		gw_alert(gw, ALERT_WARNING, "System", c->version, "Log subscription not opened: %s",
		    cause);
		free(cause);
	}
	gw->maillog = logsub_out_get(gw->logs, "mail_logs");
}

/* applied - tell the shell that commit v was dealt with (alerts raised first) */
static void
applied(struct gw *gw, int64_t v)
{
	char text[32], *cause = NULL;

	str_fmt(text, sizeof(text), "%lld", (long long)v);
	if (queue_state_set(gw->q, "conf.applied", text, &cause) < 0) {
		gw_logl(gw, LOGFILE_WARNING, "cannot record the applied commit: %s", cause);
		free(cause);
	}
}

/*
 * in_cluster - is this machine in a cluster now? Read from the store, not
 * asked of clusterd: at start-up it does not run yet, and a join's first
 * commit may come before it has seen the membership.
 */
static int
in_cluster(struct gw *gw)
{
	struct cluster_member m;
	char *cause = NULL;
	int rc;

	/*
	 * not clusterd_member first: it lags the store by up to a second, so
	 * the commit of a clusterconfig leave would still be taken as a
	 * member's and keep tdc.polling un-narrowed on a standalone machine
	 * (which then polls beside the cluster's primary)
	 */
	rc = cluster_member_get(gw->st, &m, &cause);
	if (rc == 0)
		cluster_member_free(&m);
	free(cause);
	return rc == 0;
}

void
control_apply(struct gw *gw, struct conf *c)
{
	struct conf *old = gw->conf;
	char *cause = NULL;

	/*
	 * polling is this machine's only when it is the polling primary; in
	 * a cluster the election decides (daemon/clusterd.c), not the serial
	 */
	if (!in_cluster(gw))
		c->tdc_polling = c->tdc_polling && gw->serial[0] != '\0' &&
		    strcmp(c->tdc_polling_primary, gw->serial) == 0;
	gw->conf = c;
	apply_logs(gw, c);
	if (old == NULL) {
		/* start-up: the daemon builds the rest itself, then calls us no more */
		return;
	}
	if (gw_tls_reload(gw, &cause) < 0) {
		gw_alert(gw, ALERT_CRITICAL, "System", c->version,
		    "TLS configuration not applied: %s", cause);
		free(cause);
	}
	if (gw->dns && strcmp(old->dns_servers, c->dns_servers) != 0 &&
	    dns_set_servers(gw->dns, c->dns_servers, &cause) < 0) {
		gw_alert(gw, ALERT_CRITICAL, "System", c->version, "DNS servers not applied: %s",
		    cause);
		free(cause);
	}
	if (gw->smtpd)
		smtpd_reconfigure(gw->smtpd);
	if (gw->dl)
		delivery_reconfigure(gw->dl);
	if (gw->sdrd)
		sdrd_conf(gw->sdrd, &c->sdr);
	if (gw->remd)
		remd_reconfigure(gw->remd, c);
	if (gw->apid)
		apid_reconfigure(gw->apid, c);
	if (gw->csnd)
		csnd_reconfigure(gw->csnd, c);
	if (gw->clusterd)
		clusterd_reconfigure(gw->clusterd, c);
	gw_log(gw, "Configuration changed: now commit %lld", (long long)c->version);
	conf_unref(old);
	applied(gw, c->version);
}

/* on_request - one request from the shell */
static void
on_request(const char *verb, const char *arg, void *ctx)
{
	struct gw *gw = ctx;

	if (strcmp(verb, "deliverynow") == 0) {
		gw_log(gw, "Delivery now requested for %s", *arg ? arg : "ALL");
		delivery_now(gw->dl, arg);
	} else if (strcmp(verb, "pause") == 0) {
		delivery_pause(gw->dl);
		if (*arg)
			gw_log(gw, "Work queue paused: %s", arg);
		else
			gw_log(gw, "Work queue paused");
	} else if (strcmp(verb, "resume") == 0) {
		gw_log(gw, "Work queue resumed");
		delivery_resume(gw->dl);
	} else if (strcmp(verb, "sdrupdate") == 0) {
		gw_log(gw, "SDR: external threat feed update requested%s",
		    strcmp(arg, "force") == 0 ? " (force: from the start)" : "");
		sdrd_update(gw->sdrd, strcmp(arg, "force") == 0);
	} else if (strcmp(verb, "sdrexplain") == 0) {
		long long id = 0;
		int off = 0;

		/* "ID DOMAIN": the shell waits for state sdr.explain.ID */
		if (sscanf(arg, "%lld %n", &id, &off) == 1 && id > 0 && off > 0)
			sdrd_explain(gw->sdrd, arg + off, (int64_t)id);
	} else if (strcmp(verb, "release") == 0) {
		quard_request(gw->quard, arg);
	} else if (strcmp(verb, "qdeleted") == 0) {
		quard_deleted(gw->quard, arg);
	} else if (strcmp(verb, "accounts") == 0) {
		/*
		 * userconfig new/delete: the outcome is in state "accounts"
		 * before the request row goes, which is what mxsh waits for
		 */
		acctd_accounts(gw);
	} else if (strcmp(verb, "remediate") == 0) {
		/* remediate (mxsh) added a request to queue.db */
		if (gw->remd)
			remd_wake(gw->remd);
		else
			gw_logl(gw, LOGFILE_WARNING, "TDC: a remediation request waits: mailbox "
						      "remediation is not running in mxgated");
	} else if (strcmp(verb, "suspendlistener") == 0 || strcmp(verb, "resumelistener") == 0 ||
	    strcmp(verb, "suspenddel") == 0 || strcmp(verb, "resumedel") == 0) {
		/* mxsh wrote the new state to queue.db (daemon/suspend.c) */
		suspend_request(gw, verb, arg);
	} else if (strcmp(verb, "qaction") == 0) {
		/* deleterecipients & co.: the answer is in state qaction.TOKEN (daemon/qact.c) */
		qact_request(gw, arg);
	} else if (strcmp(verb, "dnsflush") == 0) {
		dnsflush_run(gw, arg);
	} else if (strcmp(verb, "rollover") == 0) {
		/* rollovernow renamed the file: follow now, and say so in the new one */
		logsub_out_reopen(gw->logs);
		gw_log(gw, "Log %s rolled over by rollovernow", *arg ? arg : "ALL");
	} else if (strcmp(verb, "csnsend") == 0) {
		/* cloudserviceconfig csn send: the answer is in state csn.answer.TOKEN (daemon/csnd.c) */
		csnd_request(gw, gw->csnd, arg);
	}
}

void
control_started(struct gw *gw)
{
	applied(gw, gw->conf->version);
}

void
control_poll(struct gw *gw)
{
	int64_t v = config_version(gw->st);
	char *cause = NULL;

	if (v >= 0 && v != gw->conf->version) {
		struct conf *c = conf_load(gw->st, &cause);

		if (c == NULL) {
			gw_alert(gw, ALERT_CRITICAL, "System", v,
			    "Configuration commit %lld not applied: %s", (long long)v, cause);
			free(cause);
			/* not tried again until the next commit: the store is what it is */
			gw->conf->version = v;
			applied(gw, v);
		} else {
			control_apply(gw, c);
		}
	}
	if (queue_request_take(gw->q, on_request, gw, &cause) < 0) {
		gw_logl(gw, LOGFILE_WARNING, "cannot read shell requests: %s", cause);
		free(cause);
	}
}

void
control_tick(struct gw *gw)
{
	struct statvfs sv;
	int low;

	if (statvfs(gw->dir, &sv) < 0 || sv.f_blocks == 0)
		return;
	low = sv.f_bavail * 100 / sv.f_blocks < CONTROL_DISK_LOW_PERCENT;
	if (low && !gw->disk_low)
		gw_alert(gw, ALERT_CRITICAL, "System", 0,
		    "Disk space low on %s: %llu of %llu MB free", gw->dir,
		    (unsigned long long)(sv.f_bavail * sv.f_frsize / 1048576),
		    (unsigned long long)(sv.f_blocks * sv.f_frsize / 1048576));
	else if (!low && gw->disk_low)
		gw_log(gw, "Disk space on %s is no longer low", gw->dir);
	gw->disk_low = low;
}
