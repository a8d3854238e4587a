/*
 * cmd_clustercheck.c - `clustercheck`: which members of this machine's
 * cluster are unreachable or do not have the configuration the others
 * have, and who polls the ETD API (issue 15; the AsyncOS command).
 *
 * Members are compared by the digest each one publishes with its alive
 * record (store/cluster.h cluster_digest: the cluster level and its
 * group's level as it applied them). A member's reference is this
 * machine's digest of that member's group when this machine has applied
 * the newest revision any member reports, else the digest of the
 * member of that group that applied the most: applied revisions alone
 * differ without harm (revisions that change nothing a machine uses).
 * A member without an alive record (its mxgated stopped, or cut off from
 * etcd longer than the lease) is unreachable.
 *
 * DIAGNOSTICS: one error line when not in a cluster or when etcd cannot
 * be reached (exit status 1).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands/cmd.h"
#include "commands/cmd_clustercheck.h"
#include "mail/cluster.h"
#include "store/cluster.h"
#include "util/str.h"
#include "util/timefmt.h"

extern const struct cmd_entry cmd_clustercheck_entry;

/* primary_line - the primary's line from an open connection; -1 (line said) unknown */
static int
primary_line(struct cli *c, struct clus *cl)
{
	struct clus_primary p;
	char when[64], *cause = NULL, pin[CLUSTER_NAME_MAX + 16] = "";

	if (clus_primary_get(cl, &p, &cause) < 0) {
		cli_printf(c, "ETD polling primary: unknown (%s)\n", cause ? cause : "error");
		free(cause);
		return -1;
	}
	if (p.pin[0])
		str_fmt(pin, sizeof(pin), " (pinned to %s)", p.pin);
	if (p.machine[0] == '\0') {
		cli_printf(c, "ETD polling primary: none%s\n", pin);
		return 0;
	}
	timefmt_ctime_zone(p.since, when, sizeof(when));
	cli_printf(c, "ETD polling primary: %s (since %s)%s\n", p.machine, when, pin);
	return 0;
}

/* clustercheck_primary - see cmd_clustercheck.h */
int
clustercheck_primary(struct cli *c)
{
	struct clus *cl = NULL;
	char *cause = NULL;
	int rc = clus_open(c->st, &cl, &cause);

	if (rc == 1)
		return 0;
	if (rc != 0) {
		cli_printf(c, "ETD polling primary: unknown (%s)\n", cause ? cause : "error");
		free(cause);
		return -1;
	}
	rc = primary_line(c, cl);
	clus_close(cl);
	return rc;
}

/* reference - the digest a member of group should have; 0, or -1 unknown */
static int
reference(struct cli *c, const struct clus_machine *ms, int n, const char *group, int local,
    char out[65])
{
	const struct clus_machine *best = NULL;
	char *cause = NULL;

	if (local) {
		if (cluster_digest(c->st, group, out, &cause) == 0)
			return 0;
		free(cause);
	}
	for (int i = 0; i < n; i++)
		if (ms[i].alive && strcmp(ms[i].group, group) == 0 &&
		    (best == NULL || ms[i].applied > best->applied))
			best = &ms[i];
	if (best == NULL)
		return -1;
	memcpy(out, best->digest, 65);
	out[64] = '\0';
	return 0;
}

static enum cmd_ret
clustercheck_exec(struct cli *c, int argc, char **argv)
{
	struct clus *cl = NULL;
	struct clus_machine *ms = NULL;
	char *cause = NULL, ref[65];
	int n = 0, rc, bad = 0, local;
	int64_t rev = 0, top, mine;

	(void)argv;
	if (argc > 0)
		return cmd_usage_error(c, &cmd_clustercheck_entry, NULL);
	rc = clus_open(c->st, &cl, &cause);
	if (rc == 1) {
		cli_error(c, "This machine is not in a cluster.");
		return CMD_ERROR;
	}
	if (rc != 0 || clus_machines(cl, &ms, &n, &rev, &cause) < 0) {
		cli_error(c, "Cannot check the cluster: %s", cause ? cause : "error");
		free(cause);
		clus_close(cl);
		return CMD_ERROR;
	}
	top = mine = cluster_applied_rev(c->st);
	for (int i = 0; i < n; i++)
		if (ms[i].alive && ms[i].applied > top)
			top = ms[i].applied;
	local = mine >= top && mine > 0;
	cli_printf(c, "Checking cluster %s (%d member%s, etcd revision %lld).\n",
	    cl->m.cluster, n, n == 1 ? "" : "s", (long long)rev);
	for (int i = 0; i < n; i++) {
		if (!ms[i].alive) {
			cli_printf(c, "%s: unreachable (no heartbeat)\n", ms[i].machine);
			bad++;
		} else if (reference(c, ms, n, ms[i].group, local, ref) == 0 &&
		    strcmp(ref, ms[i].digest) != 0) {
			cli_printf(c, "%s: configuration differs (applied revision %lld; the "
				      "cluster is at %lld)\n", ms[i].machine,
			    (long long)ms[i].applied, (long long)top);
			bad++;
		}
	}
	if (bad == 0)
		cli_printf(c, "No inconsistencies found.\n");
	primary_line(c, cl);
	free(ms);
	clus_close(cl);
	return CMD_OK;
}

const struct cmd_entry cmd_clustercheck_entry = {
	.name = "clustercheck",
	.usage = "clustercheck",
	.help = "Report cluster members that are unreachable or whose configuration differs.",
	.exec = clustercheck_exec,
};
