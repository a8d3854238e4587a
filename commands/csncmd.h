/*
 * csncmd.h - Cisco Success Network telemetry at the shell (issue 14,
 * seed 004): `cloudserviceconfig csn enable|disable|print|send`, reached
 * through cmd_cloudserviceconfig.c.
 *
 *   enable, disable  stage cloud.csn (pending until commit)
 *   print            the exact JSON that would be sent now, built from
 *                    the running state by mail/csn.h (the same builder
 *                    mxgated sends with)
 *   send             ask mxgated to send now (request "csnsend") and
 *                    print its outcome; refused, saying why, while CSN
 *                    or the cloud service is off or the gateway is not
 *                    registered
 */
#ifndef COMMANDS_CSNCMD_H
#define COMMANDS_CSNCMD_H

struct cli;

/* csncmd - argv[0] is the word after "csn"; a CMD_* result (commands/cmd.h) */
int csncmd(struct cli *c, int argc, char **argv);

/* csncmd_status - the CSN lines of `cloudserviceconfig status` (enabled, last send, next send, last error) */
void csncmd_status(struct cli *c);

#endif
