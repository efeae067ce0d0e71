// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/driver/wms lists the entries of the registry of the opener's IPC
 * namespace like /proc/sysvipc/shm: a header line,
 * then "name size uid gid mode attached" per entry in creation order, with
 * uid/gid in the reader's user namespace. Names may hold any byte but NUL
 * and '/', and the file reaches terminals: every byte outside printable
 * ASCII (0x21..0x7e), and the backslash, is printed as a \ooo escape.
 * Metadata is public, so the file is readable by all.
 *
 * The walk uses the LIST cursor (the seq_file position is the next entry
 * id), so no lock is held between reads and every entry present for the
 * whole read is shown exactly once.
 *
 * /proc/driver/wms_namespaces is the admin's view of the registries, one a
 * line: the IPC namespace's inode number (as in /proc/PID/ns/ipc), its
 * registered entries and its charged bytes. As with ipcs, a reader sees its
 * own namespace; only an opener in the initial IPC namespace with
 * CAP_SYS_ADMIN in the initial user namespace sees every registry. Both
 * files show what their opener may see, whoever reads them later.
 */

#include <linux/capability.h>
#include <linux/err.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>

#include "compat.h"
#include "ns.h"
#include "proc.h"
#include "registry.h"

/*
 * Position 0 is the header; position p >= 1 is the first entry id >= p. A
 * namespace with no registry yet has no entries.
 */
static void *wms_proc_entry(struct seq_file *m, loff_t pos)
{
	struct wms_registry *reg = m->private;
	struct wms_entry *entry;
	u64 cursor = pos;

	if (!reg || !wms_registry_list(reg, &cursor, &entry, 1))
		return NULL;
	return entry;
}

static void *wms_proc_start(struct seq_file *m, loff_t *pos)
{
	return *pos ? wms_proc_entry(m, *pos) : SEQ_START_TOKEN;
}

static void *wms_proc_next(struct seq_file *m, void *v, loff_t *pos)
{
	if (v == SEQ_START_TOKEN) {
		*pos = 1;
	} else {
		struct wms_entry *entry = v;

		*pos = entry->id + 1;
		wms_entry_put(entry);
	}
	return wms_proc_entry(m, *pos);
}

static void wms_proc_stop(struct seq_file *m, void *v)
{
	if (v && v != SEQ_START_TOKEN)
		wms_entry_put(v);
}

/* The name with every byte outside 0x21..0x7e, and the backslash, as \ooo. */
static void wms_proc_name(struct seq_file *m, const char *name)
{
	const unsigned char *c;

	for (c = (const unsigned char *)name; *c; c++) {
		if (*c < 0x21 || *c > 0x7e || *c == '\\')
			seq_printf(m, "\\%03o", *c);
		else
			seq_putc(m, *c);
	}
}

static int wms_proc_show(struct seq_file *m, void *v)
{
	struct user_namespace *ns = seq_user_ns(m);
	struct wms_entry *entry = v;

	if (v == SEQ_START_TOKEN) {
		seq_puts(m, "name size uid gid mode attached\n");
		return 0;
	}
	wms_proc_name(m, entry->name);
	seq_printf(m, " %zu %u %u %04o %d\n", entry->size,
		   from_kuid_munged(ns, entry->uid),
		   from_kgid_munged(ns, entry->gid), entry->mode,
		   atomic_read(&entry->attached));
	return 0;
}

static const struct seq_operations wms_proc_ops = {
	.start = wms_proc_start,
	.next = wms_proc_next,
	.stop = wms_proc_stop,
	.show = wms_proc_show,
};

/* The registry shown is the opener's namespace's, held until release. */
static int wms_proc_open(struct inode *inode, struct file *file)
{
	struct wms_registry *reg;
	int err;

	reg = wms_namespaces_current(pde_data(inode), false);
	if (IS_ERR(reg))
		return PTR_ERR(reg);
	err = seq_open(file, &wms_proc_ops);
	if (err) {
		if (reg)
			wms_registry_unref(reg);
		return err;
	}
	((struct seq_file *)file->private_data)->private = reg;
	return 0;
}

static int wms_proc_release(struct inode *inode, struct file *file)
{
	struct wms_registry *reg = ((struct seq_file *)file->private_data)->private;

	if (reg)
		wms_registry_unref(reg);
	return seq_release(inode, file);
}

static const struct proc_ops wms_proc_fops = {
	.proc_open = wms_proc_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = wms_proc_release,
};

/*
 * What a reader of /proc/driver/wms_namespaces sees, decided at open() by
 * its opener, as /proc/driver/wms is: every registry, or only the one of
 * the opener's namespace (none if it has no registry).
 */
struct wms_proc_ns {
	struct wms_namespaces *nss;
	struct wms_registry *reg;
	bool all;
};

static void wms_proc_ns_line(void *arg, unsigned int id,
			     struct wms_registry *reg)
{
	unsigned int nr_entries;
	u64 bytes;

	wms_registry_usage(reg, &nr_entries, &bytes);
	seq_printf(arg, "%u %u %llu\n", id, nr_entries,
		   (unsigned long long)bytes);
}

static int wms_proc_ns_show(struct seq_file *m, void *v)
{
	struct wms_proc_ns *pns = m->private;

	wms_namespaces_reap(pns->nss);
	seq_puts(m, "ipcns entries bytes\n");
	if (pns->all || pns->reg)
		wms_namespaces_walk(pns->nss, pns->all ? NULL : pns->reg,
				    wms_proc_ns_line, m);
	return 0;
}

static int wms_proc_ns_open(struct inode *inode, struct file *file)
{
	struct wms_namespaces *nss = pde_data(inode);
	struct wms_proc_ns *pns;
	int err;

	pns = kzalloc(sizeof(*pns), GFP_KERNEL_ACCOUNT);
	if (!pns)
		return -ENOMEM;
	pns->nss = nss;
	pns->reg = wms_namespaces_current(nss, false);
	err = PTR_ERR_OR_ZERO(pns->reg);
	if (err)
		goto free;
	pns->all = pns->reg == wms_namespaces_initial(nss) &&
		   file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN);
	err = single_open(file, wms_proc_ns_show, pns);
	if (!err)
		return 0;
	if (pns->reg)
		wms_registry_unref(pns->reg);
free:
	kfree(pns);
	return err;
}

static int wms_proc_ns_release(struct inode *inode, struct file *file)
{
	struct wms_proc_ns *pns = ((struct seq_file *)file->private_data)->private;

	if (pns->reg)
		wms_registry_unref(pns->reg);
	kfree(pns);
	return single_release(inode, file);
}

static const struct proc_ops wms_proc_ns_fops = {
	.proc_open = wms_proc_ns_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = wms_proc_ns_release,
};

/**
 * wms_proc_register() - create /proc/driver/wms and /proc/driver/wms_namespaces
 * @nss: the registries; must outlive the files
 *
 * Return: 0 or -ENOMEM.
 */
int wms_proc_register(struct wms_namespaces *nss)
{
	if (!proc_create_data("driver/wms", 0444, NULL, &wms_proc_fops, nss))
		return -ENOMEM;
	if (!proc_create_data("driver/wms_namespaces", 0444, NULL,
			      &wms_proc_ns_fops, nss)) {
		remove_proc_entry("driver/wms", NULL);
		return -ENOMEM;
	}
	return 0;
}

/**
 * wms_proc_unregister() - remove the files of wms_proc_register()
 */
void wms_proc_unregister(void)
{
	remove_proc_entry("driver/wms_namespaces", NULL);
	remove_proc_entry("driver/wms", NULL);
}
