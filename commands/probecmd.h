/*
 * probecmd.h - what smtptest and tlsverify share: the target argument,
 * the CA bundle certconfig set, and the run of net/smtpprobe.c with its
 * steps printed as they happen.
 */
#ifndef COMMANDS_PROBECMD_H
#define COMMANDS_PROBECMD_H

#include "commands/cli.h"
#include "net/smtpprobe.h"

/* Each step's ceiling: connect, every reply, the handshake. */
#define PROBECMD_TIMEOUT_MS 10000

/*
 * probecmd_run - probe host:port; tls_only prints the connection and
 * TLS lines without the SMTP dialogue and ends with the verdict, which
 * then decides the result (a certificate that does not verify or does
 * not name the host fails). Errors: one line, CMD_ERROR.
 */
enum cmd_ret probecmd_run(struct cli *c, const char *host, int port, enum smtpprobe_tls tls,
    int tls_only);

/*
 * probecmd_ask_target - the dialogue's host and port questions: ASK_OK
 * with host and *port set (a bad answer is asked again)
 */
enum ask_ret probecmd_ask_target(struct cli *c, char *host, size_t size, int *port);

#endif
