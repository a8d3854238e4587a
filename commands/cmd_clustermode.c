/*
 * cmd_clustermode.c - `clustermode`: the configuration level this shell
 * session works at, in a cluster (issue 15; the AsyncOS word).
 *
 *   clustermode                      the dialogue: choose a mode
 *   clustermode cluster              settings shared by every machine
 *   clustermode group NAME           settings of one group's machines
 *   clustermode machine [NAME]       this machine's own settings
 *
 * The level is the session's (store/cluster.h cluster_session_level):
 * every configuration command, showchanges, commitdetail and
 * rollbackconfig then act on that level, and the prompt says it
 * ("(Cluster C)> "). A cluster or group commit goes to etcd (cmd_commit.c).
 * The candidate must be empty to switch: pending changes belong to the
 * level they were made at. Machine-level settings are only changed on the
 * machine itself, so another machine's name is refused. Groups are read
 * from etcd; when it cannot be reached, only this machine's own group is
 * known to exist (its settings are mirrored here).
 *
 * DIAGNOSTICS: one error line: not in a cluster, pending changes, an
 * unknown group, another machine, etcd unreachable for a group check.
 */
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/cmd_clustermode.h"
#include "commands/cmd_util.h"
#include "mail/cluster.h"
#include "store/cluster.h"
#include "util/str.h"

extern const struct cmd_entry cmd_clustermode_entry;

#define MAX_CHOICES 64

/* member - this machine's membership: 0; 1 not in a cluster (said); -1 error (said) */
static int
member(struct cli *c, struct cluster_member *m)
{
	char *cause = NULL;
	int rc = cluster_member_get(c->st, m, &cause);

	if (rc < 0) {
		cli_error(c, "Cannot read the cluster membership: %s", cause);
		free(cause);
	} else if (rc == 1)
		cli_error(c, "This machine is not in a cluster.");
	return rc;
}

/* clustermode_level_line - see cmd_clustermode.h */
void
clustermode_level_line(struct cli *c)
{
	struct cluster_member m;
	const char *level = cluster_session_current(c->st);
	char *cause = NULL;
	int rc = cluster_member_get(c->st, &m, &cause);

	if (rc != 0) {
		free(cause);
		return;
	}
	if (strncmp(level, "group:", 6) == 0)
		cli_printf(c, "Level: group %s\n", level + 6);
	else if (strcmp(level, "cluster") == 0)
		cli_printf(c, "Level: cluster\n");
	else
		cli_printf(c, "Level: machine %s\n", m.machine);
	cluster_member_free(&m);
}

/* no_pending - refuse to switch with pending changes; 0 when none */
static int
no_pending(struct cli *c)
{
	int n = cmd_pending(c);

	if (n < 0) {
		cli_error(c, "Cannot read pending changes.");
		return -1;
	}
	if (n > 0) {
		cli_error(c, "Please commit or clear your pending changes before changing "
			     "mode.");
		return -1;
	}
	return 0;
}

/* groups - the cluster's groups from etcd; -1 with *cause */
static int
groups(struct cli *c, char ***names, int *n, char **cause)
{
	struct clus *cl = NULL;
	int rc;

	*names = NULL;
	*n = 0;
	rc = clus_open(c->st, &cl, cause);
	if (rc != 0) {
		if (rc == 1)
			*cause = str_dup("This machine is not in a cluster.");
		return -1;
	}
	rc = clus_groups(cl, names, n, cause);
	clus_close(cl);
	return rc < 0 ? -1 : 0;
}

static void
free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* set_level - switch the session and say so */
static enum cmd_ret
set_level(struct cli *c, const struct cluster_member *m, const char *level)
{
	char *cause = NULL;

	if (cluster_session_level(c->st, level, &cause) < 0) {
		cli_error(c, "Cannot change mode: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (strcmp(level, "cluster") == 0)
		cli_printf(c, "Mode is now Cluster %s: settings apply to every machine of the "
			      "cluster.\n", m->cluster);
	else if (strncmp(level, "group:", 6) == 0)
		cli_printf(c, "Mode is now Group %s: settings apply to the machines of that "
			      "group.\n", level + 6);
	else
		cli_printf(c, "Mode is now Machine %s: settings apply to this machine only.\n",
		    m->machine);
	return CMD_OK;
}

/* to_group - check that group exists, then switch */
static enum cmd_ret
to_group(struct cli *c, const struct cluster_member *m, const char *group)
{
	char **names, *cause = NULL, *level;
	int n, found = 0;
	enum cmd_ret r;

	if (!cluster_name_ok(group)) {
		cli_error(c, "Invalid group name '%.64s': use 1 to 63 letters, digits, '.', '_' "
			     "or '-'.", group);
		return CMD_ERROR;
	}
	/* this machine's group is mirrored here: known even while etcd is down */
	if (strcmp(group, m->group) != 0) {
		if (groups(c, &names, &n, &cause) < 0) {
			cli_error(c, "Cannot check group %s: %s", group, cause);
			free(cause);
			return CMD_ERROR;
		}
		for (int i = 0; i < n; i++)
			found |= strcmp(names[i], group) == 0;
		free_names(names, n);
		if (!found) {
			cli_error(c, "There is no group %s in cluster %s (clusterconfig list shows "
				     "the groups).", group, m->cluster);
			return CMD_ERROR;
		}
	}
	level = str_printf("group:%s", group);
	r = set_level(c, m, level);
	free(level);
	return r;
}

/* dialog - "Choose a mode:" Cluster, each group, Machine */
static enum cmd_ret
dialog(struct cli *c, const struct cluster_member *m)
{
	const char *items[MAX_CHOICES + 2], *cur = cluster_session_current(c->st);
	char *labels[MAX_CHOICES + 2], **names = NULL, *cause = NULL;
	int n = 0, ng = 0, def = 1, pick;
	enum ask_ret a;
	enum cmd_ret r = CMD_OK;

	if (groups(c, &names, &ng, &cause) < 0) {
		cli_printf(c, "Groups are not offered: %s\n", cause);
		free(cause);
		names = NULL;
		ng = 0;
	}
	if (ng > MAX_CHOICES)
		ng = MAX_CHOICES;
	labels[n++] = str_printf("Cluster %s", m->cluster);
	for (int i = 0; i < ng; i++) {
		if (strncmp(cur, "group:", 6) == 0 && strcmp(cur + 6, names[i]) == 0)
			def = n + 1;
		labels[n++] = str_printf("Group %s", names[i]);
	}
	if (strcmp(cur, "machine") == 0)
		def = n + 1;
	labels[n++] = str_printf("Machine %s", m->machine);
	for (int i = 0; i < n; i++)
		items[i] = labels[i];
	a = cli_ask_list(c, "Choose a mode:", items, n, def, &pick);
	if (a == ASK_ABORT)
		r = CMD_ABORTED;
	else if (a == ASK_OK) {
		if (no_pending(c) < 0)
			r = CMD_ERROR;
		else if (pick == 0)
			r = set_level(c, m, "cluster");
		else if (pick == n - 1)
			r = set_level(c, m, "machine");
		else
			r = to_group(c, m, names[pick - 1]);
	}
	for (int i = 0; i < n; i++)
		free(labels[i]);
	free_names(names, ng);
	return r;
}

/* clustermode_exec - the dialogue, or one mode */
static enum cmd_ret
clustermode_exec(struct cli *c, int argc, char **argv)
{
	static const struct cmd_word modes[] = {
		{ "cluster", "", NULL }, { "group", "", NULL }, { "machine", "", NULL },
		{ NULL, NULL, NULL },
	};
	struct cluster_member m;
	const char *mode = NULL;
	enum cmd_ret r;

	if (argc > 0 && ((mode = cmd_word_match(modes, argv[0])) == NULL ||
	    (strcmp(mode, "cluster") == 0 && argc != 1) ||
	    (strcmp(mode, "group") == 0 && argc != 2) ||
	    (strcmp(mode, "machine") == 0 && argc > 2)))
		return cmd_usage_error(c, &cmd_clustermode_entry, NULL);
	if (member(c, &m) != 0)
		return CMD_ERROR;
	if (mode == NULL)
		r = dialog(c, &m);
	else if (no_pending(c) < 0)
		r = CMD_ERROR;
	else if (strcmp(mode, "cluster") == 0)
		r = set_level(c, &m, "cluster");
	else if (strcmp(mode, "group") == 0)
		r = to_group(c, &m, argv[1]);
	else if (argc == 2 && strcmp(argv[1], m.machine) != 0) {
		if (cluster_name_ok(argv[1]))
			cli_error(c, "Machine-level settings of %s are changed on %s itself.",
			    argv[1], argv[1]);
		else
			cli_error(c, "Invalid machine name '%.64s'.", argv[1]);
		r = CMD_ERROR;
	} else
		r = set_level(c, &m, "machine");
	cluster_member_free(&m);
	return r;
}

static const struct cmd_word group_name[] = {
	{ "<GROUP>", "the group's name (clusterconfig list shows them)", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word machine_name[] = {
	{ "<MACHINE>", "this machine's name (optional)", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word clustermode_words[] = {
	{ "cluster", "Settings shared by every machine of the cluster.", NULL },
	{ "group", "Settings of one group's machines.", group_name },
	{ "machine", "This machine's own settings.", machine_name },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_clustermode_entry = {
	.name = "clustermode",
	.usage = "clustermode\n"
		 "clustermode cluster\n"
		 "clustermode group GROUP\n"
		 "clustermode machine [MACHINE]",
	.help = "Choose the cluster level (cluster, group, machine) this session configures.",
	.words = clustermode_words,
	.exec = clustermode_exec,
};
