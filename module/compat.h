/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels wms builds on. Kbuild probes the
 * headers it builds against for each API (not the version number) and
 * defines a WMS_HAVE_* macro for what it finds; this header fills in the
 * rest, so that the other files use one spelling.
 */
#ifndef _WMS_COMPAT_H
#define _WMS_COMPAT_H

#include <linux/mm.h>

#ifndef WMS_HAVE_VM_FLAGS_SET	/* before Linux 6.3 */
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma,
				  vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/* pin_user_pages() lost its vmas argument in Linux 6.5. */
static inline long wms_pin_user_pages(unsigned long start,
				      unsigned long nr_pages,
				      unsigned int gup_flags,
				      struct page **pages)
{
#ifdef WMS_HAVE_PIN_USER_PAGES_VMAS
	return pin_user_pages(start, nr_pages, gup_flags, pages, NULL);
#else
	return pin_user_pages(start, nr_pages, gup_flags, pages);
#endif
}

#endif /* _WMS_COMPAT_H */
