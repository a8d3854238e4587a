/*
 * cmd_util.h - helpers shared by command files: key=value arguments and
 * the readable form of configuration changes.
 */
#ifndef COMMANDS_CMD_UTIL_H
#define COMMANDS_CMD_UTIL_H

#include <stdint.h>

#include "commands/cli.h"

struct queue;

/* cmd_kv_split - split "key=value"; 0, or -1 if the word has no '=' */
int cmd_kv_split(char *word, char **key, char **value);

/*
 * cmd_show_change - print one change as "+|-|~ section key = value (was: old)";
 * a secret masked, a PEM named, the RDAP bootstrap summed up as "RDAP
 * bootstrap (N services, B bytes)", any other value longer than
 * CMD_SHOW_VALUE_MAX bytes cut to its first CMD_SHOW_VALUE_CUT and its size
 */
#define CMD_SHOW_VALUE_MAX 1024
#define CMD_SHOW_VALUE_CUT 200
void cmd_show_change(struct cli *c, const char *indent, const char *section, const char *key,
    const char *oldv, const char *newv);

/* cmd_pending_count_text - "N pending change(s)" helper for warnings */
int cmd_pending(struct cli *c);

/* cmd_queue - the queue database, opened on first use; NULL (error printed) on failure */
struct queue *cmd_queue(struct cli *c);

/* cmd_serial - this gateway's serial number (store/remed.h remed_serial); error printed */
int cmd_serial(struct cli *c, char *out, size_t size);

/* cmd_daemon_running - is mxgated running on this data directory? (its pid file is locked) */
int cmd_daemon_running(struct cli *c);

/*
 * cmd_wait_applied - after commit id: if mxgated runs, wait (up to
 * CMD_APPLY_WAIT_MS) until it has applied that commit, then print
 * "mxgated applied commit N" or, as error lines, every alert it raised
 * for it. CMD_ERROR when it could not apply all of it, did not get to it
 * in time, or the wait was interrupted; the commit itself stands.
 */
#define CMD_APPLY_WAIT_MS 10000
enum cmd_ret cmd_wait_applied(struct cli *c, int64_t id);

/*
 * cmd_wait_request - after queue_request_add_id(q, ..., &id) is committed:
 * wait up to ms for mxgated to take request id. 0 taken (done when the
 * request's work is done at once); 1 mxgated is not running, or stopped
 * before taking it: it takes the request when it starts (nothing printed,
 * the caller says what that means); -1 after one error line: Ctrl-C, no
 * answer within ms, or queue.db unreadable. pending ends that line and
 * says what stands, e.g. "the change is saved and applies when it does".
 */
int cmd_wait_request(struct cli *c, struct queue *q, int64_t id, int ms, const char *pending);

/* cmd_num - "182,000": a number with thousands separators, into buf */
const char *cmd_num(long long v, char *buf, size_t size);

/* cmd_duration - "1h 15m 2s" */
const char *cmd_duration(long long secs, char *buf, size_t size);

#endif
