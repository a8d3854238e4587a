/*
 * gw.h - what the parts of mxgated share: the gateway state and the
 * running configuration snapshot (messages and recipients: msg.h).
 *
 * One thread runs the libevent loop (listeners, SMTP sessions, delivery,
 * DNS, timers); a writer thread (qwriter.c) makes queue changes durable in
 * batches. Everything here belongs to the loop thread unless noted.
 */
#ifndef DAEMON_GW_H
#define DAEMON_GW_H

#include <openssl/ssl.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "mail/addrlist.h"
#include "mail/alertconf.h"
#include "mail/destconf.h"
#include "mail/filterconf.h"
#include "mail/listener.h"
#include "mail/logsub.h"
#include "mail/policy.h"
#include "mail/remedconf.h"
#include "mail/sdrconf.h"
#include "store/alert.h"
#include "util/logfile.h"

struct store;
struct queue;
struct qwriter;
struct dns;
struct smtpd;
struct delivery;
struct sdrd;
struct quard;
struct remd;
struct apid;
struct csnd;
struct clusterd;

/* The running configuration, rebuilt whenever a commit lands. */
struct conf {
	int refs;			/* the daemon's, and each message in the pipeline */
	int64_t version;		/* commit number it was built from */
	char hostname[256];		/* committed, else the machine's */
	int nlisteners;
	struct listener_conf *listeners;
	int nroutes;
	char **route_keys;		/* smtproutes domains */
	char **route_vals;		/* their destination lists */
	struct policy_table in, out;	/* mail policies */
	int ndest;
	struct destconf *dest;		/* destconfig rows; [0] is the default */
	char dns_servers[2048];
	int dns_timeout;
	char *server_cert, *server_key;	/* PEM text, or empty */
	char cafile[4096];		/* where the CA bundle came from (informational) */
	char *ca_pem;			/* the CA bundle (PEM); empty: cafile, else the system's */
	int max_conns, max_conns_per_dest;
	int retry_initial, retry_max, max_queue_time, bounces;
	int hop_limit;			/* Received: headers allowed (smtp.hop_limit) */
	int nlogsubs;
	struct logsub *logsubs;		/* log subscriptions (those of type mail_logs are ours) */
	int tdc_enabled;		/* Threat Defense Connector on */
	char tdc_intake[320];		/* global message intake address */
	char tdc_ip_header[80];		/* remote-IP header name */
	int tdc_max_queue_time;		/* seconds a journal copy may wait */
	int tdc_retry_delay;		/* seconds before its one retry */
	/* Email Threat Defense API, polling and remediation (issue 12) */
	int tdc_api;			/* tdc.api (and tdc.enabled) */
	char tdc_client_id[257];	/* tdc.client_id */
	char *tdc_client_secret;	/* tdc.client_secret, clear (malloc'd, "" none) */
	char *tdc_api_key;		/* tdc.api_key, clear (malloc'd, "" none) */
	char tdc_api_base[1024];	/* tdc.api_url, else the region's https://api.R.etd.cisco.com */
	int tdc_action;			/* tdc.action: enum remed_action_kind (store/remed.h) */
	char tdc_forward_to[320];	/* tdc.forward_to */
	int tdc_polling;		/* tdc.polling on, and tdc.polling_primary is this machine */
	char tdc_polling_primary[64];	/* tdc.polling_primary: the serial that polls */
	int tdc_poll_interval;		/* seconds between searches */
	int cluster_lease_ttl;		/* cluster.lease_ttl: the ETD polling primary's lease */
	int tdc_poll_lag;		/* seconds a window's end stays behind now */
	int tdc_poll_overlap;		/* seconds a window reaches back before the last end */
	int tdc_poll_max_pages;		/* pages one search reads before going on next time */
	char tdc_verdicts[256];		/* tdc.verdicts: comma-separated ETD verdicts acted on */
	struct remed_conf remed;	/* remediation profiles (mail/remedconf.h) */
	/* the HTTP(S) API (interfaceconfig; issue 12) */
	int api_http, api_https;	/* api.http, api.https: on */
	int api_http_port, api_https_port;
	char api_address[64];		/* api.address: the IP listened on */
	int api_max_body;		/* api.max_body: bytes of a request body */
	int api_max_conns;		/* api.max_conns: connections at once */
	int api_timeout;		/* api.timeout: seconds a request may take */
	int api_token_lifetime;		/* seconds a jwtToken lives (adminaccess.timeout) */
	struct sdr_conf sdr;		/* Sender Domain Reputation (mail/sdrconf.h) */
	struct addrlist_table lists;	/* address lists (SDR exception lists) */
	struct filter_set mfilters;	/* message filters, in order */
	struct filter_set cfilters;	/* content filters, by name */
	int nquar;
	struct quarantine_conf *quar;	/* quarantines (Policy always) */
	int ndnslists;
	char **dnslists;		/* zones the filters' dnslist() rules ask */
	struct alert_conf alerts;	/* alert recipients, alert.from, alert.dup_interval */
	/* Cisco Cloud Service, threat response, CSN (cloudserviceconfig; issue 14) */
	int cloud_enabled;		/* cloud.enabled */
	char cloud_tr_server[520];	/* cloud.tr_server: nam|eu|apjc or an https:// URL */
	int cloud_csn;			/* cloud.csn (sent only while registered too) */
	char cloud_csn_url[1001];	/* cloud.csn_url ("" the registration server's) */
	int cloud_csn_interval;		/* cloud.csn_interval: seconds between sends */
	int cloud_csn_retry;		/* cloud.csn_retry: seconds before a failed send is retried */
};

/* conf_load - build a snapshot from the store's running configuration */
struct conf *conf_load(struct store *st, char **cause);

/* conf_free - release a snapshot */
void conf_free(struct conf *c);

/* conf_ref - one more holder of a snapshot; conf_unref - one less (freed at the last) */
struct conf *conf_ref(struct conf *c);
void conf_unref(struct conf *c);

/* conf_route - the destination list for a domain, or NULL (use DNS) */
const char *conf_route(const struct conf *c, const char *domain);

/* conf_dest - the destconfig row for a domain */
const struct destconf *conf_dest(const struct conf *c, const char *domain);

struct gw {
	struct event_base *base;
	char *dir;			/* data directory */
	struct store *st;		/* config.db, running configuration */
	struct queue *q;		/* queue.db for the loop thread (reads, IDs) */
	struct qwriter *qw;		/* writer thread */
	struct logsub_out *logs;	/* every mail_logs-type subscription's file */
	struct logfile *maillog;	/* mail_logs itself, one of them (always open) */
	struct dns *dns;
	struct conf *conf;		/* current configuration */
	struct smtpd *smtpd;		/* listeners and sessions */
	struct delivery *dl;		/* delivery engine */
	struct sdrd *sdrd;		/* Sender Domain Reputation engine (sdrd.h) */
	struct quard *quard;		/* quarantine releases and retention (quard.h) */
	struct remd *remd;		/* ETD polling and mailbox remediation (remd.h) */
	struct apid *apid;		/* the HTTP(S) API (apid.h) */
	struct csnd *csnd;		/* CSN telemetry (csnd.h) */
	struct clusterd *clusterd;	/* cluster follower and election (clusterd.h) */
	char serial[32];		/* this machine's serial number (store/remed.h) */
	SSL_CTX *server_ctx;		/* listeners' STARTTLS, NULL without a certificate */
	SSL_CTX *client_ctx;		/* outbound, not verifying */
	SSL_CTX *client_ctx_verify;	/* outbound, verifying against the CA bundle */
	int64_t id_next[3], id_end[3];	/* reserved blocks of ICID, MID, DCID */
	int paused;			/* workqueue paused */
	int disk_low;			/* the disk-low alert was raised */
	unsigned char journal_key[32];	/* marks this gateway's journal copies (tdc.c) */
	int stopping;			/* SIGTERM received */
	time_t stop_time;		/* when */
	struct event *drain;		/* waits for work in progress before exiting */
	time_t started;
};

enum gw_id { GW_ICID = 0, GW_MID, GW_DCID };

/* gw_id - the next persistent, increasing ID of a sequence */
int64_t gw_id(struct gw *gw, enum gw_id which);

/* gw_logs_defer - on 1: each loop turn's log lines written together; 0: at once */
void gw_logs_defer(struct gw *gw, int on);

/* gw_log - one mail_logs line at Info (to every mail_logs-type subscription) */
void gw_log(struct gw *gw, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* gw_logl - one mail_logs line at a level, to the subscriptions that take it */
void gw_logl(struct gw *gw, enum logfile_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * gw_alert - something an operator must act on: a mail_logs line at the
 * severity's level and an alert (displayalerts); commit: the configuration
 * commit it concerns (commit reports it), 0 if none
 */
void gw_alert(struct gw *gw, enum alert_severity severity, const char *aclass, int64_t commit,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* gw_log_wants - would a line at this level be written? (skip costly Debug text) */
int gw_log_wants(struct gw *gw, enum logfile_level level);

/* gw_tls_reload - rebuild the SSL contexts from the configuration */
int gw_tls_reload(struct gw *gw, char **cause);

/* gw_safe - attacker text made printable and cut, into buf */
const char *gw_safe(const char *s, char *buf, size_t size);

#endif
