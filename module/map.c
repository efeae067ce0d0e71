// SPDX-License-Identifier: GPL-2.0
/*
 * Mappings of an entry's data. A mapping must keep the memory alive after
 * the /dev/wms file it was made through is closed, without keeping that
 * file counted as attached, so mmap moves the mapping onto an anonymous
 * file of its own that holds a reference to the entry (as dma-buf does with
 * vma_set_file()). That file also pins the module, so `rmmod wms` is
 * refused while a mapping lives.
 *
 * Pages are mapped when first touched, by the fault handler, and again
 * after anything zapped them (madvise(MADV_DONTNEED), a fork's child): the
 * pages of the data are fixed for the entry's life, so every page within
 * the mapping stays reachable as long as the mapping does. Nothing is
 * mapped at mmap time, so a large mapping costs no long loop there.
 */

#include <linux/anon_inodes.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>

#include "compat.h"
#include "map.h"
#include "registry.h"

static vm_fault_t wms_map_fault(struct vm_fault *vmf)
{
	struct wms_entry *entry = vmf->vma->vm_private_data;
	struct page *page;

	/* mmap checked the range, and VM_DONTEXPAND keeps it. */
	if (WARN_ON_ONCE(vmf->pgoff >= DIV_ROUND_UP(entry->size, PAGE_SIZE)))
		return VM_FAULT_SIGBUS;
	page = wms_data_page(entry, vmf->pgoff);
	get_page(page);
	vmf->page = page;
	return 0;
}

/*
 * Without it, a write fault would stamp the mapping's file with
 * file_update_time(): that file's inode is the anon inode that every
 * eventfd, epoll and timerfd shares, so any user could time other users'
 * writes. The page needs no preparing: lock it, as the caller expects.
 */
static vm_fault_t wms_map_mkwrite(struct vm_fault *vmf)
{
	lock_page(vmf->page);
	return VM_FAULT_LOCKED;
}

static const struct vm_operations_struct wms_vm_ops = {
	.fault = wms_map_fault,
	.page_mkwrite = wms_map_mkwrite,
};

/**
 * wms_vma_maps_entry() - whether a VMA is a mapping of an entry
 * @vma: a VMA of the current mm, its mmap lock held
 * @entry: the entry
 *
 * Return: true if @vma was made by wms_map() for @entry.
 */
bool wms_vma_maps_entry(const struct vm_area_struct *vma,
			const struct wms_entry *entry)
{
	return vma->vm_ops == &wms_vm_ops && vma->vm_private_data == entry;
}

static int wms_map_release(struct inode *inode, struct file *file)
{
	struct wms_entry *entry = file->private_data;

	atomic_dec(&entry->mapped);
	wms_entry_put(entry);
	return 0;
}

/* The file a mapping hangs on once its /dev/wms file may be closed. */
static const struct file_operations wms_map_fops = {
	.owner = THIS_MODULE,
	.release = wms_map_release,
	/* msync(MS_SYNC): the data is memory, always in sync. */
	.fsync = noop_fsync,
};

/**
 * wms_map() - make a VMA a mapping of an entry's data
 * @vma: the VMA of an mmap of an attached file
 * @entry: the attached entry
 * @writable: whether the attacher may write the entry
 *
 * Return: 0, -EINVAL (not MAP_SHARED, or beyond the data's pages), -EACCES
 * (PROT_WRITE without write permission) or -ENOMEM.
 */
int wms_map(struct vm_area_struct *vma, struct wms_entry *entry,
	    bool writable)
{
	unsigned long nr_pages = DIV_ROUND_UP(entry->size, PAGE_SIZE);
	struct file *map;

	/* MAP_SHARED of a read-only file has VM_MAYSHARE without VM_SHARED. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_pgoff >= nr_pages ||
	    vma_pages(vma) > nr_pages - vma->vm_pgoff)
		return -EINVAL;
	if (!writable) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		/* No mprotect(PROT_WRITE) later either. */
		vm_flags_clear(vma, VM_MAYWRITE);
	}

	wms_entry_get(entry);
	map = anon_inode_getfile("[wms]", &wms_map_fops, entry, O_RDWR);
	if (IS_ERR(map)) {
		wms_entry_put(entry);
		return PTR_ERR(map);
	}
	/*
	 * Counted until the mapping's file is released (wms_map_release()),
	 * before any page can be mapped: see wms_range_maps_entry().
	 */
	atomic_inc(&entry->mapped);
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_private_data = entry;
	vma->vm_ops = &wms_vm_ops;
	vma_set_file(vma, map);
	fput(map);
	return 0;
}
