/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wms: the in-kernel API of the named kernel-memory registry.
 *
 * Kernel callers are trusted: no permission checks and no per-user quota
 * apply to them, only the module's global limits. Every reference returned
 * by wms_add() or wms_get() must be released with wms_put(); the memory of a
 * removed entry lives exactly as long as its last reference.
 */
#ifndef _LINUX_WMS_H
#define _LINUX_WMS_H

#include <linux/types.h>
#include <uapi/linux/wms.h>

struct wms_entry;

struct wms_entry *wms_add(const char *name, size_t size, unsigned int flags,
			  bool *created);
struct wms_entry *wms_get(const char *name);
void wms_put(struct wms_entry *entry);
int wms_remove(const char *name);
bool wms_exists(const char *name);
size_t wms_size(const struct wms_entry *entry);
void *wms_data(struct wms_entry *entry);

#endif /* _LINUX_WMS_H */
