/*
 * cloudconf.h - the Cisco Cloud Service's servers by region (seed 004):
 * where a gateway registers, which threat response platform may call its
 * module, where telemetry goes. A value that is not a region name is an
 * https:// URL given by the operator (a private or test service).
 *
 *   registration (REGISTER server=)     nam  https://api-sse.cisco.com
 *                                       eu   https://api.eu.sse.itd.cisco.com
 *                                       apjc https://api.apj.sse.itd.cisco.com
 *   threat response (SETTRS, cloud.tr_server)
 *                                       nam  https://visibility.amp.cisco.com
 *                                       eu   https://visibility.eu.amp.cisco.com
 *                                       apjc https://visibility.apjc.amp.cisco.com
 *   telemetry: cloud.csn_url, else the registration server's URL and
 *   CLOUD_CSN_PATH.
 */
#ifndef MAIL_CLOUDCONF_H
#define MAIL_CLOUDCONF_H

#include <stddef.h>

#define CLOUD_REGIONS "nam|eu|apjc"
#define CLOUD_REGISTER_PATH "/v1/devices/registration"	/* POST (and DELETE .../ID) [inferred] */
#define CLOUD_CSN_PATH "/v1/telemetry/csn"			/* POST [inferred] */

/* cloud_region_ok - is s one of CLOUD_REGIONS (case-insensitive)? */
int cloud_region_ok(const char *s);

/*
 * cloud_register_url - the registration service's base URL for a region
 * name or a URL (copied without its trailing '/'); 0, or -1 when s is
 * neither a region nor an https:// URL
 */
int cloud_register_url(const char *s, char *out, size_t size);

/* cloud_tr_url - the threat response server's URL for a region name or a URL; 0 or -1 */
int cloud_tr_url(const char *s, char *out, size_t size);

/* cloud_url_host - the host of an https:// URL (no port, no brackets); 0 or -1 */
int cloud_url_host(const char *url, char *out, size_t size);

/*
 * cloud_region_label - "NAM - api-sse.cisco.com" style label of a
 * region for dialogues and STATUS; a URL is returned as it is
 */
const char *cloud_region_label(const char *s);

#endif
