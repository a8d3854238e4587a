/*
 * sdr_int.h - what the two files of mail/sdr share (sdr.c: inputs,
 * consolidation, log lines, tracker token; sdr_parse.c: the parsers of
 * the sources' formats). Not for other modules: mail/sdr.h is the
 * interface.
 */
#ifndef MAIL_SDR_INT_H
#define MAIL_SDR_INT_H

#include <stddef.h>

#include "mail/sdr.h"

/* sdr_set_cause - *cause = a malloc'd message, when the caller wants one */
void sdr_set_cause(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* sdr_safe_text - s[0..n) with anything but printable ASCII as '?', cut to fit out[size] */
const char *sdr_safe_text(const char *s, size_t n, char *out, size_t size);

/* sdr_domain_norm - s[0..n) as a valid lower-case domain into out, "" if it is not one */
void sdr_domain_norm(const char *s, size_t n, char out[SDR_DOMAIN_MAX + 1]);

#endif
