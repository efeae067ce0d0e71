// SPDX-License-Identifier: GPL-2.0
/*
 * Permissions follow SysV IPC (ipcperms): the owner's, the group's or the
 * others' bits of the entry's mode grant read and write, and CAP_SYS_ADMIN
 * in the registry's user namespace bypasses them. Data copies hold the
 * entry's data_lock, so each read and write is atomic against the others; a
 * write first makes sure that the whole user buffer can be read (by pinning
 * its pages, or by copying it into the kernel) so that a fault part way
 * leaves the entry unchanged.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/minmax.h>
#include <linux/mmap_lock.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "access.h"
#include "fault.h"
#include "registry.h"

static bool wms_mode_grants(const struct wms_entry *entry, int may)
{
	umode_t granted = entry->mode;

	if (uid_eq(current_fsuid(), entry->uid))
		granted >>= 6;
	else if (in_group_p(entry->gid))
		granted >>= 3;
	return !(may & ~granted & 0007);
}

/**
 * wms_permission() - check the caller's access to an entry
 * @entry: the entry
 * @may: MAY_READ and/or MAY_WRITE
 *
 * Return: 0, or -EACCES.
 */
int wms_permission(const struct wms_entry *entry, int may)
{
	if (wms_mode_grants(entry, may) ||
	    ns_capable(entry->reg->user_ns, CAP_SYS_ADMIN))
		return 0;
	return -EACCES;
}

/**
 * wms_may() - probe the caller's access without auditing a refusal
 * @entry: the entry
 * @may: MAY_READ and/or MAY_WRITE
 *
 * For rights recorded ahead of their use (ATTACH records write access).
 *
 * Return: whether wms_permission() would grant @may.
 */
bool wms_may(const struct wms_entry *entry, int may)
{
	return wms_mode_grants(entry, may) ||
	       ns_capable_noaudit(entry->reg->user_ns, CAP_SYS_ADMIN);
}

/**
 * wms_may_remove() - check that the caller may remove an entry
 * @entry: the entry
 *
 * Return: 0 for its owner or a CAP_SYS_ADMIN caller, else -EPERM.
 */
int wms_may_remove(const struct wms_entry *entry)
{
	if (uid_eq(current_fsuid(), entry->uid) ||
	    ns_capable(entry->reg->user_ns, CAP_SYS_ADMIN))
		return 0;
	return -EPERM;
}

/**
 * wms_data_read() - copy an entry's data to user memory
 * @entry: a referenced entry
 * @buf: user destination
 * @offset: first byte of the data
 * @len: bytes asked for
 *
 * Return: the bytes copied, 0 at or past the end, fewer than @len across it,
 * or -EFAULT if any byte of @buf could not be written.
 */
ssize_t wms_data_read(struct wms_entry *entry, void __user *buf, u64 offset,
		      u64 len)
{
	size_t done;
	int err = 0;

	if (offset >= entry->size)
		return 0;
	done = min_t(u64, len, entry->size - offset);
	if (!done)
		return 0;
	down_read(&entry->data_lock);
	if (copy_to_user(buf, entry->data + offset, done))
		err = -EFAULT;
	up_read(&entry->data_lock);
	return err ?: done;
}

/* Pin at most this many user pages at once on the stack (64 KiB). */
#define WMS_PIN_BATCH	16

/*
 * Whether the user range overlaps a mapping of @entry's own data (mmap
 * marks those with the entry in vm_private_data). Copying such a source
 * page by page would read bytes the copy already overwrote. An entry that
 * no mapping has (entry->mapped is 0: the usual case) needs no walk, and
 * the write takes no mmap lock.
 */
static bool wms_range_maps_entry(struct wms_entry *entry, unsigned long start,
				 size_t len)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	bool found = false;

	if (!atomic_read(&entry->mapped))
		return false;
	mmap_read_lock(mm);
	for (vma = find_vma(mm, start); vma && vma->vm_start < start + len;
	     vma = find_vma(mm, vma->vm_end)) {
		if (vma->vm_private_data == entry) {
			found = true;
			break;
		}
	}
	mmap_read_unlock(mm);
	return found;
}

/*
 * Copy from user pages pinned in advance: once every page is pinned no
 * byte can fault, so the copy into the entry is all or nothing and needs
 * no bounce buffer. Return: 0, or -EFAULT if not every page could be pinned
 * or the source is the entry itself (the caller then falls back to a
 * bounce buffer, which sorts out whether the buffer is really inaccessible).
 */
static int wms_data_write_pinned(struct wms_entry *entry, u64 offset,
				 unsigned long ubuf, size_t len)
{
	struct page *stack_pages[WMS_PIN_BATCH], **pages = stack_pages;
	unsigned int nr = DIV_ROUND_UP(offset_in_page(ubuf) + len, PAGE_SIZE);
	unsigned int i, skip = offset_in_page(ubuf);
	void *dst = entry->data + offset;
	int pinned;

	if (wms_range_maps_entry(entry, ubuf, len))
		return -EFAULT;
	if (nr > WMS_PIN_BATCH) {
		pages = kvmalloc_array(nr, sizeof(*pages), GFP_KERNEL |
				       __GFP_NOWARN);
		if (!pages)
			return -EFAULT;
	}
	pinned = pin_user_pages_fast(ubuf & PAGE_MASK, nr, 0, pages);
	if (pinned == nr) {
		down_write(&entry->data_lock);
		for (i = 0; i < nr; i++) {
			size_t chunk = min_t(size_t, len, PAGE_SIZE - skip);
			void *src = kmap_local_page(pages[i]);

			memcpy(dst, src + skip, chunk);
			kunmap_local(src);
			dst += chunk;
			len -= chunk;
			skip = 0;
		}
		up_write(&entry->data_lock);
	}
	if (pinned > 0)
		unpin_user_pages(pages, pinned);
	if (pages != stack_pages)
		kvfree(pages);
	return pinned == nr ? 0 : -EFAULT;
}

/* Read the whole user buffer into the kernel first, then store it. */
static int wms_data_write_bounce(struct wms_entry *entry, u64 offset,
				 const void __user *buf, size_t len)
{
	void *copy = NULL;
	int err = 0;

	if (!wms_should_fail_alloc(len))
		copy = kvmalloc(len, GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL |
				__GFP_NOWARN);
	if (!copy)
		return -ENOMEM;
	if (copy_from_user(copy, buf, len)) {
		err = -EFAULT;
	} else {
		down_write(&entry->data_lock);
		memcpy(entry->data + offset, copy, len);
		up_write(&entry->data_lock);
	}
	kvfree(copy);
	return err;
}

/**
 * wms_data_write() - copy user memory into an entry's data, all or nothing
 * @entry: a referenced entry
 * @offset: first byte of the data; @offset + @len <= the entry's size
 * @buf: user source
 * @len: bytes, at least 1
 *
 * Either every byte is written, or none is: a fault anywhere in @buf
 * leaves the data as it was.
 *
 * Return: 0, -EFAULT or -ENOMEM.
 */
int wms_data_write(struct wms_entry *entry, u64 offset,
		   const void __user *buf, size_t len)
{
	if (!wms_data_write_pinned(entry, offset, (unsigned long)buf, len))
		return 0;
	return wms_data_write_bounce(entry, offset, buf, len);
}
