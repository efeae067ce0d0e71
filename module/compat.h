/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels wms builds on (Linux 5.10 and later).
 * Kbuild probes the headers it builds against for each API (not the
 * version number) and defines a WMS_HAVE_* macro for what it finds; this
 * header fills in the rest, so that the other files use one spelling.
 */
#ifndef _WMS_COMPAT_H
#define _WMS_COMPAT_H

#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/proc_fs.h>

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

#ifndef WMS_HAVE_VMA_SET_FILE	/* before Linux 5.11: its body there */
static inline void vma_set_file(struct vm_area_struct *vma, struct file *file)
{
	get_file(file);
	swap(vma->vm_file, file);
	fput(file);
}
#endif

#ifndef WMS_HAVE_KMAP_LOCAL	/* before Linux 5.11 */
/*
 * Their bodies in 5.11 without CONFIG_HIGHMEM (every 64-bit kernel): the
 * page's address in the direct map, nothing to undo. wms supports no
 * 32-bit kernel this old; a highmem one fails to build here.
 */
static inline void *kmap_local_page(struct page *page)
{
	BUILD_BUG_ON(IS_ENABLED(CONFIG_HIGHMEM));
	return page_address(page);
}

static inline void kunmap_local(void *addr)
{
}
#endif

#ifndef WMS_HAVE_PDE_DATA	/* before Linux 5.17 */
static inline void *pde_data(const struct inode *inode)
{
	return PDE_DATA(inode);
}
#endif

#ifdef WMS_HAVE_GUP_NOFAULT	/* Linux 5.16 and later */
/* Whether wms_pin_user_pages_nofault() and wms_fault_in() may be used. */
static inline bool wms_can_pin_nofault(void)
{
	return true;
}

/**
 * wms_pin_user_pages_nofault() - pin user pages that are present
 * @start: page-aligned user address
 * @nr_pages: pages from @start
 * @gup_flags: FOLL_WRITE to write to them, or 0
 * @pages: receives the pages
 *
 * Called with the mmap lock held; never faults, so never waits for a
 * userfaultfd or FUSE with it held.
 *
 * Return: the pages pinned (fewer than @nr_pages if one is not present
 * or cannot be pinned without a fault), or -errno.
 */
static inline long wms_pin_user_pages_nofault(unsigned long start,
					      unsigned long nr_pages,
					      unsigned int gup_flags,
					      struct page **pages)
{
	gup_flags |= FOLL_NOFAULT;
#ifdef WMS_HAVE_PIN_USER_PAGES_VMAS	/* before Linux 6.5 */
	return pin_user_pages(start, nr_pages, gup_flags, pages, NULL);
#else
	return pin_user_pages(start, nr_pages, gup_flags, pages);
#endif
}

/**
 * wms_fault_in() - fault a user range in, with no lock held
 * @buf: user address
 * @len: bytes
 * @write: for writing (without writing to it), else for reading
 *
 * Return: 0, or -EFAULT if some byte is not accessible.
 */
static inline int wms_fault_in(void __user *buf, size_t len, bool write)
{
	if (write ? fault_in_safe_writeable(buf, len) :
		    fault_in_readable(buf, len))
		return -EFAULT;
	return 0;
}
#else
/*
 * Before Linux 5.16 GUP has no FOLL_NOFAULT: it faults a missing page in
 * with the mmap lock held, where a fault may wait as long as a userfaultfd
 * or FUSE makes it. Nor is there a fault-in for writing that does not
 * store to the user's memory (fault_in_pages_writeable() writes zeros,
 * racing with the user's own threads). So no copy pins user pages there:
 * each goes through a kernel buffer, and copy_to_user() and
 * copy_from_user() fault with no lock held. Slower, never unsafe. The two
 * below are never called (the build fails if a call is not optimised out).
 */
static inline bool wms_can_pin_nofault(void)
{
	return false;
}

static inline long wms_pin_user_pages_nofault(unsigned long start,
					      unsigned long nr_pages,
					      unsigned int gup_flags,
					      struct page **pages)
{
	BUILD_BUG();
	return 0;
}

static inline int wms_fault_in(void __user *buf, size_t len, bool write)
{
	BUILD_BUG();
	return -EFAULT;
}
#endif

#endif /* _WMS_COMPAT_H */
