/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /proc/driver/wms: the entries of the reader's IPC namespace, one a line,
 * readable by all; /proc/driver/wms_namespaces: the registries.
 */
#ifndef _WMS_PROC_H
#define _WMS_PROC_H

struct wms_namespaces;

int wms_proc_register(struct wms_namespaces *nss);
void wms_proc_unregister(void);

#endif /* _WMS_PROC_H */
