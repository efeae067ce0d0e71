/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /dev/wms: the character device in front of a registry.
 */
#ifndef _WMS_DEV_H
#define _WMS_DEV_H

struct wms_registry;

int wms_dev_register(struct wms_registry *reg);
void wms_dev_unregister(void);

#endif /* _WMS_DEV_H */
