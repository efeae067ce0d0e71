// SPDX-License-Identifier: GPL-2.0
/*
 * wms module glue: the limits as module parameters, the global registry,
 * /dev/wms, and the in-kernel API of <linux/wms.h> over that registry.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/wms.h>

#include "dev.h"
#include "fault.h"
#include "proc.h"
#include "registry.h"

static struct wms_limits wms_limits = {
	.max_entries = 65536,
	.max_entry_size = SZ_64M,
	.max_total_bytes = SZ_1G,
	.max_user_bytes = SZ_256M,
};

module_param_named(max_entries, wms_limits.max_entries, uint, 0644);
MODULE_PARM_DESC(max_entries, "Entries in the registry at most (default 65536)");
module_param_named(max_entry_size, wms_limits.max_entry_size, ulong, 0644);
MODULE_PARM_DESC(max_entry_size, "Bytes of data in one entry at most (default 64 MiB)");
module_param_named(max_total_bytes, wms_limits.max_total_bytes, ulong, 0644);
MODULE_PARM_DESC(max_total_bytes, "Bytes of data in all entries together at most (default 1 GiB)");
module_param_named(max_user_bytes, wms_limits.max_user_bytes, ulong, 0644);
MODULE_PARM_DESC(max_user_bytes, "Bytes of data one uid without CAP_SYS_ADMIN may own at most (default 256 MiB)");

static struct wms_registry wms_registry;

/* Kernel callers are trusted: no quota, entries owned by root, mode 0600. */
static const struct wms_owner wms_kernel_owner = {
	.uid = GLOBAL_ROOT_UID,
	.gid = GLOBAL_ROOT_GID,
	.mode = 0600,
	.quota = false,
};

/**
 * wms_add() - find or create a WMS entry
 * @name: 1..WMS_NAME_MAX bytes, NUL-terminated, no '/', not "." or ".."
 * @size: bytes of zero-filled data of a new entry
 * @flags: 0 or WMS_ADD_EXCL (fail with -EEXIST if the name exists)
 * @created: set to whether this call created the entry; may be NULL
 *
 * A new entry is owned by root with mode 0600. The global limits apply to a
 * creation; finding an existing entry never fails for a limit.
 *
 * Context: Process context; may sleep.
 * Return: a referenced entry, to be released with wms_put(), or
 * ERR_PTR(-EINVAL, -ENAMETOOLONG, -EEXIST, -EFBIG, -ENOSPC or -ENOMEM).
 */
struct wms_entry *wms_add(const char *name, size_t size, unsigned int flags,
			  bool *created)
{
	return wms_registry_add(&wms_registry, name, size, flags,
				&wms_kernel_owner, created);
}
EXPORT_SYMBOL_GPL(wms_add);

/**
 * wms_get() - look a WMS entry up by name
 * @name: NUL-terminated name
 *
 * Context: Any context that may take rcu_read_lock().
 * Return: a referenced entry, to be released with wms_put(), or NULL.
 */
struct wms_entry *wms_get(const char *name)
{
	return wms_registry_get(&wms_registry, name);
}
EXPORT_SYMBOL_GPL(wms_get);

/**
 * wms_put() - release a reference taken by wms_add() or wms_get()
 * @entry: the entry; NULL is ignored
 *
 * The last reference to a removed entry frees its memory.
 *
 * Context: Process context; may sleep.
 */
void wms_put(struct wms_entry *entry)
{
	wms_entry_put(entry);
}
EXPORT_SYMBOL_GPL(wms_put);

/**
 * wms_remove() - remove a WMS entry by name
 * @name: NUL-terminated name
 *
 * The name is free for a new entry at once; the memory of the removed entry
 * lives until its last reference is put.
 *
 * Context: Process context; may sleep.
 * Return: 0, or -ENOENT if no entry has that name.
 */
int wms_remove(const char *name)
{
	return wms_registry_remove(&wms_registry, name);
}
EXPORT_SYMBOL_GPL(wms_remove);

/**
 * wms_exists() - tell whether an entry of that name is registered
 * @name: NUL-terminated name
 *
 * Return: true if it is, at the moment of the lookup.
 */
bool wms_exists(const char *name)
{
	struct wms_entry *entry = wms_registry_get(&wms_registry, name);

	wms_entry_put(entry);
	return entry;
}
EXPORT_SYMBOL_GPL(wms_exists);

/**
 * wms_size() - the size of an entry's data
 * @entry: a referenced entry
 *
 * Return: the size in bytes, fixed at creation.
 */
size_t wms_size(const struct wms_entry *entry)
{
	return entry->size;
}
EXPORT_SYMBOL_GPL(wms_size);

/**
 * wms_data() - the data of an entry
 * @entry: a referenced entry
 *
 * The memory is wms_size() bytes of page-backed kernel memory (one page,
 * or vmalloc'ed when larger), valid while the caller holds its reference,
 * even after the entry is removed.
 * Kernel callers that share an entry with user space synchronise their
 * accesses themselves.
 *
 * Return: the data, or NULL for an entry of size 0.
 */
void *wms_data(struct wms_entry *entry)
{
	return entry->data;
}
EXPORT_SYMBOL_GPL(wms_data);

static int __init wms_init(void)
{
	int err;

	err = wms_registry_init(&wms_registry, &wms_limits);
	if (err)
		return err;
	err = wms_proc_register(&wms_registry);
	if (err)
		goto destroy;
	err = wms_dev_register(&wms_registry);
	if (err)
		goto unregister_proc;
	wms_fault_init();
	return 0;

unregister_proc:
	wms_proc_unregister();
destroy:
	wms_registry_destroy(&wms_registry);
	return err;
}

static void __exit wms_exit(void)
{
	wms_fault_exit();
	wms_dev_unregister();
	wms_proc_unregister();
	wms_registry_destroy(&wms_registry);
}

module_init(wms_init);
module_exit(wms_exit);

MODULE_DESCRIPTION("Named blocks of kernel memory shared through /dev/wms");
MODULE_AUTHOR("The wms developers");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");
