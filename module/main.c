// SPDX-License-Identifier: GPL-2.0
/*
 * wms module glue: the limits as module parameters, the registries (one per
 * IPC namespace), /dev/wms, and the in-kernel API of <linux/wms.h> over the
 * initial IPC namespace's registry.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/vmalloc.h>
#include <linux/wms.h>

#include "dev.h"
#include "fault.h"
#include "ipcns.h"
#include "ns.h"
#include "proc.h"
#include "registry.h"

/*
 * The byte limits below are ceilings: at load, those not set explicitly are
 * lowered to fit the machine (wms_limits_fit()).
 */
static struct wms_limits wms_limits = {
	.max_entries = 65536,
	.max_entry_size = SZ_64M,
	.max_total_bytes = SZ_1G,
	.max_user_bytes = SZ_256M,
	.max_user_entries = 1024,
};

/* Whether max_total_bytes and max_user_bytes were set by the administrator. */
static bool wms_total_bytes_set, wms_user_bytes_set;

static int wms_param_set_bytes(const char *val, const struct kernel_param *kp)
{
	int err = param_set_ulong(val, kp);

	if (err)
		return err;
	if (kp->arg == &wms_limits.max_total_bytes)
		wms_total_bytes_set = true;
	else
		wms_user_bytes_set = true;
	return 0;
}

static const struct kernel_param_ops wms_param_bytes_ops = {
	.set = wms_param_set_bytes,
	.get = param_get_ulong,
};

module_param_named(max_entries, wms_limits.max_entries, uint, 0644);
MODULE_PARM_DESC(max_entries, "Entries in the registry of one IPC namespace at most (default 65536)");
module_param_named(max_entry_size, wms_limits.max_entry_size, ulong, 0644);
MODULE_PARM_DESC(max_entry_size, "Bytes of data in one entry at most (default 64 MiB)");
module_param_cb(max_total_bytes, &wms_param_bytes_ops,
		&wms_limits.max_total_bytes, 0644);
__MODULE_PARM_TYPE(max_total_bytes, "ulong");
MODULE_PARM_DESC(max_total_bytes, "Bytes charged (whole pages) for all entries of all IPC namespaces together at most (default 1 GiB, at most 1/4 of RAM and on 32-bit 1/4 of the vmalloc area)");
module_param_cb(max_user_bytes, &wms_param_bytes_ops,
		&wms_limits.max_user_bytes, 0644);
__MODULE_PARM_TYPE(max_user_bytes, "ulong");
MODULE_PARM_DESC(max_user_bytes, "Bytes charged (whole pages) to one uid without CAP_SYS_ADMIN in one IPC namespace at most (default 256 MiB, at most 1/16 of RAM and on 32-bit 1/4 of the vmalloc area)");
module_param_named(max_user_entries, wms_limits.max_user_entries, uint, 0644);
MODULE_PARM_DESC(max_user_entries, "Entries one uid without CAP_SYS_ADMIN may have registered in one IPC namespace at most (default 1024)");

/*
 * Lower the byte limits the administrator did not set to what the machine
 * can give: a quarter of RAM in all, a sixteenth to one user, and on 32-bit
 * kernels, whose entries above a page come from a vmalloc area of some
 * hundred MiB, a quarter of that area.
 */
static void wms_limits_fit(void)
{
	u64 ram = (u64)totalram_pages() << PAGE_SHIFT;
	u64 total = ram / 4, user = ram / 16;

	if (!IS_ENABLED(CONFIG_64BIT)) {
		total = min_t(u64, total, VMALLOC_TOTAL / 4);
		user = min_t(u64, user, VMALLOC_TOTAL / 4);
	}
	if (!wms_total_bytes_set)
		wms_limits.max_total_bytes = min_t(u64, wms_limits.max_total_bytes,
						   total);
	if (!wms_user_bytes_set)
		wms_limits.max_user_bytes = min_t(u64, wms_limits.max_user_bytes,
						  user);
}

static struct wms_namespaces wms_namespaces;

/* The registry of the kernel API: the initial IPC namespace's. */
static struct wms_registry *wms_api_registry(void)
{
	return wms_namespaces_initial(&wms_namespaces);
}

/**
 * wms_add_mode() - find or create a WMS entry, with the mode of a new one
 * @name: 1..WMS_NAME_MAX bytes, NUL-terminated, no '/', not "." or ".."
 * @size: bytes of zero-filled data of a new entry
 * @flags: 0 or WMS_ADD_EXCL (fail with -EEXIST if the name exists)
 * @mode: permission bits of a new entry for user space (& 0777), taken as
 *	given: 0444 publishes read-only data, 0600 keeps it to uid 0, 0 to
 *	CAP_SYS_ADMIN
 * @created: set to whether this call created the entry; may be NULL
 *
 * The entry is in the initial IPC namespace's registry. A new entry is owned
 * by root (uid 0, gid 0), and charged to the global limits only, not to
 * root's user quotas. Only kernel callers create
 * names that begin with '.', so such an entry, once created, is the kernel's.
 * An existing entry is returned only if kernel code created it: one made
 * through /dev/wms is -EEXIST, whatever its name. The global limits apply to
 * a creation; finding an existing entry never fails for a limit.
 *
 * Context: Process context; may sleep. Takes the registry mutex.
 * Return: a referenced entry, to be released with wms_put(), or
 * ERR_PTR(-EINVAL, -ENAMETOOLONG, -EEXIST, -EFBIG, -ENOSPC or -ENOMEM).
 */
struct wms_entry *wms_add_mode(const char *name, size_t size,
			       unsigned int flags, umode_t mode, bool *created)
{
	const struct wms_owner owner = {
		.uid = GLOBAL_ROOT_UID,
		.gid = GLOBAL_ROOT_GID,
		.mode = mode & 0777,
		.quota = false,
		.host_quota = false,
		.kernel = true,
	};

	might_sleep();
	return wms_registry_add(wms_api_registry(), name, size, flags, &owner,
				created);
}
EXPORT_SYMBOL_GPL(wms_add_mode);

/**
 * wms_add() - find or create a WMS entry of mode 0600
 * @name: 1..WMS_NAME_MAX bytes, NUL-terminated, no '/', not "." or ".."
 * @size: bytes of zero-filled data of a new entry
 * @flags: 0 or WMS_ADD_EXCL (fail with -EEXIST if the name exists)
 * @created: set to whether this call created the entry; may be NULL
 *
 * wms_add_mode() with mode 0600: see there.
 *
 * Context: Process context; may sleep.
 * Return: a referenced entry, to be released with wms_put(), or
 * ERR_PTR(-EINVAL, -ENAMETOOLONG, -EEXIST, -EFBIG, -ENOSPC or -ENOMEM).
 */
struct wms_entry *wms_add(const char *name, size_t size, unsigned int flags,
			  bool *created)
{
	return wms_add_mode(name, size, flags, 0600, created);
}
EXPORT_SYMBOL_GPL(wms_add);

/**
 * wms_get() - look a WMS entry up by name
 * @name: NUL-terminated name
 *
 * The entry may have been created by user space: wms_is_kernel_entry() tells.
 *
 * Context: Any context; does not sleep (the reference it returns must be
 * put with wms_put(), which may).
 * Return: a referenced entry, to be released with wms_put(), or NULL.
 */
struct wms_entry *wms_get(const char *name)
{
	return wms_registry_get(wms_api_registry(), name);
}
EXPORT_SYMBOL_GPL(wms_get);

/**
 * wms_put() - release a reference taken by wms_add() or wms_get()
 * @entry: the entry; NULL is ignored
 *
 * The last reference to a removed entry frees its memory.
 *
 * Context: Process context; may sleep (it may vfree() the data).
 */
void wms_put(struct wms_entry *entry)
{
	might_sleep();
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
 * Context: Process context; may sleep. Takes the registry mutex.
 * Return: 0, or -ENOENT if no entry has that name.
 */
int wms_remove(const char *name)
{
	might_sleep();
	return wms_registry_remove(wms_api_registry(), name);
}
EXPORT_SYMBOL_GPL(wms_remove);

/**
 * wms_exists() - tell whether an entry of that name is registered
 * @name: NUL-terminated name
 *
 * Takes no reference, so the answer may be stale at once: to use an entry,
 * wms_get() it.
 *
 * Context: Any context; does not sleep.
 * Return: true if it is, at the moment of the lookup.
 */
bool wms_exists(const char *name)
{
	return wms_registry_exists(wms_api_registry(), name);
}
EXPORT_SYMBOL_GPL(wms_exists);

/**
 * wms_size() - the size of an entry's data
 * @entry: a referenced entry
 *
 * Context: Any context.
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
 * or pages vmap()ed into one range when larger), valid while the caller
 * holds its reference, even after the entry is removed.
 * Kernel callers that share an entry with user space synchronise their
 * accesses themselves.
 *
 * Context: Any context.
 * Return: the data, or NULL for an entry of size 0.
 */
void *wms_data(struct wms_entry *entry)
{
	return entry->data;
}
EXPORT_SYMBOL_GPL(wms_data);

/**
 * wms_is_kernel_entry() - whether kernel code created an entry
 * @entry: a referenced entry
 *
 * An entry created through /dev/wms is user space's: its size, data and
 * mappings are whatever its owner made of them.
 *
 * Context: Any context.
 * Return: true if a kernel caller created it (wms_add(), wms_add_mode()).
 */
bool wms_is_kernel_entry(const struct wms_entry *entry)
{
	return entry->kernel;
}
EXPORT_SYMBOL_GPL(wms_is_kernel_entry);

/* Registries of dead IPC namespaces are looked for once a second. */
#define WMS_REAP_INTERVAL	HZ

static int __init wms_init(void)
{
	int err;

	wms_limits_fit();
	err = wms_namespaces_init(&wms_namespaces, &wms_limits, &wms_ipcns_ops,
				  wms_ipcns_initial(), WMS_REAP_INTERVAL);
	if (err)
		return err;
	err = wms_proc_register(&wms_namespaces);
	if (err)
		goto exit_namespaces;
	err = wms_dev_register(&wms_namespaces);
	if (err)
		goto unregister_proc;
	wms_fault_init();
	return 0;

unregister_proc:
	wms_proc_unregister();
exit_namespaces:
	wms_namespaces_exit(&wms_namespaces);
	return err;
}

static void __exit wms_exit(void)
{
	wms_fault_exit();
	wms_dev_unregister();
	wms_proc_unregister();
	wms_namespaces_exit(&wms_namespaces);
}

module_init(wms_init);
module_exit(wms_exit);

MODULE_DESCRIPTION("Named blocks of kernel memory shared through /dev/wms");
MODULE_AUTHOR("The wms developers");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");
