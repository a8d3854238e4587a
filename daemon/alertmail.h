/*
 * alertmail.h - mxgated mails each new alert to the alert recipients
 * that want it (alertconfig; mail/alertconf.h), through its own queue:
 * a generated message, sender <>, made durable by the queue writer and
 * delivered as any other ("MID n was generated for alert N").
 *
 * The same alert (severity, class and text) raised again within
 * alert.dup_interval seconds of the last mail about it is not mailed; it
 * is counted, and the next mail about it says how many were left out.
 * An alert mail never causes an alert mail: alerts raised while one is
 * being made are not mailed, an alert mail has sender <> (no bounce
 * comes back), and after the queue could not store an alert mail no
 * alert is mailed for the duplicate interval (the alerts are still in
 * displayalerts and mail_logs).
 */
#ifndef DAEMON_ALERTMAIL_H
#define DAEMON_ALERTMAIL_H

#include <stdint.h>

#include "store/alert.h"

struct gw;

/*
 * alertmail_alert - an alert was raised (gw_alert): mail it to the
 * recipients that want it; before alertmail_start it waits (bounded)
 */
void alertmail_alert(struct gw *gw, enum alert_severity severity, const char *aclass,
    const char *text, int64_t alert_id);

/* alertmail_start - the queue writer and delivery run: mail the alerts that waited */
void alertmail_start(struct gw *gw);

#endif
