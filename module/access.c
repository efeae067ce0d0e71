// SPDX-License-Identifier: GPL-2.0
/*
 * Permissions follow SysV IPC (ipcperms): the owner's, the group's or the
 * others' bits of the entry's mode grant read and write, and CAP_SYS_ADMIN
 * in the registry's user namespace bypasses them.
 *
 * Data copies hold the entry's data_lock, so each read and write is atomic
 * against the others. The lock is never held while user memory can fault:
 * a user can make a fault wait for ever (userfaultfd, a FUSE mount of its
 * own), and every other reader and writer of the entry would wait with it.
 * So a copy either pins the user pages first and copies to or from them
 * under the lock, or copies through a kernel buffer outside it. Either way
 * a fault part way leaves the entry unchanged, and a wait for the lock ends
 * with a fatal signal.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/minmax.h>
#include <linux/mmap_lock.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "access.h"
#include "compat.h"
#include "fault.h"
#include "map.h"
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

/* Pin at most this many user pages at once on the stack (64 KiB). */
#define WMS_PIN_BATCH	16

/* User pages pinned for one copy. */
struct wms_pin {
	struct page *stack[WMS_PIN_BATCH];
	struct page **pages;
	unsigned long nr;
	unsigned int skip;
};

/*
 * Whether the user range overlaps a mapping of @entry's own data; the mmap
 * lock is held. Copying page by page from or into such a page would read
 * bytes the copy already overwrote. An entry that no mapping has (mapped is
 * 0: the usual case) needs no walk; mmap counts a mapping under the mmap
 * write lock, before it can be at any address.
 */
static bool wms_range_maps_entry(struct wms_entry *entry, unsigned long start,
				 size_t len)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;

	mmap_assert_locked(mm);
	if (!atomic_read(&entry->mapped))
		return false;
	for (vma = find_vma(mm, start); vma && vma->vm_start < start + len;
	     vma = find_vma(mm, vma->vm_end)) {
		if (wms_vma_maps_entry(vma, entry))
			return true;
	}
	return false;
}

static void wms_pin_release(struct wms_pin *pin, long pinned, bool dirty)
{
	if (pinned > 0)
		unpin_user_pages_dirty_lock(pin->pages, pinned, dirty);
	if (pin->pages != pin->stack)
		kvfree(pin->pages);
}

/*
 * Pin the pages under [@ubuf, @ubuf + @len) (@gup_flags: FOLL_WRITE to copy
 * into them), with the check that none of them maps @entry under the same
 * mmap lock, so that no mapping can appear or go in between. The pin does
 * not fault (FOLL_NOFAULT): a fault taken with the mmap lock held could not
 * wait for a userfaultfd or FUSE.
 *
 * Return: 0 with every page pinned; -EFAULT if some page is not present;
 * -EBUSY if the range maps @entry or there is no memory for the page array
 * (copy through a kernel buffer instead); -EINTR on a fatal signal.
 */
static int wms_pin_range(struct wms_entry *entry, unsigned long ubuf,
			 size_t len, unsigned int gup_flags,
			 struct wms_pin *pin)
{
	struct mm_struct *mm = current->mm;
	long pinned = 0;
	int err = -EFAULT;

	pin->skip = offset_in_page(ubuf);
	pin->nr = DIV_ROUND_UP(pin->skip + len, PAGE_SIZE);
	pin->pages = pin->stack;
	if (pin->nr > WMS_PIN_BATCH) {
		pin->pages = kvmalloc_array(pin->nr, sizeof(*pin->pages),
					    GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!pin->pages)
			return -EBUSY;
	}
	if (mmap_read_lock_killable(mm)) {
		err = -EINTR;
	} else {
		if (wms_range_maps_entry(entry, ubuf, len))
			err = -EBUSY;
		else
			pinned = wms_pin_user_pages_nofault(ubuf & PAGE_MASK,
							    pin->nr, gup_flags,
							    pin->pages);
		mmap_read_unlock(mm);
	}
	if (pinned == pin->nr)
		return 0;
	wms_pin_release(pin, pinned, false);
	return err;
}

/*
 * wms_pin_range(), and once more after faulting the range in without any
 * lock held (where a fault may wait as long as the caller makes it).
 *
 * Return: 0 with every page pinned; -EFAULT if some byte of the range is
 * not accessible (the call fails: nothing to bounce); -EBUSY to copy
 * through a kernel buffer instead (the range maps the entry, no memory for
 * the page array, or a page that cannot be pinned without a fault, such as
 * one fork left copy-on-write, or a kernel that cannot pin without a
 * fault: see compat.h); -EINTR on a fatal signal.
 */
static int wms_pin_user(struct wms_entry *entry, void __user *buf, size_t len,
			bool to_user, struct wms_pin *pin)
{
	unsigned int gup_flags = to_user ? FOLL_WRITE : 0;
	/* find_vma() wants the address as the page tables see it. */
	unsigned long start = untagged_addr((unsigned long)buf);
	int err;

	if (!access_ok(buf, len))
		return -EFAULT;
	if (!wms_can_pin_nofault())
		return -EBUSY;
	err = wms_pin_range(entry, start, len, gup_flags, pin);
	if (err != -EFAULT)
		return err;
	if (wms_fault_in(buf, len, to_user))
		return -EFAULT;
	err = wms_pin_range(entry, start, len, gup_flags, pin);
	return err == -EFAULT ? -EBUSY : err;
}

/* Copy between the entry's data and pinned pages; data_lock is held. */
static void wms_copy_pinned(void *data, const struct wms_pin *pin, size_t len,
			    bool to_user)
{
	unsigned int skip = pin->skip;
	unsigned long i;

	for (i = 0; len; i++) {
		size_t chunk = min_t(size_t, len, PAGE_SIZE - skip);
		void *page;

		/* Up to max_entry_size bytes: data_lock is a sleeping lock. */
		cond_resched();
		page = kmap_local_page(pin->pages[i]);

		if (to_user)
			memcpy(page + skip, data, chunk);
		else
			memcpy(data, page + skip, chunk);
		kunmap_local(page);
		data += chunk;
		len -= chunk;
		skip = 0;
	}
}

static void *wms_bounce_alloc(size_t len)
{
	if (wms_should_fail_alloc(len))
		return NULL;
	return kvmalloc(len, GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL |
			__GFP_NOWARN);
}

/**
 * wms_data_read() - copy an entry's data to user memory
 * @entry: a referenced entry
 * @buf: user destination
 * @offset: first byte of the data
 * @len: bytes asked for
 *
 * Return: the bytes copied, 0 at or past the end, fewer than @len across it,
 * or -EFAULT if any byte of @buf could not be written, -ENOMEM, or -EINTR
 * on a fatal signal.
 */
ssize_t wms_data_read(struct wms_entry *entry, void __user *buf, u64 offset,
		      u64 len)
{
	struct wms_pin pin;
	size_t done;
	void *copy;
	int err;

	if (offset >= entry->size)
		return 0;
	done = min_t(u64, len, entry->size - offset);
	if (!done)
		return 0;

	err = wms_pin_user(entry, buf, done, true, &pin);
	if (!err) {
		err = down_read_killable(&entry->data_lock);
		if (!err) {
			wms_copy_pinned(entry->data + offset, &pin, done, true);
			up_read(&entry->data_lock);
		}
		wms_pin_release(&pin, pin.nr, !err);
		return err ?: done;
	}
	if (err != -EBUSY)
		return err;

	/* A snapshot under the lock, copied out after it. */
	copy = wms_bounce_alloc(done);
	if (!copy)
		return -ENOMEM;
	err = down_read_killable(&entry->data_lock);
	if (!err) {
		memcpy(copy, entry->data + offset, done);
		up_read(&entry->data_lock);
		if (copy_to_user(buf, copy, done))
			err = -EFAULT;
	}
	kvfree(copy);
	return err ?: done;
}

/**
 * wms_data_write() - copy user memory into an entry's data, all or nothing
 * @entry: a referenced entry
 * @offset: first byte of the data; @offset + @len <= the entry's size
 * @buf: user source
 * @len: bytes, at least 1
 *
 * Either every byte is written, or none is: a fault anywhere in @buf, or a
 * fatal signal while waiting for the lock, leaves the data as it was.
 *
 * Return: 0, -EFAULT, -ENOMEM or -EINTR.
 */
int wms_data_write(struct wms_entry *entry, u64 offset,
		   const void __user *buf, size_t len)
{
	struct wms_pin pin;
	void *copy;
	int err;

	err = wms_pin_user(entry, (void __user *)buf, len, false, &pin);
	if (!err) {
		err = down_write_killable(&entry->data_lock);
		if (!err) {
			wms_copy_pinned(entry->data + offset, &pin, len, false);
			up_write(&entry->data_lock);
		}
		wms_pin_release(&pin, pin.nr, false);
		return err;
	}
	if (err != -EBUSY)
		return err;

	/* The whole source first, so that a fault in it changes nothing. */
	copy = wms_bounce_alloc(len);
	if (!copy)
		return -ENOMEM;
	if (copy_from_user(copy, buf, len)) {
		err = -EFAULT;
	} else {
		err = down_write_killable(&entry->data_lock);
		if (!err) {
			memcpy(entry->data + offset, copy, len);
			up_write(&entry->data_lock);
		}
	}
	kvfree(copy);
	return err;
}
