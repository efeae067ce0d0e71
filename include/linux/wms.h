/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wms: the in-kernel API of the named kernel-memory registry.
 *
 * It acts on the registry of the initial IPC namespace, whoever calls it:
 * entries of other IPC namespaces (containers) are out of its reach.
 *
 * Kernel callers are trusted: no permission checks and no per-user quota
 * apply to them, only the module's global limits. Every reference returned
 * by wms_add(), wms_add_mode() or wms_get() must be released with wms_put();
 * the memory of a removed entry lives exactly as long as its last reference.
 *
 * Trust: names that begin with '.' are reserved for kernel callers (user
 * space cannot create one), and wms_add()/wms_add_mode() never return an
 * entry created through /dev/wms (-EEXIST). wms_get() finds any entry:
 * wms_is_kernel_entry() tells who made it.
 *
 * Contexts (each function's kernel-doc says the same):
 *   wms_add(), wms_add_mode(), wms_remove(), wms_put()  process context,
 *                                                       may sleep
 *   wms_get(), wms_exists(), wms_size(), wms_data(),
 *   wms_is_kernel_entry()                               any context
 */
#ifndef _LINUX_WMS_H
#define _LINUX_WMS_H

#include <linux/types.h>
#include <uapi/linux/wms.h>

struct wms_entry;

struct wms_entry *wms_add(const char *name, size_t size, unsigned int flags,
			  bool *created);
struct wms_entry *wms_add_mode(const char *name, size_t size,
			       unsigned int flags, umode_t mode, bool *created);
struct wms_entry *wms_get(const char *name);
void wms_put(struct wms_entry *entry);
int wms_remove(const char *name);
bool wms_exists(const char *name);
size_t wms_size(const struct wms_entry *entry);
void *wms_data(struct wms_entry *entry);
bool wms_is_kernel_entry(const struct wms_entry *entry);

#endif /* _LINUX_WMS_H */
