/*
 * cmd_cloudserviceconfig.c - `cloudserviceconfig`: the Cisco Cloud
 * Service (issue 14, seed 004): turning it on, registering the gateway
 * with the cloud, the threat response server allowed to call it, and
 * (through commands/csncmd.c) Cisco Success Network telemetry.
 *
 *   cloudserviceconfig                              the AsyncOS dialogue
 *   cloudserviceconfig enable | disable             stage cloud.enabled
 *   cloudserviceconfig settrs server=nam|eu|apjc|URL   stage cloud.tr_server
 *   cloudserviceconfig register token=T [server=nam|eu|apjc|URL]
 *   cloudserviceconfig reregister [token=T] [server=...]
 *   cloudserviceconfig deregister [force]
 *   cloudserviceconfig status
 *   cloudserviceconfig csn enable|disable|print|send
 *
 * enable, disable and settrs are settings, pending until commit like
 * every configuration command. register, reregister and deregister are
 * exchanges with the cloud (net/cloudsvc.c) and act at once; they need
 * cloud.enabled committed. The registration (store/cloud.h) is replaced
 * only after the cloud said yes, so a failure leaves the previous one in
 * force. A re-registration without a token authenticates with the
 * current registration's credentials (the dialogue asks to confirm it).
 * deregister deletes the registration at the cloud, then here; when the
 * cloud cannot be reached or refuses, the registration is kept unless
 * the word force is given, which forgets it here only.
 *
 * The token is a secret: read without echo in the dialogue, masked in
 * cli_logs and the history (the key name token is a secret word,
 * store/settings.c, and CMD_F_SECRET_ARGS masks a token typed without
 * its key), never in an error line. Registration events go to cli_logs
 * (only mxgated writes mail_logs).
 *
 * DIAGNOSTICS: one error line per refused command or failed exchange,
 * naming the cause: a refused token or credentials, another HTTP status,
 * an unreachable service, a malformed answer.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "commands/cmd_util.h"
#include "commands/csncmd.h"
#include "mail/cloudconf.h"
#include "mail/cloudjson.h"
#include "mail/csn.h"
#include "mail/logsub.h"
#include "net/cloudsvc.h"
#include "store/cloud.h"
#include "store/remed.h"
#include "store/settings.h"
#include "util/logfile.h"
#include "util/str.h"
#include "util/timefmt.h"
#include "util/version.h"

extern const struct cmd_entry cmd_cloudserviceconfig_entry;

#define ENABLED_SETTING "cloud.enabled"
#define TR_SETTING "cloud.tr_server"
#define TOKEN_MAX 4096
#define SERVER_MAX 1024

/* The region names in the order the dialogue lists them, and how a threat response server is named. */
static const char *const region_names[] = { "nam", "eu", "apjc" };
static const char *const region_short[] = { "NAM", "Europe", "APJC" };
#define NREGIONS 3

/* tr_label - "NAM (https://visibility.amp.cisco.com)" for a threat response server, or the URL */
static void
tr_label(const char *tr, char *out, size_t size)
{
	char url[SERVER_MAX];

	if (cloud_tr_url(tr, url, sizeof(url)) < 0)
		str_copy(url, tr, sizeof(url));
	for (int i = 0; i < NREGIONS; i++)
		if (strcasecmp(tr, region_names[i]) == 0) {
			str_fmt(out, size, "%s (%s)", region_short[i], url);
			return;
		}
	str_copy(out, url, size);
}

/* ---------------------------------------------------------- helpers */

/* clilog - one event line in every cli_logs-type log */
static void
clilog(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
clilog(struct cli *c, const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	line = str_vprintf(fmt, ap);
	va_end(ap);
	if (c->clilogs)
		logsub_out_write(c->clilogs, LOGFILE_INFO, "PID %ld: User %s: %s", (long)getpid(),
		    c->user, line);
	else if (c->clilog)
		logfile_write(c->clilog, LOGFILE_INFO, "PID %ld: User %s: %s", (long)getpid(),
		    c->user, line);
	free(line);
}

/* when - a time for status: ctime and zone, or never */
static const char *
when(time_t t, char *buf, size_t size)
{
	if (t == 0)
		return "Never";
	timefmt_ctime_zone(t, buf, size);
	return buf;
}

/* get_reg - the registration: 1, 0 none, -1 (error printed) */
static int
get_reg(struct cli *c, struct cloud_reg *r)
{
	char *cause = NULL;
	int rc = cloud_get(c->st, r, &cause);

	if (rc < 0) {
		cli_error(c, "Cannot read the Cisco Cloud Service registration: %s", cause);
		free(cause);
	}
	return rc;
}

/* need_enabled - is the cloud service on in the committed configuration? error printed */
static int
need_enabled(struct cli *c)
{
	if (settings_running_int(c->st, ENABLED_SETTING) != 0)
		return 0;
	cli_error(c, "The Cisco Cloud Service is not enabled: run cloudserviceconfig enable, "
		     "then commit.");
	return -1;
}

/* check_server - is s a region name or an https:// URL? (normalised to lower case names) */
static int
check_server(char *s, size_t size, char **cause)
{
	char url[SERVER_MAX];

	if (cloud_region_ok(s)) {
		str_lower(s);
		return 0;
	}
	if (strlen(s) < size && cloud_register_url(s, url, sizeof(url)) == 0)
		return 0;
	*cause = str_printf("The server must be one of %s or an https:// URL.", CLOUD_REGIONS);
	return -1;
}

/* same_server - do a and b name the same registration server? */
static int
same_server(const char *a, const char *b)
{
	char ua[SERVER_MAX], ub[SERVER_MAX];

	if (cloud_register_url(a, ua, sizeof(ua)) < 0 || cloud_register_url(b, ub, sizeof(ub)) < 0)
		return 0;
	return strcasecmp(ua, ub) == 0;
}

/* device - what the registration request says about this gateway; error printed */
static int
device(struct cli *c, char *uid, size_t usize, char *host, size_t hsize,
    struct cloudjson_device *dev)
{
	struct queue *q = cmd_queue(c);
	char *cause = NULL, *h;

	if (q == NULL)
		return -1;
	if (remed_serial(q, uid, usize, &cause) < 0) {
		cli_error(c, "Cannot read this gateway's serial number: %s", cause);
		free(cause);
		return -1;
	}
	h = settings_get_running(c->st, "system.hostname");
	if (h == NULL || *h == '\0' || str_copy(host, h, hsize) < 0) {
		if (gethostname(host, hsize) < 0)
			str_copy(host, "localhost", hsize);
		host[hsize - 1] = '\0';
	}
	free(h);
	*dev = (struct cloudjson_device){ .uid = uid, .hostname = host,
		.version = MXGATE_VERSION };
	if ((dev->cluster = csn_in_cluster(c->st, &cause)) < 0) {
		cli_error(c, "Cannot read this gateway's cluster membership: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* stop_flag - what ends an exchange with the cloud early: the session's Ctrl-C flag */
static volatile int *
stop_flag(struct cli *c)
{
	/* sig_atomic_t is int here (glibc); hreq reads the flag as an int */
	_Static_assert(sizeof(sig_atomic_t) == sizeof(int), "sig_atomic_t is not an int");
	return (volatile int *)c->intr;
}

/* stage - stage setting name = value; error printed */
static enum cmd_ret
stage(struct cli *c, const char *name, const char *value)
{
	char *cause = NULL;

	if (settings_stage(c->st, name, value, &cause) < 0) {
		cli_error(c, "Cannot stage %s: %s", name, cause);
		free(cause);
		return CMD_ERROR;
	}
	return CMD_OK;
}

/* ---------------------------------------------------------- operations */

/* op_enable - stage cloud.enabled */
static enum cmd_ret
op_enable(struct cli *c, int on)
{
	if (stage(c, ENABLED_SETTING, on ? "yes" : "no") != CMD_OK)
		return CMD_ERROR;
	cli_printf(c, "The Cisco Cloud Service will be %s (pending until commit).\n",
	    on ? "enabled" : "disabled");
	return CMD_OK;
}

/* op_settrs - stage cloud.tr_server */
static enum cmd_ret
op_settrs(struct cli *c, const char *server)
{
	char label[SERVER_MAX + 32];

	if (stage(c, TR_SETTING, server) != CMD_OK)
		return CMD_ERROR;
	tr_label(server, label, sizeof(label));
	cli_printf(c, "The threat response server will be %s (pending until commit).\n", label);
	return CMD_OK;
}

/* note_failure - record a failed exchange in the registration (last error) */
static void
note_failure(struct cli *c, const char *why)
{
	char *cause = NULL;

	if (cloud_contact(c->st, time(NULL), why, &cause) < 0) {
		cli_error(c, "Cannot record the failure: %s", cause);
		free(cause);
	}
}

/*
 * op_register - register (cur NULL) or re-register cur with token (NULL
 * or "": cur's credentials) at server (NULL: "nam", or cur's); the
 * registration is replaced only after the cloud accepted
 */
static enum cmd_ret
op_register(struct cli *c, const char *token, const char *server)
{
	struct cloud_reg cur, got;
	struct cloudjson_device dev;
	char uid[64], host[256], *ca = NULL, *cause = NULL;
	const char *srv;
	int have, rc;

	if (need_enabled(c) < 0 || (have = get_reg(c, &cur)) < 0)
		return CMD_ERROR;
	srv = server != NULL ? server : have ? cur.server : "nam";
	if (device(c, uid, sizeof(uid), host, sizeof(host), &dev) < 0) {
		cloud_reg_free(&cur);
		return CMD_ERROR;
	}
	ca = settings_get_running(c->st, "tls.ca_pem");
	rc = cloudsvc_register(srv, token, have ? &cur : NULL, &dev, ca, stop_flag(c), &got,
	    &cause);
	free(ca);
	if (rc != 0) {
		/* a request that left may have been carried out: the old credentials may be dead */
		const char *after = rc == CLOUDSVC_MAYBE ? have ?
		    " The Cisco Cloud Service may have replaced the registration: run reregister "
		    "token=TOKEN with a new token." :
		    " The Cisco Cloud Service may have registered the appliance: run register "
		    "token=TOKEN with a new token." :
		    have ? " The previous registration stays in force." :
			   " The appliance is not registered.";

		if (have)
			note_failure(c, cause);
		if (cli_interrupted(c) && rc != CLOUDSVC_MAYBE)
			cli_error(c, "%s stopped: the registration on this appliance is unchanged.",
			    have ? "Re-registration" : "Registration");
		else if (cli_interrupted(c))
			cli_error(c, "%s stopped.%s", have ? "Re-registration" : "Registration", after);
		else
			cli_error(c, "%s failed: %s.%s", have ? "Re-registration" : "Registration",
			    cause, after);
		clilog(c, "Cisco Cloud Service %s %s: %s", have ? "re-registration" : "registration",
		    cli_interrupted(c) ? "stopped by the user" : "failed", cause);
		free(cause);
		cloud_reg_free(&cur);
		return cli_interrupted(c) ? CMD_ABORTED : CMD_ERROR;
	}
	got.registered = have ? cur.registered : time(NULL);
	got.reregistered = have ? time(NULL) : 0;
	if (cloud_put(c->st, &got, &cause) < 0) {
		cli_error(c, "The Cisco Cloud Service accepted the appliance as device ID %s, but "
			     "the registration cannot be kept: %s. %s", got.device_id, cause,
		    have ? "The Cisco Cloud Service has replaced the previous registration: run "
			   "reregister token=TOKEN with a new token." :
			   "Run register token=TOKEN with a new token.");
		clilog(c, "Cisco Cloud Service registration as device ID %s not kept: %s",
		    got.device_id, cause);
		free(cause);
		cloud_reg_free(&got);
		cloud_reg_free(&cur);
		return CMD_ERROR;
	}
	cli_printf(c, "The appliance is %sregistered with the Cisco Cloud Service portal (%s) "
		      "as device ID %s.\n", have ? "re-" : "", cloud_region_label(srv),
	    got.device_id);
	if (have)
		clilog(c, "Cisco Cloud Service: re-registered with %s as device ID %s "
			  "(was %s)", cloud_region_label(srv), got.device_id, cur.device_id);
	else
		clilog(c, "Cisco Cloud Service: registered with %s as device ID %s",
		    cloud_region_label(srv), got.device_id);
	cloud_reg_free(&got);
	cloud_reg_free(&cur);
	return CMD_OK;
}

/* first_register - register: refused when there is a registration */
static enum cmd_ret
first_register(struct cli *c, const char *token, const char *server)
{
	struct cloud_reg cur;
	int have;

	if (need_enabled(c) < 0 || (have = get_reg(c, &cur)) < 0)
		return CMD_ERROR;
	if (have) {
		cli_error(c, "The appliance is already registered with the Cisco Cloud Service as "
			     "device ID %s: use reregister.", cur.device_id);
		cloud_reg_free(&cur);
		return CMD_ERROR;
	}
	return op_register(c, token, server);
}

/* re_register - reregister: refused when there is no registration */
static enum cmd_ret
re_register(struct cli *c, const char *token, const char *server)
{
	struct cloud_reg cur;
	int have;

	if (need_enabled(c) < 0 || (have = get_reg(c, &cur)) < 0)
		return CMD_ERROR;
	if (!have) {
		cli_error(c, "The appliance is not registered with the Cisco Cloud Service: use "
			     "register.");
		return CMD_ERROR;
	}
	/* the credentials go only to the server that issued them */
	if ((token == NULL || *token == '\0') && server != NULL &&
	    !same_server(server, cur.server)) {
		cli_error(c, "Re-registering with another server than %s needs token=TOKEN.",
		    cloud_region_label(cur.server));
		cloud_reg_free(&cur);
		return CMD_ERROR;
	}
	cloud_reg_free(&cur);
	return op_register(c, token != NULL && *token != '\0' ? token : NULL, server);
}

/*
 * op_deregister - delete the registration at the cloud, then here (force:
 * here anyway); *unreached (NULL: not wanted) set when the cloud could not
 * be reached and nothing was forgotten
 */
static enum cmd_ret
op_deregister(struct cli *c, int force, int *unreached)
{
	struct cloud_reg cur;
	char *ca, *cause = NULL, *why = NULL;
	int have, rc;

	if (need_enabled(c) < 0 || (have = get_reg(c, &cur)) < 0)
		return CMD_ERROR;
	if (!have) {
		cli_error(c, "The appliance is not registered with the Cisco Cloud Service.");
		return CMD_ERROR;
	}
	ca = settings_get_running(c->st, "tls.ca_pem");
	rc = cloudsvc_deregister(&cur, ca, stop_flag(c), &why);
	free(ca);
	if (rc != 0 && !force)
		note_failure(c, why);
	if (rc != 0 && cli_interrupted(c)) {
		cli_error(c, "Deregistration stopped: the registration stays on this appliance%s.",
		    rc == CLOUDSVC_MAYBE ? " (the Cisco Cloud Service may have deleted it)" : "");
		free(why);
		cloud_reg_free(&cur);
		return CMD_ABORTED;
	}
	if (rc != 0 && !force) {
		if (unreached != NULL)
			*unreached = rc == CLOUDSVC_UNREACHABLE || rc == CLOUDSVC_MAYBE;
		cli_error(c, "Deregistration failed: %s. The registration stays %s "
			     "(deregister force forgets it on this appliance only).", why,
		    rc == CLOUDSVC_MAYBE ? "on this appliance, but the Cisco Cloud Service may "
					   "have deleted it" : "in force");
		clilog(c, "Cisco Cloud Service deregistration of device ID %s failed: %s",
		    cur.device_id, why);
		free(why);
		cloud_reg_free(&cur);
		return CMD_ERROR;
	}
	if (cloud_delete(c->st, &cause) < 0) {
		cli_error(c, "Cannot forget the registration: %s", cause);
		free(cause);
		free(why);
		cloud_reg_free(&cur);
		return CMD_ERROR;
	}
	if (rc != 0) {
		cli_printf(c, "The Cisco Cloud Service was not told (%s); the registration as "
			      "device ID %s is forgotten on this appliance.\n", why, cur.device_id);
		clilog(c, "Cisco Cloud Service: registration as device ID %s forgotten here only "
			  "(force): %s", cur.device_id, why);
	} else {
		cli_printf(c, "The appliance is deregistered from the Cisco Cloud Service "
			      "(device ID %s).\n", cur.device_id);
		clilog(c, "Cisco Cloud Service: deregistered device ID %s", cur.device_id);
	}
	free(why);
	cloud_reg_free(&cur);
	return CMD_OK;
}

/* op_status - the service, the registration, the threat response server, CSN */
static enum cmd_ret
op_status(struct cli *c)
{
	struct cloud_reg r;
	char buf[64], label[SERVER_MAX + 32];
	int on = settings_running_int(c->st, ENABLED_SETTING) != 0;
	int staged = settings_get_int(c->st, ENABLED_SETTING) != 0;
	char *tr = settings_get_running(c->st, TR_SETTING);
	char *tr_staged = settings_get(c->st, TR_SETTING);
	int have = get_reg(c, &r);

	if (have < 0) {
		free(tr);
		free(tr_staged);
		return CMD_ERROR;
	}
	cli_printf(c, "%-32s %s%s\n", "Cisco Cloud Service:", on ? "Enabled" : "Disabled",
	    on == staged ? "" : staged ? " (enable pending commit)" : " (disable pending commit)");
	if (have) {
		cli_printf(c, "%-32s %s\n", "Registration:", "Registered");
		cli_printf(c, "%-32s %s\n", "Server:", cloud_region_label(r.server));
		cli_printf(c, "%-32s %s\n", "Device ID:", r.device_id);
		if (r.secret_unreadable)
			cli_printf(c, "%-32s %s\n", "Credentials:", "Unreadable (run reregister "
								 "token=TOKEN or deregister force)");
		if (r.account_id[0])
			cli_printf(c, "%-32s %s\n", "Account ID:", r.account_id);
		if (r.virtual_account[0])
			cli_printf(c, "%-32s %s\n", "Virtual account:", r.virtual_account);
		cli_printf(c, "%-32s %s\n", "Registered since:",
		    when(r.registered, buf, sizeof(buf)));
		cli_printf(c, "%-32s %s\n", "Last re-registration:",
		    when(r.reregistered, buf, sizeof(buf)));
		cli_printf(c, "%-32s %s\n", "Last contact:", when(r.last_contact, buf, sizeof(buf)));
		if (r.last_error[0])
			cli_printf(c, "%-32s %s (%s)\n", "Last error:", r.last_error,
			    when(r.last_error_at, buf, sizeof(buf)));
		else
			cli_printf(c, "%-32s %s\n", "Last error:", "None");
		cloud_reg_free(&r);
	} else {
		cli_printf(c, "%-32s %s\n", "Registration:", "Not registered");
	}
	tr_label(tr, label, sizeof(label));
	cli_printf(c, "%-32s %s%s\n", "Threat response server:", label,
	    strcmp(tr, tr_staged) == 0 ? "" : " (a change is pending commit)");
	free(tr);
	free(tr_staged);
	csncmd_status(c);
	return CMD_OK;
}

/* ---------------------------------------------------------- dialogue */

/* ask_server - a region from the numbered list, or a URL; ASK_OK with out */
static enum ask_ret
ask_server(struct cli *c, const char *question, int tr, const char *cur, char *out, size_t size)
{
	const char *items[NREGIONS + 1];
	char labels[NREGIONS][160], *cause = NULL;
	int def = 1, pick;
	enum ask_ret a;

	for (int i = 0; i < NREGIONS; i++) {
		if (tr)
			tr_label(region_names[i], labels[i], sizeof(labels[i]));
		else
			str_copy(labels[i], cloud_region_label(region_names[i]), sizeof(labels[i]));
		items[i] = labels[i];
		if (cur && strcasecmp(cur, region_names[i]) == 0)
			def = i + 1;
	}
	items[NREGIONS] = "Another server (an https:// URL)";
	if (cur && !cloud_region_ok(cur) && *cur)
		def = NREGIONS + 1;
	if ((a = cli_ask_list(c, question, items, NREGIONS + 1, def, &pick)) != ASK_OK)
		return a;
	if (pick < NREGIONS) {
		str_copy(out, region_names[pick], size);
		return ASK_OK;
	}
	for (;;) {
		/* the current URL, when there is one, is the default */
		if (def == NREGIONS + 1)
			a = cli_ask(c, "Enter the server's https:// URL:", cur, out, size);
		else
			a = cli_ask_required(c, "Enter the server's https:// URL:", out, size);
		if (a != ASK_OK)
			return a;
		if (check_server(out, size, &cause) == 0 && !cloud_region_ok(out))
			return ASK_OK;
		free(cause);
		cause = NULL;
		cli_error(c, "Enter an https:// URL.");
		if (!c->interactive)
			return ASK_ABORT;
	}
}

static int check_token(const struct cmd_key *k, char *value, size_t size, char **cause);

/* dialog_token - a typed token checked as token= is; error printed (and the token wiped) */
static int
dialog_token(struct cli *c, char *token)
{
	char *cause = NULL;

	if (check_token(NULL, token, TOKEN_MAX, &cause) == 0)
		return 0;
	explicit_bzero(token, TOKEN_MAX);
	cli_error(c, "%s", cause);
	free(cause);
	return -1;
}

/* d_register - REGISTER: the region, then the token */
static enum cmd_ret
d_register(struct cli *c)
{
	char server[SERVER_MAX], token[TOKEN_MAX];
	enum cmd_ret r;

	if (ask_server(c, "Choose the Cisco Cloud Service portal to register with:", 0, "nam",
	    server, sizeof(server)) != ASK_OK)
		return CMD_ABORTED;
	if (cli_ask_secret(c, "Enter the registration token:", 0, token, sizeof(token)) !=
	    ASK_OK)
		return CMD_ABORTED;
	if (dialog_token(c, token) < 0)
		return CMD_ERROR;
	r = first_register(c, token, server);
	explicit_bzero(token, sizeof(token));
	return r;
}

/*
 * d_reregister - REREGISTER: the server (the current one by default),
 * then a new token, or the current credentials once confirmed
 */
static enum cmd_ret
d_reregister(struct cli *c)
{
	char token[TOKEN_MAX], server[SERVER_MAX];
	struct cloud_reg cur;
	enum cmd_ret r;
	enum ask_ret a;
	int yes;

	if (get_reg(c, &cur) < 0)
		return CMD_ERROR;
	a = ask_server(c, "Choose the Cisco Cloud Service portal to register with:", 0,
	    cur.server, server, sizeof(server));
	cloud_reg_free(&cur);
	if (a != ASK_OK)
		return CMD_ABORTED;
	if (cli_ask_secret(c, "Enter a new registration token (empty: re-register with the "
			      "current credentials):", 1, token, sizeof(token)) != ASK_OK)
		return CMD_ABORTED;
	if (token[0] != '\0' && dialog_token(c, token) < 0)
		return CMD_ERROR;
	if (token[0] == '\0') {
		if (cli_ask_yesno(c, "Do you want to reregister the appliance?", 0, &yes) != ASK_OK)
			return CMD_ABORTED;
		if (!yes)
			return CMD_OK;
	}
	r = re_register(c, token, server);
	explicit_bzero(token, sizeof(token));
	return r;
}

/* d_csn - CSN: its operations through csncmd */
static enum cmd_ret
d_csn(struct cli *c)
{
	static const struct cli_choice ops[] = {
		{ "ENABLE", "Send Cisco Success Network telemetry (pending until commit)." },
		{ "DISABLE", "Stop sending telemetry (pending until commit)." },
		{ "PRINT", "Display the telemetry that would be sent now." },
		{ "SEND", "Send the telemetry now." },
	};
	static char *words[] = { "enable", "disable", "print", "send" };
	int pick;
	enum ask_ret a = cli_ask_menu(c, NULL, ops, 4, &pick);

	if (a == ASK_BACK)
		return CMD_OK;
	if (a != ASK_OK)
		return CMD_ABORTED;
	return (enum cmd_ret)csncmd(c, 1, &words[pick]);
}

enum dop { D_ENABLE, D_DISABLE, D_REGISTER, D_REREGISTER, D_DEREGISTER, D_SETTRS, D_STATUS,
	D_CSN };

/* dialog - the state, then the operations that apply */
static enum cmd_ret
dialog(struct cli *c)
{
	struct cli_choice items[8];
	enum dop ops[8];
	struct cloud_reg r;
	int on = settings_get_int(c->st, ENABLED_SETTING) != 0;
	int running = settings_running_int(c->st, ENABLED_SETTING) != 0;
	int have, n = 0, pick, yes, unreached = 0;
	char server[SERVER_MAX], *tr;
	enum ask_ret a;
	enum cmd_ret ret;

	if ((have = get_reg(c, &r)) < 0)
		return CMD_ERROR;
	cli_printf(c, "The Cisco Cloud Service is currently %s on your appliance.\n",
	    running ? "enabled" : "disabled");
	if (have)
		cli_printf(c, "The appliance is registered with the Cisco Cloud Service portal "
			      "(%s) as device ID %s.\n", cloud_region_label(r.server), r.device_id);
	else
		cli_printf(c, "The appliance is not registered with the Cisco Cloud Service "
			      "portal.\n");
	cloud_reg_free(&r);
	if (on) {
		items[n] = (struct cli_choice){ "DISABLE",
			"Disable the Cisco Cloud Service (pending until commit)." };
		ops[n++] = D_DISABLE;
	} else {
		items[n] = (struct cli_choice){ "ENABLE",
			"Enable the Cisco Cloud Service (pending until commit)." };
		ops[n++] = D_ENABLE;
	}
	if (running && !have) {
		items[n] = (struct cli_choice){ "REGISTER",
			"Register the appliance with the Cisco Cloud Service (acts at once)." };
		ops[n++] = D_REGISTER;
	} else if (running) {
		items[n] = (struct cli_choice){ "REREGISTER",
			"Register the appliance again (acts at once)." };
		ops[n++] = D_REREGISTER;
		items[n] = (struct cli_choice){ "DEREGISTER",
			"Deregister the appliance from the Cisco Cloud Service (acts at once)." };
		ops[n++] = D_DEREGISTER;
	}
	items[n] = (struct cli_choice){ "SETTRS",
		"Choose the threat response server (pending until commit)." };
	ops[n++] = D_SETTRS;
	items[n] = (struct cli_choice){ "STATUS", "Display the Cisco Cloud Service status." };
	ops[n++] = D_STATUS;
	items[n] = (struct cli_choice){ "CSN", "Configure Cisco Success Network telemetry." };
	ops[n++] = D_CSN;
	a = cli_ask_menu(c, NULL, items, n, &pick);
	if (a == ASK_BACK)
		return CMD_OK;
	if (a != ASK_OK)
		return CMD_ABORTED;
	switch (ops[pick]) {
	case D_ENABLE:
		return op_enable(c, 1);
	case D_DISABLE:
		return op_enable(c, 0);
	case D_REGISTER:
		return d_register(c);
	case D_REREGISTER:
		return d_reregister(c);
	case D_DEREGISTER:
		if (cli_ask_yesno(c, "Do you want to deregister the appliance?", 0, &yes) != ASK_OK)
			return CMD_ABORTED;
		if (!yes)
			return CMD_OK;
		ret = op_deregister(c, 0, &unreached);
		if (ret != CMD_ERROR || !unreached)
			return ret;
		if (cli_ask_yesno(c, "Forget the registration on this appliance only?", 0, &yes) !=
		    ASK_OK)
			return CMD_ABORTED;
		return yes ? op_deregister(c, 1, NULL) : CMD_ERROR;
	case D_SETTRS:
		tr = settings_get(c->st, TR_SETTING);
		a = ask_server(c, "Choose the threat response server:", 1, tr, server,
		    sizeof(server));
		free(tr);
		if (a != ASK_OK)
			return CMD_ABORTED;
		return op_settrs(c, server);
	case D_STATUS:
		return op_status(c);
	case D_CSN:
		return d_csn(c);
	}
	return CMD_ERROR;
}

/* ---------------------------------------------------------- batch */

/* What register and reregister's key=value words give. */
struct regvals {
	char token[TOKEN_MAX];		/* "" none */
	char server[SERVER_MAX];	/* "" none */
};

/* check_server_key - a server= value */
static int
check_server_key(const struct cmd_key *k, char *value, size_t size, char **cause)
{
	(void)k;
	return check_server(value, size, cause);
}

/* check_token - a token= value: printable, not empty, bounded (never echoed) */
static int
check_token(const struct cmd_key *k, char *value, size_t size, char **cause)
{
	int bad = *value == '\0' || strlen(value) >= TOKEN_MAX;

	(void)k;
	(void)size;
	for (const char *p = value; *p && !bad; p++)
		bad = (unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f;
	if (bad) {
		*cause = str_dup("The token must be the printable text the Cisco Cloud Service "
				 "portal gave (not shown).");
		return -1;
	}
	return 0;
}

/* set_reg - store one register/reregister value */
static int
set_reg(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	struct regvals *v = obj;

	if (strcmp(k->name, "token") == 0)
		str_copy(v->token, value, sizeof(v->token));
	else if (str_copy(v->server, value, sizeof(v->server)) < 0) {
		*cause = str_dup("The server URL is too long.");
		return -1;
	}
	return 0;
}

static const char *const region_values[] = { "nam", "eu", "apjc", NULL };

static const struct cmd_key reg_keys[] = {
	{ .name = "token", .type = CMD_KEY_TEXT, .check = check_token,
	    .help = "the registration token from the Cisco Cloud Service portal (a secret)" },
	{ .name = "server", .type = CMD_KEY_ENUM, .values = region_values,
	    .check = check_server_key,
	    .help = "where to register: nam, eu, apjc or an https:// URL (default nam)" },
	{ .name = NULL },
};

static const struct cmd_keyset reg_keyset = {
	.keys = reg_keys,
	.set = set_reg,
	.syntax = "use token=TOKEN [server=nam|eu|apjc|URL]",
	.flags = CMD_KEYS_NO_ECHO,
};

/* set_tr - the settrs server= value */
static int
set_tr(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	(void)k;
	if (str_copy(obj, value, SERVER_MAX) < 0) {
		*cause = str_dup("The server URL is too long.");
		return -1;
	}
	return 0;
}

static const struct cmd_key tr_keys[] = {
	{ .name = "server", .type = CMD_KEY_ENUM, .values = region_values,
	    .setting = TR_SETTING, .check = cmd_keys_setting,
	    .help = "the threat response server: nam, eu, apjc or an https:// URL" },
	{ .name = NULL },
};

static const struct cmd_keyset tr_keyset = {
	.keys = tr_keys,
	.set = set_tr,
	.syntax = "use server=nam|eu|apjc|URL",
};

static enum cmd_ret
b_enable(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return op_enable(c, 1);
}

static enum cmd_ret
b_disable(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return op_enable(c, 0);
}

static enum cmd_ret
b_settrs(struct cli *c, const struct cmd_call *call)
{
	char server[SERVER_MAX] = "";

	if (cmd_keys_apply(c, call, server, NULL) < 0)
		return CMD_ERROR;
	return op_settrs(c, server);
}

static enum cmd_ret
b_register(struct cli *c, const struct cmd_call *call)
{
	struct regvals *v = xcalloc(1, sizeof(*v));
	enum cmd_ret r = CMD_ERROR;

	if (cmd_keys_apply(c, call, v, NULL) == 0)
		r = first_register(c, v->token, v->server[0] ? v->server : NULL);
	explicit_bzero(v, sizeof(*v));
	free(v);
	return r;
}

static enum cmd_ret
b_reregister(struct cli *c, const struct cmd_call *call)
{
	struct regvals *v = xcalloc(1, sizeof(*v));
	enum cmd_ret r = CMD_ERROR;

	if (cmd_keys_apply(c, call, v, NULL) == 0)
		r = re_register(c, v->token, v->server[0] ? v->server : NULL);
	explicit_bzero(v, sizeof(*v));
	free(v);
	return r;
}

static enum cmd_ret
b_deregister(struct cli *c, const struct cmd_call *call)
{
	return op_deregister(c, call->argc == 1, NULL);
}

static enum cmd_ret
b_status(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return op_status(c);
}

static enum cmd_ret
b_csn(struct cli *c, const struct cmd_call *call)
{
	return (enum cmd_ret)csncmd(c, call->argc, call->argv);
}

static const struct cmd_word force_word[] = {
	{ "force", "Forget the registration here even if the cloud cannot be told.", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word csn_words[] = {
	{ "enable", "Send Cisco Success Network telemetry (pending until commit).", NULL },
	{ "disable", "Stop sending telemetry (pending until commit).", NULL },
	{ "print", "Display the telemetry that would be sent now.", NULL },
	{ "send", "Send the telemetry now.", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_sub cloudserviceconfig_subs[] = {
	{ .name = "enable", .help = "Enable the Cisco Cloud Service (pending until commit).",
	    .exec = b_enable },
	{ .name = "disable", .help = "Disable the Cisco Cloud Service (pending until commit).",
	    .exec = b_disable },
	{ .name = "register", .help = "Register the appliance with the Cisco Cloud Service.",
	    .keys = &reg_keyset, .required = (const char *const[]){ "token", NULL },
	    .needs = "the registration token from the Cisco Cloud Service portal",
	    .exec = b_register },
	{ .name = "reregister", .help = "Register the appliance again (a new token, or the "
					"current credentials).",
	    .keys = &reg_keyset, .flags = CMD_SUB_KV_OPTIONAL, .exec = b_reregister },
	{ .name = "deregister", .help = "Deregister the appliance from the Cisco Cloud Service.",
	    .args = force_word, .min_args = 0, .max_args = 1, .exec = b_deregister },
	{ .name = "settrs", .help = "Choose the threat response server (pending until commit).",
	    .keys = &tr_keyset, .required = (const char *const[]){ "server", NULL },
	    .needs = "nam, eu, apjc or an https:// URL", .exec = b_settrs },
	{ .name = "status", .help = "Display the Cisco Cloud Service status.", .exec = b_status },
	{ .name = "csn", .help = "Cisco Success Network telemetry: enable, disable, print, send.",
	    .args = csn_words, .min_args = 1, .max_args = 1, .exec = b_csn },
	{ .exec = NULL },
};

/* cloudserviceconfig_exec - the dialogue, or one batch operation */
static enum cmd_ret
cloudserviceconfig_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return dialog(c);
	return cmd_keys_run(c, &cmd_cloudserviceconfig_entry, argc, argv);
}

const struct cmd_entry cmd_cloudserviceconfig_entry = {
	.name = "cloudserviceconfig",
	.usage = "cloudserviceconfig\n"
		 "cloudserviceconfig enable|disable\n"
		 "cloudserviceconfig register token=TOKEN [server=nam|eu|apjc|URL]\n"
		 "cloudserviceconfig reregister [token=TOKEN] [server=nam|eu|apjc|URL]\n"
		 "cloudserviceconfig deregister [force]\n"
		 "cloudserviceconfig settrs server=nam|eu|apjc|URL\n"
		 "cloudserviceconfig status\n"
		 "cloudserviceconfig csn enable|disable|print|send",
	.help = "Register with the Cisco Cloud Service and configure its services.",
	.flags = CMD_F_CONFIG | CMD_F_SECRET_ARGS,
	.subs = cloudserviceconfig_subs,
	.exec = cloudserviceconfig_exec,
};
