/*
 * version.h - the release of mxgate, shown by `version` and in banners.
 */
#ifndef UTIL_VERSION_H
#define UTIL_VERSION_H

#define MXGATE_VERSION "0.1.0"
#define MXGATE_PRODUCT "mxgate Email Security Gateway"

#endif
