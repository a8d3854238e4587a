/*
 * smtpd.h - the SMTP listeners and inbound sessions of mxgated.
 */
#ifndef DAEMON_SMTPD_H
#define DAEMON_SMTPD_H

struct gw;
struct smtpd;

/* smtpd_new - no listeners yet; smtpd_reconfigure binds them */
struct smtpd *smtpd_new(struct gw *gw);

/* smtpd_reconfigure - follow gw->conf: bind new listeners, close removed ones */
void smtpd_reconfigure(struct smtpd *s);

/* smtpd_shutdown - stop listening; 421 idle sessions; let committing ones finish */
void smtpd_shutdown(struct smtpd *s);

/* smtpd_busy - sessions whose message is being made durable */
int smtpd_busy(const struct smtpd *s);

/* smtpd_sessions - open inbound connections */
int smtpd_sessions(const struct smtpd *s);

/* smtpd_free - close everything */
void smtpd_free(struct smtpd *s);

#endif
