/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who may access an entry, and all-or-nothing copies between user memory
 * and an entry's data: shared by the ioctls and the attached-file calls.
 */
#ifndef _WMS_ACCESS_H
#define _WMS_ACCESS_H

#include <linux/compiler.h>
#include <linux/types.h>

struct wms_entry;

int wms_permission(const struct wms_entry *entry, int may);
bool wms_may(const struct wms_entry *entry, int may);
int wms_may_remove(const struct wms_entry *entry);

ssize_t wms_data_read(struct wms_entry *entry, void __user *buf, u64 offset,
		      u64 len);
int wms_data_write(struct wms_entry *entry, u64 offset,
		   const void __user *buf, size_t len);

#endif /* _WMS_ACCESS_H */
