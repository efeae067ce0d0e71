// SPDX-License-Identifier: GPL-2.0
/*
 * Attached files: after ATTACH, read/write/pread/pwrite/lseek work on the
 * entry's data at the file position, and mmap maps its pages (map.c).
 * Before ATTACH each of them fails with -EBADFD.
 */

#include <linux/err.h>
#include <linux/fs.h>

#include "access.h"
#include "file.h"
#include "map.h"
#include "registry.h"

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

int wms_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct wms_file *wf = file->private_data;
	struct wms_entry *entry = wms_file_entry(file);

	if (!entry)
		return -EBADFD;
	return wms_map(vma, entry, wf->writable);
}
