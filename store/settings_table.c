/*
 * settings_table.c - every scalar setting, declared once.
 *
 * Name, type, default, min, max, flags, choices, help. Later features add
 * rows here; the store validates every write against this table and the
 * shell completes and documents from it.
 */
#include <stddef.h>

#include "store/settings.h"

const struct setting_def settings_table[] = {
	{ "system.hostname", SETTING_HOSTNAME, "", 0, 0, 0, NULL,
	    "the appliance's fully-qualified host name (empty: the machine's)" },
	{ "cli.history_size", SETTING_INT, "500", 0, 100000, SETTING_HIDDEN, NULL,
	    "lines of command history kept per data directory" },

	/* dnsconfig: empty means the servers of /etc/resolv.conf */
	{ "dns.servers", SETTING_STRING, "", 0, 2000, 0, NULL,
	    "DNS servers IP[:port],... (empty: those of /etc/resolv.conf)" },
	{ "dns.timeout", SETTING_INT, "5", 1, 60, 0, NULL,
	    "seconds to wait for one DNS answer" },

	/* certconfig: PEM text imported from files */
	{ "tls.server_cert", SETTING_STRING, "", 0, 65536, SETTING_HIDDEN, NULL,
	    "listener certificate chain (PEM)" },
	{ "tls.server_key", SETTING_STRING, "", 0, 65536, SETTING_SECRET | SETTING_HIDDEN, NULL,
	    "listener private key (PEM)" },
	{ "tls.cafile", SETTING_STRING, "", 0, 4096, 0, NULL,
	    "where the CA bundle was imported from (informational; empty: the system bundle)" },
	/*
	 * the CA bundle itself, imported by certconfig (issue 8, defect 13):
	 * mxgated drops root and may not be able to read the operator's
	 * file, so it verifies peers with this text. Empty with tls.cafile
	 * set: a configuration from before the import, read from the file.
	 */
	{ "tls.ca_pem", SETTING_STRING, "", 0, 4194304, SETTING_HIDDEN, NULL,
	    "CA bundle used to verify peers (PEM certificates; empty: the system bundle)" },

	/* deliveryconfig */
	{ "delivery.max_conns", SETTING_INT, "500", 1, 10000, 0, NULL,
	    "maximum concurrent outbound connections in total" },
	{ "delivery.max_conns_per_dest", SETTING_INT, "50", 1, 1000, 0, NULL,
	    "maximum concurrent outbound connections per destination" },
	{ "delivery.retry_initial", SETTING_INT, "60", 1, 86400, 0, NULL,
	    "seconds before the first retry of a soft-bounced recipient" },
	{ "delivery.retry_max", SETTING_INT, "3600", 1, 86400, 0, NULL,
	    "longest interval between retries, in seconds" },
	{ "delivery.max_queue_time", SETTING_INT, "259200", 60, 2592000, 0, NULL,
	    "seconds a message may stay in the queue before it bounces" },
	{ "delivery.bounces", SETTING_BOOL, "yes", 0, 0, 0, NULL,
	    "send delivery status notifications for hard bounces and expired messages" },
	{ "smtp.hop_limit", SETTING_INT, "50", 10, 500, SETTING_HIDDEN, NULL,
	    "Received: headers a message may carry; more is a mail loop: 554 5.4.6 (Postfix hopcount_limit)" },

	/*
	 * the built-in log subscriptions (logconfig edits these; the others
	 * are items of section "logsub", mail/logsub.c, validated against
	 * the ranges of these rows)
	 */
	{ "log.mail_logs.level", SETTING_ENUM, "info", 0, 0, 0, "critical|warning|info|debug|trace",
	    "highest level of the lines written to mail_logs" },
	{ "log.mail_logs.max_size", SETTING_INT, "10485760", 0, 2147483647L, 0, NULL,
	    "roll mail_logs over past this many bytes (0: never)" },
	{ "log.mail_logs.max_age", SETTING_INT, "0", 0, 31536000, 0, NULL,
	    "roll mail_logs over after this many seconds (0: never)" },
	{ "log.mail_logs.keep", SETTING_INT, "10", 0, 10000, 0, NULL,
	    "rolled mail_logs files kept (0: all)" },
	{ "log.cli_logs.level", SETTING_ENUM, "info", 0, 0, 0, "critical|warning|info|debug|trace",
	    "highest level of the lines written to cli_logs" },
	{ "log.cli_logs.max_size", SETTING_INT, "10485760", 0, 2147483647L, 0, NULL,
	    "roll cli_logs over past this many bytes (0: never)" },
	{ "log.cli_logs.max_age", SETTING_INT, "0", 0, 31536000, 0, NULL,
	    "roll cli_logs over after this many seconds (0: never)" },
	{ "log.cli_logs.keep", SETTING_INT, "10", 0, 10000, 0, NULL,
	    "rolled cli_logs files kept (0: all)" },

	/*
	 * tdcconfig: the Threat Defense Connector (issue 4). The rules that
	 * tie them together (the API needs the connector, polling needs the
	 * API, forward actions need forward_to) are tdcconfig's; the daemon
	 * reads enabled, intake_address and remote_ip_header, and the two
	 * hidden timings.
	 */
	{ "tdc.enabled", SETTING_BOOL, "no", 0, 0, 0, NULL,
	    "journal incoming mail to the Threat Defense message intake address" },
	{ "tdc.intake_address", SETTING_EMAIL, "", 0, 0, 0, NULL,
	    "the global message intake address" },
	{ "tdc.remote_ip_header", SETTING_FIELDNAME, "X-IronPort-RemoteIP", 1, 76, 0, NULL,
	    "header carrying the connecting client's IP on the journal copy" },
	{ "tdc.api", SETTING_BOOL, "no", 0, 0, 0, NULL,
	    "use the Email Threat Defense API for on-premises mailboxes" },
	{ "tdc.client_id", SETTING_STRING, "", 0, 256, 0, NULL,
	    "Email Threat Defense API client ID" },
	{ "tdc.client_secret", SETTING_STRING, "", 0, 512, SETTING_SECRET, NULL,
	    "Email Threat Defense API client password" },
	{ "tdc.api_key", SETTING_STRING, "", 0, 512, SETTING_SECRET, NULL,
	    "Email Threat Defense API key" },
	{ "tdc.api_region", SETTING_ENDPOINT, "us", 1, 512, 0, "us|de|au|in|ae|beta",
	    "API region (us, de, au, in, ae, beta) or an https:// URL" },
	{ "tdc.api_url", SETTING_STRING, "", 0, 1000, SETTING_HIDDEN, NULL,
	    "Email Threat Defense API base http(s):// URL (empty: from the region)" },
	{ "tdc.action", SETTING_ENUM, "delete", 0, 0, 0, "forward|delete|forward_delete",
	    "action on messages in users' mailboxes" },
	{ "tdc.forward_to", SETTING_EMAIL, "", 0, 0, 0, NULL,
	    "address that forward actions send to" },
	{ "tdc.polling", SETTING_BOOL, "no", 0, 0, 0, NULL,
	    "poll the Email Threat Defense API for verdicts" },
	/*
	 * issue 12: only the gateway that turned polling on polls (its
	 * serial, store/remed.h remed_serial), so a cluster sharing a
	 * configuration does not remediate every verdict once per machine
	 */
	{ "tdc.polling_primary", SETTING_STRING, "", 0, 64, SETTING_HIDDEN, NULL,
	    "serial number of the gateway that polls the Email Threat Defense API" },
	/*
	 * clusters (issue 15): how long the ETD polling primary's etcd lease
	 * lasts without a keep-alive; another member takes over within it
	 */
	{ "cluster.lease_ttl", SETTING_INT, "10", 3, 300, SETTING_HIDDEN, NULL,
	    "seconds within which another member takes over ETD polling from a failed primary" },
	{ "tdc.poll_interval", SETTING_INT, "60", 5, 3600, SETTING_HIDDEN, NULL,
	    "seconds between two Email Threat Defense API searches" },
	{ "tdc.poll_lag", SETTING_INT, "120", 0, 3600, SETTING_HIDDEN, NULL,
	    "seconds a search window ends before now (verdicts arrive late)" },
	{ "tdc.poll_overlap", SETTING_INT, "600", 0, 86400, SETTING_HIDDEN, NULL,
	    "seconds each search window reaches back before the last one's end" },
	{ "tdc.poll_max_pages", SETTING_INT, "1000", 1, 100000, SETTING_HIDDEN, NULL,
	    "pages one search reads before the next search goes on from there" },
	{ "tdc.verdicts", SETTING_STRING, "malicious,phishing,bec,scam", 0, 200, 0, NULL,
	    "verdicts remediated when polling (spam,malicious,phishing,graymail,neutral,bec,scam,noVerdict)" },
	{ "tdc.max_queue_time", SETTING_INT, "120", 1, 120, SETTING_HIDDEN, NULL,
	    "seconds a journal copy may stay in the.tdc.queue" },
	{ "tdc.retry_delay", SETTING_INT, "5", 0, 60, SETTING_HIDDEN, NULL,
	    "seconds before the one retry of a journal copy" },

	/*
	 * sdrconfig, sdradvancedconfig: Sender Domain Reputation (issue 10).
	 * The sources themselves are items of sections sdr.blocklist,
	 * sdr.local and sdr.feed (mail/sdrconf.c); the exception list names
	 * a domain-only address list (mail/addrlist.c).
	 */
	{ "sdr.enabled", SETTING_BOOL, "no", 0, 0, 0, NULL,
	    "give every incoming message a Sender Domain Reputation verdict" },
	{ "sdr.share_extended_info", SETTING_BOOL, "no", 0, 0, 0, NULL,
	    "also look at display names and the client's IP address (additional attributes)" },
	{ "sdr.timeout", SETTING_INT, "2", 1, 10, 0, NULL,
	    "seconds for all Sender Domain Reputation lookups of one message" },
	{ "sdr.exception_list", SETTING_STRING, "", 0, 63, 0, NULL,
	    "global domain exception list: a domain-only address list (empty: none)" },
	{ "sdr.exception_envfrom_only", SETTING_BOOL, "no", 0, 0, 0, NULL,
	    "exception lists match the envelope-from domain only (no: any SDR domain)" },
	{ "sdr.rdap_url", SETTING_STRING, "", 0, 1000, 0, NULL,
	    "RDAP base URL asked for domain ages, http(s)://.../ (empty: the bootstrap's, or none)" },
	{ "sdr.rdap_bootstrap", SETTING_STRING, "", 0, 4194304, SETTING_HIDDEN, NULL,
	    "imported RDAP bootstrap file (RFC 9224 dns.json text; empty: none)" },
	{ "sdr.cache_ttl", SETTING_INT, "3600", 10, 604800, 0, NULL,
	    "longest time in seconds a Sender Domain Reputation answer is cached" },
	{ "sdr.verify_peer", SETTING_BOOL, "yes", 0, 0, 0, NULL,
	    "verify the certificates of RDAP and TAXII servers" },
	{ "sdr.feed_interval", SETTING_INT, "3600", 60, 604800, 0, NULL,
	    "seconds between two polls of the external threat feeds (TAXII)" },

	/*
	 * userconfig policy: the password rules and lockout (issue 11); the
	 * accounts themselves are not settings (store/users.h)
	 */
	{ "users.min_length", SETTING_INT, "8", 6, 128, 0, NULL,
	    "characters a new password must have at least" },
	{ "users.min_classes", SETTING_INT, "3", 0, 4, 0, NULL,
	    "kinds of characters a new password must mix (lower, upper, digits, others)" },
	{ "users.history", SETTING_INT, "3", 0, 20, 0, NULL,
	    "previous passwords of an account that may not be used again" },
	{ "users.max_age_days", SETTING_INT, "0", 0, 3650, 0, NULL,
	    "days after which a password must be changed (0: never)" },
	{ "users.lockout", SETTING_INT, "5", 0, 100, 0, NULL,
	    "failed password logins in a row that lock an account (0: never)" },

	/*
	 * adminaccessconfig: operator sessions. The timeout's 1-9 (too short
	 * to type a command) is refused by the command; the table holds 0-86400.
	 */
	{ "adminaccess.timeout", SETTING_INT, "1800", 0, 86400, 0, NULL,
	    "seconds an interactive session may be idle before it ends (0: never)" },
	{ "adminaccess.banner", SETTING_STRING, "", 0, 4000, 0, NULL,
	    "text printed at the start of an interactive session (empty: none)" },
	{ "adminaccess.max_sessions", SETTING_INT, "10", 1, 100, 0, NULL,
	    "SSH sessions that may be open at once" },

	/*
	 * interfaceconfig: the Management interface's AsyncOS API (issue 12,
	 * daemon/apid.c). tdcconfig turning the Email Threat Defense API on
	 * turns both on, as the ETD API needs API_HTTPD and API_HTTPSD.
	 */
	{ "api.http", SETTING_BOOL, "no", 0, 0, 0, NULL,
	    "serve the AsyncOS API over HTTP" },
	{ "api.http_port", SETTING_INT, "6080", 1, 65535, 0, NULL,
	    "TCP port of the HTTP API" },
	{ "api.https", SETTING_BOOL, "no", 0, 0, 0, NULL,
	    "serve the AsyncOS API over HTTPS (the certconfig certificate)" },
	{ "api.https_port", SETTING_INT, "6443", 1, 65535, 0, NULL,
	    "TCP port of the HTTPS API" },
	{ "api.address", SETTING_STRING, "0.0.0.0", 1, 64, 0, NULL,
	    "IPv4 or IPv6 address the API listens on" },
	{ "api.max_body", SETTING_INT, "1048576", 1024, 16777216, SETTING_HIDDEN, NULL,
	    "largest API request body in bytes" },
	{ "api.max_conns", SETTING_INT, "64", 1, 1024, SETTING_HIDDEN, NULL,
	    "API connections open at once" },
	{ "api.timeout", SETTING_INT, "30", 1, 600, SETTING_HIDDEN, NULL,
	    "seconds an API connection may be idle" },

	/* alerts mailed to the recipients of alertconfig (mail/alertconf.h) */
	{ "alert.from", SETTING_EMAIL, "", 0, 0, 0, NULL,
	    "From: address of alert mails (empty: alert@HOSTNAME)" },
	{ "alert.dup_interval", SETTING_INT, "300", 0, 604800, 0, NULL,
	    "seconds before the same alert is mailed again (0: every time)" },

	/*
	 * cloudserviceconfig (issue 14, seed 004): the Cisco Cloud Service
	 * (registration, the threat response module on the HTTPS API port)
	 * and Cisco Success Network telemetry. The registration itself is
	 * not configuration: store/cloud.h keeps it.
	 */
	{ "cloud.enabled", SETTING_BOOL, "no", 0, 0, 0, NULL,
	    "Cisco Cloud Service: registration and the threat response module" },
	{ "cloud.tr_server", SETTING_ENDPOINT, "nam", 1, 512, 0, "nam|eu|apjc",
	    "threat response server (nam, eu, apjc) or an https:// URL" },
	{ "cloud.csn", SETTING_BOOL, "no", 0, 0, 0, NULL,
	    "send Cisco Success Network telemetry (only while registered)" },
	{ "cloud.csn_url", SETTING_ENDPOINT, "", 0, 1000, SETTING_HIDDEN, NULL,
	    "telemetry endpoint, an https:// URL (empty: the registration server's)" },
	{ "cloud.csn_interval", SETTING_INT, "86400", 60, 604800, SETTING_HIDDEN, NULL,
	    "seconds between telemetry sends" },
	{ "cloud.csn_retry", SETTING_INT, "3600", 5, 86400, SETTING_HIDDEN, NULL,
	    "seconds before a failed telemetry send is tried again" },

	{ NULL, SETTING_STRING, NULL, 0, 0, 0, NULL, NULL },
};
