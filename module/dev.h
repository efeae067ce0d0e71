/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /dev/wms: the character device in front of the registries, one per IPC
 * namespace.
 */
#ifndef _WMS_DEV_H
#define _WMS_DEV_H

struct wms_namespaces;

int wms_dev_register(struct wms_namespaces *nss);
void wms_dev_unregister(void);

#endif /* _WMS_DEV_H */
