// SPDX-License-Identifier: GPL-2.0
/*
 * Permissions follow SysV IPC (ipcperms): the owner's, the group's or the
 * others' bits of the entry's mode grant read and write, and CAP_SYS_ADMIN
 * in the registry's user namespace bypasses them. Data copies hold the
 * entry's data_lock, so each read and write is atomic against the others; a
 * write first fetches the whole user buffer so that a fault part way leaves
 * the entry unchanged.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/minmax.h>
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

/**
 * wms_data_fetch() - copy a whole user buffer into the kernel
 * @buf: user source
 * @len: bytes, at least 1
 *
 * Return: a kvmalloc'ed copy to kvfree(), or ERR_PTR(-ENOMEM or -EFAULT).
 */
void *wms_data_fetch(const void __user *buf, size_t len)
{
	void *copy = NULL;

	if (!wms_should_fail_alloc(len))
		copy = kvmalloc(len, GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL |
				__GFP_NOWARN);
	if (!copy)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(copy, buf, len)) {
		kvfree(copy);
		return ERR_PTR(-EFAULT);
	}
	return copy;
}

/**
 * wms_data_store() - write fetched bytes into an entry
 * @entry: a referenced entry
 * @offset: first byte of the data; @offset + @len <= the entry's size
 * @src: the bytes, from wms_data_fetch()
 * @len: how many
 */
void wms_data_store(struct wms_entry *entry, u64 offset, const void *src,
		    size_t len)
{
	down_write(&entry->data_lock);
	memcpy(entry->data + offset, src, len);
	up_write(&entry->data_lock);
}
