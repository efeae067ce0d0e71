/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /proc/driver/wms: the registry's entries, one a line, readable by all.
 */
#ifndef _WMS_PROC_H
#define _WMS_PROC_H

struct wms_registry;

int wms_proc_register(struct wms_registry *reg);
void wms_proc_unregister(void);

#endif /* _WMS_PROC_H */
