// SPDX-License-Identifier: GPL-2.0
/*
 * Attached files: after ATTACH, read/write/pread/pwrite/lseek work on the
 * entry's data at the file position, and mmap maps its pages. Before ATTACH
 * each of them fails with -EBADFD.
 *
 * A mapping must keep the memory alive after its file is closed without
 * keeping the file counted as attached, so mmap moves the mapping onto an
 * anonymous file of its own that holds a reference to the entry (as
 * dma-buf does with vma_set_file()). That file also pins the module, so
 * `rmmod wms` is refused while a mapping lives.
 */

#include <linux/anon_inodes.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "access.h"
#include "file.h"
#include "registry.h"

#ifndef WMS_HAVE_VM_FLAGS_SET	/* before Linux 6.3 */
static void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static void vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/**
 * wms_file_attach() - bind an open file to an entry
 * @wf: the file's state
 * @entry: a referenced entry; the file takes over the reference
 * @writable: whether writes and writable mappings are allowed
 *
 * Return: 0, or -EBUSY if the file is already attached (the reference is
 * then still the caller's).
 */
int wms_file_attach(struct wms_file *wf, struct wms_entry *entry,
		    bool writable)
{
	int err = 0;

	spin_lock(&wf->attach_lock);
	if (wf->entry) {
		err = -EBUSY;
	} else {
		wf->writable = writable;
		atomic_inc(&entry->attached);
		/* Publishes @writable with it: see wms_file_entry(). */
		smp_store_release(&wf->entry, entry);
	}
	spin_unlock(&wf->attach_lock);
	return err;
}

/**
 * wms_file_detach() - let go of the attached entry, when the file is released
 * @wf: the file's state
 */
void wms_file_detach(struct wms_file *wf)
{
	if (!wf->entry)
		return;
	atomic_dec(&wf->entry->attached);
	wms_entry_put(wf->entry);
	wf->entry = NULL;
}

/* The attached entry, or NULL. Set once; stays until release. */
static struct wms_entry *wms_file_entry(struct file *file)
{
	struct wms_file *wf = file->private_data;

	/* Pairs with smp_store_release() in wms_file_attach(). */
	return smp_load_acquire(&wf->entry);
}

ssize_t wms_file_read(struct file *file, char __user *buf, size_t count,
		      loff_t *ppos)
{
	struct wms_entry *entry = wms_file_entry(file);
	ssize_t done;

	if (!entry)
		return -EBADFD;
	if (*ppos < 0)
		return -EINVAL;
	done = wms_data_read(entry, buf, *ppos, count);
	if (done > 0)
		*ppos += done;
	return done;
}

ssize_t wms_file_write(struct file *file, const char __user *buf,
		       size_t count, loff_t *ppos)
{
	struct wms_file *wf = file->private_data;
	struct wms_entry *entry = wms_file_entry(file);
	loff_t pos = *ppos;
	int err;

	if (!entry)
		return -EBADFD;
	if (!wf->writable)
		return -EACCES;
	if (pos < 0)
		return -EINVAL;
	/* As WRITE: past the end is -EFBIG whatever the length. */
	if (pos > entry->size || count > entry->size - pos)
		return -EFBIG;
	if (!count)
		return 0;
	err = wms_data_write(entry, pos, buf, count);
	if (err)
		return err;
	*ppos = pos + count;
	return count;
}

loff_t wms_file_llseek(struct file *file, loff_t offset, int whence)
{
	struct wms_entry *entry = wms_file_entry(file);

	if (!entry)
		return -EBADFD;
	/* Beyond the size is -EINVAL; SEEK_DATA/SEEK_HOLE see all data. */
	return generic_file_llseek_size(file, offset, whence, entry->size,
					entry->size);
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
};

int wms_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct wms_file *wf = file->private_data;
	struct wms_entry *entry = wms_file_entry(file);
	unsigned long pages = vma_pages(vma), nr_pages, i;
	struct file *map;
	int err;

	if (!entry)
		return -EBADFD;
	/* MAP_SHARED of a read-only file has VM_MAYSHARE without VM_SHARED. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	nr_pages = DIV_ROUND_UP(entry->size, PAGE_SIZE);
	if (vma->vm_pgoff >= nr_pages || pages > nr_pages - vma->vm_pgoff)
		return -EINVAL;
	if (!wf->writable) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		/* No mprotect(PROT_WRITE) later either. */
		vm_flags_clear(vma, VM_MAYWRITE);
	}
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	/*
	 * Marks the mapping as this entry's, and counts it from before its
	 * first page is mapped: see wms_range_maps_entry().
	 */
	vma->vm_private_data = entry;
	atomic_inc(&entry->mapped);

	for (i = 0; i < pages; i++) {
		err = vm_insert_page(vma, vma->vm_start + (i << PAGE_SHIFT),
				     wms_data_page(entry, vma->vm_pgoff + i));
		if (err)
			goto uncount;
	}

	wms_entry_get(entry);
	map = anon_inode_getfile("[wms]", &wms_map_fops, entry, O_RDWR);
	if (IS_ERR(map)) {
		wms_entry_put(entry);
		err = PTR_ERR(map);
		goto uncount;
	}
	/* The mapping's file now holds the count (wms_map_release()). */
	vma_set_file(vma, map);
	fput(map);
	return 0;

uncount:
	atomic_dec(&entry->mapped);
	return err;
}
