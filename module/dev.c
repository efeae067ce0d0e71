// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/wms: copies each ioctl's argument in, validates it, calls the
 * registry and copies the result out. Checks run in the order of the ABI:
 * copy-in, reserved fields and flags, name, offset/length overflow, lookup,
 * permission, limits.
 */

#include <linux/capability.h>
#include <linux/device.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <linux/wms.h>

#include "access.h"
#include "dev.h"
#include "fault.h"
#include "file.h"
#include "ns.h"
#include "registry.h"

/* Entries LIST takes from the registry at a time. */
#define WMS_LIST_BATCH	16

/* Arguments that begin with a name are copied in by wms_copy_named_in(). */
static_assert(offsetof(struct wms_add, name) == 0);
static_assert(offsetof(struct wms_name, name) == 0);
static_assert(offsetof(struct wms_info, name) == 0);
static_assert(offsetof(struct wms_io, name) == 0);

struct wms_dev {
	struct miscdevice misc;
	struct wms_namespaces *nss;
};

static struct wms_dev wms_dev;

/*
 * Copy in an argument of @size bytes that begins with a name: the name only
 * up to its NUL (a word at a time; names are mostly short), then the input
 * fields from @in_off to the end. Nothing in between is read (output-only
 * fields, the bytes after the NUL), and only output fields are copied back
 * out. The struct is smaller than a page and its first and last bytes are
 * read, so a fault in the bytes skipped would also be a fault in those:
 * -EFAULT is returned exactly when copying all of it would fail. Always
 * inlined, so that the sizes are constants at each call and hardened
 * usercopy checks the stack object at build time.
 */
static __always_inline int wms_copy_named_in(void *karg,
					     const void __user *uarg,
					     size_t in_off, size_t size)
{
	if (strncpy_from_user(karg, uarg, WMS_NAME_MAX + 1) < 0)
		return -EFAULT;
	if (copy_from_user(karg + in_off, uarg + in_off, size - in_off))
		return -EFAULT;
	return 0;
}

/* Copy in and check the argument of REMOVE and ATTACH. */
static int wms_name_in(struct wms_name *arg, struct wms_name __user *uarg)
{
	if (wms_copy_named_in(arg, uarg, sizeof(arg->name), sizeof(*arg)))
		return -EFAULT;
	if (arg->reserved)
		return -EINVAL;
	return wms_name_check(arg->name);
}

/*
 * A user pointer passed as __u64. One that does not fit the kernel's
 * unsigned long (a 32-bit kernel) is not truncated into another address:
 * the caller gets -EFAULT, as for any address it cannot access.
 */
static int wms_user_ptr(u64 addr, void __user **ptr)
{
	if (addr != (unsigned long)addr) {
		*ptr = NULL;
		return -EFAULT;
	}
	*ptr = u64_to_user_ptr(addr);
	return 0;
}

/* Look up an entry the caller names and may access with @may (0: anyone). */
static struct wms_entry *wms_lookup(struct wms_registry *reg,
				    const char *name, int may)
{
	struct wms_entry *entry = wms_registry_get(reg, name);
	int err;

	if (!entry)
		return ERR_PTR(-ENOENT);
	err = may ? wms_permission(entry, may) : 0;
	if (err) {
		wms_entry_put(entry);
		return ERR_PTR(err);
	}
	return entry;
}

static long wms_ioc_add(struct wms_registry *reg, struct wms_add __user *uarg)
{
	struct wms_owner owner;
	struct wms_entry *entry;
	struct wms_add add;
	bool created;
	int err;

	/*
	 * Part of the copy-in: the output fields must be writable before
	 * anything is created, since an ADD that cannot report its result
	 * fails, and a failed call changes nothing. Writing back what was
	 * read changes nothing either.
	 */
	if (wms_copy_named_in(&add, uarg, sizeof(add.name), sizeof(add)) ||
	    put_user(add.size, &uarg->size) || put_user(add.flags, &uarg->flags))
		return -EFAULT;
	if (add.reserved[0] || add.reserved[1] || add.flags & ~WMS_ADD_EXCL)
		return -EINVAL;

	owner.uid = current_fsuid();
	owner.gid = current_fsgid();
	owner.mode = (add.mode & 0777) ?: 0600;
	owner.quota = !ns_capable_noaudit(reg->user_ns, CAP_SYS_ADMIN);
	/*
	 * Anyone can make a user namespace, and with it an IPC namespace and
	 * a registry in which it has CAP_SYS_ADMIN: in such a registry the
	 * quotas bound what the uid has in all registries together, unless
	 * the caller is the host's admin. An IPC namespace of the initial
	 * user namespace only CAP_SYS_ADMIN there can make (a container
	 * runtime, say): its registry has quotas of its own, as the initial
	 * one has, so that containers of one uid do not share them.
	 */
	owner.host_quota = reg->user_ns != &init_user_ns &&
			   !ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN);
	owner.kernel = false;
	entry = wms_registry_add(reg, add.name, min_t(u64, add.size, SIZE_MAX),
				 add.flags, &owner, &created);
	if (IS_ERR(entry))
		return PTR_ERR(entry);
	err = created ? 0 : wms_permission(entry, MAY_READ);
	if (!err && (put_user((u64)entry->size, &uarg->size) ||
		     put_user(created ? WMS_ADD_CREATED : 0, &uarg->flags)))
		err = -EFAULT;
	/*
	 * Only another thread of the caller making the argument unwritable
	 * since the check above gets here with a created entry: it was
	 * visible meanwhile, so it is removed as REMOVE would remove it.
	 */
	if (err && created)
		wms_registry_unlink(reg, entry);
	wms_entry_put(entry);
	return err;
}

static long wms_ioc_remove(struct wms_registry *reg,
			   struct wms_name __user *uarg)
{
	struct wms_entry *entry;
	struct wms_name arg;
	int err;

	err = wms_name_in(&arg, uarg);
	if (err)
		return err;
	entry = wms_lookup(reg, arg.name, 0);
	if (IS_ERR(entry))
		return PTR_ERR(entry);
	err = wms_may_remove(entry);
	if (!err)
		err = wms_registry_unlink(reg, entry);
	wms_entry_put(entry);
	return err;
}

static long wms_ioc_info(struct wms_registry *reg, struct wms_info __user *uarg)
{
	struct user_namespace *ns = current_user_ns();
	struct wms_entry *entry;
	struct wms_info info;
	int err;

	if (wms_copy_named_in(&info, uarg,
			      offsetof(struct wms_info, reserved), sizeof(info)))
		return -EFAULT;
	if (info.reserved[0] || info.reserved[1] || info.reserved[2] ||
	    info.reserved[3])
		return -EINVAL;
	err = wms_name_check(info.name);
	if (err)
		return err;
	entry = wms_lookup(reg, info.name, 0);
	if (IS_ERR(entry))
		return PTR_ERR(entry);
	info.size = entry->size;
	info.uid = from_kuid_munged(ns, entry->uid);
	info.gid = from_kgid_munged(ns, entry->gid);
	info.mode = entry->mode;
	info.attached = atomic_read(&entry->attached);
	info.ctime_ns = entry->ctime_ns;
	wms_entry_put(entry);
	/* The output fields only: size up to ctime_ns. */
	if (copy_to_user(&uarg->size, &info.size,
			 offsetofend(struct wms_info, ctime_ns) -
			 offsetof(struct wms_info, size)))
		return -EFAULT;
	return 0;
}

/*
 * Copy in and check a READ or WRITE request, then look its entry up with
 * the permission @may.
 */
static struct wms_entry *wms_io_prepare(struct wms_registry *reg,
					struct wms_io *io,
					struct wms_io __user *uarg, int may)
{
	u64 end;
	int err;

	if (wms_copy_named_in(io, uarg, sizeof(io->name), sizeof(*io)))
		return ERR_PTR(-EFAULT);
	if (io->reserved)
		return ERR_PTR(-EINVAL);
	err = wms_name_check(io->name);
	if (err)
		return ERR_PTR(err);
	if (check_add_overflow(io->offset, io->len, &end))
		return ERR_PTR(-EINVAL);
	return wms_lookup(reg, io->name, may);
}

static long wms_ioc_read(struct wms_registry *reg, struct wms_io __user *uarg)
{
	struct wms_entry *entry;
	void __user *buf;
	struct wms_io io;
	ssize_t done = 0;

	entry = wms_io_prepare(reg, &io, uarg, MAY_READ);
	if (IS_ERR(entry))
		return PTR_ERR(entry);
	/* The buffer matters only if there is something to copy. */
	if (io.len && io.offset < entry->size) {
		if (wms_user_ptr(io.buf, &buf))
			done = -EFAULT;
		else
			done = wms_data_read(entry, buf, io.offset, io.len);
	}
	wms_entry_put(entry);
	if (done < 0)
		return done;
	if (put_user((u64)done, &uarg->len))
		return -EFAULT;
	return 0;
}

static long wms_ioc_write(struct wms_registry *reg, struct wms_io __user *uarg)
{
	struct wms_entry *entry;
	void __user *buf;
	struct wms_io io;
	int err = 0;

	entry = wms_io_prepare(reg, &io, uarg, MAY_WRITE);
	if (IS_ERR(entry))
		return PTR_ERR(entry);
	if (io.offset > entry->size || io.len > entry->size - io.offset)
		err = -EFBIG;
	/*
	 * Report the length before the data changes, so that a failure to
	 * report it cannot leave a write done; it is the value passed in.
	 */
	else if (io.len && wms_user_ptr(io.buf, &buf))
		err = -EFAULT;
	else if (io.len && put_user(io.len, &uarg->len))
		err = -EFAULT;
	else if (io.len)
		err = wms_data_write(entry, io.offset, buf, io.len);
	wms_entry_put(entry);
	return err;
}

static void wms_list_record(struct wms_list_entry *rec,
			    const struct wms_entry *entry)
{
	struct user_namespace *ns = current_user_ns();

	memset(rec, 0, sizeof(*rec));
	memcpy(rec->name, entry->name, entry->name_len);
	rec->size = entry->size;
	rec->uid = from_kuid_munged(ns, entry->uid);
	rec->gid = from_kgid_munged(ns, entry->gid);
	rec->mode = entry->mode;
}

static long wms_ioc_list(struct wms_registry *reg, struct wms_list __user *uarg)
{
	struct wms_entry *batch[WMS_LIST_BATCH];
	struct wms_list_entry __user *out;
	struct wms_registry_stats stats;
	struct wms_list_entry rec;
	struct wms_list list;
	unsigned int filled = 0, n, i;
	void __user *entries;
	int err = 0, bad_ptr;
	u64 cursor;

	if (copy_from_user(&list, uarg, sizeof(list)))
		return -EFAULT;
	if (list.reserved0 || list.reserved[0] || list.reserved[1] ||
	    !list.count)
		return -EINVAL;

	/* The array matters only once there is an entry to report. */
	bad_ptr = wms_user_ptr(list.entries, &entries);
	out = entries;
	cursor = list.cursor;
	while (!err && filled < list.count) {
		n = wms_registry_list(reg, &cursor, batch,
				      min_t(u32, list.count - filled,
					    WMS_LIST_BATCH));
		if (!n)
			break;
		for (i = 0; i < n; i++) {
			wms_list_record(&rec, batch[i]);
			wms_entry_put(batch[i]);
			if (!err && (bad_ptr ||
				     copy_to_user(&out[filled], &rec, sizeof(rec))))
				err = -EFAULT;
			filled++;
		}
	}
	if (err)
		return err;

	wms_registry_stats(reg, &stats);
	list.cursor = cursor;
	list.count = filled;
	list.total = stats.nr_entries;
	if (copy_to_user(uarg, &list, sizeof(list)))
		return -EFAULT;
	return 0;
}

static long wms_ioc_attach(struct wms_file *wf, struct wms_name __user *uarg)
{
	struct wms_entry *entry;
	struct wms_name arg;
	int err;

	err = wms_name_in(&arg, uarg);
	if (err)
		return err;
	/* Pairs with smp_store_release() in wms_file_attach(). */
	if (smp_load_acquire(&wf->entry))
		return -EBUSY;
	entry = wms_lookup(wf->reg, arg.name, MAY_READ);
	if (IS_ERR(entry))
		return PTR_ERR(entry);
	/* Write access is decided here, once, as open(2) decides it. */
	err = wms_file_attach(wf, entry, wms_may(entry, MAY_WRITE));
	if (err)
		wms_entry_put(entry);
	return err;
}

static long wms_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct wms_file *wf = file->private_data;
	struct wms_registry *reg = wf->reg;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case WMS_IOC_ADD:
		return wms_ioc_add(reg, uarg);
	case WMS_IOC_REMOVE:
		return wms_ioc_remove(reg, uarg);
	case WMS_IOC_INFO:
		return wms_ioc_info(reg, uarg);
	case WMS_IOC_READ:
		return wms_ioc_read(reg, uarg);
	case WMS_IOC_WRITE:
		return wms_ioc_write(reg, uarg);
	case WMS_IOC_LIST:
		return wms_ioc_list(reg, uarg);
	case WMS_IOC_ATTACH:
		return wms_ioc_attach(wf, uarg);
	default:
		return -ENOTTY;
	}
}

/*
 * Host-wide counters, the sums over the registries of every IPC namespace,
 * as read-only attributes of the misc device, one value each:
 * /sys/class/misc/wms/{entries,bytes,peak_bytes,adds,removes,registries}
 * and /sys/class/misc/wms/failed_adds/<ERRNO>.
 */
static struct wms_namespaces *wms_dev_namespaces(struct device *dev)
{
	struct miscdevice *misc = dev_get_drvdata(dev);

	return container_of(misc, struct wms_dev, misc)->nss;
}

#define WMS_STAT_ATTR(_name, _expr)					\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct wms_registry_stats stats;				\
									\
	wms_pool_stats(&wms_dev_namespaces(dev)->pool, &stats);		\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)(_expr));	\
}									\
static DEVICE_ATTR_RO(_name)

WMS_STAT_ATTR(entries, stats.nr_entries);
WMS_STAT_ATTR(bytes, stats.total_bytes);
WMS_STAT_ATTR(peak_bytes, stats.peak_bytes);
WMS_STAT_ATTR(adds, stats.adds);
WMS_STAT_ATTR(removes, stats.removes);

/* Live registries, the initial namespace's included; dead ones reaped first. */
static ssize_t registries_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  wms_namespaces_reap(wms_dev_namespaces(dev)));
}
static DEVICE_ATTR_RO(registries);

static struct attribute *wms_stat_attrs[] = {
	&dev_attr_entries.attr,
	&dev_attr_bytes.attr,
	&dev_attr_peak_bytes.attr,
	&dev_attr_adds.attr,
	&dev_attr_removes.attr,
	&dev_attr_registries.attr,
	NULL
};

static const struct attribute_group wms_stat_group = {
	.attrs = wms_stat_attrs,
};

struct wms_failure_attr {
	struct device_attribute attr;
	enum wms_add_failure failure;
};

static ssize_t wms_failure_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct wms_failure_attr *fa = container_of(attr, struct wms_failure_attr,
						   attr);
	struct wms_registry_stats stats;

	wms_pool_stats(&wms_dev_namespaces(dev)->pool, &stats);
	return sysfs_emit(buf, "%llu\n",
			  (unsigned long long)stats.failed[fa->failure]);
}

static struct wms_failure_attr wms_failure_attrs[WMS_NR_FAILURES];
static struct attribute *wms_failure_attr_list[WMS_NR_FAILURES + 1];

static const struct attribute_group wms_failure_group = {
	.name = "failed_adds",
	.attrs = wms_failure_attr_list,
};

static const struct attribute_group *wms_groups[] = {
	&wms_stat_group,
	&wms_failure_group,
	NULL
};

static void wms_failure_attrs_init(void)
{
	unsigned int i;

	for (i = 0; i < WMS_NR_FAILURES; i++) {
		struct wms_failure_attr *fa = &wms_failure_attrs[i];

		sysfs_attr_init(&fa->attr.attr);
		fa->attr.attr.name = wms_add_failure_name(i);
		fa->attr.attr.mode = 0444;
		fa->attr.show = wms_failure_show;
		fa->failure = i;
		wms_failure_attr_list[i] = &fa->attr.attr;
	}
}

/*
 * A file belongs to the registry of its opener's IPC namespace, made now if
 * the namespace has none, for its whole life: whoever uses it later.
 */
static int wms_open(struct inode *inode, struct file *file)
{
	struct wms_dev *dev = container_of(file->private_data, struct wms_dev,
					   misc);
	struct wms_registry *reg;
	struct wms_file *wf;

	wf = NULL;
	if (!wms_should_fail_alloc(sizeof(*wf)))
		wf = kzalloc(sizeof(*wf), GFP_KERNEL_ACCOUNT);
	if (!wf)
		return -ENOMEM;
	reg = wms_namespaces_current(dev->nss, true);
	if (IS_ERR(reg)) {
		kfree(wf);
		return PTR_ERR(reg);
	}
	wf->reg = reg;
	spin_lock_init(&wf->attach_lock);
	file->private_data = wf;
	return 0;
}

static int wms_release(struct inode *inode, struct file *file)
{
	struct wms_file *wf = file->private_data;

	wms_file_detach(wf);
	wms_registry_unref(wf->reg);
	kfree(wf);
	return 0;
}

static const struct file_operations wms_fops = {
	.owner = THIS_MODULE,
	.open = wms_open,
	.release = wms_release,
	.unlocked_ioctl = wms_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.read = wms_file_read,
	.write = wms_file_write,
	.llseek = wms_file_llseek,
	.mmap = wms_file_mmap,
	.fsync = noop_fsync,
};

/**
 * wms_dev_register() - create /dev/wms in front of the registries
 * @nss: the registries, one per IPC namespace; must outlive the device
 *
 * Return: 0 or a negative errno from misc_register().
 */
int wms_dev_register(struct wms_namespaces *nss)
{
	wms_dev.nss = nss;
	wms_dev.misc.minor = MISC_DYNAMIC_MINOR;
	wms_dev.misc.name = "wms";
	wms_dev.misc.fops = &wms_fops;
	wms_failure_attrs_init();
	wms_dev.misc.groups = wms_groups;
	/* Entry permissions and quotas are the protection. */
	wms_dev.misc.mode = 0666;
	return misc_register(&wms_dev.misc);
}

/**
 * wms_dev_unregister() - remove /dev/wms
 */
void wms_dev_unregister(void)
{
	misc_deregister(&wms_dev.misc);
}
