/* SPDX-License-Identifier: GPL-2.0 */
/* IPC namespaces as the keys of the registries table (see ns.h). */
#ifndef _WMS_IPCNS_H
#define _WMS_IPCNS_H

struct wms_ns_ops;

extern const struct wms_ns_ops wms_ipcns_ops;

const void *wms_ipcns_initial(void);

#endif /* _WMS_IPCNS_H */
