/*
 * version: Paddock's release, as its tools report it (the BOM's
 * metadata.tools, logs).  Raised with each release.
 */
#ifndef PADDOCK_VERSION_H
#define PADDOCK_VERSION_H

#define PADDOCK_VERSION	"0.1.0"

#endif
