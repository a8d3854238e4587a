/*
 * cmd_clusterconfig.c - `clusterconfig`: create, join and leave a cluster
 * of gateways on etcd, list its members and groups, move a machine
 * between groups, pin the ETD polling primary (issue 15; the AsyncOS
 * command).
 *
 *   clusterconfig                       the dialogue: a menu of operations
 *   clusterconfig create name=C machine=M endpoints=URL[,URL...]
 *       cacert=FILE cert=FILE key=FILE [group=G]
 *   clusterconfig join name=C machine=M endpoints=URL[,URL...]
 *       cacert=FILE cert=FILE key=FILE clusterkey=B64 [group=G]
 *   clusterconfig leave
 *   clusterconfig list
 *   clusterconfig addgroup G | removegroup G | setgroup MACHINE G
 *   clusterconfig primary MACHINE|auto
 *
 * These act at once, not on commit, as AsyncOS's clusterconfig does:
 * the work is in mail/cluster.c (etcd) and store/cluster.c (config.db).
 * The TLS files for etcd are read here with the operator's rights
 * (cli_open_file), checked (the CA file holds certificates, the key is
 * readable without a passphrase and matches the certificate) and kept as
 * PEM text in the membership (the key sealed at rest). The cluster key
 * is printed once by create and typed at join; clusterkey= is masked in
 * cli_logs and the history (cmd_table.c cmd_mask_line).
 *
 * Create, join and leave need an empty candidate: the levels change
 * under the session. After create and join the session is at the
 * cluster level, after leave at the machine level.
 *
 * DIAGNOSTICS: one error line: a file that cannot be read or does not
 * check, already (or not) in a cluster, pending changes, and what
 * mail/cluster.c says (etcd unreachable names the endpoint).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "commands/cmd_util.h"
#include "mail/cluster.h"
#include "store/cluster.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/str.h"
#include "util/timefmt.h"

extern const struct cmd_entry cmd_clusterconfig_entry;

#define PEM_FILE_MAX 65536	/* a certificate, key or CA file */
#define PATH_TEXT_MAX 1024
#define KEY_B64_MAX 128

/* What create's and join's key=value words give. */
struct joinvals {
	char name[CLUSTER_NAME_MAX], machine[CLUSTER_NAME_MAX], group[CLUSTER_NAME_MAX];
	char endpoints[1024];			/* "https://a:2379,https://b:2379" */
	char cacert[PATH_TEXT_MAX], cert[PATH_TEXT_MAX], key[PATH_TEXT_MAX];	/* paths */
	char clusterkey[KEY_B64_MAX];		/* join: the cluster key, base64 */
};

/* ---------------------------------------------------------- helpers */

/* member - 0 in a cluster (*m filled), 1 not, -1 error (said) */
static int
member(struct cli *c, struct cluster_member *m)
{
	char *cause = NULL;
	int rc = cluster_member_get(c->st, m, &cause);

	if (rc < 0) {
		cli_error(c, "Cannot read the cluster membership: %s", cause);
		free(cause);
	}
	return rc;
}

/* need_member - in a cluster (*m filled); else the error line */
static int
need_member(struct cli *c, struct cluster_member *m)
{
	int rc = member(c, m);

	if (rc == 1)
		cli_error(c, "This machine is not in a cluster.");
	return rc == 0 ? 0 : -1;
}

/* no_pending - pending changes refused; 0 when none */
static int
no_pending(struct cli *c)
{
	int n = cmd_pending(c);

	if (n < 0) {
		cli_error(c, "Cannot read pending changes.");
		return -1;
	}
	if (n > 0) {
		cli_error(c, "Please commit or clear your pending changes first.");
		return -1;
	}
	return 0;
}

/* open_cluster - a connection to the cluster; NULL (error said) */
static struct clus *
open_cluster(struct cli *c)
{
	struct clus *cl = NULL;
	char *cause = NULL;
	int rc = clus_open(c->st, &cl, &cause);

	if (rc == 1)
		cli_error(c, "This machine is not in a cluster.");
	else if (rc != 0) {
		cli_error(c, "Cannot reach the cluster: %s", cause);
		free(cause);
	}
	return rc == 0 ? cl : NULL;
}

/* failed - "WHAT: CAUSE" as the error line */
static enum cmd_ret
failed(struct cli *c, const char *what, char *cause)
{
	cli_error(c, "%s: %s", what, cause ? cause : "unknown error");
	free(cause);
	return CMD_ERROR;
}

/* no_passphrase - pem_password_cb: never prompt; encrypted keys fail */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* read_text - a whole file the operator named; error said */
static char *
read_text(struct cli *c, const char *what, const char *path, size_t *len)
{
	int fd = cli_open_file(c, path);
	char *text = fd < 0 ? NULL : fs_read_fd(fd, PEM_FILE_MAX, len);

	if (text == NULL)
		cli_error(c, "Cannot read the %s file %.200s: %s.", what, path,
		    errno == EFBIG ? "the file is too large" :
		    errno == ENXIO ? "not a regular file" : strerror(errno));
	return text;
}

/* bio_text - a memory BIO's contents (malloc'd) */
static char *
bio_text(BIO *b)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);

	return str_ndup(data, n > 0 ? (size_t)n : 0);
}

/* certs_pem - every certificate of text re-encoded, or NULL if none; *leaf the first */
static char *
certs_pem(const char *text, size_t len, X509 **leaf)
{
	BIO *in = BIO_new_mem_buf(text, (int)len), *out = BIO_new(BIO_s_mem());
	X509 *x;
	char *pem = NULL;
	int n = 0;

	if (in == NULL || out == NULL)
		abort();	/* only allocation fails here */
	while ((x = PEM_read_bio_X509(in, NULL, no_passphrase, NULL)) != NULL) {
		PEM_write_bio_X509(out, x);
		if (n++ == 0 && leaf)
			*leaf = x;
		else
			X509_free(x);
	}
	ERR_clear_error();	/* the end of the input shows as an error */
	if (n > 0)
		pem = bio_text(out);
	BIO_free(in);
	BIO_free(out);
	return pem;
}

/*
 * read_tls - the CA, certificate and key files as checked PEM texts
 * (malloc'd; the key's to be cleansed); error said
 */
static int
read_tls(struct cli *c, const struct joinvals *v, char **ca, char **cert, char **key)
{
	char *ca_text = NULL, *cert_text = NULL, *key_text = NULL;
	size_t ca_len = 0, cert_len = 0, key_len = 0;
	X509 *leaf = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *b;
	int rc = -1;

	*ca = *cert = *key = NULL;
	if ((ca_text = read_text(c, "CA certificate", v->cacert, &ca_len)) == NULL ||
	    (cert_text = read_text(c, "certificate", v->cert, &cert_len)) == NULL ||
	    (key_text = read_text(c, "private key", v->key, &key_len)) == NULL)
		goto out;
	if ((*ca = certs_pem(ca_text, ca_len, NULL)) == NULL) {
		cli_error(c, "The file %.200s holds no PEM certificate (-----BEGIN "
			     "CERTIFICATE-----).", v->cacert);
		goto out;
	}
	if ((*cert = certs_pem(cert_text, cert_len, &leaf)) == NULL) {
		cli_error(c, "The file %.200s holds no PEM certificate (-----BEGIN "
			     "CERTIFICATE-----).", v->cert);
		goto out;
	}
	b = BIO_new_mem_buf(key_text, (int)key_len);
	pkey = b ? PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL) : NULL;
	BIO_free(b);
	ERR_clear_error();
	if (pkey == NULL) {
		cli_error(c, "The file %.200s holds no readable PEM private key; the key must "
			     "not be protected by a passphrase.", v->key);
		goto out;
	}
	if (X509_check_private_key(leaf, pkey) != 1) {
		ERR_clear_error();
		cli_error(c, "The private key in %.200s does not match the certificate in "
			     "%.200s.", v->key, v->cert);
		goto out;
	}
	if ((b = BIO_new(BIO_s_mem())) == NULL)
		abort();
	if (PEM_write_bio_PrivateKey(b, pkey, NULL, NULL, 0, NULL, NULL) != 1) {
		ERR_clear_error();
		BIO_free(b);
		cli_error(c, "The private key in %.200s cannot be encoded.", v->key);
		goto out;
	}
	*key = bio_text(b);
	BIO_free(b);
	rc = 0;
out:
	if (key_text) {
		OPENSSL_cleanse(key_text, key_len);
		free(key_text);
	}
	free(ca_text);
	free(cert_text);
	X509_free(leaf);
	EVP_PKEY_free(pkey);
	if (rc < 0) {
		free(*ca);
		free(*cert);
		*ca = *cert = NULL;
	}
	return rc;
}

/* free_tls - the texts read_tls made */
static void
free_tls(char *ca, char *cert, char *key)
{
	if (key) {
		OPENSSL_cleanse(key, strlen(key));
		free(key);
	}
	free(ca);
	free(cert);
}

/* to_level - the session's level after create, join or leave (a warning if it fails) */
static void
to_level(struct cli *c, const char *level)
{
	char *cause = NULL;

	if (cluster_session_level(c->st, level, &cause) < 0) {
		cli_printf(c, "Warning: this session stays at its level: %s\n", cause);
		free(cause);
	}
}

/* ---------------------------------------------------------- operations */

/*
 * params - what create and join share: not in a cluster yet, nothing
 * pending, the serial and the TLS files read into p (free_tls after);
 * -1 with the error printed
 */
static int
params(struct cli *c, const struct joinvals *v, struct clus_params *p, char *me, size_t size,
    char **ca, char **cert, char **key)
{
	struct cluster_member m;
	int rc;

	if ((rc = member(c, &m)) < 0)
		return -1;
	if (rc == 0) {
		cli_error(c, "This machine is already in cluster %s (clusterconfig leave first).",
		    m.cluster);
		cluster_member_free(&m);
		return -1;
	}
	if (no_pending(c) < 0 || cmd_serial(c, me, size) < 0 || read_tls(c, v, ca, cert, key) < 0)
		return -1;
	memset(p, 0, sizeof(*p));
	p->cluster = v->name;
	p->machine = v->machine;
	p->group = v->group[0] ? v->group : NULL;
	p->endpoints = v->endpoints;
	p->ca_pem = *ca;
	p->cert_pem = *cert;
	p->key_pem = *key;
	p->serial = me;
	return 0;
}

/* op_create - a new cluster from this machine */
static enum cmd_ret
op_create(struct cli *c, const struct joinvals *v)
{
	struct clus_params p;
	char *ca, *cert, *key, *b64 = NULL, *cause = NULL, me[64];
	int rc;

	if (params(c, v, &p, me, sizeof(me), &ca, &cert, &key) < 0)
		return CMD_ERROR;
	rc = clus_create(c->st, &p, c->user, &b64, &cause);
	free_tls(ca, cert, key);
	if (rc < 0)
		return failed(c, "Cannot create the cluster", cause);
	cli_printf(c, "Cluster %s created with this machine (%s) in group %s.\n", v->name,
	    v->machine, v->group[0] ? v->group : CLUS_MAIN_GROUP);
	cli_printf(c, "Cluster key (give it to each machine that joins; it is not shown "
		      "again): %s\n", b64);
	explicit_bzero(b64, strlen(b64));
	free(b64);
	to_level(c, "cluster");
	return CMD_OK;
}

/* op_join - this machine joins a cluster */
static enum cmd_ret
op_join(struct cli *c, const struct joinvals *v)
{
	struct clus_params p;
	char *ca, *cert, *key, *cause = NULL, me[64];
	int rc;

	if (params(c, v, &p, me, sizeof(me), &ca, &cert, &key) < 0)
		return CMD_ERROR;
	p.key_b64 = v->clusterkey;
	rc = clus_join(c->st, &p, c->user, &cause);
	free_tls(ca, cert, key);
	if (rc < 0)
		return failed(c, "Cannot join the cluster", cause);
	cli_printf(c, "This machine (%s) joined cluster %s in group %s; its configuration now "
		      "follows the cluster (its machine-level settings are kept).\n",
	    v->machine, v->name, v->group[0] ? v->group : CLUS_MAIN_GROUP);
	to_level(c, "cluster");
	return CMD_OK;
}

/* op_leave - this machine leaves its cluster, keeping its configuration */
static enum cmd_ret
op_leave(struct cli *c)
{
	struct cluster_member m;
	char *warning = NULL, *cause = NULL, *level, name[CLUSTER_NAME_MAX];

	if (need_member(c, &m) < 0)
		return CMD_ERROR;
	str_copy(name, m.cluster, sizeof(name));
	cluster_member_free(&m);
	if (no_pending(c) < 0)
		return CMD_ERROR;
	/* the views of a cluster or group level go before their rows do */
	level = str_dup(cluster_session_current(c->st));
	to_level(c, "machine");
	if (clus_leave(c->st, &warning, &cause) < 0) {
		to_level(c, level);
		free(level);
		return failed(c, "Cannot leave the cluster", cause);
	}
	free(level);
	if (warning) {
		cli_printf(c, "Warning: %s\n", warning);
		free(warning);
	}
	cli_printf(c, "This machine left cluster %s; it keeps its configuration as it was.\n",
	    name);
	return CMD_OK;
}

/* op_list - the members and the groups */
static enum cmd_ret
op_list(struct cli *c)
{
	struct clus *cl = open_cluster(c);
	struct clus_machine *ms = NULL;
	char **gs = NULL, *cause = NULL, applied[32];
	int n = 0, ng = 0;
	int64_t rev = 0;

	if (cl == NULL)
		return CMD_ERROR;
	if (clus_machines(cl, &ms, &n, &rev, &cause) < 0 ||
	    clus_groups(cl, &gs, &ng, &cause) < 0) {
		free(ms);
		clus_close(cl);
		return failed(c, "Cannot list the cluster", cause);
	}
	cli_printf(c, "Cluster %s (etcd revision %lld)\n\n", cl->m.cluster, (long long)rev);
	cli_printf(c, "%-20s %-20s %-12s %-11s %s\n", "Machine", "Group", "Serial", "Status",
	    "Applied");
	for (int i = 0; i < n; i++) {
		if (ms[i].alive)
			str_fmt(applied, sizeof(applied), "%lld", (long long)ms[i].applied);
		else
			str_copy(applied, "-", sizeof(applied));
		cli_printf(c, "%-20s %-20s %-12s %-11s %s%s\n", ms[i].machine, ms[i].group,
		    ms[i].serial[0] ? ms[i].serial : "-", ms[i].alive ? "ok" : "unreachable",
		    applied, strcmp(ms[i].machine, cl->m.machine) == 0 ? " (this machine)" : "");
	}
	cli_printf(c, "\nGroups:\n");
	for (int i = 0; i < ng; i++) {
		int members = 0;

		for (int j = 0; j < n; j++)
			members += strcmp(ms[j].group, gs[i]) == 0;
		cli_printf(c, "%-20s %d machine%s\n", gs[i], members, members == 1 ? "" : "s");
		free(gs[i]);
	}
	free(gs);
	free(ms);
	clus_close(cl);
	return CMD_OK;
}

/* check_name - a group or machine name typed; error said */
static int
check_name(struct cli *c, const char *what, const char *s)
{
	if (cluster_name_ok(s))
		return 0;
	cli_error(c, "Invalid %s name '%.64s': use 1 to 63 letters, digits, '.', '_' or '-'.",
	    what, s);
	return -1;
}

/* op_group - addgroup (add 1) or removegroup (add 0) */
static enum cmd_ret
op_group(struct cli *c, const char *group, int add)
{
	struct clus *cl;
	char *cause = NULL;
	int rc;

	if (check_name(c, "group", group) < 0 || (cl = open_cluster(c)) == NULL)
		return CMD_ERROR;
	rc = add ? clus_group_add(cl, group, &cause) : clus_group_delete(cl, group, &cause);
	clus_close(cl);
	if (rc < 0)
		return failed(c, add ? "Cannot add the group" : "Cannot remove the group", cause);
	cli_printf(c, "Group %s %s.\n", group, add ? "added" : "removed");
	return CMD_OK;
}

/* op_setgroup - move a machine to another group */
static enum cmd_ret
op_setgroup(struct cli *c, const char *machine, const char *group)
{
	struct clus *cl;
	char *cause = NULL;
	int64_t rev;
	int rc, self;

	if (check_name(c, "machine", machine) < 0 || check_name(c, "group", group) < 0 ||
	    (cl = open_cluster(c)) == NULL)
		return CMD_ERROR;
	self = strcmp(machine, cl->m.machine) == 0;
	rc = clus_machine_move(cl, machine, group, &cause);
	/* without mxgated nobody follows the watch here: take the change now */
	if (rc == 0 && self && !cmd_daemon_running(c) && clus_sync(cl, c->st, &rev, &cause) < 0) {
		cli_printf(c, "Warning: the move is recorded; this machine applies it when "
			      "mxgated runs (%s).\n", cause);
		free(cause);
		cause = NULL;
	}
	clus_close(cl);
	if (rc < 0)
		return failed(c, "Cannot move the machine", cause);
	cli_printf(c, "Machine %s is now in group %s.\n", machine, group);
	return CMD_OK;
}

/* op_primary - pin the ETD polling primary, or let the election choose */
static enum cmd_ret
op_primary(struct cli *c, const char *machine)
{
	struct clus *cl;
	struct clus_machine *ms = NULL;
	char *cause = NULL;
	int n = 0, found = 0, rc, autom = strcasecmp(machine, "auto") == 0;
	int64_t rev;

	if (!autom && check_name(c, "machine", machine) < 0)
		return CMD_ERROR;
	if ((cl = open_cluster(c)) == NULL)
		return CMD_ERROR;
	if (!autom) {
		if (clus_machines(cl, &ms, &n, &rev, &cause) < 0) {
			clus_close(cl);
			return failed(c, "Cannot read the members", cause);
		}
		for (int i = 0; i < n; i++)
			found |= strcmp(ms[i].machine, machine) == 0;
		free(ms);
		if (!found) {
			cli_error(c, "There is no machine %s in cluster %s.", machine,
			    cl->m.cluster);
			clus_close(cl);
			return CMD_ERROR;
		}
	}
	rc = clus_primary_pin(cl, autom ? NULL : machine, &cause);
	clus_close(cl);
	if (rc < 0)
		return failed(c, "Cannot set the ETD polling primary", cause);
	if (autom)
		cli_printf(c, "The ETD polling primary is chosen automatically (an election "
			      "among the members).\n");
	else
		cli_printf(c, "The ETD polling primary is pinned to %s.\n", machine);
	return CMD_OK;
}

/* ---------------------------------------------------------- dialogue */

/* ask_into - one required answer into out; 0, or -1 (aborted or back) */
static int
ask_into(struct cli *c, const char *question, const char *def, char *out, size_t size)
{
	enum ask_ret a = def ? cli_ask(c, question, def, out, size) :
	    cli_ask_required(c, question, out, size);

	return a == ASK_OK && *out ? 0 : -1;
}

/* dialog_params - create's or join's answers; -1 aborted */
static int
dialog_params(struct cli *c, struct joinvals *v, int join)
{
	if (ask_into(c, "Enter the name of the cluster:", NULL, v->name, sizeof(v->name)) < 0 ||
	    ask_into(c, "Enter the name of this machine in the cluster:", NULL, v->machine,
	    sizeof(v->machine)) < 0 ||
	    ask_into(c, "Enter the group of this machine:", CLUS_MAIN_GROUP, v->group,
	    sizeof(v->group)) < 0 ||
	    ask_into(c, "Enter the etcd endpoints (comma-separated https:// URLs):", NULL,
	    v->endpoints, sizeof(v->endpoints)) < 0 ||
	    ask_into(c, "Enter the path of the etcd CA certificate file:", NULL, v->cacert,
	    sizeof(v->cacert)) < 0 ||
	    ask_into(c, "Enter the path of this machine's etcd client certificate file:", NULL,
	    v->cert, sizeof(v->cert)) < 0 ||
	    ask_into(c, "Enter the path of its private key file:", NULL, v->key,
	    sizeof(v->key)) < 0)
		return -1;
	if (join && (cli_ask_secret(c, "Enter the cluster key:", 0, v->clusterkey,
	    sizeof(v->clusterkey)) != ASK_OK || v->clusterkey[0] == '\0'))
		return -1;
	if (!cluster_name_ok(v->name) || !cluster_name_ok(v->machine) ||
	    !cluster_name_ok(v->group)) {
		cli_error(c, "Names use 1 to 63 letters, digits, '.', '_' or '-'.");
		return -2;
	}
	return 0;
}

enum dop { D_CREATE, D_JOIN, D_LIST, D_ADDGROUP, D_REMOVEGROUP, D_SETGROUP, D_PRIMARY,
	D_LEAVE };

/* dialog - the menu of what applies: create or join outside, the rest inside */
static enum cmd_ret
dialog(struct cli *c)
{
	struct cli_choice items[8];
	enum dop ops[8];
	struct cluster_member m;
	struct joinvals *v;
	char a1[CLUSTER_NAME_MAX], a2[CLUSTER_NAME_MAX];
	int n = 0, pick, in, yes, rc;
	enum ask_ret a;
	enum cmd_ret r;

	if ((in = member(c, &m)) < 0)
		return CMD_ERROR;
	if (in == 0) {
		cli_printf(c, "This machine (%s) is in cluster %s, group %s.\n", m.machine,
		    m.cluster, m.group);
		cluster_member_free(&m);
		items[n] = (struct cli_choice){ "LIST", "List the machines and groups." };
		ops[n++] = D_LIST;
		items[n] = (struct cli_choice){ "ADDGROUP", "Add a group." };
		ops[n++] = D_ADDGROUP;
		items[n] = (struct cli_choice){ "REMOVEGROUP", "Remove an empty group." };
		ops[n++] = D_REMOVEGROUP;
		items[n] = (struct cli_choice){ "SETGROUP", "Move a machine to another group." };
		ops[n++] = D_SETGROUP;
		items[n] = (struct cli_choice){ "PRIMARY",
			"Pin the ETD polling primary, or let the cluster choose." };
		ops[n++] = D_PRIMARY;
		items[n] = (struct cli_choice){ "LEAVE", "Remove this machine from the cluster." };
		ops[n++] = D_LEAVE;
	} else {
		cli_printf(c, "This machine is not in a cluster.\n");
		items[n] = (struct cli_choice){ "CREATE", "Create a new cluster." };
		ops[n++] = D_CREATE;
		items[n] = (struct cli_choice){ "JOIN", "Join an existing cluster." };
		ops[n++] = D_JOIN;
	}
	a = cli_ask_menu(c, NULL, items, n, &pick);
	if (a == ASK_BACK)
		return CMD_OK;
	if (a != ASK_OK)
		return CMD_ABORTED;
	switch (ops[pick]) {
	case D_CREATE:
	case D_JOIN:
		v = xcalloc(1, sizeof(*v));
		rc = dialog_params(c, v, ops[pick] == D_JOIN);
		r = rc == -1 ? CMD_ABORTED : rc < 0 ? CMD_ERROR :
		    ops[pick] == D_JOIN ? op_join(c, v) : op_create(c, v);
		explicit_bzero(v, sizeof(*v));
		free(v);
		return r;
	case D_LIST:
		return op_list(c);
	case D_ADDGROUP:
	case D_REMOVEGROUP:
		if (ask_into(c, "Enter the name of the group:", NULL, a1, sizeof(a1)) < 0)
			return CMD_ABORTED;
		return op_group(c, a1, ops[pick] == D_ADDGROUP);
	case D_SETGROUP:
		if (ask_into(c, "Enter the name of the machine:", NULL, a1, sizeof(a1)) < 0 ||
		    ask_into(c, "Enter its new group:", NULL, a2, sizeof(a2)) < 0)
			return CMD_ABORTED;
		return op_setgroup(c, a1, a2);
	case D_PRIMARY:
		if (ask_into(c, "Enter the machine to pin the ETD polling primary to, or auto:",
		    "auto", a1, sizeof(a1)) < 0)
			return CMD_ABORTED;
		return op_primary(c, a1);
	case D_LEAVE:
		if (cli_ask_yesno(c, "Remove this machine from the cluster? It keeps its "
				     "configuration as it is.", 0, &yes) != ASK_OK)
			return CMD_ABORTED;
		return yes ? op_leave(c) : CMD_OK;
	}
	return CMD_ERROR;
}

/* ---------------------------------------------------------- batch */

/* check_name_key - a name=, machine= or group= value */
static int
check_name_key(const struct cmd_key *k, char *value, size_t size, char **cause)
{
	(void)size;
	if (cluster_name_ok(value))
		return 0;
	*cause = str_printf("Invalid %s '%.64s': use 1 to 63 letters, digits, '.', '_' or '-'.",
	    k->name, value);
	return -1;
}

/* check_endpoints - endpoints=: comma-separated http(s) URLs */
static int
check_endpoints(const struct cmd_key *k, char *value, size_t size, char **cause)
{
	char *copy = str_dup(value), *save = NULL;
	int bad = *value == '\0' || strlen(value) >= sizeof(((struct joinvals *)0)->endpoints);

	(void)k;
	(void)size;
	for (char *u = strtok_r(copy, ",", &save); u && !bad; u = strtok_r(NULL, ",", &save))
		bad = (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0) ||
		    strchr(u, ' ') != NULL || strlen(u) < 9;
	free(copy);
	if (bad) {
		*cause = str_dup("The endpoints must be etcd URLs separated by commas "
				 "(https://HOST:PORT,...).");
		return -1;
	}
	return 0;
}

/* check_b64 - clusterkey=: base64 text (checked against the cluster at join) */
static int
check_b64(const struct cmd_key *k, char *value, size_t size, char **cause)
{
	int bad = *value == '\0' || strlen(value) >= KEY_B64_MAX;

	(void)k;
	(void)size;
	for (const char *p = value; *p && !bad; p++)
		bad = !((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '+' || *p == '/' || *p == '=');
	if (bad) {
		*cause = str_dup("The cluster key must be the base64 text clusterconfig create "
				 "printed (not shown).");
		return -1;
	}
	return 0;
}

/* set_join - store one create/join value */
static int
set_join(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	struct joinvals *v = obj;
	char *dst;
	size_t size;

	if (strcmp(k->name, "name") == 0)
		dst = v->name, size = sizeof(v->name);
	else if (strcmp(k->name, "machine") == 0)
		dst = v->machine, size = sizeof(v->machine);
	else if (strcmp(k->name, "group") == 0)
		dst = v->group, size = sizeof(v->group);
	else if (strcmp(k->name, "endpoints") == 0)
		dst = v->endpoints, size = sizeof(v->endpoints);
	else if (strcmp(k->name, "cacert") == 0)
		dst = v->cacert, size = sizeof(v->cacert);
	else if (strcmp(k->name, "cert") == 0)
		dst = v->cert, size = sizeof(v->cert);
	else if (strcmp(k->name, "key") == 0)
		dst = v->key, size = sizeof(v->key);
	else
		dst = v->clusterkey, size = sizeof(v->clusterkey);
	if (str_copy(dst, value, size) < 0) {
		*cause = str_printf("The %s= value is too long.", k->name);
		return -1;
	}
	return 0;
}

#define JOIN_KEYS \
	{ .name = "name", .type = CMD_KEY_TEXT, .check = check_name_key, \
	    .help = "the cluster's name" }, \
	{ .name = "machine", .type = CMD_KEY_TEXT, .check = check_name_key, \
	    .help = "this machine's name in the cluster" }, \
	{ .name = "endpoints", .type = CMD_KEY_LIST, .check = check_endpoints, \
	    .help = "the etcd members' client URLs, comma-separated" }, \
	{ .name = "cacert", .type = CMD_KEY_TEXT, \
	    .help = "a PEM file: the CA that signed the etcd certificates" }, \
	{ .name = "cert", .type = CMD_KEY_TEXT, \
	    .help = "a PEM file: this machine's etcd client certificate" }, \
	{ .name = "key", .type = CMD_KEY_TEXT, \
	    .help = "a PEM file: its private key (no passphrase)" }, \
	{ .name = "group", .type = CMD_KEY_TEXT, .check = check_name_key, \
	    .help = "this machine's group (default " CLUS_MAIN_GROUP ")" }

static const struct cmd_key create_keys[] = {
	JOIN_KEYS,
	{ .name = NULL },
};

static const struct cmd_key join_keys[] = {
	JOIN_KEYS,
	{ .name = "clusterkey", .type = CMD_KEY_TEXT, .check = check_b64,
	    .help = "the cluster key clusterconfig create printed (a secret)" },
	{ .name = NULL },
};

static const struct cmd_keyset create_keyset = {
	.keys = create_keys,
	.set = set_join,
	.syntax = "use name=C machine=M endpoints=URL,... cacert=FILE cert=FILE key=FILE "
		  "[group=G]",
};

static const struct cmd_keyset join_keyset = {
	.keys = join_keys,
	.set = set_join,
	.syntax = "use name=C machine=M endpoints=URL,... cacert=FILE cert=FILE key=FILE "
		  "clusterkey=KEY [group=G]",
	.flags = CMD_KEYS_NO_ECHO,
};

static enum cmd_ret
b_create(struct cli *c, const struct cmd_call *call)
{
	struct joinvals *v = xcalloc(1, sizeof(*v));
	enum cmd_ret r = CMD_ERROR;

	if (cmd_keys_apply(c, call, v, NULL) == 0)
		r = op_create(c, v);
	explicit_bzero(v, sizeof(*v));
	free(v);
	return r;
}

static enum cmd_ret
b_join(struct cli *c, const struct cmd_call *call)
{
	struct joinvals *v = xcalloc(1, sizeof(*v));
	enum cmd_ret r = CMD_ERROR;

	if (cmd_keys_apply(c, call, v, NULL) == 0)
		r = op_join(c, v);
	explicit_bzero(v, sizeof(*v));
	free(v);
	return r;
}

static enum cmd_ret
b_leave(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return op_leave(c);
}

static enum cmd_ret
b_list(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return op_list(c);
}

static enum cmd_ret
b_addgroup(struct cli *c, const struct cmd_call *call)
{
	return op_group(c, call->argv[0], 1);
}

static enum cmd_ret
b_removegroup(struct cli *c, const struct cmd_call *call)
{
	return op_group(c, call->argv[0], 0);
}

static enum cmd_ret
b_setgroup(struct cli *c, const struct cmd_call *call)
{
	return op_setgroup(c, call->argv[0], call->argv[1]);
}

static enum cmd_ret
b_primary(struct cli *c, const struct cmd_call *call)
{
	return op_primary(c, call->argv[0]);
}

static const struct cmd_word group_arg[] = {
	{ "<GROUP>", "a group's name", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word machine_group_args[] = {
	{ "<MACHINE>", "a member's name", group_arg },
	{ NULL, NULL, NULL },
};

static const struct cmd_word primary_args[] = {
	{ "auto", "Let the members elect the primary (the default).", NULL },
	{ "<MACHINE>", "the member that alone may poll", NULL },
	{ NULL, NULL, NULL },
};

static const char *const create_required[] = { "name", "machine", "endpoints", "cacert",
	"cert", "key", NULL };
static const char *const join_required[] = { "name", "machine", "endpoints", "cacert",
	"cert", "key", "clusterkey", NULL };

static const struct cmd_sub clusterconfig_subs[] = {
	{ .name = "create", .help = "Create a cluster with this machine as its first member.",
	    .keys = &create_keyset, .required = create_required,
	    .needs = "name, machine, endpoints, cacert, cert and key are required",
	    .exec = b_create },
	{ .name = "join", .help = "Join this machine to an existing cluster.",
	    .keys = &join_keyset, .required = join_required,
	    .needs = "name, machine, endpoints, cacert, cert, key and clusterkey are required",
	    .exec = b_join },
	{ .name = "leave", .help = "Remove this machine from its cluster (it keeps its "
				   "configuration).",
	    .exec = b_leave },
	{ .name = "list", .help = "List the cluster's machines and groups.", .exec = b_list },
	{ .name = "addgroup", .help = "Add a group.", .args = group_arg, .min_args = 1,
	    .max_args = 1, .exec = b_addgroup },
	{ .name = "removegroup", .help = "Remove an empty group.", .args = group_arg,
	    .min_args = 1, .max_args = 1, .exec = b_removegroup },
	{ .name = "setgroup", .help = "Move a machine to another group.",
	    .args = machine_group_args, .min_args = 2, .max_args = 2, .exec = b_setgroup },
	{ .name = "primary", .help = "Pin the ETD polling primary to a machine, or auto.",
	    .args = primary_args, .min_args = 1, .max_args = 1, .exec = b_primary },
	{ .exec = NULL },
};

/* clusterconfig_exec - the dialogue, or one batch operation */
static enum cmd_ret
clusterconfig_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return dialog(c);
	return cmd_keys_run(c, &cmd_clusterconfig_entry, argc, argv);
}

const struct cmd_entry cmd_clusterconfig_entry = {
	.name = "clusterconfig",
	.usage = "clusterconfig\n"
		 "clusterconfig create name=C machine=M endpoints=URL[,URL...] cacert=FILE "
		 "cert=FILE key=FILE [group=G]\n"
		 "clusterconfig join name=C machine=M endpoints=URL[,URL...] cacert=FILE "
		 "cert=FILE key=FILE clusterkey=KEY [group=G]\n"
		 "clusterconfig leave\n"
		 "clusterconfig list\n"
		 "clusterconfig addgroup GROUP\n"
		 "clusterconfig removegroup GROUP\n"
		 "clusterconfig setgroup MACHINE GROUP\n"
		 "clusterconfig primary MACHINE|auto",
	.help = "Create, join or leave a cluster; list and arrange its machines and groups.",
	.flags = CMD_F_SECRET_ARGS,
	.subs = clusterconfig_subs,
	.exec = clusterconfig_exec,
};
