/*
 * syntax.h - syntax checks for names operators type: host names, domains,
 * IP addresses, ports, e-mail addresses. They judge form only; nothing
 * here resolves or connects.
 */
#ifndef UTIL_SYNTAX_H
#define UTIL_SYNTAX_H

/* syntax_hostname - RFC 1123 host name: labels of [A-Za-z0-9-], no edge '-', <= 253 */
int syntax_hostname(const char *s);

/* syntax_ipv4 - dotted quad */
int syntax_ipv4(const char *s);

/* syntax_ipv6 - textual IPv6 address */
int syntax_ipv6(const char *s);

/* syntax_port - decimal 1..65535; *port receives it */
int syntax_port(const char *s, int *port);

/* syntax_email - local@domain with an RFC 5321 dot-atom local part and a host name domain */
int syntax_email(const char *s);

/* syntax_field_name - RFC 5322 3.6.8 header field name: 1-76 printable US-ASCII, no ':' */
int syntax_field_name(const char *s);

/*
 * syntax_https_url - "https://HOST[:PORT][/PATH]": HOST a host name, an
 * IPv4 address or [IPv6]; PATH printable US-ASCII without blanks
 */
int syntax_https_url(const char *s);

#endif
