/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Mappings of an entry's data into user space.
 */
#ifndef _WMS_MAP_H
#define _WMS_MAP_H

#include <linux/types.h>

struct vm_area_struct;
struct wms_entry;

int wms_map(struct vm_area_struct *vma, struct wms_entry *entry,
	    bool writable);
bool wms_vma_maps_entry(const struct vm_area_struct *vma,
			const struct wms_entry *entry);

#endif /* _WMS_MAP_H */
