/*
 * suspend.h - suspended listeners and suspended delivery (suspendlistener,
 * suspenddel, suspend and their resume commands).
 */
#ifndef DAEMON_SUSPEND_H
#define DAEMON_SUSPEND_H

struct gw;

/*
 * suspend_load - read the persisted state (queue.db state
 * "suspend.listeners", "suspend.delivery") at start-up, before the
 * listeners accept and before delivery starts; logs what is suspended
 */
void suspend_load(struct gw *gw);

/*
 * suspend_request - a shell request: verb suspendlistener,
 * resumelistener, suspenddel or resumedel, arg "COMMAND USER ITEMS"
 * (ITEMS: comma list or ALL). The shell has written the new state; it is
 * read again, logged, and resumed destinations start delivering at once.
 */
void suspend_request(struct gw *gw, const char *verb, const char *arg);

/* suspend_listener_held - is this listener suspended (new sessions get 421)? */
int suspend_listener_held(struct gw *gw, const char *listener);

/* suspend_delivery_held - is delivery to this destination queue suspended? */
int suspend_delivery_held(struct gw *gw, const char *dest);

#endif
