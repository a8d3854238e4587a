/*
 * cfgcmd.h - what saveconfig, showconfig and loadconfig share: the
 * running configuration as a file (mail/cfgfile.h), and the directory
 * DIR/configuration/ that holds saved files (mode 0700, files 0600).
 */
#ifndef COMMANDS_CFGCMD_H
#define COMMANDS_CFGCMD_H

#include "commands/cli.h"
#include "mail/cfgfile.h"

#define CFGCMD_DIR "configuration"	/* below the data directory */

/*
 * cfgcmd_build - f (initialised here) filled with every running item and
 * the header; errors printed. open: secrets in clear (a file that encrypts
 * them), else left sealed, each only "set" (SETTINGS_MASK) or "" (a file
 * that masks them reads no secret and needs no DIR/secret.key)
 */
int cfgcmd_build(struct cli *c, struct cfgfile *f, int open);

/*
 * cfgcmd_dir - DIR/configuration, open (created 0700 if missing) for the
 * *at calls; -1 with the error printed
 */
int cfgcmd_dir(struct cli *c);

#endif
